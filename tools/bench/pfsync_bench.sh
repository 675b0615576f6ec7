#!/usr/bin/env bash
# pfsync figures: bulk update time and sync latency between two dpf nodes.
# Not part of make test.  Needs root; cleans up its namespaces and
# processes; bounded (watchdog); addresses from 198.18.0.0/15 only; the
# whole run holds /tmp/dpf-it.lock (flock), as the namespace tests do.
#
#   tools/bench/pfsync_bench.sh BUILD_DIR bulk N       (N distinct states)
#   tools/bench/pfsync_bench.sh BUILD_DIR latency RATE (new states/s)
#
# Topology (namespaces $P-a, $P-b, and $P-g for latency):
#   A: lan 198.18.1.1/24, wan 198.18.2.1/24 (route 198.19.0.0/16 via
#      198.18.2.254, learnt from an ARP request replayed on wan's control
#      queue), sync 198.18.250.1/30 on af_packet over veth $P-as, host_id
#      0x0000a001.  B: the same with sync 198.18.250.2/30 on $P-bs, host_id
#      0x0000b002.  $P-as <-> $P-bs is the sync link.  B's lan and wan are
#      net_pcap ports that receive nothing: B sees only what pfsync brings.
#   Rules (both): pass quick on sync proto pfsync keep state (no-sync);
#   pass inet proto udp from 198.18.1.0/24 to 198.19.0.0/16 keep state.
#   UDP timeouts 86400 s, adaptive timeouts off: no state expires in a run.
#   Each node: 1 worker, idle_sleep_us BENCH_IDLE_US (10), A's two lcores
#   on CPU 0 and B's on CPU 1 (EAL lcores "0@0,1@0" / "0@1,1@1"), so that
#   the two processes share a core only through their idle sleeps and the
#   rest of the machine.
#
# bulk N: A's lan is net_pcap replaying gen_pcap.py's flows-N.pcap once
#   (N 60-byte UDP frames, one per flow): A makes N states.  When A has N
#   states and its pfsync queues are empty, B starts and asks for the bulk
#   (UPD_REQ 0/0).  Figures: B's log line "event=bulk-done states=N
#   ms=M", B's show pfsync bulk.duration_ms / bulk.states, A's
#   bulk_send; B's state count (show info) and, up to 100,000 states, how
#   many of B's states carry A's creatorid (show states -j, N <= 50000;
#   above, dpf.peer-states-indexed: the ids B holds for A); lost = A's
#   count - B's; both nodes' stats and dpf counters.
# latency RATE: A's lan is af_packet on veth $P-al, whose peer $P-g0 in
#   $P-g carries tools/flowgen's new flows at RATE/s for BENCH_LAT_SECONDS
#   (5).  B runs from the start (bulk of 0 states done) and receives the
#   INS records.  Figures: the "latency" object of show pfsync -j on both
#   nodes if the engine has one; end to end from the wire: tcpdump on B's
#   sync veth ($P-bs, the receiving end), each INS record's key mapped back
#   to its flow, minus the time flowgen sent that flow's only frame
#   (CLOCK_REALTIME after its sendmmsg); the rate flowgen achieved; B's
#   count against A's.
#
# Each mode runs BENCH_ROUNDS (2) rounds, each on fresh namespaces and
# processes; the results are printed and copied to BENCH_OUT if set.
# No dpdk-testpmd: these figures are times, not throughput.
# Environment: BENCH_ROUNDS (2), BENCH_IDLE_US (10), BENCH_LAT_SECONDS (5),
# BENCH_LIMIT (watchdog, s; default 300 + 200 per round), KEEP=1 (keep the
# temp dir).
set -u
BUILD=${1:-}
MODE=${2:-}
ARG=${3:-}
usage() { echo "usage: $0 BUILD_DIR bulk N | latency RATE" >&2; exit 2; }
[ -n "$BUILD" ] && [ -n "$ARG" ] || usage
case "$MODE" in bulk | latency) ;; *) usage ;; esac
[[ $ARG =~ ^[0-9]+$ ]] && [ "$ARG" -gt 0 ] || usage
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 2; }
if [ -z "${PFSYNC_BENCH_LOCKED:-}" ]; then
	# One namespace run at a time on this machine (tests/integration too).
	exec env PFSYNC_BENCH_LOCKED=1 flock -w 900 /tmp/dpf-it.lock "$0" "$@"
