/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: dpfctl, the control socket client.
 *
 * dpfctl [-j] [-s SOCKET] [-t TIMEOUT] COMMAND [ARG...]
 *
 * Connects, checks the greeting's protocol version, sends one request built
 * by ctl_format_request() (so quoting is the server's own rule), and copies
 * the reply: output lines to stdout as they arrive, an error's message and
 * details to stderr.  With -j the single JSON line of the reply is printed
 * indented.  The whole exchange is bounded by TIMEOUT, so a stuck server
 * never hangs a script.  Exit status: 0 ok, 1 the server answered with an
 * error code, 2 anything else (usage, connection, timeout, protocol).
 * See docs/dpfctl.md and docs/control-protocol.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control/ctl/ctl.h"

#define DPFCTL_SOCKET "/run/dpf/dpf.sock"
#define DPFCTL_TIMEOUT 10.0
#define EXIT_REFUSED 1			/* the server answered with an error code */
#define EXIT_TROUBLE 2			/* usage, connection, timeout, protocol */
/*
 * A reply line: a whole reply is at most CTL_REPLY_MAX, but a streamed one
 * (`-j show states` of a large table) is one JSON line of any length; this
 * only keeps a broken server from eating all memory.
 */
#define LINE_MAX_BYTES ((size_t)1 << 32)

#define CTL_RETRY_MS 50	/* pause before connecting again after 9006 */

struct conn {
	int fd;
	const char *path;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	char *buf;			/* received, not yet consumed: [off, len) */
	size_t off;
	size_t len;
	size_t cap;
};

/* What read_reply() collects besides streaming text to stdout. */
struct reply {
	int code;			/* of the final line */
	char *final;			/* its text */
	bool json;			/* keep code-0 lines in data instead of printing */
	bool quiet;			/* ignore code-0 lines (the greeting) */
	char *data;			/* JSON text */
	size_t data_len;
	char *detail;			/* lines of an error code, '\n'-separated */
	size_t detail_len;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: dpfctl [-j] [-s SOCKET] [-t TIMEOUT] COMMAND [ARG...]\n"
		"  -j          print the reply as one JSON document\n"
		"  -s SOCKET   control socket (default: $DPF_SOCKET, else %s)\n"
		"  -t TIMEOUT  seconds allowed for the whole exchange (default %g)\n"
		"  -h          print this help\n"
		"\"dpfctl help\" lists the commands.\n",
		DPFCTL_SOCKET, DPFCTL_TIMEOUT);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("dpfctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Milliseconds left before the deadline, 0 when it has passed. */
static int
ms_left(const struct conn *c)
{
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(c->deadline.tv_sec - now.tv_sec) * 1e3 +
	     (double)(c->deadline.tv_nsec - now.tv_nsec) / 1e6;
	if (ms <= 0)
		return 0;
	return ms > 1e9 ? 1000000000 : (int)ceil(ms);
}

static void
wait_fd(struct conn *c, short events, const char *what)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int rc;

	do {
		rc = poll(&p, 1, ms_left(c));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		die(EXIT_TROUBLE, "poll: %s", strerror(errno));
	if (rc == 0)
		die(EXIT_TROUBLE, "timed out %s %s", what, c->path);
}

/* The pid of a process named dpf on this machine, or 0 (none, or /proc unreadable). */
static long
dpf_running(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long pid = 0;

	while (d != NULL && pid == 0 && (e = readdir(d)) != NULL) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL && strcmp(comm, "dpf\n") == 0)
			pid = strtol(e->d_name, NULL, 10);
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return pid;
}

/*
 * Why a connect failed, and what to do: is a dpf running at all, and how
 * to name another socket.  A newcomer otherwise sees only "No such file".
 */
static void __attribute__((noreturn))
die_connect(const struct conn *c, int e)
{
	long pid = dpf_running();
	char running[96];

	if (pid != 0)
		snprintf(running, sizeof(running), "a dpf runs (pid %ld): is its socket "
			 "another one (system.control.socket)?", pid);
	else
		snprintf(running, sizeof(running), "no dpf process runs on this machine");
	switch (e) {
	case ENOENT:
		die(EXIT_TROUBLE, "cannot connect to %s: %s\ndpfctl: %s; name the socket with -s SOCKET "
		    "or DPF_SOCKET", c->path, strerror(e), running);
	case ECONNREFUSED:
		die(EXIT_TROUBLE, "cannot connect to %s: %s\ndpfctl: nobody listens on it (dpf stopped "
		    "or crashed); %s; name the socket with -s SOCKET or DPF_SOCKET", c->path,
		    strerror(e), running);
	case EACCES:
	case EPERM:
		die(EXIT_TROUBLE, "cannot connect to %s: %s\ndpfctl: its mode and group are "
		    "system.control's (mode, group; ro_mode, ro_group for the read-only "
		    "socket): join the group, or use the read-only socket for show commands",
		    c->path, strerror(e));
	default:
		die(EXIT_TROUBLE, "cannot connect to %s: %s", c->path, strerror(e));
	}
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path))
		die(EXIT_TROUBLE, "cannot connect to %s: %s", c->path, strerror(ENAMETOOLONG));
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die(EXIT_TROUBLE, "socket: %s", strerror(errno));
	/* A Unix connect() never sleeps; EAGAIN means a full backlog: retry. */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		struct timespec ten_ms = { 0, 10 * 1000 * 1000 };

		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || ms_left(c) == 0)
			die_connect(c, errno);
		nanosleep(&ten_ms, NULL);
	}
}

