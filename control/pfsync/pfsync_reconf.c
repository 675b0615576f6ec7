/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pfsync's settings changed while dpf runs (`dpfctl configure`).
 *
 * What a reload may change, and when it takes effect:
 *  - sync.peer: the next packet goes to the new destination (unicast
 *    through the FIB and ARP, or 224.0.0.240); what is queued goes with it;
 *  - sync.flush_us: the next flush decision;
 *  - sync.maxupd: the workers' next state update (dp_main.sev_maxupd, an
 *    atomic the reload writes);
 *  - sync.defer: a new state's first packet is held or not from the
 *    reload on (dp_main.sync_defer, atomic; every worker's hold queue
 *    exists whether defer is on or not).  Packets held when it goes off
 *    leave at their timeout (DP_DEFER_TIMEOUT_US), as when the peer never
 *    answers;
 *  - the sync interface's addresses (interfaces[N].ipv4): the source
 *    address is its first IPv4 address as the dataplane holds it after the
 *    reload's commit.
 * sync.interface (its port's queues and steering are set up at start) and
 * sync.key_file (the replay window is the peers' common state) need a
 * restart: control/plan/plan_diff.c says so by key.
 */
#include <stdio.h>
#include <string.h>

#include "control/log/dlog.h"
#include "control/pfsync/pfsync_priv.h"
#include "dataplane/dp.h"

static const uint8_t pfsync_mcast[4] = { 224, 0, 0, 240 };

void
pfsync_reconf(struct pfsync *ps, const struct pfsync_conf *conf)
{
	const struct dp_iface *ifc = &ps->dp->ifaces[ps->ifx];
	uint8_t dst[4];

	memcpy(dst, conf->has_peer ? conf->peer : pfsync_mcast, 4);
	if (memcmp(dst, ps->dst_ip, 4) != 0)
		dlog_text(DLOG_NOTICE, "pfsync: peer %u.%u.%u.%u (was %u.%u.%u.%u)", dst[0],
			  dst[1], dst[2], dst[3], ps->dst_ip[0], ps->dst_ip[1], ps->dst_ip[2],
			  ps->dst_ip[3]);
	memcpy(ps->dst_ip, dst, 4);
	ps->conf.has_peer = conf->has_peer;
	memcpy(ps->conf.peer, conf->peer, 4);
	ps->conf.maxupd = conf->maxupd;
	ps->conf.flush_us = conf->flush_us ? conf->flush_us : PFSYNC_FLUSH_US_DEFAULT;
	ps->conf.defer = conf->defer;
	atomic_store_explicit(&ps->dp->sev_maxupd, conf->maxupd, memory_order_relaxed);
	atomic_store_explicit(&ps->dp->sync_defer, conf->defer, memory_order_relaxed);
	/* The plan checked that the sync interface keeps an IPv4 address. */
	for (unsigned int i = 0; i < ifc->n_addrs; i++) {
		if (ifc->addrs[i].af == 4) {
			memcpy(ps->src_ip, ifc->addrs[i].addr, 4);
			break;
		}
	}
}
