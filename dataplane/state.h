/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The per-worker state table (docs/ARCHITECTURE.md, "The state table").
 *
 * One table per worker, written only by that worker [W].  Both address
 * families share one array of 96-byte records, and the key lives in the
 * record: an IPv4 state is one record holding its whole 16-byte canonical
 * key; an IPv6 state is one record holding the key's ports, protocol and
 * zone plus a second record of the same array (an "address record", never
 * live itself: af 0) holding its two addresses.  So a table of N records
 * holds N IPv4 states, N/2 IPv6 states or any mix, and no family reserves
 * memory the other cannot use.  The index is state.c's own: one 64-byte
 * bucket of 8 (16-bit signature, record index) pairs per ~7 records, two
 * candidate buckets per key (cuckoo), the signature compared first and
 * the key in the record compared second; no generic hash-table layer.
 * Free records form a list through the records themselves.
 *
 * Identity [OpenBSD pf.c pf_state_insert]: a state is (id u64, creatorid u32).  Ids of
 * states this node creates are self-locating (see DP_STATE_ID_*): finding
 * one is a decode and a generation check, no hash.  States learned from a
 * peer (pfsync) keep the peer's identity; a second rte_hash maps it to the
 * record (created at dp_state_create() when conf.peer_index is set, else
 * on the first peer insert).  Ids are host order here; pfsync converts.
 *
 * Readers: the control core may read records while the worker runs, with
 * dp_state_snapshot().  Each record carries a sequence count `gen`: the
 * worker makes it odd before it inserts or removes the record and even
 * afterwards; a reader copies the record and its key (and an IPv6
 * state's address record) and keeps the copy only if gen was even and
 * unchanged across the copy.  Per-packet updates
 * (counters, tracking, expire) do not touch gen, so a snapshot may be a
 * packet stale or show a tracking update half applied; it never shows a
 * key belonging to another state.
 *
 * Clock: every `now` is seconds on a clock the caller keeps (the worker
 * derives it from rte_rdtsc() once per poll); the table has no clock.
 */
#ifndef DPF_DP_STATE_H
#define DPF_DP_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <stddef.h>

#include <rte_byteorder.h>

#include "dataplane/pf_track.h"
#include "proto/pftm.h"

/*
 * Canonical keys: address 0 is the lower of the two addresses (memcmp on
 * network-order bytes), each port follows its address (ports as on the
 * wire, network order); with equal addresses the lower port (numeric
 * value) comes first.  Both directions of a flow give the same key.
 * ICMP query states use the ICMP id as both ports (the caller's choice).
 * `zone` separates otherwise equal flows (routing domain; 0 by default).
 * pad must be zero: the whole struct is hashed.
 */
struct dp_state_key4 {
	uint32_t addr[2];	/* network order */
	uint16_t port[2];	/* network order */
	uint8_t proto;
	uint8_t pad;
	uint16_t zone;
};

struct dp_state_key6 {
	uint8_t addr[2][16];
	uint16_t port[2];	/* network order */
	uint8_t proto;
	uint8_t pad;
	uint16_t zone;
};

_Static_assert(sizeof(struct dp_state_key4) == 16, "IPv4 state key is 16 bytes");
_Static_assert(sizeof(struct dp_state_key6) == 40, "IPv6 state key is 40 bytes");

union dp_state_key {
	struct dp_state_key4 k4;
	struct dp_state_key6 k6;
};

/* Record flags (struct dp_state.flags). */
#define DP_STF_SWAPPED 0x01	/* the creator (peer[0]) is key address 1 */
#define DP_STF_NOSYNC 0x02	/* never sent to pfsync peers [OpenBSD pfvar.h PFSTATE_NOSYNC] */
#define DP_STF_SLOPPY 0x04	/* keep state (sloppy) */
#define DP_STF_PEER 0x08	/* learned from a peer: `ident` is its peer-index slot */
#define DP_STF_LOG 0x10		/* log packets matching the state */
/*
 * Side 0 / side 1 of the state was last set by a pfsync peer and no packet
 * from that side has passed here since: its windows may lag the connection
 * by up to maxupd packets, and its first packets may catch up
 * (pf_tcp_track_slack()).  Set by dp_state_apply() and dp_state_merge().
 */
#define DP_STF_SYNCED0 0x20
#define DP_STF_SYNCED1 0x40
#define DP_STF_SYNCED (DP_STF_SYNCED0 | DP_STF_SYNCED1)
/*
 * The state's first packet is held in the worker's defer queue
 * (dataplane/defer.h): its pfsync records carry PFSTATE_ACK, and its
 * removal drops the packet.  Cleared when the packet is released.
 */
#define DP_STF_DEFER 0x80

#define DP_STATE_NO_RULE UINT32_MAX

/*
 * Split paths (struct dp_state.split, docs/pfsync.md "Split paths"): a
 * state that a pfsync peer updated less than DP_SPLIT_SECS ago and whose
 * packets pass here too is forwarded by both nodes [OpenBSD if_pfsync.c
 * pfsync_update_state: "getuptime() - st->pfsync_time < 2"].  PEER and the
 * second of the peer's last update (mod 64) are set by a merge of a peer's
 * record ahead of ours somewhere (dp_state_merge(), pf_track_news(): the
 * peer saw packets we did not) and by a peer's insert or join
 * (dp_state_apply()); ON by a packet passing here
 * while PEER is that fresh (dp_state_split_tick()), and the byte is cleared
 * by one that finds it stale.  ON makes the worker report the state every
 * DP_SPLIT_EVERY packets, flagged for pfsync to send at once, and its
 * merges combine the two views field by field (pf_track_join()).
 */
#define DP_SPLIT_ON 0x80
#define DP_SPLIT_PEER 0x40
#define DP_SPLIT_SEC_MASK 0x3f
#define DP_SPLIT_SECS 2
#define DP_SPLIT_EVERY 4

/*
 * The key as a record holds it (struct dp_state.k): an IPv4 state's whole
 * canonical key; an IPv6 state's ports, protocol and zone (the same bytes
 * as the tail of struct dp_state_key6) and the index of the record that
 * holds its addresses.  [W]; read it with dp_state_key_of().
 */
union dp_state_rkey {
	struct dp_state_key4 k4;
	struct {
		uint16_t port[2];	/* network order */
		uint8_t proto;
		uint8_t pad;
		uint16_t zone;
		uint32_t addr_rec;	/* record holding addr[2][16] */
		uint32_t spare;
	} k6;
};

/*
 * One state, 96 bytes.  All fields [W]: only the owning worker writes;
 * readers use dp_state_snapshot().  The fields a packet of an established
 * flow reads and writes (key, tracking, expire, counters, flags, rule) are
 * all here; only `ident` and `creation` are not read per packet.
 *
 * Counters: pf keeps u64 packets and bytes per direction (32 bytes); here
 * each direction has a 40-bit packet count (1.1e12 packets: 10 hours of
 * one flow at 30 Mpps) and a 56-bit byte count (72 PB): cnt[d] holds bytes
 * in bits 0..55 and packet bits 32..39 in bits 56..63, pkts_lo[d] packet
 * bits 0..31.  Use dp_state_account(), dp_state_packets(),
 * dp_state_bytes().
 *
 * Direction: index 0 of counters and of track.peer is the side that
 * created the state (pf's src), 1 the other side; dp_state_dir() gives
 * a packet's index from the `swapped` of its key.
 */
struct dp_state {
	union dp_state_rkey k;	/* 0: the key (state.c compares it on lookup) */
	struct pf_track track;	/* 16: TCP/UDP/ICMP levels [pf_track.h] */
	uint32_t expire;	/* 40: seconds: removed by dp_state_expire() at/after this */
	uint32_t gen;		/* 44: sequence count, odd while changing */
	uint64_t cnt[2];	/* 48: bytes | packets >> 32 << 56 */
	uint32_t pkts_lo[2];	/* 64: packets, low 32 bits */
	uint8_t af;		/* 72: 4 or 6; 0 = no state (free, or an address record) */
	uint8_t proto;		/* 73 */
	uint8_t timeout;	/* 74: PFTM_* index, or PFTM_PURGE */
	uint8_t flags;		/* 75: DP_STF_* */
	uint8_t iface[2];	/* 76: [0] ingress, [1] egress interface of the creator */
	uint8_t sync_upd;	/* 78: updates since the last update event (filter_priv.h) */
	uint8_t split;		/* 79: DP_SPLIT_*: the peer forwards it too (split path) */
	uint32_t rule[2];	/* 80: [0] index of the rule that made it, [1] the
				 * ruleset's gen then (filter.c DP_ST_RULE/GEN) */
	uint32_t ident;		/* 88: DP_STF_PEER: slot in the peer index */
	uint32_t creation;	/* 92: seconds */
};

_Static_assert(sizeof(struct dp_state) == 96, "struct dp_state is 96 bytes");
_Static_assert(sizeof(union dp_state_rkey) == 16, "a record's key is 16 bytes");

/* A merge from the peer at second now. */
static inline void
dp_state_split_peer(struct dp_state *st, uint32_t now)
{
	st->split = (uint8_t)((st->split & DP_SPLIT_ON) | DP_SPLIT_PEER |
			      (now & DP_SPLIT_SEC_MASK));
}

/*
 * A packet passed st here at second now (st->split != 0): whether the state
 * is split now (DP_SPLIT_ON set, or the byte cleared when the peer's last
 * update is DP_SPLIT_SECS or more old).
 */
static inline bool
dp_state_split_tick(struct dp_state *st, uint32_t now)
{
	if ((st->split & DP_SPLIT_PEER) &&
	    ((now - st->split) & DP_SPLIT_SEC_MASK) < DP_SPLIT_SECS) {
		st->split |= DP_SPLIT_ON;
		return true;
	}
	st->split = 0;
	return false;
}

/*
 * Self-locating ids of local states (host order):
 *   bit 63      1 (so a local id is never 0)
 *   bits 48..62 epoch (conf.id_epoch: differs between runs of the node,
 *               like pf's time-seeded stateid [OpenBSD pf_ioctl.c pfattach])
 *   bits 32..47 the record's lifecycle count (gen / 4), so a stale id of a
 *               reused record does not match
 *   bits 26..31 worker
 *   bits 0..25  record index (so at most 2^26 records per worker)
 */
#define DP_STATE_ID_LOCAL (1ULL << 63)
#define DP_STATE_ID_EPOCH_SHIFT 48
#define DP_STATE_ID_GEN_SHIFT 32
#define DP_STATE_ID_WORKER_SHIFT 26
#define DP_STATE_IDX_BITS 26
#define DP_STATE_MAX_RECORDS (1u << DP_STATE_IDX_BITS)
#define DP_STATE_MAX_WORKER 63

#define DP_STATE_BULK_MAX 64

struct rte_hash;
struct dp_state_bucket;

struct dp_state_conf {
	const char *name;		/* unique among tables (rte_hash names) */
	int socket;			/* NUMA socket of the worker */
	unsigned int worker;		/* 0..DP_STATE_MAX_WORKER, in local ids */
	/*
	 * Room for capacity4 IPv4 states and capacity6 IPv6 states: the table
	 * has capacity4 + 2 * capacity6 records, shared by both families.
	 */
	uint32_t capacity4;
	uint32_t capacity6;
	uint32_t hostid;		/* creatorid of local states, != 0 */
	uint16_t id_epoch;		/* 15 bits used, see DP_STATE_ID_* */
	uint32_t hash_seed;		/* CRC init value: random, against hash flooding */
	_Atomic uint32_t *global;	/* all workers' state count (struct dp_main), or NULL */
	uint32_t limit;			/* global states limit (`set limit states`), 0: none */
	const uint32_t *timeouts;	/* [PFTM_MAX] seconds/states; NULL: pf defaults */
	bool peer_index;		/* create the (id, creatorid) index at once */
};

struct dp_state_table {
	struct dp_state *st;		/* [W] `total` records */
	struct dp_state_bucket *bkt;	/* [W] the index: nb buckets */
	struct rte_hash *peer;		/* [W] (id, creatorid) -> peer_idx slot */
	uint32_t *peer_idx;		/* [W] peer-index slot -> record index */
	uint32_t nb;			/* [I] buckets */
	uint32_t cap4;			/* [I] as configured */
	uint32_t cap6;			/* [I] as configured */
	uint32_t total;			/* [I] records: iteration bound */
	uint32_t count;			/* [W] live states; others read it relaxed */
	uint32_t hostid;		/* [I] */
	uint32_t worker;		/* [I] */
	uint32_t free_head;		/* [W] list of freed records (through .expire) */
	uint32_t fresh;			/* [W] records from here on were never used */
	uint64_t id_hi;			/* [I] DP_STATE_ID_LOCAL | epoch << 48 */
	uint32_t seed;			/* [I] */
	int socket;			/* [I] */
	_Atomic uint32_t *global;	/* [A] shared count (or &own_global) */
	_Atomic uint32_t own_global;	/* [A] used when conf.global is NULL */
	uint32_t limit;			/* [W] dp_state_set_limit() */
	uint32_t expire_pos;		/* [W] next record dp_state_expire() looks at */
	/*
	 * [W] dp_state_set_timeouts(): a copy, not a pointer into the
	 * published ruleset's, which a reload frees after a grace period that
	 * can end before the worker's next housekeeping looks at the new one.
	 */
	uint32_t timeouts[PFTM_MAX];
	uint32_t tick_now;		/* [W] second of the last dp_state_tick() */
	uint32_t tick_states;		/* [W] global count seen by it */
	uint32_t scaled[PFTM_MAX];	/* [W] adaptive-scaled timeouts of that second */
	char name[24];			/* [I] */
};

/* Creates a table; NULL with rte_errno-style -errno in *err. */
struct dp_state_table *dp_state_create(const struct dp_state_conf *conf, int *err);
/* Frees it (no state callbacks; the global count is lowered by the live count). */
void dp_state_free(struct dp_state_table *tbl);

/*
 * Builds the canonical key of a packet.  af 4: src/dst are 4 bytes and key
 * is a struct dp_state_key4; af 6: 16 bytes and struct dp_state_key6.
 * sport/dport as on the wire (network order).  *swapped tells whether the
 * packet's source became address 1.  Returns the key length, 0 for a bad af.
 */
#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "dp_state_key_make() builds the IPv4 key as little-endian words"
#endif
_Static_assert(offsetof(struct dp_state_key4, port) == 8 &&
	       offsetof(struct dp_state_key4, proto) == 12 &&
	       offsetof(struct dp_state_key4, zone) == 14 &&
	       sizeof(struct dp_state_key4) == 16, "dp_state_key4 layout");

/* The part of both key layouts after the addresses (dp_state_key_make). */
#define DP_STATE_KEY_TAIL(k) do {			\
		(k)->port[0] = sw ? dport : sport;	\
		(k)->port[1] = sw ? sport : dport;	\
		(k)->proto = proto;			\
		(k)->pad = 0;				\
		(k)->zone = zone;			\
		*swapped = sw;				\
	} while (0)

