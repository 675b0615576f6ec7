/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: packet parser, L4: TCP, UDP, ICMP, ICMPv6 with Neighbor Discovery,
 * the 8-byte L4 view of a quoted datagram, and checksum verification.
 *
 * Entered from pkt.c with m->l4_off/l4_len describing bytes that are all
 * present (l4_len <= 65535), so every check below is against l4_len only.
 * Option walks are bounded by the header they sit in: TCP 40 bytes, ND
 * options by the ICMPv6 length in steps of at least 8 bytes.
 */
#include <string.h>

#include "proto/cksum.h"
#include "proto/pkt.h"
#include "proto/pkt_priv.h"
#include "proto/proto.h"

/* TCP option kinds (RFC 9293 3.2, RFC 2018, RFC 7323); EOL 0 and NOP 1 in pkt_tlv_tcp */
#define TCPOPT_MSS	2
#define TCPOPT_WSCALE	3
#define TCPOPT_SACKOK	4
#define TCPOPT_SACK	5
#define TCPOPT_TS	8

/* ND option types (RFC 4861 4.6) */
#define NDOPT_SLLA	1
#define NDOPT_TLLA	2
#define NDOPT_MTU	5

/*
 * A header that is not all there: in a first fragment that is a tiny
 * fragment (the L4 header must be in the first fragment, RFC 1858 and RFC
 * 7112), otherwise the protocol's own "short" reason.
 */
static enum pkt_err
pkt_l4_short(const struct pkt_meta *m, enum pkt_err err)
{
	return (m->flags & PKT_F_FRAG_FIRST) ? PKT_ERR_FRAG_TINY : err;
}

/* TCP and UDP both start with the source and destination ports. */
static void
pkt_l4_ports(const uint8_t *h, struct pkt_meta *m)
{
	m->sport = proto_rd16(h);
	m->dport = proto_rd16(h + 2);
}

/*
 * TCP options in th[20, hlen).  Known kinds must have their exact length
 * (SACK: 2 + 8n) so that no value is read from a neighbouring option; any
 * option length < 2 or past the header is an error.  A later duplicate
 * overrides an earlier one.
 */
static enum pkt_err
pkt_tcp_opts(const uint8_t *th, size_t hlen, struct pkt_meta *m)
{
	struct pkt_tlv o = { .buf = th, .p = 20, .end = hlen };
	enum pkt_tlv_rc rc;

	while ((rc = pkt_tlv_next(&pkt_tlv_tcp, &o)) == PKT_TLV_OPT) {
		switch (th[o.off]) {
		case TCPOPT_MSS:
			if (o.len != 4)
				return PKT_ERR_TCP_OPT_BAD;
			m->tcp.mss = proto_rd16(th + o.off + 2);
			m->tcp.opts |= PKT_TCPO_MSS;
			break;
		case TCPOPT_WSCALE:
			if (o.len != 3)
				return PKT_ERR_TCP_OPT_BAD;
			m->tcp.wscale = th[o.off + 2];
			m->tcp.opts |= PKT_TCPO_WSCALE;
			break;
		case TCPOPT_SACKOK:
			if (o.len != 2)
				return PKT_ERR_TCP_OPT_BAD;
			m->tcp.opts |= PKT_TCPO_SACKOK;
			break;
		case TCPOPT_SACK:
			if (o.len < 10 || (o.len - 2) % 8 != 0)
				return PKT_ERR_TCP_OPT_BAD;
			m->tcp.sack_off = (uint16_t)(m->l4_off + o.off + 2);
			m->tcp.sack_n = (uint8_t)((o.len - 2) / 8);
			m->tcp.opts |= PKT_TCPO_SACK;
			break;
		case TCPOPT_TS:
			if (o.len != 10)
				return PKT_ERR_TCP_OPT_BAD;
			m->tcp.ts_val = proto_rd32(th + o.off + 2);
			m->tcp.ts_ecr = proto_rd32(th + o.off + 6);
			m->tcp.opts |= PKT_TCPO_TS;
			break;
		default:
			break;
		}
	}
	return rc == PKT_TLV_END ? PKT_ERR_OK : PKT_ERR_TCP_OPT_BAD;
}

