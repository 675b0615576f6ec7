/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pflog records, worker side: a `log` rule hands the control core a copy of
 * the packet's first bytes from its L3 header, with a small metadata block
 * in the copy's mbuf private area, on the worker's own SPSC log ring
 * (dp_worker.log).  The control core (control/pflog/pflog_writer.c) turns each
 * record into an OpenBSD pflog header + packet in a DLT_PFLOG pcap file.
 *
 * The worker never waits for the logger: a failed copy (pool empty) and a
 * full ring are counted (dp_stats.log_nombuf, log_ring_full) and the record
 * is lost; the packet itself is forwarded or dropped as the rule says,
 * whatever happens to its log record: logging never blocks forwarding,
 * and what it loses is counted (as pflogd's and VPP's loggers do).
 */
#ifndef DPF_DP_LOG_H
#define DPF_DP_LOG_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp.h"

/* Bytes of the packet (from the L3 header) a record keeps by default. */
#define DP_LOG_SNAPLEN_DEFAULT 160
/* Largest snaplen: the record's L3 length is a 16-bit field. */
#define DP_LOG_SNAPLEN_MAX 65535
/* dp_log_meta.tsc holds rte_rdtsc() >> DP_LOG_TSC_SHIFT: below 1 us per
 * step on a >= 1 GHz TSC, and 2^42 cycles (over 20 minutes at 3.5 GHz)
 * before it wraps, far longer than a record waits on the ring. */
#define DP_LOG_TSC_SHIFT 10

/*
 * A log record's metadata, overlaid on the copy's mbuf private area (the
 * copy never carries a struct dp_mbuf_meta).  Values are pf's, so the
 * writer copies them into the pflog header unchanged, except af (4/6 here,
 * BSD 2/24 in the file) and iface (an index here, the name in the file).
 */
struct dp_log_meta {
	uint32_t rulenr;	/* the rule's number; PFLOG_RULENR_NONE = default rule */
	uint32_t tsc;		/* rte_rdtsc() >> DP_LOG_TSC_SHIFT when logged */
	uint16_t iface;		/* interface index (dp_main.ifaces) */
	uint16_t wire_len;	/* L3 length before the snaplen cut (capped at 65535) */
	uint8_t action;		/* enum pf_action: PF_PASS 0, PF_DROP 1, ... */
	uint8_t reason;		/* enum pfres */
	uint8_t dir;		/* enum pf_dir: PF_IN 1, PF_OUT 2 */
	uint8_t af;		/* 4 or 6 */
};
_Static_assert(sizeof(struct dp_log_meta) <= DP_MBUF_PRIV, "log meta must fit the mbuf priv area");

static inline struct dp_log_meta *
dp_log_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/*
 * Logs packet m (not modified, not consumed): copies up to dp->log_snaplen
 * bytes from l3_off into a new mbuf from dp->pool, fills its dp_log_meta and
 * enqueues it on w->log.  Does nothing when logging is off (dp->log_on
 * false, or no ring: w->log NULL).
 * Counts log_pkts on success, log_nombuf or log_ring_full on loss; never
 * waits.  Call from the worker owning w and st only (SP ring, [W] stats).
 */
static inline void
dp_log_packet(struct dp_main *dp, struct dp_worker *w, struct dp_stats *st,
	      const struct rte_mbuf *m, uint16_t l3_off, uint8_t af, uint16_t iface,
	      uint8_t dir, uint8_t action, uint8_t reason, uint32_t rulenr)
{
	struct rte_mbuf *c;
	struct dp_log_meta *lm;
	uint32_t l3len;

	if (w->log == NULL || !atomic_load_explicit(&dp->log_on, memory_order_relaxed) ||
	    unlikely(l3_off >= m->pkt_len))
		return;
	l3len = m->pkt_len - l3_off;
	c = rte_pktmbuf_copy(m, dp->pool, l3_off, dp->log_snaplen);
	if (unlikely(c == NULL)) {
		st->log_nombuf++;
		return;
	}
	lm = dp_log_meta(c);
	lm->rulenr = rulenr;
	lm->tsc = (uint32_t)(rte_rdtsc() >> DP_LOG_TSC_SHIFT);
	lm->iface = iface;
	lm->wire_len = (uint16_t)RTE_MIN(l3len, (uint32_t)UINT16_MAX);
	lm->action = action;
	lm->reason = reason;
	lm->dir = dir;
	lm->af = af;
	if (unlikely(rte_ring_sp_enqueue(w->log, c) != 0)) {
		st->log_ring_full++;
		rte_pktmbuf_free(c);
		return;
	}
	st->log_pkts++;
}

#endif /* DPF_DP_LOG_H */
