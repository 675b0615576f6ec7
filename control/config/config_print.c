/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the normalized config printer (`dpf -n`).
 *
 * Writes JSON that cfg_load_*() reads back into an identical config:
 * 2-space indentation, keys in schema-table order, every default filled in,
 * absent optional values as null, addresses in inet_ntop's canonical form.
 * Arrays of short strings stay on one line when they fit in 100 columns;
 * rules are one per line, as in pf.conf.
 *
 * The emitter is a small state machine (depth, first element, value
 * after a key) rather than a Jansson dump, because Jansson's indenting puts
 * every array element and every rule object over several lines.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control/config/config_priv.h"

#define CFG_OUT_COLS 100

/* Writes s as a JSON string (f NULL: only measures); returns its length. */
static size_t
json_escape(FILE *f, const char *s)
{
	size_t n = 2;

	if (f != NULL)
		fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8] = "";

		switch (*p) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\b': strcpy(esc, "\\b"); break;
		case '\f': strcpy(esc, "\\f"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\t': strcpy(esc, "\\t"); break;
		default:
			if (*p < 0x20)
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
			break;
		}
		if (esc[0] != '\0') {
			n += strlen(esc);
			if (f != NULL)
				fputs(esc, f);
		} else {
			n++;
			if (f != NULL)
				fputc(*p, f);
		}
	}
	if (f != NULL)
		fputc('"', f);
	return n;
}

static void
out_indent(struct cfg_out *o)
{
	for (unsigned int i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

/* Starts a value: on its key's line, or on a new line of the open array. */
static void
out_value(struct cfg_out *o)
{
	if (o->after_key) {
		o->after_key = false;
		return;
	}
	if (o->depth > 0) {
		fputs(o->first ? "\n" : ",\n", o->f);
		out_indent(o);
	}
	o->first = false;
}

void
cfg_out_key(struct cfg_out *o, const char *key)
{
	fputs(o->first ? "\n" : ",\n", o->f);
	out_indent(o);
	o->col = 2 * o->depth + (unsigned int)json_escape(o->f, key) + 2;
	fputs(": ", o->f);
	o->first = false;
	o->after_key = true;
}

void
cfg_out_str(struct cfg_out *o, const char *s)
{
	if (s == NULL) {
		cfg_out_null(o);
		return;
	}
	out_value(o);
	json_escape(o->f, s);
}

void
cfg_out_uint(struct cfg_out *o, uint64_t v)
{
	out_value(o);
	fprintf(o->f, "%" PRIu64, v);
}

void
cfg_out_bool(struct cfg_out *o, bool v)
{
	out_value(o);
	fputs(v ? "true" : "false", o->f);
}

void
cfg_out_null(struct cfg_out *o)
{
	out_value(o);
	fputs("null", o->f);
}

void
cfg_out_raw(struct cfg_out *o, const char *json)
{
	out_value(o);
	fputs(json, o->f);
}

void
cfg_out_begin(struct cfg_out *o, char open)
{
	out_value(o);
	fputc(open, o->f);
	o->depth++;
	o->first = true;
}

void
cfg_out_end(struct cfg_out *o, char close)
{
	o->depth--;
	if (!o->first) {
		fputc('\n', o->f);
		out_indent(o);
	}
	fputc(close, o->f);
	o->first = false;
}

/* Whether an array of items of these widths fits on the current line (with a comma). */
static bool
out_fits(const struct cfg_out *o, size_t items, size_t n)
{
	size_t col = o->after_key ? o->col : 2 * o->depth;

	return col + 2 + items + (n > 0 ? 2 * (n - 1) : 0) + 1 <= CFG_OUT_COLS;
}

void
cfg_out_strings(struct cfg_out *o, const char *const *s, size_t n)
{
	size_t width = 0;

	for (size_t i = 0; i < n; i++)
		width += json_escape(NULL, s[i]);
	if (out_fits(o, width, n)) {
		out_value(o);
		fputc('[', o->f);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				fputs(", ", o->f);
			json_escape(o->f, s[i]);
		}
		fputc(']', o->f);
		return;
	}
	cfg_out_begin(o, '[');
	for (size_t i = 0; i < n; i++)
		cfg_out_str(o, s[i]);
	cfg_out_end(o, ']');
}

void
cfg_out_prefixes(struct cfg_out *o, const struct cfg_prefix *p, size_t n, uint8_t af,
		 bool with_len)
{
	size_t width = 0, count = 0;
	char buf[64];
	bool inline_;

	for (size_t i = 0; i < n; i++) {
		if (af != 0 && p[i].af != af)
			continue;
		cfg_prefix_format(&p[i], with_len, buf, sizeof(buf));
		width += strlen(buf) + 2;
		count++;
	}
	inline_ = out_fits(o, width, count);
	if (inline_) {
		out_value(o);
		fputc('[', o->f);
	} else {
		cfg_out_begin(o, '[');
	}
	count = 0;
	for (size_t i = 0; i < n; i++) {
		if (af != 0 && p[i].af != af)
			continue;
		cfg_prefix_format(&p[i], with_len, buf, sizeof(buf));
		if (!inline_)
			cfg_out_str(o, buf);
		else
			fprintf(o->f, "%s\"%s\"", count > 0 ? ", " : "", buf);
		count++;
	}
	if (inline_)
		fputc(']', o->f);
	else
		cfg_out_end(o, ']');
}

static uint64_t
load_uint(const void *f, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)f;
	case 2:
		return *(const uint16_t *)f;
	case 4:
		return *(const uint32_t *)f;
	}
	abort();	/* a schema table bug, caught by the unit tests */
}

