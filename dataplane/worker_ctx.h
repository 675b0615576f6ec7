/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The per-worker context every stage of the packet path works in (the
 * loop in worker.c, the stages in filter.c and frag.c), and the inline
 * helpers they use to drop, punt, transmit and hand packets over.  A stage
 * includes this header and its own entry-point header (filter_stage.h,
 * frag_stage.h), never another stage's or the loop's internals.  Private
 * to dataplane/.
 *
 * Ownership: [W] everything here belongs to one worker and lives on its
 * stack; nothing is shared with other threads except through the rings.
 */
#ifndef DPF_DP_WORKER_CTX_H
#define DPF_DP_WORKER_CTX_H

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "dataplane/dp_tx.h"
#include "dataplane/state_event.h"

struct dp_rules;
struct dp_state_table;

/* Direct-mapped cache of neighbour slots per worker: a power of two. */
#define DP_NBR_CACHE 1024

/* State events a worker stages before it puts them on its ring. */
#define DP_SEV_STAGE 64

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
	uint32_t nbr_gen;		/* dp->neigh_gen the cache below is from */
	struct dp_nbr_cache_entry {
		uint8_t addr[16];
		uint16_t iface;
		uint8_t af;		/* 0: empty */
		int32_t slot;
	} nbr[DP_NBR_CACHE];		/* neighbour slots by destination (worker.c) */
	struct dp_txbuf tx[DP_MAX_PORTS];
	struct dp_txbuf ho[DP_MAX_WORKERS];
	/*
	 * State events staged by dp_state_event() and put on the ring
	 * together by dp_state_events_flush() (every poll, and when the stage
	 * is full): the ring's indexes and slots are cache lines that the
	 * control core reads and writes as it drains, and one exchange of them
	 * per event cost about 230 cycles per new state (BENCHMARKS.md).
	 * sev_credit: events that will still fit, i.e. the ring's free slots
	 * when last read, less what was staged since.  Only this worker
	 * produces, so the true room can only be larger.
	 */
	unsigned int sev_n;
	unsigned int sev_credit;
	struct dp_sev sev_stage[DP_SEV_STAGE];
	/*
	 * The ASKs of the last second (state_event.h, dp_state_ask()): by
	 * record index modulo DP_SEV_ASK_CACHE, the record + 1 (0: none) and
	 * the second it was asked for; ask_n ASKs made in second ask_sec.
	 */
	struct dp_ask_seen {
		uint32_t pos1;
		uint32_t sec;
	} ask[DP_SEV_ASK_CACHE];
	uint32_t ask_sec;
	unsigned int ask_n;
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

/*
 * The buffered output of port p (or of the hand-off ring to worker dst)
 * sent now; what does not fit is counted and freed.  Defined with the loop
 * (worker.c), which flushes every buffer once a poll.
 */
/*
 * The worker loop in two parts, so that a benchmark (tools/bench/
 * path_bench.c) can run exactly the loop's work one poll at a time:
 * dp_worker_begin() sets up c for worker w; dp_worker_poll() is one
 * iteration without the RCU report and the idle sleep (dp_worker_main()
 * keeps those) and returns the packets and requests it handled.
 */
void dp_worker_begin(struct dp_wctx *c, struct dp_worker *w);
unsigned int dp_worker_poll(struct dp_wctx *c);

void dp_tx_flush(struct dp_wctx *c, unsigned int p);

static inline void
dp_tx(struct dp_wctx *c, unsigned int p, struct rte_mbuf *m)
{
	if (dp_txbuf_put(&c->tx[p], c->st, p, m))
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

#endif /* DPF_DP_WORKER_CTX_H */
