#!/usr/bin/env python3
"""A local AWS Lambda Runtime API endpoint for tests (loopback only).

Serves the invocations listed in EVENTS (a JSON array of {"request_id", "event",
"deadline_in_ms", "trace_id"}) in order (an item with "raw_event_b64" instead of "event" is
sent as those bytes, as they are: a malformed event, invalid UTF-8) through GET /2018-06-01/runtime/invocation/next,
records every POST (…/response, …/error, /init/error) as one JSON line in OUT
({"path", "error_type", "body", "at_ns", and for an invocation's answer "served_ns": when
its event was handed out, so at_ns - served_ns is the invocation's duration as Lambda
reports it}), and exits once every invocation got its response or error (or after
--timeout seconds, with status 3).

The first GET …/next is held for --hold-first-ms before it is answered, so a test can
look at the waiting process; its arrival time (time.time_ns()) is written to
--first-request-file: the cold start is that minus the moment the process was started.

Usage: lambda_runtime_api.py --events FILE --out FILE --port-file FILE
         [--hold-first-ms N] [--first-request-file FILE] [--timeout S]
"""
import argparse
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--hold-first-ms", type=int, default=0)
    ap.add_argument("--first-request-file")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()

    with open(args.events) as f:
        queue = json.load(f)
    expected = len(queue)
    lock = threading.Lock()
    state = {"served": 0, "answered": 0, "first": True}
    served = {}  # request id -> time.time_ns() its event was handed out
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, body=b"{}", headers=None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != PREFIX + "/invocation/next":
                return self.reply(404)
            with lock:
                first = state["first"]
                state["first"] = False
                if first and args.first_request_file:
                    with open(args.first_request_file, "w") as f:
                        f.write(str(time.time_ns()))
                if state["served"] >= expected:
                    item = None
                else:
                    item = queue[state["served"]]
                    state["served"] += 1
            if item is None:  # like Lambda: nothing to do, wait (until we exit)
                done.wait()
                return
            if first and args.hold_first_ms:
                time.sleep(args.hold_first_ms / 1000)
            deadline = int(time.time() * 1000) + int(item.get("deadline_in_ms", 60000))
            headers = {
                "Lambda-Runtime-Aws-Request-Id": item["request_id"],
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn":
                    "arn:aws:lambda:eu-central-1:111111111111:function:crossunload",
            }
            if item.get("trace_id"):
                headers["Lambda-Runtime-Trace-Id"] = item["trace_id"]
            if "raw_event_b64" in item:
                body = base64.b64decode(item["raw_event_b64"])
            else:
                body = json.dumps(item["event"]).encode()
            with lock:
                served[item["request_id"]] = time.time_ns()
            self.reply(200, body, headers)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode()
            record = {
                "path": self.path,
                "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                "body": body,
                "at_ns": time.time_ns(),
            }
            with lock:
                parts = self.path[len(PREFIX):].split("/")  # /invocation/<id>/response
                if len(parts) == 4 and parts[1] == "invocation" and parts[2] in served:
                    record["served_ns"] = served[parts[2]]
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
                if self.path.startswith(PREFIX + "/invocation/"):
                    state["answered"] += 1
                finished = state["answered"] >= expected or self.path == PREFIX + "/init/error"
            self.reply(202, b'{"status":"OK"}')
            if finished:
                done.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os

    os.replace(args.port_file + ".tmp", args.port_file)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ok = done.wait(args.timeout)
    time.sleep(0.05)  # let the last reply reach the client
    server.shutdown()
    raise SystemExit(0 if ok else 3)


if __name__ == "__main__":
    main()
