/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the rule language and classifiers: control/rules/rules_parse.c,
 * control/rules/rules_print.c, dataplane/rules_ref.c, dataplane/rules_acl.c.
 *
 *  - good[]: each rule string with its normalized print; print -> parse ->
 *    print is a fixed point.
 *  - bad[]: each rule with the byte offset of the token the error names and
 *    a part of the message.
 *  - objects[]: JSON object rules and the string rule each must equal.
 *  - semantics: small rulesets with packets and the rule pf would pick,
 *    checked on the reference evaluator and on rte_acl (single and bulk).
 *  - golden configs tests/rules/good/NAME.json must print (`dpf -n`) exactly
 *    NAME.out; tests/rules/bad/NAME.json must fail with NAME.err.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "control/config/config.h"
#include "control/rules/rules.h"
#include "dataplane/rules_acl.h"

/* --- the environment every test resolves against --- */

static struct rule_prefix lan_addrs[2], wan_addrs[1], sync_addrs[1], far_addrs[1];
static struct rule_prefix trusted_pfx[2];
static struct rules_env_iface env_ifaces[5];
static struct rules_env_table env_tables[2];
static struct rules_env env;

static struct rule_prefix
pfx(const char *s)
{
	struct rule_prefix p = { 0 };
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, p.addr) == 1) {
		p.af = 4;
		p.plen = 32;
	} else {
		assert_int_equal(inet_pton(AF_INET6, buf, p.addr), 1);
		p.af = 6;
		p.plen = 128;
	}
	if (slash != NULL)
		p.plen = (uint8_t)atoi(slash + 1);
	return p;
}

static void
env_init(void)
{
	lan_addrs[0] = pfx("198.18.1.2/24");
	lan_addrs[1] = pfx("2001:db8:1::2/64");
	wan_addrs[0] = pfx("198.18.2.2/24");
	sync_addrs[0] = pfx("198.19.0.1/30");
	far_addrs[0] = pfx("198.19.9.1/24");
	trusted_pfx[0] = pfx("198.18.1.0/24");
	trusted_pfx[1] = pfx("2001:db8:5::/48");
	env_ifaces[0] = (struct rules_env_iface){ "lan", 0, 2, lan_addrs };
	env_ifaces[1] = (struct rules_env_iface){ "wan", 1, 1, wan_addrs };
	env_ifaces[2] = (struct rules_env_iface){ "sync", 2, 1, sync_addrs };
	env_ifaces[3] = (struct rules_env_iface){ "bare", 5, 0, NULL };
	env_ifaces[4] = (struct rules_env_iface){ "far", 64, 1, far_addrs };
	env_tables[0] = (struct rules_env_table){ "trusted", 2, trusted_pfx };
	env_tables[1] = (struct rules_env_table){ "empty", 0, NULL };
	env = (struct rules_env){ 5, env_ifaces, 2, env_tables };
}

static char *
print_rule(const struct dpf_rule *r)
{
	size_t n = rules_print(r, NULL, 0);
	char *s = malloc(n + 1);

	assert_non_null(s);
	assert_int_equal(rules_print(r, s, n + 1), n);
	return s;
}

static char *
normalize(const char *text)
{
	struct rules_error err;
	struct dpf_rule r;
	char *s;

	if (rules_parse_string(text, &env, &r, &err) != 0) {
		print_error("rule \"%s\": at %d: %s\n", text, err.offset, err.msg);
		fail();
	}
	s = print_rule(&r);
	rules_rule_clear(&r);
	return s;
}

/* --- parser: good rules and their normalized text --- */

struct good {
	const char *in, *out;
};

static const struct good good[] = {
	{ "pass", "pass all flags S/SA keep state" },
	{ "block all", "block all" },
	{ "block in log all", "block in log all" },
	{ "pass out keep state", "pass out all flags S/SA keep state" },
	{ "pass in on lan proto tcp from <trusted> to any port { 22 443 }",
	  "pass in on lan proto tcp from <trusted> to any port { 22, 443 } flags S/SA keep state" },
	{ "pass quick on sync proto pfsync keep state (no-sync)",
	  "pass quick on sync proto pfsync all keep state (no-sync)" },
	{ "block return-rst in log (all) quick on { lan wan } inet proto tcp from any to self "
	  "port ssh", "block return-rst in log (all) quick on { lan wan } inet proto tcp from any "
	  "to self port 22" },
	{ "block drop out proto udp from ! 10.0.0.0/8 port >= 1024",
	  "block drop out inet proto udp from ! 10.0.0.0/8 port >= 1024 to any" },
	{ "pass proto udp to port { 1000:2000 3000 >< 3010 4000 <> 5000 != 7 < 9 <= 10 > 11 }",
	  "pass proto udp from any to any port { 1000:2000, 3000 >< 3010, 4000 <> 5000, != 7, "
	  "< 9, <= 10, > 11 } keep state" },
	{ "pass inet6 proto ipv6-icmp icmp6-type { echoreq neighbrsol } no state",
	  "pass inet6 proto ipv6-icmp all icmp6-type { echoreq, neighbrsol } no state" },
	{ "pass proto icmp icmp-type unreach code port-unr",
	  "pass inet proto icmp all icmp-type unreach code port-unr keep state" },
	{ "pass proto icmp icmp-type 3 code 77",
	  "pass inet proto icmp all icmp-type unreach code 77 keep state" },
	{ "pass proto tcp flags any", "pass proto tcp all flags any keep state" },
	{ "pass proto tcp flags /SA no state", "pass proto tcp all flags /SA no state" },
	{ "pass proto tcp no state", "pass proto tcp all no state" },
	{ "pass proto { tcp udp 253 } from lan to lan:network",
	  "pass proto { tcp udp 253 } from lan to lan:network flags S/SA keep state" },
	{ "pass from wan", "pass inet from wan to any flags S/SA keep state" },
	{ "pass from ! <trusted>", "pass from ! <trusted> to any flags S/SA keep state" },
	{ "pass from { 198.18.0.0/15 2001:db8::1 } to { <trusted> sync:network }",
	  "pass from { 198.18.0.0/15 2001:db8::1 } to { <trusted> sync:network } flags S/SA "
	  "keep state" },
	{ "pass keep state (max 100, sloppy, tcp.established 60, no-sync, udp.first 5)",
	  "pass all flags S/SA keep state (max 100, no-sync, sloppy, tcp.established 60, "
	  "udp.first 5)" },
	{ "pass label \"web in\" id 7", "pass all flags S/SA keep state label \"web in\" id 7" },
	{ "block return-icmp", "block return-icmp all" },
	{ "block return proto tcp flags S/SAFR", "block return proto tcp all flags S/FSRA" },
	{ "pass on bare to 2001:db8::/32", "pass on bare inet6 from any to 2001:db8::/32 flags S/SA "
	  "keep state" },
	{ "pass proto carp", "pass proto carp all keep state" },
	{ "pass proto vrrp", "pass proto carp all keep state" },
	{ "pass proto { esp ah gre ospf }", "pass proto { esp ah gre ospf } all keep state" },
	{ "pass proto tcp from any port 0:65535 to any port = 80",
	  "pass proto tcp from any port 0:65535 to any port 80 flags S/SA keep state" },
	{ "pass\tin  on  lan", "pass in on lan all flags S/SA keep state" },
	{ "pass from far", "pass inet from far to any flags S/SA keep state" },
};

