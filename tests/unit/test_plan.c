/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the plan (control/plan/): compiling a config without EAL,
 * and instantiating plans with it.
 *
 *  - compile: the tables a config becomes (dp_conf, interfaces, routes,
 *    pf options, the parsed rules themselves, not a copy).
 *  - bad[]: each check at its limit and one past it; the config past it
 *    fails with the path and message given and a position, and the one at
 *    it compiles.  Texts are generated, so a limit moves with its constant.
 *  - lcores[]: EAL lcore lists, maps and masks counted as EAL parses them.
 *  - fit: dp_fib_fit()'s arithmetic on small inputs (prefixes counted once,
 *    /24 networks, IPv6 reservations below a covering prefix, gateways).
 *  - With EAL (--no-huge): rules_acl_check() counts what rules_acl_build()
 *    builds; two plans instantiated at once, published in turn, and a plan
 *    whose interfaces differ refused.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_fib.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "control/plan/plan.h"
#include "control/plan/plan_priv.h"
#include "control/rules/rules.h"
#include "dataplane/filter.h"
#include "dataplane/rules_acl.h"
#include "proto/carp.h"

/* --- helpers --- */

/* A config: one port, the interface lan, and the extra top-level keys x. */
#define BASE_HEAD "{\"schema_version\": 1,\n" \
	"\"dataplane\": {\"ports\": [{\"name\": \"p0\", \"device\": \"net_null0\"}]"
#define BASE_IFACE "\"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", " \
	"\"ipv4\": [\"198.18.0.1/15\"]}"

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

static void
buf_open(struct buf *b)
{
	b->s = NULL;
	b->f = open_memstream(&b->s, &b->len);
	assert_non_null(b->f);
}

static char *
buf_close(struct buf *b)
{
	assert_int_equal(fclose(b->f), 0);
	return b->s;
}

static int
compile(const char *text, const struct plan_opts *opts, struct dpf_plan **p,
	struct cfg_error *err)
{
	struct dpf_config *cfg;

	*p = NULL;
	if (cfg_load_string(text, &cfg, err) != 0) {
		print_error("the config does not load: %d:%d: %s: %s\n", err->line, err->column,
			    err->path, err->msg);
		fail();
	}
	return plan_compile(cfg, opts, p, err);
}

static struct dpf_plan *
compile_ok(const char *text)
{
	struct dpf_plan *p;
	struct cfg_error err;

	if (compile(text, NULL, &p, &err) != 0) {
		print_error("unexpected error %d:%d: %s: %s\n", err.line, err.column, err.path,
			    err.msg);
		fail();
	}
	return p;
}

/* --- compiling --- */

static void
test_compile(void **state)
{
	struct dpf_plan *p;

	(void)state;
	p = compile_ok(BASE_HEAD ", \"workers\": 1, \"burst\": 16,"
		       " \"eal\": {\"lcores\": \"0-2\"}},\n"
		       "\"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"vlan\": 7,"
		       "  \"ipv4\": [\"198.18.1.1/24\"], \"ipv6\": [\"2001:db8:1::1/64\"]},"
		       " {\"name\": \"wan\", \"port\": \"p0\", \"ipv4\": [\"198.18.2.1/24\"]}],\n"
		       "\"routes\": [{\"prefix\": \"0.0.0.0/0\", \"via\": \"198.18.2.254\"},"
		       " {\"prefix\": \"203.0.113.0/24\", \"via\": \"192.0.2.1\"}],\n"
		       "\"limits\": {\"states\": 1000},\n"
		       "\"rules\": [\"pass on lan\", \"block in quick from 10.0.0.0/8\"],\n"
		       "\"logging\": {\"pflog\": \"/tmp/x.pcap\"}}");
	assert_int_equal(p->lcores, 3);
	assert_int_equal(p->dp.n_workers, 1);
	assert_int_equal(p->dp.burst, 16);
	assert_int_equal(p->dp.n_ports, 1);
	assert_string_equal(p->dp.ports[0].device, "net_null0");
	assert_int_equal(p->dp.ports[0].rx_desc, 1024);
	assert_int_equal(p->dp.neigh_max, 0);
	assert_true(p->dp.log_snaplen > 0);
	assert_int_equal(p->n_ifaces, 2);
	assert_string_equal(p->ifaces[0].name, "lan");
	assert_int_equal(p->ifaces[0].vlan, 7);
	assert_int_equal(p->ifaces[0].mtu, 1500);
	assert_int_equal(p->ifaces[0].n_addrs, 2);
	assert_int_equal(p->ifaces[0].addrs[1].af, 6);
	assert_int_equal(p->ifaces[1].port, 0);
	assert_int_equal(p->n_routes, 2);
	assert_true(p->routes[0].has_via);
	assert_int_equal(p->routes[0].iface, -1);
	/* The second gateway is on no connected prefix: skipped, as the FIB will. */
	assert_int_equal(p->fib.unresolved, 1);
	assert_int_equal(p->fib.gateways, 1);
	/* 0/0; lan: /24, host, broadcast; wan: /24, host, broadcast. */
	assert_int_equal(p->fib.prefixes[0], 7);
	/* lan's /64 (5 tables past /24) and its host (8 past the /64). */
	assert_int_equal(p->fib.prefixes[1], 2);
	assert_int_equal(p->fib.tbl8[1], 13);
	assert_int_equal(p->limits[PFLIMIT_STATES], 1000);
	assert_int_equal(p->timeouts[PFTM_ADAPTIVE_START], 600);
	/* The rules are the config's, parsed once at load. */
	assert_ptr_equal(p->rs, p->cfg->ruleset);
	assert_int_equal(p->rs->n, 2);
	/* pass on lan: TCP with flags and the rest, both families; block: IPv4. */
	assert_int_equal(p->acl_entries[0], 3);
	assert_int_equal(p->acl_entries[1], 2);
	plan_free(p);
}

