#!/usr/bin/env bash
# The Lambda deadline stops the job cleanly: `crossunload lambda` gets one invocation from
# the local Runtime API (lambda_runtime_api.py) whose Lambda-Runtime-Deadline-Ms is 20 s
# away, with a stop margin of 2 s (CU_LAMBDA_STOP_MARGIN_MS). The job unloads into moto S3
# a query that streams ~33 MB of rows, then sleeps 120 s inside PostgreSQL (pg_sleep) before
# its last rows. While it sleeps the test sees the run mid-write in moto: open multipart
# uploads (MAXFILESIZE 20 MB: a sealed file and the one being written) and no object. At the
# stop:
#   - an invocation error comes back before the deadline, errorType DeadlineExceeded, its
#     message naming the deadline;
#   - nothing of the run is left in the bucket: no object, no manifest, no open multipart
#     upload (listed by boto3, independently of crossunload);
#   - the query no longer runs in PostgreSQL (it was cancelled, not left sleeping).
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

work=$(cu_tmpdir)
bucket="deadline-$$-$RANDOM"
prefix="run$$/part_"
s3py() { # s3py CODE: boto3 as the job's own account, `s3` and `bucket` defined
  python3 -c "import sys, boto3
s3 = boto3.client('s3', endpoint_url='$CU_MOTO_ENDPOINT', region_name='us-east-1',
                  aws_access_key_id='deadline-test', aws_secret_access_key='deadline-test-secret-key')
bucket, prefix = '$bucket', '$prefix'
$1"
}
s3py "s3.create_bucket(Bucket=bucket)" || cu_fail "cannot create the bucket in moto"

# ~330 bytes a row; row 100000 sleeps (the rows before it are streamed and written first).
query="select g, repeat(md5(g::text), 10) || case when g = 100000 then pg_sleep(120)::text else '' end as pad from generate_series(1, 120000) g"
marker="deadline-test-$$"
python3 - "$work/events.json" "$CU_PG_CONNINFO application_name=$marker" "$query" "s3://$bucket/$prefix" <<'PY'
import json, sys
event = {"source": sys.argv[2], "query": sys.argv[3], "to": sys.argv[4], "region": "us-east-1",
         "format": "csv", "parallel": False, "max_file_size": "20 MB", "manifest": "plain"}
json.dump([{"request_id": "inv-deadline", "event": event, "deadline_in_ms": 20000}],
          open(sys.argv[1], "w"))
PY

python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$work/events.json" \
  --out "$work/posted.jsonl" --port-file "$work/port" --timeout 90 &
api_pid=$!
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the Runtime API emulator did not start"

start_ns=$(date +%s%N)
env -u AWS_PROFILE AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/port")" CU_LAMBDA_STOP_MARGIN_MS=2000 \
  AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT" AWS_ACCESS_KEY_ID=deadline-test AWS_SECRET_ACCESS_KEY=deadline-test-secret-key \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  "$CROSSUNLOAD" lambda --max-invocations 1 >"$work/stdout" 2>"$work/stderr" &
fn_pid=$!
trap 'kill $fn_pid $api_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT

# Mid-write: open multipart uploads and no object yet (nothing is published before the
# commit, docs/formats.md "Commit"), while the query sleeps.
state=""
for _ in $(seq 150); do
  state=$(s3py "
objs = s3.list_objects_v2(Bucket=bucket).get('KeyCount', 0)
ups = len(s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []))
print(objs, ups)")
  [[ "$state" =~ ^0\ [1-9] ]] && break
  kill -0 "$fn_pid" 2>/dev/null || break
  sleep 0.1
done
[[ "$state" =~ ^0\ [1-9] ]] ||
  cu_fail "never saw the run mid-write (objects, uploads = $state) before it ended: $(tail -3 "$work/stderr")"
cu_note "mid-write: $state (objects, open multipart uploads)"
running=$(cu_psql postgres -Atc "select count(*) from pg_stat_activity where application_name = '$marker' and state = 'active'")
cu_assert_eq "$running" "1" "the job's query running in PostgreSQL while it sleeps"

wait "$fn_pid" || cu_fail "crossunload lambda exited with $?: $(tail -5 "$work/stderr")"
wait "$api_pid" || cu_fail "the Runtime API emulator did not get an answer"

python3 - "$work/posted.jsonl" "$start_ns" <<'PY' || cu_fail "unexpected answer: $(cat "$work/posted.jsonl")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
assert [p["path"] for p in posted] == ["/2018-06-01/runtime/invocation/inv-deadline/error"], posted
err = json.loads(posted[0]["body"])
assert posted[0]["error_type"] == "DeadlineExceeded" == err["errorType"], posted[0]
msg = err["errorMessage"]
assert "before the Lambda deadline" in msg and "stopped before the deadline" in msg, msg
# Before the deadline: 20 s after the invocation was handed out, which is after start_ns.
took = (posted[0]["at_ns"] - int(sys.argv[2])) / 1e9
assert took < 20, f"answered {took:.1f} s after the start, past the deadline"
print(f"answered after {took:.1f} s: {msg}")
PY
left=$(s3py "
objs = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket).get('Contents', [])]
ups = [u['Key'] for u in s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])]
print(len(objs) + len(ups), objs, ups)")
cu_assert_eq "${left%% *}" "0" "objects and open multipart uploads left in s3://$bucket ($left)"
for _ in $(seq 50); do
  running=$(cu_psql postgres -Atc "select count(*) from pg_stat_activity where application_name = '$marker'")
  [[ "$running" == 0 ]] && break
  sleep 0.1
done
cu_assert_eq "$running" "0" "sessions of the stopped job still in PostgreSQL"
cu_note "ok: stopped before the deadline, DeadlineExceeded returned, nothing left"
