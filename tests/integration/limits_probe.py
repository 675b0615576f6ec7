#!/usr/bin/python3
"""TCP probes for test_limits.sh that filter_probe.py has no form for.

  limits_probe.py connect-from SRC HOST PORT TIMEOUT   connect from source address
                                                       SRC; print ok | refused |
                                                       timeout
  limits_probe.py info KEY...                          read `dpfctl -j show info`
                                                       from stdin; print the value
                                                       at each path ("drops.state-limit")
Every mode ends by itself within its timeout.
"""
import json
import socket
import sys


def connect_from(src, host, port, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.bind((src, 0))
        s.connect((host, int(port)))
        print("ok")
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("timeout")
    except OSError as e:
        print("error %s" % e)
    finally:
        s.close()


def info(*keys):
    doc = json.load(sys.stdin)
    out = []
    for k in keys:
        v = doc
        for part in k.split("."):
            v = v[part]
        out.append(str(v))
    print(" ".join(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"connect-from": connect_from, "info": info}[cmd](*args)


if __name__ == "__main__":
    main()