fi

BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/bench/benchsh.sh
. "$HERE/benchsh.sh"
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
FLOWGEN=$BUILD/tools/flowgen
PY=/usr/bin/python3
ROUNDS=${BENCH_ROUNDS:-2}
IDLE_US=${BENCH_IDLE_US:-10}
LAT_SECS=${BENCH_LAT_SECONDS:-5}
LIMIT=${BENCH_LIMIT:-$((300 + 200 * ROUNDS))}
P=pfb$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
RES=$TMP/results.txt
declare -A FWPID=()
BG=()

for f in "$DPF" "$DPFCTL" "$FLOWGEN"; do
	[ -x "$f" ] || { echo "$0: $f missing (build first)" >&2; exit 2; }
done

teardown() {
	local n pid ns
	for n in "${!FWPID[@]}"; do kill -9 "${FWPID[$n]}" 2>/dev/null; done
	for pid in "${BG[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for ns in a b g; do
		for pid in $(ip netns pids "$P-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	for n in "${!FWPID[@]}"; do wait "${FWPID[$n]}" 2>/dev/null; done
	for ns in a b g; do ip netns del "$P-$ns" 2>/dev/null; done
	FWPID=()
	BG=()
}
cleanup() {
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	teardown
	if [ -n "${KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "pfsync_bench: $*" >&2; exit 1; }

bench_watchdog pfsync_bench "$LIMIT"

say() { echo "$*" | tee -a "$RES"; }
ctl() { local n=$1; shift; "$DPFCTL" -s "$TMP/$n.sock" -t 10 "$@"; }
# jget FILE PATH: one value of a JSON file by dotted path ("" if absent).
jget() {
	"$PY" -c '
import json, sys
x = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    x = x.get(k) if isinstance(x, dict) else None
print("" if x is None else json.dumps(x) if isinstance(x, (dict, list)) else x)
' "$1" "$2" 2>/dev/null
}
states_of() { ctl "$1" -j show info >"$TMP/info.$1.json" 2>/dev/null && jget "$TMP/info.$1.json" states.current; }

# Frames: flows-N.pcap (bulk), empty.pcap, ctl-sink.pcap, arp-gw.pcap.
if [ "$MODE" = bulk ]; then
	"$PY" "$HERE/gen_pcap.py" "$TMP" --frames 1 --flows 1 --many "$ARG" >/dev/null ||
		die "gen_pcap.py failed"
	NLIM=$((ARG + ARG / 4))
else
	"$PY" "$HERE/gen_pcap.py" "$TMP" --frames 1 --flows 1 >/dev/null || die "gen_pcap.py failed"
	NLIM=$((ARG * LAT_SECS * 2))
fi
[ "$NLIM" -ge 10000 ] || NLIM=10000
# About 350 B per unit of limits.states (run.sh, "states") plus pfsync's id
# map on the receiver; 700 MB for the rest.
MEM_MB=$((NLIM / 1024 + 700))

# conf NODE(a|b) LANDEV_ARG: writes $TMP/NODE.json.
conf() {
	local n=$1 lan=$2 hid cores ip
	case $n in
	a) hid=0x0000a001 cores="0@0,1@0" ip=1 ;;
	b) hid=0x0000b002 cores="0@1,1@1" ip=2 ;;
	esac
	cat >"$TMP/$n.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P-$n", "host_id": "$hid",
              "control": { "socket": "$TMP/$n.sock" } },
  "dataplane": {
    "eal": { "lcores": "$cores", "no_huge": true, "memory_mb": $MEM_MB, "in_memory": true,
             "file_prefix": "$P-$n",
             "args": [ "$lan",
                       "--vdev=net_pcap1,rx_pcap=$TMP/empty.pcap,rx_pcap=$TMP/arp-gw.pcap",
                       "--vdev=net_af_packet9,iface=$P-${n}s", "--no-pci",
                       "--log-level=lib.eal:error" ] },
    "workers": 1, "idle_sleep_us": $IDLE_US, "mbufs": 16384,
    "ports": [ { "name": "p0", "device": "${lan%%,*}" },
               { "name": "p1", "device": "net_pcap1" },
               { "name": "p2", "device": "net_af_packet9" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.1/24" ] },
    { "name": "sync", "port": "p2", "ipv4": [ "198.18.250.$ip/30" ] }
  ],
  "routes": [ { "prefix": "198.19.0.0/16", "via": "198.18.2.254" } ],
  "limits": { "states": $NLIM },
  "timeouts": { "udp.first": 86400, "udp.single": 86400, "udp.multiple": 86400,
                "adaptive.start": 0, "adaptive.end": 0 },
  "options": { "default": "block" },
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto udp from 198.18.1.0/24 to 198.19.0.0/16 keep state"
  ],
  "sync": { "interface": "sync" }
}
JSON
	sed -i 's/"--vdev=--vdev=/"--vdev=/; s/"device": "--vdev=/"device": "/' "$TMP/$n.json"
}

