#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: CARP adverts built by proto/carp (through the carp_pcap helper)
# decoded by tshark, every field compared with what this script asked for.
# The HMAC is recomputed here with the openssl CLI over the message ucarp
# and OpenBSD hash for one IPv4 or one IPv6 address (OpenBSD ip_carp.c carp_hmac_prepare_ctx, 1.8).
#
# tshark (4.0) decodes IP protocol 112 as VRRP unless its CARP heuristic
# runs first: ip/ipv6.try_heuristic_first make it do so, and the heuristic
# itself accepts only version 2, type 1, authlen 7 (OpenBSD), so a
# packet shown as "carp" already passed that check.  The last packet has a
# corrupted checksum and must show as bad, which proves the check can fail.
#
# Output is TAP, one line per checked field.  Needs $DPF_BUILDDIR (set by
# meson test) for $DPF_BUILDDIR/tests/interop/carp_pcap.
set -u
export LC_ALL=C

helper=${DPF_BUILDDIR:-}/tests/interop/carp_pcap
if ! command -v tshark >/dev/null 2>&1; then
	echo "1..0 # SKIP tshark not installed"
	exit 0
fi
if [ -z "${DPF_BUILDDIR:-}" ] || [ ! -x "$helper" ]; then
	echo "Bail out! carp_pcap helper not found (DPF_BUILDDIR=${DPF_BUILDDIR:-unset})"
	exit 1
fi
command -v openssl >/dev/null 2>&1 || { echo "Bail out! openssl not installed"; exit 1; }
command -v xxd >/dev/null 2>&1 || { echo "Bail out! xxd not installed"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
key=dpf-interop

# af vhid advskew advbase demote counter vip flag
# IPv6 VIPs are written in full (no "::") so that this script can turn
# them into bytes without a parser.
cat >"$tmp/packets" <<'EOF'
4 1 0 1 0 0x0102030405060708 198.18.0.10 -
6 200 100 3 7 0xfedcba9876543210 2001:db8:0:0:0:0:0:10 -
4 254 255 255 0 0xffffffffffffffff 198.18.0.11 -
4 9 1 1 32 0x0000000000000000 198.18.0.12 peer
6 17 240 0 255 0x0000000000000001 2001:db8:1:0:0:0:0:1 -
4 5 0 1 0 0x000000000000002a 198.18.0.13 badsum
EOF

set --
while read -r af vhid skew base demote counter vip flag; do
	spec="$af,$vhid,$skew,$base,$demote,$counter,$vip"
	[ "$flag" = - ] || spec="$spec,$flag"
	set -- "$@" "$spec"
done <"$tmp/packets"
if ! "$helper" -k "$key" "$tmp/carp.pcap" "$@" 2>"$tmp/err"; then
	echo "Bail out! carp_pcap failed: $(cat "$tmp/err")"
	exit 1
fi

fields="frame.protocols eth.src eth.dst
	ip.version ip.hdr_len ip.dsfield ip.len ip.flags.df ip.ttl ip.proto
	ip.checksum.status ip.src ip.dst
	ipv6.version ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst
	carp.version carp.type carp.vhid carp.advskew carp.authlen carp.demotion
	carp.adver_int carp.checksum.status carp.counter carp.hmac"
set --
for f in $fields; do set -- "$@" -e "$f"; done
if ! tshark -r "$tmp/carp.pcap" -n -o ip.check_checksum:TRUE \
	-o ip.try_heuristic_first:TRUE -o ipv6.try_heuristic_first:TRUE \
	-T fields -E separator='|' "$@" >"$tmp/fields" 2>"$tmp/err"; then
	echo "Bail out! tshark failed: $(cat "$tmp/err")"
	exit 1
fi

# hex of one address as written in the table
addr_hex() {
	case $1 in
	*:*)
		echo "$1" | tr ':' '\n' | while read -r g; do
			printf '%04x' "0x$g"
		done
		;;
	*)
		echo "$1" | tr '.' '\n' | while read -r o; do
			printf '%02x' "$o"
		done
		;;
	esac
}

