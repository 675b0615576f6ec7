/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: CARP v2 wire format and HMAC.
 *
 * Parsing is a validation ladder in OpenBSD's order (length, checksum,
 * version) with one exit and a reason code; building writes every field
 * verbatim and the checksum last.  Neither keeps state.
 *
 * The HMAC is OpenBSD's [OpenBSD ip_carp.c carp_hmac_prepare_ctx,
 * carp_hmac_generate]: HMAC-SHA1 keyed with the 20-byte zero-padded key over
 * version, type, vhid, the sorted addresses and the counter.  OpenBSD keeps
 * a SHA-1 state after the address prefix and copies it per advert; the
 * low-level SHA1_* and HMAC_CTX_* interfaces that would allow the same are
 * deprecated in OpenSSL 3, whose EVP contexts cannot be copied without an
 * allocation either.  So carp_hmac_init() does the expensive, configuration-
 * dependent part once (sorting, deduplicating and serialising the addresses
 * into a message prefix per variant) and each advert is one HMAC() over
 * prefix + counter, at most CARP_HMAC_PREFIX_MAX + 8 bytes assembled on the
 * stack.  HMAC() allocates inside libcrypto; this module does not.
 */
#include "proto/carp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/cksum.h"
#include "proto/proto.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define CARP_IP4_TOS 0x10	/* IPTOS_LOWDELAY [OpenBSD ip_carp.c carp_send_ad] */
#define CARP_IP4_DF 0x4000

const uint8_t carp_group4[4] = { 224, 0, 0, 18 };
const uint8_t carp_group6[16] = { 0xff, 0x02, [15] = 0x12 };
const uint8_t carp_group4_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12 };
const uint8_t carp_group6_mac[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x12 };

void
carp_vmac(uint8_t vhid, uint8_t mac[6])
{
	mac[0] = 0x00;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = 0x00;
	mac[4] = 0x01;
	mac[5] = vhid;
}

PROTO_NAME_FN(carp_stat_name, unsigned int, CARP_STATS_LIST, CARP_STAT_MAX);

/* CARP_OK comes first, outside CARP_ERR_LIST. */
#define CARP_ERR_STAT(sym, stat, str) CARP_STAT_##stat,
PROTO_TABLE_FN(const char *, carp_err_name, unsigned int, CARP_ERR_MAX, "?",
	       "ok", CARP_ERR_LIST(PROTO_XCOL3));
PROTO_TABLE_FN(enum carp_stat, carp_err_stat, unsigned int, CARP_ERR_MAX, CARP_STAT_MAX,
	       CARP_STAT_MAX, CARP_ERR_LIST(CARP_ERR_STAT));
#undef CARP_ERR_STAT

int
carp_parse(const uint8_t *buf, size_t len, struct carp_advert *out)
{
	int err;

	/* [OpenBSD ip_carp.c carp_proto_input_if]: iplen + 36 <= packet. */
	if (len < CARP_HDR_LEN) {
		err = CARP_ERR_SHORT;
		goto drop;
	}
	/* Exactly the header: trailing bytes are not summed. */
	if (proto_cksum(buf, CARP_HDR_LEN) != 0) {
		err = CARP_ERR_BAD_CKSUM;
		goto drop;
	}
	/* Type and authlen are not checked by OpenBSD, FreeBSD or ucarp. */
	if (buf[0] >> 4 != CARP_VERSION) {
		err = CARP_ERR_BAD_VERSION;
		goto drop;
	}

	out->version = buf[0] >> 4;
	out->type = buf[0] & 0x0f;
	out->vhid = buf[1];
	out->advskew = buf[2];
	out->authlen = buf[3];
	out->demote = buf[4];
	out->advbase = buf[5];
	out->counter = proto_rd64(buf + 8);
	memcpy(out->md, buf + 16, CARP_MD_LEN);
	return 0;

drop:
	return err;
}

