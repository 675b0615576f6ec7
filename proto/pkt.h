/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet parser: Ethernet (802.1Q, QinQ), ARP, IPv4, IPv6 with its extension
 * header chain, TCP, UDP, ICMP, ICMPv6 and Neighbor Discovery, into a flat
 * struct pkt_meta, or a reason why the packet is malformed.
 *
 * Contract (see proto/proto.h): pure C on libc, no allocation, no global
 * mutable state, never reads past `len`, every loop bounded by a header size
 * or a small constant, all length arithmetic checked before use.  The
 * worker calls pkt_parse() on every packet; checksums are verified
 * separately by pkt_verify_cksum(), since the NIC may have done it already.
 *
 * All numbers in struct pkt_meta are host byte order; addresses and MACs
 * are kept as wire bytes; every offset is relative to the `buf` passed in.
 *
 *   frame   | dst MAC 6 | src MAC 6 | [TPID 2 | TCI 2] x 0..2 | type 2 | L3 ...
 *           ^ 0                                               l3_off ^
 *   L3      | IPv4 header + options  or  IPv6 header + ext headers | L4 ...
 *           ^ l3_off                          l3_off + l3_hlen = l4_off ^
 *   ip_len  = bytes of the IP datagram per its header (IPv6: 40 + payload
 *             length); bytes after it (Ethernet padding) are ignored.
 *   l4_len  = l3_off + ip_len - l4_off: the L4 header and payload.
 */
#ifndef DPF_PROTO_PKT_H
#define DPF_PROTO_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pfres.h"

/*
 * Every reason pkt_parse(), pkt_parse_quoted() and pkt_verify_cksum() can
 * return: (symbol, unique kebab-case name, pf reason for pf-compatible
 * counters and pflog).  pf's mapping is followed where pf checks the same
 * thing [OpenBSD sys/net/pf.c pf_setup_pdesc(), pf_walk_header(),
 * pf_walk_option(), pf_walk_header6(), pf_walk_option6(), pf_pull_hdr()]:
 * truncated headers and bad TCP/UDP lengths are "short", malformed IP
 * options and IPv6 extension chains "ip-option", fragment sanity
 * "fragment", ND hop limit and wrong-family ICMP "normalize".  Checks pf
 * leaves to the IP stack (version, header checksum) use "normalize" and
 * "proto-cksum".  pf's "bad-offset" is not used: it guarded an L4 offset
 * that lies before the IP header, which cannot happen here by construction.
 */
