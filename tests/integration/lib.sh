#!/usr/bin/env bash
# Shared helpers for namespace tests (sourced).  Each test gets its own
# prefix (P), namespaces $P-fw (dpf), $P-cli, $P-srv, and a temp dir; the
# EXIT trap kills dpf and deletes the namespaces whatever happens.
#
# Topology (addresses from 198.18.0.0/15 and 2001:db8::/32 only):
#   $P-cli [c0 198.18.1.2, 2001:db8:1::2] -- [l0] $P-fw dpf [w0] -- [s0 198.18.2.2] $P-srv
set -u

DPF_BUILDDIR=${DPF_BUILDDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}
DPF=$DPF_BUILDDIR/control/dpf
DPFCTL=$DPF_BUILDDIR/tools/dpfctl
PY=/usr/bin/python3

T_N=0
T_FAIL=0
ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
notok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from a command's exit status.
check() {
	local d=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then ok "$d"; else
		notok "$d"
		sed 's/^/# /' "$TMP/check.out" | tail -20
	fi
}
diag() { echo "# $*"; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

netns_setup() {
	P=$1
	TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
	SOCK=$TMP/dpf.sock
	trap netns_cleanup EXIT
	for ns in fw cli srv; do ip netns add "$P-$ns"; done
	ip link add "$P-l0" type veth peer name "$P-c0"
	ip link add "$P-w0" type veth peer name "$P-s0"
	ip link set "$P-l0" netns "$P-fw"
	ip link set "$P-w0" netns "$P-fw"
	ip link set "$P-c0" netns "$P-cli"
	ip link set "$P-s0" netns "$P-srv"
	for i in l0 w0; do
		in_ns "$P-fw" sysctl -qw "net.ipv6.conf.$P-$i.disable_ipv6=1"
		in_ns "$P-fw" ip link set "$P-$i" up
		in_ns "$P-fw" ethtool -K "$P-$i" tx off tso off gso off gro off >/dev/null 2>&1
	done
	host_setup "$P-cli" "$P-c0" 198.18.1.2/24 198.18.1.1 2001:db8:1::2/64 2001:db8:1::1
	host_setup "$P-srv" "$P-s0" 198.18.2.2/24 198.18.2.1 2001:db8:2::2/64 2001:db8:2::1
}

# host_setup NS IF ADDR4 GW4 ADDR6 GW6
host_setup() {
	local ns=$1 ifn=$2
	in_ns "$ns" ip link set lo up
	in_ns "$ns" ip link set "$ifn" up
	in_ns "$ns" ethtool -K "$ifn" tx off tso off gso off gro off >/dev/null 2>&1
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 "net.ipv6.conf.$ifn.accept_dad=0"
	in_ns "$ns" ip addr add "$3" dev "$ifn"
	in_ns "$ns" ip route add default via "$4"
	in_ns "$ns" ip -6 addr add "$5" dev "$ifn" nodad
	in_ns "$ns" ip -6 route add default via "$6"
}

netns_cleanup() {
	if [ -n "${DPF_PID:-}" ]; then
		kill "$DPF_PID" 2>/dev/null
		(sleep 10; kill -9 "$DPF_PID" 2>/dev/null) &
		wait "$DPF_PID" 2>/dev/null
		DPF_PID=
	fi
	for ns in fw cli srv cli2; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# dpf_config WORKERS LCORES EXTRA_IFACES_JSON EXTRA_TOP_JSON: writes $TMP/dpf.json
# The ruleset is $DPF_RULES (JSON array), by default "pass all": an
# appliance starts closed, and forwarding tests are not about the filter.
dpf_config() {
	local workers=$1 lcores=$2 xif=${3:-} xtop=${4:-}
	local rules=${DPF_RULES:-'[ "pass all" ]'}
	cat >"$TMP/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P", "control": { "socket": "$SOCK" } },
  "dataplane": {
    "eal": { "lcores": "$lcores", "no_huge": true, "memory_mb": 512, "in_memory": true,
             "args": [ "--vdev=net_af_packet0,iface=$P-l0", "--vdev=net_af_packet1,iface=$P-w0",
                       "--log-level=lib.eal:error" ] },
    "workers": $workers,
    "idle_sleep_us": 20,
    "ports": [ { "name": "p0", "device": "net_af_packet0" },
               { "name": "p1", "device": "net_af_packet1" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ], "ipv6": [ "2001:db8:1::1/64" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.1/24" ], "ipv6": [ "2001:db8:2::1/64" ] }$xif
  ],
  "rules": $rules$xtop
}
JSON
}

# Starts dpf in $P-fw and waits (bounded) for its control socket.
dpf_start() {
	# Not through in_ns: $! must be dpf itself (ip netns exec execs it),
	# not a subshell running a function, or signals would miss dpf.
	ip netns exec "$P-fw" "$DPF" -c "$TMP/dpf.json" >"$TMP/dpf.log" 2>&1 &
	DPF_PID=$!
	for _ in $(seq 100); do
		if [ -S "$SOCK" ] && "$DPFCTL" -s "$SOCK" ping >/dev/null 2>&1; then return 0; fi
		kill -0 "$DPF_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "dpf did not start:"
	sed 's/^/#   /' "$TMP/dpf.log" | tail -20
	return 1
}

ctl() { "$DPFCTL" -s "$SOCK" "$@"; }

finish() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}
