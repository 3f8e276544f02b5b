#!/usr/bin/env python3
"""Checks include/hypobus.h: every exported function has a doc comment that
says which threads may call it and what it waits on (the C ABI's rule), and
every constant, struct, enum and callback type has a doc comment. Prints each offender; exits 1
if there is one."""

import pathlib
import re
import sys

HEADER = pathlib.Path(__file__).resolve().parents[2] / "include" / "hypobus.h"
text = HEADER.read_text()
bad = []
# A doc comment block immediately followed by a declaration.
for m in re.finditer(
    r"/\*\*(.*?)\*/\s*\n(hb_status (hb_\w+)\(|typedef [^\n]*?(\w+)\)?\(|typedef struct \w* ?\{)", text, re.S
):
    doc, decl = re.sub(r"\s*\n\s*\*\s?", " ", m.group(1)), m.group(2)
    if decl.startswith("hb_status"):
        name = m.group(3)
        says_thread = re.search(r"\b(any thread|thread)\b", doc, re.I)
        says_wait = re.search(r"never waits|waits? (for|on|at most|as)|wait(s|ing)? ", doc, re.I)
        if not (says_thread and says_wait):
            bad.append(f"{name}: the doc comment must say which threads may call it and what it waits on")
functions = re.findall(r"^hb_status (hb_\w+)\(", text, re.M)
# Only the library's own API: no other declaration (cbindgen writes an
# `extern` block of src/ffi/ into the header, e.g. a libzmq function).
for decl in re.findall(r"^(?!hb_status hb_|typedef)[A-Za-z_][\w \t*]*?\b(\w+)\(", text, re.M):
    bad.append(f"{decl}: declared in the header but not a libhypobus function (keep extern blocks out of src/ffi)")
documented = set(re.findall(r"\*/\s*\nhb_status (hb_\w+)\(", text))
for f in functions:
    if f not in documented:
        bad.append(f"{f}: no doc comment")
lines = text.split("\n")
for i, line in enumerate(lines):
    if line.startswith("#define HYPOBUS_H"):  # the include guard
        continue
    if re.match(r"#define (HB_|HYPOBUS_)|typedef (struct|enum)|typedef .*\(\*", line):
        j = i - 1
        while line.startswith("#define") and lines[j].startswith("#define"):
            j -= 1  # a group of macros under one comment
        if not lines[j].rstrip().endswith("*/"):
            bad.append(f"{line.strip()}: no doc comment")
for b in bad:
    print("header:", b)
print(f"{len(functions)} functions checked, {len(bad)} problems")
sys.exit(1 if bad else 0)
