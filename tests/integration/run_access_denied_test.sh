#!/usr/bin/env bash
# AccessDenied at each AWS step of the job (issue 4 item 6), under IAM enforcement on a
# PRIVATE moto_server (enforcement is global to a server; docs/development.md#moto): exit 3, one
# error line naming the step, the role / secret / bucket refused and the identity that
# was refused, and nothing written (no object, no open multipart upload).
#   sts:AssumeRole   the Lambda runner's user may assume only the Lambda role, not PROD
#                    SM-Read-Role;
#   GetSecretValue   the cluster's user through PROD NoChain-Role, which it may assume but
#                    which may not read the secret;
#   S3               the cluster's user writing the DEV bucket in client mode through
#                    write_role_arn NoChain-Role, which has no S3 access to it (refused at
#                    the listing that checks the prefix is empty); and a DEV user that may
#                    list and read the bucket but not write it (refused at the upload).
# (The Lambda's own role cannot be used here: its trust policy names a Service principal,
# which moto answers with a 500 under enforcement.)
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
python3 -c 'import boto3' 2>/dev/null || cu_fail "python3 boto3 is missing (scripts/install-deps)"
command -v curl >/dev/null || cu_fail "curl is missing (scripts/install-deps installs it)"

# A private moto_server (enforcement is global to a server).
cu_private_moto inf
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"
moto_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" "$@"; }
enforce() {
  curl -sf -X POST -H 'Content-Type: text/plain' --data "$1" "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null ||
    cu_fail "moto refused reset-auth $1"
}

sfx="-deny$$"
pattern_setup "$sfx" negative || cu_fail "cannot build the pattern's accounts in moto"
eval "$(python3 "$CU_SOURCE_DIR/scripts/lib/pattern_setup.py" "$CU_MOTO_ENDPOINT" secret \
  "$CU_PG_HOST" "$CU_PG_PORT" "$CU_PG_DATABASE" "$CU_PG_USER" --suffix="$sfx")" ||
  cu_fail "cannot create the PROD secret"
bucket=$CU_PAT_BUCKET
# A DEV user that may list and read the bucket, not write it; its keys go straight from
# boto3 into the credentials file as profile reader-only.
python3 - "$CU_MOTO_ENDPOINT" "$bucket" "$sfx" "$AWS_SHARED_CREDENTIALS_FILE" <<'PY' ||
import json, sys
from moto_client import moto_client
endpoint, bucket, sfx, creds = sys.argv[1:]
iam = moto_client("iam", "111111111111", endpoint)
iam.create_user(UserName=f"reader-only{sfx}")
iam.put_user_policy(UserName=f"reader-only{sfx}", PolicyName="read-bucket", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
     "Action": ["s3:ListBucket", "s3:GetObject"],
     "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
k = iam.create_access_key(UserName=f"reader-only{sfx}")["AccessKey"]
with open(creds, "a") as f:
    f.write(f"\n[reader-only]\naws_access_key_id = {k['AccessKeyId']}\n"
            f"aws_secret_access_key = {k['SecretAccessKey']}\n")
PY
  cu_fail "cannot create the read-only user"
runner="arn:aws:iam::111111111111:user/lambda-runner$sfx"
nochain="arn:aws:sts::222222222222:assumed-role/NoChain-Role$sfx/crossunload"
runs="$CU_STACK_DIR/runs"
mkdir -p "$runs"
enforce 0

# expect NAME PROFILE MUST_CONTAIN... -- RUN ARGS...: exit 3, one error line holding every
# MUST_CONTAIN string. Destinations are s3://bucket/denied_NAME_ (a prefix without '/':
# moto's signing gotcha under enforcement).
expect() {
  local name=$1 profile=$2
  shift 2
  local want=()
  while [[ $1 != -- ]]; do
    want+=("$1")
    shift
  done
  shift
  set +e
  env -u PGPASSWORD AWS_PROFILE="$profile" "$CROSSUNLOAD" run --region "$CU_PAT_REGION" \
    --mode client --query "select * from category" --to "s3://$bucket/denied_${name}_" \
    --report "$runs/$name.json" "$@" >"$runs/$name.out" 2>"$runs/$name.err"
  local rc=$?
  set -e
  local err
  err=$(grep '^crossunload: error: ' "$runs/$name.err" || true)
  [[ $rc == 3 ]] || cu_fail "$name: exit $rc, want 3: $(cat "$runs/$name.err")"
  [[ $(wc -l <<<"$err") == 1 && -n $err ]] || cu_fail "$name: want one error line: $(cat "$runs/$name.err")"
  local w
  for w in "${want[@]}"; do
    [[ $err == *"$w"* ]] || cu_fail "$name: the error does not name \"$w\": $err"
  done
  cu_note "$name: exit 3, $err"
}

expect sts lambda-runner "assume role" "$CU_PAT_SM_READ_ROLE" "$runner" "AccessDenied" -- \
  --secret-id "$CU_PAT_SECRET_ARN" --secret-role-arn "$CU_PAT_SM_READ_ROLE" \
  --external-id "$CU_PAT_EXTERNAL_ID"
expect secret redshift-cluster "read secret" "$CU_PAT_SECRET_ARN" "$nochain" "AccessDenied" -- \
  --secret-id "$CU_PAT_SECRET_ARN" --secret-role-arn "$CU_PAT_NOCHAIN_ROLE"
expect s3-list redshift-cluster "list s3://$bucket/denied_s3-list_" "$nochain" "AccessDenied" -- \
  --source "$CU_PG_CONNINFO" --write-role-arn "$CU_PAT_NOCHAIN_ROLE"
expect s3-put reader-only "s3://$bucket/denied_s3-put_" "arn:aws:iam::111111111111:user/reader-only$sfx" \
  "AccessDenied" -- --source "$CU_PG_CONNINFO" --no-parallel

# Nothing written, read as the owner with enforcement off.
enforce inf
cu_assert_eq "$(moto_s3 objects "$bucket" "")" "" "objects in the DEV bucket"
cu_assert_eq "$(moto_s3 uploads "$bucket" "")" "0" "multipart uploads open in the DEV bucket"
for f in "$runs"/*; do
  if grep -qF -- "$CU_PG_PASSWORD" "$f"; then cu_fail "the database password appears in $(basename "$f")"; fi
done
cu_note "ok: STS, Secrets Manager and S3 refusals exit 3 naming resource and identity; nothing written"
