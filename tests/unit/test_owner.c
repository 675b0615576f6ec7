/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/dp_hash.h: the worker that owns a packet (the
 * fast-path parse's symmetric hash, dp_parse_pkt()) is the worker that owns
 * the state key of its flow (dp_owner_key()), for 1..16 workers.  A state
 * that arrives without a packet (pfsync) is applied there, so any
 * disagreement strands it on a worker its packets never reach.
 *
 * Packets: the parser's scapy vectors (pkt_vec.h), with keys derived from
 * the full parser (proto/pkt.c), and flows generated here for both
 * families and every kind of key (ports, ICMP query ids, portless), each
 * sent both ways and quoted in ICMP errors the ways routers quote them:
 * IPv4 with options or as a first fragment, IPv6 behind extension headers
 * or a fragment header (RFC 8200 4.5: what dpf's refragmentation emits).
 * The key of a generated flow is built from what the test put in, not
 * from any parser.
 *
 * The owner hash is also what a NIC's RSS computes (Toeplitz with dpf's
 * symmetric key over addresses and, for TCP and UDP, ports): each generated
 * packet's hash is held to DPDK's own rte_softrss() over that tuple, and
 * the worker it picks to the RETA dp.c programs, for RETAs of 64 to 2048
 * entries, so that a NIC delivers each packet to its owner.
 *
 * The hash needs no EAL, the mbufs do: main() initialises EAL without
 * hugepages or devices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "dataplane/dp.h"
#include "dataplane/dp_hash.h"
#include "dataplane/dp_parse.h"
#include "dataplane/state.h"
#include "proto/pkt.h"
#include "proto/proto.h"

#include "pkt_vec.h"

#define MAX_WORKERS 16

static struct dp_main *dp;
static struct rte_mempool *pool;

static const uint8_t port_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };	/* MAC_B */

/* xorshift64*: deterministic, so that a failure reproduces. */
static uint64_t rng_state = 0x6f776e6572ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/*
 * The fast-path parse of frame[0..len) as the worker runs it on port 0.
 * Returns false when the worker would not hash it (refused, or local).
 */
static bool
packet_hash(const uint8_t *frame, size_t len, uint32_t *hash)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct dp_parse pr;
	int rc;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)len));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	rc = dp_parse_pkt(dp, 0, m, &pr);
	rte_pktmbuf_free(m);
	if (rc != DP_PARSE_OK || pr.local)
		return false;
	*hash = pr.hash;
	return true;
}

/* The owner of a packet and of its flow's key agree for every worker count. */
static void
expect_owner(const char *what, uint32_t hash, uint8_t af, const union dp_state_key *key)
{
	unsigned int n;

	for (n = 1; n <= MAX_WORKERS; n++) {
		unsigned int want, got;

		dp->n_workers = n;
		want = dp_owner_key(dp, af, key);
		got = dp_owner(dp, hash);
		if (want != got)
			fail_msg("%s: %u workers: the packet goes to worker %u, its key to %u",
				 what, n, got, want);
	}
}

/* --- the parser's vectors --- */

/*
 * The state key of a packet the full parser read into *m: what the filter
 * stage keys a state by (filter.c dp_flow_get): ports for TCP and UDP, the
 * id as both ports for ICMP queries, none otherwise.
 */
static void
meta_key(const struct pkt_meta *m, uint8_t af, union dp_state_key *key)
{
	uint16_t sp = 0, dpt = 0;
	bool sw;

	if (m->proto == PKT_IPPROTO_TCP || m->proto == PKT_IPPROTO_UDP) {
		sp = m->sport;
		dpt = m->dport;
	} else if ((m->flags & PKT_F_L4) &&
		   ((af == 4 && m->proto == PKT_IPPROTO_ICMP &&
		     (m->icmp.type == PKT_ICMP_ECHO || m->icmp.type == PKT_ICMP_ECHOREPLY ||
		      (m->icmp.type >= PKT_ICMP_TSTAMP && m->icmp.type <= PKT_ICMP_MASKREPLY))) ||
		    (af == 6 && m->proto == PKT_IPPROTO_ICMPV6 &&
		     (m->icmp.type == PKT_ICMP6_ECHO_REQUEST ||
		      m->icmp.type == PKT_ICMP6_ECHO_REPLY)))) {
		sp = dpt = m->icmp.id;
	}
	dp_state_key_make(af, m->proto, m->src, m->dst, rte_cpu_to_be_16(sp),
			  rte_cpu_to_be_16(dpt), 0, key, &sw);
}

