#!/usr/bin/python3
"""Probes for the packet-filter namespace test (real kernel sockets, scapy).

  filter_probe.py connect HOST PORT TIMEOUT     print ok | refused | timeout
  filter_probe.py udp HOST PORT TIMEOUT         print reply | refused | timeout
  filter_probe.py echo-server PORT SECONDS      TCP+UDP echo on PORT for SECONDS
  filter_probe.py hold HOST PORT SECONDS        keep a TCP connection busy; exit 0
                                                if every echo came back
  filter_probe.py spoof IFACE HOST PORT         inside a live connection, inject an
                                                out-of-window RST and data segment
                                                with scapy, then check the
                                                connection still echoes; prints
                                                "rst_seq=N data_seq=M"
Every mode ends by itself within its timeout.
"""
import socket
import sys
import threading
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.connect((host, int(port)))
        print("ok")
    except ConnectionRefusedError:
        print("refused")
    except (socket.timeout, OSError) as e:
        print("timeout" if isinstance(e, socket.timeout) else "error %s" % e)
    finally:
        s.close()


def udp(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(float(timeout))
    s.connect((host, int(port)))
    try:
        s.send(b"probe")
        s.recv(100)
        print("reply")
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("timeout")


def echo_server(port, seconds):
    end = time.time() + float(seconds)

    def serve(c):
        c.settimeout(1.0)
        while time.time() < end:
            try:
                b = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not b:
                break
            c.sendall(b)
        c.close()

    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("::", int(port)))
    t.listen(16)
    t.settimeout(0.2)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("::", int(port)))
    u.settimeout(0.05)
    while time.time() < end:
        try:
            c, _ = t.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        except socket.timeout:
            pass
        try:
            b, a = u.recvfrom(65536)
            u.sendto(b, a)
        except socket.timeout:
            pass


def exchange(s, n, tag):
    """Sends n small messages and checks each echo."""
    for i in range(n):
        msg = ("%s-%d;" % (tag, i)).encode()
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(len(msg) - len(got))
            if not b:
                raise RuntimeError("connection closed")
            got += b
        if got != msg:
            raise RuntimeError("echo mismatch")


def hold(host, port, seconds):
    s = socket.create_connection((host, int(port)), timeout=5)
    end = time.time() + float(seconds)
    i = 0
    while time.time() < end:
        exchange(s, 1, "h%d" % i)
        i += 1
        time.sleep(0.2)
    s.close()
    print("held %d exchanges" % i)


def spoof(iface, host, port):
    from scapy.all import IP, IPv6, TCP, AsyncSniffer, conf, send

    conf.verb = 0
    s = socket.create_connection((host, int(port)), timeout=5)
    sport = s.getsockname()[1]
    v6 = ":" in host
    flt = "tcp and src port %d and dst port %d" % (sport, int(port))
    # Exchange only once the sniffer's socket is open (start() returns
    # before its thread has compiled the filter and opened the socket).
    ready = threading.Event()
    sn = AsyncSniffer(iface=iface, filter=flt, store=True, started_callback=ready.set)
    sn.start()
    if not ready.wait(30):
        sys.exit("sniffer did not start")
    exchange(s, 5, "a")
    time.sleep(0.3)
    pkts = sn.stop()
    last = [p for p in pkts if TCP in p][-1]
    seq, ack = last[TCP].seq, last[TCP].ack
    if last[TCP].payload:
        seq += len(last[TCP].payload)
    src = s.getsockname()[0]
    ip = IPv6(src=src, dst=host) if v6 else IP(src=src, dst=host)
    # A RST three windows ahead and data ten megabytes ahead: pf drops both
    # (state-mismatch) [OpenBSD pf.c pf_tcp_track_full]; the connection must go on.
    rst_seq = (seq + 3 * 65535 + 1000) & 0xffffffff
    data_seq = (seq + 10000000) & 0xffffffff
    send(ip / TCP(sport=sport, dport=int(port), flags="RA", seq=rst_seq, ack=ack), iface=iface)
    send(ip / TCP(sport=sport, dport=int(port), flags="PA", seq=data_seq, ack=ack) /
         b"SPOOFED-OUT-OF-WINDOW", iface=iface)
    time.sleep(0.3)
    exchange(s, 5, "b")
    s.close()
    print("rst_seq=%d data_seq=%d" % (rst_seq, data_seq))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"connect": connect, "udp": udp, "echo-server": echo_server, "hold": hold,
     "spoof": spoof}[cmd](*args)


if __name__ == "__main__":
    main()
