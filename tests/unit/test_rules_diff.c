/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test: the rte_acl classifier (dataplane/rules_acl.c) against
 * the linear reference evaluator (dataplane/rules_ref.c).
 *
 * Random rulesets (quick and not, in/out/both, interface sets, inet/inet6/
 * any, protocol lists, negated address sets, tables, self, interface
 * networks, every port operator, flags, icmp types) are written as rule
 * text, parsed, and compiled; packets are drawn mostly from the edges of
 * what the rules name (first and last address of every prefix and the
 * addresses next to them, every port bound and its neighbours), the rest at
 * random.  Every packet is classified singly and in bulk; all three answers
 * must agree.
 *
 * The seed is fixed by default (DEFAULT_SEED), so that a run, and a
 * failure, is the same on every machine; DPF_RULES_SEED=N runs seed N,
 * DPF_RULES_SEED=random draws one.  The seed is always printed.
 * DPF_RULES_CASES=N changes the number of (ruleset, packet) cases (default
 * 12,800).  A disagreement prints the ruleset, the packet and both answers.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "control/rules/rules.h"
#include "dataplane/rules_acl.h"
#include "tests/unit/splitmix.h"

#define N_IFACES 6
#define PKTS_PER_SET 256	/* 4 bulk calls of 64: IPv4, IPv6, IPv4, IPv6 */
#define MAX_RULES 40
#define DEFAULT_SEED 1

static uint64_t rng;
static uint64_t seed;
static unsigned long cases = 12800;

static uint64_t
rnd(void)
{
	return splitmix64(&rng);
}

static unsigned int
rn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* --- environment: 6 interfaces, 3 tables (one empty) --- */

static struct rule_prefix if_addrs[N_IFACES][2];
static struct rules_env_iface ifaces[N_IFACES];
static char if_names[N_IFACES][8];
static struct rule_prefix tbl_pfx[2][6];
static struct rules_env_table tables[3];
static struct rules_env env;

static void
mkpfx(struct rule_prefix *p, uint8_t af, unsigned int plen)
{
	unsigned int max = af == 4 ? 32 : 128;

	assert_true(plen <= max);
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->plen = (uint8_t)plen;
	/* A small corner of the space, so that prefixes overlap and packets hit. */
	if (af == 4) {
		p->addr[0] = rn(4) == 0 ? 192 : 10;
		p->addr[1] = (uint8_t)rn(3);
		p->addr[2] = (uint8_t)rn(4);
		p->addr[3] = (uint8_t)rnd();
		if (rn(8) == 0) {
			p->addr[0] = (uint8_t)rnd();
			p->addr[1] = (uint8_t)rnd();
		}
	} else {
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[5] = (uint8_t)rn(3);
		p->addr[15] = (uint8_t)rnd();
		p->addr[7] = (uint8_t)rn(2);
		if (rn(8) == 0)
			p->addr[0] = (uint8_t)rnd();
		if (rn(4) == 0)
			p->addr[9] = (uint8_t)rnd();
	}
	for (unsigned int b = plen; b < max; b++)
		p->addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
}

static unsigned int
rplen(uint8_t af)
{
	static const unsigned int l4[] = { 0, 1, 8, 15, 16, 23, 24, 25, 30, 31, 32, 32 };
	static const unsigned int l6[] = { 0, 1, 31, 32, 40, 47, 48, 63, 64, 65, 127, 128, 128 };

	return af == 4 ? l4[rn(sizeof(l4) / sizeof(l4[0]))] : l6[rn(sizeof(l6) / sizeof(l6[0]))];
}

