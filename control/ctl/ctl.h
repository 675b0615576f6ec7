/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control socket: a local Unix stream socket served by the control core
 * without ever blocking it.  The line protocol and reply codes are in
 * docs/control-protocol.md; `dpfctl` is the client.
 *
 * Contract:
 *  - ctl_server_poll() does a bounded amount of work (accept, read, run
 *    complete requests, write what the sockets take) and returns at once;
 *    the control core calls it every loop iteration.
 *  - Requests are bounded (CTL_REQ_MAX bytes); anything malformed, too long,
 *    unknown or not allowed on a read-only socket gets an error reply with a
 *    numeric code and a message, never a crash and never a stall of others.
 *  - Commands come from a table (struct ctl_cmd) registered by each module;
 *    handlers run on the control core and write human text (pfctl/vppctl
 *    layouts) or, when the client asked for JSON, one JSON value.  A
 *    handler that must wait for the workers defers its reply (ctl_defer())
 *    and the module finishes it from the control loop.
 *
 * Ownership: [C] everything here belongs to the control core.
 */
#ifndef DPF_CONTROL_CTL_H
#define DPF_CONTROL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define CTL_PROTO_VERSION 1
#define CTL_REQ_MAX 4096	/* bytes in one request line, newline included */
#define CTL_MAX_ARGS 32
#define CTL_MAX_CLIENTS 32
/*
 * A client that sends nothing while nothing is under way for it is dropped
 * after CTL_IDLE_MS; one that reads nothing of a reply sent to it, after
 * CTL_STALL_MS (ctl_server_timeouts() changes them: dpf sets them from
 * system.control.idle_timeout_ms and stall_timeout_ms).
 */
#define CTL_IDLE_MS 30000
#define CTL_STALL_MS 10000
/*
 * Bytes of one framed reply (codes, separators and newlines included), and so
 * the most a client's output buffer holds: a longer reply is cut and ends
 * with `8002 reply too large`.
 */
#define CTL_REPLY_MAX (16u << 20)
/*
 * Output waiting in all of a server's client buffers together.  A reply
 * above CTL_SMALL_REPLY that would take it past this is answered `8003
 * busy` instead: 31 clients asking for `show states -vv` and never reading
 * held 31 full replies (540 MB).  Small replies always go, so a normal
 * dpfctl is served.
 */
#define CTL_OUT_BUDGET (64u << 20)
#define CTL_SMALL_REPLY (64u << 10)

/*
 * Reply codes, BIRD-style classes: 0xxx success, 8xxx run-time errors of a
 * valid request, 9xxx requests the server could not accept.
 */
#define CTL_CODE_LIST(_)                                        \
	_(OK, 0, "ok")                                          \
	_(NOT_FOUND, 8001, "not found")                         \
	_(FAILED, 8002, "command failed")                       \
	_(BUSY, 8003, "busy")                                   \
	_(SYNTAX, 9001, "syntax error")                         \
	_(UNKNOWN, 9002, "unknown command")                     \
	_(TOO_LONG, 9003, "request too long")                   \
	_(DENIED, 9004, "permission denied")                    \
	_(BAD_ARG, 9005, "invalid argument")                    \
	_(TOO_MANY, 9006, "too many clients")                   \
	_(VERSION, 9007, "unsupported protocol version")

enum ctl_code {
#define CTL_CODE_ENUM(sym, num, str) CTL_##sym = num,
	CTL_CODE_LIST(CTL_CODE_ENUM)
#undef CTL_CODE_ENUM
};

const char *ctl_code_name(enum ctl_code code);

/* Output of one request: text, or a JSON value when the client used -j. */
struct ctl_out;

bool ctl_out_json(const struct ctl_out *out);
/*
 * The requesting client's pid and uid (SO_PEERCRED of its connection), for
 * logging who changed what; false when unknown (a deferred reply's out).
 */
