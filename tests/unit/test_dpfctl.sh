#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpfctl end to end against ctl_echo_server: what goes to stdout and stderr,
# exit codes 0 (ok), 1 (error reply) and 2 (usage, connection, timeout,
# protocol), and -j output that parses as JSON.  TAP output.
#
# usage: test_dpfctl.sh DPFCTL CTL_ECHO_SERVER
set -u
dpfctl=${1:?usage: test_dpfctl.sh DPFCTL CTL_ECHO_SERVER}
server=${2:?usage: test_dpfctl.sh DPFCTL CTL_ECHO_SERVER}

tmp=$(mktemp -d /tmp/dpf-dpfctl-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

sock=$tmp/run/dpf.sock
rosock=$tmp/run/dpf-ro.sock
out=$tmp/out
err=$tmp/err
n=0
failed=0

# start_server NAME ARGS...: runs the server in the background, waits for "ready".
start_server() {
	local name=$1
	shift
	"$server" "$@" >"$tmp/$name.ready" 2>"$tmp/$name.log" &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q ready "$tmp/$name.ready" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "Bail out! server $name did not start: $(cat "$tmp/$name.log")"
	exit 1
}

# run ARGS...: runs dpfctl with ARGS, output in $out and $err, status in $rc.
run() {
	timeout 20 "$dpfctl" "$@" >"$out" 2>"$err"
	rc=$?
}

# check DESCRIPTION CONDITION...: one TAP line; on failure shows the output.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what"
		echo "# rc=$rc"
		sed 's/^/# stdout: /' "$out" | head -20
		sed 's/^/# stderr: /' "$err" | head -20
	fi
}

is_rc() { [ "$rc" -eq "$1" ]; }
out_is() { [ "$(cat "$out")" = "$1" ]; }
err_is() { [ "$(cat "$err")" = "$1" ]; }
err_has() { grep -qF -- "$1" "$err"; }
out_empty() { [ ! -s "$out" ]; }
err_empty() { [ ! -s "$err" ]; }
# json_is PYTHON_EXPR: the expression holds for d, the parsed stdout.
json_is() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$out"; }
indented() { [ "$(sed -n 2p "$out" | cut -c1-3)" = "  \"" ] || [ "$(sed -n 2p "$out" | cut -c1-3)" = "  [" ]; }

echo "1..35"

start_server echo "$sock" "$rosock"

run
check "no arguments: usage on stderr, exit 2" \
	eval 'is_rc 2 && out_empty && err_has "usage: dpfctl"'
run -h
check "-h: usage on stdout, exit 0" eval 'is_rc 0 && grep -q "usage: dpfctl" "$out" && err_empty'
run -x ping
check "unknown option: exit 2" eval 'is_rc 2 && err_has "usage: dpfctl"'
run -t nope -s "$sock" ping
check "invalid timeout: exit 2" eval 'is_rc 2 && err_has "invalid timeout"'

run -s "$sock" ping
check "ping: exit 0, no output" eval 'is_rc 0 && out_empty && err_empty'
run -s "$sock" version
check "version: one line" eval 'is_rc 0 && out_is "dpf $DPF_VERSION, control protocol 1" && err_empty'
DPF_SOCKET=$sock run ping
check "DPF_SOCKET names the socket" eval 'is_rc 0 && err_empty'

run -s "$sock" echo "a b" 'q"uote' 'back\slash' "" -v tab$'\t'ok
check "arguments are quoted and come back intact" \
	eval 'is_rc 0 && out_is "$(printf "a b\nq\"uote\nback\\\\slash\n\n-v\ntab\tok")"'
run -s "$sock" help
check "help lists built-in and registered commands" \
	eval 'is_rc 0 && grep -q "^add NAME VALUE  *pretend" "$out" && grep -q "^ping  " "$out" &&
	      grep -q "^version  " "$out" && grep -q "^help \[WORD...\]  " "$out"'
run -s "$sock" help show
check "help WORD lists only matching commands" eval 'is_rc 0 && [ "$(wc -l <"$out")" -eq 1 ] &&
	grep -q "^show info" "$out"'

run -j -s "$sock" echo "a b" x
check "-j: the JSON value, parsed" eval 'is_rc 0 && json_is "d == [\"a b\", \"x\"]" && err_empty'
check "-j: indented by two spaces" indented
run -j -s "$sock" version
check "-j version" eval 'is_rc 0 && json_is "d == {\"name\": \"dpf\", \"version\": \"$DPF_VERSION\", \"protocol\": 1}"'
run -j -s "$sock" lines 2
check "-j on a text-only command: {\"text\": [lines]}" \
	eval 'is_rc 0 && json_is "d == {\"text\": [\"line 1\", \"line 2\"]}"'
run -j -s "$sock" help
check "-j help: an array of commands" eval 'is_rc 0 &&
	json_is "any(c[\"command\"] == \"add\" and c[\"args\"] == \"NAME VALUE\" and not c[\"readonly\"] for c in d)"'
