#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Mutation check: applies each source mutation of tests/mutations.txt, one
# at a time, to a COPY of the source tree (the checkout is never touched),
# rebuilds that copy incrementally, runs the ctest names the entry lists,
# and reports the mutation KILLED (some test failed) or SURVIVED.
#
#   tests/mutation.sh --all          every mutation (by hand: ~15-25 min on 2 cores)
#   tests/mutation.sh NAME...        the named ones (scripts/test-mutation.sh: the CI subset)
#   tests/mutation.sh --list         the names
#   tests/mutation.sh --check        only whether every mutation still applies (seconds)
#
# Exit status 0 only when every mutation applied exactly once, built, and
# was killed, and the unmutated copy passed the same tests first.
# Environment: BP_MUTATION_CMAKE_ARGS (extra cmake arguments for the copy's
# build, e.g. "-DBP_ENABLE_AVX2=OFF -DBP_ENABLE_AVX512=OFF" for a quick
# scalar-only build), BP_MUTATION_JOBS (default: nproc).
set -euo pipefail
shopt -s extglob
root=$(cd "$(dirname "$0")/.." && pwd)
list=$root/tests/mutations.txt
jobs=${BP_MUTATION_JOBS:-$(nproc)}

usage() { sed -n '/^#   tests/p' "$0" | sed 's/^# *//'; exit 2; }
[ $# -gt 0 ] || usage

# The entries: name|file|original|replacement|tests, comments and blanks skipped.
entries() { grep -v -e '^#' -e '^[[:space:]]*$' "$list"; }
entry() { entries | awk -F'|' -v n="$1" '$1 == n'; }

bad=$(entries | awk -F'|' 'NF != 5 { print "  " $0 }')
[ -z "$bad" ] || { printf 'mutation.sh: entries without exactly 5 fields in %s:\n%s\n' "$list" "$bad" >&2; exit 2; }
if [ "$1" = --list ]; then entries | cut -d'|' -f1; exit 0; fi
check_only=0
if [ "$1" = --check ]; then check_only=1; set -- --all; fi
declare -a want=()
if [ "$1" = --all ]; then
  mapfile -t want < <(entries | cut -d'|' -f1)
else
  want=("$@")
  for n in "${want[@]}"; do
    entries | cut -d'|' -f1 | grep -qxF -- "$n" || { echo "mutation.sh: no mutation named '$n' in $list" >&2; exit 2; }
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bp-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
src=$work/src build=$work/build

# The copy: every file git tracks or would track (uncommitted edits
# included); without git, every file outside the build directories.
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)
else
  (cd "$root" && find . \( -path './build*' -o -path ./.git \) -prune -o -type f -print0 |
    xargs -0 cp --parents -t "$src")
fi
[ -f "$src/CMakeLists.txt" ] || { echo "mutation.sh: could not copy the source tree" >&2; exit 1; }

# Exact replacement of $3 by $4 in file $2 of the copy; "\n" means newline.
# Fails (status 1, the count on stderr) unless $3 occurs exactly once.
mutate() {
  perl -e '
    my ($f, $o, $r) = @ARGV;
    s/\\n/\n/g for ($o, $r);
    open(my $h, "<", $f) or die "$f: $!\n"; local $/; my $s = <$h>; close $h;
    my ($n, $p) = (0, 0);
    while (($p = index($s, $o, $p)) >= 0) { $n++; $p += length $o; }
    if ($n != 1) { print STDERR "found $n times\n"; exit 1; }
    substr($s, index($s, $o), length $o) = $r;
    open($h, ">", $f) or die "$f: $!\n"; print $h $s; close $h;' "$1" "$2" "$3"
}

# Executables for ctest names (name, or name_<isa> for the per-ISA runs).
targets_of() { for t in "$@"; do echo "${t%_@(scalar|avx2|avx512|neon)}"; done | sort -u; }

