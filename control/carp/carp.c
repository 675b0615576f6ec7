/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the CARP engine on the control core (see carp.h).
 *
 * Input follows OpenBSD's order [OpenBSD ip_carp.c carp_proto_input_if,
 * carp6_proto_input_if, carp_proto_input_c]: TTL/hop
 * limit 255, length, checksum, vhid (on the receiving interface, matching
 * the multicast-ness of the vhid's peer), version, HMAC, replay cookie, then
 * the state machine.  Our own adverts come back to us on net_af_packet
 * (a packet socket sees its own transmissions); they are recognized by
 * their source address (one of ours) and dropped before counting, as
 * FreeBSD's carp_source_is_self does.
 *
 * Output: adverts for every address family the vhid has addresses in, to
 * 224.0.0.18 / ff02::12 or the unicast peer, from the virtual MAC, the
 * interface's first IPv4 address or IPv6 link-local address, TTL 255
 * (proto/carp.c builds the frames).  On becoming MASTER: the new set of
 * owned virtual MACs and addresses is published first, then the advert,
 * then a gratuitous ARP request per IPv4 address and an unsolicited NA (to
 * ff02::1, Router + Override) per IPv6 address, all from the virtual MAC
 * [OpenBSD carp_master_down, carp_send_arp, carp_send_na].
 *
 * Demotion: groups are "carp" (every vhid is in it, as every OpenBSD carp
 * interface is) plus the groups of the vhid's interface.  A change sends
 * adverts from every MASTER at once [OpenBSD ip_carp.c carp_group_demote_adj].  A parent link going
 * down moves its vhids to INIT and demotes their groups by 1; its return
 * undoes both [OpenBSD carp_carpdev_state].
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "control/carp/carp.h"
#include "control/carp/carp_priv.h"
#include "control/local/local.h"
#include "control/log/dlog.h"
#include "proto/cksum.h"
#include "proto/proto.h"

/* Log priorities [OpenBSD ip_carp.c]: syslog's, which dlog's levels are. */
#define CARP_LOG_CRIT DLOG_CRIT
#define CARP_LOG_ERR DLOG_ERR
#define CARP_LOG_WARNING DLOG_WARNING
#define CARP_LOG_NOTICE DLOG_NOTICE
#define CARP_LOG_INFO DLOG_INFO

#define CARP_ARP_LEN 28
#define CARP_NA_LEN 32

PROTO_NAME_FN(carp_rej_name, unsigned int, CARP_REJ_LIST, CARP_REJ_MAX);

/* The carpstats counter each rejection bumps, and its log priority. */
#define CARP_REJ_STAT(sym, str, stat, prio) CARP_STAT_##stat,
#define CARP_REJ_PRIO(sym, str, stat, prio) CARP_LOG_##prio,
static const uint8_t carp_rej_stat[CARP_REJ_MAX] = { CARP_REJ_LIST(CARP_REJ_STAT) };
static const uint8_t carp_rej_prio[CARP_REJ_MAX] = { CARP_REJ_LIST(CARP_REJ_PRIO) };
#undef CARP_REJ_PRIO
#undef CARP_REJ_STAT

/*
 * Timers run on the dataplane's clock (dataplane/clock.h), in
 * microseconds, like everything else that keeps time on the control core.
 */
uint64_t
carp_now(const struct carp *c)
{
	return dp_clock_us(&c->dp->clock);
}

/*
 * CARP's lines are filtered by carp.log first (OpenBSD's net.inet.carp.log:
 * a syslog priority threshold), then go out through dlog at that priority.
 */
static bool
carp_logs(const struct carp *c, unsigned int prio)
{
	return c->cfg->carp.log >= prio;
}

static const char *
vh_ifname(const struct carp *c, const struct carp_vh *vh)
{
	return c->dp->ifaces[vh->iface].name;
}

uint8_t
carp_vh_demote(const struct carp *c, const struct carp_vh *vh)
{
	unsigned int i, sum = 0;

	for (i = 0; i < vh->n_groups; i++)
		sum += (unsigned int)c->groups[vh->groups[i]].demote;
	return sum > 255 ? 255 : (uint8_t)sum;
}

/* --- publication of what we are MASTER for ------------------------------ */

static void
carp_reclaim(struct carp *c, bool wait)
{
	unsigned int i;

	for (i = 0; i < CARP_RECLAIM_MAX; i++) {
		if (c->reclaim[i].obj == NULL)
			continue;
		if (rte_rcu_qsbr_check(c->dp->rcu, c->reclaim[i].token, wait) == 1) {
			free(c->reclaim[i].obj);
			c->reclaim[i].obj = NULL;
		}
	}
}

void
carp_publish(struct carp *c)
{
	struct dp_carp *n, *old;
	unsigned int i, j, nv = 0;

	for (i = 0; i < c->n_vh; i++)
		if (c->vh[i].fsm.state == CARP_ST_MASTER)
			nv += c->vh[i].n4 + c->vh[i].n6;
	n = calloc(1, sizeof(*n) + nv * sizeof(n->vips[0]));
	if (n == NULL) {
		/* Keep the old set: stale for a while, never a dangling pointer. */
		dlog(CARP_NOMEM, DLOG_S("what", "MASTER set"));
		return;
	}
	for (i = 0; i < c->n_vh; i++) {
		const struct carp_vh *vh = &c->vh[i];

		if (vh->fsm.state != CARP_ST_MASTER)
			continue;
		n->vmac[vh->port][vh->vhid >> 6] |= 1ull << (vh->vhid & 63);
		for (j = 0; j < vh->n4 + vh->n6; j++) {
			struct dp_carp_vip *v = &n->vips[n->n_vips++];

			v->iface = vh->iface;
			v->vhid = vh->vhid;
			if (j < vh->n4) {
				v->af = 4;
				memcpy(v->addr, vh->v4[j], 4);
			} else {
				v->af = 6;
				memcpy(v->addr, vh->v6[j - vh->n4], 16);
			}
		}
	}
	old = atomic_exchange_explicit(&c->dp->carp, n, memory_order_acq_rel);
	if (old == NULL)
		return;
	for (;;) {
		for (i = 0; i < CARP_RECLAIM_MAX; i++) {
			if (c->reclaim[i].obj == NULL) {
				c->reclaim[i].obj = old;
				c->reclaim[i].token = rte_rcu_qsbr_start(c->dp->rcu);
				return;
			}
		}
		carp_reclaim(c, true);
	}
}

/* --- output ------------------------------------------------------------ */

static void
carp_xmit(struct carp *c, const struct carp_vh *vh, struct rte_mbuf *m)
{
	struct dp_stats *st = &c->dp->stats[DP_CTL_WORKER];
	uint16_t port = vh->port;

	st->iface[vh->iface].tx_pkts++;
	st->iface[vh->iface].tx_bytes += m->pkt_len;
	/* Adverts leave at once: their timing is the election's. */
	local_tx(c->local, port, m);
	local_tx_flush(c->local, port);
}

/*
 * An mbuf holding an untagged frame of len bytes, with the 802.1Q tag of
 * the vhid's interface inserted after the MACs when it has one.  Returns
 * the frame start (to fill before carp_finish) or NULL.
 */
static uint8_t *
carp_frame(struct carp *c, const struct carp_vh *vh, struct rte_mbuf **mp, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dp->pool);
	uint8_t *f;

	*mp = NULL;
	if (m == NULL) {
		c->stats[CARP_STAT_ONOMEM]++;
		return NULL;
	}
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(len + 4));
	if (f == NULL) {
		rte_pktmbuf_free(m);
		c->stats[CARP_STAT_ONOMEM]++;
		return NULL;
	}
	memset(f, 0, len + 4u);
	(void)vh;
	*mp = m;
	return f;
}

