/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: neighbour table policy (see nbr.h for the why).
 *
 * Everything here is O(1) per call except nbr_victim(), which walks the
 * LRU list past pinned slots (at most the gateways, a quarter of the table).
 * Token buckets keep micro-tokens so that a rate of a few per second
 * refills exactly with a microsecond clock.
 */
#include <stdlib.h>
#include <string.h>

#include "control/local/nbr.h"
#include "proto/proto.h"

PROTO_NAME_FN(nbr_counter_name, unsigned int, NBR_COUNTER_LIST, NBR_C_MAX);

#define TOKEN NBR_US_PER_S

static void
lru_unlink(struct nbr *t, uint32_t s)
{
	struct nbr_slot *e = &t->slot[s];

	if (e->prev != NBR_NIL)
		t->slot[e->prev].next = e->next;
	else if (t->head == s)
		t->head = e->next;
	else
		return;			/* not on the list */
	if (e->next != NBR_NIL)
		t->slot[e->next].prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NBR_NIL;
}

static void
lru_append(struct nbr *t, uint32_t s)
{
	struct nbr_slot *e = &t->slot[s];

	e->prev = t->tail;
	e->next = NBR_NIL;
	if (t->tail != NBR_NIL)
		t->slot[t->tail].next = s;
	else
		t->head = s;
	t->tail = s;
}

int
nbr_init(struct nbr *t, uint32_t n_slots, uint32_t max_entries, uint32_t seed, uint64_t now_us)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	t->slot = calloc(n_slots ? n_slots : 1, sizeof(*t->slot));
	if (t->slot == NULL)
		return -1;
	for (i = 0; i < n_slots; i++)
		t->slot[i].prev = t->slot[i].next = NBR_NIL;
	t->n_slots = n_slots;
	t->max_entries = max_entries;
	/* Linux's gc_thresh3 is 1024 for the whole table; one interface may
	 * hold an eighth of ours unresolved, unsolicited entries a quarter. */
	t->incomplete_max = max_entries / 8 > 0 ? max_entries / 8 : 1;
	t->unsolicited_max = max_entries / 4 > 0 ? max_entries / 4 : 1;
	t->seed = seed;
	t->head = t->tail = NBR_NIL;
	t->global = (struct nbr_bucket){ .tokens = NBR_RATE * TOKEN, .at_us = now_us };
	for (i = 0; i < NBR_SRC_BUCKETS; i++)
		t->src[i] = (struct nbr_bucket){ .tokens = NBR_SRC_BURST / 2 * TOKEN, .at_us = now_us };
	for (i = 0; i < NBR_MAX_IFACES; i++)
		t->ifrate[i] = (struct nbr_bucket){ .tokens = NBR_IFACE_RATE * TOKEN,
						    .at_us = now_us };
	return 0;
}

void
nbr_fini(struct nbr *t)
{
	free(t->slot);
	t->slot = NULL;
}

