/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: pfsync version 6 wire format.
 *
 * Records are read and written field by field at the offsets of the packed
 * structs in pfsync.h (offsetof), through proto_rd*()/proto_wr*(), so the
 * code works on any alignment and byte order, and the structs stay the one
 * statement of the layout.  Input follows OpenBSD pfsync_input (rev 1.332)
 * check for check; the iterator only walks sections and never interprets a
 * record, so callers decode what they handle and a new action is one row
 * in PFSYNC_ACT_LIST plus an encoder and decoder.  No allocation, no global
 * state: everything works on caller buffers.
 */
#include <errno.h>
#include <string.h>

#include "proto/cksum.h"
#include "proto/pfsync.h"

#define SOFF(f) offsetof(struct pfsync_state, f)
#define POFF(f) offsetof(struct pfsync_state_peer, f)
#define KOFF(f) offsetof(struct pfsync_state_key, f)
#define UOFF(f) offsetof(struct pfsync_upd_c, f)

/* The sizes in PFSYNC_ACT_LIST are OpenBSD's (if_pfsync.h); the structs must agree. */
#define PFSYNC_ACT_SIZE(sym, name, size) PFSYNC_ACT_SIZE_##sym = size,
enum { PFSYNC_ACT_LIST(PFSYNC_ACT_SIZE) };
#undef PFSYNC_ACT_SIZE
_Static_assert(PFSYNC_ACT_SIZE_CLR == sizeof(struct pfsync_clr), "CLR size");
_Static_assert(PFSYNC_ACT_SIZE_INS_ACK == sizeof(struct pfsync_ins_ack), "INS_ACK size");
_Static_assert(PFSYNC_ACT_SIZE_UPD_C == sizeof(struct pfsync_upd_c), "UPD_C size");
_Static_assert(PFSYNC_ACT_SIZE_UPD_REQ == sizeof(struct pfsync_upd_req), "UPD_REQ size");
_Static_assert(PFSYNC_ACT_SIZE_DEL == sizeof(struct pfsync_state), "DEL size");
_Static_assert(PFSYNC_ACT_SIZE_DEL_C == sizeof(struct pfsync_del_c), "DEL_C size");
_Static_assert(PFSYNC_ACT_SIZE_BUS == sizeof(struct pfsync_bus), "BUS size");
_Static_assert(PFSYNC_ACT_SIZE_INS == sizeof(struct pfsync_state), "INS size");
_Static_assert(PFSYNC_ACT_SIZE_UPD == sizeof(struct pfsync_state), "UPD size");
_Static_assert(PFSYNC_ACT_SIZE_TDB == sizeof(struct pfsync_tdb), "TDB size");
/* Every record is a whole number of words (the subheader counts words). */
_Static_assert(sizeof(struct pfsync_state) % 4 == 0 && sizeof(struct pfsync_upd_c) % 4 == 0 &&
	       sizeof(struct pfsync_tdb) % 4 == 0 && sizeof(struct pfsync_clr) % 4 == 0,
	       "records are whole 32-bit words");

PROTO_NAME_FN(pfsync_act_name, unsigned int, PFSYNC_ACT_LIST, PFSYNC_ACT_MAX);
PROTO_TABLE_FN(size_t, pfsync_act_size, unsigned int, PFSYNC_ACT_MAX, 0,
	       PFSYNC_ACT_LIST(PROTO_XCOL3));

PROTO_NAME_FN(pftm_name, unsigned int, PFTM_LIST, PFTM_MAX);

const uint32_t pftm_defaults[PFTM_MAX] = { PFTM_LIST(PROTO_XCOL3) };

uint32_t
pftm_default(unsigned int t)
{
	return t < PFTM_MAX ? pftm_defaults[t] : 0;
}

