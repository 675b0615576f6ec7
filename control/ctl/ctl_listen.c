/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the control socket's file: its directory, a stale socket left by a
 * crash, the listening socket with its mode, owner and group (moved out of
 * ctl.c, which passed 1,500 lines).  Nothing here logs: failures come back
 * as -errno with a message in err.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/ctl/ctl.h"
#include "control/ctl/ctl_priv.h"

int
ctl_fail(char *err, size_t errlen, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e != 0 ? -e : -EINVAL;
}

/*
 * Creates the socket's directory if missing: 0750, in the socket's group, so
 * that the group can reach the socket and nobody else can.  An existing
 * directory is the administrator's and left alone.
 */
static int
make_parent(const char *path, gid_t gid, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0) {
		if (errno == EEXIST)
			return 0;
		return ctl_fail(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
	}
	/* mkdir() applied the umask; and the group is ours to set. */
	if (chmod(dir, 0750) != 0 || (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0))
		return ctl_fail(err, errlen, "cannot set up directory %s: %s", dir, strerror(errno));
	return 0;
}

/*
 * Removes a socket file nobody listens on (left by a crash).  A live server
 * keeps its socket; a file that is not a socket is never removed.
 */
static int
remove_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	const char *path = sa->sun_path;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return ctl_fail(err, errlen, "cannot stat %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return ctl_fail(err, errlen, "%s exists and is not a socket", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_fail(err, errlen, "socket: %s", strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	/* EAGAIN: a live listener with a full backlog. */
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		errno = EADDRINUSE;
		return ctl_fail(err, errlen, "socket %s in use by a running server", path);
	}
	if (e == ENOENT)
		return 0;
	if (e != ECONNREFUSED) {
		errno = e;
		return ctl_fail(err, errlen, "cannot probe %s: %s", path, strerror(e));
	}
	if (unlink(path) != 0 && errno != ENOENT)
		return ctl_fail(err, errlen, "cannot remove stale socket %s: %s", path,
			    strerror(errno));
	return 0;
}

int
ctl_sock_listen(struct ctl_sock *k, const char *path, unsigned int mode, const char *owner,
		const char *group, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	uid_t uid = (uid_t)-1;
	struct stat st;
	mode_t old;
	int rc;

	memset(k, 0, sizeof(*k));
	k->k_fd = -1;
	errno = 0;
	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return ctl_fail(err, errlen, "invalid socket path \"%s\"", path);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			if (errno == 0)
				errno = ENOENT;
			return ctl_fail(err, errlen, "unknown group \"%s\"", group);
		}
		gid = gr->gr_gid;
	}
	if (owner != NULL) {
		struct passwd *pw = getpwnam(owner);

		if (pw == NULL) {
			if (errno == 0)
				errno = ENOENT;
			return ctl_fail(err, errlen, "unknown user \"%s\"", owner);
		}
		uid = pw->pw_uid;
	}
	rc = make_parent(path, gid, err, errlen);
	if (rc == 0)
		rc = remove_stale(&sa, err, errlen);
	if (rc != 0)
		return rc;

	k->k_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->k_fd < 0)
		return ctl_fail(err, errlen, "socket: %s", strerror(errno));
	/*
	 * bind() creates the file with the umask's mode; a tight umask makes
	 * sure it is never more open than asked, even for a moment.  The umask
	 * is process-wide, but only ever narrowed here, and at startup.
	 */
	old = umask(0177);
	rc = bind(k->k_fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0)
		return ctl_fail(err, errlen, "cannot bind %s: %s", path, strerror(errno));
	if (stat(path, &st) != 0)
		return ctl_fail(err, errlen, "cannot stat %s: %s", path, strerror(errno));
	k->k_own_file = true;
	k->k_dev = st.st_dev;
	k->k_ino = st.st_ino;
	snprintf(k->k_path, sizeof(k->k_path), "%s", path);
	/* Permissions first: connect() fails until listen(). */
	if (chmod(path, (mode_t)(mode & 07777)) != 0)
		return ctl_fail(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0)
		return ctl_fail(err, errlen, "cannot chgrp %s to %s: %s", path, group,
			    strerror(errno));
	if (uid != (uid_t)-1 && chown(path, uid, (gid_t)-1) != 0)
		return ctl_fail(err, errlen, "cannot chown %s to %s: %s", path, owner,
			    strerror(errno));
	if (listen(k->k_fd, CTL_MAX_CLIENTS) != 0)
		return ctl_fail(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
	return 0;
}
