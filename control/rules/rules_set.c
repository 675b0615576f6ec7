/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: rulesets: ids, copying, freeing environments and rulesets
 * (control/rules/rules.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/rules/rules.h"

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

/* A copy of n elements of size bytes at p (NULL for none); false if out of memory. */
static bool
dup_array(void **out, const void *p, size_t n, size_t size)
{
	*out = NULL;
	if (n == 0 || p == NULL)
		return true;
	*out = malloc(n * size);
	if (*out == NULL)
		return false;
	memcpy(*out, p, n * size);
	return true;
}

static bool
dup_addr(struct rule_addr *d, const struct rule_addr *s)
{
	return dup_array((void **)&d->items, s->items, s->n_items, sizeof(*s->items)) &&
	       dup_array((void **)&d->pfx, s->pfx, s->n_pfx, sizeof(*s->pfx)) &&
	       dup_array((void **)&d->ports, s->ports, s->n_ports, sizeof(*s->ports));
}

struct dpf_ruleset *
rules_ruleset_dup(const struct dpf_ruleset *rs)
{
	struct dpf_ruleset *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->default_pass = rs->default_pass;
	c->rules = calloc(rs->n > 0 ? rs->n : 1, sizeof(*c->rules));
	if (c->rules == NULL) {
		free(c);
		return NULL;
	}
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct dpf_rule *r = &rs->rules[i];
		struct dpf_rule *d = &c->rules[c->n];

		*d = *r;
		d->on = NULL;
		d->src.items = d->dst.items = NULL;
		d->src.pfx = d->dst.pfx = NULL;
		d->src.ports = d->dst.ports = NULL;
		c->n++;		/* counted now: a half-copied rule is freed too */
		if (!dup_array((void **)&d->on, r->on, r->n_on, sizeof(*r->on)) ||
		    !dup_addr(&d->src, &r->src) || !dup_addr(&d->dst, &r->dst)) {
			rules_ruleset_free(c);
			return NULL;
		}
	}
	return c;
}
