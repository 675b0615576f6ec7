/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pfsync version 6, the state synchronization protocol of OpenBSD pf.
 *
 * Facts come from OpenBSD if_pfsync.h 1.65, if_pfsync.c 1.332 and pfvar.h
 * 1.543, cited in brackets where used.  Nothing here is copied from those
 * files: the layouts below are rebuilt from their field offsets.
 *
 * A pfsync frame (IPv4 protocol 240, TTL 255) is a header followed by
 * sections, each a subheader and `count` records of `len` 32-bit words:
 *
 *	+--------------------+
 *	| IPv4 header        |  20 bytes, the caller's (pfsync_check_ip4)
 *	+--------------------+
 *	| pfsync_header      |  version 6, len = bytes from here to the end
 *	+--------------------+
 *	| pfsync_subheader   |  action, len (words per record), count
 *	| record 0 .. count-1|  at stride len * 4
 *	+--------------------+
 *	| pfsync_subheader   |
 *	| ...                |
 *	+--------------------+
 *
 * There is no end-of-frame marker: sections run to the header's len.
 *
 * Host forms.  Every record has a host-side struct with each field decoded
 * to host byte order.  Two fields are carried "raw" by OpenBSD (the kernel
 * keeps them big-endian and copies them unchanged, §3.4/3.5): the state
 * `id` and the `creatorid`.  Here the host form holds the numeric value of
 * those big-endian wire bytes (id 0x0102030405060708 is the wire bytes
 * 01 02 ... 08), which is the counter value OpenBSD incremented and the
 * hostid as `set hostid` wrote it.  Encoding writes them back big-endian, so
 * decode followed by encode reproduces every byte, except the fields the
 * host form deliberately drops: padding (written as 0), pfsync_state's
 * nat_rule (always written 0xffffffff) and the header's pfcksum (zeros).
 * Multi-byte fields are written with proto_wr*(), so nothing depends on host
 * byte order or on buffer alignment.
 */
#ifndef DPF_PROTO_PFSYNC_H
#define DPF_PROTO_PFSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/pf.h"
#include "proto/pftm.h"
#include "proto/proto.h"

/* ---------------------------------------------------------------------------
 * Constants [OpenBSD netinet/in.h, OpenBSD if_pfsync.h, OpenBSD if_pfsync.c]
 */
#define IPPROTO_PFSYNC		240	/* IP protocol number */
#define PFSYNC_VERSION		6	/* OpenBSD; FreeBSD speaks 5 (§3.12) */
#define PFSYNC_DFLTTL		255	/* sent with, and required on receipt */
#define PFSYNC_GROUP_ADDR	0xe00000f0u	/* 224.0.0.240, host order */
#define PFSYNC_GROUP_MAC	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0xf0 }
#define PFSYNC_IP4_HLEN		20	/* the IPv4 header pfsync sends (no options) */
#define PFSYNC_HDRLEN		20	/* sizeof(struct pfsync_header) */
#define PFSYNC_SUBHLEN		4	/* sizeof(struct pfsync_subheader) */
#define PFSYNC_MINPKT		(PFSYNC_IP4_HLEN + PFSYNC_HDRLEN)	/* 40 */
#define PFSYNC_DFLTMTU		1500	/* pfsync interface default MTU */
#define PFSYNC_IP4_TOS		0x10	/* IPTOS_LOWDELAY */
#define PFSYNC_IFNAMSIZ		16	/* IFNAMSIZ: NUL-padded, maybe unterminated */
#define PFSYNC_ETH_HLEN		14
/* Bytes pfsync_build_frame4() writes in front of the pfsync header. */
#define PFSYNC_FRAME4_HLEN	(PFSYNC_ETH_HLEN + PFSYNC_IP4_HLEN)	/* 34 */

/* pfsync_state.rt: route type [OpenBSD pfvar.h, §3.4]. */
#define PFSYNC_RT_NONE		0	/* PF_NOPFROUTE */
#define PFSYNC_RT_ROUTETO	1
#define PFSYNC_RT_DUPTO		2
#define PFSYNC_RT_REPLYTO	3

/* pfsync_state.sync_flags [§3.4]. */
#define PFSYNC_FLAG_SRCNODE	0x04
#define PFSYNC_FLAG_NATSRCNODE	0x08

