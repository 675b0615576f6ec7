/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the flow of a quoted datagram (pkt_quote.h).
 *
 * Offsets only grow and each read is checked against len first; the IPv6
 * walk is bounded by PKT_IP6_EXT_MAX headers of at most 2,048 bytes, so
 * no offset comes near overflowing.
 */
#include "proto/pkt_quote.h"

#include <string.h>

#include "proto/proto.h"

/* Ports or query id of the L4 header at buf[p], 8 bytes of it present. */
static void
pkt_quote_l4(const uint8_t *buf, size_t p, unsigned int ipv, struct pkt_quote *q)
{
	q->flags |= PKT_QUOTE_L4;
	q->l4_off = (uint16_t)p;
	switch (q->proto) {
	case PKT_IPPROTO_TCP:
	case PKT_IPPROTO_UDP:
	case PKT_IPPROTO_SCTP:
		q->sport = proto_rd16(buf + p);
		q->dport = proto_rd16(buf + p + 2);
		break;
	default:
		if (pkt_icmp_is_query(ipv, q->proto, buf[p]))
			q->sport = q->dport = proto_rd16(buf + p + 4);
		break;
	}
}

static int
pkt_quote_ip4(const uint8_t *buf, size_t len, struct pkt_quote *q)
{
	size_t hl;

	if (len < 20 || buf[0] >> 4 != 4)
		return -1;
	hl = (size_t)(buf[0] & 0xf) * 4;
	if (hl < 20 || len < hl)
		return -1;
	q->src_off = 12;
	q->dst_off = 16;
	q->proto = buf[9];
	/* Offset 0 (whole, or a first fragment) carries the L4 header. */
	if ((proto_rd16(buf + 6) & 0x1fff) == 0 && len - hl >= 8)
		pkt_quote_l4(buf, hl, 4, q);
	return 0;
}

static int
pkt_quote_ip6(const uint8_t *buf, size_t len, struct pkt_quote *q)
{
	size_t p = 40;
	unsigned int n;
	uint8_t nxt;

	if (len < 40 || buf[0] >> 4 != 6)
		return -1;
	q->src_off = 8;
	q->dst_off = 24;
	nxt = buf[6];
	for (n = 0;; n++) {
		if (nxt != PKT_IPPROTO_HOPOPTS && nxt != PKT_IPPROTO_ROUTING &&
		    nxt != PKT_IPPROTO_FRAGMENT && nxt != PKT_IPPROTO_DSTOPTS)
			break;
		/* Each is at least 8 bytes, the fragment header exactly. */
		if (n == PKT_IP6_EXT_MAX || len - p < 8) {
			q->proto = nxt;
			return 0;
		}
		if (nxt == PKT_IPPROTO_FRAGMENT) {
			uint16_t off = proto_rd16(buf + p + 2) & 0xfff8;

			nxt = buf[p];
			p += 8;
			if (off != 0) {
				q->proto = nxt;
				return 0;
			}
		} else {
			size_t hlen = ((size_t)buf[p + 1] + 1) * 8;

			if (len - p < hlen) {
				q->proto = nxt;
				return 0;
			}
			nxt = buf[p];
			p += hlen;
		}
	}
	q->proto = nxt;
	if (len - p >= 8)
		pkt_quote_l4(buf, p, 6, q);
	return 0;
}

int
pkt_quote_flow(const uint8_t *buf, size_t len, unsigned int ipv, struct pkt_quote *q)
{
	memset(q, 0, sizeof(*q));
	if (ipv == 4)
		return pkt_quote_ip4(buf, len, q);
	if (ipv == 6)
		return pkt_quote_ip6(buf, len, q);
	return -1;
}
