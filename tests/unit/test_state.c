/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/state (the per-worker state table).
 *
 * The table needs DPDK memory, so main() initialises EAL without hugepages
 * or devices before running the group.  Each test builds its own tables.
 * The model check drives 100k random inserts and removes against a plain
 * presence array over a fixed key universe and compares contents through
 * lookups, the counts and a full snapshot walk.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_atomic.h>
#include <rte_byteorder.h>
#include <rte_eal.h>

#include "dataplane/state.h"

#define HOSTID 0x0a0b0c0du

static unsigned int table_seq;

static struct dp_state_table *
mk_table(uint32_t cap4, uint32_t cap6, unsigned int worker, _Atomic uint32_t *global,
	 uint32_t limit)
{
	struct dp_state_conf c = {
		.socket = 0,
		.worker = worker,
		.capacity4 = cap4,
		.capacity6 = cap6,
		.hostid = HOSTID,
		.id_epoch = 0x1234,
		.hash_seed = 0xdeadbeef,
		.global = global,
		.limit = limit,
	};
	char name[24];
	struct dp_state_table *t;
	int err = 1;

	snprintf(name, sizeof(name), "tst%u", table_seq++);
	c.name = name;
	t = dp_state_create(&c, &err);
	assert_non_null(t);
	assert_int_equal(err, 0);
	return t;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Key number i of a universe: distinct 5-tuples, canonical by construction. */
static void
key4_of(uint32_t i, struct dp_state_key4 *k)
{
	uint8_t s[4], d[4];
	uint32_t a = rte_cpu_to_be_32(0xc6120000u | (i & 0xffff));	/* 198.18.x.y */
	uint32_t b = rte_cpu_to_be_32(0xc6130000u | (i >> 16));		/* 198.19.0.z */
	bool sw;

	memcpy(s, &a, 4);
	memcpy(d, &b, 4);
	dp_state_key_make(4, 17, s, d, rte_cpu_to_be_16((uint16_t)(1024 + i % 1000)),
			  rte_cpu_to_be_16(53), 0, k, &sw);
}

static void
key6_of(uint32_t i, struct dp_state_key6 *k)
{
	uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	uint8_t d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 };
	bool sw;

	s[12] = (uint8_t)(i >> 24);
	s[13] = (uint8_t)(i >> 16);
	s[14] = (uint8_t)(i >> 8);
	s[15] = (uint8_t)i;
	d[15] = 1;
	dp_state_key_make(6, 6, s, d, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(443), 0, k,
			  &sw);
}

/* ---- keys ---- */

static void
check_pair4(const uint8_t *a, const uint8_t *b, uint16_t pa, uint16_t pb)
{
	struct dp_state_key4 k1, k2;
	bool s1, s2;

	memset(&k1, 0xa5, sizeof(k1));
	memset(&k2, 0x5a, sizeof(k2));
	assert_int_equal(dp_state_key_make(4, 6, a, b, pa, pb, 7, &k1, &s1), 16);
	assert_int_equal(dp_state_key_make(4, 6, b, a, pb, pa, 7, &k2, &s2), 16);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(s1 != s2);
	assert_int_equal(k1.pad, 0);
	assert_int_equal(k1.proto, 6);
	assert_int_equal(k1.zone, 7);
	/* address 0 is the lower; its port follows it */
	assert_true(memcmp(&k1.addr[0], &k1.addr[1], 4) <= 0);
	if (memcmp(a, b, 4) < 0) {
		assert_false(s1);
		assert_memory_equal(&k1.addr[0], a, 4);
		assert_int_equal(k1.port[0], pa);
		assert_int_equal(k1.port[1], pb);
	} else if (memcmp(a, b, 4) > 0) {
		assert_true(s1);
		assert_memory_equal(&k1.addr[0], b, 4);
		assert_int_equal(k1.port[0], pb);
	} else {
		assert_true(rte_be_to_cpu_16(k1.port[0]) <= rte_be_to_cpu_16(k1.port[1]));
	}
}

static void
test_key_v4(void **state)
{
	const uint8_t lo[4] = { 10, 0, 0, 1 }, hi[4] = { 10, 0, 0, 2 };
	const uint8_t big[4] = { 192, 0, 2, 1 }, small[4] = { 9, 255, 255, 255 };
	struct dp_state_key4 k;
	bool sw;

	(void)state;
	check_pair4(lo, hi, rte_cpu_to_be_16(1234), rte_cpu_to_be_16(80));
	check_pair4(hi, lo, rte_cpu_to_be_16(1234), rte_cpu_to_be_16(80));
	check_pair4(big, small, rte_cpu_to_be_16(5), rte_cpu_to_be_16(6));
	/* equal addresses: lower port (by value, not by raw bytes) first */
	check_pair4(lo, lo, rte_cpu_to_be_16(0x0100), rte_cpu_to_be_16(0x00ff));
	dp_state_key_make(4, 17, lo, lo, rte_cpu_to_be_16(0x0100), rte_cpu_to_be_16(0x00ff), 0,
			  &k, &sw);
	assert_true(sw);
	assert_int_equal(k.port[0], rte_cpu_to_be_16(0x00ff));
	/* equal addresses and ports (ICMP id as both ports): not swapped */
	dp_state_key_make(4, 1, lo, lo, 77, 77, 0, &k, &sw);
	assert_false(sw);
	/* the first differing byte decides, not the last (network order) */
	dp_state_key_make(4, 6, big, small, 1, 2, 0, &k, &sw);
	assert_true(sw);
	assert_memory_equal(&k.addr[0], small, 4);
	/* bad family */
	assert_int_equal(dp_state_key_make(5, 6, lo, hi, 1, 2, 0, &k, &sw), 0);
}

static void
test_key_v6(void **state)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct dp_state_key6 k1, k2;
	bool s1, s2;

	(void)state;
	a[15] = 2;
	b[0] = 0x20;
	b[14] = 1;	/* b > a by byte 14 even though a[15] > b[15] */
	memset(&k1, 0xff, sizeof(k1));
	assert_int_equal(dp_state_key_make(6, 17, a, b, rte_cpu_to_be_16(1), rte_cpu_to_be_16(2),
					   3, &k1, &s1), 40);
	assert_int_equal(dp_state_key_make(6, 17, b, a, rte_cpu_to_be_16(2), rte_cpu_to_be_16(1),
					   3, &k2, &s2), 40);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_false(s1);
	assert_true(s2);
	assert_memory_equal(k1.addr[0], a, 16);
	assert_int_equal(k1.port[0], rte_cpu_to_be_16(1));
	assert_int_equal(k1.pad, 0);
	assert_int_equal(k1.zone, 3);
	/* equal addresses */
	dp_state_key_make(6, 17, a, a, rte_cpu_to_be_16(9), rte_cpu_to_be_16(8), 0, &k1, &s1);
	dp_state_key_make(6, 17, a, a, rte_cpu_to_be_16(8), rte_cpu_to_be_16(9), 0, &k2, &s2);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(s1);
	assert_false(s2);
	assert_int_equal(k1.port[0], rte_cpu_to_be_16(8));
}

/* ---- insert, lookup, remove ---- */

