/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/carp: header layout checked byte by byte at the
 * offsets of OpenBSD ip_carp.h struct carp_header (never through our
 * struct carp_hdr), the checksum recomputed independently, every rejection,
 * HMAC known answers computed by the openssl CLI (carp_vectors.h, from
 * gen_carp_vectors.sh), and the Ethernet/IP headers of the frame builders at fixed offsets.
 *
 * Table-driven cases print "# <what>" before they are checked, so a failing
 * assertion is preceded by the case it belongs to.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/carp.h"
#include "proto/cksum.h"
#include "proto/proto.h"

#include "carp_vectors.h"

static void
note(const char *what)
{
	print_message("# %s\n", what);
}

/* RFC 1071 sum written out here, so the checksum is not only checked by the
 * function that made it: a valid header sums to 0xffff. */
static uint16_t
rfc1071_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static const struct carp_advert adv_default = {
	.version = CARP_VERSION,
	.type = CARP_TYPE_ADVERTISEMENT,
	.vhid = 1,
	.advskew = 0,
	.authlen = CARP_AUTHLEN,
	.demote = 0,
	.advbase = 1,
	.counter = 0x0102030405060708ull,
	.md = { 0xde, 0xad, 0xbe, 0xef },
};

static void
test_round_trip(void **state)
{
	static const struct {
		const char *what;
		struct carp_advert a;
	} cases[] = {
		{ "defaults", { 2, 1, 1, 0, 7, 0, 1, 0x0102030405060708ull, { 0 } } },
		{ "all ones", { 2, 1, 255, 255, 7, 255, 255, UINT64_MAX,
				{ [0 ... 19] = 0xff } } },
		{ "bow-out", { 2, 1, 17, CARP_BOW_OUT, 7, 3, CARP_BOW_OUT, 1ull << 63,
			       { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
				 18, 19, 20 } } },
		{ "zero counter, advbase 0", { 2, 1, 200, 100, 7, 32, 0, 0, { 0x5a } } },
		{ "type and authlen not checked", { 2, 0xf, 9, 1, 0, 0, 1, 42, { 0 } } },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		const struct carp_advert *a = &cases[i].a;
		struct carp_advert b;
		uint8_t buf[CARP_HDR_LEN];

		note(cases[i].what);
		assert_int_equal(carp_build(buf, sizeof(buf), a), CARP_HDR_LEN);
		assert_int_equal(carp_parse(buf, sizeof(buf), &b), 0);
		assert_int_equal(b.version, a->version);
		assert_int_equal(b.type, a->type);
		assert_int_equal(b.vhid, a->vhid);
		assert_int_equal(b.advskew, a->advskew);
		assert_int_equal(b.authlen, a->authlen);
		assert_int_equal(b.demote, a->demote);
		assert_int_equal(b.advbase, a->advbase);
		assert_true(b.counter == a->counter);
		assert_memory_equal(b.md, a->md, CARP_MD_LEN);
	}
}

