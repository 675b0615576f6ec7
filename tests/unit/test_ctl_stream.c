/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for streamed control replies (ctl_stream(), control/ctl/ctl_stream.c):
 * a server without a path serves socket pairs (ctl_server_adopt_fd()); the
 * test reads (or does not read) the client ends while it polls the server.
 *
 * The hardening issue: `show states -vv` of a large table was built whole,
 * a multi-megabyte reply made in one loop iteration and held per client.
 * A stream is made as the client reads: the total is unbounded (no `reply
 * too large`), a client that does not read gets no further steps, and a
 * poll makes a bounded amount of output whatever the clients do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/ctl/ctl.h"
#include "control/ctl/ctl_priv.h"	/* CTL_STREAM_LOW */

#define SPIN 2000000		/* poll rounds before a test gives up */

/*
 * "count N [fail]": lines "line 0" .. "line N-1" (JSON: the numbers),
 * 100 a step; with "fail", the step after the first fails with 8001.
 * Every cursor made and freed is counted, and every step.
 */
struct counter {
	unsigned long next, n;
	bool fail;
};

static unsigned long steps, cursors_live;

static void
count_fini(void *ctx)
{
	free(ctx);
	cursors_live--;
}

static int
count_step(struct ctl_out *out, void *ctx)
{
	struct counter *k = ctx;
	json_t *a = NULL;

	steps++;
	if (k->fail && k->next > 0) {
		ctl_error(out, CTL_NOT_FOUND, "gone midway\ndetail");
		return -1;
	}
	if (ctl_out_json(out)) {
		a = json_array();
		ctl_json(out, a);
	}
	for (int i = 0; i < 100 && k->next < k->n && !ctl_stream_full(out); i++, k->next++) {
		if (a != NULL)
			json_array_append_new(a, json_integer((json_int_t)k->next));
		else
			ctl_printf(out, "line %lu\n", k->next);
	}
	return k->next < k->n ? 1 : 0;
}

static int
cmd_count(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct counter *k;

	(void)arg;
	if (argc < 1 || argc > 2) {
		ctl_error(out, CTL_BAD_ARG, "expected N");
		return -1;
	}
	k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->n = strtoul(argv[0], NULL, 10);
	k->fail = argc == 2;
	cursors_live++;
	if (!ctl_out_json(out))
		ctl_printf(out, "head\n");
	return ctl_stream(out, count_step, count_fini, k);
}

static const struct ctl_cmd cmds[] = {
	{ "count", "N [fail]", "stream N lines", cmd_count,
	  CTL_F_READONLY },
};

struct peer {
	int fd;
	char *buf;
	size_t len, cap;
};

static struct ctl_server *
server(void)
{
	char err[128];
	struct ctl_server *srv = ctl_server_open(NULL, 0, NULL, NULL, false, err, sizeof(err));

	assert_non_null(srv);
	assert_int_equal(ctl_register(srv, cmds, 1, NULL), 0);
	return srv;
}

static void
peer_open(struct ctl_server *srv, struct peer *p, int rcvbuf)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	if (rcvbuf > 0) {
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					    sizeof(rcvbuf)), 0);
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &rcvbuf,
					    sizeof(rcvbuf)), 0);
	}
	p->fd = sv[0];
	assert_int_equal(ctl_server_adopt_fd(srv, sv[1]), 0);
}

static void
peer_close(struct peer *p)
{
	close(p->fd);
	free(p->buf);
}

/* Reads what is there; returns false at EOF. */
static bool
peer_read(struct peer *p)
{
	for (;;) {
		ssize_t k;

		if (p->cap - p->len < 65536) {
			p->cap = p->cap > 0 ? p->cap * 2 : 1 << 20;
			p->buf = realloc(p->buf, p->cap);
			assert_non_null(p->buf);
		}
		k = recv(p->fd, p->buf + p->len, p->cap - p->len - 1, MSG_DONTWAIT);
		if (k == 0)
			return false;
		if (k < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			return true;
		}
		p->len += (size_t)k;
		p->buf[p->len] = '\0';
	}
}

/* Polls and reads until the buffer holds `n` final lines (greeting included). */
static void
peer_wait_finals(struct ctl_server *srv, struct peer *p, int n)
{
	for (long i = 0; i < SPIN; i++) {
		int finals = 0;

		assert_true(ctl_server_poll(srv) >= 0);
		peer_read(p);
		for (size_t k = 0; k + 4 < p->len; k++)
			if ((k == 0 || p->buf[k - 1] == '\n') && p->buf[k + 4] == ' ')
				finals++;
		if (finals >= n)
			return;
	}
	fail_msg("no complete reply after %d polls", SPIN);
}

