#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Known-answer vectors for proto/pkt (tests/unit/test_pkt.c), built by scapy.

Regenerate (Debian's scapy, not a pyenv python) from the repository root:

    /usr/bin/python3 tests/unit/gen_pkt_vectors.py > tests/unit/pkt_vectors.h

With --corpus DIR it also writes every vector's bytes to DIR/<name> as seeds
for the fuzz target (tests/fuzz/corpus/pkt; keep any crash-* files there).

scapy builds every packet (lengths and checksums included, unless a field is
set explicitly to make it malformed).  The expected values are read back
from scapy's own dissection of the bytes (Ether(raw)): field values, layer
positions (len(raw) - len(bytes(layer))) and option contents as scapy
reports them, never from our parser.  For malformed packets the expected
reason is the one proto/pkt.h documents for the defect the packet was
built with.

The header defines, per vector, the packet bytes and a list of (field,
value) checks; test_pkt.c defines the field names (PV_*) and the structs.
"""

import logging
import os
import struct
import sys

from scapy.all import (ARP, Dot1AD, Dot3, Dot1Q, Ether, ICMP, ICMPv6DestUnreach,
                       ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA,
                       ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS,
                       ICMPv6ND_Redirect, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                       ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, ICMPv6ParamProblem,
                       ICMPv6TimeExceeded, IP, IPOption,
                       IPOption_LSRR, IPOption_NOP, IPOption_Router_Alert,
                       IPOption_EOL, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, Jumbo,
                       HBHOptUnknown, PadN, Padding, Raw, RouterAlert, TCP,
                       UDP, bind_layers,
                       conf, fragment, fragment6, inet_pton)
from scapy.layers.inet6 import HAO, socket

conf.verb = 0
logging.getLogger("scapy").setLevel(logging.ERROR)
# Pre-standard QinQ TPID, so that scapy dissects it like 802.1ad.
bind_layers(Ether, Dot1AD, type=0x9100)

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
V4_A, V4_B, V4_C = "198.18.0.1", "198.18.1.2", "198.19.0.9"
V6_A, V6_B, V6_C = "2001:db8::1", "2001:db8:1::2", "2001:db8:2::99"
LL_A, LL_B = "fe80::a", "fe80::b"

IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 = 1, 6, 17, 58
EXT6 = (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting,
        IPv6ExtHdrFragment, IPv6ExtHdrDestOpt)

vectors = []


def b16(addr, af):
    """Address as the 16 bytes struct pkt_meta keeps (IPv4 zero-padded)."""
    if af == 4:
        return inet_pton(socket.AF_INET, addr) + bytes(12)
    return inet_pton(socket.AF_INET6, addr)


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def off_of(raw, layer):
    """Where scapy's layer starts in raw."""
    return len(raw) - len(bytes(layer))


class Exp:
    """Expected fields of one struct pkt_meta, as (PV_ name, value)."""

    def __init__(self, prefix=""):
        self.prefix = prefix
        self.items = []
        self.flags = []

    def __setitem__(self, name, value):
        self.items.append((self.prefix + name, value))

    def flag(self, *names):
        self.flags.extend(names)


def tcp_expect(e, t, raw, l4_off, l4_len, first_frag):
    e["SPORT"] = t.sport
    e["DPORT"] = t.dport
    e["TCP_SEQ"] = t.seq
    e["TCP_ACK"] = t.ack
    e["TCP_FLAGS"] = int(t.flags)
    e["TCP_WIN"] = t.window
    e["TCP_URP"] = t.urgptr
    e["TCP_HLEN"] = t.dataofs * 4
    e["PAYLOAD_LEN"] = l4_len - t.dataofs * 4
    opts = 0
    for kind, val in t.options:
        if kind == "MSS":
            opts |= 0x01
            e["TCP_MSS"] = val
        elif kind == "WScale":
            opts |= 0x02
            e["TCP_WSCALE"] = val
        elif kind == "SAckOK":
            opts |= 0x04
        elif kind == "SAck":
            opts |= 0x08
            e["TCP_SACK_N"] = len(val) // 2
            e["TCP_SACK"] = struct.pack("!%dI" % len(val), *val)
        elif kind == "Timestamp":
            opts |= 0x10
            e["TCP_TS_VAL"] = val[0]
            e["TCP_TS_ECR"] = val[1]
    e["TCP_OPTS"] = opts
    e.flag("PKT_F_L4")


def udp_expect(e, u, l4_len, frag):
    e["SPORT"] = u.sport
    e["DPORT"] = u.dport
    e["UDP_LEN"] = u.len
    e["PAYLOAD_LEN"] = l4_len - 8 if frag else u.len - 8
    e.flag("PKT_F_L4")


def icmp4_expect(e, ic, raw, l4_off, l4_len):
    e["ICMP_TYPE"] = ic.type
    e["ICMP_CODE"] = ic.code
    e["ICMP_REST"] = struct.unpack("!I", raw[l4_off + 4:l4_off + 8])[0]
    e["PAYLOAD_LEN"] = l4_len - 8
    if ic.type in (0, 8, 13, 14, 15, 16, 17, 18):
        e["ICMP_ID"] = ic.id
        e["ICMP_SEQ"] = ic.seq
    if ic.type == 3 and ic.code == 4:
        e["ICMP_MTU"] = ic.nexthopmtu
    if ic.type == 12:
        e["ICMP_PPTR"] = ic.ptr
    if ic.type in (3, 4, 5, 11, 12):
        e["ICMP_INNER_OFF"] = l4_off + 8
        e["ICMP_INNER_LEN"] = l4_len - 8
        e.flag("PKT_F_ICMP_ERR")
    e.flag("PKT_F_L4")


def icmp6_expect(e, ic, raw, l4_off, l4_len):
    e["ICMP_TYPE"] = ic.type
    e["ICMP_CODE"] = ic.code
    e["ICMP_REST"] = struct.unpack("!I", raw[l4_off + 4:l4_off + 8])[0]
    e["PAYLOAD_LEN"] = l4_len - 8
    if isinstance(ic, (ICMPv6EchoRequest, ICMPv6EchoReply)):
        e["ICMP_ID"] = ic.id
        e["ICMP_SEQ"] = ic.seq
    if isinstance(ic, ICMPv6PacketTooBig):
        e["ICMP_MTU"] = ic.mtu
    if isinstance(ic, ICMPv6ParamProblem):
        e["ICMP_PPTR"] = ic.ptr
    if ic.type in (1, 2, 3, 4):
        e["ICMP_INNER_OFF"] = l4_off + 8
        e["ICMP_INNER_LEN"] = l4_len - 8
        e.flag("PKT_F_ICMP_ERR")
    if isinstance(ic, (ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_Redirect)):
        e["ND_TARGET"] = b16(ic.tgt, 6)
    if isinstance(ic, ICMPv6ND_Redirect):
        e["ND_REDIR_DST"] = b16(ic.dst, 6)
    if isinstance(ic, ICMPv6ND_NA):
        e["ND_FLAGS"] = ic.R << 7 | ic.S << 6 | ic.O << 5
    if isinstance(ic, ICMPv6ND_RA):
        e["ND_FLAGS"] = (ic.M << 7 | ic.O << 6 | ic.H << 5 | ic.prf << 3 |
                         ic.P << 2 | ic.res)
        e["ND_HLIM"] = ic.chlim
        e["ND_LIFETIME"] = ic.routerlifetime
        e["ND_REACHABLE"] = ic.reachabletime
        e["ND_RETRANS"] = ic.retranstimer
    if ic.type in (133, 134, 135, 136, 137):
        o = ic.payload
        while o is not None and not isinstance(o, (Raw, Padding)) and len(bytes(o)):
            # scapy's target lladdr option subclasses the source one: test it first.
            if isinstance(o, ICMPv6NDOptDstLLAddr):
                e["ND_TLL_OFF"] = off_of(raw, o) + 2
                e["ND_TLL"] = mac(o.lladdr)
            elif isinstance(o, ICMPv6NDOptSrcLLAddr):
                e["ND_SLL_OFF"] = off_of(raw, o) + 2
                e["ND_SLL"] = mac(o.lladdr)
            elif isinstance(o, ICMPv6NDOptMTU):
                e["ND_MTU"] = o.mtu
            o = o.payload if o.payload else None
    e.flag("PKT_F_L4")


def l4_expect(e, proto, l4, raw, l4_off, l4_len, frag, first_frag):
    e["L4_OFF"] = l4_off
    e["L4_LEN"] = l4_len
    if proto == IPPROTO_TCP:
        tcp_expect(e, l4, raw, l4_off, l4_len, first_frag)
    elif proto == IPPROTO_UDP:
        udp_expect(e, l4, l4_len, frag)
    elif proto == IPPROTO_ICMP:
        icmp4_expect(e, l4, raw, l4_off, l4_len)
    elif proto == IPPROTO_ICMPV6:
        icmp6_expect(e, l4, raw, l4_off, l4_len)
    else:
        e["PAYLOAD_LEN"] = l4_len


def ip4_expect(e, ip, raw, l3_off):
    hl = ip.ihl * 4
    e["L3"] = "PKT_L3_IPV4"
    e["L3_OFF"] = l3_off
    e["L3_HLEN"] = hl
    e["IP_LEN"] = ip.len
    e["TTL"] = ip.ttl
    e["TOS"] = ip.tos
    e["PROTO"] = ip.proto
    e["IP_ID"] = ip.id
    e["SRC"] = b16(ip.src, 4)
    e["DST"] = b16(ip.dst, 4)
    if hl > 20:
        e.flag("PKT_F_IP_OPTS")
    if any(isinstance(o, IPOption_Router_Alert) for o in ip.options):
        e.flag("PKT_F_ROUTER_ALERT")
    if ip.flags.DF:
        e.flag("PKT_F_DF")
    frag = bool(ip.flags.MF or ip.frag)
    if frag:
        e.flag("PKT_F_FRAG")
        e["FRAG_OFF"] = ip.frag * 8
        e["FRAG_ID"] = ip.id
        if ip.flags.MF:
            e.flag("PKT_F_FRAG_MORE")
        if ip.frag == 0:
            e.flag("PKT_F_FRAG_FIRST")
        else:
            return
    l4_off = l3_off + hl
    l4_expect(e, ip.proto, ip.payload, raw, l4_off, ip.len - hl, frag,
              frag and ip.frag == 0)


def ip6_expect(e, ip6, raw, l3_off):
    e["L3"] = "PKT_L3_IPV6"
    e["L3_OFF"] = l3_off
    e["IP_LEN"] = 40 + ip6.plen
    e["TTL"] = ip6.hlim
    e["TOS"] = ip6.tc
    e["FLOW"] = ip6.fl
    e["SRC"] = b16(ip6.src, 6)
    e["DST"] = b16(ip6.dst, 6)
    nh = ip6.nh
    layer = ip6.payload
    frag = first = False
    while isinstance(layer, EXT6):
        if isinstance(layer, (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt)):
            e.flag("PKT_F_IP_OPTS")
            if any(isinstance(o, RouterAlert) for o in layer.options):
                e.flag("PKT_F_ROUTER_ALERT")
        if isinstance(layer, (IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting)):
            e.flag("PKT_F_IP6_RH")
        if isinstance(layer, IPv6ExtHdrFragment):
            e.flag("PKT_F_IP6_FRAG_HDR")
            e["FRAG_HDR_OFF"] = off_of(raw, layer)
            e["FRAG_ID"] = layer.id
            e["FRAG_OFF"] = layer.offset * 8
            if layer.offset or layer.m:
                frag = True
                e.flag("PKT_F_FRAG")
                if layer.m:
                    e.flag("PKT_F_FRAG_MORE")
                if layer.offset:
                    e["PROTO"] = layer.nh
                    e["L3_HLEN"] = off_of(raw, layer) + 8 - l3_off
                    return
                first = True
                e.flag("PKT_F_FRAG_FIRST")
        nh = layer.nh
        layer = layer.payload
    l4_off = off_of(raw, layer)
    e["PROTO"] = nh
    e["L3_HLEN"] = l4_off - l3_off
    l4_expect(e, nh, layer, raw, l4_off, l3_off + 40 + ip6.plen - l4_off, frag,
              first)


def quoted_expect(outer_raw, inner_off, inner_len, af):
    """Expected pkt_parse_quoted() result for the quote scapy dissected."""
    raw = outer_raw[inner_off:inner_off + inner_len]
    e = Exp("Q_")
    e.flag("PKT_F_QUOTED")
    if af == 4:
        ip = IP(raw)
        hl = ip.ihl * 4
        e["L3"] = "PKT_L3_IPV4"
        e["L3_HLEN"] = hl
        e["IP_LEN"] = ip.len
        e["TTL"] = ip.ttl
        e["TOS"] = ip.tos
        e["PROTO"] = ip.proto
        e["IP_ID"] = ip.id
        e["SRC"] = b16(ip.src, 4)
        e["DST"] = b16(ip.dst, 4)
        if ip.flags.DF:
            e.flag("PKT_F_DF")
        l4_off, end = hl, min(ip.len, len(raw))
        trunc = ip.len > len(raw)
        proto = ip.proto
    else:
        ip = IPv6(raw)
        e["L3"] = "PKT_L3_IPV6"
        e["IP_LEN"] = 40 + ip.plen
        e["TTL"] = ip.hlim
        e["TOS"] = ip.tc
        e["FLOW"] = ip.fl
        e["SRC"] = b16(ip.src, 6)
        e["DST"] = b16(ip.dst, 6)
        l4_off, end = 40, min(40 + ip.plen, len(raw))
        trunc = 40 + ip.plen > len(raw)
        proto = ip.nh
        e["L3_HLEN"] = 40
        e["PROTO"] = proto
    if trunc:
        e.flag("PKT_F_TRUNC")
    e["L4_OFF"] = l4_off
    e["L4_LEN"] = end - l4_off
    h = raw[l4_off:l4_off + 8]
    if proto in (IPPROTO_TCP, IPPROTO_UDP):
        # Read back through scapy's dissection of the (maybe cut) quote.
        l4 = TCP(h) if proto == IPPROTO_TCP else UDP(h)
        e["SPORT"] = l4.sport
        e["DPORT"] = l4.dport
        if proto == IPPROTO_TCP:
            e["TCP_SEQ"] = l4.seq
        else:
            e["UDP_LEN"] = l4.len
        e.flag("PKT_F_L4")
    elif proto == IPPROTO_ICMP:
        ic = ICMP(h)
        e["ICMP_TYPE"] = ic.type
        e["ICMP_CODE"] = ic.code
        e["ICMP_REST"] = struct.unpack("!I", h[4:8])[0]
        if ic.type in (0, 8):
            e["ICMP_ID"] = ic.id
            e["ICMP_SEQ"] = ic.seq
        e.flag("PKT_F_L4")
    return e


def expect(raw):
    """Every field scapy reports for a well-formed frame."""
    e = Exp()
    p = Ether(raw)
    layer, nvlan = p, 0
    while isinstance(layer.payload, (Dot1Q, Dot1AD)):
        layer = layer.payload
        e["VLAN%d" % nvlan] = layer.prio << 13 | layer.id << 12 | layer.vlan
        nvlan += 1
    e["N_VLAN"] = nvlan
    e["L2_LEN"] = 14 + 4 * nvlan
    # scapy dissects a type <= 1500 as an 802.3 length (Dot3 "len").
    etype = layer.len if isinstance(layer, Dot3) else layer.type
    e["ETHERTYPE"] = etype
    l3 = layer.payload
    l3_off = 14 + 4 * nvlan
    if etype == 0x0806:
        e["L3"] = "PKT_L3_ARP"
        e["L3_OFF"] = l3_off
        e["L3_HLEN"] = 28
        e["ARP_OP"] = l3.op
        e["ARP_SHA"] = mac(l3.hwsrc)
        e["ARP_SPA"] = inet_pton(socket.AF_INET, l3.psrc)
        e["ARP_THA"] = mac(l3.hwdst)
        e["ARP_TPA"] = inet_pton(socket.AF_INET, l3.pdst)
    elif etype == 0x0800:
        ip4_expect(e, l3, raw, l3_off)
    elif etype == 0x86dd:
        ip6_expect(e, l3, raw, l3_off)
    return e


def vec(what, pkt, err="OK", quote_err="OK", fields=True, cksum="OK",
        l4_flip=True):
    """One vector: pkt is a scapy packet (built here) or raw bytes."""
    raw = bytes(pkt)
    v = {"what": what, "raw": raw, "err": err, "qerr": quote_err,
         "exp": None, "qexp": None, "qaf": 0, "ip_flip": -1, "l4_flip": -1,
         "l4_err": "OK", "cksum": cksum}
    if err == "OK" and fields:
        e = expect(raw)
        v["exp"] = e
        d = dict(e.items)
        fl = set(e.flags)
        if d.get("L3") == "PKT_L3_IPV4":
            v["ip_flip"] = d["L3_OFF"] + 4
        if "PKT_F_ICMP_ERR" in fl:
            v["qaf"] = 4 if d["PROTO"] == IPPROTO_ICMP else 6
            if quote_err == "OK":
                v["qexp"] = quoted_expect(raw, d["ICMP_INNER_OFF"],
                                          d["ICMP_INNER_LEN"], v["qaf"])
        if "PKT_F_L4" in fl and "PKT_F_FRAG" not in fl and l4_flip:
            proto, l4 = d["PROTO"], d["L4_OFF"]
            v["l4_flip"], v["l4_err"] = {
                IPPROTO_TCP: (l4 + 16, "TCP_BAD_CKSUM"),
                IPPROTO_UDP: (l4 + 0, "UDP_BAD_CKSUM"),
                IPPROTO_ICMP: (l4 + 2, "ICMP_BAD_CKSUM"),
                IPPROTO_ICMPV6: (l4 + 2, "ICMP6_BAD_CKSUM"),
            }[proto]
    vectors.append(v)


# ---------------------------------------------------------------- valid

eth = Ether(src=MAC_A, dst=MAC_B)

vec("tcp4-syn-all-options",
    eth / IP(src=V4_A, dst=V4_B, ttl=61, tos=0x10, id=0x1234, flags="DF") /
    TCP(sport=40000, dport=443, seq=0x01020304, flags="S", window=64240,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)),
                 ("NOP", None), ("WScale", 7)]))
