# shellcheck shell=bash
# Sourced (after testlib.sh) by the fault_* tests: `crossunload run` in client mode from
# the stack's PostgreSQL into a bucket of the stack's moto (or a folder), interrupted or
# broken half-way, then checked from outside: nothing visible, nothing open, the query gone.
#
#   fault_bucket NAME                  # creates s3://NAME in moto (the job's own account)
#   fault_s3 objects|uploads|download B PREFIX [DIR]  # tests/support/moto_s3.py as the
#                                      # job's account, straight to moto
#   fault_proxy ARGS…                  # starts tests/support/s3_fault_proxy.py in front of
#                                      # moto with ARGS; sets FAULT_ENDPOINT (runs go there)
#   fault_proxy_stats                  # its counters (JSON); fault_proxy_stop
#   fault_start OUT TO QUERY [run flags…]   # starts the run in the background: $fault_pid;
#                                      # OUT.out/.err/.json; application_name=$fault_tag
#   fault_slow_query ROWS AT [SECS]    # ~330 bytes a row; at row AT it sleeps SECS (120) in
#                                      # PostgreSQL (pg_sleep), so the run is caught
#                                      # mid-write for as long as the test needs
#   fault_wait_sleeping CHECK          # until the query sleeps and CHECK (a command) succeeds
#   fault_query_gone                   # the run's session has left pg_stat_activity (5 s)
#   fault_folder_files DIR             # every file under DIR, hidden ones included
#   fault_wait_exit SECONDS            # waits for the run (fails past SECONDS): $fault_rc
#   fault_on_exit CMD                  # runs CMD at exit (clean-up)
cu_require_stack CU_PG_DATABASE
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v jq >/dev/null || cu_fail "jq is missing (scripts/install-deps installs it)"

# Commands run at exit, newest first (fault_on_exit CMD).
_FAULT_CLEANUP=()
fault_on_exit() { _FAULT_CLEANUP+=("$*"); }
_fault_cleanup() {
  local i
  for ((i = ${#_FAULT_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${_FAULT_CLEANUP[i]}" || true; done
}
trap '_fault_cleanup; rm -rf "$CU_TMP"' EXIT

# moto puts requests signed with keys it does not know into its default account.
FAULT_ACCOUNT=123456789012
fault_tag="fault-$$-$RANDOM"
export AWS_ACCESS_KEY_ID=fault-test AWS_SECRET_ACCESS_KEY=fault-test-secret-key \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE

fault_s3() { python3 "$CU_SOURCE_DIR/tests/support/moto_s3.py" --account "$FAULT_ACCOUNT" "$@"; }

fault_proxy() {
  local portfile
  portfile="$(cu_tmpdir)/port"
  python3 "$CU_SOURCE_DIR/tests/support/s3_fault_proxy.py" --upstream "$CU_MOTO_ENDPOINT" \
    --port-file "$portfile" --max-seconds 900 "$@" &
  _fault_proxy_pid=$!
  fault_on_exit "kill $_fault_proxy_pid 2>/dev/null"
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $portfile ]] && break; sleep 0.05; done
  [[ -s $portfile ]] || cu_fail "the fault proxy did not start"
  FAULT_ENDPOINT="http://127.0.0.1:$(cat "$portfile")"
}
fault_proxy_stats() { curl -sf "$FAULT_ENDPOINT/__proxy/stats"; }
fault_proxy_stop() {
  kill "$_fault_proxy_pid" 2>/dev/null || true
  wait "$_fault_proxy_pid" 2>/dev/null || true
  unset FAULT_ENDPOINT
}

fault_bucket() {
  python3 -c "import sys; sys.path.insert(0, sys.argv[1])
from moto_client import moto_client
moto_client('s3', sys.argv[2], sys.argv[3]).create_bucket(Bucket=sys.argv[4])" \
    "$CU_SOURCE_DIR/tests/support" "$FAULT_ACCOUNT" "$CU_MOTO_ENDPOINT" "$1" ||
    cu_fail "cannot create the bucket $1 in moto"
}

fault_slow_query() {
  local rows=$1 at=$2 secs=${3:-120}
  echo "select g, repeat(md5(g::text), 10) || case when g = $at then pg_sleep($secs)::text else '' end as pad from generate_series(1, $rows) g"
}

# Starts crossunload in the background with SIGINT and SIGTERM at their default action (a
# non-interactive shell starts background jobs with SIGINT ignored, and an ignored signal
# is never delivered).
fault_start() {
  local out=$1 to=$2 query=$3
  shift 3
  env --default-signal=INT,TERM,HUP AWS_ENDPOINT_URL="${FAULT_ENDPOINT:-$CU_MOTO_ENDPOINT}" \
    "$CROSSUNLOAD" run --mode client --source "$CU_PG_CONNINFO application_name=$fault_tag" \
    --query "$query" --to "$to" --report "$out.json" "$@" >"$out.out" 2>"$out.err" &
  fault_pid=$!
  fault_on_exit "kill -9 $fault_pid 2>/dev/null"
}

fault_sleeping() {
  [[ $(cu_psql postgres -Atc "select count(*) from pg_stat_activity
    where application_name = '$fault_tag' and wait_event = 'PgSleep'") == 1 ]]
}

fault_wait_sleeping() {
  local until=$((SECONDS + 60))
  while ((SECONDS < until)); do
    kill -0 "$fault_pid" 2>/dev/null || cu_fail "the run ended before it could be caught mid-write: $(tail -3 "$out.err")"
    if fault_sleeping && "$@"; then
      return 0
    fi
    sleep 0.1
  done
  cu_fail "the run was not caught mid-write ($*) within 60 s"
}

fault_query_gone() {
  local i n
  for ((i = 0; i < 50; i++)); do
    n=$(cu_psql postgres -Atc "select count(*) from pg_stat_activity where application_name = '$fault_tag'")
    [[ $n == 0 ]] && return 0
    sleep 0.1
  done
  cu_fail "the run's query still runs in PostgreSQL: $(cu_psql postgres -Atc "select state, wait_event, left(query, 60) from pg_stat_activity where application_name = '$fault_tag'")"
}

fault_folder_files() { find "$1" -type f 2>/dev/null | sort; }

# Waits for the run to end (at most SECONDS); its exit code in $fault_rc. (Not in a
# command substitution: only this shell can wait for its child.)
fault_wait_exit() {
  local limit=$1 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$fault_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$fault_pid" 2>/dev/null && cu_fail "the run still runs ${limit} s after the fault"
  fault_rc=0
  wait "$fault_pid" || fault_rc=$?
}
