#!/usr/bin/env bash
# The two templates `crossunload infra` writes deploy into moto_server through
# CloudFormation, one stack per account (DEV 111111111111, PROD 222222222222), and create
# what they say: every role with the generated trust policy, inline policies and tags, the
# Lambda function (provided.al2023, its role, its VPC subnets), the log group with its
# retention and tags, the cluster security group's ingress rules; DeleteStack removes them.
# It uses a private moto_server: after CloudFormation has created a Lambda function and its
# VPC resources, moto 5's /moto-api/data.json answers 500, which tests that read moto's state
# from there (run_cross_account_test's scan for issued session keys) cannot survive.
# (moto does not create AWS::SecretsManager::Secret nor enforce trust policies or
# conditions: those are covered by infra_cfn_lint_test.sh and infra_iam_simulate_test.mjs.)
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"

CU_STACK_DIR=$(cu_tmpdir)
source "$CU_SOURCE_DIR/scripts/lib/stack.sh"
stack_start_moto || cu_fail "the private moto_server did not start"
md_moto_pid=$(cat "$CU_STACK_DIR/moto/pid")
trap '_stack_stop_moto "$md_moto_pid"; rm -rf "$CU_TMP"' EXIT

work=$(cu_tmpdir)
sfx="t$$"
sed -e "s/SM-Read-Role\"/SM-Read-Role-$sfx\"/" \
  -e "s/CrossAccount-S3-Write-Role\"/CrossAccount-S3-Write-Role-$sfx\"/" \
  -e "s/role\/S3-Write-Role\"/role\/S3-Write-Role-$sfx\"/" \
  -e "s/^stack_name = .*/stack_name = \"cu-$sfx\"/" \
  -e "s/^function_name = .*/function_name = \"crossunload-$sfx\"/" \
  -e "s/^code_s3_bucket = .*/code_s3_bucket = \"code-$sfx\"/" \
  "$CU_SOURCE_DIR/deploy/job.example.toml" >"$work/job.toml"
echo "lambda_role_name = \"CrossAccount-SM-Read-Role-$sfx\"" >>"$work/job.toml"
"$CROSSUNLOAD" infra --config "$work/job.toml" --out "$work/infra" >/dev/null
grep -q "SM-Read-Role-$sfx" "$work/infra/prod.template.json" || cu_fail "the suffixed names did not reach the template"

facts=$(printf '{"dev":"111111111111","prod":"222222222222","region":"eu-central-1","stack":"cu-%s","function":"crossunload-%s","lambda_role":"CrossAccount-SM-Read-Role-%s","code_bucket":"code-%s","code_key":"crossunload/function.zip"}' \
  "$sfx" "$sfx" "$sfx" "$sfx")
python3 "$CU_SOURCE_DIR/tests/integration/infra_moto_deploy.py" "$CU_MOTO_ENDPOINT" "$work/infra" "$facts" ||
  cu_fail "the deployed stacks differ from the templates (see above)"