static void
env_init(void)
{
	for (unsigned int i = 0; i < N_IFACES; i++) {
		snprintf(if_names[i], sizeof(if_names[i]), "if%u", i);
		mkpfx(&if_addrs[i][0], 4, 24);
		if_addrs[i][0].addr[3] = (uint8_t)(1 + i);
		if_addrs[i][0].plen = 24;
		mkpfx(&if_addrs[i][1], 6, 64);
		if_addrs[i][1].addr[15] = (uint8_t)(1 + i);
		ifaces[i] = (struct rules_env_iface){ if_names[i], i, i == 3 ? 1 : 2, if_addrs[i] };
	}
	for (unsigned int t = 0; t < 2; t++) {
		for (unsigned int k = 0; k < 6; k++) {
			uint8_t af = k % 3 == 2 ? 6 : 4;

			unsigned int l = rplen(af), min = af == 4 ? 8 : 32;

			mkpfx(&tbl_pfx[t][k], af, l < min ? min : l);
		}
		tables[t] = (struct rules_env_table){ t == 0 ? "t0" : "t1", t == 0 ? 6 : 3,
						      tbl_pfx[t] };
	}
	tables[2] = (struct rules_env_table){ "empty", 0, NULL };
	env = (struct rules_env){ N_IFACES, ifaces, 3, tables };
}

/* --- random rule text --- */

struct sb {
	char buf[4096];
	size_t at;
};

static void __attribute__((format(printf, 2, 3)))
add(struct sb *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	b->at += (size_t)vsnprintf(b->buf + b->at, sizeof(b->buf) - b->at, fmt, ap);
	va_end(ap);
}

static void
add_prefix(struct sb *b, uint8_t af)
{
	struct rule_prefix p;
	char a[64];

	mkpfx(&p, af, rplen(af));
	inet_ntop(af == 4 ? AF_INET : AF_INET6, p.addr, a, sizeof(a));
	add(b, " %s/%u", a, p.plen);
}

/* af: 4, 6 or 0 (either). */
static void
add_addr_item(struct sb *b, uint8_t af)
{
	uint8_t a = af != 0 ? af : (rn(2) ? 4 : 6);

	switch (rn(8)) {
	case 0:
		add(b, " <%s>", tables[rn(3)].name);
		break;
	case 1:
		add(b, " self");
		break;
	case 2:
		add(b, " if%u%s", rn(N_IFACES), rn(2) ? ":network" : "");
		break;
	default:
		add_prefix(b, a);
		break;
	}
}

static void
add_host(struct sb *b, uint8_t af)
{
	unsigned int n;

	if (rn(3) == 0) {
		add(b, " any");
		return;
	}
	if (rn(3) == 0)
		add(b, " !");
	n = rn(4) == 0 ? 2 + rn(4) : 1;
	if (n > 1)
		add(b, " {");
	for (unsigned int i = 0; i < n; i++)
		add_addr_item(b, af);
	if (n > 1)
		add(b, " }");
}

static void
add_port_item(struct sb *b)
{
	static const char *const ops[] = { "", "=", "!=", "<", "<=", ">", ">=" };
	static const uint16_t edge[] = { 0, 1, 22, 53, 80, 1023, 1024, 65534, 65535 };
	uint16_t a = rn(2) ? edge[rn(9)] : (uint16_t)rn(2000);
	uint16_t c = (uint16_t)(a + rn(300));

	if (c < a)
		c = 65535;
	switch (rn(4)) {
	case 0:
		add(b, " %u:%u", a, c);
		break;
	case 1:
		add(b, " %u %s %u", a, rn(2) ? "><" : "<>", c);
		break;
	default:
		add(b, " %s %u", ops[rn(7)], a);
		break;
	}
}

static void
add_ports(struct sb *b)
{
	unsigned int n = rn(3) == 0 ? 2 + rn(3) : 1;

	add(b, " port");
	if (n > 1)
		add(b, " {");
	for (unsigned int i = 0; i < n; i++)
		add_port_item(b);
	if (n > 1)
		add(b, " }");
}

