/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: CARP's vhids changed while dpf runs (`dpfctl configure`, carp.h).
 *
 * Two steps, so that a reload that fails after CARP's part changes
 * nothing:
 *  - carp_reload_prepare() builds the new vhid table aside from the new
 *    config: addresses, HMAC (key, address list), timing, groups.  It may
 *    fail (memory, an address list the HMAC cannot take) and touches
 *    nothing the engine uses.
 *  - carp_reload_commit() cannot fail.  It moves each kept vhid's running
 *    state (state machine and timers, counters, cookie, `carp down`, link)
 *    into the new table at that moment, not at prepare: the loop may run
 *    between the two and the election goes on meanwhile.
 *
 * A vhid is the same one when the same vhid number stays on the same
 * interface (carp_vhid_map()).  It keeps its state: no re-election, no
 * flap.  A new advbase/advskew is sent in the next advert and arms the
 * next timer (carp_fsm_set_timing()); a new key or address list signs the
 * next advert; a MASTER whose addresses changed publishes the new set,
 * advertises at once and announces the addresses (gratuitous ARP,
 * unsolicited NA), as at a takeover.  carp.preempt and carp.log apply at
 * the next decision and log line.
 *
 * A removed vhid bows out as when it is brought down: a MASTER sends a
 * last advert with advbase and advskew 255, so the backup takes over at
 * once instead of after master-down [OpenBSD ip_carp.c carp_setrun(sc, 0)
 * via carp_ioctl SIOCSIFFLAGS on down, carp_send_ad with sc_bow_out;
 * carp_proto_input_c: an advert slower than three of ours is master down],
 * and its virtual addresses leave the published set.  A demotion its
 * link-down had added to its groups is taken back.
 *
 * A new vhid starts as at start-up: INIT -> BACKUP when its link is up
 * (master-down arms), INIT with its groups demoted otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_random.h>

#include "control/carp/carp.h"
#include "control/carp/carp_priv.h"

struct carp_next {
	const struct dpf_config *cfg;
	unsigned int n_vh;
	struct carp_vh *vh;		/* the new table, config parts filled in */
	int *from;			/* per new vhid: the old index, -1: new */
	bool *kept;			/* per old vhid: still there */
	bool *addrs_changed;		/* per new vhid: kept with other addresses */
	unsigned int n_groups;
	struct carp_group *groups;	/* the old groups first, at their indexes */
};

static uint32_t
vh_key(unsigned int iface, uint8_t vhid)
{
	return (uint32_t)iface << 8 | vhid;
}

