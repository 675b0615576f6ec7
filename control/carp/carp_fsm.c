/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the CARP state machine of one vhid (see carp_fsm.h).
 *
 * Rules and timers are OpenBSD's [OpenBSD ip_carp.c carp_proto_input_c,
 * carp_setrun, carp_master_down, carp_send_ad].  Times are compared as
 * microseconds: (advbase s, advskew/256 s) becomes advbase * 1e6 +
 * advskew * 1e6 / 256, which orders exactly as OpenBSD's timercmp() on the
 * two timevals because the fraction stays below one second.
 */
#include <stddef.h>

#include "control/carp/carp_fsm.h"
#include "proto/proto.h"

#define USEC 1000000ull

PROTO_NAME_FN(carp_state_name, unsigned int, CARP_STATE_LIST, CARP_ST_MAX);

/* (base s, skew/256 s) in µs, without OpenBSD's "0 means 1/256 s" floor. */
static uint64_t
tv_usec(uint64_t base, uint8_t skew)
{
	return base * USEC + (uint64_t)skew * USEC / 256;
}

uint64_t
carp_fsm_interval(uint8_t advbase, uint8_t advskew)
{
	uint64_t us = tv_usec(advbase, advskew);

	return us != 0 ? us : USEC / 256;
}

uint64_t
carp_fsm_master_down(uint8_t advbase, uint8_t advskew)
{
	return 3 * carp_fsm_interval(advbase, advskew);
}

int
carp_fsm_tvcmp(uint8_t base_a, uint8_t skew_a, uint8_t base_b, uint8_t skew_b)
{
	uint64_t a = tv_usec(base_a, skew_a), b = tv_usec(base_b, skew_b);

	return a < b ? -1 : a > b;
}

static void
act_clear(struct carp_fsm_act *act)
{
	act->flags = 0;
	act->from = act->to = 0;
	act->reason = NULL;
}

static void
set_state(struct carp_fsm *f, uint8_t to, const char *reason, struct carp_fsm_act *act)
{
	if (f->state == to)
		return;
	if (!(act->flags & CARP_ACT_STATE))
		act->from = f->state;
	act->flags |= CARP_ACT_STATE;
	act->to = to;
	act->reason = reason;
	f->state = to;
}

static void
arm_md(struct carp_fsm *f, uint64_t now, int af)
{
	uint64_t md = carp_fsm_master_down(f->advbase, f->advskew);
	int i;

	for (i = 0; i < 2; i++) {
		if (af >= 0 && af != i)
			continue;
		f->md_due[i] = f->has_af[i] ? now + md : CARP_FSM_NEVER;
	}
}

static void
disarm(struct carp_fsm *f)
{
	f->ad_due = CARP_FSM_NEVER;
	f->md_due[0] = f->md_due[1] = CARP_FSM_NEVER;
	f->delayed_ann = -1;
	f->reassert_ok = 0;
}

/*
 * An advert goes out now.  count: it counts towards the second
 * announcement (a takeover's or the timer's advert; not a demotion's, see
 * carp_fsm_advertise_now()).
 */
static void
advert(struct carp_fsm *f, uint64_t now, bool count, struct carp_fsm_act *act)
{
	act->flags |= CARP_ACT_ADVERT;
	f->ad_due = now + carp_fsm_interval(f->advbase, f->advskew);
	if (count && f->delayed_ann > 0 && --f->delayed_ann == 0) {
		/* "to deal w/ some L3 switches" [OpenBSD carp_send_ad sc_delayed_arp]. */
		act->flags |= CARP_ACT_ANNOUNCE;
		f->delayed_ann = -1;
	}
}

/*
 * carp_master_down(): MASTER, an advert at once, the announcement, and a
 * second announcement after two more adverts.
 */
static void
become_master(struct carp_fsm *f, uint64_t now, const char *reason, struct carp_fsm_act *act)
{
	disarm(f);
	set_state(f, CARP_ST_MASTER, reason, act);
	advert(f, now, true, act);
	act->flags |= CARP_ACT_ANNOUNCE;
	f->delayed_ann = 2;
}

static void
become_backup(struct carp_fsm *f, uint64_t now, const char *reason, struct carp_fsm_act *act)
{
	disarm(f);
	set_state(f, CARP_ST_BACKUP, reason, act);
	arm_md(f, now, -1);
}

void
carp_fsm_init(struct carp_fsm *f, uint8_t advbase, uint8_t advskew, bool has4, bool has6)
{
	f->state = CARP_ST_INIT;
	f->advbase = advbase;
	f->advskew = advskew;
	f->has_af[CARP_FSM_AF4] = has4;
	f->has_af[CARP_FSM_AF6] = has6;
	disarm(f);
}

void
carp_fsm_set_af(struct carp_fsm *f, uint64_t now, bool has4, bool has6)
{
	bool has[2] = { has4, has6 };

	for (int i = 0; i < 2; i++) {
		if (has[i] == f->has_af[i])
			continue;
		f->has_af[i] = has[i];
		if (f->state != CARP_ST_BACKUP)
			continue;
		/* A family added while BACKUP waits a full master-down, as at start. */
		f->md_due[i] = has[i] ? now + carp_fsm_master_down(f->advbase, f->advskew) :
			       CARP_FSM_NEVER;
	}
}

