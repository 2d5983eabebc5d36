#!/usr/bin/env bash
# Engine throughput against PostgreSQL's own rate, ratios from one run (docs/performance.md).
# Usage: scripts/with-stack bench/engine_unload.sh [SCALE=10] [BUILD=build/engine-rel]
#   SCALE: TICKIT scale factor for `sales` (stack_load_tickit; ~10 ≈ 1 GB of text... see
#   the printed size). Needs a Release build of the engine_unload target in BUILD.
set -euo pipefail
SCALE=${1:-10}
BUILD=${2:-build/engine-rel}
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/$BUILD/bench/engine_unload"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $BUILD --target engine_unload" >&2; exit 1; }
db=bench_sales
base="host=$CU_PG_HOST port=$CU_PG_PORT user=$CU_PG_USER"
"$CU_PG_BIN/psql" -X -q "$base dbname=postgres" -c "drop database if exists $db" -c "create database $db"
"$CU_PG_BIN/psql" -X -q "$base dbname=$db" -c "set client_min_messages = warning" \
  -f "$here/scripts/sql/tickit.sql" -c "select tickit_generate($SCALE)" -c "analyze" >/dev/null
conn="$base dbname=$db"
psql="$CU_PG_BIN/psql -X -q -h $CU_PG_HOST -p $CU_PG_PORT -U $CU_PG_USER -d $db"
out=$(mktemp -d "${TMPDIR:-/tmp}/engine_bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
rows=$($psql -At -c "select count(*) from sales")
bytes=$($psql -At -c "select sum(length(s::text)) from sales s")
echo "sales: $rows rows, ~$bytes bytes of text"
t() { local s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
ref=$(t bash -c "$psql -c '\\copy (select * from sales) to stdout' > /dev/null")
gz=$(t bash -c "$psql -c '\\copy (select * from sales) to stdout' | gzip > $out/ref.gz")
echo "reference psql \\copy > /dev/null: ${ref}s; psql | gzip: ${gz}s"
run() {
  local name=$1; shift
  rm -rf "$out/e"; mkdir -p "$out/e"
  local s=$(date +%s.%N)
  local j=$("$bin" "$conn" "select * from sales" "$out/e/x_" "$@")
  local secs=$(echo "$(date +%s.%N) - $s" | bc)
  echo "$name: ${secs}s  vs reference x$(echo "scale=2; $ref / $secs" | bc)  vs psql|gzip x$(echo "scale=2; $gz / $secs" | bc)  $j"
}
run "text"           text none
run "text GZIP"      text gzip
run "text ZSTD"      text zstd
run "parquet SNAPPY" parquet none
run "text PARALLEL OFF" text none off
s=$(date +%s.%N)
$psql -c "\\copy (select * from sales) to '$out/two.csv' with (format csv)"
$CU_DUCKDB exec "COPY (SELECT * FROM read_csv('$out/two.csv')) TO '$out/two.parquet' (FORMAT parquet)"
echo "two-step psql → CSV → DuckDB parquet: $(echo "$(date +%s.%N) - $s" | bc)s"
$psql -c "create table if not exists sales1000 as select s.*, (salesid % 1000) as p from sales s" >/dev/null
rm -rf "$out/e"; mkdir -p "$out/e"
echo "1,000 partitions (csv): $("$bin" "$conn" "select * from sales1000" "$out/e/p" csv none on p)"
