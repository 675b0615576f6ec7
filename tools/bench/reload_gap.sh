#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# reload_gap.sh [N...]: how long a reload of N static routes stops dpf's
# control loop (issue 15).  For each N (default: 1000 10000 80000): dpf on
# net_null ports (no hugepages, no root needed beyond that), CARP MASTER
# for one vhid with adverts every 125 ms (advbase 0, advskew 32) on an
# interface whose port is a net_null device, starts with 10 routes, then
# `configure` loads N routes (IPv4 /24s up to 60,000, IPv6 /24s beyond)
# and `configure` loads the 10 again.  Per reload it prints the log line's
# check_ms (load, compile, compare), build_ms (FIB and ruleset), gap_ms
# (the control loop's longest gap during the reload) and the CARP
# advertisements dpf sent meanwhile (`show carp` counters before and after;
# the gap between adverts on the wire is what the integration test
# reload-fib checks, with tcpdump: sampling the counter through dpfctl is
# too coarse for it).
#
# usage: tools/bench/reload_gap.sh [N...]   (BUILD=build by default)
# Run it under `flock /tmp/dpf-it.lock` on a shared machine.
set -u
BUILD=${BUILD:-build}
DPF=$BUILD/control/dpf
DPFCTL=$BUILD/tools/dpfctl
[ -x "$DPF" ] && [ -x "$DPFCTL" ] || { echo "reload_gap: build dpf first ($DPF)" >&2; exit 1; }
SIZES=${*:-1000 10000 80000}
tmp=$(mktemp -d /tmp/dpf-reload-gap-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

gen() { # N OUT
	python3 - "$1" "$tmp" "$2" <<'PYEOF'
import json, sys
n, tmp, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
routes = []
for k in range(n):
    if k < 60000:
        routes.append({"prefix": "10.%d.%d.0/24" % ((k >> 8) & 255, k & 255), "via": "198.18.1.2"})
    else:
        j = k - 60000
        routes.append({"prefix": "%x:%x::/24" % (0x2000 + (j >> 8), (j & 255) << 8),
                       "via": "2001:db8:ffff::2"})
c = {
  "schema_version": 1,
  "system": {"hostname": "gap", "control": {"socket": tmp + "/dpf.sock"}},
  "dataplane": {"eal": {"lcores": "0-1", "no_huge": True, "memory_mb": 1024, "in_memory": True,
                        "args": ["--vdev=net_null0", "--no-pci", "--log-level=lib.eal:error"]},
                "workers": 1, "idle_sleep_us": 20, "lock_dir": tmp + "/locks",
                "ports": [{"name": "p0", "device": "net_null0"}]},
  "interfaces": [{"name": "lan", "port": "p0", "ipv4": ["198.18.1.1/24"],
                  "ipv6": ["2001:db8:ffff::1/64"]}],
  "routes": routes,
  "rules": ["pass all"],
  "carp": {"vhids": [{"vhid": 1, "interface": "lan", "advbase": 0, "advskew": 32,
                      "pass": "bench", "addresses": ["198.18.1.100"]}]},
}
json.dump(c, open(out, "w"))
PYEOF
}

adverts() { # the vhid's adverts sent so far
	"$DPFCTL" -s "$tmp/dpf.sock" -j show carp 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)
v = v[0] if isinstance(v, list) else v
for k in ("vhids", "carp"):
    if isinstance(v, dict) and k in v: v = v[k][0]
print(v.get("stats", {}).get("carps_opackets", 0))' 2>/dev/null
}

# reload FILE LABEL: configure FILE while sampling the advert counter.
reload() {
	local f=$1 label=$2 t0 t1 sent0 sent
	sent0=$(adverts)
	t0=$(date +%s%N)
	"$DPFCTL" -s "$tmp/dpf.sock" -t 300 configure "$f" >"$tmp/out" 2>&1 ||
		{ echo "reload_gap: $label: $(cat "$tmp/out")" >&2; return 1; }
	t1=$(date +%s%N)
	sent=$(( $(adverts) - sent0 ))
	line=$(grep "event=reload-applied" "$tmp/dpf.log" | tail -1)
	printf "%-16s %9s %9s %9s %9s %8s %9s\n" "$label" \
		"$(echo "$line" | sed -n 's/.*check_ms=\([0-9]*\).*/\1/p')" \
		"$(echo "$line" | sed -n 's/.*build_ms=\([0-9]*\).*/\1/p')" \
		"$(echo "$line" | sed -n 's/.*finish_ms=\([0-9.]*\).*/\1/p')" \
		"$(echo "$line" | sed -n 's/.*gap_ms=\([0-9.]*\).*/\1/p')" "$sent" \
		"$(((t1 - t0) / 1000000))"
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); adverts every 125 ms"
printf "%-16s %9s %9s %9s %9s %8s %9s\n" reload check_ms build_ms finish_ms gap_ms adverts wall_ms
gen 10 "$tmp/small.json"
for n in $SIZES; do
	gen "$n" "$tmp/big.json"
	rm -rf "$tmp/locks"
	"$DPF" -c "$tmp/small.json" >"$tmp/dpf.log" 2>&1 &
	pid=$!
	for _ in $(seq 150); do "$DPFCTL" -s "$tmp/dpf.sock" ping >/dev/null 2>&1 && break; sleep 0.2; done
	sleep 1.5	# MASTER after master-down (3 x 125 ms + skew)
	reload "$tmp/big.json" "10 -> $n" || exit 1
	reload "$tmp/small.json" "$n -> 10" || exit 1
	"$DPFCTL" -s "$tmp/dpf.sock" show info | grep "Control loop:" | sed 's/^/# /'
	kill "$pid"; wait "$pid" 2>/dev/null; pid=
done
