#!/usr/bin/env bash
# One TCP stream (iperf3) through a split path (client -> server through one
# dpf node, the replies through the other, pfsync between them) beside the
# same stream through one node, in the same run: the topology and the
# measurement are tests/integration/test_pfsync_split.sh's SPLIT_BENCH mode
# (see its header).  Not part of make test.  Needs root; holds
# /tmp/dpf-bench.lock and /tmp/dpf-it.lock for the whole run.
#
#   tools/bench/split_bench.sh BUILD_DIR [SECONDS [ROUNDS]]   (10, 3)
#
# Prints the test's "# bench" lines: each round's throughput, the means and
# their ratio (docs/BENCHMARKS.md "Split paths"), and uptime's load.
set -u
BUILD=${1:?usage: $0 BUILD_DIR [SECONDS [ROUNDS]]}
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
exec flock /tmp/dpf-bench.lock flock /tmp/dpf-it.lock \
	env DPF_BUILDDIR="$(cd "$BUILD" && pwd)" SPLIT_BENCH="${2:-10}" SPLIT_ROUNDS="${3:-3}" \
	bash "$HERE/../../tests/integration/test_pfsync_split.sh"
