#!/usr/bin/env bash
# tools/bench/run.sh BUILD pktgen: Pktgen-DPDK (build-pktgen/, make pktgen)
# runs the tools/pktgen/ scripts against dpf and, in the same run, against
# dpdk-testpmd io-forwarding as the device under test, over net_memif.
#
#   tools/bench/pktgen.sh BUILD [SCRIPT...]      (root; default: rfc2544 flows syn)
#
# pktgen: memif client of the DUT's lan.sock (its port 0) and wan.sock (its
# port 1), lcores 0 (display), 1 (sends and receives queue 0 of both
# ports) and 2 (queue 1, PKTGEN_DATA_TXQ=1: receives and answers ARP only)
# all on CPU 0 (-m "[1-2:1-2].[0-1:0-1]": see run_pktgen).  The DUT is
# the memif server: dpf with one worker on CPU 1 and its control core on
# CPU 0 (tools/bench/dpf-memif.json.in with the
# rules "pass all" and limits.states for the largest flow count), or
# testpmd io-fwd with its forwarding lcore on CPU 1 (2 queues, queue 1
# deferred, as tools/bench/run.sh's memif harness).  Each DUT process and
# pktgen have their own --file-prefix.  Every figure is a CSV row
# (tools/bench/benchcsv.sh, harness=pktgen) in BENCH_PKTGEN_CSV
# (docs/bench/pktgen.csv); the scripts' tables go to stdout.
# Environment: the scripts' own (tools/pktgen/README.md), and
# PKTGEN_BUILD (build-pktgen), PKTGEN_DUTS ("testpmd dpf"),
# PKTGEN_LIMIT_S (600 per script and DUT), PKTGEN_MEMIF_ARGS (appended to
# pktgen's memif vdevs, e.g. ",rsize=12" for 4096-slot rings), PKTGEN_KEEP (a folder that gets
# the logs, dpf's "show workers" JSON and the figures).
set -u
BUILD=${1:-build}
shift
SCRIPTS=${*:-rfc2544 flows syn}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/benchcsv.sh"
# Absolute: pktgen runs from its temp dir (a relative PKTGEN_BUILD gave exit 127).
PG=$(realpath -m "${PKTGEN_BUILD:-$ROOT/build-pktgen}/B/app/pktgen")
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
TESTPMD=${TESTPMD:-dpdk-testpmd}
CSV=${BENCH_PKTGEN_CSV:-$ROOT/docs/bench/pktgen.csv}
DUTS=${PKTGEN_DUTS:-testpmd dpf}
LIMIT=${PKTGEN_LIMIT_S:-600}
# net_memif says 100 Gb/s: 1 % is 1.49 Mpps at 64 B, and one sending lcore
# makes 2 to 5 here, so rfc2544.lua searches 0..8 % unless told otherwise.
export PG_MAX_RATE=${PG_MAX_RATE:-8}
[ -x "$PG" ] || { echo "pktgen: no $PG (make pktgen)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/dpf-pktgen.XXXXXX)
TAG=dpfpg$$
DUT_PID=
cleanup() {
	[ -n "$DUT_PID" ] && kill -INT "$DUT_PID" 2>/dev/null && wait "$DUT_PID" 2>/dev/null
	rm -rf "$TMP" /var/run/dpdk/"$TAG"-*
}
trap cleanup EXIT

# max flows any script asks for: dpf's limits.states.
STATES=$(( $(echo "${PG_FLOWS_LIST:-1000 10000 100000 1000000}" | tr " " "\n" | sort -n | tail -1) * 2 + 32768 ))

# start_dut DUT: the memif server; waits until its sockets exist.
start_dut() {
	local dut=$1 i
	rm -f "$TMP"/*.sock
	if [ "$dut" = testpmd ]; then
		printf 'port 0 rxq 1 deferred_start on\nport 0 txq 1 deferred_start on\nport 1 rxq 1 deferred_start on\nport 1 txq 1 deferred_start on\nport start all\n' >"$TMP/q1off.cmd"
		"$TESTPMD" --lcores 0@0,1@1 --no-huge -m 1024 --no-pci --file-prefix "$TAG-tp" \
			--log-level=lib.eal:error \
			--vdev "net_memif0,role=server,socket=$TMP/lan.sock,mac=02:70:63:61:70:00" \
			--vdev "net_memif1,role=server,socket=$TMP/wan.sock,mac=02:70:63:61:70:01" \
			-- --forward-mode=io --nb-cores=1 --rxq=2 --txq=2 --total-num-mbufs=32768 \
			--disable-device-start --cmdline-file="$TMP/q1off.cmd" --stats-period 1 \
			>"$TMP/$dut.log" 2>&1 </dev/null &
	else
		sed -e "s|@SOCK@|$TMP/dpf.sock|" -e "s|@DIR@|$TMP|g" -e "s|@IDLE@|10|" \
		    -e "s|@PREFIX@|$TAG-dpf|" "$HERE/dpf-memif.json.in" >"$TMP/base.json"
		python3 - "$TMP/base.json" "$TMP/dpf.json" "$STATES" <<'PYEOF' || return 1
import json, sys
c = json.load(open(sys.argv[1]))
c["rules"] = ["pass all"]
c["options"] = {}
c["limits"] = {"states": int(sys.argv[3])}
c["dataplane"]["eal"]["memory_mb"] = 1024 + int(sys.argv[3]) // 2000
json.dump(c, open(sys.argv[2], "w"), indent=1)
PYEOF
		"$DPF" -c "$TMP/dpf.json" >"$TMP/$dut.log" 2>&1 </dev/null &
	fi
	DUT_PID=$!
	for i in $(seq 200); do
		# memif sockets are abstract (DPDK 22.11 default): the listeners
		# exist once EAL is up, i.e. testpmd's telemetry socket or dpf's
		# control socket answers (as tools/bench/run.sh waits).
		if [ "$dut" = testpmd ]; then
			[ -S /var/run/dpdk/"$TAG"-tp/dpdk_telemetry.v2 ] && return 0
		else
			"$DPFCTL" -s "$TMP/dpf.sock" ping >/dev/null 2>&1 && return 0
		fi
		kill -0 "$DUT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "pktgen: $dut did not start: $(tail -1 "$TMP/$dut.log")" >&2
	return 1
}

stop_dut() {
	[ -n "$DUT_PID" ] || return
	kill -INT "$DUT_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$DUT_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DUT_PID" 2>/dev/null
	wait "$DUT_PID" 2>/dev/null
	DUT_PID=
	rm -rf /var/run/dpdk/"$TAG"-tp /var/run/dpdk/"$TAG"-dpf
}

# run_pktgen SCRIPT DUT OUT: pktgen with tools/pktgen/SCRIPT.lua; its
# figures (dpflib.csv) in OUT, its output in $TMP/pg-SCRIPT-DUT.log (raw:
# .raw, with pktgen's screen).
run_pktgen() {
	local script=$1 dut=$2 out=$3 log=$TMP/pg-$1-$2 live=0 hook=
	: >"$out"
	# syn.lua: every SYN a new 5-tuple for the whole trial (patch 0005),
	# and dpf's state table emptied before each trial.
	if [ "$script" = syn ]; then
		live=${PKTGEN_RANGE_LIVE:-1}
		[ "$dut" = dpf ] && hook="$(realpath "$DPFCTL") -s $TMP/dpf.sock -t 30 state kill all"
	fi
	# -m "[1-2:1-2]...": lcores 1 and 2 each receive AND send on both
	# ports (queues 0 and 1).  Not "[1-2].[0-1]": pktgen 23.03 parses a
	# list without ':' once for Rx and again, cut at its '-' by the first
	# parse, for Tx, so lcore 2 got no Tx queue: each port had 1 Tx queue,
	# the memif server's Rx queue 1 (dpf's control core) then read ring 0
	# too (every frame twice), and dpf's ARP request, which comes in on
	# queue 1, was never answered (no Tx queue 1 for the reply).
	(cd "$TMP" && PG_LIB="$ROOT/tools/pktgen" PG_OUT="$out" PKTGEN_DATA_TXQ=1 \
		PKTGEN_RANGE_LIVE=$live PG_SYN_HOOK="$hook" \
		timeout -k 5 "$LIMIT" "$PG" --lcores 0@0,1@0,2@0 --no-huge -m 4096 --no-pci \
		--file-prefix "$TAG-pg" --log-level=lib.eal:error \
		--vdev "net_memif0,role=client,socket=$TMP/lan.sock${PKTGEN_MEMIF_ARGS:-}" \
		--vdev "net_memif1,role=client,socket=$TMP/wan.sock${PKTGEN_MEMIF_ARGS:-}" \
		-- -P -m "[1-2:1-2].[0-1:0-1]" -f "$ROOT/tools/pktgen/$script.lua" \
		</dev/null >"$log.raw" 2>"$log.err")
	local rc=$?
	# pktgen draws its screen on stdout; the scripts write to stderr
	# (dpflib.log): keep their lines, and Lua errors from the screen.
	{
		grep -a -E '^(  trial|  syn|  hook|rfc2544|flows|syn|smoke|RFC|Established|New|frame| +[0-9.]+ +[0-9]|[0-9a-z]+ +[0-9.]+ +[0-9])' "$log.err"
		sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log.raw" | tr -d '\r' | grep -a -E 'lua-shell|PANIC|arguments wrong'
	} >"$log.log"
	rm -rf /var/run/dpdk/"$TAG"-pg
	return $rc
}

rc=0
for script in $SCRIPTS; do
	for dut in $DUTS; do
		echo "== pktgen $script.lua vs $dut"
		start_dut "$dut" || { rc=1; stop_dut; continue; }
		run_pktgen "$script" "$dut" "$TMP/$script-$dut.csv" || { echo "pktgen: $script vs $dut: rc $?" >&2; rc=1; }
		if [ "$dut" = dpf ]; then
			for c in "show info -v" "show interfaces" "show neighbors" "show workers"; do
				echo "# dpfctl $c"
				# shellcheck disable=SC2086
				"$DPFCTL" -s "$TMP/dpf.sock" $c 2>&1
			done >"$TMP/info-$script" 2>&1
			"$DPFCTL" -s "$TMP/dpf.sock" -j show workers >"$TMP/workers-$script.json" 2>&1
		fi
		stop_dut
		cat "$TMP/pg-$script-$dut.log"
		[ "$dut" = dpf ] && grep -i -E "state|insert" "$TMP/info-$script" | head -5
		while IFS=, read -r test frame flows mpps loss; do
			[ -n "$test" ] || continue
			bench_csv "$CSV" pktgen "$test" "$dut" "$frame" "$flows" "$([ "$dut" = dpf ] && echo 1 || echo 0)" 1 "$mpps" "" "$loss"
		done <"$TMP/$script-$dut.csv"
	done
done
[ -n "${PKTGEN_KEEP:-}" ] && cp "$TMP"/*.log "$TMP"/*.raw "$TMP"/*.err "$TMP"/*.json "$TMP"/*.csv "$TMP"/info-* "$PKTGEN_KEEP"/ 2>/dev/null
echo "pktgen: figures in $CSV; load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
