/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pfsync_dump OUTDIR: builds pfsync packets from the fixed inputs below with
 * proto/pfsync's builder and writes
 *   OUTDIR/pfsync.pcap    every packet as an Ethernet/IPv4 frame (linktype 1)
 *   OUTDIR/records.json   for each batch: its MTU, destination, how many
 *                         packets the builder made, and every record's
 *                         host-side field values as given to the builder
 * for tests/interop/pfsync_reader.py, which decodes the pcap from the offset
 * tables of OpenBSD's if_pfsync.h and pfvar.h alone and compares.
 *
 * Batches (packets appear in the pcap in this order):
 *  1 "mixed"   MTU 1500, group: INS (IPv4 TCP), INS (IPv6 UDP), UPD_C, DEL_C,
 *              INS_ACK, UPD_REQ(0,0), CLR, BUS start, TDB, DEL: one packet.
 *  2 "bulk"    MTU 1500, group: BUS start, 12 UPD, BUS end, as a bulk
 *              update is sent: 5 states per packet, so 3 packets.
 *  3 "upd_c"   MTU 296 = 40 + 4 + 3 * 84, unicast 198.18.0.2: 5 UPD_C, split
 *              3 + 2 (three fit exactly).
 *  4 "del_c"   MTU 91 = 40 + 4 + 4 * 12 - 1: 6 DEL_C, split 3 + 3 (a fourth
 *              misses by one byte).
 *  5 "unknown" hand-made: a section of unknown action 200 (len 2, count 3)
 *              then one INS_ACK; the JSON also gives what our iterator made
 *              of it.
 * Field values are chosen so that every multi-byte field has distinct bytes,
 * which makes a byte-order or offset mistake visible.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pfsync.h"

#define FRAME_MAX 2048

struct rec {
	unsigned int action;
	const void *host;
};

struct out {
	FILE *pcap;
	FILE *json;
	unsigned int npkts;
};

static const uint8_t src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t src_ip[4] = { 198, 18, 0, 1 };
static const uint8_t group_ip[4] = { 224, 0, 0, 240 };
static const uint8_t peer_ip[4] = { 198, 18, 0, 2 };

/* ---- pcap (classic format, written by hand: no libpcap needed) ---- */

static void
pcap_begin(FILE *f)
{
	uint32_t magic = 0xa1b2c3d4, snaplen = 65535, linktype = 1, zero = 0;
	uint16_t major = 2, minor = 4;

	fwrite(&magic, 4, 1, f);
	fwrite(&major, 2, 1, f);
	fwrite(&minor, 2, 1, f);
	fwrite(&zero, 4, 1, f);
	fwrite(&zero, 4, 1, f);
	fwrite(&snaplen, 4, 1, f);
	fwrite(&linktype, 4, 1, f);
}

static void
pcap_packet(struct out *o, const uint8_t *frame, size_t len)
{
	uint32_t hdr[4] = { 1700000000u + o->npkts, 0, (uint32_t)len, (uint32_t)len };

	fwrite(hdr, sizeof(hdr), 1, o->pcap);
	fwrite(frame, 1, len, o->pcap);
	o->npkts++;
}

/* ---- JSON of the host forms ---- */

static void
json_hex(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

static void
json_name(FILE *f, const char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n && p[i] != '\0'; i++)
		fputc(p[i], f);
	fputc('"', f);
}

static void
json_peer(FILE *f, const struct pfsync_peer_host *p)
{
	fprintf(f, "{\"pfss_flags\": %u, \"pfss_ttl\": %u, \"scrub_flag\": %u, "
		"\"pfss_ts_mod\": %" PRIu32 ", \"seqlo\": %" PRIu32 ", \"seqhi\": %" PRIu32
		", \"seqdiff\": %" PRIu32 ", \"max_win\": %u, \"mss\": %u, \"state\": %u, "
		"\"wscale\": %u}",
		p->scrub.pfss_flags, p->scrub.pfss_ttl, p->scrub.scrub_flag, p->scrub.pfss_ts_mod,
		p->seqlo, p->seqhi, p->seqdiff, p->max_win, p->mss, p->state, p->wscale);
}

