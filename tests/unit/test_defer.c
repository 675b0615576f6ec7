/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pfsync defer's hold queue (dataplane/defer.c) with an injected clock:
 * release by ack, by timeout (in arrival order, with the delay recorded),
 * the limit of held packets, a state removed while its packet is held, an
 * ack for nothing held, and the slots reused after out-of-order releases.
 * Packets are tagged pointers; nothing is sent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/defer.h"

#define T0 1000000ULL		/* the clock does not start at 0 */
#define TMO DP_DEFER_TIMEOUT_US
#define CID 0x0a0b0c0du

/* Packet k is the pointer k + 1 (never NULL); state k has id 100 + k, record k. */
#define PKT(k) ((void *)(uintptr_t)((k) + 1))
#define ID(k) (100u + (uint64_t)(k))

static struct dp_defer q;

static int
setup(void **state)
{
	(void)state;
	dp_defer_init(&q, 0);
	return 0;
}

static void
hold(unsigned int k, uint64_t t)
{
	assert_int_equal(dp_defer_hold(&q, PKT(k), ID(k), CID, k, t), 0);
}

/* Takes everything released and checks it is exactly want[0..n). */
static void
expect_out(const unsigned int *want, unsigned int n)
{
	void *pkts[DP_DEFER_LIMIT];
	uint32_t pos[DP_DEFER_LIMIT];
	unsigned int got = dp_defer_take(&q, pkts, pos, DP_DEFER_LIMIT), i;

	assert_int_equal(got, n);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(pkts[i], PKT(want[i]));
		assert_int_equal(pos[i], want[i]);
	}
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(q.timeout_us, 20000);	/* OpenBSD PFSYNC_DEFER_NSEC */
	assert_int_equal(DP_DEFER_LIMIT, 128);	/* PFSYNC_DEFER_LIMIT */
	assert_false(dp_defer_busy(&q));
	for (unsigned int i = 0; i < DP_DEFER_S_MAX; i++) {
		assert_string_not_equal(dp_defer_stat_name(i), "?");
		assert_string_not_equal(dp_defer_stat_descr(i), "?");
	}
	assert_string_equal(dp_defer_stat_name(DP_DEFER_S_MAX), "?");
}

static void
test_release_by_ack(void **state)
{
	const unsigned int one[] = { 1 }, zero_two[] = { 0, 2 };

	(void)state;
	hold(0, T0);
	hold(1, T0 + 10);
	hold(2, T0 + 20);
	assert_int_equal(dp_defer_live(&q), 3);
	/* The middle one first: out of order, by identity. */
	assert_int_equal(dp_defer_ack(&q, ID(1), CID, T0 + 510), 1);
	assert_int_equal(dp_defer_live(&q), 2);
	expect_out(one, 1);
	assert_int_equal(q.delay.n, 1);
	assert_int_equal(q.delay.max, 500);
	/* Same id, other creator: not ours. */
	assert_int_equal(dp_defer_ack(&q, ID(0), CID + 1, T0 + 600), -ENOENT);
	assert_int_equal(dp_defer_ack(&q, ID(0), CID, T0 + 700), 0);
	assert_int_equal(dp_defer_ack(&q, ID(2), CID, T0 + 800), 2);
	expect_out(zero_two, 2);
	assert_int_equal(q.stats[DP_DEFER_S_HELD], 3);
	assert_int_equal(q.stats[DP_DEFER_S_ACK], 3);
	assert_int_equal(q.stats[DP_DEFER_S_ACK_UNKNOWN], 1);
	assert_int_equal(q.stats[DP_DEFER_S_TIMEOUT], 0);
	assert_int_equal(dp_defer_live(&q), 0);
	assert_false(dp_defer_busy(&q));
	/* Nothing left to time out. */
	assert_int_equal(dp_defer_expire(&q, T0 + 10 * TMO), 0);
	assert_int_equal(q.delay.max, 780);
	assert_int_equal(q.delay.n, 3);
}

