#!/usr/bin/env bash
# Incremental unloads through the Data API (docs/incremental.md), under moto's IAM
# enforcement: the maximum is a statement of its own (ExecuteStatement, GetStatementResult),
# the UNLOAD carries the window as literals, the state is a local file saved once the
# window's objects were verified. Two windows with rows inserted between them hold the
# table's rows exactly once (downloaded with awscli, read by DuckDB); a run with nothing new
# writes nothing; --no-wait is refused with incremental_column (exit 2).
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_data_api.sh"
pattern_data_api_world "-dinc$$"

db=$CU_PG_DATABASE
cu_psql "$db" -c "drop table if exists inc_events;
  create table inc_events (id integer primary key, day date not null, v text);
  insert into inc_events select i, date '2026-01-01' + i / 10, 'v' || i from generate_series(1, 300) i;"
state="$CU_STACK_DIR/state.json"
# A prefix without '/': moto, when it enforces IAM, refuses the signature of a ListObjectsV2
# whose prefix holds one (awscli's too).
base="s3://$CU_PAT_BUCKET/events"
run_n() { # run_n N [flags…]
  local n=$1
  shift
  pattern_run_data_api_job "$CU_STACK_DIR/r$n.json" --query "select * from inc_events" \
    --format csv --manifest --incremental-column day --state "$state" --to "${base}_{to}_part_" \
    "$@" >"$CU_STACK_DIR/o$n" 2>"$CU_STACK_DIR/e$n"
}
run_n 1 || cu_fail "run 1: $(cat "$CU_STACK_DIR/e1") gateway: $(tail -5 "$CU_PAT_GATEWAY_LOG")"
cu_assert_eq "$(jq -c '[.via, .window.type, .window.from, .window.to, .rows]' "$CU_STACK_DIR/r1.json")" \
  '["data-api","date",null,"2026-01-31",300]' "run 1"
cu_assert_eq "$(jq -r '[.steps[].name] | join(" ")' "$CU_STACK_DIR/r1.json")" \
  "assume role pii check incremental window submit statement wait verify save state" "steps"
# New days only: a row of the watermark's own day inserted now would never be unloaded.
cu_psql "$db" -c "insert into inc_events select i, date '2026-02-01' + (i - 301) / 10, 'v' || i
  from generate_series(301, 350) i"
run_n 2 || cu_fail "run 2: $(cat "$CU_STACK_DIR/e2")"
cu_assert_eq "$(jq -c '[.window.from, .window.to, .rows]' "$CU_STACK_DIR/r2.json")" \
  '["2026-01-31","2026-02-05",50]' "run 2"
run_n 3 || cu_fail "run 3: $(cat "$CU_STACK_DIR/e3")"
cu_assert_eq "$(jq -c '[.window.outcome, .rows]' "$CU_STACK_DIR/r3.json")" '["empty",0]' "run 3"
cu_assert_eq "$(jq -c '[.watermark, .pending]' "$state")" '["2026-02-05",null]' "state"

rc=0
run_n 4 --no-wait || rc=$?
cu_assert_eq "$rc" "2" "--no-wait with incremental_column"

dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=dapi-lambda aws --endpoint-url "$CU_MOTO_ENDPOINT" s3 cp --recursive --quiet \
  --exclude '*' --include 'events_*' "s3://$CU_PAT_BUCKET/" "$dl/" || cu_fail "cannot download the objects"
mapfile -t files < <(find "$dl" -name 'events_*' ! -name '*manifest' | sort)
cu_assert_eq "$(find "$dl" -name '*manifest' | wc -l)" "2" "manifests (one per window)"
cu_file_rows --format csv --sort "${files[@]}" >"$CU_STACK_DIR/got"
cu_pg_rows "select * from inc_events" --sort >"$CU_STACK_DIR/want"
if ! cmp -s "$CU_STACK_DIR/want" "$CU_STACK_DIR/got"; then
  diff "$CU_STACK_DIR/want" "$CU_STACK_DIR/got" | head -6 >&2 || true
  cu_fail "the windows' rows are not the table's rows exactly once"
fi
cu_note "ok: Data API, 350 rows in two windows each once; nothing new writes nothing"
