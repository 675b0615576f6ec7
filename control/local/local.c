/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: packets for and from the appliance itself, on the control core.
 *
 * Workers punt here what is not plain forwarding (see dp.h, DP_PUNT_LIST).
 * Everything is bounded: the punt rings are drained a burst at a time,
 * packets waiting for a neighbour sit in one fixed queue (oldest dropped
 * first when a neighbour fails, newest refused when full), ICMP errors come
 * from a token bucket.  Input is parsed with proto/pkt.c's full parser, so
 * anything malformed is counted under its reason and dropped.
 *
 * Replies the appliance originates (echo replies, ICMP errors) are routed
 * like transit traffic: FIB lookup, neighbour, L2 rewrite, then the control
 * core's own TX queue of the egress port.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/local/local.h"
#include "dataplane/dp_parse.h"
#include "dataplane/dp_tx.h"
#include "dataplane/frag.h"
#include "proto/carp.h"
#include "proto/cksum.h"
#include "proto/pkt.h"
#include "proto/proto.h"

PROTO_NAME_FN(neigh_state_name, unsigned int, NEIGH_STATE_LIST, NEIGH_STATE_MAX);

#define L2_RESERVE 18		/* room for Ethernet + one VLAN tag before L3 */

static void
local_drop(struct local *l, struct rte_mbuf *m, enum dp_drop why)
{
	l->st->drop[why]++;
	rte_pktmbuf_free(m);
}

void
local_tx_flush(struct local *l, unsigned int p)
{
	const struct dp_port *port = &l->dp->ports[p];

	l->st->drop[DP_DROP_TX_FULL] += dp_txbuf_send(&l->tx[p], port->port_id, port->ctl_q);
}

void
local_tx(struct local *l, unsigned int p, struct rte_mbuf *m)
{
	if (dp_txbuf_put(&l->tx[p], l->st, p, m))
		local_tx_flush(l, p);
}

/* A fresh mbuf with room for L2 in front; the caller appends L3. */
static struct rte_mbuf *
local_alloc(struct local *l)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(l->dp->pool);

	if (m == NULL) {
		l->st->drop[DP_DROP_NO_MBUF]++;
		return NULL;
	}
	memset(dp_meta(m), 0, sizeof(struct dp_mbuf_meta));
	return m;
}

