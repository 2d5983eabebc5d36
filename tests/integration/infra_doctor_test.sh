#!/usr/bin/env bash
# crossunload doctor walks the chain link by link against its own moto_server (IAM
# enforcement on) and the stack's PostgreSQL. With everything right every link holds; then
# each link is broken in turn and doctor must stop exactly there, with that link's exit
# code and message, after an "ok" for every link before it.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"
command -v moto_server >/dev/null || cu_fail "moto_server is missing (scripts/install-deps)"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps)"

work=$(cu_tmpdir)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=1000000 moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; rm -rf "$CU_TMP"' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$endpoint/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
closed=$(free_port) # nothing listens there
bucket="doctor-$$"
keys=$(python3 "$CU_SOURCE_DIR/tests/integration/infra_doctor_world.py" "$endpoint" eu-central-1 "$bucket" "$closed") ||
  cu_fail "set-up failed: $(tail -5 "$work/moto.log")"

job() { # job FILE [key = value lines for the top level]
  {
    echo 'region = "eu-central-1"'
    echo 'query = "select 1"'
    echo 'secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"'
    echo 'external_id = "ext-doctor"'
    cat
    echo '[infra]'
    echo 'dev_account_id = "111111111111"'
  } >"$1"
}
doctor() { # doctor USER JOBFILE -> output in $out, exit code in $rc
  local user=$1
  set +e
  out=$(env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    AWS_ENDPOINT_URL="$endpoint" AWS_REGION=eu-central-1 \
    ${user:+AWS_ACCESS_KEY_ID="$(jq -r ".$user.key" <<<"$keys")"} \
    ${user:+AWS_SECRET_ACCESS_KEY="$(jq -r ".$user.secret" <<<"$keys")"} \
    "$CROSSUNLOAD" doctor --config "$2" 2>&1)
  rc=$?
  set -e
}
links=(identity "assume role" "read secret" "resolve host" "reach host:port" tls "log in" server destination)
# expect_stop CASE LINK EXIT SUBSTRING: doctor stopped at LINK with EXIT, every earlier link ok.
expect_stop() {
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

job "$work/good.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-good\""
doctor etl "$work/good.toml"
cu_assert_eq "$rc" "0" "exit code with every link right (output: $out)"
for l in "${links[@]}"; do grep -q "^ok    $l " <<<"$out" || cu_fail "link '$l' not ok: $out"; done
grep -q "every link holds" <<<"$out" || cu_fail "no conclusion: $out"

doctor "" "$work/good.toml"
expect_stop "there are no credentials" identity 3 "stopped at link 1"

doctor nobody "$work/good.toml"
expect_stop "the user may not assume SM-Read-Role" "assume role" 3 "AccessDenied"

job "$work/nosecret.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-missing\""
doctor etl "$work/nosecret.toml"
expect_stop "the secret does not exist" "read secret" 2 "db-missing"

job "$work/nohost.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-nohost\""
doctor etl "$work/nohost.toml"
expect_stop "the host does not resolve" "resolve host" 4 "no-such-host.invalid"

job "$work/closed.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-closed\""
doctor etl "$work/closed.toml"
expect_stop "nothing listens on the port" "reach host:port" 4 "security group must allow TCP $closed"

ssl=$(cu_psql tickit -Atc 'show ssl')
if [[ $ssl == off ]]; then
  job "$work/tls.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-good\"
sslmode = \"require\""
  doctor etl "$work/tls.toml"
  expect_stop "TLS is required of a server without it" tls 4 "does not offer TLS but sslmode is require"
else
  cu_fail "the test PostgreSQL has ssl=$ssl; this test expects the stack's server without TLS"
fi

job "$work/badpass.toml" <<<"to = \"s3://$bucket/out-x_\"
secret_id = \"db-badpass\""
doctor etl "$work/badpass.toml"
expect_stop "the password is wrong" "log in" 3 "password authentication failed"

job "$work/nobucket.toml" <<<"to = \"s3://no-such-bucket-$$/out-x_\"
secret_id = \"db-good\""
doctor etl "$work/nobucket.toml"
[[ $rc != 0 ]] || cu_fail "doctor passed with a missing bucket: $out"
expect_stop "the bucket does not exist" destination "$rc" "no-such-bucket-$$"
cu_note "doctor holds with everything right and stops at each broken link with its fix"
