/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: IP fragment reassembly before filtering.
 *
 * pf filters whole datagrams: `scrub (reassemble)` is always on for
 * IPv6 and the default for IPv4 [pf.conf(5) "fragment reassemble"], so
 * that rules and states see the ports, and a fragment can never slip past
 * a port-based rule.  Each worker keeps a DPDK ip_frag table (lib
 * ip_frag) of the datagrams it is reassembling.  The worker that receives
 * a fragment is its owner by the (addresses, protocol) hash every
 * fragment of a datagram shares (dp_parse.h); once complete, the datagram
 * is hashed again on its ports and handed to the worker that owns its
 * connection, if that is another one.
 *
 * Bounds: limits.frags datagrams in reassembly split across the workers,
 * at most RTE_LIBRTE_IP_FRAG_MAX_FRAG (8) fragments each, timeouts.frag
 * seconds to complete.  Everything that is not delivered — overlapping or
 * duplicate fragments, too many fragments, a datagram that would exceed
 * 65,535 bytes, an incomplete datagram timed out or evicted from a full
 * table, an IPv6 fragment after other extension headers — is counted
 * under pf's reason "fragment" (DP_DROP_FRAGMENT) and freed.
 *
 * IPv6: the reassembled packet leaves as fragments again, no larger than
 * the largest fragment it came in, with the original identification,
 * as pf's pf_refragment6 does (the sender sized them for the path; RFC
 * 8200 4.5 forbids routers to fragment otherwise).  IPv4: the reassembled
 * datagram is forwarded whole, and fragmented to the egress MTU by the
 * control core if it does not fit (DF is clear on fragments).
 */
#define ALLOW_EXPERIMENTAL_API	/* rte_ip_frag_table_del_expired_entries */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/dp_parse.h"
#include "dataplane/dp_tx.h"
#include "dataplane/frag.h"
#include "dataplane/frag_stage.h"
#include "dataplane/worker_ctx.h"
#include "proto/cksum.h"

/* Per-worker reassembly [W]. */
struct dp_frag {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
};

/* Flush the death row when another call could overflow it: one call frees
 * at most the fragments of two datagrams (an evicted one and its own). */
#define DP_FRAG_DR_HIGH \
	(RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - 2 * (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1))

#define DP_IP6_FRAG_HDR 8

static void
dp_frag_flush(struct dp_wctx *c, struct dp_frag *fr)
{
	if (fr->dr.cnt == 0)
		return;
	c->st->drop[DP_DROP_FRAGMENT] += fr->dr.cnt;
	rte_ip_frag_free_death_row(&fr->dr, 3);
}

/*
 * The largest fragment a reassembled IPv6 datagram came in, as an IPv6
 * packet size: each fragment's payload is one segment of the chain (the
 * first one after the headers of the first fragment).
 */
static uint16_t
dp_frag6_size(const struct rte_mbuf *m, uint32_t hdr)
{
	uint32_t max = m->data_len > hdr ? m->data_len - hdr : 0;

	for (m = m->next; m != NULL; m = m->next)
		max = RTE_MAX(max, (uint32_t)m->data_len);
	return (uint16_t)RTE_MIN(max + 40u + DP_IP6_FRAG_HDR, (uint32_t)UINT16_MAX);
}

/*
 * A datagram just completed: its meta describes it as a whole packet
 * again, with the flow hash over its ports.  Returns false if its L4
 * header is not in the first segment (a first fragment shorter than the
 * header: RFC 1858's tiny fragment), which the caller drops.
 */