static void
test_vectors(void **state)
{
	unsigned int i, n_checked = 0, n_errors = 0;

	(void)state;
	for (i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		struct pkt_meta m, q;
		union dp_state_key key;
		uint32_t hash;
		uint8_t af;

		if (v->err != PKT_ERR_OK || pkt_parse(v->pkt, v->len, &m) != PKT_ERR_OK)
			continue;
		/* Fragments (to the fast path, any IPv6 fragment header, atomic
		 * ones too) are hashed again as a datagram by frag.c. */
		if ((m.l3_proto != PKT_L3_IPV4 && m.l3_proto != PKT_L3_IPV6) ||
		    (m.flags & (PKT_F_FRAG | PKT_F_IP6_FRAG_HDR)) ||
		    !packet_hash(v->pkt, v->len, &hash))
			continue;
		af = m.l3_proto == PKT_L3_IPV4 ? 4 : 6;
		if (m.flags & PKT_F_ICMP_ERR) {
			/* The key of the quoted packet, when the quote holds its L4. */
			if (pkt_parse_quoted(v->pkt + m.icmp.inner_off, m.icmp.inner_len,
					     af == 4 ? AF_INET : AF_INET6, &q) != PKT_ERR_OK ||
			    !(q.flags & PKT_F_L4))
				continue;
			meta_key(&q, af, &key);
			n_errors++;
		} else {
			meta_key(&m, af, &key);
		}
		expect_owner(v->what, hash, af, &key);
		n_checked++;
	}
	print_message("# %u vectors checked, %u of them ICMP errors\n", n_checked, n_errors);
	assert_true(n_checked >= 30);
	assert_true(n_errors >= 10);
}

/* --- generated flows --- */

struct flow {
	uint8_t af;
	uint8_t proto;
	uint8_t a[16], b[16];	/* a sends the forward direction */
	uint16_t pa, pb;	/* ports, or for ICMP the query id in pa */
};

/* How a quoted packet is dressed (what routers quote, what dpf sends). */
#define Q_OPTS 0x01		/* IPv4: options (NOPs) after the header */
#define Q_FIRST_FRAG 0x02	/* IPv4: MF set, offset 0; IPv6: fragment header, M, offset 0 */
#define Q_HBH 0x04		/* IPv6: hop-by-hop options header first */
#define Q_RH 0x08		/* IPv6: routing header (type 4, no segments left) */
#define Q_DST 0x10		/* IPv6: destination options before the upper layer */
#define Q_ALL 0x1f

static const uint8_t gen_protos[] = { 6, 17, 132, 47, 1 };

static void
rand_addr(uint8_t af, uint8_t *a)
{
	uint64_t r = rng(), s = rng();

	memset(a, 0, 16);
	if (af == 4) {
		/* 198.18.0.0/15 */
		a[0] = 198;
		a[1] = (uint8_t)(18 + (r & 1));
		a[2] = (uint8_t)(r >> 8);
		a[3] = (uint8_t)(1 + (r >> 16) % 254);
	} else {
		/* 2001:db8::/32 */
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		memcpy(a + 4, &r, 8);
		memcpy(a + 12, &s, 4);
	}
}

static void
rand_flow(uint8_t af, uint8_t proto, struct flow *f)
{
	f->af = af;
	f->proto = proto == 1 && af == 6 ? PKT_IPPROTO_ICMPV6 : proto;
	rand_addr(af, f->a);
	rand_addr(af, f->b);
	/* Now and then equal addresses (the key orders by port then) or ports. */
	if (rng() % 16 == 0)
		memcpy(f->b, f->a, 16);
	f->pa = (uint16_t)rng();
	f->pb = rng() % 8 == 0 ? f->pa : (uint16_t)rng();
	if (f->pb == 0)
		f->pb = 1;
}