static void
json_state(FILE *f, const struct pfsync_state_host *s)
{
	fprintf(f, "\"id\": %" PRIu64 ", \"ifname\": ", s->id);
	json_name(f, s->ifname, sizeof(s->ifname));
	fprintf(f, ", \"key\": [");
	for (int i = 0; i < 2; i++) {
		fprintf(f, "%s{\"addr\": [", i ? ", " : "");
		json_hex(f, s->key[i].addr[0], 16);
		fprintf(f, ", ");
		json_hex(f, s->key[i].addr[1], 16);
		fprintf(f, "], \"port\": [%u, %u], \"rdomain\": %u, \"af\": %u}",
			s->key[i].port[0], s->key[i].port[1], s->key[i].rdomain, s->key[i].af);
	}
	fprintf(f, "], \"src\": ");
	json_peer(f, &s->src);
	fprintf(f, ", \"dst\": ");
	json_peer(f, &s->dst);
	fprintf(f, ", \"rt_addr\": ");
	json_hex(f, s->rt_addr, 16);
	fprintf(f, ", \"rule\": %" PRIu32 ", \"anchor\": %" PRIu32 ", \"creation\": %" PRIu32
		", \"expire\": %" PRIu32 ", \"packets\": [%" PRIu64 ", %" PRIu64 "]"
		", \"bytes\": [%" PRIu64 ", %" PRIu64 "], \"creatorid\": %" PRIu32
		", \"rtableid\": [%" PRId32 ", %" PRId32 "], \"max_mss\": %u, \"af\": %u"
		", \"proto\": %u, \"direction\": %u, \"log\": %u, \"rt\": %u, \"timeout\": %u"
		", \"sync_flags\": %u, \"updates\": %u, \"min_ttl\": %u, \"set_tos\": %u"
		", \"state_flags\": %u, \"set_prio\": [%u, %u]",
		s->rule, s->anchor, s->creation, s->expire, s->packets[0], s->packets[1],
		s->bytes[0], s->bytes[1], s->creatorid, s->rtableid[0], s->rtableid[1],
		s->max_mss, s->af, s->proto, s->direction, s->log, s->rt, s->timeout,
		s->sync_flags, s->updates, s->min_ttl, s->set_tos, s->state_flags,
		s->set_prio[0], s->set_prio[1]);
}

static void
json_record(FILE *f, unsigned int action, const void *host)
{
	fprintf(f, "{\"action\": %u, \"name\": \"%s\", ", action, pfsync_act_name(action));
	switch (action) {
	case PFSYNC_ACT_INS:
	case PFSYNC_ACT_UPD:
	case PFSYNC_ACT_DEL:
		json_state(f, host);
		break;
	case PFSYNC_ACT_UPD_C: {
		const struct pfsync_upd_c_host *u = host;

		fprintf(f, "\"id\": %" PRIu64 ", \"src\": ", u->id);
		json_peer(f, &u->src);
		fprintf(f, ", \"dst\": ");
		json_peer(f, &u->dst);
		fprintf(f, ", \"creatorid\": %" PRIu32 ", \"expire\": %" PRIu32
			", \"timeout\": %u, \"state_flags\": %u", u->creatorid, u->expire,
			u->timeout, u->state_flags);
		break;
	}
	case PFSYNC_ACT_INS_ACK:
	case PFSYNC_ACT_UPD_REQ:
	case PFSYNC_ACT_DEL_C: {
		const struct pfsync_id_host *r = host;

		fprintf(f, "\"id\": %" PRIu64 ", \"creatorid\": %" PRIu32, r->id, r->creatorid);
		break;
	}
	case PFSYNC_ACT_CLR: {
		const struct pfsync_clr_host *c = host;

		fprintf(f, "\"ifname\": ");
		json_name(f, c->ifname, sizeof(c->ifname));
		fprintf(f, ", \"creatorid\": %" PRIu32, c->creatorid);
		break;
	}
	case PFSYNC_ACT_BUS: {
		const struct pfsync_bus_host *b = host;

		fprintf(f, "\"creatorid\": %" PRIu32 ", \"endtime\": %" PRIu32 ", \"status\": %u",
			b->creatorid, b->endtime, b->status);
		break;
	}
	case PFSYNC_ACT_TDB: {
		const struct pfsync_tdb_host *t = host;

		fprintf(f, "\"spi\": %" PRIu32 ", \"dst\": ", t->spi);
		json_hex(f, t->dst, sizeof(t->dst));
		fprintf(f, ", \"rpl\": %" PRIu64 ", \"cur_bytes\": %" PRIu64
			", \"sproto\": %u, \"updates\": %u, \"rdomain\": %u",
			t->rpl, t->cur_bytes, t->sproto, t->updates, t->rdomain);
		break;
	}
	}
	fprintf(f, "}");
}