static void
carp_finish(struct carp *c, const struct carp_vh *vh, struct rte_mbuf *m, uint16_t len)
{
	uint16_t vlan = c->dp->ifaces[vh->iface].vlan;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	if (vlan) {
		memmove(f + 16, f + 12, len - 12u);
		proto_wr16(f + 12, 0x8100);
		proto_wr16(f + 14, vlan);
	} else {
		rte_pktmbuf_trim(m, 4);
	}
	carp_xmit(c, vh, m);
}

/* The destination MAC of a unicast peer, or false (resolution started). */
static bool
carp_peer_mac(struct carp *c, struct carp_vh *vh, uint8_t af, const uint8_t *ip, uint8_t mac[6])
{
	int slot = dp_neigh_lookup(c->dp, vh->iface, af, ip);
	uint64_t w = slot >= 0 ? atomic_load_explicit(&c->dp->neigh[slot].mac,
						      memory_order_acquire) : 0;
	int i;

	if (!(w & DP_NEIGH_VALID)) {
		local_resolve(c->local, vh->iface, af, ip);
		vh->unresolved++;
		return false;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (40 - 8 * i));
	return true;
}

static void
carp_send_advert(struct carp *c, struct carp_vh *vh, bool bow_out)
{
	const struct dp_iface *ifc = &c->dp->ifaces[vh->iface];
	const struct cfg_vhid *cv = vh->cfg;
	struct carp_advert a = {
		.version = CARP_VERSION,
		.type = CARP_TYPE_ADVERTISEMENT,
		.vhid = vh->vhid,
		.advskew = bow_out ? CARP_BOW_OUT : vh->fsm.advskew,
		.authlen = CARP_AUTHLEN,
		.demote = carp_vh_demote(c, vh),
		.advbase = bow_out ? CARP_BOW_OUT : vh->fsm.advbase,
		.counter = vh->cookie,
	};
	struct rte_mbuf *m;
	uint8_t *f, mac[6];
	unsigned int i;

	if (carp_advert_sign(&vh->hmac, &a) != 0) {
		c->stats[CARP_STAT_ONOMEM]++;
		vh->stats[CARP_STAT_ONOMEM]++;
		return;
	}
	if (vh->n4 > 0) {
		const uint8_t *src = NULL, *dst = NULL, *dmac = NULL;
		uint16_t id = (uint16_t)rte_rand();

		for (i = 0; i < ifc->n_addrs && src == NULL; i++)
			if (ifc->addrs[i].af == 4)
				src = ifc->addrs[i].addr;
		if (src == NULL)
			src = vh->v4[0];	/* OpenBSD's fallback: a carp address */
		if (cv->has_peer && cv->peer.af == 4) {
			dst = cv->peer.addr;
			if (!carp_peer_mac(c, vh, 4, dst, mac))
				goto v6;
			dmac = mac;
		}
		f = carp_frame(c, vh, &m, CARP_FRAME4_LEN);
		if (f != NULL) {
			if (carp_build_frame4(f, CARP_FRAME4_LEN, dmac, NULL, src, dst, id, &a) == 0) {
				rte_pktmbuf_free(m);
			} else {
				c->stats[CARP_STAT_OPACKETS]++;
				vh->stats[CARP_STAT_OPACKETS]++;
				carp_finish(c, vh, m, CARP_FRAME4_LEN);
			}
		}
	}
v6:
	if (vh->n6 > 0) {
		const uint8_t *dst = NULL, *dmac = NULL;

		if (cv->has_peer && cv->peer.af == 6) {
			dst = cv->peer.addr;
			if (!carp_peer_mac(c, vh, 6, dst, mac))
				return;
			dmac = mac;
		}
		f = carp_frame(c, vh, &m, CARP_FRAME6_LEN);
		if (f == NULL)
			return;
		if (carp_build_frame6(f, CARP_FRAME6_LEN, dmac, NULL, ifc->ll6, dst, &a) == 0) {
			rte_pktmbuf_free(m);
			return;
		}
		c->stats[CARP_STAT_OPACKETS6]++;
		vh->stats[CARP_STAT_OPACKETS6]++;
		carp_finish(c, vh, m, CARP_FRAME6_LEN);
	}
}

