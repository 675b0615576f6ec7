/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: bringing the appliance up from a config, and the control loop.
 *
 * Order: dataplane (pool, ports, rings) -> interfaces -> FIB -> control
 * sockets -> workers.  Any failure is reported with its cause and undoes
 * what was done.  The loop never blocks: each iteration serves the control
 * sockets, the control core's packet work, once a second the link state,
 * and the deferred frees of published objects; with idle_sleep_us it
 * sleeps when an iteration found nothing to do.
 *
 * pflog: with logging.pflog set, the loop also drains the workers' log rings
 * into the pcap file (control/pflog/pflog_writer.c); SIGHUP reopens the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "control/app/app.h"
#include "control/carp/carp.h"
#include "control/app/filter_cmds.h"
#include "control/rules/rules.h"
#include "dataplane/filter.h"
#include "dataplane/frag.h"
#include "dataplane/rules_acl.h"

/* --- pflog (logging.pflog) --- */
#define APP_PFLOG_BUDGET 512	/* records written per loop iteration */

/* SIGHUP: reopen the pflog file (log rotation); acted on by the loop. */
static volatile sig_atomic_t app_hup;

static void
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
			printf("dpf: SIGHUP: pflog file %s reopened\n", app->cfg->logging.pflog);
		else
			fprintf(stderr, "dpf: SIGHUP: %s (retrying once a second)\n", err);
		fflush(stdout);
	}
	*work += pflog_writer_drain(app->pflog, app->dp, APP_PFLOG_BUDGET);
}
/* --- end pflog --- */

static int
app_dp_conf(const struct dpf_config *cfg, struct dp_conf *dc)
{
	unsigned int i;

	memset(dc, 0, sizeof(*dc));
	dc->n_workers = cfg->dataplane.workers;
	dc->burst = cfg->dataplane.burst;
	dc->idle_sleep_us = cfg->dataplane.idle_sleep_us;
	dc->log_snaplen = cfg->logging.pflog != NULL ? DP_LOG_SNAPLEN_DEFAULT : 0; /* pflog */
	dc->mbufs = cfg->dataplane.mbufs;
	dc->n_ports = cfg->dataplane.n_ports;
	for (i = 0; i < cfg->dataplane.n_ports && i < DP_MAX_PORTS; i++) {
		const struct cfg_port *p = &cfg->dataplane.ports[i];

		dc->ports[i].name = p->name;
		dc->ports[i].device = p->device;
		dc->ports[i].mtu = p->mtu;
		dc->ports[i].rx_desc = p->rx_desc;
		dc->ports[i].tx_desc = p->tx_desc;
	}
	return 0;
}

