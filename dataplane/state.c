/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the per-worker state table (see state.h for the contract).
 *
 * Records: one array of struct dp_state (96 bytes, the first at a cache
 * line) for both families.  A record is live (af 4 or 6), an IPv6 state's
 * address record (af 0, its first 32 bytes the two addresses), or free
 * (af 0).  Free records are taken from a LIFO list threaded through their
 * `expire` field, so a record freed a moment ago (still in cache) is the
 * next one used, and then from `fresh`, the first record never used, so
 * that a table no bigger than its states touches no more memory than they
 * need.
 *
 * Index: nb buckets of 8 entries, each a 16-bit signature (the CRC's low
 * half; 0 marks an empty entry) and a record index, in one 64-byte line.
 * A key's primary bucket is the CRC's high bits scaled to nb (no power of
 * two needed, so the index costs 64 / 7 bytes a record, not up to twice
 * that); its secondary is primary + an offset drawn from the signature
 * (mod nb), so an entry's other bucket is known from its bucket, its
 * signature and one `alt` bit.  An insert takes a free entry of the
 * primary, else of the secondary, else moves entries along the shortest
 * path found by a bounded breadth-first search to a bucket with room
 * (cuckoo hashing, as DPDK's rte_hash does [DPDK 22.11
 * lib/hash/rte_cuckoo_hash.c rte_hash_cuckoo_make_space_mw]).  Each bucket
 * counts the keys of which it is the primary that live in their
 * secondary (`ovf`): a lookup reads the secondary only when that count is
 * not 0, so a lookup, hit or miss, reads one bucket and (on a signature
 * match) one record.  With nb = total / 7 + 2 the index is at most 7/8
 * full.  Only the owning worker reads the index, so entries may move
 * without readers to protect.
 *
 * Readers on the control core read records by position under the
 * record's sequence count; an IPv6 state's address record changes only
 * inside an insert or remove of its state, which changes that count.
 *
 * The peer index ((id, creatorid) -> record) is an rte_hash: it is used
 * by pfsync, once per message, not per packet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dataplane/state.h"
#include "proto/proto.h"

#define BKT_N 8
#define REC_NONE UINT32_MAX
/* Buckets a cuckoo search looks at before it gives up (-ENOSPC). */
#define BFS_MAX 64

struct dp_state_bucket {
	uint16_t sig[BKT_N];	/* 0: 0 = empty entry */
	uint32_t idx[BKT_N];	/* 16: record index */
	uint32_t ovf;		/* 48: keys whose primary this is, in their secondary */
	uint8_t alt;		/* 52: bit i: entry i is in its key's secondary bucket */
	uint8_t pad[11];
} __rte_cache_aligned;

_Static_assert(sizeof(struct dp_state_bucket) == 64, "a bucket is one cache line");

/* Key of the peer index: identity as pfsync carries it (host order here). */
struct dp_state_peer_key {
	uint64_t id;
	uint32_t creatorid;
	uint32_t pad;
};

/*
 * Sequence count, writer side: odd while the record changes.  The release
 * fence after the odd store keeps the record's stores after it; the
 * release store of the even value keeps them before it [the same protocol
 * as DPDK's rte_seqcount, which is experimental in 22.11].
 */
static inline void
gen_begin(struct dp_state *st)
{
	__atomic_store_n(&st->gen, st->gen + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
gen_end(struct dp_state *st)
{
	__atomic_store_n(&st->gen, st->gen + 1, __ATOMIC_RELEASE);
}

/* Clears a record except its sequence count, which readers may be reading. */
static inline void
record_clear(struct dp_state *st)
{
	memset(st, 0, offsetof(struct dp_state, gen));
	memset((char *)st + offsetof(struct dp_state, cnt), 0,
	       sizeof(*st) - offsetof(struct dp_state, cnt));
}

/* ---- hashing ---- */

static inline uint32_t
crc4(uint32_t seed, const struct dp_state_key4 *k)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, (const char *)k + 8, 8);
	return rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, seed));
}

static inline uint32_t
crc6(uint32_t seed, const struct dp_state_key6 *k)
{
	uint64_t w[5];
	uint32_t h = seed;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

static inline uint32_t
key_crc(const struct dp_state_table *tbl, uint8_t af, const void *key)
{
	return af == 4 ? crc4(tbl->seed, key) : crc6(tbl->seed, key);
}

static inline uint16_t
h_sig(uint32_t h)
{
	uint16_t s = (uint16_t)h;

	return s != 0 ? s : 1;
}

static inline uint32_t
h_bkt(const struct dp_state_table *tbl, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * tbl->nb) >> 32);
}

/* Offset of a key's secondary bucket from its primary: 1 .. nb - 1. */
static inline uint32_t
alt_off(const struct dp_state_table *tbl, uint16_t sig)
{
	return 1 + (uint32_t)(((uint64_t)sig * (tbl->nb - 1)) >> 16);
}

static inline uint32_t
bkt_fwd(const struct dp_state_table *tbl, uint32_t b, uint32_t off)
{
	b += off;
	return b >= tbl->nb ? b - tbl->nb : b;
}

static inline uint32_t
bkt_back(const struct dp_state_table *tbl, uint32_t b, uint32_t off)
{
	return b >= off ? b - off : b + tbl->nb - off;
}

/* Entries of b whose signature is sig: bit 2i (and 2i + 1) for entry i. */
static inline unsigned int
sig_match(const struct dp_state_bucket *b, uint16_t sig)
{
#ifdef __SSE2__
	__m128i v = _mm_load_si128((const __m128i *)(const void *)b->sig);

	return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig)));
#else
	unsigned int i, m = 0;

	for (i = 0; i < BKT_N; i++)
		if (b->sig[i] == sig)
			m |= 3u << (2 * i);
	return m;
#endif
}

/* The first entry of a sig_match() mask; clears it from *m. */
static inline unsigned int
mask_next(unsigned int *m)
{
	unsigned int i = (unsigned int)__builtin_ctz(*m) >> 1;

	*m &= ~(3u << (2 * i));
	return i;
}

