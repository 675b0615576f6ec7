/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: sync.defer on the control core (docs/pfsync.md "Defer").
 *
 * The worker that creates a state holds its first packet
 * (dataplane/defer.h) and flags the INSERT event (DP_SEV_F_DEFER); the
 * engine then sends the queue at once, and the INS record carries
 * PFSTATE_ACK while the packet is held (pfsync.c ps_export()).
 *
 * The peer, receiving an INS or UPD with PFSTATE_ACK, answers with an
 * INS_ACK as soon as its worker has applied the state, not after
 * flush_us: the sender's packet waits for it [OpenBSD if_pfsync.c
 * pfsync_in_ins -> pfsync_insert_state queues the INS_ACK and schedules
 * an immediate send].  A state that could not be applied is not
 * acknowledged: the sender's timeout releases its packet.
 *
 * An INS_ACK received names one of our states, whose id says which worker
 * owns it (dataplane/state.h DP_STATE_ID_*): that worker gets a RELEASE
 * request and sends the held packet.  A full request ring loses the
 * release (counted); the worker's timeout sends the packet then.
 *
 * The counters and the delay histogram are the workers' (struct dp_defer,
 * one writer each), summed here for `show pfsync`.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "control/ctl/ctl.h"
#include "control/pfsync/pfsync_priv.h"
#include "dataplane/defer.h"
#include "dataplane/dp.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/state.h"

void
pfsync_defer_ack_in(struct pfsync *ps, uint64_t id, uint32_t creatorid)
{
	struct dp_req req;
	unsigned int w;

	if (!ps->conf.defer) {
		ps->xstats[PFSYNC_X_DEFER_ACK]++;
		return;
	}
	/* Only our own states are ever held; the worker checks the rest. */
	w = (unsigned int)(id >> DP_STATE_ID_WORKER_SHIFT) & DP_STATE_MAX_WORKER;
	if (creatorid != ps->conf.hostid || !(id & DP_STATE_ID_LOCAL) ||
	    w >= ps->dp->n_workers) {
		ps->stats[PFSYNC_STAT_BADSTATE]++;
		return;
	}
	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_RELEASE;
	/* No pending slot: pfsync_done() consumes the completion by its kind. */
	req.tag = PFSYNC_TAG_BIT | UINT32_MAX;
	req.u.release.id = id;
	req.u.release.creatorid = creatorid;
	if (dp_req_post(ps->dp, w, &req) != 0)
		ps->xstats[PFSYNC_X_ACK_RELEASE_LOST]++;
}

void
pfsync_defer_ack_out(struct pfsync *ps, uint64_t id, uint32_t creatorid)
{
	struct pfsync_qref ref = { .id = id, .creatorid = creatorid, .t_us = UINT64_MAX };

	if (pfsync_q_add(ps->q, PFSYNC_Q_INS_ACK, &ref, dp_clock_us(&ps->dp->clock)) < 0) {
		ps->xstats[PFSYNC_X_QFULL]++;
		return;
	}
	ps->flush_now = true;
}

/* The workers' counters and delays, summed. */
static void
defer_sum(const struct pfsync *ps, uint64_t *st, uint64_t *held, struct pfsync_hist *h)
{
	unsigned int w, i;

	memset(st, 0, sizeof(uint64_t) * DP_DEFER_S_MAX);
	*held = 0;
	pfsync_hist_reset(h);
	for (w = 0; w < ps->dp->n_workers; w++) {
		const struct dp_defer *q = ps->dp->workers[w].defer;

		if (q == NULL)
			continue;
		for (i = 0; i < DP_DEFER_S_MAX; i++)
			st[i] += q->stats[i];
		*held += dp_defer_live(q);
		pfsync_hist_merge(h, &q->delay);
	}
}

json_t *
pfsync_defer_json(const struct pfsync *ps)
{
	json_t *j = json_object(), *d = json_object();
	uint64_t st[DP_DEFER_S_MAX], held;
	struct pfsync_hist h;
	unsigned int i;

	defer_sum(ps, st, &held, &h);
	json_object_set_new(j, "enabled", json_boolean(ps->conf.defer));
	json_object_set_new(j, "timeout_us", json_integer(DP_DEFER_TIMEOUT_US));
	json_object_set_new(j, "max_held", json_integer(DP_DEFER_LIMIT));
	json_object_set_new(j, "held_now", json_integer((json_int_t)held));
	for (i = 0; i < DP_DEFER_S_MAX; i++)
		json_object_set_new(j, dp_defer_stat_name(i), json_integer((json_int_t)st[i]));
	json_object_set_new(j, "acks_sent", json_integer((json_int_t)ps->tx_act[PFSYNC_ACT_INS_ACK]));
	json_object_set_new(j, "acks_received",
			    json_integer((json_int_t)ps->rx_act[PFSYNC_ACT_INS_ACK]));
	json_object_set_new(d, "p50", json_integer((json_int_t)pfsync_hist_pct(&h, 500)));
	json_object_set_new(d, "p99", json_integer((json_int_t)pfsync_hist_pct(&h, 990)));
	json_object_set_new(d, "max", json_integer((json_int_t)h.max));
	json_object_set_new(d, "samples", json_integer((json_int_t)h.n));
	json_object_set_new(j, "delay_us", d);
	return j;
}

void
pfsync_defer_text(struct ctl_out *out, const struct pfsync *ps)
{
	uint64_t st[DP_DEFER_S_MAX], held;
	struct pfsync_hist h;

	defer_sum(ps, st, &held, &h);
	ctl_printf(out, "\tdefer %s (timeout %u ms, at most %u held per worker): %" PRIu64
		   " held now\n", ps->conf.defer ? "on" : "off", DP_DEFER_TIMEOUT_US / 1000,
		   DP_DEFER_LIMIT, held);
	ctl_printf(out, "\t\t%" PRIu64 " held, %" PRIu64 " released by ack, %" PRIu64
		   " released by timeout, %" PRIu64 " sent at once (limit), %" PRIu64
		   " dropped (state removed), %" PRIu64 " acks for nothing held\n",
		   st[DP_DEFER_S_HELD], st[DP_DEFER_S_ACK], st[DP_DEFER_S_TIMEOUT],
		   st[DP_DEFER_S_LIMIT], st[DP_DEFER_S_DELETED], st[DP_DEFER_S_ACK_UNKNOWN]);
	ctl_printf(out, "\t\tINS_ACK: %" PRIu64 " sent, %" PRIu64 " received\n",
		   ps->tx_act[PFSYNC_ACT_INS_ACK], ps->rx_act[PFSYNC_ACT_INS_ACK]);
	ctl_printf(out, "\t\tdeferral delay (arrival to release): p50 %" PRIu64 " us, p99 %"
		   PRIu64 " us, max %" PRIu64 " us (%" PRIu64 " packets)\n",
		   pfsync_hist_pct(&h, 500), pfsync_hist_pct(&h, 990), h.max, h.n);
}
