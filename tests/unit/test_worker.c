/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the worker's stages (dataplane/filter.c, frag.c) without
 * ports, namespaces or root: EAL runs without hugepages, devices or shared
 * config (so an unprivileged user, nobody, can run it too), and a minimal
 * dataplane (one worker, two interfaces with connected routes, a small
 * ruleset, the worker's state and reassembly tables) is built by hand.
 * Each test crafts frames, runs them through the fast-path parse the
 * worker runs (dp_parse_pkt()), looks their next hops up, and pushes the
 * burst through the stage entry points, then checks what passed and the
 * counters.
 *
 * Topology: lan (port 0) 198.18.1.2/24, 2001:db8:1::2/64 with the clients;
 * wan (port 1) 198.18.2.2/24, 2001:db8:2::2/64 with the servers and a
 * router that sends ICMP errors.  Every test uses its own ports, so the
 * states of one do not meet another's packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/rules/rules.h"
#include "dataplane/dp.h"
#include "dataplane/dp_parse.h"
#include "dataplane/filter.h"
#include "dataplane/filter_stage.h"
#include "dataplane/frag.h"
#include "dataplane/frag_stage.h"
#include "dataplane/rules_acl.h"
#include "dataplane/state.h"
#include "dataplane/worker_ctx.h"
#include "proto/pf.h"
#include "proto/pftm.h"
#include "proto/pkt.h"
#include "proto/proto.h"
#include "tests/unit/iface_fixture.h"

#define LAN 0
#define WAN 1

static const uint8_t mac_lan[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x01 };
static const uint8_t mac_wan[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 };
static const uint8_t mac_host[6] = { 0x02, 0x00, 0x00, 0x00, 0x09, 0x09 };

static const uint8_t cli4[4] = { 198, 18, 1, 10 };
static const uint8_t srv4[4] = { 198, 18, 2, 20 };
static const uint8_t rtr4[4] = { 198, 18, 2, 254 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };
static const uint8_t srv6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x20 };
static const uint8_t rtr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0xfe };

/* The ruleset, by index (counters are per index). */
static const char *const rule_texts[] = {
	"block all",
	"pass in on lan proto tcp to port 80",
	"pass in on lan proto udp to port 53",
	"pass out on wan",
	"pass in on lan proto udp to port 5353 allow-opts",
	"pass out on wan proto udp to port 5353 allow-opts",
};

#define R_BLOCK 0
#define R_TCP80 1
#define R_UDP53 2
#define R_OUT 3
#define R_OPTS_IN 4
#define R_OPTS_OUT 5

static struct dp_main *dp;
static struct dp_wctx c;
static struct rte_mempool *pool;

/* --- frames --- */

struct pkt {
	uint8_t b[2048];
	size_t len;
	unsigned int port;	/* ingress */
};

static size_t
put_eth(uint8_t *p, unsigned int port, uint16_t type)
{
	memcpy(p, port == LAN ? mac_lan : mac_wan, 6);
	memcpy(p + 6, mac_host, 6);
	proto_wr16(p + 12, type);
	return 14;
}

/* The IPv4 header checksum at p. */
static void
ip4_sum(uint8_t *p)
{
	uint16_t ck;

	p[10] = p[11] = 0;
	ck = (uint16_t)~rte_raw_cksum(p, (size_t)(p[0] & 0xf) * 4);
	memcpy(p + 10, &ck, 2);
}

/* An IPv4 header of hl bytes (NOP options past 20) for l4len bytes of proto. */
static size_t
put_ip4(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t hl,
	uint16_t frag, size_t l4len)
{
	memset(p, 0, hl);
	memset(p + 20, 1, hl - 20);
	p[0] = (uint8_t)(0x40 | hl / 4);
	proto_wr16(p + 2, (uint16_t)(hl + l4len));
	proto_wr16(p + 4, 0x1234);
	proto_wr16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	/* The fast path verifies it (RFC 1812 5.2.2); frag.c recomputes it. */
	ip4_sum(p);
	return hl;
}

static size_t
put_ip6(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nxt, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	proto_wr16(p + 4, (uint16_t)plen);
	p[6] = nxt;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

static size_t
put_tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	memset(p, 0, 20);
	proto_wr16(p, sport);
	proto_wr16(p + 2, dport);
	proto_wr32(p + 4, seq);
	proto_wr32(p + 8, ack);
	p[12] = 0x50;
	p[13] = flags;
	proto_wr16(p + 14, 65535);
	return 20;
}

static size_t
put_udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload)
{
	proto_wr16(p, sport);
	proto_wr16(p + 2, dport);
	proto_wr16(p + 4, (uint16_t)(8 + payload));
	proto_wr16(p + 6, 0);
	memset(p + 8, 'u', payload);
	return 8 + payload;
}

/* A TCP segment with len bytes of data after its 20-byte header. */
static struct pkt
tcp4_data(unsigned int port, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	  uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
	struct pkt k = { .port = port };
	size_t n = put_eth(k.b, port, PKT_ETHERTYPE_IPV4);

	n += put_ip4(k.b + n, src, dst, PKT_IPPROTO_TCP, 20, 0x4000, 20 + len);
	n += put_tcp(k.b + n, sport, dport, flags, seq, ack);
	memset(k.b + n, 'd', len);
	k.len = n + len;
	return k;
}

static struct pkt
tcp4(unsigned int port, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
     uint8_t flags, uint32_t seq, uint32_t ack)
{
	return tcp4_data(port, src, dst, sport, dport, flags, seq, ack, 0);
}

static struct pkt
udp4(unsigned int port, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	struct pkt k = { .port = port };
	size_t n = put_eth(k.b, port, PKT_ETHERTYPE_IPV4);

	n += put_ip4(k.b + n, src, dst, PKT_IPPROTO_UDP, 20, 0, 8 + 12);
	n += put_udp(k.b + n, sport, dport, 12);
	k.len = n;
	return k;
}

static struct pkt
udp6(unsigned int port, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	struct pkt k = { .port = port };
	size_t n = put_eth(k.b, port, PKT_ETHERTYPE_IPV6);

	n += put_ip6(k.b + n, src, dst, PKT_IPPROTO_UDP, 8 + 12);
	n += put_udp(k.b + n, sport, dport, 12);
	k.len = n;
	return k;
}

/*
 * A router's ICMP error (needfrag / packet too big) to `to`, arriving on
 * wan, quoting q[0..qlen).
 */
