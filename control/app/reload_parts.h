/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The parts of a live reload beyond the published FIB and ruleset
 * (reload.c publishes those): CARP's vhids, the interfaces' addresses as
 * the control core holds them, pfsync's settings and pflog on or off.
 * docs/config.md "Live reload" lists what each key does.
 *
 * Contract, in reload.c's order:
 *  - reload_parts_prepare() before anything is published: builds every
 *    part aside from the candidate plan (CARP's new vhid table, the pflog
 *    file a reload turns on).  It can fail (-1, err filled) and then has
 *    changed nothing.
 *  - reload_parts_commit() right after the candidate's FIB (built from the
 *    candidate's interfaces, so holding its local and connected prefixes)
 *    and ruleset are published, on the control core: cannot fail, takes
 *    the parts over, and announces what changed (gratuitous ARP and
 *    unsolicited NA for an added address, CARP's bow-out for a removed
 *    MASTER vhid).  cand must stay the live plan: CARP keeps pointers into
 *    its config.
 *  - reload_parts_abort() when anything after prepare failed: frees the
 *    parts (NULL is fine); nothing was changed.
 * The loop may run between prepare and commit: commit takes CARP's and
 * pfsync's running state as it is then.
 *
 * Ownership: [C] control core only.
 */
#ifndef DPF_CONTROL_APP_RELOAD_PARTS_H
#define DPF_CONTROL_APP_RELOAD_PARTS_H

#include <stddef.h>

struct app;
struct dpf_plan;
struct reload_parts;

int reload_parts_prepare(struct app *app, const struct dpf_plan *cand, struct reload_parts **rp,
			 char *err, size_t errlen);
void reload_parts_commit(struct app *app, struct reload_parts *rp);
void reload_parts_abort(struct reload_parts *rp);

#endif /* DPF_CONTROL_APP_RELOAD_PARTS_H */
