/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: normalized pf syntax for a rule, and the name tables.
 *
 * The layout follows pfctl's print_rule [OpenBSD pfctl_parser.c]: action,
 * block policy, direction, log, quick, on, family, proto, `all` or from/to
 * with ports, flags, icmp-type, state, label, then our `id`.  Differences,
 * chosen so that the text parses back to the same rule: lists stay lists
 * (pfctl shows one expanded rule per element), "keep state" / "no state" is
 * always written on pass rules, ports print as numbers, and "id N" is only
 * written when the rule had one.
 *
 * Names are built in (no /etc/protocols or /etc/services): protocol names
 * as OpenBSD's /etc/protocols spells them, common IANA service names, and
 * pfctl's ICMP type and code names [OpenBSD pfctl_parser.c icmp_type,
 * icmp6_type, icmp_code, icmp6_code].
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "control/rules/rules.h"
#include "proto/pftm.h"
#include "proto/proto.h"

struct name_num {
	const char *name;
	int num;
};

/* The first name of a number is the one printed. */
static const struct name_num protos[] = {
	{ "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ggp", 3 }, { "ipencap", 4 },
	{ "st", 5 }, { "tcp", 6 }, { "egp", 8 }, { "igp", 9 }, { "pup", 12 },
	{ "udp", 17 }, { "hmp", 20 }, { "xns-idp", 22 }, { "rdp", 27 }, { "iso-tp4", 29 },
	{ "dccp", 33 }, { "xtp", 36 }, { "ddp", 37 }, { "idpr-cmtp", 38 }, { "ipv6", 41 },
	{ "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "idrp", 45 }, { "rsvp", 46 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "mobile", 55 }, { "skip", 57 },
	{ "ipv6-icmp", 58 }, { "icmp6", 58 }, { "ipv6-nonxt", 59 }, { "ipv6-opts", 60 },
	{ "rspf", 73 }, { "vmtp", 81 }, { "eigrp", 88 }, { "ospf", 89 }, { "ax.25", 93 },
	{ "ipip", 94 }, { "etherip", 97 }, { "encap", 98 }, { "pim", 103 },
	{ "ipcomp", 108 }, { "carp", 112 }, { "vrrp", 112 }, { "l2tp", 115 },
	{ "isis", 124 }, { "sctp", 132 }, { "fc", 133 }, { "mobility", 135 },
	{ "udplite", 136 }, { "mpls-in-ip", 137 }, { "hip", 139 }, { "shim6", 140 },
	{ "wesp", 141 }, { "rohc", 142 }, { "pfsync", 240 },
};

static const struct name_num services[] = {
	{ "ftp-data", 20 }, { "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 }, { "smtp", 25 },
	{ "time", 37 }, { "domain", 53 }, { "bootps", 67 }, { "bootpc", 68 }, { "tftp", 69 },
	{ "gopher", 70 }, { "finger", 79 }, { "http", 80 }, { "www", 80 }, { "kerberos", 88 },
	{ "pop3", 110 }, { "sunrpc", 111 }, { "auth", 113 }, { "nntp", 119 }, { "ntp", 123 },
	{ "netbios-ns", 137 }, { "netbios-dgm", 138 }, { "netbios-ssn", 139 },
	{ "imap", 143 }, { "snmp", 161 }, { "snmp-trap", 162 }, { "bgp", 179 },
	{ "ldap", 389 }, { "https", 443 }, { "microsoft-ds", 445 }, { "isakmp", 500 },
	{ "syslog", 514 }, { "submission", 587 }, { "ldaps", 636 }, { "domain-s", 853 },
	{ "rsync", 873 }, { "imaps", 993 }, { "pop3s", 995 }, { "socks", 1080 },
	{ "openvpn", 1194 }, { "ms-sql-s", 1433 }, { "radius", 1812 },
	{ "radius-acct", 1813 }, { "nfs", 2049 }, { "mysql", 3306 },
	{ "ms-wbt-server", 3389 }, { "ipsec-nat-t", 4500 }, { "sip", 5060 },
	{ "postgresql", 5432 }, { "http-alt", 8080 },
};

static const struct name_num icmp_types[] = {
	{ "echorep", 0 }, { "unreach", 3 }, { "squench", 4 }, { "redir", 5 },
	{ "althost", 6 }, { "echoreq", 8 }, { "routeradv", 9 }, { "routersol", 10 },
	{ "timex", 11 }, { "paramprob", 12 }, { "timereq", 13 }, { "timerep", 14 },
	{ "inforeq", 15 }, { "inforep", 16 }, { "maskreq", 17 }, { "maskrep", 18 },
	{ "trace", 30 }, { "dataconv", 31 }, { "mobredir", 32 }, { "ipv6-where", 33 },
	{ "ipv6-here", 34 }, { "mobregreq", 35 }, { "mobregrep", 36 }, { "skip", 39 },
	{ "photuris", 40 },
};

static const struct name_num icmp6_types[] = {
	{ "unreach", 1 }, { "toobig", 2 }, { "timex", 3 }, { "paramprob", 4 },
	{ "echoreq", 128 }, { "echorep", 129 }, { "groupqry", 130 }, { "listqry", 130 },
	{ "grouprep", 131 }, { "listenrep", 131 }, { "groupterm", 132 },
	{ "listendone", 132 }, { "routersol", 133 }, { "routeradv", 134 },
	{ "neighbrsol", 135 }, { "neighbradv", 136 }, { "redir", 137 },
	{ "routrrenum", 138 }, { "wrureq", 139 }, { "wrurep", 140 }, { "fqdnreq", 139 },
	{ "fqdnrep", 140 }, { "niqry", 139 }, { "nirep", 140 }, { "mtraceresp", 200 },
	{ "mtrace", 201 },
};

/* Code names: type in the high byte of num, code in the low byte. */
#define TC(t, c) (((t) << 8) | (c))
static const struct name_num icmp_codes[] = {
	{ "net-unr", TC(3, 0) }, { "host-unr", TC(3, 1) }, { "proto-unr", TC(3, 2) },
	{ "port-unr", TC(3, 3) }, { "needfrag", TC(3, 4) }, { "srcfail", TC(3, 5) },
	{ "net-unk", TC(3, 6) }, { "host-unk", TC(3, 7) }, { "isolate", TC(3, 8) },
	{ "net-prohib", TC(3, 9) }, { "host-prohib", TC(3, 10) }, { "net-tos", TC(3, 11) },
	{ "host-tos", TC(3, 12) }, { "filter-prohib", TC(3, 13) },
	{ "host-preced", TC(3, 14) }, { "cutoff-preced", TC(3, 15) },
	{ "redir-net", TC(5, 0) }, { "redir-host", TC(5, 1) }, { "redir-tos-net", TC(5, 2) },
	{ "redir-tos-host", TC(5, 3) }, { "normal-adv", TC(9, 0) },
	{ "common-adv", TC(9, 16) }, { "transit", TC(11, 0) }, { "reassemb", TC(11, 1) },
	{ "badhead", TC(12, 0) }, { "optmiss", TC(12, 1) }, { "badlen", TC(12, 2) },
	{ "unknown-ind", TC(40, 1) }, { "auth-fail", TC(40, 2) },
	{ "decrypt-fail", TC(40, 3) },
};

static const struct name_num icmp6_codes[] = {
	{ "noroute-unr", TC(1, 0) }, { "admin-unr", TC(1, 1) }, { "beyond-unr", TC(1, 2) },
	{ "addr-unr", TC(1, 3) }, { "port-unr", TC(1, 4) }, { "transit", TC(3, 0) },
	{ "reassemb", TC(3, 1) }, { "badhead", TC(4, 0) }, { "nxthdr", TC(4, 1) },
	{ "redironlink", TC(137, 0) }, { "redirrouter", TC(137, 1) },
};
#undef TC

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
by_num(const struct name_num *t, size_t n, int num)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].num == num)
			return t[i].name;
	return NULL;
}

