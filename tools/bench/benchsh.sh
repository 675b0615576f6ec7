#!/usr/bin/env bash
# What the bench scripts (run.sh, ovs.sh, pfsync_bench.sh) share.  Source
# this file; do not run it.
# shellcheck disable=SC2034  # WATCHDOG, TSC_MHZ and TSC_SRC are for the caller

# bench_watchdog NAME LIMIT_S: a background watchdog that TERMs this shell
# after LIMIT_S seconds ("NAME: time limit ...s reached"); its pid in
# WATCHDOG, for the caller's cleanup to kill.  It waits with the wait
# builtin, so that TERM ends it at once, and drops the caller's EXIT trap:
# bash would run the parent's cleanup in it on exit.
bench_watchdog() {
	local name=$1 limit=$2
	(
		trap - EXIT
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$limit" &
		sp=$!
		wait "$sp" && { echo "$name: time limit ${limit}s reached" >&2; kill -TERM $$; }
	) &
	WATCHDOG=$!
}

# bench_tsc: TSC_MHZ and TSC_SRC, the kernel's calibration if dmesg is
# readable, else /proc/cpuinfo's "cpu MHz".
bench_tsc() {
	TSC_MHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -1)
	TSC_SRC="dmesg 'tsc: Detected'"
	if [ -z "$TSC_MHZ" ]; then
		TSC_MHZ=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
		TSC_SRC="/proc/cpuinfo 'cpu MHz'"
	fi
}

# awk functions of the summary tables (prepend to an awk program): the
# median, minimum and maximum of a[1..n], and "median (min-max)" of them
# printed with format f.
AWK_STATS='
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
	function hi(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
	function rng(a, n, f) { return n ? sprintf(f " (" f "-" f ")", med(a, n), lo(a, n), hi(a, n)) : "-" }
'
