#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: pfsync packets built by proto/pfsync (through the pfsync_dump
# helper, which documents its fixed inputs) decoded by pfsync_reader.py, a
# reader written only from the field offsets of OpenBSD's if_pfsync.h and pfvar.h, and
# their IPv4 headers by tshark.  Upstream tshark/tcpdump have no pfsync
# decoder (OpenBSD), hence our own independent one.
#
# Output is TAP from the reader: one line per packet check, per record (per
# field group for full states) and per MTU split.  Needs $DPF_BUILDDIR (set
# by meson test) for $DPF_BUILDDIR/tests/interop/pfsync_dump.
set -u
export LC_ALL=C

helper=${DPF_BUILDDIR:-}/tests/interop/pfsync_dump
reader=${DPF_SRCDIR:-$(dirname "$0")/../..}/tests/interop/pfsync_reader.py
if [ -z "${DPF_BUILDDIR:-}" ] || [ ! -x "$helper" ]; then
	echo "Bail out! pfsync_dump helper not found (DPF_BUILDDIR=${DPF_BUILDDIR:-unset})"
	exit 1
fi
[ -x /usr/bin/python3 ] || { echo "1..0 # SKIP /usr/bin/python3 not installed"; exit 0; }
command -v tshark >/dev/null 2>&1 || { echo "1..0 # SKIP tshark not installed"; exit 0; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! "$helper" "$tmp" 2>"$tmp/err"; then
	echo "Bail out! pfsync_dump failed: $(cat "$tmp/err")"
	exit 1
fi
/usr/bin/python3 "$reader" "$tmp"