static void
test_release_by_timeout(void **state)
{
	const unsigned int first[] = { 0, 1 }, last[] = { 3 };

	(void)state;
	hold(0, T0);
	hold(1, T0 + 100);
	hold(2, T0 + 200);
	hold(3, T0 + 300);
	assert_int_equal(dp_defer_ack(&q, ID(2), CID, T0 + 250), 2);
	(void)dp_defer_take(&q, (void *[4]){ 0 }, NULL, 4);
	/* A microsecond short of the first deadline: nothing. */
	assert_int_equal(dp_defer_expire(&q, T0 + TMO - 1), 0);
	assert_true(dp_defer_busy(&q));
	/* Both deadlines passed: the two oldest, in order; 2 was acked. */
	assert_int_equal(dp_defer_expire(&q, T0 + TMO + 100), 2);
	expect_out(first, 2);
	assert_int_equal(q.delay.max, TMO + 100);
	assert_int_equal(dp_defer_expire(&q, T0 + TMO + 299), 0);
	assert_int_equal(dp_defer_expire(&q, T0 + TMO + 300), 1);
	expect_out(last, 1);
	assert_int_equal(q.stats[DP_DEFER_S_TIMEOUT], 3);
	assert_int_equal(q.stats[DP_DEFER_S_ACK], 1);
	/* The ack that comes after the timeout finds nothing. */
	assert_int_equal(dp_defer_ack(&q, ID(0), CID, T0 + TMO + 400), -ENOENT);
	assert_int_equal(q.stats[DP_DEFER_S_ACK_UNKNOWN], 1);
	assert_false(dp_defer_busy(&q));
	/* Four delays: 50 (2, acked), TMO + 100 (0), TMO (1), TMO (3). */
	assert_int_equal(q.delay.n, 4);
	/* p50 is a timeout, within the histogram's 1/16 bucket width. */
	assert_in_range(pfsync_hist_pct(&q.delay, 500), TMO, TMO + TMO / 16);
	assert_in_range(pfsync_hist_pct(&q.delay, 10), 50, 50 + 50 / 16);
}

static void
test_limit(void **state)
{
	unsigned int k;

	(void)state;
	for (k = 0; k < DP_DEFER_LIMIT; k++)
		hold(k, T0 + k);
	assert_int_equal(dp_defer_hold(&q, PKT(999), ID(999), CID, 999, T0 + 500), -ENOSPC);
	assert_int_equal(q.stats[DP_DEFER_S_LIMIT], 1);
	assert_int_equal(dp_defer_live(&q), DP_DEFER_LIMIT);
	/* A release not yet taken still takes room: the worker forwards it first. */
	assert_int_equal(dp_defer_ack(&q, ID(5), CID, T0 + 600), 5);
	assert_int_equal(dp_defer_hold(&q, PKT(999), ID(999), CID, 999, T0 + 600), -ENOSPC);
	assert_int_equal(q.stats[DP_DEFER_S_LIMIT], 2);
	(void)dp_defer_take(&q, (void *[1]){ 0 }, NULL, 1);
	/* Now there is room, in the slot of a hole (5 was in the middle). */
	assert_int_equal(dp_defer_hold(&q, PKT(999), ID(999), CID, 999, T0 + 700), 0);
	assert_int_equal(dp_defer_live(&q), DP_DEFER_LIMIT);
	/* Everything times out in arrival order, 999 last. */
	assert_int_equal(dp_defer_expire(&q, T0 + TMO + 10000), DP_DEFER_LIMIT);
	{
		void *pkts[DP_DEFER_LIMIT];
		uint32_t pos[DP_DEFER_LIMIT];

		assert_int_equal(dp_defer_take(&q, pkts, pos, DP_DEFER_LIMIT), DP_DEFER_LIMIT);
		assert_ptr_equal(pkts[0], PKT(0));
		assert_ptr_equal(pkts[4], PKT(4));
		assert_ptr_equal(pkts[5], PKT(6));	/* 5 went by ack */
		assert_ptr_equal(pkts[DP_DEFER_LIMIT - 1], PKT(999));
		assert_int_equal(pos[DP_DEFER_LIMIT - 1], 999);
	}
	assert_false(dp_defer_busy(&q));
}

