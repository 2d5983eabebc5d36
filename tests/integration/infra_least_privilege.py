#!/usr/bin/env python3
"""Least privilege of the generated infrastructure, proven in moto_server (issue 7, item 4).

Usage: infra_least_privilege.py ENDPOINT INFRA_DIR WORK_DIR FACTS_JSON
  ENDPOINT   a PRIVATE moto_server started with INITIAL_NO_AUTH_ACTION_COUNT=inf (so set-up
             runs unchecked until this script turns enforcement on with reset-auth 0)
  INFRA_DIR  what `crossunload infra --config JOB --out INFRA_DIR` wrote
  FACTS_JSON {"job": JOB, "crossunload": EXE, "dev": ..., "prod": ..., "region": ...,
              "bucket": ..., "prefix": ..., "secret": ..., "stack": ..., "rows": N}
The database password comes from CU_PG_PASSWORD in the environment (never an argument).

1. Deploys both templates unchanged through CloudFormation, one stack per account, then
   adapts for moto, for this run only (each adaptation is printed):
   - the Secrets Manager statement's Resource is widened to "*": moto denies a Secrets
     Manager action whose policy names a specific secret ARN (test-stack.md);
   - every inline policy is put again through the IAM API (moto ignores a stack's inline
     policies under enforcement);
   - moto checks the trust policy of a same-account AssumeRole, but answers 500 to a
     Service principal and matches an AWS principal literally against the caller's
     session ARN without aws:PrincipalArn, and takes a statement for another principal as
     a Deny: the Lambda role's trust names the DEV user that stands in for the Lambda
     service, and S3-Write-Role's trust keeps only its client-mode statement, naming the
     Lambda role's session. (Cross-account trusts are not checked by moto.)
   Creates what the templates do not: the bucket (DEV), the secret (PROD; moto's
   CloudFormation does not create AWS::SecretsManager::Secret), and the DEV user
   `lambda-service`, which may only assume the Lambda role.
2. With enforcement on, `crossunload run --config JOB` as the Lambda role (client mode,
   secret through SM-Read-Role, objects written as S3-Write-Role) succeeds: exit 0, the
   report's rows equal PostgreSQL's count, the objects are in the bucket.
3. For every statement of every generated identity policy in turn, the role's policy is
   put again without it and the job is run again:
   - a statement the job needs makes it fail with exit 3 and an error naming the refused
     action, and nothing is left under that run's prefix;
   - a statement moto cannot make the job need (REASONS below) leaves the job succeeding,
     which is checked too, so the list of reasons stays true.
   A statement in the templates that is in neither list fails the test.
"""
import json
import os
import subprocess
import sys
import urllib.request

import boto3

sys.stdout.reconfigure(line_buffering=True)
endpoint, infra_dir, work, facts = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
DEV, PROD, REGION = facts["dev"], facts["prod"], facts["region"]
BUCKET, PREFIX = facts["bucket"], facts["prefix"]

# (role, Sid) -> what the job's error must name when the statement is gone: the refused
# call as service:Operation. It is the IAM action itself except for S3's ListObjectsV2,
# which IAM authorizes as s3:ListBucket (moto's S3 says only "Access Denied", so the
# error can name the call it made, not the action IAM checked).
NEEDED = {
    ("CrossAccount-SM-Read-Role", "AssumeOnlyTheProdSecretReadRole"): "sts:AssumeRole",
    ("CrossAccount-SM-Read-Role", "AssumeOnlyTheDevWriteRole"): "sts:AssumeRole",
    ("SM-Read-Role", "ReadOnlyTheConnectionSecret"): "secretsmanager:GetSecretValue",
    ("S3-Write-Role", "WriteUnderThePrefix"): "s3:PutObject",
    ("S3-Write-Role", "ListUnderThePrefix"): "s3:ListObjectsV2",  # IAM: s3:ListBucket
}
# (role, Sid) -> why removing it cannot make this job fail under moto.
REASONS = {
    ("CrossAccount-SM-Read-Role", "WriteOnlyItsOwnLogGroup"):
        "the Lambda service writes the function's log lines; the job makes no CloudWatch call",
    ("SM-Read-Role", "DecryptTheSecretThroughSecretsManager"):
        "moto's Secrets Manager does not call KMS to decrypt a secret",
    ("CrossAccount-S3-Write-Role", "AssumeOnlyTheDevWriteRole"):
        "only Redshift assumes the UNLOAD chain (server mode); this job is client mode",
    ("S3-Write-Role", "FindTheBucketRegion"):
        "the job is told the bucket's region; Redshift's UNLOAD calls GetBucketLocation",
    ("S3-Write-Role", "UseOnlyTheUnloadKey"):
        "moto stores SSE-KMS headers without calling KMS",
}


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def enforce(on):
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0" if on else b"inf",
                                 headers={"Content-Type": "text/plain"}, method="POST")
    with urllib.request.urlopen(req) as r:
        if r.status != 200:
            fail(f"moto refused reset-auth: HTTP {r.status}")


