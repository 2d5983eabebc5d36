#!/usr/bin/env bash
# The HTTP client trusts the CA bundle the AWS CLI would: AWS_CA_BUNDLE, else the selected
# profile's `ca_bundle`, else the system's store. A local HTTPS server (python3 http.server
# wrapped in ssl, with a self-signed certificate made here by openssl for 127.0.0.1) answers
# STS GetCallerIdentity; `crossunload whoami` against it:
#   1. without a bundle: fails with a TLS error that says how to trust the server;
#   2. AWS_CA_BUNDLE = the certificate: succeeds (the canned identity is printed);
#   3. the profile's ca_bundle = the certificate: succeeds;
#   4. AWS_CA_BUNDLE = another CA, the profile's ca_bundle = the right one: fails (the
#      environment wins, as in the AWS CLI), naming the bundle it used;
#   5. AWS_CA_BUNDLE = a missing file: exit 2 naming AWS_CA_BUNDLE.
# A TLS trust failure is not transient: the server's access log (one line per TCP connection)
# shows one attempt where a dropped connection (case 0) shows the retries, and the error says
# which bundle refused the certificate and how to change it, with exit 2, never "try again".
# Needs no stack: only loopback, openssl and python3.
source "$(dirname "$0")/../support/testlib.sh"
[[ -x "${CROSSUNLOAD:-}" ]] || cu_fail "CROSSUNLOAD (the built executable) is not set; run through ctest"
command -v openssl >/dev/null || cu_fail "openssl is missing (scripts/install-deps)"

work=$(cu_tmpdir)
make_cert() { # make_cert NAME: a self-signed certificate valid for 127.0.0.1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=crossunload-test-$1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/$1.key" -out "$work/$1.pem" 2>/dev/null ||
    cu_fail "openssl could not make a certificate"
}
make_cert server
make_cert other

cat >"$work/sts.py" <<'PY'
import os, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b'<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/tls-ok</Arn>'
        b'<UserId>AIDATLSOK</UserId><Account>123456789012</Account></GetCallerIdentityResult>'
        b'<ResponseMetadata><RequestId>tls-1</RequestId></ResponseMetadata>'
        b'</GetCallerIdentityResponse>')

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])

class Server(ThreadingHTTPServer):
    # Every TCP connection is one attempt of the client: logged before the handshake, so
    # attempts that fail TLS verification are counted too. While the file "<port>.drop"
    # exists, connections are closed at once (a transient failure the client must retry).
    def get_request(self):
        sock, addr = self.socket.accept()
        with open(sys.argv[3] + ".access", "a") as log:
            log.write(f"connect {addr[1]}\n")
        if os.path.exists(sys.argv[3] + ".drop"):
            sock.close()
            raise OSError("dropped on purpose")
        return ctx.wrap_socket(sock, server_side=True), addr

srv = Server(("127.0.0.1", 0), H)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(sys.argv[3] + ".tmp", sys.argv[3])
srv.serve_forever()
PY
python3 "$work/sts.py" "$work/server.pem" "$work/server.key" "$work/port" 2>"$work/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$CU_TMP"' EXIT
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || cu_fail "the TLS server did not start: $(cat "$work/server.log")"
port=$(cat "$work/port")

# Only what each case sets: no ~/.aws, no SSL_CERT_FILE, no proxies. crossunload's own retry
# policy applies (6 attempts for a transient failure).
whoami() {
  env -i PATH="$PATH" HOME="$work" AWS_ENDPOINT_URL="https://127.0.0.1:$port" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIATLSTEST AWS_SECRET_ACCESS_KEY=tls-test-key \
    "$@" "$CROSSUNLOAD" whoami 2>&1
}
# connections: how many TCP connections (= attempts) the server has seen so far.
connections() { if [[ -f "$work/port.access" ]]; then wc -l <"$work/port.access"; else echo 0; fi; }

# 0. The access log counts retries: while the server drops connections, a transient failure,
#    whoami tries more than once.
touch "$work/port.drop"
before=$(connections)
rc=0
out=$(whoami) || rc=$?
rm -f "$work/port.drop"
dropped=$(($(connections) - before))
[[ $rc != 0 ]] || cu_fail "whoami succeeded against a server that drops every connection: $out"
((dropped > 1)) || cu_fail "a dropped connection was not retried ($dropped attempt): $out"
cu_assert_eq "$rc" "1" "exit code for dropped connections (a network failure, not access denied)"
cu_note "dropped connections (transient): $dropped attempts, exit $rc"

