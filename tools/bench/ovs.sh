#!/usr/bin/env bash
# Peers side by side (issue 16): dpdk-testpmd io forwarding (the floor),
# dpf, Open vSwitch-DPDK plain forwarding and Open vSwitch-DPDK with a
# conntrack firewall, on one harness, in one invocation, interleaved.
#
#   tools/bench/ovs.sh [BUILD_DIR]        (root; `tools/bench/run.sh BUILD peers`)
#
# Harness: run.sh's net_pcap harness (docs/BENCHMARKS.md "Method"), the
# same for every device under test:
#   port 0 = net_pcap0 replaying a pcap with infinite_rx=1 (the Rx copy is
#   the generator, on the forwarding core); port 1 = net_pcap1 whose Rx reads
#   an empty file and whose Tx frees the packets.  Forwarding thread on CPU
#   1, main/control thread on CPU 0.  Traffic: 64 B IPv4 UDP, one way,
#   port 0 -> port 1.  Flow counts (BENCH_PEERS_FLOWS): 1k = gen_pcap.py's
#   fwd-64.pcap (1024 flows, 4096 frames); 100k = flows-100000.pcap (one
#   frame per flow, --many 100000).
# Devices under test (BENCH_PEERS_DUTS, in this order each round):
#   testpmd  dpdk-testpmd --forward-mode=io, as run.sh runs it;
#   dpf      tools/bench/dpf-pcap.json.in ("pass all": one state per flow,
#            routed, L2 rewritten); 100k: limits.states 2N (adaptive
#            timeouts start at 60% of the limit: none here) and N + 32768
#            mbufs;
#   ovs      ovs-vswitchd-dpdk (Debian openvswitch-switch-dpdk), bridge
#            br0 datapath_type=netdev, fail_mode secure, ports p0/p1 type
#            dpdk on the two vdevs (ofport 1, 2), flows
#            in_port=1,actions=output:2 and in_port=2,actions=output:1;
#   ovs-l3   the same bridge doing the stateless part of dpf's work: IPv4
#            from port 1 to 198.19.0.0/16 gets dec_ttl (TTL, checksum) and
#            both MACs rewritten, then output:2 (not in the default set;
#            BENCH_PEERS_DUTS="... ovs-l3");
#   ovs-ct   the same bridge, a stateful firewall: untracked IP goes
#            through ct(table=1); in table 1 a new connection from port 1
#            is committed (ct(commit)) and sent to port 2, established
#            ones (ct_state=+trk+est) pass both ways, the rest is dropped.
#   OVS runs in private directories under the run's temp dir (its own
#   ovsdb-server and conf.db, OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR; no system
#   service is used or touched): other_config:dpdk-init=true,
#   dpdk-lcore-mask=0x1, pmd-cpu-mask=0x2 (one PMD thread on CPU 1), and
#   dpdk-extra with the harness's vdevs, --file-prefix, --no-pci and
#   with --no-huge --legacy-mem (OVS adds --in-memory unless it is given,
#   which EAL refuses with --no-huge; on hugepages OVS keeps its default).  OVS sizes its shared mbuf pool itself: it
#   tries 262144 mbufs and halves until the pool fits -m, so -m
#   (OVS_MB_1K, OVS_MB_N) decides it: 32768 mbufs at 1k flows, 131072 at
#   100k (every frame of the file is held in an mbuf, like testpmd/dpf).
# Memory (BENCH_HUGE): 0 = --no-huge (4 KiB pages, as run.sh), 1 = 2 MB
#   hugepages, both = every round on both.  For 1 the script adds
#   BENCH_HUGE_PAGES (1024: the 100k runs preallocate up to ~1.2 GB) to
#   /proc/sys/vm/nr_hugepages, mounts a private hugetlbfs under its temp
#   dir (--huge-dir) and on exit unmounts it and gives the pages back.
#
# Measurement, the same for every DUT: after the counter moves, wait
# BENCH_WARMUP s, then over BENCH_SECONDS s: packets = port 1 opackets
# (DPDK telemetry /ethdev/stats,1 of the process: net_pcap counts the
# packets its Tx frees), and the forwarding thread's on-CPU time
# (/proc/PID/task/TID/schedstat: testpmd/dpf "rte-worker-1", OVS's PMD
# "pmd-c01/...").  cycles/pkt = TSC Hz x thread CPU s / packets (run.sh's
# method; the same as TSC / pps when the thread had its whole CPU).  Also
# per run: the thread's CPU share, the DUT's other threads (dpf's control
# core, OVS's main/revalidator/ct_clean), what else ran on CPU 1, and for
# OVS its own figure (dpif-netdev/pmd-stats-show "avg processing cycles
# per packet", cleared at the start of the interval) as a cross-check;
# after ovs-ct, the number of conntrack entries.
#
# Output: one line per run, then a Markdown table per memory mode: median
# (min-max) over rounds; ratios per round (DUT Mpps / testpmd Mpps, DUT
# cycles / dpf cycles), medians.  BENCH_CSV: a file to append one row per
# run to (tools/bench/benchcsv.sh schema; harness pcap, test "established"
# or "established-huge").  BENCH_OUT: a file to copy the tables to.
# Environment: BENCH_SECONDS (4), BENCH_WARMUP (2), BENCH_ROUNDS (3),
# BENCH_PEERS_FLOWS ("1k 100k"), BENCH_PEERS_DUTS ("testpmd dpf ovs
# ovs-ct"), BENCH_HUGE (0), BENCH_HUGE_PAGES (1024), BENCH_LIMIT (s, the
# watchdog; default 60 s per run + 60), BENCH_KEEP (1: keep the temp dir
# with every log).  A run that fails is noted with
# its reason and the bench goes on; the exit status is then 1.
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
export BENCH_HERE=$HERE
# shellcheck source=tools/bench/benchcsv.sh
. "$HERE/benchcsv.sh"
# shellcheck source=tools/bench/benchsh.sh
. "$HERE/benchsh.sh"
DPF=$BUILD/control/dpf
TESTPMD=${TESTPMD:-dpdk-testpmd}
OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
PY=/usr/bin/python3
SECS=${BENCH_SECONDS:-4}
WARM=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-3}
FLOWS=${BENCH_PEERS_FLOWS:-1k 100k}
DUTS=${BENCH_PEERS_DUTS:-testpmd dpf ovs ovs-ct}
HUGE=${BENCH_HUGE:-0}
HUGE_PAGES=${BENCH_HUGE_PAGES:-1024}
CSV=${BENCH_CSV:-}
NBIG=100000
TAG=dpfpeers$$
TMP=
WATCHDOG=
RUN_PID=	# the timeout(1) wrapper of the process under test
DB_PID=		# the run's ovsdb-server
SAMPLER=
HUGE_ADDED=0	# pages this script added to nr_hugepages
HUGE_MNT=

