/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/pfsync.
 *
 * Expected values are written down from OpenBSD's and FreeBSD's published sources
 * (offset tables of sections 3.2-3.4, action table 3.3, counters 3.11,
 * timeouts 5.2), never taken from the module's own output: every field case
 * names the documented offset and the bytes that must appear there.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/pfsync.h"

#define CHECK(what, cond)							\
	do {									\
		if (!(cond))							\
			fail_msg("%s: failed: %s", (what), #cond);		\
	} while (0)

#define CHECK_EQ(what, got, want)						\
	do {									\
		unsigned long long g_ = (got), w_ = (want);			\
		if (g_ != w_)							\
			fail_msg("%s: %s is %llu (0x%llx), want %llu (0x%llx)", \
				 (what), #got, g_, g_, w_, w_);			\
	} while (0)

static void
check_bytes(const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu is 0x%02x, want 0x%02x", what, i, got[i], want[i]);
}

/* ---------------------------------------------------------------------------
 * Sizes, constants, name tables
 */

static void
test_sizes(void **state)
{
	static const struct {
		const char *what;
		size_t got, want;
	} cases[] = {
		{ "pfsync_header", sizeof(struct pfsync_header), 20 },
		{ "pfsync_subheader", sizeof(struct pfsync_subheader), 4 },
		{ "pfsync_state", sizeof(struct pfsync_state), 264 },
		{ "pfsync_state_key", sizeof(struct pfsync_state_key), 40 },
		{ "pfsync_state_peer", sizeof(struct pfsync_state_peer), 32 },
		{ "pfsync_state_scrub", sizeof(struct pfsync_state_scrub), 8 },
		{ "pfsync_upd_c", sizeof(struct pfsync_upd_c), 84 },
		{ "pfsync_ins_ack", sizeof(struct pfsync_ins_ack), 12 },
		{ "pfsync_upd_req", sizeof(struct pfsync_upd_req), 12 },
		{ "pfsync_del_c", sizeof(struct pfsync_del_c), 12 },
		{ "pfsync_clr", sizeof(struct pfsync_clr), 20 },
		{ "pfsync_bus", sizeof(struct pfsync_bus), 12 },
		{ "pfsync_tdb", sizeof(struct pfsync_tdb), 52 },
		{ "IPPROTO_PFSYNC", IPPROTO_PFSYNC, 240 },
		{ "PFSYNC_VERSION", PFSYNC_VERSION, 6 },
		{ "PFSYNC_DFLTTL", PFSYNC_DFLTTL, 255 },
		{ "PFSYNC_MINPKT", PFSYNC_MINPKT, 40 },
		{ "PF_AF_INET", PF_AF_INET, 2 },
		{ "PF_AF_INET6", PF_AF_INET6, 24 },
		{ "PFSYNC_GROUP_ADDR", PFSYNC_GROUP_ADDR, (224u << 24) | 240 },
		{ "PFSTATE_NOSYNC", PFSTATE_NOSYNC, 0x0008 },
		{ "PFSTATE_ACK", PFSTATE_ACK, 0x0010 },
		{ "PFSTATE_INP_UNLINKED", PFSTATE_INP_UNLINKED, 0x0400 },
		{ "PFTM_MAX", PFTM_MAX, 20 },
		{ "PFTM_PURGE", PFTM_PURGE, 21 },
		{ "PFTM_UNLINKED", PFTM_UNLINKED, 22 },
		{ "PF_TCPS_ESTABLISHED", PF_TCPS_ESTABLISHED, 4 },
		{ "PF_TCPS_FIN_WAIT_2", PF_TCPS_FIN_WAIT_2, 9 },
		{ "PF_TCPS_PROXY_SRC", PF_TCPS_PROXY_SRC, 11 },
		{ "PF_TCPS_PROXY_DST", PF_TCPS_PROXY_DST, 12 },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++)
		CHECK_EQ(cases[i].what, cases[i].got, cases[i].want);
}

/* OpenBSD if_pfsync.h PFSYNC_ACT_*: code, record bytes (0: not parsed, "—" in the table). */
static void
test_actions(void **state)
{
	static const struct {
		unsigned int code;
		const char *name;
		size_t size;
	} cases[] = {
		{ 0, "clr", 20 },	{ 1, "oins", 0 },	{ 2, "ins_ack", 12 },
		{ 3, "oupd", 0 },	{ 4, "upd_c", 84 },	{ 5, "upd_req", 12 },
		{ 6, "del", 264 },	{ 7, "del_c", 12 },	{ 8, "ins_f", 0 },
		{ 9, "del_f", 0 },	{ 10, "bus", 12 },	{ 11, "otdb", 0 },
		{ 12, "eof", 0 },	{ 13, "ins", 264 },	{ 14, "upd", 264 },
		{ 15, "tdb", 52 },	{ 16, "?", 0 },		{ 200, "?", 0 },
	};

	(void)state;
	CHECK_EQ("PFSYNC_ACT_MAX", PFSYNC_ACT_MAX, 16);
	CHECK_EQ("INS", PFSYNC_ACT_INS, 13);
	CHECK_EQ("UPD_C", PFSYNC_ACT_UPD_C, 4);
	CHECK_EQ("BUS", PFSYNC_ACT_BUS, 10);
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		CHECK_EQ(cases[i].name, pfsync_act_size(cases[i].code), cases[i].size);
		CHECK(cases[i].name, strcmp(pfsync_act_name(cases[i].code), cases[i].name) == 0);
	}
}

/* OpenBSD pfvar.h PFTM_*, pf_ioctl.c pfattach, index order and default values. */
static void
test_timeouts(void **state)
{
	static const struct {
		const char *name;
		uint32_t dflt;
	} want[] = {
		{ "tcp.first", 120 },		{ "tcp.opening", 30 },
		{ "tcp.established", 86400 },	{ "tcp.closing", 900 },
		{ "tcp.finwait", 45 },		{ "tcp.closed", 90 },
		{ "udp.first", 60 },		{ "udp.single", 30 },
		{ "udp.multiple", 60 },		{ "icmp.first", 20 },
		{ "icmp.error", 10 },		{ "other.first", 60 },
		{ "other.single", 30 },		{ "other.multiple", 60 },
		{ "frag", 60 },			{ "interval", 10 },
		{ "adaptive.start", 60000 },	{ "adaptive.end", 120000 },
		{ "src.track", 0 },		{ "tcp.tsdiff", 30 },
	};

	(void)state;
	CHECK_EQ("table length", PROTO_ARRAY_SIZE(want), PFTM_MAX);
	for (unsigned int i = 0; i < PROTO_ARRAY_SIZE(want); i++) {
		CHECK(want[i].name, strcmp(pftm_name(i), want[i].name) == 0);
		CHECK_EQ(want[i].name, pftm_default(i), want[i].dflt);
	}
	CHECK_EQ("tcp.established index", PFTM_TCP_ESTABLISHED, 2);
	CHECK_EQ("udp.multiple index", PFTM_UDP_MULTIPLE, 8);
	CHECK("out of range", strcmp(pftm_name(PFTM_MAX), "?") == 0);
}

/* OpenBSD if_pfsync.h struct pfsyncstats, in order; and where each input error is counted. */
static void
test_stats_and_errors(void **state)
{
	static const char *const want[] = {
		"ipackets", "ipackets6", "badif", "badttl", "hdrops", "badver",
		"badact", "badlen", "badauth", "stale", "badval", "badstate",
		"opackets", "opackets6", "onomem", "oerrors",
	};
	static const struct {
		enum pfsync_err err;
		const char *stat;
	} errs[] = {
		{ PFSYNC_ERR_BADTTL, "badttl" }, { PFSYNC_ERR_HDROPS, "hdrops" },
		{ PFSYNC_ERR_BADVER, "badver" }, { PFSYNC_ERR_BADLEN, "badlen" },
		{ PFSYNC_ERR_BADACT, "badact" }, { PFSYNC_ERR_BADVAL, "badval" },
	};

	(void)state;
	CHECK_EQ("counter count", PROTO_ARRAY_SIZE(want), PFSYNC_STAT_MAX);
	for (unsigned int i = 0; i < PROTO_ARRAY_SIZE(want); i++)
		CHECK(want[i], strcmp(pfsync_stat_name(i), want[i]) == 0);
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(errs); i++)
		CHECK(errs[i].stat,
		      strcmp(pfsync_stat_name(pfsync_err_stat(errs[i].err)), errs[i].stat) == 0);
	CHECK("tcps name", strcmp(pf_tcps_name(PF_TCPS_ESTABLISHED), "ESTABLISHED") == 0);
	CHECK("tcps name", strcmp(pf_tcps_name(13), "?") == 0);
}

