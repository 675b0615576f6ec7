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

/* dp_filter_burst() flags. */
#define DP_FILTER_ROUTE 0x1	/* look the next hops up (nh[] is output) */
#define DP_FILTER_FORWARD 0x2	/* forward what passes (dp_forward()) at once */

/*
 * State lookup and tracking, or the rules on a miss, for n packets this
 * worker owns.  nh[i] indexes c->fib->nh: the next hops looked up by the
 * caller, or with DP_FILTER_ROUTE by this stage, in the pass that reads
 * the flows.  Packets that may be forwarded stay in pkts[] (compacted,
 * with their nh), or with DP_FILTER_FORWARD go to dp_forward() as each is
 * decided, while its lines are still in L1: one pass over the burst fewer
 * each (with 4 KiB pages every mbuf sits at one page offset, so a burst's
 * mbufs share one L1 set and every pass misses, docs/BENCHMARKS.md).  The
 * others are consumed (dropped, logged, punted for block return).  Returns
 * how many remain in pkts[] (0 with DP_FILTER_FORWARD).
 */
unsigned int dp_filter_burst(struct dp_wctx *c, struct rte_mbuf **pkts, uint32_t *nh,
			     unsigned int n, unsigned int flags);

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

#endif /* DPF_DP_FILTER_STAGE_H */
