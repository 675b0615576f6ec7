/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: config loader core.
 *
 * Loading is three steps: Jansson parses the text (syntax errors and, with
 * JSON_REJECT_DUPLICATES, duplicate keys, with Jansson's line and column);
 * jsonpos indexes the same text so that every later error can name the
 * path, line and column of the value it is about; then cfg_walk() applies
 * the schema tables of config_schema.c to the Jansson tree, filling a
 * zeroed struct dpf_config.
 *
 * The first error stops the load.  Every allocation is hung on the config
 * as soon as it is made (counts updated with it), so cfg_free() releases a
 * half-built config on any error path and there is no second cleanup path
 * to keep in sync.
 */
#include "control/config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config/config_priv.h"
#include "control/rules/rules.h"

#define CFG_FILE_MAX (64u << 20)	/* bytes of config text */
#define CFG_KEY_FILE_READ 256		/* bytes of a key file looked at */
#define CFG_TABLE_FILE_MAX (64u << 20)	/* bytes of a table file */

void
cfg_error_format(const struct cfg_error *err, const char *file, char *buf, size_t len)
{
	char pos[32] = "";

	if (len == 0)
		return;
	if (err->line > 0)
		snprintf(pos, sizeof(pos), ":%d:%d", err->line, err->column);
	snprintf(buf, len, "%s%s: %s%s%s", file != NULL ? file : "-", pos, err->path,
		 err->path[0] != '\0' ? ": " : "", err->msg);
}

/* Keeps an error on one line whatever the input held. */
static void
cfg_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Fills e for node of pos (its key's position with at_key). */
static void __attribute__((format(printf, 5, 0)))
cfg_vfail(const struct jpos *pos, struct cfg_error *e, uint32_t node, bool at_key,
	  const char *fmt, va_list ap)
{
	memset(e, 0, sizeof(*e));
	if (pos != NULL && node < pos->n) {
		const struct jpos_node *n = &pos->nodes[node];

		jpos_path(pos, node, e->path, sizeof(e->path));
		if (at_key && n->key_line > 0) {
			e->line = n->key_line;
			e->column = n->key_column;
		} else {
			e->line = n->line;
			e->column = n->column;
		}
	}
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	cfg_sanitize(e->msg);
}

int
cfg_fail(struct cfg_ld *ld, uint32_t node, bool at_key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(&ld->pos, ld->err, node, at_key, fmt, ap);
	va_end(ap);
	return -1;
}

int
cfg_fail_at(const struct dpf_config *cfg, struct cfg_error *err, const char *path,
	    const char *fmt, ...)
{
	const struct jpos *pos = cfg->pos;
	uint32_t node = JPOS_ROOT, next;
	const char *p = path;
	char key[128];
	va_list ap;

	while (pos != NULL && node < pos->n && *p != '\0') {
		size_t n = strcspn(p, ".[");

		if (*p == '[') {
			next = jpos_element(pos, node, strtoul(p + 1, NULL, 10));
			p += strcspn(p, "]");
			p += *p == ']';
		} else if (n > 0 && n < sizeof(key)) {
			memcpy(key, p, n);
			key[n] = '\0';
			next = jpos_member(pos, node, key);
			p += n;
		} else {
			next = JPOS_NONE;
			p += n;
		}
		if (*p == '.')
			p++;
		if (next == JPOS_NONE)
			break;
		node = next;
	}
	va_start(ap, fmt);
	cfg_vfail(pos, err, node, false, fmt, ap);
	va_end(ap);
	/* No index (it failed to build): the path as asked, without a position. */
	if (pos == NULL || node >= pos->n)
		snprintf(err->path, sizeof(err->path), "%s", path);
	return -1;
}

static const char *
cfg_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

int
cfg_fail_type(struct cfg_ld *ld, const struct cfg_val *v, const char *what)
{
	return cfg_fail_val(ld, v, "expected %s, got %s", what, cfg_type_name(v->j));
}

struct cfg_val
cfg_member(struct cfg_ld *ld, const struct cfg_val *obj, const char *key)
{
	struct cfg_val v = { .j = NULL, .node = obj->node };

	if (obj->j != NULL && json_is_object(obj->j))
		v.j = json_object_get(obj->j, key);
	if (v.j != NULL)
		v.node = jpos_member(&ld->pos, obj->node, key);
	return v;
}

struct cfg_val
cfg_element(struct cfg_ld *ld, const struct cfg_val *arr, size_t i)
{
	struct cfg_val v = { .j = NULL, .node = arr->node };

	if (arr->j != NULL && json_is_array(arr->j))
		v.j = json_array_get(arr->j, i);
	if (v.j != NULL)
		v.node = jpos_element(&ld->pos, arr->node, i);
	return v;
}

int
cfg_get_uint(struct cfg_ld *ld, const struct cfg_val *v, uint64_t min, uint64_t max,
	     uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v->j))
		return cfg_fail_type(ld, v, "an integer");
	i = json_integer_value(v->j);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return cfg_fail_val(ld, v, "%" JSON_INTEGER_FORMAT " is out of range %" PRIu64
				    "..%" PRIu64, i, min, max);
	*out = (uint64_t)i;
	return 0;
}

