/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the pfsync engine (pfsync.h).
 *
 * Identities.  A state of ours is found from its id alone: local ids are
 * self-locating (dataplane/state.h DP_STATE_ID_*: worker and record in the
 * low bits).  A state learned from a peer is found through the id map,
 * (id, creatorid) -> (worker, record), filled when a worker reports where
 * it applied the state and emptied when the state goes.  Full records
 * carry the key, so their owner is the worker the key hashes to
 * (dp_owner_key()), as for the packets of that connection.
 *
 * Requests in flight are remembered in a small table indexed by the
 * request's tag, so a completion can be turned into what OpenBSD does
 * next (an UPD_REQ for an unknown state, the stale counter, the id map).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_fib.h>
#include <rte_mbuf.h>

#include "control/carp/carp.h"
#include "control/local/local.h"
#include "control/log/dlog.h"
#include "control/pfsync/pfsync_priv.h"
#include "control/pfsync/pfsync_state.h"
#include "dataplane/clock.h"
#include "dataplane/dp_hash.h"
#include "dataplane/state.h"
#include "proto/pf.h"
#include "proto/proto.h"

#define PFSYNC_Q_CAPACITY 65536		/* distinct states queued at once */
/*
 * Requests waiting per worker: a 32nd of the worker's share of
 * limits.states, within these bounds (160 bytes each).  A bulk is sent
 * at the pace the sender can keep, not the pace the receiver applies; the
 * backlog absorbs the difference (1M states to one busy worker: 3,000 to
 * 17,000 requests over the 4.3 s of the bulk, on the test VM).
 */
#define PFSYNC_BACKLOG_MIN 8192
#define PFSYNC_BACKLOG_MAX 65536
#define PFSYNC_EVENTS_BURST 256
/*
 * Bulk pacing: a burst of packets every PFSYNC_BULK_IVAL_US.  OpenBSD sends
 * one packet every 20 ms [if_pfsync.c PFSYNC_BULK_SND_IVAL_MS], which takes
 * over an hour for a million states; dpf's sync link is a dedicated queue
 * pair, so it sends 8 packets every 125 us (64 a millisecond: a million
 * states in about 3 s at MTU 1500), which neither node's data path feels.
 */
#define PFSYNC_BULK_BURST 8
#define PFSYNC_BULK_IVAL_US 125
#define PFSYNC_BULK_SCAN 16384		/* records looked at per burst */
#define PFSYNC_PEER_QUIET_US (10ULL * 1000000)	/* "peer went quiet" log line */

static const uint8_t pfsync_group[4] = { 224, 0, 0, 240 };

_Static_assert(sizeof(((struct pfsync_conf *)0)->key) == PFSYNC_AUTH_KEY_MAX,
	       "pfsync_conf holds the longest sync key");

PROTO_NAME_FN(pfsync_xstat_name, unsigned int, PFSYNC_XSTAT_LIST, PFSYNC_X_MAX);

static uint64_t
ps_now_us(const struct pfsync *ps)
{
	return dp_clock_us(&ps->dp->clock);
}

/* Wall clock seconds: the epoch of our authenticated sequence numbers. */
static uint32_t
ps_wall_s(void)
{
	return (uint32_t)time(NULL);
}

/* The IP MTU the builder may fill: the trailer of an authenticated packet is kept free. */
static size_t
ps_build_mtu(const struct pfsync *ps)
{
	return ps->mtu - (ps->auth != NULL ? PFSYNC_AUTH_LEN : 0);
}

/* --- id map ------------------------------------------------------------ */

static int
idmap_init(struct pfsync_idmap *m, uint32_t capacity)
{
	m->e = calloc(capacity, sizeof(*m->e));
	if (m->e == NULL || pfsync_ident_init(&m->ids, capacity) != 0)
		return -ENOMEM;
	return 0;
}

static void
idmap_fini(struct pfsync_idmap *m)
{
	free(m->e);
	m->e = NULL;
	pfsync_ident_fini(&m->ids);
}

static const struct pfsync_idmap_ent *
idmap_find(const struct pfsync_idmap *m, uint64_t id, uint32_t cid)
{
	uint32_t i = pfsync_ident_find(&m->ids, id, cid);

	return i != PFSYNC_IDENT_NONE ? &m->e[i] : NULL;
}

static int
idmap_set(struct pfsync_idmap *m, uint64_t id, uint32_t cid, unsigned int worker, uint32_t pos)
{
	bool added;
	uint32_t i = pfsync_ident_get(&m->ids, id, cid, &added);

	if (i == PFSYNC_IDENT_NONE)
		return -ENOSPC;
	m->e[i].worker = (uint8_t)worker;
	m->e[i].pos = pos;
	return 0;
}

static void
idmap_del(struct pfsync_idmap *m, uint64_t id, uint32_t cid)
{
	uint32_t i = pfsync_ident_find(&m->ids, id, cid);

	if (i != PFSYNC_IDENT_NONE)
		pfsync_ident_put(&m->ids, i);
}

/* Drops the in-flight entry of (id, cid), if it is still one. */
static void
idmap_del_pending(struct pfsync_idmap *m, uint64_t id, uint32_t cid)
{
	uint32_t i = pfsync_ident_find(&m->ids, id, cid);

	if (i != PFSYNC_IDENT_NONE && m->e[i].pos == PFSYNC_POS_PENDING)
		pfsync_ident_put(&m->ids, i);
}

/*
 * Drops every entry of creator cid on worker w (w's part of a CLR done):
 * a walk over the chains.
 */
static void
idmap_del_creator(struct pfsync_idmap *m, uint32_t cid, unsigned int w)
{
	uint32_t b;

	for (b = 0; b <= m->ids.mask; b++) {
		uint32_t i = m->ids.bucket[b];

		while (i != PFSYNC_IDENT_NONE) {
			uint32_t next = m->ids.next[i];

			if (m->ids.creatorid[i] == cid && m->e[i].worker == w)
				pfsync_ident_put(&m->ids, i);
			i = next;
		}
	}
}

/*
 * Whether (id, cid) names a state this process created (its worker from
 * the id's bits).  Our own states from before a restart (another epoch)
 * that the peer synced back are peer states in the id map.
 */