def client(service, account):
    c = boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                     aws_access_key_id="setup", aws_secret_access_key="setup")
    c.meta.events.register(
        "before-sign.*.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return c


def load(name):
    with open(os.path.join(infra_dir, name)) as f:
        return json.load(f)


# ---- 1. Deploy -------------------------------------------------------------------------
enforce(False)
templates = {"prod": (PROD, load("prod.template.json")), "dev": (DEV, load("dev.template.json"))}
roles = {}  # role name -> (account, {policy name: document as put for this run})
for side, (acct, t) in templates.items():
    name = f"{facts['stack']}-{side}"
    cfn = client("cloudformation", acct)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(t), Capabilities=["CAPABILITY_NAMED_IAM"],
                     Tags=[{"Key": "crossunload:stack", "Value": name}])
    status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        fail(f"stack {name}: {status}")
    iam = client("iam", acct)
    for res in t["Resources"].values():
        if res["Type"] != "AWS::IAM::Role":
            continue
        p = res["Properties"]
        stored = iam.list_role_policies(RoleName=p["RoleName"])["PolicyNames"]
        if sorted(stored) != sorted(x["PolicyName"] for x in p["Policies"]):
            fail(f"stack {name} created {p['RoleName']} with policies {stored}")
        roles[p["RoleName"]] = (acct, {x["PolicyName"]: x["PolicyDocument"] for x in p["Policies"]})
    print(f"deployed {name} in {acct}: roles {[r for r, (a, _) in roles.items() if a == acct]}")

# What moto needs, and only for this run (each is printed):
adapted = []
for rname, (acct, docs) in roles.items():
    for pname, doc in docs.items():
        for st in doc["Statement"]:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            # moto denies a Secrets Manager action whose policy names a secret's ARN.
            if all(a.startswith("secretsmanager:") for a in acts) and st["Resource"] != "*":
                adapted.append(f"{rname} {st['Sid']}: Resource {st['Resource']} -> *")
                st["Resource"] = "*"
        # moto ignores a stack's inline policies under enforcement until they are put again.
        client("iam", acct).put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(doc))
if not any("secretsmanager" in a or "Secret" in a for a in adapted):
    fail("no Secrets Manager statement found to widen: the templates changed?")
lambda_role = next(r for r in roles if r.startswith("CrossAccount-SM-Read-Role"))
write_role = next(r for r in roles if r.startswith("S3-Write-Role"))
runner_arn = f"arn:aws:iam::{DEV}:user/lambda-service"
lambda_session = f"arn:aws:sts::{DEV}:assumed-role/{lambda_role}/crossunload-lambda"
iam = client("iam", DEV)
# moto checks the trust of a same-account AssumeRole, but answers 500 to a Service
# principal and compares an AWS principal literally with the caller's ARN (a session ARN,
# not the role's), knowing no condition but sts:ExternalId. So the Lambda service is
# stood in for by a DEV user, and S3-Write-Role's client-mode trust names the Lambda
# role's session. infra_iam_simulate_test.mjs proves the generated trust policies.
lt = iam.get_role(RoleName=lambda_role)["Role"]["AssumeRolePolicyDocument"]
if lt["Statement"][0]["Principal"] != {"Service": "lambda.amazonaws.com"}:
    fail(f"unexpected Lambda role trust: {lt}")
lt["Statement"][0]["Principal"] = {"AWS": runner_arn}
iam.update_assume_role_policy(RoleName=lambda_role, PolicyDocument=json.dumps(lt))
adapted.append(f"{lambda_role} trust: Service lambda.amazonaws.com -> {runner_arn} (stands in for Lambda)")
wt = iam.get_role(RoleName=write_role)["Role"]["AssumeRolePolicyDocument"]
st = next((s for s in wt["Statement"] if s["Sid"] == "AndTheDevLambdaRole"), None)
if not st or st["Condition"]["ArnEquals"]["aws:PrincipalArn"] != f"arn:aws:iam::{DEV}:role/{lambda_role}":
    fail(f"unexpected write role trust: {wt}")
st["Principal"] = {"AWS": lambda_session}
del st["Condition"]
# moto also takes a statement for another principal as a Deny: keep only this one (the
# other trusts the PROD role, whose cross-account AssumeRole moto does not check anyway).
wt["Statement"] = [st]
iam.update_assume_role_policy(RoleName=write_role, PolicyDocument=json.dumps(wt))
adapted.append(f"{write_role} trust: only AndTheDevLambdaRole, {DEV} root + aws:PrincipalArn -> "
               f"{lambda_session}")
print("adapted for moto:\n  " + "\n  ".join(adapted))

client("s3", DEV).create_bucket(Bucket=BUCKET)
secret = {"engine": "postgres", "host": "127.0.0.1", "port": int(os.environ["CU_PG_PORT"]),
          "dbname": os.environ["CU_PG_DATABASE"], "username": os.environ["CU_PG_USER"],
          "password": os.environ["CU_PG_PASSWORD"]}
