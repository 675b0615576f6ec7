#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draws the benchmark CSVs (tools/bench/benchcsv.sh schema) as PNG charts
and one Markdown table of medians.

  plot.py [--out DIR] [CSV...]

CSV defaults to every DIR/*.csv (harness.csv from tools/bench/run.sh,
peers.csv from tools/bench/ovs.sh, pktgen.csv from tools/bench/pktgen.sh);
DIR defaults to docs/bench of this tree.  Writes into DIR:

  throughput-frame.png  forwarding Mpps by frame size (test established,
                        1024 flows; frame sizes on the wire, imix last),
                        one line per harness and device under test;
  states.png            forwarding Mpps and cycles/packet by number of
                        flows (= established states for dpf), 64 B frames;
  new-states-rules.png  M new states/s and cycles per new state by ruleset
                        size (test new, warm passes), one line per N;
  peers.png             dpf beside its peers: one panel per harness and
                        forwarding test, bars per device under test, by
                        frame size, at the fewest flows that harness ran;
  results.md            every median: one row per harness, test, dut,
                        frame, flows and rules.

A figure is the median over every row of its group (rounds, and a states
round's passes).  A row that does not fit the schema is reported on
stderr as FILE:LINE: reason and left out; so is a file whose header is
not the schema's (FILE:1).  Missing inputs give the charts with what there
is, or a chart that says what is missing; the exit status is 0 unless DIR
cannot be written (1) or the arguments are wrong (2).
"""
import argparse
import glob
import math
import os
import statistics
import sys

COLUMNS = ("harness", "test", "dut", "frame", "flows", "rules", "round", "mpps", "cycles",
           "loss")
# Tests whose mpps column is new states/s / 1e6 (benchcsv.sh), not a rate
# of forwarded packets; they are left out of the forwarding charts.
STATE_TESTS = ("new", "new-cold", "syn", "nostate", "nostate-cold")
# Colours per device under test, so that one device has one colour in
# every chart.
DUT_COLOURS = {"dpf": "tab:red", "testpmd": "tab:blue", "ovs": "tab:green",
               "ovs-l3": "tab:cyan", "ovs-ct": "tab:olive", "pktgen": "tab:purple"}
OTHER_COLOURS = ("tab:orange", "tab:brown", "tab:pink", "tab:gray")
PEERS_ORDER = ("dpf", "testpmd", "ovs", "ovs-l3", "ovs-ct")
# Line style and marker per harness: the same device on two harnesses is
# two lines of one colour.
HARNESS_STYLE = {"pcap": ("-", "o"), "memif": ("--", "s"), "pktgen": (":", "^")}
PNGS = ("throughput-frame.png", "states.png", "new-states-rules.png", "peers.png")


class Row:
    __slots__ = COLUMNS + ("src",)


def _uint(v, name):
    if not v.isdigit():
        raise ValueError("%s %r is not a whole number" % (name, v))
    return int(v)


def _num(v, name, empty_ok, hi=None):
    if v == "":
        if empty_ok:
            return None
        raise ValueError("%s is empty" % name)
    try:
        x = float(v)
    except ValueError:
        raise ValueError("%s %r is not a number" % (name, v)) from None
    if not math.isfinite(x) or x < 0 or (hi is not None and x > hi):
        raise ValueError("%s %r is out of range (0..%s)" % (name, v, hi if hi else "inf"))
    return x


def parse_row(fields):
    """One Row from the fields of a CSV line; ValueError says what is wrong."""
    if len(fields) != len(COLUMNS):
        raise ValueError("%d fields, the schema has %d (%s)"
                         % (len(fields), len(COLUMNS), ",".join(COLUMNS)))
    r = Row()
    f = [x.strip() for x in fields]
    for name, v in zip(COLUMNS[:3], f[:3]):
        if not v:
            raise ValueError("%s is empty" % name)
        setattr(r, name, v)
    r.frame = f[3].lower()
    if r.frame != "imix":
        if _uint(r.frame, "frame") < 1:
            raise ValueError("frame 0")
        r.frame = int(r.frame)
    r.flows = _uint(f[4], "flows")
    r.rules = _uint(f[5], "rules")
    r.round = _uint(f[6], "round")
    if r.round < 1:
        raise ValueError("round 0 (rounds count from 1)")
    r.mpps = _num(f[7], "mpps", False)
    r.cycles = _num(f[8], "cycles", True)
    r.loss = _num(f[9], "loss", True, 1)
    return r


def read_csvs(paths, warn):
    """Rows of every file in PATHS; WARN(msg) for each bad line or file."""
    rows = []
    for p in paths:
        try:
            with open(p) as fh:
                lines = fh.read().splitlines()
        except OSError as e:
            warn("%s: cannot read: %s" % (p, e.strerror))
            continue
        if not lines:
            warn("%s: empty file (no header)" % p)
            continue
        head = [x.strip() for x in lines[0].split(",")]
        if tuple(head) != COLUMNS:
            warn("%s:1: header is not %s" % (p, ",".join(COLUMNS)))
            continue
        for n, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            try:
                r = parse_row(line.split(","))
            except ValueError as e:
                warn("%s:%d: %s" % (p, n, e))
                continue
            r.src = os.path.basename(p)
            rows.append(r)
    return rows


def frame_key(f):
    return (1, 0) if f == "imix" else (0, f)


def medians(rows):
    """{(harness, test, dut, frame, flows, rules): stats} over ROWS."""
    groups = {}
    for r in rows:
        groups.setdefault((r.harness, r.test, r.dut, r.frame, r.flows, r.rules), []).append(r)
    out = {}
    for k, g in groups.items():
        m = [r.mpps for r in g]
        c = [r.cycles for r in g if r.cycles is not None]
        lo = [r.loss for r in g if r.loss is not None]
        out[k] = {"n": len(g), "mpps": statistics.median(m), "min": min(m), "max": max(m),
                  "cycles": statistics.median(c) if c else None,
                  "loss": statistics.median(lo) if lo else None,
                  "src": ",".join(sorted({r.src for r in g}))}
    return out


def sort_key(k):
    h, t, d, fr, fl, ru = k
    return (h, t, d, frame_key(fr), fl, ru)


def fmt(v, f):
    return "-" if v is None else f % v


def write_table(path, med, srcs, problems):
    with open(path, "w") as f:
        f.write("# Benchmark medians\n\n")
        f.write("Written by `tools/bench/plot.py` from %s.  Median over every row of the "
                "group (rounds; states mode: every pass), with the range.  mpps is forwarded "
                "Mpps, or M new states/s for the tests new, new-cold and syn; cycles are per "
                "packet, or per new state for new and new-cold (tools/bench/benchcsv.sh, "
                "tools/bench/run.sh).\n\n"
                % (", ".join("`%s`" % s for s in srcs) if srcs else "no CSV file"))
        if not med:
            f.write("No figures: no valid row in the input.\n")
        else:
            f.write("| harness | test | dut | frame | flows | rules | rows | Mpps (median) "
                    "| Mpps (min-max) | cycles (median) | loss (median) | file |\n")
            f.write("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
            for k in sorted(med, key=sort_key):
                s = med[k]
                f.write("| %s | %s | %s | %s | %d | %d | %d | %.3f | %.3f-%.3f | %s | %s | %s |\n"
                        % (k[0], k[1], k[2], k[3], k[4], k[5], s["n"], s["mpps"], s["min"],
                           s["max"], fmt(s["cycles"], "%.0f"), fmt(s["loss"], "%.4f"),
                           s["src"]))
        if problems:
            f.write("\nLeft out (%d):\n\n" % len(problems))
            for p in problems:
                f.write("- %s\n" % p)


class Charts:
    def __init__(self, plt, out, med):
        self.plt = plt
        self.out = out
        self.med = med
        self.colour_of = dict(DUT_COLOURS)

    def colour(self, dut):
        if dut not in self.colour_of:
            n = len(self.colour_of) - len(DUT_COLOURS)
            self.colour_of[dut] = OTHER_COLOURS[n % len(OTHER_COLOURS)]
        return self.colour_of[dut]

    @staticmethod
    def style(h):
        ls, m = HARNESS_STYLE.get(h, ("-.", "D"))
        return {"linestyle": ls, "marker": m}

    def save(self, fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(self.out, name), dpi=100)
        self.plt.close(fig)

    @staticmethod
    def note(ax, text):
        ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True,
                fontsize=10, color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])

    def by_frame(self):
        fig, ax = self.plt.subplots(figsize=(8, 5))
        series = {}
        for (h, t, d, fr, fl, ru), s in self.med.items():
            if t == "established" and fl == 1024:
                series.setdefault((h, d), {})[fr] = s["mpps"]
        frames = sorted({fr for v in series.values() for fr in v}, key=frame_key)
        if not series:
            self.note(ax, "no data: no row with test 'established' and 1024 flows\n"
                      "(tools/bench/run.sh pcap with BENCH_FRAMES)")
        else:
            xs = range(len(frames))
            for (h, d) in sorted(series):
                v = series[(h, d)]
                pts = [(i, v[fr]) for i, fr in enumerate(frames) if fr in v]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=self.colour(d),
                        label="%s (%s)" % (d, h), **self.style(h))
            ax.set_xticks(list(xs))
            ax.set_xticklabels([str(f) for f in frames])
            ax.set_xlabel("frame size on the wire (bytes)")
            ax.set_ylabel("Mpps (median)")
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
            ax.legend()
        ax.set_title("Forwarding throughput by frame size (1024 flows, one worker core)")
        self.save(fig, "throughput-frame.png")

    def by_states(self):
        fig, (a1, a2) = self.plt.subplots(1, 2, figsize=(11, 4.5))
        series = {}
        for (h, t, d, fr, fl, ru), s in self.med.items():
            if t == "established" and fr == 64 and fl > 0:
                series.setdefault((h, d), {})[fl] = s
        if not series:
            for ax in (a1, a2):
                self.note(ax, "no data: no row with test 'established' and 64 B frames\n"
                          "(tools/bench/run.sh states)")
        else:
            for (h, d) in sorted(series):
                v = series[(h, d)]
                fl = sorted(v)
                kw = dict(color=self.colour(d), label="%s (%s)" % (d, h), **self.style(h))
                a1.plot(fl, [v[x]["mpps"] for x in fl], **kw)
                c = [x for x in fl if v[x]["cycles"] is not None]
                if c:
                    a2.plot(c, [v[x]["cycles"] for x in c], **kw)
            for ax, yl in ((a1, "Mpps (median)"), (a2, "cycles/packet (median)")):
                ax.set_xscale("log")
                ax.set_xlabel("flows (dpf: established states)")
                ax.set_ylabel(yl)
                ax.set_ylim(bottom=0)
                ax.grid(True, alpha=0.3, which="both")
                ax.legend()
        a1.set_title("Throughput by number of states (64 B)")
        a2.set_title("Cycles per packet by number of states (64 B)")
        self.save(fig, "states.png")

    def by_rules(self):
        fig, (a1, a2) = self.plt.subplots(1, 2, figsize=(11, 4.5))
        series = {}
        for (h, t, d, fr, fl, ru), s in self.med.items():
            if t == "new":
                series.setdefault((h, d, fl), {})[ru] = s
        if not series:
            for ax in (a1, a2):
                self.note(ax, "no data: no row with test 'new'\n(tools/bench/run.sh states)")
        else:
            for (h, d, fl) in sorted(series):
                v = series[(h, d, fl)]
                ru = sorted(v)
                kw = dict(marker="o", label="%s, %d states (%s)" % (d, fl, h))
                a1.plot(ru, [v[x]["mpps"] for x in ru], **kw)
                c = [x for x in ru if v[x]["cycles"] is not None]
                if c:
                    a2.plot(c, [v[x]["cycles"] for x in c], **kw)
            for ax, yl in ((a1, "M new states/s (median)"),
                           (a2, "cycles per new state (median)")):
                ax.set_xscale("log")
                ax.set_xlabel("rules (the last one matches)")
                ax.set_ylabel(yl)
                ax.set_ylim(bottom=0)
                ax.grid(True, alpha=0.3, which="both")
                ax.legend()
        a1.set_title("New states/s by ruleset size")
        a2.set_title("Cycles per new state by ruleset size")
        self.save(fig, "new-states-rules.png")

    def peers(self):
        panels = {}
        for (h, t, d, fr, fl, ru), s in self.med.items():
            if t in STATE_TESTS:
                continue
            panels.setdefault((h, t), []).append((d, fr, fl, s["mpps"]))
        n = max(1, len(panels))
        cols = min(n, 2)
        fig, axes = self.plt.subplots((n + cols - 1) // cols, cols,
                                      figsize=(6.5 * cols, 4.5 * ((n + cols - 1) // cols)),
                                      squeeze=False)
        flat = [a for row in axes for a in row]
        if not panels:
            self.note(flat[0], "no data: no forwarding row\n(tools/bench/run.sh, ovs.sh, "
                      "pktgen.sh)")
            flat[0].set_title("dpf beside its peers")
        for ax, (h, t) in zip(flat, sorted(panels)):
            pts = panels[(h, t)]
            fl = min(p[2] for p in pts)
            pts = [p for p in pts if p[2] == fl]
            duts = sorted({p[0] for p in pts},
                          key=lambda d: (PEERS_ORDER.index(d) if d in PEERS_ORDER
                                         else len(PEERS_ORDER), d))
            frames = sorted({p[1] for p in pts}, key=frame_key)
            # Several rules counts of one device (should not happen in a
            # forwarding test): the highest median is drawn.
            val = {}
            for d, fr, _, m in pts:
                val[(d, fr)] = max(m, val.get((d, fr), 0))
            w = 0.8 / len(duts)
            for i, d in enumerate(duts):
                xs = [j + (i - (len(duts) - 1) / 2) * w for j, fr in enumerate(frames)
                      if (d, fr) in val]
                ys = [val[(d, fr)] for fr in frames if (d, fr) in val]
                bars = ax.bar(xs, ys, w, color=self.colour(d), label=d)
                ax.bar_label(bars, fmt="%.2f", fontsize=7)
            ax.set_xticks(range(len(frames)))
            ax.set_xticklabels([str(f) for f in frames])
            ax.set_xlabel("frame size on the wire (bytes)")
            ax.set_ylabel("Mpps (median)")
            ax.set_title("%s harness, %s, %d flows" % (h, t, fl))
            ax.grid(True, axis="y", alpha=0.3)
            ax.legend()
        for ax in flat[len(panels) or 1:]:
            ax.set_visible(False)
        self.save(fig, "peers.png")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "docs", "bench"))
    ap.add_argument("csv", nargs="*")
    a = ap.parse_args()
    out = os.path.normpath(a.out)
    paths = a.csv or sorted(glob.glob(os.path.join(out, "*.csv")))
    problems = []

    def warn(msg):
        problems.append(msg)
        print("plot.py: " + msg, file=sys.stderr)

    if not paths:
        warn("no CSV file in %s (run make bench, or name the files)" % out)
    rows = read_csvs(paths, warn)
    med = medians(rows)
    try:
        os.makedirs(out, exist_ok=True)
        write_table(os.path.join(out, "results.md"), med,
                    [os.path.basename(p) for p in paths], problems)
    except OSError as e:
        print("plot.py: %s: %s" % (out, e.strerror), file=sys.stderr)
        return 1
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    c = Charts(plt, out, med)
    for draw in (c.by_frame, c.by_states, c.by_rules, c.peers):
        draw()
    print("plot.py: %d rows (%d left out) from %d file(s), %d medians -> %s: results.md %s"
          % (len(rows), len(problems), len(paths), len(med), out, " ".join(PNGS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
