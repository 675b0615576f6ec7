/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * States between dpf's and pfsync's terms (control/pfsync/pfsync_state.c):
 * a description exported to a pfsync record, encoded on the wire, decoded
 * and imported again gives the same description, for both families, both
 * key orders and the flags that travel; what OpenBSD reads from the record
 * (direction in, creator at key address 0, interface "all", rule none,
 * relative times) is checked field by field; an OpenBSD "out" state or a
 * record with a key af of 0 imports with the right creator; bad afs and
 * creator id 0 are refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "control/pfsync/pfsync_state.h"
#include "proto/pf.h"

static void
desc_make(uint8_t af, const char *a, const char *b, uint16_t pa, uint16_t pb, uint8_t proto,
	  struct dp_state_desc *d)
{
	uint8_t sa[16] = { 0 }, sb[16] = { 0 };
	bool swapped = false;

	memset(d, 0, sizeof(*d));
	assert_int_equal(inet_pton(af == 4 ? AF_INET : AF_INET6, a, sa), 1);
	assert_int_equal(inet_pton(af == 4 ? AF_INET : AF_INET6, b, sb), 1);
	assert_true(dp_state_key_make(af, proto, sa, sb, htons(pa), htons(pb), 0, &d->key,
				      &swapped) != 0);
	d->af = af;
	d->flags = swapped ? DP_STF_SWAPPED : 0;
	d->id = 0x8001000200030004ULL;
	d->creatorid = 0x0a0b0c0d;
	d->track.peer[0] = (struct pf_peer){ 1000, 70000, 512, 0x87, PF_TCPS_ESTABLISHED };
	d->track.peer[1] = (struct pf_peer){ 5000, 9000, 65535, 0x82, PF_TCPS_FIN_WAIT_1 };
	d->expire_in = 86000;
	d->age = 400;
	d->packets[0] = 1ULL << 35;
	d->packets[1] = 7;
	d->bytes[0] = 1ULL << 50;
	d->bytes[1] = 900;
	d->timeout = PFTM_TCP_ESTABLISHED;
}

/* Export, encode, decode, import: the description comes back. */
static void
round_trip(const struct dp_state_desc *d)
{
	struct pfsync_state_host sp, back;
	struct dp_state_desc d2;
	uint8_t wire[264];

	pfsync_state_export(d, &sp);
	assert_int_equal(pfsync_rec_encode(PFSYNC_ACT_INS, wire, &sp), sizeof(wire));
	assert_int_equal(pfsync_rec_decode(PFSYNC_ACT_INS, wire, &back), 0);
	assert_int_equal(pfsync_state_check_ins(&back), PFSYNC_OK);
	assert_int_equal(pfsync_state_import(&back, &d2), 0);
	assert_memory_equal(&d2.key, &d->key, d->af == 4 ? sizeof(d->key.k4) : sizeof(d->key.k6));
	assert_memory_equal(&d2.track, &d->track, sizeof(d->track));
	assert_int_equal(d2.id, d->id);
	assert_int_equal(d2.creatorid, d->creatorid);
	assert_int_equal(d2.expire_in, d->expire_in);
	assert_int_equal(d2.age, d->age);
	assert_int_equal(d2.packets[0], d->packets[0]);
	assert_int_equal(d2.bytes[1], d->bytes[1]);
	assert_int_equal(d2.af, d->af);
	assert_int_equal(d2.timeout, d->timeout);
	assert_int_equal(d2.flags, d->flags);
}

static void
test_round_trip(void **state)
{
	struct dp_state_desc d;

	(void)state;
	/* Creator is the lower address, then the higher one (swapped key). */
	desc_make(4, "198.18.1.2", "198.18.2.2", 40000, 80, 6, &d);
	round_trip(&d);
	desc_make(4, "198.18.2.2", "198.18.1.2", 40000, 80, 6, &d);
	assert_true(d.flags & DP_STF_SWAPPED);
	round_trip(&d);
	desc_make(6, "2001:db8:1::2", "2001:db8:2::2", 5353, 53, 17, &d);
	d.flags |= DP_STF_SLOPPY | DP_STF_LOG;
	round_trip(&d);
	desc_make(6, "2001:db8:2::2", "2001:db8:1::2", 1, 1, 58, &d);
	round_trip(&d);
}

