/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpfctl commands of the packet filter.
 *
 *   show states [-v|-vv]   pfctl -s states layout [OpenBSD pfctl_parser.c print_state]
 *   show rules [-v]        pfctl -s rules / -vs rules
 *   state kill SELECTOR    pfctl -k: all | id ID[/CREATORID] | host PREFIX |
 *                          from PREFIX [to PREFIX] | rule ID | proto NAME
 *
 * States are read with dp_state_snapshot() while the workers run (see
 * dataplane/state.h for the protocol).  A kill is a request every worker
 * carries out on its own table (dataplane/filter_cmd.h): the handler posts
 * one KILL per worker and defers its reply (ctl_defer()); the control loop
 * collects the completions in filter_cmds_poll() and answers `killed N
 * states` once the last worker has, so the loop, and CARP with it, never
 * waits for a kill.  A kill that takes longer than FILTER_KILL_TIMEOUT_US
 * is answered with an error (it still completes).
 *
 * filter_cmds_poll() also drains the workers' state event rings, counted
 * (sev_taken) until the pfsync engine consumes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/app/app.h"
#include "control/app/filter_cmds.h"
#include "control/pfsync/pfsync.h"
#include "control/plan/plan.h"
#include "control/rules/rules.h"
#include "dataplane/filter.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/pf_track.h"
#include "dataplane/rules_acl.h"
#include "dataplane/state.h"
#include "proto/pftm.h"

#define FILTER_JOBS 16				/* kills under way at once */
#define FILTER_KILL_TIMEOUT_US (5 * 1000000ull)	/* answer by then, done or not */
#define FILTER_DONE_BURST 64			/* completions taken per poll */
#define FILTER_SEV_BURST 4096			/* state events taken per poll */

/*
 * A `state kill` under way: one KILL on every worker's ring, tagged with
 * (seq, slot).  The slot stays busy until every worker has answered, even
 * after the client got a timeout, so that a late completion is never
 * taken for another kill's.  [C]
 */
struct filter_job {
	bool busy;
	uint32_t seq;
	struct ctl_pending *reply;	/* NULL once answered */
	unsigned int waiting;		/* workers yet to complete */
	uint64_t killed;
	int err;			/* a worker's -errno, 0 */
	uint64_t deadline_us;		/* dp clock */
};

struct filter_ctl {
	struct filter_job jobs[FILTER_JOBS];
	uint32_t seq;
	uint64_t done_stray;		/* completions of no job (a bug if not 0) */
	struct dp_sev ev[FILTER_SEV_BURST];	/* filter_cmds_poll()'s buffer */
};

#define FILTER_TAG(seq, slot) ((uint64_t)(seq) << 8 | (slot))

/* A state's timeout index: PFTM_PURGE and PFTM_UNLINKED show as "purge". */
static const char *
timeout_name(unsigned int t)
{
	return t < PFTM_MAX ? pftm_name(t) : "purge";
}

