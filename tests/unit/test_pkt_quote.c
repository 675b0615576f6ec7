/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/pkt_quote (the flow of a quoted datagram, which the
 * owner hash and the state lookup of ICMP errors share).
 *
 * Crafted quotes pin what each field means: IPv4 options, first and later
 * fragments, IPv6 extension chains with a fragment header, cut chains,
 * ICMP ids, malformed headers.  Then every ICMP error of the parser's
 * scapy vectors is cut at every length and mutated at random, and wherever
 * the full parser (pkt_parse_quoted()) accepts the quote, both must name
 * the same flow.  Each input lives in its own exact-size allocation, so
 * the ASan build catches a read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "proto/pkt.h"
#include "proto/pkt_quote.h"
#include "proto/proto.h"

#include "pkt_vec.h"

static const uint8_t a4[4] = { 198, 18, 1, 10 }, b4[4] = { 198, 18, 2, 20 };
static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };
static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x20 };

/* pkt_quote_flow() on an exact-size copy of buf[0..len). */
static int
quote(const uint8_t *buf, size_t len, unsigned int ipv, struct pkt_quote *q)
{
	uint8_t *d = malloc(len ? len : 1);
	int rc;

	assert_non_null(d);
	if (len)
		memcpy(d, buf, len);
	rc = pkt_quote_flow(d, len, ipv, q);
	free(d);
	return rc;
}

/* An IPv4 header of hl bytes (NOP options), then 8 bytes of L4 at the end. */
static size_t
ip4(uint8_t *p, size_t hl, uint8_t proto, uint16_t frag)
{
	memset(p, 0, hl + 8);
	memset(p + 20, 1, hl - 20);
	p[0] = (uint8_t)(0x40 | (hl / 4 & 0xf));
	proto_wr16(p + 2, (uint16_t)(hl + 100));	/* cut: longer than the quote */
	proto_wr16(p + 6, frag);
	p[8] = 1;
	p[9] = proto;
	memcpy(p + 12, a4, 4);
	memcpy(p + 16, b4, 4);
	return hl;
}

static void
l4_ports(uint8_t *p, uint16_t sp, uint16_t dpt)
{
	proto_wr16(p, sp);
	proto_wr16(p + 2, dpt);
	proto_wr32(p + 4, 0x11223344);
}

static void
l4_icmp(uint8_t *p, uint8_t type, uint16_t id)
{
	p[0] = type;
	p[1] = 0;
	proto_wr16(p + 2, 0);
	proto_wr16(p + 4, id);
	proto_wr16(p + 6, 1);
}

static void
expect_flow(const struct pkt_quote *q, uint8_t proto, bool l4, uint16_t l4_off, uint16_t sp,
	    uint16_t dpt)
{
	assert_int_equal(q->proto, proto);
	assert_int_equal((q->flags & PKT_QUOTE_L4) != 0, l4);
	if (l4)
		assert_int_equal(q->l4_off, l4_off);
	assert_int_equal(q->sport, sp);
	assert_int_equal(q->dport, dpt);
}

static void
test_ip4(void **state)
{
	uint8_t b[128];
	struct pkt_quote q;
	size_t hl;

	(void)state;
	/* Plain UDP: addresses, ports. */
	hl = ip4(b, 20, PKT_IPPROTO_UDP, 0);
	l4_ports(b + hl, 1234, 53);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	assert_int_equal(q.src_off, 12);
	assert_int_equal(q.dst_off, 16);
	expect_flow(&q, PKT_IPPROTO_UDP, true, 20, 1234, 53);
	/* Options: L4 after them. */
	hl = ip4(b, 60, PKT_IPPROTO_TCP, 0x4000);
	l4_ports(b + hl, 40000, 443);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_TCP, true, 60, 40000, 443);
	/* A first fragment (MF, offset 0) carries its ports. */
	hl = ip4(b, 24, PKT_IPPROTO_UDP, 0x2000);
	l4_ports(b + hl, 7, 9);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_UDP, true, 24, 7, 9);
	/* A later fragment has none, with or without MF. */
	ip4(b, 20, PKT_IPPROTO_UDP, 0x2000 | 185);
	assert_int_equal(quote(b, 28, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_UDP, false, 0, 0, 0);
	ip4(b, 20, PKT_IPPROTO_UDP, 3);
	assert_int_equal(quote(b, 28, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_UDP, false, 0, 0, 0);
	/* Seven bytes of L4: the flow, without ports. */
	hl = ip4(b, 20, PKT_IPPROTO_TCP, 0);
	l4_ports(b + hl, 1, 2);
	assert_int_equal(quote(b, hl + 7, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_TCP, false, 0, 0, 0);
	/* SCTP has ports; GRE has none but its 8 bytes are there. */
	hl = ip4(b, 20, PKT_IPPROTO_SCTP, 0);
	l4_ports(b + hl, 5000, 5001);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_SCTP, true, 20, 5000, 5001);
	hl = ip4(b, 20, 47, 0);
	l4_ports(b + hl, 5000, 5001);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, 47, true, 20, 0, 0);
	/* Broken headers name no flow. */
	assert_int_equal(quote(b, 19, 4, &q), -1);
	ip4(b, 20, PKT_IPPROTO_UDP, 0);
	b[0] = 0x44;				/* IHL 4 */
	assert_int_equal(quote(b, 28, 4, &q), -1);
	b[0] = 0x4f;				/* IHL 15: 60 bytes, 28 here */
	assert_int_equal(quote(b, 28, 4, &q), -1);
	b[0] = 0x65;				/* version 6 */
	assert_int_equal(quote(b, 28, 4, &q), -1);
	b[0] = 0x45;
	assert_int_equal(quote(b, 28, 6, &q), -1);
	assert_int_equal(quote(b, 28, 5, &q), -1);
}

