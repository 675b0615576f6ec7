/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: fuzz target for the pfsync receive path, end to end.
 *
 * The input is a short sequence of packets that arrive on the sync
 * interface.  Each goes through what local_input() does (pkt_parse(),
 * pkt_verify_cksum()) into the real engine's pfsync_input(), whose records
 * become real requests on the real control->worker rings of two workers;
 * the harness then plays both the workers (dp_filter_requests(),
 * dp_filter_housekeeping() on their real state tables) and the control
 * loop (completions to pfsync_done(), state events to pfsync_events(),
 * pfsync_poll() for the backlog, the send queues and the bulk) until the
 * engine is idle.  What the engine sends leaves on a net_ring port and is
 * read back.  After the input every invariant below must hold, else
 * abort():
 *
 *  - idle: no request pending or backlogged, every pending slot free,
 *    nothing in flight on any ring, the send queues empty, no bulk running;
 *  - the tables: every live record has af 4 or 6 in the part of the table
 *    of its family, a canonical key of that family with pad 0, its proto,
 *    a timeout index, a creator, is found by its own identity, and lives on
 *    the worker its key hashes to (dp_owner_key()); no identity is held by
 *    two states; per-table and global counts agree with the records;
 *  - the id map: every entry names a worker and a record holding exactly
 *    that identity;
 *  - counters: records-in is the sum of the per-action receive counts,
 *    records-out the sum of the per-action send counts;
 *  - output: every packet is Ethernet to 01:00:5e:00:00:f0 carrying IPv4
 *    protocol 240, TTL 255, a good header checksum, from the sync address
 *    to 224.0.0.240, within the MTU, and a pfsync packet that our parser
 *    walks to the end without skipping; their records add up to
 *    records-out, their number to opackets.
 *
 * Every input starts from a fresh engine and empty tables, so a crash
 * replays alone.
 *
 * Input: byte 0 is flags (FZ_F_*), then packets, each a 2-byte big-endian
 * length and that many bytes (a short last one takes what is left), at most
 * FZ_MAX_PKTS.  Without FZ_F_RAW the bytes are the pfsync packet (header
 * and sections) and the harness puts it in the IPv4 header a peer sends
 * (198.18.3.2 to 224.0.0.240, TTL 255); with it they are the whole IPv4
 * packet, whose header checksum the harness sets unless FZ_F_KEEPSUM.
 * FZ_F_BATCH hands every packet over before the workers run, so the rings
 * fill and the backlog takes the rest.  FZ_F_AUTH keys the engine
 * (sync.key_file) with fz_key: what it sends must then open with the key,
 * from our host id with rising sequence numbers; the seeds seal their
 * packets (gen_pfsync_rx_seeds.py), mutations mostly test the refusal.
 * FZ_F_DEFER turns sync.defer on: an INS_ACK naming one of our states is
 * a RELEASE request to the worker its id names (nothing is held here, so
 * each answers -ENOENT).  Whatever the flag, an INS or UPD asking for an
 * ack (PFSTATE_ACK) is acknowledged once applied: no more INS_ACKs may
 * leave than records asked for one.
 *
 * EAL: initialised once (LLVMFuzzerInitialize(), or the first input under
 * the replay driver), --no-huge --no-pci --no-shconf, one net_ring port
 * (the sync port).  Not --in-memory: DPDK 22.11 refuses it with --no-huge,
 * which implies legacy memory ("--legacy-mem is not compatible").
 *
 * Engine bugs this target found are described below fz (now fixed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_fib.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "control/local/local.h"
#include "control/pfsync/pfsync_priv.h"
#include "dataplane/dp.h"
#include "dataplane/dp_hash.h"
#include "dataplane/filter.h"
#include "dataplane/filter_cmd.h"
#include "dataplane/filter_stage.h"
#include "dataplane/state.h"
#include "dataplane/worker_ctx.h"
#include "proto/cksum.h"
#include "proto/pf.h"
#include "proto/pfsync.h"
#include "proto/pfsync_auth.h"
#include "proto/pftm.h"
#include "proto/pkt.h"
#include "proto/proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_F_RAW 0x01		/* the bytes are a whole IPv4 packet */
#define FZ_F_KEEPSUM 0x02	/* ... with its header checksum as given */
#define FZ_F_BATCH 0x04		/* all packets in before the workers run */
#define FZ_F_AUTH 0x08		/* the engine is keyed with fz_key (sync.key_file) */
#define FZ_F_DEFER 0x10		/* sync.defer on: INS_ACKs become RELEASE requests */

#define FZ_MAX_PKTS 16
#define FZ_WORKERS 2
#define FZ_LIMIT_STATES 2048	/* table capacity: a bulk is one burst */
#define FZ_HOSTID 0x0a0b0c0du
#define FZ_FRAME_MAX 2000	/* an mbuf's data room, less headroom */
#define FZ_DRAIN_LOOPS 200000	/* rounds until idle, else abort() */

enum { FZ_PORT_SYNC, FZ_PORT_DATA, FZ_PORTS };
enum { FZ_IF_SYNC, FZ_IF_LAN, FZ_IF_WAN };

static const uint8_t fz_sync_ip[4] = { 198, 18, 3, 1 };
static const uint8_t fz_peer_ip[4] = { 198, 18, 3, 2 };
static const uint8_t fz_group[4] = { 224, 0, 0, 240 };
static const uint8_t fz_group_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xf0 };
static const uint8_t fz_peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x03, 0x02 };