static inline unsigned int
dp_state_key_make(uint8_t af, uint8_t proto, const uint8_t *src, const uint8_t *dst,
		  uint16_t sport, uint16_t dport, uint16_t zone, void *key, bool *swapped)
{
	/* Addresses compare as big-endian numbers (memcmp order), ports by
	 * value; integer compares, as this runs for every packet. */
	uint16_t hs = rte_be_to_cpu_16(sport), hd = rte_be_to_cpu_16(dport);
	bool sw;

	if (af == 4) {
		uint32_t s, d, ports;
		uint64_t w0, w1;

		memcpy(&s, src, 4);
		memcpy(&d, dst, 4);
		sw = rte_be_to_cpu_32(s) > rte_be_to_cpu_32(d) || (s == d && hs > hd);
		/*
		 * The 16-byte key as two 64-bit words in registers, stored
		 * whole: field by field, the compiler spilled a port as 16 bits
		 * and read it back as 32, a store-forwarding stall that was a
		 * quarter of the filter stage (path_bench, perf annotate).
		 * Layout as struct dp_state_key4 on a little-endian CPU.
		 */
		ports = sw ? (uint32_t)dport | (uint32_t)sport << 16 :
			     (uint32_t)sport | (uint32_t)dport << 16;
		w0 = sw ? ((uint64_t)s << 32 | d) : ((uint64_t)d << 32 | s);
		w1 = ports | (uint64_t)proto << 32 | (uint64_t)zone << 48;
		memcpy(key, &w0, 8);
		memcpy((uint8_t *)key + 8, &w1, 8);
		*swapped = sw;
		return sizeof(struct dp_state_key4);
	}
	if (af == 6) {
		struct dp_state_key6 *k = key;
		uint64_t s0, s1, d0, d1;

		memcpy(&s0, src, 8);
		memcpy(&s1, src + 8, 8);
		memcpy(&d0, dst, 8);
		memcpy(&d1, dst + 8, 8);
		s0 = rte_be_to_cpu_64(s0);
		s1 = rte_be_to_cpu_64(s1);
		d0 = rte_be_to_cpu_64(d0);
		d1 = rte_be_to_cpu_64(d1);
		sw = s0 > d0 || (s0 == d0 && (s1 > d1 || (s1 == d1 && hs > hd)));
		memcpy(k->addr[0], sw ? dst : src, 16);
		memcpy(k->addr[1], sw ? src : dst, 16);
		DP_STATE_KEY_TAIL(k);
		return sizeof(*k);
	}
	return 0;
}

