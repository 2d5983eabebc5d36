#!/usr/bin/env bash
# SIGTERM and SIGINT stop `crossunload run` cleanly (issue 13): a client-mode run into S3
# (moto) and into a folder is caught mid-write — rows streamed and written, an upload or a
# file open, the query sleeping inside PostgreSQL — and signalled. Then, within seconds:
#   - exit 143 (SIGTERM) / 130 (SIGINT), one error line naming the interrupt;
#   - the report: status "failed", the same exit code, the error, `left` = nothing;
#   - nothing visible under the prefix (no object, no manifest; no file, hidden ones
#     included) and no multipart upload open (ListMultipartUploads, boto3);
#   - the query cancelled: the run's session is gone from pg_stat_activity.
# (A second signal exits at once: cli_stop_signals_test.)
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/fault_lib.sh"

bucket="interrupt-$$-$RANDOM"
fault_bucket "$bucket"
work=$(cu_tmpdir)
# ~31 MB before the pause, one slice: with 16 MB files the first is complete, the second
# being written (a part of 8 MB sent: a multipart upload is open).
query=$(fault_slow_query 105000 95000)

check_stopped() { # check_stopped SIGNAL WANT_RC DEST KIND
  local sig=$1 want=$2 dest=$3 kind=$4 rc err
  local t0=$SECONDS
  kill -s "$sig" "$fault_pid"
  fault_wait_exit 20
  rc=$fault_rc
  err=$(cat "$out.err")
  cu_assert_eq "$rc" "$want" "exit code after SIG$sig ($kind)"
  grep -q "^crossunload: error: .*interrupted by SIG$sig" "$out.err" ||
    cu_fail "no error line naming SIG$sig: $err"
  cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed $want" "report status and exit code"
  jq -r .error "$out.json" | grep -q "interrupted by SIG$sig" || cu_fail "the report's error does not name SIG$sig: $(cat "$out.json")"
  jq -r .left "$out.json" | grep -q "^nothing" || cu_fail "the report does not say nothing was left: $(cat "$out.json")"
  cu_assert_eq "$(jq -r .manifest "$out.json")" "null" "report manifest"
  fault_query_gone
  cu_note "SIG$sig ($kind): exit $rc after $((SECONDS - t0)) s: $(grep -o 'interrupted by.*' "$out.err" | cut -c1-150)…"
}

for sig in TERM INT; do
  [[ $sig == TERM ]] && want=143 || want=130

  # S3: wait for an open multipart upload (and, until the commit protocol, complete objects).
  key="s3-$sig/part_"
  out="$work/s3-$sig"
  fault_start "$out" "s3://$bucket/$key" "$query" --format csv --no-parallel --max-file-size 16MB --manifest
  open_upload() { [[ $(fault_s3 uploads "$bucket" "$key") -ge 1 ]]; }
  fault_wait_sleeping open_upload
  check_stopped "$sig" "$want" "s3://$bucket/$key" S3
  cu_assert_eq "$(fault_s3 objects "$bucket" "$key")" "" "objects left under s3://$bucket/$key"
  cu_assert_eq "$(fault_s3 uploads "$bucket" "$key")" "0" "multipart uploads left open under $key"

  # Folder: wait for files (complete or hidden temporary ones) of the run.
  dir="$work/folder-$sig"
  mkdir -p "$dir"
  out="$work/folder-$sig"
  fault_start "$out" "$dir/part_" "$query" --format csv --no-parallel --max-file-size 16MB --manifest
  some_file() { [[ -n $(fault_folder_files "$dir") ]]; }
  fault_wait_sleeping some_file
  check_stopped "$sig" "$want" "$dir/part_" folder
  cu_assert_eq "$(fault_folder_files "$dir")" "" "files left in $dir"
done

cu_note "ok: SIGTERM and SIGINT stop the run cleanly in S3 and folder mode"
