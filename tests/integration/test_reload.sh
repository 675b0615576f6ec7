#!/usr/bin/env bash
# Live reconfiguration between real hosts: `dpfctl configure` changes the
# rules (a blocked port opens, an open one closes) while an established
# connection keeps flowing; a bad file is refused with FILE:LINE:COLUMN and
# nothing changes; a restart-only key is refused by name; `configure FILE
# timeout S` rolls back by itself (logged) unless confirmed; `undo`
# returns; the read-only socket refuses configure; runtime tables (add,
# delete, replace, test, show, flush) change forwarding and are counted
# against limits.table-entries.  Then the measurement of issue 15: 100
# reloads in a row while TCP transfers, long-lived connections and a 1 ms
# ping run through dpf; it prints packets lost, states lost and transfers
# intact (RELOAD_BENCH_N sets the count).  Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/filter_probe.py"
XFER="$HERE/xfer.py"
N_RELOADS=${RELOAD_BENCH_N:-100}
# Replies quoted in test lines may span lines (a 9005's usage): one TAP line each.
ok() { T_N=$((T_N + 1)); echo "ok $T_N - $(echo "$*" | tr '\n' ' ')"; }
notok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $(echo "$*" | tr '\n' ' ')"; }
HOLD_S=${RELOAD_HOLD_S:-45}		# the held connections' and ping's span, s
PING_N=$((HOLD_S * 1000 - 3000))	# 1 ms apart: ends before the held connections
# RELOAD_BENCH_ROUTES=0: the reloads change the rules only (A2 <-> B), so
# the FIB is not rebuilt; by default they change rules, routes and a timeout.
BENCH_ODD=a.json
[ "${RELOAD_BENCH_ROUTES:-1}" = 0 ] && BENCH_ODD=a2.json
XFER_RATE=$((60000000 / (HOLD_S - 1)))	# bytes/s per transfer: it spans HOLD_S - 1 s

netns_setup "dpfr$$"
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; netns_cleanup' EXIT

# Config A: 5001 open, 5002 blocked; <allowed> opens 5005; 5010-5013 for the
# transfers and held connections of the measurement, open in every config.
DPF_RULES='[
    "block return log all",
    "pass in on lan proto tcp to port { 5001 5010 5011 5012 5013 }",
    "pass in on lan proto tcp from <allowed> to port 5005",
    "pass in on lan inet proto icmp all icmp-type echoreq",
    "pass out all"
  ]'
dpf_config 1 "0-1" "" ',
  "tables": { "allowed": [ "198.18.9.0/24" ], "other": [] },
  "limits": { "table-entries": 6 },
  "logging": { "pflog": "'"$TMP"'/p1.pcap" }'
# ro_socket: the read-only socket must refuse configure.  A reload that
# changes routes builds a second FIB (about 150 MiB) beside the running one:
# 1 GiB of EAL memory holds both with pflog's mbufs.
"$PY" - "$TMP/dpf.json" "$TMP/ro.sock" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["system"]["control"]["ro_socket"] = sys.argv[2]
c["dataplane"]["eal"]["memory_mb"] = 1024
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF
cp "$TMP/dpf.json" "$TMP/a.json"

# variant OUT PYTHON: OUT is a.json with PYTHON applied to c (the config).
variant() {
	"$PY" - "$TMP/a.json" "$1" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"), indent=1)
EOF
}
# B: 5001 blocked, 5002 open; a route and a timeout change ride along.
variant "$TMP/b.json" 'c["rules"][1] = "pass in on lan proto tcp to port { 5002 5010 5011 5012 5013 }"
c["routes"] = [ { "prefix": "198.19.99.0/24", "via": "198.18.2.2" } ]
c["timeouts"] = { "tcp.established": 7200 }'
# A2: A's rules with B's routes and timeouts: A2 <-> B changes the rules only.
variant "$TMP/a2.json" 'c["routes"] = [ { "prefix": "198.19.99.0/24", "via": "198.18.2.2" } ]
c["timeouts"] = { "tcp.established": 7200 }'
variant "$TMP/pflog2.json" 'c["logging"]["pflog"] = c["logging"]["pflog"].replace("p1.pcap", "p2.pcap")'
variant "$TMP/pflogoff.json" 'c["logging"]["pflog"] = None'
variant "$TMP/burst.json" 'c["dataplane"]["burst"] = 16'
variant "$TMP/mtu.json" 'c["interfaces"][0]["mtu"] = 1400'
variant "$TMP/badval.json" 'c["rules"][1] = "pass in on lan proto tcp to port 70000"'
sed 's/"workers": 1/"workers": 1,,/' "$TMP/a.json" >"$TMP/syntax.json"

