/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the filter stage of the worker.
 *
 * For each packet the worker owns (after the route lookup): build the
 * canonical state key, look the state up (in bulk), and on a hit run pf's
 * tracking for the protocol (TCP window checks, peer levels) and refresh
 * the state's expiry.  On a miss, evaluate the rules in, then out, and
 * create a state if the deciding rule keeps state.  ICMP and ICMPv6 errors
 * are matched to the state of the packet they quote.
 *
 * What is refused is counted under pf's reason names (dp_stats.drop,
 * DP_DROP_LIST) and, when the rule says `log`, sent to pflog.  `block
 * return` punts the packet to the control core, which answers it with a
 * TCP RST or an ICMP unreachable.
 *
 * Clock: states expire on the worker's second counter (c->now: the dp
 * clock of clock.h at the start of the poll); a state's expire field is
 * the absolute second it dies, computed when a packet refreshes it with
 * the timeout of its level, adaptively scaled by the global state count
 * [OpenBSD pfvar.h PFTM_*, pf_ioctl.c pfattach].
 *
 * Every change of a state goes through dp_state_event() (filter_priv.h):
 * INSERT in dp_filter_new_state(), UPDATE in dp_state_hit(), DELETE in
 * dp_filter_removed(); the requests of filter_cmd.c use the same hooks.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <stdio.h>

#include "dataplane/defer_stage.h"
#include "dataplane/dp.h"
#include "dataplane/dp_log.h"
#include "dataplane/dp_parse.h"
#include "dataplane/dp_run.h"
#include "dataplane/filter.h"
#include "dataplane/filter_stage.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/filter_priv.h"
#include "dataplane/pf_track.h"
#include "dataplane/rules.h"
#include "dataplane/rules_acl.h"
#include "dataplane/state.h"
#include "dataplane/worker_ctx.h"
#include "proto/pf.h"
#include "proto/pflog.h"
#include "proto/pkt_quote.h"
#include "proto/pfsync.h"

/* Housekeeping runs a second (worker.c: once a millisecond). */
#define DP_HOUSEKEEPING_HZ 1000

/* The L4 view of a packet that states and rules need. */
struct dp_flow {
	const uint8_t *l3;
	const uint8_t *l4;
	const uint8_t *src;
	const uint8_t *dst;
	uint32_t l4_len;		/* L4 bytes in the IP payload */
	uint32_t l4_seg;		/* of which in the first segment (headers) */
	uint16_t sport, dport;		/* host order; ICMP queries: id, id */
	uint8_t af;
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	bool icmp_err;			/* ICMP error: matched through the quoted packet */
};

/*
 * Fills f from packet m.  Returns false if the L4 header is short: the
 * caller drops it as malformed.  Fragments carry no ports (pf matches
 * them on addresses and protocol only).
 */
static bool
dp_flow_get(struct rte_mbuf *m, const struct dp_mbuf_meta *md, struct dp_flow *f)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint32_t ip_len, seg = m->data_len - md->l3_off;

	f->l3 = l3;
	f->af = md->af;
	f->proto = md->proto;
	f->sport = f->dport = 0;
	f->tcp_flags = 0;
	f->icmp_type = f->icmp_code = 0;
	f->icmp_err = false;
	if (md->af == 4) {
		f->src = l3 + 12;
		f->dst = l3 + 16;
		ip_len = rte_be_to_cpu_16(*(const rte_be16_t *)(l3 + 2));
	} else {
		f->src = l3 + 8;
		f->dst = l3 + 24;
		ip_len = 40u + rte_be_to_cpu_16(*(const rte_be16_t *)(l3 + 4));
	}
	/* A reassembled datagram is a chain: lengths from the packet, headers
	 * only from the first segment (frag.c keeps the L4 header there). */
	ip_len = RTE_MIN(ip_len, m->pkt_len - md->l3_off);
	f->l4 = l3 + md->l4_off;
	f->l4_len = ip_len > md->l4_off ? ip_len - md->l4_off : 0;
	f->l4_seg = RTE_MIN(f->l4_len, seg > md->l4_off ? seg - md->l4_off : 0);
	if (md->frag)
		return true;
	switch (md->proto) {
	case DP_IPPROTO_TCP:
		if (f->l4_seg < 20 || (f->l4[12] >> 4) < 5 || (f->l4[12] >> 4) * 4u > f->l4_seg)
			return false;
		f->tcp_flags = f->l4[13];
		/* fall through */
	case DP_IPPROTO_UDP:
	case DP_IPPROTO_SCTP:
		if (f->l4_seg < 8)
			return false;
		f->sport = (uint16_t)(f->l4[0] << 8 | f->l4[1]);
		f->dport = (uint16_t)(f->l4[2] << 8 | f->l4[3]);
		return true;
	case DP_IPPROTO_ICMP:
	case DP_IPPROTO_ICMPV6:
		if (f->l4_seg < 8 || (md->proto == DP_IPPROTO_ICMP) != (md->af == 4))
			return f->l4_seg >= 8;
		f->icmp_type = f->l4[0];
		f->icmp_code = f->l4[1];
		if (pkt_icmp_is_query(f->af, f->proto, f->icmp_type)) {
			f->sport = f->dport = (uint16_t)(f->l4[4] << 8 | f->l4[5]);
		} else if (pkt_icmp_is_error(f->af, f->proto, f->icmp_type)) {
			f->icmp_err = true;
		}
		return true;
	default:
		return true;
	}
}

