#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: pflog records built by proto/pflog (through the pflog_pcap
# helper) in a DLT_PFLOG (117) capture, decoded by tshark and by tcpdump,
# every header field and the payload decode compared with what this script
# asked for.  What the tools print is tcpdump print-pflog.c: tcpdump reads the
# OpenBSD layout from length 100 and dispatches the packet on BSD af values
# 2/24; both read rulenr, subrulenr and ports big-endian.
#
# The last record carries af 10 (Linux AF_INET6) on purpose: both tools must
# then leave its payload undecoded, which proves the payload checks can fail.
#
# Output is TAP, one line per check.  Needs $DPF_BUILDDIR (set by meson
# test) for $DPF_BUILDDIR/tests/interop/pflog_pcap.
set -u
export LC_ALL=C

helper=${DPF_BUILDDIR:-}/tests/interop/pflog_pcap
for tool in tshark tcpdump; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not installed"
		exit 0
	fi
done
if [ -z "${DPF_BUILDDIR:-}" ] || [ ! -x "$helper" ]; then
	echo "Bail out! pflog_pcap helper not found (DPF_BUILDDIR=${DPF_BUILDDIR:-unset})"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# One record per line:
#   spec for pflog_pcap (action,reason,dir,ifname,rulenr,subrulenr,ruleset,
#     proto,src,sport,dst,dport[,natsrc][,af=N])
#   | tshark: af action reason rulenr subrulenr dir ifname ruleset rewritten
#     saddr protocols
#   | what tcpdump -e prints after the timestamp, literally (alternatives
#     separated by "~": tcpdump 4.99 on Linux has no name for PF_MATCH)
# Action 0 = pass, 1 = block (drop), 12 = match; reason 0 = match,
# 10 = state-mismatch; dir 1 = in, 2 = out; rule -1 = default (0xffffffff).
cat >"$tmp/records" <<'EOF'
0,0,1,lan,3,-,-,tcp,198.18.0.1,1234,198.18.1.2,443|2 0 0 3 -1 1 lan - 0 198.18.0.1 pflog:ip:tcp|rule 3/0(match): pass in on lan: 198.18.0.1.1234 > 198.18.1.2.443: Flags [S]
1,10,2,wan,7,-,-,udp,2001:db8::1,50000,2001:db8:1::53,50001|24 1 10 7 -1 2 wan - 0 2001:db8::1 pflog:ipv6:udp:data|rule 7/10(state-mismatch): block out on wan: 2001:db8::1.50000 > 2001:db8:1::53.50001: UDP, length 8
1,10,1,em0,-,-,-,tcp,198.18.5.5,40000,198.18.1.1,22|2 1 10 -1 -1 1 em0 - 0 198.18.5.5 pflog:ip:tcp|rule 4294967295/10(state-mismatch): block in on em0: 198.18.5.5.40000 > 198.18.1.1.22: Flags [S]
12,0,2,vlan100,2,5,dpf-anchor,udp,198.18.1.2,5000,198.19.0.1,5001,203.0.113.7|2 12 0 2 5 2 vlan100 dpf-anchor 1 203.0.113.7 pflog:ip:udp:data|rule 2.dpf-anchor.5/0(match): unkn(12) out on vlan100: 198.18.1.2.5000 > 198.19.0.1.5001: UDP, length 8~rule 2.dpf-anchor.5/0(match): match out on vlan100: 198.18.1.2.5000 > 198.19.0.1.5001: UDP, length 8
1,0,1,lan,9,-,-,udp,2001:db8::2,50000,2001:db8::3,50001,-,af=10|10 1 0 9 -1 1 lan - 0 - pflog:data|rule 9/0(match): block in on lan:
EOF

set --
while IFS='|' read -r spec _ _; do
	set -- "$@" "$spec"
done <"$tmp/records"
if ! "$helper" "$tmp/pflog.pcap" "$@" 2>"$tmp/err"; then
	echo "Bail out! pflog_pcap failed: $(cat "$tmp/err")"
	exit 1
