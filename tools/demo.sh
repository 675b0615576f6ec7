#!/usr/bin/env bash
# make demo: dpf on its embedded default configuration, between two Linux
# hosts in network namespaces, with real traffic; prints what happened
# through dpfctl and cleans up.  Needs root.
#
#   dpf-demo-cli [198.18.1.2]--(dpf-lan) dpf (dpf-wan)--[198.18.2.2] dpf-demo-srv
set -u
BUILD=${1:-build}
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
SOCK=/run/dpf/dpf.sock
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/dpf-demo.XXXXXX)
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for ns in dpf-demo dpf-demo-cli dpf-demo-srv; do ip netns del $ns 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)"; exit 1; }
cleanup 2>/dev/null
TMP=$(mktemp -d /tmp/dpf-demo.XXXXXX)

step() { printf '\n=== %s\n' "$*"; }
host() { # ns if addr4 gw4 addr6 gw6
	ip netns exec "$1" ip link set lo up
	ip netns exec "$1" ip link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$1" ip addr add "$3" dev "$2"
	ip netns exec "$1" ip route add default via "$4"
	ip netns exec "$1" ip -6 addr add "$5" dev "$2" nodad
	ip netns exec "$1" ip -6 route add default via "$6"
}

step "topology: dpf-demo-cli -- dpf -- dpf-demo-srv"
for ns in dpf-demo dpf-demo-cli dpf-demo-srv; do ip netns add $ns; done
ip link add dpf-lan type veth peer name cli0
ip link add dpf-wan type veth peer name srv0
ip link set dpf-lan netns dpf-demo
ip link set dpf-wan netns dpf-demo
ip link set cli0 netns dpf-demo-cli
ip link set srv0 netns dpf-demo-srv
for i in dpf-lan dpf-wan; do
	ip netns exec dpf-demo sysctl -qw net.ipv6.conf.$i.disable_ipv6=1
	ip netns exec dpf-demo ip link set $i up
	ip netns exec dpf-demo ethtool -K $i tx off tso off gso off gro off >/dev/null 2>&1
done
host dpf-demo-cli cli0 198.18.1.2/24 198.18.1.1 2001:db8:1::2/64 2001:db8:1::1
host dpf-demo-srv srv0 198.18.2.2/24 198.18.2.1 2001:db8:2::2/64 2001:db8:2::1

step "dpf -n: the embedded default configuration, normalized"
"$DPF" -n

step "starting dpf (no -c: embedded default)"
ip netns exec dpf-demo "$DPF" >"$TMP/dpf.log" 2>&1 &
pid=$!
for _ in $(seq 100); do "$DPFCTL" -s $SOCK ping >/dev/null 2>&1 && break; sleep 0.1; done
cat "$TMP/dpf.log"

step "ping through dpf, IPv4 and IPv6"
ip netns exec dpf-demo-cli ping -c 3 -i 0.2 198.18.2.2
ip netns exec dpf-demo-cli ping -6 -c 3 -i 0.2 2001:db8:2::2

step "20 MB over TCP, client -> server, compared by SHA-256"
head -c 20M /dev/urandom >"$TMP/data"
ip netns exec dpf-demo-srv $PY "$HERE/../tests/integration/xfer.py" tcp-recv 5001 "$TMP/recv" 60 &
rp=$!
sleep 0.5
start=$(date +%s.%N)
ip netns exec dpf-demo-cli $PY "$HERE/../tests/integration/xfer.py" tcp-send 198.18.2.2 5001 "$TMP/data"
wait $rp
end=$(date +%s.%N)
echo "sent $(sha256sum <"$TMP/data" | cut -c1-16)..., received $(sha256sum <"$TMP/recv" | cut -c1-16)..." \
	"in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"

step "TTL 1 is answered with time exceeded; an unrouted address with unreachable"
ip netns exec dpf-demo-cli ping -c 1 -W 1 -t 1 198.18.2.2 | grep -E "From|packets"
ip netns exec dpf-demo-cli ping -c 1 -W 1 198.19.9.9 | grep -E "From|packets"

step "the filter: the WAN side may not connect in (block return log: RST, logged)"
ip netns exec dpf-demo-srv $PY "$HERE/../tests/integration/filter_probe.py" connect 198.18.1.2 22 2 |
	sed 's/^/server -> client:22: /'
sleep 1

for c in "show info" "show interfaces" "show routes" "show neighbors" "show workers" \
	"show rules -v" "show states -v"; do
	step "dpfctl $c"
	"$DPFCTL" -s $SOCK $c
done

step "pflog: what the block rule logged (tcpdump -n -e -r /run/dpf/pflog.pcap)"
tcpdump -n -e -r /run/dpf/pflog.pcap 2>/dev/null | tail -5

step "stopping dpf (SIGTERM)"
kill "$pid"
wait "$pid"
pid=
tail -2 "$TMP/dpf.log"
