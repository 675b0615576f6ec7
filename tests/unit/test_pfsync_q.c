/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pfsync's send queues (control/pfsync/pfsync_q.c): the per-state rules
 * (one main queue per state, INS absorbs UPD_C, UPD replaces UPD_C, DEL_C
 * cancels an unsent INS) as a table, the record order and MTU packing
 * checked by parsing the built packets with proto/pfsync's iterator, the
 * flush age, and a model check against a plain reference over random
 * operations.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/pfsync_hist.h"
#include "control/pfsync/pfsync_q.h"

#define Q(x) PFSYNC_Q_##x
#define R(x) PFSYNC_Q_ADD_##x

static struct pfsync_qref
ref_of(uint64_t id)
{
	return (struct pfsync_qref){ .id = id, .creatorid = 0x0a0b0c0d, .worker = 1,
				     .idx = (uint32_t)id };
}

/* A sequence of adds on one state and the queue it must end on (Q(MAX): none). */
struct rule_row {
	const char *name;
	int kinds[4];		/* -1 ends */
	int results[4];
	int final;
};

static const struct rule_row rule_rows[] = {
	{ "ins", { Q(INS), -1 }, { R(QUEUED) }, Q(INS) },
	{ "ins then upd_c: the insert carries it", { Q(INS), Q(UPD_C), -1 },
	  { R(QUEUED), R(MERGED) }, Q(INS) },
	{ "upd_c twice: once", { Q(UPD_C), Q(UPD_C), -1 }, { R(QUEUED), R(MERGED) }, Q(UPD_C) },
	{ "upd_c then upd: the full one replaces it", { Q(UPD_C), Q(UPD), -1 },
	  { R(QUEUED), R(MOVED) }, Q(UPD) },
	{ "upd then upd_c: the full one carries it", { Q(UPD), Q(UPD_C), -1 },
	  { R(QUEUED), R(MERGED) }, Q(UPD) },
	{ "ins then upd: the insert carries it", { Q(INS), Q(UPD), -1 },
	  { R(QUEUED), R(MERGED) }, Q(INS) },
	{ "ins then del_c: pretend it never happened", { Q(INS), Q(DEL_C), -1 },
	  { R(QUEUED), R(CANCELLED) }, Q(MAX) },
	{ "upd_c then del_c", { Q(UPD_C), Q(DEL_C), -1 }, { R(QUEUED), R(MOVED) }, Q(DEL_C) },
	{ "upd then del_c", { Q(UPD), Q(DEL_C), -1 }, { R(QUEUED), R(MOVED) }, Q(DEL_C) },
	{ "del_c alone", { Q(DEL_C), Q(DEL_C), -1 }, { R(QUEUED), R(MERGED) }, Q(DEL_C) },
};

static void
test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_rows) / sizeof(rule_rows[0]); i++) {
		const struct rule_row *r = &rule_rows[i];
		struct pfsync_q *q = pfsync_q_create(16);
		struct pfsync_qref ref = ref_of(7);
		unsigned int k;

		print_message("# %s\n", r->name);
		assert_non_null(q);
		for (k = 0; r->kinds[k] >= 0; k++)
			assert_int_equal(pfsync_q_add(q, (unsigned int)r->kinds[k], &ref, k),
					 r->results[k]);
		for (k = 0; k < PFSYNC_Q_MAX; k++)
			assert_int_equal(pfsync_q_count(q, k), (int)k == r->final ? 1 : 0);
		assert_int_equal(pfsync_q_total(q), r->final == Q(MAX) ? 0 : 1);
		pfsync_q_free(q);
	}
}

static void
test_side_queues(void **state)
{
	struct pfsync_q *q = pfsync_q_create(4);
	struct pfsync_qref ref = ref_of(9);

	(void)state;
	/* INS_ACK and UPD_REQ are about the peer's copy: beside a main queue. */
	assert_int_equal(pfsync_q_add(q, Q(UPD_C), &ref, 0), R(QUEUED));
	assert_int_equal(pfsync_q_add(q, Q(INS_ACK), &ref, 0), R(QUEUED));
	assert_int_equal(pfsync_q_add(q, Q(INS_ACK), &ref, 0), R(MERGED));
	assert_int_equal(pfsync_q_add(q, Q(UPD_REQ), &ref, 0), R(QUEUED));
	assert_int_equal(pfsync_q_total(q), 3);
	/* A DEL_C moves the main entry and leaves the others. */
	assert_int_equal(pfsync_q_add(q, Q(DEL_C), &ref, 0), R(MOVED));
	assert_int_equal(pfsync_q_count(q, Q(INS_ACK)), 1);
	assert_int_equal(pfsync_q_count(q, Q(UPD_REQ)), 1);
	pfsync_q_forget(q, ref.id, ref.creatorid);
	assert_int_equal(pfsync_q_total(q), 0);
	assert_int_equal(pfsync_q_oldest(q), UINT64_MAX);
	pfsync_q_free(q);
}