/* Gratuitous ARP request per IPv4 VIP, unsolicited NA per IPv6 VIP. */
void
carp_announce(struct carp *c, struct carp_vh *vh)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	const struct dp_iface *ifc = &c->dp->ifaces[vh->iface];
	struct rte_mbuf *m;
	uint8_t vmac[6], *f;
	unsigned int i;

	carp_vmac(vh->vhid, vmac);
	for (i = 0; i < vh->n4; i++) {
		f = carp_frame(c, vh, &m, 14 + CARP_ARP_LEN);
		if (f == NULL)
			return;
		memset(f, 0xff, 6);
		memcpy(f + 6, vmac, 6);
		proto_wr16(f + 12, 0x0806);
		proto_wr16(f + 14, 1);		/* Ethernet */
		proto_wr16(f + 16, 0x0800);
		f[18] = 6;
		f[19] = 4;
		proto_wr16(f + 20, 1);		/* request, sender = target = VIP */
		memcpy(f + 22, vmac, 6);
		memcpy(f + 28, vh->v4[i], 4);
		memcpy(f + 38, vh->v4[i], 4);
		carp_finish(c, vh, m, 14 + CARP_ARP_LEN);
	}
	for (i = 0; i < vh->n6; i++) {
		uint8_t *ip, *na;

		f = carp_frame(c, vh, &m, 14 + 40 + CARP_NA_LEN);
		if (f == NULL)
			return;
		f[0] = 0x33;
		f[1] = 0x33;
		f[5] = 1;
		memcpy(f + 6, vmac, 6);
		proto_wr16(f + 12, 0x86dd);
		ip = f + 14;
		ip[0] = 0x60;
		proto_wr16(ip + 4, CARP_NA_LEN);
		ip[6] = PKT_IPPROTO_ICMPV6;
		ip[7] = 255;
		memcpy(ip + 8, ifc->ll6, 16);
		memcpy(ip + 24, all_nodes, 16);
		na = ip + 40;
		na[0] = PKT_ND_NEIGHBOR_ADVERT;
		na[4] = PKT_ND_NA_ROUTER | PKT_ND_NA_OVERRIDE;
		memcpy(na + 8, vh->v6[i], 16);
		na[24] = 2;			/* target link-layer address */
		na[25] = 1;
		memcpy(na + 26, vmac, 6);
		proto_wr16(na + 2, proto_cksum_l4(proto_cksum_pseudo6(ip + 8, ip + 24,
								     PKT_IPPROTO_ICMPV6,
								     CARP_NA_LEN),
						  na, CARP_NA_LEN));
		carp_finish(c, vh, m, 14 + 40 + CARP_NA_LEN);
	}
}