/* ---- records ---- */

static inline uint32_t
rec_alloc(struct dp_state_table *tbl)
{
	uint32_t r = tbl->free_head;

	if (r != REC_NONE) {
		tbl->free_head = tbl->st[r].expire;
		return r;
	}
	if (tbl->fresh < tbl->total)
		return tbl->fresh++;
	return REC_NONE;
}

/* r is cleared (af 0): readers ignore it, and its expire is the link. */
static inline void
rec_free(struct dp_state_table *tbl, uint32_t r)
{
	tbl->st[r].expire = tbl->free_head;
	tbl->free_head = r;
}

/* The address record of an IPv6 state (or of a copy of one), or NULL. */
static inline const uint8_t *
addr_of(const struct dp_state_table *tbl, const struct dp_state *st)
{
	uint32_t a = st->k.k6.addr_rec;

	return a < tbl->total ? (const uint8_t *)&tbl->st[a] : NULL;
}

/* Does record st hold key (of family af)? */
static inline bool
rec_eq(const struct dp_state_table *tbl, const struct dp_state *st, uint8_t af, const void *key)
{
	uint64_t a0, a1, b0, b1;

	if (af == 4) {
		memcpy(&a0, &st->k, 8);
		memcpy(&a1, (const char *)&st->k + 8, 8);
		memcpy(&b0, key, 8);
		memcpy(&b1, (const char *)key + 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0 && st->af == 4;
	}
	/* IPv6: the tail (ports, proto, pad, zone) in the record, then the
	 * addresses in the address record. */
	memcpy(&a0, &st->k, 8);
	memcpy(&b0, (const char *)key + offsetof(struct dp_state_key6, port), 8);
	if (a0 != b0 || st->af != 6)
		return false;
	return memcmp(addr_of(tbl, st), key, 32) == 0;
}

/* ---- the index ---- */

/* Record index of key in bucket b (entries in mask m), or REC_NONE. */
static inline uint32_t
bkt_find(const struct dp_state_table *tbl, const struct dp_state_bucket *b, unsigned int m,
	 uint8_t af, const void *key)
{
	while (m != 0) {
		uint32_t r = b->idx[mask_next(&m)];

		if (rec_eq(tbl, &tbl->st[r], af, key))
			return r;
	}
	return REC_NONE;
}

/* The secondary bucket of a key whose primary is b1 (its ovf is not 0). */
static inline uint32_t
find_alt(const struct dp_state_table *tbl, uint32_t b1, uint16_t sig, uint8_t af,
	 const void *key)
{
	const struct dp_state_bucket *b = &tbl->bkt[bkt_fwd(tbl, b1, alt_off(tbl, sig))];

	return bkt_find(tbl, b, sig_match(b, sig), af, key);
}

static inline uint32_t
find(const struct dp_state_table *tbl, uint8_t af, const void *key, uint32_t h)
{
	uint32_t b1 = h_bkt(tbl, h), r;
	uint16_t sig = h_sig(h);
	const struct dp_state_bucket *b = &tbl->bkt[b1];

	r = bkt_find(tbl, b, sig_match(b, sig), af, key);
	if (r == REC_NONE && b->ovf != 0)
		r = find_alt(tbl, b1, sig, af, key);
	return r;
}

/* The other bucket of entry i of bucket bi. */
static inline uint32_t
entry_other(const struct dp_state_table *tbl, uint32_t bi, unsigned int i)
{
	const struct dp_state_bucket *b = &tbl->bkt[bi];
	uint32_t off = alt_off(tbl, b->sig[i]);

	return (b->alt >> i) & 1 ? bkt_back(tbl, bi, off) : bkt_fwd(tbl, bi, off);
}

static inline void
entry_set(struct dp_state_table *tbl, uint32_t bi, unsigned int i, uint16_t sig, uint32_t r,
	  bool alt)
{
	struct dp_state_bucket *b = &tbl->bkt[bi];

	b->sig[i] = sig;
	b->idx[i] = r;
	b->alt = (uint8_t)((b->alt & ~(1u << i)) | ((unsigned int)alt << i));
}

/* Moves entry i of bucket from to entry j of its other bucket to. */
static void
entry_move(struct dp_state_table *tbl, uint32_t from, unsigned int i, uint32_t to, unsigned int j)
{
	struct dp_state_bucket *b = &tbl->bkt[from];
	bool was_alt = (b->alt >> i) & 1;

	entry_set(tbl, to, j, b->sig[i], b->idx[i], !was_alt);
	if (was_alt)
		tbl->bkt[to].ovf--;	/* back in its primary */
	else
		b->ovf++;		/* from its primary to its secondary */
	b->sig[i] = 0;
}

/* A free entry of bucket bi, or -1. */
static inline int
bkt_free_entry(const struct dp_state_table *tbl, uint32_t bi)
{
	unsigned int m = sig_match(&tbl->bkt[bi], 0);

	return m != 0 ? (int)mask_next(&m) : -1;
}

struct bfs_node {
	uint32_t b;		/* bucket */
	int16_t parent;		/* node whose entry `slot` moves here; -1: a root */
	uint8_t slot;
};

/*
 * Both buckets of a new key are full: find the shortest chain of moves
 * that frees an entry in one of them (breadth first, each bucket once, at
 * most BFS_MAX buckets), carry it out from its far end, and put the key in
 * the freed entry.
 */
static int
cuckoo_insert(struct dp_state_table *tbl, uint32_t b1, uint32_t b2, uint16_t sig, uint32_t r)
{
	struct bfs_node q[BFS_MAX];
	unsigned int head, tail = 0, k;

	q[tail++] = (struct bfs_node){ .b = b1, .parent = -1, .slot = 0 };
	q[tail++] = (struct bfs_node){ .b = b2, .parent = -1, .slot = 0 };
	for (head = 0; head < tail; head++) {
		unsigned int i;

		for (i = 0; i < BKT_N; i++) {
			uint32_t other = entry_other(tbl, q[head].b, i);
			unsigned int cur, freed;
			bool seen = false;
			int f;

			for (k = 0; k < tail && !seen; k++)
				seen = q[k].b == other;
			if (seen)
				continue;
			f = bkt_free_entry(tbl, other);
			if (f < 0) {
				if (tail < BFS_MAX)
					q[tail++] = (struct bfs_node){ .b = other,
						.parent = (int16_t)head, .slot = (uint8_t)i };
				continue;
			}
			/* Carry the chain out from its free end back to a root. */
			entry_move(tbl, q[head].b, i, other, (unsigned int)f);
			freed = i;
			for (cur = head; q[cur].parent >= 0; cur = (unsigned int)q[cur].parent) {
				unsigned int p = (unsigned int)q[cur].parent;

				entry_move(tbl, q[p].b, q[cur].slot, q[cur].b, freed);
				freed = q[cur].slot;
			}
			entry_set(tbl, q[cur].b, freed, sig, r, q[cur].b != b1);
			if (q[cur].b != b1)
				tbl->bkt[b1].ovf++;
			return 0;
		}
	}
	return -ENOSPC;
}

static int
idx_insert(struct dp_state_table *tbl, uint32_t h, uint32_t r)
{
	uint32_t b1 = h_bkt(tbl, h), b2;
	uint16_t sig = h_sig(h);
	int f = bkt_free_entry(tbl, b1);

	if (f >= 0) {
		entry_set(tbl, b1, (unsigned int)f, sig, r, false);
		return 0;
	}
	b2 = bkt_fwd(tbl, b1, alt_off(tbl, sig));
	f = bkt_free_entry(tbl, b2);
	if (f >= 0) {
		entry_set(tbl, b2, (unsigned int)f, sig, r, true);
		tbl->bkt[b1].ovf++;
		return 0;
	}
	return cuckoo_insert(tbl, b1, b2, sig, r);
}

static void
idx_remove(struct dp_state_table *tbl, uint32_t h, uint32_t r)
{
	uint32_t b1 = h_bkt(tbl, h), b2;
	struct dp_state_bucket *b = &tbl->bkt[b1];
	unsigned int i;

	for (i = 0; i < BKT_N; i++) {
		if (b->sig[i] != 0 && b->idx[i] == r && !((b->alt >> i) & 1)) {
			b->sig[i] = 0;
			return;
		}
	}
	b2 = bkt_fwd(tbl, b1, alt_off(tbl, h_sig(h)));
	b = &tbl->bkt[b2];
	for (i = 0; i < BKT_N; i++) {
		if (b->sig[i] != 0 && b->idx[i] == r && ((b->alt >> i) & 1)) {
			b->sig[i] = 0;
			tbl->bkt[b1].ovf--;
			return;
		}
	}
}

/* The key of a live record (or of a consistent copy of one) into key_out. */
static inline void
key_fill(const struct dp_state_table *tbl, const struct dp_state *st, void *key_out)
{
	if (st->af == 4) {
		memcpy(key_out, &st->k.k4, sizeof(st->k.k4));
	} else {
		struct dp_state_key6 *k6 = key_out;
		const uint8_t *a = addr_of(tbl, st);

		if (a != NULL)
			memcpy(k6->addr, a, 32);
		else
			memset(k6->addr, 0, 32);
		memcpy(k6->port, &st->k, 8);
	}
}

static inline uint32_t
rec_crc(const struct dp_state_table *tbl, const struct dp_state *st)
{
	union dp_state_key k;

	key_fill(tbl, st, &k);
	return key_crc(tbl, st->af, &k);
}

int
dp_state_check(const struct dp_state_table *tbl)
{
	uint32_t b, r, entries = 0, live = 0, addr = 0, nfree = 0;
	uint32_t *ovf = calloc(tbl->nb, sizeof(*ovf));
	unsigned int i;
	int rc = 0;

	if (ovf == NULL)
		return -ENOMEM;
	for (b = 0; b < tbl->nb && rc == 0; b++) {
		const struct dp_state_bucket *bk = &tbl->bkt[b];

		for (i = 0; i < BKT_N && rc == 0; i++) {
			const struct dp_state *st;
			uint32_t h, b1;

			if (bk->sig[i] == 0)
				continue;
			entries++;
			if (bk->idx[i] >= tbl->fresh) {
				rc = -1;
				break;
			}
			st = &tbl->st[bk->idx[i]];
			if (st->af != 4 && st->af != 6) {
				rc = -2;
				break;
			}
			h = rec_crc(tbl, st);
			b1 = h_bkt(tbl, h);
			if (h_sig(h) != bk->sig[i])
				rc = -3;
			else if ((bk->alt >> i) & 1 ?
				 bkt_fwd(tbl, b1, alt_off(tbl, bk->sig[i])) != b : b1 != b)
				rc = -4;
			else if ((bk->alt >> i) & 1)
				ovf[b1]++;
		}
	}
	for (b = 0; b < tbl->nb && rc == 0; b++)
		if (ovf[b] != tbl->bkt[b].ovf)
			rc = -5;
	free(ovf);
	for (r = 0; r < tbl->fresh && rc == 0; r++) {
		const struct dp_state *st = &tbl->st[r];
		union dp_state_key k;

		if (st->af == 0)
			continue;
		live++;
		if (st->af == 6) {
			if (st->k.k6.addr_rec >= tbl->fresh || tbl->st[st->k.k6.addr_rec].af != 0) {
				rc = -6;
				break;
			}
			addr++;
		}
		key_fill(tbl, st, &k);
		if (find(tbl, st->af, &k, key_crc(tbl, st->af, &k)) != r)
			rc = -7;
	}
	if (rc != 0)
		return rc;
	for (r = tbl->free_head; r != REC_NONE; r = tbl->st[r].expire)
		if (r >= tbl->fresh || tbl->st[r].af != 0 || ++nfree > tbl->fresh)
			return -8;
	if (live != entries || live != tbl->count || live + addr + nfree != tbl->fresh)
		return -9;
	return 0;
}

/* ---- create, free ---- */

static struct rte_hash *
hash_make(const struct dp_state_table *tbl, char suffix, uint32_t entries, uint32_t key_len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.hash_func_init_val = tbl->seed,
		.socket_id = tbl->socket,
		.extra_flag = 0,
	};

	snprintf(name, sizeof(name), "%s%c", tbl->name, suffix);
	return rte_hash_create(&hp);
}

