/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/ctl: the request tokenizer and formatter as tables,
 * then real servers on sockets in a temporary directory driven by real
 * client sockets in this process.  The tests call ctl_server_poll() in
 * bounded loops while the clients read and write without blocking, so a
 * server that stalls or loses a reply fails a test instead of hanging it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/ctl/ctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SPIN 200000		/* poll rounds before a test gives up */

/*
 * Tokenizer
 */

struct parse_case {
	const char *what;
	const char *line;
	size_t len;		/* 0: strlen(line) */
	enum ctl_code code;
	bool json;
	int argc;
	const char *argv[5];
};

static const struct parse_case parse_cases[] = {
	{ "one word", "ping", 0, CTL_OK, false, 1, { "ping" } },
	{ "spaces and tabs separate", "  show \t interfaces  x ", 0, CTL_OK, false, 3,
	  { "show", "interfaces", "x" } },
	{ "trailing newline", "ping\n", 0, CTL_OK, false, 1, { "ping" } },
	{ "trailing CRLF", "ping\r\n", 0, CTL_OK, false, 1, { "ping" } },
	{ "empty line", "", 0, CTL_OK, false, 0, { NULL } },
	{ "blank line", " \t \n", 0, CTL_OK, false, 0, { NULL } },
	{ "-j", "-j show x", 0, CTL_OK, true, 2, { "show", "x" } },
	{ "-p 1", "-p 1 ping", 0, CTL_OK, false, 1, { "ping" } },
	{ "-j -p 1", "-j -p 1 ping", 0, CTL_OK, true, 1, { "ping" } },
	{ "-p 2: other protocol", "-p 2 ping", 0, CTL_VERSION, false, 0, { NULL } },
	{ "-p x", "-p x ping", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "-p at the end", "-p", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "unknown option", "-x ping", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "-j without a command", "-j", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "-j after the command is an argument", "echo -j", 0, CTL_OK, false, 2,
	  { "echo", "-j" } },
	{ "quoted -j is a word", "\"-j\" x", 0, CTL_OK, false, 2, { "-j", "x" } },
	{ "quoted words", "echo \"a b\" \"\" c", 0, CTL_OK, false, 4, { "echo", "a b", "", "c" } },
	{ "escapes in quotes", "echo \"q\\\"x\\\\y\"", 0, CTL_OK, false, 2,
	  { "echo", "q\"x\\y" } },
	{ "backslash outside quotes is literal", "echo a\\b", 0, CTL_OK, false, 2,
	  { "echo", "a\\b" } },
	{ "tab inside quotes is kept", "echo \"a\tb\"", 0, CTL_OK, false, 2, { "echo", "a\tb" } },
	{ "UTF-8", "echo h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, CTL_OK, false, 4,
	  { "echo", "h\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" } },
	{ "unterminated quote", "echo \"abc", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "escaped closing quote", "echo \"abc\\\"", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "invalid escape", "echo \"a\\n\"", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "quote inside a word", "echo ab\"c\"", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "word glued to a closing quote", "echo \"ab\"c", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "NUL byte", "echo a\0b", 8, CTL_SYNTAX, false, 0, { NULL } },
	{ "escape sequence", "echo \x1b[2J", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "DEL", "echo \x7f", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "CR inside", "echo a\rb", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "newline inside", "echo a\nb", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "lone continuation byte", "echo \x80", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "overlong 2-byte", "echo \xc0\xaf", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "overlong 3-byte", "echo \xe0\x80\xaf", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "surrogate", "echo \xed\xa0\x80", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "beyond U+10FFFF", "echo \xf4\x90\x80\x80", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "truncated sequence", "echo \xe2\x82", 0, CTL_SYNTAX, false, 0, { NULL } },
	{ "C1 control (CSI)", "echo \xc2\x9b", 0, CTL_SYNTAX, false, 0, { NULL } },
};

static void
test_parse_table(void **state)
{
	static struct ctl_req req;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *t = &parse_cases[i];
		size_t len = t->len != 0 ? t->len : strlen(t->line);
		enum ctl_code code = ctl_parse_line(t->line, len, &req);

		print_message("# %s\n", t->what);
		assert_int_equal(code, t->code);
		if (code != CTL_OK) {
			assert_non_null(req.why);
			continue;
		}
		assert_int_equal(req.json, t->json);
		assert_int_equal(req.argc, t->argc);
		for (int k = 0; k < t->argc; k++)
			assert_string_equal(req.argv[k], t->argv[k]);
		assert_null(req.argv[req.argc]);
	}
}

static void
test_parse_limits(void **state)
{
	static struct ctl_req req;
	static char line[CTL_REQ_MAX + 16];
	size_t n = 0;

	(void)state;
	/* CTL_MAX_ARGS words pass, one more does not; options do not count. */
	n = (size_t)sprintf(line, "-j -p 1");
	for (int i = 0; i < CTL_MAX_ARGS; i++)
		n += (size_t)sprintf(line + n, " w%d", i);
	assert_int_equal(ctl_parse_line(line, n, &req), CTL_OK);
	assert_int_equal(req.argc, CTL_MAX_ARGS);
	assert_string_equal(req.argv[CTL_MAX_ARGS - 1], "w31");
	n += (size_t)sprintf(line + n, " one-more");
	assert_int_equal(ctl_parse_line(line, n, &req), CTL_BAD_ARG);
	assert_non_null(req.why);

	/* CTL_REQ_MAX bytes with the newline pass; one more byte does not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "echo ", 5);
	line[CTL_REQ_MAX - 1] = '\n';
	assert_int_equal(ctl_parse_line(line, CTL_REQ_MAX, &req), CTL_OK);
	assert_int_equal(strlen(req.argv[1]), CTL_REQ_MAX - 6);
	assert_int_equal(ctl_parse_line(line, CTL_REQ_MAX - 1, &req), CTL_OK);
	line[CTL_REQ_MAX - 1] = 'x';
	assert_int_equal(ctl_parse_line(line, CTL_REQ_MAX, &req), CTL_TOO_LONG);
	line[CTL_REQ_MAX] = '\n';
	assert_int_equal(ctl_parse_line(line, CTL_REQ_MAX + 1, &req), CTL_TOO_LONG);

	/* Every word one character: storage needs len + 1 bytes at most. */
	for (n = 0; n + 2 <= CTL_REQ_MAX - 1 && n / 2 < CTL_MAX_ARGS; n += 2)
		memcpy(line + n, "a ", 2);
	assert_int_equal(ctl_parse_line(line, n, &req), CTL_OK);
	assert_int_equal(req.argc, CTL_MAX_ARGS);
}

