/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dataplane set-up and tear-down.
 *
 * dp_init() creates the mbuf pool, configures every port with n_workers + 1
 * RX and TX queues (queue n_workers belongs to the control core), and the
 * SPSC rings: hand-off rings between every pair of workers and from the
 * control core to each worker, and one punt ring per worker to the control
 * core (plus, with pflog on, one log ring per worker, dp_log.h).  dp_start() starts the ports and launches the workers; dp_stop()
 * asks them to stop, waits, and stops the ports.
 *
 * Published objects (the FIB) are swapped by pointer; the old copy is
 * queued with an RCU token and freed by dp_reclaim() once every worker has
 * reported a quiescent state, so the control core never waits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "dataplane/dp_log.h"
#include "dataplane/dp_parse.h"
#include "proto/pkt.h"
#include "proto/proto.h"

_Static_assert(PKT_ERR_MAX <= DP_PKT_ERR_SLOTS, "dp_stats.pkt_err too small for PKT_ERR_MAX");

PROTO_NAME_FN(dp_drop_name, unsigned int, DP_DROP_LIST, DP_DROP_MAX);

#define DP_DROP_PF(sym, str, pf) PFRES_##pf,
PROTO_TABLE_FN(enum pfres, dp_drop_pfres, unsigned int, DP_DROP_MAX, PFRES_MATCH,
	       DP_DROP_LIST(DP_DROP_PF));
#undef DP_DROP_PF

void
dp_stats_pfres(const struct dp_stats *s, uint64_t pf[PFRES_MAX])
{
	unsigned int i;

	for (i = 0; i < DP_DROP_MAX; i++)
		if (dp_drop_pfres(i) != PFRES_NONE)
			pf[dp_drop_pfres(i)] += s->drop[i];
	for (i = 1; i < PKT_ERR_MAX; i++)
		pf[pkt_err_pfres(i)] += s->pkt_err[i];
}

unsigned int
dp_classify_malformed(const struct rte_mbuf *m)
{
	struct pkt_meta pm;
	enum pkt_err e;

	e = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pm);
	/* PKT_ERR_OK: the fast path refused what the full parser accepts (a
	 * header split across segments); only the "malformed" drop counts it. */
	return (unsigned int)e;
}

unsigned int
dp_parse_full(const struct rte_mbuf *m)
{
	const uint8_t *buf = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pkt_meta pm, qm;
	enum pkt_err e;
	int af;

	e = pkt_parse(buf, m->data_len, &pm);
	if (e != PKT_ERR_OK || !(pm.flags & PKT_F_ICMP_ERR))
		return (unsigned int)e;
	/*
	 * The quote must be the error's own family [RFC 792, RFC 4443 2.4]
	 * and hold the IP header and the first 8 bytes of L4 [RFC 792; pf's
	 * pf_test_state_icmp() drops an error whose quote it cannot pull
	 * with PFRES_SHORT].  Other defects of the quoted datagram (its
	 * options, fragment fields) are not the error's: the state lookup
	 * decides those, as in pf.
	 */
	af = pm.l3_proto == PKT_L3_IPV4 ? AF_INET : AF_INET6;
	if (pm.icmp.inner_len > 0 &&
	    (buf[pm.icmp.inner_off] >> 4) != (pm.l3_proto == PKT_L3_IPV4 ? 4 : 6))
		return PKT_ERR_QUOTE_BAD_AF;
	e = pkt_parse_quoted(buf + pm.icmp.inner_off, pm.icmp.inner_len, af, &qm);
	if (e == PKT_ERR_ICMP_WRONG_AF)
		return PKT_ERR_QUOTE_BAD_AF;
	return pkt_err_pfres(e) == PFRES_SHORT ? PKT_ERR_QUOTE_SHORT : PKT_ERR_OK;
}

/* The symmetric Toeplitz key: 0x6d5a repeated gives the same hash for both
 * directions of a flow [Woo and Park, "Scalable TCP Session Monitoring with
 * Symmetric Receive-side Scaling"]. */
static uint8_t dp_rss_key[40];

/*
 * dp_hash.h's tables: the Toeplitz hash's share of one input byte, at an
 * even offset (tab[0]) or an odd one ([1]), as constant expressions.  Bit
 * 7 of a byte is the first of its 8 input bits; the input bit at offset b
 * contributes the key's window at b, DP_RSS_W(b mod 16).
 */
