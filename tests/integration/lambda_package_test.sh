#!/usr/bin/env bash
# function.zip from scripts/package-lambda runs from an empty folder using only what it
# holds: unpacked, its bootstrap is started with an empty environment (no PATH, no
# LD_LIBRARY_PATH) against a local Runtime API endpoint (lambda_runtime_api.py) and serves
# two whole invocations: a ping answered with a response, a job event answered with an
# error response. While it waits for its first invocation, every file it has mapped is
# checked to come from the unpacked folder (the bundled loader, libc and libraries).
# Also prints the cold start: process start to its first Runtime API request.
source "$(dirname "$0")/../support/testlib.sh"
[[ -n "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD is not set; run this test through ctest (scripts/test)"
command -v unzip >/dev/null || cu_fail "unzip is missing (scripts/install-deps)"

work=$(cu_tmpdir)
"$CU_SOURCE_DIR/scripts/package-lambda" --binary "$CROSSUNLOAD" --out "$work/function.zip" >/dev/null
mkdir "$work/task"
(cd "$work/task" && unzip -q "$work/function.zip")
for f in bootstrap crossunload lib/ld-linux-x86-64.so.2 lib/libc.so.6; do
  [[ -f "$work/task/$f" ]] || cu_fail "function.zip has no $f"
done
[[ -x "$work/task/bootstrap" ]] || cu_fail "bootstrap is not executable after unzip"
file_out=$(readelf -l "$work/task/bootstrap" | grep -c INTERP || true)
cu_assert_eq "$file_out" "0" "program interpreter entries of bootstrap (static: none)"

trace='Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'
cat >"$work/events.json" <<EOF
[
  {"request_id": "inv-ping", "event": {"ping": true}, "trace_id": "$trace"},
  {"request_id": "inv-job", "event": {"region": "eu-central-1"}, "deadline_in_ms": 60000}
]
EOF
python3 "$CU_SOURCE_DIR/tests/integration/lambda_runtime_api.py" --events "$work/events.json" \
  --out "$work/posted.jsonl" --port-file "$work/port" --hold-first-ms 1500 \
  --first-request-file "$work/first_request_ns" --timeout 60 &
api_pid=$!
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the Runtime API emulator did not start"
port=$(cat "$work/port")

start_ns=$(date +%s%N)
env -i AWS_LAMBDA_RUNTIME_API="127.0.0.1:$port" "$work/task/bootstrap" --max-invocations 2 \
  >"$work/stdout" 2>"$work/stderr" &
fn_pid=$!
for _ in $(seq 200); do [[ -s "$work/first_request_ns" ]] && break; sleep 0.025; done
[[ -s "$work/first_request_ns" ]] || cu_fail "bootstrap never asked for an invocation: $(cat "$work/stderr")"

# The process is now held in its first GET …/next: everything it runs is from the package.
exe=$(readlink "/proc/$fn_pid/exe")
cu_assert_eq "$exe" "$work/task/lib/ld-linux-x86-64.so.2" "executable of the running function"
foreign=$(awk '$6 ~ /^\// {print $6}' "/proc/$fn_pid/maps" | sort -u | grep -v "^$work/task/" || true)
[[ -z $foreign ]] || cu_fail "the function mapped files from outside the package: $foreign"
libs=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$fn_pid/maps" | sort -u | wc -l)
((libs >= 5)) || cu_fail "only $libs shared objects mapped; expected libc, libstdc++, libcurl, …"

wait "$fn_pid" || cu_fail "bootstrap exited with $?: $(cat "$work/stderr")"
wait "$api_pid" || cu_fail "the Runtime API emulator did not see both invocations answered"

python3 - "$work/posted.jsonl" "$trace" <<'EOF' || cu_fail "unexpected Runtime API traffic: $(cat "$work/posted.jsonl")"
import json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
assert [p["path"] for p in posted] == [
    "/2018-06-01/runtime/invocation/inv-ping/response",
    "/2018-06-01/runtime/invocation/inv-job/error",
], posted
pong = json.loads(posted[0]["body"])
assert pong["pong"] is True and pong["request_id"] == "inv-ping", pong
assert pong["trace_id"] == sys.argv[2], pong
assert 0 < pong["remaining_ms"] <= 60000, pong
err = json.loads(posted[1]["body"])
assert posted[1]["error_type"] == err["errorType"] and err["errorType"], posted[1]
assert err["errorMessage"] and "\n" not in err["errorMessage"], err
EOF

# Logs are JSON lines.
while IFS= read -r line; do
  python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" ||
    cu_fail "a log line is not JSON: $line"
done <"$work/stderr"
[[ -s "$work/stderr" ]] || cu_fail "the function logged nothing"

first_ns=$(cat "$work/first_request_ns")
cu_note "cold start (process start to first Runtime API request): $(((first_ns - start_ns) / 1000000)) ms"
