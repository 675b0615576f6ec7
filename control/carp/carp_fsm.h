/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The CARP state machine of one vhid, OpenBSD's rules [OpenBSD netinet/ip_carp.c],
 * as a pure module: no DPDK, no clock, no I/O.  Every call takes `now` in
 * microseconds (any monotonic origin) and reports what the caller must do
 * in a struct carp_fsm_act: send an advert (normal or bow-out), announce
 * the virtual addresses (gratuitous ARP / unsolicited NA), and log a state
 * change with its reason.  Timers are absolute deadlines kept in the
 * struct; the caller calls carp_fsm_timer() when carp_fsm_next() is due.
 *
 * The caller owns demotion: it passes the vhid's current demotion count
 * (the sum of its interface groups' counters, capped at 255) to the calls
 * that decide, and writes it into the adverts it sends.
 *
 * Ownership: [C] one struct per vhid, used by the control core only.
 */
#ifndef DPF_CONTROL_CARP_FSM_H
#define DPF_CONTROL_CARP_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* States and their names as ifconfig prints them [OpenBSD ip_carp.h CARP_STATES]. */
#define CARP_STATE_LIST(_)			\
	_(INIT, "INIT")				\
	_(BACKUP, "BACKUP")			\
	_(MASTER, "MASTER")

enum carp_state {
#define CARP_STATE_ENUM(sym, str) CARP_ST_##sym,
	CARP_STATE_LIST(CARP_STATE_ENUM)
#undef CARP_STATE_ENUM
	CARP_ST_MAX
};

const char *carp_state_name(unsigned int s);

#define CARP_FSM_NEVER UINT64_MAX	/* a disarmed timer */
#define CARP_FSM_AF4 0
#define CARP_FSM_AF6 1

/* What the caller must do after a call, in this order. */
#define CARP_ACT_ADVERT 0x1		/* send an advert: our advbase/advskew, demote */
#define CARP_ACT_BOWOUT 0x2		/* send one advert with advbase 255, advskew 255 */
#define CARP_ACT_ANNOUNCE 0x4		/* gratuitous ARP / unsolicited NA for every VIP */
#define CARP_ACT_STATE 0x8		/* state changed: from -> to, reason */

struct carp_fsm_act {
	unsigned int flags;
	uint8_t from;			/* enum carp_state */
	uint8_t to;
	const char *reason;		/* static text, for the log line */
};

struct carp_fsm {
	uint8_t state;			/* enum carp_state */
	uint8_t advbase;		/* seconds, 0..255 */
	uint8_t advskew;		/* 1/256 s, 0..254 */
	bool has_af[2];			/* the vhid has IPv4 / IPv6 addresses */
	int8_t delayed_ann;		/* adverts left before the second announcement, -1 none */
	uint64_t ad_due;		/* MASTER: next advert */
	uint64_t md_due[2];		/* BACKUP: master-down per address family */
	uint64_t reassert_ok;		/* MASTER: earliest answer to a worse master's advert */
};

/**
 * Advertisement interval in µs: advbase s + advskew/256 s, with integer
 * division; 0 becomes 1/256 s [OpenBSD ip_carp.c carp_send_ad, carp_setrun;
 * OpenBSD ip_carp.c carp_setrun].
 */
uint64_t carp_fsm_interval(uint8_t advbase, uint8_t advskew);

/** Master-down interval in µs: three advert intervals [OpenBSD carp_setrun]. */
uint64_t carp_fsm_master_down(uint8_t advbase, uint8_t advskew);

/**
 * Compares two (advbase, advskew) pairs as OpenBSD compares the timevals
 * (advbase s, advskew/256 s): <0, 0, >0.
 */
int carp_fsm_tvcmp(uint8_t base_a, uint8_t skew_a, uint8_t base_b, uint8_t skew_b);

/** Starts in INIT with no timer; has4/has6: which master-down timers exist. */
void carp_fsm_init(struct carp_fsm *f, uint8_t advbase, uint8_t advskew, bool has4, bool has6);

/**
 * INIT -> BACKUP with the master-down timers armed (carp_setrun); no
 * advert is sent in INIT or by this call.  A no-op outside INIT.
 */
void carp_fsm_start(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act);

/**
 * Back to INIT, timers cancelled.  bow_out: a MASTER first sends a bow-out
 * advert (operator down, clean stop); a parent link failure passes false
 * [OpenBSD carp_ioctl SIOCSIFFLAGS, carp_carpdev_state].
 */
void carp_fsm_stop(struct carp_fsm *f, uint64_t now, bool bow_out, const char *reason,
		   struct carp_fsm_act *act);

/**
 * A valid advert (already authenticated) received over address family af
 * (CARP_FSM_AF4/AF6): the decision rules of OpenBSD ip_carp.c carp_proto_input_c.
 * our_demote: the vhid's demotion count; preempt: carp.preempt.  One
 * addition: a MASTER that stays MASTER (the sender is worse) advertises
 * and announces at once, at most once an advert interval, so that the
 * switches learn the virtual MAC back from a node about to yield.
 */
void carp_fsm_input(struct carp_fsm *f, uint64_t now, int af, uint8_t advbase, uint8_t advskew,
		    uint8_t demote, uint8_t our_demote, bool preempt, struct carp_fsm_act *act);

/** Fires the timers that are due at now. */
void carp_fsm_timer(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act);

/** The earliest armed deadline, CARP_FSM_NEVER if none. */
uint64_t carp_fsm_next(const struct carp_fsm *f);

/**
 * Forced state (`carp state VHID master|backup`, OpenBSD SIOCSVH
 * carpr_state): MASTER goes through the same path as a master-down expiry;
 * BACKUP stops advertising and arms master-down.  Not sticky: the normal
 * rules apply afterwards.  Ignored in INIT.
 */
void carp_fsm_force(struct carp_fsm *f, uint64_t now, uint8_t state, struct carp_fsm_act *act);

/**
 * Demotion changed: a MASTER advertises at once (and re-arms its timer) so
 * that the peer can react [OpenBSD carp_group_demote_adj].  This advert
 * never carries the takeover's second announcement (the timer's next one
 * does): a demoted master announcing after its successor took over would
 * send the switches back to it.
 */
void carp_fsm_advertise_now(struct carp_fsm *f, uint64_t now, struct carp_fsm_act *act);

/** Changes advbase/advskew (config reload); takes effect at the next re-arm. */
void carp_fsm_set_timing(struct carp_fsm *f, uint8_t advbase, uint8_t advskew);

/**
 * The vhid's address families changed (config reload): a family added
 * while BACKUP gets its master-down timer armed a full interval from now,
 * a removed one is disarmed; MASTER sends its next advert over the new
 * families; INIT arms nothing.  The state is kept.
 */
void carp_fsm_set_af(struct carp_fsm *f, uint64_t now, bool has4, bool has6);

/**
 * A config reload's map of vhids: a vhid is the same one when its key
 * (interface index << 8 | vhid) is in both lists; it keeps its state, a
 * new key starts in INIT, a key gone is removed.  from[i] is the index in
 * old_keys of new_keys[i], or -1 when it is new; keys are unique in each
 * list (the config loader refuses a vhid twice on one interface).
 * Returns how many of the old ones are kept.
 */
unsigned int carp_vhid_map(const uint32_t *old_keys, unsigned int n_old, const uint32_t *new_keys,
			   unsigned int n_new, int *from);

#endif /* DPF_CONTROL_CARP_FSM_H */
