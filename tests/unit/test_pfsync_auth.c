/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for authenticated pfsync: the wire part (proto/pfsync_auth.c)
 * and the engine's sequence numbers and replay check
 * (control/pfsync/pfsync_auth.c).
 *
 * The known answers come from tests/unit/gen_pfsync_auth_vectors.sh, which
 * computes them with `openssl dgst` from the layout in docs/pfsync.md,
 * never from this code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/pfsync/pfsync_auth.h"
#include "proto/pfsync.h"
#include "proto/pfsync_auth.h"
#include "proto/proto.h"
#include "tests/unit/pfsync_auth_vectors.h"

#define NKATS (sizeof(pfsync_auth_kats) / sizeof(pfsync_auth_kats[0]))

static const uint8_t src[4] = { 198, 19, 0, 1 }, dst[4] = { 198, 19, 0, 2 };

static void
key_of(struct pfsync_auth_key *k, uint8_t fill, size_t len)
{
	uint8_t key[PFSYNC_AUTH_KEY_MAX];

	memset(key, fill, sizeof(key));
	assert_int_equal(pfsync_auth_key_init(k, key, len), 0);
}

/* A sealed packet holding one BUS record; returns its length. */
static size_t
sealed_bus(const struct pfsync_auth_key *k, uint8_t *buf, size_t size, uint64_t seq)
{
	struct pfsync_builder b;
	struct pfsync_bus_host bus = { .creatorid = 0x01020304, .endtime = 7,
				       .status = PFSYNC_BUS_START };
	size_t plen;

	assert_int_equal(pfsync_build_init(&b, buf, size, PFSYNC_DFLTMTU - PFSYNC_AUTH_LEN), 0);
	assert_int_equal(pfsync_build_add(&b, PFSYNC_ACT_BUS, &bus), 0);
	plen = pfsync_build_finish(&b);
	return pfsync_auth_seal(k, buf, plen, size, src, dst, 0x0a0b0c0d, seq);
}

static void
test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct pfsync_auth_trailer), 48);
	assert_int_equal(offsetof(struct pfsync_auth_trailer, keyid), 0);
	assert_int_equal(offsetof(struct pfsync_auth_trailer, sender), 4);
	assert_int_equal(offsetof(struct pfsync_auth_trailer, seq), 8);
	assert_int_equal(offsetof(struct pfsync_auth_trailer, mac), 16);
	assert_int_not_equal(PFSYNC_AUTH_VERSION, PFSYNC_VERSION);
	assert_int_not_equal(PFSYNC_AUTH_VERSION, 5);	/* FreeBSD's */
	assert_string_equal(pfsync_auth_err_str(PFSYNC_AUTH_OK), "ok");
	assert_string_equal(pfsync_auth_err_str(PFSYNC_AUTH_ERR_MAX), "?");
}

/* Sealing reproduces the openssl answers byte for byte; opening accepts them. */
static void
test_known_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKATS; i++) {
		const struct pfsync_auth_kat *v = &pfsync_auth_kats[i];
		struct pfsync_auth_key k;
		struct pfsync_auth_info info;
		struct pfsync_iter it;
		struct pfsync_section sec;
		uint8_t buf[256];
		const uint8_t *t;
		size_t n;
		int sections = 0;

		print_message("# %s\n", v->what);
		assert_int_equal(pfsync_auth_key_init(&k, v->key, v->key_len), 0);
		assert_int_equal(k.ak_id, v->keyid);
		memcpy(buf, v->pkt, v->plen);
		n = pfsync_auth_seal(&k, buf, v->plen, sizeof(buf), v->src, v->dst, v->sender,
				     v->seq);
		assert_int_equal(n, v->plen + 48);
		assert_int_equal(buf[0], 0x86);
		assert_int_equal(proto_rd16(buf + 2), n);
		assert_memory_equal(buf + 4, v->pkt + 4, v->plen - 4);	/* sections untouched */
		t = buf + v->plen;
		assert_int_equal(proto_rd32(t), v->keyid);
		assert_int_equal(proto_rd32(t + 4), v->sender);
		assert_int_equal(proto_rd64(t + 8), v->seq);
		assert_memory_equal(t + 16, v->mac, 32);

		assert_int_equal(pfsync_auth_open(&k, buf, n, v->src, v->dst, &info, &it),
				 PFSYNC_AUTH_OK);
		assert_int_equal(info.keyid, v->keyid);
		assert_int_equal(info.sender, v->sender);
		assert_true(info.seq == v->seq);
		while (pfsync_iter_next(&it, &sec) > 0)
			sections++;
		assert_int_equal(it.it_err, PFSYNC_OK);
		assert_int_equal(sections, v->plen > 20 ? 1 : 0);
	}
}

