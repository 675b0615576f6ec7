#!/usr/bin/python3
"""Checks `dpfctl show metrics` with a real Prometheus text-format parser.

usage: metrics_check.py METRICS.txt INFO.json INTERFACES.json RULES.json
                        WORKERS.json CARP.json PFSYNC.json
                        [INFO0.json INTERFACES0.json RULES0.json]

Prints TAP-less diagnostics and exits 1 on the first failed check.  What
it checks: the text parses (prometheus_client, the reference Python
client); every family has a type and counters end in _total; names follow
dpf_<area>_<counter>; the labels interface, worker, reason, rule and vhid
are there; every drop reason, pf counter, interface and rule of the JSON
replies has its sample, with the same value as `dpfctl -j` printed (with
the three optional replies taken before the metrics: a value between the
one before and the one after, as packets the kernel sends on its own, a
router solicitation or a neighbour probe, may come between the reads); and
every number of each `show` command's JSON reply is a sample: the samples
whose HELP names that command are counted against the JSON's numbers.
"""
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("# " + msg)
    sys.exit(1)


def main():
    text = open(sys.argv[1]).read()
    info = json.load(open(sys.argv[2]))
    ifaces = json.load(open(sys.argv[3]))
    rules = json.load(open(sys.argv[4]))["rules"]
    workers = json.load(open(sys.argv[5]))
    carp = json.load(open(sys.argv[6]))
    pfsync = json.load(open(sys.argv[7]))
    if len(sys.argv) > 10:
        info0 = json.load(open(sys.argv[8]))
        ifaces0 = json.load(open(sys.argv[9]))
        rules0 = json.load(open(sys.argv[10]))["rules"]
    else:
        info0, ifaces0, rules0 = info, ifaces, rules
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {}
    for f in fams.values():
        if f.type not in ("counter", "gauge"):
            fail(f"{f.name}: type {f.type}")
        for s in f.samples:
            if not re.fullmatch(r"dpf_[a-z0-9_]+", s.name):
                fail(f"bad name {s.name}")
            if f.type == "counter" and not s.name.endswith("_total"):
                fail(f"counter {s.name} without _total")
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in samples:
                fail(f"duplicate sample {key}")
            samples[key] = s.value
    print(f"# {len(fams)} families, {len(samples)} samples")

    def get(name, **labels):
        for (n, ls), v in samples.items():
            if n == name and all(dict(ls).get(k) == str(x) for k, x in labels.items()):
                return v
        fail(f"no sample {name} {labels}")

    labels = {k for (_, ls) in samples for k, _ in ls}
    for want in ("interface", "worker", "reason", "rule", "vhid"):
        if want not in labels:
            fail(f"no label {want} (labels: {sorted(labels)})")
    def agrees(what, got, v0, v1):
        if not min(v0, v1) <= got <= max(v0, v1):
            fail(f"{what}: {got} not in [{v0}, {v1}] (dpfctl -j before, after)")

    for reason, v in info["drops"].items():
        agrees(f"drop {reason}", get("dpf_drops_total", reason=reason),
               info0["drops"].get(reason, 0), v)
    for reason, v in info["counters"].items():
        agrees(f"pf counter {reason}", get("dpf_pf_counters_total", reason=reason),
               info0["counters"].get(reason, 0), v)
    for k in ("searches", "inserts", "removals", "current"):
        name = "dpf_states_current" if k == "current" else f"dpf_states_{k}_total"
        agrees(f"states {k}", get(name), info0["states"][k], info["states"][k])
    before = {i["name"]: i for i in ifaces0}
    for i in ifaces:
        for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes"):
            agrees(f"interface {i['name']} {k}",
                   get(f"dpf_interface_{k}_total", interface=i["name"]),
                   before.get(i["name"], i)[k], i[k])
    before = {r["id"]: r for r in rules0}
    for r in rules:
        for k in ("evaluations", "packets", "bytes"):
            agrees(f"rule {r['id']} {k}", get(f"dpf_rule_{k}_total", rule=r["id"]),
                   before.get(r["id"], r)[k], r[k])
    # Every number of each reply is a sample (HELP says where it comes from).
    def leaves(v, skip=()):
        if isinstance(v, bool) or isinstance(v, (int, float)):
            return 1
        if isinstance(v, dict):
            return sum(leaves(x, skip) for k, x in v.items() if k not in skip)
        if isinstance(v, list):
            return sum(leaves(x, skip) for x in v if isinstance(x, dict))
        return 0

    def from_cmd(prefix):
        return sum(len(f.samples) for f in fams.values()
                   if f.documentation.startswith(prefix))

    want = {
        # hostid is a label of dpf_info
        "show info": leaves(info) - 1,
        # "link": "up" becomes link_up
        "show interfaces": leaves(ifaces) + len(ifaces),
        "show workers": leaves(workers),
        # id and nr are labels
        "show rules -v": leaves(rules) - 2 * len(rules),
        # vhid is a label, the vhid's groups are dpf_carp_group_demotion's;
        # the state is 3 samples (INIT, BACKUP, MASTER)
        "show carp": leaves(carp, ("vhid", "groups")) + leaves(carp.get("groups", {}))
        + 3 * len(carp["vhids"]),
        # link_up, and dpf_pfsync_info for the strings
        "show pfsync": leaves(pfsync) + 2,
    }
    for cmd, n in want.items():
        got = from_cmd(cmd)
        if got != n:
            fail(f"{cmd}: {n} numbers in its JSON, {got} samples")
        print(f"# {cmd}: {n} numbers, {got} samples")
    if get("dpf_up") != 1:
        fail("dpf_up is not 1")
    print("# all checks passed")


main()
