#!/usr/bin/env python3
"""Hostile-input campaign for the ckptsim CLI: a seeded mutation corpus of scenario files and a runner that classifies each outcome.

  scripts/hostile-corpus.py gen --seed 34 --out /tmp/hostile [--per-file 4] [--root .]
      Writes mutants of every valid scenario under scenarios/ (truncation, deleted and
      duplicated lines, huge / negative / NaN-ish numbers, wrong types, control and unicode
      characters, 10^5-character names, self-referencing operators, spliced lines, flipped
      bytes) plus a fixed set of shaped files (empty, binary garbage, 10^6-element arrays,
      nesting 10^5 deep, parallelism 10^9, durations of 10^18 ms, a fault at u64::MAX, ...).
      The corpus is a pure function of the seed and the scenario files.
  scripts/hostile-corpus.py run --bin target/release/ckptsim --corpus /tmp/hostile --out res.jsonl
      [--timeout 60] [--mem-gib 4] [--explore-every 10] [--limit N]
      Runs `check` on every file; on a file `check` accepts, also `run`, `sweep --seeds 2` and
      (every Nth accepted file) `explore` with small bounds, each under a wall-clock timeout and
      an address-space limit. One JSON line per command.
  scripts/hostile-corpus.py summary res.jsonl
      Counts per class: panic, abort, stack-overflow, oom, timeout, unclear-error, clear-error,
      ran-ok (exit 0/1), budget (exit 3), and lists every file of a bad class.
"""

import argparse
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
import zlib

HUGE_NUMBERS = [
    "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "1e308", "-1e308", "1.7976931348623157e309", "-1", "0", "nan", "inf", "-inf",
    "1000000000000000000", "31536000000", "4294967296", "2147483648", "2147483647", "1000000000",
    "0x7fffffffffffffff", "1_000_000_000_000", "-0", "0.5", "1e-300",
]
WRONG_TYPES = ['"text"', "true", "[]", "{}", "1979-05-27T07:32:00Z", "1.5", "[1, 2]", '{ a = 1 }', "''", '"""x"""']
HOSTILE_STRINGS = [
    "", " ", "\\u0000", "\\u001b[31mred", "\\u202eevil", "naïve-日本語-🦀", "a\\tb", "\\\\", "..", "a.b",
    "x" * 100_000, "\\uD800", "\\U0010FFFF", "Source", "map", "sink-store", "tm0", "-", "0",
]
KEY_LINE = re.compile(r'^(\s*)([A-Za-z0-9_."-]+)(\s*=\s*)(.+)$')
NUMBER = re.compile(r'(?<![A-Za-z0-9_."-])-?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?(?![A-Za-z0-9_"-])')
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def scenario_files(root):
    out = []
    for d, _, files in os.walk(os.path.join(root, "scenarios")):
        for f in files:
            if f.endswith(".toml"):
                out.append(os.path.join(d, f))
    return sorted(out)


def rng_for(seed, tag):
    return random.Random(seed * 1_000_003 + zlib.crc32(tag.encode()))


def pick_line(r, lines, pred):
    idx = [i for i, l in enumerate(lines) if pred(l)]
    return r.choice(idx) if idx else None


def m_truncate(r, text, _others):
    b = text.encode()
    return b[: r.randrange(len(b) + 1)]


def m_delete_line(r, text, _others):
    lines = text.split("\n")
    i = pick_line(r, lines, lambda l: l.strip() and not l.lstrip().startswith("#"))
    if i is None:
        return None
    del lines[i]
    return "\n".join(lines)


def m_dup_line(r, text, _others):
    lines = text.split("\n")
    i = pick_line(r, lines, lambda l: l.strip() and not l.lstrip().startswith("#"))
    if i is None:
        return None
    lines.insert(i + 1, lines[i])
    return "\n".join(lines)


def m_swap_lines(r, text, _others):
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    i, j = r.randrange(len(lines)), r.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def m_number(r, text, _others):
    hits = list(NUMBER.finditer(text))
    hits = [h for h in hits if "#" not in text[text.rfind("\n", 0, h.start()) + 1 : h.start()]]
    if not hits:
        return None
    h = r.choice(hits)
    return text[: h.start()] + r.choice(HUGE_NUMBERS) + text[h.end() :]


