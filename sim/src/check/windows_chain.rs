//! The `windows` checker for a window whose results pass stateless functions before the sink (semantics §11.6): the chain between the window and its sink, and the judgment of the sink's rows against the chain applied to the reference results.
//!
//! Between an event-time window and its sink may stand partitionings and the map / flat_map /
//! filter functions defined on a window's results `(key, n)` (`Udf::takes_window_results`).
//! With only identities the sink's rows are the window's results and `windows.rs` judges them
//! as they are. Otherwise the checker folds each reference result through the chain with the
//! core's own `Operator` (the code the job runs, not a copy) and compares the sink's rows with
//! what comes out, grouped by timestamp (every function keeps the result's timestamp, the
//! window's `maxTimestamp`; a function may change the key, so rows are not matched by key).
//!
//! A window's result is known exactly when every element of it is surely on time and the window
//! has no allowed lateness: it fires once, with every element (semantics §11.5). A timestamp
//! whose windows are all known so is *judged*; the others (a window with an element that may be
//! late fires a value between bounds that no longer bound after a function) are counted, not
//! judged. What a judged window's firings can be depends on how the job ran (`Mode`):
//!
//! * **Exactly-once** (`Exact`): one firing with all its elements.
//! * **Ended by stop-with-savepoint** (`Stop`): the sources read only what the synchronous
//!   savepoint covers. With drain (`flink stop --drain`) they emit MAX_WATERMARK ahead of its
//!   barrier, so every window holding a covered element fires once, with exactly the covered
//!   elements, into the savepoint's transaction, committed on its notification (Flink's
//!   `SourceOperator#stop(DRAIN)` / 1.11's `advanceToEndOfEventTime`, `SavepointITCase`): all of
//!   them are required. Without drain no window fires at the stop; one fired before it only when
//!   the watermark passed it, and then with all its elements (each surely on time, so read
//!   before the window could fire, so before the savepoint): a window the savepoint did not read
//!   whole cannot have fired in the committed history, the others may have, once.
//!   A print sink may also show a firing of an earlier attempt, with all the elements.
//! * **At-least-once with restores** (`AtLeastOnce`): the barrier tracker snapshots a window
//!   after the last barrier, so the snapshot may hold elements that arrived after an earlier
//!   barrier on another channel, and the restore replays them: an element may be counted up to
//!   once more per restore. A window that fired before a snapshot is gone from it and fires again
//!   with the elements replayed after it. A firing is then any non-empty part of the window's
//!   elements, each up to `1 + restores` times: the checker folds every value such a firing can
//!   have (each integer between the bounds for count and sum, each element's number for max and
//!   min; at most `MAX_CANDIDATES`) through the chain. Without restores the run is exact.
//!
//! On a judged timestamp:
//!
//! * every row is one a firing of a window there can give (`window wrong value`);
//! * a two-phase-commit sink under exactly-once (one history): the committed rows are a
//!   sub-multiset of the windows' single firings (`window fired twice`);
//! * once the job FINISHED (with final checkpoints for a 2PC sink) or a stop drained it, a
//!   required window known exactly shows all rows of its firing, and each other required window
//!   whose every possible firing gives a row shows one row of its own (a matching of windows to
//!   rows: one firing never serves two windows) (`window lost`). Under at-least-once every
//!   window is required at least once: it either fired before the snapshot of the checkpoint
//!   the final attempt restored (its rows are in that checkpoint's committed transaction or were
//!   printed) or is in that snapshot or in the replay, and fires in the final attempt.

use super::*;
use ckptsim::operator::{Aggregate, Operator, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::window::EventWindowSpec;

/// The stateless operators between the event-time window and the sink it feeds, in order,
/// identities left out (empty: the sink's rows are the window's results). `Err`: why the
/// checker cannot apply them (another kind of operator, or not one path).
pub(super) fn chain(spec: &JobSpec) -> Result<Vec<OperatorKind>, &'static str> {
    let ops = &spec.operators;
    // Windows after windows: the last window feeds the sink (`windows_stages.rs`).
    let Some(&at) = spec.window_stages().last() else { return Ok(vec![]) };
    let Some(sink) = (0..ops.len())
        .find(|s| ops[*s].kind.is_sink() && spec.late_branch_of(*s).is_none() && spec.upstream_of(*s).contains(&at))
    else {
        return Err("the event-time window reaches no sink");
    };
    between(spec, at, sink)
}

