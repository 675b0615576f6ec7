#!/usr/bin/env bash
# The global state limit and a table loaded from a file, between real hosts.
#
#  - tables: a pf table read from a file (a second IPv4 and IPv6 address of
#    the client, among comments) feeds `block return in quick from <blocked>`:
#    those addresses get a RST while the client's first addresses pass.
#  - limits.states 3: three long-lived TCP connections hold the three states;
#    a fourth connection gets no answer (its SYNs are dropped) while the three
#    go on exchanging data; the refusals are counted; once one of the three
#    closes and its state expires, a new connection gets through.
#
# Needs root; every probe has a timeout, and the trap removes the namespaces,
# dpf and the probes whatever happens.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/filter_probe.py"
LPROBE="$HERE/limits_probe.py"

BG=""
cleanup() {
	local p
	for p in $BG; do kill "$p" 2>/dev/null; done
	netns_cleanup
}

netns_setup "dpfl$$"
trap cleanup EXIT
# A second address on the client, the one in the table (the first one, the
# kernel's source by default, is what the limit test below connects from).
in_ns "$P-cli" ip addr add 198.18.1.3/24 dev "$P-c0"
in_ns "$P-cli" ip -6 addr add 2001:db8:1::3/64 dev "$P-c0" nodad

cat >"$TMP/blocked.txt" <<'EOF'
# Clients refused by test_limits.sh (pfctl -T add -f format).

198.18.1.3        # the client's second IPv4 address
   2001:db8:1::3  # and its second IPv6 address
203.0.113.0/24 192.0.2.0/24
EOF

# Timeouts: a closed connection's state goes within a few seconds.
DPF_RULES='[
    "block return all",
    "pass in on lan proto tcp to port { 5040 5041 } keep state",
    "block return in quick on lan from <blocked>",
    "pass out all"
  ]'
dpf_config 1 "0-1" "" ',
  "tables": { "blocked": { "file": "'"$TMP"'/blocked.txt" } },
  "limits": { "states": 3 },
  "timeouts": { "tcp.closing": 2, "tcp.finwait": 2, "tcp.closed": 2, "interval": 1 }'

# The table file as `dpf -n` sees it: loaded, and a bad line rejects the config.
if out=$("$DPF" -n -c "$TMP/dpf.json" 2>&1) &&
	echo "$out" | grep -q "\"file\": \"$TMP/blocked.txt\"" &&
	echo "$out" | grep -q '"block return in quick on lan from <blocked> to any"'; then
	ok "dpf -n loads the table file and prints its path, not its entries"
else notok "dpf -n with a table file"; echo "$out" | head -20 | sed 's/^/# /'; fi
cp "$TMP/blocked.txt" "$TMP/blocked.good"
printf '198.18.1.9\n\n10.0.0.1/8\n' >"$TMP/blocked.txt"
out=$("$DPF" -n -c "$TMP/dpf.json" 2>&1)
rc=$?
want="tables.blocked.file: $TMP/blocked.txt:3:1: host bits set in 10.0.0.1/8 (the network is 10.0.0.0/8)"
if [ $rc -ne 0 ] && echo "$out" | grep -qF "$want"; then
	ok "dpf -n rejects a bad table file naming its line and column"
else notok "dpf -n with a bad table file: $out"; fi
cp "$TMP/blocked.good" "$TMP/blocked.txt"

if ! dpf_start; then notok "dpf starts"; finish; exit 1; fi
ok "dpf starts with limits.states 3 and a table from a file"

for p in 5040 5041; do
	ip netns exec "$P-srv" "$PY" "$PROBE" echo-server $p 90 &
	BG="$BG $!"
done
servers_up() { tcp_listening "$P-srv" 5040 5041 && udp_bound "$P-srv" 5040 5041; }
wait_for 20 "the echo servers" servers_up

# --- the table from the file ---
r=$(in_ns "$P-cli" "$PY" "$LPROBE" connect-from 198.18.1.3 198.18.2.2 5041 3)
[ "$r" = refused ] && ok "198.18.1.3 (in the table file) is refused with a RST" ||
	notok "198.18.1.3 -> 5041: $r"
r=$(in_ns "$P-cli" "$PY" "$LPROBE" connect-from 198.18.1.2 198.18.2.2 5041 3)
[ "$r" = ok ] && ok "198.18.1.2 (not in the table) passes" || notok "198.18.1.2 -> 5041: $r"
r=$(in_ns "$P-cli" "$PY" "$LPROBE" connect-from 2001:db8:1::3 2001:db8:2::2 5041 3)
[ "$r" = refused ] && ok "2001:db8:1::3 (in the table file) is refused with a RST" ||
	notok "2001:db8:1::3 -> 5041: $r"
r=$(in_ns "$P-cli" "$PY" "$LPROBE" connect-from 2001:db8:1::2 2001:db8:2::2 5041 3)
[ "$r" = ok ] && ok "2001:db8:1::2 (not in the table) passes" || notok "2001:db8:1::2 -> 5041: $r"
check "show rules -v counts the table rule's blocks" sh -c "'$DPFCTL' -s '$SOCK' show rules -v |
	grep -A1 'block return in quick on lan from <blocked>' | grep -E 'Packets: [1-9]'"

