#!/usr/bin/env bash
# Linux's own HA stack in dpf's pfsync failover scenario, for comparison
# (docs/BENCHMARKS.md "Failover with pfsync").  A benchmark, not a test: not
# part of `make test`.  Needs root.
#
#   tools/bench/linux_ha.sh [ADVERT_INT [ROUNDS]]      (defaults: 1 and 1)
#   e.g.  tools/bench/linux_ha.sh 1 3;  tools/bench/linux_ha.sh 0.1 3
#   LHA_NO_SYNC=1 is the baseline: the same, but the notify script does not
#   commit conntrackd's external cache (no -c), so every established transfer
#   must stall: shows that the ruleset drops what fw2 has no entry for.
#   KEEP=1 keeps each round's temp dir; LOGDIR=DIR copies each round's logs,
#   configs and conntrack samples to DIR/<namespace prefix>/.
#
# Needs keepalived, conntrackd, conntrack, nftables, iperf3 and ethtool; the
# script installs the missing ones itself with
#   apt-get install -y keepalived conntrackd conntrack nftables iperf3 ethtool
# (and says so).  It takes /tmp/dpf-it.lock (flock) for the whole run, like
# the integration tests, so namespace runs of different people do not mix.
# It cleans up its namespaces and processes on exit and every wait is bounded.
#
# The same topology, traffic and measurement as check 3 of
# tests/integration/test_pfsync.sh, with two Linux routers instead of two dpf
# processes (namespaces $P-*, P=lha<pid>r<round>):
#
#   $P-cli 198.18.1.2 -- br0 ($P-sw) br1 -- 198.18.2.2 $P-srv
#   $P-fw1 lan 198.18.1.11 / wan 198.18.2.11 / sync 198.19.0.1/30
#   $P-fw2 lan 198.18.1.12 / wan 198.18.2.12 / sync 198.19.0.2/30
#   sync: a veth pair straight from fw1 to fw2
#   VRRP (keepalived, VRRPv3, one sync group): VRID 51 on lan 198.18.1.1 (the
#   client's gateway), VRID 52 on wan 198.18.2.1 (the server's); fw1 priority
#   200, fw2 100; advert_int ADVERT_INT.
#   conntrackd in FTFW mode over UDP on the sync link, kernel conntrack
#   events, its own lock file and UNIX socket per node; keepalived's notify
#   script does what conntrackd's primary-backup.sh does (-c -f -R -B on
#   MASTER, -s/-d -t -n on BACKUP, -t on FAULT) and stamps each step.
#   nftables on each router, like dpf's ruleset: forward policy drop; ct
#   state established,related accept; new TCP from lan to wan only on a SYN
#   (flags S/SA), new UDP and ICMP echo from lan to wan;
#   nf_conntrack_tcp_loose=0, so the backup drops mid-stream packets of a
#   connection it has no entry for: a connection survives only through
#   conntrackd.
#
# A round: 20 TCP transfers of 3 MB (10 each way, paced over 20 s), an
# iperf3 stream at 4 Mbit/s, a UDP flow at 100/s and a 10 ms ping through
# the VIPs; once they run through fw1 and fw2's external cache holds them,
# kill -9 of everything in fw1 (keepalived, conntrackd) and its lan and wan
# links down at once.  Measured: takeover (fw2 holds both VIPs, polled every
# 50 ms), the notify script's steps, when fw2's kernel table holds the
# TCP entries (`conntrack -L` sampled every ~20 ms), ping loss and longest
# gap, UDP loss and longest gap, transfers intact/reset/stalled (SHA-256),
# iperf3.  One "# result" line per round, all of them again at the end.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ADV=${1:-1}
ROUNDS=${2:-1}

[ "$(id -u)" = 0 ] || { echo "linux_ha.sh: needs root" >&2; exit 2; }
if [ -z "${LINUX_HA_LOCKED:-}" ]; then
	# One namespace run at a time on this machine (waits at most 20 min).
	exec env LINUX_HA_LOCKED=1 flock -w 1200 /tmp/dpf-it.lock "$0" "$@"
fi

need=()
for c in keepalived:keepalived conntrackd:conntrackd conntrack:conntrack nft:nftables \
	iperf3:iperf3 ethtool:ethtool; do
	command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "# installing missing packages: apt-get install -y ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null ||
		{ echo "apt-get install ${need[*]} failed" >&2; exit 2; }
