/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the FIB build's key index (dataplane/fib_index.c): the
 * first value stored for a key is the one returned after, across growth;
 * keys differ by any byte; bad arguments are refused; and 80,000 keys (a
 * large route table) go in in linear time (a time bound that a quadratic
 * search of the same size misses by two orders of magnitude).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dataplane/fib_index.h"

struct pfx {
	uint8_t af;
	uint8_t plen;
	uint8_t addr[16];
};

static struct pfx
pfx_of(uint32_t i, uint8_t af)
{
	struct pfx k;

	memset(&k, 0, sizeof(k));
	k.af = af;
	k.plen = af == 4 ? 24 : 48;
	k.addr[0] = 10;
	k.addr[1] = (uint8_t)(i >> 16);
	k.addr[2] = (uint8_t)(i >> 8);
	k.addr[3] = (uint8_t)i;
	return k;
}

static void
test_first_value_wins(void **state)
{
	struct fib_index x;
	struct pfx k;

	(void)state;
	assert_int_equal(fib_index_init(&x, sizeof(struct pfx), 0), 0);
	/* Across several doublings (64 slots at first, half full at most). */
	for (uint32_t i = 0; i < 5000; i++) {
		k = pfx_of(i, 4);
		assert_int_equal(fib_index_get(&x, &k), -1);
		assert_int_equal(fib_index_get_or_add(&x, &k, i * 3), i * 3);
	}
	assert_int_equal(x.n, 5000);
	assert_true(x.cap >= 10000);
	for (uint32_t i = 0; i < 5000; i++) {
		k = pfx_of(i, 4);
		/* A duplicate gets the first value back and is not stored again. */
		assert_int_equal(fib_index_get_or_add(&x, &k, 7), i * 3);
		assert_int_equal(fib_index_get(&x, &k), i * 3);
	}
	assert_int_equal(x.n, 5000);
	/* The same address in the other family, or another length, is another key. */
	k = pfx_of(1, 6);
	assert_int_equal(fib_index_get(&x, &k), -1);
	k = pfx_of(1, 4);
	k.plen = 25;
	assert_int_equal(fib_index_get(&x, &k), -1);
	k.addr[15] = 1;
	k.plen = 24;
	assert_int_equal(fib_index_get(&x, &k), -1);
	fib_index_fini(&x);
	assert_null(x.keys);
}

static void
test_bad_arguments(void **state)
{
	struct fib_index x;
	uint8_t key[FIB_INDEX_KEY_MAX] = { 1 };

	(void)state;
	assert_int_equal(fib_index_init(&x, 0, 1), -EINVAL);
	assert_int_equal(fib_index_init(&x, FIB_INDEX_KEY_MAX + 1, 1), -EINVAL);
	/* An index that failed to start is empty and refuses additions. */
	assert_int_equal(fib_index_get(&x, key), -1);
	assert_int_equal(fib_index_get_or_add(&x, key, 1), -EINVAL);
	assert_int_equal(fib_index_init(&x, FIB_INDEX_KEY_MAX, 1), 0);
	assert_int_equal(fib_index_get_or_add(&x, key, FIB_INDEX_EMPTY), -EINVAL);
	assert_int_equal(fib_index_get_or_add(&x, key, 0), 0);
	assert_int_equal(fib_index_get(&x, key), 0);
	fib_index_fini(&x);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 80,000 prefixes and 80,000 duplicates: the linear search this replaced
 * made 3.2e9 key comparisons for them (about 2 s); hashing makes 160,000
 * lookups, a few ms.  The bound (1 s) leaves room for a loaded machine
 * and sanitizers.
 */
static void
test_large_is_linear(void **state)
{
	struct fib_index x;
	double t0 = now_s(), dt;

	(void)state;
	assert_int_equal(fib_index_init(&x, sizeof(struct pfx), 80000), 0);
	for (uint32_t i = 0; i < 80000; i++) {
		struct pfx k = pfx_of(i, i & 1 ? 4 : 6);

		assert_int_equal(fib_index_get_or_add(&x, &k, i), i);
	}
	for (uint32_t i = 0; i < 80000; i++) {
		struct pfx k = pfx_of(i, i & 1 ? 4 : 6);

		assert_int_equal(fib_index_get_or_add(&x, &k, 0), i);
	}
	dt = now_s() - t0;
	print_message("# 160000 lookups in %.1f ms\n", dt * 1000);
	assert_true(dt < 1.0);
	assert_int_equal(x.n, 80000);
	fib_index_fini(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_value_wins),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_large_is_linear),
	};

	return cmocka_run_group_tests_name("fib_index", tests, NULL, NULL);
}
