/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: authenticated pfsync, sequence numbers and replays (pfsync_auth.h).
 */
#include "control/pfsync/pfsync_auth.h"

#include <errno.h>
#include <string.h>

int
pfsync_auth_init(struct pfsync_auth *a, const uint8_t *key, size_t len, uint32_t now_s)
{
	memset(a, 0, sizeof(*a));
	if (pfsync_auth_key_init(&a->a_key, key, len) != 0)
		return -EINVAL;
	a->a_epoch = now_s;
	return 0;
}

uint64_t
pfsync_auth_next_seq(struct pfsync_auth *a, uint32_t now_s)
{
	if (a->a_counter == UINT32_MAX) {
		/* Never reuse a number: move to a later epoch. */
		a->a_epoch = now_s > a->a_epoch ? now_s : a->a_epoch + 1;
		a->a_counter = 0;
	}
	a->a_counter++;
	return (uint64_t)a->a_epoch << 32 | a->a_counter;
}

bool
pfsync_auth_accept(struct pfsync_auth *a, uint32_t sender, uint64_t seq, uint64_t now)
{
	struct pfsync_auth_peer *p, *victim = &a->a_peers[0];
	unsigned int i;

	for (i = 0; i < PFSYNC_AUTH_PEERS; i++) {
		p = &a->a_peers[i];
		if (p->ap_used && p->ap_sender == sender) {
			if (seq <= p->ap_last)
				return false;
			p->ap_last = seq;
			p->ap_seen = now;
			return true;
		}
		if (!p->ap_used)
			victim = p;
		else if (victim->ap_used && p->ap_seen < victim->ap_seen)
			victim = p;
	}
	/* A sender not heard before (or forgotten): anything goes. */
	victim->ap_used = true;
	victim->ap_sender = sender;
	victim->ap_last = seq;
	victim->ap_seen = now;
	return true;
}

void
pfsync_auth_fini(struct pfsync_auth *a)
{
	explicit_bzero(a, sizeof(*a));
}
