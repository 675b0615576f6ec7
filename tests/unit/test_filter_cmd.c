/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/filter_cmd (requests to the workers, their
 * completions, the state event hook and its rings).
 *
 * Both ends run on this thread: the control side through the public API
 * (dp_req_post, dp_done_poll, dp_sev_poll), the worker side by calling
 * what the worker loop calls (dp_filter_requests every poll,
 * dp_filter_housekeeping every millisecond) on a worker context built
 * here, so every step between "posted" and "completed" can be looked at.
 * The tables and rings are the real ones, from dp_filter_init() on a
 * struct dp_main with two workers and no ports.  EAL runs without
 * hugepages or devices.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/app/filter_cmds.h"
#include "dataplane/defer.h"
#include "dataplane/defer_stage.h"
#include "dataplane/filter.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/filter_priv.h"
#include "dataplane/filter_stage.h"
#include "proto/pftm.h"

#define HOSTID 0x0a0b0c0du
#define PEER_A 0x77u
#define PEER_B 0x88u

static const uint32_t timeouts[PFTM_MAX] = {
#define TM_DEF(sym, str, def) [PFTM_##sym] = def,
	PFTM_LIST(TM_DEF)
#undef TM_DEF
};

static struct dp_main *dp;
/* The context of the running test (wctx()): events() flushes its stage. */
static struct dp_wctx *staged;