int
cfg_get_str(struct cfg_ld *ld, const struct cfg_val *v, const char **out)
{
	if (!json_is_string(v->j))
		return cfg_fail_type(ld, v, "a string");
	*out = json_string_value(v->j);
	return 0;
}

/* Port, interface and group names: what pf and ifconfig accept, and fits IFNAMSIZ. */
int
cfg_get_name(struct cfg_ld *ld, const struct cfg_val *v, char name[CFG_NAME_MAX])
{
	const char *s;
	size_t len;

	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	len = strlen(s);
	if (len == 0)
		return cfg_fail_val(ld, v, "a name must not be empty");
	if (len >= CFG_NAME_MAX)
		return cfg_fail_val(ld, v, "name \"%s\" is longer than %d characters", s,
				    CFG_NAME_MAX - 1);
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return cfg_fail_val(ld, v, "name \"%s\" must start with a letter", s);
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
		return cfg_fail_val(ld, v, "name \"%s\" may only hold letters, digits, '_', '.' "
				    "and '-'", s);
	memcpy(name, s, len + 1);
	return 0;
}

int
cfg_get_array(struct cfg_ld *ld, const struct cfg_val *v, size_t max, size_t *n)
{
	*n = 0;
	if (v->j == NULL)
		return 0;
	if (!json_is_array(v->j))
		return cfg_fail_type(ld, v, "an array");
	*n = json_array_size(v->j);
	if (*n > max)
		return cfg_fail_val(ld, v, "%zu elements, at most %zu allowed", *n, max);
	return 0;
}

/* --- prefixes --- */

enum pfx_err {
	PFX_OK,
	PFX_BAD_ADDR,
	PFX_BAD_LEN,
};

static enum pfx_err
pfx_parse(const char *s, struct cfg_prefix *p, bool *has_len)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned int max, len = 0;

	memset(p, 0, sizeof(*p));
	*has_len = slash != NULL;
	if (alen == 0 || alen >= sizeof(buf))
		return PFX_BAD_ADDR;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->af = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->af = 6;
		max = 128;
	} else {
		return PFX_BAD_ADDR;
	}
	if (slash == NULL) {
		p->plen = (uint8_t)max;
		return PFX_OK;
	}
	s = slash + 1;
	if (*s == '\0' || strlen(s) > 3 || strspn(s, "0123456789") != strlen(s))
		return PFX_BAD_LEN;
	for (; *s; s++)
		len = len * 10 + (unsigned int)(*s - '0');
	if (len > max)
		return PFX_BAD_LEN;
	p->plen = (uint8_t)len;
	return PFX_OK;
}

int
cfg_prefix_parse(const char *s, struct cfg_prefix *p)
{
	bool has_len;

	return pfx_parse(s, p, &has_len) == PFX_OK ? 0 : -1;
}

