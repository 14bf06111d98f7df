//! The `windows` checker for processing-time windows (`TumblingProcessingTimeWindows`, `SlidingProcessingTimeWindows`): results against the run's own record of which window each element went to.
//!
//! **Reference.** Which window an element falls in depends on when it reached the window
//! operator, which the input does not fix; the world records every assignment
//! (`RunResult::window_assignments`, the core's `TaskOutput::WindowAssigned`). A restore
//! replays the elements after the checkpoint, and each is assigned again at its new arrival
//! time; the elements before the checkpoint are in the restored window contents and are not
//! assigned again. So each element's *last* assignment is the one whose window holds it when
//! that window fires, and the expected contents of (key, window) are the elements whose last
//! assignment names it. Flink fires a processing-time window once, at its `maxTimestamp`
//! (`ProcessingTimeTrigger`), and clears it then; restored timers that are already due fire at
//! once (`InternalTimerServiceImpl.startTimerService`); at the end of input the timer service
//! is quiesced and timers not yet due never fire (the world records them,
//! `RunResult::quiesced_windows`).
//!
//! An element's last assignment is only *sure* to be its surviving one when no restore after it
//! came from a checkpoint triggered before it (the assigning attempt was then discarded, and the
//! job may have failed before replaying the element); other elements may or may not be in a
//! window they were ever assigned to.
//!
//! **Judging.** Results are matched to (key, window) by key and timestamp (`maxTimestamp`).
//! * `window fired twice`: a two-phase-commit sink committed a window more than once.
//! * `window wrong value`: a result for a window no element was assigned to; a committed result
//!   (exactly-once checkpoints) that is not the aggregate of the elements surely in the window
//!   plus some of those that may be; a printed result (or one committed under at-least-once checkpoints, whose
//!   restored windows may already hold replayed elements) outside what any subset of the
//!   elements ever assigned to it gives.
//! * `window lost`: the job FINISHED with every firing committed (2PC: final checkpoints), an
//!   element's sure last assignment names a window, and the window has no result and was not among
//!   the windows the final attempt of its task dropped at its end of input.

use super::*;
use crate::world::AssignmentRow;
use ckptsim::ids::TaskId;
use ckptsim::operator::Aggregate;
use ckptsim::record::Lineage;
use ckptsim::window::{EventWindowSpec, TimeWindow, WindowAssigner};

/// The `windows` verdict of a job with a processing-time window `w`.
pub(super) fn judge(spec: &JobSpec, run: &RunResult, w: &EventWindowSpec) -> Verdict {
    const NAME: &str = "windows";
    let size = match w.assigner {
        WindowAssigner::Tumbling { size_ms, .. } | WindowAssigner::Sliding { size_ms, .. } => size_ms as i64,
    };
    let agg = w.aggregate;
    let exact_sink = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let at_least_once = spec.checkpoint.mode == ckptsim::config::CheckpointingMode::AtLeastOnce;
    let rows: &Rows = if exact_sink { &run.committed } else { &run.print_rows };
    let a = Assignments::of(run, agg);
    let dropped = dropped_at_end(run);
    let mut anomalies = Vec::new();
    let mut fired: BTreeMap<(Value, TimeWindow), Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        let Some(k) = super::row_window(&r, size, &mut anomalies) else { continue };
        fired.entry(k).or_default().push(r);
    }
    let results = Results { agg, exact_sink, exact: exact_sink && !at_least_once };
    for ((key, win), got) in &fired {
        results.judge(&a, key, win, got, &mut anomalies);
    }
    let finished_all = run.final_status == JobStatus::Finished
        && super::finished_by_stop(run).is_none()
        && (!exact_sink || (spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled()));
    let lost = if finished_all { lost_windows(&a, &fired, &dropped, exact_sink, &mut anomalies) } else { 0 };
    let summary = format!(
        "processing time: {} elements assigned ({} assignments), {} windows expected, {} results{}, {} dropped at the \
         end of input, {lost} lost",
        a.last.len(),
        run.window_assignments.len(),
        a.expected.len(),
        rows.len(),
        if exact_sink { " committed" } else { " printed" },
        dropped.len()
    );
    Verdict::from(NAME, anomalies, summary)
}

/// The reference: what the run's recorded assignments say each window holds.
struct Assignments<'r> {
    /// Each element's last assignment.
    last: BTreeMap<Lineage, &'r AssignmentRow>,
    /// Every element ever assigned to each window, with its number.
    ever: BTreeMap<(Value, TimeWindow), BTreeMap<Lineage, i64>>,
    /// Per window, the elements surely in it (their sure last assignment names it).
    expected: BTreeMap<(Value, TimeWindow), Vec<(Lineage, i64)>>,
    /// Elements whose last assignment is sure (surely elsewhere when it does not name a window).
    settled: BTreeMap<Lineage, &'r AssignmentRow>,
}

