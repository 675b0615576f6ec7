/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the difference between two plans, key by key (plan_diff.h).
 *
 * Both configs are printed in their normalized form (cfg_print(), what
 * `dpf -n` prints: defaults filled in, schema order) and read back with
 * Jansson, and the two trees are walked together.  Comparing the printed
 * form and not the structs means one table of keys decides what is live,
 * and a key added to the schema is refused (needs a restart) until it is
 * listed here: the safe way round.
 *
 * What is live and why (docs/config.md "Live reload"):
 *   rules, options, tables  the ruleset object, swapped by pointer
 *   routes                  the FIB, swapped by pointer
 *   timeouts                travel with the ruleset (struct dp_rules)
 *   limits                  with the ruleset, except limits.frags (the
 *                           fragment table is sized at start) and a
 *                           limits.states above the start value (so are
 *                           the state tables)
 *   logging.pflog           another file: the writer is reopened (reload.c);
 *                           on or off: the log rings exist always, a flag
 *                           says whether workers log (reload_parts.c)
 *   carp                    the vhid table rebuilt, kept vhids keep their
 *                           state (control/carp/carp_reload.c)
 *   interfaces[N].ipv4/ipv6 addresses: the FIB (counts as a routes change)
 *                           and the control core's copy (reload_parts.c)
 *   sync.peer, sync.defer,  pfsync's settings (pfsync_reconf.c)
 *   sync.maxupd, sync.flush_us
 * Everything else (system, dataplane, the interfaces themselves, the sync
 * interface and key) is set up once at start: it sizes the dataplane, or
 * opens sockets and queues.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/plan/plan_diff.h"

