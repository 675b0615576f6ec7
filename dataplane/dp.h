/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The dataplane as the control core sees it: ports, interfaces, workers,
 * the rings between them, and the read-mostly objects workers use.
 *
 * Threads and ownership (legend for the field tags below):
 *   [I] immutable after dp_start()
 *   [W] the owning worker only
 *   [C] the control core only
 *   [A] shared, accessed with atomics
 *   [P] published by the control core with a pointer swap; the old copy is
 *       freed after every worker has passed a quiescent point (rte_rcu_qsbr)
 *
 * Workers never block and never take a lock.  Each worker polls RX queue w
 * of every port; the control core polls queue ctl_q (= n_workers) of every
 * port, where af_packet fans a share of all traffic; a NIC's RSS sends it
 * none when the device takes dpf's RETA (enum dp_rss).  pfsync reaches the
 * control core by one of three paths, decided at start and shown by `show
 * pfsync`:
 *  - a port of its own (its only interface is the sync interface): the
 *    port has one queue pair, the control core's (ctl_only); workers
 *    neither poll it nor send on it (what they route there goes through
 *    the control core);
 *  - a shared port whose PMD takes an rte_flow rule: IPv4 protocol 240 is
 *    steered to the control core's queue (dp_port_steer_proto());
 *  - otherwise the workers punt it like all traffic to the appliance
 *    (multicast 224.0.0.240 and unicast to an own address are local).
 * Both directions of a flow must be handled by one
 * worker: a packet whose symmetric flow hash names another worker is handed
 * over on an SPSC ring ("hand-off"); a full ring is counted, never waited on.
 */
#ifndef DPF_DP_H
#define DPF_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/clock.h"
#include "dataplane/dp_stats.h"

#define DP_MAX_WORKERS 64
#define DP_CTL_WORKER DP_MAX_WORKERS	/* stats slot of the control core */
#define DP_MAX_ADDRS 16			/* per interface */
#define DP_NEIGH_MAX 4096		/* neighbour table entries when dp_conf.neigh_max is 0 */
/*
 * Static routes' gateways each take a neighbour entry when the FIB is
 * built.  At most a quarter of the table: rte_hash's cuckoo buckets of 8
 * only refuse keys near full, and the rest stays for the neighbours
 * learned on the connected segments.
 */
#define DP_NEIGH_GATEWAYS_MAX (DP_NEIGH_MAX / 4)

/*
 * FIB sizes (route.c), per family [DPDK 22.11 lib/fib, lib/rib]:
 *  - rte_fib gives its rte_rib max_routes * 2 nodes and a prefix takes at
 *    most two (itself and a branch), so DP_FIB_MAX_ROUTES prefixes fit;
 *  - DIR24_8 takes one 256-entry table per /24 network holding a prefix
 *    longer than /24, and refuses the prefix that needs table
 *    DP_FIB4_TBL8 + 1;
 *  - the IPv6 trie reserves, for a prefix longer than /24, one table per 8
 *    bits it reaches past /24 or past the prefix covering it, and refuses
 *    the prefix whose reservation would pass DP_FIB6_TBL8.
 * dp_fib_fit() holds a config to these, never laxer.
 */
#define DP_FIB_MAX_ROUTES (1u << 16)
#define DP_FIB_MAX_PREFIXES DP_FIB_MAX_ROUTES
#define DP_FIB4_TBL8 (1u << 12)
#define DP_FIB6_TBL8 (1u << 14)
#define DP_RING_SIZE 1024		/* hand-off and punt rings */
#define DP_BURST_MAX 64
/*
 * The mbuf private area (struct dp_mbuf_meta, dp_log_meta): a whole cache
 * line, so that the frame, RTE_PKTMBUF_HEADROOM after it, starts on a line
 * as it does in DPDK's own layout.  With 32 bytes the first 64 bytes of
 * every frame lay across two lines, and the second (the IPv4 destination,
 * the ports) missed after the Rx loop's prefetch of the first: path_bench
 * -F (frames out of the caches) 212 cycles of dpf's own per packet against
 * 126 with 64 (docs/BENCHMARKS.md "Speed, eighth pass").
 */
