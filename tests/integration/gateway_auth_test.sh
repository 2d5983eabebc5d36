#!/usr/bin/env bash
# The gateway never hands a client a session the upstream would not have given it directly.
#   1. A Unix-socket upstream (whose local trust/peer rules would apply to every network
#      client) is refused at startup, exit 2.
#   2. Without --password-file, in front of a private PostgreSQL whose pg_hba.conf trusts
#      127.0.0.1 (the gateway's address): a client with a wrong or no password is refused
#      with 28000, even as the superuser; in front of the stack's scram-sha-256 server a
#      wrong password is refused by the upstream and the right one works.
#   3. With --password-file (PostgreSQL's SCRAM verifiers): psql (libpq does SCRAM) gets in
#      with the right password only, also over TLS; an unknown user is refused the same way;
#      a group-readable file is refused at startup.
#   4. In front of a scram-sha-256 upstream, the gateway logs in with the client's SCRAM key
#      when its verifier is the upstream's own, and refuses clearly when it is not.
#   5. --listen on a non-loopback address warns on stderr.
source "$(dirname "$0")/../support/testlib.sh"
source "$CU_SOURCE_DIR/tests/support/gateway_testlib.sh"
cu_require_stack
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"

dir=$(cu_tmpdir)
role="gw_auth_$$"
cleanup() {
  gw_cleanup
  cu_psql postgres -c "drop role if exists $role" >/dev/null 2>&1 || true
  rm -rf "$CU_TMP"
}
trap cleanup EXIT

gw_pg_start "$dir/pg" "local all all trust
host all all 127.0.0.1/32 trust"
trust_up="host=127.0.0.1 port=$GW_PG_PORT"
stack_up="host=$CU_PG_HOST port=$CU_PG_PORT"

# client USER [PASSWORD] [extra conninfo]: psql through the gateway on $port; prints what
# psql printed (stdout and stderr), returns its status. No password: none is sent.
client() {
  local user=$1 password=${2-} extra=${3:-sslmode=disable}
  local -a env=(env -u PGPASSWORD -u PGPASSFILE PGCONNECT_TIMEOUT=10)
  [[ -n "$password" ]] && env+=(PGPASSWORD="$password")
  "${env[@]}" "$CU_PG_BIN/psql" -X -w -At \
    "host=127.0.0.1 port=$port user=$user dbname=postgres $extra" -c "select current_user" 2>&1
}

# rejected USER PASSWORD WANT: the login fails and psql's message contains WANT.
rejected() {
  local out rc=0
  out=$(client "$1" "$2") || rc=$?
  [[ $rc -ne 0 ]] || cu_fail "logged in as $1 with password '${2:-<none>}': $out"
  [[ "$out" == *"$3"* ]] || cu_fail "login as $1 refused with another message: $out"
}

# sqlstate_of USER PASSWORD: the SQLSTATE of the ErrorResponse a raw protocol client gets
# (cleartext/md5/SCRAM requests answered with PASSWORD; "AUTHOK" when let in).
sqlstate_of() {
  GW_PORT=$port GW_USER=$1 GW_PASSWORD=$2 /usr/bin/python3 - <<'PY'
import os, socket, struct
s = socket.create_connection(("127.0.0.1", int(os.environ["GW_PORT"])), timeout=10)
body = struct.pack("!I", 196608) + b"user\0" + os.environ["GW_USER"].encode() + b"\0database\0postgres\0\0"
s.sendall(struct.pack("!I", len(body) + 4) + body)
buf = b""
def message():
    global buf
    while len(buf) < 5 or len(buf) < 1 + struct.unpack("!I", buf[1:5])[0]:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("CLOSED")
        buf += chunk
    n = struct.unpack("!I", buf[1:5])[0]
    t, b, buf = buf[0:1], buf[5:1 + n], buf[1 + n:]
    return t, b
while True:
    t, b = message()
    if t == b"E":
        fields = dict((f[0:1], f[1:]) for f in b.split(b"\0") if f)
        print(fields[b"C"].decode())
        break
    if t == b"R":
        code = struct.unpack("!I", b[:4])[0]
        if code == 0:
            print("AUTHOK")
            break
        if code == 3:  # cleartext: enough to show a password was asked for
            p = os.environ["GW_PASSWORD"].encode() + b"\0"
            s.sendall(b"p" + struct.pack("!I", len(p) + 4) + p)
            continue
        print("AUTH%d" % code)
        break
PY
}

# --- 1. Unix-socket upstreams are refused at startup.
for up in "$GW_PG_SOCKET_DIR" "host=$GW_PG_SOCKET_DIR port=$GW_PG_PORT" "port=$GW_PG_PORT dbname=postgres" \
  "postgresql:///postgres?host=$GW_PG_SOCKET_DIR&port=$GW_PG_PORT"; do
  rc=0
  timeout 10 "$CROSSUNLOAD" gateway --listen 127.0.0.1:0 --upstream "$up" >"$dir/socket.out" 2>"$dir/socket.err" || rc=$?
  [[ $rc -eq 2 ]] || cu_fail "upstream '$up': exit $rc, want 2 (stdout: $(cat "$dir/socket.out"); stderr: $(cat "$dir/socket.err"))"
  grep -q "Unix.socket" "$dir/socket.err" || cu_fail "upstream '$up': no clear message: $(cat "$dir/socket.err")"
