/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: states between dpf's and pfsync's terms (pfsync_state.h).
 */
#include <errno.h>
#include <string.h>

#include "control/pfsync/pfsync_state.h"
#include "proto/pf.h"

static void
peer_out(const struct pf_peer *p, struct pfsync_peer_host *h)
{
	memset(h, 0, sizeof(*h));
	h->seqlo = p->seqlo;
	h->seqhi = p->seqhi;
	h->max_win = p->max_win;
	h->state = p->state;
	h->wscale = p->wscale;
}

static void
peer_in(const struct pfsync_peer_host *h, struct pf_peer *p)
{
	p->seqlo = h->seqlo;
	p->seqhi = h->seqhi;
	p->max_win = h->max_win;
	p->state = h->state;
	p->wscale = h->wscale;
}

/* The creator's and the other side's address and port of a canonical key. */
static void
key_sides(const struct dp_state_desc *d, const uint8_t **a, const uint8_t **b, uint16_t *pa,
	  uint16_t *pb)
{
	unsigned int c = (d->flags & DP_STF_SWAPPED) ? 1 : 0;

	if (d->af == 4) {
		*a = (const uint8_t *)&d->key.k4.addr[c];
		*b = (const uint8_t *)&d->key.k4.addr[!c];
		*pa = d->key.k4.port[c];
		*pb = d->key.k4.port[!c];
	} else {
		*a = d->key.k6.addr[c];
		*b = d->key.k6.addr[!c];
		*pa = d->key.k6.port[c];
		*pb = d->key.k6.port[!c];
	}
}

void
pfsync_state_export(const struct dp_state_desc *d, struct pfsync_state_host *sp)
{
	const uint8_t *a, *b;
	uint16_t pa, pb;
	unsigned int alen = d->af == 4 ? 4 : 16, k, dir;

	memset(sp, 0, sizeof(*sp));
	sp->id = d->id;
	sp->creatorid = d->creatorid;
	memcpy(sp->ifname, PFSYNC_IFNAME_ALL, sizeof(PFSYNC_IFNAME_ALL));
	key_sides(d, &a, &b, &pa, &pb);
	for (k = 0; k < 2; k++) {
		struct pfsync_key_host *kh = &sp->key[k];

		memcpy(kh->addr[0], a, alen);
		memcpy(kh->addr[1], b, alen);
		/* The key keeps ports as on the wire; pfsync's host form is host order. */
		kh->port[0] = rte_be_to_cpu_16(pa);
		kh->port[1] = rte_be_to_cpu_16(pb);
		kh->af = d->af == 4 ? PF_AF_INET : PF_AF_INET6;
	}
	peer_out(&d->track.peer[0], &sp->src);
	peer_out(&d->track.peer[1], &sp->dst);
	sp->rule = PFSYNC_RULE_NONE;
	sp->anchor = PFSYNC_RULE_NONE;
	sp->creation = d->age;
	sp->expire = d->expire_in;
	for (dir = 0; dir < 2; dir++) {
		sp->packets[dir] = d->packets[dir];
		sp->bytes[dir] = d->bytes[dir];
	}
	sp->af = d->af == 4 ? PF_AF_INET : PF_AF_INET6;
	sp->proto = d->af == 4 ? d->key.k4.proto : d->key.k6.proto;
	sp->direction = PF_IN;
	sp->log = (d->flags & DP_STF_LOG) ? 1 : 0;
	sp->timeout = d->timeout;
	sp->state_flags = (d->flags & DP_STF_SLOPPY) ? PFSTATE_SLOPPY : 0;
}

void
pfsync_upd_c_export(const struct dp_state_desc *d, struct pfsync_upd_c_host *up)
{
	memset(up, 0, sizeof(*up));
	up->id = d->id;
	up->creatorid = d->creatorid;
	peer_out(&d->track.peer[0], &up->src);
	peer_out(&d->track.peer[1], &up->dst);
	up->timeout = d->timeout;
}

int
pfsync_state_import(const struct pfsync_state_host *sp, struct dp_state_desc *d)
{
	/* The stack key: the state lives on this side of any translation. */
	const struct pfsync_key_host *kh = &sp->key[1];
	unsigned int c = sp->direction == PF_OUT ? 1 : 0, dir;
	uint8_t af, kaf;
	uint16_t sport, dport;
	bool swapped;

	if (sp->af == PF_AF_INET)
		af = 4;
	else if (sp->af == PF_AF_INET6)
		af = 6;
	else
		return -EINVAL;
	/* A key af of 0 means the state's [pf.c pf_state_import]. */
	kaf = kh->af != 0 ? kh->af : sp->af;
	if (kaf != sp->af || sp->creatorid == 0)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	sport = rte_cpu_to_be_16(kh->port[c]);
	dport = rte_cpu_to_be_16(kh->port[!c]);
	if (!dp_state_key_make(af, sp->proto, kh->addr[c], kh->addr[!c], sport, dport, 0, &d->key,
			       &swapped))
		return -EINVAL;
	d->af = af;
	d->id = sp->id;
	d->creatorid = sp->creatorid;
	peer_in(&sp->src, &d->track.peer[0]);
	peer_in(&sp->dst, &d->track.peer[1]);
	d->expire_in = sp->expire;
	d->age = sp->creation;
	for (dir = 0; dir < 2; dir++) {
		d->packets[dir] = sp->packets[dir];
		d->bytes[dir] = sp->bytes[dir];
	}
	d->timeout = sp->timeout;
	d->flags = (swapped ? DP_STF_SWAPPED : 0) |
		   ((sp->state_flags & PFSTATE_SLOPPY) ? DP_STF_SLOPPY : 0) |
		   (sp->log ? DP_STF_LOG : 0);
	return 0;
}

void
pfsync_upd_c_import(const struct pfsync_upd_c_host *up, struct pf_track *t)
{
	memset(t, 0, sizeof(*t));
	peer_in(&up->src, &t->peer[0]);
	peer_in(&up->dst, &t->peer[1]);
}
