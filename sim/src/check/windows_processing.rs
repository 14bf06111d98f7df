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
//!   plus some of those that may be; a printed result outside what any subset of the elements
//!   ever assigned to it gives. Under at-least-once checkpoints (`CheckpointBarrierTracker`
//!   does not block a channel whose barrier came first) a snapshot may hold elements after its
//!   offsets, which the restore replays into the window again: there an element may count once
//!   per assignment to the window, and no more (each copy a window holds comes from one).
//! * `window lost`: the job FINISHED with every firing committed (2PC: final checkpoints), an
//!   element's sure last assignment names a window, and the window has no result and was not among
//!   the windows an end of input dropped (the final attempt's, or an earlier one's unless the
//!   last restore surely brought it back: `dropped_at_end`).

use super::*;
use crate::world::AssignmentRow;
use ckptsim::ids::TaskId;
use ckptsim::operator::Aggregate;
use ckptsim::record::Lineage;
use ckptsim::window::{EventWindowSpec, TimeWindow};

/// The `windows` verdict of a job with a processing-time window `w`.
pub(super) fn judge(spec: &JobSpec, run: &RunResult, w: &EventWindowSpec) -> Verdict {
    const NAME: &str = "windows";
    let size = w.assigner.element_window_ms() as i64;
    let agg = w.aggregate;
    let exact_sink = sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink);
    let at_least_once = super::replays_uncovered(spec);
    let rows: &Rows = if exact_sink { &run.committed } else { &run.print_rows };
    let chain = match super::windows_chain::chain(spec) {
        Ok(c) => c,
        Err(why) => return Verdict::skip(NAME, why),
    };
    // The last window's own assignments and drops: a processing-time window after a
    // processing-time window (session 26) records its elements too.
    let Some(&at) = spec.window_stages().last() else { return Verdict::skip(NAME, "no window") };
    let name = spec.operators[at].name.as_str();
    let a = Assignments::of(run, agg, name);
    let dropped = dropped_at_end(run, name);
    let mut anomalies = Vec::new();
    let finished_all = run.final_status == JobStatus::Finished
        && !super::finished_unread(spec, run)
        && (!exact_sink || (spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled()));
    if !chain.is_empty() {
        let results = Results { agg, exact_sink, exact: exact_sink && !at_least_once, at_least_once };
        let (judged, unjudged) =
            results.through_chain(&a, &chain, (rows, size), &dropped, finished_all, &mut anomalies);
        let summary = format!(
            "processing time through {} functions after the window: {} elements assigned, {} windows expected, {} \
             results{}, {judged} timestamps judged exactly, {unjudged} by their windows only",
            chain.len(),
            a.last.len(),
            a.expected.len(),
            rows.len(),
            if exact_sink { " committed" } else { " printed" },
        );
        return Verdict::from(NAME, anomalies, summary);
    }
    let mut fired: BTreeMap<(Value, TimeWindow), Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        let Some(k) = super::row_window(&r, size, &mut anomalies) else { continue };
        fired.entry(k).or_default().push(r);
    }
    let results = Results { agg, exact_sink, exact: exact_sink && !at_least_once, at_least_once };
    for ((key, win), got) in &fired {
        results.judge(&a, key, win, got, &mut anomalies);
    }
    let lost = if finished_all { lost_windows(&a, &fired, &dropped, exact_sink, &mut anomalies) } else { 0 };
    let summary = format!(
        "processing time: {} elements assigned ({} assignments), {} windows expected, {} results{}, {} dropped at the \
         end of input ({} perhaps, before a restore), {lost} lost",
        a.last.len(),
        run.window_assignments.iter().filter(|r| r.operator == name).count(),
        a.expected.len(),
        rows.len(),
        if exact_sink { " committed" } else { " printed" },
        dropped.sure.len(),
        dropped.maybe.len()
    );
    Verdict::from(NAME, anomalies, summary)
}

/// The reference: what the run's recorded assignments say each window holds.
struct Assignments<'r> {
    /// Each element's last assignment.
    last: BTreeMap<Lineage, &'r AssignmentRow>,
    /// Every element ever assigned to each window, with its number.
    ever: BTreeMap<(Value, TimeWindow), BTreeMap<Lineage, i64>>,
    /// Per window, the number of every assignment to it, one entry per assignment: the most a
    /// window can hold under at-least-once checkpoints (see [`Results::judge`]).
    assigned: BTreeMap<(Value, TimeWindow), Vec<i64>>,
    /// Per window, the elements surely in it (their sure last assignment names it).
    expected: BTreeMap<(Value, TimeWindow), Vec<(Lineage, i64)>>,
    /// Elements whose last assignment is sure (surely elsewhere when it does not name a window).
    settled: BTreeMap<Lineage, &'r AssignmentRow>,
}