void
cfg_prefix_format(const struct cfg_prefix *p, bool with_len, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if ((p->af != 4 && p->af != 6) ||
	    inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	if (with_len)
		snprintf(buf, len, "%s/%u", a, p->plen);
	else
		snprintf(buf, len, "%s", a);
}

bool
cfg_prefix_equal(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, a->af == 4 ? 4 : 16) == 0;
}

static bool
pfx_host_bits(const struct cfg_prefix *p, struct cfg_prefix *net)
{
	unsigned int bytes = p->af == 4 ? 4 : 16;
	bool set = false;

	*net = *p;
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = p->plen >= (i + 1) * 8 ? 8 :
				    p->plen > i * 8 ? p->plen - i * 8 : 0;
		uint8_t mask = (uint8_t)(0xff00 >> keep);

		if (p->addr[i] & ~mask)
			set = true;
		net->addr[i] = p->addr[i] & mask;
	}
	return set;
}

static bool
pfx_unicast(const struct cfg_prefix *p)
{
	static const uint8_t zero[16];

	if (p->af == 4)
		return memcmp(p->addr, zero, 4) != 0 && (p->addr[0] & 0xf0) != 0xe0 &&
		       !(p->addr[0] == 255 && p->addr[1] == 255 && p->addr[2] == 255 &&
			 p->addr[3] == 255);
	return memcmp(p->addr, zero, 16) != 0 && p->addr[0] != 0xff;
}

/* The CFG_PFX_IFADDR rules beyond unicast (see config_priv.h). */
static int
pfx_check_ifaddr(struct cfg_ld *ld, const struct cfg_val *v, const struct cfg_prefix *p,
		 const char *s)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	struct cfg_prefix net, bcast;
	char b[64];

	if (p->plen == 0)
		return cfg_fail_val(ld, v, "%s: an interface address needs a prefix length "
				    "above 0", s);
	if ((p->af == 4 && p->addr[0] == 127) ||
	    (p->af == 6 && memcmp(p->addr, v6_loop, 16) == 0))
		return cfg_fail_val(ld, v, "%s is a loopback address", s);
	if (p->af != 4 || p->plen > 30)
		return 0;
	/* The broadcast address: the network with every host bit set. */
	pfx_host_bits(p, &net);
	bcast = net;
	for (unsigned int i = p->plen; i < 32; i++)
		bcast.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	if (memcmp(bcast.addr, p->addr, 4) != 0)
		return 0;
	cfg_prefix_format(&net, true, b, sizeof(b));
	return cfg_fail_val(ld, v, "%s is the broadcast address of %s", s, b);
}

int
cfg_get_prefix(struct cfg_ld *ld, const struct cfg_val *v, unsigned int flags,
	       struct cfg_prefix *p)
{
	bool v4 = flags & CFG_PFX_V4, v6 = flags & CFG_PFX_V6, has_len;
	const char *fam = v4 && v6 ? "an IPv4 or IPv6" : v4 ? "an IPv4" : "an IPv6";
	const char *noun = flags & CFG_PFX_LEN ? "prefix" : flags & CFG_PFX_NOLEN ? "address" :
			   "address or prefix";
	char a[64], b[64];
	struct cfg_prefix net;
	const char *s;

	if (!json_is_string(v->j)) {
		snprintf(a, sizeof(a), "%s %s string", fam, noun);
		return cfg_fail_type(ld, v, a);
	}
	s = json_string_value(v->j);
	switch (pfx_parse(s, p, &has_len)) {
	case PFX_OK:
		break;
	case PFX_BAD_ADDR:
		return cfg_fail_val(ld, v, "\"%s\" is not %s %s", s, fam, noun);
	case PFX_BAD_LEN:
		return cfg_fail_val(ld, v, "\"%s\": the prefix length must be 0..%u", s,
				    p->af == 4 ? 32 : 128);
	}
	if ((p->af == 4 && !v4) || (p->af == 6 && !v6))
		return cfg_fail_val(ld, v, "\"%s\" is IPv%u, expected %s %s", s, p->af, fam, noun);
	if ((flags & CFG_PFX_LEN) && !has_len)
		return cfg_fail_val(ld, v, "\"%s\" has no prefix length (expected ADDRESS/LEN)", s);
	if ((flags & CFG_PFX_NOLEN) && has_len)
		return cfg_fail_val(ld, v, "\"%s\": expected an address without a prefix length",
				    s);
	if ((flags & CFG_PFX_NET) && pfx_host_bits(p, &net)) {
		cfg_prefix_format(p, true, a, sizeof(a));
		cfg_prefix_format(&net, true, b, sizeof(b));
		return cfg_fail_val(ld, v, "host bits set in %s (the network is %s)", a, b);
	}
	if ((flags & (CFG_PFX_UNICAST | CFG_PFX_IFADDR)) && !pfx_unicast(p))
		return cfg_fail_val(ld, v, "%s is not a unicast address", s);
	if (flags & CFG_PFX_IFADDR)
		return pfx_check_ifaddr(ld, v, p, s);
	return 0;
}

