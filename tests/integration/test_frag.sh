#!/usr/bin/env bash
# IP fragments through the filter: datagrams are reassembled before the
# rules and states see them (so port rules hold for fragmented traffic),
# IPv6 leaves refragmented with the sender's identification, IPv4 whole
# or refragmented to the MTU; incomplete and overlapping datagrams are
# dropped and counted under "fragment".  Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/filter_probe.py"
FPROBE="$HERE/frag_probe.py"

netns_setup "dpfg$$"
# Ports on net_pcap, not net_af_packet: DPDK's af_packet joins a
# PACKET_FANOUT group with the DEFRAG flag, so the kernel would reassemble
# IPv4 before dpf saw a fragment.  Each port's second queue (the control
# core's) listens on one end of an idle veth pair.
ip link add "$P-d0" netns "$P-fw" type veth peer name "$P-d1" netns "$P-fw"
for i in d0 d1; do
	in_ns "$P-fw" sysctl -qw "net.ipv6.conf.$P-$i.disable_ipv6=1"
	in_ns "$P-fw" ip link set "$P-$i" up
done
DPF_RULES='[
    "block return all",
    "pass in on lan proto udp to port 5003",
    "pass in on lan inet proto icmp all icmp-type echoreq",
    "pass in on lan inet6 proto icmp6 all",
    "pass out all"
  ]'
dpf_config 1 "0-1" "" ',
  "timeouts": { "frag": 2, "interval": 1 }'
pcap_port() { echo "net_pcap$1,rx_iface_in=$P-$2,rx_iface_in=$P-d0,tx_iface=$P-$2,tx_iface=$P-$2,phy_mac=1"; }
sed -i -e "s|net_af_packet0,iface=$P-l0|$(pcap_port 0 l0)|" \
	-e "s|net_af_packet1,iface=$P-w0|$(pcap_port 1 w0)|" \
	-e 's|"device": "net_af_packet\([01]\)"|"device": "net_pcap\1"|' "$TMP/dpf.json"
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts"

SRV_PIDS=
for p in 5003 5004; do ip netns exec "$P-srv" "$PY" "$PROBE" echo-server $p 180 & SRV_PIDS="$SRV_PIDS $!"; done
# The servers go with everything else, whatever happens (left running,
# they would hold the test's stdout, and meson with it).
trap 'kill $SRV_PIDS 2>/dev/null; netns_cleanup' EXIT
servers_up() { tcp_listening "$P-srv" 5003 5004 && udp_bound "$P-srv" 5003 5004; }
wait_for 20 "the echo servers" servers_up
frag() { ctl -j show info | "$PY" -c "import json,sys; print(json.load(sys.stdin)['fragments']['$1'])"; }

check "ICMP echo of 3000 bytes (fragmented both ways) IPv4" \
	in_ns "$P-cli" ping -c 3 -i 0.2 -W 2 -s 3000 198.18.2.2
# Capture the IPv6 fragments as sent and as delivered, to compare the ids.
# (ip netns exec execs timeout, which passes signals on: $! is timeout.)
ip netns exec "$P-cli" timeout 20 tcpdump -i "$P-c0" -w "$TMP/cli6.pcap" -U ip6 >/dev/null 2>"$TMP/td1.err" &
td1=$!
ip netns exec "$P-srv" timeout 20 tcpdump -i "$P-s0" -w "$TMP/srv6.pcap" -U ip6 >/dev/null 2>"$TMP/td2.err" &
td2=$!
both_capturing() { capturing "$TMP/td1.err" && capturing "$TMP/td2.err"; }
wait_for 20 "tcpdump to capture on $P-c0 and $P-s0" both_capturing
check "ICMPv6 echo of 3000 bytes (fragmented both ways) IPv6" \
	in_ns "$P-cli" ping -6 -c 3 -i 0.2 -W 2 -s 3000 2001:db8:2::2
r=$(frag refragmented)
[ "$r" -ge 6 ] && ok "IPv6 datagrams refragmented on the way out ($r fragments)" ||
	notok "refragmented: $r"
ids() { tshark -r "$1" -Y "icmpv6.type == $2 || ipv6.fraghdr.offset > 0" -T fields \
	-e ipv6.src -e ipv6.fraghdr.ident 2>/dev/null | awk -v s="$3" '$1 == s && $2 != "" {print $2}' | sort -u; }
