/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: `dpfctl show metrics`, every counter in the Prometheus text format.
 *
 * The exposition format (prometheus.io, "Exposition formats", version
 * 0.0.4): `# HELP` and `# TYPE` once per family, then its samples, each
 * family's samples together; counters end in `_total`; label values escape
 * backslash, double quote and newline.
 *
 * Where the numbers come from: the JSON replies of the read-only `show`
 * commands (run in-process by ctl_exec_json(), so each counter has one
 * source, the one dpfctl prints) and the ports' ethdev statistics.  A JSON
 * object's path becomes the metric's name (`states.events.insert` ->
 * dpf_states_events_insert_total); objects whose keys are names rather than
 * fields (drop reasons, carp groups, queued kinds) become a label instead;
 * arrays of objects (interfaces, workers, rules, vhids) give each element
 * its labels.  What is a level rather than a count (current states, MTU,
 * advskew, latency percentiles...) is a gauge, listed in the tables below;
 * everything else a counter.  A command that is not there (`show pfsync`
 * without sync) leaves its area out.
 *
 * Runs on the control core, as a handler.
 */
#define _GNU_SOURCE	/* open_memstream */

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "control/app/app.h"
#include "control/ctl/ctl_ops.h"

#define PROM_NAME_MAX 160
#define PROM_LABELS_MAX 512

struct prom_family {
	char name[PROM_NAME_MAX + 8];	/* with _total */
	const char *type;		/* "counter" or "gauge" */
	char *help;
	char *text;			/* its sample lines */
	size_t len;
	FILE *f;
};

/* Families are allocated one by one: open_memstream() keeps &text and &len. */
struct prom {
	struct prom_family **fam;
	unsigned int n, cap;
	bool nomem;
};

/* Metrics (names without _total) that are levels, by fnmatch pattern. */
static const char *const prom_gauges[] = {
	"dpf_up", "dpf_info", "dpf_uptime_seconds", "dpf_workers",
	"dpf_states_current", "dpf_states_limit",
	"dpf_neighbors_entries", "dpf_neighbors_hosts", "dpf_neighbors_max",
	"dpf_neighbors_deleting", "dpf_pflog_open",
	"dpf_interface_vlan", "dpf_interface_mtu", "dpf_interface_link_up",
	"dpf_interface_rx_queues", "dpf_interface_reta_size",
	"dpf_rule_states",
	"dpf_carp_preempt", "dpf_carp_group_demotion", "dpf_carp_state", "dpf_carp_advbase",
	"dpf_carp_advskew", "dpf_carp_demote", "dpf_carp_admin_down", "dpf_carp_link_down",
	"dpf_carp_last_transition_time", "dpf_carp_last_transition_ago",
	"dpf_carp_log", "dpf_carp_unresolved_peer",
	"dpf_pfsync_info", "dpf_pfsync_maxupd", "dpf_pfsync_flush_us", "dpf_pfsync_defer",
	"dpf_pfsync_link_up", "dpf_pfsync_auth_*", "dpf_pfsync_bulk_duration_ms",
	"dpf_pfsync_bulk_states", "dpf_pfsync_bulk_applied", "dpf_pfsync_bulk_lost",
	"dpf_pfsync_bulk_retries", "dpf_pfsync_bulk_demotion", "dpf_pfsync_bulk_send_*",
	"dpf_pfsync_latency_*", "dpf_pfsync_queued",
	NULL,
};

static bool
prom_is_gauge(const char *name)
{
	for (unsigned int i = 0; prom_gauges[i] != NULL; i++)
		if (fnmatch(prom_gauges[i], name, 0) == 0)
			return true;
	return false;
}

/* A metric name from parts: lower case, [a-z0-9_], '-' and '.' become '_'. */
static void
prom_name(char *dst, size_t size, const char *prefix, const char *key)
{
	size_t n = 0;
	const char *parts[2] = { prefix, key };

	for (unsigned int p = 0; p < 2; p++) {
		const char *s = parts[p];

		if (s == NULL || *s == '\0')
			continue;
		if (n > 0 && n + 1 < size)
			dst[n++] = '_';
		for (; *s != '\0' && n + 1 < size; s++) {
			char c = *s;

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
				c = '_';
			dst[n++] = c;
		}
	}
	dst[n] = '\0';
}