static void
fmt_hms(uint32_t s, char *buf, size_t len)
{
	snprintf(buf, len, "%02u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
}

/* Addresses and ports of a state's sides: [0] the creator, [1] the other. */
struct state_view {
	char addr[2][INET6_ADDRSTRLEN];
	uint16_t port[2];
};

static void
state_view(const struct dp_state *st, const union dp_state_key *key, struct state_view *v)
{
	unsigned int c = (st->flags & DP_STF_SWAPPED) ? 1 : 0, i;

	for (i = 0; i < 2; i++) {
		unsigned int k = i == 0 ? c : 1 - c;

		if (st->af == 4) {
			inet_ntop(AF_INET, &key->k4.addr[k], v->addr[i], sizeof(v->addr[i]));
			v->port[i] = ntohs(key->k4.port[k]);
		} else {
			inet_ntop(AF_INET6, key->k6.addr[k], v->addr[i], sizeof(v->addr[i]));
			v->port[i] = ntohs(key->k6.port[k]);
		}
	}
}

static void
fmt_endpoint(const struct dp_state *st, const char *addr, uint16_t port, char *buf,
	     size_t len)
{
	bool ports = st->proto == 6 || st->proto == 17 || st->proto == 132;

	if (!ports && st->proto != 1 && st->proto != 58)
		snprintf(buf, len, "%s", addr);
	else if (st->af == 6)
		snprintf(buf, len, "%s[%u]", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
}

static const char *
proto_str(uint8_t proto, char *buf, size_t len)
{
	const char *n = rules_proto_name(proto);

	if (n != NULL)
		return n;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* A peer's level as pfctl prints it; a number where pf has no name (ICMP). */
static const char *
state_level(const struct dp_state *st, unsigned int side)
{
	static const char *const num[] = { "0", "1", "2", "3" };
	uint8_t lv = st->track.peer[side].state;
	const char *n = pf_track_state_name(st->proto, lv);

	if (n != NULL)
		return n;
	return lv < 4 ? num[lv] : "?";
}

static json_t *
state_json(const struct app *app, const struct dp_state *st, const union dp_state_key *key,
	   uint64_t id, uint32_t cid, uint32_t now, unsigned int worker)
{
	const struct dp_rules *rules = atomic_load(&app->dp->rules);
	struct state_view v;
	json_t *o = json_object(), *p = json_array();
	unsigned int i;
	char pb[8], idb[20];

	state_view(st, key, &v);
	json_object_set_new(o, "proto", json_string(proto_str(st->proto, pb, sizeof(pb))));
	json_object_set_new(o, "af", json_string(st->af == 4 ? "inet" : "inet6"));
	json_object_set_new(o, "src", json_string(v.addr[0]));
	json_object_set_new(o, "src_port", json_integer(v.port[0]));
	json_object_set_new(o, "dst", json_string(v.addr[1]));
	json_object_set_new(o, "dst_port", json_integer(v.port[1]));
	for (i = 0; i < 2; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "state", json_string(state_level(st, i)));
		json_object_set_new(x, "packets", json_integer((json_int_t)dp_state_packets(st, i)));
		json_object_set_new(x, "bytes", json_integer((json_int_t)dp_state_bytes(st, i)));
		if (st->proto == 6) {
			json_object_set_new(x, "seqlo", json_integer(st->track.peer[i].seqlo));
			json_object_set_new(x, "seqhi", json_integer(st->track.peer[i].seqhi));
			json_object_set_new(x, "max_win", json_integer(st->track.peer[i].max_win));
			json_object_set_new(x, "wscale",
					    json_integer(st->track.peer[i].wscale & PF_WSCALE_MASK));
		}
		json_array_append_new(p, x);
	}
	json_object_set_new(o, "peers", p);
	json_object_set_new(o, "age", json_integer(now - st->creation));
	json_object_set_new(o, "expires_in", json_integer(st->expire > now ? st->expire - now : 0));
	json_object_set_new(o, "timeout", json_string(timeout_name(st->timeout)));
	if (rules != NULL && st->rule[1] == rules->gen && st->rule[0] < rules->n_rules)
		json_object_set_new(o, "rule", json_integer(rules->rs->rules[st->rule[0]].id));
	else
		json_object_set_new(o, "rule", json_null());
	snprintf(idb, sizeof(idb), "%016" PRIx64, id);
	json_object_set_new(o, "id", json_string(idb));
	snprintf(idb, sizeof(idb), "%08x", cid);
	json_object_set_new(o, "creatorid", json_string(idb));
	json_object_set_new(o, "worker", json_integer(worker));
	json_object_set_new(o, "in", json_string(app->dp->ifaces[st->iface[0]].name));
	json_object_set_new(o, "out", json_string(app->dp->ifaces[st->iface[1]].name));
	return o;
}

static void
state_text(struct ctl_out *out, const struct app *app, const struct dp_state *st,
	   const union dp_state_key *key, uint64_t id, uint32_t cid, uint32_t now, int verbose)
{
	const struct dp_rules *rules = atomic_load(&app->dp->rules);
	struct state_view v;
	char a[2][INET6_ADDRSTRLEN + 8], pb[8], age[16], exp[16];
	long rule = -1;
	int i;

	state_view(st, key, &v);
	for (i = 0; i < 2; i++)
		fmt_endpoint(st, v.addr[i], v.port[i], a[i], sizeof(a[i]));
	/* pfctl: "all tcp A -> B       LEVEL:LEVEL" (floating states print "all"). */
	ctl_printf(out, "all %s %s -> %s       %s:%s\n", proto_str(st->proto, pb, sizeof(pb)),
		   a[0], a[1], state_level(st, 0), state_level(st, 1));
	if (verbose == 0)
		return;
	if (st->proto == 6) {
		const struct pf_peer *p = st->track.peer;

		ctl_printf(out, "   [%u + %u](+%u) wscale %u  [%u + %u](+%u) wscale %u\n",
			   p[0].seqlo, p[0].seqhi - p[0].seqlo, 0u, p[0].wscale & PF_WSCALE_MASK,
			   p[1].seqlo, p[1].seqhi - p[1].seqlo, 0u, p[1].wscale & PF_WSCALE_MASK);
	}
	if (rules != NULL && st->rule[1] == rules->gen && st->rule[0] < rules->n_rules)
		rule = (long)rules->rs->rules[st->rule[0]].id;
	fmt_hms(now - st->creation, age, sizeof(age));
	fmt_hms(st->expire > now ? st->expire - now : 0, exp, sizeof(exp));
	ctl_printf(out, "   age %s, expires in %s, %" PRIu64 ":%" PRIu64 " pkts, %" PRIu64 ":%"
		   PRIu64 " bytes", age, exp, dp_state_packets(st, 0), dp_state_packets(st, 1),
		   dp_state_bytes(st, 0), dp_state_bytes(st, 1));
	if (rule >= 0)
		ctl_printf(out, ", rule %ld", rule);
	ctl_printf(out, "\n");
	if (verbose > 1) {
		ctl_printf(out, "   id: %016" PRIx64 " creatorid: %08x%s\n", id, cid,
			   (st->flags & DP_STF_NOSYNC) ? " (no-sync)" : "");
		ctl_printf(out, "   origif: %s, outif: %s\n", app->dp->ifaces[st->iface[0]].name,
			   app->dp->ifaces[st->iface[1]].name);
	}
}

static uint32_t
app_now(const struct app *app)
{
	return dp_clock_s(&app->dp->clock);	/* the workers' seconds (clock.h) */
}

/*
 * `show states` is streamed (ctl_stream()): a cursor over the workers'
 * tables, each step at most STATES_SCAN_STEP slots and one chunk of output,
 * so a table of any size costs the control loop a bounded slice per
 * iteration and a client that does not read costs nothing.  Each state is
 * a consistent snapshot; the listing as a whole is not one (a state made
 * or removed while it runs may be listed or not), as with pfctl.
 */
#define STATES_SCAN_STEP 16384	/* table slots looked at per step */

struct states_cursor {
	struct app *app;
	int verbose;
	unsigned int worker;
	uint32_t pos;
};

static void
states_fini(void *ctx)
{
	free(ctx);
}

static int
states_step(struct ctl_out *out, void *ctx)
{
	struct states_cursor *k = ctx;
	struct dp_main *dp = k->app->dp;
	uint32_t now = app_now(k->app), scanned = 0;
	json_t *arr = NULL;

	if (ctl_out_json(out)) {
		arr = json_array();
		ctl_json(out, arr);
		if (arr == NULL)
			return -1;
	}
	while (k->worker < dp->n_workers) {
		const struct dp_state_table *t = dp->workers[k->worker].states;
		struct dp_state st;
		union dp_state_key key;
		uint64_t id;
		uint32_t cid;

		if (t == NULL || k->pos >= t->total) {
			k->worker++;
			k->pos = 0;
			continue;
		}
		if (scanned++ == STATES_SCAN_STEP || ctl_stream_full(out))
			return 1;
		if (t->st[k->pos].af != 0 &&
		    dp_state_snapshot(t, k->pos, &st, &key, &id, &cid) == 0) {
			if (arr != NULL)
				json_array_append_new(arr, state_json(k->app, &st, &key, id, cid,
								      now, k->worker));
			else
				state_text(out, k->app, &st, &key, id, cid, now, k->verbose);
		}
		k->pos++;
	}
	return 0;
}

static int
cmd_show_states(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct states_cursor *k;
	int verbose = 0;

	if (argc == 1 && strcmp(argv[0], "-v") == 0)
		verbose = 1;
	else if (argc == 1 && strcmp(argv[0], "-vv") == 0)
		verbose = 2;
	else if (argc != 0) {
		ctl_error(out, CTL_BAD_ARG, "usage: show states [-v|-vv]");
		return -1;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	k->app = arg;
	k->verbose = verbose;
	return ctl_stream(out, states_step, states_fini, k);
}

/*
 * What the ruleset compiled to (rules_acl.h; docs/rules.md "Direction and
 * interface"): the layout, rte_acl's categories and classify method, the
 * entries per family and the IPv6 class tables' bytes.
 */
static json_t *
classifier_json(const struct rules_acl *acl)
{
	if (acl == NULL)
		return json_pack("{s:s}", "layout", "none");
	return json_pack("{s:s, s:i, s:s, s:i, s:i, s:I}", "layout", rules_acl_layout(acl),
			 "categories", (int)rules_acl_categories(acl), "method",
			 rules_acl_alg(acl), "entries_ipv4", (int)rules_acl_entries(acl, 4),
			 "entries_ipv6", (int)rules_acl_entries(acl, 6), "ipv6_class_bytes",
			 (json_int_t)rules_acl_cls_memory(acl));
}

static int
cmd_show_rules(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	const struct dp_rules *rules = atomic_load(&app->dp->rules);
	bool verbose = argc == 1 && strcmp(argv[0], "-v") == 0;
	json_t *arr = NULL;
	unsigned int i;
	char buf[4096];

	if (argc > 1 || (argc == 1 && !verbose)) {
		ctl_error(out, CTL_BAD_ARG, "usage: show rules [-v]");
		return -1;
	}
	if (rules == NULL) {
		ctl_error(out, CTL_FAILED, "no ruleset loaded");
		return -1;
	}
	if (ctl_out_json(out))
		arr = json_array();
	for (i = 0; i < rules->n_rules; i++) {
		const struct dpf_rule *r = &rules->rs->rules[i];
		struct dp_rule_ctr c;

		rules_print(r, buf, sizeof(buf));
		dp_rule_ctr_sum(app->dp, rules, i, &c);
		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "nr", json_integer(i));
			json_object_set_new(o, "id", json_integer(r->id));
			json_object_set_new(o, "rule", json_string(buf));
			json_object_set_new(o, "label", json_string(r->label));
			json_object_set_new(o, "evaluations", json_integer((json_int_t)c.evals));
			json_object_set_new(o, "packets", json_integer((json_int_t)c.pkts));
			json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
			json_object_set_new(o, "states_created", json_integer((json_int_t)c.states));
			json_object_set_new(o, "states", json_integer(
				atomic_load(&rules->states_cur[i])));
			json_array_append_new(arr, o);
			continue;
		}
		if (verbose)
			ctl_printf(out, "@%u ", i);
		ctl_printf(out, "%s\n", buf);
		if (verbose) {
			ctl_printf(out, "  [ Evaluations: %-8" PRIu64 "  Packets: %-8" PRIu64
				   "  Bytes: %-10" PRIu64 "  States: %-6u]\n", c.evals, c.pkts,
				   c.bytes, atomic_load(&rules->states_cur[i]));
			ctl_printf(out, "  [ Rule id: %u State Creations: %-6" PRIu64 "]\n", r->id,
				   c.states);
		}
	}
	if (arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "default", json_string(rules->default_pass ? "pass" : "block"));
		json_object_set_new(o, "rules", arr);
		json_object_set_new(o, "classifier", classifier_json(rules->acl));
		ctl_json(out, o);
	} else if (verbose) {
		ctl_printf(out, "# no match: %s (options.default)\n",
			   rules->default_pass ? "pass" : "block");
		if (rules->acl != NULL)
			ctl_printf(out, "# classifier: %s layout, %u categories, %s; %u IPv4 and "
				   "%u IPv6 entries, IPv6 class tables %zu kB\n",
				   rules_acl_layout(rules->acl), rules_acl_categories(rules->acl),
				   rules_acl_alg(rules->acl), rules_acl_entries(rules->acl, 4),
				   rules_acl_entries(rules->acl, 6),
				   rules_acl_cls_memory(rules->acl) >> 10);
	}
	return 0;
}

