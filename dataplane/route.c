/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: routing table construction.
 *
 * A FIB is built whole by the control core (rte_fib DIR24_8 for IPv4,
 * rte_fib6 TRIE for IPv6, 4-byte next-hop ids) and published by pointer
 * swap.  Next hop 0 is "no route".  Precedence for an identical prefix:
 * local addresses over connected prefixes over static routes, since later
 * rte_fib_add() calls replace earlier ones and we add in that reverse order.
 *
 * A gateway's neighbour slot is created (unresolved) before the FIB is
 * published and its index stored in the next hop, so workers forwarding
 * through a gateway read the MAC with one load and no hash lookup.
 *
 * Building is split for the reload's builder thread (control/app/
 * reload_build.c): dp_fib_build_detached() reads only its arguments and
 * touches nothing shared (its rte_fib objects have names of their own), so
 * it may run on any thread while the control core runs; dp_fib_bind()
 * creates the gateways' neighbour slots, which only the neighbour table's
 * single writer, the control core, may do.  A prefix's place in the route
 * table and a next hop's id are found through hash indexes (fib_index.h),
 * so a build is linear in the number of prefixes: the linear searches it
 * replaced took about 2 s for 80,000 routes.
 *
 * One walk (fib_walk) yields the prefixes in that order.  dp_fib_build()
 * adds them; dp_fib_fit() replays what rte_rib, DIR24_8 and the trie would
 * allocate for them, so that a config is refused by its check (dpf -n)
 * exactly when the FIB could not hold it, rather than at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/dp.h"
#include "dataplane/fib_index.h"
#include "proto/proto.h"

PROTO_NAME_FN(dp_nh_name, unsigned int, DP_NH_LIST, DP_NH_MAX);

struct fib_builder {
	struct dp_fib *fib;
	struct fib_index route_ix;	/* struct fib_pfx_key -> index into fib->routes */
	struct fib_index nh_ix;		/* struct dp_nh (neigh 0) -> next hop id */
	unsigned int cap_nh;
	unsigned int cap_routes;
	char *err;
	size_t errlen;
};

/* A prefix as route_ix keys it: host bits clear, no padding. */
struct fib_pfx_key {
	uint8_t af;
	uint8_t plen;
	uint8_t addr[16];
};

bool
dp_addr_in(const struct dp_addr *p, uint8_t af, const uint8_t *addr)
{
	return p->af == af && proto_prefix_match(p->addr, p->plen, addr);
}