vec("tcp4-ack-sack-data",
    eth / IP(src=V4_B, dst=V4_A, id=7) /
    TCP(sport=443, dport=40000, seq=0xfffffff0, ack=0x01020305, flags="PA",
        window=501, urgptr=0,
        options=[("NOP", None), ("NOP", None), ("Timestamp", (0xdeadbeef, 123456)),
                 ("NOP", None), ("NOP", None),
                 ("SAck", (1000, 2000, 3000, 4000))]) / (b"x" * 33))
vec("tcp4-fin-ack-urg-ece-cwr",
    eth / IP(src=V4_A, dst=V4_B) /
    TCP(sport=1, dport=2, seq=5, ack=6, flags="FAUEC", urgptr=9) / b"u")
vec("tcp4-rst-no-ack", eth / IP(src=V4_A, dst=V4_B) / TCP(sport=1, dport=2, seq=5, flags="R"))
vec("tcp4-syn-psh-urg", eth / IP(src=V4_A, dst=V4_B) / TCP(sport=1, dport=2, flags="SPU"))
# Exactly PKT_IP6_EXT_MAX (8) extension headers: the most that pass.
vec("ip6-ext-8-udp", eth / IPv6(src=V6_A, dst=V6_B) / IPv6ExtHdrHopByHop() /
    IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
    IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
    UDP(sport=1234, dport=5678) / b"eight")
