# shellcheck shell=bash
# The AWS pattern on one machine, as functions over a running stack (scripts/lib/stack.sh:
# PostgreSQL with TICKIT and moto). scripts/demo and tests/integration/pattern_* use them.
#
#   source scripts/lib/stack.sh; source scripts/lib/pattern.sh
#   pattern_setup [SUFFIX]      # two accounts in moto (pattern_setup.py), AWS profiles:
#                               #   lambda            = the DEV Lambda's execution role
#                               #   redshift-cluster  = the PROD cluster's own identity
#   pattern_start_gateway       # crossunload gateway (PROD Redshift); exports CU_PAT_GATEWAY_PORT
#   pattern_make_secret         # PROD secret redshift_creds pointing at the gateway
#   pattern_run_job REPORT ...  # crossunload run as the Lambda's role; extra args appended
#   pattern_grant_data_api      # the asynchronous variant: SM-Read-Role may use the Data API
#   pattern_run_data_api_job REPORT ...  # crossunload run --via data-api as the Lambda's role
#                               # (needs pattern_start_gateway --data-api-listen 127.0.0.1:0)
#
# Needs CROSSUNLOAD (the executable). Keys go only into 0600 files under CU_STACK_DIR and
# the environment, never onto a command line. The gateway is stopped when the stack exits.

CU_ROOT="${CU_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

pattern_setup() {
  local sfx="${1:-}" negative="${2:-}"
  [[ -n "${CU_MOTO_ENDPOINT:-}" ]] || { echo "pattern: moto is not running" >&2; return 1; }
  local exports
  exports="$(python3 "$CU_ROOT/scripts/lib/pattern_setup.py" "$CU_MOTO_ENDPOINT" topology \
    --suffix="$sfx" ${negative:+--negative})" || return 1
  eval "$exports"
  CU_PAT_SUFFIX="$sfx"
  local dir="$CU_STACK_DIR/aws$sfx"
  mkdir -p "$dir"
  (
    umask 077
    cat >"$dir/credentials" <<EOF
[lambda-runner]
aws_access_key_id = $CU_PAT_LAMBDA_KEY_ID
aws_secret_access_key = $CU_PAT_LAMBDA_SECRET_KEY

[redshift-cluster]
aws_access_key_id = $CU_PAT_CLUSTER_KEY_ID
aws_secret_access_key = $CU_PAT_CLUSTER_SECRET_KEY
EOF
    cat >"$dir/config" <<EOF
[default]
region = $CU_PAT_REGION

[profile lambda]
role_arn = $CU_PAT_LAMBDA_ROLE
source_profile = lambda-runner
role_session_name = crossunload-lambda
region = $CU_PAT_REGION

[profile redshift-cluster]
region = $CU_PAT_REGION
EOF
  )
  # Every AWS call of crossunload and awscli goes to moto, with these files only.
  export AWS_CONFIG_FILE="$dir/config" AWS_SHARED_CREDENTIALS_FILE="$dir/credentials"
  export AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT" AWS_REGION="$CU_PAT_REGION"
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
  # Keys are in the files; the shell variables are not needed any more.
  unset CU_PAT_LAMBDA_SECRET_KEY CU_PAT_CLUSTER_SECRET_KEY
  export CU_PAT_BUCKET CU_PAT_LAMBDA_ROLE CU_PAT_SM_READ_ROLE CU_PAT_EXTERNAL_ID \
    CU_PAT_SECRET_ID CU_PAT_PROD_WRITE_ROLE CU_PAT_DEV_WRITE_ROLE CU_PAT_REGION
}

# The keys pattern_setup wrote (for log scans): one per line.
pattern_secret_keys() {
  awk -F' = ' '/secret_access_key/ {print $2}' "$AWS_SHARED_CREDENTIALS_FILE"
}

