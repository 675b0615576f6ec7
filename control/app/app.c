/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: bringing the appliance up from a config, and the control loop.
 *
 * The config arrives compiled and checked (control/plan): bring-up only
 * applies the plan.  Order: dataplane (pool, ports, rings) -> interfaces ->
 * state tables -> the plan's FIB and ruleset -> control sockets -> workers.
 * Any failure is reported with its cause and undoes what was done.  The
 * loop never blocks: each iteration serves the control core's packet work,
 * the control sockets (every millisecond while no client is connected:
 * app_ctl_poll()), once a second the link state, and the deferred frees of
 * published objects; with idle_sleep_us it sleeps when an iteration found
 * nothing to do.
 *
 * pflog: with logging.pflog set, the loop also drains the workers' log rings
 * into the pcap file (control/pflog/pflog_writer.c); SIGHUP reopens the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "control/app/app.h"
#include "control/carp/carp.h"
#include "control/log/dlog.h"
#include "control/pfsync/pfsync.h"
#include "control/app/filter_cmds.h"
#include "control/app/reload.h"
#include "control/plan/plan.h"
#include "dataplane/filter.h"
#include "dataplane/frag.h"

/* --- pflog (logging.pflog) --- */
#define APP_PFLOG_BUDGET 512	/* records written per loop iteration */

/* SIGHUP: reopen the pflog file (log rotation); acted on by the loop. */
static volatile sig_atomic_t app_hup;

void
app_on_hup(int sig)
{
	(void)sig;
	app_hup = 1;
}

static void
app_pflog_poll(struct app *app, unsigned int *work)
{
	char err[512];

	if (app_hup) {
		app_hup = 0;
		if (pflog_writer_reopen(app->pflog, err, sizeof(err)) == 0)
			dlog(PFLOG_REOPENED, DLOG_S("file", app->cfg->logging.pflog),
			     DLOG_S("by", "SIGHUP"));
		else
			dlog(PFLOG_REOPEN_FAILED, DLOG_S("error", err), DLOG_S("by", "SIGHUP"),
			     DLOG_U("retry_s", 1));
	}
	*work += pflog_writer_drain(app->pflog, app->dp, APP_PFLOG_BUDGET);
}
/* --- end pflog --- */

int
app_port_locks(const struct dpf_plan *plan, char *err, size_t errlen)
{
	const struct cfg_dataplane *cd = &plan->cfg->dataplane;
	char path[512], pid[32];

	if (mkdir(cd->lock_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the lock directory %s: %s", cd->lock_dir,
			 strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < cd->n_ports; i++) {
		int fd, n;

		if (plan->port_lock[i][0] == '\0')
			continue;	/* a device of this process alone */
		snprintf(path, sizeof(path), "%s/%s", cd->lock_dir, plan->port_lock[i]);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "port %s: cannot open its lock %s: %s",
				 cd->ports[i].name, path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;

			n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(fd);
			if (e == EWOULDBLOCK)
				snprintf(err, errlen, "port %s (device %s) is in use by another dpf "
					 "(pid %s, lock %s)", cd->ports[i].name,
					 cd->ports[i].device, pid[0] != '\0' ? pid : "unknown",
					 path);
			else
				snprintf(err, errlen, "port %s: cannot lock %s: %s",
					 cd->ports[i].name, path, strerror(e));
			return -1;
		}
		/* The holder's pid, for the message of the next one. */
		n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
			/* The lock holds without the pid; only the next message is poorer. */
			dlog(LOCK_PID, DLOG_S("file", path), DLOG_S("error", strerror(errno)));
	}
	return 0;
}

