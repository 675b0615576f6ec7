/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the rule parser (string and object forms).
 *
 * The string form is a subset of pf.conf(5)'s filter rule, in pf's order:
 *
 *   action [in|out] [log [(all)]] [quick] [on IFS] [inet|inet6] [proto PS]
 *          (all | [from HOST [port PORTS]] [to HOST [port PORTS]])
 *          { flags F/M | flags any | icmp-type T | icmp6-type T
 *          | keep state [(OPTS)] | no state | label "L" | id N }
 *
 * A small lexer turns the text into tokens with byte offsets; each grammar
 * piece has a function that consumes tokens and names the token it choked
 * on and what it expected.  The object form (docs/rules.md) reuses the same
 * element parsers on each JSON string, so both forms accept exactly the
 * same values, and one finishing step (finish_rule) applies pf's defaults
 * and consistency checks to both [OpenBSD pfctl parse.y pfrule, expand_rule,
 * rule_consistent].
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control/rules/rules.h"
#include "proto/pftm.h"
#include "proto/proto.h"

enum tok_type {
	T_END,
	T_WORD,		/* letters, digits and ".:/-_" */
	T_STR,		/* "..." (text without the quotes) */
	T_TABLE,	/* <name> (name without the brackets) */
	T_OP,		/* = != < <= > >= >< <> */
	T_PUNCT,	/* { } ( ) , ! */
};

struct tok {
	enum tok_type type;
	size_t off, len;	/* of the text (inside quotes/brackets for STR/TABLE) */
	size_t at;		/* offset of the token's first byte */
};

struct lex {
	const char *s;
	size_t pos;
	struct tok t;		/* the current token */
	struct rules_error *err;
	const struct rules_env *env;
	bool failed;
};

static int __attribute__((format(printf, 3, 4)))
fail_at(struct lex *l, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (l->failed)
		return -1;
	l->failed = true;
	l->err->offset = (int)at;
	va_start(ap, fmt);
	vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* "at "tok": expected WHAT" or "at end of rule: expected WHAT". */
static int
expected(struct lex *l, const char *what)
{
	const struct tok *t = &l->t;

	if (t->type == T_END)
		return fail_at(l, t->at, "at end of rule: expected %s", what);
	return fail_at(l, t->at, "at \"%.*s\": expected %s",
		       (int)(t->type == T_STR ? t->len + 2 : t->type == T_TABLE ? t->len + 2 :
			     t->len), l->s + t->at, what);
}

static bool
is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == ':' || c == '/' || c == '-' ||
	       c == '_';
}

static int
next(struct lex *l)
{
	const char *s = l->s;
	size_t p = l->pos;
	struct tok *t = &l->t;

	while (s[p] == ' ' || s[p] == '\t')
		p++;
	t->at = p;
	t->off = p;
	t->len = 1;
	if (s[p] == '\0') {
		t->type = T_END;
		t->len = 0;
	} else if (s[p] == '"') {
		const char *q = strchr(s + p + 1, '"');

		if (q == NULL)
			return fail_at(l, p, "unterminated string");
		t->type = T_STR;
		t->off = p + 1;
		t->len = (size_t)(q - (s + p + 1));
		p = (size_t)(q - s);
	} else if (strchr("{}(),", s[p]) != NULL) {
		t->type = T_PUNCT;
	} else if (s[p] == '!') {
		t->type = s[p + 1] == '=' ? T_OP : T_PUNCT;
		t->len = s[p + 1] == '=' ? 2 : 1;
	} else if (s[p] == '<' && (isalpha((unsigned char)s[p + 1]) || s[p + 1] == '_')) {
		size_t e = p + 1;

		while (isalnum((unsigned char)s[e]) || s[e] == '_')
			e++;
		if (s[e] != '>')
			return fail_at(l, p, "a table name is letters, digits and '_' in <>");
		t->type = T_TABLE;
		t->off = p + 1;
		t->len = e - p - 1;
		p = e;
	} else if (s[p] == '<' || s[p] == '>' || s[p] == '=') {
		t->type = T_OP;
		if ((s[p] == '<' && (s[p + 1] == '=' || s[p + 1] == '>')) ||
		    (s[p] == '>' && (s[p + 1] == '=' || s[p + 1] == '<')))
			t->len = 2;
	} else if (is_word_char(s[p])) {
		size_t e = p;

		while (is_word_char(s[e]))
			e++;
		t->type = T_WORD;
		t->len = e - p;
		p = e - 1;
	} else {
		return fail_at(l, p, "unexpected character '%c'", isprint((unsigned char)s[p]) ?
			       s[p] : '?');
	}
	if (t->type == T_PUNCT || t->type == T_OP)
		p += t->len - 1;
	l->pos = p + 1;
	return 0;
}

static bool
is(const struct lex *l, const char *w)
{
	return (l->t.type == T_WORD || l->t.type == T_PUNCT || l->t.type == T_OP) &&
	       strlen(w) == l->t.len && memcmp(l->s + l->t.off, w, l->t.len) == 0;
}

/* Consumes the word w if it is the current token. */
static bool
take(struct lex *l, const char *w, int *rc)
{
	if (!is(l, w))
		return false;
	*rc = next(l);
	return true;
}

static void
tok_copy(const struct lex *l, char *buf, size_t len)
{
	size_t n = l->t.len < len - 1 ? l->t.len : len - 1;

	memcpy(buf, l->s + l->t.off, n);
	buf[n] = '\0';
}

/* A decimal number 0..max of the current word token. */
static int
tok_number(const struct lex *l, uint64_t max, uint64_t *v)
{
	char buf[24];
	char *end;

	if (l->t.type != T_WORD || l->t.len >= sizeof(buf) ||
	    !isdigit((unsigned char)l->s[l->t.off]))
		return -1;
	tok_copy(l, buf, sizeof(buf));
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (*end != '\0' || errno != 0 || *v > max)
		return -1;
	return 0;
}

