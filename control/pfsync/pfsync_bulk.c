/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pfsync's bulk-update requester (pfsync_bulk.h).
 */
#include <string.h>

#include "control/pfsync/pfsync_bulk.h"
#include "proto/pfsync.h"
#include "proto/proto.h"

PROTO_NAME_FN(pfsync_bulk_state_name, unsigned int, PFSYNC_BULK_STATE_LIST,
	      PFSYNC_BULK_STATE_MAX);
PROTO_NAME_FN(pfsync_bulk_evt_name, unsigned int, PFSYNC_BULK_EVT_LIST, PFSYNC_BULK_EVT_MAX);
PROTO_NAME_FN(pfsync_bulk_result_name, unsigned int, PFSYNC_BULK_RESULT_LIST,
	      PFSYNC_BULK_RESULT_MAX);

void
pfsync_bulk_init(struct pfsync_bulk *b, uint64_t bulk_us)
{
	memset(b, 0, sizeof(*b));
	b->state = PFSYNC_BULK_NONE;
	b->deadline = PFSYNC_BULK_NEVER;
	b->bulk_us = bulk_us;
}

uint64_t
pfsync_bulk_timeout_us(uint32_t limit, unsigned int mtu)
{
	/* States per packet: full records after the IP and pfsync headers. */
	unsigned int per = mtu > PFSYNC_MINPKT + PFSYNC_SUBHLEN + 264 ?
			   (mtu - PFSYNC_MINPKT - PFSYNC_SUBHLEN) / 264 : 1;
	uint64_t t = (uint64_t)limit / per / (1000 / 20);

	return 4 * (t > 0 ? t : 1) * 1000000ULL;
}

static void
bulk_to(struct pfsync_bulk *b, uint8_t to, uint64_t deadline, struct pfsync_bulk_act *act)
{
	act->changed = b->state != to;
	act->to = to;
	b->state = to;
	b->deadline = deadline;
}

/* The wait is over: release the bulk demotion, remember how it ended. */
static void
bulk_done(struct pfsync_bulk *b, uint8_t result, uint64_t now, struct pfsync_bulk_act *act)
{
	if (b->demoted) {
		b->demoted = false;
		act->demote -= PFSYNC_BULK_DEMOTE;
	}
	b->result = result;
	b->ended = now;
	if (result == PFSYNC_BULK_RES_OK)
		b->bulks++;
	else
		b->timeouts++;
	bulk_to(b, PFSYNC_BULK_DONE, PFSYNC_BULK_NEVER, act);
}

static void
bulk_request(struct pfsync_bulk *b, uint64_t now, struct pfsync_bulk_act *act)
{
	act->send_req = true;
	b->tries = 1;
	b->retries = 0;
	b->started = now;
	bulk_to(b, PFSYNC_BULK_SENT, now + PFSYNC_BULK_REQ_US, act);
}

void
pfsync_bulk_event(struct pfsync_bulk *b, enum pfsync_bulk_evt ev, uint64_t now,
		  struct pfsync_bulk_act *act)
{
	memset(act, 0, sizeof(*act));
	act->from = act->to = b->state;

	switch (ev) {
	case PFSYNC_BULK_EV_UP:
		if (b->state != PFSYNC_BULK_NONE)
			break;
		b->demoted = true;
		act->demote += PFSYNC_BULK_DEMOTE;
		bulk_to(b, PFSYNC_BULK_START, now + PFSYNC_BULK_START_US, act);
		break;
	case PFSYNC_BULK_EV_LINK_UP:
		if (b->link_demoted) {
			b->link_demoted = false;
			act->demote -= PFSYNC_BULK_LINK_DEMOTE;
		}
		if (b->state == PFSYNC_BULK_START || b->state == PFSYNC_BULK_DONE)
			bulk_request(b, now, act);
		break;
	case PFSYNC_BULK_EV_LINK_DOWN:
		if (b->state != PFSYNC_BULK_NONE && !b->link_demoted) {
			b->link_demoted = true;
			act->demote += PFSYNC_BULK_LINK_DEMOTE;
		}
		break;
	case PFSYNC_BULK_EV_TIMEOUT:
		if (now < b->deadline)
			break;
		switch (b->state) {
		case PFSYNC_BULK_SENT:
			if (b->tries < PFSYNC_BULK_TRIES) {
				b->tries++;
				act->send_req = true;
				b->deadline = now + PFSYNC_BULK_REQ_US;
				break;
			}
			/* No answer to any of the requests. */
			/* fall through */
		case PFSYNC_BULK_START:
		case PFSYNC_BULK_BULK:
			bulk_done(b, PFSYNC_BULK_RES_TIMEOUT, now, act);
			break;
		default:
			b->deadline = PFSYNC_BULK_NEVER;
			break;
		}
		break;
	case PFSYNC_BULK_EV_BUS_START:
		if (b->state == PFSYNC_BULK_START || b->state == PFSYNC_BULK_SENT)
			bulk_to(b, PFSYNC_BULK_BULK, now + b->bulk_us, act);
		break;
	case PFSYNC_BULK_EV_BUS_END:
		if (b->state == PFSYNC_BULK_SENT || b->state == PFSYNC_BULK_BULK)
			bulk_done(b, PFSYNC_BULK_RES_OK, now, act);
		break;
	case PFSYNC_BULK_EV_RETRY:
		/* Same wait, same demotion; the duration counts from the first request. */
		if (b->state != PFSYNC_BULK_BULK || b->retries >= PFSYNC_BULK_RETRIES)
			break;
		b->retries++;
		b->tries = 1;
		act->send_req = true;
		bulk_to(b, PFSYNC_BULK_SENT, now + PFSYNC_BULK_REQ_US, act);
		break;
	case PFSYNC_BULK_EV_DOWN:
		if (b->demoted)
			act->demote -= PFSYNC_BULK_DEMOTE;
		if (b->link_demoted)
			act->demote -= PFSYNC_BULK_LINK_DEMOTE;
		b->demoted = b->link_demoted = false;
		bulk_to(b, PFSYNC_BULK_NONE, PFSYNC_BULK_NEVER, act);
		break;
	default:
		break;
	}
}
