/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What a live reload may change: the difference between the running plan
 * and a candidate, key by key, and the history of applied plans with the
 * rollback timer of `dpfctl configure FILE timeout SECONDS`.  Pure: no
 * EAL, unit-tested (tests/unit/test_reload.c).
 *
 * Contract of plan_diff():
 *  - Both configs are compared in their normalized form (cfg_print(): every
 *    default filled in), so writing a default explicitly is no change.
 *  - Every difference is named by its JSON path ("dataplane.workers",
 *    "interfaces[1].ipv4[0]", "tables.bad"), the same path style as the
 *    loader's errors.
 *  - A difference is live (the reload applies it) only under a key listed
 *    in plan_diff_live(); any other is refused, and the first one in the
 *    file's order is named.  Nothing is applied when one is refused.
 *  - Secrets that the normalized form does not print (CARP passphrases,
 *    the sync key's bytes) are compared too.
 *
 * Ownership: [C] control core.
 */
#ifndef DPF_CONTROL_PLAN_DIFF_H
#define DPF_CONTROL_PLAN_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "control/plan/plan.h"

#define PLAN_DIFF_PATH 128
#define PLAN_DIFF_MAX 64	/* changed paths kept (the count goes on) */

struct plan_diff {
	unsigned int n_live;		/* live changes found */
	unsigned int n_kept;		/* of which paths are in live[] */
	char live[PLAN_DIFF_MAX][PLAN_DIFF_PATH];
	bool routes;			/* a live change under routes or an interface's
					 * addresses: the FIB is rebuilt */
	bool pflog;			/* logging.pflog changed (file, on or off) */
	bool refused;
	char key[PLAN_DIFF_PATH];	/* the first key that needs a restart */
	char why[256];			/* and why */
};

/*
 * Is a change at path (a JSON path as above) applied live?  NULL when it
 * is, else a static reason (what restarts it).  states_boot: limits.states
 * as dpf started (the state tables were sized for it), old/new: the values
 * at path when they are numbers (else 0).
 */
const char *plan_diff_live(const char *path, uint64_t old_v, uint64_t new_v,
			   uint32_t states_boot);

/*
 * Compares running plan run with candidate cand; states_boot as above.  0
 * with d filled (d->refused tells whether the reload may go on), -1 when
 * out of memory.
 */
int plan_diff(const struct dpf_plan *run, const struct dpf_plan *cand, uint32_t states_boot,
	      struct plan_diff *d);

/*
 * The history of a live config: the running one, the previous one (for
 * `undo`) and a pending confirmation (`configure FILE timeout S`).  The
 * entries are opaque (the app keeps plans there; the test, anything), and
 * the clock is the caller's (milliseconds, monotonic), so a test drives
 * the timer by hand.
 *
 * Rules (BIRD's `configure timeout`/`confirm`/`undo` [bird.conf(5)
 * "configure"]; Junos's `commit confirmed`):
 *  - plan_hist_push(): new becomes current, the current becomes previous
 *    (the older previous is returned for freeing).  With timeout_ms > 0 a
 *    confirmation is pending: plan_hist_due() becomes true at the deadline.
 *  - While a confirmation is pending no other configuration is pushed (the
 *    caller refuses; plan_hist_pending() tells): the rollback target
 *    stays the last confirmed config.
 *  - plan_hist_confirm(): the pending one is kept; -1 if none pends.
 *  - plan_hist_undo() (also what the timer does): previous becomes current,
 *    there is no previous after it, and a pending confirmation is
 *    cancelled; returns the config that was current (to free), NULL when
 *    there is no previous.
 */
struct plan_hist {
	void *cur;
	void *prev;
	bool pending;
	uint64_t deadline_ms;
};

void *plan_hist_push(struct plan_hist *h, void *new_cur, uint64_t now_ms, uint64_t timeout_ms);
bool plan_hist_pending(const struct plan_hist *h);
/* Milliseconds left before the rollback (0 when none pends or it is due). */
uint64_t plan_hist_left(const struct plan_hist *h, uint64_t now_ms);
bool plan_hist_due(const struct plan_hist *h, uint64_t now_ms);
int plan_hist_confirm(struct plan_hist *h);
void *plan_hist_undo(struct plan_hist *h);

#endif /* DPF_CONTROL_PLAN_DIFF_H */
