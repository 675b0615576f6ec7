/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control core's packet work: ARP and ND for the appliance's addresses
 * (answering, learning, resolving next hops with a bounded queue of waiting
 * packets), ICMP and ICMPv6 echo for own addresses, rate-limited ICMP
 * errors (time exceeded, unreachable, fragmentation needed / packet too
 * big), IPv4 fragmentation for the egress MTU, and the control core's own
 * RX queue (hand-off to the owning worker) and TX queue.
 *
 * Ownership: [C] all of it runs on the control core; it writes neighbour
 * MAC words that workers read (dp_neigh_entry, atomics).
 */
#ifndef DPF_CONTROL_LOCAL_H
#define DPF_CONTROL_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "control/local/nbr.h"
#include "dataplane/dp.h"
#include "dataplane/dp_tx.h"
#include "proto/pkt.h"

#define LOCAL_PENDING_MAX 1024		/* packets waiting for ARP/ND, all neighbours */
#define LOCAL_PENDING_PER_NEIGH 64
#define LOCAL_SOLICIT_TRIES 3
#define LOCAL_SOLICIT_INTERVAL_MS 1000
#define LOCAL_REACHABLE_S 300		/* re-probe a neighbour after this long */
#define LOCAL_ICMP_RATE 100		/* ICMP errors per second, burst as many */

/*
 * Neighbour resolution state per slot [C].  REACHABLE is entered only by
 * an answer to our own solicitation (from INCOMPLETE, PROBE or FAILED);
 * an ARP request or NS that names a sender we had no entry for makes a
 * STALE one [RFC 4861 7.2.3, RFC 826 merge], which a later unsolicited
 * packet keeps STALE: a host cannot make its own entries permanent.
 */
#define NEIGH_STATE_LIST(_)                     \
	_(NONE, "none")                         \
	_(INCOMPLETE, "incomplete")             \
	_(REACHABLE, "reachable")               \
	_(STALE, "stale")                       \
	_(PROBE, "probe")                       \
	_(FAILED, "failed")

enum neigh_state {
#define NEIGH_STATE_ENUM(sym, str) NEIGH_##sym,
	NEIGH_STATE_LIST(NEIGH_STATE_ENUM)
#undef NEIGH_STATE_ENUM
	NEIGH_STATE_MAX
};

const char *neigh_state_name(unsigned int s);

struct local_neigh {
	uint8_t state;
	uint8_t tries;
	uint16_t pending;
	uint64_t next_us;		/* next solicitation (dp clock, clock.h) */
	uint64_t confirmed_us;		/* last reply */
};

/* A deleted neighbour slot waiting for its RCU grace period (neigh.c). */
struct local_nfree {
	uint32_t slot;
	uint64_t token;			/* rte_rcu_qsbr_start() after the delete */
};

struct local_pending {
	struct rte_mbuf *m;
	uint32_t slot;
	uint16_t iface;
	uint8_t af;
};

/*
 * Protocol handlers.  A packet addressed to the appliance (one of its
 * addresses, a virtual address it is MASTER for, or a multicast group the
 * control core listens to) is parsed and checksummed by local, then given
 * to the handler registered for its IP protocol (or LOCAL_PROTO_ARP).  The
 * handler consumes it and returns true, or returns false to refuse it:
 * a refused or unclaimed packet is dropped and counted local-unhandled.
 * Local registers ARP, ICMP and ICMPv6 itself; CARP (112) and pfsync
 * (240) register theirs when they are created, so a subsystem plugs in
 * without local knowing it.
 */
#define LOCAL_PROTO_ARP 256		/* the slot for ARP, after the IP protocols */
#define LOCAL_PROTO_MAX 257

typedef bool (*local_proto_fn)(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm);

struct local_proto {
	local_proto_fn fn;
	void *arg;
};

struct local {
	struct dp_main *dp;
	struct local_proto proto[LOCAL_PROTO_MAX];
	bool punted;			/* the packet being handled came off a worker's
					 * punt ring (else a control-core RX queue); read
					 * by a local_proto_fn during its call only */
	struct dp_stats *st;
	struct rte_mempool *indirect;	/* for IPv4 fragmentation */
	struct local_neigh *neigh;	/* dp->neigh_max slots */
	struct nbr nbr;			/* who gets a slot, which goes (nbr.h) */
	struct local_nfree *nfree;	/* FIFO of deleted slots, dp->neigh_max */
	uint32_t nfree_head, nfree_n;
	unsigned int pin_gen;		/* dp_fib.gen whose gateways nbr has pinned */
	struct dp_txbuf tx[DP_MAX_PORTS];
	unsigned int n_pending;
	struct local_pending pending[LOCAL_PENDING_MAX];
	uint64_t icmp_tokens;
	uint64_t icmp_us;		/* last token refill (dp clock) */
	uint64_t timer_us;		/* last local_timers() run */
	uint64_t icmp_sent;
	uint64_t rst_sent;		/* block return: TCP RSTs */
	uint64_t arp_replies;
	uint64_t nd_replies;
	uint64_t echo_replies;
	uint64_t solicits;
};

int local_init(struct local *l, struct dp_main *dp);
void local_fini(struct local *l);
/*
 * Announces an address of ours that a reload added to interface ifx:
 * gratuitous ARP (af 4) or unsolicited NA to all nodes (af 6), from the
 * port's MAC, queued on the control core's TX queue.
 */
void local_announce(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr);
/* Starts resolving (iface, af, addr) unless it is resolved or in progress. */
void local_resolve(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr);
/* Bounded work: punt rings, own RX queues, timers, TX flush.  Returns work done. */
unsigned int local_poll(struct local *l);

/*
 * Sets the handler of IP protocol proto (0..255) or LOCAL_PROTO_ARP;
 * fn NULL removes it.  -EINVAL for a bad slot, -EEXIST if another handler
 * holds it.
 */
int local_proto_register(struct local *l, unsigned int proto, local_proto_fn fn, void *arg);

/*
 * Queues a complete frame for port p on the control core's TX queue
 * (counted on the port); it leaves at the end of local_poll() or at once
 * with local_tx_flush().  A full TX ring is counted (tx-full), never waited on.
 */
void local_tx(struct local *l, unsigned int p, struct rte_mbuf *m);
void local_tx_flush(struct local *l, unsigned int p);

/*
 * Sends m, whose IP header starts at l3_off (dp_meta(m)->l3_off too), out
 * of interface ifx to dst_mac: the L2 header is rewritten (port MAC as
 * source, the interface's VLAN tag), as for a frame the appliance
 * originates.  For multicast and other destinations that need no
 * resolution.
 */
void local_output(struct local *l, struct rte_mbuf *m, uint16_t l3_off, uint16_t ifx,
		  const uint8_t *dst_mac);
/*
 * Sends the IP packet m (dp_meta(m)->af and l3_off set) to its destination:
 * routed, its next hop resolved with ARP/ND (the packet waits, bounded).
 */
void local_ip_output(struct local *l, struct rte_mbuf *m, uint16_t l3_off);
/* The egress interface of a route to addr, or -1 (no route, local, reject). */
int local_route_iface(struct local *l, uint8_t af, const uint8_t *addr);

#endif /* DPF_CONTROL_LOCAL_H */
