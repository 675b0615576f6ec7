/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpf's log lines: one event per line, key=value (logfmt), to stderr.
 *
 *	dpf[carp] level=crit event=carp-transition vhid=1 iface=lan from=BACKUP
 *	    to=MASTER reason="master timed out"
 *
 * Every line names its subsystem, its level (syslog's names) and its event,
 * then the event's keys in a fixed order; a value with a space, a quote, an
 * '=' or a control character is quoted ("...", with \" \\ \n \t and \xHH
 * escapes), an empty one is "".  When stderr is the journal (systemd sets
 * JOURNAL_STREAM to the stream's device:inode, sd-daemon(3)), each line
 * starts with the kernel-style priority "<N>", which journald strips and
 * stores as the entry's PRIORITY; so `journalctl -p warning` works.
 *
 * Every event is rate-limited by a token bucket of its own (burst, then
 * one line per period): lines over the rate are counted, not written, and
 * the next line of that event that passes ends with suppressed=N.  Events,
 * their keys, levels and rates: docs/logging.md.
 *
 * Thread safety: lines may come from any thread (one write(2) each, a
 * mutex around the buckets).  Workers never log (they count; the control
 * core's watcher, app_watch.c, turns counters into lines).
 */
#ifndef DPF_CONTROL_LOG_DLOG_H
#define DPF_CONTROL_LOG_DLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* syslog(3)'s levels, same numbers (the journal prefix is the number). */
#define DLOG_LEVEL_LIST(_)	\
	_(EMERG, "emerg")	\
	_(ALERT, "alert")	\
	_(CRIT, "crit")		\
	_(ERR, "err")		\
	_(WARNING, "warning")	\
	_(NOTICE, "notice")	\
	_(INFO, "info")		\
	_(DEBUG, "debug")

enum dlog_level {
#define DLOG_LEVEL_ENUM(sym, str) DLOG_##sym,
	DLOG_LEVEL_LIST(DLOG_LEVEL_ENUM)
#undef DLOG_LEVEL_ENUM
	DLOG_LEVEL_MAX
};

/*
 * The events: (symbol, name, subsystem, default level, burst, period in
 * ms).  A bucket holds `burst` lines and gains one every `period` ms.
 * docs/logging.md lists the same, with each event's keys; keep both.
 */
#define DLOG_EVENT_LIST(_)								\
	/* app: the appliance's life */							\
	_(STARTED,		"started",		"app",	 INFO,	  5, 1000)	\
	_(STOPPING,		"stopping",		"app",	 INFO,	  5, 1000)	\
	_(LINK,			"link",			"app",	 NOTICE, 20, 1000)	\
	_(PORT_KERNEL_FRAGS,	"port-kernel-reassembly", "app", NOTICE, 16, 1000)	\
	_(PORT_RSS_ALL,		"port-rss-all-queues",	"app",	 NOTICE, 16, 1000)	\
	_(ROUTES_SKIPPED,	"routes-skipped",	"app",	 WARNING, 5, 1000)	\
	_(LOCK_PID,		"lock-pid-unwritten",	"app",	 WARNING, 16, 1000)	\
	_(NOTIFY_FAILED,	"notify-failed",	"app",	 WARNING, 5, 10000)	\
	_(TELEMETRY_FAILED,	"telemetry-failed",	"app",	 WARNING, 16, 1000)	\
	/* app: the watcher of the workers' counters (app_watch.c) */		\
	_(LIMIT_REACHED,	"limit-reached",	"watch", WARNING, 20, 1000)	\
	_(RING_OVERFLOW,	"ring-overflow",	"watch", WARNING, 20, 1000)	\
	/* control socket, live reload, tables */				\
	_(COMMAND,		"command",		"ctl",	 NOTICE, 50, 100)	\
	_(RELOAD_APPLIED,	"reload-applied",	"reload", NOTICE, 20, 1000)	\
	_(RELOAD_REFUSED,	"reload-refused",	"reload", WARNING, 20, 1000)	\
	_(RELOAD_CONFIRMED,	"reload-confirmed",	"reload", NOTICE, 20, 1000)	\
	_(RELOAD_UNDONE,	"reload-undone",	"reload", NOTICE, 20, 1000)	\
	_(RELOAD_ROLLBACK,	"reload-rollback",	"reload", WARNING, 20, 1000)	\
	_(RELOAD_ROLLBACK_FAILED, "reload-rollback-failed", "reload", ERR, 20, 1000)	\
	_(TABLE_CHANGED,	"table-changed",	"table", NOTICE, 50, 100)	\
	/* CARP */								\
	_(CARP_TRANSITION,	"carp-transition",	"carp",	 NOTICE, 20, 500)	\
	_(CARP_DEMOTE,		"carp-demote",		"carp",	 ERR,	 20, 500)	\
	_(CARP_REJECTED,	"carp-advert-rejected",	"carp",	 INFO,	 20, 1000)	\
	_(CARP_NOMEM,		"carp-out-of-memory",	"carp",	 ERR,	  5, 1000)	\
	/* pfsync */								\
	_(SYNC_STARTED,		"sync-started",		"pfsync", INFO,	  5, 1000)	\
	_(SYNC_PUNT,		"sync-via-workers",	"pfsync", NOTICE, 16, 1000)	\
	_(SYNC_LINK,		"sync-link",		"pfsync", NOTICE, 20, 1000)	\
	_(SYNC_PEER,		"sync-peer",		"pfsync", NOTICE, 20, 1000)	\
	_(SYNC_PEER_QUIET,	"sync-peer-quiet",	"pfsync", WARNING, 10, 1000)	\
	_(BULK_START,		"bulk-start",		"pfsync", INFO,	 10, 1000)	\
	_(BULK_DONE,		"bulk-done",		"pfsync", INFO,	 10, 1000)	\
	_(BULK_INCOMPLETE,	"bulk-incomplete",	"pfsync", WARNING, 10, 1000)	\
	_(BULK_TIMEOUT,		"bulk-timeout",		"pfsync", WARNING, 10, 1000)	\
	_(BULK_SEND_START,	"bulk-send-start",	"pfsync", INFO,	 10, 1000)	\
	_(BULK_SEND_DONE,	"bulk-send-done",	"pfsync", INFO,	 10, 1000)	\
	/* pflog */								\
	_(PFLOG_REOPENED,	"pflog-reopened",	"pflog", INFO,	 10, 1000)	\
	_(PFLOG_REOPEN_FAILED,	"pflog-reopen-failed",	"pflog", ERR,	  5, 10000)	\
	_(PFLOG_MOVED,		"pflog-moved-aside",	"pflog", WARNING, 5, 1000)	\
	_(PFLOG_OPEN_AGAIN,	"pflog-open-again",	"pflog", NOTICE,  5, 1000)

enum dlog_event {
#define DLOG_EVENT_ENUM(sym, name, sub, lvl, burst, period) DLOG_EV_##sym,
	DLOG_EVENT_LIST(DLOG_EVENT_ENUM)
#undef DLOG_EVENT_ENUM
	DLOG_EV_MAX
};

/* One key=value of a line; built by the DLOG_* macros below. */
enum dlog_type {
	DLOG_T_STR,	/* quoted when it must be; NULL prints "-" */
	DLOG_T_U64,
	DLOG_T_I64,
	DLOG_T_HEX,	/* 0x%08x */
	DLOG_T_RAW,	/* already key=value text of the caller's (k is NULL) */
};

struct dlog_kv {
	const char *k;
	enum dlog_type t;
	union {
		const char *s;
		uint64_t u;
		int64_t i;
	} v;
};

#define DLOG_S(key, val) { .k = (key), .t = DLOG_T_STR, .v.s = (val) }
#define DLOG_U(key, val) { .k = (key), .t = DLOG_T_U64, .v.u = (uint64_t)(val) }
#define DLOG_I(key, val) { .k = (key), .t = DLOG_T_I64, .v.i = (int64_t)(val) }
#define DLOG_X(key, val) { .k = (key), .t = DLOG_T_HEX, .v.u = (uint64_t)(val) }
/* Preformatted "k=v k=v" text (e.g. reload's "uid=0 pid=42"), not quoted. */
#define DLOG_RAW(text) { .k = NULL, .t = DLOG_T_RAW, .v.s = (text) }
/* Keys present only when cond holds (a NULL key is left out of the line). */
#define DLOG_S_IF(cond, key, val) { .k = (cond) ? (key) : NULL, .t = DLOG_T_STR, .v.s = (val) }
#define DLOG_U_IF(cond, key, val) \
	{ .k = (cond) ? (key) : NULL, .t = DLOG_T_U64, .v.u = (uint64_t)(val) }

#define DLOG_KV_(...) ((const struct dlog_kv[]){ __VA_ARGS__ })
#define DLOG_N_(...) (sizeof(DLOG_KV_(__VA_ARGS__)) / sizeof(struct dlog_kv))

/*
 * dlog(EVENT, DLOG_U("vhid", 1), DLOG_S("iface", "lan"), ...): one line at
 * the event's default level; dlog_at() at another level.  At least one
 * key (dlog0() for none); they print in the order given.
 */
#define dlog(ev, ...) dlog_emit(DLOG_EV_##ev, -1, DLOG_KV_(__VA_ARGS__), DLOG_N_(__VA_ARGS__))
#define dlog_at(ev, lvl, ...) \
	dlog_emit(DLOG_EV_##ev, (int)(lvl), DLOG_KV_(__VA_ARGS__), DLOG_N_(__VA_ARGS__))

/* dlog0(EVENT): a line with no keys but its event. */
#define dlog0(ev) dlog_emit(DLOG_EV_##ev, -1, NULL, 0)

/*
 * Writes one line for event ev at level lvl (-1: the event's default),
 * unless the level is above the threshold (dlog_set_level) or the event's
 * bucket is empty.  Returns true when the line was written.
 */
bool dlog_emit(enum dlog_event ev, int lvl, const struct dlog_kv *kv, size_t n);

/*
 * Formats the line ev would write into buf (NUL-terminated, ends with a
 * newline; truncated lines end with " truncated=1\n"), with no journal
 * prefix and without touching the buckets.  Returns its length.  For the
 * unit tests and for dlog_emit() itself.
 */
size_t dlog_format(char *buf, size_t len, enum dlog_event ev, enum dlog_level lvl,
		   const struct dlog_kv *kv, size_t n, uint64_t suppressed);

/*
 * "dpf: MESSAGE": the prose answer of a dpf that cannot start (options,
 * config, port locks, EAL), with the journal's "<N>" when stderr is the
 * journal.  Not an event: not rate-limited, not filtered by level; tests
 * and users read these verbatim (docs/logging.md).
 */
void dlog_text(enum dlog_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines above lvl are not written (default DLOG_INFO). */
void dlog_set_level(enum dlog_level lvl);

/*
 * Where lines go: fd, and whether each starts with the journal's "<N>".
 * Without a call, stderr, with the prefix when JOURNAL_STREAM names
 * stderr (looked at once, at the first line).  For tests and main().
 */
void dlog_set_output(int fd, bool journal);

/* true when JOURNAL_STREAM ("DEV:INO") is the file fd is open on. */
bool dlog_fd_is_journal(int fd, const char *journal_stream);

/* The clock of the buckets, in ms (default CLOCK_MONOTONIC); tests drive it. */
void dlog_set_clock(uint64_t (*now_ms)(void));

/* Empties every bucket's count and fills them (tests). */
void dlog_reset(void);

/* Lines suppressed since the event's last written line (tests, metrics). */
uint64_t dlog_suppressed(enum dlog_event ev);

const char *dlog_event_name(enum dlog_event ev);
const char *dlog_level_name(enum dlog_level lvl);

/*
 * The token bucket itself, pure: holds at most burst tokens, gains one
 * every period_ms (a period of 0 refills at once).  dlog_bucket_take()
 * takes one token at now_ms: true when there was one.
 */
struct dlog_bucket {
	uint32_t tokens;	/* tokens left */
	uint64_t last_ms;	/* when the last whole token was added */
	bool primed;		/* false until the first take: starts full */
};

bool dlog_bucket_take(struct dlog_bucket *b, uint32_t burst, uint32_t period_ms,
		      uint64_t now_ms);

#endif /* DPF_CONTROL_LOG_DLOG_H */
