/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The reassembly stage's entry points for the worker loop (frag.c).  Set
 * up and tear down, and the splitting the control core uses, are in
 * frag.h.  Private to dataplane/.
 */
#ifndef DPF_DP_FRAG_STAGE_H
#define DPF_DP_FRAG_STAGE_H

#include <stdint.h>

struct dp_iface;
struct dp_wctx;
struct rte_mbuf;

/*
 * Takes each fragment out of pkts[0..n) into the worker's reassembly
 * table; a datagram it completes takes a place in pkts[] as a whole packet
 * (or goes to the worker owning its connection).  Returns how many remain.
 */
unsigned int dp_frag_burst(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int n);

/* Housekeeping (once a millisecond): drops the datagrams whose
 * timeouts.frag ran out. */
void dp_frag_housekeeping(struct dp_wctx *c);

/* A reassembled IPv6 datagram out as fragments of md->fragsz at most, to
 * neighbour mac on oif. */
void dp_frag6_out(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_iface *oif,
		  uint64_t mac);

#endif /* DPF_DP_FRAG_STAGE_H */