static void
conn_send(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				die(EXIT_TROUBLE, "cannot send to %s: %s", c->path,
				    strerror(errno));
			wait_fd(c, POLLOUT, "sending to");
			continue;
		}
		p += k;
		n -= (size_t)k;
	}
	/* Tells the server no more requests come: it closes after the reply. */
	shutdown(c->fd, SHUT_WR);
}

/* Returns the next line (NUL-terminated, without '\n'); exits on failure. */
static char *
conn_line(struct conn *c, size_t *len)
{
	for (;;) {
		char *nl = c->len > c->off ? memchr(c->buf + c->off, '\n', c->len - c->off) : NULL;
		ssize_t k;

		if (nl != NULL) {
			char *line = c->buf + c->off;

			*nl = '\0';
			*len = (size_t)(nl - line);
			c->off += *len + 1;
			return line;
		}
		if (c->len - c->off > LINE_MAX_BYTES)
			die(EXIT_TROUBLE, "protocol error: reply line from %s too long", c->path);
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap > 0 ? c->cap * 2 : 262144;
			char *p = realloc(c->buf, cap);

			if (p == NULL)
				die(EXIT_TROUBLE, "out of memory");
			c->buf = p;
			c->cap = cap;
		}
		k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (k > 0) {
			c->len += (size_t)k;
		} else if (k == 0) {
			die(EXIT_TROUBLE, "connection closed by %s before the reply ended",
			    c->path);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			wait_fd(c, POLLIN, "waiting for");
		} else if (errno != EINTR) {
			die(EXIT_TROUBLE, "cannot read from %s: %s", c->path, strerror(errno));
		}
	}
}

static void
append(char **dst, size_t *dlen, const char *src, size_t n)
{
	char *p = realloc(*dst, *dlen + n + 2);

	if (p == NULL)
		die(EXIT_TROUBLE, "out of memory");
	memcpy(p + *dlen, src, n);
	*dlen += n;
	p[(*dlen)++] = '\n';
	p[*dlen] = '\0';
	*dst = p;
}

/* Reads one reply: "NNNN-text" lines, then one "NNNN text" line. */
static void
read_reply(struct conn *c, struct reply *r)
{
	for (;;) {
		size_t len;
		char *line = conn_line(c, &len);
		int code;

		if (len < 5 || line[0] < '0' || line[0] > '9' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || line[3] < '0' || line[3] > '9' ||
		    (line[4] != '-' && line[4] != ' '))
			die(EXIT_TROUBLE, "protocol error: malformed reply line from %s", c->path);
		code = atoi(line) % 10000;
		if (line[4] == ' ') {
			r->code = code;
			r->final = strdup(line + 5);
			if (r->final == NULL)
				die(EXIT_TROUBLE, "out of memory");
			return;
		}
		if (code != 0)
			append(&r->detail, &r->detail_len, line + 5, len - 5);
		else if (r->json)
			append(&r->data, &r->data_len, line + 5, len - 5);
		else if (!r->quiet)
			printf("%s\n", line + 5);
	}
}

static void
reply_free(struct reply *r)
{
	free(r->final);
	free(r->data);
	free(r->detail);
}

/*
 * Reads and checks the greeting.  Returns false for `9006 too many
 * clients` (the caller may try again); exits on anything else that is not
 * a greeting it can speak to.
 */
static bool
check_greeting(struct conn *c)
{
	struct reply r = { .quiet = true };
	const char *p;
	char *end;
	long v;

	read_reply(c, &r);
	if (r.code == CTL_TOO_MANY && ms_left(c) > CTL_RETRY_MS) {
		reply_free(&r);
		return false;
	}
	if (r.code != 0) {
		fprintf(stderr, "dpfctl: %s (code %04d)\n", r.final, r.code);
		exit(EXIT_REFUSED);
	}
	p = strstr(r.final, " protocol ");
	if (strncmp(r.final, "dpf ", 4) != 0 || p == NULL)
		die(EXIT_TROUBLE, "%s is not a dpf control socket (greeting \"%s\")", c->path,
		    r.final);
	errno = 0;
	v = strtol(p + 10, &end, 10);
	if (errno != 0 || end == p + 10 || (*end != '\0' && *end != ' '))
		die(EXIT_TROUBLE, "%s sent an unreadable greeting \"%s\"", c->path, r.final);
	if (v != CTL_PROTO_VERSION)
		die(EXIT_TROUBLE, "%s speaks control protocol %ld, this dpfctl speaks %d",
		    c->path, v, CTL_PROTO_VERSION);
	reply_free(&r);
	return true;
}

