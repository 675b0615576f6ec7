/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pf's per-connection tracking: TCP sequence/window checks and state
 * levels, UDP/ICMP/other peer levels, and the timeout chosen after each
 * accepted packet [OpenBSD net/pf.c; OpenBSD pf.c pf_tcp_track_full,
 * pf_tcp_track_sloppy, pf_test_state, pf_test_state_icmp].
 *
 * Pure C: no DPDK, no allocation, no clock: the functions say which
 * timeout (PFTM_*) applies and whether the expire time is refreshed, and
 * the caller keeps the times.  Unit-tested with table-driven vectors and
 * fuzzed (tests/unit/test_track.c, tests/fuzz/fuzz_track.c).
 *
 * Ownership: a struct pf_track lives inside a state record and is written
 * only by the worker that owns the state [W].
 */
#ifndef DPF_DP_PF_TRACK_H
#define DPF_DP_PF_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/pf.h"
#include "proto/pfres.h"
#include "proto/pftm.h"

/* Peer levels are proto/pf.h's PF_TCPS_* (TCP) and PF_PEER_* (others). */

#define PF_WSCALE_FLAG 0x80	/* wscale option seen */
#define PF_WSCALE_MASK 0x0f

/* One side of a connection (pf's struct pf_state_peer, trimmed). 12 bytes. */
struct pf_peer {
	uint32_t seqlo;		/* max sequence number sent */
	uint32_t seqhi;		/* max the other end ACKd + win */
	uint16_t max_win;	/* largest window (unscaled) */
	uint8_t wscale;		/* PF_WSCALE_FLAG | shift */
	uint8_t state;		/* PF_TCPS_* or PF_PEER_* */
};

/* Both sides: peer[0] is the side that created the state (pf's src). */
struct pf_track {
	struct pf_peer peer[2];
};

_Static_assert(sizeof(struct pf_track) == 24, "pf_track is 24 bytes");

#define PF_TCP_MAXWIN 65535		/* largest unscaled window [tcp.h] */
#define PF_TCP_MAX_WINSHIFT 14		/* RFC 7323 2.3 */
/* Slack for the ack-skew and loose checks [OpenBSD pf.c MAXACKWINDOW]. */
#define PF_MAXACKWINDOW (65535 + 1500)

/*
 * What the tracker needs of one TCP segment, in host order.  `len` is the
 * payload length (IP payload minus the TCP header); `wscale` is the
 * window-scale option of the segment (pf_tcp_wscale_opt()), looked at only
 * on SYNs.
 */
struct pf_tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint16_t win;		/* raw header window, not scaled */
	uint8_t flags;		/* PF_TH_* */
	int8_t wscale;		/* -1: no option; else shift, 0..14 */
	uint16_t len;		/* payload bytes */
};

/*
 * Verdicts of pf_tcp_track(): (symbol, name, pf reason for a drop).
 * Only PASS forwards the packet.
 *  - DROP_BADSTATE: outside the windows [OpenBSD pf.c pf_tcp_track_full "state mismatch"].
 *  - DROP_REUSE: a SYN while both peers are >= FIN_WAIT_2: *timeout is set
 *    to PFTM_PURGE, levels stay; the caller unlinks the state so that the
 *    SYN's retransmission creates a fresh one [pf_test_state].
 *  - CHALLENGE_ACK: a SYN while both peers are >= ESTABLISHED; nothing in
 *    the state changes.  The caller may answer on behalf of the other peer
 *    with flags ACK, seq = peer[!dir].seqlo, ack = peer[dir].seqlo.
 *  - RST_RESET: mismatch while both peers are SYN_SENT; the sending side's
 *    tracking was reset (seqlo 0, seqhi 1, max_win 1).  Unless the segment
 *    itself carries RST the caller sends a RST back to its source with
 *    seq = s->ack, ack 0 [pf_tcp_track_full].
 * pf sets no reason for the two SYN cases (pflog shows "match").
 */
#define PF_TRACK_VERDICT_LIST(_)                                \
	_(PASS, "pass", PFRES_MATCH)                            \
	_(DROP_BADSTATE, "state-mismatch", PFRES_BADSTATE)      \
	_(DROP_REUSE, "state-reuse", PFRES_MATCH)               \
	_(CHALLENGE_ACK, "challenge-ack", PFRES_MATCH)          \
	_(RST_RESET, "handshake-reset", PFRES_BADSTATE)

enum pf_track_verdict {
#define PF_TRACK_VERDICT_ENUM(sym, str, res) PF_TRACK_##sym,
	PF_TRACK_VERDICT_LIST(PF_TRACK_VERDICT_ENUM)
#undef PF_TRACK_VERDICT_ENUM
	PF_TRACK_VERDICT_MAX
};

/* Name of a verdict, "?" when out of range. */
const char *pf_track_verdict_name(enum pf_track_verdict v);