static void
test_insert_lookup_remove(void **state)
{
	struct dp_state_table *t = mk_table(1024, 256, 0, NULL, 0);
	struct dp_state_key4 k4;
	struct dp_state_key6 k6;
	struct dp_state *s4, *s6;
	int err;

	(void)state;
	key4_of(1, &k4);
	key6_of(1, &k6);
	assert_null(dp_state_lookup4(t, &k4));
	s4 = dp_state_insert(t, 4, &k4, 1000, &err);
	assert_non_null(s4);
	assert_int_equal(err, 0);
	s6 = dp_state_insert(t, 6, &k6, 1001, &err);
	assert_non_null(s6);
	/* one record array for both families: 1024 + 2 * 256 records */
	assert_int_equal(t->total, 1024 + 2 * 256);
	assert_true(dp_state_pos(t, s4) < t->total);
	assert_true(dp_state_pos(t, s6) < t->total && s6 != s4);
	/* the IPv6 addresses live in a record of their own, which is no state */
	assert_true(s6->k.k6.addr_rec < t->total && s6->k.k6.addr_rec != dp_state_pos(t, s6) &&
		    s6->k.k6.addr_rec != dp_state_pos(t, s4));
	assert_int_equal(t->st[s6->k.k6.addr_rec].af, 0);
	assert_ptr_equal(dp_state_lookup4(t, &k4), s4);
	assert_ptr_equal(dp_state_lookup(t, 4, &k4), s4);
	assert_ptr_equal(dp_state_lookup6(t, &k6), s6);
	assert_ptr_equal(dp_state_lookup(t, 6, &k6), s6);
	assert_null(dp_state_lookup(t, 5, &k4));
	/* fresh record: zero but for af, proto, times, rules, gen */
	assert_int_equal(s4->af, 4);
	assert_int_equal(s4->proto, 17);
	assert_int_equal(s6->proto, 6);
	assert_int_equal(s4->creation, 1000);
	assert_int_equal(s4->expire, 1000);
	assert_int_equal(s4->rule[0], DP_STATE_NO_RULE);
	assert_int_equal(s4->flags, 0);
	assert_int_equal(s4->timeout, 0);
	assert_int_equal(dp_state_packets(s4, 0) + dp_state_bytes(s4, 1), 0);
	assert_int_equal(s4->gen & 1, 0);
	assert_int_equal(t->count, 2);
	assert_int_equal(dp_state_global_count(t), 2);

	/* key_of gives the key back */
	{
		union dp_state_key kk;

		assert_int_equal(dp_state_key_of(t, s4, &kk), 0);
		assert_memory_equal(&kk.k4, &k4, sizeof(k4));
		assert_int_equal(dp_state_key_of(t, s6, &kk), 0);
		assert_memory_equal(&kk.k6, &k6, sizeof(k6));
	}

	/* counters: 40-bit packets, 56-bit bytes */
	dp_state_account(s4, 1, 1500);
	dp_state_account(s4, 1, 60);
	assert_int_equal(dp_state_packets(s4, 1), 2);
	assert_int_equal(dp_state_bytes(s4, 1), 1560);
	assert_int_equal(dp_state_packets(s4, 0), 0);
	s4->pkts_lo[0] = UINT32_MAX;
	dp_state_account(s4, 0, 40);
	assert_int_equal(dp_state_packets(s4, 0), 1ULL << 32);
	assert_int_equal(dp_state_bytes(s4, 0), 40);
	/* direction from swapped */
	assert_int_equal(dp_state_dir(s4, false), 0);
	assert_int_equal(dp_state_dir(s4, true), 1);
	s4->flags |= DP_STF_SWAPPED;
	assert_int_equal(dp_state_dir(s4, false), 1);
	assert_int_equal(dp_state_dir(s4, true), 0);

	dp_state_remove(t, s4);
	assert_null(dp_state_lookup4(t, &k4));
	assert_ptr_equal(dp_state_lookup6(t, &k6), s6);
	assert_int_equal(s4->af, 0);
	assert_int_equal(t->count, 1);
	dp_state_remove(t, s6);
	assert_null(dp_state_lookup6(t, &k6));
	assert_int_equal(t->count, 0);
	assert_int_equal(dp_state_global_count(t), 0);
	/* bad af */
	assert_null(dp_state_insert(t, 5, &k4, 1, &err));
	assert_int_equal(err, -EINVAL);
	dp_state_free(t);
}

static void
test_bulk_lookup(void **state)
{
	struct dp_state_table *t = mk_table(512, 128, 0, NULL, 0);
	struct dp_state_key4 k4[64];
	struct dp_state_key6 k6[64];
	const struct dp_state_key4 *p4[64];
	const struct dp_state_key6 *p6[64];
	struct dp_state *want4[64], *want6[64], *out[64];
	unsigned int i, hits = 0;
	int err;

	(void)state;
	for (i = 0; i < 64; i++) {
		key4_of(i, &k4[i]);
		key6_of(i, &k6[i]);
		p4[i] = &k4[i];
		p6[i] = &k6[i];
		want4[i] = want6[i] = NULL;
		if (rng() % 3 != 0) {	/* about 2/3 present */
			want4[i] = dp_state_insert(t, 4, &k4[i], 1, &err);
			want6[i] = dp_state_insert(t, 6, &k6[i], 1, &err);
			assert_non_null(want4[i]);
			assert_non_null(want6[i]);
			hits++;
		}
	}
	assert_true(hits > 0 && hits < 64);
	assert_int_equal(dp_state_lookup_bulk4(t, p4, 64, out), hits);
	for (i = 0; i < 64; i++)
		assert_ptr_equal(out[i], want4[i]);
	assert_int_equal(dp_state_lookup_bulk6(t, p6, 64, out), hits);
	for (i = 0; i < 64; i++)
		assert_ptr_equal(out[i], want6[i]);
	/* a short burst starting in the middle */
	assert_int_equal(dp_state_lookup_bulk4(t, p4 + 10, 5, out),
			 !!want4[10] + !!want4[11] + !!want4[12] + !!want4[13] + !!want4[14]);
	for (i = 0; i < 5; i++)
		assert_ptr_equal(out[i], want4[10 + i]);
	/* too many keys: all misses, nothing read past */
	assert_int_equal(dp_state_lookup_bulk4(t, p4, 0, out), 0);
	dp_state_free(t);
}

static void
test_duplicate(void **state)
{
	_Atomic uint32_t global = 0;
	struct dp_state_table *t = mk_table(64, 64, 0, &global, 0);
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	struct dp_state *st;
	int err;

	(void)state;
	key4_of(42, &k);
	key6_of(42, &k6);
	st = dp_state_insert(t, 4, &k, 5, &err);
	assert_non_null(st);
	st->rule[0] = 99;
	assert_null(dp_state_insert(t, 4, &k, 6, &err));
	assert_int_equal(err, -EEXIST);
	assert_int_equal(st->rule[0], 99);	/* untouched */
	assert_int_equal(st->creation, 5);
	assert_int_equal(t->count, 1);
	assert_int_equal(global, 1);
	assert_non_null(dp_state_insert(t, 6, &k6, 5, &err));
	assert_null(dp_state_insert(t, 6, &k6, 5, &err));
	assert_int_equal(err, -EEXIST);
	assert_int_equal(global, 2);
	dp_state_free(t);
	assert_int_equal(global, 0);
}

static void
test_full(void **state)
{
	struct dp_state_table *t = mk_table(64, 0, 0, NULL, 0);
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	struct dp_state *st, *last = NULL;
	unsigned int n = 0, i;
	int err = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		key4_of(i, &k);
		st = dp_state_insert(t, 4, &k, 1, &err);
		if (st == NULL)
			break;
		last = st;
		n++;
	}
	assert_int_equal(err, -ENOSPC);
	assert_true(n <= 64);
	assert_true(n >= 48);	/* cuckoo reaches >= 75% even in a tiny table */
	assert_int_equal(t->count, n);
	assert_int_equal(dp_state_global_count(t), n);
	/* the failed key is not there; removing one makes room */
	assert_null(dp_state_lookup4(t, &k));
	dp_state_remove(t, last);
	{
		/* room in the key store; retry keys until one fits its buckets */
		unsigned int j;

		st = NULL;
		for (j = 0; j < 1000 && st == NULL; j++) {
			key4_of(5000 + j, &k);
			st = dp_state_insert(t, 4, &k, 1, &err);
		}
		assert_non_null(st);
		assert_ptr_equal(dp_state_lookup4(t, &k), st);
	}
	/* no IPv6 capacity: -ENOSPC */
	key6_of(1, &k6);
	assert_null(dp_state_insert(t, 6, &k6, 1, &err));
	assert_int_equal(err, -ENOSPC);
	assert_null(dp_state_lookup6(t, &k6));
	dp_state_free(t);
}

