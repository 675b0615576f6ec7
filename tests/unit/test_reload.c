/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for live reload's pure parts (control/plan/plan_diff.h):
 *
 *  - live[]: which JSON paths a reload applies and which need a restart,
 *    key boundaries included ("rulesx" is not under "rules").
 *  - diff: two compiled configs compared: no change, a written default is
 *    no change, live changes named by path, a restart key named (the first
 *    in the file's order) and the reload refused, limits.states above the
 *    start value refused and below it applied, the routes flag; pflog:
 *    another file, on and off applied; CARP's vhids (added, removed,
 *    changed, their passphrase), pfsync's peer/maxupd/flush_us/defer and
 *    an interface's addresses applied (the addresses as a routes change);
 *    the sync interface and key, an interface's MTU refused by key.
 *  - hist: the rollback timer on a hand-driven clock: due exactly at the
 *    deadline, confirm stops it, undo returns the previous entry once,
 *    what push gives back for freeing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/plan/plan.h"
#include "control/plan/plan_diff.h"

/* --- which keys are live --- */

static const struct {
	const char *path;
	uint64_t new_v;
	bool live;
} live_cases[] = {
	{ "rules", 0, true },
	{ "rules[3]", 0, true },
	{ "tables.bad", 0, true },
	{ "tables.bad[2]", 0, true },
	{ "routes[0].via", 0, true },
	{ "timeouts.tcp.established", 0, true },
	{ "options.default", 0, true },
	{ "limits.table-entries", 0, true },
	{ "limits.tables", 0, true },
	{ "limits.states", 1000, true },	/* below the start value (5000) */
	{ "limits.states", 5000, true },
	{ "limits.states", 5001, false },	/* the tables were sized for 5000 */
	{ "limits.frags", 10, false },
	{ "rulesx", 0, false },
	{ "dataplane.workers", 2, false },
	{ "dataplane.eal.args[1]", 0, false },
	{ "interfaces[0].ipv4[0]", 0, true },
	{ "interfaces[0].ipv4", 0, true },
	{ "interfaces[12].ipv6[3]", 0, true },
	{ "interfaces[0].ipv4x", 0, false },
	{ "interfaces[0].mtu", 1400, false },
	{ "interfaces[0].groups[0]", 0, false },
	{ "interfaces[0].port", 0, false },
	{ "interfaces[].ipv4", 0, false },
	{ "interfaces[2]", 0, false },
	{ "carp.vhids[0].advskew", 100, true },
	{ "carp.vhids[3]", 0, true },
	{ "carp.preempt", 0, true },
	{ "sync.maxupd", 1, true },
	{ "sync.peer", 0, true },
	{ "sync.flush_us", 0, true },
	{ "sync.defer", 0, true },
	{ "sync.interface", 0, false },
	{ "sync.key_file", 0, false },
	{ "logging.pflog", 0, true },	/* another file, on or off */
	{ "logging", 0, false },
	{ "system.hostname", 0, false },
	{ "system.control.socket", 0, false },
	{ "schema_version", 0, false },
};

static void
test_live(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(live_cases) / sizeof(live_cases[0]); i++) {
		const char *why = plan_diff_live(live_cases[i].path, 0, live_cases[i].new_v, 5000);

		if ((why == NULL) != live_cases[i].live)
			fail_msg("%s (%" PRIu64 "): expected %s, got %s", live_cases[i].path,
				 live_cases[i].new_v, live_cases[i].live ? "live" : "restart",
				 why == NULL ? "live" : why);
	}
}

/* --- diff of compiled configs --- */

#define CFG_FMT "{\"schema_version\": 1,\n" \
	"\"system\": {\"hostname\": \"%s\"},\n" \
	"\"dataplane\": {%s\"ports\": [{\"name\": \"p0\", \"device\": \"net_null0\"}]},\n" \
	"\"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\", \"ipv4\": [%s]}],\n" \
	"\"tables\": {\"t\": [%s]},\n" \
	"\"routes\": [%s],\n" \
	"\"limits\": {\"states\": %u},\n%s" \
	"\"rules\": [\"block all\", \"pass in on lan proto tcp from <t> to port %u\"]}\n"

struct cfgv {
	const char *host;
	const char *dp;		/* extra dataplane keys, "" or "\"burst\": 16, " */
	const char *table;
	const char *routes;
	unsigned int states;
	unsigned int port;
	const char *top;	/* more top-level keys, each followed by ",\n" */
	const char *addrs;	/* lan's IPv4 addresses */
};

static const struct cfgv base = { "fw", "", "\"198.18.5.0/24\"", "", 5000, 22,
				  "\"logging\": {\"pflog\": \"/run/dpf/a.pcap\"},\n",
				  "\"198.18.0.1/15\"" };