static int
parse_prefix(const char *s, struct dp_addr *a)
{
	struct cfg_prefix p;

	if (cfg_prefix_parse(s, &p) != 0)
		return -1;
	plan_addr(a, &p);
	return 0;
}

/*
 * Parses a kill selector; NULL or a static message.  Every condition given
 * must hold, so a key given twice is refused: `proto tcp proto udp` would
 * select nothing, and keeping only the last one (as this did) killed every
 * UDP state.
 */
const char *
filter_sel_parse(int argc, char **argv, struct dp_state_sel *sel)
{
	/* The address selectors: where each goes and what a bad value says. */
	const struct {
		const char *key;
		struct dp_addr *addr;
		bool *has;
		const char *bad;
	} addrs[] = {
		{ "host", &sel->host, &sel->has_host, "host: address or prefix expected" },
		{ "from", &sel->src, &sel->has_src, "from: address or prefix expected" },
		{ "to", &sel->dst, &sel->has_dst, "to: address or prefix expected" },
	};
	int i = 0;

	memset(sel, 0, sizeof(*sel));
	sel->rule = -1;
	if (argc == 1 && strcmp(argv[0], "all") == 0) {
		sel->all = true;
		return NULL;
	}
	if (argc == 0)
		return "a selector is required";
	while (i < argc) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int a = 0;
		char *end;

		if (v == NULL)
			return "a selector word needs a value";
		/* The keys before this one were all known (parsed). */
		for (int j = 0; j < i; j += 2)
			if (strcmp(argv[j], k) == 0)
				return "a selector key is given twice (all given must hold)";
		i += 2;
		while (a < RTE_DIM(addrs) && strcmp(k, addrs[a].key) != 0)
			a++;
		if (a < RTE_DIM(addrs)) {
			if (parse_prefix(v, addrs[a].addr) != 0)
				return addrs[a].bad;
			*addrs[a].has = true;
			if (sel->af != 0 && sel->af != addrs[a].addr->af)
				return "addresses of different families";
			sel->af = addrs[a].addr->af;
		} else if (strcmp(k, "id") == 0) {
			const char *slash = strchr(v, '/');

			errno = 0;
			sel->id = strtoull(v, &end, 16);
			if (errno != 0 || end == v || (*end != '\0' && end != slash))
				return "id: hexadecimal state id expected (ID[/CREATORID])";
			if (slash != NULL) {
				unsigned long c = strtoul(slash + 1, &end, 16);

				if (*end != '\0' || slash[1] == '\0' || c > UINT32_MAX)
					return "id: hexadecimal creator id expected after /";
				sel->creatorid = (uint32_t)c;
			}
			sel->has_id = true;
		} else if (strcmp(k, "rule") == 0) {
			unsigned long r = strtoul(v, &end, 10);

			if (*end != '\0' || *v == '\0' || r > UINT32_MAX)
				return "rule: rule id expected";
			sel->rule = (int64_t)r;
		} else if (strcmp(k, "proto") == 0) {
			int p = rules_proto_lookup(v);

			if (p < 0) {
				unsigned long n = strtoul(v, &end, 10);

				if (*end != '\0' || *v == '\0' || n > 255)
					return "proto: protocol name or number expected";
				p = (int)n;
			}
			sel->proto = (uint8_t)p;
		} else {
			return "unknown selector (all, id, host, from, to, rule, proto)";
		}
	}
	return NULL;
}