/* pfsync_state_scrub [§3.4]. */
#define PFSYNC_PFSS_TIMESTAMP	0x0001	/* the only pfss_flags bit exported */
#define PFSYNC_SCRUB_FLAG_VALID	0x01

/* pfsync_bus.status [§3.3]. */
#define PFSYNC_BUS_START	1
#define PFSYNC_BUS_END		2

/* pfsync_state.state_flags, PFSTATE_* (u16) [OpenBSD pfvar.h, §3.10]. */
#define PFSTATE_ALLOWOPTS	0x0001
#define PFSTATE_SLOPPY		0x0002
#define PFSTATE_PFLOW		0x0004
#define PFSTATE_NOSYNC		0x0008
#define PFSTATE_ACK		0x0010	/* sender holds a deferred packet */
#define PFSTATE_NODF		0x0020
#define PFSTATE_SETTOS		0x0040
#define PFSTATE_RANDOMID	0x0080
#define PFSTATE_SCRUB_TCP	0x0100
#define PFSTATE_SETPRIO		0x0200
#define PFSTATE_INP_UNLINKED	0x0400

/* ---------------------------------------------------------------------------
 * Action codes: symbol, name, record size in bytes (0: not parsed here, the
 * section is skipped) [OpenBSD if_pfsync.h PFSYNC_ACT_*].  The
 * sizes are checked against the structs below.
 */
#define PFSYNC_ACT_LIST(_)			\
	_(CLR,		"clr",		20)	\
	_(OINS,		"oins",		0)	\
	_(INS_ACK,	"ins_ack",	12)	\
	_(OUPD,		"oupd",		0)	\
	_(UPD_C,	"upd_c",	84)	\
	_(UPD_REQ,	"upd_req",	12)	\
	_(DEL,		"del",		264)	\
	_(DEL_C,	"del_c",	12)	\
	_(INS_F,	"ins_f",	0)	\
	_(DEL_F,	"del_f",	0)	\
	_(BUS,		"bus",		12)	\
	_(OTDB,		"otdb",		0)	\
	_(EOF,		"eof",		0)	\
	_(INS,		"ins",		264)	\
	_(UPD,		"upd",		264)	\
	_(TDB,		"tdb",		52)

enum pfsync_act {
#define PFSYNC_ACT_ENUM(sym, name, size) PFSYNC_ACT_##sym,
	PFSYNC_ACT_LIST(PFSYNC_ACT_ENUM)
#undef PFSYNC_ACT_ENUM
	PFSYNC_ACT_MAX
};

_Static_assert(PFSYNC_ACT_MAX == 16, "OpenBSD v6 has 16 actions");
_Static_assert(PFSYNC_ACT_INS == 13 && PFSYNC_ACT_UPD == 14 && PFSYNC_ACT_TDB == 15,
	       "action codes are wire values");

/* Name of an action, "?" when unknown. */
const char *pfsync_act_name(unsigned int action);
/* Record size of an action we parse, 0 for one we only skip or don't know. */
size_t pfsync_act_size(unsigned int action);

/* ---------------------------------------------------------------------------
 * Timeouts: symbol, pf.conf name, default (seconds; states for the adaptive
 * pair).  The index is the value of pfsync_state.timeout and upd_c.timeout
 * [OpenBSD pfvar.h PFTM_*, OpenBSD pf_ioctl.c pfattach].
 */
/* PFTM_LIST, enum pftm, PFTM_PURGE and PFTM_UNLINKED: proto/pftm.h. */

_Static_assert(PFTM_MAX == 20 && PFTM_UNLINKED == 22, "PFTM numbering is on the wire");


/* Peer states (pfsync_state_peer.state) are pf.h's PF_TCPS_* and PF_PEER_*. */

/* ---------------------------------------------------------------------------
 * pfsyncstats: OpenBSD's 16 u64 counters, in order (sysctl net.pfsync.stats)
 * [OpenBSD if_pfsync.h].
 */