static struct dpf_plan *
plan_of(const struct cfgv *v)
{
	struct dpf_config *cfg;
	struct dpf_plan *p;
	struct cfg_error err;
	char text[2048];

	snprintf(text, sizeof(text), CFG_FMT, v->host, v->dp, v->addrs, v->table, v->routes,
		 v->states, v->top, v->port);
	memset(&err, 0, sizeof(err));
	if (cfg_load_string(text, &cfg, &err) != 0)
		fail_msg("load: %d:%d: %s: %s\n%s", err.line, err.column, err.path, err.msg, text);
	if (plan_compile(cfg, NULL, &p, &err) != 0)
		fail_msg("compile: %s: %s", err.path, err.msg);
	return p;
}

static void
diff_of(const struct cfgv *a, const struct cfgv *b, struct plan_diff *d)
{
	struct dpf_plan *pa = plan_of(a), *pb = plan_of(b);

	assert_int_equal(plan_diff(pa, pb, 5000, d), 0);
	plan_free(pa);
	plan_free(pb);
}

static void
test_diff_none(void **state)
{
	struct cfgv v = base;
	struct plan_diff d;

	(void)state;
	diff_of(&base, &base, &d);
	assert_false(d.refused);
	assert_int_equal(d.n_live, 0);
	/* burst 32 is the default: writing it changes nothing. */
	v.dp = "\"burst\": 32, ";
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_int_equal(d.n_live, 0);
}

static void
test_diff_live(void **state)
{
	struct cfgv v = base;
	struct plan_diff d;

	(void)state;
	v.port = 443;
	v.table = "\"198.18.5.0/24\", \"198.18.6.0/24\"";
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_int_equal(d.n_live, 2);
	assert_string_equal(d.live[0], "tables.t[1]");
	assert_string_equal(d.live[1], "rules[1]");
	assert_false(d.routes);

	v = base;
	v.routes = "{\"prefix\": \"198.51.100.0/24\", \"via\": \"198.18.0.2\"}";
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_true(d.routes);
	assert_string_equal(d.live[0], "routes[0]");

	v = base;
	v.states = 1000;	/* lower: live */
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_string_equal(d.live[0], "limits.states");
}

static void
test_diff_refused(void **state)
{
	struct cfgv v = base;
	struct plan_diff d;

	(void)state;
	v.dp = "\"burst\": 16, ";
	v.port = 443;		/* a live change beside it: refused all the same */
	diff_of(&base, &v, &d);
	assert_true(d.refused);
	assert_string_equal(d.key, "dataplane.burst");

	/* The first in the file's order is named. */
	v.host = "other";
	diff_of(&base, &v, &d);
	assert_true(d.refused);
	assert_string_equal(d.key, "system.hostname");

	v = base;
	v.states = 5001;
	diff_of(&base, &v, &d);
	assert_true(d.refused);
	assert_string_equal(d.key, "limits.states");
	assert_non_null(strstr(d.why, "restart"));
}

/* pflog: another file, turning it on or off: all live. */
static void
test_diff_pflog(void **state)
{
	struct cfgv v = base;
	struct plan_diff d;

	(void)state;
	v.top = "\"logging\": {\"pflog\": \"/run/dpf/b.pcap\"},\n";
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_true(d.pflog);
	assert_string_equal(d.live[0], "logging.pflog");

	v.top = "\"logging\": {\"pflog\": null},\n";
	diff_of(&base, &v, &d);
	assert_false(d.refused);
	assert_true(d.pflog);
	assert_string_equal(d.live[0], "logging.pflog");
	diff_of(&v, &base, &d);
	assert_false(d.refused);
	assert_true(d.pflog);
}

/* CARP, pfsync and addresses: HA settings a reload applies, and what it still refuses. */
#define HA_VHID(n, skew, pass, addr) "{\"vhid\": " #n ", \"interface\": \"lan\", " \
	"\"advskew\": " #skew ", \"pass\": \"" pass "\", \"addresses\": [\"" addr "\"]}"
#define HA_SYNC(peer, rest) "\"sync\": {\"interface\": \"lan\", \"peer\": \"" peer "\"" rest \
	"},\n"

static bool
has_live(const struct plan_diff *d, const char *path)
{
	for (unsigned int i = 0; i < d->n_kept; i++)
		if (strcmp(d->live[i], path) == 0)
			return true;
	return false;
}