/* Answers a finished or overdue kill; the job's slot stays until all workers answered. */
static void
kill_answer(struct filter_job *job, int err)
{
	struct ctl_out *out;

	if (job->reply == NULL)
		return;
	out = ctl_pending_out(job->reply);
	if (err != 0) {
		ctl_error(out, CTL_FAILED, "state kill: %s", strerror(-err));
	} else if (ctl_out_json(out)) {
		json_t *o = json_object();

		json_object_set_new(o, "killed", json_integer((json_int_t)job->killed));
		ctl_json(out, o);
	} else {
		ctl_printf(out, "killed %" PRIu64 " states\n", job->killed);
	}
	ctl_pending_finish(job->reply);
	job->reply = NULL;
}

static int
cmd_state_kill(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct app *app = arg;
	struct dp_main *dp = app->dp;
	struct filter_ctl *f = app->filter;
	struct filter_job *job = NULL;
	struct dp_req req;
	const char *why;
	unsigned int w, slot;

	memset(&req, 0, sizeof(req));
	req.kind = DP_REQ_KILL;
	why = filter_sel_parse(argc, argv, &req.u.kill.sel);
	if (why != NULL) {
		ctl_error(out, CTL_BAD_ARG, "%s; usage: state kill all | id ID[/CREATORID] | "
			  "host PREFIX | from PREFIX [to PREFIX] | rule ID | proto P", why);
		return -1;
	}
	for (slot = 0; slot < FILTER_JOBS && job == NULL; slot++)
		if (!f->jobs[slot].busy)
			job = &f->jobs[slot];
	/* All workers or none: a kill is never carried out on half the table. */
	for (w = 0; w < dp->n_workers && job != NULL; w++)
		if (dp_req_inflight(dp, w) >= DP_REQ_INFLIGHT)
			job = NULL;
	if (job == NULL) {
		ctl_error(out, CTL_BUSY, "state kill: the workers have too many requests under "
			  "way; try again");
		return -1;
	}
	memset(job, 0, sizeof(*job));
	job->seq = ++f->seq;
	req.tag = FILTER_TAG(job->seq, (uint64_t)(job - f->jobs));
	for (w = 0; w < dp->n_workers; w++) {
		int rc = dp_req_post(dp, w, &req);

		if (rc == 0)
			job->waiting++;
		else
			job->err = rc;
	}
	if (job->waiting == 0) {
		ctl_error(out, CTL_FAILED, "state kill: %s", strerror(-job->err));
		return -1;
	}
	job->busy = true;
	job->deadline_us = dp_clock_us(&dp->clock) + FILTER_KILL_TIMEOUT_US;
	job->reply = ctl_defer(out);
	if (job->reply == NULL) {
		/* The kill goes on; only its count is lost. */
		ctl_error(out, CTL_FAILED, "state kill: out of memory");
		return -1;
	}
	return 0;
}

