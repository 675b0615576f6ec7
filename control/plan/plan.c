/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: compiling a config into a plan (control/plan/plan.h).
 *
 * Each section is turned into the dataplane's own types (struct dp_conf,
 * dp_iface, dp_route_conf) and checked against the limits of the code that
 * will take them, in the order the config lists the sections, so the first
 * error is the one a reader meets first:
 *
 *   dataplane   lcores for the workers (dp_init: rte_lcore_count()),
 *               af_packet queue pairs (dp_init: max_rx_queues)
 *   interfaces  DP_MAX_IFACES, DP_MAX_ADDRS (dp_iface_add, app bring-up)
 *   routes      the FIB's prefixes and tables, the gateways' neighbour
 *               entries (dp_fib_fit: dp_fib_build's own walk)
 *   rules       classifier entries per rule and per family
 *               (rules_acl_check: rules_acl_build's own expansion)
 *   carp        addresses an advertisement's HMAC covers (carp_hmac_init)
 *
 * Limits the config schema already enforces with the same numbers (ports,
 * workers, names, VLAN ids, the CARP key) are tied to the dataplane's by
 * static assertions below, so that neither can change alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/plan/plan.h"
#include "control/plan/plan_priv.h"
#include "control/rules/rules.h"
#include "dataplane/dp_log.h"
#include "dataplane/rules_acl.h"
#include "proto/carp.h"

_Static_assert(CFG_MAX_PORTS <= DP_MAX_PORTS, "dataplane.ports: the schema allows more ports "
	       "than the dataplane has");
_Static_assert(CFG_MAX_WORKERS <= DP_MAX_WORKERS, "dataplane.workers: the schema allows more "
	       "workers than the dataplane has");
_Static_assert(CFG_NAME_MAX <= sizeof(((struct dp_iface *)0)->name) &&
	       CFG_NAME_MAX <= sizeof(((struct dp_port *)0)->name), "names fit the dataplane's");
_Static_assert(DP_MAX_IFACES <= RULES_MAX_IFACES, "a rule can name every interface");
_Static_assert(DP_MAX_IFACES < UINT8_MAX, "dp_main.vlan_map holds interface index + 1");
_Static_assert(sizeof(((struct cfg_vhid *)0)->key) - 1 <= CARP_KEY_MAX,
	       "a CARP key the config accepts is one carp_hmac_init() accepts");

static int
plan_nomem(struct dpf_plan *p, struct cfg_error *err)
{
	return cfg_fail_at(p->cfg, err, "", "out of memory");
}

/* --- dataplane --- */

/*
 * dp_init() needs an lcore per worker and one for the control core.  An
 * lcore list on the command line replaces the config's, so it is what is
 * counted then; the config's workers are at fault if it is too short.
 */
static int
plan_lcores(struct dpf_plan *p, const struct plan_opts *opts, struct cfg_error *err)
{
	const struct cfg_dataplane *cd = &p->cfg->dataplane;
	unsigned int need = cd->workers + 1;
	const char *list;
	bool mask;
	char why[128];

	plan_eal_lcores(opts->eal_argc, opts->eal_argv, &list, &mask);
	if (list == NULL) {
		if (plan_lcores_count(cd->eal.lcores, false, &p->lcores, why, sizeof(why)) < 0)
			return cfg_fail_at(p->cfg, err, "dataplane.eal.lcores", "\"%s\": %s",
					   cd->eal.lcores, why);
		if (p->lcores < need)
			return cfg_fail_at(p->cfg, err, "dataplane.eal.lcores", "\"%s\" names %u "
					   "lcores; %u workers need %u (one each and the "
					   "control core)", cd->eal.lcores, p->lcores, cd->workers,
					   need);
		return 0;
	}
	if (plan_lcores_count(list, mask, &p->lcores, why, sizeof(why)) < 0)
		return cfg_fail_at(p->cfg, err, "", "%s \"%s\" on the command line: %s",
				   mask ? "the core mask" : "the lcore list", list, why);
	if (p->lcores < need)
		return cfg_fail_at(p->cfg, err, "dataplane.workers", "%u workers need %u lcores "
				   "(one each and the control core); %s \"%s\" on the command "
				   "line names %u", cd->workers, need,
				   mask ? "the core mask" : "the lcore list", list, p->lcores);
	return 0;
}

unsigned int
plan_port_queues(const struct dpf_config *cfg, unsigned int i)
{
	unsigned int k, n = 0;

	if (cfg->sync.iface < 0)
		return cfg->dataplane.workers + 1;
	for (k = 0; k < cfg->n_ifaces; k++) {
		if (cfg->ifaces[k].port != i)
			continue;
		if ((int)k != cfg->sync.iface)
			return cfg->dataplane.workers + 1;
		n++;
	}
	return n > 0 ? 1 : cfg->dataplane.workers + 1;
}

void
plan_port_lock_name(const char *vdev, const char *device, char *buf, size_t len)
{
	const char *ifc = NULL, *name = device;
	size_t n = strlen(device), k;
	char *c;

	/* iface= is a kvarg of the vdev: after a comma, up to the next one. */
	for (const char *a = vdev != NULL ? strchr(vdev, ',') : NULL; a != NULL;
	     a = strchr(a + 1, ','))
		if (strncmp(a + 1, "iface=", 6) == 0)
			ifc = a + 7;
	if (ifc != NULL) {
		name = ifc;
		n = strcspn(ifc, ",");
	} else if (strncmp(device, "net_", 4) == 0) {
		/* A vdev of its own (net_null, net_ring, net_pcap on files): nothing shared. */
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	k = (size_t)snprintf(buf, len, "port-%s%.*s.lock", ifc != NULL ? "iface-" : "", (int)n,
			     name);
	if (k >= len)
		k = len - 1;
	for (c = buf + 5; c < buf + k - 5; c++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
			   *c) == NULL)
			*c = '_';
}

/*
 * af_packet opens one socket per queue pair and fans traffic out to all of
 * them, and dp_init() polls plan_port_queues() of them: a --vdev that sets
 * qpairs= must set enough, and a sync port's exactly one (main.c adds
 * qpairs= when it is absent).
 */
static int
plan_port_device(struct dpf_plan *p, const struct plan_opts *opts, unsigned int i,
		 struct cfg_error *err)
{
	const struct cfg_dataplane *cd = &p->cfg->dataplane;
	const char *dev = cd->ports[i].device, *v, *q;
	unsigned long n;
	char path[48];

	v = plan_eal_vdev(&cd->eal, opts->eal_argc, opts->eal_argv, dev);
	plan_port_lock_name(v, dev, p->port_lock[i], sizeof(p->port_lock[i]));
	p->port_af_packet[i] = strncmp(dev, "net_af_packet", 13) == 0;
	if (v == NULL || strstr(v, "af_packet") == NULL || (q = strstr(v, ",qpairs=")) == NULL)
		return 0;
	n = strtoul(q + 8, NULL, 10);
	snprintf(path, sizeof(path), "dataplane.ports[%u].device", i);
	if (plan_port_queues(p->cfg, i) == 1) {
		if (n == 1)
			return 0;
		return cfg_fail_at(p->cfg, err, path, "\"%s\" has %lu queue pairs (qpairs= of "
				   "its --vdev); the sync port is the control core's alone and "
				   "needs 1, or leave qpairs out", dev, n);
	}
	if (n >= cd->workers + 1)
		return 0;
	return cfg_fail_at(p->cfg, err, path, "\"%s\" has %lu queue pairs (qpairs= of its "
			   "--vdev); %u workers need %u, one each and the control core's, or "
			   "leave qpairs out", dev, n, cd->workers, cd->workers + 1);
}

static int
plan_dataplane(struct dpf_plan *p, const struct plan_opts *opts, struct cfg_error *err)
{
	const struct cfg_dataplane *cd = &p->cfg->dataplane;
	unsigned int i;

	if (plan_lcores(p, opts, err) < 0)
		return -1;
	for (i = 0; i < cd->n_ports; i++)
		if (plan_port_device(p, opts, i, err) < 0)
			return -1;
	p->dp.n_workers = cd->workers;
	p->dp.burst = cd->burst;
	p->dp.idle_sleep_us = cd->idle_sleep_us;
	p->dp.mbufs = cd->mbufs;
	p->dp.neigh_max = 0;	/* DP_NEIGH_MAX, which DP_NEIGH_GATEWAYS_MAX assumes */
	/* The log rings exist with pflog off too: a reload turns it on (dp.h log_on). */
	p->dp.log_snaplen = DP_LOG_SNAPLEN_DEFAULT;
	p->dp.n_ports = cd->n_ports;
	for (i = 0; i < cd->n_ports; i++) {
		const struct cfg_port *cp = &cd->ports[i];

		p->dp.ports[i] = (struct dp_port_conf){
			.name = cp->name, .device = cp->device, .mtu = cp->mtu,
			.rx_desc = cp->rx_desc, .tx_desc = cp->tx_desc,
			.ctl_only = plan_port_queues(p->cfg, i) == 1,
		};
	}
	return 0;
}

/* --- interfaces --- */

/* "interfaces[2].ipv6[1]": where address j of a config interface was written. */
static void
iface_addr_path(const struct cfg_iface *ci, unsigned int i, unsigned int j, char *buf,
		size_t len)
{
	unsigned int n4 = 0;

	/* ci->addrs holds "ipv4" then "ipv6", each in config order. */
	for (unsigned int k = 0; k < ci->n_addrs; k++)
		n4 += ci->addrs[k].af == 4;
	if (ci->addrs[j].af == 4)
		snprintf(buf, len, "interfaces[%u].ipv4[%u]", i, j);
	else
		snprintf(buf, len, "interfaces[%u].ipv6[%u]", i, j - n4);
}

void
plan_addr(struct dp_addr *d, const struct cfg_prefix *c)
{
	d->af = c->af;
	d->plen = c->plen;
	memcpy(d->addr, c->addr, 16);
}

static int
plan_ifaces(struct dpf_plan *p, struct cfg_error *err)
{
	const struct dpf_config *cfg = p->cfg;
	char path[64], a[64];

	if (cfg->n_ifaces > DP_MAX_IFACES) {
		snprintf(path, sizeof(path), "interfaces[%u]", DP_MAX_IFACES);
		return cfg_fail_at(p->cfg, err, path, "interface \"%s\" does not fit: the "
				   "dataplane has at most %u interfaces",
				   cfg->ifaces[DP_MAX_IFACES].name, DP_MAX_IFACES);
	}
	p->ifaces = calloc(cfg->n_ifaces > 0 ? cfg->n_ifaces : 1, sizeof(*p->ifaces));
	if (p->ifaces == NULL)
		return plan_nomem(p, err);
	for (unsigned int i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];
		struct dp_iface *di = &p->ifaces[i];

		if (ci->n_addrs > DP_MAX_ADDRS) {
			iface_addr_path(ci, i, DP_MAX_ADDRS, path, sizeof(path));
			cfg_prefix_format(&ci->addrs[DP_MAX_ADDRS], true, a, sizeof(a));
			return cfg_fail_at(p->cfg, err, path, "%s does not fit: an interface has "
					   "at most %u addresses, IPv4 and IPv6 together", a,
					   DP_MAX_ADDRS);
		}
		snprintf(di->name, sizeof(di->name), "%s", ci->name);
		di->port = (uint16_t)ci->port;
		di->vlan = ci->vlan;
		di->mtu = ci->mtu;
		for (unsigned int j = 0; j < ci->n_addrs; j++)
			plan_addr(&di->addrs[j], &ci->addrs[j]);
		di->n_addrs = ci->n_addrs;
		p->n_ifaces++;
	}
	return 0;
}

/* --- routes --- */

static int
plan_routes(struct dpf_plan *p, struct cfg_error *err)
{
	const struct dpf_config *cfg = p->cfg;
	struct dp_fib_fit *fit = &p->fib;
	char path[64];
	int rc;

	p->routes = calloc(cfg->n_routes > 0 ? cfg->n_routes : 1, sizeof(*p->routes));
	if (p->routes == NULL)
		return plan_nomem(p, err);
	for (unsigned int i = 0; i < cfg->n_routes; i++) {
		const struct cfg_route *r = &cfg->routes[i];
		struct dp_route_conf *dr = &p->routes[i];

		plan_addr(&dr->dst, &r->dst);
		dr->has_via = r->has_via;
		memcpy(dr->via, r->via, 16);
		dr->iface = r->iface;
		dr->reject = r->reject;
	}
	p->n_routes = cfg->n_routes;
	rc = dp_fib_fit(p->ifaces, p->n_ifaces, p->routes, p->n_routes, fit);
	if (rc == 0)
		return 0;
	if (rc != -ENOSPC)
		return plan_nomem(p, err);
	if (fit->route >= 0)
		snprintf(path, sizeof(path), "routes[%d].%s", fit->route,
			 fit->via ? "via" : "prefix");
	else
		iface_addr_path(&cfg->ifaces[fit->iface], (unsigned int)fit->iface,
				(unsigned int)fit->addr, path, sizeof(path));
	return cfg_fail_at(p->cfg, err, path, "%s", fit->msg);
}

/* --- rules --- */

static int
plan_rules(struct dpf_plan *p, struct cfg_error *err)
{
	char msg[512], path[32];
	int bad;

	if (rules_acl_check(p->rs, p->acl_entries, &bad, msg, sizeof(msg)) == 0)
		return 0;
	if (bad < 0)
		return cfg_fail_at(p->cfg, err, "rules", "%s", msg);
	snprintf(path, sizeof(path), "rules[%d]", bad);
	return cfg_fail_at(p->cfg, err, path, "%s", msg);
}

/* --- carp --- */

/*
 * carp_hmac_init() refuses a vhid with more addresses of a family than the
 * HMAC's message prefix holds (CARP_HMAC_MAX4/6), counting them as
 * configured.
 */
static int
plan_carp(struct dpf_plan *p, struct cfg_error *err)
{
	const struct cfg_carp *cc = &p->cfg->carp;
	char path[64], a[64];

	for (unsigned int i = 0; i < cc->n_vhids; i++) {
		const struct cfg_vhid *vh = &cc->vhids[i];
		unsigned int n[2] = { 0, 0 };

		for (unsigned int j = 0; j < vh->n_addrs; j++) {
			unsigned int six = vh->addrs[j].af == 6;

			if (++n[six] <= (six ? CARP_HMAC_MAX6 : CARP_HMAC_MAX4))
				continue;
			snprintf(path, sizeof(path), "carp.vhids[%u].addresses[%u]", i, j);
			cfg_prefix_format(&vh->addrs[j], true, a, sizeof(a));
			return cfg_fail_at(p->cfg, err, path, "%s does not fit: a vhid's "
					   "advertisement authenticates at most %u IPv4 and %u "
					   "IPv6 addresses", a, CARP_HMAC_MAX4, CARP_HMAC_MAX6);
		}
	}
	return 0;
}

/* --- the plan --- */

/* pfsync runs over IPv4 [OpenBSD if_pfsync.c pfsync_input4 only]. */
static int
plan_sync(struct dpf_plan *p, struct cfg_error *err)
{
	const struct cfg_sync *cs = &p->cfg->sync;
	const struct cfg_iface *ci;
	unsigned int k;

	if (cs->iface < 0)
		return 0;
	ci = &p->cfg->ifaces[cs->iface];
	for (k = 0; k < ci->n_addrs; k++)
		if (ci->addrs[k].af == 4)
			break;
	if (k == ci->n_addrs)
		return cfg_fail_at(p->cfg, err, "sync.interface", "interface \"%s\" has no IPv4 "
				   "address: pfsync runs over IPv4", ci->name);
	if (cs->has_peer && cs->peer.af != 4)
		return cfg_fail_at(p->cfg, err, "sync.peer", "an IPv6 peer: pfsync runs over IPv4");
	return 0;
}

int
plan_compile(struct dpf_config *cfg, const struct plan_opts *opts, struct dpf_plan **out,
	     struct cfg_error *err)
{
	static const struct plan_opts none;
	struct dpf_plan *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if (p == NULL) {
		cfg_fail_at(cfg, err, "", "out of memory");
		cfg_free(cfg);
		return -1;
	}
	p->cfg = cfg;
	p->rs = cfg->ruleset;
	memcpy(p->limits, cfg->limits, sizeof(p->limits));
	memcpy(p->timeouts, cfg->timeouts, sizeof(p->timeouts));
	if (plan_dataplane(p, opts, err) < 0 || plan_ifaces(p, err) < 0 ||
	    plan_routes(p, err) < 0 || plan_rules(p, err) < 0 || plan_carp(p, err) < 0 ||
	    plan_sync(p, err) < 0) {
		plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int
plan_load(const char *path, const struct plan_opts *opts, struct dpf_plan **out,
	  struct cfg_error *err)
{
	struct dpf_config *cfg;
	int rc;

	*out = NULL;
	rc = path != NULL ? cfg_load_file(path, &cfg, err) :
			    cfg_load_string(cfg_default_text, &cfg, err);
	if (rc != 0)
		return -1;
	return plan_compile(cfg, opts, out, err);
}

void
plan_free(struct dpf_plan *p)
{
	if (p == NULL)
		return;
	free(p->ifaces);
	free(p->routes);
	cfg_free(p->cfg);
	free(p);
}

void
plan_print(FILE *f, const struct dpf_plan *p)
{
	cfg_print(f, p->cfg);
}
