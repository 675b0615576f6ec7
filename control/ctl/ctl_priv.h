/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What ctl.c shares with ctl_stream.c: the byte buffer, a handler's output,
 * and the framing of reply lines.  Not for modules: they see ctl.h only.
 *
 * Ownership: [C] everything here belongs to the control core.
 */
#ifndef DPF_CONTROL_CTL_PRIV_H
#define DPF_CONTROL_CTL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include <jansson.h>

#include "control/ctl/ctl.h"

/* A byte buffer: [b_off, b_len) is pending, b_len - b_off <= CTL_REPLY_MAX. */
struct ctl_buf {
	char *b_data;
	size_t b_off;
	size_t b_len;
	size_t b_cap;
};

struct ctl_pending;
struct ctl_stream;

struct ctl_out {
	bool o_json;			/* the request had -j */
	bool o_cut;			/* text went past CTL_REPLY_MAX */
	bool o_nomem;			/* an allocation failed while printing */
	enum ctl_code o_code;		/* CTL_OK until ctl_error() */
	char *o_msg;			/* ctl_error()'s message, may be NULL */
	json_t *o_value;		/* ctl_json()'s value */
	struct ctl_buf o_text;		/* ctl_printf()'s text */
	struct ctl_pending *o_defer;	/* set by ctl_defer() in the handler */
	struct ctl_stream *o_stream;	/* set by ctl_stream() in the handler */
	int o_fd;			/* the client's socket, for ctl_out_peer(); -1 */
};

/* Appends n bytes while keeping the pending bytes within limit: 0, -ENOSPC, -ENOMEM. */
int buf_add(struct ctl_buf *b, const void *data, size_t n, size_t limit);
/* Empties out for the next request (json: the request had -j). */
void out_reset(struct ctl_out *out, bool json);
/* One reply line (final: the status line).  0, -ENOSPC or -ENOMEM. */
int frame_line(struct ctl_buf *b, enum ctl_code code, bool final, const char *text,
	       size_t len);
/* Text as continuation lines, one per '\n'-ended line.  0, -ENOSPC or -ENOMEM. */
int frame_text(struct ctl_buf *b, enum ctl_code code, const char *p, size_t len, bool cut);
/* out's error as its detail lines and final line (cmd: for a 9005's usage; may be NULL). */
int frame_error(struct ctl_buf *b, const struct ctl_out *out, const struct ctl_cmd *cmd);

/*
 * The listening socket (ctl_listen.c).  ctl_sock_listen() fills k as far
 * as it got, also on failure (k_fd -1 if no socket; k_own_file once the
 * file is ours to unlink), so the caller can close and unlink.  Returns 0,
 * or -errno with a message in err.
 */
struct ctl_sock {
	int k_fd;
	bool k_own_file;		/* k_path is ours to unlink (k_dev, k_ino) */
	dev_t k_dev;
	ino_t k_ino;
	char k_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int ctl_sock_listen(struct ctl_sock *k, const char *path, unsigned int mode, const char *owner,
		    const char *group, char *err, size_t errlen);
/* Writes the message into err; returns -errno (-EINVAL if errno is 0). */
int ctl_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Streamed replies (ctl_stream.c).  ctl.c owns the client and decides when
 * a step runs: only while the client's output holds less than
 * CTL_STREAM_LOW bytes and the poll's byte bound is not reached.
 */
#define CTL_STREAM_LOW (64u << 10)

/* Frames the reply's start: what the handler printed, or the JSON's "[". */
int ctl_stream_start(struct ctl_stream *s, struct ctl_buf *b, struct ctl_out *out);
/*
 * Runs one step into out (emptied first) and frames it into b.  Returns 1:
 * more to come, 0: the reply is over (final line framed), -ENOMEM.
 */
int ctl_stream_step(struct ctl_stream *s, struct ctl_buf *b, struct ctl_out *out);
/* Calls the stream's fini and frees it; NULL is a no-op. */
void ctl_stream_free(struct ctl_stream *s);

#endif /* DPF_CONTROL_CTL_PRIV_H */
