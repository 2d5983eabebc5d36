#!/usr/bin/env bash
# Bad input to the cross-account job (issue 4 item 6), at the command line, each refused
# with exit 2 and one error line naming the step and resource with the rule's wording,
# and nothing written: no object and no open multipart upload under the run's prefix in
# the DEV bucket (listed with boto3); the --report file says "failed" with the exit code
# and the same error; no secret printed. Runs the way run_cross_account_test.sh does — the DEV Lambda's role,
# a PROD secret read through SM-Read-Role — so the only fault is the one under test:
#   the secret: not JSON, port "abc", no password, port 70000;
#   an ARN that is not an IAM role ARN (secret_role_arn, iam_role); 11 roles in iam_role;
#   an outer LIMIT (and, for contrast, a LIMIT in a subquery, which is fine);
#   s3:// without a bucket; PARQUET with DELIMITER, HEADER, ADDQUOTES, GZIP;
#   ALLOWOVERWRITE with CLEANPATH.
# A query that is not one SELECT is refused in run_errors_test.sh, the same rules' exact
# texts in tests/unit/unload_validate_test.cpp and aws_secrets_test.cpp.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/pattern_world.sh"

sfx="-bad$$$RANDOM"
cu_pattern_world "$sfx"

# bad_secret NAME TEXT: a PROD secret whose SecretString is TEXT with @PW@ replaced by the
# database password (through the environment, never argv). SM-Read-Role may read
# redshift_creds<sfx>-*, so the names extend that one.
bad_secret() {
  SECRET_NAME="$CU_PAT_SECRET_ID-$1" SECRET_TEXT="$2" python3 - "$CU_MOTO_ENDPOINT" <<'PY' ||
import os, sys
from moto_client import moto_client
c = moto_client("secretsmanager", "222222222222", sys.argv[1])
c.create_secret(Name=os.environ["SECRET_NAME"],
                SecretString=os.environ["SECRET_TEXT"].replace("@PW@", os.environ["CU_PG_PASSWORD"]))
PY
    cu_fail "cannot create the secret $1"
}
good_fields="\"host\":\"$CU_PG_HOST\",\"dbname\":\"$CU_PG_DATABASE\",\"username\":\"$CU_PG_USER\""
# Broken after the password: a JSON parser's own message would quote the text near it.
bad_secret bad-json "{$good_fields,\"password\":\"@PW@\",\"port\":$CU_PG_PORT,"
bad_secret port-abc "{$good_fields,\"password\":\"@PW@\",\"port\":\"abc\"}"
bad_secret no-password "{$good_fields,\"port\":$CU_PG_PORT}"
bad_secret port-70000 "{$good_fields,\"password\":\"@PW@\",\"port\":70000}"

bucket=$CU_PAT_BUCKET
runs="$CU_STACK_DIR/runs"
mkdir -p "$runs"
q="select * from category"

