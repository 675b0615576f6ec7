/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/pflog.  Expected bytes come from the offset table of
 * OpenBSD if_pflog.h struct pfloghdr and the choices of 4.4 (length 100, BSD af values, BE
 * rule numbers and ports, -1 ids), written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/pflog.h"

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

static void
test_constants(void **state)
{
	static const struct {
		const char *what;
		unsigned long long got, want;
	} cases[] = {
		{ "sizeof pfloghdr", sizeof(struct pflog_hdr), 100 },
		{ "PFLOG_HDRLEN", PFLOG_HDRLEN, 100 },
		{ "DLT_PFLOG", DLT_PFLOG, 117 },
		{ "PFLOG_LINKTYPE", PFLOG_LINKTYPE, 117 },
		{ "AF_INET", PF_AF_INET, 2 },
		{ "AF_INET6", PF_AF_INET6, 24 },
		{ "PF_PASS", PF_PASS, 0 },
		{ "PF_DROP", PF_DROP, 1 },
		{ "PF_MATCH", PF_MATCH, 12 },
		{ "PF_DIVERT", PF_DIVERT, 13 },
		{ "PF_RT", PF_RT, 14 },
		{ "PF_AFRT", PF_AFRT, 15 },
		{ "PF_IN", PF_IN, 1 },
		{ "PF_OUT", PF_OUT, 2 },
		{ "PFRES_BADSTATE", PFRES_BADSTATE, 10 },
		{ "PFRES_NOROUTE", PFRES_NOROUTE, 16 },
		{ "offset rulenr", offsetof(struct pflog_hdr, rulenr), 36 },
		{ "offset dir", offsetof(struct pflog_hdr, dir), 60 },
		{ "offset saddr", offsetof(struct pflog_hdr, saddr), 64 },
		{ "offset dport", offsetof(struct pflog_hdr, dport), 98 },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++)
		CHECK_EQ(cases[i].what, cases[i].got, cases[i].want);
	/* tcpdump's OpenBSD names [TD print-pflog.c] */
	assert_string_equal(pf_action_name(PF_PASS), "pass");
	assert_string_equal(pf_action_name(PF_DROP), "block");
	assert_string_equal(pf_action_name(PF_SYNPROXY_DROP), "synproxy-drop");
	assert_string_equal(pf_action_name(PF_AFRT), "afrt");
	assert_string_equal(pf_action_name(16), "?");
	assert_string_equal(pf_dir_name(PF_IN), "in");
	assert_string_equal(pf_dir_name(PF_OUT), "out");
	assert_string_equal(pf_dir_name(9), "?");
}

static const struct pflog_info sample = {
	.af = PF_AF_INET6,
	.action = PF_DROP,
	.reason = PFRES_BADSTATE,
	.dir = PF_OUT,
	.ifname = "wan0",
	.ruleset = "anch",
	.rulenr = 0x01020304,
	.subrulenr = 0x0a0b0c0d,
	.rewritten = 1,
	.naf = PF_AF_INET,
	.saddr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	.daddr = { 198, 18, 0, 9 },
	.sport = 0x1234,
	.dport = 53,
};

/* Each field at its OpenBSD if_pflog.h struct pfloghdr offset, in the documented encoding. */
static void
test_header_bytes(void **state)
{
	static const struct {
		const char *what;
		size_t off, len;
		uint8_t want[16];
	} cases[] = {
		{ "length @0 = 100", 0, 1, { 100 } },
		{ "af @1 = 24 (BSD INET6)", 1, 1, { 24 } },
		{ "action @2 = drop", 2, 1, { 1 } },
		{ "reason @3 = state-mismatch", 3, 1, { 10 } },
		{ "ifname @4", 4, 16, { 'w', 'a', 'n', '0' } },
		{ "ruleset @20", 20, 16, { 'a', 'n', 'c', 'h' } },
		{ "rulenr BE @36", 36, 4, { 1, 2, 3, 4 } },
		{ "subrulenr BE @40", 40, 4, { 10, 11, 12, 13 } },
		{ "uid -1 @44", 44, 4, { 0xff, 0xff, 0xff, 0xff } },
		{ "pid -1 @48", 48, 4, { 0xff, 0xff, 0xff, 0xff } },
		{ "rule_uid -1 @52", 52, 4, { 0xff, 0xff, 0xff, 0xff } },
		{ "rule_pid -1 @56", 56, 4, { 0xff, 0xff, 0xff, 0xff } },
		{ "dir @60 = out", 60, 1, { 2 } },
		{ "rewritten @61", 61, 1, { 1 } },
		{ "naf @62", 62, 1, { 2 } },
		{ "pad @63", 63, 1, { 0 } },
		{ "saddr @64", 64, 16,
		  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
		{ "daddr @80", 80, 16, { 198, 18, 0, 9 } },
		{ "sport BE @96", 96, 2, { 0x12, 0x34 } },
		{ "dport BE @98", 98, 2, { 0, 53 } },
	};
	uint8_t buf[128];
	size_t covered = 0;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(pflog_hdr_build(buf, sizeof(buf), &sample), 100);
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		check_bytes(cases[i].what, buf + cases[i].off, cases[i].want, cases[i].len);
		covered += cases[i].len;
	}
	CHECK_EQ("every header byte checked", covered, 100);
	CHECK_EQ("nothing written past 100", buf[100], 0xa5);
	assert_int_equal(pflog_hdr_build(buf, 99, &sample), 0);
}

