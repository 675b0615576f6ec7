/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The filter stage's entry points for the worker loop (filter.c).  The
 * control core's side of the filter (rulesets, tables, commands) is in
 * filter.h.  Private to dataplane/.
 */
#ifndef DPF_DP_FILTER_STAGE_H
#define DPF_DP_FILTER_STAGE_H

#include <stdint.h>

struct dp_wctx;
struct rte_mbuf;

/*
 * State lookup and tracking, or the rules on a miss, for n packets this
 * worker owns, whose next hops were looked up (nh[i] indexes c->fib->nh).
 * Packets that may be forwarded stay in pkts[] (compacted, with their nh);
 * the others are consumed (dropped, logged, punted for block return).
 * Returns how many remain.
 */
unsigned int dp_filter_burst(struct dp_wctx *c, struct rte_mbuf **pkts, uint32_t *nh,
			     unsigned int n);

/*
 * Housekeeping (once a millisecond, c->hk_ms since the last time):
 * bounded expiry of the worker's states, a slice of a KILL or FLUSH.
 */
void dp_filter_housekeeping(struct dp_wctx *c);

/*
 * Every poll: the control core's requests (filter_cmd.h), unless a KILL or
 * FLUSH is under way: APPLYs at once, a KILL or FLUSH started.  Returns
 * the requests taken (at most DP_REQ_APPLY_BURST), so that the worker does
 * not sleep while its ring holds more.
 */
unsigned int dp_filter_requests(struct dp_wctx *c);

/*
 * Puts the state events staged since the last call on the worker's ring
 * (filter_priv.h dp_state_event()).  The loop calls it once a poll, after
 * every stage; the stages call it when the stage is full.
 */
void dp_state_events_flush(struct dp_wctx *c);

#endif /* DPF_DP_FILTER_STAGE_H */