static const uint32_t fz_timeouts[PFTM_MAX] = {
#define FZ_TM_DEF(sym, str, def) [PFTM_##sym] = def,
	PFTM_LIST(FZ_TM_DEF)
#undef FZ_TM_DEF
};

static struct {
	bool ready;
	struct dp_main *dp;
	struct local local;
	struct dp_fib *fib;
	struct dp_wctx wc[FZ_WORKERS];
	uint16_t ring_port;		/* DPDK port of net_ring0 */
	/* What came back from the sync port during this input. */
	uint64_t out_pkts, out_recs;
	uint64_t out_act[PFSYNC_ACT_MAX];
	uint32_t now_s;			/* the workers' clock during this input */
	bool auth;			/* FZ_F_AUTH: what is sent must open with akey */
	struct pfsync_auth_key akey;
	uint64_t out_seq;		/* the last sequence number sent */
} fz;

/* FZ_F_AUTH's key: the first known answer's (tests/unit/pfsync_auth_vectors.h). */
static const uint8_t fz_key[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/*
 * Two engine bugs this target found, now fixed and checked strictly (the
 * seeds named fail on the engine before the fix):
 *  1. clr-same-packet: a CLR dropped its creator's id map entries at post
 *     time, so an APPLY posted before the FLUSH entered a state the FLUSH
 *     then removed (an entry naming an empty record).
 *  2. ins-same-id-two-keys: records were posted by key only, so one
 *     identity with two keys made two states on two workers.
 */

static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_pfsync_rx: invariant broken: %s\n", what);
	abort();
}

#define FZ_CHECK(cond, what) do { if (!(cond)) fz_fail(what); } while (0)

/* --- set-up, once ------------------------------------------------------- */

static int
fz_port_up(void)
{
	struct rte_eth_conf conf;
	uint16_t pid;

	if (rte_eth_dev_get_port_by_name("net_ring0", &pid) != 0)
		return -1;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(pid, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(pid, 0, 1024, 0, NULL, fz.dp->pool) != 0 ||
	    rte_eth_tx_queue_setup(pid, 0, 1024, 0, NULL) != 0 || rte_eth_dev_start(pid) != 0)
		return -1;
	fz.ring_port = pid;
	return 0;
}

