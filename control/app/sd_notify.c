/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: readiness for systemd (Type=notify), without libsystemd.
 *
 * The protocol is one datagram of newline-separated VAR=VALUE lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET, an absolute path or, with a
 * leading '@', an abstract name (sd_notify(3), "Notes", which documents it
 * as stable for services that implement it themselves).  dpf sends READY=1
 * once the ports are up and the config applied (the control socket
 * answers), STOPPING=1 when it begins to stop, and STATUS= lines beside
 * them for `systemctl status`.  Without $NOTIFY_SOCKET nothing happens.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/app/app.h"
#include "control/log/dlog.h"

int
app_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t salen;
	ssize_t n;
	int fd, e;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract: no NUL terminator counted */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	e = errno;
	close(fd);
	if (n < 0) {
		dlog(NOTIFY_FAILED, DLOG_S("socket", path), DLOG_S("error", strerror(e)));
		return -e;
	}
	return 1;
}