/* Carries out what the state machine asked for. */
void
carp_apply(struct carp *c, struct carp_vh *vh, const struct carp_fsm_act *act)
{
	if (act->flags & CARP_ACT_BOWOUT)
		carp_send_advert(c, vh, true);
	if (act->flags & CARP_ACT_STATE) {
		bool ms = act->from == CARP_ST_MASTER || act->to == CARP_ST_MASTER;
		unsigned int prio;

		vh->transitions++;
		vh->last_time = time(NULL);
		vh->last_from = act->from;
		vh->last_to = act->to;
		vh->last_reason = act->reason;
		if (act->from == CARP_ST_BACKUP && act->to == CARP_ST_MASTER) {
			vh->stats[CARP_STAT_PREEMPT]++;
			c->stats[CARP_STAT_PREEMPT]++;
		}
		/* BACKUP <-> MASTER at LOG_CRIT, to and from INIT at LOG_WARNING. */
		prio = act->from != CARP_ST_INIT && act->to != CARP_ST_INIT ? CARP_LOG_CRIT :
		       CARP_LOG_WARNING;
		if (carp_logs(c, prio))
			dlog_at(CARP_TRANSITION, prio, DLOG_U("vhid", vh->vhid),
				DLOG_S("iface", vh_ifname(c, vh)),
				DLOG_S("from", carp_state_name(act->from)),
				DLOG_S("to", carp_state_name(act->to)), DLOG_S("reason", act->reason));
		if (ms)
			carp_publish(c);
	}
	if (act->flags & CARP_ACT_ADVERT)
		carp_send_advert(c, vh, false);
	if (act->flags & CARP_ACT_ANNOUNCE)
		carp_announce(c, vh);
}

/* --- input ------------------------------------------------------------- */

static struct carp_vh *
carp_find(struct carp *c, uint16_t iface, uint8_t vhid)
{
	unsigned int i;

	for (i = 0; i < c->n_vh; i++)
		if (c->vh[i].iface == iface && c->vh[i].vhid == vhid)
			return &c->vh[i];
	return NULL;
}