PROTO_NAME_FN(pfsync_stat_name, unsigned int, PFSYNC_STATS_LIST, PFSYNC_STAT_MAX);
PROTO_TABLE_FN(const char *, pfsync_stat_descr, unsigned int, PFSYNC_STAT_MAX, "?",
	       PFSYNC_STATS_LIST(PROTO_XCOL3));

/* PFSYNC_OK comes first, outside PFSYNC_ERR_LIST. */
#define PFSYNC_ERR_STAT(sym, stat, descr) PFSYNC_STAT_##stat,
PROTO_TABLE_FN(enum pfsync_stat, pfsync_err_stat, enum pfsync_err, PFSYNC_ERR_MAX,
	       PFSYNC_STAT_HDROPS, PFSYNC_STAT_IPACKETS, PFSYNC_ERR_LIST(PFSYNC_ERR_STAT));
PROTO_TABLE_FN(const char *, pfsync_err_str, enum pfsync_err, PFSYNC_ERR_MAX, "?",
	       "ok", PFSYNC_ERR_LIST(PROTO_XCOL3));
#undef PFSYNC_ERR_STAT

/* ---------------------------------------------------------------------------
 * Records
 */

/* u64 counters travel as [hi32 BE, lo32 BE], which is simply a BE u64. */
static void
wr_counter(uint8_t *p, uint64_t v)
{
	proto_wr32(p, (uint32_t)(v >> 32));
	proto_wr32(p + 4, (uint32_t)v);
}

static uint64_t
rd_counter(const uint8_t *p)
{
	return (uint64_t)proto_rd32(p) << 32 | proto_rd32(p + 4);
}

static void
peer_encode(uint8_t *p, const struct pfsync_peer_host *h)
{
	proto_wr16(p + POFF(scrub) + offsetof(struct pfsync_state_scrub, pfss_flags),
		   h->scrub.pfss_flags);
	p[POFF(scrub) + offsetof(struct pfsync_state_scrub, pfss_ttl)] = h->scrub.pfss_ttl;
	p[POFF(scrub) + offsetof(struct pfsync_state_scrub, scrub_flag)] = h->scrub.scrub_flag;
	proto_wr32(p + POFF(scrub) + offsetof(struct pfsync_state_scrub, pfss_ts_mod),
		   h->scrub.pfss_ts_mod);
	proto_wr32(p + POFF(seqlo), h->seqlo);
	proto_wr32(p + POFF(seqhi), h->seqhi);
	proto_wr32(p + POFF(seqdiff), h->seqdiff);
	proto_wr16(p + POFF(max_win), h->max_win);
	proto_wr16(p + POFF(mss), h->mss);
	p[POFF(state)] = h->state;
	p[POFF(wscale)] = h->wscale;
	memset(p + POFF(pad), 0, sizeof(((struct pfsync_state_peer *)0)->pad));
}

static void
peer_decode(const uint8_t *p, struct pfsync_peer_host *h)
{
	h->scrub.pfss_flags = proto_rd16(p + POFF(scrub) +
					 offsetof(struct pfsync_state_scrub, pfss_flags));
	h->scrub.pfss_ttl = p[POFF(scrub) + offsetof(struct pfsync_state_scrub, pfss_ttl)];
	h->scrub.scrub_flag = p[POFF(scrub) + offsetof(struct pfsync_state_scrub, scrub_flag)];
	h->scrub.pfss_ts_mod = proto_rd32(p + POFF(scrub) +
					  offsetof(struct pfsync_state_scrub, pfss_ts_mod));
	h->seqlo = proto_rd32(p + POFF(seqlo));
	h->seqhi = proto_rd32(p + POFF(seqhi));
	h->seqdiff = proto_rd32(p + POFF(seqdiff));
	h->max_win = proto_rd16(p + POFF(max_win));
	h->mss = proto_rd16(p + POFF(mss));
	h->state = p[POFF(state)];
	h->wscale = p[POFF(wscale)];
}