uint32_t
nbr_src_hash(const struct nbr *t, const uint8_t *addr, unsigned int len)
{
	uint32_t h = 2166136261u ^ t->seed;	/* FNV-1a, seeded */
	unsigned int i;

	for (i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619u;
	/* murmur3's finaliser: FNV's low bits depend on the input's low bits
	 * only, and nbr_admit() takes two bucket indices from this word. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* Refills b at rate per second up to burst; true if a token is there. */
static bool
bucket_has(struct nbr_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_us)
{
	if (now_us > b->at_us) {
		uint64_t add = (now_us - b->at_us) * rate;

		b->tokens = b->tokens + add > burst * TOKEN ? burst * TOKEN : b->tokens + add;
		b->at_us = now_us;
	}
	return b->tokens >= TOKEN;
}

bool
nbr_admit(struct nbr *t, enum nbr_class cls, uint16_t iface, uint32_t src_hash, uint64_t now_us)
{
	struct nbr_bucket *ib = &t->ifrate[iface % NBR_MAX_IFACES];
	struct nbr_bucket *b0, *b1, *sb;
	uint32_t si[2];
	bool has0, has1;

	switch (cls) {
	case NBR_NEEDED:
		return true;
	case NBR_UNSOLICITED:
		if (t->n_unsolicited < t->unsolicited_max)
			return true;
		t->counters[NBR_C_REFUSED_UNSOLICITED]++;
		return false;
	case NBR_SPECULATIVE:
		break;
	}
	if (iface < NBR_MAX_IFACES && t->incomplete[iface] >= t->incomplete_max) {
		t->counters[NBR_C_REFUSED_IFACE]++;
		return false;
	}
	/* The source first: a flooding host spends its own budget and is
	 * refused there, so the global one stays for everyone else. */
	nbr_src_buckets(src_hash, si);
	b0 = &t->src[si[0]];
	b1 = &t->src[si[1]];
	has0 = bucket_has(b0, NBR_SRC_RATE / 2, NBR_SRC_BURST / 2, now_us);
	has1 = bucket_has(b1, NBR_SRC_RATE / 2, NBR_SRC_BURST / 2, now_us);
	if (!has0 && !has1) {
		t->counters[NBR_C_REFUSED_SOURCE]++;
		return false;
	}
	/* The fuller one pays: a source alone in its buckets spends both
	 * evenly, one that shares a bucket with a flooder spends its other. */
	sb = has0 && (!has1 || b0->tokens >= b1->tokens) ? b0 : b1;
	/* Then the interface's share: forged sources each have a full
	 * bucket, but they all come in on one interface. */
	if (!bucket_has(ib, NBR_IFACE_RATE, NBR_IFACE_RATE, now_us)) {
		t->counters[NBR_C_REFUSED_IFACE_RATE]++;
		return false;
	}
	if (!bucket_has(&t->global, NBR_RATE, NBR_RATE, now_us)) {
		t->counters[NBR_C_REFUSED_RATE]++;
		return false;
	}
	sb->tokens -= TOKEN;
	ib->tokens -= TOKEN;
	t->global.tokens -= TOKEN;
	return true;
}

bool
nbr_full(const struct nbr *t, uint32_t extra)
{
	return t->n_entries + extra >= t->max_entries;
}

uint32_t
nbr_victim(const struct nbr *t)
{
	uint32_t s;

	for (s = t->head; s != NBR_NIL; s = t->slot[s].next)
		if (!t->slot[s].pinned)
			return s;
	return NBR_NIL;
}

static void
set_incomplete(struct nbr *t, struct nbr_slot *e, bool on)
{
	if (e->incomplete == on || e->iface >= NBR_MAX_IFACES)
		return;
	e->incomplete = on;
	if (on)
		t->incomplete[e->iface]++;
	else
		t->incomplete[e->iface]--;
}

/* Leaves the stale kind (counted apart) if s is in it. */
static void
leave_stale(struct nbr *t, struct nbr_slot *e)
{
	if (e->kind == NBR_K_STALE)
		t->n_unsolicited--;
}

void
nbr_insert(struct nbr *t, uint32_t s, uint16_t iface, enum nbr_class cls, uint64_t now_us)
{
	struct nbr_slot *e;

	if (s >= t->n_slots || t->slot[s].kind != NBR_K_NONE)
		return;
	e = &t->slot[s];
	memset(e, 0, sizeof(*e));
	e->iface = iface;
	e->since_us = now_us;
	if (cls == NBR_UNSOLICITED) {
		e->kind = NBR_K_STALE;
		t->n_unsolicited++;
	} else {
		e->kind = NBR_K_UNRESOLVED;
		set_incomplete(t, e, true);
	}
	t->n_entries++;
	t->counters[NBR_C_CREATED]++;
	lru_append(t, s);
}

void
nbr_remove(struct nbr *t, uint32_t s, bool evicted)
{
	struct nbr_slot *e;

	if (!nbr_managed(t, s))
		return;
	e = &t->slot[s];
	lru_unlink(t, s);
	leave_stale(t, e);
	set_incomplete(t, e, false);
	t->n_entries--;
	t->counters[evicted ? NBR_C_EVICTED : NBR_C_EXPIRED]++;
	memset(e, 0, sizeof(*e));
	e->prev = e->next = NBR_NIL;
}

/*
 * Slot s enters kind (with failed), dated now_us; an unresolved one is
 * also the youngest in the LRU (it is what eviction takes first).
 */
static void
enter(struct nbr *t, uint32_t s, uint8_t kind, bool incomplete, uint8_t failed,
      uint64_t now_us)
{
	struct nbr_slot *e;

	if (!nbr_managed(t, s))
		return;
	e = &t->slot[s];
	lru_unlink(t, s);
	leave_stale(t, e);
	set_incomplete(t, e, incomplete);
	e->kind = kind;
	e->failed = failed;
	e->since_us = now_us;
	if (kind == NBR_K_UNRESOLVED)
		lru_append(t, s);	/* used now: the youngest */
}

void
nbr_resolved(struct nbr *t, uint32_t s, uint64_t now_us)
{
	enter(t, s, NBR_K_RESOLVED, false, 0, now_us);
}

void
nbr_resolving(struct nbr *t, uint32_t s, uint64_t now_us)
{
	enter(t, s, NBR_K_UNRESOLVED, true, 0, now_us);
}

void
nbr_failed(struct nbr *t, uint32_t s, uint64_t now_us)
{
	enter(t, s, NBR_K_UNRESOLVED, false, 1, now_us);
}

bool
nbr_expired(const struct nbr *t, uint32_t s, uint64_t now_us)
{
	const struct nbr_slot *e;

	if (!nbr_managed(t, s))
		return false;
	e = &t->slot[s];
	if (e->pinned || now_us < e->since_us)
		return false;
	if (e->kind == NBR_K_UNRESOLVED && e->failed)
		return now_us - e->since_us >= NBR_FAILED_HOLD_S * NBR_US_PER_S;
	if (e->kind == NBR_K_STALE)
		return now_us - e->since_us >= NBR_STALE_S * NBR_US_PER_S;
	return false;
}

void
nbr_pin(struct nbr *t, uint32_t s, bool pinned)
{
	if (s < t->n_slots)
		t->slot[s].pinned = pinned;
}