static void
test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *a = normalize(good[i].in);
		char *b = normalize(a);

		if (strcmp(a, good[i].out) != 0)
			print_error("rule \"%s\"\n   got \"%s\"\n  want \"%s\"\n", good[i].in, a,
				    good[i].out);
		assert_string_equal(a, good[i].out);
		assert_string_equal(a, b);	/* fixed point */
		free(a);
		free(b);
	}
}

/* --- parser: bad rules, the token pointed at and the message --- */

struct bad {
	const char *in;
	int offset;		/* byte offset; -1: don't check */
	const char *msg;	/* a substring of the message */
};

static const struct bad bad[] = {
	{ "", 0, "at end of rule: expected \"pass\" or \"block\"" },
	{ "allow all", 0, "at \"allow\": expected \"pass\" or \"block\"" },
	{ "pass in on dmz", 11, "at \"dmz\": no such interface" },
	{ "pass in on { lan lan }", 17, "interface \"lan\" is listed twice" },
	{ "pass on far", 8, "rules can name only the first 64 interfaces" },
	{ "pass proto tcpp", 11, "at \"tcpp\": unknown protocol" },
	{ "pass proto 256", 11, "unknown protocol" },
	{ "pass from <nosuch>", 10, "at \"<nosuch>\": no such table" },
	{ "pass from 10.0.0.1/24", 10, "host bits are set" },
	{ "pass from 10.0.0.0/33", 10, "the prefix length must be 0..32" },
	{ "pass from 10.0.0.300", 10, "not an address, a prefix or an interface" },
	{ "pass from { 10.0.0.1 ! 10.0.0.2 }", 21, "negate the whole set" },
	{ "pass from bare", 10, "interface bare has no address" },
	{ "pass from dmz:network", 10, "no such interface" },
	{ "pass to port 22", 8, "port only applies to tcp/udp" },
	{ "pass proto icmp to port 22", 19, "port only applies to tcp/udp" },
	{ "pass proto tcp to port 70000", 23, "a port is 0..65535" },
	{ "pass proto tcp to port sshh", 23, "unknown service name" },
	{ "pass proto tcp to port 20:10", 23, "the range is empty" },
	{ "pass proto tcp to port 20 >< 10", 29, "the second port is below the first" },
	{ "pass proto tcp to port { }", 25, "at \"}\": expected a port" },
	{ "pass proto udp flags S/SA", 15, "flags only apply to tcp" },
	{ "pass flags S/A", 11, "flags outside the mask never match" },
	{ "pass flags SX/SA", 11, "flags are letters of FSRPAUEW" },
	{ "pass flags S", 11, "expected flags as F/M" },
	{ "pass icmp-type echoreq", 5, "icmp-type requires \"proto icmp\"" },
	{ "pass proto icmp icmp-type bogus", 26, "unknown icmp type" },
	{ "pass proto icmp icmp-type unreach code bogus", 39, "unknown code for icmp type 3" },
	{ "pass inet6 proto icmp icmp-type echoreq", 0, "no address family fits" },
	{ "pass inet from 2001:db8::1", 0, "no address family fits" },
	{ "pass from 10.0.0.1 to 2001:db8::1", 0, "no address family fits" },
	{ "block keep state", 6, "keep state on a block rule makes no sense" },
	{ "pass keep state (bogus 1)", 17, "unknown state option" },
	{ "pass keep state (max 0)", 21, "expected a number 1..4294967295" },
	{ "pass keep state (max 1", 22, "at end of rule: expected \",\" or \")\"" },
	{ "pass label web", 11, "expected a quoted label" },
	{ "pass label \"web", 11, "unterminated string" },
	{ "pass id 0", 8, "expected an id 1..4294967295" },
	{ "pass id 4294967296", 8, "expected an id" },
	{ "pass id 1 id 2", 10, "\"id\" is given twice" },
	{ "pass log (some)", 10, "at \"some\": expected \"all\"" },
	{ "pass quick in", 11, "at \"in\": expected flags, icmp-type" },
	{ "pass from any to any extra", 21, "at \"extra\"" },
	{ "pass from ; ", 10, "unexpected character ';'" },
	{ "pass from <bad-name>", 10, "a table name is letters" },
	{ "pass from !", 11, "at end of rule: expected an address" },
	{ "pass from { any }", 12, "\"any\" cannot be part of a set" },
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rules_error err;
		struct dpf_rule r;
		int rc = rules_parse_string(bad[i].in, &env, &r, &err);

		if (rc == 0) {
			print_error("rule \"%s\" was accepted\n", bad[i].in);
			fail();
		}
		if (strstr(err.msg, bad[i].msg) == NULL || (bad[i].offset >= 0 &&
							    err.offset != bad[i].offset)) {
			print_error("rule \"%s\"\n   got %d: %s\n  want %d: ...%s...\n", bad[i].in,
				    err.offset, err.msg, bad[i].offset, bad[i].msg);
			fail();
		}
		/* A failed parse leaves nothing behind. */
		assert_null(r.on);
		assert_null(r.src.pfx);
	}
}

/* --- the object form --- */

struct object {
	const char *json, *string;
};