/* ---------------------------------------------------------------------------
 * Fields at documented offsets
 */

/*
 * One field set to a hand-chosen value in an otherwise zero host record:
 * encoding must give the documented bytes at the documented offset and
 * nothing else (apart from the record's constant bytes), and decoding those
 * bytes must give back the value and nothing else.
 */
struct field_case {
	const char *what;
	unsigned int action;
	size_t hoff;			/* in union pfsync_rec_host */
	size_t hsize;			/* 1, 2, 4, 8: an integer; 0: bytes = want */
	uint64_t value;
	size_t woff;			/* offset in OpenBSD's wire struct */
	size_t wlen;
	uint8_t want[16];
};

/* Offset and size of a host field, for the table below. */
#define HOST(m, f) offsetof(union pfsync_rec_host, m.f), sizeof(((union pfsync_rec_host *)0)->m.f)
#define HS(f) HOST(state, f)
#define HU(f) HOST(upd_c, f)
#define HI(f) HOST(id, f)
#define HCI(f) HOST(clr, f)
#define HB(f) HOST(bus, f)
#define HT(f) HOST(tdb, f)
/* A byte-array host field: hsize 0, the bytes are the case's want[]. */
#define HC(f) offsetof(union pfsync_rec_host, clr.f), 0
#define HSB(f) offsetof(union pfsync_rec_host, state.f), 0
#define HTB(f) offsetof(union pfsync_rec_host, tdb.f), 0

#define A_INS PFSYNC_ACT_INS
#define A_UPDC PFSYNC_ACT_UPD_C

