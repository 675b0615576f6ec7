/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A latency histogram for pfsync's operator figures (`show pfsync`: sync
 * latency p50/p99): microsecond values in log-linear buckets, 16 per power
 * of two (at most 1/16 = 6.25% above the value), exact below 16 us.  Pure:
 * no clock, no I/O; adding is a few instructions, so it runs per record.
 * In proto/ so that the dataplane's defer hold queues (dataplane/defer.h)
 * keep their deferral delays in the same buckets.
 *
 * Ownership: one writer per histogram (the control core's sync latencies;
 * each worker's deferral delays); readers sum or read them without locks.
 */
#ifndef DPF_PROTO_PFSYNC_HIST_H
#define DPF_PROTO_PFSYNC_HIST_H

#include <stdint.h>
#include <string.h>

#define PFSYNC_HIST_SUB_BITS 4
#define PFSYNC_HIST_SUB (1u << PFSYNC_HIST_SUB_BITS)
/* 16 exact buckets, then 16 per power of two from 2^4 to 2^35 us (~9.5 h). */
#define PFSYNC_HIST_BUCKETS (PFSYNC_HIST_SUB + 32 * PFSYNC_HIST_SUB)

struct pfsync_hist {
	uint64_t n;			/* values added */
	uint64_t max;			/* largest value added */
	uint64_t b[PFSYNC_HIST_BUCKETS];
};

static inline unsigned int
pfsync_hist_bucket(uint64_t v)
{
	unsigned int e, i;

	if (v < PFSYNC_HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);	/* >= PFSYNC_HIST_SUB_BITS */
	i = PFSYNC_HIST_SUB + (e - PFSYNC_HIST_SUB_BITS) * PFSYNC_HIST_SUB +
	    (unsigned int)((v >> (e - PFSYNC_HIST_SUB_BITS)) & (PFSYNC_HIST_SUB - 1));
	return i < PFSYNC_HIST_BUCKETS ? i : PFSYNC_HIST_BUCKETS - 1;
}

/* The largest value bucket i holds. */
static inline uint64_t
pfsync_hist_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < PFSYNC_HIST_SUB)
		return i;
	e = (i - PFSYNC_HIST_SUB) / PFSYNC_HIST_SUB + PFSYNC_HIST_SUB_BITS;
	sub = (i - PFSYNC_HIST_SUB) % PFSYNC_HIST_SUB;
	return (((uint64_t)(PFSYNC_HIST_SUB + sub + 1)) << (e - PFSYNC_HIST_SUB_BITS)) - 1;
}

static inline void
pfsync_hist_add(struct pfsync_hist *h, uint64_t v)
{
	h->b[pfsync_hist_bucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

/*
 * The value at or below which permille/1000 of the values lie, as the
 * upper edge of its bucket (never above the largest value); 0 when empty.
 */
static inline uint64_t
pfsync_hist_pct(const struct pfsync_hist *h, unsigned int permille)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (h->n == 0)
		return 0;
	want = (h->n * permille + 999) / 1000;
	if (want == 0)
		want = 1;
	for (i = 0; i < PFSYNC_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			/* The last bucket also holds everything above its range. */
			uint64_t u = i + 1 < PFSYNC_HIST_BUCKETS ? pfsync_hist_upper(i) : h->max;

			return u < h->max ? u : h->max;
		}
	}
	return h->max;
}

/* Adds src's values to dst (sums of several writers' histograms). */
static inline void
pfsync_hist_merge(struct pfsync_hist *dst, const struct pfsync_hist *src)
{
	unsigned int i;

	for (i = 0; i < PFSYNC_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

static inline void
pfsync_hist_reset(struct pfsync_hist *h)
{
	memset(h, 0, sizeof(*h));
}

#endif /* DPF_PROTO_PFSYNC_HIST_H */