/* Appends `,name="value"` (escaped) to a label list. */
static void
prom_label(char *labels, size_t size, const char *name, const char *value)
{
	size_t n = strlen(labels);

	if (n + 1 >= size)
		return;
	n += (size_t)snprintf(labels + n, size - n, "%s%s=\"", n > 0 ? "," : "", name);
	for (; *value != '\0' && n + 3 < size; value++) {
		if (*value == '\\' || *value == '"') {
			labels[n++] = '\\';
			labels[n++] = *value;
		} else if (*value == '\n') {
			labels[n++] = '\\';
			labels[n++] = 'n';
		} else {
			labels[n++] = *value;
		}
	}
	if (n + 2 <= size) {
		labels[n++] = '"';
		labels[n] = '\0';
	}
}

static struct prom_family *
prom_family(struct prom *p, const char *name, const char *help)
{
	struct prom_family *f;

	for (unsigned int i = 0; i < p->n; i++)
		if (strcmp(p->fam[i]->name, name) == 0)
			return p->fam[i];
	if (p->n == p->cap) {
		unsigned int cap = p->cap != 0 ? p->cap * 2 : 64;
		struct prom_family **nf = realloc(p->fam, cap * sizeof(*nf));

		if (nf == NULL)
			return NULL;
		p->fam = nf;
		p->cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->f = open_memstream(&f->text, &f->len);
	f->help = strdup(help);
	if (f->f == NULL || f->help == NULL) {
		if (f->f != NULL)
			fclose(f->f);
		free(f->text);
		free(f->help);
		free(f);
		return NULL;
	}
	p->fam[p->n++] = f;
	return f;
}

/*
 * One sample.  base: the name without _total; help: where it comes from.
 * v: a JSON integer, real or boolean (anything else is ignored).
 */
static void
prom_sample(struct prom *p, const char *base, const char *labels, json_t *v, const char *help)
{
	bool gauge = prom_is_gauge(base);
	char name[PROM_NAME_MAX + 8];
	struct prom_family *f;

	if (!json_is_integer(v) && !json_is_real(v) && !json_is_boolean(v))
		return;
	snprintf(name, sizeof(name), "%s%s", base, gauge ? "" : "_total");
	f = prom_family(p, name, help);
	if (f == NULL) {
		p->nomem = true;
		return;
	}
	f->type = gauge ? "gauge" : "counter";
	fprintf(f->f, "%s%s%s%s ", name, labels[0] != '\0' ? "{" : "", labels,
		labels[0] != '\0' ? "}" : "");
	if (json_is_integer(v))
		fprintf(f->f, "%lld\n", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f->f, "%.17g\n", json_real_value(v));
	else
		fprintf(f->f, "%d\n", json_is_true(v) ? 1 : 0);
}

static void
prom_u64(struct prom *p, const char *base, const char *labels, uint64_t x, const char *help)
{
	json_t *v = json_integer((json_int_t)x);

	if (v == NULL) {
		p->nomem = true;
		return;
	}
	prom_sample(p, base, labels, v, help);
	json_decref(v);
}

/* An object of the JSON whose keys are values of one label (reasons, groups). */
struct prom_labelled {
	const char *path;	/* the object's metric name before relabelling */
	const char *name;	/* the family's base name */
	const char *label;
};

static const struct prom_labelled prom_by_label[] = {
	{ "dpf_pf_counters", "dpf_pf_counters", "reason" },
	{ "dpf_drops", "dpf_drops", "reason" },
	{ "dpf_carp_groups", "dpf_carp_group_demotion", "group" },
	{ "dpf_carp_rejected", "dpf_carp_rejected", "reason" },
	{ "dpf_carp_vhid_rejected", "dpf_carp_vhid_rejected", "reason" },
	{ "dpf_carp_vhid_groups", NULL, NULL },	/* the groups' own family has them */
	{ "dpf_pfsync_queued", "dpf_pfsync_queued", "kind" },
};

/*
 * Walks a JSON value: numbers and booleans become samples named base,
 * objects recurse with their keys appended (or become a label, above);
 * strings and arrays are left to the callers, which know what they mean.
 */
static void
prom_walk(struct prom *p, const char *base, const char *labels, json_t *v, const char *help)
{
	const char *key;
	json_t *x;

	if (!json_is_object(v)) {
		prom_sample(p, base, labels, v, help);
		return;
	}
	for (unsigned int i = 0; i < RTE_DIM(prom_by_label); i++) {
		const struct prom_labelled *l = &prom_by_label[i];
		char lab[PROM_LABELS_MAX];

		if (strcmp(base, l->path) != 0)
			continue;
		if (l->name == NULL)
			return;
		json_object_foreach(v, key, x) {
			snprintf(lab, sizeof(lab), "%s", labels);
			prom_label(lab, sizeof(lab), l->label, key);
			prom_sample(p, l->name, lab, x, help);
		}
		return;
	}
	json_object_foreach(v, key, x) {
		char name[PROM_NAME_MAX];

		prom_name(name, sizeof(name), base, key);
		prom_walk(p, name, labels, x, help);
	}
}

/* Runs a read-only command; NULL (and nothing emitted) if it is not there. */
static json_t *
prom_cmd(struct app *app, const char *words)
{
	char buf[128], err[256], *argv[CTL_MAX_ARGS];
	int argc = 0;
	json_t *v;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *s = strtok(buf, " "); s != NULL && argc < CTL_MAX_ARGS; s = strtok(NULL, " "))
		argv[argc++] = s;
	if (ctl_exec_json(app->ctl, argc, argv, &v, err, sizeof(err)) != CTL_OK)
		return NULL;
	return v;
}