die() { echo "peers: $*" >&2; exit 1; }

case "$HUGE" in
0) MODES=nohuge ;;
1) MODES=huge ;;
both) MODES="nohuge huge" ;;
*) die "BENCH_HUGE must be 0, 1 or both" ;;
esac
for f in $FLOWS; do
	case "$f" in 1k|100k) ;; *) die "BENCH_PEERS_FLOWS: 1k and/or 100k, not $f" ;; esac
done
NDUT=0
for d in $DUTS; do
	case "$d" in testpmd|dpf|ovs|ovs-l3|ovs-ct) ;;
	*) die "BENCH_PEERS_DUTS: testpmd dpf ovs ovs-l3 ovs-ct, not $d" ;; esac
	NDUT=$((NDUT + 1))
done
NRUNS=$((ROUNDS * NDUT * $(echo "$FLOWS" | wc -w) * $(echo "$MODES" | wc -w)))
LIMIT=${BENCH_LIMIT:-$((60 * NRUNS + 60))}

FAILED=
# fail_run NAME REASON [LOG...]: notes a failed run with the last line of
# each LOG that has one.
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

# stop_pid WRAPPER NAME: SIGINT to the timeout(1) wrapper (passed on to its
# child), 5 s, then SIGKILL to both (noted as a failure).
stop_pid() {
	local w=$1 name=$2 child
	child=$(pgrep -P "$w" 2>/dev/null | head -1)
	kill -INT "$w" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$w" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$w" 2>/dev/null; then
		fail_run "$name" "did not exit within 5 s of SIGINT, killed"
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
		kill -KILL "$w" 2>/dev/null
	fi
	wait "$w" 2>/dev/null
	if [ -n "$child" ]; then
		for _ in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
	fi
}

