/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpfctl commands of the dataplane.
 *
 * Human output follows pfctl (-s info) and ifconfig/vppctl layouts; -j gives
 * one JSON document with the same facts.  Counters are summed over the
 * workers and the control core at the time of the request, without locks
 * (see dp_stats.h).  All commands here are read-only.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "control/app/app.h"
#include "control/app/filter_cmds.h"
#include "control/carp/carp.h"
#include "proto/pkt.h"

static void
fmt_addr(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void
fmt_prefix(const struct dp_addr *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	fmt_addr(p->af, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
}

static void
fmt_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static struct dp_stats *
stats_snapshot(const struct app *app)
{
	struct dp_stats *s = rte_zmalloc("dpf_stats_tmp", sizeof(*s), RTE_CACHE_LINE_SIZE);

	if (s != NULL)
		dp_stats_sum(app->dp, s);
	return s;
}

/* pflog counters: the workers' (dp_stats) and the file writer's. */
static json_t *
info_pflog_json(const struct app *app, const struct dp_stats *s)
{
	struct pflog_writer_stats ws;
	json_t *o;

	if (app->pflog == NULL)
		return json_null();	/* (an object made before this leaked: LeakSanitizer) */
	o = json_object();
	pflog_writer_get_stats(app->pflog, &ws);
	json_object_set_new(o, "file", json_string(app->cfg->logging.pflog));
	json_object_set_new(o, "open", json_boolean(ws.open));
	json_object_set_new(o, "queued", json_integer((json_int_t)s->log_pkts));
	json_object_set_new(o, "ring_full", json_integer((json_int_t)s->log_ring_full));
	json_object_set_new(o, "no_mbuf", json_integer((json_int_t)s->log_nombuf));
	json_object_set_new(o, "written", json_integer((json_int_t)ws.written));
	json_object_set_new(o, "write_errors", json_integer((json_int_t)ws.write_errors));
	json_object_set_new(o, "lost_no_file", json_integer((json_int_t)ws.lost));
	json_object_set_new(o, "reopens", json_integer((json_int_t)ws.reopens));
	json_object_set_new(o, "open_errors", json_integer((json_int_t)ws.open_errors));
	json_object_set_new(o, "moved_aside", json_integer((json_int_t)ws.moved_aside));
	return o;
}

static void
info_pflog_text(struct ctl_out *out, const struct app *app, const struct dp_stats *s)
{
	struct pflog_writer_stats ws;

	if (app->pflog == NULL)
		return;
	pflog_writer_get_stats(app->pflog, &ws);
	ctl_printf(out, "Logging (pflog %s%s)\n", app->cfg->logging.pflog,
		   ws.open ? "" : ", not open");
	info_count(out, "queued", s->log_pkts);
	info_count(out, "written", ws.written);
	info_count(out, "ring-full", s->log_ring_full);
	info_count(out, "no-mbuf", s->log_nombuf);
	info_count(out, "write-errors", ws.write_errors);
	info_count(out, "lost-no-file", ws.lost);
	info_count(out, "reopens", ws.reopens);
	info_count(out, "open-errors", ws.open_errors);
	info_count(out, "moved-aside", ws.moved_aside);
}

/*
 * The neighbour table: entries (all keys), hosts (those nbr manages: all
 * but the gateways route.c made), the hosts' limit, and nbr's counters.
 * JSON keys are the counter names less "neighbor-", with underscores,
 * and "refused" sums the refusals.
 */
static json_t *
info_neigh_json(struct app *app)
{
	const struct nbr *t = &app->local.nbr;
	json_t *o = json_object();
	uint64_t refused = 0;
	unsigned int i;
	char key[48], *c;

	json_object_set_new(o, "entries", json_integer(dp_neigh_count(app->dp)));
	json_object_set_new(o, "hosts", json_integer(t->n_entries));
	json_object_set_new(o, "max", json_integer(t->max_entries));
	json_object_set_new(o, "deleting", json_integer(app->local.nfree_n));
	for (i = 0; i < NBR_C_MAX; i++) {
		snprintf(key, sizeof(key), "%s", nbr_counter_name(i) + strlen("neighbor-"));
		for (c = key; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';
		json_object_set_new(o, key, json_integer((json_int_t)t->counters[i]));
		if (strncmp(key, "refused", 7) == 0)
			refused += t->counters[i];
	}
	json_object_set_new(o, "refused", json_integer((json_int_t)refused));
	return o;
}

static void
info_neigh_text(struct ctl_out *out, struct app *app)
{
	const struct nbr *t = &app->local.nbr;
	unsigned int i;

	ctl_printf(out, "Neighbors\n");
	info_count(out, "entries", dp_neigh_count(app->dp));
	info_count(out, "hosts", t->n_entries);
	info_count(out, "max", t->max_entries);
	for (i = 0; i < NBR_C_MAX; i++)
		info_count(out, nbr_counter_name(i), t->counters[i]);
}

static uint64_t
tsc_us(uint64_t tsc)
{
	return tsc * 1000000 / rte_get_tsc_hz();
}

static int
cmd_show_info(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct dp_stats *s;
	uint64_t pf[PFRES_MAX] = { 0 };
	time_t up = time(NULL) - app->started;
	double secs = up > 0 ? (double)up : 1.0;
	bool verbose = argc == 1 && strcmp(argv[0], "-v") == 0;
	unsigned int i;

	if (argc > 1 || (argc == 1 && !verbose)) {
		ctl_error(out, CTL_BAD_ARG, "usage: show info [-v]");
		return -1;
	}
	s = stats_snapshot(app);
	if (s == NULL) {
		ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	dp_stats_pfres(s, pf);
	pf[PFRES_MATCH] += s->rule_match;	/* pf counts every rule match */
	if (ctl_out_json(out)) {
		json_t *j = json_object(), *c = json_object(), *d = json_object();

		json_object_set_new(j, "status", json_string("running"));
		json_object_set_new(j, "uptime", json_integer((json_int_t)up));
		json_object_set_new(j, "hostname", json_string(app->cfg->system.hostname));
		json_object_set_new(j, "hostid", json_integer(app->host_id));
		json_object_set_new(j, "version", json_string(DPF_VERSION));
		json_object_set_new(j, "workers", json_integer(app->dp->n_workers));
		json_object_set_new(j, "loop_gap_max_us", json_integer((json_int_t)tsc_us(
					    app->gap_max_tsc)));
		json_object_set_new(j, "loop_gap_since_reload_us", json_integer((json_int_t)tsc_us(
					    app->gap_reload_tsc)));
		json_object_set_new(j, "rx_packets", json_integer((json_int_t)s->rx_pkts));
		json_object_set_new(j, "forwarded", json_integer((json_int_t)s->fwd_pkts));
		json_object_set_new(j, "local", json_integer((json_int_t)s->local_pkts));
		for (i = 0; i < PFRES_MAX; i++)
			json_object_set_new(c, pfres_name(i), json_integer((json_int_t)pf[i]));
		json_object_set_new(j, "counters", c);
		for (i = 0; i < DP_DROP_MAX; i++)
			json_object_set_new(d, dp_drop_name(i), json_integer((json_int_t)s->drop[i]));
		for (i = 1; i < PKT_ERR_MAX; i++)
			json_object_set_new(d, pkt_err_name(i),
					    json_integer((json_int_t)s->pkt_err[i]));
		json_object_set_new(j, "drops", d);
		json_object_set_new(j, "states", filter_info_json(app, s));
		json_object_set_new(j, "fragments", filter_info_frag_json(s));
		json_object_set_new(j, "pflog", info_pflog_json(app, s));
		json_object_set_new(j, "neighbors", info_neigh_json(app));
		ctl_json(out, j);
		rte_free(s);
		return 0;
	}
	ctl_printf(out, "Status: Enabled for %ld days %02ld:%02ld:%02ld%*sDebug: Urgent\n\n",
		   (long)(up / 86400), (long)(up / 3600 % 24), (long)(up / 60 % 60),
		   (long)(up % 60), 13, "");
	ctl_printf(out, "Hostid:   0x%08x\n", app->host_id);
	ctl_printf(out, "Hostname: %s\n", app->cfg->system.hostname);
	ctl_printf(out, "Workers:  %u\n", app->dp->n_workers);
	ctl_printf(out, "Control loop: longest gap %.1f ms since start, %.1f ms since the last "
		   "reload\n\n", (double)tsc_us(app->gap_max_tsc) / 1000.0,
		   (double)tsc_us(app->gap_reload_tsc) / 1000.0);
	info_head(out, "Packets");
	info_rate(out, "received", s->rx_pkts, secs);
	info_rate(out, "forwarded", s->fwd_pkts, secs);
	info_rate(out, "to the appliance", s->local_pkts, secs);
	filter_info_text(out, app, s, secs);
	filter_info_frag_text(out, s, secs);
	ctl_printf(out, "Counters\n");
	for (i = 0; i < PFRES_MAX; i++)
		info_rate(out, pfres_name(i), pf[i], secs);
	if (verbose) {
		filter_info_limits_text(out, s, secs);
		ctl_printf(out, "Drop reasons\n");
		for (i = 0; i < DP_DROP_MAX; i++)
			if (s->drop[i])
				info_count(out, dp_drop_name(i), s->drop[i]);
		for (i = 1; i < PKT_ERR_MAX; i++)
			if (s->pkt_err[i])
				info_count(out, pkt_err_name(i), s->pkt_err[i]);
		info_pflog_text(out, app, s);
		info_neigh_text(out, app);
	}
	rte_free(s);
	return 0;
}

static int
cmd_show_interfaces(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct dp_main *dp = app->dp;
	struct dp_stats *s;
	json_t *arr = NULL;
	unsigned int i, j;
	char buf[64], mac[24];

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show interfaces");
		return -1;
	}
	s = stats_snapshot(app);
	if (s == NULL) {
		ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	if (ctl_out_json(out))
		arr = json_array();
	for (i = 0; i < dp->n_ifaces; i++) {
		const struct dp_iface *ifc = &dp->ifaces[i];
		const struct dp_port *p = &dp->ports[ifc->port];
		const struct dp_if_counters *c = &s->iface[i];
		bool up = atomic_load(&p->link_up);

		fmt_mac(p->mac.addr_bytes, mac, sizeof(mac));
		if (arr != NULL) {
			json_t *o = json_object(), *a = json_array();

			json_object_set_new(o, "name", json_string(ifc->name));
			json_object_set_new(o, "port", json_string(p->name));
			json_object_set_new(o, "vlan", json_integer(ifc->vlan));
			json_object_set_new(o, "mtu", json_integer(ifc->mtu));
			json_object_set_new(o, "link", json_string(up ? "up" : "down"));
			json_object_set_new(o, "lladdr", json_string(mac));
			for (j = 0; j < ifc->n_addrs; j++) {
				fmt_prefix(&ifc->addrs[j], buf, sizeof(buf));
				json_array_append_new(a, json_string(buf));
			}
			fmt_addr(6, ifc->ll6, buf, sizeof(buf));
			json_object_set_new(o, "addresses", a);
			json_object_set_new(o, "link_local", json_string(buf));
			json_object_set_new(o, "rx_packets", json_integer((json_int_t)c->rx_pkts));
			json_object_set_new(o, "rx_bytes", json_integer((json_int_t)c->rx_bytes));
			json_object_set_new(o, "tx_packets", json_integer((json_int_t)c->tx_pkts));
			json_object_set_new(o, "tx_bytes", json_integer((json_int_t)c->tx_bytes));
			json_object_set_new(o, "rx_queues", json_integer(p->n_rxq));
			json_object_set_new(o, "rss", json_string(dp_rss_name(p->rss)));
			json_object_set_new(o, "reta_size", json_integer(p->reta_size));
			json_array_append_new(arr, o);
			continue;
		}
		ctl_printf(out, "%s: port %s", ifc->name, p->name);
		if (ifc->vlan)
			ctl_printf(out, " vlan %u", ifc->vlan);
		ctl_printf(out, " mtu %u link %s", ifc->mtu, up ? "up" : "down");
		if (up && p->link_speed)
			ctl_printf(out, " %u Mb/s", p->link_speed);
		ctl_printf(out, "\n\tlladdr %s\n", mac);
		for (j = 0; j < ifc->n_addrs; j++) {
			fmt_prefix(&ifc->addrs[j], buf, sizeof(buf));
			ctl_printf(out, "\t%s %s\n", ifc->addrs[j].af == 4 ? "inet" : "inet6", buf);
		}
		fmt_addr(6, ifc->ll6, buf, sizeof(buf));
		ctl_printf(out, "\tinet6 %s%%%s/64\n", buf, ifc->name);
		ctl_printf(out, "\trx %lu packets %lu bytes, tx %lu packets %lu bytes\n",
			   (unsigned long)c->rx_pkts, (unsigned long)c->rx_bytes,
			   (unsigned long)c->tx_pkts, (unsigned long)c->tx_bytes);
		if (p->ctl_only)
			ctl_printf(out, "\tqueues 1 (control), rss %s\n", dp_rss_name(p->rss));
		else if (p->reta_size != 0)
			ctl_printf(out, "\tqueues %u (%u workers, control), rss %s, RETA %u entries\n",
				   p->n_rxq, p->n_rxq - 1u, dp_rss_name(p->rss), p->reta_size);
		else
			ctl_printf(out, "\tqueues %u (%u workers, control), rss %s\n", p->n_rxq,
				   p->n_rxq - 1u, dp_rss_name(p->rss));
	}
	if (arr != NULL)
		ctl_json(out, arr);
	rte_free(s);
	return 0;
}

static int
cmd_show_routes(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	const struct dp_fib *fib = atomic_load(&app->dp->fib);
	json_t *arr = NULL;
	unsigned int i;
	char dst[64], gw[INET6_ADDRSTRLEN];

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show routes");
		return -1;
	}
	if (ctl_out_json(out))
		arr = json_array();
	else
		ctl_printf(out, "%-44s %-28s %-12s %s\n", "Destination", "Gateway", "Interface",
			   "Type");
	for (i = 0; i < fib->n_routes; i++) {
		const struct dp_route *r = &fib->routes[i];
		const struct dp_nh *nh = &fib->nh[r->nh];
		const char *ifn = nh->kind == DP_NH_REJECT ? "-" : app->dp->ifaces[nh->iface].name;

		fmt_prefix(&r->dst, dst, sizeof(dst));
		if (nh->kind == DP_NH_GATEWAY)
			fmt_addr(nh->af, nh->gw, gw, sizeof(gw));
		else
			snprintf(gw, sizeof(gw), "-");
		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "destination", json_string(dst));
			json_object_set_new(o, "gateway", nh->kind == DP_NH_GATEWAY ?
					    json_string(gw) : json_null());
			json_object_set_new(o, "interface", nh->kind == DP_NH_REJECT ?
					    json_null() : json_string(ifn));
			json_object_set_new(o, "type", json_string(dp_nh_name(nh->kind)));
			json_array_append_new(arr, o);
		} else {
			ctl_printf(out, "%-44s %-28s %-12s %s\n", dst, gw, ifn, dp_nh_name(nh->kind));
		}
	}
	if (arr != NULL)
		ctl_json(out, arr);
	return 0;
}

static int
cmd_show_neighbors(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct dp_main *dp = app->dp;
	json_t *arr = NULL;
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show neighbors");
		return -1;
	}
	if (ctl_out_json(out))
		arr = json_array();
	else
		ctl_printf(out, "%-40s %-18s %-12s %s\n", "Address", "Link-layer", "Interface",
			   "State");
	while ((pos = rte_hash_iterate(dp->neigh_hash, &key, &data, &iter)) >= 0) {
		uint8_t addr[16], af, m[6];
		uint16_t ifx;
		uint64_t w;
		char a[INET6_ADDRSTRLEN], mac[24];
		const char *st;
		int k;

		if ((unsigned int)pos >= dp->neigh_max)
			continue;
		dp_neigh_key_decode(key, &ifx, &af, addr);
		w = atomic_load(&dp->neigh[pos].mac);
		for (k = 0; k < 6; k++)
			m[k] = (uint8_t)(w >> (40 - 8 * k));
		fmt_addr(af, addr, a, sizeof(a));
		if (w & DP_NEIGH_VALID)
			fmt_mac(m, mac, sizeof(mac));
		else
			snprintf(mac, sizeof(mac), "(incomplete)");
		st = neigh_state_name(app->local.neigh[pos].state);
		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "address", json_string(a));
			json_object_set_new(o, "lladdr", (w & DP_NEIGH_VALID) ?
					    json_string(mac) : json_null());
			json_object_set_new(o, "interface", json_string(dp->ifaces[ifx].name));
			json_object_set_new(o, "state", json_string(st));
			json_array_append_new(arr, o);
		} else {
			ctl_printf(out, "%-40s %-18s %-12s %s\n", a, mac, dp->ifaces[ifx].name, st);
		}
	}
	if (arr != NULL)
		ctl_json(out, arr);
	return 0;
}

