#!/usr/bin/env bash
# pfsync through the workers' punt path: the sync interface is an 802.1Q
# VLAN of a port that also carries data, on a PMD that cannot steer IP
# protocol 240 to the control core's queue (net_af_packet cannot), so pfsync
# reaches the control core the way all traffic to the appliance does.  The
# peer is scapy speaking tagged frames on the WAN host's link (this kernel
# may lack 802.1Q), captured with tcpdump and decoded by the independent
# reader (tests/interop/pfsync_reader.py).  Needs root, tcpdump, tshark and
# python3-scapy; cleans up its namespaces and processes; every wait is
# bounded.  The own-port path is test_pfsync_wire.sh.
#
#   $P-cli 198.18.1.2 -- [lan 198.18.1.1, p0] $P-fw dpf [p1: wan 198.18.2.1,
#                                                      sync VLAN 300 198.19.0.1/30]
#                                                             |
#              $P-srv: 198.18.2.2 untagged (kernel); peer 198.19.0.2 on VLAN 300
#                      (scapy, tcpdump)
#
# Checks: dpf says at start that p1 cannot steer protocol 240 and that
# pfsync arrives through the workers, and `show pfsync` says "worker
# punt"; dpf's INS for three TCP connections and a UDP flow leave tagged;
# a tagged bulk request is answered (BUS START, a full UPD of each state,
# BUS END); a tagged INS from the peer becomes a state with the peer's
# creatorid; an untagged pfsync packet on the same port arrives on "wan"
# and is refused (badif); tagged garbage is counted and dpf carries on;
# every tagged packet of the peer is counted as having come through the
# data path (dpf.punted + dpf.rx-shared); the reader checks the capture:
# every frame tagged VLAN 300, INS of each flow, the bulk.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=$HERE/pfsync_probe.py
READER=$HERE/../interop/pfsync_reader.py
P=pp$$
HOSTID=0000f0a2
PEER_HOSTID=0000b0b0
VLAN=300
SYNC_IP=198.19.0.1
PEER_IP=198.19.0.2
DPF_PID=
CAP_PID=
BG=()

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (namespaces)"; exit 0; fi
for t in tcpdump tshark "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
"$PY" -c 'import scapy' 2>/dev/null || { echo "1..0 # SKIP python3-scapy not installed"; exit 0; }

TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
SOCK=$TMP/dpf.sock

