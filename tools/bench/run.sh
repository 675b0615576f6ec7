#!/usr/bin/env bash
# make bench: dpf forwarding throughput beside dpdk-testpmd io forwarding,
# on the same harness, in the same invocation, interleaved.
#
#   tools/bench/run.sh [BUILD_DIR [pcap|memif|all|states]]   (default: build pcap; root)
#
# Harness pcap (docs/BENCHMARKS.md explains both harnesses and the numbers):
#   port 0 = net_pcap0 replaying a generated pcap with infinite_rx=1 (the
#   "generator" is the PMD's Rx copy, on the forwarding core itself);
#   port 1 = net_pcap1 whose Rx never delivers (empty file) and whose Tx
#   frees the packets (no tx_pcap).  One forwarding core on CPU 1; the main
#   lcore (testpmd) or control core (dpf) on CPU 0.
#   dpf routes 198.18.1.0/24 -> 198.19.0.0/16 via 198.18.2.254 on p1; it
#   learns the gateway from an ARP request read once on its control queue.
#
# Harness memif: a separate generator process, dpdk-testpmd io-fwd on CPU 0,
#   replays the same pcap (net_pcap infinite_rx) into net_memif "lan" and
#   counts what comes back on net_memif "wan" (forwarded on to a net_pcap
#   Tx drop); the device under test, dpf or dpdk-testpmd io-fwd with its
#   forwarding core on CPU 1, is the memif server of both.  Every memif has
#   2 queue pairs (dpf's workers + 1: its control core polls queue 1), and
#   testpmd's --cmdline-file marks queue 1 deferred in the generator and the
#   testpmd DUT, so that testpmd never polls it: all traffic uses ring 0.
#   (A 1-ring peer would not do: the memif server refuses the client's
#   rings beyond its queue count, "Invalid ring index".)  The generator also
#   sends the gateway's ARP request into dpf's wan once, at start.  memif
#   needs EAL multi-process, so no --no-shconf / in_memory here.
#   dpf sets idle_sleep_us (BENCH_IDLE_US, 10) so that its control core
#   leaves CPU 0 to the generator; the knob is shared by the worker, which
#   sleeps only after an empty poll.
#
# Rates are counter deltas over BENCH_SECONDS after BENCH_WARMUP seconds:
# testpmd port 1 opackets (DPDK telemetry), dpf worker 0 "forwarded"
# (dpfctl -j show workers); memif: generator port 2 (wan) ipackets, for
# both devices under test.  The forwarding thread's CPU time over the same
# interval (/proc/PID/task/TID/schedstat) gives cycles/packet for the time
# the thread really ran, which matters on a shared machine.
#
# Harness states (pcap harness, stateful figures; docs/BENCHMARKS.md
#   "End-to-end state benchmarks"): per round, testpmd then dpf on
#   fwd-64.pcap (1024 flows) and on flows-N.pcap (N distinct UDP flows, one
#   frame each, N = BENCH_STATES_N: after the first pass, N established
#   states), then dpf on flows-N.pcap with other rulesets.  New states: the
#   sampler reads worker 0 rx_packets (dpfctl -j show workers), the state
#   inserts (dpfctl -j show info, states.inserts) and the worker's
#   schedstat every BENCH_STATES_PERIOD s through a pass over the file in
#   which every frame is a new flow, and keeps its steady middle (N/10 to
#   9N/10 inserts): new states/s and cycles per new state.  The first pass
#   after start ("cold") runs on state-table memory never written, which
#   the worker page-faults in (rte_zmalloc skips the memset of fresh
#   --no-huge memory); the figure is BENCH_STATES_REFILLS "warm" passes,
#   each after `dpfctl state kill all`, which make the N states again.
#   Rulesets: "pass all"; none ("options": {"default": "pass"}: no state,
#   the baseline); BENCH_STATES_RULES sizes: N-1 never-matching rules and a
#   final "pass all" (gen_pcap.py --rules).
#   Memory: net_pcap infinite_rx holds every frame of the file in an mbuf
#   of the port's pool, and with --no-huge a pool object never straddles a
#   4 KiB page, so an mbuf costs 4 KiB (all written at start): N + 32768
#   mbufs and memory_mb sized from that (about 5 GB for N = 1M, one process
#   at a time); limits.states = N + N/4.  Bytes per state: DPDK heap
#   Alloc_size (telemetry /eal/heap_info,0) of two dpf starts that differ
#   only in limits.states.
#
# A run that fails (a process that does not start, a sampler without a
# result, a process not gone within BENCH_STOP_GRACE s of SIGINT) is noted
# with its reason (the sampler's last stderr line, the process's last log
# line) and the bench goes on; the tables print what was measured, then
# "Failed runs" with the reasons and the stop times, and the exit status
# is 1.  A process not stopped in time is SIGKILLed itself (not only its
# timeout(1) wrapper) and its DPDK runtime files are removed, so that the
# next run does not meet its stale telemetry socket.
#
# Memory (BENCH_HUGE, pcap harness only): 0 = --no-huge (4 KiB pages, the
#   default), 1 = 2 MB hugepages, both = every round on both, --no-huge
#   first (scenario "64B-2M" etc., CSV test established-huge).  For
#   hugepages the script adds BENCH_HUGE_PAGES (640) to
#   /proc/sys/vm/nr_hugepages, mounts a private hugetlbfs under its temp
#   dir (--huge-dir; dpf: "no_huge": false) and on exit unmounts it and
#   gives back the pages it added.  On --no-huge a pool object of
#   testpmd never straddles a 4 KiB page, so every mbuf sits at the same
#   page offset; dpf packs its pool there (dp_pool_create(), IOVA as VA):
#   docs/BENCHMARKS.md "The slow mode, re-measured".
#
# Every figure is also a row of BENCH_CSV (default docs/bench/harness.csv,
# appended to; empty: none) in the schema of tools/bench/benchcsv.sh, which
# tools/bench/plot.py draws: harness pcap|memif; test established (the
# forwarding rate: pcap/memif modes, states mode's 1k and N-flow runs;
# established-huge: pcap mode on hugepages),
# new (states mode, a warm pass: M new states/s and cycles per new state),
# new-cold (the cold first pass), nostate and nostate-cold (ruleset none:
# Mpps and cycles/pkt of the pass); frame in bytes on the wire or imix;
# rules 1 for "pass all", 0 for testpmd and ruleset none, else the count;
# round the harness round (a states round has BENCH_STATES_REFILLS warm
# passes, one row each); loss empty (not measured).
#
# Environment: BENCH_SECONDS (4), BENCH_WARMUP (2), BENCH_ROUNDS (5, each a
# testpmd run then a dpf run; states: 3), BENCH_STOP_GRACE (5), BENCH_IMIX (1: also the IMIX
# file), BENCH_IMIX_ROUNDS (2), BENCH_FRAMES ("64": frame sizes on the wire,
# 64..1518, of the pcap and memif modes), BENCH_OUT (a file to copy the results table
# to), BENCH_CSV (above); states: BENCH_STATES_N (1000000), BENCH_STATES_RULES ("10 1000
# 10000"; empty: none), BENCH_STATES_PERIOD (0.02), BENCH_STATES_REFILLS (2; 0: no warm pass and
# no ruleset-none run, only the established figures and the cold pass).
# Bounded: about 110 s (pcap), 200 s (memif) or 270-300 s (states, 3
# rounds of N = 1M); a watchdog ends everything after BENCH_LIMIT s (170,
# memif 300, all 470, states 180 + 150 per round; each frame size past the
# first adds 24 s per round, memif 40 s, all 64 s).
set -u
BUILD=${1:-build}
HARNESS=${2:-pcap}
[ "$HARNESS" = pktgen ] && exec "$(dirname "$0")/pktgen.sh" "$BUILD"	# tools/bench/pktgen.sh
case "$HARNESS" in
pcap) NH=170 ;;
memif) NH=300 ;;
all) NH=470 ;;
states) NH=$((180 + 150 * ${BENCH_ROUNDS:-3})) ;;
peers) exec "$(dirname "$0")/ovs.sh" "$BUILD" ;;	# testpmd, dpf, OVS-DPDK, OVS+conntrack
*) echo "usage: $0 [BUILD_DIR [pcap|memif|all|states]]" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/bench/benchcsv.sh
. "$HERE/benchcsv.sh"
# shellcheck source=tools/bench/benchsh.sh
. "$HERE/benchsh.sh"
CSV=${BENCH_CSV-$(cd "$HERE/../.." && pwd)/docs/bench/harness.csv}
FRAMES=${BENCH_FRAMES:-64}
export BENCH_HERE=$HERE	# the samplers import benchlib.py from here
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3
SECS=${BENCH_SECONDS:-4}
WARM=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-5}
[ "$HARNESS" = states ] && ROUNDS=${BENCH_ROUNDS:-3}
NSTATES=${BENCH_STATES_N:-1000000}
STATES_RULES=${BENCH_STATES_RULES-10 1000 10000}
STATES_PERIOD=${BENCH_STATES_PERIOD:-0.02}
STATES_REFILLS=${BENCH_STATES_REFILLS:-2}
# states: the samplers (and the dpfctl they run) on CPU 0, beside the
# control core / testpmd main lcore, not on the forwarding core's CPU 1.
SAMPLER_PIN=
[ "$HARNESS" = states ] && SAMPLER_PIN="taskset -c 0"
IMIX=${BENCH_IMIX:-1}
HUGE=${BENCH_HUGE:-0}
HUGE_PAGES=${BENCH_HUGE_PAGES:-640}
HUGE_ADDED=0	# pages this script added to nr_hugepages
HUGE_MNT=
EAL_MEM=--no-huge	# testpmd's memory options of the run (mem_setup)
case "$HUGE" in
0) MEM_MODES=nohuge ;;
1) MEM_MODES=huge ;;
both) MEM_MODES="nohuge huge" ;;
*) echo "bench: BENCH_HUGE must be 0, 1 or both" >&2; exit 2 ;;
esac
[ "$HUGE" = 0 ] || [ "$HARNESS" = pcap ] ||
	{ echo "bench: BENCH_HUGE is for the pcap harness only" >&2; exit 2; }
