/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Types and helpers shared by every wire-format module in proto/.
 *
 * Contract for proto/: pure C on libc (and libcrypto for HMAC), no DPDK, no
 * allocation, no global mutable state.  Parsers take (const uint8_t *buf,
 * size_t len) and return 0 or a module-specific reason code; builders take an
 * output buffer and its size and return the bytes written, or 0 if it does
 * not fit.  Multi-byte wire fields are read and written through the
 * proto_rd/proto_wr helpers below, so no code depends on host byte order or
 * on the alignment of the buffer.
 */
#ifndef DPF_PROTO_H
#define DPF_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Byte-order typed fields of packed wire structs (like rte_be16_t). */
typedef uint16_t dpf_be16_t;
typedef uint32_t dpf_be32_t;
typedef uint64_t dpf_be64_t;

#define PROTO_PACKED __attribute__((packed))
#define PROTO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline uint16_t
proto_rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
proto_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
proto_rd64(const uint8_t *p)
{
	return (uint64_t)proto_rd32(p) << 32 | proto_rd32(p + 4);
}

static inline void
proto_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
proto_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
proto_wr64(uint8_t *p, uint64_t v)
{
	proto_wr32(p, (uint32_t)(v >> 32));
	proto_wr32(p + 4, (uint32_t)v);
}

#endif /* DPF_PROTO_H */
