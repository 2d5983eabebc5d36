#!/usr/bin/env bash
# S3 goes away mid-run (issue 13 item 4). A client-mode run writes through
# tests/support/s3_fault_proxy.py in front of moto; while it is caught mid-write (an upload
# open, the query pausing 8 s inside PostgreSQL) the proxy is stopped, so every later
# request is refused — S3 unreachable, moto itself keeping what it holds. Then:
#   - exit 5 within the retries' bound, one error line naming the endpoint ("could not
#     connect") and saying the clean-up could not run;
#   - the report: failed, exit 5, `left` saying what may remain;
#   - nothing visible under the prefix (no object, no manifest): objects are completed only
#     in the commit phase, which was never reached;
#   - what stays is only incomplete uploads (the writer could not abort them), and
#     `ListMultipartUploads` shows them: what `teardown` and the lifecycle rule clean.
# A second case stops moto itself (a private moto_server): exit 5, the same error.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/fault_lib.sh"

bucket="s3down-$$-$RANDOM"
fault_bucket "$bucket"
work=$(cu_tmpdir)
# ~31 MB before the pause in one slice of 16 MB files: one file complete, one being written.
query=$(fault_slow_query 105000 95000 8)

fault_proxy --rate 0
out="$work/proxy-gone"
fault_start "$out" "s3://$bucket/gone/part_" "$query" --format csv --no-parallel \
  --max-file-size 16MB --manifest
open_upload() { [[ $(fault_s3 uploads "$bucket" "gone/") -ge 1 ]]; }
fault_wait_sleeping open_upload
fault_proxy_stop
t0=$SECONDS
fault_wait_exit 120
cu_assert_eq "$fault_rc" "5" "exit code with S3 unreachable: $(cat "$out.err")"
grep -q "^crossunload: error: .*could not connect to http://127.0.0.1:" "$out.err" ||
  cu_fail "the error does not name the unreachable endpoint: $(cat "$out.err")"
cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed 5" "report"
jq -r .left "$out.json" | grep -qi "clean-up failed" ||
  cu_fail "the report's left does not say the clean-up failed: $(jq -r .left "$out.json")"
cu_assert_eq "$(fault_s3 objects "$bucket" "gone/")" "" "objects visible under gone/"
cu_note "proxy gone: exit 5 after $((SECONDS - t0)) s, $(fault_s3 uploads "$bucket" "gone/") upload(s) left open for teardown: $(grep -o 'error: .*' "$out.err" | cut -c1-200)…"
fault_query_gone

# moto itself stopped: a private moto_server, killed mid-run.
shared_moto=$CU_MOTO_ENDPOINT
cu_private_moto
trap '_fault_cleanup; stack_cleanup; rm -rf "$CU_TMP"' EXIT
private_moto=$CU_MOTO_ENDPOINT
fault_bucket "$bucket"
FAULT_ENDPOINT=$private_moto
out="$work/moto-gone"
fault_start "$out" "s3://$bucket/gone/part_" "$query" --format csv --no-parallel \
  --max-file-size 16MB --manifest
fault_wait_sleeping open_upload
kill "$(cat "$CU_STACK_DIR/moto/pid")"
t0=$SECONDS
fault_wait_exit 120
cu_assert_eq "$fault_rc" "5" "exit code with moto stopped: $(cat "$out.err")"
grep -q "^crossunload: error: .*could not connect to $private_moto" "$out.err" ||
  cu_fail "the error does not name moto's endpoint: $(cat "$out.err")"
cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed 5" "report"
fault_query_gone
cu_note "moto stopped: exit 5 after $((SECONDS - t0)) s"
CU_MOTO_ENDPOINT=$shared_moto
cu_note "ok"
