/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: Internet checksum.
 *
 * The sum is accumulated as big-endian 16-bit words into a 32-bit (then
 * 64-bit for long buffers) accumulator; an odd trailing byte is the high
 * byte of a zero-padded word (RFC 1071 section 4.1).
 */
#include "proto/cksum.h"

#include "proto/proto.h"

uint32_t
proto_cksum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 2) {
		acc += proto_rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t
proto_cksum(const void *buf, size_t len)
{
	return (uint16_t)~proto_cksum_fold(proto_cksum_add(0, buf, len));
}

uint32_t
proto_cksum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint16_t l4_len)
{
	uint32_t sum = 0;

	sum = proto_cksum_add(sum, src, 4);
	sum = proto_cksum_add(sum, dst, 4);
	return (uint32_t)proto_cksum_fold(sum) + proto + l4_len;
}

uint32_t
proto_cksum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nxt, uint32_t l4_len)
{
	uint32_t sum = 0;

	sum = proto_cksum_add(sum, src, 16);
	sum = proto_cksum_add(sum, dst, 16);
	return (uint32_t)proto_cksum_fold(sum) + (l4_len >> 16) + (l4_len & 0xffff) + nxt;
}

uint16_t
proto_cksum_l4(uint32_t pseudo, const void *l4, size_t len)
{
	return (uint16_t)~proto_cksum_fold(proto_cksum_add(proto_cksum_fold(pseudo), l4, len));
}

uint16_t
proto_cksum_update128(uint16_t hc, const uint8_t from[16], const uint8_t to[16])
{
	uint32_t sum = (uint16_t)~hc;

	for (int i = 0; i < 16; i += 2) {
		sum += (uint16_t)~proto_rd16(from + i);
		sum += proto_rd16(to + i);
	}
	return (uint16_t)~proto_cksum_fold(sum);
}