# start NODE: dpf in namespace $P-NODE, waits for its control socket.
start() {
	local n=$1
	rm -f "$TMP/$n.sock"
	ip netns exec "$P-$n" stdbuf -oL -eL "$DPF" -c "$TMP/$n.json" >"$TMP/$n.log" 2>&1 &
	FWPID[$n]=$!
	for _ in $(seq 300); do
		ctl "$n" ping >/dev/null 2>&1 && return 0
		kill -0 "${FWPID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$TMP/$n.log" >&2
	die "node $n did not start"
}

# wait_until SECONDS COMMAND...: every 0.1 s; 1 when SECONDS pass.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
has_states() { [ "$(states_of "$1")" = "$2" ]; }
queues_empty() {
	ctl a -j show pfsync >"$TMP/q.json" 2>/dev/null || return 1
	"$PY" -c 'import json,sys; q=json.load(open(sys.argv[1]))["queued"]; sys.exit(1 if any(q.values()) else 0)' "$TMP/q.json"
}
# bulk_done NODE: NODE's own bulk request ended (done or timed out).
bulk_done() { grep -q "event=bulk-done\|event=bulk-timeout" "$TMP/$1.log"; }

# netns ROUND: namespaces and the sync veth (and lan veth for latency).
netns() {
	local ns
	for ns in a b; do ip netns add "$P-$ns"; ip netns exec "$P-$ns" ip link set lo up; done
	ip link add "$P-as" netns "$P-a" type veth peer name "$P-bs" netns "$P-b"
	ip netns exec "$P-a" ip link set "$P-as" up
	ip netns exec "$P-b" ip link set "$P-bs" up
	if [ "$MODE" = latency ]; then
		ip netns add "$P-g"
		ip link add "$P-g0" netns "$P-g" type veth peer name "$P-al" netns "$P-a"
		ip netns exec "$P-g" ip link set "$P-g0" up
		ip netns exec "$P-a" ip link set "$P-al" up
	fi
}

# show NODE NAME: saves show pfsync / show info JSON as $TMP/rR-NODE-NAME.*.
snap() {
	ctl "$1" -j show pfsync >"$TMP/r$R-$1-$2.pfsync.json" 2>/dev/null
	ctl "$1" -j show info >"$TMP/r$R-$1-$2.info.json" 2>/dev/null
}
# report_stats NODE NAME: the non-zero stats and dpf counters, the latency object.
report_stats() {
	"$PY" - "$TMP/r$R-$1-$2.pfsync.json" "$TMP/r$R-$1-$2.info.json" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))
i = json.load(open(sys.argv[2]))
nz = lambda d: " ".join("%s=%s" % (k, v) for k, v in sorted(d.items()) if v)
print("    stats: %s" % (nz(p.get("stats", {})) or "all 0"))
print("    dpf: %s" % (nz(p.get("dpf", {})) or "all 0"))
print("    sent: %s" % nz(p.get("sent", {})))
print("    received: %s" % nz(p.get("received", {})))
ev = i.get("states", {}).get("events", {})
print("    state events: %s" % (nz(ev) or "all 0"))
if "latency" in p:
    print("    latency: %s" % json.dumps(p["latency"], sort_keys=True))