#define PFSYNC_STATS_LIST(_)					\
	_(IPACKETS,	"ipackets",	"packets received (IPv4)") \
	_(IPACKETS6,	"ipackets6",	"packets received (IPv6)") \
	_(BADIF,	"badif",	"received on a wrong interface") \
	_(BADTTL,	"badttl",	"received with TTL not 255") \
	_(HDROPS,	"hdrops",	"shorter than the header") \
	_(BADVER,	"badver",	"bad version") \
	_(BADACT,	"badact",	"bad action") \
	_(BADLEN,	"badlen",	"bad length") \
	_(BADAUTH,	"badauth",	"bad authentication") \
	_(STALE,	"stale",	"stale updates") \
	_(BADVAL,	"badval",	"records with bad values") \
	_(BADSTATE,	"badstate",	"failed state lookups or inserts") \
	_(OPACKETS,	"opackets",	"packets sent (IPv4)") \
	_(OPACKETS6,	"opackets6",	"packets sent (IPv6)") \
	_(ONOMEM,	"onomem",	"send failed for lack of memory") \
	_(OERRORS,	"oerrors",	"send errors")

enum pfsync_stat {
#define PFSYNC_STAT_ENUM(sym, name, descr) PFSYNC_STAT_##sym,
	PFSYNC_STATS_LIST(PFSYNC_STAT_ENUM)
#undef PFSYNC_STAT_ENUM
	PFSYNC_STAT_MAX
};

_Static_assert(PFSYNC_STAT_MAX == 16, "struct pfsyncstats has 16 counters");

const char *pfsync_stat_name(unsigned int s);
const char *pfsync_stat_descr(unsigned int s);

/* ---------------------------------------------------------------------------
 * Input errors: symbol, the pfsyncstats counter it is counted under, text.
 * The order of the checks follows OpenBSD pfsync_input [OpenBSD if_pfsync.c, §3.1]:
 * TTL, header size, version, header len, then per section.
 */
#define PFSYNC_ERR_LIST(_)						\
	_(NOTPFSYNC,	HDROPS,	"not an IPv4 packet of protocol 240")	\
	_(BADTTL,	BADTTL,	"IP TTL is not 255")			\
	_(HDROPS,	HDROPS,	"shorter than the pfsync header")	\
	_(BADVER,	BADVER,	"pfsync version is not 6")		\
	_(BADLEN,	BADLEN,	"length beyond the data")		\
	_(BADACT,	BADACT,	"unknown action without len or count")	\
	_(BADVAL,	BADVAL,	"record field out of range")

enum pfsync_err {
	PFSYNC_OK = 0,
#define PFSYNC_ERR_ENUM(sym, stat, descr) PFSYNC_ERR_##sym,
	PFSYNC_ERR_LIST(PFSYNC_ERR_ENUM)
#undef PFSYNC_ERR_ENUM
	PFSYNC_ERR_MAX
};

/* The pfsyncstats counter an error is counted under; PFSYNC_OK gives ipackets. */
enum pfsync_stat pfsync_err_stat(enum pfsync_err err);
/* "ok", or the text of an error. */
const char *pfsync_err_str(enum pfsync_err err);

/* ---------------------------------------------------------------------------
 * Wire structs, all packed, multi-byte fields big-endian unless said "raw".
 * Offsets are those of OpenBSD's wire structs (if_pfsync.h, pfvar.h); only the
 * _Static_asserts use them, all access goes through the encode/decode functions.
 */

/* Frame header */
struct pfsync_header {
	uint8_t version;		/* PFSYNC_VERSION */
	uint8_t _pad;
	dpf_be16_t len;			/* header + sections, IP header excluded */
	uint8_t pfcksum[16];		/* ruleset MD5 slot: zeros, ignored */
} PROTO_PACKED;

/* Section subheader */
struct pfsync_subheader {
	uint8_t action;			/* PFSYNC_ACT_* */
	uint8_t len;			/* one record, in 32-bit words */
	dpf_be16_t count;		/* records that follow */
} PROTO_PACKED;

struct pfsync_state_scrub {
	dpf_be16_t pfss_flags;		/* PFSYNC_PFSS_TIMESTAMP */
	uint8_t pfss_ttl;
	uint8_t scrub_flag;		/* PFSYNC_SCRUB_FLAG_VALID */
	dpf_be32_t pfss_ts_mod;
} PROTO_PACKED;

struct pfsync_state_peer {
	struct pfsync_state_scrub scrub;
	dpf_be32_t seqlo;
	dpf_be32_t seqhi;
	dpf_be32_t seqdiff;
	dpf_be16_t max_win;
	dpf_be16_t mss;
	uint8_t state;			/* TCPS_* or PFUDPS_* */
	uint8_t wscale;
	uint8_t pad[6];
} PROTO_PACKED;

