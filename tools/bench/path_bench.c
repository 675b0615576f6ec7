/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * path_bench: the worker's whole loop, one poll at a time, in one thread,
 * with no generator beside it.  Not a test: it prints figures.
 *
 *   path_bench [EAL options] [-- [-n FLOWS] [-p PACKETS] [-r ROUNDS]
 *                                [-R RULES.json] [-N] [-c] [-6] [-s] [-F] [-t]]
 *
 * Why: the end-to-end harness (run.sh, net_pcap) puts the generator's copy
 * and the VM's noise into every figure, and changes worth 10 cycles are
 * lost in it (BENCHMARKS.md, "Speed, third pass").  Here dpf's loop
 * (worker.c dp_worker_poll(): Rx burst, parse, route, state lookup and
 * tracking, forward, Tx burst, requests, timers) runs on two net_ring
 * ports (rte_eth_from_rings) whose rings the bench itself fills and
 * drains between polls, outside the timed span.  Beside it, in the same
 * process and interleaved round by round, the floor: io forwarding of the
 * same frames through the same ports (rte_eth_rx_burst on port 0,
 * rte_eth_tx_burst on port 1: testpmd's io-fwd without its counters).
 * "dpf - io" is the issue-16 figure, dpf's own cycles per packet.
 *
 * Traffic is the bench's (gen_pcap.py): 60-byte IPv4 UDP frames from
 * 198.18.1.10-73 to 198.19.0.0/16 port 9, routed via 198.18.2.254 (a
 * resolved neighbour); FLOWS distinct 5-tuples (default 1000), sent in
 * order, or shuffled with -s.  The ruleset is "pass all" or the JSON array
 * of rule strings in RULES.json (gen_pcap.py --rules N writes them; its
 * last rule is "pass all").  The first pass over the flows creates the
 * states: its figure is "new" (cycles per new state, classification and
 * insert included).  Then ROUNDS rounds (default 9) of PACKETS packets
 * (default 2,000,000) each, of io and of dpf, all states established.
 * -c: the destinations are 200 hosts on wan's own prefix 198.18.2.0/24
 * (a connected route; each a resolved neighbour) instead of 198.19.0.0/16
 * via the gateway: the forward stage looks a neighbour up per destination.
 * -6: IPv6 frames (64 bytes) from 2001:db8:1::/64 to 2001:db8:ff::/48 via
 * 2001:db8:2::fe (with -c: to 2001:db8:2::a-d1), the same ports.
 * -t: TCP connections instead of UDP flows (either family): the first
 * pass sends each flow's SYN (its figure is then a new TCP state), two
 * more passes the server's SYN-ACK (in on wan, out on lan: lan's hosts
 * are resolved neighbours) and the client's ACK ("handshake": each pass's
 * cycles per packet and their sum per connection), and every round after
 * them the client's data, 6 bytes a segment.  The server never acks
 * again, so each flow's sequence numbers advance through the 65535 bytes
 * its SYN-ACK offered, then start over in it: after the first 48 KB the
 * segments are retransmissions to pf, which checks them as any other.
 * pf's whole TCP tracking on every packet; UDP's hit is a level bump.
 * After the rounds, the close: the client's FIN, the server's FIN-ACK and
 * the client's last ACK ("teardown", timed the same way).  A pass covers
 * every connection once, so its per-packet figure carries the per-poll
 * costs over 32 packets, as a burst of new connections does.  Frames
 * padded to 60 bytes.
 * -N: no ruleset after the first pass (forwarding alone, the filter stage
 * passing everything as before dpf's first configure): what the states
 * and the rules add is the difference to a run without -N.
 * The state events the worker makes are taken off its ring between polls
 * (outside the timed span), or with -C by a thread on the next lcore
 * (EAL -l with two lcores, the worker's first: `-l 1,0 --main-lcore 1`),
 * polling them as dpf's control core does, so that their cache lines move
 * between cores as in dpf.
 * -F: cold frames: after writing each frame the bench evicts its lines and
 * its mbuf's private area (the meta) from every cache level (clflush), as
 * a NIC's DMA leaves them out of the core's L1 and L2 (in the LLC with
 * DDIO, in memory without: -F is the harder case).  Both io and dpf get
 * the same frames; io reads none of their bytes.
 * -w SECONDS: wait that long before the first pass, its pid on stderr, to
 * attach a profiler to the worker (`perf record -t PID`).
 * A round's figure is its timed TSC cycles over its forwarded packets;
 * the table gives min/median/max over the rounds.  A frame that dpf did
 * not forward fails the run: a fast wrong path cannot report a number.
 */
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#ifdef RTE_ARCH_X86
#include <emmintrin.h>
#endif

#include "control/rules/rules.h"
#include "dataplane/dp.h"
#include "dataplane/filter.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/filter_stage.h"
#include "dataplane/frag.h"
#include "dataplane/rules_acl.h"
#include "dataplane/worker_ctx.h"
#include "proto/pftm.h"
#include "proto/proto.h"
#include "tests/unit/iface_fixture.h"

#define BURST 32
#define FRAME 60
#define FRAME6 64
#define MAX_ROUNDS 64

static const uint8_t mac_lan[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x01 };
static const uint8_t mac_wan[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 };
static const uint8_t mac_host[6] = { 0x02, 0x00, 0x00, 0x00, 0x09, 0x09 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x00, 0x00, 0x0f, 0x0e };

static struct dp_main *dp;
static struct rte_mempool *pool;
static struct rte_ring *ring_rx[2], *ring_tx[2];
static uint16_t port_id[2];
static uint32_t *order;		/* flow of each slot of a pass */
static uint32_t n_flows = 1000, next_flow;
static bool connected;		/* -c: to hosts on wan's prefix, not via the gateway */
static bool ip6;		/* -6: IPv6 frames */
static bool consumer;		/* -C: state events taken by a thread of their own */
static bool cold;		/* -F: frames and meta out of the caches, as after a NIC's DMA */
static bool tcp;		/* -t: TCP connections, not UDP flows */
static volatile bool consumer_stop;

/* -t: the segment every frame of a pass carries. */
enum seg { SEG_SYN, SEG_SYNACK, SEG_ACK, SEG_DATA, SEG_FIN, SEG_FINACK, SEG_LASTACK };
static const char *const seg_name[] = { "SYN", "SYN-ACK", "ACK", "data", "FIN", "FIN-ACK",
					"last ACK" };
static enum seg seg_now;
static uint32_t *cseq;		/* -t: each flow's next client sequence number */
static uint32_t *cend;		/* -t: the end of each flow's furthest data sent */
#define ISN_C 0x10000000u	/* the client's and the server's initial sequence numbers */
#define ISN_S 0x70000000u
#define TCP_DATA 6		/* payload of a data segment: a 60-byte IPv4 frame */
#define TCP_WSCALE 14		/* RFC 7323's largest shift */
#define TCP_SPAN 49152		/* the client's data cycles in the SYN-ACK's 65535-byte window */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("path_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* gen_pcap.py many_flow(): (src, dst) distinct for i < 64 * 65536. */
static void
flow_of(uint32_t i, uint32_t *src, uint32_t *dst, uint16_t *sport)
{
	*src = (198u << 24) | (18u << 16) | (1u << 8) | (10u + i % 64);
	if (connected) {	/* 200 hosts on wan's own prefix, all resolved */
		*dst = (198u << 24) | (18u << 16) | (2u << 8) | (10 + i / 64 % 200);
		*sport = (uint16_t)(1024 + i / (64 * 200));
		return;
	}
	*dst = (198u << 24) | (19u << 16) | ((i / 64) % 65536);
	*sport = (uint16_t)(1024 + (i / 64 / 65536) * 64 + i % 64);
}

/* The Ethernet header host -> lan (or, rev, gateway -> wan), both families. */
static void
eth_write(uint8_t *p, uint8_t type_hi, uint8_t type_lo, bool rev)
{
	memcpy(p, rev ? mac_wan : mac_lan, 6);
	memcpy(p + 6, rev ? mac_gw : mac_host, 6);
	p[12] = type_hi;
	p[13] = type_lo;
}

/* The UDP header to port 9 with zeroed payload, both families. */
static void
udp_write(struct rte_udp_hdr *udp, uint16_t sport, uint16_t len, uint16_t cksum)
{
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(len);
	udp->dgram_cksum = cksum;
	memset(udp + 1, 0, len - 8u);
}

/*
 * The IPv6 header of flow i: 2001:db8:1::a-49 to 2001:db8:ff:0:X::1 via
 * 2001:db8:2::fe (X = i / 64), or with -c to 2001:db8:2::a-d1 on wan's
 * prefix; rev: the other way.
 */
static void
ip6_write(uint8_t *ip, uint32_t i, uint16_t plen, uint8_t proto, bool rev)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t src, dst, x;
	uint16_t sport;

	flow_of(i, &src, &dst, &sport);
	a[15] = (uint8_t)(10 + i % 64);
	if (connected) {
		b[5] = 2;
		b[15] = (uint8_t)(dst & 0xff);
	} else {
		b[4] = 0;
		b[5] = 0xff;
		x = rte_cpu_to_be_32(i / 64);
		memcpy(b + 8, &x, 4);
		b[15] = 1;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	*(rte_be16_t *)(ip + 4) = rte_cpu_to_be_16(plen);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, rev ? b : a, 16);
	memcpy(ip + 24, rev ? a : b, 16);
}

/* The IPv4 header of flow i (flow_of()); rev: the other way. */
static void
ip4_write(struct rte_ipv4_hdr *ip, uint32_t i, uint16_t len, uint8_t proto, bool rev)
{
	uint32_t src, dst;
	uint16_t sport;

	flow_of(i, &src, &dst, &sport);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(rev ? dst : src);
	ip->dst_addr = rte_cpu_to_be_32(rev ? src : dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The IPv6 frame of flow i, 64 bytes. */
static void
frame_write6(uint8_t *p, uint32_t i)
{
	uint32_t src, dst;
	uint16_t sport;

	flow_of(i, &src, &dst, &sport);
	eth_write(p, 0x86, 0xdd, false);
	ip6_write(p + 14, i, FRAME6 - 14 - 40, IPPROTO_UDP, false);
	/* the checksum is not checked on the fast path */
	udp_write((struct rte_udp_hdr *)(p + 14 + 40), sport, FRAME6 - 14 - 40, 0xffff);
}

static void
frame_write(uint8_t *p, uint32_t i)
{
	uint32_t src, dst;
	uint16_t sport;

	flow_of(i, &src, &dst, &sport);
	eth_write(p, 0x08, 0x00, false);
	ip4_write((struct rte_ipv4_hdr *)(p + 14), i, FRAME - 14, IPPROTO_UDP, false);
	udp_write((struct rte_udp_hdr *)(p + 14 + 20), sport, FRAME - 14 - 20, 0);
}

/*
 * -t: flow i's segment `seg` (seg_now), either family, its checksum right;
 * the frame's length (at least 60: short ones padded, as on the wire).
 * SYN and SYN-ACK offer window scaling (a NOP and the option, 4 bytes).
 */
static uint16_t
tcp_write(uint8_t *p, uint32_t i, enum seg seg)
{
	bool rev = seg == SEG_SYNACK || seg == SEG_FINACK, syn = seg == SEG_SYN || seg == SEG_SYNACK;
	bool fin = seg == SEG_FIN || seg == SEG_FINACK;
	uint16_t hl = syn ? 24 : 20, data = seg == SEG_DATA ? TCP_DATA : 0;
	uint16_t l3 = ip6 ? 40 : 20, len = (uint16_t)(14 + l3 + hl + data);
	uint8_t *ip = p + 14;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + l3);
	uint32_t src, dst, seq, ack;
	uint16_t sport;

	flow_of(i, &src, &dst, &sport);
	eth_write(p, ip6 ? 0x86 : 0x08, ip6 ? 0xdd : 0x00, rev);
	if (ip6)
		ip6_write(ip, i, (uint16_t)(hl + data), IPPROTO_TCP, rev);
	else
		ip4_write((struct rte_ipv4_hdr *)ip, i, (uint16_t)(20 + hl + data), IPPROTO_TCP,
			  rev);
	switch (seg) {
	case SEG_SYN: seq = ISN_C; ack = 0; break;
	case SEG_SYNACK: seq = ISN_S; ack = ISN_C + 1; break;
	case SEG_ACK: seq = ISN_C + 1; ack = ISN_S + 1; break;
	case SEG_FIN: seq = cend[i]; ack = ISN_S + 1; break;
	case SEG_FINACK: seq = ISN_S + 1; ack = cend[i] + 1; break;
	case SEG_LASTACK: seq = cend[i] + 1; ack = ISN_S + 2; break;
	default:
		seq = cseq[i];
		cseq[i] += TCP_DATA;
		if ((int32_t)(cseq[i] - cend[i]) > 0)
			cend[i] = cseq[i];
		if (cseq[i] - (ISN_C + 1) + TCP_DATA > TCP_SPAN)
			cseq[i] = ISN_C + 1;
		ack = ISN_S + 1;
		break;
	}
	memset(th, 0, (size_t)hl + data);
	th->src_port = rte_cpu_to_be_16(rev ? 9 : sport);
	th->dst_port = rte_cpu_to_be_16(rev ? sport : 9);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(hl / 4 << 4);
	th->tcp_flags = (uint8_t)((syn ? RTE_TCP_SYN_FLAG : 0) | (fin ? RTE_TCP_FIN_FLAG : 0) |
				  (seg != SEG_SYN ? RTE_TCP_ACK_FLAG : 0) |
				  (data != 0 ? RTE_TCP_PSH_FLAG : 0));
	th->rx_win = rte_cpu_to_be_16(65535);
	if (syn)
		memcpy(th + 1, (uint8_t[]){ 1, 3, 3, TCP_WSCALE }, 4);	/* NOP, wscale */
	th->cksum = ip6 ? rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, th)
			: rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, th);
	if (len < 60) {
		memset(p + len, 0, 60u - len);
		len = 60;
	}
	return len;
}