static int
fz_iface(const char *name, uint16_t port, uint16_t vlan, uint8_t net)
{
	struct dp_iface ifc;
	char err[256];

	memset(&ifc, 0, sizeof(ifc));
	snprintf(ifc.name, sizeof(ifc.name), "%s", name);
	ifc.port = port;
	ifc.vlan = vlan;
	ifc.n_addrs = 1;
	ifc.addrs[0].af = 4;
	ifc.addrs[0].plen = 24;
	memcpy(ifc.addrs[0].addr, (const uint8_t[4]){ 198, 18, net, 1 }, 4);
	if (dp_iface_add(fz.dp, &ifc, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pfsync_rx: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * The dataplane as the control core sees it: the sync port (net_ring0,
 * the control core's alone) with interface sync 198.18.3.1/24, a data
 * port without a device with lan 198.18.1.1/24 and wan 198.18.2.1/24
 * (VLAN 2) for the routes pfsync_input() looks up, two workers with their
 * tables and rings, local for the output path, and the FIB.
 */
static int
fz_setup(void)
{
	static char *eal_argv[] = {
		(char *)"fuzz_pfsync_rx", (char *)"--no-huge", (char *)"-m", (char *)"256",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"-l", (char *)"0", (char *)"--log-level=4", (char *)"--vdev",
		(char *)"net_ring0", NULL,
	};
	struct dp_main *dp;
	char err[256] = "";
	unsigned int w;

	if (rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv) < 0)
		return -1;
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -1;
	fz.dp = dp;
	dp->pool = rte_pktmbuf_pool_create("fz_pool", 8191, 0, DP_MBUF_PRIV,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp->pool == NULL || fz_port_up() != 0)
		return -1;
	dp->n_workers = FZ_WORKERS;
	dp->burst = DP_BURST_MAX;
	dp->host_id = FZ_HOSTID;
	dp->neigh_max = 64;
	dp->sev_maxupd = PFSYNC_MAXUPD_DEFAULT;
	dp_clock_init(&dp->clock);
	dp->n_ports = FZ_PORTS;
	dp->ports[FZ_PORT_SYNC].port_id = fz.ring_port;
	dp->ports[FZ_PORT_SYNC].ctl_only = true;
	dp->ports[FZ_PORT_SYNC].n_rxq = 1;
	dp->ports[FZ_PORT_SYNC].ctl_q = 0;
	dp->ports[FZ_PORT_DATA].port_id = RTE_MAX_ETHPORTS - 1;	/* never sent on */
	for (unsigned int p = 0; p < FZ_PORTS; p++) {
		dp->ports[p].mtu = 1500;
		memcpy(dp->ports[p].mac.addr_bytes, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 + p }, 6);
		atomic_store(&dp->ports[p].link_up, true);
	}
	if (fz_iface("sync", FZ_PORT_SYNC, 0, 3) != 0 || fz_iface("lan", FZ_PORT_DATA, 0, 1) != 0 ||
	    fz_iface("wan", FZ_PORT_DATA, 2, 2) != 0)
		return -1;
	for (w = 0; w < dp->n_workers; w++) {
		dp->workers[w].dp = dp;
		dp->workers[w].id = w;
		dp->workers[w].stats = &dp->stats[w];
	}
	if (dp_filter_init(dp, FZ_LIMIT_STATES, fz_timeouts, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pfsync_rx: dp_filter_init: %s\n", err);
		return -1;
	}
	fz.fib = dp_fib_build(dp, dp->ifaces, dp->n_ifaces, NULL, 0, NULL, err, sizeof(err));
	if (fz.fib == NULL) {
		fprintf(stderr, "fuzz_pfsync_rx: dp_fib_build: %s\n", err);
		return -1;
	}
	atomic_store(&dp->fib, fz.fib);
	if (local_init(&fz.local, dp) != 0)
		return -1;
	for (w = 0; w < dp->n_workers; w++) {
		struct dp_wctx *c = &fz.wc[w];

		memset(c, 0, sizeof(*c));
		c->dp = dp;
		c->w = &dp->workers[w];
		c->st = c->w->stats;
		c->states = c->w->states;
		c->fib = fz.fib;
		c->hk_ms = 1;
	}
	fz.ready = true;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!fz.ready && fz_setup() != 0) {
		fprintf(stderr, "fuzz_pfsync_rx: cannot set up EAL and the dataplane\n");
		abort();
	}
	return 0;
}

/* The engine as app.c makes it for a `sync` section on interface sync. */
static struct pfsync *
fz_engine(bool auth, bool defer)
{
	struct pfsync_conf pc;
	struct pfsync *ps;
	char err[256];

	memset(&pc, 0, sizeof(pc));
	pc.iface = FZ_IF_SYNC;
	pc.maxupd = PFSYNC_MAXUPD_DEFAULT;
	pc.flush_us = 1;		/* due at once: the harness does not wait */
	pc.limit_states = FZ_LIMIT_STATES;
	pc.hostid = FZ_HOSTID;
	pc.auth = auth;
	pc.defer = defer;
	if (auth) {
		pc.key_len = sizeof(fz_key);
		memcpy(pc.key, fz_key, sizeof(fz_key));
	}
	ps = pfsync_create(fz.dp, &fz.local, NULL, &pc, err, sizeof(err));
	if (ps == NULL) {
		fprintf(stderr, "fuzz_pfsync_rx: %s\n", err);
		abort();
	}
	/* Running, as after pfsync_start(), without its bulk request:
	 * pfsync_poll() works and the bulk requester stays idle. */
	ps->started = true;
	ps->link_up = true;
	return ps;
}

/* --- the output ------------------------------------------------------------ */

/* One packet the engine sent: checked, its records counted. */
static void
fz_out_check(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + PFSYNC_ETH_HLEN;
	struct pfsync_iter it;
	struct pfsync_section sec;
	size_t hoff, plen, tot;

	FZ_CHECK(len >= PFSYNC_FRAME4_HLEN + PFSYNC_HDRLEN, "sent frame shorter than 54 bytes");
	FZ_CHECK(memcmp(f, fz_group_mac, 6) == 0, "sent to a MAC other than 01:00:5e:00:00:f0");
	FZ_CHECK(f[12] == 0x08 && f[13] == 0x00, "sent frame is not IPv4");
	FZ_CHECK(ip[0] == 0x45 && ip[8] == 255 && ip[9] == IPPROTO_PFSYNC,
		 "sent IPv4 header: not 20 bytes, TTL 255, protocol 240");
	FZ_CHECK(proto_cksum(ip, 20) == 0, "sent IPv4 header checksum");
	FZ_CHECK(memcmp(ip + 12, fz_sync_ip, 4) == 0 && memcmp(ip + 16, fz_group, 4) == 0,
		 "sent from/to the wrong address");
	tot = proto_rd16(ip + 2);
	FZ_CHECK(tot == len - PFSYNC_ETH_HLEN, "sent IPv4 total length");
	FZ_CHECK(tot <= fz.dp->ifaces[FZ_IF_SYNC].mtu, "sent packet exceeds the MTU");
	FZ_CHECK(pfsync_check_ip4(ip, tot, &hoff, &plen) == PFSYNC_OK, "sent packet refused");
	if (fz.auth) {
		struct pfsync_auth_info info;

		FZ_CHECK(pfsync_auth_open(&fz.akey, ip + hoff, plen, ip + 12, ip + 16, &info,
					  &it) == PFSYNC_AUTH_OK, "sent keyed packet does not open");
		FZ_CHECK(info.sender == FZ_HOSTID && info.seq > fz.out_seq,
			 "sent keyed packet: sender or sequence");
		fz.out_seq = info.seq;
	} else {
		FZ_CHECK(pfsync_iter_init(&it, ip + hoff, plen) == PFSYNC_OK,
			 "sent pfsync header");
	}
	while (pfsync_iter_next(&it, &sec) > 0) {
		FZ_CHECK(sec.action < PFSYNC_ACT_MAX && sec.count > 0 &&
			 sec.stride == pfsync_act_size(sec.action),
			 "sent section: unknown action, no records or odd record length");
		fz.out_act[sec.action] += sec.count;
		fz.out_recs += sec.count;
	}
	FZ_CHECK(it.it_err == PFSYNC_OK && it.it_skipped == 0, "sent sections do not parse");
	fz.out_pkts++;
}

/* Takes what the sync port sent back off net_ring0's loop. */
static unsigned int
fz_out_drain(void)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	unsigned int n, i, total = 0;

	local_tx_flush(&fz.local, FZ_PORT_SYNC);
	while ((n = rte_eth_rx_burst(fz.ring_port, 0, pkts, DP_BURST_MAX)) > 0) {
		for (i = 0; i < n; i++) {
			FZ_CHECK(rte_pktmbuf_is_contiguous(pkts[i]), "sent a chained mbuf");
			fz_out_check(rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len);
			rte_pktmbuf_free(pkts[i]);
		}
		total += n;
	}
	return total;
}

/* --- input and the loop ------------------------------------------------------ */

/* A frame from the peer on the sync interface, as local_input() hands it over. */
static void
fz_deliver(struct pfsync *ps, const uint8_t *b, size_t n, uint8_t flags)
{
	struct rte_mbuf *m;
	struct pkt_meta pm;
	uint8_t *f;
	size_t flen;

	if (!(flags & FZ_F_RAW))
		n = RTE_MIN(n, (size_t)FZ_FRAME_MAX - PFSYNC_FRAME4_HLEN);
	flen = PFSYNC_ETH_HLEN + ((flags & FZ_F_RAW) ? n : PFSYNC_IP4_HLEN + n);
	if (flen > FZ_FRAME_MAX)
		flen = FZ_FRAME_MAX;
	m = rte_pktmbuf_alloc(fz.dp->pool);
	FZ_CHECK(m != NULL, "mbuf pool ran dry (a leak)");
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)flen);
	FZ_CHECK(f != NULL, "frame does not fit an mbuf");
	memcpy(f, fz_group_mac, 6);
	memcpy(f + 6, fz_peer_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	if (flags & FZ_F_RAW) {
		memcpy(f + PFSYNC_ETH_HLEN, b, flen - PFSYNC_ETH_HLEN);
		if (!(flags & FZ_F_KEEPSUM) && flen >= PFSYNC_ETH_HLEN + 20 &&
		    (f[14] >> 4) == 4 && (f[14] & 15) >= 5 &&
		    flen >= PFSYNC_ETH_HLEN + (size_t)(f[14] & 15) * 4) {
			proto_wr16(f + 24, 0);
			proto_wr16(f + 24, proto_cksum(f + 14, (size_t)(f[14] & 15) * 4));
		}
	} else {
		uint8_t *ip = f + PFSYNC_ETH_HLEN;

		memset(ip, 0, PFSYNC_IP4_HLEN);
		ip[0] = 0x45;
		ip[1] = 0x10;
		proto_wr16(ip + 2, (uint16_t)(PFSYNC_IP4_HLEN + n));
		proto_wr16(ip + 6, 0x4000);
		ip[8] = 255;
		ip[9] = IPPROTO_PFSYNC;
		memcpy(ip + 12, fz_peer_ip, 4);
		memcpy(ip + 16, fz_group, 4);
		proto_wr16(ip + 10, proto_cksum(ip, PFSYNC_IP4_HLEN));
		memcpy(ip + PFSYNC_IP4_HLEN, b, n);
	}
	memset(dp_meta(m), 0, sizeof(struct dp_mbuf_meta));
	dp_meta(m)->iface = FZ_IF_SYNC;
	/* local_input(): parsed and checksummed, then the handler of its protocol. */
	if (pkt_parse(f, flen, &pm) != PKT_ERR_OK || pkt_verify_cksum(f, flen, &pm) != PKT_ERR_OK ||
	    pm.l3_proto != PKT_L3_IPV4 || pm.proto != IPPROTO_PFSYNC) {
		rte_pktmbuf_free(m);
		return;
	}
	dp_meta(m)->af = 4;
	dp_meta(m)->l3_off = pm.l3_off;
	FZ_CHECK(pfsync_input(ps, m, &pm), "pfsync_input refused a packet");
}

