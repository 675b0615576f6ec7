#!/usr/bin/python3
"""Traffic, probes and JSON checks for test_pfsync.sh (real kernel TCP/UDP).

Long TCP transfers, each paced and checked end to end (SHA-256 of what one
side sent against what the other received, matched by the client's port):

  tcp-server PORT ROLE COUNT SIZE RATE STALL DEADLINE OUT
  tcp-client HOST PORT ROLE COUNT SIZE RATE STALL DEADLINE OUT
      ROLE source sends SIZE bytes at RATE bytes/s, sink receives them; the
      client opens COUNT connections, the server accepts COUNT.  A side that
      sees no progress for STALL s gives up on that connection ("stalled");
      everything ends by DEADLINE s.  OUT gets one JSON object:
      {"role", "conns": {"CLIENT_PORT": {"bytes", "sha256", "error", "secs"}}}
  xfer-check CLIENT.json SERVER.json COUNT SIZE
      prints "N intact, R reset, S stalled, M corrupt, ..." and one line per
      bad connection; exit 0 only if all COUNT are intact.

UDP and single states:

  udp-recv PORT DEADLINE IDLE [LAST]
                                  until datagram LAST, IDLE s without one, or
                                  DEADLINE; prints {"received", "last", "lost",
                                  "max_gap_ms"}
  udp-send HOST PORT PPS SECONDS  sequence-numbered datagrams from one port
  udp-once HOST PORT SPORT        one datagram from source port SPORT

A peer on the sync link (scapy; run in the namespace that holds IFACE).
VLAN, where given and not 0, tags every frame with that 802.1Q VLAN id (a
sync interface that is a VLAN of a port shared with data):

  bulk-req IFACE SRC [DST [VLAN]] one bulk request (UPD_REQ id 0 creatorid 0),
                                  TTL 255, to DST (default 224.0.0.240)

  garbage IFACE SRC COUNT [VLAN]  COUNT of each: bad TTL, short header, bad
                                  version, pfsync length beyond the data,
                                  subheader records beyond the packet

  ins IFACE SRC VLAN ID CREATORID A:PA B:PB
                                  one INS of a UDP state A:PA -> B:PB (both
                                  sides MULTIPLE, direction in), id and
                                  creatorid in hex, to 224.0.0.240

`dpfctl -j show states` checks (FILE is its output):

  states-flows FILE PORT MINBYTES  TCP states to PORT, both peers ESTABLISHED
                                   and at least MINBYTES through; prints N
  states-sync A B CREATOR [FILTER [LEAST]]
                                   every state of A made by CREATOR (hex) is
                                   on B with the same id, creatorid and
                                   addresses, and there are at least LEAST
                                   (default 1); FILTER "proto:DST_PORT,..."
                                   ("" for all) limits it to those flows
  states-own FILE CREATOR FILTER   prints the states of FILE made by CREATOR
                                   among FILTER's flows (exit 1 if any)
  states-find FILE PROTO SPORT     prints "ID/CREATORID" of the state whose
                                   creator side has source port SPORT
  states-has FILE ID/CREATORID     exit 0 if FILE has that state
  sample CARP PFSYNC1 PFSYNC2      "VHID1|VHID2|DEMOTE|BULK1|BULK2" from `show
                                   carp -j` between two `show pfsync -j`
  json-get FILE PATH               a dotted field of a JSON file
Every traffic mode ends by itself within its deadline.
"""
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time

CHUNK = 16384


def err_name(e):
    if isinstance(e, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "reset"
    if isinstance(e, socket.timeout):
        return "stalled"
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, OSError) and e.errno is not None:
        return "errno %d (%s)" % (e.errno, os.strerror(e.errno))
    return repr(e)


def run_source(c, res, size, rate, seed):
    """Sends size random bytes paced at rate bytes/s (no catch-up after a
    stall: a transfer outlives an outage by the outage), then waits for the
    peer to close."""
    rnd = random.Random(seed)
    h = hashlib.sha256()
    sent = 0
    nxt = time.monotonic()
    while sent < size:
        n = min(CHUNK, size - sent)
        b = rnd.randbytes(n)
        c.sendall(b)
        h.update(b)
        sent += n
        res["bytes"] = sent
        now = time.monotonic()
        nxt = max(nxt, now - 0.2) + n / rate
        if nxt > now:
            time.sleep(nxt - now)
    res["sha256"] = h.hexdigest()
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass


