#!/usr/bin/python3
"""`dpf -n` and start-up refuse the same configs (control/plan).

For every limit the dataplane enforces on a config (docs/config.md,
"Limits"), a config at the limit and one past it:

  - the one at the limit passes `dpf -n`, and, where that is cheap, starts:
    `dpf -c` on net_null ports (--no-huge, no shared files) comes up, which
    shows the dataplane really takes what the check lets through;
  - the one past it fails `dpf -n` with the expected path and message, at a
    line and column that point at the value at fault;
  - `dpf -c` of the same config fails with exactly the same line.

Every dpf run has a timeout, runs in a temporary directory and is stopped
when up; the whole test takes well under a minute.  TAP on stdout.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("DPF_BUILDDIR",
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build"))
DPF = os.path.join(BUILD, "control", "dpf")

# The dataplane's limits, as docs/config.md names them.
MAX_PORTS = 16            # DP_MAX_PORTS
MAX_WORKERS = 64          # DP_MAX_WORKERS
MAX_IFACES = 64           # DP_MAX_IFACES
MAX_ADDRS = 16            # DP_MAX_ADDRS
MAX_GATEWAYS = 1024       # DP_NEIGH_GATEWAYS_MAX
FIB_PREFIXES = 65536      # DP_FIB_MAX_PREFIXES, per family
FIB4_NETS = 4096          # DP_FIB4_TBL8
FIB6_TABLES = 16384       # DP_FIB6_TBL8
CARP_ADDRS = 32           # CARP_HMAC_MAX4, CARP_HMAC_MAX6
ACL_PER_RULE = 16384      # RULES_ACL_MAX_PER_RULE
ACL_TOTAL = 1 << 21       # RULES_ACL_MAX_TOTAL

T = {"n": 0, "fail": 0}


def ok(cond, what, diag=""):
    T["n"] += 1
    if cond:
        print(f"ok {T['n']} - {what}")
    else:
        T["fail"] += 1
        print(f"not ok {T['n']} - {what}")
        for line in str(diag).splitlines()[-20:]:
            print(f"#   {line}")
    sys.stdout.flush()


def base(tmp, ports=1):
    return {
        "schema_version": 1,
        "system": {"control": {"socket": os.path.join(tmp, "dpf.sock")}},
        "dataplane": {
            "eal": {"lcores": "0-1", "no_huge": True, "memory_mb": 512, "in_memory": True,
                    "args": [f"--vdev=net_null{i}" for i in range(ports)] +
                            ["--no-pci", "--log-level=lib.eal:error"]},
            "idle_sleep_us": 100,
            "lock_dir": tmp,
            "ports": [{"name": f"p{i}", "device": f"net_null{i}", "rx_desc": 64,
                       "tx_desc": 64} for i in range(ports)],
        },
        "interfaces": [{"name": "lan", "port": "p0", "ipv4": ["198.18.0.1/15"]}],
        "rules": ["pass all"],
    }


def write(tmp, name, cfg):
    # One array element per line: an error's line and column name one value.
    with open(os.path.join(tmp, name), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")


def check_n(tmp, name, extra=()):
    p = subprocess.run([DPF, "-n", "-c", name, *extra], cwd=tmp, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def start(tmp, name, extra=()):
    """Runs dpf -c NAME; returns (up, rc, output): up once it says it runs."""
    log = open(os.path.join(tmp, "dpf.log"), "w+")
    p = subprocess.Popen([DPF, "-c", name, *extra], cwd=tmp, stdout=log,
                         stderr=subprocess.STDOUT)
    up = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log.seek(0)
        if "event=started" in log.read():
            up = True
            break
        if p.poll() is not None:
            break
        time.sleep(0.05)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    log.seek(0)
    out = log.read()
    log.close()
    return up, p.returncode, out


def error_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("dpf: ")]
    return lines[-1] if lines else ""


def points_at(tmp, name, line, want):
    """The config text at 1-based line:column begins with want."""
    with open(os.path.join(tmp, name)) as f:
        text = f.read().split("\n")
    l, c = line
    return l <= len(text) and text[l - 1][c - 1:].startswith(want)


def case(tmp, what, at, over, path, msg, token, start_at=True, extra=()):
    """One limit: at passes (and starts), over fails the same way in both."""
    write(tmp, "at.json", at)
    write(tmp, "over.json", over)
    rc, _, err = check_n(tmp, "at.json", extra)
    ok(rc == 0, f"{what}: at the limit, dpf -n passes", err)
    if start_at:
        up, rc, out = start(tmp, "at.json", extra)
        ok(up, f"{what}: at the limit, dpf starts", out)
    rc, _, err = check_n(tmp, "over.json", extra)
    got = error_line(err)
    head, sep, rest = got.partition(f": {path}: ")
    pos = head.split(":")[-2:] if sep else []
    good = (rc == 1 and sep != "" and rest == msg and len(pos) == 2 and
            head.startswith("dpf: over.json:"))
    ok(good, f"{what}: past the limit, dpf -n fails at {path}: {msg[:60]}...",
       f"got:  {got}\nwant: dpf: over.json:L:C: {path}: {msg}")
    if good and token is not None:
        lc = (int(pos[0]), int(pos[1]))
        ok(points_at(tmp, "over.json", lc, token),
           f"{what}: line {lc[0]} column {lc[1]} points at {token!r}")
    up, rc2, out = start(tmp, "over.json", extra)
    ok(not up and rc2 == 1 and error_line(out) == got and got != "",
       f"{what}: past the limit, start-up fails with the same line",
       f"rc {rc2}, up {up}\n  -n:    {got}\n  start: {error_line(out)}")


def hosts(prefix, n):
    """n IPv4 hosts two apart, so that no two merge into one interval."""
    return [f"{prefix}.{2 * i // 256}.{2 * i % 256}" for i in range(n)]


def main():
    if not os.access(DPF, os.X_OK):
        print(f"Bail out! no {DPF}")
        return 1
    tmp = tempfile.mkdtemp(prefix="dpf-check.")
    t0 = time.monotonic()
    try:
        run(tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    print(f"# {time.monotonic() - t0:.1f} s")
    print(f"1..{T['n']}")
    return 1 if T["fail"] else 0


def run(tmp):
    # Ports (the schema's limit is the dataplane's).
    at, over = base(tmp, MAX_PORTS), base(tmp, MAX_PORTS + 1)
    case(tmp, "ports", at, over, "dataplane.ports",
         f"expected 1..{MAX_PORTS} ports, got {MAX_PORTS + 1}", "[")

    # Workers: as many as the dataplane has (not started: 65 threads on two CPUs).
    at, over = base(tmp), base(tmp)
    at["dataplane"]["workers"] = MAX_WORKERS
    at["dataplane"]["eal"]["lcores"] = f"0-{MAX_WORKERS}"
    over["dataplane"]["workers"] = MAX_WORKERS + 1
    over["dataplane"]["eal"]["lcores"] = f"0-{MAX_WORKERS + 1}"
    case(tmp, "workers", at, over, "dataplane.workers",
         f"{MAX_WORKERS + 1} is out of range 1..{MAX_WORKERS}", str(MAX_WORKERS + 1),
         start_at=False)

    # Lcores: one per worker and the control core's (dp_init).
    at, over = base(tmp), base(tmp)
    for c in (at, over):
        c["dataplane"]["workers"] = 2
    at["dataplane"]["eal"]["lcores"] = "0@0,1@1,2@1"
    over["dataplane"]["eal"]["lcores"] = "0@0,1@1"
    case(tmp, "lcores", at, over, "dataplane.eal.lcores",
         '"0@0,1@1" names 2 lcores; 2 workers need 3 (one each and the control core)',
         '"0@0,1@1"')
    # ... and when the command line's -l replaces them.
    at = base(tmp)
    at["dataplane"]["workers"] = 2
    at["dataplane"]["eal"]["lcores"] = "0@0,1@1,2@1"
    write(tmp, "at.json", at)
    rc, _, err = check_n(tmp, "at.json", ["--", "-l", "0-1"])
    got = error_line(err)
    want = ('dataplane.workers: 2 workers need 3 lcores (one each and the control core); '
            'the lcore list "0-1" on the command line names 2')
    ok(rc == 1 and got.endswith(want), "lcores from the command line: dpf -n counts them",
       f"got {got}")
    up, rc, out = start(tmp, "at.json", ["--", "-l", "0-1"])
    ok(not up and error_line(out) == got, "lcores from the command line: start-up agrees",
       out)
    over = base(tmp)
    over["dataplane"]["eal"]["lcores"] = "0-"
    case(tmp, "lcore list syntax", base(tmp), over, "dataplane.eal.lcores",
         '"0-": not an EAL core list (e.g. "0-2,4")', '"0-"')

    # Interfaces: VLANs of one port.
    def ifaces(n):
        c = base(tmp)
        c["interfaces"] += [{"name": f"v{i}", "port": "p0", "vlan": i} for i in range(1, n)]
        return c
    case(tmp, "interfaces", ifaces(MAX_IFACES), ifaces(MAX_IFACES + 1),
         f"interfaces[{MAX_IFACES}]",
         f'interface "v{MAX_IFACES}" does not fit: the dataplane has at most '
         f'{MAX_IFACES} interfaces', "{")

    # Addresses of one interface, IPv4 and IPv6 together.
    def addrs(n4, n6):
        c = base(tmp)
        c["interfaces"][0]["ipv4"] = [f"198.18.{i}.1/24" for i in range(n4)]
        c["interfaces"][0]["ipv6"] = [f"2001:db8:0:{i}::1/64" for i in range(n6)]
        return c
    case(tmp, "addresses", addrs(MAX_ADDRS // 2, MAX_ADDRS // 2),
         addrs(MAX_ADDRS // 2, MAX_ADDRS // 2 + 1), f"interfaces[0].ipv6[{MAX_ADDRS // 2}]",
         f"2001:db8:0:{MAX_ADDRS // 2}::1/64 does not fit: an interface has at most "
         f"{MAX_ADDRS} addresses, IPv4 and IPv6 together", f'"2001:db8:0:{MAX_ADDRS // 2}::1')

    # Gateways: each takes a neighbour entry (dp_fib_build).
    def gateways(n):
        c = base(tmp)
        c["routes"] = [{"prefix": f"10.{i // 256}.{i % 256}.0/24",
                        "via": f"198.19.{i // 256}.{i % 256 + 0}"} for i in range(n)]
        return c
    gw = f"198.19.{MAX_GATEWAYS // 256}.{MAX_GATEWAYS % 256}"
    case(tmp, "gateways", gateways(MAX_GATEWAYS), gateways(MAX_GATEWAYS + 1),
         f"routes[{MAX_GATEWAYS}].via",
         f"gateway {gw} does not fit: at most {MAX_GATEWAYS} distinct gateways (a quarter "
         f"of the 4096-entry neighbour table)", f'"{gw}"')

    # IPv4 FIB prefixes.  Static routes are added first, so the routes name
    # lan's network, host and broadcast themselves (lan's then add nothing),
    # and the route past the limit is the one blamed.
    def prefixes(n):
        c = base(tmp)
        c["routes"] = [{"prefix": p, "reject": True}
                       for p in ("198.18.0.0/15", "198.18.0.1/32", "198.19.255.255/32")]
        c["routes"] += [{"prefix": f"10.{i // 256}.{i % 256}.0/24", "reject": True}
                        for i in range(n - 3)]
        return c
    n = FIB_PREFIXES - 3
    case(tmp, "IPv4 FIB prefixes", prefixes(FIB_PREFIXES), prefixes(FIB_PREFIXES + 1),
         f"routes[{FIB_PREFIXES}].prefix",
         f"10.{n // 256}.{n % 256}.0/24 does not fit: the IPv4 FIB holds at most "
         f"{FIB_PREFIXES} distinct prefixes (static routes, and the network, host and "
         f"broadcast address of every interface address)", f'"10.{n // 256}.{n % 256}.0/24')

    # IPv4 /24 networks holding longer prefixes.  lan's host and broadcast
    # are in 198.18.0.0/24, which the first route already takes.
    def nets(n):
        c = base(tmp)
        c["interfaces"][0]["ipv4"] = ["198.18.0.1/24"]
        c["routes"] = [{"prefix": "198.18.0.128/25", "reject": True}]
        c["routes"] += [{"prefix": f"10.{i // 256}.{i % 256}.0/25", "reject": True}
                        for i in range(n - 1)]
        return c
    n = FIB4_NETS - 1
    case(tmp, "IPv4 FIB /24 tables", nets(FIB4_NETS), nets(FIB4_NETS + 1),
         f"routes[{FIB4_NETS}].prefix",
         f"10.{n // 256}.{n % 256}.0/25 does not fit: the IPv4 FIB holds prefixes longer "
         f"than /24 in at most {FIB4_NETS} /24 networks", f'"10.{n // 256}.{n % 256}.0/25')

    # IPv6 trie tables: a /128 in a /24 of its own reserves 13, a /48 3, a
    # /32 1; all 16384 can be reserved, not one more.
    k = FIB6_TABLES // 13

    def tables(n32):
        c = base(tmp)
        c["routes"] = [{"prefix": f"2001:{i:x}::1/128", "reject": True} for i in range(k)]
        c["routes"].append({"prefix": "3000::/48", "reject": True})
        c["routes"] += [{"prefix": f"300{j + 1}::/32", "reject": True} for j in range(n32)]
        return c
    assert 13 * k + 3 + 1 == FIB6_TABLES
    case(tmp, "IPv6 FIB tables", tables(1), tables(2), f"routes[{k + 2}].prefix",
         f"3002::/32 does not fit: the IPv6 FIB has {FIB6_TABLES} tables of 256 entries, "
         f"and a prefix longer than /24 takes one per 8 bits it reaches past /24 or past "
         f"the prefix covering it ({FIB6_TABLES + 1} with this one)", '"3002::/32"')

    # CARP: the addresses an advertisement's HMAC covers, per family.
    for fam, fmt in (("IPv4", "198.18.1.{}"), ("IPv6", "2001:db8:1::{:x}")):
        def carp(n):
            c = base(tmp)
            c["interfaces"][0]["ipv6"] = ["2001:db8:1::ff/64"]
            c["carp"] = {"vhids": [{"vhid": 1, "interface": "lan", "pass": "k",
                                    "addresses": [fmt.format(i + 1) for i in range(n)]}]}
            return c
        a = fmt.format(CARP_ADDRS + 1)
        case(tmp, f"CARP {fam} addresses", carp(CARP_ADDRS), carp(CARP_ADDRS + 1),
             f"carp.vhids[0].addresses[{CARP_ADDRS}]",
             f"{a}/{32 if fam == 'IPv4' else 128} does not fit: a vhid's advertisement "
             f"authenticates at most {CARP_ADDRS} IPv4 and {CARP_ADDRS} IPv6 addresses",
             f'"{a}"')

    # Classifier entries of one rule: 128 x 128 hosts is the most.
    def rule(ns):
        return "block from { " + " ".join(hosts("10.1", ns)) + " } to { " + \
               " ".join(hosts("10.2", 128)) + " }"
    at, over = base(tmp), base(tmp)
    at["rules"] = [rule(128)]
    over["rules"] = [rule(129)]
    case(tmp, "classifier entries of a rule", at, over, "rules[0]",
         f"expands to {129 * 128} classifier entries for IPv4 (at most {ACL_PER_RULE}): 1 "
         f"protocols x 129 source and 128 destination address ranges x 1 port pairs x 1 "
         f"interface runs; use a table or fewer list elements", '"block from')

    # af_packet: a --vdev that sets qpairs= sets one per worker and the
    # control core's (not started: af_packet needs a kernel interface).
    def qpairs(n):
        c = base(tmp)
        c["dataplane"]["workers"] = 1
        c["dataplane"]["eal"]["args"] = [f"--vdev=net_af_packet0,iface=lo,qpairs={n}",
                                         "--no-pci"]
        c["dataplane"]["ports"] = [{"name": "p0", "device": "net_af_packet0"}]
        return c
    case(tmp, "af_packet queue pairs", qpairs(2), qpairs(1), "dataplane.ports[0].device",
         '"net_af_packet0" has 1 queue pairs (qpairs= of its --vdev); 1 workers need 2, one '
         "each and the control core's, or leave qpairs out", '"net_af_packet0"',
         start_at=False)

    # ... and of the ruleset, per family (checked, not started: rte_acl would
    # take minutes to compile two million entries).
    n = ACL_TOTAL // ACL_PER_RULE
    at, over = base(tmp), base(tmp)
    at["rules"] = [rule(128)] * n
    over["rules"] = [rule(128)] * (n + 1)
    case(tmp, "classifier entries of the ruleset", at, over, f"rules[{n}]",
         f"takes the ruleset past {ACL_TOTAL} classifier entries for IPv4 ({ACL_TOTAL} "
         f"before this rule, {ACL_PER_RULE} for it)", '"block from', start_at=False)


if __name__ == "__main__":
    sys.exit(main())