vec("tcp4-options-eol",
    eth / IP(src=V4_A, dst=V4_B) /
    TCP(sport=1024, dport=22, flags="S",
        options=[("MSS", 536), ("EOL", None), ("NOP", None), ("NOP", None)]))
vec("ip4-options-ra-lsrr-udp",
    eth / IP(src=V4_A, dst=V4_B, options=[IPOption_Router_Alert(), IPOption_NOP(),
                                          IPOption_LSRR(routers=[V4_C, "198.19.0.10"]),
                                          IPOption_EOL()]) /
    UDP(sport=5000, dport=53) / b"query")
vec("ip4-options-nop-only",
    eth / IP(src=V4_A, dst=V4_B, options=[IPOption_NOP()] * 4) / ICMP(id=1, seq=2))

big4 = IP(src=V4_A, dst=V4_B, id=0xbeef, proto=IPPROTO_UDP) / UDP(sport=7, dport=9) / (b"F" * 1200)
frags4 = fragment(big4, fragsize=480)
vec("ip4-frag-first-udp", eth / frags4[0])
vec("ip4-frag-middle", eth / frags4[1])
vec("ip4-frag-last", eth / frags4[2])
tfrags = fragment(IP(src=V4_A, dst=V4_B, id=77) / TCP(sport=80, dport=81, flags="A") /
                  (b"T" * 100), fragsize=64)