struct pfsync_state_key {
	uint8_t addr[2][16];		/* pf_addr; IPv4 in the first 4 bytes */
	dpf_be16_t port[2];
	dpf_be16_t rdomain;
	uint8_t af;			/* 0: same as pfsync_state.af */
	uint8_t pad;
} PROTO_PACKED;

/* INS, UPD, DEL */
struct pfsync_state {
	dpf_be64_t id;			/* raw (big-endian in the kernel) */
	char ifname[PFSYNC_IFNAMSIZ];
	struct pfsync_state_key key[2];	/* [0] wire (PF_SK_WIRE), [1] stack */
	struct pfsync_state_peer src;
	struct pfsync_state_peer dst;
	uint8_t rt_addr[16];
	dpf_be32_t rule;		/* 0xffffffff: none */
	dpf_be32_t anchor;		/* 0xffffffff: none */
	dpf_be32_t nat_rule;		/* always 0xffffffff */
	dpf_be32_t creation;		/* age in seconds */
	dpf_be32_t expire;		/* seconds left */
	dpf_be32_t packets[2][2];	/* u64 each as [hi32, lo32] */
	dpf_be32_t bytes[2][2];
	dpf_be32_t creatorid;		/* raw (network order hostid) */
	dpf_be32_t rtableid[2];		/* int32 [wire, stack] */
	dpf_be16_t max_mss;
	uint8_t af;
	uint8_t proto;
	uint8_t direction;
	uint8_t log;
	uint8_t rt;
	uint8_t timeout;		/* PFTM_* */
	uint8_t sync_flags;
	uint8_t updates;
	uint8_t min_ttl;
	uint8_t set_tos;
	dpf_be16_t state_flags;		/* PFSTATE_* */
	uint8_t set_prio[2];
} PROTO_PACKED;

/* UPD_C */
struct pfsync_upd_c {
	dpf_be64_t id;
	struct pfsync_state_peer src;
	struct pfsync_state_peer dst;
	dpf_be32_t creatorid;
	dpf_be32_t expire;		/* sent as 0, ignored */
	uint8_t timeout;
	uint8_t state_flags;		/* sent as 0 */
	uint8_t _pad[2];
} PROTO_PACKED;

/* INS_ACK, UPD_REQ and DEL_C share this layout */
struct pfsync_ins_ack {
	dpf_be64_t id;
	dpf_be32_t creatorid;
} PROTO_PACKED;

struct pfsync_upd_req {
	dpf_be64_t id;			/* id 0, creatorid 0: request a bulk update */
	dpf_be32_t creatorid;
} PROTO_PACKED;

struct pfsync_del_c {
	dpf_be64_t id;
	dpf_be32_t creatorid;
} PROTO_PACKED;

/* CLR */
struct pfsync_clr {
	char ifname[PFSYNC_IFNAMSIZ];	/* empty: all interfaces */
	dpf_be32_t creatorid;
} PROTO_PACKED;

/* BUS */
struct pfsync_bus {
	dpf_be32_t creatorid;
	dpf_be32_t endtime;		/* OpenBSD sends 0 and ignores it */
	uint8_t status;			/* PFSYNC_BUS_START / _END */
	uint8_t _pad[3];
} PROTO_PACKED;

/* TDB */
struct pfsync_tdb {
	dpf_be32_t spi;			/* raw, network order */
	uint8_t dst[28];		/* BSD sockaddr_union (sa_len, sa_family, ...) */
	dpf_be64_t rpl;
	dpf_be64_t cur_bytes;
	uint8_t sproto;
	uint8_t updates;
	dpf_be16_t rdomain;
} PROTO_PACKED;