/* Single lookups: the state or NULL. */
struct dp_state *dp_state_lookup4(const struct dp_state_table *tbl,
		const struct dp_state_key4 *key);
struct dp_state *dp_state_lookup6(const struct dp_state_table *tbl,
		const struct dp_state_key6 *key);
struct dp_state *dp_state_lookup(const struct dp_state_table *tbl, uint8_t af,
		const void *key);

/*
 * Bulk lookups (n <= DP_STATE_BULK_MAX): out[i] is the state of keys[i] or
 * NULL.  In stages over the whole group: hash every key and prefetch its
 * bucket; match signatures and prefetch the candidate records; compare
 * the keys.  Returns the hits.
 */
unsigned int dp_state_lookup_bulk4(const struct dp_state_table *tbl,
		const struct dp_state_key4 *keys[], unsigned int n, struct dp_state *out[]);
unsigned int dp_state_lookup_bulk6(const struct dp_state_table *tbl,
		const struct dp_state_key6 *keys[], unsigned int n, struct dp_state *out[]);

/*
 * Inserts a local state.  Returns the record: zero except af, proto,
 * creation = expire = now, rule[] = DP_STATE_NO_RULE and its identity
 * (gen).  NULL with *err:
 *   -EDQUOT  the global count is at the limit   (pf reason state-limit)
 *   -EEXIST  the key is already there           (pf reason state-insert)
 *   -ENOSPC  no free record (IPv6: two)        (pf reason memory)
 *   -EINVAL  bad af
 * The global count is exact: it is raised first and lowered on failure.
 */
