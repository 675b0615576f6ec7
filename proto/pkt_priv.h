/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal interface between proto/pkt.c (L2, L3) and proto/pkt_l4.c (L4,
 * ICMP, ND, checksums).  Not for use outside proto/pkt*.c.
 */
#ifndef DPF_PROTO_PKT_PRIV_H
#define DPF_PROTO_PKT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pkt.h"

/*
 * Parse the upper layer m->proto found at buf[off], the IP datagram's bytes
 * ending at buf[end] (off <= end, end - off <= 65535, both within the
 * caller's len).  m has its L3 fields and flags set; with PKT_F_QUOTED only
 * the first 8 bytes of TCP/UDP/ICMP/ICMPv6 are required and read.
 */
enum pkt_err pkt_parse_l4(const uint8_t *buf, size_t off, size_t end, struct pkt_meta *m);

/*
 * Option lists: IPv4 options (RFC 791 3.1), TCP options (RFC 9293 3.1),
 * IPv6 hop-by-hop and destination options (RFC 8200 4.2) and ND options
 * (RFC 4861 4.6) are all type, length, data.  They differ in which types
 * are one byte long (an end of list, a pad) and in what the length byte
 * counts: its whole option length is byte * len_mul + len_add.
 */
struct pkt_tlv_fmt {
	int16_t eol;		/* type that ends the list; -1: none */
	int16_t pad;		/* one-byte type that is skipped; -1: none */
	uint8_t len_mul;
	uint8_t len_add;
	uint8_t len_min;	/* a shorter option is PKT_TLV_BADLEN */
};

/* IPv4: EOL 0, NOP 1, the length counts the whole option. */
static const struct pkt_tlv_fmt pkt_tlv_ip4 = { .eol = 0, .pad = 1, .len_mul = 1, .len_min = 2 };
/* TCP: as IPv4 (EOL 0, NOP 1). */
static const struct pkt_tlv_fmt pkt_tlv_tcp = { .eol = 0, .pad = 1, .len_mul = 1, .len_min = 2 };
/* IPv6: Pad1 0, the length counts the data only. */
static const struct pkt_tlv_fmt pkt_tlv_ip6 = { .eol = -1, .pad = 0, .len_mul = 1, .len_add = 2,
						.len_min = 2 };
/* ND: no one-byte type, the length is in units of 8 bytes and 0 is invalid. */
static const struct pkt_tlv_fmt pkt_tlv_nd = { .eol = -1, .pad = -1, .len_mul = 8, .len_min = 8 };

/* A walk over the options in buf[p, end); off and len describe the current one. */
struct pkt_tlv {
	const uint8_t *buf;
	size_t p;
	size_t end;
	size_t off;
	size_t len;
};

enum pkt_tlv_rc {
	PKT_TLV_BADLEN = -2,	/* an option's length is below the minimum */
	PKT_TLV_TRUNC = -1,	/* an option runs past the end */
	PKT_TLV_END = 0,	/* no more options (the end, or the end-of-list type) */
	PKT_TLV_OPT = 1,	/* t->buf[t->off, t->off + t->len) is an option, all there */
};

/* Steps to the next option of t in format f; inline so that f folds away. */
static inline enum pkt_tlv_rc
pkt_tlv_next(const struct pkt_tlv_fmt *f, struct pkt_tlv *t)
{
	while (t->p < t->end) {
		uint8_t type = t->buf[t->p];

		if (type == f->eol)
			return PKT_TLV_END;
		if (type == f->pad) {
			t->p++;
			continue;
		}
		if (t->end - t->p < 2)
			return PKT_TLV_TRUNC;
		t->len = (size_t)t->buf[t->p + 1] * f->len_mul + f->len_add;
		if (t->len < f->len_min)
			return PKT_TLV_BADLEN;
		if (t->len > t->end - t->p)
			return PKT_TLV_TRUNC;
		t->off = t->p;
		t->p += t->len;
		return PKT_TLV_OPT;
	}
	return PKT_TLV_END;
}

#endif /* DPF_PROTO_PKT_PRIV_H */