def run_sink(c, res):
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
        res["bytes"] = n
    res["sha256"] = h.hexdigest()


def conn_thread(c, res, role, size, rate, stall):
    t0 = time.monotonic()
    try:
        c.settimeout(stall)
        if role == "source":
            run_source(c, res, size, rate, res["seed"])
        else:
            run_sink(c, res)
        res["error"] = None
    except Exception as e:  # noqa: BLE001 - every failure is a result
        res["error"] = err_name(e)
    finally:
        res["secs"] = round(time.monotonic() - t0, 2)
        try:
            c.close()
        except OSError:
            pass


def write_out(path, role, conns):
    out = {"role": role, "conns": {}}
    for port, r in conns.items():
        r = dict(r)
        r.pop("seed", None)
        if "secs" not in r:
            r["error"] = "unfinished"
        out["conns"][str(port)] = r
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.rename(tmp, path)


def finish(path, role, conns, threads, end):
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    write_out(path, role, conns)
    sys.stdout.flush()
    os._exit(0)


def tcp_server(port, role, count, size, rate, stall, deadline, out):
    end = time.monotonic() + float(deadline)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(int(count) + 8)
    conns, threads = {}, []
    while len(conns) < int(count) and time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            c, peer = s.accept()
        except socket.timeout:
            break
        res = {"bytes": 0, "sha256": None, "seed": peer[1]}
        conns[peer[1]] = res
        t = threading.Thread(target=conn_thread, daemon=True,
                             args=(c, res, role, int(size), float(rate), float(stall)))
        t.start()
        threads.append(t)
    finish(out, role, conns, threads, end)


def tcp_client(host, port, role, count, size, rate, stall, deadline, out):
    end = time.monotonic() + float(deadline)
    conns, threads = {}, []
    for i in range(int(count)):
        try:
            c = socket.create_connection((host, int(port)), timeout=10)
        except OSError as e:
            conns["failed-%d" % i] = {"bytes": 0, "sha256": None, "error": err_name(e),
                                      "secs": 0}
            continue
        lport = c.getsockname()[1]
        res = {"bytes": 0, "sha256": None, "seed": lport}
        conns[lport] = res
        t = threading.Thread(target=conn_thread, daemon=True,
                             args=(c, res, role, int(size), float(rate), float(stall)))
        t.start()
        threads.append(t)
    finish(out, role, conns, threads, end)


def xfer_check(cfile, sfile, count, size):
    def load(p):
        try:
            with open(p) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"role": "?", "conns": {}}
    cl, sv = load(cfile), load(sfile)
    count, size = int(count), int(size)
    src, dst = (cl, sv) if cl["role"] == "source" else (sv, cl)
    tally, bad = {}, []
    ports = sorted(set(cl["conns"]) | set(sv["conns"]))
    for p in ports:
        a, b = src["conns"].get(p), dst["conns"].get(p)
        errs = [x["error"] for x in (a, b) if x and x.get("error")]
        if errs:
            why = "reset" if "reset" in errs else errs[0]
        elif p not in cl["conns"]:
            why = "missing on the client"
        elif p not in sv["conns"]:
            why = "missing on the server"
        elif a["bytes"] != size or b["bytes"] != size:
            why = "short (%d/%d of %d)" % (a["bytes"], b["bytes"], size)
        elif a["sha256"] != b["sha256"]:
            why = "corrupt"
        else:
            why = "intact"
        tally[why] = tally.get(why, 0) + 1
        if why != "intact":
            bad.append("port %s: %s (sent %s, received %s, %s s)" % (
                p, why, a and a["bytes"], b and b["bytes"],
                max((x or {}).get("secs") or 0 for x in (a, b))))
    if len(ports) < count:
        tally["never connected"] = count - len(ports)
    print(", ".join("%d %s" % (n, k) for k, n in sorted(tally.items(), key=lambda x: x[0] != "intact")))
    for line in bad[:12]:
        print(line)
    sys.exit(0 if tally.get("intact", 0) == count and len(tally) == 1 else 1)