client("secretsmanager", PROD).create_secret(Name=facts["secret"], SecretString=json.dumps(secret))
iam.create_user(UserName="lambda-service")
iam.put_user_policy(UserName="lambda-service", PolicyName="be-the-lambda", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Resource": f"arn:aws:iam::{DEV}:role/{lambda_role}"}]}))
key = iam.create_access_key(UserName="lambda-service")["AccessKey"]
old = os.umask(0o077)
with open(f"{work}/credentials", "w") as f:
    f.write(f"[lambda-service]\naws_access_key_id = {key['AccessKeyId']}\n"
            f"aws_secret_access_key = {key['SecretAccessKey']}\n")
with open(f"{work}/config", "w") as f:
    f.write(f"[profile lambda]\nrole_arn = arn:aws:iam::{DEV}:role/{lambda_role}\n"
            f"source_profile = lambda-service\nrole_session_name = crossunload-lambda\n"
            f"region = {REGION}\n")
os.umask(old)

# ---- 2. and 3. Runs under enforcement ---------------------------------------------------
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PGPASSFILE", "PGPASSWORD")}
env.update(AWS_CONFIG_FILE=f"{work}/config", AWS_SHARED_CREDENTIALS_FILE=f"{work}/credentials",
           AWS_PROFILE="lambda", AWS_ENDPOINT_URL=endpoint, AWS_REGION=REGION,
           AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1")


def run(tag):
    """The job as the Lambda role under enforcement, into its own prefix."""
    to = f"s3://{BUCKET}/{PREFIX}{tag}_"
    report = f"{work}/report-{tag}.json"
    enforce(True)
    try:
        p = subprocess.run([facts["crossunload"], "run", "--config", facts["job"], "--to", to,
                            "--report", report], env=env, capture_output=True, text=True, timeout=120)
    finally:
        enforce(False)
    return p, report


def leftovers(tag):
    s3 = client("s3", DEV)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}{tag}_").get("Contents", [])]
    ups = [u["Key"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
           if u["Key"].startswith(f"{PREFIX}{tag}_")]
    return keys, ups


p, report = run("all")
if p.returncode != 0:
    fail(f"the job failed with every generated statement in place (exit {p.returncode}): {p.stderr}")
rows = json.load(open(report))["rows"]
if rows != facts["rows"]:
    fail(f"the report says {rows} rows, PostgreSQL has {facts['rows']}")
keys, _ = leftovers("all")
if not keys:
    fail("the job succeeded but wrote no object")
print(f"ok with every statement: exit 0, {rows} rows, objects {keys}")

statements = []
for rname, (acct, docs) in roles.items():
    for pname, doc in docs.items():
        for st in doc["Statement"]:
            statements.append((rname, pname, st["Sid"]))


def base_name(role):  # the test may suffix role names; the tables use the pattern's
    for b in ("CrossAccount-SM-Read-Role", "CrossAccount-S3-Write-Role", "SM-Read-Role", "S3-Write-Role"):
        if role == b or role.startswith(b + "-"):
            return b
    return role


unclassified = [s for s in statements if (base_name(s[0]), s[2]) not in NEEDED | REASONS]
if unclassified:
    fail(f"statements neither needed nor explained: {unclassified}")

for i, (rname, pname, sid) in enumerate(statements):
    acct, docs = roles[rname]
    doc = json.loads(json.dumps(docs[pname]))
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != sid]
    iam = client("iam", acct)
    if doc["Statement"]:
        iam.put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(doc))
    else:
        iam.delete_role_policy(RoleName=rname, PolicyName=pname)
    tag = f"s{i}_{sid.lower()[:24]}"
    try:
        p, _ = run(tag)
    finally:
        iam.put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(docs[pname]))
    what = f"{rname} without {pname}/{sid}"
    action = NEEDED.get((base_name(rname), sid))
    if action:
        if p.returncode != 3:
            fail(f"{what}: exit {p.returncode}, expected 3: {p.stderr}")
        if action not in p.stderr:
            fail(f"{what}: the error does not name {action}: {p.stderr}")
        keys, ups = leftovers(tag)
        if keys or ups:
            fail(f"{what}: the failed run left objects {keys} and uploads {ups}")
        line = next((l for l in p.stderr.splitlines() if action in l), "")
        print(f"ok {what}: exit 3, {action} named: {line[:220]}")
    else:
        if p.returncode != 0:
            fail(f"{what}: expected the job to succeed ({REASONS[(base_name(rname), sid)]}), "
                 f"exit {p.returncode}: {p.stderr}")
        print(f"ok {what}: still succeeds under moto: {REASONS[(base_name(rname), sid)]}")
print(f"ok: {len(statements)} statements, {sum(1 for s in statements if (base_name(s[0]), s[2]) in NEEDED)} "
      "needed by the job, the rest explained")
