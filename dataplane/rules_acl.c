/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: compiling pf rules into rte_acl.
 *
 * Priorities give pf's order exactly (rules.h): rte_acl returns the matching
 * entry of highest priority, so non-quick rule i gets priority i + 1 (later
 * wins) and quick rule i gets RTE_ACL_MAX_PRIORITY - i (above every
 * non-quick one, earlier wins).  Every entry carries userdata = rule index
 * + 1; 0 means no match.  The entries of one rule share its priority and
 * userdata, so a rule is the union of its entries.
 *
 * Input layout (all multi-byte fields big-endian, as rte_acl reads them;
 * the first field is one byte, the rest come in 4-byte groups as rte_acl
 * requires [DPDK prog_guide packet_classif_access_ctrl.rst]):
 *
 *   IPv4: proto | src(4) | dst(4) | sport(2) dport(2) | flags meta iface(2)
 *   IPv6: proto | src class(2) dst class(2) | sport dport | flags meta iface
 *         (4-byte classes, the IPv4 layout, when a map has over 65536)
 *
 * rte_acl makes one trie transition per input byte, and packets that
 * match a rule walk all of them, so the 41 bytes of an IPv6 input with
 * whole addresses cost about 2.5 times IPv4's 17 (rules_bench at 10k
 * rules: 329 against 130 cycles).  IPv6 addresses are therefore looked up
 * first in class maps (rules_cls6.h: the number of the longest rule
 * prefix containing the address), and rules test class ranges.
 *
 * meta holds the packet's direction as one bit (IN 0x1, OUT 0x2) and
 * META_NOTTCP for every protocol but TCP.  A rule's direction set D is the
 * bitmask test (meta & ~D & 3) == 0 ("per direction" mode, below).
 *
 * Categories.  A forwarded first packet is classified twice, in on its
 * ingress interface and out on its egress one, with the same header
 * fields.  When the rules tell at most 8 classes of interfaces apart
 * (interfaces that every rule's set holds alike share a slot; those no
 * rule names are one class), direction and interface leave the input and
 * become rte_acl categories instead: a slot per class, times in/out (at
 * most 16, RTE_ACL_MAX_CATEGORIES), and an entry's category_mask is the
 * (slot, direction) pairs its rule applies to.  rte_acl returns the best
 * entry of every category from one walk, so one classification answers
 * both directions (rules_acl_eval_bulk_io()), and a rule on a set of
 * interfaces is one entry, not one per run of interfaces.
 *
 * Two interfaces.  With more classes, the input holds both the ingress
 * (iface) and the egress interface (oface, a 4-byte group of its own:
 * rte_acl walks whole groups), and the categories are the two directions:
 * a rule's `in` entries test iface and have category 0, its `out` entries
 * test oface and have category 1 (a rule on interfaces for both
 * directions is both sets; a rule on any interface is one entry of both
 * categories).  One walk, four bytes longer, answers both directions for
 * any number of interfaces.  A single direction is classified with both
 * fields its interface and read from its category.  The per-direction
 * layout (direction in meta, the interface in iface, one category, a walk
 * per direction) is what the first dpf compiled; the tests force it and
 * the two-interface layout on every ruleset (rules_acl_build_opt()).
 *
 * `flags F/M` becomes the bitmask
 * test (flags & M) == F on entries for proto 6; for a rule on any protocol
 * a second entry matches every non-TCP packet through META_NOTTCP, which is
 * how pf's "flags only constrain TCP" is kept.  An address set (negated:
 * its complement) becomes one range per merged interval of addresses
 * (IPv4) or classes (IPv6) (set_ranges); port operators become at most
 * two ranges each; interface sets become runs of consecutive indices.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>

#include "dataplane/rules_acl.h"
#include "dataplane/rules_cls6.h"

#define META_IN 0x01
#define META_OUT 0x02
#define META_NOTTCP 0x04

struct acl_in4 {
	uint8_t proto;
	uint8_t src[4];
	uint8_t dst[4];
	rte_be16_t sport, dport;
	uint8_t flags, meta;
	rte_be16_t iface;
	rte_be32_t oface;	/* two-interface layout: the egress interface */
	uint8_t pad[3];		/* rte_acl may load whole words */
} __rte_packed;

/* IPv6 with 2-byte address classes; with 4-byte ones it is struct acl_in4. */
struct acl_in6n {
	uint8_t proto;
	rte_be16_t src, dst;
	rte_be16_t sport, dport;
	uint8_t flags, meta;
	rte_be16_t iface;
	rte_be32_t oface;
	uint8_t pad[3];
} __rte_packed;

/* F_OFACE: only in the two-interface layout (the DOC above). */
enum { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, F_FLAGS, F_META, F_IFACE, F_OFACE, F_MAX };

RTE_ACL_RULE_DEF(acl_rule, F_MAX);

/* IPv6 classes fit in 2 bytes up to this many per map. */
#define CLS_NARROW_MAX 65536u

/*
 * Interface slots: classes of interfaces that every rule names alike (each
 * rule's interface set holds all of a class or none of it).
 */
struct acl_slots {
	unsigned int ncat;		/* categories: 1 (per direction) or 4..16 */
	bool dual;			/* the two-interface layout: categories in, out */
	unsigned int n;			/* slots */
	uint8_t other;			/* the slot of indexes >= RULES_MAX_IFACES */
	uint8_t slot[RULES_MAX_IFACES];	/* an interface index's slot */
	uint8_t rep[RTE_ACL_MAX_CATEGORIES / 2];	/* a member of each slot;
							 * RULES_MAX_IFACES: none named */
};

struct rules_acl {
	struct rte_acl_ctx *ctx[2];	/* [0] IPv4, [1] IPv6; NULL: no entries */
	unsigned int entries[2];
	struct acl_slots sl;
	enum rte_acl_classify_alg alg;	/* of both contexts; DEFAULT: none built */
	struct cls6 cls[2];		/* IPv6 source and destination classes */
	bool narrow;			/* IPv6 classes are 2 bytes (struct acl_in6n) */
};