static void
test_global_limit(void **state)
{
	_Atomic uint32_t global = 0;
	struct dp_state_table *a = mk_table(64, 64, 0, &global, 10);
	struct dp_state_table *b = mk_table(64, 64, 1, &global, 10);
	struct dp_state *sa[6];
	struct dp_state_key4 k;
	unsigned int i;
	int err;

	(void)state;
	for (i = 0; i < 6; i++) {
		key4_of(i, &k);
		sa[i] = dp_state_insert(a, 4, &k, 1, &err);
		assert_non_null(sa[i]);
	}
	for (i = 0; i < 4; i++) {
		key4_of(100 + i, &k);
		assert_non_null(dp_state_insert(b, 4, &k, 1, &err));
	}
	assert_int_equal(global, 10);
	key4_of(200, &k);
	assert_null(dp_state_insert(a, 4, &k, 1, &err));
	assert_int_equal(err, -EDQUOT);
	assert_null(dp_state_insert(b, 4, &k, 1, &err));
	assert_int_equal(err, -EDQUOT);
	assert_int_equal(global, 10);	/* restored after each refusal */
	assert_int_equal(a->count, 6);
	assert_int_equal(b->count, 4);
	dp_state_remove(a, sa[0]);
	assert_int_equal(global, 9);
	assert_non_null(dp_state_insert(b, 4, &k, 1, &err));
	assert_int_equal(global, 10);
	assert_int_equal(b->count, 5);
	/* a duplicate at the limit is refused for the limit, count restored */
	assert_null(dp_state_insert(b, 4, &k, 1, &err));
	assert_int_equal(global, 10);
	/* raising the limit */
	dp_state_set_limit(a, 11);
	key4_of(201, &k);
	assert_non_null(dp_state_insert(a, 4, &k, 1, &err));
	assert_int_equal(global, 11);
	dp_state_free(a);
	assert_int_equal(global, 5);
	dp_state_free(b);
	assert_int_equal(global, 0);
}

