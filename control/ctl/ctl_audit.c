/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: who changed what.
 *
 * Every command that changes dpf (those without CTL_F_READONLY: `state
 * kill`, `carp demote`, `configure`...) is logged with the peer's uid and
 * pid, which the kernel vouches for (SO_PEERCRED, unix(7)): the socket's
 * mode and group decide who may connect, this line says who did.  The line
 * (event=command, dlog.h) goes to stderr, which systemd puts in the journal
 * with dpf's unit; like every event it is rate-limited, and a line after a
 * burst says how many were held back (suppressed=N).
 */
#define _GNU_SOURCE	/* struct ucred */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "control/ctl/ctl_ops.h"
#include "control/log/dlog.h"

void
ctl_peer_get(int fd, struct ctl_peer *peer)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(peer, 0, sizeof(*peer));
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != sizeof(uc))
		return;
	peer->pid = uc.pid;
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	peer->known = true;
}

void
ctl_audit(int fd, int argc, char *const *argv)
{
	struct ctl_peer peer;
	char cmd[CTL_REQ_MAX + 8], uid[24], pid[24];
	int n;

	ctl_peer_get(fd, &peer);
	/* The request line as the client would send it, without the newline. */
	n = argc > 0 ? ctl_format_request(cmd, sizeof(cmd), false, argc, argv) : 0;
	if (n > 0 && cmd[n - 1] == '\n')
		cmd[--n] = '\0';
	if (n <= 0)
		snprintf(cmd, sizeof(cmd), "?");
	snprintf(uid, sizeof(uid), "-");
	snprintf(pid, sizeof(pid), "-");
	if (peer.known) {
		snprintf(uid, sizeof(uid), "%u", (unsigned int)peer.uid);
		snprintf(pid, sizeof(pid), "%ld", (long)peer.pid);
	}
#ifndef DPF_FUZZING	/* fuzz_ctl runs changing commands by the million */
	dlog(COMMAND, DLOG_S("uid", uid), DLOG_S("pid", pid), DLOG_S("cmd", cmd));
#endif
}
