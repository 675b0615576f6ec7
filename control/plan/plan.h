/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The plan: a loaded config compiled, once, into what the dataplane takes,
 * and checked against every limit the dataplane enforces.
 *
 *   config (control/config) --plan_compile--> plan --plan_instantiate--> objects
 *   pure: JSON, schema, rules    pure: tables, limits   EAL: FIB, ACL, counters
 *
 * Contract:
 *  - plan_compile() needs no EAL and no DPDK memory.  It refuses every
 *    config that bring-up (dp_init, dp_iface_add, dp_fib_build,
 *    rules_acl_build, carp_create) would refuse for the config's own sake,
 *    with the config loader's FILE:LINE:COLUMN: PATH: MESSAGE pointing at
 *    the value at fault.  `dpf -n` and `dpf` start-up both call it, so they
 *    refuse the same configs with the same message.  What only the machine
 *    decides is left to bring-up: devices and their queues and MTUs,
 *    memory (mbufs, state tables, rte_acl's trie), which CPUs exist, and
 *    the files and sockets dpf creates.
 *  - A plan is immutable once compiled [I] and owns its config.  Rules are
 *    the config's, parsed once at load (cfg->ruleset); nothing re-parses.
 *  - plan_instantiate() needs EAL: it builds the FIB and the ruleset's
 *    classifier and counters from a plan into a struct plan_objs and
 *    publishes nothing, so the objects of two plans can exist at once (the
 *    running one and a candidate, for a live reload).  plan_publish() swaps
 *    them in by pointer; the old ones are freed after an RCU grace period
 *    (dp_reclaim()).  Interfaces and dp_init()'s parameters are applied
 *    once, at start (they size the dataplane); a plan whose interfaces
 *    differ from the running ones cannot be instantiated.
 *
 * Why a library of its own and not part of control/config: the config is
 * pure C over Jansson and is unit-tested and fuzzed without DPDK, while the
 * plan speaks the dataplane's types and limits (dataplane/dp.h, rules_acl.h)
 * and instantiates DPDK objects.  Layering: rules <- config <- plan <- app.
 *
 * Ownership: [C] the control core builds, instantiates and frees plans.
 */
#ifndef DPF_CONTROL_PLAN_H
#define DPF_CONTROL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/config/config.h"
#include "dataplane/dp.h"
#include "proto/pftm.h"

struct dp_rules;

/* What the command line adds to the config. */
struct plan_opts {
	/*
	 * The EAL arguments of dpf's command line after "--", which add to
	 * dataplane.eal.args and override the config's EAL settings
	 * (control/app/main.c): an lcore list there replaces
	 * dataplane.eal.lcores, and a --vdev there creates a port's device.
	 */
	int eal_argc;
	char *const *eal_argv;
};

#define PLAN_LOCK_NAME_MAX 96	/* a port's lock file name, NUL included */

struct dpf_plan {
	struct dpf_config *cfg;		/* [I] owned: the config as loaded */
	const struct dpf_ruleset *rs;	/* [I] cfg->ruleset: the parsed rules */
	unsigned int lcores;		/* [I] lcores EAL will run (>= workers + 1) */
	struct dp_conf dp;		/* [I] dp_init()'s; names point into cfg */
	unsigned int n_ifaces;
	struct dp_iface *ifaces;	/* [I] dp_iface_add()'s; index = config index */
	unsigned int n_routes;
	struct dp_route_conf *routes;	/* [I] dp_fib_build()'s, config order */
	struct dp_fib_fit fib;		/* [I] what the FIB takes (unresolved routes) */
	unsigned int acl_entries[2];	/* [I] classifier entries, IPv4 and IPv6 */
	uint32_t limits[PFLIMIT_MAX];	/* [I] pf's `set limit` */
	uint32_t timeouts[PFTM_MAX];	/* [I] pf's `set timeout`, adaptive filled in */
	/* [I] per port: the name of its device's lock file (plan_port_lock_name()) */
	char port_lock[CFG_MAX_PORTS][PLAN_LOCK_NAME_MAX];
	/*
	 * [I] per port: a net_af_packet vdev.  The kernel reassembles IPv4
	 * fragments on such a socket (PACKET_FANOUT with defrag) before dpf
	 * sees them, so limits.frags and timeouts.frag do not apply there.
	 */
	bool port_af_packet[CFG_MAX_PORTS];
};

/*
 * Compiles cfg, which the call takes over: on success the plan owns it, on
 * failure it is freed.  0 with *out, or -1 with *err (format it with
 * cfg_error_format() and the config's file name).  opts may be NULL.
 */
/*
 * Queue pairs port i of cfg needs: one for the control core alone when the
 * port carries nothing but the pfsync interface (a port of its own for
 * sync: the control core owns it, the workers never poll it), else one per
 * worker and the control core's.
 */
unsigned int plan_port_queues(const struct dpf_config *cfg, unsigned int i);

/*
 * The lock file name of a port's device, so that two dpf processes never
 * drive the same device (with in_memory, EAL itself does not stop them, and
 * every packet is seen twice): "port-iface-NAME.lock" for a vdev bound to a
 * kernel interface (iface= of its --vdev argument: af_packet, af_xdp, ...),
 * "port-DEVICE.lock" for a PCI device, and "" (no lock) for any other vdev
 * (net_null, net_ring, net_pcap on files: each process has its own, and
 * tests run several side by side).  Bytes other than [A-Za-z0-9._-]
 * become '_'.  vdev may be NULL.
 */
void plan_port_lock_name(const char *vdev, const char *device, char *buf, size_t len);

/* A config prefix as the dataplane's address. */
void plan_addr(struct dp_addr *d, const struct cfg_prefix *c);

int plan_compile(struct dpf_config *cfg, const struct plan_opts *opts, struct dpf_plan **out,
		 struct cfg_error *err);
/* cfg_load_file() (path NULL: the embedded default) and plan_compile(). */
int plan_load(const char *path, const struct plan_opts *opts, struct dpf_plan **out,
	      struct cfg_error *err);
void plan_free(struct dpf_plan *p);

/* `dpf -n`: the normalized config, rules in pf syntax from the parsed rules. */
void plan_print(FILE *f, const struct dpf_plan *p);

/*
 * Counts the lcores of an EAL lcore list as EAL parses it: -l's core list
 * ("0-2,4"), --lcores' groups ("0@0,(1-3)@1"), or with mask -c's hex core
 * mask.  0 with *n, or -1 with why (what EAL would refuse).  Which CPUs
 * exist is not checked: that is the machine's, at EAL start.
 */
int plan_lcores_count(const char *list, bool mask, unsigned int *n, char *why, size_t len);

/* --- instantiation (needs EAL) --- */

/* The published objects of one plan, built and not yet published. */
struct plan_objs {
	struct dp_fib *fib;		/* dp_fib_build() of the plan's routes */
	struct dp_rules *rules;		/* a copy of the rules, their classifier, counters */
	unsigned int unresolved_routes;	/* static routes the FIB skipped */
};

/*
 * Builds p's objects for dp (after dp_init() and the interfaces are added).
 * Gateways get neighbour entries in dp's table.  0, or -1 with err filled
 * and nothing left to free.
 */
int plan_instantiate(const struct dpf_plan *p, struct dp_main *dp, struct plan_objs *o, char *err,
		     size_t errlen);
/*
 * plan_instantiate() in two parts, for a build off the control core:
 * plan_build_objs() builds the ruleset objects and, with with_fib, the FIB
 * (gateways not bound) on NUMA socket socket.  It reads only p and dp's
 * [I] fields (n_workers), so any thread may run it while the control core
 * runs.  plan_bind() [C] checks p's interfaces against dp's and binds the
 * FIB's gateways to neighbour entries; on its failure the caller frees o.
 */
int plan_build_objs(const struct dpf_plan *p, const struct dp_main *dp, int socket, bool with_fib,
		    struct plan_objs *o, char *err, size_t errlen);
int plan_bind(const struct dpf_plan *p, struct dp_main *dp, struct plan_objs *o, char *err,
	      size_t errlen);
/*
 * Publishes o's objects by pointer swap (a NULL one is not: the running one
 * stays); o is emptied (dp owns them now).
 */
void plan_publish(struct dp_main *dp, struct plan_objs *o);
/* Frees objects that were never published. */
void plan_objs_free(struct plan_objs *o);

#endif /* DPF_CONTROL_PLAN_H */
