/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the per-worker state table (see state.h for the contract).
 *
 * Index: rte_hash in its default mode (no reader/writer flags): the
 * owning worker is the only writer and the only hot-path reader.  The
 * control core reads records through the per-record sequence count, and
 * keys through rte_hash_get_key_with_position(), whose internal lookup can
 * miss while the worker moves entries (cuckoo displacement); a miss is
 * retried and at worst reported as -EAGAIN, and a key is kept only if the
 * record's sequence count did not change, because a key slot is freed
 * only inside a remove, which changes it.
 *
 * Sizing: rte_hash allocates align32pow2(entries) / 8 buckets of 64 bytes,
 * (entries + 1) key slots of align16(8 + key_len) bytes (32 for IPv4, 48
 * for IPv6) and a free-slot ring of align32pow2(entries + 1) u32 [DPDK
 * 22.11 lib/hash/rte_cuckoo_hash.c rte_hash_create].  So a capacity of
 * 2^k costs a ring twice as large as 2^k - 1 does (4 more bytes a state).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dataplane/state.h"
#include "proto/proto.h"

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
	memset((char *)st + offsetof(struct dp_state, ident), 0,
	       sizeof(*st) - offsetof(struct dp_state, ident));
}

static inline struct rte_hash *
family_hash(const struct dp_state_table *tbl, uint32_t idx, int32_t *pos, size_t *klen)
{
	if (idx < tbl->cap4) {
		*pos = (int32_t)idx;
		*klen = sizeof(struct dp_state_key4);
		return tbl->h4;
	}
	*pos = (int32_t)(idx - tbl->cap4);
	*klen = sizeof(struct dp_state_key6);
	return tbl->h6;
}

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

struct dp_state_table *
dp_state_create(const struct dp_state_conf *conf, int *err)
{
	struct dp_state_table *tbl;
	uint64_t total = (uint64_t)conf->capacity4 + conf->capacity6;

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
	tbl->hostid = conf->hostid;
	tbl->worker = conf->worker;
	tbl->id_hi = DP_STATE_ID_LOCAL |
		((uint64_t)(conf->id_epoch & 0x7fff) << DP_STATE_ID_EPOCH_SHIFT);
	tbl->seed = conf->hash_seed;
	tbl->global = conf->global != NULL ? conf->global : &tbl->own_global;
	tbl->limit = conf->limit;

	tbl->st = rte_zmalloc_socket("dp_state", (size_t)total * sizeof(struct dp_state),
				     RTE_CACHE_LINE_SIZE, conf->socket);
	if (tbl->st == NULL)
		goto fail;
	if (tbl->cap4 != 0) {
		tbl->h4 = hash_make(tbl, '4', tbl->cap4, sizeof(struct dp_state_key4));
		if (tbl->h4 == NULL)
			goto fail;
	}
	if (tbl->cap6 != 0) {
		tbl->h6 = hash_make(tbl, '6', tbl->cap6, sizeof(struct dp_state_key6));
		if (tbl->h6 == NULL)
			goto fail;
	}
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
	rte_hash_free(tbl->h4);
	rte_hash_free(tbl->h6);
	rte_hash_free(tbl->peer);
	rte_free(tbl->peer_idx);
	rte_free(tbl->st);
	rte_free(tbl);
}

/* key in h, the index of one family, whose entries start at base in tbl->st. */
static inline struct dp_state *
lookup_one(const struct dp_state_table *tbl, const struct rte_hash *h, uint32_t base,
	   const void *key)
{
	int32_t pos;

	if (unlikely(h == NULL))
		return NULL;
	pos = rte_hash_lookup(h, key);
	return pos >= 0 ? &tbl->st[base + (uint32_t)pos] : NULL;
}

struct dp_state *
dp_state_lookup4(const struct dp_state_table *tbl, const struct dp_state_key4 *key)
{
	return lookup_one(tbl, tbl->h4, 0, key);
}