#define FZ_W_DONE 1u		/* completions came back */
#define FZ_W_SEV 2u		/* state events came up */
#define FZ_W_POLL 4u		/* pfsync_poll() did something */
#define FZ_W_OUT 8u		/* packets left on the sync port */

/*
 * One round of the workers and the control loop.  Returns what happened
 * (FZ_W_*, 0 for nothing); *idle says whether the engine has nothing left
 * to do.  The workers' clock (seconds) stands still during an input
 * (fz.now_s), so that no state expires between two rounds: an input's
 * outcome does not depend on how fast it runs.
 */
static unsigned int
fz_round(struct pfsync *ps, bool *idle)
{
	struct dp_done done[64];
	struct dp_sev ev[256];
	unsigned int w, n, i, work = 0;

	for (w = 0; w < fz.dp->n_workers; w++) {
		struct dp_wctx *c = &fz.wc[w];

		c->now = fz.now_s;
		dp_state_tick(c->states, c->now);
		dp_filter_requests(c);
		dp_filter_housekeeping(c);
	}
	while ((n = dp_done_poll(fz.dp, done, RTE_DIM(done))) > 0) {
		for (i = 0; i < n; i++)
			FZ_CHECK(pfsync_done(ps, &done[i]), "a completion pfsync did not claim");
		work |= FZ_W_DONE;
	}
	while ((n = dp_sev_poll(fz.dp, ev, RTE_DIM(ev))) > 0) {
		pfsync_events(ps, ev, n);
		work |= FZ_W_SEV;
	}
	if (pfsync_poll(ps) > 0)
		work |= FZ_W_POLL;
	if (fz_out_drain() > 0)
		work |= FZ_W_OUT;
	*idle = !ps->bsend.active && pfsync_q_total(ps->q) == 0;
	for (w = 0; w < fz.dp->n_workers; w++)
		if (ps->backlog[w].count != 0 || dp_req_inflight(fz.dp, w) != 0)
			*idle = false;
	return work;
}

