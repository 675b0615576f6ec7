/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pfsync's send queues: the deltas the control core has to send, one queue
 * per message kind, each state at most once, drained into MTU-sized
 * packets in OpenBSD's record order.  Pure C (no DPDK): the engine feeds
 * it deltas and a clock, and exports a state's current values only when a
 * record is written, so a record always carries the latest view.
 *
 * Rules [OpenBSD if_pfsync.c pfsync_q_ins, pfsync_q_del, pfsync_insert_state,
 * pfsync_update_state, pfsync_delete_state, pfsync_request_update]:
 *  - A state of ours sits on at most one of INS, UPD_C, UPD, DEL_C:
 *      INS    a new state (full record);
 *      UPD_C  a changed state (compressed record) unless it is on INS or
 *             UPD already, which will carry the change;
 *      UPD    a full update (the answer to an UPD_REQ); it replaces UPD_C;
 *      DEL_C  a removed state; it replaces UPD_C or UPD, and cancels an
 *             INS that never left ("let's pretend this never happened").
 *  - INS_ACK (we acknowledge a peer's insert) and UPD_REQ (we ask a peer
 *    for a state it knows and we do not) name the peer's states; each
 *    identity is on each of these queues at most once.
 *  - Records leave in the order INS_ACK, UPD_C, DEL_C, INS, UPD, UPD_REQ
 *    [if_pfsync.c pfsync_qs]; a packet is full when the next record would
 *    take it past the MTU, which is when it must leave.
 *  - The oldest queued record's age decides when a packet that is not
 *    full leaves (the engine's sync.flush_us; OpenBSD waits up to 1 s).
 *
 * Capacity is fixed at creation; a delta that finds the queues full is
 * refused (-ENOSPC) and the caller counts it, never waits.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_PFSYNC_Q_H
#define DPF_CONTROL_PFSYNC_Q_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/pfsync.h"

/* Queues: symbol, name, the pfsync action their records carry. */
#define PFSYNC_Q_LIST(_)				\
	_(INS_ACK,	"ins-ack",	PFSYNC_ACT_INS_ACK)	\
	_(UPD_C,	"upd-c",	PFSYNC_ACT_UPD_C)	\
	_(DEL_C,	"del-c",	PFSYNC_ACT_DEL_C)	\
	_(INS,		"ins",		PFSYNC_ACT_INS)		\
	_(UPD,		"upd",		PFSYNC_ACT_UPD)		\
	_(UPD_REQ,	"upd-req",	PFSYNC_ACT_UPD_REQ)

enum pfsync_q_kind {
#define PFSYNC_Q_ENUM(sym, name, act) PFSYNC_Q_##sym,
	PFSYNC_Q_LIST(PFSYNC_Q_ENUM)
#undef PFSYNC_Q_ENUM
	PFSYNC_Q_MAX
};

const char *pfsync_q_name(unsigned int kind);
unsigned int pfsync_q_action(unsigned int kind);

/* A queued state: its pfsync identity and where the engine finds it. */
struct pfsync_qref {
	uint64_t id;			/* host order */
	uint32_t creatorid;		/* host order */
	uint16_t worker;		/* owner; unused on INS_ACK / UPD_REQ */
	uint32_t idx;			/* record index in the owner's table */
	uint64_t t_us;			/* when the delta happened (the caller's clock);
					 * an identity keeps its first queued delta's */
};

/* What pfsync_q_add() did. */
#define PFSYNC_Q_ADD_LIST(_)				\
	_(QUEUED, "queued")		/* now on the queue */	\
	_(MERGED, "merged")		/* already covered: nothing to do */ \
	_(MOVED, "moved")		/* moved from a weaker queue */	\
	_(CANCELLED, "cancelled")	/* DEL_C of an unsent INS: both gone */

enum pfsync_q_add_result {
#define PFSYNC_Q_ADD_ENUM(sym, name) PFSYNC_Q_ADD_##sym,
	PFSYNC_Q_ADD_LIST(PFSYNC_Q_ADD_ENUM)
#undef PFSYNC_Q_ADD_ENUM
	PFSYNC_Q_ADD_MAX
};

struct pfsync_q;

/* Queues for at most `capacity` distinct identities; NULL when out of memory. */
struct pfsync_q *pfsync_q_create(uint32_t capacity);
void pfsync_q_free(struct pfsync_q *q);

/*
 * Queues a delta of kind `kind` at time now_us.  Returns an
 * enum pfsync_q_add_result, or -ENOSPC when no entry is free, -EINVAL
 * for a bad kind.
 */
int pfsync_q_add(struct pfsync_q *q, unsigned int kind, const struct pfsync_qref *ref,
		 uint64_t now_us);

/* Takes the identity off every queue (the engine no longer wants it sent). */
void pfsync_q_forget(struct pfsync_q *q, uint64_t id, uint32_t creatorid);

/* Records on queue kind, and on all queues. */
uint32_t pfsync_q_count(const struct pfsync_q *q, unsigned int kind);
uint32_t pfsync_q_total(const struct pfsync_q *q);

/*
 * Bytes the queued records take on the wire, with one subheader per
 * non-empty queue: at least a packet's worth means a full packet can go.
 */
size_t pfsync_q_bytes(const struct pfsync_q *q);

/* Time the oldest queued record was queued; UINT64_MAX when empty. */
uint64_t pfsync_q_oldest(const struct pfsync_q *q);

/*
 * The record of `ref` on queue `kind` in host form (union pfsync_rec_host
 * of the queue's action).  Returns false when the state is gone or no
 * longer has that identity: the record is skipped.
 */
typedef bool (*pfsync_q_export_fn)(void *arg, unsigned int kind, const struct pfsync_qref *ref,
				    void *record);

/*
 * Moves records, in order, into builder b until it is full or the queues
 * are empty; each written or skipped record leaves its queue.  Returns the
 * records written.  `skipped` (may be NULL) counts exports that failed.
 */
unsigned int pfsync_q_drain(struct pfsync_q *q, struct pfsync_builder *b,
			    pfsync_q_export_fn export, void *arg, uint64_t *skipped);

#endif /* DPF_CONTROL_PFSYNC_Q_H */
