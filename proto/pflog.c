/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pflog record header (OpenBSD layout, 100 bytes).
 *
 * Fields are written at the offsets of struct pflog_hdr through
 * proto_wr*(), so the buffer needs no alignment.  The builder writes every
 * one of the 100 bytes; the parser reads only what the length byte says is
 * there.
 */
#include <string.h>

#include "proto/pflog.h"

#define HOFF(f) offsetof(struct pflog_hdr, f)

size_t
pflog_hdr_build(uint8_t *buf, size_t len, const struct pflog_info *info)
{
	if (len < PFLOG_HDRLEN)
		return 0;
	buf[HOFF(length)] = PFLOG_HDRLEN;
	buf[HOFF(af)] = info->af;
	buf[HOFF(action)] = info->action;
	buf[HOFF(reason)] = info->reason;
	memcpy(buf + HOFF(ifname), info->ifname, PFLOG_IFNAMSIZ);
	memcpy(buf + HOFF(ruleset), info->ruleset, PFLOG_RULESET_NAME_SIZE);
	proto_wr32(buf + HOFF(rulenr), info->rulenr);
	proto_wr32(buf + HOFF(subrulenr), info->subrulenr);
	/* -1 is all ones: the same bytes in host and network order. */
	proto_wr32(buf + HOFF(uid), PFLOG_ID_NONE);
	proto_wr32(buf + HOFF(pid), PFLOG_ID_NONE);
	proto_wr32(buf + HOFF(rule_uid), PFLOG_ID_NONE);
	proto_wr32(buf + HOFF(rule_pid), PFLOG_ID_NONE);
	buf[HOFF(dir)] = info->dir;
	buf[HOFF(rewritten)] = info->rewritten;
	buf[HOFF(naf)] = info->naf;
	buf[HOFF(pad)] = 0;
	memcpy(buf + HOFF(saddr), info->saddr, 16);
	memcpy(buf + HOFF(daddr), info->daddr, 16);
	proto_wr16(buf + HOFF(sport), info->sport);
	proto_wr16(buf + HOFF(dport), info->dport);
	return PFLOG_HDRLEN;
}

size_t
pflog_record_build(uint8_t *buf, size_t len, const struct pflog_info *info,
		   const uint8_t *pkt, size_t pktlen)
{
	if (len < PFLOG_HDRLEN || len - PFLOG_HDRLEN < pktlen)
		return 0;
	if (pflog_hdr_build(buf, len, info) != PFLOG_HDRLEN)
		return 0;
	if (pktlen != 0)
		memcpy(buf + PFLOG_HDRLEN, pkt, pktlen);
	return PFLOG_HDRLEN + pktlen;
}

enum pflog_err
pflog_hdr_parse(const uint8_t *buf, size_t len, struct pflog_info *out)
{
	size_t hdrlen;
	uint8_t length;

	if (len < 1)
		return PFLOG_ERR_SHORT;
	length = buf[HOFF(length)];
	if (length < PFLOG_HDRLEN_MIN || length > PFLOG_HDRLEN)
		return PFLOG_ERR_BADLEN;
	hdrlen = ((size_t)length + 3) & ~(size_t)3;
	if (len < hdrlen)
		return PFLOG_ERR_SHORT;

	memset(out, 0, sizeof(*out));
	out->length = length;
	out->hdrlen = hdrlen;
	out->af = buf[HOFF(af)];
	out->action = buf[HOFF(action)];
	out->reason = buf[HOFF(reason)];
	memcpy(out->ifname, buf + HOFF(ifname), PFLOG_IFNAMSIZ);
	memcpy(out->ruleset, buf + HOFF(ruleset), PFLOG_RULESET_NAME_SIZE);
	out->rulenr = proto_rd32(buf + HOFF(rulenr));
	out->subrulenr = proto_rd32(buf + HOFF(subrulenr));
	out->uid = proto_rd32(buf + HOFF(uid));
	out->pid = proto_rd32(buf + HOFF(pid));
	out->rule_uid = proto_rd32(buf + HOFF(rule_uid));
	out->rule_pid = proto_rd32(buf + HOFF(rule_pid));
	out->dir = buf[HOFF(dir)];
	if (length == PFLOG_HDRLEN) {
		out->rewritten = buf[HOFF(rewritten)];
		out->naf = buf[HOFF(naf)];
		memcpy(out->saddr, buf + HOFF(saddr), 16);
		memcpy(out->daddr, buf + HOFF(daddr), 16);
		out->sport = proto_rd16(buf + HOFF(sport));
		out->dport = proto_rd16(buf + HOFF(dport));
	}
	return PFLOG_OK;
}
