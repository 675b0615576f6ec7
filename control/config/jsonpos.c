/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: JSON position index.
 *
 * One forward scan with an explicit state (what may come next) and the
 * current container as the only stack: each node records its parent, so
 * closing a container is `cur = nodes[cur].parent`.  Nodes are appended in
 * document order; a hash table keyed by (parent, key) for members and
 * (parent, index) for elements gives O(1) lookups, so the loader can ask
 * for the position of any value it checks without caring about file size.
 *
 * The scanner is lenient where Jansson has already been strict (numbers and
 * literals are any run of [0-9A-Za-z+.-]) and strict where a mistake would
 * misplace positions (strings, escapes, structure).
 */
#include "control/config/jsonpos.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const char *p;
	const char *end;
	int line;		/* line of the next character */
	int col;		/* column of the last character consumed */
};

static void
scan_next(struct scan *s)
{
	unsigned char c = (unsigned char)*s->p++;

	if (c == '\n') {
		s->line++;
		s->col = 0;
	} else if ((c & 0xc0) != 0x80) {
		/* A UTF-8 continuation byte belongs to the previous column. */
		s->col++;
	}
}

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		scan_next(s);
}

static int
keys_put(struct jpos *jp, const char *b, size_t n)
{
	if (jp->keys_len + n > jp->keys_cap) {
		size_t cap = jp->keys_cap ? jp->keys_cap : 256;
		char *k;

		while (cap < jp->keys_len + n)
			cap *= 2;
		k = realloc(jp->keys, cap);
		if (k == NULL)
			return -1;
		jp->keys = k;
		jp->keys_cap = cap;
	}
	memcpy(jp->keys + jp->keys_len, b, n);
	jp->keys_len += n;
	return 0;
}

static int
hex4(const char *p, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
utf8_encode(unsigned int cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Scans a string starting at its opening quote.  With key != NULL the
 * decoded bytes and a NUL are appended to jp->keys and *key is their
 * offset; a key containing \u0000 is rejected, as Jansson rejects it.
 */
static int
scan_string(struct scan *s, struct jpos *jp, size_t *key)
{
	size_t start = jp->keys_len;

	scan_next(s);
	for (;;) {
		char b[4];
		size_t n = 1;
		unsigned int cp, lo;

		if (s->p >= s->end || (unsigned char)*s->p < 0x20)
			return -1;
		if (*s->p == '"') {
			scan_next(s);
			break;
		}
		b[0] = *s->p;
		if (*s->p == '\\') {
			if (s->end - s->p < 2)
				return -1;
			switch (s->p[1]) {
			case '"': case '\\': case '/':
				b[0] = s->p[1];
				break;
			case 'b': b[0] = '\b'; break;
			case 'f': b[0] = '\f'; break;
			case 'n': b[0] = '\n'; break;
			case 'r': b[0] = '\r'; break;
			case 't': b[0] = '\t'; break;
			case 'u':
				if (s->end - s->p < 6 || hex4(s->p + 2, &cp) < 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					/* A high surrogate needs its low half next. */
					if (s->end - s->p < 12 || s->p[6] != '\\' ||
					    s->p[7] != 'u' || hex4(s->p + 8, &lo) < 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					for (int i = 0; i < 6; i++)
						scan_next(s);
				}
				if (cp == 0 && key != NULL)
					return -1;
				n = utf8_encode(cp, b);
				for (int i = 0; i < 4; i++)
					scan_next(s);
				break;
			default:
				return -1;
			}
			scan_next(s);
		}
		scan_next(s);
		if (key != NULL && keys_put(jp, b, n) < 0)
			return -1;
	}
	if (key != NULL) {
		if (keys_put(jp, "", 1) < 0)
			return -1;
		*key = start;
	}
	return 0;
}

/* Numbers and literals: Jansson has checked them; only their extent matters here. */
static int
scan_atom(struct scan *s)
{
	const char *start = s->p;

	while (s->p < s->end) {
		char c = *s->p;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '+' || c == '-' || c == '.'))
			break;
		scan_next(s);
	}
	return s->p > start ? 0 : -1;
}

static uint32_t
hash_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
hash_member(uint32_t parent, const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *k = (const unsigned char *)key; *k; k++)
		h = (h ^ *k) * 16777619u;
	return hash_mix(h ^ parent * 0x9e3779b1u);
}

static uint32_t
hash_element(uint32_t parent, size_t i)
{
	return hash_mix((uint32_t)i * 0x27d4eb2fu ^ parent * 0x9e3779b1u);
}

