#!/usr/bin/env bash
# make bench: dpf forwarding throughput beside dpdk-testpmd io forwarding,
# on the same harness, in the same invocation, interleaved.
#
#   tools/bench/run.sh [BUILD_DIR [pcap|memif|all]]   (default: build pcap; root)
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
# Environment: BENCH_SECONDS (4), BENCH_WARMUP (2), BENCH_ROUNDS (5, each a
# testpmd run then a dpf run), BENCH_IMIX (1: also the IMIX file),
# BENCH_IMIX_ROUNDS (2), BENCH_OUT (a file to copy the results table to).
# Bounded: about 110 s (pcap) or 200 s (memif); a watchdog ends everything
# after BENCH_LIMIT s (170, memif 300, all 470).
set -u
BUILD=${1:-build}
HARNESS=${2:-pcap}
case "$HARNESS" in
pcap) NH=170 ;;
memif) NH=300 ;;
all) NH=470 ;;
*) echo "usage: $0 [BUILD_DIR [pcap|memif|all]]" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3
SECS=${BENCH_SECONDS:-4}
WARM=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-5}
IMIX=${BENCH_IMIX:-1}
IMIX_ROUNDS=${BENCH_IMIX_ROUNDS:-2}
LIMIT=${BENCH_LIMIT:-$NH}
IDLE_US=${BENCH_IDLE_US:-10}
TAG=dpfbench$$
TMP=
WATCHDOG=
RUN_PID=		# the timeout(1) wrapper of the process under test
GEN_PID=		# the timeout(1) wrapper of the memif generator
SAMPLER=		# the measuring python process

die() { echo "bench: $*" >&2; exit 1; }

# stop_pid PID: SIGINT, 5 s grace, SIGKILL.
stop_pid() {
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_run() {
	[ -n "$GEN_PID" ] && stop_pid "$GEN_PID"
	GEN_PID=
	[ -n "$RUN_PID" ] && stop_pid "$RUN_PID"
	RUN_PID=
}

cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	stop_run
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null && wait "$WATCHDOG" 2>/dev/null
	WATCHDOG=
	for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk"; do
		rm -rf "$d/$TAG-dpf" "$d/$TAG-tp" "$d/$TAG-gen" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	TMP=
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (DPDK EAL)"
[ -x "$DPF" ] && [ -x "$DPFCTL" ] || die "no $DPF or $DPFCTL (build first)"
command -v "$TESTPMD" >/dev/null || die "no $TESTPMD (apt-get install dpdk)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
TMP=$(mktemp -d /tmp/dpf-bench.XXXXXX)
# The watchdog waits with the wait builtin, so cleanup's TERM ends it at once.
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$LIMIT" &
	sp=$!
	wait "$sp" && { echo "bench: time limit ${LIMIT}s reached" >&2; kill -TERM $$; }
) &
WATCHDOG=$!

# TSC: the kernel's calibration if dmesg is readable, else /proc/cpuinfo.
TSC_MHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -1)
TSC_SRC="dmesg 'tsc: Detected'"
if [ -z "$TSC_MHZ" ]; then
	TSC_MHZ=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	TSC_SRC="/proc/cpuinfo 'cpu MHz'"
fi

"$PY" "$HERE/gen_pcap.py" "$TMP" >/dev/null || die "gen_pcap.py failed"

