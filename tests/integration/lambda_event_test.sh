#!/usr/bin/env bash
# Hostile and careless Lambda events, through the local Runtime API (lambda_runtime_api.py)
# and one `crossunload lambda` process serving them in turn:
#   1. invalid UTF-8 holding a password      -> a Usage error response, the password unsaid
#   2. truncated JSON ending in a password    -> a Usage error response, the password unsaid
#   3. query_file = /etc/passwd               -> a Usage error response: no file is read
#   3b. mask_policy = /etc/passwd             -> the same: an event names no file
#   4. dry_run = true with clean_path         -> the plan and the personal-data check's
#                                                result (nothing flagged) as the response;
#                                                the object under the prefix stays
#   4b. dry_run = true, a column of e-mail
#       addresses                             -> a Usage error naming the column and the
#                                                fix, never an address; nothing written
#   4c. "unloads": two tables, one missing,
#       on_error = continue                   -> one report with a row per entry: ok, then
#                                                failed (exit 4) naming the entry
#   5. a good event                           -> its report: the loop survived 1-4; its
#                                                progress as JSON events on stderr (the
#                                                Lambda face's default), the final one
#                                                with the report's rows and bytes
# Every invocation is answered, in order, by the same process; neither the answers nor the
# function's log hold the passwords or a line of /etc/passwd.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

work=$(cu_tmpdir)
bucket="events-$$-$RANDOM"
s3py() { # s3py CODE: boto3 as the function's own account, `s3` and `bucket` defined
  python3 -c "import sys, boto3
s3 = boto3.client('s3', endpoint_url='$CU_MOTO_ENDPOINT', region_name='us-east-1',
                  aws_access_key_id='events-test', aws_secret_access_key='events-test-secret-key')
bucket = '$bucket'
$1"
}
s3py "s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key='dry/keep_me', Body=b'earlier data')" ||
  cu_fail "cannot prepare the bucket in moto"

marker="lambda-event-test-$$"
python3 - "$work/events.json" "$CU_PG_CONNINFO application_name=$marker" "$bucket" <<'PY'
import base64, json, sys
path, source, bucket = sys.argv[1:]
b64 = lambda b: base64.b64encode(b).decode()
query = "select g as id, 'row ' || g as name from generate_series(1, 5) g"
good = {"source": source, "query": query, "to": f"s3://{bucket}/good/part_",
        "region": "us-east-1", "format": "csv", "parallel": False}
events = [
    {"request_id": "inv-utf8", "raw_event_b64": b64(
        b'{"source": "host=127.0.0.1 password=Utf8-Pass-\xff\xfe-word", "query": "select 1"}')},
    {"request_id": "inv-truncated", "raw_event_b64": b64(
        b'{"query": "select 1", "source": "host=127.0.0.1 password=Truncated-Pass-word')},
    {"request_id": "inv-query-file", "event": dict(good, query=None, query_file="/etc/passwd")},
    {"request_id": "inv-mask-policy", "event": dict(good, mask_policy="/etc/passwd")},
    {"request_id": "inv-dry-run", "event": dict(good, to=f"s3://{bucket}/dry/part_",
                                                 clean_path=True, dry_run=True)},
    {"request_id": "inv-dry-run-pii", "event": dict(
        good, to=f"s3://{bucket}/dry/pii_", dry_run=True,
        query="select g as id, 'person' || g || '@example.org' as contact "
              "from generate_series(1, 50) g")},
    {"request_id": "inv-multi", "event": {
        "source": source, "region": "us-east-1", "format": "csv", "parallel": False,
        "pii": "off", "on_error": "continue",
        "unloads": [{"table": "category", "to": f"s3://{bucket}/multi/category_"},
                    {"table": "no_such_table", "to": f"s3://{bucket}/multi/missing_"}]}},
    {"request_id": "inv-good", "event": good},
]
json.dump(events, open(path, "w"))
PY

python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$work/events.json" \
  --out "$work/posted.jsonl" --port-file "$work/port" --timeout 60 &
api_pid=$!
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the Runtime API emulator did not start"

env -u AWS_PROFILE AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/port")" \
  AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT" AWS_ACCESS_KEY_ID=events-test AWS_SECRET_ACCESS_KEY=events-test-secret-key \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  "$CROSSUNLOAD" lambda --max-invocations 8 >"$work/stdout" 2>"$work/stderr" &
fn_pid=$!
trap 'kill $fn_pid $api_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT

