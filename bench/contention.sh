#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Contention benchmark (issue 9): W1 batch 128 (bench/README.md) on 1 and 2
# threads, on the machine as it is ("quiet") and with a CPU-bound competitor
# pinned to each core ("busy": `sh -c 'while :; do :; done'`, started and
# killed by this script). With --baseline REF, the same runs of REF's code
# (built from `git archive REF` in build-contention/base), interleaved with
# this tree's round by round, for a side-by-side on the same machine state.
#
#   bench/contention.sh [--baseline REF] [--rounds N] [--samples N] [--epochs N]
#
# Thread counts: 1, 2 (`--threads 2`, n_threads 2: an upper bound the
# trainer adapts under unless OMP_DYNAMIC=false; a fixed team in trees
# before that) and "all" (the library's default, n_threads 0: all cores,
# adapted the same way; for the baseline, whose default was a fixed team,
# "all" is its 2-thread run again). Prints every run (and the timed steps
# the adaptive team ran on one thread), then the
# medians per condition, thread count and build, the busy machine's
# 2-thread / 1-thread and all / 1-thread ratios (issue 9's target: >= 0.8)
# and, with a baseline, this tree / baseline (target on the quiet machine:
# within 3%). About a minute per round on an idle 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
baseline="" rounds=5 samples=20000 epochs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline=$2 ;;
    --rounds) rounds=$2 ;;
    --samples) samples=$2 ;;
    --epochs) epochs=$2 ;;
    *) sed -n '/^#   bench/p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
  esac
  shift 2
done
[ "$rounds" -ge 1 ] || { echo "contention.sh: --rounds must be >= 1" >&2; exit 2; }
jobs=$(nproc)

build_bench() { # source dir, build dir
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DBP_BUILD_BENCH=ON -DBP_BUILD_TESTS=OFF >/dev/null
  cmake --build "$2" -j"$jobs" --target bp_bench_train >/dev/null
}
echo "# building this tree (build-contention/new)"
build_bench . build-contention/new
names=(new)
declare -A bin=([new]=build-contention/new/bench/bp_bench_train)
if [ -n "$baseline" ]; then
  rev=$(git rev-parse --verify "$baseline^{commit}")
  src=build-contention/base-src
  if [ "$(cat "$src/.rev" 2>/dev/null)" != "$rev" ]; then
    rm -rf "$src" build-contention/base
    mkdir -p "$src"
    git archive "$rev" | tar -x -C "$src"
    echo "$rev" >"$src/.rev"
  fi
  echo "# building the baseline $baseline = ${rev:0:12} (build-contention/base)"
  build_bench "$src" build-contention/base
  names=(base new)
  bin[base]=build-contention/base/bench/bp_bench_train
fi

# The CPUs this process may use (taskset/cgroup), one competitor per CPU.
cpus=()
for part in $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' ' '); do
  if [[ $part == *-* ]]; then for ((c = ${part%-*}; c <= ${part#*-}; c++)); do cpus+=("$c"); done
  else cpus+=("$part"); fi
done
[ ${#cpus[@]} -gt 0 ] || mapfile -t cpus < <(seq 0 $((jobs - 1)))
hogs=()
start_hogs() {
  for c in "${cpus[@]}"; do
    if command -v taskset >/dev/null; then taskset -c "$c" sh -c 'while :; do :; done' &
    else sh -c 'while :; do :; done' & fi
    hogs+=($!)
  done
}
stop_hogs() {
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${hogs[@]}"; do wait "$p" 2>/dev/null || true; done
  hogs=()
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

run_one() { # build name, threads (0: the library's default, all cores) -> "samples/s steps-alone"
  local team=(--threads "$2")
  [ "$2" = 0 ] && team=(--default-team 1)
  [ "$2" = 0 ] && [ "$1" = base ] && team=(--threads 2) # the baseline's default was a fixed team
  # alone_steps: timed steps the adaptive team ran on one thread (trees before it: absent, "-").
  "${bin[$1]}" --workload W1 --batch 128 "${team[@]}" --epochs "$epochs" --samples "$samples" |
    awk '/^RESULT / { s = a = "-"
      for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "samples_per_s") s = kv[2]; if (kv[1] == "alone_steps") a = kv[2] }
      print s, a }'
}

label() { if [ "$1" = 0 ]; then echo all; else echo "$1"; fi; }
declare -A runs=()
echo "# load: $(uptime)"
echo "# ${#cpus[@]} CPUs (${cpus[*]}), $rounds rounds of $epochs timed epochs of $samples samples"
for ((r = 1; r <= rounds; r++)); do
  # Alternate which build goes first, so neither always follows the other.
  order=("${names[@]}")
  if [ $((r % 2)) -eq 0 ] && [ ${#names[@]} -eq 2 ]; then order=("${names[1]}" "${names[0]}"); fi
  for cond in quiet busy; do
    [ "$cond" = busy ] && start_hogs && sleep 0.5
    for t in 1 2 0; do
      for v in "${order[@]}"; do
        read -r s alone < <(run_one "$v" "$t")
        runs[$cond.$t.$v]="${runs[$cond.$t.$v]:-} $s"
        printf 'round %d %-5s threads %-3s %-4s %10.0f samples/s  %4s steps alone\n' "$r" "$cond" "$(label "$t")" "$v" "$s" "$alone"
      done
    done
    [ "$cond" = busy ] && stop_hogs
  done
done
echo "# load: $(uptime)"

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med=()
printf '\n%-6s %7s' condition threads
for v in "${names[@]}"; do printf ' %12s' "$v"; done
[ ${#names[@]} -eq 2 ] && printf ' %9s' new/base
printf '   (median samples/s of %d rounds)\n' "$rounds"
for cond in quiet busy; do
  for t in 1 2 0; do
    printf '%-9s %4s' "$cond" "$(label "$t")"
    for v in "${names[@]}"; do
      med[$cond.$t.$v]=$(echo "${runs[$cond.$t.$v]}" | median)
      printf ' %12.0f' "${med[$cond.$t.$v]}"
    done
    [ ${#names[@]} -eq 2 ] && awk -v a="${med[$cond.$t.new]}" -v b="${med[$cond.$t.base]}" 'BEGIN { printf " %9.3f", a / b }'
    printf '\n'
  done
done
for v in "${names[@]}"; do
  for t in 2 0; do
    awk -v a="${med[busy.$t.$v]}" -v b="${med[busy.1.$v]}" -v v="$v" -v t="$(label "$t")" \
      'BEGIN { printf "busy machine, threads %s / 1 thread, %s: %.2f (target >= 0.8)\n", t, v, a / b }'
  done
done
