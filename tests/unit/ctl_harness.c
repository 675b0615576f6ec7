/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The harness test_ctl.c and test_ctl_sock.c share: a set of test commands,
 * a fixture that opens a server on a socket in a temporary directory, and
 * non-blocking clients that run the server (ctl_server_poll()) in bounded
 * loops while they wait, so that a server that stalls or loses a reply
 * fails a test instead of hanging it.
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/ctl_harness.h"

/*
 * Test commands: registered on every fixture server
 */

int
cmd_echo(struct ctl_out *out, int argc, char **argv, void *arg)
{
	json_t *a = ctl_out_json(out) ? json_array() : NULL;

	(void)arg;
	for (int i = 0; i < argc; i++) {
		if (a != NULL)
			json_array_append_new(a, json_string(argv[i]));
		else
			ctl_printf(out, "%s\n", argv[i]);
	}
	if (a != NULL)
		ctl_json(out, a);
	return 0;
}

/* Prints its own name (arg) and its arguments on one line. */
int
cmd_name(struct ctl_out *out, int argc, char **argv, void *arg)
{
	ctl_printf(out, "%s", (const char *)arg);
	for (int i = 0; i < argc; i++)
		ctl_printf(out, " [%s]", argv[i]);
	ctl_printf(out, "\n");
	return 0;
}

static int
cmd_set(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)arg;
	if (argc != 2) {
		ctl_error(out, CTL_BAD_ARG, "expected 2 arguments, got %d", argc);
		return -1;
	}
	ctl_printf(out, "%s=%s\n", argv[0], argv[1]);
	return 0;
}

static int
cmd_text(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_printf(out, "a\nb\n\n");
	ctl_printf(out, "c");
	return 0;
}

static int
cmd_json(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_json(out, json_pack("{s[ii]ss}", "k", 1, 2, "s", "x\ny"));
	return 0;
}

static int
cmd_fail(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_printf(out, "dropped\n");
	ctl_error(out, CTL_NOT_FOUND, "no such thing\ndetail 1\ndetail 2");
	ctl_error(out, CTL_BUSY, "a consequence, not the cause");
	return -1;
}

static int
cmd_fail_silently(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)out;
	(void)argc;
	(void)argv;
	(void)arg;
	return -1;
}

/* 17 MiB of 1 KiB lines: more than a reply may hold. */
static int
cmd_big(struct ctl_out *out, int argc, char **argv, void *arg)
{
	static char line[1024];
	json_t *a = ctl_out_json(out) ? json_array() : NULL;

	(void)argc;
	(void)argv;
	(void)arg;
	memset(line, 'x', sizeof(line) - 1);
	for (int i = 0; i < 17 * 1024; i++) {
		if (a != NULL)
			json_array_append_new(a, json_string(line));
		else
			ctl_printf(out, "%s\n", line);
	}
	if (a != NULL)
		ctl_json(out, a);
	return 0;
}

/* Two 9 MiB lines: the second does not fit, the first is sent. */
static int
cmd_big_lines(struct ctl_out *out, int argc, char **argv, void *arg)
{
	size_t n = 9u << 20;
	char *line = malloc(n + 1);

	(void)argc;
	(void)argv;
	(void)arg;
	assert_non_null(line);
	memset(line, 'y', n);
	line[n] = '\0';
	ctl_printf(out, "%s\n", line);
	ctl_printf(out, "%s\n", line);
	free(line);
	return 0;
}

const struct ctl_cmd test_cmds[] = {
	{ "echo", "[WORD...]", "print the words", cmd_echo, CTL_F_READONLY },
	{ "set", "NAME VALUE", "change something", cmd_set, 0 },
	{ "text", "", "print lines a, b, an empty one, c", cmd_text, CTL_F_READONLY },
	{ "json", "", "JSON only", cmd_json, CTL_F_READONLY },
	{ "fail", "", "fail with 8001", cmd_fail, CTL_F_READONLY },
	{ "fail silently", "", "return -1 without a message", cmd_fail_silently, 0 },
	{ "big", "", "print too much", cmd_big, CTL_F_READONLY },
	{ "big lines", "", "print too much, in long lines", cmd_big_lines, CTL_F_READONLY },
};

/* Each with its own name as arg, to see which one ran. */
const struct ctl_cmd show_cmds[] = {
	{ "show info", "[WORD...]", "", cmd_name, CTL_F_READONLY },
	{ "show interfaces", "", "", cmd_name, CTL_F_READONLY },
	{ "show interfaces detail", "NAME", "", cmd_name, CTL_F_READONLY },
};

const size_t n_test_cmds = ARRAY_SIZE(test_cmds);
const size_t n_show_cmds = ARRAY_SIZE(show_cmds);

/*
 * Fixture: a server on DIR/run/dpf.sock (run/ made by ctl_server_open)
 */

