/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: requests about states, both ends, and the state event hook.
 *
 * See filter_cmd.h for the contract and state_event.h for the events.
 *
 * Worker side.  Every poll, dp_filter_requests() looks at the request ring
 * (one load when it is empty) unless a KILL or FLUSH is under way: APPLYs
 * are carried out at once, up to DP_REQ_APPLY_BURST a poll; a KILL or
 * FLUSH becomes the worker's current request (struct dp_req_run) and
 * housekeeping works through the table in slices (dp_req_slice()), so the
 * worker takes no other request until it is done and requests keep their
 * order.  Each request ends with one completion.
 *
 * Control side.  dp_req_post() counts what it posts per worker and
 * dp_done_poll() what comes back; posting stops at DP_REQ_INFLIGHT, which
 * both rings hold, so a worker always finds room for its completion.  (It
 * still keeps a completion that did not fit and retries before taking more
 * requests: a ring is never waited on.)
 *
 * Rings are rte_ring element rings (the structs are copied in and out),
 * single producer and single consumer: one worker and the control core.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/defer.h"
#include "dataplane/defer_stage.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/filter_priv.h"
#include "dataplane/filter_stage.h"
#include "proto/proto.h"

PROTO_NAME_FN(dp_req_name, unsigned int, DP_REQ_LIST, DP_REQ_MAX);
PROTO_NAME_FN(dp_sev_name, unsigned int, DP_SEV_LIST, DP_SEV_MAX);

/* A worker's current request and its progress [W]. */
struct dp_req_run {
	struct dp_req req;	/* the KILL or FLUSH being carried out */
	bool active;
	bool done_pending;	/* done did not fit on the ring: send it first */
	uint32_t pos;		/* next record to look at */
	uint32_t removed;	/* states removed so far */
	struct dp_done done;
};

/* --- the state event hook ---------------------------------------------- */

/* Slots of the event ring free for new events: its free count less what is staged. */
static inline unsigned int
sev_room(const struct dp_wctx *c)
{
	unsigned int room = rte_ring_free_count(c->w->sev);

	return room > c->sev_n ? room - c->sev_n : 0;
}

void
dp_state_events_flush(struct dp_wctx *c)
{
	unsigned int n;

	if (c->sev_n == 0)
		return;
	n = rte_ring_sp_enqueue_burst_elem(c->w->sev, c->sev_stage, sizeof(c->sev_stage[0]),
					   c->sev_n, NULL);
	/* Never short (sev_credit); were it, the rest is counted, not waited on. */
	if (unlikely(n != c->sev_n)) {
		c->st->sev_ring_full += c->sev_n - n;
		c->sev_credit = 0;
	}
	c->sev_n = 0;
}

bool
dp_state_event(struct dp_wctx *c, struct dp_state *st, enum dp_sev_kind kind)
{
	struct dp_sev *ev;
	uint64_t id;
	uint32_t creatorid;

	if (st->flags & DP_STF_NOSYNC) {
		c->st->sev_nosync++;
		return false;
	}
	if (unlikely(dp_state_id(c->states, st, &id, &creatorid) != 0))
		return false;	/* not a live state: nothing to tell */
	if (unlikely(c->sev_credit == 0)) {
		/* The one read of the consumer's index, once per ring's worth. */
		c->sev_credit = sev_room(c);
		if (c->sev_credit == 0) {
			c->st->sev_ring_full++;
			return false;
		}
	}
	if (unlikely(c->sev_n == DP_SEV_STAGE))
		dp_state_events_flush(c);
	ev = &c->sev_stage[c->sev_n++];
	c->sev_credit--;
	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ev->creatorid = creatorid;
	ev->pos = dp_state_pos(c->states, st);
	ev->kind = (uint8_t)kind;
	ev->worker = (uint8_t)c->w->id;
	ev->flags = (st->flags & DP_STF_DEFER) && kind == DP_SEV_INSERT ? DP_SEV_F_DEFER : 0;
	ev->t_us = (uint32_t)dp_clock_us_at(&c->dp->clock, c->tsc);
	if (unlikely(st->split & DP_SPLIT_ON) && kind == DP_SEV_UPDATE)
		ev->flags |= DP_SEV_F_SPLIT;
	c->st->sev[kind]++;
	return true;
}

