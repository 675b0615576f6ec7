#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent pfsync v6 reader, for two interop checks.

Usage: pfsync_reader.py DIR
           DIR holds pfsync.pcap and records.json written by
           tests/interop/pfsync_dump (test_pfsync_reader.sh).
       pfsync_reader.py capture PCAP EXPECT.json
           PCAP was captured by a Linux peer on dpf's sync link
           (tests/integration/test_pfsync_wire.sh); EXPECT.json says what
           dpf must have sent (see capture_main()).

Everything below is written from OpenBSD's published sources alone, never
from proto/pfsync.h: the IPv4 transport (sys/netinet/in.h IPPROTO_PFSYNC,
INADDR_PFSYNC_GROUP; sys/net/if_pfsync.c pfsync_sendout and its IP header
template: TTL 255, DF, TOS LOWDELAY), the header and subheader layouts and
the parsing rule (sys/net/if_pfsync.h struct pfsync_header,
pfsync_subheader; if_pfsync.c pfsync_input: records at stride len * 4,
unknown actions skipped), the action codes and record sizes (if_pfsync.h
PFSYNC_ACT_* and the packed record structs), and struct pfsync_state,
pfsync_state_key, pfsync_state_peer (sys/net/pfvar.h).  Every field is
unpacked with struct at its offset there and compared with the value
expected.  Output is TAP, one line per packet check, per record (per field
group for full states), per batch check.
"""

import json
import struct
import subprocess
import sys

# Transport: OpenBSD if_pfsync.c pfsync_input, netinet/in.h
IPPROTO_PFSYNC = 240
GROUP = "224.0.0.240"
GROUP_MAC = bytes([0x01, 0x00, 0x5E, 0x00, 0x00, 0xF0])
SRC_IP = "198.18.0.1"

# OpenBSD if_pfsync.h PFSYNC_ACT_*: record bytes of the actions OpenBSD handles; the other
# codes below 16 are known to OpenBSD but skipped.
SIZES = {0: 20, 2: 12, 4: 84, 5: 12, 6: 264, 7: 12, 10: 12, 13: 264, 14: 264, 15: 52}
ACT_MAX = 16

# OpenBSD pfvar.h struct pfsync_state, pfsync_state_key (40 bytes)
KEY = {"addr0": (0, 16), "addr1": (16, 16), "port0": (32, ">H"), "port1": (34, ">H"),
       "rdomain": (36, ">H"), "af": (38, "B"), "pad": (39, 1)}
# OpenBSD pfvar.h struct pfsync_state, pfsync_state_peer (32) with pfsync_state_scrub (8) at 0
PEER = {"pfss_flags": (0, ">H"), "pfss_ttl": (2, "B"), "scrub_flag": (3, "B"),
        "pfss_ts_mod": (4, ">I"), "seqlo": (8, ">I"), "seqhi": (12, ">I"),
        "seqdiff": (16, ">I"), "max_win": (20, ">H"), "mss": (22, ">H"),
        "state": (24, "B"), "wscale": (25, "B")}
PEER_PAD = (26, 6)
# OpenBSD pfvar.h struct pfsync_state, pfsync_state (264)
STATE = {"id": (0, ">Q"), "ifname": (8, 16), "key0": (24, 40), "key1": (64, 40),
         "src": (104, 32), "dst": (136, 32), "rt_addr": (168, 16), "rule": (184, ">I"),
         "anchor": (188, ">I"), "nat_rule": (192, ">I"), "creation": (196, ">I"),
         "expire": (200, ">I"), "packets0_hi": (204, ">I"), "packets0_lo": (208, ">I"),
         "packets1_hi": (212, ">I"), "packets1_lo": (216, ">I"),
         "bytes0_hi": (220, ">I"), "bytes0_lo": (224, ">I"),
         "bytes1_hi": (228, ">I"), "bytes1_lo": (232, ">I"), "creatorid": (236, ">I"),
         "rtableid0": (240, ">i"), "rtableid1": (244, ">i"), "max_mss": (248, ">H"),
         "af": (250, "B"), "proto": (251, "B"), "direction": (252, "B"), "log": (253, "B"),
         "rt": (254, "B"), "timeout": (255, "B"), "sync_flags": (256, "B"),
         "updates": (257, "B"), "min_ttl": (258, "B"), "set_tos": (259, "B"),
         "state_flags": (260, ">H"), "set_prio0": (262, "B"), "set_prio1": (263, "B")}
# OpenBSD if_pfsync.h PFSYNC_ACT_* small records
UPD_C = {"id": (0, ">Q"), "src": (8, 32), "dst": (40, 32), "creatorid": (72, ">I"),
         "expire": (76, ">I"), "timeout": (80, "B"), "state_flags": (81, "B"),
         "pad": (82, 2)}
IDREC = {"id": (0, ">Q"), "creatorid": (8, ">I")}
CLR = {"ifname": (0, 16), "creatorid": (16, ">I")}
BUS = {"creatorid": (0, ">I"), "endtime": (4, ">I"), "status": (8, "B"), "pad": (9, 3)}
TDB = {"spi": (0, ">I"), "dst": (4, 28), "rpl": (32, ">Q"), "cur_bytes": (40, ">Q"),
       "sproto": (48, "B"), "updates": (49, "B"), "rdomain": (50, ">H")}


def unpack(table, rec):
    """Fields of rec by a table of name -> (offset, struct format or byte count)."""
    out = {}
    for name, (off, kind) in table.items():
        if isinstance(kind, int):
            out[name] = rec[off:off + kind]
        else:
            out[name] = struct.unpack_from(kind, rec, off)[0]
    return out


def cstr(b):
    """A NUL-padded name: the text before the first NUL, None if the padding is dirty."""
    text, _, rest = b.partition(b"\0")
    if any(rest):
        return None
    return text.decode("ascii", "replace")


def peer_host(rec):
    return unpack(PEER, rec)


def key_host(rec):
    k = unpack(KEY, rec)
    return {"addr": [k["addr0"].hex(), k["addr1"].hex()], "port": [k["port0"], k["port1"]],
            "rdomain": k["rdomain"], "af": k["af"]}


def state_groups(rec):
    """A pfsync_state decoded into the JSON's field names, by field group."""
    s = unpack(STATE, rec)
    return {
        "identity": {"id": s["id"], "creatorid": s["creatorid"], "ifname": cstr(s["ifname"])},
        "keys": {"key": [key_host(s["key0"]), key_host(s["key1"])]},
        "peers": {"src": peer_host(s["src"]), "dst": peer_host(s["dst"])},
        "rule and times": {"rt_addr": s["rt_addr"].hex(), "rule": s["rule"],
                           "anchor": s["anchor"], "creation": s["creation"],
                           "expire": s["expire"]},
        "counters": {"packets": [s["packets0_hi"] << 32 | s["packets0_lo"],
                                 s["packets1_hi"] << 32 | s["packets1_lo"]],
                     "bytes": [s["bytes0_hi"] << 32 | s["bytes0_lo"],
                               s["bytes1_hi"] << 32 | s["bytes1_lo"]]},
        "af, proto and flags": {
            "rtableid": [s["rtableid0"], s["rtableid1"]], "max_mss": s["max_mss"],
            "af": s["af"], "proto": s["proto"], "direction": s["direction"], "log": s["log"],
            "rt": s["rt"], "timeout": s["timeout"], "sync_flags": s["sync_flags"],
            "updates": s["updates"], "min_ttl": s["min_ttl"], "set_tos": s["set_tos"],
            "state_flags": s["state_flags"], "set_prio": [s["set_prio0"], s["set_prio1"]]},
        # nat_rule "always 0xffffffff", pads zero (OpenBSD pfvar.h struct pfsync_state)
        "constant bytes": {"nat_rule": s["nat_rule"],
                           "pads": [s["key0"][39], s["key1"][39],
                                    s["src"][26:32].hex(), s["dst"][26:32].hex()]},
    }


