/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: libFuzzer target for dataplane/pf_track.
 *
 * The whole input first goes to pf_tcp_wscale_opt() as a TCP header (it must
 * stay inside the bytes and answer -1..14).  Then byte 0 picks the protocol
 * and sloppy mode, and every following 16-byte record is one packet:
 *   dir, flags, seq[4], ack[4], win[2], len[2], wscale, mode
 * dir bit 0 is the side (bit 7: the whole byte is passed as dir, where
 * any non-zero value means peer[1]), bit 1 pre-sets the refresh output;
 * mode bit 0 makes seq relative to the sender's seqlo (signed 16-bit offset
 * in seq's low bytes) and bit 1 does the same for ack against the other
 * side's seqlo, so that the fuzzer reaches the in-window paths; bit 2 asks
 * pf_tcp_quoted_ok() about seq as well.  The first record creates the
 * state.
 *
 * Checked after every packet, any breach aborts: the verdict is in range
 * and named; a refreshed expire only comes with PASS; the timeout is a TCP
 * one (or PFTM_PURGE with DROP_REUSE, unchanged otherwise on drops);
 * levels never go down; wscale bytes are 0 or flag|0..14; CHALLENGE_ACK
 * and DROP_REUSE, and DROP_BADSTATE on a side already seen, leave the
 * state as it was; RST_RESET resets the sender (and, on a side already
 * seen, nothing else); sloppy never drops for windows.  The same input replayed gives the same states (no hidden state).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pf_track.h"
#include "proto/pftm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_LEN 16
#define MAX_RECS 256

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
check_peer_ws(const struct pf_peer *p)
{
	if (p->wscale != 0 && (!(p->wscale & PF_WSCALE_FLAG) ||
	    (p->wscale & ~(PF_WSCALE_FLAG | PF_WSCALE_MASK)) != 0 ||
	    (p->wscale & PF_WSCALE_MASK) > PF_TCP_MAX_WINSHIFT))
		abort();
}

static bool
is_tcp_timeout(uint8_t t)
{
	/* PFTM_TCP_FIRST_PACKET is 0: only the upper end needs a test. */
	return t <= PFTM_TCP_CLOSED;
}

static void
decode(const uint8_t *r, struct pf_tcp_seg *s, const struct pf_track *t,
		unsigned int dir)
{
	uint8_t mode = r[15];

	s->flags = r[1];
	s->seq = rd32(r + 2);
	s->ack = rd32(r + 6);
	s->win = rd16(r + 10);
	s->len = rd16(r + 12);
	s->wscale = (int8_t)(r[14] % 17) - 1;	/* -1..15: 15 tests the cap */
	if (mode & 1)
		s->seq = t->peer[dir].seqlo + (uint32_t)(int32_t)(int16_t)(s->seq & 0xffff);
	if (mode & 2)
		s->ack = t->peer[!dir].seqlo + (uint32_t)(int32_t)(int16_t)(s->ack & 0xffff);
}