static bool
ps_id_local(const struct pfsync *ps, uint64_t id, uint32_t cid, unsigned int *worker)
{
	unsigned int w;

	if (cid != ps->conf.hostid || !(id & DP_STATE_ID_LOCAL))
		return false;
	w = (unsigned int)(id >> DP_STATE_ID_WORKER_SHIFT) & DP_STATE_MAX_WORKER;
	if (w >= ps->dp->n_workers ||
	    (id & ~((1ULL << DP_STATE_ID_EPOCH_SHIFT) - 1)) != ps->dp->workers[w].states->id_hi)
		return false;
	*worker = w;
	return true;
}

/*
 * Where state (id, cid) lives: its worker and record.  false when we do
 * not know it.  An identity whose APPLY is in flight is in the id map
 * with pos PFSYNC_POS_PENDING: its worker is known, its record not yet.
 */
static bool
ps_locate(const struct pfsync *ps, uint64_t id, uint32_t cid, unsigned int *worker,
	  uint32_t *pos)
{
	const struct pfsync_idmap_ent *e;

	if (ps_id_local(ps, id, cid, worker)) {
		*pos = (uint32_t)(id & (DP_STATE_MAX_RECORDS - 1));
		return true;
	}
	e = idmap_find(&ps->idmap, id, cid);
	if (e == NULL)
		return false;
	*worker = e->worker;
	*pos = e->pos;
	return true;
}

/* --- requests to the workers -------------------------------------------- */

static bool
ps_post_now(struct pfsync *ps, unsigned int w, struct dp_req *req, uint64_t rx_us, bool bulk,
	    bool ack)
{
	struct pfsync_pending *p;
	uint32_t slot = ps->pend_free;

	if (slot == UINT32_MAX || dp_req_inflight(ps->dp, w) >= DP_REQ_INFLIGHT)
		return false;
	p = &ps->pend[slot];
	switch (req->kind) {
	case DP_REQ_APPLY:
		p->id = req->u.apply.st.id;
		p->creatorid = req->u.apply.st.creatorid;
		break;
	case DP_REQ_UPDATE:
		p->id = req->u.update.id;
		p->creatorid = req->u.update.creatorid;
		break;
	case DP_REQ_DELETE:
		p->id = req->u.del.id;
		p->creatorid = req->u.del.creatorid;
		break;
	case DP_REQ_FLUSH:
		p->id = 0;
		p->creatorid = req->u.flush.creatorid;
		break;
	default:
		return false;
	}
	req->tag = PFSYNC_TAG_BIT | slot;
	if (dp_req_post(ps->dp, w, req) != 0)
		return false;
	ps->pend_free = p->next_free;
	p->kind = req->kind;
	p->used = true;
	p->rx_us = rx_us;
	p->bulk = bulk;
	p->ack = ack;
	return true;
}

/* Posts req to worker w, or queues it behind what w still has to take. */
/*
 * Posts req to worker w, or queues it behind what w still has to take.
 * The record being read (cur_rx_us, cur_bulk) is what it comes from.
 * false when the backlog is full and req is lost.
 */
static bool
ps_post(struct pfsync *ps, unsigned int w, struct dp_req *req)
{
	struct pfsync_backlog *b = &ps->backlog[w];
	struct pfsync_bl_ent *e;

	if (b->count == 0 && ps_post_now(ps, w, req, ps->cur_rx_us, ps->cur_bulk, ps->cur_ack)) {
		ps->brx.outstanding += ps->cur_bulk;
		return true;
	}
	if (b->count == ps->bl_cap) {
		ps->xstats[PFSYNC_X_BACKLOG_FULL]++;
		return false;
	}
	e = &b->e[(b->head + b->count) % ps->bl_cap];
	e->req = *req;
	e->rx_us = ps->cur_rx_us;
	e->bulk = ps->cur_bulk;
	e->ack = ps->cur_ack;
	b->count++;
	ps->brx.outstanding += ps->cur_bulk;
	return true;
}

static unsigned int
ps_backlog_run(struct pfsync *ps)
{
	unsigned int w, n = 0;

	for (w = 0; w < ps->dp->n_workers; w++) {
		struct pfsync_backlog *b = &ps->backlog[w];

		while (b->count > 0 && ps_post_now(ps, w, &b->e[b->head].req, b->e[b->head].rx_us,
						   b->e[b->head].bulk, b->e[b->head].ack)) {
			b->head = (b->head + 1) % ps->bl_cap;
			b->count--;
			n++;
		}
	}
	return n;
}

/* Queues a record about (id, cid); t_us: when its delta happened. */
static void
ps_queue_at(struct pfsync *ps, unsigned int kind, uint64_t id, uint32_t cid, unsigned int worker,
	    uint32_t pos, uint64_t t_us)
{
	struct pfsync_qref ref = { .id = id, .creatorid = cid, .worker = (uint16_t)worker,
				   .idx = pos, .t_us = t_us };

	if (pfsync_q_add(ps->q, kind, &ref, ps_now_us(ps)) < 0)
		ps->xstats[PFSYNC_X_QFULL]++;
}

static void
ps_queue(struct pfsync *ps, unsigned int kind, uint64_t id, uint32_t cid, unsigned int worker,
	 uint32_t pos)
{
	ps_queue_at(ps, kind, id, cid, worker, pos, ps_now_us(ps));
}

