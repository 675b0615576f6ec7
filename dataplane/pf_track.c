/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pf's connection tracking, per state and per packet.
 *
 * TCP follows pf's full tracking [OpenBSD pf.c pf_tcp_track_full; OpenBSD pf.c
 * pf_tcp_track_full], itself after Guido van Rooij's "Real Stateful TCP
 * Packet Filtering in IP Filter": each peer keeps the highest sequence it
 * sent (seqlo), the highest the other side allowed it to send (seqhi) and
 * its largest window; a segment passes when its data fits between one
 * window back and seqhi and its ack is within a window of what the other
 * side sent.  Sequence arithmetic is modulo 2^32 throughout.
 *
 * Nothing here knows about packets, clocks or state tables: the caller
 * extracts a struct pf_tcp_seg, stores the timeout index it gets back and
 * sets the expire time when told to.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/pf_track.h"
#include "proto/pfres.h"
#include "proto/pftm.h"
#include "proto/proto.h"

/* Sequence comparisons modulo 2^32 (pf_track.h). */
#define SEQ_GEQ(a, b) PF_SEQ_GEQ(a, b)
#define SEQ_GT(a, b) PF_SEQ_GT(a, b)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WINDOW 3
#define TCPOLEN_WINDOW 3
#define TCP_HDR_MIN 20

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

PROTO_NAME_FN(pf_track_verdict_name, enum pf_track_verdict, PF_TRACK_VERDICT_LIST,
	      PF_TRACK_VERDICT_MAX);
PROTO_TABLE_FN(unsigned int, pf_track_verdict_pfres, enum pf_track_verdict,
	       PF_TRACK_VERDICT_MAX, PFRES_MAX, PF_TRACK_VERDICT_LIST(PROTO_XCOL3));