stop_run() {
	[ -n "$RUN_PID" ] && stop_pid "$RUN_PID" "${1:-run}"
	RUN_PID=
	if [ -n "$DB_PID" ]; then
		kill -TERM "$DB_PID" 2>/dev/null
		wait "$DB_PID" 2>/dev/null
	fi
	DB_PID=
	rm -rf /var/run/dpdk/"$TAG"-* 2>/dev/null
}

huge_release() {
	local cur
	if [ -n "$HUGE_MNT" ]; then
		umount "$HUGE_MNT" 2>/dev/null || echo "peers: cannot unmount $HUGE_MNT" >&2
		HUGE_MNT=
	fi
	if [ "$HUGE_ADDED" -gt 0 ]; then
		# Give back what this script added, not a saved value: another
		# job may have changed the count meanwhile.
		cur=$(cat /proc/sys/vm/nr_hugepages)
		echo $((cur > HUGE_ADDED ? cur - HUGE_ADDED : 0)) >/proc/sys/vm/nr_hugepages
		HUGE_ADDED=0
	fi
}

cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	stop_run cleanup
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null && wait "$WATCHDOG" 2>/dev/null
	WATCHDOG=
	huge_release
	if [ -n "$TMP" ] && [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "peers: logs kept in $TMP" >&2
	elif [ -n "$TMP" ]; then
		rm -rf "$TMP"
	fi
	TMP=
}
trap cleanup EXIT
trap 'echo "peers: interrupted" >&2; [ -n "$FAILED" ] && echo "peers: interrupted" >>"$FAILED"
	[ -n "${RESULTS:-}" ] && summary_once; exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "run as root (DPDK EAL, hugepages)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
case " $DUTS " in *" dpf "*) [ -x "$DPF" ] || die "no $DPF (build first)" ;; esac
case " $DUTS " in *" testpmd "*) command -v "$TESTPMD" >/dev/null || die "no $TESTPMD (apt-get install dpdk)" ;; esac
case " $DUTS " in *" ovs"*)
	[ -x "$OVS_VSWITCHD" ] || die "no $OVS_VSWITCHD (apt-get install openvswitch-switch-dpdk)"
	for c in ovsdb-server ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl; do
		command -v "$c" >/dev/null || die "no $c (apt-get install openvswitch-switch)"
	done ;;
esac
TMP=$(mktemp -d /tmp/dpf-peers.XXXXXX)
FAILED=$TMP/failed
: >"$FAILED"
RESULTS=$TMP/results
: >"$RESULTS"
bench_watchdog peers "$LIMIT"

bench_tsc

GEN_ARGS=
case " $FLOWS " in *" 100k "*) GEN_ARGS="--many $NBIG" ;; esac
# shellcheck disable=SC2086
"$PY" "$HERE/gen_pcap.py" "$TMP" $GEN_ARGS >/dev/null || die "gen_pcap.py failed"