/* What an OpenBSD peer reads from our record. */
static void
test_export_fields(void **state)
{
	struct dp_state_desc d;
	struct pfsync_state_host sp;
	uint8_t creator[4], other[4];

	(void)state;
	desc_make(4, "198.18.2.2", "198.18.1.2", 40000, 80, 6, &d);	/* creator is higher */
	d.flags |= DP_STF_SLOPPY;
	pfsync_state_export(&d, &sp);
	inet_pton(AF_INET, "198.18.2.2", creator);
	inet_pton(AF_INET, "198.18.1.2", other);
	assert_int_equal(sp.direction, PF_IN);
	assert_int_equal(sp.af, PF_AF_INET);
	assert_int_equal(sp.proto, 6);
	for (int k = 0; k < 2; k++) {
		assert_memory_equal(sp.key[k].addr[0], creator, 4);
		assert_memory_equal(sp.key[k].addr[1], other, 4);
		assert_int_equal(sp.key[k].port[0], 40000);
		assert_int_equal(sp.key[k].port[1], 80);
		assert_int_equal(sp.key[k].af, PF_AF_INET);
	}
	assert_string_equal(sp.ifname, "all");
	assert_int_equal(sp.rule, 0xffffffffu);
	assert_int_equal(sp.creation, 400);
	assert_int_equal(sp.expire, 86000);
	assert_int_equal(sp.src.seqlo, 1000);
	assert_int_equal(sp.src.state, PF_TCPS_ESTABLISHED);
	assert_int_equal(sp.dst.max_win, 65535);
	assert_int_equal(sp.dst.wscale, 0x82);
	assert_int_equal(sp.state_flags, PFSTATE_SLOPPY);
	assert_false(sp.state_flags & PFSTATE_NOSYNC);
}

/* OpenBSD's "out" states have the creator at key address 1. */
static void
test_import_out(void **state)
{
	struct dp_state_desc d, in;
	struct pfsync_state_host sp;

	(void)state;
	desc_make(4, "198.18.1.2", "198.18.2.2", 40000, 80, 6, &d);
	pfsync_state_export(&d, &sp);
	/* The same connection as an OpenBSD outbound state would send it. */
	for (int k = 0; k < 2; k++) {
		uint8_t t[16];
		uint16_t p;

		memcpy(t, sp.key[k].addr[0], 16);
		memcpy(sp.key[k].addr[0], sp.key[k].addr[1], 16);
		memcpy(sp.key[k].addr[1], t, 16);
		p = sp.key[k].port[0];
		sp.key[k].port[0] = sp.key[k].port[1];
		sp.key[k].port[1] = p;
	}
	sp.direction = PF_OUT;
	sp.key[1].af = 0;	/* "use sp->af" */
	assert_int_equal(pfsync_state_import(&sp, &in), 0);
	assert_memory_equal(&in.key.k4, &d.key.k4, sizeof(d.key.k4));
	assert_int_equal(in.flags & DP_STF_SWAPPED, d.flags & DP_STF_SWAPPED);
}

static void
test_import_refused(void **state)
{
	struct dp_state_desc d, in;
	struct pfsync_state_host sp;

	(void)state;
	desc_make(4, "198.18.1.2", "198.18.2.2", 1, 2, 17, &d);
	pfsync_state_export(&d, &sp);
	sp.af = 10;		/* Linux's AF_INET6 is not a BSD af */
	assert_int_equal(pfsync_state_import(&sp, &in), -EINVAL);
	pfsync_state_export(&d, &sp);
	sp.key[1].af = PF_AF_INET6;	/* key of another family */
	assert_int_equal(pfsync_state_import(&sp, &in), -EINVAL);
	pfsync_state_export(&d, &sp);
	sp.creatorid = 0;
	assert_int_equal(pfsync_state_import(&sp, &in), -EINVAL);
}

static void
test_upd_c(void **state)
{
	struct dp_state_desc d;
	struct pfsync_upd_c_host up, back;
	struct pf_track t;
	uint8_t wire[84];

	(void)state;
	desc_make(6, "2001:db8:1::2", "2001:db8:2::2", 1234, 22, 6, &d);
	pfsync_upd_c_export(&d, &up);
	assert_int_equal(pfsync_rec_encode(PFSYNC_ACT_UPD_C, wire, &up), sizeof(wire));
	assert_int_equal(pfsync_rec_decode(PFSYNC_ACT_UPD_C, wire, &back), 0);
	assert_int_equal(pfsync_upd_c_check(&back), PFSYNC_OK);
	assert_int_equal(back.id, d.id);
	assert_int_equal(back.creatorid, d.creatorid);
	assert_int_equal(back.timeout, d.timeout);
	assert_int_equal(back.expire, 0);	/* sent as 0 [OpenBSD pfsync_out_upd_c] */
	pfsync_upd_c_import(&back, &t);
	assert_memory_equal(&t, &d.track, sizeof(t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_export_fields),
		cmocka_unit_test(test_import_out),
		cmocka_unit_test(test_import_refused),
		cmocka_unit_test(test_upd_c),
	};

	return cmocka_run_group_tests_name("pfsync_state", tests, NULL, NULL);
}