bool
dp_iface_owns(const struct dp_iface *ifc, uint8_t af, const uint8_t *addr)
{
	unsigned int i;

	if (af == 6 && memcmp(ifc->ll6, addr, 16) == 0)
		return true;
	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].af == af &&
		    memcmp(ifc->addrs[i].addr, addr, af == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

static void
prefix_mask(struct dp_addr *a)
{
	unsigned int alen = a->af == 4 ? 4 : 16, i;

	for (i = 0; i < alen; i++) {
		unsigned int bits = a->plen > i * 8 ? a->plen - i * 8 : 0;

		if (bits < 8)
			a->addr[i] &= (uint8_t)(bits ? 0xff << (8 - bits) : 0);
	}
	if (alen == 4)
		memset(a->addr + 4, 0, 12);
}

/*
 * Room for one more element of size sz in arr, which holds n and has room
 * for *cap: arr itself, or arr grown to twice *cap (updated); NULL if out of
 * memory (arr is then unchanged).
 */
static void *
fib_grow(void *arr, unsigned int n, unsigned int *cap, size_t sz)
{
	void *bigger;

	if (n < *cap)
		return arr;
	bigger = realloc(arr, sz * *cap * 2);
	if (bigger != NULL)
		*cap *= 2;
	return bigger;
}

/* The id of next hop nh (neigh not set: dp_fib_bind() sets it), added if new. */
static int
nh_add(struct fib_builder *b, const struct dp_nh *nh)
{
	struct dp_fib *f = b->fib;
	struct dp_nh *grown;
	int64_t id;

	grown = fib_grow(f->nh, f->n_nh, &b->cap_nh, sizeof(*f->nh));
	if (grown == NULL)
		return -ENOMEM;
	f->nh = grown;
	id = fib_index_get_or_add(&b->nh_ix, nh, f->n_nh);
	if (id < 0)
		return -ENOMEM;
	if (id == f->n_nh)
		f->nh[f->n_nh++] = *nh;
	return (int)id;
}

static int
route_add(struct fib_builder *b, const struct dp_addr *dst, uint32_t nh)
{
	struct dp_fib *f = b->fib;
	struct dp_addr d = *dst;
	struct fib_pfx_key k;
	struct dp_route *grown;
	int64_t i;
	int rc;

	prefix_mask(&d);
	if (d.af == 4) {
		uint32_t ip = (uint32_t)d.addr[0] << 24 | (uint32_t)d.addr[1] << 16 |
			      (uint32_t)d.addr[2] << 8 | d.addr[3];

		rc = rte_fib_add(f->fib4, ip, d.plen, nh);
	} else {
		rc = rte_fib6_add(f->fib6, d.addr, d.plen, nh);
	}
	if (rc != 0)
		return rc;
	/* The same prefix again (a connected network over a static route): replace. */
	grown = fib_grow(f->routes, f->n_routes, &b->cap_routes, sizeof(*f->routes));
	if (grown == NULL)
		return -ENOMEM;
	f->routes = grown;
	memset(&k, 0, sizeof(k));
	k.af = d.af;
	k.plen = d.plen;
	memcpy(k.addr, d.addr, 16);
	i = fib_index_get_or_add(&b->route_ix, &k, f->n_routes);
	if (i < 0)
		return -ENOMEM;
	if (i < f->n_routes) {
		f->routes[i].nh = nh;
		return 0;
	}
	f->routes[f->n_routes].dst = d;
	f->routes[f->n_routes].nh = nh;
	f->n_routes++;
	return 0;
}

/* The interface of ifs whose connected prefix holds addr, or -1. */
static int
iface_for(const struct dp_iface *ifs, unsigned int n_ifs, uint8_t af, const uint8_t *addr)
{
	unsigned int i, j;

	for (i = 0; i < n_ifs; i++)
		for (j = 0; j < ifs[i].n_addrs; j++)
			if (dp_addr_in(&ifs[i].addrs[j], af, addr))
				return (int)i;
	return -1;
}

static void
addr_format(const struct dp_addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->af == 4 ? AF_INET : AF_INET6, a->addr, s, sizeof(s));
	snprintf(buf, len, "%s/%u", s, a->plen);
}

/* --- the prefixes of a FIB, in the order they are added --- */

enum fib_src {
	FIB_SRC_ROUTE,		/* routes[idx] */
	FIB_SRC_IFACE,		/* ifs[idx].addrs[addr]: its network, host, broadcast */
};

struct fib_item {
	uint8_t src;		/* enum fib_src */
	unsigned int idx;
	unsigned int addr;
	struct dp_addr dst;	/* host bits clear */
	struct dp_nh nh;	/* GATEWAY: neigh not set yet */
};

typedef int (*fib_item_fn)(void *arg, const struct fib_item *it);

/*
 * Calls fn for every prefix: static routes first, then the connected
 * networks, then the local hosts and IPv4 broadcast addresses, so that
 * later (more local) entries replace earlier ones for the same prefix.
 * Stops at fn's first non-zero return and returns it.
 */
