#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: the pflog file writer (control/pflog/pflog_writer.c) and the worker's
# log records (dataplane/dp_log.h), through the pflog_writer_drv helper,
# checked with tshark and tcpdump -n -e.
#
#  1. records written from (meta, L3 bytes): every pflog field tshark shows
#     (pflog.action, .reason, .rulenr, .ifname, .dir, .af, ...) and
#     tcpdump's "rule N/REASON: ACTION DIR on IF: PACKET" line, for IPv4 and
#     IPv6 TCP/UDP/ICMP, several actions, reasons, directions and rules
#  2. snaplen: a long packet is cut to 160 L3 bytes, original length kept
#  3. append: a second run adds to the file and keeps the earlier records
#     and the file's snaplen
#  4. rotation: write, rename, reopen, write gives two valid files
#  5. files that cannot be appended to (not pcap, truncated record, other
#     link type) are moved to FILE.bad and a new file is started
#  6. ring mode (EAL, no hugepages): dp_log_packet() on two workers' rings,
#     drained into the file; time stamps from the workers' TSC; ring-full
#     and no-mbuf counting; no mbuf leaked
#
# Output is TAP.  Needs $DPF_BUILDDIR/tests/interop/pflog_writer_drv.
set -u
export LC_ALL=C

drv=${DPF_BUILDDIR:-}/tests/interop/pflog_writer_drv
for tool in tshark tcpdump; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not installed"
		exit 0
	fi
done
if [ -z "${DPF_BUILDDIR:-}" ] || [ ! -x "$drv" ]; then
	echo "Bail out! pflog_writer_drv not found (DPF_BUILDDIR=${DPF_BUILDDIR:-unset})"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1

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
check_prefix() {	# check_prefix WHAT TEXT PREFIX
	n=$((n + 1))
	case $2 in
	"$3"*)	echo "ok $n - $1" ;;
	*)	fail=1
		echo "not ok $n - $1"
		echo "#   got '$2'"
		echo "#   want '$3...'" ;;
	esac
}
kv() {	# kv FILE KEY: the value of KEY=VALUE in FILE, -1 if absent
	v=$(sed -n "s/^$2=//p" "$1")
	echo "${v:--1}"
}
count() {	# count FILE: records tcpdump reads
	tcpdump -n -r "$1" 2>/dev/null | wc -l | tr -d ' '
}
fields() {	# fields FILE: one '|'-separated line per record
	tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E separator='|' \
		-E occurrence=f \
		-e pflog.length -e pflog.af -e pflog.action -e pflog.reason -e pflog.rulenr \
		-e pflog.subrulenr -e pflog.dir -e pflog.ifname -e pflog.ruleset \
		-e pflog.uid -e pflog.pid -e pflog.rule_uid -e pflog.rule_pid -e pflog.rewritten \
		-e pflog.saddr.ipv4 -e pflog.saddr.ipv6 -e pflog.daddr.ipv4 -e pflog.daddr.ipv6 \
		-e pflog.sport -e pflog.dport -e frame.cap_len -e frame.len -e frame.protocols \
		-e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status \
		-e icmp.checksum.status -e frame.time_epoch 2>/dev/null
}
# tcpdump -e's line for record I, time stamp cut off.
tcpdump_line() {	# tcpdump_line FILE I
	tcpdump -n -e -r "$1" 2>/dev/null | sed -n "${2}{s/^[^ ]* //;p}"
}