_Static_assert(sizeof(struct pfsync_header) == 20, "pfsync_header is 20 bytes");
_Static_assert(offsetof(struct pfsync_header, len) == 2, "header len @2");
_Static_assert(offsetof(struct pfsync_header, pfcksum) == 4, "header pfcksum @4");
_Static_assert(sizeof(struct pfsync_subheader) == 4, "pfsync_subheader is 4 bytes");
_Static_assert(offsetof(struct pfsync_subheader, count) == 2, "subheader count @2");
_Static_assert(sizeof(struct pfsync_state_scrub) == 8, "pfsync_state_scrub is 8 bytes");
_Static_assert(offsetof(struct pfsync_state_scrub, pfss_ts_mod) == 4, "scrub ts_mod @4");
_Static_assert(sizeof(struct pfsync_state_peer) == 32, "pfsync_state_peer is 32 bytes");
_Static_assert(offsetof(struct pfsync_state_peer, seqlo) == 8, "peer seqlo @8");
_Static_assert(offsetof(struct pfsync_state_peer, max_win) == 20, "peer max_win @20");
_Static_assert(offsetof(struct pfsync_state_peer, state) == 24, "peer state @24");
_Static_assert(offsetof(struct pfsync_state_peer, pad) == 26, "peer pad @26");
_Static_assert(sizeof(struct pfsync_state_key) == 40, "pfsync_state_key is 40 bytes");
_Static_assert(offsetof(struct pfsync_state_key, port) == 32, "key port @32");
_Static_assert(offsetof(struct pfsync_state_key, rdomain) == 36, "key rdomain @36");
_Static_assert(offsetof(struct pfsync_state_key, af) == 38, "key af @38");
_Static_assert(sizeof(struct pfsync_state) == 264, "pfsync_state is 264 bytes");
_Static_assert(offsetof(struct pfsync_state, ifname) == 8, "state ifname @8");
_Static_assert(offsetof(struct pfsync_state, key) == 24, "state key @24");
_Static_assert(offsetof(struct pfsync_state, src) == 104, "state src @104");
_Static_assert(offsetof(struct pfsync_state, dst) == 136, "state dst @136");
_Static_assert(offsetof(struct pfsync_state, rt_addr) == 168, "state rt_addr @168");
_Static_assert(offsetof(struct pfsync_state, rule) == 184, "state rule @184");
_Static_assert(offsetof(struct pfsync_state, nat_rule) == 192, "state nat_rule @192");
_Static_assert(offsetof(struct pfsync_state, creation) == 196, "state creation @196");
_Static_assert(offsetof(struct pfsync_state, expire) == 200, "state expire @200");
_Static_assert(offsetof(struct pfsync_state, packets) == 204, "state packets @204");
_Static_assert(offsetof(struct pfsync_state, bytes) == 220, "state bytes @220");
_Static_assert(offsetof(struct pfsync_state, creatorid) == 236, "state creatorid @236");
_Static_assert(offsetof(struct pfsync_state, rtableid) == 240, "state rtableid @240");
_Static_assert(offsetof(struct pfsync_state, max_mss) == 248, "state max_mss @248");
_Static_assert(offsetof(struct pfsync_state, af) == 250, "state af @250");
_Static_assert(offsetof(struct pfsync_state, timeout) == 255, "state timeout @255");
_Static_assert(offsetof(struct pfsync_state, updates) == 257, "state updates @257");
_Static_assert(offsetof(struct pfsync_state, state_flags) == 260, "state state_flags @260");
_Static_assert(offsetof(struct pfsync_state, set_prio) == 262, "state set_prio @262");
_Static_assert(sizeof(struct pfsync_upd_c) == 84, "pfsync_upd_c is 84 bytes");
_Static_assert(offsetof(struct pfsync_upd_c, src) == 8, "upd_c src @8");
_Static_assert(offsetof(struct pfsync_upd_c, dst) == 40, "upd_c dst @40");
_Static_assert(offsetof(struct pfsync_upd_c, creatorid) == 72, "upd_c creatorid @72");
_Static_assert(offsetof(struct pfsync_upd_c, timeout) == 80, "upd_c timeout @80");
_Static_assert(sizeof(struct pfsync_ins_ack) == 12, "pfsync_ins_ack is 12 bytes");
_Static_assert(sizeof(struct pfsync_upd_req) == 12, "pfsync_upd_req is 12 bytes");
_Static_assert(sizeof(struct pfsync_del_c) == 12, "pfsync_del_c is 12 bytes");
_Static_assert(offsetof(struct pfsync_del_c, creatorid) == 8, "del_c creatorid @8");
_Static_assert(sizeof(struct pfsync_clr) == 20, "pfsync_clr is 20 bytes");
_Static_assert(offsetof(struct pfsync_clr, creatorid) == 16, "clr creatorid @16");
_Static_assert(sizeof(struct pfsync_bus) == 12, "pfsync_bus is 12 bytes");
_Static_assert(offsetof(struct pfsync_bus, status) == 8, "bus status @8");
_Static_assert(sizeof(struct pfsync_tdb) == 52, "pfsync_tdb is 52 bytes");
_Static_assert(offsetof(struct pfsync_tdb, rpl) == 32, "tdb rpl @32");
_Static_assert(offsetof(struct pfsync_tdb, sproto) == 48, "tdb sproto @48");
_Static_assert(offsetof(struct pfsync_tdb, rdomain) == 50, "tdb rdomain @50");

