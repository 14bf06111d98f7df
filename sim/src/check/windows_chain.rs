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
//! judged. Under at-least-once checkpoints, or for a job ended by stop-with-savepoint, nothing
//! is exact and the checker says so. On a judged timestamp:
//!
//! * a two-phase-commit sink's committed rows are a sub-multiset of the expected rows (a row
//!   more often than expected: `window fired twice`; a row not expected: `window wrong value`),
//!   and all of them once the job FINISHED with final checkpoints (`window lost`);
//! * a print sink's rows (replays print again) are each an expected row, and every expected row
//!   is printed once the job FINISHED.

use super::windows::{Element, WindowRef};
use super::*;
use ckptsim::operator::{Aggregate, Operator, OperatorContext, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::window::EventWindowSpec;

/// The stateless operators between the event-time window and the sink it feeds, in order,
/// identities left out (empty: the sink's rows are the window's results). `Err`: why the
/// checker cannot apply them (another kind of operator, or not one path).
pub(super) fn chain(spec: &JobSpec) -> Result<Vec<OperatorKind>, &'static str> {
    let ops = &spec.operators;
    let Some(at) = ops.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_))) else { return Ok(vec![]) };
    let Some(sink) =
        (0..ops.len()).find(|s| ops[*s].kind.is_sink() && super::graph::upstream_of(spec, *s).contains(&at))
    else {
        return Err("the event-time window reaches no sink");
    };
    let up = super::graph::upstream_of(spec, sink);
    let between: Vec<usize> = super::graph::topological(spec)
        .into_iter()
        .filter(|o| *o != at && *o != sink && up.contains(o) && super::graph::upstream_of(spec, *o).contains(&at))
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
fn result(w: &EventWindowSpec, key: &Value, elems: &[Element]) -> Option<Value> {
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

/// How the chain judgment went: (judged timestamps, timestamps not judged).
pub(super) struct ChainSummary {
    pub(super) judged: usize,
    pub(super) unjudged: usize,
}

/// Judges `rows` (the sink's committed rows when `exact`, else its printed rows) against the
/// chain applied to the reference (see the module doc); `finished_all`: every firing is in
/// `rows` by now.
pub(super) fn judge(
    w: &EventWindowSpec,
    chain: &[OperatorKind],
    reference: &WindowRef,
    rows: &Rows,
    exact: bool,
    finished_all: bool,
    anomalies: &mut Vec<String>,
) -> ChainSummary {
    let mut ops: Vec<Operator> = chain.iter().map(|k| Operator::new(*k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    // Per timestamp: the expected rows (None once a window there is not known exactly).
    let mut expected: BTreeMap<i64, Option<Vec<Value>>> = BTreeMap::new();
    for ((key, win), elems) in reference {
        let t = win.max_timestamp();
        let known = w.allowed_lateness_ms == 0 && elems.iter().all(|e| e.on_time);
        let slot = expected.entry(t).or_insert_with(|| Some(Vec::new()));
        let (Some(_), true, Some(value)) = (slot.as_ref(), known, result(w, key, elems)) else {
            *slot = None;
            continue;
        };
        let mut cur = vec![Record { value, lineage: Lineage { input_seq: 0, sub: 0 }, timestamp: Some(t) }];
        for op in ops.iter_mut() {
            let mut next = Vec::new();
            for r in cur.drain(..) {
                let mut ctx =
                    OperatorContext { now_ms: 0, counters: &mut counters, instance: "windows-chain-reference" };
                if op.process(&mut ctx, r, &mut next).is_err() {
                    // The job's own task throws here too: nothing to expect of that window.
                    *slot = None;
                }
            }
            cur = next;
        }
        if let Some(values) = slot.as_mut() {
            values.extend(cur.into_iter().map(|r| r.value));
        }
    }
    let mut got: BTreeMap<i64, Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        match r.timestamp {
            None => {
                anomalies.push(format!("window wrong value: t={} result {} carries no timestamp", r.time_ms, r.value))
            }
            Some(t) if !expected.contains_key(&t) => anomalies.push(format!(
                "window wrong value: t={} result {} at timestamp {t}: no window of the reference ends there",
                r.time_ms, r.value
            )),
            Some(t) => got.entry(t).or_default().push(r),
        }
    }
    let mut summary = ChainSummary { judged: 0, unjudged: 0 };
    let verb = if exact { "committed" } else { "printed" };
    for (t, want) in &expected {
        let Some(want) = want else {
            summary.unjudged += 1;
            continue;
        };
        summary.judged += 1;
        let rows_at = got.get(t).map(Vec::as_slice).unwrap_or(&[]);
        let mut left: BTreeMap<&Value, usize> = BTreeMap::new();
        for v in want {
            *left.entry(v).or_default() += 1;
        }
        let mut seen: BTreeSet<&Value> = BTreeSet::new();
        for r in rows_at {
            seen.insert(&r.value);
            match left.get_mut(&r.value) {
                None => anomalies.push(format!(
                    "window wrong value: t={} {verb} {} at timestamp {t}, expected one of {want:?} (the chain applied \
                     to the reference results)",
                    r.time_ms, r.value
                )),
                Some(0) if exact => anomalies.push(format!(
                    "window fired twice: t={} {} {verb} again at timestamp {t}: expected {} time(s)",
                    r.time_ms,
                    r.value,
                    want.iter().filter(|v| **v == r.value).count()
                )),
                Some(n) => *n = n.saturating_sub(1),
            }
        }
        if finished_all {
            for v in want {
                let missing = if exact { left.get(v).is_some_and(|n| *n > 0) } else { !seen.contains(v) };
                if missing {
                    anomalies.push(format!(
                        "window lost: {v} at timestamp {t} never {verb} although its window's elements are surely on \
                         time and the job finished"
                    ));
                    if let Some(n) = left.get_mut(v) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
        }
    }
    summary
}
