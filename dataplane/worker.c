/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the worker loop.
 *
 * One worker per worker lcore.  Each iteration: RX burst from queue w of
 * every port, then the hand-off rings from the other workers and the
 * control core; flush TX and hand-off buffers; the control core's requests
 * (filter_cmd.h); the first packets sync.defer held and now released, by
 * the peer's ack or the timeout (defer_stage.h); once a millisecond the timers (expiry, a slice of a
 * KILL or FLUSH, fragments); report a quiescent state.  Time is the dp
 * clock (clock.h), read once per iteration.
 *
 * Per packet, the fast path validates only what forwarding needs (Ethernet,
 * one 802.1Q tag, the IPv4 header or the IPv6 header and extension chain,
 * the L4 ports) and counts everything it refuses; packets for the
 * appliance itself, packets needing ARP/ND, and packets needing an ICMP
 * error go to the control core on the punt ring.  Forwarded packets get
 * their TTL or hop limit decremented (RFC 1624 checksum update), new MACs,
 * and the egress interface's VLAN tag.
 *
 * Both directions of a flow are handled by one worker: the owner is taken
 * from a symmetric hash of (addresses, ports) computed in software, the
 * one a NIC's RSS computes with dpf's key and RETA (dp_hash.h), so a NIC
 * delivers a flow to its owner and correctness never depends on it.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dataplane/defer.h"
#include "dataplane/defer_stage.h"
#include "dataplane/dp.h"
#include "dataplane/dp_parse.h"
#include "dataplane/dp_run.h"
#include "dataplane/dp_tx.h"
#include "dataplane/filter_stage.h"
#include "dataplane/frag_stage.h"
#include "dataplane/worker_ctx.h"
#include "proto/cksum.h"

void
dp_tx_flush(struct dp_wctx *c, unsigned int p)
{
	uint16_t lost = dp_txbuf_send(&c->tx[p], c->dp->ports[p].port_id, c->w->id);

	if (unlikely(lost != 0)) {
		c->st->drop[DP_DROP_TX_FULL] += lost;
		c->st->port[p].drops += lost;
	}
}

void
dp_handoff_flush(struct dp_wctx *c, unsigned int dst)
{
	struct dp_txbuf *b = &c->ho[dst];
	unsigned int n;

	if (b->n == 0)
		return;
	n = rte_ring_sp_enqueue_burst(c->dp->handoff[c->w->id][dst], (void **)b->pkts, b->n,
				      NULL);
	c->st->handoff_out += n;
	if (unlikely(n < b->n)) {
		c->st->drop[DP_DROP_HANDOFF_FULL] += b->n - n;
		rte_pktmbuf_free_bulk(&b->pkts[n], b->n - n);
	}
	b->n = 0;
}

/*
 * How many packets ahead the Rx loop prefetches a frame's first line and
 * its meta: path_bench -F (frames evicted, as after a NIC's DMA), 1k
 * flows, dpf - io 212 cycles with 2 and a 32-byte private area, 111 with
 * 4 (and the 64-byte one, dp.h), 100-106 with 8, which costs 1-2 cycles
 * when the lines are warm; 4 costs nothing then (docs/BENCHMARKS.md).
 */
#define DP_RX_PREFETCH 4

/* A received frame's first line, and its meta line for the parse to write. */
static inline void
dp_rx_prefetch(struct rte_mbuf *m)
{
	rte_prefetch0(rte_pktmbuf_mtod(m, void *));
	/* (rte_prefetch0_write is experimental in 22.11) */
	__builtin_prefetch(dp_meta(m), 1, 3);
}

/*
 * Next hops of n owned packets: IPv4 destinations in one rte_fib bulk
 * lookup, IPv6 in another.  nh[i] gets an index into c->fib->nh (0 = none).
 */