/* TCP: pf_setup_pdesc()'s checks (data offset, port 0), then options. */
static enum pkt_err
pkt_tcp(const uint8_t *buf, struct pkt_meta *m)
{
	const uint8_t *th = buf + m->l4_off;
	size_t hlen;

	if (m->l4_len < 20)
		return pkt_l4_short(m, PKT_ERR_TCP_SHORT);
	pkt_l4_ports(th, m);
	m->tcp.seq = proto_rd32(th + 4);
	m->tcp.ack = proto_rd32(th + 8);
	hlen = (size_t)(th[12] >> 4) * 4;
	m->tcp.flags = th[13];
	m->tcp.win = proto_rd16(th + 14);
	m->tcp.urp = proto_rd16(th + 18);
	if (hlen < 20)
		return PKT_ERR_TCP_BAD_DOFF;
	if (hlen > m->l4_len)
		return pkt_l4_short(m, PKT_ERR_TCP_DOFF_TRUNCATED);
	if (m->dport == 0)
		return PKT_ERR_L4_DPORT_ZERO;
	if (pkt_tcp_flags_bad(m->tcp.flags))
		return PKT_ERR_TCP_BAD_FLAGS;
	m->tcp.hlen = (uint8_t)hlen;
	m->payload_len = (uint16_t)(m->l4_len - hlen);
	m->flags |= PKT_F_L4;
	return hlen > 20 ? pkt_tcp_opts(th, hlen, m) : PKT_ERR_OK;
}

/*
 * UDP: length >= 8 and within the IP payload, as pf requires; a shorter
 * UDP length leaves trailing bytes that are ignored.  A first fragment
 * holds only part of the datagram the length describes.
 */
static enum pkt_err
pkt_udp(const uint8_t *buf, struct pkt_meta *m)
{
	const uint8_t *uh = buf + m->l4_off;
	uint16_t ulen;

	if (m->l4_len < 8)
		return pkt_l4_short(m, PKT_ERR_UDP_SHORT);
	pkt_l4_ports(uh, m);
	ulen = proto_rd16(uh + 4);
	m->udp.ulen = ulen;
	if (ulen < 8)
		return PKT_ERR_UDP_BAD_LEN;
	if (m->flags & PKT_F_FRAG) {
		m->payload_len = (uint16_t)(m->l4_len - 8);
	} else {
		if (ulen > m->l4_len)
			return PKT_ERR_UDP_TRUNCATED;
		m->payload_len = (uint16_t)(ulen - 8);
	}
	if (m->dport == 0)
		return PKT_ERR_L4_DPORT_ZERO;
	m->flags |= PKT_F_L4;
	return PKT_ERR_OK;
}

/* An ICMP or ICMPv6 error: the invoking datagram follows the 8-byte header. */
static void
pkt_icmp_quote(struct pkt_meta *m)
{
	m->flags |= PKT_F_ICMP_ERR;
	m->icmp.inner_off = (uint16_t)(m->l4_off + 8);
	m->icmp.inner_len = (uint16_t)(m->l4_len - 8);
}

/*
 * The 8-byte header that ICMP (RFC 792) and ICMPv6 (RFC 4443) share: type,
 * code, checksum, then 4 bytes that the type gives a meaning to.
 */
static void
pkt_icmp_hdr(const uint8_t *ih, struct pkt_meta *m)
{
	m->icmp.type = ih[0];
	m->icmp.code = ih[1];
	m->icmp.rest = proto_rd32(ih + 4);
}

/* Those 4 bytes of an echo and its kin: an identifier and a sequence number. */
static void
pkt_icmp_id_seq(struct pkt_meta *m)
{
	m->icmp.id = (uint16_t)(m->icmp.rest >> 16);
	m->icmp.seq = (uint16_t)m->icmp.rest;
}