# Start the limit test from an empty state table.
out=$(ctl state kill all)
info() { ctl -j show info | "$PY" "$LPROBE" info "$@"; }
states_are() { cur=$(info states.current); [ "$cur" = "$1" ]; }
cur=
wait_for 10 "the state table to empty" states_are 0
[ "$cur" = 0 ] && ok "state kill all empties the table ($out)" || notok "states left: $cur ($out)"

# --- limits.states 3 ---
set -- $(info drops.state-limit drops.state-memory counters.state-limit counters.memory \
	states.max_states_per_rule)
b_sl=$1 b_sm=$2 b_csl=$3 b_cmem=$4 b_lcnt=$5
# One connection that closes after 5 s, two that last 16 s; each exchanges a
# message every 200 ms and exits non-zero if one echo fails to come back.
ip netns exec "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5040 5 >"$TMP/h1" 2>&1 &
h1=$!
ip netns exec "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5040 16 >"$TMP/h2" 2>&1 &
h2=$!
ip netns exec "$P-cli" "$PY" "$PROBE" hold 198.18.2.2 5040 16 >"$TMP/h3" 2>&1 &
h3=$!
BG="$BG $h1 $h2 $h3"
# The fourth connection is tried once the three hold their states.
wait_for 15 "three states" states_are 3
set -- $(info states.current states.limit)
[ "$1" = 3 ] && [ "$2" = 3 ] && ok "three connections hold the three states (current $1, limit $2)" ||
	notok "states current $1 limit $2"
r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 5040 2.5)
[ "$r" = timeout ] && ok "a fourth connection gets no answer at limits.states 3" ||
	notok "fourth connection at the limit: $r"
set -- $(info drops.state-limit drops.state-memory counters.state-limit counters.memory \
	states.max_states_per_rule states.current)
diag "drops state-limit $b_sl -> $1, state-memory $b_sm -> $2;" \
	"counters state-limit $b_csl -> $3, memory $b_cmem -> $4; max states per rule $b_lcnt -> $5"
# dataplane/filter.c dp_filter_new_state: the global limit (-EDQUOT from
# dp_state_insert) is counted as the drop reason state-limit, pf reason
# PFRES_MAXSTATES; the per-rule lcnt is for a rule's `max` only.
[ "$1" -gt "$b_sl" ] && ok "the refused SYNs are counted as drop reason state-limit ($b_sl -> $1)" ||
	notok "drops.state-limit $b_sl -> $1"
[ "$3" -gt "$b_csl" ] && ok "pf's counter state-limit counts them ($b_csl -> $3)" ||
	notok "counters.state-limit $b_csl -> $3"
[ "$2" = "$b_sm" ] && [ "$4" = "$b_cmem" ] && [ "$5" = "$b_lcnt" ] &&
	ok "not as memory, nor as max states per rule" ||
	notok "state-memory $b_sm -> $2, memory $b_cmem -> $4, max states per rule $b_lcnt -> $5"
[ "$6" = 3 ] && ok "still three states" || notok "states.current $6"
# The control core's watcher (control/app/app_watch.c) reads the counters
# once a second and logs a limit reached once, then at most once per 10 s:
# the refused SYNs of the last 2.5 s make one line, not one per SYN.
lim_line() { grep -qE "event=limit-reached limit=states max=3 current=[0-9]+ refused=[1-9]" "$TMP/dpf.log"; }
wait_for 3 "the limit-reached log line" lim_line
check "the refusals are logged: event=limit-reached limit=states max=3 refused=N" lim_line
n=$(grep -c "event=limit-reached limit=states" "$TMP/dpf.log")
[ "$n" = 1 ] && ok "one limit-reached line for the SYNs refused within 10 s" ||
	notok "limit-reached lines: $n ($(grep 'event=limit-reached' "$TMP/dpf.log" | tr '\n' ' '))"

# The first connection closes at 5 s; its state expires (tcp.closing/finwait/closed 2 s).
if wait $h1; then ok "the first connection exchanged data until it closed ($(cat "$TMP/h1"))"
else notok "first connection broke"; sed 's/^/# /' "$TMP/h1"; fi
states_at_most() { cur=$(info states.current); [ "$cur" -le "$1" ]; }
cur=
wait_for 10 "the closed connection's state to expire" states_at_most 2
[ "$cur" -le 2 ] && ok "the closed connection's state expired (current $cur)" ||
	notok "closed connection's state still there (current $cur)"
r=$(in_ns "$P-cli" "$PY" "$PROBE" connect 198.18.2.2 5040 3)
[ "$r" = ok ] && ok "a new connection gets through once a state is free" ||
	notok "connection after a state was freed: $r"
if wait $h2 && wait $h3; then
	ok "the other two connections kept exchanging data all along ($(cat "$TMP/h2"), $(cat "$TMP/h3"))"
else notok "a held connection broke"; sed 's/^/# /' "$TMP/h2" "$TMP/h3"; fi
ctl show info -v | sed 's/^/# /'
finish
