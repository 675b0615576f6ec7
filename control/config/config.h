/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The appliance configuration: one JSON file (docs/config.md), loaded with
 * Jansson into the plain structs below.
 *
 * Contract:
 *  - cfg_load_*() validates everything before returning a config: unknown
 *    keys, wrong types, out-of-range values, duplicate names and dangling
 *    references are errors naming the JSON path, line and column.  On error
 *    nothing is returned and the caller's running config is untouched.
 *  - A returned config is immutable and self-contained (no pointers into
 *    Jansson objects); free it with cfg_free().
 *  - Rules are parsed once, at load, against the interfaces and tables of
 *    the same file; the config keeps the parsed ruleset (cfg->ruleset), not
 *    the text, and cfg_print() prints it back in pf syntax.
 *  - The config keeps the position index of the text it was loaded from, so
 *    that later stages (control/plan, which checks the config against the
 *    dataplane's limits) can point their errors at a value with
 *    cfg_fail_at(), in the same FILE:LINE:COLUMN: PATH format.
 *  - Defaults are filled in, so consumers never re-derive them; cfg_print()
 *    writes the normalized form (`dpf -n`), every key with its value.
 *
 * Ownership: [C] built and freed by the control core only.  Workers never
 * see this struct; they get compiled objects derived from it.
 */
#ifndef DPF_CONTROL_CONFIG_H
#define DPF_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/pftm.h"

struct dpf_ruleset;
struct jpos;

#define CFG_SCHEMA_VERSION 1
#define CFG_NAME_MAX 16		/* incl. NUL; pflog's ifname is 16 bytes */
#define CFG_MAX_PORTS 16
#define CFG_MAX_WORKERS 64
#define CFG_ERR_MAX 512

/* An address with a prefix length; af is 4 or 6, addr network order. */
struct cfg_prefix {
	uint8_t af;
	uint8_t plen;
	uint8_t addr[16];
};

struct cfg_port {
	char name[CFG_NAME_MAX];
	char *device;		/* PCI address "0000:3b:00.0" or a vdev name "net_af_packet0" */
	uint16_t mtu;		/* default 1500 */
	uint16_t rx_desc;	/* default 1024 */
	uint16_t tx_desc;	/* default 1024 */
};

struct cfg_iface {
	char name[CFG_NAME_MAX];
	unsigned int port;	/* index into cfg_dataplane.ports */
	uint16_t vlan;		/* 802.1Q VLAN id 1..4094; 0 = untagged */
	uint16_t mtu;		/* default: the port's */
	unsigned int n_addrs;
	struct cfg_prefix *addrs; /* "ipv4" then "ipv6", in config order */
	unsigned int n_groups;
	char (*groups)[CFG_NAME_MAX]; /* interface groups (CARP demotion) */
};

struct cfg_route {
	struct cfg_prefix dst;
	bool has_via;
	uint8_t via[16];	/* gateway, same af as dst */
	int iface;		/* index into interfaces, or -1 (resolved via the gateway) */
	bool reject;		/* "reject": true -> ICMP unreachable, no next hop */
};

struct cfg_eal {
	char *lcores;		/* "0-2"; the first is the control (main) lcore */
	unsigned int n_args;
	char **args;		/* extra EAL arguments, e.g. "--vdev=..." */
	char *file_prefix;	/* NULL = DPDK default */
	unsigned int memory_mb;	/* 0 = DPDK default */
	bool no_huge;
	bool in_memory;
};

struct cfg_dataplane {
	struct cfg_eal eal;
	unsigned int workers;	/* default 1 */
	unsigned int idle_sleep_us; /* default 0: busy poll */
	unsigned int mbufs;	/* mbufs per socket; 0 = sized from ports and queues */
	unsigned int burst;	/* rx burst, default 32, at most 64 */
	char *lock_dir;		/* port lock files (default /run/dpf) */
	unsigned int n_ports;
	struct cfg_port *ports;
};

/*
 * The control sockets.  Each has its own owner, group and mode, so that
 * monitoring users can reach the read-only socket without the admin one
 * (where `state kill all` is allowed); the ro_ ones default to the admin
 * socket's.
 */
struct cfg_control {
	char *socket;		/* default /run/dpf/dpf.sock */
	char *ro_socket;	/* read-only monitoring socket; NULL = none */
	unsigned int mode;	/* default 0660 */
	char *owner;		/* NULL = the process's user */
	char *group;		/* NULL = the process's group */
	bool ro_mode_set;	/* false: ro_mode is mode */
	unsigned int ro_mode;
	char *ro_owner;		/* NULL = owner */
	char *ro_group;		/* NULL = group */
	unsigned int idle_timeout_ms;	/* drop a client idle this long; 0: never */
	unsigned int stall_timeout_ms;	/* drop a client that reads nothing this long */
};

struct cfg_system {
	char *hostname;
	bool host_id_set;
	uint32_t host_id;	/* pfsync creatorid; random at start if not set */
	struct cfg_control control;
};

struct cfg_table {
	char name[32];
	unsigned int n;
	struct cfg_prefix *entries;
	char *file;		/* NULL, or a file of prefixes loaded at start */
};

struct cfg_vhid {
	uint8_t vhid;		/* 1..255 */
	unsigned int iface;	/* index into interfaces */
	uint8_t advbase;	/* 0..255 s, default 1 */
	uint8_t advskew;	/* 0..254, default 0 */
	uint8_t key[20];	/* zero-padded passphrase, at most 19 bytes */
	uint8_t key_len;
	char *key_file;		/* where the key was read from; NULL if given as "pass" */
	bool has_peer;
	struct cfg_prefix peer;	/* unicast peer (plen unused) */
	unsigned int n_addrs;
	struct cfg_prefix *addrs;
};

struct cfg_carp {
	bool preempt;		/* default false, as net.inet.carp.preempt */
	unsigned int log;	/* syslog level threshold, default 2 (LOG_CRIT) */
	unsigned int n_vhids;
	struct cfg_vhid *vhids;
};

struct cfg_sync {
	int iface;		/* index into interfaces; -1 = pfsync off */
	bool has_peer;
	struct cfg_prefix peer;	/* unicast peer, else 224.0.0.240 */
	bool defer;
	uint8_t maxupd;		/* default 128 */
	uint32_t flush_us;	/* default 1000 */
	char *key_file;		/* authenticated pfsync; NULL: off (OpenBSD's wire) */
	uint8_t key_len;	/* 16..64 */
	uint8_t key[64];	/* read at load; never printed */
};

struct cfg_logging {
	char *pflog;		/* pcap file path; NULL = no pflog file */
};

struct cfg_options {
	bool default_pass;	/* "default": "block" (the default) or "pass" */
};

struct dpf_config {
	unsigned int schema_version;
	struct cfg_system system;
	struct cfg_dataplane dataplane;
	unsigned int n_ifaces;
	struct cfg_iface *ifaces;
	unsigned int n_routes;
	struct cfg_route *routes;
	unsigned int n_tables;
	struct cfg_table *tables;
	uint32_t limits[PFLIMIT_MAX];	/* defaults from PFLIMIT_LIST */
	uint32_t timeouts[PFTM_MAX];	/* defaults from PFTM_LIST */
	struct cfg_options options;
	/*
	 * The rules, parsed at load (strings and objects alike) with ids
	 * numbered and default_pass from options; acl is NULL.  Never NULL in
	 * a loaded config.  rules[i] is the config's rules[i].
	 */
	struct dpf_ruleset *ruleset;
	struct cfg_carp carp;
	struct cfg_sync sync;
	struct cfg_logging logging;
	struct jpos *pos;		/* position index of the text (cfg_fail_at) */
};

/* Where and why a config was rejected. */
struct cfg_error {
	char path[128];		/* JSON path, e.g. "interfaces[1].vlan"; "" for syntax errors */
	int line;		/* 1-based; 0 if unknown */
	int column;		/* 1-based; 0 if unknown */
	char msg[CFG_ERR_MAX];
};

/* Formats an error as "FILE:LINE:COLUMN: PATH: MESSAGE" into buf. */
void cfg_error_format(const struct cfg_error *err, const char *file, char *buf, size_t len);

/*
 * Fills *err for the value at path in the text cfg was loaded from
 * ("interfaces[64]", "carp.vhids[0].addresses[32]": keys joined by '.',
 * array indexes in brackets; so keys that hold '.' or '[' cannot be named),
 * exactly as the loader words its own errors.  A path that names an absent
 * value points at the deepest value present, as the loader does for a
 * missing key.  Returns -1, for `return cfg_fail_at(...)`.
 */
int cfg_fail_at(const struct dpf_config *cfg, struct cfg_error *err, const char *path,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Returns 0 and *out, or -1 with *err filled.  Callers format the error with
 * the file name they want shown (cfg_error_format).  A relative key_file is
 * read relative to the current directory.
 */
int cfg_load_file(const char *path, struct dpf_config **out, struct cfg_error *err);
int cfg_load_string(const char *text, struct dpf_config **out, struct cfg_error *err);

void cfg_free(struct dpf_config *cfg);

/* Writes the normalized config (JSON, defaults filled in, stable order). */
void cfg_print(FILE *f, const struct dpf_config *cfg);

/* Lookups by name; -1 if absent. */
int cfg_port_find(const struct dpf_config *cfg, const char *name);
int cfg_iface_find(const struct dpf_config *cfg, const char *name);

/* Parses "198.18.1.2/24", "2001:db8::1/64" or a bare address (plen = 32/128). */
int cfg_prefix_parse(const char *s, struct cfg_prefix *p);
/* Formats a prefix ("198.18.1.0/24"); with_len false prints only the address. */
void cfg_prefix_format(const struct cfg_prefix *p, bool with_len, char *buf, size_t len);

/* The embedded default config (docs/config.md), used when dpf has no -c. */
extern const char cfg_default_text[];

/*
 * The environment a config's rule names resolve against: its interfaces
 * (with their addresses) and tables (control/config/config_rules.c).  Free
 * it with rules_env_free().  0, or -1 when out of memory.
 */
struct rules_env;
int cfg_rules_env(const struct dpf_config *cfg, struct rules_env *env);

#endif /* DPF_CONTROL_CONFIG_H */
