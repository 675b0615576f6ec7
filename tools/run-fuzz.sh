#!/usr/bin/env bash
# Runs every libFuzzer target in BUILDDIR/tests/fuzz for SECONDS each,
# starting from the stored seeds (tests/fuzz/corpus/<name>, read-only) and
# a working corpus in .fuzz-corpus/<name>.  A crash, leak or sanitizer
# report stops the target with an artifact in .fuzz-artifacts/ and fails
# the run; copy it into tests/fuzz/corpus/<name>/ as a regression case.
set -u
builddir=${1:?usage: run-fuzz.sh BUILDDIR SECONDS}
secs=${2:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/.fuzz-artifacts"
total_execs=0 total_secs=0 fails=0 n=0
for bin in "$builddir"/tests/fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	seeds="$top/tests/fuzz/corpus/$name"
	work="$top/.fuzz-corpus/$name"
	mkdir -p "$work"
	log=$(mktemp)
	start=$(date +%s)
	"$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
		-timeout=10 -artifact_prefix="$top/.fuzz-artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	el=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	n=$((n + 1))
	total_execs=$((total_execs + execs))
	total_secs=$((total_secs + el))
	if [ $rc -ne 0 ]; then
		fails=$((fails + 1))
		echo "fuzz $name: FAILED (exit $rc) after ${el}s, $execs executions"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -20
	else
		echo "fuzz $name: ok, ${el}s, $execs executions"
	fi
	rm -f "$log"
done
echo "fuzz: $n targets, ${total_secs}s, $total_execs executions, $fails failed"
[ "$n" -gt 0 ] && [ "$fails" -eq 0 ]
