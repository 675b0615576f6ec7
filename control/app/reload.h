/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Live reconfiguration (`dpfctl configure ...`) and runtime tables
 * (`dpfctl table NAME ...`): docs/dpfctl.md, docs/config.md "Live reload".
 *
 * The running appliance keeps two plans apart: the boot plan (app->plan),
 * which what is set up once at start keeps pointers into (CARP, pfsync,
 * sockets, interfaces) and which is never freed while dpf runs, and the
 * live plan, whose rules, tables, routes, timeouts and limits are
 * published.  A reload compiles a candidate plan, refuses it unless every
 * difference is live (control/plan/plan_diff.h), builds its objects aside
 * (plan_instantiate) and swaps them in by pointer (plan_publish): workers
 * see the old objects or the new ones, never a mix, and the old ones are
 * freed after an RCU grace period.  States are not touched: as after
 * `pfctl -f`, existing connections keep flowing.
 *
 * Ownership: [C] control core only.
 */
#ifndef DPF_CONTROL_APP_RELOAD_H
#define DPF_CONTROL_APP_RELOAD_H

#include <stdint.h>

#include "control/ctl/ctl.h"
#include "control/plan/plan.h"

struct app;
struct dpf_ruleset;

/*
 * Where the boot config came from (NULL: the embedded default) and the
 * command line's EAL arguments, which every reload compiles with.  main()
 * calls it before app_run(); path and opts must outlive the process.
 */
void reload_source(const char *path, const struct plan_opts *opts);

/* Registers `configure` and `table` (admin socket only: not read-only). */
int reload_cmds_register(struct app *app, struct ctl_server *srv);
/* Every loop iteration: the rollback timer.  Returns the work done. */
unsigned int reload_poll(struct app *app);
/* At exit: frees the live plans (not the boot plan). */
void reload_fini(struct app *app);

/* --- runtime tables (table_cmds.c) --- */
struct reload_tables;

/*
 * A copy of rs whose rules that name tables are resolved against tables
 * (the runtime contents) instead of the config's; NULL with err filled.
 */
struct dpf_ruleset *table_ruleset(const struct dpf_plan *p, const struct reload_tables *t,
				  char *err, size_t errlen);
void table_set_free(struct reload_tables *t);
/* The `table` command; the live plan is *live, runtime contents in *tables. */
int table_cmd(struct ctl_out *out, int argc, char **argv, struct app *app,
	      const struct dpf_plan *live, struct reload_tables **tables);
/* Publishes a ruleset of p's rules with tables t (NULL: the config's). */
int reload_publish_rules(struct app *app, const struct dpf_plan *p,
			 const struct reload_tables *t, char *err, size_t errlen);
/* "uid=U pid=P" of the request's peer, for the log. */
void reload_peer(const struct ctl_out *out, char *buf, size_t len);

#endif /* DPF_CONTROL_APP_RELOAD_H */