static struct pkt
icmp_error(uint8_t af, const uint8_t *to, const uint8_t *q, size_t qlen)
{
	struct pkt k = { .port = WAN };
	size_t n = put_eth(k.b, WAN, af == 4 ? PKT_ETHERTYPE_IPV4 : PKT_ETHERTYPE_IPV6);
	uint8_t *ih;

	if (af == 4)
		n += put_ip4(k.b + n, rtr4, to, PKT_IPPROTO_ICMP, 20, 0, 8 + qlen);
	else
		n += put_ip6(k.b + n, rtr6, to, PKT_IPPROTO_ICMPV6, 8 + qlen);
	ih = k.b + n;
	memset(ih, 0, 8);
	ih[0] = af == 4 ? PKT_ICMP_UNREACH : PKT_ICMP6_PACKET_TOO_BIG;
	ih[1] = af == 4 ? PKT_ICMP_UNREACH_NEEDFRAG : 0;
	proto_wr32(ih + 4, 1280);
	memcpy(ih + 8, q, qlen);
	k.len = n + 8 + qlen;
	return k;
}

/* --- running the stages --- */

static struct rte_mbuf *
to_mbuf(const struct pkt *k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct dp_parse pr;

	memset(&pr, 0, sizeof(pr));
	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)k->len));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), k->b, k->len);
	/* What the worker's dp_input() does before the stages. */
	assert_int_equal(dp_parse_pkt(dp, k->port, m, &pr), DP_PARSE_OK);
	assert_false(pr.local);
	dp_meta_fill(dp_meta(m), &pr);
	return m;
}

/* The worker's route lookup (worker.c dp_route_burst), one by one. */
static uint32_t
next_hop(struct rte_mbuf *m)
{
	const struct dp_mbuf_meta *md = dp_meta(m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint64_t res = 0;

	if (md->af == 4) {
		uint32_t dst = proto_rd32(l3 + 16);

		assert_int_equal(rte_fib_lookup_bulk(c.fib->fib4, &dst, &res, 1), 0);
	} else {
		uint8_t dst[1][16];

		memcpy(dst[0], l3 + 24, 16);
		assert_int_equal(rte_fib6_lookup_bulk(c.fib->fib6, dst, &res, 1), 0);
	}
	return res < c.fib->n_nh ? (uint32_t)res : 0;
}

/*
 * The filter stage over pkts k[0..n): returns a bitmask of the indexes
 * that passed (may be forwarded); the packets are freed.
 */
static uint64_t
filter(const struct pkt *k, unsigned int n)
{
	struct rte_mbuf *pkts[DP_BURST_MAX], *in[DP_BURST_MAX];
	uint32_t nh[DP_BURST_MAX];
	unsigned int i, j, out;
	uint64_t passed = 0;

	assert_true(n <= DP_BURST_MAX);
	for (i = 0; i < n; i++) {
		in[i] = pkts[i] = to_mbuf(&k[i]);
		nh[i] = next_hop(pkts[i]);
	}
	out = dp_filter_burst(&c, pkts, nh, n);
	for (j = 0; j < out; j++) {
		for (i = 0; i < n && in[i] != pkts[j]; i++)
			;
		assert_true(i < n);
		passed |= 1ULL << i;
		rte_pktmbuf_free(pkts[j]);
	}
	return passed;
}

static uint64_t
filter1(struct pkt k)
{
	return filter(&k, 1);
}

/* The state of a flow, found as the filter finds it. */
static struct dp_state *
state_of(uint8_t af, uint8_t proto, const uint8_t *a, const uint8_t *b, uint16_t pa, uint16_t pb)
{
	union dp_state_key key;
	bool sw;

	dp_state_key_make(af, proto, a, b, rte_cpu_to_be_16(pa), rte_cpu_to_be_16(pb), 0, &key,
			  &sw);
	return dp_state_lookup(c.states, af, &key);
}

static struct dp_rule_ctr *
ctr(unsigned int rule)
{
	return &dp_rule_ctr_row(c.rules, 0)[rule];
}

/* Each test starts from zero counters (the states stay). */
static int
reset_counters(void **state)
{
	(void)state;
	memset(c.st, 0, sizeof(*c.st));
	return 0;
}

/* --- tests --- */

/* First packets: the rules decide, in on lan then out on wan. */
static void
test_rules_pass_block(void **state)
{
	struct pkt k[4] = {
		tcp4(LAN, cli4, srv4, 40000, 80, PF_TH_SYN, 1000, 0),
		tcp4(LAN, cli4, srv4, 40000, 81, PF_TH_SYN, 1000, 0),
		udp4(LAN, cli4, srv4, 40000, 53),
		udp4(LAN, cli4, srv4, 40000, 54),
	};
	uint64_t before_tcp = ctr(R_TCP80)->states, before_udp = ctr(R_UDP53)->states;

	(void)state;
	assert_int_equal(filter(k, 4), 0x5);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 2);
	assert_int_equal(c.st->state_inserts, 2);
	assert_int_equal(c.st->state_searches, 4);
	/* Two passed in and out, two were blocked in: six evaluations. */
	assert_int_equal(c.st->rule_evals, 6);
	assert_int_equal(ctr(R_TCP80)->states, before_tcp + 1);
	assert_int_equal(ctr(R_UDP53)->states, before_udp + 1);
	assert_non_null(state_of(4, PKT_IPPROTO_TCP, cli4, srv4, 40000, 80));
	assert_null(state_of(4, PKT_IPPROTO_TCP, cli4, srv4, 40000, 81));
	assert_non_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 40000, 53));
	assert_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 40000, 54));
}

/*
 * A handshake in one burst: the SYN makes the state, the SYN-ACK (in on
 * wan, which the rules block) is its first hit, then the ACK; no rules
 * after the first packet.
 */
static void
test_state_create_then_hit(void **state)
{
	struct pkt k[3] = {
		tcp4(LAN, cli4, srv4, 40001, 80, PF_TH_SYN, 1000, 0),
		tcp4(WAN, srv4, cli4, 80, 40001, PF_TH_SYN | PF_TH_ACK, 5000, 1001),
		tcp4(LAN, cli4, srv4, 40001, 80, PF_TH_ACK, 1001, 5001),
	};
	struct dp_state *st;

	(void)state;
	assert_int_equal(filter(k, 3), 0x7);
	assert_int_equal(c.st->state_inserts, 1);
	assert_int_equal(c.st->rule_evals, 2);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	st = state_of(4, PKT_IPPROTO_TCP, cli4, srv4, 40001, 80);
	assert_non_null(st);
	assert_int_equal(dp_state_packets(st, 0), 2);
	assert_int_equal(dp_state_packets(st, 1), 1);
	assert_int_equal(st->track.peer[0].state, PF_TCPS_ESTABLISHED);
	assert_int_equal(st->track.peer[1].state, PF_TCPS_ESTABLISHED);
	/* A later burst hits without the rules. */
	assert_int_equal(filter1(tcp4(WAN, srv4, cli4, 80, 40001, PF_TH_ACK, 5001, 1001)), 1);
	assert_int_equal(c.st->rule_evals, 2);
	assert_int_equal(dp_state_packets(st, 1), 2);
}

/*
 * A handshake cli4:port -> srv4:80 in one burst (client ISN 1000, server
 * 5000), all three passed: its state, established on both sides.
 */
