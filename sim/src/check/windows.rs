//! The `windows` checker: event-time window results against a reference computed from the input, its timestamps and the job's watermark strategy and window (semantics §11).
//!
//! **Reference.** Every input is folded through the operators before the window (map, flat_map,
//! filter: they keep the timestamp) and assigned to its windows per key. Whether an element is
//! late depends on when watermarks were emitted, which the input alone does not fix; but the
//! watermark an element meets at the window can never be higher than what its own partition's
//! generator could have emitted before it: the largest timestamp earlier in that partition,
//! minus the out-of-orderness bound, minus 1 (`BoundedOutOfOrdernessWatermarks`). The valve
//! takes the minimum over its channels (`StatusWatermarkValve`), so that bound holds for every
//! attempt — a restore starts every watermark at `Long.MIN_VALUE` again and replays from the
//! checkpoint's offsets, a shorter prefix. An element whose window is not late against that bound
//! (`maxTimestamp + allowedLateness > bound`) is *surely on time*; the others *may be late*.
//! With idleness (`withIdleness`) an idle partition no longer holds the watermark back, so no
//! element is surely on time; without watermarks (`"none"`) none is ever late.
//!
//! **Judging.** Results are matched to (key, window) by key and timestamp (the window's
//! `maxTimestamp`). A 2PC sink's committed results are judged as the exact output; a print
//! sink's rows (replays included) for values that no subset of the window could give, and
//! (session 36, `windows_print.rs`) for one firing that holds every surely-on-time element.
//!
//! * `window lost`: the job FINISHED (its bounded sources sent MAX_WATERMARK, so every window
//!   fired) and a window with a surely-on-time element has no result (for a 2PC sink only with
//!   final checkpoints, FLIP-147: before, the last transaction is not committed at the end).
//! * `window wrong value`: a result no set of the window's elements explains: without allowed
//!   lateness the committed firings of a window hold disjoint sets of its elements (a second
//!   firing only holds elements that arrived after the first, late then and replayed on time
//!   after a restore), so their total lies between the surely-on-time elements' and all
//!   elements' aggregate; with allowed lateness each firing holds everything so far.
//! * `window fired twice`: more committed firings than Flink can produce: without allowed
//!   lateness a window fires once plus at most once per element that may be late.
//! * `late misjudged`: an element sent to the late side output although it was surely on time.
//!
//! Flink firing a window again after a restore because a replayed element is no longer late
//! (the watermark is not in the checkpoint) is therefore accepted, not reported.

use super::*;
use crate::world::SourceStep;
use ckptsim::operator::{Aggregate, Operator, OperatorContext, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::watermark::{GeneratorKind, WatermarkEvent, WatermarkStatus};
use ckptsim::window::TimeWindow;

// Parts of this checker, child modules of this file (they use its elements and window
// references, and it runs them): the window anywhere in a job graph, the functions between the
// window and its sink, processing-time windows. `windows_valve.rs` uses nothing of this file.
#[path = "windows_chain.rs"]
mod windows_chain;
#[path = "windows_graph.rs"]
mod windows_graph;
#[path = "windows_late.rs"]
mod windows_late;
pub(in crate::check) use windows_late::cut_counts;
#[path = "source_idleness.rs"]
mod source_idleness;
#[path = "windows_print.rs"]
mod windows_print;
#[path = "windows_processing.rs"]
mod windows_processing;
#[path = "windows_restore.rs"]
mod windows_restore;
#[path = "windows_session.rs"]
mod windows_session;
#[path = "windows_stages.rs"]
mod windows_stages;

pub(super) use windows_late::{late_missed, late_window};

/// Why the per-input checkers skip an event-time window job.
pub(super) const WINDOWED: &str = "event-time window: judged by the windows checker";

/// One element of a window in the reference.
#[derive(Clone, Debug)]
pub(crate) struct Element {
    pub(super) input_seq: u64,
    pub(super) number: i64,
    /// Surely on time for this window in every attempt (see the module doc).
    pub(super) on_time: bool,
    /// Surely reaches the window before the watermark passes its end, so before its first
    /// firing (on time against the bound without the allowed lateness; session 37). With
    /// allowed lateness a surely-on-time element may arrive after the first firing and fire
    /// the window again (`windows_print.rs`).
    pub(super) before_end: bool,
}

/// The reference: per (key, window), its elements in input order.
pub(crate) type WindowRef = BTreeMap<(Value, TimeWindow), Vec<Element>>;

pub(super) fn number(v: &Value) -> i64 {
    match v {
        Value::Pair(_, n) | Value::Int(n) => *n,
        Value::Str(_) => 1,
    }
}

/// The reference of the window whose results reach the sink: the first window's
/// ([`first_reference`]), folded through each later window of windows after windows
/// (`windows_stages.rs`).
pub(super) fn reference(spec: &JobSpec) -> Option<(WindowRef, BTreeMap<u64, bool>)> {
    let first = first_reference(spec)?;
    if spec.window_stages().len() > 1 {
        return windows_stages::fold(spec, first);
    }
    Some(first)
}

/// How a line's log input reaches its first event-time window ([`feed_window`]).
pub(super) struct WindowFeed {
    /// A watermark strategy emits watermarks (`watermarks = "none"`: none before the end of
    /// input, so nothing is ever late).
    pub(super) watermarked: bool,
    /// Idleness may leave a partition out of the minimum: one channel does not carry everything
    /// to the window (`windows_graph::idleness_harmless`).
    pub(super) idle: bool,
}

/// Folds each log input through the functions before the line's first event-time window and
/// hands `f` the feed, the input's sequence number and timestamp, the highest watermark it can
/// meet at the window (`None`: its partition has no timestamp yet, or no strategy bounds it) and
/// the records it became. Shared by the tumbling/sliding reference and the session windows'
/// (`windows_session.rs`). `None` without log input carrying a timestamp per record.
pub(super) fn feed_window(
    spec: &JobSpec,
    instance: &'static str,
    mut f: impl FnMut(&WindowFeed, u64, i64, Option<i64>, Vec<Record>),
) -> Option<WindowFeed> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let ts = &spec.input_options.timestamps;
    if ts.len() != records.len() {
        return None;
    }
    let strategy = spec
        .operators
        .first()
        .and_then(|o| o.watermarks)
        .filter(|s| s.auto_watermark_interval_ms != crate::spec::NO_WATERMARKS_INTERVAL_MS);
    let idle = strategy.is_some_and(|s| s.idle_timeout_ms.is_some()) && {
        let at = spec.operators.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_)))?;
        !windows_graph::idleness_harmless(spec, at, &spec.upstream_of(at))
    };
    let out_of_orderness = strategy.map(|s| match s.generator {
        GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => max_out_of_orderness_ms as i64,
        GeneratorKind::MonotonousTimestamps => 0,
    });
    let feed = WindowFeed { watermarked: strategy.is_some(), idle };
    let mut ops: Vec<Operator> = spec
        .operators
        .iter()
        .take_while(|o| !matches!(o.kind, OpKind::EventWindow(_)))
        .filter_map(|o| match &o.kind {
            OpKind::Map(u) => Some(OperatorKind::Map(*u)),
            OpKind::FlatMap(u) => Some(OperatorKind::FlatMap(*u)),
            OpKind::Filter(u) => Some(OperatorKind::Filter(*u)),
            _ => None,
        })
        .map(|k| Operator::new(k, vec![]))
        .collect();
    let mut max_ts: BTreeMap<u32, i64> = BTreeMap::new();
    let mut counters = SurvivingCounters::default();
    for (seq, ((_, p, v), &t)) in records.iter().zip(ts).enumerate() {
        let bound = match (out_of_orderness, max_ts.get(&p)) {
            (Some(d), Some(m)) => Some(m.saturating_sub(d).saturating_sub(1)),
            _ => None,
        };
        let e = max_ts.entry(p).or_insert(t);
        *e = (*e).max(t);
        let mut cur = vec![Record {
            value: Value::str(&v),
            lineage: Lineage { input_seq: seq as u64, sub: 0 },
            timestamp: Some(t),
        }];
        for op in ops.iter_mut() {
            let mut next = Vec::new();
            for r in cur.drain(..) {
                let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance };
                let _ = op.process(&mut ctx, r, &mut next);
            }
            cur = next;
        }
        f(&feed, seq as u64, t, bound, cur);
    }
    Some(feed)
}

