/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for proto/pflog: parse a record header; when it parses,
 * rebuild it and check the rebuilt bytes against the input field by field
 * (the builder always writes length 100, -1 ids and a zero pad, so those are
 * compared against the constants), parse the rebuilt header back, and build
 * a whole record with the input's payload.  Any mismatch calls abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rec[PFLOG_HDRLEN + 65536];
	struct pflog_info info, again;
	uint8_t hdr[PFLOG_HDRLEN];
	size_t cmp;

	if (pflog_hdr_parse(data, size, &info) != PFLOG_OK)
		return 0;
	if (info.hdrlen > size || info.hdrlen < info.length || info.hdrlen % 4 != 0 ||
	    info.length < PFLOG_HDRLEN_MIN || info.length > PFLOG_HDRLEN)
		abort();
	if (pflog_hdr_build(hdr, sizeof(hdr), &info) != PFLOG_HDRLEN)
		abort();
	if (hdr[0] != PFLOG_HDRLEN)
		abort();
	/* af .. subrulenr and dir are carried whatever the length. */
	if (memcmp(hdr + 1, data + 1, offsetof(struct pflog_hdr, uid) - 1) != 0 ||
	    hdr[offsetof(struct pflog_hdr, dir)] != data[offsetof(struct pflog_hdr, dir)])
		abort();
	for (size_t i = offsetof(struct pflog_hdr, uid); i < offsetof(struct pflog_hdr, dir); i++)
		if (hdr[i] != 0xff)
			abort();
	if (hdr[offsetof(struct pflog_hdr, pad)] != 0)
		abort();
	/* The OpenBSD tail (rewritten .. dport) only exists at length 100. */
	cmp = PFLOG_HDRLEN - offsetof(struct pflog_hdr, saddr);
	if (info.length == PFLOG_HDRLEN) {
		if (memcmp(hdr + offsetof(struct pflog_hdr, saddr),
			   data + offsetof(struct pflog_hdr, saddr), cmp) != 0 ||
		    hdr[offsetof(struct pflog_hdr, rewritten)] !=
		    data[offsetof(struct pflog_hdr, rewritten)] ||
		    hdr[offsetof(struct pflog_hdr, naf)] != data[offsetof(struct pflog_hdr, naf)])
			abort();
	} else {
		for (size_t i = offsetof(struct pflog_hdr, rewritten); i < PFLOG_HDRLEN; i++)
			if (hdr[i] != 0)
				abort();
	}
	if (pflog_hdr_parse(hdr, sizeof(hdr), &again) != PFLOG_OK || again.hdrlen != PFLOG_HDRLEN ||
	    again.rulenr != info.rulenr || again.subrulenr != info.subrulenr ||
	    again.sport != info.sport || again.dport != info.dport || again.af != info.af ||
	    memcmp(again.ifname, info.ifname, sizeof(info.ifname)) != 0 ||
	    memcmp(again.saddr, info.saddr, sizeof(info.saddr)) != 0)
		abort();
	if (size - info.hdrlen <= sizeof(rec) - PFLOG_HDRLEN) {
		size_t n = pflog_record_build(rec, sizeof(rec), &info, data + info.hdrlen,
					      size - info.hdrlen);

		if (n != PFLOG_HDRLEN + size - info.hdrlen ||
		    memcmp(rec + PFLOG_HDRLEN, data + info.hdrlen, size - info.hdrlen) != 0)
			abort();
	}
	return 0;
}
