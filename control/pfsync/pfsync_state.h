/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A state between dpf's terms (struct dp_state_desc, dataplane/state.h)
 * and pfsync's (struct pfsync_state_host and pfsync_upd_c_host,
 * proto/pfsync.h).  Pure: no DPDK calls, no clock.
 *
 * Export [OpenBSD pf.c pf_state_export]: dpf makes one state per
 * connection when its first packet comes in, so every state is sent as
 * direction "in" with the wire and stack keys equal (no NAT): key address
 * and port 0 are the creator's (pfsync's src peer), 1 the other side's
 * [OpenBSD pf.c pf_state_key_setup: sidx 0 for PF_IN].  The interface is
 * "all", which OpenBSD maps to its floating-state interface [pf_if.c
 * pfi_all]: a dpf state covers both of its interfaces.  The rule is
 * "none" (0xffffffff): OpenBSD binds imported states to its default rule
 * whatever is sent [pf.c pf_state_import].  Times are relative (age,
 * seconds left), counters as kept.  dpf has no scrub or MSS state: those
 * fields go as 0.
 *
 * Import [pf_state_import]: the creator is key address 0 for direction
 * "in" and 1 for "out" (the stack key wins where the two differ, as the
 * state lives on this side of any translation); the canonical key and its
 * swapped flag follow from it.  The interfaces are left to the caller (a
 * route lookup of each side), the rule to none.
 */
#ifndef DPF_CONTROL_PFSYNC_STATE_H
#define DPF_CONTROL_PFSYNC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/state.h"
#include "proto/pfsync.h"

#define PFSYNC_IFNAME_ALL "all"
#define PFSYNC_RULE_NONE 0xffffffffu

/* A full record (INS, UPD) of state d. */
void pfsync_state_export(const struct dp_state_desc *d, struct pfsync_state_host *sp);

/* A compressed update (UPD_C) of state d. */
void pfsync_upd_c_export(const struct dp_state_desc *d, struct pfsync_upd_c_host *up);

/*
 * The description of a received full record, which
 * pfsync_state_check_ins() accepted.  Returns 0, or -EINVAL for what dpf
 * cannot hold: an af other than INET/INET6, a key of another af, creator
 * id 0.  d->iface[] is left 0 for the caller.
 */
int pfsync_state_import(const struct pfsync_state_host *sp, struct dp_state_desc *d);

/* Tracking of a received UPD_C, in dpf's peer terms. */
void pfsync_upd_c_import(const struct pfsync_upd_c_host *up, struct pf_track *t);

#endif /* DPF_CONTROL_PFSYNC_STATE_H */
