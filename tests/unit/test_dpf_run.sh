#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpf itself, on a net_null port without hugepages, its sockets in a
# private directory:
#  - each control socket has its own owner, group and mode (monitoring
#    users reach the read-only one only);
#  - a dpf on a port device whose lock is held is refused (port locks);
#  - dpf handles its signals from its first instruction: a SIGHUP (log
#    rotation) at any time after start leaves it running, a SIGTERM at any
#    time stops it cleanly (exit 0).  Before, both killed it by default
#    action during the ~0.7 s of EAL and dataplane bring-up, and then
#    while the shared libraries' constructors ran, before main(): a signal
#    raised from a constructor (RAISE_SO, an LD_PRELOAD shim) stands for
#    one that comes then; one pending and blocked at exec is handled.
# TAP output.
#
# usage: test_dpf_run.sh DPF DPFCTL RAISE_SO
set -u
dpf=${1:?usage: test_dpf_run.sh DPF DPFCTL RAISE_SO}
dpfctl=${2:?usage: test_dpf_run.sh DPF DPFCTL RAISE_SO}
raise_so=${3:?usage: test_dpf_run.sh DPF DPFCTL RAISE_SO}
[ -f "$raise_so" ] || { echo "Bail out! no $raise_so"; exit 1; }

tmp=$(mktemp -d /tmp/dpf-run-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${cpid:-}" ] && kill -KILL "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The read-only socket's group: one that is not ours when there is one.
ro_group=$(getent group nogroup >/dev/null && echo nogroup || id -gn)
cat >"$tmp/dpf.json" <<JSON
{
  "schema_version": 1,
  "system": { "hostname": "runtest",
              "control": { "socket": "$tmp/dpf.sock", "mode": "0600",
                           "ro_socket": "$tmp/ro/ro.sock", "ro_mode": "0640",
                           "ro_group": "$ro_group",
                           "idle_timeout_ms": 600, "stall_timeout_ms": 700 } },
  "dataplane": {
    "eal": { "lcores": "0-1", "no_huge": true, "memory_mb": 512, "in_memory": true,
             "args": [ "--vdev=net_null0", "--no-pci", "--log-level=lib.eal:error" ] },
    "workers": 1,
    "lock_dir": "$tmp/locks",
    "ports": [ { "name": "p0", "device": "net_null0" } ]
  },
  "interfaces": [ { "name": "lan", "port": "p0", "ipv4": [ "198.18.1.1/24" ] } ],
  "rules": [ "pass all" ]
}
JSON

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	sed 's/^/# /' "$tmp/log" 2>/dev/null
}

# start: runs dpf in the background (its pid in $pid).
start() {
	rm -f "$tmp/dpf.sock"
	"$dpf" -c "$tmp/dpf.json" >"$tmp/log" 2>&1 &
	pid=$!
}

# wait_up: waits (bounded, about 30 s: bring-up under ASan on a loaded
# 2-core machine) until the control socket answers.
wait_up() {
	local end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		"$dpfctl" -s "$tmp/dpf.sock" -t 1 show info >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stop: SIGTERM; dpf's exit status in $rc.
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	pid=
}

