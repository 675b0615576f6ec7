#!/usr/bin/env bash
# pfsync on the wire: what one dpf node sends on a real sync link, captured
# by a plain Linux peer and decoded field by field by an independent reader
# (tests/interop/pfsync_reader.py, written from OpenBSD's if_pfsync.h and
# pfvar.h) and by tshark.  Needs root, tcpdump, tshark and python3-scapy;
# cleans up its namespaces and processes; every wait is bounded.
#
#   $P-cli 198.18.1.2 -- [lan 198.18.1.1] $P-fw dpf [wan 198.18.2.1] -- 198.18.2.2 $P-srv
#                                          [sync 198.19.0.1/30]
#                                                 |
#                                          $P-peer 198.19.0.2: tcpdump, scapy
#
# Steps: the peer captures (src 198.19.0.1, IP protocol 240) from before dpf
# starts; three TCP connections and a UDP flow go through dpf; the peer asks
# for a bulk update (UPD_REQ id 0 creatorid 0, TTL 255, to 224.0.0.240);
# one state is killed with `dpfctl state kill`; the peer sends an older
# update (UPD_C) of a TCP state and the client a segment far outside that
# state's window, then five more: dpf asks the peer for the state (UPD_REQ),
# at most once a second, the rest counted as ask-limited; a SYN nobody
# answers, then data far past it: dpf asks for that state too; the peer sends garbage (bad
# TTL, bad version), which dpf must count and survive.  Then the reader
# checks the capture (TAP lines passed through): every packet to
# 01:00:5e:00:00:f0 / 224.0.0.240, TTL 255, protocol 240, good checksum,
# pfsync version 6 and a length matching the packet; an INS for each
# connection with dpf's host_id as creatorid and the ids `dpfctl -j show
# states -vv` shows; BUS START, a full UPD of each state, BUS END; a DEL_C
# for the killed state; an UPD_REQ for the asked-for state; and tshark sees IP protocol 240 with a good
# checksum in every packet.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=$HERE/pfsync_probe.py
READER=$HERE/../interop/pfsync_reader.py
P=pw$$
HOSTID=0000f0a1
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
	for ns in fw cli srv peer; do
		for pid in $(ip netns pids "$P-$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	wait 2>/dev/null
	for ns in fw cli srv peer; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
	rundirs_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for ns in fw cli srv peer; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
veth "$P-fw" "$P-l0" "$P-cli" "$P-c0"
veth "$P-fw" "$P-w0" "$P-srv" "$P-s0"
veth "$P-fw" "$P-y0" "$P-peer" "$P-p0"
in_ns "$P-cli" ip addr add 198.18.1.2/24 dev "$P-c0"
in_ns "$P-cli" ip route add default via 198.18.1.1
in_ns "$P-srv" ip addr add 198.18.2.2/24 dev "$P-s0"
in_ns "$P-srv" ip route add default via 198.18.2.1
in_ns "$P-peer" ip addr add "$PEER_IP/30" dev "$P-p0"

{
	sync_node_json "$P-fw" "$HOSTID" "$SOCK" "0-1" 100 "$P-l0" "$P-w0" "$P-y0" 198.18.1.1 198.18.2.1 "$SYNC_IP"
	cat <<JSON
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto tcp from 198.18.1.0/24 to 198.18.2.0/24 flags S/SA keep state",
    "pass inet proto udp from 198.18.1.0/24 to 198.18.2.0/24 keep state"
  ],
  "sync": { "interface": "sync" }
}
JSON
} >"$TMP/dpf.json"

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

# --- the capture, then dpf ----------------------------------------------------------
ip netns exec "$P-peer" tcpdump -i "$P-p0" -n -U -Z root -w "$TMP/cap.pcap" \
	"ip proto 240 and src host $SYNC_IP" 2>"$TMP/tcpdump.err" &
CAP_PID=$!
wait_for 10 "tcpdump to listen" capturing "$TMP/tcpdump.err" ||
	{ echo "Bail out! tcpdump did not start"; exit 1; }
if dpf_start; then ok "dpf starts with a sync section (host_id 0x$HOSTID)"; else
	notok "dpf starts with a sync section"; finish; exit 1
