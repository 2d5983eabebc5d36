#!/usr/bin/env bash
# The local Redshift's Data API, driven by a client we did not write: boto3's unchanged
# `redshift-data` client (endpoint_url = the gateway's --data-api-listen). Statements run on
# the stack's PostgreSQL through the gateway: execute → describe until FINISHED → typed
# records with paging; a failing statement carries PostgreSQL's error; CancelStatement
# stops a pg_sleep; a batch runs in one transaction; UNLOAD goes through the gateway's
# executor (the file equals PostgreSQL's own COPY); the secret is read from moto as the
# gateway; DbUser logs in with the gateway's libpq password. Bad requests (unsigned, wrong
# key or secret, malformed JSON, unknown target, huge SQL, oversized body) get the Data
# API's error shapes and the gateway keeps serving.
source "$(dirname "$0")/../support/testlib.sh"
cu_require_stack CU_PG_PASSWORD CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
python3 -c 'import boto3' 2>/dev/null || cu_fail "boto3 is missing (scripts/install-deps installs it)"

dir=$(cu_tmpdir)
# The gateway's own identity (it reads the secret with it, and accepts it as a caller);
# a second caller's key pair comes from a credentials file.
export AWS_ACCESS_KEY_ID=AKIADATAAPIGATEWAY01 AWS_SECRET_ACCESS_KEY=gateway-secret-key-for-tests
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$CU_MOTO_ENDPOINT"
unset AWS_PROFILE AWS_SESSION_TOKEN
(
  umask 077
  cat >"$dir/callers" <<EOF
[analyst]
aws_access_key_id = AKIADATAAPICALLER001
aws_secret_access_key = caller-secret-key-for-tests
EOF
)
secret_arn=$(DB_USER="$CU_PG_USER" python3 - <<'PY'
import json, os, boto3
sm = boto3.client("secretsmanager")
name = f"dataapi-test-{os.getpid()}"
r = sm.create_secret(Name=name, SecretString=json.dumps({
    "username": os.environ["DB_USER"], "password": os.environ["CU_PG_PASSWORD"]}))
print(r["ARN"])
PY
) || cu_fail "could not create the secret in moto"

# PGPASSWORD is the password a DbUser statement logs in with (GetClusterCredentials' part).
PGPASSWORD="$CU_PG_PASSWORD" "$CROSSUNLOAD" gateway --listen 127.0.0.1:0 --upstream "host=$CU_PG_HOST port=$CU_PG_PORT" \
  --local-root "$dir" --data-api-listen 127.0.0.1:0 --data-api-credentials "$dir/callers" \
  >"$dir/gateway.out" 2>"$dir/gateway.log" &
gw_pid=$!
trap 'kill $gw_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/^crossunload gateway Data API listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/gateway.out")
  [[ -n "$port" ]] && break
  kill -0 $gw_pid 2>/dev/null || cu_fail "the gateway exited: $(cat "$dir/gateway.log")"
  sleep 0.1
done
[[ -n "$port" ]] || cu_fail "the gateway's Data API did not start: $(cat "$dir/gateway.log")"

want_unload=$(cu_psql "$CU_PG_DATABASE" -c "copy (select * from category order by catid) to stdout with (delimiter '|')")
n_category=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")

out=$(DAPI="http://127.0.0.1:$port" SECRET_ARN="$secret_arn" UNLOAD_TO="$dir/category_" \
  N_CATEGORY="$n_category" python3 - <<'PY' 2>&1
import json, os, time, urllib.request, urllib.error
import boto3, botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url = os.environ["DAPI"]
db = os.environ["CU_PG_DATABASE"]
secret = os.environ["SECRET_ARN"]

def client(key=None, secret_key=None):
    kw = {}
    if key:
        kw = dict(aws_access_key_id=key, aws_secret_access_key=secret_key)
    return boto3.client("redshift-data", endpoint_url=url, region_name="us-east-1", **kw)

rd = client()
failures = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)

def wait(sid, until=("FINISHED", "FAILED", "ABORTED"), timeout=60):
    t = time.time()
    while True:
        d = rd.describe_statement(Id=sid)
        if d["Status"] in until:
            return d
        if time.time() - t > timeout:
            raise SystemExit(f"statement {sid} still {d['Status']} after {timeout}s")
        time.sleep(0.05)

def run(sql, **kw):
    args = dict(ClusterIdentifier="local-redshift", Database=db, SecretArn=secret, Sql=sql)
    args.update(kw)
    return rd.execute_statement(**args)["Id"]

# 1. A SELECT: typed records, column metadata.
sid = run("select 1::int4 as i, 2.5::float8 as d, 'ab'::varchar(5) as v, null::text as n, "
          "true as b, 12.34::numeric(5,2) as m, 9000000000::int8 as big, date '2020-01-02' as dt",
          StatementName="typed")
