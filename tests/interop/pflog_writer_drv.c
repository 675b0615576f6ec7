/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pflog_writer_drv: drives control/pflog/pflog_writer.c (and, in ring mode,
 * dataplane/dp_log.h) for test_pflog_writer.sh, which decodes the files it
 * writes with tshark and tcpdump.
 *
 *   pflog_writer_drv [-s SNAPLEN] [-r ROTATED] OUT.pcap SPEC... [-- SPEC...]
 *	Opens OUT.pcap with the writer (appending when it exists), writes one
 *	record per SPEC through pflog_writer_write(), and closes it.  With -r,
 *	after the SPECs before "--" the file is renamed to ROTATED (as a log
 *	rotator would) and pflog_writer_reopen() is called before the SPECs
 *	after "--" are written.
 *
 *   pflog_writer_drv ring OUT.pcap SPEC...
 *	Under EAL (--no-huge --in-memory): builds an Ethernet frame per SPEC
 *	in an mbuf (odd SPECs with an 802.1Q tag), logs it with
 *	dp_log_packet() on worker (index % 2) and drains the log rings into
 *	OUT.pcap with pflog_writer_drain().  Then fills worker 0's ring
 *	without draining (ring-full counting), and logs from a nearly empty
 *	pool (copy-failure counting), draining after each.
 *
 * Both print counters as key=value lines on stdout.
 *
 * SPEC: action,reason,dir,ifname,rulenr,proto,src,sport,dst,dport[,paylen]
 *   action/reason/dir: pf's numbers (PF_PASS 0, PF_DROP 1; PFRES_*; PF_IN
 *   1, PF_OUT 2); rulenr a number or "-" (default rule, 0xffffffff); proto
 *   tcp (a SYN), udp or icmp (echo request, id = sport, seq = dport); the
 *   addresses' family picks IPv4 or IPv6; paylen the UDP/ICMP payload
 *   length (default 8).  Checksums are set.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "control/pflog/pflog_writer.h"
#include "dataplane/dp.h"
#include "dataplane/dp_log.h"
#include "proto/cksum.h"
#include "proto/pflog.h"
#include "proto/proto.h"

#define MAXF 12
#define PKT_MAX 2048

struct spec {
	struct dp_log_meta lm;
	char ifname[PFLOG_IFNAMSIZ + 1];
	uint8_t pkt[PKT_MAX];
	unsigned int len;
};

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
		*af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*af = 6;
		return 0;
	}
	return -1;
}

/* An IPv4/IPv6 packet; returns its length, 0 if it does not fit. */
static unsigned int
build_packet(uint8_t *p, uint8_t af, const char *proto, const uint8_t src[16],
	     const uint8_t dst[16], uint16_t sport, uint16_t dport, unsigned int paylen)
{
	unsigned int l3len = af == 4 ? 20 : 40, l4len;
	uint8_t *l4 = p + l3len, nxt;
	uint32_t pseudo;
	uint16_t ck;

	if (strcmp(proto, "tcp") == 0) {
		nxt = 6;
		l4len = 20;
	} else if (strcmp(proto, "udp") == 0) {
		nxt = 17;
		l4len = 8 + paylen;
	} else if (strcmp(proto, "icmp") == 0) {
		nxt = af == 4 ? 1 : 58;
		l4len = 8 + paylen;
	} else {
		return 0;
	}
	if (l3len + l4len > PKT_MAX)
		return 0;
	memset(p, 0, l3len + l4len);
	for (unsigned int i = 0; i < paylen && nxt != 6; i++)
		l4[8 + i] = (uint8_t)('a' + i % 26);
	if (af == 4) {
		p[0] = 0x45;
		proto_wr16(p + 2, (uint16_t)(l3len + l4len));
		proto_wr16(p + 4, 0x1234);
		p[8] = 64;
		p[9] = nxt;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		proto_wr16(p + 10, proto_cksum(p, 20));
		pseudo = proto_cksum_pseudo4(src, dst, nxt, (uint16_t)l4len);
	} else {
		p[0] = 0x60;
		proto_wr16(p + 4, (uint16_t)l4len);
		p[6] = nxt;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
		pseudo = proto_cksum_pseudo6(src, dst, nxt, l4len);
	}
	if (nxt == 6) {
		proto_wr16(l4, sport);
		proto_wr16(l4 + 2, dport);
		proto_wr32(l4 + 4, 0x01020304);		/* seq */
		l4[12] = 5 << 4;			/* data offset */
		l4[13] = 0x02;				/* SYN */
		proto_wr16(l4 + 14, 65535);
		proto_wr16(l4 + 16, proto_cksum_l4(pseudo, l4, l4len));
	} else if (nxt == 17) {
		proto_wr16(l4, sport);
		proto_wr16(l4 + 2, dport);
		proto_wr16(l4 + 4, (uint16_t)l4len);
		ck = proto_cksum_l4(pseudo, l4, l4len);
		proto_wr16(l4 + 6, ck == 0 ? 0xffff : ck);
	} else {
		l4[0] = af == 4 ? 8 : 128;		/* echo request */
		proto_wr16(l4 + 4, sport);
		proto_wr16(l4 + 6, dport);
		/* ICMPv4 has no pseudo-header [RFC 792]; ICMPv6 has [RFC 8200 8.1]. */
		proto_wr16(l4 + 2, proto_cksum_l4(af == 4 ? 0 : pseudo, l4, l4len));
	}
	return l3len + l4len;
}

