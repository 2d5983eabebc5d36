#!/usr/bin/env python3
"""Helpers of infra_teardown_test.sh, against moto_server (x-moto-account-id picks the
account).

  setup ENDPOINT REGION BUCKET PREFIX     -> JSON {"dev": {key, secret}, "prod": {...}}
      IAM users with admin rights in DEV and PROD (teardown acts with their keys); the
      versioned destination bucket with two versions of one object, another object and its delete marker
      under PREFIX, and one object outside it.
  foreign ENDPOINT REGION STACK ACCOUNT  a stack of that name WITHOUT our tag
  check ENDPOINT REGION BUCKET PREFIX STACK_DEV STACK_PROD ROLES_JSON
      nothing of ours left: no stacks, no roles, no version under PREFIX; the object
      outside PREFIX still there.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

DEV, PROD = "111111111111", "222222222222"


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


cmd, endpoint, region = sys.argv[1], sys.argv[2], sys.argv[3]
if cmd == "setup":
    bucket, prefix = sys.argv[4], sys.argv[5]
    keys = {}
    for name, acct in (("dev", DEV), ("prod", PROD)):
        iam = moto_client("iam", acct, endpoint, region)
        user = f"admin-{bucket}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="admin", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        keys[name] = {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}
    s3 = moto_client("s3", DEV, endpoint, region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key=f"{prefix}0000_part_00", Body=b"first version")
    s3.put_object(Bucket=bucket, Key=f"{prefix}0000_part_00", Body=b"second version")
    s3.put_object(Bucket=bucket, Key=f"{prefix}0001_part_00", Body=b"gone")
    s3.delete_object(Bucket=bucket, Key=f"{prefix}0001_part_00")  # a delete marker
    s3.put_object(Bucket=bucket, Key="not-ours/keep.csv", Body=b"keep me")
    # What a run killed mid-write leaves (issue 13): an incomplete multipart upload with a
    # part, under the prefix; another outside it must stay.
    up = s3.create_multipart_upload(Bucket=bucket, Key=f"{prefix}0002_part_00")["UploadId"]
    s3.upload_part(Bucket=bucket, Key=f"{prefix}0002_part_00", UploadId=up, PartNumber=1, Body=b"x" * 1024)
    s3.create_multipart_upload(Bucket=bucket, Key="not-ours/upload.csv")
    print(json.dumps(keys))
elif cmd == "foreign":
    stack, acct = sys.argv[4], sys.argv[5]
    cfn = moto_client("cloudformation", acct, endpoint, region)
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps({
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"{stack.lower()}-b"}}}}))
elif cmd == "check":
    bucket, prefix, sdev, sprod, roles = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], json.loads(sys.argv[8])
    for acct, stack in ((DEV, sdev), (PROD, sprod)):
        cfn = moto_client("cloudformation", acct, endpoint, region)
        live = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]
                if s["StackName"] == stack and s["StackStatus"] != "DELETE_COMPLETE"]
        if live:
            fail(f"stack {stack} left in {acct}")
    for acct, name in roles:
        iam = moto_client("iam", acct, endpoint, region)
        try:
            iam.get_role(RoleName=name)
            fail(f"role {name} left in {acct}")
        except iam.exceptions.NoSuchEntityException:
            pass
    s3 = moto_client("s3", DEV, endpoint, region)
    v = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    left = v.get("Versions", []) + v.get("DeleteMarkers", [])
    if left:
        fail(f"left under {prefix}: {[(x['Key'], x['VersionId']) for x in left]}")
    if s3.get_object(Bucket=bucket, Key="not-ours/keep.csv")["Body"].read() != b"keep me":
        fail("the object outside the prefix was touched")
    uploads = [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    if uploads != ["not-ours/upload.csv"]:
        fail(f"incomplete uploads: want only not-ours/upload.csv, found {uploads}")
    print("nothing of ours left (no version, no incomplete upload); the object and the upload outside the prefix are intact")
