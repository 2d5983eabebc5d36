#!/usr/bin/env bash
# The asynchronous pattern through the gateway's Data API, under moto's IAM enforcement
# (tests/support/pattern_data_api.sh): an unload of minutes carried by short invocations.
#   - `run --no-wait` returns while the statement still sleeps in PostgreSQL (pg_sleep),
#     printing the statement id and the job token;
#   - `check` once: status "running", exit 0; the same check through the Lambda runtime
#     (`crossunload lambda`, event action "check") answers long before a short deadline;
#   - `check --wait`: the objects are verified (its json progress ends with the report's
#     numbers); their rows (DuckDB) equal PostgreSQL's COPY;
#     a second check is idempotent (same report, same objects);
#   - a token from another job, an unknown statement id → exit 2;
#   - a Lambda "run" whose deadline comes while the statement sleeps cancels it
#     (CancelStatement): DeadlineExceeded, the statement ABORTED, nothing under its prefix,
#     and a later check says aborted (exit 1).
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_data_api.sh"
pattern_data_api_world "-dasync$$"

sleep_s=12
query="select c.* from category c, (select pg_sleep($sleep_s)) as s"
prefix="s3://$CU_PAT_BUCKET/async_category_"
job="$CU_STACK_DIR/job.toml"
cat >"$job" <<EOT
region = "$CU_PAT_REGION"
via = "data-api"
cluster_id = "crossunload-gateway"
database = "$CU_PG_DATABASE"
secret_id = "$CU_PAT_SECRET_ARN"
secret_role_arn = "$CU_PAT_SM_READ_ROLE"
external_id = "$CU_PAT_EXTERNAL_ID"
role_session_name = "crossunload-async"
iam_role = ["$CU_PAT_PROD_WRITE_ROLE", "$CU_PAT_DEV_WRITE_ROLE"]
query = "$query"
to = "$prefix"
manifest = "plain"
# The personal-data guard's sample query would run this select (and its 12-second sleep)
# before the UNLOAD is submitted; category holds no personal data, and the test is about
# not waiting for the UNLOAD.
pii = "off"
EOT
cu_run() { env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=dapi-lambda "$CROSSUNLOAD" "$@"; }

# 1. Submit: back at once, the statement still running.
t0=$(date +%s%N)
cu_run run --config "$job" --no-wait --report "$CU_STACK_DIR/submit.json" \
  >"$CU_STACK_DIR/submit.out" 2>"$CU_STACK_DIR/submit.err" ||
  cu_fail "submit failed: $(cat "$CU_STACK_DIR/submit.err")"
submit_ms=$((($(date +%s%N) - t0) / 1000000))
cu_note "submit took $submit_ms ms while the statement sleeps ${sleep_s} s"
((submit_ms < sleep_s * 1000 / 2)) || cu_fail "submit took $submit_ms ms: it waited for the statement"
cu_assert_eq "$(jq -r .status "$CU_STACK_DIR/submit.json")" "submitted" "submit report status"
token=$(jq -r .job_token "$CU_STACK_DIR/submit.json")
id=$(jq -r .statement_id "$CU_STACK_DIR/submit.json")
[[ "$token" == "$id".* ]] || cu_fail "job token $token does not carry statement $id"
grep -q "^statement $id submitted; job token $token$" "$CU_STACK_DIR/submit.out" ||
  cu_fail "submit did not print the token: $(cat "$CU_STACK_DIR/submit.out")"

# 2. Check once: running.
cu_run check --config "$job" --statement-id "$token" --report "$CU_STACK_DIR/check1.json" \
  >/dev/null 2>"$CU_STACK_DIR/check1.err" || cu_fail "check failed: $(cat "$CU_STACK_DIR/check1.err")"
cu_assert_eq "$(jq -r .status "$CU_STACK_DIR/check1.json")" "running" "first check's status"

