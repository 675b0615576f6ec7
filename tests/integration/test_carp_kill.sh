#!/usr/bin/env bash
# A large `state kill` on a CARP MASTER with fast adverts: the control core
# must keep advertising while the worker removes the states.  Needs root;
# cleans up.
#
#   net_pcap0 (lan, 198.18.1.1/24): replays flows.pcap once, N distinct UDP
#       flows 198.18.1.x -> 198.19.0.0/16 (tools/bench/gen_pcap.py write_many),
#       so the worker makes N states in well under a second
#   $P-fw [w0 wan 198.18.2.11/24, vhid 1: 198.18.2.1] -- [g0 198.18.2.2] $P-gw
#       the gateway of 198.19.0.0/16, and where tcpdump watches the adverts
#
# advbase 0 / advskew 16: an advert every 16/256 s = 62.5 ms, master-down
# 187.5 ms [OpenBSD ip_carp.c carp_setrun].  Before the requests of
# dataplane/filter_cmd.h, `state kill` held the control core in a bounded
# busy wait until every worker had finished (dp_cmd_run(), up to 2 s), and
# no advert left meanwhile; a kill longer than master-down made the backup
# take over.  Checks: every state made, `killed N states` (dpfctl output
# unchanged), the longest gap between adverts around the kill within one
# interval plus CK_MARGIN_MS, CARP still MASTER with no transition, the
# control socket answering during the kill, and the state events the kill
# and the inserts made (show info -j).  Numbers are printed as "# ...".
. "$(dirname "$0")/lib.sh"

N=${CK_STATES:-100000}
ADVSKEW=${CK_ADVSKEW:-16}
MARGIN_MS=${CK_MARGIN_MS:-30}
INTERVAL_MS=$(awk -v s="$ADVSKEW" 'BEGIN { printf "%.1f", s * 1000 / 256 }')
HERE=$(cd "$(dirname "$0")" && pwd)

P=ck$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
SOCK=$TMP/dpf.sock
DUMPPID=

cleanup() {
	[ -n "$DUMPPID" ] && kill "$DUMPPID" 2>/dev/null
	if [ -n "${DPF_PID:-}" ]; then
		kill "$DPF_PID" 2>/dev/null
		(sleep 10; kill -9 "$DPF_PID" 2>/dev/null) &
		wait "$DPF_PID" 2>/dev/null
	fi
	for ns in fw gw; do ip netns del "$P-$ns" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
	rundirs_cleanup
}
trap cleanup EXIT

for ns in fw gw; do ip netns add "$P-$ns"; in_ns "$P-$ns" ip link set lo up; done
ip link add "$P-w0" type veth peer name "$P-g0"
ip link set "$P-w0" netns "$P-fw"
ip link set "$P-g0" netns "$P-gw"
in_ns "$P-fw" sysctl -qw "net.ipv6.conf.$P-w0.disable_ipv6=1"
in_ns "$P-gw" sysctl -qw "net.ipv6.conf.$P-g0.disable_ipv6=1"
for x in "fw w0" "gw g0"; do
	set -- $x
	in_ns "$P-$1" ip link set "$P-$2" up
	in_ns "$P-$1" ethtool -K "$P-$2" tx off tso off gso off gro off >/dev/null 2>&1
done
in_ns "$P-gw" ip addr add 198.18.2.2/24 dev "$P-g0"