fi

tshark -r "$tmp/pflog.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-o udp.check_checksum:TRUE -T fields -E separator='|' -E occurrence=f \
	-e pflog.length -e pflog.af -e pflog.action -e pflog.reason -e pflog.rulenr \
	-e pflog.subrulenr -e pflog.dir -e pflog.ifname -e pflog.ruleset -e pflog.rewritten \
	-e pflog.saddr.ipv4 -e pflog.saddr.ipv6 -e pflog.uid -e pflog.pid -e pflog.rule_uid \
	-e pflog.rule_pid -e pflog.sport -e pflog.dport -e ip.src -e ipv6.src \
	-e tcp.srcport -e udp.srcport -e ip.checksum.status -e tcp.checksum.status \
	-e udp.checksum.status -e frame.protocols \
	>"$tmp/tshark" 2>"$tmp/tshark.err"
tcpdump -n -e -r "$tmp/pflog.pcap" >"$tmp/tcpdump" 2>"$tmp/tcpdump.err"
tcpdump -n -e -v -r "$tmp/pflog.pcap" >"$tmp/tcpdump-v" 2>>"$tmp/tcpdump.err"

n=0
fail=0
check() {	# check WHAT GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		fail=1
		echo "not ok $n - $1"
		echo "#   got '$2', want '$3'"
	fi
}
check_prefix() {	# check_prefix WHAT TEXT PREFIX[~PREFIX...]
	n=$((n + 1))
	rest=$3
	while :; do
		alt=${rest%%~*}
		case $2 in
		"$alt"*)
			echo "ok $n - $1"
			return ;;
		esac
		[ "$alt" = "$rest" ] && break
		rest=${rest#*~}
	done
	fail=1
	echo "not ok $n - $1"
	echo "#   got '$2'"
	echo "#   want '$3'"
}
check_re() {	# check_re WHAT TEXT ERE
	n=$((n + 1))
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		echo "ok $n - $1"
	else
		fail=1
		echo "not ok $n - $1"
		echo "#   '$2' does not match /$3/"
	fi
}
# The i-th record of tcpdump's output: its first line, or with "all" the
# first line and the hex dump lines below it, joined.
tcpdump_rec() {	# tcpdump_rec FILE I [all]
	awk -v want="$2" -v all="${3:-}" '
		/^[0-9][0-9]:/ {
			k++
			if (k == want) { sub(/^[^ ]+ /, ""); printf "%s ", $0 }
			next
		}
		k == want && all != "" { printf "%s ", $0 }' "$1"
}

nrec=$(wc -l <"$tmp/records")
check "tshark reads $nrec records" "$(wc -l <"$tmp/tshark")" "$nrec"
check "tcpdump reads $nrec records" "$(grep -c '^[0-9][0-9]:' "$tmp/tcpdump")" "$nrec"
grep -q "link-type PFLOG" "$tmp/tcpdump.err"
check "tcpdump sees link-type PFLOG (117)" "$?" 0