static int
setup(void **state)
{
	char err[256] = "";
	unsigned int w;

	(void)state;
	dp = rte_zmalloc("test_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		return -1;
	dp->n_workers = 2;
	dp->host_id = HOSTID;
	dp_clock_init(&dp->clock);
	for (w = 0; w < dp->n_workers; w++) {
		dp->workers[w].dp = dp;
		dp->workers[w].id = w;
		dp->workers[w].stats = &dp->stats[w];
	}
	if (dp_filter_init(dp, 20000, timeouts, err, sizeof(err)) != 0) {
		print_error("dp_filter_init: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dp_filter_fini(dp);
	rte_free(dp);
	dp = NULL;
	return 0;
}

/* What the worker loop sets up for worker w (worker.c dp_worker_main). */
static void
wctx(struct dp_wctx *c, unsigned int w, uint32_t now)
{
	staged = c;
	memset(c, 0, sizeof(*c));
	c->dp = dp;
	c->w = &dp->workers[w];
	c->st = c->w->stats;
	c->states = c->w->states;
	c->rules = NULL;
	c->now = now;
	c->hk_ms = 1;
}

static void
key4(uint32_t i, union dp_state_key *k)
{
	uint32_t a = rte_cpu_to_be_32(0xc6120100u | (i & 0xff));	/* 198.18.1.x */
	uint32_t b = rte_cpu_to_be_32(0xc6130000u | (i >> 8));		/* 198.19.y.z */
	bool sw;

	memset(k, 0, sizeof(*k));
	dp_state_key_make(4, 17, (const uint8_t *)&a, (const uint8_t *)&b,
			  rte_cpu_to_be_16((uint16_t)(1024 + i)), rte_cpu_to_be_16(53), 0, k, &sw);
}

static void
apply_req(uint32_t i, uint64_t id, uint32_t creator, uint64_t tag, struct dp_req *r)
{
	struct dp_state_desc *d = &r->u.apply.st;

	memset(r, 0, sizeof(*r));
	r->kind = DP_REQ_APPLY;
	r->tag = tag;
	key4(i, &d->key);
	d->af = 4;
	d->id = id;
	d->creatorid = creator;
	d->track.peer[0].state = PF_PEER_MULTIPLE;
	d->track.peer[1].state = PF_PEER_MULTIPLE;
	d->timeout = PFTM_UDP_MULTIPLE;
	d->expire_in = 60;
}

/* A local state of flow i, as a packet would make it; flags added. */
static struct dp_state *
local_state(struct dp_wctx *c, uint32_t i, uint8_t flags)
{
	union dp_state_key k;
	struct dp_state *st;
	int err;

	key4(i, &k);
	st = dp_state_insert(c->states, 4, &k, c->now, &err);
	assert_non_null(st);
	st->flags |= flags;
	st->expire = c->now + 60;
	st->timeout = PFTM_UDP_MULTIPLE;
	return st;
}

static void
post(unsigned int w, const struct dp_req *r)
{
	assert_int_equal(dp_req_post(dp, w, r), 0);
}

/* The one completion expected now. */
static struct dp_done
done1(void)
{
	struct dp_done d[4];

	assert_int_equal(dp_done_poll(dp, d, 4), 1);
	return d[0];
}

/* Runs worker c's housekeeping until its KILL/FLUSH completes; returns the ticks. */
static unsigned int
run_slices(struct dp_wctx *c, struct dp_done *d)
{
	unsigned int ticks;

	for (ticks = 1; ticks < 1000; ticks++) {
		dp_filter_housekeeping(c);
		dp_filter_requests(c);
		if (dp_done_poll(dp, d, 1) == 1)
			return ticks;
	}
	fail_msg("the request never completed");
	return 0;
}

/* Drains the event rings; returns how many, events in ev[0..max). */
static unsigned int
events(struct dp_sev *ev, unsigned int max)
{
	unsigned int n = 0, k;

	/* What the test's worker staged, as its loop does once a poll. */
	if (staged != NULL)
		dp_state_events_flush(staged);
	while ((k = dp_sev_poll(dp, ev + n, max - n)) != 0)
		n += k;
	return n;
}

static void
clear_table(struct dp_wctx *c)
{
	struct dp_req r = { .kind = DP_REQ_KILL, .tag = 999 };
	struct dp_done d;
	struct dp_sev ev[64];

	r.u.kill.sel.all = true;
	post(c->w->id, &r);
	dp_filter_requests(c);
	run_slices(c, &d);
	while (dp_sev_poll(dp, ev, 64) != 0)
		;
	assert_int_equal(c->states->count, 0);
	memset(c->st, 0, sizeof(*c->st));
}

/* ---- APPLY ---- */

static void
test_apply(void **state)
{
	struct dp_wctx c;
	struct dp_req r;
	struct dp_done d;
	struct dp_sev ev[8];
	struct dp_state *st;

	(void)state;
	wctx(&c, 0, 100);
	clear_table(&c);
	apply_req(1, 0xa1, PEER_A, 11, &r);
	post(0, &r);
	assert_int_equal(dp_req_inflight(dp, 0), 1);
	assert_int_equal(dp_done_poll(dp, &d, 1), 0);	/* nothing until the worker runs */
	dp_filter_requests(&c);
	d = done1();
	assert_true(d.tag == 11);
	assert_int_equal(d.kind, DP_REQ_APPLY);
	assert_int_equal(d.worker, 0);
	assert_int_equal(d.result, DP_APPLY_INSERTED);
	assert_int_equal(dp_req_inflight(dp, 0), 0);
	st = dp_state_find_id(c.states, 0xa1, PEER_A);
	assert_non_null(st);
	/* Not echoed: the hook saw it as no-sync, and the flag is gone again. */
	assert_int_equal(events(ev, 8), 0);
	assert_int_equal(c.st->sev_nosync, 1);
	assert_int_equal(c.st->sev[DP_SEV_INSERT], 0);
	assert_false(st->flags & DP_STF_NOSYNC);
	assert_int_equal(c.st->state_inserts, 1);
	assert_int_equal(c.st->req_done, 1);

	/* Ours newer (the peer sends a level back): STALE, and our UPDATE. */
	r.tag = 12;
	r.u.apply.st.track.peer[1].state = PF_PEER_SINGLE;
	post(0, &r);
	dp_filter_requests(&c);
	d = done1();
	assert_int_equal(d.result, DP_APPLY_STALE);
	assert_int_equal(events(ev, 8), 1);
	assert_int_equal(ev[0].kind, DP_SEV_UPDATE);
	assert_true(ev[0].id == 0xa1);
	assert_int_equal(ev[0].creatorid, PEER_A);
	assert_int_equal(ev[0].pos, dp_state_pos(c.states, st));
	assert_int_equal(ev[0].worker, 0);
	assert_int_equal(c.st->sev[DP_SEV_UPDATE], 1);

	/* A refused description is answered with its error. */
	r.tag = 13;
	r.u.apply.st.creatorid = 0;
	post(0, &r);
	dp_filter_requests(&c);
	d = done1();
	assert_int_equal(d.result, -EINVAL);
	clear_table(&c);
}

/* ---- FLUSH and KILL ---- */

static void
test_flush(void **state)
{
	struct dp_wctx c;
	struct dp_req r;
	struct dp_done d;
	struct dp_sev ev[16];
	unsigned int i;

	(void)state;
	wctx(&c, 1, 100);
	clear_table(&c);
	for (i = 0; i < 3; i++) {
		apply_req(10 + i, 0x100 + i, PEER_A, i, &r);
		post(1, &r);
	}
	for (i = 0; i < 2; i++) {
		apply_req(20 + i, 0x200 + i, PEER_B, 10 + i, &r);
		post(1, &r);
	}
	dp_filter_requests(&c);
	assert_int_equal(dp_done_poll(dp, &d, 1), 1);
	while (dp_done_poll(dp, &d, 1) == 1)
		;
	local_state(&c, 30, 0);
	local_state(&c, 31, DP_STF_NOSYNC);
	assert_int_equal(c.states->count, 7);
	c.st->sev_nosync = 0;

	/* CLR from PEER_A: exactly its states go, and no DELETE goes back. */
	memset(&r, 0, sizeof(r));
	r.kind = DP_REQ_FLUSH;
	r.tag = 77;
	r.u.flush.creatorid = PEER_A;
	post(1, &r);
	dp_filter_requests(&c);
	assert_int_equal(dp_done_poll(dp, &d, 1), 0);	/* under way: housekeeping does it */
	run_slices(&c, &d);
	assert_true(d.tag == 77);
	assert_int_equal(d.kind, DP_REQ_FLUSH);
	assert_int_equal(d.result, 3);
	assert_int_equal(c.states->count, 4);
	for (i = 0; i < 3; i++)
		assert_null(dp_state_find_id(c.states, 0x100 + i, PEER_A));
	assert_non_null(dp_state_find_id(c.states, 0x200, PEER_B));
	assert_int_equal(events(ev, 16), 0);
	assert_int_equal(c.st->sev_nosync, 3);
	assert_int_equal(c.st->state_removals, 3);
	clear_table(&c);
}

static void
test_kill(void **state)
{
	struct dp_wctx c;
	struct dp_req r;
	struct dp_done d;
	struct dp_sev ev[16];
	struct dp_state *loc, *peer;
	uint64_t loc_id;
	uint32_t cid, loc_pos;
	unsigned int n;

	(void)state;
	wctx(&c, 0, 100);
	clear_table(&c);
	loc = local_state(&c, 1, 0);
	local_state(&c, 2, DP_STF_NOSYNC);
	assert_int_equal(dp_state_id(c.states, loc, &loc_id, &cid), 0);
	loc_pos = dp_state_pos(c.states, loc);
	apply_req(3, 0x300, PEER_B, 1, &r);
	post(0, &r);
	dp_filter_requests(&c);
	d = done1();
	peer = dp_state_find_id(c.states, 0x300, PEER_B);
	assert_non_null(peer);

	/* By selector: from 198.18.1.1/32 (the creator side of flow 1 only). */
	memset(&r, 0, sizeof(r));
	r.kind = DP_REQ_KILL;
	r.tag = 5;
	r.u.kill.sel.rule = -1;
	r.u.kill.sel.has_src = true;
	r.u.kill.sel.src.af = 4;
	r.u.kill.sel.src.plen = 32;
	memcpy(r.u.kill.sel.src.addr, (const uint8_t[]){ 198, 18, 1, 1 }, 4);
	r.u.kill.sel.af = 4;
	post(0, &r);
	dp_filter_requests(&c);
	run_slices(&c, &d);
	assert_int_equal(d.result, 1);
	assert_int_equal(c.states->count, 2);
	/* Its DELETE names the state as it was. */
	assert_int_equal(events(ev, 16), 1);
	assert_int_equal(ev[0].kind, DP_SEV_DELETE);
	assert_true(ev[0].id == loc_id);
	assert_int_equal(ev[0].creatorid, HOSTID);
	assert_int_equal(ev[0].pos, loc_pos);

	/* All: a DELETE for the peer's state too (pf tells the peers of a
	 * kill), none for the no-sync one. */
	r.u.kill.sel.all = true;
	r.tag = 6;
	c.st->sev_nosync = 0;
	post(0, &r);
	dp_filter_requests(&c);
	run_slices(&c, &d);
	assert_int_equal(d.result, 2);
	n = events(ev, 16);
	assert_int_equal(n, 1);
	assert_true(ev[0].id == 0x300 && ev[0].creatorid == PEER_B);
	assert_int_equal(c.st->sev_nosync, 1);
	assert_int_equal(c.st->sev[DP_SEV_DELETE], 2);
	assert_int_equal(c.states->count, 0);

	/* Expiry goes through the same hook. */
	loc = local_state(&c, 7, 0);
	loc->expire = 101;
	assert_int_equal(dp_state_expire(c.states, 200, c.states->total, dp_filter_removed, &c), 1);
	assert_int_equal(events(ev, 16), 1);
	assert_int_equal(ev[0].kind, DP_SEV_DELETE);
	clear_table(&c);
}

/*
 * A kill larger than a slice takes several housekeeping ticks, and a
 * request posted behind it waits for it: requests keep their order.
 */
static void
test_kill_slices(void **state)
{
	const unsigned int n = 2 * DP_REQ_REMOVE_SLICE + 100;
	struct dp_wctx c;
	struct dp_req r, a;
	struct dp_done d;
	struct dp_sev *ev;
	unsigned int i, ticks;

	(void)state;
	wctx(&c, 1, 100);
	clear_table(&c);
	for (i = 0; i < n; i++)
		local_state(&c, 1000 + i, 0);
	memset(&r, 0, sizeof(r));
	r.kind = DP_REQ_KILL;
	r.tag = 1;
	r.u.kill.sel.all = true;
	post(1, &r);
	apply_req(5, 0x55, PEER_A, 2, &a);
	post(1, &a);
	dp_filter_requests(&c);
	dp_filter_housekeeping(&c);
	assert_int_equal(c.states->count, n - DP_REQ_REMOVE_SLICE);
	dp_filter_requests(&c);
	assert_int_equal(dp_done_poll(dp, &d, 1), 0);	/* the APPLY waits too */
	assert_null(dp_state_find_id(c.states, 0x55, PEER_A));
	ticks = 1 + run_slices(&c, &d);
	assert_int_equal(ticks, 3);
	assert_true(d.tag == 1);
	assert_int_equal(d.result, (int32_t)n);
	dp_filter_requests(&c);
	d = done1();
	assert_true(d.tag == 2);
	assert_int_equal(d.result, DP_APPLY_INSERTED);
	ev = calloc(n, sizeof(*ev));
	assert_non_null(ev);
	assert_int_equal(events(ev, n), n);
	for (i = 0; i < n; i++)
		assert_int_equal(ev[i].kind, DP_SEV_DELETE);
	free(ev);
	clear_table(&c);
}

/*
 * A KILL paces itself to the room in the event ring: no DELETE is lost
 * while the control core is slow to drain, and DP_SEV_RESERVE slots stay
 * for the packets' events.
 */
static void
test_kill_paced(void **state)
{
	struct dp_wctx c;
	struct dp_req r;
	struct dp_done d;
	struct dp_sev *ev;
	struct dp_state *st;
	unsigned int i, n;

	(void)state;
	wctx(&c, 0, 100);
	clear_table(&c);
	for (i = 0; i < 100; i++)
		st = local_state(&c, 2000 + i, 0);
	/* The control core has not drained: 10 slots beyond the reserve left. */
	n = rte_ring_free_count(c.w->sev) - DP_SEV_RESERVE - 10;
	for (i = 0; i < n; i++)
		dp_state_event(&c, st, DP_SEV_UPDATE);
	memset(&r, 0, sizeof(r));
	r.kind = DP_REQ_KILL;
	r.tag = 3;
	r.u.kill.sel.all = true;
	post(0, &r);
	dp_filter_requests(&c);
	dp_filter_housekeeping(&c);
	assert_int_equal(c.states->count, 90);
	dp_filter_housekeeping(&c);
	assert_int_equal(c.states->count, 90);	/* at the reserve: waits, never blocks */
	assert_int_equal(dp_done_poll(dp, &d, 1), 0);
	ev = calloc(n + 100, sizeof(*ev));
	assert_non_null(ev);
	assert_int_equal(events(ev, n + 100), n + 10);
	run_slices(&c, &d);
	assert_int_equal(d.result, 100);
	assert_int_equal(events(ev, n + 100), 90);
	assert_int_equal(c.st->sev_ring_full, 0);
	assert_int_equal(c.st->sev[DP_SEV_DELETE], 100);
	free(ev);
	clear_table(&c);
}

/* ---- flow control ---- */

static void
test_flow_control(void **state)
{
	struct dp_wctx c;
	struct dp_req r;
	struct dp_done d[64];
	unsigned int i, got = 0, polls = 0;

	(void)state;
	wctx(&c, 1, 100);
	apply_req(1, 1, 0, 0, &r);	/* refused quickly: creatorid 0 */
	for (i = 0; i < DP_REQ_INFLIGHT; i++)
		post(1, &r);
	assert_int_equal(dp_req_post(dp, 1, &r), -ENOBUFS);
	assert_int_equal(dp->stats[DP_CTL_WORKER].req_full, 1);
	/* The other worker is not held up by this one. */
	post(0, &r);
	r.kind = DP_REQ_MAX;
	assert_int_equal(dp_req_post(dp, 0, &r), -EINVAL);
	r.kind = DP_REQ_APPLY;
	assert_int_equal(dp_req_post(dp, 2, &r), -EINVAL);
	/* DP_REQ_APPLY_BURST a poll; every completion finds room. */
	while (got < DP_REQ_INFLIGHT + 1) {
		unsigned int left = DP_REQ_INFLIGHT - polls * DP_REQ_APPLY_BURST;

		/* What it took, so that the worker loop does not sleep on more. */
		assert_int_equal(dp_filter_requests(&c), RTE_MIN(left, (unsigned int)DP_REQ_APPLY_BURST));
		polls++;
		if (polls == 1) {
			struct dp_wctx c0;

			wctx(&c0, 0, 100);
			assert_int_equal(dp_filter_requests(&c0), 1);
		}
		got += dp_done_poll(dp, d, 64);
		assert_true(polls < 100);
	}
	assert_int_equal(polls, (DP_REQ_INFLIGHT + DP_REQ_APPLY_BURST - 1) / DP_REQ_APPLY_BURST);
	assert_int_equal(dp_req_inflight(dp, 0), 0);
	assert_int_equal(dp_req_inflight(dp, 1), 0);
	assert_int_equal(dp_filter_requests(&c), 0);	/* an empty ring: nothing */
	post(1, &r);
	dp_filter_requests(&c);
	assert_int_equal(dp_done_poll(dp, d, 64), 1);
}

/* ---- the update hook ---- */

static void
test_update_events(void **state)
{
	struct dp_wctx c;
	struct dp_sev ev[8];
	struct dp_state *st, *quiet;
	uint16_t before;
	unsigned int i, max;

	(void)state;
	wctx(&c, 0, 100);
	clear_table(&c);
	dp->sev_maxupd = 4;
	st = local_state(&c, 1, 0);
	quiet = local_state(&c, 2, DP_STF_NOSYNC);
	/* Same levels: one event every maxupd updates. */
	for (i = 0; i < 3; i++)
		dp_state_event_update(&c, st, dp_state_levels(st));
	assert_int_equal(events(ev, 8), 0);
	dp_state_event_update(&c, st, dp_state_levels(st));
	assert_int_equal(events(ev, 8), 1);
	assert_int_equal(ev[0].kind, DP_SEV_UPDATE);
	assert_int_equal(ev[0].pos, dp_state_pos(c.states, st));
	/* A level change: at once, and the count starts over. */
	dp_state_event_update(&c, st, dp_state_levels(st));
	before = dp_state_levels(st);
	st->track.peer[1].state = PF_PEER_SINGLE;
	dp_state_event_update(&c, st, before);
	assert_int_equal(events(ev, 8), 1);
	assert_int_equal(st->sync_upd, 0);
	/* A no-sync state never makes one; the filter counts them. */
	for (i = 0; i < 8; i++)
		dp_state_event_update(&c, quiet, dp_state_levels(quiet));
	assert_int_equal(events(ev, 8), 0);
	assert_int_equal(c.st->sev_nosync, 2);
	/* maxupd 0: every update (OpenBSD's range is 0-255). */
	dp->sev_maxupd = 0;
	for (i = 0; i < 3; i++)
		dp_state_event_update(&c, st, dp_state_levels(st));
	assert_int_equal(events(ev, 8), 3);
	dp->sev_maxupd = DP_SEV_MAXUPD_DEFAULT;

	/* A full ring is counted, never waited on. */
	max = DP_SEV_RING_SIZE - 1;
	for (i = 0; i < max + 5; i++)
		dp_state_event(&c, st, DP_SEV_UPDATE);
	assert_int_equal(c.st->sev_ring_full, 5);
	assert_int_equal(c.st->sev[DP_SEV_UPDATE], 5 + max);	/* 5 above */
	{
		struct dp_sev *all = calloc(max, sizeof(*all));

		assert_non_null(all);
		assert_int_equal(events(all, max), max);
		free(all);
	}
	assert_int_equal(dp->stats[DP_CTL_WORKER].sev_taken >= max, 1);
	assert_string_equal(dp_sev_name(DP_SEV_DELETE), "delete");
	assert_string_equal(dp_req_name(DP_REQ_FLUSH), "flush");
	assert_string_equal(dp_req_name(DP_REQ_MAX), "?");
	clear_table(&c);
}

/* ---- RELEASE, and the worker's side of defer (defer_stage.h) ---- */

/* A 60-byte Ethernet + IPv4 + UDP packet to dst (host order). */
static struct rte_mbuf *
defer_pkt(struct rte_mempool *mp, uint32_t dst, bool l2_group)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;
	uint32_t d = rte_cpu_to_be_32(dst);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 60);
	p[0] = l2_group ? 0x01 : 0x02;		/* group bit of the destination MAC */
	p[12] = 0x08;
	p[14] = 0x45;
	memcpy(p + 14 + 16, &d, 4);
	memset(dp_meta(m), 0, sizeof(struct dp_mbuf_meta));
	dp_meta(m)->l3_off = 14;
	dp_meta(m)->af = 4;
	return m;
}

static struct dp_sev
defer_event(void)
{
	struct dp_sev ev[4];

	assert_int_equal(events(ev, 4), 1);
	assert_int_equal(ev[0].kind, DP_SEV_INSERT);
	return ev[0];
}

static void
release_req(unsigned int w, const struct dp_sev *ev, struct dp_req *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = DP_REQ_RELEASE;
	r->tag = 77;
	r->u.release.id = ev->id;
	r->u.release.creatorid = ev->creatorid;
	post(w, r);
}

/*
 * A first packet held, released by the RELEASE request (the peer's ack)
 * with the state's flag cleared; another released by the timeout on the
 * worker's clock; one dropped when its state is removed (a peer's DELETE);
 * none held for a no-sync state or a group destination; an ack for
 * nothing held answers -ENOENT.
 */
static void
test_defer(void **state)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("test_defer", 63, 0, DP_MBUF_PRIV,
							  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct dp_defer *q = dp->workers[0].defer;
	struct rte_mbuf *m, *out[4];
	struct dp_state *st;
	struct dp_sev ev;
	struct dp_req r;
	struct dp_done d;
	struct dp_wctx c;
	unsigned int avail;

	(void)state;
	assert_non_null(mp);
	assert_non_null(q);
	avail = rte_mempool_avail_count(mp);
	wctx(&c, 0, 100);
	clear_table(&c);
	c.tsc = rte_rdtsc();

	/* Held; the INSERT event says so; released by the ack. */
	st = local_state(&c, 1, 0);
	m = defer_pkt(mp, 0xc6130001u, false);
	assert_true(dp_defer_first(&c, m, st));
	assert_true(st->flags & DP_STF_DEFER);
	ev = defer_event();
	assert_int_equal(ev.flags, DP_SEV_F_DEFER);
	assert_int_equal(dp_defer_live(q), 1);
	assert_int_equal(dp_defer_poll(&c, out, 4), 0);		/* not yet */
	release_req(0, &ev, &r);
	dp_filter_requests(&c);
	d = done1();
	assert_int_equal(d.kind, DP_REQ_RELEASE);
	assert_int_equal(d.result, 0);
	assert_int_equal(d.tag, 77);
	assert_false(st->flags & DP_STF_DEFER);
	assert_int_equal(dp_defer_poll(&c, out, 4), 1);
	assert_ptr_equal(out[0], m);
	rte_pktmbuf_free(m);
	/* The same ack again: nothing held. */
	release_req(0, &ev, &r);
	dp_filter_requests(&c);
	assert_int_equal(done1().result, -ENOENT);
	assert_int_equal(q->stats[DP_DEFER_S_ACK_UNKNOWN], 1);

	/* No ack: released when the worker's clock passes the timeout. */
	st = local_state(&c, 2, 0);
	m = defer_pkt(mp, 0xc6130002u, false);
	assert_true(dp_defer_first(&c, m, st));
	(void)defer_event();
	c.tsc += dp_clock_tsc_of_us(&dp->clock, DP_DEFER_TIMEOUT_US - 1000);
	assert_int_equal(dp_defer_poll(&c, out, 4), 0);
	c.tsc += dp_clock_tsc_of_us(&dp->clock, 2000);
	assert_int_equal(dp_defer_poll(&c, out, 4), 1);
	assert_ptr_equal(out[0], m);
	assert_false(st->flags & DP_STF_DEFER);
	assert_int_equal(q->stats[DP_DEFER_S_TIMEOUT], 1);
	rte_pktmbuf_free(m);

	/* The state removed while its packet waits (a peer's DELETE): dropped. */
	st = local_state(&c, 3, 0);
	m = defer_pkt(mp, 0xc6130003u, false);
	assert_true(dp_defer_first(&c, m, st));
	ev = defer_event();
	memset(&r, 0, sizeof(r));
	r.kind = DP_REQ_DELETE;
	r.u.del.id = ev.id;
	r.u.del.creatorid = ev.creatorid;
	post(0, &r);
	dp_filter_requests(&c);
	assert_int_equal(done1().result, 0);
	assert_int_equal(q->stats[DP_DEFER_S_DELETED], 1);
	assert_int_equal(dp_defer_live(q), 0);
	assert_int_equal(dp_defer_poll(&c, out, 4), 0);

	/* Never held: a no-sync state, a multicast or broadcast destination. */
	st = local_state(&c, 4, DP_STF_NOSYNC);
	m = defer_pkt(mp, 0xc6130004u, false);
	assert_false(dp_defer_first(&c, m, st));
	rte_pktmbuf_free(m);
	st = local_state(&c, 5, 0);
	m = defer_pkt(mp, 0xe0000005u, false);		/* 224.0.0.5 */
	assert_false(dp_defer_first(&c, m, st));
	rte_pktmbuf_free(m);
	st = local_state(&c, 6, 0);
	m = defer_pkt(mp, 0xc6130006u, true);		/* link-layer group */
	assert_false(dp_defer_first(&c, m, st));
	rte_pktmbuf_free(m);
	st = local_state(&c, 7, 0);
	m = defer_pkt(mp, 0xffffffffu, false);
	assert_false(dp_defer_first(&c, m, st));
	rte_pktmbuf_free(m);
	/* Their INSERT events went out, without the flag. */
	{
		struct dp_sev evs[8];
		unsigned int i, n = events(evs, 8);

		assert_int_equal(n, 3);
		for (i = 0; i < n; i++)
			assert_int_equal(evs[i].flags, 0);
	}
	assert_int_equal(q->stats[DP_DEFER_S_HELD], 3);
	/* Every mbuf came back: none leaked, none freed twice. */
	assert_int_equal(rte_mempool_avail_count(mp), avail);
	clear_table(&c);
	memset(q->stats, 0, sizeof(q->stats));
	rte_mempool_free(mp);
}

/*
 * `state kill` selectors: every condition given must hold, so a key given
 * twice is refused (it used to replace the first: `proto tcp proto udp`
 * killed every UDP state); different keys combine.
 */
static void
test_sel_parse(void **state)
{
	char *twice_proto[] = { "proto", "tcp", "proto", "udp" };
	char *twice_host[] = { "host", "10.0.0.1", "proto", "tcp", "host", "10.0.0.2" };
	char *twice_rule[] = { "rule", "1", "rule", "1" };
	char *both[] = { "proto", "tcp", "from", "10.0.0.0/8" };
	char *all[] = { "all" };
	char *odd[] = { "proto" };
	char *unknown[] = { "bogus", "1", "bogus", "1" };
	struct dp_state_sel sel;
	const char *why;

	(void)state;
	why = filter_sel_parse(4, twice_proto, &sel);
	assert_non_null(why);
	assert_non_null(strstr(why, "twice"));
	assert_non_null(filter_sel_parse(6, twice_host, &sel));
	assert_non_null(filter_sel_parse(4, twice_rule, &sel));
	assert_null(filter_sel_parse(4, both, &sel));
	assert_int_equal(sel.proto, 6);
	assert_true(sel.has_src);
	assert_false(sel.all);
	assert_null(filter_sel_parse(1, all, &sel));
	assert_true(sel.all);
	assert_non_null(filter_sel_parse(1, odd, &sel));
	why = filter_sel_parse(4, unknown, &sel);
	assert_non_null(why);
	assert_non_null(strstr(why, "unknown"));
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = {
		argc > 0 ? argv[0] : (char *)"test_filter_cmd",
		(char *)"--no-huge", (char *)"-m", (char *)"256", (char *)"--no-shconf",
		(char *)"--no-pci", (char *)"--no-telemetry", (char *)"-l", (char *)"0",
		(char *)"--log-level=4", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_kill_slices),
		cmocka_unit_test(test_kill_paced),
		cmocka_unit_test(test_flow_control),
		cmocka_unit_test(test_update_events),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_sel_parse),
	};
	int rc;

	if (rte_eal_init((int)(RTE_DIM(eal_argv) - 1), eal_argv) < 0) {
		printf("Bail out! rte_eal_init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests_name("filter_cmd", tests, setup, teardown);
	rte_eal_cleanup();
	return rc;
}
