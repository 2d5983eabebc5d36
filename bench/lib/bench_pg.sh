# shellcheck shell=bash
# A PostgreSQL 15 for benchmarks whose data outlives the run: TICKIT at scale 90 (>= 1 GB of
# `sales` text) takes minutes to generate on the 2-core machine, so the benchmarks keep it
# in one data folder and generate it again only when it is missing or at another scale.
# Everything else is scripts/lib/stack.sh's (same settings, same exported variables; the
# server is stopped, not removed, when the sourcing script exits).
#
#   source bench/lib/bench_pg.sh
#   bench_pg_start                      # start (initdb the first time); exports CU_PG_* etc.
#   bench_pg_tickit 90 bench_sales      # database with TICKIT at scale 90, reused if there
#   bench_pg_describe                   # one line: scale, rows, size of sales
#
# The data folder is $CU_BENCH_PG_DIR (default /var/tmp/crossunload-bench-pg; several GB
# at scale 90). Remove it with `bench/lib/bench_pg.sh drop` (or rm -rf once stopped).
# Two benchmarks cannot start it at the same time: the second one stops with a message.
#
# An already running server: with CU_PG_HOST and CU_PG_PORT set (and PGPASSFILE or
# PGPASSWORD for CU_PG_USER, default cu), bench_pg_start uses that server instead, neither
# starting nor stopping it — e.g. a benchmark PostgreSQL another session keeps up
# (`set -a; source <(grep = /tmp/prof/benchpg.env); set +a`) or `scripts/with-stack`'s. There
# bench_pg_tickit generates a missing database but never drops one made at another scale.

_BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$_BENCH_ROOT/scripts/lib/stack.sh"
CU_BENCH_PG_DIR="${CU_BENCH_PG_DIR:-/var/tmp/crossunload-bench-pg}"

_BENCH_PG_RUNNING=0
bench_pg_start() {
  stack_init
  if [[ -n ${CU_PG_HOST:-} && -n ${CU_PG_PORT:-} ]]; then
    _bench_pg_use_running
    return
  fi
  local bin dir=$CU_BENCH_PG_DIR
  bin=$(_stack_find_pg_bin) || return 1
  export CU_PG_BIN="$bin"
  _STACK_PG_OSUSER=""
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 ||
      useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres ||
      _stack_die "running as root and cannot create the unprivileged user postgres" || return 1
    _STACK_PG_OSUSER=postgres
  fi
  mkdir -p "$dir/pg"
  chmod 711 "$dir"
  [[ -n "$_STACK_PG_OSUSER" ]] && chown "$_STACK_PG_OSUSER:" "$dir/pg"

  if [[ ! -f "$dir/pg/data/PG_VERSION" || ! -s "$dir/password" ]]; then
    rm -rf "$dir/pg/data"
    (
      umask 077
      _stack_random_secret >"$dir/password"
    )
    # initdb reads the password from a file the server's user can read, removed at once.
    local pwfile="$dir/pg/pwfile"
    (
      umask 077
      cat "$dir/password" >"$pwfile"
      echo >>"$pwfile"
    )
    [[ -n "$_STACK_PG_OSUSER" ]] && chown "$_STACK_PG_OSUSER:" "$pwfile"
    if ! _stack_as_pg "$bin/initdb" -D "$dir/pg/data" -U cu --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/pg/initdb.log" 2>&1; then
      rm -f "$pwfile"
      cat "$dir/pg/initdb.log" >&2
      _stack_die "initdb in $dir/pg/data failed (log above)"
      return 1
    fi
    rm -f "$pwfile"
    cat >>"$dir/pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/pg'
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
  fi

  if _stack_as_pg "$bin/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1; then
    _stack_die "the benchmark PostgreSQL in $dir is running already (another benchmark?); wait for it or stop it: $bin/pg_ctl -D $dir/pg/data stop"
    return 1
  fi
  export CU_PG_USER=cu CU_PG_DATABASE=postgres
  CU_PG_PASSWORD=$(cat "$dir/password")
  export CU_PG_PASSWORD
  stack_on_exit "_bench_pg_stop"
  local port="" _
  for _ in 1 2 3 4 5; do
    port=$(stack_free_port)
    if _stack_as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -o "-p $port" \
      -w -t 120 start >"$dir/pg/pg_ctl.log" 2>&1; then
      break
    fi
    if grep -q -i "could not bind\|address already in use" "$dir/pg/server.log" 2>/dev/null; then
      port=""
      continue
    fi
    tail -20 "$dir/pg/pg_ctl.log" "$dir/pg/server.log" >&2
    _stack_die "the benchmark PostgreSQL did not start (logs above)"
    return 1
  done
  [[ -n "$port" ]] || {
    _stack_die "the benchmark PostgreSQL could not bind a free port"
    return 1
  }
  export CU_PG_HOST=127.0.0.1 CU_PG_PORT="$port" CU_PG_SOCKET_DIR="$dir/pg"
  export CU_PG_CONNINFO="host=$CU_PG_HOST port=$CU_PG_PORT dbname=$CU_PG_DATABASE user=$CU_PG_USER"
  export PGPASSFILE="$CU_STACK_DIR/pgpass"
  (
    umask 077
    printf '127.0.0.1:%s:*:%s:%s\n' "$CU_PG_PORT" "$CU_PG_USER" "$CU_PG_PASSWORD" >"$PGPASSFILE"
  )
  _stack_log "benchmark PostgreSQL on 127.0.0.1:$CU_PG_PORT (data kept in $dir/pg/data)"
}