fi

DPF_BUILDDIR=unused
. "$ROOT/tests/integration/lib.sh"
PROBE=$ROOT/tests/integration/pfsync_probe.py

N_XFER=20
XFER_SIZE=3000000
XFER_RATE=150000
STALL=25
DEADLINE=90
PORT=5001
ALL_RESULTS=$(mktemp /tmp/dpf-lha-results.XXXXXX)
declare -A FLOWPID=() FLOWRC=()
BG=()
P=
TMP=

cleanup() {
	local pid ns
	for pid in "${BG[@]}"; do kill -9 "$pid" 2>/dev/null; done
	if [ -n "$P" ]; then
		# Everything left in our namespaces was started by this script.
		for ns in cli srv fw1 fw2 sw; do
			for pid in $(ip netns pids "$P-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		done
		wait 2>/dev/null
		for ns in sw cli srv fw1 fw2; do ip netns del "$P-$ns" 2>/dev/null; done
	fi
	wait 2>/dev/null
	BG=()
	FLOWPID=()
	if [ -n "$TMP" ] && [ -z "${KEEP:-}" ]; then rm -rf "$TMP"; fi
	[ -n "$TMP" ] && [ -n "${KEEP:-}" ] && echo "# kept $TMP"
	P=
	TMP=
}
trap 'cleanup; rm -f "$ALL_RESULTS"' EXIT
trap 'exit 1' INT TERM

# --- helpers (the traffic part as in test_pfsync.sh) ------------------------------

poll() { # SECONDS COMMAND...: until it succeeds, at most SECONDS
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -lt $end ] || return 1
		sleep 0.1
	done
}

listening() { [ -n "$(in_ns "$P-$1" ss -Hln"${2:0:1}" "sport = :$3" 2>/dev/null)" ]; }

flow() { # NAME NS COMMAND...
	local name=$1 ns=$2
	shift 2
	ip netns exec "$P-$ns" "$@" >"$TMP/$name.out" 2>&1 &
	FLOWPID[$name]=$!
	BG+=($!)
}

flows_start() { # PORT
	local port=$1 up=$((N_XFER / 2)) down=$((N_XFER - N_XFER / 2)) secs=$((XFER_SIZE / XFER_RATE)) x
	flow su srv "$PY" "$PROBE" tcp-server "$port" sink $up $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/su.json"
	flow sd srv "$PY" "$PROBE" tcp-server $((port + 100)) source $down $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/sd.json"
	flow is srv timeout $DEADLINE iperf3 -s -1 -p $((port + 200)) --rcv-timeout $((STALL * 1000))
	flow ur srv "$PY" "$PROBE" udp-recv $((port + 1000)) $DEADLINE $STALL $((100 * secs - 1))
	for x in "tcp $port" "tcp $((port + 100))" "tcp $((port + 200))" "udp $((port + 1000))"; do
		poll 5 listening srv $x || diag "server not listening on $x"
	done
	flow cu cli "$PY" "$PROBE" tcp-client 198.18.2.2 "$port" source $up $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/cu.json"
	flow cd cli "$PY" "$PROBE" tcp-client 198.18.2.2 $((port + 100)) sink $down $XFER_SIZE $XFER_RATE $STALL $DEADLINE "$TMP/cd.json"
	flow ic cli timeout $DEADLINE iperf3 -c 198.18.2.2 -p $((port + 200)) -t $secs -b 4M \
		--connect-timeout 5000 --snd-timeout $((STALL * 1000)) -J
	flow us cli "$PY" "$PROBE" udp-send 198.18.2.2 $((port + 1000)) 100 $secs
	flow ping cli ping -D -n -i 0.01 -W 1 198.18.2.2
}

flows_wait() {
	local name
	for name in "${!FLOWPID[@]}"; do
		[ "$name" != ping ] || continue
		wait "${FLOWPID[$name]}" 2>/dev/null
		FLOWRC[$name]=$?
	done
	kill -INT "${FLOWPID[ping]}" 2>/dev/null
	wait "${FLOWPID[ping]}" 2>/dev/null
	FLOWPID=()
}