# expect NAME CODE "WHERE" "MESSAGE" [-- RUN ARGS...]: runs the job with RUN ARGS and the
# good defaults and checks the refusal. WHERE is what follows "crossunload: error: ".
expect() {
  local name=$1 code=$2 where=$3 message=$4
  shift 4
  [[ ${1:-} == -- ]] && shift
  # The good defaults, each unless the case gives that flag itself (CLI11 refuses a
  # single-valued flag given twice).
  local defaults=(--secret-id "$CU_PAT_SECRET_ID" --secret-role-arn "$CU_PAT_SM_READ_ROLE"
    --query "$q" --to "s3://$bucket/bad$sfx/$name/x_") args=() i
  for ((i = 0; i < ${#defaults[@]}; i += 2)); do
    [[ " $* " == *" ${defaults[i]} "* ]] || args+=("${defaults[i]}" "${defaults[i + 1]}")
  done
  set +e
  env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda "$CROSSUNLOAD" run --mode client \
    --region "$CU_PAT_REGION" --external-id "$CU_PAT_EXTERNAL_ID" \
    --report "$runs/$name.json" "${args[@]}" "$@" >"$runs/$name.out" 2>"$runs/$name.err"
  local rc=$?
  set -e
  local err
  err=$(cat "$runs/$name.err")
  [[ $rc == "$code" ]] || cu_fail "$name: exit code $rc, want $code: $err"
  [[ $(grep -c '^crossunload: error: ' "$runs/$name.err") == 1 ]] || cu_fail "$name: want one error line: $err"
  grep -qF "crossunload: error: $where" "$runs/$name.err" || cu_fail "$name: the error does not start with \"$where\": $err"
  grep -qF -- "$message" "$runs/$name.err" || cu_fail "$name: the error does not say \"$message\": $err"
  # Refused configuration or failed step: the report says so either way.
  [[ -s "$runs/$name.json" ]] || cu_fail "$name: no report written"
  cu_assert_eq "$(jq -r '"\(.status) \(.exit_code)"' "$runs/$name.json")" "failed $code" "$name: report"
  grep -qF -- "$(jq -r .error "$runs/$name.json")" "$runs/$name.err" ||
    cu_fail "$name: the report's error is not the one printed: $(jq -r .error "$runs/$name.json")"
  cu_assert_eq "$(moto_s3 objects "$bucket" "bad$sfx/$name/")" "" "$name: objects under the prefix"
  cu_assert_eq "$(moto_s3 uploads "$bucket" "bad$sfx/$name/")" "0" "$name: multipart uploads open"
  cu_note "$name: exit $rc, $(grep '^crossunload: error: ' "$runs/$name.err")"
}

sid=$CU_PAT_SECRET_ID
expect secret-bad-json 2 "read secret $sid-bad-json" "not valid JSON" -- --secret-id "$sid-bad-json"
expect secret-port-abc 2 "read secret $sid-port-abc" \
  'field "port" is "abc", expected a port number 1 to 65535' -- --secret-id "$sid-port-abc"
expect secret-no-password 2 "read secret $sid-no-password" 'field "password" is missing' -- \
  --secret-id "$sid-no-password"
expect secret-port-70000 2 "read secret $sid-port-70000" 'field "port" is 70000, expected 1 to 65535' -- \
  --secret-id "$sid-port-70000"

user_arn="arn:aws:iam::222222222222:user/SM-Read$sfx"
expect secret-role-not-a-role 2 "configure secret_role_arn" "'$user_arn' is not an IAM role ARN" -- \
  --secret-role-arn "$user_arn"
policy_arn="arn:aws:iam::111111111111:policy/S3-Write$sfx"
expect iam-role-not-a-role 2 "validate UNLOAD IAM_ROLE" "'$policy_arn' is not an IAM role ARN" -- \
  --iam-role "$CU_PAT_PROD_WRITE_ROLE,$policy_arn"
chain=()
for i in $(seq 1 11); do chain+=(--iam-role "arn:aws:iam::111111111111:role/Hop$i$sfx"); done
expect iam-role-11 2 "validate UNLOAD IAM_ROLE" "the role chain has 11 roles; at most 10 roles can be chained" -- \
  "${chain[@]}"

expect outer-limit 2 "validate UNLOAD LIMIT" "LIMIT is not allowed in the outermost SELECT" -- \
  --query "select * from sales order by salesid limit 10"
expect no-bucket 2 "validate UNLOAD TO" "'s3://' has no bucket" -- --to "s3://"
expect parquet-delimiter 2 "validate UNLOAD DELIMITER PARQUET" "DELIMITER cannot be used with PARQUET" -- \
  --format parquet --delimiter ','
expect parquet-header 2 "validate UNLOAD HEADER PARQUET" "HEADER cannot be used with PARQUET" -- \
  --format parquet --header
expect parquet-addquotes 2 "validate UNLOAD ADDQUOTES PARQUET" "ADDQUOTES cannot be used with PARQUET" -- \
  --format parquet --addquotes
expect parquet-gzip 2 "validate UNLOAD GZIP PARQUET" "GZIP cannot be used with PARQUET" -- \
  --format parquet --compression gzip
expect overwrite-cleanpath 2 "validate UNLOAD CLEANPATH ALLOWOVERWRITE" "CLEANPATH cannot be used with ALLOWOVERWRITE" -- \
  --allow-overwrite --clean-path

# The spec's own example of what is allowed instead: a LIMIT inside a subquery.
key="bad$sfx/inner-limit/x_"
env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda "$CROSSUNLOAD" run --mode client \
  --region "$CU_PAT_REGION" --secret-id "$sid" --secret-role-arn "$CU_PAT_SM_READ_ROLE" \
  --external-id "$CU_PAT_EXTERNAL_ID" --format csv --report "$runs/inner-limit.json" \
  --query "select * from sales where salesid in (select salesid from sales order by salesid desc limit 10)" \
  --to "s3://$bucket/$key" >"$runs/inner-limit.out" 2>"$runs/inner-limit.err" ||
  cu_fail "a LIMIT in a subquery was refused: $(cat "$runs/inner-limit.err")"
cu_assert_eq "$(jq -r .rows "$runs/inner-limit.json")" "10" "rows of the subquery-LIMIT unload"

# No secret in anything printed or reported: the password, the runner's key, the sessions.
secrets="$CU_STACK_DIR/secrets"
cu_pattern_secrets "$sfx" "$secrets"
if found=$(grep -rlF -f "$secrets" "$runs"); then
  cu_fail "a secret appears in: $(echo "$found" | xargs -n1 basename | paste -sd' ')"
fi
cu_note "ok: every bad input refused with exit 2, nothing written, no secret printed"