static void
prom_info(struct prom *p, struct app *app)
{
	json_t *info = prom_cmd(app, "show info -v"), *x;
	char lab[PROM_LABELS_MAX] = "", hostid[16];
	const char *key;

	if (info == NULL)
		return;
	snprintf(hostid, sizeof(hostid), "0x%08llx",
		 (unsigned long long)json_integer_value(json_object_get(info, "hostid")));
	prom_label(lab, sizeof(lab), "hostname",
		   json_string_value(json_object_get(info, "hostname")) ?: "");
	prom_label(lab, sizeof(lab), "version",
		   json_string_value(json_object_get(info, "version")) ?: "");
	prom_label(lab, sizeof(lab), "hostid", hostid);
	prom_u64(p, "dpf_info", lab, 1, "dpf's identity (labels), always 1");
	prom_sample(p, "dpf_uptime_seconds", "", json_object_get(info, "uptime"),
		    "show info: uptime");
	json_object_foreach(info, key, x) {
		char base[PROM_NAME_MAX], help[128];

		if (strcmp(key, "uptime") == 0 || strcmp(key, "hostid") == 0)
			continue;
		snprintf(help, sizeof(help), "show info -v: %s", key);
		if (strcmp(key, "counters") == 0)
			prom_name(base, sizeof(base), "dpf_pf", key);
		else if (json_is_object(x))
			prom_name(base, sizeof(base), "dpf", key);
		else if (strcmp(key, "workers") == 0)
			snprintf(base, sizeof(base), "dpf_workers");
		else
			prom_name(base, sizeof(base), "dpf_info", key);
		if (strcmp(key, "pflog") == 0) {
			json_t *file = json_object_get(x, "file");
			char fl[PROM_LABELS_MAX] = "";

			prom_label(fl, sizeof(fl), "file",
				   json_is_string(file) ? json_string_value(file) : "");
			prom_sample(p, "dpf_pflog_open", fl, json_object_get(x, "open"),
				    "show info -v: pflog.open");
			json_object_del(x, "open");
		}
		prom_walk(p, base, "", x, help);
	}
	json_decref(info);
}

/*
 * An array of objects, each with its labels: label[i] names the JSON key
 * whose string (or number) value is label i.  Keys used as labels and
 * strings are not samples; "link": "up" is a gauge link_up.
 */
