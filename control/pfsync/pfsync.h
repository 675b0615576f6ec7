/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The pfsync engine on the control core: the states of this node go to the
 * peers as OpenBSD pfsync v6 (IP protocol 240), and the peers' states come
 * into the workers that own them, so that a node taking over a virtual
 * address from CARP finds every connection's state already there.
 *
 * Out [OpenBSD if_pfsync.c pfsync_insert_state, pfsync_update_state,
 * pfsync_delete_state, pfsync_sendout]: the workers' state events
 * (dataplane/state_event.h) become records on the send queues
 * (pfsync_q.h); a packet leaves when it is full or when its oldest record
 * is sync.flush_us old; records carry the state as it is when the packet
 * is built, read with dp_state_snapshot().
 *
 * In [if_pfsync.c pfsync_input and pfsync_in_*]: a packet must arrive on
 * the sync interface with TTL 255 and a valid header; each record is
 * checked as OpenBSD checks it and becomes a request on the control->worker
 * ring of the worker that owns the state (dataplane/filter_cmd.h): APPLY
 * (INS, UPD), UPDATE (UPD_C), DELETE (DEL_C), FLUSH (CLR).  A compressed
 * update of a state we do not have is answered with an UPD_REQ; an UPD_REQ
 * with a full UPD; UPD_REQ 0/0 starts a bulk send.  Requests a worker
 * cannot take yet wait in a bounded backlog, never on the control core.
 *
 * Bulk [pfsync_bulk_req_evt, pfsync_bulk_snd_*]: the requester is
 * pfsync_bulk.h (CARP demoted by 32 while it runs); the sender walks every
 * worker's table, paced, between a BUS START and a BUS END.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_PFSYNC_H
#define DPF_CONTROL_PFSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/pfsync.h"

struct dp_main;
struct dp_done;
struct dp_sev;
struct local;
struct carp;
struct ctl_server;

#define PFSYNC_FLUSH_US_DEFAULT 1000		/* sync.flush_us */
#define PFSYNC_MAXUPD_DEFAULT 128		/* sync.maxupd */

struct pfsync_conf {
	int iface;				/* sync interface, -1: pfsync off */
	bool has_peer;
	uint8_t peer[4];			/* unicast peer, else 224.0.0.240 */
	uint8_t maxupd;
	uint32_t flush_us;
	bool defer;
	uint32_t limit_states;			/* limits.states: bulk timeout, id map */
	uint32_t hostid;			/* our creator id */
	bool auth;				/* sync.key_file: authenticated pfsync */
	uint8_t key_len;
	uint8_t key[64];			/* PFSYNC_AUTH_KEY_MAX; the engine keeps no copy here */
};

struct pfsync;

/* The engine for conf (conf->iface >= 0); NULL with err filled. */
struct pfsync *pfsync_create(struct dp_main *dp, struct local *l, struct carp *carp,
			     const struct pfsync_conf *conf, char *err, size_t errlen);
/* Starts: asks the peer for a bulk update once the sync link is up. */
void pfsync_start(struct pfsync *ps);
/* Bounded work: timers, flushes, the bulk send, the backlog.  Returns work done. */
unsigned int pfsync_poll(struct pfsync *ps);
/* State events from the workers (filter_cmds_poll() hands them over). */
void pfsync_events(struct pfsync *ps, const struct dp_sev *ev, unsigned int n);
/* Whether a completion is one of pfsync's requests; if so it is consumed. */
bool pfsync_done(struct pfsync *ps, const struct dp_done *d);
/* Clean stop: queued records go out, demotions are released. */
void pfsync_shutdown(struct pfsync *ps);
void pfsync_destroy(struct pfsync *ps);

/*
 * A reload's new settings (pfsync_reconf.c): peer, maxupd, flush_us and
 * defer from conf (the rest of conf is ignored: it needs a restart), and
 * the source address from the sync interface as dp holds it now.  Cannot
 * fail.
 */
void pfsync_reconf(struct pfsync *ps, const struct pfsync_conf *conf);

/* `show pfsync` (pfsync_cmds.c). */
int pfsync_cmds_register(struct pfsync *ps, struct ctl_server *srv);

#endif /* DPF_CONTROL_PFSYNC_H */