static void
test_capacity(void **state)
{
	struct pfsync_q *q = pfsync_q_create(3);
	struct pfsync_qref r;

	(void)state;
	for (uint64_t id = 1; id <= 3; id++) {
		r = ref_of(id);
		assert_int_equal(pfsync_q_add(q, Q(UPD_C), &r, 0), R(QUEUED));
	}
	r = ref_of(4);
	assert_int_equal(pfsync_q_add(q, Q(UPD_C), &r, 0), -ENOSPC);
	assert_int_equal(pfsync_q_add(q, PFSYNC_Q_MAX, &r, 0), -EINVAL);
	/* An identity already there still takes new kinds. */
	r = ref_of(2);
	assert_int_equal(pfsync_q_add(q, Q(INS_ACK), &r, 0), R(QUEUED));
	pfsync_q_forget(q, 2, r.creatorid);
	r = ref_of(4);
	assert_int_equal(pfsync_q_add(q, Q(UPD_C), &r, 0), R(QUEUED));
	pfsync_q_free(q);
}

static void
test_oldest(void **state)
{
	struct pfsync_q *q = pfsync_q_create(8);
	struct pfsync_qref r1 = ref_of(1), r2 = ref_of(2);
	uint8_t buf[1500];
	struct pfsync_builder b;

	(void)state;
	assert_int_equal(pfsync_q_oldest(q), UINT64_MAX);
	pfsync_q_add(q, Q(DEL_C), &r1, 1000);
	pfsync_q_add(q, Q(DEL_C), &r2, 5000);
	/* The age is that of the first record queued into empty queues. */
	assert_int_equal(pfsync_q_oldest(q), 1000);
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 1500), 0);
	assert_int_equal(pfsync_q_drain(q, &b, NULL, NULL, NULL), 2);
	assert_int_equal(pfsync_q_oldest(q), UINT64_MAX);
	pfsync_q_add(q, Q(DEL_C), &r1, 9000);
	assert_int_equal(pfsync_q_oldest(q), 9000);
	pfsync_q_free(q);
}

/* Export: a full state record names its id; odd ids are "gone". */
static bool
export_fn(void *arg, unsigned int kind, const struct pfsync_qref *ref, void *record)
{
	union pfsync_rec_host *rec = record;

	(void)arg;
	if (ref->id & 1)
		return false;
	if (kind == Q(UPD_C)) {
		rec->upd_c.id = ref->id;
		rec->upd_c.creatorid = ref->creatorid;
		rec->upd_c.timeout = 4;
		rec->upd_c.src.state = PF_TCPS_ESTABLISHED;
		rec->upd_c.dst.state = PF_TCPS_ESTABLISHED;
	} else {
		rec->state.id = ref->id;
		rec->state.creatorid = ref->creatorid;
		rec->state.af = PF_AF_INET;
		rec->state.proto = 6;
		rec->state.direction = PF_IN;
		rec->state.timeout = 4;
		rec->state.key[0].af = PF_AF_INET;
		rec->state.key[1].af = PF_AF_INET;
	}
	return true;
}

/* Parses a built packet: the actions in order and the ids in them. */
static unsigned int
parse_packet(const uint8_t *buf, size_t len, unsigned int *actions, uint64_t *ids)
{
	struct pfsync_iter it;
	struct pfsync_section sec;
	unsigned int n = 0, last = 0;
	int rc;

	assert_int_equal(pfsync_iter_init(&it, buf, len), PFSYNC_OK);
	while ((rc = pfsync_iter_next(&it, &sec)) > 0) {
		union pfsync_rec_host h;

		/* Each action opens one section: never the one just closed. */
		assert_true(n == 0 || sec.action != last);
		for (unsigned int k = 0; k < sec.count; k++) {
			assert_int_equal(pfsync_rec_decode(sec.action, sec.rec + k * sec.stride, &h),
					 0);
			actions[n] = sec.action;
			ids[n++] = sec.action == PFSYNC_ACT_UPD_C ? h.upd_c.id :
				   sec.action == PFSYNC_ACT_INS || sec.action == PFSYNC_ACT_UPD ?
				   h.state.id : h.id.id;
		}
		last = sec.action;
	}
	assert_int_equal(rc, 0);
	return n;
}

