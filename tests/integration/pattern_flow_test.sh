#!/usr/bin/env bash
# The AWS pattern end to end, as scripts/demo runs it, with assertions: the two accounts in
# moto (scripts/lib/pattern_setup.py), `crossunload gateway` as the PROD cluster with its
# own identity, and `crossunload run` as the DEV Lambda's role: assume SM-Read-Role with
# the external id, read the secret, connect to the gateway (Redshift → server mode), UNLOAD
# with the chain CrossAccount-S3-Write-Role,S3-Write-Role into the DEV bucket, verify.
# Checked against independent sources: the objects' rows (read back by DuckDB) equal
# PostgreSQL's own COPY of the query; the manifest (read from S3 with awscli) lists exactly
# the objects; the report's fields; and no log or report holds the database password or a
# secret key.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_gateway.sh"

sfx="-flow$$"
pattern_setup "$sfx"
pattern_start_gateway
pattern_make_secret

query='select * from category'
prefix="s3://$CU_PAT_BUCKET/tickit/category_"
report="$CU_STACK_DIR/report.json"
pattern_run_job "$report" --query "$query" --to "$prefix" --manifest \
  >"$CU_STACK_DIR/run.out" 2>"$CU_STACK_DIR/run.err" ||
  cu_fail "the job failed: $(cat "$CU_STACK_DIR/run.err") gateway: $(cat "$CU_PAT_GATEWAY_LOG")"

# The report, field by field.
n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")
cu_assert_eq "$(jq -r .status "$report")" "ok" "report status"
cu_assert_eq "$(jq -r .mode "$report")" "server" "report mode (the gateway is detected as Redshift)"
cu_assert_eq "$(jq -r .source "$report")" "127.0.0.1:$CU_PAT_GATEWAY_PORT/$CU_PG_DATABASE" "report source"
cu_assert_eq "$(jq -r .destination "$report")" "$prefix" "report destination"
cu_assert_eq "$(jq -r .rows "$report")" "$n" "report rows (pg_last_unload_count)"
cu_assert_eq "$(jq -r .manifest "$report")" "${prefix}manifest" "report manifest"
steps=$(jq -r '.steps[].name' "$report" | tr '\n' ' ')
for s in unload verify; do
  [[ " $steps " == *" $s "* ]] || cu_fail "report steps lack '$s': $steps"
done
jq -r .unload_sql "$report" | grep -q "IAM_ROLE '$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE'" ||
  cu_fail "unload_sql lacks the chain: $(jq -r .unload_sql "$report")"

# The objects in the DEV bucket, read as the Lambda's role with awscli (not our S3 code).
dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/tickit/" "$dl/" ||
  cu_fail "cannot download the objects"
mapfile -t data < <(cd "$dl" && ls | grep -v manifest | sort)
((${#data[@]} > 0)) || cu_fail "no data objects in s3://$CU_PAT_BUCKET/tickit/"
want_urls=$(printf "s3://$CU_PAT_BUCKET/tickit/%s\n" "${data[@]}")
cu_assert_eq "$(jq -r '.files[].url' "$report" | sort)" "$want_urls" "report files = objects in the bucket"
cu_assert_eq "$(jq -r '.entries[].url' "$dl/category_manifest" | sort)" "$want_urls" \
  "manifest entries = objects in the bucket"
total=0
for f in "${data[@]}"; do total=$((total + $(stat -c %s "$dl/$f"))); done
cu_assert_eq "$(jq -r .bytes "$report")" "$total" "report bytes = the objects' sizes"

files=()
for f in "${data[@]}"; do files+=("$dl/$f"); done
cu_assert_eq "$(cu_file_rows --format text --sort "${files[@]}")" \
  "$(cu_pg_rows "$query" --sort)" "rows in the DEV bucket vs PostgreSQL"

# The gateway says who wrote: the chain from the cluster's identity.
grep -q "assume role $CU_PAT_PROD_WRITE_ROLE -> $CU_PAT_DEV_WRITE_ROLE" "$CU_PAT_GATEWAY_LOG" ||
  cu_fail "the gateway's log does not name the chain: $(cat "$CU_PAT_GATEWAY_LOG")"

# No secret anywhere: the database password, the two users' secret keys.
for secret in "$CU_PG_PASSWORD" $(pattern_secret_keys); do
  for f in "$CU_PAT_GATEWAY_LOG" "$report" "$CU_STACK_DIR/run.out" "$CU_STACK_DIR/run.err"; do
    if grep -qF -- "$secret" "$f"; then cu_fail "a secret appears in $(basename "$f")"; fi
  done
done
cu_note "ok: pattern flow, $n rows in ${#data[@]} object(s) of s3://$CU_PAT_BUCKET"