/* ---- batches ---- */

static int
flush(struct out *o, uint8_t *frame, struct pfsync_builder *b, const uint8_t dst[4])
{
	struct pfsync_frame4 f;
	size_t plen, flen;

	memcpy(f.src_mac, src_mac, 6);
	memcpy(f.dst_mac, peer_mac, 6);
	memcpy(f.src_ip, src_ip, 4);
	memcpy(f.dst_ip, dst, 4);
	f.ip_id = (uint16_t)(0x100 + o->npkts);
	plen = pfsync_build_finish(b);
	flen = pfsync_build_frame4(frame, FRAME_MAX, &f, plen);
	if (flen == 0)
		return -1;
	pcap_packet(o, frame, flen);
	pfsync_build_reset(b);
	return 0;
}

static int
batch(struct out *o, const char *what, size_t mtu, const uint8_t dst[4], const struct rec *r,
      size_t n, int first)
{
	static uint8_t frame[FRAME_MAX];
	struct pfsync_builder b;
	unsigned int pkts = 0;

	if (pfsync_build_init(&b, frame + PFSYNC_FRAME4_HLEN, FRAME_MAX - PFSYNC_FRAME4_HLEN,
			      mtu) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int rc = pfsync_build_add(&b, r[i].action, r[i].host);

		if (rc == -ENOSPC) {
			if (flush(o, frame, &b, dst) != 0)
				return -1;
			pkts++;
			rc = pfsync_build_add(&b, r[i].action, r[i].host);
		}
		if (rc != 0) {
			fprintf(stderr, "%s: record %zu: %s\n", what, i, strerror(-rc));
			return -1;
		}
	}
	if (!pfsync_build_empty(&b)) {
		if (flush(o, frame, &b, dst) != 0)
			return -1;
		pkts++;
	}
	fprintf(o->json, "%s\n  {\"what\": \"%s\", \"mtu\": %zu, \"dst\": \"%u.%u.%u.%u\", "
		"\"packets\": %u, \"records\": [", first ? "" : ",", what, mtu, dst[0], dst[1],
		dst[2], dst[3], pkts);
	for (size_t i = 0; i < n; i++) {
		fprintf(o->json, "%s\n    ", i ? "," : "");
		json_record(o->json, r[i].action, r[i].host);
	}
	fprintf(o->json, "]}");
	return 0;
}

