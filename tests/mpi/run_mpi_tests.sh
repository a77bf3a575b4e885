#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MPI tests (ctest registers each; tests/mpi/CMakeLists.txt):
#   run_mpi_tests.sh BUILD_DIR determinism|checkpoint|failure|cli|interrupt
# determinism: the weight checksum after training (dropout, clipping, cosine
#   schedule) is the same for one process x 2 threads (no MPI in the step),
#   1 rank, and 2, 3, 4 ranks x 1 thread (4 oversubscribed on 2 cores), and
#   2 ranks x 2 threads, through shared memory (the chain's default on one
#   machine), and 3 ranks x 1 thread through messages (BP_MPI_SHM=0, the
#   path between machines), for SGD-momentum and Adam; prints the table, and
#   the allreduce mode's checksums for comparison (not bit-identical).
# checkpoint: 2 epochs on 2 ranks, checkpoint, 2 more on 3 ranks (and 3
#   then 1) == 4 epochs on one process.
# failure: a rank with NaNs in its copy of the data ends the whole job,
#   with a message naming the rank, in well under the timeout.
# cli: 'mpirun -np 3 backprop train' writes the same model file, byte for
#   byte, as one process; a bad file on rank 1 ends the job with its message.
# interrupt: SIGINT to mpirun (a Ctrl-C at the terminal reaches mpirun only;
#   Open MPI 4.1's mpirun then sends the ranks SIGTERM, and SIGKILL a second
#   later) ends the job within seconds, non-zero, with one 'interrupted'
#   message, and rank 0 has saved a model that loads.
set -euo pipefail
build=$(cd "$1" && pwd)
what=$2
check=$build/tests/mpi/mpi_train_check
cli=$build/backprop
run=(mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
if [ "$(id -u)" -eq 0 ]; then run+=(--allow-run-as-root); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sum_of() { awk '/^checksum/ {print $2}'; }

case $what in
determinism)
  printf '%-10s %-28s %-18s %s\n' optimizer "ranks x threads" checksum "final loss"
  for opt in momentum adam; do
    ref=""
    for cfg in plain:1:2 1:1 2:1 3:1 4:1 2:2 3:1:messages; do
      IFS=: read -r np th how <<<"$cfg"
      shm=1; extra=(); label="$np x $th"
      if [ "$np" = plain ]; then
        np=1; th=$how; extra=(--plain); label="1 x $th (one process)"
      elif [ "$how" = messages ]; then
        shm=0; label="$np x $th (messages, BP_MPI_SHM=0)"
      fi
      out=$(OMP_WAIT_POLICY=passive "${run[@]}" -x BP_MPI_SHM=$shm -np "$np" "$check" --opt "$opt" \
            --threads "$th" "${extra[@]}")
      sum=$(sum_of <<<"$out"); loss=$(awk '/^checksum/ {print $4}' <<<"$out")
      [ -n "$sum" ] || fail "$opt $label: no checksum in: $out"
      # Several ranks on this machine chain through shared memory unless told not to.
      want=messages; [ "$np" -gt 1 ] && [ "$shm" = 1 ] && [ "${extra[*]}" = "" ] && want=shm
      grep -qx "transport $want" <<<"$out" || fail "$opt $label: expected transport $want in: $out"
      printf '%-10s %-28s %-18s %s\n' "$opt" "$label" "$sum" "$loss"
      if [ -z "$ref" ]; then ref=$sum; elif [ "$sum" != "$ref" ]; then
        fail "$opt: $label gives $sum, one process gives $ref"; fi
    done
    for np in 2 3; do
      out=$("${run[@]}" -np "$np" "$check" --opt "$opt" --reduction allreduce)
      printf '%-10s %-28s %-18s %s\n' "$opt" "$np x 1 allreduce (drifts)" "$(sum_of <<<"$out")" \
        "$(awk '/^checksum/ {print $4}' <<<"$out")"
    done
  done
  echo "determinism: one checksum per optimizer over every chained configuration"
  ;;
