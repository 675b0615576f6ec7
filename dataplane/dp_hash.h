/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The symmetric flow hash and the worker that owns a flow: of a packet
 * (dp_hash_l3(), in the fast-path parse and again after reassembly) and of
 * a state key (dp_owner_key(), for states that arrive without a packet:
 * pfsync).  Both are the same hash of the same fields, so a state is
 * always applied on the worker that will see its packets; the unit test
 * tests/unit/test_owner.c holds them to it.
 *
 * What the hash covers: what a NIC's RSS hashes (below), so that the
 * worker a NIC delivers a packet to is its owner: the two addresses, plus
 * the ports for TCP and UDP; both directions give one value.  ICMP
 * queries hash without their id (their state key carries it as both
 * ports, a pfsync peer may carry it otherwise [OpenBSD pf.c
 * pf_icmp_mapping() keys the id with the type], and the owner must not
 * depend on that; RSS does not see it either), fragments without ports
 * (as RSS; frag.c hashes the whole datagram again), and an ICMP error as
 * the flow of the datagram it quotes (proto/pkt_quote.h), so that it
 * reaches the worker holding that flow's state (RSS hashes its outer
 * header: it is handed over).
 */
#ifndef DPF_DP_HASH_H
#define DPF_DP_HASH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "dataplane/dp.h"
#include "dataplane/state.h"
#include "proto/pkt_quote.h"

#define DP_IPPROTO_HOPOPTS 0
#define DP_IPPROTO_ICMP 1
#define DP_IPPROTO_TCP 6
#define DP_IPPROTO_UDP 17
#define DP_IPPROTO_ROUTING 43
#define DP_IPPROTO_FRAGMENT 44
#define DP_IPPROTO_ICMPV6 58
#define DP_IPPROTO_DSTOPTS 60
#define DP_IPPROTO_SCTP 132

static inline bool
dp_proto_has_ports(uint8_t proto)
{
	return proto == DP_IPPROTO_TCP || proto == DP_IPPROTO_UDP || proto == DP_IPPROTO_SCTP;
}

/*
 * The owner hash is the NIC's: Toeplitz [Microsoft RSS spec] with dpf's
 * symmetric key (0x6d5a repeated, dp.c dp_rss_key), over what RSS hashes
 * for dp.c's rss_hf: source and destination address, then source and
 * destination port for TCP and UDP (not fragments), the addresses alone
 * for anything else.  With that key every 32-bit window of the key at bit
 * b is rol32(0x6d5a6d5a, b mod 16), so the hash depends only on the XOR
 * of the input's 16-bit words, its even bytes through one table and its
 * odd bytes through another: both directions give the same value, and it
 * costs a few XORs and two loads.  tests/unit/test_owner.c holds it to
 * DPDK's rte_softrss() bit for bit.  dp_owner() then picks the worker as
 * the RETA that dp.c programs does (dp_owner_of()), so a packet a NIC
 * delivers is already on its owner's queue, and a state that comes
 * without a packet (pfsync) is applied there too.
 */
#define DP_RSS_KEY32 0x6d5a6d5aULL
/* The key's 32-bit window at bit b (0..15). */
#define DP_RSS_W(b) ((uint32_t)(((DP_RSS_KEY32 << (b)) | (DP_RSS_KEY32 >> (32 - (b)))) & \
				0xffffffffULL))
/* tables[0]: a byte at an even offset of the input, [1]: at an odd one. */
extern const uint32_t dp_rss_tab[2][256];

/*
 * rx: the XOR of the input's 16-bit words as loaded from the wire on this
 * little-endian CPU (byte 0 of each word in bits 0-7).
 */
static inline uint32_t
dp_rss_fold(uint32_t rx)
{
	return dp_rss_tab[0][rx & 0xff] ^ dp_rss_tab[1][(rx >> 8) & 0xff];
}

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "dp_hash_tuple() folds wire-order words loaded little-endian"
#endif

/*
 * The RSS hash of a flow: a and b its addresses (alen bytes, either order),
 * pa and pb its ports as on the wire (network order, either order; 0 for
 * a flow RSS hashes without ports).
 */