# One record per line:
#   SPEC (pflog_writer_drv: action,reason,dir,ifname,rulenr,proto,src,sport,dst,dport[,paylen])
#   | tshark: af action reason rulenr dir ifname saddr daddr sport dport caplen len protocols
#   | tcpdump -e after the time stamp (a prefix)
# action 0 pass, 1 block; reason 0 match, 5 memory, 10 state-mismatch,
# 12 state-limit; dir 1 in, 2 out; rule "-" = default (-1 / 4294967295).
# Header ports are TCP/UDP only (0 for ICMP).  Record 5 is cut to the
# 160-byte snaplen: 100 + 160 captured of 100 + 428.
cat >records <<'EOF'
1,0,1,lan,7,tcp,198.18.0.1,1234,198.18.1.2,443|2 1 0 7 1 lan 198.18.0.1 198.18.1.2 1234 443 140 140 pflog:ip:tcp|rule 7/0(match): block in on lan: 198.18.0.1.1234 > 198.18.1.2.443: Flags [S]
0,0,2,wan,3,udp,2001:db8::1,5300,2001:db8:1::53,50001|24 0 0 3 2 wan 2001:db8::1 2001:db8:1::53 5300 50001 156 156 pflog:ipv6:udp:data|rule 3/0(match): pass out on wan: 2001:db8::1.5300 > 2001:db8:1::53.50001: UDP, length 8
1,10,1,dmz,-,icmp,198.18.5.5,77,198.18.1.1,3|2 1 10 -1 1 dmz 198.18.5.5 198.18.1.1 0 0 136 136 pflog:ip:icmp:data|rule 4294967295/10(state-mismatch): block in on dmz: 198.18.5.5 > 198.18.1.1: ICMP echo request, id 77, seq 3, length 16
1,12,2,lan,42,icmp,2001:db8::5,99,2001:db8::6,1|24 1 12 42 2 lan 2001:db8::5 2001:db8::6 0 0 156 156 pflog:ipv6:icmpv6:data|rule 42/12(state-limit): block out on lan: 2001:db8::5 > 2001:db8::6: ICMP6, echo request, id 99, seq 1, length 16
0,0,1,wan,9,udp,198.18.0.9,40000,198.18.2.2,40001,400|2 0 0 9 1 wan 198.18.0.9 198.18.2.2 40000 40001 260 528 pflog:ip:udp:data|rule 9/0(match): pass in on wan: 198.18.0.9.40000 > 198.18.2.2.40001: UDP, length 400
1,5,2,vlan100-uplink01,1,tcp,2001:db8::1,1000,2001:db8::2,22|24 1 5 1 2 vlan100-uplink01 2001:db8::1 2001:db8::2 1000 22 160 160 pflog:ipv6:tcp|rule 1/5(memory): block out on vlan100-uplink01: 2001:db8::1.1000 > 2001:db8::2.22: Flags [S]
EOF
nrec=$(wc -l <records)

# check_records FILE FIRST: record FIRST.. of FILE against the lines of
# "records" (all of them, in order).
check_records() {
	file=$1 first=$2
	fields "$file" >fields.out
	i=0
	while IFS='|' read -r _ tsh tcd; do
		i=$((i + 1))
		k=$((first + i - 1))
		# shellcheck disable=SC2086
		set -- $tsh
		af=$1 act=$2 rsn=$3 rnr=$4 dir=$5 ifn=$6 sa=$7 da=$8 sp=$9
		shift 9
		dpt=$1 cap=$2 len=$3 protos=$4
		line=$(sed -n "${k}p" fields.out)
		old_ifs=$IFS
		IFS='|'
		# shellcheck disable=SC2086
		set -- $line
		IFS=$old_ifs
		t_len=$1 t_af=$2 t_act=$3 t_rsn=$4 t_rnr=$5 t_srnr=$6 t_dir=$7 t_ifn=$8 t_rset=$9
		shift 9
		t_ids="$1/$2/$3/$4" t_rewr=$5 t_s4=$6 t_s6=$7 t_d4=$8 t_d6=$9
		shift 9
		t_sp=$1 t_dp=$2 t_cap=$3 t_wlen=$4 t_protos=$5 t_ipck=$6 t_tcpck=$7 t_udpck=$8
		t_icmpck=$9
		r="$file record $k"
		check "$r: pflog.length 100" "$t_len" 100
		check "$r: pflog.af $af" "$t_af" "$af"
		check "$r: pflog.action $act" "$t_act" "$act"
		check "$r: pflog.reason $rsn" "$t_rsn" "$rsn"
		check "$r: pflog.rulenr $rnr" "$t_rnr" "$rnr"
		check "$r: pflog.subrulenr -1, ruleset empty" "$t_srnr/$t_rset" "-1/"
		check "$r: pflog.dir $dir" "$t_dir" "$dir"
		check "$r: pflog.ifname $ifn" "$t_ifn" "$ifn"
		check "$r: uid/pid/rule_uid/rule_pid -1, not rewritten" "$t_ids/$t_rewr" \
			"-1/-1/-1/-1/0"
		check "$r: header saddr/daddr $sa > $da" "$t_s4$t_s6>$t_d4$t_d6" "$sa>$da"
		check "$r: header ports $sp > $dpt" "$t_sp>$t_dp" "$sp>$dpt"
		check "$r: captured $cap of $len bytes" "$t_cap/$t_wlen" "$cap/$len"
		check "$r: payload decoded as $protos" "$t_protos" "$protos"
		case $protos in
		pflog:ip:*)	check "$r: IPv4 header checksum good" "$t_ipck" 1 ;;
		esac
		case $protos in
		*:tcp)		check "$r: TCP checksum good" "$t_tcpck" 1 ;;
		*:udp:*)	[ "$cap" = "$len" ] &&
				check "$r: UDP checksum good" "$t_udpck" 1 ;;
		pflog:ip:icmp:*) check "$r: ICMP checksum good" "$t_icmpck" 1 ;;
		esac
		check_prefix "$r: tcpdump -n -e" "$(tcpdump_line "$file" "$k")" "$tcd"
	done <records
}

