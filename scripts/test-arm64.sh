#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cross-builds backprop for aarch64 (NEON kernels) and runs its ctest under
# qemu-user. Works on a fresh Debian 12 (bookworm) x86-64 machine: installs
# what is missing with apt-get (sudo only when not root), and is quick when
# everything is already there. Build directory: <repo>/build-arm64.
#   bash scripts/test-arm64.sh [extra ctest arguments]
# Environment: BP_ARM64_JOBS (default 2) for the build and ctest.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build-arm64"
# arm64 packages unpacked outside dpkg (see below and the toolchain file).
DEPS="$ROOT/build-arm64-deps"
JOBS=${BP_ARM64_JOBS:-2}
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo env DEBIAN_FRONTEND=noninteractive); fi

t0=$SECONDS
log() { printf 'test-arm64: %s\n' "$*"; }

# Host tools (the host gcc/libc6-dev only for test_cli's export-c check,
# which compiles the exported header for the host), the cross compiler and
# qemu-user (qemu-user-binfmt is not needed: the toolchain's emulator runs
# every binary explicitly, see cmake/qemu-execve-shim.c), and the
# arm64 libraries the library links (multiarch, Multi-Arch: same). libffi8
# and libgit2-1.5 are Criterion's run-time dependencies besides libnanomsg.
HOST_PKGS=(cmake make pkg-config gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
ARM64_PKGS=(libsleef-dev:arm64 zlib1g-dev:arm64 libffi8:arm64 libgit2-1.5:arm64)
# Unpacked into $DEPS instead: libnanomsg5 is not Multi-Arch: same, so
# libcriterion3:arm64 cannot be installed beside the amd64 libcriterion-dev.
UNPACK_PKGS=(libcriterion3:arm64 libcriterion-dev:arm64 libnanomsg5:arm64)

missing=()
status=$(dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}" 2>/dev/null || true)
for p in "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}"; do
  # dpkg-query names native packages without ":amd64", foreign ones with ":arm64".
  grep -qE "^${p%:amd64}(:amd64)? installed$" <<<"$status" || missing+=("$p")
done

updated=0
apt_update() {
  if [ $updated -eq 0 ]; then
    "${SUDO[@]}" apt-get update -qq
    updated=1
  fi
}
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "enabling the arm64 architecture"
  "${SUDO[@]}" dpkg --add-architecture arm64
  apt_update
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt_update
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Criterion for arm64, unpacked (not installed) into $DEPS, with a
# pkg-config file pointing there. Done once; delete $DEPS to redo it.
if [ ! -f "$DEPS/.stamp" ]; then
  cand() { apt-cache policy "${UNPACK_PKGS[@]}" 2>/dev/null | awk '/^[^ ]/ {p=$1} /Candidate:/ && $2 != "(none)" {n++} END {print n+0}'; }
  [ "$(cand)" -eq ${#UNPACK_PKGS[@]} ] || apt_update
  log "unpacking ${UNPACK_PKGS[*]} into $DEPS"
  rm -rf "$DEPS"
  mkdir -p "$DEPS/debs"
  (cd "$DEPS/debs" && apt-get download -qq -o APT::Sandbox::User=root "${UNPACK_PKGS[@]}")
  for d in "$DEPS"/debs/*.deb; do dpkg-deb -x "$d" "$DEPS"; done
  lib="$DEPS/usr/lib/aarch64-linux-gnu"
  # Only the shared library is linked, so none of Requires.private.
  cat >"$lib/pkgconfig/criterion.pc" <<PC
prefix=$DEPS/usr
includedir=\${prefix}/include
libdir=\${prefix}/lib/aarch64-linux-gnu

Name: criterion
Description: Criterion for arm64, unpacked by scripts/test-arm64.sh
Version: $(dpkg-deb -f "$DEPS"/debs/libcriterion-dev_*.deb Version | sed 's/-[^-]*$//')
Libs: -L\${libdir} -lcriterion
Cflags: -I\${includedir}
PC
  (cd "$DEPS/debs" && ls *.deb) >"$DEPS/.stamp.tmp"
  rm -rf "$DEPS/debs"
  mv "$DEPS/.stamp.tmp" "$DEPS/.stamp"
fi
t_setup=$((SECONDS - t0))

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" \
  -DBP_ARM64_EXTRA_ROOT="$DEPS" -DBP_WERROR=ON >/dev/null
cmake --build "$BUILD" -j"$JOBS"
t_build=$((SECONDS - t0 - t_setup))

set +e
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" "$@"
rc=$?
set -e
log "setup ${t_setup}s, configure+build ${t_build}s, ctest $((SECONDS - t0 - t_setup - t_build))s"
exit $rc