static void
key_encode(uint8_t *p, const struct pfsync_key_host *k)
{
	memcpy(p + KOFF(addr), k->addr, sizeof(k->addr));
	proto_wr16(p + KOFF(port), k->port[0]);
	proto_wr16(p + KOFF(port) + 2, k->port[1]);
	proto_wr16(p + KOFF(rdomain), k->rdomain);
	p[KOFF(af)] = k->af;
	p[KOFF(pad)] = 0;
}

static void
key_decode(const uint8_t *p, struct pfsync_key_host *k)
{
	memcpy(k->addr, p + KOFF(addr), sizeof(k->addr));
	k->port[0] = proto_rd16(p + KOFF(port));
	k->port[1] = proto_rd16(p + KOFF(port) + 2);
	k->rdomain = proto_rd16(p + KOFF(rdomain));
	k->af = p[KOFF(af)];
}

void
pfsync_state_encode(uint8_t *rec, const struct pfsync_state_host *s)
{
	proto_wr64(rec + SOFF(id), s->id);
	memcpy(rec + SOFF(ifname), s->ifname, PFSYNC_IFNAMSIZ);
	for (int i = 0; i < 2; i++)
		key_encode(rec + SOFF(key) + i * sizeof(struct pfsync_state_key), &s->key[i]);
	peer_encode(rec + SOFF(src), &s->src);
	peer_encode(rec + SOFF(dst), &s->dst);
	memcpy(rec + SOFF(rt_addr), s->rt_addr, sizeof(s->rt_addr));
	proto_wr32(rec + SOFF(rule), s->rule);
	proto_wr32(rec + SOFF(anchor), s->anchor);
	proto_wr32(rec + SOFF(nat_rule), UINT32_MAX);	/* "left for compat" */
	proto_wr32(rec + SOFF(creation), s->creation);
	proto_wr32(rec + SOFF(expire), s->expire);
	for (int i = 0; i < 2; i++) {
		wr_counter(rec + SOFF(packets) + 8 * i, s->packets[i]);
		wr_counter(rec + SOFF(bytes) + 8 * i, s->bytes[i]);
	}
	proto_wr32(rec + SOFF(creatorid), s->creatorid);
	proto_wr32(rec + SOFF(rtableid), (uint32_t)s->rtableid[0]);
	proto_wr32(rec + SOFF(rtableid) + 4, (uint32_t)s->rtableid[1]);
	proto_wr16(rec + SOFF(max_mss), s->max_mss);
	rec[SOFF(af)] = s->af;
	rec[SOFF(proto)] = s->proto;
	rec[SOFF(direction)] = s->direction;
	rec[SOFF(log)] = s->log;
	rec[SOFF(rt)] = s->rt;
	rec[SOFF(timeout)] = s->timeout;
	rec[SOFF(sync_flags)] = s->sync_flags;
	rec[SOFF(updates)] = s->updates;
	rec[SOFF(min_ttl)] = s->min_ttl;
	rec[SOFF(set_tos)] = s->set_tos;
	proto_wr16(rec + SOFF(state_flags), s->state_flags);
	rec[SOFF(set_prio)] = s->set_prio[0];
	rec[SOFF(set_prio) + 1] = s->set_prio[1];
}

