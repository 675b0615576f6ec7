/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: fuzz target for the control socket.
 *
 * Each input is used twice:
 *  1. Every line of it goes through ctl_parse_line(); a line that parses is
 *     written back with ctl_format_request() and must parse to the same
 *     words (the client's quoting and the server's tokenizer agree).
 *  2. All of it is sent as raw bytes, in chunks whose size the first byte
 *     picks (bits 0-3), into a server connection (a socketpair handed over with
 *     ctl_server_adopt_fd()), to a read-write or a read-only server (bit 7).  The
 *     byte stream that comes back must be well framed: every line "NNNN-"
 *     or "NNNN ", valid UTF-8 with no control character but tab, a greeting
 *     first, "0000 ok" as the only successful final line, no more replies
 *     than request lines; and the server must hang up after our EOF.  One
 *     command (`show count N`) streams its reply (ctl_stream()); its
 *     cursors must all be freed once the server has hung up.
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/ctl/ctl.h"

#define FUZZ_ROUNDS 20000	/* poll rounds per input before declaring a stall */

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_ctl: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

static int
cmd_echo(struct ctl_out *out, int argc, char **argv, void *arg)
{
	json_t *a = ctl_out_json(out) ? json_array() : NULL;

	(void)arg;
	for (int i = 0; i < argc; i++) {
		if (a != NULL)
			json_array_append_new(a, json_string(argv[i]));
		else
			ctl_printf(out, "%s\n", argv[i]);
	}
	if (a != NULL)
		ctl_json(out, a);
	return 0;
}

static int
cmd_set(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)arg;
	if (argc != 2) {
		ctl_error(out, CTL_BAD_ARG, "expected NAME VALUE, got %d words", argc);
		return -1;
	}
	ctl_printf(out, "%s=%s\n", argv[0], argv[1]);
	return 0;
}

static int
cmd_fail(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)arg;
	ctl_printf(out, "dropped\n");
	ctl_error(out, CTL_NOT_FOUND, "not found: %s\ndetail\n\nmore", argc > 0 ? argv[0] : "");
	return -1;
}

static int
cmd_json(struct ctl_out *out, int argc, char **argv, void *arg)
{
	(void)argc;
	(void)argv;
	(void)arg;
	ctl_json(out, json_pack("{s[is]}", "a", 1, "x\ny\t\"z\""));
	return 0;
}

/*
 * "show count N [fail]": a streamed reply (ctl_stream()) of N lines, at
 * most 500, 7 a step; with "fail", the third step fails.  Every cursor
 * is freed once the connection is gone (checked after each input).
 */
struct counter {
	unsigned int next, n, steps;
	bool fail;
};

static unsigned int cursors_live;

static void
count_fini(void *ctx)
{
	free(ctx);
	cursors_live--;
}

static int
count_step(struct ctl_out *out, void *ctx)
{
	struct counter *k = ctx;
	json_t *a = NULL;

	if (k->fail && ++k->steps == 3) {
		ctl_error(out, CTL_NOT_FOUND, "gone\ndetail");
		return -1;
	}
	if (ctl_out_json(out)) {
		a = json_array();
		ctl_json(out, a);
	}
	for (int i = 0; i < 7 && k->next < k->n && !ctl_stream_full(out); i++, k->next++) {
		if (a != NULL)
			json_array_append_new(a, json_pack("{si}", "n", k->next));
		else
			ctl_printf(out, "line %u\n", k->next);
	}
	return k->next < k->n ? 1 : 0;
}

static int
cmd_count(struct ctl_out *out, int argc, char **argv, void *arg)
{
	struct counter *k;

	(void)arg;
	if (argc < 1 || argc > 2) {
		ctl_error(out, CTL_BAD_ARG, "expected N");
		return -1;
	}
	k = calloc(1, sizeof(*k));
	CHECK(k != NULL);
	k->n = (unsigned int)strtoul(argv[0], NULL, 10) % 501;
	k->fail = argc == 2;
	cursors_live++;
	if (!ctl_out_json(out))
		ctl_printf(out, "head %s\n", argv[0]);
	return ctl_stream(out, count_step, count_fini, k);
}

static const struct ctl_cmd fuzz_cmds[] = {
	{ "show count", "N [fail]", "stream N lines", cmd_count, CTL_F_READONLY },
	{ "echo", "[WORD...]", "print the words", cmd_echo, CTL_F_READONLY },
	{ "set", "NAME VALUE", "change", cmd_set, 0 },
	{ "show fail", "[WORD]", "fail", cmd_fail, CTL_F_READONLY },
	{ "show json", "", "JSON only", cmd_json, CTL_F_READONLY },
	{ "show json x", "", "longer match", cmd_echo, 0 },
};

static struct ctl_server *
server(bool readonly)
{
	static struct ctl_server *srv[2];
	char err[128];

	if (srv[readonly] == NULL) {
		srv[readonly] = ctl_server_open(NULL, 0, NULL, NULL, readonly, err, sizeof(err));
		CHECK(srv[readonly] != NULL);
		CHECK(ctl_register(srv[readonly], fuzz_cmds,
				   sizeof(fuzz_cmds) / sizeof(fuzz_cmds[0]), NULL) == 0);
	}
	return srv[readonly];
}

