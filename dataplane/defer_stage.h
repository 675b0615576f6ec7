/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The worker's side of pfsync defer (defer_stage.c): where the packet path
 * (filter.c), the requests (filter_cmd.c) and the loop (worker.c) meet the
 * hold queue of defer.h.  Private to dataplane/.
 *
 * Ownership: [W] the worker that owns the state, on its own queue.
 */
#ifndef DPF_DP_DEFER_STAGE_H
#define DPF_DP_DEFER_STAGE_H

#include <stdbool.h>
#include <stdint.h>

struct dp_state;
struct dp_wctx;
struct rte_mbuf;

/*
 * State st was just created by packet m (sync.defer on): makes its INSERT
 * event, and holds m when the state is synced (not no-sync), m is not
 * broadcast or multicast, the queue has room (else counted as `limit`)
 * and the event is on the ring, so that the control core sends the insert
 * at once with PFSTATE_ACK.  Returns true if m is held (consumed), false
 * if it goes on now.
 */
bool dp_defer_first(struct dp_wctx *c, struct rte_mbuf *m, struct dp_state *st);

/* State st (DP_STF_DEFER) is being removed: its held packet is dropped. */
void dp_defer_removed(struct dp_wctx *c, struct dp_state *st);

/* A RELEASE request (filter_cmd.h): 0, or -ENOENT when nothing is held. */
int32_t dp_defer_release(struct dp_wctx *c, uint64_t id, uint32_t creatorid);

/*
 * Every poll while the queue is busy: releases the packets whose timeout
 * passed, and moves at most max released packets to pkts[] for the loop
 * to route and forward.  Returns how many.
 */
unsigned int dp_defer_poll(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int max);

/* dp_defer_clear()'s free function for mbufs. */
void dp_defer_free_pkt(void *pkt);

#endif /* DPF_DP_DEFER_STAGE_H */
