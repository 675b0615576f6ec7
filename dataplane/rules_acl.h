/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The ruleset compiled into rte_acl: one context per address family,
 * giving exactly the result of rules_eval_ref() (rules.h) for every packet.
 *
 * Contract:
 *  - rules_acl_build() needs EAL up (rte_acl allocates with rte_malloc).  It
 *    runs on the control core and may take seconds for 10k rules; workers
 *    keep using the old classifier until the new one is published.
 *  - A rule whose lists multiply out (interfaces x protocols x source
 *    ranges x destination ranges x port ranges; an IPv6 range is one of
 *    address classes, rules_cls6.h) to more than
 *    RULES_ACL_MAX_PER_RULE classifier entries is refused with a message
 *    naming it; so is a ruleset above RULES_ACL_MAX_TOTAL entries per family.
 *    rules_acl_check() is that expansion and those two limits without rte_acl
 *    (no EAL, no DPDK memory), so that a config check refuses exactly what
 *    rules_acl_build() would; only rte_acl's own memory limit
 *    (RULES_ACL_MAX_MEMORY) and that of the IPv6 class tables
 *    (CLS6_MAX_MEMORY) are known at build time alone.
 *  - rules_acl_eval*() are read-only and thread-safe: any number of workers
 *    may classify with one struct rules_acl at once.
 *
 * Ownership: [P] built by the control core, read by workers, freed after a
 * grace period with rules_acl_free().
 */
#ifndef DPF_DP_RULES_ACL_H
#define DPF_DP_RULES_ACL_H

#include <stddef.h>

#include "dataplane/rules.h"

#define RULES_ACL_MAX_PER_RULE 16384
#define RULES_ACL_MAX_TOTAL (1u << 21)
/* Packets per rules_acl_eval_bulk() call: a worker burst, in and out. */
#define RULES_ACL_BULK_MAX 128
/*
 * Run-time memory cap per family: above it rte_acl splits the rules into
 * more tries (slower lookups) and fails only when even that does not fit.
 */
#define RULES_ACL_MAX_MEMORY (256u << 20)

struct rules_acl;

/* NULL with err set ("rules[3] (id 4) expands to ...") on failure. */
struct rules_acl *rules_acl_build(const struct dpf_ruleset *rs, char *err, size_t len);

/*
 * rules_acl_build() with flags, which force a layout (rules_acl.c) whatever
 * the interface classes of the rules; the tests hold every layout to the
 * reference.  RULES_ACL_PER_DIR: direction and interface in the
 * classifier's input, one category, a walk per direction (the layout
 * before categories).  RULES_ACL_TWO_IFACES: the ingress and the egress
 * interface in the input, the directions as categories (the layout of
 * rulesets with more than 8 classes of interfaces).
 */
#define RULES_ACL_PER_DIR 0x1
#define RULES_ACL_TWO_IFACES 0x2
struct rules_acl *rules_acl_build_opt(const struct dpf_ruleset *rs, unsigned int flags,
				      char *err, size_t len);

/*
 * The classifier entries rules_acl_build() would make for rs, per family
 * (entries[0] IPv4, [1] IPv6), computed by the same code without rte_acl:
 * pure C, callable without EAL.  0, or -1 with err set and *bad the index
 * of the rule above a limit (-1 when out of memory); err does not name the
 * rule ("expands to 20000 classifier entries ..."), the caller does.
 */
int rules_acl_check(const struct dpf_ruleset *rs, unsigned int entries[2], int *bad, char *err,
		    size_t len);
void rules_acl_free(struct rules_acl *acl);

/* The deciding rule's index, or -1 (the default applies): as rules_eval_ref(). */
int rules_acl_eval(const struct rules_acl *acl, const struct rule_pkt *p);

/*
 * n (<= RULES_ACL_BULK_MAX) packets, all of family af, into results[i];
 * returns 0, or -1 if n or af is out of range.
 */
int rules_acl_eval_bulk(const struct rules_acl *acl, uint8_t af,
			const struct rule_pkt *const pkts[], unsigned int n, int results[]);

/*
 * A burst of first packets in both directions: pkts[i] as received (dir
 * RULE_DIR_IN, its ingress interface) into res_in[i] and, where
 * out_iface[i] >= 0, the same packet out on that interface into
 * res_out[i] (left alone where out_iface[i] < 0).  One rte_acl walk for
 * both when the ruleset compiled to categories, two otherwise.  n <=
 * RULES_ACL_BULK_MAX, all of family af; returns 0, or -1 if n or af is out
 * of range.
 */
int rules_acl_eval_bulk_io(const struct rules_acl *acl, uint8_t af,
			   const struct rule_pkt *const pkts[], const int out_iface[],
			   unsigned int n, int res_in[], int res_out[]);

/* rte_acl categories in use: 1 (per direction) or 4..16 (rules_acl.c). */
unsigned int rules_acl_categories(const struct rules_acl *acl);
/* The layout: "classes", "two-ifaces" or "per-dir" (rules_acl.c). */
const char *rules_acl_layout(const struct rules_acl *acl);

/* rte_acl's classify method in use ("avx512x32", "avx2", ...; for the benchmark). */
const char *rules_acl_alg(const struct rules_acl *acl);

/* Classifier entries per family (for stats and the benchmark). */
unsigned int rules_acl_entries(const struct rules_acl *acl, uint8_t af);

/* Bytes of the IPv6 address class lookup tables (beside rte_acl's own). */
size_t rules_acl_cls_memory(const struct rules_acl *acl);

#endif /* DPF_DP_RULES_ACL_H */