static void
test_drain_order_and_mtu(void **state)
{
	struct pfsync_q *q = pfsync_q_create(256);
	uint8_t buf[1500];
	struct pfsync_builder b;
	unsigned int actions[64], total = 0, packets = 0;
	uint64_t ids[64], skipped = 0;
	static const int order[] = { PFSYNC_ACT_INS_ACK, PFSYNC_ACT_UPD_C, PFSYNC_ACT_DEL_C,
				     PFSYNC_ACT_INS, PFSYNC_ACT_UPD, PFSYNC_ACT_UPD_REQ };

	(void)state;
	/* Queued in reverse order; even ids export, odd full ones are gone. */
	for (uint64_t i = 0; i < 10; i++) {
		struct pfsync_qref r = ref_of(100 + i);

		pfsync_q_add(q, Q(UPD_REQ), &r, 0);
		r = ref_of(200 + i);
		pfsync_q_add(q, Q(UPD), &r, 0);
		r = ref_of(300 + i);
		pfsync_q_add(q, Q(INS), &r, 0);
		r = ref_of(400 + i);
		pfsync_q_add(q, Q(DEL_C), &r, 0);
		r = ref_of(500 + i);
		pfsync_q_add(q, Q(UPD_C), &r, 0);
		r = ref_of(600 + i);
		pfsync_q_add(q, Q(INS_ACK), &r, 0);
	}
	while (pfsync_q_total(q) > 0) {
		size_t len;
		unsigned int n, pos = 0;

		assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 1500), 0);
		n = pfsync_q_drain(q, &b, export_fn, NULL, &skipped);
		len = pfsync_build_finish(&b);
		assert_true(len <= 1500 - 20);
		assert_int_equal(parse_packet(buf, len, actions, ids), n);
		/* Records appear in the queue order. */
		for (unsigned int k = 0; k < n; k++) {
			while (order[pos] != (int)actions[k])
				pos++;
			assert_true(pos < 6);
		}
		/* A packet that leaves records behind is full for the next one:
		 * at least the smallest record plus a subheader did not fit. */
		print_message("# packet %u: %zu bytes, %u records, %u left\n", packets, len, n,
			      pfsync_q_total(q));
		if (pfsync_q_total(q) > 0)
			assert_true(len + 4 + 268 > 1480);
		total += n;
		packets++;
		assert_true(packets < 20);
	}
	/* 60 queued; 5 odd INS and 5 odd UPD are gone; UPD_C odd too. */
	assert_int_equal(skipped, 15);
	assert_int_equal(total, 45);
	pfsync_q_free(q);
}

/*
 * pfsync_q_bytes() is what a drain writes after the pfsync header (all
 * records exporting, one packet big enough): the engine sends a packet
 * before its flush time once this reaches a packet's room.
 */
static void
test_bytes(void **state)
{
	struct pfsync_q *q = pfsync_q_create(256);
	static uint8_t buf[16384];
	struct pfsync_builder b;
	uint64_t skipped = 0;
	size_t want, len;
	unsigned int n;

	(void)state;
	assert_int_equal(pfsync_q_bytes(q), 0);
	for (uint64_t i = 0; i < 12; i += 2) {	/* even ids: all export */
		struct pfsync_qref r = ref_of(200 + i);

		pfsync_q_add(q, Q(UPD), &r, 0);
		r = ref_of(400 + i);
		pfsync_q_add(q, Q(DEL_C), &r, 0);
		if (i < 6) {
			r = ref_of(500 + i);
			pfsync_q_add(q, Q(UPD_C), &r, 0);
		}
	}
	want = pfsync_q_bytes(q);
	assert_int_equal(want, 3 * 4 + 6 * pfsync_act_size(PFSYNC_ACT_UPD) +
			 6 * pfsync_act_size(PFSYNC_ACT_DEL_C) +
			 3 * pfsync_act_size(PFSYNC_ACT_UPD_C));
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), sizeof(buf)), 0);
	n = pfsync_q_drain(q, &b, export_fn, NULL, &skipped);
	len = pfsync_build_finish(&b);
	assert_int_equal(n, 15);
	assert_int_equal(skipped, 0);
	assert_int_equal(len - PFSYNC_HDRLEN, want);
	assert_int_equal(pfsync_q_bytes(q), 0);
	pfsync_q_free(q);
}