struct format_case {
	const char *what;
	bool json;
	int argc;
	const char *argv[4];
	int rc;			/* < 0: expected error */
	const char *want;
};

static const struct format_case format_cases[] = {
	{ "plain", false, 2, { "show", "info" }, 0, "show info\n" },
	{ "json", true, 1, { "ping" }, 0, "-j ping\n" },
	{ "quoting", false, 4, { "echo", "a b", "", "q\"\\" }, 0,
	  "echo \"a b\" \"\" \"q\\\"\\\\\"\n" },
	{ "a first word starting with - is quoted", false, 2, { "-x", "-v" }, 0, "\"-x\" -v\n" },
	{ "tab is quoted", false, 2, { "echo", "a\tb" }, 0, "echo \"a\tb\"\n" },
	{ "newline cannot be sent", false, 2, { "echo", "a\nb" }, -EINVAL, NULL },
	{ "escape cannot be sent", false, 2, { "echo", "\x1b" }, -EINVAL, NULL },
	{ "no words", false, 0, { NULL }, -EINVAL, NULL },
};

static void
test_format(void **state)
{
	static struct ctl_req req;
	static char buf[CTL_REQ_MAX + 64], big[CTL_REQ_MAX];
	char *many[CTL_MAX_ARGS + 1];
	char *words[2] = { "echo", big };
	int rc;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(format_cases); i++) {
		const struct format_case *t = &format_cases[i];

		print_message("# %s\n", t->what);
		rc = ctl_format_request(buf, sizeof(buf), t->json, t->argc, (char **)t->argv);
		if (t->rc < 0) {
			assert_int_equal(rc, t->rc);
			continue;
		}
		assert_int_equal(rc, strlen(t->want));
		assert_string_equal(buf, t->want);
		/* And it parses back to the same words. */
		assert_int_equal(ctl_parse_line(buf, (size_t)rc, &req), CTL_OK);
		assert_int_equal(req.json, t->json);
		assert_int_equal(req.argc, t->argc);
		for (int k = 0; k < t->argc; k++)
			assert_string_equal(req.argv[k], t->argv[k]);
	}
	for (int i = 0; i <= CTL_MAX_ARGS; i++)
		many[i] = "w";
	assert_int_equal(ctl_format_request(buf, sizeof(buf), false, CTL_MAX_ARGS + 1, many),
			 -EINVAL);
	assert_int_equal(ctl_format_request(buf, sizeof(buf), false, CTL_MAX_ARGS, many),
			 2 * CTL_MAX_ARGS);
	/* Longest line that fits: CTL_REQ_MAX with its newline. */
	memset(big, 'x', CTL_REQ_MAX - 6);
	big[CTL_REQ_MAX - 6] = '\0';
	assert_int_equal(ctl_format_request(buf, sizeof(buf), false, 2, words), CTL_REQ_MAX);
	assert_int_equal(ctl_format_request(buf, CTL_REQ_MAX, false, 2, words), -E2BIG);
	big[CTL_REQ_MAX - 6] = 'x';
	big[CTL_REQ_MAX - 5] = '\0';
	assert_int_equal(ctl_format_request(buf, sizeof(buf), false, 2, words), -E2BIG);
	assert_int_equal(ctl_format_request(buf, 4, false, 1, many), 2);
	assert_int_equal(ctl_format_request(buf, 2, false, 1, many), -E2BIG);
}

/*
 * Test commands
 */

static int
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
static int
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

static const struct ctl_cmd test_cmds[] = {
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
static const struct ctl_cmd show_cmds[] = {
	{ "show info", "[WORD...]", "", cmd_name, CTL_F_READONLY },
	{ "show interfaces", "", "", cmd_name, CTL_F_READONLY },
	{ "show interfaces detail", "NAME", "", cmd_name, CTL_F_READONLY },
};

/*
 * Fixture: a server on DIR/run/dpf.sock (run/ made by ctl_server_open)
 */

struct fix {
	char dir[64];
	char path[128];
	struct ctl_server *srv;
};

static struct ctl_server *
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

static int
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

static int
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

struct cl {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	size_t scan;		/* buf[0, scan) holds no final line; scan is a line start */
};

static struct cl *
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

static void
cl_close(struct cl *c)
{
	close(c->fd);
	free(c->buf);
	free(c);
}

/* One recv(); returns its result (-1 with errno). */
static ssize_t
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
static void
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

static void
cl_say(struct ctl_server *srv, struct cl *c, const char *s)
{
	cl_send(srv, c, s, strlen(s));
}

/* Length of the first complete reply in c->buf, 0 if none yet. */
static size_t
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
static char *
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

static void
cl_expect(struct ctl_server *srv, struct cl *c, const char *want)
{
	char *r = cl_reply(srv, c);

	assert_string_equal(r, want);
	free(r);
}

static void
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

static struct cl *
cl_open(struct ctl_server *srv, const char *path)
{
	struct cl *c = cl_connect(path);

	cl_greeted(srv, c);
	return c;
}

/* True once the server has closed the connection (EOF or reset). */
static bool
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
static void
ask(struct ctl_server *srv, struct cl *c, const char *req, const char *want)
{
	print_message("# %s", req);
	cl_say(srv, c, req);
	cl_expect(srv, c, want);
}

/*
 * Server behaviour
 */

static void
test_greeting_builtins(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);
	char want[128];
	json_t *v;
	char *r;

	ask(f->srv, c, "ping\n", "0000 ok\n");
	ask(f->srv, c, "-j ping\n", "0000-{}\n0000 ok\n");
	cl_say(f->srv, c, "version\n");
	r = cl_reply(f->srv, c);
	snprintf(want, sizeof(want), ", control protocol %d\n0000 ok\n", CTL_PROTO_VERSION);
	assert_memory_equal(r, "0000-dpf ", 9);
	assert_non_null(strstr(r, want));
	free(r);
	cl_say(f->srv, c, "-j version\n");
	r = cl_reply(f->srv, c);
	v = json_loads(r + 5, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_object_get(v, "protocol")), CTL_PROTO_VERSION);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "dpf");
	json_decref(v);
	free(r);
	cl_close(c);
}

