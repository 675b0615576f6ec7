/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pflog_pcap OUT.pcap SPEC...: writes a DLT_PFLOG (117) capture with one
 * record per SPEC, each an OpenBSD pflog header built by proto/pflog and a
 * small, valid IPv4 or IPv6 packet (TCP or UDP, checksums set) behind it.
 *
 * SPEC is comma-separated:
 *   action,reason,dir,ifname,rulenr,subrulenr,ruleset,proto,src,sport,dst,dport[,natsrc]
 * action/reason/dir are pf's numbers (PF_PASS 0, PF_DROP 1; PFRES_*; PF_IN 1,
 * PF_OUT 2), rulenr/subrulenr a number or "-" for none (0xffffffff),
 * ruleset "-" for none, proto "tcp" or "udp", addresses IPv4 or IPv6 (the
 * family picks af 2 or 24).  natsrc, if given, is logged as the translated
 * source (rewritten = 1) with the same af, ports unchanged; otherwise the
 * header's saddr/daddr/ports are the packet's own ("-" skips it).  A last
 * field "af=N" overrides the header's af byte (to show that readers then
 * do not decode the packet, tcpdump print-pflog.c).
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "proto/cksum.h"
#include "proto/pflog.h"

#define MAXF 14

static int
split(char *s, char **f)
{
	int n = 0;

	for (char *p = strtok(s, ","); p != NULL && n < MAXF; p = strtok(NULL, ","))
		f[n++] = p;
	return n;
}

static int
parse_addr(const char *s, uint8_t a[16], uint8_t *af)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*af = PF_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*af = PF_AF_INET6;
		return 0;
	}
	return -1;
}

/* A NUL-padded 16-byte name; a 16-character name fills it unterminated. */
static void
copy_name(char dst[16], const char *s)
{
	size_t n = strnlen(s, 16);

	memset(dst, 0, 16);
	memcpy(dst, s, n);
}

static uint32_t
parse_rulenr(const char *s)
{
	return strcmp(s, "-") == 0 ? PFLOG_RULENR_NONE : (uint32_t)strtoul(s, NULL, 0);
}

/* An IPv4/IPv6 packet with a TCP SYN or an 8-byte UDP payload; returns its length. */
static size_t
build_packet(uint8_t *p, uint8_t af, int tcp, const uint8_t src[16], const uint8_t dst[16],
	     uint16_t sport, uint16_t dport)
{
	uint8_t proto = tcp ? 6 : 17;
	size_t l4len = tcp ? 20 : 16, l3len = af == PF_AF_INET ? 20 : 40;
	uint8_t *l4 = p + l3len;
	uint32_t pseudo;
	uint16_t ck;

	memset(p, 0, l3len + l4len);
	if (af == PF_AF_INET) {
		p[0] = 0x45;
		proto_wr16(p + 2, (uint16_t)(l3len + l4len));
		proto_wr16(p + 4, 0x2a2a);
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		proto_wr16(p + 10, proto_cksum(p, 20));
		pseudo = proto_cksum_pseudo4(src, dst, proto, (uint16_t)l4len);
	} else {
		p[0] = 0x60;
		proto_wr16(p + 4, (uint16_t)l4len);
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
		pseudo = proto_cksum_pseudo6(src, dst, proto, (uint32_t)l4len);
	}
	proto_wr16(l4, sport);
	proto_wr16(l4 + 2, dport);
	if (tcp) {
		proto_wr32(l4 + 4, 0x01020304);		/* seq */
		l4[12] = 5 << 4;			/* data offset */
		l4[13] = 0x02;				/* SYN */
		proto_wr16(l4 + 14, 65535);
		ck = proto_cksum_l4(pseudo, l4, l4len);
		proto_wr16(l4 + 16, ck);
	} else {
		proto_wr16(l4 + 4, (uint16_t)l4len);
		memcpy(l4 + 8, "dpf-test", 8);
		ck = proto_cksum_l4(pseudo, l4, l4len);
		proto_wr16(l4 + 6, ck == 0 ? 0xffff : ck);
	}
	return l3len + l4len;
}

int
main(int argc, char **argv)
{
	pcap_t *pd;
	pcap_dumper_t *dump;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT.pcap SPEC...\n", argv[0]);
		return 2;
	}
	pd = pcap_open_dead(DLT_PFLOG, 65535);
	if (pd == NULL)
		return 1;
	dump = pcap_dump_open(pd, argv[1]);
	if (dump == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(pd));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char spec[512], *f[MAXF];
		uint8_t rec[256], pkt[128], src[16], dst[16], nat[16], af2;
		struct pflog_info info;
		struct pcap_pkthdr ph;
		size_t pktlen, reclen;
		int n, tcp, af_override;

		snprintf(spec, sizeof(spec), "%s", argv[i]);
		n = split(spec, f);
		memset(&info, 0, sizeof(info));
		af_override = -1;
		if (n > 12 && strncmp(f[n - 1], "af=", 3) == 0)
			af_override = atoi(f[--n] + 3);
		if (n == 13 && strcmp(f[12], "-") == 0)
			n = 12;
		if (n < 12 || parse_addr(f[8], src, &info.af) != 0 ||
		    parse_addr(f[10], dst, &af2) != 0 || af2 != info.af ||
		    (n == 13 && (parse_addr(f[12], nat, &af2) != 0 || af2 != info.af))) {
			fprintf(stderr, "bad spec: %s\n", argv[i]);
			rc = 1;
			break;
		}
		info.action = (uint8_t)atoi(f[0]);
		info.reason = (uint8_t)atoi(f[1]);
		info.dir = (uint8_t)atoi(f[2]);
		copy_name(info.ifname, f[3]);
		info.rulenr = parse_rulenr(f[4]);
		info.subrulenr = parse_rulenr(f[5]);
		if (strcmp(f[6], "-") != 0)
			copy_name(info.ruleset, f[6]);
		tcp = strcmp(f[7], "tcp") == 0;
		info.sport = (uint16_t)atoi(f[9]);
		info.dport = (uint16_t)atoi(f[11]);
		memcpy(info.saddr, n == 13 ? nat : src, 16);
		memcpy(info.daddr, dst, 16);
		info.rewritten = n == 13;
		info.naf = info.af;
		pktlen = build_packet(pkt, info.af, tcp, src, dst, info.sport, info.dport);
		if (af_override >= 0)
			info.af = (uint8_t)af_override;
		reclen = pflog_record_build(rec, sizeof(rec), &info, pkt, pktlen);
		if (reclen == 0) {
			rc = 1;
			break;
		}
		ph.ts.tv_sec = 1700000000 + i;
		ph.ts.tv_usec = 0;
		ph.caplen = ph.len = (bpf_u_int32)reclen;
		pcap_dump((u_char *)dump, &ph, rec);
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	return rc;
}