# sample KIND PID OUTFILE: waits for traffic, then one measured interval.
# KIND dpf: counter = worker 0 "forwarded" (dpfctl); KIND tp: port 1
# opackets (telemetry socket).  Writes "pkts wall_s run_s steal_s wait_s".
sample() {
	# In the background with wait, so that TERM/INT are handled at once.
	"$PY" - "$1" "$2" "$3" "$DPFCTL" "$TMP/dpf.sock" "$TAG" "$SECS" "$WARM" <<'PYEOF' &
import json, os, socket, subprocess, sys, time
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
        for d in ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/x"), "dpdk")):
            p = os.path.join(d, tprefix, "dpdk_telemetry.v2")
            if os.path.exists(p):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                s.connect(p)
                s.recv(4096)
                tsock = s
                break
        else:
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
    for t in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/comm" % (pid, t)) as f:
            if f.read().strip() in ("rte-worker-1", "lcore-worker-1"):
                return t
    raise RuntimeError("no forwarding thread")

def run_ns(tid):
    with open("/proc/%s/task/%s/schedstat" % (pid, tid)) as f:
        v = f.read().split()
    return int(v[0]), int(v[1])        # on-CPU ns, runqueue-wait ns

def steal_ticks():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu1 "):
                return int(line.split()[8])
    return 0

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
	SAMPLER=$!
	local rc=0
	wait "$SAMPLER" || rc=$?
	SAMPLER=
	return $rc
}

# run_testpmd NAME PCAP
run_testpmd() {
	local name=$1 pcap=$2
	timeout -s INT -k 5 $((WARM + SECS + 40)) "$TESTPMD" --lcores 0@0,1@1 --no-huge -m 1024 \
		--no-shconf --file-prefix "$TAG-tp" --log-level=lib.eal:error \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_pcap1,rx_pcap=$TMP/empty.pcap" \
		-- --forward-mode=io --no-flush-rx --nb-cores=1 --total-num-mbufs=32768 \
		--stats-period 1 >"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	local pid=
	for _ in $(seq 50); do
		pid=$(pgrep -P "$RUN_PID" -x "$(basename "$TESTPMD")") && break
		sleep 0.1
	done
	[ -n "$pid" ] || { tail -5 "$TMP/$name.log"; die "testpmd did not start"; }
	sample tp "$pid" "$TMP/$name.res" || { tail -20 "$TMP/$name.log"; die "$name: no result"; }
	stop_run
}

