/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/pkt.
 *
 * Known answers come from scapy (pkt_vectors.h, made by gen_pkt_vectors.py):
 * scapy builds each packet and reports its fields; every reported field is
 * compared, and every field of the active layers that scapy did not report
 * must be 0, so stray writes fail too.  Malformed vectors are built by
 * scapy with the defect set explicitly and expect their own reason.  Each
 * vector is then cut at every length (the ASan build catches any read past
 * the cut, since each cut lives in its own exact-size allocation), has a
 * checksum byte flipped, and is mutated at random.
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

#include "proto/pfres.h"
#include "proto/pkt.h"
#include "proto/proto.h"

#include "pkt_vec.h"

static const char *const pv_names[PV_N] = {
#define PV_NAME(name, grp, ...) [PV_##name] = #name,
	PV_NUM_FIELDS(PV_NAME)
	PV_BYTE_FIELDS(PV_NAME)
#undef PV_NAME
};

static const uint8_t pv_groups[PV_N] = {
#define PV_GRP(name, grp, ...) [PV_##name] = PV_G_##grp,
	PV_NUM_FIELDS(PV_GRP)
	PV_BYTE_FIELDS(PV_GRP)
#undef PV_GRP
};

static int
pv_is_bytes(unsigned int f)
{
	return f >= PV_SRC && f < PV_N;
}

static uint64_t
pv_num(const struct pkt_meta *m, unsigned int f)
{
	switch (f) {
#define PV_GET(name, grp, expr) case PV_##name: return (uint64_t)(expr);
	PV_NUM_FIELDS(PV_GET)
#undef PV_GET
	default:
		fail_msg("field %u is not a number", f);
		return 0;
	}
}

static const uint8_t *
pv_bytes(const struct pkt_meta *m, const uint8_t *buf, unsigned int f, unsigned int *len)
{
	switch (f) {
#define PV_GETB(name, grp, ptr, n) case PV_##name: *len = (n); return (ptr);
	PV_BYTE_FIELDS(PV_GETB)
#undef PV_GETB
	default:
		fail_msg("field %u is not bytes", f);
		return NULL;
	}
}

/* Is the group's part of the meta in use?  An unused union reads all 0. */
static int
pv_group_active(const struct pkt_meta *m, unsigned int g)
{
	if (g == PV_G_COMMON)
		return 1;
	if (m->l3_proto == PKT_L3_ARP)
		return g == PV_G_ARP;
	if (!(m->flags & PKT_F_L4))
		return 1;
	switch (m->proto) {
	case PKT_IPPROTO_TCP:
		return g == PV_G_TCP;
	case PKT_IPPROTO_UDP:
		return g == PV_G_UDP;
	default:
		return g == PV_G_ICMP;
	}
}

/*
 * Compare every checked field, then require 0 of every other field in an
 * active group.  `q` selects the quoted checks (PV_Q_*) of a vector.
 */
static void
pv_check_meta(const char *what, const struct pkt_meta *m, const uint8_t *buf,
	      const struct pv_check *chk, size_t n, int q)
{
	uint8_t seen[PV_N] = { 0 };
	unsigned int base = q ? PV_Q : 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int f = chk[i].f - base, len;

		if (chk[i].f < base || f >= PV_N)
			fail_msg("%s: check %zu has field %#x", what, i, chk[i].f);
		seen[f] = 1;
		if (pv_is_bytes(f)) {
			const uint8_t *p = pv_bytes(m, buf, f, &len);

			if (len != chk[i].blen || memcmp(p, chk[i].b, len) != 0)
				fail_msg("%s: %s%s differs (%u bytes, want %u)", what,
					 q ? "Q_" : "", pv_names[f], len, chk[i].blen);
		} else if (pv_num(m, f) != chk[i].v) {
			fail_msg("%s: %s%s = %#llx, want %#llx", what, q ? "Q_" : "", pv_names[f],
				 (unsigned long long)pv_num(m, f), (unsigned long long)chk[i].v);
		}
	}
	for (unsigned int f = 0; f < PV_N; f++) {
		unsigned int len;

		if (seen[f] || !pv_group_active(m, pv_groups[f]))
			continue;
		if (pv_is_bytes(f)) {
			const uint8_t *p = pv_bytes(m, buf, f, &len);

			for (unsigned int i = 0; i < len; i++)
				if (p[i] != 0)
					fail_msg("%s: unchecked %s%s is not 0", what, q ? "Q_" : "",
						 pv_names[f]);
		} else if (pv_num(m, f) != 0) {
			fail_msg("%s: unchecked %s%s = %#llx, want 0", what, q ? "Q_" : "",
				 pv_names[f], (unsigned long long)pv_num(m, f));
		}
	}
}