done
cu_note "ok: Unix-socket upstreams refused at startup"

# --- 2. No password file, upstream trusts the gateway's address: nobody gets in.
gw_start relay_trust "$trust_up"
want="the upstream did not authenticate this client; start the gateway with --password-file"
rejected gw_admin "wrong" "$want"
rejected gw_admin "" "$want"
cu_assert_eq "$(sqlstate_of gw_admin x)" "28000" "SQLSTATE of a client the upstream did not ask"
gw_log relay_trust | grep -q "refused: the upstream did not authenticate this client" ||
  cu_fail "no log line for the refusal: $(gw_log relay_trust)"
# ... while the stack's scram-sha-256 upstream asks, so the right password works there.
gw_start relay_scram "$stack_up"
rejected "$CU_PG_USER" "wrong" "password authentication failed"
got=$(client "$CU_PG_USER" "$CU_PG_PASSWORD") || cu_fail "the right password was refused: $got"
cu_assert_eq "$got" "$CU_PG_USER" "current_user through a relaying gateway"
cu_note "ok: without --password-file a client the upstream did not ask is refused (28000)"

# --- 3. --password-file: the gateway runs SCRAM with the client.
gw_pg_psql -c "create role alice login password 'alice-pw'"
verifier=$(gw_pg_psql -Atc "select rolpassword from pg_authid where rolname = 'alice'")
[[ "$verifier" == SCRAM-SHA-256\$* ]] || cu_fail "PostgreSQL stored no SCRAM verifier: $verifier"
pwfile="$dir/passwords"
printf '# users of the gateway\nalice:%s\n' "$verifier" >"$pwfile"
chmod 640 "$pwfile"
rc=0
timeout 10 "$CROSSUNLOAD" gateway --listen 127.0.0.1:0 --upstream "$trust_up" --password-file "$pwfile" \
  >/dev/null 2>"$dir/mode.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "group or others" "$dir/mode.err" ||
  cu_fail "a group-readable password file: exit $rc: $(cat "$dir/mode.err")"
chmod 600 "$pwfile"

gw_start pw_trust "$trust_up" --password-file "$pwfile"
got=$(client alice alice-pw) || cu_fail "alice with her password was refused: $got"
cu_assert_eq "$got" "alice" "current_user after SCRAM with the gateway"
rejected alice "wrong" 'password authentication failed for user "alice"'
rejected alice "" "no password supplied"
rejected mallory "alice-pw" 'password authentication failed for user "mallory"'
rejected gw_admin "" "no password supplied"
rejected gw_admin "anything" 'password authentication failed for user "gw_admin"'
cu_assert_eq "$(sqlstate_of alice x)" "AUTH10" "the gateway asks for SCRAM-SHA-256 itself"
# Over TLS libpq says it could bind the channel ("y"); plain SCRAM is still accepted.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" >/dev/null 2>&1 || cu_fail "openssl could not make a test certificate"
gw_start pw_tls "$trust_up" --password-file "$pwfile" --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem"
got=$(client alice alice-pw sslmode=require) || cu_fail "SCRAM over TLS failed: $got"
cu_assert_eq "$got" "alice" "current_user after SCRAM over TLS"
cu_note "ok: --password-file accepts the right password only"

# --- 4. SCRAM passed through to a scram-sha-256 upstream.
pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
cu_psql postgres -c "create role $role login password '$pw'" >/dev/null
printf '%s:%s\n' "$role" "$(cu_psql postgres -Atc "select rolpassword from pg_authid where rolname = '$role'")" \
  >"$dir/stack_passwords"
chmod 600 "$dir/stack_passwords"
gw_start pw_scram "$stack_up" --password-file "$dir/stack_passwords"
got=$(client "$role" "$pw") || cu_fail "SCRAM pass-through to the upstream failed: $got"
cu_assert_eq "$got" "$role" "current_user after SCRAM pass-through"
rejected "$role" "wrong" "password authentication failed for user \"$role\""
# The same password with another salt: the gateway accepts the client, the upstream cannot
# be answered, and the client is told why.
gw_pg_psql -c "create role $role login password '$pw'"
printf '%s:%s\n' "$role" "$(gw_pg_psql -Atc "select rolpassword from pg_authid where rolname = '$role'")" \
  >"$dir/other_salt"
chmod 600 "$dir/other_salt"
gw_start pw_salt "$stack_up" --password-file "$dir/other_salt"
rejected "$role" "$pw" "differ from the gateway's verifier"
cu_note "ok: SCRAM pass-through with the upstream's own verifier"

# --- 5. A listener other machines can reach is announced loudly.
GW_LISTEN=0.0.0.0:0 gw_start wide "$trust_up" --password-file "$pwfile"
gw_log wide | grep -q "WARNING: the gateway listens on 0.0.0.0:$port, which other machines can reach" ||
  cu_fail "no warning for --listen 0.0.0.0: $(gw_log wide)"
gw_log relay_trust | grep -q "WARNING" && cu_fail "a loopback gateway warned: $(gw_log relay_trust)"
cu_note "ok: a non-loopback --listen warns"