static void
out_key_generic(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const void *f = (const char *)obj + k->off;
	uint64_t u;

	cfg_out_key(o, k->name);
	switch (k->kind) {
	case CK_BOOL:
		cfg_out_bool(o, *(const bool *)f);
		break;
	case CK_UINT:
		u = load_uint(f, k->size);
		if ((k->flags & CF_NULL) && u == k->def)
			cfg_out_null(o);
		else
			cfg_out_uint(o, u);
		break;
	case CK_STR:
		cfg_out_str(o, *(char *const *)f);
		break;
	case CK_NAME:
		cfg_out_str(o, f);
		break;
	case CK_OBJ:
		cfg_out_obj(o, k->sub, f);
		break;
	case CK_ARR: {
		const char *arr = *(const void *const *)f;
		unsigned int n = *(const unsigned int *)((const char *)obj + k->n_off);

		if (n == 0) {
			cfg_out_raw(o, "[]");
			break;
		}
		cfg_out_begin(o, '[');
		for (unsigned int i = 0; i < n; i++)
			cfg_out_obj(o, k->sub, arr + i * k->size);
		cfg_out_end(o, ']');
		break;
	}
	case CK_IFACE: {
		int idx = *(const int *)f;

		cfg_out_str(o, idx >= 0 ? o->cfg->ifaces[idx].name : NULL);
		break;
	}
	case CK_CUSTOM:
		abort();	/* CK_CUSTOM without print: a schema table bug */
	}
}

void
cfg_out_obj(struct cfg_out *o, const struct cfg_obj *schema, const void *obj)
{
	cfg_out_begin(o, '{');
	for (unsigned int i = 0; i < schema->n_keys; i++) {
		const struct cfg_key *k = &schema->keys[i];

		if (k->print != NULL)
			k->print(o, k, obj);
		else
			out_key_generic(o, k, obj);
	}
	cfg_out_end(o, '}');
}

void
cfg_print(FILE *f, const struct dpf_config *cfg)
{
	struct cfg_out o = { .f = f, .first = true, .cfg = cfg };

	cfg_out_obj(&o, &cfg_schema, cfg);
	fputc('\n', f);
}