struct ctl_server *
open_server(const char *path, bool readonly)
{
	char err[256] = "";
	struct ctl_server *srv = ctl_server_open(path, 0660, NULL, NULL, readonly, err,
						 sizeof(err));

	if (srv == NULL)
		fail_msg("ctl_server_open %s: %s", path, err);
	assert_int_equal(ctl_register(srv, test_cmds, ARRAY_SIZE(test_cmds), NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(show_cmds); i++)
		assert_int_equal(ctl_register(srv, &show_cmds[i], 1, (void *)show_cmds[i].words),
				 0);
	return srv;
}

int
fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/dpf-ctl-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/run/dpf.sock", f->dir);
	f->srv = open_server(f->path, false);
	*state = f;
	return 0;
}

/* Removes DIR/run/ * and DIR/ *: the tests make nothing deeper. */
static void
rm_tree(const char *dir)
{
	static const char *const names[] = { "run/dpf.sock", "run/other.sock", "run/ro.sock",
					     "run/file", "run", "a/s.sock", "a", "b/s.sock",
					     "b" };
	char p[256];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
	rmdir(dir);
}

int
fix_teardown(void **state)
{
	struct fix *f = *state;

	ctl_server_close(f->srv);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/*
 * Clients: non-blocking sockets with a receive buffer
 */

struct cl *
cl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cl *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return c;
}

void
cl_close(struct cl *c)
{
	close(c->fd);
	free(c->buf);
	free(c);
}

/* One recv(); returns its result (-1 with errno). */
ssize_t
cl_recv(struct cl *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap > 0 ? c->cap * 2 : 262144;
		c->buf = realloc(c->buf, c->cap);
		assert_non_null(c->buf);
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Sends all of s, running the server while the socket is full. */
void
cl_send(struct ctl_server *srv, struct cl *c, const char *s, size_t n)
{
	for (int i = 0; n > 0; i++) {
		ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		assert_true(i < SPIN);
		if (k < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			assert_true(ctl_server_poll(srv) >= 0);
			continue;
		}
		s += k;
		n -= (size_t)k;
	}
}

void
cl_say(struct ctl_server *srv, struct cl *c, const char *s)
{
	cl_send(srv, c, s, strlen(s));
}

/* Length of the first complete reply in c->buf, 0 if none yet. */
size_t
cl_complete(struct cl *c)
{
	while (c->scan < c->len) {
		char *nl = memchr(c->buf + c->scan, '\n', c->len - c->scan);
		size_t start = c->scan;

		if (nl == NULL)
			return 0;
		c->scan = (size_t)(nl - c->buf) + 1;
		if (c->scan - start >= 5 && c->buf[start + 4] == ' ')
			return c->scan;
	}
	return 0;
}

/* The next reply, all its lines; NUL-terminated, to free(). */
char *
cl_reply(struct ctl_server *srv, struct cl *c)
{
	for (int i = 0; i < SPIN; i++) {
		size_t n = cl_complete(c);
		ssize_t k;

		if (n > 0) {
			char *r = strndup(c->buf, n);

			assert_non_null(r);
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			c->scan = 0;
			return r;
		}
		assert_true(ctl_server_poll(srv) >= 0);
		k = cl_recv(c);
		if (k == 0)
			fail_msg("connection closed before a complete reply");
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			fail_msg("recv: %s", strerror(errno));
	}
	fail_msg("no reply after %d polls", SPIN);
	return NULL;
}

void
cl_expect(struct ctl_server *srv, struct cl *c, const char *want)
{
	char *r = cl_reply(srv, c);

	assert_string_equal(r, want);
	free(r);
}

void
cl_greeted(struct ctl_server *srv, struct cl *c)
{
	char *r = cl_reply(srv, c);
	char want[64];

	snprintf(want, sizeof(want), " protocol %d\n", CTL_PROTO_VERSION);
	assert_memory_equal(r, "0000 dpf ", 9);
	assert_non_null(strstr(r, want));
	assert_int_equal(strlen(strstr(r, want)), strlen(want));
	free(r);
}

struct cl *
cl_open(struct ctl_server *srv, const char *path)
{
	struct cl *c = cl_connect(path);

	cl_greeted(srv, c);
	return c;
}

/* True once the server has closed the connection (EOF or reset). */
bool
cl_closed(struct ctl_server *srv, struct cl *c)
{
	for (int i = 0; i < SPIN; i++) {
		ssize_t k;

		assert_true(ctl_server_poll(srv) >= 0);
		k = cl_recv(c);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

/* A request and its whole expected reply. */
void
ask(struct ctl_server *srv, struct cl *c, const char *req, const char *want)
{
	print_message("# %s", req);
	cl_say(srv, c, req);
	cl_expect(srv, c, want);
}


/* Polls srv for ms milliseconds. */
void
poll_for(struct ctl_server *srv, unsigned int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		assert_true(ctl_server_poll(srv) >= 0);
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}
