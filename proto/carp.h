/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * CARP version 2 wire format, OpenBSD-compatible: the 36-byte advertisement,
 * its checksum, its HMAC-SHA1, and the Ethernet/IPv4 and Ethernet/IPv6
 * frames that carry it.
 *
 * Each fact names the OpenBSD, FreeBSD or ucarp source it was read from in
 * brackets (OpenBSD netinet/ip_carp.h and ip_carp.c unless said otherwise).  Election, timers and
 * demotion belong to the CARP state machine in control/, not to this file.
 *
 * Pure C on libc and libcrypto: no DPDK, no allocation by this module, no
 * global mutable state.  All functions are thread-safe on distinct outputs;
 * a prepared struct carp_hmac may be shared read-only by any number of
 * threads.
 */
#ifndef DPF_PROTO_CARP_H
#define DPF_PROTO_CARP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#ifndef IPPROTO_CARP
#define IPPROTO_CARP 112 /**< Shared with VRRP [OpenBSD netinet/in.h]. */
#endif

#define CARP_VERSION 2			/**< The only version accepted. */
#define CARP_TYPE_ADVERTISEMENT 1	/**< The only type ever sent. */
#define CARP_DFLTTL 255			/**< IPv4 TTL / IPv6 hop limit, sent and required. */
#define CARP_AUTHLEN 7			/**< (counter + md) / 4; never checked on receive. */
#define CARP_KEY_LEN 20			/**< sc_key[] size [OpenBSD ip_carp.h]. */
#define CARP_KEY_MAX 19			/**< ifconfig truncates to it, ucarp rejects more. */
#define CARP_COUNTER_LEN 8
#define CARP_MD_LEN 20			/**< SHA-1 output. */
#define CARP_HDR_LEN 36
#define CARP_BOW_OUT 255		/**< advbase and advskew of a bow-out advert. */

/** IPv4 group 224.0.0.18 (INADDR_CARP_GROUP) as a host-order integer. */
#define CARP_GROUP4 0xe0000012u

/** Ethernet and IP header sizes of the frames carp_build_frame4/6 write. */
#define CARP_ETHER_LEN 14
#define CARP_IP4_LEN 20
#define CARP_IP6_LEN 40
#define CARP_FRAME4_LEN (CARP_ETHER_LEN + CARP_IP4_LEN + CARP_HDR_LEN) /**< 70 */
#define CARP_FRAME6_LEN (CARP_ETHER_LEN + CARP_IP6_LEN + CARP_HDR_LEN) /**< 90 */

/** 224.0.0.18, network order. */
extern const uint8_t carp_group4[4];
/** ff02::12, network order. */
extern const uint8_t carp_group6[16];
/** 01:00:5e:00:00:12, the Ethernet destination of 224.0.0.18 (RFC 1112 6.4). */
extern const uint8_t carp_group4_mac[6];
/** 33:33:00:00:00:12, the Ethernet destination of ff02::12 (RFC 2464 7). */
extern const uint8_t carp_group6_mac[6];

/**
 * Write the virtual MAC of a vhid, 00:00:5e:00:01:<vhid>, which OpenBSD and
 * FreeBSD use as the advert source and for the virtual addresses
 * [OpenBSD ip_carp.c carp_set_vhe_enaddr, FreeBSD ip_carp.c carp_output].
 * ucarp differs (00:00:5e:00:00:<vhid> as advert source, no virtual MAC).
 */
void carp_vmac(uint8_t vhid, uint8_t mac[6]);

/*
 * CARP header, 36 bytes, multi-byte fields big-endian
 * [OpenBSD ip_carp.h struct carp_header]:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Type  |     VHID      |    AdvSkew    |    AuthLen    |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Demote     |    AdvBase    |           Checksum            |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Counter (64 bits)                      |  8
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               | 16
 * |                    HMAC-SHA1 (160 bits)                       |
 * |                                                               |
 * |                                                               |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Byte 4 is OpenBSD's demotion count; FreeBSD and ucarp send 0 there and
 * ignore it.  The checksum is the Internet checksum over these 36 bytes
 * alone, with no pseudo-header even over IPv6, computed after the HMAC is in
 * place [OpenBSD ip_carp.c carp_send_ad, carp_cksum].  The struct documents
 * the layout; code reads and writes the bytes with proto_rd/proto_wr.
 */
struct carp_hdr {
	uint8_t carp_version_type;	/**< Version << 4 | type: 0x21. */
	uint8_t carp_vhid;		/**< Virtual host id, 1..255. */
	uint8_t carp_advskew;		/**< 0..254, 255 only when bowing out. */
	uint8_t carp_authlen;		/**< CARP_AUTHLEN. */
	uint8_t carp_demote;		/**< OpenBSD demotion count, else 0. */
	uint8_t carp_advbase;		/**< Seconds. */
	dpf_be16_t carp_cksum;
	dpf_be32_t carp_counter[2];
	uint8_t carp_md[CARP_MD_LEN];
} PROTO_PACKED;

