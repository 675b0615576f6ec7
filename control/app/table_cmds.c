/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: runtime tables: `dpfctl table NAME add|delete|replace|test ADDR...`,
 * `dpfctl table NAME show|flush`, as `pfctl -t NAME -T ...` [pfctl(8)].
 *
 * dpf's rules resolve a <table> into the prefixes of its rule's address
 * set when they are parsed (control/rules), and the classifier is compiled
 * from those prefixes.  A table change therefore builds a new ruleset: the
 * rules that name a table are printed and parsed again against the new
 * contents (the rule language's own round trip: rules_print() output
 * parses back to the same rule), the classifier is compiled, and the
 * ruleset object is swapped by pointer, the same publish as a reload's.
 * The change is all or nothing: over limits.table-entries, or a ruleset
 * the classifier cannot take, and nothing changes.  States are not
 * touched (as in pf, a table change affects new connections).
 *
 * The runtime contents belong to the configuration they were made on: a
 * `configure` or `undo` loads the tables of its file again, as `pfctl -f`
 * does for the tables pf.conf defines.
 *
 * Only tables the config defines exist (a table no rule could name would
 * do nothing).  Entries with host bits set are refused, as pf refuses them
 * [pfctl: "Invalid argument"; OpenBSD pf_table.c pfr_validate_addr].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/app/app.h"
#include "control/app/reload.h"
#include "control/log/dlog.h"
#include "control/rules/rules.h"
#include "dataplane/filter.h"
#include "dataplane/rules_acl.h"

struct rt_table {
	char name[32];
	unsigned int n, cap;
	struct rule_prefix *pfx;
};

struct reload_tables {
	unsigned int n;
	struct rt_table *t;
};

void
table_set_free(struct reload_tables *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n; i++)
		free(t->t[i].pfx);
	free(t->t);
	free(t);
}

static struct reload_tables *
table_set_from_cfg(const struct dpf_config *cfg)
{
	struct reload_tables *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->t = calloc(cfg->n_tables ? cfg->n_tables : 1, sizeof(*t->t));
	if (t->t == NULL) {
		free(t);
		return NULL;
	}
	t->n = cfg->n_tables;
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		const struct cfg_table *c = &cfg->tables[i];
		struct rt_table *r = &t->t[i];

		snprintf(r->name, sizeof(r->name), "%s", c->name);
		r->cap = c->n ? c->n : 1;
		r->pfx = calloc(r->cap, sizeof(*r->pfx));
		if (r->pfx == NULL) {
			table_set_free(t);
			return NULL;
		}
		for (unsigned int k = 0; k < c->n; k++) {
			r->pfx[k].af = c->entries[k].af;
			r->pfx[k].plen = c->entries[k].plen;
			memcpy(r->pfx[k].addr, c->entries[k].addr, 16);
		}
		r->n = c->n;
	}
	return t;
}

static struct reload_tables *
table_set_dup(const struct reload_tables *s)
{
	struct reload_tables *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->t = calloc(s->n ? s->n : 1, sizeof(*t->t));
	if (t->t == NULL) {
		free(t);
		return NULL;
	}
	t->n = s->n;
	for (unsigned int i = 0; i < s->n; i++) {
		t->t[i] = s->t[i];
		t->t[i].cap = s->t[i].n ? s->t[i].n : 1;
		t->t[i].pfx = calloc(t->t[i].cap, sizeof(struct rule_prefix));
		if (t->t[i].pfx == NULL) {
			t->n = i;
			table_set_free(t);
			return NULL;
		}
		memcpy(t->t[i].pfx, s->t[i].pfx, s->t[i].n * sizeof(struct rule_prefix));
	}
	return t;
}

static bool
rule_uses_tables(const struct dpf_rule *r)
{
	for (unsigned int i = 0; i < r->src.n_items; i++)
		if (r->src.items[i].kind == RULE_ADDR_TABLE)
			return true;
	for (unsigned int i = 0; i < r->dst.n_items; i++)
		if (r->dst.items[i].kind == RULE_ADDR_TABLE)
			return true;
	return false;
}