static const struct object objects[] = {
	{ "{\"action\":\"pass\"}", "pass" },
	{ "{\"action\":\"pass\",\"direction\":\"in\",\"quick\":true,\"on\":[\"lan\"],"
	  "\"af\":\"inet\",\"proto\":[\"tcp\"],\"from\":{\"address\":[\"<trusted>\"],"
	  "\"not\":false},\"to\":{\"address\":\"any\",\"port\":[22,443]},\"flags\":\"S/SA\","
	  "\"state\":\"keep\",\"state_options\":{\"max\":100},\"log\":true,\"label\":\"x\","
	  "\"id\":7}",
	  "pass in log quick on lan inet proto tcp from <trusted> to any port { 22 443 } "
	  "flags S/SA keep state (max 100) label \"x\" id 7" },
	{ "{\"action\":\"block\",\"block_policy\":\"return\",\"direction\":\"out\","
	  "\"log\":\"all\",\"on\":\"wan\"}", "block return out log (all) on wan all" },
	{ "{\"action\":\"pass\",\"proto\":[\"udp\",6],\"from\":{\"address\":\"10.0.0.0/8\","
	  "\"not\":true,\"port\":[\">= 1024\",\"1:9\",\"ssh\"]},\"state\":\"no\"}",
	  "pass proto { udp tcp } from ! 10.0.0.0/8 port { >= 1024, 1:9, 22 } no state" },
	{ "{\"action\":\"pass\",\"proto\":\"icmp\",\"icmp_type\":[\"echoreq\",\"unreach code "
	  "port-unr\",11]}", "pass proto icmp icmp-type { echoreq unreach code port-unr timex }" },
	{ "{\"action\":\"pass\",\"proto\":\"ipv6-icmp\",\"icmp6_type\":\"neighbradv\","
	  "\"state_options\":{\"no-sync\":true,\"sloppy\":false,\"icmp.first\":9}}",
	  "pass proto ipv6-icmp icmp6-type neighbradv keep state (no-sync, icmp.first 9)" },
	{ "{\"action\":\"pass\",\"to\":{\"address\":[\"self\",\"lan:network\",\"wan\"]},"
	  "\"flags\":\"any\"}", "pass to { self lan:network wan } flags any" },
};

static void
test_objects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		json_error_t jerr;
		json_t *j = json_loads(objects[i].json, 0, &jerr);
		struct rules_error err;
		struct dpf_rule a, b;
		char *pa, *pb;

		assert_non_null(j);
		if (rules_parse_json(j, &env, &a, &err) != 0) {
			print_error("object %zu: %s: %s\n", i, err.path, err.msg);
			fail();
		}
		assert_int_equal(rules_parse_string(objects[i].string, &env, &b, &err), 0);
		pa = print_rule(&a);
		pb = print_rule(&b);
		assert_string_equal(pa, pb);
		/* The matching fields agree too, not only the text. */
		assert_int_equal(a.af_mask, b.af_mask);
		assert_int_equal(a.ifaces, b.ifaces);
		assert_int_equal(a.src.n_pfx, b.src.n_pfx);
		assert_int_equal(a.dst.n_pfx, b.dst.n_pfx);
		assert_int_equal(a.flags, b.flags);
		assert_int_equal(a.flagset, b.flagset);
		assert_int_equal(a.keep_state, b.keep_state);
		assert_memory_equal(a.timeouts, b.timeouts, sizeof(a.timeouts));
		free(pa);
		free(pb);
		rules_rule_clear(&a);
		rules_rule_clear(&b);
		json_decref(j);
	}
}

struct obj_bad {
	const char *json, *path, *msg;
};

static const struct obj_bad obj_bad[] = {
	{ "{}", "", "a rule needs \"action\"" },
	{ "{\"action\":\"allow\"}", "action", "expected \"pass\" or \"block\"" },
	{ "{\"action\":\"pass\",\"frm\":{}}", "frm", "unknown key \"frm\"" },
	{ "{\"action\":\"pass\",\"on\":[\"lan\",\"dmz\"]}", "on[1]", "no such interface" },
	{ "{\"action\":\"pass\",\"from\":{\"address\":[\"10.0.0.1\", 5]}}", "from.address[1]",
	  "not an address" },
	{ "{\"action\":\"pass\",\"proto\":\"tcp\",\"to\":{\"port\":[22, \"x y\"]}}", "to.port[1]",
	  "unknown service name" },
	{ "{\"action\":\"pass\",\"to\":{\"port\":22}}", "to.port", "port only applies" },
	{ "{\"action\":\"pass\",\"to\":{\"addr\":\"any\"}}", "to.addr", "unknown key" },
	{ "{\"action\":\"pass\",\"from\":{\"not\":true}}", "from.address", "\"not\" needs" },
	{ "{\"action\":\"block\",\"state\":\"keep\"}", "state", "keep state on a block rule" },
	{ "{\"action\":\"pass\",\"proto\":\"udp\",\"flags\":\"S/SA\"}", "flags", "only apply" },
	{ "{\"action\":\"pass\",\"state_options\":{\"max\":\"x\"}}", "state_options.max",
	  "expected a number" },
	{ "{\"action\":\"pass\",\"state\":\"no\",\"state_options\":{\"max\":1}}",
	  "state_options", "need \"state\": \"keep\"" },
	{ "{\"action\":\"pass\",\"id\":0}", "id", "expected an id" },
	{ "{\"action\":\"pass\",\"icmp_type\":\"echoreq\"}", "icmp_type", "requires" },
	{ "{\"action\":\"pass\",\"quick\":1}", "quick", "expected true or false" },
	{ "{\"action\":\"pass\",\"proto\":[]}", "proto", "non-empty array" },
};

static void
test_objects_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(obj_bad) / sizeof(obj_bad[0]); i++) {
		json_t *j = json_loads(obj_bad[i].json, 0, NULL);
		struct rules_error err;
		struct dpf_rule r;

		assert_non_null(j);
		assert_int_equal(rules_parse_json(j, &env, &r, &err), -1);
		if (strcmp(err.path, obj_bad[i].path) != 0 || strstr(err.msg, obj_bad[i].msg) == NULL) {
			print_error("object %s\n   got %s: %s\n  want %s: ...%s...\n", obj_bad[i].json,
				    err.path, err.msg, obj_bad[i].path, obj_bad[i].msg);
			fail();
		}
		json_decref(j);
	}
}

/* --- ids --- */