/* The key of the flow's state, from what the test put into the flow. */
static void
flow_key(const struct flow *f, union dp_state_key *key)
{
	uint16_t sp = 0, dpt = 0;
	bool sw;

	if (f->proto == 6 || f->proto == 17 || f->proto == 132) {
		sp = f->pa;
		dpt = f->pb;
	} else if (f->proto == PKT_IPPROTO_ICMP || f->proto == PKT_IPPROTO_ICMPV6) {
		sp = dpt = f->pa;
	}
	dp_state_key_make(f->af, f->proto, f->a, f->b, rte_cpu_to_be_16(sp), rte_cpu_to_be_16(dpt),
			  0, key, &sw);
}

/* The IPv4 header checksum at p (the fast path verifies it: RFC 1812 5.2.2). */
static void
ip4_sum(uint8_t *p)
{
	uint16_t ck;

	p[10] = p[11] = 0;
	ck = (uint16_t)~rte_raw_cksum(p, (size_t)(p[0] & 0xf) * 4);
	memcpy(p + 10, &ck, 2);
}

/* 16 bytes of L4: ports (or an ICMP echo or echo reply with the id), payload. */
static size_t
put_l4(uint8_t *p, const struct flow *f, bool rev)
{
	memset(p, 0x5a, 16);
	if (f->proto == PKT_IPPROTO_ICMP || f->proto == PKT_IPPROTO_ICMPV6) {
		if (f->af == 4)
			p[0] = rev ? PKT_ICMP_ECHOREPLY : PKT_ICMP_ECHO;
		else
			p[0] = rev ? PKT_ICMP6_ECHO_REPLY : PKT_ICMP6_ECHO_REQUEST;
		p[1] = 0;
		proto_wr16(p + 4, f->pa);
	} else {
		proto_wr16(p, rev ? f->pb : f->pa);
		proto_wr16(p + 2, rev ? f->pa : f->pb);
		if (f->proto == 6)
			p[12] = 0x50;	/* data offset 5 */
	}
	return 16;
}

/*
 * The IP datagram of the flow's packet (rev: b to a) at p, dressed as
 * `dress` says.  Returns its length.
 */