/* Every byte where OpenBSD netinet/ip_carp.h struct carp_header puts it. */
static void
test_field_offsets(void **state)
{
	struct carp_advert a = {
		.version = 2, .type = 1, .vhid = 0xa1, .advskew = 0xb2, .authlen = 7,
		.demote = 0xc3, .advbase = 0xd4, .counter = 0x1122334455667788ull,
	};
	uint8_t buf[CARP_HDR_LEN + 4];
	static const uint8_t counter[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

	(void)state;
	for (int i = 0; i < CARP_MD_LEN; i++)
		a.md[i] = (uint8_t)(0xe0 + i);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(carp_build(buf, sizeof(buf), &a), CARP_HDR_LEN);
	assert_int_equal(buf[0], 0x21);
	assert_int_equal(buf[1], 0xa1);
	assert_int_equal(buf[2], 0xb2);
	assert_int_equal(buf[3], 0x07);
	assert_int_equal(buf[4], 0xc3);
	assert_int_equal(buf[5], 0xd4);
	assert_memory_equal(buf + 8, counter, 8);
	for (int i = 0; i < CARP_MD_LEN; i++)
		assert_int_equal(buf[16 + i], 0xe0 + i);
	/* Nothing written past the header. */
	for (size_t i = CARP_HDR_LEN; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	/* The struct agrees with the byte offsets. */
	assert_int_equal(offsetof(struct carp_hdr, carp_vhid), 1);
	assert_int_equal(offsetof(struct carp_hdr, carp_advskew), 2);
	assert_int_equal(offsetof(struct carp_hdr, carp_authlen), 3);
	assert_int_equal(offsetof(struct carp_hdr, carp_demote), 4);
	assert_int_equal(offsetof(struct carp_hdr, carp_advbase), 5);
	assert_int_equal(offsetof(struct carp_hdr, carp_cksum), 6);
	assert_int_equal(offsetof(struct carp_hdr, carp_counter), 8);
	assert_int_equal(offsetof(struct carp_hdr, carp_md), 16);
}

static void
test_checksum(void **state)
{
	uint8_t buf[CARP_HDR_LEN], zeroed[CARP_HDR_LEN];
	struct carp_advert out;

	(void)state;
	assert_int_equal(carp_build(buf, sizeof(buf), &adv_default), CARP_HDR_LEN);
	/* Valid over exactly 36 bytes, with no pseudo-header. */
	assert_int_equal(proto_cksum(buf, CARP_HDR_LEN), 0);
	assert_int_equal(rfc1071_sum(buf, CARP_HDR_LEN), 0xffff);
	/* The stored value is the complement of the sum with the field zeroed. */
	memcpy(zeroed, buf, sizeof(buf));
	zeroed[6] = zeroed[7] = 0;
	assert_int_equal(proto_rd16(buf + 6), (uint16_t)~rfc1071_sum(zeroed, CARP_HDR_LEN));

	/* Any single flipped bit, checksum bytes included, is rejected. */
	for (int bit = 0; bit < CARP_HDR_LEN * 8; bit++) {
		uint8_t bad[CARP_HDR_LEN];

		memcpy(bad, buf, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(carp_parse(bad, sizeof(bad), &out), CARP_ERR_BAD_CKSUM);
	}
	/* And so is a zero checksum field. */
	zeroed[6] = zeroed[7] = 0;
	assert_int_equal(carp_parse(zeroed, sizeof(zeroed), &out), CARP_ERR_BAD_CKSUM);
}

static void
test_short(void **state)
{
	uint8_t buf[CARP_HDR_LEN];
	struct carp_advert out, sentinel;

	(void)state;
	assert_int_equal(carp_build(buf, sizeof(buf), &adv_default), CARP_HDR_LEN);
	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (size_t len = 0; len < CARP_HDR_LEN; len++) {
		memcpy(&out, &sentinel, sizeof(out));
		assert_int_equal(carp_parse(buf, len, &out), CARP_ERR_SHORT);
		/* Nothing is written on error. */
		assert_memory_equal(&out, &sentinel, sizeof(out));
	}
	assert_int_equal(carp_parse(NULL, 0, &out), CARP_ERR_SHORT);
}

/* OpenBSD checksums exactly 36 bytes; what follows is ignored. */
static void
test_trailing_bytes(void **state)
{
	uint8_t buf[CARP_HDR_LEN + 64];
	struct carp_advert out;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(carp_build(buf, sizeof(buf), &adv_default), CARP_HDR_LEN);
	for (size_t len = CARP_HDR_LEN; len <= sizeof(buf); len++) {
		assert_int_equal(carp_parse(buf, len, &out), 0);
		assert_true(out.counter == adv_default.counter);
	}
	buf[CARP_HDR_LEN] ^= 0xff;
	assert_int_equal(carp_parse(buf, sizeof(buf), &out), 0);
}

static void
test_version(void **state)
{
	static const struct {
		const char *what;
		uint8_t version, type;
		int want;
	} cases[] = {
		{ "version 2 type 1", 2, 1, 0 },
		{ "version 2 type 0 (OpenBSD does not check the type)", 2, 0, 0 },
		{ "version 2 type 2", 2, 2, 0 },
		{ "version 0", 0, 1, CARP_ERR_BAD_VERSION },
		{ "version 1", 1, 1, CARP_ERR_BAD_VERSION },
		{ "version 3", 3, 1, CARP_ERR_BAD_VERSION },
		{ "version 15", 15, 1, CARP_ERR_BAD_VERSION },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		struct carp_advert a = adv_default, out;
		uint8_t buf[CARP_HDR_LEN];

		note(cases[i].what);
		a.version = cases[i].version;
		a.type = cases[i].type;
		assert_int_equal(carp_build(buf, sizeof(buf), &a), CARP_HDR_LEN);
		/* The checksum is valid, so only the version can be wrong. */
		assert_int_equal(proto_cksum(buf, sizeof(buf)), 0);
		assert_int_equal(buf[0], cases[i].version << 4 | cases[i].type);
		assert_int_equal(carp_parse(buf, sizeof(buf), &out), cases[i].want);
	}
}

static void
test_build_rejects(void **state)
{
	struct carp_advert a = adv_default;
	uint8_t buf[CARP_HDR_LEN];

	(void)state;
	assert_int_equal(carp_build(buf, CARP_HDR_LEN - 1, &a), 0);
	a.version = 16;
	assert_int_equal(carp_build(buf, sizeof(buf), &a), 0);
	a.version = 2;
	a.type = 16;
	assert_int_equal(carp_build(buf, sizeof(buf), &a), 0);
}

static void
test_stats_names(void **state)
{
	/* struct carpstats order [OpenBSD ip_carp.h]. */
	static const char *const want[] = {
		"carps_ipackets", "carps_ipackets6", "carps_badif", "carps_badttl",
		"carps_hdrops", "carps_badsum", "carps_badver", "carps_badlen",
		"carps_badauth", "carps_badvhid", "carps_badaddrs", "carps_opackets",
		"carps_opackets6", "carps_onomem", "carps_ostates", "carps_preempt",
	};

	(void)state;
	assert_int_equal(CARP_STAT_MAX, PROTO_ARRAY_SIZE(want));
	for (unsigned int i = 0; i < CARP_STAT_MAX; i++)
		assert_string_equal(carp_stat_name(i), want[i]);
	assert_string_equal(carp_stat_name(CARP_STAT_MAX), "?");
}

static void
test_err_stats(void **state)
{
	/* The counter each rejection bumps [OpenBSD ip_carp.c]. */
	static const struct {
		int err;
		const char *stat;
	} want[] = {
		{ CARP_ERR_SHORT, "carps_badlen" },
		{ CARP_ERR_BAD_CKSUM, "carps_badsum" },
		{ CARP_ERR_BAD_VERSION, "carps_badver" },
		{ CARP_ERR_BAD_AUTH, "carps_badauth" },
		{ CARP_ERR_BAD_IF, "carps_badif" },
		{ CARP_ERR_BAD_TTL, "carps_badttl" },
		{ CARP_ERR_BAD_VHID, "carps_badvhid" },
		{ CARP_ERR_REPLAY, "carps_badauth" },
	};

	(void)state;
	assert_int_equal(CARP_ERR_MAX - 1, PROTO_ARRAY_SIZE(want));
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(want); i++) {
		note(carp_err_name(want[i].err));
		assert_string_equal(carp_stat_name(carp_err_stat(want[i].err)), want[i].stat);
		assert_string_not_equal(carp_err_name(want[i].err), "?");
	}
	assert_string_equal(carp_err_name(CARP_OK), "ok");
	assert_int_equal(carp_err_stat(CARP_OK), CARP_STAT_MAX);
	assert_string_equal(carp_err_name(CARP_ERR_MAX), "?");
	assert_int_equal(carp_err_stat(CARP_ERR_MAX), CARP_STAT_MAX);
}

static void
kat_init(struct carp_hmac *h, const struct carp_kat *k)
{
	assert_int_equal(carp_hmac_init(h, (const uint8_t *)k->key, strlen(k->key), k->vhid,
					k->n4 ? k->v4 : NULL, k->n4, k->n6 ? k->v6 : NULL,
					k->n6), 0);
}

static void
test_hmac_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(carp_kats); i++) {
		const struct carp_kat *k = &carp_kats[i];
		struct carp_hmac h;
		uint8_t md[CARP_MD_LEN];

		note(k->what);
		kat_init(&h, k);
		assert_int_equal(carp_hmac_compute(&h, CARP_HMAC_ORIG, k->counter, md), 0);
		assert_memory_equal(md, k->md_orig, CARP_MD_LEN);
		assert_int_equal(carp_hmac_compute(&h, CARP_HMAC_NOV6LL, k->counter, md), 0);
		assert_memory_equal(md, k->md_nov6ll, CARP_MD_LEN);
		assert_int_equal(carp_hmac_verify(&h, k->counter, k->md_orig), 0);
		assert_int_equal(carp_hmac_verify(&h, k->counter, k->md_nov6ll), 0);
	}
}