size_t
carp_build(uint8_t *buf, size_t len, const struct carp_advert *a)
{
	if (len < CARP_HDR_LEN || a->version > 0x0f || a->type > 0x0f)
		return 0;

	buf[0] = (uint8_t)(a->version << 4 | a->type);
	buf[1] = a->vhid;
	buf[2] = a->advskew;
	buf[3] = a->authlen;
	buf[4] = a->demote;
	buf[5] = a->advbase;
	proto_wr16(buf + 6, 0);
	proto_wr64(buf + 8, a->counter);
	memcpy(buf + 16, a->md, CARP_MD_LEN);
	/* Last, over the finished header [OpenBSD ip_carp.c carp_send_ad]. */
	proto_wr16(buf + 6, proto_cksum(buf, CARP_HDR_LEN));
	return CARP_HDR_LEN;
}

/*
 * KAME's IN6_IS_SCOPE_EMBED: link-local unicast (fe80::/10) and multicast
 * of interface-local (x1) or link-local (x2) scope.  The kernel keeps the
 * interface index in bytes 2-3 of these; OpenBSD zeroes them before hashing.
 */
static bool
carp_in6_scoped(const uint8_t a[16])
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	return a[0] == 0xff && ((a[1] & 0x0f) == 0x01 || (a[1] & 0x0f) == 0x02);
}

/*
 * Sort n entries of size sz ascending by memcmp (network-order bytes, so
 * IPv4 sorts as ntohl() would) and drop duplicates; returns the new count.
 * Insertion sort: n is at most 32 and this runs on configuration changes.
 */
static unsigned int
carp_sort_unique(uint8_t *v, unsigned int n, size_t sz)
{
	uint8_t tmp[16];
	unsigned int i, j, m;

	for (i = 1; i < n; i++) {
		memcpy(tmp, v + i * sz, sz);
		for (j = i; j > 0 && memcmp(v + (j - 1) * sz, tmp, sz) > 0; j--)
			memcpy(v + j * sz, v + (j - 1) * sz, sz);
		memcpy(v + j * sz, tmp, sz);
	}
	for (i = 0, m = 0; i < n; i++) {
		if (m > 0 && memcmp(v + (m - 1) * sz, v + i * sz, sz) == 0)
			continue;
		if (m != i)
			memcpy(v + m * sz, v + i * sz, sz);
		m++;
	}
	return m;
}

/*
 * OpenBSD picks addresses with "smallest address above the last one, below
 * all-ones", starting from all-zeros, so it never hashes those two values.
 */
static bool
carp_addr_hashable(const uint8_t *a, size_t sz)
{
	bool zero = true, ones = true;

	for (size_t i = 0; i < sz; i++) {
		zero = zero && a[i] == 0x00;
		ones = ones && a[i] == 0xff;
	}
	return !zero && !ones;
}