/*
 * Sets a state's timeout index and expiry: the rule's own timeout if it
 * has one, else the global one, adaptively scaled (state.h).
 */
static inline void
dp_touch(const struct dp_wctx *c, const struct dpf_rule *r, struct dp_state *st, uint8_t tm)
{
	if (r != NULL && tm < PFTM_MAX && r->timeouts[tm] != 0)
		dp_state_touch_s(c->states, st, c->now, tm, r->timeouts[tm]);
	else
		dp_state_touch(c->states, st, c->now, tm);
}

static void
dp_log(struct dp_wctx *c, struct rte_mbuf *m, uint8_t dir, uint16_t iface, uint8_t action,
       uint8_t reason, int rule)
{
	const struct dp_mbuf_meta *md = dp_meta(m);
	/* pflog's rule number is the rule's stable id (docs/rules.md). */
	uint32_t nr = rule >= 0 ? c->rules->rs->rules[rule].id : PFLOG_RULENR_NONE;

	dp_log_packet(c->dp, c->w, c->st, m, md->l3_off, md->af, iface, dir, action, reason, nr);
}

/*
 * A packet refused by rule (index, -1 = default): counted, logged if the
 * rule says so, and dropped or answered (block return).
 */
static void
dp_block(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f, int rule,
	 uint8_t dir, uint16_t iface)
{
	const struct dpf_rule *r = rule >= 0 ? &c->rules->rs->rules[rule] : NULL;
	struct dp_mbuf_meta *md = dp_meta(m);

	c->st->drop[DP_DROP_RULE_BLOCK]++;
	if (r != NULL) {
		struct dp_rule_ctr *ctr = &dp_rule_ctr_row(c->rules, c->w->id)[rule];

		ctr->pkts++;
		ctr->bytes += m->pkt_len;
		if (r->log)
			dp_log(c, m, dir, iface, PF_DROP, PFRES_MATCH, rule);
	}
	if (r == NULL || r->block == RULE_BLOCK_DROP || r->block == RULE_BLOCK_DEFAULT ||
	    f->icmp_err) {
		rte_pktmbuf_free(m);
		return;
	}
	md->rule = r->id;
	if (f->proto == DP_IPPROTO_TCP &&
	    (r->block == RULE_BLOCK_RETURN || r->block == RULE_BLOCK_RETURN_RST)) {
		if (f->tcp_flags & PF_TH_RST) {
			rte_pktmbuf_free(m);	/* never answer a RST */
			return;
		}
		dp_punt(c, m, DP_PUNT_RETURN_RST);
		return;
	}
	if (r->block == RULE_BLOCK_RETURN_RST) {	/* not TCP: nothing to return */
		rte_pktmbuf_free(m);
		return;
	}
	/* Port unreachable, as pf's default return-icmp code [pf.conf(5)]. */
	md->arg = f->af == 4 ? 3 : 4;
	dp_punt(c, m, DP_PUNT_RETURN_ICMP);
}

static void
dp_rule_pkt(const struct dp_flow *f, uint8_t dir, uint16_t iface, struct rule_pkt *rp)
{
	memset(rp->src, 0, sizeof(rp->src));
	memset(rp->dst, 0, sizeof(rp->dst));
	rp->af = f->af;
	rp->proto = f->proto;
	rp->dir = dir;
	rp->iface = iface;
	memcpy(rp->src, f->src, f->af == 4 ? 4 : 16);
	memcpy(rp->dst, f->dst, f->af == 4 ? 4 : 16);
	if (f->proto == DP_IPPROTO_ICMP || f->proto == DP_IPPROTO_ICMPV6) {
		rp->sport = f->icmp_type;
		rp->dport = f->icmp_code;
	} else {
		rp->sport = f->sport;
		rp->dport = f->dport;
	}
	rp->tcp_flags = f->tcp_flags;
}

/* Index of the rule deciding (f, dir, iface), or -1 for the default rule. */
static inline int
dp_rules_match(struct dp_wctx *c, const struct dp_flow *f, uint8_t dir, uint16_t iface)
{
	struct rule_pkt rp;

	dp_rule_pkt(f, dir, iface, &rp);
	return c->rules->acl != NULL ? rules_acl_eval(c->rules->acl, &rp) :
				       rules_eval_ref(c->rules->rs, &rp);
}

/* Not classified yet (dp_rules_dir classifies it then). */
#define DP_RULE_EVAL (-3)

/* A routed next hop: the packet has an egress interface for `out` rules. */
static inline bool
dp_nh_routed(const struct dp_nh *nh)
{
	return nh->kind == DP_NH_CONNECTED || nh->kind == DP_NH_GATEWAY;
}