/*
 * rte_acl's classify methods, widest first: the first one the CPU, the
 * DPDK build and the EAL's max SIMD bitwidth allow (rte_acl_set_ctx_classify
 * checks all three) is rte_acl's own default choice too; picking it here
 * records it for rules_acl_alg().  AVX512X32 walks 32 flows at once and
 * needs the bitwidth at 512, which EAL keeps at 256 unless told
 * (--force-max-simd-bitwidth, or rte_vect_set_max_simd_bitwidth(): dpf
 * raises it at start, control/app/eal_start.c).
 */
static const struct {
	enum rte_acl_classify_alg alg;
	const char *name;
} acl_algs[] = {
	{ RTE_ACL_CLASSIFY_AVX512X32, "avx512x32" },
	{ RTE_ACL_CLASSIFY_AVX512X16, "avx512x16" },
	{ RTE_ACL_CLASSIFY_AVX2, "avx2" },
	{ RTE_ACL_CLASSIFY_SSE, "sse" },
	{ RTE_ACL_CLASSIFY_NEON, "neon" },
	{ RTE_ACL_CLASSIFY_ALTIVEC, "altivec" },
	{ RTE_ACL_CLASSIFY_SCALAR, "scalar" },
};

static enum rte_acl_classify_alg
acl_pick_alg(struct rte_acl_ctx *ctx)
{
	for (size_t i = 0; i < RTE_DIM(acl_algs); i++)
		if (rte_acl_set_ctx_classify(ctx, acl_algs[i].alg) == 0)
			return acl_algs[i].alg;
	return RTE_ACL_CLASSIFY_DEFAULT;	/* left as rte_acl_create() chose */
}

const char *
rules_acl_alg(const struct rules_acl *acl)
{
	for (size_t i = 0; i < RTE_DIM(acl_algs); i++)
		if (acl_algs[i].alg == acl->alg)
			return acl_algs[i].name;
	return "default";
}

/* --- field layout --- */

/*
 * Both families use the same fields; an address field is 4 bytes (IPv4
 * address, IPv6 class) or, with narrow IPv6 classes, 2 bytes sharing one
 * 4-byte group with the other address.
 */
static void
acl_config(bool narrow, const struct acl_slots *sl, struct rte_acl_config *cfg)
{
	uint8_t asz = narrow ? 2 : 4;
	uint32_t off = 1 + 2u * asz, in = narrow ? 2 : 3;

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = sl->ncat;
	cfg->defs[F_PROTO] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, F_PROTO,
							 0, 0 };
	cfg->defs[F_SRC] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, asz, F_SRC, 1,
						       1 };
	cfg->defs[F_DST] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, asz, F_DST,
						       narrow ? 1 : 2, 1u + asz };
	cfg->defs[F_SPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F_SPORT,
							 in, off };
	cfg->defs[F_DPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F_DPORT,
							 in, off + 2 };
	in++;
	off += 4;
	cfg->defs[F_FLAGS] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, F_FLAGS,
							 in, off };
	cfg->defs[F_META] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, F_META,
							in, off + 1 };
	cfg->defs[F_IFACE] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F_IFACE,
							 in, off + 2 };
	/* The egress interface, a group of its own (4 bytes: rte_acl walks
	 * whole 4-byte groups): four more bytes to walk, only in the layout
	 * that needs it. */
	cfg->defs[F_OFACE] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 4, F_OFACE,
							 in + 1, off + 4 };
	cfg->num_fields = sl->dual ? F_MAX : F_OFACE;
	cfg->max_size = RULES_ACL_MAX_MEMORY;
}

_Static_assert(offsetof(struct acl_in4, sport) == 9, "IPv4 ports follow the addresses");
_Static_assert(offsetof(struct acl_in4, flags) == 13 && offsetof(struct acl_in4, oface) == 17,
	       "IPv4 flags word, then the egress interface's");
_Static_assert(offsetof(struct acl_in6n, sport) == 5, "IPv6 ports follow the classes");
_Static_assert(offsetof(struct acl_in6n, flags) == 9 && offsetof(struct acl_in6n, oface) == 13,
	       "IPv6 flags word, then the egress interface's");

/* --- address sets as ranges --- */

/*
 * An address set becomes a list of ranges of one RANGE field: IPv4
 * addresses, or IPv6 address classes (rules_cls6.h).  Each merged
 * interval is one range, so a negated set is one range per gap.
 */
struct span {
	uint64_t lo, hi;
};

struct box {
	uint32_t lo, hi;
};

struct box_list {
	unsigned int n, cap;
	struct box *b;
};

static int
box_push(struct box_list *l, uint64_t lo, uint64_t hi)
{
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 16;
		void *m = realloc(l->b, cap * sizeof(*l->b));

		if (m == NULL)
			return -1;
		l->b = m;
		l->cap = cap;
	}
	l->b[l->n++] = (struct box){ (uint32_t)lo, (uint32_t)hi };
	return 0;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Appends to out the ranges of sp[0, n) within [0, top] (top < 2^32),
 * overlapping and adjacent ones merged, or with neg the gaps between
 * them.  Sorts sp.
 */
static int
spans_emit(struct span *sp, unsigned int n, bool neg, uint64_t top, struct box_list *out)
{
	uint64_t next = 0;
	unsigned int m = 0;
	int rc = 0;

	if (n > 0)
		qsort(sp, n, sizeof(*sp), span_cmp);
	for (unsigned int i = 0; i < n; i++) {
		if (m > 0 && sp[i].lo <= sp[m - 1].hi + 1) {
			if (sp[i].hi > sp[m - 1].hi)
				sp[m - 1].hi = sp[i].hi;
		} else {
			sp[m++] = sp[i];
		}
	}
	if (!neg) {
		for (unsigned int i = 0; i < m && rc == 0; i++)
			rc = box_push(out, sp[i].lo, sp[i].hi);
		return rc;
	}
	for (unsigned int i = 0; i < m && rc == 0; i++) {
		if (sp[i].lo > next)
			rc = box_push(out, next, sp[i].lo - 1);
		next = sp[i].hi + 1;
	}
	if (next <= top && rc == 0)
		rc = box_push(out, next, top);
	return rc;
}