static void
fz_drain(struct pfsync *ps)
{
	unsigned int i, w;
	bool idle = false;

	for (i = 0; i < FZ_DRAIN_LOOPS; i++) {
		fz_round(ps, &idle);
		if (idle)
			break;
	}
	FZ_CHECK(idle, "the engine never went idle");
	/* Once more: an idle engine stays idle and sends nothing. */
	w = fz_round(ps, &idle);
	FZ_CHECK(idle, "an idle engine has work again");
	FZ_CHECK(!(w & FZ_W_DONE), "an idle engine got completions");
	FZ_CHECK(!(w & FZ_W_SEV), "an idle engine got state events");
	FZ_CHECK(!(w & FZ_W_POLL), "an idle engine's poll did something");
	FZ_CHECK(!(w & FZ_W_OUT), "an idle engine sent packets");
}

/* --- invariants ----------------------------------------------------------------- */

static void
fz_check_idle(const struct pfsync *ps)
{
	uint32_t i, nfree = 0, slot;

	for (i = 0; i < ps->pend_cap; i++)
		FZ_CHECK(!ps->pend[i].used, "a pending slot still used when idle");
	for (slot = ps->pend_free; slot != UINT32_MAX && nfree <= ps->pend_cap;
	     slot = ps->pend[slot].next_free) {
		FZ_CHECK(slot < ps->pend_cap, "pending free list leaves the table");
		nfree++;
	}
	FZ_CHECK(nfree == ps->pend_cap, "pending free list lost or looped slots");
	for (i = 0; i < fz.dp->n_workers; i++)
		FZ_CHECK(ps->backlog[i].count == 0 && dp_req_inflight(fz.dp, i) == 0,
			 "requests left behind");
}