static struct dp_state *
established(uint16_t port)
{
	struct pkt k[3] = {
		tcp4(LAN, cli4, srv4, port, 80, PF_TH_SYN, 1000, 0),
		tcp4(WAN, srv4, cli4, 80, port, PF_TH_SYN | PF_TH_ACK, 5000, 1001),
		tcp4(LAN, cli4, srv4, port, 80, PF_TH_ACK, 1001, 5001),
	};
	struct dp_state *st;

	assert_int_equal(filter(k, 3), 0x7);
	st = state_of(4, PKT_IPPROTO_TCP, cli4, srv4, port, 80);
	assert_non_null(st);
	return st;
}

/* A segment outside the windows is pf's "state mismatch". */
static void
test_tcp_out_of_window(void **state)
{
	struct dp_state *st;

	(void)state;
	st = established(40002);
	/* A bare ACK is held to its ack only (pf_tcp_track_full eases the
	 * sequence of segments without data): one for data never sent. */
	assert_int_equal(filter1(tcp4(LAN, cli4, srv4, 40002, 80, PF_TH_ACK, 1001,
				      5001 + 50000000)), 0);
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 1);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	assert_int_equal(dp_state_packets(st, 0), 2);	/* not counted on the state */
	/* The connection itself goes on. */
	assert_int_equal(filter1(tcp4(LAN, cli4, srv4, 40002, 80, PF_TH_ACK, 1001, 5001)), 1);
}

/*
 * A segment outside the windows of a state whose view is in part a pfsync
 * peer's: dropped, and one ASK for the state a second (state_event.h);
 * none for a state the peer never touched.
 */
static void
test_synced_mismatch_asks(void **state)
{
	struct pkt far = tcp4(LAN, cli4, srv4, 40010, 80, PF_TH_ACK, 1001, 5001 + 50000000);
	uint32_t now = c.now;
	struct dp_state *st;
	const struct dp_sev *ev;
	uint64_t id;
	uint32_t cid;

	(void)state;
	st = established(40010);
	/* Ours alone: a plain mismatch. */
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 1);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 0);
	/* As a peer's merge leaves it (dp_state_merge()): the side the peer
	 * forwards is synced; this packet's side is not, so no slack. */
	st->flags |= DP_STF_SYNCED1;
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 1);
	ev = &c.sev_stage[c.sev_n - 1];
	assert_int_equal(dp_state_id(c.states, st, &id, &cid), 0);
	assert_int_equal(ev->kind, DP_SEV_ASK);
	assert_true(ev->id == id && ev->creatorid == cid);
	/* Again in the same second: counted, not asked. */
	assert_int_equal(filter1(far), 0);
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 1);
	assert_int_equal(c.st->sev_ask_limited, 2);
	/* The next second: asked again. */
	c.now = now + 1;
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 2);
	/* A split state (the peer forwards it too) asks as well. */
	st->flags &= (uint8_t)~DP_STF_SYNCED;
	dp_state_split_peer(st, c.now);
	c.now = now + 2;
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 3);
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 6);
	c.now = now;
	/* The connection itself goes on. */
	assert_int_equal(filter1(tcp4(LAN, cli4, srv4, 40010, 80, PF_TH_ACK, 1001, 5001)), 1);
}

/*
 * A state this node made whose other side it never saw (the peer forwards
 * that side, and the peer's report of it was lost): pf's loose check lets
 * the client's segments on to a window past what it sent, then drops them
 * as a state mismatch; the drop asks the peer for the state, as for a
 * synced one.  Once the other side is seen here, a drop asks no more.
 */
static void
test_unseen_side_asks(void **state)
{
	struct pkt syn = tcp4(LAN, cli4, srv4, 40020, 80, PF_TH_SYN, 1000, 0);
	struct pkt ack = tcp4(LAN, cli4, srv4, 40020, 80, PF_TH_ACK, 1001, 5001);
	/* Data 50 MB past what the client sent: beyond any loose window. */
	struct pkt far = tcp4_data(LAN, cli4, srv4, 40020, 80, PF_TH_ACK, 1001 + 50000000, 5001,
				   100);
	struct dp_state *st;

	(void)state;
	assert_int_equal(filter1(syn), 1);
	st = state_of(4, PKT_IPPROTO_TCP, cli4, srv4, 40020, 80);
	assert_non_null(st);
	assert_true(st->track.peer[1].state < PF_TCPS_SYN_SENT);
	assert_int_equal(st->flags & DP_STF_SYNCED, 0);
	/* The handshake's last segment passes on pf's loose check. */
	assert_int_equal(filter1(ack), 1);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 0);
	assert_int_equal(filter1(far), 0);
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 1);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 1);
	/* The server's side seen here: its own view, a plain mismatch. */
	assert_int_equal(filter1(tcp4(WAN, srv4, cli4, 80, 40020, PF_TH_SYN | PF_TH_ACK, 5000,
				      1001)), 1);
	assert_true(st->track.peer[1].state >= PF_TCPS_SYN_SENT);
	c.now++;
	assert_int_equal(filter1(far), 0);
	c.now--;
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 2);
	assert_int_equal(c.st->sev[DP_SEV_ASK], 1);
	assert_int_equal(c.st->sev_ask_limited, 0);
}

/* A TCP header longer than the packet: malformed, with the parser's reason. */
static void
test_malformed_counted(void **state)
{
	struct pkt k = tcp4(LAN, cli4, srv4, 40003, 80, PF_TH_SYN, 1000, 0);

	(void)state;
	k.b[14 + 20 + 12] = 0xf0;	/* data offset 60 in a 20-byte header */
	assert_int_equal(filter1(k), 0);
	assert_int_equal(c.st->drop[DP_DROP_MALFORMED], 1);
	assert_int_equal(c.st->pkt_err[PKT_ERR_TCP_DOFF_TRUNCATED], 1);
	assert_int_equal(c.st->state_inserts, 0);
	assert_int_equal(c.st->rule_evals, 0);
	assert_null(state_of(4, PKT_IPPROTO_TCP, cli4, srv4, 40003, 80));
}

/* The quote of an IPv4 UDP packet cli:sport -> srv:53, dressed. */
static size_t
quote_udp4(uint8_t *q, uint16_t sport, size_t hl, uint16_t frag)
{
	size_t n = put_ip4(q, cli4, srv4, PKT_IPPROTO_UDP, hl, frag, 8 + 12);

	return n + put_udp(q + n, sport, 53, 12);
}

/*
 * ICMP errors about an IPv4 UDP flow reach its state: plain, with IP
 * options, and about a first fragment (offset 0, MF).  An error about a
 * later fragment has no ports, finds no state, and the rules (block in on
 * wan) refuse it.
 */