checkpoint)
  for opt in momentum adam; do
    ref=$("$check" --opt "$opt" --plain | sum_of)
    for pair in 2:3 3:1; do
      n=${pair%%:*}; m=${pair##*:}
      "${run[@]}" -np "$n" "$check" --opt "$opt" --epochs-run 2 --save "$tmp/ck.bpm" >/dev/null
      got=$("${run[@]}" -np "$m" "$check" --opt "$opt" --resume "$tmp/ck.bpm" | sum_of)
      echo "$opt: 2 epochs on $n ranks + 2 on $m ranks: $got (one process, 4 epochs: $ref)"
      [ "$got" = "$ref" ] || fail "$opt: checkpoint from $n ranks resumed on $m differs"
    done
  done
  ;;
failure)
  start=$(date +%s)
  set +e
  out=$(timeout 60 "${run[@]}" -np 3 "$check" --opt adam --poison-rank 1 2>&1)
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  echo "$out" | grep -v '^$' | head -5
  echo "exit status $rc after $took s"
  [ "$rc" -ne 0 ] || fail "the job with a failing rank exited 0"
  [ "$rc" -ne 124 ] || fail "the job with a failing rank hung (killed by timeout after 60 s)"
  grep -q "rank 1: bp_trainer_fit: .*not finite\|rank 1: bp_trainer_fit: .*NaN" <<<"$out" ||
    fail "no message naming rank 1 and the bad value"
  [ "$took" -le 20 ] || fail "the job took $took s to end"
  ;;
cli)
  "$cli" train -q --data spirals --epochs 5 --dropout 0.1 --clip 1 -o "$tmp/one.bpm" >/dev/null
  "${run[@]}" -np 3 "$cli" train -q --data spirals --epochs 5 --dropout 0.1 --clip 1 \
    -o "$tmp/three.bpm" > "$tmp/three.out" 2> "$tmp/three.err"
  cmp "$tmp/one.bpm" "$tmp/three.bpm" || fail "3 ranks wrote a different model than one process"
  grep -q "3 MPI processes, chain reduction through shared memory" "$tmp/three.err" ||
    fail "the 3 ranks did not chain through shared memory: $(cat "$tmp/three.err")"
  [ "$(grep -c '^model:' "$tmp/three.out")" -eq 1 ] || fail "more than one rank reported"
  echo "cli: 3 ranks wrote the same model bytes as one process"
  awk 'BEGIN { srand(1); for (i = 0; i < 300; i++) { a = rand(); b = rand();
       printf "%f,%f,%d\n", a, b, (a + b > 1) } }' > "$tmp/d-0.csv"
  sed '120s/.*/0.5,nan,1/' "$tmp/d-0.csv" > "$tmp/d-1.csv"
  set +e
  out=$(timeout 60 "${run[@]}" -np 2 "$cli" train -q --data "$tmp/d-%d.csv" -o "$tmp/x.bpm" 2>&1)
  rc=$?
  set -e
  echo "$out" | head -3
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "a bad file on rank 1: exit status $rc"
  grep -q "backprop train (rank 1): --data: .*d-1.csv line 120" <<<"$out" ||
    fail "no message naming rank 1's file and line"
  ;;
interrupt)
  "${run[@]}" -np 2 "$cli" train --data spirals --epochs 100000 --threads 1 -o "$tmp/int.bpm" \
    > "$tmp/int.out" 2> "$tmp/int.err" &
  pid=$!
  for _ in $(seq 600); do grep -q '^epoch' "$tmp/int.err" && break; sleep 0.1; done
  grep -q '^epoch' "$tmp/int.err" || { kill -KILL "$pid"; fail "training did not start in 60 s"; }
  start=$(date +%s)
  kill -INT "$pid"
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "mpirun still runs 30 s after SIGINT"; fi
  set +e
  wait "$pid"
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  grep -v '^$' "$tmp/int.err" | tail -3
  echo "exit status $rc after $took s"
  [ "$rc" -ne 0 ] || fail "the interrupted job exited 0"
  [ "$(grep -c 'interrupted in epoch' "$tmp/int.err")" -eq 1 ] ||
    fail "not exactly one 'interrupted' message: $(cat "$tmp/int.err")"
  grep -q "^model:     $tmp/int.bpm" "$tmp/int.out" || fail "rank 0 did not report the saved model"
  "$cli" summary "$tmp/int.bpm" >/dev/null || fail "the model saved on interrupt does not load"
  [ "$took" -le 10 ] || fail "the job took $took s to end after SIGINT"
  ;;
*) fail "unknown test '$what'" ;;
esac