specs() {	# the SPEC column of "records"
	cut -d'|' -f1 records
}

# --- 1, 2: writing -------------------------------------------------------
f=a.pcap
# shellcheck disable=SC2046
"$drv" $f $(specs) >drv1.out 2>drv1.err
check "writer run 1 exits 0" "$?" 0
check "writer run 1 counts $nrec written, 0 lost/errors" \
	"$(kv drv1.out written)/$(kv drv1.out lost)/$(kv drv1.out write_errors)" "$nrec/0/0"
check "new file is mode 0600" "$(stat -c %a $f)" 600
tcpdump -n -r $f 2>&1 >/dev/null | grep -q "link-type PFLOG (OpenBSD pflog file), snapshot length 260"
check "tcpdump: link-type PFLOG, snapshot length 100 + 160" "$?" 0
check "tshark and tcpdump read $nrec records" "$(fields $f | wc -l | tr -d ' ')/$(count $f)" \
	"$nrec/$nrec"
check_records $f 1

# --- 3: append -----------------------------------------------------------
fields $f | cut -d'|' -f1-22 >before.out
# shellcheck disable=SC2046
"$drv" $f $(specs) >drv2.out 2>drv2.err
check "writer run 2 (append) exits 0, writes $nrec" "$?/$(kv drv2.out written)" "0/$nrec"
check "append: file now has $((2 * nrec)) records" "$(count $f)" $((2 * nrec))
fields $f | head -n "$nrec" | cut -d'|' -f1-22 >after.out
cmp -s before.out after.out
check "append: the first $nrec records are unchanged" "$?" 0
check_records $f $((nrec + 1))

# The file's snaplen stays: 60 L3 bytes, then a default (160) writer appends.
# shellcheck disable=SC2046
"$drv" -s 60 s.pcap $(specs | sed -n 5p) >drv3.out 2>&1
# shellcheck disable=SC2046
"$drv" s.pcap $(specs | sed -n 5p) >drv4.out 2>&1
check "append keeps the file's snaplen (100 + 60)" "$(kv drv3.out snaplen)/$(kv drv4.out snaplen)" \
	"160/160"
check "both records captured 160 of 528 bytes" \
	"$(tshark -r s.pcap -T fields -e frame.cap_len -e frame.len 2>/dev/null | tr '\t\n' '/ ')" \
	"160/528 160/528 "

# --- 4: rotation ---------------------------------------------------------
"$drv" -r rot.0 rot $(specs | sed -n 1p) $(specs | sed -n 2p) -- $(specs | sed -n 3p) \
	>drv5.out 2>drv5.err
check "rotation run exits 0, reopens 1, written 3" "$?/$(kv drv5.out reopens)/$(kv drv5.out written)" \
	"0/1/3"
check "rotated file holds the 2 records before the reopen" "$(count rot.0)" 2
check "new file holds the 1 record after it" "$(count rot)" 1
check "rotated file: rules 7, 3" \
	"$(tshark -r rot.0 -T fields -e pflog.rulenr 2>/dev/null | tr '\n' ' ')" "7 3 "
check "new file: rule -1 on dmz" \
	"$(tshark -r rot -T fields -e pflog.rulenr -e pflog.ifname 2>/dev/null | tr '\t' ' ')" "-1 dmz"