static size_t
put_ip(uint8_t *p, const struct flow *f, bool rev, unsigned int dress)
{
	const uint8_t *src = rev ? f->b : f->a, *dst = rev ? f->a : f->b;
	size_t n;

	if (f->af == 4) {
		size_t hl = 20 + ((dress & Q_OPTS) ? 4 * (1 + rng() % 10) : 0);

		memset(p, 0, hl);
		p[0] = (uint8_t)(0x40 | hl / 4);
		memset(p + 20, 1, hl - 20);	/* NOP options */
		proto_wr16(p + 6, (dress & Q_FIRST_FRAG) ? 0x2000 : 0x4000);
		p[8] = 64;
		p[9] = f->proto;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		n = hl + put_l4(p + hl, f, rev);
		proto_wr16(p + 2, (uint16_t)n);
		ip4_sum(p);
		return n;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	{
		uint8_t *nh = p + 6;

		n = 40;
		if (dress & Q_HBH) {
			*nh = PKT_IPPROTO_HOPOPTS;
			memset(p + n, 0, 8);
			p[n + 2] = 1;	/* PadN of 4 */
			p[n + 3] = 4;
			nh = p + n;
			n += 8;
		}
		if (dress & Q_RH) {
			*nh = PKT_IPPROTO_ROUTING;
			memset(p + n, 0, 24);
			p[n + 1] = 2;	/* 24 bytes */
			p[n + 2] = 4;	/* segment routing */
			memcpy(p + n + 8, dst, 16);
			nh = p + n;
			n += 24;
		}
		if (dress & Q_FIRST_FRAG) {
			*nh = PKT_IPPROTO_FRAGMENT;
			memset(p + n, 0, 8);
			proto_wr16(p + n + 2, 0x0001);	/* offset 0, M */
			proto_wr16(p + n + 4, (uint16_t)rng());
			nh = p + n;
			n += 8;
		}
		if (dress & Q_DST) {
			*nh = PKT_IPPROTO_DSTOPTS;
			memset(p + n, 0, 16);
			p[n + 1] = 1;	/* 16 bytes */
			p[n + 2] = 1;	/* PadN of 12 */
			p[n + 3] = 12;
			nh = p + n;
			n += 16;
		}
		*nh = f->proto;
	}
	n += put_l4(p + n, f, rev);
	proto_wr16(p + 4, (uint16_t)(n - 40));
	return n;
}

static size_t
put_eth(uint8_t *p, uint8_t af)
{
	memcpy(p, port_mac, 6);
	memcpy(p + 6, "\x02\x00\x00\x00\x00\x0a", 6);
	proto_wr16(p + 12, af == 4 ? PKT_ETHERTYPE_IPV4 : PKT_ETHERTYPE_IPV6);
	return 14;
}

/* A frame of the flow's packet (rev: the answer). */
static size_t
flow_frame(uint8_t *frame, const struct flow *f, bool rev)
{
	size_t n = put_eth(frame, f->af);

	return n + put_ip(frame + n, f, rev, 0);
}

/*
 * An ICMP error from a router about the flow's packet (rev: the answer),
 * sent back to that packet's source: unreachable/needfrag for IPv4,
 * packet too big for IPv6.  wrong_af: the IPv6 packet carries ICMP (1)
 * instead of ICMPv6, which is no error at all.
 */
static size_t
error_frame(uint8_t *frame, const struct flow *f, bool rev, unsigned int dress, bool wrong_af)
{
	uint8_t router[16];
	size_t n = put_eth(frame, f->af), l3 = n, q;

	rand_addr(f->af, router);
	if (f->af == 4) {
		memset(frame + l3, 0, 28);
		frame[l3] = 0x45;
		frame[l3 + 8] = 64;
		frame[l3 + 9] = PKT_IPPROTO_ICMP;
		memcpy(frame + l3 + 12, router, 4);
		memcpy(frame + l3 + 16, rev ? f->b : f->a, 4);
		frame[l3 + 20] = PKT_ICMP_UNREACH;
		frame[l3 + 21] = PKT_ICMP_UNREACH_NEEDFRAG;
		proto_wr16(frame + l3 + 26, 1400);
		q = put_ip(frame + l3 + 28, f, rev, dress);
		proto_wr16(frame + l3 + 2, (uint16_t)(28 + q));
		ip4_sum(frame + l3);
		return n + 28 + q;
	}
	memset(frame + l3, 0, 48);
	frame[l3] = 0x60;
	frame[l3 + 6] = wrong_af ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6;
	frame[l3 + 7] = 64;
	memcpy(frame + l3 + 8, router, 16);
	memcpy(frame + l3 + 24, rev ? f->b : f->a, 16);
	frame[l3 + 40] = wrong_af ? PKT_ICMP_UNREACH : PKT_ICMP6_PACKET_TOO_BIG;
	proto_wr32(frame + l3 + 44, 1280);
	q = put_ip(frame + l3 + 48, f, rev, dress);
	proto_wr16(frame + l3 + 4, (uint16_t)(8 + q));
	return n + 48 + q;
}

/* Both directions of generated flows, and the plain key's symmetry. */
static void
test_flows(void **state)
{
	uint8_t frame[512];
	unsigned int i;

	(void)state;
	for (i = 0; i < 400; i++) {
		uint8_t af = i % 2 ? 6 : 4;
		struct flow f;
		union dp_state_key key, rkey;
		uint32_t h, hr;

		rand_flow(af, gen_protos[(i / 2) % PROTO_ARRAY_SIZE(gen_protos)], &f);
		flow_key(&f, &key);
		assert_true(packet_hash(frame, flow_frame(frame, &f, false), &h));
		assert_true(packet_hash(frame, flow_frame(frame, &f, true), &hr));
		assert_int_equal(h, hr);
		expect_owner("generated flow", h, af, &key);
		/* A key with its pair the other way round owns the same. */
		memset(&rkey, 0, sizeof(rkey));
		if (af == 4) {
			rkey.k4 = key.k4;
			rkey.k4.addr[0] = key.k4.addr[1];
			rkey.k4.addr[1] = key.k4.addr[0];
			rkey.k4.port[0] = key.k4.port[1];
			rkey.k4.port[1] = key.k4.port[0];
		} else {
			rkey.k6 = key.k6;
			memcpy(rkey.k6.addr[0], key.k6.addr[1], 16);
			memcpy(rkey.k6.addr[1], key.k6.addr[0], 16);
			rkey.k6.port[0] = key.k6.port[1];
			rkey.k6.port[1] = key.k6.port[0];
		}
		assert_int_equal(dp_hash_key(af, &key), dp_hash_key(af, &rkey));
	}
}

/*
 * n ICMP errors of family af quoting a flow's packets (either direction,
 * every kind of key), each dressed with a random non-empty subset of
 * `dress` (or plain when dress is 0).
 */
static void
errors_run(uint8_t af, unsigned int dress, unsigned int n)
{
	uint8_t frame[512];
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int d = 0;
		bool rev = i % 2;
		char what[96];
		struct flow f;
		union dp_state_key key;
		uint32_t h;

		while (dress != 0 && d == 0)
			d = (unsigned int)rng() & dress;
		rand_flow(af, gen_protos[(i / 2) % PROTO_ARRAY_SIZE(gen_protos)], &f);
		flow_key(&f, &key);
		assert_true(packet_hash(frame, error_frame(frame, &f, rev, d, false), &h));
		snprintf(what, sizeof(what), "IPv%u error quoting proto %u%s, dress 0x%x", af,
			 f.proto, rev ? " (answer)" : "", d);
		expect_owner(what, h, af, &key);
	}
}