bool
pfsync_done(struct pfsync *ps, const struct dp_done *d)
{
	struct pfsync_pending *p;
	uint32_t slot;

	if (ps == NULL || !(d->tag & PFSYNC_TAG_BIT))
		return false;
	if (d->kind == DP_REQ_RELEASE)
		return true;	/* the worker counted it: released, or ack-unknown */
	slot = (uint32_t)(d->tag & 0xffffffffu);
	if (slot >= ps->pend_cap || !ps->pend[slot].used)
		return true;
	p = &ps->pend[slot];
	if (p->rx_us != 0 && p->kind != DP_REQ_FLUSH)
		pfsync_hist_add(&ps->lat_apply, ps_now_us(ps) - p->rx_us);
	if (p->bulk) {
		ps->brx.outstanding--;
		ps->brx.applied += d->result >= 0;
	}
	switch (p->kind) {
	case DP_REQ_APPLY: {
		unsigned int w;

		if (d->result < 0) {
			ps->stats[PFSYNC_STAT_BADSTATE]++;
			/* Its in-flight entry, unless another APPLY of it completed. */
			if (!ps_id_local(ps, p->id, p->creatorid, &w))
				idmap_del_pending(&ps->idmap, p->id, p->creatorid);
			break;
		}
		if (d->result == DP_APPLY_STALE)
			ps->stats[PFSYNC_STAT_STALE]++;
		/* Acked even when it joined ours: the sender holds the packet
		 * under the identity it sent. */
		if (p->ack)
			pfsync_defer_ack_out(ps, p->id, p->creatorid);
		if (d->result == DP_APPLY_ADOPTED)
			ps->xstats[PFSYNC_X_ADOPTED]++;
		if (d->result == DP_APPLY_JOINED) {
			/* Its state is ours under our identity: nothing to map. */
			ps->xstats[PFSYNC_X_JOINED]++;
			if (!ps_id_local(ps, p->id, p->creatorid, &w))
				idmap_del_pending(&ps->idmap, p->id, p->creatorid);
			break;
		}
		if (!ps_id_local(ps, p->id, p->creatorid, &w) &&
		    idmap_set(&ps->idmap, p->id, p->creatorid, d->worker, d->pos) != 0)
			ps->xstats[PFSYNC_X_IDMAP_FULL]++;
		break;
	}
	case DP_REQ_UPDATE:
		if (d->result == -ENOENT) {
			/* Gone meanwhile (or never ours): ask for the whole state. */
			ps_queue(ps, PFSYNC_Q_UPD_REQ, p->id, p->creatorid, 0, 0);
			ps->xstats[PFSYNC_X_UPD_REQ_SENT]++;
		} else if (d->result == DP_APPLY_STALE) {
			ps->stats[PFSYNC_STAT_STALE]++;
		}
		break;
	case DP_REQ_DELETE:
		if (d->result < 0)
			ps->stats[PFSYNC_STAT_BADSTATE]++;
		idmap_del(&ps->idmap, p->id, p->creatorid);
		break;
	case DP_REQ_FLUSH:
		/* Now, not at post: an APPLY of that creator posted before the
		 * FLUSH completed before it and entered its state [fuzz]. */
		idmap_del_creator(&ps->idmap, p->creatorid, d->worker);
		break;
	default:
		break;
	}
	p->used = false;
	p->next_free = ps->pend_free;
	ps->pend_free = slot;
	return true;
}

/* --- events from the workers: what goes out ----------------------------- */

void
pfsync_events(struct pfsync *ps, const struct dp_sev *ev, unsigned int n)
{
	uint64_t now = ps_now_us(ps);
	unsigned int i, split = 0;

	for (i = 0; i < n; i++) {
		const struct dp_sev *e = &ev[i];
		/* The event's time from its low 32 bits (it is < 71 min old). */
		uint64_t t = now - (uint32_t)((uint32_t)now - e->t_us);

		switch (e->kind) {
		case DP_SEV_INSERT:
			ps_queue_at(ps, PFSYNC_Q_INS, e->id, e->creatorid, e->worker, e->pos, t);
			/* Its first packet waits for the peer's ack [pfsync_defer]. */
			ps->flush_now |= (e->flags & DP_SEV_F_DEFER) != 0;
			break;
		case DP_SEV_UPDATE:
			ps_queue_at(ps, PFSYNC_Q_UPD_C, e->id, e->creatorid, e->worker, e->pos, t);
			split += (e->flags & DP_SEV_F_SPLIT) != 0;
			break;
		case DP_SEV_DELETE:
			if (e->creatorid != ps->conf.hostid)
				idmap_del(&ps->idmap, e->id, e->creatorid);
			ps_queue_at(ps, PFSYNC_Q_DEL_C, e->id, e->creatorid, e->worker, e->pos, t);
			break;
		case DP_SEV_ASK:
			/* A worker dropped a packet against our view of a state
			 * the peer forwards too: the peer's answer (a full UPD)
			 * is what lets the connection on, so it goes at once. */
			ps_queue(ps, PFSYNC_Q_UPD_REQ, e->id, e->creatorid, 0, 0);
			ps->xstats[PFSYNC_X_UPD_REQ_STALE]++;
			ps->flush_now = true;
			break;
		default:
			break;
		}
	}
	/* Split states: the peer forwards them too, and its window checks
	 * wait for ours [OpenBSD if_pfsync.c pfsync_update_state]. */
	if (split != 0) {
		ps->xstats[PFSYNC_X_SPLIT_UPD] += split;
		ps->flush_now = true;	/* pfsync_poll() sends what is queued */
	}
}

/* A queued record's state as it is now (pfsync_q_export_fn). */
static bool
ps_export(void *arg, unsigned int kind, const struct pfsync_qref *ref, void *record)
{
	struct pfsync *ps = arg;
	union pfsync_rec_host *rec = record;
	struct dp_state copy;
	union dp_state_key key;
	struct dp_state_desc d;
	uint64_t id;
	uint32_t cid;

	if (ref->worker >= ps->dp->n_workers ||
	    dp_state_snapshot(ps->dp->workers[ref->worker].states, ref->idx, &copy, &key, &id,
			      &cid) != 0 ||
	    id != ref->id || cid != ref->creatorid || (copy.flags & DP_STF_NOSYNC))
		return false;
	dp_state_desc_fill(&copy, &key, id, cid, (uint32_t)(ps_now_us(ps) / DP_CLOCK_US_PER_S),
			   &d);
	if (kind == PFSYNC_Q_UPD_C) {
		pfsync_upd_c_export(&d, &rec->upd_c);
	} else {
		pfsync_state_export(&d, &rec->state);
		/* A packet is held for this state: the peer is to ack at once. */
		if (copy.flags & DP_STF_DEFER)
			rec->state.state_flags |= PFSTATE_ACK;
	}
	if (ref->t_us != UINT64_MAX)
		pfsync_hist_add(&ps->lat_out, ps_now_us(ps) - RTE_MIN(ref->t_us, ps_now_us(ps)));
	return true;
}

/* --- output -------------------------------------------------------------- */

/* An mbuf with the builder b set up over its pfsync part; NULL if none. */
static struct rte_mbuf *
ps_pkt_new(struct pfsync *ps, struct pfsync_builder *b)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ps->dp->pool);
	uint16_t room;

	if (m == NULL) {
		ps->stats[PFSYNC_STAT_ONOMEM]++;
		return NULL;
	}
	room = (uint16_t)(rte_pktmbuf_tailroom(m) - PFSYNC_FRAME4_HLEN);
	memset(dp_meta(m), 0, sizeof(struct dp_mbuf_meta));
	if (pfsync_build_init(b, rte_pktmbuf_mtod(m, uint8_t *) + PFSYNC_FRAME4_HLEN, room,
			      ps_build_mtu(ps)) != 0) {
		rte_pktmbuf_free(m);
		ps->stats[PFSYNC_STAT_OERRORS]++;
		return NULL;
	}
	return m;
}