/// Folds the input through the operators before the (first) window and assigns the elements.
fn first_reference(spec: &JobSpec) -> Option<(WindowRef, BTreeMap<u64, bool>)> {
    if spec.event_window().is_some_and(|w| w.time == ckptsim::window::WindowTime::Processing) {
        // Judged from the run's assignments (`windows_processing.rs`), not from the input.
        return None;
    }
    if spec.event_window().is_some_and(|w| w.assigner.is_merging()) {
        // Session windows: judged by their own reference (`windows_session.rs`).
        return None;
    }
    if spec.is_graph() {
        // The window anywhere in a graph: `windows_graph.rs`.
        return windows_graph::reference(spec);
    }
    let w = spec.event_window()?;
    let lateness = w.allowed_lateness_ms as i64;
    let mut out: WindowRef = BTreeMap::new();
    // Per input: whether it is surely on time for every window it falls in.
    let mut surely: BTreeMap<u64, bool> = BTreeMap::new();
    feed_window(spec, "windows-reference", |feed, seq, t, bound, cur| {
        for r in cur {
            let t = r.timestamp.unwrap_or(t);
            let mut all_on_time = true;
            for win in w.assigner.assign(t) {
                let before = |end: i64| !feed.watermarked || (!feed.idle && bound.is_none_or(|b| end > b));
                let on_time = before(win.max_timestamp().saturating_add(lateness));
                all_on_time &= on_time;
                out.entry((key_of(&r.value), win)).or_default().push(Element {
                    input_seq: seq,
                    number: number(&r.value),
                    on_time,
                    before_end: before(win.max_timestamp()),
                });
            }
            let s = surely.entry(seq).or_insert(true);
            *s &= all_on_time;
        }
    })?;
    Some((out, surely))
}

/// The aggregate of `xs` (None when empty).
fn aggregate(agg: Aggregate, xs: impl Iterator<Item = i64>) -> Option<i128> {
    xs.map(i128::from).reduce(|a, b| match agg {
        Aggregate::Sum | Aggregate::Count => a + b,
        Aggregate::Max => a.max(b),
        Aggregate::Min => a.min(b),
    })
}