struct dp_state *dp_state_insert(struct dp_state_table *tbl, uint8_t af,
		const void *key, uint32_t now, int *err);
/*
 * Inserts a state learned from a peer with its identity; as above, plus
 * -EEXIST when (id, creatorid) is already known, -EINVAL for creatorid 0
 * [OpenBSD pf.c pf_state_insert: imports with creatorid 0 are rejected], -ENOMEM when
 * the peer index cannot be created.
 */
struct dp_state *dp_state_insert_peer(struct dp_state_table *tbl, uint8_t af,
		const void *key, uint64_t id, uint32_t creatorid, uint32_t now, int *err);
/* Removes a live state (found by lookup, insert or find_id). */
void dp_state_remove(struct dp_state_table *tbl, struct dp_state *st);

/* The state with this identity, or NULL. */
struct dp_state *dp_state_find_id(const struct dp_state_table *tbl, uint64_t id,
		uint32_t creatorid);
/* Identity of a live state (worker side). 0, or -ENOENT. */
int dp_state_id(const struct dp_state_table *tbl, const struct dp_state *st,
		uint64_t *id, uint32_t *creatorid);
/* Copies the key of a live state into key_out (16 or 40 bytes). Worker side. */
int dp_state_key_of(const struct dp_state_table *tbl, const struct dp_state *st,
		void *key_out);

