/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: packet parser, L2 and L3.
 *
 * One validation ladder per layer, each step returning its own reason.
 * Every read is preceded by a check that the bytes are there: `avail` or
 * `end - p` is compared with the size about to be read, and offsets only
 * grow, so no subtraction below can wrap.  Loops walk headers whose size is
 * bounded (VLAN tags: PKT_VLAN_MAX + 1, IPv4 options: 40 bytes, IPv6
 * extension headers: PKT_IP6_EXT_MAX, their options: 2048 bytes each).
 *
 * A datagram has two ends: `ip_end`, where its header says it ends, and
 * `end`, where its bytes end.  They differ only for a truncated quote
 * inside an ICMP error (pkt_parse_quoted()); a full frame with ip_end past
 * its bytes is refused.  Fragment sanity uses ip_end, reads use end.
 *
 * L4, ICMP, ND and checksums are in pkt_l4.c.
 */
#include "proto/pkt.h"

#include <string.h>
#include <sys/socket.h>

#include "proto/pkt_priv.h"
#include "proto/proto.h"

PROTO_NAME_FN(pkt_err_name, enum pkt_err, PKT_ERR_LIST, PKT_ERR_MAX);

#define PKT_ERR_RES(sym, name, res) PFRES_##res,
PROTO_TABLE_FN(enum pfres, pkt_err_pfres, enum pkt_err, PKT_ERR_MAX, PFRES_NORM,
	       PKT_ERR_LIST(PKT_ERR_RES));
#undef PKT_ERR_RES

/* IPv4 option types (RFC 791, RFC 2113) */
#define IPOPT_LSRR	131
#define IPOPT_SSRR	137
#define IPOPT_RA	148

/* IPv6 option types (RFC 8200 4.2, RFC 2711, RFC 2675, RFC 6275 6.3) */
#define IP6OPT_RA	0x05
#define IP6OPT_JUMBO	0xc2
#define IP6OPT_HAO	0xc9

#define IP_MAXPACKET	65535

/*
 * Walk IPv4 options in buf[p, end): EOL ends the list (the rest is padding),
 * NOP is one byte, every other option has a length >= 2 that fits
 * [pf_walk_option()].  A pending loose or strict source route makes its
 * last address the final destination for L4 pseudo-headers (RFC 1122
 * 4.2.2.7 via RFC 791): the route is pending while its pointer (1-based,
 * first address at 4) still points inside the option.
 */
static enum pkt_err
pkt_ip4_opts(const uint8_t *buf, size_t p, size_t end, struct pkt_meta *m)
{
	struct pkt_tlv o = { .buf = buf, .p = p, .end = end };
	enum pkt_tlv_rc rc;

	while ((rc = pkt_tlv_next(&pkt_tlv_ip4, &o)) == PKT_TLV_OPT) {
		switch (buf[o.off]) {
		case IPOPT_RA:
			m->flags |= PKT_F_ROUTER_ALERT;
			break;
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			if (o.len >= 7 && (size_t)buf[o.off + 2] + 3 <= o.len)
				m->pseudo_dst_off = (uint16_t)(o.off + 3 + ((o.len - 3) / 4 - 1) * 4);
			break;
		default:
			break;
		}
	}
	return rc == PKT_TLV_END ? PKT_ERR_OK : PKT_ERR_IP4_OPT_BAD;
}

