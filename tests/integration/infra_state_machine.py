#!/usr/bin/env python3
"""Runs the state machine `crossunload infra` generated (its ASL definition) in moto's
Step Functions interpreter (in this process; the ASL engine moto took from LocalStack), with
every Lambda task served by the real function: `crossunload lambda --max-invocations 1`
against the local Runtime API (lambda_runtime_api.py), as the Lambda would be invoked
(moto's own Lambda Invoke needs Docker). Prints one JSON line: the execution's status,
output, error and cause, and the event of every invocation in order.

Usage: infra_state_machine.py ASL_JSON INPUT_JSON FUNCTION_ARN
Environment: CROSSUNLOAD, CU_SOURCE_DIR, and the job's AWS settings (profile, endpoints).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from moto import mock_aws
from moto.core.config import default_user_config
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

asl_file, input_file, function_arn = sys.argv[1:4]
events = []
# The function's environment is the job's (its AWS profile and endpoints); this process's
# boto3 talks to the in-process moto only.
job_env = dict(os.environ)
for k in list(os.environ):
    if k.startswith("AWS_"):
        del os.environ[k]


def invoke(parameters, region, state_credentials):  # noqa: ARG001 (moto's signature)
    """Lambda Invoke, served by the real function through the local Runtime API."""
    if parameters["FunctionName"] != function_arn:
        raise SystemExit(f"the state machine invoked {parameters['FunctionName']}")
    payload = parameters["Payload"]
    event = json.loads(payload.decode() if isinstance(payload, (bytes, bytearray)) else payload)
    events.append(event)
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/events.json", "w") as f:
            json.dump([{"request_id": f"inv-{len(events)}", "event": event,
                        "deadline_in_ms": 120000}], f)
        api = subprocess.Popen([sys.executable, os.path.join(
            job_env["CU_SOURCE_DIR"], "tests/integration/lambda_runtime_api.py"),
            "--events", f"{d}/events.json", "--out", f"{d}/posted.jsonl",
            "--port-file", f"{d}/port", "--timeout", "120"])
        for _ in range(200):
            if os.path.exists(f"{d}/port"):
                break
            time.sleep(0.05)
        env = dict(job_env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:" + open(f"{d}/port").read())
        with open(f"{d}/lambda.err", "w") as err:
            subprocess.run([job_env["CROSSUNLOAD"], "lambda", "--max-invocations", "1"],
                           env=env, stdout=subprocess.DEVNULL, stderr=err, check=True)
        api.wait(timeout=30)
        posted = json.loads(open(f"{d}/posted.jsonl").readline())
    body = json.loads(posted["body"])
    response = {"StatusCode": 200, "Payload": body}
    if posted["path"].endswith("/error"):
        response["FunctionError"] = "Unhandled"
    return response


lambda_eval_utils._invoke_lambda_function = invoke
default_user_config["stepfunctions"] = {"execute_state_machine": True}

region, account = function_arn.split(":")[3], function_arn.split(":")[4]
os.environ["MOTO_ACCOUNT_ID"] = account
with mock_aws():
    import boto3
    kw = dict(region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = boto3.client("iam", **kw)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "states.amazonaws.com"}}]}))
    sfn = boto3.client("stepfunctions", **kw)
    sm = sfn.create_state_machine(name="crossunload-test", definition=open(asl_file).read(),
                                  roleArn=role["Role"]["Arn"])["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=sm, input=open(input_file).read())["executionArn"]
    deadline = time.time() + 300
    while True:
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING" or time.time() > deadline:
            break
        time.sleep(0.2)
    print(json.dumps({"status": d["status"], "output": json.loads(d.get("output") or "null"),
                      "error": d.get("error"), "cause": d.get("cause"), "events": events}))