static void
test_ids(void **state)
{
	const char *texts[] = { "pass", "pass id 10", "block", "pass id 2" };
	struct dpf_rule r[4];
	struct rules_error err;
	unsigned int bad_idx = 99;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(rules_parse_string(texts[i], &env, &r[i], &err), 0);
	assert_int_equal(rules_number(r, 3, &bad_idx, &err), 0);
	assert_int_equal(r[0].id, 1);
	assert_int_equal(r[1].id, 10);
	assert_int_equal(r[2].id, 3);
	/* "id 2" clashes with nothing in 3 rules; as rule 4 it does not clash either... */
	assert_int_equal(rules_parse_string(texts[3], &env, &r[3], &err), 0);
	assert_int_equal(rules_number(r, 4, &bad_idx, &err), 0);
	/* ...but "id 3" as rule 4 takes rule 3's implicit id. */
	r[3].id = 3;
	assert_int_equal(rules_number(r, 4, &bad_idx, &err), -1);
	assert_int_equal(bad_idx, 3);
	assert_non_null(strstr(err.msg, "id 3 is also the id of rules[2]"));
	/* Two explicit ids: the later one is blamed. */
	r[3].id = 10;
	assert_int_equal(rules_number(r, 4, &bad_idx, &err), -1);
	assert_int_equal(bad_idx, 3);
	assert_non_null(strstr(err.msg, "rules[1]"));
	for (int i = 0; i < 4; i++)
		rules_rule_clear(&r[i]);
}

/* --- semantics, on both evaluators --- */

static struct dpf_ruleset *
ruleset(bool default_pass, const char *const *texts, unsigned int n)
{
	struct dpf_ruleset *rs = calloc(1, sizeof(*rs));
	struct rules_error err;
	unsigned int bad_idx;
	char msg[512];

	assert_non_null(rs);
	rs->rules = calloc(n + 1, sizeof(*rs->rules));
	assert_non_null(rs->rules);
	for (unsigned int i = 0; i < n; i++) {
		if (rules_parse_string(texts[i], &env, &rs->rules[i], &err) != 0) {
			print_error("\"%s\": %s\n", texts[i], err.msg);
			fail();
		}
		rs->n++;
	}
	rs->default_pass = default_pass;
	assert_int_equal(rules_number(rs->rules, n, &bad_idx, &err), 0);
	rs->acl = rules_acl_build(rs, msg, sizeof(msg));
	if (rs->acl == NULL) {
		print_error("rules_acl_build: %s\n", msg);
		fail();
	}
	return rs;
}

static void
ruleset_free(struct dpf_ruleset *rs)
{
	rules_acl_free(rs->acl);
	rules_ruleset_free(rs);
}

static struct rule_pkt
pkt(uint8_t dir, uint16_t iface, uint8_t proto, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, uint8_t flags)
{
	struct rule_pkt p = { .dir = dir, .iface = iface, .proto = proto, .sport = sport,
			      .dport = dport, .tcp_flags = flags };
	struct rule_prefix s = pfx(src), d = pfx(dst);

	p.af = s.af;
	memcpy(p.src, s.addr, 16);
	memcpy(p.dst, d.addr, 16);
	return p;
}

/* Both evaluators, single and bulk, must give `want`. */
static void
expect(const struct dpf_ruleset *rs, const struct rule_pkt *p, int want, const char *what)
{
	int ref = rules_eval_ref(rs, p), acl = rules_acl_eval(rs->acl, p), bulk = -2;
	const struct rule_pkt *pp[1] = { p };

	assert_int_equal(rules_acl_eval_bulk(rs->acl, p->af, pp, 1, &bulk), 0);
	if (ref != want || acl != want || bulk != want) {
		print_error("%s: want %d, ref %d, acl %d, bulk %d\n", what, want, ref, acl, bulk);
		fail();
	}
}

#define IN RULE_DIR_IN
#define OUT RULE_DIR_OUT
#define SYN PF_TH_SYN
#define SA (PF_TH_SYN | PF_TH_ACK)

static void
test_last_match_and_quick(void **state)
{
	const char *const t[] = {
		"block all",					/* 0 */
		"pass in on lan proto tcp to port 22",		/* 1 */
		"block in quick on wan",			/* 2 */
		"pass in on wan",				/* 3: never decides */
		"pass quick proto udp",				/* 4 */
		"block proto udp",				/* 5: after a quick */
		"pass out",					/* 6 */
	};
	struct dpf_ruleset *rs;
	struct rule_pkt p;

	(void)state;
	rs = ruleset(false, t, 7);
	p = pkt(IN, 0, 6, "198.18.1.10", 4000, "198.18.2.10", 22, SYN);
	expect(rs, &p, 1, "last match wins");
	assert_true(rules_verdict_pass(rs, 1));
	p.dport = 23;
	expect(rs, &p, 0, "only block matches");
	assert_false(rules_verdict_pass(rs, 0));
	p.iface = 1;
	expect(rs, &p, 2, "quick stops evaluation");
	p.proto = 17;
	expect(rs, &p, 2, "earlier quick wins over a later quick");
	p.iface = 0;
	expect(rs, &p, 4, "quick udp beats the later block");
	p.dir = OUT;
	p.proto = 6;
	expect(rs, &p, 6, "out rule");
	p.dir = IN;
	p.af = 6;
	p = pkt(IN, 3, 47, "2001:db8::1", 0, "2001:db8::2", 0, 0);
	expect(rs, &p, 0, "IPv6 matches \"all\"");
	ruleset_free(rs);
}

static void
test_default(void **state)
{
	const char *const t[] = { "pass in on lan inet proto tcp" };
	struct dpf_ruleset *rs;
	struct rule_pkt p;

	(void)state;
	rs = ruleset(false, t, 1);
	p = pkt(IN, 1, 6, "10.0.0.1", 1, "10.0.0.2", 2, SYN);
	expect(rs, &p, -1, "no match");
	assert_false(rules_verdict_pass(rs, -1));
	rs->default_pass = true;
	assert_true(rules_verdict_pass(rs, -1));
	p.iface = 0;
	expect(rs, &p, 0, "match");
	p = pkt(IN, 0, 6, "2001:db8::1", 1, "2001:db8::2", 2, SYN);
	expect(rs, &p, -1, "inet rule, IPv6 packet");
	ruleset_free(rs);
	/* An empty ruleset: every packet gets the default. */
	rs = ruleset(true, t, 0);
	expect(rs, &p, -1, "empty ruleset");
	ruleset_free(rs);
}