/// The stateless operators on the one path from operator `at` (a window) to operator `sink`
/// (the sink, or the next window of windows after windows), in order, identities left out.
pub(super) fn between(spec: &JobSpec, at: usize, sink: usize) -> Result<Vec<OperatorKind>, &'static str> {
    let ops = &spec.operators;
    let up = spec.upstream_of(sink);
    let between: Vec<usize> = crate::check::graph::topological(spec)
        .into_iter()
        .filter(|o| *o != at && *o != sink && up.contains(o) && spec.upstream_of(*o).contains(&at))
        .collect();
    let mut prev = at;
    let mut out = Vec::new();
    for &o in between.iter().chain(std::iter::once(&sink)) {
        if spec.op_inputs(o) != [prev] {
            return Err("the window's results reach the sink on more than one path");
        }
        prev = o;
        if o == sink {
            break;
        }
        match &ops[o].kind {
            OpKind::Map(u) | OpKind::FlatMap(u) | OpKind::Filter(u) if !u.takes_window_results() => {
                return Err("a function between the window and the sink is not defined on its results");
            }
            OpKind::Map(ckptsim::operator::Udf::Identity) => {}
            OpKind::Map(u) => out.push(OperatorKind::Map(*u)),
            OpKind::FlatMap(u) => out.push(OperatorKind::FlatMap(*u)),
            OpKind::Filter(u) => out.push(OperatorKind::Filter(*u)),
            k if k.is_partitioning() && !matches!(k, OpKind::Broadcast) => {}
            _ => return Err("the window's results are transformed before the sink"),
        }
    }
    Ok(out)
}

/// The value a window that fires once with all of `elems` emits (`Pair(key, n)`, as the core's
/// window does for a string key; sums wrap like Java's `long`).
pub(super) fn result(w: &EventWindowSpec, key: &Value, elems: &[Element]) -> Option<Value> {
    let Value::Str(k) = key else { return None };
    let numbers = elems.iter().map(|e| e.number);
    let n = match w.aggregate {
        Aggregate::Count => elems.len() as i64,
        Aggregate::Sum => numbers.fold(0i64, i64::wrapping_add),
        Aggregate::Max => numbers.max()?,
        Aggregate::Min => numbers.min()?,
    };
    Some(Value::Pair(std::sync::Arc::clone(k), n))
}