static int
app_ifaces(struct app *app, char *err, size_t errlen)
{
	const struct dpf_config *cfg = app->cfg;
	unsigned int i, j;
	int rc;

	for (i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];
		struct dp_iface di;

		memset(&di, 0, sizeof(di));
		snprintf(di.name, sizeof(di.name), "%s", ci->name);
		di.port = (uint16_t)ci->port;
		di.vlan = ci->vlan;
		di.mtu = ci->mtu;
		if (ci->n_addrs > DP_MAX_ADDRS) {
			snprintf(err, errlen, "interface %s: at most %u addresses", ci->name,
				 DP_MAX_ADDRS);
			return -EINVAL;
		}
		for (j = 0; j < ci->n_addrs; j++) {
			di.addrs[j].af = ci->addrs[j].af;
			di.addrs[j].plen = ci->addrs[j].plen;
			memcpy(di.addrs[j].addr, ci->addrs[j].addr, 16);
		}
		di.n_addrs = ci->n_addrs;
		rc = dp_iface_add(app->dp, &di, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static struct dp_fib *
app_fib(struct app *app, char *err, size_t errlen)
{
	const struct dpf_config *cfg = app->cfg;
	struct dp_route_conf *rc;
	struct dp_fib *fib;
	unsigned int i;

	rc = calloc(cfg->n_routes + 1, sizeof(*rc));
	if (rc == NULL)
		return NULL;
	for (i = 0; i < cfg->n_routes; i++) {
		const struct cfg_route *r = &cfg->routes[i];

		rc[i].dst.af = r->dst.af;
		rc[i].dst.plen = r->dst.plen;
		memcpy(rc[i].dst.addr, r->dst.addr, 16);
		rc[i].has_via = r->has_via;
		memcpy(rc[i].via, r->via, 16);
		rc[i].iface = r->iface;
		rc[i].reject = r->reject;
	}
	fib = dp_fib_build(app->dp, rc, cfg->n_routes, &app->unresolved_routes, err, errlen);
	free(rc);
	return fib;
}

/* --- packet filter: state tables and the ruleset --- */
static void
app_ruleset_free(struct dpf_ruleset *rs)
{
	if (rs == NULL)
		return;
	rules_acl_free(rs->acl);
	rs->acl = NULL;
	rules_ruleset_free(rs);
}

/* Compiles the config's rules and publishes them with pf's options. */
static int
app_filter(struct app *app, char *err, size_t errlen)
{
	const struct dpf_config *cfg = app->cfg;
	struct dpf_ruleset *rs;
	struct dp_rules *r;
	char msg[512];

	app->dp->host_id = app->host_id;
	if (app->dp->workers[0].states == NULL &&
	    (dp_filter_init(app->dp, cfg->limits[PFLIMIT_STATES], cfg->timeouts, err, errlen) != 0 ||
	     dp_frag_init(app->dp, cfg->limits[PFLIMIT_FRAGS], cfg->timeouts[PFTM_FRAG], err,
			  errlen) != 0))
		return -1;
	app->dp->sev_maxupd = cfg->sync.maxupd;	/* state_event.h: 0..255 */
	rs = cfg_ruleset(cfg, msg, sizeof(msg));
	if (rs == NULL) {
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	rs->acl = rules_acl_build(rs, msg, sizeof(msg));
	if (rs->acl == NULL && rs->n > 0) {
		snprintf(err, errlen, "rules: %.480s", msg);
		app_ruleset_free(rs);
		return -1;
	}
	r = dp_rules_new(app->dp, rs, app_ruleset_free, cfg->timeouts, cfg->limits[PFLIMIT_STATES]);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory for the ruleset");
		app_ruleset_free(rs);
		return -1;
	}
	dp_rules_publish(app->dp, r);
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
			printf("dpf: port %s: link %s\n", p->name, link.link_status ? "up" : "down");
		atomic_store(&p->link_up, (bool)link.link_status);
		p->link_speed = link.link_speed;
	}
}

static int
app_sockets(struct app *app, char *err, size_t errlen)
{
	const struct cfg_control *cc = &app->cfg->system.control;

	app->ctl = ctl_server_open(cc->socket, cc->mode, cc->group, false, err, errlen);
	if (app->ctl == NULL)
		return -1;
	if (app_cmds_register(app, app->ctl) != 0 || filter_cmds_register(app, app->ctl) != 0) {
		snprintf(err, errlen, "cannot register control commands");
		return -1;
	}
	if (cc->ro_socket != NULL) {
		app->ctl_ro = ctl_server_open(cc->ro_socket, cc->mode, cc->group, true, err,
					      errlen);
		if (app->ctl_ro == NULL || app_cmds_register(app, app->ctl_ro) != 0 ||
		    filter_cmds_register(app, app->ctl_ro) != 0)
			return -1;
	}
	return 0;
}

int
app_run(const struct dpf_config *cfg, volatile sig_atomic_t *stop)
{
	struct app *app;
	struct dp_conf dc;
	struct dp_fib *fib;
	char err[512] = "";
	uint64_t hz = rte_get_tsc_hz(), last_link = 0;
	int rc = -1;

	app = calloc(1, sizeof(*app));
	if (app == NULL)
		return -1;
	app->cfg = cfg;
	app->started = time(NULL);
	app->host_id = cfg->system.host_id_set ? cfg->system.host_id :
		       (uint32_t)(rte_rand() | 1);
	app->dp = rte_zmalloc("dpf_main", sizeof(*app->dp), RTE_CACHE_LINE_SIZE);
	if (app->dp == NULL) {
		fprintf(stderr, "dpf: out of memory\n");
		goto out;
	}
	app_dp_conf(cfg, &dc);
	if (dp_init(app->dp, &dc, err, sizeof(err)) != 0 ||
	    app_ifaces(app, err, sizeof(err)) != 0)
		goto fail;
	fib = app_fib(app, err, sizeof(err));
	if (fib == NULL)
		goto fail;
	dp_fib_publish(app->dp, fib);
	if (app_filter(app, err, sizeof(err)) != 0)
		goto fail;
	if (app->unresolved_routes)
		fprintf(stderr, "dpf: %u static routes have a gateway on no connected prefix "
			"and were skipped\n", app->unresolved_routes);
	if (local_init(&app->local, app->dp) != 0) {
		snprintf(err, sizeof(err), "cannot allocate the control core's tables");
		goto fail;
	}
	app->carp = carp_create(app->dp, &app->local, cfg, err, sizeof(err));
	if (app->carp == NULL)
		goto fail;
	if (app_sockets(app, err, sizeof(err)) != 0)
		goto fail;
	/* pflog: the file opens before the workers start; SIGHUP never kills dpf. */
	if (cfg->logging.pflog != NULL) {
		app->pflog = pflog_writer_open(cfg->logging.pflog, app->dp->log_snaplen, err,
					       sizeof(err));
		if (app->pflog == NULL)
			goto fail;
	}
	{
		struct sigaction sa = { .sa_handler = app_on_hup, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGHUP, &sa, NULL);
	}
	app_link_poll(app);
	if (dp_start(app->dp, err, sizeof(err)) != 0)
		goto fail;
	carp_start(app->carp);
	printf("dpf: running: %u ports, %u interfaces, %u workers, control socket %s\n",
	       app->dp->n_ports, app->dp->n_ifaces, app->dp->n_workers,
	       cfg->system.control.socket);
	fflush(stdout);

	while (!*stop) {
		unsigned int work = local_poll(&app->local) + carp_poll(app->carp);
		uint64_t now = rte_rdtsc();

		int n = ctl_server_poll(app->ctl);

		/* A poll() failure (-errno) is not work; the next iteration retries. */
		work += n > 0 ? (unsigned int)n : 0;
		if (app->ctl_ro != NULL) {
			n = ctl_server_poll(app->ctl_ro);
			work += n > 0 ? (unsigned int)n : 0;
		}
		if (now - last_link > hz) {
			last_link = now;
			app_link_poll(app);
			dp_reclaim(app->dp, false);
		}
		if (app->pflog != NULL)	/* pflog */
			app_pflog_poll(app, &work);
		work += filter_cmds_poll(app);	/* kill completions, state events */
		app->loops++;
		if (work == 0 && cfg->dataplane.idle_sleep_us)
			usleep(cfg->dataplane.idle_sleep_us);
	}
	printf("dpf: stopping\n");
	carp_shutdown(app->carp);	/* bow out: the backup takes over at once */
	dp_stop(app->dp);
	rc = 0;
	goto cleanup;
fail:
	fprintf(stderr, "dpf: %s\n", err);
	if (app->dp != NULL && app->dp->n_ports > 0)
		dp_stop(app->dp);
cleanup:
	if (app->pflog != NULL) {	/* pflog: what the stopped workers left */
		while (pflog_writer_drain(app->pflog, app->dp, APP_PFLOG_BUDGET) != 0)
			;
		pflog_writer_close(app->pflog);
	}
	carp_destroy(app->carp);
	if (app->local.neigh != NULL)
		local_fini(&app->local);
	if (app->ctl != NULL)
		ctl_server_close(app->ctl);
	if (app->ctl_ro != NULL)
		ctl_server_close(app->ctl_ro);
	filter_cmds_fini(app);
	if (app->dp != NULL) {
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