static int
fib_walk(const struct dp_iface *ifs, unsigned int n_ifs, const struct dp_route_conf *routes,
	 unsigned int n, unsigned int *unresolved, fib_item_fn fn, void *arg)
{
	struct fib_item it;
	unsigned int i, j, bad = 0;
	int rc;

	for (i = 0; i < n; i++) {
		const struct dp_route_conf *r = &routes[i];

		memset(&it, 0, sizeof(it));
		it.src = FIB_SRC_ROUTE;
		it.idx = i;
		it.dst = r->dst;
		it.nh.af = r->dst.af;
		if (r->reject) {
			it.nh.kind = DP_NH_REJECT;
		} else if (r->has_via) {
			int ifx = r->iface >= 0 ? r->iface : iface_for(ifs, n_ifs, r->dst.af, r->via);

			if (ifx < 0) {
				bad++;
				continue;
			}
			it.nh.kind = DP_NH_GATEWAY;
			it.nh.iface = (uint16_t)ifx;
			memcpy(it.nh.gw, r->via, 16);
		} else {
			it.nh.kind = DP_NH_CONNECTED;
			it.nh.iface = (uint16_t)r->iface;
		}
		prefix_mask(&it.dst);
		if ((rc = fn(arg, &it)) != 0)
			return rc;
	}
	for (i = 0; i < n_ifs; i++) {
		for (j = 0; j < ifs[i].n_addrs; j++) {
			memset(&it, 0, sizeof(it));
			it.src = FIB_SRC_IFACE;
			it.idx = i;
			it.addr = j;
			it.dst = ifs[i].addrs[j];
			it.nh = (struct dp_nh){ .kind = DP_NH_CONNECTED, .af = it.dst.af,
						.iface = (uint16_t)i };
			prefix_mask(&it.dst);
			if ((rc = fn(arg, &it)) != 0)
				return rc;
		}
	}
	for (i = 0; i < n_ifs; i++) {
		for (j = 0; j < ifs[i].n_addrs; j++) {
			struct dp_addr host = ifs[i].addrs[j];

			memset(&it, 0, sizeof(it));
			it.src = FIB_SRC_IFACE;
			it.idx = i;
			it.addr = j;
			it.nh = (struct dp_nh){ .kind = DP_NH_LOCAL, .af = host.af,
						.iface = (uint16_t)i };
			if (host.af == 4 && host.plen <= 30) {
				/* The subnet broadcast address is ours to receive too. */
				uint32_t ip = (uint32_t)host.addr[0] << 24 |
					      (uint32_t)host.addr[1] << 16 |
					      (uint32_t)host.addr[2] << 8 | host.addr[3];

				it.dst = host;
				ip |= (1u << (32 - host.plen)) - 1;
				it.dst.addr[0] = (uint8_t)(ip >> 24);
				it.dst.addr[1] = (uint8_t)(ip >> 16);
				it.dst.addr[2] = (uint8_t)(ip >> 8);
				it.dst.addr[3] = (uint8_t)ip;
				it.dst.plen = 32;
				if ((rc = fn(arg, &it)) != 0)
					return rc;
			}
			it.dst = host;
			it.dst.plen = host.af == 4 ? 32 : 128;
			prefix_mask(&it.dst);
			if ((rc = fn(arg, &it)) != 0)
				return rc;
		}
	}
	if (unresolved != NULL)
		*unresolved = bad;
	return 0;
}

/* --- building --- */

static int
build_item(void *arg, const struct fib_item *it)
{
	struct fib_builder *b = arg;
	struct dp_nh h = it->nh;
	char pfx[64];
	int nh, rc;

	h.neigh = 0;		/* dp_fib_bind() */
	nh = nh_add(b, &h);
	if (nh < 0) {
		snprintf(b->err, b->errlen, "out of memory building the FIB");
		return nh;
	}
	rc = route_add(b, &it->dst, (uint32_t)nh);
	if (rc != 0) {
		addr_format(&it->dst, pfx, sizeof(pfx));
		snprintf(b->err, b->errlen, "cannot add %s to the FIB: %s", pfx,
			 rte_strerror(-rc));
		return rc;
	}
	return 0;
}