_Static_assert(sizeof(struct carp_hdr) == CARP_HDR_LEN, "CARP header is 36 bytes");
_Static_assert(offsetof(struct carp_hdr, carp_cksum) == 6, "checksum at 6");
_Static_assert(offsetof(struct carp_hdr, carp_counter) == 8, "counter at 8");
_Static_assert(offsetof(struct carp_hdr, carp_md) == 16, "md at 16");

/**
 * An advertisement in host form.  counter is the 8 wire bytes read as one
 * big-endian 64-bit number, so it round-trips whatever the sender meant by
 * them: OpenBSD sends a fixed random cookie, FreeBSD and ucarp two
 * big-endian 32-bit words incremented as one 64-bit counter [OpenBSD
 * ip_carp.c carp_proto_input_c; FreeBSD ip_carp.c; ucarp carp.c].  md is
 * the HMAC exactly as on the wire.
 */
struct carp_advert {
	uint8_t version;	/**< 4 bits on the wire. */
	uint8_t type;		/**< 4 bits on the wire. */
	uint8_t vhid;
	uint8_t advskew;
	uint8_t authlen;
	uint8_t demote;
	uint8_t advbase;
	uint64_t counter;
	uint8_t md[CARP_MD_LEN];
};

/**
 * The 16 OpenBSD carpstats counters, in struct carpstats order, with the
 * names netstat and sysctl net.inet.carp.stats use [OpenBSD ip_carp.h;
 * OpenBSD ip_carp.h struct carpstats].  carps_badaddrs and carps_ostates exist but OpenBSD
 * never increments them; they are kept so the layout matches.
 */
#define CARP_STATS_LIST(_)			\
	_(IPACKETS, "carps_ipackets")		\
	_(IPACKETS6, "carps_ipackets6")		\
	_(BADIF, "carps_badif")			\
	_(BADTTL, "carps_badttl")		\
	_(HDROPS, "carps_hdrops")		\
	_(BADSUM, "carps_badsum")		\
	_(BADVER, "carps_badver")		\
	_(BADLEN, "carps_badlen")		\
	_(BADAUTH, "carps_badauth")		\
	_(BADVHID, "carps_badvhid")		\
	_(BADADDRS, "carps_badaddrs")		\
	_(OPACKETS, "carps_opackets")		\
	_(OPACKETS6, "carps_opackets6")		\
	_(ONOMEM, "carps_onomem")		\
	_(OSTATES, "carps_ostates")		\
	_(PREEMPT, "carps_preempt")

enum carp_stat {
#define CARP_STAT_ENUM(sym, str) CARP_STAT_##sym,
	CARP_STATS_LIST(CARP_STAT_ENUM)
#undef CARP_STAT_ENUM
	CARP_STAT_MAX
};

_Static_assert(CARP_STAT_MAX == 16, "struct carpstats has 16 counters");

/** Counter name as OpenBSD spells the struct member, "?" if out of range. */
const char *carp_stat_name(unsigned int stat);

/**
 * Reasons an advert is rejected, each with the carpstats counter OpenBSD
 * bumps for it and a log text [OpenBSD ip_carp.c carp_proto_input_if,
 * carp6_proto_input_if, carp_proto_input_c].
 *
 * carp_parse() returns SHORT, BAD_CKSUM and BAD_VERSION; carp_hmac_verify()
 * returns BAD_AUTH.  BAD_IF, BAD_TTL, BAD_VHID and REPLAY are decided by the
 * caller (which interface, the IP header, the vhid table, the own replay
 * cookie) and are listed here so that every rejection has one code, one
 * counter and one text.  OpenBSD's order is interface, TTL, length,
 * checksum, vhid, version, HMAC, replay; since carp_parse() checks the
 * version before the caller can look up the vhid, an advert that has both a
 * bad version and an unknown vhid counts as badver here and badvhid there.
 *
 * There is no BAD_TYPE: OpenBSD, FreeBSD and ucarp never check the type
 * nibble (nor authlen), and we follow them so that whatever they accept we
 * accept [OpenBSD netinet/ip_carp.h struct carp_header].
 */
#define CARP_ERR_LIST(_)						\
	_(SHORT, BADLEN, "packet too short")				\
	_(BAD_CKSUM, BADSUM, "checksum failed")			\
	_(BAD_VERSION, BADVER, "invalid version")			\
	_(BAD_AUTH, BADAUTH, "incorrect hash")				\
	_(BAD_IF, BADIF, "packet received on non-carp interface")	\
	_(BAD_TTL, BADTTL, "received ttl != 255")			\
	_(BAD_VHID, BADVHID, "unknown vhid")				\
	_(REPLAY, BADAUTH, "replay or network loop detected")

