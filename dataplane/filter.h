/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The packet filter as the control core publishes it to the workers: the
 * compiled ruleset with pf's options (timeouts, limits, default action)
 * and the per-rule counters, in one object swapped by pointer [P].
 *
 * Semantics [pf.conf(5); docs/rules.md]: a packet without a state is
 * evaluated with dir=in against the rules of its ingress interface and, if
 * it passes and is routed, with dir=out against those of its egress
 * interface; both must pass.  If either matching rule keeps state, one
 * state is created that covers both directions and both legs; later
 * packets of the connection match the state and skip the rules.  With no
 * matching rule the default action applies (block unless options.default
 * is "pass"; the default rule never keeps state, as in pf).
 */
#ifndef DPF_DP_FILTER_H
#define DPF_DP_FILTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "proto/pftm.h"

struct dpf_ruleset;
struct rules_acl;
struct dp_main;

/* Per-rule counters, one row per worker plus one for the control core [W]. */
struct dp_rule_ctr {
	uint64_t evals;		/* first packets whose evaluation selected this rule */
	uint64_t pkts;		/* packets passed or blocked by it, incl. its states' */
	uint64_t bytes;
	uint64_t states;	/* states created */
};

struct dp_rules {
	struct dpf_ruleset *rs;		/* [I] owned by this object */
	void (*rs_free)(struct dpf_ruleset *rs); /* [I] */
	const struct rules_acl *acl;	/* [I] rs->acl */
	unsigned int n_rules;		/* [I] */
	unsigned int gen;		/* [I] bumped on every publish */
	bool default_pass;		/* [I] options.default */
	uint32_t timeouts[PFTM_MAX];	/* [I] seconds; adaptive.* in states */
	uint32_t limit_states;		/* [I] */
	struct dp_rule_ctr *ctr;	/* [W] (n_workers + 1) x n_rules */
	_Atomic uint32_t *states_cur;	/* [A] live states per rule, for `max` */
};

/* Row of worker w in ctr. */
static inline struct dp_rule_ctr *
dp_rule_ctr_row(const struct dp_rules *r, unsigned int w)
{
	return r->ctr + (size_t)w * r->n_rules;
}

/*
 * Wraps ruleset rs (with its compiled classifier rs->acl) for publishing
 * and allocates counters for every worker.  The object owns rs and frees it
 * with rs_free.  NULL on allocation failure (rs is not freed then).
 */
struct dp_rules *dp_rules_new(struct dp_main *dp, struct dpf_ruleset *rs,
			      void (*rs_free)(struct dpf_ruleset *rs), const uint32_t *timeouts,
			      uint32_t limit_states);
/* Publishes r; the previous one is freed after a grace period (dp_reclaim). */
void dp_rules_publish(struct dp_main *dp, struct dp_rules *r);
void dp_rules_free(struct dp_rules *r);

/*
 * Creates every worker's state table (sized for limit_states spread over
 * the workers, with a quarter of slack) and its rings to and from the
 * control core (filter_cmd.h).  Call after dp_init(), before dp_start().
 * 0 or -errno with err filled.
 */
int dp_filter_init(struct dp_main *dp, uint32_t limit_states, const uint32_t *timeouts,
		   char *err, size_t errlen);
/* After dp_stop(): frees the tables, rings and the published ruleset. */
void dp_filter_fini(struct dp_main *dp);

/* Sums the per-worker counters of rule i. */
void dp_rule_ctr_sum(const struct dp_main *dp, const struct dp_rules *r, unsigned int i,
		     struct dp_rule_ctr *sum);

/* Which states a kill selects; every condition set must hold. */
struct dp_state_sel {
	bool all;
	uint8_t af;			/* 0: any */
	uint8_t proto;			/* 0: any */
	bool has_src, has_dst, has_host;
	struct dp_addr src, dst, host;	/* src: creator side; host: either side */
	bool has_id;
	uint64_t id;
	uint32_t creatorid;		/* 0: any */
	int64_t rule;			/* rule id, -1: any */
};

/* Does the state (copy, key, identity) match sel? Used by workers and tests. */
struct dp_state;
bool dp_state_sel_match(const struct dp_state_sel *sel, const struct dp_state *st,
			const void *key, uint64_t id, uint32_t creatorid,
			const struct dp_rules *rules);

#endif /* DPF_DP_FILTER_H */