vec("ip4-frag-first-tcp", eth / tfrags[0])
vec("ip4-frag-last-tcp", eth / tfrags[-1])

vec("vlan-dot1q-tcp4",
    eth / Dot1Q(vlan=10, prio=5) / IP(src=V4_A, dst=V4_B) / TCP(sport=3333, dport=80))
vec("qinq-88a8-udp6",
    eth / Dot1AD(vlan=100, prio=1, id=1) / Dot1Q(vlan=4094) /
    IPv6(src=V6_A, dst=V6_B, tc=0xb8, fl=0x12345) / UDP(sport=546, dport=547) / b"dhcp")
vec("qinq-9100-icmp4",
    Ether(src=MAC_A, dst=MAC_B, type=0x9100) / Dot1Q(vlan=7) / Dot1Q(vlan=8) /
    IP(src=V4_A, dst=V4_B) / ICMP(type=8, id=0x4242, seq=3) / b"ping")

vec("arp-request",
    Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") /
    ARP(op=1, hwsrc=MAC_A, psrc=V4_A, hwdst="00:00:00:00:00:00", pdst=V4_B))
vec("arp-reply-padded",
    Ether(src=MAC_B, dst=MAC_A) /
    ARP(op=2, hwsrc=MAC_B, psrc=V4_B, hwdst=MAC_A, pdst=V4_A) / Padding(b"\0" * 18))

vec("ip6-hbh-rh2-fragatomic-dst-tcp",
    eth / IPv6(src=V6_A, dst=V6_B, hlim=17) /
    IPv6ExtHdrHopByHop(options=[RouterAlert()]) /
    IPv6ExtHdrRouting(type=2, segleft=1, addresses=[V6_C]) /
    IPv6ExtHdrFragment(id=0xabcdef01, m=0, offset=0) /
    IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
    TCP(sport=2000, dport=8080, seq=99, ack=100, flags="SA",
        options=[("MSS", 1440), ("WScale", 14), ("SAckOK", b"")]))
vec("ip6-srh-udp",
    eth / IPv6(src=V6_A, dst=V6_B) /
    IPv6ExtHdrSegmentRouting(addresses=[V6_C, V6_B], segleft=1) /
    UDP(sport=4000, dport=4001) / b"srv6")
vec("ip6-dst-hao-udp",
    eth / IPv6(src=V6_A, dst=V6_B) /
    IPv6ExtHdrDestOpt(options=[HAO(hoa=V6_C)]) / UDP(sport=1111, dport=2222) / b"mip6")
big6 = (IPv6(src=V6_A, dst=V6_B) / IPv6ExtHdrFragment(id=0x55667788) /
        UDP(sport=3000, dport=3001) / (b"S" * 1000))
frags6 = fragment6(big6, 600)
vec("ip6-frag-first-udp", eth / frags6[0])
vec("ip6-frag-last", eth / frags6[-1])
vec("ip6-esp", eth / IPv6(src=V6_A, dst=V6_B, nh=50) / (b"\x00\x00\x10\x01" + b"E" * 20))
vec("ip6-no-next-header", eth / IPv6(src=V6_A, dst=V6_B) / IPv6ExtHdrDestOpt(nh=59))
vec("ip4-gre", eth / IP(src=V4_A, dst=V4_B, proto=47) / (b"\x00\x00\x08\x00" + b"G" * 8))

vec("udp4", eth / IP(src=V4_A, dst=V4_B) / UDP(sport=1234, dport=5678) / b"hello")
vec("udp4-no-cksum", eth / IP(src=V4_A, dst=V4_B) / UDP(sport=1234, dport=5678, chksum=0) /
    b"hello", l4_flip=False)
vec("udp4-eth-padding",
    eth / IP(src=V4_A, dst=V4_B) / UDP(sport=68, dport=67) / b"ab" / Padding(b"\xee" * 16))
# UDP length 10 inside 18 bytes of IP payload.  scapy checksums whatever
# follows the IP header, so the 10-byte datagram is built (and summed) on
# its own first and the 8 trailing bytes appended after it.
udp10 = bytes((IP(src=V4_A, dst=V4_B) / UDP(sport=9, dport=10) / b"ab")[UDP])
vec("udp4-len-short-of-ip", eth / IP(src=V4_A, dst=V4_B, proto=17) / (udp10 + b"trailing"))
vec("udp6", eth / IPv6(src=V6_A, dst=V6_B) / UDP(sport=1234, dport=5678) / b"hello6")
vec("udp6-zero-cksum", eth / IPv6(src=V6_A, dst=V6_B) / UDP(sport=1, dport=2, chksum=0) / b"z",
    cksum="UDP6_ZERO_CKSUM", l4_flip=False)

vec("icmp4-echo-request",
    eth / IP(src=V4_A, dst=V4_B) / ICMP(type=8, id=0x1234, seq=1) / (b"p" * 56))
vec("icmp4-echo-reply",
    eth / IP(src=V4_B, dst=V4_A) / ICMP(type=0, id=0x1234, seq=1) / (b"p" * 56))