/*
 * The ranges an address set matches for family af: its own addresses, or
 * for a negated set the complement of their union.  IPv4 ranges are of
 * addresses; IPv6 ones of classes of map (one per prefix, exact because
 * an address's class decides its membership in every prefix of the map).
 * "any" (no items) is the whole space; a set with no prefix of af is
 * empty (the rule does not apply to af) unless negated.
 */
static int
set_ranges(const struct rule_addr *s, uint8_t af, const struct cls6 *map, struct box_list *out)
{
	uint64_t top = af == 4 ? UINT32_MAX : cls6_n(map) - 1;
	struct span *sp;
	unsigned int n = 0;
	int rc;

	out->n = 0;
	if (s->n_items == 0)
		return box_push(out, 0, top);
	sp = malloc((s->n_pfx + 1) * sizeof(*sp));
	if (sp == NULL)
		return -1;
	for (unsigned int i = 0; i < s->n_pfx; i++) {
		const struct rule_prefix *p = &s->pfx[i];

		if (p->af != af)
			continue;
		if (af == 4) {
			uint32_t a = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
				     (uint32_t)p->addr[2] << 8 | p->addr[3];
			uint32_t host = p->plen >= 32 ? 0 : UINT32_MAX >> p->plen;

			sp[n].lo = a & ~host;
			sp[n].hi = a | host;
		} else {
			uint32_t lo, hi;

			cls6_range(map, p->addr, p->plen, &lo, &hi);
			if (lo > hi)
				continue;
			sp[n].lo = lo;
			sp[n].hi = hi;
		}
		n++;
	}
	rc = spans_emit(sp, n, s->neg, top, out);
	free(sp);
	return rc;
}

/*
 * The IPv6 class maps of rs: every IPv6 prefix in a source set (map[0])
 * or a destination set (map[1]) of an IPv6 rule; sealed, without lookup
 * tables.  0, or -1 when out of memory.
 */
static int
cls_maps_make(const struct dpf_ruleset *rs, struct cls6 map[2])
{
	cls6_init(&map[0]);
	cls6_init(&map[1]);
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct dpf_rule *r = &rs->rules[i];

		if (!(r->af_mask & RULE_AF_INET6))
			continue;
		for (int d = 0; d < 2; d++) {
			const struct rule_addr *a = d ? &r->dst : &r->src;

			for (unsigned int k = 0; k < a->n_pfx; k++)
				if (a->pfx[k].af == 6 &&
				    cls6_add(&map[d], a->pfx[k].addr, a->pfx[k].plen) < 0)
					return -1;
		}
	}
	cls6_seal(&map[0]);
	cls6_seal(&map[1]);
	return 0;
}

/* --- port ranges --- */

struct range {
	uint16_t lo, hi;
};

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (int)x->lo - (int)y->lo;
}

/*
 * Appends to r[n..] the ports below a and those above b, each range only if
 * it is not empty; returns the new count.  The ports outside [a, b]: `!= a`
 * is (a, a), `< a` is (a, 65535), `> b` is (0, b), `a <> b` is (a, b).
 */
static unsigned int
range_outside(struct range *r, unsigned int n, uint16_t a, uint16_t b)
{
	if (a > 0)
		r[n++] = (struct range){ 0, (uint16_t)(a - 1) };
	if (b < 65535)
		r[n++] = (struct range){ (uint16_t)(b + 1), 65535 };
	return n;
}

/* The port list as sorted, merged ranges; returns the count (0: matches nothing). */
static unsigned int
port_ranges(const struct rule_addr *s, struct range *r, unsigned int cap)
{
	unsigned int n = 0, m = 0;

	if (s->n_ports == 0) {
		r[0] = (struct range){ 0, 65535 };
		return 1;
	}
	for (unsigned int i = 0; i < s->n_ports && n + 2 <= cap; i++) {
		const struct rule_port *p = &s->ports[i];
		uint16_t a = p->a, b = p->b;

		switch (p->op) {
		case RULE_PORT_EQ:
			r[n++] = (struct range){ a, a };
			break;
		case RULE_PORT_NE:
			n = range_outside(r, n, a, a);
			break;
		case RULE_PORT_LT:
			n = range_outside(r, n, a, 65535);
			break;
		case RULE_PORT_LE:
			r[n++] = (struct range){ 0, a };
			break;
		case RULE_PORT_GT:
			n = range_outside(r, n, 0, a);
			break;
		case RULE_PORT_GE:
			r[n++] = (struct range){ a, 65535 };
			break;
		case RULE_PORT_RANGE:
			if (a <= b)
				r[n++] = (struct range){ a, b };
			break;
		case RULE_PORT_IN:
			if ((unsigned int)a + 1 < b)
				r[n++] = (struct range){ (uint16_t)(a + 1), (uint16_t)(b - 1) };
			break;
		case RULE_PORT_OUT:
			n = range_outside(r, n, a, b);
			break;
		}
	}
	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (unsigned int i = 1; i < n; i++) {
		if ((unsigned int)r[i].lo <= (unsigned int)r[m].hi + 1) {
			if (r[i].hi > r[m].hi)
				r[m].hi = r[i].hi;
		} else {
			r[++m] = r[i];
		}
	}
	return m + 1;
}

/* --- building --- */

struct pair {
	struct range s, d;
};

