/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * State events: what a worker tells the control core about its states,
 * the deltas pfsync sends to the peers (docs/pfsync.md).
 *
 * A state changes in five places, and each calls one hook,
 * dp_state_event() (dataplane/filter_priv.h): created by a packet
 * (INSERT), tracked by a packet (UPDATE, rate-limited below), removed by
 * expiry or a kill (DELETE), and inserted or merged from a peer (APPLY:
 * not echoed, see filter_cmd.c).  One more kind of event asks rather
 * than tells (ASK, below).  States flagged DP_STF_NOSYNC never
 * produce an event, as pf's insert/update/delete hooks return early for
 * PFSTATE_NOSYNC [OpenBSD if_pfsync.c 1.332 pfsync_insert_state,
 * pfsync_update_state, pfsync_delete_state].
 *
 * Updates: pf queues an update for every packet that passes a state and
 * its queue holds each state once; the queue is sent within a second, or
 * at once when a TCP state has had maxupd (default 128) updates while
 * queued [if_pfsync.c pfsync_update_state].  A worker
 * at line rate cannot put every packet on a ring, so it does the
 * rate-limiting itself with a per-state count (struct dp_state.sync_upd):
 * an event when either peer's level changes (the handshake, the close:
 * what a peer taking over most needs), otherwise one every maxupd updates.
 *
 * An event names the state by identity and record: the control core
 * reads an INSERT's or UPDATE's record with dp_state_snapshot(pos) and
 * keeps it only if the identity still matches (the state may be gone, or
 * its record reused, by the time it looks: a DELETE follows then).
 *
 * Rings: one SPSC ring per worker (struct dp_worker.sev), drained by the
 * control core every loop; a full ring is counted (sev_ring_full), never
 * waited on.  A worker stages its events and puts a poll's worth on the
 * ring at once (struct dp_wctx.sev_stage): the ring's indexes and slots
 * are cache lines both cores write, and moving them once per event cost
 * about 150 cycles per new state (docs/BENCHMARKS.md, "State events, a
 * poll at a time").  A KILL, which can make thousands of DELETEs a millisecond,
 * paces itself to the room in the ring (filter_cmd.c dp_req_slice()).
 */
#ifndef DPF_DP_STATE_EVENT_H
#define DPF_DP_STATE_EVENT_H

#include <stdint.h>

#define DP_SEV_LIST(_)                  \
	_(INSERT, "insert")             \
	_(UPDATE, "update")             \
	_(DELETE, "delete")             \
	_(ASK, "ask")

enum dp_sev_kind {
#define DP_SEV_ENUM(sym, str) DP_SEV_##sym,
	DP_SEV_LIST(DP_SEV_ENUM)
#undef DP_SEV_ENUM
	DP_SEV_MAX
};

const char *dp_sev_name(unsigned int kind);

/* One event on a worker's ring: 24 bytes, copied (rte_ring elements). */
struct dp_sev {
	uint64_t id;		/* the state's identity, host order */
	uint32_t creatorid;
	uint32_t pos;		/* record index in the worker's table */
	uint8_t kind;		/* enum dp_sev_kind */
	uint8_t worker;
	uint8_t flags;		/* DP_SEV_F_* */
	uint8_t pad;
	uint32_t t_us;		/* when: the dp clock's microseconds, low 32 bits
				 * (the worker's poll time; for sync latency) */
};

/* An INSERT whose first packet the worker holds (sync.defer, defer.h):
 * its record goes out at once, with PFSTATE_ACK. */
#define DP_SEV_F_DEFER 0x01

_Static_assert(sizeof(struct dp_sev) == 24, "struct dp_sev is 24 bytes");

/* Events per worker ring (power of 2, 1.5 MB): about 20 ms of inserts at
 * 3M new states a second, the time the control core may be away. */
#define DP_SEV_RING_SIZE 65536
#define DP_SEV_RESERVE 16384		/* ring room a KILL leaves to the packet path */
#define DP_SEV_MAXUPD_DEFAULT 128	/* pfsync maxupd [ifconfig(8) maxupd] */

/* An UPDATE of a split state (state.h DP_SPLIT_ON): pfsync sends it at once,
 * without waiting for flush_us [OpenBSD if_pfsync.c pfsync_update_state]. */
#define DP_SEV_F_SPLIT 0x02

/*
 * ASK: the worker dropped a TCP segment of a state whose view came in part
 * from a peer (DP_STF_SYNCED, or a split state), or whose other side this
 * node never saw (its view of that side is the peer's to give), as outside
 * its windows.
 * That view may be stale: the peer reports a state every maxupd packets
 * (every DP_SPLIT_EVERY when split), so the last packets it passed can be
 * news we never hear of, and a lost report of the side the peer forwards
 * leaves that side unknown here.  On a split path that is a deadlock: the node
 * that drops is the only way on for the connection, and the peer, which
 * sees nothing more, sends nothing more.  pf never meets it because pfsync
 * sends every updated state within a second [OpenBSD if_pfsync.c
 * pfsync_update_state, sc_tmo]; dpf cannot queue every packet, so the node
 * that drops asks instead: pfsync sends an UPD_REQ for the state, the peer
 * answers with its full record, and the merge lets the retransmission
 * through (DP_STF_SYNCED's slack, filter.c).  One ASK per state a second
 * (struct dp_wctx.ask, a cache by record: two states that share a slot
 * can each ask again within the second) and at most DP_SEV_ASK_PER_S per
 * worker a second; the rest are counted (sev_ask_limited).
 */
#define DP_SEV_ASK_PER_S 1024
#define DP_SEV_ASK_CACHE 64	/* recent ASKs a worker remembers, by record */

#endif /* DPF_DP_STATE_EVENT_H */
