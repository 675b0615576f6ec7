#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Where the NICs' RSS sends flows: dpf on two net_null ports (a PMD with
# RSS and a 128-entry RETA that it reads back), without hugepages.
#  - two workers: every RETA entry names a worker's queue (`show
#    interfaces`: rss workers), so the control core's queue gets no share
#    of the traffic to hand on;
#  - one worker: RSS stays off (a NIC delivers to queue 0, the worker's);
#  - a device that refuses the RETA (REFUSE_SO, an LD_PRELOAD shim): dpf
#    runs on with the device's table, shows all-queues and logs
#    port-rss-all-queues;
#  - the owner is the queue a NIC picks: two workers on net_pcap queues
#    filled as a NIC's RSS fills them (rss_pcap.py: its own Toeplitz, the
#    RETA as dpf programs it) take every packet of UDP, TCP and ICMP flows
#    of both families, both ways, with no hand-off between them.
# TAP output.
#
# usage: test_rss.sh DPF DPFCTL REFUSE_SO
set -u
dpf=${1:?usage: test_rss.sh DPF DPFCTL REFUSE_SO}
dpfctl=${2:?usage: test_rss.sh DPF DPFCTL REFUSE_SO}
refuse_so=${3:?usage: test_rss.sh DPF DPFCTL REFUSE_SO}
[ -f "$refuse_so" ] || { echo "Bail out! no $refuse_so"; exit 1; }

tmp=$(mktemp -d /tmp/dpf-rss-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# run_dpf WORKERS LCORES [PRELOAD]: starts dpf on ports p0 and p1, the
# devices $VDEV0 and $VDEV1 (EAL --vdev values, net_null by default), and
# waits (bounded) for its socket.
VDEV0=net_null0
VDEV1=net_null1
run_dpf() {
	cat >"$tmp/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "rsstest", "control": { "socket": "$tmp/dpf.sock" } },
  "dataplane": {
    "eal": { "lcores": "$2", "no_huge": true, "memory_mb": 512, "in_memory": true,
             "args": [ "--vdev=$VDEV0", "--vdev=$VDEV1", "--no-pci",
                       "--log-level=lib.eal:error" ] },
    "workers": $1, "idle_sleep_us": 100,
    "lock_dir": "$tmp/locks",
    "ports": [ { "name": "p0", "device": "${VDEV0%%,*}" },
               { "name": "p1", "device": "${VDEV1%%,*}" } ]
  },
  "interfaces": [ { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
                  { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.1/24" ] } ],
  "rules": [ "pass all" ]
}
JSON
	rm -f "$tmp/dpf.sock"
	if [ -n "${3:-}" ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			LD_PRELOAD="$3" "$dpf" -c "$tmp/dpf.json" >"$tmp/dpf.log" 2>&1 &
	else
		"$dpf" -c "$tmp/dpf.json" >"$tmp/dpf.log" 2>&1 &
	fi
	pid=$!
	for _ in $(seq 300); do
		[ -S "$tmp/dpf.sock" ] && "$dpfctl" -s "$tmp/dpf.sock" ping >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/# /' "$tmp/dpf.log" | tail -20
	return 1
}
stop_dpf() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	pid=
	return $rc
}
# rss_of: "rss reta_size queues" of each interface, one line each.
rss_of() {
	"$dpfctl" -s "$tmp/dpf.sock" -j show interfaces | /usr/bin/python3 -c '
import json, sys
for i in json.load(sys.stdin):
    print(i["name"], i["rss"], i["reta_size"], i["rx_queues"])'
}

if run_dpf 2 "0@0,1@1,2@1"; then
	got=$(rss_of)
	if [ "$got" = "lan workers 128 3
wan workers 128 3" ]; then ok "two workers: the RETA names the workers' queues only (read back)"
	else notok "two workers: $(echo "$got" | tr '\n' ';')"; fi
	if "$dpfctl" -s "$tmp/dpf.sock" show interfaces |
		grep -q "queues 3 (2 workers, control), rss workers, RETA 128 entries"; then
		ok "show interfaces says so"
	else notok "show interfaces: $("$dpfctl" -s "$tmp/dpf.sock" show interfaces | grep queues)"; fi
	if grep -q "port-rss-all-queues" "$tmp/dpf.log"; then notok "logged port-rss-all-queues"
	else ok "nothing logged about the RETA"; fi
	stop_dpf && ok "dpf stops (exit 0)" || notok "dpf exit status $rc"
else
	notok "dpf starts with two workers"
fi

if run_dpf 1 "0@0,1@1"; then
	got=$(rss_of)
	if [ "$got" = "lan off 0 2
wan off 0 2" ]; then ok "one worker: RSS off (queue 0 is the worker's)"
	else notok "one worker: $(echo "$got" | tr '\n' ';')"; fi
	stop_dpf && ok "dpf stops (exit 0)" || notok "dpf exit status $rc"
else
	notok "dpf starts with one worker"
fi

if run_dpf 2 "0@0,1@1,2@1" "$refuse_so"; then
	got=$(rss_of)
	if [ "$got" = "lan all-queues 128 3
wan all-queues 128 3" ]; then ok "a device that refuses the RETA: all-queues, dpf runs on"
	else notok "RETA refused: $(echo "$got" | tr '\n' ';')"; fi
	if [ "$(grep -c 'event=port-rss-all-queues port=p[01] device=net_null[01] reta_size=128 queues=3' \
		"$tmp/dpf.log")" = 2 ]; then ok "logged port-rss-all-queues for both ports"
	else notok "log: $(grep rss "$tmp/dpf.log")"; fi
	stop_dpf && ok "dpf stops (exit 0)" || notok "dpf exit status $rc"
else
	notok "dpf starts with a device that refuses the RETA"
fi

# The NIC's placement, end to end: every packet read where RSS put it is
# its owner's (show workers: handoff_in 0), and each worker receives its
# queue's frames.  The flows are not routed (no route: dropped after the
# owner check, which is what this looks at).
mkdir -p "$tmp/q"
if counts=$(/usr/bin/python3 "$(dirname "$0")/rss_pcap.py" "$tmp/q" 2 400); then
	q=$tmp/q
	VDEV0=net_pcap0,rx_pcap=$q/q0.pcap,rx_pcap=$q/q1.pcap,rx_pcap=$q/ctl.pcap
	VDEV1=net_pcap1,rx_pcap=$q/ctl.pcap,rx_pcap=$q/ctl.pcap,rx_pcap=$q/ctl.pcap
	run_dpf 2 "0@0,1@1,2@1"
	want=$(( ${counts% *} + ${counts#* } ))
	got=
	for _ in $(seq 300); do
		got=$("$dpfctl" -s "$tmp/dpf.sock" -j show workers 2>/dev/null | /usr/bin/python3 -c '
import json, sys
w = [x for x in json.load(sys.stdin) if x["worker"] != "control"]
print(" ".join(str(x["rx_packets"]) for x in w), sum(x["handoff_in"] for x in w))' 2>/dev/null)
		[ -n "$got" ] && [ $(( ${got%% *} + $(echo "$got" | cut -d' ' -f2) )) -ge "$want" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$got" = "$counts 0" ]; then
		ok "RSS's queues are the owners: workers received $counts, none handed over"
	else notok "queues $counts (worker received ... handed over): $got"; fi
	stop_dpf && ok "dpf stops (exit 0)" || notok "dpf exit status $rc"
else
	notok "rss_pcap.py wrote the queues"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
