/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpf's commands in DPDK telemetry (/dpf/info, /dpf/states, /dpf/rules,
 * /dpf/carp, /dpf/pfsync, /dpf/workers, /dpf/interfaces).
 *
 * DPDK serves its telemetry socket (dpdk-telemetry.py, beside /ethdev/...)
 * from a thread of its own, so a callback may not touch what the control
 * core owns.  Each callback hands its request to the control core through a
 * one-slot mailbox and waits, at most TEL_WAIT_MS, for the JSON reply of
 * the matching read-only `show` command (ctl_exec_json(): the same numbers
 * as dpfctl -j); the control loop answers it from telemetry_poll(), which
 * costs one atomic load when nothing waits.  Telemetry clients are served
 * one at a time (tel_serial).  The commands are read-only: only
 * CTL_F_READONLY commands can run this way.
 *
 * Telemetry's data model is flatter than JSON: a dict holds scalars and
 * containers, and a container holds scalars only, at most 256 entries
 * (rte_telemetry.h), and names are letters, digits and '_' only (DPDK
 * drops any other entry).  So a top-level object's scalars stay, its
 * objects become containers whose nested keys are joined with '_'
 * ("events_insert"), and an array of objects (interfaces, workers, rules,
 * vhids) gives one container per element under "KEY_NAME" (its name, id,
 * vhid or worker; else its index); '-' and other characters in names
 * become '_' ("bad-offset" -> "bad_offset").  DPDK caps one reply at 16 KB.
 *
 * DPDK cannot unregister a command: they are registered once per process,
 * and after dpf stops serving they answer an error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "control/app/app.h"
#include "control/ctl/ctl_ops.h"
#include "control/log/dlog.h"

#define TEL_WAIT_MS 2000

enum tel_slot { TEL_IDLE, TEL_POSTED, TEL_RUNNING, TEL_DONE };

static pthread_mutex_t tel_serial = PTHREAD_MUTEX_INITIALIZER;	/* one client at a time */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;	/* the mailbox */
static pthread_cond_t tel_cond = PTHREAD_COND_INITIALIZER;
static struct app *tel_app;		/* [tel_lock] NULL: not serving */
static enum tel_slot tel_state;		/* [tel_lock] */
static const char *tel_words;		/* [tel_lock] the request */
static json_t *tel_result;		/* [tel_lock] the reply, when TEL_DONE */
static char tel_err[256];		/* [tel_lock] */
static atomic_bool tel_posted;		/* a request waits: the control loop looks */

struct tel_cmd {
	const char *name;
	const char *words;	/* the dpfctl command */
	const char *subtree;	/* only this key of its reply, or NULL */
	const char *help;
};

static const struct tel_cmd tel_cmds[] = {
	{ "/dpf/info", "show info -v", NULL, "dpf status and counters (dpfctl show info -v)" },
	{ "/dpf/states", "show info", "states",
	  "state table counters (dpfctl show info; the states: dpfctl show states)" },
	{ "/dpf/rules", "show rules -v", NULL, "the ruleset with counters (dpfctl show rules -v)" },
	{ "/dpf/carp", "show carp", NULL, "CARP vhids and counters (dpfctl show carp)" },
	{ "/dpf/pfsync", "show pfsync", NULL, "pfsync state and counters (dpfctl show pfsync)" },
	{ "/dpf/workers", "show workers", NULL, "per-worker counters (dpfctl show workers)" },
	{ "/dpf/interfaces", "show interfaces", NULL, "interfaces (dpfctl show interfaces)" },
};

/* --- JSON to rte_tel_data --- */

/* Telemetry's names: [A-Za-z0-9_] (others are refused by DPDK). */
static void
tel_name(char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			*s = '_';
}

static void
tel_scalar(struct rte_tel_data *d, const char *key, json_t *v)
{
	char s[RTE_TEL_MAX_STRING_LEN], name[RTE_TEL_MAX_STRING_LEN];

	snprintf(name, sizeof(name), "%s", key);
	tel_name(name);

	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		if (x >= 0)
			rte_tel_data_add_dict_u64(d, name, (uint64_t)x);
		else if (x >= INT32_MIN)
			rte_tel_data_add_dict_int(d, name, (int)x);
	} else if (json_is_boolean(v)) {
		rte_tel_data_add_dict_int(d, name, json_is_true(v));
	} else if (json_is_real(v)) {
		snprintf(s, sizeof(s), "%g", json_real_value(v));
		rte_tel_data_add_dict_string(d, name, s);
	} else if (json_is_string(v)) {
		snprintf(s, sizeof(s), "%s", json_string_value(v));	/* cut at 127 bytes */
		rte_tel_data_add_dict_string(d, name, s);
	}
}

/* Every scalar under v into the dict c, named PREFIX.KEY...; arrays of scalars by index. */
static void
tel_flatten(struct rte_tel_data *c, const char *prefix, json_t *v)
{
	char name[RTE_TEL_MAX_STRING_LEN];
	const char *key;
	size_t i;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "_" : "", key);
			tel_flatten(c, name, x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			snprintf(name, sizeof(name), "%s%s%zu", prefix, prefix[0] ? "_" : "", i);
			tel_flatten(c, name, x);
		}
	} else {
		tel_scalar(c, prefix, v);
	}
}

static void
tel_container(struct rte_tel_data *d, const char *key, json_t *v)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	char name[RTE_TEL_MAX_STRING_LEN];

	if (c == NULL)
		return;
	snprintf(name, sizeof(name), "%s", key);
	tel_name(name);
	rte_tel_data_start_dict(c);
	tel_flatten(c, "", v);
	if (rte_tel_data_add_dict_container(d, name, c, 0) != 0)
		rte_tel_data_free(c);
}