/* A private copy of exactly len bytes, so that ASan sees any over-read. */
static uint8_t *
pv_dup(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

static void
pv_expect_err(const char *what, const char *fn, enum pkt_err got, enum pkt_err want)
{
	if (got != want)
		fail_msg("%s: %s returned %s, want %s", what, fn, pkt_err_name(got),
			 pkt_err_name(want));
}

/*
 * What must hold for any accepted input, whatever its bytes: every offset
 * and length the meta gives lies within the buffer.
 */
static void
pv_invariants(const char *what, const struct pkt_meta *m, size_t len, int quoted)
{
	const char *bad = NULL;

	if (m->n_vlan > PKT_VLAN_MAX)
		bad = "n_vlan";
	else if (!quoted && m->l2_len != PKT_ETH_HLEN + 4 * m->n_vlan)
		bad = "l2_len";
	else if (m->l3_proto > PKT_L3_IPV6)
		bad = "l3_proto";
	else if ((size_t)m->l3_off + m->l3_hlen > len)
		bad = "l3 header";
	else if (!quoted && m->l3_proto >= PKT_L3_IPV4 && m->l3_off + (size_t)m->ip_len > len)
		bad = "ip_len";
	else if ((size_t)m->l4_off + m->l4_len > len)
		bad = "l4";
	else if (m->l4_len && m->l4_off != m->l3_off + m->l3_hlen)
		bad = "l4_off";
	else if (m->payload_len > m->l4_len)
		bad = "payload_len";
	else if ((m->flags & PKT_F_ICMP_ERR) &&
		 ((size_t)m->icmp.inner_off + m->icmp.inner_len > len ||
		  m->icmp.inner_off != m->l4_off + 8))
		bad = "icmp inner";
	else if ((m->flags & PKT_F_L4) && m->proto == PKT_IPPROTO_TCP && !quoted &&
		 (m->tcp.hlen < 20 || m->tcp.hlen > m->l4_len ||
		  (size_t)m->tcp.sack_off + m->tcp.sack_n * 8u > len))
		bad = "tcp";
	else if ((m->flags & PKT_F_FRAG) && !(m->flags & PKT_F_FRAG_FIRST) && m->l4_off != 0)
		bad = "non-first fragment with l4";
	if (bad != NULL)
		fail_msg("%s: invariant broken: %s", what, bad);
}

static void
test_err_names(void **state)
{
	(void)state;
	for (unsigned int e = 0; e < PKT_ERR_MAX; e++) {
		const char *n = pkt_err_name(e);

		assert_non_null(n);
		assert_true(n[0] >= 'a' && n[0] <= 'z');
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				    (*c == '-' && c[1] != '-' && c[1] != '\0'));
		for (unsigned int o = 0; o < e; o++)
			if (strcmp(n, pkt_err_name(o)) == 0)
				fail_msg("%s named twice", n);
		assert_true(pkt_err_pfres(e) < PFRES_MAX);
		assert_true((e == PKT_ERR_OK) == (pkt_err_pfres(e) == PFRES_MATCH));
	}
	assert_string_equal(pkt_err_name(PKT_ERR_OK), "ok");
	assert_string_equal(pkt_err_name(PKT_ERR_MAX), "?");
	assert_string_equal(pkt_err_name((enum pkt_err)-1), "?");
	assert_int_equal(pkt_err_pfres(PKT_ERR_MAX), PFRES_NORM);
	/* pf's names where pf has the check (see proto/pkt.h). */
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_TCP_BAD_DOFF)), "short");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_UDP_TRUNCATED)), "short");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_IP4_OPT_BAD)), "ip-option");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_IP6_HBH_NOT_FIRST)), "ip-option");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_IP6_EXT_TOO_MANY)), "ip-option");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_IP6_FRAG_MULTI)), "fragment");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_FRAG_TINY)), "fragment");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_ND_BAD_HOPLIMIT)), "normalize");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_TCP_BAD_CKSUM)), "proto-cksum");
	assert_string_equal(pfres_name(pkt_err_pfres(PKT_ERR_IP4_BAD_CKSUM)), "proto-cksum");
}