/*
 * The interface slots of rs: the interfaces split into classes that no
 * rule tells apart (partition refinement by each rule's interface set),
 * plus indexes past the bitmap, which no rule names; categories when at
 * most 8 classes (the DOC above), else one category.  So a ruleset that
 * names many interfaces only through the same sets (groups, VLANs of one
 * zone) still compiles to categories.  rules_acl_check() and
 * rules_acl_build() decide alike, so that they count the same entries.
 */
static void
acl_slots_make(const struct dpf_ruleset *rs, unsigned int flags, struct acl_slots *sl)
{
	/* Element RULES_MAX_IFACES stands for every index past the bitmap. */
	uint8_t cls[RULES_MAX_IFACES + 1] = { 0 };
	unsigned int n = 1, max = RTE_ACL_MAX_CATEGORIES / 2;

	sl->ncat = 1;
	sl->n = 1;
	sl->other = 0;
	sl->dual = false;
	memset(sl->slot, 0, sizeof(sl->slot));
	if (flags & RULES_ACL_PER_DIR)
		return;
	if (flags & RULES_ACL_TWO_IFACES)
		n = max + 1;	/* as if the classes were too many */
	for (unsigned int i = 0; i < rs->n && n <= max; i++) {
		uint64_t m = rs->rules[i].ifaces;
		int16_t split[RTE_ACL_MAX_CATEGORIES / 2 + 1];

		if (m == 0)
			continue;
		/* A class with members both in and out of m: its members in m
		 * move to a new class. */
		for (unsigned int c = 0; c < n; c++)
			split[c] = -1;
		for (unsigned int k = 0; k < RULES_MAX_IFACES && n <= max; k++) {
			uint8_t c = cls[k];

			if (!(m >> k & 1))
				continue;
			if (split[c] < 0) {
				bool mixed = false;

				for (unsigned int j = 0; j <= RULES_MAX_IFACES && !mixed; j++)
					mixed = cls[j] == c &&
						(j == RULES_MAX_IFACES || !(m >> j & 1));
				split[c] = mixed ? (int16_t)n++ : (int16_t)c;
			}
			if (n <= max)
				cls[k] = (uint8_t)split[c];
		}
	}
	if (n > max) {
		/* Too many classes: the two-interface layout, whose
		 * categories are the two directions. */
		sl->dual = true;
		sl->ncat = RTE_ACL_RESULTS_MULTIPLIER;
		return;
	}
	for (unsigned int c = 0; c < n; c++)
		sl->rep[c] = RULES_MAX_IFACES;
	for (unsigned int k = RULES_MAX_IFACES + 1; k-- > 0;)
		sl->rep[cls[k]] = (uint8_t)k;	/* the lowest member */
	memcpy(sl->slot, cls, RULES_MAX_IFACES);
	sl->other = cls[RULES_MAX_IFACES];
	sl->n = n;
	/* rte_acl takes 1 or a multiple of RTE_ACL_RESULTS_MULTIPLIER. */
	sl->ncat = RTE_ALIGN_CEIL(2 * n, RTE_ACL_RESULTS_MULTIPLIER);
}

/*
 * Entries are collected first and the context created for exactly their
 * number: rte_acl_create() allocates max_rule_num * rule_size up front.
 * Without fill only the entries are counted (rules_acl_check()): the same
 * expansion and the same limits, no buffer and no rte_acl.
 */
struct builder {
	int six;
	bool fill;
	bool narrow;			/* 2-byte IPv6 classes */
	const struct acl_slots *sl;
	const struct cls6 *cls;		/* IPv6: the source and destination maps */
	unsigned int entries, cap;
	struct acl_rule *buf;
};

static void
set_addr(const struct builder *b, struct acl_rule *e, unsigned int f, const struct box *bx)
{
	if (b->narrow) {
		e->field[f].value.u16 = (uint16_t)bx->lo;
		e->field[f].mask_range.u16 = (uint16_t)bx->hi;
	} else {
		e->field[f].value.u32 = bx->lo;
		e->field[f].mask_range.u32 = bx->hi;
	}
}

/* One proto item: proto value/mask, whether flags apply, meta value/mask bits. */
struct proto_item {
	uint8_t proto, proto_mask;
	bool flags;
	uint8_t meta_val, meta_mask;
};

/* A set of a rule's entries: their categories and interface field. */
struct acl_side {
	uint32_t cats;
	unsigned int field;
};