static int
by_name(const struct name_num *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].num;
	return -1;
}

const char *
rules_proto_name(uint8_t proto)
{
	return by_num(protos, NELEM(protos), proto);
}

int
rules_proto_lookup(const char *name)
{
	return by_name(protos, NELEM(protos), name);
}

int
rules_port_lookup(const char *name)
{
	return by_name(services, NELEM(services), name);
}

const char *
rules_icmp_type_name(uint8_t af, uint8_t type)
{
	return af == 6 ? by_num(icmp6_types, NELEM(icmp6_types), type) :
	       by_num(icmp_types, NELEM(icmp_types), type);
}

int
rules_icmp_type_lookup(uint8_t af, const char *name)
{
	return af == 6 ? by_name(icmp6_types, NELEM(icmp6_types), name) :
	       by_name(icmp_types, NELEM(icmp_types), name);
}

const char *
rules_icmp_code_name(uint8_t af, uint8_t type, uint8_t code)
{
	int num = (type << 8) | code;

	return af == 6 ? by_num(icmp6_codes, NELEM(icmp6_codes), num) :
	       by_num(icmp_codes, NELEM(icmp_codes), num);
}

int
rules_icmp_code_lookup(uint8_t af, uint8_t type, const char *name)
{
	int num = af == 6 ? by_name(icmp6_codes, NELEM(icmp6_codes), name) :
		  by_name(icmp_codes, NELEM(icmp_codes), name);

	if (num < 0 || (num >> 8) != type)
		return -1;
	return num & 0xff;
}

