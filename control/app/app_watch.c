/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: limits reached and rings overflowed, from the counters to the log.
 *
 * The workers never log: they count a refused state or a packet lost to a
 * full ring in their own struct dp_stats (dataplane/dp_stats.h) and go on.
 * The control loop calls app_watch_poll() about once a second; it sums each
 * watched counter over the workers and the control core's slot, and when
 * one grew it logs event=limit-reached or event=ring-overflow, at most one
 * line per counter per DLOG_WATCH_HOLD_MS (10 s): what grew during the hold
 * is added to the next line, never lost (control/log/dlog_watch.h).  A ring
 * line names the worker that lost the most since the last line and how
 * many workers lost any.  Runs on the control core only; reads the workers'
 * counters without locks, as `show info` does.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/app/app.h"
#include "control/log/dlog.h"
#include "control/log/dlog_watch.h"
#include "dataplane/filter.h"

/*
 * Watched counters: (symbol, event kind, name).  LIMIT ones log
 * event=limit-reached limit=NAME, RING ones event=ring-overflow ring=NAME.
 * docs/logging.md lists them with the counters they come from.
 */
#define APP_WATCH_LIST(_)				\
	_(STATES, LIMIT, "states")			\
	_(RULE_MAX_STATES, LIMIT, "rule-max-states")	\
	_(STATE_MEMORY, LIMIT, "state-memory")		\
	_(NEIGHBORS, LIMIT, "neighbors")		\
	_(HANDOFF, RING, "handoff")			\
	_(PUNT, RING, "punt")				\
	_(PFLOG, RING, "pflog")				\
	_(STATE_EVENTS, RING, "state-events")		\
	_(REQUESTS, RING, "requests")			\
	_(TX, RING, "tx")

enum app_watch_id {
#define APP_WATCH_ENUM(sym, kind, name) APP_W_##sym,
	APP_WATCH_LIST(APP_WATCH_ENUM)
#undef APP_WATCH_ENUM
	APP_W_MAX
};

enum { APP_W_LIMIT, APP_W_RING };

static const struct {
	const char *name;
	int kind;
} app_watch_defs[APP_W_MAX] = {
#define APP_WATCH_DEF(sym, k, nm) [APP_W_##sym] = { .name = nm, .kind = APP_W_##k },
	APP_WATCH_LIST(APP_WATCH_DEF)
#undef APP_WATCH_DEF
};

#define APP_W_SLOTS (DP_MAX_WORKERS + 1)	/* the workers, then the control core */

struct app_watch {
	struct dlog_watch w[APP_W_MAX];
	uint64_t seen[APP_W_MAX][APP_W_SLOTS];	/* per slot, at the last poll */
	uint64_t pend[APP_W_MAX][APP_W_SLOTS];	/* per slot, since the last line */
};

/* One slot's value of counter id (slot n_workers is the control core). */
static uint64_t
app_watch_value(const struct app *app, enum app_watch_id id, unsigned int slot)
{
	const struct dp_main *dp = app->dp;
	const struct dp_stats *s = &dp->stats[slot == dp->n_workers ? DP_CTL_WORKER : slot];

	switch (id) {
	case APP_W_STATES:	/* the global limit: state-limit less the rules' own */
		return s->drop[DP_DROP_STATE_LIMIT] >= s->lcnt_max_states ?
		       s->drop[DP_DROP_STATE_LIMIT] - s->lcnt_max_states : 0;
	case APP_W_RULE_MAX_STATES:
		return s->lcnt_max_states;
	case APP_W_STATE_MEMORY:
		return s->drop[DP_DROP_STATE_MEMORY];
	case APP_W_NEIGHBORS:	/* the control core's neighbour table */
		return slot == dp->n_workers ? app->local.nbr.counters[NBR_C_REFUSED_FULL] : 0;
	case APP_W_HANDOFF:
		return s->drop[DP_DROP_HANDOFF_FULL];
	case APP_W_PUNT:
		return s->drop[DP_DROP_PUNT_FULL];
	case APP_W_PFLOG:
		return s->log_ring_full;
	case APP_W_STATE_EVENTS:
		return s->sev_ring_full;
	case APP_W_REQUESTS:
		return s->req_full;
	case APP_W_TX:
		return s->drop[DP_DROP_TX_FULL];
	case APP_W_MAX:
		break;
	}
	return 0;
}

static void
app_watch_line(const struct app *app, struct app_watch *aw, enum app_watch_id id, uint64_t n)
{
	unsigned int slots = app->dp->n_workers + 1, top = 0, lost = 0, i;
	char worker[16];

	for (i = 0; i < slots; i++) {
		if (aw->pend[id][i] != 0)
			lost++;
		if (aw->pend[id][i] > aw->pend[id][top])
			top = i;
	}
	memset(aw->pend[id], 0, sizeof(aw->pend[id]));
	if (app_watch_defs[id].kind == APP_W_RING) {
		if (top == app->dp->n_workers)
			snprintf(worker, sizeof(worker), "control");
		else
			snprintf(worker, sizeof(worker), "%u", top);
		dlog(RING_OVERFLOW, DLOG_S("ring", app_watch_defs[id].name),
		     DLOG_S("worker", worker), DLOG_U("dropped", n), DLOG_U("workers", lost));
	} else if (id == APP_W_STATES) {
		const struct dp_rules *r = atomic_load(&app->dp->rules);

		dlog(LIMIT_REACHED, DLOG_S("limit", app_watch_defs[id].name),
		     DLOG_U("max", r != NULL ? r->limit_states : 0),
		     DLOG_U("current", atomic_load(&app->dp->states_total)),
		     DLOG_U("refused", n));
	} else {
		dlog(LIMIT_REACHED, DLOG_S("limit", app_watch_defs[id].name),
		     DLOG_U("refused", n));
	}
}

void
app_watch_poll(struct app *app, uint64_t now_ms)
{
	struct app_watch *aw = app->watch;
	unsigned int slots, i;

	if (aw == NULL) {
		aw = calloc(1, sizeof(*aw));
		if (aw == NULL)
			return;		/* no lines, nothing else lost; tried again */
		app->watch = aw;
	}
	slots = app->dp->n_workers + 1;
	for (unsigned int id = 0; id < APP_W_MAX; id++) {
		uint64_t total = 0, n;

		for (i = 0; i < slots; i++) {
			uint64_t v = app_watch_value(app, id, i);

			if (aw->w[id].primed && v >= aw->seen[id][i])
				aw->pend[id][i] += v - aw->seen[id][i];
			aw->seen[id][i] = v;
			total += v;
		}
		n = dlog_watch_feed(&aw->w[id], total, now_ms, DLOG_WATCH_HOLD_MS);
		if (n != 0)
			app_watch_line(app, aw, id, n);
	}
}

void
app_watch_fini(struct app *app)
{
	free(app->watch);
	app->watch = NULL;
}