static void
test_icmp4_error_finds_state(void **state)
{
	uint8_t q[128];
	struct dp_state *st;

	(void)state;
	assert_int_equal(filter1(udp4(LAN, cli4, srv4, 40004, 53)), 1);
	st = state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 40004, 53);
	assert_non_null(st);
	assert_int_equal(filter1(icmp_error(4, cli4, q, quote_udp4(q, 40004, 20, 0))), 1);
	assert_int_equal(filter1(icmp_error(4, cli4, q, quote_udp4(q, 40004, 32, 0))), 1);
	assert_int_equal(filter1(icmp_error(4, cli4, q, quote_udp4(q, 40004, 20, 0x2000))), 1);
	assert_int_equal(filter1(icmp_error(4, cli4, q, quote_udp4(q, 40004, 24, 0x2000))), 1);
	/* Errors travel towards the quoted packet's sender: the answer side. */
	assert_int_equal(dp_state_packets(st, 1), 4);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	assert_int_equal(filter1(icmp_error(4, cli4, q, quote_udp4(q, 40004, 20, 0x2000 | 185))),
			 0);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 1);
	assert_int_equal(dp_state_packets(st, 1), 4);
}

/*
 * The quote of an IPv6 UDP packet cli6:sport -> srv6:53 behind the
 * extension headers `ext` names (h: hop-by-hop, f: fragment with offset
 * foff and M, d: destination options), in that order.
 */
static size_t
quote_udp6(uint8_t *q, uint16_t sport, const char *ext, uint16_t foff)
{
	uint8_t *nh = q + 6;
	size_t n = put_ip6(q, cli6, srv6, 0, 0);

	for (; *ext != '\0'; ext++) {
		memset(q + n, 0, 8);
		if (*ext == 'h')
			*nh = PKT_IPPROTO_HOPOPTS;
		else if (*ext == 'd')
			*nh = PKT_IPPROTO_DSTOPTS;
		else
			*nh = PKT_IPPROTO_FRAGMENT;
		if (*ext == 'f') {
			proto_wr16(q + n + 2, (uint16_t)(foff | 1));
			proto_wr32(q + n + 4, 0xc0ffee);
		} else {
			q[n + 2] = 1;	/* PadN of 4 */
			q[n + 3] = 4;
		}
		nh = q + n;
		n += 8;
	}
	*nh = PKT_IPPROTO_UDP;
	n += put_udp(q + n, sport, 53, 12);
	proto_wr16(q + 4, (uint16_t)(n - 40));
	return n;
}

/*
 * ICMPv6 errors about an IPv6 UDP flow reach its state, also when the
 * quoted packet has extension headers: a packet too big about a fragment
 * dpf sent (its refragmentation keeps the fragment header [RFC 8200
 * 4.5]) quotes next header 44.  A later fragment (offset != 0) has no
 * ports: no state, and the rules refuse the error.
 */
static void
test_icmp6_error_finds_state(void **state)
{
	static const char *const chains[] = { "", "f", "hf", "hd", "hfd", "d" };
	uint8_t q[256];
	struct dp_state *st;
	unsigned int i;

	(void)state;
	assert_int_equal(filter1(udp6(LAN, cli6, srv6, 40005, 53)), 1);
	st = state_of(6, PKT_IPPROTO_UDP, cli6, srv6, 40005, 53);
	assert_non_null(st);
	for (i = 0; i < PROTO_ARRAY_SIZE(chains); i++) {
		if (filter1(icmp_error(6, cli6, q, quote_udp6(q, 40005, chains[i], 0))) != 1)
			fail_msg("error quoting a packet with extension headers \"%s\" refused",
				 chains[i]);
	}
	assert_int_equal(dp_state_packets(st, 1), PROTO_ARRAY_SIZE(chains));
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	assert_int_equal(filter1(icmp_error(6, cli6, q, quote_udp6(q, 40005, "f", 1280))), 0);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 1);
}

/* An error quoting a TCP segment outside the windows is a state mismatch. */
static void
test_icmp_error_bad_tcp_seq(void **state)
{
	struct pkt k[3] = {
		tcp4(LAN, cli4, srv4, 40006, 80, PF_TH_SYN, 1000, 0),
		tcp4(WAN, srv4, cli4, 80, 40006, PF_TH_SYN | PF_TH_ACK, 5000, 1001),
		tcp4(LAN, cli4, srv4, 40006, 80, PF_TH_ACK, 1001, 5001),
	};
	uint8_t q[64];
	size_t n;

	(void)state;
	assert_int_equal(filter(k, 3), 0x7);
	n = put_ip4(q, cli4, srv4, PKT_IPPROTO_TCP, 20, 0x4000, 20);
	n += put_tcp(q + n, 40006, 80, PF_TH_ACK, 1001, 5001);
	assert_int_equal(filter1(icmp_error(4, cli4, q, n)), 1);
	put_tcp(q + 20, 40006, 80, PF_TH_ACK, 1001 + 50000000, 5001);
	assert_int_equal(filter1(icmp_error(4, cli4, q, n)), 0);
	assert_int_equal(c.st->drop[DP_DROP_STATE_MISMATCH], 1);
}

/*
 * Fragments through reassembly, then the filter: the datagram is one
 * packet with its ports, so the rules and the state see them.
 */
static void
test_frag_then_filter(void **state)
{
	struct rte_mbuf *pkts[4];
	uint32_t nh[4];
	struct pkt f[2];
	unsigned int i, n;
	size_t l3 = 14;

	(void)state;
	/* UDP cli:40007 -> srv:53, 8 + 32 bytes, in two fragments of 24 and 16. */
	for (i = 0; i < 2; i++) {
		f[i].port = LAN;
		put_eth(f[i].b, LAN, PKT_ETHERTYPE_IPV4);
	}
	put_ip4(f[0].b + l3, cli4, srv4, PKT_IPPROTO_UDP, 20, 0x2000, 24);
	put_udp(f[0].b + l3 + 20, 40007, 53, 32);
	f[0].len = l3 + 20 + 24;
	put_ip4(f[1].b + l3, cli4, srv4, PKT_IPPROTO_UDP, 20, 3, 16);
	memset(f[1].b + l3 + 20, 'u', 16);
	f[1].len = l3 + 20 + 16;
	for (i = 0; i < 2; i++)
		pkts[i] = to_mbuf(&f[i]);
	assert_true(dp_meta(pkts[0])->frag && dp_meta(pkts[1])->frag);
	n = dp_frag_burst(&c, pkts, 2);
	assert_int_equal(n, 1);
	assert_int_equal(c.st->frag_in, 2);
	assert_int_equal(c.st->frag_reassembled, 1);
	assert_false(dp_meta(pkts[0])->frag);
	assert_int_equal(pkts[0]->pkt_len, l3 + 20 + 40);
	nh[0] = next_hop(pkts[0]);
	assert_int_equal(dp_filter_burst(&c, pkts, nh, 1), 1);
	rte_pktmbuf_free(pkts[0]);
	assert_int_equal(c.st->state_inserts, 1);
	assert_non_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 40007, 53));
}