static void
say(struct peer *p, const char *s)
{
	assert_int_equal(send(p->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Skips the greeting line; returns the rest. */
static const char *
after_greeting(const struct peer *p)
{
	const char *nl = memchr(p->buf, '\n', p->len);

	assert_non_null(nl);
	return nl + 1;
}

/*
 * 400,000 lines (5 MB of framed text) arrive whole and in order, then the
 * next request on the connection runs: a stream has no size limit, and
 * pipelined requests wait for it.
 */
static void
test_text_whole(void **state)
{
	struct ctl_server *srv = server();
	struct peer p;
	const char *r, *q;
	char want[32];
	unsigned long n = 400000;

	(void)state;
	peer_open(srv, &p, 0);
	say(&p, "count 400000\ncount 2\n");
	peer_wait_finals(srv, &p, 3);
	r = after_greeting(&p);
	assert_memory_equal(r, "0000-head\n", 10);
	q = r + 10;
	for (unsigned long i = 0; i < n; i++) {
		int len = snprintf(want, sizeof(want), "0000-line %lu\n", i);

		assert_memory_equal(q, want, (size_t)len);
		q += len;
	}
	assert_string_equal(q, "0000 ok\n0000-head\n0000-line 0\n0000-line 1\n0000 ok\n");
	assert_int_equal(cursors_live, 0);
	peer_close(&p);
	ctl_server_close(srv);
}

/* JSON: one array of all the steps' elements on one line. */
static void
test_json(void **state)
{
	struct ctl_server *srv = server();
	struct peer p;
	json_error_t jerr;
	const char *r;
	json_t *v;
	char *nl;

	(void)state;
	peer_open(srv, &p, 0);
	say(&p, "-j count 1000\n");
	peer_wait_finals(srv, &p, 2);
	r = after_greeting(&p);
	assert_memory_equal(r, "0000-[", 6);
	nl = strchr(r, '\n');
	assert_string_equal(nl, "\n0000 ok\n");
	v = json_loadb(r + 5, (size_t)(nl - r - 5), 0, &jerr);
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 1000);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(json_integer_value(json_array_get(v, i)), (json_int_t)i);
	json_decref(v);
	/* An empty stream is an empty array. */
	p.len = 0;
	say(&p, "-j count 0\n");
	peer_wait_finals(srv, &p, 1);
	assert_string_equal(p.buf, "0000-[]\n0000 ok\n");
	peer_close(&p);
	ctl_server_close(srv);
}

/* A step that fails: what was sent stays, the error is the final line. */
static void
test_fail_midway(void **state)
{
	struct ctl_server *srv = server();
	struct peer p;

	(void)state;
	peer_open(srv, &p, 0);
	say(&p, "count 150 fail\n");
	peer_wait_finals(srv, &p, 2);
	assert_non_null(strstr(after_greeting(&p), "0000-line 99\n8001-detail\n8001 gone midway\n"));
	assert_null(strstr(p.buf, "line 100"));
	p.len = 0;
	say(&p, "-j count 150 fail\n");
	peer_wait_finals(srv, &p, 1);
	assert_memory_equal(p.buf, "0000-[0,1,", 10);
	/* The first step held CTL_STREAM_ITEMS elements. */
	assert_non_null(strstr(p.buf, ",63]\n8001-detail\n8001 gone midway\n"));
	assert_int_equal(cursors_live, 0);
	peer_close(&p);
	ctl_server_close(srv);
}

/*
 * Clients that never read: each gets steps only until its buffer holds
 * CTL_STREAM_LOW plus what the socket takes, then none; a reader beside
 * them gets its whole reply; a poll makes at most about 1 MiB in all.  A
 * client that goes away mid-stream frees its cursor.
 */
static void
test_no_reader_bounded(void **state)
{
	enum { HOARDERS = 20 };
	struct ctl_server *srv = server();
	struct peer h[HOARDERS], r;
	unsigned long before, max_step = 0;

	(void)state;
	for (int i = 0; i < HOARDERS; i++) {
		peer_open(srv, &h[i], 4096);
		say(&h[i], "count 100000000\n");
	}
	for (int i = 0; i < 2000; i++) {
		unsigned long s0 = steps;

		assert_true(ctl_server_poll(srv) >= 0);
		if (steps - s0 > max_step)
			max_step = steps - s0;
	}
	before = steps;
	for (int i = 0; i < 2000; i++)
		assert_true(ctl_server_poll(srv) >= 0);
	/* No step at all once the buffers are full: no work and no memory. */
	assert_int_equal(steps, before);
	/*
	 * Each step is at most CTL_STREAM_CHUNK (100 lines here: ~1.4 KB), so
	 * a poll's 1 MiB bound is not what stops them: their buffers are.
	 * Per hoarder: (CTL_STREAM_LOW + the socket's buffer) / 1.4 KB steps.
	 */
	print_message("# %lu steps for %d hoarders, at most %lu in one poll\n", steps, HOARDERS,
		      max_step);
	assert_true(steps <= (unsigned long)HOARDERS * ((CTL_STREAM_LOW + (256u << 10)) / 1300));
	peer_open(srv, &r, 0);
	say(&r, "count 50000\n");
	peer_wait_finals(srv, &r, 2);
	assert_non_null(strstr(r.buf, "0000-line 49999\n0000 ok\n"));
	peer_close(&r);
	assert_int_equal(cursors_live, HOARDERS);
	for (int i = 0; i < HOARDERS; i++)
		peer_close(&h[i]);
	for (int i = 0; i < 100; i++)
		assert_true(ctl_server_poll(srv) >= 0);
	assert_int_equal(cursors_live, 0);
	ctl_server_close(srv);
}

/* Closing the server mid-stream frees the cursors. */
static void
test_close_mid_stream(void **state)
{
	struct ctl_server *srv = server();
	struct peer p;

	(void)state;
	peer_open(srv, &p, 4096);
	say(&p, "count 100000000\n");
	for (int i = 0; i < 100; i++)
		assert_true(ctl_server_poll(srv) >= 0);
	assert_int_equal(cursors_live, 1);
	ctl_server_close(srv);
	assert_int_equal(cursors_live, 0);
	peer_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_whole),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_fail_midway),
		cmocka_unit_test(test_no_reader_bounded),
		cmocka_unit_test(test_close_mid_stream),
	};

	return cmocka_run_group_tests_name("ctl_stream", tests, NULL, NULL);
}