/* The hand-made packet: unknown action 200 (len 2 words, count 3), then INS_ACK. */
static int
unknown_batch(struct out *o)
{
	static uint8_t frame[FRAME_MAX];
	static const struct pfsync_id_host ack = { .id = 0x1122334455667788ull,
						   .creatorid = 0x99aabbccu };
	struct pfsync_frame4 f;
	struct pfsync_iter it;
	struct pfsync_section sec;
	uint8_t *p = frame + PFSYNC_FRAME4_HLEN;
	size_t len = 20, flen;
	int rc, nsec = 0;

	memset(p, 0, 20);
	p[0] = PFSYNC_VERSION;
	p[len++] = 200;
	p[len++] = 2;
	p[len++] = 0;
	p[len++] = 3;
	for (int i = 0; i < 24; i++)
		p[len++] = (uint8_t)(0xe0 + i);
	p[len++] = PFSYNC_ACT_INS_ACK;
	p[len++] = 3;
	p[len++] = 0;
	p[len++] = 1;
	pfsync_id_encode(p + len, &ack);
	len += 12;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;

	memcpy(f.src_mac, src_mac, 6);
	memcpy(f.dst_mac, peer_mac, 6);
	memcpy(f.src_ip, src_ip, 4);
	memcpy(f.dst_ip, group_ip, 4);
	f.ip_id = (uint16_t)(0x100 + o->npkts);
	flen = pfsync_build_frame4(frame, FRAME_MAX, &f, len);
	if (flen == 0)
		return -1;
	pcap_packet(o, frame, flen);

	fprintf(o->json, ",\n  {\"what\": \"unknown\", \"mtu\": 1500, \"dst\": \"224.0.0.240\", "
		"\"packets\": 1, \"records\": [\n    ");
	json_record(o->json, PFSYNC_ACT_INS_ACK, &ack);
	fprintf(o->json, "],\n   \"dpf_iter\": {\"sections\": [");
	if (pfsync_iter_init(&it, p, len) != PFSYNC_OK)
		return -1;
	while ((rc = pfsync_iter_next(&it, &sec)) == 1)
		fprintf(o->json, "%s[%u, %u, %zu]", nsec++ ? ", " : "", sec.action, sec.count,
			sec.stride);
	fprintf(o->json, "], \"skipped\": %" PRIu32 ", \"end\": %d}}", it.it_skipped, rc);
	return 0;
}

/* ---- the fixed inputs ---- */

static void
v4(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[0] = b0;
	a[1] = b1;
	a[2] = b2;
	a[3] = b3;
}

static void
v6(uint8_t a[16], uint16_t last)
{
	static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00 };

	memset(a, 0, 16);
	memcpy(a, pfx, 8);
	a[14] = (uint8_t)(last >> 8);
	a[15] = (uint8_t)last;
}

/* IPv4 TCP, established, out on "wan", scrub on the src peer, NAT'd stack key. */
static void
state_tcp4(struct pfsync_state_host *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 0x0102030405060708ull;
	memcpy(s->ifname, "wan", 3);
	v4(s->key[0].addr[0], 198, 18, 0, 10);
	v4(s->key[0].addr[1], 198, 19, 7, 1);
	s->key[0].port[0] = 40001;
	s->key[0].port[1] = 443;
	s->key[0].rdomain = 0x0102;
	s->key[0].af = PF_AF_INET;
	v4(s->key[1].addr[0], 10, 1, 2, 3);
	v4(s->key[1].addr[1], 198, 19, 7, 1);
	s->key[1].port[0] = 51234;
	s->key[1].port[1] = 443;
	s->key[1].rdomain = 0x0304;
	s->key[1].af = PF_AF_INET;
	s->src.scrub.pfss_flags = PFSYNC_PFSS_TIMESTAMP;
	s->src.scrub.pfss_ttl = 64;
	s->src.scrub.scrub_flag = PFSYNC_SCRUB_FLAG_VALID;
	s->src.scrub.pfss_ts_mod = 0x0badcafe;
	s->src.seqlo = 0x11223344;
	s->src.seqhi = 0x11233344;
	s->src.seqdiff = 0x01020304;
	s->src.max_win = 0xfe01;
	s->src.mss = 1460;
	s->src.state = PF_TCPS_ESTABLISHED;
	s->src.wscale = 0x87;
	s->dst.seqlo = 0xa0b0c0d0;
	s->dst.seqhi = 0xa0b1c0d0;
	s->dst.max_win = 0x2001;
	s->dst.mss = 1400;
	s->dst.state = PF_TCPS_ESTABLISHED;
	s->dst.wscale = 0x82;
	v4(s->rt_addr, 198, 18, 255, 254);
	s->rule = 0x00000102;
	s->anchor = UINT32_MAX;
	s->creation = 0x00010203;
	s->expire = 86399;
	s->packets[0] = 0x0000000100000002ull;
	s->packets[1] = 0x0a0b0c0d0e0f1011ull;
	s->bytes[0] = 0x1122334455667788ull;
	s->bytes[1] = 0x00000000fffffffeull;
	s->creatorid = 0x0a0b0c0d;
	s->rtableid[0] = 3;
	s->rtableid[1] = -1;
	s->max_mss = 1380;
	s->af = PF_AF_INET;
	s->proto = 6;
	s->direction = PF_OUT;
	s->log = 1;
	s->rt = PFSYNC_RT_ROUTETO;
	s->timeout = PFTM_TCP_ESTABLISHED;
	s->sync_flags = PFSYNC_FLAG_SRCNODE;
	s->updates = 0;
	s->min_ttl = 5;
	s->set_tos = 0x10;
	s->state_flags = PFSTATE_ACK | PFSTATE_SCRUB_TCP;
	s->set_prio[0] = 3;
	s->set_prio[1] = 6;
}

