/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: EAL start with messages a newcomer can act on.
 *
 * rte_eal_init() reports a bad argument with its whole usage (some 110
 * lines on stdout) and the getopt line twice, a machine without hugepages
 * with "Permission denied", and some failures with rte_errno 0 ("failed:
 * Success").  So EAL's stdout and stderr go to temporary files while it
 * starts: on success they are replayed as they were; on failure the usage
 * is dropped, repeated lines are printed once, and the last line says
 * what to do.  With --help (or -h) EAL prints its usage and exits: nothing
 * is captured then.
 */
#define _GNU_SOURCE	/* memfd_create */
#define ALLOW_EXPERIMENTAL_API	/* rte_vect_{get,set}_max_simd_bitwidth (DPDK 22.11) */

#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_vect.h>

#include "control/app/app.h"
#include "control/log/dlog.h"

#define EAL_LINES_MAX 64	/* distinct lines of EAL's stderr kept on failure */

/* Free hugepages of every size, or -1 if sysfs cannot say. */
static long
hugepages_free(void)
{
	glob_t g;
	long sum = 0;

	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		long n = 0;

		if (f != NULL && fscanf(f, "%ld", &n) == 1)
			sum += n;
		if (f != NULL)
			fclose(f);
	}
	globfree(&g);
	return sum;
}

/* Redirects fd to a fresh memfd; returns the saved fd, or -1 (nothing redirected). */
static int
capture(int fd, int *mem)
{
	int saved;

	*mem = memfd_create("dpf-eal", MFD_CLOEXEC);
	if (*mem < 0)
		return -1;
	fflush(fd == 1 ? stdout : stderr);
	saved = dup(fd);
	if (saved < 0 || dup2(*mem, fd) < 0) {
		if (saved >= 0)
			close(saved);
		close(*mem);
		*mem = -1;
		return -1;
	}
	return saved;
}

/* Puts fd back; returns what was written to it meanwhile (NUL-ended, malloc'd) or NULL. */
static char *
release(int fd, int saved, int mem)
{
	char *text = NULL;
	off_t len;

	if (saved < 0)
		return NULL;
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	len = lseek(mem, 0, SEEK_END);
	if (len >= 0 && (text = malloc((size_t)len + 1)) != NULL) {
		ssize_t n = pread(mem, text, (size_t)len, 0);

		text[n > 0 ? n : 0] = '\0';
	}
	close(mem);
	return text;
}

static bool
has_arg(int argc, char **argv, const char *a)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], a) == 0)
			return true;
	return false;
}

/*
 * 512-bit SIMD for rte_acl (dataplane/rules_acl.c): EAL caps the SIMD
 * width at 256 bits on x86 unless told, which keeps rte_acl on its 16-flow
 * AVX-512 method; the 32-flow one classifies a burst of first packets at
 * 10k rules in about half the cycles (docs/BENCHMARKS.md, rules_bench).
 * Raised only on a CPU with the AVX-512 subsets rte_acl needs, and never
 * over --force-max-simd-bitwidth (`--force-max-simd-bitwidth=256` in
 * dataplane.eal.args keeps 256, e.g. on CPUs that lower their clock for
 * AVX-512).  Nothing else in dpf selects code by this width but PMDs,
 * which read it when their queues are set up, after this.
 */
static void
simd_width(bool forced)
{
#ifdef RTE_ARCH_X86
	if (forced || rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_512 ||
	    !rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) ||
	    !rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) ||
	    !rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512CD) ||
	    !rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW))
		return;
	rte_vect_set_max_simd_bitwidth(RTE_VECT_SIMD_512);
#else
	RTE_SET_USED(forced);
#endif
}

/*
 * EAL's stderr after a failure: each line once, EAL's own lines dropped
 * when it also printed its usage (they only say "Invalid arguments").
 */
static void
print_errors(char *err, bool usage)
{
	char *seen[EAL_LINES_MAX];
	unsigned int n = 0;

	for (char *line = strtok(err, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		bool dup = false;

		if (usage && strncmp(line, "EAL: ", 5) == 0 && strstr(line, "arguments") != NULL)
			continue;
		for (unsigned int i = 0; i < n && !dup; i++)
			dup = strcmp(seen[i], line) == 0;
		/* "EAL: FATAL: X" then "EAL: X": the same thing. */
		if (!dup && strncmp(line, "EAL: ", 5) == 0)
			for (unsigned int i = 0; i < n && !dup; i++)
				dup = strncmp(seen[i], "EAL: FATAL: ", 12) == 0 &&
				      strcmp(seen[i] + 12, line + 5) == 0;
		if (dup)
			continue;
		if (n < EAL_LINES_MAX)
			seen[n++] = line;
		fprintf(stderr, "%s\n", line);
	}
}

int
app_eal_init(int argc, char **argv)
{
	bool help = has_arg(argc, argv, "--help") || has_arg(argc, argv, "-h");
	int mem_out = -1, mem_err = -1, save_out = -1, save_err = -1, rc, e;
	char *out, *err;
	bool usage, forced = false;
	long huge;

	if (!help) {
		save_out = capture(1, &mem_out);
		save_err = capture(2, &mem_err);
	}
	for (int i = 1; i < argc; i++)	/* before rte_eal_init() permutes argv */
		forced |= strncmp(argv[i], "--force-max-simd-bitwidth",
				  strlen("--force-max-simd-bitwidth")) == 0;
	rc = rte_eal_init(argc, argv);
	e = rte_errno;
	out = release(1, save_out, mem_out);
	err = release(2, save_err, mem_err);
	if (rc >= 0) {
		simd_width(forced);
		fputs(out != NULL ? out : "", stdout);
		fputs(err != NULL ? err : "", stderr);
		free(out);
		free(err);
		return rc;
	}
	usage = out != NULL && strstr(out, "Usage:") != NULL;
	if (out != NULL && !usage)
		fputs(out, stdout);
	fflush(stdout);
	if (err != NULL)
		print_errors(err, usage);
	huge = hugepages_free();
	if (usage)
		dlog_text(DLOG_ERR, "EAL initialisation failed: an EAL argument it does not "
			"take (above); `dpf -- --help` lists EAL's options");
	else if (!has_arg(argc, argv, "--no-huge") && huge == 0)
		dlog_text(DLOG_ERR, "EAL initialisation failed: no free hugepages on this "
			"machine (free_hugepages is 0 for every size under "
			"/sys/kernel/mm/hugepages).  Reserve some as root, e.g. `echo 1024 > "
			"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages` (2 GiB), or set "
			"\"no_huge\": true in dataplane.eal (tests, demos)");
	else if (e == EACCES && geteuid() != 0)
		dlog_text(DLOG_ERR, "EAL initialisation failed: %s: EAL needs root (hugepages, "
			"devices)", rte_strerror(e));
	else if (e != 0)
		dlog_text(DLOG_ERR, "EAL initialisation failed: %s", rte_strerror(e));
	else
		dlog_text(DLOG_ERR, "EAL initialisation failed (EAL's messages above)");
	free(out);
	free(err);
	return rc;
}
