/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: libFuzzer target for proto/carp.
 *
 * The input is an advert (carp_parse() sees all of it); the bytes after
 * the first 36 also configure an HMAC context: [keylen] [n4] [n6] key...
 * v4... v6..., truncated to what is there.  Invariants, each an abort():
 *  - parse returns 0 or a known carp_err, SHORT exactly when len < 36;
 *  - an accepted advert has version 2, fields equal to the raw bytes, and
 *    rebuilds to the same 36 bytes (the checksum may change between 0x0000
 *    and 0xffff, the two encodings of one's-complement zero);
 *  - carp_hmac_init accepts exactly keylen <= 19, n4 <= 32, n6 <= 32;
 *  - a context built from the addresses in reverse order, each given twice,
 *    computes the same HMACs (sorting and deduplication);
 *  - the NOV6LL HMAC of the advert's counter verifies, and fails with any
 *    one bit of it flipped;
 *  - verify of the received md agrees with comparing it to both variants.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/carp.h"
#include "proto/cksum.h"
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_parse(const uint8_t *data, size_t size, const struct carp_advert *a, int err)
{
	uint8_t re[CARP_HDR_LEN];

	if (err < 0 || err >= CARP_ERR_MAX)
		abort();
	if ((size < CARP_HDR_LEN) != (err == CARP_ERR_SHORT))
		abort();
	if (err != CARP_OK && err != CARP_ERR_SHORT && err != CARP_ERR_BAD_CKSUM &&
	    err != CARP_ERR_BAD_VERSION)
		abort();
	if (err != CARP_OK)
		return;
	if (proto_cksum(data, CARP_HDR_LEN) != 0 || a->version != CARP_VERSION)
		abort();
	if (a->type != (data[0] & 0x0f) || a->vhid != data[1] || a->advskew != data[2] ||
	    a->authlen != data[3] || a->demote != data[4] || a->advbase != data[5] ||
	    a->counter != proto_rd64(data + 8) || memcmp(a->md, data + 16, CARP_MD_LEN) != 0)
		abort();
	if (carp_build(re, sizeof(re), a) != CARP_HDR_LEN)
		abort();
	if (memcmp(re, data, 6) != 0 || memcmp(re + 8, data + 8, CARP_HDR_LEN - 8) != 0)
		abort();
	if (memcmp(re + 6, data + 6, 2) != 0 && proto_rd16(re + 6) + proto_rd16(data + 6) != 0xffff)
		abort();
}

static void
check_hmac(const uint8_t *cfg, size_t n, const uint8_t *data, size_t size,
	   const struct carp_advert *a, int err)
{
	static uint8_t v4[2 * 64][4], v6[2 * 64][16];
	struct carp_hmac h, h2;
	uint8_t counter[CARP_COUNTER_LEN], md[CARP_MD_LEN], md2[CARP_MD_LEN];
	uint8_t orig[CARP_MD_LEN], nov6ll[CARP_MD_LEN];
	size_t keylen = 0, n4 = 0, n6 = 0, off = 0;
	const uint8_t *key = NULL;
	int rc, want;

	if (n >= 3) {
		keylen = cfg[0] % 24;	/* a few too long ones too */
		n4 = cfg[1] % 40;
		n6 = cfg[2] % 40;
		off = 3;
	}
	if (keylen > n - off)
		keylen = n - off;
	if (keylen > 0)
		key = cfg + off;
	off += keylen;
	if (n4 > (n - off) / 4)
		n4 = (n - off) / 4;
	if (n4 > 0)
		memcpy(v4, cfg + off, n4 * 4);
	off += n4 * 4;
	if (n6 > (n - off) / 16)
		n6 = (n - off) / 16;
	if (n6 > 0)
		memcpy(v6, cfg + off, n6 * 16);

	rc = carp_hmac_init(&h, key, keylen, size > 1 ? data[1] : 0,
			    (const uint8_t (*)[4])v4, (unsigned int)n4,
			    (const uint8_t (*)[16])v6, (unsigned int)n6);
	want = keylen > CARP_KEY_MAX ? -EINVAL :
	       (n4 > CARP_HMAC_MAX4 || n6 > CARP_HMAC_MAX6) ? -E2BIG : 0;
	if (rc != want)
		abort();
	if (rc != 0)
		return;
	if (h.ch_len[CARP_HMAC_ORIG] > CARP_HMAC_PREFIX_MAX ||
	    h.ch_len[CARP_HMAC_NOV6LL] > h.ch_len[CARP_HMAC_ORIG] ||
	    h.ch_len[CARP_HMAC_ORIG] > 3 + 4 * n4 + 16 * n6)
		abort();

	/* Reverse order, every address twice: same context. */
	for (size_t i = 0; i < n4; i++)
		memcpy(v4[n4 + i], v4[n4 - 1 - i], 4);
	for (size_t i = 0; i < n6; i++)
		memcpy(v6[n6 + i], v6[n6 - 1 - i], 16);

	if (err == CARP_OK)
		proto_wr64(counter, a->counter);
	else
		memset(counter, size > 0 ? data[0] : 0, sizeof(counter));
	if (carp_hmac_compute(&h, CARP_HMAC_ORIG, counter, orig) != 0 ||
	    carp_hmac_compute(&h, CARP_HMAC_NOV6LL, counter, nov6ll) != 0)
		abort();
	if (n4 <= CARP_HMAC_MAX4 / 2 && n6 <= CARP_HMAC_MAX6 / 2) {
		if (carp_hmac_init(&h2, key, keylen, size > 1 ? data[1] : 0,
				   (const uint8_t (*)[4])v4, (unsigned int)(2 * n4),
				   (const uint8_t (*)[16])v6, (unsigned int)(2 * n6)) != 0)
			abort();
		if (h2.ch_len[0] != h.ch_len[0] || h2.ch_len[1] != h.ch_len[1])
			abort();
		if (carp_hmac_compute(&h2, CARP_HMAC_ORIG, counter, md) != 0 ||
		    memcmp(md, orig, CARP_MD_LEN) != 0)
			abort();
		if (carp_hmac_compute(&h2, CARP_HMAC_NOV6LL, counter, md) != 0 ||
		    memcmp(md, nov6ll, CARP_MD_LEN) != 0)
			abort();
	}

	if (carp_hmac_verify(&h, counter, nov6ll) != 0 || carp_hmac_verify(&h, counter, orig) != 0)
		abort();
	memcpy(md2, nov6ll, sizeof(md2));
	if (size > 0)
		md2[data[size - 1] % CARP_MD_LEN] ^= (uint8_t)(1u << (data[0] % 8));
	else
		md2[0] ^= 1;
	if (memcmp(md2, orig, CARP_MD_LEN) != 0 &&
	    carp_hmac_verify(&h, counter, md2) != CARP_ERR_BAD_AUTH)
		abort();

	if (err == CARP_OK) {
		int match = memcmp(a->md, orig, CARP_MD_LEN) == 0 ||
			    memcmp(a->md, nov6ll, CARP_MD_LEN) == 0;

		if ((carp_advert_verify(&h, a) == 0) != match)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct carp_advert a;
	int err;

	memset(&a, 0, sizeof(a));
	err = carp_parse(data, size, &a);
	check_parse(data, size, &a, err);
	if (size > CARP_HDR_LEN)
		check_hmac(data + CARP_HDR_LEN, size - CARP_HDR_LEN, data, size, &a, err);
	else
		check_hmac(NULL, 0, data, size, &a, err);
	return 0;
}