static void
prom_array(struct prom *p, json_t *arr, const char *base, const char *const *keys,
	   const char *const *labels, const char *help)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		char lab[PROM_LABELS_MAX] = "", val[64], name[PROM_NAME_MAX];
		const char *key;
		json_t *x;

		for (unsigned int k = 0; keys[k] != NULL; k++) {
			json_t *l = json_object_get(o, keys[k]);

			if (json_is_string(l))
				snprintf(val, sizeof(val), "%s", json_string_value(l));
			else if (json_is_integer(l))
				snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(l));
			else
				continue;
			prom_label(lab, sizeof(lab), labels[k], val);
		}
		json_object_foreach(o, key, x) {
			bool is_label = false;

			for (unsigned int k = 0; keys[k] != NULL; k++)
				is_label |= strcmp(key, keys[k]) == 0;
			if (is_label)
				continue;
			if (strcmp(key, "link") == 0 && json_is_string(x)) {
				json_t *up = json_boolean(strcmp(json_string_value(x), "up") == 0);

				prom_name(name, sizeof(name), base, "link_up");
				prom_sample(p, name, lab, up, help);
				json_decref(up);
				continue;
			}
			prom_name(name, sizeof(name), base, key);
			prom_walk(p, name, lab, x, help);
		}
	}
}

static void
prom_carp(struct prom *p, struct app *app)
{
	static const char *const states[] = { "INIT", "BACKUP", "MASTER" };
	json_t *carp = prom_cmd(app, "show carp"), *vh, *x;
	const char *key;
	size_t i;

	if (carp == NULL)
		return;
	json_array_foreach(json_object_get(carp, "vhids"), i, vh) {
		const char *st = json_string_value(json_object_get(vh, "state"));
		char lab[PROM_LABELS_MAX] = "", val[32], name[PROM_NAME_MAX];

		snprintf(val, sizeof(val), "%lld",
			 (long long)json_integer_value(json_object_get(vh, "vhid")));
		prom_label(lab, sizeof(lab), "vhid", val);
		prom_label(lab, sizeof(lab), "interface",
			   json_string_value(json_object_get(vh, "interface")) ?: "");
		for (unsigned int s = 0; s < RTE_DIM(states); s++) {
			char sl[PROM_LABELS_MAX];

			snprintf(sl, sizeof(sl), "%s", lab);
			prom_label(sl, sizeof(sl), "state", states[s]);
			prom_u64(p, "dpf_carp_state", sl, st != NULL && strcmp(st, states[s]) == 0,
				 "show carp: vhids[].state, 1 for the current one");
		}
		json_object_foreach(vh, key, x) {
			if (strcmp(key, "vhid") == 0 || strcmp(key, "state") == 0)
				continue;
			if (strcmp(key, "stats") == 0 || strcmp(key, "rejected") == 0 ||
			    strcmp(key, "groups") == 0)
				prom_name(name, sizeof(name), "dpf_carp_vhid", key);
			else
				prom_name(name, sizeof(name), "dpf_carp", key);
			prom_walk(p, name, lab, x, "show carp: vhids[]");
		}
	}
	json_object_foreach(carp, key, x) {
		char name[PROM_NAME_MAX];

		if (strcmp(key, "vhids") == 0)
			continue;
		prom_name(name, sizeof(name), "dpf_carp", key);
		prom_walk(p, name, "", x, "show carp");
	}
	json_decref(carp);
}

static void
prom_pfsync(struct prom *p, struct app *app)
{
	static const char *const strs[] = { "interface", "peer", "path", NULL };
	json_t *ps = prom_cmd(app, "show pfsync"), *x, *bulk;
	char lab[PROM_LABELS_MAX] = "";
	const char *key;

	if (ps == NULL)
		return;
	for (unsigned int i = 0; strs[i] != NULL; i++)
		prom_label(lab, sizeof(lab), strs[i],
			   json_string_value(json_object_get(ps, strs[i])) ?: "");
	bulk = json_object_get(ps, "bulk");
	prom_label(lab, sizeof(lab), "bulk_state",
		   json_string_value(json_object_get(bulk, "state")) ?: "");
	prom_label(lab, sizeof(lab), "bulk_result",
		   json_string_value(json_object_get(bulk, "result")) ?: "");
	prom_u64(p, "dpf_pfsync_info", lab, 1, "show pfsync: settings and bulk state (labels)");
	json_object_foreach(ps, key, x) {
		char name[PROM_NAME_MAX];

		if (strcmp(key, "link") == 0 && json_is_string(x)) {
			json_t *up = json_boolean(strcmp(json_string_value(x), "up") == 0);

			prom_sample(p, "dpf_pfsync_link_up", "", up, "show pfsync: link");
			json_decref(up);
			continue;
		}
		/* dpf's own counters (key "dpf") as dpf_pfsync_dpf_*: "bulk-retries" is not bulk.retries. */
		prom_name(name, sizeof(name), "dpf_pfsync", key);
		prom_walk(p, name, "", x, "show pfsync");
	}
	json_decref(ps);
}