int
pf_tcp_wscale_opt(const uint8_t *tcph, unsigned int hlen)
{
	unsigned int doff, olen, i;
	const uint8_t *opt;
	int ws = -1;

	if (tcph == NULL || hlen < TCP_HDR_MIN)
		return -1;
	/* The data offset bounds the options; the buffer bounds the reads. */
	doff = (unsigned int)(tcph[12] >> 4) * 4;
	if (doff < hlen)
		hlen = doff;
	if (hlen <= TCP_HDR_MIN)
		return -1;
	opt = tcph + TCP_HDR_MIN;
	olen = hlen - TCP_HDR_MIN;

	/*
	 * pf's walk [OpenBSD pf.c pf_find_tcpopt]: only while a whole window
	 * option could still fit; EOL is skipped like NOP because some stacks
	 * pad with zeros; a length below 2 still advances by 2.
	 */
	i = 0;
	while (olen - i >= TCPOLEN_WINDOW) {
		unsigned int optlen;

		if (opt[i] == TCPOPT_EOL || opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		optlen = opt[i + 1];
		if (opt[i] == TCPOPT_WINDOW && optlen >= TCPOLEN_WINDOW)
			ws = opt[i + 2] > PF_TCP_MAX_WINSHIFT ?
				PF_TCP_MAX_WINSHIFT : opt[i + 2];
		i += optlen < 2 ? 2 : optlen;
		if (i > olen)
			break;
	}
	return ws;
}

/* A segment's option as a peer's wscale byte: 0 when absent. */
static uint8_t
seg_wscale(const struct pf_tcp_seg *s)
{
	if (s->wscale < 0)
		return 0;
	return PF_WSCALE_FLAG | (s->wscale > PF_TCP_MAX_WINSHIFT ?
		PF_TCP_MAX_WINSHIFT : (uint8_t)s->wscale);
}

uint8_t
pf_tcp_new(struct pf_track *t, const struct pf_tcp_seg *s)
{
	struct pf_peer *src = &t->peer[0], *dst = &t->peer[1];
	uint32_t win;

	*src = (struct pf_peer){ 0 };
	*dst = (struct pf_peer){ 0 };
	src->seqlo = s->seq;
	src->seqhi = s->seq + s->len + 1;
	if (s->flags & PF_TH_SYN) {
		src->seqhi++;
		src->wscale = seg_wscale(s);
	}
	win = s->win > 1 ? s->win : 1;
	if (src->wscale & PF_WSCALE_MASK) {
		/* Remove the scale from the SYN's window, rounding up. */
		unsigned int sh = src->wscale & PF_WSCALE_MASK;

		win = (win + (1u << sh) - 1) >> sh;
	}
	src->max_win = (uint16_t)win;
	if (s->flags & PF_TH_FIN)
		src->seqhi++;
	dst->seqhi = 1;
	dst->max_win = 1;
	src->state = PF_TCPS_SYN_SENT;
	dst->state = PF_TCPS_CLOSED;
	return PFTM_TCP_FIRST_PACKET;
}

/* Timeout after an accepted segment [OpenBSD pfvar.h PFTM_*, pf_ioctl.c pfattach]; symmetric. */
static uint8_t
tcp_timeout(const struct pf_peer *a, const struct pf_peer *b)
{
	if (a->state >= PF_TCPS_FIN_WAIT_2 && b->state >= PF_TCPS_FIN_WAIT_2)
		return PFTM_TCP_CLOSED;
	if (a->state >= PF_TCPS_CLOSING && b->state >= PF_TCPS_CLOSING)
		return PFTM_TCP_FIN_WAIT;
	if (a->state < PF_TCPS_ESTABLISHED || b->state < PF_TCPS_ESTABLISHED)
		return PFTM_TCP_OPENING;
	if (a->state >= PF_TCPS_CLOSING || b->state >= PF_TCPS_CLOSING)
		return PFTM_TCP_CLOSING;
	return PFTM_TCP_ESTABLISHED;
}

/* Level transitions of an accepted segment [OpenBSD pf.c pf_tcp_track_full]. */
static void
tcp_levels(struct pf_peer *src, struct pf_peer *dst, uint8_t flags)
{
	if ((flags & PF_TH_SYN) && src->state < PF_TCPS_SYN_SENT)
		src->state = PF_TCPS_SYN_SENT;
	if ((flags & PF_TH_FIN) && src->state < PF_TCPS_CLOSING)
		src->state = PF_TCPS_CLOSING;
	if (flags & PF_TH_ACK) {
		if (dst->state == PF_TCPS_SYN_SENT)
			dst->state = PF_TCPS_ESTABLISHED;
		else if (dst->state == PF_TCPS_CLOSING)
			dst->state = PF_TCPS_FIN_WAIT_2;
	}
	if (flags & PF_TH_RST)
		src->state = dst->state = PF_TCPS_TIME_WAIT;
}

/*
 * keep state (sloppy): levels only, plus two cases for seeing one half of
 * the connection [OpenBSD pf.c pf_tcp_track_sloppy].  Always refreshes.
 */
static enum pf_track_verdict
tcp_track_sloppy(struct pf_peer *src, struct pf_peer *dst,
		const struct pf_tcp_seg *s, uint8_t *timeout, bool *refresh)
{
	if ((s->flags & PF_TH_SYN) && src->state < PF_TCPS_SYN_SENT)
		src->state = PF_TCPS_SYN_SENT;
	if ((s->flags & PF_TH_FIN) && src->state < PF_TCPS_CLOSING)
		src->state = PF_TCPS_CLOSING;
	if (s->flags & PF_TH_ACK) {
		if (dst->state == PF_TCPS_SYN_SENT) {
			dst->state = PF_TCPS_ESTABLISHED;
		} else if (dst->state == PF_TCPS_CLOSING) {
			dst->state = PF_TCPS_FIN_WAIT_2;
		} else if (src->state == PF_TCPS_SYN_SENT &&
			   dst->state < PF_TCPS_SYN_SENT) {
			/* An ACK after our SYN, nothing ever seen back. */
			src->state = dst->state = PF_TCPS_ESTABLISHED;
		} else if (src->state == PF_TCPS_CLOSING &&
			   dst->state == PF_TCPS_ESTABLISHED &&
			   dst->seqlo == 0) {
			/* Half connection: the other FIN is never seen. */
			dst->state = PF_TCPS_CLOSING;
		}
	}
	if (s->flags & PF_TH_RST)
		src->state = dst->state = PF_TCPS_TIME_WAIT;
	*timeout = tcp_timeout(src, dst);
	*refresh = true;
	return PF_TRACK_PASS;
}

static enum pf_track_verdict
tcp_track_full(struct pf_peer *src, struct pf_peer *dst,
		const struct pf_tcp_seg *s, uint32_t slack, uint8_t *timeout, bool *refresh)
{
	const int64_t maxack = PF_MAXACKWINDOW;
	uint32_t seq, orig_seq, ack, end, data_end, dwin;
	unsigned int sws, dws;
	uint16_t win = s->win;
	int32_t ackskew;
	bool rst_ok;

	/* Scaling applies only once both sides offered it, never on SYNs. */
	if (src->wscale && dst->wscale && !(s->flags & PF_TH_SYN)) {
		sws = src->wscale & PF_WSCALE_MASK;
		dws = dst->wscale & PF_WSCALE_MASK;
	} else {
		sws = dws = 0;
	}

	orig_seq = seq = s->seq;
	ack = s->ack;
	end = seq + s->len;
	if (src->seqlo == 0) {
		/* First segment from this side. */
		if (s->flags & PF_TH_SYN) {
			end++;
			if (dst->wscale & PF_WSCALE_FLAG) {
				src->wscale = seg_wscale(s);
				if (src->wscale & PF_WSCALE_FLAG) {
					sws = src->wscale & PF_WSCALE_MASK;
					win = (uint16_t)(((uint32_t)win +
						(1u << sws) - 1) >> sws);
					dws = dst->wscale & PF_WSCALE_MASK;
				} else {
					/*
					 * No option back: scaling is off for
					 * both; the other window goes back to
					 * bytes (a retransmitted SYN|ACK may
					 * still come with the option).
					 */
					uint32_t w = (uint32_t)dst->max_win <<
						(dst->wscale & PF_WSCALE_MASK);

					dst->max_win = (uint16_t)(w > PF_TCP_MAXWIN ?
						PF_TCP_MAXWIN : w);
					dst->wscale = 0;
				}
			}
		}
		data_end = end;
		if (s->flags & PF_TH_FIN)
			end++;

		src->seqlo = seq;
		if (src->state < PF_TCPS_SYN_SENT)
			src->state = PF_TCPS_SYN_SENT;
		/* seqhi may come from the other side's ack already: slide. */
		dwin = (uint32_t)dst->max_win << dws;
		if (dwin < 1)
			dwin = 1;
		if (src->seqhi == 1 || SEQ_GEQ(end + dwin, src->seqhi))
			src->seqhi = end + dwin;
		if (win > src->max_win)
			src->max_win = win;
	} else {
		if (s->flags & PF_TH_SYN)
			end++;
		data_end = end;
		if (s->flags & PF_TH_FIN)
			end++;
	}

	/*
	 * No ACK flag, an RST|ACK with ack 0, or a peer that has not sent yet
	 * (stacks that leave ack unset): let it through the ack-skew check.
	 */
	if (!(s->flags & PF_TH_ACK) ||
	    (ack == 0 && (s->flags & (PF_TH_ACK | PF_TH_RST)) ==
	     (PF_TH_ACK | PF_TH_RST)) ||
	    dst->state < PF_TCPS_SYN_SENT)
		ack = dst->seqlo;

	/* No data, no SYN, no FIN: only the ack matters. */
	if (seq == end) {
		seq = src->seqlo;
		data_end = end = seq;
	}

	ackskew = (int32_t)(dst->seqlo - ack);
	dwin = (uint32_t)dst->max_win << dws;

	/* An RST must hit seqlo (+-1), or the window with a perfect ack. */
	rst_ok = !(s->flags & PF_TH_RST) || orig_seq == src->seqlo ||
		orig_seq == src->seqlo + 1 || orig_seq + 1 == src->seqlo ||
		(SEQ_GEQ(orig_seq, src->seqlo - dwin) &&
		 SEQ_LEQ(orig_seq, src->seqlo + 1) && ackskew == 0 &&
		 (s->flags & (PF_TH_ACK | PF_TH_RST)) ==
		 (PF_TH_ACK | PF_TH_RST));

	if (SEQ_GEQ(src->seqhi + slack, data_end) && /* 1: within what dst allows */
	    SEQ_GEQ(seq, src->seqlo - dwin) &&	/* 2: <= one window back */
	    ackskew >= -(maxack + slack) &&	/* 3: ack not too far ahead */
	    ackskew <= (maxack << sws) &&	/* 4: nor too far behind */
	    rst_ok) {				/* 5 */
		pf_tcp_slide(src, dst, win, sws, end, ack);
		tcp_levels(src, dst, s->flags);
		*timeout = tcp_timeout(src, dst);
		*refresh = true;
		return PF_TRACK_PASS;
	}

	if ((dst->state < PF_TCPS_SYN_SENT ||
	     dst->state >= PF_TCPS_FIN_WAIT_2 ||
	     src->state >= PF_TCPS_FIN_WAIT_2) &&
	    SEQ_GEQ(src->seqhi + PF_MAXACKWINDOW, data_end) &&
	    SEQ_GEQ(seq, src->seqlo - PF_MAXACKWINDOW)) {
		/*
		 * Loose acceptance: shotgun SYNs before the peer answers, a
		 * connection picked up mid-stream, stray FINs after close.
		 * Packet floods land here too, so the expire time and the
		 * timeout stay as they are; only FIN/RST levels move.
		 */
		pf_tcp_slide(src, dst, win, sws, end, ack);
		if ((s->flags & PF_TH_FIN) && src->state < PF_TCPS_CLOSING)
			src->state = PF_TCPS_CLOSING;
		if (s->flags & PF_TH_RST)
			src->state = dst->state = PF_TCPS_TIME_WAIT;
		*refresh = false;
		return PF_TRACK_PASS;
	}

	*refresh = false;
	if (src->state == PF_TCPS_SYN_SENT && dst->state == PF_TCPS_SYN_SENT) {
		/* Mismatch in the handshake: this side starts over. */
		src->seqlo = 0;
		src->seqhi = 1;
		src->max_win = 1;
		return PF_TRACK_RST_RESET;
	}
	return PF_TRACK_DROP_BADSTATE;
}

/* Everything but the fast path (pf_track.h pf_tcp_track_est()). */
enum pf_track_verdict
pf_tcp_track_ref(struct pf_track *t, unsigned int dir, const struct pf_tcp_seg *s,
		bool sloppy, uint32_t slack, uint8_t *timeout, bool *refresh)
{
	struct pf_peer *src = &t->peer[dir ? 1 : 0];
	struct pf_peer *dst = &t->peer[dir ? 0 : 1];

	*refresh = false;
	if ((s->flags & (PF_TH_SYN | PF_TH_ACK)) == PF_TH_SYN) {
		/* A new SYN on a known pair [OpenBSD pf.c pf_test_state]. */
		if (src->state >= PF_TCPS_FIN_WAIT_2 &&
		    dst->state >= PF_TCPS_FIN_WAIT_2) {
			*timeout = PFTM_PURGE;
			return PF_TRACK_DROP_REUSE;
		}
		if (src->state >= PF_TCPS_ESTABLISHED &&
		    dst->state >= PF_TCPS_ESTABLISHED)
			return PF_TRACK_CHALLENGE_ACK;
	}
	if (sloppy)
		return tcp_track_sloppy(src, dst, s, timeout, refresh);
	return tcp_track_full(src, dst, s, slack, timeout, refresh);
}

bool
pf_tcp_quoted_ok(const struct pf_track *t, unsigned int dir, uint32_t seq)
{
	const struct pf_peer *src = &t->peer[dir ? 1 : 0];
	const struct pf_peer *dst = &t->peer[dir ? 0 : 1];
	unsigned int dws = 0;

	if (src->wscale && dst->wscale)
		dws = dst->wscale & PF_WSCALE_MASK;
	return SEQ_GEQ(src->seqhi, seq) &&
		SEQ_GEQ(seq, src->seqlo - ((uint32_t)dst->max_win << dws));
}

/* UDP and other protocols share the levels, not the timeouts. */
static void
levels_new(struct pf_track *t)
{
	*t = (struct pf_track){ 0 };
	t->peer[0].state = PF_PEER_SINGLE;
	t->peer[1].state = PF_PEER_NO_TRAFFIC;
}

uint8_t
pf_udp_new(struct pf_track *t)
{
	levels_new(t);
	return PFTM_UDP_FIRST_PACKET;
}

uint8_t
pf_other_new(struct pf_track *t)
{
	levels_new(t);
	return PFTM_OTHER_FIRST_PACKET;
}

uint8_t
pf_icmp_new(struct pf_track *t)
{
	*t = (struct pf_track){ 0 };
	return PFTM_ICMP_FIRST_PACKET;
}

uint32_t
pf_timeout_scaled(uint32_t timeout_s, uint32_t states, uint32_t start,
		uint32_t end)
{
	if (states <= start || start >= end)
		return timeout_s;
	if (states >= end)
		return 0;
	return (uint32_t)((uint64_t)timeout_s * (end - states) / (end - start));
}

/* pfctl's spellings [BSD tcp_fsm.h tcpstates[]; pfvar.h PFUDPS_NAMES]. */
static const char *const tcp_state_names[] = {
	[PF_TCPS_CLOSED] = "CLOSED",
	[PF_TCPS_LISTEN] = "LISTEN",
	[PF_TCPS_SYN_SENT] = "SYN_SENT",
	[PF_TCPS_SYN_RECEIVED] = "SYN_RCVD",
	[PF_TCPS_ESTABLISHED] = "ESTABLISHED",
	[PF_TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[PF_TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
	[PF_TCPS_CLOSING] = "CLOSING",
	[PF_TCPS_LAST_ACK] = "LAST_ACK",
	[PF_TCPS_FIN_WAIT_2] = "FIN_WAIT_2",
	[PF_TCPS_TIME_WAIT] = "TIME_WAIT",
	[PF_TCPS_PROXY_SRC] = "PROXY:SRC",
	[PF_TCPS_PROXY_DST] = "PROXY:DST",
};

static const char *const peer_level_names[] = {
	[PF_PEER_NO_TRAFFIC] = "NO_TRAFFIC",
	[PF_PEER_SINGLE] = "SINGLE",
	[PF_PEER_MULTIPLE] = "MULTIPLE",
};

#define IPPROTO_TCP_NUM 6
#define IPPROTO_ICMP_NUM 1
#define IPPROTO_ICMPV6_NUM 58

unsigned int
pf_track_merge(struct pf_track *t, const struct pf_track *rx, bool tcp)
{
	const struct pf_peer *ls = &t->peer[0], *rs = &rx->peer[0];
	const struct pf_peer *ld = &t->peer[1], *rd = &rx->peer[1];
	bool src_stale, dst_stale;

	if (tcp) {
		src_stale = (ls->state > rs->state &&
			     (ls->state < PF_TCPS_PROXY_SRC || rs->state >= PF_TCPS_PROXY_SRC)) ||
			    (ls->state == rs->state && SEQ_GT(ls->seqlo, rs->seqlo));
		dst_stale = ld->state > rd->state ||
			    (ld->state == rd->state && SEQ_GT(ld->seqlo, rd->seqlo));
	} else {
		src_stale = ls->state > rs->state;
		dst_stale = ld->state > rd->state;
	}
	if (!src_stale)
		t->peer[0] = *rs;
	if (!dst_stale)
		t->peer[1] = *rd;
	return (unsigned int)src_stale + (unsigned int)dst_stale;
}

/* pf_track_merge()'s level rule: is our level ahead of theirs? */
static bool
level_ahead(uint8_t ours, uint8_t theirs, bool src)
{
	if (ours <= theirs)
		return false;
	/* The synproxy exception applies to the source peer only. */
	return !src || ours < PF_TCPS_PROXY_SRC || theirs >= PF_TCPS_PROXY_SRC;
}

/*
 * One TCP peer of pf_track_join(); true if ours held something rx lacked.
 * rx_scales: the window scale comes from rx where both views saw the peer.
 */
static bool
join_tcp_peer(struct pf_peer *p, const struct pf_peer *r, bool src, bool rx_scales)
{
	bool ours = false;

	if (r->seqlo == 0 && r->state < PF_TCPS_SYN_SENT)
		return p->seqlo != 0 || p->state != r->state;	/* theirs unseen */
	if (p->seqlo == 0 && p->state < PF_TCPS_SYN_SENT) {
		*p = *r;					/* ours unseen */
		return false;
	}
	if (level_ahead(p->state, r->state, src))
		ours = true;
	else
		p->state = r->state;
	if (SEQ_GT(p->seqlo, r->seqlo))
		ours = true;
	else
		p->seqlo = r->seqlo;
	if (SEQ_GT(p->seqhi, r->seqhi))
		ours = true;
	else
		p->seqhi = r->seqhi;
	if (p->max_win > r->max_win)
		ours = true;
	else
		p->max_win = r->max_win;
	if (rx_scales)
		p->wscale = r->wscale;
	else if (p->wscale != r->wscale)
		ours = true;
	return ours;
}

bool
pf_track_news(const struct pf_track *t, const struct pf_track *rx, bool tcp)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct pf_peer *p = &t->peer[i], *r = &rx->peer[i];

		if (r->state > p->state)
			return true;
		if (tcp && (SEQ_GT(r->seqlo, p->seqlo) || SEQ_GT(r->seqhi, p->seqhi) ||
			    r->max_win > p->max_win))
			return true;
	}
	return false;
}

unsigned int
pf_track_join(struct pf_track *t, const struct pf_track *rx, bool tcp)
{
	bool ours[2] = { false, false }, rx_scales;
	unsigned int i;

	if (!tcp) {
		for (i = 0; i < 2; i++) {
			if (t->peer[i].state > rx->peer[i].state)
				ours[i] = true;
			else
				t->peer[i].state = rx->peer[i].state;
		}
		return (unsigned int)ours[0] + (unsigned int)ours[1];
	}
	/* Decided on the levels before the join moves them. */
	rx_scales = (unsigned int)rx->peer[0].state + rx->peer[1].state >
		    (unsigned int)t->peer[0].state + t->peer[1].state;
	for (i = 0; i < 2; i++)
		ours[i] = join_tcp_peer(&t->peer[i], &rx->peer[i], i == 0, rx_scales);
	return (unsigned int)ours[0] + (unsigned int)ours[1];
}

const char *
pf_track_state_name(uint8_t proto, uint8_t level)
{
	switch (proto) {
	case IPPROTO_TCP_NUM:
		return level < ARRAY_LEN(tcp_state_names) ?
			tcp_state_names[level] : NULL;
	case IPPROTO_ICMP_NUM:
	case IPPROTO_ICMPV6_NUM:
		return NULL;
	default:
		return level < ARRAY_LEN(peer_level_names) ?
			peer_level_names[level] : NULL;
	}
}
