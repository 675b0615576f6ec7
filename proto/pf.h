/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pf's vocabulary, defined once: the values pf puts on the wire (pflog,
 * pfsync) and that the tracker, the filter and the rules share.  Beside
 * pfres.h (reasons) and pftm.h (timeouts and limits).
 *
 *  - BSD address families (pflog and pfsync carry them; Linux's AF_INET6
 *    is 10, OpenBSD's 24) [OpenBSD sys/sys/socket.h].
 *  - Rule actions and directions [OpenBSD sys/net/pfvar.h PF_PASS..,
 *    PF_INOUT..], named as tcpdump prints them [tcpdump print-pflog.c].
 *  - Peer levels: TCP peers use BSD TCPS_* [sys/netinet/tcp_fsm.h] plus
 *    pf's two synproxy levels, named as pfctl prints them (tcpstates[]);
 *    UDP and other peers use PFUDPS_* / PFOTHERS_* (0/1/2) [pfvar.h].
 *  - TCP header flags [RFC 9293 3.1; RFC 3168 for ECE/CWR].
 *
 * Each list is one X-macro; the static asserts pin the wire values.
 */
#ifndef DPF_PROTO_PF_H
#define DPF_PROTO_PF_H

/* BSD address family values. */
#define PF_AF_INET		2
#define PF_AF_INET6		24

/* pf rule actions: symbol, name. */
#define PF_ACTION_LIST(_)			\
	_(PASS,			"pass")		\
	_(DROP,			"block")	\
	_(SCRUB,		"scrub")	\
	_(NOSCRUB,		"noscrub")	\
	_(NAT,			"nat")		\
	_(NONAT,		"nonat")	\
	_(BINAT,		"binat")	\
	_(NOBINAT,		"nobinat")	\
	_(RDR,			"rdr")		\
	_(NORDR,		"nordr")	\
	_(SYNPROXY_DROP,	"synproxy-drop")	\
	_(DEFER,		"defer")	\
	_(MATCH,		"match")	\
	_(DIVERT,		"divert")	\
	_(RT,			"rt")		\
	_(AFRT,			"afrt")

enum pf_action {
#define PF_ACTION_ENUM(sym, name) PF_##sym,
	PF_ACTION_LIST(PF_ACTION_ENUM)
#undef PF_ACTION_ENUM
	PF_ACTION_MAX
};

_Static_assert(PF_MATCH == 12 && PF_AFRT == 15, "pf action values are on the wire");

/* pf directions: symbol, name. */
#define PF_DIR_LIST(_)				\
	_(INOUT,	"in/out")		\
	_(IN,		"in")			\
	_(OUT,		"out")			\
	_(FWD,		"fwd")

enum pf_dir {
#define PF_DIR_ENUM(sym, name) PF_##sym,
	PF_DIR_LIST(PF_DIR_ENUM)
#undef PF_DIR_ENUM
	PF_DIR_MAX
};

_Static_assert(PF_IN == 1 && PF_OUT == 2, "pf direction values are on the wire");

/* TCP peer levels: symbol, name. */
#define PF_TCPS_LIST(_)				\
	_(CLOSED,	"CLOSED")		\
	_(LISTEN,	"LISTEN")		\
	_(SYN_SENT,	"SYN_SENT")		\
	_(SYN_RECEIVED,	"SYN_RCVD")		\
	_(ESTABLISHED,	"ESTABLISHED")		\
	_(CLOSE_WAIT,	"CLOSE_WAIT")		\
	_(FIN_WAIT_1,	"FIN_WAIT_1")		\
	_(CLOSING,	"CLOSING")		\
	_(LAST_ACK,	"LAST_ACK")		\
	_(FIN_WAIT_2,	"FIN_WAIT_2")		\
	_(TIME_WAIT,	"TIME_WAIT")		\
	_(PROXY_SRC,	"PROXY:SRC")		\
	_(PROXY_DST,	"PROXY:DST")

enum pf_tcps {
#define PF_TCPS_ENUM(sym, name) PF_TCPS_##sym,
	PF_TCPS_LIST(PF_TCPS_ENUM)
#undef PF_TCPS_ENUM
	PF_TCPS_MAX
};

_Static_assert(PF_TCPS_ESTABLISHED == 4 && PF_TCPS_TIME_WAIT == 10 &&
	       PF_TCPS_PROXY_DST == 12, "BSD TCPS_* values are on the wire");

/* UDP and other peer levels (PFUDPS_*, PFOTHERS_*: the same values). */
#define PF_PEER_NO_TRAFFIC	0
#define PF_PEER_SINGLE		1
#define PF_PEER_MULTIPLE	2

/* TCP flags, byte 13 of the header. */
#define PF_TH_FIN		0x01
#define PF_TH_SYN		0x02
#define PF_TH_RST		0x04
#define PF_TH_PUSH		0x08
#define PF_TH_ACK		0x10
#define PF_TH_URG		0x20
#define PF_TH_ECE		0x40
#define PF_TH_CWR		0x80

/* Names of the values above; "?" when out of range. */
const char *pf_action_name(unsigned int a);
const char *pf_dir_name(unsigned int d);
const char *pf_tcps_name(unsigned int s);

#endif /* DPF_PROTO_PF_H */
