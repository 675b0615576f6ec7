/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: rulesets: ids, the environment rules resolve against, and a whole
 * config's rules parsed into a struct dpf_ruleset (control/rules.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "control/rules.h"

struct id_ref {
	uint32_t id;
	unsigned int idx;
};

static int
id_cmp(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int
rules_number(struct dpf_rule *rules, unsigned int n, unsigned int *bad, struct rules_error *err)
{
	struct id_ref *ids;

	memset(err, 0, sizeof(*err));
	err->offset = -1;
	for (unsigned int i = 0; i < n; i++)
		if (!rules[i].id_set)
			rules[i].id = i + 1;
	if (n < 2)
		return 0;
	ids = malloc(n * sizeof(*ids));
	if (ids == NULL) {
		*bad = 0;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < n; i++)
		ids[i] = (struct id_ref){ rules[i].id, i };
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (unsigned int k = 1; k < n; k++) {
		unsigned int a = ids[k - 1].idx, b = ids[k].idx, other;

		if (ids[k - 1].id != ids[k].id)
			continue;
		/* Blame the rule that wrote the id: the later one if both did. */
		*bad = rules[b].id_set ? b : a;
		other = *bad == b ? a : b;
		snprintf(err->msg, sizeof(err->msg), "id %u is also the id of rules[%u]%s",
			 rules[b].id, other, rules[a].id_set && rules[b].id_set ? "" :
			 " (a rule without \"id\" has its 1-based position as id)");
		free(ids);
		return -1;
	}
	free(ids);
	return 0;
}

int
rules_env_from_config(const struct dpf_config *cfg, struct rules_env *env)
{
	struct rules_env_iface *ifs = NULL;
	struct rules_env_table *tbs = NULL;
	struct rule_prefix *p;

	memset(env, 0, sizeof(*env));
	if (cfg->n_ifaces > 0 && (ifs = calloc(cfg->n_ifaces, sizeof(*ifs))) == NULL)
		return -1;
	env->ifaces = ifs;
	for (unsigned int i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];

		ifs[i].name = ci->name;
		ifs[i].index = i;
		if (ci->n_addrs == 0)
			continue;
		p = calloc(ci->n_addrs, sizeof(*p));
		if (p == NULL)
			goto fail;
		for (unsigned int k = 0; k < ci->n_addrs; k++) {
			p[k].af = ci->addrs[k].af;
			p[k].plen = ci->addrs[k].plen;
			memcpy(p[k].addr, ci->addrs[k].addr, 16);
		}
		ifs[i].addrs = p;
		ifs[i].n_addrs = ci->n_addrs;
		env->n_ifaces = i + 1;
	}
	env->n_ifaces = cfg->n_ifaces;
	if (cfg->n_tables > 0 && (tbs = calloc(cfg->n_tables, sizeof(*tbs))) == NULL)
		goto fail;
	env->tables = tbs;
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		const struct cfg_table *t = &cfg->tables[i];

		tbs[i].name = t->name;
		env->n_tables = i + 1;
		if (t->n == 0)
			continue;
		p = calloc(t->n, sizeof(*p));
		if (p == NULL)
			goto fail;
		for (unsigned int k = 0; k < t->n; k++) {
			p[k].af = t->entries[k].af;
			p[k].plen = t->entries[k].plen;
			memcpy(p[k].addr, t->entries[k].addr, 16);
		}
		tbs[i].pfx = p;
		tbs[i].n = t->n;
	}
	return 0;
fail:
	rules_env_free(env);
	return -1;
}

void
rules_env_free(struct rules_env *env)
{
	for (unsigned int i = 0; i < env->n_ifaces; i++)
		free((void *)env->ifaces[i].addrs);
	for (unsigned int i = 0; i < env->n_tables; i++)
		free((void *)env->tables[i].pfx);
	free((void *)env->ifaces);
	free((void *)env->tables);
	memset(env, 0, sizeof(*env));
}

void
rules_ruleset_free(struct dpf_ruleset *rs)
{
	if (rs == NULL)
		return;
	for (unsigned int i = 0; i < rs->n; i++)
		rules_rule_clear(&rs->rules[i]);
	free(rs->rules);
	free(rs);
}

struct dpf_ruleset *
rules_from_config(const struct dpf_config *cfg, char *msg, size_t len)
{
	struct dpf_ruleset *rs = calloc(1, sizeof(*rs));
	struct rules_error err;
	struct rules_env env;
	unsigned int bad;

	if (rs == NULL || rules_env_from_config(cfg, &env) < 0) {
		snprintf(msg, len, "out of memory");
		free(rs);
		return NULL;
	}
	rs->default_pass = cfg->options.default_pass;
	rs->rules = calloc(cfg->n_rules ? cfg->n_rules : 1, sizeof(*rs->rules));
	if (rs->rules == NULL) {
		snprintf(msg, len, "out of memory");
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->n_rules; i++) {
		const struct cfg_rule *cr = &cfg->rules[i];
		int rc = cr->text != NULL ?
			 rules_parse_string(cr->text, &env, &rs->rules[i], &err) :
			 rules_parse_json(cr->json, &env, &rs->rules[i], &err);

		if (rc < 0) {
			snprintf(msg, len, "%s%s%s: %s", cr->path, err.path[0] ? "." : "",
				 err.path, err.msg);
			goto fail;
		}
		rs->n++;
	}
	if (rules_number(rs->rules, rs->n, &bad, &err) < 0) {
		snprintf(msg, len, "%s: %s", cfg->rules[bad].path, err.msg);
		goto fail;
	}
	rules_env_free(&env);
	return rs;
fail:
	rules_env_free(&env);
	rules_ruleset_free(rs);
	return NULL;
}
