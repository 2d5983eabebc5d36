#!/usr/bin/env bash
# The CloudFormation templates `crossunload infra` writes pass cfn-lint (offline), for the
# example job file, for a variant that creates the secret and has no VPC, and for a
# client-mode variant (write_role_arn). A template
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

# cfn-lint really checks: a misspelt property is an error (exit 2).
sed 's/"RoleName"/"RoleNam"/' "$work/example/prod.template.json" >"$work/broken.json"
set +e
cfn-lint --regions eu-central-1 -- "$work/broken.json" >/dev/null 2>&1
rc=$?
set -e
cu_assert_eq "$rc" "2" "cfn-lint exit code on a broken template"
cu_note "both templates pass cfn-lint (example, create-secret and client-mode variants)"