/* ucarp hashes version, type, vhid, its one address and the counter. */
static void
test_hmac_ucarp(void **state)
{
	const struct carp_kat *k = &carp_kats[0];
	struct carp_hmac h;
	uint8_t md[CARP_MD_LEN], msg[3 + 4 + 8], md2[EVP_MAX_MD_SIZE];
	unsigned int md2len = 0;

	(void)state;
	assert_int_equal(k->n4, 1);
	assert_int_equal(k->n6, 0);
	kat_init(&h, k);
	assert_int_equal(carp_hmac_compute(&h, CARP_HMAC_NOV6LL, k->counter, md), 0);
	assert_memory_equal(md, carp_kat_ucarp_md, CARP_MD_LEN);

	/* The same message assembled here in ucarp's order, unpadded key. */
	msg[0] = 2;
	msg[1] = 1;
	msg[2] = k->vhid;
	memcpy(msg + 3, k->v4[0], 4);
	memcpy(msg + 7, k->counter, 8);
	assert_non_null(HMAC(EVP_sha1(), k->key, (int)strlen(k->key), msg, sizeof(msg), md2,
			     &md2len));
	assert_int_equal(md2len, CARP_MD_LEN);
	assert_memory_equal(md, md2, CARP_MD_LEN);
}

static void
test_hmac_link_local(void **state)
{
	const struct carp_kat *k = &carp_kats[3];
	struct carp_hmac h;
	struct carp_advert a = adv_default;

	(void)state;
	assert_string_equal(k->what, "IPv6 with link-local addresses");
	/* The two variants differ only because of the link-local addresses. */
	assert_memory_not_equal(k->md_orig, k->md_nov6ll, CARP_MD_LEN);
	kat_init(&h, k);
	assert_int_equal(carp_hmac_verify(&h, k->counter, k->md_orig), 0);
	assert_int_equal(carp_hmac_verify(&h, k->counter, k->md_nov6ll), 0);

	/* Sending uses NOV6LL. */
	a.counter = proto_rd64(k->counter);
	assert_int_equal(carp_advert_sign(&h, &a), 0);
	assert_memory_equal(a.md, k->md_nov6ll, CARP_MD_LEN);
	assert_int_equal(carp_advert_verify(&h, &a), 0);
	a.counter ^= 1;
	assert_int_equal(carp_advert_verify(&h, &a), CARP_ERR_BAD_AUTH);
}