/* The canonical key of the addresses and ports in k is k itself. */
static bool
fz_key_canonical(uint8_t af, const union dp_state_key *k)
{
	union dp_state_key c;
	bool sw;

	memset(&c, 0, sizeof(c));
	if (af == 4) {
		dp_state_key_make(4, k->k4.proto, (const uint8_t *)&k->k4.addr[0],
				  (const uint8_t *)&k->k4.addr[1], k->k4.port[0], k->k4.port[1],
				  k->k4.zone, &c, &sw);
		return !sw && memcmp(&c.k4, &k->k4, sizeof(c.k4)) == 0;
	}
	dp_state_key_make(6, k->k6.proto, k->k6.addr[0], k->k6.addr[1], k->k6.port[0],
			  k->k6.port[1], k->k6.zone, &c, &sw);
	return !sw && memcmp(&c.k6, &k->k6, sizeof(c.k6)) == 0;
}

struct fz_ident {
	uint64_t id;
	uint32_t creatorid;
	uint8_t af;
	union dp_state_key key;
};

static int
fz_ident_cmp(const void *a, const void *b)
{
	const struct fz_ident *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->creatorid < y->creatorid ? -1 : x->creatorid > y->creatorid;
}

static void
fz_check_tables(void)
{
	static struct fz_ident seen[FZ_WORKERS * 2 * FZ_LIMIT_STATES * 2];
	uint32_t total = 0, n = 0, i;
	unsigned int w;

	for (w = 0; w < fz.dp->n_workers; w++) {
		const struct dp_state_table *t = fz.dp->workers[w].states;
		uint32_t pos, live = 0;

		for (pos = 0; pos < t->total; pos++) {
			struct dp_state st;
			union dp_state_key key;
			uint64_t id;
			uint32_t cid;
			int rc = dp_state_snapshot(t, pos, &st, &key, &id, &cid);

			FZ_CHECK(rc == 0 || rc == -ENOENT, "a record changes with no worker running");
			if (rc != 0)
				continue;
			live++;
			FZ_CHECK(st.af == 4 || st.af == 6, "a state's af is neither 4 nor 6");
			FZ_CHECK(dp_state_lookup(t, st.af, &key) == &t->st[pos],
				 "a state's key does not find it");
			FZ_CHECK(fz_key_canonical(st.af, &key), "a state's key is not canonical");
			FZ_CHECK((st.af == 4 ? key.k4.pad : key.k6.pad) == 0, "a key's pad is set");
			FZ_CHECK(st.proto == (st.af == 4 ? key.k4.proto : key.k6.proto),
				 "a state's proto is not its key's");
			FZ_CHECK(st.timeout < PFTM_MAX || st.timeout == PFTM_PURGE,
				 "a state's timeout index is out of range");
			FZ_CHECK(cid != 0, "a state with creator id 0");
			FZ_CHECK(dp_state_find_id(t, id, cid) == &t->st[pos],
				 "a state is not found by its identity");
			FZ_CHECK(dp_owner_key(fz.dp, st.af, &key) == w,
				 "a state lives on a worker its key does not hash to");
			FZ_CHECK(n < RTE_DIM(seen), "more states than the tables hold");
			seen[n].id = id;
			seen[n].creatorid = cid;
			seen[n].af = st.af;
			seen[n++].key = key;
		}
		FZ_CHECK(live == t->count, "a table's count is not its live records");
		total += live;
	}
	FZ_CHECK(total == atomic_load(&fz.dp->states_total), "the global state count is off");
	/* pf keeps one state per identity [OpenBSD pf.c pf_state_insert]. */
	qsort(seen, n, sizeof(seen[0]), fz_ident_cmp);
	for (i = 1; i < n; i++) {
		const struct fz_ident *a = &seen[i - 1], *b = &seen[i];

		if (fz_ident_cmp(a, b) != 0)
			continue;
		FZ_CHECK(false, "two states with one identity");
	}
}