static int
peer_index_create(struct dp_state_table *tbl)
{
	uint32_t n = RTE_MAX(tbl->total, (uint32_t)8);
	struct rte_hash *h;

	tbl->peer_idx = rte_zmalloc_socket("dp_state_peer", (size_t)n * sizeof(uint32_t),
					   RTE_CACHE_LINE_SIZE, tbl->socket);
	if (tbl->peer_idx == NULL)
		return -ENOMEM;
	h = hash_make(tbl, 'p', n, sizeof(struct dp_state_peer_key));
	if (h == NULL) {
		rte_free(tbl->peer_idx);
		tbl->peer_idx = NULL;
		return -ENOMEM;
	}
	/* Published for dp_state_snapshot() readers. */
	__atomic_store_n(&tbl->peer, h, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Writes one byte of every 4 KiB page of fresh, zeroed memory (with the
 * zero it already holds).  rte_zmalloc() does not touch memory the heap
 * never used, and with --no-huge that memory is anonymous pages not yet
 * faulted in: the worker would fault them in itself, one page per few
 * dozen new states, at about 10 us a fault in a VM (docs/BENCHMARKS.md,
 * "cold" passes).  Here the control core pays it once, at start.
 */
static void
pretouch(void *mem, size_t len)
{
	volatile uint8_t *p = mem;
	size_t off;

	for (off = 0; off < len; off += 4096)
		p[off] = 0;
	if (len != 0)
		p[len - 1] = 0;
}

struct dp_state_table *
dp_state_create(const struct dp_state_conf *conf, int *err)
{
	struct dp_state_table *tbl;
	uint64_t total = (uint64_t)conf->capacity4 + 2ULL * conf->capacity6;

	*err = -EINVAL;
	if (conf->name == NULL || strlen(conf->name) > 20 ||
	    conf->worker > DP_STATE_MAX_WORKER || conf->hostid == 0 ||
	    total == 0 || total > DP_STATE_MAX_RECORDS ||
	    (conf->capacity4 != 0 && conf->capacity4 < 8) ||
	    (conf->capacity6 != 0 && conf->capacity6 < 8))
		return NULL;

	*err = -ENOMEM;
	tbl = rte_zmalloc_socket("dp_state_table", sizeof(*tbl), RTE_CACHE_LINE_SIZE,
				 conf->socket);
	if (tbl == NULL)
		return NULL;
	snprintf(tbl->name, sizeof(tbl->name), "%s", conf->name);
	tbl->socket = conf->socket;
	tbl->cap4 = conf->capacity4;
	tbl->cap6 = conf->capacity6;
	tbl->total = (uint32_t)total;
	tbl->nb = tbl->total / 7 + 2;
	tbl->free_head = REC_NONE;
	tbl->fresh = 0;
	tbl->hostid = conf->hostid;
	tbl->worker = conf->worker;
	tbl->id_hi = DP_STATE_ID_LOCAL |
		((uint64_t)(conf->id_epoch & 0x7fff) << DP_STATE_ID_EPOCH_SHIFT);
	tbl->seed = conf->hash_seed;
	tbl->global = conf->global != NULL ? conf->global : &tbl->own_global;
	tbl->limit = conf->limit;

	tbl->st = rte_zmalloc_socket("dp_state", (size_t)total * sizeof(struct dp_state),
				     RTE_CACHE_LINE_SIZE, conf->socket);
	tbl->bkt = rte_zmalloc_socket("dp_state_idx",
				      (size_t)tbl->nb * sizeof(struct dp_state_bucket),
				      RTE_CACHE_LINE_SIZE, conf->socket);
	if (tbl->st == NULL || tbl->bkt == NULL)
		goto fail;
	pretouch(tbl->st, (size_t)total * sizeof(struct dp_state));
	pretouch(tbl->bkt, (size_t)tbl->nb * sizeof(struct dp_state_bucket));
	if (conf->peer_index && peer_index_create(tbl) < 0)
		goto fail;
	tbl->tick_now = 0;
	dp_state_set_timeouts(tbl, conf->timeouts);
	*err = 0;
	return tbl;
fail:
	dp_state_free(tbl);
	return NULL;
}

void
dp_state_free(struct dp_state_table *tbl)
{
	if (tbl == NULL)
		return;
	if (tbl->count != 0)
		atomic_fetch_sub_explicit(tbl->global, tbl->count, memory_order_relaxed);
	rte_hash_free(tbl->peer);
	rte_free(tbl->peer_idx);
	rte_free(tbl->bkt);
	rte_free(tbl->st);
	rte_free(tbl);
}

/* ---- lookups ---- */

struct dp_state *
dp_state_lookup4(const struct dp_state_table *tbl, const struct dp_state_key4 *key)
{
	uint32_t r = find(tbl, 4, key, crc4(tbl->seed, key));

	return r != REC_NONE ? &tbl->st[r] : NULL;
}

struct dp_state *
dp_state_lookup6(const struct dp_state_table *tbl, const struct dp_state_key6 *key)
{
	uint32_t r = find(tbl, 6, key, crc6(tbl->seed, key));

	return r != REC_NONE ? &tbl->st[r] : NULL;
}

struct dp_state *
dp_state_lookup(const struct dp_state_table *tbl, uint8_t af, const void *key)
{
	if (af == 4)
		return dp_state_lookup4(tbl, key);
	if (af == 6)
		return dp_state_lookup6(tbl, key);
	return NULL;
}

static inline void
prefetch_rec(const struct dp_state *st)
{
	/* A 96-byte record spans two cache lines. */
	rte_prefetch0(st);
	rte_prefetch0((const char *)st + sizeof(*st) - 1);
}

/*
 * The stages of a bulk lookup, each over the whole group so that the
 * memory accesses of one key overlap the work on the others: hash and
 * prefetch the primary bucket; match the signature and prefetch the
 * first candidate record; compare.
 */
static inline unsigned int
lookup_bulk(const struct dp_state_table *tbl, uint8_t af, const void *const *keys,
	    unsigned int n, struct dp_state *out[])
{
	uint32_t h[DP_STATE_BULK_MAX], b1[DP_STATE_BULK_MAX];
	unsigned int m[DP_STATE_BULK_MAX];
	unsigned int i, hits = 0;

	if (unlikely(n == 0 || n > DP_STATE_BULK_MAX)) {
		for (i = 0; i < n; i++)
			out[i] = NULL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		h[i] = key_crc(tbl, af, keys[i]);
		b1[i] = h_bkt(tbl, h[i]);
		rte_prefetch0(&tbl->bkt[b1[i]]);
	}
	for (i = 0; i < n; i++) {
		const struct dp_state_bucket *b = &tbl->bkt[b1[i]];

		m[i] = sig_match(b, h_sig(h[i]));
		if (m[i] != 0) {
			unsigned int c = m[i];

			prefetch_rec(&tbl->st[b->idx[mask_next(&c)]]);
		}
	}
	for (i = 0; i < n; i++) {
		const struct dp_state_bucket *b = &tbl->bkt[b1[i]];
		uint32_t r = bkt_find(tbl, b, m[i], af, keys[i]);

		if (r == REC_NONE && b->ovf != 0)
			r = find_alt(tbl, b1[i], h_sig(h[i]), af, keys[i]);
		if (r != REC_NONE) {
			out[i] = &tbl->st[r];
			hits++;
		} else {
			out[i] = NULL;
		}
	}
	return hits;
}

unsigned int
dp_state_lookup_bulk4(const struct dp_state_table *tbl, const struct dp_state_key4 *keys[],
		      unsigned int n, struct dp_state *out[])
{
	return lookup_bulk(tbl, 4, (const void *const *)keys, n, out);
}

unsigned int
dp_state_lookup_bulk6(const struct dp_state_table *tbl, const struct dp_state_key6 *keys[],
		      unsigned int n, struct dp_state *out[])
{
	return lookup_bulk(tbl, 6, (const void *const *)keys, n, out);
}

/* ---- insert, remove ---- */

static inline void
global_put(struct dp_state_table *tbl)
{
	atomic_fetch_sub_explicit(tbl->global, 1, memory_order_relaxed);
}

/* Insert with an optional peer identity (pk != NULL). */
static struct dp_state *
insert(struct dp_state_table *tbl, uint8_t af, const void *key, uint32_t now, int *err,
       const struct dp_state_peer_key *pk)
{
	struct dp_state *st;
	uint32_t h, idx, a6 = REC_NONE, prev;
	int32_t ppos = -1;

	if (af != 4 && af != 6) {
		*err = -EINVAL;
		return NULL;
	}
	/* Raise first, so concurrent workers never overshoot the limit. */
	prev = atomic_fetch_add_explicit(tbl->global, 1, memory_order_relaxed);
	if (tbl->limit != 0 && prev >= tbl->limit) {
		global_put(tbl);
		*err = -EDQUOT;
		return NULL;
	}
	h = key_crc(tbl, af, key);
	if (find(tbl, af, key, h) != REC_NONE) {
		global_put(tbl);
		*err = -EEXIST;
		return NULL;
	}
	idx = rec_alloc(tbl);
	if (af == 6 && idx != REC_NONE) {
		a6 = rec_alloc(tbl);
		if (a6 == REC_NONE) {
			rec_free(tbl, idx);
			idx = REC_NONE;
		}
	}
	if (unlikely(idx == REC_NONE || idx_insert(tbl, h, idx) != 0)) {
		if (a6 != REC_NONE)
			rec_free(tbl, a6);
		if (idx != REC_NONE)
			rec_free(tbl, idx);
		global_put(tbl);
		*err = -ENOSPC;
		return NULL;
	}
	if (pk != NULL) {
		ppos = rte_hash_add_key(tbl->peer, pk);
		if (ppos < 0) {
			idx_remove(tbl, h, idx);
			if (a6 != REC_NONE)
				rec_free(tbl, a6);
			rec_free(tbl, idx);
			global_put(tbl);
			*err = -ENOSPC;
			return NULL;
		}
		tbl->peer_idx[ppos] = idx;
	}
	st = &tbl->st[idx];
	gen_begin(st);
	record_clear(st);
	if (af == 4) {
		memcpy(&st->k.k4, key, sizeof(st->k.k4));
	} else {
		const struct dp_state_key6 *k6 = key;
		struct dp_state *a = &tbl->st[a6];

		record_clear(a);
		memcpy(a, k6->addr, 32);
		memcpy(&st->k, k6->port, 8);
		st->k.k6.addr_rec = a6;
	}
	st->af = af;
	st->proto = af == 4 ? ((const struct dp_state_key4 *)key)->proto :
		((const struct dp_state_key6 *)key)->proto;
	st->creation = now;
	st->expire = now;
	st->rule[0] = DP_STATE_NO_RULE;
	st->rule[1] = DP_STATE_NO_RULE;
	if (pk != NULL) {
		st->flags = DP_STF_PEER;
		st->ident = (uint32_t)ppos;
	}
	gen_end(st);
	__atomic_store_n(&tbl->count, tbl->count + 1, __ATOMIC_RELAXED);
	*err = 0;
	return st;
}

struct dp_state *
dp_state_insert(struct dp_state_table *tbl, uint8_t af, const void *key, uint32_t now,
		int *err)
{
	return insert(tbl, af, key, now, err, NULL);
}

struct dp_state *
dp_state_insert_peer(struct dp_state_table *tbl, uint8_t af, const void *key, uint64_t id,
		     uint32_t creatorid, uint32_t now, int *err)
{
	struct dp_state_peer_key pk = { .id = id, .creatorid = creatorid, .pad = 0 };

	if (creatorid == 0) {
		*err = -EINVAL;
		return NULL;
	}
	if (dp_state_find_id(tbl, id, creatorid) != NULL) {
		*err = -EEXIST;
		return NULL;
	}
	if (tbl->peer == NULL && peer_index_create(tbl) < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	return insert(tbl, af, key, now, err, &pk);
}

void
dp_state_remove(struct dp_state_table *tbl, struct dp_state *st)
{
	uint32_t pos = dp_state_pos(tbl, st), a6 = REC_NONE;
	void *kp;

	if (unlikely(st->af == 0))
		return;
	gen_begin(st);
	idx_remove(tbl, rec_crc(tbl, st), pos);
	if (st->af == 6)
		a6 = st->k.k6.addr_rec;
	if (st->flags & DP_STF_PEER) {
		if (rte_hash_get_key_with_position(tbl->peer, (int32_t)st->ident, &kp) == 0) {
			struct dp_state_peer_key pk;

			memcpy(&pk, kp, sizeof(pk));
			rte_hash_del_key(tbl->peer, &pk);
		}
	}
	record_clear(st);
	gen_end(st);
	if (a6 < tbl->total) {
		record_clear(&tbl->st[a6]);
		rec_free(tbl, a6);
	}
	rec_free(tbl, pos);
	__atomic_store_n(&tbl->count, tbl->count - 1, __ATOMIC_RELAXED);
	global_put(tbl);
}

static inline uint64_t
local_id(const struct dp_state_table *tbl, uint32_t idx, uint32_t gen)
{
	return tbl->id_hi | ((uint64_t)((gen >> 2) & 0xffff) << DP_STATE_ID_GEN_SHIFT) |
		((uint64_t)tbl->worker << DP_STATE_ID_WORKER_SHIFT) | idx;
}

struct dp_state *
dp_state_find_id(const struct dp_state_table *tbl, uint64_t id, uint32_t creatorid)
{
	const struct dp_state_peer_key pk = { .id = id, .creatorid = creatorid, .pad = 0 };
	int32_t ppos;

	/* local_id() below compares every field; this only bounds idx. */
	if (creatorid == tbl->hostid &&
	    (id & ~((1ULL << DP_STATE_ID_EPOCH_SHIFT) - 1)) == tbl->id_hi) {
		uint32_t idx = (uint32_t)(id & (DP_STATE_MAX_RECORDS - 1));

		if (idx < tbl->total) {
			struct dp_state *st = &tbl->st[idx];

			if (st->af != 0 && !(st->flags & DP_STF_PEER) &&
			    local_id(tbl, idx, st->gen) == id)
				return st;
		}
	}
	/* Also our own creatorid: our states a peer synced back after a restart. */
	if (tbl->peer == NULL)
		return NULL;
	ppos = rte_hash_lookup(tbl->peer, &pk);
	return ppos >= 0 ? &tbl->st[tbl->peer_idx[ppos]] : NULL;
}

/* Identity from a record (or a copy of it) at index idx. */
static int
ident_of(const struct dp_state_table *tbl, struct rte_hash *peer, uint32_t idx,
	 const struct dp_state *st, uint64_t *id, uint32_t *creatorid)
{
	struct dp_state_peer_key pk;
	void *kp;

	if (!(st->flags & DP_STF_PEER)) {
		*id = local_id(tbl, idx, st->gen);
		*creatorid = tbl->hostid;
		return 0;
	}
	if (peer == NULL || rte_hash_get_key_with_position(peer, (int32_t)st->ident, &kp) != 0)
		return -ENOENT;
	memcpy(&pk, kp, sizeof(pk));
	*id = pk.id;
	*creatorid = pk.creatorid;
	return 0;
}

int
dp_state_id(const struct dp_state_table *tbl, const struct dp_state *st, uint64_t *id,
	    uint32_t *creatorid)
{
	if (st->af == 0)
		return -ENOENT;
	return ident_of(tbl, tbl->peer, dp_state_pos(tbl, st), st, id, creatorid);
}

int
dp_state_key_of(const struct dp_state_table *tbl, const struct dp_state *st, void *key_out)
{
	if (st->af == 0)
		return -ENOENT;
	key_fill(tbl, st, key_out);
	return 0;
}

#define SNAPSHOT_TRIES 8

int
dp_state_snapshot(const struct dp_state_table *tbl, uint32_t pos, struct dp_state *copy,
		  void *key_out, uint64_t *id, uint32_t *creatorid)
{
	const struct dp_state *st;
	unsigned int t;

	if (pos >= tbl->total)
		return -EINVAL;
	st = &tbl->st[pos];
	for (t = 0; t < SNAPSHOT_TRIES; t++) {
		uint32_t g1, g2;
		uint64_t tid = 0;
		uint32_t tcr = 0;
		int ok = 1;

		g1 = __atomic_load_n(&st->gen, __ATOMIC_ACQUIRE);
		if (g1 & 1)
			continue;
		memcpy(copy, st, sizeof(*copy));
		if (copy->af == 0) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			g2 = __atomic_load_n(&st->gen, __ATOMIC_RELAXED);
			if (g1 == g2)
				return -ENOENT;
			continue;
		}
		copy->gen = g1;
		/* An IPv6 state's addresses change only inside an insert or
		 * remove of it, which changes gen: the check below covers them. */
		key_fill(tbl, copy, key_out);
		if ((id != NULL || creatorid != NULL))
			ok = ident_of(tbl, __atomic_load_n(&tbl->peer, __ATOMIC_ACQUIRE),
				      pos, copy, &tid, &tcr) == 0;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&st->gen, __ATOMIC_RELAXED);
		if (g1 != g2 || !ok)
			continue;
		if (id != NULL)
			*id = tid;
		if (creatorid != NULL)
			*creatorid = tcr;
		return 0;
	}
	return -EAGAIN;
}

unsigned int
dp_state_expire(struct dp_state_table *tbl, uint32_t now, unsigned int budget,
		void (*on_remove)(void *arg, struct dp_state *st), void *arg)
{
	uint32_t pos = tbl->expire_pos;
	unsigned int removed = 0;

	if (budget > tbl->total)
		budget = tbl->total;
	while (budget-- > 0) {
		struct dp_state *st = &tbl->st[pos];

		if (st->af != 0 && (st->expire <= now || st->timeout == PFTM_PURGE)) {
			if (on_remove != NULL)
				on_remove(arg, st);
			dp_state_remove(tbl, st);
			removed++;
		}
		if (++pos == tbl->total)
			pos = 0;
	}
	tbl->expire_pos = pos;
	return removed;
}

unsigned int
dp_state_expire_budget(uint32_t capacity, uint32_t interval_s, uint32_t polls_per_s)
{
	uint64_t per_sweep = (uint64_t)RTE_MAX(interval_s, 1u) * RTE_MAX(polls_per_s, 1u);
	uint64_t b = ((uint64_t)capacity + per_sweep - 1) / per_sweep;

	return b == 0 ? 1 : (unsigned int)RTE_MIN(b, (uint64_t)UINT32_MAX);
}

static void
rescale(struct dp_state_table *tbl)
{
	const uint32_t *t = tbl->timeouts;
	unsigned int i;

	tbl->tick_states = atomic_load_explicit(tbl->global, memory_order_relaxed);
	for (i = 0; i < PFTM_MAX; i++)
		tbl->scaled[i] = pf_timeout_scaled(t[i], tbl->tick_states,
						   t[PFTM_ADAPTIVE_START], t[PFTM_ADAPTIVE_END]);
}

void
dp_state_tick(struct dp_state_table *tbl, uint32_t now)
{
	if (now == tbl->tick_now)
		return;
	tbl->tick_now = now;
	rescale(tbl);
}

void
dp_state_set_timeouts(struct dp_state_table *tbl, const uint32_t *timeouts)
{
	memcpy(tbl->timeouts, timeouts != NULL ? timeouts : pftm_defaults, sizeof(tbl->timeouts));
	rescale(tbl);
}

void
dp_state_set_limit(struct dp_state_table *tbl, uint32_t limit)
{
	tbl->limit = limit;
}

uint32_t
dp_state_global_count(const struct dp_state_table *tbl)
{
	return atomic_load_explicit(tbl->global, memory_order_relaxed);
}

PROTO_NAME_FN(dp_apply_name, unsigned int, DP_APPLY_LIST, DP_APPLY_MAX);

/*
 * What pfsync_in_ins/pfsync_in_upd check before they touch the table, plus
 * what this table needs: a canonical key (else no packet would ever find
 * the state) with a zero pad (the whole key is hashed).
 */
static bool
desc_valid(const struct dp_state_desc *d)
{
	union dp_state_key k;
	const uint8_t *a0, *a1;
	uint16_t p0, p1, zone;
	uint8_t proto;
	bool sw = true;

	if (d->creatorid == 0 || d->timeout >= PFTM_MAX ||
	    (d->flags & ~DP_STATE_DESC_FLAGS) != 0 ||
	    d->track.peer[0].state > PF_TCPS_PROXY_DST ||
	    d->track.peer[1].state > PF_TCPS_PROXY_DST)
		return false;
	if (d->af == 4) {
		a0 = (const uint8_t *)&d->key.k4.addr[0];
		a1 = (const uint8_t *)&d->key.k4.addr[1];
		p0 = d->key.k4.port[0], p1 = d->key.k4.port[1];
		proto = d->key.k4.proto, zone = d->key.k4.zone;
	} else if (d->af == 6) {
		a0 = d->key.k6.addr[0];
		a1 = d->key.k6.addr[1];
		p0 = d->key.k6.port[0], p1 = d->key.k6.port[1];
		proto = d->key.k6.proto, zone = d->key.k6.zone;
	} else {
		return false;
	}
	memset(&k, 0, sizeof(k));
	dp_state_key_make(d->af, proto, a0, a1, p0, p1, zone, &k, &sw);
	return !sw && memcmp(&k, &d->key, d->af == 4 ? sizeof(k.k4) : sizeof(k.k6)) == 0;
}

int
dp_state_merge(struct dp_state_table *tbl, struct dp_state *st, const struct pf_track *track,
	       uint8_t timeout, uint32_t now)
{
	/* The key, flags and counters stay ours [OpenBSD if_pfsync.c pfsync_in_updates]. */
	/* The peer knew something we did not: it forwards packets of this
	 * state (a copy of an older view of ours, as a bulk update brings
	 * back, is no sign of that). */
	bool news = pf_track_news(&st->track, track, st->proto == 6);
	unsigned int stale = (st->split & DP_SPLIT_ON) ?
		pf_track_join(&st->track, track, st->proto == 6) :
		pf_track_merge(&st->track, track, st->proto == 6);

	if (news)
		dp_state_split_peer(st, now);

	/* Both sides may now hold the peer's view (pf_track_merge() took the
	 * sides that were not stale; a stale side was ours and newer). */
	st->flags |= DP_STF_SYNCED;
	if (stale < 2)
		dp_state_touch(tbl, st, now, timeout);
	return stale != 0 ? DP_APPLY_STALE : DP_APPLY_UPDATED;
}

/* Does identity (id, cid) sort before (id2, cid2)?  The join's winner. */
static inline bool
ident_first(uint64_t id, uint32_t cid, uint64_t id2, uint32_t cid2)
{
	return cid != cid2 ? cid < cid2 : id < id2;
}

/* Swaps the two sides of a record: tracking, counters, interfaces, creator. */
static void
turn(struct dp_state *st)
{
	struct pf_peer p = st->track.peer[0];
	uint64_t c = st->cnt[0];
	uint32_t n = st->pkts_lo[0];
	uint8_t i = st->iface[0];

	st->track.peer[0] = st->track.peer[1];
	st->track.peer[1] = p;
	st->cnt[0] = st->cnt[1];
	st->cnt[1] = c;
	st->pkts_lo[0] = st->pkts_lo[1];
	st->pkts_lo[1] = n;
	st->iface[0] = st->iface[1];
	st->iface[1] = i;
	st->flags ^= DP_STF_SWAPPED;
}

/*
 * The record st (identity not d's, key d's) becomes d's identity: entered
 * in the peer index, and out of its old one (the old local id stops
 * resolving as the record is a peer state now).  0 or -ENOSPC/-ENOMEM.
 */
static int
take_ident(struct dp_state_table *tbl, struct dp_state *st, uint64_t id, uint32_t creatorid)
{
	struct dp_state_peer_key pk = { .id = id, .creatorid = creatorid, .pad = 0 };
	int32_t ppos;
	void *kp;

	if (tbl->peer == NULL && peer_index_create(tbl) < 0)
		return -ENOMEM;
	ppos = rte_hash_add_key(tbl->peer, &pk);
	if (ppos < 0)
		return -ENOSPC;
	tbl->peer_idx[ppos] = dp_state_pos(tbl, st);
	if ((st->flags & DP_STF_PEER) &&
	    rte_hash_get_key_with_position(tbl->peer, (int32_t)st->ident, &kp) == 0) {
		struct dp_state_peer_key old;

		memcpy(&old, kp, sizeof(old));
		rte_hash_del_key(tbl->peer, &old);
	}
	st->flags |= DP_STF_PEER;
	st->ident = (uint32_t)ppos;
	return 0;
}

/*
 * d has an identity we do not hold and the key of st: both nodes made a
 * state for one connection (dp_state_apply()).  One state stays, under
 * the identity that sorts first.
 */
static int
join(struct dp_state_table *tbl, struct dp_state *st, const struct dp_state_desc *d,
     uint32_t now)
{
	struct pf_track rx = d->track;
	uint64_t id;
	uint32_t cid;
	bool theirs;
	int rc;

	if (dp_state_id(tbl, st, &id, &cid) != 0)
		return -EEXIST;
	/* A state we hold from a peer keeps its identity: the control core's
	 * id map has it, and nothing here could tell it that it moved (a tie
	 * of two peers' states, or a peer's reused key). */
	theirs = !(st->flags & DP_STF_PEER) && ident_first(d->id, d->creatorid, id, cid);
	if (theirs) {
		/* A new identity: readers must not pair it with the old one
		 * (which is also why a local state that stays keeps its gen:
		 * its id is made of it). */
		gen_begin(st);
		rc = take_ident(tbl, st, d->id, d->creatorid);
		if (rc == 0 && ((st->flags ^ d->flags) & DP_STF_SWAPPED))
			turn(st);
		gen_end(st);
		if (rc < 0)
			return rc;
	} else if ((st->flags ^ d->flags) & DP_STF_SWAPPED) {
		rx.peer[0] = d->track.peer[1];
		rx.peer[1] = d->track.peer[0];
	}
	pf_track_join(&st->track, &rx, st->proto == 6);
	st->flags |= DP_STF_SYNCED;
	dp_state_split_peer(st, now);
	return theirs ? DP_APPLY_ADOPTED : DP_APPLY_JOINED;
}

int
dp_state_apply(struct dp_state_table *tbl, const struct dp_state_desc *d, uint32_t now,
	       struct dp_state **stp)
{
	struct dp_state *st;
	unsigned int dir;
	int err;

	*stp = NULL;
	if (!desc_valid(d))
		return -EINVAL;
	st = dp_state_find_id(tbl, d->id, d->creatorid);
	if (st != NULL) {
		*stp = st;
		return dp_state_merge(tbl, st, &d->track, d->timeout, now);
	}
	st = dp_state_lookup(tbl, d->af, &d->key);
	if (st != NULL) {
		*stp = st;
		return join(tbl, st, d, now);
	}
	st = dp_state_insert_peer(tbl, d->af, &d->key, d->id, d->creatorid, now, &err);
	if (st == NULL)
		return err;
	dp_state_split_peer(st, now);
	st->track = d->track;
	st->timeout = d->timeout;
	/* pf_state_import: expire = now - (timeout - sp->expire), i.e. the
	 * state dies when the sender's copy would. */
	st->expire = now + d->expire_in;
	st->creation = now - RTE_MIN(d->age, now);
	st->flags |= d->flags | DP_STF_SYNCED;
	st->iface[0] = d->iface[0];
	st->iface[1] = d->iface[1];
	for (dir = 0; dir < 2; dir++)
		dp_state_set_counts(st, dir, d->packets[dir], d->bytes[dir]);
	*stp = st;
	return DP_APPLY_INSERTED;
}

void
dp_state_desc_fill(const struct dp_state *st, const void *key, uint64_t id, uint32_t creatorid,
		   uint32_t now, struct dp_state_desc *d)
{
	unsigned int dir;

	memset(d, 0, sizeof(*d));
	memcpy(&d->key, key, st->af == 4 ? sizeof(d->key.k4) : sizeof(d->key.k6));
	d->track = st->track;
	d->id = id;
	d->creatorid = creatorid;
	d->expire_in = st->expire > now ? st->expire - now : 0;
	d->age = now > st->creation ? now - st->creation : 0;
	for (dir = 0; dir < 2; dir++) {
		d->packets[dir] = dp_state_packets(st, dir);
		d->bytes[dir] = dp_state_bytes(st, dir);
	}
	d->af = st->af;
	d->timeout = st->timeout < PFTM_MAX ? st->timeout : PFTM_PURGE;
	d->flags = st->flags & DP_STATE_DESC_FLAGS;
	d->iface[0] = st->iface[0];
	d->iface[1] = st->iface[1];
}
