/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers test_config.c and test_config_values.c share (config_util.c).
 */
#ifndef DPF_TESTS_UNIT_CONFIG_UTIL_H
#define DPF_TESTS_UNIT_CONFIG_UTIL_H

#include <limits.h>
#include <stddef.h>

#include "control/config/config.h"

#define PORT0 "{\"name\": \"p0\", \"device\": \"net_null0\"}"
#define DP "\"dataplane\": {\"ports\": [" PORT0 "]}"
/* A valid config with one port p0, followed by the case's sections. */
#define CFG(rest) "{\"schema_version\": 1, " DP rest "}"
/* The same with untagged interface lan on p0. */
#define CFG_LAN(rest) CFG(", \"interfaces\": [{\"name\": \"lan\", \"port\": \"p0\"}]" rest)
#define VHID(fields) CFG_LAN(", \"carp\": {\"vhids\": [{\"vhid\": 1, \"interface\": \"lan\", " \
			     "\"addresses\": [\"198.18.1.1/24\"], " fields "}]}")

/* The source tree (DPF_SRCDIR, else "."); set by cfg_test_chdir(). */
extern char srcdir[PATH_MAX];

/* Line and column (1-based, counting characters as Jansson does) of byte off. */
void text_pos(const char *text, size_t off, int *line, int *col);
/* text loaded; fails the test on an error. */
struct dpf_config *load_ok(const char *text);
/* cfg printed (cfg_print()), to free(). */
char *print_str(const struct dpf_config *cfg);
/* A whole file, NUL-terminated, to free(); fails the test if it cannot. */
char *read_file(const char *path);
/*
 * Sets srcdir and changes to SRCDIR/tests/config, so that relative key_file
 * and table file paths ("keys/carp1.key", "tables/good.txt") resolve;
 * -1 (with a TAP "Bail out!" printed) if it cannot.
 */
int cfg_test_chdir(void);

#endif /* DPF_TESTS_UNIT_CONFIG_UTIL_H */