# Per flow count: pcap, mbufs, -m for testpmd and dpf (run.sh's sizes: with
# --no-huge a pool object never straddles a 4 KiB page, 4 KiB per mbuf)
# and OVS (its pool halves from 262144 until it fits).
flow_params() {
	case "$1" in
	1k) PCAP=fwd-64.pcap NFLOWS=1024 MBUFS=32768 MEM_MB=1024 OVS_MB=256 STATES=100000 ;;
	100k) PCAP=flows-$NBIG.pcap NFLOWS=$NBIG MBUFS=$((NBIG + 32768))
		STATES=$((2 * NBIG))
		MEM_MB=$(((MBUFS * 4 + STATES * 350 / 1024) / 1024 + 600)) OVS_MB=768 ;;
	esac
}

# mem_setup MODE: EAL memory options of MODE in EAL_MEM (testpmd, OVS).
mem_setup() {
	if [ "$1" = nohuge ]; then
		huge_release
		EAL_MEM="--no-huge"
		return 0
	fi
	local free0 free1
	free0=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	echo $(($(cat /proc/sys/vm/nr_hugepages) + HUGE_PAGES)) >/proc/sys/vm/nr_hugepages
	HUGE_ADDED=$HUGE_PAGES
	free1=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ $((free1 - free0)) -ge "$HUGE_PAGES" ] ||
		{ huge_release; die "could not reserve $HUGE_PAGES hugepages (free $free0 -> $free1)"; }
	HUGE_MNT=$TMP/huge
	mkdir -p "$HUGE_MNT"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_MNT" || { HUGE_MNT=; die "cannot mount hugetlbfs"; }
	EAL_MEM="--huge-dir=$HUGE_MNT --huge-unlink"
}

# sample KIND PID OUT [APPCTL_TARGET]: waits for port 1 to transmit, then one
# interval.  OUT: "pkts wall_s run_s others_s cpu1_busy_s steal_s" (others =
# the DUT's other threads); OUT.extra: OVS's own cycles/pkt figure.
sample() {
	"$PY" - "$1" "$2" "$3" "$TAG-$1" "$SECS" "$WARM" "${4:-}" 2>"$3.err" <<'PYEOF' &
import json, os, re, subprocess, sys, time
sys.path.insert(0, os.environ["BENCH_HERE"])
import benchlib
kind, pid, out, prefix, secs, warm, ctl = sys.argv[1:8]
secs, warm = float(secs), float(warm)
hz = os.sysconf("SC_CLK_TCK")
tsock = None

def sent():
    global tsock
    if tsock is None:
        tsock = benchlib.telemetry(prefix)
        if tsock is None:
            raise RuntimeError("no telemetry socket")
    tsock.send(b"/ethdev/stats,1")
    return json.loads(tsock.recv(65536))["/ethdev/stats"]["opackets"]

def fwd_tid():
    if not kind.startswith("ovs"):
        return benchlib.worker_tid(pid)
    for t in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/comm" % (pid, t)) as f:
            if f.read().startswith("pmd-c01"):
                return t
    raise RuntimeError("no PMD thread on core 1")

def all_run():
    s = 0
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            s += benchlib.schedstat(pid, t)[0]
        except OSError:
            pass
    return s

def cpu1():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu1 "):
                v = [int(x) for x in line.split()[1:]]
                return v[0] + v[1] + v[2] + v[5] + v[6], v[7]
    return 0, 0

def appctl(*cmd):
    return subprocess.run(["ovs-appctl", "-t", ctl] + list(cmd), capture_output=True,
                          text=True, timeout=10).stdout

def snap(tid):
    t0 = time.monotonic()
    c = sent()
    t1 = time.monotonic()
    busy, steal = cpu1()
    return c, (t0 + t1) / 2, benchlib.schedstat(pid, tid)[0], all_run(), busy, steal

deadline = time.monotonic() + 30
err = "counter still 0"
while True:
    try:
        tid = fwd_tid()
        if sent() > 0:
            break
    except Exception as e:
        err = e
    if time.monotonic() > deadline:
        sys.exit("sample: port 1 sent nothing within 30 s (%s)" % err)
    time.sleep(0.2)
time.sleep(warm)
if ctl:
    appctl("dpif-netdev/pmd-stats-clear")
a = snap(tid)
time.sleep(secs)
b = snap(tid)
if ctl:
    m = re.search(r"avg processing cycles per packet: ([0-9.]+)",
                  appctl("dpif-netdev/pmd-stats-show"))
    with open(out + ".extra", "w") as f:
        f.write("%s\n" % (m.group(1) if m else "?"))
if b[0] == a[0]:
    sys.exit("sample: port 1 sent nothing in the interval")
w = (b[2] - a[2]) / 1e9
with open(out, "w") as f:
    f.write("%d %.6f %.6f %.6f %.6f %.6f\n" % (b[0] - a[0], b[1] - a[1], w,
            (b[3] - a[3]) / 1e9 - w, (b[4] - a[4]) / hz, (b[5] - a[5]) / hz))
PYEOF
	SAMPLER=$!
	local rc=0
	wait "$SAMPLER" || rc=$?
	SAMPLER=
	[ -s "$3.err" ] && sed 's/^/    /' "$3.err" >&2
	return $rc
}