static void
check_roundtrip(const char *line, size_t len)
{
	static struct ctl_req a, b;
	static char buf[CTL_REQ_MAX + 1];
	int n;

	if (ctl_parse_line(line, len, &a) != CTL_OK) {
		CHECK(a.why != NULL);
		return;
	}
	CHECK(a.argc >= 0 && a.argc <= CTL_MAX_ARGS && a.argv[a.argc] == NULL);
	if (a.argc == 0)
		return;
	n = ctl_format_request(buf, sizeof(buf), a.json, a.argc, a.argv);
	if (n == -E2BIG)	/* quoting may lengthen a line past the limit */
		return;
	CHECK(n > 0 && (size_t)n == strlen(buf) && buf[n - 1] == '\n');
	CHECK(ctl_parse_line(buf, (size_t)n, &b) == CTL_OK);
	CHECK(a.json == b.json && a.argc == b.argc);
	for (int i = 0; i < a.argc; i++)
		CHECK(strcmp(a.argv[i], b.argv[i]) == 0);
}

/* Checks one reply line; returns true if it is a final line. */
static bool
check_line(const unsigned char *s, size_t len, bool first)
{
	size_t i = 0;

	CHECK(len >= 5);
	for (int k = 0; k < 4; k++)
		CHECK(s[k] >= '0' && s[k] <= '9');
	CHECK(s[4] == '-' || s[4] == ' ');
	if (first)
		CHECK(len > 9 && memcmp(s, "0000 dpf ", 9) == 0);
	else if (s[4] == ' ' && memcmp(s, "0000", 4) == 0)
		CHECK(len == 7 && memcmp(s, "0000 ok", 7) == 0);
	/* UTF-8, no control characters but tab. */
	while (i < len) {
		size_t n = s[i] < 0x80 ? 1 : s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;

		CHECK(s[i] >= 0x20 || s[i] == '\t');
		CHECK(s[i] != 0x7f && (s[i] < 0x80 || s[i] >= 0xc2) && s[i] <= 0xf4);
		CHECK(len - i >= n);
		for (size_t k = 1; k < n; k++)
			CHECK((s[i + k] & 0xc0) == 0x80);
		i += n;
	}
	return s[4] == ' ';
}

struct sink {
	unsigned char buf[65536];
	size_t len;
	size_t lines;
	size_t finals;
};

/* Reads what the server sent; returns false at EOF. */
static bool
drain(int fd, struct sink *k)
{
	for (;;) {
		ssize_t n = recv(fd, k->buf + k->len, sizeof(k->buf) - k->len, MSG_DONTWAIT);
		unsigned char *p, *nl;

		if (n == 0)
			return false;
		if (n < 0) {
			CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNRESET);
			return errno != ECONNRESET;
		}
		k->len += (size_t)n;
		p = k->buf;
		while ((nl = memchr(p, '\n', k->len - (size_t)(p - k->buf))) != NULL) {
			k->finals += check_line(p, (size_t)(nl - p), k->lines == 0);
			k->lines++;
			p = nl + 1;
		}
		k->len -= (size_t)(p - k->buf);
		memmove(k->buf, p, k->len);
		/* The fuzz commands print nothing near this long. */
		CHECK(k->len < sizeof(k->buf));
	}
}

static void
run_server(const uint8_t *data, size_t size)
{
	struct ctl_server *srv = server(size > 0 && (data[0] & 0x80) != 0);
	size_t chunk = (size_t)1 << (size > 0 ? data[0] & 0x0f : 0);	/* 1 B .. 32 KiB */
	size_t sent = 0, newlines = 0;
	struct sink k = { .len = 0 };
	bool open = true, shut = false;
	int sv[2], i;

	for (size_t j = 0; j < size; j++)
		newlines += data[j] == '\n';
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CHECK(ctl_server_adopt_fd(srv, sv[1]) == 0);
	for (i = 0; i < FUZZ_ROUNDS && open; i++) {
		if (sent < size) {
			size_t n = size - sent < chunk ? size - sent : chunk;
			ssize_t w = send(sv[0], data + sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				sent += (size_t)w;
			else
				CHECK(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
			/* The server may hang up first (9003): stop sending. */
			if (w < 0 && errno != EAGAIN)
				sent = size;
		} else if (!shut) {
			shutdown(sv[0], SHUT_WR);
			shut = true;
		}
		CHECK(ctl_server_poll(srv) >= 0);
		open = drain(sv[0], &k);
	}
	/* EOF makes the server answer what is left and hang up. */
	CHECK(!open);
	CHECK(k.len == 0 && k.lines > 0);
	CHECK(k.finals <= newlines + 2);	/* greeting, and a last unterminated line */
	/* The server hung up: no streamed reply's cursor is left. */
	CHECK(cursors_live == 0);
	close(sv[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	check_roundtrip(p, size);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl + 1 : end;

		check_roundtrip(p, (size_t)(e - p));
		p = e;
	}
	run_server(data, size);
	return 0;
}