/* ---------------------------------------------------------------------------
 * Host forms.  Integers are host order; see the file comment for id and
 * creatorid.  Byte arrays (addresses, names, sockaddr) are copied as is.
 */
struct pfsync_scrub_host {
	uint16_t pfss_flags;
	uint8_t pfss_ttl;
	uint8_t scrub_flag;
	uint32_t pfss_ts_mod;
};

struct pfsync_peer_host {
	struct pfsync_scrub_host scrub;
	uint32_t seqlo;
	uint32_t seqhi;
	uint32_t seqdiff;
	uint16_t max_win;
	uint16_t mss;
	uint8_t state;
	uint8_t wscale;
};

struct pfsync_key_host {
	uint8_t addr[2][16];
	uint16_t port[2];		/* host order; the wire is big-endian */
	uint16_t rdomain;
	uint8_t af;
};

struct pfsync_state_host {
	uint64_t id;			/* numeric value of the big-endian wire bytes */
	char ifname[PFSYNC_IFNAMSIZ];	/* as on the wire: bound reads with strnlen */
	struct pfsync_key_host key[2];	/* [0] wire side, [1] stack side */
	struct pfsync_peer_host src;
	struct pfsync_peer_host dst;
	uint8_t rt_addr[16];
	uint32_t rule;
	uint32_t anchor;
	uint32_t creation;		/* age, seconds */
	uint32_t expire;		/* seconds left */
	uint64_t packets[2];
	uint64_t bytes[2];
	uint32_t creatorid;		/* numeric value of the big-endian wire bytes */
	int32_t rtableid[2];
	uint16_t max_mss;
	uint8_t af;
	uint8_t proto;
	uint8_t direction;
	uint8_t log;
	uint8_t rt;
	uint8_t timeout;
	uint8_t sync_flags;
	uint8_t updates;
	uint8_t min_ttl;
	uint8_t set_tos;
	uint16_t state_flags;
	uint8_t set_prio[2];
};

struct pfsync_upd_c_host {
	uint64_t id;
	struct pfsync_peer_host src;
	struct pfsync_peer_host dst;
	uint32_t creatorid;
	uint32_t expire;
	uint8_t timeout;
	uint8_t state_flags;
};

/* INS_ACK, UPD_REQ, DEL_C */
struct pfsync_id_host {
	uint64_t id;
	uint32_t creatorid;
};

struct pfsync_clr_host {
	char ifname[PFSYNC_IFNAMSIZ];
	uint32_t creatorid;
};

struct pfsync_bus_host {
	uint32_t creatorid;
	uint32_t endtime;
	uint8_t status;
};

struct pfsync_tdb_host {
	uint32_t spi;			/* numeric value of the wire bytes */
	uint8_t dst[28];
	uint64_t rpl;
	uint64_t cur_bytes;
	uint8_t sproto;
	uint8_t updates;
	uint16_t rdomain;
};

/* Any record's host form; which member is given by the action. */
union pfsync_rec_host {
	struct pfsync_state_host state;		/* INS, UPD, DEL */
	struct pfsync_upd_c_host upd_c;
	struct pfsync_id_host id;		/* INS_ACK, UPD_REQ, DEL_C */
	struct pfsync_clr_host clr;
	struct pfsync_bus_host bus;
	struct pfsync_tdb_host tdb;
};

/*
 * Record encode/decode.  `rec` holds (decode) or receives (encode) exactly
 * sizeof the wire struct; the caller has checked the space.  Encoding
 * writes every byte of the record, padding as 0.
 */