static int
emit_rule(struct builder *b, const struct dpf_rule *r, unsigned int idx,
	  const struct box_list *src, const struct box_list *dst, const struct pair *pairs,
	  unsigned int n_pairs, char *err, size_t len)
{
	struct proto_item pi[RULE_MAX_PROTO + 1];
	struct range ifr[RULES_MAX_IFACES];
	/* Sides: the category and interface field of each set of entries
	 * (two in the two-interface layout for a rule on interfaces). */
	struct acl_side side[2] = { { 1, F_IFACE } };
	unsigned int n_pi = 0, n_if = 0, n_side = 1, six = (unsigned int)b->six;
	uint8_t dirmask = (uint8_t)(~r->dir & (META_IN | META_OUT));
	uint32_t cats = 1;
	uint64_t total;

	if (r->n_proto == 0) {
		if (r->flagset != 0) {
			pi[n_pi++] = (struct proto_item){ 6, 0xff, true, 0, META_NOTTCP };
			pi[n_pi++] = (struct proto_item){ 0, 0, false, META_NOTTCP, META_NOTTCP };
		} else {
			pi[n_pi++] = (struct proto_item){ 0, 0, false, 0, 0 };
		}
	}
	for (unsigned int i = 0; i < r->n_proto; i++)
		pi[n_pi++] = (struct proto_item){ r->proto[i], 0xff,
						  r->proto[i] == 6 && r->flagset != 0, 0, 0 };
	if (b->sl->dual) {
		/* Category 0 in, 1 out (META_IN, META_OUT are those bits); the
		 * interface set on the ingress field for in, the egress for out. */
		dirmask = 0;
		n_side = 0;
		if (r->ifaces == 0) {
			side[n_side++] = (struct acl_side){ r->dir & (META_IN | META_OUT), F_IFACE };
		} else {
			if (r->dir & META_IN)
				side[n_side++] = (struct acl_side){ META_IN, F_IFACE };
			if (r->dir & META_OUT)
				side[n_side++] = (struct acl_side){ META_OUT, F_OFACE };
		}
		if (n_side == 0 || side[0].cats == 0)
			return 0;	/* no direction: matches nothing */
	}
	if (b->sl->ncat > 1 && !b->sl->dual) {
		/* Direction and interfaces as categories (the DOC above). */
		cats = 0;
		for (unsigned int sl = 0; sl < b->sl->n; sl++) {
			/* A class is wholly in or out of every rule's set. */
			unsigned int k = b->sl->rep[sl];
			bool on = r->ifaces == 0 || (k < RULES_MAX_IFACES && (r->ifaces >> k & 1));

			if (on)
				cats |= (uint32_t)(r->dir & (META_IN | META_OUT)) << (2 * sl);
		}
		if (cats == 0)
			return 0;	/* no direction: matches nothing */
		dirmask = 0;
		ifr[n_if++] = (struct range){ 0, 65535 };
	} else if (r->ifaces == 0) {
		ifr[n_if++] = (struct range){ 0, 65535 };
	} else {
		for (unsigned int i = 0; i < RULES_MAX_IFACES; i++) {
			if (!(r->ifaces & (UINT64_C(1) << i)))
				continue;
			if (n_if > 0 && ifr[n_if - 1].hi + 1u == i)
				ifr[n_if - 1].hi = (uint16_t)i;
			else
				ifr[n_if++] = (struct range){ (uint16_t)i, (uint16_t)i };
		}
	}
	total = (uint64_t)n_pi * src->n * dst->n * n_pairs * n_if * n_side;
	if (total > RULES_ACL_MAX_PER_RULE) {
		snprintf(err, len, "expands to %" PRIu64 " classifier entries for IPv%c (at "
			 "most %u): %u protocols x %u source and %u destination address ranges x "
			 "%u port pairs x %u interface runs%s; use a table or fewer list elements",
			 total, six ? '6' : '4', RULES_ACL_MAX_PER_RULE, n_pi, src->n, dst->n,
			 n_pairs, n_if, n_side > 1 ? " x 2 directions" : "");
		return -E2BIG;
	}
	if (b->entries + total > RULES_ACL_MAX_TOTAL) {
		snprintf(err, len, "takes the ruleset past %u classifier entries for IPv%c "
			 "(%u before this rule, %" PRIu64 " for it)", RULES_ACL_MAX_TOTAL,
			 six ? '6' : '4', b->entries, total);
		return -E2BIG;
	}
	if (!b->fill) {
		b->entries += (unsigned int)total;
		return 0;
	}
	if (b->entries + total > b->cap) {
		unsigned int cap = b->cap ? b->cap : 256;
		void *m;

		while (cap < b->entries + total)
			cap *= 2;
		m = realloc(b->buf, cap * sizeof(*b->buf));
		if (m == NULL) {
			snprintf(err, len, "out of memory for %u classifier entries", cap);
			return -ENOMEM;
		}
		b->buf = m;
		b->cap = cap;
	}
	for (unsigned int a = 0; a < n_pi; a++)
	for (unsigned int s = 0; s < src->n; s++)
	for (unsigned int d = 0; d < dst->n; d++)
	for (unsigned int p = 0; p < n_pairs; p++)
	for (unsigned int f = 0; f < n_if; f++)
	for (unsigned int w = 0; w < n_side; w++) {
		struct acl_rule *e = &b->buf[b->entries++];

		memset(e, 0, sizeof(*e));
		e->data.category_mask = b->sl->dual ? side[w].cats : cats;
		e->data.priority = r->quick ? (int32_t)(RTE_ACL_MAX_PRIORITY - idx) :
				   (int32_t)(idx + 1);
		e->data.userdata = idx + 1;
		e->field[F_PROTO].value.u8 = pi[a].proto;
		e->field[F_PROTO].mask_range.u8 = pi[a].proto_mask;
		set_addr(b, e, F_SRC, &src->b[s]);
		set_addr(b, e, F_DST, &dst->b[d]);
		e->field[F_SPORT].value.u16 = pairs[p].s.lo;
		e->field[F_SPORT].mask_range.u16 = pairs[p].s.hi;
		e->field[F_DPORT].value.u16 = pairs[p].d.lo;
		e->field[F_DPORT].mask_range.u16 = pairs[p].d.hi;
		if (pi[a].flags) {
			e->field[F_FLAGS].value.u8 = r->flags;
			e->field[F_FLAGS].mask_range.u8 = r->flagset;
		}
		e->field[F_META].value.u8 = pi[a].meta_val;
		e->field[F_META].mask_range.u8 = (uint8_t)(pi[a].meta_mask |
									   dirmask);
		/* Both interface fields match any interface, but the side's
		 * field, which takes the run. */
		e->field[F_IFACE].mask_range.u16 = 65535;
		e->field[F_OFACE].mask_range.u32 = UINT32_MAX;
		if (side[w].field == F_OFACE) {
			e->field[F_OFACE].value.u32 = ifr[f].lo;
			e->field[F_OFACE].mask_range.u32 = ifr[f].hi == 65535 ? UINT32_MAX :
							   ifr[f].hi;
		} else {
			e->field[F_IFACE].value.u16 = ifr[f].lo;
			e->field[F_IFACE].mask_range.u16 = ifr[f].hi;
		}
	}
	return 0;
}

/*
 * Expands the rules of one family into b (counting only, without b->fill).
 * On failure *bad is the index of the rule at fault (-1: out of memory)
 * and err says why without naming the rule.
 */
