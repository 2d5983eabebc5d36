# shellcheck shell=bash
# The local stack that crossunload's tests, demo and benchmarks run against: a throwaway
# PostgreSQL 15 and a moto_server (the AWS emulator), both on free loopback ports, both
# removed when the sourcing script exits, fails or is interrupted.
#
# Source it from bash, then call what you need:
#
#   source scripts/lib/stack.sh
#   stack_clean_env            # drop the shell's PG* and AWS_* variables (see below)
#   stack_init                 # temp folder + exit/INT/TERM traps (called by the others)
#   stack_start_postgres       # initdb, start; exports CU_PG_* and PGPASSFILE
#   stack_load_tickit 1        # database `tickit` with the TICKIT sample at scale 1
#   stack_start_moto           # exports CU_MOTO_ENDPOINT; CU_MOTO_AUTH_COUNT=N enforces IAM
#   ... run things ...         # everything is stopped and removed at exit
#
# Exported once PostgreSQL is up (see docs/development.md):
#   CU_PG_CONNINFO  libpq conninfo WITHOUT the password: host, port, dbname, user
#   CU_PG_HOST, CU_PG_PORT, CU_PG_USER, CU_PG_DATABASE, CU_PG_BIN (folder of pg binaries)
#   CU_PG_PASSWORD  the generated password of CU_PG_USER (a superuser)
#   PGPASSFILE      a 0600 file holding that password, so libpq clients (psql, crossunload)
#                   authenticate without a password on any command line
#   CU_PG_SOCKET_DIR  folder of the server's unix socket (trust auth, for set-up only)
# and, once moto is up: CU_MOTO_ENDPOINT (http://127.0.0.1:PORT). Always: CU_DUCKDB (the
# command that runs tests/support/duckdb.mjs) and CU_STACK_DIR (the temp folder).
#
# The shell's own PG* and AWS_* variables are not the stack's: a PGPASSWORD would beat our
# PGPASSFILE, a PGSERVICE or PGSSLMODE would break the connection, PGDATESTYLE or PGTZ would
# change what PostgreSQL prints, and AWS_PROFILE, keys, AWS_ENDPOINT_URL_* or a config file
# would send the tests' AWS calls elsewhere. The entry points (scripts/test, scripts/demo,
# scripts/with-stack) call stack_clean_env first; stack_start_postgres drops PG* itself.
#
# TCP connections use scram-sha-256, so a wrong password is refused as on a real server.
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (made
# by Debian's postgresql package; created here if absent).

CU_ROOT="${CU_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export CU_ROOT
export CU_DUCKDB="node $CU_ROOT/tests/support/duckdb.mjs"
# Python tools that scripts/install-deps had to install itself (moto_server, cfn-lint).
[[ -d "$CU_ROOT/.cache/pyvenv/bin" && ":$PATH:" != *":$CU_ROOT/.cache/pyvenv/bin:"* ]] &&
  export PATH="$PATH:$CU_ROOT/.cache/pyvenv/bin"

_stack_log() { echo "stack: $*" >&2; }

# Unsets every exported PG* and AWS_* variable, except the PGPASSFILE of a stack that is
# already running (CU_PG_CONNINFO set: we are inside scripts/test or scripts/with-stack).
# Usage: stack_clean_env [pg|aws]   (default: both)
stack_clean_env() {
  local what=${1:-all} v
  for v in $(compgen -e); do
    case "$v" in
    PGPASSFILE) [[ "$what" != aws && -z "${CU_PG_CONNINFO:-}" ]] && unset "$v" ;;
    PG*) [[ "$what" != aws ]] && unset "$v" ;;
    AWS_*) [[ "$what" != pg ]] && unset "$v" ;;
    esac
  done
  return 0
}
_stack_die() {
  echo "stack: ERROR: $*" >&2
  return 1
}

# Commands run at exit, newest first. Callers may add their own with stack_on_exit.
_STACK_CLEANUP=()
stack_on_exit() { _STACK_CLEANUP+=("$*"); }

