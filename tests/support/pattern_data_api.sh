# shellcheck shell=bash
# Shared prologue of the pattern_data_api* tests: the AWS pattern in a PRIVATE moto_server
# with IAM enforcement (stopped at exit, with the gateway), the gateway serving the Data API
# (--data-api-listen, moto as --data-api-authorizer), the PROD secret, SM-Read-Role allowed
# the Data API, and a DEV user "dapi-lambda" standing for the Lambda's role (under
# enforcement moto cannot assume the Lambda role itself: its trust names a Service
# principal, which moto 500s on). After it: CU_PAT_* (scripts/lib/pattern.sh),
# AWS_ENDPOINT_URL_REDSHIFT_DATA, CU_PAT_LAMBDA_PROFILE=dapi-lambda, IAM enforced.
#
#   source "$(dirname "$0")/../support/testlib.sh"
#   source "$(dirname "$0")/../support/pattern_data_api.sh"
#   pattern_data_api_world "-mytest$$"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v aws >/dev/null || cu_fail "awscli is missing (scripts/install-deps installs it)"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"

# A private moto_server with IAM enforcement (as pattern_chain_denied_test does).
export CU_STACK_DIR
CU_STACK_DIR=$(cu_tmpdir)
source "$CU_SOURCE_DIR/scripts/lib/stack.sh"
trap 'stack_cleanup; rm -rf "$CU_TMP"' EXIT
shared_moto=$CU_MOTO_ENDPOINT
CU_MOTO_AUTH_COUNT=inf stack_start_moto || cu_fail "cannot start a private moto_server (log above)"
[[ $CU_MOTO_ENDPOINT != "$shared_moto" ]] || cu_fail "the private moto_server is the shared one"
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
enforce() {
  curl -sf -X POST -H 'Content-Type: text/plain' --data "$1" "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null ||
    cu_fail "moto refused reset-auth $1"
}

pattern_data_api_world() {
  local sfx=$1
  pattern_setup "$sfx" negative # "negative": no Service principal (moto 500s on it when enforcing)
  pattern_start_gateway --data-api-listen 127.0.0.1:0 --data-api-authorizer "$CU_MOTO_ENDPOINT"
  [[ -n "${CU_PAT_DATA_API_PORT:-}" ]] || cu_fail "the gateway's Data API did not start: $(cat "$CU_PAT_GATEWAY_LOG")"
  pattern_make_secret
  pattern_grant_data_api || cu_fail "cannot grant the Data API permissions"
  # The Lambda's stand-in: assume PROD SM-Read-Role, read the bucket; its keys go straight
  # into the credentials file.
  python3 - "$CU_MOTO_ENDPOINT" "$CU_PAT_BUCKET" "$sfx" "$CU_PAT_SM_READ_ROLE" \
    "$AWS_SHARED_CREDENTIALS_FILE" <<'PY' || cu_fail "cannot create the Lambda's stand-in user"
import json, sys, boto3
endpoint, bucket, sfx, role, creds = sys.argv[1:]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.meta.events.register("before-sign.*.*",
    lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111111111111"))
iam.create_user(UserName=f"dapi-lambda{sfx}")
iam.put_user_policy(UserName=f"dapi-lambda{sfx}", PolicyName="lambda", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
k = iam.create_access_key(UserName=f"dapi-lambda{sfx}")["AccessKey"]
with open(creds, "a") as f:
    f.write(f"\n[dapi-lambda]\naws_access_key_id = {k['AccessKeyId']}\n"
            f"aws_secret_access_key = {k['SecretAccessKey']}\nregion = us-east-1\n")
PY
  export CU_PAT_LAMBDA_PROFILE=dapi-lambda
  enforce 0
}
