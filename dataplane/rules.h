/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The compiled pf ruleset: plain C types shared by the rule parser
 * (control/rules/rules.h), the reference evaluator (rules_ref.c) and the rte_acl
 * classifier (rules_acl.h).  No DPDK here.
 *
 * Semantics [pf.conf(5); OpenBSD pf.c pf_match_rule]:
 *  - Rules are evaluated top to bottom; the last matching rule wins unless a
 *    `quick` rule matches first, which wins at once.  So the result is the
 *    first matching quick rule, else the last matching rule, else none (the
 *    default action, block unless options.default is "pass").
 *  - A packet is evaluated once with dir = in on its ingress interface and
 *    once with dir = out on its egress interface; the caller makes the two
 *    calls and both must pass.
 *  - `flags a/b` constrains TCP packets only: another protocol's packet
 *    still matches a rule with flags (pf tests th_flags under
 *    `case IPPROTO_TCP` only).
 *  - An address set matches when the address is in the union of its
 *    prefixes, or is not when the set is negated.  A set made of literal
 *    addresses (or interface addresses) constrains the address family to
 *    the families it holds; a set holding a table does not (as pf expands
 *    host lists per family but keeps tables family-less).  The rule's
 *    effective family mask is af_mask.
 *  - Ports (`port`) are only on TCP/UDP rules; ICMP type and code are only
 *    on ICMP/ICMPv6 rules.  A packet carries the ICMP type and code in
 *    sport/dport (struct rule_pkt), so each rule constrains one meaning.
 *
 * Ownership: a struct dpf_ruleset is [P]: built whole by the control core,
 * published by pointer, read by workers, freed after a grace period.
 */
#ifndef DPF_DP_RULES_H
#define DPF_DP_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/pf.h"
#include "proto/pftm.h"

#define RULES_MAX_IFACES 64	/* interface bitmap width */
#define RULE_LABEL_MAX 64	/* incl. NUL, as pf's PF_RULE_LABEL_SIZE */
#define RULE_NAME_MAX 32	/* table and interface names, incl. NUL */
#define RULE_MAX_PROTO 32
#define RULE_MAX_ICMP 32
#define RULE_MAX_LIST 4096	/* elements of any one { list } */

#define RULE_AF_INET 0x1	/* af_mask bits */
#define RULE_AF_INET6 0x2

enum rule_action {
	RULE_PASS,
	RULE_BLOCK,
};

/* How a block rule answers [pf.conf(5) block-policy]. */
#define RULE_BLOCK_LIST(_)              \
	_(DEFAULT, "")                  \
	_(DROP, "drop")                 \
	_(RETURN, "return")             \
	_(RETURN_RST, "return-rst")     \
	_(RETURN_ICMP, "return-icmp")

enum rule_block {
#define RULE_BLOCK_ENUM(sym, str) RULE_BLOCK_##sym,
	RULE_BLOCK_LIST(RULE_BLOCK_ENUM)
#undef RULE_BLOCK_ENUM
	RULE_BLOCK_MAX
};

/* Direction: a rule's is a mask, a packet's is one bit. */
#define RULE_DIR_IN 0x1
#define RULE_DIR_OUT 0x2
#define RULE_DIR_BOTH (RULE_DIR_IN | RULE_DIR_OUT)

/* Port operators [pf.conf(5) "port"; OpenBSD pf.c pf_match]. */
#define RULE_PORT_OP_LIST(_)            \
	_(EQ, "=")                      \
	_(NE, "!=")                     \
	_(LT, "<")                      \
	_(LE, "<=")                     \
	_(GT, ">")                      \
	_(GE, ">=")                     \
	_(RANGE, ":")  /* a <= p <= b */ \
	_(IN, "><")    /* a < p < b */  \
	_(OUT, "<>")   /* p < a || p > b */

enum rule_port_op {
#define RULE_PORT_OP_ENUM(sym, str) RULE_PORT_##sym,
	RULE_PORT_OP_LIST(RULE_PORT_OP_ENUM)
#undef RULE_PORT_OP_ENUM
	RULE_PORT_OP_MAX
};

struct rule_port {
	uint8_t op;		/* enum rule_port_op */
	uint16_t a, b;		/* b only for the two-operand ops */
};

/* An address with a prefix length; af 4 or 6; addr network order. */
struct rule_prefix {
	uint8_t af;
	uint8_t plen;
	uint8_t addr[16];
};