def udp_recv(port, deadline, idle, want=-1):
    """Counts sequence-numbered datagrams until number WANT arrives, IDLE
    seconds pass without one, or DEADLINE.  (WANT once shared its name with
    the last arrival's time, so the receiver stopped where a sequence number
    equalled the machine's uptime in seconds.)"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    end = time.monotonic() + float(deadline)
    want = int(want)
    seen, top, gap, last = 0, -1, 0.0, None
    while time.monotonic() < end:
        wait = float(idle) if last is not None else end - time.monotonic()
        s.settimeout(max(0.05, min(wait, end - time.monotonic())))
        try:
            b = s.recv(2048)
        except socket.timeout:
            if last is not None:
                break
            continue
        now = time.monotonic()
        if last is not None:
            gap = max(gap, now - last)
        last = now
        seen += 1
        top = max(top, struct.unpack("!I", b[:4])[0])
        if want >= 0 and top == want:
            break
    print(json.dumps({"received": seen, "last": top, "lost": top + 1 - seen,
                      "max_gap_ms": int(gap * 1000)}))


def udp_send(host, port, pps, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = int(float(pps) * float(seconds))
    t0 = time.monotonic()
    for i in range(n):
        s.sendto(struct.pack("!I", i) + b"u" * 60, (host, int(port)))
        d = t0 + (i + 1) / float(pps) - time.monotonic()
        if d > 0:
            time.sleep(d)
    print(n)


def udp_once(host, port, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sport)))
    s.sendto(b"state", (host, int(port)))


def l2(dst_mac, src_mac, vlan):
    """Ethernet to dst_mac, tagged with 802.1Q VLAN vlan unless it is 0."""
    from scapy.all import Dot1Q, Ether  # noqa: E402 - slow import
    e = Ether(dst=dst_mac, src=src_mac)
    return e / Dot1Q(vlan=int(vlan)) if int(vlan) else e


def garbage(iface, src, count, vlan=0):
    from scapy.all import IP, Raw, sendp, conf  # noqa: E402 - slow import
    conf.verb = 0

    def hdr(version=6, length=20):
        # struct pfsync_header: version, pad, len (BE), pfcksum[16]
        return struct.pack("!BBH16s", version, 0, length, bytes(16))

    def pkt(payload, ttl=255):
        return (l2("01:00:5e:00:00:f0", "02:00:5e:00:f0:01", vlan) /
                IP(src=src, dst="224.0.0.240", ttl=ttl, proto=240, tos=0x10) / Raw(payload))

    # DEL_C (7), 3 words a record, 50 records announced, none present.
    sub = struct.pack("!BBH", 7, 3, 50)
    kinds = [
        ("badttl", pkt(hdr(), ttl=64)),
        ("hdrops", pkt(hdr()[:12])),
        ("badver", pkt(hdr(version=5))),
        ("badlen", pkt(hdr(length=400))),
        ("badlen", pkt(hdr(length=24) + sub)),
    ]
    sent = {}
    for name, p in kinds:
        sendp([p] * int(count), iface=iface, inter=0.01)
        sent[name] = sent.get(name, 0) + int(count)
    print(json.dumps(sent))


def bulk_req(iface, src, dst="224.0.0.240", vlan=0):
    """One pfsync packet holding UPD_REQ id 0, creatorid 0: a bulk request
    [OpenBSD if_pfsync.c pfsync_bulk_req_send], TTL 255, to dst."""
    from scapy.all import IP, Raw, sendp, conf  # noqa: E402 - slow import
    conf.verb = 0
    rec = struct.pack("!QI", 0, 0)
    sub = struct.pack("!BBH", 5, 3, 1)      # UPD_REQ, 3 words, 1 record
    hdr = struct.pack("!BBH16s", 6, 0, 20 + len(sub) + len(rec), bytes(16))
    mac = "01:00:5e:00:00:f0" if dst == "224.0.0.240" else "ff:ff:ff:ff:ff:ff"
    sendp(l2(mac, "02:00:5e:00:f0:02", vlan) /
          IP(src=src, dst=dst, ttl=255, proto=240, tos=0x10) / Raw(hdr + sub + rec),
          iface=iface)


# OpenBSD pfvar.h struct pfsync_state (264 bytes): id, ifname, key[2]
# (pfsync_state_key: addr[2] as 16 bytes each, port[2], rdomain, af, pad),
# src and dst (pfsync_state_peer: scrub 8, seqlo, seqhi, seqdiff, max_win,
# mss, state, wscale, pad 6), rt_addr, rule, anchor, nat_rule, creation,
# expire, packets[2][2], bytes[2][2], creatorid, rtableid[2], max_mss, af,
# proto, direction, log, rt, timeout, sync_flags, updates, min_ttl,
# set_tos, state_flags, set_prio[2].  Written from OpenBSD, not from dpf.
PFSYNC_STATE = "!Q16s40s40s32s32s16sIIIII4I4IIiiHBBBBBBBBBBHBB"
assert struct.calcsize(PFSYNC_STATE) == 264


def ins(iface, src, vlan, sid, cid, a, b):
    """One pfsync packet holding one INS (action 13) of a UDP state a -> b,
    as an OpenBSD peer sends a state it created [if_pfsync.c
    pfsync_state_export]: both sides PFUDPS_MULTIPLE (2), timeout
    PFTM_UDP_MULTIPLE (8), direction PF_IN (1), wire key = stack key."""
    from scapy.all import IP, Raw, sendp, conf  # noqa: E402 - slow import
    conf.verb = 0

    def end(x):
        host, _, port = x.rpartition(":")
        return socket.inet_aton(host) + bytes(12), int(port)

    (aa, pa), (ab, pb) = end(a), end(b)
    key = aa + ab + struct.pack("!HHHBB", pa, pb, 0, 2, 0)        # af AF_INET
    peer = bytes(8) + struct.pack("!IIIHHBB6s", 0, 0, 0, 0, 0, 2, 0, bytes(6))
    none = 0xFFFFFFFF
    rec = struct.pack(PFSYNC_STATE, int(sid, 16), b"all", key, key, peer, peer, bytes(16),
                      none, none, none, 5, 60, 0, 1, 0, 1, 0, 64, 0, 64,
                      int(cid, 16), 0, 0, 0, 2, 17, 1, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0)
    sub = struct.pack("!BBH", 13, len(rec) // 4, 1)   # INS, 66 words, 1 record
    hdr = struct.pack("!BBH16s", 6, 0, 20 + len(sub) + len(rec), bytes(16))
    sendp(l2("01:00:5e:00:00:f0", "02:00:5e:00:f0:02", vlan) /
          IP(src=src, dst="224.0.0.240", ttl=255, proto=240, tos=0x10) /
          Raw(hdr + sub + rec), iface=iface)


def upd_c(iface, src, ident):
    """One pfsync packet holding one UPD_C (action 4, OpenBSD if_pfsync.h
    struct pfsync_upd_c: id, src and dst pfsync_state_peer, creatorid,
    expire, timeout, pad 3; 84 bytes) of state IDENT ("ID/CREATORID") with
    both peers unseen (level 0, sequence numbers 0): a peer's view older
    than any the state's owner holds, as a peer that forwards none of its
    packets keeps it.  Timeout PFTM_TCP_ESTABLISHED (2)."""
    from scapy.all import IP, Raw, sendp, conf  # noqa: E402 - slow import
    conf.verb = 0
    sid, _, cid = ident.partition("/")
    peer = bytes(32)
    rec = struct.pack("!Q32s32sIIB3s", int(sid, 16), peer, peer, int(cid, 16), 0, 2, bytes(3))
    assert len(rec) == 84
    sub = struct.pack("!BBH", 4, len(rec) // 4, 1)     # UPD_C, 21 words, 1 record
    hdr = struct.pack("!BBH16s", 6, 0, 20 + len(sub) + len(rec), bytes(16))
    sendp(l2("01:00:5e:00:00:f0", "02:00:5e:00:f0:02", 0) /
          IP(src=src, dst="224.0.0.240", ttl=255, proto=240, tos=0x10) /
          Raw(hdr + sub + rec), iface=iface)


def tcp_stray(iface, src, dst, sport, dport, seq, count, flags="A"):
    """COUNT TCP segments (FLAGS, by default ACK, and 100 bytes of data) of
    a flow at sequence SEQ, sent in one go: far outside the state's
    windows, a firewall drops them as a state mismatch.  With FLAGS S, a
    first packet that makes a state."""
    from scapy.all import IP, TCP, Raw, send, conf  # noqa: E402 - slow import
    conf.verb = 0
    pkt = IP(src=src, dst=dst) / TCP(sport=int(sport), dport=int(dport), flags=flags,
                                      seq=int(seq) % (1 << 32), ack=0, window=512) / Raw(b"z" * 100)
    send([pkt] * int(count), iface=iface)


def load_states(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def flow_filter(spec):
    """ "tcp:5001,udp:6001,icmp:" -> predicate on a state."""
    if not spec:
        return lambda s: True
    want = []
    for item in spec.split(","):
        proto, _, port = item.partition(":")
        want.append((proto, int(port) if port else None))

    def ok(s):
        return any(s["proto"] == p and (port is None or s["dst_port"] == port)
                   for p, port in want)
    return ok


def key(s):
    return (s["proto"], s["src"], s["src_port"], s["dst"], s["dst_port"])


def states_flows(path, port, minbytes):
    n = 0
    for s in load_states(path):
        if (s["proto"] == "tcp" and s["dst_port"] == int(port) and
                all(p["state"] == "ESTABLISHED" for p in s["peers"]) and
                sum(p["bytes"] for p in s["peers"]) >= int(minbytes)):
            n += 1
    print(n)


def states_sync(a, b, creator, spec="", least=1):
    ok = flow_filter(spec)
    # pfsync's own traffic is no-sync (and multicast: no state at all).
    sa = [s for s in load_states(a)
          if s["creatorid"] == creator and s["proto"] != "pfsync" and ok(s)]
    sb = {(s["id"], s["creatorid"]): s for s in load_states(b)}
    missing = []
    for s in sa:
        t = sb.get((s["id"], s["creatorid"]))
        if t is None or key(t) != key(s):
            missing.append(s)
    print("%d of %d states made by %s are on the peer" % (len(sa) - len(missing), len(sa), creator))
    for s in missing[:5]:
        print("missing: %s %s:%s -> %s:%s id %s creatorid %s" % (
            s["proto"], s["src"], s["src_port"], s["dst"], s["dst_port"], s["id"], s["creatorid"]))
    sys.exit(0 if len(sa) >= int(least) and not missing else 1)


def states_own(path, creator, spec):
    ok = flow_filter(spec)
    own = [s for s in load_states(path) if s["creatorid"] == creator and ok(s)]
    for s in own[:10]:
        print("%s %s:%s -> %s:%s creatorid %s" % (s["proto"], s["src"], s["src_port"],
                                                   s["dst"], s["dst_port"], s["creatorid"]))
    print("%d states of these flows made by %s" % (len(own), creator))
    sys.exit(1 if own else 0)


def states_find(path, proto, sport):
    for s in load_states(path):
        if s["proto"] == proto and s["src_port"] == int(sport):
            print("%s/%s" % (s["id"], s["creatorid"]))
            return
    sys.exit(1)


def states_has(path, ident):
    sid, _, cid = ident.partition("/")
    sys.exit(0 if any(s["id"] == sid and s["creatorid"] == cid
                      for s in load_states(path)) else 1)


def sample(carp, pfsync1, pfsync2):
    """One line "VHID1|VHID2|DEMOTE|BULK1|BULK2" from `show carp -j` and
    two `show pfsync -j` read before and after it ("?" where missing)."""
    def load(p):
        try:
            with open(p) as f:
                x = json.load(f)
            return x if isinstance(x, dict) else {}
        except (OSError, ValueError):
            return {}
    st = {v["vhid"]: v for v in load(carp).get("vhids", [])}
    print("|".join(str(x) for x in (
        st.get(1, {}).get("state", "?"), st.get(2, {}).get("state", "?"),
        max([v.get("demote", 0) for v in st.values()] or [0]),
        load(pfsync1).get("bulk", {}).get("state", "?"),
        load(pfsync2).get("bulk", {}).get("state", "?"))))


def json_get(path, field):
    try:
        with open(path) as f:
            x = json.load(f)
        for k in field.split("."):
            x = x[int(k)] if isinstance(x, list) else x[k]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        sys.exit(1)
    print(json.dumps(x) if isinstance(x, (dict, list, bool)) or x is None else x)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"tcp-server": tcp_server, "tcp-client": tcp_client, "xfer-check": xfer_check,
     "udp-recv": udp_recv, "udp-send": udp_send, "udp-once": udp_once,
     "garbage": garbage, "bulk-req": bulk_req, "ins": ins, "upd-c": upd_c,
     "tcp-stray": tcp_stray,
     "states-flows": states_flows, "states-sync": states_sync,
     "states-own": states_own, "states-find": states_find,
     "states-has": states_has, "sample": sample,
     "json-get": json_get}[mode](*args)
