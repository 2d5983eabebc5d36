#!/usr/bin/env python3
"""The AWS pattern's two accounts, built in a running moto_server (docs/demo.md).

DEV 111111111111
  bucket        <bucket>                      where the unload lands
  user          lambda-runner                 stands for the Lambda service: its keys let
                                              our process become the Lambda's role
  role          CrossAccount-SM-Read-Role     the DEV Lambda's execution role: may assume
                                              only PROD SM-Read-Role (and read the bucket,
                                              to verify what UNLOAD wrote)
  role          S3-Write-Role                 trusts only PROD CrossAccount-S3-Write-Role;
                                              s3:PutObject/Get*/List* on the bucket, KMS use
  kms key       the bucket's key (kms:Encrypt/Decrypt/GenerateDataKey for S3-Write-Role)
PROD 222222222222
  user          redshift-cluster              the cluster's own identity (the gateway's)
  role          SM-Read-Role                  trusts the DEV Lambda role with an external
                                              id; reads only the secret
  role          CrossAccount-S3-Write-Role    trusts redshift.amazonaws.com (and the
                                              cluster user, which stands for it here);
                                              may assume only DEV S3-Write-Role
  secret        redshift_creds                {engine, host, port, dbname, username,
                                              password} of the gateway (`secret` command)
  role          NoChain-Role (--negative)     trusted like the cluster role, but may assume
                                              nothing: a broken chain for the tests (which
                                              run under IAM enforcement, so --negative also
                                              leaves the Service principal out: moto 500s)

Usage:
  pattern_setup.py ENDPOINT topology [--suffix S] [--negative]
      prints `export NAME=value` lines: ARNs, bucket, external id, and the two users' keys
  pattern_setup.py ENDPOINT secret HOST PORT DBNAME USERNAME [--suffix S]
      creates the secret; the password is read from the environment (CU_PG_PASSWORD),
      never from the command line
  pattern_setup.py ENDPOINT data-api [--suffix S]
      the asynchronous variant (docs/data-api.md): SM-Read-Role may call the Data API
      (redshift-data:ExecuteStatement, DescribeStatement, CancelStatement,
      GetStatementResult); the cluster user, whose identity the gateway's Data API reads
      the secret with, may read the secret

Set-up calls pick the account with moto's x-moto-account-id header. Moto does not check
trust policies or conditions (docs/development.md#moto); they are written as AWS would need them.
"""
import argparse
import json
import os
import secrets
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

DEV, PROD = "111111111111", "222222222222"
REGION = "us-east-1"


def client(endpoint, service, account):
    return moto_client(service, account, endpoint, REGION)


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, external_id=None):
    stmt = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if external_id:
        stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return stmt


