#!/usr/bin/env bash
# pfsync on split paths: two dpf nodes forward the two directions of the same
# connections, one each, and pfsync alone lets the replies through.  Needs
# root; cleans up; ends by itself (every wait is bounded).
#
#   $P-cli 198.18.1.2 -- br0 ($P-sw) br1 -- 198.18.2.2 $P-srv
#   $P-fw1 lan 198.18.1.11 / wan 198.18.2.11 / sync 198.19.0.1/30  host_id 0x0000f001
#   $P-fw2 lan 198.18.1.12 / wan 198.18.2.12 / sync 198.19.0.2/30  host_id 0x0000f002
#   the client's default route is fw1, the server's fw2 (an asymmetric static
#   route, deterministic): every packet client -> server passes fw1, every
#   packet server -> client fw2.
#
# The ruleset blocks by default and passes TCP on SYN (flags S/SA), UDP and
# ICMP echo requests from the client's side only, so fw2 passes a reply only
# on a state it learned from fw1.  Replies from UDP port 7100 may also make
# a state of their own, so that both nodes make one for the same flow (the
# merge rule, docs/pfsync.md "Two states for one connection").
#
# Checks (TAP):
#  1  both nodes start, sync up both ways
#  2  TCP: N_XFER connections (half each way) through the split path all
#     establish and transfer intact (SHA-256); the SYN|ACKs the server sent
#     all reached the client (DEFER=1; with DEFER=0 the number dropped is
#     printed: the first SYN|ACK may beat the insert, and its retransmission
#     passes); both nodes count split-updates; one state per connection on
#     both nodes, fw1's identity
#  3  UDP flows (new source port each) all answered (DEFER=1: on the first
#     try; DEFER=0: the first reply may beat the insert, a retry passes)
#  4  UDP flows whose replies make fw2's own state (port 7100): each ends as
#     one state per node under fw1's identity (the lower creatorid),
#     answered, and fw1/fw2 count joined/adopted records (DEFER=0)
#  5  ICMP: 20 echo requests, all answered but at most the first (DEFER=0)
#  6  the same with the nodes restarted without the sync section: no TCP
#     connection establishes, no UDP or ICMP answer comes back (what goes
#     wrong without pfsync: the test discriminates)
#
# DEFER=1 adds "defer": true to the sync section (sync.defer: the first
# packet of a state waits for the peer's INS_ACK).
#
# SPLIT_BENCH=SECONDS (tools/bench/split_bench.sh) measures instead of
# checking: after check 1, one iperf3 TCP stream client -> server, SECONDS
# long, through one node (the server's route back via fw1 too) and through
# the split path, alternating, SPLIT_ROUNDS (2) times each; both dpf nodes
# on CPU 0 (EAL lcores 0@0,1@0), iperf3 on CPU 1.  Prints "# bench ..."
# lines: throughput, retransmissions, the nodes' state-mismatch drops and
# split-updates, stale answers and UPD_REQs for a view a packet was dropped
# against (upd-req-stale).
. "$(dirname "$0")/lib.sh"

PROBE=$(cd "$(dirname "$0")" && pwd)/pfsync_probe.py
SPROBE=$(cd "$(dirname "$0")" && pwd)/split_probe.py
DEFER=${DEFER:-0}
BENCH=${SPLIT_BENCH:-}
LCORES=0-1
[ -n "$BENCH" ] && LCORES=0@0,1@0
P=sp$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
declare -A FWPID=() HOSTID=([1]=0000f001 [2]=0000f002)
BG=()
N_XFER=10
XFER_SIZE=2000000
XFER_RATE=2000000
STALL=10
DEADLINE=40