static double
parse_timeout(const char *s)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(t > 0) || t > 86400) {
		fprintf(stderr, "dpfctl: invalid timeout \"%s\" (seconds, > 0)\n", s);
		exit(EXIT_TROUBLE);
	}
	return t;
}

/*
 * `configure FILE ...` and `configure check FILE`: dpf reads FILE from its
 * own working directory, so a relative name is made absolute here, from
 * the client's.  The other words of configure are keywords, and the word
 * after "timeout" is a number.
 */
static void
absolute_files(int argc, char **argv)
{
	static char buf[2][4096];
	char cwd[2048];
	int k = 0;

	if (argc < 2 || strcmp(argv[0], "configure") != 0)
		return;
	for (int i = 1; i < argc && k < 2; i++) {
		const char *w = argv[i];

		if (strcmp(w, "check") == 0 || strcmp(w, "confirm") == 0 ||
		    strcmp(w, "undo") == 0 || strcmp(w, "status") == 0 || w[0] == '/' ||
		    strcmp(w, "timeout") == 0 || strcmp(argv[i - 1], "timeout") == 0)
			continue;
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return;	/* dpf resolves it, from its own directory */
		snprintf(buf[k], sizeof(buf[k]), "%s/%s", cwd, w);
		argv[i] = buf[k++];
	}
}

int
main(int argc, char **argv)
{
	char request[CTL_REQ_MAX + 1];
	struct conn c = { .fd = -1 };
	struct reply r = { 0 };
	double timeout = DPFCTL_TIMEOUT;
	bool json = false;
	int opt, n;

	c.path = getenv("DPF_SOCKET");
	if (c.path == NULL || c.path[0] == '\0')
		c.path = DPFCTL_SOCKET;
	/* '+': options end at the command, whose arguments may start with '-'. */
	while ((opt = getopt(argc, argv, "+hjs:t:")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 's':
			c.path = optarg;
			break;
		case 't':
			timeout = parse_timeout(optarg);
			break;
		default:
			usage(stderr);
			return EXIT_TROUBLE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	absolute_files(argc - optind, argv + optind);
	n = ctl_format_request(request, sizeof(request), json, argc - optind, argv + optind);
	if (n == -EINVAL && argc - optind > CTL_MAX_ARGS)
		die(EXIT_TROUBLE, "too many words (at most %d)", CTL_MAX_ARGS);
	if (n == -EINVAL)
		die(EXIT_TROUBLE, "arguments must not contain control characters");
	if (n < 0)
		die(EXIT_TROUBLE, "request too long (at most %d bytes)", CTL_REQ_MAX);

	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += (time_t)timeout;
	c.deadline.tv_nsec += (long)((timeout - floor(timeout)) * 1e9);
	if (c.deadline.tv_nsec >= 1000000000L) {
		c.deadline.tv_sec++;
		c.deadline.tv_nsec -= 1000000000L;
	}
	/*
	 * 9006 is passing: the server gives the slot of an idle client to a new
	 * one, and drops idle and stalled ones; try again until the deadline.
	 */
	for (;;) {
		struct timespec pause = { 0, CTL_RETRY_MS * 1000L * 1000L };

		conn_open(&c);
		if (check_greeting(&c))
			break;
		close(c.fd);
		c.off = 0;
		c.len = 0;
		nanosleep(&pause, NULL);
	}
	conn_send(&c, request, (size_t)n);

	r.json = json;
	read_reply(&c, &r);
	close(c.fd);
	free(c.buf);
	if (r.code != 0) {
		if (fflush(stdout) != 0)
			die(EXIT_TROUBLE, "cannot write output: %s", strerror(errno));
		fprintf(stderr, "dpfctl: %s (code %04d)\n", r.final, r.code);
		if (r.detail != NULL)
			fputs(r.detail, stderr);
		reply_free(&r);
		return EXIT_REFUSED;
	}
	if (json) {
		json_error_t jerr;
		json_t *v = r.data != NULL ?
			json_loadb(r.data, r.data_len, JSON_DECODE_ANY, &jerr) : NULL;

		if (v == NULL)
			die(EXIT_TROUBLE, "protocol error: the reply holds no valid JSON");
		json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		putchar('\n');
		json_decref(v);
	}
	reply_free(&r);
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EXIT_TROUBLE, "cannot write output: %s", strerror(errno));
	return 0;
}
