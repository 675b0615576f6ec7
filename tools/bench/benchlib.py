# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the samplers that tools/bench/run.sh runs in Python
(imported with sys.path set to this folder): the forwarding thread of a
process, its scheduler times, and the steal time of CPU 1."""
import os


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


def steal_ticks():
    """Steal time of CPU 1 (the forwarding core), in clock ticks."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu1 "):
                return int(line.split()[8])
    return 0
