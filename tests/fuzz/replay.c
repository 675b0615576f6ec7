/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: replay driver for fuzz targets.
 *
 * Links with one fuzz_<name>.c instead of libFuzzer and feeds it every file
 * of the directories given on the command line (stored seeds and the inputs
 * that once crashed), printing one TAP line per file.  A crash or sanitizer
 * report fails the test; reaching the end means every input was handled.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1 << 20)

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[REPLAY_MAX_INPUT];
	char *names[4096];
	int n = 0, t = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			printf("Bail out! %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		while ((e = readdir(d)) != NULL && n < (int)(sizeof(names) / sizeof(names[0]))) {
			char *path;

			if (e->d_name[0] == '.')
				continue;
			if (asprintf(&path, "%s/%s", argv[i], e->d_name) < 0)
				return 1;
			names[n++] = path;
		}
		closedir(d);
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	if (n == 0) {
		printf("Bail out! no inputs to replay\n");
		return 1;
	}
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(names[i], "rb");
		size_t len;

		if (f == NULL) {
			printf("not ok %d - %s: %s\n", ++t, names[i], strerror(errno));
			continue;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		printf("ok %d - %s (%zu bytes)\n", ++t, names[i], len);
		free(names[i]);
	}
	return 0;
}