static uint32_t
hash_node(const struct jpos *jp, uint32_t id)
{
	const struct jpos_node *n = &jp->nodes[id];

	if (n->key != SIZE_MAX)
		return hash_member(n->parent, jp->keys + n->key);
	return hash_element(n->parent, n->index);
}

static void
slot_put(struct jpos *jp, uint32_t id)
{
	uint32_t mask = jp->n_slots - 1;
	uint32_t i = hash_node(jp, id) & mask;

	while (jp->slots[i] != 0)
		i = (i + 1) & mask;
	jp->slots[i] = id + 1;
}

/* Keeps the table at most half full; every node but the root is in it. */
static int
slots_grow(struct jpos *jp)
{
	uint32_t n = jp->n_slots ? jp->n_slots * 2 : 64;
	uint32_t *s;

	if (n == 0)
		return -1;
	s = calloc(n, sizeof(*s));
	if (s == NULL)
		return -1;
	free(jp->slots);
	jp->slots = s;
	jp->n_slots = n;
	for (uint32_t id = 1; id < jp->n; id++)
		if (id != jp->dup)
			slot_put(jp, id);
	return 0;
}

static uint32_t
node_add(struct jpos *jp, uint32_t parent, const struct scan *s, uint8_t type, size_t key,
	 int key_line, int key_column)
{
	struct jpos_node *n;
	uint32_t id = jp->n;

	if (jp->n == UINT32_MAX - 1)
		return JPOS_NONE;
	if (jp->n == jp->cap) {
		uint32_t cap = jp->cap ? jp->cap * 2 : 64;
		struct jpos_node *nodes;

		if (cap < jp->cap)
			cap = UINT32_MAX - 1;
		nodes = realloc(jp->nodes, (size_t)cap * sizeof(*nodes));
		if (nodes == NULL)
			return JPOS_NONE;
		jp->nodes = nodes;
		jp->cap = cap;
	}
	n = &jp->nodes[id];
	n->parent = parent;
	n->index = parent == JPOS_NONE ? 0 : jp->nodes[parent].count++;
	n->key = key;
	n->count = 0;
	n->type = type;
	n->line = s->line;
	n->column = s->col + 1;
	n->key_line = key_line;
	n->key_column = key_column;
	jp->n++;
	return id;
}

int
jpos_build(struct jpos *jp, const char *text, size_t len)
{
	enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COMMA_OR_CLOSE, DONE } need = VALUE;
	struct scan s = { .p = text, .end = text + len, .line = 1, .col = 0 };
	uint32_t cur = JPOS_NONE, id;
	size_t key = SIZE_MAX;
	int key_line = 0, key_column = 0;
	char c;

	memset(jp, 0, sizeof(*jp));
	jp->dup = JPOS_NONE;
	if (slots_grow(jp) < 0)
		return -1;
	for (;;) {
		scan_ws(&s);
		if (need == DONE)
			return s.p == s.end ? 0 : -1;
		if (s.p == s.end)
			return -1;
		c = *s.p;
		if ((need == KEY_OR_CLOSE && c == '}') || (need == VALUE_OR_CLOSE && c == ']'))
			goto close;
		switch (need) {
		case KEY_OR_CLOSE:
		case KEY:
			if (c != '"')
				return -1;
			key_line = s.line;
			key_column = s.col + 1;
			if (scan_string(&s, jp, &key) < 0)
				return -1;
			if (jpos_member(jp, cur, jp->keys + key) != JPOS_NONE) {
				/* Record the repeat (not hashed) for its path and position. */
				id = node_add(jp, cur, &s, 'v', key, key_line, key_column);
				if (id == JPOS_NONE)
					return -1;
				jp->dup = id;
				return 1;
			}
			scan_ws(&s);
			if (s.p == s.end || *s.p != ':')
				return -1;
			scan_next(&s);
			need = VALUE;
			continue;
		case VALUE_OR_CLOSE:
		case VALUE:
			if (jp->n * 2 >= jp->n_slots && slots_grow(jp) < 0)
				return -1;
			id = node_add(jp, cur, &s, c == '{' || c == '[' ? (uint8_t)c : 'v', key,
				      key_line, key_column);
			if (id == JPOS_NONE)
				return -1;
			if (cur != JPOS_NONE)
				slot_put(jp, id);
			key = SIZE_MAX;
			key_line = key_column = 0;
			if (c == '{' || c == '[') {
				scan_next(&s);
				cur = id;
				need = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				continue;
			}
			if ((c == '"' ? scan_string(&s, jp, NULL) : scan_atom(&s)) < 0)
				return -1;
			need = cur == JPOS_NONE ? DONE : COMMA_OR_CLOSE;
			continue;
		case COMMA_OR_CLOSE:
			if (c == ',') {
				scan_next(&s);
				need = jp->nodes[cur].type == '{' ? KEY : VALUE;
				continue;
			}
			if (c == (jp->nodes[cur].type == '{' ? '}' : ']'))
				goto close;
			return -1;
		case DONE:
			break;
		}
		return -1;
close:
		scan_next(&s);
		cur = jp->nodes[cur].parent;
		need = cur == JPOS_NONE ? DONE : COMMA_OR_CLOSE;
	}
}

