/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The pfsync engine's state, shared by pfsync.c (the engine) and
 * pfsync_cmds.c (`show pfsync`).  Private to control/pfsync/.
 *
 * Ownership: [C] everything here belongs to the control core.
 */
#ifndef DPF_CONTROL_PFSYNC_PRIV_H
#define DPF_CONTROL_PFSYNC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "control/pfsync/pfsync.h"
#include "control/pfsync/pfsync_auth.h"
#include "control/pfsync/pfsync_bulk.h"
#include "proto/pfsync_hist.h"
#include "control/pfsync/pfsync_ident.h"
#include "control/pfsync/pfsync_q.h"
#include "dataplane/filter_cmd.h"

/* dpf's own counters beside OpenBSD's pfsyncstats. */
#define PFSYNC_XSTAT_LIST(_)						\
	_(OWN, "own", "own packets seen again (ignored)")		\
	_(QFULL, "qfull", "state events not queued: send queues full")	\
	_(BACKLOG_FULL, "backlog-full", "records dropped: worker backlog full") \
	_(SKIPPED, "skipped", "queued records whose state was gone at send") \
	_(UPD_REQ_SENT, "upd-req-sent", "updates asked for (unknown states)") \
	_(UPD_REQ_STALE, "upd-req-stale", "updates asked for (a packet dropped against the peer's view)") \
	_(IDMAP_FULL, "idmap-full", "peer states not indexed: map full")	\
	_(DEFER_ACK, "ins-ack-ignored", "INS_ACK received (defer is off)")	\
	_(ACK_ASKED, "ins-ack-asked", "inserts received asking for an INS_ACK (defer)") \
	_(ACK_RELEASE_LOST, "ins-ack-unposted", "INS_ACKs not passed to the worker "	\
	  "(its ring full; the timeout releases the packet)")			\
	_(TDB, "tdb-ignored", "TDB records received (no IPsec)")	\
	_(BULK_SENT, "bulk-states-sent", "states sent in bulk updates")	\
	_(BULK_RUNS, "bulk-sends", "bulk updates sent")			\
	_(BULK_RETRIES, "bulk-retries", "bulk updates asked again: records lost") \
	_(REC_IN, "records-in", "records received")			\
	_(REC_OUT, "records-out", "records sent")			\
	_(PUNTED, "punted", "packets a worker punted (path worker punt)") \
	_(RX_SHARED, "rx-shared", "packets read from the control core's queue of the " \
	  "shared port (path worker punt)")					\
	_(REPLAY, "replay", "authenticated packets not newer than the last (replays)") \
	_(SPLIT_UPD, "split-updates", "updates of split states (both nodes forward them), " \
	  "sent at once")							\
	_(JOINED, "joined", "peer states merged into ours: same connection, two identities, " \
	  "ours kept")								\
	_(ADOPTED, "adopted", "peer states merged into ours: same connection, two identities, " \
	  "the peer's kept")

enum pfsync_xstat {
#define PFSYNC_XSTAT_ENUM(sym, name, descr) PFSYNC_X_##sym,
	PFSYNC_XSTAT_LIST(PFSYNC_XSTAT_ENUM)
#undef PFSYNC_XSTAT_ENUM
	PFSYNC_X_MAX
};

const char *pfsync_xstat_name(unsigned int s);

#define PFSYNC_TAG_BIT (1ULL << 63)	/* tags of pfsync's requests (filter_cmds: bit clear) */

struct pfsync;
struct pkt_meta;
struct rte_mbuf;

/*
 * local's handler for IP protocol 240 (a local_proto_fn, arg the engine):
 * m holds a parsed, checksummed frame (pm) that arrived on interface
 * dp_meta(m)->iface; it is consumed (always true).  Records become requests
 * on the owning workers' rings or queued answers; nothing is sent here.
 * Not static so that the fuzz target (tests/fuzz/fuzz_pfsync_rx.c) can
 * call it as local_input() would.
 */
bool pfsync_input(void *arg, struct rte_mbuf *m, const struct pkt_meta *pm);

/* "own port", "rte_flow queue" or "worker punt" (dataplane/dp.h). */
const char *pfsync_path_name(const struct pfsync *ps);

/* A request posted to a worker, waiting for its completion. */
struct pfsync_pending {
	uint64_t id;
	uint32_t creatorid;
	uint8_t kind;			/* enum dp_req_kind */
	bool used;
	bool bulk;			/* a record of the bulk update in progress */
	bool ack;			/* its record asked for an INS_ACK (pfsync_defer.c) */
	uint32_t next_free;
	uint64_t rx_us;			/* its packet's arrival (dp clock), or 0 */
};