static void
carp_reject(struct carp *c, struct carp_vh *vh, enum carp_rej why, const uint8_t *src, uint8_t af,
	    uint64_t now)
{
	char a[INET6_ADDRSTRLEN];

	c->rej[why]++;
	c->stats[carp_rej_stat[why]]++;
	if (vh == NULL)
		return;
	vh->rej[why]++;
	vh->stats[carp_rej_stat[why]]++;
	/* At most one line a second per vhid: a flood must not flood the log.
	 * The clock starts at 0 with dpf, so 0 means "never logged". */
	if (carp_logs(c, carp_rej_prio[why]) &&
	    (vh->last_log_us == 0 || now - vh->last_log_us >= 1000000)) {
		vh->last_log_us = now;
		if (inet_ntop(af == 4 ? AF_INET : AF_INET6, src, a, sizeof(a)) == NULL)
			snprintf(a, sizeof(a), "?");
		dlog_at(CARP_REJECTED, carp_rej_prio[why], DLOG_U("vhid", vh->vhid),
			DLOG_S("iface", vh_ifname(c, vh)), DLOG_S("src", a),
			DLOG_S("reason", carp_rej_name(why)));
	}
}

/* Our own address on the receiving interface: our advert, looped back. */
static bool
carp_from_self(const struct carp *c, uint16_t iface, uint8_t af, const uint8_t *src)
{
	return dp_iface_owns(&c->dp->ifaces[iface], af, src);
}

/*
 * After an HMAC failure: does the advert verify with our key over another
 * address list (each single address of ours, only our IPv4 ones, only our
 * IPv6 ones)?  Then the key is right and the lists differ.  At most
 * 2 + (addresses) HMACs, only on the failure path of a vhid we know.
 */
static bool
carp_addrs_mismatch(const struct carp_vh *vh, const struct carp_advert *a)
{
	uint8_t counter[8];
	struct carp_hmac h;
	unsigned int i;
	bool hit = false;

	proto_wr32(counter, (uint32_t)(a->counter >> 32));
	proto_wr32(counter + 4, (uint32_t)a->counter);
	for (i = 0; i < vh->n4 + vh->n6 + 2 && !hit; i++) {
		int rc;

		if (i < vh->n4)
			rc = carp_hmac_init(&h, vh->cfg->key, vh->cfg->key_len, vh->vhid,
					    (const uint8_t (*)[4])&vh->v4[i], 1, NULL, 0);
		else if (i < vh->n4 + vh->n6)
			rc = carp_hmac_init(&h, vh->cfg->key, vh->cfg->key_len, vh->vhid, NULL, 0,
					    (const uint8_t (*)[16])&vh->v6[i - vh->n4], 1);
		else if (i == vh->n4 + vh->n6 && vh->n4 > 0 && vh->n6 > 0)
			rc = carp_hmac_init(&h, vh->cfg->key, vh->cfg->key_len, vh->vhid,
					    (const uint8_t (*)[4])vh->v4, vh->n4, NULL, 0);
		else if (i == vh->n4 + vh->n6 + 1 && vh->n4 > 0 && vh->n6 > 0)
			rc = carp_hmac_init(&h, vh->cfg->key, vh->cfg->key_len, vh->vhid, NULL, 0,
					    (const uint8_t (*)[16])vh->v6, vh->n6);
		else
			continue;
		if (rc == 0 && (vh->n4 + vh->n6 > 1 || i >= vh->n4 + vh->n6))
			hit = carp_hmac_verify(&h, counter, a->md) == 0;
		carp_hmac_clear(&h);
	}
	return hit;
}

/* local's handler for IP protocol 112: every CARP packet is consumed. */
static bool
carp_proto_input(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	carp_input(arg, m, pm);
	return true;
}

