#!/usr/bin/env bash
# scripts/demo itself, in CI: run against the stack scripts/test already started (so CI does
# not start a second PostgreSQL or build build/release) with the executable under test. The
# demo must exit 0, show the report with status ok, list the objects in the DEV bucket with
# their first lines (PostgreSQL's first category row), and leave no gateway running. The
# personal-data guard refuses TICKIT users (email and phone named) and the masked job
# writes them: no e-mail address of the table appears in the output. Then the same with
# --data-api: submit, checks while the statement runs, the objects.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

out="$CU_TMP/demo.out"
CU_DEMO_SUFFIX="-demo$$" "$CU_SOURCE_DIR/scripts/demo" >"$out" 2>&1 ||
  cu_fail "scripts/demo failed: $(tail -30 "$out")"
grep -q '"status": "ok"' "$out" || cu_fail "no ok report in the demo's output: $(tail -30 "$out")"
grep -q '"mode": "server"' "$out" || cu_fail "the demo did not run in server mode"
grep -q "tickit/category_0000_part_00" "$out" || cu_fail "the demo did not list the object"
first=$(cu_psql "$CU_PG_DATABASE" -c "copy (select * from category order by catid limit 1) to stdout with (delimiter '|')")
grep -qxF -- "$first" "$out" || cu_fail "the demo did not show the first line '$first'"
for col in email phone; do
  grep -qE "^ *column $col: .*refused" "$out" || cu_fail "the guard did not refuse $col: $(grep -n column "$out")"
done
grep -q "tickit/users_0000_part_00" "$out" || cu_fail "the demo did not write the masked users"
email=$(cu_psql "$CU_PG_DATABASE" -Atc "select email from users order by userid limit 1")
if grep -qF -- "$email" "$out"; then cu_fail "an e-mail address of users appears in the demo's output"; fi
if grep -qF -- "$CU_PG_PASSWORD" "$out"; then cu_fail "the database password appears in the demo's output"; fi
if pgrep -f "gateway --listen 127.0.0.1:0 --upstream 127.0.0.1:$CU_PG_PORT --aws-profile redshift-cluster --default-iam-role arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role-demo$$" >/dev/null; then
  cu_fail "the demo left its gateway running"
fi

# The asynchronous variant: submit through the Data API, short checks until the statement
# (which sleeps 3 s in the warehouse) finished, then the same objects.
out="$CU_TMP/demo-async.out"
CU_DEMO_SUFFIX="-demoasync$$" "$CU_SOURCE_DIR/scripts/demo" --data-api >"$out" 2>&1 ||
  cu_fail "scripts/demo --data-api failed: $(tail -30 "$out")"
grep -qE "^statement [0-9a-f-]+ submitted; job token " "$out" ||
  cu_fail "the submit did not print the statement and its job token: $(tail -30 "$out")"
grep -qx "status: running" "$out" || cu_fail "no check saw the statement running: $(grep -n status "$out")"
grep -qx "status: ok" "$out" || cu_fail "no check ended ok: $(grep -n status "$out")"
grep -q "tickit/category_0000_part_00" "$out" || cu_fail "the async demo did not list the object"
grep -qxF -- "$first" "$out" || cu_fail "the async demo did not show the first line '$first'"
if grep -qF -- "$CU_PG_PASSWORD" "$out"; then cu_fail "the database password appears in the async demo's output"; fi
cu_note "ok: scripts/demo and scripts/demo --data-api against the running stack"