static void
test_help(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);
	const char *expect[] = { "0000-big  ", "0000-echo [WORD...]  print the words\n",
				 "0000-help [WORD...]  ", "0000-ping  ",
				 "0000-set NAME VALUE  change something\n",
				 "0000-show interfaces detail NAME\n", "0000-version  " };
	const char *prev = NULL;
	size_t i, nlines = 0;
	json_t *v, *e;
	char *r;

	cl_say(f->srv, c, "help\n");
	r = cl_reply(f->srv, c);
	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		const char *p = strstr(r, expect[i]);

		print_message("# %s\n", expect[i]);
		assert_non_null(p);
		/* Sorted by command words. */
		assert_true(prev == NULL || p > prev);
		prev = p;
	}
	for (const char *p = r; (p = strchr(p, '\n')) != NULL; p++)
		nlines++;
	assert_int_equal(nlines, ARRAY_SIZE(test_cmds) + ARRAY_SIZE(show_cmds) + 3 + 1);
	assert_non_null(strstr(r, "\n0000 ok\n"));
	free(r);

	ask(f->srv, c, "help show interfaces\n",
	    "0000-show interfaces\n0000-show interfaces detail NAME\n0000 ok\n");
	ask(f->srv, c, "help nothing\n", "8001 no command starts with those words\n");

	cl_say(f->srv, c, "-j help\n");
	r = cl_reply(f->srv, c);
	assert_memory_equal(r, "0000-[", 6);
	v = json_loads(r + 5, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(v);
	assert_int_equal(json_array_size(v), ARRAY_SIZE(test_cmds) + ARRAY_SIZE(show_cmds) + 3);
	json_array_foreach(v, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "command")), "set") != 0)
			continue;
		assert_string_equal(json_string_value(json_object_get(e, "args")), "NAME VALUE");
		assert_true(json_is_false(json_object_get(e, "readonly")));
		break;
	}
	assert_true(i < json_array_size(v));
	json_decref(v);
	free(r);
	cl_close(c);
}

static void
test_lookup(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);

	ask(f->srv, c, "shwo\n", "9002 unknown command \"shwo\"\n");
	ask(f->srv, c, "shwo interfaces\n", "9002 unknown command \"shwo\"\n");
	ask(f->srv, c, "show\n",
	    "9002-commands starting with \"show\":\n9002-  show info\n9002-  show interfaces\n"
	    "9002-  show interfaces detail\n9002 incomplete command \"show\"\n");
	ask(f->srv, c, "show foo bar\n",
	    "9002-commands starting with \"show\":\n9002-  show info\n9002-  show interfaces\n"
	    "9002-  show interfaces detail\n9002 unknown command \"show foo\"\n");
	/* Longest match wins; the rest are the handler's arguments. */
	ask(f->srv, c, "show info\n", "0000-show info\n0000 ok\n");
	ask(f->srv, c, "show info a \"b c\"\n", "0000-show info [a] [b c]\n0000 ok\n");
	ask(f->srv, c, "show interfaces\n", "0000-show interfaces\n0000 ok\n");
	ask(f->srv, c, "show  interfaces\tdetail x\n",
	    "0000-show interfaces detail [x]\n0000 ok\n");
	ask(f->srv, c, "show interfaces x\n",
	    "9005-usage: show interfaces\n9005 \"show interfaces\" takes no arguments\n");
	ask(f->srv, c, "\"show info\"\n", "9002 unknown command \"\"show info\"\"\n");
	cl_close(c);
}

static void
test_text_json(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);

	ask(f->srv, c, "text\n", "0000-a\n0000-b\n0000-\n0000-c\n0000 ok\n");
	ask(f->srv, c, "-j text\n", "0000-{\"text\":[\"a\",\"b\",\"\",\"c\"]}\n0000 ok\n");
	ask(f->srv, c, "-j json\n", "0000-{\"k\":[1,2],\"s\":\"x\\ny\"}\n0000 ok\n");
	ask(f->srv, c, "json\n",
	    "0000-{\n0000-  \"k\": [\n0000-    1,\n0000-    2\n0000-  ],\n"
	    "0000-  \"s\": \"x\\ny\"\n0000-}\n0000 ok\n");
	ask(f->srv, c, "echo \"a b\" \xc3\xa9\n", "0000-a b\n0000-\xc3\xa9\n0000 ok\n");
	ask(f->srv, c, "-j echo \"a \\\"b\\\"\"\n", "0000-[\"a \\\"b\\\"\"]\n0000 ok\n");
	ask(f->srv, c, "echo\n", "0000 ok\n");
	cl_close(c);
}

