#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Data-parallel benchmark (issue 12): 1 rank x 2 threads (one process, the
# plain step) against 2 ranks x 1 thread in the chained (deterministic) mode
# (through shared memory, the default on one machine, and through messages,
# BP_MPI_SHM=0) and the allreduce mode, on W1 batch 512 and W2 batch 256,
# configurations
# interleaved round by round; prints each round's samples/s and the medians
# over the rounds with the ratio to 1 x 2 and the share of each rank's time
# spent inside MPI calls (sending, receiving, waiting), and the rate of the
# fastest single step over all rounds with its ratio (bench_mpi.c: on a
# loaded machine the medians measure the load; the issue's acceptance figure
# is the W2 chain (shm) median ratio on a quiet machine).
#   bench/mpi_bench.sh [BUILD_DIR (default build-mpi)] [ROUNDS (default 5)]
# Build first: cmake -S . -B build-mpi -DBP_WITH_MPI=ON && cmake --build build-mpi -j
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-mpi}
rounds=${2:-5}
bench=$build/bp_bench_mpi
[ -x "$bench" ] || { echo "mpi_bench: build $bench first (-DBP_WITH_MPI=ON)" >&2; exit 2; }
run=(mpirun --bind-to none)
if [ "$(id -u)" -eq 0 ]; then run+=(--allow-run-as-root); fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for wl in "W1 512 20480" "W2 256 3072"; do
    set -- $wl
    for cfg in "1 2 none shm" "2 1 chain shm" "2 1 chain messages" "2 1 allreduce messages"; do
      set -- $wl $cfg
      shm=1; [ "$7" = messages ] && shm=0
      line=$("${run[@]}" -x BP_MPI_SHM=$shm -np "$4" "$bench" --workload "$1" --batch "$2" \
             --samples "$3" --threads "$5" --reduction "$6" --passes 3 | grep '^RESULT')
      [ "$6" = chain ] && line="$line transport=$7"
      # The chain must really run the way its row says.
      want=0; [ "$6" = chain ] && [ "$7" = shm ] && want=1
      grep -q "shared_memory=$want" <<<"$line" || { echo "mpi_bench: $line: expected shared_memory=$want" >&2; exit 1; }
      echo "round $r: $line" | tee -a "$out"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    red = f['reduction'] + (' (' + f['transport'] + ')' if 'transport' in f else '')
    key = (f['workload'], f['batch'], f['ranks'], f['threads'], red)
    rows.setdefault(key, []).append((float(f['samples_per_s']), float(f['mpi_share']),
                                     float(f['best_step'])))
print("| workload | batch | ranks x threads | reduction | samples/s (median) | vs 1 x 2 | MPI share "
      "| best step, samples/s | vs 1 x 2 |")
print("|---|---|---|---|---|---|---|---|---|")
for key, v in rows.items():
    wl, b, rk, th, red = key
    ref_v = rows[(wl, b, '1', '2', 'none')]
    med = statistics.median(x[0] for x in v)
    ref = statistics.median(x[0] for x in ref_v)
    share = statistics.median(x[1] for x in v)
    best, ref_best = max(x[2] for x in v), max(x[2] for x in ref_v)
    print(f"| {wl} | {b} | {rk} x {th} | {red} | {med:.0f} | {med / ref:.2f} | {100 * share:.0f}% "
          f"| {best:.0f} | {best / ref_best:.2f} |")
PY
