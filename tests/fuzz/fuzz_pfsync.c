/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for proto/pfsync.  The input is tried as an IPv4 packet and as
 * a bare pfsync packet; every section is walked and every record of a known
 * action decoded, re-encoded and compared with the input (bit-exact apart
 * from the bytes the host form does not carry: pads, nat_rule), then all
 * decoded records are built into packets with a small MTU taken from the
 * input, and those packets must parse back to the same records.  Any
 * mismatch calls abort().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pfsync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PKT_RECS 256

/* Bytes a decode-encode round trip normalizes: value 0, or 0xff for nat_rule. */
static void
canonical(unsigned int action, uint8_t *rec)
{
	static const size_t peer_pad = offsetof(struct pfsync_state_peer, pad);
	static const size_t key_pad = offsetof(struct pfsync_state_key, pad);
	static const size_t key_size = sizeof(struct pfsync_state_key);

	switch (action) {
	case PFSYNC_ACT_INS:
	case PFSYNC_ACT_UPD:
	case PFSYNC_ACT_DEL:
		for (int i = 0; i < 2; i++)
			rec[offsetof(struct pfsync_state, key) + i * key_size + key_pad] = 0;
		memset(rec + offsetof(struct pfsync_state, src) + peer_pad, 0, 6);
		memset(rec + offsetof(struct pfsync_state, dst) + peer_pad, 0, 6);
		memset(rec + offsetof(struct pfsync_state, nat_rule), 0xff, 4);
		break;
	case PFSYNC_ACT_UPD_C:
		memset(rec + offsetof(struct pfsync_upd_c, src) + peer_pad, 0, 6);
		memset(rec + offsetof(struct pfsync_upd_c, dst) + peer_pad, 0, 6);
		memset(rec + offsetof(struct pfsync_upd_c, _pad), 0, 2);
		break;
	case PFSYNC_ACT_BUS:
		memset(rec + offsetof(struct pfsync_bus, _pad), 0, 3);
		break;
	default:
		break;
	}
}

struct saved {
	unsigned int action;
	union pfsync_rec_host h;
};

/* The packet built so far must parse back to exactly recs[0, n). */
static void
check_packet(const uint8_t *pkt, size_t len, const struct saved *recs, size_t n, size_t mtu)
{
	struct pfsync_iter it;
	struct pfsync_section sec;
	size_t k = 0;
	int rc;

	if (len + PFSYNC_IP4_HLEN > mtu)
		abort();
	if (pfsync_iter_init(&it, pkt, len) != PFSYNC_OK)
		abort();
	while ((rc = pfsync_iter_next(&it, &sec)) == 1) {
		if (sec.stride != pfsync_act_size(sec.action) || sec.count == 0)
			abort();
		for (unsigned int i = 0; i < sec.count; i++, k++) {
			union pfsync_rec_host h;

			if (k >= n || recs[k].action != sec.action)
				abort();
			memset(&h, 0, sizeof(h));
			if (pfsync_rec_decode(sec.action, sec.rec + i * sec.stride, &h) != 0)
				abort();
			if (memcmp(&h, &recs[k].h, sizeof(h)) != 0)
				abort();
		}
	}
	if (rc != 0 || k != n || it.it_skipped != 0)
		abort();
}

static void
walk(const uint8_t *buf, size_t len, size_t mtu)
{
	static struct saved recs[MAX_PKT_RECS];
	static uint8_t out[2048];
	struct pfsync_builder b;
	struct pfsync_iter it;
	struct pfsync_section sec;
	size_t n = 0;

	if (pfsync_iter_init(&it, buf, len) != PFSYNC_OK)
		return;
	if (pfsync_build_init(&b, out, sizeof(out), mtu) != 0)
		abort();
	while (pfsync_iter_next(&it, &sec) == 1) {
		size_t size = pfsync_act_size(sec.action);

		if (size == 0 || sec.stride < size)
			abort();
		if (sec.rec < buf || sec.rec + sec.stride * sec.count > buf + len)
			abort();
		for (unsigned int i = 0; i < sec.count; i++) {
			const uint8_t *r = sec.rec + i * sec.stride;
			union pfsync_rec_host h, h2;
			uint8_t want[264], got[264];
			int rc;

			memset(&h, 0, sizeof(h));
			if (pfsync_rec_decode(sec.action, r, &h) != 0)
				abort();
			(void)pfsync_state_check_ins(&h.state);
			(void)pfsync_state_check_upd(&h.state);
			(void)pfsync_upd_c_check(&h.upd_c);
			memcpy(want, r, size);
			canonical(sec.action, want);
			if (pfsync_rec_encode(sec.action, got, &h) != size)
				abort();
			if (memcmp(got, want, size) != 0)
				abort();
			memset(&h2, 0, sizeof(h2));
			if (pfsync_rec_decode(sec.action, got, &h2) != 0 ||
			    memcmp(&h, &h2, sizeof(h)) != 0)
				abort();

			/* Into the small-MTU builder; on a full packet check and restart. */
			rc = pfsync_build_add(&b, sec.action, &h);
			if (rc == -ENOSPC) {
				check_packet(out, pfsync_build_finish(&b), recs, n, mtu);
				pfsync_build_reset(&b);
				n = 0;
				rc = pfsync_build_add(&b, sec.action, &h);
			}
			if (rc == -EMSGSIZE) {
				/* Only when it cannot fit an empty packet. */
				if (PFSYNC_MINPKT + PFSYNC_SUBHLEN + size <= mtu || n != 0)
					abort();
				continue;
			}
			if (rc != 0 || n >= MAX_PKT_RECS)
				abort();
			recs[n].action = sec.action;
			recs[n].h = h;
			n++;
		}
	}
	if (!pfsync_build_empty(&b))
		check_packet(out, pfsync_build_finish(&b), recs, n, mtu);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hoff, plen, mtu;

	if (size == 0)
		return 0;
	/* MTU 40..1060 from the first byte: splits are frequent. */
	mtu = PFSYNC_MINPKT + (size_t)data[0] * 4;
	if (pfsync_check_ip4(data, size, &hoff, &plen) == PFSYNC_OK) {
		if (hoff + plen > size)
			abort();
		walk(data + hoff, plen, mtu);
	}
	walk(data, size, mtu);
	return 0;
}