void pfsync_state_encode(uint8_t *rec, const struct pfsync_state_host *s);
void pfsync_state_decode(const uint8_t *rec, struct pfsync_state_host *s);
void pfsync_upd_c_encode(uint8_t *rec, const struct pfsync_upd_c_host *u);
void pfsync_upd_c_decode(const uint8_t *rec, struct pfsync_upd_c_host *u);
void pfsync_id_encode(uint8_t *rec, const struct pfsync_id_host *r);
void pfsync_id_decode(const uint8_t *rec, struct pfsync_id_host *r);
void pfsync_clr_encode(uint8_t *rec, const struct pfsync_clr_host *c);
void pfsync_clr_decode(const uint8_t *rec, struct pfsync_clr_host *c);
void pfsync_bus_encode(uint8_t *rec, const struct pfsync_bus_host *b);
void pfsync_bus_decode(const uint8_t *rec, struct pfsync_bus_host *b);
void pfsync_tdb_encode(uint8_t *rec, const struct pfsync_tdb_host *t);
void pfsync_tdb_decode(const uint8_t *rec, struct pfsync_tdb_host *t);

/*
 * Decode/encode by action.  `host` points to the host struct that matches
 * the action (union pfsync_rec_host lists them).  decode returns 0, or -1
 * for an action without a record layout here; encode returns the record
 * size, or 0 for such an action.
 */
__attribute__((warn_unused_result))
int pfsync_rec_decode(unsigned int action, const uint8_t *rec, void *host);
__attribute__((warn_unused_result))
size_t pfsync_rec_encode(unsigned int action, uint8_t *rec, const void *host);

/*
 * Value checks OpenBSD applies before using a record [OpenBSD if_pfsync.c
 * pfsync_in_ins, pfsync_in_upd, pfsync_in_upd_c; §3.7].  INS: timeout <
 * PFTM_MAX, peer states <= PF_TCPS_PROXY_DST, direction <= PF_OUT, af INET
 * or INET6, key afs both 0 or both INET/INET6.  UPD and UPD_C: timeout and
 * peer states only.  PFSYNC_ERR_BADVAL when a check fails.
 */
enum pfsync_err pfsync_state_check_ins(const struct pfsync_state_host *s);
enum pfsync_err pfsync_state_check_upd(const struct pfsync_state_host *s);
enum pfsync_err pfsync_upd_c_check(const struct pfsync_upd_c_host *u);

/* ---------------------------------------------------------------------------
 * Input
 */

/*
 * Checks an IPv4 packet that should carry pfsync: version 4, a complete
 * header, protocol 240 (else PFSYNC_ERR_NOTPFSYNC), TTL 255
 * (PFSYNC_ERR_BADTTL).  On success *hoff is the offset of the pfsync header
 * and *plen the pfsync bytes present, bounded by the IP total length
 * (Ethernet padding excluded).  The header checksum, fragments and the
 * arrival interface (badif) are the caller's business.
 */
__attribute__((warn_unused_result))
enum pfsync_err pfsync_check_ip4(const uint8_t *ip, size_t len, size_t *hoff, size_t *plen);

/*
 * Checks the pfsync header at buf: at least 20 bytes (HDROPS), version 6
 * (BADVER), header len <= len (BADLEN).  *plen receives the header's len:
 * bytes past it are ignored, as OpenBSD truncates the packet to it.
 */
__attribute__((warn_unused_result))
enum pfsync_err pfsync_parse_hdr(const uint8_t *buf, size_t len, size_t *plen);

/* One section: `count` records of action `action`, `stride` bytes apart. */
struct pfsync_section {
	const uint8_t *rec;		/* first record */
	size_t stride;			/* subheader len * 4, >= pfsync_act_size() */
	uint16_t count;
	uint8_t action;
};

struct pfsync_iter {
	const uint8_t *it_buf;		/* the pfsync header */
	size_t it_len;			/* header len: the end of the sections */
	size_t it_off;			/* next subheader */
	enum pfsync_err it_err;		/* why iteration stopped, PFSYNC_OK at the end */
	uint32_t it_skipped;		/* sections skipped without error */
};

/*
 * Starts iterating over the sections of the packet at buf (the pfsync
 * header).  Returns pfsync_parse_hdr()'s verdict; on error the iterator
 * yields no section.
 */
__attribute__((warn_unused_result))
enum pfsync_err pfsync_iter_init(struct pfsync_iter *it, const uint8_t *buf, size_t len);