static int
parse_spec(const char *arg, struct spec *sp)
{
	char buf[512], *f[MAXF];
	uint8_t src[16], dst[16], af, af2;
	int n;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, f);
	if (n < 10 || parse_addr(f[6], src, &af) != 0 || parse_addr(f[8], dst, &af2) != 0 ||
	    af != af2) {
		fprintf(stderr, "bad spec: %s\n", arg);
		return -1;
	}
	memset(sp, 0, sizeof(*sp));
	sp->lm.action = (uint8_t)atoi(f[0]);
	sp->lm.reason = (uint8_t)atoi(f[1]);
	sp->lm.dir = (uint8_t)atoi(f[2]);
	snprintf(sp->ifname, sizeof(sp->ifname), "%s", f[3]);
	sp->lm.rulenr = strcmp(f[4], "-") == 0 ? PFLOG_RULENR_NONE :
			(uint32_t)strtoul(f[4], NULL, 0);
	sp->lm.af = af;
	sp->len = build_packet(sp->pkt, af, f[5], src, dst, (uint16_t)atoi(f[7]),
			       (uint16_t)atoi(f[9]), n > 10 ? (unsigned int)atoi(f[10]) : 8);
	if (sp->len == 0) {
		fprintf(stderr, "bad spec: %s\n", arg);
		return -1;
	}
	sp->lm.wire_len = (uint16_t)sp->len;
	return 0;
}

static void
print_stats(const struct pflog_writer *w)
{
	struct pflog_writer_stats st;

	pflog_writer_get_stats(w, &st);
	printf("written=%lu\nlost=%lu\nwrite_errors=%lu\nreopens=%lu\nopen_errors=%lu\n"
	       "moved_aside=%lu\nsnaplen=%u\n", (unsigned long)st.written,
	       (unsigned long)st.lost, (unsigned long)st.write_errors,
	       (unsigned long)st.reopens, (unsigned long)st.open_errors,
	       (unsigned long)st.moved_aside, st.snaplen);
}

static int
write_mode(int argc, char **argv)
{
	const char *rotated = NULL, *out;
	unsigned int snaplen = 0;
	struct pflog_writer *w;
	struct spec sp;
	char err[512];
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '-'; i += 2) {
		if (i + 1 >= argc)
			return 2;
		if (strcmp(argv[i], "-s") == 0)
			snaplen = (unsigned int)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-r") == 0)
			rotated = argv[i + 1];
		else
			return 2;
	}
	if (i >= argc)
		return 2;
	out = argv[i];
	w = pflog_writer_open(out, snaplen, err, sizeof(err));
	if (w == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i++; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			/* Rotation: rename the file under the writer, then reopen. */
			if (rotated == NULL || rename(out, rotated) != 0)
				return 2;
			if (pflog_writer_reopen(w, err, sizeof(err)) != 0) {
				fprintf(stderr, "reopen: %s\n", err);
				return 1;
			}
			continue;
		}
		if (parse_spec(argv[i], &sp) != 0)
			return 2;
		if (pflog_writer_write(w, &sp.lm, sp.ifname, sp.pkt, sp.len, NULL) != 0)
			fprintf(stderr, "record %d not written\n", i);
	}
	print_stats(w);
	pflog_writer_close(w);
	return 0;
}

/* An Ethernet frame (with an 802.1Q tag when vlan) around sp's packet. */
static struct rte_mbuf *
ring_frame(struct rte_mempool *mp, const struct spec *sp, int vlan, uint16_t *l3_off)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t off = vlan ? 18 : 14;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(off + sp->len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, off);
	memcpy(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (vlan) {
		proto_wr16(p + 12, 0x8100);
		proto_wr16(p + 14, 100);
	}
	proto_wr16(p + off - 2, sp->lm.af == 4 ? 0x0800 : 0x86dd);
	memcpy(p + off, sp->pkt, sp->len);
	*l3_off = off;
	return m;
}

static int
ring_iface(const struct dp_main *dp, const char *name)
{
	for (unsigned int i = 0; i < dp->n_ifaces; i++)
		if (strncmp(dp->ifaces[i].name, name, sizeof(dp->ifaces[i].name)) == 0)
			return (int)i;
	return -1;
}

/* Logs sp n times on worker wk; returns -1 if no frame could be built. */
static int
ring_log(struct dp_main *dp, struct rte_mempool *src, const struct spec *sp, int vlan,
	 unsigned int wk, unsigned int n)
{
	struct dp_worker *w = &dp->workers[wk];
	uint16_t l3_off;
	int ifx = ring_iface(dp, sp->ifname);
	struct rte_mbuf *m = ring_frame(src, sp, vlan, &l3_off);

	if (m == NULL || ifx < 0)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		dp_log_packet(dp, w, w->stats, m, l3_off, sp->lm.af, (uint16_t)ifx, sp->lm.dir,
			      sp->lm.action, sp->lm.reason, sp->lm.rulenr);
	rte_pktmbuf_free(m);
	return 0;
}

