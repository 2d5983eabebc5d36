#!/usr/bin/env bash
# A role chain that breaks, under moto's IAM enforcement (POST /moto-api/reset-auth 0, see
# docs/development.md#moto): the cluster may assume PROD NoChain-Role, but that role
# may not sts:AssumeRole DEV S3-Write-Role. The UNLOAD through the gateway must fail with
# Redshift's "is not authorized to assume IAM Role <arn>" naming the second role, SQLSTATE
# 42501, and write nothing. Then a chain that works but targets a bucket S3-Write-Role may
# not write: an error naming the bucket, nothing written. Enforcement is global to a
# moto_server, so all of this runs on a PRIVATE moto_server of this test (stopped at exit):
# the stack's shared one never sees enforcement, whatever runs beside this test.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v aws >/dev/null || cu_fail "awscli is missing (scripts/install-deps installs it)"

# A private moto_server (enforcement is global to a server); at exit it is stopped, and the
# gateway that pattern.sh registers with it. CU_MOTO_ENDPOINT names it from here on.
shared_moto=$CU_MOTO_ENDPOINT
cu_private_moto inf
source "$CU_SOURCE_DIR/scripts/lib/pattern.sh"

enforce() {
  curl -sf -X POST -H 'Content-Type: text/plain' --data "$1" "$CU_MOTO_ENDPOINT/moto-api/reset-auth" >/dev/null ||
    cu_fail "moto refused reset-auth $1"
}
sfx="-deny$$"
pattern_setup "$sfx" negative
other_bucket="crossunload-other$sfx"
python3 - "$CU_MOTO_ENDPOINT" "$other_bucket" <<'PY' || cu_fail "cannot create the second bucket"
import sys
from moto_client import moto_client
c = moto_client("s3", "111111111111", sys.argv[1])
c.create_bucket(Bucket=sys.argv[2])
PY
pattern_start_gateway
enforce 0

gw_psql() {
  PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    "host=127.0.0.1 port=$CU_PAT_GATEWAY_PORT user=$CU_PG_USER dbname=$CU_PG_DATABASE sslmode=disable" "$@"
}

# 1. The chain's second hop is refused.
if out=$(gw_psql -c "UNLOAD ('select * from category') TO 's3://$CU_PAT_BUCKET/denied/cat_' IAM_ROLE '$CU_PAT_NOCHAIN_ROLE,$CU_PAT_DEV_WRITE_ROLE'" 2>&1); then
  cu_fail "the UNLOAD with a broken chain succeeded: $out"
fi
[[ "$out" == *"42501"* ]] || cu_fail "no SQLSTATE 42501: $out"
[[ "$out" == *"is not authorized to assume IAM Role $CU_PAT_DEV_WRITE_ROLE"* ]] ||
  cu_fail "the error does not name the refused role: $out"

# 2. The chain works, but S3-Write-Role may not write this other bucket.
if out=$(gw_psql -c "UNLOAD ('select * from category') TO 's3://$other_bucket/denied/cat_' IAM_ROLE '$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE'" 2>&1); then
  cu_fail "the UNLOAD into a bucket the role may not write succeeded: $out"
fi
[[ "$out" == *"42501"* && "$out" == *"$other_bucket"* ]] ||
  cu_fail "the error does not name the bucket with 42501: $out"

# 3. A working chain still writes under enforcement (the policies are right, not just open).
# (Prefix without '/' in a listing: moto's signing gotcha under enforcement.)
out=$(gw_psql -c "UNLOAD ('select * from category') TO 's3://$CU_PAT_BUCKET/allowed_cat_' IAM_ROLE '$CU_PAT_PROD_WRITE_ROLE,$CU_PAT_DEV_WRITE_ROLE' PARALLEL OFF" 2>&1) ||
  cu_fail "the correct chain failed under enforcement: $out"

enforce inf
for b in "$CU_PAT_BUCKET/denied/" "$other_bucket/"; do
  n=$(AWS_PROFILE=lambda aws s3 ls --recursive "s3://$b" 2>/dev/null | wc -l || true)
  [[ "$n" == 0 ]] || cu_fail "objects were left in s3://$b: $(AWS_PROFILE=lambda aws s3 ls --recursive "s3://$b")"
done
# The lambda profile cannot list the other bucket; list as the owner account (moto header).
n=$(python3 - "$CU_MOTO_ENDPOINT" "$other_bucket" <<'PY'
import sys
from moto_client import moto_client
c = moto_client("s3", "111111111111", sys.argv[1])
print(c.list_objects_v2(Bucket=sys.argv[2]).get("KeyCount", 0) +
      len(c.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", [])))
PY
)
cu_assert_eq "$n" "0" "objects and multipart uploads left in s3://$other_bucket"
# The shared moto_server saw none of it: still open (a call with unknown keys succeeds)
# and without this run's buckets.
shared=$(python3 - "$shared_moto" "$sfx" <<'PY'
import sys, boto3
c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="nobody", aws_secret_access_key="nobody")
c.meta.events.register("before-sign.*.*",
    lambda request, **_: request.headers.__setitem__("x-moto-account-id", "111111111111"))
print(sum(b["Name"].endswith(sys.argv[2]) for b in c.list_buckets()["Buckets"]))
PY
) || cu_fail "the shared moto_server refused a call with unknown keys (IAM enforcement on?)"
cu_assert_eq "$shared" "0" "buckets of this run in the shared moto_server"
cu_note "ok: a refused hop and a refused bucket fail with 42501, nothing written"