static void
ps_count_out(struct pfsync *ps, const uint8_t *pf, size_t len)
{
	struct pfsync_iter it;
	struct pfsync_section sec;

	if (pfsync_iter_init(&it, pf, len) != PFSYNC_OK)
		return;
	while (pfsync_iter_next(&it, &sec) > 0) {
		if (sec.action < PFSYNC_ACT_MAX)
			ps->tx_act[sec.action] += sec.count;
		ps->xstats[PFSYNC_X_REC_OUT] += sec.count;
	}
}

/* Finishes the packet in m and sends it on the sync interface. */
static void
ps_pkt_send(struct pfsync *ps, struct rte_mbuf *m, struct pfsync_builder *b)
{
	size_t plen = pfsync_build_finish(b), flen;
	struct pfsync_frame4 f;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

	ps_count_out(ps, frame + PFSYNC_FRAME4_HLEN, plen);
	if (ps->auth != NULL) {
		plen = pfsync_auth_seal(&ps->auth->a_key, frame + PFSYNC_FRAME4_HLEN, plen,
					rte_pktmbuf_tailroom(m) - PFSYNC_FRAME4_HLEN, ps->src_ip,
					ps->dst_ip, ps->conf.hostid,
					pfsync_auth_next_seq(ps->auth, ps_wall_s()));
		if (plen == 0) {
			rte_pktmbuf_free(m);
			ps->stats[PFSYNC_STAT_OERRORS]++;
			return;
		}
	}

	memset(&f, 0, sizeof(f));
	memcpy(f.src_mac, ps->dp->ports[ps->port].mac.addr_bytes, 6);
	memcpy(f.src_ip, ps->src_ip, 4);
	memcpy(f.dst_ip, ps->dst_ip, 4);
	f.ip_id = ps->ip_id++;
	flen = pfsync_build_frame4(frame, PFSYNC_FRAME4_HLEN + plen, &f, plen);
	if (flen == 0 || rte_pktmbuf_append(m, (uint16_t)flen) == NULL) {
		rte_pktmbuf_free(m);
		ps->stats[PFSYNC_STAT_OERRORS]++;
		return;
	}
	ps->stats[PFSYNC_STAT_OPACKETS]++;
	dp_meta(m)->af = 4;
	dp_meta(m)->l3_off = PFSYNC_ETH_HLEN;
	dp_meta(m)->iface = ps->ifx;
	if (ps->conf.has_peer)
		local_ip_output(ps->local, m, PFSYNC_ETH_HLEN);
	else
		local_output(ps->local, m, PFSYNC_ETH_HLEN, ps->ifx, frame);
}

/* Sends what is queued, a full packet at a time, while it is due or full. */
static unsigned int
ps_flush(struct pfsync *ps, bool force)
{
	unsigned int sent = 0;

	/* A packet's room for records (pfsync_build_init's limit). */
	size_t room = ps_build_mtu(ps) - PFSYNC_IP4_HLEN - PFSYNC_HDRLEN;

	while (pfsync_q_total(ps->q) > 0) {
		uint64_t oldest = pfsync_q_oldest(ps->q), now = ps_now_us(ps);
		struct pfsync_builder b;
		struct rte_mbuf *m;
		bool due = force || now - oldest >= ps->conf.flush_us;
		unsigned int n;

		/* Not due: only full packets go, the rest waits for its time. */
		if (!due && pfsync_q_bytes(ps->q) < room)
			return sent;
		m = ps_pkt_new(ps, &b);
		if (m == NULL)
			return sent;
		n = pfsync_q_drain(ps->q, &b, ps_export, ps, &ps->xstats[PFSYNC_X_SKIPPED]);
		if (pfsync_build_empty(&b)) {
			rte_pktmbuf_free(m);
			if (n == 0 && pfsync_q_total(ps->q) == 0)
				break;
			continue;
		}
		ps_pkt_send(ps, m, &b);
		sent++;
	}
	return sent;
}

/* Sends one packet holding just record rec of action act (BUS, CLR, UPD_REQ 0/0). */
static void
ps_send_one(struct pfsync *ps, unsigned int act, const void *rec)
{
	struct pfsync_builder b;
	struct rte_mbuf *m = ps_pkt_new(ps, &b);

	if (m == NULL)
		return;
	if (pfsync_build_add(&b, act, rec) != 0) {
		rte_pktmbuf_free(m);
		ps->stats[PFSYNC_STAT_OERRORS]++;
		return;
	}
	ps_pkt_send(ps, m, &b);
}

static void
ps_send_bulk_req(struct pfsync *ps)
{
	struct pfsync_id_host r = { 0, 0 };

	ps_send_one(ps, PFSYNC_ACT_UPD_REQ, &r);
	ps->bulk_req_sent++;
}

/* --- bulk send ------------------------------------------------------------ */

static void
ps_bulk_start(struct pfsync *ps)
{
	if (ps->bsend.active) {
		ps->bsend.again = true;		/* OpenBSD: a flag, no restart */
		return;
	}
	memset(&ps->bsend, 0, sizeof(ps->bsend));
	ps->bsend.active = true;
	ps->bsend.started_us = ps_now_us(ps);
	ps->xstats[PFSYNC_X_BULK_RUNS]++;
	dlog0(BULK_SEND_START);
}