IMIX_ROUNDS=${BENCH_IMIX_ROUNDS:-2}
# Each frame size past the first: a testpmd and a dpf run per round (about
# 12 s each; memif 20 s), in pcap and memif modes.
NF=$(echo "$FRAMES" | wc -w)
case "$HARNESS" in
pcap) NH=$((NH + (NF - 1) * ROUNDS * 24)) ;;
memif) NH=$((NH + (NF - 1) * ROUNDS * 40)) ;;
all) NH=$((NH + (NF - 1) * ROUNDS * 64)) ;;
esac
LIMIT=${BENCH_LIMIT:-$NH}
IDLE_US=${BENCH_IDLE_US:-10}
TAG=dpfbench$$
TMP=
WATCHDOG=
RUN_PID=		# the timeout(1) wrapper of the process under test
GEN_PID=		# the timeout(1) wrapper of the memif generator
SAMPLER=		# the measuring python process

die() { echo "bench: $*" >&2; exit 1; }

# A run that fails (no start, no result, no clean stop) is noted here with
# its reason and the bench goes on: the tables print what the other runs
# measured, then the failures, and the exit status is 1.
FAILED=
RESULTS=
HEAP_SMALL=
HEAP_BIG=
STOPS=		# "NAME ms" per stopped process: SIGINT to gone
STOP_GRACE=${BENCH_STOP_GRACE:-5}

# fail_run NAME REASON [LOG...]: notes a failed run: REASON, then the last
# line of each LOG that has one (the process's own last word).
fail_run() {
	local name=$1 why=$2 l last
	shift 2
	for l in "$@"; do
		[ -s "$l" ] || continue
		last=$(grep -v '^[[:space:]]*$' "$l" | tail -1)
		[ -n "$last" ] && why="$why; $(basename "$l"): $last"
	done
	echo "  $name: FAILED: $why" >&2
	[ -n "$FAILED" ] && echo "$name: $why" >>"$FAILED"
	return 1
}

# stop_pid WRAPPER NAME: SIGINT to the timeout(1) WRAPPER (it passes it on
# to its child), STOP_GRACE s for both to end, then SIGKILL to the child
# itself (a SIGKILL to timeout(1) alone would leave it running, to hold
# its file prefix and telemetry socket while the next run starts) and to
# the wrapper, noted as a failure of NAME.  Returns once both are gone.
stop_pid() {
	local w=$1 name=${2:-run} child t0 ms
	child=$(pgrep -P "$w" 2>/dev/null | head -1)
	t0=$(date +%s%N)
	kill -INT "$w" 2>/dev/null
	for _ in $(seq $((STOP_GRACE * 20))); do
		kill -0 "$w" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$w" 2>/dev/null; then
		fail_run "$name" "did not exit within ${STOP_GRACE} s of SIGINT, killed"
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
		kill -KILL "$w" 2>/dev/null
		# A killed DPDK process leaves its runtime files (a stale
		# telemetry socket answers "connection refused").
		for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk"; do
			rm -rf "$d/$TAG-dpf" "$d/$TAG-tp" "$d/$TAG-gen" 2>/dev/null
		done
	fi
	wait "$w" 2>/dev/null
	# The child may outlive the wrapper by a moment (reaped by init).
	if [ -n "$child" ]; then
		for _ in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ -n "$STOPS" ] && echo "$name $ms" >>"$STOPS"
	return 0
}

stop_run() {
	[ -n "$GEN_PID" ] && stop_pid "$GEN_PID" "${1:-run}-gen"
	GEN_PID=
	[ -n "$RUN_PID" ] && stop_pid "$RUN_PID" "${1:-run}"
	RUN_PID=
}

# huge_release: unmounts the private hugetlbfs and gives back the pages
# this script added (not a saved count: another job may have changed it).
huge_release() {
	local cur
	if [ -n "$HUGE_MNT" ]; then
		umount "$HUGE_MNT" 2>/dev/null || echo "bench: cannot unmount $HUGE_MNT" >&2
		HUGE_MNT=
	fi
	if [ "$HUGE_ADDED" -gt 0 ]; then
		cur=$(cat /proc/sys/vm/nr_hugepages)
		echo $((cur > HUGE_ADDED ? cur - HUGE_ADDED : 0)) >/proc/sys/vm/nr_hugepages
		HUGE_ADDED=0
	fi
}

# huge_setup: HUGE_PAGES more 2 MB pages and a private hugetlbfs (once).
huge_setup() {
	local free0 free1
	[ -n "$HUGE_MNT" ] && return 0
	free0=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	echo $(($(cat /proc/sys/vm/nr_hugepages) + HUGE_PAGES)) >/proc/sys/vm/nr_hugepages
	HUGE_ADDED=$HUGE_PAGES
	free1=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ $((free1 - free0)) -ge "$HUGE_PAGES" ] ||
		die "could not reserve $HUGE_PAGES hugepages (free $free0 -> $free1)"
	HUGE_MNT=$TMP/huge
	mkdir -p "$HUGE_MNT"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_MNT" || { HUGE_MNT=; die "cannot mount hugetlbfs"; }
}

cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	stop_run
	huge_release
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null && wait "$WATCHDOG" 2>/dev/null
	WATCHDOG=
	for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk"; do
		rm -rf "$d/$TAG-dpf" "$d/$TAG-tp" "$d/$TAG-gen" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	TMP=
}
trap cleanup EXIT
# Interrupted (or the watchdog): what was measured is still printed.
trap 'echo "bench: interrupted" >&2; [ -n "$FAILED" ] && echo "bench: interrupted" >>"$FAILED"
	[ -n "$RESULTS" ] && summary_once; exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (DPDK EAL)"
[ -x "$DPF" ] && [ -x "$DPFCTL" ] || die "no $DPF or $DPFCTL (build first)"
command -v "$TESTPMD" >/dev/null || die "no $TESTPMD (apt-get install dpdk)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
TMP=$(mktemp -d /tmp/dpf-bench.XXXXXX)
FAILED=$TMP/failed
STOPS=$TMP/stops
: >"$FAILED"
: >"$STOPS"
bench_watchdog bench "$LIMIT"

bench_tsc

GEN_ARGS=
if [ "$HARNESS" = states ]; then
	[ "$NSTATES" -ge 10000 ] && [ "$NSTATES" -le 4194304 ] ||
		die "BENCH_STATES_N must be 10000..4194304"
	# 4 KiB per mbuf (see above) for the frames + 32768, the state table
	# (about 350 B per unit of limits.states, IPv4 and IPv6 tables), 600 MB
	# for the rest (about 390 MB at 32768 mbufs and 100k states, plus a
	# 10k-rule classifier).
	ST_MBUFS=$((NSTATES + 32768))
	ST_LIMIT=$((NSTATES + NSTATES / 4))
	ST_DPF_MB=$(((ST_MBUFS * 4 + ST_LIMIT * 350 / 1024) / 1024 + 600))
	ST_TP_MB=$(((ST_MBUFS * 4) / 1024 + 300))
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	[ "$avail" -gt $((ST_DPF_MB + 1024)) ] ||
		die "states: dpf needs ${ST_DPF_MB} MB for N=$NSTATES, ${avail} MB available (lower BENCH_STATES_N)"
	GEN_ARGS="--many $NSTATES"
	[ -n "$STATES_RULES" ] && GEN_ARGS="$GEN_ARGS --rules $(echo "$STATES_RULES" | tr ' ' ',')"
fi
SIZES=
for f in $FRAMES; do
	case "$f" in
	*[!0-9]*|'') die "BENCH_FRAMES: $f is not a frame size in bytes" ;;
	esac
	[ "$f" -ge 64 ] && [ "$f" -le 1518 ] || die "BENCH_FRAMES: $f is not within 64..1518"
	[ "$f" = 64 ] || SIZES="$SIZES${SIZES:+,}$f"
done
[ -n "$SIZES" ] && GEN_ARGS="$GEN_ARGS --sizes $SIZES"
# shellcheck disable=SC2086
"$PY" "$HERE/gen_pcap.py" "$TMP" $GEN_ARGS >/dev/null || die "gen_pcap.py failed"

# sample KIND PID OUTFILE: waits for traffic, then one measured interval.
# KIND dpf: counter = worker 0 "forwarded" (dpfctl); KIND tp: port 1
# opackets (telemetry socket).  Writes "pkts wall_s run_s steal_s wait_s".
sample() {
	# In the background with wait, so that TERM/INT are handled at once.
	# shellcheck disable=SC2086
	$SAMPLER_PIN "$PY" - "$1" "$2" "$3" "$DPFCTL" "$TMP/dpf.sock" "$TAG" "$SECS" "$WARM" \
		2>"$3.err" <<'PYEOF' &
import json, os, subprocess, sys, time
sys.path.insert(0, os.environ["BENCH_HERE"])
import benchlib
kind, pid, out, dpfctl, dsock, tag, secs, warm = sys.argv[1:9]
secs, warm = float(secs), float(warm)
# KIND gen: the memif generator's telemetry, whatever the device under test.
tprefix = tag + ("-gen" if kind == "gen" else "-tp")

tsock = None
def counter():
    global tsock
    if kind == "dpf":
        r = subprocess.run([dpfctl, "-s", dsock, "-j", "show", "workers"],
                           capture_output=True, text=True, timeout=5)
        for w in json.loads(r.stdout):
            if w["worker"] == "0":
                return int(w["forwarded"])
        raise RuntimeError("no worker 0")
    if tsock is None:
        tsock = benchlib.telemetry(tprefix)
        if tsock is None:
            raise RuntimeError("no telemetry socket")
    if kind == "gen":
        return ethstats(2)["ipackets"]
    return ethstats(1)["opackets"]

def ethstats(port):
    tsock.send(b"/ethdev/stats,%d" % port)
    return json.loads(tsock.recv(65536))["/ethdev/stats"]

def gen_extra():
    """Generator: offered (pcap Rx), accepted by the DUT's lan ring."""
    return {"offered": ethstats(0)["ipackets"], "accepted": ethstats(1)["opackets"]}

def worker_tid():
    return benchlib.worker_tid(pid)

def run_ns(tid):
    return benchlib.schedstat(pid, tid)    # on-CPU ns, runqueue-wait ns

steal_ticks = benchlib.steal_ticks

def dpf_extra():
    """Worker 0 counters and drop reasons (dpfctl), for interval deltas."""
    r = subprocess.run([dpfctl, "-s", dsock, "-j", "show", "workers"],
                       capture_output=True, text=True, timeout=5)
    v = {}
    for w in json.loads(r.stdout):
        if w["worker"] == "0":
            v = {k: int(w[k]) for k in ("rx_packets", "punted", "handoff_in")}
    r = subprocess.run([dpfctl, "-s", dsock, "show", "info", "-v"],
                       capture_output=True, text=True, timeout=5)
    drops = False
    for line in r.stdout.splitlines():
        if line.startswith("Drop reasons"):
            drops = True
        elif drops and line.startswith("  ") and len(line.split()) == 2:
            v["drop:" + line.split()[0]] = int(line.split()[1])
        elif drops:
            drops = False
    return v

def snap(tid):
    t0 = time.monotonic()
    c = counter()
    t1 = time.monotonic()
    r, w = run_ns(tid)
    return c, (t0 + t1) / 2, r, w, steal_ticks()

deadline = time.monotonic() + 30
err = "counter still 0"
while True:
    try:
        tid = worker_tid()
        if counter() > 0:
            break
    except Exception as e:          # not up yet
        err = e
    if time.monotonic() > deadline:
        sys.exit("sample: no traffic within 30 s (%s)" % err)
    time.sleep(0.2)
time.sleep(warm)
xf = {"dpf": dpf_extra, "gen": gen_extra}.get(kind, dict)
xa = xf()
a = snap(tid)
time.sleep(secs)
b = snap(tid)
xb = xf()
if xb:
    with open(out + ".extra", "w") as f:
        f.write(" ".join("%s=%d" % (k, xb[k] - xa.get(k, 0)) for k in xb) + "\n")
hz = os.sysconf("SC_CLK_TCK")
with open(out, "w") as f:
    f.write("%d %.6f %.6f %.6f %.6f\n" % (b[0] - a[0], b[1] - a[1], (b[2] - a[2]) / 1e9,
                                         (b[4] - a[4]) / hz, (b[3] - a[3]) / 1e9))
PYEOF
	sampler_wait $! "$3.err"
}