static const struct field_case field_cases[] = {
	/* pfsync_state, OpenBSD pfvar.h struct pfsync_state */
	{ "state id raw BE @0", A_INS, HS(id), 0x0102030405060708ull, 0, 8,
	  { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "state ifname @8", A_INS, HSB(ifname), 0, 8, 4, { 'e', 'm', '0', 0 } },
	{ "state ifname full 16 @8", A_INS, HSB(ifname), 0, 8, 16,
	  { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' } },
	{ "key[0] addr[0] @24", A_INS, HSB(key[0].addr[0]), 0, 24, 4, { 198, 18, 0, 1 } },
	{ "key[0] addr[1] @40", A_INS, HSB(key[0].addr[1]), 0, 40, 16,
	  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } },
	{ "key[0] port[0] BE @24+32", A_INS, HS(key[0].port[0]), 0x1234, 56, 2, { 0x12, 0x34 } },
	{ "key[0] port[1] BE @24+34", A_INS, HS(key[0].port[1]), 443, 58, 2, { 0x01, 0xbb } },
	{ "key[0] rdomain BE @24+36", A_INS, HS(key[0].rdomain), 0x0102, 60, 2, { 1, 2 } },
	{ "key[0] af @24+38", A_INS, HS(key[0].af), 24, 62, 1, { 24 } },
	{ "key[1] addr[0] @64", A_INS, HSB(key[1].addr[0]), 0, 64, 4, { 10, 0, 0, 9 } },
	{ "key[1] port[1] BE @64+34", A_INS, HS(key[1].port[1]), 0xabcd, 98, 2, { 0xab, 0xcd } },
	{ "key[1] rdomain BE @64+36", A_INS, HS(key[1].rdomain), 7, 100, 2, { 0, 7 } },
	{ "key[1] af @64+38", A_INS, HS(key[1].af), 2, 102, 1, { 2 } },
	{ "src scrub pfss_flags BE @104", A_INS, HS(src.scrub.pfss_flags), 1, 104, 2, { 0, 1 } },
	{ "src scrub pfss_ttl @106", A_INS, HS(src.scrub.pfss_ttl), 64, 106, 1, { 64 } },
	{ "src scrub_flag @107", A_INS, HS(src.scrub.scrub_flag), 1, 107, 1, { 1 } },
	{ "src scrub ts_mod BE @108", A_INS, HS(src.scrub.pfss_ts_mod), 0xa1b2c3d4, 108, 4,
	  { 0xa1, 0xb2, 0xc3, 0xd4 } },
	{ "src seqlo BE @112", A_INS, HS(src.seqlo), 0x11223344, 112, 4,
	  { 0x11, 0x22, 0x33, 0x44 } },
	{ "src seqhi BE @116", A_INS, HS(src.seqhi), 0x55667788, 116, 4,
	  { 0x55, 0x66, 0x77, 0x88 } },
	{ "src seqdiff BE @120", A_INS, HS(src.seqdiff), 0x01000002, 120, 4, { 1, 0, 0, 2 } },
	{ "src max_win BE @124", A_INS, HS(src.max_win), 65535, 124, 2, { 0xff, 0xff } },
	{ "src mss BE @126", A_INS, HS(src.mss), 1460, 126, 2, { 0x05, 0xb4 } },
	{ "src state @128", A_INS, HS(src.state), 4, 128, 1, { 4 } },
	{ "src wscale @129", A_INS, HS(src.wscale), 0x87, 129, 1, { 0x87 } },
	{ "dst seqlo BE @136+8", A_INS, HS(dst.seqlo), 0xdeadbeef, 144, 4,
	  { 0xde, 0xad, 0xbe, 0xef } },
	{ "dst state @136+24", A_INS, HS(dst.state), 10, 160, 1, { 10 } },
	{ "dst wscale @136+25", A_INS, HS(dst.wscale), 0x82, 161, 1, { 0x82 } },
	{ "rt_addr @168", A_INS, HSB(rt_addr), 0, 168, 4, { 198, 19, 255, 254 } },
	{ "rule BE @184", A_INS, HS(rule), 0x00000102, 184, 4, { 0, 0, 1, 2 } },
	{ "anchor BE @188", A_INS, HS(anchor), 0xffffffff, 188, 4, { 0xff, 0xff, 0xff, 0xff } },
	{ "creation BE @196", A_INS, HS(creation), 3600, 196, 4, { 0, 0, 0x0e, 0x10 } },
	{ "expire BE @200", A_INS, HS(expire), 86399, 200, 4, { 0, 1, 0x51, 0x7f } },
	{ "packets[0] hi/lo @204/208", A_INS, HS(packets[0]), 0x1122334455667788ull, 204, 8,
	  { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 } },
	{ "packets[1] hi/lo @212/216", A_INS, HS(packets[1]), 0x0000000100000002ull, 212, 8,
	  { 0, 0, 0, 1, 0, 0, 0, 2 } },
	{ "bytes[0] hi/lo @220/224", A_INS, HS(bytes[0]), 0xfedcba9876543210ull, 220, 8,
	  { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 } },
	{ "bytes[1] hi/lo @228/232", A_INS, HS(bytes[1]), 5, 228, 8, { 0, 0, 0, 0, 0, 0, 0, 5 } },
	{ "creatorid raw BE @236", A_INS, HS(creatorid), 0x0a0b0c0d, 236, 4, { 10, 11, 12, 13 } },
	{ "rtableid[0] int32 BE @240", A_INS, HS(rtableid[0]), 0xfffffffe, 240, 4,
	  { 0xff, 0xff, 0xff, 0xfe } },
	{ "rtableid[1] int32 BE @244", A_INS, HS(rtableid[1]), 5, 244, 4, { 0, 0, 0, 5 } },
	{ "max_mss BE @248", A_INS, HS(max_mss), 1400, 248, 2, { 0x05, 0x78 } },
	{ "af @250", A_INS, HS(af), 24, 250, 1, { 24 } },
	{ "proto @251", A_INS, HS(proto), 17, 251, 1, { 17 } },
	{ "direction @252", A_INS, HS(direction), 2, 252, 1, { 2 } },
	{ "log @253", A_INS, HS(log), 1, 253, 1, { 1 } },
	{ "rt @254", A_INS, HS(rt), 3, 254, 1, { 3 } },
	{ "timeout @255", A_INS, HS(timeout), 8, 255, 1, { 8 } },
	{ "sync_flags @256", A_INS, HS(sync_flags), 0x04, 256, 1, { 4 } },
	{ "updates @257", A_INS, HS(updates), 9, 257, 1, { 9 } },
	{ "min_ttl @258", A_INS, HS(min_ttl), 32, 258, 1, { 32 } },
	{ "set_tos @259", A_INS, HS(set_tos), 0x10, 259, 1, { 0x10 } },
	{ "state_flags BE @260", A_INS, HS(state_flags), 0x0110, 260, 2, { 0x01, 0x10 } },
	{ "set_prio[0] @262", A_INS, HS(set_prio[0]), 3, 262, 1, { 3 } },
	{ "set_prio[1] @263", A_INS, HS(set_prio[1]), 6, 263, 1, { 6 } },
	/* pfsync_upd_c, OpenBSD if_pfsync.h PFSYNC_ACT_* */
	{ "upd_c id @0", A_UPDC, HU(id), 0x8000000000000001ull, 0, 8,
	  { 0x80, 0, 0, 0, 0, 0, 0, 1 } },
	{ "upd_c src seqlo @8+8", A_UPDC, HU(src.seqlo), 0x01020304, 16, 4, { 1, 2, 3, 4 } },
	{ "upd_c src state @8+24", A_UPDC, HU(src.state), 4, 32, 1, { 4 } },
	{ "upd_c dst max_win @40+20", A_UPDC, HU(dst.max_win), 0x1000, 60, 2, { 0x10, 0 } },
	{ "upd_c dst state @40+24", A_UPDC, HU(dst.state), 9, 64, 1, { 9 } },
	{ "upd_c creatorid @72", A_UPDC, HU(creatorid), 0xc0ffee01, 72, 4,
	  { 0xc0, 0xff, 0xee, 0x01 } },
	{ "upd_c expire @76", A_UPDC, HU(expire), 0x00010203, 76, 4, { 0, 1, 2, 3 } },
	{ "upd_c timeout @80", A_UPDC, HU(timeout), 2, 80, 1, { 2 } },
	{ "upd_c state_flags @81", A_UPDC, HU(state_flags), 0x5a, 81, 1, { 0x5a } },
	/* ins_ack / upd_req / del_c */
	{ "ins_ack id @0", PFSYNC_ACT_INS_ACK, HI(id), 0x0102030405060708ull, 0, 8,
	  { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "upd_req creatorid @8", PFSYNC_ACT_UPD_REQ, HI(creatorid), 0x01020304, 8, 4,
	  { 1, 2, 3, 4 } },
	{ "del_c creatorid @8", PFSYNC_ACT_DEL_C, HI(creatorid), 0xfffffffe, 8, 4,
	  { 0xff, 0xff, 0xff, 0xfe } },
	/* clr */
	{ "clr ifname @0", PFSYNC_ACT_CLR, HC(ifname), 0, 0, 5, { 'v', 'l', 'a', 'n', '1' } },
	{ "clr creatorid @16", PFSYNC_ACT_CLR, HCI(creatorid), 0x0a0b0c0d, 16, 4,
	  { 10, 11, 12, 13 } },
	/* bus */
	{ "bus creatorid @0", PFSYNC_ACT_BUS, HB(creatorid), 0x01020304, 0, 4, { 1, 2, 3, 4 } },
	{ "bus endtime BE @4", PFSYNC_ACT_BUS, HB(endtime), 300, 4, 4, { 0, 0, 1, 0x2c } },
	{ "bus status @8", PFSYNC_ACT_BUS, HB(status), 2, 8, 1, { 2 } },
	/* tdb */
	{ "tdb spi @0", PFSYNC_ACT_TDB, HT(spi), 0x00001001, 0, 4, { 0, 0, 0x10, 0x01 } },
	{ "tdb dst sockaddr @4", PFSYNC_ACT_TDB, HTB(dst), 0, 4, 8,
	  { 16, 2, 0, 0, 198, 18, 0, 1 } },
	{ "tdb rpl BE @32", PFSYNC_ACT_TDB, HT(rpl), 16384 + 7, 32, 8,
	  { 0, 0, 0, 0, 0, 0, 0x40, 7 } },
	{ "tdb cur_bytes BE @40", PFSYNC_ACT_TDB, HT(cur_bytes), 0x0102030405060708ull, 40, 8,
	  { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "tdb sproto @48", PFSYNC_ACT_TDB, HT(sproto), 50, 48, 1, { 50 } },
	{ "tdb updates @49", PFSYNC_ACT_TDB, HT(updates), 3, 49, 1, { 3 } },
	{ "tdb rdomain BE @50", PFSYNC_ACT_TDB, HT(rdomain), 0x0203, 50, 2, { 2, 3 } },
};

static void
set_field(union pfsync_rec_host *h, const struct field_case *c)
{
	uint8_t *p = (uint8_t *)h + c->hoff;
	uint8_t v8 = (uint8_t)c->value;
	uint16_t v16 = (uint16_t)c->value;
	uint32_t v32 = (uint32_t)c->value;
	uint64_t v64 = c->value;

	switch (c->hsize) {
	case 0:
		memcpy(p, c->want, c->wlen);
		break;
	case 1:
		memcpy(p, &v8, 1);
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	case 8:
		memcpy(p, &v64, 8);
		break;
	default:
		fail_msg("%s: bad hsize %zu", c->what, c->hsize);
	}
}

/* The bytes a record of all-zero fields has: pfsync_state's nat_rule. */
static void
zero_record(unsigned int action, uint8_t *rec)
{
	memset(rec, 0, 264);
	if (action == PFSYNC_ACT_INS || action == PFSYNC_ACT_UPD || action == PFSYNC_ACT_DEL)
		memset(rec + 192, 0xff, 4);	/* nat_rule "always 0xffffffff" */
}

static void
test_field_offsets(void **state)
{
	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(field_cases); i++) {
		const struct field_case *c = &field_cases[i];
		union pfsync_rec_host h, want_h, got_h;
		uint8_t rec[264], want[264];
		size_t size;

		memset(&h, 0, sizeof(h));
		set_field(&h, c);
		memset(rec, 0xa5, sizeof(rec));
		size = pfsync_rec_encode(c->action, rec, &h);
		CHECK_EQ(c->what, size, pfsync_act_size(c->action));
		zero_record(c->action, want);
		memcpy(want + c->woff, c->want, c->wlen);
		check_bytes(c->what, rec, want, size);

		/* And back: the documented bytes decode to the value alone. */
		memset(&got_h, 0, sizeof(got_h));
		CHECK(c->what, pfsync_rec_decode(c->action, want, &got_h) == 0);
		memset(&want_h, 0, sizeof(want_h));
		set_field(&want_h, c);
		if (memcmp(&got_h, &want_h, sizeof(got_h)) != 0)
			fail_msg("%s: decode differs", c->what);
	}
}

/* ---------------------------------------------------------------------------
 * Round trips
 */

/*
 * Bytes the host forms do not carry, by OpenBSD's offsets: pads are
 * written 0, nat_rule 0xffffffff.  Any other byte must survive
 * decode-encode unchanged.
 */
struct span {
	size_t off, len;
	uint8_t fill;
};

static const struct span state_fixed[] = {
	{ 24 + 39, 1, 0 }, { 64 + 39, 1, 0 },		/* key pads */
	{ 104 + 26, 6, 0 }, { 136 + 26, 6, 0 },		/* peer pads */
	{ 192, 4, 0xff },				/* nat_rule */
};
static const struct span upd_c_fixed[] = {
	{ 8 + 26, 6, 0 }, { 40 + 26, 6, 0 }, { 82, 2, 0 },
};
static const struct span bus_fixed[] = { { 9, 3, 0 } };

static void
test_round_trip_wire(void **state)
{
	static const struct {
		const char *what;
		unsigned int action;
		const struct span *fixed;
		size_t nfixed;
	} cases[] = {
		{ "INS", PFSYNC_ACT_INS, state_fixed, PROTO_ARRAY_SIZE(state_fixed) },
		{ "UPD", PFSYNC_ACT_UPD, state_fixed, PROTO_ARRAY_SIZE(state_fixed) },
		{ "DEL", PFSYNC_ACT_DEL, state_fixed, PROTO_ARRAY_SIZE(state_fixed) },
		{ "UPD_C", PFSYNC_ACT_UPD_C, upd_c_fixed, PROTO_ARRAY_SIZE(upd_c_fixed) },
		{ "INS_ACK", PFSYNC_ACT_INS_ACK, NULL, 0 },
		{ "UPD_REQ", PFSYNC_ACT_UPD_REQ, NULL, 0 },
		{ "DEL_C", PFSYNC_ACT_DEL_C, NULL, 0 },
		{ "CLR", PFSYNC_ACT_CLR, NULL, 0 },
		{ "BUS", PFSYNC_ACT_BUS, bus_fixed, 1 },
		{ "TDB", PFSYNC_ACT_TDB, NULL, 0 },
	};

	(void)state;
	srand(6);
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		for (int iter = 0; iter < 500; iter++) {
			union pfsync_rec_host h, h2;
			uint8_t in[264], out[264], again[264];
			size_t n;

			for (size_t j = 0; j < sizeof(in); j++)
				in[j] = (uint8_t)rand();
			for (size_t j = 0; j < cases[i].nfixed; j++)
				memset(in + cases[i].fixed[j].off, cases[i].fixed[j].fill,
				       cases[i].fixed[j].len);
			memset(&h, 0, sizeof(h));
			CHECK(cases[i].what, pfsync_rec_decode(cases[i].action, in, &h) == 0);
			memset(out, 0x5a, sizeof(out));
			n = pfsync_rec_encode(cases[i].action, out, &h);
			CHECK_EQ(cases[i].what, n, pfsync_act_size(cases[i].action));
			check_bytes(cases[i].what, out, in, n);
			/* host -> wire -> host is exact too */
			memset(&h2, 0, sizeof(h2));
			CHECK(cases[i].what, pfsync_rec_decode(cases[i].action, out, &h2) == 0);
			CHECK(cases[i].what, memcmp(&h, &h2, sizeof(h)) == 0);
			CHECK_EQ(cases[i].what, pfsync_rec_encode(cases[i].action, again, &h2), n);
			check_bytes(cases[i].what, again, out, n);
		}
	}
}

/* Pads and nat_rule are normalized whatever the input had there. */
static void
test_fixed_bytes_normalized(void **state)
{
	struct pfsync_state_host s;
	uint8_t in[264], out[264];

	(void)state;
	memset(in, 0xee, sizeof(in));
	pfsync_state_decode(in, &s);
	pfsync_state_encode(out, &s);
	for (size_t j = 0; j < PROTO_ARRAY_SIZE(state_fixed); j++)
		for (size_t k = 0; k < state_fixed[j].len; k++)
			CHECK_EQ("fixed byte", out[state_fixed[j].off + k], state_fixed[j].fill);
	CHECK_EQ("creation kept", out[196], 0xee);
	CHECK("unknown action", pfsync_rec_decode(PFSYNC_ACT_EOF, in, &s) != 0);
	CHECK_EQ("unknown action", pfsync_rec_encode(200, out, &s), 0);
}

/* ---------------------------------------------------------------------------
 * Iterator: the rules of OpenBSD if_pfsync.c pfsync_input one by one
 */

struct pkt {
	uint8_t b[2048];
	size_t len;
};

static void
pkt_hdr(struct pkt *p, uint8_t version)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = version;
	p->len = 20;
}

/* A subheader and `data` bytes of record data (each byte its offset & 0xff). */
static void
pkt_sec(struct pkt *p, uint8_t action, uint8_t words, uint16_t count, size_t data)
{
	p->b[p->len] = action;
	p->b[p->len + 1] = words;
	p->b[p->len + 2] = (uint8_t)(count >> 8);
	p->b[p->len + 3] = (uint8_t)count;
	p->len += 4;
	for (size_t i = 0; i < data; i++, p->len++)
		p->b[p->len] = (uint8_t)p->len;
}

static void
pkt_junk(struct pkt *p, size_t n)
{
	memset(p->b + p->len, 0x77, n);
	p->len += n;
}

/* Sets the header's len; 0 means "the bytes written so far". */
static void
pkt_setlen(struct pkt *p, size_t hlen)
{
	if (hlen == 0)
		hlen = p->len;
	p->b[2] = (uint8_t)(hlen >> 8);
	p->b[3] = (uint8_t)hlen;
}

struct sec_want {
	uint8_t action;
	uint16_t count;
	size_t stride;
	size_t off;			/* offset of the first record */
};

struct iter_case {
	const char *what;
	void (*make)(struct pkt *p);
	enum pfsync_err init_err;
	size_t nsec;
	struct sec_want sec[3];
	enum pfsync_err end_err;
	uint32_t skipped;
};

static void
mk_one_section(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 2, 24);
	pkt_setlen(p, 0);
}