#define DP_MBUF_PRIV 64

/* Metadata carried in the mbuf private area between worker and control. */
struct dp_mbuf_meta {
	uint32_t hash;		/* symmetric flow hash */
	uint16_t iface;		/* ingress interface */
	uint16_t l3_off;	/* offset of the IP header */
	uint16_t nh;		/* next hop (PUNT_RESOLVE, PUNT_TOOBIG) */
	uint8_t punt;		/* enum dp_punt */
	uint8_t af;		/* 4 or 6 */
	uint32_t arg;		/* MTU for PUNT_TOOBIG; ICMP code for RETURN_ICMP */
	uint16_t l4_off;	/* offset of the L4 header from l3_off */
	uint8_t proto;		/* L4 protocol (after IPv6 extension headers) */
	uint8_t frag;		/* any fragment */
	uint32_t rule;		/* rule id for punts caused by a rule */
	uint16_t fragsz;	/* reassembled IPv6: largest fragment, else 0 (frag.c) */
	uint8_t established;	/* it hit a state both sides have sent on (filter.c):
				 * a PUNT_RESOLVE for it is needed, not speculative */
	uint8_t ipopts;		/* IPv4 options or an IPv6 routing header (pf's
				 * badopts): needs allow-opts */
	rte_be32_t frag_id;	/* IPv6 fragment: its identification (frag.c) */
};
_Static_assert(sizeof(struct dp_mbuf_meta) <= DP_MBUF_PRIV, "mbuf priv area too small");

static inline struct dp_mbuf_meta *
dp_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/* Why a worker handed a packet to the control core. */
#define DP_PUNT_LIST(_)                                         \
	_(LOCAL, "local")		/* to us: ARP, ND, ICMP echo */ \
	_(RESOLVE, "resolve")		/* next hop MAC unknown */      \
	_(TTL, "ttl-exceeded")		/* send ICMP time exceeded */   \
	_(NOROUTE, "no-route")		/* send ICMP unreachable */     \
	_(REJECT, "reject")		/* reject route */              \
	_(TOOBIG, "too-big")		/* frag needed / PTB / fragment */ \
	_(RETURN_RST, "return-rst")	/* block return: answer with a TCP RST */ \
	_(RETURN_ICMP, "return-icmp")	/* block return: ICMP unreachable (code in arg) */

enum dp_punt {
#define DP_PUNT_ENUM(sym, str) DP_PUNT_##sym,
	DP_PUNT_LIST(DP_PUNT_ENUM)
#undef DP_PUNT_ENUM
	DP_PUNT_MAX
};

/*
 * How a port's device spreads received flows over its RX queues (struct
 * dp_port.rss, `show interfaces`):
 *  - off: dpf did not turn RSS on (one worker, a port of pfsync's own, or
 *    a device without RSS).  A NIC then delivers to queue 0, a worker's
 *    (the control core's on a pfsync port); what a virtual device puts on
 *    each queue is its own doing (af_packet: the kernel's fanout hash over
 *    all of them, the control core's too, which hands its share on);
 *  - workers: RSS with a RETA whose every entry is a worker's queue (set by
 *    dp_start() and read back from the device);
 *  - all-queues: RSS with the device's own RETA, which the device would
 *    not change: flows land on the control core's queue too, and it hands
 *    them to their owners.
 */
#define DP_RSS_LIST(_)                                          \
	_(OFF, "off")                                           \
	_(WORKERS, "workers")                                   \
	_(ALL, "all-queues")

enum dp_rss {
#define DP_RSS_ENUM(sym, str) DP_RSS_##sym,
	DP_RSS_LIST(DP_RSS_ENUM)
#undef DP_RSS_ENUM
	DP_RSS_MAX
};