static void
test_errors(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);
	static const char nul[] = "echo a\0b\n";

	ask(f->srv, c, "fail\n", "8001-detail 1\n8001-detail 2\n8001 no such thing\n");
	ask(f->srv, c, "-j fail\n", "8001-detail 1\n8001-detail 2\n8001 no such thing\n");
	ask(f->srv, c, "fail silently\n", "8002 command failed\n");
	ask(f->srv, c, "set x\n", "9005-usage: set NAME VALUE\n9005 expected 2 arguments, got 1\n");
	ask(f->srv, c, "set x y\n", "0000-x=y\n0000 ok\n");
	ask(f->srv, c, "ping now\n", "9005-usage: ping\n9005 \"ping\" takes no arguments\n");
	ask(f->srv, c, "echo \"open\n", "9001 unterminated quote\n");
	ask(f->srv, c, "echo \x1b[31m\n", "9001 control character in request\n");
	ask(f->srv, c, "echo \xff\n", "9001 invalid UTF-8 in request\n");
	ask(f->srv, c, "-p 7 ping\n", "9007 unsupported protocol version\n");
	ask(f->srv, c, "-q ping\n", "9001 unknown option\n");
	cl_send(f->srv, c, nul, sizeof(nul) - 1);
	cl_expect(f->srv, c, "9001 NUL byte in request\n");
	/* The connection survives every one of them. */
	ask(f->srv, c, "ping\n", "0000 ok\n");
	cl_close(c);
}

static void
test_readonly(void **state)
{
	struct fix *f = *state;
	struct ctl_server *ro;
	struct cl *c;
	char path[160];
	char *r;

	snprintf(path, sizeof(path), "%s/run/ro.sock", f->dir);
	ro = open_server(path, true);
	c = cl_open(ro, path);
	ask(ro, c, "ping\n", "0000 ok\n");
	ask(ro, c, "echo x\n", "0000-x\n0000 ok\n");
	ask(ro, c, "set a b\n",
	    "9004 permission denied: \"set\" is not allowed on the read-only socket\n");
	ask(ro, c, "fail silently\n",
	    "9004 permission denied: \"fail silently\" is not allowed on the read-only socket\n");
	/* Help and completions show only what this socket allows. */
	cl_say(ro, c, "help\n");
	r = cl_reply(ro, c);
	assert_null(strstr(r, "0000-set "));
	assert_non_null(strstr(r, "0000-echo "));
	free(r);
	ask(ro, c, "fail x\n",
	    "9005-usage: fail\n9005 \"fail\" takes no arguments\n");
	cl_close(c);
	ctl_server_close(ro);
}

static void
test_too_long(void **state)
{
	struct fix *f = *state;
	static char line[CTL_REQ_MAX + 100];
	struct cl *c = cl_open(f->srv, f->path);
	char *r;

	/* Exactly CTL_REQ_MAX bytes with the newline: served. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "echo ", 5);
	line[CTL_REQ_MAX - 1] = '\n';
	cl_send(f->srv, c, line, CTL_REQ_MAX);
	r = cl_reply(f->srv, c);
	assert_int_equal(strlen(r), 5 + CTL_REQ_MAX - 6 + 1 + 8);
	free(r);
	/* One byte more: 9003, then the server hangs up. */
	line[CTL_REQ_MAX - 1] = 'x';
	line[CTL_REQ_MAX] = '\n';
	cl_send(f->srv, c, line, CTL_REQ_MAX + 1);
	cl_expect(f->srv, c, "9003 request too long\n");
	assert_true(cl_closed(f->srv, c));
	cl_close(c);
	/* Others are unaffected. */
	c = cl_open(f->srv, f->path);
	ask(f->srv, c, "ping\n", "0000 ok\n");
	cl_close(c);
}

/* Polls srv for ms milliseconds. */
static void
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

/*
 * 32 clients, none idle (each has half a request in): the newest one holds
 * the reserved slot, which a new client takes once its holder has had it
 * 20 ms; a client coming sooner after that is refused (9006).
 */
static void
test_too_many_clients(void **state)
{
	struct fix *f = *state;
	struct cl *c[CTL_MAX_CLIENTS], *extra, *late;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		c[i] = cl_open(f->srv, f->path);
		cl_say(f->srv, c[i], "pi");
	}
	poll_for(f->srv, 30);
	/* Both wait in the backlog: one poll accepts them microseconds apart. */
	extra = cl_connect(f->path);
	late = cl_connect(f->path);
	cl_greeted(f->srv, extra);
	cl_expect(f->srv, late, "9006 too many clients\n");
	assert_true(cl_closed(f->srv, late));
	cl_close(late);
	ask(f->srv, extra, "ping\n", "0000 ok\n");
	/* The newest of the 32 gave its slot; the 31 older ones still work. */
	assert_true(cl_closed(f->srv, c[CTL_MAX_CLIENTS - 1]));
	cl_close(c[CTL_MAX_CLIENTS - 1]);
	for (int i = 0; i < CTL_MAX_CLIENTS - 1; i++)
		ask(f->srv, c[i], "ng\n", "0000 ok\n");
	/* A freed slot admits the next one. */
	cl_close(c[0]);
	c[0] = cl_open(f->srv, f->path);
	ask(f->srv, c[0], "ping\n", "0000 ok\n");
	for (int i = 0; i < CTL_MAX_CLIENTS - 1; i++)
		cl_close(c[i]);
	cl_close(extra);
}