static void
dp_route_burst(struct dp_wctx *c, struct rte_mbuf **pkts, uint32_t *nh, unsigned int n)
{
	uint32_t dst4[DP_BURST_MAX];
	uint8_t dst6[DP_BURST_MAX][16];
	uint64_t res4[DP_BURST_MAX], res6[DP_BURST_MAX];
	uint8_t idx4[DP_BURST_MAX], idx6[DP_BURST_MAX];
	unsigned int i, n4 = 0, n6 = 0;

	for (i = 0; i < n; i++) {
		const struct dp_mbuf_meta *md = dp_meta(pkts[i]);
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, md->l3_off);

		if (md->af == 4) {
			rte_be32_t d;

			/* l3 is 2 mod 4 behind a 14-byte Ethernet header */
			memcpy(&d, l3 + 16, sizeof(d));
			dst4[n4] = rte_be_to_cpu_32(d);
			idx4[n4++] = (uint8_t)i;
		} else {
			memcpy(dst6[n6], l3 + 24, 16);
			idx6[n6++] = (uint8_t)i;
		}
	}
	if (n4 != 0)
		rte_fib_lookup_bulk(c->fib->fib4, dst4, res4, n4);
	if (n6 != 0)
		rte_fib6_lookup_bulk(c->fib->fib6, dst6, res6, n6);
	for (i = 0; i < n4; i++)
		nh[idx4[i]] = res4[i] < c->fib->n_nh ? (uint32_t)res4[i] : 0;
	for (i = 0; i < n6; i++)
		nh[idx6[i]] = res6[i] < c->fib->n_nh ? (uint32_t)res6[i] : 0;
}

/*
 * The neighbour slot of (iface, af, addr), or -1 if the table has none:
 * from the worker's direct-mapped cache, else from the table (rte_hash,
 * some 70 cycles: paid per packet to a connected destination before this
 * cache, path_bench -c -s).  Slots are kept across polls; the poll empties
 * the cache when dp->neigh_gen moves (the contract in neigh.c).  A slot's
 * MAC word is read by the caller each time, so re-resolution is seen.
 */
/* Equal addresses of family af (4 or 16 bytes), without a memcmp call. */
static inline bool
dp_addr_eq(const uint8_t *a, const uint8_t *b, uint8_t af)
{
	uint64_t x[2], y[2];
	uint32_t u, v;

	if (af == 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static int
dp_nbr_slot(struct dp_wctx *c, uint16_t iface, uint8_t af, const uint8_t *addr)
{
	unsigned int len = af == 4 ? 4 : 16;
	struct dp_nbr_cache_entry *e;
	uint32_t x;
	int slot;

	memcpy(&x, addr + len - 4, 4);
	x = (x ^ iface) * 0x9e3779b1u;
	e = &c->nbr[x >> (32 - 10)];
	RTE_BUILD_BUG_ON(DP_NBR_CACHE != 1 << 10);
	if (e->af == af && e->iface == iface && dp_addr_eq(e->addr, addr, af))
		return e->slot;
	slot = dp_neigh_lookup(c->dp, iface, af, addr);
	if (slot >= 0) {
		memcpy(e->addr, addr, len);
		e->iface = iface;
		e->af = af;
		e->slot = slot;
	}
	return slot;
}

/*
 * The owner's last part: TTL, MTU, neighbour, rewrite, transmit to next
 * hop nhid.  The packet's meta (af, l3_off, iface, hash) is filled in.
 */
static void
dp_forward(struct dp_wctx *c, struct rte_mbuf *m, uint32_t nhid)
{
	struct dp_main *dp = c->dp;
	struct dp_mbuf_meta *md = dp_meta(m);
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off);
	const struct dp_nh *nh = &c->fib->nh[nhid];
	const struct dp_iface *oif;
	uint64_t mac;
	uint32_t ip_len;
	bool refrag = false;
	int idx;

	switch (nh->kind) {
	case DP_NH_LOCAL:
		c->st->local_pkts++;
		dp_punt(c, m, DP_PUNT_LOCAL);
		return;
	case DP_NH_REJECT:
		c->st->drop[DP_DROP_REJECT_ROUTE]++;
		dp_punt(c, m, DP_PUNT_REJECT);
		return;
	case DP_NH_CONNECTED:
	case DP_NH_GATEWAY:
		break;
	default:
		c->st->drop[DP_DROP_NO_ROUTE]++;
		dp_punt(c, m, DP_PUNT_NOROUTE);
		return;
	}
	/* TTL / hop limit: a router must not forward a packet arriving with 1. */
	if (unlikely((md->af == 4 ? l3[8] : l3[7]) <= 1)) {
		c->st->drop[DP_DROP_TTL_EXCEEDED]++;
		dp_punt(c, m, DP_PUNT_TTL);
		return;
	}
	ip_len = md->af == 4 ? rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 2)) :
			       40u + rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 4));
	oif = &dp->ifaces[nh->iface];
	/* A reassembled IPv6 datagram leaves in fragments of its largest. */
	if (unlikely(md->fragsz != 0) && ip_len > md->fragsz) {
		refrag = true;
		ip_len = md->fragsz;
	}
	if (unlikely(ip_len > oif->mtu)) {
		md->nh = (uint16_t)nhid;
		md->arg = oif->mtu;
		c->st->drop[DP_DROP_TOO_BIG]++;
		dp_punt(c, m, DP_PUNT_TOOBIG);
		return;
	}
	/* A sync port of its own is the control core's: it sends for us. */
	if (unlikely(dp->ports[oif->port].ctl_only)) {
		md->nh = (uint16_t)nhid;
		dp_punt(c, m, DP_PUNT_RESOLVE);
		return;
	}
	if (nh->kind == DP_NH_GATEWAY)
		idx = (int)nh->neigh;
	else
		idx = dp_nbr_slot(c, nh->iface, md->af, md->af == 4 ? l3 + 16 : l3 + 24);
	mac = idx >= 0 ? atomic_load_explicit(&dp->neigh[idx].mac, memory_order_acquire) : 0;
	if (unlikely(!(mac & DP_NEIGH_VALID))) {
		md->nh = (uint16_t)nhid;
		dp_punt(c, m, DP_PUNT_RESOLVE);
		return;
	}
	if (md->af == 4) {
		uint16_t from = rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 8));
		uint16_t ck = rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 10));

		l3[8]--;
		ck = proto_cksum_update16(ck, from, (uint16_t)(from - 0x100));
		*(rte_be16_t *)(l3 + 10) = rte_cpu_to_be_16(ck);
	} else {
		l3[7]--;
		if (unlikely(refrag)) {
			c->st->fwd_pkts++;
			c->st->iface[nh->iface].tx_pkts++;
			c->st->iface[nh->iface].tx_bytes += m->pkt_len;
			dp_frag6_out(c, m, oif, mac);
			return;
		}
	}
	if (unlikely(!dp_l2_rewrite(m, md->l3_off, &dp->ports[oif->port], oif, mac,
				    md->af == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6))) {
		dp_drop(c, m, DP_DROP_NO_MBUF);
		return;
	}
	c->st->fwd_pkts++;
	c->st->iface[nh->iface].tx_pkts++;
	c->st->iface[nh->iface].tx_bytes += m->pkt_len;
	dp_tx(c, oif->port, m);
}

