#!/usr/bin/env bash
# The peers bench (tools/bench/ovs.sh, `tools/bench/run.sh BUILD peers`)
# drives Open vSwitch-DPDK through the net_pcap harness: one short round
# of OVS plain forwarding and OVS with the conntrack firewall on the 1k-flow
# pcap.  Checks: the script ends with status 0 (a run whose port 1 sends
# nothing is a failed run: status 1); the table has a row for each with
# more than 0 Mpps and cycles/pkt; OVS+conntrack committed a connection
# for each of the 1024 flows (its firewall really ran); the CSV has the two
# rows in tools/bench/benchcsv.sh's schema; nothing is left running or
# mounted.  No namespaces; run under the integration lock.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
OVS=$HERE/../../tools/bench/ovs.sh

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (DPDK EAL)"; exit 0; fi
for t in /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ovsdb-server ovs-vsctl ovs-ofctl; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP $t not installed (openvswitch-switch-dpdk, make deps)"; exit 0; }
done

TMP=$(mktemp -d /tmp/dpf-bench-peers.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

rc=0
BENCH_PEERS_DUTS="ovs ovs-ct" BENCH_PEERS_FLOWS=1k BENCH_ROUNDS=1 BENCH_SECONDS=1 \
	BENCH_WARMUP=0.5 BENCH_LIMIT=150 BENCH_CSV="$TMP/peers.csv" BENCH_OUT="$TMP/table" \
	"$OVS" "$DPF_BUILDDIR" >"$TMP/out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/out"
check "ovs.sh exits 0 (rc $rc)" test "$rc" = 0

# row LABEL: the table row of LABEL has Mpps > 0 and cycles/pkt > 0.
row() {
	awk -F'|' -v d="$1" '$4 == " " d " " && $3 == " 1k " {
		split($6, m, " "); split($7, c, " ")
		if (m[1] + 0 > 0 && c[1] + 0 > 0) { ok = 1; print "Mpps " m[1] ", cycles/pkt " c[1] } }
		END { exit !ok }' "$TMP/table"
}
check "table: OVS forwards" row OVS
check "table: OVS + conntrack forwards" row "OVS + conntrack"
check "OVS + conntrack: a conntrack entry per flow (1024)" \
	grep -Eq 'nohuge-1k-ovs-ct-1 .*conntrack entries (102[4-9]|10[3-9][0-9]|1[1-9][0-9]{2})$' "$TMP/out"
csv_ok() {
	[ "$(head -1 "$TMP/peers.csv")" = "harness,test,dut,frame,flows,rules,round,mpps,cycles,loss" ] &&
	awk -F, 'NR > 1 && $1 == "pcap" && $2 == "established" && $5 == 1024 && $8 > 0 && $9 > 0 { n[$3]++ }
		END { exit !(n["ovs"] == 1 && n["ovs-ct"] == 1) }' "$TMP/peers.csv"
}
check "CSV: one row each for ovs and ovs-ct" csv_ok
check "no ovs-vswitchd or ovsdb-server of the bench left" \
	sh -c '! pgrep -af "dpf-peers\.[A-Za-z0-9]*/"'
check "no DPDK runtime dir of the bench left" sh -c '! ls -d /var/run/dpdk/dpfpeers* 2>/dev/null'
finish