enum carp_err {
	CARP_OK = 0,
#define CARP_ERR_ENUM(sym, stat, str) CARP_ERR_##sym,
	CARP_ERR_LIST(CARP_ERR_ENUM)
#undef CARP_ERR_ENUM
	CARP_ERR_MAX
};

/** Log text of a carp_err ("ok" for CARP_OK), "?" if out of range. */
const char *carp_err_name(unsigned int err);

/** The carpstats counter a carp_err bumps; CARP_STAT_MAX for CARP_OK or out of range. */
enum carp_stat carp_err_stat(unsigned int err);

/**
 * Parse and validate an advert that starts at buf (the IP payload).
 *
 * Checks, in OpenBSD's order: at least 36 bytes (SHORT; bytes after the
 * first 36 are ignored, as OpenBSD checksums exactly 36), the checksum over
 * those 36 bytes (BAD_CKSUM), version 2 (BAD_VERSION).  Type and authlen are
 * returned, not checked.  The HMAC is not checked here: the caller looks up
 * the vhid and calls carp_hmac_verify().
 *
 * @return 0 with *out filled, or a carp_err with *out untouched.
 */
__attribute__((warn_unused_result))
int carp_parse(const uint8_t *buf, size_t len, struct carp_advert *out);

/**
 * Write the 36-byte header for a into buf, fields verbatim (so tests can
 * build bad adverts), checksum computed last over the finished bytes.
 *
 * @return CARP_HDR_LEN, or 0 if len is too small or version/type do not fit
 * in 4 bits.
 */
__attribute__((warn_unused_result))
size_t carp_build(uint8_t *buf, size_t len, const struct carp_advert *a);

/*
 * HMAC-SHA1 as OpenBSD computes it [OpenBSD ip_carp.c carp_hmac_prepare_ctx,
 * carp_hmac_generate, carp_hmac_verify]:
 *
 *   key = passphrase bytes (at most 19) zero-padded to 20 bytes, no hashing
 *   md  = HMAC-SHA1(key, 0x02 0x01 vhid A4... A6... counter[8])
 *
 * A4 are the IPv4 addresses of the carp interface in ascending order, each
 * once; A6 the IPv6 addresses likewise by memcmp, with bytes 2-3 (KAME's
 * embedded scope) zeroed in scoped ones (KAME IN6_IS_SCOPE_EMBED: link-local
 * unicast fe80::/10, and multicast of interface- or link-local scope).
 * OpenBSD keeps two contexts: ORIG hashes the scoped IPv6 addresses, NOV6LL
 * leaves them out.  Adverts are sent with NOV6LL and accepted under either.
 * The same context covers v4 and v6 adverts.
 *
 * OpenBSD also hashes a manually set lladdr of the leader vhid; dpf never
 * sets one, so it is not supported.  The address selection loop of OpenBSD
 * can never pick 0.0.0.0, 255.255.255.255, :: or the all-ones IPv6 address,
 * so those are skipped here too.
 *
 * Compatibility [FreeBSD ip_carp.c carp_hmac_prepare]: FreeBSD hashes the addresses of the
 * vhid the same way but has no NOV6LL variant (it matches ORIG when the vhid
 * carries a link-local address).  ucarp hashes exactly one IPv4 address and
 * no IPv6: a vhid that must interoperate with ucarp needs exactly one IPv4
 * address (ucarp's --addr), no IPv6 address, and a passphrase of at most 19
 * bytes; then both messages are byte-identical.
 */

/** Upper bounds on the addresses one context hashes (OpenBSD has none). */
#define CARP_HMAC_MAX4 32
#define CARP_HMAC_MAX6 32
/** version, type, vhid, then the addresses; the counter is added per advert. */
#define CARP_HMAC_PREFIX_MAX (3 + 4 * CARP_HMAC_MAX4 + 16 * CARP_HMAC_MAX6)

enum carp_hmac_variant {
	CARP_HMAC_ORIG = 0,	/**< Includes scoped (link-local) IPv6 addresses. */
	CARP_HMAC_NOV6LL = 1,	/**< Excludes them; used to send. */
	CARP_HMAC_NVARIANT
};

/**
 * A prepared key and message prefix per variant, built once per
 * configuration change by carp_hmac_init() and read-only afterwards, so an
 * advert costs one HMAC over prefix + counter and no sorting.
 */
struct carp_hmac {
	uint8_t ch_key[CARP_KEY_LEN];			/**< Zero-padded passphrase. */
	uint16_t ch_len[CARP_HMAC_NVARIANT];		/**< Bytes used in ch_msg[v]. */
	uint8_t ch_msg[CARP_HMAC_NVARIANT][CARP_HMAC_PREFIX_MAX];
};