/// The range of values firings over subsets of `elems` that contain every surely-on-time one
/// can total (sum/count) or reach (max/min): `(low, high)`.
fn bounds(agg: Aggregate, elems: &[Element]) -> (i128, i128) {
    let x = |e: &Element| if agg == Aggregate::Count { 1 } else { e.number };
    let sure = elems.iter().filter(|e| e.on_time).map(x);
    let maybe = elems.iter().filter(|e| !e.on_time).map(x);
    match agg {
        Aggregate::Sum | Aggregate::Count => {
            let s: i128 = sure.map(i128::from).sum();
            let neg: i128 = maybe.clone().filter(|v| *v < 0).map(i128::from).sum();
            let pos: i128 = maybe.filter(|v| *v > 0).map(i128::from).sum();
            (s + neg, s + pos)
        }
        Aggregate::Max | Aggregate::Min => {
            let all = aggregate(agg, elems.iter().map(x)).unwrap_or(0);
            match aggregate(agg, sure) {
                Some(s) => (s.min(all), s.max(all)),
                None => {
                    let other = if agg == Aggregate::Max { Aggregate::Min } else { Aggregate::Max };
                    let o = aggregate(other, elems.iter().map(x)).unwrap_or(0);
                    (o.min(all), o.max(all))
                }
            }
        }
    }
}

/// The window reference of a job ([`reference`]'s), as a [`Reference`] keeps it once computed.
pub(crate) type WindowsRef = Option<(WindowRef, BTreeMap<u64, bool>)>;

/// The `windows` checker (see the module doc).
pub fn windows(spec: &JobSpec, run: &RunResult) -> Verdict {
    with_valves(spec, run, windows_from(spec, run, &reference(spec)))
}

/// The `windows` checker with the window reference `fold` keeps (computed on its first use):
/// the explorer judges hundreds of thousands of states of one job, each with the same
/// reference. `fold` must be `spec`'s reference (or one of a spec that folds the same way,
/// `reference::same_fold`, which compares everything the window reference reads).
pub fn windows_cached(spec: &JobSpec, run: &RunResult, fold: &Reference) -> Verdict {
    with_valves(spec, run, windows_from(spec, run, fold.windows.get_or_init(|| reference(spec))))
}

/// [`windows`] without the watermark valves (session 40: each of windows beside each other
/// judged alone, the valves once, `check/graph.rs`).
pub(in crate::check) fn windows_unvalved(spec: &JobSpec, run: &RunResult) -> Verdict {
    windows_from(spec, run, &reference(spec))
}

/// The window verdict `v` with each task's combined watermark judged against Flink's
/// `StatusWatermarkValve` (`windows_valve.rs`) and each window restore against its checkpoint
/// (`windows_restore.rs`): their findings added, what they judged in the summary; a skipped
/// verdict applies once a valve step or a restore was judged.
pub(in crate::check) fn with_valves(spec: &JobSpec, run: &RunResult, v: Verdict) -> Verdict {
    let mut anomalies = v.anomalies;
    let c = super::windows_valve::judge(spec, run, &mut anomalies);
    let restores = windows_restore::judge(run, &mut anomalies);
    if c.inputs == 0 && restores == 0 {
        return Verdict { anomalies, ..v };
    }
    let mut summary = v.summary;
    if c.inputs > 0 {
        summary += &format!(
            "; watermark valves: {} watermarks and statuses taken by {} task attempts, {} firings and {} late \
             elements judged",
            c.inputs, c.attempts, c.fires, c.late
        );
    }
    if restores > 0 {
        summary += &format!("; {restores} window restores compared with their checkpoint's contents and timers");
    }
    Verdict::from(v.checker, anomalies, summary)
}

fn windows_from(spec: &JobSpec, run: &RunResult, wref: &WindowsRef) -> Verdict {
    const NAME: &str = "windows";
    // Windows after windows: the last window's results reach the sink (`windows_stages.rs`).
    let Some(w) = spec.last_event_window() else { return Verdict::skip(NAME, "no event-time window") };
    if w.time == ckptsim::window::WindowTime::Processing {
        return windows_processing::judge(spec, run, w);
    }
    if w.assigner.is_merging() {
        return windows_session::judge(spec, run, w);
    }
    if let Some(why) = windows_stages::unjudged(spec, run) {
        return Verdict::skip(NAME, why);
    }
    let Some((reference, surely)) = wref else {
        if spec.window_stages().len() > 1 && first_reference(spec).is_some() {
            return Verdict::skip(NAME, windows_stages::NOT_FIXED);
        }
        return Verdict::skip(NAME, "no timestamped log input to compute the windows from");
    };
    if reference.keys().any(|(k, _)| !matches!(k, Value::Str(_))) {
        return Verdict::skip(NAME, "integer keys: window results do not name their key");
    }
    let exact = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let rows: &Rows = if exact { &run.committed } else { &run.print_rows };
    let size = w.assigner.element_window_ms() as i64;
    // AT_LEAST_ONCE checkpoints (barrier tracker, no alignment): a snapshot's window contents
    // may already hold elements that the restore replays, so each restore may count an element
    // once more (Flink's at-least-once state); sums and counts may overshoot by that much.
    let at_least_once = replays_uncovered(spec);
    let extra_counts = if at_least_once { run.restores.len() as i128 } else { 0 };
    let mut anomalies = Vec::new();
    let chain = match windows_chain::chain(spec) {
        Ok(c) => c,
        Err(why) => return Verdict::skip(NAME, why),
    };
    let stop = super::finished_by_stop(run);
    let read = inputs_read(spec, run);
    // A stop with drain that did not end the job (its savepoint failed, or the job failed after
    // it): the sources had ended event time ahead of its barrier, so windows fired with part of
    // their elements (printed, or in a transaction that a later notification may commit), and
    // the attempt then failed or read on with its windows gone. Flink's output is then not
    // bounded by the window's elements; the checker does not judge it.
    if run.stops.iter().any(|s| s.drain && stop.is_none_or(|f| f.at_ms != s.at_ms)) {
        return Verdict::skip(
            NAME,
            "a stop-with-savepoint with drain that did not end the job: its windows fired with part of their \
             elements before the stop failed",
        );
    }
    // For a two-phase-commit sink, once every sink subtask acted on the savepoint's completion
    // (its notification commits the transaction that holds the drained windows).
    let drained = stop.is_some_and(|s| s.drain && (!exact || run.sink_commit_horizon >= s.savepoint)) && read.is_some();
    // IDLEs judged by the flush rule and by the idle-timeout rule (`source_idleness.rs`).
    let idle_judged =
        idle_flush(spec, run, &mut anomalies) + source_idleness::idle_while_reading(spec, run, &mut anomalies);
    if !chain.is_empty() {
        let stopped = (read.as_ref(), drained);
        return through_chain(spec, run, (w, &chain), (reference, surely), rows, stopped, idle_judged, anomalies);
    }
    // Results per (key, window), in output order.
    let fired = fired_by_window(rows, size, reference, &mut anomalies);
    let mut refires = 0usize;
    // A job ended by stop-with-savepoint read only the input its savepoint covers: the other
    // elements never reached a window in the history that ends in the savepoint (with drain
    // the windows fired without them). A print sink also shows the firings of attempts that
    // failed before it, which may have read further (a restore from an older checkpoint, then
    // the stop): there the other elements may be in a firing, never required.
    let mut reference = std::borrow::Cow::Borrowed(reference);
    if let Some(read) = &read {
        for elems in reference.to_mut().values_mut() {
            if exact {
                elems.retain(|e| read.contains(e.input_seq));
            } else {
                elems.iter_mut().for_each(|e| e.on_time &= read.contains(e.input_seq));
            }
        }
        reference.to_mut().retain(|_, elems| !elems.is_empty());
    }
    let judge = WindowJudge { spec, run, w, exact, at_least_once, extra_counts, drained };
    for ((key, win), elems) in reference.iter() {
        let got = fired.get(&(key.clone(), *win)).map(Vec::as_slice).unwrap_or(&[]);
        refires += usize::from(got.len() > 1);
        judge.window(key, win, elems, got, &mut anomalies);
    }
    late_misjudged(spec, run, surely, &mut anomalies);
    let summary = format!(
        "{} windows, {} results{}, {} fired more than once, {} late records, {idle_judged} source IDLEs judged",
        reference.len(),
        rows.len(),
        if exact { " committed" } else { " printed" },
        refires,
        first_late_count(spec, run)
    );
    Verdict::from(NAME, anomalies, summary)
}

