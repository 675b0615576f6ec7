/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: a small control server for test_dpfctl.sh.
 *
 *   ctl_echo_server SOCKET [RO_SOCKET]
 *	serves a few test commands (see cmds[]) on SOCKET, and read-only on
 *	RO_SOCKET, until SIGTERM or SIGINT or 120 s.
 *   ctl_echo_server --raw SOCKET LINE
 *	a fake server: accepts connections one at a time and sends LINE and a
 *	newline (nothing if LINE is empty), then waits for the peer to close.
 *
 * Either way it prints "ready" on stdout once clients can connect.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl/ctl.h"

#define ECHO_LIFETIME_S 120

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cmd_echo(struct ctl_out *out, int argc, char **argv, void *arg)
{
	json_t *a = NULL;

	(void)arg;
	if (ctl_out_json(out))
		a = json_array();
	for (int i = 0; i < argc; i++) {
		if (a != NULL)
			json_array_append_new(a, json_string(argv[i]));
		else
			ctl_printf(out, "%s\n", argv[i]);
	}
	if (ctl_out_json(out))
		ctl_json(out, a);
	return 0;
}

static int
cmd_fail(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_printf(out, "this text is dropped\n");
	ctl_error(out, CTL_NOT_FOUND, "nothing to find\nfirst detail\nsecond detail");
	return -1;
}

static int
cmd_add(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)arg;
	if (argc != 2) {
		ctl_error(out, CTL_BAD_ARG, "expected NAME and VALUE");
		return -1;
	}
	ctl_printf(out, "added %s=%s\n", argv[0], argv[1]);
	return 0;
}

/* Text only: with -j the server wraps it as {"text": [lines]}. */
static int
cmd_lines(struct ctl_out *out, int argc, char **argv, void *arg)
{
	long n = argc == 1 ? strtol(argv[0], NULL, 10) : -1;

	(void)arg;
	if (n < 0) {
		ctl_error(out, CTL_BAD_ARG, "invalid count");
		return -1;
	}
	for (long i = 1; i <= n; i++)
		ctl_printf(out, "line %ld\n", i);
	return 0;
}

/* JSON only: in text mode the server prints the JSON indented. */
static int
cmd_show_info(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_json(out, json_pack("{sssi}", "name", "echo", "answer", 42));
	return 0;
}

static const struct ctl_cmd cmds[] = {
	{ "echo", "[WORD...]", "print the words, one per line", cmd_echo, CTL_F_READONLY },
	{ "fail", "", "always fail with 8001", cmd_fail, CTL_F_READONLY },
	{ "add", "NAME VALUE", "pretend to change something", cmd_add, 0 },
	{ "lines", "N", "print N numbered lines", cmd_lines, CTL_F_READONLY },
	{ "show info", "", "a JSON-only command", cmd_show_info, CTL_F_READONLY },
};

static int
raw_server(const char *path, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	time_t end = time(NULL) + ECHO_LIFETIME_S;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		fprintf(stderr, "raw server %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop && time(NULL) < end) {
		int c = accept(fd, NULL, NULL);
		char buf[256];

		if (c < 0)
			continue;
		if (line[0] != '\0') {
			(void)send(c, line, strlen(line), MSG_NOSIGNAL);
			(void)send(c, "\n", 1, MSG_NOSIGNAL);
		}
		while (!stop && recv(c, buf, sizeof(buf), 0) > 0)
			;
		close(c);
	}
	close(fd);
	unlink(path);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl_server *srv[2] = { NULL, NULL };
	struct timespec ms = { 0, 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_signal };
	char err[256];
	time_t end;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc == 4 && strcmp(argv[1], "--raw") == 0)
		return raw_server(argv[2], argv[3]);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ctl_echo_server SOCKET [RO_SOCKET] | --raw SOCKET LINE\n");
		return 2;
	}
	for (int i = 0; i + 1 < argc; i++) {
		srv[i] = ctl_server_open(argv[i + 1], 0660, NULL, NULL, i == 1, err, sizeof(err));
		if (srv[i] == NULL) {
			fprintf(stderr, "ctl_echo_server: %s\n", err);
			return 1;
		}
		if (ctl_register(srv[i], cmds, sizeof(cmds) / sizeof(cmds[0]), NULL) != 0) {
			fprintf(stderr, "ctl_echo_server: cannot register commands\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + ECHO_LIFETIME_S;
	while (!stop && time(NULL) < end) {
		for (int i = 0; i < 2; i++)
			if (srv[i] != NULL && ctl_server_poll(srv[i]) < 0)
				stop = 1;
		nanosleep(&ms, NULL);
	}
	ctl_server_close(srv[0]);
	ctl_server_close(srv[1]);
	return 0;
}
