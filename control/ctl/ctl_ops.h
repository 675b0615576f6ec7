/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Operations around the control socket: who changed what (the audit log),
 * and running a registered read-only command from inside dpf (`show
 * metrics`, the DPDK telemetry commands) without a client.
 *
 * Ownership: [C] the control core, like the rest of control/ctl.
 */
#ifndef DPF_CONTROL_CTL_OPS_H
#define DPF_CONTROL_CTL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "control/ctl/ctl.h"

/* The peer of a connected Unix socket (SO_PEERCRED). */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool known;	/* false: not a Unix socket, or getsockopt failed */
};

void ctl_peer_get(int fd, struct ctl_peer *peer);

/*
 * Writes one line to stderr (the journal under systemd) for a command that
 * changes something, with the peer's credentials and the request's words:
 *
 *   dpf[ctl] level=notice event=command uid=0 pid=4242 cmd="state kill host 198.18.1.2"
 *
 * The control server calls it for every command registered without
 * CTL_F_READONLY, before the handler runs; a module whose change does not
 * come from a request (a timer's rollback) calls it with fd -1 and gets
 * `uid=- pid=-`.  cmd= is last and runs to the end of the line: the
 * request line without -j, its words quoted as the protocol quotes them
 * (control characters cannot occur, the tokenizer refuses them).
 */
void ctl_audit(int fd, int argc, char *const *argv);

/*
 * Runs the registered command `argv` on srv as a client's request would,
 * with a JSON reply, and returns that value in *value (a new reference).
 * Only CTL_F_READONLY commands run (others: CTL_DENIED); a handler that
 * defers its reply is a bug for a read-only command, and one that streams
 * it (`show states`) is meant for a client that reads: both get CTL_FAILED.
 * Returns CTL_OK, or the reply's error code with its message in err.
 * Control core only: handlers touch [C] data.
 */
enum ctl_code ctl_exec_json(struct ctl_server *srv, int argc, char **argv, json_t **value,
			    char *err, size_t errlen);

#endif /* DPF_CONTROL_CTL_OPS_H */