void
pfsync_state_decode(const uint8_t *rec, struct pfsync_state_host *s)
{
	s->id = proto_rd64(rec + SOFF(id));
	memcpy(s->ifname, rec + SOFF(ifname), PFSYNC_IFNAMSIZ);
	for (int i = 0; i < 2; i++)
		key_decode(rec + SOFF(key) + i * sizeof(struct pfsync_state_key), &s->key[i]);
	peer_decode(rec + SOFF(src), &s->src);
	peer_decode(rec + SOFF(dst), &s->dst);
	memcpy(s->rt_addr, rec + SOFF(rt_addr), sizeof(s->rt_addr));
	s->rule = proto_rd32(rec + SOFF(rule));
	s->anchor = proto_rd32(rec + SOFF(anchor));
	s->creation = proto_rd32(rec + SOFF(creation));
	s->expire = proto_rd32(rec + SOFF(expire));
	for (int i = 0; i < 2; i++) {
		s->packets[i] = rd_counter(rec + SOFF(packets) + 8 * i);
		s->bytes[i] = rd_counter(rec + SOFF(bytes) + 8 * i);
	}
	s->creatorid = proto_rd32(rec + SOFF(creatorid));
	s->rtableid[0] = (int32_t)proto_rd32(rec + SOFF(rtableid));
	s->rtableid[1] = (int32_t)proto_rd32(rec + SOFF(rtableid) + 4);
	s->max_mss = proto_rd16(rec + SOFF(max_mss));
	s->af = rec[SOFF(af)];
	s->proto = rec[SOFF(proto)];
	s->direction = rec[SOFF(direction)];
	s->log = rec[SOFF(log)];
	s->rt = rec[SOFF(rt)];
	s->timeout = rec[SOFF(timeout)];
	s->sync_flags = rec[SOFF(sync_flags)];
	s->updates = rec[SOFF(updates)];
	s->min_ttl = rec[SOFF(min_ttl)];
	s->set_tos = rec[SOFF(set_tos)];
	s->state_flags = proto_rd16(rec + SOFF(state_flags));
	s->set_prio[0] = rec[SOFF(set_prio)];
	s->set_prio[1] = rec[SOFF(set_prio) + 1];
}

void
pfsync_upd_c_encode(uint8_t *rec, const struct pfsync_upd_c_host *u)
{
	proto_wr64(rec + UOFF(id), u->id);
	peer_encode(rec + UOFF(src), &u->src);
	peer_encode(rec + UOFF(dst), &u->dst);
	proto_wr32(rec + UOFF(creatorid), u->creatorid);
	proto_wr32(rec + UOFF(expire), u->expire);
	rec[UOFF(timeout)] = u->timeout;
	rec[UOFF(state_flags)] = u->state_flags;
	rec[UOFF(_pad)] = 0;
	rec[UOFF(_pad) + 1] = 0;
}

void
pfsync_upd_c_decode(const uint8_t *rec, struct pfsync_upd_c_host *u)
{
	u->id = proto_rd64(rec + UOFF(id));
	peer_decode(rec + UOFF(src), &u->src);
	peer_decode(rec + UOFF(dst), &u->dst);
	u->creatorid = proto_rd32(rec + UOFF(creatorid));
	u->expire = proto_rd32(rec + UOFF(expire));
	u->timeout = rec[UOFF(timeout)];
	u->state_flags = rec[UOFF(state_flags)];
}

/* INS_ACK, UPD_REQ and DEL_C are laid out alike; the asserts hold them to it. */
_Static_assert(offsetof(struct pfsync_ins_ack, creatorid) ==
	       offsetof(struct pfsync_upd_req, creatorid) &&
	       offsetof(struct pfsync_upd_req, creatorid) ==
	       offsetof(struct pfsync_del_c, creatorid), "id records share a layout");

void
pfsync_id_encode(uint8_t *rec, const struct pfsync_id_host *r)
{
	proto_wr64(rec + offsetof(struct pfsync_del_c, id), r->id);
	proto_wr32(rec + offsetof(struct pfsync_del_c, creatorid), r->creatorid);
}

void
pfsync_id_decode(const uint8_t *rec, struct pfsync_id_host *r)
{
	r->id = proto_rd64(rec + offsetof(struct pfsync_del_c, id));
	r->creatorid = proto_rd32(rec + offsetof(struct pfsync_del_c, creatorid));
}

void
pfsync_clr_encode(uint8_t *rec, const struct pfsync_clr_host *c)
{
	memcpy(rec + offsetof(struct pfsync_clr, ifname), c->ifname, PFSYNC_IFNAMSIZ);
	proto_wr32(rec + offsetof(struct pfsync_clr, creatorid), c->creatorid);
}