/* --- hostile packets (the fast path's checks, dp_parse.h) --- */

/* The fast-path parse of k as dp_input() runs it. */
static int
parse(const struct pkt *k, struct dp_parse *pr)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	int rc;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)k->len));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), k->b, k->len);
	memset(pr, 0, sizeof(*pr));
	rc = dp_parse_pkt(dp, k->port, m, pr);
	rte_pktmbuf_free(m);
	return rc;
}

/* k is refused as malformed with parser reason err. */
static void
expect_bad(const char *what, const struct pkt *k, unsigned int err)
{
	struct dp_parse pr;
	int rc = parse(k, &pr);

	if (rc != DP_PARSE_BAD || pr.err != err || pr.drop != DP_DROP_MALFORMED)
		fail_msg("%s: rc %d err %s drop %s, want malformed %s", what, rc,
			 pkt_err_name(pr.err), dp_drop_name(pr.drop), pkt_err_name(err));
}

/* k is dropped (not malformed) as drop reason d. */
static void
expect_drop(const char *what, const struct pkt *k, unsigned int d)
{
	struct dp_parse pr;
	int rc = parse(k, &pr);

	if (rc != DP_PARSE_DROP || pr.drop != d)
		fail_msg("%s: rc %d drop %s, want %s", what, rc, dp_drop_name(pr.drop),
			 dp_drop_name(d));
}

/* RFC 1812 5.2.2: an IPv4 header checksum that does not add up. */
static void
test_ip4_bad_cksum(void **state)
{
	struct pkt k = udp4(LAN, cli4, srv4, 41000, 53);

	(void)state;
	k.b[14 + 10] ^= 0x01;
	expect_bad("bad header checksum", &k, PKT_ERR_IP4_BAD_CKSUM);
	k.b[14 + 10] ^= 0x01;
	assert_int_equal(filter1(k), 1);
}

/* An IPv4 UDP packet with hl bytes of header: NOPs, or LSRR via dst. */
static struct pkt
udp4_opts(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport, size_t hl,
	  bool lsrr)
{
	struct pkt k = { .port = LAN };
	size_t n = put_eth(k.b, LAN, PKT_ETHERTYPE_IPV4);
	uint8_t *ip = k.b + n;

	n += put_ip4(ip, src, dst, PKT_IPPROTO_UDP, hl, 0, 8 + 12);
	if (lsrr) {
		/* RFC 791 3.1: type 131, length 7, pointer 4, one address. */
		ip[20] = 131;
		ip[21] = 7;
		ip[22] = 4;
		memcpy(ip + 23, rtr4, 4);
		ip[27] = 1;
		ip4_sum(ip);
	}
	n += put_udp(k.b + n, sport, dport, 12);
	k.len = n;
	return k;
}

/*
 * IPv4 options are pf's "badopts": refused with reason ip-option unless
 * the deciding rule says allow-opts, in each direction, for a new flow and
 * for a packet of an existing state alike [pf.c pf_test()].
 */
static void
test_ip_options_allow_opts(void **state)
{
	struct dp_parse pr;
	struct pkt k;

	(void)state;
	k = udp4_opts(cli4, srv4, 41001, 53, 28, true);
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_int_equal(pr.ipopts, 1);
	assert_int_equal(filter1(k), 0);
	assert_int_equal(c.st->drop[DP_DROP_IP_OPTIONS], 1);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	assert_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 41001, 53));
	/* The same flow without options makes a state; options still refused. */
	assert_int_equal(filter1(udp4(LAN, cli4, srv4, 41001, 53)), 1);
	assert_non_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 41001, 53));
	assert_int_equal(filter1(udp4_opts(cli4, srv4, 41001, 53, 24, false)), 0);
	assert_int_equal(c.st->drop[DP_DROP_IP_OPTIONS], 2);
	/* allow-opts in and out: passes, makes a state, its packets pass. */
	assert_int_equal(filter1(udp4_opts(cli4, srv4, 41002, 5353, 28, true)), 1);
	assert_non_null(state_of(4, PKT_IPPROTO_UDP, cli4, srv4, 41002, 5353));
	assert_int_equal(filter1(udp4_opts(cli4, srv4, 41002, 5353, 24, false)), 1);
	assert_int_equal(c.st->drop[DP_DROP_IP_OPTIONS], 2);
	assert_int_equal(ctr(R_OPTS_IN)->states, 1);
	/* Malformed options stay the parser's. */
	k = udp4_opts(cli4, srv4, 41003, 5353, 24, false);
	k.b[14 + 20] = 7;	/* record route, length 1 */
	k.b[14 + 21] = 1;
	ip4_sum(k.b + 14);
	expect_bad("bad option", &k, PKT_ERR_IP4_OPT_BAD);
}

/* An IPv6 UDP packet behind the extension headers `ext` names, in order:
 * h hop-by-hop, d destination options, a atomic fragment, 0 routing type 0,
 * 4 routing type 4 (segment routing) with no segments left. */
static struct pkt
udp6_ext(uint16_t sport, uint16_t dport, const char *ext)
{
	struct pkt k = { .port = LAN };
	size_t n = put_eth(k.b, LAN, PKT_ETHERTYPE_IPV6), l3 = n;
	uint8_t *nh = k.b + l3 + 6;

	n += put_ip6(k.b + n, cli6, srv6, 0, 0);
	for (; *ext != '\0'; ext++) {
		size_t len = *ext == '0' || *ext == '4' ? 24 : 8;
		uint8_t *x = k.b + n;

		memset(x, 0, len);
		switch (*ext) {
		case 'h':
		case 'd':
			*nh = *ext == 'h' ? PKT_IPPROTO_HOPOPTS : PKT_IPPROTO_DSTOPTS;
			x[2] = 1;	/* PadN of 4 */
			x[3] = 4;
			break;
		case 'a':
			*nh = PKT_IPPROTO_FRAGMENT;
			proto_wr32(x + 4, 0x600d);	/* offset 0, M 0: RFC 6946 */
			break;
		default:
			*nh = PKT_IPPROTO_ROUTING;
			x[1] = 2;
			x[2] = (uint8_t)(*ext - '0');
			x[3] = *ext == '0' ? 1 : 0;
			memcpy(x + 8, srv6, 16);
			break;
		}
		nh = x;
		n += len;
	}
	*nh = PKT_IPPROTO_UDP;
	n += put_udp(k.b + n, sport, dport, 12);
	proto_wr16(k.b + l3 + 4, (uint16_t)(n - l3 - 40));
	k.len = n;
	return k;
}

/*
 * IPv6 extension chains: exactly 8 headers pass (a 9th is too many), a
 * hop-by-hop header must be first (RFC 8200 4.1), routing type 0 is
 * refused (RFC 5095 3), each counted under the parser's reason; another
 * routing header is pf's badopts, refused without allow-opts.
 */
