#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of test_pfsync_defer.sh: many short TCP connections, timed.

  server PORT DEADLINE
      accepts connections until DEADLINE seconds have passed; on each, reads
      until EOF and answers with the SHA-256 of what it read, then closes.
  client HOST PORT COUNT SIZE DEADLINE OUT
      COUNT connections one after the other, each sending SIZE random bytes
      and checking the SHA-256 the server sends back; connect() of each is
      timed (the SYN that opens it is the packet a deferring firewall holds
      until its peer's INS_ACK or the timeout).  Writes JSON to OUT:
      {"ok", "bad", "errors": [...], "connect_ms": {"min", "p50", "p99",
      "max"}}; exit status 0 if every connection was intact.
"""
import hashlib
import json
import os
import socket
import sys
import threading
import time


def serve_one(c):
    h = hashlib.sha256()
    try:
        c.settimeout(10)
        while True:
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
        c.sendall(h.digest())
    except OSError:
        pass
    finally:
        c.close()


def server(port, deadline):
    end = time.monotonic() + float(deadline)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(256)
    s.settimeout(0.5)
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def pct(v, p):
    if not v:
        return 0
    v = sorted(v)
    return v[min(len(v) - 1, max(0, (len(v) * p + 99) // 100 - 1))]


def client(host, port, count, size, deadline, out):
    end = time.monotonic() + float(deadline)
    ok, bad, errors, times = 0, 0, [], []
    for i in range(int(count)):
        if time.monotonic() > end:
            errors.append("deadline after %d connections" % i)
            bad += int(count) - i
            break
        data = os.urandom(int(size))
        try:
            t0 = time.monotonic()
            c = socket.create_connection((host, int(port)), timeout=5)
            times.append((time.monotonic() - t0) * 1000.0)
            c.settimeout(10)
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            got = b""
            while len(got) < 32:
                b = c.recv(32 - len(got))
                if not b:
                    break
                got += b
            c.close()
            if got == hashlib.sha256(data).digest():
                ok += 1
            else:
                bad += 1
                errors.append("connection %d: digest mismatch" % i)
        except OSError as e:
            bad += 1
            errors.append("connection %d: %s" % (i, e))
    res = {"ok": ok, "bad": bad, "errors": errors[:10],
           "connect_ms": {"min": round(min(times), 3) if times else 0,
                          "p50": round(pct(times, 50), 3),
                          "p99": round(pct(times, 99), 3),
                          "max": round(max(times), 3) if times else 0}}
    with open(out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))
    sys.exit(0 if bad == 0 else 1)


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](*sys.argv[2:])