#define PKT_ERR_LIST(_)                                                 \
	_(OK, "ok", MATCH)                                              \
	_(ETH_SHORT, "eth-short", SHORT)                                \
	_(VLAN_SHORT, "vlan-short", SHORT)                              \
	_(VLAN_TOO_MANY, "vlan-too-many", NORM)                         \
	_(ARP_SHORT, "arp-short", SHORT)                                \
	_(ARP_BAD_HW, "arp-bad-hw", NORM)                               \
	_(ARP_BAD_PROTO, "arp-bad-proto", NORM)                         \
	_(ARP_BAD_OP, "arp-bad-op", NORM)                               \
	_(IP4_SHORT, "ip4-short", SHORT)                                \
	_(IP4_BAD_VERSION, "ip4-bad-version", NORM)                     \
	_(IP4_BAD_IHL, "ip4-bad-ihl", SHORT)                            \
	_(IP4_IHL_TRUNCATED, "ip4-ihl-truncated", SHORT)                \
	_(IP4_BAD_TOTLEN, "ip4-bad-totlen", SHORT)                      \
	_(IP4_TRUNCATED, "ip4-truncated", SHORT)                        \
	_(IP4_OPT_BAD, "ip4-opt-bad", IPOPTIONS)                        \
	_(IP6_SHORT, "ip6-short", SHORT)                                \
	_(IP6_BAD_VERSION, "ip6-bad-version", NORM)                     \
	_(IP6_TRUNCATED, "ip6-truncated", SHORT)                        \
	_(IP6_EXT_TRUNCATED, "ip6-ext-truncated", SHORT)                \
	_(IP6_EXT_TOO_MANY, "ip6-ext-too-many", IPOPTIONS)              \
	_(IP6_HBH_NOT_FIRST, "ip6-hbh-not-first", IPOPTIONS)            \
	_(IP6_OPT_BAD, "ip6-opt-bad", IPOPTIONS)                        \
	_(IP6_JUMBO, "ip6-jumbo", NORM)                                 \
	_(IP6_RH0, "ip6-rh0", IPOPTIONS)                                \
	_(IP6_RH_MULTI, "ip6-rh-multi", IPOPTIONS)                      \
	_(IP6_FRAG_MULTI, "ip6-frag-multi", FRAG)                       \
	_(FRAG_BAD_OFFSET, "frag-bad-offset", FRAG)                     \
	_(FRAG_BAD_LEN, "frag-bad-len", FRAG)                           \
	_(FRAG_TINY, "frag-tiny", FRAG)                                 \
	_(FRAG_L4_OVERLAP, "frag-l4-overlap", FRAG)                     \
	_(TCP_SHORT, "tcp-short", SHORT)                                \
	_(TCP_BAD_DOFF, "tcp-bad-doff", SHORT)                          \
	_(TCP_DOFF_TRUNCATED, "tcp-doff-truncated", SHORT)              \
	_(TCP_OPT_BAD, "tcp-opt-bad", NORM)                             \
	_(TCP_BAD_FLAGS, "tcp-bad-flags", NORM)                         \
	_(UDP_SHORT, "udp-short", SHORT)                                \
	_(UDP_BAD_LEN, "udp-bad-len", SHORT)                            \
	_(UDP_TRUNCATED, "udp-truncated", SHORT)                        \
	_(L4_DPORT_ZERO, "l4-dport-zero", SHORT)                        \
	_(ICMP_SHORT, "icmp-short", SHORT)                              \
	_(ICMP_WRONG_AF, "icmp-wrong-af", NORM)                         \
	_(ICMP6_SHORT, "icmp6-short", SHORT)                            \
	_(ND_SHORT, "nd-short", SHORT)                                  \
	_(ND_BAD_HOPLIMIT, "nd-bad-hoplimit", NORM)                     \
	_(ND_BAD_CODE, "nd-bad-code", NORM)                             \
	_(ND_BAD_TARGET, "nd-bad-target", NORM)                         \
	_(ND_FRAGMENTED, "nd-fragmented", FRAG)                         \
	_(ND_OPT_BAD_LEN, "nd-opt-bad-len", NORM)                       \
	_(ND_OPT_TRUNCATED, "nd-opt-truncated", SHORT)                  \
	_(QUOTE_BAD_AF, "quote-bad-af", NORM)                           \
	_(QUOTE_SHORT, "quote-short", SHORT)                            \
	_(IP4_BAD_CKSUM, "ip4-bad-cksum", PROTCKSUM)                    \
	_(TCP_BAD_CKSUM, "tcp-bad-cksum", PROTCKSUM)                    \
	_(UDP_BAD_CKSUM, "udp-bad-cksum", PROTCKSUM)                    \
	_(UDP6_ZERO_CKSUM, "udp6-zero-cksum", PROTCKSUM)                \
	_(ICMP_BAD_CKSUM, "icmp-bad-cksum", PROTCKSUM)                  \
	_(ICMP6_BAD_CKSUM, "icmp6-bad-cksum", PROTCKSUM)

enum pkt_err {
#define PKT_ERR_ENUM(sym, name, res) PKT_ERR_##sym,
	PKT_ERR_LIST(PKT_ERR_ENUM)
#undef PKT_ERR_ENUM
	PKT_ERR_MAX
};

_Static_assert(PKT_ERR_OK == 0, "PKT_ERR_OK must be 0");

/* Name of a reason ("tcp-bad-doff"), "?" for a value out of range. */
const char *pkt_err_name(enum pkt_err e);

/* pf reason to count and log `e` under; PFRES_NORM for a value out of range. */
enum pfres pkt_err_pfres(enum pkt_err e);

/* What the Ethernet type (after any VLAN tags) says the frame carries. */
enum pkt_l3 {
	PKT_L3_NONE = 0,	/* another ethertype: not parsed, not an error */
	PKT_L3_ARP,		/* ARP for IPv4 over Ethernet */
	PKT_L3_IPV4,
	PKT_L3_IPV6,
};

#define PKT_ETH_HLEN		14
#define PKT_VLAN_MAX		2	/* outer (0x88a8, 0x9100 or 0x8100) + inner */
#define PKT_IP6_EXT_MAX		8	/* extension headers before L4 (pf allows 20) */

#define PKT_ETHERTYPE_IPV4	0x0800
#define PKT_ETHERTYPE_ARP	0x0806
#define PKT_ETHERTYPE_VLAN	0x8100	/* 802.1Q */
#define PKT_ETHERTYPE_QINQ	0x88a8	/* 802.1ad service tag */
#define PKT_ETHERTYPE_QINQ_OLD	0x9100	/* pre-standard QinQ */
#define PKT_ETHERTYPE_IPV6	0x86dd

