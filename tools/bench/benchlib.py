# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the samplers that tools/bench/run.sh runs in Python
(imported with sys.path set to this folder): the forwarding thread of a
process, its scheduler times, the steal time of CPU 1, and the DPDK
telemetry socket of a process."""
import json
import os
import socket


def worker_tid(pid):
    """The thread of dpf's worker 0 or testpmd's forwarding lcore (CPU 1)."""
    for t in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/comm" % (pid, t)) as f:
            if f.read().strip() in ("rte-worker-1", "lcore-worker-1"):
                return t
    raise RuntimeError("no forwarding thread")


def schedstat(pid, tid):
    """(on-CPU ns, run-queue wait ns) of a thread."""
    with open("/proc/%s/task/%s/schedstat" % (pid, tid)) as f:
        v = f.read().split()
    return int(v[0]), int(v[1])


def telemetry(prefix):
    """The DPDK telemetry socket of the process with file prefix PREFIX,
    connected and its greeting read; None if there is none."""
    for d in ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/x"), "dpdk")):
        p = os.path.join(d, prefix, "dpdk_telemetry.v2")
        if os.path.exists(p):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(p)
            s.recv(4096)
            return s
    return None


def heap_alloc(prefix):
    """Alloc_size of DPDK heap 0 of the process with file prefix PREFIX;
    None if it has no telemetry socket."""
    s = telemetry(prefix)
    if s is None:
        return None
    s.send(b"/eal/heap_info,0")
    return int(json.loads(s.recv(65536))["/eal/heap_info"]["Alloc_size"])


def steal_ticks():
    """Steal time of CPU 1 (the forwarding core), in clock ticks."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu1 "):
                return int(line.split()[8])
    return 0


# The Python twin of tools/bench/benchcsv.sh: the same columns, in the same
# order, and the same header written once per file (tools/bench/plot.py
# reads both).  The column meanings are documented there.
CSV_COLUMNS = ("harness", "test", "dut", "frame", "flows", "rules", "round", "mpps",
               "cycles", "loss")
CSV_HEADER = ",".join(CSV_COLUMNS)


def csv_append(path, harness, test, dut, frame, flows, rules, rnd, mpps, cycles="", loss=""):
    """Appends one row to the bench CSV at PATH (its folder and header made
    if missing).  Numbers are written as given, floats with up to 6
    significant digits; None is an empty field.  A field with a comma or a
    newline is refused (ValueError): the format has no quoting."""
    vals = []
    for v in (harness, test, dut, frame, flows, rules, rnd, mpps, cycles, loss):
        if v is None:
            v = ""
        elif isinstance(v, float):
            v = "%.6g" % v
        v = str(v)
        if "," in v or "\n" in v:
            raise ValueError("bench csv: field %r has a comma or a newline" % v)
        vals.append(v)
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a") as f:
        if new:
            f.write(CSV_HEADER + "\n")
        f.write(",".join(vals) + "\n")
