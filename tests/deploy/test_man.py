#!/usr/bin/python3
"""The man pages cannot drift from the docs, nor the docs from the code.

Checks, as TAP:
- every config key of the schema (K_*("name", ...) in control/config/*.c)
  is in a key table of docs/config.md, and every key there is in the
  schema;
- every dpfctl command registered in the code (struct ctl_cmd tables) is in
  a command table of docs/dpfctl.md, and every command there is registered;
- the generated dpf.json(5) has every documented key as a tagged
  paragraph, dpfctl(8) every documented command, and the reverse;
- dpf(8) has every option of dpf's getopt string, dpf-setup(8) every option
  of dpf-setup;
- groff formats the three pages without a warning.
"""
import glob
import os
import re
import subprocess
import sys

SRC = os.environ.get("DPF_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
B = os.environ["DPF_BUILDDIR"]
n = 0
failed = 0


def tap(good, desc, detail=""):
    global n, failed
    n += 1
    print(("ok" if good else "not ok") + f" {n} - {desc}")
    if not good:
        failed += 1
        for line in str(detail).splitlines()[:20]:
            print("# " + line)


def read(p):
    with open(p) as f:
        return f.read()


def md_tables(md, first_header):
    """First cells of the tables whose first header cell is first_header;
    a table set side by side (an empty header cell between) is two tables."""
    out = []
    lines = md.splitlines()
    for i, ln in enumerate(lines[:-1]):
        if ln.startswith("|") and re.match(r"^\|[-| :]+\|?$", lines[i + 1].strip()):
            head = [c.strip() for c in ln.strip().strip("|").split("|")]
            starts = [0] + [k + 1 for k, h in enumerate(head) if h == ""]
            starts = [k for k in starts if k < len(head) and head[k] in first_header]
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                row = re.split(r"(?<!\\)\|", lines[j].strip()[1:])
                out += [row[k].strip() for k in starts if k < len(row) and row[k].strip()]
                j += 1
    return out


def code_words(cell):
    """The backquoted pieces of a cell: `a`, `b` -> [a, b]."""
    return re.findall(r"`([^`]+)`", cell)


def cmd_words(s):
    """The command's fixed words: `state kill SELECTOR` -> 'state kill'."""
    words = []
    for w in s.replace("\\|", "|").split():
        if not re.fullmatch(r"[a-z][a-z0-9-]*", w):
            break
        words.append(w)
    return " ".join(words)


def man_tags(roff):
    """The tag lines of .TP paragraphs, markup removed."""
    tags = []
    lines = roff.splitlines()
    for i, ln in enumerate(lines[:-1]):
        if ln == ".TP":
            t = re.sub(r"\\f[BIRP]", "", lines[i + 1]).replace("\\-", "-").replace("\\&", "")
            tags.append(t)
    return tags


# --- config keys
schema = set()
for p in glob.glob(os.path.join(SRC, "control/config/*.c")):
    schema |= set(re.findall(r"\bK_[A-Z0-9_]+\(\s*\"([^\"]+)\"", read(p)))
# limits and timeouts take pf's names, from proto/pftm.h's X-macros.
schema |= set(re.findall(r"_\([A-Z0-9_]+, \"([^\"]+)\", \d+\)", read(os.path.join(SRC, "proto/pftm.h"))))
config_md = read(os.path.join(SRC, "docs/config.md"))
doc_keys = set()
for cell in md_tables(config_md, ("Key",)):
    doc_keys |= set(code_words(cell))
tap(len(schema) > 50, f"the schema has keys ({len(schema)})")
tap(schema <= doc_keys, "every schema key is in docs/config.md", sorted(schema - doc_keys))
tap(doc_keys <= schema, "every key in docs/config.md is in the schema", sorted(doc_keys - schema))
man5 = read(os.path.join(B, "dist/dpf.json.5"))
man_keys = set()
for t in man_tags(man5):
    man_keys |= set(w.strip() for w in t.split(","))
tap(doc_keys <= man_keys, "every documented key is in dpf.json(5)", sorted(doc_keys - man_keys))
stray = {k for k in man_keys if re.fullmatch(r"[a-z_][a-z0-9_.-]*", k)} - doc_keys - {
    c for cell in md_tables(config_md, ("Section", "Limit", "Key", "Option",
                                        "Live (applied while dpf runs)"))
    for c in code_words(cell)} - set(md_tables(config_md, ("Section", "Limit")))
tap(not stray, "dpf.json(5) has no key the docs lack", sorted(stray))

# --- dpfctl commands
code_cmds = set()
for p in glob.glob(os.path.join(SRC, "control/**/*.c"), recursive=True):
    for block in re.findall(r"struct ctl_cmd \w+\[\] = \{(.*?)\n\};", read(p), re.S):
        code_cmds |= set(re.findall(r"\{\s*\"([a-z][a-z0-9 -]*)\",", block))
dpfctl_md = read(os.path.join(SRC, "docs/dpfctl.md"))
doc_cmds = set()
for cell in md_tables(dpfctl_md, ("Command",)):
    for w in code_words(cell):
        if cmd_words(w):
            doc_cmds.add(cmd_words(w))
tap(len(code_cmds) >= 15, f"the code registers commands ({len(code_cmds)})", sorted(code_cmds))
tap(code_cmds <= doc_cmds, "every registered command is in docs/dpfctl.md",
    sorted(code_cmds - doc_cmds))
# A documented subcommand (`configure undo`) is registered when a command
# that is a prefix of it is (`configure`, whose handler takes the rest).
def registered(c):
    w = c.split()
    return any(" ".join(w[:n]) in code_cmds for n in range(1, len(w) + 1))


tap(all(registered(c) for c in doc_cmds), "every command in docs/dpfctl.md is registered",
    sorted(c for c in doc_cmds if not registered(c)))
man8 = read(os.path.join(B, "dist/dpfctl.8"))
man_cmds = set()
for t in man_tags(man8):
    for piece in t.split(" / "):
        if cmd_words(piece):
            man_cmds.add(cmd_words(piece))
tap(doc_cmds <= man_cmds, "every documented command is in dpfctl(8)", sorted(doc_cmds - man_cmds))
opts = {c for c in man_cmds if not c.startswith("-")} - doc_cmds
tap(not opts, "dpfctl(8) has no command the docs lack", sorted(opts))

# --- dpf(8): the options of main.c's getopt string
main_c = read(os.path.join(SRC, "control/app/main.c"))
optstr = re.search(r"getopt\(argc, argv, \"([^\"]+)\"\)", main_c).group(1)
man_dpf = read(os.path.join(B, "dist/dpf.8"))
dpf_tags = man_tags(man_dpf)
missing = [o for o in optstr.replace(":", "") if not any(t.startswith("-" + o) for t in dpf_tags)]
tap(not missing, f"dpf(8) documents every option of dpf ({optstr})", missing)

# --- roff
# --- dpf-setup(8): the options of its argparse
setup_py = read(os.path.join(SRC, "tools/dpf-setup"))
sopts = re.findall(r'add_argument\("(-[a-z])"', setup_py) + ["-h"]
setup_tags = man_tags(read(os.path.join(B, "dist/dpf-setup.8")))
missing = [o for o in sopts if not any(t.startswith(o) for t in setup_tags)]
tap(len(sopts) >= 3 and not missing, f"dpf-setup(8) documents every option ({sopts})", missing)

for page in ("dpf.8", "dpfctl.8", "dpf.json.5", "dpf-setup.8"):
    r = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", os.path.join(B, "dist", page)],
                       capture_output=True, text=True)
    tap(r.returncode == 0 and r.stderr == "", f"groff formats {page} without warnings", r.stderr)

print(f"1..{n}")
sys.exit(1 if failed else 0)
