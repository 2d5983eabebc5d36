#!/usr/bin/env bash
# Gateway overhead: the same unload of TICKIT sales by `crossunload run --mode client`
# straight from PostgreSQL and by UNLOAD through `crossunload gateway` (engine executor),
# both to a local folder, text and CSV, PARALLEL OFF and ON; best of 3 each. Then the
# latency of `select 1` through the gateway vs direct (pgbench -S-like, 1 client).
# Usage: CROSSUNLOAD=build/release/crossunload scripts/with-stack bash scripts/lib/pattern_bench.sh [SCALE]
set -euo pipefail
SCALE=${1:-10}
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stack.sh"
stack_load_tickit "$SCALE" bench >/dev/null
CU=$CROSSUNLOAD
D=$(mktemp -d "${TMPDIR:-/tmp}/cu-bench.XXXXXX")
$CU gateway --listen 127.0.0.1:0 --upstream "127.0.0.1:$CU_PG_PORT" >"$D/gw.log" 2>&1 &
GW=$!
trap 'kill $GW; rm -rf $D' EXIT
for _ in $(seq 100); do grep -q listening "$D/gw.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$D/gw.log")
size=$("$CU_PG_BIN/psql" -X -At "host=127.0.0.1 port=$CU_PG_PORT dbname=bench user=$CU_PG_USER" -c "select pg_size_pretty(pg_total_relation_size('sales')), count(*) from sales")
echo "sales at scale $SCALE: $size"
best() { local b=999999 t; for i in 1 2 3; do rm -rf "$D/o"; mkdir -p "$D/o"; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); t=$(echo "$t1 - $t0" | bc); (( $(echo "$t < $b" | bc) )) && b=$t; done; echo "$b"; }
for fmt in text csv; do
  for par in off on; do
    opt=""; [[ $fmt == csv ]] && opt="FORMAT CSV"
    flags=(); [[ $fmt == csv ]] && flags+=(--format csv); [[ $par == off ]] && flags+=(--no-parallel)
    c=$(best $CU run --mode client --source "host=127.0.0.1 port=$CU_PG_PORT dbname=bench user=$CU_PG_USER" --query 'select * from sales' --to "$D/o/sales_" "${flags[@]}")
    g=$(best env PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$PORT dbname=bench user=$CU_PG_USER sslmode=disable" -c "UNLOAD ('select * from sales') TO '$D/o/sales_' IAM_ROLE default $opt PARALLEL $par")
    bytes=$(du -sb "$D/o" | cut -f1)
    printf '%-5s parallel %-3s  client %6.3f s   gateway %6.3f s   overhead %+5.1f%%  (%s bytes)\n' $fmt $par $c $g $(echo "($g - $c) * 100 / $c" | bc -l) $bytes
  done
done
echo 'select 1;' >"$D/q.sql"
for target in "$CU_PG_PORT direct" "$PORT gateway"; do
  set -- $target
  PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/pgbench" -n -h 127.0.0.1 -p $1 -U "$CU_PG_USER" -f "$D/q.sql" -T 10 -c 1 bench 2>/dev/null | grep -E "latency average" | sed "s/^/$2: /"
done