static void
test_find_id(void **state)
{
	struct dp_state_table *t = mk_table(8, 8, 3, NULL, 0);
	struct dp_state_table *other = mk_table(8, 8, 4, NULL, 0);
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	struct dp_state *st, *st2, *ps;
	uint64_t id, id2, pid;
	uint32_t cr, pos, i;
	int err;

	(void)state;
	key4_of(7, &k);
	st = dp_state_insert(t, 4, &k, 1, &err);
	assert_non_null(st);
	assert_int_equal(dp_state_id(t, st, &id, &cr), 0);
	assert_int_equal(cr, HOSTID);
	assert_true(id != 0);
	assert_true(id & DP_STATE_ID_LOCAL);
	assert_int_equal((id >> DP_STATE_ID_WORKER_SHIFT) & 63, 3);
	assert_int_equal(id & (DP_STATE_MAX_RECORDS - 1), dp_state_pos(t, st));
	assert_ptr_equal(dp_state_find_id(t, id, HOSTID), st);
	assert_null(dp_state_find_id(t, id, HOSTID + 1));
	assert_null(dp_state_find_id(t, id ^ (1ULL << 40), HOSTID));	/* gen bits */
	assert_null(dp_state_find_id(t, id ^ (1ULL << 50), HOSTID));	/* epoch */
	assert_null(dp_state_find_id(other, id, HOSTID));		/* another worker */

	/* removed: not found; reuse of the same record: old id not found */
	pos = dp_state_pos(t, st);
	dp_state_remove(t, st);
	assert_null(dp_state_find_id(t, id, HOSTID));
	st2 = NULL;
	for (i = 0; i < 64; i++) {
		key4_of(100 + i, &k);
		st2 = dp_state_insert(t, 4, &k, 1, &err);
		assert_non_null(st2);
		if (dp_state_pos(t, st2) == pos)
			break;
		dp_state_remove(t, st2);
		st2 = NULL;
	}
	assert_non_null(st2);
	assert_int_equal(dp_state_id(t, st2, &id2, &cr), 0);
	assert_true(id2 != id);
	assert_int_equal(id2 & (DP_STATE_MAX_RECORDS - 1), id & (DP_STATE_MAX_RECORDS - 1));
	assert_null(dp_state_find_id(t, id, HOSTID));
	assert_ptr_equal(dp_state_find_id(t, id2, HOSTID), st2);

	/* peer states keep their identity */
	pid = 0x1122334455667788ULL;
	key6_of(9, &k6);
	assert_null(dp_state_insert_peer(t, 6, &k6, pid, 0, 1, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(t->peer);	/* nothing created for a refused insert */
	ps = dp_state_insert_peer(t, 6, &k6, pid, 0x55, 1, &err);
	assert_non_null(ps);
	assert_true(ps->flags & DP_STF_PEER);
	assert_ptr_equal(dp_state_find_id(t, pid, 0x55), ps);
	assert_null(dp_state_find_id(t, pid, 0x56));
	assert_int_equal(dp_state_id(t, ps, &id, &cr), 0);
	assert_true(id == pid);
	assert_int_equal(cr, 0x55);
	/* same identity again, other key: -EEXIST */
	key6_of(10, &k6);
	assert_null(dp_state_insert_peer(t, 6, &k6, pid, 0x55, 1, &err));
	assert_int_equal(err, -EEXIST);
	assert_null(dp_state_lookup6(t, &k6));
	/* same key, other identity: -EEXIST, identity index unchanged */
	key6_of(9, &k6);
	assert_null(dp_state_insert_peer(t, 6, &k6, pid + 1, 0x55, 1, &err));
	assert_int_equal(err, -EEXIST);
	assert_null(dp_state_find_id(t, pid + 1, 0x55));
	/* our own creatorid on a peer state (synced back after a restart) */
	key4_of(300, &k);
	st = dp_state_insert_peer(t, 4, &k, 0xabcdef, HOSTID, 1, &err);
	assert_non_null(st);
	assert_ptr_equal(dp_state_find_id(t, 0xabcdef, HOSTID), st);
	dp_state_remove(t, st);
	assert_null(dp_state_find_id(t, 0xabcdef, HOSTID));
	dp_state_remove(t, ps);
	assert_null(dp_state_find_id(t, pid, 0x55));
	assert_null(dp_state_lookup6(t, &k6));
	/* the identity can come back */
	ps = dp_state_insert_peer(t, 6, &k6, pid, 0x55, 1, &err);
	assert_non_null(ps);
	assert_ptr_equal(dp_state_find_id(t, pid, 0x55), ps);
	dp_state_free(t);
	dp_state_free(other);
}

/* ---- expiry ---- */

struct rm_log {
	unsigned int n;
	uint32_t now;
	int bad;
};

static void
on_rm(void *arg, struct dp_state *st)
{
	struct rm_log *l = arg;

	l->n++;
	if (st->af == 0 || (st->expire > l->now && st->timeout != PFTM_PURGE))
		l->bad++;
}

static void
test_expire(void **state)
{
	struct dp_state_table *t = mk_table(200, 56, 0, NULL, 0);
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	struct dp_state *st;
	struct rm_log log = { 0, 50, 0 };
	unsigned int i, want_removed = 0, total_removed = 0, calls = 0, scanned = 0;
	unsigned int keep = 0;
	int err;

	(void)state;
	for (i = 0; i < 150; i++) {
		key4_of(i, &k);
		st = dp_state_insert(t, 4, &k, 0, &err);
		assert_non_null(st);
		st->expire = (i % 3 == 0) ? 10 : (i % 3 == 1 ? 50 : 100);	/* <=50 expire */
		if (i == 2)
			st->timeout = PFTM_PURGE;	/* expire 100, but purged */
	}
	for (i = 0; i < 40; i++) {
		key6_of(i, &k6);
		st = dp_state_insert(t, 6, &k6, 0, &err);
		assert_non_null(st);
		st->expire = i < 10 ? 49 : 51;
	}
	for (i = 0; i < t->total; i++) {
		st = &t->st[i];
		if (st->af == 0)
			continue;
		if (st->expire <= 50 || st->timeout == PFTM_PURGE)
			want_removed++;
		else
			keep++;
	}
	assert_int_equal(want_removed, 100 + 1 + 10);
	/* each call looks at exactly `budget` records and removes only expired ones there */
	while (scanned < t->total) {
		uint32_t from = t->expire_pos;
		unsigned int j, in_window = 0, r;

		for (j = 0; j < 17 && scanned + j < t->total; j++) {
			st = &t->st[(from + j) % t->total];
			if (st->af != 0 && (st->expire <= 50 || st->timeout == PFTM_PURGE))
				in_window++;
		}
		r = dp_state_expire(t, 50, 17, on_rm, &log);
		assert_int_equal(r, in_window);
		assert_int_equal(t->expire_pos, (from + 17) % t->total);
		total_removed += r;
		scanned += 17;
		calls++;
	}
	assert_int_equal(calls, (t->total + 16) / 17);
	assert_int_equal(total_removed, want_removed);
	assert_int_equal(log.n, want_removed);
	assert_int_equal(log.bad, 0);
	assert_int_equal(t->count, keep);
	/* nothing left to expire at 50, everything at 100 */
	assert_int_equal(dp_state_expire(t, 50, 100000, NULL, NULL), 0);
	assert_int_equal(dp_state_expire(t, 99, 100000, NULL, NULL), 30);	/* IPv6 at 51 */
	assert_int_equal(dp_state_expire(t, 100, 100000, NULL, NULL), keep - 30);
	assert_int_equal(t->count, 0);
	assert_int_equal(dp_state_global_count(t), 0);
	dp_state_free(t);

	/* budget arithmetic: a full sweep per interval */
	assert_int_equal(dp_state_expire_budget(1000000, 10, 1000), 100);
	assert_int_equal(dp_state_expire_budget(1000000, 10, 1), 100000);
	assert_int_equal(dp_state_expire_budget(1001, 10, 100), 2);
	assert_int_equal(dp_state_expire_budget(0, 10, 100), 1);
	assert_int_equal(dp_state_expire_budget(5, 0, 0), 5);
}

static void
test_timeouts(void **state)
{
	_Atomic uint32_t global = 0;
	uint32_t tmo[PFTM_MAX];
	struct dp_state_table *t;
	struct dp_state_key4 k;
	struct dp_state *st;
	unsigned int i;
	int err;

	(void)state;
	/* pf defaults when none given */
	t = mk_table(64, 8, 0, &global, 0);
	key4_of(1, &k);
	st = dp_state_insert(t, 4, &k, 1000, &err);
	dp_state_touch(t, st, 1000, PFTM_TCP_ESTABLISHED);
	assert_int_equal(st->expire, 1000 + 86400);
	assert_int_equal(st->timeout, PFTM_TCP_ESTABLISHED);
	dp_state_touch(t, st, 1000, PFTM_PURGE);
	assert_int_equal(st->expire, 1000);
	dp_state_free(t);

	/* adaptive: start 10, end 20 */
	for (i = 0; i < PFTM_MAX; i++)
		tmo[i] = 100;
	tmo[PFTM_UDP_SINGLE] = 30;
	tmo[PFTM_ADAPTIVE_START] = 10;
	tmo[PFTM_ADAPTIVE_END] = 20;
	t = mk_table(64, 8, 0, &global, 0);
	dp_state_set_timeouts(t, tmo);
	for (i = 0; i < 15; i++) {
		key4_of(i, &k);
		st = dp_state_insert(t, 4, &k, 0, &err);
		assert_non_null(st);
	}
	/* the scale follows the count only at the next second's tick */
	dp_state_touch(t, st, 1, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 1 + 30);
	dp_state_tick(t, 2);
	dp_state_touch(t, st, 2, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 2 + 15);	/* 30 * (20 - 15) / (20 - 10) */
	dp_state_touch_s(t, st, 2, PFTM_UDP_SINGLE, 1000);	/* a rule's own timeout */
	assert_int_equal(st->expire, 2 + 500);
	global += 5;	/* other workers: at adaptive.end everything expires now */
	dp_state_tick(t, 2);
	dp_state_touch(t, st, 2, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 2 + 15);	/* same second: not recomputed */
	dp_state_tick(t, 3);
	dp_state_touch(t, st, 3, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 3);
	global -= 5;
	dp_state_free(t);
	assert_int_equal(global, 0);
}

/* ---- snapshots ---- */

/* What a test state carries, derived from its key, so a reader can check a copy. */
static uint32_t
tag_of(const struct dp_state_key4 *k)
{
	return k->addr[0] ^ (k->addr[1] * 31u) ^ ((uint32_t)k->port[0] << 16) ^ k->port[1];
}

static void
test_snapshot(void **state)
{
	struct dp_state_table *t = mk_table(64, 16, 2, NULL, 0);
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	union dp_state_key kk;
	struct dp_state copy, *st, *ps;
	uint64_t id, sid;
	uint32_t cr, scr, i, live = 0;
	int err;

	(void)state;
	key4_of(5, &k);
	st = dp_state_insert(t, 4, &k, 77, &err);
	st->rule[0] = tag_of(&k);
	dp_state_touch(t, st, 77, PFTM_UDP_FIRST_PACKET);
	key6_of(5, &k6);
	ps = dp_state_insert_peer(t, 6, &k6, 0x99, 0x42, 78, &err);
	assert_non_null(ps);
	assert_int_equal(dp_state_snapshot(t, dp_state_pos(t, st), &copy, &kk, &sid, &scr), 0);
	assert_memory_equal(&copy, st, sizeof(copy));
	assert_memory_equal(&kk.k4, &k, sizeof(k));
	assert_int_equal(dp_state_id(t, st, &id, &cr), 0);
	assert_true(sid == id);
	assert_int_equal(scr, cr);
	assert_int_equal(dp_state_snapshot(t, dp_state_pos(t, ps), &copy, &kk, &sid, &scr), 0);
	assert_memory_equal(&kk.k6, &k6, sizeof(k6));
	assert_true(sid == 0x99);
	assert_int_equal(scr, 0x42);
	assert_int_equal(copy.creation, 78);
	assert_int_equal(dp_state_snapshot(t, t->total, &copy, &kk, NULL, NULL), -EINVAL);
	for (i = 0; i < t->total; i++) {
		err = dp_state_snapshot(t, i, &copy, &kk, NULL, NULL);
		assert_true(err == 0 || err == -ENOENT);
		live += err == 0;
	}
	assert_int_equal(live, 2);
	dp_state_remove(t, st);
	assert_int_equal(dp_state_snapshot(t, dp_state_pos(t, st), &copy, &kk, NULL, NULL),
			 -ENOENT);
	dp_state_free(t);
}

/* A reader thread snapshots every record while the main thread churns. */
struct reader_arg {
	struct dp_state_table *t;
	volatile int stop;
	unsigned long ok, empty, again, bad;
};

static void *
reader_main(void *p)
{
	struct reader_arg *a = p;
	uint32_t pos = 0;

	while (!a->stop) {
		struct dp_state copy;
		union dp_state_key kk;
		uint64_t id;
		uint32_t cr;
		int r = dp_state_snapshot(a->t, pos, &copy, &kk, &id, &cr);

		if (r == 0) {
			/* the copy must belong to the key and the id to the record */
			bool filled = copy.rule[0] != DP_STATE_NO_RULE;

			if ((filled && (copy.rule[0] != tag_of(&kk.k4) ||
					copy.creation != copy.rule[1])) ||
			    copy.af != 4 || (copy.gen & 1) ||
			    (id & (DP_STATE_MAX_RECORDS - 1)) != pos || cr != HOSTID ||
			    ((id >> DP_STATE_ID_GEN_SHIFT) & 0xffff) != ((copy.gen >> 2) & 0xffff))
				a->bad++;
			else
				a->ok++;
		} else if (r == -ENOENT) {
			a->empty++;
		} else {
			a->again++;
		}
		if (++pos == a->t->total)
			pos = 0;
	}
	return NULL;
}

static void
test_snapshot_concurrent(void **state)
{
	struct dp_state_table *t = mk_table(256, 0, 0, NULL, 0);
	struct reader_arg a = { .t = t };
	struct dp_state *live[512] = { NULL };
	pthread_t th;
	unsigned int i;
	int err;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, reader_main, &a), 0);
	{
		/* EAL pinned this thread (and so the reader) to CPU 0: free the reader */
		cpu_set_t cs;
		long c, n = sysconf(_SC_NPROCESSORS_ONLN);

		CPU_ZERO(&cs);
		for (c = 0; c < n && c < CPU_SETSIZE; c++)
			CPU_SET((int)c, &cs);
		if (n > 1)
			CPU_CLR(0, &cs);
		pthread_setaffinity_np(th, sizeof(cs), &cs);
	}
	for (i = 0; i < 300000; i++) {
		uint32_t n = (uint32_t)(rng() % 512);
		struct dp_state_key4 k;

		if (live[n] != NULL) {
			dp_state_remove(t, live[n]);
			live[n] = NULL;
			continue;
		}
		key4_of(n, &k);
		live[n] = dp_state_insert(t, 4, &k, i, &err);
		if (live[n] != NULL) {
			/* filled after the insert, as the worker does */
			live[n]->rule[1] = i;
			rte_compiler_barrier();
			live[n]->rule[0] = tag_of(&k);
		}
	}
	a.stop = 1;
	pthread_join(th, NULL);
	print_message("# snapshots: %lu ok, %lu empty, %lu again, %lu bad\n", a.ok, a.empty,
		      a.again, a.bad);
	/*
	 * A copy taken between the insert and the caller filling rule[] is
	 * live with rule[0] == DP_STATE_NO_RULE (fields the caller writes
	 * after the insert are not covered by gen); the tag is checked once
	 * set.  Key, identity and record must always belong together.
	 */
	assert_true(a.ok > 0);
	assert_int_equal(a.bad, 0);
	dp_state_free(t);
}