/// The inputs the run read, when it did not read them all: a job ended by stop-with-savepoint
/// read only the input its savepoint covers (with drain every window with an element of it
/// fired into the savepoint); so did a job whose sources were all deployed as finished
/// (FLIP-147: it read nothing). Beside a source still reading (or in a job that then failed),
/// one deployed as finished reads nothing either: its unread inputs are in no window
/// (`check::read_but_dormant`, session 42).
fn inputs_read(spec: &JobSpec, run: &RunResult) -> Option<super::counts::InputSet> {
    if super::finished_unread(spec, run) {
        stop_read(spec, run)
    } else {
        super::read_but_dormant(spec, run)
    }
}

/// The input a job that did not read all of it read, by the one rule every window judgment uses
/// ([`inputs_read`]'s first case; session 43: `windows_session.rs` `through_chain` computed it
/// itself): ended by stop-with-savepoint or with every source deployed as finished, what the
/// latest completed checkpoint covers. `None` when the job read on (or its end reads nothing).
fn stop_read(spec: &JobSpec, run: &RunResult) -> Option<super::counts::InputSet> {
    super::finished_unread(spec, run).then(|| super::covered_by_latest_checkpoint(spec, run)).flatten()
}

/// Whether a restore may count an element once more than the committed output shows: under
/// AT_LEAST_ONCE checkpoints (above), and for a two-phase-commit sink with checkpointing off
/// (`check::no_checkpoint_sink`: it commits at end of input, and a restart replays the
/// input from the start, so a window committed before the restart fires and commits again;
/// Flink promises no exactly-once output there). The one test of every window judgment
/// (event-time, processing-time, windows after windows).
pub(super) fn replays_uncovered(spec: &JobSpec) -> bool {
    spec.checkpoint.mode == ckptsim::config::CheckpointingMode::AtLeastOnce || super::no_checkpoint_sink(spec).is_some()
}

/// What the per-window judgment of [`windows_from`] reads besides the window itself.
struct WindowJudge<'a> {
    spec: &'a JobSpec,
    run: &'a RunResult,
    w: &'a ckptsim::window::EventWindowSpec,
    /// A two-phase-commit sink (committed firings), not a print sink.
    exact: bool,
    at_least_once: bool,
    /// Under at-least-once, how many times more an element may be counted (one per restore).
    extra_counts: i128,
    /// A stop-with-savepoint with drain fired every window the savepoint covers.
    drained: bool,
}

