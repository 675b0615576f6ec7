/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pf's timeouts and limits by name, with OpenBSD's defaults.
 *
 * The timeout order is PFTM_*'s index order, which pfsync carries in the
 * state's `timeout` byte [OpenBSD sys/net/pfvar.h PFTM_*, *_VAL;
 * pf_ioctl.c pfattach].  Values are seconds, except the
 * adaptive thresholds, which are state counts.
 */
#ifndef DPF_PROTO_PFTM_H
#define DPF_PROTO_PFTM_H

#include <stdint.h>

#define PFTM_LIST(_)                                    \
	_(TCP_FIRST_PACKET, "tcp.first", 120)           \
	_(TCP_OPENING, "tcp.opening", 30)               \
	_(TCP_ESTABLISHED, "tcp.established", 86400)    \
	_(TCP_CLOSING, "tcp.closing", 900)              \
	_(TCP_FIN_WAIT, "tcp.finwait", 45)              \
	_(TCP_CLOSED, "tcp.closed", 90)                 \
	_(UDP_FIRST_PACKET, "udp.first", 60)            \
	_(UDP_SINGLE, "udp.single", 30)                 \
	_(UDP_MULTIPLE, "udp.multiple", 60)             \
	_(ICMP_FIRST_PACKET, "icmp.first", 20)          \
	_(ICMP_ERROR_REPLY, "icmp.error", 10)           \
	_(OTHER_FIRST_PACKET, "other.first", 60)        \
	_(OTHER_SINGLE, "other.single", 30)             \
	_(OTHER_MULTIPLE, "other.multiple", 60)         \
	_(FRAG, "frag", 60)                             \
	_(INTERVAL, "interval", 10)                     \
	_(ADAPTIVE_START, "adaptive.start", 60000)      \
	_(ADAPTIVE_END, "adaptive.end", 120000)         \
	_(SRC_NODE, "src.track", 0)                     \
	_(TS_DIFF, "tcp.tsdiff", 30)

enum pftm {
#define PFTM_ENUM(sym, str, def) PFTM_##sym,
	PFTM_LIST(PFTM_ENUM)
#undef PFTM_ENUM
	PFTM_MAX
};

_Static_assert(PFTM_MAX == 20, "pf has 20 timeouts (PFTM_MAX)");

/* pf.conf name of a timeout index, "?" when >= PFTM_MAX (proto/pfsync.c). */
const char *pftm_name(unsigned int t);
/* Default value of a timeout index, 0 when >= PFTM_MAX. */
uint32_t pftm_default(unsigned int t);
/* The defaults by index, a table of timeouts to point at. */
extern const uint32_t pftm_defaults[PFTM_MAX];

/* Special timeout values of a state, never configured [OpenBSD pfvar.h]. */
#define PFTM_PURGE 21
#define PFTM_UNLINKED 22

/*
 * Limits (`set limit`) with pf's defaults [OpenBSD pfvar.h PFSTATE_HIWAT,
 * PFSNODE_HIWAT, PFFRAG_FRENT_HIWAT, PFR_KTABLE_HIWAT, PFR_KENTRY_HIWAT].
 */
#define PFLIMIT_LIST(_)                                 \
	_(STATES, "states", 100000)                     \
	_(SRC_NODES, "src-nodes", 10000)                \
	_(FRAGS, "frags", 5000)                         \
	_(TABLES, "tables", 1000)                       \
	_(TABLE_ENTRIES, "table-entries", 200000)

enum pflimit {
#define PFLIMIT_ENUM(sym, str, def) PFLIMIT_##sym,
	PFLIMIT_LIST(PFLIMIT_ENUM)
#undef PFLIMIT_ENUM
	PFLIMIT_MAX
};

#endif /* DPF_PROTO_PFTM_H */