static void
kill_done(struct filter_ctl *f, const struct dp_done *d)
{
	unsigned int slot = (unsigned int)(d->tag & 0xff);
	struct filter_job *job = slot < FILTER_JOBS ? &f->jobs[slot] : NULL;

	if (job == NULL || !job->busy || d->tag != FILTER_TAG(job->seq, slot) ||
	    job->waiting == 0) {
		f->done_stray++;
		return;
	}
	if (d->result < 0)
		job->err = d->result;
	else
		job->killed += (uint64_t)d->result;
	if (--job->waiting == 0) {
		kill_answer(job, job->err);
		job->busy = false;
	}
}

unsigned int
filter_cmds_poll(struct app *app)
{
	struct filter_ctl *f = app->filter;
	struct dp_done done[FILTER_DONE_BURST];
	unsigned int i, n, m;
	uint64_t now = 0;

	if (f == NULL)
		return 0;
	n = dp_done_poll(app->dp, done, FILTER_DONE_BURST);
	for (i = 0; i < n; i++) {
		if (pfsync_done(app->pfsync, &done[i]))
			continue;
		if (done[i].kind == DP_REQ_KILL)
			kill_done(f, &done[i]);
		else
			f->done_stray++;
	}
	for (i = 0; i < FILTER_JOBS; i++) {
		struct filter_job *job = &f->jobs[i];

		if (!job->busy || job->reply == NULL)
			continue;
		if (now == 0)
			now = dp_clock_us(&app->dp->clock);
		if (now >= job->deadline_us)
			kill_answer(job, -ETIMEDOUT);
	}
	/* pfsync sends them; without it they are only counted (sev_taken). */
	m = dp_sev_poll(app->dp, f->ev, FILTER_SEV_BURST);
	if (app->pfsync != NULL)
		pfsync_events(app->pfsync, f->ev, m);
	return n + m;
}