/* dp_rules_bulk()'s packets of one family: the classifier's view, egress, results. */
struct dp_rules_fam {
	const struct rule_pkt *p[DP_BURST_MAX];
	int oif[DP_BURST_MAX];		/* egress interface, -1: not routed */
	int r[DP_BURST_MAX], o[DP_BURST_MAX];	/* in, out results */
	uint8_t at[DP_BURST_MAX];	/* index in the burst */
	unsigned int n;
};

/*
 * The first packets of a burst (idx[0..n), indexes into flow[]/pkts[]/nh[])
 * classified in on their ingress interface and, if routed, out on their
 * egress one, in one rte_acl call per family (rules_acl_eval_bulk_io():
 * one walk for both directions when the rules compiled to categories):
 * rte_acl's fixed cost per call is most of a small ruleset's price, and
 * its tries walk several packets at once.  res_in[idx[k]] and, for a
 * routed packet, res_out[idx[k]] get the results.
 */
static void
dp_rules_bulk(struct dp_wctx *c, struct rte_mbuf **pkts, const struct dp_flow *flow,
	      const uint32_t *nh, const uint8_t *idx, unsigned int n, int *res_in, int *res_out)
{
	struct rule_pkt rp[DP_BURST_MAX];
	struct dp_rules_fam fam[2];	/* [0] IPv4, [1] IPv6 */
	unsigned int k;

	RTE_BUILD_BUG_ON(DP_BURST_MAX > RULES_ACL_BULK_MAX);
	fam[0].n = fam[1].n = 0;
	for (k = 0; k < n; k++) {
		unsigned int i = idx[k];
		const struct dp_nh *h = &c->fib->nh[nh[i]];
		unsigned int six = flow[i].af != 4, j = fam[six].n++;

		dp_rule_pkt(&flow[i], PF_IN, dp_meta(pkts[i])->iface, &rp[k]);
		fam[six].p[j] = &rp[k];
		fam[six].oif[j] = dp_nh_routed(h) ? (int)h->iface : -1;
		fam[six].at[j] = (uint8_t)i;
	}
	for (unsigned int six = 0; six < 2; six++) {
		struct dp_rules_fam *fm = &fam[six];

		if (fm->n == 0)
			continue;
		if (c->rules->acl != NULL) {
			rules_acl_eval_bulk_io(c->rules->acl, six ? 6 : 4, fm->p, fm->oif, fm->n,
					       fm->r, fm->o);
		} else {
			for (k = 0; k < fm->n; k++) {
				struct rule_pkt po = *fm->p[k];

				fm->r[k] = rules_eval_ref(c->rules->rs, fm->p[k]);
				po.dir = PF_OUT;
				po.iface = (uint16_t)fm->oif[k];
				if (fm->oif[k] >= 0)
					fm->o[k] = rules_eval_ref(c->rules->rs, &po);
			}
		}
		for (k = 0; k < fm->n; k++) {
			res_in[fm->at[k]] = fm->r[k];
			if (fm->oif[k] >= 0)
				res_out[fm->at[k]] = fm->o[k];
		}
	}
}

static inline bool
dp_rule_passes(const struct dp_wctx *c, int rule)
{
	return rules_verdict_pass(c->rules->rs, rule);
}

/*
 * A 32-bit field of a header in host order.  L4 headers are only 2-aligned
 * in an mbuf (14 bytes of Ethernet before the IP header): one load, no
 * alignment assumed.
 */
static inline uint32_t
dp_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static void
dp_tcp_seg(const struct dp_flow *f, struct pf_tcp_seg *s)
{
	const uint8_t *th = f->l4;
	unsigned int hlen = (th[12] >> 4) * 4u;

	s->seq = dp_rd32(th + 4);
	s->ack = dp_rd32(th + 8);
	s->win = (uint16_t)(th[14] << 8 | th[15]);
	s->flags = th[13];
	s->len = (uint16_t)(f->l4_len - hlen);
	s->wscale = (th[13] & PF_TH_SYN) ? (int8_t)pf_tcp_wscale_opt(th, hlen) : -1;
}

/* Initial tracking of a new state; returns its first timeout index. */
static uint8_t
dp_state_init(struct dp_state *st, const struct dp_flow *f)
{
	struct pf_tcp_seg s;

	switch (f->proto) {
	case DP_IPPROTO_TCP:
		dp_tcp_seg(f, &s);
		return pf_tcp_new(&st->track, &s);
	case DP_IPPROTO_UDP:
		return pf_udp_new(&st->track);
	case DP_IPPROTO_ICMP:
	case DP_IPPROTO_ICMPV6:
		return pf_icmp_new(&st->track);
	default:
		return pf_other_new(&st->track);
	}
}

/*
 * An IPv4 packet with options passed by rule (index, -1 = the default
 * rule): refused unless the rule says allow-opts, counted as pf counts it
 * [OpenBSD pf.c pf_test(): pd.badopts && !r->allow_opts drops with
 * PFRES_IPOPTIONS, for a rule match and a state match alike].  Returns
 * true if the packet was dropped (and consumed).
 */