stack_cleanup() {
  local i
  for ((i = ${#_STACK_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${_STACK_CLEANUP[i]}" || true
  done
  _STACK_CLEANUP=()
  if [[ -n "${CU_STACK_DIR:-}" && -d "$CU_STACK_DIR" ]]; then
    rm -rf "$CU_STACK_DIR"
  fi
}

_STACK_CHILD=""
_stack_kill_child() {
  [[ -n "$_STACK_CHILD" ]] || return 0
  kill -TERM -- "-$_STACK_CHILD" "$_STACK_CHILD" 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$_STACK_CHILD" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$_STACK_CHILD" 2>/dev/null || true
  _STACK_CHILD=""
}

# Runs a command in its own process group and waits for it. A signal to the calling
# script then takes effect at once (bash would otherwise wait for the command to end):
# the whole group (e.g. ctest and the tests it runs) is stopped, then the stack removed.
stack_run() {
  if { : <&0; } 2>/dev/null; then
    setsid -w "$@" <&0 &
  else # no standard input at all (as under CI)
    setsid -w "$@" </dev/null &
  fi
  _STACK_CHILD=$!
  local rc=0
  wait "$_STACK_CHILD" || rc=$?
  _STACK_CHILD=""
  return $rc
}

_stack_on_signal() {
  local sig=$1
  trap - EXIT INT TERM HUP
  _stack_log "interrupted (SIG$sig): stopping the stack"
  _stack_kill_child
  stack_cleanup
  # Die of the same signal so the caller (a shell, ctest, CI) sees an interrupted run.
  kill -s "$sig" $$
}

stack_init() {
  [[ -n "${CU_STACK_DIR:-}" && -d "$CU_STACK_DIR" ]] && return 0
  CU_STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crossunload-stack.XXXXXX")
  chmod 711 "$CU_STACK_DIR" # the postgres user must reach its data folder inside
  export CU_STACK_DIR
  trap stack_cleanup EXIT
  trap '_stack_on_signal INT' INT
  trap '_stack_on_signal TERM' TERM
  trap '_stack_on_signal HUP' HUP
}

# A TCP port on 127.0.0.1 that nothing listens on right now. Another process may take it
# before we bind it; the start functions retry with a new port when that happens.
stack_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

_stack_random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

_stack_find_pg_bin() {
  local d
  for d in "${CU_PG_BIN:-}" /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null)"; do
    [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] && {
      echo "$d"
      return 0
    }
  done
  _stack_die "PostgreSQL 15 server binaries not found (looked in /usr/lib/postgresql/15/bin); run scripts/install-deps"
}

# Runs a command as the user that owns the PostgreSQL data folder.
_stack_as_pg() {
  if [[ -n "${_STACK_PG_OSUSER:-}" ]]; then
    runuser -u "$_STACK_PG_OSUSER" -- "$@"
  else
    "$@"
  fi
}

stack_start_postgres() {
  stack_init
  # A new server: nothing the shell says about another one applies (PGPASSFILE is ours, below).
  CU_PG_CONNINFO="" stack_clean_env pg
  local bin
  bin=$(_stack_find_pg_bin) || return 1
  export CU_PG_BIN="$bin"

  _STACK_PG_OSUSER=""
  if [[ $(id -u) -eq 0 ]]; then
    if ! id -u postgres >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres ||
        _stack_die "running as root and cannot create the unprivileged user postgres" || return 1
    fi
    _STACK_PG_OSUSER=postgres
  fi

  local pgdir="$CU_STACK_DIR/pg"
  mkdir -p "$pgdir"
  export CU_PG_USER=cu
  export CU_PG_DATABASE=tickit
  CU_PG_PASSWORD=$(_stack_random_secret)
  export CU_PG_PASSWORD
  printf '%s\n' "$CU_PG_PASSWORD" >"$pgdir/pwfile"
  chmod 600 "$pgdir/pwfile"
  if [[ -n "$_STACK_PG_OSUSER" ]]; then
    chown -R "$_STACK_PG_OSUSER:" "$pgdir"
    _stack_as_pg test -w "$pgdir" ||
      _stack_die "the user $_STACK_PG_OSUSER cannot write to $pgdir (a parent folder of TMPDIR=${TMPDIR:-/tmp} is closed to it); set TMPDIR to a folder it can reach" ||
      return 1
  fi

  # initdb reads the superuser's password from a file: never from the command line.
  if ! _stack_as_pg "$bin/initdb" -D "$pgdir/data" -U "$CU_PG_USER" --pwfile="$pgdir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync >"$pgdir/initdb.log" 2>&1; then
    cat "$pgdir/initdb.log" >&2
    _stack_die "initdb failed (log above)"
    return 1
  fi
  rm -f "$pgdir/pwfile"

  # Tuned for throwaway data: no durability, enough WAL room for bulk loads of TICKIT.
  cat >>"$pgdir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 8GB
checkpoint_timeout = 30min
shared_buffers = 256MB
maintenance_work_mem = 256MB
log_min_messages = warning
logging_collector = off
EOF

  # Registered before starting: a signal may come while pg_ctl waits for the server.
  stack_on_exit "_stack_stop_postgres"
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(stack_free_port)
    if _stack_as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -o "-p $port" \
      -w -t 60 start >"$pgdir/pg_ctl.log" 2>&1; then
      break
    fi
    if grep -q -i "could not bind\|address already in use" "$pgdir/server.log" 2>/dev/null; then
      _stack_log "port $port taken meanwhile, retrying"
      port=""
      continue
    fi
    cat "$pgdir/pg_ctl.log" "$pgdir/server.log" >&2 2>/dev/null
    _stack_die "PostgreSQL did not start (logs above)"
    return 1
  done
  [[ -n "$port" ]] || {
    _stack_die "PostgreSQL could not bind a free port"
    return 1
  }

  export CU_PG_HOST=127.0.0.1
  export CU_PG_PORT="$port"
  export CU_PG_SOCKET_DIR="$pgdir"
  export CU_PG_CONNINFO="host=$CU_PG_HOST port=$CU_PG_PORT dbname=$CU_PG_DATABASE user=$CU_PG_USER"
  export PGPASSFILE="$CU_STACK_DIR/pgpass"
  (
    umask 077
    printf '127.0.0.1:%s:*:%s:%s\n' "$CU_PG_PORT" "$CU_PG_USER" "$CU_PG_PASSWORD" >"$PGPASSFILE"
  )
  stack_psql postgres -q -c "create database $CU_PG_DATABASE" || return 1
  _stack_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$CU_PG_PORT (data in $pgdir/data)"
}

_stack_stop_postgres() {
  local data="$CU_STACK_DIR/pg/data"
  [[ -f "$data/postmaster.pid" ]] || return 0
  _stack_as_pg "$CU_PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 && return 0
  # pg_ctl failed: kill the postmaster ourselves (its children exit when it dies).
  local pid
  pid=$(head -1 "$data/postmaster.pid" 2>/dev/null)
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
  return 0
}

# psql against the throwaway server over TCP, with password authentication, no ~/.psqlrc,
# stopping at the first error. Usage: stack_psql DATABASE [psql args...]
stack_psql() {
  local db=$1
  shift
  "$CU_PG_BIN/psql" -X -v ON_ERROR_STOP=1 \
    "host=$CU_PG_HOST port=$CU_PG_PORT user=$CU_PG_USER dbname=$db" "$@"
}

# Creates (or re-creates) a database holding the TICKIT sample at SCALE (default 1), and
# the Redshift functions the gateway's selects may call (scripts/sql/redshift_functions.sql).
# Usage: stack_load_tickit [SCALE [DATABASE]]
stack_load_tickit() {
  local scale=${1:-1} db=${2:-tickit}
  [[ -n "${CU_PG_PORT:-}" ]] || {
    _stack_die "stack_load_tickit: start PostgreSQL first (stack_start_postgres)"
    return 1
  }
  local t0=$SECONDS
  stack_psql postgres -q -c "drop database if exists $db" -c "create database $db" || return 1
  stack_psql "$db" -q -c "set client_min_messages = warning" -f "$CU_ROOT/scripts/sql/tickit.sql" \
    -f "$CU_ROOT/scripts/sql/redshift_functions.sql" \
    -c "select tickit_generate($scale)" -c "analyze" >/dev/null || {
    _stack_die "loading TICKIT (scale $scale) into $db failed"
    return 1
  }
  _stack_log "TICKIT scale $scale loaded into database $db in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------
# moto_server
# ---------------------------------------------------------------------------------------

stack_find_moto() {
  local c
  for c in "$(command -v moto_server 2>/dev/null)" "$CU_ROOT/.cache/pyvenv/bin/moto_server" \
    "$HOME/.pyenv/shims/moto_server"; do
    [[ -n "$c" && -x "$c" ]] && {
      echo "$c"
      return 0
    }
  done
  _stack_die "moto_server not found; run scripts/install-deps"
}

# Starts moto_server on a free loopback port, without MOTO_ACCOUNT_ID (a request acts in
# the account of its credentials). With CU_MOTO_AUTH_COUNT=N the first N requests pass
# unchecked and every later one is authenticated and authorized (INITIAL_NO_AUTH_ACTION_COUNT).
stack_start_moto() {
  stack_init
  local moto
  moto=$(stack_find_moto) || return 1
  local dir="$CU_STACK_DIR/moto" port attempt pid i
  mkdir -p "$dir"
  for attempt in 1 2 3 4 5; do
    port=$(stack_free_port)
    (
      unset MOTO_ACCOUNT_ID
      if [[ -n "${CU_MOTO_AUTH_COUNT:-}" ]]; then
        export INITIAL_NO_AUTH_ACTION_COUNT="$CU_MOTO_AUTH_COUNT"
      fi
      exec "$moto" -H 127.0.0.1 -p "$port" </dev/null >"$dir/server.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$dir/pid"
    stack_on_exit "_stack_stop_moto $pid" # at once: a signal may come while we wait
    for ((i = 0; i < 300; i++)); do
      if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/moto-api/"; then
        export CU_MOTO_ENDPOINT="http://127.0.0.1:$port"
        _stack_log "moto_server on $CU_MOTO_ENDPOINT${CU_MOTO_AUTH_COUNT:+ (IAM enforced after $CU_MOTO_AUTH_COUNT requests)}"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    _stack_stop_moto "$pid"
    if grep -q -i "address already in use" "$dir/server.log"; then
      _stack_log "port $port taken meanwhile, retrying"
      continue
    fi
    cat "$dir/server.log" >&2
    _stack_die "moto_server did not answer on port $port (log above)"
    return 1
  done
  _stack_die "moto_server could not bind a free port"
}

_stack_stop_moto() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  return 0
}

# Everything the tests need: PostgreSQL with TICKIT at SCALE (default 1) and moto_server.
stack_start_all() {
  stack_start_postgres || return 1
  stack_load_tickit "${1:-1}" || return 1
  stack_start_moto || return 1
}

# Prints the exported environment (the password as ***), for logs.
stack_describe() {
  local v
  for v in CU_PG_CONNINFO CU_PG_HOST CU_PG_PORT CU_PG_USER CU_PG_DATABASE CU_PG_BIN \
    PGPASSFILE CU_MOTO_ENDPOINT CU_DUCKDB CU_STACK_DIR; do
    [[ -n "${!v:-}" ]] && echo "  $v=${!v}"
  done
  [[ -n "${CU_PG_PASSWORD:-}" ]] && echo "  CU_PG_PASSWORD=***"
  return 0
}