/* --- interface addresses --- */

/* Where addrs[a] of ifc is in the JSON: its element of "ipv4" or "ipv6". */
static struct cfg_val
iface_addr_val(struct cfg_ld *ld, const struct cfg_val *v, const struct cfg_iface *ifc,
	       unsigned int a)
{
	struct cfg_val arr = cfg_member(ld, v, ifc->addrs[a].af == 4 ? "ipv4" : "ipv6");
	unsigned int k = 0;

	for (unsigned int i = 0; i < a; i++)
		k += ifc->addrs[i].af == ifc->addrs[a].af;
	return cfg_element(ld, &arr, k);
}

/*
 * An address on two interfaces (or twice on one) makes the local table
 * answer for one of them only, and forwarding to the other's subnet breaks
 * without a word; the prefix length does not matter.
 */
int
cfg_check_iface_addrs(struct cfg_ld *ld, const struct cfg_val *v, const struct cfg_iface *ifc)
{
	const struct dpf_config *cfg = ld->cfg;
	unsigned int idx = (unsigned int)(ifc - cfg->ifaces);
	char buf[64];

	for (unsigned int a = 0; a < ifc->n_addrs; a++) {
		const struct cfg_prefix *p = &ifc->addrs[a];
		size_t n = p->af == 4 ? 4 : 16;
		struct cfg_val e;

		for (unsigned int i = 0; i <= idx; i++) {
			const struct cfg_iface *o = &cfg->ifaces[i];
			unsigned int end = i == idx ? a : o->n_addrs;

			for (unsigned int b = 0; b < end; b++) {
				if (o->addrs[b].af != p->af || memcmp(o->addrs[b].addr, p->addr, n))
					continue;
				e = iface_addr_val(ld, v, ifc, a);
				cfg_prefix_format(p, false, buf, sizeof(buf));
				if (i == idx)
					return cfg_fail_val(ld, &e, "address %s is listed twice",
							    buf);
				return cfg_fail_val(ld, &e, "address %s is already on interface "
						    "%s (interfaces[%u])", buf, o->name, i);
			}
		}
	}
	return 0;
}

/* --- key files --- */

/*
 * The key is the file's first line without its line ending.  The file must
 * be a regular file (a FIFO or a device would block or never end), and at
 * most CFG_KEY_FILE_READ bytes are read whatever its size.
 */