/**
 * Prepare h for a vhid: key (keylen bytes, at most CARP_KEY_MAX, may be 0),
 * the IPv4 and IPv6 addresses of the carp interface in any order (duplicates
 * allowed; n4 <= CARP_HMAC_MAX4, n6 <= CARP_HMAC_MAX6; NULL when the count is
 * 0).  Validates everything before writing h.
 *
 * @return 0, -EINVAL (key too long, NULL with a non-zero count) or -E2BIG
 * (too many addresses).
 */
__attribute__((warn_unused_result))
int carp_hmac_init(struct carp_hmac *h, const uint8_t *key, size_t keylen, uint8_t vhid,
		   const uint8_t (*v4)[4], unsigned int n4, const uint8_t (*v6)[16],
		   unsigned int n6);

/**
 * Wipe h, key included (OPENSSL_cleanse, which the compiler cannot elide),
 * before its memory is freed or reused.
 */
void carp_hmac_clear(struct carp_hmac *h);

/**
 * md = the HMAC of variant (enum carp_hmac_variant) for the 8 counter bytes
 * as on the wire.  Send with CARP_HMAC_NOV6LL.
 *
 * @return 0, -EINVAL for an unknown variant, or -ENOMEM if libcrypto failed
 * (its one-shot HMAC() allocates internally); md is zeroed on error and must
 * not be sent.
 */
__attribute__((warn_unused_result))
int carp_hmac_compute(const struct carp_hmac *h, int variant, const uint8_t counter[8],
		      uint8_t md[20]);

/**
 * Check a received md against both variants, comparing in constant time
 * (CRYPTO_memcmp, like OpenBSD's timingsafe_bcmp).  Fails closed if
 * libcrypto fails.
 *
 * @return 0 if either variant matches, else CARP_ERR_BAD_AUTH.
 */
__attribute__((warn_unused_result))
int carp_hmac_verify(const struct carp_hmac *h, const uint8_t counter[8], const uint8_t md[20]);

/** Set a->md for a->counter with CARP_HMAC_NOV6LL; 0 or as carp_hmac_compute(). */
__attribute__((warn_unused_result))
int carp_advert_sign(const struct carp_hmac *h, struct carp_advert *a);

/** carp_hmac_verify() of a->md for a->counter. */
__attribute__((warn_unused_result))
int carp_advert_verify(const struct carp_hmac *h, const struct carp_advert *a);

/**
 * Build a whole IPv4 advert frame into buf: Ethernet II, IPv4 (version 4,
 * IHL 5, TOS 0x10 IPTOS_LOWDELAY, DF, TTL 255, protocol 112, header
 * checksum), then carp_build(a) [OpenBSD ip_carp.c carp_send_ad;
 * OpenBSD netinet/ip_carp.c carp_send_ad].  No 802.1Q tag: a VLAN is inserted by the sender.
 *
 * @param dst_mac NULL: the RFC 1112 multicast MAC of dst_ip, which must
 *   then be a multicast address; a unicast peer (carppeer) needs its MAC.
 * @param src_mac NULL: the virtual MAC carp_vmac(a->vhid), as OpenBSD sends.
 * @param src_ip the sender's address on the parent interface.
 * @param dst_ip NULL: the group 224.0.0.18.
 * @param ip_id the IPv4 identification (OpenBSD draws it at random).
 * @return CARP_FRAME4_LEN, or 0 if it does not fit or a is not buildable.
 */
__attribute__((warn_unused_result))
size_t carp_build_frame4(uint8_t *buf, size_t len, const uint8_t dst_mac[6],
			 const uint8_t src_mac[6], const uint8_t src_ip[4],
			 const uint8_t dst_ip[4], uint16_t ip_id, const struct carp_advert *a);

/**
 * Build a whole IPv6 advert frame: Ethernet II, IPv6 (traffic class 0,
 * flow label 0, payload length 36, next header 112, hop limit 255), then
 * carp_build(a) [OpenBSD ip_carp.c carp_send_ad].
 *
 * @param dst_mac NULL: the RFC 2464 multicast MAC of dst_ip (33:33 + its
 *   last 4 bytes), which must then be multicast.
 * @param src_mac NULL: carp_vmac(a->vhid).
 * @param src_ip the sender's address (normally its link-local one).
 * @param dst_ip NULL: ff02::12.
 * @return CARP_FRAME6_LEN, or 0 if it does not fit or a is not buildable.
 */
__attribute__((warn_unused_result))
size_t carp_build_frame6(uint8_t *buf, size_t len, const uint8_t dst_mac[6],
			 const uint8_t src_mac[6], const uint8_t src_ip[16],
			 const uint8_t dst_ip[16], const struct carp_advert *a);

#endif /* DPF_PROTO_CARP_H */
