#!/usr/bin/env bash
# Control-socket abuse beside a normal dpfctl, on a CARP MASTER with fast
# adverts (the hardening issue: 32 idle connections locked every client
# out with 9006; 31 clients asking for `show states -vv` and never reading
# grew dpf by 540 MB and delayed the control core).  Needs root; cleans up.
#
#   net_pcap0 (lan): replays N UDP flows once, so there are N states and
#       `show states -vv` is megabytes
#   $P-fw [w0 wan 198.18.2.11/24, vhid 1: 198.18.2.1] -- [g0 198.18.2.2] $P-gw
#       where tcpdump watches the adverts
#
# The abuse (tests/integration/ctl_abuser.py, for ABUSE_S seconds): 31
# clients that ask for `show states -vv` with a tiny receive buffer and
# never read, 8 that send half a request and nothing more (with the 31 they
# fill all 32 slots with clients that are not idle), 40 connections that
# only sit there, and clients that send a request line longer than 4096
# bytes.  Meanwhile a normal dpfctl must answer every time within its
# timeout (it gets the reserved slot), dpf must not grow by more than
# GROWTH_MB (the replies are streamed: a client that does not read holds
# about 100 KB), the adverts must keep their interval (a loop iteration
# makes at most 1 MiB of replies), and the clients that never read must be
# dropped once stalled (system.control.stall_timeout_ms, 5 s here).
. "$(dirname "$0")/lib.sh"

N=${CA_STATES:-20000}
ADVSKEW=${CA_ADVSKEW:-64}
# Before the replies were streamed, one `show states -vv` (4 MB) was made
# whole in one loop iteration (50-80 ms here), so an advert could be that
# late (and before the per-poll bound, 497 ms).  Now a loop iteration makes
# at most 1 MiB of replies.
MARGIN_MS=${CA_MARGIN_MS:-30}
ABUSE_S=${CA_ABUSE_S:-14}
GROWTH_MB=${CA_GROWTH_MB:-40}
INTERVAL_MS=$(awk -v s="$ADVSKEW" 'BEGIN { printf "%.1f", s * 1000 / 256 }')
HERE=$(cd "$(dirname "$0")" && pwd)

P=ca$$
TMP=$(mktemp -d "/tmp/dpf-$P.XXXXXX")
SOCK=$TMP/dpf.sock
DUMPPID=
ABUSEPID=

cleanup() {
	[ -n "$DUMPPID" ] && kill "$DUMPPID" 2>/dev/null
	[ -n "$ABUSEPID" ] && kill "$ABUSEPID" 2>/dev/null
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

"$PY" - "$HERE/../../tools/bench" "$TMP" "$N" <<'PY' || { notok "cannot write the pcaps"; finish; exit 1; }
import struct, sys
sys.path.insert(0, sys.argv[1])
import gen_pcap
gen_pcap.write_many(sys.argv[2] + "/flows.pcap", "02:70:63:61:70:00", int(sys.argv[3]))
with open(sys.argv[2] + "/empty.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
PY

cat >"$TMP/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "$P",
              "control": { "socket": "$SOCK", "stall_timeout_ms": 5000 } },
  "dataplane": {
    "eal": { "lcores": "0-1", "no_huge": true, "memory_mb": 1024, "in_memory": true,
             "file_prefix": "$P",
             "args": [ "--vdev=net_pcap0,rx_pcap=$TMP/flows.pcap,rx_pcap=$TMP/empty.pcap",
                       "--vdev=net_af_packet0,iface=$P-w0",
                       "--log-level=lib.eal:error" ] },
    "workers": 1, "idle_sleep_us": 100, "lock_dir": "$TMP",
    "ports": [ { "name": "p0", "device": "net_pcap0" },
               { "name": "p1", "device": "net_af_packet0" } ]
  },
  "interfaces": [
    { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] },
    { "name": "wan", "port": "p1", "ipv4": [ "198.18.2.11/24" ] }
  ],
  "routes": [ { "prefix": "198.19.0.0/16", "via": "198.18.2.2" } ],
  "timeouts": { "udp.first": 600, "udp.single": 600 },
  "rules": [ "pass all" ],
  "carp": { "vhids": [ { "vhid": 1, "interface": "wan", "advbase": 0, "advskew": $ADVSKEW,
                         "pass": "s3cret", "addresses": [ "198.18.2.1" ] } ] }
}
JSON

