/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state_bench: micro-benchmark of the per-worker state table
 * (dataplane/state.c).  Not a test: it prints figures.
 *
 *   state_bench [EAL options] [-- -q]
 *
 * Without EAL options it uses hugepages when /proc/meminfo shows free
 * ones, else --no-huge -m 3072; run it pinned (taskset -c 1).  `-q` after
 * `--` runs the small sizes only.
 *
 * Figures (rte_rdtsc, cycles at the TSC rate printed first):
 *  - insert: dp_state_insert + dp_state_touch per new IPv4 state, random
 *    keys, table filled to 90% of capacity;
 *  - lookup: dp_state_lookup_bulk4 in bursts of 32 over a random
 *    permutation of present keys (streamed from a query array, as the
 *    rte_hash figures of DPDK's test_hash_perf), alone and with a read
 *    of each record (the cache miss a packet pays), and single lookups;
 *  - expiry: a sweep with nothing to remove (cycles per record looked at)
 *    and one removing every state (cycles per removed state);
 *  - memory: DPDK heap bytes allocated by dp_state_create() (rte_hash
 *    buckets, key store, free-slot ring, the record array) divided by the
 *    capacity and by the states at 90% and 50% fill, per family;
 *  - owner: the hash that picks a packet's worker (dataplane/dp_hash.h,
 *    RSS's Toeplitz) and dp_owner(), per IPv4 and IPv6 tuple, over 1,024
 *    random tuples: independent hashes (as in a burst) and each hash
 *    waiting for the last (latency).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/dp.h"
#include "dataplane/dp_hash.h"
#include "dataplane/state.h"

static uint64_t rng_s = 0x2545F4914F6CDD1DULL;

static uint64_t
rng(void)
{
	rng_s ^= rng_s >> 12;
	rng_s ^= rng_s << 25;
	rng_s ^= rng_s >> 27;
	return rng_s * 0x2545F4914F6CDD1DULL;
}

static unsigned int seq;

static struct dp_state_table *
mk(uint32_t cap4, uint32_t cap6)
{
	struct dp_state_conf c = {
		.socket = (int)rte_socket_id(),
		.worker = 0,
		.capacity4 = cap4,
		.capacity6 = cap6,
		.hostid = 1,
		.hash_seed = (uint32_t)rng(),
	};
	char name[16];
	struct dp_state_table *t;
	int err;

	snprintf(name, sizeof(name), "b%u", seq++);
	c.name = name;
	t = dp_state_create(&c, &err);
	if (t == NULL) {
		fprintf(stderr, "dp_state_create(%u, %u): %s\n", cap4, cap6, strerror(-err));
		exit(1);
	}
	return t;
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats s;
	size_t sum = 0;
	int i;

	for (i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (rte_malloc_get_socket_stats(i, &s) == 0)
			sum += s.heap_allocsz_bytes;
	return sum;
}

static void
rand_key4(struct dp_state_key4 *k)
{
	uint64_t r = rng();
	uint8_t s[4], d[4];
	uint32_t a = (uint32_t)r, b = (uint32_t)(r >> 32);
	uint64_t p = rng();
	bool sw;

	memcpy(s, &a, 4);
	memcpy(d, &b, 4);
	dp_state_key_make(4, (p & 1) ? 6 : 17, s, d, (uint16_t)(p >> 8), (uint16_t)(p >> 24), 0,
			  k, &sw);
}

static void
rand_key6(struct dp_state_key6 *k)
{
	uint8_t s[16], d[16];
	uint64_t r[4] = { rng(), rng(), rng(), rng() };
	uint64_t p = rng();
	bool sw;

	memcpy(s, r, 16);
	memcpy(d, r + 2, 16);
	dp_state_key_make(6, 6, s, d, (uint16_t)p, (uint16_t)(p >> 16), 0, k, &sw);
}

static void
shuffle(uint32_t *a, uint32_t n)
{
	uint32_t i;

	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1));
		uint32_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static volatile uint64_t sink;

/* Insert, lookup and expiry figures for n IPv4 states at 90% fill. */
static void
bench_v4(uint32_t n)
{
	uint32_t cap = (uint32_t)(((uint64_t)n * 10 + 8) / 9);
	struct dp_state_table *t = mk(cap, 0);
	struct dp_state_key4 *keys = malloc(sizeof(*keys) * n);
	uint32_t *perm = malloc(sizeof(*perm) * n);
	const uint32_t nq = n < (1u << 22) ? (1u << 22) : n;	/* lookups done */
	const struct dp_state_key4 **q = malloc(sizeof(*q) * nq);
	struct dp_state_key4 *qk = malloc(sizeof(*qk) * nq);
	struct dp_state *out[32];
	uint32_t i, inserted = 0, fails = 0;
	uint64_t t0, ins, blk, blk_touch, single, scan, rm, raw;
	unsigned int removed;
	int err;

	if (keys == NULL || perm == NULL || q == NULL || qk == NULL)
		exit(1);
	for (i = 0; i < n; i++)
		rand_key4(&keys[i]);
	dp_state_tick(t, 1);
	t0 = rte_rdtsc_precise();
	for (i = 0; i < n; i++) {
		struct dp_state *st = dp_state_insert(t, 4, &keys[i], 1, &err);

		if (st == NULL) {
			fails++;
			continue;
		}
		dp_state_touch(t, st, 1, PFTM_UDP_FIRST_PACKET);
		inserted++;
	}
	ins = rte_rdtsc_precise() - t0;

	/* Query stream: random permutations of the present keys. */
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = 0; i < nq; i++) {
		if (i % n == 0)
			shuffle(perm, n);
		qk[i] = keys[perm[i % n]];	/* keys streamed, not chased */
		q[i] = &qk[i];
	}
	t0 = rte_rdtsc_precise();
	for (i = 0; i + 32 <= nq; i += 32)
		sink += dp_state_lookup_bulk4(t, q + i, 32, out);
	blk = rte_rdtsc_precise() - t0;
	/* A bare rte_hash of the same keys (what the table was built on
	 * before), for comparison with DPDK's test_hash_perf figures. */
	{
		char hn[16];
		struct rte_hash_parameters hp = {
			.name = hn, .entries = cap, .key_len = sizeof(struct dp_state_key4),
			.hash_func = rte_hash_crc, .hash_func_init_val = 1,
			.socket_id = (int)rte_socket_id(),
		};
		struct rte_hash *rh;

		snprintf(hn, sizeof(hn), "rh%u", seq++);
		rh = rte_hash_create(&hp);
		if (rh == NULL)
			exit(1);
		for (i = 0; i < n; i++)
			(void)rte_hash_add_key(rh, &keys[i]);
		t0 = rte_rdtsc_precise();
		for (i = 0; i + 32 <= nq; i += 32) {
			int32_t pos[32];

			rte_hash_lookup_bulk(rh, (const void **)(q + i), 32, pos);
			sink += (uint64_t)pos[0];
		}
		raw = rte_rdtsc_precise() - t0;
		rte_hash_free(rh);
	}
	t0 = rte_rdtsc_precise();
	for (i = 0; i + 32 <= nq; i += 32) {
		unsigned int j;
		uint64_t s = 0;

		dp_state_lookup_bulk4(t, q + i, 32, out);
		for (j = 0; j < 32; j++)
			if (out[j] != NULL)
				s += out[j]->expire + out[j]->cnt[1];
		sink += s;
	}
	blk_touch = rte_rdtsc_precise() - t0;
	t0 = rte_rdtsc_precise();
	for (i = 0; i < nq; i++) {
		struct dp_state *st = dp_state_lookup4(t, q[i]);

		sink += st != NULL;
	}
	single = rte_rdtsc_precise() - t0;

	/* Expiry: a sweep finding nothing, then one removing everything. */
	t0 = rte_rdtsc_precise();
	removed = dp_state_expire(t, 0, t->total, NULL, NULL);
	scan = rte_rdtsc_precise() - t0;
	if (removed != 0)
		fprintf(stderr, "unexpected removals\n");
	t0 = rte_rdtsc_precise();
	removed = dp_state_expire(t, 1000000, t->total, NULL, NULL);
	rm = rte_rdtsc_precise() - t0;

	printf("IPv4 %8u states (capacity %8u): insert %6.1f cyc/state (%u refused)  "
	       "bulk-32 lookup %6.1f cyc/key (bare rte_hash %6.1f), +record read %6.1f  single %6.1f  "
	       "expiry scan %5.1f cyc/record, remove %6.1f cyc/state (%u)\n",
	       inserted, cap, (double)ins / n, fails, (double)blk / (nq / 32 * 32),
	       (double)raw / (nq / 32 * 32),
	       (double)blk_touch / (nq / 32 * 32), (double)single / nq,
	       (double)scan / t->total, removed ? (double)rm / removed : 0.0, removed);
	dp_state_free(t);
	free(q);
	free(qk);
	free(perm);
	free(keys);
}