static void
gen_rule(struct sb *b)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", "ipv6-icmp", "gre", "esp" };
	static const char *const flagsets[] = { "S/SA", "S/S", "/SA", "SA/SA", "F/FSRA",
						"any", "A/A", "S/FSRPAUEW" };
	uint8_t af = 0;
	bool tcpudp = false, icmp = false, has_tcp = true;

	b->at = 0;
	add(b, rn(2) ? "pass" : "block");
	switch (rn(3)) {
	case 0:
		add(b, " in");
		break;
	case 1:
		add(b, " out");
		break;
	}
	if (rn(5) == 0)
		add(b, " log");
	if (rn(4) == 0)
		add(b, " quick");
	if (rn(2)) {
		unsigned int n = 1 + rn(3), first = rn(N_IFACES);

		if (n > 1)
			add(b, " on {");
		else
			add(b, " on");
		for (unsigned int i = 0; i < n && first + i < N_IFACES; i++)
			add(b, " if%u", (first + i * (1 + rn(2))) % N_IFACES);
		if (n > 1)
			add(b, " }");
	}
	switch (rn(4)) {
	case 0:
		af = 4;
		add(b, " inet");
		break;
	case 1:
		af = 6;
		add(b, " inet6");
		break;
	}
	switch (rn(6)) {
	case 0:
	case 1:
		add(b, " proto %s", rn(2) ? "tcp" : "udp");
		tcpudp = true;
		has_tcp = strstr(b->buf, "proto tcp") != NULL;
		break;
	case 2:
		add(b, " proto { tcp udp }");
		tcpudp = true;
		break;
	case 3:
		if (af == 6 || (af == 0 && rn(2))) {
			add(b, " proto ipv6-icmp");
			af = 6;
		} else {
			add(b, " proto icmp");
			af = 4;
		}
		icmp = rn(2);
		has_tcp = false;
		break;
	case 4: {
		unsigned int a = rn(6), c = rn(6);

		add(b, " proto { %s %s%s }", protos[a], a == c ? "" : protos[c],
		    a == c ? "sctp" : "");
		has_tcp = a == 0 || c == 0;
		break;
	}
	default:
		break;
	}
	if (rn(5) == 0) {
		add(b, " all");
	} else {
		if (rn(4)) {
			add(b, " from");
			add_host(b, af);
			if (tcpudp && rn(3) == 0)
				add_ports(b);
		}
		if (rn(4)) {
			add(b, " to");
			add_host(b, af);
			if (tcpudp && rn(2))
				add_ports(b);
		}
	}
	if (has_tcp && rn(3) == 0)
		add(b, " flags %s", flagsets[rn(8)]);
	if (icmp) {
		bool six = strstr(b->buf, "ipv6-icmp") != NULL;

		add(b, six ? " icmp6-type" : " icmp-type");
		if (rn(2))
			add(b, " { %s %u }", six ? "echoreq" : "unreach", rn(4));
		else
			add(b, " %s code %u", six ? "unreach" : "unreach", rn(5));
	}
	if (strncmp(b->buf, "pass", 4) == 0 && rn(3) == 0)
		add(b, " no state");
}

/* --- packets at the edges --- */

struct edges {
	unsigned int n4, n6, np;
	uint8_t a4[4096][4];
	uint8_t a6[4096][16];
	uint16_t ports[4096];
};

static void
edge_addr(struct edges *e, const struct rule_prefix *p)
{
	unsigned int W = p->af == 4 ? 32 : 128;
	uint8_t lo[16], hi[16];

	memcpy(lo, p->addr, 16);
	memcpy(hi, p->addr, 16);
	for (unsigned int b = p->plen; b < W; b++)
		hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (int k = 0; k < 4; k++) {
		uint8_t a[16];
		int delta = k == 0 ? 0 : k == 1 ? -1 : 0;

		memcpy(a, k < 2 ? lo : hi, 16);
		if (k == 3)
			delta = 1;
		/* a += delta, with carry/borrow over W bits */
		for (int i = (int)W / 8 - 1; i >= 0 && delta != 0; i--) {
			int v = a[i] + delta;

			a[i] = (uint8_t)v;
			delta = v < 0 ? -1 : v > 255 ? 1 : 0;
		}
		if (p->af == 4 && e->n4 < 4096)
			memcpy(e->a4[e->n4++], a, 4);
		else if (p->af == 6 && e->n6 < 4096)
			memcpy(e->a6[e->n6++], a, 16);
	}
}

static void
edge_port(struct edges *e, unsigned int v)
{
	for (int d = -1; d <= 1; d++) {
		int p = (int)v + d;

		if (p >= 0 && p <= 65535 && e->np < 4096)
			e->ports[e->np++] = (uint16_t)p;
	}
}

