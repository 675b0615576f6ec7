/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the test and bench interface: one IPv4 /24 and one IPv6 /64 on a
 * port, as test_worker and path_bench both set them up.
 */
#ifndef DPF_TESTS_IFACE_FIXTURE_H
#define DPF_TESTS_IFACE_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dataplane/dp.h"

/* *ifc = interface name on port with a4/24 and a6/64; -1 on a bad address. */
static inline int
iface_fixture(struct dp_iface *ifc, const char *name, uint16_t port, uint16_t mtu,
	      const char *a4, const char *a6)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->port = port;
	ifc->mtu = mtu;
	ifc->n_addrs = 2;
	ifc->addrs[0].af = 4;
	ifc->addrs[0].plen = 24;
	ifc->addrs[1].af = 6;
	ifc->addrs[1].plen = 64;
	if (inet_pton(AF_INET, a4, ifc->addrs[0].addr) != 1 ||
	    inet_pton(AF_INET6, a6, ifc->addrs[1].addr) != 1)
		return -1;
	return 0;
}

#endif