/* -t: the server's SYN-ACK and FIN-ACK come in on wan and leave on lan;
 * all else the other way. */
static unsigned int
port_in(void)
{
	return tcp && (seg_now == SEG_SYNACK || seg_now == SEG_FINACK) ? 1 : 0;
}

/* A burst of the next flows' frames into port_in()'s Rx ring (not timed). */
static void
refill(unsigned int n)
{
	struct rte_mbuf *m[BURST];
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
		die("mbuf pool empty");
	for (i = 0; i < n; i++) {
		if (tcp) {
			m[i]->data_len = tcp_write(rte_pktmbuf_mtod(m[i], uint8_t *),
						   order[next_flow], seg_now);
			m[i]->pkt_len = m[i]->data_len;
		} else if (ip6) {
			frame_write6(rte_pktmbuf_mtod(m[i], uint8_t *), order[next_flow]);
			m[i]->data_len = m[i]->pkt_len = FRAME6;
		} else {
			frame_write(rte_pktmbuf_mtod(m[i], uint8_t *), order[next_flow]);
			m[i]->data_len = m[i]->pkt_len = FRAME;
		}
		m[i]->port = port_id[port_in()];
		if (++next_flow == n_flows)
			next_flow = 0;
	}
#ifdef RTE_ARCH_X86
	if (cold) {
		/* The frame's lines and the private area's, written back and
		 * evicted: what the worker reads first is not in its caches,
		 * as with a NIC (which leaves it in the LLC at best). */
		for (i = 0; i < n; i++) {
			const uint8_t *d = rte_pktmbuf_mtod(m[i], const uint8_t *);
			uintptr_t a;

			for (a = RTE_ALIGN_FLOOR((uintptr_t)d, RTE_CACHE_LINE_SIZE);
			     a < (uintptr_t)d + m[i]->data_len; a += RTE_CACHE_LINE_SIZE)
				_mm_clflush((const void *)a);
			_mm_clflush(rte_mbuf_to_priv(m[i]));
		}
		_mm_mfence();
	}
#endif
	if (rte_ring_enqueue_bulk(ring_rx[port_in()], (void **)m, n, NULL) != n)
		die("rx ring full");
}

