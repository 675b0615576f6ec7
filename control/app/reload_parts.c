/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: CARP, addresses, pfsync and pflog in a live reload (reload_parts.h).
 *
 * Interface addresses: the FIB holds an interface's addresses as local
 * next hops and its networks as connected routes; plan_diff marks an
 * address change as a routes change, so reload.c rebuilds and publishes
 * the FIB from the candidate's interfaces by the same path as a changed
 * route.  What the control core reads of them (dp_main.ifaces[].addrs:
 * ARP and ND answers, source addresses of what it sends, CARP's and
 * pfsync's sources) is written here at commit, right after that publish;
 * workers never read the addresses (only a port, a VLAN and an MTU, which
 * a reload does not change).  Each added address is announced as a router
 * announces one it takes up: a gratuitous ARP, or an unsolicited NA with
 * the Override flag [RFC 5227 3, RFC 4861 7.2.6].  A removed address stops
 * answering with that publish.
 *
 * pflog: the workers' log rings exist whether pflog is on or not (plan.c
 * sizes them always); dp_main.log_on says whether workers log.  Turning
 * it on opens the file at prepare (a file that cannot be opened refuses
 * the reload) and sets the flag at commit; turning it off clears the flag,
 * writes what the rings hold and closes the file.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control/app/app.h"
#include "control/app/reload_parts.h"
#include "control/carp/carp.h"
#include "control/log/dlog.h"
#include "control/pfsync/pfsync.h"
#include "control/plan/plan.h"

#define PARTS_PFLOG_DRAIN 65536		/* records the closing pflog file still gets */

struct reload_parts {
	const struct dpf_plan *cand;
	struct carp_next *carp;
	struct pflog_writer *pflog_on;	/* opened: pflog turned on */
	bool pflog_off;
	bool addrs[DP_MAX_IFACES];	/* the interface's addresses change */
	bool sync;			/* pfsync runs: its settings are applied */
	struct pfsync_conf sync_conf;
};

void
reload_parts_abort(struct reload_parts *rp)
{
	if (rp == NULL)
		return;
	carp_reload_abort(rp->carp);
	if (rp->pflog_on != NULL)
		pflog_writer_close(rp->pflog_on);
	free(rp);
}

static bool
same_addrs(const struct dp_iface *a, const struct dp_iface *b)
{
	if (a->n_addrs != b->n_addrs)
		return false;
	for (unsigned int i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].af != b->addrs[i].af || a->addrs[i].plen != b->addrs[i].plen ||
		    memcmp(a->addrs[i].addr, b->addrs[i].addr, 16) != 0)
			return false;
	return true;
}

int
reload_parts_prepare(struct app *app, const struct dpf_plan *cand, struct reload_parts **out,
		     char *err, size_t errlen)
{
	const struct dpf_config *cfg = cand->cfg;
	struct reload_parts *rp = calloc(1, sizeof(*rp));

	*out = NULL;
	if (rp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rp->cand = cand;
	/* plan_diff refused a change of interfaces: the same ones, in order. */
	for (unsigned int i = 0; i < cand->n_ifaces && i < app->dp->n_ifaces; i++)
		rp->addrs[i] = !same_addrs(&app->dp->ifaces[i], &cand->ifaces[i]);
	if (app->carp != NULL &&
	    carp_reload_prepare(app->carp, cfg, &rp->carp, err, errlen) != 0)
		goto fail;
	if (cfg->logging.pflog != NULL && app->pflog == NULL) {
		char msg[512];

		rp->pflog_on = pflog_writer_open(cfg->logging.pflog, app->dp->log_snaplen, msg,
						 sizeof(msg));
		if (rp->pflog_on == NULL) {
			snprintf(err, errlen, "logging.pflog: %.480s", msg);
			goto fail;
		}
	}
	rp->pflog_off = cfg->logging.pflog == NULL && app->pflog != NULL;
	if (app->pfsync != NULL) {
		const struct cfg_sync *cs = &cfg->sync;

		rp->sync = true;
		rp->sync_conf.iface = cs->iface;
		rp->sync_conf.has_peer = cs->has_peer;
		if (cs->has_peer)
			memcpy(rp->sync_conf.peer, cs->peer.addr, 4);
		rp->sync_conf.maxupd = cs->maxupd;
		rp->sync_conf.flush_us = cs->flush_us;
		rp->sync_conf.defer = cs->defer;
	}
	*out = rp;
	return 0;
fail:
	reload_parts_abort(rp);
	return -1;
}

static bool
has_addr(const struct dp_iface *ifc, const struct dp_addr *a)
{
	for (unsigned int i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].af == a->af && memcmp(ifc->addrs[i].addr, a->addr, 16) == 0)
			return true;
	return false;
}

static void
log_addr(const char *ifname, const char *what, const struct dp_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->af == 4 ? AF_INET : AF_INET6, a->addr, s, sizeof(s));
	dlog_text(DLOG_NOTICE, "reload: interface %s: address %s/%u %s", ifname, s, a->plen, what);
}

/* dp's addresses of interface i become the candidate's; the new ones are announced. */
static void
addrs_commit(struct app *app, unsigned int i, const struct dp_iface *n)
{
	struct dp_iface *ifc = &app->dp->ifaces[i];
	struct dp_iface old = *ifc;

	ifc->n_addrs = n->n_addrs;
	memcpy(ifc->addrs, n->addrs, sizeof(ifc->addrs));
	for (unsigned int k = 0; k < old.n_addrs; k++)
		if (!has_addr(ifc, &old.addrs[k]))
			log_addr(ifc->name, "removed", &old.addrs[k]);
	for (unsigned int k = 0; k < ifc->n_addrs; k++) {
		if (has_addr(&old, &ifc->addrs[k]))
			continue;
		log_addr(ifc->name, "added", &ifc->addrs[k]);
		local_announce(&app->local, (uint16_t)i, ifc->addrs[k].af, ifc->addrs[k].addr);
	}
}

void
reload_parts_commit(struct app *app, struct reload_parts *rp)
{
	for (unsigned int i = 0; i < app->dp->n_ifaces; i++)
		if (rp->addrs[i])
			addrs_commit(app, i, &rp->cand->ifaces[i]);
	if (rp->sync)
		pfsync_reconf(app->pfsync, &rp->sync_conf);
	else
		atomic_store(&app->dp->sev_maxupd, rp->cand->cfg->sync.maxupd);
	if (rp->carp != NULL) {
		carp_reload_commit(app->carp, rp->carp);
		rp->carp = NULL;
	}
	if (rp->pflog_on != NULL) {
		app->pflog = rp->pflog_on;
		rp->pflog_on = NULL;
		atomic_store(&app->dp->log_on, true);
		dlog_text(DLOG_NOTICE, "reload: pflog on: %s", rp->cand->cfg->logging.pflog);
	} else if (rp->pflog_off) {
		/* Records a worker enqueues after this drain wait in the rings
		 * for the next file: the flag is read once per logged packet. */
		atomic_store(&app->dp->log_on, false);
		pflog_writer_drain(app->pflog, app->dp, PARTS_PFLOG_DRAIN);
		pflog_writer_close(app->pflog);
		app->pflog = NULL;
		dlog_text(DLOG_NOTICE, "reload: pflog off");
	}
	fflush(stdout);
	reload_parts_abort(rp);
}