# Runs the named tests; prints the failed ones. Status: 0 all passed, 1 some
# failed, 2 some did not run (missing, or skipped on this CPU) and none failed.
run_tests() {
  local regex out rc=0
  regex="^($(IFS='|'; echo "$*"))\$"
  out=$(ctest --test-dir "$build" -R "$regex" -j"$jobs" --timeout 600 2>&1) || rc=$?
  local failed
  failed=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*[0-9]* - \([A-Za-z0-9_]*\) (\(.*\))$/\1(\2)/p' |
           grep -v '(Skipped)' | tr '\n' ' ' || true)
  if [ "$rc" -ne 0 ] && [ -n "$failed" ]; then echo "$failed"; return 1; fi
  local ran
  ran=$(printf '%s\n' "$out" | grep -cE 'Test +#[0-9]+: .* (Passed|Failed)' || true)
  if [ "$rc" -ne 0 ] || [ "$ran" -ne $# ]; then
    echo "only $ran of $# tests ran: $(printf '%s\n' "$out" | grep -E 'Skipped|No tests' | head -3 | tr '\n' ' ')"
    return 2
  fi
  return 0
}

if [ "$check_only" = 1 ]; then
  n_bad=0
  for n in "${want[@]}"; do
    IFS='|' read -r _ file orig repl _ < <(entry "$n")
    cp "$src/$file" "$work/saved"
    if ! err=$(mutate "$src/$file" "$orig" "$repl" 2>&1); then
      echo "   $n: NO-APPLY: original text $err in $file"
      n_bad=$((n_bad + 1))
    fi
    cp "$work/saved" "$src/$file"
  done
  echo "== $(( ${#want[@]} - n_bad )) of ${#want[@]} mutations apply"
  [ "$n_bad" -eq 0 ]
  exit
fi

echo "== mutation check: ${#want[@]} mutations, copy in $work"
t0=$(date +%s)
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release ${BP_MUTATION_CMAKE_ARGS:-} >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log"; exit 1; }

# The unmutated copy must pass every test the selected mutations use.
declare -a all_tests=()
for n in "${want[@]}"; do
  IFS='|' read -r _ _ _ _ tests < <(entry "$n")
  for t in $tests; do all_tests+=("$t"); done
done
mapfile -t all_tests < <(printf '%s\n' "${all_tests[@]}" | sort -u)
mapfile -t all_targets < <(targets_of "${all_tests[@]}")
cmake --build "$build" -j"$jobs" --target "${all_targets[@]}" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; echo "mutation.sh: the unmutated copy does not build"; exit 1; }
if ! why=$(run_tests "${all_tests[@]}"); then
  echo "mutation.sh: the unmutated tree fails or skips its own tests: $why" >&2
  exit 1
fi
echo "   baseline built and passed ${#all_tests[@]} tests in $(( $(date +%s) - t0 )) s"

fails=0
declare -a rows=()
for n in "${want[@]}"; do
  IFS='|' read -r name file orig repl tests < <(entry "$n")
  m0=$(date +%s)
  cp "$src/$file" "$work/saved"
  result="" by=""
  if ! err=$(mutate "$src/$file" "$orig" "$repl" 2>&1); then
    result=NO-APPLY by="original text $err in $file"
  else
    # shellcheck disable=SC2086
    mapfile -t tg < <(targets_of $tests)
    if ! cmake --build "$build" -j"$jobs" --target "${tg[@]}" >"$work/build.log" 2>&1; then
      result=BUILD-FAILED by=$(grep -m1 'error' "$work/build.log" || echo "see build log")
    else
      # shellcheck disable=SC2086
      by=$(run_tests $tests) && st=0 || st=$?
      case $st in
        0) result=SURVIVED by="($tests passed)" ;;
        1) result=KILLED ;;
        *) result=UNTESTED ;;
      esac
    fi
  fi
  # Restore (a fresh mtime, so the next build recompiles the file).
  cp "$work/saved" "$src/$file"
  [ "$result" = KILLED ] || fails=$((fails + 1))
  row=$(printf '%-36s %-9s %4ss  %s' "$name" "$result" "$(( $(date +%s) - m0 ))" "$by")
  echo "   $row"
  rows+=("$row")
done

echo "== mutation check: $(( ${#want[@]} - fails )) of ${#want[@]} killed in $(( $(date +%s) - t0 )) s"
if [ "$fails" -ne 0 ]; then
  echo "mutation.sh: $fails mutations not killed (SURVIVED, NO-APPLY, BUILD-FAILED or UNTESTED)" >&2
  exit 1
fi
