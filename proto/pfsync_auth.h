/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Authenticated pfsync: dpf's own extension, off unless sync.key_file is
 * set (docs/pfsync.md, "Authentication").  OpenBSD's pfsync has none.
 *
 * An authenticated packet is a pfsync v6 packet (proto/pfsync.h) with two
 * changes: the header's version byte is PFSYNC_AUTH_VERSION instead of 6,
 * and a 48-byte trailer follows the last section, counted in the header's
 * len.  A receiver without the option (OpenBSD, FreeBSD, dpf unkeyed)
 * drops the whole packet on the version byte (badver) before it reads a
 * record; a new action would not do (unknown actions are skipped and the
 * rest applied, protocols.md §3.2).
 *
 *	offset  size
 *	0       20    pfsync_header: version 0x86, _pad 0, len (all bytes
 *	              from the header to the end of the trailer), pfcksum 0
 *	20      n     sections, exactly as in v6
 *	20+n    4     keyid   first 4 bytes of SHA-256(key), big-endian
 *	24+n    4     sender  the sender's host id (creatorid), big-endian
 *	28+n    8     seq     sequence number, big-endian (per sender, rising)
 *	36+n    32    mac     HMAC-SHA256(key, src ip | dst ip | bytes 0..36+n)
 *
 * The MAC covers the IPv4 source and destination (4 bytes each, as they
 * are on the wire) followed by the pfsync bytes from the header up to the
 * mac field.  The other IP fields either must be fixed for pfsync to be
 * accepted at all (TTL 255, protocol 240) or change nothing (TOS, id).
 *
 * Like proto/carp.c this module uses libcrypto's one-shot HMAC() and
 * SHA256(); it does not allocate, and keeps no state: the sequence
 * numbers and the replay check are the engine's
 * (control/pfsync/pfsync_auth.h).
 */
#ifndef DPF_PROTO_PFSYNC_AUTH_H
#define DPF_PROTO_PFSYNC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pfsync.h"
#include "proto/proto.h"

#define PFSYNC_AUTH_VERSION	0x86	/* 0x80 | 6: v6 layout, authenticated */
#define PFSYNC_AUTH_LEN		48	/* sizeof(struct pfsync_auth_trailer) */
#define PFSYNC_AUTH_MAC_LEN	32	/* HMAC-SHA256, not truncated */
#define PFSYNC_AUTH_KEY_MIN	16	/* bytes: 128 bits at least */
#define PFSYNC_AUTH_KEY_MAX	64	/* SHA-256's block: longer keys are hashed anyway */

/* The trailer after the last section. */
struct pfsync_auth_trailer {
	dpf_be32_t keyid;		/* SHA-256(key)[0..3] */
	dpf_be32_t sender;		/* creatorid of the sender */
	dpf_be64_t seq;			/* rising per sender */
	uint8_t mac[PFSYNC_AUTH_MAC_LEN];
} PROTO_PACKED;

_Static_assert(sizeof(struct pfsync_auth_trailer) == PFSYNC_AUTH_LEN, "trailer layout");

struct pfsync_auth_key {
	uint8_t ak_key[PFSYNC_AUTH_KEY_MAX];
	size_t ak_len;
	uint32_t ak_id;			/* the keyid sent, shown by `show pfsync` */
};

/* What a verified trailer said. */
struct pfsync_auth_info {
	uint32_t keyid;
	uint32_t sender;
	uint64_t seq;
};

/*
 * Sets k up for key[0, len).  Returns 0, or -EINVAL when len is outside
 * PFSYNC_AUTH_KEY_MIN..PFSYNC_AUTH_KEY_MAX or libcrypto fails.
 */
__attribute__((warn_unused_result))
int pfsync_auth_key_init(struct pfsync_auth_key *k, const uint8_t *key, size_t len);

/*
 * Turns the finished v6 packet buf[0, plen) (pfsync_build_finish()) into an
 * authenticated one in place: appends the trailer, sets version and len,
 * computes the MAC with src and dst, the IPv4 addresses it will be sent
 * with.  Returns the new length (plen + PFSYNC_AUTH_LEN), or 0 when size
 * cannot hold it, the len would pass 65535, or buf is not a v6 packet of
 * plen bytes.  Build with an MTU PFSYNC_AUTH_LEN smaller to leave room.
 */
__attribute__((warn_unused_result))
size_t pfsync_auth_seal(const struct pfsync_auth_key *k, uint8_t *buf, size_t plen, size_t size,
			const uint8_t src[4], const uint8_t dst[4], uint32_t sender, uint64_t seq);

/* pfsync_auth_open()'s verdicts. */
#define PFSYNC_AUTH_ERR_LIST(_)						\
	_(SHORT,	"shorter than the header and trailer")		\
	_(NOTAUTH,	"not an authenticated packet (version is not 0x86)") \
	_(BADLEN,	"header len beyond the data or below the trailer") \
	_(KEYID,	"key id is not ours")				\
	_(MAC,		"HMAC does not match")

enum pfsync_auth_err {
	PFSYNC_AUTH_OK = 0,
#define PFSYNC_AUTH_ERR_ENUM(sym, descr) PFSYNC_AUTH_ERR_##sym,
	PFSYNC_AUTH_ERR_LIST(PFSYNC_AUTH_ERR_ENUM)
#undef PFSYNC_AUTH_ERR_ENUM
	PFSYNC_AUTH_ERR_MAX
};

const char *pfsync_auth_err_str(enum pfsync_auth_err e);

/*
 * Verifies the authenticated packet buf[0, len) (the pfsync bytes, as
 * pfsync_check_ip4() found them) received from src to dst.  On success
 * fills *info and starts *it over the sections (the trailer excluded),
 * as pfsync_iter_init() does for a v6 packet; the sequence number is
 * not judged here.  The MAC is compared in constant time.
 */
__attribute__((warn_unused_result))
enum pfsync_auth_err pfsync_auth_open(const struct pfsync_auth_key *k, const uint8_t *buf,
				      size_t len, const uint8_t src[4], const uint8_t dst[4],
				      struct pfsync_auth_info *info, struct pfsync_iter *it);

#endif /* DPF_PROTO_PFSYNC_AUTH_H */