static int
expand_af(const struct dpf_ruleset *rs, struct builder *b, int *bad, char *err, size_t len)
{
	int six = b->six;
	uint8_t af = six ? 6 : 4, afbit = six ? RULE_AF_INET6 : RULE_AF_INET;
	struct box_list src = { 0 }, dst = { 0 };
	struct range sr[2 * RULE_MAX_LIST + 2], dr[2 * RULE_MAX_LIST + 2];
	struct pair *pairs = NULL;
	unsigned int cap_pairs = 0;
	int rc = -1, erc;

	*bad = -1;
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct dpf_rule *r = &rs->rules[i];
		unsigned int ns, nd, np = 0;

		if (!(r->af_mask & afbit))
			continue;
		if (set_ranges(&r->src, af, six ? &b->cls[0] : NULL, &src) < 0 ||
		    set_ranges(&r->dst, af, six ? &b->cls[1] : NULL, &dst) < 0) {
			snprintf(err, len, "out of memory");
			goto out;
		}
		if (src.n == 0 || dst.n == 0)
			continue;	/* e.g. a table with no entry of this family */
		if (r->n_icmp > 0) {
			ns = r->n_icmp;
			nd = 1;
		} else {
			ns = port_ranges(&r->src, sr, RTE_DIM(sr));
			nd = port_ranges(&r->dst, dr, RTE_DIM(dr));
		}
		if ((uint64_t)ns * nd > RULES_ACL_MAX_PER_RULE) {
			*bad = (int)i;
			snprintf(err, len, "has %u x %u port ranges, more than %u classifier "
				 "entries", ns, nd, RULES_ACL_MAX_PER_RULE);
			goto out;
		}
		if (ns * nd > cap_pairs) {
			void *m = realloc(pairs, ns * nd * sizeof(*pairs));

			if (m == NULL) {
				snprintf(err, len, "out of memory");
				goto out;
			}
			pairs = m;
			cap_pairs = ns * nd;
		}
		if (r->n_icmp > 0) {
			for (unsigned int k = 0; k < r->n_icmp; k++) {
				const struct rule_icmp *ic = &r->icmp[k];

				pairs[np++] = (struct pair){
					{ ic->type, ic->type },
					ic->code < 0 ? (struct range){ 0, 65535 } :
					(struct range){ (uint16_t)ic->code, (uint16_t)ic->code } };
			}
		} else {
			for (unsigned int s = 0; s < ns; s++)
				for (unsigned int d = 0; d < nd; d++)
					pairs[np++] = (struct pair){ sr[s], dr[d] };
		}
		if (np == 0)
			continue;	/* a port list that matches nothing */
		erc = emit_rule(b, r, i, &src, &dst, pairs, np, err, len);
		if (erc < 0) {
			if (erc != -ENOMEM)
				*bad = (int)i;
			goto out;
		}
	}
	rc = 0;
out:
	free(src.b);
	free(dst.b);
	free(pairs);
	return rc;
}

static int
build_af(struct rules_acl *acl, const struct dpf_ruleset *rs, int six, int *bad, char *err,
	 size_t len)
{
	static atomic_uint seq;
	struct builder b = { .six = six, .fill = true, .sl = &acl->sl };
	struct rte_acl_ctx *ctx = NULL;
	struct rte_acl_config cfg;
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_param prm;
	int rc = -1, brc;

	if (six) {
		if (cls_maps_make(rs, acl->cls) < 0) {
			snprintf(err, len, "out of memory");
			goto out;
		}
		acl->narrow = cls6_n(&acl->cls[0]) <= CLS_NARROW_MAX &&
			      cls6_n(&acl->cls[1]) <= CLS_NARROW_MAX;
		b.narrow = acl->narrow;
		b.cls = acl->cls;
	}
	if (expand_af(rs, &b, bad, err, len) < 0)
		goto out;
	if (b.entries == 0) {
		rc = 0;		/* nothing to classify: every lookup misses */
		goto out;
	}
	if (six && (cls6_build_lookup(&acl->cls[0]) < 0 ||
		    cls6_build_lookup(&acl->cls[1]) < 0)) {
		snprintf(err, len, "the IPv6 address class tables (%u source and %u destination "
			 "prefixes) do not fit in %u MB each", acl->cls[0].n, acl->cls[1].n,
			 CLS6_MAX_MEMORY >> 20);
		goto out;
	}
	snprintf(name, sizeof(name), "dpf_rules%d_%u", six ? 6 : 4, atomic_fetch_add(&seq, 1));
	prm = (struct rte_acl_param){ .name = name, .socket_id = SOCKET_ID_ANY,
				      .rule_size = sizeof(struct acl_rule),
				      .max_rule_num = b.entries };
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		snprintf(err, len, "rte_acl_create (%u entries): %s", b.entries,
			 rte_strerror(rte_errno));
		goto out;
	}
	brc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)b.buf, b.entries);
	if (brc != 0) {
		snprintf(err, len, "rte_acl_add_rules (%u entries): %s", b.entries,
			 rte_strerror(-brc));
		goto out;
	}
	acl_config(six && b.narrow, &acl->sl, &cfg);
	brc = rte_acl_build(ctx, &cfg);
	if (brc == -ERANGE || brc == -ENOMEM) {
		snprintf(err, len, "the IPv%c rules expand to %u classifier entries, too large to "
			 "compile within %u MB (negated address sets expand to many ranges: use "
			 "tables or fewer negations)", six ? '6' : '4',
			 b.entries, RULES_ACL_MAX_MEMORY >> 20);
		goto out;
	} else if (brc != 0) {
		snprintf(err, len, "rte_acl_build (IPv%c, %u entries): %s", six ? '6' : '4',
			 b.entries, rte_strerror(-brc));
		goto out;
	}
	acl->alg = acl_pick_alg(ctx);
	acl->ctx[six] = ctx;
	acl->entries[six] = b.entries;
	ctx = NULL;
	rc = 0;