static void
test_icmp_ids(void **state)
{
	uint8_t b[128];
	struct pkt_quote q;
	size_t hl;

	(void)state;
	hl = ip4(b, 20, PKT_IPPROTO_ICMP, 0);
	l4_icmp(b + hl, PKT_ICMP_ECHO, 0x4242);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMP, true, 20, 0x4242, 0x4242);
	l4_icmp(b + hl, PKT_ICMP_MASKREPLY, 7);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMP, true, 20, 7, 7);
	/* An error quoting an error: no id. */
	l4_icmp(b + hl, PKT_ICMP_UNREACH, 0x4242);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMP, true, 20, 0, 0);
	/* ICMPv6's number inside IPv4 is no query. */
	hl = ip4(b, 20, PKT_IPPROTO_ICMPV6, 0);
	l4_icmp(b + hl, PKT_ICMP6_ECHO_REQUEST, 0x4242);
	assert_int_equal(quote(b, hl + 8, 4, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMPV6, true, 20, 0, 0);
	/* The predicates the hash and the filter share. */
	assert_true(pkt_icmp_is_error(4, PKT_IPPROTO_ICMP, PKT_ICMP_TIMXCEED));
	assert_false(pkt_icmp_is_error(6, PKT_IPPROTO_ICMP, PKT_ICMP_UNREACH));
	assert_false(pkt_icmp_is_error(4, PKT_IPPROTO_ICMPV6, PKT_ICMP6_DST_UNREACH));
	assert_true(pkt_icmp_is_error(6, PKT_IPPROTO_ICMPV6, PKT_ICMP6_PARAM_PROB));
	assert_false(pkt_icmp_is_error(6, PKT_IPPROTO_ICMPV6, PKT_ICMP6_ECHO_REQUEST));
	assert_true(pkt_icmp_is_query(4, PKT_IPPROTO_ICMP, PKT_ICMP_ECHOREPLY));
	assert_false(pkt_icmp_is_query(4, PKT_IPPROTO_ICMP, PKT_ICMP_REDIRECT));
	assert_true(pkt_icmp_is_query(6, PKT_IPPROTO_ICMPV6, PKT_ICMP6_ECHO_REPLY));
	assert_false(pkt_icmp_is_query(6, PKT_IPPROTO_ICMP, PKT_ICMP_ECHO));
}

/*
 * An IPv6 quote with the extension headers `ext` names, in order (h
 * hop-by-hop, r routing (24 bytes), d destination options (16 bytes), f
 * fragment with offset/flags word fw), then 8 bytes of `proto`.  *l4 gets
 * the L4 offset.
 */
static size_t
ip6(uint8_t *p, const char *ext, uint16_t fw, uint8_t proto, size_t *l4)
{
	uint8_t *nh = p + 6;
	size_t n = 40;

	memset(p, 0, 40);
	p[0] = 0x60;
	proto_wr16(p + 4, 1000);	/* cut: longer than the quote */
	p[7] = 1;
	memcpy(p + 8, a6, 16);
	memcpy(p + 24, b6, 16);
	for (; *ext != '\0'; ext++) {
		size_t len = *ext == 'r' ? 24 : *ext == 'd' ? 16 : 8;

		memset(p + n, 0, len);
		switch (*ext) {
		case 'h':
			*nh = PKT_IPPROTO_HOPOPTS;
			break;
		case 'r':
			*nh = PKT_IPPROTO_ROUTING;
			p[n + 2] = 4;
			break;
		case 'd':
			*nh = PKT_IPPROTO_DSTOPTS;
			break;
		default:
			*nh = PKT_IPPROTO_FRAGMENT;
			proto_wr16(p + n + 2, fw);
			proto_wr32(p + n + 4, 0xc0ffee);
			break;
		}
		if (*ext != 'f') {
			p[n + 1] = (uint8_t)(len / 8 - 1);
			p[n + 2] = *ext == 'r' ? 4 : 1;	/* RH type 4; else PadN */
			p[n + 3] = *ext == 'r' ? 0 : (uint8_t)(len - 4);
		}
		nh = p + n;
		n += len;
	}
	*nh = proto;
	*l4 = n;
	memset(p + n, 0, 8);
	return n + 8;
}