#define PKT_IPPROTO_HOPOPTS	0
#define PKT_IPPROTO_ICMP	1
#define PKT_IPPROTO_TCP		6
#define PKT_IPPROTO_UDP		17
#define PKT_IPPROTO_ROUTING	43
#define PKT_IPPROTO_FRAGMENT	44
#define PKT_IPPROTO_ESP		50
#define PKT_IPPROTO_AH		51
#define PKT_IPPROTO_ICMPV6	58
#define PKT_IPPROTO_NONE	59
#define PKT_IPPROTO_DSTOPTS	60
#define PKT_IPPROTO_SCTP	132

/* struct pkt_meta.flags */
#define PKT_F_FRAG		0x0001	/* a fragment: offset != 0 or more-fragments */
#define PKT_F_FRAG_FIRST	0x0002	/* offset 0 and more-fragments: carries L4 */
#define PKT_F_FRAG_MORE		0x0004	/* more-fragments bit */
#define PKT_F_DF		0x0008	/* IPv4 don't-fragment bit */
#define PKT_F_IP_OPTS		0x0010	/* IPv4 options, IPv6 hop-by-hop/dest options */
#define PKT_F_ROUTER_ALERT	0x0020	/* IPv4 or IPv6 router alert option */
#define PKT_F_IP6_RH		0x0040	/* IPv6 routing header present */
#define PKT_F_IP6_FRAG_HDR	0x0080	/* IPv6 fragment header, atomic ones too */
#define PKT_F_L4		0x0100	/* TCP/UDP/ICMP/ICMPv6 header parsed */
#define PKT_F_ICMP_ERR		0x0200	/* ICMP error: icmp.inner_off/len set */
#define PKT_F_QUOTED		0x0400	/* parsed by pkt_parse_quoted() */
#define PKT_F_TRUNC		0x0800	/* quoted: datagram longer than the bytes */

/* struct pkt_tcp.flags, byte 13 of the TCP header */
#define PKT_TCP_FIN		0x01
#define PKT_TCP_SYN		0x02
#define PKT_TCP_RST		0x04
#define PKT_TCP_PSH		0x08
#define PKT_TCP_ACK		0x10
#define PKT_TCP_URG		0x20
#define PKT_TCP_ECE		0x40
#define PKT_TCP_CWR		0x80

/* struct pkt_tcp.opts: which options were seen (RFC 9293, 2018, 7323) */
#define PKT_TCPO_MSS		0x01
#define PKT_TCPO_WSCALE		0x02
#define PKT_TCPO_SACKOK		0x04
#define PKT_TCPO_SACK		0x08
#define PKT_TCPO_TS		0x10

/* ICMP and ICMPv6 types this parser looks into */
#define PKT_ICMP_ECHOREPLY	0
#define PKT_ICMP_UNREACH	3
#define PKT_ICMP_SOURCEQUENCH	4
#define PKT_ICMP_REDIRECT	5
#define PKT_ICMP_ECHO		8
#define PKT_ICMP_TIMXCEED	11
#define PKT_ICMP_PARAMPROB	12
#define PKT_ICMP_TSTAMP		13
#define PKT_ICMP_TSTAMPREPLY	14
#define PKT_ICMP_IREQ		15
#define PKT_ICMP_IREQREPLY	16
#define PKT_ICMP_MASKREQ	17
#define PKT_ICMP_MASKREPLY	18
#define PKT_ICMP_UNREACH_NEEDFRAG 4	/* code: "fragmentation needed", with MTU */

#define PKT_ICMP6_DST_UNREACH	1
#define PKT_ICMP6_PACKET_TOO_BIG 2
#define PKT_ICMP6_TIME_EXCEEDED	3
#define PKT_ICMP6_PARAM_PROB	4
#define PKT_ICMP6_ECHO_REQUEST	128
#define PKT_ICMP6_ECHO_REPLY	129
#define PKT_ND_ROUTER_SOLICIT	133
#define PKT_ND_ROUTER_ADVERT	134
#define PKT_ND_NEIGHBOR_SOLICIT	135
#define PKT_ND_NEIGHBOR_ADVERT	136
#define PKT_ND_REDIRECT		137

/* struct pkt_nd.flags: the flag byte of an NA (RFC 4861 4.4) or RA (4.2) */
#define PKT_ND_NA_ROUTER	0x80
#define PKT_ND_NA_SOLICITED	0x40
#define PKT_ND_NA_OVERRIDE	0x20
#define PKT_ND_RA_MANAGED	0x80
#define PKT_ND_RA_OTHER		0x40