# child_of WRAPPER EXE: the pid of EXE under the timeout(1) WRAPPER.
child_of() {
	local pid=
	for _ in $(seq 100); do
		pid=$(pgrep -P "$1" -x "$2") && break
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	echo "$pid"
}

# start_testpmd NAME: run.sh's testpmd on the run's pcap; sets DUT_PID.
start_testpmd() {
	local name=$1
	timeout -s INT -k 5 $((${WARM%.*} + ${SECS%.*} + 60)) "$TESTPMD" --lcores 0@0,1@1 $EAL_MEM \
		-m "$MEM_MB" --no-pci --no-shconf --file-prefix "$TAG-testpmd" \
		--log-level=lib.eal:error \
		--vdev "net_pcap0,rx_pcap=$TMP/$PCAP,infinite_rx=1" \
		--vdev "net_pcap1,rx_pcap=$TMP/empty.pcap" \
		-- --forward-mode=io --no-flush-rx --nb-cores=1 --total-num-mbufs="$MBUFS" \
		--stats-period 1 >"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	DUT_PID=$(child_of "$RUN_PID" "$(basename "$TESTPMD")")
	[ -n "$DUT_PID" ] || fail_run "$name" "testpmd did not start" "$TMP/$name.log"
}

# start_dpf NAME MODE: dpf-pcap.json.in on the run's pcap, sized for it.
start_dpf() {
	local name=$1
	sed -e "s|@SOCK@|$TMP/dpf.sock|" -e "s|@DIR@|$TMP|g" -e "s|@FWD@|$PCAP|" \
	    -e "s|@PREFIX@|$TAG-dpf|" "$HERE/dpf-pcap.json.in" >"$TMP/$name.json"
	"$PY" - "$TMP/$name.json" "$MBUFS" "$MEM_MB" "$STATES" "$2" "${HUGE_MNT:-}" <<'PYEOF' ||
import json, sys
path, mbufs, mem, states, mode, hdir = sys.argv[1:7]
with open(path) as f:
    c = json.load(f)
c["dataplane"]["mbufs"] = int(mbufs)
c["dataplane"]["eal"]["memory_mb"] = int(mem)
c["limits"] = {"states": int(states)}
if mode == "huge":
    c["dataplane"]["eal"]["no_huge"] = False
    c["dataplane"]["eal"]["args"].append("--huge-dir=" + hdir)
with open(path, "w") as f:
    json.dump(c, f, indent=1)
PYEOF
		{ fail_run "$name" "cannot write the config"; return; }
	"$DPF" -n -c "$TMP/$name.json" >"$TMP/$name.check" 2>&1 ||
		{ fail_run "$name" "config rejected" "$TMP/$name.check"; return; }
	rm -f "$TMP/dpf.sock"
	timeout -s INT -k 5 $((${WARM%.*} + ${SECS%.*} + 60)) "$DPF" -c "$TMP/$name.json" \
		>"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	DUT_PID=$(child_of "$RUN_PID" dpf)
	[ -n "$DUT_PID" ] || fail_run "$name" "dpf did not start" "$TMP/$name.log"
}

