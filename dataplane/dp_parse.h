/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The worker's fast-path parse: only what forwarding needs, validated, with
 * the symmetric flow hash (dp_hash.h).  Anything it refuses is classified
 * precisely by proto/pkt.c's full parser (dp_classify_malformed(), the slow
 * path), so the counters carry the parser's named reason without the hot
 * path paying for a full validation of every option.  Hostile packets
 * (docs/ARCHITECTURE.md "Hostile packets") are refused here, before any
 * state or rule: the cheap checks inline (IPv4 header checksum, martian
 * sources, link-layer broadcast, TCP flags, the IPv6 chain's length), the
 * rare packets (IPv4 options, IPv6 extension headers, ICMP) through the
 * full parser (dp_parse_full()).
 */
#ifndef DPF_DP_PARSE_H
#define DPF_DP_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/dp_hash.h"
#include "proto/pkt.h"

enum {
	DP_PARSE_OK = 0,
	DP_PARSE_DROP,		/* not ours to handle: counted under pr->drop */
	DP_PARSE_BAD,		/* malformed: counted under pr->err (enum pkt_err) too */
};

struct dp_parse {
	uint16_t iface;
	uint16_t l3_off;
	uint8_t af;
	bool local;		/* for the control core: ARP, multicast, broadcast, link-local */
	uint8_t drop;		/* enum dp_drop when not OK */
	uint16_t err;		/* enum pkt_err when DP_PARSE_BAD */
	uint32_t hash;
	uint16_t l4_off;	/* from the IP header; valid when OK and !local */
	uint8_t proto;		/* L4 protocol */
	uint8_t frag;		/* any fragment (not an IPv6 atomic one: RFC 6946) */
	uint8_t ipopts;		/* IPv4 options or an IPv6 routing header: pf's
				 * badopts, refused unless the rule has allow-opts */
};

/* Copies what later stages need from a parse into the mbuf's meta. */
static inline void
dp_meta_fill(struct dp_mbuf_meta *md, const struct dp_parse *pr)
{
	md->iface = pr->iface;
	md->l3_off = pr->l3_off;
	md->af = pr->af;
	md->hash = pr->hash;
	md->l4_off = pr->l4_off;
	md->proto = pr->proto;
	md->frag = pr->frag;
	md->ipopts = pr->ipopts;
	md->fragsz = 0;
}

/* Slow path: the parser's reason for a packet the fast path refused. */
unsigned int dp_classify_malformed(const struct rte_mbuf *m);

/*
 * Slow path for the rare packets the fast path does not validate itself:
 * IPv4 with options, IPv6 with extension headers, ICMP and ICMPv6.  Runs
 * the full parser (proto/pkt.h) on the frame and, for an ICMP error, on
 * the datagram it quotes (a quote of the other family is QUOTE_BAD_AF).
 * Returns 0 (PKT_ERR_OK) or the parser's reason.
 */
unsigned int dp_parse_full(const struct rte_mbuf *m);

#define DP_IP6_EXT_MAX 8	/* as PKT_IP6_EXT_MAX: 8 pass, a 9th is refused */

/*
 * Malformed: counted under the parser's reason.  A frame the full parser
 * accepts (headers split across segments) has no parser reason and is
 * counted as "headers-segmented" instead, so that every malformed frame is
 * counted once, under exactly one pf reason.
 */
static inline int
dp_parse_bad_err(struct dp_parse *pr, unsigned int err)
{
	pr->err = (uint16_t)err;
	pr->drop = err != 0 ? DP_DROP_MALFORMED : DP_DROP_SEGMENTED;
	return DP_PARSE_BAD;
}

static inline int
dp_parse_bad(struct dp_parse *pr, const struct rte_mbuf *m)
{
	return dp_parse_bad_err(pr, dp_classify_malformed(m));
}

/*
 * Martian sources a router must not forward from [RFC 1812 5.3.7, RFC
 * 6890]: IPv4 0/8 ("this network"), 127/8 (loopback), 224/4 (multicast)
 * and 240/4 (reserved, with the limited broadcast 255.255.255.255).
 */
static inline bool
dp_martian_src4(const uint8_t *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

/*
 * IPv6 [RFC 4291 2.5.2, 2.5.3, 2.7, 2.5.5.2; RFC 6890]: the unspecified
 * address, loopback ::1, multicast ff00::/8 and IPv4-mapped ::ffff:0:0/96.
 */
static inline bool
dp_martian_src6(const uint8_t *a)
{
	static const uint8_t zero[12];

	if (a[0] == 0xff)
		return true;
	if (memcmp(a, zero, 10) != 0)
		return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return true;
	return a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 &&
	       a[15] <= 1;
}

/*
 * Martian destinations, unicast ones a router must not forward to [RFC
 * 1812 5.3.7 (127/8, 0/8), RFC 1122 3.2.1.3 (0/8 is a source only), RFC
 * 6890 (0/8, 127/8, 240/4: "Forwardable: False")].  IPv4 240/4 less the
 * limited broadcast 255.255.255.255, which is the control core's, as
 * multicast 224/4 is.  Called for destinations below 224 or at 240 and up.
 */
static inline bool
dp_martian_dst4(const uint8_t *a)
{
	if (a[0] >= 240)
		return !(a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return a[0] == 0 || a[0] == 127;
}

/*
 * IPv6 [RFC 4291 2.5.2: the unspecified address "must never be used as the
 * destination address"; 2.5.3: loopback "must never be ... forwarded by an
 * IPv6 router"; RFC 6890: ::ffff:0:0/96 is "Forwardable: False"].  Multicast
 * (ff00::/8) is the control core's and never gets here.
 */
static inline bool
dp_martian_dst6(const uint8_t *a)
{
	return a[0] != 0xff && dp_martian_src6(a);
}

/*
 * TCP flags pf's normalisation drops (pkt_tcp_flags_bad()), read from a
 * TCP header at l4 with seg bytes in the first segment.  A fragment with
 * no TCP header (or too few bytes, left to the filter) is not looked at.
 */
static inline bool
dp_tcp_flags_bad(const uint8_t *l4, uint32_t seg)
{
	return seg >= 14 && pkt_tcp_flags_bad(l4[13]);
}

/*
 * Is the IPv4 header at ip (hl bytes, a multiple of 4) valid, i.e. does its
 * one's-complement sum, checksum included, fold to 0xffff [RFC 1071]?  The
 * 20-byte header without options (all but a few packets, on NICs that do
 * not check it themselves) as five 32-bit words in a 64-bit sum: no carry
 * is lost, and the fold is the same [RFC 1071 2.(B), 2.(C)].
 */
static inline bool
dp_ip4_cksum_ok(const uint8_t *ip, uint32_t hl)
{
	uint64_t a, b, sum;
	uint32_t c;

	if (unlikely(hl != 20))
		return rte_raw_cksum(ip, hl) == 0xffff;
	/* Straight from the packet: a 20-byte copy to the stack read back
	 * as 4-byte words stalled on store forwarding (path_bench). */
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	memcpy(&c, ip + 16, 4);
	/* Five 32-bit words: below 2^35, so three 16-bit folds suffice
	 * (below 2^20, then 2^16 + 16, then 0xffff at most). */
	sum = (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) + c;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static inline int
dp_parse_drop(struct dp_parse *pr, enum dp_drop why)
{
	pr->drop = why;
	return DP_PARSE_DROP;
}

/*
 * Parses a frame received on port p.  Headers must be in the first segment
 * (true for every PMD dpf uses with standard MTUs); a multi-segment packet
 * whose headers straddle segments is treated as malformed.  want_hash
 * false leaves pr->hash 0: with one worker every flow is worker 0's and
 * the owner hash is not needed (dp_rx_parse()).
 */
static inline int
dp_parse_pkt_h(const struct dp_main *dp, unsigned int p, const struct rte_mbuf *m,
	       struct dp_parse *pr, bool want_hash)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t avail = m->data_len, pkt_len = m->pkt_len;
	const struct dp_port *port = &dp->ports[p];
	uint16_t vlan = 0, type, off = 14;
	unsigned int ifx;

	pr->local = false;
	pr->hash = 0;
	pr->l4_off = 0;
	pr->proto = 0;
	pr->frag = 0;
	pr->ipopts = 0;
	if (unlikely(avail < 14))
		return dp_parse_bad(pr, m);
	/* Unicast not to our port MAC nor to a CARP virtual MAC we are MASTER
	 * for is not for us (promiscuous ports see it). */
	if (!(eth[0] & 1) &&
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)eth, &port->mac) &&
	    !dp_carp_vmac(dp, p, eth))
		return dp_parse_drop(pr, DP_DROP_NOT_FOR_US);
	if (unlikely(rte_is_same_ether_addr((const struct rte_ether_addr *)(eth + 6), &port->mac)))
		return dp_parse_drop(pr, DP_DROP_OWN_SRC_MAC);
	type = rte_be_to_cpu_16(*(const rte_be16_t *)(eth + 12));
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (unlikely(avail < 18))
			return dp_parse_bad(pr, m);
		vlan = rte_be_to_cpu_16(*(const rte_be16_t *)(eth + 14)) & 0xfff;
		type = rte_be_to_cpu_16(*(const rte_be16_t *)(eth + 16));
		off = 18;
	} else if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		vlan = m->vlan_tci & 0xfff;
	}
	ifx = dp->vlan_map[p][vlan];
	if (unlikely(ifx == 0))
		return dp_parse_drop(pr, DP_DROP_NO_IFACE);
	pr->iface = (uint16_t)(ifx - 1);
	pr->l3_off = off;

	if (type == RTE_ETHER_TYPE_IPV4) {
		const uint8_t *ip = eth + off;
		uint32_t hl, tot;
		bool frag;

		if (unlikely(avail < off + 20u || (ip[0] >> 4) != 4))
			return dp_parse_bad(pr, m);
		hl = (ip[0] & 0xf) * 4u;
		tot = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 2));
		if (unlikely(hl < 20 || tot < hl || avail < off + hl || pkt_len < off + tot))
			return dp_parse_bad(pr, m);
		/* RFC 1812 5.2.2: a bad header checksum is silently discarded. */
		if (unlikely(!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) &&
			     ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
			      RTE_MBUF_F_RX_IP_CKSUM_BAD || !dp_ip4_cksum_ok(ip, hl))))
			return dp_parse_bad_err(pr, PKT_ERR_IP4_BAD_CKSUM);
		pr->af = 4;
		/* Multicast, limited broadcast: the control core's business. */
		if (ip[16] >= 224 && !(ip[16] >= 240 && dp_martian_dst4(ip + 16))) {
			pr->local = true;
			return DP_PARSE_OK;
		}
		/* RFC 1812 5.3.4: no unicast datagram from a link-layer
		 * broadcast or multicast frame is forwarded. */
		if (unlikely(eth[0] & 1))
			return dp_parse_drop(pr, DP_DROP_L2_BCAST);
		if (unlikely(dp_martian_src4(ip + 12)))
			return dp_parse_drop(pr, DP_DROP_MARTIAN_SRC);
		if (unlikely(dp_martian_dst4(ip + 16)))
			return dp_parse_drop(pr, DP_DROP_MARTIAN_DST);
		frag = (rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 6)) & 0x3fff) != 0;
		/* Options and ICMP (quotes, families) get the full parser. */
		if (unlikely(hl > 20 || ip[9] == DP_IPPROTO_ICMP)) {
			unsigned int e = dp_parse_full(m);

			if (e != 0)
				return dp_parse_bad_err(pr, e);
			pr->ipopts = hl > 20;
		} else if (ip[9] == DP_IPPROTO_TCP &&
			   !(rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 6)) & 0x1fff) &&
			   unlikely(dp_tcp_flags_bad(ip + hl, RTE_MIN(tot, avail - off) - hl))) {
			return dp_parse_bad_err(pr, PKT_ERR_TCP_BAD_FLAGS);
		}
		if (want_hash)
			pr->hash = dp_hash_l3(ip, RTE_MIN(tot, avail - off), 4, ip[9], hl, frag);
		pr->l4_off = (uint16_t)hl;
		pr->proto = ip[9];
		pr->frag = frag;
		return DP_PARSE_OK;
	}
	if (type == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *ip = eth + off;
		uint32_t plen, l4 = 40, n;
		uint8_t nxt;
		bool frag = false, rh = false;

		if (unlikely(avail < off + 40u || (ip[0] >> 4) != 6))
			return dp_parse_bad(pr, m);
		plen = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 4));
		if (unlikely(pkt_len < off + 40u + plen))
			return dp_parse_bad(pr, m);
		pr->af = 6;
		if (ip[24] == 0xff || (ip[24] == 0xfe && (ip[25] & 0xc0) == 0x80)) {
			/* Multicast and link-local destinations are never forwarded. */
			pr->local = true;
			return DP_PARSE_OK;
		}
		if (unlikely(eth[0] & 1))
			return dp_parse_drop(pr, DP_DROP_L2_BCAST);
		if (unlikely(dp_martian_src6(ip + 8)))
			return dp_parse_drop(pr, DP_DROP_MARTIAN_SRC);
		if (unlikely(dp_martian_dst6(ip + 24)))
			return dp_parse_drop(pr, DP_DROP_MARTIAN_DST);
		nxt = ip[6];
		for (n = 0;; n++) {
			const uint8_t *x = ip + l4;

			if (nxt != DP_IPPROTO_HOPOPTS && nxt != DP_IPPROTO_ROUTING &&
			    nxt != DP_IPPROTO_FRAGMENT && nxt != DP_IPPROTO_DSTOPTS)
				break;
			if (unlikely(n == DP_IP6_EXT_MAX ||
				     avail < off + l4 + 8 || 40 + plen < l4 + 8))
				return dp_parse_bad(pr, m);
			if (nxt == DP_IPPROTO_FRAGMENT) {
				/* Offset 0 without M is an atomic fragment: it is
				 * processed as a whole datagram (RFC 6946 4). */
				if (x[2] != 0 || (x[3] & 0xf9) != 0)
					frag = true;
				nxt = x[0];
				l4 += 8;
			} else {
				rh |= nxt == DP_IPPROTO_ROUTING;
				nxt = x[0];
				l4 += (x[1] + 1u) * 8;
			}
		}
		if (unlikely(40 + plen < l4))
			return dp_parse_bad(pr, m);
		/* Extension headers (order, RH0, options) and ICMP get the full
		 * parser, as IPv4 options do. */
		if (unlikely(n != 0 || nxt == DP_IPPROTO_ICMPV6 || nxt == DP_IPPROTO_ICMP)) {
			unsigned int e = dp_parse_full(m);

			if (e != 0)
				return dp_parse_bad_err(pr, e);
			/*
			 * A routing header (type 0 is refused above) is pf's
			 * IPv6 counterpart of IPv4 options: dropped as
			 * ip-option unless the rule has allow-opts [OpenBSD
			 * pf.c 1.734 pf_setup_pdesc() counts rh_cnt, pf_test6()
			 * drops "dangerous v6 headers"; later pf's pd->badopts
			 * is "v4 options or v6 routing headers"].  Hop-by-hop
			 * and destination options need no allow-opts.
			 */
			pr->ipopts = rh;
		} else if (nxt == DP_IPPROTO_TCP &&
			   unlikely(dp_tcp_flags_bad(ip + 40, RTE_MIN(40 + plen, avail - off) - 40))) {
			return dp_parse_bad_err(pr, PKT_ERR_TCP_BAD_FLAGS);
		}
		if (want_hash)
			pr->hash = dp_hash_l3(ip, RTE_MIN(40 + plen, avail - off), 6, nxt, l4,
					      frag);
		pr->l4_off = (uint16_t)l4;
		pr->proto = nxt;
		pr->frag = frag;
		return DP_PARSE_OK;
	}
	if (type == RTE_ETHER_TYPE_ARP) {
		pr->af = 0;
		pr->local = true;
		return DP_PARSE_OK;
	}
	return dp_parse_drop(pr, DP_DROP_NON_IP);
}

