#!/usr/bin/env python3
"""gen.py: the generator of the randomized differential campaign against real Flink.

    python3 tests/real-flink-random/gen.py FIRST_SEED COUNT [OUT_DIR]

writes OUT_DIR/r<seed>.spec (default tests/real-flink-random/specs) for seeds FIRST_SEED ..
FIRST_SEED + COUNT - 1. A spec is deterministic from its seed (our own splitmix64, not Python's
`random`, so it does not depend on the interpreter). One spec is one small job, read by both
sides: tools/real-flink/RealFlinkRandom.java builds it on real Flink, tests/real_flink_random.rs
builds the ckptsim scenario from it. Format and space: docs/real-flink-random.md.
"""
import os
import sys

MASK = (1 << 64) - 1


class Rng:
    """splitmix64."""

    def __init__(self, seed):
        self.s = (seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def range(self, lo, hi):
        """lo..=hi"""
        return lo + self.below(hi - lo + 1)

    def chance(self, percent):
        return self.below(100) < percent

    def pick(self, xs):
        return xs[self.below(len(xs))]


LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Words that are not plain lowercase ASCII: upper case, digits only (a String key that looks like
# a number), Latin-1, CJK, and characters outside the BMP (a UTF-16 surrogate pair each:
# String#hashCode hashes code units).
ODD_WORDS = ["Flink", "ABC", "42", "007", "x1", "é", "straße", "日本", "ключ", "😀", "a😀b", "Zz_9"]


def word(r):
    if r.chance(20):
        return r.pick(ODD_WORDS)
    return "".join(r.pick(LETTERS) for _ in range(r.range(1, 7)))


def vocab(r, lo, hi):
    words = []
    while len(words) < r.range(lo, hi):
        w = word(r)
        if w not in words:
            words.append(w)
    return words


def max_parallelism(r, p):
    """0: Flink's default (128 here); else a random number of key groups >= p."""
    if r.chance(35):
        return 0
    return r.pick([p, p + 1, 5, 7, 10, 16, 31, 64, 100, 127, 129, 256, 1000, 32768])


def keyed(r, spec, union):
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    words = vocab(r, 2, 9)
    # A rebalanced map (parallelism p) or one chained to the source (parallelism 1). Running
    # values of one key are in input order only when a key's records keep their order: a
    # rebalanced map sends them over different channels, so values are 1 there (every order
    # gives the sums 1..n), and with two sources (union) too.
    spec["map_parallelism"] = p if (union or r.chance(50)) else 1
    ones = union or spec["map_parallelism"] > 1
    spec["agg"] = r.pick(["sum", "count"]) if ones else r.pick(["sum", "count", "max", "min"])

    def records(n):
        out = []
        for _ in range(n):
            v = 1 if ones else r.range(-5, 9)
            out.append(f"{r.pick(words)}:{v}")
        return " ".join(out)

    spec["input"] = records(r.range(5, 24))
    if union:
        spec["input2"] = records(r.range(3, 16))


def timestamps(r, n, bound, late_percent, start):
    """n event timestamps: mostly increasing, multiples of 100 (window edges), some one below;
    with late_percent some jump back beyond the bound (late); else never behind the running
    maximum by more than the bound (never behind the source's own watermark)."""
    out = []
    hi = start
    for i in range(n):
        if i == 0:
            t = start
        elif r.chance(late_percent):
            t = hi - bound - r.range(1, 25) * 100
        elif r.chance(30):
            t = hi - min(bound, r.range(0, 10) * 100)
        else:
            t = hi + r.range(0, 9) * 100
        if r.chance(20):
            t -= 1
        if late_percent == 0:
            t = max(t, hi - bound)
        hi = max(hi, t)
        out.append(t)
    return out


def start_ts(r):
    return r.pick([-3000, -1000]) if r.chance(10) else r.range(0, 20) * 100


def window(r, spec):
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    spec["agg"] = r.pick(["sum", "count", "max", "min"])
    size = r.pick([500, 1000, 1000, 1500, 2000, 3000])
    spec["size"] = size
    if r.chance(50):
        spec["window"] = "tumbling"
        spec["slide"] = 0
        span = size
    else:
        spec["window"] = "sliding"
        slide = r.pick([size // 2, size // 4, size, r.range(2, size // 100) * 100 // 2])
        spec["slide"] = max(slide, 50)
        span = spec["slide"]
    k = (span - 1) // 50
    spec["offset"] = 0 if r.chance(70) else r.range(-k, k) * 50
    spec["lateness"] = r.pick([0, 0, 0, 200, 500, 1500])
    spec["late"] = r.pick(["drop", "side"])
    words = vocab(r, 1, 4)
    n = r.range(6, 20)
    ts = timestamps(r, n, spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


def two_sources(r, spec):
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    # Each source's elements are never behind that source's own watermark (mild disorder within
    # the bound only): the join's watermark is the minimum of the two, so nothing is late in any
    # interleaving of the two sources (docs/real-flink.md, "Two event-time sources").
    spec["bound"] = r.pick([0, 100, 200, 500])
    spec["bound2"] = r.pick([0, 100, 200, 500])
    words = vocab(r, 1, 3)
    start = start_ts(r)
    for key, bound in (("input", spec["bound"]), ("input2", spec["bound2"])):
        ts = timestamps(r, r.range(3, 12), bound, 0, start + r.range(0, 10) * 100)
        spec[key] = " ".join(f"{r.pick(words)}@{t}" for t in ts)


def interval_join(r, spec):
    two_sources(r, spec)
    a = r.range(-15, 15) * 100
    b = r.range(-15, 15) * 100
    spec["lower"], spec["upper"] = min(a, b), max(a, b)
    spec["lower_exclusive"] = "true" if r.chance(30) else "false"
    spec["upper_exclusive"] = "true" if r.chance(30) else "false"


def window_join(r, spec):
    two_sources(r, spec)
    size = r.pick([500, 1000, 1500, 2000])
    spec["size"] = size
    spec["slide"] = 0 if r.chance(50) else r.pick([size // 2, size // 4, size])


def window_params(r, spec, suffix=""):
    """One event-time window's size, slide, offset and aggregate (keys `size`, `window`, `slide`,
    `offset`, `agg` with `suffix`). A sliding window's aggregate is a `sum` or `count` only: on
    Flink's heap backend a sliding `max` / `min` depends on object identity (one element object
    in two windows, docs/real-flink-random.md mismatch 2), which the old shapes already show."""
    size = r.pick([500, 1000, 1000, 1500, 2000, 3000])
    spec["size" + suffix] = size
    if r.chance(50):
        spec["window" + suffix] = "tumbling"
        spec["slide" + suffix] = 0
        span = size
        spec["agg" + suffix] = r.pick(["sum", "count", "max", "min"])
    else:
        spec["window" + suffix] = "sliding"
        slide = r.pick([size // 2, size // 4, size, r.range(2, size // 100) * 100 // 2])
        spec["slide" + suffix] = max(slide, 50)
        span = spec["slide" + suffix]
        spec["agg" + suffix] = r.pick(["sum", "count"])
    k = (span - 1) // 50
    spec["offset" + suffix] = 0 if r.chance(70) else r.range(-k, k) * 50


def windows_in_a_row(r, spec):
    """A window's results keyed again into a second window (parallelism p, then p2). The first
    window drops its late elements and has no allowed lateness: a re-fired result would be late
    at the second window by a margin that depends on how its p input channels interleave."""
    p, p2 = r.range(1, 4), r.range(1, 4)
    spec["parallelism"] = p
    spec["parallelism2"] = p2
    spec["max_parallelism"] = max_parallelism(r, max(p, p2))
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    window_params(r, spec, "2")
    words = vocab(r, 1, 4)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


def window_late(r, spec):
    """A window whose late elements go to the side output, and that output either unioned with
    the window's results into one print sink (`late_path = union`) or keyed again into a running
    aggregate printed as `late` (`late_path = agg`, `late_agg`)."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    spec["lateness"] = r.pick([0, 0, 0, 200, 500, 1500])
    spec["late"] = "side"
    spec["late_path"] = r.pick(["union", "agg"])
    spec["late_agg"] = r.pick(["sum", "count", "max", "min"])
    words = vocab(r, 1, 4)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 35, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


def rebalance_window(r, spec):
    """source -> map (1) -> rebalance -> identity map (map_parallelism) -> keyBy -> window. The
    window's watermark is the minimum over the map's channels, so an element behind the
    source's own watermark would be late or not by timing: none is (disorder within the bound,
    as the two-source shapes)."""
    p, map_p = r.range(1, 4), r.range(1, 4)
    spec["parallelism"] = p
    spec["map_parallelism"] = map_p
    spec["max_parallelism"] = max_parallelism(r, max(p, map_p))
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    spec["lateness"] = r.pick([0, 0, 200])
    spec["late"] = "drop"
    words = vocab(r, 1, 5)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 0, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


def named_states(r, spec):
    """words `k:n` -> (k, n) (chained to the source: a key's records keep their order) -> keyBy
    -> the `named_states` function: (key,count,sum,[n1, n2]) after each record."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["map_parallelism"] = 1
    words = vocab(r, 2, 9)
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-5, 9)}" for _ in range(r.range(5, 24)))


def mixed_union(r, spec):
    """An event-time source (`input`, timestamps and per-element watermarks, late ones too) and a
    plain one (`input2`) -> union -> map (p) -> keyBy -> running sum | count (values 1: every
    order of the two gives the same rows) -> print."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["map_parallelism"] = p
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    spec["agg"] = r.pick(["sum", "count"])
    words = vocab(r, 2, 9)
    ts = timestamps(r, r.range(5, 20), spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:1@{t}" for t in ts)
    spec["input2"] = " ".join(f"{r.pick(words)}:1" for _ in range(r.range(3, 16)))


SHAPES = ["keyed", "union", "window", "window", "interval-join", "window-join"]
# Seeds >= NEW_FIRST_SEED draw from the shapes added in session 41 (seed - NEW_FIRST_SEED modulo
# their number); seeds below keep the six shapes above, their specs byte-identical.
NEW_FIRST_SEED = 200
NEW_SHAPES = ["windows-in-a-row", "window-late", "rebalance-window", "named-states", "mixed-union"]
NEW_GENERATORS = {
    "windows-in-a-row": windows_in_a_row,
    "window-late": window_late,
    "rebalance-window": rebalance_window,
    "named-states": named_states,
    "mixed-union": mixed_union,
}


def with_failure(r, spec):
    """Puts the record `BOOM:0` (with the timestamp of the record before it, in event time) at a
    random place of `input`: a map chained to the source throws once there and the job restarts
    from the checkpoint that holds every record before it (`failure = boom`)."""
    tokens = spec["input"].split(" ")
    at = r.range(1, len(tokens) - 1)
    prev = tokens[at - 1]
    boom = "BOOM:0" + (prev[prev.index("@"):] if "@" in prev else "")
    spec["input"] = " ".join(tokens[:at] + [boom] + tokens[at:])
    spec["failure"] = "boom"


def window_failure(r, spec):
    """The window shape (window_params: no sliding max / min) across a failure."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    spec["lateness"] = r.pick([0, 0, 0, 200, 500, 1500])
    spec["late"] = r.pick(["drop", "side"])
    words = vocab(r, 1, 4)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


# Seeds >= FAILURE_FIRST_SEED (session 41): the keyed and window shapes (by seed parity) across
# one failure at a fixed record (with_failure).
FAILURE_FIRST_SEED = 300


# Seeds >= RESCALE_FIRST_SEED (session 42): the keyed and window shapes (by seed parity) stopped
# with a savepoint after record `gate1` at parallelism 2, restored at 3 until record `gate2`,
# stopped again and restored at 1 to the end of input (`rescale = 2-3-1`).
RESCALE_FIRST_SEED = 400
# Seeds RESCALE_SESSION_FIRST_SEED .. SESSION_FIRST_SEED - 1: the session shape below across the
# same 2 -> 3 -> 1 rescale.
RESCALE_SESSION_FIRST_SEED = 440
# Seeds >= SESSION_FIRST_SEED (session 42): keyed event-time session windows in a line.
SESSION_FIRST_SEED = 500
# Max parallelisms a 2 -> 3 -> 1 job may keep (at least 3; 0: Flink's default, 128).
RESCALE_MAX_PARALLELISMS = [3, 4, 5, 7, 10, 16, 31, 64, 100, 127, 129, 256, 1000, 32768]


def rescale_gates(r, spec, n):
    """The two stops of a 2 -> 3 -> 1 job: after record gate1 and after record gate2 (each job
    reads at least one record)."""
    spec["rescale"] = "2-3-1"
    spec["gate1"] = r.range(1, n - 2)
    spec["gate2"] = r.range(spec["gate1"] + 1, n - 1)


def keyed_rescale(r, spec):
    """The keyed shape at parallelism 2, then 3, then 1. `map_parallelism = 2`: the map follows
    the job's parallelism (rebalanced from the source: values 1, order-free); 1: chained to the
    source (a key's records keep their order: any values and aggregate)."""
    spec["parallelism"] = 2
    spec["max_parallelism"] = 0 if r.chance(35) else r.pick(RESCALE_MAX_PARALLELISMS)
    words = vocab(r, 2, 9)
    spec["map_parallelism"] = r.pick([1, 2])
    ones = spec["map_parallelism"] > 1
    spec["agg"] = r.pick(["sum", "count"]) if ones else r.pick(["sum", "count", "max", "min"])
    n = r.range(8, 24)
    spec["input"] = " ".join(f"{r.pick(words)}:{1 if ones else r.range(-5, 9)}" for _ in range(n))
    rescale_gates(r, spec, n)


def window_rescale(r, spec):
    """The window shape (window_params: no sliding max / min) at parallelism 2, then 3, then 1."""
    spec["parallelism"] = 2
    spec["max_parallelism"] = 0 if r.chance(35) else r.pick(RESCALE_MAX_PARALLELISMS)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    spec["lateness"] = r.pick([0, 0, 0, 200, 500, 1500])
    spec["late"] = r.pick(["drop", "side"])
    words = vocab(r, 1, 4)
    n = r.range(8, 20)
    ts = timestamps(r, n, spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)
    rescale_gates(r, spec, n)


def session_timestamps(r, n, gap, bound, start):
    """n timestamps of sessions: steps forward within the gap (the same session) or beyond it (a
    new one), some back into the gap between two sessions (bridging them into one), a quarter
    back beyond the bound (late); multiples of 100, some one below."""
    out = []
    hi = start
    for i in range(n):
        if i == 0:
            t = start
        elif r.chance(25):
            t = hi - bound - r.range(1, 25) * 100
        elif r.chance(25):
            t = hi - r.range(1, max(2, 2 * gap // 100)) * 100
        else:
            t = hi + r.range(0, max(2, 2 * gap // 100)) * 100
        if r.chance(20):
            t -= 1
        hi = max(hi, t)
        out.append(t)
    return out


def session(r, spec, rescale=False):
    """Keyed event-time session windows in a line: events -> keyBy -> session window (gap,
    allowed lateness) sum | count | max | min -> print; late elements dropped or to the side
    output, printed. `rescale`: at parallelism 2, then 3, then 1 (rescale_gates)."""
    if rescale:
        spec["parallelism"] = 2
        spec["max_parallelism"] = 0 if r.chance(35) else r.pick(RESCALE_MAX_PARALLELISMS)
    else:
        p = r.range(1, 4)
        spec["parallelism"] = p
        spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    spec["window"] = "session"
    spec["gap"] = r.pick([300, 500, 800, 1000, 1000, 1500, 2000])
    spec["agg"] = r.pick(["sum", "count", "max", "min"])
    spec["lateness"] = r.pick([0, 0, 200, 500, 1000, 1500])
    spec["late"] = "side" if r.chance(70) else "drop"
    words = vocab(r, 1, 3)
    n = r.range(8, 20) if rescale else r.range(6, 20)
    ts = session_timestamps(r, n, spec["gap"], spec["bound"], start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)
    if rescale:
        rescale_gates(r, spec, n)


# Seeds >= BEYOND_FIRST_SEED (session 43): four more shapes users write, NEW43_SHAPES[(seed -
# BEYOND_FIRST_SEED) % 4]; each stream starts one splitmix64 step from its seed (as seeds 400 and up).
BEYOND_FIRST_SEED = 600
NEW43_SHAPES = ["windows-beside", "join-window", "connect-keyed", "window-functions"]
# One-to-one functions of a raw record string `k n` (connect-keyed's co-map sides).
STRING_FUNCTIONS = ["identity", "uppercase"]


def windows_beside(r, spec):
    """One event-time source -> (k, n) -> keyBy -> window 1 (window_params, allowed lateness,
    late elements dropped or to the side output `late`) and, beside it, keyBy -> window 2 (its
    own parameters, `late2`); window 1's results to print `out`, window 2's to `out2` (the two
    windows' results unioned into one sink is refused by ckptsim's loader: an event_window must be
    followed by its sink). Each window has one input channel from the one source: what is late at
    each is fixed by the input."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    window_params(r, spec, "2")
    spec["lateness"] = r.pick([0, 0, 200, 500, 1500])
    spec["lateness2"] = r.pick([0, 0, 200, 500, 1500])
    spec["late"] = r.pick(["drop", "side"])
    spec["late2"] = r.pick(["drop", "side"])
    words = vocab(r, 1, 4)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 30, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


def join_window(r, spec):
    """Two event-time sources of `k:n@ts` -> (k, n) -> keyBy each -> intervalJoin.between(lower,
    upper) -> (k, a + b) at max(tl, tr) -> keyBy -> tumbling or sliding window (window_params) ->
    print. Nothing is late at the join (two_sources); a joined row's timestamp is above the
    watermark of the join subtask that emits it, so it is never late at the window either."""
    two_sources(r, spec)
    a = r.range(-10, 10) * 100
    b = r.range(-10, 10) * 100
    spec["lower"], spec["upper"] = min(a, b), max(a, b)
    spec["lower_exclusive"] = "true" if r.chance(30) else "false"
    spec["upper_exclusive"] = "true" if r.chance(30) else "false"
    window_params(r, spec)
    for key in ("input", "input2"):
        spec[key] = " ".join(f"{t.split('@')[0]}:{r.range(-3, 9)}@{t.split('@')[1]}" for t in spec[key].split(" "))


def connect_keyed(r, spec):
    """Two plain sources of `k:1` -> connect -> co-map (`function` on the first, `function2` on
    the second: identity or upper case of the whole record) at map_parallelism -> (k, 1) ->
    keyBy -> running sum | count -> print. Values 1: every interleaving of the two gives the same
    rows."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["map_parallelism"] = r.range(1, 4)
    spec["max_parallelism"] = max_parallelism(r, max(p, spec["map_parallelism"]))
    spec["function"] = r.pick(STRING_FUNCTIONS)
    spec["function2"] = r.pick(STRING_FUNCTIONS)
    spec["agg"] = r.pick(["sum", "count"])
    words = vocab(r, 2, 9)
    spec["input"] = " ".join(f"{r.pick(words)}:1" for _ in range(r.range(5, 20)))
    spec["input2"] = " ".join(f"{r.pick(words)}:1" for _ in range(r.range(3, 16)))


def window_functions(r, spec):
    """The window shape with functions of (k, n) around the window: `before` (none, a filter of
    even numbers, or the number doubled) between the source's pairs and keyBy; `after` (none,
    doubled, or even results only) between the window and its print; late elements dropped or
    to the side output, printed."""
    p = r.range(1, 4)
    spec["parallelism"] = p
    spec["max_parallelism"] = max_parallelism(r, p)
    spec["bound"] = r.pick([0, 100, 200, 500, 1000])
    window_params(r, spec)
    spec["lateness"] = r.pick([0, 0, 0, 200, 500, 1500])
    spec["late"] = r.pick(["drop", "side"])
    spec["before"] = r.pick(["none", "even", "double"])
    spec["after"] = r.pick(["none", "double", "even"])
    words = vocab(r, 1, 4)
    ts = timestamps(r, r.range(6, 20), spec["bound"], 25, start_ts(r))
    spec["input"] = " ".join(f"{r.pick(words)}:{r.range(-3, 9)}@{t}" for t in ts)


NEW43_GENERATORS = {
    "windows-beside": windows_beside,
    "join-window": join_window,
    "connect-keyed": connect_keyed,
    "window-functions": window_functions,
}


def generate(seed):
    if seed >= BEYOND_FIRST_SEED:
        r = Rng(Rng(seed).next())
        shape = NEW43_SHAPES[(seed - BEYOND_FIRST_SEED) % len(NEW43_SHAPES)]
        spec = {"name": f"r{seed:03d}", "shape": shape}
        NEW43_GENERATORS[shape](r, spec)
        return spec
    if seed >= RESCALE_FIRST_SEED:
        # Session 42: each spec's stream starts one splitmix64 step from its seed, so neighbouring
        # seeds do not draw shifted copies of one stream (docs/real-flink-random.md).
        r = Rng(Rng(seed).next())
        if seed >= RESCALE_SESSION_FIRST_SEED:
            spec = {"name": f"r{seed:03d}", "shape": "session"}
            session(r, spec, seed < SESSION_FIRST_SEED)
            return spec
        shape = ["keyed", "window"][seed % 2]
        spec = {"name": f"r{seed:03d}", "shape": shape}
        if shape == "keyed":
            keyed_rescale(r, spec)
        else:
            window_rescale(r, spec)
        return spec
    r = Rng(seed)
    if seed >= FAILURE_FIRST_SEED:
        shape = ["keyed", "window"][seed % 2]
        spec = {"name": f"r{seed:03d}", "shape": shape}
        if shape == "keyed":
            keyed(r, spec, False)
        else:
            window_failure(r, spec)
        with_failure(r, spec)
        return spec
    if seed >= NEW_FIRST_SEED:
        shape = NEW_SHAPES[(seed - NEW_FIRST_SEED) % len(NEW_SHAPES)]
        spec = {"name": f"r{seed:03d}", "shape": shape}
        NEW_GENERATORS[shape](r, spec)
        return spec
    shape = SHAPES[seed % len(SHAPES)]
    spec = {"name": f"r{seed:03d}", "shape": shape}
    if shape == "keyed":
        keyed(r, spec, False)
    elif shape == "union":
        keyed(r, spec, True)
    elif shape == "window":
        window(r, spec)
    elif shape == "interval-join":
        interval_join(r, spec)
    else:
        window_join(r, spec)
    return spec


def main():
    first, count = int(sys.argv[1]), int(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "specs")
    os.makedirs(out, exist_ok=True)
    for seed in range(first, first + count):
        spec = generate(seed)
        lines = [f"# tests/real-flink-random/gen.py, seed {seed}"]
        lines += [f"{k} = {v}" for k, v in spec.items()]
        with open(os.path.join(out, spec["name"] + ".spec"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