static int
next_group(struct carp_next *n, const char *name)
{
	struct carp_group *g;

	for (unsigned int i = 0; i < n->n_groups; i++)
		if (strcmp(n->groups[i].name, name) == 0)
			return (int)i;
	g = realloc(n->groups, (n->n_groups + 1) * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	n->groups = g;
	memset(&g[n->n_groups], 0, sizeof(g[0]));
	snprintf(g[n->n_groups].name, sizeof(g[0].name), "%s", name);
	return (int)n->n_groups++;
}

void
carp_reload_abort(struct carp_next *n)
{
	if (n == NULL)
		return;
	for (unsigned int i = 0; n->vh != NULL && i < n->n_vh; i++) {
		carp_hmac_clear(&n->vh[i].hmac);
		free(n->vh[i].v4);
		free(n->vh[i].v6);
	}
	free(n->vh);
	free(n->from);
	free(n->kept);
	free(n->addrs_changed);
	free(n->groups);
	free(n);
}

static bool
same_addrs(const struct carp_vh *a, const struct carp_vh *b)
{
	return a->n4 == b->n4 && a->n6 == b->n6 &&
	       memcmp(a->v4, b->v4, a->n4 * sizeof(a->v4[0])) == 0 &&
	       memcmp(a->v6, b->v6, a->n6 * sizeof(a->v6[0])) == 0;
}

/* The config parts of new vhid vh from cv; -1 with err filled. */
static int
vh_build(const struct carp *c, struct carp_next *n, struct carp_vh *vh,
	 const struct cfg_vhid *cv, const struct dpf_config *cfg, char *err, size_t errlen)
{
	const struct cfg_iface *ci = &cfg->ifaces[cv->iface];
	int rc;

	if (carp_vh_init(vh, cv, ci->name, c->dp->ifaces[cv->iface].port, err, errlen) != 0)
		return -1;
	vh->groups[vh->n_groups++] = 0;		/* "carp" */
	for (unsigned int j = 0; j < ci->n_groups && vh->n_groups < CARP_VH_GROUPS; j++) {
		rc = next_group(n, ci->groups[j]);
		if (rc < 0)
			goto nomem;
		vh->groups[vh->n_groups++] = (uint16_t)rc;
	}
	return 0;
nomem:
	snprintf(err, errlen, "carp: out of memory");
	return -1;
}

int
carp_reload_prepare(const struct carp *c, const struct dpf_config *cfg, struct carp_next **out,
		    char *err, size_t errlen)
{
	unsigned int nn = cfg->carp.n_vhids, no = c->n_vh;
	struct carp_next *n = calloc(1, sizeof(*n));
	uint32_t *ko = calloc(no + 1, sizeof(*ko)), *kn = calloc(nn + 1, sizeof(*kn));

	*out = NULL;
	if (n == NULL || ko == NULL || kn == NULL)
		goto nomem;
	n->cfg = cfg;
	n->vh = calloc(nn + 1, sizeof(*n->vh));
	n->from = calloc(nn + 1, sizeof(*n->from));
	n->addrs_changed = calloc(nn + 1, sizeof(*n->addrs_changed));
	n->kept = calloc(no + 1, sizeof(*n->kept));
	n->groups = calloc(c->n_groups, sizeof(*n->groups));
	if (n->vh == NULL || n->from == NULL || n->addrs_changed == NULL || n->kept == NULL ||
	    n->groups == NULL)
		goto nomem;
	memcpy(n->groups, c->groups, c->n_groups * sizeof(*n->groups));
	n->n_groups = c->n_groups;
	for (unsigned int j = 0; j < no; j++)
		ko[j] = vh_key(c->vh[j].iface, c->vh[j].vhid);
	for (unsigned int i = 0; i < nn; i++)
		kn[i] = vh_key(cfg->carp.vhids[i].iface, cfg->carp.vhids[i].vhid);
	carp_vhid_map(ko, no, kn, nn, n->from);
	for (unsigned int i = 0; i < nn; i++) {
		const struct cfg_vhid *cv = &cfg->carp.vhids[i];
		struct carp_vh *vh = &n->vh[i];

		n->n_vh++;
		if (vh_build(c, n, vh, cv, cfg, err, errlen) != 0)
			goto fail;
		if (n->from[i] >= 0) {
			n->kept[n->from[i]] = true;
			n->addrs_changed[i] = !same_addrs(vh, &c->vh[n->from[i]]);
		} else {
			vh->cookie = rte_rand();	/* [OpenBSD carp_prepare_ad] */
			carp_fsm_init(&vh->fsm, cv->advbase, cv->advskew, vh->n4 > 0,
				      vh->n6 > 0);
		}
	}
	free(ko);
	free(kn);
	*out = n;
	return 0;
nomem:
	snprintf(err, errlen, "carp: out of memory");
fail:
	free(ko);
	free(kn);
	carp_reload_abort(n);
	return -1;
}

/* Takes a kept vhid's running state from old into vh, whose config parts stay. */
static void
vh_carry(struct carp_vh *vh, const struct carp_vh *old, uint64_t now)
{
	struct carp_vh cfgd = *vh;

	*vh = *old;
	vh->cfg = cfgd.cfg;
	vh->n4 = cfgd.n4;
	vh->n6 = cfgd.n6;
	vh->v4 = cfgd.v4;
	vh->v6 = cfgd.v6;
	vh->hmac = cfgd.hmac;
	vh->n_groups = cfgd.n_groups;
	memcpy(vh->groups, cfgd.groups, sizeof(vh->groups));
	carp_fsm_set_timing(&vh->fsm, vh->cfg->advbase, vh->cfg->advskew);
	carp_fsm_set_af(&vh->fsm, now, vh->n4 > 0, vh->n6 > 0);
	explicit_bzero(&cfgd.hmac, sizeof(cfgd.hmac));
}

void
carp_reload_commit(struct carp *c, struct carp_next *n)
{
	uint64_t now = carp_now(c);
	struct carp_fsm_act act;
	unsigned int i;

	/* 1. Removed vhids bow out and give their demotion back (old table). */
	for (i = 0; i < c->n_vh; i++) {
		struct carp_vh *vh = &c->vh[i];

		if (n->kept[i])
			continue;
		if (vh->fsm.state != CARP_ST_INIT) {
			carp_fsm_stop(&vh->fsm, now, true, "removed by configure", &act);
			carp_apply(c, vh, &act);
		}
		if (vh->link_down) {
			vh->link_down = false;
			carp_vh_groups_adj(c, vh, -1, "carpdev: vhid removed");
		}
	}
	/* 2. Kept vhids carry their state over; demotions as they are now. */
	for (i = 0; i < n->n_vh; i++)
		if (n->from[i] >= 0)
			vh_carry(&n->vh[i], &c->vh[n->from[i]], now);
	for (i = 0; i < c->n_groups; i++)
		n->groups[i].demote = c->groups[i].demote;
	/* 3. The swap. */
	for (i = 0; i < c->n_vh; i++) {
		carp_hmac_clear(&c->vh[i].hmac);
		free(c->vh[i].v4);
		free(c->vh[i].v6);
	}
	free(c->vh);
	free(c->groups);
	c->vh = n->vh;
	c->n_vh = n->n_vh;
	c->groups = n->groups;
	c->n_groups = n->n_groups;
	c->cfg = n->cfg;
	n->vh = NULL;
	n->groups = NULL;
	/* 4. The MASTER set as it is now: removed and changed addresses. */
	carp_publish(c);
	for (i = 0; i < c->n_vh; i++) {
		struct carp_vh *vh = &c->vh[i];

		if (n->from[i] >= 0) {
			if (n->addrs_changed[i] && vh->fsm.state == CARP_ST_MASTER) {
				carp_fsm_advertise_now(&vh->fsm, now, &act);
				act.flags |= CARP_ACT_ANNOUNCE;
				carp_apply(c, vh, &act);
			}
			continue;
		}
		/* 5. New vhids start as at start-up (carp_start, carp_link). */
		if (!c->started || vh->admin_down)
			continue;
		if (c->link[vh->port]) {
			carp_fsm_start(&vh->fsm, now, &act);
			carp_apply(c, vh, &act);
		} else {
			vh->link_down = true;
			carp_vh_groups_adj(c, vh, 1, "carpdev");
		}
	}
	carp_reload_abort(n);
}
