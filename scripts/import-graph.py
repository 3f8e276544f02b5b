#!/usr/bin/env python3
"""The import graph of a Rust crate's src/, file by file, and its cycles.

A file's module is its path (src/watch/trace.rs -> watch::trace,
src/watch/mod.rs -> watch). A file depends on another when it names an
item of it: a `crate::a::b` path, a `super::` path, or a `self::x`/`x::`
path into its own child module. Declaring children (`mod x;`) and
re-exporting them (`pub use x::...` in the parent) are not dependencies:
they are how a folder shows its contents. Tests (`#[cfg(test)] mod tests`)
are left out.

    python3 scripts/import-graph.py [SRC_DIR]        (default: src)
Prints each module's dependencies, then every cycle; exits 1 if any.
"""

import re
import sys
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
mods = {}
for f in sorted(src.rglob("*.rs")):
    rel = f.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    mods["::".join(parts)] = f


def resolve(path_parts):
    """The longest known module that a path's leading parts name."""
    for n in range(len(path_parts), 0, -1):
        m = "::".join(path_parts[:n])
        if m in mods:
            return m
    return None


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)  # comments, doc comments
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)  # strings
    i = text.find("#[cfg(test)]")
    return text[:i] if i >= 0 else text


graph = {}
for m, f in mods.items():
    me = m.split("::") if m else []
    text = strip(f.read_text())
    deps = set()
    for p in re.findall(r"\bcrate((?:::\w+)+)", text):
        t = resolve(p.strip(":").split("::"))
        if t is not None and t != m:
            deps.add(t)
    is_dir = f.name == "mod.rs"
    base = me if is_dir else me[:-1]  # the module that `super` of a child means
    for sup, p in re.findall(r"\b((?:super::)+)(\w+(?:::\w+)*)", text):
        up = sup.count("super::")
        anchor = (me if is_dir else me)[: len(me) - up] if is_dir else me[: len(me) - up]
        t = resolve(anchor + p.split("::")) or ("::".join(anchor) if "::".join(anchor) in mods else None)
        if t is not None and t != m:
            deps.add(t)
    if is_dir or m == "":
        children = {
            c for c in mods if c.startswith(m + "::" if m else "") and c.count("::") == (m.count("::") + 1 if m else 0)
        }
        reexports = set(re.findall(r"pub(?:\(crate\))?\s+use\s+(?:self::)?(\w+)::", text))
        for c in children:
            name = c.split("::")[-1]
            uses = re.findall(r"(?<![:\w])(?:self::)?%s::" % re.escape(name), text)
            if len(uses) > len(re.findall(r"pub(?:\(crate\))?\s+use\s+(?:self::)?%s::" % re.escape(name), text)):
                deps.add(c)
    graph[m or "lib"] = sorted(d or "lib" for d in deps)

for m in sorted(graph):
    print(f"{m}: {' '.join(graph[m])}")

# cycles: strongly connected components of more than one module
index, low, stack, on, sccs = {}, {}, [], set(), []


def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in graph.get(v, []):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))


sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index:
        visit(v)
for c in sccs:
    print("CYCLE:", " <-> ".join(c))
print(f"{len(graph)} modules, {len(sccs)} cycles")
sys.exit(1 if sccs else 0)
