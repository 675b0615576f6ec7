/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A table of pfsync identities (id, creatorid), each holding a slot
 * 0..capacity-1: the send queues keep their entries by slot, the engine
 * its map of the peer's states.  Chained hashing over preallocated
 * arrays; no allocation after creation.  Pure C.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_PFSYNC_IDENT_H
#define DPF_CONTROL_PFSYNC_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#define PFSYNC_IDENT_NONE UINT32_MAX

struct pfsync_ident {
	uint64_t *id;			/* by slot */
	uint32_t *creatorid;		/* by slot */
	uint32_t *next;			/* by slot: hash chain, or the free list */
	uint32_t *bucket;
	uint32_t mask;			/* buckets - 1 */
	uint32_t capacity;
	uint32_t count;			/* slots in use */
	uint32_t free;			/* free list head */
};

/* 0, or -ENOMEM / -EINVAL (capacity 0 or too large). */
int pfsync_ident_init(struct pfsync_ident *t, uint32_t capacity);
void pfsync_ident_fini(struct pfsync_ident *t);

/* The slot of (id, creatorid), or PFSYNC_IDENT_NONE. */
uint32_t pfsync_ident_find(const struct pfsync_ident *t, uint64_t id, uint32_t creatorid);
/*
 * The slot of (id, creatorid), taking a free one if it has none (*added
 * then true); PFSYNC_IDENT_NONE when it has none and the table is full.
 */
uint32_t pfsync_ident_get(struct pfsync_ident *t, uint64_t id, uint32_t creatorid, bool *added);
/* Gives slot back. */
void pfsync_ident_put(struct pfsync_ident *t, uint32_t slot);

#endif /* DPF_CONTROL_PFSYNC_IDENT_H */