static inline uint32_t
dp_hash_tuple(const uint8_t *a, const uint8_t *b, unsigned int alen, uint16_t pa,
	      uint16_t pb)
{
	uint32_t x;

	if (alen == 4) {
		uint32_t u, v;

		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		x = u ^ v;
	} else {
		uint64_t u[2], v[2], y;

		memcpy(u, a, 16);
		memcpy(v, b, 16);
		y = u[0] ^ u[1] ^ v[0] ^ v[1];
		x = (uint32_t)y ^ (uint32_t)(y >> 32);
	}
	x ^= x >> 16;
	return dp_rss_fold((x ^ pa ^ pb) & 0xffff);
}

/* Whether RSS hashes this protocol's ports (dp.c's rss_hf: TCP and UDP). */
static inline bool
dp_rss_has_ports(uint8_t proto)
{
	return proto == DP_IPPROTO_TCP || proto == DP_IPPROTO_UDP;
}

/*
 * Hash of an IP packet at l3 (len bytes available, header already
 * validated): for ICMP errors, the hash of the flow of the packet they
 * quote, read by pkt_quote_flow() as filter.c's dp_icmp_error() reads it
 * for the state lookup, so that an error lands on the worker that holds
 * the state it is about.  l4_off is the offset of the L4 header (after
 * IPv6 extensions), frag true for any fragment.
 */
static inline uint32_t
dp_hash_l3(const uint8_t *l3, uint32_t len, uint8_t af, uint8_t proto, uint32_t l4_off,
	   bool frag)
{
	const uint8_t *l4 = l3 + l4_off;
	uint32_t l4_len = len > l4_off ? len - l4_off : 0;
	unsigned int alen = af == 4 ? 4 : 16;
	const uint8_t *src = af == 4 ? l3 + 12 : l3 + 8;
	const uint8_t *dst = af == 4 ? l3 + 16 : l3 + 24;
	uint16_t sp = 0, dpt = 0;

	if (!frag && dp_rss_has_ports(proto) && l4_len >= 4) {
		memcpy(&sp, l4, 2);
		memcpy(&dpt, l4 + 2, 2);
	} else if (!frag && l4_len >= 8 && pkt_icmp_is_error(af, proto, l4[0])) {
		const uint8_t *q = l4 + 8;
		struct pkt_quote pq;

		/* A quote without a whole IP header names no flow: the error's own. */
		if (pkt_quote_flow(q, l4_len - 8, af, &pq) == 0) {
			src = q + pq.src_off;
			dst = q + pq.dst_off;
			if (dp_rss_has_ports(pq.proto)) {
				sp = rte_cpu_to_be_16(pq.sport);
				dpt = rte_cpu_to_be_16(pq.dport);
			}
		}
	}
	return dp_hash_tuple(src, dst, alen, sp, dpt);
}

/*
 * Hash of a state key (canonical or not: the hash orders the pair itself),
 * the fields dp_hash_l3() takes from a packet of its flow: the ports count
 * for the protocols that have them.
 */
static inline uint32_t
dp_hash_key(uint8_t af, const union dp_state_key *k)
{
	const uint8_t *a, *b;
	const uint16_t *port;
	uint16_t pa = 0, pb = 0;
	uint8_t proto;

	if (af == 4) {
		a = (const uint8_t *)&k->k4.addr[0];
		b = (const uint8_t *)&k->k4.addr[1];
		port = k->k4.port;
		proto = k->k4.proto;
	} else {
		a = k->k6.addr[0];
		b = k->k6.addr[1];
		port = k->k6.port;
		proto = k->k6.proto;
	}
	if (dp_rss_has_ports(proto)) {
		pa = port[0];
		pb = port[1];
	}
	return dp_hash_tuple(a, b, af == 4 ? 4 : 16, pa, pb);
}

/*
 * The worker that owns the state with key k of family af (4 or 6): the
 * one the packets of its flow reach, in both directions.  For the control
 * core's apply commands (pfsync) and anything else that holds a key
 * without a packet.
 */
static inline unsigned int
dp_owner_key(const struct dp_main *dp, uint8_t af, const union dp_state_key *k)
{
	return dp_owner(dp, dp_hash_key(af, k));
}

#endif /* DPF_DP_HASH_H */