static void
test_flags(void **state)
{
	const char *const t[] = {
		"block all",
		"pass",				/* 1: flags S/SA by default, any proto */
		"pass proto { tcp udp } flags S/SAF no state", /* 2 */
	};
	struct dpf_ruleset *rs;
	struct rule_pkt p;

	(void)state;
	rs = ruleset(false, t, 2);
	p = pkt(IN, 0, 6, "10.0.0.1", 1, "10.0.0.2", 2, SYN);
	expect(rs, &p, 1, "SYN passes S/SA");
	p.tcp_flags = SA;
	expect(rs, &p, 0, "SYN+ACK does not");
	p.tcp_flags = SYN | PF_TH_PUSH | PF_TH_ECE;
	expect(rs, &p, 1, "bits outside the mask don't matter");
	p.proto = 17;
	p.tcp_flags = SA;	/* garbage in tcp_flags of a UDP packet is ignored */
	expect(rs, &p, 1, "flags don't constrain UDP");
	p.proto = 1;
	expect(rs, &p, 1, "flags don't constrain ICMP");
	ruleset_free(rs);
	rs = ruleset(false, t, 3);
	p = pkt(IN, 0, 6, "10.0.0.1", 1, "10.0.0.2", 2, SYN | PF_TH_FIN);
	expect(rs, &p, 1, "SYN+FIN: FIN is outside S/SA's mask, inside S/SAF's");
	p.tcp_flags = SYN | PF_TH_ACK;
	expect(rs, &p, 0, "SYN+ACK fails both");
	p.tcp_flags = SYN;
	expect(rs, &p, 2, "S/SAF");
	p.proto = 17;
	p.tcp_flags = 0xff;
	expect(rs, &p, 2, "UDP in a tcp/udp list with flags");
	p.proto = 132;
	expect(rs, &p, 1, "other proto");
	ruleset_free(rs);
}

static void
test_dir_iface(void **state)
{
	const char *const t[] = {
		"block all",
		"pass in on { lan sync } no state",	/* 1: ifaces 0 and 2 */
		"pass out on wan no state",		/* 2 */
		"pass on bare no state",		/* 3: iface 5, both directions */
	};
	struct dpf_ruleset *rs;
	struct rule_pkt p;

	(void)state;
	rs = ruleset(false, t, 4);
	p = pkt(IN, 0, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
	expect(rs, &p, 1, "in on lan");
	p.iface = 2;
	expect(rs, &p, 1, "in on sync");
	p.iface = 1;
	expect(rs, &p, 0, "in on wan");
	p.dir = OUT;
	expect(rs, &p, 2, "out on wan");
	p.iface = 0;
	expect(rs, &p, 0, "out on lan");
	p.iface = 5;
	expect(rs, &p, 3, "out on bare");
	p.dir = IN;
	expect(rs, &p, 3, "in on bare");
	p.iface = 63;
	expect(rs, &p, 0, "iface 63");
	ruleset_free(rs);
}

/*
 * Interface classes (rules_acl.c acl_slots_make): rules that name many
 * interfaces through few distinct sets still compile to rte_acl
 * categories; more than 8 classes take the two-interface layout (the
 * directions as categories).  Every (interface, direction) is held to the
 * reference, one direction at a time and both at once, in the layout the
 * build picks and in the two others forced.
 */
static void ifaces_check(const struct dpf_ruleset *rs);

static void
ifaces_case(const uint64_t *masks, const uint8_t *dirs, unsigned int n, unsigned int want_cat,
	    const char *want_layout)
{
	static const unsigned int forced[] = { RULES_ACL_PER_DIR, RULES_ACL_TWO_IFACES };
	struct dpf_ruleset rs = { 0 };
	struct dpf_rule rules[16];
	struct rules_error err;
	unsigned int bad_idx;
	char msg[512];

	assert_true(n < 16);
	assert_int_equal(rules_parse_string("block all", &env, &rules[0], &err), 0);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(rules_parse_string("pass proto udp no state", &env, &rules[i + 1],
						    &err), 0);
		rules[i + 1].ifaces = masks[i];
		rules[i + 1].dir = dirs[i];
	}
	rs.rules = rules;
	rs.n = n + 1;
	assert_int_equal(rules_number(rules, rs.n, &bad_idx, &err), 0);
	rs.acl = rules_acl_build(&rs, msg, sizeof(msg));
	assert_non_null(rs.acl);
	assert_int_equal(rules_acl_categories(rs.acl), want_cat);
	assert_string_equal(rules_acl_layout(rs.acl), want_layout);
	ifaces_check(&rs);
	rules_acl_free(rs.acl);
	for (unsigned int f = 0; f < 2; f++) {
		rs.acl = rules_acl_build_opt(&rs, forced[f], msg, sizeof(msg));
		assert_non_null(rs.acl);
		assert_string_equal(rules_acl_layout(rs.acl), f ? "two-ifaces" : "per-dir");
		ifaces_check(&rs);
		rules_acl_free(rs.acl);
	}
	for (unsigned int i = 0; i < rs.n; i++)
		rules_rule_clear(&rules[i]);
}

static void
ifaces_check(const struct dpf_ruleset *rs)
{
	for (unsigned int dir = IN; dir <= OUT; dir++) {
		for (unsigned int i = 0; i < 70; i++) {
			struct rule_pkt p = pkt((uint8_t)dir, (uint16_t)i, 17, "10.0.0.1", 1,
						"10.0.0.2", 2, 0);

			expect(rs, &p, rules_eval_ref(rs, &p), rules_acl_layout(rs->acl));
		}
	}
	for (unsigned int i = 0; i < 70; i++) {
		struct rule_pkt p = pkt(IN, (uint16_t)i, 17, "10.0.0.1", 1, "10.0.0.2", 2, 0);
		const struct rule_pkt *pp[1] = { &p };

		for (int o = -1; o < 70; o++) {
			struct rule_pkt q = p;
			int rin = -7, rout = -7;

			assert_int_equal(rules_acl_eval_bulk_io(rs->acl, 4, pp, &o, 1, &rin, &rout),
					 0);
			assert_int_equal(rin, rules_eval_ref(rs, &p));
			if (o < 0) {
				assert_int_equal(rout, -7);
				continue;
			}
			q.dir = OUT;
			q.iface = (uint16_t)o;
			assert_int_equal(rout, rules_eval_ref(rs, &q));
		}
	}
}