static bool
dp_badopts(struct dp_wctx *c, struct rte_mbuf *m, int rule, uint8_t dir, uint16_t iface)
{
	const struct dpf_rule *r = rule >= 0 ? &c->rules->rs->rules[rule] : NULL;

	if (r != NULL && r->allow_opts)
		return false;
	c->st->drop[DP_DROP_IP_OPTIONS]++;
	if (r != NULL && r->log)
		dp_log(c, m, dir, iface, PF_DROP, PFRES_IPOPTIONS, rule);
	rte_pktmbuf_free(m);
	return true;
}

/*
 * The rule counters of a burst's state hits, one run of the same rule at a
 * time (dp_run.h): a burst of one flow (or of flows of one rule) writes the
 * rule's counters once, not once a packet.
 */
static inline void
dp_rule_run_sink(struct dp_wctx *c, int32_t ri, uint32_t pkts, uint64_t bytes)
{
	struct dp_rule_ctr *ctr = &dp_rule_ctr_row(c->rules, c->w->id)[ri];

	ctr->pkts += pkts;
	ctr->bytes += bytes;
}

/*
 * A packet of an existing state, from side dir (0: the side that created
 * it).  Returns true if it may be forwarded.  Its rule's counters go to
 * run (the caller flushes it).
 */
static bool
dp_state_hit(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f,
	     struct dp_state *st, unsigned int dir, struct dp_ctr_run *run)
{
	int ri = dp_state_rule_idx(c, st);
	const struct dpf_rule *r = ri >= 0 ? &c->rules->rs->rules[ri] : NULL;
	struct pf_tcp_seg s;
	enum pf_track_verdict v;
	uint8_t tm = st->timeout;
	uint16_t levels = dp_state_levels(st);
	bool refresh = true;

	/* pf checks IP options against the state's rule too [pf_test]. */
	if (unlikely(dp_meta(m)->ipopts) && dp_badopts(c, m, ri, dir == 0 ? PF_IN : PF_OUT,
						   dp_meta(m)->iface))
		return false;
	switch (f->proto) {
	case DP_IPPROTO_TCP:
		dp_tcp_seg(f, &s);
		v = pf_tcp_track(&st->track, dir, &s, (st->flags & DP_STF_SLOPPY) != 0, &tm,
				 &refresh);
		if (unlikely(st->flags & (DP_STF_SYNCED0 << dir))) {
			/* The peer's view of this side may lag by maxupd packets:
			 * let the connection catch up once (pf_track.h). */
			if (v == PF_TRACK_DROP_BADSTATE) {
				v = pf_tcp_track_slack(&st->track, dir, &s,
						       (st->flags & DP_STF_SLOPPY) != 0,
						       DP_SYNC_SLACK(atomic_load_explicit(
							       &c->dp->sev_maxupd, memory_order_relaxed)), &tm,
						       &refresh);
				c->st->sync_catchup += v == PF_TRACK_PASS;
			}
			/* Split (both nodes forward it): the peer's side always
			 * lags by the sync's delay, so the room stays. */
			if (v == PF_TRACK_PASS && !(st->split & DP_SPLIT_ON))
				st->flags &= (uint8_t)~(DP_STF_SYNCED0 << dir);
		}
		if (unlikely(v != PF_TRACK_PASS)) {
			/* DROP_REUSE: tm is PFTM_PURGE; expiry unlinks the state, and
			 * the SYN's retransmission creates a fresh one [pf_test_state]. */
			st->timeout = tm;
			c->st->drop[DP_DROP_STATE_MISMATCH]++;
			/* Our view may be the peer's, and stale, or lack the side
			 * that only the peer forwards: ask it for its own
			 * (state_event.h ASK; split paths deadlock without it). */
			if (unlikely((st->flags & DP_STF_SYNCED) || st->split ||
				     st->track.peer[dir ^ 1].state < PF_TCPS_SYN_SENT) &&
			    v == PF_TRACK_DROP_BADSTATE)
				dp_state_ask(c, st);
			if (st->flags & DP_STF_LOG)
				dp_log(c, m, dir == 0 ? PF_IN : PF_OUT, dp_meta(m)->iface, PF_DROP,
				       (uint8_t)pf_track_verdict_pfres(v), ri);
			rte_pktmbuf_free(m);
			return false;
		}
		break;
	case DP_IPPROTO_UDP:
		pf_udp_track(&st->track, dir, &tm);
		break;
	case DP_IPPROTO_ICMP:
	case DP_IPPROTO_ICMPV6:
		pf_icmp_track(&st->track, dir, &tm);
		break;
	default:
		pf_other_track(&st->track, dir, &tm);
		break;
	}
	if (refresh)
		dp_touch(c, r, st, tm);
	else
		st->timeout = tm;
	dp_state_account(st, dir, m->pkt_len);
	dp_state_event_update(c, st, levels);
	if (r != NULL)
		dp_ctr_run_add(c, run, ri, m->pkt_len, dp_rule_run_sink);
	if (unlikely(st->flags & DP_STF_LOG))
		dp_log(c, m, dir == 0 ? PF_IN : PF_OUT, dp_meta(m)->iface, PF_PASS, PFRES_MATCH,
		       ri);
	return true;
}