/* Heap bytes of a table of one family, and a fill to check it holds. */
static void
bench_mem(uint8_t af, uint32_t cap)
{
	size_t before = heap_used(), bytes;
	struct dp_state_table *t = af == 4 ? mk(cap, 0) : mk(0, cap);
	uint32_t fill = (uint32_t)((uint64_t)cap * 9 / 10), i, fails = 0;
	/* An IPv6 state takes two records (state.h). */
	double rec = (af == 4 ? 1 : 2) * sizeof(struct dp_state);
	uint64_t t0, c;
	int err;

	bytes = heap_used() - before;
	t0 = rte_rdtsc_precise();
	for (i = 0; i < fill; i++) {
		union dp_state_key k;

		if (af == 4)
			rand_key4(&k.k4);
		else
			rand_key6(&k.k6);
		if (dp_state_insert(t, af, &k, 1, &err) == NULL)
			fails++;
	}
	c = rte_rdtsc_precise() - t0;
	printf("IPv%u capacity %8u: %7.1f MiB = %6.1f B/capacity (index %5.1f + record %2.0f); "
	       "%6.1f B/state at 90%% fill, %6.1f at 50%%; 90%% fill: %u refused, "
	       "%.0f cyc/insert incl. key gen\n",
	       af, cap, bytes / 1048576.0, (double)bytes / cap, (double)bytes / cap - rec, rec,
	       (double)bytes / ((double)cap * 0.9), (double)bytes / ((double)cap * 0.5), fails,
	       (double)c / fill);
	dp_state_free(t);
}