static void
test_iface_classes(void **state)
{
	/* Two groups of ten, one interface, the rest: 4 classes, 8 categories. */
	const uint64_t groups[] = { 0x3ffull, 0x3ffull << 10, 1ull << 30, 0x3ffull };
	const uint8_t gdirs[] = { IN, OUT, RULE_DIR_BOTH, OUT };
	/* Nine interfaces told apart: 10 classes, two interfaces in the input. */
	const uint64_t nine[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
	const uint8_t ndirs[] = { IN, OUT, IN, OUT, IN, OUT, IN, OUT, RULE_DIR_BOTH };
	/* Seven apart, one of them the last index: 8 classes, 16 categories. */
	const uint64_t seven[] = { 1, 2, 4, 8, 16, 32, 1ull << 63 };
	/* Overlapping sets {0-3}, {1-4}, {0}, {2}: classes {0}, {1,3}, {2}, {4}
	 * and the rest, 5: 12 categories. */
	const uint64_t over[] = { 0x0f, 0x1e, 0x01, 0x04 };

	(void)state;
	ifaces_case(groups, gdirs, 4, 8, "classes");
	ifaces_case(nine, ndirs, 9, 4, "two-ifaces");
	ifaces_case(seven, ndirs, 7, 16, "classes");
	ifaces_case(over, gdirs, 4, 12, "classes");
}

static void
test_addresses(void **state)
{
	const char *const t[] = {
		"block all",
		"pass from <trusted> no state",		/* 1 */
		"pass to self no state",		/* 2 */
		"pass from wan:network to ! lan:network no state", /* 3 (inet) */
		"pass from ! { 10.0.0.0/8 2001:db8::/32 } to 203.0.113.7 no state", /* 4 */
		"pass from ! <empty> to 192.0.2.0/24 no state", /* 5: both afs */
		"pass from <empty> no state",		/* 6: never */
	};
	struct dpf_ruleset *rs;
	struct rule_pkt p;

	(void)state;
	rs = ruleset(false, t, 7);
	p = pkt(IN, 0, 17, "198.18.1.77", 1, "198.51.100.1", 2, 0);
	expect(rs, &p, 1, "table, IPv4");
	p = pkt(IN, 0, 17, "2001:db8:5:ffff::1", 1, "2001:db8::99", 2, 0);
	expect(rs, &p, 1, "table, IPv6");
	p = pkt(IN, 0, 17, "2001:db8:6::1", 1, "2001:db8::99", 2, 0);
	expect(rs, &p, 0, "outside the table");
	p = pkt(IN, 0, 17, "192.0.2.9", 1, "198.19.0.1", 2, 0);
	expect(rs, &p, 2, "self: sync's address");
	p = pkt(IN, 0, 17, "2001:db8:9::9", 1, "2001:db8:1::2", 2, 0);
	expect(rs, &p, 2, "self: lan's IPv6 address");
	p = pkt(IN, 0, 17, "2001:db8:9::9", 1, "2001:db8:1::3", 2, 0);
	expect(rs, &p, 0, "not self: lan's network only");
	p = pkt(IN, 0, 17, "198.18.2.255", 1, "198.18.0.1", 2, 0);
	expect(rs, &p, 3, "wan:network to not lan:network");
	p = pkt(IN, 0, 17, "198.18.2.255", 1, "198.18.1.0", 2, 0);
	expect(rs, &p, 0, "wan:network to lan:network");
	p = pkt(IN, 0, 17, "11.0.0.0", 1, "203.0.113.7", 2, 0);
	expect(rs, &p, 4, "negated set, just above 10/8");
	p = pkt(IN, 0, 17, "10.255.255.255", 1, "203.0.113.7", 2, 0);
	expect(rs, &p, 0, "negated set, top of 10/8");
	p = pkt(IN, 0, 17, "9.255.255.255", 1, "203.0.113.7", 2, 0);
	expect(rs, &p, 4, "negated set, just below 10/8");
	p = pkt(IN, 0, 17, "255.255.255.255", 1, "203.0.113.7", 2, 0);
	expect(rs, &p, 4, "negated set, top of the space");
	p = pkt(IN, 0, 17, "0.0.0.0", 1, "192.0.2.200", 2, 0);
	expect(rs, &p, 5, "not in an empty table");
	p = pkt(IN, 0, 17, "2001:db9::", 1, "192.0.2.200", 2, 0);
	p.af = 6;
	memcpy(p.dst, pfx("2001:db8::1").addr, 16);
	expect(rs, &p, 0, "IPv6 packet, IPv4-only destination");
	ruleset_free(rs);
}

static void
test_ports(void **state)
{
	const char *const t[] = {
		"block all",
		"pass proto tcp to port 4000 <> 5000 no state",	/* 1 */
		"pass proto tcp to port 1000:2000 no state",	/* 2 */
		"pass proto tcp to port 3000 >< 3010 no state",	/* 3 */
		"pass proto udp to port != 53 no state",	/* 4 */
		"pass proto udp from port < 10 to port <= 10 no state",	/* 5 */
		"pass proto udp from port > 65534 no state",	/* 6 */
		"pass proto udp from port >= 65535 to port 7 no state",	/* 7 */
		"pass proto icmp icmp-type unreach code port-unr no state", /* 8 */
		"pass proto icmp icmp-type echoreq no state",	/* 9 */
	};
	static const struct {
		uint8_t proto;
		uint16_t sport, dport;
		int want;
	} c[] = {
		{ 6, 9, 999, 1 }, { 6, 9, 1000, 2 }, { 6, 9, 2000, 2 }, { 6, 9, 2001, 1 },
		{ 6, 9, 3000, 1 }, { 6, 9, 3001, 3 }, { 6, 9, 3009, 3 }, { 6, 9, 3010, 1 },
		{ 6, 9, 3999, 1 }, { 6, 9, 4000, 0 }, { 6, 9, 4500, 0 }, { 6, 9, 5000, 0 },
		{ 6, 9, 5001, 1 }, { 6, 9, 65535, 1 }, { 6, 9, 0, 1 },
		{ 17, 100, 53, 0 }, { 17, 100, 52, 4 }, { 17, 100, 54, 4 },
		{ 17, 9, 10, 5 }, { 17, 10, 10, 4 }, { 17, 9, 53, 0 },
		{ 17, 65535, 53, 6 }, { 17, 65534, 53, 0 }, { 17, 65535, 7, 7 },
		{ 1, 3, 3, 8 }, { 1, 3, 2, 0 }, { 1, 8, 0, 9 }, { 1, 8, 77, 9 }, { 1, 0, 0, 0 },
	};
	struct dpf_ruleset *rs;
	char what[64];

	(void)state;
	rs = ruleset(false, t, 10);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rule_pkt p = pkt(IN, 0, c[i].proto, "10.0.0.1", c[i].sport, "10.0.0.2",
					c[i].dport, SYN);

		snprintf(what, sizeof(what), "proto %u %u -> %u", c[i].proto, c[i].sport,
			 c[i].dport);
		expect(rs, &p, c[i].want, what);
	}
	ruleset_free(rs);
}

