#!/usr/bin/env bash
# The packet filter between real hosts: allowed and blocked TCP, UDP and
# ICMP in both directions, `block return` answers (RST, ICMP unreachable),
# out-of-window segments and spoofed RSTs injected with scapy are dropped
# while the connection goes on, states expire after their timeouts, a
# rule's `max` refuses new connections (state-limit) while existing ones
# flow, `state kill`, pflog records decoded by tcpdump and tshark, and the
# dpfctl views.  Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/filter_probe.py"

netns_setup "dpff$$"
# The echo servers run in the background: stop them with everything else
# (left running, they would also hold the test's stdout, and meson with it).
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; netns_cleanup' EXIT
DPF_RULES='[
    "block return log all",
    "pass in on lan proto tcp from 198.18.1.0/24 to any port { 5001 5020 } label \"tcp-in\"",
    "pass in on lan inet6 proto tcp to port 5001",
    "pass in on lan proto tcp to port 5030 keep state (max 2)",
    "pass in on lan proto udp to port 5003",
    "pass in on lan inet proto icmp all icmp-type echoreq",
    "pass in on lan inet6 proto icmp6 all",
    "pass out all"
  ]'
dpf_config 1 "0-1" "" ',
  "timeouts": { "udp.first": 4, "udp.single": 4, "udp.multiple": 4, "interval": 1 },
  "logging": { "pflog": "'"$TMP"'/pflog.pcap" }'
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts with a ruleset"

# Echo servers on every port used, so a refusal can only come from dpf.
# (ip netns exec execs the probe: $! is the probe itself.)
SRV_PORTS="5001 5002 5003 5004 5020 5030"
for p in $SRV_PORTS; do
	ip netns exec "$P-srv" "$PY" "$PROBE" echo-server $p 120 &
	BG="$BG $!"
done
ip netns exec "$P-cli" "$PY" "$PROBE" echo-server 5002 120 &
BG="$BG $!"
servers_up() {
	tcp_listening "$P-srv" $SRV_PORTS && udp_bound "$P-srv" $SRV_PORTS &&
		tcp_listening "$P-cli" 5002 && udp_bound "$P-cli" 5002
}
wait_for 20 "the echo servers" servers_up

r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 5001 3)
[ "$r" = ok ] && ok "TCP client -> server:5001 allowed (IPv4)" || notok "TCP 5001 v4: $r"
r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 2001:db8:2::2 5001 3)
[ "$r" = ok ] && ok "TCP client -> server:5001 allowed (IPv6)" || notok "TCP 5001 v6: $r"
r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 5002 3)
[ "$r" = refused ] && ok "TCP client -> server:5002 blocked, block return answers with a RST" ||
	notok "TCP 5002 (server listens there): $r"
r=$(in_ns "$P-srv" "$PY" "$PROBE" connect 198.18.1.2 5002 3)
[ "$r" = refused ] && ok "TCP server -> client blocked inbound on wan (RST)" ||
	notok "TCP server -> client: $r"
r=$(in_ns "$P-cli" "$PY" "$PROBE" udp 198.18.2.2 5003 3)
now_ms
UDP_DONE=$NOW_MS	# the state's last packet was before this
[ "$r" = reply ] && ok "UDP client -> server:5003 allowed, reply passes by state" ||
	notok "UDP 5003: $r"
r=$(in_ns "$P-cli" "$PY" "$PROBE" udp 198.18.2.2 5004 3)
[ "$r" = refused ] && ok "UDP client -> server:5004 blocked with ICMP port unreachable" ||
	notok "UDP 5004: $r"
check "ICMP echo client -> server allowed" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.2
if in_ns "$P-srv" ping -c 2 -i 0.2 -W 1 198.18.1.2 >/dev/null 2>&1; then
	notok "ICMP echo server -> client should be blocked"
else ok "ICMP echo server -> client blocked"; fi
check "ICMPv6 echo client -> server allowed" in_ns "$P-cli" ping -6 -c 2 -i 0.2 -W 2 2001:db8:2::2