# 3. The same check as a Lambda invocation (action "check"), with a 10 s deadline.
python3 - "$CU_STACK_DIR/events.json" "$job" "$token" <<'PY'
import json, sys, tomllib
job = tomllib.load(open(sys.argv[2], "rb"))
event = dict(job, action="check", statement_id=sys.argv[3])
json.dump([{"request_id": "inv-check", "event": event, "deadline_in_ms": 10000}],
          open(sys.argv[1], "w"))
PY
python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$CU_STACK_DIR/events.json" \
  --out "$CU_STACK_DIR/posted.jsonl" --port-file "$CU_STACK_DIR/port" --timeout 60 &
api_pid=$!
for _ in $(seq 100); do [[ -s "$CU_STACK_DIR/port" ]] && break; sleep 0.05; done
t0=$(date +%s%N)
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$CU_STACK_DIR/port")" cu_run lambda --max-invocations 1 \
  >/dev/null 2>"$CU_STACK_DIR/lambda.err" || cu_fail "crossunload lambda failed: $(cat "$CU_STACK_DIR/lambda.err")"
check_ms=$((($(date +%s%N) - t0) / 1000000))
wait $api_pid || cu_fail "the Runtime API emulator got no answer"
python3 - "$CU_STACK_DIR/posted.jsonl" <<'PY' || cu_fail "unexpected Lambda answer: $(cat "$CU_STACK_DIR/posted.jsonl")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
assert [p["path"] for p in posted] == ["/2018-06-01/runtime/invocation/inv-check/response"], posted
report = json.loads(posted[0]["body"])
assert report["status"] == "running" and report["via"] == "data-api", report
PY
cu_note "Lambda check took $check_ms ms (deadline 10000 ms)"
((check_ms < 10000)) || cu_fail "the Lambda check took $check_ms ms"

# 4. Check and wait: verified; a second check is idempotent.
cu_run check --config "$job" --statement-id "$token" --wait --report "$CU_STACK_DIR/check2.json" \
  --progress json >/dev/null 2>"$CU_STACK_DIR/check2.err" || cu_fail "check --wait failed: $(cat "$CU_STACK_DIR/check2.err")"
n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")
cu_assert_eq "$(jq -r .status "$CU_STACK_DIR/check2.json")" "ok" "check --wait status"
# Waiting shows the statement's progress as a run does: the final event is the report's.
cu_assert_eq "$(grep '^{"event":"progress"' "$CU_STACK_DIR/check2.err" | jq -sc '.[-1] | [.final, .status, .rows, .bytes, .objects]')" \
  "$(jq -c '[true, "done", .rows, .bytes, (.files | length)]' "$CU_STACK_DIR/check2.json")" "check --wait: the final progress event"
cu_assert_eq "$(jq -r .rows "$CU_STACK_DIR/check2.json")" "$n" "check --wait rows"
cu_assert_eq "$(jq -r .manifest "$CU_STACK_DIR/check2.json")" "${prefix}manifest" "check --wait manifest"
cu_run check --config "$job" --statement-id "$id" --report "$CU_STACK_DIR/check3.json" \
  >/dev/null 2>"$CU_STACK_DIR/check3.err" || cu_fail "the second check failed: $(cat "$CU_STACK_DIR/check3.err")"
cu_assert_eq "$(jq -c '{status, rows, files, manifest, bytes}' "$CU_STACK_DIR/check3.json")" \
  "$(jq -c '{status, rows, files, manifest, bytes}' "$CU_STACK_DIR/check2.json")" "a check after success"
dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=dapi-lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/" "$dl/" \
  --exclude "*" --include "async_category_*" || cu_fail "cannot download the objects"
files=()
for f in "$dl"/async_category_*; do [[ $f == *manifest ]] || files+=("$f"); done
cu_assert_eq "$(cu_file_rows --format text --sort "${files[@]}")" \
  "$(cu_pg_rows "select * from category" --sort)" "rows in the DEV bucket vs PostgreSQL"

# 5. Another job's token, an unknown statement: exit 2.
rc=0
cu_run check --config "$job" --to "s3://$CU_PAT_BUCKET/other_" --statement-id "$token" \
  >/dev/null 2>"$CU_STACK_DIR/other.err" || rc=$?
