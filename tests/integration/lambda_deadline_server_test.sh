#!/usr/bin/env bash
# The Lambda deadline in server mode, the pattern's own path: `crossunload lambda` gets an
# invocation (local Runtime API, deadline 20 s away, stop margin 2 s) whose job reads the
# secret through SM-Read-Role and sends UNLOAD to `crossunload gateway` (the PROD cluster,
# scripts/lib/pattern.sh), with a query that streams ~33 MB and then sleeps 120 s in
# PostgreSQL. While it sleeps the test sees the UNLOAD mid-write in moto (no object, as
# nothing is published before the commit; open multipart uploads). At the stop the job
# cancels the UNLOAD (PQcancel to the gateway, which forwards it upstream and cleans up as Redshift would):
#   - DeadlineExceeded comes back before the deadline, naming it and the cancelled UNLOAD;
#   - no object, manifest or open multipart upload is left under the prefix;
#   - the query no longer runs in PostgreSQL.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

CU_STACK_DIR=$(cu_tmpdir)
_cleanup=()
stack_on_exit() { _cleanup+=("$*"); }
trap 'for c in "${_cleanup[@]}"; do eval "$c" || true; done; rm -rf "$CU_TMP"' EXIT
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"

sfx="-dl$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret
work=$(cu_tmpdir)
prefix="dl$$/part_"
state() { # objects and open uploads under the prefix, as the bucket's account sees them
  python3 - "$CU_MOTO_ENDPOINT" "$CU_PAT_BUCKET" "$prefix" <<'PY'
import sys, boto3
c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="setup", aws_secret_access_key="setup")
c.meta.events.register("before-sign.*.*",
    lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111111111111"))
objs = [o["Key"] for o in c.list_objects_v2(Bucket=sys.argv[2], Prefix=sys.argv[3]).get("Contents", [])]
ups = [u["Key"] for u in c.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", []) if u["Key"].startswith(sys.argv[3])]
print(len(objs), len(ups), objs, ups)
PY
}

query="select g, repeat(md5(g::text), 10) || case when g = 100000 then pg_sleep(120)::text else '' end as pad from generate_series(1, 120000) g"
python3 - "$work/events.json" "$query" "s3://$CU_PAT_BUCKET/$prefix" <<'PY'
import json, os, sys
e = os.environ
event = {"region": e["CU_PAT_REGION"], "secret_id": e["CU_PAT_SECRET_ID"],
         "secret_role_arn": e["CU_PAT_SM_READ_ROLE"], "external_id": e["CU_PAT_EXTERNAL_ID"],
         "iam_role": f"{e['CU_PAT_PROD_WRITE_ROLE']},{e['CU_PAT_DEV_WRITE_ROLE']}",
         "query": sys.argv[2], "to": sys.argv[3], "format": "csv", "parallel": False,
         "max_file_size": "20 MB", "manifest": "plain"}
json.dump([{"request_id": "inv-deadline-server", "event": event, "deadline_in_ms": 20000}],
          open(sys.argv[1], "w"))
PY
python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$work/events.json" \
  --out "$work/posted.jsonl" --port-file "$work/port" --timeout 90 &
api_pid=$!
stack_on_exit "kill $api_pid 2>/dev/null"
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the Runtime API emulator did not start"

start_ns=$(date +%s%N)
env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/port")" \
  CU_LAMBDA_STOP_MARGIN_MS=2000 "$CROSSUNLOAD" lambda --max-invocations 1 >"$work/stdout" 2>"$work/stderr" &
fn_pid=$!
stack_on_exit "kill $fn_pid 2>/dev/null"

seen=""
for _ in $(seq 150); do
  seen=$(state)
  [[ "$seen" =~ ^0\ [1-9] ]] && break
  kill -0 "$fn_pid" 2>/dev/null || break
  sleep 0.1
done
[[ "$seen" =~ ^0\ [1-9] ]] ||
  cu_fail "never saw the UNLOAD mid-write ($seen): $(tail -3 "$work/stderr") gateway: $(tail -5 "$CU_PAT_GATEWAY_LOG")"
cu_note "mid-write: ${seen%% \[*} (objects, open multipart uploads)"

wait "$fn_pid" || cu_fail "crossunload lambda exited with $?: $(tail -5 "$work/stderr")"
wait "$api_pid" || cu_fail "the Runtime API emulator did not get an answer"
python3 - "$work/posted.jsonl" "$start_ns" <<'PY' || cu_fail "unexpected answer: $(cat "$work/posted.jsonl") gateway: $(tail -5 "$CU_PAT_GATEWAY_LOG")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
assert [p["path"] for p in posted] == ["/2018-06-01/runtime/invocation/inv-deadline-server/error"], posted
err = json.loads(posted[0]["body"])
assert posted[0]["error_type"] == "DeadlineExceeded" == err["errorType"], posted[0]
msg = err["errorMessage"]
assert "before the Lambda deadline" in msg and "UNLOAD was cancelled" in msg, msg
took = (posted[0]["at_ns"] - int(sys.argv[2])) / 1e9
assert took < 20, f"answered {took:.1f} s after the start, past the deadline"
print(f"answered after {took:.1f} s: {msg}")
PY
left=$(state)
cu_assert_eq "${left%% \[*}" "0 0" "objects and open multipart uploads left under s3://$CU_PAT_BUCKET/$prefix ($left)"
for _ in $(seq 50); do
  running=$(cu_psql postgres -Atc "select count(*) from pg_stat_activity where query like '%pg_sleep(120)%' and query not like '%pg_stat_activity%'")
  [[ "$running" == 0 ]] && break
  sleep 0.1
done
cu_assert_eq "$running" "0" "the UNLOAD's query still running in PostgreSQL"
cu_note "ok: UNLOAD cancelled before the deadline, DeadlineExceeded returned, nothing left"