/* One element of an address set as written (for printing). */
enum rule_addr_kind {
	RULE_ADDR_PREFIX,	/* 198.18.0.0/15, 2001:db8::1 */
	RULE_ADDR_TABLE,	/* <name> */
	RULE_ADDR_IFACE,	/* lan: the interface's addresses */
	RULE_ADDR_IFACE_NET,	/* lan:network: the interface's networks */
	RULE_ADDR_SELF,		/* self: every address of every interface */
};

struct rule_addr_item {
	uint8_t kind;		/* enum rule_addr_kind */
	char name[RULE_NAME_MAX]; /* table or interface */
	struct rule_prefix pfx;	/* RULE_ADDR_PREFIX */
};

/* `from` or `to`: an address set and a port list. */
struct rule_addr {
	bool neg;		/* "! ..." : matches addresses not in the set */
	uint8_t af_mask;	/* families the set constrains to; 3 for any */
	unsigned int n_items;	/* 0: "any" */
	struct rule_addr_item *items;
	unsigned int n_pfx;	/* resolved prefixes, both families, as resolved */
	struct rule_prefix *pfx;
	unsigned int n_ports;	/* 0: any port */
	struct rule_port *ports;
};

struct rule_icmp {
	uint8_t type;
	int16_t code;		/* -1: any code */
};

struct dpf_rule {
	uint8_t action;		/* enum rule_action */
	uint8_t block;		/* enum rule_block */
	uint8_t dir;		/* RULE_DIR_* mask */
	bool log, log_all;
	bool quick;
	uint8_t af;		/* as written: 0 (none), 4 (inet) or 6 (inet6) */
	uint8_t af_mask;	/* effective: af and what src/dst imply */
	unsigned int n_proto;	/* 0: any protocol */
	uint8_t proto[RULE_MAX_PROTO];
	uint64_t ifaces;	/* bit i = interface index i; 0 = any */
	unsigned int n_on;	/* interface names as written, for printing */
	char (*on)[RULE_NAME_MAX];
	struct rule_addr src, dst;
	uint8_t flags, flagset;	/* flagset 0: no flags test */
	uint8_t icmp_af;	/* 0, 4 (icmp-type) or 6 (icmp6-type) */
	unsigned int n_icmp;
	struct rule_icmp icmp[RULE_MAX_ICMP];
	bool keep_state;
	bool no_state_written;	/* "no state" was written on a pass rule */
	uint32_t max_states;	/* 0: no limit */
	bool no_sync, sloppy;
	bool allow_opts;	/* pass IPv4 options, IPv6 routing headers [pf.conf(5) allow-opts] */
	uint32_t timeouts[PFTM_MAX]; /* 0: the global value */
	char label[RULE_LABEL_MAX];
	bool id_set;		/* "id N" written; else id is the 1-based position */
	uint32_t id;
};

struct rules_acl;

struct dpf_ruleset {
	unsigned int n;
	struct dpf_rule *rules;
	bool default_pass;
	struct rules_acl *acl;	/* compiled classifier; NULL until built */
};

/*
 * A packet as the classifier sees it.  src/dst are network order (IPv4 in
 * the first 4 bytes); sport/dport host order (type and code for ICMP and
 * ICMPv6); tcp_flags only read for proto 6.
 */
struct rule_pkt {
	uint8_t af;		/* 4 or 6 */
	uint8_t proto;
	uint8_t dir;		/* RULE_DIR_IN or RULE_DIR_OUT */
	uint16_t iface;		/* 0..RULES_MAX_IFACES-1 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tcp_flags;
};

/* TCP flag bits are proto/pf.h's PF_TH_* (pf's "FSRPAUEW"). */

/*
 * The linear reference evaluator (rules_ref.c): the index of the deciding
 * rule, or -1 when none matches (the default applies).  Slow and obviously
 * right; the differential tests hold the rte_acl classifier to it.
 */
int rules_eval_ref(const struct dpf_ruleset *rs, const struct rule_pkt *p);

/* Does rule r match p (ignoring order and quick)? */
bool rules_match_ref(const struct dpf_rule *r, const struct rule_pkt *p);

/* Does port p satisfy one operator item? */
bool rules_port_match(const struct rule_port *rp, uint16_t p);

/* Does addr (family af) fall in pfx? */
bool rules_prefix_match(const struct rule_prefix *pfx, uint8_t af, const uint8_t *addr);

/* The verdict for a result of the evaluators: true = pass. */
static inline bool
rules_verdict_pass(const struct dpf_ruleset *rs, int idx)
{
	if (idx < 0)
		return rs->default_pass;
	return rs->rules[idx].action == RULE_PASS;
}

#endif /* DPF_DP_RULES_H */
