#!/usr/bin/env bash
# A reload of a large route table does not stall the control core (issue
# 15): dpf is CARP MASTER for vhid 1 on lan with sub-second adverts
# (advbase 0, advskew 32: one every 125 ms) while `configure` loads
# RELOAD_FIB_ROUTES static routes (40,000 by default; the FIB build and the
# check run on the builder thread).  Checks:
#  - no gap between two adverts seen on the wire (tcpdump in the client's
#    namespace) is longer than the interval + RELOAD_FIB_SLACK_MS (250 ms:
#    two CPUs shared by dpf's lcores, the builder and the test);
#  - a second configure while the first is being built is refused at once
#    with 8003 "a configuration is being built";
#  - the new routes take effect: a ping to an address behind one of them,
#    unreachable before, passes after;
#  - a reload that fails (a bad prefix after the same routes) changes
#    nothing: the route still forwards, the applied count is the same;
#  - show info reports the control loop's longest gap.
# Needs root; cleans up on exit.  TAP output.
. "$(dirname "$0")/lib.sh"
N_ROUTES=${RELOAD_FIB_ROUTES:-40000}
SLACK_MS=${RELOAD_FIB_SLACK_MS:-250}
INTERVAL_MS=125

netns_setup "dpff$$"
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; netns_cleanup' EXIT

dpf_config 1 "0-1" "" ',
  "carp": { "vhids": [ { "vhid": 1, "interface": "lan", "advbase": 0, "advskew": 32,
                         "pass": "s3cret", "addresses": [ "198.18.1.100" ] } ] }'
# Two FIBs (64 MiB of tbl24 each and their tbl8s) live at once during a reload.
"$PY" - "$TMP/dpf.json" "$TMP" "$N_ROUTES" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["dataplane"]["eal"]["memory_mb"] = 1024
json.dump(c, open(sys.argv[1], "w"), indent=1)
tmp, n = sys.argv[2], int(sys.argv[3])
big = dict(c)
routes = [{"prefix": "198.19.200.0/24", "via": "198.18.2.2"}]
for i in range(n):
    routes.append({"prefix": "10.%d.%d.0/24" % ((i >> 8) & 255, i & 255), "via": "198.18.2.2"})
big["routes"] = routes
json.dump(big, open(tmp + "/big.json", "w"))
bad = dict(big)
bad["routes"] = routes + [{"prefix": "10.0.0.300/24", "via": "198.18.2.2"}]
json.dump(bad, open(tmp + "/bad.json", "w"))
PYEOF
in_ns "$P-srv" ip addr add 198.19.200.1/32 dev lo

if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts"
carp_master() { ctl show carp 2>/dev/null | grep -q "carp: MASTER vhid 1"; }
wait_for 10 "vhid 1 to become MASTER" carp_master && ok "vhid 1 is MASTER" || notok "vhid 1 MASTER"
ping_new() { in_ns "$P-cli" ping -c 1 -W 1 198.19.200.1 >/dev/null 2>&1; }
ping_new && notok "198.19.200.1 reachable before the reload" ||
	ok "198.19.200.1 unreachable before the reload (no route)"

in_ns "$P-cli" tcpdump -l -n -tt -i "$P-c0" 'ip proto 112' >"$TMP/adverts" 2>"$TMP/tcpdump.err" &
BG="$BG $!"
wait_for 10 "tcpdump" grep -q "listening on" "$TMP/tcpdump.err"
sleep 1
ctl configure "$TMP/big.json" >"$TMP/first.out" 2>&1 &
first=$!
BG="$BG $first"
building() { ctl configure status | grep -q "^building:"; }
if wait_for 20 "the build to be under way" building; then
	out=$(ctl configure "$TMP/big.json" 2>&1); rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "a configuration is being built.*(code 8003)" &&
		ok "a second configure while one is built is refused at once: $out" ||
		notok "second configure: rc=$rc $out"
	out=$(ctl configure undo 2>&1)
	echo "$out" | grep -q "8003" && ok "undo is refused too: $out" || notok "undo while building: $out"
else
	notok "the build was never seen under way (configure status)"
	notok "undo while building: not tried"
fi
wait "$first"; rc=$?
[ $rc = 0 ] && grep -q "applied" "$TMP/first.out" &&
	ok "the configure of $N_ROUTES routes applied: $(cut -c1-80 "$TMP/first.out")" ||
	notok "configure big: rc=$rc $(cat "$TMP/first.out")"
sleep 1
for p in $BG; do kill "$p" 2>/dev/null; done
for p in $BG; do wait "$p" 2>/dev/null; done	# not a bare wait: dpf is a child too
BG=""
gap=$(awk 'NR > 1 { g = ($1 - prev) * 1000; if (g > max) max = g } { prev = $1 }
	END { printf "%d", max }' "$TMP/adverts")
n_adv=$(wc -l <"$TMP/adverts")
diag "$n_adv adverts captured, longest gap ${gap} ms"
[ "$n_adv" -ge 10 ] && [ "${gap:-99999}" -le $((INTERVAL_MS + SLACK_MS)) ] &&
	ok "CARP adverts kept coming during the reload: longest gap ${gap} ms (<= $INTERVAL_MS + $SLACK_MS)" ||
	notok "CARP adverts during the reload: $n_adv adverts, longest gap ${gap} ms"
line=$(grep "event=reload-applied" "$TMP/dpf.log" | tail -1 | cut -c1-200)
echo "$line" | grep -qE "build_ms=[0-9]+ finish_ms=[0-9.]+ gap_ms=[0-9.]+" &&
	ok "the reload log line gives build and gap times: $line" || notok "log line: $line"
wait_for 5 "the new route" ping_new && ok "a ping through the new route passes" ||
	notok "no ping through 198.19.200.0/24 after the reload"

before=$(ctl configure status | grep "^reloads:")
out=$(ctl configure "$TMP/bad.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "nothing changed" &&
	ok "a failing reload is refused: $(echo "$out" | cut -c1-120)" || notok "bad reload: rc=$rc $out"
after=$(ctl configure status | grep "^reloads:")
ping_new && [ "${before/0 refused/1 refused}" = "$after" ] &&
	ok "it changed nothing: the route forwards, $after" ||
	notok "after the failing reload: before '$before' after '$after'"
out=$(ctl show info | grep "Control loop:")
echo "$out" | grep -qE "longest gap [0-9.]+ ms since start, [0-9.]+ ms since the last reload" &&
	ok "show info: $out" || notok "show info has no loop gap: $out"
finish
