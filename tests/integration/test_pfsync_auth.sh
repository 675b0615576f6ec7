#!/usr/bin/env bash
# Authenticated pfsync (sync.key_file, dpf's own option; docs/pfsync.md,
# "Authentication") on a real sync link.  The peer is Python: it builds
# and checks keyed packets with hmac/hashlib from the documented layout
# (tests/integration/pfsync_auth_probe.py), never with dpf's code.  Needs
# root, tcpdump, tshark and python3-scapy; cleans up its namespaces and
# processes; every wait is bounded.
#
#   $P-cli 198.18.1.2 -- [lan 198.18.1.1] $P-fw dpf [wan 198.18.2.1] -- 198.18.2.2 $P-srv
#                                          [sync 198.19.0.1/30]
#                                                 |
#                                          $P-peer 198.19.0.2: tcpdump, scapy
#
# Steps: `dpf -n` refuses a key file others can read and never prints the
# key; dpf starts keyed (show pfsync: auth on, the key id); a keyed INS
# from the peer is applied; an INS under a wrong key, an unkeyed (v6) one
# and a replay of the first are not (badauth, badauth, replay; no state);
# then every packet dpf sent (its bulk requests and the INS of a UDP flow
# through it) is checked: keyed, the MAC right, the sequence rising, and
# an unkeyed reader would drop it; tshark sees IP protocol 240 with good
# checksums.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=$HERE/pfsync_probe.py
AUTH=$HERE/pfsync_auth_probe.py
P=pa$$
HOSTID=0000f0a2
SYNC_IP=198.19.0.1
PEER_IP=198.19.0.2
PEER_ID=0x77
DPF_PID=
CAP_PID=

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (namespaces)"; exit 0; fi
for t in tcpdump tshark openssl "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
"$PY" -c 'import scapy' 2>/dev/null || { echo "1..0 # SKIP python3-scapy not installed"; exit 0; }

TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
SOCK=$TMP/dpf.sock

cleanup() {
	local pid ns
	exec 2>/dev/null
	[ -n "$CAP_PID" ] && kill -9 "$CAP_PID" 2>/dev/null
	[ -n "$DPF_PID" ] && kill -9 "$DPF_PID" 2>/dev/null
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

(umask 077 && openssl rand -hex 32 >"$TMP/sync.key" && openssl rand -hex 32 >"$TMP/wrong.key")
KEY=$(cat "$TMP/sync.key")
WRONG=$(cat "$TMP/wrong.key")

write_conf() { # KEYFILE OUT
	{
		sync_node_json "$P-fw" "$HOSTID" "$SOCK" "0-1" 100 "$P-l0" "$P-w0" "$P-y0" 198.18.1.1 198.18.2.1 "$SYNC_IP"
		cat <<JSON
  "rules": [
    "pass quick on sync proto pfsync keep state (no-sync)",
    "pass inet proto udp from 198.18.1.0/24 to 198.18.2.0/24 keep state"
  ],
  "sync": { "interface": "sync", "key_file": "$1" }
}
JSON
	} >"$2"
}

# --- the key file, checked by dpf -n ------------------------------------------------
write_conf "$TMP/sync.key" "$TMP/dpf.json"
cp "$TMP/sync.key" "$TMP/open.key" && chmod 644 "$TMP/open.key"
write_conf "$TMP/open.key" "$TMP/open.json"
check "dpf -n refuses a key file group or others can read, at sync.key_file" \
	eval '! "$DPF" -n -c "$TMP/open.json" >"$TMP/n.out" 2>&1 &&
		grep "sync.key_file" "$TMP/n.out" | grep -q "chmod 600" || { cat "$TMP/n.out"; false; }'
check "dpf -n accepts the 0600 key file, prints its path and never the key" \
	eval '"$DPF" -n -c "$TMP/dpf.json" >"$TMP/n.out" 2>&1 &&
		grep -q "\"key_file\": \"$TMP/sync.key\"" "$TMP/n.out" && ! grep -qi "$KEY" "$TMP/n.out"'

for ns in fw cli srv peer; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
veth "$P-fw" "$P-l0" "$P-cli" "$P-c0"
veth "$P-fw" "$P-w0" "$P-srv" "$P-s0"
veth "$P-fw" "$P-y0" "$P-peer" "$P-p0"
in_ns "$P-cli" ip addr add 198.18.1.2/24 dev "$P-c0"
in_ns "$P-cli" ip route add default via 198.18.1.1
in_ns "$P-srv" ip addr add 198.18.2.2/24 dev "$P-s0"
in_ns "$P-srv" ip route add default via 198.18.2.1
in_ns "$P-peer" ip addr add "$PEER_IP/30" dev "$P-p0"

pf_get() { # PATH: a field of `dpfctl -j show pfsync`
	ctl -t 3 -j show pfsync >"$TMP/pfsync.json" 2>/dev/null &&
		"$PY" "$PROBE" json-get "$TMP/pfsync.json" "$1"
}
pf_at_least() { local v; v=$(pf_get "$1") && [ "$v" -ge "$2" ]; }
has_state() { # ID/CREATORID
	ctl -t 3 -j show states -vv >"$TMP/states.json" 2>/dev/null &&
		"$PY" "$PROBE" states-has "$TMP/states.json" "$1"
}
peer() { in_ns "$P-peer" "$PY" "$AUTH" "$@" >>"$TMP/peer.out" 2>&1 || diag "peer $*: failed"; }
EPOCH=$(date +%s)
seq_n() { printf '0x%x' $(((EPOCH << 32) | $1)); }