int
carp_hmac_init(struct carp_hmac *h, const uint8_t *key, size_t keylen, uint8_t vhid,
	       const uint8_t (*v4)[4], unsigned int n4, const uint8_t (*v6)[16],
	       unsigned int n6)
{
	uint8_t a4[CARP_HMAC_MAX4][4], a6[CARP_HMAC_MAX6][16];
	unsigned int i, v;

	if (keylen > CARP_KEY_MAX || (keylen > 0 && key == NULL) ||
	    (n4 > 0 && v4 == NULL) || (n6 > 0 && v6 == NULL))
		return -EINVAL;
	if (n4 > CARP_HMAC_MAX4 || n6 > CARP_HMAC_MAX6)
		return -E2BIG;

	if (n4 > 0)
		memcpy(a4, v4, n4 * sizeof(a4[0]));
	for (i = 0; i < n6; i++) {
		memcpy(a6[i], v6[i], sizeof(a6[i]));
		if (carp_in6_scoped(a6[i])) {
			a6[i][2] = 0;
			a6[i][3] = 0;
		}
	}
	n4 = carp_sort_unique(&a4[0][0], n4, sizeof(a4[0]));
	n6 = carp_sort_unique(&a6[0][0], n6, sizeof(a6[0]));

	/* commit */
	memset(h, 0, sizeof(*h));
	if (keylen > 0)
		memcpy(h->ch_key, key, keylen);
	for (v = 0; v < CARP_HMAC_NVARIANT; v++) {
		uint8_t *p = h->ch_msg[v];
		size_t n = 0;

		p[n++] = CARP_VERSION;
		p[n++] = CARP_TYPE_ADVERTISEMENT;
		p[n++] = vhid;
		for (i = 0; i < n4; i++) {
			if (!carp_addr_hashable(a4[i], sizeof(a4[i])))
				continue;
			memcpy(p + n, a4[i], sizeof(a4[i]));
			n += sizeof(a4[i]);
		}
		for (i = 0; i < n6; i++) {
			if (!carp_addr_hashable(a6[i], sizeof(a6[i])))
				continue;
			if (v == CARP_HMAC_NOV6LL && carp_in6_scoped(a6[i]))
				continue;
			memcpy(p + n, a6[i], sizeof(a6[i]));
			n += sizeof(a6[i]);
		}
		h->ch_len[v] = (uint16_t)n;
	}
	return 0;
}

void
carp_hmac_clear(struct carp_hmac *h)
{
	OPENSSL_cleanse(h, sizeof(*h));
}

int
carp_hmac_compute(const struct carp_hmac *h, int variant, const uint8_t counter[8],
		  uint8_t md[20])
{
	uint8_t msg[CARP_HMAC_PREFIX_MAX + CARP_COUNTER_LEN];
	unsigned int mdlen = 0;
	size_t n;

	if (variant < 0 || variant >= CARP_HMAC_NVARIANT ||
	    h->ch_len[variant] > CARP_HMAC_PREFIX_MAX) {
		memset(md, 0, CARP_MD_LEN);
		return -EINVAL;
	}
	n = h->ch_len[variant];
	memcpy(msg, h->ch_msg[variant], n);
	memcpy(msg + n, counter, CARP_COUNTER_LEN);
	if (HMAC(EVP_sha1(), h->ch_key, CARP_KEY_LEN, msg, n + CARP_COUNTER_LEN, md,
		 &mdlen) == NULL || mdlen != CARP_MD_LEN) {
		memset(md, 0, CARP_MD_LEN);
		return -ENOMEM;
	}
	return 0;
}

int
carp_hmac_verify(const struct carp_hmac *h, const uint8_t counter[8], const uint8_t md[20])
{
	uint8_t md2[CARP_MD_LEN];

	/* Either context is accepted [OpenBSD ip_carp.c carp_hmac_verify]. */
	for (int v = 0; v < CARP_HMAC_NVARIANT; v++) {
		if (carp_hmac_compute(h, v, counter, md2) != 0)
			continue;
		if (CRYPTO_memcmp(md, md2, CARP_MD_LEN) == 0)
			return 0;
	}
	return CARP_ERR_BAD_AUTH;
}

int
carp_advert_sign(const struct carp_hmac *h, struct carp_advert *a)
{
	uint8_t counter[CARP_COUNTER_LEN];

	proto_wr64(counter, a->counter);
	/* "for the time being, do not include the IPv6 linklayer addresses"
	 * [OpenBSD ip_carp.c carp_prepare_ad]. */
	return carp_hmac_compute(h, CARP_HMAC_NOV6LL, counter, a->md);
}

int
carp_advert_verify(const struct carp_hmac *h, const struct carp_advert *a)
{
	uint8_t counter[CARP_COUNTER_LEN];

	proto_wr64(counter, a->counter);
	return carp_hmac_verify(h, counter, a->md);
}