/* Every reason but the checksum ones is some vector's expected result. */
static void
test_every_reason_has_a_vector(void **state)
{
	uint8_t hit[PKT_ERR_MAX] = { 0 };

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		hit[pkt_vectors[i].err] = 1;
		hit[pkt_vectors[i].qerr] = 1;
		hit[pkt_vectors[i].cksum] = 1;
		hit[pkt_vectors[i].l4_err] = 1;
	}
	hit[PKT_ERR_IP4_BAD_CKSUM] = 1;	/* every ip_flip */
	hit[PKT_ERR_QUOTE_BAD_AF] = 1;	/* test_quoted_api */
	for (unsigned int e = 0; e < PKT_ERR_MAX; e++)
		if (!hit[e])
			fail_msg("no vector for %s", pkt_err_name(e));
}

static void
test_vectors(void **state)
{
	size_t n_ok = 0, n_bad = 0, n_quoted = 0;

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		uint8_t *buf = pv_dup(v->pkt, v->len);
		struct pkt_meta m, q;
		enum pkt_err err;

		err = pkt_parse(buf, v->len, &m);
		pv_expect_err(v->what, "pkt_parse", err, v->err);
		if (err != PKT_ERR_OK) {
			n_bad++;
			free(buf);
			continue;
		}
		n_ok++;
		assert_non_null(v->chk);
		pv_check_meta(v->what, &m, buf, v->chk, v->n_chk, 0);
		pv_invariants(v->what, &m, v->len, 0);
		pv_expect_err(v->what, "pkt_verify_cksum", pkt_verify_cksum(buf, v->len, &m),
			      v->cksum);
		if (((m.flags & PKT_F_ICMP_ERR) != 0) != (v->quote_af != 0))
			fail_msg("%s: PKT_F_ICMP_ERR disagrees with scapy", v->what);
		if (v->quote_af != 0) {
			const uint8_t *in = buf + m.icmp.inner_off;

			err = pkt_parse_quoted(in, m.icmp.inner_len, v->quote_af, &q);
			pv_expect_err(v->what, "pkt_parse_quoted", err, v->qerr);
			if (err == PKT_ERR_OK) {
				n_quoted++;
				pv_check_meta(v->what, &q, in, v->qchk, v->n_qchk, 1);
				pv_invariants(v->what, &q, m.icmp.inner_len, 1);
			}
		}
		free(buf);
	}
	print_message("# %zu valid, %zu malformed, %zu quotes checked\n", n_ok, n_bad, n_quoted);
	assert_true(n_ok >= 50 && n_bad >= 50 && n_quoted >= 10);
}

/* A flipped byte must be caught by the checksum it is covered by. */
static void
test_cksum_flip(void **state)
{
	unsigned int n_ip = 0, n_l4[256] = { 0 };

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		int flips[2] = { v->ip_flip, v->l4_flip };
		enum pkt_err want[2] = { PKT_ERR_IP4_BAD_CKSUM, v->l4_err };

		for (int k = 0; k < 2; k++) {
			uint8_t *buf;
			struct pkt_meta m;

			if (flips[k] < 0)
				continue;
			buf = pv_dup(v->pkt, v->len);
			buf[flips[k]] ^= 0xff;
			pv_expect_err(v->what, "pkt_parse after flip", pkt_parse(buf, v->len, &m),
				      PKT_ERR_OK);
			pv_expect_err(v->what, "pkt_verify_cksum after flip",
				      pkt_verify_cksum(buf, v->len, &m), want[k]);
			if (k == 0)
				n_ip++;
			else
				n_l4[m.proto]++;
			free(buf);
		}
	}
	print_message("# flipped: %u IPv4 headers, %u TCP, %u UDP, %u ICMP, %u ICMPv6\n", n_ip,
		      n_l4[PKT_IPPROTO_TCP], n_l4[PKT_IPPROTO_UDP], n_l4[PKT_IPPROTO_ICMP],
		      n_l4[PKT_IPPROTO_ICMPV6]);
	assert_true(n_ip >= 10 && n_l4[PKT_IPPROTO_TCP] >= 3 && n_l4[PKT_IPPROTO_UDP] >= 3 &&
		    n_l4[PKT_IPPROTO_ICMP] >= 3 && n_l4[PKT_IPPROTO_ICMPV6] >= 3);
}

