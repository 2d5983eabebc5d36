#!/usr/bin/env python3
"""Creates the two-account world of the AWS integration tests in a running moto_server.

DEV 111111111111: IAM user etl-<sfx> (access key printed), role S3-Write-Role-<sfx>
  (trusts PROD), bucket dev-unload-<sfx>, KMS key.
PROD 222222222222: role SM-Read-Role-<sfx> (trusts DEV, external id), secret
  prod/redshift/etl-<sfx> shaped like a Redshift secret.

Set-up calls pick the account with moto's x-moto-account-id header. Prints one JSON object
with the names and the DEV user's keys. Usage: aws_moto_setup.py ENDPOINT SUFFIX
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

DEV, PROD = "111111111111", "222222222222"
endpoint, sfx = sys.argv[1], sys.argv[2]
REGION = "us-east-1"


def client(service, account):
    return moto_client(service, account, endpoint, REGION)


def trust(account, external_id=None):
    stmt = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole"}
    if external_id:
        stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def allow(actions, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource}]})


iam_dev, iam_prod = client("iam", DEV), client("iam", PROD)
user = f"etl-{sfx}"
iam_dev.create_user(UserName=user)
key = iam_dev.create_access_key(UserName=user)["AccessKey"]
external_id = f"ext-{sfx}"
prod_role = iam_prod.create_role(RoleName=f"SM-Read-Role-{sfx}",
                                 AssumeRolePolicyDocument=trust(DEV, external_id))["Role"]["Arn"]
dev_role = iam_dev.create_role(RoleName=f"S3-Write-Role-{sfx}",
                               AssumeRolePolicyDocument=trust(PROD))["Role"]["Arn"]
iam_dev.put_user_policy(UserName=user, PolicyName="assume-prod",
                        PolicyDocument=allow(["sts:AssumeRole"], prod_role))
iam_prod.put_role_policy(RoleName=f"SM-Read-Role-{sfx}", PolicyName="read",
                         PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                              "Resource": "*"},
                             {"Effect": "Allow", "Action": "sts:AssumeRole",
                              "Resource": dev_role}]}))
iam_dev.put_role_policy(RoleName=f"S3-Write-Role-{sfx}", PolicyName="write",
                        PolicyDocument=allow(["s3:*", "kms:*"]))

secret_name = f"prod/redshift/etl-{sfx}"
secret_value = {"engine": "redshift", "host": "cluster.abc.eu-west-1.redshift.amazonaws.com",
                "port": 5439, "dbname": "dev", "username": "etl",
                "password": f"pw-{sfx}-S3cr3t!", "dbClusterIdentifier": "cluster"}
secret_arn = client("secretsmanager", PROD).create_secret(
    Name=secret_name, SecretString=json.dumps(secret_value))["ARN"]

bucket = f"dev-unload-{sfx}"
client("s3", DEV).create_bucket(Bucket=bucket)
kms_key = client("kms", DEV).create_key(Description="unload key")["KeyMetadata"]["Arn"]

print(json.dumps({
    "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"],
    "prod_role": prod_role, "dev_role": dev_role, "external_id": external_id,
    "secret_name": secret_name, "secret_arn": secret_arn, "secret_value": secret_value,
    "bucket": bucket, "kms_key": kms_key, "region": REGION,
}))