static void
test_errors_plain(void **state)
{
	(void)state;
	errors_run(4, 0, 200);
	errors_run(6, 0, 200);
}

static void
test_error4_options(void **state)
{
	(void)state;
	errors_run(4, Q_OPTS, 200);
}

/*
 * A quoted first fragment (offset 0, MF) carries its ports like a whole
 * datagram; the state lookup uses them, so the hash must too.  The hash
 * once read the ports only of a quote that was no fragment at all.
 */
static void
test_error4_first_fragment(void **state)
{
	(void)state;
	errors_run(4, Q_FIRST_FRAG, 200);
	errors_run(4, Q_FIRST_FRAG | Q_OPTS, 200);
}

/*
 * A quoted IPv6 packet behind extension headers, a fragment header among
 * them (dpf's own refragmentation [RFC 8200 4.5] sends such fragments,
 * and routers quote them back): hashed once on the fixed header's next
 * header (44, 0, 43, 60) without ports, never the connection's.
 */
static void
test_error6_ext_chain(void **state)
{
	(void)state;
	errors_run(6, Q_FIRST_FRAG, 200);
	errors_run(6, Q_FIRST_FRAG | Q_HBH | Q_RH | Q_DST, 400);
}

/*
 * ICMP's protocol number inside IPv6 is no ICMP error, and is refused by
 * the fast path (ICMP_WRONG_AF, as pf's "normalize"): it is hashed by no
 * worker, so no state can be made for it.
 */
/* --- the NIC's view: RSS --- */

/*
 * What a NIC computes for the flow's packet with dpf's key and rss_hf
 * (dp.c): Toeplitz [Microsoft RSS spec] over source and destination
 * address, then source and destination port for TCP and UDP, by DPDK's
 * reference implementation (rte_softrss(): host-order 32-bit words).
 */
