/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The pf rule language: parse a rule written as a pf.conf-style string or
 * as a JSON object into struct dpf_rule (dataplane/rules.h), resolve names
 * against an environment, and print a rule back in normalized pf syntax.
 * docs/rules.md is the user's reference.
 *
 * Contract:
 *  - rules_parse_string() and rules_parse_json() accept the same language
 *    and fill the same struct; rules_print() of either is the same text, and
 *    parsing that text again prints it again unchanged.
 *  - Names (interfaces, tables, self) are resolved at parse time against the
 *    environment passed in; the rule keeps what was written for printing
 *    and the resolved prefixes for matching.
 *  - Errors fill struct rules_error: for strings the byte offset of the
 *    offending token, for objects the path below the rule ("from.port[1]");
 *    the message names the token and what was expected.
 *  - Rules without "id" get their 1-based position as id; an id that two
 *    rules share is an error (rules_number()).
 *
 * Ownership: [C] the control core builds rules and rulesets; a ruleset
 * published to workers is freed only after a grace period.
 */
#ifndef DPF_CONTROL_RULES_H
#define DPF_CONTROL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/rules.h"

/* An interface as rules see it: name, index (for `on`) and addresses. */
struct rules_env_iface {
	const char *name;
	unsigned int index;	/* < RULES_MAX_IFACES to be usable in `on` */
	unsigned int n_addrs;
	const struct rule_prefix *addrs; /* address/prefix length, as configured */
};

struct rules_env_table {
	const char *name;
	unsigned int n;
	const struct rule_prefix *pfx;
};

/* What rule names resolve against. `self` is every address of every interface. */
struct rules_env {
	unsigned int n_ifaces;
	const struct rules_env_iface *ifaces;
	unsigned int n_tables;
	const struct rules_env_table *tables;
};

struct rules_error {
	int offset;		/* string form: byte offset of the token; else -1 */
	char path[96];		/* object form: "from.port[1]" below the rule; else "" */
	char msg[256];
};

/* Parse one rule.  0, or -1 with *err set and *r cleared. */
int rules_parse_string(const char *text, const struct rules_env *env, struct dpf_rule *r,
		       struct rules_error *err);
int rules_parse_json(const json_t *obj, const struct rules_env *env, struct dpf_rule *r,
		     struct rules_error *err);

/* Frees what a parsed rule owns and zeroes it. */
void rules_rule_clear(struct dpf_rule *r);

/*
 * Gives every rule without "id" its 1-based position as id.  Returns -1 and
 * sets *bad (the index of the second rule) when two rules share an id.
 */
int rules_number(struct dpf_rule *rules, unsigned int n, unsigned int *bad,
		 struct rules_error *err);

/*
 * Writes the normalized pf text of r (like `pfctl -nvf`, one line, no
 * "@N").  Returns the length it needed, as snprintf does.
 */
size_t rules_print(const struct dpf_rule *r, char *buf, size_t len);

/* Frees what an environment built by its user (control/config) owns. */
void rules_env_free(struct rules_env *env);
/* Frees a ruleset's rules; rs->acl (dataplane) must be freed first. */
void rules_ruleset_free(struct dpf_ruleset *rs);
/*
 * A deep copy of rs's rules and default (acl NULL), for an owner that
 * outlives rs's (the dataplane's published ruleset); NULL if out of memory.
 */
struct dpf_ruleset *rules_ruleset_dup(const struct dpf_ruleset *rs);

/* pf.conf words of a block policy and a port operator; "?" if out of range. */
const char *rules_block_name(unsigned int block);
const char *rules_port_op_name(unsigned int op);
/* Protocol and service names of the built-in tables; NULL if none. */
const char *rules_proto_name(uint8_t proto);
int rules_proto_lookup(const char *name);	/* -1 if unknown */
int rules_port_lookup(const char *name);	/* -1 if unknown */
/* ICMP (af 4) and ICMPv6 (af 6) type and code names, as pfctl spells them. */
const char *rules_icmp_type_name(uint8_t af, uint8_t type);
int rules_icmp_type_lookup(uint8_t af, const char *name);
const char *rules_icmp_code_name(uint8_t af, uint8_t type, uint8_t code);
int rules_icmp_code_lookup(uint8_t af, uint8_t type, const char *name);

#endif /* DPF_CONTROL_RULES_H */