/* --- printing --- */

struct out {
	char *buf;
	size_t len, at;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->at < o->len ? o->buf + o->at : NULL, o->at < o->len ? o->len - o->at : 0,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		o->at += (size_t)n;
}

static void
put_prefix(struct out *o, const struct rule_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	if (p->plen == (p->af == 4 ? 32 : 128))
		put(o, "%s", a);
	else
		put(o, "%s/%u", a, p->plen);
}

static void
put_addr_item(struct out *o, const struct rule_addr_item *it)
{
	switch (it->kind) {
	case RULE_ADDR_PREFIX:
		put_prefix(o, &it->pfx);
		break;
	case RULE_ADDR_TABLE:
		put(o, "<%s>", it->name);
		break;
	case RULE_ADDR_IFACE:
		put(o, "%s", it->name);
		break;
	case RULE_ADDR_IFACE_NET:
		put(o, "%s:network", it->name);
		break;
	case RULE_ADDR_SELF:
		put(o, "self");
		break;
	}
}

PROTO_NAME_FN(rules_port_op_name, unsigned int, RULE_PORT_OP_LIST, RULE_PORT_OP_MAX);

static void
put_port(struct out *o, const struct rule_port *p)
{
	switch (p->op) {
	case RULE_PORT_EQ:
		put(o, "%u", p->a);
		break;
	case RULE_PORT_RANGE:
		put(o, "%u:%u", p->a, p->b);
		break;
	case RULE_PORT_IN:
	case RULE_PORT_OUT:
		put(o, "%u %s %u", p->a, rules_port_op_name(p->op), p->b);
		break;
	default:
		put(o, "%s %u", rules_port_op_name(p->op), p->a);
		break;
	}
}

static void
put_host(struct out *o, const char *kw, const struct rule_addr *a)
{
	put(o, " %s ", kw);
	if (a->neg)
		put(o, "! ");
	if (a->n_items == 0) {
		put(o, "any");
	} else if (a->n_items == 1) {
		put_addr_item(o, &a->items[0]);
	} else {
		put(o, "{");
		for (unsigned int i = 0; i < a->n_items; i++) {
			put(o, " ");
			put_addr_item(o, &a->items[i]);
		}
		put(o, " }");
	}
	if (a->n_ports == 1) {
		put(o, " port ");
		put_port(o, &a->ports[0]);
	} else if (a->n_ports > 1) {
		put(o, " port {");
		for (unsigned int i = 0; i < a->n_ports; i++) {
			put(o, i > 0 ? ", " : " ");
			put_port(o, &a->ports[i]);
		}
		put(o, " }");
	}
}

static void
put_flags(struct out *o, uint8_t f)
{
	static const char letters[] = "FSRPAUEW";

	for (unsigned int i = 0; i < 8; i++)
		if (f & (1u << i))
			put(o, "%c", letters[i]);
}

static void
put_icmp(struct out *o, uint8_t af, const struct rule_icmp *ic)
{
	const char *t = rules_icmp_type_name(af, ic->type);

	if (t != NULL)
		put(o, "%s", t);
	else
		put(o, "%u", ic->type);
	if (ic->code >= 0) {
		const char *c = rules_icmp_code_name(af, ic->type, (uint8_t)ic->code);

		if (c != NULL)
			put(o, " code %s", c);
		else
			put(o, " code %d", ic->code);
	}
}