/* --- the checks, at and past each limit --- */

struct bad_case {
	const char *what;
	void (*gen)(FILE *f, unsigned int n);	/* writes the config with n of the thing */
	unsigned int at;			/* the limit: n = at compiles */
	const char *path;			/* n = at + 1 fails here */
	const char *msg;			/* with this message (printf of at + 1) */
};

static void
gen_ifaces(FILE *f, unsigned int n)
{
	fprintf(f, BASE_HEAD "}, " BASE_IFACE);
	for (unsigned int i = 1; i < n; i++)
		fprintf(f, ",\n {\"name\": \"v%u\", \"port\": \"p0\", \"vlan\": %u}", i, i);
	fprintf(f, "]}");
}

static void
gen_addrs(FILE *f, unsigned int n)
{
	fprintf(f, BASE_HEAD "}, \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
		"\"ipv4\": [\"198.18.0.1/24\"], \"ipv6\": [");
	for (unsigned int i = 1; i < n; i++)
		fprintf(f, "%s\n \"2001:db8:%x::1/64\"", i > 1 ? "," : "", i);
	fprintf(f, "]}]}");
}

static void
gen_gateways(FILE *f, unsigned int n)
{
	fprintf(f, BASE_HEAD "}, " BASE_IFACE "], \"routes\": [");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s\n {\"prefix\": \"10.%u.%u.0/24\", \"via\": \"198.19.%u.%u\"}",
			i > 0 ? "," : "", i / 256, i % 256, i / 256, i % 256);
	fprintf(f, "]}");
}

static void
gen_nets(FILE *f, unsigned int n)
{
	/* lan's host and broadcast share 198.18.0.0/24 with the first route. */
	fprintf(f, BASE_HEAD "}, \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", "
		"\"ipv4\": [\"198.18.0.1/24\"]}], \"routes\": ["
		"{\"prefix\": \"198.18.0.128/25\", \"reject\": true}");
	for (unsigned int i = 1; i < n; i++)
		fprintf(f, ",\n {\"prefix\": \"10.%u.%u.0/25\", \"reject\": true}", i / 256,
			i % 256);
	fprintf(f, "]}");
}

static void
gen_tables6(FILE *f, unsigned int n)
{
	/* n tables: /128s in /24s of their own take 13, then /32s take 1. */
	fprintf(f, BASE_HEAD "}, " BASE_IFACE "], \"routes\": [");
	for (unsigned int i = 0; i < n / 13; i++)
		fprintf(f, "%s\n {\"prefix\": \"2001:%x::1/128\", \"reject\": true}",
			i > 0 ? "," : "", i);
	for (unsigned int i = 0; i < n % 13; i++)
		fprintf(f, ",\n {\"prefix\": \"30%02x::/32\", \"reject\": true}", i);
	fprintf(f, "]}");
}

