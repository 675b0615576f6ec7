/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The running appliance: what the control core holds while dpf runs.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_APP_H
#define DPF_CONTROL_APP_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "control/config/config.h"
#include "control/ctl/ctl.h"
#include "control/local/local.h"
#include "control/pflog/pflog_writer.h"
#include "dataplane/dp.h"

struct carp;
struct pfsync;
struct dpf_plan;
struct filter_ctl;
struct reload;

struct app {
	const struct dpf_plan *plan;	/* control/plan: what runs */
	const struct dpf_config *cfg;	/* plan->cfg */
	struct dp_main *dp;
	struct local local;
	struct carp *carp;		/* control/carp/carp.h */
	struct pfsync *pfsync;		/* control/pfsync/pfsync.h; NULL when sync is off */
	struct ctl_server *ctl;
	struct ctl_server *ctl_ro;
	time_t started;
	uint32_t host_id;
	unsigned int unresolved_routes;
	uint64_t loops;
	/*
	 * The control loop's longest gap between two iterations, in TSC
	 * cycles: since start, and since the last reload began (reload.c
	 * resets it): what a CARP advert or a pfsync flush may have waited.
	 */
	uint64_t gap_max_tsc;
	uint64_t gap_reload_tsc;
	struct pflog_writer *pflog;	/* logging.pflog; NULL when off */
	struct filter_ctl *filter;	/* state kills under way (filter_cmds.c) */
	struct reload *reload;		/* live plans, rollback, runtime tables (reload.c) */
	struct app_watch *watch;	/* limits and ring overflows to the log (app_watch.c) */
};

/*
 * Logs the limits reached and the ring overflows the counters show since
 * the last call (at most one line per counter per 10 s); the loop calls it
 * about once a second.  app_watch_fini() frees its state.
 */
void app_watch_poll(struct app *app, uint64_t now_ms);
void app_watch_fini(struct app *app);

/* Sets up the appliance from a compiled plan and runs it until *stop becomes non-zero. */
/*
 * SIGHUP's handler: asks the loop to reopen the pflog file.  main() installs
 * it before anything else; one that comes before the loop runs (or with no
 * pflog file) is acted on at the first iteration, or ignored.
 */
void app_on_hup(int sig);
/*
 * Takes each port's device lock (lock_dir/plan->port_lock[i], flock) before
 * EAL touches the devices, so that a second dpf on the same interfaces is
 * refused instead of duplicating every packet.  The locks are held until
 * exit (their descriptors stay open, close-on-exec).  0, or -1 with err
 * naming the port, the lock file and the holder's pid.
 */
/*
 * rte_eal_init() with messages one can act on: on failure one line per
 * distinct EAL error, no usage dump for a bad argument, and a last line
 * that says what to do (reserve hugepages or set no_huge, `dpf -- --help`).
 * Returns rte_eal_init()'s result.
 */
int app_eal_init(int argc, char **argv);
int app_port_locks(const struct dpf_plan *plan, char *err, size_t errlen);
int app_run(const struct dpf_plan *plan, volatile sig_atomic_t *stop);

/* Registers the dataplane's dpfctl commands (show info, interfaces, ...). */
int app_cmds_register(struct app *app, struct ctl_server *srv);

/* metrics.c: `show metrics` (Prometheus text). */
int metrics_cmds_register(struct app *app, struct ctl_server *srv);
/* telemetry.c: /dpf/... DPDK telemetry commands, answered on the control core. */
void telemetry_start(struct app *app);
unsigned int telemetry_poll(struct app *app);
void telemetry_stop(void);
/* sd_notify.c: a state for systemd (READY=1...); 0 without $NOTIFY_SOCKET. */
int app_sd_notify(const char *state);

#endif /* DPF_CONTROL_APP_H */