/* One paced burst of the bulk: BUS START, full states, BUS END. */
static unsigned int
ps_bulk_run(struct pfsync *ps)
{
	struct pfsync_bus_host bus = { .creatorid = ps->conf.hostid };
	unsigned int pkts = 0, scanned = 0;
	uint64_t now = ps_now_us(ps);

	if (!ps->bsend.active || now < ps->bsend.next_us)
		return 0;
	ps->bsend.next_us = now + PFSYNC_BULK_IVAL_US;
	while (pkts < PFSYNC_BULK_BURST) {
		struct pfsync_builder b;
		struct rte_mbuf *m = ps_pkt_new(ps, &b);
		bool full = false;

		if (m == NULL)
			return pkts;
		if (!ps->bsend.start_sent) {
			bus.status = PFSYNC_BUS_START;
			if (pfsync_build_add(&b, PFSYNC_ACT_BUS, &bus) == 0)
				ps->bsend.start_sent = true;
		}
		while (!full && ps->bsend.worker < ps->dp->n_workers &&
		       scanned < PFSYNC_BULK_SCAN) {
			const struct dp_state_table *t = ps->dp->workers[ps->bsend.worker].states;
			struct pfsync_qref ref;
			union pfsync_rec_host rec;
			struct dp_state copy;
			union dp_state_key key;

			if (ps->bsend.pos >= t->total) {
				ps->bsend.worker++;
				ps->bsend.pos = 0;
				continue;
			}
			scanned++;
			ref.worker = (uint16_t)ps->bsend.worker;
			ref.idx = ps->bsend.pos;
			ref.t_us = UINT64_MAX;	/* not a delta: no latency */
			if (dp_state_snapshot(t, ref.idx, &copy, &key, &ref.id, &ref.creatorid) != 0 ||
			    !ps_export(ps, PFSYNC_Q_UPD, &ref, &rec)) {
				ps->bsend.pos++;
				continue;
			}
			if (pfsync_build_add(&b, PFSYNC_ACT_UPD, &rec.state) != 0) {
				full = true;	/* this record opens the next packet */
				break;
			}
			ps->bsend.states++;
			ps->bsend.pos++;
		}
		if (ps->bsend.worker >= ps->dp->n_workers) {
			bus.status = PFSYNC_BUS_END;
			if (pfsync_build_add(&b, PFSYNC_ACT_BUS, &bus) == 0) {
				ps_pkt_send(ps, m, &b);
				pkts++;
				ps->bsend.active = false;
				ps->bsend.last_ms = (ps_now_us(ps) - ps->bsend.started_us) / 1000;
				ps->bsend.last_states = ps->bsend.states;
				ps->xstats[PFSYNC_X_BULK_SENT] += ps->bsend.states;
				dlog(BULK_SEND_DONE, DLOG_U("states", ps->bsend.states),
				     DLOG_U("ms", ps->bsend.last_ms));
				if (ps->bsend.again)
					ps_bulk_start(ps);
				return pkts;
			}
		}
		if (pfsync_build_empty(&b)) {
			rte_pktmbuf_free(m);
			return pkts;
		}
		ps_pkt_send(ps, m, &b);
		pkts++;
		if (scanned >= PFSYNC_BULK_SCAN)
			break;
	}
	return pkts;
}

/* --- bulk request (pfsync_bulk.h) ------------------------------------------ */

static void
ps_bulk_act(struct pfsync *ps, const struct pfsync_bulk_act *act)
{
	if (act->demote != 0 && ps->carp != NULL)
		carp_demote(ps->carp, "carp", act->demote,
			    act->demote > 0 ? "pfsync bulk start" : "pfsync bulk done");
	if (act->send_req)
		ps_send_bulk_req(ps);
	if (!act->changed)
		return;
	if (act->to == PFSYNC_BULK_SENT && act->from != PFSYNC_BULK_SENT)
		dlog0(BULK_START);
	else if (act->to == PFSYNC_BULK_DONE && ps->breq.result == PFSYNC_BULK_RES_OK)
		dlog(BULK_DONE, DLOG_U("states", ps->brx.applied),
		     DLOG_U("ms", (ps->breq.ended - ps->breq.started) / 1000));
	else if (act->to == PFSYNC_BULK_DONE)
		dlog0(BULK_TIMEOUT);
}

static void
ps_bulk_event(struct pfsync *ps, enum pfsync_bulk_evt ev)
{
	struct pfsync_bulk_act act;

	pfsync_bulk_event(&ps->breq, ev, ps_now_us(ps), &act);
	ps_bulk_act(ps, &act);
}

/* --- input ------------------------------------------------------------------ */

static bool
ps_rec_ok(struct pfsync *ps, enum pfsync_err e)
{
	if (e == PFSYNC_OK)
		return true;
	ps->stats[pfsync_err_stat(e)]++;
	return false;
}

static void
ps_in_state(struct pfsync *ps, const struct pfsync_state_host *sp, unsigned int act)
{
	struct dp_req req;
	struct dp_state_desc *d = &req.u.apply.st;
	const uint8_t *a0, *a1;
	unsigned int w;
	uint32_t pos;
	int ifa, ifb;

	if (!ps_rec_ok(ps, act == PFSYNC_ACT_INS ? pfsync_state_check_ins(sp) :
			   pfsync_state_check_upd(sp)))
		return;
	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_APPLY;
	if (pfsync_state_import(sp, d) != 0) {
		ps->stats[PFSYNC_STAT_BADVAL]++;
		return;
	}
	/* The interfaces this node would use for each side. */
	if (d->af == 4) {
		a0 = (const uint8_t *)&d->key.k4.addr[0];
		a1 = (const uint8_t *)&d->key.k4.addr[1];
	} else {
		a0 = d->key.k6.addr[0];
		a1 = d->key.k6.addr[1];
	}
	if (d->flags & DP_STF_SWAPPED) {
		const uint8_t *t = a0;

		a0 = a1;
		a1 = t;
	}
	ifa = local_route_iface(ps->local, d->af, a0);
	ifb = local_route_iface(ps->local, d->af, a1);
	d->iface[0] = (uint8_t)(ifa >= 0 ? ifa : ps->ifx);
	d->iface[1] = (uint8_t)(ifb >= 0 ? ifb : ps->ifx);
	/*
	 * One state per identity [OpenBSD pfsync_in_upd: pf_find_state_byid()
	 * merges; pfsync_in_ins: pf_state_insert() refuses a known id].  A
	 * known identity goes to its worker, which merges by identity; an
	 * unknown one to its key's owner, entered as in flight so that a
	 * second record of it before the first is applied follows it.
	 */
	if (ps_locate(ps, d->id, d->creatorid, &w, &pos)) {
		if (act == PFSYNC_ACT_INS) {
			ps->stats[PFSYNC_STAT_BADSTATE]++;
			return;
		}
		ps_post(ps, w, &req);
		return;
	}
	w = dp_owner_key(ps->dp, d->af, &d->key);
	if (ps_post(ps, w, &req) &&
	    idmap_set(&ps->idmap, d->id, d->creatorid, w, PFSYNC_POS_PENDING) != 0)
		ps->xstats[PFSYNC_X_IDMAP_FULL]++;
}