# States: a UDP state now, gone after udp.multiple (4 s) + a purge interval.
check "show states lists the UDP state" sh -c "'$DPFCTL' -s '$SOCK' show states |
	grep -E '^all udp 198.18.1.2:[0-9]+ -> 198.18.2.2:5003 +(MULTIPLE|SINGLE):(MULTIPLE|SINGLE)'"
# Polled: the state must go within the bound, and not long before its
# timeout (4 s on a whole-second clock: more than 3 s after its last packet;
# 2 s asserted, leaving a second for the probe's exit).
no_udp_state() { ! ctl show states | grep -q ':5003 '; }
if wait_for 15 "the UDP state to expire" no_udp_state; then
	now_ms
	age=$((NOW_MS - UDP_DONE))
	if [ "$age" -ge 2000 ]; then ok "UDP state expired after its timeout (gone ~$age ms after its last packet)"
	else notok "UDP state expired too early (~$age ms after its last packet, timeout 4 s)"; fi
else notok "UDP state did not expire"; ctl show states -v | sed 's/^/# /'; fi

# Per-rule max 2: two connections hold, a third is refused, the two go on.
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5030 6 >"$TMP/h1" 2>&1 &
h1=$!
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5030 6 >"$TMP/h2" 2>&1 &
h2=$!
# Both connections have their state before a third one is tried.
states_5030() { [ "$(ctl show states | grep -cE ':5030 +ESTABLISHED:ESTABLISHED')" = 2 ]; }
wait_for 15 "two ESTABLISHED states to port 5030" states_5030
check "show states -v shows an ESTABLISHED TCP state with its rule" sh -c "'$DPFCTL' -s '$SOCK' show states -v |
	grep -A2 -E '^all tcp 198.18.1.2:[0-9]+ -> 198.18.2.2:5030 +ESTABLISHED:ESTABLISHED' | grep -q 'rule 4'"
r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 5030 2)
[ "$r" = timeout ] && ok "third connection to a max-2 rule refused (no answer)" ||
	notok "third connection under max 2: $r"
if wait $h1 && wait $h2; then ok "the two existing connections kept flowing"
else notok "existing connections broke"; sed 's/^/# /' "$TMP/h1" "$TMP/h2"; fi
check "state-limit and max states per rule are counted" sh -c "'$DPFCTL' -s '$SOCK' show info -v |
	grep -E '^  state-limit +[1-9]' && '$DPFCTL' -s '$SOCK' show info -v | grep -E 'max states per rule +[1-9]'"

