# SPDX-License-Identifier: MIT
# Cross build for aarch64 Linux with Debian's gcc-aarch64-linux-gnu; tests
# run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR (no binfmt_misc).
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DBP_ARM64_EXTRA_ROOT=$PWD/build-arm64-deps
# scripts/test-arm64.sh installs the packages and does all of this.
#
# BP_ARM64_EXTRA_ROOT (optional; default <repo>/build-arm64-deps if the
# script made it): a directory with arm64 packages unpacked
# outside dpkg (<root>/usr/include, <root>/usr/lib/aarch64-linux-gnu, and a
# pkg-config dir). Criterion needs it: libcriterion3:arm64 depends on
# libnanomsg5:arm64, which is not Multi-Arch: same and so cannot be
# installed next to the amd64 libcriterion-dev the native build uses.
#
# Criterion starts each test in a worker by execve()ing the test binary;
# without binfmt_misc the host cannot run that aarch64 file. The emulator
# therefore preloads cmake/qemu-execve-shim.c (built here for aarch64),
# which re-runs such an execve through qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# No CMAKE_FIND_ROOT_PATH: re-rooting would hide /usr/lib/aarch64-linux-gnu.

set(BP_ARM64_LD_PREFIX /usr/aarch64-linux-gnu)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BP_ARM64_EXTRA_ROOT)

# Default: where scripts/test-arm64.sh unpacks them, once it has.
if(NOT BP_ARM64_EXTRA_ROOT AND EXISTS "${CMAKE_CURRENT_LIST_DIR}/../build-arm64-deps/.stamp")
  get_filename_component(BP_ARM64_EXTRA_ROOT "${CMAKE_CURRENT_LIST_DIR}/../build-arm64-deps"
                         ABSOLUTE)
endif()

set(_bp_pkgconfig "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(_bp_guest_libpath "/lib")
if(BP_ARM64_EXTRA_ROOT)
  set(_bp_extra_lib "${BP_ARM64_EXTRA_ROOT}/usr/lib/aarch64-linux-gnu")
  set(_bp_pkgconfig "${_bp_extra_lib}/pkgconfig:${_bp_pkgconfig}")
  # Guest paths that do not exist under the -L prefix fall back to the host's.
  set(_bp_guest_libpath "/lib:${_bp_extra_lib}")
  # The linker must find libcriterion's own dependencies (libnanomsg) there.
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_bp_extra_lib}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_bp_extra_lib}")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "${_bp_pkgconfig}")
unset(ENV{PKG_CONFIG_PATH})

find_program(QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT QEMU_AARCH64)
  message(FATAL_ERROR "qemu-aarch64 not found: apt-get install qemu-user")
endif()

# -E LD_LIBRARY_PATH=/lib: load libc/libgomp and the loader from the cross
# prefix (libc6-arm64-cross), not the multiarch libc6:arm64 that SLEEF pulls in.
set(_bp_emulator "${QEMU_AARCH64};-L;${BP_ARM64_LD_PREFIX};-E;LD_LIBRARY_PATH=${_bp_guest_libpath}")

get_property(_bp_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
if(NOT _bp_in_try_compile)
  set(_bp_shim_src "${CMAKE_CURRENT_LIST_DIR}/qemu-execve-shim.c")
  set(_bp_shim "${CMAKE_BINARY_DIR}/qemu-execve-shim.so")
  if(NOT EXISTS "${_bp_shim}" OR "${_bp_shim_src}" IS_NEWER_THAN "${_bp_shim}")
    execute_process(
      COMMAND ${CMAKE_C_COMPILER} -O2 -shared -fPIC -Wall -Wextra -Werror
              "${_bp_shim_src}" -o "${_bp_shim}" -ldl
      RESULT_VARIABLE _bp_rc ERROR_VARIABLE _bp_err)
    if(NOT _bp_rc EQUAL 0)
      message(FATAL_ERROR "building ${_bp_shim} failed:\n${_bp_err}")
    endif()
  endif()
  list(APPEND _bp_emulator "-E;LD_PRELOAD=${_bp_shim}"
       "-E;BP_QEMU_EXEC=${QEMU_AARCH64}" "-E;BP_QEMU_LD_PREFIX=${BP_ARM64_LD_PREFIX}")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${_bp_emulator}")
