#!/usr/bin/env bash
# Proof of least privilege in moto (issue 7, item 4): both templates `crossunload infra`
# generates for a client-mode job are deployed through CloudFormation into a PRIVATE
# moto_server (IAM enforcement is global to a server; INITIAL_NO_AUTH_ACTION_COUNT=inf lets
# set-up run unchecked until enforcement is switched on), and `crossunload run` succeeds
# as the Lambda role using only the deployed roles; then each statement of the generated
# identity policies is removed in turn: the job fails with exit 3 naming the refused
# action, or, where moto cannot make the job need the statement, still succeeds and the
# reason is stated (infra_least_privilege.py says which and why; docs/deploy.md too).
# For this run only the Secrets Manager statement is widened to Resource "*", which moto
# requires. Trust policies and conditions (external id, s3:prefix) are not enforced by
# moto: infra_iam_simulate_test.mjs proves those.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

# A private moto_server in our own folder (the shared one must not see enforcement).
CU_STACK_DIR=$(cu_tmpdir)
source "$CU_SOURCE_DIR/scripts/lib/stack.sh"
CU_MOTO_AUTH_COUNT=inf stack_start_moto || cu_fail "the private moto_server did not start"
lp_moto_pid=$(cat "$CU_STACK_DIR/moto/pid")
trap '_stack_stop_moto "$lp_moto_pid"; rm -rf "$CU_TMP"' EXIT

work=$(cu_tmpdir)
cat >"$work/job.toml" <<TOML
region = "us-east-1"
query = "select * from venue"
to = "s3://lp-bucket/lp_"
format = "csv"
mode = "client"
secret_id = "lp_creds"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"
external_id = "lp-external-id"
iam_role = [
  "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role",
  "arn:aws:iam::111111111111:role/S3-Write-Role",
]
write_role_arn = "arn:aws:iam::111111111111:role/S3-Write-Role"
encrypted = true
kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f"

[infra]
stack_name = "lp"
secret_kms_key_arn = "arn:aws:kms:us-east-1:222222222222:key/5a2b1c0d-3c1b-4f6e-9d7a-0f6f8a1e9e8f"
TOML
"$CROSSUNLOAD" infra --config "$work/job.toml" --out "$work/infra" >/dev/null ||
  cu_fail "crossunload infra failed on the test's job file"
rows=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from venue")

facts=$(printf '{"job":"%s","crossunload":"%s","dev":"111111111111","prod":"222222222222","region":"us-east-1","bucket":"lp-bucket","prefix":"lp_","secret":"lp_creds","stack":"lp","rows":%s}' \
  "$work/job.toml" "$CROSSUNLOAD" "$rows")
python3 "$CU_SOURCE_DIR/tests/integration/infra_least_privilege.py" "$CU_MOTO_ENDPOINT" \
  "$work/infra" "$work" "$facts" || {
  echo "--- moto_server's log, last lines:" >&2
  grep -v '" 200 -$' "$CU_STACK_DIR/moto/server.log" | tail -40 >&2
  cu_fail "least privilege not shown (see above)"
}
