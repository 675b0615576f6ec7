/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IPv6 address classes for the rule classifier (rules_acl.c).
 *
 * rte_acl walks one trie transition per input byte, so two 16-byte IPv6
 * addresses cost about 2.4 times the transitions of an IPv4 lookup.  A
 * class map replaces an address by a small number first: the distinct
 * prefixes that the rules name (one map for sources, one for
 * destinations) are numbered in preorder of their containment tree, the
 * sorted order by (network, length), with 0 for "no prefix" (::/0).  An
 * address's class is the number of the longest of those prefixes that
 * contains it, and a rule's prefix P then contains the address exactly
 * when the class lies in P's subtree, a run of numbers [P, last
 * descendant of P].  So each prefix of a rule is one range of classes,
 * a negated set the gaps between its ranges, and the classifier reads
 * 2 or 4 bytes per address instead of 16.  This is the "phase 0" of
 * Gupta and McKeown's Recursive Flow Classification, with the
 * classes of a prefix tree.
 *
 * The lookup is a trie of 256-way nodes, one address byte per level,
 * whose subtrees of at most CLS6_TAIL prefixes are lists checked by mask
 * (longest first).  The leading bytes that every prefix shares (2001:db8::
 * of a site's rules) are one compare before the root, not a level each.
 *
 * Contract:
 *  - cls6_add() all prefixes, then cls6_seal() (pure C, no EAL): after it,
 *    cls6_range() gives a prefix's class range and cls6_n() the number of
 *    classes.  cls6_build_lookup() then makes the lookup tables;
 *    cls6_lookup() is read-only and thread-safe.
 *  - Every prefix passed to cls6_range() must have been added.
 */
#ifndef DPF_DP_RULES_CLS6_H
#define DPF_DP_RULES_CLS6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Prefixes per list leaf: a subtree with more gets a 256-way node. */
#define CLS6_TAIL 8
/* Maps of at least this many prefixes get a 16-bit root node. */
#define CLS6_ROOT16_MIN 4096
/* Lookup tables past this many bytes are refused (per map). */
#define CLS6_MAX_MEMORY (128u << 20)

typedef unsigned __int128 cls6_u128;

struct cls6_pfx {
	cls6_u128 net;		/* host bits zero */
	uint8_t plen;		/* 1..128; ::/0 is class 0 */
	uint32_t last;		/* last class of its subtree (after cls6_seal) */
};

/* 24 bytes: the masks are made from plen at lookup (cls6_tail_miss). */
struct cls6_tail {
	uint64_t hi, lo;	/* the prefix's network */
	uint32_t cls;
	uint8_t plen;		/* 0: matches every address (a list's last entry) */
};

struct cls6 {
	/* Prefixes, sorted and unique after seal; class of pfx[i] = i + 1. */
	unsigned int n, cap;
	struct cls6_pfx *pfx;
	/*
	 * Lookup: node 0 is the root and reads byte skip; the bytes before
	 * it must equal those of every prefix (chi/clo under cmhi/cmlo),
	 * else the class is 0.  Entry = kind (2 bits) | value (30 bits).
	 */
	unsigned int skip;
	bool root16;		/* the root reads bytes skip and skip + 1 */
	uint64_t chi, clo, cmhi, cmlo;
	uint32_t *nodes;
	unsigned int n_nodes, cap_nodes;
	struct cls6_tail *tails;
	unsigned int n_tails, cap_tails;
};

void cls6_init(struct cls6 *m);
void cls6_free(struct cls6 *m);
/* 0, or -1 when out of memory. plen 0 adds nothing (it is class 0). */
int cls6_add(struct cls6 *m, const uint8_t addr[16], uint8_t plen);
/* Sorts, removes duplicates and numbers the subtrees. */
void cls6_seal(struct cls6 *m);
/* Number of classes, 0 included (n + 1). */
static inline uint32_t
cls6_n(const struct cls6 *m)
{
	return m->n + 1;
}
/* The classes of the addresses in addr/plen: [*lo, *hi]. */
void cls6_range(const struct cls6 *m, const uint8_t addr[16], uint8_t plen, uint32_t *lo,
		uint32_t *hi);
/* 0, or -1 (out of memory, or above CLS6_MAX_MEMORY). */
int cls6_build_lookup(struct cls6 *m);
/* Bytes held by the lookup tables. */
size_t cls6_memory(const struct cls6 *m);

#define CLS6_KIND_CLASS 0u
#define CLS6_KIND_NODE 1u
#define CLS6_KIND_TAIL 2u
#define CLS6_VAL_MASK 0x3fffffffu

static inline uint64_t
cls6_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Non-zero if the address hi:lo is outside t's prefix. */
static inline uint64_t
cls6_tail_miss(const struct cls6_tail *t, uint64_t hi, uint64_t lo)
{
	/* Without branches (list entries' lengths do not predict): two shifts of <= 32. */
	unsigned int h = t->plen < 64 ? t->plen : 64, l = t->plen - h;
	uint64_t mhi = ~((~UINT64_C(0) >> (h / 2)) >> (h - h / 2));
	uint64_t mlo = ~((~UINT64_C(0) >> (l / 2)) >> (l - l / 2));

	return ((hi ^ t->hi) & mhi) | ((lo ^ t->lo) & mlo);
}

/* The class of addr (network order). */
static inline uint32_t
cls6_lookup(const struct cls6 *m, const uint8_t addr[16])
{
	uint64_t hi = cls6_be64(addr), lo = cls6_be64(addr + 8);
	unsigned int pos = m->skip;
	const struct cls6_tail *t;
	uint32_t e, idx;

	/* Outside the shared leading bytes: class 0 (a select, not a branch). */
	idx = addr[pos++];
	if (m->root16)		/* the same way on every call: predicted */
		idx = idx << 8 | addr[pos++];
	e = m->nodes[idx];
	e = (((hi ^ m->chi) & m->cmhi) | ((lo ^ m->clo) & m->cmlo)) ? 0 : e;
	while ((e >> 30) == CLS6_KIND_NODE)
		e = m->nodes[(size_t)(e & CLS6_VAL_MASK) * 256 + addr[pos++]];
	if ((e >> 30) == CLS6_KIND_CLASS)
		return e;
	t = &m->tails[e & CLS6_VAL_MASK];
	while (cls6_tail_miss(t, hi, lo))
		t++;		/* the list ends with a plen-0 entry */
	return t->cls;
}

#endif /* DPF_DP_RULES_CLS6_H */