static void
test_hmac_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(carp_kats); i++) {
		const struct carp_kat *k = &carp_kats[i];
		struct carp_hmac h, other;
		uint8_t md[CARP_MD_LEN], counter[8], key[CARP_KEY_MAX];
		size_t keylen = strlen(k->key);

		note(k->what);
		kat_init(&h, k);
		/* Every flipped md bit, in either variant. */
		for (int bit = 0; bit < CARP_MD_LEN * 8; bit++) {
			memcpy(md, k->md_orig, sizeof(md));
			md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(carp_hmac_verify(&h, k->counter, md), CARP_ERR_BAD_AUTH);
			memcpy(md, k->md_nov6ll, sizeof(md));
			md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(carp_hmac_verify(&h, k->counter, md), CARP_ERR_BAD_AUTH);
		}
		/* Another counter. */
		memcpy(counter, k->counter, sizeof(counter));
		counter[7] ^= 0x01;
		assert_int_equal(carp_hmac_verify(&h, counter, k->md_nov6ll), CARP_ERR_BAD_AUTH);
		/* A wrong key: last byte changed, or one byte appended. */
		memcpy(key, k->key, keylen);
		if (keylen > 0) {
			key[keylen - 1] ^= 0x20;
			assert_int_equal(carp_hmac_init(&other, key, keylen, k->vhid,
							k->n4 ? k->v4 : NULL, k->n4,
							k->n6 ? k->v6 : NULL, k->n6), 0);
			assert_int_equal(carp_hmac_verify(&other, k->counter, k->md_nov6ll),
					 CARP_ERR_BAD_AUTH);
			key[keylen - 1] ^= 0x20;
		}
		if (keylen < CARP_KEY_MAX) {
			key[keylen] = 'x';
			assert_int_equal(carp_hmac_init(&other, key, keylen + 1, k->vhid,
							k->n4 ? k->v4 : NULL, k->n4,
							k->n6 ? k->v6 : NULL, k->n6), 0);
			assert_int_equal(carp_hmac_verify(&other, k->counter, k->md_nov6ll),
					 CARP_ERR_BAD_AUTH);
		}
		/* Another vhid. */
		assert_int_equal(carp_hmac_init(&other, (const uint8_t *)k->key, keylen,
						(uint8_t)(k->vhid ^ 1), k->n4 ? k->v4 : NULL, k->n4,
						k->n6 ? k->v6 : NULL, k->n6), 0);
		assert_int_equal(carp_hmac_verify(&other, k->counter, k->md_nov6ll),
				 CARP_ERR_BAD_AUTH);
	}
}