static void
test_bulk_mixed(void **state)
{
	const char *const t[] = { "block all", "pass in proto tcp to port 80 no state",
				  "pass quick from 10.0.0.0/8 no state" };
	struct rule_pkt p[RULES_ACL_BULK_MAX];
	const struct rule_pkt *pp[RULES_ACL_BULK_MAX];
	int res[RULES_ACL_BULK_MAX];
	struct dpf_ruleset *rs;

	(void)state;
	rs = ruleset(false, t, 3);
	for (unsigned int i = 0; i < RULES_ACL_BULK_MAX; i++) {
		char src[32];

		snprintf(src, sizeof(src), "%u.0.0.1", 8 + i % 4);
		p[i] = pkt(i % 3 ? IN : OUT, 0, 6, src, 1, "192.0.2.1", (uint16_t)(79 + i % 3), SYN);
		pp[i] = &p[i];
	}
	assert_int_equal(rules_acl_eval_bulk(rs->acl, 4, pp, RULES_ACL_BULK_MAX, res), 0);
	for (unsigned int i = 0; i < RULES_ACL_BULK_MAX; i++)
		assert_int_equal(res[i], rules_eval_ref(rs, &p[i]));
	assert_int_equal(rules_acl_eval_bulk(rs->acl, 4, pp, RULES_ACL_BULK_MAX + 1, res), -1);
	ruleset_free(rs);
}

static void
test_expansion_limit(void **state)
{
	char text[65536];
	size_t at;
	struct rules_error err;
	struct dpf_ruleset rs = { 0 };
	struct dpf_rule r;
	char msg[512];
	struct rules_acl *acl;

	(void)state;
	/*
	 * 200 sources x 200 destinations (hosts two apart, so that they do not
	 * merge into one interval), twice (TCP with flags S/SA and every
	 * other protocol): 80,000 entries > RULES_ACL_MAX_PER_RULE (16,384).
	 */
	at = (size_t)snprintf(text, sizeof(text), "pass from {");
	for (int i = 0; i < 200; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, " 10.0.%d.%d", i / 125,
				       2 * (i % 125));
	at += (size_t)snprintf(text + at, sizeof(text) - at, " } to {");
	for (int i = 0; i < 200; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, " 10.1.%d.%d", i / 125,
				       2 * (i % 125));
	snprintf(text + at, sizeof(text) - at, " }");
	assert_int_equal(rules_parse_string(text, &env, &r, &err), 0);
	rs.n = 1;
	rs.rules = &r;
	acl = rules_acl_build(&rs, msg, sizeof(msg));
	assert_null(acl);
	if (strstr(msg, "rules[0] (id 0) expands to 80000 classifier entries") == NULL)
		print_error("%s\n", msg);
	assert_non_null(strstr(msg, "rules[0] (id 0) expands to 80000 classifier entries"));
	rules_rule_clear(&r);
}

/*
 * A negated IPv6 host is one range of classes (the other classes), where
 * address words needed 7 boxes: 1 entry for the rule below, not 7 x 7.
 */
static void
test_ipv6_negated_entries(void **state)
{
	const char *const t[] = { "pass inet6 from ! 2001:db8::1 to ! 2001:db8::2 no state" };
	static const struct {
		const char *src, *dst;
		int want;
	} c[] = {
		{ "2001:db8::1", "2001:db8::3", -1 }, { "2001:db8::3", "2001:db8::2", -1 },
		{ "2001:db8::3", "2001:db8::4", 0 }, { "2001:db8::", "::", 0 },
		{ "ffff::1", "2001:db8::1", 0 }, { "2001:db8::1", "2001:db8::2", -1 },
	};
	struct dpf_ruleset *rs = ruleset(false, t, 1);

	(void)state;
	assert_int_equal(rules_acl_entries(rs->acl, 6), 1);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rule_pkt p = pkt(IN, 0, 17, c[i].src, 1, c[i].dst, 2, 0);

		expect(rs, &p, c[i].want, c[i].src);
	}
	ruleset_free(rs);
}

/*
 * Over 65,536 IPv6 source prefixes: the classifier's IPv6 address classes
 * (dataplane/rules_cls6.h) no longer fit in 2 bytes and take the 4-byte
 * layout.  70,000 hosts two apart (as address ranges they do not merge; as
 * classes they do: one classifier entry), a quick /120 among them and a
 * negated set; every answer must equal the reference evaluator's.
 */
#define WIDE_HOSTS 70000u

static void
wide_host(uint8_t a[16], unsigned int i)
{
	struct rule_prefix p = pfx("2001:db8:7::");

	memcpy(a, p.addr, 16);
	a[13] = (uint8_t)(i >> 15);
	a[14] = (uint8_t)(i >> 7);
	a[15] = (uint8_t)(i << 1);
}