void
dp_state_ask(struct dp_wctx *c, struct dp_state *st)
{
	uint32_t pos = dp_state_pos(c->states, st);
	struct dp_ask_seen *a = &c->ask[pos % DP_SEV_ASK_CACHE];

	if (c->ask_sec != c->now) {
		c->ask_sec = c->now;
		c->ask_n = 0;
	}
	if ((a->pos1 == pos + 1 && a->sec == c->now) || c->ask_n >= DP_SEV_ASK_PER_S) {
		c->st->sev_ask_limited++;
		return;
	}
	if (!dp_state_event(c, st, DP_SEV_ASK))
		return;
	c->ask_n++;
	a->pos1 = pos + 1;
	a->sec = c->now;
}

/* --- worker side ------------------------------------------------------ */

/* Sends r->done; false if the ring is full (kept for the next poll). */
static bool
req_send_done(struct dp_wctx *c, struct dp_req_run *r)
{
	r->done_pending = rte_ring_sp_enqueue_elem(c->w->done, &r->done, sizeof(r->done)) != 0;
	return !r->done_pending;
}

static void
req_complete_pos(struct dp_wctx *c, struct dp_req_run *r, const struct dp_req *req,
		 int32_t result, uint32_t pos)
{
	memset(&r->done, 0, sizeof(r->done));
	r->done.tag = req->tag;
	r->done.result = result;
	r->done.pos = pos;
	r->done.kind = req->kind;
	r->done.worker = (uint8_t)c->w->id;
	c->st->req_done++;
	req_send_done(c, r);
}

static void
req_complete(struct dp_wctx *c, struct dp_req_run *r, const struct dp_req *req, int32_t result)
{
	req_complete_pos(c, r, req, result, UINT32_MAX);
}

/*
 * A peer's state, inserted or merged.  The hook sees it with the state
 * marked no-sync for the call, as OpenBSD's import inserts with
 * PFSTATE_NOSYNC set so the state is not sent back to where it came from
 * [if_pfsync.c 1.218 pfsync_state_import; in 1.332 pfsync_insert_state
 * skips the states pfsync inserted, PFSYNC_S_PFSYNC].  A merge that found
 * ours newer is an UPDATE of ours [1.332 pfsync_in_updates].
 */
static int
req_apply(struct dp_wctx *c, const struct dp_state_desc *d, uint32_t *pos)
{
	struct dp_state *st;
	uint8_t flags;
	int rc;

	rc = dp_state_apply(c->states, d, c->now, &st);
	if (st != NULL)
		*pos = (uint32_t)(st - c->states->st);
	switch (rc) {
	case DP_APPLY_INSERTED:
	case DP_APPLY_UPDATED:
		if (rc == DP_APPLY_INSERTED)
			c->st->state_inserts++;
		flags = st->flags;
		st->flags |= DP_STF_NOSYNC;
		dp_state_event(c, st, rc == DP_APPLY_INSERTED ? DP_SEV_INSERT : DP_SEV_UPDATE);
		st->flags = flags;
		break;
	case DP_APPLY_STALE:
	case DP_APPLY_JOINED:	/* two states made one: the peer learns ours */
	case DP_APPLY_ADOPTED:
		dp_state_event(c, st, DP_SEV_UPDATE);
		break;
	default:
		break;
	}
	return rc;
}

/* A peer's compressed update of a state we have (pfsync UPD_C). */
static int
req_update(struct dp_wctx *c, const struct dp_req_update *u)
{
	struct dp_state *st = dp_state_find_id(c->states, u->id, u->creatorid);
	int rc;

	if (st == NULL)
		return -ENOENT;
	rc = dp_state_merge(c->states, st, &u->track, u->timeout, c->now);
	if (rc == DP_APPLY_STALE)
		dp_state_event(c, st, DP_SEV_UPDATE);
	return rc;
}

/* A state the peer removed: gone here too, without telling it back. */
static int
req_delete(struct dp_wctx *c, const struct dp_req_delete *d)
{
	struct dp_state *st = dp_state_find_id(c->states, d->id, d->creatorid);

	if (st == NULL)
		return -ENOENT;
	st->flags |= DP_STF_NOSYNC;
	dp_filter_removed(c, st);
	dp_state_remove(c->states, st);
	return 0;
}