static enum pkt_err
pkt_ip4(const uint8_t *buf, size_t len, int quoted, struct pkt_meta *m)
{
	size_t off = m->l3_off, avail = len - off, hlen, tot, end;
	const uint8_t *ip;
	uint16_t fo;
	enum pkt_err err;

	/* buf may be NULL when len is 0: no pointer arithmetic before this. */
	if (avail < 20)
		return PKT_ERR_IP4_SHORT;
	ip = buf + off;
	if (ip[0] >> 4 != 4)
		return PKT_ERR_IP4_BAD_VERSION;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20)
		return PKT_ERR_IP4_BAD_IHL;
	if (hlen > avail)
		return PKT_ERR_IP4_IHL_TRUNCATED;
	tot = proto_rd16(ip + 2);
	if (tot < hlen)
		return PKT_ERR_IP4_BAD_TOTLEN;
	if (tot <= avail) {
		end = off + tot;
	} else if (quoted) {
		end = len;
		m->flags |= PKT_F_TRUNC;
	} else {
		return PKT_ERR_IP4_TRUNCATED;
	}

	m->l3_hlen = (uint16_t)hlen;
	m->ip_len = (uint32_t)tot;
	m->tos = ip[1];
	m->ip_id = proto_rd16(ip + 4);
	m->ttl = ip[8];
	m->proto = ip[9];
	memcpy(m->src, ip + 12, 4);
	memcpy(m->dst, ip + 16, 4);
	m->pseudo_src_off = (uint16_t)(off + 12);
	m->pseudo_dst_off = (uint16_t)(off + 16);
	if (hlen > 20) {
		m->flags |= PKT_F_IP_OPTS;
		err = pkt_ip4_opts(buf, off + 20, off + hlen, m);
		if (err != PKT_ERR_OK)
			return err;
	}

	fo = proto_rd16(ip + 6);
	if (fo & 0x4000)
		m->flags |= PKT_F_DF;
	if (fo & 0x3fff) {
		m->flags |= PKT_F_FRAG;
		m->frag_off = (uint16_t)((fo & 0x1fff) << 3);
		m->frag_id = m->ip_id;
		if (fo & 0x2000) {
			m->flags |= PKT_F_FRAG_MORE;
			/* Only the last fragment may end off an 8-byte boundary. */
			if ((tot - hlen) & 7)
				return PKT_ERR_FRAG_BAD_LEN;
		}
		/* Reassembled: header + offset + data = frag_off + tot (RFC 791). */
		if (m->frag_off + tot > IP_MAXPACKET)
			return PKT_ERR_FRAG_BAD_OFFSET;
		if (m->frag_off != 0) {
			/* RFC 1858 3.4: a TCP fragment at offset 8 or 16 rewrites flags. */
			if (m->proto == PKT_IPPROTO_TCP && m->frag_off < 20)
				return PKT_ERR_FRAG_L4_OVERLAP;
			return PKT_ERR_OK;
		}
		m->flags |= PKT_F_FRAG_FIRST;
	}
	return pkt_parse_l4(buf, off + hlen, end, m);
}

/*
 * Walk the TLV options of a hop-by-hop or destination options header in
 * buf[p, end) (RFC 8200 4.2): Pad1 is one byte, every other option's data
 * must fit [pf_walk_option6()].  Jumbograms are refused as pf does.  A home
 * address option (Mobile IPv6) in a destination options header replaces the
 * source in pseudo-headers (RFC 6275 6.3).
 */
static enum pkt_err
pkt_ip6_opts(const uint8_t *buf, size_t p, size_t end, int is_dst, struct pkt_meta *m)
{
	struct pkt_tlv o = { .buf = buf, .p = p, .end = end };
	enum pkt_tlv_rc rc;

	while ((rc = pkt_tlv_next(&pkt_tlv_ip6, &o)) == PKT_TLV_OPT) {
		switch (buf[o.off]) {
		case IP6OPT_JUMBO:
			return PKT_ERR_IP6_JUMBO;
		case IP6OPT_RA:
			m->flags |= PKT_F_ROUTER_ALERT;
			break;
		case IP6OPT_HAO:
			if (is_dst && o.len == 18)
				m->pseudo_src_off = (uint16_t)(o.off + 2);
			break;
		default:
			break;
		}
	}
	return rc == PKT_TLV_END ? PKT_ERR_OK : PKT_ERR_IP6_OPT_BAD;
}

/*
 * An extension header that does not fit: in a first fragment the whole
 * chain must be there (RFC 7112), so that is a tiny fragment.
 */
static enum pkt_err
pkt_ip6_ext_short(const struct pkt_meta *m)
{
	return (m->flags & PKT_F_FRAG_FIRST) ? PKT_ERR_FRAG_TINY : PKT_ERR_IP6_EXT_TRUNCATED;
}

/*
 * IPv6 header and extension chain.  The walk follows pf_walk_header6():
 * hop-by-hop only right after the IPv6 header, one routing and one fragment
 * header at most, routing type 0 refused (RFC 5095); it ends at the first
 * header that is not hop-by-hop, routing, fragment or destination options,
 * which becomes m->proto.  A non-first fragment ends it at the fragment
 * header.
 */