static void
gen_carp4(FILE *f, unsigned int n)
{
	fprintf(f, BASE_HEAD "}, " BASE_IFACE "], \"carp\": {\"vhids\": [{\"vhid\": 1, "
		"\"interface\": \"lan\", \"pass\": \"k\", \"addresses\": [");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s\n \"198.18.1.%u\"", i > 0 ? "," : "", i + 1);
	fprintf(f, "]}]}}");
}

static void
gen_carp6(FILE *f, unsigned int n)
{
	fprintf(f, BASE_HEAD "}, " BASE_IFACE "], \"carp\": {\"vhids\": [{\"vhid\": 1, "
		"\"interface\": \"lan\", \"pass\": \"k\", \"addresses\": [\"198.18.1.1\"");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, ",\n \"2001:db8::%x\"", i + 1);
	fprintf(f, "]}]}}");
}

static void
gen_acl(FILE *f, unsigned int n)
{
	/* n sources x 128 destinations, all hosts two apart (no merging). */
	fprintf(f, BASE_HEAD "}, " BASE_IFACE "], \"rules\": [\n\"block from {");
	for (unsigned int i = 0; i < (n + 127) / 128; i++)
		fprintf(f, " 10.1.%u.%u", 2 * i / 256, 2 * i % 256);
	fprintf(f, " } to {");
	for (unsigned int i = 0; i < 128; i++)
		fprintf(f, " 10.2.%u.%u", 2 * i / 256, 2 * i % 256);
	fprintf(f, " }\"]}");
}

static void
gen_lcores(FILE *f, unsigned int n)
{
	/* n lcores for 2 workers. */
	fprintf(f, BASE_HEAD ", \"workers\": 2, \"eal\": {\"lcores\": \"0-%u\"}}, "
		BASE_IFACE "]}", n - 1);
}

static void
gen_qpairs(FILE *f, unsigned int n)
{
	fprintf(f, "{\"schema_version\": 1,\n\"dataplane\": {\"workers\": 3,"
		" \"eal\": {\"lcores\": \"0-3\", \"args\": [\"--vdev=net_af_packet0,iface=x,"
		"qpairs=%u\"]}, \"ports\": [{\"name\": \"p0\", \"device\": \"net_af_packet0\"}]}}",
		n);
}

static const struct bad_case bad_cases[] = {
	{ "interfaces", gen_ifaces, DP_MAX_IFACES, "interfaces[64]",
	  "interface \"v64\" does not fit: the dataplane has at most 64 interfaces" },
	{ "addresses", gen_addrs, DP_MAX_ADDRS, "interfaces[0].ipv6[15]",
	  "2001:db8:10::1/64 does not fit: an interface has at most 16 addresses, IPv4 and "
	  "IPv6 together" },
	{ "gateways", gen_gateways, DP_NEIGH_GATEWAYS_MAX, "routes[1024].via",
	  "gateway 198.19.4.0 does not fit: at most 1024 distinct gateways (a quarter of the "
	  "4096-entry neighbour table)" },
	{ "IPv4 /24 tables", gen_nets, DP_FIB4_TBL8, "routes[4096].prefix",
	  "10.16.0.0/25 does not fit: the IPv4 FIB holds prefixes longer than /24 in at most "
	  "4096 /24 networks" },
	{ "IPv6 tables", gen_tables6, DP_FIB6_TBL8, "routes[1264].prefix",
	  "3004::/32 does not fit: the IPv6 FIB has 16384 tables of 256 entries, and a prefix "
	  "longer than /24 takes one per 8 bits it reaches past /24 or past the prefix "
	  "covering it (16385 with this one)" },
	{ "CARP IPv4", gen_carp4, CARP_HMAC_MAX4, "carp.vhids[0].addresses[32]",
	  "198.18.1.33/32 does not fit: a vhid's advertisement authenticates at most 32 IPv4 "
	  "and 32 IPv6 addresses" },
	{ "CARP IPv6", gen_carp6, CARP_HMAC_MAX6, "carp.vhids[0].addresses[33]",
	  "2001:db8::21/128 does not fit: a vhid's advertisement authenticates at most 32 IPv4 "
	  "and 32 IPv6 addresses" },
	{ "classifier entries", gen_acl, RULES_ACL_MAX_PER_RULE, "rules[0]",
	  "expands to 16512 classifier entries for IPv4 (at most 16384): 1 protocols x 129 "
	  "source and 128 destination address ranges x 1 port pairs x 1 interface runs; use "
	  "a table or fewer list elements" },
	/* Below the limit: "at" is the fewest lcores that do, "at + 1" fewer still. */
	{ "lcores", gen_lcores, 3, "dataplane.eal.lcores",
	  "\"0-1\" names 2 lcores; 2 workers need 3 (one each and the control core)" },
	{ "af_packet qpairs", gen_qpairs, 4, "dataplane.ports[0].device",
	  "\"net_af_packet0\" has 3 queue pairs (qpairs= of its --vdev); 3 workers need 4, "
	  "one each and the control core's, or leave qpairs out" },
};