/* ---- model check ---- */

#define U4 6000
#define U6 1500

static void
full_compare(struct dp_state_table *t, const uint32_t *ref4, const uint32_t *ref6,
	     uint32_t n4, uint32_t n6)
{
	struct dp_state_key4 k;
	struct dp_state_key6 k6;
	struct dp_state copy, *st;
	union dp_state_key kk;
	uint32_t i, seen4 = 0, seen6 = 0;

	for (i = 0; i < U4; i++) {
		key4_of(i, &k);
		st = dp_state_lookup4(t, &k);
		if (ref4[i] == 0) {
			assert_null(st);
		} else {
			assert_non_null(st);
			assert_int_equal(st->rule[0], ref4[i]);
		}
	}
	for (i = 0; i < U6; i++) {
		key6_of(i, &k6);
		st = dp_state_lookup6(t, &k6);
		if (ref6[i] == 0) {
			assert_null(st);
		} else {
			assert_non_null(st);
			assert_int_equal(st->rule[0], ref6[i]);
		}
	}
	assert_int_equal(t->count, n4 + n6);
	assert_int_equal(dp_state_global_count(t), n4 + n6);
	/* every live record is a reference entry with its tag */
	for (i = 0; i < t->total; i++) {
		int r = dp_state_snapshot(t, i, &copy, &kk, NULL, NULL);

		assert_true(r == 0 || r == -ENOENT);
		if (r != 0)
			continue;
		if (copy.af == 4) {
			uint32_t n = copy.rule[1];

			assert_true(n < U4);
			key4_of(n, &k);
			assert_memory_equal(&kk.k4, &k, sizeof(k));
			assert_int_equal(ref4[n], copy.rule[0]);
			seen4++;
		} else {
			uint32_t n = copy.rule[1];

			assert_int_equal(copy.af, 6);
			assert_true(n < U6);
			key6_of(n, &k6);
			assert_memory_equal(&kk.k6, &k6, sizeof(k6));
			assert_int_equal(ref6[n], copy.rule[0]);
			seen6++;
		}
	}
	assert_int_equal(seen4, n4);
	assert_int_equal(seen6, n6);
}

static void
test_model(void **state)
{
	struct dp_state_table *t = mk_table(4096, 1024, 0, NULL, 0);
	static uint32_t ref4[U4], ref6[U6];
	uint32_t n4 = 0, n6 = 0, op, tag = 1;
	unsigned int enospc = 0;
	int err;

	(void)state;
	memset(ref4, 0, sizeof(ref4));
	memset(ref6, 0, sizeof(ref6));
	for (op = 0; op < 100000; op++) {
		uint64_t r = rng();
		bool v6 = (r & 7) == 0;
		uint32_t n = (uint32_t)((r >> 8) % (v6 ? U6 : U4));
		uint32_t *ref = v6 ? &ref6[n] : &ref4[n];
		uint32_t *cnt = v6 ? &n6 : &n4;
		union dp_state_key k;
		struct dp_state *st;

		if (v6)
			key6_of(n, &k.k6);
		else
			key4_of(n, &k.k4);
		st = dp_state_lookup(t, v6 ? 6 : 4, &k);
		if (*ref != 0) {
			assert_non_null(st);
			assert_int_equal(st->rule[0], *ref);
			if ((r >> 40) & 1) {	/* remove half of the hits */
				dp_state_remove(t, st);
				*ref = 0;
				(*cnt)--;
			} else {		/* or try a duplicate */
				assert_null(dp_state_insert(t, v6 ? 6 : 4, &k, op, &err));
				assert_int_equal(err, -EEXIST);
			}
		} else {
			assert_null(st);
			st = dp_state_insert(t, v6 ? 6 : 4, &k, op, &err);
			if (st == NULL) {
				/* only a table without the records it needs
				 * (IPv6: two) may refuse */
				assert_int_equal(err, -ENOSPC);
				assert_true(n4 + 2 * n6 + (v6 ? 2u : 1u) > t->total);
				enospc++;
				continue;
			}
			st->rule[0] = tag;
			st->rule[1] = n;
			*ref = tag++;
			(*cnt)++;
		}
		if (op % 20000 == 19999) {
			full_compare(t, ref4, ref6, n4, n6);
			assert_int_equal(dp_state_check(t), 0);
		}
	}
	full_compare(t, ref4, ref6, n4, n6);
	assert_int_equal(dp_state_check(t), 0);
	print_message("# model: %u IPv4 + %u IPv6 live at the end, %u refused full\n", n4, n6,
		      enospc);
	dp_state_free(t);
}


/*
 * The index at its fullest: every record used (the index is then 7/8
 * full, the load at which the cuckoo moves are needed most), half removed
 * at random, refilled with other keys, and a mix of families; after each
 * step every state is found by its key and dp_state_check() agrees.
 */
static void
rand_key4(struct dp_state_key4 *k)
{
	uint64_t r = rng();
	uint32_t a = (uint32_t)r, b = (uint32_t)(r >> 32);
	uint64_t p = rng();
	bool sw;

	dp_state_key_make(4, 17, (const uint8_t *)&a, (const uint8_t *)&b, (uint16_t)p,
			  (uint16_t)(p >> 16), 0, k, &sw);
}