struct dp_fib *
dp_fib_build_detached(int socket, const struct dp_iface *ifs, unsigned int n_ifs,
		      const struct dp_route_conf *routes, unsigned int n, unsigned int *unresolved,
		      char *err, size_t errlen)
{
	/* Names of FIBs that live at once differ: builds may run on two threads. */
	static _Atomic unsigned int gen;
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.max_routes = DP_FIB_MAX_ROUTES,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = DP_FIB4_TBL8 },
	};
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = DP_FIB_MAX_ROUTES,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = DP_FIB6_TBL8 },
	};
	struct fib_builder b = { .cap_nh = 16, .cap_routes = 16, .err = err, .errlen = errlen };
	struct dp_fib *f;
	char name[32];

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto nomem;
	b.fib = f;
	f->gen = atomic_fetch_add(&gen, 1) + 1;
	if (fib_index_init(&b.route_ix, sizeof(struct fib_pfx_key), n + 16) != 0 ||
	    fib_index_init(&b.nh_ix, sizeof(struct dp_nh), 16) != 0)
		goto nomem;
	f->nh = calloc(b.cap_nh, sizeof(*f->nh));
	f->routes = calloc(b.cap_routes, sizeof(*f->routes));
	if (f->nh == NULL || f->routes == NULL)
		goto nomem;
	f->n_nh = 1;		/* 0 = DP_NH_NONE */
	snprintf(name, sizeof(name), "dpf_fib4_%u", f->gen);
	f->fib4 = rte_fib_create(name, socket, &c4);
	snprintf(name, sizeof(name), "dpf_fib6_%u", f->gen);
	f->fib6 = rte_fib6_create(name, socket, &c6);
	if (f->fib4 == NULL || f->fib6 == NULL) {
		snprintf(err, errlen, "cannot create FIB: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (fib_walk(ifs, n_ifs, routes, n, unresolved, build_item, &b) != 0)
		goto fail;
	fib_index_fini(&b.route_ix);
	fib_index_fini(&b.nh_ix);
	return f;
nomem:
	snprintf(err, errlen, "out of memory building the FIB");
fail:
	fib_index_fini(&b.route_ix);
	fib_index_fini(&b.nh_ix);
	dp_fib_free(f);
	return NULL;
}

int
dp_fib_bind(struct dp_main *dp, struct dp_fib *f, char *err, size_t errlen)
{
	for (unsigned int i = 1; i < f->n_nh; i++) {
		struct dp_nh *h = &f->nh[i];
		int ng;

		if (h->kind != DP_NH_GATEWAY)
			continue;
		ng = dp_neigh_get(dp, h->iface, h->af, h->gw, true);
		if (ng < 0) {
			snprintf(err, errlen, "neighbour table full");
			return -ENOSPC;
		}
		h->neigh = (uint32_t)ng;
	}
	return 0;
}

struct dp_fib *
dp_fib_build(struct dp_main *dp, const struct dp_iface *ifs, unsigned int n_ifs,
	     const struct dp_route_conf *routes, unsigned int n, unsigned int *unresolved,
	     char *err, size_t errlen)
{
	struct dp_fib *f = dp_fib_build_detached((int)rte_socket_id(), ifs, n_ifs, routes, n,
						 unresolved, err, errlen);

	if (f != NULL && dp_fib_bind(dp, f, err, errlen) != 0) {
		dp_fib_free(f);
		return NULL;
	}
	return f;
}

/* --- what a FIB needs --- */

/* A key of the sets dp_fib_fit keeps: a prefix, a /24 network, a gateway. */
enum fit_tag {
	FIT_EMPTY,
	FIT_PREFIX,
	FIT_NET24,
	FIT_GATEWAY,
};

struct fit_key {
	uint8_t tag;		/* enum fit_tag */
	uint8_t af;
	uint8_t plen;
	uint8_t pad;
	uint16_t iface;		/* FIT_GATEWAY */
	uint16_t pad2;
	uint8_t addr[16];
};

/* Open addressing, linear probing, at most half full. */
struct fit_set {
	struct fit_key *k;
	uint32_t n, cap;
};

static uint32_t
fit_hash(const struct fit_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static struct fit_key *
fit_slot(const struct fit_set *s, const struct fit_key *k)
{
	uint32_t i = fit_hash(k) & (s->cap - 1);

	while (s->k[i].tag != FIT_EMPTY && memcmp(&s->k[i], k, sizeof(*k)) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->k[i];
}

static bool
fit_has(const struct fit_set *s, const struct fit_key *k)
{
	return s->cap > 0 && fit_slot(s, k)->tag != FIT_EMPTY;
}

/* 1 when added, 0 when already there, -ENOMEM. */
static int
fit_add(struct fit_set *s, const struct fit_key *k)
{
	struct fit_key *slot;

	if (2 * (s->n + 1) > s->cap) {
		struct fit_set g = { .cap = s->cap ? 2 * s->cap : 1024 };

		g.k = calloc(g.cap, sizeof(*g.k));
		if (g.k == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->k[i].tag != FIT_EMPTY)
				*fit_slot(&g, &s->k[i]) = s->k[i];
		g.n = s->n;
		free(s->k);
		*s = g;
	}
	slot = fit_slot(s, k);
	if (slot->tag != FIT_EMPTY)
		return 0;
	*slot = *k;
	s->n++;
	return 1;
}

static struct fit_key
fit_key_make(uint8_t tag, uint8_t af, uint8_t plen, uint16_t iface, const uint8_t *addr)
{
	struct fit_key k;

	memset(&k, 0, sizeof(k));
	k.tag = tag;
	k.af = af;
	k.plen = plen;
	k.iface = iface;
	memcpy(k.addr, addr, af == 4 ? 4 : 16);
	if (tag != FIT_GATEWAY) {
		struct dp_addr a = { .af = af, .plen = plen };

		memcpy(a.addr, k.addr, 16);
		prefix_mask(&a);
		memcpy(k.addr, a.addr, 16);
	}
	return k;
}

struct fit_state {
	struct dp_fib_fit *fit;
	const struct dp_iface *ifs;
	struct fit_set set;
};

static unsigned int
ceil8(unsigned int bits)
{
	return (bits + 7) / 8 * 8;
}

static int __attribute__((format(printf, 3, 4)))
fit_fail(struct fit_state *st, const struct fib_item *it, const char *fmt, ...)
{
	struct dp_fib_fit *f = st->fit;
	va_list ap;

	if (it->src == FIB_SRC_ROUTE) {
		f->route = (int)it->idx;
	} else {
		f->iface = (int)it->idx;
		f->addr = (int)it->addr;
	}
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -ENOSPC;
}

/*
 * One prefix as rte_fib_add() would take it [DPDK 22.11 lib/fib dir24_8.c
 * dir24_8_modify, trie.c trie_modify]:
 *  - an existing prefix only changes its next hop: no node, no table;
 *  - a new one takes at most two rte_rib nodes (dp.h);
 *  - IPv4 longer than /24: one tbl8 per /24 network that holds no longer
 *    prefix yet, refused once number_tbl8s are reserved;
 *  - IPv6 longer than /24: ceil8(len) - ceil8(max(parent, 24)) bits / 8
 *    tables reserved, parent the longest prefix already in that covers it,
 *    refused when the reservation would pass number_tbl8s (as measured
 *    against the 22.11 library: exactly number_tbl8s can be reserved).  The
 *    trie reserves nothing when a longer prefix already sits below, or when
 *    the parent has the same next hop; counting them anyway only makes
 *    this stricter than the trie, never laxer.
 */
static int
fit_item(void *arg, const struct fib_item *it)
{
	struct fit_state *st = arg;
	struct dp_fib_fit *f = st->fit;
	const struct dp_addr *d = &it->dst;
	unsigned int six = d->af == 6, parent = 24;
	struct fit_key k;
	char pfx[64];
	int rc;

	if (it->src == FIB_SRC_ROUTE)
		addr_format(d, pfx, sizeof(pfx));
	else
		addr_format(&st->ifs[it->idx].addrs[it->addr], pfx, sizeof(pfx));
	if (it->nh.kind == DP_NH_GATEWAY) {
		k = fit_key_make(FIT_GATEWAY, it->nh.af, 0, it->nh.iface, it->nh.gw);
		rc = fit_add(&st->set, &k);
		if (rc < 0)
			return rc;
		if (rc == 1 && ++f->gateways > DP_NEIGH_GATEWAYS_MAX) {
			struct dp_addr gw = { .af = it->nh.af, .plen = it->nh.af == 4 ? 32 : 128 };

			memcpy(gw.addr, it->nh.gw, 16);
			addr_format(&gw, pfx, sizeof(pfx));
			*strchr(pfx, '/') = '\0';
			f->via = true;
			return fit_fail(st, it, "gateway %s does not fit: at most %u distinct "
					"gateways (a quarter of the %u-entry neighbour table)", pfx,
					DP_NEIGH_GATEWAYS_MAX, DP_NEIGH_MAX);
		}
	}
	k = fit_key_make(FIT_PREFIX, d->af, d->plen, 0, d->addr);
	rc = fit_add(&st->set, &k);
	if (rc <= 0)
		return rc;
	if (++f->prefixes[six] > DP_FIB_MAX_PREFIXES)
		return fit_fail(st, it, "%s does not fit: the IPv%c FIB holds at most %u distinct "
				"prefixes (static routes, and the network, host and broadcast "
				"address of every interface address)", pfx, six ? '6' : '4',
				DP_FIB_MAX_PREFIXES);
	if (d->plen <= 24)
		return 0;
	if (!six) {
		k = fit_key_make(FIT_NET24, 4, 24, 0, d->addr);
		rc = fit_add(&st->set, &k);
		if (rc < 0)
			return rc;
		if (rc == 1 && ++f->tbl8[0] > DP_FIB4_TBL8)
			return fit_fail(st, it, "%s does not fit: the IPv4 FIB holds prefixes "
					"longer than /24 in at most %u /24 networks", pfx,
					DP_FIB4_TBL8);
		return 0;
	}
	for (unsigned int len = d->plen - 1u; len > 24; len--) {
		k = fit_key_make(FIT_PREFIX, 6, (uint8_t)len, 0, d->addr);
		if (fit_has(&st->set, &k)) {
			parent = len;
			break;
		}
	}
	f->tbl8[1] += (ceil8(d->plen) - ceil8(parent)) / 8;
	if (f->tbl8[1] > DP_FIB6_TBL8)
		return fit_fail(st, it, "%s does not fit: the IPv6 FIB has %u tables of 256 "
				"entries, and a prefix longer than /24 takes one per 8 bits it "
				"reaches past /24 or past the prefix covering it (%u with this "
				"one)", pfx, DP_FIB6_TBL8, f->tbl8[1]);
	return 0;
}

int
dp_fib_fit(const struct dp_iface *ifs, unsigned int n_ifs, const struct dp_route_conf *routes,
	   unsigned int n, struct dp_fib_fit *fit)
{
	struct fit_state st = { .fit = fit, .ifs = ifs };
	int rc;

	memset(fit, 0, sizeof(*fit));
	fit->route = fit->iface = fit->addr = -1;
	rc = fib_walk(ifs, n_ifs, routes, n, &fit->unresolved, fit_item, &st);
	if (rc == -ENOMEM)
		snprintf(fit->msg, sizeof(fit->msg), "out of memory");
	free(st.set.k);
	return rc;
}