/// How the checker knows a window's firings (see the module doc).
pub(super) enum Mode<'a> {
    /// Exactly-once checkpoints, the job not ended by stop-with-savepoint: one firing per
    /// window, with all its elements.
    Exact,
    /// Exactly-once checkpoints, the job ended by stop-with-savepoint: only the input the
    /// savepoint `covered` was read; with `drain` every window with a covered element fired
    /// (MAX_WATERMARK ahead of the savepoint's barrier) with exactly those elements, without
    /// it a window fired only if all its elements were read before the stop.
    Stop { covered: &'a crate::check::counts::InputSet, drain: bool },
    /// At-least-once checkpoints with `restores` restores (or new jobs) in the run: a
    /// snapshot may hold elements its restore replays, so a firing aggregates each element up
    /// to `1 + restores` times, and a window fired before a snapshot may fire again with the
    /// elements replayed after it; `drained`: the input the savepoint of a stop-with-savepoint
    /// with drain covered, when one ended the job.
    AtLeastOnce { restores: usize, drained: Option<&'a crate::check::counts::InputSet> },
}

/// The rows one firing of a window with value `n` gives after the chain (None: the job's own
/// task throws there).
pub(super) fn through(
    ops: &mut [Operator],
    counters: &mut SurvivingCounters,
    key: &Value,
    n: i64,
    t: i64,
) -> Option<Vec<Value>> {
    let Value::Str(k) = key else { return None };
    let value = Value::Pair(std::sync::Arc::clone(k), n);
    let cur = vec![Record { value, lineage: Lineage { input_seq: 0, sub: 0 }, timestamp: Some(t) }];
    let (out, ok) = crate::check::records_through(ops.iter_mut(), counters, cur, "windows-chain-reference");
    ok.then(|| out.into_iter().map(|r| r.value).collect())
}

/// The most values a window's firing may take under at-least-once that the checker folds
/// through the chain one by one; a wider range leaves its timestamp unjudged.
const MAX_CANDIDATES: i64 = 4096;

/// The values one firing of a window with `elems` may aggregate to under at-least-once, when
/// each element may be counted up to `copies` times and a firing may hold any non-empty part
/// of them (a superset: every integer between the bounds for sums and counts). None: too many.
fn candidates(agg: Aggregate, elems: &[Element], copies: i64) -> Option<Vec<i64>> {
    let numbers: Vec<i64> = elems.iter().map(|e| if agg == Aggregate::Count { 1 } else { e.number }).collect();
    match agg {
        Aggregate::Max | Aggregate::Min => {
            let set: BTreeSet<i64> = numbers.into_iter().collect();
            Some(set.into_iter().collect())
        }
        Aggregate::Sum | Aggregate::Count => {
            let neg: i128 =
                numbers.iter().filter(|v| **v < 0).map(|v| i128::from(*v)).sum::<i128>() * i128::from(copies);
            let pos: i128 =
                numbers.iter().filter(|v| **v > 0).map(|v| i128::from(*v)).sum::<i128>() * i128::from(copies);
            let lo = neg.min(numbers.iter().copied().min().map_or(0, i128::from));
            let hi = pos.max(numbers.iter().copied().max().map_or(0, i128::from));
            if hi - lo >= i128::from(MAX_CANDIDATES) {
                return None;
            }
            let (lo, hi) = (i64::try_from(lo).ok()?, i64::try_from(hi).ok()?);
            Some((lo..=hi).collect())
        }
    }
}

/// One window of a judged timestamp: the row lists one of its firings may give (one list:
/// known exactly) and whether a firing of it must reach the sink by the end of the run.
struct Expected {
    key: Value,
    firings: Vec<Vec<Value>>,
    required: bool,
}

/// How the chain judgment went: (judged timestamps, timestamps not judged).
pub(super) struct ChainSummary {
    pub(super) judged: usize,
    pub(super) unjudged: usize,
}

/// Judges `rows` (the sink's committed rows when `exact`, else its printed rows) against the
/// chain applied to the reference (see the module doc); `finished_all`: the job FINISHED (not
/// by a stop) and every firing is in `rows` by now.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge(
    w: &EventWindowSpec,
    chain: &[OperatorKind],
    reference: &WindowRef,
    rows: &Rows,
    exact: bool,
    finished_all: bool,
    mode: &Mode<'_>,
    anomalies: &mut Vec<Finding>,
) -> ChainSummary {
    let expected = expected_firings(w, chain, reference, exact, finished_all, mode);
    let got = rows_by_timestamp(rows, &expected, anomalies);
    let mut summary = ChainSummary { judged: 0, unjudged: 0 };
    let verb = if exact { "committed" } else { "printed" };
    // One history (a two-phase-commit sink under exactly-once): each window fires once.
    let once = exact && !matches!(mode, Mode::AtLeastOnce { .. });
    for (t, wins) in &expected {
        let Some(wins) = wins else {
            summary.unjudged += 1;
            continue;
        };
        summary.judged += 1;
        let rows_at = got.get(t).map(Vec::as_slice).unwrap_or(&[]);
        let allowed: BTreeSet<&Value> = wins.iter().flat_map(|x| x.firings.iter().flatten()).collect();
        // With one history: the rows are a sub-multiset of the windows' single firings.
        let mut left: BTreeMap<&Value, usize> = BTreeMap::new();
        if once {
            for v in wins.iter().filter_map(|x| x.firings.first()).flatten() {
                *left.entry(v).or_default() += 1;
            }
        }
        let mut count: BTreeMap<&Value, usize> = BTreeMap::new();
        for r in rows_at {
            *count.entry(&r.value).or_default() += 1;
            if !allowed.contains(&r.value) {
                let want: Vec<&Value> = allowed.iter().copied().take(8).collect();
                anomalies.push(
                    Finding::new(
                        "window-wrong-value",
                        format!(
                    "window wrong value: t={} {verb} {} at timestamp {t}, expected one of {want:?}{} (the chain \
                     applied to the reference results{})",
                    r.time_ms,
                    r.value,
                    if allowed.len() > 8 { format!(" and {} more", allowed.len() - 8) } else { String::new() },
                    match mode {
                        Mode::Exact => "",
                        Mode::Stop { .. } => ", the input the stop's savepoint covers",
                        Mode::AtLeastOnce { .. } => ", each element counted up to once per restore more",
                    }
                ),
                    )
                    .at(r.time_ms),
                );
                continue;
            }
            if once {
                match left.get_mut(&r.value) {
                    Some(0) | None => anomalies.push(
                        Finding::new(
                            "window-fired-twice",
                            format!(
                                "window fired twice: t={} {} {verb} again at timestamp {t}: expected {} time(s)",
                                r.time_ms,
                                r.value,
                                wins.iter()
                                    .filter_map(|x| x.firings.first())
                                    .flatten()
                                    .filter(|v| **v == r.value)
                                    .count()
                            ),
                        )
                        .at(r.time_ms),
                    ),
                    Some(n) => *n -= 1,
                }
            }
        }
        let at = Lost { t: *t, verb, once, finished_all };
        lost_windows(wins, rows_at, &count, at, anomalies);
    }
    summary
}