static void
test_index_full(void **state)
{
	enum { CAP = 20000 };
	struct dp_state_table *t = mk_table(CAP, 0, 0, NULL, 0);
	static struct dp_state_key4 keys[CAP];
	static struct dp_state *sts[CAP];
	struct dp_state_key6 k6;
	unsigned int i, n = 0, removed = 0;
	int err;

	(void)state;
	for (i = 0; i < CAP; i++) {
		rand_key4(&keys[i]);
		sts[i] = dp_state_insert(t, 4, &keys[i], 1, &err);
		if (sts[i] != NULL)
			n++;
	}
	/* every record holds a state: the index never refuses before them */
	assert_int_equal(n, CAP);
	assert_int_equal(dp_state_check(t), 0);
	for (i = 0; i < CAP; i++)
		assert_ptr_equal(dp_state_lookup4(t, &keys[i]), sts[i]);
	{
		struct dp_state_key4 extra;

		rand_key4(&extra);
		assert_null(dp_state_insert(t, 4, &extra, 1, &err));
		assert_int_equal(err, -ENOSPC);
	}
	for (i = 0; i < CAP; i++) {
		if (rng() & 1) {
			dp_state_remove(t, sts[i]);
			sts[i] = NULL;
			removed++;
		}
	}
	assert_int_equal(t->count, CAP - removed);
	assert_int_equal(dp_state_check(t), 0);
	for (i = 0; i < CAP; i++) {
		if (sts[i] != NULL) {
			assert_ptr_equal(dp_state_lookup4(t, &keys[i]), sts[i]);
			continue;
		}
		assert_null(dp_state_lookup4(t, &keys[i]));
		/* a third of the room goes to IPv6 states (two records each) */
		if (i % 6 == 0) {
			key6_of(i, &k6);
			assert_non_null(dp_state_insert(t, 6, &k6, 1, &err));
			continue;
		}
		if (i % 6 == 3)
			continue;	/* the IPv6 state's second record */
		rand_key4(&keys[i]);
		sts[i] = dp_state_insert(t, 4, &keys[i], 1, &err);
		assert_non_null(sts[i]);
	}
	assert_int_equal(dp_state_check(t), 0);
	for (i = 0; i < CAP; i++) {
		if (sts[i] != NULL)
			assert_ptr_equal(dp_state_lookup4(t, &keys[i]), sts[i]);
		if (i % 6 == 0 && sts[i] == NULL) {
			struct dp_state *s6;
			struct dp_state_key6 back;

			key6_of(i, &k6);
			s6 = dp_state_lookup6(t, &k6);
			assert_non_null(s6);
			assert_int_equal(dp_state_key_of(t, s6, &back), 0);
			assert_memory_equal(&back, &k6, sizeof(k6));
		}
	}
	dp_state_free(t);
}

static void
test_create_errors(void **state)
{
	struct dp_state_conf c = {
		.name = "bad", .capacity4 = 64, .capacity6 = 0, .hostid = 1, .worker = 0,
	};
	int err = 0;

	(void)state;
	c.hostid = 0;
	assert_null(dp_state_create(&c, &err));
	assert_int_equal(err, -EINVAL);
	c.hostid = 1;
	c.worker = 64;
	assert_null(dp_state_create(&c, &err));
	assert_int_equal(err, -EINVAL);
	c.worker = 0;
	c.capacity4 = 4;	/* rte_hash needs >= 8 */
	assert_null(dp_state_create(&c, &err));
	assert_int_equal(err, -EINVAL);
	c.capacity4 = DP_STATE_MAX_RECORDS;
	c.capacity6 = 1;
	assert_null(dp_state_create(&c, &err));
	assert_int_equal(err, -EINVAL);
	c.capacity4 = 0;
	c.capacity6 = 0;
	assert_null(dp_state_create(&c, &err));
	assert_int_equal(err, -EINVAL);
}

/* ---- a peer's state: dp_state_apply ---- */

/* A description of UDP flow i (v4) from creator 0x77, as pfsync would carry it. */
static void
desc4(uint32_t i, uint64_t id, struct dp_state_desc *d)
{
	memset(d, 0, sizeof(*d));
	key4_of(i, &d->key.k4);
	d->af = 4;
	d->id = id;
	d->creatorid = 0x77;
	d->track.peer[0].state = PF_PEER_MULTIPLE;
	d->track.peer[1].state = PF_PEER_SINGLE;
	d->timeout = PFTM_UDP_SINGLE;
	d->expire_in = 25;
	d->age = 40;
	d->packets[0] = (1ULL << 33) + 5;	/* past the record's low 32 bits */
	d->packets[1] = 3;
	d->bytes[0] = 123456789;
	d->bytes[1] = 99;
	d->flags = DP_STF_SWAPPED | DP_STF_SLOPPY;
	d->iface[0] = 1;
	d->iface[1] = 2;
}

/* TCP flow i (v6), both peers ESTABLISHED with the given seqlo. */
static void
desc6_tcp(uint32_t i, uint64_t id, uint32_t seq0, uint32_t seq1, struct dp_state_desc *d)
{
	memset(d, 0, sizeof(*d));
	key6_of(i, &d->key.k6);
	d->af = 6;
	d->id = id;
	d->creatorid = 0x77;
	d->track.peer[0].state = d->track.peer[1].state = PF_TCPS_ESTABLISHED;
	d->track.peer[0].seqlo = seq0;
	d->track.peer[1].seqlo = seq1;
	d->track.peer[0].seqhi = seq0 + 1000;
	d->track.peer[1].seqhi = seq1 + 1000;
	d->timeout = PFTM_TCP_ESTABLISHED;
	d->expire_in = 86000;
	d->age = 3;
}