fi
check "show pfsync: interface sync, peer 224.0.0.240" \
	eval '[ "$(pf_get interface)" = sync ] && [ "$(pf_get peer)" = 224.0.0.240 ]'

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

# --- a bulk request from the peer -----------------------------------------------------
bulks=$(pf_get dpf.bulk-sends || echo 0)
in_ns "$P-peer" "$PY" "$PROBE" bulk-req "$P-p0" "$PEER_IP" >"$TMP/bulkreq.out" 2>&1 ||
	diag "bulk-req: $(tail -2 "$TMP/bulkreq.out")"
check "the peer's bulk request answered: a bulk send done, BUS sent twice" wait_for 10 \
	"the bulk send" eval 'pf_at_least dpf.bulk-sends $((bulks + 1)) &&
		[ "$(pf_get bulk_send.active)" = false ] && pf_at_least sent.bus 2'

# --- a state killed on dpf --------------------------------------------------------------
killed=$("$PY" "$PROBE" states-find "$TMP/states.before.json" udp 41010)
delc=$(pf_get sent.del_c || echo 0)
check "dpfctl state kill id $killed" ctl state kill id "$killed"
check "the killed state is gone and its DEL_C sent" wait_for 5 "DEL_C" \
	eval 'pf_at_least sent.del_c $((delc + 1)) && states_json &&
		! "$PY" "$PROBE" states-has "$TMP/states.json" "$killed"'

