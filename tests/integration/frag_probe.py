#!/usr/bin/python3
"""Fragmented traffic for test_frag.sh (Debian's /usr/bin/python3, scapy).

  udp HOST PORT SIZE TIMEOUT    one SIZE-byte UDP datagram (the kernel
                                fragments it); prints reply (an echo of the
                                same size), short, refused or timeout
  good HOST PORT TIMEOUT        a UDP datagram in two fragments made here
                                (the control: prints reply)
  lone HOST PORT TIMEOUT        only the first fragment of a UDP datagram;
                                prints reply or none
  overlap HOST PORT TIMEOUT     a UDP datagram in fragments of which the
                                second overlaps the first; prints reply or none
"""
import os
import socket
import sys
import threading


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def udp(host, port, size, timeout):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(float(timeout))
    # Let the kernel fragment (no path MTU discovery refusal).
    if family(host) == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 10, 0)   # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    s.connect((host, int(port)))
    data = os.urandom(int(size))
    try:
        s.send(data)
        b = s.recv(65536)
        print("reply" if b == data else "short %d" % len(b))
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("timeout")


def crafted(kind, host, port, timeout):
    from scapy.all import IP, UDP, Raw, conf, send, sniff, AsyncSniffer  # noqa: F401
    conf.verb = 0
    payload = b"F" * 1600
    sport = 40000 + os.getpid() % 20000
    # Built whole (scapy computes the UDP checksum with the pseudo-header),
    # then cut into fragments by hand.
    whole = IP(dst=host, proto=17) / UDP(sport=sport, dport=int(port)) / Raw(payload)
    raw = bytes(IP(bytes(whole))[UDP])
    # Send only once the sniffer's socket is open: AsyncSniffer.start()
    # returns before its thread has compiled the filter (a tcpdump
    # subprocess) and opened the socket, and under load the reply came
    # back before that (CI saw "none" once).  The timeout counts from then.
    ready = threading.Event()
    sn = AsyncSniffer(filter="udp and src port %d" % int(port), timeout=float(timeout),
                      count=1, started_callback=ready.set)
    sn.start()
    if not ready.wait(30):
        sys.exit("sniffer did not start")
    if kind == "good":
        send(IP(dst=host, id=0x4242, proto=17, flags="MF", frag=0) / Raw(raw[:1000]))
        send(IP(dst=host, id=0x4242, proto=17, frag=1000 // 8) / Raw(raw[1000:]))
    elif kind == "lone":
        send(IP(dst=host, id=0x4243, proto=17, flags="MF", frag=0) / Raw(raw[:1000]))
    else:
        # 0..1000 and 992..end: 8 bytes overlap (RFC 5722 for IPv6; pf drops
        # overlapping IPv4 fragments too).
        send(IP(dst=host, id=0x4244, proto=17, flags="MF", frag=0) / Raw(raw[:1000]))
        send(IP(dst=host, id=0x4244, proto=17, frag=992 // 8) / Raw(raw[992:]))
    sn.join()
    print("reply" if len(sn.results or []) else "none")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "udp":
        udp(*args)
    elif cmd in ("good", "lone", "overlap"):
        crafted(cmd, *args)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