/* A request a worker could not take yet. */
struct pfsync_bl_ent {
	struct dp_req req;
	uint64_t rx_us;
	bool bulk;
	bool ack;
};

/*
 * Requests a worker could not take yet, in order (a ring of
 * bl_cap); what overflows it is lost and counted (backlog-full),
 * and a bulk that lost records is asked for again.
 */
struct pfsync_backlog {
	struct pfsync_bl_ent *e;
	uint32_t head, count;
};

/* Where a peer's state lives here: (id, creatorid) -> worker, record. */
/* An identity whose APPLY is in flight: worker known, record not yet. */
#define PFSYNC_POS_PENDING UINT32_MAX

struct pfsync_idmap_ent {
	uint32_t pos;			/* record index, or PFSYNC_POS_PENDING */
	uint8_t worker;
};

struct pfsync_idmap {
	struct pfsync_ident ids;
	struct pfsync_idmap_ent *e;	/* by identity slot */
};

struct pfsync {
	struct dp_main *dp;
	struct local *local;
	struct carp *carp;
	struct pfsync_conf conf;
	uint16_t ifx;			/* sync interface */
	uint16_t port;			/* its port */
	uint16_t mtu;			/* IP MTU of the sync interface */
	uint8_t src_ip[4];		/* its first IPv4 address */
	uint8_t dst_ip[4];		/* peer or 224.0.0.240 */
	uint16_t ip_id;
	bool link_up;
	bool started;
	struct pfsync_q *q;
	struct pfsync_bulk breq;	/* bulk requester */
	uint64_t bulk_req_sent;		/* requests sent (bulk and UPD_REQ 0/0) */
	uint64_t bulk_rx;		/* states received in the current/last bulk */
	struct {			/* bulk sender */
		bool active;
		bool again;		/* another request came during this one */
		bool start_sent;
		unsigned int worker;
		uint32_t pos;
		uint64_t next_us;
		uint64_t started_us;
		uint64_t states;
		uint64_t last_ms;	/* duration of the last one */
		uint64_t last_states;
	} bsend;
	struct pfsync_pending *pend;
	uint32_t pend_cap, pend_free;
	uint64_t cur_rx_us;		/* the packet being read: its arrival, else 0 */
	bool cur_bulk;			/* the record being read belongs to the bulk */
	bool cur_ack;			/* the record being read asks for an INS_ACK */
	bool flush_now;			/* send what is queued now, not after flush_us
					 * (a deferred insert, an INS_ACK owed, a
					 * split state's update) */
	struct {			/* the bulk being received */
		bool end_seen;		/* BUS END read, its records not all applied */
		uint64_t outstanding;	/* records posted or waiting, not completed */
		uint64_t applied;	/* records applied */
		uint64_t lost0;		/* backlog-full at BUS START */
		uint64_t missed0;	/* the port's imissed at BUS START */
		uint64_t lost;		/* records lost in the last one */
	} brx;
	struct pfsync_hist lat_out;	/* state event -> its record sent (us) */
	struct pfsync_hist lat_apply;	/* packet in -> its record applied (us) */
	struct pfsync_backlog *backlog;	/* one per worker */
	uint32_t bl_cap;		/* requests each backlog holds */
	struct pfsync_idmap idmap;
	uint64_t stats[PFSYNC_STAT_MAX];
	uint64_t xstats[PFSYNC_X_MAX];
	uint64_t rx_act[PFSYNC_ACT_MAX];	/* records received per action */
	uint64_t tx_act[PFSYNC_ACT_MAX];	/* records sent per action */
	uint64_t last_rx_us;		/* last valid packet from the peer */
	bool peer_seen;
	struct pfsync_auth *auth;	/* sync.key_file; NULL: the wire is OpenBSD's */
	enum pfsync_auth_err auth_last_err;	/* why the last packet failed, for show */
};

/* pfsync_defer.c: sync.defer's control-core side (docs/pfsync.md "Defer"). */
struct ctl_out;
struct json_t;

/* An INS_ACK received: the owning worker releases the held packet. */
void pfsync_defer_ack_in(struct pfsync *ps, uint64_t id, uint32_t creatorid);
/* A state that asked for an INS_ACK is applied: the ack goes out now. */
void pfsync_defer_ack_out(struct pfsync *ps, uint64_t id, uint32_t creatorid);
/* `show pfsync`: the deferrals, summed over the workers. */
struct json_t *pfsync_defer_json(const struct pfsync *ps);
void pfsync_defer_text(struct ctl_out *out, const struct pfsync *ps);

#endif /* DPF_CONTROL_PFSYNC_PRIV_H */
