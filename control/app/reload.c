/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: live reconfiguration: `dpfctl configure ...` (reload.h).
 *
 *   configure [FILE] [timeout SECONDS]   load, check, apply (FILE: the boot file)
 *   configure check [FILE]               load and check only
 *   configure confirm                    keep a configuration applied with timeout
 *   configure undo                       return to the previous configuration
 *   configure status                     what runs, what is pending
 *
 * A reload is all or nothing, in this order, and each step before the last
 * can fail without changing anything:
 *   1. plan_load(): the file is parsed and compiled with the same code and
 *      errors as `dpf -n` (FILE:LINE:COLUMN: PATH: MESSAGE);
 *   2. plan_diff(): every difference to the live plan must be live, else
 *      the first restart key is named and nothing is applied;
 *   3. plan_instantiate(): the FIB and ruleset are built aside;
 *   4. plan_publish(): both pointers are swapped; the workers pick them up
 *      at their next poll (each reads both once per poll), the old objects
 *      are freed after the grace period.
 * Between the two swaps of step 4 a worker may run one poll with the new
 * FIB and the old ruleset: each is consistent by itself, and a packet's
 * verdict is taken from one ruleset (struct dp_wctx holds it for the
 * poll); a reload that changes both is atomic per object.
 *
 * Rollback is BIRD's (`configure timeout`, `configure confirm`,
 * `configure undo`): with a timeout, the previous configuration is applied
 * again unless `configure confirm` comes in time.  The timer runs on the
 * control loop (reload_poll(), CLOCK_MONOTONIC); its logic is
 * plan_hist (control/plan/plan_diff.h), unit-tested with a hand-driven
 * clock.  Every apply, refusal, confirm, undo and rollback is logged with
 * the client's uid and pid (SO_PEERCRED).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/app/app.h"
#include "control/app/reload.h"
#include "control/log/dlog.h"
#include "control/plan/plan_diff.h"
#include "dataplane/filter.h"

#define RELOAD_TIMEOUT_MAX 86400	/* seconds a confirmation may wait */
#define RELOAD_PFLOG_DRAIN 65536	/* records the old pflog file still gets */

static const char *reload_path;		/* the boot file; NULL: embedded default */
static struct plan_opts reload_opts;

struct reload {
	struct plan_hist hist;		/* entries: struct dpf_plan *; cur is the live plan */
	const char *cur_file;		/* "(embedded default)" or the path (owned) */
	char *prev_file;
	struct reload_tables *tables;	/* runtime table contents; NULL: the live plan's */
	char pending_by[64];		/* "uid=U pid=P" of the configure that waits */
	uint64_t applied, refused, rollbacks;
};

void
reload_source(const char *path, const struct plan_opts *opts)
{
	reload_path = path;
	if (opts != NULL)
		reload_opts = *opts;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
reload_peer(const struct ctl_out *out, char *buf, size_t len)
{
	pid_t pid;
	uid_t uid;

	if (out != NULL && ctl_out_peer(out, &pid, &uid))
		snprintf(buf, len, "uid=%lu pid=%ld", (unsigned long)uid, (long)pid);
	else
		snprintf(buf, len, "uid=? pid=?");
}

/* Frees a plan the history gave back, unless it is the boot plan. */
static void
plan_drop(struct app *app, void *p)
{
	if (p != NULL && p != app->plan)
		plan_free(p);
}

static const struct dpf_plan *
live(const struct app *app)
{
	return app->reload->hist.cur;
}

/*
 * Builds p's objects and swaps them in; nothing changes on failure.  The
 * FIB is built again only when the routes differ (with_fib): it is the
 * larger object (rte_lpm's tables take tens of MB), and what it holds
 * otherwise (the interfaces' networks) cannot change live.  Objects that
 * earlier reloads replaced are freed first, once the workers have passed
 * a quiescent point (they do every poll), so that a run of reloads needs
 * the memory of one spare FIB, not of one per reload.
 */
static int
apply(struct app *app, const struct dpf_plan *p, bool with_fib, char *err, size_t errlen)
{
	struct plan_objs o;

	dp_reclaim(app->dp, false);
	if (!with_fib)
		return reload_publish_rules(app, p, NULL, err, errlen);
	if (plan_instantiate(p, app->dp, &o, err, errlen) != 0) {
		/* The grace period of the last swap may not have ended: wait for it once. */
		dp_reclaim(app->dp, true);
		if (plan_instantiate(p, app->dp, &o, err, errlen) != 0)
			return -1;
	}
	app->unresolved_routes = o.unresolved_routes;
	plan_publish(app->dp, &o);
	return 0;
}

/*
 * logging.pflog names another file (plan_diff refuses turning pflog on or
 * off): the new file is opened before anything is swapped, so a file that
 * cannot be opened refuses the reload; the old writer gets what the rings
 * hold then and is closed after the swap (pflog_switch()).
 */
static int
pflog_open_for(struct app *app, const struct dpf_plan *p, struct pflog_writer **w, char *err,
	       size_t errlen)
{
	char msg[512];

	*w = NULL;
	if (app->pflog == NULL || p->cfg->logging.pflog == NULL ||
	    strcmp(p->cfg->logging.pflog, app->cfg->logging.pflog) == 0)
		return 0;
	*w = pflog_writer_open(p->cfg->logging.pflog, app->dp->log_snaplen, msg, sizeof(msg));
	if (*w == NULL) {
		snprintf(err, errlen, "logging.pflog: %.480s", msg);
		return -1;
	}
	return 0;
}

static void
pflog_switch(struct app *app, struct pflog_writer *w)
{
	if (w == NULL)
		return;
	pflog_writer_drain(app->pflog, app->dp, RELOAD_PFLOG_DRAIN);
	pflog_writer_close(app->pflog);
	app->pflog = w;
}

/* The runtime table contents go with the configuration they were made on. */
static void
tables_reset(struct reload *r)
{
	table_set_free(r->tables);
	r->tables = NULL;
}

static int
parse_timeout(const char *s, unsigned int *secs)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v == 0 ||
	    v > RELOAD_TIMEOUT_MAX)
		return -1;
	*secs = (unsigned int)v;
	return 0;
}

