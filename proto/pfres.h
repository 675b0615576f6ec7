/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pf's drop/match reasons (PFRES_*).  The order is the wire value carried in
 * the pflog header's reason byte and the order pfctl prints its "Counters"
 * section in [OpenBSD sys/net/pfvar.h PFRES_*, PFRES_NAMES].
 * Finer-grained reasons (the packet parser's, the state table's) map onto
 * these for pf-compatible counters and logs.
 */
#ifndef DPF_PROTO_PFRES_H
#define DPF_PROTO_PFRES_H

#include "proto/proto.h"

#define PFRES_LIST(_)                           \
	_(MATCH, "match")                       \
	_(BADOFF, "bad-offset")                 \
	_(FRAG, "fragment")                     \
	_(SHORT, "short")                       \
	_(NORM, "normalize")                    \
	_(MEMORY, "memory")                     \
	_(TS, "bad-timestamp")                  \
	_(CONGEST, "congestion")                \
	_(IPOPTIONS, "ip-option")               \
	_(PROTCKSUM, "proto-cksum")             \
	_(BADSTATE, "state-mismatch")           \
	_(STATEINS, "state-insert")             \
	_(MAXSTATES, "state-limit")             \
	_(SRCLIMIT, "src-limit")                \
	_(SYNPROXY, "synproxy")                 \
	_(TRANSLATE, "translate")               \
	_(NOROUTE, "no-route")

enum pfres {
#define PFRES_ENUM(sym, str) PFRES_##sym,
	PFRES_LIST(PFRES_ENUM)
#undef PFRES_ENUM
	PFRES_MAX
};

_Static_assert(PFRES_MAX == 17, "pf has 17 reasons (PFRES_MAX)");

/* Name of a reason as pfctl prints it, "?" for an out-of-range value. */
static inline PROTO_NAME_FN(pfres_name, unsigned int, PFRES_LIST, PFRES_MAX);

#endif /* DPF_PROTO_PFRES_H */
