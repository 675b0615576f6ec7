#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seeds of fuzz_pfsync_rx into corpus/pfsync_rx/ (run from anywhere).

Each seed is the harness's input format (tests/fuzz/fuzz_pfsync_rx.c): one
flags byte, then packets as a 2-byte big-endian length and the bytes.  The
pfsync packets are packed here with struct at the offsets of OpenBSD's
sys/net/if_pfsync.h (header, subheader, small records) and sys/net/pfvar.h
(struct pfsync_state, pfsync_state_key, pfsync_state_peer), not from
proto/pfsync.h, so the seeds are what an OpenBSD peer would send: INS, UPD,
UPD_C, DEL_C, UPD_REQ (one state and 0/0, the bulk request), CLR, BUS,
INS_ACK, TDB, and a few packets OpenBSD's pfsync_input drops.
"""
import os
import struct

F_RAW, F_KEEPSUM, F_BATCH, F_AUTH, F_DEFER = 0x01, 0x02, 0x04, 0x08, 0x10
PFSTATE_ACK = 0x0010         # the sender holds a deferred packet
AUTH_KEY = bytes(range(16))  # the harness's fz_key
HOSTID = 0x0A0B0C0D          # the harness's own creator id
PEER = 0x00000077            # the peer's
AF_INET, AF_INET6 = 2, 24    # OpenBSD's
ACT = {"CLR": 0, "INS_ACK": 2, "UPD_C": 4, "UPD_REQ": 5, "DEL": 6, "DEL_C": 7,
       "BUS": 10, "INS": 13, "UPD": 14, "TDB": 15}
SIZE = {0: 20, 2: 12, 4: 84, 5: 12, 6: 264, 7: 12, 10: 12, 13: 264, 14: 264, 15: 52}


def ip4(s):
    return bytes(int(x) for x in s.split(".")) + bytes(12)


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def peer(state, seqlo=1000, seqhi=70000, win=65535, wscale=0):
    """pfsync_state_peer (32): scrub 8, seqlo, seqhi, seqdiff, max_win, mss, state,
    wscale, pad 6."""
    return bytes(8) + struct.pack(">IIIHHBB", seqlo, seqhi, 0, win, 1460, state, wscale) + bytes(6)


def key(a0, a1, p0, p1, af):
    """pfsync_state_key (40): addr[2], port[2], rdomain, af, pad."""
    return a0 + a1 + struct.pack(">HHHBB", p0, p1, 0, af, 0)


def state(sid, cid, a0, a1, p0, p1, proto=6, af=AF_INET, timeout=2, levels=(4, 4),
          expire=86000, state_flags=0):
    """pfsync_state (264), an "in" state of a TCP/UDP flow from a0:p0 to a1:p1."""
    k = key(a0, a1, p0, p1, af)
    rec = struct.pack(">Q", sid) + b"any".ljust(16, b"\0") + k + k
    rec += peer(levels[0]) + peer(levels[1], 5000, 9000)
    rec += bytes(16) + struct.pack(">IIIII", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 30, expire)
    rec += struct.pack(">IIII", 0, 10, 0, 9) + struct.pack(">IIII", 0, 1500, 0, 900)
    rec += struct.pack(">IiiHBBBBBBBBBBHBB", cid, 0, 0, 0, af, proto, 1, 0, 0, timeout,
                       0, 0, 0, 0, state_flags, 0, 0)
    assert len(rec) == 264
    return rec


def upd_c(sid, cid, levels=(4, 4), seq=2000, timeout=2):
    rec = struct.pack(">Q", sid) + peer(levels[0], seq) + peer(levels[1], 6000, 9000)
    rec += struct.pack(">IIBBH", cid, 0, timeout, 0, 0)
    assert len(rec) == 84
    return rec


def idrec(sid, cid):
    return struct.pack(">QI", sid, cid)


def clr(cid, ifname=b""):
    return ifname.ljust(16, b"\0") + struct.pack(">I", cid)


def bus(cid, status):
    return struct.pack(">IIB3x", cid, 0, status)


def tdb():
    return struct.pack(">I", 0x1000) + bytes(28) + struct.pack(">QQBBH", 16384, 100, 50, 0, 0)


def pfsync(*sections, version=6, extra_len=0):
    """pfsync_header (20) and sections [(action name, [records])]."""
    body = b""
    for act, recs in sections:
        a = ACT[act]
        body += struct.pack(">BBH", a, SIZE[a] // 4, len(recs)) + b"".join(recs)
    return struct.pack(">BBH", version, 0, 20 + len(body) + extra_len) + bytes(16) + body


def ipv4(payload, ttl=255, proto=240, src="198.18.3.2", dst="224.0.0.240"):
    """A whole IPv4 packet (checksum left 0: the harness sets it)."""
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0x10, 20 + len(payload), 1, 0x4000, ttl, proto, 0,
                      bytes(int(x) for x in src.split(".")),
                      bytes(int(x) for x in dst.split(".")))
    return hdr + payload


def sealed(pkt, seq, sender=PEER, key=AUTH_KEY, src="198.18.3.2", dst="224.0.0.240"):
    """pkt (v6) as an authenticated packet (docs/pfsync.md, "Authentication"),
    for the harness's addresses; computed with hmac/hashlib, not dpf's code."""
    import hashlib
    import hmac
    body = bytes([0x86, pkt[1]]) + struct.pack(">H", len(pkt) + 48) + pkt[4:]
    body += hashlib.sha256(key).digest()[:4] + struct.pack(">IQ", sender, seq)
    addrs = b"".join(bytes(int(x) for x in a.split(".")) for a in (src, dst))
    return body + hmac.new(key, addrs + body, hashlib.sha256).digest()


def seed(flags, *pkts):
    return bytes([flags]) + b"".join(struct.pack(">H", len(p)) + p for p in pkts)


CLI, SRV = ip4("198.18.1.10"), ip4("198.18.2.20")


def tcp(i, cid=PEER, **kw):
    return state(0x100 + i, cid, CLI, SRV, 40000 + i, 80, **kw)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pfsync_rx")
    os.makedirs(out, exist_ok=True)
    own = [(1 << 63) | (w << 26) | i for w in (0, 1) for i in range(80)]
    seeds = {
        "ins-tcp": seed(0, pfsync(("INS", [tcp(0)]))),
        "ins-udp-v6": seed(0, pfsync(("INS", [state(0x200, PEER, ip6("2001:db8:1::10"),
                                                    ip6("2001:db8:2::20"), 5353, 53, proto=17,
                                                    af=AF_INET6, timeout=8,
                                                    levels=(2, 2))]))),
        "ins-updc-delc": seed(0, pfsync(("INS", [tcp(1), tcp(2)])),
                              pfsync(("UPD_C", [upd_c(0x101, PEER)])),
                              pfsync(("UPD_C", [upd_c(0x101, PEER, levels=(2, 2), seq=1)])),
                              pfsync(("DEL_C", [idrec(0x102, PEER)]))),
        "upd-insert-merge": seed(0, pfsync(("UPD", [tcp(3)])),
                                 pfsync(("UPD", [tcp(3, levels=(5, 4))]))),
        "updc-unknown": seed(0, pfsync(("UPD_C", [upd_c(0x999, PEER), upd_c(0x998, PEER)]))),
        "upd-req-one": seed(0, pfsync(("INS", [tcp(4)])),
                            pfsync(("UPD_REQ", [idrec(0x104, PEER), idrec(0x555, PEER)]))),
        "upd-req-bulk": seed(0, pfsync(("INS", [tcp(i) for i in range(5, 12)])),
                             pfsync(("UPD_REQ", [idrec(0, 0)]))),
        "clr-same-packet": seed(0, pfsync(("INS", [tcp(12), tcp(13), tcp(14, cid=0x88)]),
                                          ("CLR", [clr(PEER)]))),
        "clr-later": seed(0, pfsync(("INS", [tcp(15), tcp(16, cid=0x88)])),
                          pfsync(("CLR", [clr(PEER)]))),
        "ins-same-id-two-keys": seed(0, pfsync(("INS", [tcp(30)] + [
            state(0x100 + 30, PEER, CLI, SRV, 40030 + j, 80) for j in range(1, 5)]))),
        "bus": seed(0, pfsync(("BUS", [bus(PEER, 1)])), pfsync(("INS", [tcp(17)])),
                    pfsync(("BUS", [bus(PEER, 2)]))),
        "mixed-sections": seed(0, pfsync(("INS_ACK", [idrec(0x101, PEER)]), ("TDB", [tdb()]),
                                         ("INS", [tcp(18)]), ("DEL", [tcp(18)]))),
        "delc-own-batch": seed(F_BATCH, *[pfsync(("DEL_C", [idrec(i, HOSTID)
                                                            for i in own[k::4]]))
                                          for k in range(4)] * 4),
        "ins-batch": seed(F_BATCH, *[pfsync(("INS", [tcp(20 + 5 * k + j) for j in range(5)]))
                                     for k in range(16)]),
        "raw-ins": seed(F_RAW, ipv4(pfsync(("INS", [tcp(19)])))),
        "raw-bad-ttl": seed(F_RAW, ipv4(pfsync(("INS", [tcp(19)])), ttl=64)),
        "raw-bad-sum": seed(F_RAW | F_KEEPSUM, ipv4(pfsync(("INS", [tcp(19)])))),
        "bad-version": seed(0, pfsync(("INS", [tcp(19)]), version=5)),
        "bad-len": seed(0, pfsync(("INS", [tcp(19)]), extra_len=4)),
        "short-header": seed(0, bytes([6, 0, 0, 20]) + bytes(8)),
        "ins-ack-asked": seed(0, pfsync(("INS", [tcp(40, state_flags=PFSTATE_ACK), tcp(41)])),
                              pfsync(("UPD", [tcp(42, state_flags=PFSTATE_ACK)])),
                              pfsync(("INS", [tcp(40, state_flags=PFSTATE_ACK)]))),
        "defer-ins-ack": seed(F_DEFER, pfsync(("INS_ACK", [idrec(i, HOSTID) for i in own[:3]]
                                                + [idrec(0x101, PEER), idrec(5, HOSTID)])),
                              pfsync(("INS", [tcp(43, state_flags=PFSTATE_ACK)]))),
        "auth-ins-updc-delc": seed(F_AUTH, sealed(pfsync(("INS", [tcp(1), tcp(2)])), 1),
                                   sealed(pfsync(("UPD_C", [upd_c(0x101, PEER)])), 2),
                                   sealed(pfsync(("DEL_C", [idrec(0x102, PEER)])), 3)),
        "auth-upd-req-bulk": seed(F_AUTH, sealed(pfsync(("INS", [tcp(i) for i in range(5, 12)])),
                                                 1 << 32 | 1),
                                  sealed(pfsync(("UPD_REQ", [idrec(0, 0)])), 1 << 32 | 2)),
        "auth-replay-wrong-key-plain": seed(F_AUTH, sealed(pfsync(("INS", [tcp(3)])), 5),
                                            sealed(pfsync(("INS", [tcp(3)])), 5),
                                            sealed(pfsync(("INS", [tcp(4)])), 4),
                                            sealed(pfsync(("INS", [tcp(4)])), 6,
                                                   key=bytes(16)),
                                            pfsync(("INS", [tcp(4)]))),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
