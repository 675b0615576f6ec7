/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the pflog file writer (control core).
 *
 * Each record becomes one pcap record of link type DLT_PFLOG: the 100-byte
 * OpenBSD header from proto/pflog.c, then the logged bytes from the L3
 * header on.  Header fields as OpenBSD pflog_packet() fills them
 * [OpenBSD if_pflog.h struct pfloghdr]: length 100, BSD af (2, 24), the rule's action and
 * the reason, the interface name, empty ruleset and subrulenr -1 (no
 * anchors here), uid/pid/rule_uid/rule_pid -1 (unknown), dir, and naf,
 * saddr, daddr, sport, dport from the packet itself (no translation yet, so
 * rewritten is 0 and naf = af).
 *
 * The file is written with libpcap's dumper; appending goes through
 * pcap_dump_open_append(), which refuses a header of another byte order,
 * precision, link type or snaplen, so the existing file's snaplen is read
 * first and reused (pflogd keeps the old snaplen too [pflogd(8)]).
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/log/dlog.h"
#include "control/pflog/pflog_writer.h"
#include "dataplane/dp.h"
#include "proto/pflog.h"
#include "proto/pkt.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u	/* native byte order, microseconds [PCAP] */
#define WR_BUF_LEN (PFLOG_HDRLEN + DP_LOG_SNAPLEN_MAX)
#define WR_BURST 32

struct pflog_writer {
	char *path;
	char *bad_path;			/* path + ".bad" */
	unsigned int want_snaplen;	/* snaplen of a new file: header + L3 bytes */
	unsigned int snaplen;		/* the open file's snaplen */
	pcap_t *dead;
	pcap_dumper_t *d;
	time_t last_try;		/* last open attempt by the drain */
	unsigned int next;		/* worker the next drain starts with */
	struct pflog_writer_stats st;
	uint8_t rec[WR_BUF_LEN];	/* the record being written */
	uint8_t seg[DP_LOG_SNAPLEN_MAX];	/* a multi-segment copy made flat */
};

/*
 * Checks that the file at path can be appended to: a pcap header in our
 * byte order with microsecond time stamps, version 2.4, link type PFLOG,
 * and records that all read back whole.  Returns its snaplen, or 0 with err
 * saying why not.
 */
static unsigned int
wr_check(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t fh[6];
	pcap_t *p;
	FILE *f;
	size_t n;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return 0;
	}
	n = fread(fh, 1, sizeof(fh), f);
	fclose(f);
	if (n != sizeof(fh)) {
		snprintf(err, errlen, "truncated pcap file header");
		return 0;
	}
	/* magic, version 2.4, thiszone, sigfigs, snaplen, linktype [PCAP] */
	if (fh[0] != PCAP_MAGIC_USEC) {
		snprintf(err, errlen, "not a pcap file of this byte order with microsecond "
			 "time stamps");
		return 0;
	}
	if ((fh[1] & 0xffff) != 2 || (fh[1] >> 16) != 4) {
		snprintf(err, errlen, "pcap version is not 2.4");
		return 0;
	}
	if ((fh[5] & 0xffff) != PFLOG_LINKTYPE) {
		snprintf(err, errlen, "link type is %u, not PFLOG (%u)", fh[5] & 0xffff,
			 PFLOG_LINKTYPE);
		return 0;
	}
	if (fh[4] < PFLOG_HDRLEN) {
		snprintf(err, errlen, "snaplen %u is shorter than the pflog header", fh[4]);
		return 0;
	}
	p = pcap_open_offline(path, ebuf);
	if (p == NULL) {
		snprintf(err, errlen, "%s", ebuf);
		return 0;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		;
	if (rc != PCAP_ERROR_BREAK) {
		snprintf(err, errlen, "%s", pcap_geterr(p));
		pcap_close(p);
		return 0;
	}
	pcap_close(p);
	return fh[4];
}