static void
fz_check_idmap(const struct pfsync *ps)
{
	const struct pfsync_ident *ids = &ps->idmap.ids;
	uint32_t b, n = 0;

	for (b = 0; b <= ids->mask; b++) {
		uint32_t i;

		for (i = ids->bucket[b]; i != PFSYNC_IDENT_NONE; i = ids->next[i]) {
			const struct pfsync_idmap_ent *e = &ps->idmap.e[i];
			struct dp_state st;
			union dp_state_key key;
			uint64_t id;
			uint32_t cid;

			FZ_CHECK(++n <= ids->count, "the id map's chains hold more than its count");
			FZ_CHECK(e->worker < fz.dp->n_workers, "an id map entry names no worker");
			if (dp_state_snapshot(fz.dp->workers[e->worker].states, e->pos, &st, &key,
					      &id, &cid) == 0 &&
			    id == ids->id[i] && cid == ids->creatorid[i])
				continue;
			FZ_CHECK(false, "an id map entry names a record without that state");
		}
	}
	FZ_CHECK(n == ids->count, "the id map's count is not its entries");
}

static void
fz_check_counters(const struct pfsync *ps, uint64_t fed)
{
	uint64_t in = 0, out = 0;
	unsigned int a;

	for (a = 0; a < PFSYNC_ACT_MAX; a++) {
		in += ps->rx_act[a];
		out += ps->tx_act[a];
		FZ_CHECK(ps->tx_act[a] == fz.out_act[a], "records sent of an action: counted != seen");
	}
	FZ_CHECK(in == ps->xstats[PFSYNC_X_REC_IN], "records-in is not the sum per action");
	FZ_CHECK(out == ps->xstats[PFSYNC_X_REC_OUT], "records-out is not the sum per action");
	FZ_CHECK(out == fz.out_recs, "records-out is not what left the port");
	FZ_CHECK(ps->stats[PFSYNC_STAT_OPACKETS] == fz.out_pkts, "opackets is not what left");
	FZ_CHECK(ps->stats[PFSYNC_STAT_IPACKETS] <= fed, "ipackets exceeds the packets fed");
	FZ_CHECK(fz.out_act[PFSYNC_ACT_INS_ACK] <= ps->xstats[PFSYNC_X_ACK_ASKED],
		 "more INS_ACKs sent than records asked for");
}

