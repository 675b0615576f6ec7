/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CARP state machine alone (control/carp/carp_fsm.c): every decision rule of
 * OpenBSD ip_carp.c carp_proto_input_c as a table, the timer arithmetic of 2.2, master-down per
 * address family, the second announcement after two adverts (2.7), bow-out
 * and stop (2.6), forced state, and demotion-triggered adverts (2.5).
 * Expected values are worked out by hand from the reference, not from the
 * code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/carp/carp_fsm.h"

#define T0 1000000ull		/* an arbitrary start time, µs */

static void
test_interval(void **state)
{
	(void)state;
	assert_int_equal(carp_fsm_interval(1, 0), 1000000);
	/* advskew 100 -> 390625 µs [OpenBSD ip_carp.c carp_setrun]. */
	assert_int_equal(carp_fsm_interval(1, 100), 1390625);
	assert_int_equal(carp_fsm_interval(0, 100), 390625);
	/* Integer division: 1e6 / 256 = 3906.25 -> 3906. */
	assert_int_equal(carp_fsm_interval(0, 1), 3906);
	/* 0 becomes 1/256 s. */
	assert_int_equal(carp_fsm_interval(0, 0), 3906);
	assert_int_equal(carp_fsm_interval(0, 16), 62500);
	assert_int_equal(carp_fsm_interval(255, 254), 255000000ull + 992187);
	/* Master-down: three whole intervals (OpenBSD, not FreeBSD's 3*advbase+skew). */
	assert_int_equal(carp_fsm_master_down(1, 0), 3000000);
	assert_int_equal(carp_fsm_master_down(1, 100), 4171875);
	assert_int_equal(carp_fsm_master_down(0, 16), 187500);
	assert_int_equal(carp_fsm_master_down(0, 0), 11718);
}

static void
test_tvcmp(void **state)
{
	(void)state;
	assert_true(carp_fsm_tvcmp(1, 0, 1, 0) == 0);
	assert_true(carp_fsm_tvcmp(1, 0, 1, 1) < 0);
	assert_true(carp_fsm_tvcmp(1, 255, 2, 0) < 0);	/* advbase dominates */
	assert_true(carp_fsm_tvcmp(2, 0, 1, 255) > 0);
	assert_true(carp_fsm_tvcmp(0, 200, 1, 0) < 0);
	assert_true(carp_fsm_tvcmp(255, 255, 255, 254) > 0);
}

/* One received advert: starting state and timing, the advert, the outcome. */
struct input_case {
	const char *name;
	uint8_t state;			/* MASTER, BACKUP or INIT */
	uint8_t base, skew;		/* ours */
	uint8_t tbase, tskew, tdemote;	/* theirs */
	uint8_t our_demote;
	bool preempt;
	uint8_t want;			/* state after */
	const char *reason;		/* NULL: no transition */
};

