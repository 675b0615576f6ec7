#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the pcap files tools/bench/run.sh replays through net_pcap.

  gen_pcap.py OUTDIR [--dst-mac MAC] [--frames N] [--flows N]
                     [--many N] [--rules N[,N...]] [--sizes S[,S...]]

OUTDIR/fwd-64.pcap    N frames of 60 B (64 B on the wire with FCS), IPv4 UDP,
                      lan hosts 198.18.1.0/24 -> 198.19.0.0/16 (routed by dpf
                      via the gateway 198.18.2.254), --flows distinct 5-tuples
                      round-robin (frame k belongs to flow k % flows).
OUTDIR/fwd-S.pcap     (--sizes) the same frames and flows at S B on the wire
                      (S-4 B in the file), 64 <= S <= 1518.
OUTDIR/fwd-imix.pcap  the same flows, simple IMIX 7:4:1 of 60/590/1514 B
                      (64/594/1518 B on the wire), sizes by position k % 12.
OUTDIR/ctl-sink.pcap  one 60 B frame to a foreign unicast MAC.  dpf gives
                      every port workers+1 RX queues and net_pcap infinite_rx
                      is device-wide, so the control core's queue on p0 needs
                      a file: this one is dropped at the first check in
                      dp_parse_pkt (l2-not-for-us) and never reaches a worker.
OUTDIR/arp-gw.pcap    64 sink frames, then one ARP request from the gateway
                      198.18.2.254 asking for dpf's wan address 198.18.2.1:
                      dpf learns the gateway MAC from it (RFC 826 merge with
                      target = our address).  Read once (no infinite_rx).
