#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/check_symbols.sh NM LIB HEADER...: the dynamic symbols LIB defines
# must be exactly the functions the headers declare with BP_API. Anything
# else exported (an internal bp_ helper, a kernel, a libc or OpenMP symbol
# pulled in) fails, and so does a declared function the library lacks.
set -euo pipefail
nm=$1 lib=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Defined dynamic symbols, without the version-node markers (type A).
"$nm" -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u \
  >"$tmp/exported"
# Declarations: "BP_API <type> bp_name(" possibly after BP_NODISCARD.
cat "$@" | tr '\n' ' ' | grep -oE 'BP_API[^;(]*\bbp_[a-z0-9_]+ *\(' |
  grep -oE 'bp_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u >"$tmp/declared"
n_exp=$(wc -l <"$tmp/exported")
n_dec=$(wc -l <"$tmp/declared")
extra=$(comm -23 "$tmp/exported" "$tmp/declared")
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
status=0
if [ -n "$extra" ]; then
  echo "exported but not public API ($lib):"; echo "$extra" | sed 's/^/  /'; status=1
fi
if [ -n "$missing" ]; then
  echo "declared BP_API but not exported:"; echo "$missing" | sed 's/^/  /'; status=1
fi
[ "$n_dec" -gt 0 ] || { echo "no BP_API declarations found in $*"; status=1; }
echo "exported symbols: $n_exp; public API functions declared: $n_dec"
exit $status
