#!/usr/bin/python3
"""Traffic endpoints for the namespace tests (real kernel TCP and UDP).

  xfer.py tcp-recv PORT OUTFILE [TIMEOUT]   accept one connection, store it
  xfer.py tcp-send HOST PORT INFILE [RATE]  send a file (RATE bytes/s, default
                                            as fast as TCP goes), then close
  xfer.py udp-recv PORT COUNT TIMEOUT       print how many datagrams arrived
  xfer.py udp-send HOST PORT COUNT [FLOWS]  COUNT datagrams over FLOWS source ports
Every mode ends by itself within its timeout.
"""
import socket
import sys
import time

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux, asm-generic


def tcp_recv(port, out, timeout=60):
    fam = socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(port)))
    s.listen(1)
    s.settimeout(float(timeout))
    c, _ = s.accept()
    c.settimeout(float(timeout))
    n = 0
    with open(out, "wb") as f:
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            f.write(b)
            n += len(b)
    print(n)


def tcp_send(host, port, path, rate=0):
    c = socket.create_connection((host, int(port)), timeout=30)
    rate = float(rate)
    start, sent = time.time(), 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 16)
            if not b:
                break
            c.sendall(b)
            sent += len(b)
            if rate > 0:  # paced: a transfer that spans a given time
                ahead = sent / rate - (time.time() - start)
                if ahead > 0:
                    time.sleep(ahead)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()


def udp_recv(port, count, timeout):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    # 4 MiB, past rmem_max (root): the default 208 KiB holds about 270 of
    # these datagrams (each costs its skb's truesize), so a receiver
    # descheduled for 30 ms on a loaded two-CPU machine would drop what
    # dpf forwarded.  The tests count what dpf delivers, not this socket.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    s.bind(("::", int(port)))
    end = time.time() + float(timeout)
    n = 0
    while n < int(count) and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            break
    print(n)


def udp_send(host, port, count, flows=1):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = []
    for _ in range(int(flows)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("", 0))
        socks.append(s)
    for i in range(int(count)):
        socks[i % len(socks)].sendto(b"x" * 100, (host, int(port)))
        # Paced (about 10k/s at most): the check is that dpf forwards UDP,
        # not how deep the veth and af_packet rings are on a loaded machine.
        if i % 10 == 9:
            time.sleep(0.001)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"tcp-recv": tcp_recv, "tcp-send": tcp_send,
     "udp-recv": udp_recv, "udp-send": udp_send}[mode](*args)
