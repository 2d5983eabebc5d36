#!/usr/bin/env bash
# The AWS pattern through the Redshift Data API, under moto's IAM enforcement: the DEV
# "Lambda" has no database connection at all. `crossunload run --via data-api` assumes PROD
# SM-Read-Role with the external id, calls ExecuteStatement on the gateway's Data API (which
# authenticates the session keys and authorizes redshift-data:* through moto, and reads the
# secret as the cluster), follows the statement and verifies the objects. Checked: the
# objects' rows (DuckDB) equal PostgreSQL's COPY of the query; the report; a statement that
# fails half-way reports Redshift's error with exit 4 and leaves nothing; masking through the
# Data API (Redshift's SQL: sha2, which the stack's database has) equals PostgreSQL's answer
# to the rules written by hand (tests/support/mask_users.sh); a caller without
# redshift-data permissions is exit 3 naming the action; TICKIT users unmasked is refused by
# the personal-data guard's sample query (exit 2, nothing submitted). The asynchronous path is
# pattern_data_api_async_test.sh.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_data_api.sh"
source "$(dirname "$0")/../support/mask_users.sh"
pattern_data_api_world "-dapi$$"

# 1. Synchronous: submit, follow, verify.
query='select * from category'
prefix="s3://$CU_PAT_BUCKET/dapi_category_"
report="$CU_STACK_DIR/report.json"
pattern_run_data_api_job "$report" --query "$query" --to "$prefix" --manifest \
  --progress json --progress-interval 0.1 \
  >"$CU_STACK_DIR/run.out" 2>"$CU_STACK_DIR/run.err" ||
  cu_fail "the job failed: $(cat "$CU_STACK_DIR/run.err") gateway: $(tail -20 "$CU_PAT_GATEWAY_LOG")"
n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")
# Live progress (json): the statement's Data API status while it runs; the final event holds
# the report's rows, bytes and objects.
grep '^{"event":"progress"' "$CU_STACK_DIR/run.err" >"$CU_STACK_DIR/progress.jsonl" ||
  cu_fail "no progress event: $(cat "$CU_STACK_DIR/run.err")"
cu_assert_eq "$(jq -sc '[.[] | select(.final) | [.status, .rows, .bytes, .objects]]' "$CU_STACK_DIR/progress.jsonl")" \
  "$(jq -c '[["done", .rows, .bytes, (.files | length)]]' "$report")" "the final progress event = the report"
cu_assert_eq "$(jq -s '.[-1].final' "$CU_STACK_DIR/progress.jsonl")" "true" "the last progress event is the final one"
bad_status=$(jq -r 'select(.final | not) | .status' "$CU_STACK_DIR/progress.jsonl" |
  grep -vxE 'SUBMITTED|PICKED|STARTED|FINISHED|verifying' || true)
[[ -z "$bad_status" ]] || cu_fail "progress statuses that are no Data API status: $bad_status"
cu_assert_eq "$(jq -r .status "$report")" "ok" "report status"
cu_assert_eq "$(jq -r .via "$report")" "data-api" "report via"
cu_assert_eq "$(jq -r .rows "$report")" "$n" "report rows (ResultRows)"
cu_assert_eq "$(jq -r .source "$report")" "cluster crossunload-gateway/$CU_PG_DATABASE (Data API)" "report source"
[[ "$(jq -r .statement_id "$report")" =~ ^[0-9a-f-]{36}$ ]] || cu_fail "no statement id: $(cat "$report")"
cu_assert_eq "$(jq -r '[.steps[].name] | join(" ")' "$report")" "assume role pii check submit statement wait verify" "report steps"
# The personal-data guard ran its sample query as a statement of its own: category has none.
cu_assert_eq "$(jq -c '[.pii.policy, .pii.checked, .pii.findings]' "$report")" \
  '["refuse","a sample of 10000 rows in the database",[]]' "report pii"
cu_assert_eq "$(jq -r .manifest "$report")" "${prefix}manifest" "report manifest"
grep -q "statement $(jq -r .statement_id "$report"): FINISHED" "$CU_STACK_DIR/run.err" ||
  cu_fail "no progress line: $(cat "$CU_STACK_DIR/run.err")"
dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=dapi-lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/" "$dl/" --exclude "*" --include "dapi_category_*" ||
  cu_fail "cannot download the objects"
