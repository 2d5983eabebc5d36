#!/usr/bin/env bash
# The source database drops the job's connection mid-stream (issue 4 item 6): the
# cross-account job (PROD secret through SM-Read-Role, client mode into the DEV bucket in
# moto) streams a large query with MAXFILESIZE 5 MB and MANIFEST; once objects of the run
# are in the bucket, another session ends the job's backend with pg_terminate_backend
# (found by application_name = crossunload). Then: exit 4 with PostgreSQL's own reason,
# the report "failed", no object of this run left under the prefix, no multipart upload
# open (ListMultipartUploads), no manifest — and an object another run put next to the
# prefix is still there. Objects of the run are multipart uploads not completed until the
# commit (docs/formats.md "Commit"): the test waits for one such upload.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/pattern_world.sh"

sfx="-drop$$$RANDOM"
cu_pattern_world "$sfx"
bucket=$CU_PAT_BUCKET
key="drop/run_"
prefix="s3://$bucket/$key"

# Another run's object beside the prefix: the clean-up must not touch it.
AWS_PROFILE=lambda aws s3 cp --quiet - "s3://$bucket/drop/keep_000" <<<"another run" ||
  cu_fail "cannot put the neighbour object"

# About 150 MB of text in 5 MB objects, with a 20 s pause about half-way (at one row, in
# whichever order PostgreSQL joins): a fast build would otherwise finish the whole COPY
# between the moment the test sees the first object and pg_terminate_backend, and the run
# would rightly succeed. The run's tag tells its backend from other tests' sessions.
tag="run$sfx"
q="select s.*, g, '$tag' as run,
  case when s.salesid = 100000 and g = 6 then (select 1 from pg_sleep(20)) end as pause
  from sales s cross join generate_series(1, 12) g"
out="$CU_STACK_DIR/job"
env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda "$CROSSUNLOAD" run --mode client \
  --region "$CU_PAT_REGION" --secret-id "$CU_PAT_SECRET_ID" \
  --secret-role-arn "$CU_PAT_SM_READ_ROLE" --external-id "$CU_PAT_EXTERNAL_ID" \
  --query "$q" --to "$prefix" --max-file-size 5MB --manifest --report "$out.json" \
  >"$out.out" 2>"$out.err" &
job=$!
stack_on_exit "kill $job 2>/dev/null"

# Wait until the job's COPY is running and at least one object of it is being uploaded.
backend="" objects=0
for ((i = 0; i < 600; i++)); do
  kill -0 "$job" 2>/dev/null || break
  backend=$(cu_psql "$CU_PG_DATABASE" -Atc "select pid from pg_stat_activity
    where application_name = 'crossunload' and state = 'active' and query ilike 'copy%'
      and query like '%$tag%'")
  if [[ -n $backend ]]; then
    objects=$(moto_s3 uploads "$bucket" "$key")
    ((objects > 0)) && break
  fi
  sleep 0.1
done
kill -0 "$job" 2>/dev/null ||
  cu_fail "the job ended before it could be interrupted: $(cat "$out.err")"
[[ -n $backend ]] || cu_fail "no active backend with application_name = crossunload running the query"
[[ $(wc -w <<<"$backend") == 1 ]] || cu_fail "more than one crossunload backend: $backend"
((objects > 0)) || cu_fail "no upload of the run started in 60 s"
cu_assert_eq "$(cu_psql "$CU_PG_DATABASE" -Atc "select pg_terminate_backend($backend)")" "t" \
  "pg_terminate_backend"
cu_note "terminated backend $backend with $objects upload(s) of the run open"

rc=0
wait "$job" || rc=$?
err=$(cat "$out.err")
cu_assert_eq "$rc" "4" "exit code after the database dropped the connection"
[[ $(grep -c '^crossunload: error: ' "$out.err") == 1 ]] || cu_fail "want one error line: $err"
# The step, the source, and why: PostgreSQL's own reason for pg_terminate_backend with its
# SQLSTATE when the backend sent it, or — the usual case here, the backend being blocked
# writing rows to a job busy uploading — the statement that the server sent no reason
# (PostgreSQL sends none from a blocked write; pg_terminate_test.cpp proves both states).
grep -qF "crossunload: error: unload $CU_PG_HOST:$CU_PG_PORT/$CU_PG_DATABASE: " "$out.err" ||
  cu_fail "the error does not name the unload step and the source: $err"
grep -qE "terminating connection due to administrator command \(SQLSTATE 57P01\)|the server closed the connection unexpectedly and sent no reason" \
  "$out.err" || cu_fail "the error does not say that the database ended the connection: $err"
grep -qF "nothing of this run was published (uploads aborted, temporary files removed)" "$out.err" ||
  cu_fail "the error does not say what was cleaned up: $err"
cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$out.json")" "failed 4" "report status and exit code"
cu_assert_eq "$(jq -r .manifest "$out.json")" "null" "report manifest"

cu_assert_eq "$(moto_s3 objects "$bucket" "$key")" "" "objects of the run left under $prefix"
cu_assert_eq "$(moto_s3 uploads "$bucket" "drop/")" "0" "multipart uploads open under drop/"
cu_assert_eq "$(moto_s3 objects "$bucket" "drop/" | cut -f1)" "s3://$bucket/drop/keep_000" \
  "what is left under drop/ (the neighbour only)"
if grep -qF -- "$CU_PG_PASSWORD" "$out.out" "$out.err" "$out.json"; then
  cu_fail "the database password was printed"
fi
cu_note "ok: exit 4, $(grep '^crossunload: error: ' "$out.err" | cut -c1-160)…"