# ovs_flows DUT FILE: the OpenFlow table of DUT (ovs, ovs-l3 or ovs-ct).
ovs_flows() {
	if [ "$1" = ovs ]; then
		printf '%s\n' "in_port=1,actions=output:2" "in_port=2,actions=output:1" >"$2"
		return
	fi
	if [ "$1" = ovs-l3 ]; then
		# dpf's forward stage without its filter: TTL and checksum, the
		# next hop's MAC (gen_pcap.py's GW_MAC) as destination, a
		# fixed local MAC as source.
		printf '%s\n' "priority=100,in_port=1,ip,nw_dst=198.19.0.0/16,actions=dec_ttl,mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:02:fe,output:2" \
			"priority=0,actions=drop" >"$2"
		return
	fi
	cat >"$2" <<-'EOF'
	table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)
	table=0,priority=0,actions=drop
	table=1,priority=100,in_port=1,ip,ct_state=+trk+new,actions=ct(commit),output:2
	table=1,priority=100,in_port=1,ip,ct_state=+trk+est,actions=output:2
	table=1,priority=100,in_port=2,ip,ct_state=+trk+est,actions=output:1
	table=1,priority=0,actions=drop
	EOF
}

# start_ovs NAME DUT: a private ovsdb-server and ovs-vswitchd-dpdk on the
# run's pcap, the bridge and ports configured in the database before the
# switch starts, then DUT's flows; sets DUT_PID and OVS_CTL.
start_ovs() {
	local name=$1 dut=$2 d=$TMP/$1.ovs vs ok=
	mkdir -p "$d"
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
	ovsdb-tool create "$d/conf.db" "$OVS_SCHEMA" ||
		{ fail_run "$name" "ovsdb-tool create failed"; return; }
	ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --unixctl="$d/ovsdb-server.ctl" \
		--log-file="$d/ovsdb-server.log" >/dev/null 2>&1 </dev/null &
	DB_PID=$!
	for _ in $(seq 100); do [ -S "$d/db.sock" ] && break; sleep 0.05; done
	# --no-huge needs --legacy-mem (OVS adds --in-memory without it, which
	# EAL refuses with legacy memory); on hugepages OVS's own default
	# (--in-memory, dynamic memory) is kept: its legacy-memory pool fails
	# there (ENAMETOOLONG from the mempool).
	OVS_LEGACY=
	[ "$EAL_MEM" = --no-huge ] && OVS_LEGACY="--legacy-mem "
	vs="ovs-vsctl --db=unix:$d/db.sock --no-wait --timeout=20"
	$vs init -- set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
		"other_config:dpdk-extra=$EAL_MEM $OVS_LEGACY-m $OVS_MB --no-pci --file-prefix $TAG-$dut --vdev=net_pcap0,rx_pcap=$TMP/$PCAP,infinite_rx=1 --vdev=net_pcap1,rx_pcap=$TMP/empty.pcap" \
		-- add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure \
		-- add-port br0 p0 -- set Interface p0 type=dpdk options:dpdk-devargs=net_pcap0 ofport_request=1 \
		-- add-port br0 p1 -- set Interface p1 type=dpdk options:dpdk-devargs=net_pcap1 ofport_request=2 \
		>"$TMP/$name.vsctl" 2>&1 ||
		{ fail_run "$name" "ovs-vsctl failed" "$TMP/$name.vsctl"; return; }
	ovs_flows "$dut" "$d/flows"
	timeout -s INT -k 5 $((${WARM%.*} + ${SECS%.*} + 90)) "$OVS_VSWITCHD" "unix:$d/db.sock" \
		--unixctl="$d/vswitchd.ctl" --log-file="$d/vswitchd.log" >"$TMP/$name.log" 2>&1 </dev/null &
	RUN_PID=$!
	OVS_CTL=$d/vswitchd.ctl
	DUT_PID=$(child_of "$RUN_PID" "$(basename "$OVS_VSWITCHD" | cut -c1-15)")
	[ -n "$DUT_PID" ] || { fail_run "$name" "ovs-vswitchd did not start" "$d/vswitchd.log"; return; }
	# The bridge's OpenFlow socket appears once the switch has read the
	# database (the ports come up after the mbuf pool is made: seconds).
	for _ in $(seq 600); do
		ovs-ofctl add-flows "unix:$d/br0.mgmt" "$d/flows" >"$TMP/$name.ofctl" 2>&1 && { ok=1; break; }
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ok" ] || fail_run "$name" "no flows installed" "$TMP/$name.ofctl" "$d/vswitchd.log"
}

