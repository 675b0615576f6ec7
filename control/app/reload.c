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

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "control/app/app.h"
#include "control/app/reload.h"
#include "control/app/reload_build.h"
#include "control/app/reload_parts.h"
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
	/* The job on the builder thread (reload_build.h) and what goes with it: */
	struct reload_builder builder;
	struct ctl_pending *reply;	/* its client's deferred reply; NULL: the timer's */
	char job_who[64];		/* "uid=U pid=P", or "the rollback timer" */
	unsigned int job_timeout_s;	/* APPLY: configure ... timeout S */
	bool job_reclaim_pending;	/* old objects waited for their grace period at the start */
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

/* A duration in ms with one decimal, for a log field (dlog has no floats). */
static void
ms_text(char *buf, size_t len, double ms)
{
	snprintf(buf, len, "%.1f", ms);
}

static const char *
shown_file(const char *path)
{
	return path != NULL ? path : "(embedded default)";
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

static double
tsc_ms(uint64_t tsc)
{
	return (double)tsc * 1000.0 / (double)rte_get_tsc_hz();
}

/* 8003 while a job runs: what runs, for how long. */
static bool
refuse_if_building(struct ctl_out *out, struct app *app)
{
	struct reload *r = app->reload;
	const struct reload_job *j = r->builder.job;

	if (j == NULL)
		return false;
	ctl_error(out, CTL_BUSY, "a configuration is being built (%s %s, %" PRIu64 " ms so far, "
		  "by %s): try again when it is done", reload_job_name(j->kind),
		  j->kind == RELOAD_JOB_UNDO || j->kind == RELOAD_JOB_ROLLBACK ?
		  (r->prev_file != NULL ? r->prev_file : "(previous)") : shown_file(j->path),
		  (reload_mono_us() - r->builder.started_us) / 1000, r->job_who);
	return true;
}

/*
 * Starts a job on the builder thread (reload_build.h) and defers out's
 * reply until reload_poll() finishes it; out NULL: the rollback timer's.
 * 0, or -1 with the reply written and nothing started.
 */
static int
job_begin(struct ctl_out *out, struct app *app, enum reload_job_kind kind, const char *path,
	  unsigned int timeout_s)
{
	struct reload *r = app->reload;
	struct reload_job *job;
	struct ctl_pending *reply = NULL;
	int rc;

	if (out != NULL && refuse_if_building(out, app))
		return -1;
	if (r->builder.job != NULL)
		return -1;
	if ((kind == RELOAD_JOB_UNDO || kind == RELOAD_JOB_ROLLBACK) && r->hist.prev == NULL) {
		if (out != NULL)
			ctl_error(out, CTL_FAILED, "undo: no previous configuration");
		return -1;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL || (path != NULL && (job->path = strdup(path)) == NULL)) {
		free(job);
		if (out != NULL)
			ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	if (out != NULL) {
		reload_peer(out, r->job_who, sizeof(r->job_who));
		reply = ctl_defer(out);
		if (reply == NULL) {
			reload_job_free(job);
			ctl_error(out, CTL_FAILED, "out of memory");
			return -1;
		}
	} else {
		snprintf(r->job_who, sizeof(r->job_who), "the rollback timer");
	}
	job->kind = kind;
	job->opts = &reload_opts;
	job->live = live(app);
	job->target = kind == RELOAD_JOB_UNDO || kind == RELOAD_JOB_ROLLBACK ? r->hist.prev : NULL;
	job->states_boot = app->plan->limits[PFLIMIT_STATES];
	job->dp = app->dp;
	job->socket = (int)rte_socket_id();
	r->job_timeout_s = timeout_s;
	if (kind != RELOAD_JOB_CHECK) {
		/* Free what earlier reloads replaced now, to have room for the new objects. */
		dp_reclaim(app->dp, false);
		r->job_reclaim_pending = dp_reclaim_pending() > 0;
		app->gap_reload_tsc = 0;
	}
	rc = reload_builder_start(&r->builder, job);
	if (rc != 0) {
		reload_job_free(job);
		if (reply != NULL) {
			ctl_error(ctl_pending_out(reply), CTL_FAILED,
				  "cannot start the builder thread: %s; nothing changed",
				  strerror(-rc));
			ctl_pending_finish(reply);
		}
		return -1;
	}
	r->reply = reply;
	return 0;
}

/* The reply of a job that changes nothing, and the log of a refused one. */
static void
job_refused(struct app *app, struct reload_job *job, struct ctl_out *out)
{
	struct reload *r = app->reload;
	const char *shown = shown_file(job->path);

	switch (job->stage) {
	case RELOAD_STAGE_LOAD:
		ctl_error(out, CTL_FAILED, "%s; nothing changed", job->err);
		break;
	case RELOAD_STAGE_REFUSED:
		ctl_error(out, CTL_FAILED, "%s: %s: needs a restart (%s); nothing changed", shown,
			  job->diff.key, job->diff.why);
		break;
	case RELOAD_STAGE_DIFF:
		ctl_error(out, CTL_FAILED, "%s", job->err);
		break;
	default:
		ctl_error(out, CTL_FAILED, "%s: %s; nothing changed", shown, job->err);
		break;
	}
	if (job->kind == RELOAD_JOB_APPLY) {
		r->refused++;
		dlog(RELOAD_REFUSED, DLOG_RAW(r->job_who), DLOG_S("file", shown),
		     DLOG_S("stage", reload_stage_name(job->stage)));
	}
}

static void
finish_check(struct app *app, struct reload_job *job, struct ctl_out *out)
{
	const char *shown = shown_file(job->path);
	char ch[512];

	(void)app;
	changes_text(&job->diff, ch, sizeof(ch));
	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(shown));
		json_object_set_new(o, "changes", json_integer(job->diff.n_live));
		ctl_json(out, o);
	} else {
		ctl_printf(out, "%s: ok, %u live changes%s%s\n", shown, job->diff.n_live,
			   job->diff.n_live ? ": " : "", ch);
	}
}