# xfer_result: both directions' tallies; XFER_SUMMARY "I intact, R reset, ..."
xfer_result() {
	local dir n out up=$((N_XFER / 2)) t
	declare -A tot=()
	for dir in u d; do
		if [ $dir = u ]; then n=$up; else n=$((N_XFER - up)); fi
		out=$("$PY" "$PROBE" xfer-check "$TMP/c$dir.json" "$TMP/s$dir.json" $n $XFER_SIZE)
		echo "# $([ $dir = u ] && echo client-to-server || echo server-to-client): $(echo "$out" | head -1)"
		echo "$out" | tail -n +2 | head -5 | sed 's/^/#   /'
		while read -r cnt what; do
			[ -n "$cnt" ] && tot[$what]=$((${tot[$what]:-0} + cnt))
		done < <(echo "$out" | head -1 | tr ',' '\n' | sed 's/^ *//')
	done
	XFER_SUMMARY="${tot[intact]:-0} intact"
	for t in "${!tot[@]}"; do [ "$t" = intact ] || XFER_SUMMARY+=", ${tot[$t]} $t"; done
}

ping_result() { # "sent lost gap_ms", as in test_pfsync.sh
	awk '/bytes from/ { r++; if (match($0, /icmp_seq=[0-9]+/)) {
			s = substr($0, RSTART + 9, RLENGTH - 9) + 0; if (s > m) m = s }
		if (match($0, /^\[[0-9.]+\]/)) { ts = substr($0, 2, RLENGTH - 2) + 0
			if (last != "" && ts - last > g) g = ts - last; last = ts } }
	     /packets transmitted/ { t = $1; a = $4 }
	     END { if (t == "") { t = m + 0; a = r + 0 }; printf "%d %d %d\n", t, t - a, g * 1000 }' \
		"$TMP/ping.out"
}

iperf_res() {
	local j=$TMP/ic.out e b
	if e=$("$PY" "$PROBE" json-get "$j" error 2>/dev/null); then echo "error $e"; return; fi
	b=$("$PY" "$PROBE" json-get "$j" end.sum_received.bytes 2>/dev/null || echo 0)
	echo "exit ${FLOWRC[ic]:-?}, $((b / 1000)) kB received"
}

# ct_flows NODE [PORT]: our flows (all opened by the client) in NODE's kernel
# conntrack table; with PORT only the ESTABLISHED TCP ones to PORT that have
# carried at least 200 kB (accounting is on).
ct_flows() {
	if [ -n "${2:-}" ]; then
		in_ns "$P-fw$1" conntrack -L -p tcp -s 198.18.1.2 -d 198.18.2.2 --dport "$2" \
			--state ESTABLISHED 2>/dev/null |
			awk '{ b = 0; for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) b += substr($i, 7)
				if (b >= 200000) n++ } END { print n + 0 }'
	else
		in_ns "$P-fw$1" conntrack -L -s 198.18.1.2 -d 198.18.2.2 2>/dev/null | wc -l
	fi
}
ct_tcp() { in_ns "$P-fw$1" conntrack -L -p tcp -s 198.18.1.2 -d 198.18.2.2 2>/dev/null | wc -l; }
moving() { [ "$(ct_flows 1 $PORT)" -ge $((N_XFER / 2)) ] && [ "$(ct_flows 1 $((PORT + 100)))" -ge $((N_XFER - N_XFER / 2)) ]; }
# ext_cache N: our flows in conntrackd's external cache on node N
ext_cache() { conntrackd -C "$TMP/ctd$1.conf" -e 2>/dev/null | grep 'src=198.18.1.2 dst=198.18.2.2' | wc -l; }
vips() { in_ns "$P-fw$1" ip -o -4 addr show | grep -cE ' inet 198\.18\.[12]\.1/'; }
has_vips() { [ "$(vips "$1")" = 2 ]; }
no_vips() { [ "$(vips "$1")" = 0 ]; }
ctd_up() { conntrackd -C "$TMP/ctd$1.conf" -s >/dev/null 2>&1; }

# --- one node -----------------------------------------------------------------------