void
jpos_free(struct jpos *jp)
{
	free(jp->nodes);
	free(jp->keys);
	free(jp->slots);
	memset(jp, 0, sizeof(*jp));
	jp->dup = JPOS_NONE;
}

uint32_t
jpos_member(const struct jpos *jp, uint32_t obj, const char *key)
{
	uint32_t mask, i;

	if (obj >= jp->n || jp->nodes[obj].type != '{' || jp->n_slots == 0)
		return JPOS_NONE;
	mask = jp->n_slots - 1;
	for (i = hash_member(obj, key) & mask; jp->slots[i] != 0; i = (i + 1) & mask) {
		const struct jpos_node *n = &jp->nodes[jp->slots[i] - 1];

		if (n->parent == obj && n->key != SIZE_MAX && strcmp(jp->keys + n->key, key) == 0)
			return jp->slots[i] - 1;
	}
	return JPOS_NONE;
}

uint32_t
jpos_element(const struct jpos *jp, uint32_t arr, size_t idx)
{
	uint32_t mask, i;

	if (arr >= jp->n || jp->nodes[arr].type != '[' || idx >= jp->nodes[arr].count)
		return JPOS_NONE;
	mask = jp->n_slots - 1;
	for (i = hash_element(arr, idx) & mask; jp->slots[i] != 0; i = (i + 1) & mask) {
		const struct jpos_node *n = &jp->nodes[jp->slots[i] - 1];

		if (n->parent == arr && n->key == SIZE_MAX && n->index == idx)
			return jp->slots[i] - 1;
	}
	return JPOS_NONE;
}

const char *
jpos_key(const struct jpos *jp, uint32_t node)
{
	if (node >= jp->n || jp->nodes[node].key == SIZE_MAX)
		return NULL;
	return jp->keys + jp->nodes[node].key;
}

struct pbuf {
	char *b;
	size_t len;
	size_t at;
};

static void
pbuf_putc(struct pbuf *pb, char c)
{
	if (pb->at + 1 < pb->len)
		pb->b[pb->at++] = c;
}

static void
pbuf_puts(struct pbuf *pb, const char *s)
{
	while (*s)
		pbuf_putc(pb, *s++);
}

void
jpos_path(const struct jpos *jp, uint32_t node, char *buf, size_t len)
{
	struct pbuf pb = { .b = buf, .len = len, .at = 0 };
	uint32_t *chain, depth = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (node >= jp->n)
		return;
	for (uint32_t id = node; jp->nodes[id].parent != JPOS_NONE; id = jp->nodes[id].parent)
		depth++;
	chain = malloc((depth + 1) * sizeof(*chain));
	if (chain == NULL)
		return;
	for (uint32_t id = node, d = depth; d > 0; id = jp->nodes[id].parent)
		chain[--d] = id;
	for (uint32_t d = 0; d < depth; d++) {
		const struct jpos_node *n = &jp->nodes[chain[d]];
		char tmp[16];

		if (n->key != SIZE_MAX) {
			if (d > 0)
				pbuf_putc(&pb, '.');
			for (const char *k = jp->keys + n->key; *k; k++) {
				unsigned char c = (unsigned char)*k;

				if (c < 0x20 || c == 0x7f) {
					snprintf(tmp, sizeof(tmp), "\\x%02x", c);
					pbuf_puts(&pb, tmp);
				} else {
					pbuf_putc(&pb, (char)c);
				}
			}
		} else {
			snprintf(tmp, sizeof(tmp), "[%u]", n->index);
			pbuf_puts(&pb, tmp);
		}
	}
	buf[pb.at] = '\0';
	free(chain);
}