static void
test_ip6_ext_chain(void **state)
{
	struct dp_parse pr;
	struct pkt k;

	(void)state;
	assert_int_equal(filter1(udp6_ext(41010, 53, "hddddddd")), 1);
	assert_non_null(state_of(6, PKT_IPPROTO_UDP, cli6, srv6, 41010, 53));
	k = udp6_ext(41011, 53, "hdddddddd");
	expect_bad("9 extension headers", &k, PKT_ERR_IP6_EXT_TOO_MANY);
	k = udp6_ext(41012, 53, "dh");
	expect_bad("hop-by-hop second", &k, PKT_ERR_IP6_HBH_NOT_FIRST);
	k = udp6_ext(41013, 53, "0");
	expect_bad("routing type 0", &k, PKT_ERR_IP6_RH0);
	k = udp6_ext(41014, 53, "h0d");
	expect_bad("routing type 0 in a chain", &k, PKT_ERR_IP6_RH0);
	k = udp6_ext(41015, 53, "44");
	expect_bad("two routing headers", &k, PKT_ERR_IP6_RH_MULTI);
	/* A routing header that is not type 0 needs allow-opts, as in pf. */
	k = udp6_ext(41016, 53, "4");
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_int_equal(pr.ipopts, 1);
	assert_int_equal(filter1(k), 0);
	assert_int_equal(c.st->drop[DP_DROP_IP_OPTIONS], 1);
	assert_null(state_of(6, PKT_IPPROTO_UDP, cli6, srv6, 41016, 53));
	assert_int_equal(filter1(udp6_ext(41017, 5353, "h4d")), 1);
	assert_non_null(state_of(6, PKT_IPPROTO_UDP, cli6, srv6, 41017, 5353));
	/* Hop-by-hop and destination options need none. */
	k = udp6_ext(41018, 53, "hd");
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_int_equal(pr.ipopts, 0);
	assert_int_equal(filter1(k), 1);
	assert_int_equal(c.st->drop[DP_DROP_IP_OPTIONS], 1);
}

/*
 * An atomic fragment (offset 0, M 0) is a whole datagram (RFC 6946 4):
 * no reassembly, matched and kept state with its ports.
 */
static void
test_ip6_atomic_fragment(void **state)
{
	struct dp_parse pr;
	struct pkt k = udp6_ext(41020, 53, "a");

	(void)state;
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_int_equal(pr.frag, 0);
	assert_int_equal(pr.proto, PKT_IPPROTO_UDP);
	assert_int_equal(pr.l4_off, 48);
	assert_int_equal(filter1(k), 1);
	assert_non_null(state_of(6, PKT_IPPROTO_UDP, cli6, srv6, 41020, 53));
	/* The answer, without a fragment header, is the same flow. */
	assert_int_equal(filter1(udp6(WAN, srv6, cli6, 53, 41020)), 1);
	assert_int_equal(c.st->drop[DP_DROP_RULE_BLOCK], 0);
	assert_int_equal(c.st->frag_in, 0);
}

/* Sources a router must not forward from (RFC 1812 5.3.7, RFC 6890). */
static void
test_martian_sources(void **state)
{
	static const uint8_t src4[][4] = {
		{ 127, 0, 0, 1 }, { 0, 1, 2, 3 }, { 224, 0, 0, 5 }, { 239, 1, 1, 1 },
		{ 255, 255, 255, 255 }, { 240, 0, 0, 1 },
	};
	static const uint8_t src6[][16] = {
		{ [15] = 1 },				/* ::1 */
		{ 0 },					/* :: */
		{ 0xff, 0x02, [15] = 1 },		/* ff02::1 */
		{ [10] = 0xff, [11] = 0xff, 198, 18, 1, 10 },	/* ::ffff:198.18.1.10 */
	};
	unsigned int i;
	struct pkt k;

	(void)state;
	for (i = 0; i < PROTO_ARRAY_SIZE(src4); i++) {
		k = udp4(LAN, src4[i], srv4, 41030, 53);
		expect_drop("IPv4 martian source", &k, DP_DROP_MARTIAN_SRC);
	}
	for (i = 0; i < PROTO_ARRAY_SIZE(src6); i++) {
		k = udp6(LAN, src6[i], srv6, 41030, 53);
		expect_drop("IPv6 martian source", &k, DP_DROP_MARTIAN_SRC);
	}
	assert_int_equal(filter1(udp4(LAN, cli4, srv4, 41030, 53)), 1);
}

/*
 * Destinations a router must not forward to (RFC 1812 5.3.7, RFC 4291 2.5.2,
 * 2.5.3, RFC 6890): IPv4 127/8, 0/8, 240/4 but the limited broadcast;
 * IPv6 ::1, ::, ::ffff:0:0/96.  Before, they were forwarded on the default
 * route (240/4 went to the control core as if multicast).
 */
static void
test_martian_destinations(void **state)
{
	static const uint8_t dst4[][4] = {
		{ 127, 0, 0, 1 }, { 127, 255, 255, 254 }, { 0, 0, 0, 0 }, { 0, 1, 2, 3 },
		{ 240, 0, 0, 1 }, { 255, 255, 255, 254 }, { 254, 1, 2, 3 },
	};
	static const uint8_t dst6[][16] = {
		{ [15] = 1 },				/* ::1 */
		{ 0 },					/* :: */
		{ [10] = 0xff, [11] = 0xff, 198, 18, 2, 10 },	/* ::ffff:198.18.2.10 */
	};
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };
	static const uint8_t ok6[16] = { [10] = 0xff, [11] = 0xfe, 198, 18, 2, 10 };
	unsigned int i;
	struct pkt k;
	struct dp_parse pr;

	(void)state;
	for (i = 0; i < PROTO_ARRAY_SIZE(dst4); i++) {
		k = udp4(LAN, cli4, dst4[i], 41040, 53);
		expect_drop("IPv4 martian destination", &k, DP_DROP_MARTIAN_DST);
	}
	for (i = 0; i < PROTO_ARRAY_SIZE(dst6); i++) {
		k = udp6(LAN, cli6, dst6[i], 41040, 53);
		expect_drop("IPv6 martian destination", &k, DP_DROP_MARTIAN_DST);
	}
	/* The limited broadcast is the control core's, not a martian. */
	k = udp4(LAN, cli4, bcast, 41040, 67);
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_true(pr.local);
	/* Next to the v4-mapped prefix is an ordinary address. */
	k = udp6(LAN, cli6, ok6, 41040, 53);
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_false(pr.local);
	assert_int_equal(filter1(udp4(LAN, cli4, srv4, 41040, 53)), 1);
}