# sampler_wait PID ERRFILE: waits for the sampler started in the background
# (the cleanup trap kills $SAMPLER if the watchdog fires first); what it
# wrote to ERRFILE goes to stderr, indented.
sampler_wait() {
	SAMPLER=$1
	local rc=0
	wait "$SAMPLER" || rc=$?
	SAMPLER=
	[ -s "$2" ] && sed 's/^/    /' "$2" >&2
	return $rc
}

# run_testpmd NAME PCAP [MEMORY_MB MBUFS]
run_testpmd() {
	local name=$1 pcap=$2 mem=${3:-1024} nmbufs=${4:-32768}
	# shellcheck disable=SC2086
	timeout -s INT -k 5 $((WARM + SECS + 40)) "$TESTPMD" --lcores 0@0,1@1 $EAL_MEM -m "$mem" \
		--no-shconf --file-prefix "$TAG-tp" --log-level=lib.eal:error \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_pcap1,rx_pcap=$TMP/empty.pcap" \
		-- --forward-mode=io --no-flush-rx --nb-cores=1 --total-num-mbufs="$nmbufs" \
		--stats-period 1 >"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	local pid=
	for _ in $(seq 50); do
		pid=$(pgrep -P "$RUN_PID" -x "$(basename "$TESTPMD")") && break
		sleep 0.1
	done
	if [ -z "$pid" ]; then
		stop_run "$name"
		fail_run "$name" "testpmd did not start" "$TMP/$name.log"
		return
	fi
	sample tp "$pid" "$TMP/$name.res" || {
		stop_run "$name"
		fail_run "$name" "no result" "$TMP/$name.res.err" "$TMP/$name.log"
		return
	}
	stop_run "$name"
}

# dpf_conf NAME PCAP_BASENAME: $TMP/NAME.json from dpf-pcap.json.in; on
# hugepages (EAL_MEM not --no-huge) "no_huge": false and the private
# hugetlbfs.
dpf_conf() {
	local huge=
	[ "$EAL_MEM" = --no-huge ] ||
		huge="s|\"no_huge\": true|\"no_huge\": false|;s|\"args\": \[ |\"args\": [ \"--huge-dir=$HUGE_MNT\", |"
	sed -e "s|@SOCK@|$TMP/dpf.sock|" -e "s|@DIR@|$TMP|g" -e "s|@FWD@|$2|" \
	    -e "s|@PREFIX@|$TAG-dpf|" -e "$huge" "$HERE/dpf-pcap.json.in" >"$TMP/$1.json"
}

# start_dpf NAME [EXTRA_S]: checks and starts dpf on $TMP/NAME.json, sets
# RUN_PID and DPF_PID; EXTRA_S adds to its time limit (start-up of big pools).
# Fails (noted) when the config is rejected or dpf is gone at once.
DPF_PID=
start_dpf() {
	local name=$1 pid=
	"$DPF" -n -c "$TMP/$name.json" >"$TMP/$name.check" 2>&1 ||
		{ fail_run "$name" "config rejected" "$TMP/$name.check"; return; }
	rm -f "$TMP/dpf.sock"
	timeout -s INT -k 5 $((WARM + SECS + 40 + ${2:-0})) "$DPF" -c "$TMP/$name.json" \
		>"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	for _ in $(seq 50); do
		pid=$(pgrep -P "$RUN_PID" -x dpf) && break
		sleep 0.1
	done
	if [ -z "$pid" ]; then
		stop_run "$name"
		fail_run "$name" "dpf did not start" "$TMP/$name.log"
		return
	fi
	DPF_PID=$pid
}

# run_dpf NAME PCAP_BASENAME
run_dpf() {
	local name=$1
	dpf_conf "$name" "$2"
	start_dpf "$name" || return
	sample dpf "$DPF_PID" "$TMP/$name.res" || {
		stop_run "$name"
		fail_run "$name" "no result" "$TMP/$name.res.err" "$TMP/$name.log"
		return
	}
	stop_run "$name"
}

# --- memif harness ------------------------------------------------------

# q1_off FILE NPORTS: testpmd commands that mark queue 1 of every port
# deferred, then start the ports (with --disable-device-start): testpmd then
# never polls queue 1 [testpmd skips streams on stopped queues].
q1_off() {
	local i
	: >"$1"
	for i in $(seq 0 $(($2 - 1))); do
		echo "port $i rxq 1 deferred_start on" >>"$1"
		echo "port $i txq 1 deferred_start on" >>"$1"
	done
	echo "port start all" >>"$1"
}

# start_gen NAME PCAP: the generator, memif client of the DUT's two sockets,
# its main and forwarding lcores on CPU 0.  Ports: 0 net_pcap replay ->
# 1 memif lan; 2 memif wan -> 3 net_pcap Tx drop (3's Rx reads arp-gw.pcap
# once: the gateway's ARP request into dpf's wan).
start_gen() {
	local name=$1 pcap=$2
	timeout -s INT -k 5 $((WARM + SECS + 40)) "$TESTPMD" --lcores 0@0,1@0 --no-huge -m 1024 \
		--file-prefix "$TAG-gen" --log-level=lib.eal:error \
		--vdev "net_pcap0,rx_pcap=$pcap,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_memif0,role=client,socket=$TMP/lan.sock" \
		--vdev "net_memif1,role=client,socket=$TMP/wan.sock" \
		--vdev "net_pcap1,rx_pcap=$TMP/arp-gw.pcap,rx_pcap=$TMP/empty.pcap" \
		-- --forward-mode=io --no-flush-rx --nb-cores=1 --rxq=2 --txq=2 \
		--total-num-mbufs=32768 --disable-device-start --cmdline-file="$TMP/q1off4.cmd" \
		--stats-period 1 >"$TMP/$name-gen.log" 2>&1 </dev/null &
	GEN_PID=$!
}

