#!/usr/bin/env bash
# Masking in server mode: the job of the AWS pattern (secret read through SM-Read-Role,
# `crossunload gateway` as the PROD Redshift) with the rules of tests/support/mask_users.sh
# (email, digits:4, hash, null, keep:1, redact) sends an UNLOAD whose select already masks
# the columns in Redshift's SQL (sha2(…, 256)), so the cluster writes masked values into the
# DEV bucket. The objects (downloaded with awscli, read by DuckDB) equal PostgreSQL's answer
# to the same rules written here by hand; the salt is in no object, report or message of
# the job.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"
source "$(dirname "$0")/../support/mask_users.sh"

sfx="-mask$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret

job="$CU_STACK_DIR/job.toml"
mask_users_job "$job"

query='select * from users'
prefix="s3://$CU_PAT_BUCKET/masked/users_"
report="$CU_STACK_DIR/report.json"
pattern_run_job "$report" --config "$job" --query "$query" --to "$prefix" --format csv \
  -v >"$CU_STACK_DIR/run.out" 2>"$CU_STACK_DIR/run.err" ||
  cu_fail "the job failed: $(cat "$CU_STACK_DIR/run.err") gateway: $(cat "$CU_PAT_GATEWAY_LOG")"

n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from users")
cu_assert_eq "$(jq -r .mode "$report")" "server" "report mode (the gateway is detected as Redshift)"
cu_assert_eq "$(jq -r .rows "$report")" "$n" "report rows (pg_last_unload_count)"
cu_assert_eq "$(jq -cS .masked "$report")" \
  '{"city":"hash","email":"email","firstname":"keep:1","lastname":"redact","phone":"digits:4","state":"null"}' \
  "report masked"
jq -r .unload_sql "$report" | grep -q 'as cu_masked' ||
  cu_fail "the UNLOAD sent does not wrap the query: $(jq -r .unload_sql "$report")"
# Redshift's text: sha2(…, 256), which the gateway's PostgreSQL runs as the function
# scripts/sql/redshift_functions.sql creates in the stack's database.
jq -r .unload_sql "$report" | grep -q "sha2(.*, 256)" ||
  cu_fail "the UNLOAD sent does not hash with sha2: $(jq -r .unload_sql "$report")"
cu_assert_eq "$(jq -r .mask_digest "$report")" "sha256" "report mask_digest"

dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/masked/" "$dl/" ||
  cu_fail "cannot download the objects"
files=("$dl"/*)
((${#files[@]} > 0)) || cu_fail "no objects under $prefix"

cu_pg_rows "$(mask_users_want)" --sort >"$CU_STACK_DIR/want"
cu_file_rows --format csv --sort "${files[@]}" >"$CU_STACK_DIR/got"
cu_assert_eq "$(wc -l <"$CU_STACK_DIR/got" | tr -d ' ')" "$n" "rows in the DEV bucket"
if ! cmp -s "$CU_STACK_DIR/want" "$CU_STACK_DIR/got"; then
  diff "$CU_STACK_DIR/want" "$CU_STACK_DIR/got" | head -10 >&2 || true
  cu_fail "masked rows in the DEV bucket differ from PostgreSQL's answer"
fi

# The cluster itself receives the salt in the UNLOAD's text (docs/job.md, "Masking"), so the
# gateway's log, standing for the cluster's statement log, is not checked.
for f in "$report" "$CU_STACK_DIR/run.out" "$CU_STACK_DIR/run.err" "${files[@]}"; do
  if grep -qF -- "$salt" "$f"; then cu_fail "the salt appears in $(basename "$f")"; fi
done
cu_note "ok: server mode masks in the cluster's UNLOAD ($n rows); the salt is in no output"