static void
test_ip6_chains(void **state)
{
	static const char *const chains[] = { "", "h", "f", "hrfd", "hd", "rd", "fd", "hfd" };
	uint8_t b[512];
	struct pkt_quote q;
	size_t n, l4;
	unsigned int i;

	(void)state;
	for (i = 0; i < PROTO_ARRAY_SIZE(chains); i++) {
		/* Offset 0 with M (a first fragment) and without (atomic). */
		n = ip6(b, chains[i], 0x0001, PKT_IPPROTO_UDP, &l4);
		l4_ports(b + l4, 33434, 53);
		assert_int_equal(quote(b, n, 6, &q), 0);
		assert_int_equal(q.src_off, 8);
		assert_int_equal(q.dst_off, 24);
		expect_flow(&q, PKT_IPPROTO_UDP, true, (uint16_t)l4, 33434, 53);
		n = ip6(b, chains[i], 0, PKT_IPPROTO_TCP, &l4);
		l4_ports(b + l4, 50000, 443);
		assert_int_equal(quote(b, n, 6, &q), 0);
		expect_flow(&q, PKT_IPPROTO_TCP, true, (uint16_t)l4, 50000, 443);
		/* Cut inside the L4 header: the flow without ports. */
		assert_int_equal(quote(b, n - 1, 6, &q), 0);
		expect_flow(&q, PKT_IPPROTO_TCP, false, 0, 0, 0);
	}
	/* A later fragment: the protocol after the fragment header, no ports. */
	n = ip6(b, "hfd", (uint16_t)(1232 | 1), PKT_IPPROTO_UDP, &l4);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_DSTOPTS, false, 0, 0, 0);
	n = ip6(b, "f", 1232, PKT_IPPROTO_UDP, &l4);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_UDP, false, 0, 0, 0);
	/* A chain the quote cuts: the header reached, no ports. */
	n = ip6(b, "hrd", 0, PKT_IPPROTO_UDP, &l4);
	assert_int_equal(quote(b, 40 + 8 + 20, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ROUTING, false, 0, 0, 0);
	assert_int_equal(quote(b, 40 + 4, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_HOPOPTS, false, 0, 0, 0);
	/* PKT_IP6_EXT_MAX headers are walked, one more is not. */
	n = ip6(b, "hdddddfd", 0, PKT_IPPROTO_UDP, &l4);
	l4_ports(b + l4, 1, 2);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_UDP, true, (uint16_t)l4, 1, 2);
	n = ip6(b, "hddddddfd", 0, PKT_IPPROTO_UDP, &l4);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_DSTOPTS, false, 0, 0, 0);
	/* ICMPv6 echo: the id; ICMP's number in IPv6: nothing. */
	n = ip6(b, "f", 0x0001, PKT_IPPROTO_ICMPV6, &l4);
	l4_icmp(b + l4, PKT_ICMP6_ECHO_REQUEST, 99);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMPV6, true, (uint16_t)l4, 99, 99);
	n = ip6(b, "", 0, PKT_IPPROTO_ICMP, &l4);
	l4_icmp(b + l4, PKT_ICMP_ECHO, 99);
	assert_int_equal(quote(b, n, 6, &q), 0);
	expect_flow(&q, PKT_IPPROTO_ICMP, true, 40, 0, 0);
	/* Broken fixed headers. */
	assert_int_equal(quote(b, 39, 6, &q), -1);
	b[0] = 0x45;
	assert_int_equal(quote(b, n, 6, &q), -1);
}

/*
 * Where the full parser accepts a quote, both name the same flow: same
 * addresses and protocol, and the ports (TCP, UDP) or query id whenever
 * the full parser read the L4 header of an unfragmented or first fragment.
 */
static unsigned int n_agreed;	/* quotes both read, with L4 */