static void
test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	bool below = c->gen == gen_lcores || c->gen == gen_qpairs;
	struct dpf_plan *p;
	struct cfg_error err;
	struct buf b;
	char *text;

	/* At the limit: compiles. */
	buf_open(&b);
	c->gen(b.f, c->at);
	text = buf_close(&b);
	p = compile_ok(text);
	plan_free(p);
	free(text);
	/* One past it (one short, for the minimums): fails where and as said. */
	buf_open(&b);
	c->gen(b.f, below ? c->at - 1 : c->at + 1);
	text = buf_close(&b);
	assert_int_equal(compile(text, NULL, &p, &err), -1);
	assert_null(p);
	if (strcmp(err.path, c->path) != 0 || strcmp(err.msg, c->msg) != 0)
		print_error("got  %s: %s\nwant %s: %s\n", err.path, err.msg, c->path, c->msg);
	assert_string_equal(err.path, c->path);
	assert_string_equal(err.msg, c->msg);
	assert_true(err.line > 1);
	assert_true(err.column > 0);
	free(text);
}

/* The command line's lcores replace the config's; the workers are at fault. */
static void
test_lcores_command_line(void **state)
{
	char *argv_ok[] = { "--no-pci", "-l", "0-2" }, *argv_short[] = { "--lcores=0@0,1@0" };
	char *argv_mask[] = { "-c0x7" }, *argv_bad[] = { "-l", "0-x" };
	const char *text = BASE_HEAD ", \"workers\": 2}, " BASE_IFACE "]}";
	struct plan_opts o;
	struct dpf_plan *p;
	struct cfg_error err;

	(void)state;
	o = (struct plan_opts){ 3, argv_ok };
	assert_int_equal(compile(text, &o, &p, &err), 0);
	assert_int_equal(p->lcores, 3);
	plan_free(p);
	o = (struct plan_opts){ 1, argv_mask };
	assert_int_equal(compile(text, &o, &p, &err), 0);
	assert_int_equal(p->lcores, 3);
	plan_free(p);
	o = (struct plan_opts){ 1, argv_short };
	assert_int_equal(compile(text, &o, &p, &err), -1);
	assert_string_equal(err.path, "dataplane.workers");
	assert_string_equal(err.msg, "2 workers need 3 lcores (one each and the control core); "
			    "the lcore list \"0@0,1@0\" on the command line names 2");
	o = (struct plan_opts){ 2, argv_bad };
	assert_int_equal(compile(text, &o, &p, &err), -1);
	assert_string_equal(err.path, "");
	assert_string_equal(err.msg, "the lcore list \"0-x\" on the command line: not an EAL "
			    "core list (e.g. \"0-2,4\")");
}

/* --- lcore lists --- */

static void
test_lcores(void **state)
{
	static const struct {
		const char *list;
		bool mask;
		int n;		/* -1: refused */
	} v[] = {
		{ "0-1", false, 2 },
		{ "0,2-4", false, 4 },
		{ "0-2,1", false, 3 },
		{ " 3 ", false, 1 },
		{ "127", false, 1 },
		{ "128", false, -1 },	/* RTE_MAX_LCORE */
		{ "0-", false, -1 },
		{ "-1", false, -1 },
		{ "", false, -1 },
		{ "0@0,1@1,2@1", false, 3 },
		{ "(0-3)@0", false, 4 },
		{ "1,2@(5-7),(3-5)@(0,2),(0,6),7-8", false, 9 },	/* EAL's own example */
		{ "0-2@1", false, -1 },	/* a range needs ( ) before @ */
		{ "(0-2", false, -1 },
		{ "(1-2-3)@0", false, -1 },
		{ "(0,128)@0", false, -1 },
		{ "0x3", true, 2 },
		{ "F", true, 4 },
		{ " 0X10 ", true, 1 },
		{ "0", true, -1 },
		{ "0x", true, -1 },
		{ "g", true, -1 },
		{ "1" "00000000" "00000000" "00000000" "00000000", true, -1 },	/* bit 128 */
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned int n = 0;
		int rc = plan_lcores_count(v[i].list, v[i].mask, &n, why, sizeof(why));

		if ((v[i].n < 0) != (rc < 0) || (rc == 0 && (int)n != v[i].n))
			print_error("\"%s\": rc %d n %u, want %d\n", v[i].list, rc, n, v[i].n);
		assert_int_equal(rc < 0, v[i].n < 0);
		if (rc == 0)
			assert_int_equal(n, (unsigned int)v[i].n);
		else
			assert_true(why[0] != '\0');
	}
}

