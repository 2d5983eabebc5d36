#!/usr/bin/env python3
"""An S3 fault-injecting HTTP proxy in front of moto_server, for the fault_* tests.

Usage:
  s3_fault_proxy.py --upstream http://127.0.0.1:PORT --port-file FILE
                    [--rate 0.1] [--seed 1] [--faults slowdown,internal,reset,lost]
                    [--ops PutObject,UploadPart,...] [--attempts N] [--max-seconds 600]

Listens on 127.0.0.1 (a free port, written to --port-file) and forwards every request to
--upstream, which must be a loopback address. A share --rate (0..1) of the requests gets
one of the --faults instead of a plain answer:

  slowdown   503 SlowDown (S3's throttling error); the request never reaches moto
  internal   500 InternalError; the request never reaches moto
  reset      the connection is reset (RST) after the request was read, before any answer;
             the request never reaches moto
  lost       the request is forwarded and moto applies it, then the connection is reset
             instead of passing the answer on (e.g. a CompleteMultipartUpload that
             succeeded but whose answer never arrived)

Which requests fail is deterministic for a seed: the decision is a hash of the seed, the
method, the key, the query (without uploadId, which moto makes up) and how many times
that same request was seen before (the bucket left out: tests name buckets per run), so
it does not depend on the order in which concurrent
requests arrive. --ops limits faults to those S3 operations (names as in operation()
below); --attempts N to the first N times each request is seen (1: every request fails
once, its retry passes).

GET /__proxy/stats (not an S3 path: bucket names have no '_') answers JSON:
{"requests": {op: n}, "faults": {kind: n}, "forwarded": n}. The proxy exits after
--max-seconds (default 600) however it is used, so a test that dies leaves nothing running.
"""
import argparse
import hashlib
import http.client
import http.server
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

MAX_BODY = 64 << 20
KINDS = ("slowdown", "internal", "reset", "lost")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection"}


def operation(method, path, query, body=b""):
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    if method == "POST" and path == "/" and body.startswith(b"Action="):
        # Not S3: a Query-protocol call (STS) sent to the same endpoint (AWS_ENDPOINT_URL).
        return urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", ["Post"])[0]
    has_key = path.strip("/").count("/") >= 1  # path style: /bucket/key
    if method == "PUT":
        if "partNumber" in q:
            return "UploadPart"
        return "PutObject" if has_key else "CreateBucket"
    if method == "POST":
        if "uploads" in q:
            return "CreateMultipartUpload"
        if "uploadId" in q:
            return "CompleteMultipartUpload"
        if "delete" in q:
            return "DeleteObjects"
        return "Post"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "GET":
        if "uploads" in q:
            return "ListMultipartUploads"
        if "list-type" in q or not has_key:
            return "ListObjectsV2"
        if "uploadId" in q:
            return "ListParts"
        return "GetObject"
    return method


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.seen = {}
        self.requests = {}
        self.faults = {k: 0 for k in KINDS}
        self.forwarded = 0
        self.kinds = [k for k in args.faults.split(",") if k]
        self.ops = set(o for o in args.ops.split(",") if o) if args.ops else None

    def decide(self, method, path, query, op):
        """The fault for this request, or None."""
        q = [(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True) if k != "uploadId"]
        # Without the bucket (path style: its first segment), which tests make up per run.
        key = path.split("/", 2)[2] if path.count("/") >= 2 else ""
        ident = f"{method} {key}?{urllib.parse.urlencode(sorted(q))}"
        with self.lock:
            n = self.seen.get(ident, 0)
            self.seen[ident] = n + 1
            self.requests[op] = self.requests.get(op, 0) + 1
        if self.ops is not None and op not in self.ops:
            return None
        if self.args.attempts and n >= self.args.attempts:
            return None
        h = hashlib.sha256(f"{self.args.seed}|{ident}|{n}".encode()).digest()
        u = struct.unpack(">Q", h[:8])[0] / 2**64
        if u >= self.args.rate or not self.kinds:
            return None
        kind = self.kinds[h[8] % len(self.kinds)]
        with self.lock:
            self.faults[kind] += 1
        return kind

    def stats(self):
        with self.lock:
            return {"requests": dict(self.requests), "faults": dict(self.faults),
                    "forwarded": self.forwarded}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None
    upstream = None  # (host, port)

    def log_message(self, fmt, *args):  # quiet: the tests read the stats instead
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def reset(self):
        """Closes the connection with a TCP RST: the client sees 'connection reset'."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def error(self, status, code, message):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>").encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "fault-proxy")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__proxy/stats":
            body = json.dumps(self.state.stats()).encode()
            self.send_response_only(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.error(400, "EntityTooLarge", "the fault proxy takes bodies up to 64 MiB")
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        op = operation(self.command, url.path, url.query, body)
        fault = self.state.decide(self.command, url.path, url.query, op)
        if fault == "slowdown":
            self.error(503, "SlowDown", "Please reduce your request rate. (fault proxy)")
            return
        if fault == "internal":
            self.error(500, "InternalError", "We encountered an internal error. Please try again. (fault proxy)")
            return
        if fault == "reset":
            self.reset()
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP
                       and k.lower() != "expect"}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            with self.state.lock:
                self.state.forwarded += 1
        finally:
            conn.close()
        if fault == "lost":
            self.reset()
            return
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        length = resp.getheader("Content-Length")
        if self.command == "HEAD" and length is not None:
            self.send_header("Content-Length", length)
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--rate", type=float, default=0.1)
    p.add_argument("--seed", default="1")
    p.add_argument("--faults", default=",".join(KINDS))
    p.add_argument("--ops", default="")
    p.add_argument("--attempts", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=600)
    a = p.parse_args()
    for k in a.faults.split(","):
        if k and k not in KINDS:
            sys.exit(f"s3_fault_proxy.py: unknown fault {k!r} (known: {', '.join(KINDS)})")
    if not 0 <= a.rate <= 1:
        sys.exit("s3_fault_proxy.py: --rate is a share between 0 and 1")
    up = urllib.parse.urlsplit(a.upstream)
    if up.scheme != "http" or up.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("s3_fault_proxy.py: --upstream must be http:// on loopback")
    Handler.state = State(a)
    Handler.upstream = (up.hostname, up.port or 80)
    server = Server(("127.0.0.1", 0), Handler)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))

    os.replace(a.port_file + ".tmp", a.port_file)
    threading.Timer(a.max_seconds, server.shutdown).start()
    start = time.time()
    server.serve_forever(poll_interval=0.2)
    print(f"s3_fault_proxy.py: stopped after {time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