vec("icmp4-timestamp",
    eth / IP(src=V4_A, dst=V4_B) /
    ICMP(type=13, id=5, seq=6, ts_ori=1000, ts_rx=2000, ts_tx=3000))

inner_tcp4 = IP(src=V4_B, dst=V4_C, id=321, flags="DF", ttl=1) / TCP(sport=40001, dport=80,
                                                                     seq=0x11223344, flags="S")
inner_udp4 = IP(src=V4_B, dst=V4_C, ttl=3) / UDP(sport=33434, dport=33435) / (b"t" * 12)
vec("icmp4-unreach-port-udp",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=3) / inner_udp4)
vec("icmp4-unreach-needfrag-tcp",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=4, nexthopmtu=1400) / inner_tcp4)
vec("icmp4-timxceed-tcp-rfc792-cut",
    eth / IP(src=V4_A, dst=V4_B) / ICMP(type=11, code=0) / Raw(bytes(inner_tcp4)[:28]))
vec("icmp4-paramprob-udp",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=12, code=0, ptr=20) / inner_udp4)
vec("icmp4-redirect-tcp",
    eth / IP(src=V4_A, dst=V4_B) / ICMP(type=5, code=1, gw=V4_C) / inner_tcp4)
vec("icmp4-sourcequench-udp",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=4, code=0) / inner_udp4)
vec("icmp4-unreach-quoting-echo",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=1, nexthopmtu=1234) /
    IP(src=V4_B, dst=V4_C) / ICMP(type=8, id=77, seq=78) / b"abcd")
vec("icmp4-timxceed-quoting-error",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=11, code=0) /
    IP(src=V4_B, dst=V4_C) / ICMP(type=3, code=3) / Raw(bytes(inner_udp4)[:28]))
vec("icmp4-unreach-quote-4-bytes",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=3) / Raw(bytes(inner_udp4)[:24]),
    quote_err="QUOTE_SHORT")
vec("icmp4-unreach-quoting-icmp6",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=2) /
    IP(src=V4_B, dst=V4_C, proto=58) / ICMPv6EchoRequest(), quote_err="ICMP_WRONG_AF")
vec("icmp6-unreach-quoting-icmp4",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6DestUnreach() /
    IPv6(src=V6_B, dst=V6_C, nh=1) / ICMP(), quote_err="ICMP_WRONG_AF")
vec("icmp4-unreach-quote-short-ip",
    eth / IP(src=V4_C, dst=V4_B) / ICMP(type=3, code=3) / Raw(bytes(inner_udp4)[:12]),
    quote_err="IP4_SHORT")

inner_tcp6 = IPv6(src=V6_B, dst=V6_C, hlim=1) / TCP(sport=50000, dport=443, seq=0x55aa55aa)
inner_udp6 = IPv6(src=V6_B, dst=V6_C, hlim=2) / UDP(sport=33434, dport=33435) / b"trace"
vec("icmp6-echo-request", eth / IPv6(src=V6_A, dst=V6_B) / ICMPv6EchoRequest(id=9, seq=10,
                                                                            data=b"x" * 16))
vec("icmp6-echo-reply", eth / IPv6(src=V6_B, dst=V6_A) / ICMPv6EchoReply(id=9, seq=10))
vec("icmp6-packet-too-big-tcp",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6PacketTooBig(mtu=1280) / inner_tcp6)
vec("icmp6-dest-unreach-udp",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6DestUnreach(code=4) / inner_udp6)
vec("icmp6-time-exceeded-udp",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6TimeExceeded(code=0) / inner_udp6)
vec("icmp6-param-problem-tcp",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6ParamProblem(code=1, ptr=40) / inner_tcp6)
vec("icmp6-ptb-quote-cut",
    eth / IPv6(src=V6_C, dst=V6_B) / ICMPv6PacketTooBig(mtu=1400) /
    Raw(bytes(IPv6(src=V6_B, dst=V6_C) / TCP(sport=1, dport=2, seq=3) / (b"d" * 100))[:48]))

