/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Requests from the control core to the workers about their states, and
 * the workers' answers [docs/ARCHITECTURE.md "Shared objects": control->worker
 * applies, kills, flushes].
 *
 * Only a worker writes its state table, so everything the control core
 * wants done to states is a request on that worker's control->worker ring
 * (struct dp_worker.req), one typed struct per kind in a union, copied
 * into the ring.  The worker answers each request with one completion on
 * its worker->control ring (struct dp_worker.done), carrying the poster's
 * tag; the control core polls completions without waiting
 * (dp_done_poll()), so an operator's `state kill` of a million states
 * costs its loop nothing while CARP keeps advertising.
 *
 * Order: a worker carries out its requests one at a time in ring order, so
 * a FLUSH followed by APPLYs (pfsync: CLR, then the bulk's states) leaves
 * exactly the applied states.  KILL and FLUSH walk the whole table in
 * slices during housekeeping (at most DP_REQ_SCAN_SLICE records looked at
 * and DP_REQ_REMOVE_SLICE states removed a millisecond, and a KILL no more
 * than its DELETE events have room for), so packets never wait long behind
 * them; APPLY is one state, done in the poll that dequeues it.
 *
 * Flow control: a worker's rings never overflow.  The control core keeps
 * at most DP_REQ_INFLIGHT requests outstanding per worker (posted, not yet
 * completed), which both rings hold; dp_req_post() refuses more with
 * -ENOBUFS (counted as req_full) and the poster retries later or fails
 * its own request: the control core never waits.
 *
 * Ownership: dp_req_post(), dp_done_poll(), dp_sev_poll() are [C] (the
 * control core, one thread); the worker side is called from the worker
 * loop (filter_stage.h) [W].
 */
#ifndef DPF_DP_FILTER_CMD_H
#define DPF_DP_FILTER_CMD_H

#include <stdint.h>

#include "dataplane/dp.h"
#include "dataplane/filter.h"
#include "dataplane/state.h"
#include "dataplane/state_event.h"

#define DP_REQ_LIST(_)                                          \
	_(KILL, "kill")		/* states matching a selector */        \
	_(FLUSH, "flush")	/* all states of one creator (pfsync CLR) */ \
	_(APPLY, "apply")	/* insert or update one state from a peer */ \
	_(UPDATE, "update")	/* merge a peer's tracking into a known state */ \
	_(DELETE, "delete")	/* remove a known state a peer removed */ \
	_(RELEASE, "release")	/* send the packet held for a state (defer) */

enum dp_req_kind {
#define DP_REQ_ENUM(sym, str) DP_REQ_##sym,
	DP_REQ_LIST(DP_REQ_ENUM)
#undef DP_REQ_ENUM
	DP_REQ_MAX
};

const char *dp_req_name(unsigned int kind);

/*
 * KILL: removes the states sel matches, as pfctl -k [OpenBSD pf_ioctl.c
 * DIOCKILLSTATES]; each removal is a DELETE event (pfsync tells the peers).
 * Result: how many.
 */
struct dp_req_kill {
	struct dp_state_sel sel;
};

/*
 * FLUSH: removes every state whose creatorid is creatorid, without DELETE
 * events: what a peer's CLR asks, and it already knows [OpenBSD
 * if_pfsync.c pfsync_in_clr sets PFSTATE_NOSYNC before pf_remove_state].
 * (OpenBSD's CLR may also name an interface; dpf's states are floating.)
 * Result: how many.
 */
struct dp_req_flush {
	uint32_t creatorid;
};

/*
 * APPLY: a peer's state, inserted or merged (dp_state_apply()).  Not
 * echoed as an event, except that a merge finding ours newer (STALE)
 * makes an UPDATE event, so the peer gets our view [pfsync_in_updates].
 * Result: enum dp_apply_result, or -errno.
 */
struct dp_req_apply {
	struct dp_state_desc st;
};

/*
 * UPDATE: a peer's compressed update (pfsync UPD_C) of the state with this
 * identity, merged with dp_state_merge(); a STALE merge makes an UPDATE
 * event, as APPLY's does.  Result: enum dp_apply_result, or -ENOENT when
 * the worker does not have it (pfsync then asks for it, UPD_REQ).
 */
struct dp_req_update {
	uint64_t id;
	uint32_t creatorid;
	uint8_t timeout;		/* PFTM_* index, < PFTM_MAX (checked by the poster) */
	struct pf_track track;
};

/*
 * DELETE: removes the state with this identity without a DELETE event
 * (the peer that removed it knows) [OpenBSD if_pfsync.c pfsync_in_del_c
 * sets PFSTATE_NOSYNC before pf_remove_state].  Result: 0 or -ENOENT.
 */
struct dp_req_delete {
	uint64_t id;
	uint32_t creatorid;
};

/*
 * RELEASE: the peer acknowledged the insert of our state with this
 * identity (pfsync INS_ACK): the first packet the worker holds for it
 * (sync.defer, defer.h) is sent now.  Result: 0, or -ENOENT when nothing
 * is held for it (released by the timeout already, or never held).
 */
struct dp_req_release {
	uint64_t id;
	uint32_t creatorid;
};

struct dp_req {
	uint64_t tag;			/* the poster's, returned in the completion */
	uint8_t kind;			/* enum dp_req_kind */
	union {
		struct dp_req_kill kill;
		struct dp_req_flush flush;
		struct dp_req_apply apply;
		struct dp_req_update update;
		struct dp_req_delete del;
		struct dp_req_release release;
	} u;
};

struct dp_done {
	uint64_t tag;			/* from the request */
	int32_t result;			/* by kind, above */
	uint32_t pos;			/* APPLY, UPDATE: the state's record index */
	uint8_t kind;
	uint8_t worker;
	uint8_t pad[6];
};

_Static_assert(sizeof(struct dp_req) % 4 == 0, "rte_ring elements are multiples of 4 bytes");
_Static_assert(sizeof(struct dp_done) == 24, "struct dp_done is 24 bytes");

#define DP_REQ_RING_SIZE 256		/* per worker, each direction (power of 2) */
#define DP_REQ_INFLIGHT (DP_REQ_RING_SIZE - 1)	/* an rte_ring of N holds N - 1 */
#define DP_REQ_SCAN_SLICE 65536		/* records a KILL/FLUSH looks at a millisecond */
#define DP_REQ_REMOVE_SLICE 4096	/* states it removes a millisecond */
#define DP_REQ_APPLY_BURST 32		/* APPLYs carried out in one poll */

/*
 * Creates worker w's request, completion and event rings.  0 or -ENOMEM
 * with err filled.  Freed by dp_req_rings_free().
 */
int dp_req_rings_create(struct dp_main *dp, unsigned int w, char *err, size_t errlen);
void dp_req_rings_free(struct dp_main *dp, unsigned int w);

/*
 * Control core: puts req on worker w's ring.  0, or -ENOBUFS (w already has
 * DP_REQ_INFLIGHT requests outstanding; counted as req_full), -EINVAL (w or
 * the kind out of range).  Never waits.
 */
int dp_req_post(struct dp_main *dp, unsigned int w, const struct dp_req *req);

/* Control core: requests posted to worker w and not completed yet. */
unsigned int dp_req_inflight(const struct dp_main *dp, unsigned int w);

/*
 * Control core: takes at most max completions off the workers' rings into
 * out[], and returns how many.  Never waits.
 */
unsigned int dp_done_poll(struct dp_main *dp, struct dp_done *out, unsigned int max);

/*
 * Control core: takes at most max state events off the workers' rings into
 * out[] (counted as sev_taken), and returns how many.  Never waits.
 */
unsigned int dp_sev_poll(struct dp_main *dp, struct dp_sev *out, unsigned int max);

#endif /* DPF_DP_FILTER_CMD_H */
