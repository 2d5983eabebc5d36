#!/usr/bin/env bash
# SIGTERM and SIGINT stop `crossunload run` cleanly (issue 13): a client-mode run into S3
# (moto) and into a folder is caught mid-write — rows streamed and written, an upload or a
# file open, the query sleeping inside PostgreSQL — and signalled. Then, within seconds:
#   - exit 143 (SIGTERM) / 130 (SIGINT), one error line naming the interrupt;
#   - the report: status "failed", the same exit code, the error, `left` = nothing;
#   - nothing visible under the prefix (no object, no manifest; no file, hidden ones
#     included) and no multipart upload open (ListMultipartUploads, boto3);
#   - the query cancelled: the run's session is gone from pg_stat_activity.
# (A second signal exits at once: cli_stop_signals_test.) SIGKILL leaves the report
# "running" with what to clean, and an open upload that `crossunload teardown` aborts.
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

# SIGKILL: the process can clean nothing. Its report still says "running" and what to
# clean; the open multipart upload is there; `crossunload teardown` (DEV credentials, a
# job file naming the prefix; no stack deployed) aborts it and leaves the prefix empty.
key="kill/part_"
out="$work/kill"
fault_start "$out" "s3://$bucket/$key" "$query" --format csv --no-parallel --max-file-size 16MB --manifest
open_upload() { [[ $(fault_s3 uploads "$bucket" "$key") -ge 1 ]]; }
fault_wait_sleeping open_upload
kill -KILL "$fault_pid"
fault_wait_exit 10
cu_assert_eq "$fault_rc" "137" "exit code after SIGKILL"
cu_assert_eq "$(jq -r .status "$out.json")" "running" "report status after SIGKILL"
jq -r .left "$out.json" | grep -q "the process died: .*crossunload teardown" ||
  cu_fail "the report does not say what to clean after a crash: $(cat "$out.json")"
uploads=$(fault_s3 uploads "$bucket" "$key")
((uploads >= 1)) || cu_fail "no incomplete upload after SIGKILL mid-write"
cat >"$work/teardown.toml" <<TOML
region = "us-east-1"
to = "s3://$bucket/$key"
secret_id = "unused"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"
external_id = "fault-test"
iam_role = ["arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role", "arn:aws:iam::$FAULT_ACCOUNT:role/S3-Write-Role"]
TOML
AWS_ENDPOINT_URL=$CU_MOTO_ENDPOINT "$CROSSUNLOAD" teardown --config "$work/teardown.toml" >"$work/teardown.out" 2>&1 ||
  cu_fail "teardown failed: $(cat "$work/teardown.out")"
grep -qF "aborted $uploads incomplete multipart uploads under s3://$bucket/$key" "$work/teardown.out" ||
  cu_fail "teardown does not say it aborted the uploads: $(cat "$work/teardown.out")"
cu_assert_eq "$(fault_s3 uploads "$bucket" "$key")" "0" "uploads open after teardown"
cu_assert_eq "$(fault_s3 objects "$bucket" "$key")" "" "objects after teardown"
# A killed client cannot cancel: its backend sleeps on until it next writes.
cu_psql postgres -Atc "select pg_terminate_backend(pid) from pg_stat_activity where application_name = '$fault_tag'" >/dev/null
cu_note "SIGKILL: report running, $uploads upload(s) left, aborted by teardown"

cu_note "ok: SIGTERM and SIGINT stop the run cleanly in S3 and folder mode; after SIGKILL teardown cleans"
