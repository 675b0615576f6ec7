/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: authenticated pfsync, the wire part (pfsync_auth.h).
 *
 * The MAC input is the 8 address bytes followed by the packet up to the
 * mac field.  libcrypto's one-shot HMAC() takes one buffer and its
 * incremental interfaces allocate a context, so the input is assembled in
 * a per-thread buffer (a pfsync packet is at most 65535 bytes; the
 * engine's are at most the sync MTU): one memcpy of a packet, small beside
 * SHA-256 over the same bytes.  Nothing here allocates.
 */
#include "proto/pfsync_auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define PFSYNC_AUTH_MSG_MAX (8 + UINT16_MAX)

PROTO_TABLE_FN(const char *, pfsync_auth_err_str, enum pfsync_auth_err, PFSYNC_AUTH_ERR_MAX, "?",
	       "ok", PFSYNC_AUTH_ERR_LIST(PROTO_XNAME));

int
pfsync_auth_key_init(struct pfsync_auth_key *k, const uint8_t *key, size_t len)
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	if (len < PFSYNC_AUTH_KEY_MIN || len > PFSYNC_AUTH_KEY_MAX)
		return -EINVAL;
	if (SHA256(key, len, md) == NULL)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	memcpy(k->ak_key, key, len);
	k->ak_len = len;
	k->ak_id = proto_rd32(md);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

/* The MAC of buf[0, n) (n: up to the mac field) sent from src to dst. */
static int
pfsync_auth_mac(const struct pfsync_auth_key *k, const uint8_t *buf, size_t n,
		const uint8_t src[4], const uint8_t dst[4], uint8_t mac[PFSYNC_AUTH_MAC_LEN])
{
	static __thread uint8_t msg[PFSYNC_AUTH_MSG_MAX];
	unsigned int mlen = 0;

	if (n + 8 > sizeof(msg))
		return -1;
	memcpy(msg, src, 4);
	memcpy(msg + 4, dst, 4);
	memcpy(msg + 8, buf, n);
	if (HMAC(EVP_sha256(), k->ak_key, (int)k->ak_len, msg, n + 8, mac, &mlen) == NULL ||
	    mlen != PFSYNC_AUTH_MAC_LEN)
		return -1;
	return 0;
}

size_t
pfsync_auth_seal(const struct pfsync_auth_key *k, uint8_t *buf, size_t plen, size_t size,
		 const uint8_t src[4], const uint8_t dst[4], uint32_t sender, uint64_t seq)
{
	size_t tot = plen + PFSYNC_AUTH_LEN;
	uint8_t *t = buf + plen;

	if (plen < PFSYNC_HDRLEN || tot > size || tot > UINT16_MAX ||
	    buf[offsetof(struct pfsync_header, version)] != PFSYNC_VERSION ||
	    proto_rd16(buf + offsetof(struct pfsync_header, len)) != plen)
		return 0;
	buf[offsetof(struct pfsync_header, version)] = PFSYNC_AUTH_VERSION;
	proto_wr16(buf + offsetof(struct pfsync_header, len), (uint16_t)tot);
	proto_wr32(t + offsetof(struct pfsync_auth_trailer, keyid), k->ak_id);
	proto_wr32(t + offsetof(struct pfsync_auth_trailer, sender), sender);
	proto_wr64(t + offsetof(struct pfsync_auth_trailer, seq), seq);
	if (pfsync_auth_mac(k, buf, tot - PFSYNC_AUTH_MAC_LEN, src, dst,
			    t + offsetof(struct pfsync_auth_trailer, mac)) != 0)
		return 0;
	return tot;
}

enum pfsync_auth_err
pfsync_auth_open(const struct pfsync_auth_key *k, const uint8_t *buf, size_t len,
		 const uint8_t src[4], const uint8_t dst[4], struct pfsync_auth_info *info,
		 struct pfsync_iter *it)
{
	uint8_t mac[PFSYNC_AUTH_MAC_LEN];
	const uint8_t *t;
	size_t hlen;
	int diff;

	if (len < PFSYNC_HDRLEN)
		return PFSYNC_AUTH_ERR_SHORT;
	if (buf[offsetof(struct pfsync_header, version)] != PFSYNC_AUTH_VERSION)
		return PFSYNC_AUTH_ERR_NOTAUTH;
	/* Bytes past the header's len are ignored, as in v6 (pfsync_parse_hdr). */
	hlen = proto_rd16(buf + offsetof(struct pfsync_header, len));
	if (hlen > len || hlen < PFSYNC_HDRLEN + PFSYNC_AUTH_LEN)
		return len < PFSYNC_HDRLEN + PFSYNC_AUTH_LEN ? PFSYNC_AUTH_ERR_SHORT :
		       PFSYNC_AUTH_ERR_BADLEN;
	t = buf + hlen - PFSYNC_AUTH_LEN;
	info->keyid = proto_rd32(t + offsetof(struct pfsync_auth_trailer, keyid));
	info->sender = proto_rd32(t + offsetof(struct pfsync_auth_trailer, sender));
	info->seq = proto_rd64(t + offsetof(struct pfsync_auth_trailer, seq));
	if (info->keyid != k->ak_id)
		return PFSYNC_AUTH_ERR_KEYID;
	if (pfsync_auth_mac(k, buf, hlen - PFSYNC_AUTH_MAC_LEN, src, dst, mac) != 0)
		return PFSYNC_AUTH_ERR_MAC;
	diff = CRYPTO_memcmp(mac, t + offsetof(struct pfsync_auth_trailer, mac), sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (diff != 0)
		return PFSYNC_AUTH_ERR_MAC;
	/* The sections end where the trailer starts: the v6 iterator's view. */
	it->it_buf = buf;
	it->it_len = hlen - PFSYNC_AUTH_LEN;
	it->it_off = PFSYNC_HDRLEN;
	it->it_err = PFSYNC_OK;
	it->it_skipped = 0;
	return PFSYNC_AUTH_OK;
}
