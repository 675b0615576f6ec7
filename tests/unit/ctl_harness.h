/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for control/ctl (ctl_harness.c): test commands, a server
 * fixture and non-blocking clients.  Every wait is a bounded number of
 * ctl_server_poll() rounds (SPIN) that fails the test when it runs out.
 */
#ifndef DPF_TESTS_UNIT_CTL_HARNESS_H
#define DPF_TESTS_UNIT_CTL_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control/ctl/ctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SPIN 200000		/* poll rounds before a test gives up */

/*
 * echo, set, text, json, fail, "fail silently", big, "big lines"; and
 * "show info", "show interfaces", "show interfaces detail", each printing
 * its own name (to see which one ran).
 */
extern const struct ctl_cmd test_cmds[];
extern const struct ctl_cmd show_cmds[];
extern const size_t n_test_cmds, n_show_cmds;
/* "echo": prints its arguments, a line each (JSON: an array). */
int cmd_echo(struct ctl_out *out, int argc, char **argv, void *arg);
/* Prints its own name (arg) and its arguments on one line. */
int cmd_name(struct ctl_out *out, int argc, char **argv, void *arg);

/* Fixture: a server on DIR/run/dpf.sock (run/ made by ctl_server_open). */
struct fix {
	char dir[64];
	char path[128];
	struct ctl_server *srv;
};

/* A server on path with the test commands; fails the test if it cannot. */
struct ctl_server *open_server(const char *path, bool readonly);
int fix_setup(void **state);
int fix_teardown(void **state);

/* A client: a non-blocking socket with a receive buffer. */
struct cl {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	size_t scan;		/* buf[0, scan) holds no final line; scan is a line start */
};

struct cl *cl_connect(const char *path);
void cl_close(struct cl *c);
/* One recv(); returns its result (-1 with errno). */
ssize_t cl_recv(struct cl *c);
/* Sends all of s, running the server while the socket is full. */
void cl_send(struct ctl_server *srv, struct cl *c, const char *s, size_t n);
void cl_say(struct ctl_server *srv, struct cl *c, const char *s);
/* Length of the first complete reply in c->buf, 0 if none yet. */
size_t cl_complete(struct cl *c);
/* The next reply, all its lines; NUL-terminated, to free(). */
char *cl_reply(struct ctl_server *srv, struct cl *c);
void cl_expect(struct ctl_server *srv, struct cl *c, const char *want);
/* Reads the greeting and checks it. */
void cl_greeted(struct ctl_server *srv, struct cl *c);
/* Connects and reads the greeting. */
struct cl *cl_open(struct ctl_server *srv, const char *path);
/* True once the server has closed the connection (EOF or reset). */
bool cl_closed(struct ctl_server *srv, struct cl *c);
/* A request and its whole expected reply. */
void ask(struct ctl_server *srv, struct cl *c, const char *req, const char *want);
/* Polls srv for ms milliseconds. */
void poll_for(struct ctl_server *srv, unsigned int ms);

#define FIX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fix_setup, fix_teardown)

#endif /* DPF_TESTS_UNIT_CTL_HARNESS_H */