static bool
dp_frag_done(struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off);
	uint32_t avail = m->data_len - md->l3_off;

	if (md->af == 4) {
		uint32_t hl = (ip[0] & 0xf) * 4u;

		/* lib ip_frag rewrote the length and offset and zeroed the sum. */
		*(rte_be16_t *)(ip + 10) = 0;
		*(rte_be16_t *)(ip + 10) = rte_cpu_to_be_16(proto_cksum(ip, hl));
		md->l4_off = (uint16_t)hl;
		md->proto = ip[9];
		md->fragsz = 0;
	} else {
		md->l4_off = 40;
		md->proto = ip[6];
		md->fragsz = dp_frag6_size(m, md->l3_off + 40u);
	}
	md->frag = 0;
	if (avail < md->l4_off + 8u)
		return false;
	md->hash = dp_hash_l3(ip, avail, md->af, md->proto, md->l4_off, false);
	return true;
}

/* One fragment into the table; returns the completed datagram or NULL. */
static struct rte_mbuf *
dp_frag_one(struct dp_wctx *c, struct dp_frag *fr, struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off);
	struct rte_mbuf *r;

	m->l2_len = md->l3_off;
	if (md->af == 4) {
		uint32_t hl = (ip[0] & 0xf) * 4u;
		uint32_t tot = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 2));
		uint32_t off = (rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 6)) & 0x1fff) * 8u;

		/* lib ip_frag of DPDK 22.11 does not refuse a datagram growing
		 * past 65,535 bytes (its 16-bit length would wrap). */
		if (unlikely(tot <= hl || off + tot > UINT16_MAX))
			goto drop;
		m->l3_len = hl;
		r = rte_ipv4_frag_reassemble_packet(fr->tbl, &fr->dr, m, c->tsc,
						    (struct rte_ipv4_hdr *)ip);
	} else {
		struct rte_ipv6_fragment_ext *fh = (struct rte_ipv6_fragment_ext *)(ip + 40);
		uint32_t plen = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 4));
		uint32_t off = rte_be_to_cpu_16(fh->frag_data) & 0xfff8;

		/* lib ip_frag takes the fragment header right after the fixed
		 * one only; pf reassembles the others too (left to do). */
		if (unlikely(ip[6] != DP_IPPROTO_FRAGMENT || md->l4_off != 40 + DP_IP6_FRAG_HDR ||
			     plen <= DP_IP6_FRAG_HDR || off + plen - DP_IP6_FRAG_HDR > UINT16_MAX))
			goto drop;
		m->l3_len = 40 + DP_IP6_FRAG_HDR;
		md->frag_id = fh->id;
		r = rte_ipv6_frag_reassemble_packet(fr->tbl, &fr->dr, m, c->tsc,
						    (struct rte_ipv6_hdr *)ip, fh);
	}
	if (fr->dr.cnt >= DP_FRAG_DR_HIGH)
		dp_frag_flush(c, fr);
	return r;
drop:
	dp_drop(c, m, DP_DROP_FRAGMENT);
	return NULL;
}

unsigned int
dp_frag_burst(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int n)
{
	struct dp_frag *fr = c->w->frag;
	unsigned int i, out = 0;

	if (unlikely(fr == NULL))
		return n;	/* not set up (unit harnesses): the filter drops them */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		unsigned int owner;

		if (likely(!dp_meta(m)->frag)) {
			pkts[out++] = m;
			continue;
		}
		c->st->frag_in++;
		m = dp_frag_one(c, fr, m);
		if (m == NULL)
			continue;
		c->st->frag_reassembled++;
		if (unlikely(!dp_frag_done(m))) {
			dp_drop(c, m, DP_DROP_FRAGMENT);
			continue;
		}
		owner = dp_owner(c->dp, dp_meta(m)->hash);
		if (owner != c->w->id)
			dp_handoff(c, owner, m);
		else
			pkts[out++] = m;
	}
	dp_frag_flush(c, fr);
	return out;
}

void
dp_frag_housekeeping(struct dp_wctx *c)
{
	struct dp_frag *fr = c->w->frag;

	if (fr == NULL)
		return;
	/* Walks the LRU list from its oldest end: stops at the first live one. */
	rte_ip_frag_table_del_expired_entries(fr->tbl, &fr->dr, c->tsc);
	dp_frag_flush(c, fr);
}

