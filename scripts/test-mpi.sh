#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MPI stage of the test job: installs Open MPI, builds with
# -DBP_WITH_MPI=ON in build-mpi/ and runs the MPI tests (ctest -L mpi:
# determinism across ranks x threads, checkpoints across rank counts, a
# failing rank, the CLI under mpirun). About a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
bash scripts/deps.sh "${BP_BUILD_PACKAGES[@]}" openmpi-bin libopenmpi-dev
jobs=$(nproc)
echo "== MPI build (-DBP_WITH_MPI=ON): data-parallel training on 1-4 ranks"
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DBP_WERROR=ON -DBP_WITH_MPI=ON >/dev/null
cmake --build build-mpi -j"$jobs"
ctest --test-dir build-mpi --output-on-failure -L mpi