# run_memif NAME DUT PCAP: DUT (testpmd or dpf) as memif server, then the
# generator; the counter is the generator's wan Rx.
run_memif() {
	local name=$1 dut=$2 pcap=$3 pid= exe ok=
	rm -f "$TMP/dpf.sock"
	if [ "$dut" = testpmd ]; then
		exe=$(basename "$TESTPMD")
		timeout -s INT -k 5 $((WARM + SECS + 40)) "$TESTPMD" --lcores 0@0,1@1 --no-huge \
			-m 1024 --file-prefix "$TAG-tp" --log-level=lib.eal:error \
			--vdev "net_memif0,role=server,socket=$TMP/lan.sock" \
			--vdev "net_memif1,role=server,socket=$TMP/wan.sock" \
			-- --forward-mode=io --nb-cores=1 --rxq=2 --txq=2 --total-num-mbufs=32768 \
			--disable-device-start --cmdline-file="$TMP/q1off2.cmd" --stats-period 1 \
			>"$TMP/$name.log" 2>&1 </dev/null &
	else
		exe=dpf
		sed -e "s|@SOCK@|$TMP/dpf.sock|" -e "s|@DIR@|$TMP|g" -e "s|@IDLE@|$IDLE_US|" \
		    -e "s|@PREFIX@|$TAG-dpf|" "$HERE/dpf-memif.json.in" >"$TMP/$name.json"
		"$DPF" -n -c "$TMP/$name.json" >"$TMP/$name.check" 2>&1 ||
			{ fail_run "$name" "config rejected" "$TMP/$name.check"; return; }
		timeout -s INT -k 5 $((WARM + SECS + 40)) "$DPF" -c "$TMP/$name.json" \
			>"$TMP/$name.log" 2>&1 </dev/null &
	fi
	RUN_PID=$!
	# The memif listeners exist once EAL is up: testpmd's telemetry socket
	# (created after the device probe) or dpf's control socket.
	for _ in $(seq 100); do
		[ -z "$pid" ] && pid=$(pgrep -P "$RUN_PID" -x "$exe")
		if [ -n "$pid" ]; then
			if [ "$dut" = testpmd ]; then
				ls /var/run/dpdk/"$TAG-tp"/dpdk_telemetry.v2 >/dev/null 2>&1 && ok=1
			else
				"$DPFCTL" -s "$TMP/dpf.sock" ping >/dev/null 2>&1 && ok=1
			fi
		fi
		[ -n "$ok" ] && break
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		stop_run "$name"
		fail_run "$name" "$dut did not start" "$TMP/$name.log"
		return
	fi
	start_gen "$name" "$pcap"
	if ! sample gen "$pid" "$TMP/$name.res"; then
		stop_run "$name"
		fail_run "$name" "no result" "$TMP/$name.res.err" "$TMP/$name.log" \
			"$TMP/$name-gen.log"
		return
	fi
	[ "$dut" = dpf ] && "$DPFCTL" -s "$TMP/dpf.sock" show workers >"$TMP/$name.workers" 2>&1
	stop_run "$name"
	rm -f /var/run/dpdk/"$TAG-gen"/* /var/run/dpdk/"$TAG-tp"/* /var/run/dpdk/"$TAG-dpf"/* \
		2>/dev/null
}

# --- states harness -----------------------------------------------------

# states_conf NAME PCAP_BASENAME RULES LIMIT MBUFS MEMORY_MB: the pcap
# harness config with RULES "pass-all" (["pass all"]), "none" (no rule,
# options.default pass: no state is made) or a count (rules-COUNT.json).
states_conf() {
	dpf_conf "$1" "$2"
	"$PY" - "$TMP/$1.json" "$3" "$4" "$5" "$6" "$TMP" <<'PYEOF' || die "$1: cannot write config"
import json, sys
path, rules, limit, mbufs, mem, tmp = sys.argv[1:7]
with open(path) as f:
    c = json.load(f)
c["dataplane"]["mbufs"] = int(mbufs)
c["dataplane"]["eal"]["memory_mb"] = int(mem)
c["limits"] = {"states": int(limit)}
if rules == "pass-all":
    c["rules"] = ["pass all"]
elif rules == "none":
    del c["rules"]
    c["options"] = {"default": "pass"}
else:
    with open("%s/rules-%s.json" % (tmp, rules)) as f:
        c["rules"] = json.load(f)
with open(path, "w") as f:
    json.dump(c, f, indent=1)
PYEOF
}

# telemetry_alloc PREFIX: DPDK heap 0 Alloc_size of the process with PREFIX.
telemetry_alloc() {
	"$PY" - "$1" <<'PYEOF'
import os, sys
sys.path.insert(0, os.environ["BENCH_HERE"])
import benchlib
v = benchlib.heap_alloc(sys.argv[1])
if v is None:
    sys.exit("no telemetry socket for " + sys.argv[1])
print(v)
PYEOF
}

# sample_new PID OUT MODE: the states of flows-N.pcap made and remade;
# MODE est (also the established rate), new, or none (a ruleset that makes
# no state: its windows span 5 passes).
#  cold: the first pass after start (fresh memory: see docs/BENCHMARKS.md,
#        page faults dominate it);
#  est (MODE est): after BENCH_WARMUP s, the established rate over
#        BENCH_SECONDS, as in pcap mode (OUT.est, OUT.est.extra);
#  warm: BENCH_STATES_REFILLS times: `dpfctl state kill all`, then the
#        pass that makes the states again, in memory that held states.
# Samples every STATES_PERIOD s: worker 0 rx_packets/forwarded/punted
# (dpfctl -j show workers), states inserts/current (dpfctl -j show info),
# the worker thread's on-CPU ns (schedstat, read before and after the two
# calls and averaged, like the time).  A pass's window runs from the first
# sample with N/10 inserts since its start (since start, or the sample
# just before the kill) to the last with 9N/10: all of it inside the pass
# (frame N+1 is flow 1 again; after the pass, no more inserts); MODE none
# counts frames instead.  OUT: one line a
# pass, "PHASE rx ins wall run samples pass_s current heap_alloc forwarded
# punted killed".
sample_new() {
	# shellcheck disable=SC2086
	$SAMPLER_PIN "$PY" - "$1" "$2" "$3" "$DPFCTL" "$TMP/dpf.sock" "$TAG-dpf" "$NSTATES" "$STATES_PERIOD" \
		"$SECS" "$WARM" "$STATES_REFILLS" 2>"$2.err" <<'PYEOF' &
import json, os, subprocess, sys, time
sys.path.insert(0, os.environ["BENCH_HERE"])
import benchlib
pid, out, mode, dpfctl, dsock, prefix, n, period, secs, warm, refills = sys.argv[1:12]
n, period, secs, warm, refills = int(n), float(period), float(secs), float(warm), int(refills)
span = 5 if mode == "none" else 1

def ctl(*cmd):
    r = subprocess.run([dpfctl, "-s", dsock, "-j"] + list(cmd), capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        raise RuntimeError("dpfctl %s: rc %d %s" % (cmd, r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)

def worker0():
    for w in ctl("show", "workers"):
        if w["worker"] == "0":
            return w
    raise RuntimeError("no worker 0")

def worker_tid():
    return benchlib.worker_tid(pid)

def sched(tid):
    return benchlib.schedstat(pid, tid)

steal_ticks = benchlib.steal_ticks

def heap_alloc():
    v = benchlib.heap_alloc(prefix)
    return 0 if v is None else v

def snap(tid):
    r0 = sched(tid)[0]
    t0 = time.monotonic()
    w = worker0()
    st = ctl("show", "info")["states"]
    t1 = time.monotonic()
    r1 = sched(tid)[0]
    return ((t0 + t1) / 2, (r0 + r1) / 2e9, int(w["rx_packets"]), int(st["inserts"]),
            int(st["current"]), int(w["forwarded"]), int(w["punted"]))

def one_pass(tid, phase, killed, base):
    """One pass in which every frame is a new flow; BASE: a snap before it.

    Progress is counted in inserts (MODE none: frames) since BASE, so a
    late first sample cannot move the window out of the pass.  MODE none
    makes no state and every pass is alike: its window spans SPAN passes
    (a state-less pass is too short to sample).
    """
    sp = span if phase == "warm" else 1
    prog = (lambda s: s[2] - base[2]) if mode == "none" else (lambda s: s[3] - base[3])
    samples = [snap(tid)]
    deadline = time.monotonic() + 120
    while True:
        s = samples[-1]
        if mode == "none" and prog(s) >= n * sp:
            break
        if mode != "none" and (prog(s) >= n - n // 20 or s[2] - base[2] >= 2 * n):
            break
        if time.monotonic() > deadline:
            sys.exit("sample_new: %s pass not done within 120 s (%d of %d)" % (phase, prog(s), n))
        time.sleep(period)
        samples.append(snap(tid))
    win = [s for s in samples if n // 10 <= prog(s) <= n * sp - n // 10]
    if len(win) < 2 and phase == "cold":
        # A busy machine can answer the first dpfctl late: no cold figure.
        print("sample_new: cold pass: %d samples in the window, skipped" % len(win),
              file=sys.stderr)
        return
    if len(win) < 2:
        sys.exit("sample_new: %s pass: %d samples in the 10%%..90%% window (pass too short "
                 "for BENCH_STATES_PERIOD %s; raise BENCH_STATES_N)" % (phase, len(win), period))
    a, b, z = win[0], win[-1], samples[-1]
    with open(out, "a") as f:
        f.write("%s %d %d %.6f %.6f %d %.3f %d %d %d %d %d\n" % (
            phase, b[2] - a[2], b[3] - a[3], b[0] - a[0], b[1] - a[1], len(win),
            z[0] - samples[0][0], z[4], heap_alloc(), b[5] - a[5], b[6] - a[6], killed))

# Start-up (EAL prefaults memory_mb, net_pcap loads N frames) takes seconds.
deadline = time.monotonic() + 90
err = "no answer"
while True:
    try:
        tid = worker_tid()
        w = worker0()
        break
    except Exception as e:
        err = e
    if time.monotonic() > deadline:
        sys.exit("sample_new: dpf not answering within 90 s (%s)" % err)
    time.sleep(0.02)
open(out, "w").close()
one_pass(tid, "cold", 0, (0, 0, 0, 0, 0, 0, 0))
time.sleep(warm)
if mode == "est":
    def est_snap():
        t0 = time.monotonic()
        w = worker0()
        t1 = time.monotonic()
        r, q = sched(tid)
        st = ctl("show", "info")["states"]
        return (int(w["forwarded"]), (t0 + t1) / 2, r, q, steal_ticks(), int(st["inserts"]),
                int(st["current"]))
    x = est_snap()
    time.sleep(secs)
    y = est_snap()
    hz = os.sysconf("SC_CLK_TCK")
    with open(out + ".est", "w") as f:
        f.write("%d %.6f %.6f %.6f %.6f\n" % (y[0] - x[0], y[1] - x[1], (y[2] - x[2]) / 1e9,
                                             (y[4] - x[4]) / hz, (y[3] - x[3]) / 1e9))
    with open(out + ".est.extra", "w") as f:
        f.write("inserts=%d states=%d\n" % (y[5] - x[5], y[6]))
for k in range(refills):
    before = snap(tid)
    killed = int(ctl("state", "kill", "all")["killed"])
    one_pass(tid, "warm", killed, before)
PYEOF
	sampler_wait $! "$2.err"
}

# run_new NAME RULES MODE: dpf on flows-N.pcap with RULES, sample_new MODE
# into $TMP/NAME.new.
run_new() {
	local name=$1 rules=$2 mode=$3
	states_conf "$name" "flows-$NSTATES.pcap" "$rules" "$ST_LIMIT" "$ST_MBUFS" "$ST_DPF_MB"
	start_dpf "$name" 90 || return
	sample_new "$DPF_PID" "$TMP/$name.new" "$mode" || {
		stop_run "$name"
		fail_run "$name" "no result" "$TMP/$name.new.err" "$TMP/$name.log"
		return
	}
	stop_run "$name"
}

# record_new RULES ROUND NAME: each line of NAME.new as "RULES ROUND PHASE
# rx ins wall run samples pass_s current heap_alloc forwarded punted
# killed" in $NEWRES.
record_new() {
	[ -s "$TMP/$3.new" ] || return 0
	csv_new "$@"
	awk -v s="$1" -v r="$2" '{ print s, r, $0 }' "$TMP/$3.new" >>"$NEWRES"
	awk -v tsc="$TSC_MHZ" -v s="$1" -v r="$2" '{
		printf "  new   %-8s round %s %-4s: %5.3f M new states/s, %6.0f cycles/new state, %5.3f Mpps, %6.0f cycles/pkt, CPU share %3.0f%%; window %d samples (rx %d, new %d, fwd %d, punted %d), pass %.2fs, states %d, killed before %d, heap %.0f MB\n",
			s, r, $1, $3 / $4 / 1e6, $3 ? tsc * 1e6 * $5 / $3 : 0, $2 / $4 / 1e6, tsc * 1e6 * $5 / $2, 100 * $5 / $4, $6, $2, $3, $10, $11, $7, $8, $12, $9 / 1048576 }' \
		"$TMP/$3.new"
}

# heap_at_limit NAME LIMIT: heap Alloc_size of dpf (fwd-64.pcap, 32768
# mbufs) started with limits.states LIMIT, into $TMP/NAME.heap.
heap_at_limit() {
	local name=$1 ok=
	states_conf "$name" fwd-64.pcap pass-all "$2" 32768 $((600 + 128 + $2 * 350 / 1048576))
	start_dpf "$name" || return
	for _ in $(seq 300); do
		"$DPFCTL" -s "$TMP/dpf.sock" ping >/dev/null 2>&1 && { ok=1; break; }
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		stop_run "$name"
		fail_run "$name" "dpf did not answer" "$TMP/$name.log"
		return
	fi
	if ! telemetry_alloc "$TAG-dpf" >"$TMP/$name.heap" 2>"$TMP/$name.heap.err"; then
		stop_run "$name"
		rm -f "$TMP/$name.heap"
		fail_run "$name" "no heap figure" "$TMP/$name.heap.err"
		return
	fi
	stop_run "$name"
}

# One round of the states harness.
states_round() {
	local r=$1 n
	run_testpmd "tp-1k-$r" "$TMP/fwd-64.pcap" && record 1k-flows testpmd "$r" "tp-1k-$r"
	run_dpf "dpf-1k-$r" fwd-64.pcap && record 1k-flows dpf "$r" "dpf-1k-$r"
	run_testpmd "tp-N-$r" "$TMP/flows-$NSTATES.pcap" "$ST_TP_MB" "$ST_MBUFS" &&
		record "$NLABEL" testpmd "$r" "tp-N-$r"
	# A failed sampler may still have measured some passes: they count.
	run_new "dpf-N-$r" pass-all est
	if [ -s "$TMP/dpf-N-$r.new.est" ]; then
		cp "$TMP/dpf-N-$r.new.est" "$TMP/dpf-N-$r.res"
		record "$NLABEL" dpf "$r" "dpf-N-$r"
		echo "    dpf in the interval: $(cat "$TMP/dpf-N-$r.new.est.extra")"
	fi
	record_new pass-all "$r" "dpf-N-$r"
	# No warm pass (BENCH_STATES_REFILLS 0, for an N whose pass is too
	# short to sample): the no-state baseline would measure nothing.
	if [ "$STATES_REFILLS" -gt 0 ]; then
		run_new "dpf-none-$r" none none
		record_new none "$r" "dpf-none-$r"
	fi
	for n in $STATES_RULES; do
		run_new "dpf-r$n-$r" "$n" new
		record_new "$n" "$r" "dpf-r$n-$r"
	done
}


# The states harness's new-state table: per ruleset, median (min-max) over
# every warm pass of every round; "extra" = a pass's cycles per new state
# minus the median cycles per packet of the no-state run's warm passes in
# the same round (what the state insert and the classification add to the
# harness, forwarding and state lookup); cold = the first pass after start.
states_table() {
	echo
	echo "| ruleset (remaking $NLABEL states) | passes | M new states/s | cycles per new state | extra over no state | Mpps | cold first pass: cycles per new state | min CPU share | heap MB |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -v tsc="$TSC_MHZ" "$AWK_STATS"'
	{
		if (!($1 in seen)) { seen[$1] = 1; order[ns++] = $1 }
		cpp = tsc * 1e6 * $7 / $4; cps = $5 ? tsc * 1e6 * $7 / $5 : 0
		if ($3 == "cold") { cold[$1, ++nc[$1]] = $5 ? cps : cpp; next }
		k = ++nw[$1]
		rd[$1, k] = $2; rate[$1, k] = $5 / $6 / 1e6; pps[$1, k] = $4 / $6 / 1e6
		cyc[$1, k] = $5 ? cps : cpp; share[$1, k] = $7 / $6; heap[$1, k] = $11 / 1048576
		if ($1 == "none") { nn[$2]++; nonec[$2, nn[$2]] = cpp }
	}
	END {
		for (r in nn) { delete t; for (i = 1; i <= nn[r]; i++) t[i] = nonec[r, i]; nonemed[r] = med(t, nn[r]) }
		for (i = 0; i < ns; i++) {
			s = order[i]; n = nw[s]; m = 0
			delete a; delete c; delete p; delete sh; delete h; delete x; delete cc
			for (k = 1; k <= n; k++) {
				a[k] = rate[s, k]; c[k] = cyc[s, k]; p[k] = pps[s, k]; sh[k] = share[s, k]; h[k] = heap[s, k]
				if (s != "none" && (rd[s, k] in nonemed)) x[++m] = cyc[s, k] - nonemed[rd[s, k]]
			}
			for (k = 1; k <= nc[s]; k++) cc[k] = cold[s, k]
			if (s == "none")
				printf "| no state (no rule, default pass): cycles per packet | %d | - | %s | - | %s | %s | %.0f%% | %s |\n",
					n, rng(c, n, "%.0f"), rng(p, n, "%.2f"), rng(cc, nc[s], "%.0f"), 100 * lo(sh, n), rng(h, n, "%.0f")
			else
				printf "| %s | %d | %s | %s | %s | %s | %s | %.0f%% | %s |\n",
					s == "pass-all" ? "pass all (1 rule)" : s " rules, the last matches", n,
					rng(a, n, "%.3f"), rng(c, n, "%.0f"), rng(x, m, "%.0f"),
					rng(p, n, "%.2f"), rng(cc, nc[s], "%.0f"), 100 * lo(sh, n), rng(h, n, "%.0f")
		}
	}' "$NEWRES"
	echo
	echo "Warm passes: after \`dpfctl state kill all\`, every frame of the next pass is a new flow"
	echo "again; window = the samples between N/10 and 9N/10 inserts of the pass; cycles per new"
	echo "state = TSC x worker CPU time / inserts in the window.  Cold: the first pass after start,"
	echo "on table memory never written (4 KiB pages faulted in by the worker)."
	echo "heap = DPDK heap in use (pool, tables, classifier).  Bytes per unit of limits.states"
	echo "(the state tables of both families: records and index, docs/config.md limits.states): $(awk -v a="$HEAP_SMALL" \
		-v b="$HEAP_BIG" -v l="$ST_LIMIT" 'BEGIN { if (a == "" || b == "") print "n/a (a heap run failed)";
		else printf "%.1f", (b - a) / (l - 1000) }')" \
		"(heap Alloc_size at limits.states $ST_LIMIT minus at 1000)."
}

# mix_pcap MIX ROUND: the pcap of frame mix MIX (SIZEB or IMIX); fails for
# an IMIX round past IMIX_ROUNDS (IMIX gets fewer rounds to stay within the
# time bound).
mix_pcap() {
	case "$1" in
	IMIX) [ "$2" -le "$IMIX_ROUNDS" ] && echo fwd-imix.pcap ;;
	*) echo "fwd-${1%B}.pcap" ;;
	esac
}

# csv_res HARNESS TEST DUT FRAME FLOWS RULES ROUND RESFILE: one BENCH_CSV
# row from a result file ("pkts wall_s run_s ..."): Mpps, cycles/pkt.
csv_res() {
	[ -n "$CSV" ] || return 0
	local v
	v=$(awk -v tsc="$TSC_MHZ" '{ if ($1 > 0 && $2 > 0) printf "%.4f %.1f", $1 / $2 / 1e6, tsc * 1e6 * $3 / $1; else print "0 -" }' "$8")
	# shellcheck disable=SC2086
	set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" $v
	[ "$9" = - ] && set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" ""
	bench_csv "$CSV" "$@" "" || echo "bench: cannot write $CSV" >&2
}

# csv_record SCENARIO DUT ROUND NAME: the row of record()'s result.
csv_record() {
	local h=pcap s=$1 frame flows=1024 rules=0 test=established
	case "$s" in *-2M) s=${s%-2M}; test=established-huge ;; esac
	case "$s" in memif-*) h=memif; s=${s#memif-} ;; esac
	case "$s" in
	IMIX) frame=imix ;;
	1k-flows) frame=64 ;;
	"$NLABEL") frame=64; flows=$NSTATES ;;
	*) frame=${s%B} ;;
	esac
	[ "$2" = dpf ] && rules=1
	csv_res "$h" "$test" "$2" "$frame" "$flows" "$rules" "$3" "$TMP/$4.res"
}

# csv_new RULES ROUND NAME: one BENCH_CSV row per pass of NAME.new (see
# record_new): new (states/s, cycles per state) or, ruleset none,
# nostate (Mpps, cycles/pkt); -cold for the first pass.
csv_new() {
	[ -n "$CSV" ] && [ -s "$TMP/$3.new" ] || return 0
	local rules=$1 phase rx ins wall run rest test v
	[ "$rules" = pass-all ] && rules=1
	[ "$rules" = none ] && rules=0
	while read -r phase rx ins wall run rest; do
		test=new
		[ "$1" = none ] && test=nostate
		[ "$phase" = cold ] && test=$test-cold
		if [ "$1" = none ]; then
			v=$(awk -v t="$TSC_MHZ" -v n="$rx" -v w="$wall" -v c="$run" \
				'BEGIN { if (n > 0 && w > 0) printf "%.4f %.1f", n / w / 1e6, t * 1e6 * c / n; else print "0 -" }')
		else
			v=$(awk -v t="$TSC_MHZ" -v n="$ins" -v w="$wall" -v c="$run" \
				'BEGIN { if (n > 0 && w > 0) printf "%.4f %.1f", n / w / 1e6, t * 1e6 * c / n; else print "0 -" }')
		fi
		set -- "$1" "$2" "$3" ${v% *} "${v#* }"
		[ "$5" = - ] && set -- "$1" "$2" "$3" "$4" ""
		bench_csv "$CSV" pcap "$test" dpf 64 "$NSTATES" "$rules" "$2" "$4" "$5" "" ||
			echo "bench: cannot write $CSV" >&2
	done <"$TMP/$3.new"
}

# One result line: scenario dut round pkts wall run steal wait
RESULTS=$TMP/results
: >"$RESULTS"
NEWRES=$TMP/newres
: >"$NEWRES"
if [ $((NSTATES % 1000000)) = 0 ]; then NLABEL=$((NSTATES / 1000000))M-flows
elif [ $((NSTATES % 1000)) = 0 ]; then NLABEL=$((NSTATES / 1000))k-flows
else NLABEL=$NSTATES-flows; fi
record() {
	echo "$1 $2 $3 $(cat "$TMP/$4.res")" >>"$RESULTS"
	csv_record "$@"
	awk -v tsc="$TSC_MHZ" -v s="$1" -v d="$2" -v r="$3" '{
		printf "  %-5s %-8s round %s: %6.2f Mpps, CPU share %3.0f%%, %6.1f cycles/pkt (CPU time), CPU1 steal %.2fs, run-queue wait %.2fs\n",
			s, d, r, $1 / $2 / 1e6, 100 * $3 / $2, tsc * 1e6 * $3 / $1, $4, $5 }' \
		"$TMP/$4.res"
}

echo "dpf bench: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs," \
	"TSC $TSC_MHZ MHz ($TSC_SRC), kernel $(uname -r)"
echo "  DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), $TESTPMD, dpf $BUILD;" \
	"${SECS}s measured after ${WARM}s warm-up, $ROUNDS round(s)"
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
SCEN=
for f in $FRAMES; do SCEN="$SCEN${SCEN:+ }${f}B"; done
[ "$IMIX" = 1 ] && SCEN="$SCEN IMIX"
ROUNDS_PCAP=0
case "$HARNESS" in pcap|all) ROUNDS_PCAP=$ROUNDS ;; esac
for r in $(seq "$ROUNDS_PCAP"); do
	for m in $MEM_MODES; do
		sfx=
		EAL_MEM=--no-huge
		if [ "$m" = huge ]; then
			huge_setup
			sfx=-2M
			EAL_MEM="--huge-dir=$HUGE_MNT --huge-unlink"
		fi
		for s in $SCEN; do
			f=$(mix_pcap "$s" "$r") || continue
			n=$s$sfx
			run_testpmd "tp-$n-$r" "$TMP/$f" && record "$n" testpmd "$r" "tp-$n-$r"
			run_dpf "dpf-$n-$r" "$f" || continue
			record "$n" dpf "$r" "dpf-$n-$r"
			# Around the interval: worker 0 rx/punts/handoffs and every
			# drop reason (expected: only the control queue's sink,
			# l2-not-for-us).
			echo "    dpf in the interval: $(cat "$TMP/dpf-$n-$r.res.extra")"
		done
	done
done
EAL_MEM=--no-huge
if [ "$HARNESS" = memif ] || [ "$HARNESS" = all ]; then
	q1_off "$TMP/q1off2.cmd" 2
	q1_off "$TMP/q1off4.cmd" 4
	echo "  memif: generator testpmd io-fwd on CPU 0 (pcap -> memif lan; memif wan -> drop)," \
		"DUT forwarding core on CPU 1, dpf idle_sleep_us $IDLE_US"
fi
ROUNDS_MEMIF=0
case "$HARNESS" in memif|all) ROUNDS_MEMIF=$ROUNDS ;; esac
for r in $(seq "$ROUNDS_MEMIF"); do
	for s in $SCEN; do
		f=$(mix_pcap "$s" "$r") || continue
		for d in testpmd dpf; do
			run_memif "m$d-$s-$r" "$d" "$TMP/$f" || continue
			record "memif-$s" "$d" "$r" "m$d-$s-$r"
			# offered = generator pcap Rx, accepted = into the DUT's lan
			# ring; the rest was refused by a full ring (DUT the bottleneck).
			echo "    generator in the interval: $(cat "$TMP/m$d-$s-$r.res.extra")"
			[ "$d" = dpf ] && awk '$1 == "0" { print "    dpf worker 0 since start: busy polls " $NF }' \
				"$TMP/m$d-$s-$r.workers"
		done
	done
done
if [ "$HARNESS" = states ]; then
	echo "  states: N=$NSTATES flows, limits.states $ST_LIMIT, dpf memory_mb $ST_DPF_MB" \
		"and $ST_MBUFS mbufs, testpmd -m $ST_TP_MB; rulesets pass-all, none, $STATES_RULES;" \
		"first-pass samples every ${STATES_PERIOD}s"
	for r in $(seq "$ROUNDS"); do
		states_round "$r"
	done
	heap_at_limit heap-small 1000
	heap_at_limit heap-big "$ST_LIMIT"
	HEAP_SMALL=$(cat "$TMP/heap-small.heap" 2>/dev/null)
	HEAP_BIG=$(cat "$TMP/heap-big.heap" 2>/dev/null)
	echo "  heap Alloc_size: limits.states 1000: $HEAP_SMALL B, limits.states $ST_LIMIT: $HEAP_BIG B"
fi
echo "  load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"

# Summary per frame mix: medians over the rounds (the machine is shared and
# noisy; a median of back-to-back pairs is what holds), with the range.
# The ratio is the median of the per-round dpf/testpmd ratios.  Then the
# failed runs with their reasons, and how long each process took to stop.
summary() {
	echo
	echo "| $([ "$HARNESS" = states ] && echo "flows (64 B)" || echo frames) | rounds | testpmd io-fwd Mpps | dpf Mpps | dpf/testpmd | testpmd cycles/pkt | dpf cycles/pkt | min CPU share (testpmd, dpf) |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -v tsc="$TSC_MHZ" "$AWK_STATS"'
	{
		if (!($1 in seen)) { seen[$1] = 1; order[ns++] = $1 }
		k = $1 SUBSEP $2 SUBSEP $3
		mpps[k] = $4 / $5 / 1e6; cyc[k] = tsc * 1e6 * $6 / $4; share[k] = $6 / $5
		if ($3 > nr[$1]) nr[$1] = $3
	}
	END {
		for (i = 0; i < ns; i++) {
			s = order[i]; n = 0
			for (r = 1; r <= nr[s]; r++) {
				t = s SUBSEP "testpmd" SUBSEP r; d = s SUBSEP "dpf" SUBSEP r
				if (!(t in mpps) || !(d in mpps)) continue
				n++; tm[n] = mpps[t]; dm[n] = mpps[d]; ra[n] = mpps[d] / mpps[t]
				tc[n] = cyc[t]; dc[n] = cyc[d]; ts[n] = share[t]; dsh[n] = share[d]
			}
			if (n == 0) {
				printf "| %s | 0 (no round with both results) | - | - | - | - | - | - |\n", s
				continue
			}
			printf "| %s | %d | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.0f%%, %.0f%% |\n",
				s, n, med(tm, n), lo(tm, n), hi(tm, n), med(dm, n), lo(dm, n), hi(dm, n),
				med(ra, n), lo(ra, n), hi(ra, n), med(tc, n), lo(tc, n), hi(tc, n),
				med(dc, n), lo(dc, n), hi(dc, n), 100 * lo(ts, n), 100 * lo(dsh, n)
		}
	}' "$RESULTS"
	echo
	echo "Median (min-max) over rounds.  cycles/pkt = TSC ($TSC_MHZ MHz) x the forwarding"
	echo "thread's CPU time in the interval / packets (= TSC / Mpps when the share is 100%)."
	[ "$HARNESS" = states ] && states_table
	if [ -s "$STOPS" ]; then
		echo
		awk '{ if ($2 > m) { m = $2; w = $1 } t += $2; n++ }
		END { printf "Stop times (SIGINT to exit): %d processes, mean %.0f ms, longest %d ms (%s).\n", n, t / n, m, w }' \
			"$STOPS"
	fi
	if [ -s "$FAILED" ]; then
		echo
		echo "Failed runs ($(wc -l <"$FAILED")): not in the figures above."
		sed 's/^/- /' "$FAILED"
	fi
}

# summary_once: the tables, once (the end, or the watchdog's TERM).
SUMMARY_DONE=
summary_once() {
	[ -n "$SUMMARY_DONE" ] && return
	SUMMARY_DONE=1
	summary | tee "$TMP/table"
	[ -n "${BENCH_OUT:-}" ] && cp "$TMP/table" "$BENCH_OUT"
}
summary_once
[ -s "$FAILED" ] && exit 1
exit 0