else:
    print("    latency: (no latency object in show pfsync -j)")
PYEOF
}

run_bulk() {
	local n=$ARG na nb t0 line bcount
	netns
	conf a "--vdev=net_pcap0,rx_pcap=$TMP/flows-$n.pcap,rx_pcap=$TMP/ctl-sink.pcap"
	conf b "--vdev=net_pcap0,rx_pcap=$TMP/empty.pcap,rx_pcap=$TMP/empty.pcap"
	t0=$SECONDS
	start a
	wait_until $((60 + n / 5000)) has_states a "$n" ||
		say "  round $R: A has $(states_of a) states, not $n, after $((SECONDS - t0)) s"
	na=$(states_of a)
	# A's own INS records for these states went to a peer not yet there;
	# let them go before B asks, so that the bulk is measured alone.
	wait_until 60 queues_empty || say "  round $R: A's pfsync queues not empty after 60 s"
	# A asked for a bulk at start-up (12 tries 2 s apart); had B answered
	# it, B would send A's states back during the bulk measured.
	wait_until 40 bulk_done a || say "  round $R: A's own bulk request still pending after 40 s"
	snap a before
	start b
	wait_until $((60 + n / 2000)) bulk_done b || say "  round $R: B's bulk not done after $((60 + n / 2000)) s"
	# B's count settles once the last packet is applied.
	wait_until 10 has_states b "$na"
	nb=$(states_of b)
	snap a after
	snap b after
	line=$(grep -o "event=bulk-done.*\|event=bulk-timeout.*" "$TMP/b.log" | head -1)
	bcount=n/a
	if [ "$n" -le 50000 ]; then
		ctl b -j show states >"$TMP/states.b.json" 2>/dev/null
		bcount=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d if isinstance(d, list) else d.get("states", [])
print(sum(1 for x in s if x.get("creatorid") == "0000a001"))
' "$TMP/states.b.json" 2>/dev/null || echo "?")
	fi
	say "  round $R: A states $na; B states $nb (with A's creatorid 0000a001: $bcount); lost $((na - nb))"
	say "    B log: ${line:-no bulk line}"
	say "    B show pfsync: bulk.state $(jget "$TMP/r$R-b-after.pfsync.json" bulk.state) result $(jget "$TMP/r$R-b-after.pfsync.json" bulk.result) duration_ms $(jget "$TMP/r$R-b-after.pfsync.json" bulk.duration_ms) states $(jget "$TMP/r$R-b-after.pfsync.json" bulk.states) applied $(jget "$TMP/r$R-b-after.pfsync.json" bulk.applied) lost $(jget "$TMP/r$R-b-after.pfsync.json" bulk.lost) retries $(jget "$TMP/r$R-b-after.pfsync.json" bulk.retries)"
	say "    A bulk_send: $(jget "$TMP/r$R-a-after.pfsync.json" bulk_send)"
	say "    A log: $(grep -o "event=bulk-send-done.*" "$TMP/a.log" | head -1)"
	say "  A (sender):"
	report_stats a after | tee -a "$RES"
	say "  B (receiver):"
	report_stats b after | tee -a "$RES"
	teardown
}