/*
 * Finish on the control thread: the objects the builder made are bound
 * (gateways' neighbour entries), what else can still fail is prepared
 * (the pflog file), and only then is anything swapped.  Live changes of
 * other parts (CARP, addresses, sync) prepare and commit here as well:
 * prepare before "commit", commit at it, abort on the failure path.
 * Returns 0 when published; -1 with err and nothing changed.
 */
static int
finish_publish(struct app *app, const struct dpf_plan *p, struct reload_job *job,
	       struct pflog_writer **w, char *err, size_t errlen)
{
	struct reload_parts *parts = NULL;

	*w = NULL;
	if (plan_bind(p, app->dp, &job->objs, err, errlen) != 0 ||
	    pflog_open_for(app, p, w, err, errlen) != 0 ||
	    reload_parts_prepare(app, p, &parts, err, errlen) != 0) {
		reload_parts_abort(parts);
		if (*w != NULL)
			pflog_writer_close(*w);
		*w = NULL;
		plan_objs_free(&job->objs);
		return -1;
	}
	/* commit: nothing below fails */
	if (job->objs.fib != NULL)
		app->unresolved_routes = job->objs.unresolved_routes;
	plan_publish(app->dp, &job->objs);
	reload_parts_commit(app, parts);	/* CARP, addresses, pfsync, pflog on/off */
	pflog_switch(app, *w);
	app->cfg = p->cfg;	/* what `show info` prints: the live config */
	tables_reset(app->reload);
	return 0;
}

static void
finish_apply(struct app *app, struct reload_job *job, struct ctl_out *out, uint64_t t_fin)
{
	struct reload *r = app->reload;
	const char *shown = shown_file(job->path);
	unsigned int timeout_s = r->job_timeout_s;
	struct pflog_writer *w;
	char err[512], ch[512], fin[16], gap[16];
	char *file = strdup(shown);

	if (file == NULL) {
		snprintf(job->err, sizeof(job->err), "out of memory");
		job->stage = RELOAD_STAGE_BUILD;
		job_refused(app, job, out);
		return;
	}
	if (finish_publish(app, job->cand, job, &w, err, sizeof(err)) != 0) {
		snprintf(job->err, sizeof(job->err), "%s", err);
		job->stage = RELOAD_STAGE_BUILD;
		job_refused(app, job, out);
		free(file);
		return;
	}
	plan_drop(app, plan_hist_push(&r->hist, job->cand, mono_ms(), (uint64_t)timeout_s * 1000));
	job->cand = NULL;	/* the history's now */
	free(r->prev_file);
	r->prev_file = (char *)r->cur_file;
	r->cur_file = file;
	r->applied++;
	changes_text(&job->diff, ch, sizeof(ch));
	/*
	 * check_ms: load, compile, compare; build_ms: objects built (both on
	 * the builder thread); finish_ms: bound and swapped on the control
	 * core; gap_ms: the control loop's longest gap meanwhile.
	 */
	ms_text(fin, sizeof(fin), (double)(reload_mono_us() - t_fin) / 1000.0);
	ms_text(gap, sizeof(gap), tsc_ms(app->gap_reload_tsc));
	dlog(RELOAD_APPLIED, DLOG_RAW(r->job_who), DLOG_S("file", shown),
	     DLOG_U("check_ms", job->check_us / 1000), DLOG_U("build_ms", job->build_us / 1000),
	     DLOG_S("finish_ms", fin), DLOG_S("gap_ms", gap), DLOG_U("changes", job->diff.n_live),
	     DLOG_S_IF(job->diff.n_live, "keys", ch), DLOG_U_IF(timeout_s, "confirm_within_s", timeout_s));
	if (timeout_s)
		snprintf(r->pending_by, sizeof(r->pending_by), "%s", r->job_who);
	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(shown));
		json_object_set_new(o, "changes", json_integer(job->diff.n_live));
		json_object_set_new(o, "confirm_within", json_integer(timeout_s));
		json_object_set_new(o, "build_ms", json_integer((json_int_t)(job->build_us / 1000)));
		ctl_json(out, o);
	} else {
		ctl_printf(out, "%s: applied, %u live changes%s%s\n", shown, job->diff.n_live,
			   job->diff.n_live ? ": " : "", ch);
		if (timeout_s)
			ctl_printf(out, "rolls back in %u s unless `configure confirm`\n", timeout_s);
	}
}