/*
 * Every prefix of every vector: an error, or (when the full frame parses)
 * the very same meta, which happens only when the cut falls in Ethernet
 * padding or in a frame we do not parse past L2.
 */
static void
test_truncation(void **state)
{
	size_t n_cuts = 0, n_same = 0;

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		struct pkt_meta full, m, qfull, q;
		enum pkt_err full_err = pkt_parse(v->pkt, v->len, &full), qerr = PKT_ERR_MAX;

		if (full_err == PKT_ERR_OK && v->quote_af != 0)
			qerr = pkt_parse_quoted(v->pkt + full.icmp.inner_off, full.icmp.inner_len,
						v->quote_af, &qfull);
		for (size_t n = 0; n < v->len; n++) {
			uint8_t *buf = pv_dup(v->pkt, n);
			enum pkt_err err = pkt_parse(buf, n, &m);

			n_cuts++;
			assert_true(err < PKT_ERR_MAX);
			if (err == PKT_ERR_OK) {
				pv_invariants(v->what, &m, n, 0);
				(void)pkt_verify_cksum(buf, n, &m);
				if (full_err == PKT_ERR_OK) {
					if (memcmp(&m, &full, sizeof(m)) != 0)
						fail_msg("%s: cut at %zu parses differently",
							 v->what, n);
					n_same++;
				}
			}
			free(buf);

			/* The quote cut short, as a router may send it. */
			if (qerr == PKT_ERR_MAX || n >= full.icmp.inner_len)
				continue;
			buf = pv_dup(v->pkt + full.icmp.inner_off, n);
			err = pkt_parse_quoted(buf, n, v->quote_af, &q);
			assert_true(err < PKT_ERR_MAX);
			if (err == PKT_ERR_OK) {
				pv_invariants(v->what, &q, n, 1);
				if (qerr == PKT_ERR_OK &&
				    (memcmp(q.src, qfull.src, 16) != 0 || q.proto != qfull.proto ||
				     q.sport != qfull.sport || q.dport != qfull.dport))
					fail_msg("%s: quote cut at %zu differs", v->what, n);
			}
			free(buf);
		}
	}
	print_message("# %zu cuts, %zu parsed the same as the whole frame\n", n_cuts, n_same);
}

/* xorshift64*: deterministic, so that a failure reproduces. */
static uint64_t
pv_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void
pv_parse_any(const uint8_t *buf, size_t len)
{
	struct pkt_meta m, q;
	enum pkt_err err = pkt_parse(buf, len, &m);

	assert_true(err < PKT_ERR_MAX);
	if (err != PKT_ERR_OK)
		return;
	pv_invariants("garbage", &m, len, 0);
	assert_true(pkt_verify_cksum(buf, len, &m) < PKT_ERR_MAX);
	if (m.flags & PKT_F_ICMP_ERR) {
		int af = m.l3_proto == PKT_L3_IPV4 ? AF_INET : AF_INET6;

		err = pkt_parse_quoted(buf + m.icmp.inner_off, m.icmp.inner_len, af, &q);
		assert_true(err < PKT_ERR_MAX);
		if (err == PKT_ERR_OK) {
			pv_invariants("garbage quote", &q, m.icmp.inner_len, 1);
			assert_false(q.flags & PKT_F_ICMP_ERR);
		}
	}
}

/*
 * Random buffers (cheap sanity; tests/fuzz/fuzz_pkt.c does the real work):
 * plain noise, noise behind a plausible Ethernet/IP start, and vectors with
 * a few bytes changed, so that the deeper layers are reached too.
 */
static void
test_garbage(void **state)
{
	static const uint16_t types[] = { PKT_ETHERTYPE_IPV4, PKT_ETHERTYPE_IPV6,
					  PKT_ETHERTYPE_ARP, PKT_ETHERTYPE_VLAN };
	uint64_t s = 0x5eed5eed5eedULL;
	size_t n_ok = 0;

	(void)state;
	for (int iter = 0; iter < 300000; iter++) {
		uint64_t r = pv_rand(&s);
		const struct pkt_vec *v = &pkt_vectors[r % PROTO_ARRAY_SIZE(pkt_vectors)];
		size_t len;
		uint8_t *buf;
		struct pkt_meta m;

		switch (iter % 3) {
		case 0:
			len = (r >> 8) % 160;
			buf = malloc(len ? len : 1);
			assert_non_null(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)pv_rand(&s);
			break;
		case 1:
			len = 15 + (r >> 8) % 200;
			buf = malloc(len);
			assert_non_null(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)pv_rand(&s);
			proto_wr16(buf + 12, types[(r >> 20) % PROTO_ARRAY_SIZE(types)]);
			buf[14] = (buf[14] & 0x0f) | ((r >> 24) & 1 ? 0x40 : 0x60);
			break;
		default:
			len = v->len;
			buf = pv_dup(v->pkt, len);
			for (int k = 0, nk = 1 + (r >> 8) % 4; k < nk; k++) {
				uint64_t x = pv_rand(&s);

				buf[x % len] = (uint8_t)(x >> 32);
			}
			break;
		}
		pv_parse_any(buf, len);
		n_ok += pkt_parse(buf, len, &m) == PKT_ERR_OK;
		free(buf);
	}
	print_message("# 300000 random buffers, %zu accepted\n", n_ok);
	assert_true(n_ok > 1000);
}

