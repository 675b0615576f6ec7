#!/usr/bin/env bash
# Monitoring and operation: `dpfctl show metrics` parsed by a Prometheus
# parser, dpf's /dpf/ commands read with DPDK's own dpdk-telemetry.py,
# systemd's readiness protocol (READY=1 only once the control socket
# answers, STOPPING=1 on SIGTERM) on a socket of the test's, the audit line
# (SO_PEERCRED) of a changing command, and the pflog file reopened on SIGHUP
# after a rotation (what logrotate does).
. "$(dirname "$0")/lib.sh"
netns_setup mon
BG=""
PREFIX=dpf-mon-$$
# EAL leaves its runtime directory (/run/dpdk/PREFIX) behind: removed here.
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; netns_cleanup; rm -rf "/run/dpdk/$PREFIX"' EXIT
DPF_RULES='[ "pass all", "block log proto udp to port 9" ]'
dpf_config 1 "0-1" "" ',
  "carp": { "vhids": [ { "vhid": 7, "interface": "lan", "addresses": [ "198.18.1.100/24" ],
                         "pass": "mon-test" } ] },
  "sync": { "interface": "wan" },
  "logging": { "pflog": "'"$TMP"'/pflog.pcap" }'
# A file prefix of its own: the telemetry socket is /run/dpdk/PREFIX/.
sed -i "s/\"in_memory\": true,/\"in_memory\": true, \"file_prefix\": \"$PREFIX\",/" "$TMP/dpf.json"
sed -i "s|\"control\": { \"socket\": \"$SOCK\" }|\"control\": { \"socket\": \"$SOCK\", \"ro_socket\": \"$TMP/ro.sock\" }|" \
	"$TMP/dpf.json"

# systemd's side of sd_notify: a datagram socket that writes what it gets.
$PY - "$TMP/notify.sock" "$TMP/notify.log" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a") as log:
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        log.write(msg.replace("\n", " ") + "\n")
        log.flush()
PYEOF
BG="$BG $!"
wait_for 10 "the notify socket" test -S "$TMP/notify.sock"
NOTIFY_SOCKET=$TMP/notify.sock ip netns exec "$P-fw" "$DPF" -c "$TMP/dpf.json" \
	>"$TMP/dpf.log" 2>&1 &
DPF_PID=$!
ready() { grep -q "READY=1" "$TMP/notify.log" 2>/dev/null || ! kill -0 "$DPF_PID"; }
wait_for 30 "READY=1 from dpf" ready
if grep -q "READY=1" "$TMP/notify.log" 2>/dev/null; then
	# No waiting here: READY=1 promises that the control socket answers.
	check "READY=1 comes when the control socket already answers" ctl ping
else
	notok "dpf sent READY=1"
	sed 's/^/#   /' "$TMP/dpf.log" | tail -20
	finish
	exit 1
fi

in_ns "$P-cli" ping -c 3 -i 0.2 -W 2 198.18.2.2 >/dev/null 2>&1
in_ns "$P-srv" ping -c 1 -W 2 198.18.1.2 >/dev/null 2>&1

# --- show metrics, against dpfctl -j, with prometheus_client's parser
# Counters read before and after the metrics bound them (the kernel's own
# packets may arrive between two reads).
ctl -j show info -v >"$TMP/info0.json" && ctl -j show interfaces >"$TMP/if0.json" &&
	ctl -j show rules -v >"$TMP/rules0.json" &&
	ctl show metrics >"$TMP/metrics.txt" && ctl -j show info -v >"$TMP/info.json" &&
	ctl -j show interfaces >"$TMP/if.json" && ctl -j show rules -v >"$TMP/rules.json" &&
	ctl -j show workers >"$TMP/workers.json" && ctl -j show carp >"$TMP/carp.json" &&
	ctl -j show pfsync >"$TMP/pfsync.json"
check "show metrics parses (prometheus_client), has every number of the show commands, agrees with dpfctl -j" \
	$PY "$(dirname "$0")/metrics_check.py" "$TMP/metrics.txt" "$TMP/info.json" \
	"$TMP/if.json" "$TMP/rules.json" "$TMP/workers.json" "$TMP/carp.json" "$TMP/pfsync.json" \
	"$TMP/info0.json" "$TMP/if0.json" "$TMP/rules0.json"
grep '^# ' "$TMP/check.out"
check "show metrics has CARP by vhid and pfsync" sh -c \
	"grep -q '^dpf_carp_state{vhid=\"7\",interface=\"lan\",state=\"BACKUP\"} 1' '$TMP/metrics.txt' &&
	 grep -q '^dpf_pfsync_sent_packets_total [1-9]' '$TMP/metrics.txt' &&
	 grep -q '^dpf_worker_rx_packets_total{worker=\"0\"}' '$TMP/metrics.txt'"
