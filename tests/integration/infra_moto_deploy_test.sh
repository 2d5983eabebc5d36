#!/usr/bin/env bash
# The two templates `crossunload infra` writes deploy into moto_server through
# CloudFormation, one stack per account (DEV 111111111111, PROD 222222222222), and create
# what they say: every role with the generated trust policy, inline policies and tags, the
# Lambda function (provided.al2023, its role, its VPC subnets), the log group with its
# retention and tags, the cluster security group's ingress rules; DeleteStack removes them.
# The same for the Data API's job: the Step Functions state machine with the generated
# definition and its role, and neither VPC configuration nor ingress.
# It uses a private moto_server: after CloudFormation has created a Lambda function and its
# VPC resources, moto 5's /moto-api/data.json answers 500, which tests that read moto's state
# from there (run_cross_account_test's scan for issued session keys) cannot survive.
# (moto does not create AWS::SecretsManager::Secret nor enforce trust policies or
# conditions: those are covered by infra_cfn_lint_test.sh and infra_iam_simulate_test.mjs.)
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"

cu_private_moto

work=$(cu_tmpdir)
sfx="t$$"
cu_example_job "$sfx" >"$work/job.toml"
"$CROSSUNLOAD" infra --config "$work/job.toml" --out "$work/infra" >/dev/null
grep -q "SM-Read-Role-$sfx" "$work/infra/prod.template.json" || cu_fail "the suffixed names did not reach the template"

facts=$(printf '{"dev":"111111111111","prod":"222222222222","region":"eu-central-1","stack":"cu-%s","function":"crossunload-%s","lambda_role":"CrossAccount-SM-Read-Role-%s","code_bucket":"code-%s","code_key":"crossunload/function.zip"}' \
  "$sfx" "$sfx" "$sfx" "$sfx")
python3 "$CU_SOURCE_DIR/tests/integration/infra_moto_deploy.py" "$CU_MOTO_ENDPOINT" "$work/infra" "$facts" ||
  cu_fail "the deployed stacks differ from the templates (see above)"

# Through the Data API (deploy/job.data-api.example.toml): the state machine and its role
# too, no VPC, no ingress; DeleteStack removes the state machine.
sfx="a$$"
CU_EXAMPLE_JOB_FILE="$CU_SOURCE_DIR/deploy/job.data-api.example.toml" cu_example_job "$sfx" \
  -e "s/^state_machine_wait_seconds = .*/state_machine_role_name = \"Unload-StateMachine-Role-$sfx\"/" >"$work/dapi.toml"
"$CROSSUNLOAD" infra --config "$work/dapi.toml" --out "$work/dapi" >/dev/null
facts=$(printf '{"dev":"111111111111","prod":"222222222222","region":"eu-central-1","stack":"cu-%s","function":"crossunload-%s","lambda_role":"CrossAccount-SM-Read-Role-%s","code_bucket":"code-%s","code_key":"crossunload/function.zip"}' \
  "$sfx" "$sfx" "$sfx" "$sfx")
python3 "$CU_SOURCE_DIR/tests/integration/infra_moto_deploy.py" "$CU_MOTO_ENDPOINT" "$work/dapi" "$facts" ||
  cu_fail "the deployed data-api stacks differ from the templates (see above)"