/* Name of an RSS mode ("workers"), "?" when out of range. */
const char *dp_rss_name(unsigned int mode);

struct dp_port {
	uint16_t port_id;		/* [I] DPDK port */
	char name[16];			/* [I] config name */
	struct rte_ether_addr mac;	/* [I] */
	uint16_t mtu;			/* [I] */
	uint16_t n_rxq;			/* [I] workers + 1, or 1 when ctl_only */
	uint16_t ctl_q;			/* [I] the control core's queue pair: n_rxq - 1 */
	bool ctl_only;			/* [I] a port of its own for pfsync: the control
					 * core's alone, workers never poll or send on it */
	bool sync_steered;		/* [C] rte_flow steers IP proto 240 to ctl_q */
	uint8_t rss;			/* [I] enum dp_rss */
	uint16_t reta_size;		/* [I] the device's RETA entries (0: no RSS) */
	_Atomic bool link_up;		/* [A] written by the control core */
	uint32_t link_speed;		/* [C] Mb/s */
};

struct dp_addr {
	uint8_t af;			/* 4 or 6 */
	uint8_t plen;
	uint8_t addr[16];
};

struct dp_iface {
	char name[16];			/* [I] */
	uint16_t port;			/* [I] index into dp_main.ports */
	uint16_t vlan;			/* [I] 0 = untagged */
	uint16_t mtu;			/* [I] IP MTU */
	unsigned int n_addrs;		/* [I] */
	struct dp_addr addrs[DP_MAX_ADDRS]; /* [I] configured addresses */
	uint8_t ll6[16];		/* [I] IPv6 link-local (EUI-64 of the port MAC) */
};

/* Next hops: index 0 means "no route". */
#define DP_NH_LIST(_)                                           \
	_(NONE, "none")                                         \
	_(LOCAL, "local")                                       \
	_(CONNECTED, "connected")                               \
	_(GATEWAY, "gateway")                                   \
	_(REJECT, "reject")

enum dp_nh_kind {
#define DP_NH_ENUM(sym, str) DP_NH_##sym,
	DP_NH_LIST(DP_NH_ENUM)
#undef DP_NH_ENUM
	DP_NH_MAX
};

/* Name of a next-hop kind ("gateway"), "?" when out of range. */
const char *dp_nh_name(unsigned int kind);

struct dp_nh {
	uint8_t kind;			/* enum dp_nh_kind */
	uint8_t af;
	uint16_t iface;			/* egress interface (LOCAL: the owning one) */
	uint32_t neigh;			/* GATEWAY: neighbour entry of the gateway */
	uint8_t gw[16];			/* GATEWAY: gateway address */
};

/* Neighbour entries: the MAC word is what workers read. */
#define DP_NEIGH_VALID (1ULL << 63)

struct dp_neigh_entry {
	_Atomic uint64_t mac;		/* [A] DP_NEIGH_VALID | 48-bit MAC, 0 if unresolved */
};

struct rte_hash;
struct rte_fib;
struct dp_rules;
struct dp_state_table;
struct rte_fib6;

/*
 * Routing objects, rebuilt whole and published [P].  The route table
 * itself (prefixes, for `show routes`) is kept with it for the control core.
 */
struct dp_route {
	struct dp_addr dst;
	uint32_t nh;
};

struct dp_fib {
	struct rte_fib *fib4;
	struct rte_fib6 *fib6;
	unsigned int n_nh;
	struct dp_nh *nh;
	unsigned int n_routes;
	struct dp_route *routes;
	unsigned int gen;
};

/*
 * CARP: the virtual MACs and addresses this node is MASTER for, rebuilt
 * whole by the control core (control/carp/carp.c) at every transition and
 * published by pointer swap [P].  Workers test vmac[] for unicast frames to
 * 00:00:5e:00:01:<vhid> [OpenBSD/FreeBSD carp_forus: only for MASTER vhids];
 * the control core answers ARP, ND and echo for vips[].
 */
