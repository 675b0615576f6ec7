/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LD_PRELOAD shim for test_dpf_run.sh: raises the signal named by
 * DPF_TEST_RAISE (HUP, TERM) from a shared library's constructor, i.e.
 * where DPDK's constructors run, after the loader and before main().  A
 * dpf that installed its handlers in main() was killed there.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void
raise_at_load(void)
{
	const char *s = getenv("DPF_TEST_RAISE");

	if (s == NULL)
		return;
	if (strcmp(s, "HUP") == 0)
		raise(SIGHUP);
	else if (strcmp(s, "TERM") == 0)
		raise(SIGTERM);
}