/* dp_hash_tuple() + dp_owner_of() for 3 workers; chained: each tuple picked by the last owner. */
static double
owner_run(uint8_t (*a)[16], uint8_t (*b)[16], const uint16_t *pa, const uint16_t *pb,
	  unsigned int alen, bool chained)
{
	const unsigned int n = 1024, rounds = 4000;
	uint32_t acc = 0;
	uint64_t t0 = rte_rdtsc();

	if (chained)
		for (unsigned int k = 0; k < n * rounds; k++) {
			unsigned int i = (acc + k) & (n - 1);

			acc += dp_owner_of(3, dp_hash_tuple(a[i], b[i], alen,
							    (uint16_t)(pa[i] ^ (k >> 10)), pb[i]));
		}
	else
		for (unsigned int k = 0; k < n * rounds; k++) {
			unsigned int i = k & (n - 1);

			acc += dp_owner_of(3, dp_hash_tuple(a[i], b[i], alen,
							    (uint16_t)(pa[i] ^ (k >> 10)), pb[i]));
		}
	sink += acc;
	return (double)(rte_rdtsc() - t0) / ((double)n * rounds);
}

static void
bench_owner(void)
{
	static uint8_t a[1024][16], b[1024][16];
	static uint16_t pa[1024], pb[1024];

	for (unsigned int i = 0; i < 1024; i++) {
		for (unsigned int j = 0; j < 16; j += 8) {
			uint64_t x = rng(), y = rng();

			memcpy(&a[i][j], &x, 8);
			memcpy(&b[i][j], &y, 8);
		}
		pa[i] = (uint16_t)rng();
		pb[i] = (uint16_t)rng();
	}
	for (unsigned int alen = 4; alen <= 16; alen += 12)
		printf("owner hash IPv%u: %.1f cyc/packet independent, %.1f chained\n",
		       alen == 4 ? 4 : 6, owner_run(a, b, pa, pb, alen, false),
		       owner_run(a, b, pa, pb, alen, true));
}

int
main(int argc, char **argv)
{
	char *def[] = { argv[0], (char *)"--no-huge", (char *)"-m", (char *)"3072",
			(char *)"--no-shconf", (char *)"--no-pci", (char *)"--no-telemetry",
			(char *)"--log-level=4", NULL };
	char *def_huge[] = { argv[0], (char *)"--in-memory", (char *)"--no-pci",
			     (char *)"--no-telemetry", (char *)"--log-level=4", NULL };
	bool quick = false;
	int n, i;
	FILE *f;
	char line[128];
	long huge_free = 0;

	if (argc > 1 && strcmp(argv[1], "--") != 0) {
		n = rte_eal_init(argc, argv);
	} else {
		f = fopen("/proc/meminfo", "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			sscanf(line, "HugePages_Free: %ld", &huge_free);
		if (f != NULL)
			fclose(f);
		if (huge_free > 0)
			n = rte_eal_init((int)RTE_DIM(def_huge) - 1, def_huge);
		else
			n = rte_eal_init((int)RTE_DIM(def) - 1, def);
		printf("EAL: %s\n", huge_free > 0 ? "hugepages" : "--no-huge (4 KB pages)");
		n = 0;
	}
	if (n < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	for (i = n + 1; i < argc; i++)
		if (strcmp(argv[i], "-q") == 0)
			quick = true;
	printf("TSC %.3f GHz, lcore %u, sizeof(struct dp_state) = %zu\n",
	       rte_get_tsc_hz() / 1e9, rte_lcore_id(), sizeof(struct dp_state));
	bench_owner();
	bench_v4(1000);
	bench_v4(quick ? 100000 : 1000000);
	bench_mem(4, 1000000);
	bench_mem(6, 1000000);
	if (!quick) {
		bench_mem(4, 2000000);
		bench_mem(6, 2000000);
		bench_mem(4, (1u << 20) - 1);
		bench_mem(4, 1u << 20);
	}
	printf("sink %lu\n", (unsigned long)sink);
	rte_eal_cleanup();
	return 0;
}