/* Loads, compiles and diffs FILE; the candidate in *cand, or -1 with the reply written. */
static int
candidate(struct ctl_out *out, struct app *app, const char *path, struct dpf_plan **cand,
	  struct plan_diff *d)
{
	struct cfg_error e;
	char msg[CFG_ERR_MAX + 512];

	memset(&e, 0, sizeof(e));
	if (plan_load(path, &reload_opts, cand, &e) != 0) {
		cfg_error_format(&e, path != NULL ? path : "(embedded default)", msg, sizeof(msg));
		ctl_error(out, CTL_FAILED, "%s; nothing changed", msg);
		return -1;
	}
	if (plan_diff(live(app), *cand, app->plan->limits[PFLIMIT_STATES], d) != 0) {
		plan_free(*cand);
		ctl_error(out, CTL_FAILED, "out of memory comparing the configurations");
		return -1;
	}
	if (d->refused) {
		ctl_error(out, CTL_FAILED, "%s: %s: needs a restart (%s); nothing changed",
			  path != NULL ? path : "(embedded default)", d->key, d->why);
		plan_free(*cand);
		return -1;
	}
	return 0;
}

static void
changes_text(const struct plan_diff *d, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < d->n_kept && o + 1 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", d->live[i]);
	if (d->n_live > d->n_kept && o + 1 < len)
		snprintf(buf + o, len - o, ",...");
}

static int
cfg_check(struct ctl_out *out, struct app *app, const char *path)
{
	struct dpf_plan *cand;
	struct plan_diff d;
	char ch[512];

	if (candidate(out, app, path, &cand, &d) != 0)
		return -1;
	changes_text(&d, ch, sizeof(ch));
	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(path != NULL ? path :
							   "(embedded default)"));
		json_object_set_new(o, "changes", json_integer(d.n_live));
		ctl_json(out, o);
	} else {
		ctl_printf(out, "%s: ok, %u live changes%s%s\n",
			   path != NULL ? path : "(embedded default)", d.n_live,
			   d.n_live ? ": " : "", ch);
	}
	plan_free(cand);
	return 0;
}