static const struct input_case input_cases[] = {
	/* MASTER: yield if (ours >= theirs && D_theirs <= D_ours) || D_theirs < D_ours. */
	{ "master, slower peer: stay", CARP_ST_MASTER, 1, 0, 1, 100, 0, 0, false,
	  CARP_ST_MASTER, NULL },
	{ "master, faster peer: yield", CARP_ST_MASTER, 1, 100, 1, 0, 0, 0, false,
	  CARP_ST_BACKUP, "more frequent advertisement received" },
	{ "master, exact tie: the receiver yields", CARP_ST_MASTER, 1, 0, 1, 0, 0, 0, false,
	  CARP_ST_BACKUP, "more frequent advertisement received" },
	{ "master, advbase dominates advskew", CARP_ST_MASTER, 2, 0, 1, 255, 0, 0, false,
	  CARP_ST_BACKUP, "more frequent advertisement received" },
	{ "master, sub-second ours beats 1 s theirs", CARP_ST_MASTER, 0, 200, 1, 0, 0, 0, false,
	  CARP_ST_MASTER, NULL },
	{ "master, slower but less demoted peer: yield", CARP_ST_MASTER, 1, 0, 1, 100, 0, 1,
	  false, CARP_ST_BACKUP, "less demoted advertisement received" },
	{ "master, faster but more demoted peer: stay", CARP_ST_MASTER, 1, 100, 1, 0, 1, 0,
	  false, CARP_ST_MASTER, NULL },
	{ "master, tie but more demoted peer: stay", CARP_ST_MASTER, 1, 0, 1, 0, 2, 1, false,
	  CARP_ST_MASTER, NULL },
	{ "master, equal demotion, faster peer: yield", CARP_ST_MASTER, 1, 50, 1, 10, 3, 3,
	  false, CARP_ST_BACKUP, "more frequent advertisement received" },
	{ "master, bow-out of another node: stay", CARP_ST_MASTER, 1, 0, 255, 255, 0, 0, false,
	  CARP_ST_MASTER, NULL },
	/* BACKUP rule 1: preempt && ours < theirs && D_theirs >= D_ours. */
	{ "backup, preempt, slower master: take over", CARP_ST_BACKUP, 1, 0, 1, 100, 0, 0, true,
	  CARP_ST_MASTER, "preempting a slower master" },
	{ "backup, no preempt, slower master: stay", CARP_ST_BACKUP, 1, 0, 1, 100, 0, 0, false,
	  CARP_ST_BACKUP, NULL },
	{ "backup, preempt, equal timing: stay", CARP_ST_BACKUP, 1, 0, 1, 0, 0, 0, true,
	  CARP_ST_BACKUP, NULL },
	{ "backup, preempt, slower but less demoted master: stay", CARP_ST_BACKUP, 1, 0, 1, 100,
	  0, 1, true, CARP_ST_BACKUP, NULL },
	{ "backup, preempt, slower master as demoted as we are", CARP_ST_BACKUP, 1, 0, 1, 100, 5,
	  5, true, CARP_ST_MASTER, "preempting a slower master" },
	/* Rule 2: D_theirs > D_ours, regardless of preempt and timing. */
	{ "backup, faster but more demoted master: take over", CARP_ST_BACKUP, 1, 100, 1, 0, 1, 0,
	  false, CARP_ST_MASTER, "master is more demoted" },
	{ "backup, more demoted master, preempt on", CARP_ST_BACKUP, 1, 100, 1, 0, 255, 254, true,
	  CARP_ST_MASTER, "master is more demoted" },
	{ "backup, less demoted master: stay", CARP_ST_BACKUP, 1, 100, 1, 0, 0, 1, true,
	  CARP_ST_BACKUP, NULL },
	/* Rule 3: advbase != 0 && (3*advbase, our skew) < theirs. */
	{ "backup, bow-out advert: take over", CARP_ST_BACKUP, 1, 100, 255, 255, 0, 0, false,
	  CARP_ST_MASTER, "master bowed out" },
	{ "backup, bow-out with advbase 85 (255 s < 255.996 s)", CARP_ST_BACKUP, 85, 254, 255,
	  255, 0, 0, false, CARP_ST_MASTER, "master bowed out" },
	{ "backup, bow-out with advbase 86 (258 s): wait", CARP_ST_BACKUP, 86, 0, 255, 255, 0, 0,
	  false, CARP_ST_BACKUP, NULL },
	{ "backup, advbase 0: rule 3 off, bow-out waits for master-down", CARP_ST_BACKUP, 0, 16,
	  255, 255, 0, 0, false, CARP_ST_BACKUP, NULL },
	{ "backup, advbase 0 with preempt: bow-out taken by rule 1", CARP_ST_BACKUP, 0, 16, 255,
	  255, 0, 0, true, CARP_ST_MASTER, "preempting a slower master" },
	{ "backup, master slower than our master-down", CARP_ST_BACKUP, 1, 100, 5, 0, 0, 0, false,
	  CARP_ST_MASTER, "master will time out" },
	{ "backup, master just inside our master-down", CARP_ST_BACKUP, 1, 100, 3, 50, 0, 0,
	  false, CARP_ST_BACKUP, NULL },
	/* INIT ignores adverts. */
	{ "init ignores adverts", CARP_ST_INIT, 1, 0, 255, 255, 9, 0, true, CARP_ST_INIT, NULL },
};