run_latency() {
	local rate=$ARG mac gline na nb nsent
	netns
	conf a "--vdev=net_af_packet0,iface=$P-al"
	conf b "--vdev=net_pcap0,rx_pcap=$TMP/empty.pcap,rx_pcap=$TMP/empty.pcap"
	start a
	start b
	# Both start-up bulks (each node asks the other) over before the flows.
	wait_until 40 bulk_done a || say "  round $R: A's start-up bulk not done after 40 s"
	wait_until 40 bulk_done b || say "  round $R: B's start-up bulk not done after 40 s"
	ip netns exec "$P-b" tcpdump -i "$P-bs" -n -s 0 -B 131072 --immediate-mode --time-stamp-precision=nano \
		-w "$TMP/sync.$R.pcap" "ip proto 240" 2>"$TMP/tcpdump.$R.err" &
	BG+=($!)
	wait_until 10 grep -q listening "$TMP/tcpdump.$R.err"
	mac=$(ip netns exec "$P-a" cat "/sys/class/net/$P-al/address")
	snap a before
	snap b before
	gline=$(ip netns exec "$P-g" "$FLOWGEN" "$P-g0" "$mac" "$rate" "$LAT_SECS" "$TMP/sendlog.$R.bin")
	# Every flow sent must be a state on A, then on B; then the capture stops.
	nsent=$(echo "$gline" | sed -n 's/^flowgen: sent \([0-9]*\) .*/\1/p')
	wait_until 30 has_states a "${nsent:-0}" || say "  round $R: A has $(states_of a) states of $nsent flows"
	wait_until 30 has_states b "$(states_of a)"
	sleep 0.5
	kill -INT "${BG[-1]}" 2>/dev/null
	wait "${BG[-1]}" 2>/dev/null
	na=$(states_of a)
	nb=$(states_of b)
	snap a after
	snap b after
	say "  round $R: $gline"
	say "    A states $na; B states $nb; lost $((na - nb)); tcpdump: $(grep -o '[0-9]* packets dropped by kernel' "$TMP/tcpdump.$R.err")"
	"$PY" - "$TMP/sendlog.$R.bin" "$TMP/sync.$R.pcap" "$HERE/../../tests/interop" <<'PYEOF' | tee -a "$RES"
import struct, sys
sys.path.insert(0, sys.argv[3])
from pfsync_reader import parse_pfsync
# flowgen's send log: (first flow, frames, CLOCK_REALTIME ns) per sendmmsg.
sent = {}
data = open(sys.argv[1], "rb").read()
for first, n, t in struct.iter_unpack("<QQQ", data):
    for i in range(first, first + n):
        sent[i] = t
# tcpdump pcap, nanosecond magic 0xa1b23c4d.
buf = open(sys.argv[2], "rb").read()
magic = struct.unpack_from("<I", buf, 0)[0]
scale = 1 if magic == 0xA1B23C4D else 1000
off, lat, ins, other = 24, [], 0, 0
seen = set()
while off + 16 <= len(buf):
    sec, frac, incl, _ = struct.unpack_from("<IIII", buf, off)
    off += 16
    fr = buf[off:off + incl]
    off += incl
    t = sec * 1000000000 + frac * scale
    if len(fr) < 34 or fr[12:14] != b"\x08\x00":
        continue
    ihl = (fr[14] & 15) * 4
    _, recs, _, _, _ = parse_pfsync(fr[14 + ihl:])
    for act, r in recs:
        if act != 13:
            other += 1
            continue
        ins += 1
        k = r[24:64]
        a0, a1 = k[0:4], k[16:20]
        p0, p1 = struct.unpack_from(">HH", k, 32)
        src, dst, sp = (a0, a1, p0) if a0[:3] == bytes([198, 18, 1]) else (a1, a0, p1)
        i = (dst[2] * 256 + dst[3]) * 64 + (src[3] - 10)
        if i in sent and i not in seen and (1024 + i % 60000) == sp:
            seen.add(i)
            lat.append((t - sent[i]) / 1000.0)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("    wire (flowgen sendmmsg -> INS on B's sync veth): flows sent %d, INS records %d "
      "(other records %d), matched %d; p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us"
      % (len(sent), ins, other, len(lat), q(0.5), q(0.9), q(0.99), lat[-1] if lat else float("nan")))
PYEOF
	say "  A (sender):"
	report_stats a after | tee -a "$RES"
	say "  B (receiver):"
	report_stats b after | tee -a "$RES"
	teardown
}

say "pfsync_bench $MODE $ARG: $(date -u +%FT%TZ), $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null), rounds $ROUNDS, idle_sleep_us $IDLE_US, limits.states $NLIM, memory_mb $MEM_MB"
for R in $(seq "$ROUNDS"); do
	if [ "$MODE" = bulk ]; then run_bulk; else run_latency; fi
done
[ -n "${BENCH_OUT:-}" ] && cp "$RES" "$BENCH_OUT"
exit 0