impl<'r> Assignments<'r> {
    /// The assignments of window operator `name`.
    fn of(run: &'r RunResult, agg: Aggregate, name: &str) -> Assignments<'r> {
        let x = |v: &Value| if agg == Aggregate::Count { 1 } else { super::number(v) };
        let mut last: BTreeMap<Lineage, &AssignmentRow> = BTreeMap::new();
        let mut ever: BTreeMap<(Value, TimeWindow), BTreeMap<Lineage, i64>> = BTreeMap::new();
        let mut assigned: BTreeMap<(Value, TimeWindow), Vec<i64>> = BTreeMap::new();
        for a in run.window_assignments.iter().filter(|a| a.operator == name) {
            last.insert(a.lineage, a);
            for win in &a.windows {
                ever.entry((key_of(&a.value), *win)).or_default().insert(a.lineage, x(&a.value));
                assigned.entry((key_of(&a.value), *win)).or_default().push(x(&a.value));
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
        Assignments { last, ever, assigned, expected, settled }
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

/// The windows the tasks dropped unfired at their end of input (`StreamOperatorWrapper`
/// quiesces the timer service of that attempt only).
#[derive(Default)]
struct Dropped {
    /// Dropped by the attempt after the last restore (or new job): they never fire.
    sure: BTreeSet<(Value, TimeWindow)>,
    /// Dropped by an earlier attempt, and perhaps back in a later one: the contents and timers
    /// stay keyed state, and a flink-2.3 task whose operators finished still snapshots them
    /// into its final checkpoint (only tasks already FINISHED at a trigger get empty state,
    /// `DefaultCheckpointPlan#fulfillFinishedTaskStatus`, and are deployed finished on
    /// restore). An attempt restored with them fires them at once, their timers being due.
    maybe: BTreeSet<(Value, TimeWindow)>,
}

impl Dropped {
    /// Whether the window may have been dropped (no result is then no loss).
    fn excuses(&self, k: &(Value, TimeWindow)) -> bool {
        self.sure.contains(k) || self.maybe.contains(k)
    }
}

/// What the tasks' ends of input dropped ([`Dropped`]). An earlier attempt's drop is known to
/// be undone when the last restore is the first after it and comes from the first checkpoint
/// triggered after it to complete: the window task, whose input had ended, was then still
/// running at that trigger (a 2.x task finishes only once a checkpoint triggered after its
/// end of input completed), so its snapshot holds the windows and the final attempt fires them.
fn dropped_at_end(run: &RunResult, name: &str) -> Dropped {
    let resumes: Vec<(u64, Option<ckptsim::ids::CheckpointId>)> = run
        .restores
        .iter()
        .map(|r| (r.at_ms, r.checkpoint))
        .chain(run.rescales.iter().map(|r| (r.at_ms, None)))
        .collect();
    let last_resume = resumes.iter().max_by_key(|(at, _)| *at).copied();
    let mut out = Dropped::default();
    let mut last_quiesce: BTreeMap<TaskId, &crate::world::QuiescedRow> = BTreeMap::new();
    for q in run.quiesced_windows.iter().filter(|q| q.operator == name) {
        match last_resume {
            Some((at, _)) if q.time_ms <= at => {
                if !undone_by_last_restore(run, &resumes, q.time_ms) {
                    out.maybe.extend(q.pending.iter().cloned());
                }
            }
            _ => {
                let newest = last_quiesce.entry(q.task).or_insert(q);
                if q.attempt >= newest.attempt {
                    *newest = q;
                }
            }
        }
    }
    out.sure = last_quiesce.values().flat_map(|q| q.pending.iter().cloned()).collect();
    out
}

/// Whether the final attempt surely holds what an end of input at `t` dropped (see
/// [`dropped_at_end`]): the only resume after `t` is a restore from a checkpoint triggered
/// after `t`, and no other checkpoint triggered after `t` completed before that trigger.
fn undone_by_last_restore(run: &RunResult, resumes: &[(u64, Option<ckptsim::ids::CheckpointId>)], t: u64) -> bool {
    let after: Vec<_> = resumes.iter().filter(|(at, _)| *at >= t).collect();
    let [(_, Some(id))] = after.as_slice() else { return false };
    let Some(c) = run.checkpoints.iter().find(|c| c.id == *id) else { return false };
    c.trigger_ms > t
        && !run.checkpoints.iter().any(|o| {
            o.id != c.id
                && o.trigger_ms > t
                && o.outcome == "COMPLETED"
                && o.end_ms.is_some_and(|end| end <= c.trigger_ms)
        })
}

/// How a window's results are judged: the aggregate, whether the sink commits (2PC), whether
/// the committed results are exact (2PC under exactly-once checkpoints) and whether the
/// checkpoints are at-least-once (a window may hold an element more than once).
struct Results {
    agg: Aggregate,
    exact_sink: bool,
    exact: bool,
    at_least_once: bool,
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
        } else if self.at_least_once {
            // The barrier tracker does not block a channel whose barrier came first, so a
            // snapshot may hold elements after the checkpoint's offsets; the restore replays them
            // and they may land in the same window again (CheckpointBarrierTracker, WindowOperator's
            // restored keyed state). Every copy a window holds comes from one assignment.
            let copies = a.assigned.get(&(key.clone(), *win)).map(Vec::as_slice).unwrap_or(&[]);
            let (lo, hi) = subset_bounds(self.agg, copies.iter().copied());
            values.iter().find(|v| **v < lo || **v > hi).map(|v| {
                format!(
                    "{} {v}, no subset of the {} assignments of the {} elements ever assigned to it gives that \
                     (at-least-once: an element counts at most once per assignment)",
                    if self.exact_sink { "committed" } else { "printed" },
                    copies.len(),
                    all.len()
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

/// A window ending at some timestamp, as the chain reference sees it: its exact result when
/// known (`Some(None)`: known to fire nothing, being empty or dropped at the end of input), or
/// `None` when some element may or may not be in it.
type AtTimestamp<'a> = (&'a Value, Option<Option<i128>>);

impl Results {
    /// The sink's rows after the stateless functions `chain` between the window and the sink,
    /// grouped by timestamp (each function keeps the window's `maxTimestamp`; a function may
    /// change the key, so rows are not matched by key). A timestamp is judged exactly when
    /// every window ending there is known (exact committed results, no element that may or may
    /// not be in it): the rows are then a sub-multiset of the chain applied to those windows'
    /// results (`window wrong value`, or `window fired twice` for a row value given once but
    /// committed more often), all of them once the job finished (`window lost`). Elsewhere a row
    /// needs a window at its timestamp that some element was assigned to. Returns (timestamps
    /// judged exactly, the others).
    fn through_chain(
        &self,
        a: &Assignments,
        chain: &[ckptsim::operator::OperatorKind],
        (rows, size): (&Rows, i64),
        dropped: &Dropped,
        finished_all: bool,
        anomalies: &mut Vec<Finding>,
    ) -> (usize, usize) {
        let mut ops: Vec<ckptsim::operator::Operator> =
            chain.iter().map(|k| ckptsim::operator::Operator::new(*k, vec![])).collect();
        let mut counters = ckptsim::operator::SurvivingCounters::default();
        let at = self.windows_by_timestamp(a, dropped);
        let got = rows_by_timestamp(rows, anomalies);
        let (mut judged, mut unjudged) = (0, 0);
        for t in at.keys().chain(got.keys()).copied().collect::<BTreeSet<i64>>() {
            let windows = at.get(&t).map(Vec::as_slice).unwrap_or(&[]);
            let rows_t = got.get(&t).map(Vec::as_slice).unwrap_or(&[]);
            if windows.is_empty() {
                if let Some(r) = rows_t.first() {
                    let what = format!(
                        "window wrong value: t={} row {} at timestamp {t}: no element was assigned to a window \
                         ending there (size {size} ms)",
                        r.time_ms, r.value
                    );
                    anomalies.push(Finding::new("window-wrong-value", what).at(r.time_ms));
                }
                continue;
            }
            let Some(known) = windows.iter().map(|(_, v)| *v).collect::<Option<Vec<Option<i128>>>>() else {
                unjudged += 1;
                continue;
            };
            judged += 1;
            // The chain applied to each known window's single firing.
            let mut want: BTreeMap<Value, usize> = BTreeMap::new();
            for ((key, _), v) in windows.iter().zip(known) {
                let Some(v) = v else { continue };
                let n = i64::try_from(v).unwrap_or(i64::MAX);
                for out in super::windows_chain::through(&mut ops, &mut counters, key, n, t).unwrap_or_default() {
                    *want.entry(out).or_default() += 1;
                }
            }
            self.judge_timestamp(t, &want, rows_t, finished_all, anomalies);
        }
        (judged, unjudged)
    }

    /// Per timestamp, the windows ending there (`AtTimestamp`).
    fn windows_by_timestamp<'a>(&self, a: &'a Assignments, dropped: &Dropped) -> BTreeMap<i64, Vec<AtTimestamp<'a>>> {
        let mut at: BTreeMap<i64, Vec<AtTimestamp<'a>>> = BTreeMap::new();
        for ((key, win), all) in &a.ever {
            let k = (key.clone(), *win);
            // A window an earlier attempt dropped and a later one may hold again is unknown.
            let known = self.exact && all.keys().all(|l| a.settled.contains_key(l)) && !dropped.maybe.contains(&k);
            let value = known.then(|| {
                if dropped.sure.contains(&k) {
                    return None;
                }
                let sure = a.expected.get(&(key.clone(), *win)).map(Vec::as_slice).unwrap_or(&[]);
                fold(self.agg, sure.iter().map(|(_, n)| *n))
            });
            at.entry(win.max_timestamp()).or_default().push((key, value));
        }
        at
    }

    /// The rows `rows_t` at timestamp `t` against the values `want` the windows ending there
    /// give after the functions: each row one of them (`window wrong value`), no value more
    /// often than given (`window fired twice`), and once the job finished every one there
    /// (`window lost`).
    fn judge_timestamp(
        &self,
        t: i64,
        want: &BTreeMap<Value, usize>,
        rows_t: &[OutputRow],
        finished_all: bool,
        anomalies: &mut Vec<Finding>,
    ) {
        let sink = if self.exact_sink { "committed" } else { "printed" };
        let mut left = want.clone();
        for r in rows_t {
            match left.get_mut(&r.value) {
                Some(c) if *c > 0 => *c -= 1,
                _ => {
                    let (kind, what) = if want.contains_key(&r.value) {
                        ("window-fired-twice", "window fired twice")
                    } else {
                        ("window-wrong-value", "window wrong value")
                    };
                    let given: Vec<String> = want.keys().map(|v| v.to_string()).collect();
                    let text = format!(
                        "{what}: t={} {sink} {} at timestamp {t}; the windows ending there give {given:?} after the \
                         functions",
                        r.time_ms, r.value
                    );
                    anomalies.push(Finding::new(kind, text).at(r.time_ms));
                }
            }
        }
        if !finished_all {
            return;
        }
        if let Some((v, _)) = left.iter().find(|(_, c)| **c > 0) {
            let text = format!(
                "window lost: {v} at timestamp {t} never {sink} although the windows ending there give it after the \
                 functions and the job finished"
            );
            anomalies.push(Finding::new("window-lost", text));
        }
    }
}

/// The sink's rows by timestamp; a row without one is a `window wrong value`.
fn rows_by_timestamp(rows: &Rows, anomalies: &mut Vec<Finding>) -> BTreeMap<i64, Vec<OutputRow>> {
    let mut got: BTreeMap<i64, Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        match r.timestamp {
            Some(t) => got.entry(t).or_default().push(r),
            None => {
                let text = format!("window wrong value: t={} row {} has no timestamp", r.time_ms, r.value);
                anomalies.push(Finding::new("window-wrong-value", text).at(r.time_ms));
            }
        }
    }
    got
}

/// `window lost` (the job finished with every firing in the rows): each window an element's
/// sure last assignment names has a result or was dropped at the end of input. Returns how
/// many were lost.
fn lost_windows(
    a: &Assignments,
    fired: &BTreeMap<(Value, TimeWindow), Vec<OutputRow>>,
    dropped: &Dropped,
    exact_sink: bool,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let mut lost = 0usize;
    for ((key, win), elems) in &a.expected {
        let k = (key.clone(), *win);
        if fired.contains_key(&k) || dropped.excuses(&k) {
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
