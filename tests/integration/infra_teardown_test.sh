#!/usr/bin/env bash
# crossunload teardown against moto: both generated stacks deployed (one per account), a
# versioned destination bucket with versions, a delete marker and an incomplete multipart
# upload (what a run killed mid-write leaves) under the prefix, and one object and one
# upload outside it. --dry-run lists and deletes nothing; teardown with DEV credentials
# then PROD credentials leaves nothing of ours (no stack, no role, no version under the
# prefix) and the object outside the prefix intact; a re-run succeeds (idempotent); a
# stack of our name without our tag is refused with exit 2 and left alone. With via =
# "data-api" the state machine and its role are listed and go with the DEV stack, its
# running executions stopped first.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"

work=$(cu_tmpdir)
sfx="td$$"
bucket="dest-$sfx"
prefix="tickit/sales_"
cu_example_job "$sfx" -e "s|^to = .*|to = \"s3://$bucket/$prefix\"|" >"$work/job.toml"
"$CROSSUNLOAD" infra --config "$work/job.toml" --out "$work/infra" >/dev/null
facts=$(printf '{"dev":"111111111111","prod":"222222222222","region":"eu-central-1","stack":"cu-%s","function":"crossunload-%s","lambda_role":"CrossAccount-SM-Read-Role-%s","code_bucket":"code-%s","code_key":"crossunload/function.zip"}' \
  "$sfx" "$sfx" "$sfx" "$sfx")
world="$CU_SOURCE_DIR/tests/integration/infra_teardown_world.py"
python3 "$CU_SOURCE_DIR/tests/integration/infra_moto_deploy.py" "$CU_MOTO_ENDPOINT" "$work/infra" "$facts" --deploy-only >/dev/null ||
  cu_fail "could not deploy the stacks"
keys=$(python3 "$world" setup "$CU_MOTO_ENDPOINT" eu-central-1 "$bucket" "$prefix") || cu_fail "set-up failed"

# Runs crossunload teardown as DEV or PROD's admin user; no other credentials around.
as() {
  local who=$1
  shift
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT" AWS_REGION=eu-central-1 \
    AWS_ACCESS_KEY_ID="$(jq -r ".$who.key" <<<"$keys")" \
    AWS_SECRET_ACCESS_KEY="$(jq -r ".$who.secret" <<<"$keys")" "$@"
}
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps)"

# A stack of our name that we did not tag is refused and left alone.
sed "s/^stack_name = .*/stack_name = \"cu-${sfx}f\"/" "$work/job.toml" >"$work/foreign.toml"
python3 "$world" foreign "$CU_MOTO_ENDPOINT" eu-central-1 "cu-${sfx}f-dev" 111111111111
set +e
out=$(as dev "$CROSSUNLOAD" teardown --config "$work/foreign.toml" 2>&1)
rc=$?
set -e
cu_assert_eq "$rc" "2" "exit code of teardown on a stack without our tag"
[[ $out == *"has no tag crossunload:stack=cu-${sfx}f-dev"* ]] || cu_fail "unexpected refusal: $out"

# Dry run: everything listed, nothing deleted (a second dry run sees the same).
dry=$(as dev "$CROSSUNLOAD" teardown --config "$work/job.toml" --dry-run) || cu_fail "dry run failed: $dry"
for want in "stack cu-$sfx-dev" "AWS::IAM::Role" "AWS::Lambda::Function" "AWS::Logs::LogGroup" \
  "CrossAccount-SM-Read-Role-$sfx" "delete 3 object versions and 1 delete markers" \
  "abort 1 incomplete multipart uploads" "s3://$bucket/${prefix}0002_part_00 (started" "dry run"; do
  [[ $dry == *"$want"* ]] || cu_fail "the dry run does not mention '$want': $dry"
done
dry2=$(as dev "$CROSSUNLOAD" teardown --config "$work/job.toml" --dry-run)
cu_assert_eq "$dry2" "$dry" "a second dry run (the first deleted nothing)"
prod_dry=$(as prod "$CROSSUNLOAD" teardown --config "$work/job.toml" --dry-run)
for want in "PROD account 222222222222" "stack cu-$sfx-prod" "SM-Read-Role-$sfx" "AWS::EC2::SecurityGroupIngress"; do
  [[ $prod_dry == *"$want"* ]] || cu_fail "the PROD dry run does not mention '$want': $prod_dry"
done

as dev "$CROSSUNLOAD" teardown --config "$work/job.toml" >"$work/dev.out" || cu_fail "DEV teardown failed: $(cat "$work/dev.out")"
grep -qF "aborted 1 incomplete multipart uploads under s3://$bucket/$prefix" "$work/dev.out" ||
  cu_fail "DEV teardown does not say it aborted the upload: $(cat "$work/dev.out")"
as prod "$CROSSUNLOAD" teardown --config "$work/job.toml" >"$work/prod.out" || cu_fail "PROD teardown failed: $(cat "$work/prod.out")"
roles=$(printf '[["111111111111","CrossAccount-SM-Read-Role-%s"],["111111111111","S3-Write-Role-%s"],["222222222222","SM-Read-Role-%s"],["222222222222","CrossAccount-S3-Write-Role-%s"]]' "$sfx" "$sfx" "$sfx" "$sfx")
python3 "$world" check "$CU_MOTO_ENDPOINT" eu-central-1 "$bucket" "$prefix" "cu-$sfx-dev" "cu-$sfx-prod" "$roles" ||
  cu_fail "teardown left something behind"