static int
cfg_apply(struct ctl_out *out, struct app *app, const char *path, unsigned int timeout_s)
{
	struct reload *r = app->reload;
	struct dpf_plan *cand;
	struct plan_diff d;
	struct pflog_writer *w = NULL;
	char err[512], who[64], ch[512];
	const char *shown = path != NULL ? path : "(embedded default)";
	char *file;
	uint64_t t0 = mono_ms(), t1;

	reload_peer(out, who, sizeof(who));
	if (plan_hist_pending(&r->hist)) {
		ctl_error(out, CTL_BUSY, "a configuration waits for `configure confirm` (%" PRIu64
			  " s left): confirm or undo it first", plan_hist_left(&r->hist,
			  mono_ms()) / 1000 + 1);
		return -1;
	}
	if (candidate(out, app, path, &cand, &d) != 0) {
		r->refused++;
		dlog(RELOAD_REFUSED, DLOG_RAW(who), DLOG_S("file", shown));
		return -1;
	}
	file = strdup(shown);
	t1 = mono_ms();
	if (file == NULL || pflog_open_for(app, cand, &w, err, sizeof(err)) != 0 ||
	    apply(app, cand, d.routes, err, sizeof(err)) != 0) {
		ctl_error(out, CTL_FAILED, "%s: %s; nothing changed", shown,
			  file == NULL ? "out of memory" : err);
		if (w != NULL)
			pflog_writer_close(w);
		free(file);
		plan_free(cand);
		r->refused++;
		dlog(RELOAD_REFUSED, DLOG_RAW(who), DLOG_S("file", shown));
		return -1;
	}
	pflog_switch(app, w);
	app->cfg = cand->cfg;	/* what `show info` prints: the live config */
	tables_reset(r);
	plan_drop(app, plan_hist_push(&r->hist, cand, mono_ms(), (uint64_t)timeout_s * 1000));
	free(r->prev_file);
	r->prev_file = (char *)r->cur_file;
	r->cur_file = file;
	r->applied++;
	changes_text(&d, ch, sizeof(ch));
	/* check_ms: load, compile, compare; build_ms: objects built and swapped. */
	dlog(RELOAD_APPLIED, DLOG_RAW(who), DLOG_S("file", shown), DLOG_U("check_ms", t1 - t0),
	     DLOG_U("build_ms", mono_ms() - t1), DLOG_U("changes", d.n_live),
	     DLOG_S_IF(d.n_live, "keys", ch), DLOG_U_IF(timeout_s, "confirm_within_s", timeout_s));
	if (timeout_s)
		snprintf(r->pending_by, sizeof(r->pending_by), "%s", who);
	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(shown));
		json_object_set_new(o, "changes", json_integer(d.n_live));
		json_object_set_new(o, "confirm_within", json_integer(timeout_s));
		ctl_json(out, o);
	} else {
		ctl_printf(out, "%s: applied, %u live changes%s%s\n", shown, d.n_live,
			   d.n_live ? ": " : "", ch);
		if (timeout_s)
			ctl_printf(out, "rolls back in %u s unless `configure confirm`\n", timeout_s);
	}
	return 0;
}

/* Back to the previous configuration (undo, or the timer: who NULL). */
static int
cfg_undo(struct app *app, const char *who, char *err, size_t errlen)
{
	struct reload *r = app->reload;
	const struct dpf_plan *prev = r->hist.prev;
	struct pflog_writer *w = NULL;
	struct plan_diff d;
	char *f;

	if (prev == NULL) {
		snprintf(err, errlen, "no previous configuration");
		return -1;
	}
	/* Out of memory for the comparison: build everything again. */
	if (plan_diff(live(app), prev, app->plan->limits[PFLIMIT_STATES], &d) != 0)
		d.routes = true;
	if (pflog_open_for(app, prev, &w, err, errlen) != 0)
		return -1;
	if (apply(app, prev, d.routes, err, errlen) != 0) {
		if (w != NULL)
			pflog_writer_close(w);
		return -1;
	}
	pflog_switch(app, w);
	app->cfg = prev->cfg;
	tables_reset(r);
	plan_drop(app, plan_hist_undo(&r->hist));
	f = (char *)r->cur_file;
	r->cur_file = r->prev_file;
	r->prev_file = NULL;
	free(f);
	if (who == NULL)
		r->rollbacks++;
	if (who == NULL)	/* the timer: who applied what is rolled back */
		dlog(RELOAD_ROLLBACK, DLOG_S("reason", "no-confirm"), DLOG_S("file", r->cur_file),
		     DLOG_S("applied_by", r->pending_by));
	else
		dlog(RELOAD_UNDONE, DLOG_RAW(who), DLOG_S("file", r->cur_file));
	return 0;
}

static int
cfg_status(struct ctl_out *out, struct app *app)
{
	struct reload *r = app->reload;
	uint64_t left = plan_hist_left(&r->hist, mono_ms());

	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(r->cur_file));
		json_object_set_new(o, "previous", r->prev_file != NULL ?
				    json_string(r->prev_file) : json_null());
		json_object_set_new(o, "pending", json_boolean(plan_hist_pending(&r->hist)));
		json_object_set_new(o, "rollback_in_ms", json_integer((json_int_t)left));
		json_object_set_new(o, "applied", json_integer((json_int_t)r->applied));
		json_object_set_new(o, "refused", json_integer((json_int_t)r->refused));
		json_object_set_new(o, "rollbacks", json_integer((json_int_t)r->rollbacks));
		ctl_json(out, o);
		return 0;
	}
	ctl_printf(out, "running:   %s\n", r->cur_file);
	ctl_printf(out, "previous:  %s\n", r->prev_file != NULL ? r->prev_file : "(none)");
	if (plan_hist_pending(&r->hist))
		ctl_printf(out, "pending:   rolls back in %" PRIu64 " ms unless confirmed\n", left);
	ctl_printf(out, "reloads:   %" PRIu64 " applied, %" PRIu64 " refused, %" PRIu64
		   " rolled back\n", r->applied, r->refused, r->rollbacks);
	return 0;
}