cleanup() {
	local n pid ns
	exec 2>/dev/null	# the TAP is out; not the shell's "Killed" lines
	for n in "${!FWPID[@]}"; do kill -9 "${FWPID[$n]}" 2>/dev/null; done
	for pid in "${BG[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for ns in cli srv fw1 fw2 sw; do
		for pid in $(ip netns pids "$P-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	wait 2>/dev/null
	for ns in sw cli srv fw1 fw2; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
	rundirs_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for ns in sw cli srv fw1 fw2; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
cluster_bridges
veth "$P-fw1" "$P-f1s" "$P-fw2" "$P-f2s"
veth "$P-cli" "$P-c0" "$P-sw" "$P-sc"
veth "$P-srv" "$P-v0" "$P-sw" "$P-sv"
in_ns "$P-sw" ip link set "$P-sc" master br0
in_ns "$P-sw" ip link set "$P-sv" master br1
in_ns "$P-cli" ip addr add 198.18.1.2/24 dev "$P-c0"
in_ns "$P-cli" ip route add default via 198.18.1.11
in_ns "$P-srv" ip addr add 198.18.2.2/24 dev "$P-v0"
in_ns "$P-srv" ip route add default via 198.18.2.12

# fw_config N SYNC(0|1)
fw_config() {
	local sync=
	[ "$2" = 1 ] && sync=',
  "sync": { "interface": "sync"'"$([ "$DEFER" = 1 ] && echo ', "defer": true')"' }'
	{
		sync_node_json "$P-fw$1" "${HOSTID[$1]}" "$TMP/fw$1.sock" "$LCORES" 20 "$P-f$1l" "$P-f$1w" "$P-f$1s" 198.18.1.1$1 198.18.2.1$1 198.19.0.$1
		cat <<JSON
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto tcp from 198.18.1.0/24 to 198.18.2.0/24 flags S/SA keep state",
    "pass inet proto udp from 198.18.1.0/24 to 198.18.2.0/24 keep state",
    "pass inet proto udp from 198.18.2.0/24 port 7100 to 198.18.1.0/24 keep state",
    "pass inet proto icmp from 198.18.1.0/24 to 198.18.2.0/24 icmp-type echoreq keep state"
  ]$sync
}
JSON
	} >"$TMP/fw$1.json"
}

fw_start() { # N SYNC
	local n=$1
	fw_config "$n" "$2"
	rm -f "$TMP/fw$n.sock"
	ip netns exec "$P-fw$n" stdbuf -oL -eL "$DPF" -c "$TMP/fw$n.json" >>"$TMP/fw$n.log" 2>&1 &
	FWPID[$n]=$!
	for _ in $(seq 100); do
		if "$DPFCTL" -s "$TMP/fw$n.sock" ping >/dev/null 2>&1; then return 0; fi
		kill -0 "${FWPID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	diag "fw$n did not start:"; sed 's/^/#   /' "$TMP/fw$n.log" | tail -20
	return 1
}

fw_stop() { # N
	kill -TERM "${FWPID[$1]}" 2>/dev/null
	wait "${FWPID[$1]}" 2>/dev/null
	unset "FWPID[$1]"
}

fctl() { local n=$1; shift; "$DPFCTL" -s "$TMP/fw$n.sock" -t 3 "$@"; }

# poll SECONDS COMMAND...: until it succeeds, at most SECONDS; prints the
# output of the last try.
poll() {
	local end=$(($(date +%s%N) + $1 * 1000000000)) out=$TMP/poll.$RANDOM rc
	shift
	while :; do
		"$@" >"$out" 2>&1 && { rc=0; break; }
		[ "$(date +%s%N)" -lt $end ] || { rc=1; break; }
		sleep 0.2
	done
	cat "$out"
	rm -f "$out"
	return $rc
}

# xstat N NAME: one of show pfsync's counters (0 when missing)
xstat() {
	fctl "$1" -j show pfsync >"$TMP/ps.$1.json" 2>/dev/null &&
		"$PY" "$SPROBE" json-find "$TMP/ps.$1.json" "$2" 2>/dev/null || echo 0
}
# drops N REASON: a drop reason of show info -v (0 when none)
drops() {
	fctl "$1" -j show info -v >"$TMP/info.$1.json" 2>/dev/null &&
		"$PY" "$SPROBE" json-find "$TMP/info.$1.json" "$2" 2>/dev/null || echo 0
}
states() { fctl "$1" -j show states >"$TMP/st.$1.json" 2>/dev/null; }
peer_heard() { grep -q "event=sync-peer peer=.* iface=" "$TMP/fw$1.log"; }

