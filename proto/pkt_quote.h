/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow of the datagram an ICMP or ICMPv6 error quotes, read as the
 * worker's fast path reads packets: addresses, the upper-layer protocol
 * after the IPv6 extension chain, and the ports or ICMP query id when the
 * quote holds them.  It is the one reading of a quote for everything that
 * must agree on it: the owner hash of the error (dataplane/dp_hash.h) and
 * the lookup of the state the error is about (dataplane/filter.c), so that
 * an error always reaches the worker holding the state it looks up.
 *
 * Unlike pkt_parse_quoted() (the full parser, which validates every option
 * for pflog and the counters) it validates nothing it does not read, so a
 * quote that the full parser refuses may still name a flow here.
 *
 * Contract (proto/proto.h): pure C, no allocation, reads only buf[0..len).
 */
#ifndef DPF_PROTO_PKT_QUOTE_H
#define DPF_PROTO_PKT_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/pkt.h"

/*
 * ICMP (ipv 4, proto 1) and ICMPv6 (ipv 6, proto 58) types that quote the
 * datagram they report on: unreachable, source quench, redirect, time
 * exceeded, parameter problem [RFC 792]; destination unreachable, packet
 * too big, time exceeded, parameter problem [RFC 4443 3].  As OpenBSD's
 * pf_icmp_mapping() (sys/net/pf.c) sorts them.  ICMP of the other
 * family's protocol number is neither an error nor a query.
 */
static inline bool
pkt_icmp_is_error(unsigned int ipv, uint8_t proto, uint8_t type)
{
	if (ipv == 4)
		return proto == PKT_IPPROTO_ICMP &&
		       (type == PKT_ICMP_UNREACH || type == PKT_ICMP_SOURCEQUENCH ||
			type == PKT_ICMP_REDIRECT || type == PKT_ICMP_TIMXCEED ||
			type == PKT_ICMP_PARAMPROB);
	return proto == PKT_IPPROTO_ICMPV6 && type >= PKT_ICMP6_DST_UNREACH &&
	       type <= PKT_ICMP6_PARAM_PROB;
}

/*
 * Query types, whose identifier names the "connection" both ways: echo,
 * timestamp, information, address mask and their replies [RFC 792, RFC
 * 950]; echo request and reply [RFC 4443 4].  pf keys their states by the
 * id [OpenBSD sys/net/pf.c pf_icmp_mapping()].
 */
static inline bool
pkt_icmp_is_query(unsigned int ipv, uint8_t proto, uint8_t type)
{
	if (ipv == 4)
		return proto == PKT_IPPROTO_ICMP &&
		       (type == PKT_ICMP_ECHOREPLY || type == PKT_ICMP_ECHO ||
			(type >= PKT_ICMP_TSTAMP && type <= PKT_ICMP_MASKREPLY));
	return proto == PKT_IPPROTO_ICMPV6 &&
	       (type == PKT_ICMP6_ECHO_REQUEST || type == PKT_ICMP6_ECHO_REPLY);
}

/* struct pkt_quote.flags */
#define PKT_QUOTE_L4	0x01	/* the first 8 bytes of L4 are quoted: ports/id, TCP seq */

struct pkt_quote {
	uint16_t src_off;	/* quoted source address in buf (4 or 16 bytes) */
	uint16_t dst_off;	/* quoted destination address */
	uint16_t l4_off;	/* PKT_QUOTE_L4: the quoted L4 header, 8 bytes in buf */
	uint16_t sport;		/* host order; TCP, UDP, SCTP: the ports; ICMP query: */
	uint16_t dport;		/* the id as both; otherwise, or without L4, 0 */
	uint8_t proto;		/* upper-layer protocol (see pkt_quote_flow()) */
	uint8_t flags;		/* PKT_QUOTE_* */
};

/*
 * Reads the quote buf[0..len) (the bytes after an ICMP error's 8-byte
 * header) of an error of IP version ipv (4 or 6; the quote must be the
 * same version).  Returns 0 with *q filled when the quoted IP header is
 * whole, -1 when it is not (short, other version, IHL below 5): then the
 * quote names no flow.
 *
 * IPv4: options are skipped by the IHL.  IPv6: hop-by-hop, routing,
 * destination options and fragment headers are walked, at most
 * PKT_IP6_EXT_MAX of them, as the worker's parser walks them (so proto is
 * what that parser gives the quoted packet's own L4).  L4 is read only
 * from a datagram's first bytes: a quoted fragment with a non-zero offset
 * has no PKT_QUOTE_L4 (and proto is the fragment header's next header);
 * a first fragment (offset 0) is read like a whole datagram.  A chain cut
 * short by the quote, or longer than PKT_IP6_EXT_MAX, leaves proto at the
 * extension header reached, without PKT_QUOTE_L4.  The total or payload
 * length is not looked at: quotes are usually cut.
 */
int pkt_quote_flow(const uint8_t *buf, size_t len, unsigned int ipv, struct pkt_quote *q);

#endif /* DPF_PROTO_PKT_QUOTE_H */
