#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install backprop into a temporary prefix and build and run every example
# against it as another project would: with find_package(backprop CONFIG)
# (examples/CMakeLists.txt) and with pkg-config (plain cc), each with the
# shared and the static library. About 1 minute with a built tree.
#   bash scripts/test-install.sh [BUILD_DIR]   (default build-test; made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}"
build=${1:-build-test}
jobs=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$jobs" >/dev/null
cmake --install "$build" --prefix "$prefix" >/dev/null
echo "== installed tree"
find "$prefix" | sed "s|^$tmp/||" | sort

examples=(xor fashion_mnist predict_threads kernel_timing)
run_examples() { # DIR LABEL
  local d=$1
  echo "-- $2"
  "$d/xor" | tail -1
  "$d/fashion_mnist" /usr/share/datasets/fashion-mnist 2000 1 # a tiny run: 2000 rows, 1 epoch
  "$d/predict_threads" 4
  "$d/kernel_timing" 2
  # The variant links what it says: the installed shared library or none.
  local libs
  libs=$(ldd "$d/xor") # (not piped into grep -q: with pipefail, ldd's SIGPIPE fails the test)
  if grep -q "libbackprop.so" <<<"$libs"; then
    grep "libbackprop.so" <<<"$libs" | grep -q "$prefix/" ||
      { echo "test-install: $2 links a libbackprop.so outside the prefix"; exit 1; }
    [ "$3" = shared ] || { echo "test-install: $2 should not need libbackprop.so"; exit 1; }
  else
    [ "$3" = static ] || { echo "test-install: $2 does not link libbackprop.so"; exit 1; }
  fi
}

for variant in shared static; do
  static=OFF
  [ $variant = static ] && static=ON
  echo "== find_package(backprop CONFIG), $variant"
  cmake -S examples -B "$tmp/cmake-$variant" -DCMAKE_PREFIX_PATH="$prefix" \
    -Dbackprop_USE_STATIC_LIBS=$static -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$tmp/cmake-$variant" -j"$jobs" >/dev/null
  run_examples "$tmp/cmake-$variant" "find_package $variant" $variant

  echo "== pkg-config, $variant"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  if [ $variant = shared ]; then
    libs="$(pkg-config --libs backprop) -Wl,-rpath,$(pkg-config --variable=libdir backprop)"
  else
    libs=$(pkg-config --static --libs backprop | sed 's/-lbackprop/-l:libbackprop.a/')
  fi
  mkdir -p "$tmp/pc-$variant"
  for e in "${examples[@]}"; do
    cmd="cc -std=c11 -O2 -Wall -Wextra -Werror $(pkg-config --cflags backprop) examples/$e.c $libs -pthread -o $tmp/pc-$variant/$e"
    [ $e = xor ] && echo "$cmd" | sed "s|$tmp/||g"
    $cmd
  done
  run_examples "$tmp/pc-$variant" "pkg-config $variant" $variant
  unset PKG_CONFIG_PATH
done
echo "test-install: every example built and ran 4 ways"
