#!/usr/bin/env bash
# TLS from the gateway to its upstream, as `--upstream '… sslmode=… sslrootcert=…'` asks,
# against a private PostgreSQL that takes TLS sessions only (hostssl; hostnossl rejected)
# with a certificate for `localhost` signed by a test CA:
#   1. require, and verify-full with sslrootcert = that CA and host=localhost: psql through
#      the gateway logs in, and the upstream's pg_stat_ssl shows the session encrypted;
#   2. disable: the session is plain, and the upstream's own rule refuses it;
#   3. verify-full against another CA, and with host=127.0.0.1 (the certificate names only
#      localhost): no session; the client gets 08006, the log names the verify failure;
#      verify-ca accepts the address (it checks the chain, not the name);
#   4. require against the stack's PostgreSQL (no TLS): no session, "does not accept TLS";
#      prefer (the default) against it: a plain session, as before;
#   5. settings the gateway cannot honour (sslcert, sslmode=allow) are refused at startup.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/gateway_testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
cleanup() {
  gw_cleanup
  rm -rf "$CU_TMP"
}
trap cleanup EXIT

dir=$(cu_tmpdir)
tls="$dir/tls"
mkdir -p "$tls"
chmod 711 "$CU_TMP" "$dir" "$tls"
ossl() { openssl "$@" >>"$tls/openssl.log" 2>&1 || cu_fail "openssl $1 failed: $(cat "$tls/openssl.log")"; }
ossl req -x509 -newkey rsa:2048 -nodes -subj /CN=crossunload-test-ca -days 1 \
  -keyout "$tls/ca.key" -out "$tls/ca.pem"
ossl req -x509 -newkey rsa:2048 -nodes -subj /CN=another-ca -days 1 \
  -keyout "$tls/other.key" -out "$tls/other.pem"
ossl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$tls/server.key" \
  -out "$tls/server.csr"
printf 'subjectAltName=DNS:localhost\n' >"$tls/san.ext"
ossl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 1 -extfile "$tls/san.ext" -out "$tls/server.pem"
chmod 600 "$tls/server.key"
chmod 644 "$tls/server.pem" "$tls/ca.pem" "$tls/other.pem"
[[ $(id -u) -ne 0 ]] || chown postgres: "$tls/server.key" "$tls/server.pem"

GW_PG_CONF="ssl = on
ssl_cert_file = '$tls/server.pem'
ssl_key_file = '$tls/server.key'" gw_pg_start "$dir/pg" "local all all trust
hostssl all all 127.0.0.1/32 scram-sha-256
hostnossl all all 127.0.0.1/32 reject"
gw_pg_psql -c "create role alice login password 'alice-pw'"

# client: psql through the gateway on $port as alice (plain to the gateway); prints what
# psql printed, returns its status. Its query reports whether the upstream backend serving
# it speaks TLS.
client() {
  env -u PGPASSFILE PGPASSWORD=alice-pw PGCONNECT_TIMEOUT=10 "$CU_PG_BIN/psql" -X -w -At \
    "host=127.0.0.1 port=$port user=alice dbname=postgres sslmode=disable" \
    -c "select 'tls=' || ssl from pg_stat_ssl where pid = pg_backend_pid()" 2>&1
}
up="port=$GW_PG_PORT"

# --- 1. require; verify-full with the CA.
gw_start require "host=127.0.0.1 $up sslmode=require"
got=$(client) || cu_fail "sslmode=require: no session through the gateway: $got"
cu_assert_eq "$got" "tls=true" "the upstream session's TLS with sslmode=require"
gw_start full "host=localhost $up sslmode=verify-full sslrootcert=$tls/ca.pem"
got=$(client) || cu_fail "sslmode=verify-full: no session: $got $(gw_log full)"
cu_assert_eq "$got" "tls=true" "the upstream session's TLS with sslmode=verify-full"
cu_note "ok: require and verify-full sessions are encrypted (pg_stat_ssl)"

# --- 2. disable: plain, and the upstream's hostnossl reject shows.
gw_start plain "host=127.0.0.1 $up sslmode=disable"
got=$(client) && cu_fail "sslmode=disable logged in through a hostssl-only upstream: $got"
[[ "$got" == *"no encryption"* ]] || cu_fail "sslmode=disable: not the upstream's refusal: $got"
cu_note "ok: sslmode=disable is plain (the upstream says: ${got##*FATAL:  })"

# --- 3. verification failures: no session, 08006, the reason in the log.
refused() { # NAME UPSTREAM WANT_IN_LOG
  gw_start "$1" "$2"
  local out
  out=$(client) && cu_fail "$1: logged in: $out"
  [[ "$out" == *"could not connect to the upstream server"* ]] ||
    cu_fail "$1: the client's message: $out"
  [[ "$(gw_log "$1")" == *"$3"* ]] || cu_fail "$1: the log does not say '$3': $(gw_log "$1")"
}
refused wrongca "host=localhost $up sslmode=verify-full sslrootcert=$tls/other.pem" \
  "certificate verify failed"
refused wrongname "host=127.0.0.1 $up sslmode=verify-full sslrootcert=$tls/ca.pem" \
  "certificate verify failed: IP address mismatch"
gw_start verifyca "host=127.0.0.1 $up sslmode=verify-ca sslrootcert=$tls/ca.pem"
got=$(client) || cu_fail "sslmode=verify-ca to the address: no session: $got"
cu_assert_eq "$got" "tls=true" "the upstream session's TLS with sslmode=verify-ca"
cu_note "ok: another CA and a name mismatch are refused; verify-ca checks the chain only"

# --- 4. an upstream without TLS.
stack="host=$CU_PG_HOST port=$CU_PG_PORT"
refused notls "$stack sslmode=require" "the upstream server does not accept TLS"
gw_start prefer "$stack"
got=$(env -u PGPASSFILE PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -w -At \
  "host=127.0.0.1 port=$port user=$CU_PG_USER dbname=$CU_PG_DATABASE sslmode=disable" \
  -c "select 'tls=' || ssl from pg_stat_ssl where pid = pg_backend_pid()" 2>&1) ||
  cu_fail "sslmode=prefer against a server without TLS: no session: $got"
cu_assert_eq "$got" "tls=false" "prefer against a server without TLS"
cu_note "ok: require without TLS upstream refused; prefer falls back to plain"

# --- 5. what the gateway cannot honour is refused before it listens.
for bad in "sslmode=allow" "sslcert=$tls/server.pem"; do
  out=$("$CROSSUNLOAD" gateway --listen 127.0.0.1:0 --upstream "host=127.0.0.1 $up $bad" 2>&1) &&
    cu_fail "the gateway started with $bad"
  rc=$?
  cu_assert_eq "$rc" "2" "exit code of --upstream with $bad"
  [[ "$out" == *"not supported"* ]] || cu_fail "$bad: $out"
done
cu_note "ok: sslmode=allow and client certificates refused (exit 2)"