# --- dpf, keyed -------------------------------------------------------------------------
ip netns exec "$P-peer" tcpdump -i "$P-p0" -n -U -Z root -w "$TMP/cap.pcap" \
	"ip proto 240 and src host $SYNC_IP" 2>"$TMP/tcpdump.err" &
CAP_PID=$!
wait_for 10 "tcpdump to listen" capturing "$TMP/tcpdump.err" ||
	{ echo "Bail out! tcpdump did not start"; exit 1; }
if dpf_start; then ok "dpf starts with sync.key_file"; else
	notok "dpf starts with sync.key_file"; finish; exit 1
fi
KEYID=$("$PY" -c 'import hashlib, sys
print("0x" + hashlib.sha256(bytes.fromhex(sys.argv[1])).digest()[:4].hex())' "$KEY")
check "show pfsync: auth on, key id $KEYID (SHA-256 of the key), the key not shown" \
	eval '[ "$(pf_get auth.enabled)" = true ] && [ "$(pf_get auth.keyid)" = "$KEYID" ] &&
		! ctl show pfsync | grep -qi "$KEY" && ctl show pfsync | grep -q "auth on"'

# --- what the peer sends ------------------------------------------------------------------
peer send "$P-p0" "$PEER_IP" "$KEY" "$PEER_ID" "$(seq_n 10)" 0x501 "$TMP/first.frame"
check "a keyed INS from the peer is applied (state 0000000000000501/00000077)" \
	wait_for 5 "the state" has_state 0000000000000501/00000077

badauth=$(pf_get stats.badauth || echo 0)
peer send "$P-p0" "$PEER_IP" "$WRONG" "$PEER_ID" "$(seq_n 11)" 0x502 "$TMP/wrong.frame"
check "an INS under a wrong key: badauth +1" wait_for 5 "badauth" \
	pf_at_least stats.badauth $((badauth + 1))
peer plain "$P-p0" "$PEER_IP" 0x503
check "an unkeyed (OpenBSD v6) INS: badauth +1" wait_for 5 "badauth" \
	pf_at_least stats.badauth $((badauth + 2))

check "dpfctl state kill id 501/77" ctl state kill id 0000000000000501/00000077
check "the state is gone" wait_for 5 "the kill" eval '! has_state 0000000000000501/00000077'
replay=$(pf_get dpf.replay || echo 0)
peer replay "$P-p0" "$TMP/first.frame"
check "the first INS replayed: replay +1" wait_for 5 "replay" pf_at_least dpf.replay $((replay + 1))
# The same record under a valid MAC but an old sequence number is a replay too.
peer send "$P-p0" "$PEER_IP" "$KEY" "$PEER_ID" "$(seq_n 9)" 0x504 "$TMP/old.frame"
check "a keyed INS with an older sequence number: replay +2" wait_for 5 "replay" \
	pf_at_least dpf.replay $((replay + 2))
check "none of them applied: states 502, 503, 504 absent, 501 not back" \
	eval 'for s in 501 502 503 504; do ! has_state 0000000000000$s/00000077 || exit 1; done'
check "dpf still runs and answers" eval 'kill -0 $DPF_PID && ctl ping'
peer send "$P-p0" "$PEER_IP" "$KEY" "$PEER_ID" "$(seq_n 12)" 0x505 "$TMP/next.frame"
check "a keyed INS with the next sequence number is applied again" \
	wait_for 5 "the state" has_state 0000000000000505/00000077

# --- what dpf sends -------------------------------------------------------------------------
ins=$(pf_get sent.ins || echo 0)
in_ns "$P-cli" "$PY" "$PROBE" udp-once 198.18.2.2 7002 41010
check "a UDP flow through dpf: its INS sent" wait_for 10 "INS sent" pf_at_least sent.ins $((ins + 1))
captured_all() { # tcpdump -U writes each packet as it comes
	local sent n
	sent=$(pf_get stats.opackets) &&
		n=$(tcpdump -r "$TMP/cap.pcap" 2>/dev/null | wc -l) && [ "$n" -ge "$sent" ]
}
wait_for 5 "the capture to hold every packet dpf sent" captured_all || :
stop_pid "$CAP_PID" INT
CAP_PID=
diag "captured $(tshark -r "$TMP/cap.pcap" 2>/dev/null | wc -l) packets from dpf"
"$PY" "$AUTH" capture "$TMP/cap.pcap" "$KEY" "$SYNC_IP" "$HOSTID" >"$TMP/reader.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "capture: ${line#ok * - }" ;;
	"not ok "*) notok "capture: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	*Error*|Traceback*) notok "capture: $line" ;;
	esac
done <"$TMP/reader.out"
[ -s "$TMP/peer.out" ] && sed 's/^/# peer: /' "$TMP/peer.out" | tail -5
stop_dpf
check "dpf exits cleanly on SIGTERM" eval '[ "$STOP_RC" = 0 ]'
finish