impl WindowJudge<'_> {
    /// One window of the reference against the firings `got` of it: fired twice, a wrong
    /// value, or lost.
    fn window(
        &self,
        key: &Value,
        win: &TimeWindow,
        elems: &[Element],
        got: &[OutputRow],
        anomalies: &mut Vec<Finding>,
    ) {
        let (w, exact, at_least_once, extra_counts) = (self.w, self.exact, self.at_least_once, self.extra_counts);
        let agg = w.aggregate;
        let (mut low, mut high) = bounds(agg, elems);
        if extra_counts > 0 && matches!(agg, Aggregate::Sum | Aggregate::Count) {
            let x = |e: &Element| i128::from(if agg == Aggregate::Count { 1 } else { e.number });
            low += extra_counts * elems.iter().map(x).filter(|v| *v < 0).sum::<i128>();
            high += extra_counts * elems.iter().map(x).filter(|v| *v > 0).sum::<i128>();
        }
        let maybe = elems.iter().filter(|e| !e.on_time).count();
        let values: Vec<i128> = got.iter().map(|r| i128::from(number(&r.value))).collect();
        if exact && !at_least_once && w.allowed_lateness_ms == 0 && got.len() > 1 + maybe {
            let times: Vec<u64> = got.iter().map(|r| r.time_ms).collect();
            anomalies.push(
                Finding::new(
                    "window-fired-twice",
                    format!(
                        "window fired twice: t={} key {key} window {win}: {} firings committed at {times:?} ms, \
                 Flink fires it at most {} times (once, plus once per element that may be late)",
                        times[1],
                        got.len(),
                        1 + maybe
                    ),
                )
                .at(times[1])
                .with("key", key),
            );
            return;
        }
        let first_t = got.first().map_or(0, |r| r.time_ms);
        // Every firing committed: the job finished, with final checkpoints (FLIP-147) for a
        // 2PC sink (before them the last transaction is not committed at the end).
        // A job ended by stop-with-savepoint read only what its savepoint covers (and without
        // drain fired nothing more): its windows are judged like a running job's.
        // With drain every window with an element the savepoint covers fired into it.
        let finished_all = finished_all(self.spec, self.run, exact) || self.drained;
        // The print rule's message names its own expectation (the first firing), the others get
        // the window's bounds appended below.
        let mut first_firing_rule = false;
        let wrong = if exact && w.allowed_lateness_ms == 0 && matches!(agg, Aggregate::Sum | Aggregate::Count) {
            let total: i128 = values.iter().sum();
            (!got.is_empty() && (total < low || total > high)).then(|| format!("committed firings total {total}"))
        } else if exact && !got.is_empty() {
            // Each firing at most everything; once every firing is committed, the fullest one
            // at least every sure element (with allowed lateness a sure element may arrive
            // after the first firing and fire the window again, maybe not committed yet).
            let best = if agg == Aggregate::Min { values.iter().min() } else { values.iter().max() };
            let best = *best.expect("non-empty");
            let over = values.iter().any(|v| if agg == Aggregate::Min { *v < low } else { *v > high });
            let under = (finished_all || w.allowed_lateness_ms == 0)
                && if agg == Aggregate::Min { best > high } else { best < low };
            (over || under).then(|| format!("committed firings {values:?}"))
        } else {
            // Print sink: replays print again; only values no subset gives are wrong.
            let (lo, hi) = print_bounds(agg, elems, extra_counts);
            values.iter().find(|v| **v < lo || **v > hi).map(|v| format!("printed {v}")).or_else(|| {
                // Only this sink's rows reach here (a graph job's rows are its sink's view,
                // `graph::first_window_verdict`; session 37 lifted session 36's one-sink gate).
                let first = windows_print::first_firing(elems, finished_all);
                let count = agg == Aggregate::Count;
                let short = windows_print::no_full_firing(&values, bounds(agg, &first), &first, (at_least_once, count));
                first_firing_rule = short.is_some();
                short
            })
        };
        if let Some(what) = wrong {
            let message = if first_firing_rule {
                format!("window wrong value: t={first_t} key {key} window {win}: {what}")
            } else {
                format!(
                    "window wrong value: t={first_t} key {key} window {win}: {what}, expected between {low} and {high} \
                     ({} elements, {maybe} of them may be late)",
                    elems.len()
                )
            };
            anomalies.push(Finding::new("window-wrong-value", message).at(first_t).with("key", key));
            return;
        }
        if finished_all && got.is_empty() && elems.iter().any(|e| e.on_time) {
            let first = elems.iter().find(|e| e.on_time).map_or(0, |e| e.input_seq);
            anomalies.push(
                Finding::new(
                    "window-lost",
                    format!(
                        "window lost: key {key} window {win} never {} although input #{first} is surely on time \
                 and the job finished",
                        if exact { "committed" } else { "printed" }
                    ),
                )
                .at(self.spec.input.at_ms(first))
                .with("key", key)
                .with("input", first),
            );
        }
    }
}

/// The windows of a job with functions after the window (`windows_chain`): judged per
/// timestamp through the chain. `stopped`: the input a stop-with-savepoint's savepoint covers,
/// and whether the stop drained every window.
#[allow(clippy::too_many_arguments)]
fn through_chain(
    spec: &JobSpec,
    run: &RunResult,
    (w, chain): (&ckptsim::window::EventWindowSpec, &[OperatorKind]),
    (reference, surely): (&WindowRef, &BTreeMap<u64, bool>),
    rows: &Rows,
    (read, drained): (Option<&super::counts::InputSet>, bool),
    idle_judged: usize,
    mut anomalies: Vec<Finding>,
) -> Verdict {
    let exact = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let at_least_once = replays_uncovered(spec);
    // Restores and new jobs: each may count an element once more under at-least-once.
    let restores = run.restores.len() + run.rescales.len();
    let mode = match (read, at_least_once && restores > 0) {
        (_, true) => windows_chain::Mode::AtLeastOnce { restores, drained: read.filter(|_| drained) },
        (Some(covered), false) => windows_chain::Mode::Stop { covered, drain: drained },
        (None, false) => windows_chain::Mode::Exact,
    };
    let c =
        windows_chain::judge(w, chain, reference, rows, exact, finished_all(spec, run, exact), &mode, &mut anomalies);
    late_misjudged(spec, run, surely, &mut anomalies);
    let summary = format!(
        "{} windows, {} results{} through {} function(s){}; {} timestamps judged, {} not (a window with an element \
         that may be late{}), {} late records, {idle_judged} source IDLEs judged",
        reference.len(),
        rows.len(),
        if exact { " committed" } else { " printed" },
        chain.len(),
        match mode {
            windows_chain::Mode::Exact => "",
            windows_chain::Mode::Stop { drain: true, .. } => ", ended by stop-with-savepoint with drain",
            windows_chain::Mode::Stop { drain: false, .. } => ", ended by stop-with-savepoint",
            windows_chain::Mode::AtLeastOnce { .. } => ", at-least-once with restores",
        },
        c.judged,
        c.unjudged,
        if matches!(mode, windows_chain::Mode::AtLeastOnce { .. }) { ", or too many values" } else { "" },
        first_late_count(spec, run)
    );
    Verdict::from("windows", anomalies, summary)
}

