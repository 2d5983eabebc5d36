#!/usr/bin/env bash
# Unauthenticated clients cannot exhaust the gateway (tests/support/gateway_wire.py speaks
# the raw protocol):
#   1. startup packets are capped at 10,000 bytes as PostgreSQL caps them: exactly 10,000
#      reaches authentication, 10,001 is refused (08P01), and a 1 GiB length header followed
#      by a flood is cut off early without the gateway's memory growing;
#   2. the whole handshake has one deadline (--auth-timeout): a client trickling its startup
#      packet a byte at a time, one silent after the password request and one silent after
#      SSLRequest are all disconnected when it passes;
#   3. --max-connections N: the next client gets PostgreSQL's FATAL 53300 "sorry, too many
#      clients already" (psql shows it), and gets in once a session has ended.
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
upstream="host=$CU_PG_HOST port=$CU_PG_PORT"
wire() { /usr/bin/python3 "$CU_SOURCE_DIR/tests/support/gateway_wire.py" "$port" "$@"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# seconds_between VALUE LOW HIGH: LOW <= VALUE <= HIGH (decimals allowed)
seconds_between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# --- 1. The startup packet cap.
gw_start sizes "$upstream"
gw=${GW_PIDS[-1]}
# No core dump could hold what the gateway holds (passwords, session keys): RLIMIT_CORE 0.
cu_assert_eq "$(awk '/^Max core file size/ {print $5, $6}' "/proc/$gw/limits")" "0 0" \
  "the gateway's core file size limit (soft, hard)"
# Nor can another process of its user attach to it or read its memory: it is not dumpable
# (PR_SET_DUMPABLE 0). The kernel then gives its /proc/PID files to root, which shows when
# it runs as an ordinary user: as root, the test starts one gateway as nobody.
dumpable_probe=$gw
if [[ $(id -u) -eq 0 ]]; then
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$CROSSUNLOAD" gateway \
    --listen 127.0.0.1:0 --upstream "$upstream" >"$dir/nobody.out" 2>"$dir/nobody.log" &
  dumpable_probe=$!
  GW_PIDS+=("$dumpable_probe")
  for _ in $(seq 100); do
    grep -q "listening on" "$dir/nobody.out" 2>/dev/null && break
    kill -0 "$dumpable_probe" 2>/dev/null || cu_fail "the gateway as nobody did not start: $(cat "$dir/nobody.log")"
    sleep 0.1
  done
  cu_assert_eq "$(awk '/^Uid:/ {print $2}' "/proc/$dumpable_probe/status")" "65534" \
    "the real uid of the gateway started as nobody"
fi
cu_assert_eq "$(stat -c %u "/proc/$dumpable_probe/status")" "0" \
  "the owner of a not-dumpable gateway's /proc files (the kernel's sign of PR_SET_DUMPABLE 0)"
cu_assert_eq "$(wire startup-size 10000 "$CU_PG_USER" "$CU_PG_DATABASE")" "R10" \
  "a 10,000-byte startup packet (the upstream's SCRAM request)"
cu_assert_eq "$(wire startup-size 10001 "$CU_PG_USER" "$CU_PG_DATABASE")" \
  "E08P01 invalid length of startup packet" "a 10,001-byte startup packet"
before=$(rss_kb "$gw")
got=$(wire flood 256)
after=$(rss_kb "$gw")
[[ "$got" != *"never ended it"* ]] || cu_fail "the gateway kept reading a 1 GiB startup packet: $got"
read -r _ sent _ <<<"$got"
((sent <= 4 * 1024 * 1024)) || cu_fail "the gateway took $sent bytes of an oversized startup packet: $got"
((after - before < 16 * 1024)) || cu_fail "the gateway grew from $before kB to $after kB during the flood"
cu_note "ok: startup packet capped ($got; VmRSS $before -> $after kB)"

# --- 2. One deadline for the whole handshake.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" >/dev/null 2>&1 || cu_fail "openssl could not make a test certificate"
gw_start deadline "$upstream" --auth-timeout 3 --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem"
got=$(wire trickle "$CU_PG_USER" "$CU_PG_DATABASE" 0.5)
[[ "$got" == "closed after "* ]] && seconds_between "${got#closed after }" 2.5 5 ||
  cu_fail "a client trickling its startup packet (0.5 s a byte) was not cut off at 3 s: $got"
got=$(wire silent-after-startup "$CU_PG_USER" "$CU_PG_DATABASE")
[[ "$got" == "R10 closed after "* ]] && seconds_between "${got#R10 closed after }" 2 5 ||
  cu_fail "a client silent after the password request was not cut off at 3 s: $got"
got=$(wire silent-after-ssl)
[[ "$got" == "closed after "* ]] && seconds_between "${got#closed after }" 2.5 5 ||
  cu_fail "a client silent in the TLS handshake was not cut off at 3 s: $got"
gw_log deadline | grep -q "startup timeout" || cu_fail "no timeout in the log: $(gw_log deadline)"
cu_note "ok: one handshake deadline (trickle, silent after the password request, silent in TLS)"

# --- 3. --max-connections.
gw_start capped "$upstream" --max-connections 2
/usr/bin/python3 "$CU_SOURCE_DIR/tests/support/gateway_wire.py" "$port" hold 30 >"$dir/hold1" &
h1=$!
/usr/bin/python3 "$CU_SOURCE_DIR/tests/support/gateway_wire.py" "$port" hold 30 >"$dir/hold2" &
h2=$!
sleep 1 # both connected (and accepted) before the third
cu_assert_eq "$(wire first-reply)" "E53300 sorry, too many clients already" "a third client"
out=$(env -u PGPASSFILE PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -w -At \
  "host=127.0.0.1 port=$port user=$CU_PG_USER dbname=$CU_PG_DATABASE sslmode=prefer" -c "select 1" 2>&1) &&
  cu_fail "psql got in past --max-connections 2: $out"
[[ "$out" == *"sorry, too many clients already"* ]] || cu_fail "psql was refused another way: $out"
gw_log capped | grep -q "refused a connection from 127.0.0.1:[0-9]*: 2 sessions already" ||
  cu_fail "no log line for the refusal: $(gw_log capped)"
kill "$h1"
wait "$h1" 2>/dev/null || true
ok=""
for _ in $(seq 50); do
  if out=$(env -u PGPASSFILE PGPASSWORD="$CU_PG_PASSWORD" "$CU_PG_BIN/psql" -X -w -At \
    "host=127.0.0.1 port=$port user=$CU_PG_USER dbname=$CU_PG_DATABASE sslmode=disable" -c "select 41 + 1" 2>&1); then
    ok=$out
    break
  fi
  sleep 0.1
done
cu_assert_eq "$ok" "42" "a client once a session has ended (last try: $out)"
kill "$h2" 2>/dev/null || true
cu_note "ok: --max-connections refuses with 53300 and frees the slot when a session ends"