def allow(actions, resources):
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def topology(endpoint, sfx, negative):
    iam_dev, iam_prod = client(endpoint, "iam", DEV), client(endpoint, "iam", PROD)
    arn = lambda account, name: f"arn:aws:iam::{account}:role/{name}{sfx}"  # noqa: E731
    lambda_role, sm_role = arn(DEV, "CrossAccount-SM-Read-Role"), arn(PROD, "SM-Read-Role")
    dev_write, prod_write = arn(DEV, "S3-Write-Role"), arn(PROD, "CrossAccount-S3-Write-Role")
    bucket = f"crossunload-dev-exports{sfx.lower()}"
    external_id = "ext-" + secrets.token_hex(8)
    secret_name = f"redshift_creds{sfx}"
    secret_arn_pattern = f"arn:aws:secretsmanager:{REGION}:{PROD}:secret:{secret_name}-*"

    # DEV: the Lambda's stand-in user and execution role.
    iam_dev.create_user(UserName=f"lambda-runner{sfx}")
    lambda_key = iam_dev.create_access_key(UserName=f"lambda-runner{sfx}")["AccessKey"]
    iam_dev.put_user_policy(UserName=f"lambda-runner{sfx}", PolicyName="become-lambda-role",
                            PolicyDocument=doc(allow("sts:AssumeRole", lambda_role)))
    iam_dev.create_role(RoleName=f"CrossAccount-SM-Read-Role{sfx}",
                        AssumeRolePolicyDocument=doc(
                            trust({"Service": "lambda.amazonaws.com"}),
                            trust({"AWS": f"arn:aws:iam::{DEV}:user/lambda-runner{sfx}"})))
    iam_dev.put_role_policy(RoleName=f"CrossAccount-SM-Read-Role{sfx}",
                            PolicyName="assume-prod-secret-reader",
                            PolicyDocument=doc(
                                allow("sts:AssumeRole", sm_role),
                                # Not in the sample: the job verifies what UNLOAD wrote.
                                allow(["s3:GetObject", "s3:ListBucket"],
                                      [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])))

    # PROD: the cluster's identity, the secret reader, the cluster's role.
    iam_prod.create_user(UserName=f"redshift-cluster{sfx}")
    cluster_key = iam_prod.create_access_key(UserName=f"redshift-cluster{sfx}")["AccessKey"]
    cluster_user = f"arn:aws:iam::{PROD}:user/redshift-cluster{sfx}"
    cluster_roles = [prod_write] + ([arn(PROD, "NoChain-Role")] if negative else [])
    iam_prod.put_user_policy(UserName=f"redshift-cluster{sfx}", PolicyName="cluster-roles",
                             PolicyDocument=doc(allow("sts:AssumeRole", cluster_roles)))
    iam_prod.create_role(RoleName=f"SM-Read-Role{sfx}",
                         AssumeRolePolicyDocument=doc(trust({"AWS": lambda_role}, external_id)))
    iam_prod.put_role_policy(RoleName=f"SM-Read-Role{sfx}", PolicyName="read-redshift-secret",
                             PolicyDocument=doc(
                                 allow(["secretsmanager:GetSecretValue",
                                        "secretsmanager:DescribeSecret",
                                        "secretsmanager:GetResourcePolicy",
                                        "secretsmanager:ListSecretVersionIds"],
                                       secret_arn_pattern),
                                 allow("secretsmanager:ListSecrets", "*")))
    # moto answers AssumeRole with a 500 under IAM enforcement when a trust policy names a
    # Service principal (docs/development.md#moto): the enforced tests trust the cluster user only.
    redshift_trust = doc(*([] if negative else [trust({"Service": "redshift.amazonaws.com"})]),
                         trust({"AWS": cluster_user}))
    iam_prod.create_role(RoleName=f"CrossAccount-S3-Write-Role{sfx}",
                         AssumeRolePolicyDocument=redshift_trust)
    iam_prod.put_role_policy(RoleName=f"CrossAccount-S3-Write-Role{sfx}",
                             PolicyName="chain-into-dev",
                             PolicyDocument=doc(allow("sts:AssumeRole", dev_write)))
    if negative:
        iam_prod.create_role(RoleName=f"NoChain-Role{sfx}",
                             AssumeRolePolicyDocument=redshift_trust)
        iam_prod.put_role_policy(RoleName=f"NoChain-Role{sfx}", PolicyName="nothing",
                                 PolicyDocument=doc(allow("s3:ListAllMyBuckets", "*")))

    # DEV: the bucket, its key and the role that writes it.
    client(endpoint, "s3", DEV).create_bucket(Bucket=bucket)
    kms_key = client(endpoint, "kms", DEV).create_key(
        Description="crossunload demo bucket key")["KeyMetadata"]["Arn"]
    iam_dev.create_role(RoleName=f"S3-Write-Role{sfx}",
                        AssumeRolePolicyDocument=doc(trust({"AWS": prod_write})))
    iam_dev.put_role_policy(RoleName=f"S3-Write-Role{sfx}", PolicyName="write-dev-bucket",
                            PolicyDocument=doc(
                                allow(["s3:PutObject", "s3:Get*", "s3:List*"],
                                      [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]),
                                allow(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                                      kms_key)))

    out = {
        "CU_PAT_REGION": REGION,
        "CU_PAT_BUCKET": bucket,
        "CU_PAT_KMS_KEY": kms_key,
        "CU_PAT_LAMBDA_ROLE": lambda_role,
        "CU_PAT_SM_READ_ROLE": sm_role,
        "CU_PAT_EXTERNAL_ID": external_id,
        "CU_PAT_SECRET_ID": secret_name,
        "CU_PAT_PROD_WRITE_ROLE": prod_write,
        "CU_PAT_DEV_WRITE_ROLE": dev_write,
        "CU_PAT_LAMBDA_KEY_ID": lambda_key["AccessKeyId"],
        "CU_PAT_LAMBDA_SECRET_KEY": lambda_key["SecretAccessKey"],
        "CU_PAT_CLUSTER_KEY_ID": cluster_key["AccessKeyId"],
        "CU_PAT_CLUSTER_SECRET_KEY": cluster_key["SecretAccessKey"],
    }
    if negative:
        out["CU_PAT_NOCHAIN_ROLE"] = arn(PROD, "NoChain-Role")
    for k, v in out.items():
        print(f"export {k}={shlex.quote(v)}")


def make_secret(endpoint, sfx, host, port, dbname, username):
    password = os.environ.get("CU_PG_PASSWORD")
    if not password:
        raise SystemExit("pattern_setup: CU_PG_PASSWORD is not set (the database password)")
    value = {"engine": "redshift", "host": host, "port": int(port), "dbname": dbname,
             "username": username, "password": password,
             "dbClusterIdentifier": "crossunload-gateway"}
    sm = client(endpoint, "secretsmanager", PROD)
    arn = sm.create_secret(Name=f"redshift_creds{sfx}", SecretString=json.dumps(value))["ARN"]
    print(f"export CU_PAT_SECRET_ARN={shlex.quote(arn)}")


def data_api(endpoint, sfx):
    iam_prod = client(endpoint, "iam", PROD)
    iam_prod.put_role_policy(
        RoleName=f"SM-Read-Role{sfx}", PolicyName="use-data-api",
        PolicyDocument=doc(allow(["redshift-data:ExecuteStatement",
                                  "redshift-data:DescribeStatement",
                                  "redshift-data:CancelStatement",
                                  "redshift-data:GetStatementResult"], "*")))
    # "*": moto authorizes Secrets Manager (and Data API) calls against resource "*", so a
    # policy scoped to the secret's ARN never matches under its enforcement; AWS would take
    # arn:aws:secretsmanager:<region>:<PROD>:secret:redshift_creds<sfx>-*.
    iam_prod.put_user_policy(
        UserName=f"redshift-cluster{sfx}", PolicyName="data-api-reads-secret",
        PolicyDocument=doc(allow("secretsmanager:GetSecretValue", "*")))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("endpoint")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("topology")
    t.add_argument("--suffix", default="")
    t.add_argument("--negative", action="store_true")
    s = sub.add_parser("secret")
    for a in ("host", "port", "dbname", "username"):
        s.add_argument(a)
    s.add_argument("--suffix", default="")
    d = sub.add_parser("data-api")
    d.add_argument("--suffix", default="")
    a = p.parse_args()
    if a.cmd == "topology":
        topology(a.endpoint, a.suffix, a.negative)
    elif a.cmd == "data-api":
        data_api(a.endpoint, a.suffix)
    else:
        make_secret(a.endpoint, a.suffix, a.host, a.port, a.dbname, a.username)


if __name__ == "__main__":
    main()