static enum pkt_err
pkt_ip6(const uint8_t *buf, size_t len, int quoted, struct pkt_meta *m)
{
	size_t off = m->l3_off, avail = len - off, ip_end, end, p;
	const uint8_t *ip;
	unsigned int n_ext = 0;
	uint32_t vtf;
	uint8_t nxt;
	enum pkt_err err;

	if (avail < 40)
		return PKT_ERR_IP6_SHORT;
	ip = buf + off;
	vtf = proto_rd32(ip);
	if (vtf >> 28 != 6)
		return PKT_ERR_IP6_BAD_VERSION;
	m->tos = (uint8_t)(vtf >> 20);
	m->flow = vtf & 0xfffff;
	m->ip_len = 40 + (uint32_t)proto_rd16(ip + 4);
	nxt = ip[6];
	m->ttl = ip[7];
	memcpy(m->src, ip + 8, 16);
	memcpy(m->dst, ip + 24, 16);
	m->pseudo_src_off = (uint16_t)(off + 8);
	m->pseudo_dst_off = (uint16_t)(off + 24);
	ip_end = off + m->ip_len;
	if (m->ip_len <= avail) {
		end = ip_end;
	} else if (quoted) {
		end = len;
		m->flags |= PKT_F_TRUNC;
	} else {
		return PKT_ERR_IP6_TRUNCATED;
	}

	/*
	 * A jumbogram (RFC 2675) has payload length 0 and its real length in a
	 * hop-by-hop option, so its chain lies past ip_end.  pf refuses them;
	 * look for the option in the bytes present so that the reason says
	 * why.  Without one, the walk below finds the header truncated.
	 */
	if (m->ip_len == 40 && nxt == PKT_IPPROTO_HOPOPTS && avail >= 48) {
		size_t hlen = ((size_t)ip[41] + 1) * 8;

		if (hlen <= avail - 40 &&
		    pkt_ip6_opts(buf, off + 42, off + 40 + hlen, 0, m) == PKT_ERR_IP6_JUMBO)
			return PKT_ERR_IP6_JUMBO;
	}

	p = off + 40;
	for (;;) {
		size_t hlen;
		uint16_t offlg;

		switch (nxt) {
		case PKT_IPPROTO_HOPOPTS:
			if (n_ext != 0)
				return PKT_ERR_IP6_HBH_NOT_FIRST;
			break;
		case PKT_IPPROTO_ROUTING:
			if (m->flags & PKT_F_IP6_RH)
				return PKT_ERR_IP6_RH_MULTI;
			break;
		case PKT_IPPROTO_FRAGMENT:
			if (m->flags & PKT_F_IP6_FRAG_HDR)
				return PKT_ERR_IP6_FRAG_MULTI;
			break;
		case PKT_IPPROTO_DSTOPTS:
			break;
		default:
			goto upper;
		}
		if (n_ext++ == PKT_IP6_EXT_MAX)
			return PKT_ERR_IP6_EXT_TOO_MANY;
		/* Each of the four is at least 8 bytes, the fragment header exactly. */
		if (end - p < 8)
			return pkt_ip6_ext_short(m);
		hlen = nxt == PKT_IPPROTO_FRAGMENT ? 8 : ((size_t)buf[p + 1] + 1) * 8;
		if (end - p < hlen)
			return pkt_ip6_ext_short(m);

		switch (nxt) {
		case PKT_IPPROTO_HOPOPTS:
		case PKT_IPPROTO_DSTOPTS:
			m->flags |= PKT_F_IP_OPTS;
			err = pkt_ip6_opts(buf, p + 2, p + hlen, nxt == PKT_IPPROTO_DSTOPTS, m);
			if (err != PKT_ERR_OK)
				return err;
			break;
		case PKT_IPPROTO_ROUTING:
			m->flags |= PKT_F_IP6_RH;
			if (buf[p + 2] == 0)
				return PKT_ERR_IP6_RH0;
			/*
			 * With segments left, the final destination is the home
			 * address of type 2 (RFC 6275 6.4) or segment list[0] of
			 * type 4 (RFC 8754 2), both at offset 8.  Other types
			 * (3: compressed) are not decoded.
			 */
			if (buf[p + 3] != 0 && (buf[p + 2] == 2 || buf[p + 2] == 4) && hlen >= 24)
				m->pseudo_dst_off = (uint16_t)(p + 8);
			break;
		default: /* PKT_IPPROTO_FRAGMENT */
			m->flags |= PKT_F_IP6_FRAG_HDR;
			m->frag_hdr_off = (uint16_t)p;
			m->frag_id = proto_rd32(buf + p + 4);
			offlg = proto_rd16(buf + p + 2);
			m->frag_off = offlg & 0xfff8;
			/* Offset 0 without M is an atomic fragment (RFC 6946): whole. */
			if (offlg & 0xfff9) {
				size_t data = ip_end - (p + 8);

				m->flags |= PKT_F_FRAG;
				if (offlg & 1) {
					m->flags |= PKT_F_FRAG_MORE;
					/* RFC 8200 4.5: M set and not a multiple of 8. */
					if (data & 7)
						return PKT_ERR_FRAG_BAD_LEN;
				}
				/* RFC 8200 4.5: reassembled payload over 65535. */
				if ((p - off - 40) + m->frag_off + data > IP_MAXPACKET)
					return PKT_ERR_FRAG_BAD_OFFSET;
				if (m->frag_off != 0) {
					m->proto = buf[p];
					m->l3_hlen = (uint16_t)(p + 8 - off);
					if (m->proto == PKT_IPPROTO_TCP && m->frag_off < 20)
						return PKT_ERR_FRAG_L4_OVERLAP;
					return PKT_ERR_OK;
				}
				m->flags |= PKT_F_FRAG_FIRST;
			}
			break;
		}
		nxt = buf[p];
		p += hlen;
	}

upper:
	m->proto = nxt;
	m->l3_hlen = (uint16_t)(p - off);
	return pkt_parse_l4(buf, p, end, m);
}