/*
 * A list: "ITEM" or "{ ITEM [,] ITEM ... }", each item parsed by fn.
 * Returns the number of items or -1.
 */
static int
parse_list(struct lex *l, int (*fn)(struct lex *, void *), void *arg, const char *what)
{
	int n = 0;

	if (!is(l, "{"))
		return fn(l, arg) < 0 ? -1 : 1;
	if (next(l) < 0)
		return -1;
	while (!is(l, "}")) {
		if (n > 0 && is(l, ",") && next(l) < 0)
			return -1;
		if (n >= RULE_MAX_LIST)
			return fail_at(l, l->t.at, "more than %d elements in a list", RULE_MAX_LIST);
		if (fn(l, arg) < 0) {
			if (!l->failed)
				expected(l, what);
			return -1;
		}
		n++;
	}
	if (n == 0)
		return expected(l, what);
	return next(l) < 0 ? -1 : n;
}

/* --- on --- */

static int
on_item(struct lex *l, void *arg)
{
	struct dpf_rule *r = arg;
	char name[RULE_NAME_MAX];
	void *p;

	if (l->t.type != T_WORD || l->t.len >= RULE_NAME_MAX)
		return expected(l, "an interface name");
	tok_copy(l, name, sizeof(name));
	for (unsigned int i = 0; i < l->env->n_ifaces; i++) {
		const struct rules_env_iface *ifc = &l->env->ifaces[i];

		if (strcmp(ifc->name, name) != 0)
			continue;
		if (ifc->index >= RULES_MAX_IFACES)
			return fail_at(l, l->t.at, "interface \"%s\" has index %u; rules can "
				       "name only the first %u interfaces", name, ifc->index,
				       RULES_MAX_IFACES);
		if (r->ifaces & (UINT64_C(1) << ifc->index))
			return fail_at(l, l->t.at, "interface \"%s\" is listed twice", name);
		r->ifaces |= UINT64_C(1) << ifc->index;
		p = realloc(r->on, (r->n_on + 1) * sizeof(*r->on));
		if (p == NULL)
			return fail_at(l, l->t.at, "out of memory");
		r->on = p;
		memcpy(r->on[r->n_on++], name, sizeof(name));
		return next(l);
	}
	return fail_at(l, l->t.at, "at \"%s\": no such interface", name);
}

/* --- proto --- */

static int
proto_item(struct lex *l, void *arg)
{
	struct dpf_rule *r = arg;
	char name[32];
	uint64_t v;
	int p;

	if (l->t.type != T_WORD)
		return expected(l, "a protocol name or number");
	tok_copy(l, name, sizeof(name));
	if (tok_number(l, 255, &v) == 0)
		p = (int)v;
	else if ((p = rules_proto_lookup(name)) < 0)
		return fail_at(l, l->t.at, "at \"%s\": unknown protocol (expected a name such as "
			       "tcp, udp, icmp, icmp6, or a number 0..255)", name);
	if (memchr(r->proto, p, r->n_proto) != NULL)
		return fail_at(l, l->t.at, "protocol \"%s\" is listed twice", name);
	if (r->n_proto >= RULE_MAX_PROTO)
		return fail_at(l, l->t.at, "more than %d protocols", RULE_MAX_PROTO);
	r->proto[r->n_proto++] = (uint8_t)p;
	return next(l);
}

/* --- hosts --- */

static int
push_pfx(struct lex *l, struct rule_addr *a, const struct rule_prefix *p)
{
	void *m;

	if ((a->n_pfx & (a->n_pfx - 1)) == 0 || a->n_pfx == 0) {
		m = realloc(a->pfx, (a->n_pfx ? a->n_pfx * 2 : 4) * sizeof(*a->pfx));
		if (m == NULL)
			return fail_at(l, l->t.at, "out of memory");
		a->pfx = m;
	}
	a->pfx[a->n_pfx++] = *p;
	return 0;
}

static uint8_t
af_bit(uint8_t af)
{
	return af == 4 ? RULE_AF_INET : RULE_AF_INET6;
}

/* Parses "198.18.0.0/15" or "2001:db8::1"; host bits must be zero. */
static int
parse_prefix(const char *s, struct rule_prefix *p, const char **why)
{
	char buf[64];
	char *slash;
	unsigned int max;

	*why = NULL;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->af = 4;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->af = 6;
	else
		return -1;
	max = p->af == 4 ? 32 : 128;
	p->plen = (uint8_t)max;
	if (slash != NULL) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || !isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    n > max) {
			*why = p->af == 4 ? "the prefix length must be 0..32" :
			       "the prefix length must be 0..128";
			return -1;
		}
		p->plen = (uint8_t)n;
	}
	for (unsigned int b = p->plen; b < max; b++) {
		if (p->addr[b / 8] & (0x80 >> (b % 8))) {
			*why = "host bits are set (write the network address)";
			return -1;
		}
	}
	return 0;
}

struct host_ctx {
	struct rule_addr *a;
	bool has_table;
	uint8_t lit_af;		/* afs of the literal elements */
};

