/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for control/ctl, second part (the first: test_ctl.c): the
 * socket files, their modes and owners, idle and slow clients, sockets a
 * server adopts, and deferred replies, with the servers and clients of
 * ctl_harness.c.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIX_TEST(test_socket_files),
		FIX_TEST(test_mode_group),
		FIX_TEST(test_owner),
		FIX_TEST(test_idle_evicted),
		FIX_TEST(test_idle_stall_timeouts),
		FIX_TEST(test_out_budget),
		FIX_TEST(test_deferred),
		cmocka_unit_test(test_adopt),
	};

	return cmocka_run_group_tests_name("ctl_sock", tests, NULL, NULL);
}
