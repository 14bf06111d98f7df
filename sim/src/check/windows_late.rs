//! The `windows` checker on a window fed by a late side output (`W.late -> key_by -> window -> sink`, semantics §11.8, session 28): its results against the run's own record of which elements each attempt of it took.
//!
//! Every element of `W.late` is older than the watermark `W` forwarded, so the second window
//! takes it only when its own window of the element has not ended against its own watermark;
//! neither watermark is in a checkpoint (§11.5), so after a restore both the first window's
//! verdict (late or not) and the second's may differ from the first time. No fault-free fold
//! knows them; the world records, per attempt of the second window, each element it judged and
//! the windows that took it (`RunResult::window_assignments`, none: late there) and per
//! snapshot how many of those it had recorded before the cut (`RunResult::assignment_snapshots`).
//! The rules, for a `sum` or `count` second window of elements with non-negative numbers, or a
//! `max` or `min` one (session 35), whose results reach the sink unchanged, without rescale or
//! stop-with-savepoint:
//!
//! * `late-window-doubled` (two-phase-commit sink, exactly-once checkpoints): the committed
//!   results of (key, window) total more than the aggregate of the distinct elements any attempt
//!   took into it (without allowed lateness the committed firings hold disjoint elements: an
//!   element a committed firing held is not replayed after the restore that follows; with
//!   lateness each firing holds everything so far, so each one alone is bounded); without
//!   lateness also two committed results of one (key, window) with one lineage (the smallest
//!   element's: disjoint firings never share it). A print sink under exactly-once checkpoints:
//!   each printed result alone.
//! * `late-window-lost` (the job FINISHED with every firing in the sink, `finished_all`): an
//!   element the second window took before its snapshot of a completed checkpoint is in that
//!   checkpoint's window state (or in a result that left before the cut), and every restore is
//!   from that checkpoint or a later one, so it reaches the sink: the committed results of its
//!   (key, window) total at least the aggregate of such elements, and a print sink printed some
//!   result of that window.
//! * `late-window-missed` (the job FINISHED): an element the first window sent to its side
//!   output before its snapshot of a completed checkpoint (`side_output::covering`) left ahead of
//!   that checkpoint's barrier, so the second window judged it in some attempt (took it or found
//!   it late): it is in the record.

use super::*;
use ckptsim::operator::{Operator, OperatorKind, SurvivingCounters};
use ckptsim::record::Record;
use ckptsim::TaskId;

/// An element's identity across attempts: its lineage.
type Id = (u64, u32);

/// Per attempt, how many of its reports (window assignments or join judgements) the latest
/// snapshot cut of a checkpoint that `counts` accepts holds: a report at position `p` is held
/// when the count is above `p`. One pass over the snapshots (linear in the run); shared by the
/// second window's and the late-fed join's rules.
pub(in crate::check) fn cut_counts(
    run: &RunResult,
    counts: impl Fn(ckptsim::CheckpointId) -> bool,
) -> BTreeMap<(TaskId, ckptsim::Attempt), u64> {
    let mut cut_before: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for s in run.assignment_snapshots.iter().filter(|s| counts(s.checkpoint)) {
        let c = cut_before.entry((s.task, s.attempt)).or_default();
        *c = (*c).max(s.late_before);
    }
    cut_before
}

