#!/usr/bin/env python3
"""Abuses a dpf control socket for a while (tests/integration/test_ctl_abuse.sh).

usage: ctl_abuser.py SOCKET SECONDS RESULT.json [PARTIALS]

  hoarders: 31 clients ask for `show states -vv` with a tiny receive buffer
            and never read; at the end, which ones the server had closed
            (dropped as stalled) and which got `8003 busy`
  idlers:   40 connections that only sit there (reconnecting when closed)
  partials: PARTIALS (default 8) connections that send half a request and
            nothing more (not idle, so not evicted as idle ones are: with the
            hoarders they fill every slot), reconnecting when closed
  longs:    clients that send a request line over 4096 bytes (9003, closed)
"""
import json
import socket
import sys
import time

path, seconds, result = sys.argv[1], float(sys.argv[2]), sys.argv[3]
n_partials = int(sys.argv[4]) if len(sys.argv) > 4 else 8


def connect(rcvbuf=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(path)
    return s


hoarders = []
for _ in range(31):
    s = connect(rcvbuf=4096)
    s.sendall(b"show states -vv\n")
    hoarders.append(s)
    time.sleep(0.02)


def partial():
    s = connect()
    s.sendall(b"sho")
    return s


partials = [partial() for _ in range(n_partials)]
idlers = [connect() for _ in range(40)]
longs = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        s = connect()
        s.sendall(b"x" * 5000)
        s.close()
        longs += 1
    except OSError:
        pass
    # Idle and partial connections closed by the server come back.
    for group, make in ((idlers, connect), (partials, partial)):
        for i, s in enumerate(group):
            s.setblocking(False)
            try:
                if s.recv(65536) == b"":
                    s.close()
                    group[i] = make()
            except BlockingIOError:
                pass
            except OSError:
                try:
                    group[i] = make()
                except OSError:
                    pass
    time.sleep(0.2)

# What the hoarders got: read to the end (the server closed the dropped ones).
dropped = busy = whole = 0
for s in hoarders:
    s.settimeout(2)
    data = b""
    closed = False
    try:
        while True:
            k = s.recv(1 << 20)
            if not k:
                closed = True
                break
            data += k
            if data.startswith(b"8003 ") or data.endswith(b"0000 ok\n"):
                break
    except (socket.timeout, OSError):
        pass
    if data.startswith(b"8003 ") or b"\n8003 " in data[:200]:
        busy += 1
    elif data.endswith(b"0000 ok\n"):
        whole += 1
    elif closed:
        dropped += 1
    s.close()
json.dump({"hoarders_dropped": dropped, "hoarders_busy": busy, "hoarders_whole": whole,
           "long_requests": longs}, open(result, "w"))
