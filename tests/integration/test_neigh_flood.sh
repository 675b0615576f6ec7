#!/usr/bin/env bash
# Neighbour-table exhaustion (the hardening issue): one host on the LAN
# sends UDP to a new address of the connected 2001:db8:2::/64 in every
# packet, mixed with unsolicited neighbour solicitations from new sources
# (neigh_flood.py), for FLOOD_S seconds at FLOOD_PPS.  During the flood an
# established TCP connection and a ping through dpf must go on, and NEW
# hosts that appear on the WAN side (IPv6 and IPv4, during and after the
# flood) must answer a ping within 2 s.  Without aging, eviction and
# per-source budgets the 4096-slot table is full within a second and no
# new neighbour can be resolved until dpf restarts.  Needs root; cleans up.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
FLOOD_S=${FLOOD_S:-30}
FLOOD_PPS=${FLOOD_PPS:-20000}

netns_setup "nbfl$$"
# UDP to the flood's port passes without state: the state table is not
# what this test is about (a state per flood packet would hit limits.states).
DPF_RULES='[ "pass all", "pass proto udp to port 9 no state" ]'
dpf_config 1 "0-1"
if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts"
# The flooding host has its own address (2001:db8:1::66, on the client's
# link); the pinging host is the client, 2001:db8:1::2 (given with -I: the
# kernel could pick ::66 as the source, and dpf counts a host's budget by
# its source address).
in_ns "$P-cli" ip -6 addr add 2001:db8:1::66/64 dev "$P-c0" nodad
check "IPv6 ping client -> server before the flood" \
	in_ns "$P-cli" ping -6 -c 2 -i 0.2 -W 2 2001:db8:2::2
check "IPv4 ping client -> server before the flood" \
	in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.2
dmac=$(in_ns "$P-fw" cat "/sys/class/net/$P-l0/address")
smac=$(in_ns "$P-cli" cat "/sys/class/net/$P-c0/address")

# The established connection and a steady ping, through the whole flood.
in_ns "$P-srv" "$PY" "$HERE/neigh_flood.py" echo-server 5009 $((FLOOD_S + 20)) &
esp=$!
wait_for 20 "the echo server listening on 5009" tcp_listening "$P-srv" 5009
in_ns "$P-cli" "$PY" "$HERE/neigh_flood.py" echo-client 2001:db8:2::2 5009 $((FLOOD_S + 4)) \
	>"$TMP/echo.out" 2>&1 &
ecp=$!
in_ns "$P-cli" ping -q -c $(((FLOOD_S + 4) * 5)) -i 0.2 -W 1 198.18.2.2 >"$TMP/ping.out" 2>&1 &
pgp=$!
sleep 1	# the echo and the ping run before the flood starts
in_ns "$P-cli" "$PY" "$HERE/neigh_flood.py" flood "$P-c0" "$dmac" "$smac" "$FLOOD_S" "$FLOOD_PPS" \
	>"$TMP/flood.out" 2>&1 &
flp=$!
t_flood=$SECONDS

# The neighbour policy's counters, at a failure: which budget refused it.
nb_counters() {
	ctl show info -v | grep -E '^  neighbor-' | tr -s ' ' | tr '\n' ';' | sed 's/^/# at the failure:/'
	echo
}

# new_host N ADDR6 ADDR4 WHEN: adds the addresses to the server (a new
# host on the other side) and checks that both answer ping within 2 s.
new_host() {
	local a6=$1 a4=$2 when=$3
	in_ns "$P-srv" ip -6 addr add "$a6/64" dev "$P-s0" nodad
	in_ns "$P-srv" ip addr add "$a4/24" dev "$P-s0"
	now_ms; local t0=$NOW_MS
	if in_ns "$P-cli" ping -6 -I 2001:db8:1::2 -c 1 -i 0.2 -w 2 "$a6" >"$TMP/p6.out" 2>&1; then
		now_ms; ok "$when: new host $a6 answers ping in $((NOW_MS - t0)) ms (bound 2000)"
	else notok "$when: new host $a6 does not answer ping within 2 s"
		sed 's/^/# /' "$TMP/p6.out" | tail -3; nb_counters; fi
	now_ms; t0=$NOW_MS
	if in_ns "$P-cli" ping -c 1 -i 0.2 -w 2 "$a4" >"$TMP/p4.out" 2>&1; then
		now_ms; ok "$when: new host $a4 answers ping in $((NOW_MS - t0)) ms (bound 2000)"
	else notok "$when: new host $a4 does not answer ping within 2 s"
		sed 's/^/# /' "$TMP/p4.out" | tail -3; nb_counters; fi
}

# Ten seconds and twenty seconds into the flood (the time is what is tested).
sleep 10
new_host 2001:db8:2::a1 198.18.2.101 "after $((SECONDS - t_flood)) s of flood"
ctl show neighbors | wc -l | sed 's/^/# neighbour entries during the flood: /'
sleep 8
new_host 2001:db8:2::a2 198.18.2.102 "after $((SECONDS - t_flood)) s of flood"
wait $flp
diag "flood: $(cat "$TMP/flood.out") frames in $FLOOD_S s (target $FLOOD_PPS/s)"
new_host 2001:db8:2::a3 198.18.2.103 "after the flood"
wait $ecp
wait $esp
read -r lines gap <"$TMP/echo.out"
exp=$(((FLOOD_S + 4) * 8))
if [ "${lines:-0}" -ge "$exp" ] && [ "${gap:-99999}" -le 1000 ]; then
	ok "established TCP connection went on: $lines lines echoed, longest wait $gap ms"
else notok "established TCP connection: $(cat "$TMP/echo.out") (want >= $exp lines, <= 1000 ms)"
fi
wait $pgp
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$TMP/ping.out")
if [ -n "$loss" ] && [ "${loss%%.*}" -le 2 ]; then
	ok "steady ping to the server through the flood: $loss% loss"
else notok "steady ping through the flood: $(grep loss "$TMP/ping.out")"; fi

check "show info counts neighbour evictions or refusals" \
	sh -c "'$DPFCTL' -s '$SOCK' show info -v | grep -E '^  neighbor-(evicted|refused-[a-z]+) +[1-9]'"
cat >"$TMP/nj.py" <<'PY'
import json, sys
d = json.load(sys.stdin)["neighbors"]
assert d["hosts"] <= d["max"] and d["evicted"] + d["refused"] > 0, d
PY
check "dpfctl -j show info has the neighbour table counters" \
	sh -c "'$DPFCTL' -s '$SOCK' -j show info | $PY '$TMP/nj.py'"
ctl show info -v | sed -n '/^Drop reasons/,$p' | sed 's/^/# /'

stop_dpf
if [ "$STOP_RC" = 0 ]; then ok "dpf stops cleanly"; else notok "dpf stop: rc $STOP_RC"; fi
finish