/* --- what a FIB takes --- */

static struct dp_addr
addr(const char *s)
{
	struct dp_addr a = { 0 };
	char b[64], *slash;

	snprintf(b, sizeof(b), "%s", s);
	slash = strchr(b, '/');
	*slash = '\0';
	a.af = strchr(b, ':') != NULL ? 6 : 4;
	assert_int_equal(inet_pton(a.af == 4 ? AF_INET : AF_INET6, b, a.addr), 1);
	a.plen = (uint8_t)atoi(slash + 1);
	return a;
}

static void
test_fib_fit(void **state)
{
	struct dp_iface ifs[1] = { { .name = "lan", .n_addrs = 2 } };
	struct dp_route_conf r[6];
	struct dp_fib_fit fit;

	(void)state;
	ifs[0].addrs[0] = addr("198.18.1.1/24");
	ifs[0].addrs[1] = addr("2001:db8:1::1/64");
	memset(r, 0, sizeof(r));
	r[0] = (struct dp_route_conf){ .dst = addr("198.18.1.0/24"), .iface = 0 };	/* = connected */
	r[1] = (struct dp_route_conf){ .dst = addr("10.0.0.0/8"), .has_via = true, .iface = -1 };
	inet_pton(AF_INET, "198.18.1.9", r[1].via);
	r[2] = (struct dp_route_conf){ .dst = addr("10.1.0.0/16"), .has_via = true, .iface = -1 };
	inet_pton(AF_INET, "198.18.1.9", r[2].via);	/* the same gateway */
	r[3] = (struct dp_route_conf){ .dst = addr("10.2.0.0/16"), .has_via = true, .iface = -1 };
	inet_pton(AF_INET, "192.0.2.1", r[3].via);	/* on no connected prefix */
	r[4] = (struct dp_route_conf){ .dst = addr("10.3.3.0/25"), .reject = true, .iface = -1 };
	r[5] = (struct dp_route_conf){ .dst = addr("2001:db8:1::/48"), .reject = true,
				       .iface = -1 };
	assert_int_equal(dp_fib_fit(ifs, 1, r, 6, &fit), 0);
	assert_int_equal(fit.unresolved, 1);
	assert_int_equal(fit.gateways, 1);
	/* 198.18.1.0/24 once, 10/8, 10.1/16, 10.3.3.0/25, host .1, broadcast .255. */
	assert_int_equal(fit.prefixes[0], 6);
	/* 10.3.3.0/24 and 198.18.1.0/24 hold prefixes longer than /24. */
	assert_int_equal(fit.tbl8[0], 2);
	/* /48: 3; the /64 below it: 2; the host below that: 8. */
	assert_int_equal(fit.prefixes[1], 3);
	assert_int_equal(fit.tbl8[1], 3 + 2 + 8);
	assert_int_equal(fit.route, -1);
}

/* --- with EAL --- */

/* The check counts exactly the entries the build makes. */
static void
test_acl_check_counts_build(void **state)
{
	struct dpf_plan *p;
	struct rules_acl *acl;
	char msg[512];

	(void)state;
	p = compile_ok(BASE_HEAD "}, " BASE_IFACE ", {\"name\": \"wan\", \"port\": \"p0\","
		       " \"vlan\": 2, \"ipv6\": [\"2001:db8::1/64\"]}],"
		       " \"tables\": {\"t\": [\"198.51.100.0/24\", \"2001:db8:5::/48\"]},"
		       " \"rules\": [\"block all\", \"pass in on { lan wan } proto { tcp udp } from"
		       " <t> to ! 10.0.0.0/8 port { 22 80 443 1000:2000 }\","
		       " \"pass out inet6 proto icmp6 icmp6-type { echoreq echorep }\","
		       " \"block in proto udp from ! lan:network to self port != 53\"]}");
	acl = rules_acl_build(p->rs, msg, sizeof(msg));
	assert_non_null(acl);
	assert_true(p->acl_entries[0] > 0 && p->acl_entries[1] > 0);
	assert_int_equal(rules_acl_entries(acl, 4), p->acl_entries[0]);
	assert_int_equal(rules_acl_entries(acl, 6), p->acl_entries[1]);
	rules_acl_free(acl);
	plan_free(p);
}