static void
run_tcp(const uint8_t *data, size_t n, bool sloppy, struct pf_track *t)
{
	struct pf_tcp_seg s;
	uint8_t tmo;

	memset(t, 0, sizeof(*t));
	decode(data, &s, t, 0);
	tmo = pf_tcp_new(t, &s);
	if (tmo != PFTM_TCP_FIRST_PACKET || t->peer[0].state != PF_TCPS_SYN_SENT ||
	    t->peer[1].state != PF_TCPS_CLOSED || t->peer[0].max_win == 0)
		abort();
	check_peer_ws(&t->peer[0]);

	for (size_t i = 1; i < n; i++) {
		const uint8_t *r = data + i * REC_LEN;
		/* Bit 7 passes the raw byte: any non-zero dir means peer[1]. */
		unsigned int dir_arg = (r[0] & 0x80) ? r[0] : (r[0] & 1u);
		unsigned int dir = dir_arg ? 1 : 0;
		struct pf_track before = *t;
		enum pf_track_verdict v;
		uint8_t tmo_before = tmo;
		bool refresh = (r[0] & 2) != 0;	/* garbage in, must be set */

		decode(r, &s, t, dir);
		if (r[15] & 4)
			(void)pf_tcp_quoted_ok(t, dir, s.seq);
		v = pf_tcp_track(t, dir_arg, &s, sloppy, &tmo, &refresh);
		{
			/* The fast path (pf_tcp_track_est) decides as the
			 * whole logic would, to the byte. */
			struct pf_track ref = before;
			uint8_t rtmo = tmo_before;
			bool rrefresh = !refresh;
			enum pf_track_verdict rv = pf_tcp_track_ref(&ref, dir_arg, &s, sloppy,
								   0, &rtmo, &rrefresh);

			if (rv != v || rtmo != tmo || rrefresh != refresh ||
			    memcmp(&ref, t, sizeof(*t)) != 0)
				abort();
		}
		if ((unsigned int)v >= PF_TRACK_VERDICT_MAX ||
		    strcmp(pf_track_verdict_name(v), "?") == 0)
			abort();
		if (refresh && v != PF_TRACK_PASS)
			abort();
		if (refresh && !is_tcp_timeout(tmo))
			abort();
		if (v == PF_TRACK_DROP_REUSE && tmo != PFTM_PURGE)
			abort();
		if (v != PF_TRACK_DROP_REUSE && !refresh && tmo != tmo_before)
			abort();
		if (sloppy && v != PF_TRACK_PASS && v != PF_TRACK_DROP_REUSE &&
		    v != PF_TRACK_CHALLENGE_ACK)
			abort();
		if (sloppy && v == PF_TRACK_PASS && !refresh)
			abort();
		for (int p = 0; p < 2; p++) {
			if (t->peer[p].state < before.peer[p].state ||
			    t->peer[p].state > PF_TCPS_TIME_WAIT)
				abort();
			check_peer_ws(&t->peer[p]);
		}
		if ((v == PF_TRACK_CHALLENGE_ACK || v == PF_TRACK_DROP_REUSE ||
		     (v == PF_TRACK_DROP_BADSTATE && before.peer[dir].seqlo != 0)) &&
		    memcmp(&before, t, sizeof(*t)) != 0)
			abort();
		/*
		 * A side's first SYN without the option un-scales the other
		 * side before the checks, and pf keeps that even when the
		 * segment then fails; only later segments leave it alone.
		 */
		if (v == PF_TRACK_RST_RESET &&
		    (t->peer[dir].seqlo != 0 || t->peer[dir].seqhi != 1 ||
		     t->peer[dir].max_win != 1 ||
		     (before.peer[dir].seqlo != 0 && memcmp(&before.peer[!dir],
		      &t->peer[!dir], sizeof(t->peer[0])) != 0)))
			abort();
		if (v == PF_TRACK_DROP_REUSE) {
			/* The caller purges the state: start a new one. */
			decode(r, &s, t, dir);
			tmo = pf_tcp_new(t, &s);
		}
	}
}

static void
run_levels(const uint8_t *data, size_t n, int proto, struct pf_track *t)
{
	uint8_t tmo = proto == 0 ? pf_udp_new(t) : proto == 1 ? pf_other_new(t) :
		pf_icmp_new(t);

	for (size_t i = 1; i < n; i++) {
		struct pf_track before = *t;
		unsigned int dir = data[i * REC_LEN] & 1;

		if (proto == 0) {
			pf_udp_track(t, dir, &tmo);
			if (tmo != PFTM_UDP_SINGLE && tmo != PFTM_UDP_MULTIPLE)
				abort();
		} else if (proto == 1) {
			pf_other_track(t, dir, &tmo);
			if (tmo != PFTM_OTHER_SINGLE && tmo != PFTM_OTHER_MULTIPLE)
				abort();
		} else {
			pf_icmp_track(t, dir, &tmo);
			if (tmo != PFTM_ICMP_ERROR_REPLY ||
			    memcmp(&before, t, sizeof(*t)) != 0)
				abort();
		}
		for (int p = 0; p < 2; p++)
			if (t->peer[p].state < before.peer[p].state ||
			    t->peer[p].state > PF_PEER_MULTIPLE)
				abort();
		if (proto < 2 && t->peer[dir].state == PF_PEER_NO_TRAFFIC)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_track t1, t2;
	size_t n;
	int ws;

	ws = pf_tcp_wscale_opt(data, size > 0xffff ? 0xffff : (unsigned int)size);
	if (ws < -1 || ws > PF_TCP_MAX_WINSHIFT)
		abort();
	if (size >= 16) {
		uint32_t a = rd32(data), b = rd32(data + 4);
		uint32_t c = rd32(data + 8), d = rd32(data + 12);
		uint32_t x = pf_timeout_scaled(a, b, c, d);

		if (x > a || (b > c && c < d && b >= d && x != 0) ||
		    ((b <= c || c >= d) && x != a))
			abort();
	}
	(void)pf_track_state_name(size ? data[0] : 6, size > 1 ? data[1] : 0);

	if (size < 1 + REC_LEN)
		return 0;
	n = (size - 1) / REC_LEN;
	if (n > MAX_RECS)
		n = MAX_RECS;
	switch (data[0] & 3) {
	case 0:
		run_tcp(data + 1, n, (data[0] & 4) != 0, &t1);
		run_tcp(data + 1, n, (data[0] & 4) != 0, &t2);
		break;
	default:
		run_levels(data + 1, n, (data[0] & 3) - 1, &t1);
		run_levels(data + 1, n, (data[0] & 3) - 1, &t2);
		break;
	}
	if (memcmp(&t1, &t2, sizeof(t1)) != 0)
		abort();
	return 0;
}