files=()
for f in "$dl"/dapi_category_*; do [[ $f == *manifest ]] || files+=("$f"); done
((${#files[@]} > 0)) || cu_fail "no objects under $prefix"
cu_assert_eq "$(cu_file_rows --format text --sort "${files[@]}")" \
  "$(cu_pg_rows "$query" --sort)" "rows in the DEV bucket vs PostgreSQL"

# 1b. Masked: the columns read through the Data API, the select wrapped in Redshift's SQL.
mask_users_job "$CU_STACK_DIR/mask.toml"
pattern_run_data_api_job "$CU_STACK_DIR/mask.json" --config "$CU_STACK_DIR/mask.toml" \
  --query "select * from users" --to "s3://$CU_PAT_BUCKET/dapi_masked_" --format csv \
  >/dev/null 2>"$CU_STACK_DIR/mask.err" ||
  cu_fail "the masked job failed: $(cat "$CU_STACK_DIR/mask.err") gateway: $(tail -20 "$CU_PAT_GATEWAY_LOG")"
cu_assert_eq "$(jq -r .mask_digest "$CU_STACK_DIR/mask.json")" "sha256" "report mask_digest"
jq -r .unload_sql "$CU_STACK_DIR/mask.json" | grep -q "sha2(.*, 256)" ||
  cu_fail "the UNLOAD sent does not hash with sha2: $(jq -r .unload_sql "$CU_STACK_DIR/mask.json")"
mkdir -p "$dl/masked"
AWS_PROFILE=dapi-lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/" "$dl/masked/" \
  --exclude "*" --include "dapi_masked_*" || cu_fail "cannot download the masked objects"
cu_assert_eq "$(cu_file_rows --format csv --sort "$dl"/masked/dapi_masked_*)" \
  "$(cu_pg_rows "$(mask_users_want)" --sort)" "masked rows through the Data API vs PostgreSQL"
# The salt reaches the cluster in the statement's text (docs/job.md, "Masking"), nothing else.
for f in "$CU_STACK_DIR/mask.json" "$CU_STACK_DIR/mask.err" "$dl"/masked/*; do
  ! grep -qF -- "$salt" "$f" || cu_fail "the mask salt is in $f"
done
cu_note "masking through the Data API equals PostgreSQL's answer"

# 1c. The personal-data guard through the Data API: users is refused by the sample query
# (a statement of its own; only counts come back), exit 2, no UNLOAD submitted.
rc=0
pattern_run_data_api_job "$CU_STACK_DIR/pii.json" --query "select * from users" \
  --to "s3://$CU_PAT_BUCKET/dapi_users_" >/dev/null 2>"$CU_STACK_DIR/pii.err" || rc=$?
cu_assert_eq "$rc" "2" "exit code of users through the Data API"
cu_assert_eq "$(sed -n 's/^ *column \([a-z]*\): .*refused.*/\1/p' "$CU_STACK_DIR/pii.err" | paste -sd, -)" \
  "email,phone" "columns refused through the Data API"
cu_assert_eq "$(jq -r .statement_id "$CU_STACK_DIR/pii.json")" "null" "no UNLOAD submitted"
cu_assert_eq "$(AWS_PROFILE=dapi-lambda aws s3 ls "s3://$CU_PAT_BUCKET/dapi_users_" || true)" "" \
  "objects under dapi_users_"

# 2. A statement that fails half-way: Redshift's error, exit 4, nothing under the prefix.
rc=0
pattern_run_data_api_job "$CU_STACK_DIR/fail.json" \
  --query "select catid, 10 / (catid - 6) as x from category order by catid" \
  --to "s3://$CU_PAT_BUCKET/dapi_fail_c_" --no-parallel \
  >/dev/null 2>"$CU_STACK_DIR/fail.err" || rc=$?
cu_assert_eq "$rc" "4" "exit code of a failing statement"
grep -q "Redshift: ERROR: division by zero" "$CU_STACK_DIR/fail.err" ||
  cu_fail "no Redshift error text: $(cat "$CU_STACK_DIR/fail.err")"
left=$(AWS_PROFILE=dapi-lambda aws s3 ls "s3://$CU_PAT_BUCKET/dapi_fail_" || true)
cu_assert_eq "$left" "" "objects left by the failed statement"

# 3. A caller without redshift-data permissions (the Lambda's own role): exit 3, the action.
rc=0
env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=dapi-lambda "$CROSSUNLOAD" run --region "$CU_PAT_REGION" \
  --via data-api --cluster-id crossunload-gateway --database "$CU_PG_DATABASE" \
  --secret-id "$CU_PAT_SECRET_ARN" --iam-role "$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE" \
  --query "$query" --to "s3://$CU_PAT_BUCKET/dapi_denied_c_" >/dev/null 2>"$CU_STACK_DIR/denied.err" || rc=$?
cu_assert_eq "$rc" "3" "exit code of a caller the Data API refuses"
grep -q "redshift-data:ExecuteStatement" "$CU_STACK_DIR/denied.err" ||
  cu_fail "the refusal does not name the action: $(cat "$CU_STACK_DIR/denied.err")"

# No secret in any output.
for f in "$CU_STACK_DIR"/*.err "$CU_STACK_DIR"/*.json "$CU_PAT_GATEWAY_LOG"; do
  ! grep -qF "$CU_PG_PASSWORD" "$f" || cu_fail "the database password is in $f"
  while read -r k; do
    ! grep -qF "$k" "$f" || cu_fail "a secret key is in $f"
  done < <(pattern_secret_keys)
done