# tcp_run TAG PORT: N_XFER transfers, half client->server to PORT, half
# server->client from PORT+100; the SYN|ACKs captured on both ends.
tcp_run() {
	local tag=$1 port=$2 up=$((N_XFER / 2)) x
	in_ns "$P-srv" tcpdump -i "$P-v0" -s 96 -w "$TMP/$tag.srv.pcap" -U \
		"tcp and src host 198.18.2.2 and (src port $port or src port $((port + 100)))" \
		>"$TMP/$tag.srv.td" 2>&1 &
	BG+=($!)
	in_ns "$P-cli" tcpdump -i "$P-c0" -s 96 -w "$TMP/$tag.cli.pcap" -U \
		"tcp and src host 198.18.2.2 and (src port $port or src port $((port + 100)))" \
		>"$TMP/$tag.cli.td" 2>&1 &
	BG+=($!)
	poll 5 capturing "$TMP/$tag.srv.td" >/dev/null
	poll 5 capturing "$TMP/$tag.cli.td" >/dev/null
	in_ns "$P-srv" "$PY" "$PROBE" tcp-server "$port" sink $up $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/$tag.su.json" >/dev/null 2>&1 &
	BG+=($!)
	in_ns "$P-srv" "$PY" "$PROBE" tcp-server $((port + 100)) source $((N_XFER - up)) $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/$tag.sd.json" >/dev/null 2>&1 &
	BG+=($!)
	poll 5 tcp_listening "$P-srv" "$port" $((port + 100)) >/dev/null
	in_ns "$P-cli" "$PY" "$PROBE" tcp-client 198.18.2.2 "$port" source $up $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/$tag.cu.json" >/dev/null 2>&1 &
	x=$!
	in_ns "$P-cli" "$PY" "$PROBE" tcp-client 198.18.2.2 $((port + 100)) sink $((N_XFER - up)) $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/$tag.cd.json" >/dev/null 2>&1
	wait $x
	sleep 0.5
}

# xfer_result TAG: prints the tallies; XFER_INTACT gets the intact count
xfer_result() {
	local rc=0 out dir n up=$((N_XFER / 2))
	XFER_INTACT=0
	for dir in u d; do
		if [ $dir = u ]; then n=$up; else n=$((N_XFER - up)); fi
		out=$("$PY" "$PROBE" xfer-check "$TMP/$1.c$dir.json" "$TMP/$1.s$dir.json" $n $XFER_SIZE) || rc=1
		echo "$([ $dir = u ] && echo client-to-server || echo server-to-client): $out"
		n=$(echo "$out" | sed -n '1s/^\([0-9][0-9]*\) intact.*/\1/p')
		XFER_INTACT=$((XFER_INTACT + ${n:-0}))
	done
	return $rc
}

synacks() { "$PY" "$SPROBE" count-synack "$1"; }

T0=$(date +%s)
# bench_run MODE ROUND: one iperf3 stream; MODE single (both ways via fw1) or
# split (replies via fw2)
bench_run() {
	local gw=198.18.2.12 j=$TMP/iperf.$1.$2.json bps retr mm1 mm2 su1 su2
	[ "$1" = single ] && gw=198.18.2.11
	in_ns "$P-srv" ip route replace default via $gw
	mm1=$(drops 1 state-mismatch); mm2=$(drops 2 state-mismatch)
	su1=$(xstat 1 split-updates); su2=$(xstat 2 split-updates)
	st1=$(xstat 1 stale); st2=$(xstat 2 stale)
	rq1=$(xstat 1 upd-req-stale); rq2=$(xstat 2 upd-req-stale)
	in_ns "$P-srv" taskset -c 1 timeout $((BENCH + 20)) iperf3 -s -1 -p 5301 >/dev/null 2>&1 &
	BG+=($!)
	poll 5 tcp_listening "$P-srv" 5301 >/dev/null
	in_ns "$P-cli" taskset -c 1 timeout $((BENCH + 20)) iperf3 -c 198.18.2.2 -p 5301 \
		-t "$BENCH" -J >"$j" 2>&1
	bps=$("$PY" "$PROBE" json-get "$j" end.sum_received.bits_per_second 2>/dev/null || echo 0)
	retr=$("$PY" "$PROBE" json-get "$j" end.sum_sent.retransmits 2>/dev/null || echo ?)
	diag "bench $1 round $2: $(awk -v b="$bps" 'BEGIN { printf "%.0f", b / 1e6 }') Mbit/s," \
		"$retr retransmits; state-mismatch drops fw1 +$(($(drops 1 state-mismatch) - mm1))," \
		"fw2 +$(($(drops 2 state-mismatch) - mm2)); split-updates fw1" \
		"+$(($(xstat 1 split-updates) - su1)), fw2 +$(($(xstat 2 split-updates) - su2));" \
		"stale fw1 +$(($(xstat 1 stale) - st1)), fw2 +$(($(xstat 2 stale) - st2));" \
		"upd-req-stale fw1 +$(($(xstat 1 upd-req-stale) - rq1)), fw2 +$(($(xstat 2 upd-req-stale) - rq2))"
	echo "$1 $bps" >>"$TMP/bench"
	sleep 1
}
# --- 1. both nodes, sync up ---------------------------------------------------
fw_start 1 1 || { notok "fw1 starts"; finish; exit 1; }
fw_start 2 1 || { notok "fw2 starts"; finish; exit 1; }
ok "two dpf nodes start (host ids 0x${HOSTID[1]} and 0x${HOSTID[2]}, sync on its own veth, defer $DEFER)"
check "each node hears the other on the sync link" poll 15 eval 'peer_heard 1 && peer_heard 2'