static void
ps_in_upd_c(struct pfsync *ps, const struct pfsync_upd_c_host *up)
{
	struct dp_req req;
	unsigned int w;
	uint32_t pos;

	if (!ps_rec_ok(ps, pfsync_upd_c_check(up)))
		return;
	if (!ps_locate(ps, up->id, up->creatorid, &w, &pos)) {
		/* We do not have it: ask for it [pfsync_in_upd_c]. */
		ps_queue(ps, PFSYNC_Q_UPD_REQ, up->id, up->creatorid, 0, 0);
		ps->xstats[PFSYNC_X_UPD_REQ_SENT]++;
		return;
	}
	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_UPDATE;
	req.u.update.id = up->id;
	req.u.update.creatorid = up->creatorid;
	req.u.update.timeout = up->timeout;
	pfsync_upd_c_import(up, &req.u.update.track);
	ps_post(ps, w, &req);
}

static void
ps_in_del(struct pfsync *ps, uint64_t id, uint32_t cid)
{
	struct dp_req req;
	unsigned int w;
	uint32_t pos;

	if (!ps_locate(ps, id, cid, &w, &pos)) {
		ps->stats[PFSYNC_STAT_BADSTATE]++;
		return;
	}
	/* Whatever we still meant to send about it is moot. */
	pfsync_q_forget(ps->q, id, cid);
	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_DELETE;
	req.u.del.id = id;
	req.u.del.creatorid = cid;
	ps_post(ps, w, &req);
}

static void
ps_in_upd_req(struct pfsync *ps, uint64_t id, uint32_t cid)
{
	unsigned int w;
	uint32_t pos;

	if (id == 0 && cid == 0) {
		ps_bulk_start(ps);
		return;
	}
	if (!ps_locate(ps, id, cid, &w, &pos)) {
		ps->stats[PFSYNC_STAT_BADSTATE]++;
		return;
	}
	ps_queue(ps, PFSYNC_Q_UPD, id, cid, w, pos);
	/* Answered at once: the asker may be holding a connection back on
	 * its view [OpenBSD if_pfsync.c pfsync_update_state_req: schednetisr]. */
	ps->flush_now = true;
}

static void
ps_in_clr(struct pfsync *ps, const struct pfsync_clr_host *c)
{
	struct dp_req req;
	unsigned int w;

	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_FLUSH;
	req.u.flush.creatorid = c->creatorid;
	/* Each worker's entries go when its FLUSH completes (pfsync_done). */
	for (w = 0; w < ps->dp->n_workers; w++)
		ps_post(ps, w, &req);
}

/* Records the sync port dropped for want of RX descriptors (own port). */
static uint64_t
ps_port_missed(const struct pfsync *ps)
{
	struct rte_eth_stats st;

	if (!ps->dp->ports[ps->port].ctl_only ||
	    rte_eth_stats_get(ps->dp->ports[ps->port].port_id, &st) != 0)
		return 0;
	return st.imissed;
}

/*
 * BUS START opens the count of a bulk's records; BUS END is fed to the
 * bulk machine only once every record before it is applied (pfsync_poll),
 * and if some were lost on the way (backlog full, port missed) the bulk is
 * asked for again instead (PFSYNC_BULK_EV_RETRY): the demotion stays until
 * this node holds the peer's table [OpenBSD ends the bulk at BUS END].
 */
static void
ps_in_bus(struct pfsync *ps, const struct pfsync_bus_host *b)
{
	if (b->status == PFSYNC_BUS_START) {
		if (ps->breq.state == PFSYNC_BULK_START || ps->breq.state == PFSYNC_BULK_SENT) {
			ps->bulk_rx = 0;
			ps->brx.applied = 0;
			ps->brx.end_seen = false;
			ps->brx.lost0 = ps->xstats[PFSYNC_X_BACKLOG_FULL];
			ps->brx.missed0 = ps_port_missed(ps);
		}
		ps_bulk_event(ps, PFSYNC_BULK_EV_BUS_START);
	} else if (b->status == PFSYNC_BUS_END) {
		if (ps->breq.state == PFSYNC_BULK_BULK)
			ps->brx.end_seen = true;
		else
			ps_bulk_event(ps, PFSYNC_BULK_EV_BUS_END);
	}
}

/* A bulk whose BUS END was read: end it once its records are applied. */
static void
ps_bulk_rx_end(struct pfsync *ps)
{
	if (!ps->brx.end_seen)
		return;
	if (ps->breq.state != PFSYNC_BULK_BULK) {
		ps->brx.end_seen = false;	/* timed out or went down meanwhile */
		return;
	}
	if (ps->brx.outstanding != 0)
		return;
	ps->brx.end_seen = false;
	ps->brx.lost = ps->xstats[PFSYNC_X_BACKLOG_FULL] - ps->brx.lost0 +
		       (ps_port_missed(ps) - ps->brx.missed0);
	if (ps->brx.lost != 0 && ps->breq.retries < PFSYNC_BULK_RETRIES) {
		dlog(BULK_INCOMPLETE, DLOG_U("lost", ps->brx.lost), DLOG_S("action", "retry"),
		     DLOG_U("retry", ps->breq.retries + 1));
		ps->xstats[PFSYNC_X_BULK_RETRIES]++;
		ps_bulk_event(ps, PFSYNC_BULK_EV_RETRY);
		return;
	}
	ps_bulk_event(ps, PFSYNC_BULK_EV_BUS_END);
}

static void
ps_in_section(struct pfsync *ps, const struct pfsync_section *sec)
{
	union pfsync_rec_host h;
	unsigned int k;

	for (k = 0; k < sec->count; k++) {
		if (pfsync_rec_decode(sec->action, sec->rec + (size_t)k * sec->stride, &h) != 0)
			return;
		ps->xstats[PFSYNC_X_REC_IN]++;
		if (sec->action < PFSYNC_ACT_MAX)
			ps->rx_act[sec->action]++;
		switch (sec->action) {
		case PFSYNC_ACT_CLR:
			ps_in_clr(ps, &h.clr);
			break;
		case PFSYNC_ACT_INS:
		case PFSYNC_ACT_UPD:
			ps->cur_bulk = ps->breq.state == PFSYNC_BULK_BULK;
			ps->bulk_rx += ps->cur_bulk;
			/* The sender holds a packet until we ack [pfsync_in_ins]. */
			ps->cur_ack = (h.state.state_flags & PFSTATE_ACK) != 0;
			ps->xstats[PFSYNC_X_ACK_ASKED] += ps->cur_ack;
			ps_in_state(ps, &h.state, sec->action);
			ps->cur_bulk = ps->cur_ack = false;
			break;
		case PFSYNC_ACT_UPD_C:
			ps_in_upd_c(ps, &h.upd_c);
			break;
		case PFSYNC_ACT_UPD_REQ:
			ps_in_upd_req(ps, h.id.id, h.id.creatorid);
			break;
		case PFSYNC_ACT_DEL:
			ps_in_del(ps, h.state.id, h.state.creatorid);
			break;
		case PFSYNC_ACT_DEL_C:
			ps_in_del(ps, h.id.id, h.id.creatorid);
			break;
		case PFSYNC_ACT_INS_ACK:
			pfsync_defer_ack_in(ps, h.id.id, h.id.creatorid);
			break;
		case PFSYNC_ACT_BUS:
			ps_in_bus(ps, &h.bus);
			break;
		case PFSYNC_ACT_TDB:
			ps->xstats[PFSYNC_X_TDB]++;
			break;
		default:
			break;
		}
	}
}

