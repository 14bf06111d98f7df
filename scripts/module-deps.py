#!/usr/bin/env python3
"""Which module uses which, and the import cycles between them (issue 12: "no import cycle
between modules").

A module is a source file (`sim/src/tools/bench.rs` is `tools::bench`, a `mod.rs` is its
folder). A use is any path in the code (not in comments or strings) that names another module:
`crate::a::b`, `super::x`, `self::x`, `ckptsim_sim::a` from `main.rs`, or a sibling by bare
name after `use`. Edges between a module and its own ancestors or descendants are structure
(a parent declares its children; a child module of a file is part of it) and are left out: a
cycle is between modules of which neither contains the other (`tools::bench` <-> `tools::sweep`
was one). Test code (`*_tests.rs`, `#[cfg(test)]` modules) is left out unless `--tests`.

Usage: scripts/module-deps.py [--tests] [--edges] [--top] [ROOT]   (ROOT defaults to sim/src)
  --edges  print every edge (module -> used module)
  --top    also fold the graph to top-level modules (scenario, world, check, tools, ...) and
           print that graph's edges and cycles
Exit status: 1 when a cycle is found, else 0.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "long_fns", os.path.join(os.path.dirname(os.path.abspath(__file__)), "long-fns.py")
)
long_fns = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(long_fns)

PATH_RE = re.compile(r"\b(crate|super|self|ckptsim_sim)((?:\s*::\s*\w+)+)")
GROUP_RE = re.compile(r"\b(crate|super|self)\s*::\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
PATH_ATTR_RE = re.compile(r'#\[path\s*=\s*"([^"]+)"\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;')


def module_of(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def collect(root, with_tests):
    """{module: stripped code} for every file, with `#[path]` children mapped to their module."""
    files = {}
    path_mods = {}
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                raw = f.read()
            code = long_fns.strip_code(raw)
            # `#[path = "x.rs"] mod y;` makes x.rs the module `<this>::y`.
            for m in PATH_ATTR_RE.finditer(raw):
                target = os.path.normpath(os.path.join(dirpath, m.group(1)))
                path_mods[target] = module_of(root, path) + (m.group(2),)
            files[path] = code
    out = {}
    for path, code in files.items():
        name = os.path.basename(path)
        test_file = name.endswith("_tests.rs") or name == "tests.rs"
        if test_file and not with_tests:
            continue
        if not with_tests:
            lines = code.split("\n")
            for a, b in long_fns.test_ranges(code):
                for i in range(a, min(b + 1, len(lines))):
                    lines[i] = ""
            code = "\n".join(lines)
        mod = path_mods.get(os.path.normpath(path), module_of(root, path))
        out[mod] = out.get(mod, "") + "\n" + code
    return out


def resolve(mods, here, head, rest):
    """The deepest module named by `head::rest...` written in module `here`."""
    if head in ("crate", "ckptsim_sim"):
        base = ()
    elif head == "super":
        base = here[:-1]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    else:  # self
        base = here
    best = None
    cur = base
    for part in rest:
        cur = cur + (part,)
        if cur in mods:
            best = cur
        else:
            break
    return best


def edges(mods):
    out = set()
    for here, code in mods.items():
        found = []
        for m in PATH_RE.finditer(code):
            parts = [p.strip() for p in m.group(2).split("::") if p.strip()]
            found.append((m.group(1), parts))
        for m in GROUP_RE.finditer(code):
            for item in re.split(r",", re.sub(r"\{[^{}]*\}", "", m.group(2))):
                parts = [p.strip() for p in item.split("::") if p.strip()]
                if parts and re.match(r"^\w+$", parts[0]):
                    found.append((m.group(1), parts))
        for head, parts in found:
            target = resolve(mods, here, head, parts)
            if target is None or target == here:
                continue
            if target[: len(here)] == here or here[: len(target)] == target:
                continue  # ancestor or descendant: structure, not a use
            out.add((here, target))
    return out


def cycles(nodes, es):
    """Strongly connected components of more than one node (Tarjan)."""
    adj = {n: sorted(b for a, b in es if a == n) for n in nodes}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj.get(v, []):
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
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def name(m):
    return "::".join(m) or "crate"


def main(argv):
    with_tests = "--tests" in argv
    show_edges = "--edges" in argv
    top = "--top" in argv
    roots = [a for a in argv if not a.startswith("--")] or ["sim/src"]
    found_cycle = False
    for root in roots:
        mods = collect(root, with_tests)
        es = edges(mods)
        if show_edges:
            for a, b in sorted(es):
                print(f"{name(a)} -> {name(b)}")
        cs = cycles(set(mods), es)
        print(f"{root}: {len(mods)} modules, {len(es)} uses between modules, {len(cs)} import cycles")
        for c in cs:
            found_cycle = True
            print("  cycle: " + " <-> ".join(name(m) for m in c))
            for a, b in sorted(es):
                if a in c and b in c:
                    print(f"    {name(a)} -> {name(b)}")
        if top:
            tes = {(a[:1], b[:1]) for a, b in es if a[:1] != b[:1] and a and b}
            tnodes = {m[:1] for m in mods if m}
            for a, b in sorted(tes):
                print(f"  top: {name(a)} -> {name(b)}")
            tcs = cycles(tnodes, tes)
            print(f"{root} (top level): {len(tnodes)} modules, {len(tes)} uses, {len(tcs)} import cycles")
            for c in tcs:
                found_cycle = True
                print("  cycle: " + " <-> ".join(name(m) for m in c))
    return 1 if found_cycle else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