#define DP_RSS_T(v, o) ((uint32_t)(					\
	((v) & 0x80 ? DP_RSS_W((o) + 0) : 0) ^ ((v) & 0x40 ? DP_RSS_W((o) + 1) : 0) ^	\
	((v) & 0x20 ? DP_RSS_W((o) + 2) : 0) ^ ((v) & 0x10 ? DP_RSS_W((o) + 3) : 0) ^	\
	((v) & 0x08 ? DP_RSS_W((o) + 4) : 0) ^ ((v) & 0x04 ? DP_RSS_W((o) + 5) : 0) ^	\
	((v) & 0x02 ? DP_RSS_W((o) + 6) : 0) ^ ((v) & 0x01 ? DP_RSS_W((o) + 7) : 0)))
#define DP_RSS_T4(v, o) DP_RSS_T(v, o), DP_RSS_T((v) + 1, o), DP_RSS_T((v) + 2, o), \
	DP_RSS_T((v) + 3, o)
#define DP_RSS_T16(v, o) DP_RSS_T4(v, o), DP_RSS_T4((v) + 4, o), DP_RSS_T4((v) + 8, o), \
	DP_RSS_T4((v) + 12, o)
#define DP_RSS_T64(v, o) DP_RSS_T16(v, o), DP_RSS_T16((v) + 16, o), \
	DP_RSS_T16((v) + 32, o), DP_RSS_T16((v) + 48, o)
#define DP_RSS_T256(o) DP_RSS_T64(0, o), DP_RSS_T64(64, o), DP_RSS_T64(128, o), \
	DP_RSS_T64(192, o)

const uint32_t dp_rss_tab[2][256] __rte_cache_aligned = {
	{ DP_RSS_T256(0) },
	{ DP_RSS_T256(8) },
};

PROTO_NAME_FN(dp_rss_name, unsigned int, DP_RSS_LIST, DP_RSS_MAX);

static int
dp_port_setup(struct dp_main *dp, unsigned int idx, const struct dp_port_conf *pc,
	      char *err, size_t errlen)
{
	struct dp_port *port = &dp->ports[idx];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t pid, q, nq = (uint16_t)(pc->ctl_only ? 1 : dp->n_workers + 1);
	uint16_t rxd = pc->rx_desc, txd = pc->tx_desc;
	int rc;

	if (rte_eth_dev_get_port_by_name(pc->device, &pid) != 0) {
		snprintf(err, errlen, "port %s: no DPDK device \"%s\" (check dataplane.eal.args)",
			 pc->name, pc->device);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot get device info: %s", pc->name,
			 rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
			 "port %s (%s): needs %u RX and TX queues, device has %u/%u%s",
			 pc->name, pc->device, nq, info.max_rx_queues, info.max_tx_queues,
			 strncmp(info.driver_name, "net_af_packet", 13) == 0 ?
			 " (af_packet: set qpairs)" : "");
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	port->rss = DP_RSS_OFF;
	port->reta_size = 0;
	if (nq > 2 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		port->rss = DP_RSS_ALL;		/* until dp_port_reta() */
		port->reta_size = info.reta_size;
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = dp_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(dp_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure: %s", pc->name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: descriptors: %s", pc->name, rte_strerror(-rc));
		return rc;
	}
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, rte_eth_dev_socket_id(pid), NULL,
					    dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, txd, rte_eth_dev_socket_id(pid), NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u setup: %s", pc->name, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	/* Promiscuous: frames to CARP virtual MACs must reach us; the worker
	 * filters unicast by destination MAC itself. */
	(void)rte_eth_promiscuous_enable(pid);
	port->port_id = pid;
	snprintf(port->name, sizeof(port->name), "%s", pc->name);
	port->mtu = pc->mtu;
	port->n_rxq = nq;
	port->ctl_q = (uint16_t)(nq - 1);
	port->ctl_only = pc->ctl_only;
	rte_eth_macaddr_get(pid, &port->mac);
	if (rte_eth_dev_set_mtu(pid, pc->mtu) != 0) {
		uint16_t cur = 0;

		/* Virtual devices may refuse; what matters is that frames fit. */
		if (rte_eth_dev_get_mtu(pid, &cur) == 0 && cur != 0 && cur < pc->mtu) {
			snprintf(err, errlen, "port %s: MTU %u exceeds the device's %u", pc->name,
				 pc->mtu, cur);
			return -EINVAL;
		}
	}
	return 0;
}