/*
 * With sync.key_file, the packet at pf (plen bytes, from IPv4 header ip)
 * must be authenticated with our key and newer than the last from its
 * sender; then *it is set over its sections.  Failures are counted
 * (hdrops, badlen, badauth for a missing or wrong MAC or key, replay) and
 * nothing of the packet is read.
 */
static bool
ps_auth_in(struct pfsync *ps, const uint8_t *ip, const uint8_t *pf, size_t plen,
	   struct pfsync_iter *it)
{
	struct pfsync_auth_info info;
	enum pfsync_auth_err e;

	e = pfsync_auth_open(&ps->auth->a_key, pf, plen, ip + 12, ip + 16, &info, it);
	if (e != PFSYNC_AUTH_OK) {
		ps->auth_last_err = e;
		ps->stats[e == PFSYNC_AUTH_ERR_SHORT ? PFSYNC_STAT_HDROPS :
			  e == PFSYNC_AUTH_ERR_BADLEN ? PFSYNC_STAT_BADLEN :
			  PFSYNC_STAT_BADAUTH]++;
		return false;
	}
	if (!pfsync_auth_accept(ps->auth, info.sender, info.seq, ps_now_us(ps))) {
		ps->xstats[PFSYNC_X_REPLAY]++;
		return false;
	}
	return true;
}

/* local's handler for IP protocol 240 [OpenBSD if_pfsync.c pfsync_input]. */
bool
pfsync_input(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm)
{
	struct pfsync *ps = arg;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, pm->l3_off);
	size_t len = m->data_len - pm->l3_off, hoff, plen;
	struct pfsync_iter it;
	struct pfsync_section sec;
	enum pfsync_err e;

	if (dp_meta(m)->iface != ps->ifx) {
		ps->stats[PFSYNC_STAT_BADIF]++;
		goto done;
	}
	if (pm->l3_proto != PKT_L3_IPV4) {
		ps->stats[PFSYNC_STAT_IPACKETS6]++;	/* OpenBSD takes IPv4 only */
		ps->stats[PFSYNC_STAT_HDROPS]++;
		goto done;
	}
	/* af_packet may hand us our own packets again. */
	if (memcmp(ip + 12, ps->src_ip, 4) == 0) {
		ps->xstats[PFSYNC_X_OWN]++;
		goto done;
	}
	/*
	 * On a port that neither is sync's own nor steers pfsync, sync shares
	 * the data path: a packet reaches us on a worker's punt ring, or on
	 * our own queue of the port where its RSS spread puts it.  Each
	 * counts (with ipackets) so that an operator sees which way the
	 * peer's packets come, and that they compete with data to get here.
	 */
	if (!ps->dp->ports[ps->port].ctl_only && !ps->dp->ports[ps->port].sync_steered)
		ps->xstats[ps->local->punted ? PFSYNC_X_PUNTED : PFSYNC_X_RX_SHARED]++;
	ps->stats[PFSYNC_STAT_IPACKETS]++;
	e = pfsync_check_ip4(ip, len, &hoff, &plen);
	if (e == PFSYNC_OK && ps->auth == NULL)
		e = pfsync_iter_init(&it, ip + hoff, plen);
	if (!ps_rec_ok(ps, e))
		goto done;
	if (ps->auth != NULL && !ps_auth_in(ps, ip, ip + hoff, plen, &it))
		goto done;
	if (!ps->peer_seen) {
		char a[16];

		snprintf(a, sizeof(a), "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
		dlog(SYNC_PEER, DLOG_S("peer", a), DLOG_S("iface", ps->dp->ifaces[ps->ifx].name));
		ps->peer_seen = true;
	}
	ps->last_rx_us = ps_now_us(ps);
	ps->cur_rx_us = ps->last_rx_us;
	while (pfsync_iter_next(&it, &sec) > 0)
		ps_in_section(ps, &sec);
	ps->cur_rx_us = 0;
	if (it.it_err != PFSYNC_OK)
		ps->stats[pfsync_err_stat(it.it_err)]++;
done:
	rte_pktmbuf_free(m);
	return true;
}

/* --- life cycle ---------------------------------------------------------------- */