struct dp_state *
dp_state_lookup6(const struct dp_state_table *tbl, const struct dp_state_key6 *key)
{
	return lookup_one(tbl, tbl->h6, tbl->cap4, key);
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

static inline unsigned int
lookup_bulk(const struct dp_state_table *tbl, struct rte_hash *h, uint32_t base,
	    const void **keys, unsigned int n, struct dp_state *out[])
{
	int32_t pos[DP_STATE_BULK_MAX];
	unsigned int i, hits = 0;

	if (unlikely(h == NULL || n == 0 || n > DP_STATE_BULK_MAX)) {
		for (i = 0; i < n; i++)
			out[i] = NULL;
		return 0;
	}
	rte_hash_lookup_bulk(h, keys, n, pos);
	for (i = 0; i < n; i++) {
		if (pos[i] >= 0) {
			struct dp_state *st = &tbl->st[base + (uint32_t)pos[i]];

			/* An 80-byte record spans two cache lines. */
			rte_prefetch0(st);
			rte_prefetch0((const char *)st + sizeof(*st) - 1);
			out[i] = st;
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
	return lookup_bulk(tbl, tbl->h4, 0, (const void **)keys, n, out);
}

unsigned int
dp_state_lookup_bulk6(const struct dp_state_table *tbl, const struct dp_state_key6 *keys[],
		      unsigned int n, struct dp_state *out[])
{
	return lookup_bulk(tbl, tbl->h6, tbl->cap4, (const void **)keys, n, out);
}

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
	struct rte_hash *h;
	struct dp_state *st;
	uint32_t base, idx, prev;
	int32_t pos, ppos = -1;
	size_t klen;

	if (af == 4) {
		h = tbl->h4, base = 0, klen = sizeof(struct dp_state_key4);
	} else if (af == 6) {
		h = tbl->h6, base = tbl->cap4, klen = sizeof(struct dp_state_key6);
	} else {
		*err = -EINVAL;
		return NULL;
	}
	if (unlikely(h == NULL)) {
		*err = -ENOSPC;
		return NULL;
	}
	/* Raise first, so concurrent workers never overshoot the limit. */
	prev = atomic_fetch_add_explicit(tbl->global, 1, memory_order_relaxed);
	if (tbl->limit != 0 && prev >= tbl->limit) {
		global_put(tbl);
		*err = -EDQUOT;
		return NULL;
	}
	/* rte_hash_add_key returns the existing position for a present key. */
	pos = rte_hash_add_key_with_hash(h, key, rte_hash_crc(key, (uint32_t)klen, tbl->seed));
	if (unlikely(pos < 0)) {
		global_put(tbl);
		*err = pos == -ENOSPC ? -ENOSPC : -EINVAL;
		return NULL;
	}
	idx = base + (uint32_t)pos;
	st = &tbl->st[idx];
	if (st->af != 0) {
		global_put(tbl);
		*err = -EEXIST;
		return NULL;
	}
	if (pk != NULL) {
		ppos = rte_hash_add_key(tbl->peer, pk);
		if (ppos < 0) {
			rte_hash_del_key(h, key);
			global_put(tbl);
			*err = -ENOSPC;
			return NULL;
		}
		tbl->peer_idx[ppos] = idx;
	}
	gen_begin(st);
	record_clear(st);
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
	union dp_state_key k;
	struct rte_hash *h;
	size_t klen;
	int32_t pos;
	void *kp;

	if (unlikely(st->af == 0))
		return;
	h = family_hash(tbl, dp_state_pos(tbl, st), &pos, &klen);
	gen_begin(st);
	if (likely(rte_hash_get_key_with_position(h, pos, &kp) == 0)) {
		memcpy(&k, kp, klen);
		rte_hash_del_key(h, &k);
	}
	if (st->flags & DP_STF_PEER) {
		if (rte_hash_get_key_with_position(tbl->peer, (int32_t)st->ident, &kp) == 0) {
			struct dp_state_peer_key pk;

			memcpy(&pk, kp, sizeof(pk));
			rte_hash_del_key(tbl->peer, &pk);
		}
	}
	record_clear(st);
	gen_end(st);
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
	struct rte_hash *h;
	size_t klen;
	int32_t pos;
	void *kp;

	if (st->af == 0)
		return -ENOENT;
	h = family_hash(tbl, dp_state_pos(tbl, st), &pos, &klen);
	if (rte_hash_get_key_with_position(h, pos, &kp) != 0)
		return -ENOENT;
	memcpy(key_out, kp, klen);
	return 0;
}

#define SNAPSHOT_TRIES 8

int
dp_state_snapshot(const struct dp_state_table *tbl, uint32_t pos, struct dp_state *copy,
		  void *key_out, uint64_t *id, uint32_t *creatorid)
{
	const struct dp_state *st;
	struct rte_hash *h;
	size_t klen;
	int32_t hpos;
	unsigned int t;

	if (pos >= tbl->total)
		return -EINVAL;
	st = &tbl->st[pos];
	h = family_hash(tbl, pos, &hpos, &klen);
	for (t = 0; t < SNAPSHOT_TRIES; t++) {
		uint32_t g1, g2;
		uint64_t tid = 0;
		uint32_t tcr = 0;
		void *kp;
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
		if (rte_hash_get_key_with_position(h, hpos, &kp) == 0)
			memcpy(key_out, kp, klen);
		else
			ok = 0;	/* the internal lookup raced a move: retry */
		if (ok && (id != NULL || creatorid != NULL))
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