impl<'r> Assignments<'r> {
    fn of(run: &'r RunResult, agg: Aggregate) -> Assignments<'r> {
        let x = |v: &Value| if agg == Aggregate::Count { 1 } else { super::number(v) };
        let mut last: BTreeMap<Lineage, &AssignmentRow> = BTreeMap::new();
        let mut ever: BTreeMap<(Value, TimeWindow), BTreeMap<Lineage, i64>> = BTreeMap::new();
        for a in &run.window_assignments {
            last.insert(a.lineage, a);
            for win in &a.windows {
                ever.entry((key_of(&a.value), *win)).or_default().insert(a.lineage, x(&a.value));
            }
        }
        let sure = sure_after(run);
        let mut expected: BTreeMap<(Value, TimeWindow), Vec<(Lineage, i64)>> = BTreeMap::new();
        let mut settled: BTreeMap<Lineage, &AssignmentRow> = BTreeMap::new();
        for (lineage, a) in &last {
            if !sure(a.time_ms) {
                continue;
            }
            settled.insert(*lineage, a);
            for win in &a.windows {
                expected.entry((key_of(&a.value), *win)).or_default().push((*lineage, x(&a.value)));
            }
        }
        Assignments { last, ever, expected, settled }
    }
}

/// Whether a last assignment at `t` is *sure* to be the element's surviving one: not unless a
/// restore (or a new job from a savepoint) after `t` came from a checkpoint triggered at or
/// before `t`: then the attempt that assigned it was discarded, and the element may be in an
/// earlier assignment's window (restored) or in none yet (the job failed before replaying it).
/// A checkpoint triggered after `t` holds it: the element reached the window before the
/// barrier left the source.
fn sure_after(run: &RunResult) -> impl Fn(u64) -> bool {
    let trigger: BTreeMap<ckptsim::ids::CheckpointId, u64> =
        run.checkpoints.iter().map(|c| (c.id, c.trigger_ms)).collect();
    let mut resumes: Vec<(u64, Option<ckptsim::ids::CheckpointId>)> =
        run.restores.iter().map(|r| (r.at_ms, r.checkpoint)).collect();
    resumes.extend(run.rescales.iter().map(|r| (r.at_ms, Some(r.checkpoint))));
    resumes.sort();
    move |t: u64| match resumes.iter().find(|(at, _)| *at > t) {
        None => true,
        Some((_, Some(c))) => trigger.get(c).is_some_and(|tr| *tr > t),
        Some((_, None)) => false,
    }
}

/// The windows each task's last end of input dropped unfired.
fn dropped_at_end(run: &RunResult) -> BTreeSet<(Value, TimeWindow)> {
    let mut last_quiesce: BTreeMap<TaskId, &crate::world::QuiescedRow> = BTreeMap::new();
    for q in &run.quiesced_windows {
        last_quiesce.insert(q.task, q);
    }
    last_quiesce.values().flat_map(|q| q.pending.iter().cloned()).collect()
}

/// How a window's results are judged: the aggregate, whether the sink commits (2PC) and
/// whether the committed results are exact (2PC under exactly-once checkpoints).
struct Results {
    agg: Aggregate,
    exact_sink: bool,
    exact: bool,
}

impl Results {
    /// `window wrong value` / `window fired twice` for the results `got` of (key, window).
    fn judge(&self, a: &Assignments, key: &Value, win: &TimeWindow, got: &[OutputRow], anomalies: &mut Vec<Finding>) {
        let first = &got[0];
        let Some(all) = a.ever.get(&(key.clone(), *win)) else {
            anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!(
                        "window wrong value: t={} key {key} window {win}: result {} but no element was assigned to \
                         that window",
                        first.time_ms, first.value
                    ),
                )
                .at(first.time_ms)
                .with("key", key),
            );
            return;
        };
        if self.exact_sink && got.len() > 1 {
            let times: Vec<u64> = got.iter().map(|r| r.time_ms).collect();
            anomalies.push(
                Finding::new(
                    "window-fired-twice",
                    format!(
                        "window fired twice: t={} key {key} window {win}: {} firings committed at {times:?} ms, a \
                         processing-time window fires once (ProcessingTimeTrigger) and is cleared",
                        times[1],
                        got.len()
                    ),
                )
                .at(times[1])
                .with("key", key),
            );
            return;
        }
        let values: Vec<i128> = got.iter().map(|r| i128::from(super::number(&r.value))).collect();
        let wrong = if self.exact {
            let elems = a.expected.get(&(key.clone(), *win)).map(Vec::as_slice).unwrap_or(&[]);
            // Elements that may or may not be in it: ever assigned to it, not surely anywhere.
            let maybe: Vec<i64> = all.iter().filter(|(l, _)| !a.settled.contains_key(l)).map(|(_, n)| *n).collect();
            let (lo, hi) = sure_bounds(self.agg, elems.iter().map(|(_, n)| *n), &maybe);
            let v = values[0];
            (v < lo || v > hi).then(|| {
                format!(
                    "committed {v}, expected {} ({} elements surely in it by their last assignment, {} that may be)",
                    if lo == hi { lo.to_string() } else { format!("between {lo} and {hi}") },
                    elems.len(),
                    maybe.len()
                )
            })
        } else {
            let (lo, hi) = subset_bounds(self.agg, all.values().copied());
            values.iter().find(|v| **v < lo || **v > hi).map(|v| {
                format!(
                    "{} {v}, no subset of the {} elements ever assigned to it gives that",
                    if self.exact_sink { "committed" } else { "printed" },
                    all.len()
                )
            })
        };
        if let Some(what) = wrong {
            anomalies.push(
                Finding::new(
                    "window-wrong-value",
                    format!("window wrong value: t={} key {key} window {win}: {what}", first.time_ms),
                )
                .at(first.time_ms)
                .with("key", key),
            );
        }
    }
}