/* Builder -> seal -> open -> iterate gives back the record. */
static void
test_round_trip(void **state)
{
	struct pfsync_auth_key k;
	struct pfsync_auth_info info;
	struct pfsync_iter it;
	struct pfsync_section sec;
	struct pfsync_bus_host bus;
	uint8_t buf[PFSYNC_DFLTMTU];
	size_t n;

	(void)state;
	key_of(&k, 0x5a, 32);
	n = sealed_bus(&k, buf, sizeof(buf), 42);
	assert_int_equal(n, 20 + 4 + 12 + 48);
	assert_int_equal(pfsync_auth_open(&k, buf, n, src, dst, &info, &it), PFSYNC_AUTH_OK);
	assert_int_equal(info.sender, 0x0a0b0c0d);
	assert_true(info.seq == 42);
	assert_int_equal(pfsync_iter_next(&it, &sec), 1);
	assert_int_equal(sec.action, PFSYNC_ACT_BUS);
	assert_int_equal(sec.count, 1);
	pfsync_bus_decode(sec.rec, &bus);
	assert_int_equal(bus.creatorid, 0x01020304);
	assert_int_equal(bus.status, PFSYNC_BUS_START);
	assert_int_equal(pfsync_iter_next(&it, &sec), 0);
	assert_int_equal(it.it_err, PFSYNC_OK);
	/* Ethernet padding past the header's len is ignored, as in v6. */
	memset(buf + n, 0xee, 8);
	assert_int_equal(pfsync_auth_open(&k, buf, n + 8, src, dst, &info, &it), PFSYNC_AUTH_OK);
}

/* A receiver without the option drops the packet on its version (badver). */
static void
test_unkeyed_receiver(void **state)
{
	struct pfsync_auth_key k;
	struct pfsync_iter it;
	struct pfsync_section sec;
	uint8_t buf[PFSYNC_DFLTMTU];
	size_t n, plen;

	(void)state;
	key_of(&k, 1, 16);
	n = sealed_bus(&k, buf, sizeof(buf), 1);
	assert_int_equal(pfsync_parse_hdr(buf, n, &plen), PFSYNC_ERR_BADVER);
	assert_int_equal(pfsync_iter_init(&it, buf, n), PFSYNC_ERR_BADVER);
	assert_int_equal(pfsync_iter_next(&it, &sec), -PFSYNC_ERR_BADVER);
}

static void
test_wrong_key_and_tampering(void **state)
{
	struct pfsync_auth_key k, other;
	struct pfsync_auth_info info;
	struct pfsync_iter it;
	uint8_t buf[PFSYNC_DFLTMTU], copy[PFSYNC_DFLTMTU];
	const uint8_t src2[4] = { 198, 19, 0, 9 };
	size_t n;

	(void)state;
	key_of(&k, 1, 16);
	key_of(&other, 2, 16);
	n = sealed_bus(&k, buf, sizeof(buf), 1);
	assert_int_equal(pfsync_auth_open(&other, buf, n, src, dst, &info, &it),
			 PFSYNC_AUTH_ERR_KEYID);
	/* Same key id, wrong key: the MAC decides. */
	other.ak_id = k.ak_id;
	assert_int_equal(pfsync_auth_open(&other, buf, n, src, dst, &info, &it),
			 PFSYNC_AUTH_ERR_MAC);
	/* Every byte is covered: the header, a record, the trailer, the MAC. */
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || i == 2 || i == 3)
			continue;	/* version and len: other verdicts */
		memcpy(copy, buf, n);
		copy[i] ^= 0x01;
		if (pfsync_auth_open(&k, copy, n, src, dst, &info, &it) == PFSYNC_AUTH_OK)
			fail_msg("byte %zu is not covered", i);
	}
	/* So are the IP addresses. */
	assert_int_equal(pfsync_auth_open(&k, buf, n, src2, dst, &info, &it),
			 PFSYNC_AUTH_ERR_MAC);
	assert_int_equal(pfsync_auth_open(&k, buf, n, src, src2, &info, &it),
			 PFSYNC_AUTH_ERR_MAC);
}