static void
mk_two_sections(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_DEL_C, 3, 1, 12);
	pkt_sec(p, PFSYNC_ACT_INS, 66, 1, 264);
	pkt_setlen(p, 0);
}

static void
mk_unknown_skipped(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, 200, 2, 3, 24);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_action16_skipped(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, 16, 1, 1, 4);
	pkt_sec(p, PFSYNC_ACT_BUS, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_unknown_len0(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, 200, 0, 3, 0);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_unknown_count0(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, 200, 2, 0, 0);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_short_known_skipped(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS, 3, 2, 24);	/* INS needs 66 words */
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_short_known_count0(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_UPD_C, 20, 0, 0);	/* UPD_C needs 21 words */
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_short_known_len0(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_CLR, 0, 4, 0);
	pkt_setlen(p, 0);
}

static void
mk_larger_stride(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 4, 2, 32);
	pkt_sec(p, PFSYNC_ACT_UPD_C, 22, 1, 88);
	pkt_setlen(p, 0);
}

static void
mk_overflow(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 5, 24);	/* says 60 bytes */
	pkt_setlen(p, 0);
}

static void
mk_overflow_by_one(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_sec(p, PFSYNC_ACT_DEL_C, 3, 2, 23);
	pkt_setlen(p, 0);
}

static void
mk_unknown_overflow(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, 99, 2, 10, 16);
	pkt_setlen(p, 0);
}

