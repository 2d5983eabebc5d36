#!/usr/bin/env bash
# The checks scripts/test runs before building catch what they are for: each is run on a
# small throwaway repository, clean (exit 0) and with one planted fault (exit 1, naming the
# file). scripts/check-paths: a path outside the repository; scripts/check-layers: an
# include the target does not declare, a declared dependency nothing includes, libpq
# outside src/pg/ (but not a comment that mentions it); scripts/check-format: an
# unformatted file. Then all three on this repository itself.
source "$(dirname "$0")/../support/testlib.sh"

repo="$(cu_tmpdir)"
mkdir -p "$repo/scripts" "$repo/src/base" "$repo/src/pg" "$repo/src/engine"
cp "$CU_SOURCE_DIR"/scripts/check-{paths,layers,format} "$CU_SOURCE_DIR/.clang-format" "$repo/scripts/"
mv "$repo/scripts/.clang-format" "$repo/"
cat >"$repo/CMakeLists.txt" <<'EOF'
cu_area(base    DEPS fmt::fmt)
cu_area(pg      DEPS cu_base PostgreSQL::PostgreSQL)
cu_area(engine  DEPS cu_pg)
EOF
printf '#pragma once\nint base_fn();\n' >"$repo/src/base/b.h"
printf '#pragma once\n#include <libpq-fe.h>\n\n#include "base/b.h"\nPGconn* open_db();\n' >"$repo/src/pg/conn.h"
printf '#include "pg/conn.h"\n\n// The COPY rows come from PQgetCopyData() in pg/.\nint engine_fn() { return base_fn(); }\n' >"$repo/src/engine/run.cpp"
printf 'Reference material lives in docs/.\n' >"$repo/README.md"
git -C "$repo" init -q
git -C "$repo" add -A

run() { # run CHECK: sets rc and out
  rc=0
  out=$(cd "$repo" && "scripts/$1" 2>&1) || rc=$?
}
expect_ok() {
  run "$1"
  [[ $rc -eq 0 ]] || cu_fail "$1 failed on a clean repository ($2): $out"
}
expect_fail() { # CHECK WHAT TEXT...: exit 1 and every TEXT in the output
  local check=$1 what=$2
  shift 2
  run "$check"
  [[ $rc -eq 1 ]] || cu_fail "$check did not fail for $what (exit $rc): $out"
  local t
  for t in "$@"; do
    [[ "$out" == *"$t"* ]] || cu_fail "$check: no '$t' in its report of $what: $out"
  done
}

expect_ok check-paths "baseline"
expect_ok check-layers "baseline (the comment naming PQgetCopyData is not a call)"
expect_ok check-format "baseline"

# check-paths: written in pieces so that this test does not trip the check on the real tree.
s='sha''red' w='wo''rk'
echo "see ../$s/spec/x.md" >>"$repo/README.md"
git -C "$repo" add README.md
expect_fail check-paths "a sibling folder" "README.md:2"
printf 'Reference material lives in docs/.\n' >"$repo/README.md"
printf '// data in /%s/%s/testdata\nint x;\n' "$w" "$s" >"$repo/src/base/x.cpp"
git -C "$repo" add -A
expect_fail check-paths "an absolute workspace path" "src/base/x.cpp:1"
rm "$repo/src/base/x.cpp"
git -C "$repo" add -A
expect_ok check-paths "after removing the planted paths"

# check-layers: an include of an area the target does not declare (base does not reach engine).
printf '#include "engine/run.h"\nint y;\n' >"$repo/src/base/up.cpp"
git -C "$repo" add -A
expect_fail check-layers "an undeclared include" "src/base/up.cpp: includes engine/" "cu_base does not depend on cu_engine"
rm "$repo/src/base/up.cpp"
# ... libpq outside src/pg/ ...
printf '#include "pg/conn.h"\nvoid f(PGconn* c) { PQfinish(c); }\n' >"$repo/src/engine/leak.cpp"
git -C "$repo" add -A
expect_fail check-layers "libpq in engine" "src/engine/leak.cpp: uses libpq"
rm "$repo/src/engine/leak.cpp"
# ... libpq linked to another target, and a declared dependency nothing includes.
sed -i 's/^cu_area(engine  DEPS cu_pg)$/cu_area(engine  DEPS cu_pg cu_base PostgreSQL::PostgreSQL)/' "$repo/CMakeLists.txt"
printf 'cu_area(cli     DEPS cu_engine)\n' >>"$repo/CMakeLists.txt"
mkdir -p "$repo/src/cli"
printf '#include "pg/conn.h"\nint main() {}\n' >"$repo/src/cli/main.cpp"
git -C "$repo" add -A
expect_fail check-layers "an unused dependency and libpq linked outside pg" \
  "cu_engine links PostgreSQL::PostgreSQL" "cu_cli declares cu_engine, but no file of src/cli/ includes engine/"

# check-format: one badly formatted file.
printf 'int   z( ){return 1;}\n' >"$repo/src/base/z.cpp"
git -C "$repo" add -A
expect_fail check-format "an unformatted file" "not formatted: src/base/z.cpp"

# And the repository itself passes all three.
for c in check-paths check-layers check-format; do
  "$CU_SOURCE_DIR/scripts/$c" >/dev/null || cu_fail "scripts/$c fails on the repository itself"
done
cu_note "ok: check-paths, check-layers and check-format catch planted faults; the tree is clean"
