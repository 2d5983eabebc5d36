#!/usr/bin/env bash
# crossunload doctor with via = "data-api", against the gateway's Data API under moto's IAM
# enforcement (tests/support/pattern_data_api.sh): instead of the network links (resolve,
# TCP, TLS, log in) it reads the secret as the PROD role (the Data API reads it with its
# caller's permissions) and runs `select 1` through the Data API as that role, followed until
# FINISHED. Every link holds; then the role may not read the secret (exit 3 at "read
# secret"), may not use the Data API (exit 3 at "data api", naming
# redshift-data:ExecuteStatement), and a database that does not exist makes the statement
# FAILED (exit 4 at "data api", with the server's message).
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_data_api.sh"
pattern_data_api_world "-ddoc$$"

job() { # job FILE DATABASE
  cat >"$1" <<EOT
region = "$CU_PAT_REGION"
via = "data-api"
cluster_id = "crossunload-gateway"
database = "$2"
secret_id = "$CU_PAT_SECRET_ARN"
secret_role_arn = "$CU_PAT_SM_READ_ROLE"
external_id = "$CU_PAT_EXTERNAL_ID"
iam_role = ["$CU_PAT_PROD_WRITE_ROLE", "$CU_PAT_DEV_WRITE_ROLE"]
query = "select 1"
to = "s3://$CU_PAT_BUCKET/doctor_"
EOT
}
doctor() { # doctor JOBFILE -> $out, $rc
  set +e
  out=$(env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=dapi-lambda "$CROSSUNLOAD" doctor --config "$1" 2>&1)
  rc=$?
  set -e
}
links=(identity "assume role" "read secret" "data api" destination)
expect_stop() { # CASE LINK EXIT SUBSTRING
  local name=$1 link=$2 code=$3 want=$4 l
  cu_assert_eq "$rc" "$code" "exit code when $name"
  grep -q "^FAIL  $link " <<<"$out" || cu_fail "$name: no FAIL line for '$link': $out"
  grep -qF -- "$want" <<<"$out" || cu_fail "$name: the message lacks '$want': $out"
  for l in "${links[@]}"; do
    [[ $l == "$link" ]] && break
    grep -q "^ok    $l " <<<"$out" || cu_fail "$name: link '$l' before '$link' is not ok: $out"
  done
  [[ $out != *"$CU_PG_PASSWORD"* ]] || cu_fail "$name: the output shows the database password"
}
# moto authorizes Secrets Manager calls against resource "*", so the role's policy on the
# secret's ARN never matches under its enforcement (docs/development.md#moto): for this
# test the role may read any secret, and the refusal below takes that grant away.
iam_prod() { # iam_prod put|delete POLICY-NAME [DOCUMENT]
  python3 - "$CU_MOTO_ENDPOINT" "$@" "SM-Read-Role-ddoc$$" <<'PY'
import sys
from moto_client import moto_client
endpoint, verb, name = sys.argv[1], sys.argv[2], sys.argv[3]
iam = moto_client("iam", "222222222222", endpoint, "us-east-1")
if verb == "put":
    iam.put_role_policy(RoleName=sys.argv[5], PolicyName=name, PolicyDocument=sys.argv[4])
else:
    iam.delete_role_policy(RoleName=sys.argv[4], PolicyName=name)
PY
}
auth_off() { curl -sf -X POST -H 'Content-Type: text/plain' --data inf "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null; }
auth_on() { curl -sf -X POST -H 'Content-Type: text/plain' --data 0 "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null; }
read_any='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
auth_off
iam_prod put moto-reads-any-secret "$read_any"
auth_on

job "$CU_STACK_DIR/good.toml" "$CU_PG_DATABASE"
doctor "$CU_STACK_DIR/good.toml"
cu_assert_eq "$rc" "0" "exit code with every link right (output: $out)"
for l in "${links[@]}"; do grep -q "^ok    $l " <<<"$out" || cu_fail "link '$l' not ok: $out"; done
grep -q "^ok    data api  *select 1 on cluster crossunload-gateway/$CU_PG_DATABASE as arn:aws:sts::222222222222:assumed-role/SM-Read-Role-ddoc$$/crossunload-doctor: FINISHED" <<<"$out" ||
  cu_fail "the data api line does not say what ran where as whom: $out"
for l in "resolve host" "reach host:port" tls "log in"; do
  ! grep -q "  $l " <<<"$out" || cu_fail "doctor probed '$l' with via = data-api: $out"
done
grep -q "every link holds" <<<"$out" || cu_fail "no conclusion: $out"
# The gateway ran it: its Data API lists the statement as FINISHED.
grep -q "select 1" <(AWS_PROFILE=redshift-cluster aws redshift-data list-statements \
  --endpoint-url "$AWS_ENDPOINT_URL_REDSHIFT_DATA" --status FINISHED --output json) ||
  cu_fail "the gateway's Data API has no finished select 1"

auth_off
iam_prod delete moto-reads-any-secret
auth_on
doctor "$CU_STACK_DIR/good.toml"
expect_stop "the role may not read the secret" "read secret" 3 "secretsmanager:GetSecretValue"
auth_off
iam_prod put moto-reads-any-secret "$read_any"
iam_prod delete use-data-api
auth_on
doctor "$CU_STACK_DIR/good.toml"
expect_stop "the role may not use the Data API" "data api" 3 "redshift-data:ExecuteStatement"
auth_off
python3 "$CU_SOURCE_DIR/scripts/lib/pattern_setup.py" "$CU_MOTO_ENDPOINT" data-api --suffix="-ddoc$$"
auth_on

job "$CU_STACK_DIR/nodb.toml" "no_such_database_$$"
doctor "$CU_STACK_DIR/nodb.toml"
expect_stop "the database does not exist" "data api" 4 "no_such_database_$$"
cu_note "doctor through the Data API: select 1 FINISHED as the PROD role; refusals stop at their link"