static void
ring_counters(const char *phase, const struct dp_main *dp)
{
	uint64_t q = 0, full = 0, nombuf = 0;

	for (unsigned int i = 0; i < dp->n_workers; i++) {
		q += dp->stats[i].log_pkts;
		full += dp->stats[i].log_ring_full;
		nombuf += dp->stats[i].log_nombuf;
	}
	printf("%s_log_pkts=%lu\n%s_log_ring_full=%lu\n%s_log_nombuf=%lu\n", phase,
	       (unsigned long)q, phase, (unsigned long)full, phase, (unsigned long)nombuf);
}

#define RING_POOL 4096
#define RING_TINY 4

static int
ring_mode(int argc, char **argv)
{
	/* --no-huge means legacy memory, which EAL refuses with --in-memory;
	 * --no-shconf is the "no shared files" part (as control/app/main.c does). */
	char *eal[] = { argv[0], "--no-huge", "-m", "64", "--no-shconf", "--no-pci",
			"--no-telemetry", "-l", "0", "--log-level=lib.eal:error", NULL };
	struct rte_mempool *src, *pool, *tiny;
	struct pflog_writer *w;
	struct dp_main *dp;
	struct spec sp;
	char err[512];
	unsigned int drained, i;
	/* A 16-character name fills dp_iface.name unterminated, as in pflog. */
	const char *names[] = { "lan", "wan", "dmz", "vlan100-uplink01" };

	if (argc < 4)
		return 2;
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	src = rte_pktmbuf_pool_create("drv_src", 64, 0, DP_MBUF_PRIV,
				      RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pool = rte_pktmbuf_pool_create("drv_log", RING_POOL, 0, DP_MBUF_PRIV,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	tiny = rte_pktmbuf_pool_create("drv_tiny", RING_TINY, 0, DP_MBUF_PRIV,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	dp = rte_zmalloc("drv_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (src == NULL || pool == NULL || tiny == NULL || dp == NULL) {
		fprintf(stderr, "cannot allocate pools\n");
		return 1;
	}
	/* Only what dp_log_packet and pflog_writer_drain read. */
	dp->n_workers = 2;
	dp->pool = pool;
	dp->log_snaplen = DP_LOG_SNAPLEN_DEFAULT;
	dp->log_on = true;
	dp->n_ifaces = RTE_DIM(names);
	for (i = 0; i < dp->n_ifaces; i++)
		memcpy(dp->ifaces[i].name, names[i],
		       strnlen(names[i], sizeof(dp->ifaces[i].name)));
	for (i = 0; i < dp->n_workers; i++) {
		char rn[32];

		snprintf(rn, sizeof(rn), "drv_log_%u", i);
		dp->workers[i].dp = dp;
		dp->workers[i].id = i;
		dp->workers[i].stats = &dp->stats[i];
		dp->workers[i].log = rte_ring_create(rn, DP_RING_SIZE, SOCKET_ID_ANY,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (dp->workers[i].log == NULL)
			return 1;
	}
	w = pflog_writer_open(argv[2], 0, err, sizeof(err));
	if (w == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	/* 1: one record per SPEC, on alternating workers, drained together. */
	for (i = 3; i < (unsigned int)argc; i++) {
		if (parse_spec(argv[i], &sp) != 0 ||
		    ring_log(dp, src, &sp, (int)(i % 2), i % 2, 1) != 0)
			return 2;
		rte_delay_us_block(100);	/* distinct time stamps */
	}
	drained = pflog_writer_drain(w, dp, 1000000);
	printf("specs_drained=%u\n", drained);
	ring_counters("specs", dp);
	printf("specs_pool_in_use=%u\n", rte_mempool_in_use_count(pool));

	/* 2: more records than the ring holds, no drain in between. */
	if (parse_spec(argv[3], &sp) != 0 || ring_log(dp, src, &sp, 0, 0, DP_RING_SIZE + 76) != 0)
		return 2;
	ring_counters("full", dp);
	drained = 0;
	for (unsigned int n; (n = pflog_writer_drain(w, dp, 100)) != 0; )
		drained += n;
	printf("full_drained=%u\n", drained);
	printf("full_pool_in_use=%u\n", rte_mempool_in_use_count(pool));

	/* 3: copies from a pool of RING_TINY mbufs: the rest fail. */
	dp->pool = tiny;
	if (ring_log(dp, src, &sp, 0, 1, RING_TINY + 3) != 0)
		return 2;
	ring_counters("tiny", dp);
	printf("tiny_drained=%u\n", pflog_writer_drain(w, dp, 1000));
	printf("tiny_pool_in_use=%u\n", rte_mempool_in_use_count(tiny));
	printf("src_pool_in_use=%u\n", rte_mempool_in_use_count(src));
	print_stats(w);
	pflog_writer_close(w);
	rte_eal_cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ring") == 0)
		return ring_mode(argc, argv);
	return write_mode(argc, argv);
}
