/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the reference rule evaluator.
 *
 * A direct reading of the semantics in rules.h, one rule at a time, with no
 * precomputation: the oracle the rte_acl classifier is tested against
 * (tests/unit/test_rules_diff.c).  Kept simple on purpose; the worker uses
 * rules_acl.c.
 */
#include <string.h>

#include "dataplane/rules.h"
#include "proto/proto.h"

bool
rules_port_match(const struct rule_port *rp, uint16_t p)
{
	/* [OpenBSD pf.c pf_match]: IRG is "><", XRG "<>", RRG ":". */
	switch (rp->op) {
	case RULE_PORT_EQ:
		return p == rp->a;
	case RULE_PORT_NE:
		return p != rp->a;
	case RULE_PORT_LT:
		return p < rp->a;
	case RULE_PORT_LE:
		return p <= rp->a;
	case RULE_PORT_GT:
		return p > rp->a;
	case RULE_PORT_GE:
		return p >= rp->a;
	case RULE_PORT_RANGE:
		return p >= rp->a && p <= rp->b;
	case RULE_PORT_IN:
		return p > rp->a && p < rp->b;
	case RULE_PORT_OUT:
		return p < rp->a || p > rp->b;
	default:
		return false;
	}
}

static bool
ports_match(const struct rule_addr *a, uint16_t p)
{
	if (a->n_ports == 0)
		return true;
	for (unsigned int i = 0; i < a->n_ports; i++)
		if (rules_port_match(&a->ports[i], p))
			return true;
	return false;
}

bool
rules_prefix_match(const struct rule_prefix *pfx, uint8_t af, const uint8_t *addr)
{
	return pfx->af == af && proto_prefix_match(pfx->addr, pfx->plen, addr);
}

static bool
addr_match(const struct rule_addr *a, uint8_t af, const uint8_t *addr)
{
	bool in = false;

	if (a->n_items == 0)
		return true;
	for (unsigned int i = 0; i < a->n_pfx && !in; i++)
		in = rules_prefix_match(&a->pfx[i], af, addr);
	return in != a->neg;
}

bool
rules_match_ref(const struct dpf_rule *r, const struct rule_pkt *p)
{
	uint8_t afbit = p->af == 4 ? RULE_AF_INET : RULE_AF_INET6;

	if (!(r->dir & p->dir))
		return false;
	if (r->ifaces != 0 && (p->iface >= RULES_MAX_IFACES ||
			       !(r->ifaces & (UINT64_C(1) << p->iface))))
		return false;
	if (!(r->af_mask & afbit))
		return false;
	if (r->n_proto != 0 && memchr(r->proto, p->proto, r->n_proto) == NULL)
		return false;
	if (!addr_match(&r->src, p->af, p->src) || !addr_match(&r->dst, p->af, p->dst))
		return false;
	/* Port lists only exist on TCP/UDP rules; the proto test ran above. */
	if (!ports_match(&r->src, p->sport) || !ports_match(&r->dst, p->dport))
		return false;
	if (r->n_icmp != 0) {
		bool hit = false;

		for (unsigned int i = 0; i < r->n_icmp && !hit; i++)
			hit = r->icmp[i].type == p->sport &&
			      (r->icmp[i].code < 0 || r->icmp[i].code == p->dport);
		if (!hit)
			return false;
	}
	/* [OpenBSD pf.c pf_match_rule] flags are tested for TCP only. */
	if (r->flagset != 0 && p->proto == 6 && (p->tcp_flags & r->flagset) != r->flags)
		return false;
	return true;
}

int
rules_eval_ref(const struct dpf_ruleset *rs, const struct rule_pkt *p)
{
	int last = -1;

	for (unsigned int i = 0; i < rs->n; i++) {
		if (!rules_match_ref(&rs->rules[i], p))
			continue;
		if (rs->rules[i].quick)
			return (int)i;
		last = (int)i;
	}
	return last;
}