struct dp_carp_vip {
	uint16_t iface;
	uint8_t af;			/* 4 or 6 */
	uint8_t vhid;
	uint8_t addr[16];
};

struct dp_carp {
	uint64_t vmac[DP_MAX_PORTS][4];	/* bit <vhid>: MASTER for it on the port */
	unsigned int n_vips;
	struct dp_carp_vip vips[];
};

struct dp_main;
struct dp_req_run;

struct dp_worker {
	struct dp_main *dp;		/* [I] */
	unsigned int id;		/* [I] 0..n_workers-1 */
	unsigned int lcore;		/* [I] */
	struct rte_ring *punt;		/* [I] worker -> control, SP/SC */
	struct rte_ring *log;		/* [I] worker -> control pflog records, SP/SC;
					 * NULL when dp_conf.log_snaplen is 0 (dp_log.h) */
	struct dp_stats *stats;		/* [W] */
	struct dp_state_table *states;	/* [W] this worker's shard of the states */
	struct rte_ring *req;		/* [I] control -> worker requests, SP/SC (filter_cmd.h) */
	struct rte_ring *done;		/* [I] worker -> control completions, SP/SC */
	struct rte_ring *sev;		/* [I] worker -> control state events, SP/SC
					 * (state_event.h) */
	struct dp_req_run *req_run;	/* [W] the request being carried out (filter_cmd.c) */
	struct dp_frag *frag;		/* [W] reassembly table (frag.c); NULL = none */
	struct dp_defer *defer;		/* [W] pfsync defer hold queue (defer.h); the
					 * control core reads its counters */
	unsigned int expire_budget;	/* [I] state positions checked a millisecond */
	volatile bool stop;		/* [A] set by the control core */
} __rte_cache_aligned;

struct dp_main {
	unsigned int n_workers;		/* [I] */
	unsigned int burst;		/* [I] */
	unsigned int idle_sleep_us;	/* [I] */
	unsigned int log_snaplen;	/* [I] L3 bytes per pflog record; 0 = pflog off */
	unsigned int n_ports;		/* [I] */
	struct dp_port ports[DP_MAX_PORTS]; /* [I] except link state */
	unsigned int n_ifaces;		/* [I] */
	struct dp_iface ifaces[DP_MAX_IFACES]; /* [I] */
	uint8_t vlan_map[DP_MAX_PORTS][4096]; /* [I] (port, vlan) -> iface + 1, 0 = none */
	struct dp_worker workers[DP_MAX_WORKERS]; /* [I]/[W] */
	/* handoff[src][dst]: src is a worker or DP_CTL_WORKER's index n_workers */
	struct rte_ring *handoff[DP_MAX_WORKERS + 1][DP_MAX_WORKERS]; /* [I] */
	struct dp_stats stats[DP_MAX_WORKERS + 1]; /* [W], [C] for the last used */
	struct rte_mempool *pool;	/* [I] */
	struct rte_mempool *indirect;	/* [I] indirect mbufs for IPv6 refragmentation */
	struct rte_rcu_qsbr *rcu;	/* [I] */
	_Atomic(struct dp_fib *) fib;	/* [P] */
	/*
	 * [C] When set, dp_reclaim() (not waiting) hands an old FIB to it
	 * instead of freeing it on the control core: it calls free_fn(obj) on
	 * another thread (control/app/reload_build.c).
	 */
	void (*free_offload)(void *obj, void (*free_fn)(void *obj));
	_Atomic(struct dp_carp *) carp;	/* [P] NULL: MASTER for nothing */
	_Atomic(struct dp_rules *) rules; /* [P] ruleset and pf options (filter.h) */
	_Atomic uint32_t states_total;	/* [A] states of all workers (limit, adaptive) */
	uint32_t host_id;		/* [I] pfsync creatorid of states made here */
	/* [A] an UPDATE event every this many updates of a state (sync.maxupd,
	 * state_event.h); a reload writes it, workers read it relaxed */
	_Atomic unsigned int sev_maxupd;
	_Atomic bool sync_defer;	/* [A] sync.defer: hold first packets (defer.h);
					 * a reload writes it, workers read it relaxed */
	/* [A] workers log (logging.pflog set): the log rings exist whether it
	 * is set or not, so that a reload turns pflog on and off (dp_log.h) */
	_Atomic bool log_on;
	/*
	 * [C] Written by the control core as it polls (dp_sev_poll() at every
	 * loop): a cache line of their own.  Beside the fields the workers read
	 * for every packet (sev_maxupd above, the neighbour table below), each
	 * of those stores took the line from the worker's cache: about 20
	 * cycles a packet (docs/BENCHMARKS.md, "State events, a poll at a
	 * time").
	 */
	uint32_t req_inflight[DP_MAX_WORKERS] __rte_cache_aligned; /* requests outstanding
								      * (filter_cmd.h) */
	unsigned int sev_rr;		/* first worker of the next dp_sev_poll() */
	struct rte_hash *neigh_hash __rte_cache_aligned; /* [I] lock-free readers, control
							   * writes */
	struct dp_neigh_entry *neigh;	/* [A] array indexed by neigh_hash positions */
	unsigned int neigh_max;		/* [I] slot numbers 0..neigh_max-1 */
	unsigned int neigh_entries;	/* [I] keys the hash holds */
	_Atomic uint32_t neigh_gen;	/* [A] raised by every dp_neigh_del(): workers
					 * drop their slot caches (worker_ctx.h) */
	struct dp_clock clock;		/* [I] the one clock (clock.h), from dp_init() */
};