/* What left on the other port, counted, and on the port it came in by
 * (and what dpf punted): freed. */
static unsigned int
drain(void)
{
	struct dp_sev ev[BURST * 2];
	struct rte_mbuf *m[BURST * 2];
	unsigned int n, got = 0;

	while ((n = rte_ring_dequeue_burst(ring_tx[port_in() ^ 1], (void **)m, RTE_DIM(m),
					   NULL)) != 0) {
		rte_pktmbuf_free_bulk(m, n);
		got += n;
	}
	while ((n = rte_ring_dequeue_burst(ring_tx[port_in()], (void **)m, RTE_DIM(m),
					   NULL)) != 0)
		rte_pktmbuf_free_bulk(m, n);
	while ((n = rte_ring_dequeue_burst(dp->workers[0].punt, (void **)m, RTE_DIM(m),
					   NULL)) != 0)
		rte_pktmbuf_free_bulk(m, n);
	/* The state events, as the control core takes them: a full ring
	 * would turn every event after the first 64k into a cheap refusal. */
	while (!consumer && dp_sev_poll(dp, ev, RTE_DIM(ev)) != 0)
		;
	return got;
}

/* Timed cycles of one round of `packets` frames; *fwd gets those sent. */
/*
 * -C: the control core's part in the state events, on another lcore: it
 * takes them off the worker's ring as they come (filter_cmds_poll()), so
 * that the ring's indexes and slots move between the two cores' caches as
 * they do in dpf, which the drain above, on the worker's own core, hides.
 */