void
info_head(struct ctl_out *out, const char *title)
{
	ctl_printf(out, "%-27s%14s%16s\n", title, "Total", "Rate");
}

void
info_count(struct ctl_out *out, const char *name, uint64_t n)
{
	ctl_printf(out, "  %-25s%14" PRIu64 "\n", name, n);
}

void
info_rate(struct ctl_out *out, const char *name, uint64_t n, double secs)
{
	ctl_printf(out, "  %-25s%14" PRIu64 "%14.1f/s\n", name, n, (double)n / secs);
}

void
filter_info_text(struct ctl_out *out, const struct app *app, const struct dp_stats *s,
		 double secs)
{
	info_head(out, "State Table");
	info_count(out, "current entries", atomic_load(&app->dp->states_total));
	info_rate(out, "searches", s->state_searches, secs);
	info_rate(out, "inserts", s->state_inserts, secs);
	info_rate(out, "removals", s->state_removals, secs);
	/* Not in pfctl: the deltas for pfsync (dataplane/state_event.h). */
	info_head(out, "State Events");
	for (unsigned int k = 0; k < DP_SEV_MAX; k++)
		info_rate(out, dp_sev_name(k), s->sev[k], secs);
	info_rate(out, "no-sync", s->sev_nosync, secs);
	info_rate(out, "ring-full", s->sev_ring_full, secs);
	info_rate(out, "ask-limited", s->sev_ask_limited, secs);
	info_rate(out, "taken", s->sev_taken, secs);
	info_rate(out, "sync-catch-up", s->sync_catchup, secs);
}