STATE_CONST = {"nat_rule": 0xFFFFFFFF, "pads": [0, 0, "00" * 6, "00" * 6]}


def small_host(action, rec):
    if action == 4:
        u = unpack(UPD_C, rec)
        return {"id": u["id"], "src": peer_host(u["src"]), "dst": peer_host(u["dst"]),
                "creatorid": u["creatorid"], "expire": u["expire"], "timeout": u["timeout"],
                "state_flags": u["state_flags"]}, u["pad"] == b"\0\0"
    if action in (2, 5, 7):
        return unpack(IDREC, rec), True
    if action == 0:
        c = unpack(CLR, rec)
        return {"ifname": cstr(c["ifname"]), "creatorid": c["creatorid"]}, True
    if action == 10:
        b = unpack(BUS, rec)
        return {"creatorid": b["creatorid"], "endtime": b["endtime"],
                "status": b["status"]}, b["pad"] == b"\0\0\0"
    if action == 15:
        t = unpack(TDB, rec)
        t["dst"] = t["dst"].hex()
        return t, True
    raise ValueError("no small record %d" % action)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, detail=""):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, what))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, what))
            if detail:
                for line in str(detail).splitlines():
                    print("#   " + line)
        return cond

    def bail(self, why):
        print("Bail out! " + why)
        sys.exit(1)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    end = "<" if magic == 0xA1B2C3D4 else ">"
    if struct.unpack_from(end + "I", data, 0)[0] != 0xA1B2C3D4:
        raise ValueError("not a pcap file")
    if struct.unpack_from(end + "I", data, 20)[0] != 1:
        raise ValueError("linktype is not Ethernet")
    off, frames = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack_from(end + "IIII", data, off)
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def ip_cksum_ok(hdr):
    s = sum(struct.unpack(">10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def dotted(b):
    return ".".join(str(x) for x in b)


def check_frame(tap, i, frame, batch):
    """Ethernet + IPv4 as OpenBSD sends (if_pfsync.c); returns the pfsync bytes.

    batch["vlan"], where set and not 0: the frame must carry one IEEE 802.1Q
    tag (TPID 0x8100) with that VLAN id before the IPv4 ethertype (a sync
    interface on a VLAN: OpenBSD's vlan(4) under pfsync's syncdev).
    """
    vlan = batch.get("vlan") or 0
    problems = []
    l2len = 14
    if vlan:
        l2len = 18
        tpid, tci = struct.unpack_from(">HH", frame, 12)
        if tpid != 0x8100 or tci & 0x0FFF != vlan:
            problems.append("802.1Q tag %#06x/%#06x (want VLAN %d)" % (tpid, tci, vlan))
    ip = frame[l2len:]
    dst = batch["dst"]
    mac_ok = frame[0:6] == GROUP_MAC if dst == GROUP else frame[0:6] == bytes([2, 0, 0, 0, 0, 2])
    ver_ihl, tos, tot, _, frag, ttl, proto = struct.unpack_from(">BBHHHBB", ip, 0)
    if frame[l2len - 2:l2len] != b"\x08\x00":
        problems.append("ethertype")
    if not mac_ok:
        problems.append("dst MAC %s" % frame[0:6].hex(":"))
    if ver_ihl != 0x45:
        problems.append("version/IHL %#x" % ver_ihl)
    if tos != 0x10:
        problems.append("TOS %#x" % tos)
    if tot != len(ip):
        problems.append("total length %d of %d" % (tot, len(ip)))
    if frag != 0x4000:
        problems.append("flags/offset %#x (want DF)" % frag)
    if ttl != 255:
        problems.append("TTL %d" % ttl)
    if proto != IPPROTO_PFSYNC:
        problems.append("protocol %d" % proto)
    if not ip_cksum_ok(ip[:20]):
        problems.append("header checksum")
    if dotted(ip[12:16]) != batch.get("src", SRC_IP) or dotted(ip[16:20]) != dst:
        problems.append("addresses %s > %s" % (dotted(ip[12:16]), dotted(ip[16:20])))
    if tot > batch["mtu"]:
        problems.append("%d bytes exceed MTU %d" % (tot, batch["mtu"]))
    tap.ok(not problems, "packet %d (%s): Ethernet%s/IPv4 header as OpenBSD sends it" %
           (i, batch["what"], " 802.1Q VLAN %d" % vlan if vlan else ""), "; ".join(problems))
    return ip[20:tot]


def parse_pfsync(buf):
    """OpenBSD if_pfsync.c pfsync_input: header checks, then the sections.

    Returns (header problems, records [(action, bytes)], sections [(action,
    count, stride)], skipped, end) where end is "ok", "badact" or "badlen".
    """
    problems = []
    if len(buf) < 20:
        return ["shorter than 20"], [], [], 0, "hdrops"
    version, pad, hlen = struct.unpack_from(">BBH", buf, 0)
    if version != 6:
        problems.append("version %d" % version)
    if pad != 0:
        problems.append("pad %d" % pad)
    if hlen != len(buf):
        problems.append("len %d, %d bytes of pfsync" % (hlen, len(buf)))
    if any(buf[4:20]):
        problems.append("pfcksum not zero")
    buf = buf[:hlen]
    off, records, sections, skipped, end = 20, [], [], 0, "ok"
    while len(buf) - off >= 4:
        action, words, count = struct.unpack_from(">BBH", buf, off)
        mlen = words * 4
        known = action < ACT_MAX
        need = SIZES.get(action, 0)
        if not known or mlen < need:
            if count == 0 or mlen == 0:
                end = "badact"
                break
            skip = True
        else:
            skip = need == 0
        off += 4
        if mlen * count > len(buf) - off:
            end = "badlen"
            break
        if skip:
            skipped += 1
        else:
            sections.append((action, count, mlen))
            for k in range(count):
                records.append((action, buf[off + k * mlen:off + k * mlen + need]))
        off += mlen * count
    return problems, records, sections, skipped, end


def compare_record(tap, label, action, rec, want):
    if want["action"] != action:
        tap.ok(False, "%s: action" % label, "wire %d, given %d" % (action, want["action"]))
        return
    if action in (6, 13, 14):
        for group, got in state_groups(rec).items():
            if group == "constant bytes":
                tap.ok(got == STATE_CONST, "%s: %s" % (label, group), got)
                continue
            exp = {k: want[k] for k in got}
            tap.ok(got == exp, "%s: %s" % (label, group), diff(got, exp))
        return
    got, pads_ok = small_host(action, rec)
    exp = {k: want[k] for k in got}
    tap.ok(got == exp and pads_ok, "%s: all fields%s" % (label, "" if pads_ok else " (pads!)"),
           diff(got, exp))


def diff(got, exp):
    lines = []
    for k in exp:
        if got.get(k) != exp[k]:
            lines.append("%s: wire %r, given %r" % (k, got.get(k), exp[k]))
    return "\n".join(lines)


def expected_packets(records, mtu):
    """Greedy packing by OpenBSD's rule (OpenBSD if_pfsync.c pfsync_q_ins): flush when
    40 + queued + the next record (+ 4 for a new subheader) would exceed the MTU."""
    npk, used, last = 1, 40, None
    for r in records:
        need = SIZES[r["action"]] + (0 if r["action"] == last else 4)
        if used + need > mtu:
            npk, used, last = npk + 1, 40, None
            need = SIZES[r["action"]] + 4
        used += need
        last = r["action"]
    return npk


def tshark_ip_checks(tap, pcap, batches_of_pkt):
    """tshark's view of each IPv4 header (a decoder that is not ours)."""
    try:
        out = subprocess.run(
            ["tshark", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-T", "fields",
             "-E", "separator=|", "-e", "eth.dst", "-e", "ip.ttl", "-e", "ip.proto",
             "-e", "ip.dsfield", "-e", "ip.flags.df", "-e", "ip.checksum.status",
             "-e", "ip.dst"], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        tap.ok(False, "tshark runs", e)
        return
    lines = out.splitlines()
    tap.ok(len(lines) == len(batches_of_pkt), "tshark sees %d packets" % len(batches_of_pkt),
           out)
    for i, (line, batch) in enumerate(zip(lines, batches_of_pkt)):
        f = line.split("|")
        want_mac = "01:00:5e:00:00:f0" if batch["dst"] == GROUP else "02:00:00:00:00:02"
        good = (len(f) == 7 and f[0] == want_mac and f[1] == "255" and f[2] == "240" and
                f[3] in ("0x10", "0x00000010") and f[4] in ("1", "True") and
                f[5] in ("1", "Good") and f[6] == batch["dst"])
        tap.ok(good, "tshark: packet %d TTL 255, proto 240, TOS 0x10, DF, checksum good, "
               "dst %s" % (i, batch["dst"]), line)


def capture_main(pcap, expect_path):
    """dpf's packets as a peer captured them on the sync link.

    EXPECT.json: {"src": dpf's sync address, "hostid": "8 hex", "mtu": N,
    "states": [`dpfctl -j show states -vv` entries: id, creatorid, proto,
    src, src_port, dst, dst_port], "bulk": true if the peer asked for a
    bulk (UPD_REQ 0/0), "killed": "ID/CREATORID" of a state killed on dpf,
    "asked": "ID/CREATORID" of a state dpf was to ask the peer for (UPD_REQ),
    "vlan": the sync interface's 802.1Q VLAN id, 0 or absent if untagged}.
    """
    tap = Tap()
    try:
        with open(expect_path) as f:
            exp = json.load(f)
        frames = read_pcap(pcap)
    except (OSError, ValueError) as e:
        tap.bail("cannot read the capture: %s" % e)
    hostid = int(exp["hostid"], 16)
    batch = {"dst": GROUP, "src": exp["src"], "mtu": exp["mtu"], "what": "captured",
             "vlan": exp.get("vlan", 0)}
    if not tap.ok(len(frames) > 0, "the capture holds %d pfsync packets from dpf" % len(frames)):
        tap.bail("nothing captured")
    recs = []           # (packet, action, record bytes) in wire order
    for i, fr in enumerate(frames):
        payload = check_frame(tap, i, fr, batch)
        problems, precs, sections, skipped, end = parse_pfsync(payload)
        strides = [sec for sec in sections if sec[2] != SIZES[sec[0]]]
        tap.ok(not problems and end == "ok" and skipped == 0 and not strides,
               "packet %d: pfsync version 6, len %d = the IP payload, sections %s parse to "
               "the end" % (i, len(payload), [(a, c) for a, c, _ in sections]),
               "; ".join(problems) + " end=%s skipped=%d strides=%s" % (end, skipped, strides))
        recs.extend((i, a, r) for a, r in precs)

    def key_of(rec):
        k = unpack(KEY, rec[24:64])
        return k

    def flow_ok(rec, st):
        """Key 0 (wire) holds the flow's two ends, each address with its port."""
        k = key_of(rec)
        ends = {(dotted(k["addr0"][:4]), k["port0"]), (dotted(k["addr1"][:4]), k["port1"])}
        want = {(st["src"], st["src_port"]), (st["dst"], st["dst_port"])}
        return ends == want and k["af"] == 2 and not any(k["addr0"][4:] + k["addr1"][4:])

    protos = {"tcp": 6, "udp": 17, "icmp": 1}
    for st in exp["states"]:
        sid, cid = int(st["id"], 16), int(st["creatorid"], 16)
        what = "%s %s:%s -> %s:%s id %s" % (st["proto"], st["src"], st["src_port"], st["dst"],
                                             st["dst_port"], st["id"])
        ins = [r for _, a, r in recs if a == 13 and struct.unpack_from(">Q", r, 0)[0] == sid]
        if not tap.ok(len(ins) >= 1, "INS for %s" % what, "no INS with that id"):
            continue
        f = unpack(STATE, ins[0])
        tap.ok(f["creatorid"] == hostid == cid and f["af"] == 2 and
               f["proto"] == protos.get(st["proto"], -1) and flow_ok(ins[0], st) and
               f["nat_rule"] == 0xFFFFFFFF,
               "INS for %s: creatorid = host_id %08x, af 2 (AF_INET), proto, key 0 "
               "addresses and ports" % (what, hostid),
               "creatorid %08x af %d proto %d key %s" % (f["creatorid"], f["af"], f["proto"],
                                                         key_of(ins[0])))

    if exp.get("bulk"):
        bus = [(k, struct.unpack_from(">IIB", r, 0)) for k, (_, a, r) in enumerate(recs)
               if a == 10]
        starts = [k for k, (c, _, stt) in bus if stt == 1 and c == hostid]
        ends = [k for k, (c, _, stt) in bus if stt == 2 and c == hostid]
        good = bool(starts) and any(e > starts[0] for e in ends)
        tap.ok(good, "BUS START then BUS END, creatorid = host_id, in answer to the bulk "
               "request", bus)
        if good:
            a, b = starts[0], min(e for e in ends if e > starts[0])
            inside = recs[a + 1:b]
            upd = {struct.unpack_from(">Q", r, 0)[0] for _, act, r in inside if act == 14}
            want = {int(st["id"], 16) for st in exp["states"]}
            tap.ok(want <= upd, "between BUS START and BUS END: a full UPD for each of the "
                   "%d states" % len(want), "missing %s" % sorted(want - upd))
    if exp.get("killed"):
        sid, _, cid = exp["killed"].partition("/")
        tap.ok(any(a == 7 and struct.unpack_from(">QI", r, 0) == (int(sid, 16), int(cid, 16))
                   for _, a, r in recs),
               "DEL_C for the killed state %s" % exp["killed"])
    if exp.get("asked"):
        sid, _, cid = exp["asked"].partition("/")
        tap.ok(any(a == 5 and struct.unpack_from(">QI", r, 0) == (int(sid, 16), int(cid, 16))
                   for _, a, r in recs),
               "UPD_REQ for the state %s (a segment dropped against the peer's view)" %
               exp["asked"])

    try:
        out = subprocess.run(
            ["tshark", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-T", "fields",
             "-E", "separator=|", "-e", "ip.proto", "-e", "ip.checksum.status", "-e", "ip.ttl"],
            capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError) as e:
        tap.ok(False, "tshark runs", e)
        out = []
    bad = [ln for ln in out if ln.split("|")[:2] not in (["240", "1"], ["240", "Good"])]
    tap.ok(len(out) == len(frames) and not bad, "tshark: all %d packets IP protocol 240 with a "
           "good IP checksum" % len(frames), "%d lines; bad: %s" % (len(out), bad[:5]))
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "capture":
        return capture_main(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print("Bail out! usage: pfsync_reader.py DIR")
        return 1
    d = sys.argv[1]
    tap = Tap()
    try:
        with open(d + "/records.json") as f:
            spec = json.load(f)
        frames = read_pcap(d + "/pfsync.pcap")
    except (OSError, ValueError) as e:
        tap.bail("cannot read pfsync_dump output: %s" % e)

    batches = spec["batches"]
    total = sum(b["packets"] for b in batches)
    if not tap.ok(total == len(frames), "pcap holds the %d packets the batches claim" % total,
                  "%d frames" % len(frames)):
        tap.bail("packet count mismatch")

    idx, pkt_batches = 0, []
    for b in batches:
        recs, pkt_lens, pkt_last = [], [], []
        for p in range(b["packets"]):
            pkt_batches.append(b)
            payload = check_frame(tap, idx, frames[idx], b)
            problems, precs, sections, skipped, end = parse_pfsync(payload)
            tap.ok(not problems and end == "ok",
                   "packet %d (%s): pfsync header (version 6, len, zero pfcksum) and "
                   "sections parse to the end" % (idx, b["what"]),
                   "; ".join(problems) + " end=" + end)
            adjacent = [sections[j][0] for j in range(1, len(sections))
                        if sections[j][0] == sections[j - 1][0]]
            if b["what"] != "unknown":
                tap.ok(not adjacent and skipped == 0,
                       "packet %d: one subheader per run of one action, record len = size"
                       % idx, "%s skipped=%d" % (sections, skipped))
                strides = [s for s in sections if s[2] != SIZES[s[0]]]
                tap.ok(not strides, "packet %d: subheader len is the record size in words"
                       % idx, strides)
            else:
                dpf = b["dpf_iter"]
                mine = [list(s) for s in sections]
                tap.ok(skipped == 1 and mine == [[2, 1, 12]] and end == "ok",
                       "unknown action 200 (len 2, count 3) skipped by this reader",
                       "%s skipped=%d end=%s" % (mine, skipped, end))
                tap.ok(dpf["sections"] == mine and dpf["skipped"] == skipped and
                       dpf["end"] == 0, "dpf's iterator skipped it the same way", dpf)
            recs.extend(precs)
            pkt_lens.append(len(payload))
            pkt_last.append(precs[-1][0] if precs else None)
            idx += 1

        want = b["records"]
        tap.ok(len(recs) == len(want), "%s: %d records in %d packet(s)" %
               (b["what"], len(want), b["packets"]), "%d decoded" % len(recs))
        for k, ((action, rec), w) in enumerate(zip(recs, want)):
            compare_record(tap, "%s #%d %s" % (b["what"], k, w["name"]), action, rec, w)

        if b["what"] == "unknown":
            continue
        npk = expected_packets(want, b["mtu"])
        tap.ok(npk == b["packets"], "%s: %d packet(s) at MTU %d, as OpenBSD's flush rule "
               "packs them" % (b["what"], npk, b["mtu"]), "builder made %d" % b["packets"])
        # Each split was forced: the next record would not have fitted.
        first = 0
        for p in range(b["packets"] - 1):
            used, last, n_in = 20, None, 0
            for r in want[first:]:
                need = SIZES[r["action"]] + (0 if r["action"] == last else 4)
                if used + need > pkt_lens[p]:
                    break
                used += need
                last = r["action"]
                n_in += 1
            nxt = want[first + n_in]
            need = SIZES[nxt["action"]] + (0 if nxt["action"] == last else 4)
            tap.ok(used == pkt_lens[p] and 20 + used <= b["mtu"] < 20 + used + need,
                   "%s: packet %d flushed exactly when the next %s would exceed MTU %d"
                   % (b["what"], p, nxt["name"], b["mtu"]),
                   "%d pfsync bytes, next needs %d" % (used, need))
            first += n_in

    # The comparison can fail: a flipped byte in a copy of the first state
    # (the first record of the first packet) is seen as a mismatch.
    _, recs, _, _, _ = parse_pfsync(frames[0][34:])
    bad = bytearray(recs[0][1])
    bad[196 + 3] ^= 0x01        # creation, low byte
    got = state_groups(bytes(bad))["rule and times"]
    tap.ok(got["creation"] != batches[0]["records"][0]["creation"],
           "self-check: a flipped creation byte is detected")

    tshark_ip_checks(tap, d + "/pfsync.pcap", pkt_batches)
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