static void
collect(struct edges *e, const struct dpf_ruleset *rs)
{
	e->n4 = e->n6 = e->np = 0;
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct dpf_rule *r = &rs->rules[i];
		const struct rule_addr *as[2] = { &r->src, &r->dst };

		for (int s = 0; s < 2; s++) {
			for (unsigned int k = 0; k < as[s]->n_pfx; k++)
				edge_addr(e, &as[s]->pfx[k]);
			for (unsigned int k = 0; k < as[s]->n_ports; k++) {
				edge_port(e, as[s]->ports[k].a);
				edge_port(e, as[s]->ports[k].b);
			}
		}
		for (unsigned int k = 0; k < r->n_icmp; k++) {
			edge_port(e, r->icmp[k].type);
			if (r->icmp[k].code >= 0)
				edge_port(e, (unsigned int)r->icmp[k].code);
		}
	}
}

static void
rand_addr(struct rule_pkt *p, const struct edges *e, uint8_t *dst)
{
	if (p->af == 4) {
		if (e->n4 > 0 && rn(4) != 0) {
			memcpy(dst, e->a4[rn(e->n4)], 4);
		} else {
			struct rule_prefix q;

			mkpfx(&q, 4, 32);
			memcpy(dst, q.addr, 4);
		}
	} else {
		if (e->n6 > 0 && rn(4) != 0) {
			memcpy(dst, e->a6[rn(e->n6)], 16);
		} else {
			struct rule_prefix q;

			mkpfx(&q, 6, 128);
			memcpy(dst, q.addr, 16);
		}
	}
}

static void
gen_pkt(struct rule_pkt *p, const struct edges *e, uint8_t af)
{
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 1, 58, 47, 50, 132 };
	static const uint8_t flags[] = { PF_TH_SYN, PF_TH_SYN | PF_TH_ACK, PF_TH_ACK,
					 PF_TH_FIN | PF_TH_ACK, 0, PF_TH_RST };

	memset(p, 0, sizeof(*p));
	p->af = af;
	p->proto = protos[rn(sizeof(protos))];
	p->dir = rn(2) ? RULE_DIR_IN : RULE_DIR_OUT;
	p->iface = (uint16_t)(rn(8) == 0 ? rn(64) : rn(N_IFACES));
	rand_addr(p, e, p->src);
	rand_addr(p, e, p->dst);
	p->sport = e->np > 0 && rn(3) ? e->ports[rn(e->np)] : (uint16_t)rnd();
	p->dport = e->np > 0 && rn(3) ? e->ports[rn(e->np)] : (uint16_t)rn(2000);
	if (p->proto == 1 || p->proto == 58) {
		p->sport = (uint16_t)(rn(2) ? rn(5) : 128 + rn(3));
		p->dport = (uint16_t)rn(6);
	}
	p->tcp_flags = rn(4) ? flags[rn(sizeof(flags))] : (uint8_t)rnd();
}

static void
dump_case(const struct dpf_ruleset *rs, const struct rule_pkt *p, int ref, int acl,
	  const char *how)
{
	char s[64], d[64], line[2048];

	print_error("DISAGREEMENT (%s): reference says %d, rte_acl says %d\n", how, ref, acl);
	for (unsigned int i = 0; i < rs->n; i++) {
		rules_print(&rs->rules[i], line, sizeof(line));
		print_error("  @%u %s\n", i, line);
	}
	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->src, s, sizeof(s));
	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->dst, d, sizeof(d));
	print_error("  packet: %s on iface %u, proto %u, %s port %u -> %s port %u, tcp flags "
		    "0x%02x\n", p->dir == RULE_DIR_IN ? "in" : "out", p->iface, p->proto, s,
		    p->sport, d, p->dport, p->tcp_flags);
	for (unsigned int t = 0; t < 3; t++) {
		print_error("  table <%s>:", tables[t].name);
		for (unsigned int k = 0; k < tables[t].n; k++) {
			const struct rule_prefix *q = &tables[t].pfx[k];

			inet_ntop(q->af == 4 ? AF_INET : AF_INET6, q->addr, s, sizeof(s));
			print_error(" %s/%u", s, q->plen);
		}
		print_error("\n");
	}
	print_error("  interface ifN: 10.x.y.(N+1)/24 and 2001:db8:...:(N+1)/64 (if3: IPv4 only)\n");
	print_error("  default %s; DPF_RULES_SEED=%" PRIu64 " repeats this run\n",
		    rs->default_pass ? "pass" : "block", seed);
}