if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts with config A"

SRV_PORTS="5001 5002 5005"
for p in $SRV_PORTS; do
	ip netns exec "$P-srv" "$PY" "$PROBE" echo-server $p 300 &
	BG="$BG $!"
done
wait_for 20 "the echo servers" tcp_listening "$P-srv" $SRV_PORTS
conn() { in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 "$1" 3; }
expect_conn() { # PORT WANT DESC
	local r
	r=$(conn "$1")
	[ "$r" = "$2" ] && ok "$3" || notok "$3: got $r"
}

expect_conn 5001 ok "A: TCP to 5001 passes"
expect_conn 5002 refused "A: TCP to 5002 blocked (RST)"

# A connection to 5001 held across the reload that closes 5001.
in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5001 5 >"$TMP/hold" 2>&1 &
h=$!
wait_for 15 "the held connection's state" \
	sh -c "'$DPFCTL' -s '$SOCK' show states | grep -qE ':5001 +ESTABLISHED:ESTABLISHED'"
out=$(ctl configure "$TMP/b.json" 2>&1)
echo "$out" | grep -q "applied, [1-9][0-9]* live changes" && ok "configure B applied: $out" ||
	notok "configure B: $out"
expect_conn 5001 refused "B: TCP to 5001 now blocked"
expect_conn 5002 ok "B: TCP to 5002 now passes"
if wait $h; then ok "the connection established under A kept flowing under B ($(cat "$TMP/hold"))"
else notok "the held connection broke on reload: $(cat "$TMP/hold")"; fi
check "configure logged with the client's uid and pid" \
	grep -qE "event=reload-applied uid=0 pid=[0-9]+ file=$TMP/b.json check_ms=" "$TMP/dpf.log"

