#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks: install what they need (oneDNN and PyTorch are peers, not
# dependencies of the library; PyTorch gets OpenBLAS, the BLAS Debian recommends
# for it, not the reference BLAS), build with -DBP_BUILD_BENCH=ON, then
#   scripts/bench.sh kernels [google-benchmark args]   every kernel x ISA, FMA peak, oneDNN
#   scripts/bench.sh train   [bp_bench_train args]     end-to-end training samples/s
#   scripts/bench.sh compare [--quick]                 backprop vs PyTorch, one table
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}" libdnnl-dev python3-torch python3-numpy libopenblas0-pthread \
  dataset-fashion-mnist
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBP_BUILD_BENCH=ON -DBP_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
what=${1:-compare}
shift || true
case "$what" in
  kernels) exec ./build-bench/bench/bp_bench "$@" ;;
  train) exec ./build-bench/bench/bp_bench_train "$@" ;;
  compare) exec /usr/bin/python3 bench/compare_pytorch.py --bench build-bench/bench/bp_bench_train "$@" ;;
  *) echo "usage: scripts/bench.sh kernels|train|compare [args]" >&2; exit 2 ;;
esac
