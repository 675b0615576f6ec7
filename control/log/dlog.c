/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpf's log lines (dlog.h).
 *
 * A line is built whole in a stack buffer and written with one write(2),
 * so that lines from different threads never interleave and a reader of
 * the journal (or of a file both stdout and stderr go to) sees whole
 * lines.  The buckets are the only shared state; a mutex guards them (a
 * line is rare: at most a few a second per event by construction).
 *
 * Rate limiting is per event, not per call site or per key: a flapping
 * vhid and a flood of rejected adverts each have their own bucket, and a
 * line that passes after a silence says how many were held back
 * (suppressed=N), so a reader knows lines are missing and how many.  The
 * counts of lines held back and not yet reported stay in the bucket until
 * a line of that event passes.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/log/dlog.h"

#define DLOG_LINE_MAX 2048	/* a longer line is cut, and says truncated=1 */

struct dlog_event_def {
	const char *name;
	const char *sub;
	enum dlog_level level;
	uint32_t burst;
	uint32_t period_ms;
};

static const struct dlog_event_def dlog_events[DLOG_EV_MAX] = {
#define DLOG_EVENT_DEF(sym, nm, sb, lvl, bu, pe) \
	[DLOG_EV_##sym] = { .name = nm, .sub = sb, .level = DLOG_##lvl, .burst = bu, .period_ms = pe },
	DLOG_EVENT_LIST(DLOG_EVENT_DEF)
#undef DLOG_EVENT_DEF
};

static const char *const dlog_level_names[DLOG_LEVEL_MAX] = {
#define DLOG_LEVEL_NAME(sym, str) [DLOG_##sym] = str,
	DLOG_LEVEL_LIST(DLOG_LEVEL_NAME)
#undef DLOG_LEVEL_NAME
};

static uint64_t dlog_mono_ms(void);

static struct {
	pthread_mutex_t lock;
	struct dlog_bucket bucket[DLOG_EV_MAX];
	uint64_t suppressed[DLOG_EV_MAX];	/* held back since the last line */
	enum dlog_level level;
	int fd;
	int journal;				/* -1: not looked at yet */
	uint64_t (*now_ms)(void);
} dlog = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.level = DLOG_INFO,
	.fd = STDERR_FILENO,
	.journal = -1,
	.now_ms = dlog_mono_ms,
};

static uint64_t
dlog_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
dlog_event_name(enum dlog_event ev)
{
	return (unsigned int)ev < DLOG_EV_MAX ? dlog_events[ev].name : "?";
}

const char *
dlog_level_name(enum dlog_level lvl)
{
	return (unsigned int)lvl < DLOG_LEVEL_MAX ? dlog_level_names[lvl] : "?";
}

bool
dlog_bucket_take(struct dlog_bucket *b, uint32_t burst, uint32_t period_ms, uint64_t now_ms)
{
	if (!b->primed) {
		b->primed = true;
		b->tokens = burst;
		b->last_ms = now_ms;
	} else if (b->tokens >= burst || now_ms < b->last_ms) {
		/* Full (nothing to add), or the clock went back: restart the period. */
		b->last_ms = now_ms;
	} else if (period_ms == 0) {
		b->tokens = burst;
		b->last_ms = now_ms;
	} else {
		uint64_t add = (now_ms - b->last_ms) / period_ms;

		if (add >= burst - b->tokens) {
			b->tokens = burst;
			b->last_ms = now_ms;
		} else {
			b->tokens += (uint32_t)add;
			/* Keep the part of a period already run. */
			b->last_ms += add * period_ms;
		}
	}
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}

/* Does v need quotes in logfmt?  Empty, spaces, quotes, '=', controls. */
static bool
dlog_needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			return true;
	}
	return false;
}

struct dlog_buf {
	char *p;
	size_t len;
	size_t n;		/* bytes wanted so far (may exceed len) */
};

static void
dlog_putc(struct dlog_buf *b, char c)
{
	if (b->n + 1 < b->len)
		b->p[b->n] = c;
	b->n++;
}