/* Fields of the 8-byte ICMP header (RFC 792), shared with quoted parsing. */
static void
pkt_icmp4_hdr(const uint8_t *ih, struct pkt_meta *m)
{
	pkt_icmp_hdr(ih, m);
	switch (m->icmp.type) {
	case PKT_ICMP_ECHOREPLY:
	case PKT_ICMP_ECHO:
	case PKT_ICMP_TSTAMP:
	case PKT_ICMP_TSTAMPREPLY:
	case PKT_ICMP_IREQ:
	case PKT_ICMP_IREQREPLY:
	case PKT_ICMP_MASKREQ:
	case PKT_ICMP_MASKREPLY:
		pkt_icmp_id_seq(m);
		break;
	case PKT_ICMP_UNREACH:
		/* RFC 1191: next-hop MTU in the low 16 bits. */
		if (m->icmp.code == PKT_ICMP_UNREACH_NEEDFRAG)
			m->icmp.mtu = m->icmp.rest & 0xffff;
		break;
	case PKT_ICMP_PARAMPROB:
		m->icmp.pptr = m->icmp.rest >> 24;
		break;
	default:
		break;
	}
}

static int
pkt_icmp4_is_err(uint8_t type)
{
	return type == PKT_ICMP_UNREACH || type == PKT_ICMP_SOURCEQUENCH ||
	       type == PKT_ICMP_REDIRECT || type == PKT_ICMP_TIMXCEED ||
	       type == PKT_ICMP_PARAMPROB;
}

static enum pkt_err
pkt_icmp4(const uint8_t *buf, struct pkt_meta *m)
{
	if (m->l3_proto != PKT_L3_IPV4)
		return PKT_ERR_ICMP_WRONG_AF;
	if (m->l4_len < 8)
		return pkt_l4_short(m, PKT_ERR_ICMP_SHORT);
	pkt_icmp4_hdr(buf + m->l4_off, m);
	if (pkt_icmp4_is_err(m->icmp.type))
		pkt_icmp_quote(m);
	m->payload_len = (uint16_t)(m->l4_len - 8);
	m->flags |= PKT_F_L4;
	return PKT_ERR_OK;
}

/* Fields of the 8-byte ICMPv6 header (RFC 4443), shared with quoted parsing. */
static void
pkt_icmp6_hdr(const uint8_t *ih, struct pkt_meta *m)
{
	pkt_icmp_hdr(ih, m);
	switch (m->icmp.type) {
	case PKT_ICMP6_ECHO_REQUEST:
	case PKT_ICMP6_ECHO_REPLY:
		pkt_icmp_id_seq(m);
		break;
	case PKT_ICMP6_PACKET_TOO_BIG:
		m->icmp.mtu = m->icmp.rest;
		break;
	case PKT_ICMP6_PARAM_PROB:
		m->icmp.pptr = m->icmp.rest;
		break;
	default:
		break;
	}
}

static int
pkt_is_multicast6(const uint8_t *a)
{
	return a[0] == 0xff;
}

/*
 * Neighbor Discovery validity (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1;
 * RFC 6980 5 for fragmentation): hop limit 255 proves the sender is on
 * link, code 0, the message's minimum length, a non-multicast target, and
 * options that each have a non-zero length and fit.  Options of types we
 * do not use are skipped.
 */