static void
test_default_rule(void **state)
{
	struct pflog_info i = {
		.af = PF_AF_INET, .action = PF_PASS, .reason = PFRES_MATCH, .dir = PF_IN,
		.ifname = "lan", .rulenr = PFLOG_RULENR_NONE, .subrulenr = PFLOG_RULENR_NONE,
	};
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[100];

	(void)state;
	assert_int_equal(pflog_hdr_build(buf, sizeof(buf), &i), 100);
	check_bytes("rulenr/subrulenr all ones", buf + 36, ones, 8);
	CHECK_EQ("af", buf[1], 2);
	CHECK_EQ("dir in", buf[60], 1);
}

static void
test_parse_round_trip(void **state)
{
	struct pflog_info out;
	uint8_t buf[100];

	(void)state;
	assert_int_equal(pflog_hdr_build(buf, sizeof(buf), &sample), 100);
	assert_int_equal(pflog_hdr_parse(buf, sizeof(buf), &out), PFLOG_OK);
	CHECK_EQ("length", out.length, 100);
	CHECK_EQ("hdrlen", out.hdrlen, 100);
	CHECK_EQ("af", out.af, sample.af);
	CHECK_EQ("action", out.action, sample.action);
	CHECK_EQ("reason", out.reason, sample.reason);
	CHECK_EQ("dir", out.dir, sample.dir);
	CHECK_EQ("rulenr", out.rulenr, sample.rulenr);
	CHECK_EQ("subrulenr", out.subrulenr, sample.subrulenr);
	CHECK_EQ("uid", out.uid, 0xffffffff);
	CHECK_EQ("rule_pid", out.rule_pid, 0xffffffff);
	CHECK_EQ("rewritten", out.rewritten, 1);
	CHECK_EQ("naf", out.naf, 2);
	CHECK_EQ("sport", out.sport, 0x1234);
	CHECK_EQ("dport", out.dport, 53);
	assert_memory_equal(out.ifname, sample.ifname, 16);
	assert_memory_equal(out.ruleset, sample.ruleset, 16);
	assert_memory_equal(out.saddr, sample.saddr, 16);
	assert_memory_equal(out.daddr, sample.daddr, 16);
}

/* tcpdump accepts length 61..100 and skips roundup(length, 4). */
static void
test_parse_lengths(void **state)
{
	static const struct {
		const char *what;
		uint8_t length;
		size_t buflen;
		enum pflog_err err;
		size_t hdrlen;
	} cases[] = {
		{ "OpenBSD 100", 100, 100, PFLOG_OK, 100 },
		{ "FreeBSD 69 -> 72", 69, 72, PFLOG_OK, 72 },
		{ "FreeBSD 69, 71 bytes", 69, 71, PFLOG_ERR_SHORT, 0 },
		{ "minimum 61 -> 64", 61, 64, PFLOG_OK, 64 },
		{ "60 rejected", 60, 100, PFLOG_ERR_BADLEN, 0 },
		{ "101 rejected", 101, 104, PFLOG_ERR_BADLEN, 0 },
		{ "0 rejected", 0, 100, PFLOG_ERR_BADLEN, 0 },
		{ "100 in 99 bytes", 100, 99, PFLOG_ERR_SHORT, 0 },
		{ "empty", 100, 0, PFLOG_ERR_SHORT, 0 },
	};

	(void)state;
	for (size_t i = 0; i < PROTO_ARRAY_SIZE(cases); i++) {
		uint8_t *buf = malloc(cases[i].buflen ? cases[i].buflen : 1);
		struct pflog_info out;

		assert_non_null(buf);
		memset(buf, 0x11, cases[i].buflen);
		if (cases[i].buflen)
			buf[0] = cases[i].length;
		CHECK_EQ(cases[i].what, pflog_hdr_parse(buf, cases[i].buflen, &out), cases[i].err);
		if (cases[i].err == PFLOG_OK) {
			CHECK_EQ(cases[i].what, out.hdrlen, cases[i].hdrlen);
			CHECK_EQ(cases[i].what, out.rulenr, 0x11111111);
			/* Only OpenBSD's 100-byte layout has addresses at 64.. */
			CHECK_EQ(cases[i].what, out.sport, cases[i].length == 100 ? 0x1111 : 0);
		}
		free(buf);
	}
}

static void
test_record(void **state)
{
	static const uint8_t pkt[28] = { 0x45, 0, 0, 28 };
	uint8_t buf[128], out[128];

	(void)state;
	assert_int_equal(pflog_record_build(buf, sizeof(buf), &sample, pkt, sizeof(pkt)), 128);
	CHECK_EQ("header first", buf[0], 100);
	assert_memory_equal(buf + 100, pkt, sizeof(pkt));
	assert_int_equal(pflog_record_build(out, 127, &sample, pkt, sizeof(pkt)), 0);
	assert_int_equal(pflog_record_build(out, 99, &sample, NULL, 0), 0);
	assert_int_equal(pflog_record_build(out, 100, &sample, NULL, 0), 100);
}

/* Every prefix of a record in an exact-size buffer: no read past it. */
static void
test_truncation(void **state)
{
	uint8_t full[100];

	(void)state;
	assert_int_equal(pflog_hdr_build(full, sizeof(full), &sample), 100);
	for (size_t len = 0; len <= sizeof(full); len++) {
		uint8_t *buf = malloc(len ? len : 1);
		struct pflog_info out;

		assert_non_null(buf);
		memcpy(buf, full, len);
		CHECK_EQ("prefix", pflog_hdr_parse(buf, len, &out),
			 len == 100 ? PFLOG_OK : PFLOG_ERR_SHORT);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_default_rule),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("pflog", tests, NULL, NULL);
}