jget() {
	ctl -j show info 2>/dev/null | "$PY" -c '
import json, sys
x = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    x = x[k]
print(x)' "$1"
}
carp_get() {
	ctl -j show carp 2>/dev/null | "$PY" -c '
import json, sys
print([v for v in json.load(sys.stdin)["vhids"] if v["vhid"] == 1][0][sys.argv[1]])' "$1"
}
rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$DPF_PID/status"; }

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
ok "dpf starts"
end=$(($(date +%s) + 30))
while [ "$(jget states.current)" != "$N" ] && [ "$(date +%s)" -lt $end ]; do sleep 0.2; done
cur=$(jget states.current)
[ "$cur" = "$N" ] && ok "the worker made $N states" || notok "states: $cur of $N"
bytes=$(ctl show states -vv | wc -c)
diag "show states -vv: $bytes bytes"
end=$(($(date +%s) + 10))
while [ "$(carp_get state)" != MASTER ] && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
[ "$(carp_get state)" = MASTER ] && ok "vhid 1 is MASTER (advbase 0 advskew $ADVSKEW)" ||
	notok "vhid 1 is $(carp_get state)"
tr0=$(carp_get transitions)
rss0=$(rss_mb)

ip netns exec "$P-gw" tcpdump -i "$P-g0" -n -tt -l -Q in 'ip proto 112' \
	>"$TMP/adverts.txt" 2>"$TMP/tcpdump.err" &
DUMPPID=$!
sleep 1.5	# tcpdump's start; adverts before the abuse for the gap baseline

t0=$(date +%s.%N)
"$PY" "$HERE/ctl_abuser.py" "$SOCK" "$ABUSE_S" "$TMP/abuse.json" >"$TMP/abuse.log" 2>&1 &
ABUSEPID=$!
sleep 1	# the abusers connect and ask
# A normal dpfctl during the abuse: every answer within 2 s (before the
# reserved slot, dpfctl waited up to 3 s for a slot, retrying on 9006).
slow=0 failed=0 worst=0 rssmax=$rss0
for i in $(seq 8); do
	a=$(date +%s%N)
	if ! "$DPFCTL" -s "$SOCK" -t 2 show info >/dev/null 2>"$TMP/ctl.err"; then
		failed=$((failed + 1))
		diag "dpfctl $i: $(cat "$TMP/ctl.err")"
	fi
	ms=$((($(date +%s%N) - a) / 1000000))
	[ $ms -gt $worst ] && worst=$ms
	r=$(rss_mb)
	[ "$r" -gt "$rssmax" ] && rssmax=$r
	sleep 1
done
wait "$ABUSEPID"
arc=$?
ABUSEPID=
t1=$(date +%s.%N)
sleep 1
kill "$DUMPPID" 2>/dev/null
wait "$DUMPPID" 2>/dev/null
DUMPPID=

[ $failed -eq 0 ] && ok "a normal dpfctl answered 8 times during the abuse (slowest $worst ms)" ||
	notok "dpfctl failed $failed of 8 times during the abuse (slowest $worst ms)"
diag "abuser: $(cat "$TMP/abuse.json" 2>/dev/null || tail -3 "$TMP/abuse.log")"
[ $arc -eq 0 ] && ok "the abuser ran" || { notok "the abuser failed"; sed 's/^/#   /' "$TMP/abuse.log" | tail -5; }
growth=$((rssmax - rss0))
diag "dpf RSS: $rss0 MB before, at most $rssmax MB during (+$growth MB)"
[ $growth -le "$GROWTH_MB" ] && ok "dpf grew by $growth MB <= $GROWTH_MB MB" ||
	notok "dpf grew by $growth MB (limit $GROWTH_MB MB)"
dropped=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["hoarders_dropped"])' "$TMP/abuse.json" 2>/dev/null)
busy=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["hoarders_busy"])' "$TMP/abuse.json" 2>/dev/null)
# Streamed: none is refused for the reply budget, and all are dropped.
[ "${dropped:-0}" -ge 31 ] && ok "clients that never read were dropped once stalled ($dropped of 31, $busy got 8003)" ||
	notok "stalled clients dropped: ${dropped:-?} of 31 ($busy got 8003)"

read -r n_adv gap gap_all < <("$PY" - "$TMP/adverts.txt" "$t0" "$t1" <<'PY'
import sys
ts = []
for line in open(sys.argv[1]):
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
diag "adverts: $n_adv; longest gap during the abuse $gap ms, whole capture $gap_all ms (interval $INTERVAL_MS ms, limit $limit ms)"
if [ "${n_adv:-0}" -ge 20 ] && awk -v g="$gap" -v l="$limit" 'BEGIN { exit !(g > 0 && g <= l) }'; then
	ok "adverts kept their interval during the abuse: longest gap $gap ms <= $limit ms"
else
	notok "advert gap during the abuse: $gap ms (limit $limit ms, $n_adv adverts)"
fi
if [ "$(carp_get state)" = MASTER ] && [ "$(carp_get transitions)" = "$tr0" ]; then
	ok "still MASTER, no transition"
else notok "CARP after the abuse: $(carp_get state), transitions $tr0 -> $(carp_get transitions)"; fi
check "dpf still answers" ctl ping
finish