rc=0
wait "$fn_pid" || rc=$?
wait "$api_pid" || cu_fail "not every invocation was answered (function exit $rc): $(tail -5 "$work/stderr"); answers: $(cat "$work/posted.jsonl" 2>/dev/null)"
cu_assert_eq "$rc" "0" "exit status of crossunload lambda after 8 invocations"

python3 - "$work/posted.jsonl" "$bucket" "$work/stderr" <<'PY' || cu_fail "unexpected answers: $(cat "$work/posted.jsonl")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
prefix = "/2018-06-01/runtime/invocation/"
paths = [p["path"][len(prefix):] for p in posted]
assert paths == ["inv-utf8/error", "inv-truncated/error", "inv-query-file/error",
                 "inv-mask-policy/error", "inv-dry-run/response", "inv-dry-run-pii/error",
                 "inv-multi/response", "inv-good/response"], paths
errors = {p["path"][len(prefix):].split("/")[0]: json.loads(p["body"]) for p in posted[:4]}
for rid, err in errors.items():
    assert err["errorType"] == "Usage", (rid, err)
    msg = err["errorMessage"]
    for leak in ("Pass-", "password=", "root:", "/bin/"):
        assert leak not in msg, (rid, leak, msg)
assert "not JSON" in errors["inv-utf8"]["errorMessage"], errors["inv-utf8"]
assert "UTF-8" in errors["inv-utf8"]["errorMessage"], errors["inv-utf8"]
assert "line 1" in errors["inv-truncated"]["errorMessage"], errors["inv-truncated"]
assert "query_file" in errors["inv-query-file"]["errorMessage"], errors["inv-query-file"]
assert "mask_policy" in errors["inv-mask-policy"]["errorMessage"], errors["inv-mask-policy"]

dry = json.loads(posted[4]["body"])
assert dry["status"] == "dry_run", dry
plan = "\n".join(dry["plan"])
assert f"s3://{sys.argv[2]}/dry/part_" in plan and "client mode" in plan, plan
assert "files" not in dry and "rows" not in dry, dry
assert "sample" in dry["pii"]["checked"] and dry["pii"]["findings"] == [], dry

flagged = json.loads(posted[5]["body"])
assert flagged["errorType"] == "Usage", flagged
assert "contact" in flagged["errorMessage"] and "@example.org" not in flagged["errorMessage"], flagged
assert "--mask contact=" in flagged["errorMessage"] or "allow" in flagged["errorMessage"], flagged

multi = json.loads(posted[6]["body"])
assert (multi["status"], multi["exit_code"]) == ("failed", 4), multi
rows = multi["unloads"]
assert [r["status"] for r in rows] == ["ok", "failed"], rows
assert rows[0]["rows"] == 11 and rows[0]["files"] == 1, rows[0]
assert "unload 2 (table no_such_table)" in rows[1]["error"], rows[1]

good = json.loads(posted[7]["body"])
assert good["status"] == "ok" and good["rows"] == 5, good
# Progress: JSON events on stderr by default (CloudWatch keeps each line as one record).
events = []
for line in open(sys.argv[3], encoding="utf-8", errors="replace"):
    try:
        doc = json.loads(line)
    except ValueError:
        continue
    if doc.get("event") == "progress":
        events.append(doc)
# One final event per unload: the multi event's two, then the good event's, last of all.
finals = [e for e in events if e["final"]]
assert [e["status"] for e in finals] == ["done", "failed", "done"], events
assert events[-1] is finals[-1], events
assert (finals[-1]["status"], finals[-1]["rows"], finals[-1]["bytes"]) == \
    ("done", good["rows"], good["bytes"]), (finals[-1], good)
print("answers:", [e["errorMessage"] for e in errors.values()], "| plan:", dry["plan"][0])
PY

# The dry run touched nothing: the earlier object is still there, nothing was written.
left=$(s3py "print(sorted(o['Key'] for o in s3.list_objects_v2(Bucket=bucket, Prefix='dry/').get('Contents', [])))")
cu_assert_eq "$left" "['dry/keep_me']" "objects under the dry run's prefix"
good=$(s3py "print(len(s3.list_objects_v2(Bucket=bucket, Prefix='good/').get('Contents', [])))")
cu_assert_eq "$good" "1" "objects written by the good event"

for leak in Utf8-Pass Truncated-Pass root:x:0; do
  if grep -aq -- "$leak" "$work/stderr" "$work/stdout" "$work/posted.jsonl"; then
    cu_fail "'$leak' found in the function's output or answers: $(grep -a -- "$leak" "$work/stderr" "$work/stdout" "$work/posted.jsonl" | head -3)"
  fi
done
cu_note "ok: 8 events, 8 answers in order; no secret or file content echoed; the dry run wrote nothing"