static void
mk_hdr_len_past_data(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, p->len + 1);
}

static void
mk_data_past_hdr_len(struct pkt *p)
{
	size_t hlen;

	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	hlen = p->len;
	pkt_sec(p, PFSYNC_ACT_DEL_C, 3, 1, 12);
	pkt_junk(p, 100);
	pkt_setlen(p, hlen);
}

static void
mk_section_cut_by_hdr_len(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 2, 24);
	pkt_setlen(p, p->len - 1);
}

static void
mk_version5(struct pkt *p)
{
	pkt_hdr(p, 5);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_short_header(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_setlen(p, 19);
	p->len = 19;
}

static void
mk_hdr_len_below_20(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 8);
}

static void
mk_empty(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_setlen(p, 0);
}

static void
mk_trailing_bytes(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_junk(p, 3);
	pkt_setlen(p, 0);
}

static void
mk_eof_len0(struct pkt *p)
{
	/* OpenBSD knows EOF (12) but has no handler: skipped, even with len 0. */
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_EOF, 0, 0, 0);
	pkt_sec(p, PFSYNC_ACT_INS_ACK, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_oins_skipped(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_OINS, 5, 2, 40);
	pkt_sec(p, PFSYNC_ACT_DEL_C, 3, 1, 12);
	pkt_setlen(p, 0);
}

static void
mk_oins_overflow(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_OINS, 5, 2, 39);
	pkt_setlen(p, 0);
}

static void
mk_count0_known(struct pkt *p)
{
	pkt_hdr(p, 6);
	pkt_sec(p, PFSYNC_ACT_INS, 66, 0, 0);
	pkt_sec(p, PFSYNC_ACT_DEL_C, 3, 1, 12);
	pkt_setlen(p, 0);
}

static const struct iter_case iter_cases[] = {
	{ "one section", mk_one_section, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 2, 12, 24 } }, PFSYNC_OK, 0 },
	{ "two sections", mk_two_sections, PFSYNC_OK, 2,
	  { { PFSYNC_ACT_DEL_C, 1, 12, 24 }, { PFSYNC_ACT_INS, 1, 264, 40 } }, PFSYNC_OK, 0 },
	{ "unknown action 200 skipped", mk_unknown_skipped, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 52 } }, PFSYNC_OK, 1 },
	{ "action 16 (past TDB) skipped", mk_action16_skipped, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_BUS, 1, 12, 32 } }, PFSYNC_OK, 1 },
	{ "unknown action with len 0 stops: badact", mk_unknown_len0, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADACT, 0 },
	{ "unknown action with count 0 stops: badact", mk_unknown_count0, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADACT, 0 },
	{ "known action, short len, count > 0: skipped", mk_short_known_skipped, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 52 } }, PFSYNC_OK, 1 },
	{ "known action, short len, count 0: badact", mk_short_known_count0, PFSYNC_OK, 0,
	  { { 0 } }, PFSYNC_ERR_BADACT, 0 },
	{ "known action, len 0: badact", mk_short_known_len0, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADACT, 0 },
	{ "larger records at the larger stride", mk_larger_stride, PFSYNC_OK, 2,
	  { { PFSYNC_ACT_INS_ACK, 2, 16, 24 }, { PFSYNC_ACT_UPD_C, 1, 88, 60 } }, PFSYNC_OK, 0 },
	{ "len*count past the end: badlen", mk_overflow, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADLEN, 0 },
	{ "second section one byte short: badlen", mk_overflow_by_one, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 24 } }, PFSYNC_ERR_BADLEN, 0 },
	{ "unknown action past the end: badlen", mk_unknown_overflow, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADLEN, 0 },
	{ "header len > data: badlen", mk_hdr_len_past_data, PFSYNC_ERR_BADLEN, 0, { { 0 } },
	  PFSYNC_ERR_BADLEN, 0 },
	{ "data beyond header len ignored", mk_data_past_hdr_len, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 24 } }, PFSYNC_OK, 0 },
	{ "section cut by header len: badlen", mk_section_cut_by_hdr_len, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADLEN, 0 },
	{ "version 5: badver", mk_version5, PFSYNC_ERR_BADVER, 0, { { 0 } },
	  PFSYNC_ERR_BADVER, 0 },
	{ "19-byte header: hdrops", mk_short_header, PFSYNC_ERR_HDROPS, 0, { { 0 } },
	  PFSYNC_ERR_HDROPS, 0 },
	{ "header len < 20: nothing", mk_hdr_len_below_20, PFSYNC_OK, 0, { { 0 } }, PFSYNC_OK, 0 },
	{ "header only", mk_empty, PFSYNC_OK, 0, { { 0 } }, PFSYNC_OK, 0 },
	{ "1-3 bytes after the last section ignored", mk_trailing_bytes, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 24 } }, PFSYNC_OK, 0 },
	{ "EOF with len 0, count 0: skipped (known action)", mk_eof_len0, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_INS_ACK, 1, 12, 28 } }, PFSYNC_OK, 1 },
	{ "OINS skipped by its len", mk_oins_skipped, PFSYNC_OK, 1,
	  { { PFSYNC_ACT_DEL_C, 1, 12, 68 } }, PFSYNC_OK, 1 },
	{ "OINS past the end: badlen", mk_oins_overflow, PFSYNC_OK, 0, { { 0 } },
	  PFSYNC_ERR_BADLEN, 0 },
	{ "count 0 with a valid len: empty section", mk_count0_known, PFSYNC_OK, 2,
	  { { PFSYNC_ACT_INS, 0, 264, 24 }, { PFSYNC_ACT_DEL_C, 1, 12, 28 } }, PFSYNC_OK, 0 },
};