unsigned int
dp_filter_requests(struct dp_wctx *c)
{
	struct dp_req_run *r = c->w->req_run;
	struct dp_req req;
	unsigned int n;

	if (unlikely(r == NULL))
		return 0;	/* no state table: dp_filter_init() never ran */
	if (unlikely(r->done_pending) && !req_send_done(c, r))
		return 0;
	if (r->active)
		return 0;	/* housekeeping is working through it */
	for (n = 0; n < DP_REQ_APPLY_BURST; n++) {
		if (rte_ring_sc_dequeue_elem(c->w->req, &req, sizeof(req)) != 0)
			return n;
		switch (req.kind) {
		case DP_REQ_APPLY: {
			uint32_t pos = UINT32_MAX;
			int rc = req_apply(c, &req.u.apply.st, &pos);

			req_complete_pos(c, r, &req, rc, pos);
			break;
		}
		case DP_REQ_UPDATE:
			req_complete(c, r, &req, req_update(c, &req.u.update));
			break;
		case DP_REQ_DELETE:
			req_complete(c, r, &req, req_delete(c, &req.u.del));
			break;
		case DP_REQ_RELEASE:
			req_complete(c, r, &req, dp_defer_release(c, req.u.release.id,
								  req.u.release.creatorid));
			break;
		case DP_REQ_KILL:
		case DP_REQ_FLUSH:
			r->req = req;
			r->active = true;
			r->pos = 0;
			r->removed = 0;
			return n + 1;
		default:
			req_complete(c, r, &req, -EINVAL);
			break;
		}
		if (r->done_pending)
			return n + 1;
	}
	return n;
}

/* Does the live state st fall under the current KILL or FLUSH? */
static bool
req_selects(struct dp_wctx *c, const struct dp_req *req, struct dp_state *st)
{
	union dp_state_key key;
	uint64_t id;
	uint32_t cid;

	if (req->kind == DP_REQ_KILL && req->u.kill.sel.all)
		return true;
	if (dp_state_id(c->states, st, &id, &cid) != 0)
		return false;
	if (req->kind == DP_REQ_FLUSH)
		return cid == req->u.flush.creatorid;
	if (dp_state_key_of(c->states, st, &key) != 0)
		return false;
	return dp_state_sel_match(&req->u.kill.sel, st, &key, id, cid, c->rules);
}

void
dp_req_slice(struct dp_wctx *c)
{
	struct dp_req_run *r = c->w->req_run;
	struct dp_state_table *t = c->states;
	unsigned int removed = 0, limit = DP_REQ_REMOVE_SLICE, room;
	uint32_t end;

	if (r == NULL || !r->active)
		return;
	/*
	 * A KILL makes a DELETE event per state, faster than the control core
	 * may drain them while another process has its CPU.  It removes no
	 * more than the event ring has room for, beyond DP_SEV_RESERVE kept
	 * for the packets' own events: the kill takes longer, no delete is
	 * lost, and the worker never waits.
	 */
	if (r->req.kind == DP_REQ_KILL) {
		room = sev_room(c);
		limit = room > DP_SEV_RESERVE ? RTE_MIN(limit, room - DP_SEV_RESERVE) : 0;
	}
	end = RTE_MIN(r->pos + DP_REQ_SCAN_SLICE, t->total);
	for (; r->pos < end && removed < limit; r->pos++) {
		struct dp_state *st = &t->st[r->pos];

		if (st->af == 0 || !req_selects(c, &r->req, st))
			continue;
		/* A flush is the peer's own request: no DELETE back [pfsync_in_clr]. */
		if (r->req.kind == DP_REQ_FLUSH)
			st->flags |= DP_STF_NOSYNC;
		dp_filter_removed(c, st);
		dp_state_remove(t, st);
		removed++;
	}
	r->removed += removed;
	if (r->pos >= t->total) {
		r->active = false;
		req_complete(c, r, &r->req, (int32_t)r->removed);
	}
}

/* --- set-up --------------------------------------------------------------- */