static void
test_truncated_and_version(void **state)
{
	struct pfsync_auth_key k;
	struct pfsync_auth_info info;
	struct pfsync_iter it;
	struct pfsync_builder b;
	uint8_t buf[PFSYNC_DFLTMTU];
	size_t n, len;

	(void)state;
	key_of(&k, 1, 16);
	n = sealed_bus(&k, buf, sizeof(buf), 1);
	for (len = 0; len < n; len++) {
		enum pfsync_auth_err e = pfsync_auth_open(&k, buf, len, src, dst, &info, &it);

		if (len < 20 + 48)
			assert_int_equal(e, PFSYNC_AUTH_ERR_SHORT);
		else
			assert_int_equal(e, PFSYNC_AUTH_ERR_BADLEN);
	}
	/* A header len that leaves no room for the trailer. */
	proto_wr16(buf + 2, 20 + 47);
	assert_int_equal(pfsync_auth_open(&k, buf, n, src, dst, &info, &it),
			 PFSYNC_AUTH_ERR_BADLEN);
	proto_wr16(buf + 2, (uint16_t)n);
	/* Plain v6 (and FreeBSD's v5) is not authenticated. */
	buf[0] = PFSYNC_VERSION;
	assert_int_equal(pfsync_auth_open(&k, buf, n, src, dst, &info, &it),
			 PFSYNC_AUTH_ERR_NOTAUTH);
	buf[0] = 5;
	assert_int_equal(pfsync_auth_open(&k, buf, n, src, dst, &info, &it),
			 PFSYNC_AUTH_ERR_NOTAUTH);
	/* Sealing wants a finished v6 packet and the room for the trailer. */
	assert_int_equal(pfsync_build_init(&b, buf, sizeof(buf), PFSYNC_DFLTMTU), 0);
	len = pfsync_build_finish(&b);
	assert_int_equal(pfsync_auth_seal(&k, buf, len, len + 47, src, dst, 1, 1), 0);
	assert_int_equal(pfsync_auth_seal(&k, buf, len + 1, sizeof(buf), src, dst, 1, 1), 0);
	assert_int_equal(pfsync_auth_seal(&k, buf, len, len + 48, src, dst, 1, 1), len + 48);
	assert_int_equal(pfsync_auth_seal(&k, buf, len, sizeof(buf), src, dst, 1, 1), 0);
}

static void
test_key_sizes(void **state)
{
	struct pfsync_auth_key k;
	uint8_t key[PFSYNC_AUTH_KEY_MAX + 1] = { 0 };

	(void)state;
	assert_int_equal(pfsync_auth_key_init(&k, key, 15), -EINVAL);
	assert_int_equal(pfsync_auth_key_init(&k, key, 16), 0);
	assert_int_equal(pfsync_auth_key_init(&k, key, 64), 0);
	assert_int_equal(pfsync_auth_key_init(&k, key, 65), -EINVAL);
}

static void
test_sequence(void **state)
{
	struct pfsync_auth a;
	uint8_t key[16] = { 0 };

	(void)state;
	assert_int_equal(pfsync_auth_init(&a, key, sizeof(key), 1000), 0);
	assert_true(pfsync_auth_next_seq(&a, 1000) == (1000ULL << 32 | 1));
	assert_true(pfsync_auth_next_seq(&a, 5000) == (1000ULL << 32 | 2));
	/* The counter wraps: a later epoch, the clock's if it is ahead. */
	a.a_counter = UINT32_MAX;
	assert_true(pfsync_auth_next_seq(&a, 5000) == (5000ULL << 32 | 1));
	a.a_counter = UINT32_MAX;
	assert_true(pfsync_auth_next_seq(&a, 10) == (5001ULL << 32 | 1));
	pfsync_auth_fini(&a);
	assert_int_equal(a.a_key.ak_len, 0);
}

static void
test_replay(void **state)
{
	struct pfsync_auth a;
	uint8_t key[16] = { 0 };
	uint64_t e1 = 1000ULL << 32, e2 = 2000ULL << 32;

	(void)state;
	assert_int_equal(pfsync_auth_init(&a, key, sizeof(key), 1), 0);
	assert_true(pfsync_auth_accept(&a, 7, e1 | 5, 1));
	assert_false(pfsync_auth_accept(&a, 7, e1 | 5, 2));	/* the same packet again */
	assert_false(pfsync_auth_accept(&a, 7, e1 | 4, 3));	/* an older one */
	assert_true(pfsync_auth_accept(&a, 7, e1 | 9, 4));	/* a gap is fine */
	assert_true(pfsync_auth_accept(&a, 8, e1 | 1, 5));	/* another sender */
	/* The sender restarted: its new epoch starts above the old one. */
	assert_true(pfsync_auth_accept(&a, 7, e2 | 1, 6));
	assert_false(pfsync_auth_accept(&a, 7, e1 | 10, 7));	/* from before the restart */
	/* More senders than slots: the least recently heard is forgotten. */
	for (uint32_t s = 100; s < 100 + PFSYNC_AUTH_PEERS; s++)
		assert_true(pfsync_auth_accept(&a, s, 1, 100 + s));
	assert_true(pfsync_auth_accept(&a, 7, e1 | 1, 1000));	/* 7 was forgotten */
	assert_false(pfsync_auth_accept(&a, 100 + PFSYNC_AUTH_PEERS - 1, 1, 1001));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unkeyed_receiver),
		cmocka_unit_test(test_wrong_key_and_tampering),
		cmocka_unit_test(test_truncated_and_version),
		cmocka_unit_test(test_key_sizes),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
