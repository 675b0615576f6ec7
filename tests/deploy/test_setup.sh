#!/usr/bin/env bash
# dpf-setup (dpf.service's ExecStartPre): idempotent on a vdev-only config,
# and the one-line explanations of what is missing.  This machine has no
# IOMMU and no PCI NIC to give away, so the PCI cases run against sysfs and
# /proc trees made here (DPF_SETUP_SYSFS, DPF_SETUP_PROC) in dry-run mode,
# and one against the real /sys in dry-run mode; nothing is ever bound.
set -u
SRC=${DPF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SETUP=$SRC/tools/dpf-setup
TMP=$(mktemp -d /tmp/dpf-setup-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
N=0
FAIL=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }
expect() { # DESCRIPTION WANT_RC GREP-PATTERN-IN-OUTPUT (empty: none) -- CMD...
	local d=$1 want=$2 pat=$3 rc
	shift 4
	"$@" >"$TMP/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -qE -- "$pat" "$TMP/out"; }; then
		ok "$d"
	else
		notok "$d (rc $rc, want $want)"
		sed 's/^/# /' "$TMP/out"
	fi
}

cfg() { # FILE DEVICE EAL-JSON
	cat >"$1" <<JSON
{ "schema_version": 1,
  "dataplane": { "eal": $3, "workers": 1,
                 "ports": [ { "name": "p0", "device": "$2" } ] } }
JSON
}
cfg "$TMP/vdev.json" net_af_packet0 '{ "no_huge": true }'
cfg "$TMP/pci.json" 0000:01:00.0 '{ "memory_mb": 512 }'
cfg "$TMP/pci-short.json" 01:00.0 '{ "memory_mb": 512 }'

# --- a vdev-only config: nothing to do, for real (not dry-run), twice
expect "vdev-only config: nothing to bind, no hugepages, exit 0" 0 \
	"nothing to bind" -- "$SETUP" -c "$TMP/vdev.json"
cp "$TMP/out" "$TMP/first"
expect "a second run says and does the same (idempotent)" 0 "" -- "$SETUP" -c "$TMP/vdev.json"
if cmp -s "$TMP/first" "$TMP/out"; then ok "both runs print the same"; else
	notok "both runs print the same"; diff "$TMP/first" "$TMP/out" | sed 's/^/# /'; fi
expect "-q prints nothing when nothing is missing" 0 "" -- "$SETUP" -q -c "$TMP/vdev.json"
[ -s "$TMP/out" ] && notok "-q is silent" || ok "-q is silent"

# --- sysfs/proc trees: a NIC on ixgbe, no IOMMU, no hugepages reserved
fake() { # ROOT: a machine with one NIC 0000:01:00.0 on ixgbe
	local r=$1
	mkdir -p "$r/sys/kernel/mm/hugepages/hugepages-2048kB" "$r/sys/kernel/iommu_groups" \
		"$r/sys/bus/pci/drivers/ixgbe" "$r/sys/bus/pci/devices/0000:01:00.0" "$r/proc"
	echo 0 >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
	ln -s ../../../bus/pci/drivers/ixgbe "$r/sys/bus/pci/devices/0000:01:00.0/driver"
	echo "proc /proc proc rw 0 0" >"$r/proc/mounts"
}
F=$TMP/m1
fake "$F"
export DPF_SETUP_SYSFS=$F/sys DPF_SETUP_PROC=$F/proc
expect "IOMMU off: one line saying what to enable, exit 1" 1 \
	"^dpf-setup: IOMMU off: enable VT-d .* intel_iommu=on" -- "$SETUP" -n -c "$TMP/pci.json"
[ "$(grep -c 'IOMMU off' "$TMP/out")" = 1 ] && ok "the IOMMU line comes once" ||
	notok "the IOMMU line comes once"
grep -q "would run: .*dpdk-hugepages.py --pagesize 2048K --reserve 524288K" "$TMP/out" &&
	ok "dry-run: 512 MB of 2 MB pages would be reserved with dpdk-hugepages.py" ||
	{ notok "dry-run reserves hugepages"; sed 's/^/# /' "$TMP/out"; }
grep -q "would run: .*dpdk-hugepages.py --mount" "$TMP/out" &&
	ok "dry-run: hugetlbfs would be mounted" || notok "dry-run mounts hugetlbfs"
grep -q "dpdk-devbind" "$TMP/out" && notok "nothing is bound without an IOMMU" ||
	ok "nothing is bound without an IOMMU"

# IOMMU on, vfio-pci not loaded
mkdir -p "$F/sys/kernel/iommu_groups/7"
expect "IOMMU on: dry-run loads vfio-pci and binds the port with dpdk-devbind.py" 0 \
	"would run: .*dpdk-devbind.py --bind=vfio-pci 0000:01:00.0" -- "$SETUP" -n -c "$TMP/pci.json"
grep -q "would run: modprobe vfio-pci" "$TMP/out" && ok "dry-run: modprobe vfio-pci first" ||
	notok "dry-run: modprobe vfio-pci first"
expect "a short PCI address (01:00.0) is the same device" 0 \
	"--bind=vfio-pci 0000:01:00.0" -- "$SETUP" -n -c "$TMP/pci-short.json"

# No vfio-pci module: modprobe fails as on a kernel without it (a modprobe
# on PATH that exits 1: the real one would load modules on this machine).
mkdir -p "$TMP/bin"
printf '#!/bin/sh\necho "modprobe: FATAL: Module vfio-pci not found" >&2\nexit 1\n' \
	>"$TMP/bin/modprobe"
chmod +x "$TMP/bin/modprobe"
echo 1000 >"$F/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
echo "hugetlbfs /dev/hugepages hugetlbfs rw 0 0" >>"$F/proc/mounts"
expect "no vfio-pci module: one line saying so, exit 1" 1 \
	"^dpf-setup: no vfio-pci module" -- env PATH="$TMP/bin:$PATH" "$SETUP" -c "$TMP/pci.json"
grep -q "dpdk-devbind" "$TMP/out" && notok "no bind without vfio-pci" || ok "no bind without vfio-pci"

# Everything in place: bound to vfio-pci, pages reserved, hugetlbfs mounted.
mkdir -p "$F/sys/bus/pci/drivers/vfio-pci"
ln -sfn ../../../bus/pci/drivers/vfio-pci "$F/sys/bus/pci/devices/0000:01:00.0/driver"
expect "all in place: nothing to do, nothing would run" 0 "bound to vfio-pci: nothing to do" \
	-- "$SETUP" -n -c "$TMP/pci.json"
grep -q "would run" "$TMP/out" && { notok "nothing would run"; sed 's/^/# /' "$TMP/out"; } ||
	ok "nothing would run"
grep -q "hugepages: 1000 x 2048 kB reserved, 256 needed: nothing to do" "$TMP/out" &&
	ok "enough hugepages: none reserved (never fewer: a running DPDK may hold them)" ||
	notok "enough hugepages are left alone"

# A bifurcated NIC stays on its driver.
ln -sfn ../../../bus/pci/drivers/mlx5_core "$F/sys/bus/pci/devices/0000:01:00.0/driver"
expect "mlx5_core stays (bifurcated driver)" 0 "bifurcated" -- "$SETUP" -n -c "$TMP/pci.json"

# No hugepage support, no such device.
rm -rf "$F/sys/kernel/mm/hugepages/hugepages-2048kB"
expect "no hugepages: one line saying so" 1 "^dpf-setup: no hugepages: " \
	-- "$SETUP" -n -c "$TMP/pci.json"
rm -rf "$F/sys/bus/pci/devices/0000:01:00.0"
expect "a device that is not there: one line naming it" 1 \
	"^dpf-setup: port 0000:01:00.0: no PCI device 0000:01:00.0" -- "$SETUP" -n -c "$TMP/pci.json"

# Bad input.
echo '{ "schema_version": 1, ' >"$TMP/bad.json"
expect "a file that is not JSON: one line pointing at dpf -n" 1 "not JSON.*dpf -n" \
	-- "$SETUP" -n -c "$TMP/bad.json"
expect "a file that is not there" 1 "cannot read" -- "$SETUP" -n -c "$TMP/none.json"
unset DPF_SETUP_SYSFS DPF_SETUP_PROC

# The real /sys of this machine, dry-run, with a device no machine has
# (PCI domain 0x00ff): one line naming it, and nothing changed.
cfg "$TMP/nodev.json" 00ff:ff:1f.7 '{ "memory_mb": 512 }'
expect "dry-run against this machine's /sys: a missing device is named, nothing changes" 1 \
	"^dpf-setup: port 00ff:ff:1f.7: no PCI device" -- "$SETUP" -n -c "$TMP/nodev.json"
echo "1..$N"
[ "$FAIL" = 0 ]
