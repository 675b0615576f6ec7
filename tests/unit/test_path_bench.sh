#!/usr/bin/env bash
# tools/bench/path_bench as a test of the worker loop: it stops with an
# error when a single frame of a round is not forwarded or a pass makes
# the wrong number of states, so each variant below passes only if every
# frame went through parse, route, the state table and the forward stage
# (gateway and connected next hops, IPv4 and IPv6, UDP flows and TCP
# connections: handshake both ways, data through pf's windows, both FINs).
# Small rounds on 4 KiB pages: the figures are not looked at, only that
# the table is printed.
#   test_path_bench.sh PATH_BENCH
set -u
PB=$1
EAL=(--no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level=4 -l 0)
n=0
fail=0
run() {
	local what=$1 out rc
	shift
	n=$((n + 1))
	out=$(timeout 120 "$PB" "${EAL[@]}" -- -r 2 -p 64000 "$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^| dpf - io, same round |' <<<"$out"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what (exit $rc)"
		sed 's/^/# /' <<<"$out" | tail -5
		fail=1
	fi
}
echo "1..9"
run "IPv4 via the gateway, 1000 established flows" -n 1000
run "IPv4 forwarding alone (-N)" -n 1000 -N
run "IPv4 to 200 connected hosts, shuffled (neighbour cache)" -n 20000 -c -s
run "IPv6 via the gateway" -n 1000 -6
run "IPv6 to connected hosts, shuffled" -n 20000 -6 -c -s
run "100000 flows, shuffled" -n 100000 -s
run "TCP: handshake, data through pf's windows, teardown (IPv4)" -n 1000 -t
run "TCP over IPv6 to connected hosts, shuffled" -n 2000 -t -6 -c -s
n=$((n + 1))
out=$(timeout 60 "$PB" "${EAL[@]}" -- -n 10 2>&1)
if [ $? -eq 1 ] && grep -q 'FLOWS in \[32' <<<"$out"; then
	echo "ok $n - too few flows refused with the accepted range"
else
	echo "not ok $n - -n 10 not refused as expected"
	sed 's/^/# /' <<<"$out" | tail -3
	fail=1
fi
exit $fail