/* Opens path for appending, creating it (0600) or moving a bad one aside. */
static int
wr_open(struct pflog_writer *w, char *err, size_t errlen)
{
	struct stat sb;
	unsigned int snap = w->want_snaplen;
	char why[PCAP_ERRBUF_SIZE + 64];
	int fd, tries;

	for (tries = 0; ; tries++) {
		fd = open(w->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "pflog file %s: %s", w->path, strerror(errno));
			return -1;
		}
		if (fstat(fd, &sb) != 0) {
			snprintf(err, errlen, "pflog file %s: %s", w->path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		if (sb.st_size == 0)
			break;
		snap = wr_check(w->path, why, sizeof(why));
		if (snap != 0)
			break;
		if (tries > 0 || rename(w->path, w->bad_path) != 0) {
			snprintf(err, errlen, "pflog file %s: cannot append (%s)", w->path, why);
			return -1;
		}
		w->st.moved_aside++;
		dlog(PFLOG_MOVED, DLOG_S("file", w->path), DLOG_S("error", why),
		     DLOG_S("moved_to", w->bad_path));
		snap = w->want_snaplen;
	}
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_PFLOG, (int)snap,
							PCAP_TSTAMP_PRECISION_MICRO);
	if (w->dead == NULL) {
		snprintf(err, errlen, "pflog: out of memory");
		return -1;
	}
	w->d = pcap_dump_open_append(w->dead, w->path);
	if (w->d == NULL) {
		snprintf(err, errlen, "pflog file %s: %s", w->path, pcap_geterr(w->dead));
		pcap_close(w->dead);
		w->dead = NULL;
		return -1;
	}
	if (pcap_dump_flush(w->d) != 0) {	/* the header of a new file */
		snprintf(err, errlen, "pflog file %s: %s", w->path, strerror(errno));
		pcap_dump_close(w->d);
		pcap_close(w->dead);
		w->d = NULL;
		w->dead = NULL;
		return -1;
	}
	w->snaplen = RTE_MIN(snap, (unsigned int)WR_BUF_LEN);
	return 0;
}

static void
wr_close_file(struct pflog_writer *w)
{
	if (w->d != NULL) {
		(void)pflog_writer_flush(w);
		pcap_dump_close(w->d);
		w->d = NULL;
	}
	if (w->dead != NULL) {
		pcap_close(w->dead);
		w->dead = NULL;
	}
}

struct pflog_writer *
pflog_writer_open(const char *path, unsigned int snaplen, char *err, size_t errlen)
{
	struct pflog_writer *w;
	size_t plen = strlen(path);

	if (snaplen == 0)
		snaplen = DP_LOG_SNAPLEN_DEFAULT;
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->path = strdup(path)) == NULL ||
	    (w->bad_path = malloc(plen + sizeof(".bad"))) == NULL) {
		snprintf(err, errlen, "pflog: out of memory");
		pflog_writer_close(w);
		return NULL;
	}
	memcpy(w->bad_path, path, plen);
	memcpy(w->bad_path + plen, ".bad", sizeof(".bad"));
	w->want_snaplen = PFLOG_HDRLEN + RTE_MIN(snaplen, (unsigned int)DP_LOG_SNAPLEN_MAX);
	if (wr_open(w, err, errlen) != 0) {
		pflog_writer_close(w);
		return NULL;
	}
	return w;
}

void
pflog_writer_close(struct pflog_writer *w)
{
	if (w == NULL)
		return;
	wr_close_file(w);
	free(w->bad_path);
	free(w->path);
	free(w);
}

int
pflog_writer_reopen(struct pflog_writer *w, char *err, size_t errlen)
{
	wr_close_file(w);
	w->last_try = time(NULL);
	if (wr_open(w, err, errlen) != 0) {
		w->st.open_errors++;
		return -1;
	}
	w->st.reopens++;
	return 0;
}

int
pflog_writer_flush(struct pflog_writer *w)
{
	if (w->d == NULL)
		return 0;
	if (pcap_dump_flush(w->d) != 0) {
		w->st.write_errors++;
		clearerr(pcap_dump_file(w->d));
		return -1;
	}
	return 0;
}

/* naf, addresses and ports of the header: the packet's own (no translation). */
static void
wr_addrs(struct pflog_info *info, uint8_t af, const uint8_t *l3, unsigned int len)
{
	struct pkt_meta pm;

	info->naf = info->af;
	if (af != 4 && af != 6)
		return;
	/* The copy may be cut short by the snaplen: parse it as a quote. */
	if (pkt_parse_quoted(l3, len, af == 4 ? AF_INET : AF_INET6, &pm) == PKT_ERR_OK) {
		memcpy(info->saddr, pm.src, 16);
		memcpy(info->daddr, pm.dst, 16);
		info->sport = pm.sport;
		info->dport = pm.dport;
	} else if (af == 4 && len >= 20) {
		memcpy(info->saddr, l3 + 12, 4);
		memcpy(info->daddr, l3 + 16, 4);
	} else if (af == 6 && len >= 40) {
		memcpy(info->saddr, l3 + 8, 16);
		memcpy(info->daddr, l3 + 24, 16);
	}
}