/*
 * An ICMP error: find the state of the packet it quotes, read by
 * pkt_quote_flow() as the owner hash reads it (dp_hash.h), so the state
 * looked up is one this worker owns.  Returns 1 (pass), 0 (dropped), or
 * -1 (no state: evaluate the rules on the error itself).
 */
static int
dp_icmp_error(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f)
{
	const uint8_t *q = f->l4 + 8;
	struct pkt_quote pq;
	union dp_state_key key;
	struct dp_state *st;
	bool swapped = false;

	/* Without the quoted ports (or id) and TCP sequence there is no state
	 * to find: a later fragment, a cut quote [OpenBSD pf.c
	 * pf_test_state_icmp() pulls 8 bytes of the quoted L4 header too]. */
	if (f->l4_seg < 8 || pkt_quote_flow(q, f->l4_seg - 8, f->af, &pq) != 0 ||
	    !(pq.flags & PKT_QUOTE_L4))
		return -1;
	dp_state_key_make(f->af, pq.proto, q + pq.src_off, q + pq.dst_off,
			  rte_cpu_to_be_16(pq.sport), rte_cpu_to_be_16(pq.dport), 0, &key,
			  &swapped);
	c->st->state_searches++;
	st = dp_state_lookup(c->states, f->af, &key);
	if (st == NULL)
		return -1;
	/* The quoted packet was sent by the side whose address is its source. */
	if (pq.proto == DP_IPPROTO_TCP && !(st->flags & DP_STF_SLOPPY) &&
	    !pf_tcp_quoted_ok(&st->track, dp_state_dir(st, swapped),
			      dp_rd32(q + pq.l4_off + 4))) {
		c->st->drop[DP_DROP_STATE_MISMATCH]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	/* The error travels towards the quoted packet's sender. */
	dp_state_account(st, dp_state_dir(st, !swapped), m->pkt_len);
	return 1;
}

/* Creates the state for a packet the rules let through; rule keeps state. */
static bool
dp_filter_new_state(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f,
		const union dp_state_key *key, bool swapped, int rule, uint16_t oif)
{
	const struct dpf_rule *r = &c->rules->rs->rules[rule];
	struct dp_rule_ctr *ctr = &dp_rule_ctr_row(c->rules, c->w->id)[rule];
	struct dp_state *st;
	int err = 0;

	if (r->max_states != 0 &&
	    atomic_load_explicit(&c->rules->states_cur[rule], memory_order_relaxed) >=
	    r->max_states) {
		c->st->lcnt_max_states++;
		c->st->drop[DP_DROP_STATE_LIMIT]++;
		goto refused;
	}
	/* A state an earlier packet of the burst made was found by
	 * dp_filter_burst()'s re-lookup: EEXIST here is a real collision. */
	st = dp_state_insert(c->states, f->af, key, c->now, &err);
	if (st == NULL) {
		c->st->drop[err == -EEXIST ? DP_DROP_STATE_INSERT :
			    err == -EDQUOT ? DP_DROP_STATE_LIMIT : DP_DROP_STATE_MEMORY]++;
		goto refused;
	}
	c->st->state_inserts++;
	atomic_fetch_add_explicit(&c->rules->states_cur[rule], 1, memory_order_relaxed);
	ctr->states++;
	dp_touch(c, r, st, dp_state_init(st, f));
	st->rule[DP_ST_RULE] = (uint32_t)rule;
	st->rule[DP_ST_GEN] = c->rules->gen;
	st->iface[0] = (uint8_t)dp_meta(m)->iface;
	st->iface[1] = (uint8_t)oif;
	/* pfsync's own traffic is never synced [OpenBSD pf.c pf_create_state,
	 * if_pfsync.c pfsync_insert_state: IPPROTO_PFSYNC states are NOSYNC]. */
	st->flags |= (swapped ? DP_STF_SWAPPED : 0) | (r->sloppy ? DP_STF_SLOPPY : 0) |
		     (r->no_sync || f->proto == IPPROTO_PFSYNC ? DP_STF_NOSYNC : 0) |
		     (r->log_all ? DP_STF_LOG : 0);
	dp_state_account(st, 0, m->pkt_len);
	/* sync.defer: the first packet may wait for the peer (defer_stage.h). */
	if (unlikely(atomic_load_explicit(&c->dp->sync_defer, memory_order_relaxed)))
		return !dp_defer_first(c, m, st);
	dp_state_event(c, st, DP_SEV_INSERT);
	return true;
refused:
	if (r->log)
		dp_log(c, m, PF_IN, dp_meta(m)->iface, PF_DROP,
		       err == -EEXIST ? PFRES_STATEINS : err == 0 || err == -EDQUOT ?
		       PFRES_MAXSTATES : PFRES_MEMORY, rule);
	rte_pktmbuf_free(m);
	return false;
}

#define DP_BLOCKED (-2)

/*
 * The rules of one direction on one interface: returns the deciding rule's
 * index (-1: the default rule), or DP_BLOCKED when the packet was refused
 * (and consumed).  A passing rule counts and logs the packet here, as pf
 * does in each direction's pf_test().
 */
static int
dp_rules_dir(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f, uint8_t dir,
	     uint16_t iface, int r)
{
	struct dp_rule_ctr *row = dp_rule_ctr_row(c->rules, c->w->id);

	if (r == DP_RULE_EVAL)
		r = dp_rules_match(c, f, dir, iface);
	c->st->rule_evals++;
	if (r >= 0) {
		c->st->rule_match++;
		row[r].evals++;
	}
	if (!dp_rule_passes(c, r)) {
		dp_block(c, m, f, r, dir, iface);
		return DP_BLOCKED;
	}
	if (unlikely(dp_meta(m)->ipopts) && dp_badopts(c, m, r, dir, iface))
		return DP_BLOCKED;
	if (r >= 0) {
		row[r].pkts++;
		row[r].bytes += m->pkt_len;
		if (c->rules->rs->rules[r].log)
			dp_log(c, m, dir, iface, PF_PASS, PFRES_MATCH, r);
	}
	return r;
}

/*
 * A packet without a state: the rules in (ingress interface), then out
 * (egress interface, if it is routed), then maybe a new state made by the
 * first of the two deciding rules that keeps state.  pre_in/pre_out: the
 * results of dp_rules_bulk(), or DP_RULE_EVAL.
 */
static bool
dp_state_miss(struct dp_wctx *c, struct rte_mbuf *m, const struct dp_flow *f,
	      const union dp_state_key *key, bool swapped, const struct dp_nh *nh, int pre_in,
	      int pre_out)
{
	const struct dpf_rule *rules = c->rules->rs->rules;
	struct dp_mbuf_meta *md = dp_meta(m);
	int ri, ro, keep = -1;

	ri = dp_rules_dir(c, m, f, PF_IN, md->iface, pre_in);
	if (ri == DP_BLOCKED)
		return false;
	if (ri >= 0 && rules[ri].keep_state)
		keep = ri;
	/* Not routed (no route, reject, local): the forward path answers it. */
	if (!dp_nh_routed(nh))
		return true;
	ro = dp_rules_dir(c, m, f, PF_OUT, nh->iface, pre_out);
	if (ro == DP_BLOCKED)
		return false;
	if (keep < 0 && ro >= 0 && rules[ro].keep_state)
		keep = ro;
	/* Fragments and ICMP errors never create states (no ports / quoted). */
	if (keep < 0 || md->frag || f->icmp_err)
		return true;
	return dp_filter_new_state(c, m, f, key, swapped, keep, nh->iface);
}

unsigned int
dp_filter_burst(struct dp_wctx *c, struct rte_mbuf **pkts, uint32_t *nh, unsigned int n)
{
	struct dp_flow flow[DP_BURST_MAX];
	union dp_state_key keys[DP_BURST_MAX];
	const struct dp_state_key4 *kp4[DP_BURST_MAX];
	const struct dp_state_key6 *kp6[DP_BURST_MAX];
	struct dp_state *stx[DP_BURST_MAX];
	struct dp_state *st[DP_BURST_MAX];
	bool swapped[DP_BURST_MAX], ok[DP_BURST_MAX];
	int res_in[DP_BURST_MAX], res_out[DP_BURST_MAX];
	uint8_t idx4[DP_BURST_MAX], idx6[DP_BURST_MAX], miss[DP_BURST_MAX];
	unsigned int i, n4 = 0, n6 = 0, n_miss = 0, out = 0;
	struct dp_ctr_run run = DP_CTR_RUN_INIT;
	uint64_t inserts;

	if (c->rules == NULL)
		return n;
	/* Keys first, then one bulk lookup per family. */
	for (i = 0; i < n; i++) {
		struct dp_mbuf_meta *md = dp_meta(pkts[i]);
		struct dp_flow *f = &flow[i];

		st[i] = NULL;
		ok[i] = dp_flow_get(pkts[i], md, f);
		if (unlikely(!ok[i]) || f->icmp_err)
			continue;
		dp_state_key_make(f->af, f->proto, f->src, f->dst, rte_cpu_to_be_16(f->sport),
				  rte_cpu_to_be_16(f->dport), 0, &keys[i], &swapped[i]);
		if (f->af == 4) {
			kp4[n4] = &keys[i].k4;
			idx4[n4++] = (uint8_t)i;
		} else {
			kp6[n6] = &keys[i].k6;
			idx6[n6++] = (uint8_t)i;
		}
	}
	if (n4 != 0) {
		c->st->state_searches += n4;
		dp_state_lookup_bulk4(c->states, kp4, n4, stx);
		for (i = 0; i < n4; i++)
			st[idx4[i]] = stx[i];
	}
	if (n6 != 0) {
		c->st->state_searches += n6;
		dp_state_lookup_bulk6(c->states, kp6, n6, stx);
		for (i = 0; i < n6; i++)
			st[idx6[i]] = stx[i];
	}
	/* The misses' rules, in and out, classified together. */
	for (i = 0; i < n; i++) {
		res_in[i] = res_out[i] = DP_RULE_EVAL;
		if (st[i] != NULL || !ok[i] || flow[i].icmp_err ||
		    c->fib->nh[nh[i]].kind == DP_NH_LOCAL)
			continue;
		miss[n_miss++] = (uint8_t)i;
	}
	if (n_miss != 0)
		dp_rules_bulk(c, pkts, flow, nh, miss, n_miss, res_in, res_out);
	inserts = c->st->state_inserts;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct dp_flow *f = &flow[i];
		bool pass;

		dp_meta(m)->established = 0;
		/*
		 * Traffic to the appliance itself (ARP/ND answers, echo, CARP,
		 * pfsync, the control plane) is the control core's and is not
		 * filtered: a closed ruleset must not cut the appliance off
		 * from its neighbours (docs/rules.md).
		 */
		if (c->fib->nh[nh[i]].kind == DP_NH_LOCAL) {
			pkts[out] = m;
			nh[out++] = nh[i];
			continue;
		}
		if (unlikely(!ok[i])) {
			unsigned int e = dp_classify_malformed(m);

			if (e != 0 && e < DP_PKT_ERR_SLOTS)
				c->st->pkt_err[e]++;
			dp_drop(c, m, e != 0 ? DP_DROP_MALFORMED : DP_DROP_SEGMENTED);
			continue;
		}
		/* A state an earlier packet of this burst created is a hit. */
		if (st[i] == NULL && !f->icmp_err && c->st->state_inserts != inserts)
			st[i] = dp_state_lookup(c->states, f->af, &keys[i]);
		if (unlikely(f->icmp_err)) {
			int rc = dp_icmp_error(c, m, f);

			if (rc == 0)
				continue;
			pass = rc > 0 || dp_state_miss(c, m, f, &keys[i], false, &c->fib->nh[nh[i]],
						       DP_RULE_EVAL, DP_RULE_EVAL);
		} else if (st[i] != NULL) {
			pass = dp_state_hit(c, m, f, st[i], dp_state_dir(st[i], swapped[i]), &run);
			/* Both sides answered: its neighbours exist, and resolving
			 * them again (after aging) must not wait behind a flood of
			 * unknown destinations (control/local/nbr.h, NBR_NEEDED). */
			if (pass && st[i]->pkts_lo[0] != 0 && st[i]->pkts_lo[1] != 0)
				dp_meta(m)->established = 1;
		} else {
			pass = dp_state_miss(c, m, f, &keys[i], swapped[i], &c->fib->nh[nh[i]],
					     res_in[i], res_out[i]);
		}
		if (pass) {
			pkts[out] = m;
			nh[out++] = nh[i];
		}
	}
	dp_ctr_run_flush(c, &run, dp_rule_run_sink);
	return out;
}

