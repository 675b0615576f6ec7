/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 address classes (dataplane/rules_cls6.c) against brute force: the
 * class of an address is 1 + the sorted index of the longest prefix that
 * contains it (0: none), and a prefix's class range holds exactly the
 * classes of the addresses it contains.  Prefix sets are drawn clustered
 * (shared leading bytes, nested chains, duplicates) so that the lookup
 * gets deep nodes, list leaves and a skipped common prefix; queries are
 * every prefix's first and last address, the addresses next to them, and
 * random ones inside and outside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/rules_cls6.h"
#include "tests/unit/splitmix.h"

typedef cls6_u128 u128;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	return splitmix64(&rng);
}

static u128
rnd128(void)
{
	return (u128)rnd() << 64 | rnd();
}

static u128
mask(unsigned int plen)
{
	return plen == 0 ? 0 : ~(u128)0 << (128 - plen);
}

static void
to_bytes(u128 v, uint8_t a[16])
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Brute force: the class of a, over the sealed map's prefixes. */
static uint32_t
brute(const struct cls6 *m, u128 a)
{
	uint32_t best = 0;
	int bl = -1;

	for (unsigned int i = 0; i < m->n; i++)
		if ((a & mask(m->pfx[i].plen)) == m->pfx[i].net && m->pfx[i].plen > bl) {
			bl = m->pfx[i].plen;
			best = i + 1;
		}
	return best;
}

static void
check_addr(const struct cls6 *m, u128 a, const u128 *net, const uint8_t *plen, unsigned int np)
{
	uint8_t b[16];
	uint32_t c, want;

	to_bytes(a, b);
	c = cls6_lookup(m, b);
	want = brute(m, a);
	if (c != want) {
		print_error("address %016llx%016llx: class %u, want %u\n",
			    (unsigned long long)(a >> 64), (unsigned long long)a, c, want);
		fail();
	}
	/* Membership in every added prefix is a range test on the class. */
	for (unsigned int i = 0; i < np; i++) {
		uint8_t pb[16];
		uint32_t lo, hi;
		bool in = (a & mask(plen[i])) == (net[i] & mask(plen[i]));

		to_bytes(net[i], pb);
		cls6_range(m, pb, plen[i], &lo, &hi);
		assert_int_equal(in, c >= lo && c <= hi);
	}
}

/*
 * n prefixes: ~1/3 extend an earlier one (nesting), the rest sit under one
 * of `bases` random /base_len blocks; some are added twice.
 */
static void
run_case(unsigned int n, unsigned int bases, unsigned int base_len, unsigned int range_checks)
{
	u128 *net = calloc(n + 1, sizeof(*net)), base[8];
	uint8_t *plen = calloc(n + 1, 1);
	struct cls6 m;

	assert_non_null(net);
	assert_non_null(plen);
	cls6_init(&m);
	for (unsigned int b = 0; b < bases; b++)
		base[b] = rnd128() & mask(base_len);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t bytes[16];

		if (i > 0 && rnd() % 3 == 0) {
			unsigned int j = (unsigned int)(rnd() % i);

			plen[i] = (uint8_t)(plen[j] + (plen[j] < 128 ? 1 + rnd() % (128 - plen[j]) : 0));
			net[i] = net[j] | (rnd128() & ~mask(plen[j]));
		} else {
			plen[i] = (uint8_t)(base_len + 1 + rnd() % (128 - base_len));
			net[i] = base[rnd() % bases] | (rnd128() & ~mask(base_len));
		}
		net[i] &= mask(plen[i]);
		to_bytes(net[i], bytes);
		assert_int_equal(cls6_add(&m, bytes, plen[i]), 0);
		if (rnd() % 8 == 0)
			assert_int_equal(cls6_add(&m, bytes, plen[i]), 0);
	}
	cls6_seal(&m);
	assert_int_equal(cls6_build_lookup(&m), 0);
	assert_int_equal(m.root16, m.n >= CLS6_ROOT16_MIN);
	for (unsigned int i = 1; i < m.n; i++)	/* sorted and unique */
		assert_true(m.pfx[i - 1].net < m.pfx[i].net ||
			    (m.pfx[i - 1].net == m.pfx[i].net &&
			     m.pfx[i - 1].plen < m.pfx[i].plen));
	for (unsigned int i = 0; i < n; i++) {
		u128 lo = net[i], hi = net[i] | ~mask(plen[i]);
		unsigned int np = i < range_checks ? n : 0;

		check_addr(&m, lo, net, plen, np);
		check_addr(&m, hi, net, plen, np);
		check_addr(&m, lo - 1, net, plen, 0);
		check_addr(&m, hi + 1, net, plen, 0);
		check_addr(&m, lo | (rnd128() & ~mask(plen[i])), net, plen, 0);
	}
	for (unsigned int i = 0; i < 2000; i++) {
		check_addr(&m, rnd128(), net, plen, 0);
		check_addr(&m, base[rnd() % bases] | (rnd128() & ~mask(base_len)), net, plen, 0);
	}
	cls6_free(&m);
	free(net);
	free(plen);
}

static void
test_random(void **state)
{
	(void)state;
	run_case(1, 1, 32, 1);
	run_case(7, 1, 48, 7);
	run_case(40, 2, 16, 40);
	run_case(300, 3, 32, 50);
	run_case(300, 1, 100, 50);	/* deep: every prefix under one /100 */
	run_case(3000, 8, 8, 20);
	run_case(3000, 1, 32, 20);
	/* CLS6_ROOT16_MIN and more: the 16-bit root. */
	run_case(CLS6_ROOT16_MIN + 500, 8, 8, 10);
	run_case(CLS6_ROOT16_MIN + 500, 1, 40, 10);
	run_case(CLS6_ROOT16_MIN + 500, 2, 110, 10);
}

static void
test_edges(void **state)
{
	struct cls6 m;
	uint8_t a[16] = { 0 }, b[16];
	uint32_t lo, hi;

	(void)state;
	cls6_init(&m);
	/* Empty map: every address is class 0; ::/0 is [0, 0]. */
	cls6_seal(&m);
	assert_int_equal(cls6_build_lookup(&m), 0);
	assert_int_equal(cls6_lookup(&m, a), 0);
	cls6_range(&m, a, 0, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 0);
	cls6_free(&m);

	/*
	 * 2001:db8::/32 and 2001:db8::1/128: 3 bytes skipped (the /32 ends in
	 * byte 3, which the root reads); outside is class 0.
	 */
	cls6_init(&m);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	assert_int_equal(cls6_add(&m, a, 32), 0);
	a[15] = 1;
	assert_int_equal(cls6_add(&m, a, 128), 0);
	assert_int_equal(cls6_add(&m, a, 0), 0);	/* ::/0 adds nothing */
	cls6_seal(&m);
	assert_int_equal(cls6_n(&m), 3);
	assert_int_equal(cls6_build_lookup(&m), 0);
	assert_int_equal(m.skip, 3);
	assert_int_equal(cls6_lookup(&m, a), 2);
	memcpy(b, a, 16);
	b[15] = 2;
	assert_int_equal(cls6_lookup(&m, b), 1);
	b[3] = 0xb9;
	assert_int_equal(cls6_lookup(&m, b), 0);
	cls6_range(&m, a, 32, &lo, &hi);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 2);
	cls6_range(&m, a, 0, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 2);
	/* A prefix never added matches no class. */
	cls6_range(&m, a, 64, &lo, &hi);
	assert_true(lo > hi);
	cls6_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