run -s "$sock" show info
check "JSON-only command in text mode prints indented JSON" \
	eval 'is_rc 0 && grep -q "^  \"answer\": 42" "$out"'
run -s "$sock" lines 200000
check "large reply streams every line in order" eval 'is_rc 0 && [ "$(wc -l <"$out")" -eq 200000 ] &&
	[ "$(tail -1 "$out")" = "line 200000" ]'

run -s "$sock" shwo interfaces
check "unknown command: exit 1, message and code on stderr" \
	eval 'is_rc 1 && out_empty && err_is "dpfctl: unknown command \"shwo\" (code 9002)"'
run -s "$sock" show
check "incomplete command lists the completions" \
	eval 'is_rc 1 && err_has "incomplete command \"show\" (code 9002)" && err_has "  show info"'
run -s "$sock" add onlyname
check "bad arguments: 9005 with the usage line" \
	eval 'is_rc 1 && err_has "expected NAME and VALUE (code 9005)" && err_has "usage: add NAME VALUE"'
run -s "$sock" ping extra
check "arguments to a command that takes none: 9005" eval 'is_rc 1 && err_has "(code 9005)"'
run -s "$sock" fail
check "error reply: handler text dropped, details after the message" \
	eval 'is_rc 1 && out_empty && [ "$(cat "$err")" = "$(printf "dpfctl: nothing to find (code 8001)\nfirst detail\nsecond detail")" ]'
run -j -s "$sock" fail
check "-j error: nothing on stdout, exit 1" eval 'is_rc 1 && out_empty && err_has "(code 8001)"'

run -s "$rosock" add a b
check "read-only socket refuses a write command: 9004" \
	eval 'is_rc 1 && err_has "(code 9004)"'
run -s "$rosock" echo ro
check "read-only socket serves read-only commands" eval 'is_rc 0 && out_is ro'

run -s "$tmp/nothing.sock" ping
check "no server: exit 2, cannot connect" eval 'is_rc 2 && out_empty &&
	[ "$(head -1 "$err")" = "dpfctl: cannot connect to $tmp/nothing.sock: No such file or directory" ]'
check "no server: says whether dpf runs and how to name another socket" eval '
	err_has "name the socket with -s SOCKET or DPF_SOCKET" &&
	{ err_has "no dpf process runs" || err_has "a dpf runs (pid"; }'
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
run -s "$tmp/stale.sock" ping
check "a stale socket: nobody listens on it" eval 'is_rc 2 && err_has "nobody listens on it"'
run -s "$sock" echo "$(printf 'a\nb')"
check "a newline in an argument is refused before sending: exit 2" \
	eval 'is_rc 2 && err_has "control characters"'

start_server silent --raw "$tmp/silent.sock" ""
start=$(date +%s%N)
run -t 0.5 -s "$tmp/silent.sock" ping
elapsed=$((($(date +%s%N) - start) / 1000000))
check "silent server: timeout, exit 2, within the -t limit" \
	eval 'is_rc 2 && err_has "timed out" && [ "$elapsed" -lt 3000 ]'
start_server future --raw "$tmp/future.sock" "0000 dpf 9.9.9 protocol 2"
run -s "$tmp/future.sock" ping
check "protocol version mismatch: exit 2, clear message" \
	eval 'is_rc 2 && err_has "speaks control protocol 2, this dpfctl speaks 1"'
start_server full --raw "$tmp/full.sock" "9006 too many clients"
start=$(date +%s%N)
run -t 0.6 -s "$tmp/full.sock" ping
elapsed=$((($(date +%s%N) - start) / 1000000))
check "refused at the greeting (9006): tries again until -t, then exit 1" \
	eval 'is_rc 1 && err_has "too many clients (code 9006)" && [ "$elapsed" -ge 500 ] &&
	[ "$elapsed" -lt 3000 ]'
start_server http --raw "$tmp/http.sock" "HTTP/1.0 400 Bad Request"
run -s "$tmp/http.sock" ping
check "not a dpf socket: exit 2" eval 'is_rc 2 && err_has "protocol error"'

# Last: the server stops cleanly on SIGTERM, with nothing on stderr (in an
# ASan build, a leak or an error report would be there).
kill -TERM "${pids[0]}"
wait "${pids[0]}"
rc=$?
cp "$tmp/echo.log" "$out"
# The one changing command that ran ("add onlyname" on the admin socket; the
# read-only socket refused its "add" before running it) is logged with the
# client's uid and pid (SO_PEERCRED); nothing else may be on stderr.
grep -v '^dpf\[ctl\] level=notice event=command ' "$tmp/echo.log" >"$err"
check "the changing command is audited once, with uid and pid" eval \
	'[ "$(grep -c "event=command " "$out")" = 1 ] &&
	 grep -qE "^dpf\\[ctl\\] level=notice event=command uid=$(id -u) pid=[0-9]+ cmd=\"add onlyname\"\$" "$out"'
: >"$out"
check "echo server exits 0 with an empty log (but for audit lines)" eval \
	'is_rc 0 && err_empty && [ ! -e "$sock" ]'

exit $((failed > 0))