void
dp_filter_removed(void *arg, struct dp_state *st)
{
	struct dp_wctx *c = arg;
	int ri;

	c->st->state_removals++;
	if (unlikely(st->flags & DP_STF_DEFER))
		dp_defer_removed(c, st);
	dp_state_event(c, st, DP_SEV_DELETE);
	if (c->rules == NULL)
		return;
	ri = dp_state_rule_idx(c, st);
	if (ri >= 0)
		atomic_fetch_sub_explicit(&c->rules->states_cur[ri], 1, memory_order_relaxed);
}

bool
dp_state_sel_match(const struct dp_state_sel *sel, const struct dp_state *st, const void *key,
		   uint64_t id, uint32_t creatorid, const struct dp_rules *rules)
{
	const uint8_t *a0, *a1, *src;

	if (sel->all)
		return true;
	if ((sel->af && sel->af != st->af) || (sel->proto && sel->proto != st->proto))
		return false;
	if (sel->has_id && (id != sel->id || (sel->creatorid && creatorid != sel->creatorid)))
		return false;
	if (sel->rule >= 0) {
		if (rules == NULL || st->rule[DP_ST_GEN] != rules->gen ||
		    st->rule[DP_ST_RULE] >= rules->n_rules ||
		    rules->rs->rules[st->rule[DP_ST_RULE]].id != (uint64_t)sel->rule)
			return false;
	}
	if (st->af == 4) {
		a0 = (const uint8_t *)&((const struct dp_state_key4 *)key)->addr[0];
		a1 = (const uint8_t *)&((const struct dp_state_key4 *)key)->addr[1];
	} else {
		a0 = ((const struct dp_state_key6 *)key)->addr[0];
		a1 = ((const struct dp_state_key6 *)key)->addr[1];
	}
	src = (st->flags & DP_STF_SWAPPED) ? a1 : a0;
	if (sel->has_src && !dp_addr_in(&sel->src, st->af, src))
		return false;
	if (sel->has_dst && !dp_addr_in(&sel->dst, st->af, src == a0 ? a1 : a0))
		return false;
	if (sel->has_host && !dp_addr_in(&sel->host, st->af, a0) &&
	    !dp_addr_in(&sel->host, st->af, a1))
		return false;
	return true;
}