/* Port setup parameters handed over by the control core. */
struct dp_port_conf {
	const char *name;
	const char *device;		/* DPDK device name (PCI address or vdev) */
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
	bool ctl_only;			/* one queue pair, the control core's (sync port) */
};

struct dp_conf {
	unsigned int n_workers;
	unsigned int burst;
	unsigned int idle_sleep_us;
	unsigned int mbufs;		/* 0 = sized from queues */
	unsigned int neigh_max;		/* 0 = DP_NEIGH_MAX */
	unsigned int log_snaplen;	/* 0 = no pflog rings (dp_log.h) */
	unsigned int n_ports;
	struct dp_port_conf ports[DP_MAX_PORTS];
};

/* Sets up pool, ports, rings, RCU.  Returns 0 or -errno with err filled. */
int dp_init(struct dp_main *dp, const struct dp_conf *conf, char *err, size_t errlen);
/* Adds an interface; call after dp_init(), before dp_start(). */
int dp_iface_add(struct dp_main *dp, const struct dp_iface *ifc, char *err, size_t errlen);
/* Starts ports and launches workers on the worker lcores. */
int dp_start(struct dp_main *dp, char *err, size_t errlen);
/* Stops workers (waits for them), stops and closes ports. */
void dp_stop(struct dp_main *dp);
/*
 * Steers IPv4 packets of IP protocol proto arriving on port p to the
 * control core's queue with an rte_flow rule.  0, or -ENOTSUP (with the
 * PMD's reason in why) when the PMD cannot: then they reach the control
 * core through the workers' punt path.  Sets ports[p].sync_steered.
 */
int dp_port_steer_proto(struct dp_main *dp, unsigned int p, uint8_t proto, char *why,
			size_t len);

/* A route as configured: exactly one of via, iface (>= 0) or reject. */
struct dp_route_conf {
	struct dp_addr dst;
	bool has_via;
	uint8_t via[16];
	int iface;
	bool reject;
};

