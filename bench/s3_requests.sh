#!/usr/bin/env bash
# How many HTTP requests one `crossunload run` makes to S3, counted by
# tests/support/s3_fault_proxy.py (no fault: --rate 0) in front of the stack's moto, per
# operation. Two client-mode runs from the stack's PostgreSQL:
#   small        TICKIT's sales (172,456 rows, ~11 MB of text), CSV, PARALLEL ON, MANIFEST
#   partitions   1,000 partitions (PARTITION BY), 100 rows each, CSV, MANIFEST
#
#   scripts/with-stack bench/s3_requests.sh [build/release/crossunload]
#
# Prints one Markdown table row per run: requests by operation and in total.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exe="${1:-$root/build/release/crossunload}"
[[ -x $exe ]] || { echo "no executable at $exe" >&2; exit 2; }
[[ -n ${CU_MOTO_ENDPOINT:-} && -n ${CU_PG_CONNINFO:-} ]] ||
  { echo "run it through scripts/with-stack" >&2; exit 2; }
work=$(mktemp -d)
proxy=""
trap '[[ -n $proxy ]] && kill $proxy 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE
bucket="requests-$$"
python3 -c "import boto3, sys
boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').create_bucket(Bucket=sys.argv[2])" \
  "$CU_MOTO_ENDPOINT" "$bucket"

count() { # count NAME QUERY FLAGS…
  local name=$1 query=$2
  shift 2
  rm -f "$work/port"
  python3 "$root/tests/support/s3_fault_proxy.py" --upstream "$CU_MOTO_ENDPOINT" --rate 0 \
    --port-file "$work/port" --max-seconds 1800 &
  proxy=$!
  for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
  local ep="http://127.0.0.1:$(cat "$work/port")"
  AWS_ENDPOINT_URL=$ep "$exe" run --mode client --source "$CU_PG_CONNINFO" --query "$query" \
    --to "s3://$bucket/$name/" --report "$work/report.json" "$@" 2>/dev/null
  local stats files
  stats=$(curl -sf "$ep/__proxy/stats")
  kill "$proxy"
  wait "$proxy" 2>/dev/null || true
  proxy=""
  files=$(jq '.files | length' "$work/report.json")
  printf '| %s | %s | %s | %s |\n' "$name" "$files" \
    "$(jq -r '.requests | to_entries | sort_by(-.value) | map("\(.key) \(.value)") | join(", ")' <<<"$stats")" \
    "$(jq '[.requests[]] | add' <<<"$stats")"
}

echo "| run | files | requests by operation | total |"
echo "| --- | --- | --- | --- |"
count small "select * from sales" --format csv --manifest
count partitions "select g % 1000 as part, g, md5(g::text) as pad from generate_series(1, 100000) g" \
  --format csv --partition-by part --manifest
