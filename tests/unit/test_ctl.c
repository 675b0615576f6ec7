/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/ctl: the request tokenizer and formatter as tables,
 * then real servers on sockets in a temporary directory driven by real
 * client sockets in this process (ctl_harness.c).  The tests call
 * ctl_server_poll() in bounded loops while the clients read and write
 * without blocking, so a server that stalls or loses a reply fails a test
 * instead of hanging it.
 *
 * This file: requests, replies and their limits.  test_ctl_sock.c: the
 * socket files, their modes and owners, idle and slow clients, adopted
 * sockets, deferred replies.
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
#include "tests/unit/ctl_harness.h"

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
	assert_int_equal(nlines, n_test_cmds + n_show_cmds + 3 + 1);
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
	assert_int_equal(json_array_size(v), n_test_cmds + n_show_cmds + 3);
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
test_code_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_code_name(CTL_OK), "ok");
	assert_string_equal(ctl_code_name(CTL_TOO_LONG), "request too long");
	assert_string_equal(ctl_code_name(CTL_VERSION), "unsupported protocol version");
	assert_string_equal(ctl_code_name((enum ctl_code)1234), "unknown code");
}

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
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