# Idempotent: a re-run finds everything gone and succeeds.
again=$(as dev "$CROSSUNLOAD" teardown --config "$work/job.toml") || cu_fail "re-run failed: $again"
[[ $again == *"not found (already deleted)"* && $again == *"delete 0 object versions and 0 delete markers"* &&
  $again == *"abort 0 incomplete multipart uploads"* ]] ||
  cu_fail "unexpected re-run output: $again"
as prod "$CROSSUNLOAD" teardown --config "$work/job.toml" >/dev/null || cu_fail "PROD re-run failed"
# The foreign stack is still there.
python3 - "$CU_MOTO_ENDPOINT" "cu-${sfx}f-dev" <<'PY' || cu_fail "the foreign stack was touched"
import sys
from moto_client import moto_client
c = moto_client("cloudformation", "111111111111", sys.argv[1], "eu-central-1")
assert c.describe_stacks(StackName=sys.argv[2])["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
PY

# Through the Data API: the DEV stack also holds the Step Functions state machine and its
# role; teardown lists them and removes them with the stack.
dsfx="tdd$$"
CU_EXAMPLE_JOB_FILE="$CU_SOURCE_DIR/deploy/job.data-api.example.toml" cu_example_job "$dsfx" \
  -e "s|^to = .*|to = \"s3://$bucket/dapi_\"|" \
  -e "s/^state_machine_wait_seconds = .*/state_machine_role_name = \"Unload-StateMachine-Role-$dsfx\"/" >"$work/dapi.toml"
"$CROSSUNLOAD" infra --config "$work/dapi.toml" --out "$work/dapi" >/dev/null
dfacts=$(printf '{"dev":"111111111111","prod":"222222222222","region":"eu-central-1","stack":"cu-%s","function":"crossunload-%s","lambda_role":"CrossAccount-SM-Read-Role-%s","code_bucket":"code-%s","code_key":"crossunload/function.zip"}' \
  "$dsfx" "$dsfx" "$dsfx" "$dsfx")
python3 "$CU_SOURCE_DIR/tests/integration/infra_moto_deploy.py" "$CU_MOTO_ENDPOINT" "$work/dapi" "$dfacts" --deploy-only >/dev/null ||
  cu_fail "could not deploy the data-api stacks"
# An execution still running (in moto it stays RUNNING): teardown stops it first.
sm_arn="arn:aws:states:eu-central-1:111111111111:stateMachine:crossunload-$dsfx"
execution=$(python3 - "$CU_MOTO_ENDPOINT" "$sm_arn" <<'PY'
import json, sys
from moto_client import moto_client
sfn = moto_client("stepfunctions", "111111111111", sys.argv[1], "eu-central-1")
print(sfn.start_execution(stateMachineArn=sys.argv[2], input=json.dumps({"query": "select 1"}))["executionArn"])
PY
) || cu_fail "cannot start an execution"
dry=$(as dev "$CROSSUNLOAD" teardown --config "$work/dapi.toml" --dry-run) || cu_fail "data-api dry run failed: $dry"
for want in "stack cu-$dsfx-dev" "AWS::StepFunctions::StateMachine" "Unload-StateMachine-Role-$dsfx" \
  "state machine $sm_arn: stop 1 running executions" "    $execution"; do
  [[ $dry == *"$want"* ]] || cu_fail "the data-api dry run does not mention '$want': $dry"
done
python3 - "$CU_MOTO_ENDPOINT" "$execution" <<'PY' || cu_fail "the dry run stopped the execution"
import sys
from moto_client import moto_client
sfn = moto_client("stepfunctions", "111111111111", sys.argv[1], "eu-central-1")
assert sfn.describe_execution(executionArn=sys.argv[2])["status"] == "RUNNING"
PY
as dev "$CROSSUNLOAD" teardown --config "$work/dapi.toml" >"$work/dapi-dev.out" || cu_fail "data-api DEV teardown failed: $(cat "$work/dapi-dev.out")"
grep -qF "stopped 1 running executions of $sm_arn" "$work/dapi-dev.out" ||
  cu_fail "the DEV teardown does not say it stopped the execution: $(cat "$work/dapi-dev.out")"
as prod "$CROSSUNLOAD" teardown --config "$work/dapi.toml" >"$work/dapi-prod.out" || cu_fail "data-api PROD teardown failed: $(cat "$work/dapi-prod.out")"
roles=$(printf '[["111111111111","CrossAccount-SM-Read-Role-%s"],["111111111111","S3-Write-Role-%s"],["111111111111","Unload-StateMachine-Role-%s"],["222222222222","SM-Read-Role-%s"],["222222222222","CrossAccount-S3-Write-Role-%s"]]' "$dsfx" "$dsfx" "$dsfx" "$dsfx" "$dsfx")
python3 "$world" check "$CU_MOTO_ENDPOINT" eu-central-1 "$bucket" "dapi_" "cu-$dsfx-dev" "cu-$dsfx-prod" "$roles" ||
  cu_fail "the data-api teardown left something behind"
python3 - "$CU_MOTO_ENDPOINT" "crossunload-$dsfx" <<'PY' || cu_fail "the state machine is still there"
import sys
from moto_client import moto_client
sfn = moto_client("stepfunctions", "111111111111", sys.argv[1], "eu-central-1")
names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
assert sys.argv[2] not in names, names
PY
cu_note "teardown removed both stacks and every version under the prefix; re-run and refusal behave; the data-api state machine and its role went with the DEV stack"