# 1. No bundle: the self-signed certificate is not trusted. Not transient: one attempt, and
#    no "try again later"; exit 2 (the fix is the CA bundle configuration).
before=$(connections)
rc=0
out=$(whoami) || rc=$?
attempts=$(($(connections) - before))
[[ $rc != 0 ]] || cu_fail "whoami trusted a self-signed certificate without a bundle: $out"
[[ "$out" == *"certificate"* && "$out" == *"AWS_CA_BUNDLE"* ]] ||
  cu_fail "the error does not say the certificate is untrusted and how to trust it: $out"
[[ "$out" == *"system's CA store"* ]] || cu_fail "the error does not name the CA store it used: $out"
[[ "$out" != *"try again later"* && "$out" != *"gave up after"* ]] ||
  cu_fail "a TLS trust failure is presented as transient: $out"
cu_assert_eq "$attempts" "1" "connections made for an untrusted certificate (retries would add more)"
cu_assert_eq "$rc" "2" "exit code for an untrusted certificate"
cu_note "no bundle (exit $rc, $attempts attempt): $(echo "$out" | head -1)"

# 2. AWS_CA_BUNDLE.
out=$(whoami AWS_CA_BUNDLE="$work/server.pem") || cu_fail "whoami with AWS_CA_BUNDLE failed: $out"
[[ "$out" == *"arn:aws:iam::123456789012:user/tls-ok"* ]] || cu_fail "unexpected identity: $out"

# 3. The profile's ca_bundle.
printf '[default]\nregion = us-east-1\nca_bundle = %s\n' "$work/server.pem" >"$work/config"
out=$(whoami AWS_CONFIG_FILE="$work/config") || cu_fail "whoami with the profile's ca_bundle failed: $out"
[[ "$out" == *"user/tls-ok"* ]] || cu_fail "unexpected identity: $out"
printf '[default]\nregion = us-east-1\n[profile tls]\nca_bundle = %s\n' "$work/server.pem" >"$work/config2"
out=$(whoami AWS_CONFIG_FILE="$work/config2" AWS_PROFILE=tls) ||
  cu_fail "whoami with AWS_PROFILE's ca_bundle failed: $out"

# 4. The environment overrides the config file.
rc=0
out=$(whoami AWS_CONFIG_FILE="$work/config" AWS_CA_BUNDLE="$work/other.pem") || rc=$?
[[ $rc != 0 ]] || cu_fail "AWS_CA_BUNDLE (another CA) did not override the profile's ca_bundle: $out"
[[ "$out" == *"$work/other.pem"* && "$out" == *"AWS_CA_BUNDLE"* ]] ||
  cu_fail "the TLS error does not name the bundle used: $out"
[[ "$out" != *"try again later"* ]] || cu_fail "a TLS trust failure is presented as transient: $out"

# 4b. The profile's ca_bundle is another CA: the hint names the config file's line to change.
printf '[default]\nregion = us-east-1\nca_bundle = %s\n' "$work/other.pem" >"$work/config3"
before=$(connections)
rc=0
out=$(whoami AWS_CONFIG_FILE="$work/config3") || rc=$?
cu_assert_eq "$rc" "2" "exit code when the profile's ca_bundle does not trust the server"
cu_assert_eq "$(($(connections) - before))" "1" "connections made with the profile's wrong ca_bundle"
[[ "$out" == *"$work/other.pem"* && "$out" == *"$work/config3"* && "$out" == *"ca_bundle"* ]] ||
  cu_fail "the TLS error does not name the profile's ca_bundle and where it is set: $out"

# 4c. A CA bundle that is not a PEM file: libcurl cannot load it; not retried either.
echo "not a certificate" >"$work/garbage.pem"
before=$(connections)
rc=0
out=$(whoami AWS_CA_BUNDLE="$work/garbage.pem") || rc=$?
cu_assert_eq "$rc" "2" "exit code with a CA bundle that is not PEM"
[[ "$out" == *"garbage.pem"* && "$out" != *"try again later"* ]] || cu_fail "unclear message: $out"
(($(connections) - before <= 1)) || cu_fail "an unloadable CA bundle was retried: $out"
cu_note "CA bundle not PEM (exit $rc): $(echo "$out" | head -1)"

# 5. A bundle that is not there.
rc=0
out=$(whoami AWS_CA_BUNDLE="$work/missing.pem") || rc=$?
cu_assert_eq "$rc" "2" "exit code with a missing CA bundle"
[[ "$out" == *"AWS_CA_BUNDLE"* && "$out" == *"missing.pem"* ]] || cu_fail "unclear message: $out"
cu_note "ok: AWS_CA_BUNDLE and ca_bundle are honoured, the environment first"
