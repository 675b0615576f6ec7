#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile packets for test_hostile.sh, built by scapy and sent at layer 2
from the client namespace to dpf's lan port (Debian's scapy: run with
/usr/bin/python3).

  hostile_probe.py hostile IFACE GW_MAC   every class dpf must drop; prints
                                          "name reason count" per class
  hostile_probe.py good IFACE GW_MAC      packets dpf must forward (UDP to
                                          ports 7100..7102)

Addresses: the client 198.18.1.2 / 2001:db8:1::2, the server 198.18.2.2 /
2001:db8:2::2 (tests/integration/lib.sh).  Hostile packets go to UDP or TCP
port 7000..7099 of the server, or are ICMP; the good ones to 7100..7102.
"""

import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.all import (ICMP, IP, IPOption_LSRR, IPOption_SSRR, IPv6,  # noqa: E402
                       ICMPv6DestUnreach, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting,
                       Ether, TCP, UDP, conf,
                       sendp)

conf.verb = 0

CLI4, SRV4 = "198.18.1.2", "198.18.2.2"
CLI6, SRV6 = "2001:db8:1::2", "2001:db8:2::2"


def hostile(gw):
    """(name, drop reason in `dpfctl -j show info` "drops", packet) per class."""
    e = Ether(dst=gw)
    u4 = IP(src=CLI4, dst=SRV4)
    u6 = IPv6(src=CLI6, dst=SRV6)
    udp = UDP(sport=40000, dport=7000) / b"hostile"
    inner4 = IP(src=SRV4, dst=CLI4) / UDP(sport=7000, dport=40000)
    inner6 = IPv6(src=SRV6, dst=CLI6) / UDP(sport=7000, dport=40000)
    return [
        # RFC 1812 5.2.2
        ("ip4-bad-cksum", "ip4-bad-cksum", e / IP(src=CLI4, dst=SRV4, chksum=0x1234) / udp),
        # pf: IP options without allow-opts; source routing above all
        ("ip4-lsrr", "ip-option",
         e / IP(src=CLI4, dst=SRV4, options=[IPOption_LSRR(routers=["198.18.2.9"])]) / udp),
        ("ip4-ssrr", "ip-option",
         e / IP(src=CLI4, dst=SRV4, options=[IPOption_SSRR(routers=["198.18.2.9"])]) / udp),
        # RFC 5095, RFC 8200 4.1
        ("ip6-rh0", "ip6-rh0", e / u6 / IPv6ExtHdrRouting(addresses=["2001:db8:2::9"]) / udp),
        # pf: a routing header (not type 0) is IPv6's "IP options": allow-opts
        ("ip6-rh4", "ip-option",
         e / u6 / IPv6ExtHdrSegmentRouting(addresses=[SRV6], segleft=0) / udp),
        ("ip6-hbh-second", "ip6-hbh-not-first",
         e / u6 / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / udp),
        ("ip6-9-ext", "ip6-ext-too-many", e / u6 / IPv6ExtHdrHopByHop() /
         IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / udp),
        # ICMPv4 inside IPv6, and ICMP errors with bad quotes
        ("icmp4-in-ip6", "icmp-wrong-af", e / IPv6(src=CLI6, dst=SRV6, nh=1) / ICMP()),
        ("icmp4-quote-cut", "quote-short",
         e / u4 / ICMP(type=3, code=3) / bytes(inner4)[:24]),
        ("icmp6-quote-cut", "quote-short",
         e / u6 / ICMPv6DestUnreach(code=4) / bytes(inner6)[:30]),
        ("icmp4-quoting-ip6", "quote-bad-af", e / u4 / ICMP(type=3, code=3) / inner6),
        # RFC 1812 5.3.7, RFC 6890
        ("src-127", "martian-source", e / IP(src="127.0.0.1", dst=SRV4) / udp),
        ("src-0", "martian-source", e / IP(src="0.0.0.7", dst=SRV4) / udp),
        ("src-multicast", "martian-source", e / IP(src="224.0.0.1", dst=SRV4) / udp),
        ("src-broadcast", "martian-source", e / IP(src="255.255.255.255", dst=SRV4) / udp),
        ("src6-loopback", "martian-source", e / IPv6(src="::1", dst=SRV6) / udp),
        ("src6-multicast", "martian-source", e / IPv6(src="ff02::1", dst=SRV6) / udp),
        ("src6-v4mapped", "martian-source", e / IPv6(src="::ffff:198.18.1.2", dst=SRV6) / udp),
        # destinations a router does not forward to, default route or not
        # (RFC 1812 5.3.7, RFC 4291 2.5.2/2.5.3, RFC 6890 "Forwardable: False")
        ("dst-127", "martian-destination", e / IP(src=CLI4, dst="127.0.0.1") / udp),
        ("dst-0", "martian-destination", e / IP(src=CLI4, dst="0.1.2.3") / udp),
        ("dst-240", "martian-destination", e / IP(src=CLI4, dst="240.0.0.1") / udp),
        ("dst6-loopback", "martian-destination", e / IPv6(src=CLI6, dst="::1") / udp),
        ("dst6-unspecified", "martian-destination", e / IPv6(src=CLI6, dst="::") / udp),
        ("dst6-v4mapped", "martian-destination",
         e / IPv6(src=CLI6, dst="::ffff:198.18.2.2") / udp),
        # RFC 1812 5.3.4
        ("l2-broadcast", "l2-broadcast-unicast-ip", Ether(dst="ff:ff:ff:ff:ff:ff") / u4 / udp),
        ("l2-multicast6", "l2-broadcast-unicast-ip", Ether(dst="33:33:00:00:00:09") / u6 / udp),
        # pf_normalize_tcp()
        ("tcp-syn-rst", "tcp-bad-flags", e / u4 / TCP(sport=40001, dport=7001, flags="SR")),
        ("tcp-syn-fin", "tcp-bad-flags", e / u4 / TCP(sport=40002, dport=7001, flags="SF")),
        ("tcp-no-flags", "tcp-bad-flags", e / u4 / TCP(sport=40003, dport=7001, flags="")),
        ("tcp-fin-no-ack", "tcp-bad-flags", e / u4 / TCP(sport=40004, dport=7001, flags="F")),
        ("tcp6-syn-rst", "tcp-bad-flags", e / u6 / TCP(sport=40005, dport=7001, flags="SR")),
        # a truncated datagram: counted once under "short"
        ("ip4-truncated", "ip4-truncated", e / IP(src=CLI4, dst=SRV4, len=400) / udp),
    ]


def good(gw):
    e = Ether(dst=gw)
    return [
        # allow-opts on the rules for port 7100
        e / IP(src=CLI4, dst=SRV4, options=[IPOption_LSRR(routers=["198.18.2.9"])]) /
        UDP(sport=40100, dport=7100) / b"opts",
        e / IPv6(src=CLI6, dst=SRV6) / IPv6ExtHdrSegmentRouting(addresses=[SRV6], segleft=0) /
        UDP(sport=40103, dport=7100) / b"rh4",
        # RFC 6946: an atomic fragment is a whole datagram
        e / IPv6(src=CLI6, dst=SRV6) / IPv6ExtHdrFragment(m=0, offset=0, id=0x1234) /
        UDP(sport=40101, dport=7101) / b"atomic",
        # exactly 8 extension headers
        e / IPv6(src=CLI6, dst=SRV6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
        UDP(sport=40102, dport=7102) / b"eight",
    ]


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("hostile", "good"):
        sys.exit(__doc__)
    iface, gw = sys.argv[2], sys.argv[3]
    if sys.argv[1] == "hostile":
        for name, reason, p in hostile(gw):
            sendp(p, iface=iface)
            print(name, reason)
    else:
        for p in good(gw):
            sendp(p, iface=iface)


if __name__ == "__main__":
    main()
