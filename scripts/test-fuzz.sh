#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libFuzzer harnesses (tests/fuzz): build them with clang (ASan + UBSan
# + libFuzzer), replay every committed corpus file, then fuzz each harness
# for BP_FUZZ_SECONDS (default 6: about 30 s for the five). One summary line
# per harness; a finding fails the script and its input is kept in
# build-fuzz/findings/ (BP_FUZZ_BUILD: another build folder). A long
# campaign by hand: README.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}" clang libclang-rt-dev # libclang-rt-dev: libFuzzer
secs=${BP_FUZZ_SECONDS:-6}
B=${BP_FUZZ_BUILD:-build-fuzz}
echo "== libFuzzer harnesses (clang, ASan + UBSan): replay the corpora, then ${secs} s each"
# Without OpenMP and AVX-512 (the loaders and the parser use neither; the
# build is half as long), at -O1: the build is most of this stage's time.
cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DBP_FUZZ=ON -DBP_WERROR=ON -DBP_BUILD_TESTS=OFF \
  -DBP_BUILD_SHARED=OFF -DBP_ENABLE_OPENMP=OFF -DBP_ENABLE_AVX512=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" >/dev/null
cmake --build "$B" -j"$(nproc)" --target fuzz >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$B/findings"
limits=(-rss_limit_mb=2048 -timeout=10)
failed=0
for h in model checkpoint idx csv cli; do
  bin=$B/tests/fuzz/fuzz_$h
  dict=()
  if [ -f "tests/fuzz/$h.dict" ]; then dict=(-dict="tests/fuzz/$h.dict"); fi
  seeds=(tests/fuzz/corpus/"$h"/*)
  # Replay: each committed file once (files as arguments: run, not fuzzed).
  if ! "$bin" "${limits[@]}" "${seeds[@]}" >"$work/$h.replay" 2>&1; then
    echo "fuzz_$h: FAILED replaying tests/fuzz/corpus/$h:"
    tail -n 40 "$work/$h.replay"
    failed=1
    continue
  fi
  # Fuzz a copy of the corpus (the committed one stays as it is).
  mkdir "$work/$h"
  cp "${seeds[@]}" "$work/$h/"
  rc=0
  "$bin" "${dict[@]}" "${limits[@]}" -max_len=4096 -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$B/findings/$h-" "$work/$h" >"$work/$h.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
  files=$(find "$work/$h" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$h: ok, ${#seeds[@]} corpus files replayed, then ${execs:-?} execs in ${secs} s, no finding (corpus now $files files)"
  else
    echo "fuzz_$h: FINDING (exit $rc) after ${execs:-?} execs; input kept in $B/findings/:"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] )' "$work/$h.log" | head -n 30 || tail -n 40 "$work/$h.log"
    failed=1
  fi
done
exit "$failed"