nd_ip = IPv6(src=LL_A, dst="ff02::1:ff00:b", hlim=255)
vec("nd-ns", eth / nd_ip / ICMPv6ND_NS(tgt=LL_B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
vec("nd-ns-dad", eth / IPv6(src="::", dst="ff02::1:ff00:b", hlim=255) / ICMPv6ND_NS(tgt=LL_B))
vec("nd-na",
    eth / IPv6(src=LL_B, dst=LL_A, hlim=255) / ICMPv6ND_NA(R=1, S=1, O=0, tgt=LL_B) /
    ICMPv6NDOptDstLLAddr(lladdr=MAC_B))
vec("nd-rs",
    eth / IPv6(src=LL_A, dst="ff02::2", hlim=255) / ICMPv6ND_RS() /
    ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
vec("nd-ra",
    eth / IPv6(src=LL_B, dst="ff02::1", hlim=255) /
    ICMPv6ND_RA(chlim=64, M=1, O=1, routerlifetime=1800, reachabletime=30000,
                retranstimer=1000) /
    ICMPv6NDOptSrcLLAddr(lladdr=MAC_B) / ICMPv6NDOptMTU(mtu=1500) /
    ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64))
vec("nd-redirect",
    eth / IPv6(src=LL_B, dst=LL_A, hlim=255) / ICMPv6ND_Redirect(tgt=LL_B, dst=V6_C) /
    ICMPv6NDOptDstLLAddr(lladdr=MAC_B))

# Limits exactly reached: 8 extension headers, 40 bytes of IPv4 and TCP options.
vec("ip6-eight-ext-headers",
    eth / IPv6(src=V6_A, dst=V6_B) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
    IPv6ExtHdrRouting(type=4, segleft=0, addresses=[V6_C]) / IPv6ExtHdrFragment(id=1) /
    IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
    UDP(sport=8, dport=8))
vec("ip4-options-40-bytes",
    eth / IP(src=V4_A, dst=V4_B, options=[IPOption_NOP()] * 36 + [IPOption_Router_Alert()]) /
    TCP(sport=5, dport=6))
vec("tcp4-options-40-bytes",
    eth / IP(src=V4_A, dst=V4_B) /
    TCP(sport=5, dport=6, flags="S",
        options=[("MSS", 9000), ("WScale", 15), ("SAckOK", b""), ("Timestamp", (1, 2)),
                 ("NOP", None), ("NOP", None), ("NOP", None), ("NOP", None), ("NOP", None),
                 ("NOP", None), ("NOP", None), ("NOP", None), ("SAck", (5, 6)), ("EOL", None)]))

vec("non-ip-lldp",
    Ether(src=MAC_A, dst="01:80:c2:00:00:0e", type=0x88cc) / (b"\x02\x07" + b"L" * 20))
vec("non-ip-8023-llc", Ether(src=MAC_A, dst=MAC_B, type=38) / (b"\x42\x42\x03" + b"\0" * 35))

# ------------------------------------------------------------ malformed

def I4(**kw):
    """IPv4 with the test addresses: scapy would otherwise pick a source
    from this machine's routing table."""
    return IP(src=V4_A, dst=V4_B, **kw)


def I6(**kw):
    return IPv6(src=V6_A, dst=V6_B, **kw)



ip4 = IP(src=V4_A, dst=V4_B)
ip6 = IPv6(src=V6_A, dst=V6_B)
tcp = TCP(sport=1000, dport=2000)
udp = UDP(sport=1000, dport=2000)

vec("bad-eth-short", bytes(eth)[:13], err="ETH_SHORT")
vec("bad-vlan-short", bytes(Ether(src=MAC_A, dst=MAC_B, type=0x8100)) + b"\x00\x0a",
    err="VLAN_SHORT")
vec("bad-vlan-depth-3",
    eth / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / ip4 / udp, err="VLAN_TOO_MANY")
vec("bad-arp-short", bytes(eth / ARP())[:14 + 27], err="ARP_SHORT")
# scapy gives an unknown hardware type 0-byte addresses: pad to ARP's 28 bytes.
vec("bad-arp-hwtype", eth / ARP(hwtype=6) / Padding(b"\0" * 12), err="ARP_BAD_HW")
vec("bad-arp-hwlen", eth / ARP(hwlen=8) / (b"\0" * 4), err="ARP_BAD_HW")
vec("bad-arp-ptype", eth / ARP(ptype=0x86dd), err="ARP_BAD_PROTO")
vec("bad-arp-op", eth / ARP(op=3), err="ARP_BAD_OP")
vec("bad-ip4-short", Ether(src=MAC_A, dst=MAC_B, type=0x0800) / (b"\x45" + b"\0" * 18),
    err="IP4_SHORT")
vec("bad-ip4-version", eth / I4(version=5) / udp, err="IP4_BAD_VERSION")
vec("bad-ip4-version-6-in-0800", Ether(src=MAC_A, dst=MAC_B, type=0x0800) / ip6 / udp,
    err="IP4_BAD_VERSION")
vec("bad-ip4-ihl-4", eth / I4(ihl=4) / udp, err="IP4_BAD_IHL")
vec("bad-ip4-ihl-beyond-data", eth / I4(ihl=15), err="IP4_IHL_TRUNCATED")
vec("bad-ip4-ihl-beyond-by-4", eth / I4(ihl=6), err="IP4_IHL_TRUNCATED")
vec("bad-ip4-totlen-below-ihl", eth / I4(len=20, options=[IPOption_NOP()] * 4),
    err="IP4_BAD_TOTLEN")
vec("bad-ip4-totlen-beyond-data", eth / I4(len=200) / udp / b"short", err="IP4_TRUNCATED")
vec("bad-ip4-opt-len-1", eth / I4(options=[IPOption(b"\x07\x01\x00\x00")]) / udp,
    err="IP4_OPT_BAD")
vec("bad-ip4-opt-len-overrun", eth / I4(options=[IPOption(b"\x44\x09\x05\x00")]) / udp,
    err="IP4_OPT_BAD")
vec("bad-ip4-opt-overrun-by-1", eth / I4(options=[IPOption(b"\x01\x44\x04\x05")]) / udp,
    err="IP4_OPT_BAD")
vec("bad-ip4-opt-len-at-end", eth / I4(options=[IPOption(b"\x01\x01\x01\x94")]) / udp,
    err="IP4_OPT_BAD")
vec("bad-tcp-short", eth / I4(proto=6) / tcp.build()[:19], err="TCP_SHORT")
vec("bad-tcp-doff-4", eth / ip4 / TCP(dataofs=4), err="TCP_BAD_DOFF")
vec("bad-tcp-doff-beyond", eth / ip4 / TCP(dataofs=15) / b"abc", err="TCP_DOFF_TRUNCATED")
vec("bad-tcp-opt-len-1", eth / ip4 / TCP(dataofs=6) / b"\x08\x01\x00\x00", err="TCP_OPT_BAD")
vec("bad-tcp-opt-len-overrun", eth / ip4 / TCP(dataofs=6) / b"\x01\x08\x0a\x00",
    err="TCP_OPT_BAD")
vec("bad-tcp-opt-overrun-by-1", eth / ip4 / TCP(dataofs=6) / b"\x01\x01\x1e\x03",
    err="TCP_OPT_BAD")
vec("bad-tcp-opt-mss-len-3", eth / ip4 / TCP(dataofs=6) / b"\x02\x03\x05\x01",
    err="TCP_OPT_BAD")
vec("bad-tcp-opt-sack-len-6", eth / ip4 / TCP(dataofs=7) / b"\x05\x06\0\0\0\0\0\0",
    err="TCP_OPT_BAD")
vec("bad-tcp-opt-kind-at-end", eth / ip4 / TCP(dataofs=6) / b"\x01\x01\x01\x03",
    err="TCP_OPT_BAD")
vec("bad-tcp-dport-0", eth / ip4 / TCP(sport=1, dport=0), err="L4_DPORT_ZERO")
# pf_normalize_tcp()'s drops (proto/pkt.h pkt_tcp_flags_bad()).
vec("bad-tcp-syn-rst", eth / ip4 / TCP(sport=1, dport=2, flags="SR"), err="TCP_BAD_FLAGS")
vec("bad-tcp-syn-fin", eth / ip4 / TCP(sport=1, dport=2, flags="SF"), err="TCP_BAD_FLAGS")
vec("bad-tcp-no-flags", eth / ip4 / TCP(sport=1, dport=2, flags=""), err="TCP_BAD_FLAGS")
vec("bad-tcp-fin-no-ack", eth / ip4 / TCP(sport=1, dport=2, flags="F"), err="TCP_BAD_FLAGS")
vec("bad-tcp-xmas", eth / ip4 / TCP(sport=1, dport=2, flags="FPU"), err="TCP_BAD_FLAGS")
vec("bad-tcp6-syn-rst", eth / ip6 / TCP(sport=1, dport=2, flags="SRA"), err="TCP_BAD_FLAGS")
vec("bad-udp-short", eth / I4(proto=17) / udp.build()[:7], err="UDP_SHORT")
vec("bad-udp-len-7", eth / ip4 / UDP(len=7) / b"x", err="UDP_BAD_LEN")
vec("bad-udp-len-beyond", eth / ip4 / UDP(len=100) / (b"x" * 10), err="UDP_TRUNCATED")
vec("bad-udp-dport-0", eth / ip4 / UDP(sport=1, dport=0), err="L4_DPORT_ZERO")
vec("bad-udp6-len-beyond", eth / ip6 / UDP(len=30) / b"x", err="UDP_TRUNCATED")
vec("bad-icmp-short", eth / I4(proto=1) / b"\x08\x00\x00\x00", err="ICMP_SHORT")
vec("bad-icmp6-short", eth / I6(nh=58) / b"\x80\x00\x00\x00\x00\x00\x00", err="ICMP6_SHORT")
vec("bad-icmp4-in-ip6", eth / I6(nh=1) / ICMP(), err="ICMP_WRONG_AF")
vec("bad-icmp6-in-ip4", eth / I4(proto=58) / ICMPv6EchoRequest(), err="ICMP_WRONG_AF")
vec("bad-ip6-short", Ether(src=MAC_A, dst=MAC_B, type=0x86dd) / bytes(ip6)[:39],
    err="IP6_SHORT")
vec("bad-ip6-version", eth / I6(version=4) / udp, err="IP6_BAD_VERSION")
vec("bad-ip6-plen-beyond", eth / I6(plen=500) / udp, err="IP6_TRUNCATED")
vec("bad-ip6-ext-too-many", eth / ip6 / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()) /
    IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
    IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / udp,
    err="IP6_EXT_TOO_MANY")
vec("bad-ip6-hbh-not-first", eth / ip6 / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / udp,
    err="IP6_HBH_NOT_FIRST")
vec("bad-ip6-ext-past-data", eth / ip6 / IPv6ExtHdrHopByHop(len=4, autopad=0),
    err="IP6_EXT_TRUNCATED")
vec("bad-ip6-ext-cut-at-4", eth / I6(nh=60) / b"\x11\x00\x01\x02", err="IP6_EXT_TRUNCATED")
vec("bad-ip6-opt-overrun-by-1", eth / ip6 /
    IPv6ExtHdrHopByHop(autopad=0, options=[HBHOptUnknown(otype=0x1e, optlen=5, optdata=b"abcd")]) /
    udp, err="IP6_OPT_BAD")
vec("bad-ip6-opt-overrun", eth / ip6 /
    IPv6ExtHdrHopByHop(autopad=0, options=[HBHOptUnknown(otype=0x1e, optlen=9, optdata=b"ab"),
                                           PadN(optdata=b"")]) / udp,
    err="IP6_OPT_BAD")
vec("bad-ip6-jumbo", eth / I6(plen=0) / IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)]) /
    udp, err="IP6_JUMBO")
