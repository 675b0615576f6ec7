#!/usr/bin/env bash
# pfsync defer end to end: with sync.defer on, the first packet of a new
# state waits on the node that made it until the peer acknowledges the
# insert (INS_ACK), or 20 ms.  Needs root; cleans up; ends by itself
# (every wait is bounded, every helper has a deadline).
#
#   $P-cli 198.18.1.2 -- br0 ($P-sw) br1 -- 198.18.2.2 $P-srv
#   $P-fw1 lan 198.18.1.11 / wan 198.18.2.11 / sync 198.19.0.1/30  host_id 0x0000d001
#   $P-fw2 lan 198.18.1.12 / wan 198.18.2.12 / sync 198.19.0.2/30  host_id 0x0000d002
#   sync: a veth pair straight from fw1 to fw2 (its own DPDK port on each)
#   The client and the server route through fw1 (no CARP: fw2 is the
#   peer that acknowledges, nothing is routed through it).
#
# The ruleset blocks by default and passes TCP from the client on SYN
# (flags S/SA), so every connection makes one state on fw1 with its SYN.
#
# Checks (TAP), in order:
#  1  both nodes up with defer on; the sync link carries both ways
#  2  one TCP connection through fw1 transfers 200 kB intact; fw1 held its
#     first packet and released it on the peer's ack (released-ack > 0,
#     INS_ACK received); fw2 was asked for and sent the INS_ACK
#  3  DEFER_N (default 200; docs/BENCHMARKS.md uses 1000) new connections, one after the other, all
#     intact; every held packet released (held = by ack + by timeout,
#     none held now), at least 90% by ack; the deferral delay (show
#     pfsync p50/p99/max) and the clients' connect times as "# delay" lines
#  4  fw2 stopped (kill -9): 20 new connections still complete; each first
#     packet was released by the timeout (20 more), and connect() takes
#     about the timeout (p50 >= 20 ms)
#  5  both nodes again with defer off: 20 connections, nothing held on fw1,
#     fw2 asked for no INS_ACK, and the states still reach fw2
. "$(dirname "$0")/lib.sh"

PSPROBE=$(cd "$(dirname "$0")" && pwd)/pfsync_probe.py
PROBE=$(cd "$(dirname "$0")" && pwd)/defer_probe.py
P=pd$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
declare -A FWPID=() HOSTID=([1]=0000d001 [2]=0000d002)
BG=()
DEFER_N=${DEFER_N:-200}
# DEFER_LCORES="L1 L2": EAL lcores of fw1 and fw2 (default both "0-1"), e.g.
# "0@0,1@0 0@1,1@1" puts each node's control core and worker on a CPU of
# its own (docs/BENCHMARKS.md, "pfsync defer").
read -r LCORES1 LCORES2 <<<"${DEFER_LCORES:-0-1 0-1}"
declare -A LCORES=([1]=$LCORES1 [2]=${LCORES2:-$LCORES1})
PORT=5201

cleanup() {
	local n pid ns
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
in_ns "$P-srv" ip route add default via 198.18.2.11

# fw_config N DEFER(true|false)
fw_config() {
	{
		sync_node_json "$P-fw$1" "${HOSTID[$1]}" "$TMP/fw$1.sock" "${LCORES[$1]}" 100 "$P-f$1l" "$P-f$1w" "$P-f$1s" 198.18.1.1$1 198.18.2.1$1 198.19.0.$1
		cat <<JSON
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto tcp from 198.18.1.0/24 to 198.18.2.0/24 flags S/SA keep state",
    "pass inet proto icmp from 198.18.1.0/24 to 198.18.2.0/24 icmp-type echoreq keep state"
  ],
  "sync": { "interface": "sync", "defer": $2 }
}
JSON
	} >"$TMP/fw$1.json"
}