/* IPv6 UDP, multiple/single, in on "lan", key afs 0 (meaning "the state's af"). */
static void
state_udp6(struct pfsync_state_host *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 0x8000000000000001ull;
	memcpy(s->ifname, "lan", 3);
	v6(s->key[0].addr[0], 0x0010);
	v6(s->key[0].addr[1], 0x0053);
	s->key[0].port[0] = 5353;
	s->key[0].port[1] = 53;
	s->key[1] = s->key[0];
	s->src.seqlo = 0;
	s->src.state = PF_PEER_MULTIPLE;
	s->dst.state = PF_PEER_SINGLE;
	s->rule = 7;
	s->anchor = 0x00abcdef;
	s->creation = 12;
	s->expire = 48;
	s->packets[0] = 3;
	s->packets[1] = 1;
	s->bytes[0] = 0x1234;
	s->bytes[1] = 0x56;
	s->creatorid = 0xfedcba98;
	s->rtableid[0] = 0;
	s->rtableid[1] = 0x7fffffff;
	s->af = PF_AF_INET6;
	s->proto = 17;
	s->direction = PF_IN;
	s->timeout = PFTM_UDP_MULTIPLE;
	s->state_flags = PFSTATE_NOSYNC | PFSTATE_INP_UNLINKED;
}