/*
 * Control-core read of record `pos` (0 <= pos < tbl->total) while the
 * worker runs: copies the record, its key (union dp_state_key) and, if
 * id/creatorid are not NULL, its identity.  0 for a consistent live copy,
 * -ENOENT for an empty record, -EAGAIN if the worker kept changing it,
 * -EINVAL for pos out of range.
 */
int dp_state_snapshot(const struct dp_state_table *tbl, uint32_t pos,
		struct dp_state *copy, void *key_out, uint64_t *id, uint32_t *creatorid);

/*
 * Expiry: looks at up to `budget` records from where the last call
 * stopped (round robin over all tbl->total records, never more than one
 * full sweep per call) and removes live ones whose expire <= now or whose
 * timeout is PFTM_PURGE, calling on_remove (if not NULL) before each
 * removal (it may read the state and its key, not remove it).  Returns
 * the number removed.
 */
unsigned int dp_state_expire(struct dp_state_table *tbl, uint32_t now,
		unsigned int budget,
		void (*on_remove)(void *arg, struct dp_state *st), void *arg);
/*
 * Budget per call so a full sweep takes at most interval_s seconds when
 * called polls_per_s times a second: ceil(capacity / (interval_s *
 * polls_per_s)), at least 1.  pf looks at states/interval states a second
 * [OpenBSD pfvar.h PFTM_*, pf_ioctl.c pfattach; OpenBSD pf_purge_states_tick]; we look at every
 * record (capacity, not states), because the walk is over the array.
 */
