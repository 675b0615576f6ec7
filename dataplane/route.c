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
 * A gateway's neighbour slot is created (unresolved) at build time and its
 * index stored in the next hop, so workers forwarding through a gateway
 * read the MAC with one load and no hash lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/dp.h"

struct fib_builder {
	struct dp_fib *fib;
	unsigned int cap_nh;
	unsigned int cap_routes;
};

bool
dp_addr_in(const struct dp_addr *p, uint8_t af, const uint8_t *addr)
{
	unsigned int full = p->plen / 8, rest = p->plen % 8;

	if (p->af != af)
		return false;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((p->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
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

static int
nh_add(struct fib_builder *b, const struct dp_nh *nh)
{
	struct dp_fib *f = b->fib;
	unsigned int i;

	for (i = 1; i < f->n_nh; i++)
		if (memcmp(&f->nh[i], nh, sizeof(*nh)) == 0)
			return (int)i;
	if (f->n_nh == b->cap_nh) {
		struct dp_nh *n = realloc(f->nh, sizeof(*n) * b->cap_nh * 2);

		if (n == NULL)
			return -ENOMEM;
		f->nh = n;
		b->cap_nh *= 2;
	}
	f->nh[f->n_nh] = *nh;
	return (int)f->n_nh++;
}

static int
route_add(struct fib_builder *b, const struct dp_addr *dst, uint32_t nh)
{
	struct dp_fib *f = b->fib;
	struct dp_addr d = *dst;
	unsigned int i;
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
	for (i = 0; i < f->n_routes; i++) {
		if (f->routes[i].dst.af == d.af && f->routes[i].dst.plen == d.plen &&
		    memcmp(f->routes[i].dst.addr, d.addr, 16) == 0) {
			f->routes[i].nh = nh;
			return 0;
		}
	}
	if (f->n_routes == b->cap_routes) {
		struct dp_route *n = realloc(f->routes, sizeof(*n) * b->cap_routes * 2);

		if (n == NULL)
			return -ENOMEM;
		f->routes = n;
		b->cap_routes *= 2;
	}
	f->routes[f->n_routes].dst = d;
	f->routes[f->n_routes].nh = nh;
	f->n_routes++;
	return 0;
}

/* The connected interface whose prefix holds addr, or -1. */
static int
iface_for(const struct dp_main *dp, uint8_t af, const uint8_t *addr)
{
	unsigned int i, j;

	for (i = 0; i < dp->n_ifaces; i++)
		for (j = 0; j < dp->ifaces[i].n_addrs; j++)
			if (dp_addr_in(&dp->ifaces[i].addrs[j], af, addr))
				return (int)i;
	return -1;
}

struct dp_fib *
dp_fib_build(struct dp_main *dp, const struct dp_route_conf *routes, unsigned int n,
	     unsigned int *unresolved, char *err, size_t errlen)
{
	static unsigned int gen;
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.max_routes = 1 << 16,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = 1 << 12 },
	};
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = 1 << 16,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = 1 << 14 },
	};
	struct fib_builder b = { .cap_nh = 16, .cap_routes = 16 };
	struct dp_fib *f;
	char name[32];
	unsigned int i, j, bad = 0;
	int nh, rc;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto nomem;
	b.fib = f;
	f->gen = ++gen;
	f->nh = calloc(b.cap_nh, sizeof(*f->nh));
	f->routes = calloc(b.cap_routes, sizeof(*f->routes));
	if (f->nh == NULL || f->routes == NULL)
		goto nomem;
	f->n_nh = 1;		/* 0 = DP_NH_NONE */
	snprintf(name, sizeof(name), "dpf_fib4_%u", f->gen);
	f->fib4 = rte_fib_create(name, (int)rte_socket_id(), &c4);
	snprintf(name, sizeof(name), "dpf_fib6_%u", f->gen);
	f->fib6 = rte_fib6_create(name, (int)rte_socket_id(), &c6);
	if (f->fib4 == NULL || f->fib6 == NULL) {
		snprintf(err, errlen, "cannot create FIB: %s", rte_strerror(rte_errno));
		goto fail;
	}

	/* Static routes first, so connected and local prefixes win over them. */
	for (i = 0; i < n; i++) {
		const struct dp_route_conf *r = &routes[i];
		struct dp_nh h;

		memset(&h, 0, sizeof(h));
		h.af = r->dst.af;
		if (r->reject) {
			h.kind = DP_NH_REJECT;
		} else if (r->has_via) {
			int ifx = r->iface >= 0 ? r->iface : iface_for(dp, r->dst.af, r->via);
			int ng;

			if (ifx < 0) {
				bad++;
				continue;
			}
			ng = dp_neigh_get(dp, (uint16_t)ifx, r->dst.af, r->via, true);
			if (ng < 0) {
				snprintf(err, errlen, "neighbour table full");
				goto fail;
			}
			h.kind = DP_NH_GATEWAY;
			h.iface = (uint16_t)ifx;
			h.neigh = (uint32_t)ng;
			memcpy(h.gw, r->via, 16);
		} else {
			h.kind = DP_NH_CONNECTED;
			h.iface = (uint16_t)r->iface;
		}
		nh = nh_add(&b, &h);
		if (nh < 0 || (rc = route_add(&b, &r->dst, (uint32_t)nh)) != 0) {
			snprintf(err, errlen, "cannot add a route");
			goto fail;
		}
	}
	for (i = 0; i < dp->n_ifaces; i++) {
		for (j = 0; j < dp->ifaces[i].n_addrs; j++) {
			const struct dp_addr *a = &dp->ifaces[i].addrs[j];
			struct dp_nh h = { .kind = DP_NH_CONNECTED, .af = a->af,
					   .iface = (uint16_t)i };

			nh = nh_add(&b, &h);
			if (nh < 0 || route_add(&b, a, (uint32_t)nh) != 0)
				goto nomem;
		}
	}
	for (i = 0; i < dp->n_ifaces; i++) {
		for (j = 0; j < dp->ifaces[i].n_addrs; j++) {
			struct dp_addr host = dp->ifaces[i].addrs[j];
			struct dp_nh h = { .kind = DP_NH_LOCAL, .af = host.af,
					   .iface = (uint16_t)i };

			nh = nh_add(&b, &h);
			if (nh < 0)
				goto nomem;
			if (host.af == 4 && host.plen <= 30) {
				/* The subnet broadcast address is ours to receive too. */
				struct dp_addr bc = host;
				uint32_t ip = (uint32_t)bc.addr[0] << 24 | (uint32_t)bc.addr[1] << 16 |
					      (uint32_t)bc.addr[2] << 8 | bc.addr[3];

				ip |= (1u << (32 - bc.plen)) - 1;
				bc.addr[0] = (uint8_t)(ip >> 24);
				bc.addr[1] = (uint8_t)(ip >> 16);
				bc.addr[2] = (uint8_t)(ip >> 8);
				bc.addr[3] = (uint8_t)ip;
				bc.plen = 32;
				if (route_add(&b, &bc, (uint32_t)nh) != 0)
					goto nomem;
			}
			host.plen = host.af == 4 ? 32 : 128;
			if (route_add(&b, &host, (uint32_t)nh) != 0)
				goto nomem;
		}
	}
	if (unresolved != NULL)
		*unresolved = bad;
	return f;
nomem:
	snprintf(err, errlen, "out of memory building the FIB");
fail:
	dp_fib_free(f);
	return NULL;
}