fw_start() { # N DEFER
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

fw_kill() { # N SIGNAL
	kill -"$2" "${FWPID[$1]}" 2>/dev/null
	wait "${FWPID[$1]}" 2>/dev/null
	unset "FWPID[$1]"
}

fctl() { local n=$1; shift; "$DPFCTL" -s "$TMP/fw$n.sock" -t 3 "$@"; }

# pf N PATH: one field of `dpfctl -j show pfsync` on node N (PATH dotted).
pf() {
	fctl "$1" -j show pfsync >"$TMP/pfsync.$1.json" 2>/dev/null || return 1
	"$PY" "$PSPROBE" json-get "$TMP/pfsync.$1.json" "$2"
}
pfn() { local v; v=$(pf "$@") || v=-1; echo "${v:--1}"; }

# conns_run TAG COUNT SIZE: COUNT connections client -> server, one at a
# time; the result in $TMP/TAG.json.
conns_run() { in_ns "$P-cli" "$PY" "$PROBE" client 198.18.2.2 $PORT "$2" "$3" 120 "$TMP/$1.json"; }
cget() { "$PY" "$PSPROBE" json-get "$TMP/$1.json" "$2"; }

server_start() {
	# Disowned: cleanup kills it with the namespace's processes, without
	# bash's job report.
	ip netns exec "$P-srv" "$PY" "$PROBE" server $PORT 300 >"$TMP/server.out" 2>&1 &
	disown
	wait_for 5 "the server listening" eval \
		'[ -n "$(in_ns "$P-srv" ss -Hlnt "sport = :$PORT")" ]'
}

peers_hear() { # each node has had a packet from the other
	[ "$(pfn 1 stats.ipackets)" -gt 0 ] && [ "$(pfn 2 stats.ipackets)" -gt 0 ]
}

# --- 1. both nodes, defer on ----------------------------------------------------
fw_start 1 true || { notok "fw1 starts"; finish; exit 1; }
fw_start 2 true || { notok "fw2 starts"; finish; exit 1; }
ok "two dpf nodes start with sync.defer on (host ids 0x${HOSTID[1]} and 0x${HOSTID[2]})"
check "show pfsync -j: defer on, timeout 20000 us, limit 128" eval \
	'[ "$(pf 1 defer)" = true ] && [ "$(pf 1 deferrals.enabled)" = true ] &&
	 [ "$(pf 1 deferrals.timeout_us)" = 20000 ] && [ "$(pf 1 deferrals.max_held)" = 128 ]'
check "the sync link carries both ways (each node heard the other)" \
	wait_for 30 "both peers heard" peers_hear
server_start || diag "server not listening"

# --- 2. one connection -----------------------------------------------------------------
check "one TCP connection through fw1 transfers 200 kB intact (defer on)" \
	conns_run one 1 200000
fctl 1 show pfsync | grep -A3 'defer on' | sed 's/^/# fw1: /'
check "fw1 held the first packet and released it on the peer's ack" eval \
	'[ "$(pfn 1 deferrals.held)" -ge 1 ] && [ "$(pfn 1 deferrals.released-ack)" -ge 1 ] &&
	 [ "$(pfn 1 deferrals.acks_received)" -ge 1 ] || cat "$TMP/pfsync.1.json"'
check "fw2 was asked for an INS_ACK and sent it at once" eval \
	'[ "$(pfn 2 dpf.ins-ack-asked)" -ge 1 ] && [ "$(pfn 2 deferrals.acks_sent)" -ge 1 ] ||
	 cat "$TMP/pfsync.2.json"'

# --- 3. DEFER_N connections ---------------------------------------------------------------
h0=$(pfn 1 deferrals.held)
if conns_run many "$DEFER_N" 1000 >"$TMP/many.out" 2>&1; then
	ok "$DEFER_N new connections through fw1, one after the other, all intact"
else notok "$DEFER_N connections: $(tail -c 600 "$TMP/many.out")"; fi
held=$(pfn 1 deferrals.held); ack=$(pfn 1 deferrals.released-ack)
tmo=$(pfn 1 deferrals.released-timeout); now=$(pfn 1 deferrals.held_now)
diag "fw1 deferrals: held $held, by ack $ack, by timeout $tmo, held now $now"
if [ $((held - h0)) -ge "$DEFER_N" ] && [ "$now" = 0 ] && [ $((ack + tmo)) = "$held" ] &&
   [ $((ack * 10)) -ge $((held * 9)) ]; then
	ok "every held packet released (held = by ack + by timeout), $ack of $held by ack (>= 90%)"
else notok "held $held (+$((held - h0))), by ack $ack, by timeout $tmo, held now $now"; fi
diag "delay fw1 deferral delay (arrival to release): p50 $(pfn 1 deferrals.delay_us.p50) us, p99 $(pfn 1 deferrals.delay_us.p99) us, max $(pfn 1 deferrals.delay_us.max) us over $(pfn 1 deferrals.delay_us.samples) packets"
diag "delay client connect(): p50 $(cget many connect_ms.p50) ms, p99 $(cget many connect_ms.p99) ms, max $(cget many connect_ms.max) ms; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 4. the peer gone: released by the timeout ------------------------------------------------
fw_kill 2 9
t0=$(pfn 1 deferrals.released-timeout)
if conns_run gone 20 1000 >"$TMP/gone.out" 2>&1; then
	ok "fw2 stopped: 20 new connections through fw1 still complete"
else notok "fw2 stopped: connections failed: $(tail -c 600 "$TMP/gone.out")"; fi
t1=$(pfn 1 deferrals.released-timeout)
check "fw2 stopped: each first packet released by the timeout ($t0 -> $t1)" \
	[ $((t1 - t0)) -ge 20 ]
p50=$(cget gone connect_ms.p50)
diag "fw2 stopped: connect() p50 $p50 ms, max $(cget gone connect_ms.max) ms; deferral delay max $(pfn 1 deferrals.delay_us.max) us"
check "fw2 stopped: connect() waits about the timeout (p50 $p50 ms: 20 to 1000 ms)" \
	"$PY" -c "import sys; sys.exit(not 20.0 <= float('$p50') <= 1000.0)"

# --- 5. defer off --------------------------------------------------------------------------------
fw_kill 1 15
fw_start 1 false || { notok "fw1 restarts with defer off"; finish; exit 1; }
fw_start 2 false || { notok "fw2 restarts with defer off"; finish; exit 1; }
wait_for 30 "both peers heard" peers_hear || diag "the nodes did not hear each other"
check "defer off: 20 connections through fw1 intact" conns_run off 20 1000
check "defer off: nothing held on fw1, fw2 asked for no INS_ACK" eval \
	'[ "$(pf 1 defer)" = false ] && [ "$(pfn 1 deferrals.held)" = 0 ] &&
	 [ "$(pfn 2 dpf.ins-ack-asked)" = 0 ] &&
	 [ "$(pfn 2 deferrals.acks_sent)" = 0 ]'
check "defer off: the states still reach fw2 (INS received)" \
	wait_for 10 "INS on fw2" eval '[ "$(pfn 2 received.ins)" -ge 20 ]'

finish
