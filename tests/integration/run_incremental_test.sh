#!/usr/bin/env bash
# Incremental unloads in client mode (docs/incremental.md), into a folder, the state in a
# local file: a table with a timestamp and an integer column; runs with rows inserted
# between them deliver each row exactly once (the union of every run's files, read by
# DuckDB, equals the table); a run with nothing new writes nothing and keeps the state; a
# run killed (SIGKILL) in the middle of its COPY is repeated with the same window, and rows
# inserted meanwhile land in the window after; rows inserted while a run reads its snapshot
# land in the next window; a window published by a run whose state was not saved is
# recognised by its manifest and not written twice; the integer column as the watermark,
# with incremental_start and the state in S3 (moto); mistakes are exit 2.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"

out=$(cu_tmpdir)
db=${CU_PG_DATABASE:-tickit}
cu_psql "$db" -c "drop table if exists inc_sales;
  create table inc_sales (id integer primary key, sold_at timestamp not null, qty integer);
  insert into inc_sales select i, timestamp '2026-01-01' + i * interval '1 minute', i % 7
  from generate_series(1, 1000) i;"

insert() { # insert FROM TO: rows FROM..TO, later than every row before
  cu_psql "$db" -c "insert into inc_sales select i, timestamp '2026-01-01' + i * interval '1 minute',
    i % 7 from generate_series($1, $2) i"
}
n=0
# run [flags…]: one incremental run; its report is $out/r$n.json. (A run in the background:
# n=$((n + 1)); run_n "$n" … &, so that n counts it.)
run() {
  n=$((n + 1))
  run_n "$n" "$@"
}
run_n() {
  local n=$1
  shift
  "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --incremental-column sold_at \
    --state "$out/state.json" --to "$out/data/{to}/sales_" --format csv --manifest \
    --report "$out/r$n.json" "$@" 2>"$out/e$n"
}
window_rows() { # the rows of run N's files, canonical
  local dir files
  dir=$(dirname "$(jq -r .window.prefix "$out/r$1.json")")
  mapfile -t files < <(find "$dir" -name 'sales_*' ! -name '*manifest' | sort)
  ((${#files[@]})) || return 0
  cu_file_rows --format csv --sort "${files[@]}"
}
all_delivered() { # every file of every window, canonical
  local files
  mapfile -t files < <(find "$out/data" -name 'sales_*' ! -name '*manifest' | sort)
  cu_file_rows --format csv --sort "${files[@]}"
}
check_exactly_once() {
  all_delivered >"$out/got"
  cu_pg_rows "select * from inc_sales" --sort >"$out/want"
  if ! cmp -s "$out/want" "$out/got"; then
    diff "$out/want" "$out/got" | grep '^>' | head -5 >&2 || true
    cu_fail "$1: the windows' rows are not the table's rows exactly once"
  fi
}
q="select * from inc_sales"

# 1. Three runs, rows inserted between them.
run --query "$q" || cu_fail "run 1: $(cat "$out/e$n")"
cu_assert_eq "$(jq -c '.window | [.column, .type, .from, .to, .outcome]' "$out/r1.json")" \
  '["sold_at","timestamp",null,"2026-01-01 16:40:00","published"]' "run 1 window"
cu_assert_eq "$(jq -r .rows "$out/r1.json")" "1000" "run 1 rows"
cu_assert_eq "$(jq -r .state "$out/r1.json")" "$out/state.json" "report state"
[[ -d "$out/data/2026-01-01T16-40-00" ]] || cu_fail "run 1 prefix not named by the window: $(ls "$out/data")"
cu_assert_eq "$(jq -c '[.column, .type, .watermark, .pending]' "$out/state.json")" \
  '["sold_at","timestamp","2026-01-01 16:40:00",null]' "state after run 1"
insert 1001 1500
run --query "$q" || cu_fail "run 2: $(cat "$out/e$n")"
cu_assert_eq "$(jq -c '.window | [.from, .to, .outcome]' "$out/r2.json")" \
  '["2026-01-01 16:40:00","2026-01-02 01:00:00","published"]' "run 2 window"
cu_assert_eq "$(jq -r .rows "$out/r2.json")" "500" "run 2 rows"
run --query "$q" || cu_fail "run 3 (nothing new): $(cat "$out/e$n")"
cu_assert_eq "$(jq -c '[.window.outcome, .rows, .files]' "$out/r3.json")" '["empty",0,[]]' \
  "run 3 (nothing new)"
cu_assert_eq "$(find "$out/data" -mindepth 1 -maxdepth 1 | wc -l)" "2" "prefixes after an empty run"
insert 1501 1800
run --query "$q" || cu_fail "run 4: $(cat "$out/e$n")"
cu_assert_eq "$(jq -r .rows "$out/r4.json")" "300" "run 4 rows"
check_exactly_once "three runs"
cu_note "ok: 1800 rows in three windows, each once; an empty window writes nothing"

# 2. A run killed in the middle of its COPY (the query sleeps there) is repeated with the
# same window; rows inserted after the kill go to the next window.
insert 1801 1900
slow="select s.* from inc_sales s, pg_sleep(8) as z"
n=$((n + 1))
run_n "$n" --query "$slow" &
pid=$!
for ((i = 0; i < 300; i++)); do
  busy=$(cu_psql "$db" -Atc "select count(*) from pg_stat_activity
    where query ilike 'copy%pg_sleep%' and state = 'active'")
  ((busy > 0)) && break
  sleep 0.1
done
((busy > 0)) || cu_fail "the slow run never reached its COPY: $(cat "$out/e$n")"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
cu_psql "$db" -Atc "select pg_cancel_backend(pid) from pg_stat_activity
  where query ilike 'copy%pg_sleep%'" >/dev/null
cu_assert_eq "$(jq -c '[.watermark, .pending.to]' "$out/state.json")" \
  '["2026-01-02 06:00:00","2026-01-02 07:40:00"]' "state of the killed run (pending window)"
insert 1901 1950
# The pending window must be finished where it may have been published: another `to` is refused.
rc=0
"$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --incremental-column sold_at --query "$q" \
  --state "$out/state.json" --to "$out/elsewhere/{to}/sales_" --format csv --manifest \
  2>"$out/moved.err" || rc=$?
cu_assert_eq "$rc" "2" "a pending window under another to"
grep -qF "is pending under to = $out/data/{to}/sales_" "$out/moved.err" ||
  cu_fail "message for a moved to: $(cat "$out/moved.err")"
run --query "$q" || cu_fail "re-run: $(cat "$out/e$n")"
cu_assert_eq "$(jq -c '.window | [.from, .to, .outcome]' "$out/r$n.json")" \
  '["2026-01-02 06:00:00","2026-01-02 07:40:00","published"]' "the re-run repeats the window"
cu_assert_eq "$(jq -r .rows "$out/r$n.json")" "100" "re-run rows"
run --query "$q" || cu_fail "run after the re-run: $(cat "$out/e$n")"
cu_assert_eq "$(jq -r .rows "$out/r$n.json")" "50" "rows inserted after the kill, next window"
check_exactly_once "a killed run, repeated"
cu_note "ok: a run killed in its COPY is repeated with its window; nothing twice"

# 3. Rows inserted while a run reads (after it took its maximum) land in the next window.
insert 1951 2000
slow5="select s.* from inc_sales s, pg_sleep(3) as z"
n=$((n + 1))
run_n "$n" --query "$slow5" &
pid=$!
for ((i = 0; i < 300; i++)); do
  busy=$(cu_psql "$db" -Atc "select count(*) from pg_stat_activity
    where query ilike 'copy%pg_sleep%' and state = 'active'")
  ((busy > 0)) && break
  sleep 0.1
done
((busy > 0)) || cu_fail "the run never reached its COPY: $(cat "$out/e$n")"
insert 2001 2040
wait "$pid" || cu_fail "the run during inserts failed: $(cat "$out/e$n")"
during=$n
cu_assert_eq "$(jq -r .rows "$out/r$during.json")" "50" "rows of the run during the inserts"
window_rows "$during" >"$out/during"
cu_pg_rows "select * from inc_sales where id between 1951 and 2000" --sort >"$out/want_during"
if ! cmp -s "$out/want_during" "$out/during"; then
  diff "$out/want_during" "$out/during" | grep "^>" | head -5 >&2 || true
  cu_fail "the run during the inserts holds other rows"
fi
run --query "$q" || cu_fail "run after the inserts: $(cat "$out/e$n")"
cu_assert_eq "$(jq -r .rows "$out/r$n.json")" "40" "concurrent inserts, next window"
check_exactly_once "concurrent inserts"
cu_note "ok: rows inserted during a run land in the next window"

# 4. Published, then the process died before saving the state: the state still says
# pending. The re-run finds the window's manifest and saves the state; nothing twice.
insert 2041 2100
cp "$out/state.json" "$out/state.before"
run --query "$q" || cu_fail "run before the simulated crash: $(cat "$out/e$n")"
jq --slurpfile saved "$out/state.json" '.pending = $saved[0].window' "$out/state.before" \
  >"$out/state.pending"
cu_assert_eq "$(jq -c '[.watermark, .pending.to]' "$out/state.pending")" \
  '["2026-01-02 10:00:00","2026-01-02 11:00:00"]' "the state as a crash after the publish left it"
mv "$out/state.pending" "$out/state.json"
before=$(find "$out/data" -type f | sort)
run --query "$q" || cu_fail "run after the simulated crash: $(cat "$out/e$n")"
cu_assert_eq "$(jq -r .window.outcome "$out/r$n.json")" "published earlier" "outcome"
cu_assert_eq "$(find "$out/data" -type f | sort)" "$before" "files after recovering"
cu_assert_eq "$(jq -c '[.watermark, .pending]' "$out/state.json")" \
  '["2026-01-02 11:00:00",null]' "state after recovering"
check_exactly_once "published before the state was saved"
cu_note "ok: a window published before its state was saved is not written twice"

# 5. The integer column, incremental_start, the state in S3 (moto), a {from} placeholder.
# moto (not enforcing IAM here) takes any key.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT"
aws --endpoint-url "$CU_MOTO_ENDPOINT" s3 mb "s3://inc-state-$$" >/dev/null ||
  cu_fail "cannot create the state bucket"
irun() {
  n=$((n + 1))
  "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --incremental-column id \
    --incremental-start 100 --state "s3://inc-state-$$/jobs/ids.json" \
    --to "$out/ids/{from}-{to}/part_" --format csv --no-parallel --report "$out/r$n.json" \
    --query "select id, qty from inc_sales" 2>"$out/e$n"
}
irun || cu_fail "integer run 1: $(cat "$out/e$n")"
cu_assert_eq "$(jq -c '.window | [.type, .from, .to]' "$out/r$n.json")" \
  '["integer","100","2100"]' "integer window"
[[ -f "$out/ids/100-2100/part_000" ]] || cu_fail "integer prefix: $(ls "$out/ids")"
insert 2101 2110
irun || cu_fail "integer run 2: $(cat "$out/e$n")"
[[ -f "$out/ids/2100-2110/part_000" ]] || cu_fail "integer prefix 2: $(ls "$out/ids")"
aws --endpoint-url "$CU_MOTO_ENDPOINT" s3 cp "s3://inc-state-$$/jobs/ids.json" "$out/ids.json" \
  >/dev/null || cu_fail "no state in S3"
cu_assert_eq "$(jq -c '[.column, .type, .watermark, .window.from]' "$out/ids.json")" \
  '["id","integer","2110","2100"]' "state in S3"
cu_file_rows --format csv --sort "$out"/ids/*/part_000 >"$out/got"
cu_pg_rows "select id, qty from inc_sales where id > 100" --sort >"$out/want"
cmp -s "$out/want" "$out/got" || cu_fail "integer windows: rows differ from the table's"
cu_note "ok: integer watermark from incremental_start, state in S3"

# 6. Mistakes: exit 2, nothing written.
bad() {
  local want=$1
  shift
  local rc=0
  "$CROSSUNLOAD" run --source "$CU_PG_CONNINFO" --format csv "$@" 2>"$out/bad.err" || rc=$?
  [[ $rc == 2 ]] || cu_fail "exit $rc (want 2) for $*: $(cat "$out/bad.err")"
  grep -qF -- "$want" "$out/bad.err" || cu_fail "message for $*: $(cat "$out/bad.err")"
}
bad "one plain column name" --query "$q" --incremental-column 'sold_at desc' \
  --state "$out/x.json" --to "$out/bad/{to}/x_"
bad "needs both" --query "$q" --incremental-column sold_at --to "$out/bad/{to}/x_"
bad "unknown placeholder {day}" --query "$q" --incremental-column sold_at \
  --state "$out/x.json" --to "$out/bad/{day}/x_"
bad "with {to}" --query "$q" --incremental-column sold_at --state "$out/x.json" \
  --to "$out/bad/x_"
bad "is text" --query "select id, sold_at::text as t from inc_sales" --incremental-column t \
  --state "$out/x.json" --to "$out/bad/{to}/x_"
bad "the state is the watermark of column sold_at" --query "$q" --incremental-column qty \
  --state "$out/state.json" --to "$out/bad/{to}/x_"
[[ ! -e "$out/bad" && ! -e "$out/x.json" ]] || cu_fail "a refused run wrote something: $(ls -la "$out/bad" "$out/x.json" 2>&1)"
cu_note "ok: bad column, missing state, unknown placeholder, text column, another job's state: exit 2"
