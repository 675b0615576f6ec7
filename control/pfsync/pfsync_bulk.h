/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The bulk-update requester of pfsync as a pure state machine: no clock,
 * no I/O.  A node that starts asks its peer for every state it has (an
 * UPD_REQ with id 0 and creator id 0) and holds CARP demoted by 32 until
 * the peer's bulk ends (BUS END) or the request times out, so that a
 * restarted master does not take the virtual addresses back before it has
 * the states [OpenBSD if_pfsync.c pfsync_bulk_req_evt, pfsync_up,
 * pfsync_in_bus]:
 *
 *   NONE --up--> START (demote +32; waits for the sync link, 30 s)
 *   START --link-up--> SENT (send UPD_REQ; resend every 2 s, 12 tries)
 *   SENT --bus-start--> BULK (timeout 4 x the time a full table takes)
 *   BULK --bus-end--> DONE (demote -32; the engine feeds bus-end once
 *                     every state of the bulk is applied, not on receipt)
 *   BULK --retry--> SENT (the engine lost records of this bulk: ask again,
 *                     still demoted; at most PFSYNC_BULK_RETRIES times)
 *   SENT --bus-end--> DONE (an empty table is a lone BUS END)
 *   any timeout that ends the wait --> DONE, timed out (demote -32)
 *   DONE --link-up--> SENT again (the link came back: ask for what we
 *                     missed; not demoted again, the node was running)
 *   any --down--> NONE (demotions released)
 *
 * A sync link that goes down demotes by 1 until it comes back, as
 * OpenBSD's "pfsync link" demotion does, so the node that cannot sync is
 * the less preferred master.
 *
 * Every call takes now in microseconds and says what to do in struct
 * pfsync_bulk_act.  Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_PFSYNC_BULK_H
#define DPF_CONTROL_PFSYNC_BULK_H

#include <stdbool.h>
#include <stdint.h>

#define PFSYNC_BULK_STATE_LIST(_)		\
	_(NONE, "none")				\
	_(START, "waiting for link")		\
	_(SENT, "requested")			\
	_(BULK, "in progress")			\
	_(DONE, "done")

enum pfsync_bulk_state {
#define PFSYNC_BULK_STATE_ENUM(sym, str) PFSYNC_BULK_##sym,
	PFSYNC_BULK_STATE_LIST(PFSYNC_BULK_STATE_ENUM)
#undef PFSYNC_BULK_STATE_ENUM
	PFSYNC_BULK_STATE_MAX
};

#define PFSYNC_BULK_EVT_LIST(_)			\
	_(UP, "up")				\
	_(LINK_UP, "link-up")			\
	_(LINK_DOWN, "link-down")		\
	_(TIMEOUT, "timeout")			\
	_(BUS_START, "bus-start")		\
	_(BUS_END, "bus-end")			\
	_(RETRY, "retry")			\
	_(DOWN, "down")

enum pfsync_bulk_evt {
#define PFSYNC_BULK_EVT_ENUM(sym, str) PFSYNC_BULK_EV_##sym,
	PFSYNC_BULK_EVT_LIST(PFSYNC_BULK_EVT_ENUM)
#undef PFSYNC_BULK_EVT_ENUM
	PFSYNC_BULK_EVT_MAX
};

const char *pfsync_bulk_state_name(unsigned int s);
const char *pfsync_bulk_evt_name(unsigned int e);

/* OpenBSD's numbers [if_pfsync.c]. */
#define PFSYNC_BULK_DEMOTE 32			/* carp demotion while the bulk runs */
#define PFSYNC_BULK_LINK_DEMOTE 1		/* while the sync link is down */
#define PFSYNC_BULK_START_US (30ULL * 1000000)	/* wait for the link */
#define PFSYNC_BULK_REQ_US (2ULL * 1000000)	/* between requests */
#define PFSYNC_BULK_TRIES 12			/* PFSYNC_MAX_BULKTRIES */
#define PFSYNC_BULK_RETRIES 2			/* dpf: lossy bulks asked again */
#define PFSYNC_BULK_NEVER UINT64_MAX

/* How the last bulk ended. */
#define PFSYNC_BULK_RESULT_LIST(_)		\
	_(NONE, "none")				\
	_(OK, "done")				\
	_(TIMEOUT, "timed out")

enum pfsync_bulk_result {
#define PFSYNC_BULK_RESULT_ENUM(sym, str) PFSYNC_BULK_RES_##sym,
	PFSYNC_BULK_RESULT_LIST(PFSYNC_BULK_RESULT_ENUM)
#undef PFSYNC_BULK_RESULT_ENUM
	PFSYNC_BULK_RESULT_MAX
};

const char *pfsync_bulk_result_name(unsigned int r);

struct pfsync_bulk_act {
	bool send_req;			/* send one UPD_REQ (id 0, creator id 0) */
	int demote;			/* add this to the CARP demotion counter */
	bool changed;			/* state changed (log it): from -> to */
	uint8_t from, to;
};

struct pfsync_bulk {
	uint8_t state;			/* enum pfsync_bulk_state */
	uint8_t tries;			/* requests sent in SENT */
	uint8_t retries;		/* RETRYs in this bulk (PFSYNC_BULK_RETRIES) */
	uint8_t result;			/* enum pfsync_bulk_result of the last bulk */
	bool demoted;			/* holding PFSYNC_BULK_DEMOTE */
	bool link_demoted;		/* holding PFSYNC_BULK_LINK_DEMOTE */
	uint64_t deadline;		/* next timeout, PFSYNC_BULK_NEVER when none */
	uint64_t bulk_us;		/* BULK's timeout */
	uint64_t started;		/* when the last request went out */
	uint64_t ended;			/* when the last bulk ended */
	uint64_t bulks;			/* bulks completed */
	uint64_t timeouts;		/* waits that ended in a timeout */
};

/* NONE, with BULK's timeout set to bulk_us. */
void pfsync_bulk_init(struct pfsync_bulk *b, uint64_t bulk_us);

/*
 * BULK's timeout as OpenBSD computes it: 4 x the seconds a table of
 * `limit` states takes at one MTU-sized packet every 20 ms, at least 1 s
 * per factor [if_pfsync.c pfsync_bulk_req_evt].
 */
uint64_t pfsync_bulk_timeout_us(uint32_t limit, unsigned int mtu);

/* Feeds one event; *act says what to do.  Unexpected events change nothing. */
void pfsync_bulk_event(struct pfsync_bulk *b, enum pfsync_bulk_evt ev, uint64_t now,
		       struct pfsync_bulk_act *act);

/* Feeds PFSYNC_BULK_EV_TIMEOUT when the deadline has passed. */
static inline void
pfsync_bulk_tick(struct pfsync_bulk *b, uint64_t now, struct pfsync_bulk_act *act)
{
	if (now >= b->deadline)
		pfsync_bulk_event(b, PFSYNC_BULK_EV_TIMEOUT, now, act);
	else
		*act = (struct pfsync_bulk_act){ .from = b->state, .to = b->state };
}

#endif /* DPF_CONTROL_PFSYNC_BULK_H */