key_hex=$(printf '%s' "$key" | xxd -p | tr -d '\n')
while [ ${#key_hex} -lt 40 ]; do key_hex="${key_hex}00"; done

n=0
out="$tmp/tap"
: >"$out"
# check DESCRIPTION GOT WANT
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1" >>"$out"
	else
		echo "not ok $n - $1: got '$2', want '$3'" >>"$out"
	fi
}

pkt=0
exec 3<"$tmp/fields"
while read -r af vhid skew base demote counter vip flag; do
	pkt=$((pkt + 1))
	IFS='|' read -r protos esrc edst ipver iphl tos iplen df ttl proto ipsum \
		ipsrc ipdst v6ver plen nxt hlim v6src v6dst cver ctype cvhid cskew \
		cauth cdemote cbase csum ccounter chmac <&3 || {
		check "packet $pkt present" "missing" "present"
		continue
	}
	p="packet $pkt (IPv$af vhid $vhid)"
	vh=$(printf '%02x' "$vhid")
	check "$p decoded as CARP" "${protos##*:}" carp
	check "$p eth.src is the virtual MAC" "$esrc" "00:00:5e:00:01:$vh"
	if [ "$af" = 4 ]; then
		if [ "$flag" = peer ]; then
			check "$p eth.dst unicast peer" "$edst" 02:00:00:00:00:03
			check "$p ip.dst unicast peer" "$ipdst" 198.18.0.3
		else
			check "$p eth.dst" "$edst" 01:00:5e:00:00:12
			check "$p ip.dst" "$ipdst" 224.0.0.18
		fi
		check "$p ip.version" "$ipver" 4
		check "$p ip.hdr_len" "$iphl" 20
		check "$p ip.dsfield (IPTOS_LOWDELAY)" "$tos" 0x10
		check "$p ip.len" "$iplen" 56
		check "$p ip.flags.df" "$df" 1
		check "$p ip.ttl" "$ttl" 255
		check "$p ip.proto" "$proto" 112
		check "$p ip.checksum.status good" "$ipsum" 1
		check "$p ip.src" "$ipsrc" 198.18.0.2
	else
		check "$p eth.dst" "$edst" 33:33:00:00:00:12
		check "$p ipv6.version" "$v6ver" 6
		check "$p ipv6.plen" "$plen" 36
		check "$p ipv6.nxt" "$nxt" 112
		check "$p ipv6.hlim" "$hlim" 255
		check "$p ipv6.src" "$v6src" fe80::2
		check "$p ipv6.dst" "$v6dst" ff02::12
	fi
	check "$p carp.version" "$cver" 2
	check "$p carp.type" "$ctype" 1
	check "$p carp.vhid" "$cvhid" "$vhid"
	check "$p carp.advskew" "$cskew" "$skew"
	check "$p carp.authlen" "$cauth" 7
	check "$p carp.demotion" "$cdemote" "$demote"
	check "$p carp.adver_int" "$cbase" "$base"
	check "$p carp.counter" "$ccounter" "$(printf '%u' "$counter")"
	if [ "$flag" = badsum ]; then
		check "$p carp.checksum.status bad (corrupted on purpose)" "$csum" 0
	else
		check "$p carp.checksum.status good" "$csum" 1
	fi
	msg="0201$vh$(addr_hex "$vip")${counter#0x}"
	want=$(printf '%s' "$msg" | xxd -r -p |
		openssl dgst -sha1 -mac HMAC -macopt "hexkey:$key_hex" | sed 's/^.*= //')
	check "$p carp.hmac equals openssl HMAC-SHA1" "$chmac" "$want"
done <"$tmp/packets"
if IFS= read -r extra <&3; then
	check "no extra packets" "$extra" ""
fi
exec 3<&-

echo "1..$n"
cat "$out"
! grep -q '^not ok' "$out"
