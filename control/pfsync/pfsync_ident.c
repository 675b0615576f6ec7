/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the table of pfsync identities (pfsync_ident.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/pfsync/pfsync_ident.h"

static uint32_t
ident_hash(const struct pfsync_ident *t, uint64_t id, uint32_t creatorid)
{
	uint64_t h = (id ^ ((uint64_t)creatorid << 17)) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 32) & t->mask;
}

int
pfsync_ident_init(struct pfsync_ident *t, uint32_t capacity)
{
	uint32_t nb = 1, i;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity >= PFSYNC_IDENT_NONE)
		return -EINVAL;
	while (nb < capacity && nb < (1u << 31))
		nb <<= 1;
	t->id = malloc(sizeof(*t->id) * capacity);
	t->creatorid = malloc(sizeof(*t->creatorid) * capacity);
	t->next = malloc(sizeof(*t->next) * capacity);
	t->bucket = malloc(sizeof(*t->bucket) * nb);
	if (t->id == NULL || t->creatorid == NULL || t->next == NULL || t->bucket == NULL) {
		pfsync_ident_fini(t);
		return -ENOMEM;
	}
	for (i = 0; i < nb; i++)
		t->bucket[i] = PFSYNC_IDENT_NONE;
	for (i = 0; i < capacity; i++)
		t->next[i] = i + 1 < capacity ? i + 1 : PFSYNC_IDENT_NONE;
	t->mask = nb - 1;
	t->capacity = capacity;
	return 0;
}

void
pfsync_ident_fini(struct pfsync_ident *t)
{
	free(t->id);
	free(t->creatorid);
	free(t->next);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

uint32_t
pfsync_ident_find(const struct pfsync_ident *t, uint64_t id, uint32_t creatorid)
{
	uint32_t i = t->bucket[ident_hash(t, id, creatorid)];

	while (i != PFSYNC_IDENT_NONE && (t->id[i] != id || t->creatorid[i] != creatorid))
		i = t->next[i];
	return i;
}

uint32_t
pfsync_ident_get(struct pfsync_ident *t, uint64_t id, uint32_t creatorid, bool *added)
{
	uint32_t i = pfsync_ident_find(t, id, creatorid), b;

	*added = false;
	if (i != PFSYNC_IDENT_NONE || t->free == PFSYNC_IDENT_NONE)
		return i;
	i = t->free;
	t->free = t->next[i];
	t->id[i] = id;
	t->creatorid[i] = creatorid;
	b = ident_hash(t, id, creatorid);
	t->next[i] = t->bucket[b];
	t->bucket[b] = i;
	t->count++;
	*added = true;
	return i;
}

void
pfsync_ident_put(struct pfsync_ident *t, uint32_t slot)
{
	uint32_t *p = &t->bucket[ident_hash(t, t->id[slot], t->creatorid[slot])];

	while (*p != slot)
		p = &t->next[*p];
	*p = t->next[slot];
	t->next[slot] = t->free;
	t->free = slot;
	t->count--;
}
