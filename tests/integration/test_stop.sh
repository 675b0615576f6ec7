#!/usr/bin/env bash
# A dpf holding a million states stops at once on SIGTERM.
#
# dpf reads a pcap of 1M distinct UDP flows once (net_pcap, no
# infinite_rx: the file is read as it goes, so 32768 mbufs do) with
# limits.states 1.25M and "pass all": 1M states.  Then SIGTERM, and:
#  - it exits with status 0 within STOP_WALL_MS (1 s, the figure asked of
#    it; a loaded machine stretches wall time, so it is the loose bound);
#  - the CPU time it spends from SIGTERM to its end (its total user+system
#    time when reaped, minus the total read from /proc just before the
#    signal) is under STOP_CPU_MS (200 ms).  CPU time does not stretch with
#    the load of the machine, so this is the tight bound: it failed before
#    dpf left its DPDK-heap tables to rte_eal_cleanup() (320 ms CPU, 841 ms
#    wall at load 11; unloaded 0.5-0.64 s wall, most of it rte_free()
#    clearing 0.4 GB of state table), and passes after (80 ms CPU, 216 ms
#    wall at load 12, most of it the kernel unmapping the heap).
#
# No namespaces: net_pcap ports.  Run under the integration lock.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/../../tools/bench/gen_pcap.py
N=1000000
STOP_WALL_MS=${STOP_WALL_MS:-1000}
STOP_CPU_MS=${STOP_CPU_MS:-200}

P=dpfstop$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
SOCK=$TMP/dpf.sock
DPF_PID=
cleanup() {
	[ -n "$DPF_PID" ] && stop_pid "$DPF_PID" KILL
	rm -rf "$TMP"
	rundirs_cleanup
}
trap cleanup EXIT

if ! "$PY" "$GEN" "$TMP" --many "$N" >"$TMP/gen.log" 2>&1; then
	notok "gen_pcap.py writes $N flows"
	sed 's/^/# /' "$TMP/gen.log" | tail -5
	finish
	exit 1
fi

cat >"$TMP/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P", "control": { "socket": "$SOCK" } },
  "dataplane": {
    "eal": { "lcores": "0@0,1@1", "no_huge": true, "memory_mb": 800, "in_memory": true,
             "file_prefix": "$P",
             "args": [ "--vdev=net_pcap0,rx_pcap=$TMP/flows-$N.pcap,rx_pcap=$TMP/ctl-sink.pcap",
                       "--vdev=net_pcap1,rx_pcap=$TMP/empty.pcap,rx_pcap=$TMP/arp-gw.pcap",
                       "--log-level=lib.eal:error" ] },
    "workers": 1,
    "idle_sleep_us": 20,
    "mbufs": 32768,
    "ports": [ { "name": "p0", "device": "net_pcap0" },
               { "name": "p1", "device": "net_pcap1" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.1/24" ] }
  ],
  "routes": [ { "prefix": "198.19.0.0/16", "via": "198.18.2.254" } ],
  "limits": { "states": $((N + N / 4)) },
  "rules": [ "pass all" ]
}
JSON

"$DPF" -c "$TMP/dpf.json" >"$TMP/dpf.log" 2>&1 &
DPF_PID=$!
if ! wait_for 60 "dpf to answer on $SOCK" dpf_up_or_gone "$SOCK" "$DPF_PID" ||
	! ctl ping >/dev/null 2>&1; then
	notok "dpf starts with limits.states $((N + N / 4))"
	sed 's/^/# /' "$TMP/dpf.log" | tail -10
	finish
	exit 1
fi
ok "dpf starts with limits.states $((N + N / 4))"

# states_at_least N: dpf holds N states or more (STATES: how many).
STATES=0
states_at_least() {
	STATES=$(ctl -j show info | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["states"]["current"])') || return 1
	echo "states: $STATES"
	[ "$STATES" -ge "$1" ]
}
check "dpf holds $N states after one pass over the file" \
	wait_for 120 "$N states" states_at_least "$N"
diag "states: $STATES after ${WAITED_MS} ms"

# cpu_ticks PID: user + system clock ticks of the whole process so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# children_ticks: CHILD_TICKS = user + system ticks of this shell's reaped
# children (the second line of `times`, "XmY.ZZZs XmY.ZZZs").  `times` runs
# in this shell: in a $(...) subshell it would count the subshell's.
CHILD_TICKS=0
children_ticks() {
	times >"$TMP/times"
	CHILD_TICKS=$(awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
		printf "%d\n", t * hz + 0.5 }' "$TMP/times")
}

hz=$(getconf CLK_TCK)
children_ticks
c0=$CHILD_TICKS
before=$(cpu_ticks "$DPF_PID")
now_ms
t0=$NOW_MS
kill -TERM "$DPF_PID"
# The watchdog of a dpf that hangs: SIGKILL after 10 s (the check fails).
# Not reap_within: its polling would fork children whose CPU time counts
# below.  A new bash, not a subshell (see reap_within in lib.sh); it is
# signalled long after its exec.
bash -c 'trap "kill \$s 2>/dev/null; exit 0" TERM; sleep 10 & s=$!; wait $s; kill -9 "$1"' \
	watchdog "$DPF_PID" >/dev/null 2>&1 &
wd=$!
wait "$DPF_PID"
rc=$?
now_ms
wall=$((NOW_MS - t0))
kill "$wd" 2>/dev/null
wait "$wd" 2>/dev/null
DPF_PID=
children_ticks
c1=$CHILD_TICKS
cpu=$(((c1 - c0 - before) * 1000 / hz))
diag "exit after SIGTERM: ${wall} ms wall, ${cpu} ms CPU (user+system, ${hz} Hz ticks)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$rc" = 0 ] && grep -q "event=stopping" "$TMP/dpf.log"; then
	ok "dpf exits with status 0 after SIGTERM"
else
	notok "dpf exits with status 0 after SIGTERM (status $rc)"
	sed 's/^/# /' "$TMP/dpf.log" | tail -10
fi
if [ "$wall" -lt "$STOP_WALL_MS" ]; then
	ok "dpf with $STATES states exits within ${STOP_WALL_MS} ms of SIGTERM (${wall} ms)"
else
	notok "dpf with $STATES states exits within ${STOP_WALL_MS} ms of SIGTERM (${wall} ms)"
fi
if [ "$cpu" -lt "$STOP_CPU_MS" ]; then
	ok "dpf spends under ${STOP_CPU_MS} ms of CPU stopping with $STATES states (${cpu} ms)"
else
	notok "dpf spends under ${STOP_CPU_MS} ms of CPU stopping with $STATES states (${cpu} ms)"
fi
finish
