/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: streamed replies (ctl_stream() in ctl.h).
 *
 * A streamed reply is framed like any other (docs/control-protocol.md):
 * text as `0000-` lines, JSON as one `0000-` line holding one document,
 * then the final line.  The difference is only when the bytes are made: a
 * step at a time, each step's output framed at once into the client's
 * buffer, so that the buffer never holds more than CTL_STREAM_LOW plus a
 * step.  ctl.c decides when a step runs; this file runs it and frames it.
 *
 * A JSON reply is an array: "0000-[" when the stream starts, each step's
 * elements compact and comma-separated, "]\n" and `0000 ok` at the end.
 * A step that fails closes the array (what was sent is a valid document)
 * and sends the error as the final line.
 */
#include <errno.h>
#include <stdlib.h>

#include "control/ctl/ctl.h"
#include "control/ctl/ctl_priv.h"

struct ctl_stream {
	ctl_stream_fn s_fn;
	void (*s_fini)(void *ctx);
	void *s_ctx;
	bool s_json;		/* the request had -j */
	size_t s_items;		/* JSON elements sent so far */
};

int
ctl_stream(struct ctl_out *out, ctl_stream_fn fn, void (*fini)(void *ctx), void *ctx)
{
	struct ctl_stream *s;

	if (out->o_stream != NULL || out->o_defer != NULL || fn == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		if (fini != NULL)
			fini(ctx);
		ctl_error(out, CTL_FAILED, out->o_stream != NULL || out->o_defer != NULL ?
			  "internal error: a reply streamed twice or deferred" :
			  "out of memory");
		return -1;
	}
	s->s_fn = fn;
	s->s_fini = fini;
	s->s_ctx = ctx;
	s->s_json = out->o_json;
	out->o_stream = s;
	return 0;
}

bool
ctl_stream_full(const struct ctl_out *out)
{
	if (out->o_json)
		return json_is_array(out->o_value) &&
		       json_array_size(out->o_value) >= CTL_STREAM_ITEMS;
	return out->o_text.b_len >= CTL_STREAM_CHUNK;
}

void
ctl_stream_free(struct ctl_stream *s)
{
	if (s == NULL)
		return;
	if (s->s_fini != NULL)
		s->s_fini(s->s_ctx);
	free(s);
}

struct stream_sink {
	struct ctl_buf *ss_buf;
	int ss_err;
};

static int
stream_sink_add(const char *data, size_t n, void *arg)
{
	struct stream_sink *ss = arg;

	ss->ss_err = buf_add(ss->ss_buf, data, n, CTL_REPLY_MAX);
	return ss->ss_err != 0 ? -1 : 0;
}

int
ctl_stream_start(struct ctl_stream *s, struct ctl_buf *b, struct ctl_out *out)
{
	if (s->s_json)
		return buf_add(b, "0000-[", 6, CTL_REPLY_MAX);
	return frame_text(b, CTL_OK, out->o_text.b_data, out->o_text.b_len, false);
}

/* The step's JSON elements, each after a comma but the reply's first. */
static int
frame_items(struct ctl_stream *s, struct ctl_buf *b, const json_t *arr)
{
	struct stream_sink ss = { .ss_buf = b };
	size_t i;
	json_t *v;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, v) {
		if (s->s_items++ > 0 && buf_add(b, ",", 1, CTL_REPLY_MAX) != 0)
			return -ENOMEM;
		if (json_dump_callback(v, stream_sink_add, &ss,
				       JSON_COMPACT | JSON_ENCODE_ANY) != 0)
			return ss.ss_err != 0 ? ss.ss_err : -EINVAL;
	}
	return 0;
}

int
ctl_stream_step(struct ctl_stream *s, struct ctl_buf *b, struct ctl_out *out)
{
	int more, rc;

	out_reset(out, s->s_json);
	more = s->s_fn(out, s->s_ctx);
	if (more < 0 && out->o_code == CTL_OK)
		ctl_error(out, CTL_FAILED, "%s", ctl_code_name(CTL_FAILED));
	if (out->o_code == CTL_OK && out->o_nomem)
		ctl_error(out, CTL_FAILED, "out of memory");
	if (out->o_code == CTL_OK) {
		if (s->s_json)
			rc = frame_items(s, b, out->o_value);
		else
			rc = frame_text(b, CTL_OK, out->o_text.b_data, out->o_text.b_len,
					out->o_cut);
		if (rc == -EINVAL)
			ctl_error(out, CTL_FAILED, "cannot encode the reply as JSON");
		else if (rc != 0)
			return -ENOMEM;
	}
	if (out->o_code == CTL_OK && more > 0)
		return 1;
	/* Over, or failed: close the document, then the final line. */
	if (s->s_json && buf_add(b, "]\n", 2, CTL_REPLY_MAX) != 0)
		return -ENOMEM;
	rc = out->o_code == CTL_OK ? frame_line(b, CTL_OK, true, "ok", 2) :
				     frame_error(b, out, NULL);
	return rc != 0 ? -ENOMEM : 0;
}