int
main(int argc, char **argv)
{
	static struct pfsync_state_host tcp4, udp6, del, bulk[12];
	static struct pfsync_upd_c_host updc[5];
	static struct pfsync_id_host del_c = { .id = 0x0000000000c0ffeeull,
					       .creatorid = 0x0a0b0c0d };
	static struct pfsync_id_host ins_ack = { .id = 0x0102030405060708ull,
						 .creatorid = 0x01020304 };
	static struct pfsync_id_host ureq0 = { .id = 0, .creatorid = 0 };
	static struct pfsync_clr_host clr = { .ifname = "vlan10", .creatorid = 0x0a0b0c0d };
	static struct pfsync_bus_host bus_start = { .creatorid = 0x0a0b0c0d, .endtime = 0,
						    .status = PFSYNC_BUS_START };
	static struct pfsync_bus_host bus_end = { .creatorid = 0x0a0b0c0d, .endtime = 0x01020304,
						  .status = PFSYNC_BUS_END };
	static struct pfsync_tdb_host tdb = {
		.spi = 0x00001001, .dst = { 16, 2, 0, 0, 198, 18, 0, 2 },
		.rpl = 0x0000000100004000ull, .cur_bytes = 0x0102030405060708ull,
		.sproto = 50, .updates = 1, .rdomain = 0x0203,
	};
	static struct pfsync_id_host delcs[6];
	struct rec mixed[10], bulkr[14], updcr[5], delcr[6];
	struct out o = { 0 };
	char path[4096];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	state_tcp4(&tcp4);
	state_udp6(&udp6);
	state_tcp4(&del);
	del.id = 0x00000000deadbeefull;
	del.timeout = PFTM_TCP_CLOSED;
	del.src.state = PF_TCPS_TIME_WAIT;
	del.dst.state = PF_TCPS_TIME_WAIT;

	mixed[0] = (struct rec){ PFSYNC_ACT_INS, &tcp4 };
	mixed[1] = (struct rec){ PFSYNC_ACT_INS, &udp6 };
	mixed[2] = (struct rec){ PFSYNC_ACT_UPD_C, &updc[0] };
	mixed[3] = (struct rec){ PFSYNC_ACT_DEL_C, &del_c };
	mixed[4] = (struct rec){ PFSYNC_ACT_INS_ACK, &ins_ack };
	mixed[5] = (struct rec){ PFSYNC_ACT_UPD_REQ, &ureq0 };
	mixed[6] = (struct rec){ PFSYNC_ACT_CLR, &clr };
	mixed[7] = (struct rec){ PFSYNC_ACT_BUS, &bus_start };
	mixed[8] = (struct rec){ PFSYNC_ACT_TDB, &tdb };
	mixed[9] = (struct rec){ PFSYNC_ACT_DEL, &del };

	for (int i = 0; i < 5; i++) {
		memset(&updc[i], 0, sizeof(updc[i]));
		updc[i].id = 0x0102030405060708ull + (uint64_t)i * 0x0101010101010101ull;
		updc[i].src = tcp4.src;
		updc[i].dst = tcp4.dst;
		updc[i].src.seqlo += (uint32_t)i * 0x01000001u;
		updc[i].creatorid = 0x0a0b0c0d;
		updc[i].timeout = PFTM_TCP_ESTABLISHED;
		updcr[i] = (struct rec){ PFSYNC_ACT_UPD_C, &updc[i] };
	}
	for (int i = 0; i < 6; i++) {
		delcs[i].id = 0xf000000000000000ull | (uint64_t)(i + 1) << 8;
		delcs[i].creatorid = 0x0a0b0c0d + (uint32_t)i;
		delcr[i] = (struct rec){ PFSYNC_ACT_DEL_C, &delcs[i] };
	}
	bulkr[0] = (struct rec){ PFSYNC_ACT_BUS, &bus_start };
	for (int i = 0; i < 12; i++) {
		if (i % 2)
			state_udp6(&bulk[i]);
		else
			state_tcp4(&bulk[i]);
		bulk[i].id = 0x1000000000000000ull + (uint64_t)i * 0x0001000100010001ull;
		bulk[i].packets[0] = (uint64_t)i << 33 | (uint64_t)i;
		bulkr[1 + i] = (struct rec){ PFSYNC_ACT_UPD, &bulk[i] };
	}
	bulkr[13] = (struct rec){ PFSYNC_ACT_BUS, &bus_end };

	snprintf(path, sizeof(path), "%s/pfsync.pcap", argv[1]);
	o.pcap = fopen(path, "wb");
	snprintf(path, sizeof(path), "%s/records.json", argv[1]);
	o.json = fopen(path, "w");
	if (o.pcap == NULL || o.json == NULL) {
		perror(path);
		return 1;
	}
	pcap_begin(o.pcap);
	fprintf(o.json, "{\"batches\": [");
	if (batch(&o, "mixed", 1500, group_ip, mixed, 10, 1) != 0 ||
	    batch(&o, "bulk", 1500, group_ip, bulkr, 14, 0) != 0 ||
	    batch(&o, "upd_c", 40 + 4 + 3 * 84, peer_ip, updcr, 5, 0) != 0 ||
	    batch(&o, "del_c", 40 + 4 + 4 * 12 - 1, group_ip, delcr, 6, 0) != 0 ||
	    unknown_batch(&o) != 0) {
		fprintf(stderr, "pfsync_dump: building failed\n");
		rc = 1;
	}
	fprintf(o.json, "\n]}\n");
	if (fclose(o.pcap) != 0 || fclose(o.json) != 0)
		rc = 1;
	return rc;
}