void
carp_input(struct carp *c, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t iface = dp_meta(m)->iface;
	uint8_t af = pm->l3_proto == PKT_L3_IPV4 ? 4 : 6;
	const uint8_t *hdr = frame + pm->l4_off;
	uint32_t len = pm->l4_len;
	uint64_t now = carp_now(c);
	struct carp_vh *vh = NULL;
	struct carp_advert a;
	struct carp_fsm_act act;
	bool mcast;
	int rc;

	if (carp_from_self(c, iface, af, pm->src)) {
		c->own++;
		goto out;
	}
	/* The vhid byte, to attribute early rejections to a vhid we have. */
	if (len >= 2 && pm->l4_off + 2u <= m->data_len)
		vh = carp_find(c, iface, hdr[1]);
	c->stats[af == 4 ? CARP_STAT_IPACKETS : CARP_STAT_IPACKETS6]++;
	if (vh != NULL)
		vh->stats[af == 4 ? CARP_STAT_IPACKETS : CARP_STAT_IPACKETS6]++;
	if (pm->ttl != CARP_DFLTTL) {
		carp_reject(c, vh, CARP_REJ_TTL, pm->src, af, now);
		goto out;
	}
	if (pm->l4_off + (uint32_t)CARP_HDR_LEN > m->data_len) {
		carp_reject(c, vh, CARP_REJ_SHORT, pm->src, af, now);
		goto out;
	}
	rc = carp_parse(hdr, len, &a);
	if (rc != CARP_OK) {
		carp_reject(c, vh, rc == CARP_ERR_SHORT ? CARP_REJ_SHORT :
			    rc == CARP_ERR_BAD_CKSUM ? CARP_REJ_CKSUM : CARP_REJ_VERSION,
			    pm->src, af, now);
		goto out;
	}
	/* The vhid must exist here, be running, and expect this kind of
	 * destination: multicast unless its peer is unicast of this family. */
	mcast = af == 4 ? pm->dst[0] >= 224 : pm->dst[0] == 0xff;
	if (vh != NULL && (vh->fsm.state == CARP_ST_INIT ||
			   mcast != !(vh->cfg->has_peer && vh->cfg->peer.af == af))) {
		carp_reject(c, NULL, CARP_REJ_VHID, pm->src, af, now);
		vh->rej[CARP_REJ_VHID]++;
		vh->stats[CARP_STAT_BADVHID]++;
		goto out;
	}
	if (vh == NULL) {
		carp_reject(c, NULL, CARP_REJ_VHID, pm->src, af, now);
		goto out;
	}
	if (carp_advert_verify(&vh->hmac, &a) != 0) {
		carp_reject(c, vh, carp_addrs_mismatch(vh, &a) ? CARP_REJ_ADDRS : CARP_REJ_AUTH,
			    pm->src, af, now);
		goto out;
	}
	if (a.counter == vh->cookie) {
		/* Our cookie from someone else: a replay or a loop [OpenBSD ip_carp.c carp_proto_input_c]. */
		carp_reject(c, vh, CARP_REJ_REPLAY, pm->src, af, now);
		goto out;
	}
	carp_fsm_input(&vh->fsm, now, af == 4 ? CARP_FSM_AF4 : CARP_FSM_AF6, a.advbase, a.advskew,
		       a.demote, carp_vh_demote(c, vh), c->cfg->carp.preempt, &act);
	carp_apply(c, vh, &act);
out:
	rte_pktmbuf_free(m);
}

/* --- operations -------------------------------------------------------- */

