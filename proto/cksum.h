/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internet checksum (RFC 1071) and incremental update (RFC 1624).
 *
 * All values here are host-order integers of the big-endian 16-bit words on
 * the wire: write a result with proto_wr16(), pass old and new field values
 * as read with proto_rd16()/proto_rd32().  A header is valid when the
 * checksum over it (checksum field included) is 0.
 */
#ifndef DPF_PROTO_CKSUM_H
#define DPF_PROTO_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of buf added to sum; not folded, not complemented. */
uint32_t proto_cksum_add(uint32_t sum, const void *buf, size_t len);

/* Fold a 32-bit accumulator to 16 bits (not complemented). */
static inline uint16_t
proto_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum to store for buf (checksum field zeroed), or 0 if buf is valid. */
uint16_t proto_cksum(const void *buf, size_t len);

/* Pseudo-header sums (RFC 793/768 for IPv4, RFC 8200 section 8.1 for IPv6). */
uint32_t proto_cksum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
			     uint16_t l4_len);
uint32_t proto_cksum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nxt,
			     uint32_t l4_len);

/*
 * Checksum to store for an L4 segment over pseudo-header sum `pseudo`.
 * UDP callers must send 0xffff where this returns 0 (RFC 768).
 */
uint16_t proto_cksum_l4(uint32_t pseudo, const void *l4, size_t len);

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field that changed
 * from `from` to `to`.  Never produces 0xffff from a valid non-zero input
 * sum (the -0 pitfall of eqn. 2 in RFC 1141).
 */
static inline uint16_t
proto_cksum_update16(uint16_t hc, uint16_t from, uint16_t to)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~from + to;

	return (uint16_t)~proto_cksum_fold(sum);
}

static inline uint16_t
proto_cksum_update32(uint16_t hc, uint32_t from, uint32_t to)
{
	uint32_t sum = (uint16_t)~hc;

	sum += (uint16_t)~(from >> 16) + (uint32_t)(uint16_t)~from;
	sum += (to >> 16) + (to & 0xffff);
	return (uint16_t)~proto_cksum_fold(sum);
}

/* A 16-byte address (IPv6) changed: update over its eight words. */
uint16_t proto_cksum_update128(uint16_t hc, const uint8_t from[16], const uint8_t to[16]);

#endif /* DPF_PROTO_CKSUM_H */
