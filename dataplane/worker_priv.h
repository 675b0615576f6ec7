/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the worker loop (worker.c) and the filter stage (filter.c) share:
 * the per-worker context and the small inline helpers every stage uses to
 * drop, punt and transmit.  Private to dataplane/.
 *
 * Ownership: [W] everything here belongs to one worker and lives on its
 * stack; nothing is shared with other threads except through the rings.
 */
#ifndef DPF_DP_WORKER_PRIV_H
#define DPF_DP_WORKER_PRIV_H

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST_MAX];
};

struct dp_rules;
struct dp_state_table;

/* Per-worker scratch state [W]; lives on the worker's stack. */
struct dp_wctx {
	struct dp_main *dp;
	struct dp_worker *w;
	struct dp_stats *st;
	const struct dp_fib *fib;	/* this poll's FIB */
	const struct dp_rules *rules;	/* this poll's ruleset */
	struct dp_state_table *states;	/* the worker's shard */
	uint32_t now;			/* seconds on the dp clock (clock.h), per poll */
	unsigned int rules_gen;		/* gen of the ruleset the table's timeouts came from */
	uint64_t tsc;			/* rte_rdtsc() at the start of the poll */
	uint64_t tsc_per_ms;		/* TSC ticks in a millisecond */
	uint64_t hk_tsc;		/* TSC of the last housekeeping */
	unsigned int hk_ms;		/* milliseconds since the one before (1..64) */
	struct dp_txbuf tx[DP_MAX_PORTS];
	struct dp_txbuf ho[DP_MAX_WORKERS];
};

static inline void
dp_drop(struct dp_wctx *c, struct rte_mbuf *m, enum dp_drop why)
{
	c->st->drop[why]++;
	rte_pktmbuf_free(m);
}

static inline void
dp_punt(struct dp_wctx *c, struct rte_mbuf *m, enum dp_punt why)
{
	dp_meta(m)->punt = why;
	if (unlikely(rte_ring_sp_enqueue(c->w->punt, m) != 0)) {
		dp_drop(c, m, DP_DROP_PUNT_FULL);
		return;
	}
	c->st->punts++;
}

void dp_tx_flush(struct dp_wctx *c, unsigned int p);

static inline void
dp_tx(struct dp_wctx *c, unsigned int p, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &c->tx[p];

	c->st->port[p].tx_pkts++;
	c->st->port[p].tx_bytes += m->pkt_len;
	b->pkts[b->n++] = m;
	if (b->n == DP_BURST_MAX)
		dp_tx_flush(c, p);
}

void dp_handoff_flush(struct dp_wctx *c, unsigned int dst);

static inline void
dp_handoff(struct dp_wctx *c, unsigned int owner, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &c->ho[owner];

	b->pkts[b->n++] = m;
	if (b->n == DP_BURST_MAX)
		dp_handoff_flush(c, owner);
}

/*
 * The filter stage (filter.c): state lookup and tracking, or the rules on
 * a miss, for n packets this worker owns, whose next hops were looked up
 * (nh[i] indexes c->fib->nh).  Packets that may be forwarded stay in pkts[]
 * (compacted, with their nh); the others are consumed (dropped, logged,
 * punted for block return).  Returns how many remain.
 */
unsigned int dp_filter_burst(struct dp_wctx *c, struct rte_mbuf **pkts, uint32_t *nh,
			     unsigned int n);

/*
 * Fragments (frag.c): takes each fragment out of pkts[0..n) into the
 * worker's reassembly table; a datagram it completes takes a place in
 * pkts[] as a whole packet (or goes to the worker owning its connection).
 * Returns how many remain.
 */
unsigned int dp_frag_burst(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int n);

/* Housekeeping (once a millisecond): drops the datagrams whose
 * timeouts.frag ran out. */
void dp_frag_housekeeping(struct dp_wctx *c);

struct dp_iface;

/* A reassembled IPv6 datagram out as fragments of md->fragsz at most. */
void dp_frag6_out(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_iface *oif,
		  uint64_t mac);

/*
 * Housekeeping (once a millisecond, c->hk_ms since the last time):
 * bounded expiry of the worker's states, a slice of a KILL or FLUSH.
 */
void dp_filter_housekeeping(struct dp_wctx *c);

/*
 * Every poll: the control core's requests (filter_cmd.h), unless a KILL or
 * FLUSH is under way: APPLYs at once, a KILL or FLUSH started.
 */
void dp_filter_requests(struct dp_wctx *c);

#endif /* DPF_DP_WORKER_PRIV_H */