/*
 * Builds a FIB from the interfaces' connected and local prefixes (ifs, in
 * the order and with the indexes of dp->ifaces) plus the static routes.  A
 * static route whose gateway is on no connected prefix is skipped and
 * reported in *unresolved (may be NULL).  Gateways get their neighbour
 * entries in dp's table.  Nothing is published.  NULL on failure.
 * [C]: dp_fib_build_detached() then dp_fib_bind().
 */
struct dp_fib *dp_fib_build(struct dp_main *dp, const struct dp_iface *ifs, unsigned int n_ifs,
			    const struct dp_route_conf *routes, unsigned int n,
			    unsigned int *unresolved, char *err, size_t errlen);
/*
 * The same FIB with its gateways' next hops not bound to neighbour entries
 * (neigh 0), on NUMA socket socket.  Reads only its arguments and touches
 * nothing shared: any thread may call it, also while the control core runs
 * (the reload's builder thread does).
 */
struct dp_fib *dp_fib_build_detached(int socket, const struct dp_iface *ifs,
				     unsigned int n_ifs, const struct dp_route_conf *routes,
				     unsigned int n, unsigned int *unresolved, char *err,
				     size_t errlen);
/*
 * [C] Gives every gateway next hop of f (not published yet) its neighbour
 * entry, created unresolved if new: O(next hops), not O(routes).  -ENOSPC
 * with err filled when the neighbour table is full.
 */
int dp_fib_bind(struct dp_main *dp, struct dp_fib *f, char *err, size_t errlen);

/*
 * What dp_fib_build() of the same input needs, and whether it fits the FIB
 * sizes and the neighbour table above: the same walk over the prefixes, in
 * the same order, with the allocators' arithmetic instead of the
 * allocations.  Pure C, no EAL: the config check runs it.  It errs on the
 * safe side: a FIB it accepts always builds (memory aside).
 */
struct dp_fib_fit {
	unsigned int unresolved;	/* static routes skipped (gateway unreachable) */
	unsigned int gateways;		/* neighbour entries the gateways take */
	unsigned int prefixes[2];	/* distinct prefixes, IPv4 and IPv6 */
	unsigned int tbl8[2];		/* 256-entry tables reserved, IPv4 and IPv6 */
	/* When it does not fit: the input at fault, and why. */
	int route;			/* index into routes, or -1 */
	int iface, addr;		/* an interface address (ifs[iface].addrs[addr]), or -1 */
	bool via;			/* the route's gateway (not its prefix) is at fault */
	char msg[256];
};

/* 0; -ENOSPC when it does not fit (fit says where); -ENOMEM. */
int dp_fib_fit(const struct dp_iface *ifs, unsigned int n_ifs, const struct dp_route_conf *routes,
	       unsigned int n, struct dp_fib_fit *fit);
/* Publishes a new FIB; the old one is freed by dp_reclaim() after a grace period. */
void dp_fib_publish(struct dp_main *dp, struct dp_fib *fib);
void dp_fib_free(struct dp_fib *fib);
/*
 * At process exit: frees what the FIB holds in libc's heap and leaves its
 * rte_fib/rte_fib6 tables (64 MiB and more of DPDK heap) to
 * rte_eal_cleanup(), which releases the heap whole (control/app/app.c).
 */
void dp_fib_free_at_exit(struct dp_fib *fib);
/* Frees published objects whose grace period is over; wait = block until they are. */
void dp_reclaim(struct dp_main *dp, bool wait);
/* [C] Old objects still waiting for their grace period. */
unsigned int dp_reclaim_pending(void);
/*
 * Queues obj (just unpublished) to be freed with free_fn once every worker
 * has passed a quiescent state.  Never blocks unless 16 objects wait.
 */
void dp_defer_free(struct dp_main *dp, void *obj, void (*free_fn)(void *obj));
/* True if addr is inside prefix p (same family). */
bool dp_addr_in(const struct dp_addr *p, uint8_t af, const uint8_t *addr);
/* True if addr is one of ifc's own: a configured address or the IPv6 link-local. */
bool dp_iface_owns(const struct dp_iface *ifc, uint8_t af, const uint8_t *addr);