/* Back to the previous configuration (undo, or the timer: ROLLBACK). */
static void
finish_undo(struct app *app, struct reload_job *job, struct ctl_out *out, uint64_t t_fin)
{
	struct reload *r = app->reload;
	struct pflog_writer *w;
	char err[512], fin[16], gap[16];
	char *f;

	if (job->stage != RELOAD_STAGE_OK ||
	    finish_publish(app, job->target, job, &w, err, sizeof(err)) != 0) {
		if (job->stage == RELOAD_STAGE_OK)
			snprintf(job->err, sizeof(job->err), "%s", err);
		if (job->kind == RELOAD_JOB_ROLLBACK) {
			/* Building the previous objects failed (memory): keep what runs. */
			dlog(RELOAD_ROLLBACK_FAILED, DLOG_S("error", job->err),
			     DLOG_S("file", r->cur_file), DLOG_S("kept", "unconfirmed"));
			plan_hist_confirm(&r->hist);
		} else {
			ctl_error(out, CTL_FAILED, "undo: %s", job->err);
		}
		return;
	}
	plan_drop(app, plan_hist_undo(&r->hist));
	ms_text(fin, sizeof(fin), (double)(reload_mono_us() - t_fin) / 1000.0);
	ms_text(gap, sizeof(gap), tsc_ms(app->gap_reload_tsc));
	f = (char *)r->cur_file;
	r->cur_file = r->prev_file;
	r->prev_file = NULL;
	free(f);
	if (job->kind == RELOAD_JOB_ROLLBACK) {	/* who applied what is rolled back */
		r->rollbacks++;
		dlog(RELOAD_ROLLBACK, DLOG_S("reason", "no-confirm"), DLOG_S("file", r->cur_file),
		     DLOG_S("applied_by", r->pending_by), DLOG_U("build_ms", job->build_us / 1000),
		     DLOG_S("finish_ms", fin), DLOG_S("gap_ms", gap));
	} else {
		dlog(RELOAD_UNDONE, DLOG_RAW(r->job_who), DLOG_S("file", r->cur_file),
		     DLOG_U("build_ms", job->build_us / 1000), DLOG_S("finish_ms", fin),
		     DLOG_S("gap_ms", gap));
		ctl_printf(out, "%s: restored\n", r->cur_file);
	}
}

/*
 * A job the builder thread has ended, on the control core: published and
 * answered, or refused and answered; or, once, built again after the old
 * objects' grace period (a build that ran out of memory while they waited
 * to be freed, as a reload right after another may).  1 when the job was
 * restarted (its reply stays deferred).
 */
static int
job_finish(struct app *app, struct reload_job *job)
{
	struct reload *r = app->reload;
	/* NULL only for the timer's ROLLBACK, which answers nobody. */
	struct ctl_out *out = r->reply != NULL ? ctl_pending_out(r->reply) : NULL;
	uint64_t t_fin = reload_mono_us();

	if (job->stage == RELOAD_STAGE_BUILD && !job->build_only && r->job_reclaim_pending) {
		dp_reclaim(app->dp, true);
		r->job_reclaim_pending = false;
		job->build_only = true;
		if (reload_builder_start(&r->builder, job) == 0)
			return 1;
	}
	switch (job->kind) {
	case RELOAD_JOB_CHECK:
		if (job->stage != RELOAD_STAGE_OK)
			job_refused(app, job, out);
		else
			finish_check(app, job, out);
		break;
	case RELOAD_JOB_APPLY:
		if (job->stage != RELOAD_STAGE_OK)
			job_refused(app, job, out);
		else
			finish_apply(app, job, out, t_fin);
		break;
	default:
		finish_undo(app, job, out, t_fin);
		break;
	}
	if (r->reply != NULL)
		ctl_pending_finish(r->reply);
	r->reply = NULL;
	reload_job_free(job);
	return 0;
}