/// The (key, window) a window result row names: its key and the window of `size` ms whose last
/// timestamp (end - 1) the row carries. A row without a timestamp is an anomaly instead.
pub(super) fn row_window(r: &OutputRow, size: i64, anomalies: &mut Vec<Finding>) -> Option<(Value, TimeWindow)> {
    let Some(t) = r.timestamp else {
        anomalies.push(
            Finding::new(
                "window-wrong-value",
                format!("window wrong value: t={} result {} carries no timestamp", r.time_ms, r.value),
            )
            .at(r.time_ms),
        );
        return None;
    };
    let win = TimeWindow { start: t.saturating_add(1).saturating_sub(size), end: t.saturating_add(1) };
    Some((key_of(&r.value), win))
}

/// The window results per (key, window), in output order; a result with no timestamp, or whose
/// window or input is not in the reference, is an anomaly instead.
fn fired_by_window(
    rows: &Rows,
    size: i64,
    reference: &WindowRef,
    anomalies: &mut Vec<Finding>,
) -> BTreeMap<(Value, TimeWindow), Vec<OutputRow>> {
    let mut fired: BTreeMap<(Value, TimeWindow), Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        let Some(k) = row_window(&r, size, anomalies) else { continue };
        let win = k.1;
        match reference.get(&k) {
            None => anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!(
                        "window wrong value: t={} key {} window {win}: result {} but no input falls in that window",
                        r.time_ms, k.0, r.value
                    ),
                )
                .at(r.time_ms)
                .with("key", &k.0),
            ),
            Some(elems) if !elems.iter().any(|e| e.input_seq == r.lineage.input_seq) => anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!(
                        "window wrong value: t={} key {} window {win}: result {} names input #{} which is not in it",
                        r.time_ms, k.0, r.value, r.lineage.input_seq
                    ),
                )
                .at(r.time_ms)
                .with("key", &k.0)
                .with("input", r.lineage.input_seq),
            ),
            Some(_) => fired.entry(k).or_default().push(r),
        }
    }
    fired
}

/// The values a print sink may show for a window: any subset of its elements (sums and counts
/// replayed `extra_counts` more times), or between their min and max.
fn print_bounds(agg: Aggregate, elems: &[Element], extra_counts: i128) -> (i128, i128) {
    match agg {
        Aggregate::Sum | Aggregate::Count => {
            let x = |e: &Element| i128::from(if agg == Aggregate::Count { 1 } else { e.number });
            let neg = elems.iter().map(x).filter(|v| *v < 0).sum::<i128>();
            let pos = elems.iter().map(x).filter(|v| *v > 0).sum::<i128>();
            (neg * (1 + extra_counts), pos * (1 + extra_counts))
        }
        _ => (
            aggregate(Aggregate::Min, elems.iter().map(|e| e.number)).unwrap_or(0),
            aggregate(Aggregate::Max, elems.iter().map(|e| e.number)).unwrap_or(0),
        ),
    }
}

/// Every firing is in the sink's rows by now: the job FINISHED (not by stop-with-savepoint,
/// which read only what its savepoint covers), with final checkpoints (FLIP-147) and periodic
/// checkpoints for a 2PC sink (before them the last transaction is not committed at the end).
pub(super) fn finished_all(spec: &JobSpec, run: &RunResult, exact: bool) -> bool {
    run.final_status == JobStatus::Finished
        && !super::finished_unread(spec, run)
        && (!exact || (spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled()))
}

