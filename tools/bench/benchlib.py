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