void
pfsync_clr_decode(const uint8_t *rec, struct pfsync_clr_host *c)
{
	memcpy(c->ifname, rec + offsetof(struct pfsync_clr, ifname), PFSYNC_IFNAMSIZ);
	c->creatorid = proto_rd32(rec + offsetof(struct pfsync_clr, creatorid));
}

void
pfsync_bus_encode(uint8_t *rec, const struct pfsync_bus_host *b)
{
	proto_wr32(rec + offsetof(struct pfsync_bus, creatorid), b->creatorid);
	proto_wr32(rec + offsetof(struct pfsync_bus, endtime), b->endtime);
	rec[offsetof(struct pfsync_bus, status)] = b->status;
	memset(rec + offsetof(struct pfsync_bus, _pad), 0, 3);
}

void
pfsync_bus_decode(const uint8_t *rec, struct pfsync_bus_host *b)
{
	b->creatorid = proto_rd32(rec + offsetof(struct pfsync_bus, creatorid));
	b->endtime = proto_rd32(rec + offsetof(struct pfsync_bus, endtime));
	b->status = rec[offsetof(struct pfsync_bus, status)];
}

void
pfsync_tdb_encode(uint8_t *rec, const struct pfsync_tdb_host *t)
{
	proto_wr32(rec + offsetof(struct pfsync_tdb, spi), t->spi);
	memcpy(rec + offsetof(struct pfsync_tdb, dst), t->dst, sizeof(t->dst));
	proto_wr64(rec + offsetof(struct pfsync_tdb, rpl), t->rpl);
	proto_wr64(rec + offsetof(struct pfsync_tdb, cur_bytes), t->cur_bytes);
	rec[offsetof(struct pfsync_tdb, sproto)] = t->sproto;
	rec[offsetof(struct pfsync_tdb, updates)] = t->updates;
	proto_wr16(rec + offsetof(struct pfsync_tdb, rdomain), t->rdomain);
}

void
pfsync_tdb_decode(const uint8_t *rec, struct pfsync_tdb_host *t)
{
	t->spi = proto_rd32(rec + offsetof(struct pfsync_tdb, spi));
	memcpy(t->dst, rec + offsetof(struct pfsync_tdb, dst), sizeof(t->dst));
	t->rpl = proto_rd64(rec + offsetof(struct pfsync_tdb, rpl));
	t->cur_bytes = proto_rd64(rec + offsetof(struct pfsync_tdb, cur_bytes));
	t->sproto = rec[offsetof(struct pfsync_tdb, sproto)];
	t->updates = rec[offsetof(struct pfsync_tdb, updates)];
	t->rdomain = proto_rd16(rec + offsetof(struct pfsync_tdb, rdomain));
}

/*
 * The record codec of each action, one row for both directions, so that an
 * action is coded both ways or not at all (the rest are only walked over by
 * pfsync_iter: OINS, OUPD, the _F actions, EOF).  The thunks give the typed
 * codecs the untyped signature of the table.
 */
#define PFSYNC_CODEC(rec)							\
static void									\
rec##_enc(uint8_t *wire, const void *host)					\
{										\
	pfsync_##rec##_encode(wire, host);					\
}										\
static void									\
rec##_dec(const uint8_t *wire, void *host)					\
{										\
	pfsync_##rec##_decode(wire, host);					\
}
PFSYNC_CODEC(state)
PFSYNC_CODEC(upd_c)
PFSYNC_CODEC(id)
PFSYNC_CODEC(clr)
PFSYNC_CODEC(bus)
PFSYNC_CODEC(tdb)
#undef PFSYNC_CODEC

