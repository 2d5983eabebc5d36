#!/usr/bin/env bash
# Gateway overhead (issue 6's Measure): the same unload of TICKIT sales by
# `crossunload run --mode client` straight from PostgreSQL and by UNLOAD through
# `crossunload gateway` (engine executor), both to a local folder, text and CSV, PARALLEL
# OFF and ON; RUNS rounds alternating the two, medians. Then the latency of `select 1`
# through the gateway vs direct (pgbench, 1 client), alternating, 2 × 5 s each.
#
# Usage: CROSSUNLOAD=build/release/crossunload bash scripts/lib/pattern_bench.sh [SCALE=90] [RUNS=3]
# PostgreSQL and the generated database are bench/lib/bench_pg.sh's, shared with
# bench/engine_unload.sh and kept between runs (generated only when missing or at another
# scale). Figures in docs/performance.md.
set -euo pipefail
SCALE=${1:-90}
RUNS=${2:-3}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/bench/lib/bench_pg.sh"
[[ -x ${CROSSUNLOAD:-} ]] || {
  echo "set CROSSUNLOAD to the crossunload executable (e.g. build/release/crossunload)" >&2
  exit 2
}
bench_pg_start
db=bench_sales
bench_pg_tickit "$SCALE" $db
CU=$CROSSUNLOAD
D=$(mktemp -d "${TMPDIR:-/var/tmp}/cu-bench.XXXXXX")
stack_on_exit "rm -rf '$D'"
$CU gateway --listen 127.0.0.1:0 --upstream "127.0.0.1:$CU_PG_PORT" --local-root "$D" >"$D/gw.log" 2>&1 &
GW=$!
stack_on_exit "kill $GW"
for _ in $(seq 100); do grep -q listening "$D/gw.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$D/gw.log")
[[ -n $PORT ]] || {
  cat "$D/gw.log" >&2
  echo "the gateway did not start (log above)" >&2
  exit 1
}
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $CU ($(grep -o 'CMAKE_BUILD_TYPE:STRING=.*' "$(dirname "$(readlink -f "$CU")")/CMakeCache.txt" 2>/dev/null | cut -d= -f2)), sales: $(bench_pg_describe $db), load $(cut -d' ' -f1-3 /proc/loadavg)"
src="host=127.0.0.1 port=$CU_PG_PORT dbname=$db user=$CU_PG_USER"
gw="host=127.0.0.1 port=$PORT dbname=$db user=$CU_PG_USER sslmode=disable"
# timed CMD...: wall seconds of one run into an empty $D/o (output not timed away).
timed() {
  rm -rf "$D/o"
  mkdir -p "$D/o"
  sync
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$D/last.log" 2>&1 || {
    cat "$D/last.log" >&2
    echo "failed: $*" >&2
    exit 1
  }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "| format, PARALLEL | client mode runs (s) | gateway runs (s) | client median | gateway median | overhead | load |"
echo "|---|---|---|---|---|---|---|"
for fmt in text csv; do
  for par in off on; do
    opt=""
    [[ $fmt == csv ]] && opt="FORMAT CSV"
    flags=()
    [[ $fmt == csv ]] && flags+=(--format csv)
    [[ $par == off ]] && flags+=(--no-parallel)
    cs=() gs=() loads=()
    for ((r = 1; r <= RUNS; r++)); do
      loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      t=$(timed "$CU" run --mode client --source "$src" --query 'select * from sales' --to "$D/o/sales_" "${flags[@]}")
      cs+=("$t")
      t=$(timed env PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -v ON_ERROR_STOP=1 "$gw" -c "UNLOAD ('select * from sales') TO '$D/o/sales_' IAM_ROLE default $opt PARALLEL $par")
      gs+=("$t")
    done
    bytes=$(du -sb "$D/o" | cut -f1)
    c=$(median "${cs[@]}")
    g=$(median "${gs[@]}")
    l=$(printf '%s\n' "${loads[@]}" | sort -g | sed -n '1p;$p' | paste -sd '-')
    printf '| %s, %s | %s | %s | %.2f s | %.2f s | %+.1f %% | %s |\n' "$fmt" "$par" \
      "$(printf '%.2f ' "${cs[@]}")" "$(printf '%.2f ' "${gs[@]}")" "$c" "$g" \
      "$(echo "($g - $c) * 100 / $c" | bc -l)" "$l"
    echo "  ($fmt $par: $bytes bytes of output)" >&2
  done
done
echo
echo 'select 1;' >"$D/q.sql"
for round in 1 2; do
  for target in "$CU_PG_PORT direct" "$PORT gateway"; do
    set -- $target
    lat=$(PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/pgbench" -n -h 127.0.0.1 -p "$1" -U "$CU_PG_USER" \
      -f "$D/q.sql" -T 5 -c 1 $db 2>/dev/null | sed -n 's/latency average = \([0-9.]*\) ms/\1/p')
    echo "select 1, round $round, $2: $lat ms per round trip (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