void
dp_filter_housekeeping(struct dp_wctx *c)
{
	if (c->states == NULL)
		return;
	if (c->rules != NULL && c->rules_gen != c->rules->gen) {
		/* A new ruleset brings new timeouts and limits. */
		c->rules_gen = c->rules->gen;
		dp_state_set_timeouts(c->states, c->rules->timeouts);
		dp_state_set_limit(c->states, c->rules->limit_states);
	}
	dp_state_tick(c->states, c->now);
	/* expire_budget records a millisecond: a sweep per timeouts.interval. */
	dp_state_expire(c->states, c->now, c->w->expire_budget * c->hk_ms, dp_filter_removed, c);
	dp_req_slice(c);
}

static void
dp_rules_free_obj(void *obj)
{
	dp_rules_free(obj);
}

void
dp_rules_publish(struct dp_main *dp, struct dp_rules *r)
{
	dp_defer_free(dp, atomic_exchange_explicit(&dp->rules, r, memory_order_acq_rel),
		      dp_rules_free_obj);
}

struct dp_rules *
dp_rules_new(struct dp_main *dp, struct dpf_ruleset *rs, void (*rs_free)(struct dpf_ruleset *rs),
	     const uint32_t *timeouts, uint32_t limit_states)
{
	static _Atomic unsigned int gen;	/* rulesets may be built on two threads */
	struct dp_rules *r;
	unsigned int n = rs->n;

	r = rte_zmalloc("dpf_rules", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL)
		return NULL;
	r->ctr = rte_zmalloc("dpf_rule_ctr",
			     sizeof(*r->ctr) * (n ? n : 1) * (dp->n_workers + 1),
			     RTE_CACHE_LINE_SIZE);
	r->states_cur = rte_zmalloc("dpf_rule_states", sizeof(*r->states_cur) * (n ? n : 1),
				    RTE_CACHE_LINE_SIZE);
	if (r->ctr == NULL || r->states_cur == NULL) {
		rte_free(r->ctr);
		rte_free((void *)r->states_cur);
		rte_free(r);
		return NULL;
	}
	r->rs = rs;
	r->rs_free = rs_free;
	r->acl = rs->acl;
	r->n_rules = n;
	r->gen = atomic_fetch_add(&gen, 1) + 1;
	r->default_pass = rs->default_pass;
	memcpy(r->timeouts, timeouts, sizeof(r->timeouts));
	r->limit_states = limit_states;
	return r;
}

