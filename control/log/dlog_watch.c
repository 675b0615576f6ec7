/* SPDX-License-Identifier: BSD-3-Clause */
/* DOC: counter growth to rate-limited lines (dlog_watch.h). */
#include "control/log/dlog_watch.h"

uint64_t
dlog_watch_feed(struct dlog_watch *w, uint64_t total, uint64_t now_ms, uint64_t hold_ms)
{
	uint64_t n;

	if (!w->primed || total < w->seen) {
		w->primed = true;
		w->seen = total;
		return 0;
	}
	w->pending += total - w->seen;
	w->seen = total;
	if (w->pending == 0)
		return 0;
	/* now_ms < logged_ms: the clock went back; do not wait forever. */
	if (w->logged && now_ms >= w->logged_ms && now_ms - w->logged_ms < hold_ms)
		return 0;
	n = w->pending;
	w->pending = 0;
	w->logged = true;
	w->logged_ms = now_ms;
	return n;
}