void
carp_fsm_set_timing(struct carp_fsm *f, uint8_t advbase, uint8_t advskew)
{
	f->advbase = advbase;
	f->advskew = advskew;
}

void
carp_fsm_start(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act)
{
	act_clear(act);
	if (f->state != CARP_ST_INIT)
		return;
	become_backup(f, now, "initialization complete", act);
}

void
carp_fsm_stop(struct carp_fsm *f, uint64_t now, bool bow_out, const char *reason,
	      struct carp_fsm_act *act)
{
	(void)now;
	act_clear(act);
	if (f->state == CARP_ST_INIT)
		return;
	if (bow_out && f->state == CARP_ST_MASTER)
		act->flags |= CARP_ACT_BOWOUT;
	disarm(f);
	set_state(f, CARP_ST_INIT, reason, act);
}

void
carp_fsm_input(struct carp_fsm *f, uint64_t now, int af, uint8_t advbase, uint8_t advskew,
	       uint8_t demote, uint8_t our_demote, bool preempt, struct carp_fsm_act *act)
{
	int c = carp_fsm_tvcmp(f->advbase, f->advskew, advbase, advskew);

	act_clear(act);
	switch (f->state) {
	case CARP_ST_MASTER:
		/*
		 * Lower demotion wins; with equal demotion the more frequent
		 * advertiser; an exact tie makes the receiving master yield.
		 */
		if ((c >= 0 && demote <= our_demote) || demote < our_demote) {
			become_backup(f, now, demote < our_demote ?
				      "less demoted advertisement received" :
				      "more frequent advertisement received", act);
		} else if (now >= f->reassert_ok) {
			/*
			 * A worse node still believes it is MASTER (it has not
			 * seen our adverts yet).  Whatever it sent from the
			 * virtual MAC taught the switches to deliver to it, and
			 * it will drop that traffic once it yields: advertise and
			 * announce at once rather than at our next advert, at most
			 * once an interval.  Not OpenBSD's (it waits for the
			 * timer); keepalived does the same on a lower-priority
			 * advert in MASTER state.
			 */
			advert(f, now, false, act);
			act->flags |= CARP_ACT_ANNOUNCE;
			f->reassert_ok = now + carp_fsm_interval(f->advbase, f->advskew);
		}
		break;
	case CARP_ST_BACKUP:
		if (preempt && c < 0 && demote >= our_demote) {
			become_master(f, now, "preempting a slower master", act);
		} else if (demote > our_demote) {
			/* Regardless of preempt. */
			become_master(f, now, "master is more demoted", act);
		} else if (f->advbase != 0 &&
			   tv_usec(3ull * f->advbase, f->advskew) < tv_usec(advbase, advskew)) {
			/* It would time out anyway: this is how a bow-out takes effect. */
			become_master(f, now, advbase == 255 && advskew == 255 ?
				      "master bowed out" : "master will time out", act);
		} else if (af == CARP_FSM_AF4 || af == CARP_FSM_AF6) {
			arm_md(f, now, af);
		}
		break;
	default:
		/* INIT ignores adverts. */
		break;
	}
}

void
carp_fsm_timer(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act)
{
	act_clear(act);
	switch (f->state) {
	case CARP_ST_MASTER:
		if (f->ad_due <= now)
			advert(f, now, true, act);
		break;
	case CARP_ST_BACKUP:
		if (f->md_due[0] <= now || f->md_due[1] <= now)
			become_master(f, now, "master timed out", act);
		break;
	default:
		break;
	}
}

uint64_t
carp_fsm_next(const struct carp_fsm *f)
{
	uint64_t t = f->ad_due;

	if (f->md_due[0] < t)
		t = f->md_due[0];
	if (f->md_due[1] < t)
		t = f->md_due[1];
	return t;
}

void
carp_fsm_force(struct carp_fsm *f, uint64_t now, uint8_t state, struct carp_fsm_act *act)
{
	act_clear(act);
	if (f->state == CARP_ST_INIT || f->state == state)
		return;
	if (state == CARP_ST_MASTER)
		become_master(f, now, "user requested", act);
	else if (state == CARP_ST_BACKUP)
		become_backup(f, now, "user requested", act);
}

void
carp_fsm_advertise_now(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act)
{
	act_clear(act);
	/*
	 * It does not count towards the second announcement: a demoted master
	 * is about to hand over, and its announcement after the new master's
	 * sent the switches back to it (carp test: a 1.4 s outage in one
	 * demotion of four, until the new master's next advert).
	 */
	if (f->state == CARP_ST_MASTER)
		advert(f, now, false, act);
}

unsigned int
carp_vhid_map(const uint32_t *old_keys, unsigned int n_old, const uint32_t *new_keys,
	      unsigned int n_new, int *from)
{
	unsigned int kept = 0;

	/* At most 255 vhids a port: the quadratic walk is a few thousand compares. */
	for (unsigned int i = 0; i < n_new; i++) {
		from[i] = -1;
		for (unsigned int j = 0; j < n_old; j++) {
			if (old_keys[j] == new_keys[i]) {
				from[i] = (int)j;
				kept++;
				break;
			}
		}
	}
	return kept;
}
