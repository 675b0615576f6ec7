#!/usr/bin/env bash
# pktgen-smoke: Pktgen-DPDK (make pktgen, build-pktgen/) drives
# PG_SMOKE_COUNT (5000) UDP frames through dpf over net_memif
# (tools/bench/pktgen.sh with tools/pktgen/smoke.lua, dpf "pass all"), and:
#  - pktgen sent them all and received them all on its port 1;
#  - dpf's worker counters agree: received and forwarded = pktgen's count
#    (plus the one frame sent first, which makes dpf resolve its gateway).
# Without build-pktgen/ the test builds it (about 2 minutes here, under
# load); if that fails it is a TAP SKIP with the reason.
# No namespaces: net_memif.  Run under the integration lock.
. "$(dirname "$0")/lib.sh"
ROOT=${DPF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
COUNT=${PG_SMOKE_COUNT:-5000}
TMP=$(mktemp -d /tmp/dpf-pgsmoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PGB=${PKTGEN_BUILD:-$ROOT/build-pktgen}
if [ ! -x "$PGB/B/app/pktgen" ]; then
	diag "no $PGB/B/app/pktgen: building it (tools/pktgen/build.sh)"
	if ! "$ROOT/tools/pktgen/build.sh" "$PGB" >"$TMP/build.log" 2>&1; then
		echo "1..0 # SKIP Pktgen-DPDK did not build: $(tail -1 "$TMP/build.log")"
		exit 0
	fi
fi
PKTGEN_BUILD=$PGB PKTGEN_DUTS=dpf PKTGEN_KEEP=$TMP BENCH_PKTGEN_CSV=$TMP/figures.csv \
	PG_SMOKE_COUNT=$COUNT PKTGEN_LIMIT_S=120 PG_FLOWS_LIST=1000 \
	"$ROOT/tools/bench/pktgen.sh" "$DPF_BUILDDIR" smoke >"$TMP/run.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/run.out" | tail -15
line=$(grep -a "^smoke: sent" "$TMP/run.out" | tail -1)
sent=$(echo "$line" | awk '{print $3}')
recv=$(echo "$line" | awk '{print $5}')
check "pktgen.sh ran (rc $rc)" test "$rc" -eq 0
check "pktgen sent $COUNT frames (sent ${sent:-none})" test "${sent:-0}" -eq "$COUNT"
check "pktgen received them on port 1 (received ${recv:-none})" test "${recv:-0}" -eq "${sent:--1}"
check "dpf's worker counters agree" $PY - "$TMP/workers-smoke.json" "$COUNT" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
ws = doc["workers"] if isinstance(doc, dict) and "workers" in doc else doc
rows = [w for w in ws if str(w.get("worker", w.get("id", ""))) != "control"]
fwd = sum(int(w.get("forwarded", 0)) for w in rows)
print("workers:", json.dumps(ws)[:400])
# the one frame sent before the counted run is forwarded too
sys.exit(0 if fwd in (want, want + 1) else 1)
PYEOF
finish