unsigned int dp_state_expire_budget(uint32_t capacity, uint32_t interval_s,
		uint32_t polls_per_s);

/*
 * Timeouts.  dp_state_tick() once per poll: once a second it reads the
 * global count and recomputes the adaptive-scaled timeouts
 * [OpenBSD pf.c pf_state_expires; pf_timeout_scaled()], so the per-packet
 * path does not touch the shared counter.  dp_state_touch() sets a state's timeout index
 * and expire = now + scaled timeout; dp_state_touch_s() does the same with
 * a rule's own timeout in seconds (scaled likewise).  Unlike pf, which
 * scales at purge time, the scale is fixed when the state is touched.
 */
void dp_state_tick(struct dp_state_table *tbl, uint32_t now);
void dp_state_set_timeouts(struct dp_state_table *tbl, const uint32_t *timeouts);
void dp_state_set_limit(struct dp_state_table *tbl, uint32_t limit);
uint32_t dp_state_global_count(const struct dp_state_table *tbl);

static inline void
dp_state_touch(const struct dp_state_table *tbl, struct dp_state *st, uint32_t now,
		uint8_t timeout)
{
	st->timeout = timeout;
	st->expire = now + (timeout < PFTM_MAX ? tbl->scaled[timeout] : 0);
}

static inline void
dp_state_touch_s(const struct dp_state_table *tbl, struct dp_state *st, uint32_t now,
		uint8_t timeout, uint32_t timeout_s)
{
	st->timeout = timeout;
	st->expire = now + pf_timeout_scaled(timeout_s, tbl->tick_states,
			tbl->timeouts[PFTM_ADAPTIVE_START], tbl->timeouts[PFTM_ADAPTIVE_END]);
}

