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
 * What the hash covers: the two addresses and the protocol, plus the ports
 * for TCP, UDP and SCTP, each pair ordered so both directions give one
 * value.  ICMP queries hash without their id (their state key carries it
 * as both ports, a pfsync peer may carry it otherwise [OpenBSD pf.c
 * pf_icmp_mapping() keys the id with the type], and the owner must not
 * depend on that), fragments without ports (frag.c hashes the whole
 * datagram again), and an ICMP error as the flow of the datagram it
 * quotes (proto/pkt_quote.h), so that it reaches the worker holding that
 * flow's state.
 */
#ifndef DPF_DP_HASH_H
#define DPF_DP_HASH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

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
 * Symmetric hash of (addresses, protocol, ports): the lower address and
 * port go first, so both directions give the same value.  Fragments and
 * protocols without ports hash on addresses and protocol only.
 */
static inline uint32_t
dp_hash_tuple(const uint8_t *a, const uint8_t *b, unsigned int alen, uint8_t proto,
	      uint16_t pa, uint16_t pb)
{
	uint32_t h = proto;
	uint32_t ports = pa < pb ? (uint32_t)pa << 16 | pb : (uint32_t)pb << 16 | pa;

	/* Fixed-size loads and CRC steps: no library memcmp or byte loop
	 * for every packet.  Order as memcmp() would order the addresses. */
	if (alen == 4) {
		uint32_t x, y;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		if (rte_be_to_cpu_32(x) > rte_be_to_cpu_32(y)) {
			uint32_t t = x;

			x = y;
			y = t;
		}
		h = rte_hash_crc_4byte(x, h);
		h = rte_hash_crc_4byte(y, h);
	} else {
		uint64_t x[2], y[2];

		memcpy(x, a, 16);
		memcpy(y, b, 16);
		if (rte_be_to_cpu_64(x[0]) > rte_be_to_cpu_64(y[0]) ||
		    (x[0] == y[0] && rte_be_to_cpu_64(x[1]) > rte_be_to_cpu_64(y[1]))) {
			uint64_t t0 = x[0], t1 = x[1];

			x[0] = y[0];
			x[1] = y[1];
			y[0] = t0;
			y[1] = t1;
		}
		h = rte_hash_crc_8byte(x[0], h);
		h = rte_hash_crc_8byte(x[1], h);
		h = rte_hash_crc_8byte(y[0], h);
		h = rte_hash_crc_8byte(y[1], h);
	}
	return rte_hash_crc_4byte(ports, h);
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

	if (!frag && dp_proto_has_ports(proto) && l4_len >= 4) {
		sp = (uint16_t)(l4[0] << 8 | l4[1]);
		dpt = (uint16_t)(l4[2] << 8 | l4[3]);
	} else if (!frag && l4_len >= 8 && pkt_icmp_is_error(af, proto, l4[0])) {
		const uint8_t *q = l4 + 8;
		struct pkt_quote pq;

		/* A quote without a whole IP header names no flow: the error's own. */
		if (pkt_quote_flow(q, l4_len - 8, af, &pq) == 0) {
			src = q + pq.src_off;
			dst = q + pq.dst_off;
			proto = pq.proto;
			if (dp_proto_has_ports(proto)) {
				sp = pq.sport;
				dpt = pq.dport;
			}
		}
	}
	/* One call site, so that the compiler inlines the CRC steps here. */
	return dp_hash_tuple(src, dst, alen, proto, sp, dpt);
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
	if (dp_proto_has_ports(proto)) {
		pa = rte_be_to_cpu_16(port[0]);
		pb = rte_be_to_cpu_16(port[1]);
	}
	return dp_hash_tuple(a, b, af == 4 ? 4 : 16, proto, pa, pb);
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