def m_wrong_type(r, text, _others):
    lines = text.split("\n")
    i = pick_line(r, lines, lambda l: KEY_LINE.match(l) and not l.lstrip().startswith("#"))
    if i is None:
        return None
    m = KEY_LINE.match(lines[i])
    if m.group(4).rstrip().endswith(("[", "{")):
        return None
    lines[i] = m.group(1) + m.group(2) + m.group(3) + r.choice(WRONG_TYPES)
    return "\n".join(lines)


def m_string(r, text, _others):
    hits = [h for h in STRING.finditer(text) if "#" not in text[text.rfind("\n", 0, h.start()) + 1 : h.start()]]
    if not hits:
        return None
    h = r.choice(hits)
    return text[: h.start()] + '"' + r.choice(HOSTILE_STRINGS) + '"' + text[h.end() :]


def m_self_ref(r, text, _others):
    lines = text.split("\n")
    names = [i for i, l in enumerate(lines) if re.match(r'^\s*name\s*=\s*"[^"]*"\s*$', l)]
    names = [i for i in names if any(lines[j].startswith("[[operators]]") for j in range(max(0, i - 12), i))]
    if not names:
        return None
    i = r.choice(names)
    name = re.search(r'"([^"]*)"', lines[i]).group(1)
    lines.insert(i + 1, f'inputs = ["{name}"]' if r.random() < 0.7 else f'side_output_of = "{name}"')
    return "\n".join(lines)


def m_splice(r, text, others):
    other = r.choice(others).split("\n")
    lines = text.split("\n")
    at = r.randrange(len(lines) + 1)
    n = r.randrange(1, 6)
    s = r.randrange(max(1, len(other)))
    return "\n".join(lines[:at] + other[s : s + n] + lines[at:])


def m_flip_bytes(r, text, _others):
    b = bytearray(text.encode())
    if not b:
        return None
    for _ in range(r.randrange(1, 8)):
        b[r.randrange(len(b))] = r.randrange(256)
    return bytes(b)


def m_header_dup(r, text, _others):
    lines = text.split("\n")
    i = pick_line(r, lines, lambda l: re.match(r"^\[[^\[]", l))
    if i is None:
        return None
    return "\n".join(lines + ["", lines[i], "x_dup = 1"])


def m_big_values(r, text, _others):
    """Set a run-size key to a hostile magnitude (the brief's list)."""
    lines = text.split("\n")
    choices = [
        ("parallelism", "1000000000"), ("max_parallelism", "2147483648"), ("max_parallelism", "32768"),
        ("interval_ms", "1000000000000000000"), ("stop_at_ms", "31536000000"), ("at_ms", "18446744073709551615"),
        ("timeout_ms", "1000000000000000000"), ("delay_ms", "1000000000000000000"), ("count", "1000000000000"),
        ("keys", "100000"), ("partitions", "4294967295"), ("task_managers", "1000000"), ("size_ms", "1"),
        ("slide_ms", "1"), ("records_per_s", "18446744073709551615"), ("duration_ms", "18446744073709551615"),
        ("attempts", "18446744073709551615"), ("size", "0"), ("stop_at_ms", "86400000"), ("interval_ms", "10"),
    ]
    key, val = r.choice(choices)
    hits = [i for i, l in enumerate(lines) if re.match(rf"^\s*{key}\s*=", l)]
    if not hits:
        return None
    i = r.choice(hits)
    lines[i] = f"{key} = {val}"
    return "\n".join(lines)


MUTATORS = [
    ("truncate", m_truncate), ("delete-line", m_delete_line), ("dup-line", m_dup_line), ("swap-lines", m_swap_lines),
    ("number", m_number), ("wrong-type", m_wrong_type), ("string", m_string), ("self-ref", m_self_ref),
    ("splice", m_splice), ("flip-bytes", m_flip_bytes), ("header-dup", m_header_dup), ("big-value", m_big_values),
]


