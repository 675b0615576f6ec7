#!/usr/bin/env bash
# With 2 and 4 workers, both directions of every flow are handled by one
# worker: one TCP connection moves the forwarding counter of exactly one
# worker, and many UDP flows spread over all of them.  af_packet fans
# traffic out to every queue by its own hash, so packets regularly arrive
# at a worker that does not own the flow; the hand-off counters show them
# being passed to the owner.  Needs root; cleans up on exit.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

# fwd counters of every worker, space separated
worker_fwd() {
	ctl -j show workers | $PY -c '
import json, sys
print(" ".join(str(w["forwarded"]) for w in json.load(sys.stdin) if w["worker"] != "control"))'
}

run_case() {
	local workers=$1 lcores=$2
	netns_setup "dpfw$$w$workers"
	dpf_config "$workers" "$lcores"
	if ! dpf_start; then notok "dpf starts with $workers workers"; netns_cleanup; return; fi
	ok "dpf starts with $workers workers (lcores $lcores)"
	check "$workers workers: ping through" in_ns "$P-cli" ping -c 2 -i 0.2 -W 2 198.18.2.2

	before=$(worker_fwd)
	head -c 30M /dev/urandom >"$TMP/f.bin"
	in_ns "$P-srv" "$PY" "$HERE/xfer.py" tcp-recv 5001 "$TMP/f.out" 60 >/dev/null &
	rp=$!
	wait_for 20 "the receiver listening on 5001" tcp_listening "$P-srv" 5001
	in_ns "$P-cli" "$PY" "$HERE/xfer.py" tcp-send 198.18.2.2 5001 "$TMP/f.bin"
	wait $rp
	after=$(worker_fwd)
	diag "forwarded per worker before: $before after: $after"
	moved=$($PY -c "
b=list(map(int,'$before'.split())); a=list(map(int,'$after'.split()))
d=[y-x for x,y in zip(b,a)]
print(sum(1 for x in d if x > 1000), max(d), sum(d))")
	set -- $moved
	if [ "$1" = 1 ] && [ "$2" -ge 20000 ]; then
		ok "$workers workers: one TCP flow (both directions, $3 packets) on exactly one worker"
	else notok "$workers workers: one TCP flow spread over $1 workers ($moved)"; fi
	if cmp -s "$TMP/f.bin" "$TMP/f.out"; then ok "$workers workers: 30 MB arrived intact"
	else notok "$workers workers: transfer corrupted"; fi

	before=$(worker_fwd)
	path=$(udp_path "$P-srv")
	in_ns "$P-srv" "$PY" "$HERE/xfer.py" udp-recv 5003 2000 10 >"$TMP/u.n" &
	rp=$!
	wait_for 20 "the receiver bound to UDP 5003" udp_bound "$P-srv" 5003
	in_ns "$P-cli" "$PY" "$HERE/xfer.py" udp-send 198.18.2.2 5003 2000 64
	wait $rp
	after=$(worker_fwd)
	busy=$($PY -c "
b=list(map(int,'$before'.split())); a=list(map(int,'$after'.split()))
print(sum(1 for x,y in zip(b,a) if y-x >= 50))")
	diag "64 UDP flows, forwarded per worker before: $before after: $after"
	if [ "$busy" = "$workers" ]; then ok "$workers workers: 64 UDP flows spread over all workers"
	else notok "$workers workers: 64 UDP flows used only $busy workers"; fi
	n=$(cat "$TMP/u.n")
	if [ "$n" -ge 1980 ]; then ok "$workers workers: $n of 2000 UDP datagrams arrived"
	else notok "$workers workers: only $n of 2000 UDP datagrams"; fi
	udp_path_diag "$P-srv" "$path"
	ho=$(ctl -j show workers | $PY -c '
import json, sys
print(sum(w["handoff_in"] for w in json.load(sys.stdin)))')
	if [ "$ho" -gt 0 ]; then ok "$workers workers: $ho packets handed to their owner"
	else notok "$workers workers: no hand-off happened (af_packet fan-out should cause some)"; fi
	ctl show workers | sed 's/^/# /'
	netns_cleanup
	DPF_PID=
}

# Two cores: lcores share CPUs (idle_sleep_us keeps that workable).
run_case 2 "0@0,1@1,2@1"
run_case 4 "0@0,1@1,2@0,3@1,4@1"
finish
