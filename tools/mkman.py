#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkman.py: a man page from one of dpf's Markdown docs, so that they cannot drift.

usage: mkman.py NAME SECTION VERSION TITLE IN.md OUT

The doc is the source: its headings become sections (## -> .SH, ### ->
.SS), its tables one tagged paragraph per row (the first cell as the tag,
the other cells as "Header: value" sentences), fenced code .EX/.EE,
bullets .IP, inline `code` bold, links their text.  The man page's NAME
line is "NAME \\- TITLE"; the doc's own first heading is dropped.
tests/deploy/test_man.py checks that every config key and dpfctl command
of the docs and the code is in the generated pages and the reverse.
"""
import re
import sys


def esc(text):
    """Roff-escapes plain text (no inline markup); non-ASCII as \\[uXXXX]."""
    text = text.replace("\\", "\\e")
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)


def inline(text):
    out = []
    pos = 0
    # `code`, **bold**, [text](link)
    for m in re.finditer(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)", text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + esc(m.group(1)).replace("-", "\\-") + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + inline(m.group(2)) + "\\fR")
        else:
            out.append(inline(m.group(3)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def line_safe(s):
    """A roff text line must not start with '.' or '\''."""
    return "\\&" + s if s[:1] in (".", "'") else s


def cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    # A "\|" inside a cell is a literal bar.
    parts = re.split(r"(?<!\\)\|", row)
    return [p.strip().replace("\\|", "|") for p in parts]


def convert(name, section, version, title, md):
    out = [f'.TH {name.upper()} {section} "" "dpf {version}" "dpf manual"',
           ".SH NAME", f"{esc(name)} \\- {esc(title)}"]
    lines = md.splitlines()
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(line_safe(inline(" ".join(para))))
            para.clear()

    first_heading = True
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("<!--"):    # a note about the file itself
            while i < len(lines) and "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if ln.startswith("```"):
            flush()
            out.append(".PP")
            out.append(".EX")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(esc(lines[i])))
                i += 1
            out.append(".EE")
            i += 1
            continue
        m = re.match(r"^(#{1,4}) (.*)$", ln)
        if m:
            flush()
            level, text = len(m.group(1)), m.group(2)
            if level == 1 and first_heading:
                first_heading = False
            elif level <= 2:
                out.append('.SH "' + inline(text).upper().replace('"', "'") + '"')
            else:
                out.append('.SS "' + inline(text).replace('"', "'") + '"')
            i += 1
            continue
        if ln.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|?$",
                                                                 lines[i + 1].strip()):
            flush()
            head = cells(ln)
            # Tables set side by side (an empty header cell between them) are
            # listed one after the other.
            groups, start = [], 0
            for k, h in enumerate(head + [""]):
                if h == "":
                    if k > start:
                        groups.append((start, k))
                    start = k + 1
            i += 2
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            for a, b in groups:
                for row in rows:
                    if a >= len(row) or row[a] == "":
                        continue
                    out.append(".TP")
                    out.append(line_safe(inline(row[a])))
                    rest = []
                    for h, c in zip(head[a + 1:b], row[a + 1:b]):
                        if c == "":
                            continue
                        if h.lower() in ("meaning", "does", "what it does"):
                            rest.append(inline(c))
                        else:
                            rest.append(inline(h) + ": " + inline(c) + ".")
                    out.append(line_safe(" ".join(rest)))
            continue
        m = re.match(r"^(\s*)[-*] (.*)$", ln)
        if m:
            flush()
            item = [m.group(2)]
            i += 1
            while i < len(lines) and re.match(r"^\s{2,}\S", lines[i]) and \
                    not re.match(r"^\s*[-*] ", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out.append(".IP \\(bu 2")
            out.append(line_safe(inline(" ".join(item))))
            continue
        if ln.strip() == "":
            flush()
        else:
            para.append(ln.strip())
        i += 1
    flush()
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 7:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    name, section, version, title, src, dst = sys.argv[1:]
    with open(src) as f:
        md = f.read()
    with open(dst, "w") as f:
        f.write(convert(name, section, version, title, md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