int
cfg_read_key_file(const char *path, uint8_t *key, size_t max, size_t *len, char *why,
		  size_t whylen)
{
	char buf[CFG_KEY_FILE_READ];
	struct stat st;
	size_t n = 0, line;
	int fd, saved, rc = -1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		close(fd);
		return -1;
	}
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			close(fd);
			snprintf(why, whylen, "%s", strerror(saved));
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	for (line = 0; line < n && buf[line] != '\n'; line++)
		;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (memchr(buf, '\0', line) != NULL) {
		snprintf(why, whylen, "the key holds a NUL byte");
	} else if (line > max) {
		snprintf(why, whylen, "the key is %s%zu bytes long, at most %zu", line == n &&
			 n == sizeof(buf) ? "over " : "", line, max);
	} else {
		memcpy(key, buf, line);
		*len = line;
		rc = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* --- table files --- */

/* Fails at v (the config's "file" value) with "PATH:LINE:COL: MESSAGE". */
static int __attribute__((format(printf, 6, 7)))
table_file_fail(struct cfg_ld *ld, const struct cfg_val *v, const char *path, unsigned int line,
		size_t col, const char *fmt, ...)
{
	char why[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return cfg_fail_val(ld, v, "%s:%u:%zu: %s", path, line, col, why);
}

#define TABLE_FILE_SPACE " \t\n\v\f\r"	/* isspace(3) in the C locale, as pfctl splits */

/*
 * A table file is what pfctl reads for `-T add -f FILE` and `table <x> file
 * "FILE"` [OpenBSD pfctl_radix.c pfr_next_token]: tokens separated by white
 * space, any number on a line, and a '#' where a token would start comments
 * out the rest of its line.  Each token is checked by cfg_get_prefix() exactly
 * as an element of the inline form, so both forms accept the same entries and
 * word their errors the same.  pfctl also takes host names (resolved with DNS)
 * and negated entries ("!ADDR"); both are errors here: the check reads nothing
 * from the network, and rules' tables have no negation.  Columns count bytes
 * from 1.  The file must be a regular file (a FIFO would block the load).
 */
int
cfg_load_table_file(struct cfg_ld *ld, const struct cfg_val *v, const char *path,
		    struct cfg_prefix **arr, unsigned int *n)
{
	struct cfg_val tok = { .j = NULL, .node = v->node };
	size_t cap = *n, bytes = 0, linecap = 0;
	char *line = NULL, why[CFG_ERR_MAX];
	unsigned int lineno = 0;
	struct stat st;
	ssize_t len;
	int fd, saved, rc = -1;
	FILE *f;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return cfg_fail_val(ld, v, "table file \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cfg_fail_val(ld, v, "table file \"%s\": not a regular file", path);
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		saved = errno;
		close(fd);
		return cfg_fail_val(ld, v, "table file \"%s\": %s", path, strerror(saved));
	}
	tok.j = json_string("");
	if (tok.j == NULL) {
		cfg_fail_val(ld, v, "out of memory");
		goto out;
	}
	while ((len = getline(&line, &linecap, f)) >= 0) {
		const char *nul = memchr(line, '\0', (size_t)len);
		char *s = line;

		lineno++;
		bytes += (size_t)len;
		if (bytes > CFG_TABLE_FILE_MAX) {
			cfg_fail_val(ld, v, "table file \"%s\" is larger than %u MiB", path,
				     CFG_TABLE_FILE_MAX >> 20);
			goto out;
		}
		if (nul != NULL) {
			table_file_fail(ld, v, path, lineno, (size_t)(nul - line) + 1,
					"a NUL byte");
			goto out;
		}
		for (;;) {
			struct cfg_prefix p;
			size_t col, w;

			s += strspn(s, TABLE_FILE_SPACE);
			if (*s == '\0' || *s == '#')
				break;
			col = (size_t)(s - line) + 1;
			w = strcspn(s, TABLE_FILE_SPACE);
			if (*s == '!') {
				table_file_fail(ld, v, path, lineno, col, "\"%.*s\": negated "
						"entries are not supported", (int)w, s);
				goto out;
			}
			/* No UTF-8 check: any byte that is not ASCII fails as an address. */
			if (json_string_setn_nocheck(tok.j, s, w) < 0) {
				cfg_fail_val(ld, v, "out of memory");
				goto out;
			}
			if (cfg_get_prefix(ld, &tok, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_NET,
					   &p) < 0) {
				snprintf(why, sizeof(why), "%s", ld->err->msg);
				table_file_fail(ld, v, path, lineno, col, "%s", why);
				goto out;
			}
			if (*n == UINT32_MAX) {
				table_file_fail(ld, v, path, lineno, col, "too many entries");
				goto out;
			}
			if (*n == cap) {
				size_t ncap = cap < 256 ? 256 : cap * 2;
				struct cfg_prefix *m = realloc(*arr, ncap * sizeof(*m));

				if (m == NULL) {
					cfg_fail_val(ld, v, "out of memory");
					goto out;
				}
				*arr = m;
				cap = ncap;
			}
			(*arr)[(*n)++] = p;
			s += w;
		}
	}
	saved = errno;
	if (ferror(f) || !feof(f)) {
		cfg_fail_val(ld, v, "table file \"%s\": %s", path, strerror(saved));
		goto out;
	}
	rc = 0;
out:
	json_decref(tok.j);
	free(line);
	fclose(f);
	return rc;
}

/* --- the generic walker --- */

static const struct cfg_key *
cfg_key_find(const struct cfg_obj *o, const char *name)
{
	for (unsigned int i = 0; i < o->n_keys; i++)
		if (strcmp(o->keys[i].name, name) == 0)
			return &o->keys[i];
	return NULL;
}

/* Levenshtein distance, for "did you mean"; long strings are never close. */
static unsigned int
cfg_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[33];

	if (la > 32 || lb > 32)
		return UINT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int
cfg_fail_unknown(struct cfg_ld *ld, const struct cfg_val *obj, const struct cfg_obj *o,
		 const char *key)
{
	char known[CFG_ERR_MAX / 2] = "", hint[96] = "";
	unsigned int best = 3, at = 0;

	for (unsigned int i = 0; i < o->n_keys; i++) {
		unsigned int d = cfg_distance(key, o->keys[i].name);

		if (d < best && d < strlen(o->keys[i].name)) {
			best = d;
			snprintf(hint, sizeof(hint), "did you mean \"%s\"? ", o->keys[i].name);
		}
		if (at < sizeof(known))
			at += (unsigned int)snprintf(known + at, sizeof(known) - at, "%s%s",
						     i > 0 ? ", " : "", o->keys[i].name);
	}
	return cfg_fail(ld, jpos_member(&ld->pos, obj->node, key), true,
			"unknown key \"%s\" (%sknown: %s)", key, hint, known);
}

static void
cfg_store_uint(void *f, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)f = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)f = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)f = (uint32_t)v;
		break;
	default:
		abort();	/* a schema table bug, caught by the unit tests */
	}
}

