#!/usr/bin/env bash
# Proof of least privilege in moto (issue 7, item 4): both templates `crossunload infra`
# generates are deployed through CloudFormation into a PRIVATE moto_server (IAM
# enforcement is global to a server; INITIAL_NO_AUTH_ACTION_COUNT=inf lets set-up run
# unchecked until enforcement is switched on), for two jobs: client mode (the job reads
# the secret through SM-Read-Role and writes as S3-Write-Role) and server mode (the job
# sends UNLOAD to `crossunload gateway`, which stands in for Redshift and assumes the
# IAM_ROLE chain; the job verifies as the Lambda role). `crossunload run` succeeds as the
# Lambda role using only the deployed roles; then each statement of the generated
# identity policies is removed in turn: the job fails with exit 3 naming the refused call,
# or, where moto cannot make the job need the statement, still succeeds and the reason is
# stated (infra_least_privilege.py says which and why; docs/deploy.md too). For this run
# only the Secrets Manager statement is widened to Resource "*", which moto requires, and
# the same-account trusts are adapted to moto's literal checks (printed). The generated
# trust policies and conditions (external id, s3:prefix, kms:ViaService) are proven by
# infra_iam_simulate_test.mjs.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

# A private moto_server (the shared one must not see enforcement).
cu_private_moto inf

work=$(cu_tmpdir)
# job_file MODE SUFFIX: the pattern's job, its roles suffixed so both jobs' stacks coexist.
job_file() {
  local mode=$1 sfx=$2 lower
  lower=$(echo "$mode" | cut -c1)
  cat <<TOML
region = "us-east-1"
query = "select * from venue"
to = "s3://lp-bucket/lp${lower}_"
format = "csv"
secret_id = "lp${lower}_creds"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role$sfx"
external_id = "lp-external-id"
iam_role = [
  "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role$sfx",
  "arn:aws:iam::111111111111:role/S3-Write-Role$sfx",
]
encrypted = true
kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f"
TOML
  if [[ $mode == client ]]; then
    echo 'mode = "client"'
    echo "write_role_arn = \"arn:aws:iam::111111111111:role/S3-Write-Role$sfx\""
  fi
  echo "[infra]"
  echo "stack_name = \"lp${lower}\""
  echo "function_name = \"lp${lower}\""
  echo "lambda_role_name = \"CrossAccount-SM-Read-Role$sfx\""
  if [[ $mode == client ]]; then
    echo 'secret_kms_key_arn = "arn:aws:kms:us-east-1:222222222222:key/5a2b1c0d-3c1b-4f6e-9d7a-0f6f8a1e9e8f"'
  fi
}
jobs=()
for mode in client server; do
  sfx="-$(echo "$mode" | cut -c1 | tr a-z A-Z)"
  lower=$(echo "$mode" | cut -c1)
  job_file "$mode" "$sfx" >"$work/$mode.toml"
  "$CROSSUNLOAD" infra --config "$work/$mode.toml" --out "$work/infra-$mode" >/dev/null ||
    cu_fail "crossunload infra failed on the $mode-mode job file"
  jobs+=("$(printf '{"mode":"%s","job":"%s","infra":"%s","stack":"lp%s","prefix":"lp%s_","secret":"lp%s_creds","suffix":"%s"}' \
    "$mode" "$work/$mode.toml" "$work/infra-$mode" "$lower" "$lower" "$lower" "$sfx")")
done
rows=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from venue")
facts=$(printf '{"crossunload":"%s","dev":"111111111111","prod":"222222222222","region":"us-east-1","bucket":"lp-bucket","rows":%s,"jobs":[%s,%s]}' \
  "$CROSSUNLOAD" "$rows" "${jobs[0]}" "${jobs[1]}")
python3 "$CU_SOURCE_DIR/tests/integration/infra_least_privilege.py" "$CU_MOTO_ENDPOINT" "$work" "$facts" || {
  echo "--- moto_server's log, last lines:" >&2
  grep -v '" 200 -$' "$CU_STACK_DIR/moto/server.log" | tail -20 >&2
  [[ -f "$work/gateway.log" ]] && { echo "--- gateway log:" >&2; tail -20 "$work/gateway.log" >&2; }
  cu_fail "least privilege not shown (see above)"
}
