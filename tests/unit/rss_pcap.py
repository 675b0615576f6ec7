#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the queues a NIC's RSS would fill, for test_rss.sh.

  rss_pcap.py OUTDIR WORKERS FLOWS

OUTDIR/q<W>.pcap: the frames of FLOWS random flows (IPv4 and IPv6; UDP,
TCP SYNs and ICMP echo), each flow both ways, to net_pcap0's MAC, put on
worker W's queue as a NIC would: Toeplitz [Microsoft RSS spec] with dpf's
key (0x6d5a repeated) over source and destination address and, for TCP and
UDP, the ports, then a RETA of 128 entries programmed as dpf programs it
(entry i: worker (i mod 64) * WORKERS / 64, dataplane/dp.h dp_owner_of()).
The Toeplitz here is the textbook bit loop, written apart from dpf's.
OUTDIR/ctl.pcap is empty (the control core's queue).  Prints the number of
frames of each queue.
"""
import ipaddress
import os
import random
import sys

from scapy.all import Ether, ICMP, IP, IPv6, ICMPv6EchoRequest, TCP, UDP, wrpcap
from scapy.utils import PcapWriter

KEY = bytes([0x6d, 0x5a] * 20)
PORT_MAC = "02:70:63:61:70:00"   # net_pcap0 (net_pcap numbers its devices)
HOST_MAC = "02:00:00:00:01:02"


def toeplitz(data):
    k = int.from_bytes(KEY, "big")
    klen = len(KEY) * 8
    h = 0
    for i, byte in enumerate(data):
        for bit in range(8):
            if byte & (0x80 >> bit):
                pos = i * 8 + bit
                h ^= (k >> (klen - 32 - pos)) & 0xffffffff
    return h


def main():
    out, workers, flows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(0x525353)
    queues = [[] for _ in range(workers)]
    for _ in range(flows):
        v6 = rnd.random() < 0.4
        kind = rnd.choice(["udp", "tcp", "icmp"])
        if v6:
            a = str(ipaddress.IPv6Address((0x20010db8 << 96) | rnd.getrandbits(96)))
            b = str(ipaddress.IPv6Address((0x20010db8 << 96) | rnd.getrandbits(96)))
        else:
            a = str(ipaddress.IPv4Address((198 << 24) | (18 << 16) | rnd.getrandbits(17)))
            b = str(ipaddress.IPv4Address((198 << 24) | (18 << 16) | rnd.getrandbits(17)))
        pa, pb = rnd.randrange(1024, 65536), rnd.randrange(1, 65536)
        for src, dst, sp, dp in ((a, b, pa, pb), (b, a, pb, pa)):
            ipl = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
            if kind == "udp":
                l4 = UDP(sport=sp, dport=dp) / (b"x" * 8)
            elif kind == "tcp":
                l4 = TCP(sport=sp, dport=dp, flags="S", seq=rnd.getrandbits(32))
            else:
                l4 = (ICMPv6EchoRequest(id=pa, seq=1) if v6 else ICMP(id=pa, seq=1)) / (b"x" * 8)
            frame = Ether(src=HOST_MAC, dst=PORT_MAC) / ipl / l4
            data = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
            if kind != "icmp":
                data += sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
            entry = toeplitz(data) & 127
            queues[((entry & 63) * workers) >> 6].append(frame)
    for w, frames in enumerate(queues):
        wrpcap(os.path.join(out, "q%u.pcap" % w), frames)
    PcapWriter(os.path.join(out, "ctl.pcap"), linktype=1).close()
    print(" ".join(str(len(q)) for q in queues))


if __name__ == "__main__":
    main()