pattern_start_gateway() {
  local log="$CU_STACK_DIR/gateway$CU_PAT_SUFFIX.log"
  : >"$log" # before the background job opens it, so that the loop below can read it
  AWS_PROFILE=redshift-cluster "$CROSSUNLOAD" gateway --listen 127.0.0.1:0 \
    --upstream "127.0.0.1:$CU_PG_PORT" --aws-profile redshift-cluster \
    --default-iam-role "$CU_PAT_PROD_WRITE_ROLE" "$@" >"$log" 2>&1 &
  local pid=$!
  stack_on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  local i
  for ((i = 0; i < 100; i++)); do
    CU_PAT_GATEWAY_PORT="$(sed -n 's/^crossunload gateway listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" || true)"
    [[ -n "$CU_PAT_GATEWAY_PORT" ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  [[ -n "$CU_PAT_GATEWAY_PORT" ]] || { echo "pattern: the gateway did not start" >&2; cat "$log" >&2; return 1; }
  export CU_PAT_GATEWAY_PORT CU_PAT_GATEWAY_PID=$pid CU_PAT_GATEWAY_LOG="$log"
  # With --data-api-listen: the Data API's port (its line follows the first one), and
  # crossunload's endpoint for it.
  CU_PAT_DATA_API_PORT=""
  if [[ " $* " == *" --data-api-listen "* ]]; then
    for ((i = 0; i < 100; i++)); do
      CU_PAT_DATA_API_PORT="$(sed -n 's/^crossunload gateway Data API listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" || true)"
      [[ -n "$CU_PAT_DATA_API_PORT" ]] && break
      kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
      sleep 0.1
    done
  fi
  if [[ -n "$CU_PAT_DATA_API_PORT" ]]; then
    export CU_PAT_DATA_API_PORT AWS_ENDPOINT_URL_REDSHIFT_DATA="http://127.0.0.1:$CU_PAT_DATA_API_PORT"
  fi
}

pattern_make_secret() {
  local exports
  exports="$(CU_PG_PASSWORD="$CU_PG_PASSWORD" python3 "$CU_ROOT/scripts/lib/pattern_setup.py" \
    "$CU_MOTO_ENDPOINT" secret 127.0.0.1 "$CU_PAT_GATEWAY_PORT" "$CU_PG_DATABASE" "$CU_PG_USER" \
    --suffix="$CU_PAT_SUFFIX")" || return 1
  eval "$exports"
  export CU_PAT_SECRET_ARN
}

# pattern_run_job REPORT [extra run flags…]: the DEV Lambda's job, run as its role.
pattern_run_job() {
  local report="$1"
  shift
  # The secret's password must come from the secret, not from a password file.
  env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=lambda "$CROSSUNLOAD" run \
    --region "$CU_PAT_REGION" \
    --secret-id "$CU_PAT_SECRET_ID" --secret-role-arn "$CU_PAT_SM_READ_ROLE" \
    --external-id "$CU_PAT_EXTERNAL_ID" --role-session-name crossunload-demo \
    --iam-role "$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE" \
    --report "$report" "$@"
}

pattern_grant_data_api() {
  python3 "$CU_ROOT/scripts/lib/pattern_setup.py" "$CU_MOTO_ENDPOINT" data-api \
    --suffix="$CU_PAT_SUFFIX"
}

# pattern_run_data_api_job REPORT [extra run flags…]: the DEV Lambda's job through the Data
# API — no database connection: assume SM-Read-Role, ExecuteStatement on the gateway's Data
# API with the secret's ARN, follow it, verify the objects. As profile lambda, or
# CU_PAT_LAMBDA_PROFILE.
pattern_run_data_api_job() {
  local report="$1"
  shift
  env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE="${CU_PAT_LAMBDA_PROFILE:-lambda}" "$CROSSUNLOAD" run \
    --region "$CU_PAT_REGION" --via data-api --cluster-id crossunload-gateway \
    --database "$CU_PG_DATABASE" --secret-id "$CU_PAT_SECRET_ARN" \
    --secret-role-arn "$CU_PAT_SM_READ_ROLE" --external-id "$CU_PAT_EXTERNAL_ID" \
    --role-session-name crossunload-demo \
    --iam-role "$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE" \
    --report "$report" "$@"
}