/// The `windows` findings and summary of the window `at` fed by the late side output of
/// `first`, whose results reach `sink` (`rows`: the run restricted to that sink's rows). None
/// with the reason when the rules do not apply.
pub(in crate::check) fn late_window(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    (first, at, sink): (usize, usize, usize),
) -> Result<(Vec<Finding>, String), &'static str> {
    let OpKind::EventWindow(w) = &spec.operators[at].kind else { return Err("not an event-time window") };
    if spec.op_inputs(sink) != [at] {
        return Err("window after a late side output: judged only with its results straight into the sink");
    }
    if !run.rescales.is_empty() || !run.stops.is_empty() {
        return Err("window after a late side output: not judged across a rescale or stop-with-savepoint");
    }
    let name = spec.operators[at].name.as_str();
    // A host that does not mark the window (`ckptsim explore`) leaves no record to judge by.
    if run.assignment_snapshots.is_empty() && !run.window_assignments.iter().any(|r| r.operator == name) {
        return Err("window after a late side output: no record of which elements it took (the host records none)");
    }
    let two_pc = matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink);
    let exact = spec.checkpoint.mode == ckptsim::config::CheckpointingMode::ExactlyOnce;
    let x = |v: &Value| if w.aggregate == Aggregate::Count { 1 } else { i128::from(number(v)) };
    let completed: BTreeSet<ckptsim::CheckpointId> = run.completed_offsets.keys().copied().collect();
    // Per (key, window): every element any attempt took, and those a completed checkpoint holds.
    let mut took: Elements = BTreeMap::new();
    let mut held: Elements = BTreeMap::new();
    let mut judged: BTreeSet<Id> = BTreeSet::new();
    let mut negative = false;
    let mut position: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    let cut_before = cut_counts(run, |c| completed.contains(&c));
    for r in run.window_assignments.iter().filter(|r| r.operator == name) {
        let p = position.entry((r.task, r.attempt)).or_default();
        let cut = cut_before.get(&(r.task, r.attempt)).is_some_and(|c| *c > *p);
        *p += 1;
        let id = (r.lineage.input_seq, r.lineage.sub);
        judged.insert(id);
        negative |= number(&r.value) < 0;
        for win in &r.windows {
            let k = (key_of(&r.value), *win);
            took.entry(k.clone()).or_default().insert(id, x(&r.value));
            if cut {
                held.entry(k).or_default().insert(id, x(&r.value));
            }
        }
    }
    if negative && w.aggregate == Aggregate::Sum {
        return Err("window after a late side output: an element with a negative number (the sums bound nothing)");
    }
    let mut anomalies = Vec::new();
    let size = w.assigner.element_window_ms() as i64;
    let sink_rows = if two_pc { &rows.committed } else { &rows.print_rows };
    let mut results: Results = BTreeMap::new();
    for r in sink_rows.iter() {
        if let Some(k) = row_window(&r, size, &mut anomalies) {
            results.entry(k).or_default().push(r);
        }
    }
    if exact {
        doubled(name, w.aggregate, &results, &took, two_pc && w.allowed_lateness_ms == 0, &mut anomalies);
    }
    let finished = finished_all(spec, run, two_pc);
    if finished {
        lost(name, w.aggregate, &results, &held, two_pc, &mut anomalies);
        let what = ("late-window-missed", "late window missed");
        late_missed(spec, run, (first, name, &[]), &judged, what, &mut anomalies);
    }
    let took_n: usize = took.values().map(|m| m.len()).sum();
    let held_n: usize = held.values().map(|m| m.len()).sum();
    Ok((
        anomalies,
        format!(
            "window `{name}` after `{}.late`: {} results of {} windows judged against the run's record ({} elements \
             judged, {took_n} taken, {held_n} held by a completed checkpoint){}",
            spec.operators[first].name,
            results.values().map(Vec::len).sum::<usize>(),
            took.len().max(results.len()),
            judged.len(),
            if finished {
                ""
            } else {
                "; lost and missed not judged (the job did not finish with every firing in the sink)"
            },
        ),
    ))
}

/// Per (key, window) of the second window: each element's lineage and its part of the aggregate.
type Elements = BTreeMap<(Value, TimeWindow), BTreeMap<Id, i128>>;

/// Per (key, window) of the second window: the sink's rows of its results.
type Results = BTreeMap<(Value, TimeWindow), Vec<OutputRow>>;

