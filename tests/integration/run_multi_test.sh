#!/usr/bin/env bash
# One job file of [[unload]] entries: the seven TICKIT tables in one run (two at a time),
# each table's file read back by DuckDB equal to PostgreSQL's rows; a table that does not
# exist with on_error = "continue" (the others written, exit 4, the report names the
# failure) and with "stop" (the entries after it skipped, nothing of them written); the
# plan of a dry run; an entry refused before anything runs.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

out=$(cu_tmpdir)
json() { node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(eval(process.argv[1]))' "$1" <"$out/report"; }

# Shared keys at the top; users' email and phone columns must come back as PostgreSQL holds
# them, so the personal-data guard is off for the whole file (pii_guard_test.sh tests it).
header() {
  cat <<TOML
source = "$CU_PG_CONNINFO"
format = "csv"
parallel = false
pii = "off"
report = "$out/report"
TOML
}

tables="category date event listing sales users venue"
{
  header
  echo 'concurrency = 2'
  for t in $tables; do
    printf '[[unload]]\ntable = "%s"\nto = "%s"\n' "$t" "$out/all/${t}_"
  done
} >"$out/all.toml"
"$CROSSUNLOAD" run --config "$out/all.toml" 2>"$out/stderr" || cu_fail "the seven-table job failed: $(cat "$out/stderr")"
cu_assert_eq "$(json r.status)" "ok" "report status"
cu_assert_eq "$(json r.unloads.length)" "7" "report rows"
i=0
for t in $tables; do
  count=$(cu_psql tickit -Atc "select count(*) from $t")
  cu_assert_eq "$(json "r.unloads[$i].table + ' ' + r.unloads[$i].status + ' ' + r.unloads[$i].rows")" \
    "$t ok $count" "report row $((i + 1))"
  cu_assert_eq "$(json "r.unloads[$i].report.rows")" "$count" "$t: the entry's own report"
  cu_file_rows --format csv --sort "$out/all/${t}_000" >"$out/got" || cu_fail "$t: the reader cannot read the file"
  cu_pg_rows "select * from $t" --sort >"$out/want"
  [[ -s "$out/want" ]] || cu_fail "$t: PostgreSQL returned nothing"
  cmp -s "$out/want" "$out/got" || cu_fail "$t: the rows read back differ from the table's"
  grep -q "unload $((i + 1)) (table $t): ok ($count rows" "$out/stderr" || cu_fail "$t: no summary line: $(cat "$out/stderr")"
  i=$((i + 1))
done

# A failing entry: the third names a table that does not exist.
failing() {
  header
  echo "on_error = \"$1\""
  for t in category date no_such_table venue; do
    printf '[[unload]]\ntable = "%s"\nto = "%s"\n' "$t" "$out/$1/${t}_"
  done
}
failing continue >"$out/continue.toml"
rc=0
"$CROSSUNLOAD" run --config "$out/continue.toml" 2>"$out/stderr" || rc=$?
cu_assert_eq "$rc" "4" "continue: exit code (source database)"
cu_assert_eq "$(json 'r.status + " " + r.exit_code')" "failed 4" "continue: report"
cu_assert_eq "$(json 'r.unloads.map(u => u.status).join(" ")')" "ok ok failed ok" "continue: statuses"
json 'r.unloads[2].error' | grep -q '^unload 3 (table no_such_table): .*no_such_table' ||
  cu_fail "continue: the error does not name the entry: $(json 'r.unloads[2].error')"
for t in category date venue; do
  [[ -f "$out/continue/${t}_000" ]] || cu_fail "continue: $t was not written"
done
[[ -z "$(find "$out/continue" -name 'no_such_table*')" ]] || cu_fail "continue: the failed entry left files"

failing stop >"$out/stop.toml"
rc=0
"$CROSSUNLOAD" run --config "$out/stop.toml" 2>"$out/stderr" || rc=$?
cu_assert_eq "$rc" "4" "stop: exit code"
cu_assert_eq "$(json 'r.unloads.map(u => u.status).join(" ")')" "ok ok failed skipped" "stop: statuses"
cu_assert_eq "$(json 'String(r.unloads[3].report)')" "undefined" "stop: a skipped entry has no report"
[[ -f "$out/stop/category_000" && -f "$out/stop/date_000" ]] || cu_fail "stop: the entries before the failure were not written"
[[ -z "$(find "$out/stop" -name 'venue*')" ]] || cu_fail "stop: the skipped entry wrote files"
grep -q "unload 4 (table venue): skipped" "$out/stderr" || cu_fail "stop: no skipped line: $(cat "$out/stderr")"

# --dry-run: each entry's plan under its label, nothing written.
"$CROSSUNLOAD" run --config "$out/all.toml" --dry-run >"$out/plan" 2>"$out/stderr" || cu_fail "dry run failed: $(cat "$out/stderr")"
for i in 1 7; do
  grep -q "^unload $i (table " "$out/plan" || cu_fail "dry run: no plan for unload $i: $(cat "$out/plan")"
done
grep -qF "objects under $out/all/venue_" "$out/plan" || cu_fail "dry run: venue's destination is not in the plan: $(cat "$out/plan")"

# An entry's mistake refuses the job before any entry runs (exit 2, the entry named).
{
  header
  printf '[[unload]]\ntable = "category"\nto = "%s"\n' "$out/refused/category_"
  printf '[[unload]]\ntable = "venue"\nto = "%s"\nformat = "xml"\n' "$out/refused/venue_"
} >"$out/refused.toml"
rc=0
"$CROSSUNLOAD" run --config "$out/refused.toml" 2>"$out/stderr" || rc=$?
cu_assert_eq "$rc" "2" "refused entry: exit code"
grep -q "unload 2 (table venue): configure" "$out/stderr" || cu_fail "refused entry: not named: $(cat "$out/stderr")"
[[ ! -e "$out/refused" ]] || cu_fail "refused entry: the first entry ran"
cu_note "ok"
