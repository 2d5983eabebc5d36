#!/usr/bin/env python3
"""Deploys the templates `crossunload infra` wrote into moto_server through CloudFormation,
one stack per account, and checks what got created against the generated documents.

Usage: infra_moto_deploy.py ENDPOINT TEMPLATES_DIR JOB_FACTS_JSON [--deploy-only]
  JOB_FACTS_JSON: {"dev": "...", "prod": "...", "region": "...", "stack": "...",
                   "function": "...", "lambda_role": "...", "code_bucket": "...",
                   "code_key": "..."}
Set-up and checks pick the account with moto's x-moto-account-id header. Exits non-zero
with a message on the first difference. After the checks it deletes both stacks and
checks that the roles, the function and the log group (and with via = "data-api" the
state machine) are gone. The DEV bucket's lifecycle
rule (dev.bucket-lifecycle.json) is put on a bucket and read back. With --deploy-only it
stops once both stacks are created (for the teardown test).
"""
import ast
import io
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
from moto_client import moto_client  # noqa: E402  (tests/support/moto_client.py)

sys.stdout.reconfigure(line_buffering=True)

endpoint, tdir, facts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
DEV, PROD, REGION = facts["dev"], facts["prod"], facts["region"]


def client(service, account):
    return moto_client(service, account, endpoint, REGION)


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def load(name):
    with open(f"{tdir}/{name}") as f:
        return json.load(f)


# What the stacks need to exist first: the code bucket and function.zip (DEV); the
# cluster's security group (PROD) with the id the template names.
s3 = client("s3", DEV)
s3.create_bucket(Bucket=facts["code_bucket"],
                 CreateBucketConfiguration={"LocationConstraint": REGION})
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n")
s3.put_object(Bucket=facts["code_bucket"], Key=facts["code_key"], Body=buf.getvalue())

prod_t, dev_t = load("prod.template.json"), load("dev.template.json")
ec2 = client("ec2", PROD)
vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
sg = ec2.create_security_group(GroupName="redshift", Description="cluster", VpcId=vpc)["GroupId"]
# moto makes its own ids: point the template's ingress rules at the group it made.
for res in prod_t["Resources"].values():
    if res["Type"] == "AWS::EC2::SecurityGroupIngress":
        res["Properties"]["GroupId"] = sg
# The Lambda's subnets and security groups, made in DEV the same way.
dev_ec2 = client("ec2", DEV)
dvpc = dev_ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
fn = dev_t["Resources"].get("Function")
if fn and "VpcConfig" in fn["Properties"]:
    vc = fn["Properties"]["VpcConfig"]
    vc["SubnetIds"] = [dev_ec2.create_subnet(VpcId=dvpc, CidrBlock=f"10.1.{i}.0/24")["Subnet"]["SubnetId"]
                       for i, _ in enumerate(vc["SubnetIds"])]
    vc["SecurityGroupIds"] = [dev_ec2.create_security_group(
        GroupName=f"lambda{i}", Description="lambda", VpcId=dvpc)["GroupId"]
        for i, _ in enumerate(vc["SecurityGroupIds"])]

stacks = {"prod": (PROD, f"{facts['stack']}-prod", prod_t), "dev": (DEV, f"{facts['stack']}-dev", dev_t)}
for side, (acct, name, template) in stacks.items():
    cfn = client("cloudformation", acct)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template),
                     Capabilities=["CAPABILITY_NAMED_IAM"],
                     Tags=[{"Key": "crossunload:stack", "Value": name}])
    status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        fail(f"stack {name} in {acct}: {status}: {[e.get('ResourceStatusReason') for e in events]}")

if "--deploy-only" in sys.argv[4:]:
    print(f"deployed {', '.join(n for _, n, _ in stacks.values())}")
    sys.exit(0)

# Every role exists in its account with the generated trust policy, inline policies, tags.
for side, (acct, name, template) in stacks.items():
    iam = client("iam", acct)
    for lid, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        p = res["Properties"]
        role = iam.get_role(RoleName=p["RoleName"])["Role"]
        want_arn = f"arn:aws:iam::{acct}:role/{p['RoleName']}"
        if role["Arn"] != want_arn:
            fail(f"{lid}: ARN {role['Arn']} != {want_arn}")
        if role["AssumeRolePolicyDocument"] != p["AssumeRolePolicyDocument"]:
            fail(f"{lid}: trust policy differs: {role['AssumeRolePolicyDocument']}")
        names = sorted(iam.list_role_policies(RoleName=p["RoleName"])["PolicyNames"])
        want = sorted(x["PolicyName"] for x in p["Policies"])
        if names != want:
            fail(f"{lid}: inline policies {names} != {want}")
        for x in p["Policies"]:
            doc = iam.get_role_policy(RoleName=p["RoleName"], PolicyName=x["PolicyName"])["PolicyDocument"]
            if isinstance(doc, str):  # moto 5.2.1 stores a stack's inline policies as Python reprs
                doc = ast.literal_eval(doc)
            if doc != x["PolicyDocument"]:
                fail(f"{lid}/{x['PolicyName']}: stored policy differs: {doc}")
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=p["RoleName"])["Tags"]}
        if tags.get("crossunload:stack") != name:
            fail(f"{lid}: tags {tags}")
        print(f"ok {acct} role {p['RoleName']}: trust, {len(names)} inline policies, tags")