static struct dp_main *
dp_fixture(void)
{
	struct dp_main *dp = rte_zmalloc("test_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	size_t sz = rte_rcu_qsbr_get_memsize(1);

	assert_non_null(dp);
	dp->n_workers = 1;
	dp->n_ports = 1;
	dp->ports[0].mtu = 1500;
	dp->rcu = rte_zmalloc("test_rcu", sz, RTE_CACHE_LINE_SIZE);
	assert_non_null(dp->rcu);
	assert_int_equal(rte_rcu_qsbr_init(dp->rcu, 1), 0);
	assert_int_equal(dp_neigh_init(dp, DP_NEIGH_MAX), 0);
	return dp;
}

static uint64_t
lookup4(const struct dp_fib *f, const char *a)
{
	uint8_t b[4];
	uint32_t ip;
	uint64_t nh = 0;

	assert_int_equal(inet_pton(AF_INET, a, b), 1);
	ip = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	assert_int_equal(rte_fib_lookup_bulk(f->fib4, &ip, &nh, 1), 0);
	return nh;
}

/*
 * Two plans' objects exist at once (the running one and a candidate):
 * building the second leaves the first intact, and publishing swaps them.
 */
static void
test_two_plans(void **state)
{
	struct dp_main *dp = dp_fixture();
	struct dpf_plan *a, *b, *c;
	struct plan_objs oa, ob, oc;
	struct dp_fib *fa;
	char err[512];

	(void)state;
	a = compile_ok(BASE_HEAD "}, " BASE_IFACE "], \"routes\": [{\"prefix\": \"10.0.0.0/8\","
		       " \"via\": \"198.18.0.9\"}], \"rules\": [\"pass all\"]}");
	b = compile_ok(BASE_HEAD "}, " BASE_IFACE "], \"routes\": [{\"prefix\": \"10.0.0.0/8\","
		       " \"reject\": true}], \"rules\": [\"block all\", \"pass in quick\"]}");
	for (unsigned int i = 0; i < a->n_ifaces; i++)
		assert_int_equal(dp_iface_add(dp, &a->ifaces[i], err, sizeof(err)), 0);
	assert_int_equal(plan_instantiate(a, dp, &oa, err, sizeof(err)), 0);
	assert_int_equal(plan_instantiate(b, dp, &ob, err, sizeof(err)), 0);
	assert_ptr_not_equal(oa.fib, ob.fib);
	assert_int_equal(oa.fib->nh[lookup4(oa.fib, "10.1.2.3")].kind, DP_NH_GATEWAY);
	assert_int_equal(ob.fib->nh[lookup4(ob.fib, "10.1.2.3")].kind, DP_NH_REJECT);
	assert_int_equal(oa.fib->nh[lookup4(oa.fib, "198.18.0.1")].kind, DP_NH_LOCAL);
	/* Each object holds its own copy of its plan's rules and a classifier. */
	assert_int_equal(oa.rules->n_rules, 1);
	assert_int_equal(ob.rules->n_rules, 2);
	assert_ptr_not_equal(oa.rules->rs, a->rs);
	assert_non_null(ob.rules->acl);

	fa = oa.fib;
	plan_publish(dp, &oa);
	assert_null(oa.fib);
	assert_null(oa.rules);
	assert_ptr_equal(atomic_load(&dp->fib), fa);
	assert_int_equal(atomic_load(&dp->rules)->n_rules, 1);
	plan_publish(dp, &ob);
	assert_int_equal(atomic_load(&dp->rules)->n_rules, 2);
	assert_int_equal(atomic_load(&dp->fib)->nh[lookup4(atomic_load(&dp->fib),
							    "10.1.2.3")].kind, DP_NH_REJECT);
	/* The plan may go once its objects are built: they own what they use. */
	plan_free(b);
	dp_reclaim(dp, true);	/* no reader is registered: a's go at once */

	/* A plan whose interfaces differ from the dataplane's is not instantiated. */
	c = compile_ok(BASE_HEAD "}, \"interfaces\": [{\"name\": \"wan\", \"port\": \"p0\"}]}");
	assert_int_equal(plan_instantiate(c, dp, &oc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "restart"));
	assert_null(oc.fib);
	plan_free(c);

	plan_free(a);
	dp_fib_free(atomic_exchange(&dp->fib, NULL));
	dp_rules_free(atomic_exchange(&dp->rules, NULL));
	rte_hash_free(dp->neigh_hash);
	rte_free(dp->neigh);
	rte_free(dp->rcu);
	rte_free(dp);
}

static int
eal_setup(void **state)
{
	char *argv[] = { "test_plan", "--no-huge", "--no-shconf", "--no-pci", "-l", "0", "-m",
			 "512", "--log-level=lib.eal:error", NULL };

	(void)state;
	return rte_eal_init(9, argv) < 0 ? -1 : 0;
}

/* Port lock names: the kernel interface of an af_packet vdev, else the device. */
static void
test_port_lock_name(void **state)
{
	char buf[PLAN_LOCK_NAME_MAX];

	(void)state;
	plan_port_lock_name("net_af_packet0,iface=veth-a0", "net_af_packet0", buf, sizeof(buf));
	assert_string_equal(buf, "port-iface-veth-a0.lock");
	plan_port_lock_name("net_af_packet1,qpairs=2,iface=eth1,blocksz=4096", "net_af_packet1",
			    buf, sizeof(buf));
	assert_string_equal(buf, "port-iface-eth1.lock");
	plan_port_lock_name(NULL, "0000:01:00.0", buf, sizeof(buf));
	assert_string_equal(buf, "port-0000_01_00.0.lock");
	/* A vdev without a kernel interface is the process's own: no lock. */
	plan_port_lock_name("net_null0", "net_null0", buf, sizeof(buf));
	assert_string_equal(buf, "");
	plan_port_lock_name("net_pcap0,rx_pcap=a.pcap", "net_pcap0", buf, sizeof(buf));
	assert_string_equal(buf, "");
	plan_port_lock_name("net_pcap0,iface=eth2", "net_pcap0", buf, sizeof(buf));
	assert_string_equal(buf, "port-iface-eth2.lock");
	/* Nothing can climb out of the lock directory. */
	plan_port_lock_name("net_af_packet0,iface=../x", "net_af_packet0", buf, sizeof(buf));
	assert_string_equal(buf, "port-iface-.._x.lock");
}

/* The compiled plan: each port's lock name, and which ports the kernel defragments. */
static void
test_port_plan(void **state)
{
	struct dpf_plan *p;

	(void)state;
	p = compile_ok("{\"schema_version\": 1, \"dataplane\": {"
		       " \"eal\": {\"args\": [\"--vdev=net_af_packet0,iface=veth9\","
		       " \"--vdev=net_null0\"]},"
		       " \"ports\": [{\"name\": \"p0\", \"device\": \"net_af_packet0\"},"
		       " {\"name\": \"p1\", \"device\": \"net_null0\"}]}}");
	assert_string_equal(p->port_lock[0], "port-iface-veth9.lock");
	assert_string_equal(p->port_lock[1], "");
	assert_true(p->port_af_packet[0]);
	assert_false(p->port_af_packet[1]);
	plan_free(p);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_compile),
		cmocka_unit_test(test_lcores_command_line),
		cmocka_unit_test(test_lcores),
		cmocka_unit_test(test_fib_fit),
		cmocka_unit_test(test_acl_check_counts_build),
		cmocka_unit_test(test_two_plans),
		cmocka_unit_test(test_port_lock_name),
		cmocka_unit_test(test_port_plan),
	};
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]), n = 0;
	struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof(*tests));
	int rc;

	if (tests == NULL)
		return 1;
	for (size_t i = 0; i < n_bad; i++)
		tests[n++] = (struct CMUnitTest){ .name = bad_cases[i].what,
						  .test_func = test_bad_case,
						  .initial_state = (void *)&bad_cases[i] };
	for (size_t i = 0; i < n_fixed; i++)
		tests[n++] = fixed[i];
	rc = _cmocka_run_group_tests("plan", tests, n, eal_setup, NULL);
	free(tests);
	return rc;
}