/*
 * What both families' frames share: the advert after an IP header of iplen
 * bytes, and the Ethernet header, from src_mac or else the vhid's virtual
 * MAC.  False if the advert cannot be built.
 */
static bool
carp_put_advert(uint8_t *buf, size_t iplen, const uint8_t dst_mac[6], const uint8_t *src_mac,
		uint16_t type, const struct carp_advert *a)
{
	uint8_t smac[6];

	if (src_mac == NULL) {
		carp_vmac(a->vhid, smac);
		src_mac = smac;
	}
	if (carp_build(buf + CARP_ETHER_LEN + iplen, CARP_HDR_LEN, a) == 0)
		return false;
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	proto_wr16(buf + 12, type);
	return true;
}

size_t
carp_build_frame4(uint8_t *buf, size_t len, const uint8_t dst_mac[6],
		  const uint8_t src_mac[6], const uint8_t src_ip[4],
		  const uint8_t dst_ip[4], uint16_t ip_id, const struct carp_advert *a)
{
	uint8_t *ip = buf + CARP_ETHER_LEN;
	uint8_t dmac[6];

	if (len < CARP_FRAME4_LEN || src_ip == NULL)
		return 0;
	if (dst_ip == NULL)
		dst_ip = carp_group4;
	if (dst_mac == NULL) {
		/* RFC 1112 6.4: 01:00:5e + the low 23 bits of the group. */
		if ((dst_ip[0] & 0xf0) != 0xe0)
			return 0;
		dmac[0] = 0x01;
		dmac[1] = 0x00;
		dmac[2] = 0x5e;
		dmac[3] = dst_ip[1] & 0x7f;
		dmac[4] = dst_ip[2];
		dmac[5] = dst_ip[3];
		dst_mac = dmac;
	}
	if (!carp_put_advert(buf, CARP_IP4_LEN, dst_mac, src_mac, ETHERTYPE_IPV4, a))
		return 0;
	ip[0] = 0x45;
	ip[1] = CARP_IP4_TOS;
	proto_wr16(ip + 2, CARP_IP4_LEN + CARP_HDR_LEN);
	proto_wr16(ip + 4, ip_id);
	proto_wr16(ip + 6, CARP_IP4_DF);
	ip[8] = CARP_DFLTTL;
	ip[9] = IPPROTO_CARP;
	proto_wr16(ip + 10, 0);
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	proto_wr16(ip + 10, proto_cksum(ip, CARP_IP4_LEN));
	return CARP_FRAME4_LEN;
}

size_t
carp_build_frame6(uint8_t *buf, size_t len, const uint8_t dst_mac[6],
		  const uint8_t src_mac[6], const uint8_t src_ip[16],
		  const uint8_t dst_ip[16], const struct carp_advert *a)
{
	uint8_t *ip6 = buf + CARP_ETHER_LEN;
	uint8_t dmac[6];

	if (len < CARP_FRAME6_LEN || src_ip == NULL)
		return 0;
	if (dst_ip == NULL)
		dst_ip = carp_group6;
	if (dst_mac == NULL) {
		/* RFC 2464 7: 33:33 + the last 32 bits of the group. */
		if (dst_ip[0] != 0xff)
			return 0;
		dmac[0] = 0x33;
		dmac[1] = 0x33;
		memcpy(dmac + 2, dst_ip + 12, 4);
		dst_mac = dmac;
	}
	if (!carp_put_advert(buf, CARP_IP6_LEN, dst_mac, src_mac, ETHERTYPE_IPV6, a))
		return 0;
	proto_wr32(ip6, 6u << 28);	/* version 6, traffic class 0, flow 0 */
	proto_wr16(ip6 + 4, CARP_HDR_LEN);
	ip6[6] = IPPROTO_CARP;
	ip6[7] = CARP_DFLTTL;
	memcpy(ip6 + 8, src_ip, 16);
	memcpy(ip6 + 24, dst_ip, 16);
	return CARP_FRAME6_LEN;
}