static int
consume(void *arg)
{
	struct dp_sev ev[BURST * 2];

	(void)arg;
	while (!consumer_stop)
		dp_sev_poll(dp, ev, RTE_DIM(ev));
	return 0;
}

static uint64_t
round_dpf(struct dp_wctx *c, uint64_t packets, uint64_t *fwd)
{
	uint64_t cyc = 0, sent = 0, t0;

	/* The last burst may be short: a pass sends each flow's packet once. */
	for (sent = 0; sent < packets; sent += BURST) {
		refill((unsigned int)RTE_MIN(packets - sent, (uint64_t)BURST));
		t0 = rte_rdtsc_precise();
		dp_worker_poll(c);
		cyc += rte_rdtsc_precise() - t0;
		*fwd += drain();
	}
	return cyc;
}

static uint64_t
round_io(uint64_t packets, uint64_t *fwd)
{
	struct rte_mbuf *m[BURST];
	uint64_t cyc = 0, sent, t0;
	uint16_t n;

	for (sent = 0; sent < packets; sent += BURST) {
		refill(BURST);
		t0 = rte_rdtsc_precise();
		n = rte_eth_rx_burst(port_id[0], 0, m, BURST);
		rte_eth_tx_burst(port_id[1], 0, m, n);
		cyc += rte_rdtsc_precise() - t0;
		*fwd += drain();
	}
	return cyc;
}