/* The NICs' own counters: what never reached dpf (imissed, rx_nombuf). */
static void
prom_ports(struct prom *p, struct app *app)
{
	for (unsigned int i = 0; i < app->dp->n_ports; i++) {
		const struct dp_port *port = &app->dp->ports[i];
		char lab[PROM_LABELS_MAX] = "";
		struct rte_eth_stats st;

		if (rte_eth_stats_get(port->port_id, &st) != 0)
			continue;
		prom_label(lab, sizeof(lab), "port", port->name);
		prom_u64(p, "dpf_port_rx_packets", lab, st.ipackets, "rte_eth_stats: ipackets");
		prom_u64(p, "dpf_port_tx_packets", lab, st.opackets, "rte_eth_stats: opackets");
		prom_u64(p, "dpf_port_rx_bytes", lab, st.ibytes, "rte_eth_stats: ibytes");
		prom_u64(p, "dpf_port_tx_bytes", lab, st.obytes, "rte_eth_stats: obytes");
		prom_u64(p, "dpf_port_rx_missed", lab, st.imissed,
			 "rte_eth_stats: imissed (the NIC's RX queue was full)");
		prom_u64(p, "dpf_port_rx_errors", lab, st.ierrors, "rte_eth_stats: ierrors");
		prom_u64(p, "dpf_port_tx_errors", lab, st.oerrors, "rte_eth_stats: oerrors");
		prom_u64(p, "dpf_port_rx_nombuf", lab, st.rx_nombuf, "rte_eth_stats: rx_nombuf");
	}
}

static void
prom_free(struct prom *p)
{
	for (unsigned int i = 0; i < p->n; i++) {
		fclose(p->fam[i]->f);
		free(p->fam[i]->text);
		free(p->fam[i]->help);
		free(p->fam[i]);
	}
	free(p->fam);
}

static int
cmd_show_metrics(struct ctl_out *out, int argc, char **argv, void *arg)
{
	static const char *const if_keys[] = { "name", "port", NULL };
	static const char *const if_labels[] = { "interface", "port", NULL };
	static const char *const wk_keys[] = { "worker", NULL };
	static const char *const rule_keys[] = { "id", "nr", NULL };
	static const char *const rule_labels[] = { "rule", "nr", NULL };
	struct app *app = arg;
	struct prom p = { 0 };
	json_t *v;

	(void)argc;
	(void)argv;
	prom_u64(&p, "dpf_up", "", 1, "dpf answers on its control socket");
	prom_info(&p, app);
	if ((v = prom_cmd(app, "show interfaces")) != NULL) {
		prom_array(&p, v, "dpf_interface", if_keys, if_labels, "show interfaces");
		json_decref(v);
	}
	if ((v = prom_cmd(app, "show workers")) != NULL) {
		prom_array(&p, v, "dpf_worker", wk_keys, wk_keys, "show workers");
		json_decref(v);
	}
	if ((v = prom_cmd(app, "show rules -v")) != NULL) {
		prom_array(&p, json_object_get(v, "rules"), "dpf_rule", rule_keys, rule_labels,
			   "show rules -v");
		json_decref(v);
	}
	prom_carp(&p, app);
	prom_pfsync(&p, app);
	prom_ports(&p, app);
	for (unsigned int i = 0; i < p.n && !p.nomem; i++) {
		struct prom_family *f = p.fam[i];

		if (fflush(f->f) != 0) {
			p.nomem = true;
			break;
		}
		ctl_printf(out, "# HELP %s %s\n# TYPE %s %s\n%.*s", f->name, f->help, f->name,
			   f->type, (int)f->len, f->text);
	}
	prom_free(&p);
	if (p.nomem) {
		ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	return 0;
}

static const struct ctl_cmd metrics_cmds[] = {
	{ "show metrics", "", "every counter in the Prometheus text format", cmd_show_metrics,
	  CTL_F_READONLY },
};

int
metrics_cmds_register(struct app *app, struct ctl_server *srv)
{
	return ctl_register(srv, metrics_cmds, RTE_DIM(metrics_cmds), app);
}
