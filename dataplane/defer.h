/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pfsync defer: a worker's hold queue for the first packets of its new
 * states (docs/pfsync.md "Defer").
 *
 * With sync.defer on, the first packet of a new state that is synced (not
 * no-sync) and not broadcast or multicast waits here while the insert goes
 * to the peer with PFSTATE_ACK, until the peer acknowledges it (INS_ACK,
 * a RELEASE request from the control core, filter_cmd.h) or the timeout
 * passes; it is then transmitted as the state's forward decision says.
 * OpenBSD's rules [if_pfsync.c 1.332 pfsync_defer, pfsync_deferred,
 * pfsync_deferrals_task; protocols.md 3.9]: at most PFSYNC_DEFER_LIMIT
 * (128) packets held, each for at most PFSYNC_DEFER_NSEC (20 ms).  Where
 * OpenBSD flushes the oldest held packet to make room, dpf sends the new
 * one at once and counts it (`limit`): the worker never waits and never
 * reorders what is already held.  A packet whose state is removed while
 * it is held is dropped and counted (`deleted`), as FreeBSD does
 * [FreeBSD if_pfsync.c pfsync_undefer_state(st, 1)]: its state is gone, so
 * there is no forward decision left to follow.
 *
 * Pure C (no DPDK): a packet is an opaque pointer, time is the caller's
 * microseconds (the worker's dp clock, clock.h; tests inject it).
 * Entries are kept in arrival order, which is also deadline order (one
 * timeout for all), in a ring of DP_DEFER_LIMIT slots; an entry released
 * out of order (acknowledged, or its state removed) leaves a hole the
 * head skips.  Lookups by identity or record are linear: there are at
 * most 128 entries, and only a deferral's own events look.
 *
 * Released packets move to the `out` list, which the worker drains once
 * a poll (dp_defer_take()) and forwards; the queue never touches them
 * itself.
 *
 * Ownership: [W] the owning worker only.  The counters and the delay
 * histogram are read by the control core (`show pfsync`) without locks,
 * as struct dp_stats is.
 */
#ifndef DPF_DP_DEFER_H
#define DPF_DP_DEFER_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/pfsync_hist.h"

#define DP_DEFER_LIMIT 128		/* held packets per worker [PFSYNC_DEFER_LIMIT] */
#define DP_DEFER_TIMEOUT_US 20000	/* longest hold [PFSYNC_DEFER_NSEC: 20 ms] */

/* Counters: symbol, name, description (show pfsync). */
#define DP_DEFER_STAT_LIST(_)						\
	_(HELD, "held", "first packets held for the peer's acknowledgement") \
	_(ACK, "released-ack", "held packets sent when the peer acknowledged") \
	_(TIMEOUT, "released-timeout", "held packets sent when the timeout passed") \
	_(LIMIT, "limit", "first packets sent at once: the hold queue was full") \
	_(DELETED, "dropped-deleted", "held packets dropped: the state was removed") \
	_(ACK_UNKNOWN, "ack-unknown", "acknowledgements for no held packet")

enum dp_defer_stat {
#define DP_DEFER_STAT_ENUM(sym, name, descr) DP_DEFER_S_##sym,
	DP_DEFER_STAT_LIST(DP_DEFER_STAT_ENUM)
#undef DP_DEFER_STAT_ENUM
	DP_DEFER_S_MAX
};

const char *dp_defer_stat_name(unsigned int s);
const char *dp_defer_stat_descr(unsigned int s);

/* A held packet. */
struct dp_defer_ent {
	void *pkt;			/* NULL: a hole (released out of order) */
	uint64_t id;			/* the state's pfsync identity */
	uint32_t creatorid;
	uint32_t pos;			/* its record index in the worker's table */
	uint64_t t_us;			/* when the packet arrived */
};

/* A released packet, for the worker to forward. */
struct dp_defer_out {
	void *pkt;
	uint32_t pos;			/* its state's record */
};

struct dp_defer {
	uint64_t timeout_us;		/* [I] */
	uint32_t head;			/* oldest slot */
	uint32_t used;			/* slots from head, holes included */
	uint32_t live;			/* packets held now */
	uint32_t n_out;			/* released, not taken yet */
	struct dp_defer_ent e[DP_DEFER_LIMIT];
	struct dp_defer_out out[DP_DEFER_LIMIT];
	uint64_t stats[DP_DEFER_S_MAX];
	struct pfsync_hist delay;	/* arrival -> release, us (ack and timeout) */
};

/* Empty queue with this timeout (0: DP_DEFER_TIMEOUT_US). */
void dp_defer_init(struct dp_defer *q, uint64_t timeout_us);

/* Packets held now. */
static inline uint32_t
dp_defer_live(const struct dp_defer *q)
{
	return q->live;
}

/* Whether the worker has anything to do here: held or released packets. */
static inline bool
dp_defer_busy(const struct dp_defer *q)
{
	return q->live != 0 || q->n_out != 0;
}

/*
 * Holds pkt, the first packet of state (id, creatorid) at record pos,
 * which arrived at now_us.  0, or -ENOSPC when DP_DEFER_LIMIT packets
 * are held (counted as `limit`): the caller sends it at once.
 */
int dp_defer_hold(struct dp_defer *q, void *pkt, uint64_t id, uint32_t creatorid, uint32_t pos,
		  uint64_t now_us);

/*
 * The peer acknowledged state (id, creatorid): its packet is released
 * (counted as `ack`, its delay recorded).  Returns its record index, or
 * -ENOENT (nothing held for it, counted as `ack-unknown`).
 */
int64_t dp_defer_ack(struct dp_defer *q, uint64_t id, uint32_t creatorid, uint64_t now_us);

/*
 * Releases the packets held since at least the timeout (counted as
 * `timeout`).  Returns how many; they are the last entries of `out`.
 */
unsigned int dp_defer_expire(struct dp_defer *q, uint64_t now_us);

/*
 * The state at record pos is being removed: its held packet, if any, is
 * taken off the queue and returned for the caller to drop (counted as
 * `deleted`); NULL when none is held.
 */
void *dp_defer_gone(struct dp_defer *q, uint32_t pos);

/*
 * Moves at most max released packets, oldest release first, to pkts[]
 * (and their records to pos[], if not NULL).  Returns how many.
 */
unsigned int dp_defer_take(struct dp_defer *q, void **pkts, uint32_t *pos, unsigned int max);

/*
 * Empties the queue (the worker stops): every held and released packet is
 * handed to free_fn.
 */
void dp_defer_clear(struct dp_defer *q, void (*free_fn)(void *pkt));

#endif /* DPF_DP_DEFER_H */
