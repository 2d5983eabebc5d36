# shellcheck shell=bash
# Helpers for the gateway's bash tests. Source after testlib.sh:
#
#   source "$CU_SOURCE_DIR/tests/support/gateway_testlib.sh"
#   gw_start NAME UPSTREAM [ARGS...]    # `crossunload gateway` in the background (on
#                                       # GW_LISTEN, default 127.0.0.1:0); sets $port
#                                       # (stopped at exit by gw_cleanup)
#   gw_pg_start "$dir/pg" "host all all 127.0.0.1/32 trust"   # a private PostgreSQL
#   gw_pg_psql -c 'select 1'            # as its superuser gw_admin, over its socket
#
# A private PostgreSQL serves tests that need an upstream configured in a way the shared
# stack must not be (TCP `trust`, TLS): gw_pg_start takes its pg_hba.conf lines, exports
# GW_PG_PORT, GW_PG_DATA and GW_PG_SOCKET_DIR; extra postgresql.conf lines may be passed in
# GW_PG_CONF. As root the server runs as the `postgres` user (as the stack's does).
# gw_cleanup (run it from the test's EXIT trap) stops both.

GW_PIDS=()

gw_start() {
  local name=$1 upstream=$2
  shift 2
  [[ -n "${GW_DIR:-}" ]] || GW_DIR=$(cu_tmpdir)
  "$CROSSUNLOAD" gateway --listen "${GW_LISTEN:-127.0.0.1:0}" --upstream "$upstream" "$@" \
    >"$GW_DIR/$name.out" 2>"$GW_DIR/$name.log" &
  GW_PIDS+=($!)
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^crossunload gateway listening on .*:\([0-9]*\), upstream.*/\1/p' \
      "$GW_DIR/$name.out" 2>/dev/null || true)
    [[ -n "$port" ]] && return 0
    kill -0 "${GW_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  cu_fail "the gateway ($name) did not start: $(cat "$GW_DIR/$name.log")"
}

# The log (stderr) of the gateway started as NAME.
gw_log() { cat "$GW_DIR/$1.log"; }

gw_cleanup() {
  local p
  for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  gw_pg_stop
}

gw_pg_as() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

gw_pg_start() {
  local dir=$1 hba=$2
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 || cu_fail "running as root without a postgres user"
    # The server's user must reach its folder inside the test's temp folder.
    chmod 711 "$CU_TMP" "$(dirname "$dir")"
    chown postgres: "$dir"
  fi
  GW_PG_DATA="$dir/data"
  GW_PG_SOCKET_DIR="$dir"
  gw_pg_as "$CU_PG_BIN/initdb" -D "$GW_PG_DATA" -U gw_admin --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    cu_fail "initdb failed: $(cat "$dir/initdb.log")"
  printf '%s\n' "$hba" | gw_pg_as tee "$GW_PG_DATA/pg_hba.conf" >/dev/null
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = '$dir'"
      echo "fsync = off"
      printf '%s\n' "${GW_PG_CONF:-}"
    } | gw_pg_as tee -a "$GW_PG_DATA/postgresql.conf" >/dev/null
    if gw_pg_as "$CU_PG_BIN/pg_ctl" -D "$GW_PG_DATA" -l "$dir/server.log" -w -t 60 start \
      >"$dir/pg_ctl.log" 2>&1; then
      GW_PG_PORT=$port
      export GW_PG_PORT GW_PG_DATA GW_PG_SOCKET_DIR
      return 0
    fi
    grep -qi "could not bind\|address already in use" "$dir/server.log" 2>/dev/null ||
      cu_fail "the private PostgreSQL did not start: $(cat "$dir/pg_ctl.log" "$dir/server.log" 2>/dev/null)"
  done
  cu_fail "the private PostgreSQL found no free port"
}

gw_pg_stop() {
  [[ -n "${GW_PG_DATA:-}" && -f "$GW_PG_DATA/postmaster.pid" ]] || return 0
  gw_pg_as "$CU_PG_BIN/pg_ctl" -D "$GW_PG_DATA" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
}

# psql as the private server's superuser over its socket. Usage: gw_pg_psql [psql args...]
gw_pg_psql() {
  "$CU_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$GW_PG_SOCKET_DIR" -p "$GW_PG_PORT" \
    -U gw_admin -d postgres "$@"
}
