/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Counters added up per run: a burst's packets counted under one key (a
 * rule, an interface) are written to the shared counters once per run of
 * that key, not once per packet (a store per packet to lines the control
 * core reads).  The sink writes a run out; the functions are inline and
 * called with a constant sink, which the compiler inlines too.  Private to
 * dataplane/.
 */
#ifndef DPF_DP_RUN_H
#define DPF_DP_RUN_H

#include <stdint.h>

#include <rte_branch_prediction.h>

struct dp_wctx;

struct dp_ctr_run {
	int32_t key;		/* -1: no run yet */
	uint32_t pkts;
	uint64_t bytes;
};

#define DP_CTR_RUN_INIT { .key = -1, .pkts = 0, .bytes = 0 }

/* Writes out run key's packets and bytes (called only with pkts != 0). */
typedef void dp_ctr_run_sink(struct dp_wctx *c, int32_t key, uint32_t pkts, uint64_t bytes);

static inline void
dp_ctr_run_flush(struct dp_wctx *c, struct dp_ctr_run *r, dp_ctr_run_sink *sink)
{
	if (r->pkts != 0)
		sink(c, r->key, r->pkts, r->bytes);
	r->pkts = 0;
	r->bytes = 0;
}

static inline void
dp_ctr_run_add(struct dp_wctx *c, struct dp_ctr_run *r, int32_t key, uint32_t len,
	       dp_ctr_run_sink *sink)
{
	if (unlikely(key != r->key)) {
		dp_ctr_run_flush(c, r, sink);
		r->key = key;
	}
	r->pkts++;
	r->bytes += len;
}

#endif /* DPF_DP_RUN_H */