vec("bad-ip6-rh0", eth / ip6 / IPv6ExtHdrRouting(addresses=[V6_C]) / udp, err="IP6_RH0")
vec("bad-ip6-rh-twice", eth / ip6 / IPv6ExtHdrRouting(type=2, addresses=[V6_C]) /
    IPv6ExtHdrRouting(type=2, addresses=[V6_C]) / udp, err="IP6_RH_MULTI")
vec("bad-ip6-frag-twice", eth / ip6 / IPv6ExtHdrFragment() / IPv6ExtHdrFragment() / udp,
    err="IP6_FRAG_MULTI")

vec("bad-frag4-tiny-tcp", eth / I4(proto=6, flags="MF", frag=0) / b"\x04\x00\x00\x50\0\0\0\0",
    err="FRAG_TINY")
vec("bad-frag4-tiny-tcp-options",
    eth / I4(proto=6, flags="MF", frag=0) / TCP(dataofs=10, sport=1, dport=2) / (b"\x01" * 4),
    err="FRAG_TINY")
vec("bad-frag4-tiny-udp", eth / I4(proto=17, flags="MF", frag=0) / b"", err="FRAG_TINY")
# Reassembled length exactly 65535 is fine, 65536 is not.
vec("ip4-frag-ends-at-65535", eth / IP(src=V4_A, dst=V4_B, proto=17, frag=8189) / b"end")
vec("bad-frag4-offset-overflow", eth / I4(proto=17, frag=8189) / b"end!",
    err="FRAG_BAD_OFFSET")
vec("bad-frag4-mf-len-not-8", eth / I4(proto=17, flags="MF") / UDP(sport=1, dport=2) / b"abc",
    err="FRAG_BAD_LEN")
vec("bad-frag4-tcp-offset-8", eth / I4(proto=6, frag=1) / (b"\0" * 16), err="FRAG_L4_OVERLAP")
vec("bad-frag6-tiny-tcp",
    eth / ip6 / IPv6ExtHdrFragment(m=1, nh=6) / b"\x04\x00\x00\x50\0\0\0\0",
    err="FRAG_TINY")
vec("bad-frag6-chain-past-first",
    eth / ip6 / IPv6ExtHdrFragment(m=1) / IPv6ExtHdrDestOpt(len=2, autopad=0) / (b"\0" * 14),
    err="FRAG_TINY")
vec("ip6-frag-ends-at-65535",
    eth / IPv6(src=V6_A, dst=V6_B) / IPv6ExtHdrFragment(offset=8191, m=0, nh=17, id=3) /
    b"1234567")
vec("bad-frag6-offset-overflow",
    eth / ip6 / IPv6ExtHdrFragment(offset=8191, m=0, nh=17) / b"12345678",
    err="FRAG_BAD_OFFSET")
vec("bad-frag6-m-len-not-8",
    eth / ip6 / IPv6ExtHdrFragment(offset=0, m=1) / UDP(sport=1, dport=2) / b"abc",
    err="FRAG_BAD_LEN")
vec("bad-frag6-tcp-offset-16",
    eth / ip6 / IPv6ExtHdrFragment(offset=2, m=0, nh=6) / (b"\0" * 8), err="FRAG_L4_OVERLAP")

vec("bad-nd-ns-hlim-64",
    eth / IPv6(src=LL_A, dst=LL_B, hlim=64) / ICMPv6ND_NS(tgt=LL_B), err="ND_BAD_HOPLIMIT")
vec("bad-nd-ra-hlim-254",
    eth / IPv6(src=LL_A, dst="ff02::1", hlim=254) / ICMPv6ND_RA(), err="ND_BAD_HOPLIMIT")
