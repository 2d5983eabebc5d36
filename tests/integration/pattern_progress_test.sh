#!/usr/bin/env bash
# Live progress in server mode: the DEV job sends UNLOAD to `crossunload gateway` (the PROD
# cluster) with `--progress json`; while the statement runs, each event has its status and
# the objects and bytes under the prefix as the write identity lists them; the final event's
# rows, bytes and objects equal the report's, and the report's bytes are the objects' sizes
# as awscli lists them (not our S3 code).
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"

sfx="-progress$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret

# Long enough for several intervals: one pg_sleep per 20000 rows.
query="select g, md5(g::text) as h from generate_series(1, 60000) g
       where g % 20000 <> 0 or (select true from pg_sleep(0.4 + g * 0))"
prefix="s3://$CU_PAT_BUCKET/progress/run_"
report="$CU_STACK_DIR/report.json"
CU_LOG_JSON=1 pattern_run_job "$report" --query "$query" --to "$prefix" --pii off \
  --progress json --progress-interval 0.2 \
  >"$CU_STACK_DIR/run.out" 2>"$CU_STACK_DIR/run.err" ||
  cu_fail "the job failed: $(cat "$CU_STACK_DIR/run.err") gateway: $(cat "$CU_PAT_GATEWAY_LOG")"
cu_assert_eq "$(jq -r .mode "$report")" "server" "report mode"

listed=$(AWS_PROFILE=lambda aws s3api list-objects-v2 --bucket "$CU_PAT_BUCKET" \
  --prefix progress/run_ --query 'sum(Contents[].Size)' --output text) ||
  cu_fail "cannot list the bucket"
cu_assert_eq "$(jq -r .bytes "$report")" "$listed" "report bytes = the objects' sizes (awscli)"

python3 - "$CU_STACK_DIR/run.err" "$report" <<'EOF' || cu_fail "server-mode progress events"
import json, sys
events = []
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        doc = json.loads(line)
    except ValueError:
        sys.exit(f"line {i} of stderr is not JSON: {line!r}")
    if doc.get("event") == "progress":
        events.append(doc)
report = json.load(open(sys.argv[2]))
if len(events) < 3:
    sys.exit(f"{len(events)} progress event(s); the statement ran for several intervals")
running = [e for e in events[:-1]]
for e in running:
    if e["final"] or e["status"] not in ("running", "verifying"):
        sys.exit(f"an event during the statement: {e}")
    if "rows" in e or "eta_s" in e:
        sys.exit(f"rows or an ETA while Redshift has not said them: {e}")
    if "objects" not in e:
        sys.exit(f"no object count while the statement runs: {e}")
for a, b in zip(events, events[1:]):
    if b["elapsed_s"] < a["elapsed_s"]:
        sys.exit("elapsed_s went down")
last = events[-1]
if not last["final"] or last["status"] != "done":
    sys.exit(f"the last event is not the final one: {last}")
want = (report["rows"], report["bytes"], len(report["files"]))
got = (last["rows"], last["bytes"], last["objects"])
if got != want:
    sys.exit(f"final event rows/bytes/objects {got}, report {want}")
print(f"{len(events)} events; final {got}")
EOF
cu_note "ok: server-mode progress through the gateway"