bool ctl_out_peer(const struct ctl_out *out, pid_t *pid, uid_t *uid);
/* Appends human text. */
void ctl_printf(struct ctl_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the JSON reply (steals the reference). */
void ctl_json(struct ctl_out *out, json_t *value);
/* Makes the reply an error: code and message (printf-style). */
void ctl_error(struct ctl_out *out, enum ctl_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A handler gets the words after the command's own words (argv[0] is the
 * first argument).  It returns 0, or calls ctl_error() and returns -1.
 */
typedef int (*ctl_fn)(struct ctl_out *out, int argc, char **argv, void *arg);

/*
 * Deferred replies, for a command whose answer other threads work out
 * (the workers: `state kill`), so that the control core's loop never waits
 * for it.  The handler calls ctl_defer(out), keeps the handle and returns
 * 0; nothing is sent yet, and that client's later requests wait their turn
 * (replies stay in request order) while every other client is served.
 * Later, on the control core, the owner writes the reply into
 * ctl_pending_out() with ctl_printf()/ctl_json()/ctl_error() as a handler
 * would, and calls ctl_pending_finish(), which frames and sends it and
 * frees the handle.  If the client has gone meanwhile (closed, or the
 * server closed), ctl_pending_gone() is true and finishing only frees.
 * The owner must finish every handle it got, exactly once.
 *
 * ctl_defer() moves what the handler printed so far into the deferred
 * reply; it returns NULL when out of memory (the handler then answers at
 * once, e.g. with an error).  Calling it twice returns the same handle.
 */
struct ctl_pending;

struct ctl_pending *ctl_defer(struct ctl_out *out) __attribute__((warn_unused_result));
struct ctl_out *ctl_pending_out(struct ctl_pending *p);
bool ctl_pending_gone(const struct ctl_pending *p);
void ctl_pending_finish(struct ctl_pending *p);

/*
 * Streamed replies, for output too large to build whole (`show states` of
 * a large table): the reply is made in steps as the client reads it, so a
 * client holds at most about CTL_STREAM_LOW + CTL_STREAM_CHUNK bytes of
 * output and a loop iteration makes at most the poll's bound of bytes,
 * whatever the size of the reply and whether or not the client reads.
 *
 * The handler calls ctl_stream(out, fn, fini, ctx) and returns 0; what it
 * printed before is the reply's first text (a JSON handler prints
 * nothing).  Then, from the control loop, each time the client's output
 * buffer has room, the server calls fn(out, ctx) with an empty out: fn
 * appends the next part of the reply, text with ctl_printf() (whole lines)
 * or, for a JSON request, a JSON array with ctl_json() whose elements are
 * the next elements of the reply (the reply's document is one array made
 * of all of them), and returns 1 while more is to come, 0 when the reply
 * is over, or -1 after ctl_error() (the lines already sent stay sent; a
 * JSON reply's array is closed, then the error is the final line).  fn
 * stops once ctl_stream_full(out) says the step holds enough, and keeps
 * its own work per step bounded too (e.g. slots looked at).  fini(ctx)
 * runs once, when the reply is over or the client gone.  Between steps
 * anything may change: fn keeps a cursor, not pointers into tables.
 * The client's later requests wait until the stream is over.
 * ctl_stream() returns 0, or -1 after calling fini(ctx) and ctl_error()
 * (out of memory); it cannot be combined with ctl_defer().
 */
#define CTL_STREAM_CHUNK (32u << 10)	/* text bytes of one step */
#define CTL_STREAM_ITEMS 64		/* JSON elements of one step */

typedef int (*ctl_stream_fn)(struct ctl_out *out, void *ctx);

int ctl_stream(struct ctl_out *out, ctl_stream_fn fn, void (*fini)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));
bool ctl_stream_full(const struct ctl_out *out);

#define CTL_F_READONLY 0x1	/* allowed on the read-only socket */

struct ctl_cmd {
	const char *words;	/* "show interfaces" */
	const char *args;	/* usage of the arguments, "" if none: "[-v] [FILTER]" */
	const char *help;	/* one line */
	ctl_fn fn;
	unsigned int flags;
};

struct ctl_server;

/*
 * Opens a listening socket at path (replacing a stale socket file, creating
 * the parent directory), chmod to mode, chown to owner and group (user and
 * group names; NULL = unchanged).
 * readonly: only CTL_F_READONLY commands are accepted.
 * Returns NULL with a message in err on failure.
 * path NULL opens a server without a listening socket, which only serves the
 * connections given to ctl_server_adopt_fd() (tests, the fuzzer).
 */
struct ctl_server *ctl_server_open(const char *path, unsigned int mode, const char *owner,
				   const char *group, bool readonly, char *err, size_t errlen);
void ctl_server_close(struct ctl_server *srv);
/* Sets the idle and stall timeouts of srv's clients, milliseconds; 0: never. */
void ctl_server_timeouts(struct ctl_server *srv, unsigned int idle_ms, unsigned int stall_ms);

/* Registers n commands (the table must outlive the server); arg is passed to fn. */
int ctl_register(struct ctl_server *srv, const struct ctl_cmd *cmds, unsigned int n, void *arg);

/*
 * Non-blocking service; returns the number of requests answered (error
 * replies and deferred ones included), or -errno if poll() itself failed.
 */
int ctl_server_poll(struct ctl_server *srv);
/*
 * Connections open (after the last ctl_server_poll()).  The control loop
 * polls every iteration while there is one, and on a timer while there is
 * none: an idle server then costs no system call per iteration.
 */
unsigned int ctl_server_clients(const struct ctl_server *srv);

/*
 * Serves an already connected stream socket as if it had been accepted
 * (greeting first); the server owns fd from then on, also on failure.
 * Returns 0, -EBUSY (CTL_MAX_CLIENTS reached: fd got `9006` and was closed)
 * or -errno.
 */
int ctl_server_adopt_fd(struct ctl_server *srv, int fd) __attribute__((warn_unused_result));

/*
 * One request line split into words (docs/control-protocol.md, "Requests").
 * Options (-j, -p N) are consumed; argv[] points into buf and is NULL-ended.
 */
struct ctl_req {
	bool json;			/* -j: the client wants a JSON reply */
	int argc;			/* 0: an empty line, which gets no reply */
	char *argv[CTL_MAX_ARGS + 1];
	const char *why;		/* static reason when the result is not CTL_OK */
	char buf[CTL_REQ_MAX];
};

/*
 * Tokenizes one request line (a trailing "\n" or "\r\n" is ignored).  Pure:
 * no allocation, no state; safe on any bytes.  Returns CTL_OK, or CTL_SYNTAX,
 * CTL_BAD_ARG, CTL_TOO_LONG or CTL_VERSION with req->why set.
 */
enum ctl_code ctl_parse_line(const char *line, size_t len, struct ctl_req *req)
	__attribute__((warn_unused_result));

/*
 * Writes the request line for argv (with "-j " first if json), quoting the
 * words that need it, newline included, NUL-terminated.  Returns its length,
 * -EINVAL (no words, more than CTL_MAX_ARGS, or a control character other
 * than tab in a word: it could not be sent) or -E2BIG (longer than
 * CTL_REQ_MAX or than size - 1).
 */
int ctl_format_request(char *buf, size_t size, bool json, int argc, char *const *argv)
	__attribute__((warn_unused_result));

#endif /* DPF_CONTROL_CTL_H */
