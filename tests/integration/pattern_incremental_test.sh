#!/usr/bin/env bash
# Incremental unloads in server mode (docs/incremental.md): the AWS pattern's job through
# `crossunload gateway` as the PROD cluster, the state in the DEV bucket (moto) written as
# the job's writing identity. Three runs with rows inserted between them: each UNLOAD
# carries its window as literals, the objects of every window (downloaded with awscli, read
# by DuckDB) are the table's rows exactly once. Rows inserted while the cluster runs the
# UNLOAD (after the job took its maximum) land in the next window.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"

sfx="-inc$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret

db=$CU_PG_DATABASE
cu_psql "$db" -c "drop table if exists inc_orders;
  create table inc_orders (id bigint primary key, placed timestamptz not null, item text);
  insert into inc_orders select i, timestamptz '2026-03-01 00:00:00+00' + i * interval '1 second',
    'item ' || i from generate_series(1, 2000) i;"
insert() {
  cu_psql "$db" -c "insert into inc_orders select i,
    timestamptz '2026-03-01 00:00:00+00' + i * interval '1 second', 'item ' || i
    from generate_series($1, $2) i"
}
state="s3://$CU_PAT_BUCKET/state/orders.json"
base="s3://$CU_PAT_BUCKET/orders"

run_n() { # run_n N QUERY: run N, its report $CU_STACK_DIR/rN.json
  pattern_run_job "$CU_STACK_DIR/r$1.json" --query "$2" --format csv --manifest \
    --incremental-column placed --state "$state" --to "$base/day={to:%Y-%m-%d}/to={to}/part_" \
    >"$CU_STACK_DIR/o$1" 2>"$CU_STACK_DIR/e$1" ||
    cu_fail "run $1 failed: $(cat "$CU_STACK_DIR/e$1") gateway: $(tail -5 "$CU_PAT_GATEWAY_LOG")"
}
q="select * from inc_orders"
s3() { AWS_PROFILE=lambda aws --endpoint-url "$CU_MOTO_ENDPOINT" --region "$CU_PAT_REGION" "$@"; }

run_n 1 "$q"
cu_assert_eq "$(jq -r .mode "$CU_STACK_DIR/r1.json")" "server" "mode"
cu_assert_eq "$(jq -c '.window | [.type, .from, .to, .prefix]' "$CU_STACK_DIR/r1.json")" \
  "[\"timestamptz\",null,\"2026-03-01 00:33:20+00\",\"$base/day=2026-03-01/to=2026-03-01T00-33-20Z/part_\"]" \
  "run 1 window"
cu_assert_eq "$(jq -r .rows "$CU_STACK_DIR/r1.json")" "2000" "run 1 rows (pg_last_unload_count)"
jq -r .unload_sql "$CU_STACK_DIR/r1.json" | grep -qF "<= cast(''2026-03-01 00:33:20+00'' as timestamptz)" ||
  cu_fail "the UNLOAD does not bound the window: $(jq -r .unload_sql "$CU_STACK_DIR/r1.json")"
insert 2001 2500
run_n 2 "$q"
cu_assert_eq "$(jq -r .rows "$CU_STACK_DIR/r2.json")" "500" "run 2 rows"

# 3. Rows inserted while the cluster runs the UNLOAD: the query sleeps in the upstream
# PostgreSQL, after the job took its maximum.
insert 2501 2600
slow="select o.* from inc_orders o, pg_sleep(3) as z"

run_n 3 "$slow" &
pid=$!
for ((i = 0; i < 300; i++)); do
  busy=$(cu_psql "$db" -Atc "select count(*) from pg_stat_activity
    where query ilike 'copy%pg_sleep%' and state = 'active'")
  ((busy > 0)) && break
  sleep 0.1
done
((busy > 0)) || cu_fail "the UNLOAD never reached its COPY: $(cat "$CU_STACK_DIR/e3")"
insert 2601 2650
wait "$pid" || cu_fail "run 3 failed"
cu_assert_eq "$(jq -r .rows "$CU_STACK_DIR/r3.json")" "100" "rows of the run during the inserts"
run_n 4 "$q"
cu_assert_eq "$(jq -r .rows "$CU_STACK_DIR/r4.json")" "50" "concurrent inserts, next window"
run_n 5 "$q"
cu_assert_eq "$(jq -c '[.window.outcome, .rows]' "$CU_STACK_DIR/r5.json")" '["empty",0]' \
  "nothing new"

# Every window's objects, read back: the table's rows, each once.
dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
s3 s3 cp --recursive --quiet "$base/" "$dl/" || cu_fail "cannot download the objects"
mapfile -t files < <(find "$dl" -name 'part_*' ! -name '*manifest' | sort)
cu_assert_eq "$(find "$dl" -name '*manifest' | wc -l)" "4" "manifests (one per window)"
# The files are copied flat (no day=/to= folders) so that DuckDB reads no partition columns.
flat="$CU_STACK_DIR/flat"
mkdir -p "$flat"
k=0
for f in "${files[@]}"; do
  k=$((k + 1))
  cp "$f" "$flat/$k.csv"
done
cu_file_rows --format csv --sort "$flat"/*.csv >"$CU_STACK_DIR/got"
cu_pg_rows "select id, to_char(placed at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', item
  from inc_orders" --sort >"$CU_STACK_DIR/want"
if ! cmp -s "$CU_STACK_DIR/want" "$CU_STACK_DIR/got"; then
  diff "$CU_STACK_DIR/want" "$CU_STACK_DIR/got" | head -6 >&2 || true
  cu_fail "the windows' rows are not the table's rows exactly once"
fi
s3 s3 cp --quiet "$state" "$CU_STACK_DIR/state.json" || cu_fail "no state in the bucket"
cu_assert_eq "$(jq -c '[.column, .type, .watermark, .pending]' "$CU_STACK_DIR/state.json")" \
  '["placed","timestamptz","2026-03-01 00:44:10+00",null]' "state in S3"
cu_note "ok: server mode, 2650 rows in four windows each once; inserts during an UNLOAD land in the next"