out:
	rte_acl_free(ctx);
	free(b.buf);
	return rc;
}

int
rules_acl_check(const struct dpf_ruleset *rs, unsigned int entries[2], int *bad, char *err,
		size_t len)
{
	struct cls6 maps[2];
	struct acl_slots sl;
	int rc = 0;

	acl_slots_make(rs, 0, &sl);
	cls6_init(&maps[0]);	/* freed below even if IPv4 fails first */
	cls6_init(&maps[1]);
	for (int six = 0; six < 2 && rc == 0; six++) {
		struct builder b = { .six = six, .fill = false, .cls = maps, .sl = &sl };

		if (six && cls_maps_make(rs, maps) < 0) {
			*bad = -1;
			snprintf(err, len, "out of memory");
			rc = -1;
			break;
		}
		rc = expand_af(rs, &b, bad, err, len);
		entries[six] = b.entries;
	}
	cls6_free(&maps[0]);
	cls6_free(&maps[1]);
	return rc;
}

struct rules_acl *
rules_acl_build_opt(const struct dpf_ruleset *rs, unsigned int flags, char *err, size_t len)
{
	struct rules_acl *acl = calloc(1, sizeof(*acl));
	char msg[512];
	int bad = -1;

	if (acl == NULL) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	acl_slots_make(rs, flags, &acl->sl);
	if (build_af(acl, rs, 0, &bad, msg, sizeof(msg)) < 0 ||
	    build_af(acl, rs, 1, &bad, msg, sizeof(msg)) < 0) {
		if (bad >= 0)
			snprintf(err, len, "rules[%d] (id %u) %s", bad, rs->rules[bad].id, msg);
		else
			snprintf(err, len, "%s", msg);
		rules_acl_free(acl);
		return NULL;
	}
	return acl;
}

struct rules_acl *
rules_acl_build(const struct dpf_ruleset *rs, char *err, size_t len)
{
	return rules_acl_build_opt(rs, 0, err, len);
}

void
rules_acl_free(struct rules_acl *acl)
{
	if (acl == NULL)
		return;
	rte_acl_free(acl->ctx[0]);
	rte_acl_free(acl->ctx[1]);
	cls6_free(&acl->cls[0]);
	cls6_free(&acl->cls[1]);
	free(acl);
}

unsigned int
rules_acl_entries(const struct rules_acl *acl, uint8_t af)
{
	return acl->entries[af == 6];
}

size_t
rules_acl_cls_memory(const struct rules_acl *acl)
{
	return cls6_memory(&acl->cls[0]) + cls6_memory(&acl->cls[1]);
}

/* --- classification --- */

static inline uint8_t
pkt_meta(const struct rule_pkt *p)
{
	return (uint8_t)((p->dir == RULE_DIR_IN ? META_IN : META_OUT) |
			 (p->proto != 6 ? META_NOTTCP : 0));
}

/*
 * The classifier's input for p with the given 4-byte source and
 * destination fields: p's IPv4 addresses, or its IPv6 addresses' classes.
 */
static inline void
fill4_with(struct acl_in4 *in, const struct rule_pkt *p, const void *src, const void *dst)
{
	in->proto = p->proto;
	memcpy(in->src, src, 4);
	memcpy(in->dst, dst, 4);
	in->sport = rte_cpu_to_be_16(p->sport);
	in->dport = rte_cpu_to_be_16(p->dport);
	in->flags = p->tcp_flags;
	in->meta = pkt_meta(p);
	in->iface = rte_cpu_to_be_16(p->iface);
	in->oface = rte_cpu_to_be_32(p->iface);
}

static inline void
fill4(struct acl_in4 *in, const struct rule_pkt *p)
{
	fill4_with(in, p, p->src, p->dst);
}

/* IPv6 with 4-byte classes. */
static inline void
fill6w(const struct rules_acl *acl, struct acl_in4 *in, const struct rule_pkt *p)
{
	rte_be32_t s = rte_cpu_to_be_32(cls6_lookup(&acl->cls[0], p->src));
	rte_be32_t d = rte_cpu_to_be_32(cls6_lookup(&acl->cls[1], p->dst));

	fill4_with(in, p, &s, &d);
}

static inline void
fill6n(const struct rules_acl *acl, struct acl_in6n *in, const struct rule_pkt *p)
{
	in->proto = p->proto;
	in->src = rte_cpu_to_be_16((uint16_t)cls6_lookup(&acl->cls[0], p->src));
	in->dst = rte_cpu_to_be_16((uint16_t)cls6_lookup(&acl->cls[1], p->dst));
	in->sport = rte_cpu_to_be_16(p->sport);
	in->dport = rte_cpu_to_be_16(p->dport);
	in->flags = p->tcp_flags;
	in->meta = pkt_meta(p);
	in->iface = rte_cpu_to_be_16(p->iface);
	in->oface = rte_cpu_to_be_32(p->iface);
}

/* p's category: its interface's slot and its direction (the DOC above). */
static inline unsigned int
pkt_cat(const struct acl_slots *sl, uint16_t iface, uint8_t dir)
{
	if (sl->ncat == 1)
		return 0;
	if (sl->dual)
		return dir == RULE_DIR_OUT;
	return 2u * (iface < RULES_MAX_IFACES ? sl->slot[iface] : sl->other) +
	       (dir == RULE_DIR_OUT);
}

/*
 * The classifier inputs of n packets of family six into in[], their
 * pointers into data[].  The union holds either layout.
 */
union acl_inputs {
	struct acl_in4 w[RULES_ACL_BULK_MAX];
	struct acl_in6n n[RULES_ACL_BULK_MAX];
};

