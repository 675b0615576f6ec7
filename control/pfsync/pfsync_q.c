/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pfsync's send queues (pfsync_q.h).
 *
 * One entry per identity (id, creatorid), found through a chained hash.
 * An entry is on at most one "main" queue (INS, UPD_C, UPD, DEL_C: our
 * view of the state) and independently on INS_ACK and UPD_REQ (requests
 * about the peer's copy), so it has three pairs of list links.  Each queue
 * is a FIFO; the time the queues last went from empty to non-empty is the
 * age that decides a flush, as OpenBSD arms its timeout when the first
 * record is queued [if_pfsync.c pfsync_q_ins].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/pfsync/pfsync_ident.h"
#include "control/pfsync/pfsync_q.h"
#include "proto/proto.h"

#define Q_NONE UINT32_MAX

/* Which links of an entry a queue uses. */
#define LINK_MAIN 0
#define LINK_ACK 1
#define LINK_REQ 2
#define LINK_MAX 3

struct q_entry {
	struct pfsync_qref ref;
	uint32_t next[LINK_MAX];
	uint32_t prev[LINK_MAX];
	uint8_t main;			/* PFSYNC_Q_* of the main queue, or PFSYNC_Q_MAX */
	uint8_t on;			/* bit per queue kind */
};

struct q_list {
	uint32_t head, tail, count;
};

struct pfsync_q {
	struct q_entry *e;		/* by identity slot */
	struct pfsync_ident ids;	/* identity -> slot */
	uint32_t total;			/* records on all queues */
	uint64_t first_us;		/* when the queues last became non-empty */
	struct q_list list[PFSYNC_Q_MAX];
};

PROTO_NAME_FN(pfsync_q_name, unsigned int, PFSYNC_Q_LIST, PFSYNC_Q_MAX);
PROTO_TABLE_FN(unsigned int, pfsync_q_action, unsigned int, PFSYNC_Q_MAX, 0,
	       PFSYNC_Q_LIST(PROTO_XCOL3));

static unsigned int
q_link(unsigned int kind)
{
	return kind == PFSYNC_Q_INS_ACK ? LINK_ACK : kind == PFSYNC_Q_UPD_REQ ? LINK_REQ : LINK_MAIN;
}

struct pfsync_q *
pfsync_q_create(uint32_t capacity)
{
	struct pfsync_q *q = calloc(1, sizeof(*q));
	uint32_t i;

	if (q == NULL || pfsync_ident_init(&q->ids, capacity) != 0)
		goto fail;
	q->e = calloc(capacity, sizeof(*q->e));
	if (q->e == NULL)
		goto fail;
	q->first_us = UINT64_MAX;
	for (i = 0; i < PFSYNC_Q_MAX; i++)
		q->list[i] = (struct q_list){ Q_NONE, Q_NONE, 0 };
	return q;
fail:
	pfsync_q_free(q);
	return NULL;
}

void
pfsync_q_free(struct pfsync_q *q)
{
	if (q == NULL)
		return;
	free(q->e);
	pfsync_ident_fini(&q->ids);
	free(q);
}

static uint32_t
q_find(const struct pfsync_q *q, uint64_t id, uint32_t creatorid)
{
	return pfsync_ident_find(&q->ids, id, creatorid);
}

static void
q_push(struct pfsync_q *q, uint32_t i, unsigned int kind, uint64_t now_us)
{
	struct q_list *l = &q->list[kind];
	struct q_entry *e = &q->e[i];
	unsigned int k = q_link(kind);

	e->next[k] = Q_NONE;
	e->prev[k] = l->tail;
	if (l->tail != Q_NONE)
		q->e[l->tail].next[k] = i;
	else
		l->head = i;
	l->tail = i;
	l->count++;
	e->on |= (uint8_t)(1u << kind);
	if (k == LINK_MAIN)
		e->main = (uint8_t)kind;
	if (q->total++ == 0)
		q->first_us = now_us;
}

static void
q_unlink(struct pfsync_q *q, uint32_t i, unsigned int kind)
{
	struct q_list *l = &q->list[kind];
	struct q_entry *e = &q->e[i];
	unsigned int k = q_link(kind);

	if (e->prev[k] != Q_NONE)
		q->e[e->prev[k]].next[k] = e->next[k];
	else
		l->head = e->next[k];
	if (e->next[k] != Q_NONE)
		q->e[e->next[k]].prev[k] = e->prev[k];
	else
		l->tail = e->prev[k];
	l->count--;
	e->on &= (uint8_t)~(1u << kind);
	if (k == LINK_MAIN)
		e->main = PFSYNC_Q_MAX;
	if (--q->total == 0)
		q->first_us = UINT64_MAX;
}

/* Returns entry i to the free list once it is on no queue. */
static void
q_release(struct pfsync_q *q, uint32_t i)
{
	if (q->e[i].on == 0)
		pfsync_ident_put(&q->ids, i);
}

int
pfsync_q_add(struct pfsync_q *q, unsigned int kind, const struct pfsync_qref *ref,
	     uint64_t now_us)
{
	struct q_entry *e;
	bool added;
	uint32_t i;

	if (kind >= PFSYNC_Q_MAX)
		return -EINVAL;
	i = pfsync_ident_get(&q->ids, ref->id, ref->creatorid, &added);
	if (i == PFSYNC_IDENT_NONE)
		return -ENOSPC;
	if (added) {
		/* First delta for this identity: a fresh entry. */
		e = &q->e[i];
		memset(e, 0, sizeof(*e));
		e->ref = *ref;
		e->main = PFSYNC_Q_MAX;
		q_push(q, i, kind, now_us);
		return PFSYNC_Q_ADD_QUEUED;
	}
	e = &q->e[i];
	if (q_link(kind) != LINK_MAIN) {
		if (e->on & (1u << kind))
			return PFSYNC_Q_ADD_MERGED;
		q_push(q, i, kind, now_us);
		return PFSYNC_Q_ADD_QUEUED;
	}
	/* Our view may have moved to another record slot (a re-insert). */
	e->ref.worker = ref->worker;
	e->ref.idx = ref->idx;
	if (e->main == PFSYNC_Q_MAX)
		e->ref.t_us = ref->t_us;	/* the first delta still to send */
	switch (kind) {
	case PFSYNC_Q_INS:
	case PFSYNC_Q_UPD_C:
		if (e->main != PFSYNC_Q_MAX && e->main != PFSYNC_Q_DEL_C)
			return PFSYNC_Q_ADD_MERGED;
		break;
	case PFSYNC_Q_UPD:
		if (e->main == PFSYNC_Q_INS || e->main == PFSYNC_Q_UPD)
			return PFSYNC_Q_ADD_MERGED;
		break;
	case PFSYNC_Q_DEL_C:
		if (e->main == PFSYNC_Q_DEL_C)
			return PFSYNC_Q_ADD_MERGED;
		if (e->main == PFSYNC_Q_INS) {
			q_unlink(q, i, PFSYNC_Q_INS);
			q_release(q, i);
			return PFSYNC_Q_ADD_CANCELLED;
		}
		break;
	default:
		break;
	}
	if (e->main != PFSYNC_Q_MAX) {
		q_unlink(q, i, e->main);
		q_push(q, i, kind, now_us);
		return PFSYNC_Q_ADD_MOVED;
	}
	q_push(q, i, kind, now_us);
	return PFSYNC_Q_ADD_QUEUED;
}

void
pfsync_q_forget(struct pfsync_q *q, uint64_t id, uint32_t creatorid)
{
	uint32_t i = q_find(q, id, creatorid);
	unsigned int k;

	if (i == Q_NONE)
		return;
	for (k = 0; k < PFSYNC_Q_MAX; k++)
		if (q->e[i].on & (1u << k))
			q_unlink(q, i, k);
	q_release(q, i);
}

uint32_t
pfsync_q_count(const struct pfsync_q *q, unsigned int kind)
{
	return kind < PFSYNC_Q_MAX ? q->list[kind].count : 0;
}

uint32_t
pfsync_q_total(const struct pfsync_q *q)
{
	return q->total;
}

size_t
pfsync_q_bytes(const struct pfsync_q *q)
{
	size_t n = 0;
	unsigned int k;

	for (k = 0; k < PFSYNC_Q_MAX; k++)
		if (q->list[k].count != 0)
			n += PFSYNC_SUBHLEN +
			     (size_t)q->list[k].count * pfsync_act_size(pfsync_q_action(k));
	return n;
}

uint64_t
pfsync_q_oldest(const struct pfsync_q *q)
{
	return q->first_us;
}

unsigned int
pfsync_q_drain(struct pfsync_q *q, struct pfsync_builder *b, pfsync_q_export_fn export,
	       void *arg, uint64_t *skipped)
{
	union pfsync_rec_host rec;
	unsigned int kind, written = 0;

	for (kind = 0; kind < PFSYNC_Q_MAX; kind++) {
		unsigned int action = pfsync_q_action(kind);

		while (q->list[kind].head != Q_NONE) {
			uint32_t i = q->list[kind].head;
			const struct pfsync_qref *ref = &q->e[i].ref;
			bool ok = true;
			int rc;

			memset(&rec, 0, sizeof(rec));
			if (action == PFSYNC_ACT_INS_ACK || action == PFSYNC_ACT_UPD_REQ ||
			    action == PFSYNC_ACT_DEL_C) {
				rec.id.id = ref->id;
				rec.id.creatorid = ref->creatorid;
			} else {
				ok = export(arg, kind, ref, &rec);
			}
			if (ok) {
				rc = pfsync_build_add(b, action, &rec);
				if (rc == -ENOSPC)
					return written;	/* full: the rest waits for the next */
				ok = rc == 0;
			}
			if (ok)
				written++;
			else if (skipped != NULL)
				(*skipped)++;
			q_unlink(q, i, kind);
			q_release(q, i);
		}
	}
	return written;
}