static void
test_hmac_key_len(void **state)
{
	static const uint8_t v4[1][4] = { { 198, 18, 1, 1 } };
	static const uint8_t zero20[CARP_KEY_LEN];
	uint8_t key[CARP_KEY_LEN + 1], md[CARP_MD_LEN];
	static const uint8_t counter[8] = { 1 };
	struct carp_hmac h, sentinel, h0;

	(void)state;
	memset(key, 'k', sizeof(key));
	assert_int_equal(carp_hmac_init(&h, key, CARP_KEY_MAX, 1, v4, 1, NULL, 0), 0);
	memset(&sentinel, 0x5a, sizeof(sentinel));
	memcpy(&h, &sentinel, sizeof(h));
	assert_int_equal(carp_hmac_init(&h, key, CARP_KEY_LEN, 1, v4, 1, NULL, 0), -EINVAL);
	assert_int_equal(carp_hmac_init(&h, key, CARP_KEY_LEN + 1, 1, v4, 1, NULL, 0), -EINVAL);
	/* Validated before anything is written. */
	assert_memory_equal(&h, &sentinel, sizeof(h));

	/* An empty key (NULL allowed) is 20 zero bytes, as on a fresh OpenBSD
	 * carp interface; checked against HMAC() with the zero key. */
	assert_int_equal(carp_hmac_init(&h0, NULL, 0, 1, v4, 1, NULL, 0), 0);
	assert_int_equal(carp_hmac_compute(&h0, CARP_HMAC_NOV6LL, counter, md), 0);
	{
		uint8_t msg[3 + 4 + 8] = { 2, 1, 1, 198, 18, 1, 1 }, want[EVP_MAX_MD_SIZE];
		unsigned int wl = 0;

		memcpy(msg + 7, counter, 8);
		assert_non_null(HMAC(EVP_sha1(), zero20, sizeof(zero20), msg, sizeof(msg), want,
				     &wl));
		assert_memory_equal(md, want, CARP_MD_LEN);
	}
}