# Out-of-window RST and data injected inside a live connection.
ip netns exec "$P-srv" tcpdump -n -i "$P-s0" -w "$TMP/srv.pcap" -U tcp port 5001 >/dev/null 2>"$TMP/td.err" &
td=$!
wait_for 20 "tcpdump to capture on $P-s0" capturing "$TMP/td.err"
before=$(ctl -j show info | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"]["state-mismatch"])')
r=$(in_ns "$P-cli" "$PY" "$PROBE" spoof "$P-c0" 198.18.2.2 5001 2>&1)
rc=$?
# The capture has caught up once it holds the end of the connection (the
# client's FIN: the probe closes after its last echo).
fin_seen() { tcpdump -r "$TMP/srv.pcap" -n 'tcp[tcpflags] & tcp-fin != 0 and dst port 5001' 2>/dev/null | grep -q .; }
wait_for 10 "the capture to hold the client's FIN" fin_seen
stop_pid $td
after=$(ctl -j show info | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"]["state-mismatch"])')
if [ $rc = 0 ]; then ok "the connection goes on after the injected segments"
else notok "spoof probe: $r"; fi
rseq=$(echo "$r" | sed -n 's/.*rst_seq=\([0-9]*\).*/\1/p')
dseq=$(echo "$r" | sed -n 's/.*data_seq=\([0-9]*\).*/\1/p')
leaked=$(tshark -r "$TMP/srv.pcap" -Y "tcp.seq_raw == ${rseq:-0} || tcp.seq_raw == ${dseq:-0}" 2>/dev/null | wc -l)
total=$(tshark -r "$TMP/srv.pcap" 2>/dev/null | wc -l)
if [ -n "$rseq" ] && [ "$leaked" = 0 ] && [ "$total" -gt 10 ]; then
	ok "spoofed RST and out-of-window data never reached the server ($total packets seen there)"
else notok "leaked=$leaked total=$total rseq=$rseq"; fi
[ $((after - before)) -ge 2 ] && ok "state-mismatch counted the two injected segments ($before -> $after)" ||
	notok "state-mismatch $before -> $after"

# state kill: the connection's state goes; its next segments are blocked.
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5020 4 >"$TMP/h3" 2>&1 &
h3=$!
wait_for 15 "the ESTABLISHED state to port 5020" \
	sh -c "'$DPFCTL' -s '$SOCK' show states | grep -qE ':5020 +ESTABLISHED:ESTABLISHED'"
out=$(ctl state kill host 198.18.1.2/32)
echo "$out" | grep -qE '^killed [1-9][0-9]* states' && ok "state kill host: $out" || notok "state kill: $out"
if wait $h3; then notok "a killed connection should not go on"; else ok "a killed connection stops"; fi
check "state kill with a bad selector is refused" sh -c "! '$DPFCTL' -s '$SOCK' state kill host nonsense"

check "show rules -v counts packets on the labelled rule" sh -c "'$DPFCTL' -s '$SOCK' show rules -v |
	grep -A1 'label \"tcp-in\"' | grep -E 'Packets: [1-9]'"
check "show rules -v names the classifier's layout (lan and wan: classes)" sh -c "'$DPFCTL' -s '$SOCK' show rules -v |
	grep -E '^# classifier: classes layout, [0-9]+ categories, [a-z0-9]+; [1-9][0-9]* IPv4 and [0-9]+ IPv6 entries'"
check "-j show rules has the classifier object" sh -c "'$DPFCTL' -s '$SOCK' -j show rules |
	$PY -c 'import json,sys; c = json.load(sys.stdin)[\"classifier\"]; assert c[\"layout\"] == \"classes\" and c[\"categories\"] >= 4 and c[\"entries_ipv4\"] > 0, c'"
check "show info has the State Table section" sh -c "'$DPFCTL' -s '$SOCK' show info | grep -E '^  (current entries|searches|inserts|removals) '"
check "-j show states is a JSON array" sh -c "'$DPFCTL' -s '$SOCK' -j show states | $PY -c 'import json,sys; assert isinstance(json.load(sys.stdin), list)'"

# pflog: blocked packets, decoded by tcpdump and tshark.  The records of
# the blocks early in the test were written long ago; the wait only covers
# a writer that is slow to flush.
pflog_has() { tcpdump -n -e -r "$TMP/pflog.pcap" 2>/dev/null | grep -qE "$1"; }
wait_for 10 "pflog records of both blocked TCP connections" \
	pflog_has 'block in on lan: 198.18.1.2.[0-9]+ > 198.18.2.2.5002' &&
	wait_for 10 "the pflog record of the block on wan" pflog_has 'block in on wan: 198.18.2.2.[0-9]+ > 198.18.1.2.5002'
out=$(tcpdump -n -e -r "$TMP/pflog.pcap" 2>/dev/null)
echo "$out" | grep -qE 'rule 1/0\(match\): block in on lan: 198.18.1.2.[0-9]+ > 198.18.2.2.5002' &&
	ok "tcpdump decodes a pflog record of the blocked TCP connection" ||
	{ notok "pflog (tcpdump)"; echo "$out" | head -5 | sed 's/^/# /'; }
out=$(tshark -r "$TMP/pflog.pcap" -T fields -e pflog.action -e pflog.ifname -e pflog.dir 2>/dev/null | sort -u)
echo "$out" | grep -qE '^1\s+wan\s+1' && ok "tshark decodes action block, interface wan, direction in" ||
	{ notok "pflog (tshark)"; echo "$out" | head -5 | sed 's/^/# /'; }
ctl show info -v | sed 's/^/# /'
finish
