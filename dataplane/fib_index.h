/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * An index of fixed-size keys to 32-bit values, for the FIB build
 * (route.c): one prefix's entry in the route table, one next hop's id.
 * Building a FIB of n prefixes looked each one up in a linear list, n^2/2
 * comparisons (about 2 s of control loop at 80,000 routes); this makes
 * each lookup O(1) expected.
 *
 * Open addressing with linear probing, at most half full, grown by
 * doubling.  Pure C (no DPDK): it is unit-tested alone (test_fib_index.c).
 * Not thread-safe: one builder owns an index.
 */
#ifndef DPF_DATAPLANE_FIB_INDEX_H
#define DPF_DATAPLANE_FIB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define FIB_INDEX_KEY_MAX 32		/* bytes in a key */

struct fib_index {
	uint8_t *keys;			/* cap keys of klen bytes */
	uint32_t *vals;			/* FIB_INDEX_EMPTY: the slot is free */
	uint32_t cap;			/* a power of two */
	uint32_t n;
	uint32_t klen;
};

#define FIB_INDEX_EMPTY UINT32_MAX

/* An empty index of keys of klen bytes (1..FIB_INDEX_KEY_MAX); -ENOMEM, -EINVAL. */
int fib_index_init(struct fib_index *x, uint32_t klen, uint32_t hint);
void fib_index_fini(struct fib_index *x);
/*
 * The value stored for key; if there is none, stores v (not
 * FIB_INDEX_EMPTY) for it and returns v.  -ENOMEM (nothing stored) when
 * the index cannot grow.  Keys are compared as bytes: callers clear
 * padding and bits that do not count (host bits of a prefix).
 */
int64_t fib_index_get_or_add(struct fib_index *x, const void *key, uint32_t v);
/* The value stored for key, or -1. */
int64_t fib_index_get(const struct fib_index *x, const void *key);

#endif /* DPF_DATAPLANE_FIB_INDEX_H */