void
filter_info_frag_text(struct ctl_out *out, const struct dp_stats *s, double secs)
{
	info_head(out, "Fragments");
	info_rate(out, "received", s->frag_in, secs);
	info_rate(out, "reassembled", s->frag_reassembled, secs);
	info_rate(out, "dropped", s->drop[DP_DROP_FRAGMENT], secs);
	info_rate(out, "refragmented (IPv6)", s->frag_out, secs);
}

json_t *
filter_info_frag_json(const struct dp_stats *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "received", json_integer((json_int_t)s->frag_in));
	json_object_set_new(o, "reassembled", json_integer((json_int_t)s->frag_reassembled));
	json_object_set_new(o, "dropped", json_integer((json_int_t)s->drop[DP_DROP_FRAGMENT]));
	json_object_set_new(o, "refragmented", json_integer((json_int_t)s->frag_out));
	return o;
}

void
filter_info_limits_text(struct ctl_out *out, const struct dp_stats *s, double secs)
{
	ctl_printf(out, "Limit Counters\n");
	info_rate(out, "max states per rule", s->lcnt_max_states, secs);
}

json_t *
filter_info_json(const struct app *app, const struct dp_stats *s)
{
	json_t *o = json_object(), *ev = json_object(), *rq = json_object();

	json_object_set_new(o, "current", json_integer(atomic_load(&app->dp->states_total)));
	json_object_set_new(o, "searches", json_integer((json_int_t)s->state_searches));
	json_object_set_new(o, "inserts", json_integer((json_int_t)s->state_inserts));
	json_object_set_new(o, "removals", json_integer((json_int_t)s->state_removals));
	{
		/* The live limit: a reload may lower it (reload.c). */
		const struct dp_rules *r = atomic_load(&app->dp->rules);

		json_object_set_new(o, "limit", json_integer(r != NULL ? r->limit_states :
							   app->cfg->limits[PFLIMIT_STATES]));
	}
	json_object_set_new(o, "max_states_per_rule",
			    json_integer((json_int_t)s->lcnt_max_states));
	json_object_set_new(o, "rule_evaluations", json_integer((json_int_t)s->rule_evals));
	json_object_set_new(o, "events", ev);
	for (unsigned int k = 0; k < DP_SEV_MAX; k++)
		json_object_set_new(ev, dp_sev_name(k), json_integer((json_int_t)s->sev[k]));
	json_object_set_new(ev, "nosync", json_integer((json_int_t)s->sev_nosync));
	json_object_set_new(ev, "ring_full", json_integer((json_int_t)s->sev_ring_full));
	json_object_set_new(ev, "ask_limited", json_integer((json_int_t)s->sev_ask_limited));
	json_object_set_new(ev, "taken", json_integer((json_int_t)s->sev_taken));
	json_object_set_new(ev, "sync_catchup", json_integer((json_int_t)s->sync_catchup));
	json_object_set_new(o, "requests", rq);
	json_object_set_new(rq, "posted", json_integer((json_int_t)s->req_posted));
	json_object_set_new(rq, "done", json_integer((json_int_t)s->req_done));
	json_object_set_new(rq, "ring_full", json_integer((json_int_t)s->req_full));
	return o;
}

