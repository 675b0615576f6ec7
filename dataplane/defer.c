/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: a worker's defer hold queue (defer.h).
 *
 * Slots e[(head + k) % DP_DEFER_LIMIT] for k < used hold the packets in
 * arrival order; a slot with pkt NULL is a hole, skipped (and reclaimed)
 * when it reaches the head.  Holds plus released-but-not-taken packets
 * never exceed DP_DEFER_LIMIT, so a release always finds room in `out`
 * and a hold always finds a slot (after squeezing the holes out, which
 * only a queue full of holes needs).
 */
#include <errno.h>
#include <string.h>

#include "dataplane/defer.h"
#include "proto/proto.h"

PROTO_NAME_FN(dp_defer_stat_name, unsigned int, DP_DEFER_STAT_LIST, DP_DEFER_S_MAX);
PROTO_TABLE_FN(const char *, dp_defer_stat_descr, unsigned int, DP_DEFER_S_MAX, "?",
	       DP_DEFER_STAT_LIST(PROTO_XCOL3));

static inline uint32_t
slot(const struct dp_defer *q, uint32_t k)
{
	return (q->head + k) % DP_DEFER_LIMIT;
}

void
dp_defer_init(struct dp_defer *q, uint64_t timeout_us)
{
	memset(q, 0, sizeof(*q));
	q->timeout_us = timeout_us != 0 ? timeout_us : DP_DEFER_TIMEOUT_US;
}

/* Reclaims the holes at the head. */
static void
trim(struct dp_defer *q)
{
	while (q->used != 0 && q->e[q->head].pkt == NULL) {
		q->head = (q->head + 1) % DP_DEFER_LIMIT;
		q->used--;
	}
}

/* Squeezes the holes out, keeping the order (a queue full of holes). */
static void
compact(struct dp_defer *q)
{
	struct dp_defer_ent tmp[DP_DEFER_LIMIT];
	uint32_t k, n = 0;

	for (k = 0; k < q->used; k++)
		if (q->e[slot(q, k)].pkt != NULL)
			tmp[n++] = q->e[slot(q, k)];
	memcpy(q->e, tmp, n * sizeof(tmp[0]));
	q->head = 0;
	q->used = n;
}

int
dp_defer_hold(struct dp_defer *q, void *pkt, uint64_t id, uint32_t creatorid, uint32_t pos,
	      uint64_t now_us)
{
	struct dp_defer_ent *e;

	if (q->live + q->n_out >= DP_DEFER_LIMIT) {
		q->stats[DP_DEFER_S_LIMIT]++;
		return -ENOSPC;
	}
	if (q->used == DP_DEFER_LIMIT)
		compact(q);
	e = &q->e[slot(q, q->used)];
	e->pkt = pkt;
	e->id = id;
	e->creatorid = creatorid;
	e->pos = pos;
	e->t_us = now_us;
	q->used++;
	q->live++;
	q->stats[DP_DEFER_S_HELD]++;
	return 0;
}

/* Moves entry e to `out` (counted under stat), leaving a hole. */
static void
release(struct dp_defer *q, struct dp_defer_ent *e, unsigned int stat, uint64_t now_us)
{
	q->out[q->n_out].pkt = e->pkt;
	q->out[q->n_out].pos = e->pos;
	q->n_out++;
	pfsync_hist_add(&q->delay, now_us > e->t_us ? now_us - e->t_us : 0);
	q->stats[stat]++;
	e->pkt = NULL;
	q->live--;
}

int64_t
dp_defer_ack(struct dp_defer *q, uint64_t id, uint32_t creatorid, uint64_t now_us)
{
	uint32_t k;

	for (k = 0; k < q->used; k++) {
		struct dp_defer_ent *e = &q->e[slot(q, k)];

		if (e->pkt == NULL || e->id != id || e->creatorid != creatorid)
			continue;
		release(q, e, DP_DEFER_S_ACK, now_us);
		trim(q);
		return q->out[q->n_out - 1].pos;
	}
	q->stats[DP_DEFER_S_ACK_UNKNOWN]++;
	return -ENOENT;
}

unsigned int
dp_defer_expire(struct dp_defer *q, uint64_t now_us)
{
	unsigned int n = 0;

	trim(q);
	while (q->used != 0 && now_us >= q->e[q->head].t_us + q->timeout_us) {
		release(q, &q->e[q->head], DP_DEFER_S_TIMEOUT, now_us);
		n++;
		trim(q);
	}
	return n;
}

void *
dp_defer_gone(struct dp_defer *q, uint32_t pos)
{
	uint32_t k;

	for (k = 0; k < q->used; k++) {
		struct dp_defer_ent *e = &q->e[slot(q, k)];
		void *pkt = e->pkt;

		if (pkt == NULL || e->pos != pos)
			continue;
		e->pkt = NULL;
		q->live--;
		q->stats[DP_DEFER_S_DELETED]++;
		trim(q);
		return pkt;
	}
	return NULL;
}

unsigned int
dp_defer_take(struct dp_defer *q, void **pkts, uint32_t *pos, unsigned int max)
{
	unsigned int n = q->n_out < max ? q->n_out : max, i;

	for (i = 0; i < n; i++) {
		pkts[i] = q->out[i].pkt;
		if (pos != NULL)
			pos[i] = q->out[i].pos;
	}
	q->n_out -= n;
	memmove(q->out, q->out + n, q->n_out * sizeof(q->out[0]));
	return n;
}

void
dp_defer_clear(struct dp_defer *q, void (*free_fn)(void *pkt))
{
	uint32_t k;

	for (k = 0; k < q->used; k++)
		if (q->e[slot(q, k)].pkt != NULL)
			free_fn(q->e[slot(q, k)].pkt);
	for (k = 0; k < q->n_out; k++)
		free_fn(q->out[k].pkt);
	q->head = q->used = q->live = q->n_out = 0;
}