_bench_pg_use_running() {
  local bin
  bin=${CU_PG_BIN:-$(_stack_find_pg_bin)} || return 1
  export CU_PG_BIN=$bin CU_PG_USER=${CU_PG_USER:-cu}
  _BENCH_PG_RUNNING=1
  stack_psql postgres -At -c "select 1" >/dev/null || {
    _stack_die "no answer from the PostgreSQL given by CU_PG_HOST=$CU_PG_HOST CU_PG_PORT=$CU_PG_PORT (user $CU_PG_USER)"
    return 1
  }
  _stack_log "using the running PostgreSQL on $CU_PG_HOST:$CU_PG_PORT (CU_PG_*; not started or stopped here)"
}

_bench_pg_stop() {
  local data="$CU_BENCH_PG_DIR/pg/data"
  [[ -f "$data/postmaster.pid" ]] || return 0
  _stack_as_pg "$CU_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1
  return 0
}

# Database DB holding TICKIT at SCALE: kept when a previous run made it at the same scale
# (recorded in its table bench_meta, written only once generation succeeded), generated
# otherwise. The tables are vacuumed after generation so the first timed scan does not pay
# for setting hint bits.
bench_pg_tickit() {
  local scale=$1 db=$2 have
  have=$(stack_psql postgres -At -c "select 1 from pg_database where datname = '$db'") || return 1
  if [[ $have == 1 ]]; then
    have=$(stack_psql "$db" -At -c "select scale from bench_meta" 2>/dev/null || true)
    if [[ $have == "$scale" ]]; then
      _stack_log "database $db: TICKIT scale $scale from an earlier run, kept"
      return 0
    fi
    if ((_BENCH_PG_RUNNING)); then
      _stack_die "database $db on the running server $CU_PG_HOST:$CU_PG_PORT holds TICKIT scale ${have:-unknown}, not $scale; not dropping someone else's data (ask for scale ${have:-?}, or unset CU_PG_HOST to use a private server)"
      return 1
    fi
  fi
  _stack_log "generating TICKIT scale $scale into $db (minutes at scale 90)"
  stack_load_tickit "$scale" "$db" || return 1
  stack_psql "$db" -q -c "vacuum (freeze, analyze) sales" \
    -c "create table bench_meta as select '$scale'::text as scale" || return 1
}

bench_pg_describe() {
  local db=$1
  stack_psql "$db" -At -F ' ' -c "select 'TICKIT scale ' || scale, (select count(*) from sales) || ' rows', pg_size_pretty(pg_total_relation_size('sales')) || ' on disk' from bench_meta"
}

# `bash bench/lib/bench_pg.sh drop` removes the data folder (the server must be stopped).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  drop)
    bin=$(_stack_find_pg_bin)
    [[ $(id -u) -eq 0 ]] && _STACK_PG_OSUSER=postgres
    "$bin/pg_ctl" -D "$CU_BENCH_PG_DIR/pg/data" status >/dev/null 2>&1 &&
      _stack_as_pg "$bin/pg_ctl" -D "$CU_BENCH_PG_DIR/pg/data" -m fast -w stop
    rm -rf "$CU_BENCH_PG_DIR"
    echo "removed $CU_BENCH_PG_DIR"
    ;;
  *)
    echo "usage: bash bench/lib/bench_pg.sh drop   (removes $CU_BENCH_PG_DIR)" >&2
    exit 2
    ;;
  esac
fi
