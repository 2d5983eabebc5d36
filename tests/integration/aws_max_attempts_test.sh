#!/usr/bin/env bash
# AWS_MAX_ATTEMPTS and the profile's max_attempts bound how often an AWS request is tried,
# the first attempt included, as in the AWS CLI ("AWS CLI retries"): the environment first,
# then the selected profile, else crossunload's default of 6. A local HTTP server that
# closes every connection at once (a transient network failure, always retried) logs one
# line per TCP connection, so the log counts the attempts `crossunload whoami` makes for its
# STS GetCallerIdentity call; when they are spent, whoami exits 1 (a network failure, not
# the 3 of an authorization failure) saying it could not connect to the endpoint. A value that is not a positive integer (or a retry mode other
# than legacy/standard/adaptive) is a configuration error: exit 2, naming the variable or
# the file and line, before any connection.
# Needs no stack: only loopback and python3.
source "$(dirname "$0")/../support/testlib.sh"
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v python3 >/dev/null || cu_fail "python3 is missing (scripts/install-deps)"

work=$(cu_tmpdir)
cat >"$work/drop.py" <<'PY'
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    conn, addr = srv.accept()
    with open(sys.argv[1] + ".access", "a") as log:
        log.write(f"connect {addr[1]}\n")
    conn.close()
PY
python3 "$work/drop.py" "$work/port" 2>"$work/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the dropping server did not start: $(cat "$work/server.log")"
port=$(cat "$work/port")
endpoint="http://127.0.0.1:$port"

# Only what each case sets: no ~/.aws, no proxies.
whoami() {
  env -i PATH="$PATH" HOME="$work" AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIARETRYTEST AWS_SECRET_ACCESS_KEY=retry-test-key \
    "$@" "$CROSSUNLOAD" whoami 2>&1
}
connections() { if [[ -f "$work/port.access" ]]; then wc -l <"$work/port.access"; else echo 0; fi; }
# attempts_of ENV...: runs whoami, sets $out, $rc and $attempts (connections it made).
attempts_of() {
  local before
  before=$(connections)
  rc=0
  out=$(whoami "$@") || rc=$?
  attempts=$(($(connections) - before))
}

# 1. AWS_MAX_ATTEMPTS=2: the first attempt and one retry.
attempts_of AWS_MAX_ATTEMPTS=2
cu_assert_eq "$attempts" "2" "connections with AWS_MAX_ATTEMPTS=2"
[[ "$out" == *"gave up after 2 attempts"* ]] || cu_fail "the error does not say it tried twice: $out"
# A network failure is not an authorization failure: exit 1 (other), not 3, and the message
# names the endpoint it could not reach.
cu_assert_eq "$rc" "1" "exit code when every connection is dropped"
[[ "$out" == *"could not connect to $endpoint"* ]] ||
  cu_fail "the error does not say it could not connect to $endpoint: $out"
cu_note "AWS_MAX_ATTEMPTS=2: $attempts attempts, exit $rc: $(echo "$out" | grep error:)"

# 2. AWS_MAX_ATTEMPTS=1: no retry at all.
attempts_of AWS_MAX_ATTEMPTS=1
cu_assert_eq "$attempts" "1" "connections with AWS_MAX_ATTEMPTS=1"
[[ "$out" != *"gave up after"* ]] || cu_fail "one attempt reported as retries: $out"
cu_assert_eq "$rc" "1" "exit code when the only connection is dropped"

# 2b. Nothing listening at all (connection refused): exit 1 too, naming the endpoint.
gone=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0
out=$(endpoint="http://127.0.0.1:$gone" whoami AWS_MAX_ATTEMPTS=2) || rc=$?
cu_assert_eq "$rc" "1" "exit code when nothing listens at the endpoint"
[[ "$out" == *"could not connect to http://127.0.0.1:$gone"* ]] ||
  cu_fail "the error does not name the unreachable endpoint: $out"
cu_note "nothing listening (exit $rc): $(echo "$out" | grep error:)"

# 3. The profile's max_attempts, and the selected profile's only.
cat >"$work/config" <<'INI'
[default]
region = us-east-1
max_attempts = 3
[profile two]
max_attempts = 2
[profile zero]
max_attempts = 0
[profile adaptive]
max_attempts = 2
retry_mode = adaptive
[profile badmode]
retry_mode = quick
INI
attempts_of AWS_CONFIG_FILE="$work/config"
cu_assert_eq "$attempts" "3" "connections with max_attempts = 3 in [default]"
attempts_of AWS_CONFIG_FILE="$work/config" AWS_PROFILE=two
cu_assert_eq "$attempts" "2" "connections with AWS_PROFILE=two (max_attempts = 2)"

# 4. The environment wins over the profile.
attempts_of AWS_CONFIG_FILE="$work/config" AWS_MAX_ATTEMPTS=1
cu_assert_eq "$attempts" "1" "connections with AWS_MAX_ATTEMPTS=1 over max_attempts = 3"

# 5. Retry modes the AWS CLI knows are accepted (they retry as standard does here).
attempts_of AWS_CONFIG_FILE="$work/config" AWS_PROFILE=adaptive
cu_assert_eq "$attempts" "2" "connections with retry_mode = adaptive, max_attempts = 2"
for mode in standard legacy adaptive; do
  attempts_of AWS_RETRY_MODE=$mode AWS_MAX_ATTEMPTS=2
  cu_assert_eq "$attempts" "2" "connections with AWS_RETRY_MODE=$mode AWS_MAX_ATTEMPTS=2"
done

# 6. Bad values: exit 2, where it was set, and no request made.
for bad in 0 -1 abc 2.5; do
  attempts_of AWS_MAX_ATTEMPTS="$bad"
  cu_assert_eq "$rc" "2" "exit code with AWS_MAX_ATTEMPTS=$bad"
  cu_assert_eq "$attempts" "0" "connections with AWS_MAX_ATTEMPTS=$bad"
  [[ "$out" == *"AWS_MAX_ATTEMPTS is \"$bad\""* && "$out" == *"positive integer"* ]] ||
    cu_fail "the error does not name AWS_MAX_ATTEMPTS and its value: $out"
  cu_note "AWS_MAX_ATTEMPTS=$bad (exit $rc): $(echo "$out" | grep error:)"
done
attempts_of AWS_CONFIG_FILE="$work/config" AWS_PROFILE=zero
cu_assert_eq "$rc" "2" "exit code with max_attempts = 0 in the profile"
cu_assert_eq "$attempts" "0" "connections with max_attempts = 0"
[[ "$out" == *"max_attempts at $work/config:7 is \"0\""* ]] ||
  cu_fail "the error does not name the file and line of max_attempts: $out"
attempts_of AWS_CONFIG_FILE="$work/config" AWS_PROFILE=badmode
cu_assert_eq "$rc" "2" "exit code with retry_mode = quick"
[[ "$out" == *"$work/config:12"* && "$out" == *"retry_mode"* ]] ||
  cu_fail "the error does not name retry_mode's file and line: $out"
attempts_of AWS_RETRY_MODE=fast
cu_assert_eq "$rc" "2" "exit code with AWS_RETRY_MODE=fast"
[[ "$out" == *"AWS_RETRY_MODE"* ]] || cu_fail "the error does not name AWS_RETRY_MODE: $out"

# 7. Nothing set: crossunload's default, 6 attempts.
attempts_of
cu_assert_eq "$attempts" "6" "connections with neither AWS_MAX_ATTEMPTS nor max_attempts"
cu_note "ok: AWS_MAX_ATTEMPTS and max_attempts bound the attempts, the environment first"