cleanup() {
	local pid ns
	exec 2>/dev/null	# no "Killed" job notices from the helpers below
	[ -n "$CAP_PID" ] && kill -9 "$CAP_PID" 2>/dev/null
	[ -n "$DPF_PID" ] && kill -9 "$DPF_PID" 2>/dev/null
	for pid in "${BG[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for ns in fw cli srv; do
		for pid in $(ip netns pids "$P-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	wait 2>/dev/null
	for ns in fw cli srv; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
	rundirs_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for ns in fw cli srv; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
veth "$P-fw" "$P-l0" "$P-cli" "$P-c0"
veth "$P-fw" "$P-w0" "$P-srv" "$P-s0"
in_ns "$P-cli" ip addr add 198.18.1.2/24 dev "$P-c0"
in_ns "$P-cli" ip route add default via 198.18.1.1
in_ns "$P-srv" ip addr add 198.18.2.2/24 dev "$P-s0"
in_ns "$P-srv" ip route add default via 198.18.2.1

cat >"$TMP/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P-fw", "host_id": "0x$HOSTID",
              "control": { "socket": "$SOCK" } },
  "dataplane": {
    "eal": { "lcores": "0-1", "no_huge": true, "memory_mb": 512, "in_memory": true,
             "file_prefix": "$P-fw",
             "args": [ "--vdev=net_af_packet0,iface=$P-l0", "--vdev=net_af_packet1,iface=$P-w0",
                       "--no-pci", "--log-level=lib.eal:error" ] },
    "workers": 1, "idle_sleep_us": 100,
    "ports": [ { "name": "p0", "device": "net_af_packet0" },
               { "name": "p1", "device": "net_af_packet1" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.1/24" ] },
    { "name": "sync", "port": "p1", "vlan": $VLAN, "ipv4": [ "$SYNC_IP/30" ] }
  ],
  "options": { "default": "block" },
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto tcp from 198.18.1.0/24 to 198.18.2.0/24 flags S/SA keep state",
    "pass inet proto udp from 198.18.1.0/24 to 198.18.2.0/24 keep state"
  ],
  "sync": { "interface": "sync" }
}
JSON

pf_get() { # PATH: a field of `dpfctl -j show pfsync`
	ctl -t 3 -j show pfsync >"$TMP/pfsync.json" 2>/dev/null &&
		"$PY" "$PROBE" json-get "$TMP/pfsync.json" "$1"
}
pf_at_least() { local v; v=$(pf_get "$1") && [ "$v" -ge "$2" ]; }
states_json() { ctl -t 3 -j show states -vv >"$TMP/states.json" 2>/dev/null; }
# n_flows N: the three TCP connections ESTABLISHED and the UDP flow, N states in all.
n_flows() {
	states_json && "$PY" - "$TMP/states.json" "$1" <<'PY'
import json, sys
s = [x for x in json.load(open(sys.argv[1])) if x["proto"] in ("tcp", "udp")]
tcp = [x for x in s if x["proto"] == "tcp" and x["dst_port"] == 7001 and
       all(p["state"] == "ESTABLISHED" for p in x["peers"])]
udp = [x for x in s if x["proto"] == "udp" and x["dst_port"] == 7002]
print(len(tcp), "TCP established,", len(udp), "UDP")
sys.exit(0 if len(tcp) == 3 and len(udp) == 1 and len(s) == int(sys.argv[2]) else 1)
PY
}
# peer_state ID: the peer's INS is a state here: that id, the peer's
# creatorid, its flow, between lan and wan (the routes to its two ends).
peer_state() {
	states_json && "$PY" - "$TMP/states.json" "$1" "$PEER_HOSTID" <<'PY'
import json, sys
s = [x for x in json.load(open(sys.argv[1])) if x["id"] == sys.argv[2]]
print(json.dumps(s))
sys.exit(0 if len(s) == 1 and s[0]["creatorid"] == sys.argv[3] and s[0]["proto"] == "udp"
         and (s[0]["src"], s[0]["src_port"], s[0]["dst"], s[0]["dst_port"]) ==
         ("198.18.1.77", 42000, "198.18.2.77", 7003)
         and {s[0]["in"], s[0]["out"]} == {"lan", "wan"} else 1)
PY
}
# peer: the pfsync peer's scapy, in the WAN host's namespace.
peer() { in_ns "$P-srv" "$PY" "$PROBE" "$@" >>"$TMP/peer.out" 2>&1 || diag "peer $1 failed: $(tail -2 "$TMP/peer.out")"; }
PEER_TAGGED=0	# tagged pfsync packets the peer sent from a good source

# --- the capture, then dpf ----------------------------------------------------------
ip netns exec "$P-srv" tcpdump -i "$P-s0" -n -U -Z root -w "$TMP/cap.pcap" \
	"vlan $VLAN and ip proto 240 and src host $SYNC_IP" 2>"$TMP/tcpdump.err" &
CAP_PID=$!
wait_for 10 "tcpdump to listen" capturing "$TMP/tcpdump.err" ||
	{ echo "Bail out! tcpdump did not start"; exit 1; }
if dpf_start; then ok "dpf starts with sync on VLAN $VLAN of the data port p1"; else
	notok "dpf starts with sync on a VLAN of a data port"; finish; exit 1
fi
check "start log: p1 cannot steer IP protocol 240, pfsync arrives through the workers" \
	grep -E "^dpf\[pfsync\] level=notice event=sync-via-workers port=p1 proto=240 error=.+$" "$TMP/dpf.log"
check "start log: pfsync on sync (worker punt)" \
	grep -F "event=sync-started iface=sync path=\"worker punt\" peer=224.0.0.240 hostid=0x$HOSTID" "$TMP/dpf.log"
check "show pfsync: interface sync, path \"worker punt\"" \
	eval '[ "$(pf_get interface)" = sync ] && [ "$(pf_get path)" = "worker punt" ]'
check "show pfsync (text) names the path" \
	eval 'ctl show pfsync | grep -q "worker punt"'

# --- connections through dpf -----------------------------------------------------------
ip netns exec "$P-srv" "$PY" -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7001)); s.listen(8); s.settimeout(60); held = []
try:
    while len(held) < 3:
        held.append(s.accept()[0])
    time.sleep(60)
except OSError:
    pass' &
BG+=($!)
wait_for 10 "the server to listen" tcp_listening "$P-srv" 7001
ip netns exec "$P-cli" "$PY" -c '
import socket, time
held = []
for port in (41001, 41002, 41003):
    c = socket.create_connection(("198.18.2.2", 7001), timeout=10,
                                 source_address=("0.0.0.0", port))
    c.sendall(b"x"); held.append(c)
time.sleep(60)' &
BG+=($!)
in_ns "$P-cli" "$PY" "$PROBE" udp-once 198.18.2.2 7002 41010
check "three TCP connections and a UDP flow: 4 states on dpf" wait_for 15 "the states" n_flows 4
cp "$TMP/states.json" "$TMP/states.before.json"
check "dpf sent their INS records (sent.ins >= 4)" wait_for 5 "INS sent" pf_at_least sent.ins 4