/* The interfaces, in the plan's order: their indexes are the config's. */
static int
app_ifaces(struct app *app, char *err, size_t errlen)
{
	const struct dpf_plan *plan = app->plan;
	unsigned int i;
	int rc;

	for (i = 0; i < plan->n_ifaces; i++) {
		rc = dp_iface_add(app->dp, &plan->ifaces[i], err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- packet filter: state tables, then the plan's FIB and ruleset --- */
/*
 * Creates the state and fragment tables (sized by limits: applied once, at
 * start), then builds the plan's FIB and ruleset and publishes them with
 * pf's options.
 */
static int
app_filter(struct app *app, char *err, size_t errlen)
{
	const struct dpf_plan *plan = app->plan;
	struct plan_objs objs;

	app->dp->host_id = app->host_id;
	if (app->dp->workers[0].states == NULL &&
	    (dp_filter_init(app->dp, plan->limits[PFLIMIT_STATES], plan->timeouts, err,
			    errlen) != 0 ||
	     dp_frag_init(app->dp, plan->limits[PFLIMIT_FRAGS], plan->timeouts[PFTM_FRAG], err,
			  errlen) != 0))
		return -1;
	app->dp->sev_maxupd = plan->cfg->sync.maxupd;	/* state_event.h: 0..255 */
	if (plan_instantiate(plan, app->dp, &objs, err, errlen) != 0)
		return -1;
	app->unresolved_routes = objs.unresolved_routes;
	plan_publish(app->dp, &objs);
	return 0;
}
/* --- end packet filter --- */

static void
app_link_poll(struct app *app)
{
	unsigned int i;

	for (i = 0; i < app->dp->n_ports; i++) {
		struct dp_port *p = &app->dp->ports[i];
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
			continue;
		if ((bool)link.link_status != atomic_load(&p->link_up))
			dlog(LINK, DLOG_S("port", p->name),
			     DLOG_S("link", link.link_status ? "up" : "down"),
			     DLOG_U_IF(link.link_status, "speed_mbps", link.link_speed));
		atomic_store(&p->link_up, (bool)link.link_status);
		p->link_speed = link.link_speed;
	}
}

/* pfsync, when sync.interface is set (the plan checked its settings). */
static int
app_pfsync(struct app *app, char *err, size_t errlen)
{
	const struct cfg_sync *cs = &app->cfg->sync;
	struct pfsync_conf pc;

	if (cs->iface < 0)
		return 0;
	memset(&pc, 0, sizeof(pc));
	pc.iface = cs->iface;
	pc.has_peer = cs->has_peer;
	if (cs->has_peer)
		memcpy(pc.peer, cs->peer.addr, 4);
	pc.maxupd = cs->maxupd;
	pc.flush_us = cs->flush_us;
	pc.defer = cs->defer;
	app->dp->sync_defer = cs->defer;	/* [I]: before dp_start() */
	pc.limit_states = app->plan->limits[PFLIMIT_STATES];
	pc.hostid = app->host_id;
	if (cs->key_file != NULL) {
		pc.auth = true;
		pc.key_len = cs->key_len;
		memcpy(pc.key, cs->key, cs->key_len);
	}
	app->pfsync = pfsync_create(app->dp, &app->local, app->carp, &pc, err, errlen);
	explicit_bzero(pc.key, sizeof(pc.key));
	return app->pfsync != NULL ? 0 : -1;
}

/*
 * The control sockets cost a poll() each time they are looked at, so the
 * loop looks at them every APP_CTL_PERIOD_US (a TSC deadline: a new
 * connection waits at most that long to be accepted) while no client is
 * connected, and at every iteration while one is (a command's request,
 * reply and close then go at the loop's pace).  Nothing else in the loop
 * makes a system call when idle: the timers read the TSC or the vDSO
 * clock, signals only set flags the loop reads, and idle_sleep_us sleeps
 * after an iteration that found no work, as before.  An idle dpf went from
 * one poll() per iteration (about 580k system calls per second with
 * idle_sleep_us 0) to 1,000 per second (docs/BENCHMARKS.md).
 */
#define APP_CTL_PERIOD_US 1000

static unsigned int
app_ctl_poll(struct app *app)
{
	unsigned int work = 0;
	int n = ctl_server_poll(app->ctl);

	/* A poll() failure (-errno) is not work; the next look retries. */
	work += n > 0 ? (unsigned int)n : 0;
	if (app->ctl_ro != NULL) {
		n = ctl_server_poll(app->ctl_ro);
		work += n > 0 ? (unsigned int)n : 0;
	}
	return work;
}

static unsigned int
app_ctl_clients(const struct app *app)
{
	return ctl_server_clients(app->ctl) +
	       (app->ctl_ro != NULL ? ctl_server_clients(app->ctl_ro) : 0);
}

static int
app_sockets(struct app *app, char *err, size_t errlen)
{
	const struct cfg_control *cc = &app->cfg->system.control;

	app->ctl = ctl_server_open(cc->socket, cc->mode, cc->owner, cc->group, false, err,
				   errlen);
	if (app->ctl == NULL)
		return -1;
	ctl_server_timeouts(app->ctl, cc->idle_timeout_ms, cc->stall_timeout_ms);
	if (app_cmds_register(app, app->ctl) != 0 || filter_cmds_register(app, app->ctl) != 0 ||
	    reload_cmds_register(app, app->ctl) != 0 ||
	    (app->pfsync != NULL && pfsync_cmds_register(app->pfsync, app->ctl) != 0)) {
		snprintf(err, errlen, "cannot register control commands");
		return -1;
	}
	if (cc->ro_socket != NULL) {
		/* Its own owner, group and mode: monitoring users reach this one only. */
		app->ctl_ro = ctl_server_open(cc->ro_socket,
					      cc->ro_mode_set ? cc->ro_mode : cc->mode,
					      cc->ro_owner != NULL ? cc->ro_owner : cc->owner,
					      cc->ro_group != NULL ? cc->ro_group : cc->group,
					      true, err, errlen);
		if (app->ctl_ro == NULL)
			return -1;
		ctl_server_timeouts(app->ctl_ro, cc->idle_timeout_ms, cc->stall_timeout_ms);
		if (app_cmds_register(app, app->ctl_ro) != 0 ||
		    filter_cmds_register(app, app->ctl_ro) != 0 ||
		    reload_cmds_register(app, app->ctl_ro) != 0 ||	/* refused there: 9004 */
		    (app->pfsync != NULL && pfsync_cmds_register(app->pfsync, app->ctl_ro) != 0))
			return -1;
	}
	return 0;
}

/*
 * dpf is stopping (the workers have returned) and the process ends after
 * rte_eal_cleanup(), which unmaps the DPDK heap whole: the big objects
 * there are left to it rather than freed one by one.  rte_free() clears
 * what it frees [DPDK 22.11 malloc_elem_free(): memset unless the element
 * is marked dirty], which writes every byte of a state table and faults in
 * its pages that never held a state: at 1M states (limits.states 1.25M)
 * freeing the state tables and the FIB took 0.35 s of the 0.5 s dpf took
 * to exit after SIGTERM.  What lives in libc's heap is still freed (that
 * is what LeakSanitizer checks; it does not see the DPDK heap).  The
 * failure path frees everything, as before.
 */
static void
app_exit_keep_heap(struct app *app)
{
	for (unsigned int i = 0; i < app->dp->n_workers; i++)
		app->dp->workers[i].states = NULL;	/* dp_filter_fini() skips them */
	dp_fib_free_at_exit(atomic_exchange(&app->dp->fib, NULL));
}

int
app_run(const struct dpf_plan *plan, volatile sig_atomic_t *stop)
{
	const struct dpf_config *cfg = plan->cfg;
	struct app *app;
	char err[512] = "";
	uint64_t hz = rte_get_tsc_hz(), last_link = 0, next_ctl = 0, last_iter;
	uint64_t ctl_period = hz / 1000000 * APP_CTL_PERIOD_US;
	int rc = -1;

	app = calloc(1, sizeof(*app));
	if (app == NULL)
		return -1;
	app->plan = plan;
	app->cfg = cfg;
	app->started = time(NULL);
	app->host_id = cfg->system.host_id_set ? cfg->system.host_id :
		       (uint32_t)(rte_rand() | 1);
	app->dp = rte_zmalloc("dpf_main", sizeof(*app->dp), RTE_CACHE_LINE_SIZE);
	if (app->dp == NULL) {
		dlog_text(DLOG_ERR, "out of memory");
		goto out;
	}
	if (dp_init(app->dp, &plan->dp, err, sizeof(err)) != 0 ||
	    app_ifaces(app, err, sizeof(err)) != 0 || app_filter(app, err, sizeof(err)) != 0)
		goto fail;
	if (app->unresolved_routes)
		dlog(ROUTES_SKIPPED, DLOG_U("routes", app->unresolved_routes),
		     DLOG_S("reason", "gateway on no connected prefix"));
	if (local_init(&app->local, app->dp) != 0) {
		snprintf(err, sizeof(err), "cannot allocate the control core's tables");
		goto fail;
	}
	app->carp = carp_create(app->dp, &app->local, cfg, err, sizeof(err));
	if (app->carp == NULL || app_pfsync(app, err, sizeof(err)) != 0)
		goto fail;
	if (app_sockets(app, err, sizeof(err)) != 0)
		goto fail;
	/* pflog: the file opens before the workers start; SIGHUP never kills dpf. */
	if (cfg->logging.pflog != NULL) {
		app->pflog = pflog_writer_open(cfg->logging.pflog, app->dp->log_snaplen, err,
					       sizeof(err));
		if (app->pflog == NULL)
			goto fail;
		atomic_store(&app->dp->log_on, true);
	}
	app_link_poll(app);
	if (dp_start(app->dp, err, sizeof(err)) != 0)
		goto fail;
	carp_start(app->carp);
	if (app->pfsync != NULL)
		pfsync_start(app->pfsync);
	for (unsigned int i = 0; i < cfg->dataplane.n_ports; i++)
		if (plan->port_af_packet[i])
			/* The kernel reassembles IPv4 fragments before dpf sees them. */
			dlog(PORT_KERNEL_FRAGS, DLOG_S("port", cfg->dataplane.ports[i].name),
			     DLOG_S("device", cfg->dataplane.ports[i].device),
			     DLOG_S("not_applied", "limits.frags,timeouts.frag"));
	for (unsigned int i = 0; i < app->dp->n_ports; i++)
		if (app->dp->ports[i].rss == DP_RSS_ALL)
			/* The device kept its RETA: the control core takes a share. */
			dlog(PORT_RSS_ALL, DLOG_S("port", app->dp->ports[i].name),
			     DLOG_S("device", cfg->dataplane.ports[i].device),
			     DLOG_U("reta_size", app->dp->ports[i].reta_size),
			     DLOG_U("queues", app->dp->ports[i].n_rxq));
	dlog(STARTED, DLOG_S("version", DPF_VERSION), DLOG_U("ports", app->dp->n_ports),
	     DLOG_U("interfaces", app->dp->n_ifaces), DLOG_U("workers", app->dp->n_workers),
	     DLOG_S("socket", cfg->system.control.socket));
	telemetry_start(app);
	app_sd_notify("READY=1\nSTATUS=running");	/* ports up, config applied */

	last_iter = rte_rdtsc();
	while (!*stop) {
		unsigned int work = local_poll(&app->local) + carp_poll(app->carp);
		uint64_t now = rte_rdtsc();

		/* The loop's gaps: what a CARP advert may have waited (show info). */
		if (now - last_iter > app->gap_max_tsc)
			app->gap_max_tsc = now - last_iter;
		if (now - last_iter > app->gap_reload_tsc)
			app->gap_reload_tsc = now - last_iter;
		last_iter = now;

		if (now >= next_ctl) {
			work += app_ctl_poll(app);
			/* With a client connected, again at the next iteration. */
			next_ctl = app_ctl_clients(app) ? now : now + ctl_period;
		}
		if (now - last_link > hz) {
			last_link = now;
			app_link_poll(app);
			app_watch_poll(app, now / (hz / 1000));
			dp_reclaim(app->dp, false);
		}
		if (app->pflog != NULL)	/* pflog */
			app_pflog_poll(app, &work);
		work += filter_cmds_poll(app);	/* completions, state events (pfsync's too) */
		work += reload_poll(app);	/* the rollback timer */
		if (app->pfsync != NULL)
			work += pfsync_poll(app->pfsync);
		work += telemetry_poll(app);
		app->loops++;
		if (work == 0 && cfg->dataplane.idle_sleep_us)
			usleep(cfg->dataplane.idle_sleep_us);
	}
	dlog(STOPPING, DLOG_S("reason", "signal"));
	app_sd_notify("STOPPING=1\nSTATUS=stopping");
	pfsync_shutdown(app->pfsync);	/* what is queued goes out first */
	carp_shutdown(app->carp);	/* bow out: the backup takes over at once */
	dp_stop(app->dp);
	rc = 0;
	goto cleanup;
fail:
	dlog_text(DLOG_ERR, "%s", err);
	if (app->dp != NULL && app->dp->n_ports > 0)
		dp_stop(app->dp);
cleanup:
	telemetry_stop();	/* its callbacks stay registered: they answer an error */
	if (app->pflog != NULL) {	/* pflog: what the stopped workers left */
		while (pflog_writer_drain(app->pflog, app->dp, APP_PFLOG_BUDGET) != 0)
			;
		pflog_writer_close(app->pflog);
	}
	pfsync_destroy(app->pfsync);
	carp_destroy(app->carp);
	if (app->local.neigh != NULL)
		local_fini(&app->local);
	if (app->ctl != NULL)
		ctl_server_close(app->ctl);
	if (app->ctl_ro != NULL)
		ctl_server_close(app->ctl_ro);
	filter_cmds_fini(app);
	reload_fini(app);
	app_watch_fini(app);
	if (app->dp != NULL) {
		if (rc == 0)
			app_exit_keep_heap(app);
		dp_filter_fini(app->dp);
		dp_frag_fini(app->dp);
		dp_fib_free(atomic_exchange(&app->dp->fib, NULL));
		dp_reclaim(app->dp, true);
	}
out:
	rte_free(app->dp);
	free(app);
	return rc;
}