vec("bad-nd-na-code-1", eth / nd_ip / ICMPv6ND_NA(code=1, tgt=LL_B), err="ND_BAD_CODE")
vec("bad-nd-ns-opt-len-0",
    eth / nd_ip / ICMPv6ND_NS(tgt=LL_B) / ICMPv6NDOptSrcLLAddr(len=0, lladdr=MAC_A),
    err="ND_OPT_BAD_LEN")
vec("bad-nd-ns-opt-len-past-end",
    eth / nd_ip / ICMPv6ND_NS(tgt=LL_B) / ICMPv6NDOptSrcLLAddr(len=2, lladdr=MAC_A),
    err="ND_OPT_TRUNCATED")
vec("bad-nd-ns-opt-1-byte", eth / nd_ip / ICMPv6ND_NS(tgt=LL_B) / b"\x01",
    err="ND_OPT_TRUNCATED")
vec("bad-nd-ns-multicast-target", eth / nd_ip / ICMPv6ND_NS(tgt="ff02::1"),
    err="ND_BAD_TARGET")
vec("bad-nd-redirect-multicast-dst",
    eth / IPv6(src=LL_B, dst=LL_A, hlim=255) / ICMPv6ND_Redirect(tgt=LL_B, dst="ff05::2"),
    err="ND_BAD_TARGET")
vec("bad-nd-ns-short", eth / IPv6(src=LL_A, dst=LL_B, hlim=255, nh=58) /
    b"\x87\x00\x00\x00\x00\x00\x00\x00\xfe\x80", err="ND_SHORT")
vec("bad-nd-ra-short", eth / IPv6(src=LL_A, dst=LL_B, hlim=255, nh=58) /
    b"\x86\x00\x00\x00\x40\x00\x07\x08\x00\x00\x00\x00", err="ND_SHORT")
vec("bad-nd-ns-fragment",
    eth / IPv6(src=LL_A, dst=LL_B, hlim=255) / IPv6ExtHdrFragment(m=0) / ICMPv6ND_NS(tgt=LL_B),
    err="ND_FRAGMENTED")

# -------------------------------------------------------------- output


def c_ident(s):
    return "".join(c if c.isalnum() else "_" for c in s)


def c_bytes(b, indent="\t"):
    out = []
    for i in range(0, len(b), 14):
        out.append(indent + " ".join("0x%02x," % x for x in b[i:i + 14]))
    return "\n".join(out)


def c_pack(items, indent="\t", width=100):
    """Items joined with spaces into lines of at most width columns."""
    lines, cur = [], ""
    for it in items:
        if cur and len(indent.expandtabs(8)) + len(cur) + 1 + len(it) > width:
            lines.append(indent + cur)
            cur = it
        else:
            cur = cur + " " + it if cur else it
    if cur:
        lines.append(indent + cur)
    return lines


def c_str(b):
    return '"' + "".join("\\x%02x" % x for x in b) + '"'


def c_checks(name, e):
    lines = ["static const struct pv_check %s[] = {" % name]
    nums = []
    for f, v in e.items:
        if isinstance(v, bytes):
            lines.append("\t{ PV_%s, 0, %s, %d }," % (f, c_str(v), len(v)))
        elif isinstance(v, str):
            nums.append("{ PV_%s, %s }," % (f, v))
        else:
            nums.append("{ PV_%s, %#x }," % (f, v))
    flags = " | ".join(sorted(set(e.flags))) or "0"
    nums.append("{ PV_%sFLAGS, %s }," % (e.prefix, flags))
    lines.extend(c_pack(nums))
    lines.append("};")
    return "\n".join(lines)


def write_corpus(d):
    os.makedirs(d, exist_ok=True)
    for v in vectors:
        with open(os.path.join(d, v["what"]), "wb") as f:
            f.write(v["raw"])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        write_corpus(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit("usage: gen_pkt_vectors.py [--corpus DIR] > pkt_vectors.h")
    names = set()
    out = ["/* SPDX-License-Identifier: BSD-3-Clause */",
           "/*",
           " * Generated by tests/unit/gen_pkt_vectors.py from scapy's packets and",
           " * dissection: do not edit.  Regenerate from the repository root with",
           " *   /usr/bin/python3 tests/unit/gen_pkt_vectors.py > tests/unit/pkt_vectors.h",
           " * Included through pkt_vec.h, which defines the PV_* names and structs.",
           " */",
           "#ifndef DPF_TESTS_PKT_VECTORS_H",
           "#define DPF_TESTS_PKT_VECTORS_H",
           ""]
    table = []
    for v in vectors:
        ident = c_ident(v["what"])
        assert ident not in names, v["what"]
        names.add(ident)
        out.append("static const uint8_t pv_%s[] = {\n%s\n};" % (ident, c_bytes(v["raw"])))
        chk = qchk = "NULL"
        nchk = nq = "0"
        if v["exp"] is not None:
            out.append(c_checks("pv_%s_chk" % ident, v["exp"]))
            chk, nchk = "pv_%s_chk" % ident, "PROTO_ARRAY_SIZE(pv_%s_chk)" % ident
        if v["qexp"] is not None:
            out.append(c_checks("pv_%s_qchk" % ident, v["qexp"]))
            qchk, nq = "pv_%s_qchk" % ident, "PROTO_ARRAY_SIZE(pv_%s_qchk)" % ident
        out.append("")
        fields = [".what = \"%s\"," % v["what"], ".pkt = pv_%s," % ident,
                  ".len = sizeof(pv_%s)," % ident, ".err = PKT_ERR_%s," % v["err"],
                  ".chk = %s," % chk, ".n_chk = %s," % nchk]
        if v["qaf"]:
            fields += [".quote_af = %s," % {4: "AF_INET", 6: "AF_INET6"}[v["qaf"]],
                       ".qerr = PKT_ERR_%s," % v["qerr"], ".qchk = %s," % qchk,
                       ".n_qchk = %s," % nq]
        fields += [".cksum = PKT_ERR_%s," % v["cksum"], ".ip_flip = %d," % v["ip_flip"],
                   ".l4_flip = %d," % v["l4_flip"], ".l4_err = PKT_ERR_%s," % v["l4_err"]]
        table.append("\t{\n%s\n\t}," % "\n".join(c_pack(fields, "\t\t")))
    out.append("static const struct pkt_vec pkt_vectors[] = {")
    out.extend(table)
    out.append("};")
    out.append("")
    out.append("#endif /* DPF_TESTS_PKT_VECTORS_H */")
    sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write("gen_pkt_vectors: %d vectors (%d valid, %d malformed)\n" % (
        len(vectors), sum(v["err"] == "OK" for v in vectors),
        sum(v["err"] != "OK" for v in vectors)))


if __name__ == "__main__":
    main()
