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

# Waiting: tests wait for conditions, never for a fixed time, unless the
# time is what is tested (a window in which something must NOT happen);
# those few sleeps say why where they are.
#
# wait_for BOUND_S DESCRIPTION COMMAND...: runs COMMAND every 50 ms until it
# succeeds; returns 0 with WAITED_MS set to how long that took.  BOUND_S
# (seconds, decimals allowed) is a failure limit, not a wait: past it,
# wait_for prints "# gave up ... waiting for DESCRIPTION" with the
# command's last output and returns 1.  A generous bound costs nothing when
# the condition comes fast, and keeps a loaded machine (two cores, builds
# alongside) from failing a test that was only slow.  COMMAND runs in this
# shell (not a subshell), so a function may leave values for the caller.
WAITED_MS=0
wait_for() {
	local bound=$1 desc=$2 s f='' lim t0
	shift 2
	s=${bound%%.*}
	[[ $bound == *.* ]] && f=${bound#*.}
	f=${f}000
	lim=$((10#${s:-0} * 1000 + 10#${f:0:3}))
	now_ms
	t0=$NOW_MS
	while :; do
		if "$@" >"$TMP/wait.out" 2>&1; then
			now_ms
			WAITED_MS=$((NOW_MS - t0))
			return 0
		fi
		now_ms
		WAITED_MS=$((NOW_MS - t0))
		if [ "$WAITED_MS" -ge "$lim" ]; then
			diag "gave up after $bound s waiting for $desc"
			sed 's/^/#   /' "$TMP/wait.out" | tail -10
			return 1
		fi
		sleep 0.05
	done
}
# now_ms: NOW_MS = milliseconds since the epoch (no fork).
now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; NOW_MS=$((10#$t / 1000)); }

# tcp_listening NS PORT...: a TCP socket listens on every PORT in NS.
tcp_listening() {
	local ns=$1 p
	shift
	for p in "$@"; do
		ip netns exec "$ns" ss -Hltn "sport = :$p" | grep -q . || { echo "no TCP listener on $p in $ns"; return 1; }
	done
}
# udp_bound NS PORT...: a UDP socket is bound to every PORT in NS.
udp_bound() {
	local ns=$1 p
	shift
	for p in "$@"; do
		ip netns exec "$ns" ss -Hlun "sport = :$p" | grep -q . || { echo "no UDP socket on $p in $ns"; return 1; }
	done
}
# udp_path NS: where UDP datagrams went, as "lan_rx wan_tx missed drops
# srv_in srv_rcvbuf": dpf's packets in on lan and out on wan, its ports'
# imissed (the af_packet ring was full), its drops (every reason), and the
# kernel's UDP InDatagrams and RcvbufErrors in the receiving NS.  A loss
# then says whose it was: CI once had "only 438 of 500" with nothing else.
udp_path() {
	local m u
	m=$(ctl show metrics | awk '
		/^dpf_interface_rx_packets_total\{interface="lan"/ { rx = $2 }
		/^dpf_interface_tx_packets_total\{interface="wan"/ { tx = $2 }
		/^dpf_port_rx_missed/ { mi += $2 }
		/^dpf_drops_total/ { dr += $2 }
		END { printf "%d %d %d %d", rx, tx, mi, dr }')
	u=$(in_ns "$1" awk '/^Udp:/ && ++n == 2 { print $2, $6 }' /proc/net/snmp)
	echo "$m $u"
}
# udp_path_diag NS BEFORE: a diag line of udp_path's changes since BEFORE.
udp_path_diag() {
	local a b
	read -ra b <<<"$2"
	read -ra a <<<"$(udp_path "$1")"
	diag "since the send: dpf lan rx +$((a[0] - b[0])), wan tx +$((a[1] - b[1]))," \
		"ports' rx missed +$((a[2] - b[2])), drops +$((a[3] - b[3])); receiver's kernel" \
		"UDP in +$((a[4] - b[4])), receive buffer errors +$((a[5] - b[5]))"
}
# ping_tally FILE [STOP_S]: "sent lost gap_ms quiet_ms" of the output of a
# `ping -D -n -W 1` stopped by SIGINT at STOP_S (epoch seconds, as
# $EPOCHREALTIME).  ping's own summary counts the requests still in flight
# at SIGINT as lost: with a slow round trip on a loaded machine that was
# tens of pings (CI: "lost 39 of 86") with no outage.  So sent counts the
# icmp_seqs from the first answered (the path may still be coming up
# before it: CI "demotion handover lost 47 of 89" was seqs 1-45) to the
# highest answered, lost the requests between them never answered, gap
# the longest time between two answers, quiet_ms the time from the last
# answer to STOP_S.  A quiet time over ping's 1 s wait (-W 1) means the
# answers had stopped: then the unanswered tail counts as sent and lost.
ping_tally() {
	awk -v stop="${2:-0}" '
	/bytes from/ && !/DUP!/ {
		if (match($0, /icmp_seq=[0-9]+/)) {
			s = substr($0, RSTART + 9, RLENGTH - 9) + 0
			seen[s] = 1
			if (s > m) m = s
			if (f == "" || s < f) f = s
		}
		if (match($0, /^\[[0-9.]+\]/)) {
			ts = substr($0, 2, RLENGTH - 2) + 0
			if (pt != "" && ts - pt > g) g = ts - pt
			pt = ts
		}
	}
	/packets transmitted/ { t = $1 }
	END {
		for (s in seen) a++
		# Count from the first answer: the callers start their handover
		# only once the path answers, and the path may still be coming
		# up (a neighbour being resolved) in the first pings.
		if (f == "") f = 1
		lost = m - f + 1 - a
		m = m - f + 1
		q = (stop > 0 && pt != "") ? (stop - pt) * 1000 : 0
		if (q > 1000 && t - f + 1 > m) { lost += t - f + 1 - m; m = t - f + 1 }
		printf "%d %d %d %d\n", m, lost, g * 1000 + 0.5, q + 0.5
	}' "$1"
}
# capturing FILE: tcpdump (stderr in FILE) has opened its capture.
capturing() { grep -q "listening on" "$1"; }

# reap_within PID SECONDS: waits until the child PID has exited (polling
# /proc, 10 ms steps), SIGKILLs it past SECONDS, reaps it; STOP_RC is its
# exit status.  No watchdog process: a child of this shell signalled
# between its fork and its exec runs the test's EXIT trap (bash's handler
# for fatal signals is still in place there), and netns_cleanup from such
# a child took the namespaces and $TMP away under running tests (test_frag).
reap_within() {
	local pid=$1 n=$(($2 * 100)) st
	while [ "$n" -gt 0 ]; do
		read -r st 2>/dev/null <"/proc/$pid/stat" || break
		st=${st##*) }
		[ "${st%% *}" = Z ] && break
		sleep 0.01
		n=$((n - 1))
	done
	[ "$n" -gt 0 ] || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	STOP_RC=$?
}

# stop_pid PID [SIGNAL]: signals a child of this shell and reaps it,
# SIGKILL if it is still there after 10 s.  STOP_RC is its exit status.
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	reap_within "$1" 10
	return 0
}

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

# EAL leaves its runtime directory (/run/dpdk/PREFIX) behind, --in-memory
# or not: a test's own ($P, $P-*) go with its namespaces.  (Not "rte", the
# default prefix, which tests running beside this one may be using.)
rundirs_cleanup() {
	[ -n "${P:-}" ] || return 0
	rm -rf "/run/dpdk/$P" "/run/dpdk/$P"-* 2>/dev/null
}

netns_cleanup() {
	# Only the test's own shell cleans up.  A subshell that ran this
	# (an EXIT trap run where it should not be) would take the namespaces
	# and $TMP away from under the running test: say so instead.
	if [ "$BASHPID" != "$$" ]; then
		echo "# netns_cleanup called in subshell $BASHPID (test $$) from" \
			"${FUNCNAME[*]} lines ${BASH_LINENO[*]}: ignored" >&2
		return 0
	fi
	if [ -n "${DPF_PID:-}" ]; then
		stop_pid "$DPF_PID"
		DPF_PID=
	fi
	for ns in fw cli srv cli2; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	rundirs_cleanup
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
	wait_for 30 "dpf to answer on $SOCK (or exit)" dpf_up_or_gone "$SOCK" "$DPF_PID"
	"$DPFCTL" -s "$SOCK" ping >/dev/null 2>&1 && return 0
	diag "dpf did not start:"
	sed 's/^/#   /' "$TMP/dpf.log" | tail -20
	return 1
}

# dpf_up_or_gone SOCK PID: dpf answers on SOCK, or PID has exited (no
# point waiting for a dead process).
dpf_up_or_gone() {
	{ [ -S "$1" ] && "$DPFCTL" -s "$1" ping; } || ! kill -0 "$2" 2>/dev/null
}

# stop_dpf: SIGTERM to dpf, reaped (SIGKILL after 10 s); its exit status in
# STOP_RC.
stop_dpf() {
	stop_pid "$DPF_PID"
	DPF_PID=
}

ctl() { "$DPFCTL" -s "$SOCK" "$@"; }

finish() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

# veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces, up, with
# offloads and IPv6 off (af_packet must see finished checksums).
veth() { # NS_A IF_A NS_B IF_B
	ip link add "$2" type veth peer name "$4"
	ip link set "$2" netns "$1"
	ip link set "$4" netns "$3"
	for x in "$1 $2" "$3 $4"; do
		set -- $x
		in_ns "$1" ip link set "$2" up
		in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
		in_ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	done
}

# cluster_bridges: two firewalls $P-fw1/$P-fw2 with a leg each on two
# bridges in $P-sw, br0 (LAN: $P-f<n>l) and br1 (WAN: $P-f<n>w); the
# namespaces exist already.
cluster_bridges() {
	local i
	in_ns "$P-sw" ip link add br0 type bridge mcast_snooping 0
	in_ns "$P-sw" ip link add br1 type bridge mcast_snooping 0
	in_ns "$P-sw" ip link set br0 up
	in_ns "$P-sw" ip link set br1 up
	for i in 1 2; do
		veth "$P-fw$i" "$P-f${i}l" "$P-sw" "$P-s${i}l"
		veth "$P-fw$i" "$P-f${i}w" "$P-sw" "$P-s${i}w"
		in_ns "$P-sw" ip link set "$P-s${i}l" master br0
		in_ns "$P-sw" ip link set "$P-s${i}w" master br1
	done
}

# sync_node_json NAME HOSTID SOCK LCORES IDLE_US IF_LAN IF_WAN IF_SYNC LAN_IP WAN_IP SYNC_IP:
# the start of a pfsync test node's config (three af_packet ports lan, wan,
# sync on the veths IF_*, one worker, default block), up to and including
# "options"; the caller appends "rules" and what follows, and the "}".
sync_node_json() {
	cat <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$1", "host_id": "0x$2",
              "control": { "socket": "$3" } },
  "dataplane": {
    "eal": { "lcores": "$4", "no_huge": true, "memory_mb": 512, "in_memory": true,
             "file_prefix": "$1",
             "args": [ "--vdev=net_af_packet0,iface=$6", "--vdev=net_af_packet1,iface=$7",
                       "--vdev=net_af_packet2,iface=$8", "--no-pci",
                       "--log-level=lib.eal:error" ] },
    "workers": 1, "idle_sleep_us": $5,
    "ports": [ { "name": "p0", "device": "net_af_packet0" },
               { "name": "p1", "device": "net_af_packet1" },
               { "name": "p2", "device": "net_af_packet2" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "$9/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "${10}/24" ] },
    { "name": "sync", "port": "p2", "ipv4": [ "${11}/30" ] }
  ],
  "options": { "default": "block" },
JSON
}
