/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for proto/cksum: known answers from RFC 1071 and a real IPv4
 * header, pseudo-header sums against hand-summed words, and the RFC 1624
 * incremental update checked against full recomputation over random data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/cksum.h"
#include "proto/proto.h"

static void
test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(proto_cksum_fold(proto_cksum_add(0, b, sizeof(b))), 0xddf2);
	assert_int_equal(proto_cksum(b, sizeof(b)), 0x220d);
}

static void
test_ipv4_header(void **state)
{
	/* 192.168.0.1 -> 192.168.0.199 UDP, checksum b861 (well-known example). */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(proto_cksum(h, sizeof(h)), 0xb861);
	proto_wr16(h + 10, 0xb861);
	assert_int_equal(proto_cksum(h, sizeof(h)), 0);
}

static void
test_odd_length(void **state)
{
	/* An odd trailing byte is the high byte of a zero-padded word. */
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	static const uint8_t even[] = { 0x12, 0x34, 0x56, 0x00 };

	(void)state;
	assert_int_equal(proto_cksum(odd, 3), proto_cksum(even, 4));
	assert_int_equal(proto_cksum(odd, 3), (uint16_t)~(0x1234 + 0x5600));
	assert_int_equal(proto_cksum(NULL, 0), 0xffff);
}

static void
test_pseudo4(void **state)
{
	static const uint8_t src[4] = { 198, 18, 0, 1 }, dst[4] = { 198, 18, 1, 2 };
	uint32_t want = 0xc612 + 0x0001 + 0xc612 + 0x0102 + 17 + 28;

	(void)state;
	assert_int_equal(proto_cksum_fold(proto_cksum_pseudo4(src, dst, 17, 28)),
			 proto_cksum_fold(want));
}

static void
test_pseudo6(void **state)
{
	uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8 }, dst[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t want;

	(void)state;
	src[15] = 1;
	dst[15] = 2;
	want = 2 * (0x2001 + 0x0db8) + 1 + 2 + 0x0001 + 0x0010 + 58;
	assert_int_equal(proto_cksum_fold(proto_cksum_pseudo6(src, dst, 58, 0x10010)),
			 proto_cksum_fold(want));
}

static void
test_l4_udp(void **state)
{
	/* UDP 198.18.0.1:1024 -> 198.18.0.2:53, payload "hi"; summed by hand. */
	static const uint8_t src[4] = { 198, 18, 0, 1 }, dst[4] = { 198, 18, 0, 2 };
	uint8_t udp[10] = { 0x04, 0x00, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, 'h', 'i' };
	uint32_t s = 0xc612 + 0x0001 + 0xc612 + 0x0002 + 17 + 10 +
		     0x0400 + 0x0035 + 0x000a + 0x6869;
	uint16_t c = proto_cksum_l4(proto_cksum_pseudo4(src, dst, 17, 10), udp, 10);

	(void)state;
	assert_int_equal(c, (uint16_t)~proto_cksum_fold(s));
	proto_wr16(udp + 6, c);
	assert_int_equal(proto_cksum_l4(proto_cksum_pseudo4(src, dst, 17, 10), udp, 10), 0);
}

/* Random headers: the incremental result must make the header valid again
 * and equal the full recomputation (0x0000 and 0xffff are the same sum). */
static void
test_incremental_random(void **state)
{
	uint8_t h[40];

	(void)state;
	srand(1624);
	for (int iter = 0; iter < 20000; iter++) {
		uint16_t ck, inc, full, from16, to16;
		uint32_t from32, to32;
		uint8_t from128[16], to128[16];
		int off;

		for (size_t i = 0; i < sizeof(h); i++)
			h[i] = (uint8_t)rand();
		proto_wr16(h + 10, 0);
		ck = proto_cksum(h, sizeof(h));
		proto_wr16(h + 10, ck);

		switch (iter % 3) {
		case 0: /* 16-bit field (TTL/protocol word, a port) */
			off = 12 + 2 * (rand() % 14);
			from16 = proto_rd16(h + off);
			to16 = (uint16_t)rand();
			proto_wr16(h + off, to16);
			inc = proto_cksum_update16(ck, from16, to16);
			break;
		case 1: /* 32-bit field (an IPv4 address, a sequence number) */
			off = 12 + 2 * (rand() % 13);
			from32 = proto_rd32(h + off);
			to32 = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
			proto_wr32(h + off, to32);
			inc = proto_cksum_update32(ck, from32, to32);
			break;
		default: /* an IPv6 address */
			memcpy(from128, h + 20, 16);
			for (int i = 0; i < 16; i++)
				to128[i] = (uint8_t)rand();
			memcpy(h + 20, to128, 16);
			inc = proto_cksum_update128(ck, from128, to128);
			break;
		}
		proto_wr16(h + 10, inc);
		assert_int_equal(proto_cksum_fold(proto_cksum_add(0, h, sizeof(h))), 0xffff);
		proto_wr16(h + 10, 0);
		full = proto_cksum(h, sizeof(h));
		if (full != inc)
			assert_true((full == 0 && inc == 0xffff) || (full == 0xffff && inc == 0));
	}
}

static void
test_ttl_decrement(void **state)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
			  0x00, 0x00, 198, 18, 0, 1, 198, 18, 1, 1 };
	uint16_t ck;

	(void)state;
	proto_wr16(h + 10, proto_cksum(h, 20));
	for (int ttl = 64; ttl > 1; ttl--) {
		uint16_t from = proto_rd16(h + 8);

		h[8]--;
		ck = proto_cksum_update16(proto_rd16(h + 10), from, proto_rd16(h + 8));
		proto_wr16(h + 10, ck);
		assert_int_equal(proto_cksum(h, 20), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_pseudo4),
		cmocka_unit_test(test_pseudo6),
		cmocka_unit_test(test_l4_udp),
		cmocka_unit_test(test_incremental_random),
		cmocka_unit_test(test_ttl_decrement),
	};

	return cmocka_run_group_tests_name("cksum", tests, NULL, NULL);
}