static void
test_interleaved_partial_pipelined(void **state)
{
	struct fix *f = *state;
	struct cl *a = cl_open(f->srv, f->path), *b = cl_open(f->srv, f->path);
	int answered = 0;

	/* A request split across writes is answered once, when complete. */
	cl_say(f->srv, a, "ec");
	for (int i = 0; i < 10; i++)
		assert_int_equal(ctl_server_poll(f->srv), 0);
	assert_true(cl_recv(a) < 0 && errno == EAGAIN);
	cl_say(f->srv, a, "ho hel");
	/* Meanwhile b is served. */
	ask(f->srv, b, "echo b\n", "0000-b\n0000 ok\n");
	cl_say(f->srv, a, "lo\n");
	cl_expect(f->srv, a, "0000-hello\n0000 ok\n");

	/* Pipelined requests in one write: answered in order, each once. */
	cl_say(f->srv, a, "echo 1\n\nping\r\n-j echo 2\nshwo\necho 3\n");
	cl_say(f->srv, b, "echo x\necho y\n");
	for (int i = 0; i < 100; i++)
		answered += ctl_server_poll(f->srv);
	assert_int_equal(answered, 7);
	cl_expect(f->srv, a, "0000-1\n0000 ok\n");
	cl_expect(f->srv, a, "0000 ok\n");
	cl_expect(f->srv, a, "0000-[\"2\"]\n0000 ok\n");
	cl_expect(f->srv, a, "9002 unknown command \"shwo\"\n");
	cl_expect(f->srv, a, "0000-3\n0000 ok\n");
	cl_expect(f->srv, b, "0000-x\n0000 ok\n");
	cl_expect(f->srv, b, "0000-y\n0000 ok\n");

	/* After shutdown(SHUT_WR), a last request without newline is answered. */
	cl_say(f->srv, a, "echo last");
	shutdown(a->fd, SHUT_WR);
	cl_expect(f->srv, a, "0000-last\n0000 ok\n");
	assert_true(cl_closed(f->srv, a));
	ask(f->srv, b, "ping\n", "0000 ok\n");
	cl_close(a);
	cl_close(b);
}

/*
 * A client that pipelines requests and never reads: the server stops
 * serving it, then reading it, and its writes block; another client is
 * served meanwhile.  When it reads at last, every reply is there in order.
 */