static uint64_t
mac_word(const uint8_t *mac)
{
	return DP_NEIGH_VALID | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

/*
 * Sends an L2 frame whose L3 starts at l3_off to `mac` on interface ifx,
 * from smac (a CARP virtual MAC) or, when NULL, the port's MAC.
 */
static void
local_send_l2_from(struct local *l, struct rte_mbuf *m, uint16_t l3_off, uint16_t ifx,
		   uint64_t mac, uint16_t ethertype, const uint8_t *smac)
{
	const struct dp_iface *oif = &l->dp->ifaces[ifx];
	const struct dp_mbuf_meta *md = dp_meta(m);

	/* A reassembled IPv6 datagram that waited for ND leaves refragmented,
	 * as the worker sends the others (dataplane/frag.c). */
	if (unlikely(md->fragsz != 0) && ethertype == RTE_ETHER_TYPE_IPV6 &&
	    m->pkt_len - l3_off > md->fragsz) {
		struct rte_mbuf *frags[16];
		int nf, k;

		nf = dp_frag6_split(l->dp, m, RTE_MIN(md->fragsz, oif->mtu), frags,
				    RTE_DIM(frags));
		if (nf < 0) {
			l->st->drop[nf == -ENOMEM ? DP_DROP_NO_MBUF : DP_DROP_FRAGMENT]++;
			return;
		}
		for (k = 0; k < nf; k++) {
			l->st->frag_out++;
			local_send_l2_from(l, frags[k], 0, ifx, mac, ethertype, smac);
		}
		return;
	}
	if (!dp_l2_rewrite(m, l3_off, &l->dp->ports[oif->port], oif, mac, ethertype)) {
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	if (smac != NULL)
		memcpy(rte_pktmbuf_mtod(m, uint8_t *) + 6, smac, 6);
	l->st->iface[ifx].tx_pkts++;
	l->st->iface[ifx].tx_bytes += m->pkt_len;
	local_tx(l, oif->port, m);
}

static void
local_send_l2(struct local *l, struct rte_mbuf *m, uint16_t l3_off, uint16_t ifx, uint64_t mac,
	      uint16_t ethertype)
{
	local_send_l2_from(l, m, l3_off, ifx, mac, ethertype, NULL);
}

/* Our address on interface ifx to source packets to `dst` from. */
static const uint8_t *
local_src_addr(const struct local *l, uint16_t ifx, uint8_t af, const uint8_t *dst)
{
	const struct dp_iface *ifc = &l->dp->ifaces[ifx];
	const uint8_t *any = NULL;
	unsigned int i;

	for (i = 0; i < ifc->n_addrs; i++) {
		if (ifc->addrs[i].af != af)
			continue;
		if (dst != NULL && dp_addr_in(&ifc->addrs[i], af, dst))
			return ifc->addrs[i].addr;
		if (any == NULL)
			any = ifc->addrs[i].addr;
	}
	if (any == NULL && af == 6)
		return ifc->ll6;
	return any;
}

static bool
local_is_ours(const struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr, bool any_if)
{
	unsigned int i;

	for (i = 0; i < l->dp->n_ifaces; i++)
		if ((any_if || i == ifx) && dp_iface_owns(&l->dp->ifaces[i], af, addr))
			return true;
	return false;
}

/* --- solicitation ------------------------------------------------------ */

static void
local_send_arp(struct local *l, uint16_t ifx, const uint8_t *target)
{
	const struct dp_iface *ifc = &l->dp->ifaces[ifx];
	const uint8_t *mac = l->dp->ports[ifc->port].mac.addr_bytes;
	const uint8_t *spa = local_src_addr(l, ifx, 4, target);
	struct rte_mbuf *m;
	uint8_t *a;

	if (spa == NULL || (m = local_alloc(l)) == NULL)
		return;
	a = (uint8_t *)rte_pktmbuf_append(m, L2_RESERVE + 28);
	if (a == NULL) {
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	a += L2_RESERVE;
	proto_wr16(a, 1);		/* Ethernet */
	proto_wr16(a + 2, 0x0800);	/* IPv4 */
	a[4] = 6;
	a[5] = 4;
	proto_wr16(a + 6, 1);		/* request */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, spa, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, target, 4);
	l->solicits++;
	local_send_l2(l, m, L2_RESERVE, ifx, 0xffffffffffffULL, RTE_ETHER_TYPE_ARP);
}

/* ICMPv6 checksum over an IPv6 packet at ip with payload plen. */
static void
icmp6_cksum(uint8_t *ip, uint16_t plen)
{
	uint8_t *icmp = ip + 40;

	proto_wr16(icmp + 2, 0);
	proto_wr16(icmp + 2, proto_cksum_l4(proto_cksum_pseudo6(ip + 8, ip + 24, 58, plen), icmp,
					    plen));
}

static uint8_t *
ip6_hdr(uint8_t *ip, uint16_t plen, uint8_t nxt, uint8_t hlim, const uint8_t *src,
	const uint8_t *dst)
{
	memset(ip, 0, 40);
	ip[0] = 0x60;
	proto_wr16(ip + 4, plen);
	ip[6] = nxt;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return ip + 40;
}

static void
local_send_ns(struct local *l, uint16_t ifx, const uint8_t *target)
{
	const struct dp_iface *ifc = &l->dp->ifaces[ifx];
	const uint8_t *mac = l->dp->ports[ifc->port].mac.addr_bytes;
	const uint8_t *src = local_src_addr(l, ifx, 6, target);
	uint8_t dst[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	struct rte_mbuf *m;
	uint8_t *ip, *ns;
	uint64_t dmac;

	if ((target[0] == 0xfe && (target[1] & 0xc0) == 0x80) || src == NULL)
		src = ifc->ll6;
	if ((m = local_alloc(l)) == NULL)
		return;
	/* Solicited-node multicast ff02::1:ffXX:XXXX [RFC 4291 2.7.1]. */
	memcpy(dst + 13, target + 13, 3);
	ip = (uint8_t *)rte_pktmbuf_append(m, L2_RESERVE + 40 + 32);
	if (ip == NULL) {
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	ip += L2_RESERVE;
	ns = ip6_hdr(ip, 32, 58, 255, src, dst);
	memset(ns, 0, 32);
	ns[0] = PKT_ND_NEIGHBOR_SOLICIT;
	memcpy(ns + 8, target, 16);
	ns[24] = 1;			/* source link-layer address option */
	ns[25] = 1;
	memcpy(ns + 26, mac, 6);
	icmp6_cksum(ip, 32);
	dmac = 0x3333ff000000ULL | (uint64_t)target[13] << 16 | (uint64_t)target[14] << 8 |
	       target[15];
	l->solicits++;
	local_send_l2(l, m, L2_RESERVE, ifx, dmac, RTE_ETHER_TYPE_IPV6);
}

/*
 * An address of ours new on interface ifx: a gratuitous ARP request
 * (sender = target = addr, from the port MAC) [RFC 5227 3, RFC 826], or
 * an unsolicited NA to ff02::1 with Router and Override set and our MAC
 * as target link-layer address [RFC 4861 7.2.6], so that neighbours
 * caching another owner's MAC for it update at once.
 */
void
local_announce(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	const struct dp_iface *ifc = &l->dp->ifaces[ifx];
	const uint8_t *mac = l->dp->ports[ifc->port].mac.addr_bytes;
	struct rte_mbuf *m = local_alloc(l);
	uint8_t *a, *na;

	if (m == NULL)
		return;
	a = (uint8_t *)rte_pktmbuf_append(m, L2_RESERVE + (af == 4 ? 28 : 40 + 32));
	if (a == NULL) {
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	a += L2_RESERVE;
	if (af == 4) {
		proto_wr16(a, 1);		/* Ethernet */
		proto_wr16(a + 2, 0x0800);	/* IPv4 */
		a[4] = 6;
		a[5] = 4;
		proto_wr16(a + 6, 1);		/* request */
		memcpy(a + 8, mac, 6);
		memcpy(a + 14, addr, 4);
		memset(a + 18, 0, 6);
		memcpy(a + 24, addr, 4);
		local_send_l2(l, m, L2_RESERVE, ifx, 0xffffffffffffULL, RTE_ETHER_TYPE_ARP);
		return;
	}
	na = ip6_hdr(a, 32, 58, 255, ifc->ll6, all_nodes);
	memset(na, 0, 32);
	na[0] = PKT_ND_NEIGHBOR_ADVERT;
	na[4] = PKT_ND_NA_ROUTER | PKT_ND_NA_OVERRIDE;
	memcpy(na + 8, addr, 16);
	na[24] = 2;			/* target link-layer address option */
	na[25] = 1;
	memcpy(na + 26, mac, 6);
	icmp6_cksum(a, 32);
	local_send_l2(l, m, L2_RESERVE, ifx, 0x333300000001ULL, RTE_ETHER_TYPE_IPV6);
}

static void
local_solicit(struct local *l, uint32_t slot, uint16_t ifx, uint8_t af, const uint8_t *addr)
{
	struct local_neigh *n = &l->neigh[slot];

	n->tries++;
	n->next_us = dp_clock_us(&l->dp->clock) + LOCAL_SOLICIT_INTERVAL_MS * 1000ull;
	if (af == 4)
		local_send_arp(l, ifx, addr);
	else
		local_send_ns(l, ifx, addr);
}

/* --- the neighbour table: create, delete, reclaim ---------------------- */

static void local_drop_pending(struct local *l, uint32_t slot);

/*
 * Pins the current FIB's gateways in nbr (never evicted nor aged: a FIB
 * names their slots, neigh.c contract 3) when the FIB changed.  Called
 * before anything is deleted, on the control core that also swaps FIBs.
 */
static void
local_neigh_pin(struct local *l)
{
	const struct dp_fib *fib = atomic_load_explicit(&l->dp->fib, memory_order_acquire);
	uint32_t i;

	if (fib == NULL || fib->gen == l->pin_gen)
		return;
	for (i = 0; i < l->nbr.n_slots; i++)
		nbr_pin(&l->nbr, i, false);
	for (i = 0; i < fib->n_nh; i++)
		if (fib->nh[i].kind == DP_NH_GATEWAY)
			nbr_pin(&l->nbr, fib->nh[i].neigh, true);
	l->pin_gen = fib->gen;
}

/*
 * Deletes slot (neigh.c contract 1), drops what waited for it, and queues
 * the slot for dp_neigh_free() after a grace period.
 */
static void
local_neigh_delete(struct local *l, uint32_t slot, bool evicted)
{
	struct local_neigh *n = &l->neigh[slot];

	if (n->pending)
		local_drop_pending(l, slot);
	if (dp_neigh_del(l->dp, slot) != 0)
		return;
	nbr_remove(&l->nbr, slot, evicted);
	memset(n, 0, sizeof(*n));
	/* Never more deleted slots than slots: the FIFO cannot overflow. */
	l->nfree[(l->nfree_head + l->nfree_n++) % l->dp->neigh_max] = (struct local_nfree){
		.slot = slot, .token = rte_rcu_qsbr_start(l->dp->rcu) };
}

/* Frees the deleted slots every worker has stopped looking at (contract 2). */
static void
local_neigh_reclaim(struct local *l)
{
	while (l->nfree_n > 0) {
		struct local_nfree *f = &l->nfree[l->nfree_head];

		if (rte_rcu_qsbr_check(l->dp->rcu, f->token, false) != 1)
			break;		/* tokens grow: the later ones are not due either */
		dp_neigh_free(l->dp, f->slot);
		l->nfree_head = (l->nfree_head + 1) % l->dp->neigh_max;
		l->nfree_n--;
	}
}

/* Makes room for one entry: the LRU unresolved or stale one goes. */
static bool
local_neigh_evict(struct local *l)
{
	uint32_t v;

	local_neigh_pin(l);
	v = nbr_victim(&l->nbr);
	if (v == NBR_NIL)
		return false;
	local_neigh_delete(l, v, true);
	return true;
}

/*
 * The slot of (ifx, af, addr), created if the policy admits it: cls says
 * why it is wanted, src (af's length) is the address that sent the packet
 * which needs it (the per-source budget).  -1 when refused (counted in nbr).
 */
static int
local_neigh_slot(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr,
		 enum nbr_class cls, const uint8_t *src)
{
	uint64_t now = dp_clock_us(&l->dp->clock);
	int slot = dp_neigh_get(l->dp, ifx, af, addr, false);

	if (slot >= 0)
		return slot;
	if (!nbr_admit(&l->nbr, cls, ifx, nbr_src_hash(&l->nbr, src, af == 4 ? 4 : 16), now))
		return -1;
	/* Slots in use: the managed ones and the deleted ones still in their
	 * grace period (the gateways route.c made have their own quarter). */
	if (nbr_full(&l->nbr, l->nfree_n) && !local_neigh_evict(l)) {
		l->nbr.counters[NBR_C_REFUSED_FULL]++;
		return -1;
	}
	slot = dp_neigh_get(l->dp, ifx, af, addr, true);
	if (slot < 0 && local_neigh_evict(l))	/* a full hash bucket */
		slot = dp_neigh_get(l->dp, ifx, af, addr, true);
	if (slot < 0) {
		l->nbr.counters[NBR_C_REFUSED_FULL]++;
		return -1;
	}
	memset(&l->neigh[slot], 0, sizeof(l->neigh[slot]));
	nbr_insert(&l->nbr, (uint32_t)slot, ifx, cls, now);
	return slot;
}

/* --- output of routed packets ------------------------------------------ */

/*
 * Queues m (L3 at l3_off) until neighbour slot `slot` resolves; starts a
 * solicitation if none is running.
 */
static void
local_pend(struct local *l, struct rte_mbuf *m, uint32_t slot, uint16_t ifx, uint8_t af,
	   const uint8_t *addr)
{
	struct local_neigh *n = &l->neigh[slot];

	if (l->n_pending == LOCAL_PENDING_MAX || n->pending >= LOCAL_PENDING_PER_NEIGH) {
		local_drop(l, m, DP_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	l->pending[l->n_pending++] = (struct local_pending){ .m = m, .slot = slot,
							     .iface = ifx, .af = af };
	n->pending++;
	if (n->state != NEIGH_INCOMPLETE && n->state != NEIGH_PROBE) {
		n->state = NEIGH_INCOMPLETE;
		n->tries = 0;
		nbr_resolving(&l->nbr, slot, dp_clock_us(&l->dp->clock));
		local_solicit(l, slot, ifx, af, addr);
	}
}

/* Sends an IP packet (L3 at l3_off) towards nh, resolving if needed. */
static void
local_out_nh(struct local *l, struct rte_mbuf *m, const struct dp_nh *nh, uint8_t af,
	     const uint8_t *dst)
{
	const uint8_t *target = nh->kind == DP_NH_GATEWAY ? nh->gw : dst;
	uint16_t l3_off = dp_meta(m)->l3_off;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, l3_off);
	uint64_t mac;
	int slot;

	/* A route's gateway, or the next hop of a state both sides have sent
	 * on, is needed; any other host on a connected prefix is asked for by
	 * whoever sent the packet, and spends that sender's budget. */
	slot = local_neigh_slot(l, nh->iface, af, target,
				nh->kind == DP_NH_GATEWAY || dp_meta(m)->established ?
				NBR_NEEDED : NBR_SPECULATIVE, af == 4 ? ip + 12 : ip + 8);
	if (slot < 0) {
		local_drop(l, m, DP_DROP_NEIGH_REFUSED);
		return;
	}
	mac = atomic_load_explicit(&l->dp->neigh[slot].mac, memory_order_acquire);
	if (!(mac & DP_NEIGH_VALID)) {
		local_pend(l, m, (uint32_t)slot, nh->iface, af, target);
		return;
	}
	local_send_l2(l, m, l3_off, nh->iface, mac,
		      af == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
}

static const struct dp_nh *
local_route(struct local *l, uint8_t af, const uint8_t *dst)
{
	const struct dp_fib *fib = atomic_load_explicit(&l->dp->fib, memory_order_acquire);
	uint64_t nh = 0;

	if (af == 4) {
		uint32_t d = proto_rd32(dst);

		rte_fib_lookup_bulk(fib->fib4, &d, &nh, 1);
	} else {
		uint8_t d[1][16];

		memcpy(d[0], dst, 16);
		rte_fib6_lookup_bulk(fib->fib6, d, &nh, 1);
	}
	return &fib->nh[nh < fib->n_nh ? nh : 0];
}

/* Routes an IP packet the appliance originated (L3 at meta l3_off). */
static void
local_route_out(struct local *l, struct rte_mbuf *m, uint8_t af)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, dp_meta(m)->l3_off);
	const uint8_t *dst = af == 4 ? ip + 16 : ip + 24;
	const struct dp_nh *nh = local_route(l, af, dst);

	if (nh->kind != DP_NH_CONNECTED && nh->kind != DP_NH_GATEWAY) {
		local_drop(l, m, DP_DROP_NO_ROUTE);
		return;
	}
	local_out_nh(l, m, nh, af, dst);
}

/* A neighbour resolved: send what was waiting for it. */
void
local_output(struct local *l, struct rte_mbuf *m, uint16_t l3_off, uint16_t ifx,
	     const uint8_t *dst_mac)
{
	dp_meta(m)->l3_off = l3_off;
	local_send_l2(l, m, l3_off, ifx, mac_word(dst_mac),
		      dp_meta(m)->af == 6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
}

void
local_ip_output(struct local *l, struct rte_mbuf *m, uint16_t l3_off)
{
	dp_meta(m)->l3_off = l3_off;
	local_route_out(l, m, dp_meta(m)->af == 6 ? 6 : 4);
}

int
local_route_iface(struct local *l, uint8_t af, const uint8_t *addr)
{
	const struct dp_nh *nh = local_route(l, af, addr);

	return nh->kind == DP_NH_CONNECTED || nh->kind == DP_NH_GATEWAY ? nh->iface : -1;
}

static void
local_flush_pending(struct local *l, uint32_t slot, uint64_t mac)
{
	unsigned int i, j = 0;

	for (i = 0; i < l->n_pending; i++) {
		struct local_pending *p = &l->pending[i];

		if (p->slot != slot) {
			l->pending[j++] = *p;
			continue;
		}
		local_send_l2(l, p->m, dp_meta(p->m)->l3_off, p->iface, mac,
			      p->af == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
	l->n_pending = j;
	l->neigh[slot].pending = 0;
}

static void
local_drop_pending(struct local *l, uint32_t slot)
{
	unsigned int i, j = 0;

	for (i = 0; i < l->n_pending; i++) {
		if (l->pending[i].slot != slot) {
			l->pending[j++] = l->pending[i];
			continue;
		}
		local_drop(l, l->pending[i].m, DP_DROP_NEIGH_FAILED);
	}
	l->n_pending = j;
	l->neigh[slot].pending = 0;
}

/*
 * Learns (iface, af, addr) -> mac.  create: the sender asked for one of our
 * addresses (an ARP request, an NS with a source link-layer option), so it
 * will talk to us: a new entry is STALE [RFC 4861 7.2.3], within the
 * unsolicited cap.  Only an entry we were resolving (incomplete, probe,
 * failed) becomes REACHABLE; an unsolicited packet updates the MAC of the
 * others and leaves their state.
 */
static void
local_learn(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr, const uint8_t *mac,
	    bool create)
{
	uint64_t w = mac_word(mac), now = dp_clock_us(&l->dp->clock);
	int slot = dp_neigh_get(l->dp, ifx, af, addr, false);
	struct local_neigh *n;

	if (slot < 0 && create) {
		slot = local_neigh_slot(l, ifx, af, addr, NBR_UNSOLICITED, addr);
		if (slot < 0)
			return;
		l->neigh[slot].state = NEIGH_STALE;
		l->neigh[slot].confirmed_us = now;
	}
	if (slot < 0)
		return;
	n = &l->neigh[slot];
	atomic_store_explicit(&l->dp->neigh[slot].mac, w, memory_order_release);
	switch (n->state) {
	case NEIGH_STALE:
		break;
	case NEIGH_REACHABLE:
		if (create)
			break;		/* unsolicited: no confirmation */
		/* fall through */
	default:
		n->state = NEIGH_REACHABLE;
		n->tries = 0;
		n->confirmed_us = now;
		nbr_resolved(&l->nbr, (uint32_t)slot, now);
		break;
	}
	if (n->pending)
		local_flush_pending(l, (uint32_t)slot, w);
}

/* --- ICMP errors ----------------------------------------------------- */

static bool
local_icmp_allowed(struct local *l)
{
	uint64_t now = dp_clock_us(&l->dp->clock);
	uint64_t add = (now - l->icmp_us) * LOCAL_ICMP_RATE / DP_CLOCK_US_PER_S;

	if (add > 0) {
		l->icmp_tokens = RTE_MIN(l->icmp_tokens + add, (uint64_t)LOCAL_ICMP_RATE);
		l->icmp_us = now;
	}
	if (l->icmp_tokens == 0) {
		l->st->drop[DP_DROP_ICMP_RATELIMIT]++;
		return false;
	}
	l->icmp_tokens--;
	return true;
}

/*
 * Sends an ICMP (af 4) or ICMPv6 error about packet m (meta filled) from
 * an address of its ingress interface.  word: bytes 4..7 of the ICMP header
 * (MTU for too-big).  Never about an ICMP error, a non-first fragment, a
 * multicast or broadcast, or an unspecified/multicast source [RFC 1812
 * 4.3.2.7, RFC 4443 2.4(e)].  Consumes m.
 */
static void
local_icmp_error(struct local *l, struct rte_mbuf *m, uint8_t type, uint8_t code, uint32_t word)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *oip = frame + md->l3_off;
	struct pkt_meta pm;
	struct rte_mbuf *r;
	const uint8_t *src;
	uint32_t qlen, max;
	uint8_t *ip, *ic;

	if (pkt_parse(frame, m->data_len, &pm) != PKT_ERR_OK || (frame[0] & 1) ||
	    (pm.flags & (PKT_F_ICMP_ERR)) || ((pm.flags & PKT_F_FRAG) && pm.frag_off != 0)) {
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		return;
	}
	if (pm.proto == (md->af == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6) &&
	    !(pm.flags & PKT_F_L4)) {
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		return;
	}
	if ((md->af == 4 && (pm.src[0] == 0 || pm.src[0] >= 224)) ||
	    (md->af == 6 && (pm.src[0] == 0xff || memcmp(pm.src, (uint8_t[16]){ 0 }, 16) == 0))) {
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		return;
	}
	src = local_src_addr(l, md->iface, md->af, pm.src);
	if (src == NULL || !local_icmp_allowed(l) || (r = local_alloc(l)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	/* As much of the original as fits in 576 (IPv4) or 1280 (IPv6) bytes. */
	max = md->af == 4 ? 576 - 28 : 1280 - 48;
	qlen = RTE_MIN(pm.ip_len, max);
	qlen = RTE_MIN(qlen, (uint32_t)(m->data_len - md->l3_off));
	dp_meta(r)->l3_off = L2_RESERVE;
	dp_meta(r)->af = md->af;
	if (md->af == 4) {
		ip = (uint8_t *)rte_pktmbuf_append(r, L2_RESERVE + 28 + qlen);
		if (ip == NULL)
			goto nomem;
		ip += L2_RESERVE;
		memset(ip, 0, 28);
		ip[0] = 0x45;
		proto_wr16(ip + 2, (uint16_t)(28 + qlen));
		ip[8] = 64;
		ip[9] = PKT_IPPROTO_ICMP;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, pm.src, 4);
		proto_wr16(ip + 10, proto_cksum(ip, 20));
		ic = ip + 20;
		ic[0] = type;
		ic[1] = code;
		proto_wr32(ic + 4, word);
		memcpy(ic + 8, oip, qlen);
		proto_wr16(ic + 2, proto_cksum(ic, 8 + qlen));
	} else {
		ip = (uint8_t *)rte_pktmbuf_append(r, L2_RESERVE + 48 + qlen);
		if (ip == NULL)
			goto nomem;
		ip += L2_RESERVE;
		ic = ip6_hdr(ip, (uint16_t)(8 + qlen), PKT_IPPROTO_ICMPV6, 64, src, pm.src);
		memset(ic, 0, 8);
		ic[0] = type;
		ic[1] = code;
		proto_wr32(ic + 4, word);
		memcpy(ic + 8, oip, qlen);
		icmp6_cksum(ip, (uint16_t)(8 + qlen));
	}
	rte_pktmbuf_free(m);
	l->icmp_sent++;
	local_route_out(l, r, dp_meta(r)->af);
	return;
nomem:
	rte_pktmbuf_free(r);
	local_drop(l, m, DP_DROP_NO_MBUF);
}

/*
 * `block return` for TCP: a RST to the sender of m on behalf of its
 * destination [RFC 9293 3.10.7.1: seq = the segment's ack if it had one,
 * else 0 with ACK of seq + length (+1 per SYN and FIN)].  Never about a
 * RST (the worker checks) or a fragment.  Consumes m.
 */
static void
local_send_rst(struct local *l, struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	const uint8_t *th = ip + md->l4_off;
	uint32_t avail = m->data_len - md->l3_off, ip_len, plen, seq, ack;
	uint8_t flags, *r3, *rt;
	struct rte_mbuf *r;

	ip_len = md->af == 4 ? proto_rd16(ip + 2) : 40u + proto_rd16(ip + 4);
	if (md->frag || md->l4_off + 20u > RTE_MIN(avail, ip_len) ||
	    (th[12] >> 4) * 4u + md->l4_off > ip_len || (th[13] & 0x04) ||
	    (r = local_alloc(l)) == NULL) {
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		return;
	}
	plen = ip_len - md->l4_off - (th[12] >> 4) * 4u;
	if (th[13] & 0x10) {			/* ACK: seq = its ack, flags RST */
		seq = proto_rd32(th + 8);
		ack = 0;
		flags = 0x04;
	} else {
		seq = 0;
		ack = proto_rd32(th + 4) + plen + ((th[13] & 0x02) ? 1 : 0) +
		      ((th[13] & 0x01) ? 1 : 0);
		flags = 0x14;
	}
	dp_meta(r)->l3_off = L2_RESERVE;
	dp_meta(r)->af = md->af;
	r3 = (uint8_t *)rte_pktmbuf_append(r, L2_RESERVE + (md->af == 4 ? 20 : 40) + 20);
	if (r3 == NULL) {
		rte_pktmbuf_free(r);
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	r3 += L2_RESERVE;
	if (md->af == 4) {
		memset(r3, 0, 20);
		r3[0] = 0x45;
		proto_wr16(r3 + 2, 40);
		r3[8] = 64;
		r3[9] = PKT_IPPROTO_TCP;
		memcpy(r3 + 12, ip + 16, 4);
		memcpy(r3 + 16, ip + 12, 4);
		proto_wr16(r3 + 10, proto_cksum(r3, 20));
		rt = r3 + 20;
	} else {
		rt = ip6_hdr(r3, 20, PKT_IPPROTO_TCP, 64, ip + 24, ip + 8);
	}
	memset(rt, 0, 20);
	memcpy(rt, th + 2, 2);			/* ports swapped */
	memcpy(rt + 2, th, 2);
	proto_wr32(rt + 4, seq);
	proto_wr32(rt + 8, ack);
	rt[12] = 5 << 4;
	rt[13] = flags;
	proto_wr16(rt + 16, proto_cksum_l4(md->af == 4 ?
		proto_cksum_pseudo4(r3 + 12, r3 + 16, PKT_IPPROTO_TCP, 20) :
		proto_cksum_pseudo6(r3 + 8, r3 + 24, PKT_IPPROTO_TCP, 20), rt, 20));
	rte_pktmbuf_free(m);
	l->rst_sent++;
	local_route_out(l, r, dp_meta(r)->af);
}

/* --- input for our addresses ------------------------------------------ */

static void
local_arp_input(struct local *l, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const struct dp_iface *ifc = &l->dp->ifaces[md->iface];
	const uint8_t *mac = l->dp->ports[ifc->port].mac.addr_bytes;
	bool for_us = local_is_ours(l, md->iface, 4, pm->arp.tpa, false);
	/* A CARP virtual address is answered only by its MASTER, with the
	 * virtual MAC [OpenBSD carp_iamatch]. */
	const struct dp_carp_vip *vip = for_us ? NULL :
		dp_carp_vip_find(l->dp, md->iface, 4, pm->arp.tpa);
	uint8_t vmac[6];
	uint8_t *a;

	/* RFC 826 merge: update a known sender; learn it if it asks for us. */
	if (!(pm->arp.sha[0] & 1) && proto_rd32(pm->arp.spa) != 0)
		local_learn(l, md->iface, 4, pm->arp.spa, pm->arp.sha, for_us || vip != NULL);
	/* A gratuitous request (sender = target address) announces, it does
	 * not ask: never answer it [RFC 5227 2.3, 2.4].  Answering a CARP peer's
	 * announcement of a virtual address we are still MASTER for would send
	 * a frame from the virtual MAC and pull the switch's entry for it back
	 * to us just before we become BACKUP: traffic then black-holes until
	 * the new MASTER's next advert [OpenBSD carp_master_down: the GARP is
	 * what moves the MAC]. */
	if (pm->arp.op != 1 || (!for_us && vip == NULL) ||
	    memcmp(pm->arp.spa, pm->arp.tpa, 4) == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (vip != NULL) {
		carp_vmac(vip->vhid, vmac);
		mac = vmac;
	}
	/* Turn the request around in place. */
	a = rte_pktmbuf_mtod_offset(m, uint8_t *, pm->l2_len);
	proto_wr16(a + 6, 2);
	memcpy(a + 18, pm->arp.sha, 6);
	memcpy(a + 24, pm->arp.spa, 4);
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, pm->arp.tpa, 4);
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (pm->l2_len + 28)));
	l->arp_replies++;
	local_send_l2_from(l, m, pm->l2_len, md->iface, mac_word(pm->arp.sha) & ~DP_NEIGH_VALID,
			   RTE_ETHER_TYPE_ARP, vip != NULL ? vmac : NULL);
}

static void
local_nd_input(struct local *l, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const struct dp_iface *ifc = &l->dp->ifaces[md->iface];
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *mac = l->dp->ports[ifc->port].mac.addr_bytes;
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t unspec[16];
	const struct dp_carp_vip *vip = NULL;
	const uint8_t *dst;
	struct rte_mbuf *r;
	uint8_t *ip, *na, vmac[6];
	bool dad;

	if (pm->icmp.type == PKT_ND_NEIGHBOR_ADVERT) {
		const uint8_t *lla = pm->icmp.nd.tll_off ? frame + pm->icmp.nd.tll_off : frame + 6;

		local_learn(l, md->iface, 6, pm->icmp.nd.target, lla, false);
		rte_pktmbuf_free(m);
		return;
	}
	if (pm->icmp.type != PKT_ND_NEIGHBOR_SOLICIT) {
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		return;
	}
	dad = memcmp(pm->src, unspec, 16) == 0;
	if (!dad && pm->icmp.nd.sll_off)
		local_learn(l, md->iface, 6, pm->src, frame + pm->icmp.nd.sll_off, true);
	if (!local_is_ours(l, md->iface, 6, pm->icmp.nd.target, false)) {
		/* A CARP virtual address: only its MASTER answers, with the virtual MAC. */
		vip = dp_carp_vip_find(l->dp, md->iface, 6, pm->icmp.nd.target);
		if (vip == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		carp_vmac(vip->vhid, vmac);
		mac = vmac;
	}
	if ((r = local_alloc(l)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	/* NA: router, solicited (unless answering DAD), override [RFC 4861 7.2.4]. */
	dst = dad ? all_nodes : pm->src;
	ip = (uint8_t *)rte_pktmbuf_append(r, L2_RESERVE + 40 + 32);
	if (ip == NULL) {
		rte_pktmbuf_free(r);
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	ip += L2_RESERVE;
	na = ip6_hdr(ip, 32, PKT_IPPROTO_ICMPV6, 255, pm->icmp.nd.target, dst);
	memset(na, 0, 32);
	na[0] = PKT_ND_NEIGHBOR_ADVERT;
	na[4] = PKT_ND_NA_ROUTER | PKT_ND_NA_OVERRIDE | (dad ? 0 : PKT_ND_NA_SOLICITED);
	memcpy(na + 8, pm->icmp.nd.target, 16);
	na[24] = 2;			/* target link-layer address option */
	na[25] = 1;
	memcpy(na + 26, mac, 6);
	icmp6_cksum(ip, 32);
	l->nd_replies++;
	local_send_l2_from(l, r, L2_RESERVE, md->iface,
			   dad ? 0x333300000001ULL : mac_word(frame + 6) & ~DP_NEIGH_VALID,
			   RTE_ETHER_TYPE_IPV6, vip != NULL ? vmac : NULL);
	rte_pktmbuf_free(m);
}

/* Echo request to one of our addresses: answer in place and route it. */
static void
local_echo(struct local *l, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, pm->l3_off);
	uint8_t *ic = rte_pktmbuf_mtod_offset(m, uint8_t *, pm->l4_off);
	uint8_t tmp[16];

	if (m->pkt_len > (uint32_t)pm->l3_off + pm->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - pm->l3_off - pm->ip_len));
	if (md->af == 4) {
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		ip[8] = 64;
		proto_wr16(ip + 10, 0);
		proto_wr16(ip + 10, proto_cksum(ip, pm->l3_hlen));
		ic[0] = PKT_ICMP_ECHOREPLY;
		proto_wr16(ic + 2, 0);
		proto_wr16(ic + 2, proto_cksum(ic, pm->l4_len));
	} else {
		if (ip[24] == 0xff) {
			/* To a multicast group: answer from our address on the link. */
			memcpy(ip + 24, local_src_addr(l, md->iface, 6, pm->src), 16);
		}
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		ip[7] = 64;
		ic[0] = PKT_ICMP6_ECHO_REPLY;
		proto_wr16(ic + 2, 0);
		proto_wr16(ic + 2, proto_cksum_l4(proto_cksum_pseudo6(ip + 8, ip + 24, 58,
								     pm->l4_len),
						  ic, pm->l4_len));
	}
	md->l3_off = pm->l3_off;
	l->echo_replies++;
	if (md->af == 6 && ip[24] == 0xfe && (ip[25] & 0xc0) == 0x80) {
		/* Link-local: back to the sender on the same link. */
		local_send_l2(l, m, pm->l3_off, md->iface,
			      mac_word(rte_pktmbuf_mtod(m, uint8_t *) + 6) & ~DP_NEIGH_VALID,
			      RTE_ETHER_TYPE_IPV6);
		return;
	}
	local_route_out(l, m, md->af);
}

/* --- local's own protocol handlers (registered in local_init) --- */

static bool
local_proto_arp(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	local_arp_input(arg, m, pm);
	return true;
}

/* ICMP echo to one of our addresses or a virtual address we are MASTER for. */
static bool
local_proto_icmp(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct local *l = arg;

	if (pm->l3_proto != PKT_L3_IPV4 || !(pm->flags & PKT_F_L4) ||
	    pm->icmp.type != PKT_ICMP_ECHO ||
	    (!local_is_ours(l, dp_meta(m)->iface, 4, pm->dst, true) &&
	     dp_carp_vip_find(l->dp, -1, 4, pm->dst) == NULL))
		return false;
	local_echo(l, m, pm);
	return true;
}

/* ND, and echo to our addresses, MASTER virtual ones or all-nodes. */
static bool
local_proto_icmp6(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct local *l = arg;

	if (pm->l3_proto != PKT_L3_IPV6 || !(pm->flags & PKT_F_L4))
		return false;
	if (pm->icmp.type >= PKT_ND_ROUTER_SOLICIT && pm->icmp.type <= PKT_ND_REDIRECT) {
		local_nd_input(l, m, pm);
		return true;
	}
	if (pm->icmp.type == PKT_ICMP6_ECHO_REQUEST &&
	    (local_is_ours(l, dp_meta(m)->iface, 6, pm->dst, true) ||
	     dp_carp_vip_find(l->dp, -1, 6, pm->dst) != NULL ||
	     (pm->dst[0] == 0xff && pm->dst[1] == 0x02 && pm->dst[15] == 1))) {
		local_echo(l, m, pm);
		return true;
	}
	return false;
}

int
local_proto_register(struct local *l, unsigned int proto, local_proto_fn fn, void *arg)
{
	if (proto >= LOCAL_PROTO_MAX)
		return -EINVAL;
	if (fn != NULL && l->proto[proto].fn != NULL &&
	    (l->proto[proto].fn != fn || l->proto[proto].arg != arg))
		return -EEXIST;
	l->proto[proto].fn = fn;
	l->proto[proto].arg = fn != NULL ? arg : NULL;
	return 0;
}

static void
local_input(struct local *l, struct rte_mbuf *m)
{
	const struct local_proto *h;
	struct pkt_meta pm;
	enum pkt_err e;

	e = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pm);
	if (e == PKT_ERR_OK)
		e = pkt_verify_cksum(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pm);
	if (e != PKT_ERR_OK) {
		l->st->pkt_err[e]++;
		local_drop(l, m, DP_DROP_MALFORMED);
		return;
	}
	h = &l->proto[pm.l3_proto == PKT_L3_ARP ? LOCAL_PROTO_ARP : pm.proto];
	if (h->fn != NULL && h->fn(h->arg, m, &pm))
		return;
	local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
}

/* A packet too big for its egress interface. */
static void
local_too_big(struct local *l, struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	const struct dp_fib *fib = atomic_load_explicit(&l->dp->fib, memory_order_acquire);
	struct rte_mbuf *frags[64];
	int n, i;

	if (md->af == 6) {
		local_icmp_error(l, m, PKT_ICMP6_PACKET_TOO_BIG, 0, md->arg);
		return;
	}
	if (proto_rd16(ip + 6) & 0x4000) {
		local_icmp_error(l, m, PKT_ICMP_UNREACH, PKT_ICMP_UNREACH_NEEDFRAG, md->arg);
		return;
	}
	/* DF clear: fragment to the egress MTU [RFC 791], then forward each. */
	if (md->nh >= fib->n_nh) {
		local_drop(l, m, DP_DROP_NO_ROUTE);
		return;
	}
	rte_pktmbuf_adj(m, md->l3_off);
	n = rte_ipv4_fragment_packet(m, frags, RTE_DIM(frags), (uint16_t)md->arg, l->dp->pool,
				     l->indirect);
	if (n < 0) {
		local_drop(l, m, DP_DROP_NO_MBUF);
		return;
	}
	for (i = 0; i < n; i++) {
		uint8_t *fip = rte_pktmbuf_mtod(frags[i], uint8_t *);

		/* rte_ipv4_fragment_packet() leaves the header checksum to us; the
		 * fragments also still carry the original TTL. */
		fip[8]--;
		proto_wr16(fip + 10, 0);
		proto_wr16(fip + 10, proto_cksum(fip, (fip[0] & 0xf) * 4u));
		memset(dp_meta(frags[i]), 0, sizeof(struct dp_mbuf_meta));
		dp_meta(frags[i])->af = 4;
		dp_meta(frags[i])->l3_off = 0;
		local_out_nh(l, frags[i], &fib->nh[md->nh], 4, fip + 16);
	}
	rte_pktmbuf_free(m);
}

/*
 * A reassembled datagram (an mbuf chain, dataplane/frag.c) about to be
 * answered with an ICMP error or a RST: the answer needs its first bytes
 * only, so it is replaced by a one-segment copy of at most 1280 bytes of
 * it whose IP (and UDP) length say what was kept; an ICMP error quotes no
 * more than that anyway.  Returns the copy (m consumed) or NULL (m dropped).
 */
static struct rte_mbuf *
local_head(struct local *l, struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	uint32_t keep = RTE_MIN(m->pkt_len, md->l3_off + 1280u);
	struct rte_mbuf *h = local_alloc(l);
	const uint8_t *p;
	uint8_t *d, *ip;
	uint32_t ip_len = keep - md->l3_off;

	if (h == NULL || (d = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)keep)) == NULL) {
		rte_pktmbuf_free(h);
		local_drop(l, m, DP_DROP_NO_MBUF);
		return NULL;
	}
	p = rte_pktmbuf_read(m, 0, keep, d);
	if (p != d)
		memcpy(d, p, keep);
	*dp_meta(h) = *md;
	ip = d + md->l3_off;
	if (md->af == 4) {
		proto_wr16(ip + 2, (uint16_t)ip_len);
		proto_wr16(ip + 10, 0);
		proto_wr16(ip + 10, proto_cksum(ip, (ip[0] & 0xf) * 4u));
	} else {
		proto_wr16(ip + 4, (uint16_t)(ip_len - 40));
	}
	if (md->proto == PKT_IPPROTO_UDP && ip_len >= md->l4_off + 8u)
		proto_wr16(ip + md->l4_off + 4, (uint16_t)(ip_len - md->l4_off));
	rte_pktmbuf_free(m);
	return h;
}

static void
local_punt(struct local *l, struct rte_mbuf *m)
{
	struct dp_mbuf_meta *md = dp_meta(m);
	const struct dp_fib *fib;
	const uint8_t *ip;

	/* Answers parse the packet from its first segment; a reassembled
	 * IPv4 datagram too big for its egress is fragmented whole; local
	 * input takes single segments only (a chain is dropped there). */
	if (unlikely(m->nb_segs > 1) && md->punt != DP_PUNT_RESOLVE &&
	    md->punt != DP_PUNT_LOCAL &&
	    (md->punt != DP_PUNT_TOOBIG || md->af == 6)) {
		m = local_head(l, m);
		if (m == NULL)
			return;
		md = dp_meta(m);
	}

	switch (md->punt) {
	case DP_PUNT_LOCAL:
		local_input(l, m);
		break;
	case DP_PUNT_RESOLVE:
		fib = atomic_load_explicit(&l->dp->fib, memory_order_acquire);
		ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
		if (dp_carp_vip_find(l->dp, -1, md->af, md->af == 4 ? ip + 16 : ip + 24) != NULL) {
			/* A CARP virtual address we are MASTER for lies on a connected
			 * prefix, so the worker tried to resolve it: it is ours. */
			local_input(l, m);
			break;
		}
		if (md->nh >= fib->n_nh) {
			local_drop(l, m, DP_DROP_NO_ROUTE);
			break;
		}
		/* The worker did not decrement the TTL yet: do it here. */
		if (md->af == 4) {
			uint8_t *w = (uint8_t *)ip;
			uint16_t from = proto_rd16(w + 8);

			w[8]--;
			proto_wr16(w + 10, proto_cksum_update16(proto_rd16(w + 10), from,
								proto_rd16(w + 8)));
		} else {
			((uint8_t *)ip)[7]--;
		}
		local_out_nh(l, m, &fib->nh[md->nh], md->af, md->af == 4 ? ip + 16 : ip + 24);
		break;
	case DP_PUNT_TTL:
		local_icmp_error(l, m, md->af == 4 ? PKT_ICMP_TIMXCEED : PKT_ICMP6_TIME_EXCEEDED,
				 0, 0);
		break;
	case DP_PUNT_NOROUTE:
		/* ICMP net unreachable; ICMPv6 "no route to destination". */
		local_icmp_error(l, m, md->af == 4 ? PKT_ICMP_UNREACH : PKT_ICMP6_DST_UNREACH, 0,
				 0);
		break;
	case DP_PUNT_REJECT:
		/* Host unreachable; ICMPv6 "address unreachable" [RFC 4443 3.1]. */
		local_icmp_error(l, m, md->af == 4 ? PKT_ICMP_UNREACH : PKT_ICMP6_DST_UNREACH,
				 md->af == 4 ? 1 : 3, 0);
		break;
	case DP_PUNT_TOOBIG:
		local_too_big(l, m);
		break;
	case DP_PUNT_RETURN_RST:
		local_send_rst(l, m);
		break;
	case DP_PUNT_RETURN_ICMP:
		/* block return-icmp: unreachable with the code the worker chose. */
		local_icmp_error(l, m, md->af == 4 ? PKT_ICMP_UNREACH : PKT_ICMP6_DST_UNREACH,
				 (uint8_t)md->arg, 0);
		break;
	default:
		local_drop(l, m, DP_DROP_LOCAL_UNHANDLED);
		break;
	}
}

/* Packets arriving on the control core's RX queue of a port. */
static void
local_rx(struct local *l, unsigned int p, struct rte_mbuf *m)
{
	struct dp_main *dp = l->dp;
	struct dp_parse pr;
	unsigned int owner;

	l->st->rx_pkts++;
	if (dp_rx_parse(dp, l->st, p, m, &pr) != DP_PARSE_OK) {
		local_drop(l, m, pr.drop);
		return;
	}
	if (pr.local) {
		l->st->local_pkts++;
		local_input(l, m);
		return;
	}
	owner = dp_owner(dp, pr.hash);
	if (rte_ring_sp_enqueue(dp->handoff[dp->n_workers][owner], m) != 0) {
		local_drop(l, m, DP_DROP_HANDOFF_FULL);
		return;
	}
	l->st->handoff_out++;
}

/*
 * Ten times a second: retries, failures, re-probes of old entries, and
 * the deletion of failed and stale entries past their time (nbr.h).
 * Deletions are collected and done after the walk, not under the iterator.
 */
#define LOCAL_EXPIRE_BATCH 256

static void
local_timers(struct local *l, uint64_t now)
{
	uint32_t expire[LOCAL_EXPIRE_BATCH], n_expire = 0, i;
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	local_neigh_pin(l);
	while ((pos = rte_hash_iterate(l->dp->neigh_hash, &key, &data, &iter)) >= 0) {
		struct local_neigh *n = &l->neigh[pos];
		uint8_t addr[16], af;
		uint16_t ifx;

		if ((unsigned int)pos >= l->dp->neigh_max)
			continue;
		dp_neigh_key_decode(key, &ifx, &af, addr);
		switch (n->state) {
		case NEIGH_INCOMPLETE:
		case NEIGH_PROBE:
			if (now < n->next_us)
				break;
			if (n->tries >= LOCAL_SOLICIT_TRIES) {
				n->state = NEIGH_FAILED;
				atomic_store_explicit(&l->dp->neigh[pos].mac, 0,
						      memory_order_release);
				local_drop_pending(l, (uint32_t)pos);
				nbr_failed(&l->nbr, (uint32_t)pos, now);
				break;
			}
			local_solicit(l, (uint32_t)pos, ifx, af, addr);
			break;
		case NEIGH_REACHABLE:
			/* confirmed_us may be newer than `now` (learned in this poll,
			 * after `now` was read): an unsigned difference would wrap. */
			if (now > n->confirmed_us &&
			    now - n->confirmed_us >
			    LOCAL_REACHABLE_S * (uint64_t)DP_CLOCK_US_PER_S) {
				/* Keep forwarding on the old MAC while we ask again. */
				n->state = NEIGH_PROBE;
				n->tries = 0;
				local_solicit(l, (uint32_t)pos, ifx, af, addr);
			}
			break;
		case NEIGH_FAILED:
		case NEIGH_STALE:
			if (n_expire < LOCAL_EXPIRE_BATCH && nbr_expired(&l->nbr, (uint32_t)pos, now))
				expire[n_expire++] = (uint32_t)pos;
			break;
		default:
			break;
		}
	}
	for (i = 0; i < n_expire; i++)
		local_neigh_delete(l, expire[i], false);
}

/* CARP asks for a peer's or a virtual address's neighbour: needed. */
void
local_resolve(struct local *l, uint16_t ifx, uint8_t af, const uint8_t *addr)
{
	int slot = local_neigh_slot(l, ifx, af, addr, NBR_NEEDED, addr);
	struct local_neigh *n;

	if (slot < 0)
		return;
	n = &l->neigh[slot];
	if (n->state == NEIGH_INCOMPLETE || n->state == NEIGH_PROBE ||
	    (atomic_load_explicit(&l->dp->neigh[slot].mac, memory_order_acquire) & DP_NEIGH_VALID))
		return;
	n->state = NEIGH_INCOMPLETE;
	n->tries = 0;
	nbr_resolving(&l->nbr, (uint32_t)slot, dp_clock_us(&l->dp->clock));
	local_solicit(l, (uint32_t)slot, ifx, af, addr);
}

int
local_init(struct local *l, struct dp_main *dp)
{
	memset(l, 0, sizeof(*l));
	l->dp = dp;
	l->st = &dp->stats[DP_CTL_WORKER];
	l->icmp_tokens = LOCAL_ICMP_RATE;
	l->icmp_us = dp_clock_us(&dp->clock);
	l->neigh = rte_zmalloc("dpf_local_neigh", sizeof(*l->neigh) * dp->neigh_max, 0);
	l->nfree = rte_zmalloc("dpf_local_nfree", sizeof(*l->nfree) * dp->neigh_max, 0);
	/* The policy's table size: the hash's, less the quarter route.c may
	 * give static routes' gateways (DP_NEIGH_GATEWAYS_MAX: a reload that
	 * adds gateways never finds the table full of hosts) and a sixteenth
	 * of room for full hash buckets. */
	if (nbr_init(&l->nbr, dp->neigh_max,
		     dp->neigh_entries - dp->neigh_entries / 4 - dp->neigh_entries / 16,
		     (uint32_t)rte_rand(), dp_clock_us(&dp->clock)) != 0)
		return -ENOMEM;
	l->indirect = rte_pktmbuf_pool_create("dpf_indirect", 4096, 32, 0, 0,
					      (int)rte_socket_id());
	local_proto_register(l, LOCAL_PROTO_ARP, local_proto_arp, l);
	local_proto_register(l, PKT_IPPROTO_ICMP, local_proto_icmp, l);
	local_proto_register(l, PKT_IPPROTO_ICMPV6, local_proto_icmp6, l);
	return l->neigh == NULL || l->nfree == NULL || l->indirect == NULL ? -ENOMEM : 0;
}

void
local_fini(struct local *l)
{
	unsigned int i;

	for (i = 0; i < l->n_pending; i++)
		rte_pktmbuf_free(l->pending[i].m);
	l->n_pending = 0;
	for (i = 0; i < l->dp->n_ports; i++)
		local_tx_flush(l, i);
	rte_free(l->neigh);
	l->neigh = NULL;
	rte_free(l->nfree);
	l->nfree = NULL;
	nbr_fini(&l->nbr);
}

unsigned int
local_poll(struct local *l)
{
	struct dp_main *dp = l->dp;
	struct rte_mbuf *pkts[DP_BURST_MAX];
	unsigned int w, p, i, n, work = 0;
	uint64_t now = dp_clock_us(&dp->clock);

	for (w = 0; w < dp->n_workers; w++) {
		n = rte_ring_sc_dequeue_burst(dp->workers[w].punt, (void **)pkts, DP_BURST_MAX,
					      NULL);
		work += n;
		l->punted = true;
		for (i = 0; i < n; i++)
			local_punt(l, pkts[i]);
		l->punted = false;
	}
	for (p = 0; p < dp->n_ports; p++) {
		n = rte_eth_rx_burst(dp->ports[p].port_id, dp->ports[p].ctl_q, pkts, DP_BURST_MAX);
		work += n;
		for (i = 0; i < n; i++)
			local_rx(l, p, pkts[i]);
	}
	local_neigh_reclaim(l);
	if (now - l->timer_us > DP_CLOCK_US_PER_S / 10) {
		l->timer_us = now;
		local_timers(l, now);
	}
	for (p = 0; p < dp->n_ports; p++)
		local_tx_flush(l, p);
	return work;
}
