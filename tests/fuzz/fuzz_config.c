/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: libFuzzer target for the config loader (control/config/).
 *
 * The input, NUL-terminated, is the config text.  Invariants, each an
 * abort():
 *  - cfg_load_string returns 0 with a config, or -1 with none and an error
 *    that has a message and a position (line >= 1: Jansson's for syntax,
 *    the index's for everything else) and formats to one line;
 *  - in DPF_FUZZING builds the loader itself aborts when Jansson accepts a
 *    text that the position index cannot scan;
 *  - an accepted config prints to text that loads again and prints the same
 *    (print -> load -> print is a fixed point).
 * Relative "key_file" and table "file" paths are read from the current
 * directory; the loader opens regular files only (key files: 256 bytes at
 * most, table files: up to 64 MiB, stopping at the first bad entry), so no
 * input can block it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
print_to_string(const struct dpf_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	cfg_print(f, cfg);
	if (fclose(f) != 0)
		abort();
	return buf;
}

static void
check_error(const struct cfg_error *err)
{
	char line[CFG_ERR_MAX + 256];

	if (err->msg[0] == '\0' || err->line < 1 || err->column < 0)
		abort();
	cfg_error_format(err, "fuzz.json", line, sizeof(line));
	if (strchr(line, '\n') != NULL || strchr(line, '\r') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpf_config *cfg = NULL, *again = NULL;
	struct cfg_error err;
	char *text, *a, *b;
	size_t alen, blen;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_load_string(text, &cfg, &err) != 0) {
		if (cfg != NULL)
			abort();
		check_error(&err);
		free(text);
		return 0;
	}
	free(text);
	if (cfg == NULL)
		abort();
	a = print_to_string(cfg, &alen);
	if (cfg_load_string(a, &again, &err) != 0) {
		fprintf(stderr, "printed config does not load: %s:%d:%d: %s\n%s", err.path,
			err.line, err.column, err.msg, a);
		abort();
	}
	b = print_to_string(again, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0) {
		fprintf(stderr, "print is not a fixed point:\n%s\n----\n%s", a, b);
		abort();
	}
	free(a);
	free(b);
	cfg_free(again);
	cfg_free(cfg);
	return 0;
}