if [ -n "$BENCH" ]; then
	diag "load before: $(uptime)"
	for r in $(seq "${SPLIT_ROUNDS:-2}"); do for m in ${SPLIT_MODES:-single split}; do bench_run $m "$r"; done; done
	diag "load after: $(uptime)"
	awk '{ s[$1] += $2; n[$1]++ } END { if (n["single"] && n["split"]) {
		a = s["single"] / n["single"]; b = s["split"] / n["split"]
		printf "# bench mean: single node %.0f Mbit/s, split path %.0f Mbit/s (%.1f%%)\n",
			a / 1e6, b / 1e6, (a > 0 ? 100 * b / a : 0) } }' "$TMP/bench"
	finish
	exit
fi
# --- 2. TCP -------------------------------------------------------------------
tcp_run A 5001
if xfer_result A >"$TMP/xfer.out" 2>&1; then
	ok "TCP: all $N_XFER connections (client->server via fw1, replies via fw2) establish and transfer $XFER_SIZE bytes intact (SHA-256)"
else notok "TCP: transfers through the split path"
	# Which node dropped what, for a stall (seen once in CI, 7 Dec: one of
	# ten transfers stopped at 65160 bytes for 10 s; not reproduced locally).
	for n in 1 2; do
		fctl "$n" show info -v | sed -n '/^Drop reasons/,/^[A-Z]/p' | grep '^  ' |
			tr -s ' ' | tr '\n' ';' | sed "s/^/# fw$n drops:/"
		echo
		fctl "$n" show pfsync | grep -Ei 'stale|catch|split|defer' | tr -s ' ' |
			tr '\n' ';' | sed "s/^/# fw$n pfsync:/"
		echo
	done
fi
sed 's/^/# /' "$TMP/xfer.out" | head -12
sa_srv=$(synacks "$TMP/A.srv.pcap")
sa_cli=$(synacks "$TMP/A.cli.pcap")
sa_drop=$((sa_srv - sa_cli))
blocked=$(drops 2 rule-block)
diag "SYN|ACK: the server sent $sa_srv, the client got $sa_cli ($sa_drop dropped); fw2 rule-block drops: $blocked"
if [ "$DEFER" = 1 ]; then
	if [ "$sa_srv" -ge "$N_XFER" ] && [ "$sa_drop" = 0 ]; then
		ok "TCP: 0 SYN|ACKs dropped on fw2 (defer holds the SYN until fw2 has the state)"
	else notok "TCP: $sa_drop of $sa_srv SYN|ACKs dropped on fw2"; fi
else
	diag "defer off: $sa_drop of $sa_srv SYN|ACKs beat fw1's insert to fw2 and were dropped (their retransmissions passed); DEFER=1 checks for 0"
fi
su1=$(xstat 1 split-updates)
su2=$(xstat 2 split-updates)
if [ "$su1" -gt 0 ] && [ "$su2" -gt 0 ]; then
	ok "both nodes recognise the split states and send their updates at once (split-updates: fw1 $su1, fw2 $su2)"
else notok "split-updates: fw1 $su1, fw2 $su2"; fi
check "TCP: one state per connection on each node, under fw1's identity" eval \
	'states 1 && states 2 && "$PY" "$SPROBE" one-state "$TMP/st.1.json" "$TMP/st.2.json" tcp 5001 "${HOSTID[1]}" $((N_XFER / 2)) &&
	 "$PY" "$SPROBE" one-state "$TMP/st.1.json" "$TMP/st.2.json" tcp 5101 "${HOSTID[1]}" $((N_XFER - N_XFER / 2))'