static int
cmd_show_workers(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct dp_main *dp = app->dp;
	json_t *arr = NULL;
	unsigned int w;

	(void)argv;
	if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show workers");
		return -1;
	}
	if (ctl_out_json(out))
		arr = json_array();
	else
		ctl_printf(out, "%-8s %-6s %14s %14s %12s %12s %10s %10s %8s\n", "Worker",
			   "Lcore", "Received", "Forwarded", "Handoff-out", "Handoff-in",
			   "Punted", "Logged", "Busy");
	for (w = 0; w <= dp->n_workers; w++) {
		const struct dp_stats *s = &dp->stats[w == dp->n_workers ? DP_CTL_WORKER : w];
		double busy = s->polls ? 100.0 * (double)s->busy_polls / (double)s->polls : 0;
		char name[16], lcore[16];

		if (w == dp->n_workers) {
			snprintf(name, sizeof(name), "control");
			snprintf(lcore, sizeof(lcore), "%u", rte_get_main_lcore());
		} else {
			snprintf(name, sizeof(name), "%u", w);
			snprintf(lcore, sizeof(lcore), "%u", dp->workers[w].lcore);
		}
		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "worker", json_string(name));
			json_object_set_new(o, "rx_packets", json_integer((json_int_t)s->rx_pkts));
			json_object_set_new(o, "forwarded", json_integer((json_int_t)s->fwd_pkts));
			json_object_set_new(o, "handoff_out",
					    json_integer((json_int_t)s->handoff_out));
			json_object_set_new(o, "handoff_in", json_integer((json_int_t)s->handoff_in));
			json_object_set_new(o, "punted", json_integer((json_int_t)s->punts));
			json_object_set_new(o, "logged", json_integer((json_int_t)s->log_pkts));
			json_object_set_new(o, "log_ring_full",
					    json_integer((json_int_t)s->log_ring_full));
			json_object_set_new(o, "log_no_mbuf",
					    json_integer((json_int_t)s->log_nombuf));
			json_array_append_new(arr, o);
			continue;
		}
		ctl_printf(out, "%-8s %-6s %14lu %14lu %12lu %12lu %10lu %10lu %7.1f%%\n", name,
			   lcore, (unsigned long)s->rx_pkts, (unsigned long)s->fwd_pkts,
			   (unsigned long)s->handoff_out, (unsigned long)s->handoff_in,
			   (unsigned long)s->punts, (unsigned long)s->log_pkts, busy);
	}
	if (arr != NULL)
		ctl_json(out, arr);
	return 0;
}

static const struct ctl_cmd app_cmds[] = {
	{ "show info", "[-v]", "status and counters, as pfctl -s info", cmd_show_info,
	  CTL_F_READONLY },
	{ "show interfaces", "", "interfaces with addresses, link and counters",
	  cmd_show_interfaces, CTL_F_READONLY },
	{ "show routes", "", "the forwarding table", cmd_show_routes, CTL_F_READONLY },
	{ "show neighbors", "", "ARP and ND entries", cmd_show_neighbors, CTL_F_READONLY },
	{ "show workers", "", "per-worker packet counters", cmd_show_workers, CTL_F_READONLY },
};

int
app_cmds_register(struct app *app, struct ctl_server *srv)
{
	if (app->carp != NULL && carp_cmds_register(app->carp, srv) != 0)
		return -1;
	if (metrics_cmds_register(app, srv) != 0)
		return -1;
	return ctl_register(srv, app_cmds, RTE_DIM(app_cmds), app);
}
