/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internals of the config module shared by config.c (loader core),
 * config_schema.c (the key tables and section handlers) and config_print.c
 * (the normalized printer).  Not for other modules; unit tests may use it.
 *
 * The schema is data: every JSON object of the config is a struct cfg_obj,
 * a table of struct cfg_key in the order the keys are documented and
 * printed.  One table drives the unknown-key check (and its "known:" list),
 * required keys, types, ranges, defaults, the printer, and the test that
 * docs/config.md names every key.
 */
#ifndef DPF_CONTROL_CONFIG_PRIV_H
#define DPF_CONTROL_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "control/config/config.h"
#include "control/config/jsonpos.h"

/* How a key's value is loaded and printed when no custom handler is given. */
enum cfg_kind {
	CK_BOOL,		/* bool */
	CK_UINT,		/* unsigned integer of `size` bytes, min..max */
	CK_STR,			/* char *, strdup'ed, length min..max bytes */
	CK_NAME,		/* char[CFG_NAME_MAX]: a port, interface or group name */
	CK_OBJ,			/* an embedded struct described by `sub` */
	CK_ARR,			/* an array of `sub` objects: pointer at off, count at n_off */
	CK_IFACE,		/* int: an interface named by the value, its index; -1 if absent */
	CK_CUSTOM,		/* `load` and `print` do everything */
};

#define CF_REQUIRED 0x1		/* absent is an error (null too) */
#define CF_NULL 0x2		/* null means absent; CK_UINT prints null when == def */
#define CF_EARLY 0x4		/* loaded before the unknown-key check (schema_version) */

struct cfg_ld;
struct cfg_out;

/*
 * A value being loaded: the Jansson value (NULL when the key is absent or
 * null-as-absent) and its node in the position index.  For an absent value
 * `node` is the enclosing object's node, so errors point at it.
 */
struct cfg_val {
	json_t *j;
	uint32_t node;
};

/* An interface named by v: its index in *idx, or -1 when v is absent (config_schema.c). */
int cfg_load_iface_ref(struct cfg_ld *ld, const struct cfg_val *v, int *idx);

struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	unsigned int flags;	/* CF_* */
	size_t off;		/* field offset in the struct the object fills */
	size_t size;		/* CK_UINT: field bytes (1, 2, 4); CK_ARR: element bytes */
	size_t n_off;		/* CK_ARR: offset of the unsigned int count */
	uint64_t min, max;	/* CK_UINT: range; CK_STR: length; CK_ARR: element count */
	uint64_t def;		/* CK_UINT, CK_BOOL: default */
	const char *sdef;	/* CK_STR: default, NULL = null */
	const struct cfg_obj *sub; /* CK_OBJ, CK_ARR */
	/* Called after a present value was stored the generic way; 0 or -1. */
	int (*check)(struct cfg_ld *ld, const struct cfg_val *v, void *obj);
	/* Replaces the generic load; also called for an absent value (v->j NULL). */
	int (*load)(struct cfg_ld *ld, const struct cfg_val *v, void *obj);
	/* Replaces the generic print; prints the key itself (or nothing). */
	void (*print)(struct cfg_out *o, const struct cfg_key *k, const void *obj);
};

struct cfg_obj {
	const char *what;	/* "port", for messages and docs */
	const struct cfg_key *keys;
	unsigned int n_keys;
	/* Runs after every key was loaded: cross-key rules; 0 or -1. */
	int (*check)(struct cfg_ld *ld, const struct cfg_val *v, void *obj);
};

/* The whole config, and the objects whose keys are not fixed names. */
extern const struct cfg_obj cfg_schema;

struct cfg_ld {
	struct dpf_config *cfg;
	struct cfg_error *err;
	struct jpos pos;
	/* The routes loaded so far by prefix, for check_route: index + 1, 0 empty. */
	uint32_t *route_slots;
	uint32_t n_route_slots;	/* a power of two, at least twice the routes */
};

/* --- loader core (config.c) --- */