static enum pkt_err
pkt_nd(const uint8_t *nd, struct pkt_meta *m)
{
	/* Fixed part per type, RS 133 .. redirect 137 (RFC 4861 4.1-4.5). */
	static const uint8_t nd_min[] = { 8, 16, 24, 24, 40 };
	size_t l4 = m->l4_len, p = nd_min[m->icmp.type - PKT_ND_ROUTER_SOLICIT];
	struct pkt_nd *n = &m->icmp.nd;
	struct pkt_tlv o = { .buf = nd, .p = p, .end = l4 };
	enum pkt_tlv_rc rc;

	if (m->flags & PKT_F_IP6_FRAG_HDR)
		return PKT_ERR_ND_FRAGMENTED;
	if (m->ttl != 255)
		return PKT_ERR_ND_BAD_HOPLIMIT;
	if (m->icmp.code != 0)
		return PKT_ERR_ND_BAD_CODE;
	if (l4 < p)
		return PKT_ERR_ND_SHORT;

	switch (m->icmp.type) {
	case PKT_ND_ROUTER_ADVERT:
		n->cur_hlim = nd[4];
		n->flags = nd[5];
		n->lifetime = proto_rd16(nd + 6);
		n->reachable = proto_rd32(nd + 8);
		n->retrans = proto_rd32(nd + 12);
		break;
	case PKT_ND_NEIGHBOR_ADVERT:
		n->flags = nd[4];
		/* FALLTHROUGH */
	case PKT_ND_NEIGHBOR_SOLICIT:
		memcpy(n->target, nd + 8, 16);
		if (pkt_is_multicast6(n->target))
			return PKT_ERR_ND_BAD_TARGET;
		break;
	case PKT_ND_REDIRECT:
		memcpy(n->target, nd + 8, 16);
		memcpy(n->redir_dst, nd + 24, 16);
		if (pkt_is_multicast6(n->redir_dst))
			return PKT_ERR_ND_BAD_TARGET;
		break;
	default: /* router solicitation: reserved word only */
		break;
	}

	while ((rc = pkt_tlv_next(&pkt_tlv_nd, &o)) == PKT_TLV_OPT) {
		switch (nd[o.off]) {
		case NDOPT_SLLA:
			n->sll_off = (uint16_t)(m->l4_off + o.off + 2);
			break;
		case NDOPT_TLLA:
			n->tll_off = (uint16_t)(m->l4_off + o.off + 2);
			break;
		case NDOPT_MTU:
			if (o.len == 8)
				n->mtu = proto_rd32(nd + o.off + 4);
			break;
		default:
			break;
		}
	}
	if (rc == PKT_TLV_END)
		return PKT_ERR_OK;
	return rc == PKT_TLV_BADLEN ? PKT_ERR_ND_OPT_BAD_LEN : PKT_ERR_ND_OPT_TRUNCATED;
}

static enum pkt_err
pkt_icmp6(const uint8_t *buf, struct pkt_meta *m)
{
	const uint8_t *ih = buf + m->l4_off;
	enum pkt_err err = PKT_ERR_OK;

	if (m->l3_proto != PKT_L3_IPV6)
		return PKT_ERR_ICMP_WRONG_AF;
	if (m->l4_len < 8)
		return pkt_l4_short(m, PKT_ERR_ICMP6_SHORT);
	pkt_icmp6_hdr(ih, m);
	m->payload_len = (uint16_t)(m->l4_len - 8);
	switch (m->icmp.type) {
	case PKT_ICMP6_DST_UNREACH:
	case PKT_ICMP6_PACKET_TOO_BIG:
	case PKT_ICMP6_TIME_EXCEEDED:
	case PKT_ICMP6_PARAM_PROB:
		pkt_icmp_quote(m);
		break;
	case PKT_ND_ROUTER_SOLICIT:
	case PKT_ND_ROUTER_ADVERT:
	case PKT_ND_NEIGHBOR_SOLICIT:
	case PKT_ND_NEIGHBOR_ADVERT:
	case PKT_ND_REDIRECT:
		err = pkt_nd(ih, m);
		break;
	default:
		break;
	}
	if (err == PKT_ERR_OK)
		m->flags |= PKT_F_L4;
	return err;
}

/*
 * The L4 view of a quoted datagram: the 8 bytes an ICMP error is sure to
 * carry (RFC 792; RFC 4443 2.4(c) quotes more, but need not), which is what
 * state lookup needs: ports, TCP sequence number, ICMP echo id.
 */