/*
 * What dp_forward() works out from a next hop alone, once for a run of
 * packets to the same next hop: the egress port and its Tx buffer, the
 * MTU, and the L2 header to write.  usable is false where dp_forward()
 * must decide per packet (local, reject, no route, the sync port, an
 * unresolved gateway); connected next hops take the neighbour from a
 * one-entry cache of the last destination.
 */
struct dp_fwd_run {
	uint32_t nhid;
	bool usable;
	bool connected;
	uint16_t iface;
	uint16_t port;
	uint16_t mtu;
	uint8_t hlen;			/* 14, or 18 with the egress VLAN tag */
	uint8_t dst_af;			/* connected: the cached destination's family */
	uint8_t dst[16];		/* connected: the cached destination */
	uint8_t hdr[2][18];		/* L2 header for IPv4, IPv6 (dst MAC filled for
					 * a gateway or the cached destination) */
	uint64_t pkts, bytes;		/* counted into the stats when the run ends */
};

static inline void
dp_fwd_run_hdr(struct dp_fwd_run *r, uint64_t mac)
{
	/* The neighbour word holds the MAC in its low 48 bits, first byte
	 * highest: byte-swapped, its first six bytes are the wire order. */
	uint64_t w = rte_bswap64(mac << 16);

	memcpy(r->hdr[0], &w, 6);
	memcpy(r->hdr[1], &w, 6);
}

static void
dp_fwd_run_end(struct dp_wctx *c, struct dp_fwd_run *r)
{
	if (r->pkts == 0)
		return;
	c->st->fwd_pkts += r->pkts;
	c->st->iface[r->iface].tx_pkts += r->pkts;
	c->st->iface[r->iface].tx_bytes += r->bytes;
	c->st->port[r->port].tx_pkts += r->pkts;
	c->st->port[r->port].tx_bytes += r->bytes;
	r->pkts = r->bytes = 0;
}

