#!/usr/bin/env bash
# The Debian package (make deb): it builds, lintian finds no error, it
# installs (the group dpf, the conffile, the unit, the man pages), the
# installed unit passes systemd-analyze verify (man pages included), the
# installed dpf accepts the installed /etc/dpf/dpf.json, and it removes and
# purges without leaving a file behind.  Needs root (dpkg).  The package is
# removed at the end whatever happens, and the whole test holds
# /tmp/dpf-deb.lock so that two runs never install at once; a dpf package
# installed before the test is refused rather than replaced.
set -u
SRC=${DPF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d /tmp/dpf-deb-test.XXXXXX)
N=0
FAIL=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }
check() { # DESCRIPTION CMD...
	local d=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then ok "$d"; else
		notok "$d"
		sed 's/^/# /' "$TMP/check.out" | tail -20
	fi
}
INSTALLED=0
cleanup() {
	if [ "$INSTALLED" = 1 ]; then dpkg -P dpf >/dev/null 2>&1; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
exec 9>/tmp/dpf-deb.lock
flock 9
if dpkg-query -W -f='${Status}' dpf 2>/dev/null | grep -q installed; then
	notok "a dpf package is already installed on this machine; the test does not replace it"
	echo "1..$N"
	exit 1
fi

if "$SRC/tools/build-deb.sh" "$TMP/out" >"$TMP/build.out" 2>&1; then
	DEB=$(tail -1 "$TMP/build.out")
	ok "the package builds: $(basename "$DEB")"
else
	notok "the package builds"
	sed 's/^/# /' "$TMP/build.out" | tail -30
	echo "1..$N"
	exit 1
fi
lintian --fail-on error "$DEB" >"$TMP/lintian.out" 2>/dev/null
rc=$?
if [ "$rc" = 0 ] && ! grep -q '^E:' "$TMP/lintian.out"; then
	ok "lintian: no errors ($(grep -c '^W:' "$TMP/lintian.out") warnings)"
else
	notok "lintian: no errors"
fi
sed 's/^/# /' "$TMP/lintian.out"
check "the package has the binaries, the unit, the man pages, the config, logrotate, completion" \
	sh -c "dpkg -c '$DEB' | awk '{print \$6}' >'$TMP/list' && for f in ./usr/sbin/dpf \
		./usr/bin/dpfctl ./usr/sbin/dpf-setup ./lib/systemd/system/dpf.service \
		./usr/share/man/man8/dpf.8.gz ./usr/share/man/man8/dpfctl.8.gz \
		./usr/share/man/man5/dpf.json.5.gz ./usr/share/man/man8/dpf-setup.8.gz ./etc/dpf/dpf.json ./etc/logrotate.d/dpf \
		./usr/share/bash-completion/completions/dpfctl ./usr/share/doc/dpf/deployment.md; do
		grep -qE \"^\$f(.gz)?\$\" '$TMP/list' || { echo missing \$f; exit 1; }; done"

INSTALLED=1
export DEBIAN_FRONTEND=noninteractive
check "it installs (dpkg -i; its dependencies are the test's own)" dpkg -i "$DEB"
check "the group dpf exists" getent group dpf
check "/etc/dpf/dpf.json is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' dpf | grep -q /etc/dpf/dpf.json"
# Minimal container images tell dpkg not to install man pages
# (path-exclude=/usr/share/man/*): then the pages are checked in the .deb
# only (above), and verify does not look them up.
MANX=
grep -rqs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/ && MANX=1
vdesc="systemd-analyze verify accepts the installed unit (man pages too)"
[ -n "$MANX" ] && vdesc="systemd-analyze verify --man=no accepts the installed unit"
check "$vdesc" sh -c \
	"systemd-analyze verify ${MANX:+--man=no} /lib/systemd/system/dpf.service >'$TMP/v' 2>&1; rc=\$?; cat '$TMP/v'; [ \$rc = 0 ] && [ ! -s '$TMP/v' ]"
check "the installed dpf -n -c /etc/dpf/dpf.json passes" sh -c "/usr/sbin/dpf -n -c /etc/dpf/dpf.json >/dev/null"
check "the unit is neither enabled nor started by the installation" sh -c \
	"[ ! -e /etc/systemd/system/multi-user.target.wants/dpf.service ]"
if [ -n "$MANX" ]; then
	N=$((N + 1)); echo "ok $N - man finds the pages # SKIP dpkg excludes /usr/share/man here"
else
check "man finds dpf(8), dpfctl(8), dpf.json(5), dpf-setup(8)" sh -c "man -w 8 dpf && man -w 8 dpfctl && man -w 5 dpf.json && man -w 8 dpf-setup"
fi
check "the installed dpf-setup checks the installed config (dry-run)" sh -c \
	"/usr/sbin/dpf-setup -n -c /etc/dpf/dpf.json; [ \$? -le 1 ]"
check "bash completion parses and completes 'dpfctl sh' to show" bash -c \
	"source /usr/share/bash-completion/completions/dpfctl &&
	 COMP_WORDS=(dpfctl sh); COMP_CWORD=1; COMP_LINE='dpfctl sh'; COMP_POINT=9; _dpfctl; [[ \" \${COMPREPLY[*]} \" == *' show '* ]]"
if command -v logrotate >/dev/null; then
	check "logrotate accepts /etc/logrotate.d/dpf" logrotate -d /etc/logrotate.d/dpf
fi

dpkg -c "$DEB" | awk '{print $6}' | sed 's|^\.||' | grep -v '/$' >"$TMP/files"
check "it removes cleanly (dpkg -r)" dpkg -r dpf
check "after removal only the conffiles remain" sh -c \
	"for f in \$(cat '$TMP/files'); do case \$f in /etc/*) ;; *) [ ! -e \"\$f\" ] || { echo left \$f; exit 1; } ;; esac; done"
check "it purges cleanly (dpkg -P)" dpkg -P dpf
INSTALLED=0
check "after purge no file of the package remains" sh -c \
	"for f in \$(cat '$TMP/files'); do [ ! -e \"\$f\" ] || { echo left \$f; exit 1; }; done; [ ! -e /etc/dpf ]"
echo "1..$N"
[ "$FAIL" = 0 ]