static void
dlog_puts(struct dlog_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		dlog_putc(b, *s);
}

static void
dlog_put_value(struct dlog_buf *b, const char *v)
{
	static const char hex[] = "0123456789abcdef";

	if (v == NULL) {
		dlog_putc(b, '-');
		return;
	}
	if (!dlog_needs_quotes(v)) {
		dlog_puts(b, v);
		return;
	}
	dlog_putc(b, '"');
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		switch (c) {
		case '"':
			dlog_puts(b, "\\\"");
			break;
		case '\\':
			dlog_puts(b, "\\\\");
			break;
		case '\n':
			dlog_puts(b, "\\n");
			break;
		case '\t':
			dlog_puts(b, "\\t");
			break;
		default:
			if (c < ' ' || c == 0x7f) {
				dlog_puts(b, "\\x");
				dlog_putc(b, hex[c >> 4]);
				dlog_putc(b, hex[c & 15]);
			} else {
				dlog_putc(b, (char)c);
			}
		}
	}
	dlog_putc(b, '"');
}

size_t
dlog_format(char *buf, size_t len, enum dlog_event ev, enum dlog_level lvl,
	    const struct dlog_kv *kv, size_t n, uint64_t suppressed)
{
	static const char cut[] = " truncated=1\n";
	struct dlog_buf b = { .p = buf, .len = len, .n = 0 };
	char num[32];
	size_t i;

	if (len < sizeof(cut) + 1)
		return 0;
	dlog_puts(&b, "dpf[");
	dlog_puts(&b, (unsigned int)ev < DLOG_EV_MAX ? dlog_events[ev].sub : "?");
	dlog_puts(&b, "] level=");
	dlog_puts(&b, dlog_level_name(lvl));
	dlog_puts(&b, " event=");
	dlog_puts(&b, dlog_event_name(ev));
	for (i = 0; i < n; i++) {
		if (kv[i].t == DLOG_T_RAW) {
			if (kv[i].v.s != NULL && kv[i].v.s[0] != '\0') {
				dlog_putc(&b, ' ');
				dlog_puts(&b, kv[i].v.s);
			}
			continue;
		}
		if (kv[i].k == NULL)	/* DLOG_*_IF whose condition did not hold */
			continue;
		dlog_putc(&b, ' ');
		dlog_puts(&b, kv[i].k);
		dlog_putc(&b, '=');
		switch (kv[i].t) {
		case DLOG_T_STR:
			dlog_put_value(&b, kv[i].v.s);
			break;
		case DLOG_T_U64:
			snprintf(num, sizeof(num), "%" PRIu64, kv[i].v.u);
			dlog_puts(&b, num);
			break;
		case DLOG_T_I64:
			snprintf(num, sizeof(num), "%" PRId64, kv[i].v.i);
			dlog_puts(&b, num);
			break;
		case DLOG_T_HEX:
			snprintf(num, sizeof(num), "0x%08" PRIx64, kv[i].v.u);
			dlog_puts(&b, num);
			break;
		case DLOG_T_RAW:
			break;
		}
	}
	if (suppressed != 0) {
		snprintf(num, sizeof(num), "%" PRIu64, suppressed);
		dlog_puts(&b, " suppressed=");
		dlog_puts(&b, num);
	}
	dlog_putc(&b, '\n');
	if (b.n < len) {
		buf[b.n] = '\0';
		return b.n;
	}
	/* Cut at a byte that leaves room for the marker (a quoted value may
	 * be left open: the marker says the line is not whole). */
	memcpy(buf + len - sizeof(cut), cut, sizeof(cut));
	return len - 1;
}

void
dlog_set_level(enum dlog_level lvl)
{
	dlog.level = lvl;
}

void
dlog_set_output(int fd, bool journal)
{
	pthread_mutex_lock(&dlog.lock);
	dlog.fd = fd;
	dlog.journal = journal;
	pthread_mutex_unlock(&dlog.lock);
}

