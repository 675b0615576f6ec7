/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: IPv6 address classes (rules_cls6.h has the idea and the contract).
 *
 * Lookup layout: nodes is an array of 256-entry tables; node 0 reads
 * address byte 0 and a node reached from level k reads byte k + 1.  An
 * entry is a class (the answer), a node, or a list leaf: tails[i..],
 * prefixes longest first, ended by a plen-0 entry holding the class of
 * the subtree's nearest enclosing prefix.  A prefix that ends inside a
 * node's byte is pushed into the entries it covers (a longer one wins).
 * Everything is exact: a list leaf compares whole masked addresses.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rules_cls6.h"

typedef cls6_u128 u128;

void
cls6_init(struct cls6 *m)
{
	memset(m, 0, sizeof(*m));
}

void
cls6_free(struct cls6 *m)
{
	free(m->pfx);
	free(m->nodes);
	free(m->tails);
	cls6_init(m);
}

static u128
pfx_mask(unsigned int plen)	/* plen leading ones, 0 <= plen <= 128 */
{
	return plen == 0 ? 0 : ~(u128)0 << (128 - plen);
}

static u128
addr_u128(const uint8_t a[16])
{
	return (u128)cls6_be64(a) << 64 | cls6_be64(a + 8);
}

int
cls6_add(struct cls6 *m, const uint8_t addr[16], uint8_t plen)
{
	if (plen == 0)
		return 0;
	if (plen > 128)
		plen = 128;
	if (m->n == m->cap) {
		unsigned int cap = m->cap ? m->cap * 2 : 64;
		void *p = realloc(m->pfx, cap * sizeof(*m->pfx));

		if (p == NULL)
			return -1;
		m->pfx = p;
		m->cap = cap;
	}
	m->pfx[m->n++] = (struct cls6_pfx){ addr_u128(addr) & pfx_mask(plen), plen, 0 };
	return 0;
}