static void
add_iface(const char *name, uint16_t port, const char *a4, const char *a6)
{
	struct dp_iface ifc;
	char err[256];

	if (iface_fixture(&ifc, name, port, 1500, a4, a6) != 0)
		die("bad address %s or %s", a4, a6);
	if (dp_iface_add(dp, &ifc, err, sizeof(err)) != 0)
		die("dp_iface_add: %s", err);
}

static void
ruleset_free(struct dpf_ruleset *rs)
{
	rules_acl_free(rs->acl);
	rules_ruleset_free(rs);
}

static struct dp_rules *
ruleset(const char *path, const uint32_t *timeouts, uint32_t limit)
{
	struct rule_prefix pfx[4] = {
		{ .af = 4, .plen = 24, .addr = { 198, 18, 1, 0 } },
		{ .af = 6, .plen = 64, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } },
		{ .af = 4, .plen = 24, .addr = { 198, 18, 2, 0 } },
		{ .af = 6, .plen = 64, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 } },
	};
	const struct rules_env_iface ifaces[] = {
		{ "lan", 0, 2, &pfx[0] },
		{ "wan", 1, 2, &pfx[2] },
	};
	const struct rules_env env = { 2, ifaces, 0, NULL };
	struct dpf_ruleset *rs = calloc(1, sizeof(*rs));
	json_t *arr = NULL;
	struct rules_error err;
	unsigned int n = 1, i, bad;
	char msg[256];

	if (path != NULL) {
		json_error_t je;

		arr = json_load_file(path, 0, &je);
		if (arr == NULL || !json_is_array(arr) || json_array_size(arr) == 0)
			die("%s:%d:%d: want a JSON array of rule strings (%s)", path, je.line,
			    je.column, arr == NULL ? je.text : "not an array");
		n = (unsigned int)json_array_size(arr);
	}
	if (rs == NULL || (rs->rules = calloc(n, sizeof(*rs->rules))) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++, rs->n++) {
		const char *t = arr != NULL ? json_string_value(json_array_get(arr, i)) : "pass all";

		if (t == NULL || rules_parse_string(t, &env, &rs->rules[i], &err) != 0)
			die("rule %u \"%s\": %s", i, t ? t : "(not a string)", t ? err.msg : "");
	}
	json_decref(arr);
	if (rules_number(rs->rules, n, &bad, &err) != 0)
		die("rule %u: %s", bad, err.msg);
	rs->acl = rules_acl_build(rs, msg, sizeof(msg));
	if (rs->acl == NULL)
		die("rules_acl_build: %s", msg);
	return dp_rules_new(dp, rs, ruleset_free, timeouts, limit);
}

static void
ports_up(void)
{
	unsigned int p;

	for (p = 0; p < 2; p++) {
		char name[32];

		snprintf(name, sizeof(name), "pb_rx%u", p);
		ring_rx[p] = rte_ring_create(name, 1024, (int)rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "pb_tx%u", p);
		ring_tx[p] = rte_ring_create(name, 1024, (int)rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring_rx[p] == NULL || ring_tx[p] == NULL)
			die("rte_ring_create: %s", rte_strerror(rte_errno));
		snprintf(name, sizeof(name), "net_ring_pb%u", p);
		int id;

		id = rte_eth_from_rings(name, &ring_rx[p], 1, &ring_tx[p], 1,
					    (unsigned int)rte_socket_id());
		if (id < 0)
			die("rte_eth_from_rings: %s", rte_strerror(rte_errno));
		struct rte_eth_conf conf;

		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_configure((uint16_t)id, 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup((uint16_t)id, 0, 1024, (unsigned int)rte_socket_id(),
					   NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup((uint16_t)id, 0, 1024, (unsigned int)rte_socket_id(),
					   NULL) != 0 ||
		    rte_eth_dev_start((uint16_t)id) != 0)
			die("port %u: cannot configure and start it", p);
		port_id[p] = (uint16_t)id;
		dp->ports[p].port_id = (uint16_t)id;
		dp->ports[p].mtu = 1500;
	}
	memcpy(dp->ports[0].mac.addr_bytes, mac_lan, 6);
	memcpy(dp->ports[1].mac.addr_bytes, mac_wan, 6);
	dp->n_ports = 2;
}

/* Interface iface's hosts 198.18.(iface+1).from..to-1 and 2001:db8:(iface+1)::
 * the same, resolved to mac (a DP_NEIGH_VALID word). */
static void
hosts_resolve(uint16_t iface, int from, int to, uint64_t mac)
{
	uint8_t net = (uint8_t)(iface + 1);
	int pos, i;

	for (i = from; i < to; i++) {
		pos = dp_neigh_get(dp, iface, 4, (uint8_t[]){ 198, 18, net, (uint8_t)i }, true);
		if (pos < 0)
			die("no neighbour entry for 198.18.%u.%d", net, i);
		atomic_store_explicit(&dp->neigh[pos].mac, mac, memory_order_release);
		pos = dp_neigh_get(dp, iface, 6, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, net,
							   [15] = (uint8_t)i }, true);
		if (pos < 0)
			die("no neighbour entry for 2001:db8:%u::%x", net, i);
		atomic_store_explicit(&dp->neigh[pos].mac, mac, memory_order_release);
	}
}

