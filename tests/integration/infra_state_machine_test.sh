#!/usr/bin/env bash
# The Step Functions state machine `crossunload infra` generates for via = "data-api",
# executed: moto's Step Functions interpreter runs the generated definition
# (dev.state-machine.asl.json) and every Lambda task is served by the real function
# (`crossunload lambda` through the local Runtime API; tests/integration/infra_state_machine.py)
# against the gateway's Data API under moto's IAM enforcement (tests/support/pattern_data_api.sh).
#   - an UNLOAD whose statement sleeps 3 s: Submit (action submit), then Check (action check
#     with the submit's job token) answering running, Wait, Check again until ok; the
#     execution SUCCEEDS with the report's summary, and the objects' rows (DuckDB) equal
#     PostgreSQL's;
#   - a statement that fails half-way (division by zero): the execution FAILS with the
#     invocation's errorType (SourceDatabase) as error and its message as cause.
source "$(dirname "$0")/../support/testlib.sh"
source "$(dirname "$0")/../support/pattern_data_api.sh"
pattern_data_api_world "-dsm$$"

prefix="s3://$CU_PAT_BUCKET/sm_category_"
job="$CU_STACK_DIR/job.toml"
cat >"$job" <<EOT
region = "$CU_PAT_REGION"
via = "data-api"
cluster_id = "crossunload-gateway"
database = "$CU_PG_DATABASE"
secret_id = "$CU_PAT_SECRET_ARN"
secret_role_arn = "$CU_PAT_SM_READ_ROLE"
external_id = "$CU_PAT_EXTERNAL_ID"
iam_role = ["$CU_PAT_PROD_WRITE_ROLE", "$CU_PAT_DEV_WRITE_ROLE"]
query = "select c.* from category c, (select pg_sleep(3)) as s"
to = "$prefix"
manifest = "plain"
# category holds no personal data; the guard's sample query would sleep too.
pii = "off"

[infra]
function_name = "crossunload-dsm"
state_machine_wait_seconds = 1
EOT
"$CROSSUNLOAD" infra --config "$job" --out "$CU_STACK_DIR/infra" >/dev/null
asl="$CU_STACK_DIR/infra/dev.state-machine.asl.json"
fn=$(jq -r '.States.Submit.Parameters.FunctionName' "$asl")
[[ $fn == "arn:aws:lambda:$CU_PAT_REGION:"*":function:crossunload-dsm" ]] || cu_fail "function ARN $fn"

# The execution's input: the job's event, the job file's keys as JSON (without [infra]).
input() { # input FILE [QUERY] [TO]
  python3 - "$job" "$@" <<'PY'
import json, sys, tomllib
job = tomllib.load(open(sys.argv[1], "rb"))
job.pop("infra")
if len(sys.argv) > 3:
    job["query"], job["to"] = sys.argv[3], sys.argv[4]
json.dump(job, open(sys.argv[2], "w"))
PY
}
execute() { # execute INPUT -> $result (one JSON line)
  result=$(env -u PGPASSFILE -u PGPASSWORD AWS_PROFILE=dapi-lambda \
    python3 "$CU_SOURCE_DIR/tests/integration/infra_state_machine.py" "$asl" "$1" "$fn") ||
    cu_fail "the state machine could not be run"
}

input "$CU_STACK_DIR/input.json"
execute "$CU_STACK_DIR/input.json"
cu_assert_eq "$(jq -r .status <<<"$result")" "SUCCEEDED" "execution status (error: $(jq -r '.error, .cause' <<<"$result"))"
actions=$(jq -r '[.events[].action] | join(" ")' <<<"$result")
[[ $actions =~ ^submit\ check(\ check)+$ ]] || cu_fail "invocations: $actions (want submit, then check until ok)"
token=$(jq -r '.events[1].statement_id' <<<"$result")
[[ $token =~ ^[0-9a-f-]{36}\.[0-9a-f]{12}$ ]] || cu_fail "the check was not given the job token: $token"
jq -e --arg t "$token" '[.events[1:][].statement_id] | all(. == $t)' <<<"$result" >/dev/null ||
  cu_fail "the checks carry different statement ids: $result"
# Every invocation got the job's event, unchanged but for action and statement_id.
jq -e --slurpfile i "$CU_STACK_DIR/input.json" \
  '[.events[] | del(.action, .statement_id)] | all(. == $i[0])' <<<"$result" >/dev/null ||
  cu_fail "an invocation's event differs from the execution's input: $result"
n=$(cu_psql "$CU_PG_DATABASE" -Atc "select count(*) from category")
cu_assert_eq "$(jq -c '.output | {status, rows, destination, manifest}' <<<"$result")" \
  "{\"status\":\"ok\",\"rows\":$n,\"destination\":\"$prefix\",\"manifest\":\"${prefix}manifest\"}" \
  "the execution's output"
dl="$CU_STACK_DIR/objects"
mkdir -p "$dl"
AWS_PROFILE=dapi-lambda aws s3 cp --recursive --quiet "s3://$CU_PAT_BUCKET/" "$dl/" \
  --exclude "*" --include "sm_category_*" || cu_fail "cannot download the objects"
files=()
for f in "$dl"/sm_category_*; do [[ $f == *manifest ]] || files+=("$f"); done
cu_assert_eq "$(cu_file_rows --format text --sort "${files[@]}")" \
  "$(cu_pg_rows "select * from category" --sort)" "rows in the DEV bucket vs PostgreSQL"

# A statement that fails on the cluster: the execution fails with the function's error.
input "$CU_STACK_DIR/input2.json" "select catid / (catid - 5) as x from category" \
  "s3://$CU_PAT_BUCKET/sm_fail_"
execute "$CU_STACK_DIR/input2.json"
cu_assert_eq "$(jq -r .status <<<"$result")" "FAILED" "status of the failing execution"
cu_assert_eq "$(jq -r .error <<<"$result")" "SourceDatabase" "the failing execution's error"
jq -r .cause <<<"$result" | grep -q "division by zero" || cu_fail "the cause lacks the cluster's message: $result"
cu_note "the generated state machine ran: submit, check until ok (SUCCEEDED, rows = PostgreSQL's); a failing statement FAILED with SourceDatabase"