/// `late-window-doubled`: a (key, window)'s results hold more than every element any attempt
/// took there (`disjoint`: the committed firings hold disjoint elements, so their total counts;
/// else each result alone). With disjoint firings also two results of one lineage (a result's
/// lineage is its smallest element's, `ckptsim::window`): they share that element, so they are
/// one firing committed twice (session 33: `negative/late-window-doubled-recommit --swarm --seed
/// 95` committed `(k0,1)` twice while a later attempt took a second element, so the total stayed
/// within the bound). A `max` or `min` window (session 35): each result is the number of one
/// element some attempt took there; a result that is no such number holds what no firing held.
fn doubled(
    name: &str,
    agg: Aggregate,
    results: &Results,
    took: &Elements,
    disjoint: bool,
    anomalies: &mut Vec<Finding>,
) {
    let total = |m: Option<&BTreeMap<Id, i128>>| m.map_or(0, |m| m.values().sum::<i128>());
    for (k, rs) in results {
        let most = total(took.get(k));
        let values: Vec<i128> = rs.iter().map(|r| i128::from(number(&r.value))).collect();
        let over = match agg {
            Aggregate::Max | Aggregate::Min => {
                let numbers: BTreeSet<i128> = took.get(k).into_iter().flat_map(|m| m.values().copied()).collect();
                values.iter().any(|v| !numbers.contains(v))
            }
            _ if disjoint => values.iter().sum::<i128>() > most,
            _ => values.iter().any(|v| *v > most),
        };
        let mut seen = BTreeSet::new();
        let twice = disjoint && rs.iter().any(|r| !seen.insert((r.lineage.input_seq, r.lineage.sub)));
        if over || twice {
            let r = &rs[rs.len() - 1];
            let n = took.get(k).map_or(0, |m| m.len());
            let why = match agg {
                _ if !over => "hold two results of one smallest element: one firing committed twice (committed \
                               firings hold disjoint elements)"
                    .to_owned(),
                Aggregate::Max | Aggregate::Min => {
                    format!(
                        "hold a {} that is the number of none of the {n} elements any attempt of it took there",
                        agg.name()
                    )
                }
                _ => format!(
                    "{} more than the {n} elements any attempt of it took there (aggregate {most})",
                    if disjoint { "total" } else { "hold" },
                ),
            };
            let text = format!(
                "late window doubled: `{name}` result(s) {values:?} of key {} window [{}, {}) {why}",
                k.0, k.1.start, k.1.end
            );
            anomalies.push(Finding::new("late-window-doubled", text).at(r.time_ms));
        }
    }
}

/// `late-window-lost`: the sink's results of a (key, window) hold less than the elements a
/// completed checkpoint holds in its window state (a print sink: no result at all). For a `max`
/// (`min`) window (session 35): the largest (smallest) committed result is below (above) the
/// largest (smallest) held element, since some committed firing held that element.
fn lost(name: &str, agg: Aggregate, results: &Results, held: &Elements, two_pc: bool, anomalies: &mut Vec<Finding>) {
    for (k, m) in held {
        let got: Vec<i128> =
            results.get(k).map_or(Vec::new(), |rs| rs.iter().map(|r| i128::from(number(&r.value))).collect());
        let (least, short) = match agg {
            Aggregate::Max => {
                let least = m.values().copied().max().unwrap_or(i128::MIN);
                (least, got.iter().max().is_none_or(|g| *g < least))
            }
            Aggregate::Min => {
                let least = m.values().copied().min().unwrap_or(i128::MAX);
                (least, got.iter().min().is_none_or(|g| *g > least))
            }
            _ => {
                let least: i128 = m.values().sum();
                (least, got.iter().sum::<i128>() < least)
            }
        };
        let missing = if two_pc { short } else { !results.contains_key(k) };
        if missing {
            let first_in = m.keys().next().map_or(0, |i| i.0);
            let shown = match agg {
                Aggregate::Max => format!("reach only {:?}", got.iter().max()),
                Aggregate::Min => format!("reach only {:?}", got.iter().min()),
                _ => format!("total only {}", got.iter().sum::<i128>()),
            };
            anomalies.push(
                Finding::new(
                    "late-window-lost",
                    format!(
                        "late window lost: `{name}` took {} element(s) of key {} into window [{}, {}) ({} \
                         {least}) before its snapshot of a completed checkpoint, but the sink's results of that \
                         window {}",
                        m.len(),
                        k.0,
                        k.1.start,
                        k.1.end,
                        if matches!(agg, Aggregate::Max | Aggregate::Min) { agg.name() } else { "aggregate" },
                        if results.contains_key(k) { shown } else { "are missing".to_owned() },
                    ),
                )
                .with("input", first_in),
            );
        }
    }
}

