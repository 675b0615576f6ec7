/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the filter stage (filter.c) and the worker side of the control
 * requests (filter_cmd.c) share: the state event hook, the removal hook,
 * and how a state names its rule.  Private to dataplane/.
 *
 * Ownership: [W] everything here runs on the worker that owns the state.
 */
#ifndef DPF_DP_FILTER_PRIV_H
#define DPF_DP_FILTER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#include "dataplane/filter.h"
#include "dataplane/state.h"
#include "dataplane/state_event.h"
#include "dataplane/worker_ctx.h"

/* A state records the index of the rule that made it and the ruleset's gen. */
#define DP_ST_RULE 0
#define DP_ST_GEN 1

/* Index of the rule that made st in the current ruleset, -1 if none. */
static inline int
dp_state_rule_idx(const struct dp_wctx *c, const struct dp_state *st)
{
	if (st->rule[DP_ST_GEN] != c->rules->gen || st->rule[DP_ST_RULE] >= c->rules->n_rules)
		return -1;
	return (int)st->rule[DP_ST_RULE];
}

/*
 * The one state event hook (state_event.h): every INSERT, UPDATE and
 * DELETE of every path goes through here.  Filters DP_STF_NOSYNC states
 * (counted as sev_nosync), else stages the event for the worker's ring
 * (counted by kind, or as sev_ring_full when the ring has no room for
 * it).  A DELETE is made before the record is removed, while its identity
 * can still be read.  Out of line: it runs once per state created or
 * removed, and once per maxupd packets of one, never on every packet.
 * Returns whether the event will be on the ring: a staged event always
 * fits (worker_ctx.h, sev_credit), and reaches the ring at the next
 * dp_state_events_flush(), in the order staged.
 */
bool dp_state_event(struct dp_wctx *c, struct dp_state *st, enum dp_sev_kind kind);

/*
 * A TCP segment of st was dropped as outside its windows while st's view
 * came in part from a peer, or lacks the side only the peer saw: an ASK
 * event (state_event.h), unless st was
 * asked for in this second already or the worker made DP_SEV_ASK_PER_S
 * this second (counted as sev_ask_limited).  Off the fast path: drops only.
 */
void dp_state_ask(struct dp_wctx *c, struct dp_state *st);

/* Both peers' levels in one word, to see whether a packet changed either. */
static inline uint16_t
dp_state_levels(const struct dp_state *st)
{
	return (uint16_t)(st->track.peer[0].state | st->track.peer[1].state << 8);
}

/*
 * After a packet passed state st, whose levels were `before`: an UPDATE
 * event if a level changed, else one every dp->sev_maxupd updates
 * (state_event.h).  The fast path's whole cost: a compare, an increment
 * and a compare on the record's cache line.
 */
static inline void
dp_state_event_update(struct dp_wctx *c, struct dp_state *st, uint16_t before)
{
	/* A split state (state.h DP_SPLIT_*): every DP_SPLIT_EVERY packets, so
	 * that the other node's windows follow this one's. */
	unsigned int every = unlikely(st->split != 0) && dp_state_split_tick(st, c->now) ?
		DP_SPLIT_EVERY :
		atomic_load_explicit(&c->dp->sev_maxupd, memory_order_relaxed);

	if (unlikely(dp_state_levels(st) != before) || unlikely(++st->sync_upd >= every)) {
		st->sync_upd = 0;
		dp_state_event(c, st, DP_SEV_UPDATE);
	}
}

/*
 * A state leaves the table (expiry, kill, flush): its DELETE event, the
 * rule's live count, the removal counter.  The dp_state_expire() callback
 * (arg is the struct dp_wctx); call it before dp_state_remove().
 */
void dp_filter_removed(void *arg, struct dp_state *st);

/* Housekeeping's share of the requests: a slice of a KILL or FLUSH. */
void dp_req_slice(struct dp_wctx *c);

/*
 * How far a side of a synced state may lag the connection: its last update
 * came at most maxupd packets ago, each at most a full unscaled window
 * (64 KiB) of data.  maxupd 0 (updates at level changes only) counts as 255.
 */
#define DP_SYNC_SLACK(maxupd) ((uint32_t)(((maxupd) != 0 ? (maxupd) : 255) + 1) * 65535u)

#endif /* DPF_DP_FILTER_PRIV_H */