/* The name an element of an array of objects goes by. */
static void
tel_elem_name(char *buf, size_t size, const char *key, json_t *o, size_t i)
{
	static const char *const ids[] = { "name", "vhid", "worker", "id", NULL };

	for (unsigned int k = 0; ids[k] != NULL; k++) {
		json_t *v = json_object_get(o, ids[k]);

		if (json_is_string(v)) {
			snprintf(buf, size, "%s%s%s", key, key[0] ? "_" : "", json_string_value(v));
			return;
		}
		if (json_is_integer(v)) {
			snprintf(buf, size, "%s%s%lld", key, key[0] ? "_" : "",
				 (long long)json_integer_value(v));
			return;
		}
	}
	snprintf(buf, size, "%s%s%zu", key, key[0] ? "_" : "", i);
}

static void
tel_member(struct rte_tel_data *d, const char *key, json_t *v)
{
	char name[RTE_TEL_MAX_STRING_LEN];
	size_t i;
	json_t *x;

	if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
		json_array_foreach(v, i, x) {
			tel_elem_name(name, sizeof(name), key, x, i);
			tel_container(d, name, x);
		}
	} else if (json_is_object(v) || json_is_array(v)) {
		tel_container(d, key, v);
	} else {
		tel_scalar(d, key, v);
	}
}

static void
tel_from_json(struct rte_tel_data *d, json_t *v)
{
	const char *key;
	json_t *x;

	rte_tel_data_start_dict(d);
	if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			tel_member(d, key, x);
	} else {
		tel_member(d, "", v);
	}
}

/* --- the mailbox --- */

static int
tel_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tel_cmd *tc = NULL;
	struct timespec until;
	json_t *v = NULL;
	int rc = 0;

	for (unsigned int i = 0; i < RTE_DIM(tel_cmds); i++)
		if (strcmp(cmd, tel_cmds[i].name) == 0)
			tc = &tel_cmds[i];
	if (tc == NULL || (params != NULL && params[0] != '\0'))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TEL_WAIT_MS / 1000;
	until.tv_nsec += (TEL_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&tel_serial);
	pthread_mutex_lock(&tel_lock);
	if (tel_app == NULL) {
		pthread_mutex_unlock(&tel_lock);
		pthread_mutex_unlock(&tel_serial);
		return -ENOTCONN;
	}
	tel_words = tc->words;
	tel_state = TEL_POSTED;
	atomic_store(&tel_posted, true);
	while (tel_state != TEL_DONE && rc == 0)
		rc = pthread_cond_timedwait(&tel_cond, &tel_lock, &until);
	if (tel_state == TEL_DONE) {
		v = tel_result;
		tel_result = NULL;
		rc = v != NULL ? 0 : -ENOENT;	/* e.g. show pfsync without sync */
	} else {
		rc = -ETIMEDOUT;	/* the control core drops what it was doing */
	}
	tel_state = TEL_IDLE;
	atomic_store(&tel_posted, false);
	pthread_mutex_unlock(&tel_lock);
	pthread_mutex_unlock(&tel_serial);
	if (v != NULL) {
		tel_from_json(d, tc->subtree != NULL ? json_object_get(v, tc->subtree) : v);
		json_decref(v);
	}
	return rc;
}

unsigned int
telemetry_poll(struct app *app)
{
	char words[64], err[sizeof(tel_err)], *argv[8];
	json_t *v = NULL;
	int argc = 0;

	if (!atomic_load_explicit(&tel_posted, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&tel_lock);
	if (tel_state != TEL_POSTED) {
		pthread_mutex_unlock(&tel_lock);
		return 0;
	}
	tel_state = TEL_RUNNING;
	snprintf(words, sizeof(words), "%s", tel_words);
	pthread_mutex_unlock(&tel_lock);

	for (char *s = strtok(words, " "); s != NULL && argc < 8; s = strtok(NULL, " "))
		argv[argc++] = s;
	if (ctl_exec_json(app->ctl, argc, argv, &v, err, sizeof(err)) != CTL_OK)
		v = NULL;

	pthread_mutex_lock(&tel_lock);
	if (tel_state == TEL_RUNNING) {
		tel_result = v;
		snprintf(tel_err, sizeof(tel_err), "%s", v == NULL ? err : "");
		tel_state = TEL_DONE;
		pthread_cond_signal(&tel_cond);
		v = NULL;
	}
	pthread_mutex_unlock(&tel_lock);
	json_decref(v);	/* the client gave up meanwhile */
	return 1;
}

void
telemetry_start(struct app *app)
{
	static bool registered;

	if (!registered) {
		for (unsigned int i = 0; i < RTE_DIM(tel_cmds); i++)
			if (rte_telemetry_register_cmd(tel_cmds[i].name, tel_cb,
						       tel_cmds[i].help) != 0)
				dlog(TELEMETRY_FAILED, DLOG_S("cmd", tel_cmds[i].name));
		registered = true;
	}
	pthread_mutex_lock(&tel_lock);
	tel_app = app;
	pthread_mutex_unlock(&tel_lock);
}

void
telemetry_stop(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_app = NULL;
	if (tel_state == TEL_POSTED || tel_state == TEL_RUNNING) {
		tel_result = NULL;
		tel_state = TEL_DONE;
		pthread_cond_signal(&tel_cond);
	}
	pthread_mutex_unlock(&tel_lock);
}
