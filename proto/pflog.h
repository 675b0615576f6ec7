/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pflog: OpenBSD's log record header, as written to pcap files of link type
 * DLT_PFLOG (117) in front of each logged IP/IPv6 packet.
 *
 * Facts from OpenBSD if_pflog.h 1.29 and if_pflog.c, and from how tcpdump
 * (print-pflog.c) and Wireshark (packet-pflog.c) decode the header.
 *
 *	+--------------------+
 *	| pflog_hdr          |  100 bytes; byte 0 (length) = 100
 *	+--------------------+
 *	| IPv4 / IPv6 packet |  starting at roundup(length, 4); no link header
 *	+--------------------+
 *
 * We write what a Linux reader decodes as OpenBSD (§4.4 "practical
 * consequence"): length 100 (tcpdump picks the OpenBSD tables from it), BSD
 * af values (2, 24: anything else is hex-dumped), rulenr/subrulenr and
 * ports big-endian, uid/pid/rule_uid/rule_pid -1, whose bytes read the same
 * in either byte order (OpenBSD writes those four in host order, tcpdump
 * reads them big-endian).
 */
#ifndef DPF_PROTO_PFLOG_H
#define DPF_PROTO_PFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pf.h"
#include "proto/pfres.h"
#include "proto/proto.h"

#define PFLOG_LINKTYPE		117	/* LINKTYPE_PFLOG = DLT_PFLOG [PCAP] */
#ifndef DLT_PFLOG
#define DLT_PFLOG		117	/* same value as pcap/dlt.h */
#endif

#define PFLOG_HDRLEN		100	/* OpenBSD PFLOG_HDRLEN = PFLOG_REAL_HDRLEN */
#define PFLOG_HDRLEN_MIN	61	/* smallest length tcpdump accepts (through dir) */
#define PFLOG_IFNAMSIZ		16
#define PFLOG_RULESET_NAME_SIZE	16
#define PFLOG_RULENR_NONE	0xffffffffu	/* default rule / not in an anchor */
#define PFLOG_ID_NONE		0xffffffffu	/* uid/pid unknown (-1) */

/* OpenBSD struct pfloghdr [OpenBSD if_pflog.h]. */
struct pflog_hdr {
	uint8_t length;			/* PFLOG_HDRLEN */
	uint8_t af;			/* PFLOG_AF_* of the logged packet */
	uint8_t action;			/* enum pf_action */
	uint8_t reason;			/* enum pfres */
	char ifname[PFLOG_IFNAMSIZ];
	char ruleset[PFLOG_RULESET_NAME_SIZE];	/* anchor name, or empty */
	dpf_be32_t rulenr;		/* PFLOG_RULENR_NONE: default rule */
	dpf_be32_t subrulenr;		/* rule inside the anchor, else NONE */
	uint32_t uid;			/* OpenBSD: host order; we write -1 */
	uint32_t pid;
	uint32_t rule_uid;
	uint32_t rule_pid;
	uint8_t dir;			/* enum pf_dir */
	uint8_t rewritten;		/* 1: addresses/ports below were translated */
	uint8_t naf;			/* af after translation */
	uint8_t pad;
	uint8_t saddr[16];		/* post-translation, network order */
	uint8_t daddr[16];
	dpf_be16_t sport;
	dpf_be16_t dport;
} PROTO_PACKED;

_Static_assert(sizeof(struct pflog_hdr) == PFLOG_HDRLEN, "pfloghdr is 100 bytes");
_Static_assert(offsetof(struct pflog_hdr, ifname) == 4, "pflog ifname @4");
_Static_assert(offsetof(struct pflog_hdr, ruleset) == 20, "pflog ruleset @20");
_Static_assert(offsetof(struct pflog_hdr, rulenr) == 36, "pflog rulenr @36");
_Static_assert(offsetof(struct pflog_hdr, subrulenr) == 40, "pflog subrulenr @40");
_Static_assert(offsetof(struct pflog_hdr, uid) == 44, "pflog uid @44");
_Static_assert(offsetof(struct pflog_hdr, rule_pid) == 56, "pflog rule_pid @56");
_Static_assert(offsetof(struct pflog_hdr, dir) == 60, "pflog dir @60");
_Static_assert(offsetof(struct pflog_hdr, rewritten) == 61, "pflog rewritten @61");
_Static_assert(offsetof(struct pflog_hdr, naf) == 62, "pflog naf @62");
_Static_assert(offsetof(struct pflog_hdr, saddr) == 64, "pflog saddr @64");
_Static_assert(offsetof(struct pflog_hdr, daddr) == 80, "pflog daddr @80");
_Static_assert(offsetof(struct pflog_hdr, sport) == 96, "pflog sport @96");
_Static_assert(offsetof(struct pflog_hdr, dport) == 98, "pflog dport @98");
_Static_assert(offsetof(struct pflog_hdr, dir) + 1 == PFLOG_HDRLEN_MIN, "61 = through dir");

/* A log record's header fields in host form. */
struct pflog_info {
	uint8_t af;			/* PF_AF_INET / PF_AF_INET6 */
	uint8_t action;			/* enum pf_action */
	uint8_t reason;			/* enum pfres */
	uint8_t dir;			/* PF_IN / PF_OUT */
	char ifname[PFLOG_IFNAMSIZ];	/* NUL-padded; need not be terminated */
	char ruleset[PFLOG_RULESET_NAME_SIZE];
	uint32_t rulenr;		/* PFLOG_RULENR_NONE for the default rule */
	uint32_t subrulenr;		/* PFLOG_RULENR_NONE outside anchors */
	uint8_t rewritten;
	uint8_t naf;
	uint8_t saddr[16];		/* IPv4 in the first 4 bytes */
	uint8_t daddr[16];
	uint16_t sport;			/* host order */
	uint16_t dport;
	/* Filled by pflog_hdr_parse() only; the builder writes -1. */
	uint32_t uid;
	uint32_t pid;
	uint32_t rule_uid;
	uint32_t rule_pid;
	uint8_t length;			/* the header's length byte */
	size_t hdrlen;			/* roundup(length, 4): where the packet starts */
};

enum pflog_err {
	PFLOG_OK = 0,
	PFLOG_ERR_SHORT,		/* buffer ends inside the header */
	PFLOG_ERR_BADLEN,		/* length byte outside [61, 100] */
};

/*
 * Writes a 100-byte OpenBSD header for `info` into buf.  Returns
 * PFLOG_HDRLEN, or 0 when len is smaller.  Only the fields listed in
 * struct pflog_info before uid are used.
 */
size_t pflog_hdr_build(uint8_t *buf, size_t len, const struct pflog_info *info);

/*
 * Writes the header followed by the pktlen bytes of pkt.  Returns the
 * record length, or 0 when it does not fit len.
 */
size_t pflog_record_build(uint8_t *buf, size_t len, const struct pflog_info *info,
			  const uint8_t *pkt, size_t pktlen);

/*
 * Reads a header as tcpdump does [TD print-pflog.c]: the length byte must be
 * 61..100 and roundup(length, 4) bytes must be present; info->hdrlen is
 * where the packet starts.  The first 61 bytes are read always; rewritten,
 * naf, addresses and ports only when length is 100 (OpenBSD's layout; other
 * systems put other fields there) and are zero otherwise.  Numbers are read
 * big-endian, uid and pid included.
 */
__attribute__((warn_unused_result))
enum pflog_err pflog_hdr_parse(const uint8_t *buf, size_t len, struct pflog_info *out);

#endif /* DPF_PROTO_PFLOG_H */