static void
test_state_deleted(void **state)
{
	const unsigned int two[] = { 2 };

	(void)state;
	hold(0, T0);
	hold(1, T0 + 1);
	hold(2, T0 + 2);
	/* Record 1's state is removed: its packet comes back to be dropped. */
	assert_ptr_equal(dp_defer_gone(&q, 1), PKT(1));
	assert_null(dp_defer_gone(&q, 1));
	assert_null(dp_defer_gone(&q, 77));	/* nothing held for that record */
	/* The head's state too: the queue skips both holes. */
	assert_ptr_equal(dp_defer_gone(&q, 0), PKT(0));
	assert_int_equal(q.stats[DP_DEFER_S_DELETED], 2);
	assert_int_equal(dp_defer_live(&q), 1);
	/* The ack of a removed state finds nothing; no packet comes out. */
	assert_int_equal(dp_defer_ack(&q, ID(1), CID, T0 + 5), -ENOENT);
	assert_int_equal(dp_defer_take(&q, (void *[1]){ 0 }, NULL, 1), 0);
	assert_int_equal(dp_defer_expire(&q, T0 + TMO + 2), 1);
	expect_out(two, 1);
	/* Dropped packets are no delay sample: only 2's. */
	assert_int_equal(q.delay.n, 1);
}

static void
test_ack_unknown(void **state)
{
	(void)state;
	assert_int_equal(dp_defer_ack(&q, 1, CID, T0), -ENOENT);
	hold(3, T0);
	assert_int_equal(dp_defer_ack(&q, ID(4), CID, T0), -ENOENT);
	assert_int_equal(dp_defer_ack(&q, ID(3), CID, T0 + 1), 3);
	assert_int_equal(dp_defer_ack(&q, ID(3), CID, T0 + 2), -ENOENT);	/* twice */
	assert_int_equal(q.stats[DP_DEFER_S_ACK_UNKNOWN], 3);
	assert_int_equal(q.stats[DP_DEFER_S_ACK], 1);
}

/* Many rounds of holds and out-of-order releases: the ring wraps, holes are
 * squeezed, and every packet comes out exactly once. */
static void
test_wrap(void **state)
{
	unsigned int seen[4096] = { 0 }, k, next = 0, i;
	uint64_t t = T0;
	void *pkts[DP_DEFER_LIMIT];

	(void)state;
	srand(7);
	for (i = 0; i < 20000; i++) {
		unsigned int r = (unsigned int)rand() % 4;

		t += (unsigned int)rand() % 400;
		if (r <= 1 && next < 4096) {
			if (dp_defer_hold(&q, PKT(next), ID(next), CID, next, t) == 0)
				next++;
		} else if (r == 2 && next != 0) {
			k = (unsigned int)rand() % next;
			(void)dp_defer_ack(&q, ID(k), CID, t);
		} else {
			(void)dp_defer_expire(&q, t);
		}
		for (unsigned int n = dp_defer_take(&q, pkts, NULL, DP_DEFER_LIMIT), j = 0; j < n;
		     j++)
			seen[(uintptr_t)pkts[j] - 1]++;
		assert_true(dp_defer_live(&q) <= DP_DEFER_LIMIT);
	}
	(void)dp_defer_expire(&q, t + TMO);
	for (unsigned int n = dp_defer_take(&q, pkts, NULL, DP_DEFER_LIMIT), j = 0; j < n; j++)
		seen[(uintptr_t)pkts[j] - 1]++;
	assert_int_equal(dp_defer_live(&q), 0);
	for (k = 0; k < next; k++)
		assert_int_equal(seen[k], 1);
	assert_int_equal(q.stats[DP_DEFER_S_HELD], next);
	assert_int_equal(q.stats[DP_DEFER_S_ACK] + q.stats[DP_DEFER_S_TIMEOUT], next);
}

static unsigned int freed;

static void
count_free(void *pkt)
{
	(void)pkt;
	freed++;
}

static void
test_clear(void **state)
{
	(void)state;
	hold(0, T0);
	hold(1, T0);
	hold(2, T0);
	assert_int_equal(dp_defer_ack(&q, ID(1), CID, T0), 1);	/* released, not taken */
	freed = 0;
	dp_defer_clear(&q, count_free);
	assert_int_equal(freed, 3);
	assert_false(dp_defer_busy(&q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_release_by_ack, setup),
		cmocka_unit_test_setup(test_release_by_timeout, setup),
		cmocka_unit_test_setup(test_limit, setup),
		cmocka_unit_test_setup(test_state_deleted, setup),
		cmocka_unit_test_setup(test_ack_unknown, setup),
		cmocka_unit_test_setup(test_wrap, setup),
		cmocka_unit_test_setup(test_clear, setup),
	};

	return cmocka_run_group_tests_name("defer", tests, NULL, NULL);
}