# --- 3. UDP -------------------------------------------------------------------
in_ns "$P-srv" "$PY" "$SPROBE" udp-echo 7000 60 &
BG+=($!)
in_ns "$P-srv" "$PY" "$SPROBE" udp-echo 7100 60 &
BG+=($!)
poll 5 udp_bound "$P-srv" 7000 7100 >/dev/null
out=$(in_ns "$P-cli" "$PY" "$SPROBE" udp-ask 198.18.2.2 7000 20 5 0.3)
rc=$?
read -r first _ later _ lost _ <<<"$out"
if [ "$DEFER" = 1 ]; then
	[ "$rc" = 0 ] && [ "$first" = 20 ]
else
	[ "$rc" = 0 ]
fi && ok "UDP: 20 flows through the split path all answered ($out)" ||
	notok "UDP: 20 flows through the split path: $out"

# --- 4. two states for one flow -------------------------------------------------
a0=$(xstat 2 adopted)
j0=$(xstat 1 joined)
out=$(in_ns "$P-cli" "$PY" "$SPROBE" udp-ask 198.18.2.2 7100 20 5 0.3)
rc=$?
sleep 0.5
a1=$(($(xstat 2 adopted) - a0))
j1=$(($(xstat 1 joined) - j0))
diag "port 7100: $out; fw2 adopted $a1, fw1 joined $j1 (fw1 adopted $(xstat 1 adopted), fw2 joined $(xstat 2 joined): 0 expected)"
[ "$rc" = 0 ] && ok "UDP, replies that may make their own state on fw2: 20 flows all answered ($out)" ||
	notok "UDP port 7100: $out"
check "UDP port 7100: one state per flow on each node, under fw1's identity (the lower creatorid)" eval \
	'states 1 && states 2 && "$PY" "$SPROBE" one-state "$TMP/st.1.json" "$TMP/st.2.json" udp 7100 "${HOSTID[1]}" 20'
if [ "$DEFER" = 1 ]; then
	diag "defer on: fw2 had fw1's state before the reply: $a1 adopted"
elif [ "$a1" -gt 0 ] && [ "$(xstat 1 adopted)" = 0 ] && [ "$(xstat 2 joined)" = 0 ]; then
	ok "two states made for one flow merged into fw1's (lower creatorid): fw2 adopted it for $a1 of 20 flows, fw1 joined $j1 of fw2's records into its own, never the other way"
else notok "the merge of two states of one flow: fw2 adopted $a1, fw1 adopted $(xstat 1 adopted), fw2 joined $(xstat 2 joined)"; fi

# --- 5. ICMP ------------------------------------------------------------------
in_ns "$P-cli" ping -c 20 -i 0.05 -W 1 198.18.2.2 >"$TMP/ping.out" 2>&1
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.out")
if [ "${got:-0}" -ge $([ "$DEFER" = 1 ] && echo 20 || echo 19) ]; then
	ok "ICMP: $got of 20 echo requests answered through the split path"
else notok "ICMP: ${got:-0} of 20 answered"; fi

diag "with sync: $(($(date +%s) - T0)) s"
# --- 6. without sync ------------------------------------------------------------
fw_stop 1
fw_stop 2
fw_start 1 0 && fw_start 2 0 || { notok "nodes restart without sync"; finish; exit 1; }
# A connect() that gets no SYN|ACK gives up after 10 s: two each way.
N_XFER=4
STALL=4
DEADLINE=25
tcp_run B 5201
xfer_result B >"$TMP/xfer.out" 2>&1
sed 's/^/# /' "$TMP/xfer.out" | head -4
diag "without sync: fw2 rule-block drops $(drops 2 rule-block)"
if [ "$XFER_INTACT" = 0 ]; then
	ok "without pfsync no TCP connection through the split path completes (0 of $N_XFER: fw2 drops the SYN|ACKs)"
else notok "without pfsync $XFER_INTACT of $N_XFER transfers completed: the test does not discriminate"; fi
out=$(in_ns "$P-cli" "$PY" "$SPROBE" udp-ask 198.18.2.2 7000 5 2 0.3)
read -r first _ later _ lost _ <<<"$out"
[ "$lost" = 5 ] && ok "without pfsync no UDP reply comes back ($out)" ||
	notok "without pfsync UDP: $out"
in_ns "$P-cli" ping -c 5 -i 0.1 -W 1 198.18.2.2 >"$TMP/ping.out" 2>&1
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.out")
[ "${got:-0}" = 0 ] && ok "without pfsync no echo reply comes back" ||
	notok "without pfsync $got echo replies came back"

diag "took $(($(date +%s) - T0)) s"
finish
