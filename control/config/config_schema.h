/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config schema's private vocabulary: limits, the key-table macros,
 * the helpers more than one section uses, and the sections that live in
 * their own file (config_schema_ha.c: carp and sync).  Only the schema
 * files include it.
 */
#ifndef DPF_CONTROL_CONFIG_SCHEMA_H
#define DPF_CONTROL_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "control/config/config_priv.h"

#define CFG_MAX_IFACES 4096
#define CFG_MAX_ROUTES (1u << 20)
#define CFG_MAX_RULES (1u << 20)
#define CFG_MAX_VHIDS 4096
#define CFG_MAX_ADDRS 1024	/* per interface and per vhid */
#define CFG_MAX_FRAGS 1000000u	/* limits.frags: datagrams in reassembly at a time */
#define CFG_MAX_GROUPS 32	/* per interface */
#define CFG_MAX_EAL_ARGS 256
#define CFG_MBUFS_MIN 1024
#define CFG_MBUFS_MAX (16u << 20)

#define FSIZE(T, f) sizeof(((T *)0)->f)
#define NKEYS(a) (unsigned int)(sizeof(a) / sizeof((a)[0]))

#define K_BOOL(n, T, f, d, ...) \
	{ .name = n, .kind = CK_BOOL, .off = offsetof(T, f), .def = d, __VA_ARGS__ }
#define K_UINT(n, T, f, lo, hi, d, ...) \
	{ .name = n, .kind = CK_UINT, .off = offsetof(T, f), .size = FSIZE(T, f), \
	  .min = lo, .max = hi, .def = d, __VA_ARGS__ }
#define K_STR(n, T, f, lo, hi, d, ...) \
	{ .name = n, .kind = CK_STR, .off = offsetof(T, f), .min = lo, .max = hi, .sdef = d, \
	  __VA_ARGS__ }
#define K_NAME(n, T, f, ...) \
	{ .name = n, .kind = CK_NAME, .off = offsetof(T, f), __VA_ARGS__ }
#define K_OBJ(n, T, f, o, ...) \
	{ .name = n, .kind = CK_OBJ, .off = offsetof(T, f), .sub = o, __VA_ARGS__ }
#define K_ARR(n, T, f, cnt, o, lo, hi, ...) \
	{ .name = n, .kind = CK_ARR, .off = offsetof(T, f), .n_off = offsetof(T, cnt), \
	  .size = sizeof(*((T *)0)->f), .min = lo, .max = hi, .sub = o, __VA_ARGS__ }
#define K_IFACE(n, T, f, ...) \
	{ .name = n, .kind = CK_IFACE, .off = offsetof(T, f), __VA_ARGS__ }
#define K_CUSTOM(n, ld, pr, ...) \
	{ .name = n, .kind = CK_CUSTOM, .load = ld, .print = pr, __VA_ARGS__ }

/* interface name key -> index (-1 for null), printed back by name */
void cfg_print_iface_ref(struct cfg_out *o, const char *key, int idx);
/* Appends the prefixes of array v to *arr (count *n), each parsed with flags. */
int cfg_load_prefixes(struct cfg_ld *ld, const struct cfg_val *v, unsigned int flags, size_t max,
		      struct cfg_prefix **arr, unsigned int *n);
/* A unicast peer address, or null (*has false). */
int cfg_load_peer(struct cfg_ld *ld, const struct cfg_val *v, bool *has, struct cfg_prefix *p);
void cfg_print_peer(struct cfg_out *o, const char *key, bool has, const struct cfg_prefix *p);

extern const struct cfg_obj cfg_carp_obj;
extern const struct cfg_obj cfg_sync_obj;

#endif /* DPF_CONTROL_CONFIG_SCHEMA_H */