def shaped_files(r, base):
    """Fixed hostile shapes, most built on one small valid scenario `base`."""
    n6 = 10**6
    yield "empty", b""
    yield "only-comment", b"# nothing here\n"
    yield "binary", bytes(r.randrange(256) for _ in range(4096))
    yield "bom", b"\xef\xbb\xbf" + base.encode()
    yield "crlf", base.replace("\n", "\r\n").encode()
    yield "cr-only", base.replace("\n", "\r").encode()
    yield "nul-in-comment", (base + "\n# a\x00b\n").encode()
    yield "nested-arrays-1e5", ("x = " + "[" * 100_000 + "]" * 100_000 + "\n" + base).encode()
    yield "nested-arrays-1e3-known-key", (base + "\n[expect_nested]\n").encode().replace(
        b"[expect_nested]\n", ("[expect]\noutput = " + "[" * 1000 + "]" * 1000 + "\n").encode()
    )
    yield "nested-tables-1e4", ("x = " + "{a=" * 10_000 + "1" + "}" * 10_000 + "\n" + base).encode()
    yield "dotted-header-5e4", ("[" + ".".join(["a"] * 50_000) + "]\nx = 1\n").encode()
    yield "dotted-key-5e4", (".".join(["a"] * 50_000) + " = 1\n" + base).encode()
    yield "unclosed-array-1e5", ("x = " + "[" * 100_000 + "\n").encode()
    yield "long-name-1e5", re.sub(r'^name = "[^"]*"', lambda _m: 'name = "' + "n" * 100_000 + '"', base, count=1, flags=re.M).encode()
    yield "long-op-name-1e5", re.sub(r'(\[\[operators\]\][^\[]*?name = ")[^"]*"', lambda m: m.group(1) + "o" * 100_000 + '"', base, count=1).encode()
    yield "long-key-1e5", ("k" * 100_000 + " = 1\n" + base).encode()
    yield "array-1e6-ints", b"zz = [" + b"0," * n6 + b"]\n" + base.encode()
    yield "array-4e5-strings-valid", re.sub(r"^output = \[", lambda _m: "output = [" + '"a",' * 400_000, base, count=1, flags=re.M).encode()
    yield "expect-output-1e6", re.sub(r"^\[expect\]$", lambda _m: "[expect]\noutput = [" + "0," * n6 + "]", base, count=1, flags=re.M).encode()
    yield "expect-seeds-1e6", re.sub(r"^\[expect\]$", lambda _m: "[expect]\nseeds = [" + "1," * n6 + "]", base, count=1, flags=re.M).encode()
    yield "records-2e5", with_records(base, 200_000, short=True)
    yield "records-1e5", with_records(base, 100_000, short=True)
    yield "lines-1e5", with_section(base, "[input]", "lines = [" + ",".join(f'"{i}"' for i in range(100_000)) + "]")
    crash = '\n[[faults]]\nkind = "tm-crash"\nat_ms = {}\ntarget = "tm0"\nrestart_after_ms = 100\n'
    yield "faults-1e4", (base + "".join(crash.format(i) for i in range(10_000))).encode()
    yield "faults-1001", (base + "".join(crash.format(i) for i in range(1001))).encode()
    yield "faults-1000", (base + "".join(crash.format(i) for i in range(1000))).encode()
    yield "dup-key", (base + "\nname = \"again\"\n").encode()
    yield "stop-u64max", re.sub(r"^stop_at_ms = .*$", "stop_at_ms = 18446744073709551615", base, count=1, flags=re.M).encode()
    yield "stop-year", re.sub(r"^stop_at_ms = .*$", "stop_at_ms = 31536000000", base, count=1, flags=re.M).encode()
    yield "stop-24h", re.sub(r"^stop_at_ms = .*$", "stop_at_ms = 86400000", base, count=1, flags=re.M).encode()
    yield "fault-at-u64max", (base + crash.format(18446744073709551615)).encode()
    yield "fault-at-i64max", (base + crash.format(9223372036854775807)).encode()
    yield "fault-at-24h", (base + crash.format(86400000)).encode()
    yield "fault-restart-u64max", (base + crash.format(1).replace("= 100", "= 18446744073709551615")).encode()
    yield "parallelism-1e9", re.sub(r"^parallelism = .*$", "parallelism = 1000000000", base, flags=re.M).encode()
    yield "max-parallelism-2p31", with_op_key(base, "max_parallelism = 2147483648")
    yield "max-parallelism-32769", with_op_key(base, "max_parallelism = 32769")
    yield "interval-1e18", re.sub(r"^interval_ms = .*$", "interval_ms = 1000000000000000000", base, count=1, flags=re.M).encode()
    yield "interval-1ms-24h", re.sub(r"^stop_at_ms = .*$", "stop_at_ms = 86400000", re.sub(r"^interval_ms = .*$", "interval_ms = 10", base, count=1, flags=re.M), count=1, flags=re.M).encode()
    yield "self-input", with_op_key(base, 'inputs = ["Source"]')
    yield "unicode-keys", ("ключ = 1\n" + base).encode()
    yield "escape-in-name", re.sub(r'^name = "[^"]*"', lambda _m: 'name = "\\u001b]0;pwned\\u0007"', base, count=1, flags=re.M).encode()