# run_one MODE FLOWS DUT ROUND: one run, its line, its result and CSV row.
run_one() {
	local mode=$1 fl=$2 dut=$3 r=$4 name=$1-$2-$3-$4 res xtra="" rules test
	DUT_PID=
	OVS_CTL=
	case "$dut" in
	testpmd) start_testpmd "$name" ;;
	dpf) start_dpf "$name" "$mode" ;;
	ovs|ovs-l3|ovs-ct) start_ovs "$name" "$dut" ;;
	esac || { stop_run "$name"; return; }
	res=$TMP/$name.res
	if ! sample "$dut" "$DUT_PID" "$res" "$OVS_CTL"; then
		stop_run "$name"
		[ -n "$OVS_CTL" ] && grep -E '\|(ERR|EMER)\|' "$TMP/$name.ovs/vswitchd.log" | tail -1 \
			>"$TMP/$name.ovserr"
		fail_run "$name" "no result" "$res.err" "$TMP/$name.log" "$TMP/$name.ovserr"
		return
	fi
	if [ -n "$OVS_CTL" ]; then
		xtra=", OVS's own figure $(cat "$res.extra") cycles/pkt"
		[ "$dut" = ovs-ct ] && xtra="$xtra, conntrack entries $(ovs-appctl -t "$OVS_CTL" \
			dpctl/dump-conntrack 2>/dev/null | wc -l)"
	fi
	stop_run "$name"
	echo "$mode $fl $dut $r $(cat "$res")" >>"$RESULTS"
	awk -v tsc="$TSC_MHZ" -v n="$name" -v x="$xtra" '{
		printf "  %-26s %6.2f Mpps, %6.1f cycles/pkt, CPU share %3.0f%% (other threads %3.0f%%, rest of CPU 1 %3.0f%%, steal %.2fs)%s\n",
			n, $1 / $2 / 1e6, tsc * 1e6 * $3 / $1, 100 * $3 / $2, 100 * $4 / $2,
			100 * ($5 - $3) / $2, $6, x }' "$res"
	case "$dut" in testpmd) rules=0 ;; dpf) rules=1 ;; ovs) rules=2 ;; ovs-l3) rules=2 ;;
	ovs-ct) rules=6 ;; esac
	test=established
	[ "$mode" = huge ] && test=established-huge
	[ -n "$CSV" ] && bench_csv "$CSV" pcap "$test" "$dut" 64 "$NFLOWS" "$rules" "$r" \
		"$(awk '{ printf "%.4f", $1 / $2 / 1e6 }' "$res")" \
		"$(awk -v tsc="$TSC_MHZ" '{ printf "%.1f", tsc * 1e6 * $3 / $1 }' "$res")" ""
	return 0
}