static void
test_differential(void **state)
{
	struct rule_pkt pk[PKTS_PER_SET];
	const struct rule_pkt *pp[RULES_ACL_BULK_MAX];
	static struct edges e;
	unsigned long done = 0, sets = 0, skipped = 0, matched = 0, refused = 0;
	char msg[512];

	(void)state;
	while (done < cases) {
		struct dpf_ruleset rs = { 0 };
		/* The other layouts, forced: per direction, two interfaces. */
		static const unsigned int forced[2] = { RULES_ACL_PER_DIR, RULES_ACL_TWO_IFACES };
		static const char *const fname[2] = { "per direction", "two interfaces" };
		struct rules_acl *pd[2];
		int res_pd[RULES_ACL_BULK_MAX], out_if[RULES_ACL_BULK_MAX];
		int r_in[RULES_ACL_BULK_MAX], r_out[RULES_ACL_BULK_MAX];
		struct dpf_rule rules[MAX_RULES];
		unsigned int n = 1 + rn(rn(4) == 0 ? MAX_RULES : 12), bad;
		struct rules_error err;
		struct sb b;

		for (unsigned int i = 0; i < n; i++) {
			int tries = 0;

			do {
				gen_rule(&b);
			} while (rules_parse_string(b.buf, &env, &rules[i], &err) != 0 &&
				 (++skipped, ++tries < 50));
			assert_true(tries < 50);
		}
		rs.n = n;
		rs.rules = rules;
		rs.default_pass = rn(2);
		assert_int_equal(rules_number(rules, n, &bad, &err), 0);
		rs.acl = rules_acl_build(&rs, msg, sizeof(msg));
		if (rs.acl == NULL && (strstr(msg, "expands to") != NULL ||
				       strstr(msg, "expand to") != NULL)) {
			/* Negated IPv6 sets can legitimately exceed the bounds; redraw. */
			refused++;
			for (unsigned int i = 0; i < n; i++)
				rules_rule_clear(&rules[i]);
			assert_true(refused < 1000);
			continue;
		}
		if (rs.acl == NULL) {
			print_error("rules_acl_build: %s\n", msg);
			fail();
		}
		/* The same rules with direction and interface in the input. */
		for (int f = 0; f < 2; f++) {
			pd[f] = rules_acl_build_opt(&rs, forced[f], msg, sizeof(msg));
			if (pd[f] == NULL) {
				print_error("rules_acl_build_opt(%s): %s\n", fname[f], msg);
				fail();
			}
		}
		assert_int_equal(rules_acl_categories(pd[0]), 1);
		assert_string_equal(rules_acl_layout(pd[1]), "two-ifaces");
		/* At most N_IFACES = 6 named: always categories (2 x 7 -> 16). */
		assert_true(rules_acl_categories(rs.acl) >= 4);
		collect(&e, &rs);
		for (int round = 0; round < PKTS_PER_SET / RULES_ACL_BULK_MAX; round++) {
			int res[RULES_ACL_BULK_MAX], af = round % 2 ? 6 : 4;
			unsigned int m = RULES_ACL_BULK_MAX;

			for (unsigned int i = 0; i < m; i++) {
				gen_pkt(&pk[i], &e, (uint8_t)af);
				pp[i] = &pk[i];
			}
			assert_int_equal(rules_acl_eval_bulk(rs.acl, (uint8_t)af, pp, m, res), 0);
			for (unsigned int i = 0; i < m; i++) {
				int ref = rules_eval_ref(&rs, &pk[i]);
				int one = rules_acl_eval(rs.acl, &pk[i]);

				if (ref != one) {
					dump_case(&rs, &pk[i], ref, one, "single");
					fail();
				}
				if (ref != res[i]) {
					dump_case(&rs, &pk[i], ref, res[i], "bulk");
					fail();
				}
				matched += ref >= 0;
				done++;
			}
			for (int f = 0; f < 2; f++) {
				assert_int_equal(rules_acl_eval_bulk(pd[f], (uint8_t)af, pp, m, res_pd),
						 0);
				for (unsigned int i = 0; i < m; i++) {
					int ref = rules_eval_ref(&rs, &pk[i]);
					int one_pd = rules_acl_eval(pd[f], &pk[i]);

					if (ref != one_pd || ref != res_pd[i]) {
						dump_case(&rs, &pk[i], ref,
							  ref != one_pd ? one_pd : res_pd[i], fname[f]);
						fail();
					}
				}
			}
			/* Both directions at once: each packet in as drawn (made
			 * RULE_DIR_IN), out on a random interface or not routed. */
			for (unsigned int i = 0; i < m; i++) {
				pk[i].dir = RULE_DIR_IN;
				out_if[i] = rn(4) == 0 ? -1 :
					    (int)(rn(8) == 0 ? rn(64) : rn(N_IFACES));
				r_in[i] = r_out[i] = -7;
			}
			for (int v = 0; v < 3; v++) {
				const struct rules_acl *a = v ? pd[v - 1] : rs.acl;
				const char *what_in = v ? (v == 1 ? "io in, per direction" :
							   "io in, two interfaces") : "io in";
				const char *what_out = v ? (v == 1 ? "io out, per direction" :
							    "io out, two interfaces") : "io out";

				assert_int_equal(rules_acl_eval_bulk_io(a, (uint8_t)af, pp, out_if,
									m, r_in, r_out), 0);
				for (unsigned int i = 0; i < m; i++) {
					struct rule_pkt po = pk[i];
					int ref = rules_eval_ref(&rs, &pk[i]), refo;

					if (ref != r_in[i]) {
						dump_case(&rs, &pk[i], ref, r_in[i], what_in);
						fail();
					}
					if (out_if[i] < 0) {
						assert_int_equal(r_out[i], -7);
						continue;
					}
					po.dir = RULE_DIR_OUT;
					po.iface = (uint16_t)out_if[i];
					refo = rules_eval_ref(&rs, &po);
					if (refo != r_out[i]) {
						dump_case(&rs, &po, refo, r_out[i], what_out);
						fail();
					}
					r_out[i] = -7;
				}
			}
		}
		rules_acl_free(rs.acl);
		rules_acl_free(pd[0]);
		rules_acl_free(pd[1]);
		for (unsigned int i = 0; i < n; i++)
			rules_rule_clear(&rules[i]);
		sets++;
	}
	printf("# %lu cases over %lu rulesets agree (%lu matched a rule; %lu generated rules "
	       "refused by the parser and %lu rulesets by the expansion bound were redrawn)\n",
	       done, sets, matched, skipped, refused);
	assert_true(refused < sets / 10 + 1);
	/* The generator must actually reach rules, or the test proves little. */
	assert_true(matched > done / 4);
}