static void
dp_fwd_run_start(struct dp_wctx *c, struct dp_fwd_run *r, uint32_t nhid)
{
	const struct dp_main *dp = c->dp;
	const struct dp_nh *nh = &c->fib->nh[nhid];
	const struct dp_iface *oif;
	const struct dp_port *op;
	unsigned int a;
	uint64_t mac;

	dp_fwd_run_end(c, r);
	r->nhid = nhid;
	r->usable = false;
	r->dst_af = 0;
	if (nh->kind != DP_NH_CONNECTED && nh->kind != DP_NH_GATEWAY)
		return;
	oif = &dp->ifaces[nh->iface];
	op = &dp->ports[oif->port];
	if (op->ctl_only)
		return;
	r->connected = nh->kind == DP_NH_CONNECTED;
	if (!r->connected) {
		mac = atomic_load_explicit(&dp->neigh[nh->neigh].mac, memory_order_acquire);
		if (!(mac & DP_NEIGH_VALID))
			return;
		dp_fwd_run_hdr(r, mac);
	}
	r->iface = nh->iface;
	r->port = oif->port;
	r->mtu = oif->mtu;
	r->hlen = oif->vlan ? 18 : 14;
	for (a = 0; a < 2; a++) {
		uint8_t *h = r->hdr[a];
		uint16_t et = a == 0 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;

		memcpy(h + 6, op->mac.addr_bytes, 6);
		if (oif->vlan) {
			*(rte_be16_t *)(h + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
			*(rte_be16_t *)(h + 14) = rte_cpu_to_be_16(oif->vlan);
			*(rte_be16_t *)(h + 16) = rte_cpu_to_be_16(et);
		} else {
			*(rte_be16_t *)(h + 12) = rte_cpu_to_be_16(et);
		}
	}
	r->usable = true;
}

/*
 * A connected next hop's neighbour for destination dst: from the run's
 * one-entry cache, else looked up (and cached when resolved).  Returns
 * false when it is not resolved: dp_forward() punts the packet.
 */
static bool
dp_fwd_run_neigh(struct dp_wctx *c, struct dp_fwd_run *r, uint8_t af, const uint8_t *dst)
{
	unsigned int len = af == 4 ? 4 : 16;
	uint64_t mac;
	int idx;

	if (r->dst_af == af && dp_addr_eq(r->dst, dst, af))
		return true;
	idx = dp_nbr_slot(c, r->iface, af, dst);
	mac = idx >= 0 ? atomic_load_explicit(&c->dp->neigh[idx].mac, memory_order_acquire) : 0;
	if (!(mac & DP_NEIGH_VALID))
		return false;
	dp_fwd_run_hdr(r, mac);
	r->dst_af = af;
	memcpy(r->dst, dst, len);
	return true;
}

/*
 * dp_forward() for a burst, with what depends only on the next hop worked
 * out once per run of packets to the same next hop (most bursts are one
 * run), the counters added once per run, and the Tx buffer's fill kept in
 * a register: per packet only the TTL, the length against the MTU, the
 * checksum update and the L2 header.  Any packet that needs more than that
 * (TTL 1, too big, a reassembled IPv6 datagram, a VLAN change of header
 * length, an unresolved neighbour) goes through dp_forward() itself, so
 * both take the same decisions.
 */
static void
dp_forward_burst(struct dp_wctx *c, struct rte_mbuf **pkts, const uint32_t *nhs, unsigned int n)
{
	struct dp_fwd_run r;
	unsigned int i;

	r.nhid = UINT32_MAX;
	r.pkts = r.bytes = 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_mbuf_meta *md = dp_meta(m);
		uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off);
		struct dp_txbuf *b;
		uint32_t ip_len;
		uint8_t *eth;

		if (i + 1 < n)
			rte_prefetch0(dp_meta(pkts[i + 1]));
		if (nhs[i] != r.nhid)
			dp_fwd_run_start(c, &r, nhs[i]);
		if (unlikely(!r.usable || md->fragsz != 0 || md->l3_off != r.hlen))
			goto slow;
		if (md->af == 4) {
			uint16_t from, ck;

			if (unlikely(l3[8] <= 1))
				goto slow;
			ip_len = rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 2));
			if (unlikely(ip_len > r.mtu))
				goto slow;
			if (r.connected && !dp_fwd_run_neigh(c, &r, 4, l3 + 16))
				goto slow;
			from = rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 8));
			ck = rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 10));
			l3[8]--;
			ck = proto_cksum_update16(ck, from, (uint16_t)(from - 0x100));
			*(rte_be16_t *)(l3 + 10) = rte_cpu_to_be_16(ck);
		} else {
			if (unlikely(l3[7] <= 1))
				goto slow;
			ip_len = 40u + rte_be_to_cpu_16(*(rte_be16_t *)(l3 + 4));
			if (unlikely(ip_len > r.mtu))
				goto slow;
			if (r.connected && !dp_fwd_run_neigh(c, &r, 6, l3 + 24))
				goto slow;
			l3[7]--;
		}
		eth = rte_pktmbuf_mtod(m, uint8_t *);
		/* Constant lengths: a runtime one was a call to libc's memcpy
		 * for every packet (objdump of dp_process). */
		if (r.hlen == 14)
			memcpy(eth, r.hdr[md->af != 4], 14);
		else
			memcpy(eth, r.hdr[md->af != 4], 18);
		m->ol_flags &= ~(RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
		r.pkts++;
		r.bytes += m->pkt_len;
		b = &c->tx[r.port];
		b->pkts[b->n++] = m;
		if (b->n == DP_BURST_MAX) {
			/* dp_tx_flush counts what the queue refused */
			dp_tx_flush(c, r.port);
		}
		continue;
slow:
		dp_fwd_run_end(c, &r);
		dp_forward(c, m, nhs[i]);
	}
	dp_fwd_run_end(c, &r);
}