lam = client("lambda", DEV)
f = lam.get_function(FunctionName=facts["function"])
cfg = f["Configuration"]
if cfg["Runtime"] != "provided.al2023" or cfg["Role"] != f"arn:aws:iam::{DEV}:role/{facts['lambda_role']}":
    fail(f"function: {cfg['Runtime']} {cfg['Role']}")
# (moto does not apply a stack's tags to a function; the template's are unit-tested)
if fn and "VpcConfig" in fn["Properties"] and \
        sorted(cfg["VpcConfig"]["SubnetIds"]) != sorted(fn["Properties"]["VpcConfig"]["SubnetIds"]):
    fail(f"function VPC config: {cfg['VpcConfig']}")
print(f"ok {DEV} function {facts['function']}: provided.al2023, role, VPC subnets")
logs = client("logs", DEV)
groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{facts['function']}")["logGroups"]
if len(groups) != 1 or groups[0].get("retentionInDays") != dev_t["Resources"]["LogGroup"]["Properties"]["RetentionInDays"]:
    fail(f"log group: {groups}")
tags = logs.list_tags_for_resource(resourceArn=groups[0]["logGroupArn"])["tags"]
if tags.get("crossunload:stack") != f"{facts['stack']}-dev":
    fail(f"log group tags: {tags}")
print(f"ok {DEV} log group {groups[0]['logGroupName']}: retention {groups[0]['retentionInDays']} days, tags")
# via = "data-api": the state machine, with the generated definition and its role.
sm_res = dev_t["Resources"].get("StateMachine")
sm_arn = None
if sm_res:
    props = sm_res["Properties"]
    sfn = client("stepfunctions", DEV)
    sm_arn = f"arn:aws:states:{REGION}:{DEV}:stateMachine:{props['StateMachineName']}"
    d = sfn.describe_state_machine(stateMachineArn=sm_arn)
    if json.loads(d["definition"]) != json.loads(props["DefinitionString"]):
        fail(f"state machine definition differs: {d['definition']}")
    sf_role = dev_t["Resources"]["StateMachineRole"]["Properties"]["RoleName"]
    if d["roleArn"] != f"arn:aws:iam::{DEV}:role/{sf_role}":
        fail(f"state machine role {d['roleArn']}")
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=sm_arn)["tags"]}
    if tags.get("crossunload:stack") != f"{facts['stack']}-dev":
        fail(f"state machine tags: {tags}")
    print(f"ok {DEV} state machine {props['StateMachineName']}: definition, role {sf_role}, tags")
    if fn and "VpcConfig" in fn["Properties"]:
        fail("a data-api function with a VPC configuration")
    if any(r["Type"] == "AWS::EC2::SecurityGroupIngress" for r in prod_t["Resources"].values()):
        fail("a data-api PROD stack with an ingress rule")

rules = client("ec2", PROD).describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
cidrs = sorted(r["CidrIp"] for p in rules for r in p.get("IpRanges", []) if p.get("FromPort") == 5439)
want = sorted(r["Properties"]["CidrIp"] for r in prod_t["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress")
if cidrs != want:
    fail(f"ingress on 5439: {cidrs} != {want}")
print(f"ok {PROD} security group ingress 5439 from {cidrs}")

# The DEV bucket's lifecycle rule (dev.bucket-lifecycle.json) is accepted by S3's
# PutBucketLifecycleConfiguration as written and read back unchanged.
lifecycle = load("dev.bucket-lifecycle.json")
dest = facts["code_bucket"] + "-dest"
s3.create_bucket(Bucket=dest, CreateBucketConfiguration={"LocationConstraint": REGION})
s3.put_bucket_lifecycle_configuration(Bucket=dest, LifecycleConfiguration=lifecycle)
stored = s3.get_bucket_lifecycle_configuration(Bucket=dest)["Rules"]
if len(stored) != 1 or stored[0].get("AbortIncompleteMultipartUpload") != {"DaysAfterInitiation": 1} \
        or stored[0].get("Filter") != lifecycle["Rules"][0]["Filter"] or stored[0].get("Status") != "Enabled":
    fail(f"lifecycle rule read back as {stored}, written {lifecycle}")
print(f"ok {DEV} bucket lifecycle: incomplete uploads under {stored[0]['Filter']} aborted after 1 day")

# Deleting the stacks removes what they created.
for side, (acct, name, template) in stacks.items():
    client("cloudformation", acct).delete_stack(StackName=name)
for side, (acct, name, template) in stacks.items():
    iam = client("iam", acct)
    for res in template["Resources"].values():
        if res["Type"] == "AWS::IAM::Role":
            try:
                iam.get_role(RoleName=res["Properties"]["RoleName"])
                fail(f"role {res['Properties']['RoleName']} left after DeleteStack")
            except iam.exceptions.NoSuchEntityException:
                pass
try:
    lam.get_function(FunctionName=facts["function"])
    fail("function left after DeleteStack")
except lam.exceptions.ResourceNotFoundException:
    pass
if sm_arn:
    try:
        client("stepfunctions", DEV).describe_state_machine(stateMachineArn=sm_arn)
        fail("state machine left after DeleteStack")
    except client("stepfunctions", DEV).exceptions.StateMachineDoesNotExist:
        pass
print("ok both stacks deleted: roles, function" + (" and state machine" if sm_arn else "") + " gone")