int
pflog_writer_write(struct pflog_writer *w, const struct dp_log_meta *lm, const char *ifname,
		   const uint8_t *l3, unsigned int len, const struct timeval *ts)
{
	struct pflog_info info;
	struct pcap_pkthdr h;
	unsigned int caplen;
	FILE *f;

	if (w->d == NULL) {
		w->st.lost++;
		return -1;
	}
	memset(&info, 0, sizeof(info));
	info.af = lm->af == 4 ? PF_AF_INET : lm->af == 6 ? PF_AF_INET6 : 0;
	info.action = lm->action;
	info.reason = lm->reason;
	info.dir = lm->dir;
	memcpy(info.ifname, ifname, strnlen(ifname, PFLOG_IFNAMSIZ));
	info.rulenr = lm->rulenr;
	info.subrulenr = PFLOG_RULENR_NONE;
	caplen = RTE_MIN(len, w->snaplen - PFLOG_HDRLEN);
	wr_addrs(&info, lm->af, l3, caplen);
	if (pflog_record_build(w->rec, sizeof(w->rec), &info, l3, caplen) == 0) {
		w->st.write_errors++;
		return -1;
	}
	memset(&h, 0, sizeof(h));
	if (ts != NULL)
		h.ts = *ts;
	else
		gettimeofday(&h.ts, NULL);
	h.caplen = PFLOG_HDRLEN + caplen;
	h.len = PFLOG_HDRLEN + RTE_MAX(len, (unsigned int)lm->wire_len);
	pcap_dump((u_char *)w->d, &h, w->rec);
	f = pcap_dump_file(w->d);
	if (ferror(f)) {
		w->st.write_errors++;
		clearerr(f);
		return -1;
	}
	w->st.written++;
	return 0;
}

/* Wall-clock time of a record logged at TSC tag `tag` (DP_LOG_TSC_SHIFT units). */
static void
wr_ts(struct timeval *tv, const struct timespec *now, uint32_t now_tag, uint32_t tag,
      uint64_t hz)
{
	uint32_t d = now_tag - tag;
	uint64_t cyc, ns;
	struct timespec t = *now;

	/* Another core's TSC may run a little ahead: "in the future" is now. */
	if (d > UINT32_MAX / 2 || hz == 0)
		d = 0;
	cyc = (uint64_t)d << DP_LOG_TSC_SHIFT;
	ns = cyc / hz * 1000000000ull + cyc % hz * 1000000000ull / hz;
	t.tv_sec -= (time_t)(ns / 1000000000ull);
	ns %= 1000000000ull;
	if ((uint64_t)t.tv_nsec < ns) {
		t.tv_sec--;
		t.tv_nsec += 1000000000l;
	}
	t.tv_nsec -= (long)ns;
	tv->tv_sec = t.tv_sec;
	tv->tv_usec = t.tv_nsec / 1000;
}

unsigned int
pflog_writer_drain(struct pflog_writer *w, struct dp_main *dp, unsigned int budget)
{
	struct rte_mbuf *pkts[WR_BURST];
	struct timespec now;
	uint64_t hz = rte_get_tsc_hz();
	uint32_t now_tag;
	unsigned int total = 0, i, k, n, wi;
	char err[PCAP_ERRBUF_SIZE + 64];

	if (w->d == NULL && time(NULL) != w->last_try) {
		w->last_try = time(NULL);
		if (wr_open(w, err, sizeof(err)) == 0)
			dlog(PFLOG_OPEN_AGAIN, DLOG_S("file", w->path));
		else
			w->st.open_errors++;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	now_tag = (uint32_t)(rte_rdtsc() >> DP_LOG_TSC_SHIFT);
	for (k = 0; k < dp->n_workers && total < budget; k++) {
		struct rte_ring *r;

		wi = (w->next + k) % dp->n_workers;
		r = dp->workers[wi].log;
		if (r == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst(r, (void **)pkts,
						      RTE_MIN(budget - total, (unsigned int)WR_BURST),
						      NULL);
			for (i = 0; i < n; i++) {
				const struct dp_log_meta *lm = dp_log_meta(pkts[i]);
				unsigned int len = RTE_MIN(rte_pktmbuf_pkt_len(pkts[i]),
							   (uint32_t)sizeof(w->seg));
				const uint8_t *l3 = rte_pktmbuf_read(pkts[i], 0, len, w->seg);
				const char *ifn = lm->iface < dp->n_ifaces ?
						  dp->ifaces[lm->iface].name : "unknown";
				struct timeval tv;

				wr_ts(&tv, &now, now_tag, lm->tsc, hz);
				(void)pflog_writer_write(w, lm, ifn, l3, l3 != NULL ? len : 0, &tv);
			}
			rte_pktmbuf_free_bulk(pkts, n);
			total += n;
		} while (n == WR_BURST && total < budget);
	}
	if (dp->n_workers != 0)
		w->next = (w->next + 1) % dp->n_workers;
	if (total != 0)
		(void)pflog_writer_flush(w);
	return total;
}

void
pflog_writer_get_stats(const struct pflog_writer *w, struct pflog_writer_stats *st)
{
	*st = w->st;
	st->snaplen = w->d != NULL ? w->snaplen : 0;
	st->open = w->d != NULL;
}