/* True if mac is the virtual MAC of a vhid this node is MASTER for on port p. */
static inline bool
dp_carp_vmac(const struct dp_main *dp, unsigned int p, const uint8_t *mac)
{
	const struct dp_carp *c;

	if (mac[0] != 0 || mac[1] != 0 || mac[2] != 0x5e || mac[3] != 0 || mac[4] != 1)
		return false;
	c = atomic_load_explicit(&dp->carp, memory_order_acquire);
	return c != NULL && ((c->vmac[p][mac[5] >> 6] >> (mac[5] & 63)) & 1);
}

/* The virtual address addr on interface ifx (any if ifx < 0) that this node
 * is MASTER for, or NULL.  Control core only (linear: a handful of VIPs). */
static inline const struct dp_carp_vip *
dp_carp_vip_find(const struct dp_main *dp, int ifx, uint8_t af, const uint8_t *addr)
{
	const struct dp_carp *c = atomic_load_explicit(&dp->carp, memory_order_acquire);
	unsigned int i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n_vips; i++) {
		const struct dp_carp_vip *v = &c->vips[i];

		if (v->af == af && (ifx < 0 || v->iface == ifx) &&
		    memcmp(v->addr, addr, af == 4 ? 4 : 16) == 0)
			return v;
	}
	return NULL;
}

/* Worker entry point (rte_eal_remote_launch). */
int dp_worker_main(void *arg);

/*
 * The worker of RETA entry `entry` (or of a hash's low bits): the low 6
 * bits split into n_workers runs of equal length (give or take one).  A
 * NIC indexes its RETA by the hash's low bits, and RETAs have 64 entries
 * or a multiple of 64 (128 to 2048), so dp.c programs entry i with
 * dp_owner_of(i) and the queue a NIC picks is the worker dp_owner()
 * picks.  (A smaller table would place some flows elsewhere: they are
 * handed over, as on any device.)
 */
#define DP_OWNER_BITS 6
static inline unsigned int
dp_owner_of(unsigned int n_workers, uint32_t entry)
{
	return ((entry & ((1u << DP_OWNER_BITS) - 1)) * n_workers) >> DP_OWNER_BITS;
}

/* The worker owning flow hash `hash` (dp_hash.h: of a packet or a state key). */
static inline unsigned int
dp_owner(const struct dp_main *dp, uint32_t hash)
{
	return dp_owner_of(dp->n_workers, hash);
}

/* Sums every worker's and the control core's stats into *sum. */
void dp_stats_sum(const struct dp_main *dp, struct dp_stats *sum);

/* Neighbour table (neigh.c): control-core writes, worker reads. */
int dp_neigh_init(struct dp_main *dp, unsigned int max);
/* Returns the entry index for (iface, af, addr), creating it unresolved; -1 if full. */
int dp_neigh_get(struct dp_main *dp, uint16_t iface, uint8_t af, const uint8_t *addr,
		 bool create);
int dp_neigh_lookup(const struct dp_main *dp, uint16_t iface, uint8_t af,
		    const uint8_t *addr);
void dp_neigh_key_decode(const void *key, uint16_t *iface, uint8_t *af, uint8_t *addr);
/*
 * Removes slot's key, its MAC word zeroed first; the slot stays taken
 * until dp_neigh_free(), which the control core calls only after an RCU
 * grace period (the contract is in neigh.c).  -ENOENT if slot is free.
 */
int dp_neigh_del(struct dp_main *dp, uint32_t slot);
void dp_neigh_free(struct dp_main *dp, uint32_t slot);
/* Keys in the table (not counting deleted slots awaiting dp_neigh_free). */
unsigned int dp_neigh_count(const struct dp_main *dp);

#endif /* DPF_DP_H */