struct pkt_tcp {
	uint32_t seq;
	uint32_t ack;
	uint32_t ts_val;	/* PKT_TCPO_TS */
	uint32_t ts_ecr;
	uint16_t win;		/* unscaled, as on the wire */
	uint16_t urp;
	uint16_t mss;		/* PKT_TCPO_MSS */
	uint16_t sack_off;	/* PKT_TCPO_SACK: first of sack_n 8-byte blocks */
	uint8_t flags;		/* PKT_TCP_* */
	uint8_t hlen;		/* data offset in bytes, 20..60 */
	uint8_t opts;		/* PKT_TCPO_* */
	uint8_t wscale;		/* PKT_TCPO_WSCALE: raw shift, may exceed 14 */
	uint8_t sack_n;
};

struct pkt_udp {
	uint16_t ulen;		/* UDP length field, 8..l4_len */
};

/* Neighbor Discovery (RFC 4861), inside struct pkt_icmp for types 133..137. */
struct pkt_nd {
	uint8_t target[16];	/* NS, NA, redirect */
	uint8_t redir_dst[16];	/* redirect: destination address */
	uint32_t reachable;	/* RA: reachable time, ms */
	uint32_t retrans;	/* RA: retransmission timer, ms */
	uint32_t mtu;		/* MTU option, 0 if absent */
	uint16_t lifetime;	/* RA: router lifetime, s */
	uint16_t sll_off;	/* 6-byte MAC of the source lladdr option, 0 if absent */
	uint16_t tll_off;	/* 6-byte MAC of the target lladdr option, 0 if absent */
	uint8_t flags;		/* NA: PKT_ND_NA_*; RA: PKT_ND_RA_* and the rest */
	uint8_t cur_hlim;	/* RA: current hop limit */
};

struct pkt_icmp {
	uint8_t type;
	uint8_t code;
	uint16_t id;		/* echo, timestamp, information, mask */
	uint16_t seq;
	uint16_t inner_off;	/* PKT_F_ICMP_ERR: quoted datagram */
	uint16_t inner_len;
	uint32_t rest;		/* bytes 4..7 of the header, raw (redirect gateway) */
	uint32_t mtu;		/* needfrag next-hop MTU, ICMPv6 packet too big */
	uint32_t pptr;		/* parameter problem pointer */
	struct pkt_nd nd;
};

struct pkt_arp {
	uint16_t op;		/* 1 request, 2 reply */
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

/*
 * What pkt_parse() found.  Fields of layers that were not reached are 0:
 * l3 fields for PKT_L3_NONE, l4 fields for a non-first fragment.  For a
 * protocol without a parser here (ESP, AH, GRE, no-next-header ...) l4_off
 * and l4_len still mark its header and payload, and PKT_F_L4 is clear.
 */
struct pkt_meta {
	/* L2 */
	uint16_t l2_len;	/* 14 + 4 * n_vlan; also l3_off for a full frame */
	uint16_t ethertype;	/* innermost */
	uint16_t vlan[PKT_VLAN_MAX];	/* TCI, outermost first */
	uint8_t n_vlan;
	uint8_t l3_proto;	/* enum pkt_l3 */

	/* L3 */
	uint8_t ttl;		/* IPv4 TTL or IPv6 hop limit */
	uint8_t tos;		/* IPv4 TOS or IPv6 traffic class, ECN bits included */
	uint8_t proto;		/* upper-layer protocol after any IPv6 extension headers */
	uint16_t flags;		/* PKT_F_* */
	uint16_t l3_off;
	uint16_t l3_hlen;	/* IPv4 header with options; IPv6 header + ext chain */
	uint32_t ip_len;	/* IPv4 total length; IPv6 40 + payload length */
	uint16_t ip_id;		/* IPv4 identification */
	uint16_t frag_off;	/* fragment offset in bytes */
	uint32_t frag_id;	/* IPv4 id or IPv6 fragment header id */
	uint32_t flow;		/* IPv6 flow label */
	uint16_t frag_hdr_off;	/* IPv6 fragment header, 0 if none */
	uint16_t pseudo_src_off;	/* addresses for L4 checksum pseudo-headers: */
	uint16_t pseudo_dst_off;	/* header's, home address or routing final dst */
	uint8_t src[16];	/* IPv4 in the first 4 bytes, the rest 0 */
	uint8_t dst[16];

