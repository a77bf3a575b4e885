#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test job: install what is needed, then build and run the ctest suite
# three ways: native (warnings are errors), under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the aarch64 (NEON) build under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}" doxygen # doxygen: the API-reference test
jobs=$(nproc)

echo "== native build (-Werror)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DBP_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs"
echo "== install, then build and run examples/ with find_package and pkg-config" && bash scripts/test-install.sh build-test

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBP_SANITIZE=ON -DBP_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE isa
bash scripts/test-tsan.sh
bash scripts/test-fuzz.sh # libFuzzer: replay tests/fuzz/corpus, then ~6 s per harness (about 2.5 min with the build)

bash scripts/test-mutation.sh # the mutation check's CI subset (under a minute on 2 idle cores)
bash scripts/test-mpi.sh # the MPI build and its tests (about 1 minute)

if [ -f scripts/test-arm64.sh ]; then
  echo "== aarch64 (NEON) build under qemu"
  # Left to the native and sanitizer lanes (no kernel code in it):
  # test_view drives the CLI's terminal output, over 10 minutes under qemu.
  bash scripts/test-arm64.sh -E '^test_view$'
fi