static int
carp_group_find(const struct carp *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_groups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
vh_in_group(const struct carp_vh *vh, unsigned int g)
{
	unsigned int i;

	for (i = 0; i < vh->n_groups; i++)
		if (vh->groups[i] == g)
			return true;
	return false;
}

static void
carp_group_adj(struct carp *c, unsigned int g, int n, const char *reason)
{
	struct carp_group *grp = &c->groups[g];
	uint64_t now = carp_now(c);
	struct carp_fsm_act act;
	int old = grp->demote;
	unsigned int i;

	grp->demote = old + n < 0 ? 0 : old + n;
	if (carp_logs(c, CARP_LOG_ERR))
		dlog_at(CARP_DEMOTE, CARP_LOG_ERR, DLOG_S("group", grp->name), DLOG_I("by", n),
			DLOG_I("demote", grp->demote), DLOG_S("reason", reason));
	if (grp->demote == old)
		return;
	/* Tell the peers now, not at the next advert. */
	for (i = 0; i < c->n_vh; i++) {
		if (!vh_in_group(&c->vh[i], g))
			continue;
		carp_fsm_advertise_now(&c->vh[i].fsm, now, &act);
		carp_apply(c, &c->vh[i], &act);
	}
}

int
carp_demote(struct carp *c, const char *group, int n, const char *reason)
{
	int g = carp_group_find(c, group);

	if (g < 0)
		return -ENOENT;
	carp_group_adj(c, (unsigned int)g, n, reason);
	return 0;
}

void
carp_vh_groups_adj(struct carp *c, struct carp_vh *vh, int n, const char *reason)
{
	unsigned int i;

	for (i = 0; i < vh->n_groups; i++)
		carp_group_adj(c, vh->groups[i], n, reason);
}

int
carp_force_state(struct carp *c, struct carp_vh *vh, uint8_t state)
{
	struct carp_fsm_act act;

	if (state != CARP_ST_MASTER && state != CARP_ST_BACKUP)
		return -EINVAL;
	if (vh->fsm.state == CARP_ST_INIT)
		return -EAGAIN;
	carp_fsm_force(&vh->fsm, carp_now(c), state, &act);
	carp_apply(c, vh, &act);
	return 0;
}

int
carp_set_down(struct carp *c, struct carp_vh *vh, bool down)
{
	struct carp_fsm_act act;

	if (down == vh->admin_down)
		return 0;
	vh->admin_down = down;
	if (down) {
		/* Bow out so that the backup takes over at once [OpenBSD ip_carp.c carp_carpdev_state]. */
		carp_fsm_stop(&vh->fsm, carp_now(c), true, "user requested down", &act);
		carp_apply(c, vh, &act);
	} else if (!vh->link_down && c->started) {
		carp_fsm_start(&vh->fsm, carp_now(c), &act);
		carp_apply(c, vh, &act);
	}
	return 0;
}

/* A parent port's link changed. */
static void
carp_link(struct carp *c, unsigned int port, bool up)
{
	struct carp_fsm_act act;
	unsigned int i;

	for (i = 0; i < c->n_vh; i++) {
		struct carp_vh *vh = &c->vh[i];

		if (vh->port != port)
			continue;
		if (up && !vh->link_down) {
			/* First start (carp_start): nothing to undo. */
			if (!vh->admin_down) {
				carp_fsm_start(&vh->fsm, carp_now(c), &act);
				carp_apply(c, vh, &act);
			}
			continue;
		}
		if (!up && vh->link_down)
			continue;
		vh->link_down = !up;
		if (!up) {
			carp_fsm_stop(&vh->fsm, carp_now(c), false, "carpdev link down", &act);
			carp_apply(c, vh, &act);
			carp_vh_groups_adj(c, vh, 1, "carpdev");
		} else {
			carp_vh_groups_adj(c, vh, -1, "carpdev");
			if (!vh->admin_down) {
				carp_fsm_start(&vh->fsm, carp_now(c), &act);
				carp_apply(c, vh, &act);
			}
		}
	}
}

void
carp_start(struct carp *c)
{
	unsigned int p;

	c->started = true;
	for (p = 0; p < c->dp->n_ports; p++) {
		c->link[p] = atomic_load(&c->dp->ports[p].link_up);
		/* Every vhid starts as if its link had been up: start it, or take
		 * it down and demote its groups through the link-down path. */
		carp_link(c, p, true);
		if (!c->link[p])
			carp_link(c, p, false);
	}
}

unsigned int
carp_poll(struct carp *c)
{
	uint64_t now = carp_now(c);
	struct carp_fsm_act act;
	unsigned int i, work = 0;

	if (!c->started)
		return 0;
	if (now - c->link_check_us >= 100000) {
		c->link_check_us = now;
		for (i = 0; i < c->dp->n_ports; i++) {
			bool up = atomic_load(&c->dp->ports[i].link_up);

			if (up != c->link[i]) {
				c->link[i] = up;
				carp_link(c, i, up);
				work++;
			}
		}
		carp_reclaim(c, false);
	}
	for (i = 0; i < c->n_vh; i++) {
		struct carp_vh *vh = &c->vh[i];

		if (carp_fsm_next(&vh->fsm) > now)
			continue;
		carp_fsm_timer(&vh->fsm, now, &act);
		carp_apply(c, vh, &act);
		work++;
	}
	return work;
}

void
carp_shutdown(struct carp *c)
{
	struct carp_fsm_act act;
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_vh; i++) {
		carp_fsm_stop(&c->vh[i].fsm, carp_now(c), true, "stopping", &act);
		carp_apply(c, &c->vh[i], &act);
	}
	c->started = false;
}

/* --- setup ------------------------------------------------------------- */