static enum pkt_err
pkt_quoted_l4(const uint8_t *buf, struct pkt_meta *m)
{
	const uint8_t *h = buf + m->l4_off;

	switch (m->proto) {
	case PKT_IPPROTO_TCP:
	case PKT_IPPROTO_UDP:
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		if (m->l4_len < 8)
			return PKT_ERR_QUOTE_SHORT;
		break;
	default:
		return PKT_ERR_OK;
	}
	switch (m->proto) {
	case PKT_IPPROTO_TCP:
		pkt_l4_ports(h, m);
		m->tcp.seq = proto_rd32(h + 4);
		break;
	case PKT_IPPROTO_UDP:
		pkt_l4_ports(h, m);
		m->udp.ulen = proto_rd16(h + 4);
		break;
	case PKT_IPPROTO_ICMP:
		if (m->l3_proto != PKT_L3_IPV4)
			return PKT_ERR_ICMP_WRONG_AF;
		pkt_icmp4_hdr(h, m);
		break;
	default: /* PKT_IPPROTO_ICMPV6 */
		if (m->l3_proto != PKT_L3_IPV6)
			return PKT_ERR_ICMP_WRONG_AF;
		pkt_icmp6_hdr(h, m);
		break;
	}
	m->flags |= PKT_F_L4;
	return PKT_ERR_OK;
}

enum pkt_err
pkt_parse_l4(const uint8_t *buf, size_t off, size_t end, struct pkt_meta *m)
{
	m->l4_off = (uint16_t)off;
	m->l4_len = (uint16_t)(end - off);
	if (m->flags & PKT_F_QUOTED)
		return pkt_quoted_l4(buf, m);
	switch (m->proto) {
	case PKT_IPPROTO_TCP:
		return pkt_tcp(buf, m);
	case PKT_IPPROTO_UDP:
		return pkt_udp(buf, m);
	case PKT_IPPROTO_ICMP:
		return pkt_icmp4(buf, m);
	case PKT_IPPROTO_ICMPV6:
		return pkt_icmp6(buf, m);
	default:
		m->payload_len = m->l4_len;
		return PKT_ERR_OK;
	}
}

enum pkt_err
pkt_verify_cksum(const uint8_t *buf, size_t len, const struct pkt_meta *m)
{
	const uint8_t *l4;
	uint32_t pseudo;
	size_t sum_len;
	enum pkt_err bad;
	int v6 = m->l3_proto == PKT_L3_IPV6;

	if (m->l3_proto == PKT_L3_IPV4) {
		/* A meta that does not fit buf is a caller bug: fail closed. */
		if ((size_t)m->l3_off + m->l3_hlen > len ||
		    proto_cksum(buf + m->l3_off, m->l3_hlen) != 0)
			return PKT_ERR_IP4_BAD_CKSUM;
	} else if (!v6) {
		return PKT_ERR_OK;
	}
	if ((m->flags & (PKT_F_L4 | PKT_F_FRAG | PKT_F_QUOTED)) != PKT_F_L4)
		return PKT_ERR_OK;

	l4 = buf + m->l4_off;
	sum_len = m->l4_len;
	switch (m->proto) {
	case PKT_IPPROTO_TCP:
		bad = PKT_ERR_TCP_BAD_CKSUM;
		break;
	case PKT_IPPROTO_UDP:
		bad = PKT_ERR_UDP_BAD_CKSUM;
		if (proto_rd16(l4 + 6) == 0)
			return v6 ? PKT_ERR_UDP6_ZERO_CKSUM : PKT_ERR_OK;
		sum_len = m->udp.ulen;
		break;
	case PKT_IPPROTO_ICMP:
		bad = PKT_ERR_ICMP_BAD_CKSUM;
		break;
	default: /* PKT_IPPROTO_ICMPV6 */
		bad = PKT_ERR_ICMP6_BAD_CKSUM;
		break;
	}
	if ((size_t)m->l4_off + sum_len > len)
		return bad;
	if (m->proto == PKT_IPPROTO_ICMP)
		return proto_cksum(l4, sum_len) != 0 ? bad : PKT_ERR_OK;
	if (v6)
		pseudo = proto_cksum_pseudo6(buf + m->pseudo_src_off, buf + m->pseudo_dst_off,
					     m->proto, (uint32_t)sum_len);
	else
		pseudo = proto_cksum_pseudo4(buf + m->pseudo_src_off, buf + m->pseudo_dst_off,
					     m->proto, (uint16_t)sum_len);
	return proto_cksum_l4(pseudo, l4, sum_len) != 0 ? bad : PKT_ERR_OK;
}
