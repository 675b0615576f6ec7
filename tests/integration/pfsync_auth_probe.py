#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The peer's side of tests/integration/test_pfsync_auth.sh: authenticated
pfsync packets built and checked here with Python's hmac and hashlib from
the layout in docs/pfsync.md ("Authentication"), not with dpf's code.  The
INS records come from tests/fuzz/gen_pfsync_rx_seeds.py (OpenBSD's offsets).

  send IFACE SRC KEYHEX SENDER SEQ SID FRAMEFILE   a keyed INS of state SID
  plain IFACE SRC SID                              the same INS, unkeyed (v6)
  replay IFACE FRAMEFILE                           a frame sent before, again
  capture PCAP KEYHEX SRC HOSTID                   dpf's keyed packets (TAP)
"""
import hashlib
import hmac
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import gen_pfsync_rx_seeds as g  # noqa: E402

AUTH_VERSION, TRAILER = 0x86, 48
GROUP = "224.0.0.240"


def aton(a):
    return bytes(int(x) for x in a.split("."))


def keyid(key):
    return hashlib.sha256(key).digest()[:4]


def seal(key, pkt, src, dst, sender, seq):
    """The v6 packet pkt as an authenticated one (docs/pfsync.md)."""
    assert pkt[0] == 6 and struct.unpack(">H", pkt[2:4])[0] == len(pkt)
    body = bytes([AUTH_VERSION]) + pkt[1:2] + struct.pack(">H", len(pkt) + TRAILER) + pkt[4:]
    body += keyid(key) + struct.pack(">IQ", sender, seq)
    return body + hmac.new(key, aton(src) + aton(dst) + body, hashlib.sha256).digest()


def ins(sid, sender):
    st = g.state(sid, sender, g.ip4("198.18.1.10"), g.ip4("198.18.2.20"), 40000 + sid % 1000,
                 80, proto=17, timeout=8, levels=(1, 2))
    return g.pfsync(("INS", [st]))


def frame(src, payload):
    from scapy.all import Ether, IP, Raw  # noqa: E402 - slow import
    return bytes(Ether(dst="01:00:5e:00:00:f0", src="02:00:5e:00:f0:02") /
                 IP(src=src, dst=GROUP, ttl=255, proto=240, tos=0x10) / Raw(payload))


def sendraw(iface, data):
    from scapy.all import sendp, conf, Raw  # noqa: E402
    conf.verb = 0
    sendp(Raw(data), iface=iface)


def send(iface, src, keyhex, sender, seq, sid, out):
    pkt = ins(int(sid, 0), int(sender, 0))
    f = frame(src, seal(bytes.fromhex(keyhex), pkt, src, GROUP, int(sender, 0), int(seq, 0)))
    with open(out, "wb") as fh:
        fh.write(f)
    sendraw(iface, f)


def plain(iface, src, sid):
    sendraw(iface, frame(src, ins(int(sid, 0), 0x77)))


def replay(iface, path):
    with open(path, "rb") as fh:
        sendraw(iface, fh.read())


def capture(pcap, keyhex, src, hostid):
    import pfsync_reader as r
    key, n, bad, last = bytes.fromhex(keyhex), 0, [], 0
    frames = r.read_pcap(pcap)
    for i, f in enumerate(frames):
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack(">H", ip[2:4])[0]
        pf = ip[ihl:tot]
        hlen = struct.unpack(">H", pf[2:4])[0]
        t = pf[hlen - TRAILER:hlen]
        sender, seq = struct.unpack(">IQ", t[4:16])
        mac = hmac.new(key, ip[12:20] + pf[:hlen - 32], hashlib.sha256).digest()
        why = []
        if pf[0] != AUTH_VERSION:
            why.append("version %#x" % pf[0])
        if hlen != len(pf):
            why.append("len %d, payload %d" % (hlen, len(pf)))
        if t[:4] != keyid(key):
            why.append("keyid %s" % t[:4].hex())
        if sender != int(hostid, 16):
            why.append("sender %08x" % sender)
        if seq <= last:
            why.append("seq %#x after %#x" % (seq, last))
        if not hmac.compare_digest(mac, t[16:]):
            why.append("bad MAC")
        # An unkeyed reader (OpenBSD's rules, pfsync_reader) stops at the version.
        problems = r.parse_pfsync(pf)[0]
        if not any(p.startswith("version") for p in problems):
            why.append("an unkeyed reader would read it: %s" % problems)
        if why:
            bad.append("packet %d: %s" % (i, "; ".join(why)))
        last = seq
        n += 1
    tap = r.Tap()
    tap.ok(n > 0 and not bad, "%d keyed packets from dpf: version 0x86, len covers the trailer, "
           "key id, sender = host_id, rising sequence, HMAC-SHA256 verified by Python" % n,
           "\n".join(bad[:5]))
    tap.ok(n > 0 and not any("unkeyed" in x for x in bad), "an unkeyed reader "
           "(pfsync_reader.py, OpenBSD's checks) sees version 134, not 6, in every one: "
           "OpenBSD and an unkeyed dpf drop them (badver)")
    r.tshark_ip_checks(tap, pcap, [{"dst": GROUP}] * n)
    print("1..%d" % tap.n)
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"send": send, "plain": plain, "replay": replay, "capture": capture}[mode](*args)