static void
test_quoted_api(void **state)
{
	/* IPv4 header + UDP ports, cut after 8 bytes of UDP. */
	static const uint8_t q4[] = { 0x45, 0x00, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00,
				      0x40, 0x11, 0x00, 0x00, 198, 18, 0, 1,
				      198, 18, 1, 2, 0x30, 0x39, 0x00, 0x35,
				      0x00, 0x2c, 0x00, 0x00 };
	struct pkt_meta m;

	(void)state;
	assert_int_equal(pkt_parse_quoted(q4, sizeof(q4), AF_UNIX, &m), PKT_ERR_QUOTE_BAD_AF);
	assert_int_equal(pkt_parse_quoted(NULL, 0, AF_INET, &m), PKT_ERR_IP4_SHORT);
	assert_int_equal(pkt_parse_quoted(NULL, 0, AF_INET6, &m), PKT_ERR_IP6_SHORT);
	assert_int_equal(pkt_parse(NULL, 0, &m), PKT_ERR_ETH_SHORT);
	/* The family must match the header: an IPv4 quote read as IPv6. */
	assert_int_equal(pkt_parse_quoted(q4, sizeof(q4), AF_INET6, &m), PKT_ERR_IP6_SHORT);
	assert_int_equal(pkt_parse_quoted(q4, sizeof(q4), AF_INET, &m), PKT_ERR_OK);
	assert_int_equal(m.flags, PKT_F_QUOTED | PKT_F_TRUNC | PKT_F_L4);
	assert_int_equal(m.sport, 12345);
	assert_int_equal(m.dport, 53);
	assert_int_equal(m.udp.ulen, 44);
	assert_int_equal(m.l4_len, 8);
	assert_int_equal(m.ip_len, 64);
	/* Quoted checksums are not verified; the IPv4 header one still is. */
	assert_int_equal(pkt_verify_cksum(q4, sizeof(q4), &m), PKT_ERR_IP4_BAD_CKSUM);
	/* Seven bytes of UDP are not enough to match a state. */
	assert_int_equal(pkt_parse_quoted(q4, sizeof(q4) - 1, AF_INET, &m), PKT_ERR_QUOTE_SHORT);
}

/* A meta that does not fit the buffer it is checked against fails closed. */
static void
test_verify_misuse(void **state)
{
	unsigned int n = 0;

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(pkt_vectors); i++) {
		const struct pkt_vec *v = &pkt_vectors[i];
		struct pkt_meta m;
		size_t sum_end;

		/* Only frames whose last byte is summed (UDP: per its length). */
		if (v->l4_flip < 0 || pkt_parse(v->pkt, v->len, &m) != PKT_ERR_OK)
			continue;
		sum_end = m.l4_off + (size_t)(m.proto == PKT_IPPROTO_UDP ? m.udp.ulen : m.l4_len);
		if (sum_end != v->len)
			continue;
		pv_expect_err(v->what, "pkt_verify_cksum on a short buffer",
			      pkt_verify_cksum(v->pkt, v->len - 1, &m), v->l4_err);
		if (m.l3_proto == PKT_L3_IPV4)
			pv_expect_err(v->what, "pkt_verify_cksum on a shorter buffer",
				      pkt_verify_cksum(v->pkt, m.l3_off + m.l3_hlen - 1u, &m),
				      PKT_ERR_IP4_BAD_CKSUM);
		n++;
	}
	assert_true(n >= 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_every_reason_has_a_vector),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_cksum_flip),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_quoted_api),
		cmocka_unit_test(test_verify_misuse),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