static void
test_iterator(void **state)
{
	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(iter_cases); i++) {
		const struct iter_case *c = &iter_cases[i];
		struct pfsync_iter it;
		struct pfsync_section sec;
		struct pkt p;
		uint8_t *buf;
		size_t n = 0;
		int rc;

		c->make(&p);
		buf = malloc(p.len);	/* exact size: ASan sees any overread */
		assert_non_null(buf);
		memcpy(buf, p.b, p.len);
		CHECK_EQ(c->what, pfsync_iter_init(&it, buf, p.len), c->init_err);
		while ((rc = pfsync_iter_next(&it, &sec)) == 1) {
			if (n >= c->nsec)
				fail_msg("%s: unexpected section %zu (action %u)", c->what, n,
					 sec.action);
			CHECK_EQ(c->what, sec.action, c->sec[n].action);
			CHECK_EQ(c->what, sec.count, c->sec[n].count);
			CHECK_EQ(c->what, sec.stride, c->sec[n].stride);
			CHECK_EQ(c->what, (size_t)(sec.rec - buf), c->sec[n].off);
			n++;
		}
		CHECK_EQ(c->what, n, c->nsec);
		CHECK_EQ(c->what, rc, -(int)c->end_err);
		CHECK_EQ(c->what, it.it_err, c->end_err);
		CHECK_EQ(c->what, it.it_skipped, c->skipped);
		/* An ended iterator stays ended. */
		CHECK_EQ(c->what, pfsync_iter_next(&it, &sec), rc == 1 ? 0 : rc);
		free(buf);
	}
}

/* ---------------------------------------------------------------------------
 * IPv4 check and frame
 */

static void
ip4_hdr(uint8_t *ip, uint8_t ihl_words, uint16_t tot, uint8_t ttl, uint8_t proto)
{
	memset(ip, 0, 60);
	ip[0] = (uint8_t)(0x40 | ihl_words);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = ttl;
	ip[9] = proto;
}

static void
test_check_ip4(void **state)
{
	static const struct {
		const char *what;
		uint8_t ihl, ttl, proto;
		uint16_t tot;
		size_t len;
		enum pfsync_err err;
		size_t hoff, plen;
	} cases[] = {
		{ "valid", 5, 255, 240, 60, 60, PFSYNC_OK, 20, 40 },
		{ "ethernet padding excluded", 5, 255, 240, 44, 60, PFSYNC_OK, 20, 24 },
		{ "IP options", 6, 255, 240, 64, 64, PFSYNC_OK, 24, 40 },
		{ "TTL 254: badttl", 5, 254, 240, 60, 60, PFSYNC_ERR_BADTTL, 0, 0 },
		{ "TTL 1: badttl", 5, 1, 240, 60, 60, PFSYNC_ERR_BADTTL, 0, 0 },
		{ "CARP, not pfsync", 5, 255, 112, 60, 60, PFSYNC_ERR_NOTPFSYNC, 0, 0 },
		{ "total length past data", 5, 255, 240, 61, 60, PFSYNC_ERR_NOTPFSYNC, 0, 0 },
		{ "IHL 4", 4, 255, 240, 60, 60, PFSYNC_ERR_NOTPFSYNC, 0, 0 },
		{ "shorter than an IP header", 5, 255, 240, 19, 19, PFSYNC_ERR_NOTPFSYNC, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		uint8_t ip[64];
		size_t hoff = 0, plen = 0;
		uint8_t *buf = malloc(cases[i].len);

		assert_non_null(buf);
		ip4_hdr(ip, cases[i].ihl, cases[i].tot, cases[i].ttl, cases[i].proto);
		memcpy(buf, ip, cases[i].len);
		CHECK_EQ(cases[i].what, pfsync_check_ip4(buf, cases[i].len, &hoff, &plen),
			 cases[i].err);
		if (cases[i].err == PFSYNC_OK) {
			CHECK_EQ(cases[i].what, hoff, cases[i].hoff);
			CHECK_EQ(cases[i].what, plen, cases[i].plen);
		}
		free(buf);
	}
}

static void
test_check_ip4_version(void **state)
{
	uint8_t ip[60];
	size_t h, l;

	(void)state;
	ip4_hdr(ip, 5, 60, 255, 240);
	ip[0] = 0x65;	/* version 6 */
	CHECK_EQ("IP version 6", pfsync_check_ip4(ip, 60, &h, &l), PFSYNC_ERR_NOTPFSYNC);
}

/* RFC 1071 sum written out here so the check does not lean on proto/cksum. */
static uint16_t
sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
test_frame4(void **state)
{
	static const uint8_t group_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xf0 };
	struct pfsync_frame4 f = {
		.src_mac = { 0x02, 0, 0, 0, 0, 1 },
		.dst_mac = { 0x02, 0, 0, 0, 0, 2 },
		.src_ip = { 198, 18, 0, 1 },
		.dst_ip = { 224, 0, 0, 240 },
		.ip_id = 0x1234,
	};
	uint8_t frame[256];
	const uint8_t *ip = frame + 14;
	size_t n, hoff, plen;

	(void)state;
	memset(frame, 0, sizeof(frame));
	n = pfsync_build_frame4(frame, sizeof(frame), &f, 40);
	CHECK_EQ("frame length", n, 14 + 20 + 40);
	check_bytes("group MAC", frame, group_mac, 6);
	check_bytes("src MAC", frame + 6, f.src_mac, 6);
	CHECK_EQ("ethertype", (frame[12] << 8) | frame[13], 0x0800);
	CHECK_EQ("version/ihl", ip[0], 0x45);
	CHECK_EQ("TOS lowdelay", ip[1], 0x10);
	CHECK_EQ("total length", (ip[2] << 8) | ip[3], 60);
	CHECK_EQ("id", (ip[4] << 8) | ip[5], 0x1234);
	CHECK_EQ("DF", (ip[6] << 8) | ip[7], 0x4000);
	CHECK_EQ("TTL", ip[8], 255);
	CHECK_EQ("proto", ip[9], 240);
	CHECK_EQ("checksum verifies", sum16(ip, 20), 0xffff);
	CHECK_EQ("dst", (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | ip[18] << 8 | ip[19],
		 0xe00000f0u);
	CHECK_EQ("own check accepts it", pfsync_check_ip4(ip, n - 14, &hoff, &plen), PFSYNC_OK);
	CHECK_EQ("plen", plen, 40);

	f.dst_ip[0] = 198;
	f.dst_ip[1] = 18;
	f.dst_ip[2] = 0;
	f.dst_ip[3] = 2;
	n = pfsync_build_frame4(frame, sizeof(frame), &f, 100);
	CHECK_EQ("unicast length", n, 134);
	check_bytes("unicast MAC", frame, f.dst_mac, 6);
	CHECK_EQ("unicast checksum", sum16(ip, 20), 0xffff);
	CHECK_EQ("no room", pfsync_build_frame4(frame, sizeof(frame), &f, 223), 0);
	CHECK_EQ("exact room", pfsync_build_frame4(frame, sizeof(frame), &f, 222), 256);
}

/* ---------------------------------------------------------------------------
 * Builder
 */

static void
test_build_grouping(void **state)
{
	static const uint8_t want_hdr[4] = { 6, 0, 0, 20 + 4 + 36 + 4 + 12 + 4 + 12 };
	struct pfsync_id_host a = { .id = 1, .creatorid = 0x0a0b0c0d };
	struct pfsync_builder b;
	struct pfsync_iter it;
	struct pfsync_section sec;
	uint8_t buf[1500];
	size_t n;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 1500), 0);
	CHECK("empty", pfsync_build_empty(&b));
	for (int i = 0; i < 3; i++) {
		a.id = (uint64_t)i + 1;
		assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &a), 0);
	}
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_DEL_C, &a), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &a), 0);
	n = pfsync_build_finish(&b);
	CHECK_EQ("length", n, 20 + 4 + 36 + 4 + 12 + 4 + 12);
	check_bytes("header", buf, want_hdr, 4);
	for (int i = 4; i < 20; i++)
		CHECK_EQ("pfcksum zero", buf[i], 0);
	/* subheaders at 20, 60, 76: action, words, count BE */
	CHECK_EQ("subh 1 action", buf[20], 2);
	CHECK_EQ("subh 1 len", buf[21], 3);
	CHECK_EQ("subh 1 count", (buf[22] << 8) | buf[23], 3);
	CHECK_EQ("record 3 id low byte @24+24+7", buf[24 + 24 + 7], 3);
	CHECK_EQ("subh 2 action", buf[60], 7);
	CHECK_EQ("subh 2 count", (buf[62] << 8) | buf[63], 1);
	CHECK_EQ("subh 3 action", buf[76], 2);
	CHECK_EQ("subh 3 count", (buf[78] << 8) | buf[79], 1);
	CHECK_EQ("creatorid @80+8", buf[88], 0x0a);

	assert_int_equal(pfsync_iter_init(&it, buf, n), PFSYNC_OK);
	assert_int_equal(pfsync_iter_next(&it, &sec), 1);
	CHECK_EQ("iter count", sec.count, 3);
	assert_int_equal(pfsync_iter_next(&it, &sec), 1);
	assert_int_equal(pfsync_iter_next(&it, &sec), 1);
	assert_int_equal(pfsync_iter_next(&it, &sec), 0);

	pfsync_build_reset(&b);
	CHECK("empty after reset", pfsync_build_empty(&b));
	CHECK_EQ("reset length", pfsync_build_finish(&b), 20);
}