/* pf reason (PFRES_*) a verdict counts under; PFRES_MAX when out of range. */
unsigned int pf_track_verdict_pfres(enum pf_track_verdict v);

/*
 * Window-scale shift from the options of a TCP header: -1 when there is no
 * usable option, else the shift capped at 14.  `hlen` is how many bytes of
 * the header may be read at `tcph` (the data-offset field may shrink the
 * option area further, never widen it).  Like pf: EOL and NOP each skip one
 * byte, a length below 2 counts as 2, the option needs a length of at least
 * 3 with 3 bytes in the area, and the last one wins [OpenBSD pf.c
 * pf_get_wscale, pf_find_tcpopt].  Reads nothing outside [tcph, tcph+hlen).
 */
int pf_tcp_wscale_opt(const uint8_t *tcph, unsigned int hlen);

/*
 * Sets up *t from the segment that creates a TCP state (peer[0] sent it):
 * peer[0] SYN_SENT with seqlo = seq, seqhi = seq + len + 1 (+1 SYN, +1 FIN),
 * wscale from a SYN's option, max_win = max(win, 1) with a SYN's scale
 * removed (rounded up); peer[1] CLOSED, seqhi 1, max_win 1.  Returns the
 * timeout to store, PFTM_TCP_FIRST_PACKET [OpenBSD pf.c pf_tcp_track_full; OpenBSD pf.c
 * pf_create_state].
 */
uint8_t pf_tcp_new(struct pf_track *t, const struct pf_tcp_seg *s);

/*
 * Tracks one TCP segment of an existing state.  `dir` is the sending side:
 * 0 for peer[0] (the state's creator), 1 for peer[1].  `sloppy` selects
 * "keep state (sloppy)": levels only, no sequence checks.
 * *timeout is in/out: on entry the state's PFTM index, on return the one
 * to store (unchanged unless re-selected, PFTM_PURGE for DROP_REUSE).
 * *refresh tells whether the state's expire time is set to now: true for
 * a fully accepted segment, false for drops and loose acceptance.
 * [OpenBSD pf.c pf_tcp_track_full, 5.3; OpenBSD pf.c pf_test_state, pf_tcp_track_full,
 * pf_tcp_track_sloppy]
 */
static inline enum pf_track_verdict pf_tcp_track(struct pf_track *t, unsigned int dir,
		const struct pf_tcp_seg *s, bool sloppy, uint8_t *timeout,
		bool *refresh);

/*
 * Whether an ICMP error quoting a TCP segment with sequence `seq` fits the
 * state.  `dir` is the side that sent the quoted segment, the opposite of
 * the side the error travels with.  The test: seq within [seqlo - (other max_win << scale),
 * seqhi] of that side (no ack test: the quote may stop after seq).
 * Sloppy states skip this check; that is the caller's call
 * [OpenBSD pf.c pf_tcp_track_full; OpenBSD pf.c pf_test_state_icmp].
 */
/*
 * pf_tcp_track() with `slack` more room ahead: a segment may end up to
 * slack bytes past the window the state allows (check 1) and ack up to
 * slack bytes more than the other side sent (check 3).  For a state whose
 * last view came from a pfsync peer: that view is at most maxupd packets
 * behind the connection [OpenBSD if_pfsync.c pfsync_update_state], so a
 * node that takes over lets the connection catch up by that much once per
 * side instead of dropping it (filter.c).  slack 0 is pf_tcp_track().
 */
static inline enum pf_track_verdict pf_tcp_track_slack(struct pf_track *t, unsigned int dir,
		const struct pf_tcp_seg *s, bool sloppy, uint32_t slack, uint8_t *timeout,
		bool *refresh);

/*
 * pf_tcp_track_slack() without its fast path for established ACKs
 * (pf_tcp_track_est() below): every segment through pf's whole logic.
 * What pf_tcp_track() calls when the fast path declines, and the
 * reference the unit tests hold the fast path to; same contract.
 */
enum pf_track_verdict pf_tcp_track_ref(struct pf_track *t, unsigned int dir,
		const struct pf_tcp_seg *s, bool sloppy, uint32_t slack, uint8_t *timeout,
		bool *refresh);

/* Sequence comparisons modulo 2^32 [RFC 9293 3.4; BSD tcp_seq.h]. */
#define PF_SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define PF_SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

/* Window-side updates shared by full and loose acceptance and the fast
 * path [OpenBSD pf.c pf_tcp_track_full: max_win, seqlo, the other's seqhi]. */
static inline void
pf_tcp_slide(struct pf_peer *src, struct pf_peer *dst, uint16_t win,
		unsigned int sws, uint32_t end, uint32_t ack)
{
	uint32_t swin = (uint32_t)win << sws;

	if (src->max_win < win)
		src->max_win = win;
	if (PF_SEQ_GT(end, src->seqlo))
		src->seqlo = end;
	if (PF_SEQ_GEQ(ack + swin, dst->seqhi))
		dst->seqhi = ack + (swin > 1 ? swin : 1);
}