/* RFC 1812 5.3.4: unicast IP in a link-layer broadcast or multicast frame. */
static void
test_l2_broadcast_unicast_ip(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	struct dp_parse pr;
	struct pkt k;

	(void)state;
	k = udp4(LAN, cli4, srv4, 41040, 53);
	memcpy(k.b, bcast, 6);
	expect_drop("IPv4 in a broadcast frame", &k, DP_DROP_L2_BCAST);
	memcpy(k.b, mcast4, 6);
	expect_drop("IPv4 in a multicast frame", &k, DP_DROP_L2_BCAST);
	k = udp6(LAN, cli6, srv6, 41040, 53);
	memcpy(k.b, mcast6, 6);
	expect_drop("IPv6 in a multicast frame", &k, DP_DROP_L2_BCAST);
	/* Broadcast IP in a broadcast frame is the control core's. */
	k = udp4(LAN, cli4, (const uint8_t[4]){ 255, 255, 255, 255 }, 68, 67);
	memcpy(k.b, bcast, 6);
	assert_int_equal(parse(&k, &pr), DP_PARSE_OK);
	assert_true(pr.local);
}

/* pf_normalize_tcp()'s drops, IPv4 and IPv6; normal flags pass. */
static void
test_tcp_bad_flags(void **state)
{
	static const uint8_t bad[] = {
		PF_TH_SYN | PF_TH_RST, PF_TH_SYN | PF_TH_FIN, 0, PF_TH_FIN,
		PF_TH_FIN | PF_TH_PUSH | PF_TH_URG, PF_TH_SYN | PF_TH_RST | PF_TH_ACK,
	};
	unsigned int i;
	struct pkt k;

	(void)state;
	for (i = 0; i < PROTO_ARRAY_SIZE(bad); i++) {
		k = tcp4(LAN, cli4, srv4, 41050, 80, bad[i], 1, 0);
		expect_bad("IPv4 TCP flags", &k, PKT_ERR_TCP_BAD_FLAGS);
		k = udp6(LAN, cli6, srv6, 41050, 80);
		k.b[14 + 6] = PKT_IPPROTO_TCP;
		proto_wr16(k.b + 14 + 4, 20);
		put_tcp(k.b + 14 + 40, 41050, 80, bad[i], 1, 0);
		k.len = 14 + 40 + 20;
		expect_bad("IPv6 TCP flags", &k, PKT_ERR_TCP_BAD_FLAGS);
	}
	assert_int_equal(filter1(tcp4(LAN, cli4, srv4, 41050, 80, PF_TH_SYN, 1, 0)), 1);
	assert_int_equal(filter1(tcp4(WAN, srv4, cli4, 80, 41050, PF_TH_SYN | PF_TH_ACK, 9, 2)),
			 1);
	assert_int_equal(filter1(tcp4(LAN, cli4, srv4, 41050, 80, PF_TH_RST, 2, 0)), 1);
}

/*
 * ICMP errors whose quote is cut before 8 bytes of L4, or is of the other
 * family, and ICMP inside IPv6: refused before any state or rule.
 */
static void
test_icmp_bad_quotes(void **state)
{
	uint8_t q[128];
	size_t n;
	struct pkt k;

	(void)state;
	n = quote_udp4(q, 41060, 20, 0);
	k = icmp_error(4, cli4, q, n - 12 - 4);	/* IP header + 4 bytes of UDP */
	expect_bad("quote cut in L4", &k, PKT_ERR_QUOTE_SHORT);
	k = icmp_error(4, cli4, q, 12);
	expect_bad("quote cut in IP", &k, PKT_ERR_QUOTE_SHORT);
	n = quote_udp6(q, 41060, "", 0);
	k = icmp_error(4, cli4, q, n);
	expect_bad("IPv6 quoted in ICMPv4", &k, PKT_ERR_QUOTE_BAD_AF);
	n = quote_udp4(q, 41060, 20, 0);
	k = icmp_error(6, cli6, q, n);
	expect_bad("IPv4 quoted in ICMPv6", &k, PKT_ERR_QUOTE_BAD_AF);
	k = icmp_error(6, cli6, q, n);
	k.b[14 + 6] = PKT_IPPROTO_ICMP;
	expect_bad("ICMP in IPv6", &k, PKT_ERR_ICMP_WRONG_AF);
	assert_int_equal(c.st->rule_evals, 0);
}

/*
 * A malformed packet counts once in pf's reasons: under its parser
 * reason's, not again as "malformed" (it was counted under "short" twice).
 */
static void
test_malformed_counted_once(void **state)
{
	struct pkt k = tcp4(LAN, cli4, srv4, 41070, 80, PF_TH_SYN, 1000, 0);
	uint64_t pf[PFRES_MAX] = { 0 };
	struct rte_mbuf *m;
	struct dp_parse pr;
	unsigned int i;
	uint64_t sum = 0;

	(void)state;
	proto_wr16(k.b + 14 + 2, 400);	/* longer than the frame */
	ip4_sum(k.b + 14);
	m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)k.len));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), k.b, k.len);
	assert_int_equal(dp_rx_parse(dp, c.st, LAN, m, &pr), DP_PARSE_BAD);
	c.st->drop[pr.drop]++;	/* as dp_drop() */
	rte_pktmbuf_free(m);
	assert_int_equal(pr.err, PKT_ERR_IP4_TRUNCATED);
	dp_stats_pfres(c.st, pf);
	for (i = 0; i < PFRES_MAX; i++)
		sum += pf[i];
	assert_int_equal(pf[PFRES_SHORT], 1);
	assert_int_equal(sum, 1);
}

/* --- the dataplane --- */

static const uint32_t timeouts[PFTM_MAX] = {
#define TMO_DEFAULT(sym, str, def) [PFTM_##sym] = def,
	PFTM_LIST(TMO_DEFAULT)
#undef TMO_DEFAULT
};

static struct rule_prefix lan_pfx[2], wan_pfx[2];

static void
prefix(struct rule_prefix *rp, const struct dp_addr *a)
{
	rp->af = a->af;
	rp->plen = a->plen;
	memcpy(rp->addr, a->addr, 16);
}

static int
add_iface(const char *name, uint16_t port, const char *a4, const char *a6,
	  struct rule_prefix *pfx)
{
	struct dp_iface ifc;
	char err[256];

	if (iface_fixture(&ifc, name, port, 0, a4, a6) != 0)
		return -1;
	prefix(&pfx[0], &ifc.addrs[0]);
	prefix(&pfx[1], &ifc.addrs[1]);
	if (dp_iface_add(dp, &ifc, err, sizeof(err)) != 0) {
		printf("# dp_iface_add: %s\n", err);
		return -1;
	}
	return 0;
}

static void
ruleset_free(struct dpf_ruleset *rs)
{
	rules_acl_free(rs->acl);
	rules_ruleset_free(rs);
}

