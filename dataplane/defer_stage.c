/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the worker's side of pfsync defer (defer_stage.h, defer.h).
 *
 * A held packet has been filtered (its state exists) but not routed or
 * rewritten: on release the loop looks its route up again in the FIB of
 * that poll and forwards it (worker.c), so a route that changed while it
 * waited is followed, as OpenBSD re-routes a released route-to packet
 * [if_pfsync.c pfsync_undefer].  The state's DP_STF_DEFER flag says a
 * packet is held: the control core reads it when it builds the insert
 * (PFSTATE_ACK), and the removal hook reads it to drop the packet.
 */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dataplane/clock.h"
#include "dataplane/defer.h"
#include "dataplane/defer_stage.h"
#include "dataplane/filter_priv.h"
#include "dataplane/state.h"
#include "dataplane/worker_ctx.h"

static inline uint64_t
now_us(const struct dp_wctx *c)
{
	return dp_clock_us_at(&c->dp->clock, c->tsc);
}

/*
 * Broadcast or multicast: on the link (the Ethernet destination's group
 * bit, OpenBSD's M_BCAST | M_MCAST) or by IP destination.  Never held
 * [if_pfsync.c pfsync_defer].
 */
static bool
dp_defer_group(struct rte_mbuf *m)
{
	const struct dp_mbuf_meta *md = dp_meta(m);
	const uint8_t *l2 = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *l3 = l2 + md->l3_off;

	if (md->l3_off >= 6 && (l2[0] & 0x01))
		return true;
	if (md->af == 4)
		return (l3[16] & 0xf0) == 0xe0 ||
		       (l3[16] == 0xff && l3[17] == 0xff && l3[18] == 0xff && l3[19] == 0xff);
	return l3[24] == 0xff;
}

bool
dp_defer_first(struct dp_wctx *c, struct rte_mbuf *m, struct dp_state *st)
{
	struct dp_defer *q = c->w->defer;
	uint64_t id;
	uint32_t cid;

	if (q == NULL || (st->flags & DP_STF_NOSYNC) || dp_defer_group(m) ||
	    dp_state_id(c->states, st, &id, &cid) != 0) {
		dp_state_event(c, st, DP_SEV_INSERT);
		return false;
	}
	if (dp_defer_live(q) + q->n_out >= DP_DEFER_LIMIT) {
		q->stats[DP_DEFER_S_LIMIT]++;
		dp_state_event(c, st, DP_SEV_INSERT);
		return false;
	}
	st->flags |= DP_STF_DEFER;
	if (!dp_state_event(c, st, DP_SEV_INSERT)) {
		/* The control core will not hear of it: nothing would ack it. */
		st->flags &= (uint8_t)~DP_STF_DEFER;
		return false;
	}
	/* Room was checked above, and only this worker adds. */
	return dp_defer_hold(q, m, id, cid, dp_state_pos(c->states, st), now_us(c)) == 0;
}

void
dp_defer_removed(struct dp_wctx *c, struct dp_state *st)
{
	struct rte_mbuf *m;

	st->flags &= (uint8_t)~DP_STF_DEFER;
	if (c->w->defer == NULL)
		return;
	m = dp_defer_gone(c->w->defer, dp_state_pos(c->states, st));
	if (m != NULL)
		rte_pktmbuf_free(m);
}

int32_t
dp_defer_release(struct dp_wctx *c, uint64_t id, uint32_t creatorid)
{
	int64_t pos;

	if (c->w->defer == NULL)
		return -ENOENT;
	pos = dp_defer_ack(c->w->defer, id, creatorid, now_us(c));
	if (pos < 0)
		return -ENOENT;
	c->states->st[pos].flags &= (uint8_t)~DP_STF_DEFER;
	return 0;
}

unsigned int
dp_defer_poll(struct dp_wctx *c, struct rte_mbuf **pkts, unsigned int max)
{
	struct dp_defer *q = c->w->defer;
	unsigned int n, i;

	if (q == NULL || !dp_defer_busy(q))
		return 0;
	n = dp_defer_expire(q, now_us(c));
	/* The packets just released are the last of `out`: their states
	 * no longer hold anything. */
	for (i = q->n_out - n; i < q->n_out; i++)
		c->states->st[q->out[i].pos].flags &= (uint8_t)~DP_STF_DEFER;
	return dp_defer_take(q, (void **)pkts, NULL, max);
}

void
dp_defer_free_pkt(void *pkt)
{
	rte_pktmbuf_free(pkt);
}