/* Empties every table, as the worker would (it owns them; no events). */
static void
fz_tables_clear(void)
{
	unsigned int w;

	for (w = 0; w < fz.dp->n_workers; w++) {
		struct dp_state_table *t = fz.dp->workers[w].states;
		uint32_t pos;

		for (pos = 0; pos < t->total && t->count > 0; pos++)
			if (t->st[pos].af != 0)
				dp_state_remove(t, &t->st[pos]);
	}
}

/*
 * The engine logs to stdout (peer heard, bulk sent); the replay driver's
 * TAP is on stdout too.  While an input runs, stdout is /dev/null.
 */
static int
fz_quiet(void)
{
	int saved;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved >= 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
	}
	return saved;
}

static void
fz_loud(int saved)
{
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

static void fz_one(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int saved;

	if (!fz.ready)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	saved = fz_quiet();
	fz_one(data, size);
	fz_loud(saved);
	return 0;
}

/* One input, from a fresh engine and empty tables (DOC at the top). */
static void
fz_one(const uint8_t *data, size_t size)
{
	struct pfsync *ps;
	uint64_t fed = 0;
	uint8_t flags;
	size_t off = 1;
	unsigned int k;

	flags = data[0];
	fz.now_s = dp_clock_s(&fz.dp->clock);
	memset(fz.out_act, 0, sizeof(fz.out_act));
	fz.out_pkts = fz.out_recs = 0;
	fz.auth = (flags & FZ_F_AUTH) != 0;
	fz.out_seq = 0;
	if (fz.auth && pfsync_auth_key_init(&fz.akey, fz_key, sizeof(fz_key)) != 0)
		abort();
	ps = fz_engine(fz.auth, (flags & FZ_F_DEFER) != 0);
	for (k = 0; k < FZ_MAX_PKTS && off < size; k++) {
		size_t n = size - off;

		if (n >= 2) {
			size_t want = proto_rd16(data + off);

			off += 2;
			n = RTE_MIN(want, size - off);
		} else {
			off += n;
			n = 0;
		}
		fz_deliver(ps, data + off, n, flags);
		fed++;
		off += n;
		if (!(flags & FZ_F_BATCH))
			fz_drain(ps);
	}
	fz_drain(ps);
	fz_check_idle(ps);
	fz_check_tables();
	fz_check_idmap(ps);
	fz_check_counters(ps, fed);
	pfsync_destroy(ps);
	fz_tables_clear();
	FZ_CHECK(fz_out_drain() == 0, "a packet sent after the engine was destroyed");
}
