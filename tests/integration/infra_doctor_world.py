#!/usr/bin/env python3
"""Set-up of infra_doctor_test.sh in its own moto_server (IAM enforcement switched on at the
end): DEV user `etl` allowed to assume PROD `SM-Read-Role` and to write and delete under
the bucket; DEV user `nobody` allowed nothing; PROD secrets pointing at the test's
PostgreSQL (good, wrong password, closed port, unknown host); the DEV bucket.

Usage: infra_doctor_world.py ENDPOINT REGION BUCKET CLOSED_PORT
  the database password comes from CU_PG_PASSWORD (never on a command line).
Prints JSON: {"etl": {key, secret}, "nobody": {key, secret}}.
"""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

DEV, PROD = "111111111111", "222222222222"
endpoint, region, bucket, closed_port = sys.argv[1:5]


def client(service, account):
    return moto_client(service, account, endpoint, region)


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


iam_dev, iam_prod = client("iam", DEV), client("iam", PROD)
role = iam_prod.create_role(RoleName="SM-Read-Role", AssumeRolePolicyDocument=doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "ext-doctor"}}}))["Role"]["Arn"]
# moto honours no Secrets Manager resource ARN under enforcement: "*" here (docs/development.md#moto).
iam_prod.put_role_policy(RoleName="SM-Read-Role", PolicyName="read", PolicyDocument=doc(
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
keys = {}
for user in ("etl", "nobody"):
    iam_dev.create_user(UserName=user)
    k = iam_dev.create_access_key(UserName=user)["AccessKey"]
    keys[user] = {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}
iam_dev.put_user_policy(UserName="etl", PolicyName="job", PolicyDocument=doc(
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role},
    # AWS authorizes DeleteObjects as s3:DeleteObject; moto 5.2.1 asks for s3:DeleteObjects.
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjects"],
     "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"]}))

sm = client("secretsmanager", PROD)
base = {"engine": "postgres", "host": "127.0.0.1", "port": int(os.environ["CU_PG_PORT"]),
        "dbname": "tickit", "username": os.environ["CU_PG_USER"],
        "password": os.environ["CU_PG_PASSWORD"]}
for name, change in (("good", {}), ("badpass", {"password": "not-the-password"}),
                     ("closed", {"port": int(closed_port)}),
                     ("nohost", {"host": "no-such-host.invalid"})):
    sm.create_secret(Name=f"db-{name}", SecretString=json.dumps({**base, **change}))
client("s3", DEV).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})

req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0",
                             headers={"Content-Type": "text/plain"}, method="POST")
urllib.request.urlopen(req).read()
print(json.dumps(keys))