/*
 * The established steady state: an ACK (data, PSH, URG, ECE, CWR allowed;
 * no SYN, FIN or RST) between two ESTABLISHED sides, the sender having
 * sent before.  For such a segment pf_track.c tcp_track_full() keeps ack
 * as it is (dst >= SYN_SENT), moves no level (tcp_levels() changes a
 * receiver only in SYN_SENT or CLOSING) and picks PFTM_TCP_ESTABLISHED;
 * this does the same checks and the same slide without the branches of
 * the other cases, inline in the caller (path_bench -t, 1k connections:
 * dpf - io 109-111 -> 101-102 cycles).  Returns false, the state
 * untouched, for anything else or any failed check: the full path then
 * decides, drops and loose acceptance included.
 */
static inline bool
pf_tcp_track_est(struct pf_peer *src, struct pf_peer *dst, const struct pf_tcp_seg *s,
		uint32_t slack, uint8_t *timeout)
{
	const int64_t maxack = PF_MAXACKWINDOW;
	uint32_t seq = s->seq, end = seq + s->len, dwin;
	unsigned int sws = 0, dws = 0;
	int32_t ackskew;

	if ((s->flags & (PF_TH_SYN | PF_TH_FIN | PF_TH_RST | PF_TH_ACK)) != PF_TH_ACK ||
	    src->state != PF_TCPS_ESTABLISHED || dst->state != PF_TCPS_ESTABLISHED ||
	    src->seqlo == 0)
		return false;
	if (src->wscale && dst->wscale) {
		sws = src->wscale & PF_WSCALE_MASK;
		dws = dst->wscale & PF_WSCALE_MASK;
	}
	if (seq == end)		/* no data: only the ack matters */
		seq = end = src->seqlo;
	ackskew = (int32_t)(dst->seqlo - s->ack);
	dwin = (uint32_t)dst->max_win << dws;
	if (!PF_SEQ_GEQ(src->seqhi + slack, end) || !PF_SEQ_GEQ(seq, src->seqlo - dwin) ||
	    ackskew < -(maxack + slack) || ackskew > (maxack << sws))
		return false;
	pf_tcp_slide(src, dst, s->win, sws, end, s->ack);
	*timeout = PFTM_TCP_ESTABLISHED;
	return true;
}

/* The fast path inline in the caller, the rest a call (pf_tcp_track_ref()). */
static inline enum pf_track_verdict
pf_tcp_track_slack(struct pf_track *t, unsigned int dir, const struct pf_tcp_seg *s,
		bool sloppy, uint32_t slack, uint8_t *timeout, bool *refresh)
{
	if (!sloppy && pf_tcp_track_est(&t->peer[dir ? 1 : 0], &t->peer[dir ? 0 : 1], s, slack,
					timeout)) {
		*refresh = true;
		return PF_TRACK_PASS;
	}
	return pf_tcp_track_ref(t, dir, s, sloppy, slack, timeout, refresh);
}

static inline enum pf_track_verdict
pf_tcp_track(struct pf_track *t, unsigned int dir, const struct pf_tcp_seg *s, bool sloppy,
		uint8_t *timeout, bool *refresh)
{
	return pf_tcp_track_slack(t, dir, s, sloppy, 0, timeout, refresh);
}

bool pf_tcp_quoted_ok(const struct pf_track *t, unsigned int dir,
		uint32_t seq);

/*
 * UDP and other protocols: creation sets peer[0] SINGLE, peer[1]
 * NO_TRAFFIC and returns the *.first timeout; each later packet lifts its
 * sender to SINGLE and the receiver from SINGLE to MULTIPLE, and the
 * timeout becomes *.multiple when both are MULTIPLE, else *.single.  The
 * expire time is always refreshed [OpenBSD pf.c pf_test_state].
 */
uint8_t pf_udp_new(struct pf_track *t);
uint8_t pf_other_new(struct pf_track *t);

/* Returns true when both peers are MULTIPLE after this packet.  Inline,
 * as are the trackers below: they run for every packet of a state, and a
 * call cost more than their work (path_bench, perf). */
static inline bool
pf_levels_track(struct pf_track *t, unsigned int dir)
{
	struct pf_peer *src = &t->peer[dir ? 1 : 0];
	struct pf_peer *dst = &t->peer[dir ? 0 : 1];

	if (src->state < PF_PEER_SINGLE)
		src->state = PF_PEER_SINGLE;
	if (dst->state == PF_PEER_SINGLE)
		dst->state = PF_PEER_MULTIPLE;
	return src->state == PF_PEER_MULTIPLE && dst->state == PF_PEER_MULTIPLE;
}

