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
for p in 5001 5002 5003 5004 5020 5030; do
	in_ns "$P-srv" "$PY" "$PROBE" echo-server $p 120 &
done
in_ns "$P-cli" "$PY" "$PROBE" echo-server 5002 120 &
sleep 1

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

# States: a UDP state now, gone after udp.single (4 s) + a purge interval.
check "show states lists the UDP state" sh -c "'$DPFCTL' -s '$SOCK' show states |
	grep -E '^all udp 198.18.1.2:[0-9]+ -> 198.18.2.2:5003 +(MULTIPLE|SINGLE):(MULTIPLE|SINGLE)'"
sleep 7
if ctl show states | grep -q ':5003 '; then notok "UDP state did not expire"; ctl show states -v | sed 's/^/# /'
else ok "UDP state expired after its timeout"; fi

# Per-rule max 2: two connections hold, a third is refused, the two go on.
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5030 6 >"$TMP/h1" 2>&1 &
h1=$!
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5030 6 >"$TMP/h2" 2>&1 &
h2=$!
sleep 1
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
in_ns "$P-srv" tcpdump -n -i "$P-s0" -w "$TMP/srv.pcap" -U tcp port 5001 >/dev/null 2>&1 &
td=$!
sleep 1
before=$(ctl -j show info | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"]["state-mismatch"])')
r=$(in_ns "$P-cli" "$PY" "$PROBE" spoof "$P-c0" 198.18.2.2 5001 2>&1)
rc=$?
sleep 0.5
kill $td 2>/dev/null; wait $td 2>/dev/null
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
sleep 1
out=$(ctl state kill host 198.18.1.2/32)
echo "$out" | grep -qE '^killed [1-9][0-9]* states' && ok "state kill host: $out" || notok "state kill: $out"
if wait $h3; then notok "a killed connection should not go on"; else ok "a killed connection stops"; fi
check "state kill with a bad selector is refused" sh -c "! '$DPFCTL' -s '$SOCK' state kill host nonsense"

check "show rules -v counts packets on the labelled rule" sh -c "'$DPFCTL' -s '$SOCK' show rules -v |
	grep -A1 'label \"tcp-in\"' | grep -E 'Packets: [1-9]'"
check "show info has the State Table section" sh -c "'$DPFCTL' -s '$SOCK' show info | grep -E '^  (current entries|searches|inserts|removals) '"
check "-j show states is a JSON array" sh -c "'$DPFCTL' -s '$SOCK' -j show states | $PY -c 'import json,sys; assert isinstance(json.load(sys.stdin), list)'"

# pflog: blocked packets, decoded by tcpdump and tshark.
sleep 1.5
out=$(tcpdump -n -e -r "$TMP/pflog.pcap" 2>/dev/null)
echo "$out" | grep -qE 'rule 1/0\(match\): block in on lan: 198.18.1.2.[0-9]+ > 198.18.2.2.5002' &&
	ok "tcpdump decodes a pflog record of the blocked TCP connection" ||
	{ notok "pflog (tcpdump)"; echo "$out" | head -5 | sed 's/^/# /'; }
out=$(tshark -r "$TMP/pflog.pcap" -T fields -e pflog.action -e pflog.ifname -e pflog.dir 2>/dev/null | sort -u)
echo "$out" | grep -qE '^1\s+wan\s+1' && ok "tshark decodes action block, interface wan, direction in" ||
	{ notok "pflog (tshark)"; echo "$out" | head -5 | sed 's/^/# /'; }
ctl show info -v | sed 's/^/# /'
finish
