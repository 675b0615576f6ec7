/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: request lines, both ways (see ctl.h and docs/control-protocol.md,
 * "Requests").
 *
 * ctl_parse_line() splits a line into words for the server; the client
 * writes lines with ctl_format_request() by the same quoting rules, so
 * any argv round-trips.  Both are pure: no allocation, no state, safe on
 * any bytes (they are fuzzed: tests/fuzz/fuzz_ctl.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl/ctl.h"

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Returns NULL if s[0, len) is valid UTF-8 without NUL, without C0 controls
 * other than tab, DEL or C1 controls (they could drive a terminal the reply
 * is echoed to), else the reason.
 */
static const char *
text_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (c == 0)
			return "NUL byte in request";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character in request";
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return "invalid UTF-8 in request";
		}
		if (len - i < n)
			return "invalid UTF-8 in request";
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "invalid UTF-8 in request";
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return "invalid UTF-8 in request";
		if (cp >= 0x80 && cp <= 0x9f)
			return "control character in request";
		i += n;
	}
	return NULL;
}

/* Option words before the command: -j, and -p N (protocol version). */
static enum ctl_code
parse_option(struct ctl_req *req, const char *w, const char *next, bool *used_next)
{
	unsigned long v;
	char *end;

	*used_next = false;
	if (strcmp(w, "-j") == 0) {
		req->json = true;
		return CTL_OK;
	}
	if (strcmp(w, "-p") != 0) {
		req->why = "unknown option";
		return CTL_SYNTAX;
	}
	if (next == NULL) {
		req->why = "missing protocol version after -p";
		return CTL_SYNTAX;
	}
	*used_next = true;
	errno = 0;
	v = strtoul(next, &end, 10);
	if (next[0] < '0' || next[0] > '9' || *end != '\0' || errno != 0) {
		req->why = "invalid protocol version after -p";
		return CTL_SYNTAX;
	}
	if (v != CTL_PROTO_VERSION) {
		req->why = "unsupported protocol version";
		return CTL_VERSION;
	}
	return CTL_OK;
}

enum ctl_code
ctl_parse_line(const char *line, size_t len, struct ctl_req *req)
{
	bool quoted[CTL_MAX_ARGS + 3];
	char *words[CTL_MAX_ARGS + 3];
	size_t i = 0, o = 0;
	int nw = 0, first;
	enum ctl_code rc;

	req->json = false;
	req->argc = 0;
	req->argv[0] = NULL;
	req->why = NULL;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > CTL_REQ_MAX - 1) {
		req->why = "request too long";
		return CTL_TOO_LONG;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	req->why = text_invalid((const unsigned char *)line, len);
	if (req->why != NULL)
		return CTL_SYNTAX;

	/*
	 * Words go to buf NUL-terminated.  Each stored word is no longer than
	 * its source and is followed by a separator or the end of the line, so
	 * buf (CTL_REQ_MAX >= len + 1) always has room.  Two more words than
	 * CTL_MAX_ARGS are kept so that "-j -p 1" does not count.
	 */
	for (;;) {
		while (i < len && is_sep(line[i]))
			i++;
		if (i == len)
			break;
		if (nw == CTL_MAX_ARGS + 3) {
			req->why = "too many words";
			return CTL_BAD_ARG;
		}
		words[nw] = req->buf + o;
		quoted[nw] = line[i] == '"';
		if (quoted[nw]) {
			for (i++;; i++) {
				if (i == len) {
					req->why = "unterminated quote";
					return CTL_SYNTAX;
				}
				if (line[i] == '"')
					break;
				if (line[i] == '\\') {
					if (i + 1 == len ||
					    (line[i + 1] != '"' && line[i + 1] != '\\')) {
						req->why = "invalid escape in quotes";
						return CTL_SYNTAX;
					}
					i++;
				}
				req->buf[o++] = line[i];
			}
			i++;
			if (i < len && !is_sep(line[i])) {
				req->why = "closing quote inside a word";
				return CTL_SYNTAX;
			}
		} else {
			for (; i < len && !is_sep(line[i]); i++) {
				if (line[i] == '"') {
					req->why = "quote inside a word";
					return CTL_SYNTAX;
				}
				req->buf[o++] = line[i];
			}
		}
		req->buf[o++] = '\0';
		nw++;
	}

	/* Leading unquoted words that start with '-' are options. */
	for (first = 0; first < nw && !quoted[first] && words[first][0] == '-'; first++) {
		bool used_next;

		rc = parse_option(req, words[first], first + 1 < nw ? words[first + 1] : NULL,
				  &used_next);
		if (rc != CTL_OK)
			return rc;
		if (used_next)
			first++;
	}
	if (first > 0 && first == nw) {
		req->why = "missing command";
		return CTL_SYNTAX;
	}
	if (nw - first > CTL_MAX_ARGS) {
		req->why = "too many words";
		return CTL_BAD_ARG;
	}
	for (int k = first; k < nw; k++)
		req->argv[req->argc++] = words[k];
	req->argv[req->argc] = NULL;
	return CTL_OK;
}

static bool
word_needs_quotes(const char *w, bool first)
{
	return w[0] == '\0' || strpbrk(w, " \t\"\\") != NULL || (first && w[0] == '-');
}

/* Appends w, quoted if needed, to buf[*n, size); false if it does not fit. */
static bool
word_put(char *buf, size_t size, size_t *n, const char *w, bool first)
{
	bool q = word_needs_quotes(w, first);
	size_t o = *n;

	if (q) {
		if (o >= size)
			return false;
		buf[o++] = '"';
	}
	for (; *w != '\0'; w++) {
		if (q && (*w == '"' || *w == '\\')) {
			if (o >= size)
				return false;
			buf[o++] = '\\';
		}
		if (o >= size)
			return false;
		buf[o++] = *w;
	}
	if (q) {
		if (o >= size)
			return false;
		buf[o++] = '"';
	}
	*n = o;
	return true;
}

int
ctl_format_request(char *buf, size_t size, bool json, int argc, char *const *argv)
{
	size_t n = 0, lim;

	if (argc < 1 || argc > CTL_MAX_ARGS)
		return -EINVAL;
	for (int i = 0; i < argc; i++)
		for (const unsigned char *p = (const unsigned char *)argv[i]; *p != '\0'; p++)
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				return -EINVAL;
	/* Room for the newline and the NUL; the line itself within CTL_REQ_MAX. */
	if (size < 2)
		return -E2BIG;
	lim = size - 2 < CTL_REQ_MAX - 1 ? size - 2 : CTL_REQ_MAX - 1;
	if (json) {
		if (lim < 3)
			return -E2BIG;
		memcpy(buf, "-j ", 3);
		n = 3;
	}
	for (int i = 0; i < argc; i++) {
		if (i > 0) {
			if (n >= lim)
				return -E2BIG;
			buf[n++] = ' ';
		}
		if (!word_put(buf, lim, &n, argv[i], i == 0))
			return -E2BIG;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return (int)n;
}