/* Sets ld->err for the value (at_key: for its key) and returns -1. */
int cfg_fail(struct cfg_ld *ld, uint32_t node, bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define cfg_fail_val(ld, v, ...) cfg_fail(ld, (v)->node, false, __VA_ARGS__)
/* "expected WHAT, got an array" */
int cfg_fail_type(struct cfg_ld *ld, const struct cfg_val *v, const char *what);

struct cfg_val cfg_member(struct cfg_ld *ld, const struct cfg_val *obj, const char *key);
struct cfg_val cfg_element(struct cfg_ld *ld, const struct cfg_val *arr, size_t i);

/* Loads the object v (absent: all defaults) into obj with schema o. */
int cfg_walk(struct cfg_ld *ld, const struct cfg_val *v, const struct cfg_obj *o, void *obj);

/* Typed getters: 0, or -1 with the error set. */
int cfg_get_uint(struct cfg_ld *ld, const struct cfg_val *v, uint64_t min, uint64_t max,
		 uint64_t *out);
int cfg_get_str(struct cfg_ld *ld, const struct cfg_val *v, const char **out);
int cfg_get_name(struct cfg_ld *ld, const struct cfg_val *v, char name[CFG_NAME_MAX]);
/* An array of at most max elements (absent: 0 elements). */
int cfg_get_array(struct cfg_ld *ld, const struct cfg_val *v, size_t max, size_t *n);

/* What a prefix string must look like, for cfg_get_prefix(). */
#define CFG_PFX_V4 0x1		/* IPv4 allowed */
#define CFG_PFX_V6 0x2		/* IPv6 allowed */
#define CFG_PFX_LEN 0x4		/* "/len" required */
#define CFG_PFX_NOLEN 0x8	/* "/len" not allowed: an address */
#define CFG_PFX_NET 0x10	/* host bits must be zero */
#define CFG_PFX_UNICAST 0x20	/* not unspecified, multicast or broadcast */
/*
 * An interface's own address: unicast, not loopback, a prefix length above 0,
 * and (IPv4, /30 and wider) not its subnet's broadcast address.  Any of these
 * on an interface silently breaks forwarding or answers for the whole net.
 */
#define CFG_PFX_IFADDR 0x40
int cfg_get_prefix(struct cfg_ld *ld, const struct cfg_val *v, unsigned int flags,
		   struct cfg_prefix *p);

bool cfg_prefix_equal(const struct cfg_prefix *a, const struct cfg_prefix *b);

/*
 * interfaces[]: no address of ifc (at v) on an interface before it, or
 * twice on ifc; the prefix length does not matter.  0, or -1 with the
 * error at the address's element.
 */
int cfg_check_iface_addrs(struct cfg_ld *ld, const struct cfg_val *v,
			  const struct cfg_iface *ifc);

/* Reads the first line of a key file (at most 256 bytes are read). */
int cfg_read_key_file(const char *path, uint8_t *key, size_t max, size_t *len, char *why,
		      size_t whylen);

/*
 * Appends the entries of table file path (pfctl's format, docs/config.md) to
 * *arr, count *n; errors are set at v, the config's "file" value, with the
 * file's "PATH:LINE:COL: " leading the message.
 */
int cfg_load_table_file(struct cfg_ld *ld, const struct cfg_val *v, const char *path,
			struct cfg_prefix **arr, unsigned int *n);

/* --- printer (config_print.c) --- */

struct cfg_out {
	FILE *f;
	unsigned int depth;	/* open containers */
	bool first;		/* nothing written yet in the innermost container */
	bool after_key;		/* a key was written; the value follows on its line */
	unsigned int col;	/* column after the key, for fitting arrays inline */
	const struct dpf_config *cfg; /* for names of referenced ports and interfaces */
};

void cfg_out_key(struct cfg_out *o, const char *key);
void cfg_out_str(struct cfg_out *o, const char *s);	/* NULL prints null */
void cfg_out_uint(struct cfg_out *o, uint64_t v);
void cfg_out_bool(struct cfg_out *o, bool v);
void cfg_out_null(struct cfg_out *o);
/* Writes a value verbatim (already JSON). */
void cfg_out_raw(struct cfg_out *o, const char *json);
void cfg_out_begin(struct cfg_out *o, char open);
void cfg_out_end(struct cfg_out *o, char close);
/* An array of strings: on one line when it fits in 100 columns, else one per line. */
void cfg_out_strings(struct cfg_out *o, const char *const *s, size_t n);
/* The prefixes of family af (0 = any), formatted with or without length. */
void cfg_out_prefixes(struct cfg_out *o, const struct cfg_prefix *p, size_t n, uint8_t af,
		      bool with_len);
/* Prints obj's keys in table order (the generic kinds, or each key's print). */
void cfg_out_obj(struct cfg_out *o, const struct cfg_obj *schema, const void *obj);

#endif /* DPF_CONTROL_CONFIG_PRIV_H */
