/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Output helpers shared by the workers and the control core.
 */
#ifndef DPF_DP_TX_H
#define DPF_DP_TX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"

/* Packets buffered for one burst: a port's TX queue, or a hand-off ring. */
struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST_MAX];
};

/*
 * Buffers m for port p's TX queue and counts it as sent by p in st.
 * Returns true when the buffer is full: the caller flushes it now.
 */
static inline bool
dp_txbuf_put(struct dp_txbuf *b, struct dp_stats *st, unsigned int p, struct rte_mbuf *m)
{
	st->port[p].tx_pkts++;
	st->port[p].tx_bytes += m->pkt_len;
	b->pkts[b->n++] = m;
	return b->n == DP_BURST_MAX;
}

/*
 * Sends what b holds on (port_id, queue) and empties b.  Returns how many
 * packets the queue did not take; they are freed, and the caller counts
 * them (DP_DROP_TX_FULL and whatever else it keeps).
 */
static inline uint16_t
dp_txbuf_send(struct dp_txbuf *b, uint16_t port_id, uint16_t queue)
{
	uint16_t sent, lost;

	if (b->n == 0)
		return 0;
	sent = rte_eth_tx_burst(port_id, queue, b->pkts, b->n);
	lost = (uint16_t)(b->n - sent);
	if (unlikely(lost != 0))
		rte_pktmbuf_free_bulk(&b->pkts[sent], lost);
	b->n = 0;
	return lost;
}

/*
 * Rewrites the L2 header for the egress interface: our MAC as source, the
 * neighbour's as destination, the egress VLAN tag (added, changed or
 * removed).  Returns false if the mbuf has no headroom for a tag.
 */
static inline bool
dp_l2_rewrite(struct rte_mbuf *m, uint16_t l3_off, const struct dp_port *op,
	      const struct dp_iface *oif, uint64_t mac, uint16_t ethertype)
{
	uint16_t want = oif->vlan ? 18 : 14;
	uint8_t *eth;

	if (l3_off != want) {
		if (l3_off > want) {
			if (rte_pktmbuf_adj(m, l3_off - want) == NULL)
				return false;
		} else if (rte_pktmbuf_prepend(m, want - l3_off) == NULL) {
			return false;
		}
	}
	eth = rte_pktmbuf_mtod(m, uint8_t *);
	eth[0] = (uint8_t)(mac >> 40);
	eth[1] = (uint8_t)(mac >> 32);
	eth[2] = (uint8_t)(mac >> 24);
	eth[3] = (uint8_t)(mac >> 16);
	eth[4] = (uint8_t)(mac >> 8);
	eth[5] = (uint8_t)mac;
	memcpy(eth + 6, op->mac.addr_bytes, 6);
	if (oif->vlan) {
		*(rte_be16_t *)(eth + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(rte_be16_t *)(eth + 14) = rte_cpu_to_be_16(oif->vlan);
		*(rte_be16_t *)(eth + 16) = rte_cpu_to_be_16(ethertype);
	} else {
		*(rte_be16_t *)(eth + 12) = rte_cpu_to_be_16(ethertype);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	return true;
}

#endif /* DPF_DP_TX_H */