static void
test_diff_ha(void **state)
{
	struct cfgv a = base, v;
	struct plan_diff d;

	(void)state;
	a.top = "\"carp\": {\"vhids\": [" HA_VHID(1, 0, "one", "198.18.0.10/15") "]},\n"
		HA_SYNC("198.18.0.2", "");
	v = a;
	diff_of(&base, &a, &d);		/* pfsync turned on: a restart */
	assert_true(d.refused);
	assert_string_equal(d.key, "sync.interface");
	/* A vhid added, one changed, passphrase changed. */
	v.top = "\"carp\": {\"vhids\": [" HA_VHID(1, 100, "two", "198.18.0.10/15") ", "
		HA_VHID(2, 0, "one", "198.18.0.11/15") "]},\n" HA_SYNC("198.18.0.2", "");
	diff_of(&a, &v, &d);
	assert_false(d.refused);
	assert_false(d.routes);
	assert_true(has_live(&d, "carp.vhids[0].advskew"));
	assert_true(has_live(&d, "carp.vhids[1]"));
	assert_true(has_live(&d, "carp.vhids[0].pass"));
	/* All vhids removed. */
	v.top = "\"carp\": {\"vhids\": []},\n" HA_SYNC("198.18.0.2", "");
	diff_of(&a, &v, &d);
	assert_false(d.refused);
	assert_string_equal(d.live[0], "carp.vhids[0]");
	/* pfsync's settings. */
	v.top = "\"carp\": {\"vhids\": [" HA_VHID(1, 0, "one", "198.18.0.10/15") "]},\n"
		HA_SYNC("198.18.0.3", ", \"maxupd\": 7, \"flush_us\": 500, \"defer\": true");
	diff_of(&a, &v, &d);
	assert_false(d.refused);
	assert_int_equal(d.n_live, 4);
	assert_string_equal(d.live[0], "sync.peer");
	/* An interface's addresses: live, and the FIB is rebuilt for them. */
	v = a;
	v.addrs = "\"198.18.0.1/15\", \"198.18.0.5/15\"";
	diff_of(&a, &v, &d);
	assert_false(d.refused);
	assert_true(d.routes);
	assert_string_equal(d.live[0], "interfaces[0].ipv4[1]");
	/* The sync interface itself: a restart, named by key. */
	v = a;
	v.top = "\"carp\": {\"vhids\": [" HA_VHID(1, 0, "one", "198.18.0.10/15") "]},\n";
	diff_of(&a, &v, &d);
	assert_true(d.refused);
	assert_string_equal(d.key, "sync.interface");
	assert_non_null(strstr(d.why, "start"));
}

/* --- history and the rollback timer --- */

static void
test_hist(void **state)
{
	struct plan_hist h = { .cur = "boot" };
	char a[] = "a", b[] = "b";

	(void)state;
	assert_null(plan_hist_undo(&h));	/* nothing before boot */
	assert_string_equal(h.cur, "boot");
	assert_int_equal(plan_hist_confirm(&h), -1);

	/* configure a timeout 10: due at 1000 + 10000, not a millisecond before. */
	assert_null(plan_hist_push(&h, a, 1000, 10000));
	assert_true(plan_hist_pending(&h));
	assert_false(plan_hist_due(&h, 10999));
	assert_int_equal(plan_hist_left(&h, 10999), 1);
	assert_true(plan_hist_due(&h, 11000));
	assert_int_equal(plan_hist_left(&h, 11000), 0);
	/* The timer's rollback is an undo: a is given back, boot runs again. */
	assert_ptr_equal(plan_hist_undo(&h), a);
	assert_string_equal(h.cur, "boot");
	assert_null(h.prev);
	assert_false(plan_hist_pending(&h));
	assert_false(plan_hist_due(&h, 99999));

	/* Confirmed in time: never due. */
	assert_null(plan_hist_push(&h, a, 0, 5000));
	assert_int_equal(plan_hist_confirm(&h), 0);
	assert_false(plan_hist_pending(&h));
	assert_false(plan_hist_due(&h, 100000));
	assert_int_equal(plan_hist_confirm(&h), -1);

	/* Without a timeout: not pending; the older previous comes back for freeing. */
	assert_string_equal(plan_hist_push(&h, b, 0, 0), "boot");
	assert_false(plan_hist_pending(&h));
	assert_ptr_equal(h.prev, a);
	assert_ptr_equal(plan_hist_undo(&h), b);
	assert_ptr_equal(h.cur, a);
	assert_null(plan_hist_undo(&h));	/* one step only */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_diff_none),
		cmocka_unit_test(test_diff_live),
		cmocka_unit_test(test_diff_refused),
		cmocka_unit_test(test_diff_pflog),
		cmocka_unit_test(test_diff_ha),
		cmocka_unit_test(test_hist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