def with_section(base, header, line):
    if header in base:
        return base.replace(header, header + "\n" + line, 1).encode()
    return (base + "\n" + header + "\n" + line + "\n").encode()


def with_op_key(base, line):
    return base.replace("[[operators]]\n", "[[operators]]\n" + line + "\n", 1).encode()


def with_records(base, n, short):
    recs = ",".join(f"{{at_ms={i},partition=0,value=\"{i}\"}}" if short else f'{{ at_ms = {i}, partition = 0, value = "v{i}" }}' for i in range(n))
    text = re.sub(r"(?ms)^records = \[.*?^\]", lambda _m: "records = [" + recs + "]", base, count=1)
    return text.encode()


def cmd_gen(a):
    files = scenario_files(a.root)
    texts = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            texts[f] = fh.read()
    others = list(texts.values())
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for f in files:
        rel = os.path.relpath(f, os.path.join(a.root, "scenarios")).replace("/", "__")[:-5]
        r = rng_for(a.seed, rel)
        for k in range(a.per_file):
            name, fn = MUTATORS[r.randrange(len(MUTATORS))]
            out = fn(r, texts[f], others)
            if out is None:
                name, out = "truncate", m_truncate(r, texts[f], others)
            data = out.encode() if isinstance(out, str) else out
            with open(os.path.join(a.out, f"m-{rel}-{k}-{name}.toml"), "wb") as fh:
                fh.write(data)
            n += 1
    for tag in ["001-kafka-offsets", "003-aligned-backpressure"]:
        base = texts[os.path.join(a.root, "scenarios", "seeds", f"{tag}.toml")]
        r = rng_for(a.seed, "shaped-" + tag)
        for name, data in shaped_files(r, base):
            with open(os.path.join(a.out, f"s-{tag[:3]}-{name}.toml"), "wb") as fh:
                fh.write(data)
            n += 1
    # Explorer counterexamples (`ckptsim run FILE.replay`): the same mutators on each.
    for d, _, fs in os.walk(os.path.join(a.root, "docs")):
        for f in sorted(fs):
            if not f.endswith(".replay"):
                continue
            text = open(os.path.join(d, f), encoding="utf-8").read()
            r = rng_for(a.seed, "replay-" + f)
            for k in range(a.per_file * 10):
                name, fn = MUTATORS[r.randrange(len(MUTATORS))]
                out = fn(r, text, others) or m_truncate(r, text, others)
                data = out.encode() if isinstance(out, str) else out
                with open(os.path.join(a.out, f"r-{f[:-7]}-{k}-{name}.replay"), "wb") as fh:
                    fh.write(data)
                n += 1
    print(f"{n} files in {a.out}")


def limit_memory(gib):
    def set_limits():
        os.setsid()
        lim = gib * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return set_limits


CLEAR = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): \S", re.M)


