/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the config schema.
 *
 * One struct cfg_obj per JSON object, its keys in the order docs/config.md
 * lists them and cfg_print() writes them.  Plain keys (integers in a range,
 * booleans, strings, names, nested objects, arrays of objects) are loaded
 * and printed by the generic code in config.c and config_print.c from their
 * offset; the rest have a load and a print function side by side here, so
 * that what is accepted and what is printed cannot drift apart.
 *
 * Order matters where one section refers to another: ports load before
 * interfaces, interfaces before routes, CARP and sync, and each element is
 * checked against the elements before it (uniqueness), so an error always
 * points at the second of two clashing values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control/config/config_priv.h"
#include "control/rules/rules.h"

#include "control/config/config_schema.h"

/* --- shared helpers --- */

static int
check_charset(struct cfg_ld *ld, const struct cfg_val *v, const char *set, const char *what)
{
	const char *s = json_string_value(v->j);

	if (strspn(s, set) != strlen(s))
		return cfg_fail_val(ld, v, "\"%s\": %s", s, what);
	return 0;
}

/* "(interfaces: lan, wan)": what a dangling reference could have named. */
static void
names_list(char *buf, size_t len, const char *what, const char *first, size_t stride,
	   unsigned int n)
{
	size_t at;

	if (n == 0) {
		snprintf(buf, len, "no %s are defined", what);
		return;
	}
	at = (size_t)snprintf(buf, len, "%s:", what);
	for (unsigned int i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s %s", i > 0 ? "," : "",
				       first + i * stride);
}

int
cfg_load_iface_ref(struct cfg_ld *ld, const struct cfg_val *v, int *idx)
{
	const struct dpf_config *cfg = ld->cfg;
	const char *s;
	char known[256];

	*idx = -1;
	if (v->j == NULL)
		return 0;
	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	*idx = cfg_iface_find(cfg, s);
	if (*idx < 0) {
		names_list(known, sizeof(known), "interfaces", cfg->n_ifaces ?
			   cfg->ifaces[0].name : "", sizeof(cfg->ifaces[0]), cfg->n_ifaces);
		return cfg_fail_val(ld, v, "unknown interface \"%s\" (%s)", s, known);
	}
	return 0;
}

void
cfg_print_iface_ref(struct cfg_out *o, const char *key, int idx)
{
	cfg_out_key(o, key);
	cfg_out_str(o, idx >= 0 ? o->cfg->ifaces[idx].name : NULL);
}

/* Appends the prefixes of array v to *arr (count *n), each parsed with flags. */
int
cfg_load_prefixes(struct cfg_ld *ld, const struct cfg_val *v, unsigned int flags, size_t max,
	      struct cfg_prefix **arr, unsigned int *n)
{
	struct cfg_prefix *p;
	size_t cnt;