static void
test_apply(void **state)
{
	struct dp_state_table *t = mk_table(64, 64, 2, NULL, 0);
	struct dp_state_desc d, d2, back;
	struct dp_state *st, *st2;
	union dp_state_key key;
	uint64_t id;
	uint32_t cr, count;
	int err;

	(void)state;
	assert_string_equal(dp_apply_name(DP_APPLY_STALE), "stale");
	assert_string_equal(dp_apply_name(DP_APPLY_MAX), "?");

	/* Unknown identity: inserted as described, found by key and identity. */
	desc4(1, 0x1000, &d);
	assert_int_equal(dp_state_apply(t, &d, 100, &st), DP_APPLY_INSERTED);
	assert_non_null(st);
	assert_ptr_equal(dp_state_lookup4(t, &d.key.k4), st);
	assert_ptr_equal(dp_state_find_id(t, 0x1000, 0x77), st);
	assert_memory_equal(&st->track, &d.track, sizeof(d.track));
	assert_int_equal(st->timeout, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 125);
	assert_int_equal(st->creation, 60);
	assert_int_equal(st->flags, DP_STF_PEER | DP_STF_SWAPPED | DP_STF_SLOPPY | DP_STF_SYNCED);
	assert_int_equal(st->iface[1], 2);
	assert_int_equal(st->rule[0], DP_STATE_NO_RULE);
	assert_true(dp_state_packets(st, 0) == (1ULL << 33) + 5);
	assert_true(dp_state_bytes(st, 0) == 123456789);
	assert_true(dp_state_packets(st, 1) == 3);
	/* ... and described back as it came (times relative to the same now). */
	assert_int_equal(dp_state_key_of(t, st, &key), 0);
	assert_int_equal(dp_state_id(t, st, &id, &cr), 0);
	dp_state_desc_fill(st, &key, id, cr, 100, &back);
	assert_memory_equal(&back, &d, sizeof(d));

	/* Known identity, received peers as new or newer: merged, and the
	 * state lives on from now with the received timeout index. */
	d2 = d;
	d2.track.peer[1].state = PF_PEER_MULTIPLE;
	d2.timeout = PFTM_UDP_MULTIPLE;
	d2.flags = 0;
	d2.packets[1] = 999;
	assert_int_equal(dp_state_apply(t, &d2, 200, &st2), DP_APPLY_UPDATED);
	assert_ptr_equal(st2, st);
	assert_int_equal(st->track.peer[1].state, PF_PEER_MULTIPLE);
	assert_int_equal(st->timeout, PFTM_UDP_MULTIPLE);
	assert_int_equal(st->expire, 200 + t->scaled[PFTM_UDP_MULTIPLE]);
	/* key, flags (but the synced marks), counters stay ours [pfsync_in_updates] */
	assert_int_equal(st->flags, DP_STF_PEER | DP_STF_SWAPPED | DP_STF_SLOPPY | DP_STF_SYNCED);
	assert_true(dp_state_packets(st, 1) == 3);

	/* One of ours newer: STALE, that peer kept, the rest applied. */
	d2.track.peer[1].state = PF_PEER_SINGLE;
	d2.track.peer[0].max_win = 5;
	d2.timeout = PFTM_UDP_SINGLE;
	assert_int_equal(dp_state_apply(t, &d2, 300, &st2), DP_APPLY_STALE);
	assert_int_equal(st->track.peer[1].state, PF_PEER_MULTIPLE);
	assert_int_equal(st->track.peer[0].max_win, 5);
	assert_int_equal(st->timeout, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 300 + t->scaled[PFTM_UDP_SINGLE]);
	/* Both of ours newer: nothing changes, not even the expiry. */
	d2.track.peer[0].state = PF_PEER_NO_TRAFFIC;
	d2.timeout = PFTM_UDP_MULTIPLE;
	assert_int_equal(dp_state_apply(t, &d2, 400, &st2), DP_APPLY_STALE);
	assert_int_equal(st->timeout, PFTM_UDP_SINGLE);
	assert_int_equal(st->expire, 300 + t->scaled[PFTM_UDP_SINGLE]);

	/* TCP: a window that would slide back is stale, by serial order. */
	desc6_tcp(1, 0x2000, 0xfffffff0u, 500, &d);
	assert_int_equal(dp_state_apply(t, &d, 10, &st), DP_APPLY_INSERTED);
	desc6_tcp(1, 0x2000, 0x10, 400, &d2);		/* src ahead across the wrap, dst behind */
	assert_int_equal(dp_state_apply(t, &d2, 11, &st2), DP_APPLY_STALE);
	assert_int_equal(st->track.peer[0].seqlo, 0x10);
	assert_int_equal(st->track.peer[1].seqlo, 500);
	desc6_tcp(1, 0x2000, 0x20, 600, &d2);
	assert_int_equal(dp_state_apply(t, &d2, 12, &st2), DP_APPLY_UPDATED);
	assert_int_equal(st->track.peer[1].seqlo, 600);

	/* Refused descriptions change nothing. */
	count = t->count;
	{
		static const struct {
			const char *what;
			int field;
		} bad[] = {
			{ "creatorid 0", 0 }, { "timeout PFTM_MAX", 1 }, { "level past PROXY:DST", 2 },
			{ "the peer flag", 3 }, { "af 5", 4 }, { "key not canonical", 5 },
			{ "key pad", 6 }, { "af 6 with a v4 key", 7 },
		};

		for (size_t i = 0; i < RTE_DIM(bad); i++) {
			print_message("# apply refuses %s\n", bad[i].what);
			desc4(50, 0x5000 + i, &d);
			switch (bad[i].field) {
			case 0: d.creatorid = 0; break;
			case 1: d.timeout = PFTM_MAX; break;
			case 2: d.track.peer[1].state = PF_TCPS_PROXY_DST + 1; break;
			case 3: d.flags |= DP_STF_PEER; break;
			case 4: d.af = 5; break;
			case 5: {
				uint32_t a = d.key.k4.addr[0];

				d.key.k4.addr[0] = d.key.k4.addr[1];
				d.key.k4.addr[1] = a;
				break;
			}
			case 6: d.key.k4.pad = 1; break;
			default: d.af = 6; break;
			}
			assert_int_equal(dp_state_apply(t, &d, 100, &st), -EINVAL);
			assert_null(st);
		}
	}
	assert_int_equal(t->count, count);

	/* A key that belongs to another state (here one of ours): one state,
	 * under the identity that sorts first (test_join has the rules). */
	key4_of(60, &key.k4);
	assert_non_null(st2 = dp_state_insert(t, 4, &key.k4, 1, &err));
	count = t->count;
	desc4(60, 0x6000, &d);
	assert_int_equal(dp_state_apply(t, &d, 100, &st), DP_APPLY_ADOPTED);
	assert_ptr_equal(st, st2);
	assert_ptr_equal(dp_state_find_id(t, 0x6000, 0x77), st2);
	assert_int_equal(t->count, count);
	/* age beyond our uptime: created at 0 */
	desc4(61, 0x6100, &d);
	d.age = 1000;
	assert_int_equal(dp_state_apply(t, &d, 5, &st), DP_APPLY_INSERTED);
	assert_int_equal(st->creation, 0);
	dp_state_free(t);

	/* At the global limit: -EDQUOT, as a local insert. */
	t = mk_table(64, 0, 2, NULL, 1);
	desc4(1, 1, &d);
	assert_int_equal(dp_state_apply(t, &d, 1, &st), DP_APPLY_INSERTED);
	desc4(2, 2, &d);
	assert_int_equal(dp_state_apply(t, &d, 1, &st), -EDQUOT);
	dp_state_free(t);
}

/*
 * Both nodes made a state for one connection (a SYN through one, the
 * SYN|ACK through the other before the insert arrived): the peer's record
 * and ours become one state, under the identity that sorts first by
 * (creatorid, id), with the two trackings joined in one orientation.
 */