/* ARP for IPv4 over Ethernet (RFC 826); anything else is not ours to relay. */
static enum pkt_err
pkt_arp(const uint8_t *buf, size_t len, struct pkt_meta *m)
{
	const uint8_t *a;

	if (len - m->l3_off < 28)
		return PKT_ERR_ARP_SHORT;
	a = buf + m->l3_off;
	if (proto_rd16(a) != 1 || a[4] != 6)
		return PKT_ERR_ARP_BAD_HW;
	if (proto_rd16(a + 2) != PKT_ETHERTYPE_IPV4 || a[5] != 4)
		return PKT_ERR_ARP_BAD_PROTO;
	m->arp.op = proto_rd16(a + 6);
	if (m->arp.op != 1 && m->arp.op != 2)
		return PKT_ERR_ARP_BAD_OP;
	m->l3_hlen = 28;
	memcpy(m->arp.sha, a + 8, 6);
	memcpy(m->arp.spa, a + 14, 4);
	memcpy(m->arp.tha, a + 18, 6);
	memcpy(m->arp.tpa, a + 24, 4);
	return PKT_ERR_OK;
}

static int
pkt_is_vlan_tpid(uint16_t et)
{
	return et == PKT_ETHERTYPE_VLAN || et == PKT_ETHERTYPE_QINQ ||
	       et == PKT_ETHERTYPE_QINQ_OLD;
}

enum pkt_err
pkt_parse(const uint8_t *buf, size_t len, struct pkt_meta *m)
{
	size_t off = PKT_ETH_HLEN;
	uint16_t et;

	memset(m, 0, sizeof(*m));
	if (len < PKT_ETH_HLEN)
		return PKT_ERR_ETH_SHORT;
	et = proto_rd16(buf + 12);
	/* Any of the three TPIDs at either depth: switches disagree on QinQ. */
	while (pkt_is_vlan_tpid(et)) {
		if (m->n_vlan == PKT_VLAN_MAX)
			return PKT_ERR_VLAN_TOO_MANY;
		if (len - off < 4)
			return PKT_ERR_VLAN_SHORT;
		m->vlan[m->n_vlan++] = proto_rd16(buf + off);
		et = proto_rd16(buf + off + 2);
		off += 4;
	}
	m->l2_len = (uint16_t)off;
	m->ethertype = et;

	switch (et) {
	case PKT_ETHERTYPE_IPV4:
		m->l3_proto = PKT_L3_IPV4;
		m->l3_off = (uint16_t)off;
		return pkt_ip4(buf, len, 0, m);
	case PKT_ETHERTYPE_IPV6:
		m->l3_proto = PKT_L3_IPV6;
		m->l3_off = (uint16_t)off;
		return pkt_ip6(buf, len, 0, m);
	case PKT_ETHERTYPE_ARP:
		m->l3_proto = PKT_L3_ARP;
		m->l3_off = (uint16_t)off;
		return pkt_arp(buf, len, m);
	default:
		return PKT_ERR_OK;
	}
}

enum pkt_err
pkt_parse_quoted(const uint8_t *buf, size_t len, int af, struct pkt_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->flags = PKT_F_QUOTED;
	switch (af) {
	case AF_INET:
		m->l3_proto = PKT_L3_IPV4;
		return pkt_ip4(buf, len, 1, m);
	case AF_INET6:
		m->l3_proto = PKT_L3_IPV6;
		return pkt_ip6(buf, len, 1, m);
	default:
		return PKT_ERR_QUOTE_BAD_AF;
	}
}