# The table: per memory mode, flow count and DUT, median (min-max) over
# rounds; the ratios are medians of per-round ratios against testpmd
# (Mpps) and against dpf (cycles: above 1 = dpf spends fewer).
summary() {
	echo
	echo "| memory | flows | DUT | runs | Mpps | cycles/pkt | Mpps / testpmd | cycles / dpf cycles | CPU share min |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -v tsc="$TSC_MHZ" -v duts="$DUTS" "$AWK_STATS"'
	{
		k = $1 SUBSEP $2; if (!(k in seen)) { seen[k] = 1; order[ns++] = k }
		key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
		mpps[key] = $5 / $6 / 1e6; cyc[key] = tsc * 1e6 * $7 / $5; share[key] = $7 / $6
		if ($4 > nr) nr = $4
	}
	END {
		dname["ovs"] = "OVS"; dname["ovs-l3"] = "OVS L3 rewrite"
		dname["ovs-ct"] = "OVS + conntrack"
		nd = split(duts, d, " ")
		for (i = 0; i < ns; i++) {
			split(order[i], mf, SUBSEP)
			for (j = 1; j <= nd; j++) {
				n = 0; m1 = 0; m2 = 0
				delete a; delete c; delete s; delete rt; delete rd
				for (r = 1; r <= nr; r++) {
					key = order[i] SUBSEP d[j] SUBSEP r
					if (!(key in mpps)) continue
					n++; a[n] = mpps[key]; c[n] = cyc[key]; s[n] = share[key]
					t = order[i] SUBSEP "testpmd" SUBSEP r; f = order[i] SUBSEP "dpf" SUBSEP r
					if (t in mpps) rt[++m1] = mpps[key] / mpps[t]
					if (f in cyc) rd[++m2] = cyc[key] / cyc[f]
				}
				if (n == 0) { printf "| %s | %s | %s | 0 | - | - | - | - | - |\n", mf[1], mf[2], d[j]; continue }
				printf "| %s | %s | %s | %d | %s | %s | %s | %s | %.0f%% |\n", mf[1] == "huge" ? "2 MB pages" : "4 KiB (--no-huge)",
					mf[2], dname[d[j]] != "" ? dname[d[j]] : d[j], n,
					rng(a, n, "%.2f"), rng(c, n, "%.0f"),
					d[j] == "testpmd" ? "1" : rng(rt, m1, "%.2f"), d[j] == "dpf" ? "1" : rng(rd, m2, "%.2f"),
					100 * lo(s, n)
			}
		}
	}' "$RESULTS"
	echo
	echo "Median (min-max) over rounds; ratios: medians of per-round ratios.  cycles/pkt = TSC"
	echo "($TSC_MHZ MHz, $TSC_SRC) x the forwarding thread's CPU time / packets sent on port 1."
	if [ -s "$FAILED" ]; then
		echo
		echo "Failed runs ($(wc -l <"$FAILED")): not in the figures above."
		sed 's/^/- /' "$FAILED"
	fi
}

SUMMARY_DONE=
summary_once() {
	[ -n "$SUMMARY_DONE" ] && return
	SUMMARY_DONE=1
	summary | tee "$TMP/table"
	[ -n "${BENCH_OUT:-}" ] && cp "$TMP/table" "$BENCH_OUT"
}

echo "peers bench: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs," \
	"TSC $TSC_MHZ MHz ($TSC_SRC), kernel $(uname -r)"
echo "  DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), $("$OVS_VSWITCHD" --version 2>/dev/null | head -1)," \
	"dpf $BUILD; ${SECS}s measured after ${WARM}s warm-up, $ROUNDS round(s), flows: $FLOWS, DUTs: $DUTS, memory: $MODES"
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
	mem_setup "$mode"
	for r in $(seq "$ROUNDS"); do
		for fl in $FLOWS; do
			flow_params "$fl"
			for dut in $DUTS; do
				run_one "$mode" "$fl" "$dut" "$r"
			done
		done
	done
done
huge_release
echo "  load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
summary_once
[ -s "$FAILED" ] && exit 1
exit 0