	if (cfg_get_array(ld, v, max, &cnt) < 0)
		return -1;
	if (cnt == 0)
		return 0;
	if (*n + cnt > max)
		return cfg_fail_val(ld, v, "%zu more addresses, at most %zu in all", cnt, max);
	p = realloc(*arr, (*n + cnt) * sizeof(*p));
	if (p == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	*arr = p;
	for (size_t i = 0; i < cnt; i++) {
		struct cfg_val e = cfg_element(ld, v, i);

		if (cfg_get_prefix(ld, &e, flags, &p[*n]) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

int
cfg_load_peer(struct cfg_ld *ld, const struct cfg_val *v, bool *has, struct cfg_prefix *p)
{
	*has = false;
	if (v->j == NULL)
		return 0;
	if (cfg_get_prefix(ld, v, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_NOLEN | CFG_PFX_UNICAST,
			   p) < 0)
		return -1;
	*has = true;
	return 0;
}

void
cfg_print_peer(struct cfg_out *o, const char *key, bool has, const struct cfg_prefix *p)
{
	char buf[64];

	cfg_out_key(o, key);
	if (!has) {
		cfg_out_null(o);
		return;
	}
	cfg_prefix_format(p, false, buf, sizeof(buf));
	cfg_out_str(o, buf);
}

/* --- schema_version --- */

static int
load_schema_version(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct dpf_config *cfg = obj;

	if (!json_is_integer(v->j))
		return cfg_fail_type(ld, v, "an integer");
	if (json_integer_value(v->j) != CFG_SCHEMA_VERSION)
		return cfg_fail_val(ld, v, "version %" JSON_INTEGER_FORMAT " is not supported "
				    "(this dpf reads %d)", json_integer_value(v->j),
				    CFG_SCHEMA_VERSION);
	cfg->schema_version = CFG_SCHEMA_VERSION;
	return 0;
}

/* --- system --- */

static int
check_hostname(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	(void)obj;
	return check_charset(ld, v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789.-_", "a host name holds letters, digits, '.', '-' "
			     "and '_'");
}

/* pf's hostid / pfsync creatorid: "0x0a0b0c0d" or an integer, never 0. */
static int
load_host_id(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_system *sys = obj;
	uint64_t id = 0;

	sys->host_id_set = false;
	if (v->j == NULL)
		return 0;
	if (json_is_integer(v->j)) {
		if (cfg_get_uint(ld, v, 1, UINT32_MAX, &id) < 0)
			return -1;
	} else if (json_is_string(v->j)) {
		const char *s = json_string_value(v->j);
		size_t digits = strlen(s) - (strlen(s) >= 2 ? 2 : 0);

		if (strncmp(s, "0x", 2) != 0 || digits == 0 || digits > 8 ||
		    strspn(s + 2, "0123456789abcdefABCDEF") != digits)
			return cfg_fail_val(ld, v, "\"%s\" is not a host id (expected \"0x\" and "
					    "1 to 8 hex digits, or an integer)", s);
		id = strtoull(s + 2, NULL, 16);
	} else {
		return cfg_fail_type(ld, v, "a hex string (\"0x0a0b0c0d\") or an integer");
	}
	if (id == 0)
		return cfg_fail_val(ld, v, "must not be 0 (it is the pfsync creator id)");
	sys->host_id = (uint32_t)id;
	sys->host_id_set = true;
	return 0;
}

static void
print_host_id(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_system *sys = obj;
	char buf[16];

	cfg_out_key(o, k->name);
	if (!sys->host_id_set) {
		cfg_out_null(o);
		return;
	}
	snprintf(buf, sizeof(buf), "0x%08" PRIx32, sys->host_id);
	cfg_out_str(o, buf);
}

static int
check_ro_socket(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct cfg_control *c = obj;

	if (strcmp(c->socket, c->ro_socket) == 0)
		return cfg_fail_val(ld, v, "the read-only socket must differ from \"socket\"");
	return 0;
}

/* File mode bits: "0660" (octal, as chmod takes it) or an integer. */
static int
parse_mode(struct cfg_ld *ld, const struct cfg_val *v, unsigned int *out)
{
	uint64_t mode = 0660;

	if (v->j != NULL && json_is_integer(v->j)) {
		json_int_t i = json_integer_value(v->j);

		/* JSON integers are decimal: 0660 written as 660 is a common slip. */
		if (i < 0 || i > 0777)
			return cfg_fail_val(ld, v, "%" JSON_INTEGER_FORMAT " is out of range "
					    "0..511 (octal 0777); write modes as strings, e.g. "
					    "\"0660\"", i);
		mode = (uint64_t)i;
	} else if (v->j != NULL && json_is_string(v->j)) {
		const char *s = json_string_value(v->j);

		if (*s == '\0' || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
			return cfg_fail_val(ld, v, "\"%s\" is not an octal mode (e.g. \"0660\")",
					    s);
		mode = strtoull(s, NULL, 8);
		if (mode > 0777)
			return cfg_fail_val(ld, v, "\"%s\" is out of range 0000..0777", s);
	} else if (v->j != NULL) {
		return cfg_fail_type(ld, v, "an octal string (\"0660\") or an integer");
	}
	*out = (unsigned int)mode;
	return 0;
}

static int
load_mode(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_control *c = obj;

	return parse_mode(ld, v, &c->mode);
}

/* ro_mode: null (absent) is `mode`. */
static int
load_ro_mode(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_control *c = obj;

	c->ro_mode_set = v->j != NULL && !json_is_null(v->j);
	if (!c->ro_mode_set)
		return 0;
	return parse_mode(ld, v, &c->ro_mode);
}

static void
print_mode(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_control *c = obj;
	char buf[8];

	snprintf(buf, sizeof(buf), "%04o", c->mode);
	cfg_out_key(o, k->name);
	cfg_out_str(o, buf);
}

static void
print_ro_mode(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_control *c = obj;
	char buf[8];

	cfg_out_key(o, k->name);
	if (!c->ro_mode_set) {
		cfg_out_null(o);
		return;
	}
	snprintf(buf, sizeof(buf), "%04o", c->ro_mode);
	cfg_out_str(o, buf);
}

static int
check_group(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	(void)obj;
	return check_charset(ld, v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789._-", "a group name holds letters, digits, '.', '_' "
			     "and '-'");
}

static int
check_owner(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	(void)obj;
	return check_charset(ld, v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789._-", "a user name holds letters, digits, '.', '_' "
			     "and '-'");
}

/*
 * A client timeout is 0 (never) or at least 100 ms: below that a client on a
 * loaded machine would be dropped between the greeting and its request.
 */
static int
check_client_timeout(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	json_int_t n = json_integer_value(v->j);

	(void)obj;
	if (n != 0 && n < 100)
		return cfg_fail_val(ld, v, "%" JSON_INTEGER_FORMAT " ms is too short: 0 (never) or "
				    "100..3600000", n);
	return 0;
}

static const struct cfg_key control_keys[] = {
	K_STR("socket", struct cfg_control, socket, 1, 107, "/run/dpf/dpf.sock"),
	K_STR("ro_socket", struct cfg_control, ro_socket, 1, 107, NULL, .flags = CF_NULL,
	      .check = check_ro_socket),
	K_CUSTOM("mode", load_mode, print_mode),
	K_STR("owner", struct cfg_control, owner, 1, 32, NULL, .flags = CF_NULL,
	      .check = check_owner),
	K_STR("group", struct cfg_control, group, 1, 32, NULL, .flags = CF_NULL,
	      .check = check_group),
	K_CUSTOM("ro_mode", load_ro_mode, print_ro_mode, .flags = CF_NULL),
	K_STR("ro_owner", struct cfg_control, ro_owner, 1, 32, NULL, .flags = CF_NULL,
	      .check = check_owner),
	K_STR("ro_group", struct cfg_control, ro_group, 1, 32, NULL, .flags = CF_NULL,
	      .check = check_group),
	K_UINT("idle_timeout_ms", struct cfg_control, idle_timeout_ms, 0, 3600000, 30000,
	       .check = check_client_timeout),
	K_UINT("stall_timeout_ms", struct cfg_control, stall_timeout_ms, 0, 3600000, 10000,
	       .check = check_client_timeout),
};

static const struct cfg_obj control_obj = { "control", control_keys, NKEYS(control_keys), NULL };

static const struct cfg_key system_keys[] = {
	K_STR("hostname", struct cfg_system, hostname, 1, 64, "dpf", .check = check_hostname),
	K_CUSTOM("host_id", load_host_id, print_host_id, .flags = CF_NULL),
	K_OBJ("control", struct cfg_system, control, &control_obj),
};

static const struct cfg_obj system_obj = { "system", system_keys, NKEYS(system_keys), NULL };

/* --- dataplane --- */

static int
check_lcores(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	(void)obj;
	return check_charset(ld, v, "0123456789,-@()", "an EAL lcore list holds digits and "
			     "\",-@()\" (e.g. \"0-2\" or \"0,4,6\")");
}

static int
load_eal_args(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_eal *eal = obj;
	size_t n;

	if (cfg_get_array(ld, v, CFG_MAX_EAL_ARGS, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	eal->args = calloc(n, sizeof(*eal->args));
	if (eal->args == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cfg_val e = cfg_element(ld, v, i);
		const char *s;

		if (cfg_get_str(ld, &e, &s) < 0)
			return -1;
		if (*s == '\0')
			return cfg_fail_val(ld, &e, "must not be empty");
		eal->args[i] = strdup(s);
		if (eal->args[i] == NULL)
			return cfg_fail_val(ld, &e, "out of memory");
		eal->n_args++;
	}
	return 0;
}

static void
print_eal_args(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_eal *eal = obj;

	cfg_out_key(o, k->name);
	cfg_out_strings(o, (const char *const *)eal->args, eal->n_args);
}

static int
check_file_prefix(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	(void)obj;
	return check_charset(ld, v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789_-", "a file prefix holds letters, digits, '_' and '-'");
}

static const struct cfg_key eal_keys[] = {
	K_STR("lcores", struct cfg_eal, lcores, 1, 127, "0-1", .check = check_lcores),
	K_CUSTOM("args", load_eal_args, print_eal_args),
	K_STR("file_prefix", struct cfg_eal, file_prefix, 1, 64, NULL, .flags = CF_NULL,
	      .check = check_file_prefix),
	K_UINT("memory_mb", struct cfg_eal, memory_mb, 0, 1u << 20, 0),
	K_BOOL("no_huge", struct cfg_eal, no_huge, false),
	K_BOOL("in_memory", struct cfg_eal, in_memory, false),
};

static const struct cfg_obj eal_obj = { "eal", eal_keys, NKEYS(eal_keys), NULL };

static int
check_device(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const char *s = json_string_value(v->j);

	(void)obj;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return cfg_fail_val(ld, v, "a device name holds no spaces or control "
					    "characters");
	return 0;
}

/* DPDK rings want a power of two; most PMDs reject anything else. */
static int
check_pow2(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	json_int_t n = json_integer_value(v->j);

	(void)obj;
	if ((n & (n - 1)) != 0)
		return cfg_fail_val(ld, v, "%" JSON_INTEGER_FORMAT " is not a power of two", n);
	return 0;
}

static int
check_port(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct cfg_dataplane *dp = &ld->cfg->dataplane;
	const struct cfg_port *p = obj;
	unsigned int idx = (unsigned int)(p - dp->ports);

	for (unsigned int i = 0; i < idx; i++) {
		struct cfg_val m;

		if (strcmp(dp->ports[i].name, p->name) == 0) {
			m = cfg_member(ld, v, "name");
			return cfg_fail_val(ld, &m, "duplicate port name \"%s\" (also "
					    "dataplane.ports[%u])", p->name, i);
		}
		if (strcmp(dp->ports[i].device, p->device) == 0) {
			m = cfg_member(ld, v, "device");
			return cfg_fail_val(ld, &m, "device \"%s\" is already port %s",
					    p->device, dp->ports[i].name);
		}
	}
	return 0;
}

static const struct cfg_key port_keys[] = {
	K_NAME("name", struct cfg_port, name, .flags = CF_REQUIRED),
	K_STR("device", struct cfg_port, device, 1, 255, NULL, .flags = CF_REQUIRED,
	      .check = check_device),
	K_UINT("mtu", struct cfg_port, mtu, 68, 9600, 1500),
	K_UINT("rx_desc", struct cfg_port, rx_desc, 64, 16384, 1024, .check = check_pow2),
	K_UINT("tx_desc", struct cfg_port, tx_desc, 64, 16384, 1024, .check = check_pow2),
};

static const struct cfg_obj port_obj = { "port", port_keys, NKEYS(port_keys), check_port };

static int
check_mbufs(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct cfg_dataplane *dp = obj;

	if (dp->mbufs != 0 && dp->mbufs < CFG_MBUFS_MIN)
		return cfg_fail_val(ld, v, "%u is out of range (0, or %u..%u)", dp->mbufs,
				    CFG_MBUFS_MIN, CFG_MBUFS_MAX);
	return 0;
}

static const struct cfg_key dataplane_keys[] = {
	K_OBJ("eal", struct cfg_dataplane, eal, &eal_obj),
	K_UINT("workers", struct cfg_dataplane, workers, 1, CFG_MAX_WORKERS, 1),
	K_UINT("idle_sleep_us", struct cfg_dataplane, idle_sleep_us, 0, 1000000, 0),
	K_UINT("mbufs", struct cfg_dataplane, mbufs, 0, CFG_MBUFS_MAX, 0, .check = check_mbufs),
	K_UINT("burst", struct cfg_dataplane, burst, 1, 64, 32),
	K_STR("lock_dir", struct cfg_dataplane, lock_dir, 1, 200, "/run/dpf"),
	K_ARR("ports", struct cfg_dataplane, ports, n_ports, &port_obj, 1, CFG_MAX_PORTS,
	      .flags = CF_REQUIRED),
};

static const struct cfg_obj dataplane_obj = {
	"dataplane", dataplane_keys, NKEYS(dataplane_keys), NULL
};

/* --- interfaces --- */

static int
load_iface_port(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct cfg_dataplane *dp = &ld->cfg->dataplane;
	struct cfg_iface *ifc = obj;
	const char *s;
	char known[256];
	int idx;

	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	idx = cfg_port_find(ld->cfg, s);
	if (idx < 0) {
		names_list(known, sizeof(known), "ports", dp->n_ports ? dp->ports[0].name : "",
			   sizeof(dp->ports[0]), dp->n_ports);
		return cfg_fail_val(ld, v, "unknown port \"%s\" (%s)", s, known);
	}
	ifc->port = (unsigned int)idx;
	return 0;
}

static void
print_iface_port(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_iface *ifc = obj;

	cfg_out_key(o, k->name);
	cfg_out_str(o, o->cfg->dataplane.ports[ifc->port].name);
}

/* An interface's MTU defaults to its port's and cannot exceed it. */
static int
load_iface_mtu(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_iface *ifc = obj;
	const struct cfg_port *port = &ld->cfg->dataplane.ports[ifc->port];
	uint64_t mtu = port->mtu;

	if (v->j != NULL) {
		if (cfg_get_uint(ld, v, 68, 9600, &mtu) < 0)
			return -1;
		if (mtu > port->mtu)
			return cfg_fail_val(ld, v, "mtu %" PRIu64 " is above port %s's mtu %u",
					    mtu, port->name, port->mtu);
	}
	ifc->mtu = (uint16_t)mtu;
	return 0;
}

static int
load_iface_v4(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_iface *ifc = obj;

	return cfg_load_prefixes(ld, v, CFG_PFX_V4 | CFG_PFX_LEN | CFG_PFX_IFADDR, CFG_MAX_ADDRS,
			     &ifc->addrs, &ifc->n_addrs);
}

static int
load_iface_v6(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_iface *ifc = obj;

	return cfg_load_prefixes(ld, v, CFG_PFX_V6 | CFG_PFX_LEN | CFG_PFX_IFADDR, CFG_MAX_ADDRS,
			     &ifc->addrs, &ifc->n_addrs);
}

static void
print_iface_v4(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_iface *ifc = obj;

	cfg_out_key(o, k->name);
	cfg_out_prefixes(o, ifc->addrs, ifc->n_addrs, 4, true);
}

static void
print_iface_v6(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_iface *ifc = obj;

	cfg_out_key(o, k->name);
	cfg_out_prefixes(o, ifc->addrs, ifc->n_addrs, 6, true);
}

static int
load_groups(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_iface *ifc = obj;
	size_t n;

	if (cfg_get_array(ld, v, CFG_MAX_GROUPS, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	ifc->groups = calloc(n, sizeof(*ifc->groups));
	if (ifc->groups == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cfg_val e = cfg_element(ld, v, i);

		if (cfg_get_name(ld, &e, ifc->groups[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ifc->groups[j], ifc->groups[i]) == 0)
				return cfg_fail_val(ld, &e, "group \"%s\" is listed twice",
						    ifc->groups[i]);
		ifc->n_groups++;
	}
	return 0;
}

static void
print_groups(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_iface *ifc = obj;
	const char *names[CFG_MAX_GROUPS];

	for (unsigned int i = 0; i < ifc->n_groups; i++)
		names[i] = ifc->groups[i];
	cfg_out_key(o, k->name);
	cfg_out_strings(o, names, ifc->n_groups);
}

static int
check_iface(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct dpf_config *cfg = ld->cfg;
	const struct cfg_iface *ifc = obj;
	unsigned int idx = (unsigned int)(ifc - cfg->ifaces);

	for (unsigned int i = 0; i < idx; i++) {
		const struct cfg_iface *o = &cfg->ifaces[i];
		struct cfg_val m;

		if (strcmp(o->name, ifc->name) == 0) {
			m = cfg_member(ld, v, "name");
			return cfg_fail_val(ld, &m, "duplicate interface name \"%s\" (also "
					    "interfaces[%u])", ifc->name, i);
		}
		if (o->port == ifc->port && o->vlan == ifc->vlan) {
			m = cfg_member(ld, v, ifc->vlan != 0 ? "vlan" : "port");
			if (ifc->vlan != 0)
				return cfg_fail_val(ld, &m, "port %s vlan %u is already interface "
						    "%s", cfg->dataplane.ports[ifc->port].name,
						    ifc->vlan, o->name);
			return cfg_fail_val(ld, &m, "port %s untagged is already interface %s",
					    cfg->dataplane.ports[ifc->port].name, o->name);
		}
	}
	return cfg_check_iface_addrs(ld, v, ifc);
}

static const struct cfg_key iface_keys[] = {
	K_NAME("name", struct cfg_iface, name, .flags = CF_REQUIRED),
	K_CUSTOM("port", load_iface_port, print_iface_port, .flags = CF_REQUIRED),
	K_UINT("vlan", struct cfg_iface, vlan, 1, 4094, 0, .flags = CF_NULL),
	K_UINT("mtu", struct cfg_iface, mtu, 68, 9600, 0, .load = load_iface_mtu),
	K_CUSTOM("ipv4", load_iface_v4, print_iface_v4),
	K_CUSTOM("ipv6", load_iface_v6, print_iface_v6),
	K_CUSTOM("groups", load_groups, print_groups),
};

static const struct cfg_obj iface_obj = { "interface", iface_keys, NKEYS(iface_keys), check_iface };

/* --- routes --- */

static int
load_route_prefix(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_route *r = obj;

	return cfg_get_prefix(ld, v, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_LEN | CFG_PFX_NET, &r->dst);
}

static void
print_route_prefix(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_route *r = obj;
	char buf[64];

	cfg_prefix_format(&r->dst, true, buf, sizeof(buf));
	cfg_out_key(o, k->name);
	cfg_out_str(o, buf);
}

static int
load_route_via(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_route *r = obj;
	struct cfg_prefix gw;
	char dst[64];

	r->has_via = false;
	if (v->j == NULL)
		return 0;
	if (cfg_get_prefix(ld, v, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_NOLEN | CFG_PFX_UNICAST,
			   &gw) < 0)
		return -1;
	if (gw.af != r->dst.af) {
		cfg_prefix_format(&r->dst, true, dst, sizeof(dst));
		return cfg_fail_val(ld, v, "gateway %s is IPv%u but the prefix %s is IPv%u",
				    json_string_value(v->j), gw.af, dst, r->dst.af);
	}
	memcpy(r->via, gw.addr, sizeof(r->via));
	r->has_via = true;
	return 0;
}

static void
print_route_via(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_route *r = obj;
	struct cfg_prefix gw = { .af = r->dst.af };

	memcpy(gw.addr, r->via, sizeof(gw.addr));
	cfg_print_peer(o, k->name, r->has_via, &gw);
}

static uint32_t
route_hash(const struct cfg_prefix *p)
{
	uint32_t h = 2166136261u ^ p->af ^ (uint32_t)p->plen << 8;	/* FNV-1a */

	for (unsigned int i = 0; i < (p->af == 4 ? 4u : 16u); i++)
		h = (h ^ p->addr[i]) * 16777619u;
	return h;
}

/*
 * The earlier route with r's prefix, or -1; r is remembered otherwise.  A
 * hash of the routes so far keeps the check linear in the routes (a table
 * may have tens of thousands); -2 when out of memory.
 */
static int
route_seen(struct cfg_ld *ld, const struct cfg_route *r)
{
	const struct cfg_route *routes = ld->cfg->routes;
	uint32_t idx = (uint32_t)(r - routes), mask, i;

	if (2 * (idx + 1) > ld->n_route_slots) {
		uint32_t n = ld->n_route_slots ? 2 * ld->n_route_slots : 64;
		uint32_t *s = calloc(n, sizeof(*s));

		if (s == NULL)
			return -2;
		for (uint32_t k = 0; k < idx; k++) {
			for (i = route_hash(&routes[k].dst) & (n - 1); s[i] != 0; i = (i + 1) & (n - 1))
				;
			s[i] = k + 1;
		}
		free(ld->route_slots);
		ld->route_slots = s;
		ld->n_route_slots = n;
	}
	mask = ld->n_route_slots - 1;
	for (i = route_hash(&r->dst) & mask; ld->route_slots[i] != 0; i = (i + 1) & mask)
		if (cfg_prefix_equal(&routes[ld->route_slots[i] - 1].dst, &r->dst))
			return (int)ld->route_slots[i] - 1;
	ld->route_slots[i] = idx + 1;
	return -1;
}

/* A next hop is a gateway, an interface, both (gateway on that interface), or reject. */
static int
check_route(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct cfg_route *r = obj;
	struct cfg_val m;
	char buf[64];
	int j;

	if (r->reject && (r->has_via || r->iface >= 0)) {
		m = cfg_member(ld, v, "reject");
		return cfg_fail_val(ld, &m, "a reject route has no via or interface");
	}
	if (!r->reject && !r->has_via && r->iface < 0)
		return cfg_fail_val(ld, v, "a route needs \"via\", \"interface\" or "
				    "\"reject\": true");
	j = route_seen(ld, r);
	if (j == -2)
		return cfg_fail_val(ld, v, "out of memory");
	if (j >= 0) {
		m = cfg_member(ld, v, "prefix");
		cfg_prefix_format(&r->dst, true, buf, sizeof(buf));
		return cfg_fail_val(ld, &m, "duplicate route %s (also routes[%d])", buf, j);
	}
	return 0;
}

static const struct cfg_key route_keys[] = {
	K_CUSTOM("prefix", load_route_prefix, print_route_prefix, .flags = CF_REQUIRED),
	K_CUSTOM("via", load_route_via, print_route_via, .flags = CF_NULL),
	K_IFACE("interface", struct cfg_route, iface, .flags = CF_NULL),
	K_BOOL("reject", struct cfg_route, reject, false),
};

static const struct cfg_obj route_obj = { "route", route_keys, NKEYS(route_keys), check_route };

/* --- tables --- */

static const struct cfg_key table_file_keys[] = {
	K_STR("file", struct cfg_table, file, 1, 4095, NULL, .flags = CF_REQUIRED),
};

/*
 * The file is read at load, as key files are, so that `dpf -n` and startup
 * see the same entries and a missing or bad file fails the load.  Its entries
 * are the table's, as inline ones would be; `dpf -n` prints only the path.
 */
static int
load_table_file(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_table *t = obj;
	struct cfg_val f = cfg_member(ld, v, "file");

	return cfg_load_table_file(ld, &f, t->file, &t->entries, &t->n);
}

static const struct cfg_obj table_file_obj = {
	"table", table_file_keys, NKEYS(table_file_keys), load_table_file
};

/* pf table names: at most PF_TABLE_NAME_SIZE - 1 = 31 characters. */
static int
load_tables(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct dpf_config *cfg = obj;
	const char *name;
	json_t *val;
	size_t n;

	if (v->j == NULL)
		return 0;
	if (!json_is_object(v->j))
		return cfg_fail_type(ld, v, "an object");
	n = json_object_size(v->j);
	if (n == 0)
		return 0;
	cfg->tables = calloc(n, sizeof(*cfg->tables));
	if (cfg->tables == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	json_object_foreach(v->j, name, val) {
		struct cfg_table *t = &cfg->tables[cfg->n_tables];
		struct cfg_val e = cfg_member(ld, v, name);
		size_t len = strlen(name);

		if (len == 0 || len >= sizeof(t->name) ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789_") != len)
			return cfg_fail(ld, e.node, true, "table name \"%s\" must be 1..%zu "
					"letters, digits or '_'", name, sizeof(t->name) - 1);
		memcpy(t->name, name, len + 1);
		cfg->n_tables++;
		if (json_is_array(val)) {
			if (cfg_load_prefixes(ld, &e, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_NET,
					  UINT32_MAX, &t->entries, &t->n) < 0)
				return -1;
		} else if (json_is_object(val)) {
			if (cfg_walk(ld, &e, &table_file_obj, t) < 0)
				return -1;
		} else {
			return cfg_fail_type(ld, &e, "an array of prefixes or {\"file\": PATH}");
		}
	}
	return 0;
}

static void
print_tables(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct dpf_config *cfg = obj;

	cfg_out_key(o, k->name);
	cfg_out_begin(o, '{');
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		const struct cfg_table *t = &cfg->tables[i];

		cfg_out_key(o, t->name);
		if (t->file != NULL)
			cfg_out_obj(o, &table_file_obj, t);
		else
			cfg_out_prefixes(o, t->entries, t->n, 0, true);
	}
	cfg_out_end(o, '}');
}

/* --- limits and timeouts: pf's names and defaults, from proto/pftm.h --- */

#define LIMIT_KEY(sym, str, dflt) \
	{ .name = str, .kind = CK_UINT, .off = PFLIMIT_##sym * sizeof(uint32_t), \
	  .size = sizeof(uint32_t), .min = 1, .max = UINT32_MAX, .def = dflt },
static const struct cfg_key limit_keys[] = { PFLIMIT_LIST(LIMIT_KEY) };
#undef LIMIT_KEY

#define TIMEOUT_KEY(sym, str, dflt) \
	{ .name = str, .kind = CK_UINT, .off = PFTM_##sym * sizeof(uint32_t), \
	  .size = sizeof(uint32_t), .min = 0, .max = UINT32_MAX, .def = dflt },
static const struct cfg_key timeout_keys[] = { PFTM_LIST(TIMEOUT_KEY) };
#undef TIMEOUT_KEY

_Static_assert(sizeof(limit_keys) / sizeof(limit_keys[0]) == PFLIMIT_MAX, "one key per limit");
_Static_assert(sizeof(timeout_keys) / sizeof(timeout_keys[0]) == PFTM_MAX, "one key per timeout");

static const struct cfg_obj limits_obj = { "limit", limit_keys, NKEYS(limit_keys), NULL };
static const struct cfg_obj timeouts_obj = { "timeout", timeout_keys, NKEYS(timeout_keys), NULL };

/* --- options --- */

static int
load_default(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_options *opt = obj;
	const char *s;

	opt->default_pass = false;
	if (v->j == NULL)
		return 0;
	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	if (strcmp(s, "pass") == 0)
		opt->default_pass = true;
	else if (strcmp(s, "block") != 0)
		return cfg_fail_val(ld, v, "expected \"block\" or \"pass\", got \"%s\"", s);
	return 0;
}

static void
print_default(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_options *opt = obj;

	cfg_out_key(o, k->name);
	cfg_out_str(o, opt->default_pass ? "pass" : "block");
}

static const struct cfg_key options_keys[] = {
	K_CUSTOM("default", load_default, print_default),
};

static const struct cfg_obj options_obj = { "options", options_keys, NKEYS(options_keys), NULL };

/*
 * --- rules: kept as written, and checked here with the rule parser
 * (control/rules/rules.h) against the interfaces and tables above, so that a bad
 * rule fails the load (and `dpf -n`) at the token it names.
 */

/*
 * The columns that the first n bytes of a decoded JSON string took in the
 * file: one per character (UTF-8 continuation bytes don't count), two for
 * the characters JSON must escape ('"', '\\', and \n-style controls).
 * Characters written as \uXXXX though they need not be are counted as
 * one, so a column after such an escape is early by 5.
 */
static int
utf8_columns(const char *s, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c < 0x20)
			cols += 2;
		else
			cols += (c & 0xc0) != 0x80;
	}
	return cols;
}

/* The node an object rule's error path ("from.port[1]") names below v. */
static struct cfg_val
rule_error_node(struct cfg_ld *ld, const struct cfg_val *v, const char *path)
{
	struct cfg_val cur = *v;
	char key[96];

	while (*path != '\0') {
		size_t n = strcspn(path, ".[");

		if (n > 0) {
			snprintf(key, sizeof(key), "%.*s", (int)n, path);
			cur = cfg_member(ld, &cur, key);
			path += n;
		} else if (*path == '[') {
			cur = cfg_element(ld, &cur, strtoul(path + 1, NULL, 10));
			path = strchr(path, ']') != NULL ? strchr(path, ']') + 1 : path + 1;
		} else {
			path++;
		}
		if (cur.j == NULL)
			break;
	}
	return cur;
}

static int
rule_fail(struct cfg_ld *ld, const struct cfg_val *e, const struct rules_error *rerr)
{
	if (json_is_string(e->j)) {
		const char *text = json_string_value(e->j);

		cfg_fail_val(ld, e, "%s", rerr->msg);
		/* The token's column: the string's, +1 for the quote, + the offset. */
		if (ld->err->line > 0 && rerr->offset >= 0)
			ld->err->column += 1 + utf8_columns(text, (size_t)rerr->offset);
		return -1;
	} else {
		struct cfg_val at = rule_error_node(ld, e, rerr->path);

		return cfg_fail(ld, at.node, strncmp(rerr->msg, "unknown key", 11) == 0, "%s",
				rerr->msg);
	}
}

/*
 * Every rule is parsed here, once, against the interfaces and tables loaded
 * above, and the config keeps the parsed rules: the printer and the plan
 * (control/plan) use them as they are.  The elements' types are checked
 * first, so that a non-rule is reported before a bad rule after it.
 */
static int
load_rules(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct dpf_config *cfg = obj;
	struct rules_error rerr;
	struct rules_env env;
	struct dpf_ruleset *rs;
	unsigned int bad;
	size_t n;
	int rc = 0;

	if (cfg_get_array(ld, v, CFG_MAX_RULES, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct cfg_val e = cfg_element(ld, v, i);

		if (!json_is_string(e.j) && !json_is_object(e.j))
			return cfg_fail_type(ld, &e, "a rule (a string or an object)");
	}
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	cfg->ruleset = rs;
	rs->default_pass = cfg->options.default_pass;
	rs->rules = calloc(n > 0 ? n : 1, sizeof(*rs->rules));
	if (rs->rules == NULL || cfg_rules_env(cfg, &env) < 0)
		return cfg_fail_val(ld, v, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cfg_val e = cfg_element(ld, v, i);

		if (json_is_string(e.j))
			rc = rules_parse_string(json_string_value(e.j), &env, &rs->rules[i], &rerr);
		else
			rc = rules_parse_json(e.j, &env, &rs->rules[i], &rerr);
		if (rc < 0)
			rule_fail(ld, &e, &rerr);
		else
			rs->n++;
	}
	rules_env_free(&env);
	if (rc < 0)
		return -1;
	if (rules_number(rs->rules, rs->n, &bad, &rerr) < 0) {
		struct cfg_val e = cfg_element(ld, v, bad);

		if (json_is_object(e.j)) {
			struct cfg_val id = cfg_member(ld, &e, "id");

			return cfg_fail_val(ld, &id, "%s", rerr.msg);
		}
		return cfg_fail_val(ld, &e, "%s", rerr.msg);
	}
	return 0;
}

/*
 * Normalized pf syntax, one rule per line (`pfctl -nvf`), from the parsed
 * rules; both forms print as strings, so the printed config loads back to
 * the same rules.
 */
static void
print_rules(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct dpf_config *cfg = obj;
	const struct dpf_ruleset *rs = cfg->ruleset;
	char buf[1024];

	cfg_out_key(o, k->name);
	if (rs == NULL || rs->n == 0) {
		cfg_out_raw(o, "[]");
		return;
	}
	cfg_out_begin(o, '[');
	for (unsigned int i = 0; i < rs->n; i++) {
		size_t len = rules_print(&rs->rules[i], buf, sizeof(buf));
		char *s;

		if (len < sizeof(buf)) {
			cfg_out_str(o, buf);
			continue;
		}
		/* Long lists: print into a buffer of the length needed. */
		s = malloc(len + 1);
		if (s == NULL) {
			cfg_out_null(o);	/* out of memory: the output will not load */
			continue;
		}
		rules_print(&rs->rules[i], s, len + 1);
		cfg_out_str(o, s);
		free(s);
	}
	cfg_out_end(o, ']');
}

/* --- logging --- */

static const struct cfg_key logging_keys[] = {
	K_STR("pflog", struct cfg_logging, pflog, 1, 4095, NULL, .flags = CF_NULL),
};

static const struct cfg_obj logging_obj = { "logging", logging_keys, NKEYS(logging_keys), NULL };

/* --- the whole config --- */

/*
 * Rules that span sections: pfctl's adaptive timeouts for `set limit states`,
 * pf's table limits, and group names that would shadow interface names in
 * `on NAME`.
 */
static int
check_config(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct dpf_config *cfg = obj;
	struct cfg_val lim = cfg_member(ld, v, "limits");
	struct cfg_val tmo = cfg_member(ld, v, "timeouts");
	struct cfg_val m;
	uint64_t entries = 0;

	/*
	 * [OpenBSD pfctl_load_options] with `set limit states N` and neither
	 * adaptive timeout set, start = N/10*6 and end = N/10*12.  pfctl does it
	 * in 32 bits, which wraps above ~358M states; here it saturates instead.
	 */
	if (json_object_get(lim.j, "states") != NULL &&
	    json_object_get(tmo.j, "adaptive.start") == NULL &&
	    json_object_get(tmo.j, "adaptive.end") == NULL) {
		uint64_t states = cfg->limits[PFLIMIT_STATES];
		uint64_t start = states / 10 * 6, end = states / 10 * 12;

		cfg->timeouts[PFTM_ADAPTIVE_START] = (uint32_t)start;
		cfg->timeouts[PFTM_ADAPTIVE_END] = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
	}
	/*
	 * Every worker's reassembly table is allocated at start for its share of
	 * limits.frags (some 200 bytes a datagram): 4 billion would ask for
	 * hundreds of GB and fail late, inside EAL memory.
	 */
	if (cfg->limits[PFLIMIT_FRAGS] > CFG_MAX_FRAGS) {
		m = cfg_member(ld, &lim, "frags");
		return cfg_fail_val(ld, &m, "%" PRIu32 " datagrams in reassembly, at most %u",
				    cfg->limits[PFLIMIT_FRAGS], CFG_MAX_FRAGS);
	}
	m = cfg_member(ld, v, "tables");
	if (cfg->n_tables > cfg->limits[PFLIMIT_TABLES])
		return cfg_fail_val(ld, &m, "%u tables, above limits.tables %" PRIu32,
				    cfg->n_tables, cfg->limits[PFLIMIT_TABLES]);
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		const struct cfg_table *t = &cfg->tables[i];
		struct cfg_val tv;

		entries += t->n;
		if (entries <= cfg->limits[PFLIMIT_TABLE_ENTRIES] || t->file == NULL ||
		    entries - t->n > cfg->limits[PFLIMIT_TABLE_ENTRIES])
			continue;
		/* A file's entries pass the limit: say which file. */
		tv = cfg_member(ld, &m, t->name);
		tv = cfg_member(ld, &tv, "file");
		return cfg_fail_val(ld, &tv, "table file \"%s\": %u entries, %" PRIu64 " in "
				    "all tables so far, above limits.table-entries %" PRIu32,
				    t->file, t->n, entries, cfg->limits[PFLIMIT_TABLE_ENTRIES]);
	}
	if (entries > cfg->limits[PFLIMIT_TABLE_ENTRIES])
		return cfg_fail_val(ld, &m, "%" PRIu64 " table entries, above "
				    "limits.table-entries %" PRIu32, entries,
				    cfg->limits[PFLIMIT_TABLE_ENTRIES]);
	for (unsigned int i = 0; i < cfg->n_ifaces; i++) {
		for (unsigned int g = 0; g < cfg->ifaces[i].n_groups; g++) {
			struct cfg_val ifv, grp;

			if (cfg_iface_find(cfg, cfg->ifaces[i].groups[g]) < 0)
				continue;
			m = cfg_member(ld, v, "interfaces");
			ifv = cfg_element(ld, &m, i);
			m = cfg_member(ld, &ifv, "groups");
			grp = cfg_element(ld, &m, g);
			return cfg_fail_val(ld, &grp, "group \"%s\" has the name of an interface",
					    cfg->ifaces[i].groups[g]);
		}
	}
	return 0;
}

static const struct cfg_key top_keys[] = {
	K_UINT("schema_version", struct dpf_config, schema_version, 1, 1, 1,
	       .flags = CF_REQUIRED | CF_EARLY, .load = load_schema_version),
	K_OBJ("system", struct dpf_config, system, &system_obj),
	K_OBJ("dataplane", struct dpf_config, dataplane, &dataplane_obj, .flags = CF_REQUIRED),
	K_ARR("interfaces", struct dpf_config, ifaces, n_ifaces, &iface_obj, 0, CFG_MAX_IFACES),
	K_ARR("routes", struct dpf_config, routes, n_routes, &route_obj, 0, CFG_MAX_ROUTES),
	K_CUSTOM("tables", load_tables, print_tables),
	K_OBJ("limits", struct dpf_config, limits, &limits_obj),
	K_OBJ("timeouts", struct dpf_config, timeouts, &timeouts_obj),
	K_OBJ("options", struct dpf_config, options, &options_obj),
	K_CUSTOM("rules", load_rules, print_rules),
	K_OBJ("carp", struct dpf_config, carp, &cfg_carp_obj),
	K_OBJ("sync", struct dpf_config, sync, &cfg_sync_obj),
	K_OBJ("logging", struct dpf_config, logging, &logging_obj),
};

const struct cfg_obj cfg_schema = { "config", top_keys, NKEYS(top_keys), check_config };