int
dp_req_rings_create(struct dp_main *dp, unsigned int w, char *err, size_t errlen)
{
	struct dp_worker *wk = &dp->workers[w];
	int socket = (int)rte_socket_id();
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "dpf_req%u", w);
	wk->req = rte_ring_create_elem(name, sizeof(struct dp_req), DP_REQ_RING_SIZE, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dpf_done%u", w);
	wk->done = rte_ring_create_elem(name, sizeof(struct dp_done), DP_REQ_RING_SIZE, socket,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dpf_sev%u", w);
	wk->sev = rte_ring_create_elem(name, sizeof(struct dp_sev), DP_SEV_RING_SIZE, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	wk->req_run = rte_zmalloc_socket("dpf_req_run", sizeof(*wk->req_run), RTE_CACHE_LINE_SIZE,
					 socket);
	wk->defer = rte_zmalloc_socket("dpf_defer", sizeof(*wk->defer), RTE_CACHE_LINE_SIZE,
				       socket);
	if (wk->defer != NULL)
		dp_defer_init(wk->defer, DP_DEFER_TIMEOUT_US);
	dp->req_inflight[w] = 0;
	if (wk->req == NULL || wk->done == NULL || wk->sev == NULL || wk->req_run == NULL ||
	    wk->defer == NULL) {
		snprintf(err, errlen, "worker %u: cannot create its request and event rings", w);
		dp_req_rings_free(dp, w);
		return -ENOMEM;
	}
	return 0;
}

void
dp_req_rings_free(struct dp_main *dp, unsigned int w)
{
	struct dp_worker *wk = &dp->workers[w];

	rte_ring_free(wk->req);
	rte_ring_free(wk->done);
	rte_ring_free(wk->sev);
	rte_free(wk->req_run);
	if (wk->defer != NULL)
		dp_defer_clear(wk->defer, dp_defer_free_pkt);
	rte_free(wk->defer);
	wk->req = wk->done = wk->sev = NULL;
	wk->req_run = NULL;
	wk->defer = NULL;
}

/* --- control side ------------------------------------------------------- */

int
dp_req_post(struct dp_main *dp, unsigned int w, const struct dp_req *req)
{
	struct dp_stats *st = &dp->stats[DP_CTL_WORKER];

	if (w >= dp->n_workers || req->kind >= DP_REQ_MAX || dp->workers[w].req == NULL)
		return -EINVAL;
	if (dp->req_inflight[w] >= DP_REQ_INFLIGHT ||
	    /* DPDK 22.11 takes a non-const source it only reads. */
	    rte_ring_sp_enqueue_elem(dp->workers[w].req, (void *)(uintptr_t)req,
				     sizeof(*req)) != 0) {
		st->req_full++;
		return -ENOBUFS;
	}
	dp->req_inflight[w]++;
	st->req_posted++;
	return 0;
}

unsigned int
dp_req_inflight(const struct dp_main *dp, unsigned int w)
{
	return w < dp->n_workers ? dp->req_inflight[w] : 0;
}

unsigned int
dp_done_poll(struct dp_main *dp, struct dp_done *out, unsigned int max)
{
	unsigned int w, n, got = 0;

	for (w = 0; w < dp->n_workers && got < max; w++) {
		if (dp->workers[w].done == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst_elem(dp->workers[w].done, out + got, sizeof(*out),
						   max - got, NULL);
		dp->req_inflight[w] -= RTE_MIN(n, dp->req_inflight[w]);
		got += n;
	}
	return got;
}

unsigned int
dp_sev_poll(struct dp_main *dp, struct dp_sev *out, unsigned int max)
{
	unsigned int i, n, got = 0;

	/* Round robin from where the last call stopped, so that one busy
	 * worker cannot keep the others' events waiting. */
	for (i = 0; i < dp->n_workers && got < max; i++) {
		unsigned int w = (dp->sev_rr + i) % dp->n_workers;

		if (dp->workers[w].sev == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst_elem(dp->workers[w].sev, out + got, sizeof(*out),
						   max - got, NULL);
		got += n;
	}
	if (dp->n_workers > 1)
		dp->sev_rr = (dp->sev_rr + 1) % dp->n_workers;
	if (got != 0)
		dp->stats[DP_CTL_WORKER].sev_taken += got;
	return got;
}