static int
host_item(struct lex *l, void *arg)
{
	struct host_ctx *h = arg;
	struct rule_addr *a = h->a;
	struct rule_addr_item it;
	char word[80];
	void *m;

	memset(&it, 0, sizeof(it));
	if (is(l, "!"))
		return fail_at(l, l->t.at, "negate the whole set (\"! { ... }\"), not one "
			       "element: pf would match any address with a list of negations");
	if (l->t.type == T_TABLE) {
		if (l->t.len >= RULE_NAME_MAX)
			return fail_at(l, l->t.at, "table name too long");
		tok_copy(l, it.name, sizeof(it.name));
		it.kind = RULE_ADDR_TABLE;
		for (unsigned int i = 0; i < l->env->n_tables; i++) {
			const struct rules_env_table *tb = &l->env->tables[i];

			if (strcmp(tb->name, it.name) != 0)
				continue;
			for (unsigned int k = 0; k < tb->n; k++)
				if (push_pfx(l, a, &tb->pfx[k]) < 0)
					return -1;
			h->has_table = true;
			goto add;
		}
		return fail_at(l, l->t.at, "at \"<%s>\": no such table", it.name);
	}
	if (l->t.type != T_WORD || l->t.len >= sizeof(word))
		return expected(l, "an address, a prefix, a <table>, an interface, or self");
	tok_copy(l, word, sizeof(word));
	if (strcmp(word, "any") == 0 || strcmp(word, "all") == 0)
		return fail_at(l, l->t.at, "\"%s\" cannot be part of a set or negated", word);
	if (strcmp(word, "self") == 0) {
		it.kind = RULE_ADDR_SELF;
		for (unsigned int i = 0; i < l->env->n_ifaces; i++) {
			const struct rules_env_iface *ifc = &l->env->ifaces[i];

			for (unsigned int k = 0; k < ifc->n_addrs; k++) {
				struct rule_prefix p = ifc->addrs[k];

				p.plen = p.af == 4 ? 32 : 128;
				h->lit_af |= af_bit(p.af);
				if (push_pfx(l, a, &p) < 0)
					return -1;
			}
		}
		if (h->lit_af == 0)
			return fail_at(l, l->t.at, "at \"self\": no interface has an address");
		goto add;
	}
	{
		char *colon = strchr(word, ':');
		bool net = colon != NULL && strcmp(colon, ":network") == 0;

		if (net)
			*colon = '\0';
		for (unsigned int i = 0; i < l->env->n_ifaces; i++) {
			const struct rules_env_iface *ifc = &l->env->ifaces[i];

			if (strcmp(ifc->name, word) != 0)
				continue;
			if (strlen(word) >= RULE_NAME_MAX)
				break;
			strcpy(it.name, word);
			it.kind = net ? RULE_ADDR_IFACE_NET : RULE_ADDR_IFACE;
			if (ifc->n_addrs == 0)
				return fail_at(l, l->t.at, "at \"%s\": interface %s has no address",
					       word, word);
			for (unsigned int k = 0; k < ifc->n_addrs; k++) {
				struct rule_prefix p = ifc->addrs[k];
				unsigned int max = p.af == 4 ? 32 : 128;

				if (!net) {
					p.plen = (uint8_t)max;
				} else {
					for (unsigned int b = p.plen; b < max; b++)
						p.addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
				}
				h->lit_af |= af_bit(p.af);
				if (push_pfx(l, a, &p) < 0)
					return -1;
			}
			goto add;
		}
		if (net)
			return fail_at(l, l->t.at, "at \"%s:network\": no such interface", word);
	}
	{
		const char *why;

		if (parse_prefix(word, &it.pfx, &why) < 0) {
			if (why != NULL)
				return fail_at(l, l->t.at, "at \"%s\": %s", word, why);
			return fail_at(l, l->t.at, "at \"%s\": not an address, a prefix or an "
				       "interface (expected an address, a prefix, a <table>, an "
				       "interface, or self)", word);
		}
		it.kind = RULE_ADDR_PREFIX;
		h->lit_af |= af_bit(it.pfx.af);
		if (push_pfx(l, a, &it.pfx) < 0)
			return -1;
	}
add:
	m = realloc(a->items, (a->n_items + 1) * sizeof(*a->items));
	if (m == NULL)
		return fail_at(l, l->t.at, "out of memory");
	a->items = m;
	a->items[a->n_items++] = it;
	return next(l);
}

/* Port value: a number or a service name. */
static int
port_value(struct lex *l, const char *s, size_t at, uint16_t *v)
{
	char *end;
	unsigned long n;
	int p;

	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (*end != '\0' || errno != 0 || n > 65535)
			return fail_at(l, at, "at \"%s\": a port is 0..65535", s);
		*v = (uint16_t)n;
		return 0;
	}
	p = rules_port_lookup(s);
	if (p < 0)
		return fail_at(l, at, "at \"%s\": unknown service name (expected a port number "
			       "or a name such as ssh, domain, https)", s);
	*v = (uint16_t)p;
	return 0;
}

static int
port_item(struct lex *l, void *arg)
{
	struct rule_addr *a = arg;
	struct rule_port rp = { .op = RULE_PORT_EQ };
	char word[32];
	size_t at = l->t.at;
	void *m;

	if (l->t.type == T_OP) {
		bool found = false;

		for (unsigned int i = 0; i < RULE_PORT_OP_MAX; i++) {
			if (is(l, rules_port_op_name(i)) && i != RULE_PORT_IN && i != RULE_PORT_OUT) {
				rp.op = (uint8_t)i;
				found = true;
			}
		}
		if (!found)
			return expected(l, "a port, or one of = != < <= > >= before it");
		if (next(l) < 0)
			return -1;
		if (l->t.type != T_WORD)
			return expected(l, "a port number or service name");
	}
	if (l->t.type != T_WORD || l->t.len >= sizeof(word))
		return expected(l, "a port number or service name");
	tok_copy(l, word, sizeof(word));
	if (rp.op == RULE_PORT_EQ && strchr(word, ':') != NULL) {
		char *c = strchr(word, ':');

		*c = '\0';
		if (port_value(l, word, at, &rp.a) < 0 || port_value(l, c + 1, at, &rp.b) < 0)
			return -1;
		if (rp.a > rp.b)
			return fail_at(l, at, "at \"%s:%s\": the range is empty (start above end)",
				       word, c + 1);
		rp.op = RULE_PORT_RANGE;
	} else if (port_value(l, word, at, &rp.a) < 0) {
		return -1;
	}
	if (next(l) < 0)
		return -1;
	if (rp.op == RULE_PORT_EQ && (is(l, "><") || is(l, "<>"))) {
		rp.op = is(l, "><") ? RULE_PORT_IN : RULE_PORT_OUT;
		if (next(l) < 0)
			return -1;
		if (l->t.type != T_WORD || l->t.len >= sizeof(word))
			return expected(l, "a port number or service name");
		tok_copy(l, word, sizeof(word));
		if (port_value(l, word, l->t.at, &rp.b) < 0)
			return -1;
		if (rp.b < rp.a)
			return fail_at(l, l->t.at, "at \"%s\": the second port is below the first",
				       word);
		if (next(l) < 0)
			return -1;
	}
	if (a->n_ports >= RULE_MAX_LIST)
		return fail_at(l, at, "too many ports");
	m = realloc(a->ports, (a->n_ports + 1) * sizeof(*a->ports));
	if (m == NULL)
		return fail_at(l, at, "out of memory");
	a->ports = m;
	a->ports[a->n_ports++] = rp;
	return 0;
}