/// `late-window-missed`: an element the first window sent to its late side output before a
/// completed checkpoint's cut that no attempt of the second window ever judged.
/// `(kind, label)`: the finding's kind and the first words of its text (a join fed by the side
/// output, session 29, names its own). `functions`: the stateless functions on the side branch
/// before the operator that judges (a join's `filter` / `flat_map` / `map`, session 31): each
/// element is passed through them as the branch's tasks do, and every record they give (none
/// for a filtered one, one per output of a flat_map, by its lineage) must have been judged.
pub(in crate::check) fn late_missed(
    spec: &JobSpec,
    run: &RunResult,
    (first, name, functions): (usize, &str, &[OperatorKind]),
    judged: &BTreeSet<Id>,
    (kind, label): (&'static str, &str),
    anomalies: &mut Vec<Finding>,
) {
    let covered = super::super::side_output::covering(spec, run, first, false);
    let mut ops: Vec<Operator> = functions.iter().map(|k| Operator::new(*k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    // Session 40: window `first`'s own record of late elements.
    for r in run.late_records.of(first) {
        let p = sent.entry((r.task, r.attempt)).or_default();
        let due = covered(r.task, r.attempt, *p);
        *p += 1;
        if !due {
            continue;
        }
        let rec = Record { value: r.value.clone(), lineage: r.lineage, timestamp: r.timestamp };
        // A function that throws fails the branch's task: nothing of this element is required.
        let (out, _) = crate::check::records_through(ops.iter_mut(), &mut counters, vec![rec], "late-missed");
        for l in out.iter().map(|x| x.lineage).filter(|l| !judged.contains(&(l.input_seq, l.sub))) {
            anomalies.push(
                Finding::new(
                    kind,
                    format!(
                        "{label}: t={} input #{} (sub {}) went to `{}`'s late side output before a \
                         checkpoint that completed covered it, and no attempt of `{name}` ever judged it",
                        r.time_ms, l.input_seq, l.sub, spec.operators[first].name
                    ),
                )
                .at(r.time_ms)
                .with("input", l.input_seq),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `late-window-doubled` findings of the `windows` verdict of `run`.
    fn doubled(spec: &JobSpec, run: &RunResult) -> Vec<Finding> {
        let all = crate::check::test_runs::verdict_of(spec, run, "windows").anomalies;
        all.into_iter().filter(|f| f.kind.as_deref() == Some("late-window-doubled")).collect()
    }

    /// A hand-made record of `eventtime/late-window-2pc.toml` (seed 1) in which the store shows
    /// the largest committed `LateWindow` result a second time: its (key, window) then totals
    /// more than the elements any attempt took there, and the rule names it (kind, message,
    /// time of the result); the run as it happened (the passing twin) has no such finding.
    #[test]
    fn a_result_committed_twice_is_doubled() {
        let (spec, run) = crate::check::test_runs::scenario_run("eventtime/late-window-2pc.toml", 1);
        assert_eq!(doubled(&spec, &run).len(), 0, "the run itself is not doubled: {:?}", doubled(&spec, &run));
        let row = run.committed.iter().max_by_key(|r| number(&r.value)).expect("a committed late-window result");
        assert!(number(&row.value) > 0, "a positive result to double: {row:?}");
        let mut twice = run.clone();
        twice.committed.push(row.clone());
        let found = doubled(&spec, &twice);
        assert_eq!(found.len(), 1, "exactly the doubled (key, window): {found:?}");
        let (v, k) = (number(&row.value), key_of(&row.value));
        let text = &found[0].text;
        assert!(text.starts_with("late window doubled: `LateWindow` result(s) ["), "{text}");
        assert!(text.contains(&format!("{v}, {v}]")), "the result shown twice: {text}");
        assert!(text.contains(&format!("of key {k} window [")), "{text}");
        assert!(text.contains("total more than the"), "{text}");
        assert_eq!(found[0].time_ms, Some(row.time_ms), "at the last of the doubled results");
    }

    /// Swarm seed 95 of `negative/late-window-doubled-recommit` (a non-idempotent store): a
    /// restore re-commits a transaction holding `(k0,1)` of window [0, 2000), while a later
    /// attempt took a second element there, so the total (2) stays within the bound (2 elements).
    /// The two results share their smallest element: one firing committed twice (the rule before
    /// session 33 passed the run).
    #[test]
    fn one_firing_committed_twice_within_the_bound_is_doubled() {
        let spec = crate::check::test_runs::scenario("negative/late-window-doubled-recommit.toml");
        let (spec, _) = crate::swarm::draw(&spec, 95);
        let run = crate::world::run(&spec, 95);
        let found = doubled(&spec, &run);
        assert_eq!(found.len(), 1, "{found:?}");
        let text = &found[0].text;
        assert!(text.contains("[1, 1] of key k0 window [0, 2000) hold two results of one smallest element"), "{text}");
    }

    /// The `windows` findings of kind `kind` of `run`.
    fn found(spec: &JobSpec, run: &RunResult, kind: &str) -> Vec<Finding> {
        crate::check::test_runs::verdict_of(spec, run, "windows")
            .anomalies
            .into_iter()
            .filter(|f| f.kind.as_deref() == Some(kind))
            .collect()
    }

    /// Session 35: a `max` window after `W.late` is judged (it was skipped: "only sum and count
    /// are judged"). On `late-window-max-2pc` (seed 1) the run passes; the largest committed
    /// result of a (key, window) lowered below the largest element a completed checkpoint holds
    /// there is `late-window-lost`; a committed result that is no element's number (one more than
    /// the largest) is `late-window-doubled`. The sum rules would pass the lowered one: a smaller
    /// value never totals more, and a max of 7 below a held max of 9 is no shortfall of a sum.
    #[test]
    fn a_max_window_after_a_late_side_output_is_judged() {
        use std::sync::Arc;
        let (spec, run) = crate::check::test_runs::scenario_run("eventtime/late-window-max-2pc.toml", 1);
        let v = crate::check::test_runs::verdict_of(&spec, &run, "windows");
        assert_eq!(v.passed, Some(true), "{}: {:?}", v.summary, v.anomalies);
        assert!(v.summary.contains("window `LateWindow` after `Window.late`"), "judged, not skipped: {}", v.summary);
        let late: Vec<OutputRow> = run.committed.iter().collect();
        let row = late.iter().max_by_key(|r| number(&r.value)).expect("a committed max result").clone();
        let (k, n) = (key_of(&row.value), number(&row.value));
        assert!(n > 1, "{row:?}");
        let others = late.iter().filter(|r| key_of(&r.value) == k && r.timestamp == row.timestamp).count();
        let mut lowered = run.clone();
        let mut low = row.clone();
        low.value = Value::Pair(Arc::from(k.to_string().as_str()), n - 1);
        lowered.committed = late.iter().map(|r| if *r == row { low.clone() } else { r.clone() }).collect();
        let lost = found(&spec, &lowered, "late-window-lost");
        assert_eq!(lost.len(), 1, "the lowered window ({others} results of it): {lost:?}");
        assert!(lost[0].text.contains(&format!("of key {k} into window [")), "{}", lost[0].text);
        assert!(lost[0].text.contains(&format!("(max {n})")), "{}", lost[0].text);
        let mut raised = run.clone();
        let mut high = row.clone();
        high.value = Value::Pair(Arc::from(k.to_string().as_str()), n + 1);
        raised.committed.push(high);
        let doubled = found(&spec, &raised, "late-window-doubled");
        assert_eq!(doubled.len(), 1, "{doubled:?}");
        assert!(doubled[0].text.contains("hold a max that is the number of none of the"), "{}", doubled[0].text);
    }
}