static const struct ctl_cmd filter_cmds[] = {
	{ "show states", "[-v|-vv]", "the state table, as pfctl -s states", cmd_show_states,
	  CTL_F_READONLY },
	{ "show rules", "[-v]", "the ruleset with counters, as pfctl -s rules",
	  cmd_show_rules, CTL_F_READONLY },
	{ "state kill", "all | id ID[/CREATORID] | host P | from P [to P] | rule ID | proto P",
	  "remove states, as pfctl -k", cmd_state_kill, 0 },
};

int
filter_cmds_register(struct app *app, struct ctl_server *srv)
{
	/* Once for both sockets: the jobs are the appliance's, not a socket's. */
	if (app->filter == NULL) {
		app->filter = calloc(1, sizeof(*app->filter));
		if (app->filter == NULL)
			return -ENOMEM;
	}
	return ctl_register(srv, filter_cmds, sizeof(filter_cmds) / sizeof(filter_cmds[0]), app);
}

void
filter_cmds_fini(struct app *app)
{
	unsigned int i;

	if (app->filter == NULL)
		return;
	/* Stopping: kills under way are answered as failed (clients still there). */
	for (i = 0; i < FILTER_JOBS; i++)
		kill_answer(&app->filter->jobs[i], -ECANCELED);
	free(app->filter);
	app->filter = NULL;
}