static int
carp_group_add(struct carp *c, const char *name)
{
	int g = carp_group_find(c, name);
	struct carp_group *n;

	if (g >= 0)
		return g;
	n = realloc(c->groups, (c->n_groups + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	c->groups = n;
	memset(&n[c->n_groups], 0, sizeof(n[0]));
	snprintf(n[c->n_groups].name, sizeof(n[0].name), "%s", name);
	return (int)c->n_groups++;
}

int
carp_vh_init(struct carp_vh *vh, const struct cfg_vhid *cv, const char *ifname, uint16_t port,
	     char *err, size_t errlen)
{
	int rc;

	vh->cfg = cv;
	vh->vhid = cv->vhid;
	vh->iface = (uint16_t)cv->iface;
	vh->port = port;
	vh->v4 = calloc(cv->n_addrs + 1, sizeof(*vh->v4));
	vh->v6 = calloc(cv->n_addrs + 1, sizeof(*vh->v6));
	if (vh->v4 == NULL || vh->v6 == NULL) {
		snprintf(err, errlen, "carp: out of memory");
		return -1;
	}
	for (unsigned int j = 0; j < cv->n_addrs; j++) {
		if (cv->addrs[j].af == 4)
			memcpy(vh->v4[vh->n4++], cv->addrs[j].addr, 4);
		else
			memcpy(vh->v6[vh->n6++], cv->addrs[j].addr, 16);
	}
	rc = carp_hmac_init(&vh->hmac, cv->key, cv->key_len, cv->vhid,
			    (const uint8_t (*)[4])vh->v4, vh->n4,
			    (const uint8_t (*)[16])vh->v6, vh->n6);
	if (rc != 0) {
		snprintf(err, errlen, "carp: vhid %u on %s: cannot prepare the HMAC (%s)",
			 cv->vhid, ifname, rc == -E2BIG ? "too many addresses" : "invalid key");
		return -1;
	}
	return 0;
}

struct carp *
carp_create(struct dp_main *dp, struct local *l, const struct dpf_config *cfg, char *err,
	    size_t errlen)
{
	struct carp *c = calloc(1, sizeof(*c));
	unsigned int i, j;

	if (c == NULL)
		goto nomem;
	c->dp = dp;
	c->local = l;
	c->cfg = cfg;
	c->vh = calloc(cfg->carp.n_vhids ? cfg->carp.n_vhids : 1, sizeof(*c->vh));
	if (c->vh == NULL || carp_group_add(c, "carp") < 0)
		goto nomem;
	for (i = 0; i < cfg->carp.n_vhids; i++) {
		const struct cfg_vhid *cv = &cfg->carp.vhids[i];
		const struct cfg_iface *ci = &cfg->ifaces[cv->iface];
		struct carp_vh *vh = &c->vh[c->n_vh];
		int rc;

		c->n_vh++;
		if (carp_vh_init(vh, cv, ci->name, dp->ifaces[cv->iface].port, err, errlen) != 0) {
			carp_destroy(c);
			return NULL;
		}
		/* One random cookie, sent in every advert [OpenBSD carp_prepare_ad]. */
		vh->cookie = rte_rand();
		carp_fsm_init(&vh->fsm, cv->advbase, cv->advskew, vh->n4 > 0, vh->n6 > 0);
		vh->groups[vh->n_groups++] = 0;
		for (j = 0; j < ci->n_groups && vh->n_groups < CARP_VH_GROUPS; j++) {
			rc = carp_group_add(c, ci->groups[j]);
			if (rc < 0)
				goto nomem;
			vh->groups[vh->n_groups++] = (uint16_t)rc;
		}
	}
	if (l != NULL && local_proto_register(l, IPPROTO_CARP, carp_proto_input, c) != 0) {
		snprintf(err, errlen, "carp: IP protocol %u has another handler", IPPROTO_CARP);
		carp_destroy(c);
		return NULL;
	}
	return c;
nomem:
	snprintf(err, errlen, "carp: out of memory");
	carp_destroy(c);
	return NULL;
}

void
carp_destroy(struct carp *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	if (c->local != NULL)
		local_proto_register(c->local, IPPROTO_CARP, NULL, NULL);
	if (c->dp != NULL) {
		struct dp_carp *old = atomic_exchange(&c->dp->carp, NULL);

		/* Workers are stopped (or never ran) when this is called. */
		free(old);
		for (i = 0; i < CARP_RECLAIM_MAX; i++) {
			free(c->reclaim[i].obj);
			c->reclaim[i].obj = NULL;
		}
	}
	for (i = 0; i < c->n_vh; i++) {
		carp_hmac_clear(&c->vh[i].hmac);
		free(c->vh[i].v4);
		free(c->vh[i].v6);
	}
	free(c->vh);
	free(c->groups);
	free(c);
}
