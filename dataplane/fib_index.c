/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the FIB build's key index (fib_index.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/fib_index.h"

#define FIB_INDEX_MIN 64

/* FNV-1a over the key, then a 64-bit finalizer (murmur3's) for the low bits. */
static uint64_t
fib_index_hash(const uint8_t *k, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint32_t i = 0; i < len; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int
fib_index_alloc(struct fib_index *x, uint32_t cap)
{
	x->keys = malloc((size_t)cap * x->klen);
	x->vals = malloc((size_t)cap * sizeof(*x->vals));
	if (x->keys == NULL || x->vals == NULL) {
		free(x->keys);
		free(x->vals);
		x->keys = NULL;
		x->vals = NULL;
		return -ENOMEM;
	}
	memset(x->vals, 0xff, (size_t)cap * sizeof(*x->vals));	/* FIB_INDEX_EMPTY */
	x->cap = cap;
	x->n = 0;
	return 0;
}

int
fib_index_init(struct fib_index *x, uint32_t klen, uint32_t hint)
{
	uint32_t cap = FIB_INDEX_MIN;

	memset(x, 0, sizeof(*x));
	if (klen == 0 || klen > FIB_INDEX_KEY_MAX)
		return -EINVAL;
	x->klen = klen;
	while (cap < (1u << 30) && cap / 2 < hint)
		cap *= 2;
	return fib_index_alloc(x, cap);
}

void
fib_index_fini(struct fib_index *x)
{
	free(x->keys);
	free(x->vals);
	memset(x, 0, sizeof(*x));
}

/* The slot that holds key, or the free slot where it would go. */
static uint32_t
fib_index_slot(const struct fib_index *x, const void *key)
{
	uint32_t mask = x->cap - 1, i = (uint32_t)fib_index_hash(key, x->klen) & mask;

	while (x->vals[i] != FIB_INDEX_EMPTY &&
	       memcmp(x->keys + (size_t)i * x->klen, key, x->klen) != 0)
		i = (i + 1) & mask;
	return i;
}

static int
fib_index_grow(struct fib_index *x)
{
	struct fib_index old = *x;

	if (x->cap >= (1u << 30) || fib_index_alloc(x, x->cap * 2) != 0) {
		*x = old;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < old.cap; i++) {
		uint32_t s;

		if (old.vals[i] == FIB_INDEX_EMPTY)
			continue;
		s = fib_index_slot(x, old.keys + (size_t)i * old.klen);
		memcpy(x->keys + (size_t)s * x->klen, old.keys + (size_t)i * old.klen, x->klen);
		x->vals[s] = old.vals[i];
		x->n++;
	}
	free(old.keys);
	free(old.vals);
	return 0;
}

int64_t
fib_index_get(const struct fib_index *x, const void *key)
{
	uint32_t s;

	if (x->cap == 0)
		return -1;
	s = fib_index_slot(x, key);
	return x->vals[s] == FIB_INDEX_EMPTY ? -1 : (int64_t)x->vals[s];
}

int64_t
fib_index_get_or_add(struct fib_index *x, const void *key, uint32_t v)
{
	uint32_t s;

	if (v == FIB_INDEX_EMPTY || x->cap == 0)
		return -EINVAL;
	s = fib_index_slot(x, key);
	if (x->vals[s] != FIB_INDEX_EMPTY)
		return x->vals[s];
	if ((x->n + 1) * 2 > x->cap) {
		if (fib_index_grow(x) != 0)
			return -ENOMEM;
		s = fib_index_slot(x, key);
	}
	memcpy(x->keys + (size_t)s * x->klen, key, x->klen);
	x->vals[s] = v;
	x->n++;
	return v;
}