struct pfsync *
pfsync_create(struct dp_main *dp, struct local *l, struct carp *carp,
	      const struct pfsync_conf *conf, char *err, size_t errlen)
{
	struct pfsync *ps = calloc(1, sizeof(*ps));
	const struct dp_iface *ifc;
	unsigned int i, w;

	if (ps == NULL)
		goto nomem;
	ps->dp = dp;
	ps->local = l;
	ps->carp = carp;
	ps->conf = *conf;
	explicit_bzero(ps->conf.key, sizeof(ps->conf.key));	/* kept in ps->auth only */
	if (ps->conf.flush_us == 0)
		ps->conf.flush_us = PFSYNC_FLUSH_US_DEFAULT;
	if (conf->iface < 0 || (unsigned int)conf->iface >= dp->n_ifaces) {
		snprintf(err, errlen, "pfsync: no sync interface");
		free(ps);
		return NULL;
	}
	ps->ifx = (uint16_t)conf->iface;
	ifc = &dp->ifaces[ps->ifx];
	ps->port = ifc->port;
	ps->mtu = ifc->mtu;
	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].af == 4)
			break;
	if (i == ifc->n_addrs) {
		snprintf(err, errlen, "pfsync: sync interface %s has no IPv4 address "
			 "(pfsync runs over IPv4)", ifc->name);
		free(ps);
		return NULL;
	}
	memcpy(ps->src_ip, ifc->addrs[i].addr, 4);
	memcpy(ps->dst_ip, conf->has_peer ? conf->peer : pfsync_group, 4);
	if (conf->auth) {
		ps->auth = calloc(1, sizeof(*ps->auth));
		if (ps->auth == NULL)
			goto nomem;
		if (pfsync_auth_init(ps->auth, conf->key, conf->key_len, ps_wall_s()) != 0) {
			snprintf(err, errlen, "pfsync: the sync key must be %u to %u bytes",
				 PFSYNC_AUTH_KEY_MIN, PFSYNC_AUTH_KEY_MAX);
			pfsync_destroy(ps);
			return NULL;
		}
	}
	ps->q = pfsync_q_create(PFSYNC_Q_CAPACITY);
	ps->pend_cap = dp->n_workers * DP_REQ_RING_SIZE;
	ps->pend = calloc(ps->pend_cap, sizeof(*ps->pend));
	ps->backlog = calloc(dp->n_workers, sizeof(*ps->backlog));
	ps->bl_cap = conf->limit_states / 32 / dp->n_workers;
	ps->bl_cap = RTE_MIN(ps->bl_cap, (uint32_t)PFSYNC_BACKLOG_MAX);
	ps->bl_cap = RTE_MAX(ps->bl_cap, (uint32_t)PFSYNC_BACKLOG_MIN);
	if (ps->q == NULL || ps->pend == NULL || ps->backlog == NULL ||
	    idmap_init(&ps->idmap, conf->limit_states + conf->limit_states / 4 + 1024) != 0)
		goto nomem;
	for (i = 0; i < ps->pend_cap; i++)
		ps->pend[i].next_free = i + 1 < ps->pend_cap ? i + 1 : UINT32_MAX;
	ps->pend_free = 0;
	for (w = 0; w < dp->n_workers; w++) {
		ps->backlog[w].e = calloc(ps->bl_cap, sizeof(struct pfsync_bl_ent));
		if (ps->backlog[w].e == NULL)
			goto nomem;
	}
	pfsync_bulk_init(&ps->breq, pfsync_bulk_timeout_us(conf->limit_states, ps->mtu));
	if (local_proto_register(l, IPPROTO_PFSYNC, pfsync_input, ps) != 0) {
		snprintf(err, errlen, "pfsync: IP protocol %u has another handler", IPPROTO_PFSYNC);
		pfsync_destroy(ps);
		return NULL;
	}
	return ps;
nomem:
	snprintf(err, errlen, "pfsync: out of memory");
	pfsync_destroy(ps);
	return NULL;
}

/* How pfsync reaches the control core on this port (dp.h). */
const char *
pfsync_path_name(const struct pfsync *ps)
{
	const struct dp_port *port = &ps->dp->ports[ps->port];

	return port->ctl_only ? "own port" : port->sync_steered ? "rte_flow queue" :
	       "worker punt";
}

void
pfsync_start(struct pfsync *ps)
{
	char why[256], peer[16];

	if (!ps->dp->ports[ps->port].ctl_only &&
	    dp_port_steer_proto(ps->dp, ps->port, IPPROTO_PFSYNC, why, sizeof(why)) != 0)
		dlog(SYNC_PUNT, DLOG_S("port", ps->dp->ports[ps->port].name),
		     DLOG_U("proto", IPPROTO_PFSYNC), DLOG_S("error", why));
	snprintf(peer, sizeof(peer), "%u.%u.%u.%u", ps->dst_ip[0], ps->dst_ip[1], ps->dst_ip[2],
		 ps->dst_ip[3]);
	dlog(SYNC_STARTED, DLOG_S("iface", ps->dp->ifaces[ps->ifx].name),
	     DLOG_S("path", pfsync_path_name(ps)), DLOG_S("peer", peer),
	     DLOG_X("hostid", ps->conf.hostid));
	ps->started = true;
	ps->link_up = atomic_load(&ps->dp->ports[ps->port].link_up);
	ps_bulk_event(ps, PFSYNC_BULK_EV_UP);
	if (ps->link_up)
		ps_bulk_event(ps, PFSYNC_BULK_EV_LINK_UP);
}

unsigned int
pfsync_poll(struct pfsync *ps)
{
	struct pfsync_bulk_act act;
	unsigned int work = 0;
	uint64_t now = ps_now_us(ps);
	bool up;

	if (!ps->started)
		return 0;
	up = atomic_load_explicit(&ps->dp->ports[ps->port].link_up, memory_order_relaxed);
	if (up != ps->link_up) {
		ps->link_up = up;
		dlog(SYNC_LINK, DLOG_S("link", up ? "up" : "down"));
		ps_bulk_event(ps, up ? PFSYNC_BULK_EV_LINK_UP : PFSYNC_BULK_EV_LINK_DOWN);
	}
	pfsync_bulk_tick(&ps->breq, now, &act);
	ps_bulk_act(ps, &act);
	if (ps->peer_seen && now - ps->last_rx_us > PFSYNC_PEER_QUIET_US) {
		dlog(SYNC_PEER_QUIET, DLOG_U("quiet_s", PFSYNC_PEER_QUIET_US / 1000000));
		ps->peer_seen = false;
	}
	work += ps_backlog_run(ps);
	ps_bulk_rx_end(ps);
	work += ps_flush(ps, ps->flush_now);
	ps->flush_now = false;
	work += ps_bulk_run(ps);
	return work;
}

void
pfsync_shutdown(struct pfsync *ps)
{
	struct pfsync_bulk_act act;

	if (ps == NULL || !ps->started)
		return;
	ps_flush(ps, true);
	pfsync_bulk_event(&ps->breq, PFSYNC_BULK_EV_DOWN, ps_now_us(ps), &act);
	ps_bulk_act(ps, &act);
	ps->started = false;
}

void
pfsync_destroy(struct pfsync *ps)
{
	unsigned int w;

	if (ps == NULL)
		return;
	if (ps->local != NULL)
		local_proto_register(ps->local, IPPROTO_PFSYNC, NULL, NULL);
	if (ps->backlog != NULL)
		for (w = 0; w < ps->dp->n_workers; w++)
			free(ps->backlog[w].e);
	free(ps->backlog);
	free(ps->pend);
	idmap_fini(&ps->idmap);
	pfsync_q_free(ps->q);
	if (ps->auth != NULL)
		pfsync_auth_fini(ps->auth);
	free(ps->auth);
	free(ps);
}