# A bad file changes nothing, and says where.
before=$(ctl show rules)
out=$(ctl configure "$TMP/syntax.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -qE "syntax.json:[0-9]+:[0-9]+: .*nothing changed" &&
	ok "a syntax error is refused with line and column: $out" || notok "syntax error: rc=$rc $out"
out=$(ctl configure "$TMP/badval.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -qE "badval.json:[0-9]+:[0-9]+: rules\[1\]: .*nothing changed" &&
	ok "a bad rule is refused with path, line and column: $out" || notok "bad rule: rc=$rc $out"
out=$(ctl configure check "$TMP/badval.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "rules\[1\]" && ok "configure check refuses it the same way" ||
	notok "configure check badval: $out"
[ "$(ctl show rules)" = "$before" ] && ok "the refused files changed nothing" || notok "rules changed"
expect_conn 5002 ok "B still in force after the refusals"
out=$(ctl configure "$TMP/burst.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "dataplane.burst: needs a restart" &&
	ok "a restart-only key is refused by name: $out" || notok "burst: rc=$rc $out"
out=$(ctl configure "$TMP/mtu.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "interfaces\[0\].mtu: needs a restart" &&
	ok "an interface's MTU is refused by name: $out" || notok "mtu: rc=$rc $out"
out=$(ctl configure check "$TMP/a.json" 2>&1)
echo "$out" | grep -q "ok, [1-9][0-9]* live changes" && ok "configure check A: $out" ||
	notok "configure check A: $out"
[ "$(ctl show rules)" = "$before" ] && ok "configure check changed nothing" ||
	notok "configure check changed the rules"
out=$(cd "$TMP" && ctl configure check a.json 2>&1)
echo "$out" | grep -q "^$TMP/a.json: ok" && ok "dpfctl sends a relative FILE as an absolute path: $out" ||
	notok "relative path: $out"
out=$(ctl configure check 2>&1)
echo "$out" | grep -q "^$TMP/dpf.json: ok" && ok "configure check without FILE checks the boot file: $out" ||
	notok "configure check, no file: $out"
out=$("$DPFCTL" -s "$TMP/ro.sock" configure "$TMP/a.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "9004" && ok "the read-only socket refuses configure: $out" ||
	notok "ro configure: rc=$rc $out"
out=$(ctl configure "$TMP/a.json" timeout abc 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "9005" && ok "a bad timeout is a 9005: $out" ||
	notok "bad timeout: rc=$rc $out"
out=$(ctl configure confirm 2>&1); rc=$?
[ $rc = 1 ] && ok "confirm with nothing pending is an error: $out" || notok "confirm: $out"

# Timeout without confirm: A for 2 s, then B again by itself.
out=$(ctl configure "$TMP/a.json" timeout 2 2>&1)
echo "$out" | grep -q "rolls back in 2 s" && ok "configure A timeout 2: $out" || notok "timeout: $out"
expect_conn 5001 ok "A in force while it waits for confirm"
out=$(ctl configure "$TMP/b.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "8003" && ok "another configure waits for the confirm: $out" ||
	notok "configure while pending: rc=$rc $out"
rolled() { grep -qE "event=reload-rollback reason=no-confirm file=$TMP/b.json applied_by=\"uid=0 pid=[0-9]+\"" "$TMP/dpf.log"; }
if wait_for 10 "the rollback" rolled; then ok "no confirm: rolled back to B after ~$WAITED_MS ms (logged)"
else notok "no rollback"; fi
expect_conn 5001 refused "after the rollback 5001 is blocked again"
expect_conn 5002 ok "after the rollback 5002 passes again"

# Confirmed in time: it stays (the sleep is the window in which the timer
# must not fire).
ctl configure "$TMP/a.json" timeout 2 >/dev/null 2>&1
out=$(ctl configure confirm 2>&1)
echo "$out" | grep -q confirmed && ok "configure confirm: $out" || notok "confirm: $out"
sleep 3
expect_conn 5001 ok "confirmed A is still in force past its timeout"
check "confirm logged" grep -qE "event=reload-confirmed uid=0 pid=[0-9]+" "$TMP/dpf.log"

# undo: back to B; a second undo has nothing to return to.
out=$(ctl configure undo 2>&1)
echo "$out" | grep -q "b.json: restored" && ok "configure undo: $out" || notok "undo: $out"
expect_conn 5001 refused "after undo 5001 is blocked (B)"
check "undo logged with uid and pid" grep -qE "event=reload-undone uid=0 pid=[0-9]+ file=$TMP/b.json" "$TMP/dpf.log"
out=$(ctl configure undo 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "no previous" && ok "a second undo: $out" || notok "undo 2: $out"
check "configure status" sh -c "'$DPFCTL' -s '$SOCK' configure status | grep -q 'running:   $TMP/b.json'"

# logging.pflog: off and on again, and another file, all live (blocked
# packets are logged in the new file after the reload, in none while off).
pcap_n() { tcpdump -n -r "$1" 2>/dev/null | wc -l; }
out=$(ctl configure "$TMP/pflogoff.json" 2>&1)
echo "$out" | grep -q "applied, .*logging.pflog" && ok "turning pflog off is live: $out" ||
	notok "pflog off: $out"
n_off=$(pcap_n "$TMP/p1.pcap")
expect_conn 5002 refused "5002 blocked under pflogoff.json (A's rules, pflog off)"
sleep 0.5
[ "$(pcap_n "$TMP/p1.pcap")" = "$n_off" ] && ok "nothing is logged with pflog off ($n_off records before)" ||
	notok "records written with pflog off: $n_off -> $(pcap_n "$TMP/p1.pcap")"
out=$(ctl configure undo 2>&1)
echo "$out" | grep -q "b.json: restored" && ok "undo turns pflog on again: $out" || notok "undo pflog off: $out"
out=$(ctl configure "$TMP/pflog2.json" 2>&1)
echo "$out" | grep -q "applied, 4 live changes: .*logging.pflog" && ok "configure with another pflog file: $out" ||
	notok "pflog2: $out"
expect_conn 5002 refused "5002 blocked under pflog2.json (A's rules)"
pflog_has() { tcpdump -n -e -r "$1" 2>/dev/null | grep -qE "block in on lan: 198.18.1.2.[0-9]+ > 198.18.2.2.5002"; }
wait_for 10 "the block in the new pflog file" pflog_has "$TMP/p2.pcap" &&
	ok "the blocked connection is logged in the new pflog file" ||
	notok "no record of the block in $TMP/p2.pcap"
check "show info names the new pflog file" sh -c "'$DPFCTL' -s '$SOCK' show info -v | grep -q 'p2.pcap'"
out=$(ctl configure undo 2>&1)
echo "$out" | grep -q "b.json: restored" && ok "undo back to B and its pflog file" || notok "undo pflog: $out"

# Runtime tables: <allowed> opens 5005 to the addresses it holds.
expect_conn 5005 refused "5005 is closed while <allowed> lacks the client"
out=$(ctl table allowed add 198.18.1.2 2>&1)
[ "$out" = "1/1 addresses added." ] && ok "table add: $out" || notok "table add: $out"
expect_conn 5005 ok "the added address passes to 5005"
check "table test matches the client" ctl table allowed test 198.18.1.2
out=$(ctl table allowed test 198.18.1.2 198.18.7.7 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "1/2 addresses match" && ok "table test, one of two: $out" ||
	notok "table test: rc=$rc $out"
out=$(ctl table allowed show)
[ "$(echo "$out" | tr -d ' ' | sort | tr '\n' ' ')" = "198.18.1.2 198.18.9.0/24 " ] &&
	ok "table show lists both entries" || notok "table show: $out"
out=$(ctl table allowed add 198.18.3.0/24 198.18.4.0/24 198.18.5.0/24 198.18.6.0/24 198.18.7.0/24 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "limits.table-entries (6)" && ok "over limits.table-entries refused: $out" ||
	notok "table limit: rc=$rc $out"
[ "$(ctl table allowed show | wc -l)" = 2 ] && ok "the refused add changed nothing" || notok "table changed"
out=$(ctl table allowed add 198.18.1.2/24 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 9005 && ok "host bits refused: $out" || notok "host bits: $out"
out=$(ctl table nosuch show 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 8001 && ok "unknown table: $out" || notok "unknown table: $out"
out=$(ctl table allowed frob 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 9005 && ok "unknown table operation: $out" || notok "table frob: $out"
out=$(ctl table allowed delete 198.18.1.2 2>&1)
[ "$out" = "1/1 addresses deleted." ] && ok "table delete: $out" || notok "table delete: $out"
expect_conn 5005 refused "the deleted address no longer passes to 5005"
out=$(ctl table allowed replace 198.18.1.0/24 2>&1)
echo "$out" | grep -q "1 addresses added" && echo "$out" | grep -q "1 addresses deleted" &&
	ok "table replace: $(echo $out)" || notok "table replace: $out"
expect_conn 5005 ok "the replacing prefix passes to 5005"
out=$(ctl table allowed flush 2>&1)
[ "$out" = "1 addresses deleted." ] && ok "table flush: $out" || notok "table flush: $out"
expect_conn 5005 refused "after flush 5005 is closed"
check "table changes logged" grep -qE "event=table-changed op=flush uid=0 pid=[0-9]+ table=allowed" "$TMP/dpf.log"
out=$("$DPFCTL" -s "$TMP/ro.sock" table allowed show 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 9004 && ok "the read-only socket refuses table: $out" ||
	notok "ro table: $out"

# --- measurement: N reloads while traffic flows ---
head -c 60000000 /dev/urandom >"$TMP/xfer.bin"
ip netns exec "$P-srv" "$PY" "$XFER" tcp-recv 5010 "$TMP/r0.bin" 120 >"$TMP/r0.out" 2>&1 &
r0=$!
ip netns exec "$P-srv" "$PY" "$XFER" tcp-recv 5011 "$TMP/r1.bin" 120 >"$TMP/r1.out" 2>&1 &
r1=$!
for p in 5012 5013; do
	ip netns exec "$P-srv" "$PY" "$PROBE" echo-server $p 300 &
	BG="$BG $!"
done
wait_for 20 "the transfer receivers" tcp_listening "$P-srv" 5010 5011 5012 5013
ctl -j show info >"$TMP/info0"
for i in 1 2; do	# held connections: echoes every 200 ms through all reloads
	in_ns "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 $((5011 + i)) "$HOLD_S" >"$TMP/hold$i" 2>&1 &
	eval "hp$i=\$!"
done
# A count, not a deadline: ping ends by itself and waits for the last
# replies, so no echo in flight is counted lost.
in_ns "$P-cli" ping -q -i 0.001 -c "$PING_N" -W 2 198.18.2.2 >"$TMP/ping" 2>&1 &
pp=$!
in_ns "$P-cli" "$PY" "$XFER" tcp-send 198.18.2.2 5010 "$TMP/xfer.bin" "$XFER_RATE" &
s0=$!
in_ns "$P-cli" "$PY" "$XFER" tcp-send 198.18.2.2 5011 "$TMP/xfer.bin" "$XFER_RATE" &
s1=$!
estab() { ctl show states | grep -oE '198.18.1.2:[0-9]+ -> 198.18.2.2:501[0-3] +ESTABLISHED:ESTABLISHED' | sort; }
four() { [ "$(estab | wc -l)" = 4 ]; }
wait_for 15 "the 4 connections' states" four
estab >"$TMP/states0"
states0=$(wc -l <"$TMP/states0")
ok_n=0
now_ms
t0=$NOW_MS
for i in $(seq 1 "$N_RELOADS"); do
	f=$TMP/b.json
	[ $((i % 2)) = 1 ] && f=$TMP/$BENCH_ODD
	ctl configure "$f" >/dev/null 2>"$TMP/reload.err" && ok_n=$((ok_n + 1))
done
now_ms
reload_ms=$((NOW_MS - t0))
# The states of the transfers and held connections, looked at while they
# all still run (checked below): each one before must still be there.
estab >"$TMP/states1"
running=0
for p in $s0 $s1 $pp $hp1 $hp2; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
states_lost=$(comm -23 "$TMP/states0" "$TMP/states1" | wc -l)
states1=$(wc -l <"$TMP/states1")
[ "$running" = 5 ] && ok "the transfers, held connections and ping spanned all $N_RELOADS reloads" ||
	notok "only $running of 5 traffic sources still ran after the reloads (the figures below cover less)"
[ "$ok_n" = "$N_RELOADS" ] && ok "$N_RELOADS reloads applied in $reload_ms ms" ||
	notok "only $ok_n/$N_RELOADS reloads applied: $(cat "$TMP/reload.err")"
wait $s0; rs0=$?
wait $s1; rs1=$?
wait $r0; wait $r1
intact=0
cmp -s "$TMP/xfer.bin" "$TMP/r0.bin" && [ $rs0 = 0 ] && intact=$((intact + 1))
cmp -s "$TMP/xfer.bin" "$TMP/r1.bin" && [ $rs1 = 0 ] && intact=$((intact + 1))
held=0
wait $hp1 && held=$((held + 1))
wait $hp2 && held=$((held + 1))
wait $pp
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TMP/ping")
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping")
ctl -j show info >"$TMP/info1"
# dpf's drops during the measurement, by reason (what they were, if any).
drops=$("$PY" -c 'import json,sys
a, b = (json.load(open(f))["drops"] for f in sys.argv[1:])
print(",".join("%s:%d" % (k, b[k] - a.get(k, 0)) for k in b if b[k] != a.get(k, 0)) or "none")' \
	"$TMP/info0" "$TMP/info1")
lost=$((${sent:-0} - ${recv:-0}))
diag "RELOAD-BENCH reloads=$N_RELOADS (B <-> ${BENCH_ODD%.json}) ok=$ok_n reload_ms=$reload_ms ping_sent=${sent:-?} ping_lost=$lost" \
	"states_before=$states0 states_after=$states1 states_lost=$states_lost" \
	"transfers_intact=$intact/2 held_connections=$held/2 dpf_drops=$drops load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
[ -n "$sent" ] && [ "$sent" -gt 1000 ] && [ "$lost" = 0 ] &&
	ok "1 ms ping across the reloads: $recv/$sent answered, 0 lost" ||
	notok "1 ms ping across the reloads: sent ${sent:-?}, lost $lost ($(tail -2 "$TMP/ping" | tr '\n' ' '))"
[ "$states0" = 4 ] && [ "$states_lost" = 0 ] &&
	ok "no state lost across the reloads ($states0 before, $states1 after)" ||
	notok "states: $states0 before, $states1 after the reloads"
[ "$intact" = 2 ] && ok "both 60 MB transfers (paced over $((HOLD_S - 1)) s) arrived intact" ||
	notok "transfers intact: $intact/2 ($(cat "$TMP/r0.out" "$TMP/r1.out" | tr '\n' ' '))"
[ "$held" = 2 ] && ok "both held connections kept exchanging through the reloads" ||
	notok "held connections: $held/2 ($(cat "$TMP/hold1" "$TMP/hold2" | tr '\n' ' '))"
check "dpf still answers" ctl ping

stop_dpf
[ "$STOP_RC" = 0 ] && ok "dpf exits cleanly after the reloads" || notok "dpf exit status $STOP_RC"
# RELOAD_LOG=FILE keeps dpf's log (each reload's check_ms and build_ms).
[ -n "${RELOAD_LOG:-}" ] && cp "$TMP/dpf.log" "$RELOAD_LOG"
finish
