/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the neighbour table (ARP and ND results).
 *
 * An rte_hash with lock-free concurrent readers (workers) and a single
 * writer (the control core) maps (interface, family, address) to a slot;
 * the slot's 64-bit MAC word is what workers read, with one atomic load.
 * Resolution state (retries, queued packets) and the policy of who gets a
 * slot and which one goes (control/local/nbr.h) live on the control core.
 *
 * Deleting, the contract with the readers: a worker may hold a slot number
 * from rte_hash_lookup (or a gateway's, from the FIB) while the control core
 * deletes the key, and read the slot's MAC word after it.  So
 *  1. dp_neigh_del() first stores 0 in the MAC word (a late reader sees an
 *     unresolved neighbour and punts, or the old MAC, which was right for
 *     the key it looked up), then removes the key.  The hash was created
 *     with RW_CONCURRENCY_LF, which implies NO_FREE_ON_DEL: the slot stays
 *     allocated and no new key can take it;
 *  2. the caller frees the slot with dp_neigh_free() only after every
 *     worker has passed a quiescent point since the delete (rte_rcu_qsbr
 *     token taken after step 1, as FIB swaps do).  No worker can then hold
 *     the old slot number, so a reused slot never shows a reader another
 *     neighbour's MAC;
 *  3. a slot a FIB names as a gateway's is never deleted (local.c pins the
 *     current FIB's), and a new key starts with MAC word 0 (still 0 from
 *     step 1).
 * Workers keep slot numbers across polls in a small cache (worker.c,
 * dp_nbr_slot()); step 1 ends by raising dp->neigh_gen, after the key is
 * removed (raised before, a worker could read the new generation, still
 * find the key, and keep the slot past the free), and a worker reads it at
 * the start of every poll and empties its cache on a change.  The slot is
 * freed only after the worker's next quiescent point, so its next poll sees
 * the new generation before the slot can be reused.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dataplane/dp.h"

struct dp_neigh_key {
	uint8_t addr[16];
	uint16_t iface;
	uint8_t af;
	uint8_t pad;
};

static inline void
dp_neigh_key_make(struct dp_neigh_key *k, uint16_t iface, uint8_t af, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, af == 4 ? 4 : 16);
	k->iface = iface;
	k->af = af;
}

void
dp_neigh_key_decode(const void *key, uint16_t *iface, uint8_t *af, uint8_t *addr)
{
	const struct dp_neigh_key *k = key;

	*iface = k->iface;
	*af = k->af;
	memcpy(addr, k->addr, 16);
}

int
dp_neigh_init(struct dp_main *dp, unsigned int max)
{
	struct rte_hash_parameters hp = {
		.name = "dpf_neigh",
		.entries = max,
		.key_len = sizeof(struct dp_neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	dp->neigh_hash = rte_hash_create(&hp);
	if (dp->neigh_hash == NULL)
		return -ENOMEM;
	/* Positions returned by rte_hash range over 0..entries (+ per-lcore caches). */
	dp->neigh_entries = max;
	dp->neigh_max = max * 2;
	dp->neigh = rte_zmalloc("dpf_neigh_mac", sizeof(*dp->neigh) * dp->neigh_max,
				RTE_CACHE_LINE_SIZE);
	return dp->neigh == NULL ? -ENOMEM : 0;
}

int
dp_neigh_lookup(const struct dp_main *dp, uint16_t iface, uint8_t af, const uint8_t *addr)
{
	struct dp_neigh_key k;
	int pos;

	dp_neigh_key_make(&k, iface, af, addr);
	pos = rte_hash_lookup(dp->neigh_hash, &k);
	return pos >= 0 && (unsigned int)pos < dp->neigh_max ? pos : -1;
}

int
dp_neigh_get(struct dp_main *dp, uint16_t iface, uint8_t af, const uint8_t *addr, bool create)
{
	struct dp_neigh_key k;
	int pos;

	dp_neigh_key_make(&k, iface, af, addr);
	pos = rte_hash_lookup(dp->neigh_hash, &k);
	if (pos >= 0 || !create)
		return pos;
	pos = rte_hash_add_key(dp->neigh_hash, &k);
	if (pos < 0 || (unsigned int)pos >= dp->neigh_max)
		return -1;
	atomic_store_explicit(&dp->neigh[pos].mac, 0, memory_order_release);
	return pos;
}

int
dp_neigh_del(struct dp_main *dp, uint32_t slot)
{
	void *key;
	int pos;

	if (slot >= dp->neigh_max ||
	    rte_hash_get_key_with_position(dp->neigh_hash, (int32_t)slot, &key) != 0)
		return -ENOENT;
	atomic_store_explicit(&dp->neigh[slot].mac, 0, memory_order_release);
	pos = rte_hash_del_key(dp->neigh_hash, key);
	/* After the key is gone: a worker that sees the new generation can no
	 * longer look the key up and cache the slot again. */
	atomic_fetch_add_explicit(&dp->neigh_gen, 1, memory_order_release);
	return pos == (int)slot ? 0 : -ENOENT;
}

void
dp_neigh_free(struct dp_main *dp, uint32_t slot)
{
	rte_hash_free_key_with_position(dp->neigh_hash, (int32_t)slot);
}

unsigned int
dp_neigh_count(const struct dp_main *dp)
{
	int32_t n = rte_hash_count(dp->neigh_hash);

	return n > 0 ? (unsigned int)n : 0;
}
