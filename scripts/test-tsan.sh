#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ThreadSanitizer on a build without OpenMP (-DBP_ENABLE_OPENMP=OFF): the
# library must stay race-free when the threads are the caller's own
# (tests/tsan/race_alloc_save.c: allocation counters, concurrent saves).
# Also keeps the OpenMP-less build compiling with -Werror. About 1.5 min on
# 2 cores (the library build).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ThreadSanitizer, build without OpenMP"
jobs=$(nproc)
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBP_ENABLE_OPENMP=OFF -DBP_WERROR=ON \
  -DBP_BUILD_TESTS=OFF -DCMAKE_C_FLAGS=-fsanitize=thread >/dev/null
cmake --build build-tsan -j"$jobs" --target backprop_static
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Iinclude -Isrc \
  tests/tsan/race_alloc_save.c build-tsan/libbackprop.a -lsleef -lz -lm -lpthread -o build-tsan/race_alloc_save
TSAN_OPTIONS="halt_on_error=1 exitcode=66" build-tsan/race_alloc_save