static void
test_hmac_limits(void **state)
{
	uint8_t v4[CARP_HMAC_MAX4 + 1][4], v6[CARP_HMAC_MAX6 + 1][16], md[CARP_MD_LEN];
	static const uint8_t counter[8];
	struct carp_hmac h;

	(void)state;
	memset(v4, 0, sizeof(v4));
	memset(v6, 0, sizeof(v6));
	for (int i = 0; i <= CARP_HMAC_MAX4; i++) {
		v4[i][0] = 10;
		v4[i][3] = (uint8_t)i;
	}
	for (int i = 0; i <= CARP_HMAC_MAX6; i++) {
		v6[i][0] = 0x20;
		v6[i][15] = (uint8_t)i;
	}
	assert_int_equal(carp_hmac_init(&h, NULL, 0, 1, (const uint8_t (*)[4])v4,
					CARP_HMAC_MAX4, (const uint8_t (*)[16])v6,
					CARP_HMAC_MAX6), 0);
	assert_int_equal(h.ch_len[CARP_HMAC_ORIG], CARP_HMAC_PREFIX_MAX);
	assert_int_equal(carp_hmac_compute(&h, CARP_HMAC_ORIG, counter, md), 0);
	assert_int_equal(carp_hmac_init(&h, NULL, 0, 1, (const uint8_t (*)[4])v4,
					CARP_HMAC_MAX4 + 1, NULL, 0), -E2BIG);
	assert_int_equal(carp_hmac_init(&h, NULL, 0, 1, NULL, 0, (const uint8_t (*)[16])v6,
					CARP_HMAC_MAX6 + 1), -E2BIG);
	assert_int_equal(carp_hmac_init(&h, NULL, 0, 1, NULL, 1, NULL, 0), -EINVAL);
	assert_int_equal(carp_hmac_init(&h, NULL, 0, 1, NULL, 0, NULL, 1), -EINVAL);
	assert_int_equal(carp_hmac_init(&h, NULL, 1, 1, NULL, 0, NULL, 0), -EINVAL);

	/* Cleared: nothing of the key or the addresses is left. */
	carp_hmac_clear(&h);
	for (size_t i = 0; i < sizeof(h); i++)
		assert_int_equal(((const uint8_t *)&h)[i], 0);

	/* An unknown variant fails and leaves no usable md. */
	memset(md, 0xaa, sizeof(md));
	assert_int_equal(carp_hmac_compute(&h, CARP_HMAC_NVARIANT, counter, md), -EINVAL);
	for (int i = 0; i < CARP_MD_LEN; i++)
		assert_int_equal(md[i], 0);
	assert_int_equal(carp_hmac_compute(&h, -1, counter, md), -EINVAL);
}

/* Same set of addresses in any order, duplicated or not, hashes the same;
 * 0.0.0.0, 255.255.255.255, :: and all-ones IPv6 are never hashed (the
 * bounds of OpenBSD's selection loop). */
static void
test_hmac_order(void **state)
{
	static const uint8_t a4[3][4] = { { 198, 18, 1, 1 }, { 10, 1, 1, 1 }, { 198, 18, 0, 9 } };
	static const uint8_t b4[6][4] = {
		{ 198, 18, 0, 9 }, { 0, 0, 0, 0 }, { 198, 18, 1, 1 }, { 10, 1, 1, 1 },
		{ 255, 255, 255, 255 }, { 198, 18, 1, 1 },
	};
	static const uint8_t a6[2][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	};
	static const uint8_t b6[4][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0 },
		{ [0 ... 15] = 0xff }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
	};
	static const uint8_t counter[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	struct carp_hmac ha, hb;
	uint8_t mda[CARP_MD_LEN], mdb[CARP_MD_LEN];

	(void)state;
	assert_int_equal(carp_hmac_init(&ha, (const uint8_t *)"pw", 2, 5, a4, 3, a6, 2), 0);
	assert_int_equal(carp_hmac_init(&hb, (const uint8_t *)"pw", 2, 5, b4, 6, b6, 4), 0);
	for (int v = 0; v < CARP_HMAC_NVARIANT; v++) {
		assert_int_equal(carp_hmac_compute(&ha, v, counter, mda), 0);
		assert_int_equal(carp_hmac_compute(&hb, v, counter, mdb), 0);
		assert_memory_equal(mda, mdb, CARP_MD_LEN);
	}
	/* Without link-local addresses both variants are the same. */
	assert_int_equal(carp_hmac_compute(&ha, CARP_HMAC_ORIG, counter, mda), 0);
	assert_int_equal(carp_hmac_compute(&ha, CARP_HMAC_NOV6LL, counter, mdb), 0);
	assert_memory_equal(mda, mdb, CARP_MD_LEN);
	/* A different set does not. */
	assert_int_equal(carp_hmac_init(&hb, (const uint8_t *)"pw", 2, 5, a4, 2, a6, 2), 0);
	assert_int_equal(carp_hmac_compute(&hb, CARP_HMAC_ORIG, counter, mdb), 0);
	assert_memory_not_equal(mda, mdb, CARP_MD_LEN);
}