static int
parse_ports(struct lex *l, struct rule_addr *a)
{
	return parse_list(l, port_item, a, "a port") < 0 ? -1 : 0;
}

/* [! ] (any | ITEM | { ITEMS }) */
static int
parse_addrs(struct lex *l, struct rule_addr *a)
{
	struct host_ctx h = { .a = a };

	a->af_mask = RULE_AF_INET | RULE_AF_INET6;
	if (is(l, "!")) {
		a->neg = true;
		if (next(l) < 0)
			return -1;
	} else if (is(l, "any")) {
		return next(l);
	} else if (is(l, "port")) {
		return 0;	/* "to port 22": pf's ipportspec without an address */
	}
	if (parse_list(l, host_item, &h, "an address, a prefix, a <table>, an interface, "
		       "or self") < 0)
		return -1;
	if (!h.has_table)
		a->af_mask = h.lit_af;
	return 0;
}

static int
parse_host(struct lex *l, struct rule_addr *a, size_t *port_at)
{
	/* "to port 22": the address may be left out, meaning any [pf.conf(5)]. */
	if (is(l, "port"))
		a->af_mask = RULE_AF_INET | RULE_AF_INET6;
	else if (parse_addrs(l, a) < 0)
		return -1;
	if (is(l, "port")) {
		if (*port_at == 0)
			*port_at = l->t.at;
		if (next(l) < 0)
			return -1;
		return parse_ports(l, a);
	}
	return 0;
}

/* --- filter options --- */

static int
parse_flag_letters(struct lex *l, const char *s, size_t n, uint8_t *out)
{
	static const char letters[] = "FSRPAUEW";

	*out = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = s[i] != '\0' ? strchr(letters, s[i]) : NULL;

		if (c == NULL)
			return fail_at(l, l->t.at, "at \"%.*s\": flags are letters of FSRPAUEW "
				       "(e.g. S/SA) or \"any\"", (int)l->t.len, l->s + l->t.off);
		*out |= (uint8_t)(1u << (c - letters));
	}
	return 0;
}

static int
parse_flags(struct lex *l, struct dpf_rule *r, bool *flags_given)
{
	const char *s = l->s + l->t.off, *slash;

	*flags_given = true;
	if (is(l, "any")) {
		r->flags = r->flagset = 0;
		return next(l);
	}
	slash = l->t.type == T_WORD ? memchr(s, '/', l->t.len) : NULL;
	if (slash == NULL)
		return expected(l, "flags as F/M (e.g. S/SA) or \"any\"");
	if (parse_flag_letters(l, s, (size_t)(slash - s), &r->flags) < 0 ||
	    parse_flag_letters(l, slash + 1, l->t.len - (size_t)(slash + 1 - s), &r->flagset) < 0)
		return -1;
	if (r->flagset == 0)
		return fail_at(l, l->t.at, "at \"%.*s\": the mask after '/' is empty",
			       (int)l->t.len, s);
	if (r->flags & ~r->flagset)
		return fail_at(l, l->t.at, "at \"%.*s\": flags outside the mask never match",
			       (int)l->t.len, s);
	return next(l);
}

struct icmp_ctx {
	struct dpf_rule *r;
	uint8_t af;
};

static int
icmp_item(struct lex *l, void *arg)
{
	struct icmp_ctx *c = arg;
	struct dpf_rule *r = c->r;
	struct rule_icmp ic = { .code = -1 };
	char word[32];
	uint64_t v;
	int n;

	if (l->t.type != T_WORD || l->t.len >= sizeof(word))
		return expected(l, "an ICMP type name or number");
	tok_copy(l, word, sizeof(word));
	if (tok_number(l, 255, &v) == 0)
		ic.type = (uint8_t)v;
	else if ((n = rules_icmp_type_lookup(c->af, word)) >= 0)
		ic.type = (uint8_t)n;
	else
		return fail_at(l, l->t.at, "at \"%s\": unknown %s type", word,
			       c->af == 6 ? "icmp6" : "icmp");
	if (next(l) < 0)
		return -1;
	if (is(l, "code")) {
		if (next(l) < 0)
			return -1;
		if (l->t.type != T_WORD || l->t.len >= sizeof(word))
			return expected(l, "an ICMP code name or number");
		tok_copy(l, word, sizeof(word));
		if (tok_number(l, 255, &v) == 0)
			ic.code = (int16_t)v;
		else if ((n = rules_icmp_code_lookup(c->af, ic.type, word)) >= 0)
			ic.code = (int16_t)n;
		else
			return fail_at(l, l->t.at, "at \"%s\": unknown code for %s type %u", word,
				       c->af == 6 ? "icmp6" : "icmp", ic.type);
		if (next(l) < 0)
			return -1;
	}
	if (r->n_icmp >= RULE_MAX_ICMP)
		return fail_at(l, l->t.at, "more than %d icmp types", RULE_MAX_ICMP);
	r->icmp[r->n_icmp++] = ic;
	return 0;
}

static int
timeout_index(const char *name)
{
	for (int i = 0; i < PFTM_MAX; i++)
		if (strcmp(pftm_name((unsigned int)i), name) == 0)
			return i;
	return -1;
}

#define STATE_OPTS "max N, no-sync, sloppy, or a timeout such as tcp.established N"