/*
 * Yields the next section to process.  Returns 1 with *sec filled, 0 at the
 * end of the packet, or -PFSYNC_ERR_BADACT / -PFSYNC_ERR_BADLEN when a
 * subheader stops processing (-err of a failed pfsync_iter_init() likewise).
 * it_err holds the same error; once ended, every call returns the same.
 * Rules of OpenBSD pfsync_input [OpenBSD if_pfsync.c rev 1.332]:
 *  - an action >= PFSYNC_ACT_MAX, or a record len*4 shorter than the action
 *    needs: with count and len both non-zero the section is skipped
 *    (len*4*count bytes), else processing stops with BADACT;
 *  - an action OpenBSD knows but has no handler for (OINS, OUPD, INS_F,
 *    DEL_F, OTDB, EOF; size 0 here) is skipped whatever len and count say;
 *  - records longer than needed are accepted at stride len*4;
 *  - len*4*count beyond the end of the packet: BADLEN;
 *  - fewer than 4 bytes left after a section end the packet quietly.
 * Sections of a parsed action with count 0 are yielded (nothing to do).
 * Skipped sections are counted in it_skipped.
 */
__attribute__((warn_unused_result))
int pfsync_iter_next(struct pfsync_iter *it, struct pfsync_section *sec);

/* ---------------------------------------------------------------------------
 * Output
 */

/*
 * Builds one pfsync packet (header and sections) into a caller buffer,
 * without allocating.  `mtu` is the interface MTU *including* the 20-byte
 * IP header, as OpenBSD's check against if_mtu is (its running length
 * starts at PFSYNC_MINPKT) [OpenBSD if_pfsync.c pfsync_q_ins; §3.6]: a packet never
 * holds more than mtu - 20 pfsync bytes.  Consecutive records of one action
 * share a subheader; another action opens a new one.
 */
struct pfsync_builder {
	uint8_t *pb_buf;		/* the pfsync header goes here */
	size_t pb_limit;		/* max pfsync bytes: min(size, mtu - 20, 65535) */
	size_t pb_len;			/* bytes used, header included */
	size_t pb_subh;			/* offset of the open subheader, 0: none */
	uint16_t pb_count;		/* records under the open subheader */
	uint8_t pb_action;		/* action of the open subheader */
	uint32_t pb_records;		/* records in the packet */
};

/*
 * Starts a packet over buf[0, size).  Returns 0, or -EINVAL when mtu <
 * PFSYNC_MINPKT or size < PFSYNC_HDRLEN.
 */
__attribute__((warn_unused_result))
int pfsync_build_init(struct pfsync_builder *b, uint8_t *buf, size_t size, size_t mtu);

/*
 * Appends one record; `record` points to the action's host struct (see
 * union pfsync_rec_host).  Returns 0; -ENOSPC when the record (with a new
 * subheader if one is needed) would take the packet past the MTU or the
 * buffer, which is exactly when OpenBSD flushes: finish and send the
 * packet, pfsync_build_reset(), and add again; -EMSGSIZE when it does not
 * fit even an empty packet; -EINVAL for an action we cannot encode.
 */
__attribute__((warn_unused_result))
int pfsync_build_add(struct pfsync_builder *b, unsigned int action, const void *record);

/* Writes the header (version 6, len, zero pfcksum); returns the packet's bytes. */
size_t pfsync_build_finish(struct pfsync_builder *b);

/* Empties the builder to start the next packet over the same buffer. */
void pfsync_build_reset(struct pfsync_builder *b);

static inline bool
pfsync_build_empty(const struct pfsync_builder *b)
{
	return b->pb_records == 0;
}

/* Addresses for pfsync_build_frame4(). */
struct pfsync_frame4 {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];		/* used only for a unicast dst_ip */
	uint8_t src_ip[4];
	uint8_t dst_ip[4];		/* 224.0.0.240 or the unicast syncpeer */
	uint16_t ip_id;
};

/*
 * Wraps the `plen` pfsync bytes already at frame + PFSYNC_FRAME4_HLEN in
 * Ethernet and IPv4 headers as OpenBSD sends them [OpenBSD if_pfsync.c pfsync_up,
 * §3.1]: TOS 0x10, DF, TTL 255, protocol 240, header checksum set.  A
 * multicast dst_ip gets its 01:00:5e MAC (RFC 1112).  Returns the frame
 * length, or 0 when it does not fit `size` or an IP datagram.  Frames
 * shorter than 60 bytes are left for the NIC to pad.
 */
size_t pfsync_build_frame4(uint8_t *frame, size_t size, const struct pfsync_frame4 *f,
			   size_t plen);

#endif /* DPF_PROTO_PFSYNC_H */