static const struct {
	void (*enc)(uint8_t *wire, const void *host);
	void (*dec)(const uint8_t *wire, void *host);
} pfsync_codecs[PFSYNC_ACT_MAX] = {
	[PFSYNC_ACT_INS] = { state_enc, state_dec },
	[PFSYNC_ACT_UPD] = { state_enc, state_dec },
	[PFSYNC_ACT_DEL] = { state_enc, state_dec },
	[PFSYNC_ACT_UPD_C] = { upd_c_enc, upd_c_dec },
	[PFSYNC_ACT_INS_ACK] = { id_enc, id_dec },
	[PFSYNC_ACT_UPD_REQ] = { id_enc, id_dec },
	[PFSYNC_ACT_DEL_C] = { id_enc, id_dec },
	[PFSYNC_ACT_CLR] = { clr_enc, clr_dec },
	[PFSYNC_ACT_BUS] = { bus_enc, bus_dec },
	[PFSYNC_ACT_TDB] = { tdb_enc, tdb_dec },
};

int
pfsync_rec_decode(unsigned int action, const uint8_t *rec, void *host)
{
	if (action >= PFSYNC_ACT_MAX || pfsync_codecs[action].dec == NULL)
		return -1;
	pfsync_codecs[action].dec(rec, host);
	return 0;
}

size_t
pfsync_rec_encode(unsigned int action, uint8_t *rec, const void *host)
{
	if (action >= PFSYNC_ACT_MAX || pfsync_codecs[action].enc == NULL)
		return 0;
	pfsync_codecs[action].enc(rec, host);
	return pfsync_act_size(action);
}

static bool
peer_states_ok(uint8_t timeout, const struct pfsync_peer_host *src,
	       const struct pfsync_peer_host *dst)
{
	return timeout < PFTM_MAX && src->state <= PF_TCPS_PROXY_DST &&
	       dst->state <= PF_TCPS_PROXY_DST;
}

static bool
af_ok(uint8_t af)
{
	return af == PF_AF_INET || af == PF_AF_INET6;
}

enum pfsync_err
pfsync_state_check_ins(const struct pfsync_state_host *s)
{
	uint8_t af1 = s->key[0].af, af2 = s->key[1].af;

	if (!peer_states_ok(s->timeout, &s->src, &s->dst) || s->direction > PF_OUT)
		return PFSYNC_ERR_BADVAL;
	/* Key afs 0 mean "the state's af"; one set means both must be valid. */
	if ((af1 != 0 || af2 != 0) && (!af_ok(af1) || !af_ok(af2)))
		return PFSYNC_ERR_BADVAL;
	if (!af_ok(s->af))
		return PFSYNC_ERR_BADVAL;
	return PFSYNC_OK;
}

enum pfsync_err
pfsync_state_check_upd(const struct pfsync_state_host *s)
{
	return peer_states_ok(s->timeout, &s->src, &s->dst) ? PFSYNC_OK : PFSYNC_ERR_BADVAL;
}

enum pfsync_err
pfsync_upd_c_check(const struct pfsync_upd_c_host *u)
{
	return peer_states_ok(u->timeout, &u->src, &u->dst) ? PFSYNC_OK : PFSYNC_ERR_BADVAL;
}

/* ---------------------------------------------------------------------------
 * Input
 */

enum pfsync_err
pfsync_check_ip4(const uint8_t *ip, size_t len, size_t *hoff, size_t *plen)
{
	size_t ihl, tot;

	if (len < PFSYNC_IP4_HLEN || (ip[0] >> 4) != 4)
		return PFSYNC_ERR_NOTPFSYNC;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = proto_rd16(ip + 2);
	if (ihl < PFSYNC_IP4_HLEN || tot < ihl || tot > len)
		return PFSYNC_ERR_NOTPFSYNC;
	if (ip[9] != IPPROTO_PFSYNC)
		return PFSYNC_ERR_NOTPFSYNC;
	/* Only a packet that nobody routed can have TTL 255 [§3.1]. */
	if (ip[8] != PFSYNC_DFLTTL)
		return PFSYNC_ERR_BADTTL;
	*hoff = ihl;
	*plen = tot - ihl;
	return PFSYNC_OK;
}