/// `source idle without flush`: the sources' idleness re-derived from what each source attempt
/// read and emitted (`RunResult::source_event_time`), not from the core's multiplexer. A
/// source marks itself IDLE only when every split it reads is idle, and a split is idle only
/// after more than `idle_timeout_ms` without records, so every record it read more than the
/// timeout before the IDLE was already in one of its split's periodic emissions. Flink 2.x
/// (`CombinedWatermarkStatus`: "if all splits are idle, we should flush all watermarks") then
/// emits the largest watermark over the splits before IDLE, so the order in which the splits
/// went idle cannot hold windows back: the last watermark before each IDLE is at least, for
/// the partition read furthest in event time, its largest timestamp − bound − 1
/// (`BoundedOutOfOrdernessWatermarks`). And a record read while the source is IDLE makes it
/// ACTIVE at the next periodic emission (2.x `markActive`), judged when the same attempt reads
/// again two watermark intervals later. 1.11 does neither (nothing to judge). Returns how many
/// IDLE emissions were judged.
fn idle_flush(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    if !spec.profile.source_flushes_max_when_all_splits_idle() || run.source_event_time.is_empty() {
        return 0;
    }
    // One strategy for every source (else the rule does not know a task's bound).
    let mut strategies = spec.operators.iter().filter_map(|o| o.watermarks);
    let Some(strategy) = strategies.next() else { return 0 };
    if strategies.any(|s| s != strategy) {
        return 0;
    }
    let Some(timeout) = strategy.idle_timeout_ms else { return 0 };
    let bound = match strategy.generator {
        GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => max_out_of_orderness_ms as i64,
        GeneratorKind::MonotonousTimestamps => 0,
    };
    struct Attempt {
        /// (time read, partition, largest timestamp of the batch).
        reads: Vec<(u64, ckptsim::PartitionId, i64)>,
        last: Option<ckptsim::watermark::Watermark>,
        /// The source's output is IDLE; the first record it read since, if any.
        idle_since_read: Option<Option<u64>>,
    }
    // A record read while IDLE makes its split active at the next periodic emission, and 2.x
    // then marks the source ACTIVE at once (`markActive`), whether its watermark advances or
    // not. Judged when the same attempt reads again two intervals later (it was running).
    let interval = strategy.auto_watermark_interval_ms;
    let mut attempts: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), Attempt> = BTreeMap::new();
    let mut judged = 0;
    for e in &run.source_event_time {
        let a = attempts.entry((e.task, e.attempt)).or_insert(Attempt {
            reads: Vec::new(),
            last: None,
            idle_since_read: None,
        });
        match e.step {
            SourceStep::Read { partition, max_ts } => {
                a.reads.push((e.at_ms, partition, max_ts));
                match a.idle_since_read {
                    Some(None) => a.idle_since_read = Some(Some(e.at_ms)),
                    Some(Some(first)) if e.at_ms >= first.saturating_add(2 * interval) => {
                        anomalies.push(
                            Finding::named(format!(
                                "source stays idle: t={} task {} attempt {} still IDLE although it read a record \
                             at {first} ms (two watermark intervals before); Flink 2.x marks the source ACTIVE at the \
                             next periodic emission",
                                e.at_ms, e.task, e.attempt
                            ))
                            .at(e.at_ms),
                        );
                        a.idle_since_read = None;
                    }
                    _ => {}
                }
            }
            SourceStep::Emitted(WatermarkEvent::Watermark(w)) => {
                a.last = Some(w);
                a.idle_since_read = None;
            }
            SourceStep::Emitted(WatermarkEvent::Status(WatermarkStatus::Active)) => a.idle_since_read = None,
            SourceStep::Emitted(WatermarkEvent::Status(WatermarkStatus::Idle)) => {
                a.idle_since_read = Some(None);
                let mut furthest: BTreeMap<ckptsim::PartitionId, i64> = BTreeMap::new();
                for &(_, p, ts) in a.reads.iter().filter(|(at, _, _)| at.saturating_add(timeout) < e.at_ms) {
                    let m = furthest.entry(p).or_insert(ts);
                    *m = (*m).max(ts);
                }
                let Some(want) = furthest.values().map(|m| m.saturating_sub(bound).saturating_sub(1)).max() else {
                    continue;
                };
                judged += 1;
                let last = a.last.map_or(i64::MIN, |w| w.0);
                if last < want {
                    anomalies.push(
                        Finding::named(format!(
                        "source idle without flush: t={} task {} attempt {} went IDLE at watermark {} although its \
                         splits reached {want} (the largest timestamp read − {bound} − 1); Flink 2.x flushes the \
                         largest watermark over the splits before IDLE",
                        e.at_ms,
                        e.task,
                        e.attempt,
                        a.last.map_or("none".to_string(), |w| w.to_string()),
                    ))
                        .at(e.at_ms),
                    );
                }
            }
        }
    }
    judged
}

/// How many late elements the first window sent (session 40: its own record; a window beside
/// it counts its own in its view).
fn first_late_count(spec: &JobSpec, run: &RunResult) -> usize {
    let first = spec.operators.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_)));
    first.map_or(0, |w| run.late_records.of(w).len())
}

/// `late misjudged`: an element sent to the late side output although it was surely on time.
/// Session 40: the first window's own late elements (`surely` is its reference's; a window
/// beside it is judged in a view where it is the first, `check/graph.rs` `beside`).
fn late_misjudged(spec: &JobSpec, run: &RunResult, surely: &BTreeMap<u64, bool>, anomalies: &mut Vec<Finding>) {
    let Some(first) = spec.operators.iter().position(|o| matches!(o.kind, OpKind::EventWindow(_))) else { return };
    for r in run.late_records.of(first) {
        if surely.get(&r.lineage.input_seq) == Some(&true) {
            anomalies.push(
                Finding::new(
                    "late-misjudged",
                    format!(
                        "late misjudged: t={} input #{} ({} at ts {}) went to the late side output although it is \
                 surely on time",
                        r.time_ms,
                        r.lineage.input_seq,
                        r.value,
                        r.timestamp.unwrap_or(i64::MIN)
                    ),
                )
                .at(r.time_ms)
                .with("input", r.lineage.input_seq),
            );
        }
    }
}

