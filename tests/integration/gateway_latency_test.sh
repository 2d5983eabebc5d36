#!/usr/bin/env bash
# Statements the gateway answers itself through the extended protocol (pgbench -M extended,
# `select version()`) take well under a millisecond: the gateway's answer and the upstream's
# ReadyForQuery go out as two writes, and without TCP_NODELAY on the client socket the
# second waited for the client's delayed ACK (~45 ms a statement). The bound (10 ms) is far
# from both figures, so load on the machine does not make it flaky.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/gateway_testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
[[ -x "$CU_PG_BIN/pgbench" ]] || cu_fail "no pgbench in $CU_PG_BIN (PostgreSQL's client tools)"
trap 'gw_cleanup; rm -rf "$CU_TMP"' EXIT

gw_start latency "host=$CU_PG_HOST port=$CU_PG_PORT"
echo "select version();" >"$CU_TMP/version.sql"
out=$(env -u PGPASSFILE PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/pgbench" -n -M extended \
  -f "$CU_TMP/version.sql" -t 200 -h 127.0.0.1 -p "$port" -U "$CU_PG_USER" "$CU_PG_DATABASE" 2>&1) ||
  cu_fail "pgbench through the gateway failed: $out"
ms=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' <<<"$out")
[[ -n "$ms" ]] || cu_fail "no latency in pgbench's output: $out"
awk -v v="$ms" 'BEGIN { exit !(v < 10) }' ||
  cu_fail "a gateway-answered extended-protocol statement took $ms ms on average (want < 10 ms)"
cu_note "ok: select version() through the extended protocol: $ms ms a statement"