# The captures have caught up when both hold the three echo requests'
# fragments and the sender's capture the three (fragmented) replies.
caught_up() {
	[ "$(ids "$TMP/cli6.pcap" 128 2001:db8:1::2 | wc -l)" -ge 3 ] &&
		[ "$(ids "$TMP/srv6.pcap" 128 2001:db8:1::2 | wc -l)" -ge 3 ] &&
		[ "$(ids "$TMP/cli6.pcap" 129 2001:db8:2::2 | wc -l)" -ge 3 ]
}
wait_for 15 "the captures to hold the three echoes" caught_up
stop_pid "$td1"
stop_pid "$td2"
sent=$(ids "$TMP/cli6.pcap" 128 2001:db8:1::2)
got=$(ids "$TMP/srv6.pcap" 128 2001:db8:1::2)
if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
	ok "IPv6 fragments keep the sender's identification ($(echo $sent | wc -w) datagrams)"
else notok "fragment ids: sent [$(echo $sent)] delivered [$(echo $got)]"; fi
big=$(tshark -r "$TMP/srv6.pcap" -T fields -e frame.len 2>/dev/null | sort -n | tail -1)
[ -n "$big" ] && [ "$big" -le 1514 ] && ok "no refragmented IPv6 frame larger than the sender's (max $big)" ||
	notok "largest IPv6 frame delivered: $big"

for dst in 198.18.2.2 2001:db8:2::2; do
	r=$(in_ns "$P-cli" "$PY" "$FPROBE" udp $dst 5003 4000 3)
	[ "$r" = reply ] && ok "UDP 4000 bytes to port 5003 passed by its port rule and echoed ($dst)" ||
		notok "UDP 4000 to 5003 $dst: $r"
	r=$(in_ns "$P-cli" "$PY" "$FPROBE" udp $dst 5004 4000 3)
	[ "$r" = refused ] && ok "UDP 4000 bytes to port 5004 blocked, ICMP unreachable returned ($dst)" ||
		notok "UDP 4000 to 5004 $dst: $r"
done
check "show states lists the reassembled UDP flow" sh -c "'$DPFCTL' -s '$SOCK' show states |
	grep -E '^all udp 198.18.1.2:[0-9]+ -> 198.18.2.2:5003 '"

rx=$(frag received); re=$(frag reassembled); dr0=$(frag dropped)
[ "$rx" -gt 0 ] && [ "$re" -gt 0 ] && ok "fragments counted: $rx received, $re reassembled" ||
	notok "fragment counters: received $rx reassembled $re"

r=$(in_ns "$P-cli" "$PY" "$FPROBE" good 198.18.2.2 5003 3)
[ "$r" = reply ] && ok "hand-made fragments of a datagram are reassembled and answered" ||
	notok "scapy control datagram: $r"
r=$(in_ns "$P-cli" "$PY" "$FPROBE" overlap 198.18.2.2 5003 3)
[ "$r" = none ] && ok "overlapping fragments are not delivered" || notok "overlap: $r"
r=$(in_ns "$P-cli" "$PY" "$FPROBE" lone 198.18.2.2 5003 2)
[ "$r" = none ] && ok "a lone first fragment is not delivered" || notok "lone: $r"
# The lone fragment is dropped when the frag timeout (2 s) passes.
dropped3() { dr1=$(frag dropped); [ "$dr1" -ge $((dr0 + 3)) ]; }
wait_for 15 "the lone fragment to time out" dropped3
dr1=$(frag dropped)
[ "$dr1" -ge $((dr0 + 3)) ] && ok "overlap (2) and the timed-out lone fragment (1) counted as dropped ($dr0 -> $dr1)" ||
	notok "fragment drops $dr0 -> $dr1"
check "show info names the fragment reason" sh -c "'$DPFCTL' -s '$SOCK' show info | grep -E '^  fragment +[1-9]'"

check "dpf still answers" ctl ping
stop_dpf
rc=$STOP_RC
[ "$rc" -eq 0 ] && ok "dpf exits 0 on SIGTERM" || notok "dpf exit $rc"
kill $SRV_PIDS 2>/dev/null
finish