enum pfsync_err
pfsync_parse_hdr(const uint8_t *buf, size_t len, size_t *plen)
{
	size_t hlen;

	if (len < sizeof(struct pfsync_header))
		return PFSYNC_ERR_HDROPS;
	if (buf[offsetof(struct pfsync_header, version)] != PFSYNC_VERSION)
		return PFSYNC_ERR_BADVER;
	hlen = proto_rd16(buf + offsetof(struct pfsync_header, len));
	if (hlen > len)
		return PFSYNC_ERR_BADLEN;
	*plen = hlen;
	return PFSYNC_OK;
}

enum pfsync_err
pfsync_iter_init(struct pfsync_iter *it, const uint8_t *buf, size_t len)
{
	size_t plen = 0;
	enum pfsync_err err = pfsync_parse_hdr(buf, len, &plen);

	it->it_buf = buf;
	it->it_err = err;
	it->it_skipped = 0;
	it->it_off = sizeof(struct pfsync_header);
	/*
	 * A header len below 20 leaves no sections: OpenBSD trims the packet
	 * to len, then strips 20 header bytes and finds nothing left.
	 */
	it->it_len = err == PFSYNC_OK && plen > it->it_off ? plen : it->it_off;
	return err;
}

int
pfsync_iter_next(struct pfsync_iter *it, struct pfsync_section *sec)
{
	while (it->it_err == PFSYNC_OK && it->it_len - it->it_off >= PFSYNC_SUBHLEN) {
		const uint8_t *sh = it->it_buf + it->it_off;
		unsigned int action = sh[offsetof(struct pfsync_subheader, action)];
		size_t mlen = (size_t)sh[offsetof(struct pfsync_subheader, len)] * 4;
		unsigned int count = proto_rd16(sh + offsetof(struct pfsync_subheader, count));
		size_t need = pfsync_act_size(action), left;
		bool skip;

		if (action >= PFSYNC_ACT_MAX || mlen < need) {
			/*
			 * Unknown or shorter than we know it: a peer that says
			 * how long its records are can be skipped over; one
			 * that does not cannot.
			 */
			if (count == 0 || mlen == 0) {
				it->it_err = PFSYNC_ERR_BADACT;
				break;
			}
			skip = true;
		} else {
			/* Known; no handler (size 0) means skip it, as OpenBSD does. */
			skip = need == 0;
		}
		it->it_off += PFSYNC_SUBHLEN;
		left = it->it_len - it->it_off;
		/* mlen <= 1020 and count <= 65535: the product fits in size_t. */
		if (mlen * count > left) {
			it->it_err = PFSYNC_ERR_BADLEN;
			break;
		}
		if (skip) {
			it->it_off += mlen * count;
			it->it_skipped++;
			continue;
		}
		sec->action = (uint8_t)action;
		sec->stride = mlen;
		sec->count = (uint16_t)count;
		sec->rec = it->it_buf + it->it_off;
		it->it_off += mlen * count;
		return 1;
	}
	return it->it_err == PFSYNC_OK ? 0 : -(int)it->it_err;
}

/* ---------------------------------------------------------------------------
 * Output
 */

int
pfsync_build_init(struct pfsync_builder *b, uint8_t *buf, size_t size, size_t mtu)
{
	size_t limit;

	if (mtu < PFSYNC_MINPKT || size < sizeof(struct pfsync_header))
		return -EINVAL;
	limit = mtu - PFSYNC_IP4_HLEN;
	if (limit > size)
		limit = size;
	if (limit > UINT16_MAX)		/* the header's len is 16 bits */
		limit = UINT16_MAX;
	b->pb_buf = buf;
	b->pb_limit = limit;
	pfsync_build_reset(b);
	return 0;
}