static int
cfg_load_array(struct cfg_ld *ld, const struct cfg_key *k, const struct cfg_val *v, void *obj)
{
	void **arr = (void **)((char *)obj + k->off);
	unsigned int *count = (unsigned int *)((char *)obj + k->n_off);
	size_t n;

	if (cfg_get_array(ld, v, SIZE_MAX, &n) < 0)
		return -1;
	if (n < k->min || n > k->max)
		return cfg_fail_val(ld, v, "expected %" PRIu64 "..%" PRIu64 " %ss, got %zu",
				    k->min, k->max, k->sub->what, n);
	if (n == 0)
		return 0;
	*arr = calloc(n, k->size);
	if (*arr == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	*count = (unsigned int)n;
	for (size_t i = 0; i < n; i++) {
		struct cfg_val e = cfg_element(ld, v, i);

		if (!json_is_object(e.j))
			return cfg_fail_type(ld, &e, "an object");
		if (cfg_walk(ld, &e, k->sub, (char *)*arr + i * k->size) < 0)
			return -1;
	}
	return 0;
}

static int
cfg_load_key(struct cfg_ld *ld, const struct cfg_key *k, const struct cfg_val *v, void *obj)
{
	void *f = (char *)obj + k->off;
	uint64_t u;
	const char *s;

	if (k->load != NULL)
		return k->load(ld, v, obj);
	switch (k->kind) {
	case CK_BOOL:
		if (v->j != NULL && !json_is_boolean(v->j))
			return cfg_fail_type(ld, v, "true or false");
		*(bool *)f = v->j != NULL ? json_is_true(v->j) : k->def != 0;
		break;
	case CK_UINT:
		u = k->def;
		if (v->j != NULL && cfg_get_uint(ld, v, k->min, k->max, &u) < 0)
			return -1;
		cfg_store_uint(f, k->size, u);
		break;
	case CK_STR:
		s = k->sdef;
		if (v->j != NULL) {
			if (cfg_get_str(ld, v, &s) < 0)
				return -1;
			if (strlen(s) < k->min)
				return cfg_fail_val(ld, v, "must not be empty");
			if (strlen(s) > k->max)
				return cfg_fail_val(ld, v, "%zu bytes long, at most %" PRIu64,
						    strlen(s), k->max);
		}
		if (s != NULL && (*(char **)f = strdup(s)) == NULL)
			return cfg_fail_val(ld, v, "out of memory");
		break;
	case CK_NAME:
		if (v->j != NULL && cfg_get_name(ld, v, f) < 0)
			return -1;
		break;
	case CK_OBJ:
		return cfg_walk(ld, v, k->sub, f);
	case CK_ARR:
		return cfg_load_array(ld, k, v, obj);
	case CK_IFACE:
		if (cfg_load_iface_ref(ld, v, f) < 0)
			return -1;
		break;
	case CK_CUSTOM:
		abort();	/* CK_CUSTOM without load: a schema table bug */
	}
	if (v->j != NULL && k->check != NULL)
		return k->check(ld, v, obj);
	return 0;
}

int
cfg_walk(struct cfg_ld *ld, const struct cfg_val *v, const struct cfg_obj *o, void *obj)
{
	if (v->j != NULL) {
		const char *key;
		json_t *val;

		if (!json_is_object(v->j))
			return cfg_fail_type(ld, v, "an object");
		/* A version mismatch explains unknown keys better than they explain it. */
		for (unsigned int i = 0; i < o->n_keys; i++) {
			struct cfg_val c = cfg_member(ld, v, o->keys[i].name);

			if ((o->keys[i].flags & CF_EARLY) && c.j != NULL &&
			    cfg_load_key(ld, &o->keys[i], &c, obj) < 0)
				return -1;
		}
		/* Unknown keys next: a misspelt key explains a "missing" one. */
		json_object_foreach(v->j, key, val) {
			if (cfg_key_find(o, key) == NULL)
				return cfg_fail_unknown(ld, v, o, key);
		}
	}
	for (unsigned int i = 0; i < o->n_keys; i++) {
		const struct cfg_key *k = &o->keys[i];
		struct cfg_val c = cfg_member(ld, v, k->name);

		if (c.j != NULL && (k->flags & CF_EARLY))
			continue;
		if (c.j == NULL && (k->flags & CF_REQUIRED))
			return cfg_fail_val(ld, &c, "missing required key \"%s\"", k->name);
		if (c.j != NULL && json_is_null(c.j) && (k->flags & CF_NULL))
			c.j = NULL;
		if (cfg_load_key(ld, k, &c, obj) < 0)
			return -1;
	}
	return o->check != NULL ? o->check(ld, v, obj) : 0;
}

/* --- public API --- */

static int
cfg_load_text(const char *text, size_t len, struct dpf_config **out, struct cfg_error *err)
{
	struct cfg_ld ld = { .err = err };
	struct cfg_val root = { .node = JPOS_ROOT };
	json_error_t je;
	int rc;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	root.j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root.j == NULL) {
		/* Jansson points past the repeated key; the index finds its start and path. */
		if (json_error_code(&je) == json_error_duplicate_key &&
		    jpos_build(&ld.pos, text, len) == 1) {
			cfg_fail(&ld, ld.pos.dup, true, "duplicate key \"%s\"",
				 jpos_key(&ld.pos, ld.pos.dup));
		} else {
#ifdef DPF_FUZZING
			/* Jansson saw a repeated key the index missed: a jsonpos bug. */
			if (json_error_code(&je) == json_error_duplicate_key)
				abort();
#endif
			err->line = je.line;
			err->column = je.column;
			snprintf(err->msg, sizeof(err->msg), "%s", je.text);
			cfg_sanitize(err->msg);
		}
		jpos_free(&ld.pos);
		return -1;
	}
	if (jpos_build(&ld.pos, text, len) != 0) {
#ifdef DPF_FUZZING
		/* Jansson accepted text the index cannot scan: a jsonpos bug. */
		abort();
#endif
		/* Errors will lack positions past the point the scan reached. */
	}
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL)
		rc = cfg_fail(&ld, JPOS_ROOT, false, "out of memory");
	else if (!json_is_object(root.j))
		rc = cfg_fail_type(&ld, &root, "an object");
	else
		rc = cfg_walk(&ld, &root, &cfg_schema, ld.cfg);
	json_decref(root.j);
	free(ld.route_slots);
	if (rc == 0 && (ld.cfg->pos = malloc(sizeof(*ld.cfg->pos))) == NULL)
		rc = cfg_fail(&ld, JPOS_ROOT, false, "out of memory");
	if (rc < 0) {
		jpos_free(&ld.pos);
		cfg_free(ld.cfg);
		return -1;
	}
	/* Kept for the errors of later stages (cfg_fail_at). */
	*ld.cfg->pos = ld.pos;
	*out = ld.cfg;
	return 0;
}