static void
route_up(void)
{
	static const uint8_t gw6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0xfe };
	struct dp_route_conf rt[2];
	struct dp_fib *fib;
	unsigned int unresolved = 0;
	uint64_t mac = DP_NEIGH_VALID, host = DP_NEIGH_VALID;
	char err[256];
	int pos, i;

	memset(rt, 0, sizeof(rt));
	rt[0].dst.af = 4;
	rt[0].dst.plen = 16;
	rt[0].dst.addr[0] = 198;
	rt[0].dst.addr[1] = 19;
	rt[0].has_via = true;
	rt[0].iface = -1;
	memcpy(rt[0].via, (uint8_t[]){ 198, 18, 2, 254 }, 4);
	rt[1].dst.af = 6;
	rt[1].dst.plen = 48;
	memcpy(rt[1].dst.addr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0xff }, 6);
	rt[1].has_via = true;
	rt[1].iface = -1;
	memcpy(rt[1].via, gw6, 16);
	if (dp_neigh_init(dp, 2048) != 0)
		die("dp_neigh_init failed");
	fib = dp_fib_build(dp, dp->ifaces, dp->n_ifaces, rt, 2, &unresolved, err, sizeof(err));
	if (fib == NULL || unresolved != 0)
		die("dp_fib_build: %s", fib == NULL ? err : "gateway unresolved");
	pos = dp_neigh_get(dp, 1, 4, (uint8_t[]){ 198, 18, 2, 254 }, true);
	if (pos < 0)
		die("no neighbour entry for the gateway");
	for (i = 0; i < 6; i++) {
		mac |= (uint64_t)mac_gw[i] << (8 * (5 - i));
		host |= (uint64_t)mac_host[i] << (8 * (5 - i));
	}
	atomic_store_explicit(&dp->neigh[pos].mac, mac, memory_order_release);
	pos = dp_neigh_get(dp, 1, 6, gw6, true);
	if (pos < 0)
		die("no neighbour entry for the IPv6 gateway");
	atomic_store_explicit(&dp->neigh[pos].mac, mac, memory_order_release);
	/* -c: wan's hosts 198.18.2.10-209 resolved (their MAC is the gateway's) */
	if (connected)
		hosts_resolve(1, 10, 210, mac);
	/* -t: lan's hosts 198.18.1.10-73 and 2001:db8:1::a-49, for the SYN-ACK */
	if (tcp)
		hosts_resolve(0, 10, 74, host);
	atomic_store_explicit(&dp->fib, fib, memory_order_release);
}

/* Why frames were not forwarded: the worker's nonzero drop reasons. */
static void
drops_print(const struct dp_stats *st)
{
	unsigned int d;

	for (d = 0; d < DP_DROP_MAX; d++)
		if (st->drop[d] != 0)
			fprintf(stderr, "path_bench: drop %s: %" PRIu64 "\n", dp_drop_name(d),
				st->drop[d]);
	if (st->punts != 0)
		fprintf(stderr, "path_bench: punted to the control core: %" PRIu64 "\n",
			st->punts);
	if (st->state_removals != 0)
		fprintf(stderr, "path_bench: states removed (expired): %" PRIu64 "\n",
			st->state_removals);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
row(const char *what, const double *v, unsigned int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, sizeof(*v) * n);
	qsort(s, n, sizeof(s[0]), cmp_dbl);
	printf("| %s | %.1f | %.1f | %.1f |\n", what, s[0], s[n / 2], s[n - 1]);
}

/*
 * -t: one pass of each segment from..to, every flow's once, each timed and
 * every frame of it forwarded or the run fails; printed as one line, with
 * the SYN's pass (cyc0 cycles over fwd0 packets) first when given.
 */
static void
tcp_passes(struct dp_wctx *c, enum seg from, enum seg to, const char *what, uint64_t cyc0,
	   uint64_t fwd0)
{
	uint64_t total = cyc0;
	char line[256];
	int len;

	len = snprintf(line, sizeof(line), "# %s:", what);
	if (fwd0 != 0)
		len += snprintf(line + len, sizeof(line) - (size_t)len, " SYN %.1f,",
				(double)cyc0 / (double)fwd0);
	for (seg_now = from; seg_now <= to; seg_now++) {
		uint64_t got = 0, cyc = round_dpf(c, n_flows, &got);

		if (got != n_flows) {
			drops_print(c->st);
			die("%s pass %s: %" PRIu64 " of %u forwarded", what, seg_name[seg_now],
			    got, n_flows);
		}
		total += cyc;
		len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %.1f%s",
				seg_name[seg_now], (double)cyc / (double)got, seg_now < to ? "," : "");
	}
	printf("%s cycles per packet; %.1f per connection (%.2f M/s at this TSC)\n", line,
	       (double)total / n_flows, rte_get_tsc_hz() / ((double)total / n_flows) / 1e6);
}