bool
dlog_fd_is_journal(int fd, const char *journal_stream)
{
	unsigned long long dev, ino;
	struct stat st;
	char end;

	/* sd-daemon(3)/systemd.exec(5): "DEVICE:INODE" of the stream, in decimal. */
	if (journal_stream == NULL ||
	    sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(fd, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
dlog_set_clock(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&dlog.lock);
	dlog.now_ms = now_ms != NULL ? now_ms : dlog_mono_ms;
	pthread_mutex_unlock(&dlog.lock);
}

void
dlog_reset(void)
{
	pthread_mutex_lock(&dlog.lock);
	memset(dlog.bucket, 0, sizeof(dlog.bucket));
	memset(dlog.suppressed, 0, sizeof(dlog.suppressed));
	pthread_mutex_unlock(&dlog.lock);
}

uint64_t
dlog_suppressed(enum dlog_event ev)
{
	uint64_t n;

	if ((unsigned int)ev >= DLOG_EV_MAX)
		return 0;
	pthread_mutex_lock(&dlog.lock);
	n = dlog.suppressed[ev];
	pthread_mutex_unlock(&dlog.lock);
	return n;
}

/* Looks at JOURNAL_STREAM once.  Caller holds dlog.lock. */
static int
dlog_journal_locked(void)
{
	if (dlog.journal < 0)
		dlog.journal = dlog_fd_is_journal(dlog.fd, getenv("JOURNAL_STREAM"));
	return dlog.journal;
}

void
dlog_text(enum dlog_level lvl, const char *fmt, ...)
{
	char line[DLOG_LINE_MAX + 4];
	size_t off = 0;
	va_list ap;
	int fd, n;

	pthread_mutex_lock(&dlog.lock);
	if (dlog_journal_locked())
		off = (size_t)snprintf(line, sizeof(line), "<%u>", (unsigned int)lvl & 7);
	fd = dlog.fd;
	pthread_mutex_unlock(&dlog.lock);
	off += (size_t)snprintf(line + off, sizeof(line) - off, "dpf: ");
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	off += (size_t)n < sizeof(line) - off - 1 ? (size_t)n : sizeof(line) - off - 2;
	line[off++] = '\n';
	fflush(stdout);		/* what went to stdout before comes first */
	while (write(fd, line, off) < 0 && errno == EINTR)
		;
}

bool
dlog_emit(enum dlog_event ev, int lvl, const struct dlog_kv *kv, size_t n)
{
	char line[DLOG_LINE_MAX + 4];
	const struct dlog_event_def *d;
	enum dlog_level level;
	uint64_t supp;
	size_t off, len;
	int fd;

	if ((unsigned int)ev >= DLOG_EV_MAX)
		return false;
	d = &dlog_events[ev];
	level = lvl >= 0 && lvl < DLOG_LEVEL_MAX ? (enum dlog_level)lvl : d->level;
	if (level > dlog.level)
		return false;
	pthread_mutex_lock(&dlog.lock);
	if (!dlog_bucket_take(&dlog.bucket[ev], d->burst, d->period_ms, dlog.now_ms())) {
		dlog.suppressed[ev]++;
		pthread_mutex_unlock(&dlog.lock);
		return false;
	}
	supp = dlog.suppressed[ev];
	dlog.suppressed[ev] = 0;
	fd = dlog.fd;
	off = 0;
	if (dlog_journal_locked()) {
		/* "<N>": journald's priority prefix (sd-daemon(3), SD_ERR etc.). */
		line[0] = '<';
		line[1] = (char)('0' + level);
		line[2] = '>';
		off = 3;
	}
	pthread_mutex_unlock(&dlog.lock);
	len = off + dlog_format(line + off, sizeof(line) - off, ev, level, kv, n, supp);
	fflush(stdout);		/* what went to stdout before comes first */
	/* One write: whole lines.  A short write or EINTR loses the rest,
	 * which is what a log may do; it must never block dpf for long. */
	while (write(fd, line, len) < 0 && errno == EINTR)
		;
	return true;
}