cu_assert_eq "$rc" "2" "exit code of another job's token"
grep -q "belongs to another job" "$CU_STACK_DIR/other.err" || cu_fail "$(cat "$CU_STACK_DIR/other.err")"
rc=0
cu_run check --config "$job" --to "s3://$CU_PAT_BUCKET/other_" --statement-id "$id" \
  >/dev/null 2>"$CU_STACK_DIR/other2.err" || rc=$?
cu_assert_eq "$rc" "2" "exit code of another job's statement id"
grep -q "is not this job's" "$CU_STACK_DIR/other2.err" || cu_fail "$(cat "$CU_STACK_DIR/other2.err")"
rc=0
cu_run check --config "$job" --statement-id 00000000-0000-4000-8000-000000000000 \
  >/dev/null 2>"$CU_STACK_DIR/unknown.err" || rc=$?
cu_assert_eq "$rc" "2" "exit code of an unknown statement id"

# 6. A Lambda run whose deadline comes while the statement sleeps: CancelStatement.
python3 - "$CU_STACK_DIR/events2.json" "$job" <<'PY'
import json, sys, tomllib
job = tomllib.load(open(sys.argv[2], "rb"))
job["query"] = job["query"].replace("pg_sleep(12)", "pg_sleep(60)")
job["to"] = job["to"].replace("async_category_", "async_cancel_")
json.dump([{"request_id": "inv-run", "event": dict(job, action="run"), "deadline_in_ms": 8000}],
          open(sys.argv[1], "w"))
PY
rm -f "$CU_STACK_DIR/port"
python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$CU_STACK_DIR/events2.json" \
  --out "$CU_STACK_DIR/posted2.jsonl" --port-file "$CU_STACK_DIR/port" --timeout 60 &
api_pid=$!
for _ in $(seq 100); do [[ -s "$CU_STACK_DIR/port" ]] && break; sleep 0.05; done
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$CU_STACK_DIR/port")" CU_LAMBDA_STOP_MARGIN_MS=2000 \
  cu_run lambda --max-invocations 1 >/dev/null 2>"$CU_STACK_DIR/lambda2.err" ||
  cu_fail "crossunload lambda failed: $(cat "$CU_STACK_DIR/lambda2.err")"
wait $api_pid || cu_fail "the Runtime API emulator got no answer"
python3 - "$CU_STACK_DIR/posted2.jsonl" <<'PY' || cu_fail "unexpected Lambda answer: $(cat "$CU_STACK_DIR/posted2.jsonl")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
assert posted[0]["path"].endswith("/inv-run/error"), posted
err = json.loads(posted[0]["body"])
assert err["errorType"] == "DeadlineExceeded" and "CancelStatement" in err["errorMessage"], err
PY
cancelled=$(sed -n 's/.*statement \([0-9a-f-]\{36\}\) submitted.*/\1/p' "$CU_STACK_DIR/lambda2.err" | head -1)
[[ -n "$cancelled" ]] || cu_fail "no statement id in the Lambda's log: $(cat "$CU_STACK_DIR/lambda2.err")"
rc=0
cu_run check --config "$job" --query "$(sed 's/pg_sleep(12)/pg_sleep(60)/' <<<"$query")" \
  --to "s3://$CU_PAT_BUCKET/async_cancel_" --statement-id "$cancelled" \
  >/dev/null 2>"$CU_STACK_DIR/aborted.err" || rc=$?
cu_assert_eq "$rc" "1" "exit code of a check of the cancelled statement"
grep -q "was aborted" "$CU_STACK_DIR/aborted.err" || cu_fail "$(cat "$CU_STACK_DIR/aborted.err")"
left=$(AWS_PROFILE=dapi-lambda aws s3 ls "s3://$CU_PAT_BUCKET/async_cancel_" || true)
cu_assert_eq "$left" "" "objects left by the cancelled statement"

for f in "$CU_STACK_DIR"/*.err "$CU_STACK_DIR"/*.json* "$CU_PAT_GATEWAY_LOG"; do
  ! grep -qF "$CU_PG_PASSWORD" "$f" || cu_fail "the database password is in $f"
done
