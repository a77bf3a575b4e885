#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MPI tests (ctest registers each; tests/mpi/CMakeLists.txt):
#   run_mpi_tests.sh BUILD_DIR determinism|checkpoint|failure|cli
# determinism: the weight checksum after training (dropout, clipping, cosine
#   schedule) is the same for one process x 2 threads (no MPI in the step),
#   1 rank, and 2, 3, 4 ranks x 1 thread (4 oversubscribed on 2 cores), and
#   2 ranks x 2 threads, for SGD-momentum and Adam; prints the table, and
#   the allreduce mode's checksums for comparison (not bit-identical).
# checkpoint: 2 epochs on 2 ranks, checkpoint, 2 more on 3 ranks (and 3
#   then 1) == 4 epochs on one process.
# failure: a rank with NaNs in its copy of the data ends the whole job,
#   with a message naming the rank, in well under the timeout.
# cli: 'mpirun -np 3 backprop train' writes the same model file, byte for
#   byte, as one process; a bad file on rank 1 ends the job with its message.
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
    for cfg in plain:1:2 1:1 2:1 3:1 4:1 2:2; do
      if [ "${cfg%%:*}" = plain ]; then
        np=1; th=${cfg##*:}; extra=(--plain); label="1 x $th (one process)"
      else
        np=${cfg%%:*}; th=${cfg##*:}; extra=(); label="$np x $th"
      fi
      out=$(OMP_WAIT_POLICY=passive "${run[@]}" -np "$np" "$check" --opt "$opt" --threads "$th" "${extra[@]}")
      sum=$(sum_of <<<"$out"); loss=$(awk '/^checksum/ {print $4}' <<<"$out")
      [ -n "$sum" ] || fail "$opt $label: no checksum in: $out"
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
    -o "$tmp/three.bpm" > "$tmp/three.out"
  cmp "$tmp/one.bpm" "$tmp/three.bpm" || fail "3 ranks wrote a different model than one process"
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
*) fail "unknown test '$what'" ;;
esac