d = wait(sid)
check(d["Status"] == "FINISHED", f"typed select finished ({d.get('Error')})")
check(d["HasResultSet"] is True and d["ResultRows"] == 1, "HasResultSet and ResultRows")
check(isinstance(d["Duration"], int) and d["Duration"] > 0, "Duration in nanoseconds")
check(d["QueryString"].startswith("select 1::int4"), "QueryString")
r = rd.get_statement_result(Id=sid)
check(r["Records"] == [[{"longValue": 1}, {"doubleValue": 2.5}, {"stringValue": "ab"},
                        {"isNull": True}, {"booleanValue": True}, {"stringValue": "12.34"},
                        {"longValue": 9000000000}, {"stringValue": "2020-01-02"}]],
      f"typed record {r['Records']}")
meta = [(c["name"], c["typeName"]) for c in r["ColumnMetadata"]]
check(meta == [("i", "int4"), ("d", "float8"), ("v", "varchar"), ("n", "text"), ("b", "bool"),
               ("m", "numeric"), ("big", "int8"), ("dt", "date")], f"column metadata {meta}")
check(r["ColumnMetadata"][5]["precision"] == 5 and r["ColumnMetadata"][5]["scale"] == 2,
      "numeric precision and scale")

# 2. Paging: 2500 rows come in pages joined by NextToken, none lost or repeated.
sid = run("select n, 'row ' || n as label from generate_series(1, 2500) as n order by n")
wait(sid)
rows, pages, token = [], 0, None
while True:
    kw = {"NextToken": token} if token else {}
    r = rd.get_statement_result(Id=sid, **kw)
    pages += 1
    check(r["TotalNumRows"] == 2500, f"TotalNumRows on page {pages}") if pages == 1 else None
    rows += [(rec[0]["longValue"], rec[1]["stringValue"]) for rec in r["Records"]]
    token = r.get("NextToken")
    if not token:
        break
check(pages >= 3, f"{pages} pages")
check(rows == [(i, f"row {i}") for i in range(1, 2501)], "paged rows in order, complete")
paged = sum(len(p["Records"]) for p in
            rd.get_paginator("get_statement_result").paginate(Id=sid))
check(paged == 2500, "boto3's paginator reads every row")

# 3. A failing statement carries PostgreSQL's error.
sid = run("select 1 / (n - 3) from generate_series(1, 5) as n")
d = wait(sid)
check(d["Status"] == "FAILED" and "division by zero" in d.get("Error", ""),
      f"failure text: {d['Status']} {d.get('Error')}")
try:
    rd.get_statement_result(Id=sid)
    check(False, "no result for a failed statement")
except rd.exceptions.ValidationException:
    check(True, "no result for a failed statement")

# 4. CancelStatement stops a running pg_sleep.
sid = run("select pg_sleep(60)")
wait(sid, until=("STARTED",))
t = time.time()
check(rd.cancel_statement(Id=sid)["Status"] is True, "cancel accepted")
d = wait(sid, timeout=20)
check(d["Status"] == "ABORTED" and time.time() - t < 10, f"cancelled: {d['Status']}")
try:
    rd.cancel_statement(Id=sid)
    check(False, "cancelling a finished statement is refused")
except rd.exceptions.ValidationException as e:
    check("ABORTED" in str(e), "cancelling a finished statement is refused")

# 5. A batch runs in one transaction; sub-statements have their own ids.
table = f"dapi_batch_{os.getpid()}"
b = rd.batch_execute_statement(ClusterIdentifier="local-redshift", Database=db, SecretArn=secret,
                               Sqls=[f"create table {table} (x int)",
                                     f"insert into {table} values (1), (2), (3)",
                                     f"select sum(x) as s from {table}",
                                     f"drop table {table}"], StatementName="batch-1")
d = wait(b["Id"])
check(d["Status"] == "FINISHED" and len(d["SubStatements"]) == 4, f"batch finished {d.get('Error')}")
check(d["SubStatements"][1]["ResultRows"] == 3, "insert's ResultRows")
r = rd.get_statement_result(Id=b["Id"] + ":3")
check(r["Records"] == [[{"longValue": 6}]], f"batch select result {r['Records']}")
b = rd.batch_execute_statement(ClusterIdentifier="local-redshift", Database=db, SecretArn=secret,
                               Sqls=[f"create table {table} (x int)", "select 1/0"])
d = wait(b["Id"])
check(d["Status"] == "FAILED" and d["SubStatements"][1]["Status"] == "FAILED", "failed batch")
sid = run(f"select count(*) from pg_tables where tablename = '{table}'")
wait(sid)
check(rd.get_statement_result(Id=sid)["Records"] == [[{"longValue": 0}]],
      "a failed batch rolled back")

# 6. UNLOAD through the gateway's executor.
sid = run("unload ('select * from category order by catid') to '" + os.environ["UNLOAD_TO"]
          + "' parallel off")