/// The explorer's quiescent rule for event-time windows (`tools/explore/judge.rs`; the world
/// cannot pose it, as it never knows that every input was delivered): once every input is read
/// and delivered under exactly-once checkpoints with a print sink behind the window, each
/// (key, window) whose elements are all surely on time and whose end the window's tasks'
/// watermark (`watermark`, the smallest over them) has passed was last printed with the
/// aggregate of all its elements. A restored window holds the elements its checkpoint covered
/// and the sources replay the rest before the watermark can pass its end again, so its
/// (re-)firing holds every element; a restore that forgets the window's contents fires it
/// short. Windows with an element that may be late are not judged (a late firing holds a
/// subset). With functions between the window and the sink (`windows_chain::chain`) the rule is
/// `quiescent_chain`'s. Returns the first window that breaks the rule.
pub(crate) fn quiescent_short_firing(
    spec: &JobSpec,
    fold: &Reference,
    rows: &[&OutputRow],
    watermark: i64,
) -> Option<String> {
    // The window whose results reach the sink (the last of windows after windows, whose
    // reference `reference` folds stage by stage).
    let w = spec.last_event_window()?;
    if sink_kind(spec) != Some(&OpKind::PrintSink) || w.allowed_lateness_ms != 0 {
        return None;
    }
    let (reference, _) = fold.windows.get_or_init(|| reference(spec)).as_ref()?;
    let chain = windows_chain::chain(spec).ok()?;
    if !chain.is_empty() {
        return quiescent_chain(spec, chain, reference, rows, watermark);
    }
    let size = w.assigner.element_window_ms() as i64;
    // The last row printed per (key, window).
    let mut last: BTreeMap<(Value, TimeWindow), &OutputRow> = BTreeMap::new();
    for r in rows {
        let Some(t) = r.timestamp else { continue };
        let win = TimeWindow { start: t.saturating_add(1).saturating_sub(size), end: t.saturating_add(1) };
        last.insert((key_of(&r.value), win), r);
    }
    let x = |e: &Element| if w.aggregate == Aggregate::Count { 1 } else { e.number };
    for ((key, win), elems) in reference {
        if win.max_timestamp() > watermark || !elems.iter().all(|e| e.on_time) {
            continue;
        }
        let Some(want) = aggregate(w.aggregate, elems.iter().map(x)) else { continue };
        match last.get(&(key.clone(), *win)) {
            Some(r) if i128::from(number(&r.value)) == want => {}
            Some(r) => {
                return Some(format!(
                    "window wrong value: key {key} window {win}: every input read and delivered and the watermark at {watermark}, last fired {} but its {} elements give {want} (window contents lost or counted twice)",
                    r.value,
                    elems.len()
                ))
            }
            None => {
                return Some(format!(
                    "window lost: key {key} window {win}: every input read and delivered and the watermark at {watermark}, never fired (its {} elements give {want})",
                    elems.len()
                ))
            }
        }
    }
    None
}

/// The quiescent rule through functions after the window: the windows ending at one timestamp
/// (their `maxTimestamp`, which the functions keep) fire together, in one task when the window
/// runs at parallelism 1 (the only case judged: several window subtasks fire apart, and a
/// subtask that fired twice would mix its firings with another's), so the rows printed last at
/// that timestamp are the chain (the job's own operators) applied to the windows' aggregates of
/// all their elements, as a multiset. A timestamp with a window not judged (an element that may
/// be late, the watermark not past it) or whose chain gives no row is skipped.
fn quiescent_chain(
    spec: &JobSpec,
    chain: Vec<OperatorKind>,
    reference: &WindowRef,
    rows: &[&OutputRow],
    watermark: i64,
) -> Option<String> {
    let w = spec.last_event_window()?;
    let window_op = spec.operators.iter().rfind(|o| matches!(o.kind, OpKind::EventWindow(_)))?;
    if window_op.parallelism != 1 {
        return None;
    }
    let mut ops: Vec<Operator> = chain.into_iter().map(|k| Operator::new(k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    let x = |e: &Element| if w.aggregate == Aggregate::Count { 1 } else { e.number };
    // Per timestamp: the rows its windows' firing gives (None: not judged).
    let mut want: BTreeMap<i64, Option<Vec<Value>>> = BTreeMap::new();
    for ((key, win), elems) in reference {
        let t = win.max_timestamp();
        let slot = want.entry(t).or_insert_with(|| Some(Vec::new()));
        let judged = t <= watermark && elems.iter().all(|e| e.on_time);
        // Sums wrap like Java's `long` (the core's window does the same).
        let n = aggregate(w.aggregate, elems.iter().map(x)).map(|n| n as i64);
        let out = match (judged, n) {
            (true, Some(n)) => windows_chain::through(&mut ops, &mut counters, key, n, t),
            _ => None,
        };
        match (slot.as_mut(), out) {
            (Some(v), Some(out)) => v.extend(out),
            _ => *slot = None,
        }
    }
    let mut printed: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.timestamp {
            printed.entry(t).or_default().push(&r.value);
        }
    }
    for (t, want) in want {
        let Some(mut want) = want.filter(|v| !v.is_empty()) else { continue };
        want.sort();
        let got = printed.get(&t).map(Vec::as_slice).unwrap_or_default();
        let show = |v: &[&Value]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
        let wanted = show(&want.iter().collect::<Vec<_>>());
        if got.len() < want.len() {
            return Some(format!(
                "window lost: timestamp {t}: every input read and delivered and the watermark at {watermark}, the functions after the window give [{wanted}] from its windows' elements but [{}] was printed there (window contents lost)",
                show(got)
            ));
        }
        let mut last: Vec<&Value> = got[got.len() - want.len()..].to_vec();
        last.sort();
        if last.iter().zip(&want).any(|(a, b)| *a != b) {
            return Some(format!(
                "window wrong value: timestamp {t}: every input read and delivered and the watermark at {watermark}, last printed [{}] but the functions after the window give [{wanted}] (window contents lost or counted twice)",
                show(&last)
            ));
        }
    }
    None
}