/*
 * Checks the index against the records (for tests; O(table)): every entry
 * names a live record whose key hashes to the entry's buckets, every live
 * record has one entry, every bucket's count of its keys living in their
 * secondary is right, and free plus live plus address records add up.
 * 0, or a negative number saying which check failed.
 */
int dp_state_check(const struct dp_state_table *tbl);

/* Record index of a state pointer. */
static inline uint32_t
dp_state_pos(const struct dp_state_table *tbl, const struct dp_state *st)
{
	return (uint32_t)(st - tbl->st);
}

/* Counter/peer index of a packet: 0 if it comes from the state's creator. */
static inline unsigned int
dp_state_dir(const struct dp_state *st, bool swapped)
{
	return (unsigned int)swapped ^ (unsigned int)(st->flags & DP_STF_SWAPPED);
}

#define DP_STATE_BYTES_MASK ((1ULL << 56) - 1)

static inline void
dp_state_account(struct dp_state *st, unsigned int dir, uint32_t len)
{
	st->cnt[dir] += len;
	if (unlikely(++st->pkts_lo[dir] == 0))
		st->cnt[dir] += 1ULL << 56;
}

static inline uint64_t
dp_state_packets(const struct dp_state *st, unsigned int dir)
{
	return ((st->cnt[dir] >> 56) << 32) | st->pkts_lo[dir];
}

static inline uint64_t
dp_state_bytes(const struct dp_state *st, unsigned int dir)
{
	return st->cnt[dir] & DP_STATE_BYTES_MASK;
}

/* Sets direction dir's counters (packets past 40 bits, bytes past 56 wrap). */
static inline void
dp_state_set_counts(struct dp_state *st, unsigned int dir, uint64_t packets, uint64_t bytes)
{
	st->cnt[dir] = (bytes & DP_STATE_BYTES_MASK) | ((packets >> 32) & 0xff) << 56;
	st->pkts_lo[dir] = (uint32_t)packets;
}

/*
 * A whole state as a peer describes it, for dp_state_apply(): what pfsync
 * carries of a state [OpenBSD pfvar.h struct pfsync_state: struct pfsync_state; OpenBSD
 * pf.c pf_state_import], in this table's terms.  Times are relative, as on
 * the wire, so the two nodes' clocks never meet.  A state learned from a
 * peer hangs off no rule, as OpenBSD's network-imported states hang off the
 * default rule (the ruleset checksum is not sent) [pf_state_import].
 */
struct dp_state_desc {
	union dp_state_key key;		/* canonical (dp_state_key_make()), pad 0 */
	struct pf_track track;		/* both peers; [0] the creator (pfsync's src) */
	uint64_t id;			/* identity, host order */
	uint32_t creatorid;		/* != 0 */
	uint32_t expire_in;		/* seconds left (pfsync `expire`) */
	uint32_t age;			/* seconds since creation (pfsync `creation`) */
	uint64_t packets[2];		/* [0] from the creator */
	uint64_t bytes[2];
	uint8_t af;			/* 4 or 6: which key layout */
	uint8_t timeout;		/* PFTM_* index, < PFTM_MAX */
	uint8_t flags;			/* DP_STF_SWAPPED | NOSYNC | SLOPPY | LOG */
	uint8_t iface[2];		/* interface indexes, as struct dp_state */
};

#define DP_STATE_DESC_FLAGS (DP_STF_SWAPPED | DP_STF_NOSYNC | DP_STF_SLOPPY | DP_STF_LOG)

