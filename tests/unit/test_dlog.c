/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpf's log lines (control/log/dlog.c) and the counter watcher's hold logic
 * (control/log/dlog_watch.c): the logfmt layout and its quoting, levels and
 * the threshold, the journal's "<N>" prefix, the token bucket and the
 * suppressed=N it reports, all on a hand-driven clock; lines are read back
 * from a pipe.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/log/dlog.h"
#include "control/log/dlog_watch.h"

static uint64_t clock_ms;

static uint64_t
test_clock(void)
{
	return clock_ms;
}

static int pipe_fd[2] = { -1, -1 };

/* Everything written to the pipe since the last call. */
static const char *
drain(void)
{
	static char buf[16384];
	ssize_t n = read(pipe_fd[0], buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int
fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(pipe(pipe_fd), 0);
	/* Reads must not block when nothing was written. */
	assert_int_equal(fcntl_nonblock(pipe_fd[0]), 0);
	dlog_set_output(pipe_fd[1], false);
	dlog_set_clock(test_clock);
	dlog_set_level(DLOG_INFO);
	dlog_reset();
	clock_ms = 1000;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	dlog_set_output(STDERR_FILENO, false);
	dlog_set_clock(NULL);
	return 0;
}

static size_t
fmt(char *buf, size_t len, enum dlog_event ev, const struct dlog_kv *kv, size_t n,
    uint64_t supp)
{
	return dlog_format(buf, len, ev, DLOG_NOTICE, kv, n, supp);
}

static void
test_layout(void **state)
{
	char buf[512];
	const struct dlog_kv kv[] = {
		DLOG_U("vhid", 3), DLOG_S("iface", "lan"), DLOG_S("from", "BACKUP"),
		DLOG_S("to", "MASTER"), DLOG_S("reason", "master timed out"),
	};
	size_t n;

	(void)state;
	n = fmt(buf, sizeof(buf), DLOG_EV_CARP_TRANSITION, kv, 5, 0);
	assert_string_equal(buf, "dpf[carp] level=notice event=carp-transition vhid=3 iface=lan "
			    "from=BACKUP to=MASTER reason=\"master timed out\"\n");
	assert_int_equal(n, strlen(buf));
}

static void
test_quoting(void **state)
{
	char buf[512];
	const struct dlog_kv kv[] = {
		DLOG_S("plain", "a-b_c.d/e:f,g"), DLOG_S("empty", ""), DLOG_S("null", NULL),
		DLOG_S("q", "say \"hi\""), DLOG_S("bs", "a\\b"), DLOG_S("eq", "k=v"),
		DLOG_S("nl", "a\nb\tc"), DLOG_S("ctl", "\x01\x7f"), DLOG_S("utf8", "caf\xc3\xa9"),
	};

	(void)state;
	fmt(buf, sizeof(buf), DLOG_EV_STARTED, kv, sizeof(kv) / sizeof(kv[0]), 0);
	assert_string_equal(buf, "dpf[app] level=notice event=started plain=a-b_c.d/e:f,g "
			    "empty=\"\" null=- q=\"say \\\"hi\\\"\" bs=\"a\\\\b\" eq=\"k=v\" "
			    "nl=\"a\\nb\\tc\" ctl=\"\\x01\\x7f\" utf8=caf\xc3\xa9\n");
}

static void
test_numbers_raw_optional(void **state)
{
	char buf[512];
	const struct dlog_kv kv[] = {
		DLOG_RAW("uid=0 pid=42"), DLOG_I("by", -1), DLOG_U("max", UINT64_MAX),
		DLOG_X("hostid", 0xbeef), DLOG_S_IF(false, "keys", "x"), DLOG_U_IF(true, "s", 30),
		DLOG_RAW(""), DLOG_RAW(NULL),
	};

	(void)state;
	fmt(buf, sizeof(buf), DLOG_EV_RELOAD_APPLIED, kv, sizeof(kv) / sizeof(kv[0]), 7);
	assert_string_equal(buf, "dpf[reload] level=notice event=reload-applied uid=0 pid=42 "
			    "by=-1 max=18446744073709551615 hostid=0x0000beef s=30 "
			    "suppressed=7\n");
	fmt(buf, sizeof(buf), DLOG_EV_BULK_START, NULL, 0, 0);
	assert_string_equal(buf, "dpf[pfsync] level=notice event=bulk-start\n");
}

static void
test_truncated(void **state)
{
	char buf[64];
	const struct dlog_kv kv[] = { DLOG_S("long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") };
	size_t n;

	(void)state;
	n = fmt(buf, sizeof(buf), DLOG_EV_STARTED, kv, 1, 0);
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_non_null(strstr(buf, " truncated=1\n"));
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(strncmp(buf, "dpf[app] level=notice event=started long=a", 42), 0);
}

static void
test_levels(void **state)
{
	(void)state;
	/* Default level from the list: started is info, reload-refused warning. */
	assert_true(dlog(STARTED, DLOG_U("ports", 1)));
	assert_string_equal(drain(), "dpf[app] level=info event=started ports=1\n");
	assert_true(dlog(RELOAD_REFUSED, DLOG_S("file", "a.json")));
	assert_string_equal(drain(), "dpf[reload] level=warning event=reload-refused file=a.json\n");
	/* dlog_at: CARP's priorities from carp.log. */
	assert_true(dlog_at(CARP_TRANSITION, DLOG_CRIT, DLOG_U("vhid", 1)));
	assert_string_equal(drain(), "dpf[carp] level=crit event=carp-transition vhid=1\n");
	/* The threshold: notice drops info and debug, keeps warning. */
	dlog_set_level(DLOG_NOTICE);
	assert_false(dlog(STARTED, DLOG_U("ports", 1)));
	assert_false(dlog_at(LINK, DLOG_DEBUG, DLOG_S("port", "p0")));
	assert_true(dlog(LINK, DLOG_S("port", "p0")));
	assert_string_equal(drain(), "dpf[app] level=notice event=link port=p0\n");
	/* Filtered lines are not "suppressed": they use no token. */
	assert_int_equal(dlog_suppressed(DLOG_EV_STARTED), 0);
	for (unsigned int i = 0; i < DLOG_LEVEL_MAX; i++)
		assert_string_not_equal(dlog_level_name(i), "?");
	for (unsigned int i = 0; i < DLOG_EV_MAX; i++)
		assert_string_not_equal(dlog_event_name(i), "?");
}

static void
test_journal_prefix(void **state)
{
	char js[64];
	struct stat st;
	FILE *f;

	(void)state;
	dlog_set_output(pipe_fd[1], true);
	dlog_at(CARP_TRANSITION, DLOG_CRIT, DLOG_U("vhid", 1));
	assert_string_equal(drain(), "<2>dpf[carp] level=crit event=carp-transition vhid=1\n");
	dlog(RELOAD_ROLLBACK_FAILED, DLOG_S("error", "x"));
	assert_string_equal(drain(), "<3>dpf[reload] level=err event=reload-rollback-failed "
			    "error=x\n");
	dlog_text(DLOG_ERR, "port %s: no device", "p0");
	assert_string_equal(drain(), "<3>dpf: port p0: no device\n");
	dlog_set_output(pipe_fd[1], false);
	dlog_text(DLOG_ERR, "plain");
	assert_string_equal(drain(), "dpf: plain\n");

	/* JOURNAL_STREAM is DEV:INO of the stream (systemd.exec(5)). */
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_true(dlog_fd_is_journal(fileno(f), js));
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	assert_false(dlog_fd_is_journal(fileno(f), js));
	assert_false(dlog_fd_is_journal(pipe_fd[1], js));
	assert_false(dlog_fd_is_journal(fileno(f), NULL));
	assert_false(dlog_fd_is_journal(fileno(f), ""));
	assert_false(dlog_fd_is_journal(fileno(f), "12"));
	assert_false(dlog_fd_is_journal(fileno(f), "1:2x"));
	fclose(f);
}

static void
test_bucket(void **state)
{
	struct dlog_bucket b = { 0 };

	(void)state;
	/* Starts full: burst 3. */
	assert_true(dlog_bucket_take(&b, 3, 1000, 5000));
	assert_true(dlog_bucket_take(&b, 3, 1000, 5000));
	assert_true(dlog_bucket_take(&b, 3, 1000, 5000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 5000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 5999));
	/* One token a period, the partial period kept. */
	assert_true(dlog_bucket_take(&b, 3, 1000, 6000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 6500));
	assert_true(dlog_bucket_take(&b, 3, 1000, 7000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 7999));
	/* A long silence refills to burst, not more. */
	assert_true(dlog_bucket_take(&b, 3, 1000, 100000));
	assert_true(dlog_bucket_take(&b, 3, 1000, 100000));
	assert_true(dlog_bucket_take(&b, 3, 1000, 100000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 100000));
	/* 2.5 periods: two tokens, the half period counts towards the third. */
	assert_true(dlog_bucket_take(&b, 3, 1000, 102500));
	assert_true(dlog_bucket_take(&b, 3, 1000, 102500));
	assert_false(dlog_bucket_take(&b, 3, 1000, 102500));
	assert_true(dlog_bucket_take(&b, 3, 1000, 103000));
	/* The clock going back restarts the period, gives nothing. */
	assert_false(dlog_bucket_take(&b, 3, 1000, 50000));
	assert_false(dlog_bucket_take(&b, 3, 1000, 50999));
	assert_true(dlog_bucket_take(&b, 3, 1000, 51000));
}

static void
test_rate_limit(void **state)
{
	const char *out;
	unsigned int i, lines = 0;

	(void)state;
	/* started: burst 5, one a second (dlog.h). */
	for (i = 0; i < 8; i++)
		lines += dlog(STARTED, DLOG_U("n", i));
	assert_int_equal(lines, 5);
	assert_int_equal(dlog_suppressed(DLOG_EV_STARTED), 3);
	out = drain();
	assert_null(strstr(out, "suppressed"));
	assert_non_null(strstr(out, "n=4\n"));
	assert_null(strstr(out, "n=5"));
	/* Another event has its own bucket. */
	assert_true(dlog(STOPPING, DLOG_S("reason", "signal")));
	assert_string_equal(drain(), "dpf[app] level=info event=stopping reason=signal\n");
	clock_ms += 999;
	assert_false(dlog(STARTED, DLOG_U("n", 8)));
	clock_ms += 1;
	/* The next line that passes says how many were held back, once. */
	assert_true(dlog(STARTED, DLOG_U("n", 9)));
	assert_string_equal(drain(), "dpf[app] level=info event=started n=9 suppressed=4\n");
	assert_int_equal(dlog_suppressed(DLOG_EV_STARTED), 0);
	clock_ms += 1000;
	assert_true(dlog(STARTED, DLOG_U("n", 10)));
	assert_string_equal(drain(), "dpf[app] level=info event=started n=10\n");
}

static void
test_watch(void **state)
{
	struct dlog_watch w = { 0 };
	const uint64_t H = DLOG_WATCH_HOLD_MS;

	(void)state;
	assert_int_equal(H, 10000);
	/* The first look takes the start, even a non-zero one. */
	assert_int_equal(dlog_watch_feed(&w, 7, 0, H), 0);
	assert_int_equal(dlog_watch_feed(&w, 7, 1000, H), 0);
	/* Growth: a line at once. */
	assert_int_equal(dlog_watch_feed(&w, 10, 2000, H), 3);
	/* Growth within 10 s of it: held, summed. */
	assert_int_equal(dlog_watch_feed(&w, 15, 3000, H), 0);
	assert_int_equal(dlog_watch_feed(&w, 20, 11999, H), 0);
	/* 10 s after the line: the sum. */
	assert_int_equal(dlog_watch_feed(&w, 21, 12000, H), 11);
	/* Nothing grew: no line, however long. */
	assert_int_equal(dlog_watch_feed(&w, 21, 13000, H), 0);
	assert_int_equal(dlog_watch_feed(&w, 21, 60000, H), 0);
	/* After a quiet spell, a line at once again. */
	assert_int_equal(dlog_watch_feed(&w, 22, 61000, H), 1);
	/* Growth held, then silence: reported at the first look after 10 s. */
	assert_int_equal(dlog_watch_feed(&w, 30, 62000, H), 0);
	assert_int_equal(dlog_watch_feed(&w, 30, 70000, H), 0);
	assert_int_equal(dlog_watch_feed(&w, 30, 71000, H), 8);
	/* Once a second for a minute of steady growth: 6 lines, nothing lost. */
	{
		uint64_t total = 30, sum = 0, t = 71000;
		unsigned int lines = 0;

		for (unsigned int i = 1; i <= 60; i++) {
			uint64_t n;

			total += 100;
			t += 1000;
			n = dlog_watch_feed(&w, total, t, H);
			lines += n != 0;
			sum += n;
		}
		assert_int_equal(lines, 6);
		assert_int_equal(sum + w.pending, 6000);
	}
	/* A counter that went back (reset): the new start, no line. */
	{
		struct dlog_watch r = { 0 };

		assert_int_equal(dlog_watch_feed(&r, 100, 0, H), 0);
		assert_int_equal(dlog_watch_feed(&r, 5, 1000, H), 0);
		assert_int_equal(dlog_watch_feed(&r, 6, 2000, H), 1);
		/* The clock going back does not hold lines forever. */
		assert_int_equal(dlog_watch_feed(&r, 8, 1500, H), 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_numbers_raw_optional),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_prefix, setup, teardown),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test(test_watch),
	};

	return cmocka_run_group_tests_name("dlog", tests, NULL, NULL);
}