/* Owned packets: route, filter, forward.  frags: some may be fragments. */
static void
dp_process(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int n, bool frags)
{
	uint32_t nh[DP_BURST_MAX];

	if (n == 0)
		return;
	if (unlikely(frags)) {
		n = dp_frag_burst(c, pkts, n);
		if (n == 0)
			return;
	}
	dp_route_burst(c, pkts, nh, n);
	n = dp_filter_burst(c, pkts, nh, n);
	dp_forward_burst(c, pkts, nh, n);
}

/* The interfaces' receive counters of a burst, per run of one interface
 * (dp_run.h; a port's burst is mostly one interface). */
static inline void
dp_rx_run_sink(struct dp_wctx *c, int32_t iface, uint32_t pkts, uint64_t bytes)
{
	c->st->iface[iface].rx_pkts += pkts;
	c->st->iface[iface].rx_bytes += bytes;
}

/*
 * First look at a packet from a port: L2, interface, L3 validation, local
 * delivery, and the owner check; counted as received by its interface
 * (into run; the caller counts the port's).  Returns true if this worker
 * owns the packet and it goes on to dp_process(); otherwise it was
 * consumed.
 */
static bool
dp_input(struct dp_wctx *c, unsigned int p, struct rte_mbuf *m, struct dp_ctr_run *run)
{
	struct dp_parse pr;
	unsigned int owner;

	if (unlikely(dp_rx_parse_uncounted(c->dp, c->st, p, m, &pr) != DP_PARSE_OK)) {
		c->st->port[p].drops++;
		dp_drop(c, m, pr.drop);
		return false;
	}
	dp_ctr_run_add(c, run, pr.iface, m->pkt_len, dp_rx_run_sink);
	if (pr.local) {
		c->st->local_pkts++;
		dp_punt(c, m, DP_PUNT_LOCAL);
		return false;
	}
	owner = c->dp->n_workers > 1 ? dp_owner(c->dp, pr.hash) : 0;
	if (owner != c->w->id) {
		dp_handoff(c, owner, m);
		return false;
	}
	return true;
}

void
dp_worker_begin(struct dp_wctx *c, struct dp_worker *w)
{
	memset(c, 0, sizeof(*c));
	c->dp = w->dp;
	c->w = w;
	c->st = w->stats;
	c->states = w->states;
	c->tsc_per_ms = w->dp->clock.hz / 1000 ? w->dp->clock.hz / 1000 : 1;
	c->hk_tsc = rte_rdtsc();
}