# The two sockets, each with its own mode and group.
start
if wait_up; then
	a=$(stat -c '%a %G' "$tmp/dpf.sock")
	r=$(stat -c '%a %G' "$tmp/ro/ro.sock")
	if [ "$a" = "600 $(id -gn)" ] && [ "$r" = "640 $ro_group" ]; then
		ok "admin socket $a, read-only socket $r"
	else
		notok "admin socket $a (want 600 $(id -gn)), read-only socket $r (want 640 $ro_group)"
	fi
	if "$dpfctl" -s "$tmp/ro/ro.sock" show info >/dev/null 2>&1 &&
	   ! "$dpfctl" -s "$tmp/ro/ro.sock" state kill all >/dev/null 2>&1; then
		ok "the read-only socket answers show, refuses state kill"
	else
		notok "the read-only socket: show or state kill not as expected"
	fi
	# system.control.idle_timeout_ms and stall_timeout_ms (600 and 700 ms
	# here; 30 s and 10 s by default), on both sockets: a client that only
	# sits there is closed after about 0.6 s; one that pipelines 2000
	# `help` and reads nothing for 2 s is closed meanwhile, with what the
	# socket buffers held (with 10 s it would get all 2000 replies).
	t=$(/usr/bin/python3 - "$tmp/dpf.sock" "$tmp/ro/ro.sock" <<'PY'
import socket, sys, time
out = []
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(10)
    s.recv(100)                            # the greeting
    t0 = time.monotonic()
    try:
        while s.recv(65536):
            pass
    except (socket.timeout, ConnectionResetError):
        pass
    out.append("%.1f" % (time.monotonic() - t0))
    s.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    s.setblocking(False)
    sent = 0
    try:
        for _ in range(2000):
            s.send(b"help\n")
            sent += 1
    except BlockingIOError:
        pass
    time.sleep(2)                          # read nothing meanwhile
    s.settimeout(10)
    got = 0
    try:
        while True:
            k = s.recv(65536)
            if not k:
                break
            got += k.count(b"\n0000 ok\n")
    except (socket.timeout, ConnectionResetError):
        pass
    out.append("%d/%d" % (got, sent))
    s.close()
print(" ".join(out))
PY
)
	set -- $t
	if [ $# = 4 ] && awk -v a="$1" -v c="$3" 'BEGIN { exit !(a >= 0.5 && a < 3 && c >= 0.5 && c < 3) }' &&
	   [ "${2%/*}" -lt "${2#*/}" ] && [ "${4%/*}" -lt "${4#*/}" ]; then
		ok "idle clients closed after $1 s and $3 s (idle_timeout_ms 600); stalled ones dropped (replies $2 and $4) (stall_timeout_ms 700)"
	else
		notok "client timeouts from the config: idle closed after $1, $3 s (want ~0.6); stalled got $2, $4 replies (want fewer than sent)"
	fi
	stop
else
	notok "dpf did not start"
	notok "the read-only socket"
fi

# A dpf on a device whose lock another process holds is refused before EAL
# touches the device: the message names the port, the holder's pid and the
# lock file.  The holder is this shell (an af_packet port on an interface
# that need not exist: the lock comes first).  net_null ports take no lock,
# so two dpf on net_null0 run side by side.
ifc=dpfrun$$
sed -e "s|$tmp/dpf.sock|$tmp/b.sock|" -e "s|$tmp/ro/ro.sock|$tmp/ro/b.sock|" \
	-e "s|--vdev=net_null0|--vdev=net_af_packet0,iface=$ifc|" \
	-e 's|"device": "net_null0"|"device": "net_af_packet0"|' "$tmp/dpf.json" >"$tmp/b.json"
mkdir -p "$tmp/locks"
lock=$tmp/locks/port-iface-$ifc.lock
exec 9>"$lock"
flock -x 9
echo $$ >&9
timeout 30 "$dpf" -c "$tmp/b.json" >"$tmp/b.log" 2>&1 9>&-
brc=$?
exec 9>&-
want="port p0 (device net_af_packet0) is in use by another dpf (pid $$, lock $lock)"
if [ "$brc" = 1 ] && grep -qF "$want" "$tmp/b.log" && ! grep -q "EAL" "$tmp/b.log"; then
	ok "a port whose lock is held is refused before EAL: $want"
else
	notok "a port whose lock is held: exit $brc, $(head -c 300 "$tmp/b.log")"
fi
sed -e "s|$tmp/dpf.sock|$tmp/c.sock|" -e "s|$tmp/ro/ro.sock|$tmp/ro/c.sock|" \
	"$tmp/dpf.json" >"$tmp/c.json"
start
if wait_up; then
	"$dpf" -c "$tmp/c.json" >"$tmp/c.log" 2>&1 9>&- &
	cpid=$!
	for _ in $(seq 200); do
		"$dpfctl" -s "$tmp/c.sock" -t 1 ping >/dev/null 2>&1 && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.05
	done
	if "$dpfctl" -s "$tmp/c.sock" ping >/dev/null 2>&1; then
		ok "two dpf on net_null0 (no lock) run side by side"
	else
		notok "a second dpf on net_null0: $(head -c 300 "$tmp/c.log")"
	fi
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid"
	stop
else
	notok "dpf did not start"
fi

# A SIGHUP during bring-up, at several points of it, leaves dpf running.
# Counted from dpf's first instruction (handlers_in: the kernel lists the
# handler in SigCgt), not from the fork: what comes before it (bash's fork
# before exec, the kernel's exec, ld.so mapping 34 libraries, ASan's own
# start in the sanitizer build) no program can protect, and it took over
# 50 ms on a loaded 2-core machine under ASan (a SIGHUP 50 ms after the
# fork killed dpf there, exit 129).  The window between exec and the
# handlers, the libraries' constructors, is tested exactly below (RAISE_SO).
handlers_in() {
	local m
	for _ in $(seq 200); do
		m=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
		# SIGHUP is signal 1, SIGTERM 15: bits 0 and 14 of the mask.
		[ -n "$m" ] && (( (16#$m & 0x4001) == 0x4001 )) && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
for delay in 0 0.05 0.15 0.3 0.5; do
	start
	handlers_in
	sleep "$delay"
	kill -HUP "$pid"
	if wait_up; then
		stop
		if [ "$rc" = 0 ]; then
			ok "SIGHUP ${delay}s after start: dpf runs on, then stops cleanly"
		else
			notok "SIGHUP ${delay}s after start: exit $rc after SIGTERM"
		fi
	elif kill -0 "$pid" 2>/dev/null; then
		# Alive but silent past wait_up's bound: never wait on it unbounded.
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		pid=
		notok "SIGHUP ${delay}s after start: dpf runs but its socket did not answer"
	else
		wait "$pid"
		rc=$?
		pid=
		notok "SIGHUP ${delay}s after start killed dpf (exit $rc)"
	fi
done

# A SIGTERM during bring-up stops it cleanly (exit 0, not killed).
for delay in 0 0.05 0.3; do
	start
	handlers_in
	sleep "$delay"
	stop
	if [ "$rc" = 0 ]; then
		ok "SIGTERM ${delay}s after start: clean exit"
	else
		notok "SIGTERM ${delay}s after start: exit $rc"
	fi
done

# Before main(): a SIGHUP raised while the shared libraries' constructors
# run (where DPDK's do) leaves dpf running, a SIGTERM stops it cleanly.
# ASan wants its runtime first in the library list: not with a preload.
# Run in a subshell (background or $(...)): it becomes the command (exec),
# so $! is dpf's pid.
preload() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	LD_PRELOAD="$raise_so" DPF_TEST_RAISE="$1" exec "${@:2}"
}
out=$(preload HUP "$dpf" -V 2>"$tmp/log")
vrc=$?
if [ "$vrc" = 0 ] && [ "${out#dpf }" != "$out" ]; then
	ok "SIGHUP in a library constructor, before main: dpf -V runs on"
else
	notok "SIGHUP in a library constructor, before main: exit $vrc ($out)"
fi
rm -f "$tmp/dpf.sock"
preload HUP "$dpf" -c "$tmp/dpf.json" >"$tmp/log" 2>&1 &
pid=$!
if wait_up; then
	stop
	[ "$rc" = 0 ] && ok "SIGHUP before main: dpf runs on, then stops cleanly" ||
		notok "SIGHUP before main: exit $rc after SIGTERM"
else
	wait "$pid"
	rc=$?
	pid=
	notok "SIGHUP before main killed dpf (exit $rc)"
fi
# waited_exit SECONDS: dpf's exit status in $rc, or 124 (then killed).
waited_exit() {
	for _ in $(seq $(($1 * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		rc=124
	else
		wait "$pid"
		rc=$?
	fi
	pid=
}
preload TERM "$dpf" -c "$tmp/dpf.json" >"$tmp/log" 2>&1 &
pid=$!
waited_exit 20
[ "$rc" = 0 ] && ok "SIGTERM before main: clean exit" ||
	notok "SIGTERM before main: exit $rc (124: still running after 20 s)"
# A SIGTERM pending and blocked when dpf is exec'd (a blocked mask is
# inherited across exec): unblocked once the handlers are in, it stops dpf
# cleanly instead of staying blocked in dpf and every EAL thread.
/usr/bin/python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
os.kill(os.getpid(), signal.SIGTERM)
os.execv(sys.argv[1], sys.argv[1:])' "$dpf" -c "$tmp/dpf.json" >"$tmp/log" 2>&1 &
pid=$!
waited_exit 20
[ "$rc" = 0 ] && ok "SIGTERM pending and blocked at exec: clean exit" ||
	notok "SIGTERM pending and blocked at exec: exit $rc (124: still running after 20 s)"

# EAL's failures in a line or two that say what to do: a bad EAL argument
# names itself, without EAL's 110 lines of usage; no "failed: Success".
"$dpf" -c "$tmp/dpf.json" -- --bogus-eal-arg >"$tmp/out" 2>"$tmp/log"
brc=$?
if [ "$brc" = 1 ] && [ "$(wc -l <"$tmp/log")" -le 2 ] && grep -q -- "--bogus-eal-arg" "$tmp/log" &&
   ! grep -q "Usage" "$tmp/out" "$tmp/log" && ! grep -q "Success" "$tmp/log"; then
	ok "a bad EAL argument: one line names it"
else
	notok "a bad EAL argument: exit $brc, $(wc -l <"$tmp/out") + $(wc -l <"$tmp/log") lines"
fi
# Without hugepages (when this machine has none free): say so and what to do.
free=$(cat /sys/kernel/mm/hugepages/hugepages-*/free_hugepages 2>/dev/null |
	awk '{ s += $1 } END { print s + 0 }')
if [ "${free:-1}" = 0 ]; then
	sed 's/"no_huge": true, //' "$tmp/dpf.json" >"$tmp/huge.json"
	"$dpf" -c "$tmp/huge.json" >"$tmp/out" 2>"$tmp/log"
	brc=$?
	if [ "$brc" = 1 ] && grep -q "no free hugepages" "$tmp/log" &&
	   grep -q "nr_hugepages" "$tmp/log" && grep -q '"no_huge": true' "$tmp/log"; then
		ok "no hugepages: says so, how to reserve them, or no_huge"
	else
		notok "no hugepages: exit $brc, $(tail -1 "$tmp/log")"
	fi
else
	ok "# SKIP the machine has free hugepages"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