static int
cfg_status(struct ctl_out *out, struct app *app)
{
	struct reload *r = app->reload;
	uint64_t left = plan_hist_left(&r->hist, mono_ms());
	const struct reload_job *j = r->builder.job;
	uint64_t building_ms = j != NULL ? (reload_mono_us() - r->builder.started_us) / 1000 : 0;

	if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "file", json_string(r->cur_file));
		json_object_set_new(o, "previous", r->prev_file != NULL ?
				    json_string(r->prev_file) : json_null());
		json_object_set_new(o, "pending", json_boolean(plan_hist_pending(&r->hist)));
		json_object_set_new(o, "rollback_in_ms", json_integer((json_int_t)left));
		json_object_set_new(o, "building", j != NULL ?
				    json_string(reload_job_name(j->kind)) : json_null());
		json_object_set_new(o, "building_ms", json_integer((json_int_t)building_ms));
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
	if (j != NULL)
		ctl_printf(out, "building:  %s %s for %" PRIu64 " ms, by %s\n",
			   reload_job_name(j->kind), shown_file(j->path), building_ms, r->job_who);
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
	char who[64];
	unsigned int timeout_s = 0;
	const char *path = reload_path;

	reload_peer(out, who, sizeof(who));
	if (argc == 1 && strcmp(argv[0], "confirm") == 0) {
		if (refuse_if_building(out, app))
			return -1;
		if (plan_hist_confirm(&r->hist) != 0) {
			ctl_error(out, CTL_FAILED, "nothing to confirm");
			return -1;
		}
		dlog(RELOAD_CONFIRMED, DLOG_RAW(who), DLOG_S("file", r->cur_file));
		ctl_printf(out, "%s: confirmed\n", r->cur_file);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "undo") == 0)
		return job_begin(out, app, RELOAD_JOB_UNDO, NULL, 0);
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return cfg_status(out, app);
	if (argc >= 1 && strcmp(argv[0], "check") == 0) {
		if (argc > 2) {
			ctl_error(out, CTL_BAD_ARG, CONFIGURE_USAGE);
			return -1;
		}
		return job_begin(out, app, RELOAD_JOB_CHECK, argc == 2 ? argv[1] : reload_path, 0);
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
	if (refuse_if_building(out, app))
		return -1;
	if (plan_hist_pending(&r->hist)) {
		ctl_error(out, CTL_BUSY, "a configuration waits for `configure confirm` (%" PRIu64
			  " s left): confirm or undo it first", plan_hist_left(&r->hist,
			  mono_ms()) / 1000 + 1);
		return -1;
	}
	if (path == NULL)
		ctl_printf(out, "dpf was started with the embedded default config: reloading it\n");
	return job_begin(out, app, RELOAD_JOB_APPLY, path, timeout_s);
}

static int
cmd_table(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;

	/* A change now would be lost to the configuration being built: refused. */
	if (argc >= 2 && strcmp(argv[1], "show") != 0 && strcmp(argv[1], "test") != 0 &&
	    refuse_if_building(out, app))
		return -1;
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
		app->reload->builder.spawn = rte_ctrl_thread_create;
		app->reload->builder.run = reload_job_run;
		reload_free_spawn(rte_ctrl_thread_create);
		app->dp->free_offload = reload_free_offload;
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
	struct reload_job *job;

	if (r == NULL)
		return 0;
	if (r->builder.job != NULL) {
		job = reload_builder_collect(&r->builder);
		if (job == NULL)
			return 0;	/* still building */
		job_finish(app, job);
		return 1;
	}
	if (!plan_hist_due(&r->hist, mono_ms()))
		return 0;
	if (job_begin(NULL, app, RELOAD_JOB_ROLLBACK, NULL, 0) != 0) {
		dlog(RELOAD_ROLLBACK_FAILED, DLOG_S("error", "cannot start the builder"),
		     DLOG_S("file", r->cur_file), DLOG_S("kept", "unconfirmed"));
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
	/* A build under way: wait for it (it ends by itself) and drop it. */
	reload_job_free(reload_builder_wait(&r->builder));
	if (app->dp != NULL)
		app->dp->free_offload = NULL;
	reload_free_wait();
	if (r->reply != NULL) {
		ctl_error(ctl_pending_out(r->reply), CTL_FAILED, "dpf is stopping; nothing changed");
		ctl_pending_finish(r->reply);
	}
	app->cfg = app->plan->cfg;
	plan_drop(app, r->hist.cur);
	plan_drop(app, r->hist.prev);
	tables_reset(r);
	free((char *)r->cur_file);
	free(r->prev_file);
	free(r);
	app->reload = NULL;
}
