/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the control socket server.
 *
 * One listening Unix stream socket and at most CTL_MAX_CLIENTS connections,
 * all non-blocking, served from ctl_server_poll() on the control core.  The
 * wire format is in docs/control-protocol.md; this comment covers how the
 * server stays bounded.
 *
 * - Input: each client has a fixed buffer of CTL_REQ_MAX bytes.  A request
 *   is answered once its newline is in the buffer; a buffer that fills up
 *   without a newline is a request too long (9003), after which the client
 *   is closed once the reply is out, since resynchronizing inside garbage
 *   would only guess.
 * - Output: a request runs only when the client's output buffer is empty
 *   (everything before it was handed to the kernel).  So a client that does
 *   not read its replies stops being served, then stops being read, and the
 *   kernel finally stops its writes: it costs at most one reply
 *   (CTL_REPLY_MAX) plus CTL_REQ_MAX of memory and no time.  A reply that
 *   would grow past CTL_REPLY_MAX is cut and ends with 8002.
 * - Work per call: CTL_ACCEPT_PER_POLL accepts, one recv() and at most
 *   CTL_REQS_PER_POLL requests per client, and sends until EAGAIN.
 * - Handlers write into one struct ctl_out owned by the server (one request
 *   runs at a time); the reply is framed into the client's buffer when the
 *   handler returns, so an error can replace whatever was printed.
 * - A deferred reply (ctl_defer()) moves that output into a struct
 *   ctl_pending the handler's module owns; the client runs no further
 *   request until ctl_pending_finish() frames it.  A client that hangs up
 *   meanwhile (POLLHUP: a shut-down sending side alone still reads) is
 *   dropped and its pending reply orphaned, never freed here.
 * - A streamed reply (ctl_stream(), ctl_stream.c) is made a step at a
 *   time, only while the client's output holds less than CTL_STREAM_LOW:
 *   a client that does not read gets no steps, whatever the reply's size.
 * - When all slots are taken and none is idle, the newest client holds the
 *   reserved slot (evict_newest()).
 * - The request tokenizer and formatter are in ctl_req.c.
 *
 * Nothing here logs: failures are returned (err strings, -errno) or become
 * reply codes.  Every socket write uses MSG_NOSIGNAL, so a client that goes
 * away never raises SIGPIPE.
 */
#define _GNU_SOURCE	/* accept4, vasprintf */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl/ctl.h"
#include "control/ctl/ctl_priv.h"
#include "control/ctl/ctl_ops.h"


#define CTL_ACCEPT_PER_POLL 4
#define CTL_REQS_PER_POLL 8
/* Room always left for the final line; it also bounds that line's length. */
#define CTL_FINAL_MAX (CTL_REQ_MAX + 128)
#define CTL_ERR_MAX 16384	/* bytes of an error message, details included */
#define CTL_BUF_KEEP 65536	/* an emptied buffer larger than this is freed */
#define CTL_HELP_WIDTH 40
/*
 * Replies framed per ctl_server_poll(), all clients together: once past
 * this, no further request runs until the next call (the control core's
 * loop goes on; requests wait in their client's input buffer).
 */
#define CTL_POLL_BYTES (1u << 20)
/*
 * A client idle this long or longer may be evicted for a new one when all
 * slots are taken, unless a request of its waits in the kernel.  A real
 * client sends its request as soon as it has the greeting (dpfctl: within a
 * millisecond), and the idlest goes first: connections that reconnect as
 * soon as they are closed never push out one that is talking.
 */
#define CTL_EVICT_IDLE_MS 20

struct ctl_client {
	int c_fd;
	uint64_t c_active_ms;		/* last request byte received, or accepted */
	uint64_t c_sent_ms;		/* last output byte sent, or output became pending */
	bool c_eof;			/* the peer will send no more */
	bool c_closing;			/* read no more; close once c_out is sent */
	bool c_broken;			/* a deferred reply could not be framed: drop */
	struct ctl_pending *c_pending;	/* the deferred reply it waits for, or NULL */
	struct ctl_stream *c_stream;	/* the streamed reply being made, or NULL */
	uint64_t c_born_ms;		/* accepted */
	size_t c_rlen;
	struct ctl_buf c_out;
	char c_rbuf[CTL_REQ_MAX];
};

/*
 * A deferred reply (ctl_defer()): its own output, moved out of the
 * server's, and the client it goes to (NULL once the client has gone).
 * Owned by whoever deferred; freed by ctl_pending_finish() only.
 */
struct ctl_pending {
	struct ctl_out p_out;
	struct ctl_client *p_client;
	const struct ctl_cmd *p_cmd;	/* for the usage line of a 9005 */
};

struct ctl_reg {
	const struct ctl_cmd *r_cmd;
	void *r_arg;
	unsigned int r_nwords;
};

