/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What carp.c shares with carp_reload.c (the live reconfiguration of the
 * vhids): the engine's own steps, each as carp.c documents it.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_CARP_PRIV_H
#define DPF_CONTROL_CARP_PRIV_H

#include "control/carp/carp.h"

/* The dataplane clock in microseconds: every CARP timer runs on it. */
uint64_t carp_now(const struct carp *c);
/* Publishes the set of virtual MACs and addresses of the MASTER vhids. */
void carp_publish(struct carp *c);
/* Gratuitous ARP per IPv4 VIP, unsolicited NA per IPv6 VIP of vh. */
void carp_announce(struct carp *c, struct carp_vh *vh);
/* Carries out what the state machine asked for (adverts, log, publish). */
void carp_apply(struct carp *c, struct carp_vh *vh, const struct carp_fsm_act *act);
/*
 * The config parts of vh from cv (vhid, interface, port, addresses, HMAC);
 * the caller frees vh->v4/v6 on failure as on success.  0, or -1 with err.
 */
int carp_vh_init(struct carp_vh *vh, const struct cfg_vhid *cv, const char *ifname,
		 uint16_t port, char *err, size_t errlen);
/* Adjusts the demotion of every group vh is in by n. */
void carp_vh_groups_adj(struct carp *c, struct carp_vh *vh, int n, const char *reason);

#endif /* DPF_CONTROL_CARP_PRIV_H */