/// `window lost` (the job finished with every firing in the rows): each window an element's
/// sure last assignment names has a result or was dropped at the end of input. Returns how
/// many were lost.
fn lost_windows(
    a: &Assignments,
    fired: &BTreeMap<(Value, TimeWindow), Vec<OutputRow>>,
    dropped: &BTreeSet<(Value, TimeWindow)>,
    exact_sink: bool,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let mut lost = 0usize;
    for ((key, win), elems) in &a.expected {
        let k = (key.clone(), *win);
        if fired.contains_key(&k) || dropped.contains(&k) {
            continue;
        }
        lost += 1;
        let (lineage, _) = elems[0];
        let at = a.last.get(&lineage).map_or(0, |r| r.time_ms);
        anomalies.push(
            Finding::new(
                "window-lost",
                format!(
                    "window lost: key {key} window {win} never {} although input #{} was last assigned to it (at \
                     {at} ms) and the job finished; its timer was not among those dropped at the end of input",
                    if exact_sink { "committed" } else { "printed" },
                    lineage.input_seq
                ),
            )
            .at(at)
            .with("key", key)
            .with("input", lineage.input_seq),
        );
    }
    lost
}

/// The aggregate of `xs` (None when empty).
fn fold(agg: Aggregate, xs: impl Iterator<Item = i64>) -> Option<i128> {
    xs.map(i128::from).reduce(|a, b| match agg {
        Aggregate::Sum | Aggregate::Count => a + b,
        Aggregate::Max => a.max(b),
        Aggregate::Min => a.min(b),
    })
}

/// The range of values a window holding every one of `sure` and any of `maybe` folds to.
fn sure_bounds(agg: Aggregate, sure: impl Iterator<Item = i64> + Clone, maybe: &[i64]) -> (i128, i128) {
    let s = fold(agg, sure.clone());
    match agg {
        Aggregate::Sum | Aggregate::Count => {
            let base = s.unwrap_or(0);
            let neg: i128 = maybe.iter().filter(|v| **v < 0).map(|v| i128::from(*v)).sum();
            let pos: i128 = maybe.iter().filter(|v| **v > 0).map(|v| i128::from(*v)).sum();
            (base + neg, base + pos)
        }
        Aggregate::Max | Aggregate::Min => {
            let all = fold(agg, sure.chain(maybe.iter().copied())).unwrap_or(0);
            match s {
                Some(s) => (s.min(all), s.max(all)),
                None => subset_bounds(agg, maybe.iter().copied()),
            }
        }
    }
}

/// The range of values a non-empty subset of `xs` can fold to.
fn subset_bounds(agg: Aggregate, xs: impl Iterator<Item = i64> + Clone) -> (i128, i128) {
    match agg {
        Aggregate::Sum | Aggregate::Count => {
            let neg: i128 = xs.clone().filter(|v| *v < 0).map(i128::from).sum();
            let pos: i128 = xs.clone().filter(|v| *v > 0).map(i128::from).sum();
            let min = xs.clone().map(i128::from).min().unwrap_or(0);
            let max = xs.map(i128::from).max().unwrap_or(0);
            (neg.min(min), pos.max(max))
        }
        Aggregate::Max | Aggregate::Min => {
            (xs.clone().map(i128::from).min().unwrap_or(0), xs.map(i128::from).max().unwrap_or(0))
        }
    }
}