static bool
has_tcp(const struct dpf_rule *r)
{
	return r->n_proto == 0 || memchr(r->proto, 6, r->n_proto) != NULL;
}

PROTO_NAME_FN(rules_block_name, unsigned int, RULE_BLOCK_LIST, RULE_BLOCK_MAX);

size_t
rules_print(const struct dpf_rule *r, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	bool opts;

	if (len > 0)
		buf[0] = '\0';
	put(&o, "%s", r->action == RULE_PASS ? "pass" : "block");
	if (r->action == RULE_BLOCK && r->block != RULE_BLOCK_DEFAULT)
		put(&o, " %s", rules_block_name(r->block));
	if (r->dir == RULE_DIR_IN)
		put(&o, " in");
	else if (r->dir == RULE_DIR_OUT)
		put(&o, " out");
	if (r->log)
		put(&o, r->log_all ? " log (all)" : " log");
	if (r->quick)
		put(&o, " quick");
	if (r->n_on == 1) {
		put(&o, " on %s", r->on[0]);
	} else if (r->n_on > 1) {
		put(&o, " on {");
		for (unsigned int i = 0; i < r->n_on; i++)
			put(&o, " %s", r->on[i]);
		put(&o, " }");
	}
	if (r->af_mask == RULE_AF_INET)
		put(&o, " inet");
	else if (r->af_mask == RULE_AF_INET6)
		put(&o, " inet6");
	if (r->n_proto > 0) {
		put(&o, r->n_proto > 1 ? " proto {" : " proto");
		for (unsigned int i = 0; i < r->n_proto; i++) {
			const char *n = rules_proto_name(r->proto[i]);

			if (n != NULL)
				put(&o, " %s", n);
			else
				put(&o, " %u", r->proto[i]);
		}
		if (r->n_proto > 1)
			put(&o, " }");
	}
	if (r->src.n_items == 0 && r->src.n_ports == 0 && !r->src.neg &&
	    r->dst.n_items == 0 && r->dst.n_ports == 0 && !r->dst.neg) {
		put(&o, " all");
	} else {
		put_host(&o, "from", &r->src);
		put_host(&o, "to", &r->dst);
	}
	if (r->flagset != 0 && has_tcp(r)) {
		put(&o, " flags ");
		put_flags(&o, r->flags);
		put(&o, "/");
		put_flags(&o, r->flagset);
	} else if (r->action == RULE_PASS && r->keep_state && has_tcp(r)) {
		put(&o, " flags any");
	}
	if (r->n_icmp > 0) {
		put(&o, r->icmp_af == 6 ? " icmp6-type " : " icmp-type ");
		if (r->n_icmp > 1)
			put(&o, "{");
		for (unsigned int i = 0; i < r->n_icmp; i++) {
			if (r->n_icmp > 1)
				put(&o, i > 0 ? ", " : " ");
			put_icmp(&o, r->icmp_af, &r->icmp[i]);
		}
		if (r->n_icmp > 1)
			put(&o, " }");
	}
	if (r->action == RULE_PASS && !r->keep_state)
		put(&o, " no state");
	else if (r->keep_state)
		put(&o, " keep state");
	opts = r->max_states != 0 || r->no_sync || r->sloppy;
	for (unsigned int i = 0; i < PFTM_MAX; i++)
		opts = opts || r->timeouts[i] != 0;
	if (opts) {
		const char *sep = "";

		put(&o, " (");
		if (r->max_states != 0) {
			put(&o, "max %u", r->max_states);
			sep = ", ";
		}
		if (r->no_sync) {
			put(&o, "%sno-sync", sep);
			sep = ", ";
		}
		if (r->sloppy) {
			put(&o, "%ssloppy", sep);
			sep = ", ";
		}
		for (unsigned int i = 0; i < PFTM_MAX; i++) {
			if (r->timeouts[i] != 0) {
				put(&o, "%s%s %u", sep, pftm_name(i), r->timeouts[i]);
				sep = ", ";
			}
		}
		put(&o, ")");
	}
	/* pfctl prints allow-opts after the state options, before the label. */
	if (r->allow_opts)
		put(&o, " allow-opts");
	if (r->label[0] != '\0')
		put(&o, " label \"%s\"", r->label);
	if (r->id_set)
		put(&o, " id %u", r->id);
	return o.at;
}
