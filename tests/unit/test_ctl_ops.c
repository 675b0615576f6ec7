/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control/ctl/ctl_ops.h: ctl_exec_json() (a read-only command run
 * in-process, for show metrics and telemetry) and the audit line with the
 * peer's credentials (SO_PEERCRED on a real socketpair).
 */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/ctl/ctl_ops.h"

static int ran_set;

static int
cmd_obj(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)arg;
	ctl_json(out, json_pack("{sisi}", "argc", argc, "first", argc > 0 ? atoi(argv[0]) : -1));
	return 0;
}

static int
cmd_text(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_printf(out, "one\ntwo\n");
	return 0;
}

static int
cmd_fail(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_error(out, CTL_NOT_FOUND, "no such thing");
	return -1;
}

static int
cmd_set(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)out;
	(void)argc;
	(void)argv;
	(void)arg;
	ran_set++;
	return 0;
}

static int fini_ran;

static int
stream_step(struct ctl_out *out, void *ctx)
{
	(void)ctx;
	ctl_printf(out, "never\n");
	return 0;
}

static void
stream_fini(void *ctx)
{
	(void)ctx;
	fini_ran++;
}

static int
cmd_stream(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	return ctl_stream(out, stream_step, stream_fini, NULL);
}

static const struct ctl_cmd cmds[] = {
	{ "show obj", "[N]", "a JSON object", cmd_obj, CTL_F_READONLY },
	{ "show text", "", "text only", cmd_text, CTL_F_READONLY },
	{ "show fail", "", "fails", cmd_fail, CTL_F_READONLY },
	{ "set", "NAME VALUE", "changes", cmd_set, 0 },
	{ "show stream", "", "streamed", cmd_stream, CTL_F_READONLY },
};

static struct ctl_server *
server(void)
{
	char err[256];
	struct ctl_server *srv = ctl_server_open(NULL, 0600, NULL, NULL, false, err, sizeof(err));

	assert_non_null(srv);
	assert_int_equal(ctl_register(srv, cmds, 5, NULL), 0);
	return srv;
}

static enum ctl_code
exec(struct ctl_server *srv, const char *line, json_t **v, char *err, size_t errlen)
{
	char buf[256], *argv[CTL_MAX_ARGS];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *s = strtok(buf, " "); s != NULL; s = strtok(NULL, " "))
		argv[argc++] = s;
	return ctl_exec_json(srv, argc, argv, v, err, errlen);
}

static void
test_exec_json(void **state)
{
	struct ctl_server *srv = server();
	char err[256] = "";
	json_t *v;

	(void)state;
	assert_int_equal(exec(srv, "show obj 7", &v, err, sizeof(err)), CTL_OK);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_object_get(v, "argc")), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "first")), 7);
	json_decref(v);
	ctl_server_close(srv);
}

static void
test_exec_text(void **state)
{
	struct ctl_server *srv = server();
	char err[256] = "";
	json_t *v, *lines;

	(void)state;
	assert_int_equal(exec(srv, "show text", &v, err, sizeof(err)), CTL_OK);
	lines = json_object_get(v, "text");
	assert_true(json_is_array(lines));
	assert_int_equal(json_array_size(lines), 2);
	assert_string_equal(json_string_value(json_array_get(lines, 1)), "two");
	json_decref(v);
	ctl_server_close(srv);
}

static void
test_exec_refuses(void **state)
{
	struct ctl_server *srv = server();
	char err[256] = "";
	json_t *v = (json_t *)1;

	(void)state;
	ran_set = 0;
	assert_int_equal(exec(srv, "set a b", &v, err, sizeof(err)), CTL_DENIED);
	assert_null(v);
	assert_int_equal(ran_set, 0);
	assert_non_null(strstr(err, "not read-only"));
	assert_int_equal(exec(srv, "show nothing", &v, err, sizeof(err)), CTL_UNKNOWN);
	assert_null(v);
	assert_int_equal(exec(srv, "show fail", &v, err, sizeof(err)), CTL_NOT_FOUND);
	assert_string_equal(err, "no such thing");
	assert_int_equal(ctl_exec_json(srv, 0, NULL, &v, err, sizeof(err)), CTL_SYNTAX);
	/* A streamed reply is for a client that reads: refused, its cursor freed. */
	fini_ran = 0;
	assert_int_equal(exec(srv, "show stream", &v, err, sizeof(err)), CTL_FAILED);
	assert_null(v);
	assert_int_equal(fini_ran, 1);
	assert_non_null(strstr(err, "streams its reply"));
	ctl_server_close(srv);
}

static void
test_peer(void **state)
{
	struct ctl_peer p;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ctl_peer_get(sv[0], &p);
	assert_true(p.known);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.pid, getpid());
	ctl_peer_get(-1, &p);
	assert_false(p.known);
	close(sv[0]);
	close(sv[1]);
}

/* The audit line, as written to stderr (captured in a file). */
static void
audit_line(int fd, int argc, char **argv, char *line, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	ctl_audit(fd, argc, argv);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(line, 1, size - 1, tmp);
	line[n] = '\0';
	fclose(tmp);
}

static void
test_audit(void **state)
{
	char *argv[] = { "state", "kill", "host", "198.18.1.2" };
	char *quoted[] = { "set", "a b", "c" };
	char line[512], want[512];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	audit_line(sv[0], 4, argv, line, sizeof(line));
	snprintf(want, sizeof(want), "dpf[ctl] level=notice event=command uid=%u pid=%ld "
		 "cmd=\"state kill host 198.18.1.2\"\n",
		 (unsigned int)getuid(), (long)getpid());
#ifdef DPF_FUZZING
	want[0] = '\0';	/* fuzz builds write nothing */
#endif
	assert_string_equal(line, want);
	audit_line(-1, 3, quoted, line, sizeof(line));
#ifndef DPF_FUZZING
	/* The request line, quoted as a logfmt value: its own quotes escaped. */
	assert_string_equal(line, "dpf[ctl] level=notice event=command uid=- pid=- "
			    "cmd=\"set \\\"a b\\\" c\"\n");
#endif
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_json),
		cmocka_unit_test(test_exec_text),
		cmocka_unit_test(test_exec_refuses),
		cmocka_unit_test(test_peer),
		cmocka_unit_test(test_audit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