def classify(code, out, err, path, timed_out):
    text = out + err
    if timed_out:
        return "timeout"
    if "has overflowed its stack" in text:
        return "stack-overflow"
    if "memory allocation of" in text or "out of memory" in text.lower() or "mimalloc: error" in text:
        return "oom"
    if "panicked" in text:
        return "panic"
    if code < 0 or code > 128:
        return "abort"
    if code == 3:
        return "budget"
    if code in (0, 1):
        return "ran-ok"
    if code == 2:
        m = [x for x in CLEAR.finditer(text) if x.group("file").endswith(os.path.basename(path))]
        if m and all(int(x.group("line")) > 0 for x in m):
            return "clear-error"
        if os.path.basename(path) in text and "(file)" in text:
            return "clear-error"
        return "unclear-error"
    return f"exit-{code}"


def run_one(a, args, path):
    t0 = time.time()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(
        [a.bin] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit_memory(a.mem_gib)
    )
    timed_out = False
    try:
        out, err = p.communicate(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    cls = classify(p.returncode, out, err, path, timed_out)
    out, err = out[-4000:], err[-4000:]
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    return {"file": path, "cmd": args[0], "class": cls, "code": p.returncode, "wall_s": round(time.time() - t0, 2),
            "cpu_s": round(cpu, 2),
            "tail": (err or out)[-600:] if cls not in ("ran-ok", "clear-error") else ""}


def cmd_run(a):
    files = sorted(os.path.join(a.corpus, f) for f in os.listdir(a.corpus) if f.endswith((".toml", ".replay")))
    if a.limit:
        files = files[: a.limit]
    accepted = 0
    with open(a.out, "w") as res:
        for f in files:
            if f.endswith(".replay"):
                rows = [run_one(a, ["run", f], f)]
                for row in rows:
                    res.write(json.dumps(row) + "\n")
                    if row["class"] not in ("ran-ok", "clear-error", "budget"):
                        print(f"{row['class']}: {row['cmd']} {f}: {row['tail'][-200:]!r}", file=sys.stderr)
                continue
            rows = [run_one(a, ["check", f], f)]
            if rows[0]["class"] == "ran-ok" and rows[0]["code"] == 0:
                accepted += 1
                rows.append(run_one(a, ["run", f], f))
                rows.append(run_one(a, ["sweep", f, "--seeds", "2", "--jobs", "1"], f))
                if accepted % a.explore_every == 0:
                    rows.append(run_one(a, ["explore", f, "--depth", "12", "--max-states", "3000"], f))
            for row in rows:
                res.write(json.dumps(row) + "\n")
                if row["class"] not in ("ran-ok", "clear-error", "budget"):
                    print(f"{row['class']}: {row['cmd']} {f}: {row['tail'][-200:]!r}", file=sys.stderr)
            res.flush()
    print(f"{len(files)} files, {accepted} accepted by check")


def cmd_summary(a):
    counts = {}
    bad = []
    for line in open(a.results):
        row = json.loads(line)
        key = (row["cmd"], row["class"])
        counts[key] = counts.get(key, 0) + 1
        if row["class"] not in ("ran-ok", "clear-error", "budget"):
            bad.append(row)
    for (cmd, cls), n in sorted(counts.items()):
        print(f"{cmd:8} {cls:15} {n}")
    for row in bad:
        print(f"{row['class']}: {row['cmd']} {row['file']} ({row['wall_s']} s wall, {row.get('cpu_s')} s CPU): {row['tail'][-300:]!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--seed", type=int, default=34)
    g.add_argument("--out", required=True)
    g.add_argument("--per-file", type=int, default=4)
    g.add_argument("--root", default=".")
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--corpus", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--timeout", type=float, default=60)
    r.add_argument("--mem-gib", type=int, default=4)
    r.add_argument("--explore-every", type=int, default=10)
    r.add_argument("--limit", type=int, default=0)
    s = sub.add_parser("summary")
    s.add_argument("results")
    a = ap.parse_args()
    {"gen": cmd_gen, "run": cmd_run, "summary": cmd_summary}[a.cmd](a)


if __name__ == "__main__":
    main()