int
main(int argc, char **argv)
{
	static uint32_t timeouts[PFTM_MAX];
	uint64_t packets = 2000000, fwd, cyc;
	double io[MAX_ROUNDS], dpv[MAX_ROUNDS], diff[MAX_ROUNDS];
	const char *rules_path = NULL;
	unsigned int rounds = 9, r, i;
	struct dp_rules *unused_rules = NULL;
	uint32_t limit;
	struct dp_worker *w;
	struct dp_wctx c;
	bool shuffle = false, no_rules = false;
	unsigned int pause_s = 0;
	char err[256];
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		die("rte_eal_init failed");
	argc -= ret;
	argv += ret;
	while ((opt = getopt(argc, argv, "6cCFn:Np:r:R:stw:")) != -1) {
		switch (opt) {
		case 'C': consumer = true; break;
		case 'F':
#ifndef RTE_ARCH_X86
			die("-F: built without x86 clflush");
#endif
			cold = true;
			break;
		case 'n': n_flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'N': no_rules = true; break;
		case 'c': connected = true; break;
		case '6': ip6 = true; break;
		case 'p': packets = strtoull(optarg, NULL, 0); break;
		case 'r': rounds = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'R': rules_path = optarg; break;
		case 's': shuffle = true; break;
		case 't': tcp = true; break;
		case 'w': pause_s = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: die("usage: path_bench [EAL] -- [-n FLOWS] [-p PACKETS] [-r ROUNDS] "
			     "[-R RULES.json] [-N] [-c] [-C] [-6] [-s] [-F] [-t] [-w SECONDS]");
		}
	}
	if (n_flows < BURST || n_flows > 64u * 65536 * 8 || rounds == 0 ||
	    rounds > MAX_ROUNDS || packets < BURST)
		die("FLOWS in [32, %u], ROUNDS in [1, %u], PACKETS >= 32", 64u * 65536 * 8,
		    MAX_ROUNDS);
	for (i = 0; i < PFTM_MAX; i++)
		timeouts[i] = pftm_default(i);
	order = malloc(sizeof(*order) * n_flows);
	cseq = malloc(sizeof(*cseq) * n_flows);
	cend = malloc(sizeof(*cend) * n_flows);
	dp = rte_zmalloc("pb_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	pool = rte_pktmbuf_pool_create("pb_pool", 8191, 256, DP_MBUF_PRIV,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (order == NULL || cseq == NULL || cend == NULL || dp == NULL || pool == NULL)
		die("out of memory");
	for (i = 0; i < n_flows; i++) {
		order[i] = i;
		cseq[i] = cend[i] = ISN_C + 1;
	}
	if (shuffle) {
		uint64_t x = 0x9e3779b97f4a7c15ull;

		for (i = n_flows - 1; i > 0; i--) {
			uint32_t j, t;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (uint32_t)(x % (i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
	}
	dp_clock_init(&dp->clock);
	dp->n_workers = 1;
	dp->burst = BURST;
	dp->pool = pool;
	dp->host_id = 0x0a0b0c0d;
	ports_up();
	add_iface("lan", 0, "198.18.1.1", "2001:db8:1::1");
	add_iface("wan", 1, "198.18.2.1", "2001:db8:2::1");
	route_up();
	w = &dp->workers[0];
	w->dp = dp;
	w->id = 0;
	w->stats = &dp->stats[0];
	w->punt = rte_ring_create("pb_punt", 1024, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->punt == NULL)
		die("punt ring: %s", rte_strerror(rte_errno));
	/* An IPv6 state takes two records of the table (docs/config.md). */
	limit = (n_flows + n_flows / 4 + 1024) * (ip6 ? 2 : 1);
	/* As dpf's config does for limits.states [OpenBSD pfctl_load_options]:
	 * with pf's defaults (60,000 / 120,000) timeouts scaled to 0 above
	 * 120k states, and a run of 1M flows lost its states to expiry. */
	timeouts[PFTM_ADAPTIVE_START] = limit / 10 * 6;
	timeouts[PFTM_ADAPTIVE_END] = limit / 10 * 12;
	if (dp_filter_init(dp, limit, timeouts, err, sizeof(err)) != 0 ||
	    dp_frag_init(dp, 64, 30, err, sizeof(err)) != 0)
		die("%s", err);
	atomic_store_explicit(&dp->rules,
			      ruleset(rules_path, timeouts, limit),
			      memory_order_release);
	if (dp->rules == NULL)
		die("ruleset");
	dp_worker_begin(&c, w);
	c.fib = dp->fib;
	c.rules = dp->rules;
	c.now = dp_clock_s(&dp->clock);
	dp_filter_housekeeping(&c);

	printf("# path_bench: %u %s%s, %s, %u rounds of %" PRIu64 " packets, TSC %.1f MHz, "
	       "lcore %u\n", n_flows, tcp ? "TCP connections" : "flows", shuffle ? " (shuffled)" : "",
	       rules_path ? rules_path : "pass all", rounds, packets, rte_get_tsc_hz() / 1e6,
	       rte_lcore_id());
	if (consumer) {
		unsigned int lc = rte_get_next_lcore(-1, 1, 0);

		if (lc >= RTE_MAX_LCORE || rte_eal_remote_launch(consume, NULL, lc) != 0)
			die("-C needs a second lcore (EAL -l A,B)");
		printf("# state events taken on lcore %u\n", lc);
	}
	if (pause_s > 0) {
		/* For a profiler: attach to this thread (the worker) now. */
		fprintf(stderr, "# first pass in %u s (pid %d)\n", pause_s, (int)getpid());
		sleep(pause_s);
	}
	/* The first pass: every packet a new state (-t: a SYN). */
	fwd = 0;
	seg_now = SEG_SYN;
	cyc = round_dpf(&c, n_flows, &fwd);
	/*
	 * -t: the handshake's other two segments, each flow's once.  (Not a
	 * retransmitted SYN before the SYN-ACK: its ack-less slide moves the
	 * server's seqhi to the SYN's window, and for a quarter of the
	 * server's ISNs with window scale 14 pf's check then resets the
	 * handshake at the SYN-ACK; pf_track.c follows pf's arithmetic.)
	 */
	if (tcp)
		tcp_passes(&c, SEG_SYNACK, SEG_ACK, "handshake", cyc, fwd);
	seg_now = SEG_DATA;
	if (no_rules) {
		/* Forwarding alone: no ruleset, as dpf before its first
		 * configure (the filter stage passes everything). */
		unused_rules = atomic_exchange(&dp->rules, NULL);
		c.rules = NULL;
	} else if (c.st->state_inserts < n_flows) {
		drops_print(c.st);
		die("first pass made %" PRIu64 " states of %u", c.st->state_inserts, n_flows);
	} else {
		printf("# first pass: %" PRIu64 " new states, %.1f cycles per packet "
		       "(%.2f M/s at this TSC); insert events %" PRIu64 ", ring full %" PRIu64
		       "\n", c.st->state_inserts, (double)cyc / (double)fwd,
		       rte_get_tsc_hz() / ((double)cyc / (double)fwd) / 1e6,
		       c.st->sev[DP_SEV_INSERT], c.st->sev_ring_full);
	}
	for (r = 0; r < rounds; r++) {
		uint64_t inserts = c.st->state_inserts;

		fwd = 0;
		cyc = round_io(packets, &fwd);
		if (fwd != packets)
			die("io round %u: %" PRIu64 " of %" PRIu64 " forwarded", r, fwd, packets);
		io[r] = (double)cyc / (double)fwd;
		fwd = 0;
		cyc = round_dpf(&c, packets, &fwd);
		if (fwd != packets || c.st->state_inserts != inserts) {
			drops_print(c.st);
			die("dpf round %u: %" PRIu64 " of %" PRIu64 " forwarded, %" PRIu64
			    " new states (punts %" PRIu64 ")", r, fwd, packets,
			    c.st->state_inserts - inserts, c.st->punts);
		}
		dpv[r] = (double)cyc / (double)fwd;
		diff[r] = dpv[r] - io[r];
	}
	/* -t: the close, each side's FIN and the last ACK. */
	if (tcp)
		tcp_passes(&c, SEG_FIN, SEG_LASTACK, "teardown", 0, 0);
	if (consumer) {
		consumer_stop = true;
		rte_eal_mp_wait_lcore();
	}
	printf("# states expired during the run: %" PRIu64 "\n", c.st->state_removals);
	printf("| cycles/pkt | min | median | max |\n|---|---|---|---|\n");
	row("io forwarding (floor)", io, rounds);
	row("dpf", dpv, rounds);
	row("dpf - io, same round", diff, rounds);
	/* Everything back, so that a sanitizer build (make asan runs the
	 * path-bench test) reports no leak. */
	dp_rules_free((struct dp_rules *)atomic_exchange(&dp->rules, NULL));
	dp_rules_free(unused_rules);
	dp_fib_free((struct dp_fib *)atomic_exchange(&dp->fib, NULL));
	dp_frag_fini(dp);
	dp_filter_fini(dp);
	free(order);
	free(cseq);
	free(cend);
	rte_eal_cleanup();
	return 0;
}