static void
test_ipv6_wide_classes(void **state)
{
	const char *const t[] = {
		"block inet6 all",					/* 0 */
		"pass inet6 from 2001:db8:7::/48 to any no state",	/* 1: hosts */
		"block quick inet6 from 2001:db8:7::100/120 to any",	/* 2 */
		"pass inet6 from ! { 2001:db8:7::/64 2001:db8:9::/48 } to 2001:db8:8::/48 "
		"no state",						/* 3 */
	};
	struct dpf_ruleset rs = { 0 };
	struct rules_error err;
	struct dpf_rule r[4];
	unsigned int bad_idx, entries[2], hits[4] = { 0 };
	char msg[512];
	int bad_rule;

	(void)state;
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(rules_parse_string(t[i], &env, &r[i], &err), 0);
	free(r[1].src.pfx);
	r[1].src.pfx = calloc(WIDE_HOSTS, sizeof(*r[1].src.pfx));
	assert_non_null(r[1].src.pfx);
	for (unsigned int i = 0; i < WIDE_HOSTS; i++) {
		r[1].src.pfx[i].af = 6;
		r[1].src.pfx[i].plen = 128;
		wide_host(r[1].src.pfx[i].addr, i);
	}
	r[1].src.n_pfx = WIDE_HOSTS;
	rs.rules = r;
	rs.n = 4;
	assert_int_equal(rules_number(rs.rules, rs.n, &bad_idx, &err), 0);
	rs.acl = rules_acl_build(&rs, msg, sizeof(msg));
	if (rs.acl == NULL)
		print_error("rules_acl_build: %s\n", msg);
	assert_non_null(rs.acl);
	assert_int_equal(rules_acl_check(&rs, entries, &bad_rule, msg, sizeof(msg)), 0);
	assert_int_equal(entries[1], rules_acl_entries(rs.acl, 6));
	assert_true(rules_acl_entries(rs.acl, 6) < 32);
	assert_true(rules_acl_cls_memory(rs.acl) > 0);
	for (unsigned int k = 0; k < 4000; k++) {
		unsigned int i = (k * 7919u) % WIDE_HOSTS;
		struct rule_pkt p = pkt(IN, 0, 17, "2001:db8:7::1", 1, k % 3 ? "2001:db8:8::1" :
					"2001:db8:5::1", 2, 0);
		char what[64];
		int ref;

		wide_host(p.src, i);
		p.src[15] = (uint8_t)(p.src[15] | (k & 1));	/* a host or the address after it */
		if (k % 5 == 0)
			p.src[6] = 9;				/* 2001:db8:9:... */
		if (k % 7 == 0)
			p.src[7] = 1;				/* outside the /64 */
		ref = rules_eval_ref(&rs, &p);
		assert_true(ref >= 0 && ref < 4);
		hits[ref]++;
		snprintf(what, sizeof(what), "wide host %u (k %u)", i, k);
		expect(&rs, &p, ref, what);
	}
	for (unsigned int i = 0; i < 4; i++)	/* every rule decided some packets */
		assert_true(hits[i] > 0);
	rules_acl_free(rs.acl);
	for (unsigned int i = 0; i < 4; i++)
		rules_rule_clear(&r[i]);
}

/* --- golden files --- */

static char srcdir[4096];

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/*
 * good/NAME.json is a config whose `dpf -n` print (cfg_print) must equal
 * NAME.out, and load again to the same print; bad/NAME.json must fail with
 * the one line in NAME.err (FILE:LINE:COL: PATH: MESSAGE).
 */
static void
run_golden(const char *dir, const char *name)
{
	char path[4600], *want, *got = NULL;
	bool is_good = strcmp(dir, "good") == 0;
	struct dpf_config *cfg = NULL, *again = NULL;
	struct cfg_error err;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/rules/%s/%s.%s", srcdir, dir, name,
		 is_good ? "out" : "err");
	want = read_file(path);
	assert_non_null(want);
	snprintf(path, sizeof(path), "%s/tests/rules/%s/%s.json", srcdir, dir, name);
	if (!is_good) {
		char line[1024], file[300];

		assert_int_equal(cfg_load_file(path, &cfg, &err), -1);
		snprintf(file, sizeof(file), "%s.json", name);
		cfg_error_format(&err, file, line, sizeof(line));
		strcat(line, "\n");
		if (strcmp(line, want) != 0)
			print_error("bad/%s.json\n   got %s  want %s", name, line, want);
		assert_string_equal(line, want);
		free(want);
		return;
	}
	if (cfg_load_file(path, &cfg, &err) != 0) {
		print_error("good/%s.json:%d:%d: %s: %s\n", name, err.line, err.column, err.path,
			    err.msg);
		fail();
	}
	f = open_memstream(&got, &len);
	assert_non_null(f);
	cfg_print(f, cfg);
	fclose(f);
	if (strcmp(got, want) != 0)
		print_error("good/%s: got\n%s", name, got);
	assert_string_equal(got, want);
	/* The printed config loads and prints the same again. */
	assert_int_equal(cfg_load_string(got, &again, &err), 0);
	free(want);
	want = got;
	got = NULL;
	f = open_memstream(&got, &len);
	assert_non_null(f);
	cfg_print(f, again);
	fclose(f);
	assert_string_equal(got, want);
	free(got);
	free(want);
	cfg_free(cfg);
	cfg_free(again);
}

static void
test_golden(void **state)
{
	static const char *const dirs[] = { "good", "bad" };
	unsigned int n = 0;

	(void)state;
	for (int d = 0; d < 2; d++) {
		char path[4200];
		struct dirent *e;
		DIR *dp;

		snprintf(path, sizeof(path), "%s/tests/rules/%s", srcdir, dirs[d]);
		dp = opendir(path);
		assert_non_null(dp);
		while ((e = readdir(dp)) != NULL) {
			size_t l = strlen(e->d_name);
			char name[256];

			if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(l - 5), e->d_name);
			run_golden(dirs[d], name);
			n++;
		}
		closedir(dp);
	}
	assert_true(n >= 2);
}

static int
eal_setup(void **state)
{
	char *argv[] = { "test_rules", "--no-huge", "--no-shconf", "--no-pci", "-l", "0", "-m",
			 "256", "--log-level=lib.eal:error", NULL };

	(void)state;
	if (rte_eal_init(9, argv) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const char *env_dir = getenv("DPF_SRCDIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_objects_bad),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_last_match_and_quick),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_dir_iface),
		cmocka_unit_test(test_iface_classes),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_bulk_mixed),
		cmocka_unit_test(test_expansion_limit),
		cmocka_unit_test(test_ipv6_negated_entries),
		cmocka_unit_test(test_ipv6_wide_classes),
		cmocka_unit_test(test_golden),
	};

	snprintf(srcdir, sizeof(srcdir), "%s", env_dir != NULL ? env_dir : ".");
	env_init();
	return cmocka_run_group_tests_name("rules", tests, eal_setup, NULL);
}