void
dp_rules_free(struct dp_rules *r)
{
	if (r == NULL)
		return;
	if (r->rs_free != NULL)
		r->rs_free(r->rs);
	rte_free(r->ctr);
	rte_free((void *)r->states_cur);
	rte_free(r);
}

void
dp_rule_ctr_sum(const struct dp_main *dp, const struct dp_rules *r, unsigned int i,
		struct dp_rule_ctr *sum)
{
	unsigned int w;

	memset(sum, 0, sizeof(*sum));
	for (w = 0; w <= dp->n_workers; w++) {
		const struct dp_rule_ctr *x = &dp_rule_ctr_row(r, w)[i];

		sum->evals += x->evals;
		sum->pkts += x->pkts;
		sum->bytes += x->bytes;
		sum->states += x->states;
	}
}

int
dp_filter_init(struct dp_main *dp, uint32_t limit_states, const uint32_t *timeouts, char *err,
	       size_t errlen)
{
	/*
	 * Records per worker: its share of the limit, 1/8 more for the IPv6
	 * states (two records each) and the flows the owner hash gives one
	 * worker beyond its share, and 1024 for small limits.  One array for
	 * both families (state.h): about 118 bytes a unit of limits.states.
	 */
	uint64_t per = limit_states / dp->n_workers;
	uint32_t cap, ival;
	unsigned int i;
	int rc = 0;

	cap = (uint32_t)RTE_MIN(per + per / 8 + 1024, (uint64_t)DP_STATE_MAX_RECORDS);
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = &dp->workers[i];
		struct dp_state_conf sc;
		char name[24];

		snprintf(name, sizeof(name), "dpf_st%u", i);
		memset(&sc, 0, sizeof(sc));
		sc.name = name;
		sc.socket = (int)rte_socket_id();
		sc.worker = i;
		sc.capacity4 = cap;
		sc.capacity6 = 0;	/* the same records hold IPv6 states, two each */
		sc.hostid = dp->host_id;
		sc.id_epoch = (uint16_t)(rte_rand() & 0x7fff);
		sc.hash_seed = (uint32_t)rte_rand();
		sc.global = &dp->states_total;
		sc.limit = limit_states;
		sc.timeouts = timeouts;
		w->states = dp_state_create(&sc, &rc);
		if (w->states == NULL) {
			snprintf(err, errlen, "worker %u: cannot create a state table of %u states: %s",
				 i, cap, strerror(-rc));
			return rc ? rc : -ENOMEM;
		}
		ival = timeouts[PFTM_INTERVAL] ? timeouts[PFTM_INTERVAL] : 1;
		w->expire_budget = dp_state_expire_budget(w->states->total, ival,
							  DP_HOUSEKEEPING_HZ);
		rc = dp_req_rings_create(dp, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	dp->sev_maxupd = DP_SEV_MAXUPD_DEFAULT;
	return 0;
}

void
dp_filter_fini(struct dp_main *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		dp_state_free(dp->workers[i].states);
		dp->workers[i].states = NULL;
		dp_req_rings_free(dp, i);
	}
	dp_rules_free(atomic_exchange(&dp->rules, NULL));
}