static void
test_join(void **state)
{
	struct dp_state_table *t = mk_table(64, 64, 2, NULL, 0);
	union dp_state_key key;
	struct dp_state_desc d;
	struct dp_state *ours, *st;
	uint64_t lid, id;
	uint32_t cid, count;
	int err;
	bool sw;
	const uint8_t cli[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	const uint8_t srv[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };

	(void)state;
	for (int round = 0; round < 2; round++) {
		bool theirs = round == 1;

		/* Ours, made by the client's SYN: the client is peer[0]. */
		dp_state_key_make(6, 6, cli, srv, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(80),
				  0, &key.k6, &sw);
		assert_false(sw);
		ours = dp_state_insert(t, 6, &key.k6, 10, &err);
		assert_non_null(ours);
		ours->track.peer[0] = (struct pf_peer){ 1000, 1001, 100, 0x87, PF_TCPS_SYN_SENT };
		ours->track.peer[1] = (struct pf_peer){ 0, 1, 1, 0, PF_TCPS_CLOSED };
		ours->timeout = PFTM_TCP_FIRST_PACKET;
		ours->iface[0] = 1;
		ours->iface[1] = 2;
		dp_state_account(ours, 0, 80);
		assert_int_equal(dp_state_id(t, ours, &lid, &cid), 0);
		count = t->count;

		/* The peer's, made by the server's SYN|ACK: the server is its
		 * creator, key address 1 (swapped). */
		memset(&d, 0, sizeof(d));
		d.key = key;
		d.af = 6;
		d.id = 0x5000;
		/* Below our host id the peer's identity wins, above it ours. */
		d.creatorid = theirs ? 0x77 : 0xf0000001u;
		d.flags = DP_STF_SWAPPED;
		d.track.peer[0] = (struct pf_peer){ 5000, 5001, 200, 0x86, PF_TCPS_SYN_SENT };
		d.track.peer[1] = (struct pf_peer){ 0, 1, 1, 0, PF_TCPS_CLOSED };
		d.timeout = PFTM_TCP_FIRST_PACKET;
		d.expire_in = 30;
		d.packets[0] = 1;
		d.bytes[0] = 60;
		d.iface[0] = 2;
		d.iface[1] = 1;
		print_message("# the %s identity sorts first\n", theirs ? "peer's" : "local");
		assert_int_equal(dp_state_apply(t, &d, 11, &st),
				 theirs ? DP_APPLY_ADOPTED : DP_APPLY_JOINED);
		assert_ptr_equal(st, ours);
		assert_int_equal(t->count, count);	/* one state, not two */
		assert_int_equal(dp_state_id(t, st, &id, &cid), 0);
		if (theirs) {
			/* The peer's identity and orientation: the server is peer[0]. */
			assert_true(id == 0x5000);
			assert_int_equal(cid, 0x77);
			assert_ptr_equal(dp_state_find_id(t, 0x5000, 0x77), st);
			assert_null(dp_state_find_id(t, lid, HOSTID));
			assert_true(st->flags & DP_STF_PEER);
			assert_true(st->flags & DP_STF_SWAPPED);
			assert_int_equal(st->track.peer[0].seqlo, 5000);
			assert_int_equal(st->track.peer[0].wscale, 0x86);
			assert_int_equal(st->track.peer[1].seqlo, 1000);
			assert_int_equal(st->track.peer[1].wscale, 0x87);
			/* Our counters and interfaces turned along: the client's
			 * packet is now direction 1. */
			assert_true(dp_state_packets(st, 1) == 1);
			assert_true(dp_state_bytes(st, 1) == 80);
			assert_true(dp_state_packets(st, 0) == 0);
			assert_int_equal(st->iface[0], 2);
			assert_int_equal(st->iface[1], 1);
		} else {
			/* Ours stays, the peer's identity is nowhere. */
			assert_true(id == lid);
			assert_int_equal(cid, HOSTID);
			assert_ptr_equal(dp_state_find_id(t, lid, HOSTID), st);
			assert_null(dp_state_find_id(t, 0x5000, 0xf0000001u));
			assert_false(st->flags & DP_STF_PEER);
			assert_false(st->flags & DP_STF_SWAPPED);
			assert_int_equal(st->track.peer[0].seqlo, 1000);
			assert_int_equal(st->track.peer[1].seqlo, 5000);
			assert_int_equal(st->track.peer[1].wscale, 0x86);
			assert_true(dp_state_packets(st, 0) == 1);
			assert_int_equal(st->iface[0], 1);
		}
		/* The packets of either side find it, and it is split-marked
		 * from the peer: the next packet here makes it split. */
		assert_ptr_equal(dp_state_lookup(t, 6, &key.k6), st);
		assert_true(st->split & DP_SPLIT_PEER);
		assert_true(dp_state_split_tick(st, 12));
		assert_true(st->split & DP_SPLIT_ON);
		/* A second record of the winner merges by identity. */
		if (theirs) {
			d.track.peer[0].seqlo = 5100;
			assert_int_equal(dp_state_apply(t, &d, 12, &st), DP_APPLY_STALE);
			assert_int_equal(st->track.peer[0].seqlo, 5100);
		}
		/* A peer's record of another identity for a state we hold from
		 * a peer joins it, whatever the order: the held one stays. */
		if (theirs) {
			struct dp_state_desc d3 = d;

			d3.id = 0x10;
			d3.creatorid = 0x5;
			assert_int_equal(dp_state_apply(t, &d3, 12, &st), DP_APPLY_JOINED);
			assert_ptr_equal(dp_state_find_id(t, 0x5000, 0x77), st);
			assert_null(dp_state_find_id(t, 0x10, 0x5));
		}
		/* Removal leaves no identity behind. */
		dp_state_remove(t, st);
		assert_null(dp_state_find_id(t, 0x5000, d.creatorid));
		assert_null(dp_state_find_id(t, lid, HOSTID));
		assert_null(dp_state_lookup(t, 6, &key.k6));
		assert_int_equal(t->count, count - 1);
	}
	dp_state_free(t);
}

/* The split mark: a peer's update and a packet here within DP_SPLIT_SECS. */
static void
test_split_mark(void **state)
{
	struct dp_state_table *t = mk_table(64, 0, 2, NULL, 0);
	struct dp_state_key4 k;
	struct dp_state *st;
	struct pf_track rx;
	int err;

	(void)state;
	key4_of(9, &k);
	k.proto = 6;
	st = dp_state_insert(t, 4, &k, 100, &err);
	assert_non_null(st);
	st->track.peer[0] = (struct pf_peer){ 1000, 9000, 100, 0, PF_TCPS_ESTABLISHED };
	st->track.peer[1] = (struct pf_peer){ 50000, 200000, 600, 0, PF_TCPS_ESTABLISHED };
	assert_int_equal(st->split, 0);
	/* A peer's update alone marks nothing split... */
	rx = st->track;
	rx.peer[1].seqlo = 60000;
	rx.peer[1].seqhi = 150000;
	dp_state_merge(t, st, &rx, PFTM_TCP_ESTABLISHED, 100);
	assert_int_equal(st->split, DP_SPLIT_PEER | (100 & DP_SPLIT_SEC_MASK));
	/* ... and, not split, it merges as OpenBSD: the server side whole. */
	assert_int_equal(st->track.peer[1].seqhi, 150000);
	/* A packet here within 2 s: split. */
	assert_true(dp_state_split_tick(st, 101));
	/* Split, the views join: seqhi stays ours, seqlo moves on. */
	st->track.peer[1].seqhi = 200000;
	rx.peer[1].seqlo = 70000;
	assert_int_equal(dp_state_merge(t, st, &rx, PFTM_TCP_ESTABLISHED, 101), DP_APPLY_STALE);
	assert_int_equal(st->track.peer[1].seqhi, 200000);
	assert_int_equal(st->track.peer[1].seqlo, 70000);
	assert_true(dp_state_split_tick(st, 102));
	/* The peer quiet for 2 s: no longer split, the mark cleared. */
	assert_false(dp_state_split_tick(st, 103));
	assert_int_equal(st->split, 0);
	assert_false(dp_state_split_tick(st, 103));
	/* A record with nothing new (a bulk update bringing our own view
	 * back) is no sign that the peer forwards it: no mark. */
	rx = st->track;
	dp_state_merge(t, st, &rx, PFTM_TCP_ESTABLISHED, 110);
	assert_int_equal(st->split, 0);
	/* Nor an older one, though OpenBSD's merge takes its side whole and so
	 * changes ours (its seqhi goes back). */
	rx.peer[1].seqhi -= 1000;
	dp_state_merge(t, st, &rx, PFTM_TCP_ESTABLISHED, 111);
	assert_int_equal(st->split, 0);
	assert_int_equal(st->track.peer[1].seqhi, rx.peer[1].seqhi);
	rx.peer[1].seqlo = 70001;
	/* Across the 64 s wrap of the mark. */
	dp_state_merge(t, st, &rx, PFTM_TCP_ESTABLISHED, 127);
	assert_true(dp_state_split_tick(st, 128));
	dp_state_free(t);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = {
		argc > 0 ? argv[0] : (char *)"test_state",
		(char *)"--no-huge", (char *)"-m", (char *)"256", (char *)"--no-shconf",
		(char *)"--no-pci", (char *)"--no-telemetry", (char *)"-l", (char *)"0",
		(char *)"--log-level=4", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_v4),
		cmocka_unit_test(test_key_v6),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_bulk_lookup),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_global_limit),
		cmocka_unit_test(test_find_id),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_snapshot_concurrent),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_index_full),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_split_mark),
	};
	int rc;

	if (rte_eal_init((int)(RTE_DIM(eal_argv) - 1), eal_argv) < 0) {
		printf("Bail out! rte_eal_init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("state", tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
