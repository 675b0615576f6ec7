#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/bench/plot.py on the fixture CSVs of tests/unit/bench/ (TAP).

fixture.csv: every chart's inputs with known medians (odd and even row
counts, empty cycles, imix, two harnesses); bad.csv: two good rows and
three malformed ones at lines 4 (8 fields), 5 (mpps abc) and 6 (loss 1.5).  Checks the PNGs (signature,
IHDR size, bytes), the rows of results.md with their medians, the
FILE:LINE reports, the charts of an empty input, and that rows written by
tools/bench/benchcsv.sh and by benchlib.csv_append read back alike.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

SRC = os.environ.get("DPF_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
PLOT = os.path.join(SRC, "tools", "bench", "plot.py")
FIX = os.path.join(SRC, "tests", "unit", "bench")
PY = "/usr/bin/python3"
PNGS = ("throughput-frame.png", "states.png", "new-states-rules.png", "peers.png")

n = 0
failed = 0


def ok(cond, name, diag=""):
    global n, failed
    n += 1
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[-15:]:
            print("# " + line)
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))


def plot(out, *csvs):
    return subprocess.run([PY, PLOT, "--out", out] + list(csvs), capture_output=True,
                          text=True, timeout=120)


def png_info(path):
    """(width, height, bytes) of a PNG, or None if the signature or the
    IHDR chunk is not there."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", b[16:24])
    return w, h, len(b)


def table(path):
    """{(harness, test, dut, frame, flows, rules): (rows, mpps, cycles, loss)}
    from results.md."""
    t = {}
    with open(path) as f:
        for line in f:
            c = [x.strip() for x in line.strip().strip("|").split("|")]
            if len(c) == 12 and c[0] not in ("harness", "---"):
                t[tuple(c[:6])] = (c[6], c[7], c[9], c[10])
    return t


def main():
    try:
        import matplotlib  # noqa: F401
    except Exception as e:  # a broken install raises more than ImportError
        print("1..0 # SKIP no matplotlib (%s): apt-get install python3-matplotlib" % e)
        return 0
    print("1..25")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        r = plot(out, os.path.join(FIX, "fixture.csv"), os.path.join(FIX, "bad.csv"))
        ok(r.returncode == 0, "plot.py on fixture.csv and bad.csv exits 0", r.stderr)
        for p in PNGS:
            path = os.path.join(out, p)
            i = png_info(path) if os.path.exists(path) else None
            ok(i is not None and i[0] >= 400 and i[1] >= 300 and i[2] > 15000,
               "%s: a PNG of at least 400x300 and 15 kB" % p, i)
        t = table(os.path.join(out, "results.md")) if os.path.exists(
            os.path.join(out, "results.md")) else {}
        want = [
            (("pcap", "established", "testpmd", "64", "1024", "0"), ("3", "11.000", "190", "-"),
             "odd count: median of 10, 12, 11; cycles 190"),
            (("pcap", "established", "dpf", "64", "1024", "1"), ("3", "5.000", "600", "-"),
             "dpf 64 B: 5.000 Mpps, 600 cycles"),
            (("pcap", "established", "dpf", "128", "1024", "1"), ("2", "3.500", "-", "-"),
             "even count: mean of the middle two; empty cycles give -"),
            (("pcap", "established", "dpf", "imix", "1024", "1"), ("1", "2.500", "1000", "-"),
             "imix frame"),
            (("pcap", "established", "dpf", "64", "1000000", "1"), ("3", "2.200", "1200", "-"),
             "1M flows"),
            (("pcap", "new", "dpf", "64", "1000000", "1"), ("2", "1.600", "1600", "-"),
             "new states: two passes of one round both count"),
            (("pcap", "new", "dpf", "64", "1000000", "1000"), ("3", "1.000", "2600", "-"),
             "new states at 1000 rules"),
            (("memif", "established", "ovs", "64", "1024", "0"), ("1", "3.300", "780", "0.0100"),
             "a peer's row with its loss"),
            (("pktgen", "established", "dpf", "64", "1024", "1"), ("2", "8.000", "-", "0.5000"),
             "bad.csv: the two good rows only"),
        ]
        for k, v, name in want:
            ok(t.get(k) == v, "results.md: %s" % name, "%s: got %s, want %s" % (k, t.get(k), v))
        ok(len(t) == 14, "results.md: 14 median rows", "got %d: %s" % (len(t), sorted(t)))
        bad = os.path.join(FIX, "bad.csv")
        ok(re.search(re.escape(bad) + r":4: 8 fields", r.stderr) is not None,
           "bad.csv:4 reported: 8 fields", r.stderr)
        ok(re.search(re.escape(bad) + r":5: mpps 'abc' is not a number", r.stderr) is not None,
           "bad.csv:5 reported: mpps not a number", r.stderr)
        ok(re.search(re.escape(bad) + r":6: loss '1.5' is out of range", r.stderr) is not None
           and "fixture.csv:" not in r.stderr,
           "bad.csv:6 reported: loss out of range; nothing in fixture.csv", r.stderr)
        with open(os.path.join(out, "results.md")) as f:
            md = f.read()
        ok("Left out (3)" in md and "bad.csv:5:" in md,
           "results.md lists the 3 rows left out", md[-600:])

        # No input at all: every chart says so, nothing crashes.
        empty = os.path.join(tmp, "empty")
        r = plot(empty)
        info = [png_info(os.path.join(empty, p)) if os.path.exists(os.path.join(empty, p))
                else None for p in PNGS]
        ok(r.returncode == 0 and all(i is not None and i[2] > 5000 for i in info)
           and "no CSV file" in r.stderr,
           "no CSV: exit 0, the 4 PNGs drawn with a note, the reason on stderr",
           "%s %s %s" % (r.returncode, info, r.stderr))
        with open(os.path.join(empty, "results.md")) as f:
            ok("No figures" in f.read(), "no CSV: results.md says there are no figures")

        # One file from both writers (the shell's bench_csv and Python's
        # csv_append): one header, two rows, read back alike.
        both = os.path.join(tmp, "both", "x.csv")
        sh = subprocess.run(["bash", "-c", '. "$1"; bench_csv "$2" pcap established dpf 64 '
                             '1024 1 1 4.5 575.2 ""', "-",
                             os.path.join(SRC, "tools", "bench", "benchcsv.sh"), both],
                            capture_output=True, text=True)
        sys.path.insert(0, os.path.join(SRC, "tools", "bench"))
        import benchlib
        import plot as plotmod
        benchlib.csv_append(both, "pcap", "established", "dpf", 64, 1024, 1, 2, 5.5, 624.8, None)
        with open(both) as f:
            lines = f.read().splitlines()
        ok(sh.returncode == 0 and len(lines) == 3 and lines[0] == benchlib.CSV_HEADER
           and lines[1] == "pcap,established,dpf,64,1024,1,1,4.5,575.2,"
           and lines[2] == "pcap,established,dpf,64,1024,1,2,5.5,624.8,",
           "bench_csv and csv_append write one header and the same row format",
           sh.stderr + "\n".join(lines))
        probs = []
        rows = plotmod.read_csvs([both], probs.append)
        ok(len(rows) == 2 and not probs and [x.mpps for x in rows] == [4.5, 5.5],
           "plot.py reads both rows back", "%s %s" % (probs, len(rows)))
        try:
            benchlib.csv_append(both, "pcap", "a,b", "dpf", 64, 1, 1, 1, 1.0)
            refused = False
        except ValueError:
            refused = True
        ok(refused, "csv_append refuses a field with a comma")
        sh = subprocess.run(["bash", "-c", '. "$1"; bench_csv "$2" pcap established dpf 64',
                             "-", os.path.join(SRC, "tools", "bench", "benchcsv.sh"), both],
                            capture_output=True, text=True)
        ok(sh.returncode == 2 and "want 10 fields" in sh.stderr,
           "bench_csv refuses a short row", sh.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