/*
 * MTU boundaries.  OpenBSD flushes when 40 (IP + pfsync header) + queued +
 * the next record (with its subheader if new) exceeds the MTU (§3.6); at
 * MTU 1500 that is 5 full states per packet (§3.8's arithmetic).
 */
static void
test_build_mtu(void **state)
{
	static const struct {
		const char *what;
		unsigned int action;
		size_t mtu;
		int fit;			/* records that fit */
	} cases[] = {
		{ "INS at 1500: 5 fit", PFSYNC_ACT_INS, 1500, 5 },
		{ "INS at 40+4+2*264: 2 fit", PFSYNC_ACT_INS, 40 + 4 + 2 * 264, 2 },
		{ "INS at one byte less: 1 fits", PFSYNC_ACT_INS, 40 + 4 + 2 * 264 - 1, 1 },
		{ "UPD_C at 1500: (1500-44)/84 = 17", PFSYNC_ACT_UPD_C, 1500, 17 },
		{ "DEL_C at 40+4+12*10", PFSYNC_ACT_DEL_C, 40 + 4 + 120, 10 },
		{ "DEL_C at 40+4+12*10+11", PFSYNC_ACT_DEL_C, 40 + 4 + 120 + 11, 10 },
		{ "BUS at 56: 1 fits", PFSYNC_ACT_BUS, 56, 1 },
		{ "CLR at 9000", PFSYNC_ACT_CLR, 9000, (9000 - 44) / 20 },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		static uint8_t buf[9000];
		union pfsync_rec_host h;
		struct pfsync_builder b;
		size_t n;
		int k;

		memset(&h, 0, sizeof(h));
		assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), cases[i].mtu), 0);
		for (k = 0; k < cases[i].fit; k++)
			CHECK_EQ(cases[i].what, pfsync_build_add(&b, cases[i].action, &h), 0);
		CHECK_EQ(cases[i].what, pfsync_build_add(&b, cases[i].action, &h), -ENOSPC);
		n = pfsync_build_finish(&b);
		CHECK(cases[i].what, 20 + n <= cases[i].mtu);
		CHECK(cases[i].what, 20 + n + pfsync_act_size(cases[i].action) > cases[i].mtu);
		CHECK_EQ(cases[i].what, n, 24 + cases[i].fit * pfsync_act_size(cases[i].action));
		CHECK_EQ(cases[i].what, (buf[2] << 8) | buf[3], n);
	}
}

static void
test_build_mtu_new_subheader(void **state)
{
	struct pfsync_id_host r = { .id = 9, .creatorid = 9 };
	struct pfsync_builder b;
	uint8_t buf[200];

	(void)state;
	/* INS_ACK + DEL_C need 20 + 16 + 16 = 52 pfsync bytes: MTU 72 fits. */
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 72), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &r), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_DEL_C, &r), 0);
	assert_int_equal(pfsync_build_finish(&b), 52);
	/* At 71 the DEL_C's subheader tips it over, but another INS_ACK fits. */
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 71), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &r), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_DEL_C, &r), -ENOSPC);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &r), 0);
	assert_int_equal(pfsync_build_finish(&b), 48);
	/* The buffer bounds it as well as the MTU. */
	assert_int_equal(pfsync_build_init(&b, buf, 47, 1500), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &r), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS_ACK, &r), -ENOSPC);
}

static void
test_build_errors(void **state)
{
	struct pfsync_state_host s;
	struct pfsync_builder b;
	uint8_t buf[2000];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 39), -EINVAL);
	assert_int_equal(pfsync_build_init(&b, buf, 19, 1500), -EINVAL);
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 40), 0);
	/* An MTU that can never hold the record: not "flush and retry". */
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS, &s), -EMSGSIZE);
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 1500), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_EOF, &s), -EINVAL);
	assert_int_equal(pfsync_build_add(&b, 200, &s), -EINVAL);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_OINS, &s), -EINVAL);
	CHECK("nothing added", pfsync_build_empty(&b));
}

