/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The CARP engine on the control core: one state machine (carp_fsm.h) per
 * configured vhid, adverts in and out, interface groups with demotion
 * counters, the log lines, the counters, and the published set of virtual
 * MACs and addresses this node is MASTER for (struct dp_carp, which the
 * workers and control/local/local.c read).
 *
 * Contract:
 *  - carp_poll() does bounded work and never blocks; the control core calls
 *    it every loop iteration.  Adverts, gratuitous ARPs and unsolicited NAs
 *    leave on the control core's TX queue of the vhid's port, from the
 *    virtual MAC 00:00:5e:00:01:<vhid>.
 *  - carp_create() registers the engine with local (control/local) as the
 *    handler of IP protocol 112; carp_input() takes every CARP packet
 *    local receives and always consumes it.
 *  - carp_shutdown() sends the bow-out adverts of a clean stop.
 *
 * Ownership: [C] everything here belongs to the control core.
 */
#ifndef DPF_CONTROL_CARP_H
#define DPF_CONTROL_CARP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "control/carp/carp_fsm.h"
#include "control/config/config.h"
#include "dataplane/dp.h"
#include "proto/carp.h"
#include "proto/pkt.h"

/*
 * Rejected adverts by reason, for `show carp` (what
 * operators need to tell a wrong key from a clash or a loop).  Each also
 * bumps its carpstats counter.  ADDRS is an HMAC failure that verifies with
 * our key over a different address list (a subset of ours: one address,
 * only the IPv4 or only the IPv6 ones), so the key is right and the
 * configured addresses differ.
 *
 * Rows: symbol, name, the carpstats counter (CARP_STAT_*) and the log
 * priority (carp.c's CARP_LOG_*) of a rejection.
 */
#define CARP_REJ_LIST(_)					\
	_(SHORT,	"short",	BADLEN,		INFO)	\
	_(TTL,		"bad-ttl",	BADTTL,		NOTICE)	\
	_(CKSUM,	"checksum",	BADSUM,		INFO)	\
	_(VERSION,	"version",	BADVER,		NOTICE)	\
	_(AUTH,		"auth",		BADAUTH,	INFO)	\
	_(VHID,		"unknown-vhid",	BADVHID,	INFO)	\
	_(ADDRS,	"address-list",	BADADDRS,	INFO)	\
	_(REPLAY,	"replay",	BADAUTH,	WARNING)

enum carp_rej {
#define CARP_REJ_ENUM(sym, str, stat, prio) CARP_REJ_##sym,
	CARP_REJ_LIST(CARP_REJ_ENUM)
#undef CARP_REJ_ENUM
	CARP_REJ_MAX
};

const char *carp_rej_name(unsigned int r);

#define CARP_VH_GROUPS 33		/* "carp" + the interface's groups */

struct carp_group {
	char name[CFG_NAME_MAX];
	int demote;			/* >= 0 */
};

struct carp_vh {
	const struct cfg_vhid *cfg;
	uint8_t vhid;
	uint16_t iface;
	uint16_t port;
	bool admin_down;		/* `carp down` */
	bool link_down;			/* parent link down: INIT, groups demoted */
	struct carp_fsm fsm;
	struct carp_hmac hmac;
	uint64_t cookie;		/* replay cookie [OpenBSD vhe_replay_cookie] */
	unsigned int n4, n6;
	uint8_t (*v4)[4];
	uint8_t (*v6)[16];
	unsigned int n_groups;
	uint16_t groups[CARP_VH_GROUPS];	/* indexes into carp.groups */
	uint64_t stats[CARP_STAT_MAX];
	uint64_t rej[CARP_REJ_MAX];
	uint64_t transitions;
	time_t last_time;		/* wall clock of the last transition, 0 = none */
	uint8_t last_from, last_to;
	const char *last_reason;
	uint64_t last_log_us;		/* rate limit of rejected-advert log lines */
	uint64_t unresolved;		/* unicast adverts not sent: peer MAC unknown */
};

#define CARP_RECLAIM_MAX 16

struct local;

struct carp {
	struct dp_main *dp;
	struct local *local;
	const struct dpf_config *cfg;
	unsigned int n_vh;
	struct carp_vh *vh;
	unsigned int n_groups;
	struct carp_group *groups;
	uint64_t stats[CARP_STAT_MAX];	/* all vhids plus the unattributable */
	uint64_t rej[CARP_REJ_MAX];
	uint64_t own;			/* our own adverts seen again (af_packet loops TX) */
	bool link[DP_MAX_PORTS];
	uint64_t link_check_us;
	bool started;
	struct {
		struct dp_carp *obj;
		uint64_t token;
	} reclaim[CARP_RECLAIM_MAX];
};

/* Builds the engine from cfg (all vhids in INIT).  NULL with err filled. */
struct carp *carp_create(struct dp_main *dp, struct local *l, const struct dpf_config *cfg,
			 char *err, size_t errlen);
/* Starts the vhids whose link is up (INIT -> BACKUP).  Call after dp_start(). */
void carp_start(struct carp *c);
/* Timers, link changes, deferred frees.  Returns work done. */
unsigned int carp_poll(struct carp *c);
/* An IP protocol 112 packet (pm parsed by local.c); consumes m. */
void carp_input(struct carp *c, struct rte_mbuf *m, const struct pkt_meta *pm);
/* Clean stop: MASTER vhids bow out, everything to INIT, nothing published. */
void carp_shutdown(struct carp *c);
void carp_destroy(struct carp *c);

/* The vhid's demotion count: its groups' counters summed, at most 255. */
uint8_t carp_vh_demote(const struct carp *c, const struct carp_vh *vh);

/* dpfctl operations; 0, or -ENOENT (no such group / vhid) or -EINVAL. */
int carp_demote(struct carp *c, const char *group, int n, const char *reason);
int carp_force_state(struct carp *c, struct carp_vh *vh, uint8_t state);
int carp_set_down(struct carp *c, struct carp_vh *vh, bool down);

/*
 * Live reconfiguration (carp_reload.c): prepare builds the vhids of cfg
 * aside (0, or -1 with err filled: nothing changed); commit cannot fail
 * and takes *n over; abort frees a prepared *n (NULL is fine).  cfg must
 * outlive the engine's use of it (the live plan's).  Between prepare and
 * commit the engine may run; commit takes the running state as it is then.
 */
struct carp_next;
int carp_reload_prepare(const struct carp *c, const struct dpf_config *cfg, struct carp_next **n,
			char *err, size_t errlen);
void carp_reload_commit(struct carp *c, struct carp_next *n);
void carp_reload_abort(struct carp_next *n);

/* dpfctl commands (control/carp/carp_cmds.c). */
struct ctl_server;
int carp_cmds_register(struct carp *c, struct ctl_server *srv);

#endif /* DPF_CONTROL_CARP_H */