# --- a tagged bulk request from the peer ------------------------------------------------
bulks=$(pf_get dpf.bulk-sends || echo 0)
peer bulk-req "$P-s0" "$PEER_IP" 224.0.0.240 "$VLAN"
PEER_TAGGED=$((PEER_TAGGED + 1))
check "the peer's tagged bulk request answered: a bulk send done, BUS sent twice" wait_for 10 \
	"the bulk send" eval 'pf_at_least dpf.bulk-sends $((bulks + 1)) &&
		[ "$(pf_get bulk_send.active)" = false ] && pf_at_least sent.bus 2'

# --- a tagged INS from the peer ---------------------------------------------------------
PEER_ID=5eed0000000000a1
peer ins "$P-s0" "$PEER_IP" "$VLAN" "$PEER_ID" "$PEER_HOSTID" 198.18.1.77:42000 198.18.2.77:7003
PEER_TAGGED=$((PEER_TAGGED + 1))
check "the peer's tagged INS applied: state $PEER_ID creatorid $PEER_HOSTID, lan/wan" \
	wait_for 5 "the peer's state" peer_state "$PEER_ID"
check "received.ins counts it" pf_at_least received.ins 1

# --- an untagged pfsync packet on the same port: it arrives on wan -----------------------
badif=$(pf_get stats.badif || echo 0)
peer bulk-req "$P-s0" "$PEER_IP" 224.0.0.240 0
check "an untagged pfsync packet on p1 arrives on wan: stats.badif +1" wait_for 5 \
	"badif" pf_at_least stats.badif $((badif + 1))

# --- tagged garbage from the peer -------------------------------------------------------
badttl=$(pf_get stats.badttl || echo 0)
badver=$(pf_get stats.badver || echo 0)
peer garbage "$P-s0" "$PEER_IP" 3 "$VLAN"
PEER_TAGGED=$((PEER_TAGGED + 15))	# 3 of each of garbage's 5 kinds
check "tagged garbage counted: stats.badttl +3 (TTL 64), stats.badver +3 (version 5)" \
	wait_for 5 "the counters" eval 'pf_at_least stats.badttl $((badttl + 3)) &&
		pf_at_least stats.badver $((badver + 3))'
check "dpf still runs and answers" eval 'kill -0 $DPF_PID && ctl ping'

# --- the data path counted them -----------------------------------------------------------
# Every tagged packet from the peer's address reached pfsync through the
# data port: on a worker's punt ring (punted) or, where the kernel's
# fanout hash put it, on the control core's own queue of p1 (rx-shared).
via_data_path() {
	local p s i
	p=$(pf_get dpf.punted) && s=$(pf_get dpf.rx-shared) && i=$(pf_get stats.ipackets) || return 1
	echo "punted $p, rx-shared $s, ipackets $i; the peer sent $PEER_TAGGED tagged"
	[ $((p + s)) -eq "$PEER_TAGGED" ] && [ "$i" -eq "$PEER_TAGGED" ]
}
check "show pfsync: punted + rx-shared = ipackets = the $PEER_TAGGED tagged packets the peer sent" \
	wait_for 3 "the data path counters" via_data_path
diag "$(via_data_path)"
check "show pfsync (text) lists punted and rx-shared" \
	eval 'ctl show pfsync >"$TMP/pfsync.txt" && grep -Eq "^[[:space:]]+[0-9]+ punted$" "$TMP/pfsync.txt" &&
		grep -Eq "^[[:space:]]+[0-9]+ rx-shared$" "$TMP/pfsync.txt"'

# --- the capture, decoded -----------------------------------------------------------------
queues_empty() {
	pf_get queued >/dev/null && "$PY" -c 'import json, sys
q = json.load(open(sys.argv[1]))["queued"]
print(q); sys.exit(0 if not any(q.values()) else 1)' "$TMP/pfsync.json"
}
wait_for 3 "the send queues to empty" queues_empty || :
stop_pid "$CAP_PID" INT
CAP_PID=
"$PY" - "$TMP/states.before.json" "$TMP/expect.json" "$SYNC_IP" "$HOSTID" "$VLAN" <<'PY'
import json, sys
st = [x for x in json.load(open(sys.argv[1])) if x["proto"] in ("tcp", "udp")]
json.dump({"src": sys.argv[3], "hostid": sys.argv[4], "mtu": 1500, "bulk": True,
           "vlan": int(sys.argv[5]), "states": st}, open(sys.argv[2], "w"))
PY
diag "captured $(tshark -r "$TMP/cap.pcap" 2>/dev/null | wc -l) tagged packets from dpf"
"$PY" "$READER" capture "$TMP/cap.pcap" "$TMP/expect.json" >"$TMP/reader.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "reader: ${line#ok * - }" ;;
	"not ok "*) notok "reader: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	"Bail out!"*) notok "reader: ${line#Bail out! }" ;;
	esac
done <"$TMP/reader.out"
check "dpf still runs at the end" eval 'kill -0 $DPF_PID'
stop_dpf
check "dpf exits cleanly on SIGTERM" eval '[ "$STOP_RC" = 0 ]'
finish
