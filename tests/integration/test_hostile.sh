#!/usr/bin/env bash
# Hostile traffic: scapy sends every class of packet dpf must not forward
# (hostile_probe.py: bad IPv4 header checksum, IP options without
# allow-opts, an IPv6 routing header without allow-opts, IPv6 routing type
# 0, hop-by-hop not first, 9 extension headers, ICMPv4 in IPv6, ICMP errors
# with cut or wrong-family quotes, martian sources and destinations (with
# default routes to the server), unicast IP in link-layer
# broadcast/multicast frames, TCP flags pf's normalisation drops, a
# truncated datagram) from the client namespace through dpf, under a
# ruleset that passes everything.  A capture on the server's interface must
# hold none of them, and each class's named drop reason and pf counter must
# move by exactly its number of packets ("short" once per packet).  Then
# what must still pass: IP options and an IPv6 routing header (type 4)
# under a rule with allow-opts, an IPv6 atomic fragment (RFC 6946: no
# reassembly), exactly 8 extension headers, and ordinary ping and TCP.
# Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/hostile_probe.py"
FPROBE="$HERE/filter_probe.py"

netns_setup "dpfh$$"
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; netns_cleanup' EXIT
DPF_RULES='[
    "pass all flags any",
    "pass in on lan proto udp to port 7100 allow-opts",
    { "action": "pass", "direction": "out", "on": "wan", "proto": "udp",
      "to": { "address": "any", "port": 7100 }, "allow_opts": true }
  ]'
# Default routes to the server: martian destinations must be dropped for
# what they are, not for want of a route (before, 127.0.0.1 went out).
dpf_config 1 "0-1" "" ',
  "routes": [ { "prefix": "0.0.0.0/0", "via": "198.18.2.2" },
              { "prefix": "::/0", "via": "2001:db8:2::2" } ]'
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts with a ruleset that passes everything"
check "dpfctl show rules prints allow-opts" sh -c "'$DPFCTL' -s '$SOCK' show rules |
	grep -c 'allow-opts' | grep -qx 2"

# Neighbours resolved both ways before the capture starts (so that it sees
# only forwarded packets), and the way through works.
check "ping client -> server (IPv4)" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.2
check "ping client -> server (IPv6)" in_ns "$P-cli" ping -6 -c 2 -i 0.2 -W 2 2001:db8:2::2
GW=$(in_ns "$P-fw" cat "/sys/class/net/$P-l0/address")

# Everything that reaches the server from dpf, but ARP and ND (no
# extension headers before ND: RFC 4861 forbids none, dpf sends none).
ip netns exec "$P-srv" tcpdump -n -Q in -i "$P-s0" -w "$TMP/srv.pcap" -U \
	'not arp and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)' \
	>/dev/null 2>"$TMP/td.err" &
td=$!
BG="$BG $td"
wait_for 20 "tcpdump to capture on $P-s0" capturing "$TMP/td.err"

ctl -j show info >"$TMP/before.json"
if ! in_ns "$P-cli" "$PY" "$PROBE" hostile "$P-c0" "$GW" >"$TMP/classes" 2>"$TMP/probe.err"; then
	notok "hostile probe"; sed 's/^/# /' "$TMP/probe.err"
fi
n_classes=$(wc -l <"$TMP/classes")
# dpf counts every packet it refuses: wait until all are counted.
counted() {
	ctl -j show info >"$TMP/after.json" &&
		"$PY" - "$TMP/before.json" "$TMP/after.json" "$TMP/classes" <<'EOF'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
want = {}
for line in open(sys.argv[3]):
    want[line.split()[1]] = want.get(line.split()[1], 0) + 1
sys.exit(0 if all(a["drops"][r] - b["drops"][r] >= n for r, n in want.items()) else 1)
EOF
}
wait_for 10 "dpf to count the hostile packets" counted
sleep 1
ctl -j show info >"$TMP/after.json"
in_ns "$P-cli" "$PY" "$PROBE" good "$P-c0" "$GW"
# tshark decodes the extension chains: a packet is told by its UDP port.
seen() { tshark -r "$TMP/srv.pcap" -Y "$1" 2>/dev/null | grep -c .; }
GOOD='udp.dstport >= 7100 && udp.dstport <= 7102'
good_seen() { [ "$(seen "$GOOD")" -ge 4 ]; }
wait_for 10 "the good packets at the server" good_seen
stop_pid "$td"

# Each class: its named reason moved by exactly its number of packets.
"$PY" - "$TMP/before.json" "$TMP/after.json" "$TMP/classes" <<'EOF' >"$TMP/deltas"
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
want = {}
for line in open(sys.argv[3]):
    name, reason = line.split()
    want[reason] = want.get(reason, 0) + 1
for r, n in sorted(want.items()):
    print("drop", r, n, a["drops"][r] - b["drops"][r])
# pf's counters: one per packet, "short" once for each short one.
pf = {"short": want.get("quote-short", 0) + want.get("ip4-truncated", 0),
      # pf counts IPv6 chains it refuses as ip-option too (proto/pkt.h)
      "ip-option": want.get("ip-option", 0) + want.get("ip6-rh0", 0) +
                   want.get("ip6-hbh-not-first", 0) + want.get("ip6-ext-too-many", 0),
      "proto-cksum": want.get("ip4-bad-cksum", 0),
      "normalize": want.get("tcp-bad-flags", 0) + want.get("icmp-wrong-af", 0) +
                   want.get("quote-bad-af", 0)}
for r, n in sorted(pf.items()):
    print("pf", r, n, a["counters"][r] - b["counters"][r])
EOF
while read -r kind reason want got; do
	[ "$want" = "$got" ] && ok "$kind $reason +$got" || notok "$kind $reason: want +$want, got +$got"
done <"$TMP/deltas"

leaks=$(tshark -r "$TMP/srv.pcap" -Y "!($GOOD)" 2>/dev/null)
if [ -z "$leaks" ] && [ "$n_classes" -ge 20 ]; then
	ok "none of the $n_classes hostile packets reached the server"
else
	notok "hostile packets reached the server:"; echo "$leaks" | head -30 | sed 's/^/# /'
fi
[ "$(seen 'udp.dstport == 7100')" = 2 ] &&
	ok "IP options and an IPv6 routing header pass under a rule with allow-opts" ||
	notok "IP options, routing header with allow-opts: $(seen 'udp.dstport == 7100') of 2 at the server"
[ "$(seen 'udp.dstport == 7101')" = 1 ] && ok "an IPv6 atomic fragment is forwarded" ||
	notok "atomic fragment: $(seen 'udp.dstport == 7101') packets at the server"
[ "$(seen 'udp.dstport == 7102')" = 1 ] && ok "exactly 8 extension headers are forwarded" ||
	notok "8 extension headers: $(seen 'udp.dstport == 7102') packets at the server"
check "the atomic fragment made a state with its ports (no reassembly)" sh -c \
	"'$DPFCTL' -s '$SOCK' show states | grep -qE 'udp 2001:db8:1::2\[40101\] -> 2001:db8:2::2\[7101\]'"

# Ordinary traffic still passes.
ip netns exec "$P-srv" "$PY" "$FPROBE" echo-server 5001 60 &
BG="$BG $!"
wait_for 20 "the echo server" tcp_listening "$P-srv" 5001
r=$(in_ns "$P-cli" "$PY" "$FPROBE" connect 198.18.2.2 5001 3)
[ "$r" = ok ] && ok "TCP client -> server still passes" || notok "TCP after the hostile traffic: $r"
check "ping still passes" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.2
ctl show info -v | sed 's/^/# /'
finish
