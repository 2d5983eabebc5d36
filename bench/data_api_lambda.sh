#!/usr/bin/env bash
# What a Lambda invocation bills through the Data API, asynchronous against synchronous:
# the same UNLOAD of TICKIT's sales table, through the local Redshift's Data API
# (`crossunload gateway --data-api-listen`, PROD secret read as SM-Read-Role, objects into
# the DEV bucket in moto), run by `crossunload lambda` against the local Runtime API
# (tests/integration/lambda_runtime_api.py) as
#   run     one invocation: submit, follow the statement, verify (action "run");
#   submit  one invocation that returns the job token at once (action "submit");
#   check   one invocation once the statement has finished: verify, answer "ok".
# Each invocation's duration is what the Runtime API saw: from handing out the event to the
# response (Lambda's "Duration"), billed as Lambda bills it, rounded up to the next 1 ms.
# Between the submit and the check the statement is followed by `crossunload check`
# (not measured), as the state machine's Wait would. Not part of the tests.
#
# Usage: bench/data_api_lambda.sh [--runs R] [--scale N]
#   --runs   rounds of run, submit, check (default 5); the median of each is reported
#   --scale  TICKIT scale (default 1 = 172,456 sales)
# Uses build/release (built here if needed; CU_JOBS sets the parallelism).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
scale=1
while [[ $# -gt 0 ]]; do
  case "$1" in
  --runs) runs=$2; shift 2 ;;
  --scale) scale=$2; shift 2 ;;
  *) echo "usage: bench/data_api_lambda.sh [--runs R] [--scale N]" >&2; exit 2 ;;
  esac
done
BUILD="$ROOT/build/release"
source "$ROOT/scripts/lib/stack.sh"
stack_clean_env
stack_init

echo "== building $BUILD (RelWithDebInfo)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCU_SANITIZE=OFF \
  -DCU_BUILD_TESTS=OFF -DCU_BUILD_BENCH=OFF >/dev/null
stack_run cmake --build "$BUILD" -j "${CU_JOBS:-$(nproc)}" --target crossunload >/dev/null
export CROSSUNLOAD="$BUILD/crossunload"

echo "== PostgreSQL with TICKIT scale $scale, moto, the gateway with its Data API"
stack_start_postgres
stack_load_tickit "$scale"
stack_start_moto
source "$ROOT/scripts/lib/pattern.sh"
pattern_setup "-bench"
pattern_start_gateway --data-api-listen 127.0.0.1:0 --data-api-authorizer "$CU_MOTO_ENDPOINT"
pattern_make_secret
pattern_grant_data_api
rows=$("$CU_PG_BIN/psql" -X -At "$CU_PG_CONNINFO" -c "select count(*) from sales")
echo "sales: $rows rows"

job_json() { # PREFIX ACTION [STATEMENT_ID]: the Lambda event
  python3 - "$@" <<'PY'
import json, os, sys
prefix, action = sys.argv[1], sys.argv[2]
e = os.environ
event = {"region": e["CU_PAT_REGION"], "via": "data-api", "cluster_id": "crossunload-gateway",
         "database": e["CU_PG_DATABASE"], "secret_id": e["CU_PAT_SECRET_ARN"],
         "secret_role_arn": e["CU_PAT_SM_READ_ROLE"], "external_id": e["CU_PAT_EXTERNAL_ID"],
         "iam_role": [e["CU_PAT_PROD_WRITE_ROLE"], e["CU_PAT_DEV_WRITE_ROLE"]],
         "query": "select * from sales", "to": f"s3://{e['CU_PAT_BUCKET']}/{prefix}",
         "format": "parquet", "manifest": "plain", "pii": "off", "action": action}
if len(sys.argv) > 3:
    event["statement_id"] = sys.argv[3]
print(json.dumps(event))
PY
}
# invoke NAME EVENT_JSON: one invocation through the local Runtime API; prints the response
# body and appends "NAME billed_ms" to $CU_STACK_DIR/durations.
invoke() {
  local name=$1 event=$2 dir="$CU_STACK_DIR/inv-$RANDOM$RANDOM"
  mkdir -p "$dir"
  printf '[{"request_id": "%s", "event": %s, "deadline_in_ms": 900000}]' "$name" "$event" >"$dir/events.json"
  python3 "$ROOT/tests/integration/lambda_runtime_api.py" --events "$dir/events.json" \
    --out "$dir/posted.jsonl" --port-file "$dir/port" --timeout 900 &
  local api=$!
  for _ in $(seq 200); do [[ -s "$dir/port" ]] && break; sleep 0.05; done
  env -u PGPASSFILE AWS_PROFILE=lambda AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$dir/port")" \
    "$CROSSUNLOAD" lambda --max-invocations 1 >/dev/null 2>"$dir/lambda.err" ||
    { cat "$dir/lambda.err" >&2; return 1; }
  wait "$api"
  python3 - "$dir/posted.jsonl" "$name" >>"$CU_STACK_DIR/durations" <<'PY'
import json, math, sys
p = json.loads(open(sys.argv[1]).readline())
if not p["path"].endswith("/response"):
    raise SystemExit(f"{sys.argv[2]}: {p['path']}: {p['body']}")
print(sys.argv[2], math.ceil((p["at_ns"] - p["served_ns"]) / 1e6))
PY
  python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["body"])' "$dir/posted.jsonl"
}

: >"$CU_STACK_DIR/durations"
echo "== measuring ($runs rounds of run, submit, check)"
for ((r = 1; r <= runs; r++)); do
  report=$(invoke run "$(job_json "bench_run_${r}_" run)")
  [[ $(jq -r .status <<<"$report") == ok && $(jq -r .rows <<<"$report") == "$rows" ]] ||
    { echo "run: unexpected report: $report" >&2; exit 1; }
  report=$(invoke submit "$(job_json "bench_async_${r}_" submit)")
  token=$(jq -r .job_token <<<"$report")
  [[ $(jq -r .status <<<"$report") == submitted ]] || { echo "submit: $report" >&2; exit 1; }
  # Follow the statement (the state machine's Wait), not measured.
  for _ in $(seq 600); do
    status=$(invoke follow "$(job_json "bench_async_${r}_" check "$token")" | jq -r .status)
    [[ $status == running ]] || break
    sleep 0.5
  done
  report=$(invoke check "$(job_json "bench_async_${r}_" check "$token")")
  [[ $(jq -r .status <<<"$report") == ok && $(jq -r .rows <<<"$report") == "$rows" ]] ||
    { echo "check: unexpected report: $report" >&2; exit 1; }
done

printf '\n%-8s %6s %14s %s\n' invocation runs "median billed" "all (ms)"
for name in run submit check; do
  all=$(awk -v n="$name" '$1 == n {print $2}' "$CU_STACK_DIR/durations" | sort -n | tr '\n' ' ')
  median=$(awk -v n="$name" '$1 == n {print $2}' "$CU_STACK_DIR/durations" | sort -n |
    awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2 + 0.5)}')
  printf '%-8s %6s %11s ms %s\n' "$name" "$runs" "$median" "$all"
done