static uint32_t
nic_hash(const struct flow *f, bool rev)
{
	static uint8_t key[40];
	const uint8_t *src = rev ? f->b : f->a, *dst = rev ? f->a : f->b;
	unsigned int alen = f->af == 4 ? 4 : 16, n = 0, i;
	uint32_t words[9];

	for (i = 0; i < sizeof(key); i += 2) {
		key[i] = 0x6d;
		key[i + 1] = 0x5a;
	}
	for (i = 0; i < alen; i += 4)
		words[n++] = proto_rd32(src + i);
	for (i = 0; i < alen; i += 4)
		words[n++] = proto_rd32(dst + i);
	if (f->proto == 6 || f->proto == 17)
		words[n++] = rev ? (uint32_t)f->pb << 16 | f->pa : (uint32_t)f->pa << 16 | f->pb;
	return rte_softrss(words, n, key);
}

/*
 * Every generated packet, both ways: the fast path's owner hash is RSS's
 * to the bit, and for every worker count the worker it names is the one
 * a RETA programmed as dp.c does sends the packet to.
 */
static void
test_rss(void **state)
{
	static const unsigned int reta_sizes[] = { 64, 128, 512, 2048 };
	uint8_t frame[512];
	unsigned int i, k, n, r, checked = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct flow f;

		rand_flow(rng() & 1 ? 4 : 6, gen_protos[rng() % RTE_DIM(gen_protos)], &f);
		for (k = 0; k < 2; k++) {
			uint32_t hash, want = nic_hash(&f, k == 1);

			assert_true(packet_hash(frame, flow_frame(frame, &f, k == 1), &hash));
			if (hash != want)
				fail_msg("IPv%u proto %u %s: hash %08x, rte_softrss %08x", f.af,
					 f.proto, k ? "answer" : "packet", hash, want);
			for (n = 1; n <= MAX_WORKERS; n++) {
				dp->n_workers = n;
				for (r = 0; r < RTE_DIM(reta_sizes); r++) {
					unsigned int q = dp_owner_of(n, want & (reta_sizes[r] - 1));

					if (dp_owner(dp, hash) != q)
						fail_msg("%u workers, RETA %u: owner %u, NIC queue %u",
							 n, reta_sizes[r], dp_owner(dp, hash), q);
				}
			}
			checked++;
		}
	}
	print_message("# %u packets: owner hash = rte_softrss, owner = RETA queue\n", checked);
}

static void
test_wrong_family_icmp(void **state)
{
	uint8_t frame[512];
	unsigned int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		struct dp_parse pr;
		struct flow f;
		size_t n;

		rand_flow(6, 17, &f);
		n = error_frame(frame, &f, false, 0, true);
		assert_non_null(m);
		assert_non_null(rte_pktmbuf_append(m, (uint16_t)n));
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, n);
		assert_int_equal(dp_parse_pkt(dp, 0, m, &pr), DP_PARSE_BAD);
		assert_int_equal(pr.err, PKT_ERR_ICMP_WRONG_AF);
		rte_pktmbuf_free(m);
	}
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = {
		argc > 0 ? argv[0] : (char *)"test_owner",
		(char *)"--no-huge", (char *)"-m", (char *)"64", (char *)"--no-shconf",
		(char *)"--no-pci", (char *)"--no-telemetry", (char *)"-l", (char *)"0",
		(char *)"--log-level=4", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_errors_plain),
		cmocka_unit_test(test_error4_options),
		cmocka_unit_test(test_error4_first_fragment),
		cmocka_unit_test(test_error6_ext_chain),
		cmocka_unit_test(test_wrong_family_icmp),
		cmocka_unit_test(test_rss),
	};
	int rc;

	if (rte_eal_init((int)(RTE_DIM(eal_argv) - 1), eal_argv) < 0) {
		printf("Bail out! rte_eal_init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_owner", 63, 0, DP_MBUF_PRIV, 2048, 0);
	dp = calloc(1, sizeof(*dp));
	if (pool == NULL || dp == NULL) {
		printf("Bail out! no memory\n");
		return 1;
	}
	dp->n_ports = 1;
	memcpy(dp->ports[0].mac.addr_bytes, port_mac, 6);
	memset(dp->vlan_map[0], 1, sizeof(dp->vlan_map[0]));	/* every VLAN: iface 0 */
	rc = cmocka_run_group_tests_name("owner", tests, NULL, NULL);
	free(dp);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
