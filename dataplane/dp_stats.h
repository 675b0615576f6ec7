/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Dataplane counters.  Each worker (and the control core, as pseudo-worker
 * DP_CTL_WORKER) owns one struct dp_stats and is its only writer; readers
 * (the control core, for dpfctl) sum them without locks, accepting values a
 * few packets old.  Counters are plain uint64_t on 64-bit x86, where aligned
 * loads and stores are atomic.
 */
#ifndef DPF_DP_STATS_H
#define DPF_DP_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "dataplane/state_event.h"
#include "proto/pfres.h"

#define DP_MAX_PORTS 16
#define DP_MAX_IFACES 64

/* Reasons with no pf counterpart are not rolled into pf's counters. */
#define PFRES_NONE PFRES_MAX

/*
 * Drop and punt reasons of the forwarding path: (symbol, name, pf reason).
 * Parser reasons are counted separately per PKT_ERR (proto/pkt.h); both
 * roll up into pf's reason counters for `show info`.  "malformed" is the
 * total of the parser's reasons, each counted under its own pf reason, so
 * it has none itself (else "short" would count those packets twice).
 * "martian-source", "martian-destination" and "l2-broadcast-unicast-ip" are
 * the IP stack's checks in pf's world (RFC 1812 5.3.7, 5.3.4), not pf's: no
 * pf reason.
 */
#define DP_DROP_LIST(_)                                         \
	_(NOT_FOR_US, "l2-not-for-us", NONE)                   \
	_(OWN_SRC_MAC, "l2-own-source", NONE)                  \
	_(NO_IFACE, "no-interface", NONE)                      \
	_(NON_IP, "non-ip", NONE)                              \
	_(MALFORMED, "malformed", NONE)                         \
	_(SEGMENTED, "headers-segmented", SHORT)                \
	_(L2_BCAST, "l2-broadcast-unicast-ip", NONE)            \
	_(MARTIAN_SRC, "martian-source", NONE)                  \
	_(MARTIAN_DST, "martian-destination", NONE)             \
	_(IP_OPTIONS, "ip-option", IPOPTIONS)                   \
	_(LINK_LOCAL_FWD, "link-local-forward", NOROUTE)        \
	_(NO_ROUTE, "no-route", NOROUTE)                        \
	_(REJECT_ROUTE, "reject-route", NOROUTE)                \
	_(TTL_EXCEEDED, "ttl-exceeded", NONE)                  \
	_(TOO_BIG, "too-big", NONE)                            \
	_(HANDOFF_FULL, "handoff-ring-full", CONGEST)           \
	_(PUNT_FULL, "punt-ring-full", CONGEST)                 \
	_(TX_FULL, "tx-queue-full", CONGEST)                    \
	_(NEIGH_QUEUE_FULL, "neighbor-queue-full", MEMORY)      \
	_(NEIGH_FAILED, "neighbor-unresolved", NOROUTE)         \
	_(NEIGH_REFUSED, "neighbor-refused", MEMORY)            \
	_(NO_MBUF, "no-mbuf", MEMORY)                           \
	_(LOCAL_UNHANDLED, "local-unhandled", NONE)            \
	_(ICMP_RATELIMIT, "icmp-ratelimited", NONE)            \
	_(RULE_BLOCK, "rule-block", NONE)                      \
	_(STATE_MISMATCH, "state-mismatch", BADSTATE)           \
	_(STATE_INSERT, "state-insert", STATEINS)               \
	_(STATE_LIMIT, "state-limit", MAXSTATES)                \
	_(STATE_MEMORY, "state-memory", MEMORY)                 \
	_(FRAGMENT, "fragment", FRAG)

enum dp_drop {
#define DP_DROP_ENUM(sym, str, pf) DP_DROP_##sym,
	DP_DROP_LIST(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	DP_DROP_MAX
};

const char *dp_drop_name(unsigned int d);
enum pfres dp_drop_pfres(unsigned int d);

struct dp_if_counters {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t drops;
};

/* Parser reasons are indexed by enum pkt_err; sized generously here so this
 * header does not depend on proto/pkt.h (checked with a static assert there). */
#define DP_PKT_ERR_SLOTS 96

struct dp_stats {
	uint64_t rx_pkts;		/* all packets received from ports */
	uint64_t fwd_pkts;		/* forwarded by this worker */
	uint64_t local_pkts;		/* punted to the control core as local */
	uint64_t handoff_out;		/* sent to the owning worker */
	uint64_t handoff_in;		/* received from another worker */
	uint64_t punts;			/* all packets punted to the control core */
	uint64_t polls;			/* loop iterations */
	uint64_t busy_polls;		/* iterations that found work */
	uint64_t rule_evals;		/* ruleset evaluations (first packets, per direction) */
	uint64_t rule_match;		/* evaluations that matched a rule (pf's "match") */
	uint64_t state_searches;	/* pfctl -s info "searches" */
	uint64_t state_inserts;
	uint64_t state_removals;
	uint64_t lcnt_max_states;	/* limit counter "max states per rule" */
	uint64_t frag_in;		/* IP fragments received for reassembly */
	uint64_t frag_reassembled;	/* datagrams completed */
	uint64_t frag_out;		/* fragments sent by IPv6 refragmentation */
	uint64_t log_pkts;		/* pflog records queued to the control core */
	uint64_t log_ring_full;		/* pflog records lost: log ring full */
	uint64_t log_nombuf;		/* pflog records lost: no mbuf for the copy */
	uint64_t sev[DP_SEV_MAX];	/* state events put on the ring (state_event.h) */
	uint64_t sev_nosync;		/* events not made: the state is no-sync */
	uint64_t sev_ring_full;		/* events lost: the ring was full */
	uint64_t sev_ask_limited;	/* ASKs not made: asked this second, or the worker's cap (state_event.h) */
	uint64_t sync_catchup;		/* packets of synced states let catch up (filter.c) */
	uint64_t sev_taken;		/* control core: events taken off the rings */
	uint64_t req_done;		/* requests carried out (filter_cmd.h) */
	uint64_t req_posted;		/* control core: requests put on the rings */
	uint64_t req_full;		/* control core: requests refused, ring full */
	uint64_t drop[DP_DROP_MAX];
	uint64_t pkt_err[DP_PKT_ERR_SLOTS];
	struct dp_if_counters port[DP_MAX_PORTS];
	struct dp_if_counters iface[DP_MAX_IFACES];
} __rte_cache_aligned;

/*
 * Adds the drops of s to pf's reason counters pf[]: each drop reason and
 * each parser reason under its pf reason, none twice ("malformed" is the
 * parser reasons' total and has no pf reason of its own).
 */
void dp_stats_pfres(const struct dp_stats *s, uint64_t pf[PFRES_MAX]);

#endif /* DPF_DP_STATS_H */
