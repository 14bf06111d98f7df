#!/usr/bin/env python3
"""Lists every Rust function whose body is over the project's length limits.

Limits (issue 12): 100 lines anywhere in `src/` and `sim/src/`, 70 lines in the
world (`sim/src/world/`). A body's length is the number of lines from the line
after its opening `{` to the line before its closing `}`. Test code (files named
`*_tests.rs`, `tests.rs`, and `#[cfg(test)]` modules) is left out unless
`--tests` is given.

Usage: scripts/long-fns.py [--tests] [--all] [--count] [--files] [ROOT...]
  --all    list every function over 70 lines, whatever its folder
  --count  print only the number of functions over the limits
  --files  instead, the files' lengths in non-test lines (every line of the file but those of
           `#[cfg(test)] mod` blocks; test files left out), longest first, and how many are
           over 1,000 (issue 12: "no file above about 1,000 lines of non-test code")
Exit status 0 always (a report, not a gate).
"""

import os
import re
import sys

FN_RE = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def strip_code(text):
    """The text with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 40]) and not (
            i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\\n])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_ranges(code):
    """Line ranges of `#[cfg(test)] mod x { ... }` blocks."""
    ranges = []
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code):
        start = m.end() - 1
        end = match_brace(code, start)
        ranges.append((code.count("\n", 0, start), code.count("\n", 0, end)))
    return ranges


def match_brace(code, start):
    depth = 0
    for j in range(start, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def functions(path):
    """(name, first line, body lines) of every fn with a body in the file."""
    with open(path, encoding="utf-8") as f:
        code = strip_code(f.read())
    tests = test_ranges(code)
    found = []
    for m in FN_RE.finditer(code):
        # The signature ends at the first `{` or `;` outside parentheses/brackets.
        depth, j = 0, m.end()
        while j < len(code):
            ch = code[j]
            if ch in "([<":
                depth += 1
            elif ch in ")]>":
                # `->` is not a closing angle bracket
                if not (ch == ">" and code[j - 1] == "-"):
                    depth -= 1
            elif ch == ";" and depth <= 0:
                j = -1
                break
            elif ch == "{" and depth <= 0:
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        close = match_brace(code, j)
        open_line = code.count("\n", 0, j)
        close_line = code.count("\n", 0, close)
        line = code.count("\n", 0, m.start()) + 1
        in_test = any(a <= line <= b for a, b in tests)
        found.append((m.group(1), line, max(0, close_line - open_line - 1), in_test))
    return found


def file_lengths(roots):
    """(non-test lines, path) of every non-test source file under `roots`, longest first."""
    rows = []
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in sorted(names):
                if not name.endswith(".rs") or name.endswith("_tests.rs") or name == "tests.rs":
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    raw = f.read()
                test_lines = sum(b - a + 1 for a, b in test_ranges(strip_code(raw)))
                rows.append((raw.count("\n") + 1 - test_lines, path))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return rows


def main(argv):
    if "--files" in argv:
        rows = file_lengths([a for a in argv if not a.startswith("--")] or ["src", "sim/src"])
        for lines, path in rows[:10]:
            print(f"{lines:5}  {path}")
        print(f"{sum(1 for n, _ in rows if n > 1000)} of {len(rows)} files over 1,000 non-test lines")
        return 0
    with_tests = "--tests" in argv
    every = "--all" in argv
    count_only = "--count" in argv
    roots = [a for a in argv if not a.startswith("--")] or ["src", "sim/src"]
    rows = []
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in sorted(names):
                if not name.endswith(".rs"):
                    continue
                path = os.path.join(dirpath, name)
                test_file = name.endswith("_tests.rs") or name == "tests.rs"
                if test_file and not with_tests:
                    continue
                world = "/world/" in path.replace(os.sep, "/") + "/"
                limit = 70 if (world or every) else 100
                for fname, line, body, in_test in functions(path):
                    if in_test and not with_tests:
                        continue
                    if body > limit:
                        rows.append((body, f"{path}:{line}", fname, limit))
    rows.sort(key=lambda r: (-r[0], r[1]))
    if count_only:
        print(len(rows))
        return 0
    for body, where, fname, limit in rows:
        print(f"{body:4}  {fname:32} {where}  (limit {limit})")
    print(f"{len(rows)} functions over the limits")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
