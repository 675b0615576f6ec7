#!/usr/bin/env bash
# One CSV schema for every benchmark figure, so tools/bench/plot.py can draw
# the pcap/memif harness, the peers (OVS-DPDK) and the Pktgen-DPDK runs on
# one set of axes.  Source this file; do not run it.
#
# Columns (one row per measured run, header written once per file):
#   harness  pcap | memif | pktgen
#   test     what was measured: established, new, range, rfc2544, syn, ...
#   dut      testpmd | dpf | ovs | ovs-l3 | ovs-ct | ...
#   frame    frame size in bytes ("imix" allowed)
#   flows    number of flows/states in the run
#   rules    rules loaded (0 where the DUT has none)
#   round    1-based repetition number
#   mpps     forwarded Mpps (or new states/s / 1e6 for test=new|syn)
#   cycles   cycles per packet on the DUT's worker ("" if not measured)
#   loss     loss ratio 0..1 ("" if not measured)
BENCH_CSV_HEADER="harness,test,dut,frame,flows,rules,round,mpps,cycles,loss"

# bench_csv FILE HARNESS TEST DUT FRAME FLOWS RULES ROUND MPPS CYCLES LOSS
bench_csv() {
	local f=$1
	shift
	if [ "$#" -ne 10 ]; then
		echo "bench_csv: want 10 fields after FILE, got $#" >&2
		return 2
	fi
	mkdir -p "$(dirname "$f")"
	[ -s "$f" ] || echo "$BENCH_CSV_HEADER" >"$f"
	local IFS=,
	echo "$*" >>"$f"
}
