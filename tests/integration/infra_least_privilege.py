#!/usr/bin/env python3
"""Least privilege of the generated infrastructure, proven in moto_server (issue 7, item 4).

Usage: infra_least_privilege.py ENDPOINT WORK_DIR FACTS_JSON
  ENDPOINT   a PRIVATE moto_server started with INITIAL_NO_AUTH_ACTION_COUNT=inf (so set-up
             runs unchecked until this script turns enforcement on with reset-auth 0)
  FACTS_JSON {"crossunload": EXE, "dev": ..., "prod": ..., "region": ..., "bucket": ...,
              "rows": N, "jobs": [{"mode": "client"|"server", "job": JOB_FILE,
              "infra": DIR, "stack": ..., "prefix": ..., "secret": ..., "suffix": ...}]}
  DIR is what `crossunload infra --config JOB_FILE --out DIR` wrote. The database
  password comes from CU_PG_PASSWORD in the environment (never an argument).

For each job (client mode: the job writes as S3-Write-Role; server mode: the job sends
UNLOAD to `crossunload gateway`, which stands in for Redshift and assumes the IAM_ROLE
chain as a PROD user, and the job verifies as the Lambda role):
1. Deploys both templates unchanged through CloudFormation, one stack per account, then
   adapts for moto, for this run only (each adaptation is printed):
   - the Secrets Manager statement's Resource is widened to "*": moto denies a Secrets
     Manager action whose policy names a specific secret ARN (docs/development.md#moto);
   - every inline policy is put again through the IAM API (moto ignores a stack's inline
     policies under enforcement);
   - moto checks the trust policy of a same-account AssumeRole, but answers 500 to a
     Service principal, matches an AWS principal literally against the caller's session
     ARN without aws:PrincipalArn, and takes a statement for another principal as a
     Deny: the Lambda role's trust names the DEV user that stands in for the Lambda
     service, the Redshift role's names the PROD user that stands in for Redshift (the
     gateway's identity), and S3-Write-Role's client-mode trust keeps only its Lambda
     statement, naming the Lambda role's session. (Cross-account trusts are not checked by
     moto; infra_iam_simulate_test.mjs proves the generated ones.)
   Creates what the templates do not: the bucket (DEV), the secret (PROD; moto's
   CloudFormation does not create AWS::SecretsManager::Secret), the stand-in users.
2. With enforcement on, `crossunload run --config JOB` as the Lambda role succeeds: exit
   0, the report's rows equal PostgreSQL's count, objects in the bucket. In client mode a
   query that fails after ~40 MB were written exits 4 and leaves nothing (no object, no
   upload), though the write role may not delete.
3. For every statement of every generated identity policy in turn, the role's policy is
   put again without it and the job is run again:
   - a statement the job needs makes it fail with exit 3 and an error naming the refused
     call, and nothing is left under that run's prefix;
   - a statement moto cannot make the job need (REASONS) leaves the job succeeding, which
     is checked too, so the reasons stay true.
   A statement in the templates that is in neither table fails the test.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

sys.stdout.reconfigure(line_buffering=True)
endpoint, work, facts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
DEV, PROD, REGION, BUCKET = facts["dev"], facts["prod"], facts["region"], facts["bucket"]

# (mode, role, Sid) -> what the job's error must name when the statement is gone: the IAM
# action the policy must allow, followed by the S3 call when their names differ (moto's S3
# says only "Access Denied"; IAM authorizes ListObjectsV2 as s3:ListBucket), or for the
# chain Redshift assumes, Redshift's own wording.
NEEDED = {
    ("client", "CrossAccount-SM-Read-Role", "AssumeOnlyTheProdSecretReadRole"): "sts:AssumeRole",
    ("client", "CrossAccount-SM-Read-Role", "AssumeOnlyTheDevWriteRole"): "sts:AssumeRole",
    ("client", "SM-Read-Role", "ReadOnlyTheConnectionSecret"): "secretsmanager:GetSecretValue",
    ("client", "S3-Write-Role", "WriteUnderThePrefix"): "s3:PutObject",
    ("client", "S3-Write-Role", "ListUnderThePrefix"): "s3:ListBucket (ListObjectsV2)",
    ("server", "CrossAccount-SM-Read-Role", "AssumeOnlyTheProdSecretReadRole"): "sts:AssumeRole",
    ("server", "CrossAccount-SM-Read-Role", "ListUnderThePrefix"): "s3:ListBucket (ListObjectsV2)",
    ("server", "SM-Read-Role", "ReadOnlyTheConnectionSecret"): "secretsmanager:GetSecretValue",
    ("server", "CrossAccount-S3-Write-Role", "AssumeOnlyTheDevWriteRole"): "is not authorized to assume IAM Role",
    ("server", "S3-Write-Role", "WriteUnderThePrefix"): "s3:PutObject",
    ("server", "S3-Write-Role", "ListUnderThePrefix"): "s3:ListBucket (ListObjectsV2)",
}
# Failures after Redshift wrote: the objects stay (the job verifies Redshift's output; it
# never deletes it). Every other failure must leave nothing under the run's prefix.
WRITTEN_BEFORE_FAILURE = {("server", "CrossAccount-SM-Read-Role", "ListUnderThePrefix")}
# (mode, role, Sid) -> why removing it cannot make this job fail under moto.
LOGS = "the Lambda service ships the function's log lines; the job makes no CloudWatch call"
NO_KMS = "moto stores SSE-KMS headers without calling KMS"
REGION_GIVEN = "the job and the gateway are told the region; nothing calls GetBucketLocation"
REASONS = {
    ("client", "CrossAccount-SM-Read-Role", "WriteOnlyItsOwnLogGroup"): LOGS,
    ("client", "SM-Read-Role", "DecryptTheSecretThroughSecretsManager"):
        "moto's Secrets Manager does not call KMS to decrypt a secret",
    ("client", "CrossAccount-S3-Write-Role", "AssumeOnlyTheDevWriteRole"):
        "only Redshift assumes the UNLOAD chain: proven by the server-mode job",
    ("client", "S3-Write-Role", "FindTheBucketRegion"): REGION_GIVEN,
    ("client", "S3-Write-Role", "UseOnlyTheUnloadKey"): NO_KMS,
    ("server", "CrossAccount-SM-Read-Role", "WriteOnlyItsOwnLogGroup"): LOGS,
    ("server", "S3-Write-Role", "FindTheBucketRegion"): REGION_GIVEN,
    ("server", "S3-Write-Role", "UseOnlyTheUnloadKey"): NO_KMS,
}
BASE_NAMES = ("CrossAccount-SM-Read-Role", "CrossAccount-S3-Write-Role", "SM-Read-Role", "S3-Write-Role")


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
    return moto_client(service, account, endpoint, REGION)


def base_name(role):  # the roles of each job carry a suffix; the tables use the pattern's
    return next((b for b in BASE_NAMES if role == b or role.startswith(b + "-")), role)


def deploy(job):
    """Both stacks of one job; returns {role name: (account, {policy: document as put})}."""
    roles = {}
    for side, acct in (("prod", PROD), ("dev", DEV)):
        with open(os.path.join(job["infra"], f"{side}.template.json")) as f:
            t = json.load(f)
        name = f"{job['stack']}-{side}"
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
        print(f"deployed {name} in {acct}: roles {sorted(r for r, (a, _) in roles.items() if a == acct)}")
    return roles


def put_trust(acct, role, doc, note, adapted):
    client("iam", acct).update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(doc))
    adapted.append(f"{role} trust: {note}")


def adapt(job, roles, users):
    """What moto needs, for this run only; returns the lines saying what was changed."""
    adapted = []
    for rname, (acct, docs) in roles.items():
        for pname, doc in docs.items():
            for st in doc["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if all(a.startswith("secretsmanager:") for a in acts) and st["Resource"] != "*":
                    adapted.append(f"{rname} {st['Sid']}: Resource {st['Resource']} -> *")
                    st["Resource"] = "*"
            client("iam", acct).put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(doc))
    if not adapted:
        fail("no Secrets Manager statement found to widen: the templates changed?")
    lambda_role = next(r for r in roles if base_name(r) == "CrossAccount-SM-Read-Role")
    iam = client("iam", DEV)
    lt = iam.get_role(RoleName=lambda_role)["Role"]["AssumeRolePolicyDocument"]
    if lt["Statement"][0]["Principal"] != {"Service": "lambda.amazonaws.com"}:
        fail(f"unexpected Lambda role trust: {lt}")
    lt["Statement"][0]["Principal"] = {"AWS": users["lambda"]}
    put_trust(DEV, lambda_role, lt, f"Service lambda.amazonaws.com -> {users['lambda']} (stands in for Lambda)", adapted)
    if job["mode"] == "client":
        write_role = next(r for r in roles if base_name(r) == "S3-Write-Role")
        session = f"arn:aws:sts::{DEV}:assumed-role/{lambda_role}/crossunload-lambda"
        wt = iam.get_role(RoleName=write_role)["Role"]["AssumeRolePolicyDocument"]
        st = next((s for s in wt["Statement"] if s["Sid"] == "AndTheDevLambdaRole"), None)
        if not st or st["Condition"]["ArnEquals"]["aws:PrincipalArn"] != f"arn:aws:iam::{DEV}:role/{lambda_role}":
            fail(f"unexpected write role trust: {wt}")
        st["Principal"] = {"AWS": session}
        del st["Condition"]
        wt["Statement"] = [st]
        put_trust(DEV, write_role, wt, f"only AndTheDevLambdaRole, {DEV} root + aws:PrincipalArn -> {session}", adapted)
    else:
        rs_role = next(r for r in roles if base_name(r) == "CrossAccount-S3-Write-Role")
        rt = client("iam", PROD).get_role(RoleName=rs_role)["Role"]["AssumeRolePolicyDocument"]
        if rt["Statement"][0]["Principal"] != {"Service": "redshift.amazonaws.com"}:
            fail(f"unexpected Redshift role trust: {rt}")
        rt["Statement"][0]["Principal"] = {"AWS": users["cluster"]}
        put_trust(PROD, rs_role, rt, f"Service redshift.amazonaws.com -> {users['cluster']} (stands in for Redshift)", adapted)
    print("adapted for moto:\n  " + "\n  ".join(adapted))
    return lambda_role


def stand_in_user(acct, name, may_assume):
    """An IAM user that may only assume the given roles; returns (arn, key id, secret)."""
    iam = client("iam", acct)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="stand-in", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Resource": may_assume}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return f"arn:aws:iam::{acct}:user/{name}", key["AccessKeyId"], key["SecretAccessKey"]


def role_arn(acct, job, base):
    return f"arn:aws:iam::{acct}:role/{base}{job['suffix']}"


# ---- Set-up, enforcement off ------------------------------------------------------------
enforce(False)
client("s3", DEV).create_bucket(Bucket=BUCKET)
jobs = facts["jobs"]
lambda_user = stand_in_user(DEV, "lambda-service",
                            [role_arn(DEV, j, "CrossAccount-SM-Read-Role") for j in jobs])
cluster_user = stand_in_user(PROD, "redshift-cluster",
                             [role_arn(PROD, j, "CrossAccount-S3-Write-Role") for j in jobs])
users = {"lambda": lambda_user[0], "cluster": cluster_user[0]}
old = os.umask(0o077)
with open(f"{work}/credentials", "w") as f:
    f.write(f"[lambda-service]\naws_access_key_id = {lambda_user[1]}\naws_secret_access_key = {lambda_user[2]}\n"
            f"[redshift-cluster]\naws_access_key_id = {cluster_user[1]}\naws_secret_access_key = {cluster_user[2]}\n")
with open(f"{work}/config", "w") as f:
    for j in jobs:
        f.write(f"[profile lambda-{j['mode']}]\nrole_arn = {role_arn(DEV, j, 'CrossAccount-SM-Read-Role')}\n"
                f"source_profile = lambda-service\nrole_session_name = crossunload-lambda\nregion = {REGION}\n")
    f.write(f"[profile redshift-cluster]\nregion = {REGION}\n")
os.umask(old)
base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PGPASSFILE", "PGPASSWORD")}
base_env.update(AWS_CONFIG_FILE=f"{work}/config", AWS_SHARED_CREDENTIALS_FILE=f"{work}/credentials",
                AWS_ENDPOINT_URL=endpoint, AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true",
                AWS_MAX_ATTEMPTS="1")

# The gateway (local Redshift) for the server-mode job: the cluster's identity is the PROD
# stand-in user; it assumes the IAM_ROLE chain itself, as a cluster does.
gateway = None
pg_port = int(os.environ["CU_PG_PORT"])
db_port = {"client": pg_port}
if any(j["mode"] == "server" for j in jobs):
    log = open(f"{work}/gateway.log", "w")
    gateway = subprocess.Popen(
        [facts["crossunload"], "gateway", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{pg_port}",
         "--aws-profile", "redshift-cluster"],
        env={**base_env, "AWS_PROFILE": "redshift-cluster"}, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        text = open(f"{work}/gateway.log").read()
        if "listening on 127.0.0.1:" in text:
            db_port["server"] = int(text.split("listening on 127.0.0.1:")[1].split()[0].rstrip(","))
            break
        if gateway.poll() is not None:
            fail(f"the gateway exited: {text}")
        time.sleep(0.1)
    else:
        fail("the gateway did not start")


def run(job, tag, extra=()):
    """The job as the Lambda role under enforcement, into its own prefix."""
    to = f"s3://{BUCKET}/{job['prefix']}{tag}_"
    report = f"{work}/report-{job['mode']}-{tag}.json"
    enforce(True)
    try:
        p = subprocess.run([facts["crossunload"], "run", "--config", job["job"], "--to", to, "--report", report,
                            *extra],
                           env={**base_env, "AWS_PROFILE": f"lambda-{job['mode']}"},
                           capture_output=True, text=True, timeout=120)
    finally:
        enforce(False)
    return p, report


def leftovers(job, tag):
    s3 = client("s3", DEV)
    prefix = f"{job['prefix']}{tag}_"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    ups = [u["Key"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
           if u["Key"].startswith(prefix)]
    return keys, ups


def prove(job):
    mode = job["mode"]
    print(f"--- {mode} mode")
    roles = deploy(job)
    adapt(job, roles, users)
    secret = {"engine": "postgres" if mode == "client" else "redshift", "host": "127.0.0.1",
              "port": db_port[mode], "dbname": os.environ["CU_PG_DATABASE"],
              "username": os.environ["CU_PG_USER"], "password": os.environ["CU_PG_PASSWORD"]}
    client("secretsmanager", PROD).create_secret(Name=job["secret"], SecretString=json.dumps(secret))

    p, report = run(job, "all")
    if p.returncode != 0:
        fail(f"{mode}: the job failed with every generated statement in place (exit {p.returncode}): {p.stderr}")
    r = json.load(open(report))
    if r["rows"] != facts["rows"] or r["mode"] != mode:
        fail(f"{mode}: the report says {r['rows']} rows in {r['mode']} mode, PostgreSQL has {facts['rows']}")
    keys, _ = leftovers(job, "all")
    if not keys:
        fail(f"{mode}: the job succeeded but wrote no object")
    print(f"ok {mode} mode with every statement: exit 0, {r['rows']} rows, objects {keys}")

    if mode == "client":
        # The writer may put, not delete (no s3:DeleteObject without clean_path): a run whose
        # query fails after ~40 MB were written (a 16 MB file complete, another under way)
        # must leave nothing visible and no upload open, without deleting anything.
        failing = ("select g, repeat(md5(g::text), 10) as pad, 1 / (g - 125000) as boom"
                   " from generate_series(1, 130000) g")
        p, report = run(job, "failing", ["--query", failing, "--no-parallel", "--max-file-size", "16MB"])
        if p.returncode != 4 or "division by zero" not in p.stderr:
            fail(f"client: the failing query: exit {p.returncode}, expected 4 (division by zero): {p.stderr}")
        keys, ups = leftovers(job, "failing")
        if keys or ups:
            fail(f"client: a failed run without s3:DeleteObject left objects {keys} and uploads {ups}")
        print("ok client mode: a query failing after 40 MB leaves nothing, with no s3:DeleteObject granted")

    statements = [(rname, pname, st["Sid"]) for rname, (_, docs) in roles.items()
                  for pname, doc in docs.items() for st in doc["Statement"]]
    keyed = [(mode, base_name(r), sid) for r, _, sid in statements]
    unclassified = [k for k in keyed if k not in NEEDED and k not in REASONS]
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
            p, _ = run(job, tag)
        finally:
            iam.put_role_policy(RoleName=rname, PolicyName=pname, PolicyDocument=json.dumps(docs[pname]))
        what = f"{mode}: {rname} without {pname}/{sid}"
        key = (mode, base_name(rname), sid)
        if key in NEEDED:
            needle = NEEDED[key]
            if p.returncode != 3:
                fail(f"{what}: exit {p.returncode}, expected 3: {p.stderr}")
            if needle not in p.stderr:
                fail(f"{what}: the error does not name {needle}: {p.stderr}")
            keys, ups = leftovers(job, tag)
            if key in WRITTEN_BEFORE_FAILURE:
                if not keys or ups:
                    fail(f"{what}: expected UNLOAD's objects and no upload, found {keys} and {ups}")
            elif keys or ups:
                fail(f"{what}: the failed run left objects {keys} and uploads {ups}")
            line = next((ln for ln in p.stderr.splitlines() if needle in ln), "")
            print(f"ok {what}: exit 3, {needle!r} named: {line[:200]}")
        else:
            if p.returncode != 0:
                fail(f"{what}: expected the job to succeed ({REASONS[key]}), exit {p.returncode}: {p.stderr}")
            print(f"ok {what}: still succeeds under moto: {REASONS[key]}")
    needed = sum(1 for k in keyed if k in NEEDED)
    print(f"ok {mode} mode: {len(statements)} statements, {needed} needed by the job, the rest explained")


try:
    for j in jobs:
        prove(j)
finally:
    if gateway:
        gateway.terminate()
        gateway.wait(timeout=10)
