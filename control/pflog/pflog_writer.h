/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pflog writer, control side: turns the workers' log records
 * (dataplane/dp_log.h) into a pcap file of link type DLT_PFLOG (117), one
 * OpenBSD pflog header (proto/pflog.h) + the logged L3 bytes per record,
 * readable with `tcpdump -n -e -ttt -r FILE` and Wireshark/tshark.
 *
 * Operational contract, pflogd's [OpenBSD pflogd(8)]:
 *   - an existing file is appended to when its header is a pcap header of
 *     our byte order, microsecond time stamps and link type 117 and every
 *     record in it reads back whole; its snaplen is kept.  A file that fails
 *     the check is renamed to PATH.bad and a new file is started.
 *   - new files are created mode 0600.
 *   - records are flushed to the file at the end of every drain.
 *   - pflog_writer_reopen() (on SIGHUP) closes the file and opens PATH
 *     again: after `mv PATH PATH.0; kill -HUP`, PATH is a new file.
 *   - when no file can be opened, records are counted as lost and freed;
 *     the drain retries the open at most once a second.
 *
 * Ownership: [C] the control core only.
 */
#ifndef DPF_CONTROL_PFLOG_WRITER_H
#define DPF_CONTROL_PFLOG_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "dataplane/dp_log.h"

struct dp_main;
struct pflog_writer;

struct pflog_writer_stats {
	uint64_t written;	/* records handed to the file */
	uint64_t write_errors;	/* failed writes or flushes (records may be lost) */
	uint64_t lost;		/* records freed while no file was open */
	uint64_t reopens;	/* successful pflog_writer_reopen() calls */
	uint64_t open_errors;	/* failed opens (startup excluded: that fails open) */
	uint64_t moved_aside;	/* unreadable files renamed to PATH.bad */
	unsigned int snaplen;	/* the file's snaplen (header + L3 bytes) */
	bool open;		/* a file is open now */
};

/*
 * Opens (appends to, or creates) the pcap file at path for records of up to
 * snaplen L3 bytes (0: DP_LOG_SNAPLEN_DEFAULT).  NULL with err filled when
 * the file cannot be opened or created.
 */
struct pflog_writer *pflog_writer_open(const char *path, unsigned int snaplen, char *err,
				       size_t errlen);

/* Flushes and closes the file and frees w (NULL is fine). */
void pflog_writer_close(struct pflog_writer *w);

/*
 * Closes the file and opens path again (log rotation).  Returns 0, or -1
 * with err filled and no file open (the drain retries once a second).
 */
int pflog_writer_reopen(struct pflog_writer *w, char *err, size_t errlen);

/*
 * Writes one record: the pflog header from lm and ifname (at most 16 bytes
 * used) and len bytes of the packet from its L3 header, cut to the file's
 * snaplen; the pcap record's original length is PFLOG_HDRLEN +
 * max(lm->wire_len, len).  ts NULL: now.  Not flushed.  Returns 0, or -1 when
 * the record was lost (no file open: counted lost; write error: counted).
 */
int pflog_writer_write(struct pflog_writer *w, const struct dp_log_meta *lm, const char *ifname,
		       const uint8_t *l3, unsigned int len, const struct timeval *ts);

/* Flushes buffered records to the file.  Returns 0 or -1 (counted). */
int pflog_writer_flush(struct pflog_writer *w);

/*
 * Dequeues up to budget records from the workers' log rings, writes them
 * (time stamps from each record's TSC), frees the mbufs and flushes.  Also
 * retries a failed open once a second.  Returns the number of records taken
 * off the rings.  Needs EAL (rte_get_tsc_hz).
 */
unsigned int pflog_writer_drain(struct pflog_writer *w, struct dp_main *dp, unsigned int budget);

void pflog_writer_get_stats(const struct pflog_writer *w, struct pflog_writer_stats *st);

#endif /* DPF_CONTROL_PFLOG_WRITER_H */