int
dp_port_steer_proto(struct dp_main *dp, unsigned int p, uint8_t proto, char *why, size_t len)
{
	struct dp_port *port = &dp->ports[p];
	struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item_ipv4 spec = { .hdr.next_proto_id = proto };
	struct rte_flow_item_ipv4 mask = { .hdr.next_proto_id = 0xff };
	struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &spec, .mask = &mask },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_queue queue = { .index = port->ctl_q };
	struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error ferr;

	port->sync_steered = false;
	memset(&ferr, 0, sizeof(ferr));
	if (rte_flow_validate(port->port_id, &attr, pattern, actions, &ferr) != 0 ||
	    rte_flow_create(port->port_id, &attr, pattern, actions, &ferr) == NULL) {
		snprintf(why, len, "%s", ferr.message != NULL ? ferr.message :
			 "no rte_flow support");
		return -ENOTSUP;
	}
	port->sync_steered = true;
	return 0;
}

/* Frees the memzone of a packed pool (rte_mempool_free's callback). */
static void
dp_pool_mz_free(struct rte_mempool_memhdr *memhdr, void *opaque)
{
	RTE_SET_USED(memhdr);
	rte_memzone_free(opaque);
}

/*
 * The mbuf pool.  Without hugepages (EAL --no-huge: tests, the bench
 * harnesses) DPDK's mempool keeps every object inside one 4 KiB page
 * [rte_mempool_get_page_size(): the system page size when the objects
 * must be IOVA-contiguous], so an mbuf of about 2.3 KiB takes a page of
 * its own and every mbuf header sits at the same page offset: the mbufs
 * of a burst compete for one L1 set, and their L2/L3 sets depend on which
 * physical pages the pool got, start by start (the bimodal "slow mode" of
 * docs/BENCHMARKS.md).  Without hugepages EAL has no physical addresses
 * and runs IOVA as VA [rte_eal_using_phys_addrs()], where contiguous
 * virtual memory is contiguous IOVA, so the page rule buys nothing there:
 * the pool is then packed (RTE_MEMPOOL_F_NO_IOVA_CONTIG) into one memzone
 * whose IOVA is handed to the objects, so that a device that DMAs still
 * gets the right buf_iova.  Otherwise: rte_pktmbuf_pool_create().
 * Returns NULL with rte_errno set on failure.
 */