int
cfg_load_string(const char *text, struct dpf_config **out, struct cfg_error *err)
{
	return cfg_load_text(text, strlen(text), out, err);
}

int
cfg_load_file(const char *path, struct dpf_config **out, struct cfg_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (f == NULL) {
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		size_t r;

		if (len == cap) {
			char *b;

			cap = cap ? cap * 2 : 65536;
			if (cap > CFG_FILE_MAX) {
				snprintf(err->msg, sizeof(err->msg), "larger than %u MiB",
					 CFG_FILE_MAX >> 20);
				goto fail;
			}
			b = realloc(buf, cap);
			if (b == NULL) {
				snprintf(err->msg, sizeof(err->msg), "out of memory");
				goto fail;
			}
			buf = b;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	rc = cfg_load_text(buf, len, out, err);
	free(buf);
	return rc;
fail:
	fclose(f);
	free(buf);
	return -1;
}

void
cfg_free(struct dpf_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->system.hostname);
	free(cfg->system.control.socket);
	free(cfg->system.control.ro_socket);
	free(cfg->system.control.group);
	free(cfg->system.control.owner);
	free(cfg->system.control.ro_owner);
	free(cfg->system.control.ro_group);
	free(cfg->dataplane.eal.lcores);
	free(cfg->dataplane.lock_dir);
	for (unsigned int i = 0; i < cfg->dataplane.eal.n_args; i++)
		free(cfg->dataplane.eal.args[i]);
	free(cfg->dataplane.eal.args);
	free(cfg->dataplane.eal.file_prefix);
	for (unsigned int i = 0; i < cfg->dataplane.n_ports; i++)
		free(cfg->dataplane.ports[i].device);
	free(cfg->dataplane.ports);
	for (unsigned int i = 0; i < cfg->n_ifaces; i++) {
		free(cfg->ifaces[i].addrs);
		free(cfg->ifaces[i].groups);
	}
	free(cfg->ifaces);
	free(cfg->routes);
	for (unsigned int i = 0; i < cfg->n_tables; i++) {
		free(cfg->tables[i].entries);
		free(cfg->tables[i].file);
	}
	free(cfg->tables);
	rules_ruleset_free(cfg->ruleset);
	for (unsigned int i = 0; i < cfg->carp.n_vhids; i++) {
		free(cfg->carp.vhids[i].addrs);
		free(cfg->carp.vhids[i].key_file);
	}
	/* The vhids hold CARP keys: leave no copy in freed memory. */
	if (cfg->carp.vhids != NULL)
		explicit_bzero(cfg->carp.vhids, cfg->carp.n_vhids * sizeof(*cfg->carp.vhids));
	free(cfg->carp.vhids);
	free(cfg->sync.key_file);
	explicit_bzero(cfg->sync.key, sizeof(cfg->sync.key));
	free(cfg->logging.pflog);
	if (cfg->pos != NULL)
		jpos_free(cfg->pos);
	free(cfg->pos);
	free(cfg);
}

int
cfg_port_find(const struct dpf_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->dataplane.n_ports; i++)
		if (strcmp(cfg->dataplane.ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
cfg_iface_find(const struct dpf_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_ifaces; i++)
		if (strcmp(cfg->ifaces[i].name, name) == 0)
			return (int)i;
	return -1;
}