/* One state option; `value` is the number's token for "max" and timeouts. */
static int
state_opt(struct lex *l, struct dpf_rule *r)
{
	char word[32];
	uint64_t v;
	int tm;

	if (l->t.type != T_WORD || l->t.len >= sizeof(word))
		return expected(l, STATE_OPTS);
	tok_copy(l, word, sizeof(word));
	if (strcmp(word, "no-sync") == 0) {
		r->no_sync = true;
		return next(l);
	}
	if (strcmp(word, "sloppy") == 0) {
		r->sloppy = true;
		return next(l);
	}
	tm = timeout_index(word);
	if (strcmp(word, "max") != 0 && tm < 0)
		return fail_at(l, l->t.at, "at \"%s\": unknown state option (expected "
			       STATE_OPTS ")", word);
	if (next(l) < 0)
		return -1;
	if (tok_number(l, UINT32_MAX, &v) < 0 || v == 0)
		return expected(l, "a number 1..4294967295");
	if (tm < 0)
		r->max_states = (uint32_t)v;
	else
		r->timeouts[tm] = (uint32_t)v;
	return next(l);
}

static int
parse_state_opts(struct lex *l, struct dpf_rule *r)
{
	if (next(l) < 0)	/* "(" */
		return -1;
	for (;;) {
		if (state_opt(l, r) < 0)
			return -1;
		if (is(l, ")"))
			return next(l);
		if (!is(l, ","))
			return expected(l, "\",\" or \")\"");
		if (next(l) < 0)
			return -1;
	}
}

/* What the option loop has seen, for pf's defaults in finish_rule(). */
struct seen {
	bool flags, state, icmp, label, id;
	size_t flags_at, icmp_at, state_at, port_at;
	bool src_ports, dst_ports;
};

static int
finish_rule(struct lex *l, struct dpf_rule *r, const struct seen *sn);

static int
parse_string_rule(struct lex *l, struct dpf_rule *r)
{
	struct seen sn = { 0 };
	int rc = 0;

	if (next(l) < 0)
		return -1;
	if (is(l, "pass")) {
		r->action = RULE_PASS;
	} else if (is(l, "block")) {
		r->action = RULE_BLOCK;
	} else {
		return expected(l, "\"pass\" or \"block\"");
	}
	if (next(l) < 0)
		return -1;
	if (r->action == RULE_BLOCK) {
		for (unsigned int i = 1; i < RULE_BLOCK_MAX; i++)
			if (take(l, rules_block_name(i), &rc))
				r->block = (uint8_t)i;
		if (rc < 0)
			return -1;
	}
	r->dir = RULE_DIR_BOTH;
	if (take(l, "in", &rc))
		r->dir = RULE_DIR_IN;
	else if (take(l, "out", &rc))
		r->dir = RULE_DIR_OUT;
	if (rc < 0)
		return -1;
	if (take(l, "log", &rc)) {
		if (rc < 0)
			return -1;
		r->log = true;
		if (take(l, "(", &rc)) {
			if (rc < 0 || !take(l, "all", &rc))
				return rc < 0 ? -1 : expected(l, "\"all\"");
			if (rc < 0 || !take(l, ")", &rc))
				return rc < 0 ? -1 : expected(l, "\")\"");
			r->log_all = true;
		}
	}
	if (rc < 0)
		return -1;
	if (take(l, "quick", &rc))
		r->quick = true;
	if (rc < 0)
		return -1;
	if (take(l, "on", &rc)) {
		if (rc < 0 || parse_list(l, on_item, r, "an interface name") < 0)
			return -1;
	}
	if (take(l, "inet", &rc))
		r->af = 4;
	else if (take(l, "inet6", &rc))
		r->af = 6;
	if (rc < 0)
		return -1;
	if (take(l, "proto", &rc)) {
		if (rc < 0 || parse_list(l, proto_item, r, "a protocol name or number") < 0)
			return -1;
	}
	r->src.af_mask = r->dst.af_mask = RULE_AF_INET | RULE_AF_INET6;
	if (take(l, "all", &rc)) {
		if (rc < 0)
			return -1;
	} else {
		if (take(l, "from", &rc)) {
			if (rc < 0 || parse_host(l, &r->src, &sn.port_at) < 0)
				return -1;
		}
		if (take(l, "to", &rc)) {
			if (rc < 0 || parse_host(l, &r->dst, &sn.port_at) < 0)
				return -1;
		}
	}
	while (l->t.type != T_END) {
		size_t at = l->t.at;

		if (is(l, "flags")) {
			if (sn.flags)
				return fail_at(l, at, "\"flags\" is given twice");
			sn.flags_at = at;
			if (next(l) < 0 || parse_flags(l, r, &sn.flags) < 0)
				return -1;
		} else if (is(l, "icmp-type") || is(l, "icmp6-type")) {
			struct icmp_ctx c = { r, is(l, "icmp6-type") ? 6 : 4 };

			if (sn.icmp)
				return fail_at(l, at, "icmp-type is given twice");
			sn.icmp = true;
			sn.icmp_at = at;
			r->icmp_af = c.af;
			if (next(l) < 0 || parse_list(l, icmp_item, &c, "an ICMP type") < 0)
				return -1;
		} else if (is(l, "keep") || is(l, "no")) {
			bool keep = is(l, "keep");

			if (sn.state)
				return fail_at(l, at, "the state option is given twice");
			sn.state = true;
			sn.state_at = at;
			if (next(l) < 0)
				return -1;
			if (!take(l, "state", &rc))
				return expected(l, "\"state\"");
			if (rc < 0)
				return -1;
			r->keep_state = keep;
			r->no_state_written = !keep;
			if (keep && is(l, "(") && parse_state_opts(l, r) < 0)
				return -1;
		} else if (is(l, "allow-opts")) {
			/* pf.conf(5): pass IPv4 packets with IP options. */
			if (r->allow_opts)
				return fail_at(l, at, "\"allow-opts\" is given twice");
			r->allow_opts = true;
			if (next(l) < 0)
				return -1;
		} else if (is(l, "label")) {
			if (sn.label)
				return fail_at(l, at, "\"label\" is given twice");
			sn.label = true;
			if (next(l) < 0)
				return -1;
			if (l->t.type != T_STR)
				return expected(l, "a quoted label");
			if (l->t.len >= RULE_LABEL_MAX)
				return fail_at(l, l->t.at, "a label is at most %d bytes",
					       RULE_LABEL_MAX - 1);
			tok_copy(l, r->label, sizeof(r->label));
			if (next(l) < 0)
				return -1;
		} else if (is(l, "id")) {
			uint64_t v;

			if (sn.id)
				return fail_at(l, at, "\"id\" is given twice");
			sn.id = true;
			if (next(l) < 0)
				return -1;
			if (tok_number(l, UINT32_MAX, &v) < 0 || v == 0)
				return expected(l, "an id 1..4294967295");
			r->id = (uint32_t)v;
			r->id_set = true;
			if (next(l) < 0)
				return -1;
		} else {
			return expected(l, "flags, icmp-type, icmp6-type, keep state, no state, "
					"allow-opts, label, id or the end of the rule");
		}
	}
	return finish_rule(l, r, &sn);
}

