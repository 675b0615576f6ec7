#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the pcap files tools/bench/run.sh replays through net_pcap.

  gen_pcap.py OUTDIR [--dst-mac MAC] [--frames N] [--flows N]

OUTDIR/fwd-64.pcap    N frames of 60 B (64 B on the wire with FCS), IPv4 UDP,
                      lan hosts 198.18.1.0/24 -> 198.19.0.0/16 (routed by dpf
                      via the gateway 198.18.2.254), --flows distinct 5-tuples
                      round-robin (frame k belongs to flow k % flows).
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

The destination MAC of the forwarded frames must be dpf's p0 MAC: dpf drops
unicast frames not addressed to its port.  net_pcap numbers its devices
02:70:63:61:70:NN in probe order, so net_pcap0 is 02:70:63:61:70:00.
"""
import argparse
import os
import sys

from scapy.all import ARP, Ether, IP, UDP, Raw, wrpcap  # noqa: E402
from scapy.utils import PcapWriter

HOST_MAC = "02:00:00:00:01:02"     # the lan-side sender
GW_MAC = "02:00:00:00:02:fe"       # the wan-side gateway
FOREIGN_MAC = "02:00:00:00:99:99"  # nobody's
# Frames (dropped as l2-not-for-us) ahead of the gateway's ARP request, so
# that dpf reads the ARP in its second or later control poll.  In the first
# poll local_poll() runs the neighbour timers (timer_tsc starts at 0) with a
# `now` sampled before the RX that learned the entry, so confirmed_tsc > now,
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--dst-mac", default="02:70:63:61:70:00")
    ap.add_argument("--frames", type=int, default=4096)
    ap.add_argument("--flows", type=int, default=1024)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    out = lambda n: os.path.join(a.outdir, n)  # noqa: E731

    wrpcap(out("fwd-64.pcap"),
           [udp_frame(a.dst_mac, k % a.flows, 60) for k in range(a.frames)])
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