static int
pfx_cmp(const void *a, const void *b)
{
	const struct cls6_pfx *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

static int
contains(const struct cls6_pfx *p, const struct cls6_pfx *q)
{
	return q->plen >= p->plen && (q->net & pfx_mask(p->plen)) == p->net;
}

void
cls6_seal(struct cls6 *m)
{
	unsigned int n = 0, *stack, top = 0;

	if (m->n == 0)
		return;
	qsort(m->pfx, m->n, sizeof(*m->pfx), pfx_cmp);
	for (unsigned int i = 0; i < m->n; i++)
		if (n == 0 || pfx_cmp(&m->pfx[n - 1], &m->pfx[i]) != 0)
			m->pfx[n++] = m->pfx[i];
	m->n = n;
	/*
	 * Sorted by (network, length), a prefix's descendants follow it
	 * directly: its subtree ends before the first prefix it does not
	 * contain.  Nesting is at most 128 deep.
	 */
	stack = malloc(129 * sizeof(*stack));
	if (stack == NULL) {	/* fall back to the quadratic scan */
		for (unsigned int i = 0; i < n; i++) {
			unsigned int j = i + 1;

			while (j < n && contains(&m->pfx[i], &m->pfx[j]))
				j++;
			m->pfx[i].last = j;	/* class of j - 1 */
		}
		return;
	}
	for (unsigned int j = 0; j < n; j++) {
		while (top > 0 && !contains(&m->pfx[stack[top - 1]], &m->pfx[j]))
			m->pfx[stack[--top]].last = j;
		stack[top++] = j;
	}
	while (top > 0)
		m->pfx[stack[--top]].last = n;
	free(stack);
}

void
cls6_range(const struct cls6 *m, const uint8_t addr[16], uint8_t plen, uint32_t *lo,
	   uint32_t *hi)
{
	struct cls6_pfx key;
	const struct cls6_pfx *p;

	if (plen == 0) {
		*lo = 0;
		*hi = m->n;
		return;
	}
	if (plen > 128)
		plen = 128;
	key.net = addr_u128(addr) & pfx_mask(plen);
	key.plen = plen;
	p = m->n ? bsearch(&key, m->pfx, m->n, sizeof(*m->pfx), pfx_cmp) : NULL;
	if (p == NULL) {	/* not added: a caller bug; match nothing rather than all */
		*lo = 1;
		*hi = 0;
		return;
	}
	*lo = (uint32_t)(p - m->pfx) + 1;
	*hi = p->last;
}

size_t
cls6_memory(const struct cls6 *m)
{
	return (size_t)m->n_nodes * 256 * sizeof(*m->nodes) +
	       (size_t)m->n_tails * sizeof(*m->tails);
}

static int
mem_ok(const struct cls6 *m, unsigned int more_nodes, unsigned int more_tails)
{
	return (size_t)(m->n_nodes + more_nodes) * 256 * sizeof(*m->nodes) +
	       (size_t)(m->n_tails + more_tails) * sizeof(*m->tails) <= CLS6_MAX_MEMORY;
}

static uint8_t
byte_at(u128 net, unsigned int pos)
{
	return (uint8_t)(net >> (120 - 8 * pos));
}

/* A list leaf for the prefixes of pfx[a, b) longer than 8 * pos bits; -1 on failure. */
static int64_t
make_tail(struct cls6 *m, unsigned int pos, unsigned int a, unsigned int b, uint32_t dflt)
{
	unsigned int k = 0, start = m->n_tails;
	struct cls6_tail *t;

	for (unsigned int i = a; i < b; i++)
		k += m->pfx[i].plen > 8 * pos;
	if (!mem_ok(m, 0, k + 1))
		return -1;
	if (m->n_tails + k + 1 > m->cap_tails) {
		unsigned int cap = m->cap_tails ? m->cap_tails : 256;
		void *p;

		while (cap < m->n_tails + k + 1)
			cap *= 2;
		p = realloc(m->tails, cap * sizeof(*m->tails));
		if (p == NULL)
			return -1;
		m->tails = p;
		m->cap_tails = cap;
	}
	t = &m->tails[start];
	for (unsigned int i = a; i < b; i++) {
		const struct cls6_pfx *p = &m->pfx[i];
		unsigned int j = m->n_tails - start;

		if (p->plen <= 8 * pos)
			continue;
		/* Insertion by length, longest first: a nested prefix before its parent. */
		while (j > 0 && t[j - 1].plen < p->plen) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = (struct cls6_tail){ (uint64_t)(p->net >> 64), (uint64_t)p->net, i + 1,
					   p->plen };
		m->n_tails++;
	}
	m->tails[m->n_tails++] = (struct cls6_tail){ 0, 0, dflt, 0 };
	return (int64_t)start;
}

/* The `bits` (8 or 16) bits of net from byte pos on. */
static unsigned int
bits_at(u128 net, unsigned int pos, unsigned int bits)
{
	return (unsigned int)(net >> (128 - 8 * pos - bits)) & ((1u << bits) - 1);
}

/*
 * A node reading `bits` (8, or 16 for a wide root) bits from byte pos for
 * the prefixes of pfx[a, b) (all inside the node's block; those of at
 * most 8 * pos bits belong to the levels above), where dflt is the class
 * of the nearest enclosing prefix.  A 16-bit node takes 256 consecutive
 * node slots.  Its index, or -1 on failure.
 */
static int64_t
make_node(struct cls6 *m, unsigned int pos, unsigned int bits, unsigned int a, unsigned int b,
	  uint32_t dflt)
{
	unsigned int idx = m->n_nodes, end = 8 * pos + bits, slots = 1u << (bits - 8);
	unsigned int width = 1u << bits, i;
	uint8_t *best;
	uint32_t *e;

	if (!mem_ok(m, slots, 0))
		return -1;
	if (m->n_nodes + slots > m->cap_nodes) {
		unsigned int cap = m->cap_nodes ? m->cap_nodes : 16;
		void *p;

		while (cap < m->n_nodes + slots)
			cap *= 2;
		p = realloc(m->nodes, (size_t)cap * 256 * sizeof(*m->nodes));
		if (p == NULL)
			return -1;
		m->nodes = p;
		m->cap_nodes = cap;
	}
	best = calloc(width, 1);
	if (best == NULL)
		return -1;
	m->n_nodes += slots;
	e = &m->nodes[(size_t)idx * 256];
	for (unsigned int j = 0; j < width; j++)
		e[j] = dflt;
	/* Prefixes ending in these bits: their classes, pushed into the entries. */
	for (i = a; i < b; i++) {
		const struct cls6_pfx *p = &m->pfx[i];
		unsigned int first, count;

		if (p->plen <= 8 * pos || p->plen > end)
			continue;
		first = bits_at(p->net, pos, bits);
		count = 1u << (end - p->plen);
		for (unsigned int j = first; j < first + count; j++) {
			if (best[j] < p->plen) {
				best[j] = p->plen;
				e[j] = i + 1;
			}
		}
	}
	free(best);
	/* Longer ones, grouped by these bits (sorted by network, so in runs). */
	for (i = a; i < b;) {
		unsigned int v = bits_at(m->pfx[i].net, pos, bits);
		unsigned int j = i, longer = 0;
		int64_t sub;

		while (j < b && bits_at(m->pfx[j].net, pos, bits) == v)
			longer += m->pfx[j++].plen > end;
		if (longer > 0) {
			/* make_* may move m->nodes: e is taken again after. */
			uint32_t d = m->nodes[(size_t)idx * 256 + v];

			if (longer <= CLS6_TAIL)
				sub = make_tail(m, pos + bits / 8, i, j, d);
			else
				sub = make_node(m, pos + bits / 8, 8, i, j, d);
			if (sub < 0 || sub > CLS6_VAL_MASK)
				return -1;
			m->nodes[(size_t)idx * 256 + v] = (uint32_t)sub |
				(longer <= CLS6_TAIL ? CLS6_KIND_TAIL : CLS6_KIND_NODE) << 30;
		}
		i = j;
	}
	return idx;
}

int
cls6_build_lookup(struct cls6 *m)
{
	if (m->n >= CLS6_VAL_MASK)
		return -1;
	free(m->nodes);
	free(m->tails);
	m->nodes = NULL;
	m->tails = NULL;
	m->n_nodes = m->cap_nodes = m->n_tails = m->cap_tails = 0;
	/*
	 * skip: the leading bytes that all prefixes share and cover (every
	 * plen above 8 * skip), so that no prefix ends before the root.
	 */
	m->skip = 0;
	m->root16 = false;
	while (m->skip < 15 && m->n > 0) {
		unsigned int k = m->skip;
		bool same = true;

		for (unsigned int i = 0; i < m->n && same; i++)
			same = m->pfx[i].plen > 8 * (k + 1) &&
			       byte_at(m->pfx[i].net, k) == byte_at(m->pfx[0].net, k);
		if (!same)
			break;
		m->skip++;
	}
	{
		u128 mask = pfx_mask(8 * m->skip), net = m->n ? m->pfx[0].net & mask : 0;

		m->chi = (uint64_t)(net >> 64);
		m->clo = (uint64_t)net;
		m->cmhi = (uint64_t)(mask >> 64);
		m->cmlo = (uint64_t)mask;
	}
	/*
	 * A 16-bit root (256 KB) for large maps: one level less on every
	 * lookup, where a small map would not fill it.
	 */
	m->root16 = m->n >= CLS6_ROOT16_MIN && m->skip <= 14;
	return make_node(m, m->skip, m->root16 ? 16 : 8, 0, m->n, 0) < 0 ? -1 : 0;
}