check "show metrics on the read-only socket" "$DPFCTL" -s "$TMP/ro.sock" show metrics

# --- DPDK telemetry, with DPDK's client
tel() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$PREFIX" 2>&1; }
tel / >"$TMP/tel-list.out"
check "dpdk-telemetry.py lists /dpf/info /dpf/states /dpf/rules /dpf/carp /dpf/pfsync /dpf/workers" \
	sh -c "for c in info states rules carp pfsync workers; do
		grep -q \"\\\"/dpf/\$c\\\"\" '$TMP/tel-list.out' || { echo missing /dpf/\$c; cat '$TMP/tel-list.out'; exit 1; }; done"
for c in info states rules carp pfsync workers; do tel "/dpf/$c" >"$TMP/tel-$c.json"; done
tel_json() { # CMD PYTHON-EXPR (d: the command's reply): true or a message
	$PY -c "import json,sys
d = json.load(open('$TMP/tel-$1.json'))['/dpf/$1']
assert $2, d" 2>&1 | tail -3
}
check "/dpf/info: hostname, packet counters, drop reasons" tel_json info \
	"d['hostname'] == 'mon' and d['rx_packets'] > 0 and 'no_route' in d['drops']"
check "/dpf/states: the state table's counters" tel_json states \
	"d['inserts'] >= 1 and 'current' in d and d['events']['insert'] >= 0"
check "/dpf/rules: each rule with its counters" tel_json rules \
	"d['rules_1']['evaluations'] >= 1 and d['rules_2']['rule'].startswith('block')"
check "/dpf/carp: vhid 7 with state and counters" tel_json carp \
	"d['vhids_7']['state'] == 'BACKUP' and 'stats_carps_ipackets' in d['vhids_7']"
check "/dpf/pfsync: interface and counters" tel_json pfsync \
	"d['interface'] == 'wan' and d['sent']['packets'] >= 1"
check "/dpf/workers: worker 0 and the control core" tel_json workers \
	"d['0']['rx_packets'] >= 1 and 'control' in d"
tel "/dpf/info,x" >"$TMP/tel-param.json"
check "telemetry refuses parameters (read-only, no arguments)" grep -q '"/dpf/info": null' \
	"$TMP/tel-param.json"
check "DPDK's own /ethdev/list still answers beside /dpf/" sh -c \
	"tel() { echo \"\$1\" | timeout 10 dpdk-telemetry.py -f '$PREFIX'; }; tel /ethdev/list | grep -q '\[0, 1\]'"

# --- who changed what
ctl show info >/dev/null
ctl carp demote carp 1 >/dev/null
check "a changing command is logged with the peer's uid and pid" \
	grep -qE '^dpf\[ctl\] level=notice event=command uid=0 pid=[0-9]+ cmd="carp demote carp 1"$' "$TMP/dpf.log"
check "a read-only command is not logged" sh -c "! grep -q 'cmd=\"\\?show' '$TMP/dpf.log'"
ctl carp demote carp -1 >/dev/null

# --- pflog: rotated away, SIGHUP, a new file
udp9() { in_ns "$P-cli" bash -c 'echo x >/dev/udp/198.18.2.2/9'; }
records() { tcpdump -n -e -r "$1" 2>/dev/null | grep -c 'block' || true; }
has_record() { udp9; [ "$(records "$1")" -ge 1 ]; }
wait_for 10 "a pflog record of the blocked UDP packet" has_record "$TMP/pflog.pcap"
mv "$TMP/pflog.pcap" "$TMP/pflog.pcap.1"
n1=$(records "$TMP/pflog.pcap.1")
kill -HUP "$DPF_PID"
wait_for 10 "the reopened pflog file" test -s "$TMP/pflog.pcap"
wait_for 10 "a record in the new pflog file" has_record "$TMP/pflog.pcap"
check "after SIGHUP the records go to a new file, the rotated one keeps its own" sh -c \
	"[ \"\$(tcpdump -n -e -r '$TMP/pflog.pcap' 2>/dev/null | grep -c block)\" -ge 1 ] &&
	 [ \"\$(tcpdump -n -e -r '$TMP/pflog.pcap.1' 2>/dev/null | grep -c block)\" -eq $n1 ] &&
	 grep -q 'event=pflog-reopened file=.* by=SIGHUP' '$TMP/dpf.log'"
check "dpf survives SIGHUP" ctl ping

stop_dpf
check "dpf stops cleanly on SIGTERM" test "$STOP_RC" = 0
wait_for 5 "STOPPING=1" grep -q "STOPPING=1" "$TMP/notify.log"
check "STOPPING=1 sent when dpf stops" grep -q "STOPPING=1" "$TMP/notify.log"
finish