node_setup() { # N PRIORITY
	local n=$1 prio=$2 peer=$((3 - $1)) ns=$P-fw$1
	in_ns "$ns" ip addr add "198.18.1.1$n/24" dev "$P-f${n}l"
	in_ns "$ns" ip addr add "198.18.2.1$n/24" dev "$P-f${n}w"
	in_ns "$ns" ip addr add "198.19.0.$n/30" dev "$P-f${n}s"
	in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1
	cat >"$TMP/fw$n.nft" <<NFT
table inet lha {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr 198.18.1.0/24 ip daddr 198.18.2.0/24 tcp flags & (syn | ack) == syn ct state new accept
		ip saddr 198.18.1.0/24 ip daddr 198.18.2.0/24 meta l4proto udp ct state new accept
		ip saddr 198.18.1.0/24 ip daddr 198.18.2.0/24 icmp type echo-request ct state new accept
	}
}
NFT
	in_ns "$ns" nft -f "$TMP/fw$n.nft" || return 1
	# Per namespace once conntrack is in use there (the ruleset's ct rules).
	in_ns "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 net.netfilter.nf_conntrack_acct=1 ||
		return 1
	cat >"$TMP/ctd$n.conf" <<CTD
Sync {
	Mode FTFW {
		DisableExternalCache Off
	}
	UDP {
		IPv4_address 198.19.0.$n
		IPv4_Destination_Address 198.19.0.$peer
		Port 3780
		Interface $P-f${n}s
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}
}
General {
	HashSize 32768
	HashLimit 131072
	LogFile $TMP/ctd$n.log
	Syslog off
	LockFile $TMP/ctd$n.lock
	UNIX {
		Path $TMP/ctd$n.ctl
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
			ICMP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address 198.18.1.1
			IPv4_address 198.18.2.1
			IPv4_address 198.18.1.11
			IPv4_address 198.18.2.11
			IPv4_address 198.18.1.12
			IPv4_address 198.18.2.12
			IPv4_address 198.19.0.1
			IPv4_address 198.19.0.2
		}
	}
}
CTD
	# conntrackd in the foreground: $! is conntrackd (ip netns exec execs).
	ip netns exec "$ns" conntrackd -C "$TMP/ctd$n.conf" >"$TMP/ctd$n.out" 2>&1 &
	BG+=($!)
	disown $! # killed by cleanup; no "Killed" line from the shell
	wait_for 10 "conntrackd on fw$n" ctd_up "$n" || return 1
	cat >"$TMP/ka$n.conf" <<KA
global_defs {
	router_id $P-fw$n
	vrrp_version 3
	script_user root
}
vrrp_sync_group G1 {
	group {
		VI_1
		VI_2
	}
	notify_master "$TMP/notify.sh $n primary"
	notify_backup "$TMP/notify.sh $n backup"
	notify_fault "$TMP/notify.sh $n fault"
}
vrrp_instance VI_1 {
	state BACKUP
	interface $P-f${n}l
	virtual_router_id 51
	priority $prio
	advert_int $ADV
	virtual_ipaddress {
		198.18.1.1/32 dev $P-f${n}l
	}
}
vrrp_instance VI_2 {
	state BACKUP
	interface $P-f${n}w
	virtual_router_id 52
	priority $prio
	advert_int $ADV
	virtual_ipaddress {
		198.18.2.1/32 dev $P-f${n}w
	}
}
KA
	ip netns exec "$ns" keepalived -n -l -D -P -f "$TMP/ka$n.conf" -p "$TMP/ka$n.pid" \
		-r "$TMP/ka$n.vrrp.pid" >"$TMP/ka$n.log" 2>&1 &
	BG+=($!)
	disown $!
}

# The notify script: conntrackd's primary-backup.sh (Debian:
# /usr/share/doc/conntrackd/examples/sync/primary-backup.sh), per node, each
# step stamped (ms since the epoch) in notify.log.
write_notify() {
	cat >"$TMP/notify.sh" <<'SH'
#!/bin/bash
n=$1 dir=$(dirname "$0")
cfg=$dir/ctd$n.conf
log=$dir/notify.log
st() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$((10#$t / 1000)) fw$n $*" >>"$log"; }
ctd() { conntrackd -C "$cfg" "$@" >>"$dir/notify.out" 2>&1 || st "conntrackd $* failed ($?)"; }
st "$2 begin"
case "$2" in
primary)
	if [ -z "@NO_SYNC@" ]; then
		ctd -c; st "-c done (commit external cache to the kernel)"
	else st "-c skipped (LHA_NO_SYNC baseline)"; fi
	ctd -f; st "-f done"
	ctd -R; st "-R done"
	ctd -B; st "-B done" ;;
backup)
	if ! conntrackd -C "$cfg" -s >/dev/null 2>&1; then
		rm -f "$dir/ctd$n.lock"
		conntrackd -C "$cfg" -d >>"$dir/notify.out" 2>&1; st "conntrackd restarted"
	fi
	ctd -t; st "-t done"
	ctd -n; st "-n done" ;;
fault)
	ctd -t; st "-t done" ;;