static void
test_burst_does_not_stall(void **state)
{
	enum { N = 200000 };
	struct fix *f = *state;
	struct cl *a = cl_open(f->srv, f->path), *b;
	char *burst = malloc(N * 5);
	size_t sent = 0, oks = 0, answered = 0;
	int small = 16384, idle = 0;

	assert_non_null(burst);
	/* A small send buffer gets there sooner; it gets there anyway. */
	assert_int_equal(setsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	for (int i = 0; i < N; i++)
		memcpy(burst + 5 * i, "ping\n", 5);
	/*
	 * Until a steady state: a cannot send, the server answers nothing.
	 * Well before all N are answered, or the server would be buffering
	 * replies without bound.
	 */
	for (int i = 0; i < SPIN && idle < 1000; i++) {
		ssize_t k = send(a->fd, burst + sent, N * 5 - sent, MSG_DONTWAIT);
		int rc = ctl_server_poll(f->srv);

		if (k > 0)
			sent += (size_t)k;
		else
			assert_true(k < 0 && errno == EAGAIN);
		assert_true(rc >= 0);
		answered += (size_t)rc;
		idle = k < 0 && rc == 0 ? idle + 1 : 0;
	}
	assert_int_equal(idle, 1000);
	assert_true(answered < N / 10);
	assert_true(sent < N * 5);
	/* The server is stuck on a, a is stuck on the server; b is not. */
	b = cl_open(f->srv, f->path);
	ask(f->srv, b, "echo b\n", "0000-b\n0000 ok\n");

	for (int i = 0; i < 20 * SPIN && oks < N; i++) {
		if (sent < N * 5) {
			ssize_t k = send(a->fd, burst + sent, N * 5 - sent, MSG_DONTWAIT);

			if (k > 0)
				sent += (size_t)k;
		}
		assert_true(ctl_server_poll(f->srv) >= 0);
		while (cl_recv(a) > 0)
			;
		for (size_t n; (n = cl_complete(a)) > 0;) {
			assert_int_equal(n, 8);
			assert_memory_equal(a->buf, "0000 ok\n", 8);
			memmove(a->buf, a->buf + n, a->len - n);
			a->len -= n;
			a->scan = 0;
			oks++;
		}
	}
	assert_int_equal(oks, N);
	assert_int_equal(a->len, 0);
	ask(f->srv, a, "echo a\n", "0000-a\n0000 ok\n");
	free(burst);
	cl_close(a);
	cl_close(b);
}

/* A reply over CTL_REPLY_MAX: text is cut at a line, JSON is dropped. */
static void
test_reply_too_large(void **state)
{
	struct fix *f = *state;
	struct cl *c = cl_open(f->srv, f->path);
	static const char end[] = "8002 reply too large (limit 16777216 bytes)\n";
	size_t len, lines = 0;
	char *r;

	assert_int_equal(CTL_REPLY_MAX, 16777216);
	cl_say(f->srv, c, "big\n");
	r = cl_reply(f->srv, c);
	len = strlen(r);
	assert_true(len <= CTL_REPLY_MAX);
	assert_true(len > CTL_REPLY_MAX - 8192);
	assert_string_equal(r + len - strlen(end), end);
	for (char *p = r; p < r + len - strlen(end); p = strchr(p, '\n') + 1) {
		assert_memory_equal(p, "0000-", 5);
		assert_int_equal(strchr(p, '\n') - p, 5 + 1023);
		lines++;
	}
	assert_true(lines > 16000 && lines < 17 * 1024);
	free(r);
	cl_say(f->srv, c, "big lines\n");
	r = cl_reply(f->srv, c);
	len = strlen(r);
	assert_int_equal(len, 5 + (9u << 20) + 1 + strlen(end));
	assert_memory_equal(r, "0000-yyy", 8);
	assert_memory_equal(r + len - strlen(end) - 2, "y\n", 2);
	free(r);
	ask(f->srv, c, "-j big\n", end);
	ask(f->srv, c, "ping\n", "0000 ok\n");
	cl_close(c);
}

/*
 * Opening and closing
 */

static void
test_register(void **state)
{
	static const struct ctl_cmd bad[] = {
		{ "", "", "", cmd_echo, 0 },
		{ "two  spaces", "", "", cmd_echo, 0 },
		{ " lead", "", "", cmd_echo, 0 },
		{ "trail ", "", "", cmd_echo, 0 },
		{ "-dash", "", "", cmd_echo, 0 },
		{ "quo\"te", "", "", cmd_echo, 0 },
		{ "tab\tword", "", "", cmd_echo, 0 },
		{ "no fn", "", "", NULL, 0 },
		{ NULL, "", "", cmd_echo, 0 },
	};
	static const struct ctl_cmd dup[] = {
		{ "x y", "", "", cmd_echo, 0 },
		{ "x y", "", "", cmd_echo, 0 },
	};
	static const struct ctl_cmd good[] = {
		{ "x y", NULL, NULL, cmd_name, 0 },
		{ "echo", "", "", cmd_echo, 0 },
	};
	struct fix *f = *state;
	struct cl *c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(ctl_register(f->srv, &bad[i], 1, NULL), -EINVAL);
	assert_int_equal(ctl_register(f->srv, dup, 2, NULL), -EEXIST);
	/* All or nothing: "x y" went in with neither the dup nor this table. */
	assert_int_equal(ctl_register(f->srv, good, 2, "x y"), -EEXIST);
	assert_int_equal(ctl_register(f->srv, good, 1, "x y"), 0);
	assert_int_equal(ctl_register(f->srv, good, 1, "x y"), -EEXIST);
	c = cl_open(f->srv, f->path);
	ask(f->srv, c, "x y\n", "0000-x y\n0000 ok\n");
	ask(f->srv, c, "x\n", "9002-commands starting with \"x\":\n9002-  x y\n"
			      "9002 incomplete command \"x\"\n");
	cl_close(c);
}

static void
test_socket_files(void **state)
{
	struct fix *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *srv2;
	char path[160], err[256], longpath[200];
	struct stat st;
	struct cl *c;
	int fd;

	/* A live server's socket is not stolen. */
	err[0] = '\0';
	assert_null(ctl_server_open(f->path, 0660, NULL, NULL, false, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	c = cl_open(f->srv, f->path);
	ask(f->srv, c, "ping\n", "0000 ok\n");
	cl_close(c);

	/* A stale one (nobody listening) is replaced. */
	snprintf(path, sizeof(path), "%s/run/other.sock", f->dir);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	srv2 = open_server(path, false);
	c = cl_open(srv2, path);
	ask(srv2, c, "ping\n", "0000 ok\n");
	cl_close(c);

	/* Closing removes the socket file, but only its own. */
	ctl_server_close(srv2);
	assert_true(lstat(path, &st) != 0 && errno == ENOENT);
	srv2 = open_server(path, false);
	assert_int_equal(unlink(path), 0);
	ctl_server_close(f->srv);
	f->srv = open_server(path, false);	/* a successor at the same path */
	ctl_server_close(srv2);
	assert_int_equal(lstat(path, &st), 0);
	c = cl_open(f->srv, path);
	ask(f->srv, c, "ping\n", "0000 ok\n");
	cl_close(c);

	/* A file that is not a socket is left alone. */
	snprintf(path, sizeof(path), "%s/run/file", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	err[0] = '\0';
	assert_null(ctl_server_open(path, 0660, NULL, NULL, false, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* Missing grandparent, path too long. */
	snprintf(path, sizeof(path), "%s/no/such/dir/s.sock", f->dir);
	assert_null(ctl_server_open(path, 0660, NULL, NULL, false, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot create directory"));
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(ctl_server_open(longpath, 0660, NULL, NULL, false, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid socket path"));
	assert_null(ctl_server_open("", 0660, NULL, NULL, false, err, sizeof(err)));
}

static void
test_mode_group(void **state)
{
	struct fix *f = *state;
	struct group *gr = getgrgid(getegid());
	struct ctl_server *srv;
	char path[200], dir[160], err[256];
	struct stat st;
	struct cl *c;

	assert_non_null(gr);
	snprintf(dir, sizeof(dir), "%s/a", f->dir);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	srv = ctl_server_open(path, 0660, NULL, gr->gr_name, false, err, sizeof(err));
	if (srv == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_gid, getegid());
	c = cl_open(srv, path);
	ask(srv, c, "ping\n", "0000 ok\n");
	cl_close(c);
	ctl_server_close(srv);

	/* Another mode, an existing directory with its own mode kept. */
	snprintf(dir, sizeof(dir), "%s/b", f->dir);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	srv = ctl_server_open(path, 0600, NULL, NULL, true, err, sizeof(err));
	if (srv == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	ctl_server_close(srv);

	err[0] = '\0';
	assert_null(ctl_server_open(path, 0660, NULL, "dpf-no-such-group-x", false, err,
				    sizeof(err)));
	assert_non_null(strstr(err, "unknown group \"dpf-no-such-group-x\""));
	assert_true(lstat(path, &st) != 0);
}

/*
 * Each socket has its own owner, group and mode: an admin socket 0600 of
 * root beside a read-only one 0660 of another user and group, so that
 * monitoring users reach only the read-only one.  Changing the owner needs
 * root; without it only the errors are checked.
 */
static void
test_owner(void **state)
{
	struct fix *f = *state;
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");
	struct ctl_server *adm, *ro;
	char apath[200], rpath[200], err[256];
	struct stat st;

	snprintf(apath, sizeof(apath), "%s/adm/a.sock", f->dir);
	snprintf(rpath, sizeof(rpath), "%s/ro/r.sock", f->dir);
	err[0] = '\0';
	assert_null(ctl_server_open(apath, 0600, "dpf-no-such-user-x", NULL, false, err,
				    sizeof(err)));
	assert_non_null(strstr(err, "unknown user \"dpf-no-such-user-x\""));
	if (geteuid() != 0 || pw == NULL || gr == NULL) {
		skip();
		return;
	}
	adm = ctl_server_open(apath, 0600, "root", NULL, false, err, sizeof(err));
	if (adm == NULL)
		fail_msg("open: %s", err);
	ro = ctl_server_open(rpath, 0660, "nobody", "nogroup", true, err, sizeof(err));
	if (ro == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(lstat(apath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(lstat(rpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_uid, pw->pw_uid);
	assert_int_equal(st.st_gid, gr->gr_gid);
	/* The read-only socket's directory is in its own group. */
	snprintf(rpath, sizeof(rpath), "%s/ro", f->dir);
	assert_int_equal(stat(rpath, &st), 0);
	assert_int_equal(st.st_gid, gr->gr_gid);
	ctl_server_close(ro);
	ctl_server_close(adm);
}

/*
 * Abuse (the hardening issue): 32 connections that only sit there locked
 * everyone else out (9006) for good, and clients that never read held a
 * full reply each without end (31 x `show states -vv`: 540 MB).
 */

/* All slots held by idle clients: a new one takes the slot of the idlest. */
static void
test_idle_evicted(void **state)
{
	struct fix *f = *state;
	struct cl *c[CTL_MAX_CLIENTS], *extra;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c[i] = cl_open(f->srv, f->path);
	/* The others are not idle: they just spoke. */
	poll_for(f->srv, 600);
	for (int i = 1; i < CTL_MAX_CLIENTS; i++)
		ask(f->srv, c[i], "ping\n", "0000 ok\n");
	extra = cl_open(f->srv, f->path);
	ask(f->srv, extra, "ping\n", "0000 ok\n");
	assert_true(cl_closed(f->srv, c[0]));
	for (int i = 1; i < CTL_MAX_CLIENTS; i++)
		ask(f->srv, c[i], "ping\n", "0000 ok\n");
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		cl_close(c[i]);
	cl_close(extra);
}

/*
 * Idle clients (a partial request included) are dropped after the idle
 * timeout, clients that do not read after the stall timeout; a client that
 * keeps talking and reading stays.
 */
static void
test_idle_stall_timeouts(void **state)
{
	struct fix *f = *state;
	struct cl *idle, *partial, *stalled, *busy;
	int small = 4096;

	ctl_server_timeouts(f->srv, 300, 300);
	idle = cl_open(f->srv, f->path);
	partial = cl_open(f->srv, f->path);
	stalled = cl_open(f->srv, f->path);
	busy = cl_open(f->srv, f->path);
	assert_int_equal(setsockopt(stalled->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
			 0);
	cl_say(f->srv, partial, "ech");
	cl_say(f->srv, stalled, "big\n");
	for (int i = 0; i < 5; i++) {
		poll_for(f->srv, 100);
		ask(f->srv, busy, "ping\n", "0000 ok\n");
	}
	assert_true(cl_closed(f->srv, idle));
	assert_true(cl_closed(f->srv, partial));
	/* The stalled one got part of its reply, then the connection closed. */
	assert_true(cl_closed(f->srv, stalled));
	ask(f->srv, busy, "ping\n", "0000 ok\n");
	cl_close(idle);
	cl_close(partial);
	cl_close(stalled);
	cl_close(busy);
}

/*
 * Large replies that nobody reads stop at CTL_OUT_BUDGET in all: the next
 * large one is `8003 busy`, while small replies still go.
 */
static void
test_out_budget(void **state)
{
	struct fix *f = *state;
	enum { READERS = 2, HOARDERS = CTL_OUT_BUDGET / CTL_REPLY_MAX };
	struct cl *h[HOARDERS], *r[READERS], *normal;
	int small = 4096;

	for (int i = 0; i < HOARDERS; i++) {
		h[i] = cl_open(f->srv, f->path);
		assert_int_equal(setsockopt(h[i]->fd, SOL_SOCKET, SO_RCVBUF, &small,
					    sizeof(small)), 0);
		cl_say(f->srv, h[i], "big\n");
		poll_for(f->srv, 20);
	}
	for (int i = 0; i < READERS; i++) {
		char *reply;

		r[i] = cl_open(f->srv, f->path);
		cl_say(f->srv, r[i], "big\n");
		reply = cl_reply(f->srv, r[i]);
		assert_memory_equal(reply, "8003 busy: ", 11);
		assert_non_null(strstr(reply, "do not read them"));
		free(reply);
	}
	normal = cl_open(f->srv, f->path);
	ask(f->srv, normal, "echo hi\n", "0000-hi\n0000 ok\n");
	for (int i = 0; i < HOARDERS; i++)
		cl_close(h[i]);
	for (int i = 0; i < READERS; i++)
		cl_close(r[i]);
	cl_close(normal);
}

/* A server without a path serves connections handed to it. */
static void
test_adopt(void **state)
{
	struct ctl_server *srv;
	struct cl c[CTL_MAX_CLIENTS + 1];
	char err[128];
	int sv[2];

	(void)state;
	srv = ctl_server_open(NULL, 0, NULL, NULL, false, err, sizeof(err));
	assert_non_null(srv);
	memset(c, 0, sizeof(c));
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		c[i].fd = sv[0];
		/* An empty line waiting: not idle, so none is evicted for the 33rd. */
		assert_int_equal(write(sv[0], "\n", 1), 1);
		assert_int_equal(ctl_server_adopt_fd(srv, sv[1]),
				 i < CTL_MAX_CLIENTS ? 0 : -EBUSY);
	}
	cl_expect(srv, &c[CTL_MAX_CLIENTS], "9006 too many clients\n");
	assert_true(cl_closed(srv, &c[CTL_MAX_CLIENTS]));
	cl_greeted(srv, &c[0]);
	ask(srv, &c[0], "ping\n", "0000 ok\n");
	ask(srv, &c[0], "version x\n",
	    "9005-usage: version\n9005 \"version\" takes no arguments\n");
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++) {
		close(c[i].fd);
		free(c[i].buf);
	}
	/* The server notices every hang-up. */
	for (int i = 0; i < 10; i++)
		assert_true(ctl_server_poll(srv) >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(ctl_server_adopt_fd(srv, sv[1]), 0);
	close(sv[0]);
	ctl_server_close(srv);
}

/*
 * Deferred replies: "later" prints a line, defers, and leaves the handle
 * in later_p for the test to finish, as a module finishes it from the
 * control loop once the workers have answered.
 */
static struct ctl_pending *later_p;

static int
cmd_later(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	if (!ctl_out_json(out))
		ctl_printf(out, "before\n");
	later_p = ctl_defer(out);
	assert_non_null(later_p);
	assert_ptr_equal(ctl_defer(out), later_p);
	return 0;
}

static const struct ctl_cmd later_cmds[] = {
	{ "later", "", "answer later", cmd_later, CTL_F_READONLY },
};

/* Polls the server a while; true if c got nothing at all. */
static bool
cl_silent(struct ctl_server *srv, struct cl *c)
{
	for (int i = 0; i < 200; i++) {
		assert_true(ctl_server_poll(srv) >= 0);
		if (cl_recv(c) >= 0)
			return false;
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;
}

/* "later" on c; returns once the server has deferred it. */
static struct ctl_pending *
later(struct ctl_server *srv, struct cl *c, const char *req)
{
	later_p = NULL;
	cl_say(srv, c, req);
	for (int i = 0; i < SPIN && later_p == NULL; i++)
		assert_true(ctl_server_poll(srv) >= 0);
	assert_non_null(later_p);
	return later_p;
}

static void
test_deferred(void **state)
{
	struct fix *f = *state;
	struct cl *a, *b;
	struct ctl_pending *p;
	int sv[2];

	assert_int_equal(ctl_register(f->srv, later_cmds, 1, NULL), 0);
	a = cl_open(f->srv, f->path);
	b = cl_open(f->srv, f->path);

	/* Nothing until finished; a's next request waits, b is served. */
	p = later(f->srv, a, "later\necho x\n");
	assert_true(cl_silent(f->srv, a));
	ask(f->srv, b, "echo b\n", "0000-b\n0000 ok\n");
	assert_false(ctl_pending_gone(p));
	ctl_printf(ctl_pending_out(p), "after\n");
	ctl_pending_finish(p);
	cl_expect(f->srv, a, "0000-before\n0000-after\n0000 ok\n");
	cl_expect(f->srv, a, "0000-x\n0000 ok\n");

	/* JSON and errors are written as a handler writes them. */
	p = later(f->srv, a, "-j later\n");
	ctl_json(ctl_pending_out(p), json_pack("{si}", "killed", 3));
	ctl_pending_finish(p);
	cl_expect(f->srv, a, "0000-{\"killed\":3}\n0000 ok\n");
	p = later(f->srv, a, "later\n");
	ctl_error(ctl_pending_out(p), CTL_NOT_FOUND, "gone");
	ctl_pending_finish(p);
	cl_expect(f->srv, a, "8001 gone\n");

	/* A client that only shut down its sending side still gets the reply,
	 * then the server closes. */
	p = later(f->srv, a, "later\n");
	assert_int_equal(shutdown(a->fd, SHUT_WR), 0);
	assert_true(cl_silent(f->srv, a));
	assert_false(ctl_pending_gone(p));
	ctl_pending_finish(p);
	cl_expect(f->srv, a, "0000-before\n0000 ok\n");
	assert_true(cl_closed(f->srv, a));
	cl_close(a);

	/* A client that hangs up is dropped; finishing then only frees. */
	p = later(f->srv, b, "later\n");
	cl_close(b);
	for (int i = 0; i < 10; i++)
		assert_true(ctl_server_poll(f->srv) >= 0);
	assert_true(ctl_pending_gone(p));
	ctl_printf(ctl_pending_out(p), "nobody reads this\n");
	ctl_pending_finish(p);
	ask(f->srv, a = cl_open(f->srv, f->path), "ping\n", "0000 ok\n");
	cl_close(a);

	/* So does a server closed while a reply is deferred. */
	{
		struct ctl_server *srv;
		struct cl c = { 0 };
		char err[128];

		srv = ctl_server_open(NULL, 0, NULL, NULL, false, err, sizeof(err));
		assert_non_null(srv);
		assert_int_equal(ctl_register(srv, later_cmds, 1, NULL), 0);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		c.fd = sv[0];
		assert_int_equal(ctl_server_adopt_fd(srv, sv[1]), 0);
		cl_greeted(srv, &c);
		p = later(srv, &c, "later\n");
		ctl_server_close(srv);
		assert_true(ctl_pending_gone(p));
		ctl_pending_finish(p);
		close(c.fd);
		free(c.buf);
	}
}

static void
test_code_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_code_name(CTL_OK), "ok");
	assert_string_equal(ctl_code_name(CTL_TOO_LONG), "request too long");
	assert_string_equal(ctl_code_name(CTL_VERSION), "unsupported protocol version");
	assert_string_equal(ctl_code_name((enum ctl_code)1234), "unknown code");
}

#define FIX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fix_setup, fix_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_code_names),
		FIX_TEST(test_greeting_builtins),
		FIX_TEST(test_help),
		FIX_TEST(test_lookup),
		FIX_TEST(test_text_json),
		FIX_TEST(test_errors),
		FIX_TEST(test_readonly),
		FIX_TEST(test_too_long),
		FIX_TEST(test_too_many_clients),
		FIX_TEST(test_interleaved_partial_pipelined),
		FIX_TEST(test_burst_does_not_stall),
		FIX_TEST(test_reply_too_large),
		FIX_TEST(test_register),
		FIX_TEST(test_socket_files),
		FIX_TEST(test_mode_group),
		FIX_TEST(test_owner),
		FIX_TEST(test_idle_evicted),
		FIX_TEST(test_idle_stall_timeouts),
		FIX_TEST(test_out_budget),
		FIX_TEST(test_deferred),
		cmocka_unit_test(test_adopt),
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