static void
fill_bulk(const struct rules_acl *acl, int six, const struct rule_pkt *const pkts[],
	  unsigned int n, union acl_inputs *in, const uint8_t *data[])
{
	if (!six) {
		for (unsigned int i = 0; i < n; i++) {
			fill4(&in->w[i], pkts[i]);
			data[i] = (const uint8_t *)&in->w[i];
		}
	} else if (acl->narrow) {
		for (unsigned int i = 0; i < n; i++) {
			fill6n(acl, &in->n[i], pkts[i]);
			data[i] = (const uint8_t *)&in->n[i];
		}
	} else {
		for (unsigned int i = 0; i < n; i++) {
			fill6w(acl, &in->w[i], pkts[i]);
			data[i] = (const uint8_t *)&in->w[i];
		}
	}
}

int
rules_acl_eval(const struct rules_acl *acl, const struct rule_pkt *p)
{
	uint32_t res[RTE_ACL_MAX_CATEGORIES] = { 0 };
	const uint8_t *data;
	union {
		struct acl_in4 w;
		struct acl_in6n n;
	} in;
	int six = p->af == 6;

	if (acl->ctx[six] == NULL)
		return -1;
	if (six && acl->narrow) {
		fill6n(acl, &in.n, p);
		data = (const uint8_t *)&in.n;
	} else {
		if (six)
			fill6w(acl, &in.w, p);
		else
			fill4(&in.w, p);
		data = (const uint8_t *)&in.w;
	}
	rte_acl_classify(acl->ctx[six], &data, res, 1, acl->sl.ncat);
	return (int)res[pkt_cat(&acl->sl, p->iface, p->dir)] - 1;
}

/*
 * n packets of family six classified in every category of acl (its
 * context must exist): res[i * ncat + category].  oface (NULL: none), in
 * the two-interface layout: packet i's egress interface where >= 0 (each
 * packet's own interface is both otherwise; one direction is read).
 */
static void
classify_all(const struct rules_acl *acl, int six, const struct rule_pkt *const pkts[],
	     const int *oface, unsigned int n, uint32_t *res)
{
	union acl_inputs in;
	const uint8_t *data[RULES_ACL_BULK_MAX];

	fill_bulk(acl, six, pkts, n, &in, data);
	if (oface != NULL && acl->sl.dual) {
		for (unsigned int i = 0; i < n; i++) {
			rte_be32_t o;

			if (oface[i] < 0)
				continue;
			o = rte_cpu_to_be_32((uint32_t)oface[i]);
			if (six && acl->narrow)
				in.n[i].oface = o;
			else
				in.w[i].oface = o;
		}
	}
	rte_acl_classify(acl->ctx[six], data, res, n, acl->sl.ncat);
}

int
rules_acl_eval_bulk(const struct rules_acl *acl, uint8_t af, const struct rule_pkt *const pkts[],
		    unsigned int n, int results[])
{
	uint32_t res[RULES_ACL_BULK_MAX * RTE_ACL_MAX_CATEGORIES];
	unsigned int nc = acl->sl.ncat;
	int six = af == 6;

	if (n > RULES_ACL_BULK_MAX || (af != 4 && af != 6))
		return -1;
	if (acl->ctx[six] == NULL) {
		for (unsigned int i = 0; i < n; i++)
			results[i] = -1;
		return 0;
	}
	classify_all(acl, six, pkts, NULL, n, res);
	for (unsigned int i = 0; i < n; i++)
		results[i] = (int)res[i * nc + pkt_cat(&acl->sl, pkts[i]->iface, pkts[i]->dir)] -
			     1;
	return 0;
}

int
rules_acl_eval_bulk_io(const struct rules_acl *acl, uint8_t af,
		       const struct rule_pkt *const pkts[], const int out_iface[], unsigned int n,
		       int res_in[], int res_out[])
{
	struct rule_pkt po[RULES_ACL_BULK_MAX];
	const struct rule_pkt *pp[RULES_ACL_BULK_MAX];
	int ro[RULES_ACL_BULK_MAX];
	uint8_t at[RULES_ACL_BULK_MAX];
	unsigned int no = 0;

	if (n > RULES_ACL_BULK_MAX || (af != 4 && af != 6))
		return -1;
	if (acl->sl.ncat > 1 && acl->ctx[af == 6] != NULL) {
		/* One walk: both directions are categories of the same input. */
		uint32_t res[RULES_ACL_BULK_MAX * RTE_ACL_MAX_CATEGORIES];
		unsigned int nc = acl->sl.ncat;

		classify_all(acl, af == 6, pkts, out_iface, n, res);
		for (unsigned int i = 0; i < n; i++) {
			const uint32_t *r = &res[i * nc];

			res_in[i] = (int)r[pkt_cat(&acl->sl, pkts[i]->iface, RULE_DIR_IN)] - 1;
			if (out_iface[i] >= 0)
				res_out[i] = (int)r[pkt_cat(&acl->sl, (uint16_t)out_iface[i],
							   RULE_DIR_OUT)] - 1;
		}
		return 0;
	}
	/* Per direction: the ingress packets, then the routed ones as egress. */
	if (rules_acl_eval_bulk(acl, af, pkts, n, res_in) < 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		if (out_iface[i] < 0)
			continue;
		po[no] = *pkts[i];
		po[no].dir = RULE_DIR_OUT;
		po[no].iface = (uint16_t)out_iface[i];
		pp[no] = &po[no];
		at[no++] = (uint8_t)i;
	}
	if (no != 0)
		rules_acl_eval_bulk(acl, af, pp, no, ro);
	for (unsigned int k = 0; k < no; k++)
		res_out[at[k]] = ro[k];
	return 0;
}

unsigned int
rules_acl_categories(const struct rules_acl *acl)
{
	return acl->sl.ncat;
}

const char *
rules_acl_layout(const struct rules_acl *acl)
{
	return acl->sl.dual ? "two-ifaces" : acl->sl.ncat > 1 ? "classes" : "per-dir";
}