/* A full state through the builder, the iterator and the decoder. */
static void
test_build_parse_state(void **state)
{
	struct pfsync_state_host s, got;
	struct pfsync_builder b;
	struct pfsync_iter it;
	struct pfsync_section sec;
	uint8_t buf[1500];
	size_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.id = 0x0000000000abcdefull;
	memcpy(s.ifname, "lan", 3);
	s.key[0].addr[0][0] = 198;
	s.key[0].addr[0][1] = 18;
	s.key[0].port[0] = 1234;
	s.key[0].af = PF_AF_INET;
	s.key[1] = s.key[0];	/* no NAT: stack key = wire key */
	s.src.state = PF_TCPS_ESTABLISHED;
	s.dst.state = PF_TCPS_ESTABLISHED;
	s.rule = UINT32_MAX;
	s.anchor = UINT32_MAX;
	s.packets[1] = 1ull << 40;
	s.creatorid = 0x0a0b0c0d;
	s.af = PF_AF_INET;
	s.proto = 6;
	s.direction = PF_OUT;
	s.timeout = PFTM_TCP_ESTABLISHED;
	s.state_flags = PFSTATE_ACK;
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), 1500), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS, &s), 0);
	n = pfsync_build_finish(&b);
	CHECK_EQ("INS packet", n, 20 + 4 + 264);
	CHECK_EQ("subh len in words", buf[21], 66);
	CHECK_EQ("af @24+250", buf[24 + 250], 2);
	CHECK_EQ("state_flags @24+260", (buf[24 + 260] << 8) | buf[24 + 261], 0x0010);
	CHECK_EQ("packets[1] hi @24+212", buf[24 + 212 + 2], 1);
	assert_int_equal(pfsync_iter_init(&it, buf, n), PFSYNC_OK);
	assert_int_equal(pfsync_iter_next(&it, &sec), 1);
	pfsync_state_decode(sec.rec, &got);
	CHECK_EQ("id", got.id, s.id);
	CHECK_EQ("packets[1]", got.packets[1], s.packets[1]);
	CHECK_EQ("check_ins", pfsync_state_check_ins(&got), PFSYNC_OK);
	CHECK("ifname", memcmp(got.ifname, "lan\0", 4) == 0);
}

/* ---------------------------------------------------------------------------
 * Value checks of OpenBSD if_pfsync.c pfsync_in_upd
 */

static void
test_state_checks(void **state)
{
	static const struct {
		const char *what;
		uint8_t timeout, src, dst, dir, af, kaf0, kaf1;
		enum pfsync_err ins, upd;
	} cases[] = {
		{ "valid", 2, 4, 4, 1, 2, 2, 2, PFSYNC_OK, PFSYNC_OK },
		{ "valid, key afs 0", 2, 4, 4, 2, 24, 0, 0, PFSYNC_OK, PFSYNC_OK },
		{ "af-to keys", 2, 4, 4, 2, 2, 2, 24, PFSYNC_OK, PFSYNC_OK },
		{ "timeout 19", 19, 4, 4, 1, 2, 2, 2, PFSYNC_OK, PFSYNC_OK },
		{ "timeout 20", 20, 4, 4, 1, 2, 2, 2, PFSYNC_ERR_BADVAL, PFSYNC_ERR_BADVAL },
		{ "src state 12", 2, 12, 4, 1, 2, 2, 2, PFSYNC_OK, PFSYNC_OK },
		{ "src state 13", 2, 13, 4, 1, 2, 2, 2, PFSYNC_ERR_BADVAL, PFSYNC_ERR_BADVAL },
		{ "dst state 13", 2, 4, 13, 1, 2, 2, 2, PFSYNC_ERR_BADVAL, PFSYNC_ERR_BADVAL },
		{ "direction 3", 2, 4, 4, 3, 2, 2, 2, PFSYNC_ERR_BADVAL, PFSYNC_OK },
		{ "direction 0", 2, 4, 4, 0, 2, 2, 2, PFSYNC_OK, PFSYNC_OK },
		{ "Linux AF_INET6 10", 2, 4, 4, 1, 10, 0, 0, PFSYNC_ERR_BADVAL, PFSYNC_OK },
		{ "af 0", 2, 4, 4, 1, 0, 0, 0, PFSYNC_ERR_BADVAL, PFSYNC_OK },
		{ "one key af 0", 2, 4, 4, 1, 2, 2, 0, PFSYNC_ERR_BADVAL, PFSYNC_OK },
		{ "key af 28 (FreeBSD)", 2, 4, 4, 1, 24, 28, 28, PFSYNC_ERR_BADVAL, PFSYNC_OK },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		struct pfsync_state_host s;
		struct pfsync_upd_c_host u;

		memset(&s, 0, sizeof(s));
		memset(&u, 0, sizeof(u));
		s.timeout = u.timeout = cases[i].timeout;
		s.src.state = u.src.state = cases[i].src;
		s.dst.state = u.dst.state = cases[i].dst;
		s.direction = cases[i].dir;
		s.af = cases[i].af;
		s.key[0].af = cases[i].kaf0;
		s.key[1].af = cases[i].kaf1;
		CHECK_EQ(cases[i].what, pfsync_state_check_ins(&s), cases[i].ins);
		CHECK_EQ(cases[i].what, pfsync_state_check_upd(&s), cases[i].upd);
		CHECK_EQ(cases[i].what, pfsync_upd_c_check(&u), cases[i].upd);
	}
}

/* ---------------------------------------------------------------------------
 * Truncation: every prefix of a valid packet, in a buffer of exactly that
 * size, with the header len left alone (badlen or hdrops) and with it set
 * to the prefix length (sections cut short: badlen), never reads outside.
 */
static void
test_truncation(void **state)
{
	union pfsync_rec_host h;
	struct pfsync_builder b;
	uint8_t full[1500];
	size_t n;

	(void)state;
	memset(&h, 0x3c, sizeof(h));
	assert_int_equal(pfsync_build_init(&b, full, sizeof(full), 1500), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_CLR, &h), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_INS, &h), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_UPD_C, &h), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_UPD_C, &h), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_BUS, &h), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_TDB, &h), 0);
	n = pfsync_build_finish(&b);

	for (size_t len = 0; len <= n; len++) {
		for (int fix = 0; fix < 2; fix++) {
			uint8_t *buf = malloc(len ? len : 1);
			struct pfsync_iter it;
			struct pfsync_section sec;
			enum pfsync_err err;
			int rc;

			assert_non_null(buf);
			memcpy(buf, full, len);
			if (fix && len >= 4) {
				buf[2] = (uint8_t)(len >> 8);
				buf[3] = (uint8_t)len;
			}
			err = pfsync_iter_init(&it, buf, len);
			if (len < 20)
				CHECK_EQ("short", err, PFSYNC_ERR_HDROPS);
			else if (!fix && len < n)
				CHECK_EQ("hdr len past data", err, PFSYNC_ERR_BADLEN);
			else
				CHECK_EQ("consistent", err, PFSYNC_OK);
			while ((rc = pfsync_iter_next(&it, &sec)) == 1) {
				union pfsync_rec_host out;

				CHECK("inside", sec.rec + sec.stride * sec.count <= buf + len);
				for (unsigned int k = 0; k < sec.count; k++)
					CHECK("decodes", pfsync_rec_decode(sec.action,
						sec.rec + k * sec.stride, &out) == 0);
			}
			if (err == PFSYNC_OK && len < n)
				CHECK("cut packet reports an error or ends at a boundary",
				      rc == -PFSYNC_ERR_BADLEN || rc == 0);
			free(buf);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_stats_and_errors),
		cmocka_unit_test(test_field_offsets),
		cmocka_unit_test(test_round_trip_wire),
		cmocka_unit_test(test_fixed_bytes_normalized),
		cmocka_unit_test(test_iterator),
		cmocka_unit_test(test_check_ip4),
		cmocka_unit_test(test_check_ip4_version),
		cmocka_unit_test(test_frame4),
		cmocka_unit_test(test_build_grouping),
		cmocka_unit_test(test_build_mtu),
		cmocka_unit_test(test_build_mtu_new_subheader),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_build_parse_state),
		cmocka_unit_test(test_state_checks),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("pfsync", tests, NULL, NULL);
}
