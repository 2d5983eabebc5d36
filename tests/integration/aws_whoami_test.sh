#!/usr/bin/env bash
# `crossunload whoami` against a private moto_server with IAM enforcement on: the identity
# at each hop of DEV user -> PROD role (external id) -> DEV role, and the errors a user sees
# when a hop is denied or the keys are wrong (exit 3, the hop, the role, the caller, AWS's
# code and request id). A private server because enforcement is global to a server.
set -euo pipefail
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[[ -n "${CROSSUNLOAD:-}" && -x "$CROSSUNLOAD" ]] ||
  fail "CROSSUNLOAD is not set: run this test through scripts/test (or ctest)"
ROOT="${CU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
source "$ROOT/scripts/lib/stack.sh"
CU_MOTO_AUTH_COUNT=inf stack_start_moto
# Inside scripts/test the stack's exit handler belongs to the outer shell: stop our own
# server here, or it outlives the test.
whoami_moto_pid=$(cat "$CU_STACK_DIR/moto/pid")
trap '_stack_stop_moto "$whoami_moto_pid"' EXIT
E="$CU_MOTO_ENDPOINT"

sfx=$RANDOM$RANDOM
world=$(python3 "$ROOT/tests/integration/aws_moto_setup.py" "$E" "$sfx")
get() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$world" "$1"; }
PROD_ROLE=$(get prod_role)
DEV_ROLE=$(get dev_role)
EXT=$(get external_id)

# From here on every request is authenticated and authorized.
curl -sf -X POST -H 'Content-Type: text/plain' --data 0 "$E/moto-api/reset-auth" >/dev/null ||
  fail "could not switch IAM enforcement on"

run() {
  env -i PATH="$PATH" HOME="$CU_STACK_DIR" AWS_ENDPOINT_URL="$E" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID="$(get access_key_id)" \
    AWS_SECRET_ACCESS_KEY="${SECRET_OVERRIDE:-$(get secret_access_key)}" \
    "$CROSSUNLOAD" whoami "$@"
}

# 1. The whole chain.
out=$(run --role-arn "$PROD_ROLE" --external-id "$EXT" --role-arn "$DEV_ROLE") ||
  fail "whoami over the chain failed: $out"
echo "$out"
accounts=$(echo "$out" | awk '$1 == "account" { print $2 }' | paste -sd,)
[[ "$accounts" == "111111111111,222222222222,111111111111" ]] ||
  fail "accounts at each hop: got '$accounts'"
grep -q "arn      arn:aws:iam::111111111111:user/etl-$sfx" <<<"$out" || fail "no user ARN"
grep -q "arn      arn:aws:sts::222222222222:assumed-role/SM-Read-Role-$sfx/" <<<"$out" ||
  fail "no PROD assumed-role ARN"
grep -q "arn      arn:aws:sts::111111111111:assumed-role/S3-Write-Role-$sfx/" <<<"$out" ||
  fail "no DEV assumed-role ARN"

# 2. The second hop is denied: the PROD role may assume the DEV role only.
set +e
err=$(run --role-arn "$PROD_ROLE" --external-id "$EXT" --role-arn "$PROD_ROLE" 2>&1 >/dev/null)
rc=$?
set -e
echo "$err"
[[ $rc == 3 ]] || fail "denied hop: exit $rc, want 3"
[[ "$err" == *"hop 2 of 2: assume role $PROD_ROLE as arn:aws:sts::222222222222:assumed-role/SM-Read-Role-$sfx/"* ]] ||
  fail "denied hop: the message does not name hop, role and caller"
[[ "$err" == *"[AccessDenied] (request id "* ]] || fail "denied hop: no code and request id"

# 3. The user may not assume the DEV role directly: the caller is the user.
set +e
err=$(run --role-arn "$DEV_ROLE" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc == 3 ]] || fail "denied first hop: exit $rc, want 3"
[[ "$err" == *"hop 1 of 1: assume role $DEV_ROLE as arn:aws:iam::111111111111:user/etl-$sfx"* ]] ||
  fail "denied first hop: $err"

# 4. A wrong secret key: the very first call fails, exit 3, and the key is not printed.
set +e
err=$(SECRET_OVERRIDE="wrong-secret-key-0123456789" run 2>&1 >/dev/null)
rc=$?
set -e
echo "$err"
[[ $rc == 3 ]] || fail "wrong key: exit $rc, want 3"
[[ "$err" == *"SignatureDoesNotMatch"* || "$err" == *"InvalidClientTokenId"* ]] ||
  fail "wrong key: $err"
[[ "$err" != *"wrong-secret-key-0123456789"* ]] || fail "the secret key was printed"
# 5. A malformed role ARN and a chain longer than Redshift's 10 hops are refused before any
#    AWS call: exit 2, the rule's words.
set +e
err=$(run --role-arn "arn:aws:iam::22222222222:role/Short-Account" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc == 2 ]] || fail "malformed ARN: exit $rc, want 2: $err"
[[ "$err" == *"whoami --role-arn 1: 'arn:aws:iam::22222222222:role/Short-Account' is not an IAM role ARN"* ]] ||
  fail "malformed ARN: $err"
hops=()
for i in $(seq 1 11); do hops+=(--role-arn "arn:aws:iam::111111111111:role/Hop$i"); done
set +e
err=$(run "${hops[@]}" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc == 2 ]] || fail "11 hops: exit $rc, want 2: $err"
[[ "$err" == *"the role chain has 11 roles; at most 10 roles can be chained"* ]] || fail "11 hops: $err"
[[ "$err" != *"hop 1 of"* ]] || fail "11 hops: a role was assumed before the refusal: $err"
echo "PASS"