/// Per timestamp, what the chain gives for each window of the reference that ends there
/// (`None` once a window there is not known exactly: allowed lateness, an element that may be
/// late, a firing the chain drops).
fn expected_firings(
    w: &EventWindowSpec,
    chain: &[OperatorKind],
    reference: &WindowRef,
    exact: bool,
    finished_all: bool,
    mode: &Mode<'_>,
) -> BTreeMap<i64, Option<Vec<Expected>>> {
    let mut ops: Vec<Operator> = chain.iter().map(|k| Operator::new(*k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    // Per timestamp: its windows (None once a window there is not known).
    let mut expected: BTreeMap<i64, Option<Vec<Expected>>> = BTreeMap::new();
    for ((key, win), elems) in reference {
        let t = win.max_timestamp();
        let known = w.allowed_lateness_ms == 0 && elems.iter().all(|e| e.on_time);
        let slot = expected.entry(t).or_insert_with(|| Some(Vec::new()));
        if slot.is_none() {
            continue;
        }
        if !known {
            *slot = None;
            continue;
        }
        let full = result(w, key, elems).map(|v| number(&v));
        let one = |ops: &mut [Operator], counters: &mut SurvivingCounters, n: Option<i64>| {
            n.and_then(|n| through(ops, counters, key, n, t))
        };
        let entry = match mode {
            Mode::Exact => one(&mut ops, &mut counters, full).map(|f| (vec![f], finished_all)),
            Mode::Stop { covered, drain } => {
                let read: Vec<Element> = elems.iter().filter(|e| covered.contains(e.input_seq)).cloned().collect();
                let all_read = read.len() == elems.len();
                let partial = result(w, key, &read).map(|v| number(&v));
                let mut firings = Vec::new();
                // The committed history is the one that ends in the savepoint: with drain the
                // window fired with what was read; without, only if all of it was read. A
                // print sink may also show an earlier attempt's firing with all of it.
                if !read.is_empty() && (*drain || all_read) {
                    firings.extend(one(&mut ops, &mut counters, partial));
                }
                if !exact && full != partial {
                    firings.extend(one(&mut ops, &mut counters, full));
                }
                let fails = !read.is_empty() && (*drain || all_read) && firings.is_empty();
                (!fails).then_some((firings, *drain && !read.is_empty()))
            }
            Mode::AtLeastOnce { restores, drained } => {
                candidates(w.aggregate, elems, 1 + *restores as i64).and_then(|ns| {
                    let firings: Option<Vec<Vec<Value>>> =
                        ns.into_iter().map(|n| through(&mut ops, &mut counters, key, n, t)).collect();
                    let read = drained.is_some_and(|c| elems.iter().any(|e| c.contains(e.input_seq)));
                    firings.map(|f| (f, finished_all || read))
                })
            }
        };
        match (slot.as_mut(), entry) {
            (Some(list), Some((firings, required))) => list.push(Expected { key: key.clone(), firings, required }),
            _ => *slot = None,
        }
    }
    expected
}

/// The rows per window timestamp; a row with no timestamp, or one no window of the reference
/// ends at, is an anomaly instead.
fn rows_by_timestamp(
    rows: &Rows,
    expected: &BTreeMap<i64, Option<Vec<Expected>>>,
    anomalies: &mut Vec<Finding>,
) -> BTreeMap<i64, Vec<OutputRow>> {
    let mut got: BTreeMap<i64, Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        match r.timestamp {
            None => anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!("window wrong value: t={} result {} carries no timestamp", r.time_ms, r.value),
                )
                .at(r.time_ms),
            ),
            Some(t) if !expected.contains_key(&t) => anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!(
                        "window wrong value: t={} result {} at timestamp {t}: no window of the reference ends there",
                        r.time_ms, r.value
                    ),
                )
                .at(r.time_ms),
            ),
            Some(t) => got.entry(t).or_default().push(r),
        }
    }
    got
}

