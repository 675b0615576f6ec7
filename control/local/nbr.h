/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Neighbour table policy: who may take a slot, which slot goes when the
 * table is full, and when an entry ages out.  Pure C (no DPDK), slot
 * indices only, the clock passed in: local.c maps slots to the rte_hash
 * positions of dataplane/neigh.c and does the deleting; tests/unit/
 * test_nbr.c drives this module with an injected clock.
 *
 * Why: a table that never deletes fills from one host on the LAN that
 * sends to thousands of addresses of a connected prefix (each needs a
 * resolution) or solicits from thousands of sources, and then no new
 * neighbour can be resolved on any interface.  Linux bounds its table with
 * gc_thresh1..3 and a garbage collector; FreeBSD with a per-entry timer
 * and max_age.  Here, on top of that:
 *
 *  - Classes.  NBR_NEEDED (the gateway of a route, the next hop of a state
 *    both sides have sent on, CARP's) is never refused and may evict; NBR_SPECULATIVE (a destination on a connected prefix, the
 *    appliance's own packets) passes four budgets: per-source token
 *    buckets keyed by the address that sent the packet which needs the
 *    resolution (one host cannot drain what its neighbours need), a
 *    per-interface token bucket of a quarter of the global rate (a host
 *    that forges thousands of sources defeats the per-source buckets, but
 *    its interface's share is all it can spend: the other interfaces keep
 *    three quarters), a global token bucket (resolutions per second), and
 *    a cap on incomplete entries per interface; NBR_UNSOLICITED (learned from an ARP request or an NS
 *    for our address, RFC 826 merge, RFC 4861 7.2.3 STALE) is capped in
 *    number and refused, never evicting, past the cap.
 *  - Eviction.  Unresolved (incomplete, failed) and stale entries sit on
 *    one LRU list, oldest first; when the table is full a new entry takes
 *    the oldest one that is not pinned (a gateway of the current FIB).
 *    Resolved entries (reachable, probe) are never evicted: an established
 *    flow forwards on them.
 *  - Aging.  Failed entries go after NBR_FAILED_HOLD_S, stale ones after
 *    NBR_STALE_S; reachable ones are re-probed by local.c and fail like
 *    any other when the neighbour is gone.
 *
 * Ownership: [C] the control core alone reads and writes all of it.
 */
#ifndef DPF_CONTROL_NBR_H
#define DPF_CONTROL_NBR_H

#include <stdbool.h>
#include <stdint.h>

#define NBR_NIL UINT32_MAX
#define NBR_MAX_IFACES 64		/* DP_MAX_IFACES */
/*
 * Per-source budgets: each source has two of NBR_SRC_BUCKETS token buckets,
 * picked by the low and the high half of its seeded hash, each with half
 * the source's rate and burst.  A resolution takes a token from the fuller
 * of the two; the source is refused only when both are empty.  With one
 * bucket per source, a host whose bucket a flooder shares (one chance in
 * 1024, for as long as dpf runs: the seed is drawn at start) was refused
 * with the flooder; with two it is refused only if both are shared.
 */
#define NBR_SRC_BUCKETS 1024
#define NBR_RATE 1000			/* speculative resolutions per second, all sources */
#define NBR_SRC_RATE 50			/* ... per source (two buckets of 25/s) */
#define NBR_SRC_BURST 100		/* ... (two of 50) */
#define NBR_IFACE_RATE (NBR_RATE / 4)	/* ... per interface, and its burst */
#define NBR_FAILED_HOLD_S 3		/* a failed entry stays this long, then goes */
#define NBR_STALE_S 60			/* an unsolicited (stale) entry goes after this */
#define NBR_US_PER_S 1000000ull

/* Counters: (symbol, name).  Names as `show info -v` prints them. */
#define NBR_COUNTER_LIST(_)                                     \
	_(CREATED, "neighbor-created")                          \
	_(EXPIRED, "neighbor-expired")                          \
	_(EVICTED, "neighbor-evicted")                          \
	_(REFUSED_SOURCE, "neighbor-refused-source")            \
	_(REFUSED_RATE, "neighbor-refused-rate")                \
	_(REFUSED_IFACE, "neighbor-refused-iface")              \
	_(REFUSED_IFACE_RATE, "neighbor-refused-iface-rate")    \
	_(REFUSED_UNSOLICITED, "neighbor-refused-stale")        \
	_(REFUSED_FULL, "neighbor-refused-full")

enum nbr_counter {
#define NBR_COUNTER_ENUM(sym, str) NBR_C_##sym,
	NBR_COUNTER_LIST(NBR_COUNTER_ENUM)
#undef NBR_COUNTER_ENUM
	NBR_C_MAX
};

const char *nbr_counter_name(unsigned int c);

/* Why an entry is wanted (see the file comment). */
enum nbr_class {
	NBR_NEEDED,
	NBR_SPECULATIVE,
	NBR_UNSOLICITED,
};

/* What the policy needs to know of a slot's resolution state. */
enum nbr_kind {
	NBR_K_NONE,			/* not managed here (free, or made by route.c) */
	NBR_K_UNRESOLVED,		/* incomplete or failed: evictable */
	NBR_K_STALE,			/* learned unsolicited: evictable, ages */
	NBR_K_RESOLVED,			/* reachable or probe: kept */
};

struct nbr_bucket {
	uint64_t tokens;		/* in 1/NBR_US_PER_S units of a token */
	uint64_t at_us;
};

struct nbr_slot {
	uint32_t prev, next;		/* LRU list of evictable slots */
	uint64_t since_us;		/* entered its kind (failed, stale: the timer) */
	uint16_t iface;
	uint8_t kind;			/* enum nbr_kind */
	uint8_t incomplete : 1;		/* counted in incomplete[iface] */
	uint8_t failed : 1;		/* UNRESOLVED and given up: ages */
	uint8_t pinned : 1;		/* a gateway of the current FIB: kept */
};

struct nbr {
	uint32_t n_slots;		/* [I] slot indices 0..n_slots-1 */
	uint32_t max_entries;		/* [I] evict when this many are in use */
	uint32_t incomplete_max;	/* [I] per interface */
	uint32_t unsolicited_max;	/* [I] */
	uint32_t seed;			/* [I] source hash seed */
	uint32_t n_entries;		/* managed slots */
	uint32_t n_unsolicited;
	uint32_t head, tail;		/* LRU: head is the oldest */
	uint16_t incomplete[NBR_MAX_IFACES];
	struct nbr_slot *slot;
	struct nbr_bucket global;
	struct nbr_bucket ifrate[NBR_MAX_IFACES];
	struct nbr_bucket src[NBR_SRC_BUCKETS];
	uint64_t counters[NBR_C_MAX];
};

/*
 * n_slots: the slot index space; max_entries: table size (entries beyond
 * it are not created, the LRU entry goes first).  Returns -1 on no memory.
 */
int nbr_init(struct nbr *t, uint32_t n_slots, uint32_t max_entries, uint32_t seed,
	     uint64_t now_us);
void nbr_fini(struct nbr *t);

/* A hash of the address (4 or 16 bytes) that caused a resolution. */
uint32_t nbr_src_hash(const struct nbr *t, const uint8_t *addr, unsigned int len);

/* The two (distinct) per-source buckets of a source hash: its low and high half. */
static inline void
nbr_src_buckets(uint32_t src_hash, uint32_t idx[2])
{
	idx[0] = src_hash % NBR_SRC_BUCKETS;
	idx[1] = (src_hash >> 16) % NBR_SRC_BUCKETS;
	if (idx[1] == idx[0])
		idx[1] = (idx[0] + 1) % NBR_SRC_BUCKETS;
}

/*
 * May a new entry of class cls be created on iface, for source src_hash?
 * Takes the tokens when it may; counts the refusal when not.  It does not
 * say whether there is room: see nbr_full() and nbr_victim().
 */
bool nbr_admit(struct nbr *t, enum nbr_class cls, uint16_t iface, uint32_t src_hash,
	       uint64_t now_us);
/* The table holds max_entries managed entries (plus extra, not managed). */
bool nbr_full(const struct nbr *t, uint32_t extra);
/*
 * The least recently used evictable slot that is not pinned, or NBR_NIL;
 * the caller deletes it and calls nbr_remove(..., true).
 */
uint32_t nbr_victim(const struct nbr *t);

/* A new entry in slot s (cls NBR_UNSOLICITED: stale, else unresolved). */
void nbr_insert(struct nbr *t, uint32_t s, uint16_t iface, enum nbr_class cls, uint64_t now_us);
/* Slot s is gone (evicted: counted as an eviction, else as expired). */
void nbr_remove(struct nbr *t, uint32_t s, bool evicted);
/* s resolved (reachable), or is being resolved again (incomplete). */
void nbr_resolved(struct nbr *t, uint32_t s, uint64_t now_us);
void nbr_resolving(struct nbr *t, uint32_t s, uint64_t now_us);
/* s gave up (failed): it goes after NBR_FAILED_HOLD_S. */
void nbr_failed(struct nbr *t, uint32_t s, uint64_t now_us);
/* Is s due to go (failed or stale past its time, not pinned)? */
bool nbr_expired(const struct nbr *t, uint32_t s, uint64_t now_us);
void nbr_pin(struct nbr *t, uint32_t s, bool pinned);

static inline bool
nbr_managed(const struct nbr *t, uint32_t s)
{
	return s < t->n_slots && t->slot[s].kind != NBR_K_NONE;
}

#endif /* DPF_CONTROL_NBR_H */
