#!/usr/bin/env python3
"""A raw PostgreSQL-protocol client for the gateway's limit tests: it does what libpq never
does (huge or trickled startup packets, silent clients) and prints what the server did.

Usage: gateway_wire.py PORT COMMAND [ARGS]
  startup-size N USER DB   a StartupMessage padded to exactly N bytes; prints the first
                           reply: "R<code>" (an authentication request) or "E<SQLSTATE> <message>"
  flood MB                 a 1 GiB length header, then up to MB MiB of bytes; prints
                           "sent <bytes> <outcome>" where outcome is how the server ended it
  trickle USER DB DELAY    the StartupMessage one byte every DELAY seconds; prints
                           "closed after <seconds>" (or "finished <seconds>" if it never was)
  silent-after-startup USER DB   sends the StartupMessage, reads the authentication request,
                           then says nothing; prints "R<code> closed after <seconds>"
  silent-after-ssl         SSLRequest, expects 'S', then says nothing; "closed after <s>"
  hold SECONDS             connects and says nothing for SECONDS (or until the server
                           closes); prints "closed after <s>" or "held"
  first-reply              connects, sends a StartupMessage for user x, prints the first
                           reply as startup-size does (for a refused connection)
"""
import socket
import struct
import sys
import time


def startup_message(user, db, pad=0):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0" + db.encode() + b"\0"
    if pad:
        body += b"application_name\0" + b"x" * pad + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def sized_startup(n, user, db):
    base = len(startup_message(user, db, 1)) - 1  # with a 0-byte pad but its key
    return startup_message(user, db, n - base)


def read_message(s):
    buf = b""
    while len(buf) < 5:
        chunk = s.recv(5 - len(buf))
        if not chunk:
            return None, None
        buf += chunk
    n = struct.unpack("!I", buf[1:5])[0]
    body = b""
    while len(body) < n - 4:
        chunk = s.recv(n - 4 - len(body))
        if not chunk:
            return None, None
        body += chunk
    return buf[0:1], body


def describe(t, body):
    if t is None:
        return "EOF"
    if t == b"R":
        return "R%d" % struct.unpack("!I", body[:4])[0]
    if t == b"E":
        fields = dict((f[0:1], f[1:].decode()) for f in body.split(b"\0") if f)
        return "E%s %s" % (fields.get(b"C", "?"), fields.get(b"M", ""))
    return t.decode()


def wait_closed(s, limit):
    """Seconds until the server closes (EOF or reset), or None after `limit` seconds."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            if not s.recv(4096):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def main():
    port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if cmd == "startup-size":
        msg = sized_startup(int(args[0]), args[1], args[2])
        assert len(msg) == int(args[0]), len(msg)
        s.sendall(msg)
        print(describe(*read_message(s)))
    elif cmd == "first-reply":
        s.sendall(startup_message("x", "x"))
        print(describe(*read_message(s)))
    elif cmd == "flood":
        limit = int(args[0]) << 20
        sent = 0
        outcome = "never ended it"
        chunk = b"a" * 65536
        s.settimeout(5)
        try:
            s.sendall(struct.pack("!I", 1 << 30) + struct.pack("!I", 196608))
            while sent < limit:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError as e:
            outcome = "reset (%s)" % type(e).__name__
        else:
            try:
                s.settimeout(2)
                t, body = read_message(s)
                outcome = "answered " + describe(t, body)
            except socket.timeout:
                outcome = "never ended it"
            except OSError as e:
                outcome = "reset (%s)" % type(e).__name__
        print("sent %d %s" % (sent, outcome))
    elif cmd == "trickle":
        msg = startup_message(args[0], args[1])
        delay = float(args[2])
        t0 = time.monotonic()
        s.settimeout(delay)
        for i in range(len(msg)):
            try:
                s.send(msg[i:i + 1])
                if s.recv(4096) == b"":
                    print("closed after %.1f" % (time.monotonic() - t0))
                    return
            except socket.timeout:
                continue
            except OSError:
                print("closed after %.1f" % (time.monotonic() - t0))
                return
        print("finished %.1f" % (time.monotonic() - t0))
    elif cmd == "silent-after-startup":
        s.sendall(startup_message(args[0], args[1]))
        first = describe(*read_message(s))
        closed = wait_closed(s, 90)
        print("%s closed after %.1f" % (first, closed) if closed is not None else first + " held")
    elif cmd == "silent-after-ssl":
        s.sendall(struct.pack("!II", 8, 80877103))
        answer = s.recv(1)
        if answer != b"S":
            print("answered %r" % answer)
            return
        closed = wait_closed(s, 90)
        print("closed after %.1f" % closed if closed is not None else "held")
    elif cmd == "hold":
        closed = wait_closed(s, float(args[0]))
        print("closed after %.1f" % closed if closed is not None else "held")
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