OUTDIR/empty.pcap     a pcap header and no packets (a queue that never
                      receives: net_pcap's non-infinite path returns 0 at EOF).
OUTDIR/flows-N.pcap   (--many N) N frames of 60 B, IPv4 UDP, frame i = flow i,
                      all N 5-tuples distinct (many_flow(); N <= 4194304):
                      replayed, the first pass creates N states and every
                      later pass hits them.  Written with struct, not scapy
                      (1M frames in a few seconds); the first frames are
                      checked against scapy's own checksums.
OUTDIR/rules-N.json   (--rules) a JSON array of N pf rules: N-1 that no bench
                      packet matches (bench_rules(): most overlap the bench
                      addresses and miss on protocol or port, the rest have
                      unused sources; mixed pass/block, in/out, interfaces,
                      ports and ranges) and a final "pass all", so every
                      first packet is classified against the whole ruleset
                      and decided by the last rule.

The destination MAC of the forwarded frames must be dpf's p0 MAC: dpf drops
unicast frames not addressed to its port.  net_pcap numbers its devices
02:70:63:61:70:NN in probe order, so net_pcap0 is 02:70:63:61:70:00.
"""
import argparse
import json
import os
import random
import struct
import sys

from scapy.all import ARP, Ether, IP, UDP, Raw, wrpcap  # noqa: E402
from scapy.utils import PcapWriter

HOST_MAC = "02:00:00:00:01:02"     # the lan-side sender
GW_MAC = "02:00:00:00:02:fe"       # the wan-side gateway
FOREIGN_MAC = "02:00:00:00:99:99"  # nobody's
# Frames (dropped as l2-not-for-us) ahead of the gateway's ARP request, so
# that dpf reads the ARP in its second or later control poll.  In the first
# poll local_poll() runs the neighbour timers (timer_us starts at 0) with a
# `now` sampled before the RX that learned the entry, so confirmed_us > now,
# the unsigned age underflows and the fresh entry goes straight to PROBE;
# nobody answers the probes in a replay, and 3 s later it is FAILED.
ARP_DELAY = 64


def flow(i):
    """The i-th 5-tuple: 64 sources x 16 destinations x distinct ports."""
    src = "198.18.1.%d" % (10 + i % 64)
    dst = "198.19.%d.%d" % ((i // 64) % 256, 1 + (i % 250))
    return src, dst, 1024 + i, 9


def udp_frame(dst_mac, i, size):
    src, dst, sport, dport = flow(i)
    hdr = Ether(src=HOST_MAC, dst=dst_mac) / IP(src=src, dst=dst, ttl=64) / UDP(
        sport=sport, dport=dport)
    pad = size - len(hdr)
    if pad < 0:
        raise ValueError("frame size %d too small" % size)
    return hdr / Raw(b"\x00" * pad)


def many_flow(i):
    """The i-th of the --many flows: (src, dst) is unique for i < 64 * 65536.

    src 198.18.1.10-73, dst 198.19.0.0/16 (dpf's route), sport varies too.
    """
    src = (198 << 24) | (18 << 16) | (1 << 8) | (10 + i % 64)
    dst = (198 << 24) | (19 << 16) | ((i // 64) % 65536)
    return src, dst, 1024 + i % 60000, 9


def _csum_fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def write_many(path, dst_mac, n):
    """N 60-byte IPv4/UDP frames (UDP payload 18 zero bytes), one per flow.

    Checksums (RFC 791 header, RFC 768 UDP with pseudo header) are computed
    from the fields; the fixed part of each sum is precomputed.
    """
    if n > 64 * 65536:
        raise ValueError("--many %d: at most %d distinct flows" % (n, 64 * 65536))
    eth = bytes.fromhex(dst_mac.replace(":", "")) + \
        bytes.fromhex(HOST_MAC.replace(":", "")) + b"\x08\x00"
    ulen = 8 + 18
    tlen = 20 + ulen
    # IPv4 header words other than the addresses: 4500, tlen, id 1,
    # flags/frag 0, ttl 64 / proto 17 (scapy's defaults for these frames).
    ip_fixed = 0x4500 + tlen + 1 + 0 + ((64 << 8) | 17)
    udp_fixed = 17 + ulen + ulen          # pseudo header proto + length, UDP length
    rec = struct.Struct("<IIII")           # pcap record header (little endian)
    hdr = struct.Struct("!BBHHHBBH4s4sHHHH")
    pad = b"\x00" * 18
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        recb = rec.pack(0, 0, 60, 60)
        out = []
        for i in range(n):
            src, dst, sp, dp = many_flow(i)
            aw = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff)
            ipc = _csum_fold(ip_fixed + aw)
            uc = _csum_fold(udp_fixed + aw + sp + dp) or 0xffff
            out.append(recb + eth + hdr.pack(0x45, 0, tlen, 1, 0, 64, 17, ipc,
                                             src.to_bytes(4, "big"), dst.to_bytes(4, "big"),
                                             sp, dp, ulen, uc) + pad)
            if len(out) == 65536:
                f.write(b"".join(out))
                out = []
        f.write(b"".join(out))
    # Self-check: scapy rebuilds the first frames' checksums identically.
    from scapy.all import rdpcap
    for k, p in enumerate(rdpcap(path, count=min(n, 64))):
        src, dst, sp, dp = many_flow(k)
        ref = Ether(bytes(p))
        del ref[IP].chksum
        del ref[UDP].chksum
        if bytes(Ether(bytes(ref))) != bytes(p) or p[UDP].sport != sp:
            raise RuntimeError("flows pcap frame %d differs from scapy's" % k)


def bench_rules(n, seed):
    """N rules; none but the last ("pass all") matches any bench packet.

    Bench frames are UDP from 198.18.1.0/24 to 198.19.0.0/16 port 9, never
    translated.  Two thirds of the N-1 rules overlap those addresses (a
    source inside 198.18.0.0/15 or any, a destination inside 198.19.0.0/16
    or any) and miss on the protocol (tcp) or the port (udp, ports and
    ranges from 10 up), so the classifier walks the address fields of every
    first packet as deep as the rules go; one third have a source in a /8
    the bench never uses.  Directions, actions and interfaces vary.
    """
    rnd = random.Random(seed)
    octets = [o for o in range(1, 224) if o not in (10, 127, 198)]
    rules = []

    def pfx(base, blen, lo):
        plen = rnd.randint(max(lo, blen), 32)
        a = base | (rnd.getrandbits(32 - blen) if blen < 32 else 0)
        a &= (0xffffffff << (32 - plen)) & 0xffffffff
        return "%d.%d.%d.%d/%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, plen)

    def ports():
        p = rnd.randrange(10, 65536)
        if rnd.randrange(2):
            return "port %d" % p
        return "port %d:%d" % (p, min(65535, p + rnd.randrange(1000)))

    for _ in range(n - 1):
        r = rnd.choice(["pass", "block"])
        r += rnd.choice([" in", " out", ""])
        if rnd.randrange(4) == 0:
            r += rnd.choice([" on lan", " on wan", " on { lan wan }"])
        kind = rnd.randrange(3)
        if kind == 0:
            src = pfx(rnd.choice(octets) << 24, 8, 8)
            dst = rnd.choice(["any", pfx(rnd.choice(octets) << 24, 8, 8), "198.19.0.0/16"])
            proto = rnd.choice(["tcp", "udp"])
        else:
            src = rnd.choice(["any", pfx(0xc6120000, 15, 15), pfx(0xc6120100, 24, 24)])
            dst = rnd.choice(["any", pfx(0xc6130000, 16, 16)])
            proto = "tcp" if kind == 1 else "udp"
        if kind == 1 and rnd.randrange(4) == 0:
            r += " proto tcp from %s to %s" % (src, dst)
        else:
            r += " proto %s from %s to %s %s" % (proto, src, dst, ports())
        rules.append(r)
    rules.append("pass all")
    return rules


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--dst-mac", default="02:70:63:61:70:00")
    ap.add_argument("--frames", type=int, default=4096)
    ap.add_argument("--flows", type=int, default=1024)
    ap.add_argument("--many", type=int, default=0)
    ap.add_argument("--rules", default="")
    ap.add_argument("--sizes", default="")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    out = lambda n: os.path.join(a.outdir, n)  # noqa: E731

    wrpcap(out("fwd-64.pcap"),
           [udp_frame(a.dst_mac, k % a.flows, 60) for k in range(a.frames)])
    for size in (int(x) for x in a.sizes.split(",") if x):
        if not 64 <= size <= 1518:
            ap.error("--sizes: %d is not within 64..1518" % size)
        wrpcap(out("fwd-%d.pcap" % size),
               [udp_frame(a.dst_mac, k % a.flows, size - 4) for k in range(a.frames)])
    imix = [60] * 7 + [590] * 4 + [1514]
    wrpcap(out("fwd-imix.pcap"),
           [udp_frame(a.dst_mac, k % a.flows, imix[k % 12]) for k in range(a.frames)])
    wrpcap(out("ctl-sink.pcap"), [udp_frame(FOREIGN_MAC, 0, 60)])
    # 64 sink frames first: the ARP must not be learned in the control
    # core's first poll (see ARP_DELAY below).
    wrpcap(out("arp-gw.pcap"), [udp_frame(FOREIGN_MAC, 0, 60)] * ARP_DELAY + [
        Ether(src=GW_MAC, dst="ff:ff:ff:ff:ff:ff") /
        ARP(op=1, hwsrc=GW_MAC, psrc="198.18.2.254", hwdst="00:00:00:00:00:00",
            pdst="198.18.2.1") / Raw(b"\x00" * 18)])
    w = PcapWriter(out("empty.pcap"), linktype=1, sync=True)
    w.write_header(None)
    w.close()
    if a.many:
        write_many(out("flows-%d.pcap" % a.many), a.dst_mac, a.many)
    for n in (int(x) for x in a.rules.split(",") if x):
        with open(out("rules-%d.json" % n), "w") as f:
            json.dump(bench_rules(n, n), f, indent=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