d = wait(sid)
check(d["Status"] == "FINISHED" and d["ResultRows"] == int(os.environ["N_CATEGORY"]),
      f"UNLOAD finished with ResultRows {d.get('ResultRows')} ({d.get('Error')})")
check(d["HasResultSet"] is False, "UNLOAD has no result set")

# 7. DbUser: the gateway logs in with libpq's password (PGPASSWORD).
sid = rd.execute_statement(ClusterIdentifier="local-redshift", Database=db,
                           DbUser=os.environ["CU_PG_USER"], Sql="select current_user")["Id"]
d = wait(sid)
check(d["Status"] == "FINISHED" and d["DbUser"] == os.environ["CU_PG_USER"], f"DbUser login: {d['Status']} {d.get('Error')}")

# 8. ListStatements by name prefix, newest first; the second caller's key works.
other = client("AKIADATAAPICALLER001", "caller-secret-key-for-tests")
ls = other.list_statements(StatementName="batch")["Statements"]
check([s["StatementName"] for s in ls] == ["batch-1"] and ls[0]["IsBatchStatement"],
      f"list by name {ls}")
check(len(other.list_statements(MaxResults=2)["Statements"]) == 2, "MaxResults")
check(other.list_statements(RoleLevel=False)["Statements"] == [], "RoleLevel=false: own only")

# 9. Unknown ids, bad secrets.
for bad, exc in [("00000000-0000-4000-8000-000000000000", "ResourceNotFoundException"),
                 ("not-an-id", "ValidationException")]:
    try:
        rd.describe_statement(Id=bad)
        check(False, f"describe {bad}")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == exc, f"describe {bad}: {e.response['Error']['Code']}")
try:
    run("select 1", SecretArn=secret + "-nope")
    check(False, "unknown secret refused")
except botocore.exceptions.ClientError as e:
    check(e.response["Error"]["Code"] == "ResourceNotFoundException", f"unknown secret: {e}")
try:
    rd.execute_statement(Database=db, SecretArn=secret, Sql="select 1")
    check(False, "no cluster refused")
except rd.exceptions.ValidationException:
    check(True, "no cluster or workgroup: ValidationException")

# 10. Refused callers and bad requests: the Data API's error shapes, never a crash.
def raw(body, target="RedshiftData.DescribeStatement", key=None, secret_key=None, sign=True):
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    if sign:
        creds = Credentials(key or os.environ["AWS_ACCESS_KEY_ID"],
                            secret_key or os.environ["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(creds, "redshift-data", "us-east-1").add_auth(req)
    p = req.prepare()
    r = urllib.request.Request(p.url, data=p.body, headers=dict(p.headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

for what, args, code in [
    ("unsigned", dict(body=b'{"Id":"x"}', sign=False), "MissingAuthenticationTokenException"),
    ("unknown key", dict(body=b'{}', key="AKIANOBODY0000000000", secret_key="x"),
     "UnrecognizedClientException"),
    ("wrong secret", dict(body=b'{}', key="AKIADATAAPICALLER001", secret_key="wrong"),
     "InvalidSignatureException"),
    ("malformed JSON", dict(body=b'{"Id": '), "SerializationException"),
    ("unknown target", dict(body=b'{}', target="RedshiftData.DropCluster"),
     "UnknownOperationException"),
    ("huge SQL", dict(body=json.dumps({"ClusterIdentifier": "c", "Database": db,
                                       "SecretArn": secret, "Sql": "select 1 " + " " * 200000}).encode(),
                      target="RedshiftData.ExecuteStatement"), "ValidationException"),
    ("oversized body", dict(body=b'{"Sql": "' + b"x" * (2 << 20) + b'"}',
                            target="RedshiftData.ExecuteStatement"), "ValidationException"),
]:
    try:
        status, body = raw(**args)
    except Exception as e:  # the connection may be closed after an oversized body
        status, body = 0, {"__type": f"exception {e!r}"}
    check(400 <= status < 500 and body.get("__type") == code,
          f"{what}: HTTP {status} {body.get('__type')} {str(body.get('message'))[:80]}")
sid = run("select 42")
check(wait(sid)["Status"] == "FINISHED", "still serving after the bad requests")
print("FAILURES:", len(failures))
PY
) || true
echo "$out"
grep -q "^FAILURES: 0$" <<<"$out" || cu_fail "Data API checks failed (gateway log: $(tail -20 "$dir/gateway.log"))"
cu_assert_eq "$(cat "$dir/category_000")" "$want_unload" "file unloaded through the Data API"
! grep -q "$CU_PG_PASSWORD" "$dir/gateway.log" "$dir/gateway.out" || cu_fail "the password is in the gateway's log"
kill -0 $gw_pid || cu_fail "the gateway died"
kill -TERM $gw_pid
wait $gw_pid || cu_fail "the gateway did not stop cleanly: $(tail -5 "$dir/gateway.log")"
