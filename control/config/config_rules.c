/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the environment a config's rules resolve against (interfaces, their
 * addresses, tables).  The loader (config_schema.c) parses every rule once
 * against it; the config depends on the rule language, never the other way
 * round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config/config.h"
#include "control/rules/rules.h"

/* The n prefixes at src as the rule language's, in a new array; NULL if out of memory. */
static struct rule_prefix *
prefixes_dup(const struct cfg_prefix *src, unsigned int n)
{
	struct rule_prefix *p = calloc(n, sizeof(*p));

	if (p == NULL)
		return NULL;
	for (unsigned int k = 0; k < n; k++) {
		p[k].af = src[k].af;
		p[k].plen = src[k].plen;
		memcpy(p[k].addr, src[k].addr, 16);
	}
	return p;
}

int
cfg_rules_env(const struct dpf_config *cfg, struct rules_env *env)
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
		p = prefixes_dup(ci->addrs, ci->n_addrs);
		if (p == NULL)
			goto fail;
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
		p = prefixes_dup(t->entries, t->n);
		if (p == NULL)
			goto fail;
		tbs[i].pfx = p;
		tbs[i].n = t->n;
	}
	return 0;
fail:
	rules_env_free(env);
	return -1;
}