i=0
while IFS='|' read -r spec tsh tcd; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	set -- $tsh
	af=$1 act=$2 rsn=$3 rnr=$4 srnr=$5 dir=$6 ifn=$7 rset=$8 rewr=$9
	shift 9
	saddr=$1 protos=$2
	line=$(sed -n "${i}p" "$tmp/tshark")
	old_ifs=$IFS
	IFS='|'
	# shellcheck disable=SC2086
	set -- $line
	IFS=$old_ifs
	t_len=$1 t_af=$2 t_act=$3 t_rsn=$4 t_rnr=$5 t_srnr=$6 t_dir=$7 t_ifn=$8 t_rset=$9
	shift 9
	t_rewr=$1 t_s4=$2 t_s6=$3 t_uid=$4 t_pid=$5 t_ruid=$6 t_rpid=$7 t_sp=$8 t_dp=$9
	shift 9
	t_ip=$1 t_ip6=$2 t_tcp=$3 t_udp=$4 t_ipck=$5 t_tcpck=$6 t_udpck=$7 t_protos=$8
	[ -n "$t_rset" ] || t_rset=-
	r="record $i"
	check "$r tshark: header length 100" "$t_len" 100
	check "$r tshark: af $af" "$t_af" "$af"
	check "$r tshark: action $act" "$t_act" "$act"
	check "$r tshark: reason $rsn" "$t_rsn" "$rsn"
	check "$r tshark: rulenr $rnr (big-endian)" "$t_rnr" "$rnr"
	check "$r tshark: subrulenr $srnr" "$t_srnr" "$srnr"
	check "$r tshark: dir $dir" "$t_dir" "$dir"
	check "$r tshark: ifname $ifn" "$t_ifn" "$ifn"
	check "$r tshark: ruleset $rset" "$t_rset" "$rset"
	check "$r tshark: uid/pid/rule_uid/rule_pid -1" \
		"$t_uid/$t_pid/$t_ruid/$t_rpid" "-1/-1/-1/-1"
	check "$r tshark: rewritten $rewr" "$t_rewr" "$rewr"
	sport=$(echo "$spec" | cut -d, -f10)
	dport=$(echo "$spec" | cut -d, -f12)
	check "$r tshark: header ports $sport > $dport (big-endian)" "$t_sp>$t_dp" "$sport>$dport"
	case $af in
	2)	check "$r tshark: header saddr $saddr" "$t_s4" "$saddr" ;;
	24)	check "$r tshark: header saddr $saddr" "$t_s6" "$saddr" ;;
	*)	check "$r tshark: no address shown for af $af" "$t_s4$t_s6" "" ;;
	esac
	check "$r tshark: payload decoded as $protos" "$t_protos" "$protos"
	psrc=$(echo "$spec" | cut -d, -f9)
	case $protos in
	pflog:ip:*)
		check "$r tshark: IPv4 source $psrc, checksum good" "$t_ip/$t_ipck" "$psrc/1" ;;
	pflog:ipv6:*)
		check "$r tshark: IPv6 source $psrc" "$t_ip6" "$psrc" ;;
	esac
	case $protos in
	*:tcp)
		check "$r tshark: TCP port $sport, checksum good" "$t_tcp/$t_tcpck" "$sport/1" ;;
	*:udp*)
		check "$r tshark: UDP port $sport, checksum good" "$t_udp/$t_udpck" "$sport/1" ;;
	esac

	# tcpdump -e: "rule N/REASON: ACTION DIR on IF: PAYLOAD"
	check_prefix "$r tcpdump: rule, reason, action, direction, interface, payload" \
		"$(tcpdump_rec "$tmp/tcpdump" "$i")" "$tcd"
	vrec=$(tcpdump_rec "$tmp/tcpdump-v" "$i" all)
	case $protos in
	pflog:ip:tcp)
		check_re "$r tcpdump -v: IPv4 TCP decoded, checksum correct" "$vrec" \
			"proto TCP \(6\).*cksum 0x[0-9a-f]+ \(correct\)" ;;
	pflog:ip:udp*)
		check_re "$r tcpdump -v: IPv4 UDP decoded" "$vrec" \
			"proto UDP \(17\).*UDP, length 8" ;;
	pflog:ipv6:udp*)
		check_re "$r tcpdump -v: IPv6 UDP decoded, checksum ok" "$vrec" \
			"next-header UDP \(17\).*\[udp sum ok\] UDP, length 8" ;;
	*)
		check_re "$r tcpdump: af $af payload left undecoded (hex dump)" "$vrec" \
			"on lan:[[:space:]]+0x0000:[[:space:]]+6000 0000" ;;
	esac
done <"$tmp/records"

echo "1..$n"
exit $fail
