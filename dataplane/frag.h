/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IP fragment reassembly before filtering (frag.c): per-worker DPDK
 * ip_frag tables, bounded by limits.frags and timeouts.frag, every loss
 * counted under pf's reason "fragment".
 */
#ifndef DPF_DP_FRAG_H
#define DPF_DP_FRAG_H

#include <stddef.h>
#include <stdint.h>

struct dp_main;
struct rte_mbuf;

/*
 * Creates each worker's table: limit_frags datagrams in reassembly for
 * the appliance (split evenly, at least 64 a worker), timeout_s seconds
 * to complete one.  Called once, before the workers start.  On error
 * returns a negative errno with a message in err.
 */
int dp_frag_init(struct dp_main *dp, uint32_t limit_frags, uint32_t timeout_s, char *err,
		 size_t errlen);

/*
 * A reassembled IPv6 datagram m (L3 at its meta's l3_off, fragsz and
 * frag_id set by reassembly) as fragments of at most size bytes with the
 * sender's identification, L3 at offset 0, meta zeroed but for af.  For
 * the worker and the control core (which sends datagrams that waited for
 * ND).  m is consumed.  Returns the number of fragments in out[], or a
 * negative errno (-ENOMEM: no mbufs, -EINVAL: more than n_out needed).
 */
int dp_frag6_split(struct dp_main *dp, struct rte_mbuf *m, uint16_t size, struct rte_mbuf **out,
		   unsigned int n_out);

/* After the workers stopped: frees the tables and what they hold. */
void dp_frag_fini(struct dp_main *dp);

#endif /* DPF_DP_FRAG_H */