static struct rte_mempool *
dp_pool_create(const char *name, unsigned int n, unsigned int cache, int socket)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.mbuf_priv_size = DP_MBUF_PRIV,
	};
	char mzname[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;
	struct rte_mempool *mp;
	size_t sz;
	int rc;

	if (rte_eal_has_hugepages() || rte_eal_iova_mode() != RTE_IOVA_VA)
		return rte_pktmbuf_pool_create(name, n, cache, DP_MBUF_PRIV,
					       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + DP_MBUF_PRIV +
				      RTE_MBUF_DEFAULT_BUF_SIZE, cache, sizeof(priv), socket,
				      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	/* What the default ops ask for without a page size: the objects
	 * back to back [rte_mempool_op_calc_mem_size_helper()]. */
	sz = (size_t)n * (mp->header_size + mp->elt_size + mp->trailer_size);
	snprintf(mzname, sizeof(mzname), "%s_mem", name);
	mz = rte_memzone_reserve_aligned(mzname, sz, socket, 0, RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		rc = -rte_errno;
		goto fail;
	}
	rc = rte_mempool_populate_iova(mp, mz->addr, mz->iova, mz->len, dp_pool_mz_free,
				       (void *)(uintptr_t)mz);
	if (rc < 0)
		rte_memzone_free(mz);	/* not attached to the pool */
	if (rc < (int)n) {
		rc = rc < 0 ? rc : -ENOMEM;
		goto fail;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	rte_errno = -rc;
	return NULL;
}

/*
 * A single-producer single-consumer ring of DP_RING_SIZE named by fmt, in
 * *r; -ENOMEM with the reason in err if it cannot be made.
 */
static int __attribute__((format(printf, 4, 5)))
dp_ring_new(struct rte_ring **r, char *err, size_t errlen, const char *fmt, ...)
{
	char name[RTE_RING_NAMESIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	*r = rte_ring_create(name, DP_RING_SIZE, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (*r == NULL) {
		snprintf(err, errlen, "cannot create ring %s", name);
		return -ENOMEM;
	}
	return 0;
}

int
dp_init(struct dp_main *dp, const struct dp_conf *conf, char *err, size_t errlen)
{
	unsigned int i, j, nq = conf->n_workers + 1;
	unsigned int mbufs = conf->mbufs;
	size_t sz;
	int rc;

	memset(dp, 0, sizeof(*dp));
	/* First: everything after may take times (CARP, local, states). */
	dp_clock_init(&dp->clock);
	for (i = 0; i < sizeof(dp_rss_key); i += 2) {
		dp_rss_key[i] = 0x6d;
		dp_rss_key[i + 1] = 0x5a;
	}
	if (conf->n_workers == 0 || conf->n_workers > DP_MAX_WORKERS ||
	    conf->n_ports > DP_MAX_PORTS) {
		snprintf(err, errlen, "invalid worker or port count");
		return -EINVAL;
	}
	dp->n_workers = conf->n_workers;
	dp->burst = conf->burst ? RTE_MIN(conf->burst, (unsigned int)DP_BURST_MAX) : 32;
	dp->idle_sleep_us = conf->idle_sleep_us;
	dp->log_snaplen = RTE_MIN(conf->log_snaplen, (unsigned int)DP_LOG_SNAPLEN_MAX);
	if (rte_lcore_count() < conf->n_workers + 1) {
		snprintf(err, errlen, "%u workers need %u lcores (dataplane.eal.lcores), have %u",
			 conf->n_workers, conf->n_workers + 1, rte_lcore_count());
		return -EINVAL;
	}
	if (mbufs == 0) {
		/* Descriptors of every queue, the rings, bursts in flight, slack. */
		for (i = 0; i < conf->n_ports; i++)
			mbufs += nq * (conf->ports[i].rx_desc + conf->ports[i].tx_desc);
		mbufs += (nq * conf->n_workers + conf->n_workers) * DP_RING_SIZE;
		if (conf->log_snaplen)	/* records waiting on the pflog rings */
			mbufs += conf->n_workers * DP_RING_SIZE;
		mbufs += nq * DP_BURST_MAX * (conf->n_ports + DP_MAX_WORKERS / 8) + 4096;
	}
	dp->pool = dp_pool_create("dpf_pool", mbufs, 256, (int)rte_socket_id());
	if (dp->pool == NULL) {
		snprintf(err, errlen, "cannot create a pool of %u mbufs: %s (raise "
			 "dataplane.eal.memory_mb or hugepages)", mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	sz = rte_rcu_qsbr_get_memsize(DP_MAX_WORKERS);
	dp->rcu = rte_zmalloc("dpf_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (dp->rcu == NULL || rte_rcu_qsbr_init(dp->rcu, DP_MAX_WORKERS) != 0) {
		snprintf(err, errlen, "cannot create the RCU variable");
		return -ENOMEM;
	}
	for (i = 0; i < conf->n_ports; i++) {
		rc = dp_port_setup(dp, i, &conf->ports[i], err, errlen);
		if (rc != 0)
			return rc;
		dp->n_ports++;
	}
	for (i = 0; i <= dp->n_workers; i++) {
		for (j = 0; j < dp->n_workers; j++) {
			if (i == j)
				continue;
			rc = dp_ring_new(&dp->handoff[i][j], err, errlen, "dpf_ho_%u_%u", i, j);
			if (rc != 0)
				return rc;
		}
	}
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = &dp->workers[i];

		w->dp = dp;
		w->id = i;
		w->stats = &dp->stats[i];
		rc = dp_ring_new(&w->punt, err, errlen, "dpf_punt_%u", i);
		if (rc != 0)
			return rc;
		if (dp->log_snaplen == 0)
			continue;
		rc = dp_ring_new(&w->log, err, errlen, "dpf_log_%u", i);
		if (rc != 0)
			return rc;
	}
	rc = dp_neigh_init(dp, conf->neigh_max ? conf->neigh_max : DP_NEIGH_MAX);
	if (rc != 0) {
		snprintf(err, errlen, "cannot create the neighbour table");
		return rc;
	}
	return 0;
}

int
dp_iface_add(struct dp_main *dp, const struct dp_iface *ifc, char *err, size_t errlen)
{
	struct dp_iface *n;
	const uint8_t *mac;

	if (dp->n_ifaces >= DP_MAX_IFACES || ifc->port >= dp->n_ports || ifc->vlan > 4095) {
		snprintf(err, errlen, "interface %s: invalid port, vlan or too many interfaces",
			 ifc->name);
		return -EINVAL;
	}
	if (dp->vlan_map[ifc->port][ifc->vlan] != 0) {
		snprintf(err, errlen, "interface %s: port and vlan already used", ifc->name);
		return -EEXIST;
	}
	n = &dp->ifaces[dp->n_ifaces];
	*n = *ifc;
	if (n->mtu == 0 || n->mtu > dp->ports[n->port].mtu)
		n->mtu = dp->ports[n->port].mtu;
	/* fe80::/64 + modified EUI-64 of the port MAC [RFC 4291 appendix A]. */
	mac = dp->ports[n->port].mac.addr_bytes;
	memset(n->ll6, 0, sizeof(n->ll6));
	n->ll6[0] = 0xfe;
	n->ll6[1] = 0x80;
	n->ll6[8] = mac[0] ^ 0x02;
	n->ll6[9] = mac[1];
	n->ll6[10] = mac[2];
	n->ll6[11] = 0xff;
	n->ll6[12] = 0xfe;
	n->ll6[13] = mac[3];
	n->ll6[14] = mac[4];
	n->ll6[15] = mac[5];
	dp->vlan_map[ifc->port][ifc->vlan] = (uint8_t)(dp->n_ifaces + 1);
	dp->n_ifaces++;
	return 0;
}

/*
 * RSS over the workers' queues only.  A device's default RETA spreads flows
 * over all of a port's queues, the control core's too: it would take
 * 1/(workers + 1) of the traffic only to hand every packet of it to a
 * worker, and a pause of its loop (a reload's work, a long `show states`,
 * a burst of pfsync) would overflow its RX ring at line rate.  Entry i gets
 * worker dp_owner_of(i), the worker dp_owner() gives a flow whose RSS hash
 * has i in its low bits, so a packet arrives at its owner and is not
 * handed over (dp_hash.h: the owner hash is RSS's).  The table is read
 * back: the port is DP_RSS_WORKERS only if the device holds what was set,
 * else it keeps DP_RSS_ALL (still correct: the control core hands its
 * share on).
 * Rules that steer to the control core's queue (pfsync, rte_flow) come
 * before the RETA and are not affected.
 */
static void
dp_port_reta(const struct dp_main *dp, struct dp_port *port)
{
	unsigned int n = port->reta_size, ng, i;
	struct rte_eth_rss_reta_entry64 *reta;
	bool same = true;

	if (n == 0 || dp->n_workers == 0)
		return;
	ng = (n + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	reta = calloc(ng, sizeof(*reta));
	if (reta == NULL)
		return;
	for (i = 0; i < n; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)dp_owner_of(dp->n_workers, i);
	}
	if (rte_eth_dev_rss_reta_update(port->port_id, reta, (uint16_t)n) != 0)
		goto out;
	for (i = 0; i < n; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = UINT16_MAX;
	if (rte_eth_dev_rss_reta_query(port->port_id, reta, (uint16_t)n) != 0)
		goto out;
	for (i = 0; i < n; i++)
		same &= reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] ==
			dp_owner_of(dp->n_workers, i);
	if (same)
		port->rss = DP_RSS_WORKERS;
out:
	free(reta);
}

int
dp_start(struct dp_main *dp, char *err, size_t errlen)
{
	unsigned int i, lcore, n = 0;
	int rc;

	for (i = 0; i < dp->n_ports; i++) {
		rc = rte_eth_dev_start(dp->ports[i].port_id);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: start: %s", dp->ports[i].name,
				 rte_strerror(-rc));
			return rc;
		}
		if (dp->ports[i].rss == DP_RSS_ALL)
			dp_port_reta(dp, &dp->ports[i]);
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n == dp->n_workers)
			break;
		dp->workers[n].lcore = lcore;
		rc = rte_eal_remote_launch(dp_worker_main, &dp->workers[n], lcore);
		if (rc != 0) {
			snprintf(err, errlen, "cannot launch worker %u on lcore %u", n, lcore);
			return rc;
		}
		n++;
	}
	return 0;
}

void
dp_stop(struct dp_main *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++)
		dp->workers[i].stop = true;
	rte_eal_mp_wait_lcore();
	for (i = 0; i < dp->n_ports; i++) {
		(void)rte_eth_dev_stop(dp->ports[i].port_id);
		(void)rte_eth_dev_close(dp->ports[i].port_id);
	}
}

void
dp_fib_free(struct dp_fib *fib)
{
	if (fib == NULL)
		return;
	if (fib->fib4 != NULL)
		rte_fib_free(fib->fib4);
	if (fib->fib6 != NULL)
		rte_fib6_free(fib->fib6);
	free(fib->nh);
	free(fib->routes);
	free(fib);
}

void
dp_fib_free_at_exit(struct dp_fib *fib)
{
	if (fib == NULL)
		return;
	/* fib4 and fib6 stay: they live in the DPDK heap (dp_exit_keep_heap()). */
	free(fib->nh);
	free(fib->routes);
	free(fib);
}

/* Old published objects waiting for their grace period [C]. */
#define DP_RECLAIM_MAX 16
static struct {
	void *obj;
	void (*free_fn)(void *obj);
	uint64_t token;
	bool slow;		/* freed through dp->free_offload when there is one */
} dp_reclaim_q[DP_RECLAIM_MAX];

void
dp_reclaim(struct dp_main *dp, bool wait)
{
	unsigned int i;

	for (i = 0; i < DP_RECLAIM_MAX; i++) {
		if (dp_reclaim_q[i].obj == NULL)
			continue;
		if (rte_rcu_qsbr_check(dp->rcu, dp_reclaim_q[i].token, wait) == 1) {
			/* A waiting caller wants the memory back now: never offloaded. */
			if (dp_reclaim_q[i].slow && !wait && dp->free_offload != NULL)
				dp->free_offload(dp_reclaim_q[i].obj, dp_reclaim_q[i].free_fn);
			else
				dp_reclaim_q[i].free_fn(dp_reclaim_q[i].obj);
			dp_reclaim_q[i].obj = NULL;
		}
	}
}

unsigned int
dp_reclaim_pending(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < DP_RECLAIM_MAX; i++)
		n += dp_reclaim_q[i].obj != NULL;
	return n;
}

