#!/usr/bin/python3
"""A VLAN-tagged host made of scapy, for kernels without 802.1Q support.

  vlan_probe.py IFACE VLAN
Speaks from 198.18.3.2 / 2001:db8:3::2 on VLAN 100 of IFACE: resolves dpf's
lan100 address (ARP, then ND), pings the server 198.18.2.2 and 2001:db8:2::2
through dpf, and checks that every answer comes back tagged with VLAN.
Prints one line per step; exit 0 only if all succeeded.
"""
import sys
from scapy.all import (ARP, ICMP, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IP, IPv6, Dot1Q, Ether,
                       conf, get_if_hwaddr, srp1)

conf.verb = 0
ifc, vlan = sys.argv[1], int(sys.argv[2])
mac = get_if_hwaddr(ifc)
ok = True


def step(name, cond):
    global ok
    print(("ok " if cond else "FAILED ") + name)
    ok = ok and bool(cond)


r = srp1(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=vlan) /
         ARP(op=1, hwsrc=mac, psrc="198.18.3.2", pdst="198.18.3.1"), iface=ifc, timeout=2)
step("ARP reply on VLAN %d" % vlan, r is not None and Dot1Q in r and r[Dot1Q].vlan == vlan
     and ARP in r and r[ARP].op == 2)
gw = r[ARP].hwsrc if r is not None and ARP in r else "ff:ff:ff:ff:ff:ff"
r = srp1(Ether(src=mac, dst=gw) / Dot1Q(vlan=vlan) / IP(src="198.18.3.2", dst="198.18.2.2") /
         ICMP(id=7, seq=1), iface=ifc, timeout=2)
step("echo reply from 198.18.2.2 tagged %d" % vlan, r is not None and Dot1Q in r and
     r[Dot1Q].vlan == vlan and ICMP in r and r[ICMP].type == 0 and r[IP].src == "198.18.2.2"
     and r[IP].ttl == 63)
r = srp1(Ether(src=mac, dst="33:33:ff:00:00:01") / Dot1Q(vlan=vlan) /
         IPv6(src="2001:db8:3::2", dst="ff02::1:ff00:1", hlim=255) /
         ICMPv6ND_NS(tgt="2001:db8:3::1") / ICMPv6NDOptSrcLLAddr(lladdr=mac),
         iface=ifc, timeout=2)
step("neighbor advertisement on VLAN %d" % vlan, r is not None and Dot1Q in r and
     r[Dot1Q].vlan == vlan and ICMPv6ND_NA in r)
gw6 = r[Ether].src if r is not None else "ff:ff:ff:ff:ff:ff"
r = srp1(Ether(src=mac, dst=gw6) / Dot1Q(vlan=vlan) /
         IPv6(src="2001:db8:3::2", dst="2001:db8:2::2") / ICMPv6EchoRequest(id=7, seq=1),
         iface=ifc, timeout=2)
step("IPv6 echo reply from 2001:db8:2::2 tagged %d" % vlan, r is not None and Dot1Q in r and
     r[Dot1Q].vlan == vlan and ICMPv6EchoReply in r)
sys.exit(0 if ok else 1)
