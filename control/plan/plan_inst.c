/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: instantiating a plan: the DPDK objects workers read (plan.h).
 *
 * The FIB and the ruleset are the objects a reload replaces, so they are
 * built here from the plan alone, into a struct plan_objs, and published
 * only by plan_publish(): building never disturbs the objects workers use,
 * and a failure frees what was built.  The plan's ruleset is copied for the
 * dataplane (rules_ruleset_dup), because the published copy is freed after
 * a grace period, on the dataplane's clock, not when the plan is.
 *
 * plan_build_objs() is the part that takes time (the FIB of a large route
 * table, the classifier of a large ruleset): it reads only the plan and
 * dp's [I] fields and creates objects nobody else sees, so the reload's
 * builder thread runs it while the control core runs (control/app/
 * reload_build.c).  plan_bind() is the rest, O(interfaces + next hops), on
 * the control core: it checks the interfaces against dp's and gives the
 * gateways their neighbour entries (the neighbour table has one writer).
 *
 * What is not swappable (dp_init's pool, ports and rings, the interfaces,
 * the state tables sized by limits.states) is applied once at start by the
 * appliance (control/app/app.c) from the same plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>

#include "control/plan/plan.h"
#include "control/rules/rules.h"
#include "dataplane/filter.h"
#include "dataplane/rules_acl.h"

/* dp_rules' destructor for a ruleset built here: classifier, then rules. */
static void
plan_rs_free(struct dpf_ruleset *rs)
{
	if (rs == NULL)
		return;
	rules_acl_free(rs->acl);
	rs->acl = NULL;
	rules_ruleset_free(rs);
}

/*
 * A FIB's next hops name interfaces by dp's index, and the plan's were
 * compiled with the config's: they must be the same interfaces.
 */
static int
plan_ifaces_match(const struct dpf_plan *p, const struct dp_main *dp, char *err, size_t errlen)
{
	if (p->n_ifaces != dp->n_ifaces) {
		snprintf(err, errlen, "the plan has %u interfaces, the dataplane %u (a restart "
			 "applies a change of interfaces)", p->n_ifaces, dp->n_ifaces);
		return -1;
	}
	for (unsigned int i = 0; i < p->n_ifaces; i++) {
		const struct dp_iface *a = &p->ifaces[i], *b = &dp->ifaces[i];

		if (strcmp(a->name, b->name) != 0 || a->port != b->port || a->vlan != b->vlan) {
			snprintf(err, errlen, "interface %u is %s in the plan, %s in the dataplane "
				 "(a restart applies a change of interfaces)", i, a->name, b->name);
			return -1;
		}
	}
	return 0;
}

int
plan_build_objs(const struct dpf_plan *p, const struct dp_main *dp, int socket, bool with_fib,
		struct plan_objs *o, char *err, size_t errlen)
{
	struct dpf_ruleset *rs;
	char msg[512];

	memset(o, 0, sizeof(*o));
	if (with_fib) {
		o->fib = dp_fib_build_detached(socket, p->ifaces, p->n_ifaces, p->routes,
					       p->n_routes, &o->unresolved_routes, err, errlen);
		if (o->fib == NULL)
			return -1;
	}
	rs = rules_ruleset_dup(p->rs);
	if (rs == NULL) {
		snprintf(err, errlen, "out of memory for the ruleset");
		goto fail;
	}
	rs->acl = rules_acl_build(rs, msg, sizeof(msg));
	if (rs->acl == NULL) {
		snprintf(err, errlen, "rules: %.480s", msg);
		plan_rs_free(rs);
		goto fail;
	}
	/* dp_rules_new() reads dp->n_workers only, which is [I]. */
	o->rules = dp_rules_new((struct dp_main *)dp, rs, plan_rs_free, p->timeouts,
				p->limits[PFLIMIT_STATES]);
	if (o->rules == NULL) {
		snprintf(err, errlen, "out of memory for the ruleset");
		plan_rs_free(rs);
		goto fail;
	}
	return 0;
fail:
	plan_objs_free(o);
	return -1;
}

int
plan_bind(const struct dpf_plan *p, struct dp_main *dp, struct plan_objs *o, char *err,
	  size_t errlen)
{
	if (plan_ifaces_match(p, dp, err, errlen) < 0)
		return -1;
	return o->fib != NULL ? dp_fib_bind(dp, o->fib, err, errlen) : 0;
}

int
plan_instantiate(const struct dpf_plan *p, struct dp_main *dp, struct plan_objs *o, char *err,
		 size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (plan_ifaces_match(p, dp, err, errlen) < 0)
		return -1;
	if (plan_build_objs(p, dp, (int)rte_socket_id(), true, o, err, errlen) != 0)
		return -1;
	if (plan_bind(p, dp, o, err, errlen) != 0) {
		plan_objs_free(o);
		return -1;
	}
	return 0;
}

void
plan_publish(struct dp_main *dp, struct plan_objs *o)
{
	if (o->fib != NULL)
		dp_fib_publish(dp, o->fib);
	if (o->rules != NULL)
		dp_rules_publish(dp, o->rules);
	o->fib = NULL;
	o->rules = NULL;
}

void
plan_objs_free(struct plan_objs *o)
{
	dp_fib_free(o->fib);
	dp_rules_free(o->rules);
	o->fib = NULL;
	o->rules = NULL;
}