# The flows, to dpf's net_pcap MAC (net_pcap numbers its ports
# 02:70:63:61:70:NN in probe order; it is the only one).
"$PY" - "$HERE/../../tools/bench" "$TMP" "$N" <<'PY' || { notok "cannot write the pcaps"; finish; exit 1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
import gen_pcap
gen_pcap.write_many(sys.argv[2] + "/flows.pcap", "02:70:63:61:70:00", int(sys.argv[3]))
with open(sys.argv[2] + "/empty.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
PY

# limits.states as in docs/config.md's example (1,000,000): the kill walks every record of
# the table, 2.5M here, not only the N live states.
cat >"$TMP/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P", "control": { "socket": "$SOCK" } },
  "dataplane": {
    "eal": { "lcores": "0-1", "no_huge": true, "memory_mb": 1536, "in_memory": true,
             "file_prefix": "$P",
             "args": [ "--vdev=net_pcap0,rx_pcap=$TMP/flows.pcap,rx_pcap=$TMP/empty.pcap",
                       "--vdev=net_af_packet0,iface=$P-w0",
                       "--log-level=lib.eal:error" ] },
    "workers": 1, "idle_sleep_us": 100,
    "ports": [ { "name": "p0", "device": "net_pcap0" },
               { "name": "p1", "device": "net_af_packet0" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.11/24" ] }
  ],
  "routes": [ { "prefix": "198.19.0.0/16", "via": "198.18.2.2" } ],
  "limits": { "states": 1000000 },
  "timeouts": { "udp.first": 600 },
  "rules": [ "pass all" ],
  "carp": { "vhids": [ { "vhid": 1, "interface": "wan", "advbase": 0, "advskew": $ADVSKEW,
                         "pass": "s3cret", "addresses": [ "198.18.2.1" ] } ] }
}
JSON

# jget PATH...: a value from `dpfctl -j show info` (states.current ...).
jget() {
	ctl -j show info 2>/dev/null | "$PY" -c '
import json, sys
x = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    x = x[k]
print(x)' "$1"
}
carp_get() { # FIELD of vhid 1 in `dpfctl -j show carp`
	ctl -j show carp 2>/dev/null | "$PY" -c '
import json, sys
print([v for v in json.load(sys.stdin)["vhids"] if v["vhid"] == 1][0][sys.argv[1]])' "$1"
}

ip netns exec "$P-fw" "$DPF" -c "$TMP/dpf.json" >"$TMP/dpf.log" 2>&1 &
DPF_PID=$!
for _ in $(seq 300); do
	ctl ping >/dev/null 2>&1 && break
	kill -0 "$DPF_PID" 2>/dev/null || break
	sleep 0.1
done
if ! ctl ping >/dev/null 2>&1; then
	notok "dpf starts"; sed 's/^/#   /' "$TMP/dpf.log" | tail -20; finish; exit 1
fi
ok "dpf starts with a net_pcap port replaying $N flows"

end=$(($(date +%s) + 30))
while [ "$(jget states.current)" != "$N" ] && [ "$(date +%s)" -lt $end ]; do sleep 0.2; done
cur=$(jget states.current)
[ "$cur" = "$N" ] && ok "the worker made $N states" || notok "states: $cur of $N"
# Every state made an insert event; one the ring had no room for (the
# control core away longer than the ring lasts) is counted as ring-full.
ins=$(jget states.events.insert)
full0=$(jget states.events.ring_full)
[ $((ins + full0)) = "$N" ] && ok "one insert event per state ($ins queued, $full0 ring-full)" ||
	notok "insert events: $ins queued, $full0 ring-full"

end=$(($(date +%s) + 10))
while [ "$(carp_get state)" != MASTER ] && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
[ "$(carp_get state)" = MASTER ] && ok "vhid 1 is MASTER (advbase 0 advskew $ADVSKEW)" ||
	notok "vhid 1 is $(carp_get state)"
tr0=$(carp_get transitions)

# Adverts as the gateway sees them, kernel timestamps (same clock as date).
ip netns exec "$P-gw" tcpdump -i "$P-g0" -n -tt -l -Q in 'ip proto 112' \
	>"$TMP/adverts.txt" 2>"$TMP/tcpdump.err" &
DUMPPID=$!
sleep 1.5

t0=$(date +%s.%N)
ctl state kill all >"$TMP/kill.out" 2>&1 &
killpid=$!
# The control loop is free while the worker kills: a ping is answered.
p0=$(date +%s%N)
ctl ping >/dev/null 2>&1
prc=$?
p1=$(date +%s%N)
wait $killpid
krc=$?
t1=$(date +%s.%N)
sleep 1
kill "$DUMPPID" 2>/dev/null
wait "$DUMPPID" 2>/dev/null
DUMPPID=

out=$(cat "$TMP/kill.out")
kill_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
diag "state kill all: '$out' in $kill_ms ms (dpfctl round trip)"
if [ $krc -eq 0 ] && [ "$out" = "killed $N states" ]; then
	ok "state kill all answers \"killed $N states\""
else notok "state kill all: rc $krc, '$out'"; fi
diag "ping during the kill: rc $prc, $(((p1 - p0) / 1000000)) ms"
[ $prc -eq 0 ] && ok "the control socket answers during the kill" ||
	notok "ping during the kill failed"

# The longest gap between consecutive adverts from the one before t0 to the
# one after t1.
read -r n_adv gap gap_all < <("$PY" - "$TMP/adverts.txt" "$t0" "$t1" <<'PY'
import sys
ts = []
for line in open(sys.argv[1]):       # "1700000000.123456 IP ... > 224.0.0.18: ..."
    try:
        ts.append(float(line.split()[0]))
    except (IndexError, ValueError):
        pass
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
gaps = [(b - a, a, b) for a, b in zip(ts, ts[1:])]
around = [g for g, a, b in gaps if b >= t0 and a <= t1]
print(len(ts), "%.1f" % (max(around) * 1000 if around else -1),
      "%.1f" % (max(g for g, a, b in gaps) * 1000 if gaps else -1))
PY
)
limit=$(awk -v i="$INTERVAL_MS" -v m="$MARGIN_MS" 'BEGIN { printf "%.1f", i + m }')
diag "adverts captured: $n_adv; longest gap around the kill $gap ms, in the whole capture $gap_all ms (interval $INTERVAL_MS ms, limit $limit ms)"
if [ "${n_adv:-0}" -ge 20 ] && awk -v g="$gap" -v l="$limit" 'BEGIN { exit !(g > 0 && g <= l) }'; then
	ok "adverts kept coming during the kill: longest gap $gap ms <= $INTERVAL_MS + $MARGIN_MS ms"
else
	notok "advert gap during the kill: $gap ms (limit $limit ms, $n_adv adverts)"
	sed 's/^/#   /' "$TMP/tcpdump.err" | tail -3
fi
if [ "$(carp_get state)" = MASTER ] && [ "$(carp_get transitions)" = "$tr0" ]; then
	ok "still MASTER, no transition"
else notok "CARP after the kill: $(carp_get state), transitions $tr0 -> $(carp_get transitions)"; fi

[ "$(jget states.current)" = 0 ] && ok "no states left" || notok "states left: $(jget states.current)"
del=$(jget states.events.delete)
full=$(jget states.events.ring_full)
taken=$(jget states.events.taken)
upd=$(jget states.events.update)
diag "events: insert $ins update $upd delete $del ring-full $full (before the kill $full0) taken $taken"
if [ "$del" = "$N" ] && [ "$full" = "$full0" ] && [ "$taken" = $((ins + upd + del)) ]; then
	ok "one delete event per killed state, none lost (the kill paces itself), all taken"
else notok "events: delete $del ring-full $full0 -> $full taken $taken"; fi
# The same selector again finds nothing, and a bad one is refused at once.
[ "$(ctl state kill all)" = "killed 0 states" ] && ok "a second kill finds nothing" ||
	notok "second kill"
check "a bad selector is refused" sh -c "! '$DPFCTL' -s '$SOCK' state kill bogus 1"
ctl show info | sed -n '/^State Table/,/^Fragments/p' | sed 's/^/# /'
finish