/* path is key or below it (key. or key[). */
static bool
under(const char *path, const char *key)
{
	size_t n = strlen(key);

	return strncmp(path, key, n) == 0 &&
	       (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

/* Keys whose whole subtree is live. */
static const char *const live_keys[] = {
	"rules", "options", "tables", "routes", "timeouts",
	"limits.tables", "limits.table-entries", "limits.src-nodes",
	"logging.pflog", "carp",
	"sync.peer", "sync.defer", "sync.maxupd", "sync.flush_us",
};

/* interfaces[N].ipv4 or interfaces[N].ipv6, or below: an interface's addresses. */
static bool
iface_addrs(const char *path)
{
	const char *p = path + strlen("interfaces[");

	if (strncmp(path, "interfaces[", strlen("interfaces[")) != 0 || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == ']' && (under(p + 1, ".ipv4") || under(p + 1, ".ipv6"));
}

const char *
plan_diff_live(const char *path, uint64_t old_v, uint64_t new_v, uint32_t states_boot)
{
	(void)old_v;
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (under(path, live_keys[i]))
			return NULL;
	if (iface_addrs(path))
		return NULL;
	if (strcmp(path, "limits.states") == 0)
		return new_v <= states_boot ? NULL :
		       "the state tables were sized at start for the limit dpf started with; "
		       "a higher one needs a restart";
	if (under(path, "limits.frags"))
		return "the fragment table is sized at start";
	if (under(path, "limits"))
		return "an unknown limit";
	if (under(path, "interfaces"))
		return "interfaces are bound to their port, VLAN and MTU at start (their "
		       "addresses and nothing else change live)";
	if (under(path, "sync.interface"))
		return "pfsync's interface, its port's queues and steering are set up at start";
	if (under(path, "sync.key_file"))
		return "the sync key is the peers' common state (replay window): change it "
		       "on both nodes with a restart";
	if (under(path, "sync"))
		return "pfsync is set up at start";
	if (under(path, "logging"))
		return "an unknown logging key";
	if (under(path, "dataplane"))
		return "ports, workers, queues and EAL are set up at start";
	if (under(path, "system"))
		return "the control sockets and the host id are set up at start";
	return "not a key a live reload changes";
}

struct walk {
	struct plan_diff *d;
	uint32_t states_boot;
};

static uint64_t
num(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 ?
	       (uint64_t)json_integer_value(v) : 0;
}

/* One difference at path. */
static void
differ(struct walk *w, const char *path, const json_t *a, const json_t *b)
{
	struct plan_diff *d = w->d;
	const char *why = plan_diff_live(path, num(a), num(b), w->states_boot);

	if (why == NULL && strcmp(path, "logging.pflog") == 0)
		d->pflog = true;
	if (why != NULL) {
		if (!d->refused) {
			d->refused = true;
			snprintf(d->key, sizeof(d->key), "%s", path);
			snprintf(d->why, sizeof(d->why), "%s", why);
		}
		return;
	}
	/* The FIB holds the interfaces' addresses as local and connected prefixes. */
	if (strncmp(path, "routes", 6) == 0 || iface_addrs(path))
		d->routes = true;
	if (d->n_kept < PLAN_DIFF_MAX)
		snprintf(d->live[d->n_kept++], PLAN_DIFF_PATH, "%s", path);
	d->n_live++;
}

static void walk(struct walk *w, const char *path, const json_t *a, const json_t *b);

static void
child(struct walk *w, const char *path, const char *key, size_t idx, const json_t *a,
      const json_t *b)
{
	char p[PLAN_DIFF_PATH];

	if (key != NULL)
		snprintf(p, sizeof(p), "%s%s%s", path, path[0] != '\0' ? "." : "", key);
	else
		snprintf(p, sizeof(p), "%s[%zu]", path, idx);
	if (a == NULL || b == NULL)
		differ(w, p, a, b);	/* added or removed */
	else
		walk(w, p, a, b);
}

static void
walk(struct walk *w, const char *path, const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;

	if (json_is_object(a) && json_is_object(b)) {
		/* a's keys in a's order, then those only b has. */
		json_object_foreach((json_t *)a, key, v)
			child(w, path, key, 0, v, json_object_get(b, key));
		json_object_foreach((json_t *)b, key, v)
			if (json_object_get(a, key) == NULL)
				child(w, path, key, 0, NULL, v);
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);

		for (size_t i = 0; i < (na > nb ? na : nb); i++)
			child(w, path, NULL, i, json_array_get(a, i), json_array_get(b, i));
		return;
	}
	if (!json_equal((json_t *)a, (json_t *)b))
		differ(w, path[0] != '\0' ? path : "(root)", a, b);
}

static json_t *
normalized(const struct dpf_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j;

	if (f == NULL)
		return NULL;
	cfg_print(f, cfg);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	/* Keys in the printed (schema) order: the first refusal is the file's first. */
	j = json_loadb(buf, len, JSON_PRESERVE_ORDER, NULL);
	free(buf);
	return j;
}

/* Secrets cfg_print() leaves out: a changed key under the same file name. */
static void
secrets(struct walk *w, const struct dpf_config *a, const struct dpf_config *b)
{
	char p[PLAN_DIFF_PATH];

	if (a->sync.key_len != b->sync.key_len ||
	    memcmp(a->sync.key, b->sync.key, a->sync.key_len) != 0)
		differ(w, "sync.key_file", NULL, NULL);
	for (unsigned int i = 0; i < a->carp.n_vhids && i < b->carp.n_vhids; i++) {
		const struct cfg_vhid *x = &a->carp.vhids[i], *y = &b->carp.vhids[i];

		if (x->key_len != y->key_len || memcmp(x->key, y->key, sizeof(x->key)) != 0) {
			snprintf(p, sizeof(p), "carp.vhids[%u].%s", i,
				 y->key_file != NULL ? "key_file" : "pass");
			differ(w, p, NULL, NULL);
		}
	}
}

int
plan_diff(const struct dpf_plan *run, const struct dpf_plan *cand, uint32_t states_boot,
	  struct plan_diff *d)
{
	struct walk w = { .d = d, .states_boot = states_boot };
	json_t *a = normalized(run->cfg), *b = normalized(cand->cfg);
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (a != NULL && b != NULL) {
		walk(&w, "", a, b);
		secrets(&w, run->cfg, cand->cfg);
		rc = 0;
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

/* --- history and rollback timer --- */

void *
plan_hist_push(struct plan_hist *h, void *new_cur, uint64_t now_ms, uint64_t timeout_ms)
{
	void *old = h->prev;

	h->prev = h->cur;
	h->cur = new_cur;
	h->pending = timeout_ms > 0;
	h->deadline_ms = timeout_ms > 0 ? now_ms + timeout_ms : 0;
	return old;
}

bool
plan_hist_pending(const struct plan_hist *h)
{
	return h->pending;
}

uint64_t
plan_hist_left(const struct plan_hist *h, uint64_t now_ms)
{
	return h->pending && now_ms < h->deadline_ms ? h->deadline_ms - now_ms : 0;
}

bool
plan_hist_due(const struct plan_hist *h, uint64_t now_ms)
{
	return h->pending && now_ms >= h->deadline_ms;
}

int
plan_hist_confirm(struct plan_hist *h)
{
	if (!h->pending)
		return -1;
	h->pending = false;
	h->deadline_ms = 0;
	return 0;
}

void *
plan_hist_undo(struct plan_hist *h)
{
	void *was = h->cur;

	if (h->prev == NULL)
		return NULL;
	h->cur = h->prev;
	h->prev = NULL;
	h->pending = false;
	h->deadline_ms = 0;
	return was;
}