/* What dp_state_apply() did (its non-negative results). */
#define DP_APPLY_LIST(_)                                                \
	_(INSERTED, "inserted")		/* a new state */               \
	_(UPDATED, "updated")		/* merged; the peer was as new */ \
	_(STALE, "stale")		/* merged; ours is newer for a peer */ \
	_(JOINED, "joined")		/* another identity, our key: merged \
					 * into ours, which keeps its own */ \
	_(ADOPTED, "adopted")		/* the same, ours took the peer's */

enum dp_apply_result {
#define DP_APPLY_ENUM(sym, str) DP_APPLY_##sym,
	DP_APPLY_LIST(DP_APPLY_ENUM)
#undef DP_APPLY_ENUM
	DP_APPLY_MAX
};

const char *dp_apply_name(unsigned int r);

/*
 * Inserts or updates a state from a peer's description d [OpenBSD
 * if_pfsync.c 1.332 pfsync_in_ins, pfsync_in_upd, pfsync_in_updates;
 * pf.c pf_state_import]:
 *  - unknown (id, creatorid): inserted with d's tracking, timeout index,
 *    expire = now + expire_in, creation = now - age, flags, interfaces and
 *    counters.  DP_APPLY_INSERTED.
 *  - known: the peers merge as pfsync_upd_tcp() does (pf_track_merge());
 *    unless both of our peers were newer, the timeout index becomes d's and
 *    the state is refreshed from now (OpenBSD sets expire = now).  Key,
 *    flags, counters are left alone, as OpenBSD leaves them.
 *    DP_APPLY_STALE if ours was newer for a peer (the caller sends ours
 *    back), else DP_APPLY_UPDATED.
 *  - unknown identity, but the key is a state we hold under another one
 *    (both nodes made a state for the connection, docs/pfsync.md "Two
 *    states for one connection"): the two become one.  The identity that
 *    sorts first by (creatorid, id) is kept, so both nodes pick the same
 *    (a state we hold from a peer always keeps its own);
 *    the tracking is joined (pf_track_join(), d's peers turned to our
 *    orientation first), the counters and rule stay ours.  DP_APPLY_JOINED
 *    when ours won; DP_APPLY_ADOPTED when d's won: the record takes d's
 *    identity (a peer state from then on) and orientation (the creator
 *    side, with the counters and interfaces turned along).  Either way the
 *    caller sends ours back so the peer learns what we saw.
 * *stp gets the state.  Errors: -EINVAL (a bad description: af, a key not
 * canonical or not of d's af, timeout, a level past PF_TCPS_PROXY_DST,
 * creatorid 0, other flags), -EEXIST (the key belongs to another state),
 * -EDQUOT, -ENOSPC, -ENOMEM as dp_state_insert_peer().
 */
int dp_state_apply(struct dp_state_table *tbl, const struct dp_state_desc *d, uint32_t now,
		   struct dp_state **stp);

/*
 * Merges a peer's tracking (a pfsync UPD_C, or the known-state half of
 * dp_state_apply()) into live state st: pf_track_merge(), or
 * pf_track_join() when st is split (DP_SPLIT_ON: both nodes forward it, and
 * each view is ahead in the fields its node sees), then, unless
 * both of our peers were newer, the timeout index becomes `timeout` and
 * the state is refreshed from now.  DP_APPLY_STALE or DP_APPLY_UPDATED.
 * The caller has checked timeout < PFTM_MAX and the levels.
 */
int dp_state_merge(struct dp_state_table *tbl, struct dp_state *st, const struct pf_track *track,
		   uint8_t timeout, uint32_t now);

/*
 * The description of a state (what dp_state_apply() takes) from a record
 * or a copy of one, its key and identity: from dp_state_snapshot() on the
 * control core (pfsync INS/UPD), or from the record on its worker.
 */
void dp_state_desc_fill(const struct dp_state *st, const void *key, uint64_t id,
			uint32_t creatorid, uint32_t now, struct dp_state_desc *d);

#endif /* DPF_DP_STATE_H */