static void
dp_defer_free_as(struct dp_main *dp, void *obj, void (*free_fn)(void *obj), bool slow)
{
	unsigned int i;

	if (obj == NULL)
		return;
	for (;;) {
		for (i = 0; i < DP_RECLAIM_MAX; i++) {
			if (dp_reclaim_q[i].obj == NULL) {
				dp_reclaim_q[i].obj = obj;
				dp_reclaim_q[i].free_fn = free_fn;
				dp_reclaim_q[i].token = rte_rcu_qsbr_start(dp->rcu);
				dp_reclaim_q[i].slow = slow;
				return;
			}
		}
		/* Many reloads inside one grace period: wait for the oldest. */
		dp_reclaim(dp, true);
	}
}

void
dp_defer_free(struct dp_main *dp, void *obj, void (*free_fn)(void *obj))
{
	dp_defer_free_as(dp, obj, free_fn, false);
}

static void
dp_fib_free_obj(void *obj)
{
	dp_fib_free(obj);
}

void
dp_fib_publish(struct dp_main *dp, struct dp_fib *fib)
{
	/*
	 * Slow to free: rte_rib removes its nodes one by one and DPDK's heap
	 * zeroes what it frees (64 MiB of tbl24): 100-200 ms at 80,000 routes.
	 */
	dp_defer_free_as(dp, atomic_exchange_explicit(&dp->fib, fib, memory_order_acq_rel),
			 dp_fib_free_obj, true);
}

void
dp_stats_sum(const struct dp_main *dp, struct dp_stats *sum)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)sum;
	unsigned int w, i, n = sizeof(*sum) / sizeof(uint64_t);

	memset(sum, 0, sizeof(*sum));
	for (w = 0; w <= DP_MAX_WORKERS; w++) {
		if (w >= dp->n_workers && w != DP_CTL_WORKER)
			continue;
		src = (const uint64_t *)&dp->stats[w];
		for (i = 0; i < n; i++)
			dst[i] += src[i];
	}
}