# --- 5: files that cannot be appended to ----------------------------------
printf 'not a pcap file\n' >bad1
cp $f bad2
truncate -s -7 bad2
# A pcap header for Ethernet (link type 1), native byte order.
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("=IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' >bad3
for b in bad1 bad2 bad3; do
	cp $b $b.orig
	"$drv" $b $(specs | sed -n 1p) >drv-$b.out 2>drv-$b.err
	check "$b: writer exits 0, moved aside once" "$?/$(kv drv-$b.out moved_aside)" "0/1"
	cmp -s $b.orig $b.bad
	check "$b: the old file is $b.bad, unchanged" "$?" 0
	check "$b: new file with 1 record, rule 7" \
		"$(tshark -r $b -T fields -e pflog.rulenr 2>/dev/null)" 7
done
# dpf's log line (docs/logging.md): event=pflog-moved-aside file=F error="WHY" moved_to=F.bad
grep -q 'event=pflog-moved-aside file=bad2 error="truncated dump file' drv-bad2.err
check "bad2: the reason (truncated record) is reported" "$?" 0
grep -q 'event=pflog-moved-aside file=bad3 error="link type is 1, not PFLOG (117)"' drv-bad3.err
check "bad3: the reason (link type) is reported" "$?" 0

# --- 6: worker rings (EAL) -------------------------------------------------
rm -f ring.pcap
t0=$(date +%s)
# shellcheck disable=SC2046
"$drv" ring ring.pcap $(specs) >ring.out 2>ring.err
rc=$?
t1=$(date +%s)
if [ $rc -ne 0 ] && grep -q "EAL init failed" ring.err; then
	echo "# EAL cannot start here: $(tail -n 3 ring.err | tr '\n' ' ')"
	echo "ok $((n + 1)) # SKIP ring mode needs EAL"
	n=$((n + 1))
else
	check "ring mode exits 0" "$rc" 0
	check "specs: $nrec queued and drained, no loss" \
		"$(kv ring.out specs_log_pkts)/$(kv ring.out specs_drained)/$(kv ring.out specs_log_ring_full)/$(kv ring.out specs_log_nombuf)" \
		"$nrec/$nrec/0/0"
	# The ring holds DP_RING_SIZE - 1 = 1023; 1024 + 76 were logged.
	check "full ring: 1023 queued, 77 counted as ring-full, 1023 drained" \
		"$(($(kv ring.out full_log_pkts) - nrec))/$(kv ring.out full_log_ring_full)/$(kv ring.out full_drained)" \
		"1023/77/1023"
	check "tiny pool: 4 copies queued, 3 counted as no-mbuf, 4 drained" \
		"$(($(kv ring.out tiny_log_pkts) - $(kv ring.out full_log_pkts)))/$(kv ring.out tiny_log_nombuf)/$(kv ring.out tiny_drained)" \
		"4/3/4"
	check "no mbuf left in use (log pools and source pool)" \
		"$(kv ring.out specs_pool_in_use)/$(kv ring.out full_pool_in_use)/$(kv ring.out tiny_pool_in_use)/$(kv ring.out src_pool_in_use)" \
		"0/0/0/0"
	total=$((nrec + 1023 + 4))
	check "writer wrote $total, tcpdump reads $total" \
		"$(kv ring.out written)/$(count ring.pcap)" "$total/$total"
	# Records come off the rings worker by worker; their time stamps (taken
	# by the worker) put them back in the order they were logged.
	order=$(tshark -r ring.pcap -c "$nrec" -T fields -e frame.number -e frame.time_epoch \
		2>/dev/null | sort -k2,2 | cut -f1 | tr '\n' ',' | sed 's/,$//')
	check "ring: file order is worker by worker (2 rings)" \
		"$(tshark -r ring.pcap -c "$nrec" -T fields -e pflog.rulenr 2>/dev/null | tr '\n' ' ')" \
		"3 42 1 7 -1 9 "
	check "ring: time stamps give the logged order" "$order" "4,1,5,2,6,3"
	ts_ok=$(tshark -r ring.pcap -T fields -e frame.time_epoch 2>/dev/null |
		awk -v a="$t0" -v b="$t1" '$1 < a - 1 || $1 > b + 1 { bad++ } END { print bad + 0 }')
	check "ring: every time stamp within the run ($t0..$t1)" "$ts_ok" 0
	# The first records in logged order, for the per-record checks.
	python3 - "$order" <<'PY'
import struct, sys
order = [int(x) for x in sys.argv[1].split(",")]
data = open("ring.pcap", "rb").read()
hdr, off, recs = data[:24], 24, []
while off < len(data):
    ts1, ts2, cap, wl = struct.unpack("=IIII", data[off:off + 16])
    recs.append(data[off:off + 16 + cap])
    off += 16 + cap
open("ring-logged.pcap", "wb").write(hdr + b"".join(recs[i - 1] for i in order))
PY
	check_records ring-logged.pcap 1
fi

echo "1..$n"
exit $fail