/// Where [`lost_windows`] judges: the windows' timestamp, how the sink shows a row, whether
/// each window fires once (one history) and whether every firing is due.
#[derive(Clone, Copy)]
struct Lost<'a> {
    t: i64,
    verb: &'a str,
    once: bool,
    finished_all: bool,
}

/// The required windows at one timestamp with no row of theirs among `rows_at` (`count`: the
/// rows per value). Known exactly: every row of the window's firing; else a row of some
/// firing of it, one per window (a matching of the required windows to the rows).
fn lost_windows(
    wins: &[Expected],
    rows_at: &[OutputRow],
    count: &BTreeMap<&Value, usize>,
    at: Lost<'_>,
    anomalies: &mut Vec<Finding>,
) {
    let Lost { t, verb, once, finished_all } = at;
    let mut need: BTreeMap<&Value, usize> = BTreeMap::new();
    let mut open: Vec<&Expected> = Vec::new();
    for x in wins.iter().filter(|x| x.required) {
        match x.firings.as_slice() {
            [one] => one.iter().for_each(|v| *need.entry(v).or_default() += 1),
            many if many.iter().all(|f| !f.is_empty()) => open.push(x),
            _ => {}
        }
    }
    for (v, n) in &need {
        let have = count.get(v).copied().unwrap_or(0);
        let short = if once { n.saturating_sub(have) } else { usize::from(have == 0) };
        for _ in 0..short {
            anomalies.push(Finding::new(
                "window-lost",
                format!(
                    "window lost: {v} at timestamp {t} never {verb} although its window's elements are surely on \
                 time and {}",
                    if finished_all { "the job finished" } else { "the stop drained every window" }
                ),
            ));
        }
    }
    if !open.is_empty() {
        // Rows not claimed by an exactly known window serve the others.
        let mut spare: Vec<&Value> = Vec::new();
        let mut claimed = need.clone();
        for r in rows_at {
            match claimed.get_mut(&r.value) {
                Some(n) if *n > 0 => *n -= 1,
                _ => spare.push(&r.value),
            }
        }
        let fits = |x: &Expected, v: &Value| x.firings.iter().any(|f| f.contains(v));
        for lost in unmatched(&open, &spare, fits) {
            anomalies.push(
                Finding::new(
                    "window-lost",
                    format!(
                "window lost: key {} at timestamp {t}: no {verb} row any firing of it could give, although its \
                 elements are surely on time and {}",
                lost.key,
                if finished_all { "the job finished" } else { "the stop drained every window" }
            ),
                )
                .with("key", &lost.key),
            );
        }
    }
}

/// The windows of `open` left without a row of their own when each takes a distinct row of
/// `rows` that `fits` it (a maximum bipartite matching, by augmenting paths).
fn unmatched<'a>(
    open: &[&'a Expected],
    rows: &[&Value],
    fits: impl Fn(&Expected, &Value) -> bool,
) -> Vec<&'a Expected> {
    let mut row_of: Vec<Option<usize>> = vec![None; rows.len()];
    fn augment(
        x: usize,
        open: &[&Expected],
        rows: &[&Value],
        fits: &dyn Fn(&Expected, &Value) -> bool,
        seen: &mut [bool],
        row_of: &mut [Option<usize>],
    ) -> bool {
        for r in 0..rows.len() {
            if seen[r] || !fits(open[x], rows[r]) {
                continue;
            }
            seen[r] = true;
            if row_of[r].is_none_or(|y| augment(y, open, rows, fits, seen, row_of)) {
                row_of[r] = Some(x);
                return true;
            }
        }
        false
    }
    let mut out = Vec::new();
    for x in 0..open.len() {
        let mut seen = vec![false; rows.len()];
        if !augment(x, open, rows, &fits, &mut seen, &mut row_of) {
            out.push(open[x]);
        }
    }
    out
}
