#!/usr/bin/env bash
# dpf.service as built (dist/dpf.service.in): systemd-analyze verify accepts
# it without a single message, and it says what the operations contract
# says (Type=notify, ExecReload=dpfctl configure, ...).  Its Exec paths are
# pointed at this tree's binaries (verify checks that they are executable);
# the installed unit is verified by tests/deploy/test_deb.sh.  A broken copy
# must draw messages, so that the check can fail.
set -u
SRC=${DPF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${DPF_BUILDDIR:?DPF_BUILDDIR}
TMP=$(mktemp -d /tmp/dpf-unit-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
N=0
FAIL=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }

UNIT=$B/dist/dpf.service
sbin=$(sed -n 's|^ExecStart=\(.*\)/dpf -c .*|\1|p' "$UNIT")
bin=$(sed -n 's|^ExecReload=\(.*\)/dpfctl configure$|\1|p' "$UNIT")
mkdir -p "$TMP/ok" "$TMP/bad"
sed -e "s|$sbin/dpf-setup|$SRC/tools/dpf-setup|" -e "s|$sbin/dpf |$B/control/dpf |" \
	-e "s|$bin/dpfctl|$B/tools/dpfctl|" "$UNIT" >"$TMP/ok/dpf.service"
verify() { # UNIT: rc 0 and no output at all
	systemd-analyze verify --man=no "$1" >"$TMP/verify.out" 2>&1 && [ ! -s "$TMP/verify.out" ]
}
if verify "$TMP/ok/dpf.service"; then ok "systemd-analyze verify accepts dpf.service, no messages"
else notok "systemd-analyze verify dpf.service"; sed 's/^/# /' "$TMP/verify.out"; fi
sed -e 's/^Type=notify/Type=notifyy/' -e 's/^ProtectHostname=/ProtectHostnames=/' \
	"$TMP/ok/dpf.service" >"$TMP/bad/dpf.service"
if verify "$TMP/bad/dpf.service"; then notok "a broken unit draws messages"
else ok "a broken unit draws messages ($(wc -l <"$TMP/verify.out") lines)"; fi

has() { grep -qx -- "$1" "$UNIT" && ok "unit: $1" || notok "unit: $1"; }
has "Type=notify"
has "After=network-online.target"
has "Wants=network-online.target"
has "ExecReload=$bin/dpfctl configure"
has "Restart=on-failure"
has "RuntimeDirectory=dpf"
grep -q "^ExecStartPre=+$sbin/dpf-setup " "$UNIT" && ok "unit: ExecStartPre=+dpf-setup" ||
	notok "unit: ExecStartPre=+dpf-setup"
# ProtectSystem=strict keeps /run read-only but for ReadWritePaths, which
# must exist: the unit creates EAL's runtime directory before dpf starts.
grep -q "^ExecStartPre=+/bin/mkdir -p /run/dpdk$" "$UNIT" && grep -q "^ReadWritePaths=/run/dpdk" "$UNIT" &&
	ok "unit: /run/dpdk created and writable" || notok "unit: /run/dpdk created and writable"
for opt in NoNewPrivileges ProtectSystem ProtectHome PrivateTmp ProtectKernelModules \
	RestrictNamespaces RestrictAddressFamilies CapabilityBoundingSet; do
	grep -q "^$opt=" "$UNIT" && ok "hardening: $opt" || notok "hardening: $opt"
done
# The options DPDK cannot have are absent, and the unit says why.
for opt in PrivateDevices ProtectClock PrivateNetwork ProtectKernelTunables MemoryDenyWriteExecute \
	SystemCallFilter User; do
	if ! grep -q "^$opt=" "$UNIT" && grep -q "^#  $opt=" "$UNIT"; then
		ok "not set, with the reason: $opt"
	else
		notok "not set, with the reason: $opt"
	fi
done
echo "1..$N"
[ "$FAIL" = 0 ]
