#!/usr/bin/python3
"""Neighbour-table flood for test_neigh_flood.sh (run in the LAN namespace).

neigh_flood.py flood IFACE DST_MAC SRC_MAC SECONDS PPS
neigh_flood.py echo-server PORT SECONDS
neigh_flood.py echo-client HOST PORT SECONDS    prints "LINES MAX_GAP_MS"

From the flooding host's address 2001:db8:1::66 it sends UDP (port 9) to a
new address of the connected 2001:db8:2::/64 in every packet (the worst
case for a neighbour table: every one needs a resolution), and one in five
packets is an unsolicited neighbour solicitation for dpf's 2001:db8:1::1
with a source link-layer option, each from a new source address and MAC
(RFC 4861 7.2.3 lets a node create a STALE entry for it).  Frames are built
by hand (no scapy per packet) so that one Python process keeps the rate.
Prints the number of frames sent.  The echo pair is the established TCP
connection that must go on through the flood: one line every 100 ms, each
echoed; the client reports how many came back and the longest wait.
Every mode ends by itself within SECONDS (+ a few).
"""
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + src + dst + payload


def l4(src, dst, nh, body):
    pseudo = src + dst + struct.pack("!I3xB", len(body), nh)
    ck = csum(pseudo + body)
    return ck or 0xFFFF


def echo_server(port, secs):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(port)))
    s.listen(1)
    s.settimeout(float(secs))
    c, _ = s.accept()
    c.settimeout(float(secs))
    while True:
        b = c.recv(4096)
        if not b:
            break
        c.sendall(b)


def echo_client(host, port, secs):
    c = socket.create_connection((host, int(port)), timeout=10)
    c.settimeout(10)
    f = c.makefile("rb")
    t_end = time.monotonic() + float(secs)
    n = 0
    gap = 0.0
    try:
        while time.monotonic() < t_end:
            t = time.monotonic()
            c.sendall(b"line %d\n" % n)
            if f.readline() != b"line %d\n" % n:
                break
            gap = max(gap, time.monotonic() - t)
            n += 1
            time.sleep(0.1)
    except OSError:
        pass
    c.close()
    print(n, int(gap * 1000))


def main():
    if sys.argv[1] == "echo-server":
        return echo_server(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "echo-client":
        return echo_client(sys.argv[2], sys.argv[3], sys.argv[4])
    ifn, dmac, smac = sys.argv[2], sys.argv[3], sys.argv[4]
    secs, pps = float(sys.argv[5]), int(sys.argv[6])
    dmac = bytes.fromhex(dmac.replace(":", ""))
    smac = bytes.fromhex(smac.replace(":", ""))
    src = socket.inet_pton(socket.AF_INET6, "2001:db8:1::66")
    dpf = socket.inet_pton(socket.AF_INET6, "2001:db8:1::1")
    snm = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:1")
    net = socket.inet_pton(socket.AF_INET6, "2001:db8:2::")[:8]
    nsnet = socket.inet_pton(socket.AF_INET6, "2001:db8:1::1:0")[:12]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifn, 0))
    payload = b"flood" * 4
    t0 = time.monotonic()
    sent = 0
    i = 0
    while True:
        now = time.monotonic()
        if now - t0 >= secs:
            break
        # Pace: never ahead of PPS.
        if sent > (now - t0) * pps:
            time.sleep(0.001)
            continue
        for _ in range(32):
            i += 1
            if i % 5 == 0:
                nsrc = nsnet + struct.pack("!I", i)
                mac = b"\x02\x66" + struct.pack("!I", i)
                body = struct.pack("!BBHI", 135, 0, 0, 0) + dpf + b"\x01\x01" + mac
                ck = l4(nsrc, snm, 58, body)
                body = body[:2] + struct.pack("!H", ck) + body[4:]
                f = b"\x33\x33\xff\x00\x00\x01" + mac + b"\x86\xdd" + ip6(nsrc, snm, 58, body, 255)
            else:
                dst = net + struct.pack("!II", 0x1000, i)
                udp = struct.pack("!HHHH", 40000 + (i & 0xFFF), 9, 8 + len(payload), 0) + payload
                ck = l4(src, dst, 17, udp)
                udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
                f = dmac + smac + b"\x86\xdd" + ip6(src, dst, 17, udp)
            try:
                s.send(f)
                sent += 1
            except OSError:
                time.sleep(0.001)
    print(sent)


if __name__ == "__main__":
    main()