/* The ruleset of rule_texts, compiled, wrapped for the workers. */
static struct dp_rules *
ruleset(void)
{
	const struct rules_env_iface ifaces[] = {
		{ "lan", LAN, 2, lan_pfx },
		{ "wan", WAN, 2, wan_pfx },
	};
	const struct rules_env env = { 2, ifaces, 0, NULL };
	unsigned int n = PROTO_ARRAY_SIZE(rule_texts), i, bad;
	struct dpf_ruleset *rs = calloc(1, sizeof(*rs));
	struct rules_error err;
	struct dp_rules *r;
	char msg[256];

	if (rs == NULL || (rs->rules = calloc(n, sizeof(*rs->rules))) == NULL)
		return NULL;
	for (i = 0; i < n; i++, rs->n++) {
		if (rules_parse_string(rule_texts[i], &env, &rs->rules[i], &err) != 0) {
			printf("# \"%s\": %s\n", rule_texts[i], err.msg);
			return NULL;
		}
	}
	if (rules_number(rs->rules, n, &bad, &err) != 0 ||
	    (rs->acl = rules_acl_build(rs, msg, sizeof(msg))) == NULL)
		return NULL;
	r = dp_rules_new(dp, rs, ruleset_free, timeouts, 1000);
	return r;
}

/*
 * One worker with its state table, reassembly table and punt ring, two
 * interfaces, the FIB of their connected prefixes and the ruleset; the
 * worker context the loop would keep (worker.c dp_worker_main).
 */
static int
dataplane_up(void)
{
	struct dp_worker *w;
	char err[256];

	pool = rte_pktmbuf_pool_create("test_worker", 1023, 0, DP_MBUF_PRIV,
				       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp = calloc(1, sizeof(*dp));
	if (pool == NULL || dp == NULL)
		return -1;
	dp->n_workers = 1;
	dp->burst = DP_BURST_MAX;
	dp->pool = pool;
	dp->host_id = 0x0a0b0c0d;
	dp->n_ports = 2;
	memcpy(dp->ports[LAN].mac.addr_bytes, mac_lan, 6);
	memcpy(dp->ports[WAN].mac.addr_bytes, mac_wan, 6);
	dp->ports[LAN].mtu = dp->ports[WAN].mtu = 1500;
	if (add_iface("lan", LAN, "198.18.1.2", "2001:db8:1::2", lan_pfx) != 0 ||
	    add_iface("wan", WAN, "198.18.2.2", "2001:db8:2::2", wan_pfx) != 0)
		return -1;
	w = &dp->workers[0];
	w->dp = dp;
	w->id = 0;
	w->stats = &dp->stats[0];
	w->punt = rte_ring_create("test_punt", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->punt == NULL)
		return -1;
	if (dp_filter_init(dp, 1000, timeouts, err, sizeof(err)) != 0 ||
	    dp_frag_init(dp, 64, 30, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.dp = dp;
	c.w = w;
	c.st = w->stats;
	c.states = w->states;
	c.now = 10;
	c.tsc = rte_rdtsc();
	c.hk_ms = 1;
	c.fib = dp_fib_build(dp, dp->ifaces, dp->n_ifaces, NULL, 0, NULL, err, sizeof(err));
	c.rules = ruleset();
	if (c.fib == NULL || c.rules == NULL) {
		printf("# %s\n", c.fib == NULL ? err : "ruleset");
		return -1;
	}
	/* The ruleset's timeouts and limit reach the table here, as in the loop. */
	dp_filter_housekeeping(&c);
	return 0;
}

static void
dataplane_down(void)
{
	dp_fib_free((struct dp_fib *)c.fib);
	dp_rules_free((struct dp_rules *)c.rules);
	dp_frag_fini(dp);
	dp_filter_fini(dp);
	rte_ring_free(dp->workers[0].punt);
	free(dp);
	rte_mempool_free(pool);
}

/*
 * The parser's 20-byte IPv4 header checksum check (dp_ip4_cksum_ok) agrees
 * with DPDK's rte_raw_cksum on random headers, valid and not, including
 * sums that carry across every word.
 */
static void
test_ip4_cksum_fast(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i, j, valid = 0;

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint8_t h[20];
		uint16_t ck;

		for (j = 0; j < 20; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			h[j] = (uint8_t)x;
		}
		if (i % 3 == 0)
			memset(h, 0xff, (x >> 8) % 20);	/* long carry chains */
		if (i % 2 == 0) {
			/* make it valid: the checksum field is the complement */
			h[10] = h[11] = 0;
			ck = (uint16_t)~rte_raw_cksum(h, 20);
			memcpy(h + 10, &ck, 2);
		}
		valid += dp_ip4_cksum_ok(h, 20);
		assert_int_equal(dp_ip4_cksum_ok(h, 20), rte_raw_cksum(h, 20) == 0xffff);
	}
	assert_true(valid >= 100000);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = {
		argc > 0 ? argv[0] : (char *)"test_worker",
		(char *)"--no-huge", (char *)"-m", (char *)"512", (char *)"--no-shconf",
		(char *)"--no-pci", (char *)"--no-telemetry", (char *)"-l", (char *)"0",
		(char *)"--log-level=4", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rules_pass_block, reset_counters),
		cmocka_unit_test_setup(test_state_create_then_hit, reset_counters),
		cmocka_unit_test_setup(test_tcp_out_of_window, reset_counters),
		cmocka_unit_test_setup(test_synced_mismatch_asks, reset_counters),
		cmocka_unit_test_setup(test_unseen_side_asks, reset_counters),
		cmocka_unit_test_setup(test_malformed_counted, reset_counters),
		cmocka_unit_test_setup(test_icmp4_error_finds_state, reset_counters),
		cmocka_unit_test_setup(test_icmp6_error_finds_state, reset_counters),
		cmocka_unit_test_setup(test_icmp_error_bad_tcp_seq, reset_counters),
		cmocka_unit_test_setup(test_frag_then_filter, reset_counters),
		cmocka_unit_test_setup(test_ip4_bad_cksum, reset_counters),
		cmocka_unit_test(test_ip4_cksum_fast),
		cmocka_unit_test_setup(test_ip_options_allow_opts, reset_counters),
		cmocka_unit_test_setup(test_ip6_ext_chain, reset_counters),
		cmocka_unit_test_setup(test_ip6_atomic_fragment, reset_counters),
		cmocka_unit_test_setup(test_martian_sources, reset_counters),
		cmocka_unit_test_setup(test_martian_destinations, reset_counters),
		cmocka_unit_test_setup(test_l2_broadcast_unicast_ip, reset_counters),
		cmocka_unit_test_setup(test_tcp_bad_flags, reset_counters),
		cmocka_unit_test_setup(test_icmp_bad_quotes, reset_counters),
		cmocka_unit_test_setup(test_malformed_counted_once, reset_counters),
	};
	int rc;

	if (rte_eal_init((int)(RTE_DIM(eal_argv) - 1), eal_argv) < 0) {
		printf("Bail out! rte_eal_init failed\n");
		return 1;
	}
	if (dataplane_up() != 0) {
		printf("Bail out! cannot build the dataplane\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("worker", tests, NULL, NULL);
	dataplane_down();
	rte_eal_cleanup();
	return rc;
}