/* Puts f in `state` at T0 by the public calls. */
static void
fsm_in(struct carp_fsm *f, uint8_t state, uint8_t base, uint8_t skew)
{
	struct carp_fsm_act act;

	carp_fsm_init(f, base, skew, true, false);
	if (state == CARP_ST_INIT)
		return;
	carp_fsm_start(f, T0, &act);
	if (state == CARP_ST_MASTER)
		carp_fsm_force(f, T0, CARP_ST_MASTER, &act);
	assert_int_equal(f->state, state);
}

static void
test_input_rules(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(input_cases) / sizeof(input_cases[0]); i++) {
		const struct input_case *c = &input_cases[i];
		const uint64_t now = T0 + 500000;
		struct carp_fsm f;
		struct carp_fsm_act act;

		print_message("# %s\n", c->name);
		fsm_in(&f, c->state, c->base, c->skew);
		carp_fsm_input(&f, now, CARP_FSM_AF4, c->tbase, c->tskew, c->tdemote,
			       c->our_demote, c->preempt, &act);
		assert_int_equal(f.state, c->want);
		if (c->reason == NULL) {
			assert_false(act.flags & CARP_ACT_STATE);
			if (c->state == CARP_ST_BACKUP) {
				/* Silent; the advert re-armed master-down. */
				assert_int_equal(act.flags, 0);
				assert_int_equal(carp_fsm_next(&f),
						 now + carp_fsm_master_down(c->base, c->skew));
			} else if (c->state == CARP_ST_MASTER) {
				/* A worse master: answered at once, once an interval. */
				assert_int_equal(act.flags, CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
				assert_int_equal(carp_fsm_next(&f),
						 now + carp_fsm_interval(c->base, c->skew));
				carp_fsm_input(&f, now + 1, CARP_FSM_AF4, c->tbase, c->tskew,
					       c->tdemote, c->our_demote, c->preempt, &act);
				assert_int_equal(act.flags, 0);
				carp_fsm_input(&f, now + carp_fsm_interval(c->base, c->skew),
					       CARP_FSM_AF4, c->tbase, c->tskew, c->tdemote,
					       c->our_demote, c->preempt, &act);
				assert_int_equal(act.flags, CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
				assert_int_equal(f.state, CARP_ST_MASTER);
			} else {
				assert_int_equal(act.flags, 0);
			}
			continue;
		}
		assert_true(act.flags & CARP_ACT_STATE);
		assert_int_equal(act.from, c->state);
		assert_int_equal(act.to, c->want);
		assert_string_equal(act.reason, c->reason);
		if (c->want == CARP_ST_MASTER) {
			/* carp_master_down: an advert and the announcement at once. */
			assert_int_equal(act.flags, CARP_ACT_STATE | CARP_ACT_ADVERT |
					 CARP_ACT_ANNOUNCE);
			assert_int_equal(carp_fsm_next(&f),
					 now + carp_fsm_interval(c->base, c->skew));
		} else {
			/* To BACKUP: silent, master-down armed. */
			assert_int_equal(act.flags, CARP_ACT_STATE);
			assert_int_equal(f.ad_due, CARP_FSM_NEVER);
			assert_int_equal(carp_fsm_next(&f),
					 now + carp_fsm_master_down(c->base, c->skew));
		}
	}
}

static void
test_start_and_master_down(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;
	uint64_t md = carp_fsm_master_down(1, 100);

	(void)state;
	carp_fsm_init(&f, 1, 100, true, false);
	assert_int_equal(f.state, CARP_ST_INIT);
	assert_int_equal(carp_fsm_next(&f), CARP_FSM_NEVER);
	carp_fsm_timer(&f, T0, &act);
	assert_int_equal(act.flags, 0);

	carp_fsm_start(&f, T0, &act);
	assert_int_equal(act.flags, CARP_ACT_STATE);	/* no advert from INIT */
	assert_int_equal(act.from, CARP_ST_INIT);
	assert_int_equal(act.to, CARP_ST_BACKUP);
	assert_string_equal(act.reason, "initialization complete");
	assert_int_equal(carp_fsm_next(&f), T0 + md);
	carp_fsm_start(&f, T0 + 1, &act);		/* not in INIT: nothing */
	assert_int_equal(act.flags, 0);

	carp_fsm_timer(&f, T0 + md - 1, &act);
	assert_int_equal(act.flags, 0);
	assert_int_equal(f.state, CARP_ST_BACKUP);
	carp_fsm_timer(&f, T0 + md, &act);
	assert_int_equal(act.flags, CARP_ACT_STATE | CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
	assert_string_equal(act.reason, "master timed out");
	assert_int_equal(f.state, CARP_ST_MASTER);
	assert_int_equal(carp_fsm_next(&f), T0 + md + 1390625);
}

static void
test_advert_timer_and_second_announcement(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;
	uint64_t t = T0, iv = carp_fsm_interval(0, 16);

	(void)state;
	fsm_in(&f, CARP_ST_MASTER, 0, 16);
	assert_int_equal(carp_fsm_next(&f), t + iv);
	carp_fsm_timer(&f, t + iv - 1, &act);
	assert_int_equal(act.flags, 0);
	/* First periodic advert after the takeover: no announcement. */
	t += iv;
	carp_fsm_timer(&f, t, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	assert_int_equal(carp_fsm_next(&f), t + iv);
	/* Second: the delayed announcement goes with it. */
	t += iv;
	carp_fsm_timer(&f, t, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
	/* Then never again until the next takeover. */
	t += iv;
	carp_fsm_timer(&f, t, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	/* A late poll re-arms from the time it ran, as OpenBSD's timeout does. */
	t += 5 * iv;
	carp_fsm_timer(&f, t, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	assert_int_equal(carp_fsm_next(&f), t + iv);
}

static void
test_advertise_now(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;
	uint64_t iv = carp_fsm_interval(1, 0);

	(void)state;
	fsm_in(&f, CARP_ST_BACKUP, 1, 0);
	carp_fsm_advertise_now(&f, T0 + 10, &act);
	assert_int_equal(act.flags, 0);			/* a backup stays silent */
	carp_fsm_force(&f, T0 + 10, CARP_ST_MASTER, &act);
	/* Demotion changed: advert now, timer re-armed; it does not count as
	 * one of the two adverts before the second announcement, which the
	 * timer's second advert carries. */
	carp_fsm_advertise_now(&f, T0 + 20, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	assert_int_equal(carp_fsm_next(&f), T0 + 20 + iv);
	carp_fsm_advertise_now(&f, T0 + 30, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	carp_fsm_timer(&f, T0 + 30 + iv, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
	carp_fsm_timer(&f, T0 + 30 + 2 * iv, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
	carp_fsm_timer(&f, T0 + 30 + 3 * iv, &act);
	assert_int_equal(act.flags, CARP_ACT_ADVERT);
}

static void
test_master_down_per_af(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;
	uint64_t md = carp_fsm_master_down(1, 0);

	(void)state;
	/* Both families: a v4 advert re-arms only the v4 timer; v6 expiry wins. */
	carp_fsm_init(&f, 1, 0, true, true);
	carp_fsm_start(&f, T0, &act);
	carp_fsm_input(&f, T0 + md / 2, CARP_FSM_AF4, 1, 100, 0, 0, false, &act);
	assert_int_equal(f.md_due[CARP_FSM_AF4], T0 + md / 2 + md);
	assert_int_equal(f.md_due[CARP_FSM_AF6], T0 + md);
	assert_int_equal(carp_fsm_next(&f), T0 + md);
	carp_fsm_timer(&f, T0 + md, &act);
	assert_int_equal(f.state, CARP_ST_MASTER);
	assert_string_equal(act.reason, "master timed out");

	/* IPv4 only: a v6 advert arms nothing and does not postpone v4. */
	carp_fsm_init(&f, 1, 0, true, false);
	carp_fsm_start(&f, T0, &act);
	assert_int_equal(f.md_due[CARP_FSM_AF6], CARP_FSM_NEVER);
	carp_fsm_input(&f, T0 + md / 2, CARP_FSM_AF6, 1, 100, 0, 0, false, &act);
	assert_int_equal(f.md_due[CARP_FSM_AF6], CARP_FSM_NEVER);
	assert_int_equal(carp_fsm_next(&f), T0 + md);

	/* Regular adverts keep a backup a backup indefinitely. */
	carp_fsm_init(&f, 1, 100, true, false);
	carp_fsm_start(&f, T0, &act);
	for (unsigned int i = 1; i <= 100; i++) {
		uint64_t t = T0 + i * 1000000ull;

		carp_fsm_timer(&f, t, &act);
		assert_int_equal(act.flags, 0);
		carp_fsm_input(&f, t, CARP_FSM_AF4, 1, 0, 0, 0, true, &act);
		assert_int_equal(act.flags, 0);
	}
	assert_int_equal(f.state, CARP_ST_BACKUP);
}

static void
test_stop_and_bow_out(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;

	(void)state;
	fsm_in(&f, CARP_ST_MASTER, 1, 0);
	carp_fsm_stop(&f, T0 + 1, true, "user requested down", &act);
	assert_int_equal(act.flags, CARP_ACT_BOWOUT | CARP_ACT_STATE);
	assert_int_equal(act.from, CARP_ST_MASTER);
	assert_int_equal(act.to, CARP_ST_INIT);
	assert_string_equal(act.reason, "user requested down");
	assert_int_equal(carp_fsm_next(&f), CARP_FSM_NEVER);
	/* INIT: adverts and timers do nothing; stop again does nothing. */
	carp_fsm_timer(&f, T0 + 100000000ull, &act);
	assert_int_equal(act.flags, 0);
	carp_fsm_stop(&f, T0 + 2, true, "again", &act);
	assert_int_equal(act.flags, 0);
	/* And it comes back as BACKUP. */
	carp_fsm_start(&f, T0 + 3, &act);
	assert_int_equal(f.state, CARP_ST_BACKUP);

	/* A backup never bows out. */
	fsm_in(&f, CARP_ST_BACKUP, 1, 0);
	carp_fsm_stop(&f, T0 + 1, true, "stopping", &act);
	assert_int_equal(act.flags, CARP_ACT_STATE);
	assert_int_equal(f.state, CARP_ST_INIT);

	/* Parent link down: silently to INIT. */
	fsm_in(&f, CARP_ST_MASTER, 1, 0);
	carp_fsm_stop(&f, T0 + 1, false, "carpdev link down", &act);
	assert_int_equal(act.flags, CARP_ACT_STATE);
	assert_int_equal(f.state, CARP_ST_INIT);
}

static void
test_force(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;

	(void)state;
	carp_fsm_init(&f, 1, 0, true, false);
	carp_fsm_force(&f, T0, CARP_ST_MASTER, &act);	/* INIT: ignored */
	assert_int_equal(act.flags, 0);
	assert_int_equal(f.state, CARP_ST_INIT);

	fsm_in(&f, CARP_ST_BACKUP, 1, 0);
	carp_fsm_force(&f, T0 + 5, CARP_ST_MASTER, &act);
	assert_int_equal(act.flags, CARP_ACT_STATE | CARP_ACT_ADVERT | CARP_ACT_ANNOUNCE);
	assert_string_equal(act.reason, "user requested");
	carp_fsm_force(&f, T0 + 6, CARP_ST_MASTER, &act);	/* already: nothing */
	assert_int_equal(act.flags, 0);
	carp_fsm_force(&f, T0 + 7, CARP_ST_BACKUP, &act);
	assert_int_equal(act.flags, CARP_ACT_STATE);
	assert_int_equal(act.from, CARP_ST_MASTER);
	assert_int_equal(f.ad_due, CARP_FSM_NEVER);
	assert_int_equal(carp_fsm_next(&f), T0 + 7 + carp_fsm_master_down(1, 0));
	/* Not sticky: with nobody advertising, master-down makes it MASTER again. */
	carp_fsm_timer(&f, T0 + 7 + carp_fsm_master_down(1, 0), &act);
	assert_int_equal(f.state, CARP_ST_MASTER);
	/* A forced MASTER yields to a better advert as usual. */
	carp_fsm_set_timing(&f, 1, 100);
	carp_fsm_input(&f, T0 + 10000000ull, CARP_FSM_AF4, 1, 0, 0, 0, false, &act);
	assert_int_equal(f.state, CARP_ST_BACKUP);
}

/*
 * A config reload (control/carp/carp_reload.c): new timing takes effect
 * at the next advert, an address family added to a BACKUP waits a full
 * master-down, one removed is disarmed; the state never changes.
 */
static void
test_reload_timing_and_af(void **state)
{
	struct carp_fsm f;
	struct carp_fsm_act act;
	uint64_t iv = carp_fsm_interval(1, 0), iv2 = carp_fsm_interval(1, 200);

	(void)state;
	fsm_in(&f, CARP_ST_MASTER, 1, 0);
	carp_fsm_timer(&f, T0 + iv, &act);
	assert_int_equal(carp_fsm_next(&f), T0 + 2 * iv);
	carp_fsm_set_timing(&f, 1, 200);
	assert_int_equal(carp_fsm_next(&f), T0 + 2 * iv);	/* this advert as armed */
	assert_int_equal(f.state, CARP_ST_MASTER);
	carp_fsm_timer(&f, T0 + 2 * iv, &act);
	assert_true(act.flags & CARP_ACT_ADVERT);
	assert_int_equal(carp_fsm_next(&f), T0 + 2 * iv + iv2);	/* the next at the new pace */
	carp_fsm_set_af(&f, T0 + 3 * iv, true, true);		/* MASTER: no timer */
	assert_int_equal(f.state, CARP_ST_MASTER);
	assert_int_equal(f.md_due[CARP_FSM_AF6], CARP_FSM_NEVER);

	fsm_in(&f, CARP_ST_BACKUP, 1, 0);
	assert_int_equal(f.md_due[CARP_FSM_AF6], CARP_FSM_NEVER);
	carp_fsm_set_af(&f, T0 + 50, true, true);
	assert_int_equal(f.md_due[CARP_FSM_AF6], T0 + 50 + carp_fsm_master_down(1, 0));
	carp_fsm_set_af(&f, T0 + 60, false, true);
	assert_int_equal(f.md_due[CARP_FSM_AF4], CARP_FSM_NEVER);
	assert_int_equal(f.state, CARP_ST_BACKUP);
	carp_fsm_set_af(&f, T0 + 70, false, true);		/* unchanged: no re-arm */
	assert_int_equal(f.md_due[CARP_FSM_AF6], T0 + 50 + carp_fsm_master_down(1, 0));
}

static void
test_vhid_map(void **state)
{
	const uint32_t old[] = { 0x001, 0x002, 0x101 };	/* lan 1, lan 2, wan 1 */
	const uint32_t cur[] = { 0x101, 0x003, 0x001 };	/* wan 1, lan 3 (new), lan 1 */
	int from[3];

	(void)state;
	assert_int_equal(carp_vhid_map(old, 3, cur, 3, from), 2);
	assert_int_equal(from[0], 2);
	assert_int_equal(from[1], -1);
	assert_int_equal(from[2], 0);
	assert_int_equal(carp_vhid_map(old, 3, NULL, 0, from), 0);	/* all removed */
	assert_int_equal(carp_vhid_map(NULL, 0, cur, 1, from), 0);	/* all new */
	assert_int_equal(from[0], -1);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(carp_state_name(CARP_ST_INIT), "INIT");
	assert_string_equal(carp_state_name(CARP_ST_BACKUP), "BACKUP");
	assert_string_equal(carp_state_name(CARP_ST_MASTER), "MASTER");
	assert_string_equal(carp_state_name(CARP_ST_MAX), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_tvcmp),
		cmocka_unit_test(test_input_rules),
		cmocka_unit_test(test_start_and_master_down),
		cmocka_unit_test(test_advert_timer_and_second_announcement),
		cmocka_unit_test(test_advertise_now),
		cmocka_unit_test(test_master_down_per_af),
		cmocka_unit_test(test_stop_and_bow_out),
		cmocka_unit_test(test_force),
		cmocka_unit_test(test_reload_timing_and_af),
		cmocka_unit_test(test_vhid_map),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("carp_fsm", tests, NULL, NULL);
}