/* dp_parse_pkt_h() with the owner hash. */
static inline int
dp_parse_pkt(const struct dp_main *dp, unsigned int p, const struct rte_mbuf *m,
	     struct dp_parse *pr)
{
	return dp_parse_pkt_h(dp, p, m, pr, true);
}

/*
 * dp_rx_parse() without the receive counters of the port and of the
 * interface, which the worker adds up per burst (worker.c): parsed into
 * *pr, then either counted under the parser's reason (DP_PARSE_BAD) or
 * given its meta.
 */
static inline int
dp_rx_parse_uncounted(const struct dp_main *dp, struct dp_stats *st, unsigned int p,
		      struct rte_mbuf *m, struct dp_parse *pr)
{
	int rc = dp_parse_pkt_h(dp, p, m, pr, dp->n_workers > 1);

	if (unlikely(rc != DP_PARSE_OK)) {
		if (rc == DP_PARSE_BAD && pr->err != 0 && pr->err < DP_PKT_ERR_SLOTS)
			st->pkt_err[pr->err]++;
		return rc;
	}
	dp_meta_fill(dp_meta(m), pr);
	return rc;
}

/*
 * The first look at a frame from port p, the same on a worker and on the
 * control core: counted as received by p, parsed into *pr, and then either
 * counted under the parser's reason (DP_PARSE_BAD) and left for the caller
 * to drop under pr->drop, or given its meta and counted as received by its
 * interface.  Returns dp_parse_pkt()'s result.
 */
static inline int
dp_rx_parse(const struct dp_main *dp, struct dp_stats *st, unsigned int p, struct rte_mbuf *m,
	    struct dp_parse *pr)
{
	int rc;

	st->port[p].rx_pkts++;
	st->port[p].rx_bytes += m->pkt_len;
	rc = dp_rx_parse_uncounted(dp, st, p, m, pr);
	if (rc == DP_PARSE_OK) {
		st->iface[pr->iface].rx_pkts++;
		st->iface[pr->iface].rx_bytes += m->pkt_len;
	}
	return rc;
}

#endif /* DPF_DP_PARSE_H */