struct ctl_server {
	int s_fd;			/* listening socket, -1 without a path */
	bool s_readonly;
	bool s_own_file;		/* s_path is ours to unlink (s_dev, s_ino) */
	dev_t s_dev;
	ino_t s_ino;
	char s_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *s_clients[CTL_MAX_CLIENTS];
	struct ctl_reg *s_cmds;
	unsigned int s_ncmds;
	unsigned int s_cmdcap;
	struct ctl_out s_out;		/* the reply being built */
	struct ctl_req s_req;		/* the request being run */
	unsigned int s_idle_ms;		/* drop a client idle this long; 0: never */
	unsigned int s_stall_ms;	/* drop a client that reads nothing this long */
	uint64_t s_now_ms;		/* this poll's time */
	size_t s_poll_bytes;		/* replies framed during this poll */
	unsigned int s_next;		/* the slot served first by the next poll */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
ctl_code_name(enum ctl_code code)
{
	switch (code) {
#define CTL_CODE_CASE(sym, num, str) \
	case CTL_##sym:              \
		return str;
	CTL_CODE_LIST(CTL_CODE_CASE)
#undef CTL_CODE_CASE
	}
	return "unknown code";
}

/*
 * Buffers
 */

static size_t
buf_pending(const struct ctl_buf *b)
{
	return b->b_len - b->b_off;
}

static void
buf_free(struct ctl_buf *b)
{
	free(b->b_data);
	memset(b, 0, sizeof(*b));
}

/* Empties b, giving back a large allocation. */
static void
buf_reset(struct ctl_buf *b)
{
	if (b->b_cap > CTL_BUF_KEEP)
		buf_free(b);
	b->b_off = 0;
	b->b_len = 0;
}

/* Sets b_len back to mark (dropping what was appended since). */
static void
buf_truncate(struct ctl_buf *b, size_t mark)
{
	if (mark < b->b_len)
		b->b_len = mark;
}

/*
 * Makes room for n more bytes while keeping the pending bytes within limit.
 * Returns 0, -ENOSPC (over the limit) or -ENOMEM.
 */
static int
buf_room(struct ctl_buf *b, size_t n, size_t limit)
{
	size_t cap;
	char *p;

	if (n > limit || buf_pending(b) > limit - n)
		return -ENOSPC;
	if (b->b_off > 0 && b->b_len + n > b->b_cap) {
		memmove(b->b_data, b->b_data + b->b_off, buf_pending(b));
		b->b_len -= b->b_off;
		b->b_off = 0;
	}
	if (b->b_len + n <= b->b_cap)
		return 0;
	cap = b->b_cap > 0 ? b->b_cap : 512;
	while (cap < b->b_len + n)
		cap *= 2;
	p = realloc(b->b_data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->b_data = p;
	b->b_cap = cap;
	return 0;
}

int
buf_add(struct ctl_buf *b, const void *data, size_t n, size_t limit)
{
	int rc = buf_room(b, n, limit);

	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->b_data + b->b_len, data, n);
	b->b_len += n;
	return 0;
}

/*
 * Handler output
 */

/* A handler's result as it starts: no message, no value, no error. */
static void
out_clear(struct ctl_out *out)
{
	out->o_msg = NULL;
	out->o_value = NULL;
	out->o_code = CTL_OK;
	out->o_cut = false;
	out->o_nomem = false;
}

void
out_reset(struct ctl_out *out, bool json)
{
	free(out->o_msg);
	json_decref(out->o_value);
	buf_reset(&out->o_text);
	out_clear(out);
	out->o_json = json;
	out->o_fd = -1;
}

bool
ctl_out_json(const struct ctl_out *out)
{
	return out->o_json;
}

bool
ctl_out_peer(const struct ctl_out *out, pid_t *pid, uid_t *uid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (out->o_fd < 0 || getsockopt(out->o_fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return false;
	*pid = uc.pid;
	*uid = uc.uid;
	return true;
}

void
ctl_printf(struct ctl_out *out, const char *fmt, ...)
{
	struct ctl_buf *b = &out->o_text;
	va_list ap;
	int n, rc;

	if (out->o_cut || out->o_nomem)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	rc = buf_room(b, (size_t)n + 1, CTL_REPLY_MAX + 1);
	if (rc != 0) {
		if (rc == -ENOSPC)
			out->o_cut = true;
		else
			out->o_nomem = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->b_data + b->b_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->b_len += (size_t)n;
}

void
ctl_json(struct ctl_out *out, json_t *value)
{
	json_decref(out->o_value);
	out->o_value = value;
	if (value == NULL)
		out->o_nomem = true;
}

void
ctl_error(struct ctl_out *out, enum ctl_code code, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	/* The first error is the cause; later ones are its consequences. */
	if (out->o_code != CTL_OK)
		return;
	out->o_code = code != CTL_OK ? code : CTL_FAILED;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > CTL_ERR_MAX) {
		int k = CTL_ERR_MAX;

		/* Do not split a UTF-8 sequence. */
		while (k > 0 && ((unsigned char)msg[k] & 0xc0) == 0x80)
			k--;
		msg[k] = '\0';
	}
	out->o_msg = msg;
}

/*
 * Command table
 */

/* Number of leading request words equal to the leading words of words. */
static unsigned int
cmd_common(const char *words, int argc, char *const *argv)
{
	const char *p = words;
	unsigned int n = 0;

	while (n < (unsigned int)argc && *p != '\0') {
		size_t wl = strcspn(p, " ");

		if (strlen(argv[n]) != wl || memcmp(p, argv[n], wl) != 0)
			break;
		n++;
		p += wl;
		if (*p == ' ')
			p++;
	}
	return n;
}

/*
 * Words are single-space separated runs of printable ASCII without quotes
 * or backslashes, the first not starting with '-': exactly what a request
 * can spell without quoting.  Returns the number of words, 0 if invalid.
 */
static unsigned int
cmd_words_valid(const char *w)
{
	unsigned int n = 0;

	if (w == NULL || w[0] == '-')
		return 0;
	for (;;) {
		const char *s = w;

		for (; *w > ' ' && *w < 0x7f && *w != '"' && *w != '\\'; w++)
			;
		if (w == s || ++n > CTL_MAX_ARGS)
			return 0;
		if (*w == '\0')
			return n;
		if (*w != ' ')
			return 0;
		w++;
	}
}

static bool
cmd_allowed(const struct ctl_server *srv, const struct ctl_reg *r)
{
	return !srv->s_readonly || (r->r_cmd->flags & CTL_F_READONLY) != 0;
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int
ctl_register(struct ctl_server *srv, const struct ctl_cmd *cmds, unsigned int n, void *arg)
{
	struct ctl_reg *t;

	/* Validate the whole table, then commit. */
	for (unsigned int i = 0; i < n; i++) {
		if (cmds[i].fn == NULL || cmd_words_valid(cmds[i].words) == 0)
			return -EINVAL;
		for (unsigned int k = 0; k < srv->s_ncmds; k++)
			if (strcmp(srv->s_cmds[k].r_cmd->words, cmds[i].words) == 0)
				return -EEXIST;
		for (unsigned int k = 0; k < i; k++)
			if (strcmp(cmds[k].words, cmds[i].words) == 0)
				return -EEXIST;
	}
	if (n > srv->s_cmdcap - srv->s_ncmds) {
		unsigned int cap = srv->s_cmdcap > 0 ? srv->s_cmdcap : 16;

		while (cap - srv->s_ncmds < n)
			cap *= 2;
		t = realloc(srv->s_cmds, cap * sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		srv->s_cmds = t;
		srv->s_cmdcap = cap;
	}
	for (unsigned int i = 0; i < n; i++) {
		t = &srv->s_cmds[srv->s_ncmds++];
		t->r_cmd = &cmds[i];
		t->r_arg = arg;
		t->r_nwords = cmd_words_valid(cmds[i].words);
	}
	return 0;
}

/* Request words [0, n) in request syntax, for messages. */
static void
words_echo(char *buf, size_t size, int n, char *const *argv)
{
	if (ctl_format_request(buf, size, false, n, argv) < 0) {
		snprintf(buf, size, "...");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Longest match of the request's words against the table.  Without a
 * match, sets a 9002 error naming the words looked at and listing the
 * commands that share the longest common prefix.
 */
static const struct ctl_reg *
cmd_lookup(struct ctl_server *srv, const struct ctl_req *req, struct ctl_out *out)
{
	const struct ctl_reg *best = NULL;
	unsigned int common = 0;
	struct ctl_buf more = { 0 };
	char echo[CTL_REQ_MAX], prefix[CTL_REQ_MAX];
	int shown;

	for (unsigned int i = 0; i < srv->s_ncmds; i++) {
		const struct ctl_reg *r = &srv->s_cmds[i];
		unsigned int c = cmd_common(r->r_cmd->words, req->argc, req->argv);

		if (c == r->r_nwords && (best == NULL || c > best->r_nwords))
			best = r;
		if (cmd_allowed(srv, r) && c > common)
			common = c;
	}
	if (best != NULL)
		return best;

	/* The words looked at: those that matched and the first that did not. */
	shown = (int)common < req->argc ? (int)common + 1 : req->argc;
	words_echo(echo, sizeof(echo), shown, req->argv);
	if (common == 0) {
		ctl_error(out, CTL_UNKNOWN, "unknown command \"%s\"", echo);
		return NULL;
	}
	for (unsigned int i = 0; i < srv->s_ncmds; i++) {
		const struct ctl_reg *r = &srv->s_cmds[i];
		const char *w = r->r_cmd->words;

		if (!cmd_allowed(srv, r) || cmd_common(w, req->argc, req->argv) != common)
			continue;
		if (buf_add(&more, "\n  ", 3, CTL_ERR_MAX) != 0 ||
		    buf_add(&more, w, strlen(w), CTL_ERR_MAX) != 0)
			break;
	}
	words_echo(prefix, sizeof(prefix), (int)common, req->argv);
	ctl_error(out, CTL_UNKNOWN, "%s command \"%s\"\ncommands starting with \"%s\":%.*s",
		  shown == (int)common ? "incomplete" : "unknown", echo, prefix,
		  (int)more.b_len, more.b_data != NULL ? more.b_data : "");
	buf_free(&more);
	return NULL;
}

/*
 * Reply framing
 */

/* Appends one reply line; a continuation line must leave CTL_FINAL_MAX. */
int
frame_line(struct ctl_buf *b, enum ctl_code code, bool final, const char *text, size_t len)
{
	char head[8];
	int rc;

	if (final) {
		if (len > CTL_FINAL_MAX - 8) {
			len = CTL_FINAL_MAX - 8;
			/* Do not split a UTF-8 sequence. */
			while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
				len--;
		}
	} else {
		rc = buf_room(b, len + 6, CTL_REPLY_MAX - CTL_FINAL_MAX);
		if (rc != 0)
			return rc;
	}
	snprintf(head, sizeof(head), "%04u%c", (unsigned int)code % 10000, final ? ' ' : '-');
	rc = buf_add(b, head, 5, CTL_REPLY_MAX);
	if (rc == 0)
		rc = buf_add(b, text, len, CTL_REPLY_MAX);
	if (rc == 0)
		rc = buf_add(b, "\n", 1, CTL_REPLY_MAX);
	return rc;
}

/*
 * Frames text as continuation lines (one per '\n'-ended line; a last line
 * without '\n' counts unless the text was cut).  Returns 0, -ENOSPC after
 * framing what fits, or -ENOMEM.
 */
int
frame_text(struct ctl_buf *b, enum ctl_code code, const char *p, size_t len, bool cut)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int rc;

		if (nl == NULL && cut)
			break;
		if (nl == NULL)
			nl = end;
		rc = frame_line(b, code, false, p, (size_t)(nl - p));
		if (rc != 0)
			return rc;
		p = nl + 1;
	}
	return cut ? -ENOSPC : 0;
}

struct json_sink {
	struct ctl_buf *js_buf;
	size_t js_limit;
	int js_err;
};

static int
json_sink_add(const char *data, size_t n, void *arg)
{
	struct json_sink *js = arg;

	js->js_err = buf_add(js->js_buf, data, n, js->js_limit);
	return js->js_err != 0 ? -1 : 0;
}

/* The JSON of a command that printed text only: {"text": [lines]}. */
static json_t *
json_from_text(const struct ctl_out *out)
{
	const char *p = out->o_text.b_data, *end = p + out->o_text.b_len;
	json_t *lines = json_array(), *v;

	if (lines == NULL)
		return NULL;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			nl = end;
		v = json_stringn(p, (size_t)(nl - p));
		if (v == NULL || json_array_append_new(lines, v) != 0) {
			json_decref(lines);
			return NULL;
		}
		p = nl + 1;
	}
	return json_pack("{so}", "text", lines);
}

/*
 * Frames the JSON reply: one continuation line holding the compact JSON
 * document (Jansson escapes every control character inside strings, so it
 * has no newline).  Returns 0, -ENOSPC, -ENOMEM or -EINVAL (not encodable).
 */
static int
frame_json(struct ctl_buf *b, struct ctl_out *out)
{
	struct json_sink js = { .js_buf = b, .js_limit = CTL_REPLY_MAX - CTL_FINAL_MAX };
	json_t *v = out->o_value != NULL ? json_incref(out->o_value) : json_from_text(out);
	int rc;

	if (v == NULL)
		return -EINVAL;
	rc = buf_add(b, "0000-", 5, js.js_limit);
	if (rc == 0 && json_dump_callback(v, json_sink_add, &js,
					  JSON_COMPACT | JSON_ENCODE_ANY) != 0)
		rc = js.js_err != 0 ? js.js_err : -EINVAL;
	if (rc == 0)
		rc = buf_add(b, "\n", 1, js.js_limit);
	json_decref(v);
	return rc;
}

/* A text request answered by a JSON-only handler gets the JSON, indented. */
static void
text_from_json(struct ctl_out *out)
{
	struct json_sink js = { .js_buf = &out->o_text, .js_limit = CTL_REPLY_MAX + 1 };

	if (json_dump_callback(out->o_value, json_sink_add, &js,
			       JSON_INDENT(2) | JSON_ENCODE_ANY) != 0) {
		if (js.js_err == -ENOSPC)
			out->o_cut = true;
		else
			out->o_nomem = true;
	}
}

int
frame_error(struct ctl_buf *b, const struct ctl_out *out, const struct ctl_cmd *cmd)
{
	const char *msg = out->o_msg != NULL ? out->o_msg : ctl_code_name(out->o_code);
	size_t sumlen = strcspn(msg, "\n");
	char usage[512];
	int rc = 0;

	if (msg[sumlen] == '\n')
		rc = frame_text(b, out->o_code, msg + sumlen + 1, strlen(msg + sumlen + 1), false);
	/* 9005 carries the usage, unless the handler's message has it already. */
	if (rc == 0 && out->o_code == CTL_BAD_ARG && cmd != NULL && strstr(msg, "usage:") == NULL) {
		int n = snprintf(usage, sizeof(usage), "usage: %s%s%s", cmd->words,
				 str_or_empty(cmd->args)[0] != '\0' ? " " : "",
				 str_or_empty(cmd->args));

		if (n > 0)
			rc = frame_line(b, out->o_code, false, usage, strlen(usage));
	}
	if (rc == -ENOMEM)
		return rc;
	return frame_line(b, out->o_code, true, msg, sumlen);
}

/*
 * Turns the finished ctl_out into reply lines in b.  Returns 0 or -ENOMEM
 * (the reply could not be framed: the caller drops the client).
 */
static int
frame_reply(struct ctl_buf *b, struct ctl_out *out, const struct ctl_cmd *cmd)
{
	size_t mark = b->b_len;
	char msg[64];
	int rc;

	if (out->o_code == CTL_OK && !out->o_nomem) {
		if (!out->o_json && out->o_value != NULL && out->o_text.b_len == 0)
			text_from_json(out);
		if (out->o_json)
			rc = frame_json(b, out);
		else if (out->o_nomem)
			rc = -ENOMEM;
		else
			rc = frame_text(b, CTL_OK, out->o_text.b_data, out->o_text.b_len,
					out->o_cut);
		if (rc == 0)
			return frame_line(b, CTL_OK, true, "ok", 2);
		/* A cut JSON document would not parse: send none. */
		if (out->o_json || rc != -ENOSPC)
			buf_truncate(b, mark);
		if (rc == -ENOSPC) {
			snprintf(msg, sizeof(msg), "reply too large (limit %u bytes)",
				 CTL_REPLY_MAX);
			return frame_line(b, CTL_FAILED, true, msg, strlen(msg));
		}
		if (rc == -EINVAL)
			ctl_error(out, CTL_FAILED, "cannot encode the reply as JSON");
	}
	if (out->o_code == CTL_OK)
		ctl_error(out, CTL_FAILED, "out of memory");
	buf_truncate(b, mark);
	return frame_error(b, out, cmd);
}

/*
 * Runs one request line and frames its reply into c's output buffer.
 * Returns 1 if a reply was framed, 0 for an empty line, -ENOMEM.
 */
static size_t
out_total(const struct ctl_server *srv)
{
	size_t sum = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->s_clients[i] != NULL)
			sum += buf_pending(&srv->s_clients[i]->c_out);
	return sum;
}

/*
 * A large reply just framed from mark on in c's buffer, while the clients'
 * buffers together would pass CTL_OUT_BUDGET: it is replaced by `8003`.
 * Returns 0 or -ENOMEM.
 */
static int
reply_budget(struct ctl_server *srv, struct ctl_client *c, size_t mark)
{
	size_t len = c->c_out.b_len - mark, total = out_total(srv);
	char msg[160];

	if (len <= CTL_SMALL_REPLY || total <= CTL_OUT_BUDGET)
		return 0;
	buf_truncate(&c->c_out, mark);
	snprintf(msg, sizeof(msg), "busy: %zu MB of replies wait for clients that do not "
		 "read them; try again", (total - len) >> 20);
	return frame_line(&c->c_out, CTL_BUSY, true, msg, strlen(msg));
}

static int
ctl_answer(struct ctl_server *srv, struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_req *req = &srv->s_req;
	struct ctl_out *out = &srv->s_out;
	const struct ctl_cmd *cmd = NULL;
	size_t mark = c->c_out.b_len;
	const struct ctl_reg *r;
	enum ctl_code code;
	int rc, nargs;

	code = ctl_parse_line(line, len, req);
	out_reset(out, code == CTL_OK && req->json);
	out->o_fd = c->c_fd;
	if (code != CTL_OK) {
		ctl_error(out, code, "%s", req->why);
		goto reply;
	}
	if (req->argc == 0)
		return 0;
	r = cmd_lookup(srv, req, out);
	if (r == NULL)
		goto reply;
	cmd = r->r_cmd;
	if (!cmd_allowed(srv, r)) {
		ctl_error(out, CTL_DENIED, "permission denied: \"%s\" is not allowed on the "
			  "read-only socket", cmd->words);
		goto reply;
	}
	nargs = req->argc - (int)r->r_nwords;
	if (str_or_empty(cmd->args)[0] == '\0' && nargs > 0) {
		ctl_error(out, CTL_BAD_ARG, "\"%s\" takes no arguments", cmd->words);
		goto reply;
	}
	if (!(cmd->flags & CTL_F_READONLY))
		ctl_audit(c->c_fd, req->argc, req->argv);	/* who changed what */
	/* r may move if the handler registers commands; cmd stays. */
	if (cmd->fn(out, nargs, req->argv + r->r_nwords, r->r_arg) != 0)
		ctl_error(out, CTL_FAILED, "%s", ctl_code_name(CTL_FAILED));
	if (out->o_defer != NULL) {
		/* The reply comes with ctl_pending_finish(); the client waits. */
		struct ctl_pending *p = out->o_defer;

		out->o_defer = NULL;
		p->p_client = c;
		p->p_cmd = cmd;
		c->c_pending = p;
		/* A handler that failed after deferring: its error is the reply. */
		if (out->o_code != CTL_OK) {
			ctl_error(&p->p_out, out->o_code, "%s",
				  out->o_msg != NULL ? out->o_msg : ctl_code_name(out->o_code));
		}
		out_reset(out, false);
		return 1;
	}
	if (out->o_stream != NULL) {
		struct ctl_stream *s = out->o_stream;

		out->o_stream = NULL;
		if (out->o_code == CTL_OK) {
			/* The rest comes in steps from client_service(). */
			c->c_stream = s;
			rc = ctl_stream_start(s, &c->c_out, out);
			out_reset(out, false);
			srv->s_poll_bytes += c->c_out.b_len - mark;
			return rc != 0 ? rc : 1;
		}
		ctl_stream_free(s);
	}
reply:
	rc = frame_reply(&c->c_out, out, cmd);
	out_reset(out, false);
	/* What was made counts, even when the budget refuses to send it. */
	srv->s_poll_bytes += c->c_out.b_len - mark;
	if (rc == 0)
		rc = reply_budget(srv, c, mark);
	return rc != 0 ? rc : 1;
}

/* ctl_ops.h: a read-only command run from inside dpf, with a JSON reply. */
enum ctl_code
ctl_exec_json(struct ctl_server *srv, int argc, char **argv, json_t **value, char *err,
	      size_t errlen)
{
	struct ctl_out out = { .o_json = true };
	const struct ctl_reg *r;
	enum ctl_code code;
	struct ctl_req req;

	*value = NULL;
	if (argc <= 0 || argc > CTL_MAX_ARGS) {
		snprintf(err, errlen, "no command");
		return CTL_SYNTAX;
	}
	memset(&req, 0, sizeof(req));
	req.json = true;
	req.argc = argc;
	memcpy(req.argv, argv, (size_t)argc * sizeof(argv[0]));
	r = cmd_lookup(srv, &req, &out);
	if (r != NULL && !(r->r_cmd->flags & CTL_F_READONLY))
		ctl_error(&out, CTL_DENIED, "\"%s\" is not read-only", r->r_cmd->words);
	else if (r != NULL && r->r_cmd->fn(&out, argc - (int)r->r_nwords, argv + r->r_nwords,
					   r->r_arg) != 0)
		ctl_error(&out, CTL_FAILED, "%s", ctl_code_name(CTL_FAILED));
	if (out.o_defer != NULL) {
		ctl_error(&out.o_defer->p_out, CTL_FAILED, "deferred by a read-only command");
		ctl_pending_finish(out.o_defer);	/* no client: only frees */
		ctl_error(&out, CTL_FAILED, "\"%s\" deferred its reply", r->r_cmd->words);
	}
	if (out.o_stream != NULL) {	/* `show states`: made for a client that reads */
		ctl_stream_free(out.o_stream);
		out.o_stream = NULL;
		ctl_error(&out, CTL_FAILED, "\"%s\" streams its reply", r->r_cmd->words);
	}
	if (out.o_code == CTL_OK && out.o_value == NULL && !out.o_nomem)
		out.o_value = json_from_text(&out);	/* a text-only command */
	if (out.o_code == CTL_OK && (out.o_nomem || out.o_value == NULL))
		ctl_error(&out, CTL_FAILED, "out of memory");
	code = out.o_code;
	if (code == CTL_OK) {
		*value = out.o_value;
		out.o_value = NULL;
	} else {
		snprintf(err, errlen, "%s", out.o_msg != NULL ? out.o_msg : ctl_code_name(code));
	}
	out_reset(&out, false);
	buf_free(&out.o_text);
	return code;
}

/*
 * Built-in commands
 */

static int
reg_cmp(const void *a, const void *b)
{
	const struct ctl_reg *x = *(const struct ctl_reg *const *)a;
	const struct ctl_reg *y = *(const struct ctl_reg *const *)b;

	return strcmp(x->r_cmd->words, y->r_cmd->words);
}

static int
ctl_cmd_help(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct ctl_server *srv = arg;
	const struct ctl_reg **list;
	json_t *a = NULL;
	unsigned int n = 0;
	int width = 0;

	list = calloc(srv->s_ncmds + 1, sizeof(*list));
	if (list == NULL) {
		ctl_error(out, CTL_FAILED, "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < srv->s_ncmds; i++) {
		const struct ctl_reg *r = &srv->s_cmds[i];
		int w;

		if (!cmd_allowed(srv, r) ||
		    cmd_common(r->r_cmd->words, argc, argv) != (unsigned int)argc)
			continue;
		list[n++] = r;
		if (str_or_empty(r->r_cmd->help)[0] == '\0')
			continue;	/* printed without padding */
		w = (int)strlen(r->r_cmd->words);
		if (str_or_empty(r->r_cmd->args)[0] != '\0')
			w += 1 + (int)strlen(r->r_cmd->args);
		if (w > width)
			width = w < CTL_HELP_WIDTH ? w : CTL_HELP_WIDTH;
	}
	if (n == 0) {
		free(list);
		ctl_error(out, CTL_NOT_FOUND, "no command starts with those words");
		return -1;
	}
	qsort(list, n, sizeof(*list), reg_cmp);
	if (ctl_out_json(out))
		a = json_array();
	for (unsigned int i = 0; i < n; i++) {
		const struct ctl_cmd *cmd = list[i]->r_cmd;
		const char *args = str_or_empty(cmd->args);
		char usage[CTL_REQ_MAX];

		if (a != NULL) {
			json_array_append_new(a, json_pack("{sssssssb}", "command", cmd->words,
							   "args", args, "help",
							   str_or_empty(cmd->help), "readonly",
							   (cmd->flags & CTL_F_READONLY) != 0));
			continue;
		}
		snprintf(usage, sizeof(usage), "%s%s%s", cmd->words, args[0] != '\0' ? " " : "",
			 args);
		if (str_or_empty(cmd->help)[0] == '\0')
			ctl_printf(out, "%s\n", usage);
		else
			ctl_printf(out, "%-*s  %s\n", width, usage, cmd->help);
	}
	free(list);
	if (ctl_out_json(out))
		ctl_json(out, a);
	return 0;
}

static int
ctl_cmd_ping(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	if (ctl_out_json(out))
		ctl_json(out, json_object());
	return 0;
}

static int
ctl_cmd_version(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	if (ctl_out_json(out))
		ctl_json(out, json_pack("{sssssi}", "name", "dpf", "version", DPF_VERSION,
					"protocol", CTL_PROTO_VERSION));
	else
		ctl_printf(out, "dpf %s, control protocol %d\n", DPF_VERSION, CTL_PROTO_VERSION);
	return 0;
}

static const struct ctl_cmd ctl_builtins[] = {
	{ "help", "[WORD...]", "list the commands, or those starting with WORD...",
	  ctl_cmd_help, CTL_F_READONLY },
	{ "ping", "", "check that the server answers", ctl_cmd_ping, CTL_F_READONLY },
	{ "version", "", "show the dpf version and the control protocol version",
	  ctl_cmd_version, CTL_F_READONLY },
};

/*
 * Connections
 */

static void
client_free(struct ctl_client *c)
{
	if (c->c_pending != NULL)
		c->c_pending->p_client = NULL;	/* its owner still finishes it */
	ctl_stream_free(c->c_stream);
	close(c->c_fd);
	buf_free(&c->c_out);
	free(c);
}

/* Sends what the socket takes.  Returns 0, or -errno: drop the client. */
static int
client_flush(struct ctl_client *c)
{
	struct ctl_buf *b = &c->c_out;

	while (buf_pending(b) > 0) {
		ssize_t n = send(c->c_fd, b->b_data + b->b_off, buf_pending(b),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		b->b_off += (size_t)n;
		if (n > 0)
			c->c_sent_ms = now_ms();
	}
	buf_reset(b);
	return 0;
}

/* An idle client: nothing to read from it, to send to it or to wait for. */
static bool
client_idle(const struct ctl_client *c)
{
	return c->c_pending == NULL && c->c_stream == NULL && buf_pending(&c->c_out) == 0 &&
	       c->c_rlen == 0;
}

/*
 * The reserved slot.  With every slot taken and none idle (32 clients with
 * half a request in, or 32 streams nobody reads: each is dropped only at
 * its timeout), the newest connection is on probation: once it has been
 * there CTL_EVICT_IDLE_MS, a new client takes its slot.  So the 31 older
 * ones are kept, and a client that asks at once (dpfctl: within a
 * millisecond of the greeting) is answered before the next newcomer can
 * push it out, however fast the slots are refilled.  A client waiting for
 * a deferred reply is not pushed out (its wait is bounded by its module).
 * Returns the slot to free, or -1.
 */
static int
evict_newest(const struct ctl_server *srv, uint64_t now)
{
	uint64_t newest = 0;
	int slot = -1;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *c = srv->s_clients[i];

		if (c != NULL && c->c_born_ms >= newest) {
			newest = c->c_born_ms;
			slot = i;
		}
	}
	if (slot < 0 || srv->s_clients[slot]->c_pending != NULL ||
	    newest + CTL_EVICT_IDLE_MS > now)
		return -1;
	return slot;
}

/*
 * All slots taken: frees the slot of the client idle longest (at least
 * CTL_EVICT_IDLE_MS), so that connections that only sit there can never
 * lock everyone else out (9006); with none idle, the reserved slot's
 * (evict_newest()).  Returns the slot, or -1.
 */
static int
evict_idle(struct ctl_server *srv)
{
	uint64_t now = now_ms(), oldest = UINT64_MAX;
	int slot = -1;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *c = srv->s_clients[i];

		char b;

		if (c == NULL || !client_idle(c) || c->c_active_ms + CTL_EVICT_IDLE_MS > now ||
		    c->c_active_ms >= oldest)
			continue;
		/* Bytes waiting: a request the next poll reads; 0: gone already. */
		if (recv(c->c_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			continue;
		oldest = c->c_active_ms;
		slot = i;
	}
	if (slot < 0)
		slot = evict_newest(srv, now);
	if (slot >= 0) {
		client_free(srv->s_clients[slot]);
		srv->s_clients[slot] = NULL;
	}
	return slot;
}

int
ctl_server_adopt_fd(struct ctl_server *srv, int fd)
{
	static const char busy[] = "9006 too many clients\n";
	char greeting[64];
	struct ctl_client *c;
	int slot, fl, n;

	for (slot = 0; slot < CTL_MAX_CLIENTS && srv->s_clients[slot] != NULL; slot++)
		;
	if (slot == CTL_MAX_CLIENTS)
		slot = evict_idle(srv);
	if (slot < 0) {
		/* Best effort: the line fits in any socket buffer. */
		(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return -EBUSY;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->c_fd = fd;
	c->c_active_ms = now_ms();
	c->c_born_ms = c->c_active_ms;
	c->c_sent_ms = c->c_active_ms;
	n = snprintf(greeting, sizeof(greeting), "dpf %s protocol %d", DPF_VERSION,
		     CTL_PROTO_VERSION);
	n = frame_line(&c->c_out, CTL_OK, true, greeting, (size_t)n);
	if (n == 0)
		n = client_flush(c);
	if (n != 0) {
		client_free(c);
		return n;
	}
	srv->s_clients[slot] = c;
	return 0;
}

/*
 * A client that does not read what it is sent (stall_ms without a byte
 * going out), or that sends nothing while nothing is under way for it
 * (idle_ms, a partial request included), is dropped: each holds a slot and
 * up to a reply's memory.  One waiting for a deferred reply is not idle.
 */
static bool
client_timed_out(const struct ctl_server *srv, const struct ctl_client *c)
{
	uint64_t now = srv->s_now_ms;

	/* The stamps may be later than this poll's time (sends during it). */
	if (buf_pending(&c->c_out) > 0)
		return srv->s_stall_ms != 0 && now >= c->c_sent_ms + srv->s_stall_ms;
	return c->c_pending == NULL && c->c_stream == NULL && srv->s_idle_ms != 0 &&
	       now >= c->c_active_ms + srv->s_idle_ms;
}

/*
 * A streamed reply's steps: while the client's buffer holds less than
 * CTL_STREAM_LOW (it reads) and the poll's bound is not reached.  A client
 * that does not read gets no step at all, and is dropped when stalled.
 * Returns 0, or -1: drop the client.
 */
static int
stream_pump(struct ctl_server *srv, struct ctl_client *c)
{
	while (c->c_stream != NULL && buf_pending(&c->c_out) < CTL_STREAM_LOW &&
	       srv->s_poll_bytes < CTL_POLL_BYTES) {
		size_t mark = c->c_out.b_len;
		bool empty = buf_pending(&c->c_out) == 0;
		int rc = ctl_stream_step(c->c_stream, &c->c_out, &srv->s_out);

		out_reset(&srv->s_out, false);
		srv->s_poll_bytes += c->c_out.b_len - mark;
		if (rc <= 0) {
			ctl_stream_free(c->c_stream);
			c->c_stream = NULL;
			if (rc < 0)
				return -1;
		}
		/* Output pending from now: the stall clock starts. */
		if (empty)
			c->c_sent_ms = srv->s_now_ms;
		if (client_flush(c) != 0)
			return -1;
	}
	return 0;
}

/*
 * One client's share of a poll: send, read once, run what is complete.
 * Returns the replies framed, or -1 when the client is done or broken.
 */
static int
client_service(struct ctl_server *srv, struct ctl_client *c, short revents)
{
	int answered = 0, rc;

	if ((revents & POLLNVAL) != 0 || c->c_broken || client_flush(c) != 0)
		return -1;
	/* Waiting for a deferred reply: a client that hung up will never read
	 * it (a shut-down sending side alone is no hang-up: it still reads). */
	if (c->c_pending != NULL && (revents & (POLLHUP | POLLERR)) != 0)
		return -1;
	if (!c->c_closing && !c->c_eof && c->c_rlen < CTL_REQ_MAX &&
	    (revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
		ssize_t n = recv(c->c_fd, c->c_rbuf + c->c_rlen, CTL_REQ_MAX - c->c_rlen,
				 MSG_DONTWAIT);

		if (n > 0) {
			c->c_rlen += (size_t)n;
			c->c_active_ms = srv->s_now_ms;
		} else if (n == 0)
			c->c_eof = true;
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
	}
	if (c->c_stream != NULL && stream_pump(srv, c) != 0)
		return -1;
	for (int i = 0; i < CTL_REQS_PER_POLL && !c->c_closing && c->c_pending == NULL &&
	     c->c_stream == NULL && buf_pending(&c->c_out) == 0 &&
	     srv->s_poll_bytes < CTL_POLL_BYTES; i++) {
		char *nl = memchr(c->c_rbuf, '\n', c->c_rlen);
		size_t len;

		if (nl != NULL) {
			len = (size_t)(nl - c->c_rbuf) + 1;
			rc = ctl_answer(srv, c, c->c_rbuf, len);
			memmove(c->c_rbuf, c->c_rbuf + len, c->c_rlen - len);
			c->c_rlen -= len;
		} else if (c->c_rlen == CTL_REQ_MAX) {
			/* No newline in a full buffer: too long, and no way to resync. */
			rc = frame_line(&c->c_out, CTL_TOO_LONG, true,
					ctl_code_name(CTL_TOO_LONG),
					strlen(ctl_code_name(CTL_TOO_LONG)));
			rc = rc == 0 ? 1 : rc;
			c->c_rlen = 0;
			c->c_closing = true;
		} else if (c->c_eof) {
			/* A last request without its newline is still a request. */
			rc = c->c_rlen > 0 ? ctl_answer(srv, c, c->c_rbuf, c->c_rlen) : 0;
			c->c_rlen = 0;
			c->c_closing = true;
		} else {
			break;
		}
		/* Output pending from now: the stall clock starts. */
		c->c_sent_ms = srv->s_now_ms;
		if (rc < 0 || client_flush(c) != 0)
			return -1;
		answered += rc;
	}
	if (c->c_closing && buf_pending(&c->c_out) == 0 && c->c_pending == NULL &&
	    c->c_stream == NULL)
		return -1;
	return client_timed_out(srv, c) ? -1 : answered;
}

/*
 * Deferred replies
 */

struct ctl_pending *
ctl_defer(struct ctl_out *out)
{
	struct ctl_pending *p;

	if (out->o_defer != NULL)
		return out->o_defer;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	/* Move what the handler produced so far; the server's out starts over. */
	p->p_out = *out;
	p->p_out.o_fd = -1;	/* the peer is asked in the handler only */
	memset(&out->o_text, 0, sizeof(out->o_text));
	out_clear(out);
	out->o_defer = p;
	return p;
}

struct ctl_out *
ctl_pending_out(struct ctl_pending *p)
{
	return &p->p_out;
}

bool
ctl_pending_gone(const struct ctl_pending *p)
{
	return p->p_client == NULL;
}

void
ctl_pending_finish(struct ctl_pending *p)
{
	struct ctl_client *c = p->p_client;

	if (c != NULL) {
		c->c_pending = NULL;
		/* Send now what the socket takes; the next poll does the rest, and
		 * runs the client's next request. */
		/* The wait was no idleness, and the stall clock starts now. */
		c->c_active_ms = now_ms();
		c->c_sent_ms = c->c_active_ms;
		if (frame_reply(&c->c_out, &p->p_out, p->p_cmd) != 0 || client_flush(c) != 0)
			c->c_broken = true;
	}
	out_reset(&p->p_out, false);
	buf_free(&p->p_out.o_text);
	free(p);
}

int
ctl_server_poll(struct ctl_server *srv)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int slot[CTL_MAX_CLIENTS + 1];
	int n = 0, nc, answered = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = srv->s_clients[i];

		if (c == NULL)
			continue;
		pfd[n].fd = c->c_fd;
		pfd[n].events = 0;
		pfd[n].revents = 0;
		if (!c->c_closing && !c->c_eof && c->c_rlen < CTL_REQ_MAX)
			pfd[n].events |= POLLIN;
		if (buf_pending(&c->c_out) > 0)
			pfd[n].events |= POLLOUT;
		slot[n++] = i;
	}
	if (srv->s_fd >= 0) {
		pfd[n].fd = srv->s_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		slot[n++] = -1;
	}
	if (n == 0)
		return 0;
	if (poll(pfd, (nfds_t)n, 0) < 0)
		return errno == EINTR ? 0 : -errno;

	/*
	 * Clients run even without events: requests may wait in c_rbuf.  The
	 * first one served turns, so that the CTL_POLL_BYTES bound never
	 * starves the clients after a busy one.
	 */
	srv->s_now_ms = now_ms();
	srv->s_poll_bytes = 0;
	nc = srv->s_fd >= 0 ? n - 1 : n;
	for (int j = 0; j < nc; j++) {
		int k = (int)((srv->s_next + (unsigned int)j) % (unsigned int)nc);
		struct ctl_client *c;
		int rc;

		c = srv->s_clients[slot[k]];
		rc = client_service(srv, c, pfd[k].revents);
		if (rc < 0) {
			client_free(c);
			srv->s_clients[slot[k]] = NULL;
		} else {
			answered += rc;
		}
	}
	srv->s_next++;
	if (srv->s_fd >= 0 && (pfd[n - 1].revents & POLLIN) != 0) {
		for (int i = 0; i < CTL_ACCEPT_PER_POLL; i++) {
			int fd = accept4(srv->s_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				break;	/* EAGAIN, or EMFILE and the like: retry next call */
			}
			/* Failures are the client's (gone, refused): nothing to report. */
			if (ctl_server_adopt_fd(srv, fd) != 0)
				continue;
		}
	}
	return answered;
}

unsigned int
ctl_server_clients(const struct ctl_server *srv)
{
	unsigned int n = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		n += srv->s_clients[i] != NULL;
	return n;
}

/*
 * Opening and closing
 */

struct ctl_server *
ctl_server_open(const char *path, unsigned int mode, const char *owner, const char *group,
		bool readonly, char *err, size_t errlen)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		errno = ENOMEM;
		ctl_fail(err, errlen, "out of memory");
		return NULL;
	}
	srv->s_fd = -1;
	srv->s_readonly = readonly;
	srv->s_idle_ms = CTL_IDLE_MS;
	srv->s_stall_ms = CTL_STALL_MS;
	if (ctl_register(srv, ctl_builtins, sizeof(ctl_builtins) / sizeof(ctl_builtins[0]),
			 srv) != 0) {
		errno = ENOMEM;
		ctl_fail(err, errlen, "out of memory");
		ctl_server_close(srv);
		return NULL;
	}
	if (path != NULL) {
		struct ctl_sock k;
		int rc = ctl_sock_listen(&k, path, mode, owner, group, err, errlen), e = errno;

		/* What was made is the server's to close, also on failure. */
		srv->s_fd = k.k_fd;
		srv->s_own_file = k.k_own_file;
		srv->s_dev = k.k_dev;
		srv->s_ino = k.k_ino;
		snprintf(srv->s_path, sizeof(srv->s_path), "%s", k.k_path);
		if (rc != 0) {
			ctl_server_close(srv);
			errno = e;
			return NULL;
		}
	}
	return srv;
}

void
ctl_server_timeouts(struct ctl_server *srv, unsigned int idle_ms, unsigned int stall_ms)
{
	srv->s_idle_ms = idle_ms;
	srv->s_stall_ms = stall_ms;
}

void
ctl_server_close(struct ctl_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->s_clients[i] != NULL)
			client_free(srv->s_clients[i]);
	if (srv->s_fd >= 0)
		close(srv->s_fd);
	/* Unlink only our own socket, not one a successor put there. */
	if (srv->s_own_file && lstat(srv->s_path, &st) == 0 && st.st_dev == srv->s_dev &&
	    st.st_ino == srv->s_ino)
		unlink(srv->s_path);
	out_reset(&srv->s_out, false);
	buf_free(&srv->s_out.o_text);
	free(srv->s_cmds);
	free(srv);
}