# run_dpf NAME PCAP_BASENAME
run_dpf() {
	local name=$1 fwd=$2 pid=
	sed -e "s|@SOCK@|$TMP/dpf.sock|" -e "s|@DIR@|$TMP|g" -e "s|@FWD@|$fwd|" \
	    -e "s|@PREFIX@|$TAG-dpf|" "$HERE/dpf-pcap.json.in" >"$TMP/$name.json"
	"$DPF" -n -c "$TMP/$name.json" >/dev/null || die "$name: config rejected"
	rm -f "$TMP/dpf.sock"
	timeout -s INT -k 5 $((WARM + SECS + 40)) "$DPF" -c "$TMP/$name.json" \
		>"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	for _ in $(seq 50); do
		pid=$(pgrep -P "$RUN_PID" -x dpf) && break
		sleep 0.1
	done
	[ -n "$pid" ] || { tail -5 "$TMP/$name.log"; die "dpf did not start"; }
	sample dpf "$pid" "$TMP/$name.res" || { tail -20 "$TMP/$name.log"; die "$name: no result"; }
	stop_run
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
		"$DPF" -n -c "$TMP/$name.json" >/dev/null || die "$name: config rejected"
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
	[ -n "$ok" ] || { tail -5 "$TMP/$name.log"; die "$name: $dut did not start"; }
	start_gen "$name" "$pcap"
	sample gen "$pid" "$TMP/$name.res" ||
		{ tail -n 20 "$TMP/$name.log" "$TMP/$name-gen.log"; die "$name: no result"; }
	[ "$dut" = dpf ] && "$DPFCTL" -s "$TMP/dpf.sock" show workers >"$TMP/$name.workers" 2>&1
	stop_run
	rm -f /var/run/dpdk/"$TAG-gen"/* /var/run/dpdk/"$TAG-tp"/* /var/run/dpdk/"$TAG-dpf"/* \
		2>/dev/null
}

# One result line: scenario dut round pkts wall run steal wait
RESULTS=$TMP/results
: >"$RESULTS"
record() {
	echo "$1 $2 $3 $(cat "$TMP/$4.res")" >>"$RESULTS"
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
SCEN="64B"
[ "$IMIX" = 1 ] && SCEN="64B IMIX"
[ "$HARNESS" = memif ] && ROUNDS_PCAP=0 || ROUNDS_PCAP=$ROUNDS
for r in $(seq "$ROUNDS_PCAP"); do
	for s in $SCEN; do
		f=fwd-64.pcap
		[ "$s" = IMIX ] && f=fwd-imix.pcap
		# IMIX gets IMIX_ROUNDS rounds to stay within the time bound.
		[ "$s" = IMIX ] && [ "$r" -gt "$IMIX_ROUNDS" ] && continue
		run_testpmd "tp-$s-$r" "$TMP/$f"
		record "$s" testpmd "$r" "tp-$s-$r"
		run_dpf "dpf-$s-$r" "$f"
		record "$s" dpf "$r" "dpf-$s-$r"
		# Around the interval: worker 0 rx/punts/handoffs and every drop
		# reason (expected: only the control queue's sink, l2-not-for-us).
		echo "    dpf in the interval: $(cat "$TMP/dpf-$s-$r.res.extra")"
	done
done
if [ "$HARNESS" != pcap ]; then
	q1_off "$TMP/q1off2.cmd" 2
	q1_off "$TMP/q1off4.cmd" 4
	echo "  memif: generator testpmd io-fwd on CPU 0 (pcap -> memif lan; memif wan -> drop)," \
		"DUT forwarding core on CPU 1, dpf idle_sleep_us $IDLE_US"
fi
for r in $(seq "$([ "$HARNESS" = pcap ] && echo 0 || echo "$ROUNDS")"); do
	for s in $SCEN; do
		f=fwd-64.pcap
		[ "$s" = IMIX ] && f=fwd-imix.pcap
		[ "$s" = IMIX ] && [ "$r" -gt "$IMIX_ROUNDS" ] && continue
		for d in testpmd dpf; do
			run_memif "m$d-$s-$r" "$d" "$TMP/$f"
			record "memif-$s" "$d" "$r" "m$d-$s-$r"
			# offered = generator pcap Rx, accepted = into the DUT's lan
			# ring; the rest was refused by a full ring (DUT the bottleneck).
			echo "    generator in the interval: $(cat "$TMP/m$d-$s-$r.res.extra")"
			[ "$d" = dpf ] && awk '$1 == "0" { print "    dpf worker 0 since start: busy polls " $NF }' \
				"$TMP/m$d-$s-$r.workers"
		done
	done
done
echo "  load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"

# Summary per frame mix: medians over the rounds (the machine is shared and
# noisy; a median of back-to-back pairs is what holds), with the range.
# The ratio is the median of the per-round dpf/testpmd ratios.
{
	echo
	echo "| frames | rounds | testpmd io-fwd Mpps | dpf Mpps | dpf/testpmd | testpmd cycles/pkt | dpf cycles/pkt | min CPU share (testpmd, dpf) |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -v tsc="$TSC_MHZ" '
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
	function hi(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
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
			printf "| %s | %d | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.0f%%, %.0f%% |\n",
				s, n, med(tm, n), lo(tm, n), hi(tm, n), med(dm, n), lo(dm, n), hi(dm, n),
				med(ra, n), lo(ra, n), hi(ra, n), med(tc, n), lo(tc, n), hi(tc, n),
				med(dc, n), lo(dc, n), hi(dc, n), 100 * lo(ts, n), 100 * lo(dsh, n)
		}
	}' "$RESULTS"
	echo
	echo "Median (min-max) over rounds.  cycles/pkt = TSC ($TSC_MHZ MHz) x the forwarding"
	echo "thread's CPU time in the interval / packets (= TSC / Mpps when the share is 100%)."
} | tee "$TMP/table"
[ -n "${BENCH_OUT:-}" ] && cp "$TMP/table" "$BENCH_OUT"
exit 0