int
dp_frag6_split(struct dp_main *dp, struct rte_mbuf *m, uint16_t size, struct rte_mbuf **out,
	       unsigned int n_out)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	rte_be32_t id = md->frag_id;
	int nf, k;

	rte_pktmbuf_adj(m, md->l3_off);
	nf = rte_ipv6_fragment_packet(m, out, (uint16_t)n_out, size, dp->pool, dp->indirect);
	rte_pktmbuf_free(m);
	for (k = 0; k < nf; k++) {
		struct rte_ipv6_fragment_ext *fh =
			rte_pktmbuf_mtod_offset(out[k], struct rte_ipv6_fragment_ext *, 40);
		struct dp_mbuf_meta *fm = dp_meta(out[k]);

		/* lib ip_frag writes identification 0: the sender's is kept. */
		fh->id = id;
		memset(fm, 0, sizeof(*fm));
		fm->af = 6;
		fm->proto = DP_IPPROTO_FRAGMENT;
	}
	return nf;
}

void
dp_frag6_out(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_iface *oif, uint64_t mac)
{
	struct dp_main *dp = c->dp;
	struct rte_mbuf *frags[RTE_LIBRTE_IP_FRAG_MAX_FRAG * 2];
	int nf, k;

	nf = dp_frag6_split(dp, m, RTE_MIN(dp_meta(m)->fragsz, oif->mtu), frags,
			    RTE_DIM(frags));
	if (nf < 0) {
		c->st->drop[nf == -ENOMEM ? DP_DROP_NO_MBUF : DP_DROP_FRAGMENT]++;
		return;
	}
	for (k = 0; k < nf; k++) {
		if (unlikely(!dp_l2_rewrite(frags[k], 0, &dp->ports[oif->port], oif, mac,
					    RTE_ETHER_TYPE_IPV6))) {
			dp_drop(c, frags[k], DP_DROP_NO_MBUF);
			continue;
		}
		c->st->frag_out++;
		dp_tx(c, oif->port, frags[k]);
	}
}

int
dp_frag_init(struct dp_main *dp, uint32_t limit_frags, uint32_t timeout_s, char *err,
	     size_t errlen)
{
	uint32_t per = limit_frags / dp->n_workers, buckets;
	uint64_t cycles = rte_get_tsc_hz() * (uint64_t)(timeout_s ? timeout_s : 1);
	unsigned int i;

	if (per < 64)
		per = 64;
	/* lib ip_frag: 16-way buckets, a power of two of them, entries <= total. */
	buckets = rte_align32pow2((per + 15) / 16);
	if (dp->indirect == NULL) {
		dp->indirect = rte_pktmbuf_pool_create("dpf_frag_ind", 4096, 64, 0, 0,
						       (int)rte_socket_id());
		if (dp->indirect == NULL) {
			snprintf(err, errlen, "cannot create the fragment mbuf pool: %s",
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_frag *fr;

		fr = rte_zmalloc("dpf_frag", sizeof(*fr), RTE_CACHE_LINE_SIZE);
		if (fr == NULL) {
			snprintf(err, errlen, "out of memory for fragment reassembly");
			return -ENOMEM;
		}
		fr->tbl = rte_ip_frag_table_create(buckets, 16, per, cycles, (int)rte_socket_id());
		if (fr->tbl == NULL) {
			rte_free(fr);
			snprintf(err, errlen, "cannot create a reassembly table of %u datagrams",
				 per);
			return -ENOMEM;
		}
		dp->workers[i].frag = fr;
	}
	return 0;
}

void
dp_frag_fini(struct dp_main *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_frag *fr = dp->workers[i].frag;

		if (fr == NULL)
			continue;
		/* Frees the mbufs of the datagrams still waiting. */
		rte_ip_frag_table_destroy(fr->tbl);
		rte_ip_frag_free_death_row(&fr->dr, 0);
		rte_free(fr);
		dp->workers[i].frag = NULL;
	}
	rte_mempool_free(dp->indirect);
	dp->indirect = NULL;
}