static inline void
pf_udp_track(struct pf_track *t, unsigned int dir, uint8_t *timeout)
{
	*timeout = pf_levels_track(t, dir) ? PFTM_UDP_MULTIPLE : PFTM_UDP_SINGLE;
}

static inline void
pf_other_track(struct pf_track *t, unsigned int dir, uint8_t *timeout)
{
	*timeout = pf_levels_track(t, dir) ? PFTM_OTHER_MULTIPLE : PFTM_OTHER_SINGLE;
}

/*
 * ICMP query states keep no levels (both peers stay 0): icmp.first at
 * creation, icmp.error after each matching packet, expire refreshed
 * [OpenBSD pf.c pf_create_state, pf_test_state_icmp].
 */
uint8_t pf_icmp_new(struct pf_track *t);

static inline void
pf_icmp_track(struct pf_track *t, unsigned int dir, uint8_t *timeout)
{
	(void)t;
	(void)dir;
	*timeout = PFTM_ICMP_ERROR_REPLY;
}

/*
 * Adaptive timeouts: `timeout_s` scaled by (end - states) / (end - start)
 * when states > start and start < end, 0 (expire now) when states >= end
 * as well, else unscaled.  64-bit intermediate [OpenBSD pf.c
 * pf_state_expires].
 */
uint32_t pf_timeout_scaled(uint32_t timeout_s, uint32_t states,
		uint32_t start, uint32_t end);

/*
 * Name of a peer level as pfctl prints it: TCP "CLOSED" .. "TIME_WAIT"
 * (tcp_fsm.h tcpstates[], so SYN_RECEIVED is "SYN_RCVD"), "PROXY:SRC",
 * "PROXY:DST"; UDP and other protocols "NO_TRAFFIC", "SINGLE", "MULTIPLE".
 * NULL where pfctl prints the number instead: ICMP/ICMPv6 (no levels) and
 * out-of-range levels.
 */
const char *pf_track_state_name(uint8_t proto, uint8_t level);

/*
 * Merges a pfsync peer's view of a state (UPD or UPD_C) into ours, peer by
 * peer, as OpenBSD does [if_pfsync.c pfsync_upd_tcp, pfsync_in_updates]:
 * our copy of a peer is kept ("stale": the sender is behind) when
 *  - TCP, peer[0] (src): our level is higher, unless the synproxy
 *    exception applies (ours is below PROXY_SRC or theirs is at or above
 *    it), or the levels are equal and our seqlo is ahead (SEQ_GT);
 *  - TCP, peer[1] (dst): our level is higher, or equal with our seqlo ahead;
 *  - other protocols: our level is higher;
 * otherwise the received peer replaces ours.  Neither levels nor windows
 * ever move backwards.  Returns the number of stale peers (0..2): with one
 * or more the caller answers with its own update so the sender catches
 * up; with fewer than two it also takes the sender's timeout and expiry.
 */
unsigned int pf_track_merge(struct pf_track *t, const struct pf_track *rx, bool tcp);

/*
 * Merges two partial views of one connection field by field, for a state
 * that both nodes forward (a split path, docs/pfsync.md "Split paths"), or
 * two states that the two nodes made for one connection (dp_state_apply()'s
 * join).  Each node then sees only some of the packets: the one that
 * forwards a side's segments moves that side's seqlo, the one that forwards
 * the other side's acks moves its seqhi.  pf_track_merge() takes a peer
 * whole from one view and so would throw half of that away.  Here, per peer:
 *  - a TCP peer that one view has not seen yet (seqlo 0: no segment from
 *    that side passed there, pf's "first packet" mark) is the other's;
 *  - else the level is the higher one (with pf_track_merge()'s synproxy
 *    exception for ours), seqlo and seqhi the further along (serial
 *    order), max_win the larger: what one node seeing every packet would
 *    hold, since pf only ever moves them forward (tcp_slide());
 *  - the window scale of a peer both views saw comes from the view whose
 *    levels add up higher (it saw more of the handshake; ours on a tie):
 *    a SYN|ACK without the option turns scaling off, and only the node
 *    that saw it knows.
 * Non-TCP peers take the higher level.  rx must already be in t's
 * orientation (peer[0] the same side).  Returns the number of peers in
 * which ours held something rx lacked (0..2): the caller sends ours back.
 */
unsigned int pf_track_join(struct pf_track *t, const struct pf_track *rx, bool tcp);

/*
 * Whether rx is ahead of t anywhere: a higher level, or (TCP) a seqlo or
 * seqhi further along or a larger max_win.  A pfsync record that is is news
 * from a node that saw packets this one did not; a copy of an older view
 * (a bulk update of our own states coming back) is not.
 */
bool pf_track_news(const struct pf_track *t, const struct pf_track *rx, bool tcp);

#endif /* DPF_DP_PF_TRACK_H */