static void
test_vmac(void **state)
{
	static const uint8_t want[6] = { 0x00, 0x00, 0x5e, 0x00, 0x01, 0xc8 };
	static const uint8_t g4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12 };
	static const uint8_t g6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x12 };
	static const uint8_t ip4[4] = { 224, 0, 0, 18 };
	static const uint8_t ip6[16] = { 0xff, 0x02, [15] = 0x12 };
	uint8_t mac[6];

	(void)state;
	carp_vmac(200, mac);
	assert_memory_equal(mac, want, 6);
	assert_memory_equal(carp_group4_mac, g4, 6);
	assert_memory_equal(carp_group6_mac, g6, 6);
	assert_memory_equal(carp_group4, ip4, 4);
	assert_memory_equal(carp_group6, ip6, 16);
	assert_int_equal(proto_rd32(carp_group4), CARP_GROUP4);
}

static void
test_frame4(void **state)
{
	static const uint8_t src_ip[4] = { 198, 18, 1, 2 };
	static const uint8_t peer_ip[4] = { 198, 18, 1, 3 };
	static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 };
	static const uint8_t own_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t grp_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12 };
	static const uint8_t vmac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x01, 0x07 };
	static const uint8_t other_grp[4] = { 239, 129, 2, 3 };
	static const uint8_t other_mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	static const struct {
		const char *what;
		const uint8_t *dst_mac, *src_mac, *dst_ip;
		const uint8_t *want_dst_mac, *want_src_mac, *want_dst_ip;
	} cases[] = {
		{ "group, virtual MAC", NULL, NULL, NULL, grp_mac, vmac, carp_group4 },
		{ "unicast peer", peer_mac, NULL, peer_ip, peer_mac, vmac, peer_ip },
		{ "given source MAC", NULL, own_mac, NULL, grp_mac, own_mac, carp_group4 },
		{ "other group", NULL, NULL, other_grp, other_mac, vmac, other_grp },
	};
	struct carp_advert a = adv_default, out;

	(void)state;
	a.vhid = 7;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		uint8_t f[CARP_FRAME4_LEN + 8];
		const uint8_t *ip = f + 14;

		note(cases[i].what);
		memset(f, 0xee, sizeof(f));
		assert_int_equal(carp_build_frame4(f, sizeof(f), cases[i].dst_mac,
						   cases[i].src_mac, src_ip, cases[i].dst_ip,
						   0xbeef, &a), 70);
		assert_memory_equal(f, cases[i].want_dst_mac, 6);
		assert_memory_equal(f + 6, cases[i].want_src_mac, 6);
		assert_int_equal(f[12], 0x08);
		assert_int_equal(f[13], 0x00);
		assert_int_equal(ip[0], 0x45);			/* version 4, IHL 5 */
		assert_int_equal(ip[1], 0x10);			/* IPTOS_LOWDELAY */
		assert_int_equal(proto_rd16(ip + 2), 56);	/* total length */
		assert_int_equal(proto_rd16(ip + 4), 0xbeef);	/* id */
		assert_int_equal(proto_rd16(ip + 6), 0x4000);	/* DF, offset 0 */
		assert_int_equal(ip[8], 255);			/* TTL */
		assert_int_equal(ip[9], 112);			/* protocol */
		assert_int_equal(rfc1071_sum(ip, 20), 0xffff);	/* header checksum */
		assert_memory_equal(ip + 12, src_ip, 4);
		assert_memory_equal(ip + 16, cases[i].want_dst_ip, 4);
		assert_int_equal(rfc1071_sum(f + 34, 36), 0xffff);
		assert_int_equal(carp_parse(f + 34, 36, &out), 0);
		assert_int_equal(out.vhid, 7);
		assert_true(out.counter == a.counter);
		for (size_t j = CARP_FRAME4_LEN; j < sizeof(f); j++)
			assert_int_equal(f[j], 0xee);
	}
	{
		uint8_t f[CARP_FRAME4_LEN];

		note("rejects");
		assert_int_equal(carp_build_frame4(f, sizeof(f) - 1, NULL, NULL, src_ip, NULL, 0,
						   &a), 0);
		/* A unicast destination needs a MAC. */
		assert_int_equal(carp_build_frame4(f, sizeof(f), NULL, NULL, src_ip, peer_ip, 0,
						   &a), 0);
		assert_int_equal(carp_build_frame4(f, sizeof(f), NULL, NULL, NULL, NULL, 0, &a),
				 0);
		a.version = 16;
		assert_int_equal(carp_build_frame4(f, sizeof(f), NULL, NULL, src_ip, NULL, 0,
						   &a), 0);
	}
}

