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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Byte-order typed fields of packed wire structs (like rte_be16_t). */
typedef uint16_t dpf_be16_t;
typedef uint32_t dpf_be32_t;
typedef uint64_t dpf_be64_t;

#define PROTO_PACKED __attribute__((packed))
#define PROTO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Tables over an enum with names.  Every such enum is generated from one
 * X-macro whose rows are _(SYM, "name", ...): the enum takes the rows in
 * order from 0, so a table that the same X-macro initializes, in the same
 * order, lines up with the enum without designators.
 */

/* An X-macro row's second column (its name) and third, as initializers. */
#define PROTO_XNAME(sym, name, ...) name,
#define PROTO_XCOL3(sym, c2, c3, ...) c3,

/*
 * Defines `rtype fn(atype v)`: the v-th of the initializers that follow
 * dflt, or dflt when v is not below max (a value off the wire, from a newer
 * peer, or corrupt).  The table is the function's own; the build fails
 * unless it has exactly max entries.  Used as a declaration:
 *
 *	PROTO_TABLE_FN(uint32_t, pftm_default, unsigned int, PFTM_MAX, 0,
 *		       PFTM_LIST(PROTO_XCOL3));
 */
#define PROTO_TABLE_FN(rtype, fn, atype, max, dflt, ...)			\
rtype										\
fn(atype v)									\
{										\
	static rtype const tbl[] = { __VA_ARGS__ };				\
										\
	return (unsigned int)v < (unsigned int)(max) ? tbl[v] : (dflt);	\
}										\
_Static_assert(sizeof((rtype[]){ __VA_ARGS__ }) == (max) * sizeof(rtype),	\
	       #fn ": one table entry for every value")

/* Defines `const char *fn(atype v)`: the name of value v, "?" when v >= max. */
#define PROTO_NAME_FN(fn, atype, list, max) \
	PROTO_TABLE_FN(const char *, fn, atype, max, "?", list(PROTO_XNAME))

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

/* Does addr agree with net in the first plen bits (is it inside net/plen)? */
static inline bool
proto_prefix_match(const uint8_t *net, unsigned int plen, const uint8_t *addr)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(net, addr, full) != 0)
		return false;
	return rest == 0 || ((net[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

#endif /* DPF_PROTO_H */
