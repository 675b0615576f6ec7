#!/usr/bin/env bash
# The README's minimal appliance config (the ```json block after "A minimal
# appliance") is one dpf accepts: `dpf -n` passes and prints it normalized
# with both interfaces, the route and the rules.  A broken copy must fail,
# so that the check can.
set -u
SRC=${DPF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${DPF_BUILDDIR:?DPF_BUILDDIR}
TMP=$(mktemp -d /tmp/dpf-readme-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
N=0
FAIL=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }

awk '/^A minimal appliance/ { want = 1 }
     want && /^```json$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$SRC/README.md" >"$TMP/min.json"
if [ -s "$TMP/min.json" ]; then ok "README has the minimal appliance config ($(wc -l <"$TMP/min.json") lines)"
else notok "no \`\`\`json block after 'A minimal appliance' in README.md"; fi

if "$B/control/dpf" -n -c "$TMP/min.json" >"$TMP/out" 2>"$TMP/err"; then
	ok "dpf -n accepts the README's minimal config"
else notok "dpf -n rejects the README's minimal config: $(head -3 "$TMP/err")"; fi
if grep -q '"name": "lan"' "$TMP/out" && grep -q '"name": "wan"' "$TMP/out" &&
   grep -q '198.51.100.1' "$TMP/out" && grep -q 'pass in on lan all' "$TMP/out"; then
	ok "dpf -n prints it normalized: lan, wan, the default route, the rules"
else notok "dpf -n output lacks lan/wan/route/rules"; sed 's/^/# /' "$TMP/out" | head -20; fi

# A broken copy: one address on two interfaces is an error.
sed 's|"198.51.100.2/24"|"192.0.2.1/24"|' "$TMP/min.json" >"$TMP/bad.json"
if ! "$B/control/dpf" -n -c "$TMP/bad.json" >/dev/null 2>"$TMP/bad.err" &&
   grep -q '^dpf: ' "$TMP/bad.err"; then
	ok "a broken copy (one address on two interfaces) is refused: $(head -1 "$TMP/bad.err")"
else notok "a broken copy passed dpf -n"; fi

echo "1..$N"
[ "$FAIL" = 0 ]