#define CONFIGURE_USAGE "usage: configure [FILE] [timeout SECONDS] | configure check [FILE] | " \
			"configure confirm | configure undo | configure status"

static int
cmd_configure(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct reload *r = app->reload;
	char err[512], who[64];
	unsigned int timeout_s = 0;
	const char *path = reload_path;

	reload_peer(out, who, sizeof(who));
	if (argc == 1 && strcmp(argv[0], "confirm") == 0) {
		if (plan_hist_confirm(&r->hist) != 0) {
			ctl_error(out, CTL_FAILED, "nothing to confirm");
			return -1;
		}
		dlog(RELOAD_CONFIRMED, DLOG_RAW(who), DLOG_S("file", r->cur_file));
		ctl_printf(out, "%s: confirmed\n", r->cur_file);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "undo") == 0) {
		if (cfg_undo(app, who, err, sizeof(err)) != 0) {
			ctl_error(out, CTL_FAILED, "undo: %s", err);
			return -1;
		}
		ctl_printf(out, "%s: restored\n", r->cur_file);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return cfg_status(out, app);
	if (argc >= 1 && strcmp(argv[0], "check") == 0) {
		if (argc > 2) {
			ctl_error(out, CTL_BAD_ARG, CONFIGURE_USAGE);
			return -1;
		}
		return cfg_check(out, app, argc == 2 ? argv[1] : reload_path);
	}
	if (argc >= 1 && strcmp(argv[0], "timeout") != 0) {
		if (strcmp(argv[0], "confirm") == 0 || strcmp(argv[0], "undo") == 0 ||
		    strcmp(argv[0], "status") == 0) {
			ctl_error(out, CTL_BAD_ARG, "\"%s\" takes no arguments; " CONFIGURE_USAGE,
				  argv[0]);
			return -1;
		}
		path = argv[0];
		argc--;
		argv++;
	}
	if (argc == 2 && strcmp(argv[0], "timeout") == 0) {
		if (parse_timeout(argv[1], &timeout_s) != 0) {
			ctl_error(out, CTL_BAD_ARG, "timeout: seconds 1..%u expected, not \"%s\"",
				  RELOAD_TIMEOUT_MAX, argv[1]);
			return -1;
		}
	} else if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, CONFIGURE_USAGE);
		return -1;
	}
	if (path == NULL)
		ctl_printf(out, "dpf was started with the embedded default config: reloading it\n");
	return cfg_apply(out, app, path, timeout_s);
}

static int
cmd_table(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;

	return table_cmd(out, argc, argv, app, live(app), &app->reload->tables);
}

static const struct ctl_cmd reload_cmds[] = {
	{ "configure", "[FILE] [timeout S] | check [FILE] | confirm | undo | status",
	  "load a configuration while dpf runs, with rollback", cmd_configure, 0 },
	{ "table", "NAME add|delete|replace|test ADDR... | NAME show|flush",
	  "a table's runtime contents, as pfctl -t NAME -T", cmd_table, 0 },
};

int
reload_cmds_register(struct app *app, struct ctl_server *srv)
{
	if (app->reload == NULL) {
		app->reload = calloc(1, sizeof(*app->reload));
		if (app->reload == NULL)
			return -ENOMEM;
		app->reload->hist.cur = (void *)app->plan;
		app->reload->cur_file = strdup(reload_path != NULL ? reload_path :
					       "(embedded default)");
		if (app->reload->cur_file == NULL)
			return -ENOMEM;
	}
	return ctl_register(srv, reload_cmds, sizeof(reload_cmds) / sizeof(reload_cmds[0]), app);
}

unsigned int
reload_poll(struct app *app)
{
	struct reload *r = app->reload;
	char err[512];

	if (r == NULL || !plan_hist_due(&r->hist, mono_ms()))
		return 0;
	if (cfg_undo(app, NULL, err, sizeof(err)) != 0) {
		/* Building the previous objects failed (memory): keep what runs. */
		dlog(RELOAD_ROLLBACK_FAILED, DLOG_S("error", err), DLOG_S("file", r->cur_file),
		     DLOG_S("kept", "unconfirmed"));
		plan_hist_confirm(&r->hist);
	}
	return 1;
}

void
reload_fini(struct app *app)
{
	struct reload *r = app->reload;

	if (r == NULL)
		return;
	app->cfg = app->plan->cfg;
	plan_drop(app, r->hist.cur);
	plan_drop(app, r->hist.prev);
	tables_reset(r);
	free((char *)r->cur_file);
	free(r->prev_file);
	free(r);
	app->reload = NULL;
}