void
pfsync_build_reset(struct pfsync_builder *b)
{
	b->pb_len = sizeof(struct pfsync_header);
	b->pb_subh = 0;
	b->pb_count = 0;
	b->pb_action = 0;
	b->pb_records = 0;
}

int
pfsync_build_add(struct pfsync_builder *b, unsigned int action, const void *record)
{
	size_t size = pfsync_act_size(action), need;
	bool join;
	uint8_t *sh;

	if (size == 0)
		return -EINVAL;
	join = b->pb_subh != 0 && b->pb_action == action && b->pb_count < UINT16_MAX;
	need = size + (join ? 0 : PFSYNC_SUBHLEN);
	if (b->pb_len + need > b->pb_limit)
		return b->pb_records == 0 ? -EMSGSIZE : -ENOSPC;
	if (!join) {
		sh = b->pb_buf + b->pb_len;
		sh[offsetof(struct pfsync_subheader, action)] = (uint8_t)action;
		sh[offsetof(struct pfsync_subheader, len)] = (uint8_t)(size / 4);
		b->pb_subh = b->pb_len;
		b->pb_action = (uint8_t)action;
		b->pb_count = 0;
		b->pb_len += PFSYNC_SUBHLEN;
	}
	if (pfsync_rec_encode(action, b->pb_buf + b->pb_len, record) != size)
		return -EINVAL; /* not reached: size != 0 means we encode it */
	b->pb_len += size;
	b->pb_count++;
	b->pb_records++;
	proto_wr16(b->pb_buf + b->pb_subh + offsetof(struct pfsync_subheader, count),
		   b->pb_count);
	return 0;
}

size_t
pfsync_build_finish(struct pfsync_builder *b)
{
	uint8_t *h = b->pb_buf;

	h[offsetof(struct pfsync_header, version)] = PFSYNC_VERSION;
	h[offsetof(struct pfsync_header, _pad)] = 0;
	proto_wr16(h + offsetof(struct pfsync_header, len), (uint16_t)b->pb_len);
	memset(h + offsetof(struct pfsync_header, pfcksum), 0,
	       sizeof(((struct pfsync_header *)0)->pfcksum));
	return b->pb_len;
}

size_t
pfsync_build_frame4(uint8_t *frame, size_t size, const struct pfsync_frame4 *f, size_t plen)
{
	uint8_t *eth = frame, *ip = frame + PFSYNC_ETH_HLEN;
	size_t tot = PFSYNC_IP4_HLEN + plen;

	if (tot > UINT16_MAX || size < PFSYNC_FRAME4_HLEN + plen)
		return 0;
	if ((f->dst_ip[0] & 0xf0) == 0xe0) {
		/* RFC 1112 section 6.4: 01:00:5e + the low 23 bits of the group. */
		eth[0] = 0x01;
		eth[1] = 0x00;
		eth[2] = 0x5e;
		eth[3] = f->dst_ip[1] & 0x7f;
		eth[4] = f->dst_ip[2];
		eth[5] = f->dst_ip[3];
	} else {
		memcpy(eth, f->dst_mac, 6);
	}
	memcpy(eth + 6, f->src_mac, 6);
	proto_wr16(eth + 12, 0x0800);

	ip[0] = 0x45;
	ip[1] = PFSYNC_IP4_TOS;
	proto_wr16(ip + 2, (uint16_t)tot);
	proto_wr16(ip + 4, f->ip_id);
	proto_wr16(ip + 6, 0x4000);	/* DF, offset 0 */
	ip[8] = PFSYNC_DFLTTL;
	ip[9] = IPPROTO_PFSYNC;
	proto_wr16(ip + 10, 0);
	memcpy(ip + 12, f->src_ip, 4);
	memcpy(ip + 16, f->dst_ip, 4);
	proto_wr16(ip + 10, proto_cksum(ip, PFSYNC_IP4_HLEN));
	return PFSYNC_FRAME4_HLEN + plen;
}