/* Model check: random adds against a reference of the per-state rules. */
static void
test_model(void **state)
{
	enum { N = 64, OPS = 200000 };
	struct pfsync_q *q = pfsync_q_create(N);
	int main_of[N];
	bool ack[N], req[N];
	uint32_t seed = 12345;

	(void)state;
	for (int i = 0; i < N; i++) {
		main_of[i] = Q(MAX);
		ack[i] = req[i] = false;
	}
	for (int op = 0; op < OPS; op++) {
		int i, kind, expect, rc;
		struct pfsync_qref r;

		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 8) % N);
		kind = (int)((seed >> 20) % (PFSYNC_Q_MAX + 1));
		r = ref_of((uint64_t)i + 1);
		if (kind == PFSYNC_Q_MAX) {
			pfsync_q_forget(q, r.id, r.creatorid);
			main_of[i] = Q(MAX);
			ack[i] = req[i] = false;
			continue;
		}
		if (kind == Q(INS_ACK) || kind == Q(UPD_REQ)) {
			bool *b = kind == Q(INS_ACK) ? &ack[i] : &req[i];

			expect = *b ? R(MERGED) : R(QUEUED);
			*b = true;
		} else {
			int m = main_of[i];

			switch (kind) {
			case Q(INS):
			case Q(UPD_C):
				expect = m != Q(MAX) && m != Q(DEL_C) ? R(MERGED) : -1;
				break;
			case Q(UPD):
				expect = m == Q(INS) || m == Q(UPD) ? R(MERGED) : -1;
				break;
			default:
				expect = m == Q(DEL_C) ? R(MERGED) : m == Q(INS) ? R(CANCELLED) : -1;
				break;
			}
			if (expect == -1)
				expect = m == Q(MAX) ? R(QUEUED) : R(MOVED);
			if (expect == R(CANCELLED))
				main_of[i] = Q(MAX);
			else if (expect != R(MERGED))
				main_of[i] = kind;
		}
		rc = pfsync_q_add(q, (unsigned int)kind, &r, (uint64_t)op);
		assert_int_equal(rc, expect);
	}
	for (unsigned int k = 0; k < PFSYNC_Q_MAX; k++) {
		uint32_t want = 0;

		for (int i = 0; i < N; i++)
			want += k == Q(INS_ACK) ? ack[i] : k == Q(UPD_REQ) ? req[i] :
				main_of[i] == (int)k;
		assert_int_equal(pfsync_q_count(q, k), want);
	}
	pfsync_q_free(q);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(pfsync_q_name(Q(UPD_C)), "upd-c");
	assert_string_equal(pfsync_q_name(PFSYNC_Q_MAX), "?");
	assert_int_equal(pfsync_q_action(Q(DEL_C)), PFSYNC_ACT_DEL_C);
	assert_int_equal(pfsync_q_action(Q(UPD_REQ)), PFSYNC_ACT_UPD_REQ);
}

/*
 * The latency histogram against exact percentiles of the same values:
 * never below the true value, at most 1/16 above it, exact under 16 us.
 */
#define RTE_DIM_(a) (sizeof(a) / sizeof((a)[0]))

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_hist(void **state)
{
	static uint64_t v[20000];
	struct pfsync_hist h;
	unsigned int i, n = RTE_DIM_(v);
	const unsigned int pm[] = { 1, 500, 900, 990, 999, 1000 };
	uint64_t x = 88172645463325252ULL;

	(void)state;
	pfsync_hist_reset(&h);
	assert_int_equal(pfsync_hist_pct(&h, 500), 0);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Spread over 0 .. ~2^30 us, many small ones. */
		v[i] = (x & 0xffff) >> ((x >> 16) & 15);
		v[i] <<= (x >> 20) & 15;
		pfsync_hist_add(&h, v[i]);
	}
	assert_int_equal(h.n, n);
	qsort(v, n, sizeof(v[0]), u64_cmp);
	assert_int_equal(h.max, v[n - 1]);
	for (i = 0; i < RTE_DIM_(pm); i++) {
		uint64_t want = (uint64_t)n * pm[i];
		uint64_t exact = v[(want + 999) / 1000 - 1];
		uint64_t got = pfsync_hist_pct(&h, pm[i]);

		assert_true(got >= exact);
		if (exact < PFSYNC_HIST_SUB)
			assert_true(got == exact);
		else
			assert_true(got <= exact + exact / 16);
	}
	/* A lone value is its own p50 and p99; values past the last bucket land in it. */
	pfsync_hist_reset(&h);
	pfsync_hist_add(&h, 1234);
	assert_int_equal(pfsync_hist_pct(&h, 500), 1234);
	pfsync_hist_add(&h, UINT64_MAX);
	assert_int_equal(pfsync_hist_pct(&h, 1000), UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_side_queues),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_oldest),
		cmocka_unit_test(test_drain_order_and_mtu),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests_name("pfsync_q", tests, NULL, NULL);
}
