/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pfsync bulk requester (control/pfsync/pfsync_bulk.c) with an injected
 * clock: each scenario is a list of (time, event) steps with the state,
 * the requests sent and the demotion held expected after each.  The rules
 * are OpenBSD's [if_pfsync.c pfsync_bulk_req_evt]: +32 from start until
 * BUS END or a timeout, a request every 2 s for 12 tries, 30 s for the
 * link, +1 while the link is down.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "control/pfsync/pfsync_bulk.h"

#define S 1000000ULL
#define TICK 99		/* not an event: call pfsync_bulk_tick() */

struct step {
	uint64_t t;		/* microseconds */
	int ev;			/* enum pfsync_bulk_evt, or TICK */
	uint8_t state;		/* expected after the step */
	unsigned int reqs;	/* requests sent so far */
	int demote;		/* demotion held so far */
};

struct scenario {
	const char *name;
	struct step steps[24];
};

#define B(x) PFSYNC_BULK_##x
#define E(x) PFSYNC_BULK_EV_##x
static const struct scenario scenarios[] = {
	{ "start, link up, bulk, end", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 1 * S, E(LINK_UP), B(SENT), 1, 32 },
		{ 1 * S + 500, E(BUS_START), B(BULK), 1, 32 },
		{ 3 * S, E(BUS_END), B(DONE), 1, 0 },
		{ 100 * S, TICK, B(DONE), 1, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "empty peer: a lone BUS END ends the wait", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 10, E(BUS_END), B(DONE), 1, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "no answer: 12 requests 2 s apart, then done (timed out)", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 1 * S, TICK, B(SENT), 1, 32 },
		{ 2 * S, TICK, B(SENT), 2, 32 },
		{ 4 * S, TICK, B(SENT), 3, 32 },
		{ 6 * S, TICK, B(SENT), 4, 32 },
		{ 8 * S, TICK, B(SENT), 5, 32 },
		{ 10 * S, TICK, B(SENT), 6, 32 },
		{ 12 * S, TICK, B(SENT), 7, 32 },
		{ 14 * S, TICK, B(SENT), 8, 32 },
		{ 16 * S, TICK, B(SENT), 9, 32 },
		{ 18 * S, TICK, B(SENT), 10, 32 },
		{ 20 * S, TICK, B(SENT), 11, 32 },
		{ 22 * S, TICK, B(SENT), 12, 32 },
		{ 24 * S - 1, TICK, B(SENT), 12, 32 },
		{ 24 * S, TICK, B(DONE), 12, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "link never comes: done after 30 s", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 29 * S, TICK, B(START), 0, 32 },
		{ 30 * S, TICK, B(DONE), 0, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "bulk that never ends times out", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 1 * S, E(BUS_START), B(BULK), 1, 32 },
		/* 1000 states, MTU 1500: 4 x (1000 / 5 / 50) = 16 s. */
		{ 17 * S - 1, TICK, B(BULK), 1, 32 },
		{ 17 * S, TICK, B(DONE), 1, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "link flaps after the bulk: +1 while down, a new request, no +32", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 1, E(BUS_END), B(DONE), 1, 0 },
		{ 10 * S, E(LINK_DOWN), B(DONE), 1, 1 },
		{ 11 * S, E(LINK_DOWN), B(DONE), 1, 1 },
		{ 20 * S, E(LINK_UP), B(SENT), 2, 0 },
		{ 20 * S + 1, E(BUS_START), B(BULK), 2, 0 },
		{ 21 * S, E(BUS_END), B(DONE), 2, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "events out of place change nothing", {
		{ 0, E(BUS_START), B(NONE), 0, 0 },
		{ 0, E(BUS_END), B(NONE), 0, 0 },
		{ 0, E(LINK_DOWN), B(NONE), 0, 0 },
		{ 0, E(UP), B(START), 0, 32 },
		{ 1, E(UP), B(START), 0, 32 },
		{ 2, E(BUS_END), B(START), 0, 32 },
		{ 3, E(LINK_UP), B(SENT), 1, 32 },
		{ 4, E(LINK_UP), B(SENT), 1, 32 },
		{ 0, -1, 0, 0, 0 } } },
	{ "a lossy bulk is asked again, demoted, at most twice", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 1 * S, E(BUS_START), B(BULK), 1, 32 },
		{ 2 * S, E(RETRY), B(SENT), 2, 32 },
		{ 2 * S + 1, E(RETRY), B(SENT), 2, 32 },	/* only from BULK */
		{ 3 * S, E(BUS_START), B(BULK), 2, 32 },
		{ 4 * S, E(RETRY), B(SENT), 3, 32 },
		{ 5 * S, E(BUS_START), B(BULK), 3, 32 },
		{ 6 * S, E(RETRY), B(BULK), 3, 32 },	/* retries spent */
		{ 7 * S, E(BUS_END), B(DONE), 3, 0 },
		{ 0, -1, 0, 0, 0 } } },
	{ "a retry that goes unanswered times out like a request", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 0, E(LINK_UP), B(SENT), 1, 32 },
		{ 1 * S, E(BUS_START), B(BULK), 1, 32 },
		{ 2 * S, E(RETRY), B(SENT), 2, 32 },
		{ 4 * S, TICK, B(SENT), 3, 32 },
		{ 0, -1, 0, 0, 0 } } },
	{ "down releases every demotion", {
		{ 0, E(UP), B(START), 0, 32 },
		{ 1, E(LINK_DOWN), B(START), 0, 33 },
		{ 2, E(DOWN), B(NONE), 0, 0 },
		{ 0, -1, 0, 0, 0 } } },
};
#undef B
#undef E