/*
 * pf's defaults and consistency checks, common to both forms
 * [OpenBSD pfctl parse.y: "flags S/SA" by default on stateful rules;
 * rule_consistent: ports only for tcp/udp, flags only for tcp].
 */
static int
finish_rule(struct lex *l, struct dpf_rule *r, const struct seen *sn)
{
	uint8_t afm = RULE_AF_INET | RULE_AF_INET6;
	bool only_tcp_udp = r->n_proto > 0;

	if (r->action == RULE_PASS && !sn->state)
		r->keep_state = true;
	if (r->action == RULE_BLOCK && r->keep_state)
		return fail_at(l, sn->state_at, "keep state on a block rule makes no sense");
	if (!sn->flags && r->action == RULE_PASS && r->keep_state) {
		r->flags = PF_TH_SYN;
		r->flagset = PF_TH_SYN | PF_TH_ACK;
	}
	if (sn->flags && r->flagset != 0 && r->n_proto > 0 && memchr(r->proto, 6, r->n_proto) == NULL)
		return fail_at(l, sn->flags_at, "flags only apply to tcp");
	for (unsigned int i = 0; i < r->n_proto; i++)
		if (r->proto[i] != 6 && r->proto[i] != 17)
			only_tcp_udp = false;
	if ((r->src.n_ports || r->dst.n_ports) && !only_tcp_udp)
		return fail_at(l, sn->port_at, "port only applies to tcp/udp (give \"proto tcp\", "
			       "\"proto udp\" or \"proto { tcp udp }\")");
	if (sn->icmp) {
		uint8_t want = r->icmp_af == 6 ? 58 : 1;

		if (r->n_proto != 1 || r->proto[0] != want)
			return fail_at(l, sn->icmp_at, "%s requires \"proto %s\"",
				       r->icmp_af == 6 ? "icmp6-type" : "icmp-type",
				       r->icmp_af == 6 ? "icmp6" : "icmp");
		afm = af_bit(r->icmp_af);
	}
	if (r->af != 0)
		afm &= af_bit(r->af);
	afm &= r->src.af_mask & r->dst.af_mask;
	if (afm == 0)
		return fail_at(l, 0, "no address family fits: the rule's family, its "
			       "addresses and its icmp type disagree");
	r->af_mask = afm;
	return 0;
}

void
rules_rule_clear(struct dpf_rule *r)
{
	free(r->on);
	free(r->src.items);
	free(r->src.pfx);
	free(r->src.ports);
	free(r->dst.items);
	free(r->dst.pfx);
	free(r->dst.ports);
	memset(r, 0, sizeof(*r));
}

int
rules_parse_string(const char *text, const struct rules_env *env, struct dpf_rule *r,
		   struct rules_error *err)
{
	struct lex l = { .s = text, .err = err, .env = env };

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	err->offset = -1;
	if (parse_string_rule(&l, r) < 0) {
		rules_rule_clear(r);
		return -1;
	}
	return 0;
}

/* --- object form --- */

/* Where in the object an error is, and the lexer over one string value. */
struct jctx {
	struct rules_error *err;
	const struct rules_env *env;
	char path[96];
	struct dpf_rule *r;
	struct seen sn;
};

static int __attribute__((format(printf, 3, 4)))
jfail(struct jctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->err->path, sizeof(c->err->path), "%s", path);
	c->err->offset = -1;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Runs an element parser on the string s as the whole input; a string
 * holding more than one element is an error.
 */
static int
jelem(struct jctx *c, const char *path, const char *s, int (*fn)(struct lex *, void *),
      void *arg)
{
	struct rules_error e = { .offset = -1 };
	struct lex l = { .s = s, .err = &e, .env = c->env };

	if (next(&l) < 0 || fn(&l, arg) < 0 || (l.t.type != T_END && expected(&l, "one value")))
		return jfail(c, path, "%s", e.msg);
	return 0;
}

/* A JSON scalar as the text the string grammar reads; NULL if not a scalar. */
static const char *
jtext(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* A value that is one scalar or an array of them; fn for each. */
static int
jlist(struct jctx *c, const char *key, const json_t *v, int (*fn)(struct lex *, void *),
      void *arg, const char *what)
{
	char buf[32], path[128];
	const char *s;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	if (json_is_array(v) && n == 0)
		return jfail(c, key, "expected %s or a non-empty array of them", what);
	if (n > RULE_MAX_LIST)
		return jfail(c, key, "more than %d elements", RULE_MAX_LIST);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;

		if (json_is_array(v))
			snprintf(path, sizeof(path), "%s[%zu]", key, i);
		else
			snprintf(path, sizeof(path), "%s", key);
		s = jtext(e, buf, sizeof(buf));
		if (s == NULL)
			return jfail(c, path, "expected %s", what);
		if (jelem(c, path, s, fn, arg) < 0)
			return -1;
	}
	return 0;
}

