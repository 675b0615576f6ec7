#!/usr/bin/env python3
"""Sum up a meson test run case by case.

Reads meson-logs/testlog.json (one JSON object per test), counts every TAP
line of every test ("ok", "not ok", "# SKIP"), prints a table per test, and
ends with the line "N passed, N failed, N skipped".  A test that failed
without a failing TAP line (a crash, a timeout, a bail-out) counts as one
failure, so no failure can hide behind a count.  Each failing TAP line is
printed again with the diagnostics ("# ...") that follow it, and the last
lines of a test that failed without one, so that a log cut to its tail (CI)
still says what failed.  Exit status 1 on any failure.
"""
import json
import re
import sys
from collections import defaultdict

TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def main(path):
    suites = defaultdict(lambda: [0, 0, 0])
    failed_tests = []
    details = []
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            name = t["name"]
            p = fl = sk = 0
            lines = (t.get("stdout") or "").splitlines()
            for i, l in enumerate(lines):
                m = TAP.match(l)
                if not m:
                    continue
                skip = re.search(r"#\s*SKIP", m.group(2), re.I)
                if skip:
                    sk += 1
                elif m.group(1) == "ok":
                    p += 1
                else:
                    fl += 1
                    details.append("  %s: %s" % (name, l[:300]))
                    for d in lines[i + 1:i + 6]:
                        if not d.startswith("#"):
                            break
                        details.append("  %s:   %s" % (name, d[:300]))
            if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and fl == 0:
                fl = 1
                tail = lines[-8:] + (t.get("stderr") or "").splitlines()[-4:]
                details.extend("  %s: %s" % (name, d[:300]) for d in tail)
            if t["result"] == "SKIP" and p + fl + sk == 0:
                sk = 1
            if fl:
                failed_tests.append("%s (%s)" % (name, t["result"]))
            suites[name][0] += p
            suites[name][1] += fl
            suites[name][2] += sk
    tp = sum(v[0] for v in suites.values())
    tf = sum(v[1] for v in suites.values())
    ts = sum(v[2] for v in suites.values())
    print("%-28s %7s %7s %7s" % ("test", "passed", "failed", "skipped"))
    for k in sorted(suites):
        v = suites[k]
        print("%-28s %7d %7d %7d" % (k, v[0], v[1], v[2]))
    for d in details[-60:]:
        print(d)
    for f in failed_tests:
        print("FAILED: " + f)
    print("%d passed, %d failed, %d skipped" % (tp, tf, ts))
    return 1 if tf else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"))
