/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A position index of a JSON text: for every value, and for the key of
 * every object member, the line and column where it starts, plus its JSON
 * path ("interfaces[1].vlan").
 *
 * Jansson reports positions only for syntax errors; the config loader needs
 * them for semantic errors too, so it indexes the text once and looks up
 * the node that mirrors each json_t it checks (by parent and key or index).
 *
 * Contract:
 *  - Pure: libc only, no Jansson.  jpos_build() scans any bytes without
 *    reading past len and returns -1 on text that is not JSON; it never
 *    recurses, so nesting depth costs no stack.
 *  - Lines and columns are 1-based and counted as Jansson counts them: a
 *    newline ends a line; a column is one character, i.e. one byte that is
 *    not a UTF-8 continuation byte (valid UTF-8 is assumed, as Jansson
 *    rejects anything else before the index is needed).
 *  - Keys are decoded (escapes, \uXXXX with surrogate pairs) exactly as
 *    Jansson decodes them, so lookups use the key Jansson returns.
 *  - Duplicate keys: the first repeat of a sibling's key stops the scan and
 *    is reported, which is the key Jansson's JSON_REJECT_DUPLICATES rejects.
 */
#ifndef DPF_CONTROL_JSONPOS_H
#define DPF_CONTROL_JSONPOS_H

#include <stddef.h>
#include <stdint.h>

#define JPOS_NONE UINT32_MAX
#define JPOS_ROOT 0u

/* One JSON value of the text. */
struct jpos_node {
	uint32_t parent;	/* containing node; JPOS_NONE for the root */
	uint32_t index;		/* element index, or member ordinal in its object */
	size_t key;		/* offset of the decoded key in jpos.keys; SIZE_MAX if none */
	uint32_t count;		/* children so far (objects and arrays) */
	uint8_t type;		/* '{', '[', or 'v' for any scalar */
	int line, column;	/* first character of the value */
	int key_line, key_column; /* opening quote of the key; 0 if none */
};

struct jpos {
	struct jpos_node *nodes; /* nodes[0] is the root value */
	uint32_t n, cap;
	char *keys;		/* decoded keys, each NUL-terminated */
	size_t keys_len, keys_cap;
	uint32_t *slots;	/* hash of (parent, key or index) -> node + 1; 0 empty */
	uint32_t n_slots;	/* a power of two */
	uint32_t dup;		/* the first member repeating a sibling's key, or JPOS_NONE */
};

/*
 * Indexes text[0..len).  Returns 0 when the whole text was indexed, 1 when
 * the scan stopped at a duplicate key (jp->dup), -1 on malformed text or
 * out of memory.  jp is always left valid for lookups and jpos_free().
 */
int jpos_build(struct jpos *jp, const char *text, size_t len);
void jpos_free(struct jpos *jp);

/* The member `key` of object node obj, or JPOS_NONE. */
uint32_t jpos_member(const struct jpos *jp, uint32_t obj, const char *key);
/* Element i of array node arr, or JPOS_NONE. */
uint32_t jpos_element(const struct jpos *jp, uint32_t arr, size_t i);
/* The node's decoded key, or NULL when it is not an object member. */
const char *jpos_key(const struct jpos *jp, uint32_t node);

/*
 * Writes the node's path ("dataplane.ports[0].name"; "" for the root) into
 * buf, truncated to len - 1 bytes.  Bytes below 0x20 and 0x7f in keys are
 * written as \xNN so that a path always fits on one line.
 */
void jpos_path(const struct jpos *jp, uint32_t node, char *buf, size_t len);

#endif /* DPF_CONTROL_JSONPOS_H */