/* Parses rule r's printed text again against env into *nr. */
static int
reparse(const struct dpf_rule *r, const struct rules_env *env, struct dpf_rule *nr, char *err,
	size_t errlen)
{
	struct rules_error re;
	size_t need = rules_print(r, NULL, 0) + 1;
	char *text = malloc(need);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rules_print(r, text, need);
	memset(&re, 0, sizeof(re));
	rc = rules_parse_string(text, env, nr, &re);
	if (rc != 0)
		snprintf(err, errlen, "rule %u: %.300s", r->id, re.msg);
	free(text);
	if (rc == 0) {
		nr->id = r->id;
		nr->id_set = r->id_set;
	}
	return rc;
}

struct dpf_ruleset *
table_ruleset(const struct dpf_plan *p, const struct reload_tables *t, char *err, size_t errlen)
{
	struct dpf_ruleset *rs = rules_ruleset_dup(p->rs);
	const struct rules_env_table *saved;
	struct rules_env_table *et = NULL;
	struct rules_env env;
	unsigned int saved_n;
	int rc = 0;

	if (rs != NULL && t == NULL)
		return rs;	/* the config's tables: its rules as parsed */
	if (rs == NULL || cfg_rules_env(p->cfg, &env) != 0) {
		rules_ruleset_free(rs);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	saved = env.tables;
	saved_n = env.n_tables;
	if (t != NULL) {
		et = calloc(t->n ? t->n : 1, sizeof(*et));
		if (et == NULL)
			rc = -1;
		for (unsigned int i = 0; et != NULL && i < t->n; i++) {
			et[i].name = t->t[i].name;
			et[i].n = t->t[i].n;
			et[i].pfx = t->t[i].pfx;
		}
		env.tables = et;
		env.n_tables = t->n;
	}
	for (unsigned int i = 0; rc == 0 && i < rs->n; i++) {
		struct dpf_rule nr;

		if (!rule_uses_tables(&rs->rules[i]))
			continue;
		rc = reparse(&rs->rules[i], &env, &nr, err, errlen);
		if (rc == 0) {
			rules_rule_clear(&rs->rules[i]);
			rs->rules[i] = nr;
		}
	}
	env.tables = saved;
	env.n_tables = saved_n;
	rules_env_free(&env);
	free(et);
	if (rc != 0) {
		if (et == NULL && t != NULL)
			snprintf(err, errlen, "out of memory");
		rules_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static void
rs_free(struct dpf_ruleset *rs)
{
	if (rs == NULL)
		return;
	rules_acl_free(rs->acl);
	rs->acl = NULL;
	rules_ruleset_free(rs);
}

int
reload_publish_rules(struct app *app, const struct dpf_plan *p, const struct reload_tables *t,
		     char *err, size_t errlen)
{
	struct dpf_ruleset *rs = table_ruleset(p, t, err, errlen);
	struct dp_rules *r;
	char msg[512];

	if (rs == NULL)
		return -1;
	rs->acl = rules_acl_build(rs, msg, sizeof(msg));
	if (rs->acl == NULL) {
		snprintf(err, errlen, "the classifier cannot take the ruleset: %.400s", msg);
		rs_free(rs);
		return -1;
	}
	r = dp_rules_new(app->dp, rs, rs_free, p->timeouts, p->limits[PFLIMIT_STATES]);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory for the ruleset");
		rs_free(rs);
		return -1;
	}
	dp_rules_publish(app->dp, r);
	return 0;
}

/* --- the command --- */

static bool
pfx_eq(const struct rule_prefix *a, const struct rule_prefix *b)
{
	return a->af == b->af && a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

/* Does prefix p contain address a (af, 16 bytes)? */
static bool
pfx_has(const struct rule_prefix *p, uint8_t af, const uint8_t *a)
{
	unsigned int bits = p->plen, i;

	if (p->af != af)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (p->addr[i] != a[i])
			return false;
	return bits == 0 || ((p->addr[i] ^ a[i]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static bool
host_bits(const struct rule_prefix *p)
{
	unsigned int len = p->af == 4 ? 4 : 16;

	for (unsigned int b = p->plen; b < len * 8; b++)
		if (p->addr[b / 8] & (0x80 >> (b % 8)))
			return true;
	return false;
}

static void
pfx_fmt(const struct rule_prefix *p, char *buf, size_t len)
{
	struct cfg_prefix c = { .af = p->af, .plen = p->plen };

	memcpy(c.addr, p->addr, 16);
	cfg_prefix_format(&c, p->plen != (p->af == 4 ? 32 : 128), buf, len);
}

static int
find(const struct rt_table *t, const struct rule_prefix *p)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (pfx_eq(&t->pfx[i], p))
			return (int)i;
	return -1;
}

static int
push(struct rt_table *t, const struct rule_prefix *p)
{
	if (t->n == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 8;
		struct rule_prefix *n = realloc(t->pfx, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		t->pfx = n;
		t->cap = cap;
	}
	t->pfx[t->n++] = *p;
	return 0;
}

/* Parses the addresses; -1 with the reply written. */
static int
parse_addrs(struct ctl_out *out, int argc, char **argv, struct rule_prefix *v)
{
	for (int i = 0; i < argc; i++) {
		struct cfg_prefix c;

		if (cfg_prefix_parse(argv[i], &c) != 0) {
			ctl_error(out, CTL_BAD_ARG, "\"%s\": an address or prefix expected", argv[i]);
			return -1;
		}
		v[i].af = c.af;
		v[i].plen = c.plen;
		memcpy(v[i].addr, c.addr, 16);
		if (host_bits(&v[i])) {
			ctl_error(out, CTL_BAD_ARG, "\"%s\": host bits set beyond the prefix length "
				  "(pf refuses it too)", argv[i]);
			return -1;
		}
	}
	return 0;
}

static unsigned int
entries_total(const struct reload_tables *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->n; i++)
		n += t->t[i].n;
	return n;
}

#define TABLE_USAGE "usage: table NAME add|delete|replace|test ADDR... | table NAME show|flush"

static int
table_show(struct ctl_out *out, const struct rt_table *t)
{
	json_t *arr = ctl_out_json(out) ? json_array() : NULL;
	char buf[64];

	for (unsigned int i = 0; i < t->n; i++) {
		pfx_fmt(&t->pfx[i], buf, sizeof(buf));
		if (arr != NULL)
			json_array_append_new(arr, json_string(buf));
		else
			ctl_printf(out, "   %s\n", buf);
	}
	if (arr != NULL)
		ctl_json(out, arr);
	return 0;
}

static int
table_test(struct ctl_out *out, const struct rt_table *t, int argc, const struct rule_prefix *v)
{
	int match = 0;

	for (int i = 0; i < argc; i++) {
		if (v[i].plen != (v[i].af == 4 ? 32 : 128)) {
			ctl_error(out, CTL_BAD_ARG, "test: addresses expected, not prefixes");
			return -1;
		}
		for (unsigned int k = 0; k < t->n; k++)
			if (pfx_has(&t->pfx[k], v[i].af, v[i].addr)) {
				match++;
				break;
			}
	}
	if (match == argc) {
		ctl_printf(out, "%d/%d addresses match.\n", match, argc);
		return 0;
	}
	/* As pfctl's exit status: not every address matched. */
	ctl_error(out, CTL_NOT_FOUND, "%d/%d addresses match.", match, argc);
	return -1;
}

int
table_cmd(struct ctl_out *out, int argc, char **argv, struct app *app,
	  const struct dpf_plan *live, struct reload_tables **tables)
{
	struct reload_tables *cur = *tables, *nt = NULL;
	struct rule_prefix *v = NULL;
	struct rt_table *t = NULL;
	const char *op;
	char err[512], who[64];
	int n, added = 0, deleted = 0, ti = -1, rc = -1;
	unsigned int limit = live->limits[PFLIMIT_TABLE_ENTRIES];

	if (argc < 2) {
		ctl_error(out, CTL_BAD_ARG, TABLE_USAGE);
		return -1;
	}
	op = argv[1];
	n = argc - 2;
	if (strcmp(op, "add") != 0 && strcmp(op, "delete") != 0 && strcmp(op, "replace") != 0 &&
	    strcmp(op, "test") != 0 && strcmp(op, "show") != 0 && strcmp(op, "flush") != 0) {
		ctl_error(out, CTL_BAD_ARG, "unknown table operation \"%s\"; " TABLE_USAGE, op);
		return -1;
	}
	if ((strcmp(op, "show") == 0 || strcmp(op, "flush") == 0) ? n != 0 :
	    (n == 0 && strcmp(op, "replace") != 0)) {
		ctl_error(out, CTL_BAD_ARG, TABLE_USAGE);
		return -1;
	}
	if (cur == NULL) {
		cur = table_set_from_cfg(live->cfg);
		if (cur == NULL) {
			ctl_error(out, CTL_FAILED, "out of memory");
			return -1;
		}
		*tables = cur;
	}
	for (unsigned int i = 0; i < cur->n; i++)
		if (strcmp(cur->t[i].name, argv[0]) == 0)
			ti = (int)i;
	if (ti < 0) {
		ctl_error(out, CTL_NOT_FOUND, "no table \"%s\" in the running configuration",
			  argv[0]);
		return -1;
	}
	if (n > 0) {
		v = calloc((size_t)n, sizeof(*v));
		if (v == NULL) {
			ctl_error(out, CTL_FAILED, "out of memory");
			return -1;
		}
		if (parse_addrs(out, n, argv + 2, v) != 0)
			goto out;
	}
	if (strcmp(op, "show") == 0) {
		rc = table_show(out, &cur->t[ti]);
		goto out;
	}
	if (strcmp(op, "test") == 0) {
		rc = table_test(out, &cur->t[ti], n, v);
		goto out;
	}
	/* A change: on a copy, published whole or dropped. */
	nt = table_set_dup(cur);
	if (nt == NULL) {
		ctl_error(out, CTL_FAILED, "out of memory");
		goto out;
	}
	t = &nt->t[ti];
	if (strcmp(op, "flush") == 0 || strcmp(op, "replace") == 0) {
		deleted = (int)t->n;
		t->n = 0;
	}
	for (int i = 0; i < n; i++) {
		int at = find(t, &v[i]);

		if (strcmp(op, "delete") == 0) {
			if (at >= 0) {
				t->pfx[at] = t->pfx[--t->n];
				deleted++;
			}
		} else if (at < 0) {
			if (push(t, &v[i]) != 0) {
				ctl_error(out, CTL_FAILED, "out of memory");
				goto out;
			}
			added++;
		}
	}
	if (strcmp(op, "replace") == 0) {
		/* Counted as pfctl does: what is new, and what is gone. */
		int kept = 0;

		for (unsigned int k = 0; k < t->n; k++)
			if (find(&cur->t[ti], &t->pfx[k]) >= 0)
				kept++;
		added -= kept;
		deleted -= kept;
	}
	if (entries_total(nt) > limit) {
		ctl_error(out, CTL_FAILED, "limits.table-entries (%u) reached: the tables would "
			  "hold %u entries; nothing changed", limit, entries_total(nt));
		goto out;
	}
	if (reload_publish_rules(app, live, nt, err, sizeof(err)) != 0) {
		ctl_error(out, CTL_FAILED, "table %s: %s; nothing changed", argv[0], err);
		goto out;
	}
	table_set_free(cur);
	*tables = nt;
	nt = NULL;
	reload_peer(out, who, sizeof(who));
	dlog(TABLE_CHANGED, DLOG_S("op", op), DLOG_RAW(who), DLOG_S("table", argv[0]),
	     DLOG_I("added", added), DLOG_I("deleted", deleted),
	     DLOG_U("entries", (*tables)->t[ti].n));
	if (strcmp(op, "add") == 0)
		ctl_printf(out, "%d/%d addresses added.\n", added, n);
	else if (strcmp(op, "delete") == 0)
		ctl_printf(out, "%d/%d addresses deleted.\n", deleted, n);
	else if (strcmp(op, "flush") == 0)
		ctl_printf(out, "%d addresses deleted.\n", deleted);
	else
		ctl_printf(out, "%d addresses added.\n%d addresses deleted.\n", added, deleted);
	rc = 0;
out:
	table_set_free(nt);
	free(v);
	return rc;
}