esac
SH
	# keepalived's environment is not the script's: the switch is baked in.
	sed -i "s/@NO_SYNC@/${LHA_NO_SYNC:+1}/" "$TMP/notify.sh"
	chmod 755 "$TMP/notify.sh"
}

# --- one round ------------------------------------------------------------------------

round() { # R
	local r=$1 t0 tk='' pids ns s sent lost gap before commit_ms='' c_ms='' m_ms='' secs=$((XFER_SIZE / XFER_RATE))
	P=lha$$r$r
	TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
	diag "round $r, advert_int $ADV, namespaces $P-*, logs in $TMP"
	for ns in sw cli srv fw1 fw2; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
	cluster_bridges
	veth "$P-fw1" "$P-f1s" "$P-fw2" "$P-f2s"
	veth "$P-cli" "$P-c0" "$P-sw" "$P-sc"
	veth "$P-srv" "$P-v0" "$P-sw" "$P-sv"
	in_ns "$P-sw" ip link set "$P-sc" master br0
	in_ns "$P-sw" ip link set "$P-sv" master br1
	in_ns "$P-cli" ip addr add 198.18.1.2/24 dev "$P-c0"
	in_ns "$P-cli" ip route add default via 198.18.1.1
	in_ns "$P-srv" ip addr add 198.18.2.2/24 dev "$P-v0"
	in_ns "$P-srv" ip route add default via 198.18.2.1
	write_notify
	node_setup 1 200 || { diag "fw1 set-up failed"; tail -5 "$TMP"/ctd1.* 2>/dev/null; return 1; }
	node_setup 2 100 || { diag "fw2 set-up failed"; tail -5 "$TMP"/ctd2.* 2>/dev/null; return 1; }
	if ! wait_for 30 "fw1 MASTER (both VIPs), fw2 BACKUP" eval 'has_vips 1 && no_vips 2 && grep -q "fw2 backup begin" "$TMP/notify.log"'; then
		diag "election failed: fw1 $(vips 1) VIPs, fw2 $(vips 2)"; tail -5 "$TMP/ka1.log" "$TMP/ka2.log"; return 1
	fi
	diag "election: fw1 holds both VIPs, fw2 BACKUP ($WAITED_MS ms)"
	# Give fw1's keepalived its gratuitous ARPs and the primary script its
	# run before traffic starts (the script's -f/-R/-B are not the failover).
	wait_for 10 "fw1's primary script done" grep -q "fw1 -B done" "$TMP/notify.log" ||
		diag "fw1's primary script not done"
	wait_for 10 "client reaches server" in_ns "$P-cli" ping -c 1 -W 1 198.18.2.2 ||
		{ diag "no path through fw1"; return 1; }
	flows_start $PORT
	if wait_for 30 "$N_XFER transfers ESTABLISHED on fw1, 200 kB each" moving; then
		diag "$N_XFER transfers established through fw1 and moving ($WAITED_MS ms)"
	else diag "transfers not established through fw1"; fi
	wait_for 10 "fw2's external cache to hold the flows" eval '[ "$(ext_cache 2)" -ge $((N_XFER + 4)) ]' ||
		diag "fw2's external cache holds $(ext_cache 2) of our flows"
	before=$(ext_cache 2)
	diag "before the kill: fw1 kernel $(ct_flows 1) of our flows; fw2 external cache $before, fw2 kernel $(ct_flows 2)"
	# fw2's table, sampled from here on: "ms tcp-entries".
	( end=$((SECONDS + 25)); while [ $SECONDS -lt $end ]; do
		now_ms; echo "$NOW_MS $(ct_tcp 2)"; sleep 0.02; done ) >"$TMP/samples" 2>/dev/null &
	BG+=($!)
	sleep 0.5 # a few samples before the kill
	# The kill: everything in fw1 (keepalived, its VRRP child, conntrackd)
	# and fw1 off the network, as `kill -9` of a dpf node takes its ports.
	now_ms
	t0=$NOW_MS
	# SIGSTOP first: keepalived's VRRP child has PR_SET_PDEATHSIG, so a
	# SIGKILL reaching the parent first would let the child shut down
	# cleanly and send priority-0 adverts (fw2 would then take over after
	# its skew time only, not after the master-down interval).
	pids=$(ip netns pids "$P-fw1")
	for s in $pids; do kill -STOP "$s" 2>/dev/null; done
	for s in $pids; do kill -9 "$s" 2>/dev/null; done
	in_ns "$P-fw1" ip link set "$P-f1l" down
	in_ns "$P-fw1" ip link set "$P-f1w" down
	if wait_for 15 "fw2 to hold both VIPs" has_vips 2; then
		now_ms
		tk=$((NOW_MS - t0))
		diag "kill -9 of fw1 + links down; fw2 holds both VIPs after $tk ms (polled every 50 ms)"
	else diag "fw2 did not take both VIPs"; fi
	flows_wait
	# Notify steps relative to the kill.
	awk -v t0="$t0" '$2 == "fw2" && $1 >= t0 { printf "#   +%d ms %s\n", $1 - t0, substr($0, index($0, $3)) }' \
		"$TMP/notify.log"
	m_ms=$(awk -v t0="$t0" '$2 == "fw2" && $3 == "primary" && $1 >= t0 { print $1 - t0; exit }' "$TMP/notify.log")
	c_ms=$(awk -v t0="$t0" '$2 == "fw2" && $3 == "-c" && $4 == "done" && $1 >= t0 { print $1 - t0; exit }' "$TMP/notify.log")
	# TCP entries in fw2's kernel: samples where the count changed.
	awk -v t0="$t0" 'BEGIN { p = -1 } $2 != p { printf "%s%+d ms: %d", (n++ ? ", " : "#   fw2 TCP entries: "), $1 - t0, $2; p = $2 }
		END { print "" }' "$TMP/samples" | cut -c1-600
	commit_ms=$(awk -v t0="$t0" -v w=$((N_XFER + 2)) '$1 >= t0 && $2 >= w { print $1 - t0; exit }' "$TMP/samples")
	read -r sent lost gap < <(ping_result)
	xfer_result
	local res
	res="${LHA_NO_SYNC:+baseline without commit, }advert_int $ADV round $r: takeover ${tk:-none} ms; notify primary +${m_ms:-?} ms, -c done +${c_ms:-?} ms;"
	res+=" fw2 kernel holds all $((N_XFER + 2)) TCP entries at +${commit_ms:-never} ms (external cache before: $before);"
	res+=" ping $lost/$sent lost, longest gap $gap ms; UDP $(cat "$TMP/ur.out");"
	res+=" transfers: $XFER_SUMMARY; iperf3: $(iperf_res);"
	res+=" fw2 conntrackd: $(grep -oE 'Committed [0-9]+ new entries|commit has taken [0-9.]+ seconds' "$TMP/ctd2.log" | tr '\n' ' ')"
	grep -qi 'priority 0' "$TMP/ka2.log" && res+="; fw2 saw a priority-0 advert (not a silent death)"
	if [ -n "${LOGDIR:-}" ]; then
		mkdir -p "$LOGDIR/$P"
		cp "$TMP"/*.log "$TMP/samples" "$TMP"/*.conf "$TMP/notify.sh" "$TMP/fw1.nft" "$LOGDIR/$P/" 2>/dev/null
	fi
	echo "# result: $res"
	echo "$res" >>"$ALL_RESULTS"
}

T0=$(date +%s)
for r in $(seq "$ROUNDS"); do
	round "$r" || echo "advert_int $ADV round $r: set-up failed" >>"$ALL_RESULTS"
	cleanup
done
diag "all rounds ($(($(date +%s) - T0)) s, kernel $(uname -r), $(nproc) CPUs):"
sed 's/^/#   /' "$ALL_RESULTS"
