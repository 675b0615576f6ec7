/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the config unit tests (config_util.h). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config/config.h"
#include "tests/unit/config_util.h"

char srcdir[PATH_MAX];

void
text_pos(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 0;
	for (size_t i = 0; i <= off; i++) {
		unsigned char c = (unsigned char)text[i];

		if (i < off && c == '\n') {
			(*line)++;
			*col = 0;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

struct dpf_config *
load_ok(const char *text)
{
	struct dpf_config *cfg = NULL;
	struct cfg_error err;

	if (cfg_load_string(text, &cfg, &err) != 0) {
		print_error("unexpected error %d:%d: %s: %s\n", err.line, err.column, err.path,
			    err.msg);
		fail();
	}
	assert_non_null(cfg);
	return cfg;
}

char *
print_str(const struct dpf_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cfg_print(f, cfg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL) {
		print_error("cannot open %s\n", path);
		fail();
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

int
cfg_test_chdir(void)
{
	const char *env = getenv("DPF_SRCDIR");
	char dir[PATH_MAX + 32];

	snprintf(srcdir, sizeof(srcdir), "%s", env != NULL ? env : ".");
	snprintf(dir, sizeof(dir), "%s/tests/config", srcdir);
	if (chdir(dir) != 0) {
		printf("Bail out! cannot chdir to %s (set DPF_SRCDIR)\n", dir);
		return -1;
	}
	return 0;
}