static void
expect_agree(const char *what, const uint8_t *buf, size_t len, int af)
{
	unsigned int ipv = af == AF_INET ? 4 : 6, alen = ipv == 4 ? 4 : 16;
	struct pkt_meta m;
	struct pkt_quote q;
	int rc;

	rc = quote(buf, len, ipv, &q);
	if (rc == 0) {
		assert_true(q.src_off + alen <= len && q.dst_off + alen <= len);
		if (q.flags & PKT_QUOTE_L4)
			assert_true((size_t)q.l4_off + 8 <= len);
	}
	if (pkt_parse_quoted(buf, len, af, &m) != PKT_ERR_OK)
		return;
	if (rc != 0)
		fail_msg("%s: the full parser reads a quote of %zu bytes that names no flow",
			 what, len);
	if (memcmp(buf + q.src_off, m.src, alen) != 0 ||
	    memcmp(buf + q.dst_off, m.dst, alen) != 0 || q.proto != m.proto)
		fail_msg("%s (%zu bytes): a different flow, protocol %u, not %u", what, len,
			 q.proto, m.proto);
	if (!(m.flags & PKT_F_L4))
		return;
	n_agreed++;
	if (!(q.flags & PKT_QUOTE_L4) || q.l4_off != m.l4_off)
		fail_msg("%s (%zu bytes): L4 at %u, not %u", what, len,
			 q.flags & PKT_QUOTE_L4 ? q.l4_off : 0, m.l4_off);
	if (m.proto == PKT_IPPROTO_TCP || m.proto == PKT_IPPROTO_UDP) {
		if (q.sport != m.sport || q.dport != m.dport)
			fail_msg("%s (%zu bytes): ports %u %u, not %u %u", what, len, q.sport,
				 q.dport, m.sport, m.dport);
	} else if (pkt_icmp_is_query(ipv, m.proto, m.icmp.type)) {
		if (q.sport != m.icmp.id || q.dport != m.icmp.id)
			fail_msg("%s (%zu bytes): id %u, not %u", what, len, q.sport, m.icmp.id);
	}
}

/* Every ICMP error vector's quote, at every length. */
static void
test_vectors_agree(void **state)
{
	unsigned int n_quotes = 0;

	(void)state;
	n_agreed = 0;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		struct pkt_meta m;

		if (v->err != PKT_ERR_OK || pkt_parse(v->pkt, v->len, &m) != PKT_ERR_OK ||
		    !(m.flags & PKT_F_ICMP_ERR))
			continue;
		n_quotes++;
		for (size_t n = 0; n <= m.icmp.inner_len; n++)
			expect_agree(v->what, v->pkt + m.icmp.inner_off, n,
				     m.l3_proto == PKT_L3_IPV4 ? AF_INET : AF_INET6);
	}
	print_message("# %u quotes, %u cuts read with L4 by both\n", n_quotes, n_agreed);
	assert_true(n_quotes >= 15);
	assert_true(n_agreed >= 100);
}

/* xorshift64*: deterministic, so that a failure reproduces. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* The vectors' quotes and crafted chains with a few bytes changed. */
static void
test_mutations_agree(void **state)
{
	static const char *const chains[] = { "hrfd", "fd", "hf", "" };
	uint64_t s = 0x71756f7465ULL;
	const struct pkt_vec *errs[PROTO_ARRAY_SIZE(pkt_vectors)];
	unsigned int n_errs = 0;

	(void)state;
	n_agreed = 0;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		struct pkt_meta m;

		if (pkt_vectors[i].err == PKT_ERR_OK &&
		    pkt_parse(pkt_vectors[i].pkt, pkt_vectors[i].len, &m) == PKT_ERR_OK &&
		    (m.flags & PKT_F_ICMP_ERR))
			errs[n_errs++] = &pkt_vectors[i];
	}
	for (int iter = 0; iter < 100000; iter++) {
		uint64_t r = rnd(&s);
		uint8_t b[512];
		size_t len, l4;
		int af;

		if (iter % 2) {
			const struct pkt_vec *v = errs[r % n_errs];
			struct pkt_meta m;

			assert_int_equal(pkt_parse(v->pkt, v->len, &m), PKT_ERR_OK);
			len = m.icmp.inner_len;
			memcpy(b, v->pkt + m.icmp.inner_off, len);
			af = m.l3_proto == PKT_L3_IPV4 ? AF_INET : AF_INET6;
		} else {
			len = ip6(b, chains[r % PROTO_ARRAY_SIZE(chains)], (uint16_t)(r >> 8) & 1,
				  PKT_IPPROTO_UDP, &l4);
			l4_ports(b + l4, 1000, 2000);
			af = AF_INET6;
		}
		for (int k = 0, nk = 1 + (int)((r >> 16) % 3); k < nk; k++)
			b[rnd(&s) % len] ^= (uint8_t)(1u << (rnd(&s) % 8));
		expect_agree("mutated", b, len - (size_t)((r >> 24) % 4), af);
	}
	print_message("# 100000 mutations, %u read with L4 by both\n", n_agreed);
	assert_true(n_agreed >= 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_icmp_ids),
		cmocka_unit_test(test_ip6_chains),
		cmocka_unit_test(test_vectors_agree),
		cmocka_unit_test(test_mutations_agree),
	};

	return cmocka_run_group_tests_name("pkt_quote", tests, NULL, NULL);
}
