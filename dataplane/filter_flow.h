/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: a packet's L4 view and state key, as the filter stage reads them.
 *
 * Internal to the filter stage (filter.c); a header of its own so that the
 * unit tests hold the fast path (dp_flow_key4) to the general one
 * (dp_flow_get, then dp_state_key_make) on the same packets.  Both read
 * only what the parse (dp_parse.h) validated and wrote into the meta.
 */
#ifndef DPF_DATAPLANE_FILTER_FLOW_H
#define DPF_DATAPLANE_FILTER_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/dp_hash.h"
#include "dataplane/state.h"
#include "proto/pkt_quote.h"

/* The L4 view of a packet that states and rules need. */
struct dp_flow {
	const uint8_t *l3;
	const uint8_t *l4;
	const uint8_t *src;
	const uint8_t *dst;
	uint32_t l4_len;		/* L4 bytes in the IP payload */
	uint32_t l4_seg;		/* of which in the first segment (headers) */
	uint16_t sport, dport;		/* host order; ICMP queries: id, id */
	uint8_t af;
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	bool icmp_err;			/* ICMP error: matched through the quoted packet */
};

/*
 * Fills f from packet m.  Returns false if the L4 header is short: the
 * caller drops it as malformed.  Fragments carry no ports (pf matches
 * them on addresses and protocol only).
 */
static inline bool
dp_flow_get(struct rte_mbuf *m, const struct dp_mbuf_meta *md, struct dp_flow *f)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint32_t ip_len, seg = m->data_len - md->l3_off;

	f->l3 = l3;
	f->af = md->af;
	f->proto = md->proto;
	f->sport = f->dport = 0;
	f->tcp_flags = 0;
	f->icmp_type = f->icmp_code = 0;
	f->icmp_err = false;
	if (md->af == 4) {
		f->src = l3 + 12;
		f->dst = l3 + 16;
		ip_len = rte_be_to_cpu_16(*(const rte_be16_t *)(l3 + 2));
	} else {
		f->src = l3 + 8;
		f->dst = l3 + 24;
		ip_len = 40u + rte_be_to_cpu_16(*(const rte_be16_t *)(l3 + 4));
	}
	/* A reassembled datagram is a chain: lengths from the packet, headers
	 * only from the first segment (frag.c keeps the L4 header there). */
	ip_len = RTE_MIN(ip_len, m->pkt_len - md->l3_off);
	f->l4 = l3 + md->l4_off;
	f->l4_len = ip_len > md->l4_off ? ip_len - md->l4_off : 0;
	f->l4_seg = RTE_MIN(f->l4_len, seg > md->l4_off ? seg - md->l4_off : 0);
	if (md->frag)
		return true;
	switch (md->proto) {
	case DP_IPPROTO_TCP:
		if (f->l4_seg < 20 || (f->l4[12] >> 4) < 5 || (f->l4[12] >> 4) * 4u > f->l4_seg)
			return false;
		f->tcp_flags = f->l4[13];
		/* fall through */
	case DP_IPPROTO_UDP:
	case DP_IPPROTO_SCTP:
		if (f->l4_seg < 8)
			return false;
		f->sport = (uint16_t)(f->l4[0] << 8 | f->l4[1]);
		f->dport = (uint16_t)(f->l4[2] << 8 | f->l4[3]);
		return true;
	case DP_IPPROTO_ICMP:
	case DP_IPPROTO_ICMPV6:
		if (f->l4_seg < 8 || (md->proto == DP_IPPROTO_ICMP) != (md->af == 4))
			return f->l4_seg >= 8;
		f->icmp_type = f->l4[0];
		f->icmp_code = f->l4[1];
		if (pkt_icmp_is_query(f->af, f->proto, f->icmp_type)) {
			f->sport = f->dport = (uint16_t)(f->l4[4] << 8 | f->l4[5]);
		} else if (pkt_icmp_is_error(f->af, f->proto, f->icmp_type)) {
			f->icmp_err = true;
		}
		return true;
	default:
		return true;
	}
}

/*
 * dp_flow_get() and dp_state_key_make() in one, for the common case: an
 * IPv4 TCP or UDP packet, not a fragment, whose L4 header is whole in the
 * first segment.  Fills f as dp_flow_get() would and the canonical key
 * from the same loads: the addresses and both ports are read once, as
 * they lie on the wire (no host-order round trip of the ports).  Returns
 * false for anything else, and the caller takes the general path, which
 * gives such a packet its verdict.
 */
static inline bool
dp_flow_key4(struct rte_mbuf *m, const struct dp_mbuf_meta *md, struct dp_flow *f,
	     struct dp_state_key4 *k, bool *swapped)
{
	const uint8_t *l3, *l4;
	uint32_t hl = md->l4_off, seg, ip_len, l4_len, l4_seg, s, d, ports, hs, hd;
	uint64_t w0, w1;
	bool sw;

	if (md->af != 4 || md->frag ||
	    (md->proto != DP_IPPROTO_TCP && md->proto != DP_IPPROTO_UDP))
		return false;
	l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	seg = m->data_len - md->l3_off;
	ip_len = RTE_MIN((uint32_t)rte_be_to_cpu_16(*(const rte_be16_t *)(l3 + 2)),
			 m->pkt_len - md->l3_off);
	l4 = l3 + hl;
	l4_len = ip_len > hl ? ip_len - hl : 0;
	l4_seg = RTE_MIN(l4_len, seg > hl ? seg - hl : 0);
	if (md->proto == DP_IPPROTO_TCP) {
		if (l4_seg < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4u > l4_seg)
			return false;
		f->tcp_flags = l4[13];
	} else {
		if (l4_seg < 8)
			return false;
		f->tcp_flags = 0;
	}
	memcpy(&s, l3 + 12, 4);
	memcpy(&d, l3 + 16, 4);
	memcpy(&ports, l4, 4);		/* sport in the low half (little-endian) */
	hs = rte_be_to_cpu_16((uint16_t)ports);
	hd = rte_be_to_cpu_16((uint16_t)(ports >> 16));
	f->l3 = l3;
	f->l4 = l4;
	f->src = l3 + 12;
	f->dst = l3 + 16;
	f->l4_len = l4_len;
	f->l4_seg = l4_seg;
	f->sport = (uint16_t)hs;
	f->dport = (uint16_t)hd;
	f->af = 4;
	f->proto = md->proto;
	f->icmp_type = f->icmp_code = 0;
	f->icmp_err = false;
	/* As dp_state_key_make(): addresses as big-endian numbers, then
	 * ports by value; the same two words. */
	sw = rte_be_to_cpu_32(s) > rte_be_to_cpu_32(d) || (s == d && hs > hd);
	if (sw) {
		w0 = (uint64_t)s << 32 | d;
		ports = ports >> 16 | ports << 16;
	} else {
		w0 = (uint64_t)d << 32 | s;
	}
	w1 = ports | (uint64_t)md->proto << 32;
	memcpy(k, &w0, 8);
	memcpy((uint8_t *)k + 8, &w1, 8);
	*swapped = sw;
	return true;
}

#endif /* DPF_DATAPLANE_FILTER_FLOW_H */
