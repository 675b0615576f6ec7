#!/usr/bin/python3
"""UDP probes and state checks for test_pfsync_split.sh (real kernel sockets).

  udp-echo PORT DEADLINE          answers every datagram with its payload
                                  until DEADLINE s have passed
  udp-ask HOST PORT COUNT TRIES WAIT
                                  COUNT new flows (a new socket, so a new
                                  source port, each): one datagram each, sent
                                  again up to TRIES times, WAIT s apart, until
                                  its echo comes; prints "N first M later L
                                  lost" (answered on the first try, on a later
                                  one, never); exit 0 if none was lost
  one-state A.json B.json PROTO PORT CREATOR LEAST
                                  every flow to or from PORT (`dpfctl -j show
                                  states` of both nodes) has exactly one state
                                  on each node, with the same id and creatorid
                                  on both, that creatorid CREATOR (hex); at
                                  least LEAST flows
  count-synack PCAP               SYN|ACK segments in a capture (tcpdump -r)
  json-find FILE KEY              the first value of KEY anywhere in FILE
"""
import json
import socket
import subprocess
import sys
import time


def udp_echo(port, deadline):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    end = time.time() + float(deadline)
    while time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        s.sendto(data, addr)


def udp_ask(host, port, count, tries, wait):
    first = later = lost = 0
    # Every socket stays open to the end: a closed one's ephemeral port may
    # be handed to the next, and two "flows" would be one 5-tuple (CI once
    # counted 19 flows of 20, every one of them right).
    socks = []
    for i in range(int(count)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks.append(s)
        s.settimeout(float(wait))
        msg = b"split %d" % i
        got = None
        for t in range(int(tries)):
            s.sendto(msg, (host, int(port)))
            end = time.time() + float(wait)
            while time.time() < end:
                s.settimeout(max(0.01, end - time.time()))
                try:
                    data, _ = s.recvfrom(2048)
                except socket.timeout:
                    break
                if data == msg:
                    got = t
                    break
            if got is not None:
                break
        if got is None:
            lost += 1
        elif got == 0:
            first += 1
        else:
            later += 1
    for s in socks:
        s.close()
    print("%d first %d later %d lost" % (first, later, lost))
    sys.exit(0 if lost == 0 else 1)


def load(path):
    with open(path) as f:
        return json.load(f)


def flow(s):
    a = (s["src"], s["src_port"])
    b = (s["dst"], s["dst_port"])
    return (s["proto"],) + tuple(sorted([a, b]))


def one_state(a, b, proto, port, creator, least):
    port = int(port)
    bad = []
    flows = {}
    for node, path in (("A", a), ("B", b)):
        for s in load(path):
            if s["proto"] != proto or port not in (s["src_port"], s["dst_port"]):
                continue
            flows.setdefault(flow(s), {}).setdefault(node, []).append(s)
    for f, by in sorted(flows.items()):
        na, nb = len(by.get("A", [])), len(by.get("B", []))
        if na != 1 or nb != 1:
            bad.append("%s: %d states on A, %d on B" % (f, na, nb))
            continue
        sa, sb = by["A"][0], by["B"][0]
        if (sa["id"], sa["creatorid"]) != (sb["id"], sb["creatorid"]):
            bad.append("%s: A %s/%s, B %s/%s" % (f, sa["id"], sa["creatorid"], sb["id"],
                                                 sb["creatorid"]))
        elif sa["creatorid"] != creator:
            bad.append("%s: creatorid %s, wanted %s" % (f, sa["creatorid"], creator))
    print("%d flows, %d with one state on each node under %s's identity" % (
        len(flows), len(flows) - len(bad), creator))
    for line in bad[:8]:
        print("bad: " + line)
    sys.exit(0 if not bad and len(flows) >= int(least) else 1)


def count_synack(path):
    out = subprocess.run(["tcpdump", "-nr", path,
                          "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"],
                         capture_output=True, text=True)
    print(len([x for x in out.stdout.splitlines() if x.strip()]))


def json_find(path, key):
    def walk(x):
        if isinstance(x, dict):
            if key in x:
                return x[key]
            for v in x.values():
                r = walk(v)
                if r is not None:
                    return r
        elif isinstance(x, list):
            for v in x:
                r = walk(v)
                if r is not None:
                    return r
        return None
    r = walk(load(path))
    if r is None:
        sys.exit(1)
    print(r)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"udp-echo": udp_echo, "udp-ask": udp_ask, "one-state": one_state,
     "count-synack": count_synack, "json-find": json_find}[cmd](*args)


if __name__ == "__main__":
    main()