static int
jstring(struct jctx *c, const char *key, const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return jfail(c, key, "expected a string");
	*out = json_string_value(v);
	return 0;
}

/* A word a JSON key may take, and what it stands for. */
struct jword {
	const char *word;
	uint8_t val;
};

/*
 * The string v at key must be one of the n words: *out gets its value, or
 * this fails with `expected "w1", "w2" or "w3", got "s"`.
 */
static int
jword(struct jctx *c, const char *key, const json_t *v, const struct jword *words,
      unsigned int n, uint8_t *out)
{
	const char *s = NULL;
	char list[128];
	size_t at = 0;

	if (jstring(c, key, v, &s) < 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].val;
			return 0;
		}
	}
	for (unsigned int i = 0; i < n && at < sizeof(list); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s\"%s\"",
				       i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i].word);
	return jfail(c, key, "expected %s, got \"%s\"", list, s);
}

static int
jbool(struct jctx *c, const char *key, const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return jfail(c, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int
ports_fn(struct lex *l, void *arg)
{
	return port_item(l, arg);
}

static int
jhost(struct jctx *c, const char *key, const json_t *v, struct rule_addr *a)
{
	static const char *const known[] = { "address", "not", "port" };
	struct host_ctx h = { .a = a };
	const char *k;
	json_t *m;
	char path[64];

	a->af_mask = RULE_AF_INET | RULE_AF_INET6;
	if (!json_is_object(v))
		return jfail(c, key, "expected an object {\"address\", \"not\", \"port\"}");
	json_object_foreach((json_t *)v, k, m) {
		bool ok = false;

		for (size_t i = 0; i < 3; i++)
			ok = ok || strcmp(k, known[i]) == 0;
		snprintf(path, sizeof(path), "%s.%s", key, k);
		if (!ok)
			return jfail(c, path, "unknown key \"%s\" (known: address, not, port)", k);
	}
	m = json_object_get(v, "not");
	snprintf(path, sizeof(path), "%s.not", key);
	if (m != NULL && jbool(c, path, m, &a->neg) < 0)
		return -1;
	m = json_object_get(v, "address");
	snprintf(path, sizeof(path), "%s.address", key);
	if (m == NULL || (json_is_string(m) && strcmp(json_string_value(m), "any") == 0)) {
		if (a->neg)
			return jfail(c, path, "\"not\" needs an address other than \"any\"");
	} else {
		if (jlist(c, path, m, host_item, &h, "an address, a prefix, a <table>, an "
			  "interface, or self") < 0)
			return -1;
		if (!h.has_table)
			a->af_mask = h.lit_af;
	}
	m = json_object_get(v, "port");
	snprintf(path, sizeof(path), "%s.port", key);
	if (m != NULL) {
		if (jlist(c, path, m, ports_fn, a, "a port (22, \"ssh\", \">= 1024\", "
			  "\"1000:2000\")") < 0)
			return -1;
		if (c->path[0] == '\0')
			snprintf(c->path, sizeof(c->path), "%s", path);
	}
	return 0;
}

static int
on_fn(struct lex *l, void *arg)
{
	return on_item(l, arg);
}

static int
proto_fn(struct lex *l, void *arg)
{
	return proto_item(l, arg);
}

static int
icmp_fn(struct lex *l, void *arg)
{
	return icmp_item(l, arg);
}

static int
flags_fn(struct lex *l, void *arg)
{
	bool given;

	return parse_flags(l, arg, &given);
}

static int
state_opt_fn(struct lex *l, void *arg)
{
	return state_opt(l, arg);
}

#define RULE_KEYS "action, block_policy, direction, log, quick, on, af, proto, from, to, " \
	"flags, icmp_type, icmp6_type, state, state_options, allow_opts, label, id"

static int
jrule(struct jctx *c, const json_t *o)
{
	struct dpf_rule *r = c->r;
	static const char *const keys[] = {
		"action", "block_policy", "direction", "log", "quick", "on", "af", "proto",
		"from", "to", "flags", "icmp_type", "icmp6_type", "state", "state_options",
		"allow_opts", "label", "id",
	};
	static const struct jword actions[] = { { "pass", RULE_PASS }, { "block", RULE_BLOCK } };
	static const struct jword dirs[] = {
		{ "in", RULE_DIR_IN }, { "out", RULE_DIR_OUT }, { "both", RULE_DIR_BOTH },
	};
	static const struct jword afs[] = { { "inet", 4 }, { "inet6", 6 } };
	static const struct jword states[] = { { "keep", 1 }, { "no", 0 } };
	const char *k, *s = NULL;
	json_t *v;

	if (!json_is_object(o))
		return jfail(c, "", "expected an object");
	json_object_foreach((json_t *)o, k, v) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			ok = ok || strcmp(k, keys[i]) == 0;
		if (!ok)
			return jfail(c, k, "unknown key \"%s\" (known: " RULE_KEYS ")", k);
	}
	v = json_object_get(o, "action");
	if (v == NULL)
		return jfail(c, "", "a rule needs \"action\": \"pass\" or \"block\"");
	if (jword(c, "action", v, actions, PROTO_ARRAY_SIZE(actions), &r->action) < 0)
		return -1;
	if ((v = json_object_get(o, "block_policy")) != NULL) {
		if (jstring(c, "block_policy", v, &s) < 0)
			return -1;
		if (r->action != RULE_BLOCK)
			return jfail(c, "block_policy", "only a block rule has a block policy");
		for (unsigned int i = 1; i < RULE_BLOCK_MAX; i++)
			if (strcmp(s, rules_block_name(i)) == 0)
				r->block = (uint8_t)i;
		if (r->block == RULE_BLOCK_DEFAULT)
			return jfail(c, "block_policy", "expected \"drop\", \"return\", "
				     "\"return-rst\" or \"return-icmp\", got \"%s\"", s);
	}
	r->dir = RULE_DIR_BOTH;
	if ((v = json_object_get(o, "direction")) != NULL &&
	    jword(c, "direction", v, dirs, PROTO_ARRAY_SIZE(dirs), &r->dir) < 0)
		return -1;
	if ((v = json_object_get(o, "log")) != NULL) {
		if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0)
			r->log = r->log_all = true;
		else if (!json_is_boolean(v))
			return jfail(c, "log", "expected true, false or \"all\"");
		else
			r->log = json_is_true(v);
	}
	if ((v = json_object_get(o, "quick")) != NULL && jbool(c, "quick", v, &r->quick) < 0)
		return -1;
	if ((v = json_object_get(o, "on")) != NULL &&
	    jlist(c, "on", v, on_fn, r, "an interface name") < 0)
		return -1;
	if ((v = json_object_get(o, "af")) != NULL &&
	    jword(c, "af", v, afs, PROTO_ARRAY_SIZE(afs), &r->af) < 0)
		return -1;
	if ((v = json_object_get(o, "proto")) != NULL &&
	    jlist(c, "proto", v, proto_fn, r, "a protocol name or number") < 0)
		return -1;
	r->src.af_mask = r->dst.af_mask = RULE_AF_INET | RULE_AF_INET6;
	if ((v = json_object_get(o, "from")) != NULL && jhost(c, "from", v, &r->src) < 0)
		return -1;
	if ((v = json_object_get(o, "to")) != NULL && jhost(c, "to", v, &r->dst) < 0)
		return -1;
	if ((v = json_object_get(o, "flags")) != NULL) {
		c->sn.flags = true;
		if (jstring(c, "flags", v, &s) < 0 || jelem(c, "flags", s, flags_fn, r) < 0)
			return -1;
	}
	if (json_object_get(o, "icmp_type") != NULL && json_object_get(o, "icmp6_type") != NULL)
		return jfail(c, "icmp6_type", "give icmp_type or icmp6_type, not both");
	for (int six = 0; six < 2; six++) {
		const char *key = six ? "icmp6_type" : "icmp_type";
		struct icmp_ctx ic = { r, six ? 6 : 4 };

		if ((v = json_object_get(o, key)) == NULL)
			continue;
		c->sn.icmp = true;
		r->icmp_af = ic.af;
		if (jlist(c, key, v, icmp_fn, &ic, "an ICMP type (\"echoreq\", 8, "
			  "\"unreach code port-unr\")") < 0)
			return -1;
	}
	if ((v = json_object_get(o, "state")) != NULL) {
		uint8_t keep;

		if (jword(c, "state", v, states, PROTO_ARRAY_SIZE(states), &keep) < 0)
			return -1;
		c->sn.state = true;
		if (keep)
			r->keep_state = true;
		else
			r->no_state_written = true;
	}
	if ((v = json_object_get(o, "state_options")) != NULL) {
		char text[64], path[96];
		json_t *m;

		if (!json_is_object(v))
			return jfail(c, "state_options", "expected an object such as {\"max\": "
				     "100, \"no-sync\": true}");
		if (!r->keep_state && (c->sn.state || r->action == RULE_BLOCK))
			return jfail(c, "state_options", "state options need \"state\": \"keep\"");
		json_object_foreach(v, k, m) {
			snprintf(path, sizeof(path), "state_options.%s", k);
			if (strcmp(k, "no-sync") == 0 || strcmp(k, "sloppy") == 0) {
				bool b = false;

				if (jbool(c, path, m, &b) < 0)
					return -1;
				if (!b)
					continue;
				snprintf(text, sizeof(text), "%s", k);
			} else if (json_is_integer(m)) {
				snprintf(text, sizeof(text), "%.40s %" JSON_INTEGER_FORMAT, k,
					 json_integer_value(m));
			} else {
				snprintf(text, sizeof(text), "%.40s", k);
				if (strcmp(k, "max") == 0 || timeout_index(k) >= 0)
					return jfail(c, path, "expected a number");
			}
			if (jelem(c, path, text, state_opt_fn, r) < 0)
				return -1;
		}
	}
	if ((v = json_object_get(o, "allow_opts")) != NULL &&
	    jbool(c, "allow_opts", v, &r->allow_opts) < 0)
		return -1;
	if ((v = json_object_get(o, "label")) != NULL) {
		if (jstring(c, "label", v, &s) < 0)
			return -1;
		if (strlen(s) >= RULE_LABEL_MAX || strchr(s, '"') != NULL)
			return jfail(c, "label", "a label is at most %d bytes, without '\"'",
				     RULE_LABEL_MAX - 1);
		strcpy(r->label, s);
	}
	if ((v = json_object_get(o, "id")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > UINT32_MAX)
			return jfail(c, "id", "expected an id 1..4294967295");
		r->id = (uint32_t)json_integer_value(v);
		r->id_set = true;
	}
	return 0;
}

int
rules_parse_json(const json_t *obj, const struct rules_env *env, struct dpf_rule *r,
		 struct rules_error *err)
{
	struct jctx c = { .err = err, .env = env, .r = r };
	struct lex l = { .s = "", .err = err, .env = env };

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	err->offset = -1;
	if (jrule(&c, obj) < 0)
		goto fail;
	/* finish_rule's errors name the key they are about. */
	if (finish_rule(&l, r, &c.sn) < 0) {
		const char *key = "";

		if (strstr(err->msg, "keep state") != NULL)
			key = "state";
		else if (strstr(err->msg, "flags only") != NULL)
			key = "flags";
		else if (strstr(err->msg, "port only") != NULL)
			key = c.path;
		else if (strstr(err->msg, "requires") != NULL)
			key = r->icmp_af == 6 ? "icmp6_type" : "icmp_type";
		snprintf(err->path, sizeof(err->path), "%s", key);
		err->offset = -1;
		goto fail;
	}
	return 0;
fail:
	rules_rule_clear(r);
	return -1;
}