	/* L4 */
	uint16_t l4_off;
	uint16_t l4_len;	/* L4 header + payload per the IP length */
	uint16_t payload_len;	/* bytes after the L4 header (UDP: per its length) */
	uint16_t sport;		/* TCP, UDP */
	uint16_t dport;
	union {
		struct pkt_tcp tcp;
		struct pkt_udp udp;
		struct pkt_icmp icmp;	/* ICMP and ICMPv6 */
		struct pkt_arp arp;	/* l3_proto == PKT_L3_ARP */
	};
};

/*
 * Parse a frame starting at its Ethernet header.  Returns PKT_ERR_OK with
 * *m filled, or the reason the frame is malformed (*m then holds what was
 * parsed before the failure and must not be used).  Checksums are not
 * looked at.
 *
 * Choices where the RFCs leave room, pf's where it has one:
 *  - IPv4/IPv6 length beyond the frame is an error; bytes after it are
 *    Ethernet padding and ignored.
 *  - UDP length < 8 or beyond the IP payload is an error (pf drops both);
 *    a UDP length shorter than the IP payload is accepted and the trailing
 *    bytes ignored (payload_len follows the UDP length), as pf does.
 *  - TCP/UDP destination port 0 is an error, as in pf.
 *  - TCP flag combinations pf's normalisation drops are TCP_BAD_FLAGS
 *    (pkt_tcp_flags_bad()).
 *  - A non-first fragment ends the parse after L3 (PKT_F_FRAG set, no L4).
 *    A first fragment must hold the whole L4 header (TCP with options) and,
 *    for IPv6, the whole extension chain (RFC 7112): else FRAG_TINY.  A
 *    non-first TCP fragment that would overlap the TCP header (offset < 20)
 *    is FRAG_L4_OVERLAP (RFC 1858).  A reassembled datagram longer than
 *    65535 is FRAG_BAD_OFFSET; a non-last fragment not a multiple of 8 long
 *    is FRAG_BAD_LEN.
 *  - IPv6: hop-by-hop only first, at most one routing and one fragment
 *    header, no routing type 0 (RFC 5095), at most PKT_IP6_EXT_MAX
 *    extension headers; AH, ESP, no-next-header and anything unknown end the
 *    chain as the upper-layer protocol.  Jumbograms are refused (as pf).
 *  - ND messages need hop limit 255, code 0, the RFC 4861 minimum length,
 *    a non-multicast target, no fragmentation (RFC 6980) and options of
 *    non-zero length that fit.
 */
enum pkt_err pkt_parse(const uint8_t *buf, size_t len, struct pkt_meta *m);

/*
 * Parse the datagram quoted in an ICMP error (icmp.inner_off/inner_len of
 * the outer packet), starting at its IP header; af is AF_INET or AF_INET6
 * (<sys/socket.h>) and must match the outer ICMP's family.  The quote may be
 * truncated (PKT_F_TRUNC): the IP header must be whole, and for TCP, UDP,
 * ICMP and ICMPv6 the first 8 bytes of L4 (TCP: ports and seq only; ICMP:
 * type, code, id, seq only), else QUOTE_SHORT.  A quoted ICMP error is not
 * looked into (no PKT_F_ICMP_ERR, no inner offsets), so there is no
 * recursion.  l3_off is 0 and l2 fields are 0.
 */
enum pkt_err pkt_parse_quoted(const uint8_t *buf, size_t len, int af, struct pkt_meta *m);

/*
 * True if TCP flags `fl` are a combination pf's normalisation drops
 * [OpenBSD sys/net/pf_norm.c pf_normalize_tcp(), reason "normalize"]:
 * SYN with RST; no SYN and neither ACK nor RST (this includes no flags at
 * all); FIN, PSH or URG without ACK.  SYN with FIN is dropped too: OpenBSD
 * strips the FIN and passes the SYN, FreeBSD drops it; dpf does not rewrite
 * flags, so it drops, as FreeBSD does.  ECE and CWR are not looked at.
 */
static inline int
pkt_tcp_flags_bad(uint8_t fl)
{
	if (fl & PKT_TCP_SYN)
		return (fl & (PKT_TCP_RST | PKT_TCP_FIN)) != 0;
	if (!(fl & (PKT_TCP_ACK | PKT_TCP_RST)))
		return 1;
	return !(fl & PKT_TCP_ACK) && (fl & (PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG));
}

/*
 * Verify the checksums of a frame pkt_parse() accepted into *m: the IPv4
 * header, then TCP, UDP (0 means none for IPv4, is an error for IPv6: RFC
 * 8200 8.1), ICMP and ICMPv6 with their pseudo-headers.  L4 is skipped for
 * fragments (it needs the whole datagram) and quoted packets.  The IPv6
 * pseudo-header uses the final destination of a routing header (types 2 and
 * 4) and the home address option (RFC 6275 6.3); IPv4 the last address of a
 * pending source route.
 */
enum pkt_err pkt_verify_cksum(const uint8_t *buf, size_t len, const struct pkt_meta *m);

#endif /* DPF_PROTO_PKT_H */