unsigned int
dp_worker_poll(struct dp_wctx *c)
{
	struct dp_main *dp = c->dp;
	struct dp_worker *w = c->w;
	struct rte_mbuf *pkts[DP_BURST_MAX];
	uint32_t nh[DP_BURST_MAX];
	unsigned int i, p, src, work = 0;
	uint32_t gen;

	c->tsc = rte_rdtsc();
	c->now = dp_clock_s_at(&dp->clock, c->tsc);
	gen = atomic_load_explicit(&dp->neigh_gen, memory_order_acquire);
	if (unlikely(gen != c->nbr_gen)) {
		memset(c->nbr, 0, sizeof(c->nbr));
		c->nbr_gen = gen;
	}
	c->fib = atomic_load_explicit(&dp->fib, memory_order_acquire);
	c->rules = atomic_load_explicit(&dp->rules, memory_order_acquire);
	for (p = 0; p < dp->n_ports; p++) {
		struct dp_ctr_run run = DP_CTR_RUN_INIT;
		uint64_t bytes = 0;
		uint16_t n;
		unsigned int own = 0;
		bool frags = false;

		if (unlikely(dp->ports[p].ctl_only))
			continue;
		n = rte_eth_rx_burst(dp->ports[p].port_id, w->id, pkts, dp->burst);
		if (n == 0)
			continue;
		c->st->rx_pkts += n;
		work += n;
		/* The headers, and the meta line the parse writes: a fresh
		 * mbuf's third line is cold (its first two the PMD wrote), and a
		 * NIC's DMA leaves the frame in the LLC at best.  The first
		 * DP_RX_PREFETCH before the loop, then that far ahead. */
		for (i = 0; i < RTE_MIN((unsigned int)n, (unsigned int)DP_RX_PREFETCH); i++)
			dp_rx_prefetch(pkts[i]);
		for (i = 0; i < n; i++) {
			if (i + DP_RX_PREFETCH < n)
				dp_rx_prefetch(pkts[i + DP_RX_PREFETCH]);
			bytes += pkts[i]->pkt_len;	/* before dp_input() may free it */
			if (dp_input(c, p, pkts[i], &run)) {
				frags |= dp_meta(pkts[i])->frag != 0;
				pkts[own++] = pkts[i];
			}
		}
		dp_ctr_run_flush(c, &run, dp_rx_run_sink);
		c->st->port[p].rx_pkts += n;
		c->st->port[p].rx_bytes += bytes;
		dp_process(c, pkts, own, frags);
	}
	for (src = 0; src <= dp->n_workers; src++) {
		struct rte_ring *r = dp->handoff[src][w->id];
		unsigned int n;

		if (r == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(r, (void **)pkts, DP_BURST_MAX, NULL);
		c->st->handoff_in += n;
		work += n;
		dp_process(c, pkts, n, true);
	}
	for (i = 0; i < dp->n_workers; i++)
		dp_handoff_flush(c, i);
	for (p = 0; p < dp->n_ports; p++)
		dp_tx_flush(c, p);
	work += dp_filter_requests(c);
	/* First packets released by the peer's ack or the timeout
	 * (sync.defer): routed now, then forwarded and sent at once. */
	if (unlikely(w->defer != NULL && dp_defer_busy(w->defer))) {
		unsigned int n = dp_defer_poll(c, pkts, DP_BURST_MAX);

		work += 1;	/* a held packet's deadline: no idle sleep */
		if (n != 0) {
			dp_route_burst(c, pkts, nh, n);
			for (i = 0; i < n; i++)
				dp_forward(c, pkts[i], nh[i]);
			for (p = 0; p < dp->n_ports; p++)
				dp_tx_flush(c, p);
		}
	}
	/* Timers once a millisecond, not every poll: at 10 Mpps a poll
	 * takes a few microseconds, and their work is paced by time. */
	if (unlikely(c->tsc - c->hk_tsc >= c->tsc_per_ms)) {
		c->hk_ms = (unsigned int)RTE_MIN((c->tsc - c->hk_tsc) / c->tsc_per_ms, 64u);
		c->hk_tsc = c->tsc;
		dp_filter_housekeeping(c);
		dp_frag_housekeeping(c);
	}
	/* This poll's state events on the ring at once (worker_ctx.h). */
	dp_state_events_flush(c);
	c->st->polls++;
	if (work)
		c->st->busy_polls++;
	return work;
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_main *dp = w->dp;
	struct dp_wctx c;

	dp_worker_begin(&c, w);
	rte_rcu_qsbr_thread_register(dp->rcu, w->id);
	rte_rcu_qsbr_thread_online(dp->rcu, w->id);
	while (!w->stop) {
		unsigned int work = dp_worker_poll(&c);

		rte_rcu_qsbr_quiescent(dp->rcu, w->id);
		if (work == 0 && dp->idle_sleep_us) {
			rte_rcu_qsbr_thread_offline(dp->rcu, w->id);
			usleep(dp->idle_sleep_us);
			rte_rcu_qsbr_thread_online(dp->rcu, w->id);
		}
	}
	if (w->defer != NULL)
		dp_defer_clear(w->defer, dp_defer_free_pkt);
	rte_rcu_qsbr_thread_offline(dp->rcu, w->id);
	rte_rcu_qsbr_thread_unregister(dp->rcu, w->id);
	return 0;
}