static int
eal_setup(void **state)
{
	char *argv[] = { "test_rules_diff", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "-m", "512", "--log-level=lib.eal:error", NULL };

	(void)state;
	return rte_eal_init(9, argv) < 0 ? -1 : 0;
}

int
main(void)
{
	const char *s = getenv("DPF_RULES_SEED"), *c = getenv("DPF_RULES_CASES");
	const char *how = "fixed default";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
	};
	char *end;

	if (s == NULL || *s == '\0') {
		seed = DEFAULT_SEED;
	} else if (strcmp(s, "random") == 0) {
		seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^
		       ((uint64_t)getpid() << 16);
		how = "random";
	} else {
		seed = strtoull(s, &end, 0);
		if (*end != '\0') {
			fprintf(stderr, "DPF_RULES_SEED: \"%s\" is neither a number nor \"random\"\n", s);
			return 1;
		}
		how = "DPF_RULES_SEED";
	}
	if (c != NULL)
		cases = strtoul(c, NULL, 0);
	printf("# seed %" PRIu64 " (%s; DPF_RULES_SEED=%" PRIu64 " repeats this run, "
	       "DPF_RULES_SEED=random draws a seed)\n", seed, how, seed);
	rng = seed;
	env_init();
	return cmocka_run_group_tests_name("rules_diff", tests, eal_setup, NULL);
}