static void
test_scenario(void **state)
{
	const struct scenario *sc = *state;
	struct pfsync_bulk b;
	unsigned int reqs = 0;
	int demote = 0;

	pfsync_bulk_init(&b, pfsync_bulk_timeout_us(1000, 1500));
	for (const struct step *st = sc->steps; st->ev >= 0; st++) {
		struct pfsync_bulk_act act;

		if (st->ev == TICK)
			pfsync_bulk_tick(&b, st->t, &act);
		else
			pfsync_bulk_event(&b, (enum pfsync_bulk_evt)st->ev, st->t, &act);
		reqs += act.send_req;
		demote += act.demote;
		print_message("# t=%llu %s -> %s reqs %u demote %d\n",
			      (unsigned long long)st->t,
			      st->ev == TICK ? "tick" : pfsync_bulk_evt_name((unsigned int)st->ev),
			      pfsync_bulk_state_name(b.state), reqs, demote);
		assert_int_equal(b.state, st->state);
		assert_int_equal(act.to, b.state);
		assert_int_equal(act.changed, act.from != act.to);
		assert_int_equal(reqs, st->reqs);
		assert_int_equal(demote, st->demote);
		assert_true(demote >= 0);
	}
}

static void
test_timeout_formula(void **state)
{
	(void)state;
	/* OpenBSD's default: 100000 states, MTU 1500: 5 per packet, t = 400 s. */
	assert_int_equal(pfsync_bulk_timeout_us(100000, 1500), 4 * 400 * S);
	assert_int_equal(pfsync_bulk_timeout_us(0, 1500), 4 * S);
	/* MTU 9000: 33 per packet, 1M states: t = 1000000 / 33 / 50 = 606 s. */
	assert_int_equal(pfsync_bulk_timeout_us(1000000, 9000), 4 * 606 * S);
}

static void
test_names(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < PFSYNC_BULK_STATE_MAX; i++)
		assert_string_not_equal(pfsync_bulk_state_name(i), "?");
	for (unsigned int i = 0; i < PFSYNC_BULK_EVT_MAX; i++)
		assert_string_not_equal(pfsync_bulk_evt_name(i), "?");
	for (unsigned int i = 0; i < PFSYNC_BULK_RESULT_MAX; i++)
		assert_string_not_equal(pfsync_bulk_result_name(i), "?");
	assert_string_equal(pfsync_bulk_state_name(PFSYNC_BULK_STATE_MAX), "?");
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0]) + 2];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_scenario,
			(void *)(uintptr_t)&scenarios[i]);
		tests[n].name = scenarios[i].name;
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_timeout_formula);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
	return _cmocka_run_group_tests("pfsync_bulk", tests, n, NULL, NULL);
}