# --- a segment dropped against the peer's view: dpf asks the peer for it -------------------
# The peer sends an update (UPD_C) of one of dpf's TCP states, older than
# dpf's view: the state's view is now in part the peer's, as when the peer
# forwards some of its packets.  A segment far outside its windows is then
# dropped as a state mismatch, and dpf asks the peer for its view (an
# UPD_REQ naming the state: state_event.h ASK), once a second at most.
info_find() { # KEY: a counter of `dpfctl -j show info -v`, found by name
	ctl -t 3 -j show info -v >"$TMP/info.json" 2>/dev/null &&
		"$PY" "$HERE/split_probe.py" json-find "$TMP/info.json" "$1"
}
asked=$("$PY" "$PROBE" states-find "$TMP/states.before.json" tcp 41002)
far=$("$PY" -c 'import json, sys
s = [x for x in json.load(open(sys.argv[1])) if x["proto"] == "tcp" and x["src_port"] == 41002]
print(s[0]["peers"][0]["seqlo"] + (1 << 30))' "$TMP/states.before.json")
stale0=$(pf_get stats.stale || echo 0)
in_ns "$P-peer" "$PY" "$PROBE" upd-c "$P-p0" "$PEER_IP" "$asked" >"$TMP/updc.out" 2>&1 ||
	diag "upd-c: $(tail -2 "$TMP/updc.out")"
check "the peer's older update of $asked merged (stats.stale +1: dpf's view is newer)" \
	wait_for 5 "the merge" pf_at_least stats.stale $((stale0 + 1))
mm0=$(info_find state-mismatch || echo 0)
req0=$(pf_get dpf.upd-req-stale || echo 0)
lim0=$(info_find ask_limited || echo 0)
in_ns "$P-cli" "$PY" "$PROBE" tcp-stray "$P-c0" 198.18.1.2 198.18.2.2 41002 7001 "$far" 1 \
	>"$TMP/stray.out" 2>&1 || diag "tcp-stray: $(tail -2 "$TMP/stray.out")"
check "a segment 1 GiB ahead of its window: dropped as a state mismatch, and dpf asks the peer (upd-req-stale +1)" \
	wait_for 5 "the request" eval '[ "$(info_find state-mismatch)" -ge $((mm0 + 1)) ] &&
		pf_at_least dpf.upd-req-stale $((req0 + 1))'
req1=$(pf_get dpf.upd-req-stale || echo 0)
in_ns "$P-cli" "$PY" "$PROBE" tcp-stray "$P-c0" 198.18.1.2 198.18.2.2 41002 7001 "$far" 5 \
	>"$TMP/stray.out" 2>&1 || diag "tcp-stray: $(tail -2 "$TMP/stray.out")"
asks_limited() {
	local m r l
	m=$(info_find state-mismatch) && r=$(pf_get dpf.upd-req-stale) && l=$(info_find ask_limited) ||
		return 1
	echo "state-mismatch +$((m - mm0)), upd-req-stale +$((r - req0)), ask-limited +$((l - lim0))"
	[ "$m" -ge $((mm0 + 6)) ] && [ "$r" -le $((req1 + 1)) ] && [ $(((r - req1) + (l - lim0))) -eq 5 ]
}
check "5 more in one go, within a second: dropped, at most one more request, the rest counted as ask-limited" \
	wait_for 5 "the drops" asks_limited
diag "$(asks_limited)"
# A state dpf made whose other side it never saw, as when the peer forwards
# that side and its report of it was lost: a SYN to an address nobody
# answers (198.18.2.99) makes the state; data 1 GiB past the SYN is dropped
# against dpf's view alone, and dpf asks the peer for its own.
mm1=$(info_find state-mismatch || echo 0)
req2=$(pf_get dpf.upd-req-stale || echo 0)
in_ns "$P-cli" "$PY" "$PROBE" tcp-stray "$P-c0" 198.18.1.2 198.18.2.99 41077 7002 1000 1 S \
	>"$TMP/stray.out" 2>&1 || diag "tcp-stray: $(tail -2 "$TMP/stray.out")"
in_ns "$P-cli" "$PY" "$PROBE" tcp-stray "$P-c0" 198.18.1.2 198.18.2.99 41077 7002 \
	$((1000 + (1 << 30))) 1 >"$TMP/stray.out" 2>&1 || diag "tcp-stray: $(tail -2 "$TMP/stray.out")"
check "data 1 GiB past a SYN whose answer dpf never saw: a state mismatch (not a rule's block), and dpf asks the peer (upd-req-stale +1)" \
	wait_for 5 "the request" eval '[ "$(info_find state-mismatch)" -ge $((mm1 + 1)) ] &&
		pf_at_least dpf.upd-req-stale $((req2 + 1))'

# --- garbage from the peer ----------------------------------------------------------------
badttl=$(pf_get stats.badttl || echo 0)
badver=$(pf_get stats.badver || echo 0)
in_ns "$P-peer" "$PY" "$PROBE" garbage "$P-p0" "$PEER_IP" 3 >"$TMP/garbage.out" 2>&1 ||
	diag "garbage: $(tail -2 "$TMP/garbage.out")"
check "garbage counted: stats.badttl +3 (TTL 64), stats.badver +3 (version 5)" wait_for 5 \
	"the counters" eval 'pf_at_least stats.badttl $((badttl + 3)) &&
		pf_at_least stats.badver $((badver + 3))'
check "dpf still runs and answers" eval 'kill -0 $DPF_PID && ctl ping'

# --- the capture, decoded -----------------------------------------------------------------
# Let the last records leave (flush_us is 1 ms), then stop tcpdump; SIGINT
# makes it write out what it holds.
queues_empty() {
	pf_get queued >/dev/null && "$PY" -c 'import json, sys
q = json.load(open(sys.argv[1]))["queued"]
print(q); sys.exit(0 if not any(q.values()) else 1)' "$TMP/pfsync.json"
}
wait_for 3 "the send queues to empty" queues_empty || :
stop_pid "$CAP_PID" INT
CAP_PID=
"$PY" - "$TMP/states.before.json" "$TMP/expect.json" "$SYNC_IP" "$HOSTID" "$killed" "$asked" <<'PY'
import json, sys
st = [x for x in json.load(open(sys.argv[1])) if x["proto"] in ("tcp", "udp")]
json.dump({"src": sys.argv[3], "hostid": sys.argv[4], "mtu": 1500, "bulk": True,
           "killed": sys.argv[5], "asked": sys.argv[6], "states": st}, open(sys.argv[2], "w"))
PY
diag "captured $(tshark -r "$TMP/cap.pcap" 2>/dev/null | wc -l) packets from dpf"
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
