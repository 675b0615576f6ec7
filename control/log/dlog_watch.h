/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Turning a growing counter into at most one log line per hold period.
 *
 * The workers count what they lose (a full ring, a limit reached) and never
 * log; the control core looks at the counters about once a second and logs
 * when one grew (control/app/app_watch.c).  One struct dlog_watch per
 * watched counter: dlog_watch_feed() takes the counter's current total and
 * says how much to report now.  Growth seen during the hold period after a
 * line is not lost: it is added up and reported by the next line, which
 * comes as soon as the hold period is over and the counter has grown.
 * Pure (no clock, no I/O): unit-tested with a hand-driven clock.
 */
#ifndef DPF_CONTROL_LOG_DLOG_WATCH_H
#define DPF_CONTROL_LOG_DLOG_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#define DLOG_WATCH_HOLD_MS 10000	/* at most one line per counter per 10 s */

struct dlog_watch {
	uint64_t seen;		/* the total at the last feed */
	uint64_t pending;	/* growth not reported yet */
	uint64_t logged_ms;	/* when the last line was reported */
	bool primed;		/* seen is valid */
	bool logged;		/* logged_ms is valid */
};

/*
 * Feeds total (the counter's value now) at now_ms.  Returns the growth to
 * report in a line now (the sum since the last line), or 0: nothing grew,
 * or the last line is less than hold_ms old.  The first feed only takes
 * the starting value.  A total below the last one (a counter reset) is
 * taken as the new start.
 */
uint64_t dlog_watch_feed(struct dlog_watch *w, uint64_t total, uint64_t now_ms,
			 uint64_t hold_ms);

#endif /* DPF_CONTROL_LOG_DLOG_WATCH_H */
