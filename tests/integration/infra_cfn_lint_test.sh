#!/usr/bin/env bash
# The CloudFormation templates `crossunload infra` writes pass cfn-lint (offline), for the
# example job file, for a variant that creates the secret and has no VPC, and for a
# client-mode variant (write_role_arn), and for the Data API's (no VPC, no ingress, the
# Step Functions state machine). A template
# with a known error must make cfn-lint fail, so a silent cfn-lint cannot pass this test.
source "$(dirname "$0")/../support/testlib.sh"
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"
command -v cfn-lint >/dev/null || cu_fail "cfn-lint is not installed (scripts/install-deps)"

work=$(cu_tmpdir)

lint() {
  local dir=$1
  for t in prod dev; do
    [[ -s "$dir/$t.template.json" ]] || cu_fail "$dir/$t.template.json was not written"
    cfn-lint --regions eu-central-1 -- "$dir/$t.template.json" ||
      cu_fail "cfn-lint found problems in $dir/$t.template.json"
  done
}

# The example jobs are jobs the run accepts, not only inputs of infra (the plan only: the
# personal-data check would connect).
for example in job.example.toml job.data-api.example.toml; do
  "$CROSSUNLOAD" run --config "$CU_SOURCE_DIR/deploy/$example" --dry-run --pii off >"$work/plan" 2>&1 ||
    cu_fail "deploy/$example is refused by run --dry-run: $(cat "$work/plan")"
done
"$CROSSUNLOAD" infra --config "$CU_SOURCE_DIR/deploy/job.example.toml" --out "$work/example" >/dev/null
lint "$work/example"
grep -q '"AWS::Lambda::Function"' "$work/example/dev.template.json" || cu_fail "no Lambda function in the DEV template"

# The same job with a created secret and no VPC (and no function: no code location).
sed -e '/^subnet_ids/d' -e '/^security_group_ids/d' -e '/^code_s3_bucket/d' \
  "$CU_SOURCE_DIR/deploy/job.example.toml" >"$work/variant.toml"
cat >>"$work/variant.toml" <<'TOML'
create_secret = true
secret_host = "prod-cluster.abc123.eu-central-1.redshift.amazonaws.com"
secret_username = "unloader"
TOML
"$CROSSUNLOAD" infra --config "$work/variant.toml" --out "$work/variant" >/dev/null 2>&1
lint "$work/variant"
grep -q '"AWS::SecretsManager::Secret"' "$work/variant/prod.template.json" || cu_fail "no secret in the PROD template"

# Client mode: the job writes as write_role_arn (the Lambda role may assume S3-Write-Role).
sed -e 's/^format = .*/mode = "client"\nwrite_role_arn = "arn:aws:iam::111111111111:role\/S3-Write-Role"/' \
  "$CU_SOURCE_DIR/deploy/job.example.toml" >"$work/client.toml"
grep -q '^write_role_arn' "$work/client.toml" || cu_fail "the client-mode variant was not made"
"$CROSSUNLOAD" infra --config "$work/client.toml" --out "$work/client" >/dev/null
lint "$work/client"
grep -q '"AndTheDevLambdaRole"' "$work/client/dev.template.json" || cu_fail "no client-mode trust in the DEV template"

# Through the Data API (deploy/job.data-api.example.toml): no VPC configuration, no
# ingress rule; the state machine and its role, the ASL checked by cfn-lint's schema and
# here for what the schema does not see (every transition names a state, every state is
# reached, the loop can end).
"$CROSSUNLOAD" infra --config "$CU_SOURCE_DIR/deploy/job.data-api.example.toml" --out "$work/data-api" >/dev/null
lint "$work/data-api"
python3 - "$work/data-api" <<'PY' || cu_fail "the data-api templates are not what via = data-api needs"
import json, sys
d = sys.argv[1]
prod = json.load(open(f"{d}/prod.template.json"))["Resources"]
dev = json.load(open(f"{d}/dev.template.json"))["Resources"]
assert not [k for k, r in prod.items() if r["Type"] == "AWS::EC2::SecurityGroupIngress"], "ingress rule"
assert "VpcConfig" not in dev["Function"]["Properties"], "the function has a VPC"
sm = [r for r in dev.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
assert len(sm) == 1, "no state machine"
assert sm[0]["Properties"]["RoleArn"] == {"Fn::GetAtt": ["StateMachineRole", "Arn"]}, "its role"
assert dev["StateMachineRole"]["Type"] == "AWS::IAM::Role"
asl = json.loads(sm[0]["Properties"]["DefinitionString"])
assert asl == json.load(open(f"{d}/dev.state-machine.asl.json")), "the .asl.json differs"
states = asl["States"]
def targets(s):
    out = [s.get("Next"), s.get("Default")]
    out += [c["Next"] for c in s.get("Choices", []) + s.get("Catch", [])]
    return [t for t in out if t]
for name, s in states.items():
    for t in targets(s):
        assert t in states, f"{name} goes to {t}, which is no state"
seen, todo = set(), [asl["StartAt"]]
while todo:
    n = todo.pop()
    if n not in seen:
        seen.add(n)
        todo += targets(states[n])
assert seen == set(states), f"unreachable states: {set(states) - seen}"
assert any(s["Type"] in ("Succeed", "Fail") or s.get("End") for s in states.values()), "no end"
print("ok data-api templates: no VPC, no ingress, state machine with its role,",
      f"{len(states)} states all reached")
PY

# cfn-lint really checks: a misspelt property is an error (exit 2).
sed 's/"RoleName"/"RoleNam"/' "$work/example/prod.template.json" >"$work/broken.json"
set +e
cfn-lint --regions eu-central-1 -- "$work/broken.json" >/dev/null 2>&1
rc=$?
set -e
cu_assert_eq "$rc" "2" "cfn-lint exit code on a broken template"
# ... and it reads the state machine's definition: an unknown state type is an error.
sed 's/\\"Type\\":\\"Wait\\"/\\"Type\\":\\"Sleep\\"/' "$work/data-api/dev.template.json" >"$work/broken-asl.json"
grep -q Sleep "$work/broken-asl.json" || cu_fail "the broken state machine was not made"
set +e
cfn-lint --regions eu-central-1 -- "$work/broken-asl.json" >/dev/null 2>&1
rc=$?
set -e
cu_assert_eq "$rc" "2" "cfn-lint exit code on a state machine with an unknown state type"
cu_note "both templates pass cfn-lint (example, create-secret, client-mode and data-api variants)"