static void
test_frame6(void **state)
{
	static const uint8_t src_ip[16] = { 0xfe, 0x80, [8] = 0x02, [15] = 0x02 };
	static const uint8_t grp_mac[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x12 };
	static const uint8_t vmac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x01, 0xfe };
	static const uint8_t grp[16] = { 0xff, 0x02, [15] = 0x12 };
	static const uint8_t uni[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x03 };
	static const uint8_t other_grp[16] = { 0xff, 0x05, [12] = 0xaa, 0xbb, 0xcc, 0xdd };
	static const uint8_t other_mac[6] = { 0x33, 0x33, 0xaa, 0xbb, 0xcc, 0xdd };
	struct carp_advert a = adv_default, out;
	uint8_t f[CARP_FRAME6_LEN + 8];
	const uint8_t *ip6 = f + 14;

	(void)state;
	a.vhid = 0xfe;
	a.demote = 9;
	memset(f, 0xee, sizeof(f));
	assert_int_equal(carp_build_frame6(f, sizeof(f), NULL, NULL, src_ip, NULL, &a), 90);
	assert_memory_equal(f, grp_mac, 6);
	assert_memory_equal(f + 6, vmac, 6);
	assert_int_equal(f[12], 0x86);
	assert_int_equal(f[13], 0xdd);
	assert_int_equal(ip6[0], 0x60);			/* version 6, class 0 */
	assert_int_equal(ip6[1], 0);
	assert_int_equal(ip6[2], 0);
	assert_int_equal(ip6[3], 0);
	assert_int_equal(proto_rd16(ip6 + 4), 36);	/* payload length */
	assert_int_equal(ip6[6], 112);			/* next header */
	assert_int_equal(ip6[7], 255);			/* hop limit */
	assert_memory_equal(ip6 + 8, src_ip, 16);
	assert_memory_equal(ip6 + 24, grp, 16);
	/* No pseudo-header over IPv6 either. */
	assert_int_equal(rfc1071_sum(f + 54, 36), 0xffff);
	assert_int_equal(carp_parse(f + 54, 36, &out), 0);
	assert_int_equal(out.vhid, 0xfe);
	assert_int_equal(out.demote, 9);
	for (size_t j = CARP_FRAME6_LEN; j < sizeof(f); j++)
		assert_int_equal(f[j], 0xee);

	assert_int_equal(carp_build_frame6(f, sizeof(f), NULL, NULL, src_ip, other_grp, &a), 90);
	assert_memory_equal(f, other_mac, 6);
	assert_memory_equal(ip6 + 24, other_grp, 16);
	assert_int_equal(carp_build_frame6(f, sizeof(f), vmac, NULL, src_ip, uni, &a), 90);
	assert_memory_equal(f, vmac, 6);
	assert_memory_equal(ip6 + 24, uni, 16);

	assert_int_equal(carp_build_frame6(f, CARP_FRAME6_LEN - 1, NULL, NULL, src_ip, NULL, &a),
			 0);
	assert_int_equal(carp_build_frame6(f, sizeof(f), NULL, NULL, src_ip, uni, &a), 0);
	assert_int_equal(carp_build_frame6(f, sizeof(f), NULL, NULL, NULL, NULL, &a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_field_offsets),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_build_rejects),
		cmocka_unit_test(test_stats_names),
		cmocka_unit_test(test_err_stats),
		cmocka_unit_test(test_hmac_kat),
		cmocka_unit_test(test_hmac_ucarp),
		cmocka_unit_test(test_hmac_link_local),
		cmocka_unit_test(test_hmac_rejects),
		cmocka_unit_test(test_hmac_key_len),
		cmocka_unit_test(test_hmac_limits),
		cmocka_unit_test(test_hmac_order),
		cmocka_unit_test(test_vmac),
		cmocka_unit_test(test_frame4),
		cmocka_unit_test(test_frame6),
	};

	return cmocka_run_group_tests_name("carp", tests, NULL, NULL);
}
