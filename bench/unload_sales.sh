#!/usr/bin/env bash
# Throughput of `crossunload run` on TICKIT's sales table next to PostgreSQL's own
# `psql -c "\copy (select * from sales) to stdout" > /dev/null`, in the same run on the same
# throwaway server: rows/s, MB/s of output and the ratio to psql. Not part of the tests.
#
# Usage: bench/unload_sales.sh [--scale N] [--runs R]
#   --scale  TICKIT scale (default 1 = 172,456 sales; 90 gives more than 1 GB of sales)
#   --runs   runs of each method; the best is reported (default 3)
# Uses build/release (built here if needed; CU_JOBS sets the parallelism).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale=1
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
  --scale) scale=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  *) echo "usage: bench/unload_sales.sh [--scale N] [--runs R]" >&2; exit 2 ;;
  esac
done
BUILD="$ROOT/build/release"
source "$ROOT/scripts/lib/stack.sh"
stack_init

echo "== building $BUILD (RelWithDebInfo)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCU_SANITIZE=OFF \
  -DCU_BUILD_TESTS=OFF -DCU_BUILD_BENCH=OFF >/dev/null
stack_run cmake --build "$BUILD" -j "${CU_JOBS:-$(nproc)}" --target crossunload >/dev/null
CROSSUNLOAD="$BUILD/crossunload"

echo "== PostgreSQL with TICKIT scale $scale"
stack_start_postgres
stack_load_tickit "$scale"
rows=$("$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select count(*) from sales")
echo "sales: $rows rows, $("$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select pg_size_pretty(pg_table_size('sales'))") on disk"
# Warm the cache so the first method measured is not penalised.
"$CU_PG_BIN/psql" -X -q "$CU_PG_CONNINFO" -c "\\copy (select * from sales) to stdout" >/dev/null

now() { date +%s.%N; }
OUT="$CU_STACK_DIR/out"
declare -A best_s best_bytes

measure() { # NAME COMMAND... ; files go under $OUT, stdout to /dev/null (psql's output)
  local name=$1 r t0 t1 s bytes
  shift
  for ((r = 1; r <= runs; r++)); do
    rm -rf "$OUT"
    mkdir -p "$OUT"
    t0=$(now)
    if ! "$@" >/dev/null 2>"$CU_STACK_DIR/stderr"; then
      echo "$name: failed:" >&2
      cat "$CU_STACK_DIR/stderr" >&2
      best_s[$name]=fail
      return 0
    fi
    t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    bytes=$(du -sb "$OUT" | cut -f1)
    [[ "$name" == psql* ]] && bytes=$psql_bytes
    if [[ -z "${best_s[$name]:-}" || "${best_s[$name]}" == fail ]] ||
      awk -v a="$s" -v b="${best_s[$name]}" 'BEGIN { exit !(a < b) }'; then
      best_s[$name]=$s
      best_bytes[$name]=$bytes
    fi
  done
}

psql_copy() { "$CU_PG_BIN/psql" -X -q "$CU_PG_CONNINFO" -c "\\copy (select * from sales) to stdout"; }
unload_text() { "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query 'select * from sales' --to "$OUT/sales_"; }
unload_csv() { "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --query 'select * from sales' --format csv --to "$OUT/sales_"; }

psql_bytes=$(psql_copy | wc -c)
echo "== measuring (best of $runs)"
measure "psql \\copy to stdout" psql_copy
measure "crossunload run (text)" unload_text
measure "crossunload run (csv)" unload_csv

base=${best_s["psql \\copy to stdout"]}
printf '\n%-26s %9s %12s %9s %10s\n' method seconds rows/s MB/s "vs psql"
for name in "psql \\copy to stdout" "crossunload run (text)" "crossunload run (csv)"; do
  s=${best_s[$name]}
  if [[ "$s" == fail ]]; then
    printf '%-26s %9s\n' "$name" failed
    continue
  fi
  awk -v n="$name" -v s="$s" -v rows="$rows" -v bytes="${best_bytes[$name]}" -v base="$base" \
    'BEGIN { printf "%-26s %9.3f %12.0f %9.1f %9.2fx\n", n, s, rows / s, bytes / 1048576 / s, base / s }'
done
echo "(vs psql > 1 means faster than psql; machine: $(nproc) cores, scale $scale, $rows rows)"
