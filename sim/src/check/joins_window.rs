//! A window on the late side branch before a join (session 39, `W.late -> key_by -> window -> map* -> key_by -> join`): each value the join received on that side judged as one of the window's results, and each (key, window) a completed checkpoint holds required at the join (`late-join-window-result`, `late-join-window-missed`).
//!
//! The side window consumes the late elements and emits results of its own: the value is the
//! aggregate of what the firing held, the lineage the smallest of its elements' lineages, the
//! timestamp its window's `maxTimestamp` (`WindowOperator#emitWindowContents`). So the join's
//! record names results, not late elements, and `late-join-missed` (each late element followed to
//! the join by its own lineage) does not apply on that side; neither watermark is in a checkpoint
//! (§11.5), so no fault-free fold knows which elements a firing held. What the run recorded does
//! bound them: the window's own record of which elements each attempt took into which window
//! (`RunResult::window_assignments`, the same record `windows_late.rs` reads for its sink) and
//! each snapshot's cut of it (`RunResult::assignment_snapshots`). The rules, for a `sum` or
//! `count` side window of non-negative numbers or a `max` or `min` one, through `identity` and
//! `double_value` maps (the maps a window's results may take, `Udf::takes_window_results`),
//! without rescale or stop-with-savepoint:
//!
//! * `late-join-window-result`: a value the join received (took or dropped as late) on the
//!   windowed side that no firing of the side window gives: its lineage is no element any
//!   attempt took into the (key, window) its timestamp ends, or its number is above the
//!   aggregate of every element any attempt took there (`sum`, `count`; each firing holds a
//!   subset of them), or is no such element's number (`max`, `min`), each through the maps.
//!   Flink's rows across a failure (`late-window-into-join-failure`): one result per firing, and
//!   a window fired again after a restore gives a result of what the restored state holds.
//! * `late-join-window-missed` (the job FINISHED, not by stop-with-savepoint): an element the
//!   side window took before its snapshot of a completed checkpoint is in that checkpoint's
//!   window state or in a result that left before the cut (ahead of the barrier, so the join
//!   receives it before its own cut or from the checkpoint's channel state); every restore is
//!   from that checkpoint or a later one, and the end of input fires every window, so the join
//!   received some result of that (key, window).
//!
//! Not judged, each named in the summary: a run with a rescale or stop-with-savepoint (the
//! window state moves or the job ends at a savepoint's cut), a host that records no assignments
//! (`ckptsim explore`), a `sum` side window of a negative number (a sum bounds nothing), a map
//! other than `identity` / `double_value` between the window and the join. The late elements'
//! way into the side window is the windows checker's (`late-window-missed`, `windows_late.rs`,
//! on the window's own sink).

use super::*;
use crate::world::JoinRow;
use ckptsim::join::JoinEvent;
use ckptsim::operator::{Aggregate, Operator, OperatorKind, SurvivingCounters, Udf};
use ckptsim::record::Record;
use ckptsim::window::TimeWindow;

/// An element's or result's identity: its lineage.
type Id = (u64, u32);

/// A join input fed by a window on a late side branch: the join side, the window, and the maps
/// between the window and the join.
pub(super) struct WindowSide {
    pub side: u32,
    pub window: usize,
    pub post: Vec<OperatorKind>,
}

/// The window on the side branch that ends at operator `last` (a join's input), with the maps
/// between it and `last`, if the branch has one: walking up single inputs to the operator that
/// reads `W.late`.
pub(super) fn window_on_branch(spec: &JobSpec, last: usize) -> Option<(usize, Vec<OperatorKind>)> {
    let mut post = Vec::new();
    let mut o = last;
    loop {
        match &spec.operators[o].kind {
            OpKind::EventWindow(_) => {
                post.reverse();
                return Some((o, post));
            }
            OpKind::Map(u) => post.push(OperatorKind::Map(*u)),
            _ => {}
        }
        if spec.operators[o].late_input {
            return None;
        }
        let ins = spec.op_inputs(o);
        let [up] = ins.as_slice() else { return None };
        o = *up;
    }
}

/// The rules of this module for `ws` on the join's record `record` (its tasks' rows in time
/// order): findings and a summary, or why they do not apply.
pub(super) fn judge(
    spec: &JobSpec,
    run: &RunResult,
    join: &JoinRecord<'_>,
    ws: &WindowSide,
) -> Result<(Vec<Finding>, String), &'static str> {
    let side = SideWindow::of(spec, run, ws)?;
    let mut through = Through::new(&ws.post);
    let mut out = Vec::new();
    let judged = received_results(join, ws.side, &side, &mut through, &mut out);
    let finished = run.final_status == JobStatus::Finished && !crate::check::finished_unread(spec, run);
    let resumed = spec.actions.iter().any(|a| {
        matches!(
            a.kind,
            ActionSpec::Savepoint
                | ActionSpec::RestoreRetained
                | ActionSpec::StopWithSavepoint { .. }
                | ActionSpec::Rescale(_)
        )
    });
    let kept = if finished && !resumed { final_history(join) } else { None };
    if let Some(kept) = &kept {
        lost_windows(join, ws.side, &side, kept, &mut through, &mut out);
    }
    let held: usize = side.took.held.values().map(BTreeMap::len).sum();
    Ok((
        out,
        format!(
            "`{}` before the join: {judged} results the join received judged against the window's record ({} \
             windows, {held} elements held by a completed checkpoint){}",
            side.name,
            side.took.all.len(),
            match (finished && !resumed, kept.is_some()) {
                (true, true) => "",
                (true, false) => "; lost not judged (an attempt of the join restored a cut no recorded attempt took)",
                (false, _) =>
                    "; lost not judged (the job did not finish, or resumed from a savepoint or retained checkpoint)",
            }
        ),
    ))
}

/// The side window [`judge`] judges, once the run is one it judges: its name, aggregate, size
/// and the run's record of the elements it took.
struct SideWindow<'a> {
    name: &'a str,
    aggregate: Aggregate,
    size: i64,
    took: Took,
}

impl<'a> SideWindow<'a> {
    /// `ws`'s window in `run`, or why the rules do not apply (the module doc's "Not judged").
    fn of(spec: &'a JobSpec, run: &RunResult, ws: &WindowSide) -> Result<SideWindow<'a>, &'static str> {
        let OpKind::EventWindow(w) = &spec.operators[ws.window].kind else { return Err("not an event-time window") };
        if !run.rescales.is_empty() || !run.stops.is_empty() {
            return Err(
                "window on the side branch before the join: not judged across a rescale or stop-with-savepoint",
            );
        }
        if ws.post.iter().any(|k| !matches!(k, OperatorKind::Map(Udf::Identity | Udf::DoubleValue))) {
            return Err(
                "window on the side branch before the join: a map other than identity or double_value after it",
            );
        }
        let name = spec.operators[ws.window].name.as_str();
        if run.assignment_snapshots.is_empty() && !run.window_assignments.iter().any(|r| r.operator == name) {
            return Err(
                "window on the side branch before the join: no record of which elements it took (the host records none)",
            );
        }
        let took = Took::of(run, name, w.aggregate)?;
        let size = w.assigner.element_window_ms() as i64;
        Ok(SideWindow { name, aggregate: w.aggregate, size, took })
    }
}

/// The maps between the side window and the join, applied to one value (a window result's
/// number as the join would receive it).
struct Through {
    post: Vec<Operator>,
    counters: SurvivingCounters,
}

impl Through {
    fn new(post: &[OperatorKind]) -> Through {
        Through {
            post: post.iter().map(|k| Operator::new(*k, vec![])).collect(),
            counters: SurvivingCounters::default(),
        }
    }

    /// The number `v` becomes through the maps (None: a map dropped it).
    fn number(&mut self, v: Value, l: ckptsim::record::Lineage) -> Option<i64> {
        let rec = Record { value: v, lineage: l, timestamp: None };
        let (got, _) =
            crate::check::records_through(self.post.iter_mut(), &mut self.counters, vec![rec], "late-join-window");
        got.first().map(|x| crate::check::windows::number(&x.value))
    }
}

/// `key`'s pair of number `x`, as the side window emits its result.
fn pair(key: &Value, x: i128) -> Value {
    Value::Pair(std::sync::Arc::from(key.to_string().as_str()), x as i64)
}

/// `late-join-window-result`: each value the join received on `side` (took or dropped as late)
/// judged as a firing of the side window; findings to `out`. The number of values judged.
fn received_results(
    join: &JoinRecord<'_>,
    side: u32,
    sw: &SideWindow<'_>,
    through: &mut Through,
    out: &mut Vec<Finding>,
) -> usize {
    let mut judged = 0usize;
    for r in join.record {
        let (JoinEvent::Took(s) | JoinEvent::Late(s)) = r.event else { continue };
        let Some(ts) = r.timestamp.filter(|_| s == side) else { continue };
        let key = key_of(&r.value);
        judged += 1;
        let win = TimeWindow { start: ts.saturating_add(1).saturating_sub(sw.size), end: ts.saturating_add(1) };
        let elements = sw.took.all.get(&(key.clone(), win));
        let id = (r.lineage.input_seq, r.lineage.sub);
        let n = crate::check::windows::number(&r.value);
        let why = match elements {
            None => Some("no attempt of it took any element there".to_owned()),
            Some(m) if !m.contains_key(&id) => {
                Some(format!("its lineage {id:?} is none of the {} elements any attempt took there", m.len()))
            }
            Some(m) => match sw.aggregate {
                Aggregate::Max | Aggregate::Min => {
                    let numbers: BTreeSet<Option<i64>> =
                        m.values().map(|x| through.number(pair(&key, *x), r.lineage)).collect();
                    (!numbers.contains(&Some(n))).then(|| {
                        format!("{n} is the number of none of the {} elements any attempt took there", m.len())
                    })
                }
                _ => {
                    let most = through.number(pair(&key, m.values().sum::<i128>()), r.lineage).unwrap_or(i64::MAX);
                    (n > most).then(|| {
                        format!("{n} is more than the {} elements any attempt took there give ({most})", m.len())
                    })
                }
            },
        };
        if let Some(why) = why {
            out.push(
                Finding::new(
                    "late-join-window-result",
                    format!(
                        "late join window result: t={} `{}` (task {}, attempt {}) received {} (ts {ts}) from \
                         `{}` on the side branch, which no firing of key {key} window [{}, {}) gives: {why}",
                        r.time_ms, join.name, r.task.0, r.attempt.0, r.value, sw.name, win.start, win.end
                    ),
                )
                .at(r.time_ms)
                .with("input", r.lineage.input_seq),
            );
        }
    }
    judged
}

/// `late-join-window-lost` (the job finished, not resumed from a savepoint or retained
/// checkpoint): each (key, window) a completed checkpoint holds elements of has results in the
/// join's final history `kept` that give at least those elements' aggregate; findings to `out`.
fn lost_windows(
    join: &JoinRecord<'_>,
    side: u32,
    sw: &SideWindow<'_>,
    kept: &BTreeSet<(ckptsim::TaskId, ckptsim::Attempt, u64)>,
    through: &mut Through,
    out: &mut Vec<Finding>,
) {
    // Per (key, maxTimestamp): the numbers of the results the join's final history holds.
    let mut results: BTreeMap<(Value, i64), Vec<i64>> = BTreeMap::new();
    for (p, r) in positions(join.record) {
        let (JoinEvent::Took(s) | JoinEvent::Late(s)) = r.event else { continue };
        let Some(ts) = r.timestamp.filter(|_| s == side && kept.contains(&(r.task, r.attempt, p))) else {
            continue;
        };
        results.entry((key_of(&r.value), ts)).or_default().push(crate::check::windows::number(&r.value));
    }
    for ((key, win), m) in &sw.took.held {
        let got = results.get(&(key.clone(), win.max_timestamp())).map_or(&[][..], Vec::as_slice);
        let lineage = ckptsim::record::Lineage { input_seq: 0, sub: 0 };
        let (least, short) = match sw.aggregate {
            Aggregate::Max => {
                let least =
                    through.number(pair(key, m.values().copied().max().unwrap_or(0)), lineage).unwrap_or(i64::MIN);
                (least, got.iter().max().is_none_or(|g| *g < least))
            }
            Aggregate::Min => {
                let least =
                    through.number(pair(key, m.values().copied().min().unwrap_or(0)), lineage).unwrap_or(i64::MAX);
                (least, got.iter().min().is_none_or(|g| *g > least))
            }
            _ => {
                let least = through.number(pair(key, m.values().sum::<i128>()), lineage).unwrap_or(0);
                (least, got.is_empty() || got.iter().map(|g| i128::from(*g)).sum::<i128>() < i128::from(least))
            }
        };
        if !short {
            continue;
        }
        let first_in = m.keys().next().map_or(0, |i| i.0);
        out.push(
            Finding::new(
                "late-join-window-lost",
                format!(
                    "late join window lost: `{}` took {} element(s) of key {key} into window [{}, {}) before \
                     its snapshot of a completed checkpoint ({} {least} at the join), but the results of that \
                     window in `{}`'s final history (each attempt's record up to the cut its successor \
                     restored, and the last attempt's) are {got:?} (the job finished)",
                    sw.name,
                    m.len(),
                    win.start,
                    win.end,
                    if matches!(sw.aggregate, Aggregate::Max | Aggregate::Min) {
                        sw.aggregate.name()
                    } else {
                        "aggregate"
                    },
                    join.name,
                ),
            )
            .with("input", first_in),
        );
    }
}

/// Per (key, window) of the side window: every element any attempt took (its lineage and its
/// part of the aggregate), and those taken before a snapshot of a completed checkpoint.
struct Took {
    all: BTreeMap<(Value, TimeWindow), BTreeMap<Id, i128>>,
    held: BTreeMap<(Value, TimeWindow), BTreeMap<Id, i128>>,
}

impl Took {
    fn of(run: &RunResult, name: &str, agg: Aggregate) -> Result<Took, &'static str> {
        let completed: BTreeSet<ckptsim::CheckpointId> = run.completed_offsets.keys().copied().collect();
        let cut_before = crate::check::windows::cut_counts(run, |c| completed.contains(&c));
        let mut position: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
        let mut t = Took { all: BTreeMap::new(), held: BTreeMap::new() };
        for r in run.window_assignments.iter().filter(|r| r.operator == name) {
            let p = position.entry((r.task, r.attempt)).or_default();
            let cut = cut_before.get(&(r.task, r.attempt)).is_some_and(|c| *c > *p);
            *p += 1;
            let n = crate::check::windows::number(&r.value);
            if n < 0 && agg == Aggregate::Sum {
                return Err("window on the side branch before the join: an element with a negative number (a sum bounds nothing)");
            }
            let x = if agg == Aggregate::Count { 1 } else { i128::from(n) };
            let id = (r.lineage.input_seq, r.lineage.sub);
            for win in &r.windows {
                let k = (key_of(&r.value), *win);
                t.all.entry(k.clone()).or_default().insert(id, x);
                if cut {
                    t.held.entry(k).or_default().insert(id, x);
                }
            }
        }
        Ok(t)
    }
}

/// What the late-fed join recorded: its name, its tasks' rows in time order, each attempt's
/// restored checkpoint in deployment order, and its snapshots' cuts of the record.
pub(super) struct JoinRecord<'a> {
    pub name: &'a str,
    pub record: &'a [&'a JoinRow],
    pub restores: &'a [(ckptsim::TaskId, ckptsim::Attempt, Option<ckptsim::CheckpointId>)],
    pub cuts: &'a [(ckptsim::TaskId, ckptsim::Attempt, ckptsim::CheckpointId, u64)],
}

/// Each row of `record` with its position in its attempt's record (the snapshot cuts count them).
pub(super) fn positions<'a>(record: &'a [&'a JoinRow]) -> impl Iterator<Item = (u64, &'a JoinRow)> + 'a {
    let mut at: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    record.iter().map(move |r| {
        let p = at.entry((r.task, r.attempt)).or_default();
        *p += 1;
        (*p - 1, *r)
    })
}

/// The join's final history: per task, its last attempt's rows, the rows of the attempt whose
/// snapshot that attempt restored up to that snapshot's cut, and so on back to an attempt that
/// started empty; by (task, attempt, position). None when a restored cut was taken by no
/// recorded attempt.
pub(super) fn final_history(join: &JoinRecord<'_>) -> Option<BTreeSet<(ckptsim::TaskId, ckptsim::Attempt, u64)>> {
    let mut last: BTreeMap<ckptsim::TaskId, ckptsim::Attempt> = BTreeMap::new();
    let mut from: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), Option<ckptsim::CheckpointId>> = BTreeMap::new();
    for (t, a, c) in join.restores {
        last.insert(*t, *a);
        from.insert((*t, *a), *c);
    }
    let mut length: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for r in join.record {
        *length.entry((r.task, r.attempt)).or_default() += 1;
        // An attempt with rows but no recorded deployment: where it started is unknown.
        if !from.contains_key(&(r.task, r.attempt)) {
            return None;
        }
    }
    let mut kept = BTreeSet::new();
    for (task, attempt) in last {
        let (mut a, mut upto) = (attempt, u64::MAX);
        // Each step goes to an earlier attempt: at most as many steps as attempts.
        for _ in 0..=join.restores.len() {
            let n = length.get(&(task, a)).copied().unwrap_or(0).min(upto);
            kept.extend((0..n).map(|p| (task, a, p)));
            let Some(c) = from.get(&(task, a)).copied().flatten() else { break };
            let (_, prev, _, cut) = join.cuts.iter().find(|(t, b, k, _)| *t == task && *k == c && *b != a)?;
            (a, upto) = (*prev, *cut);
        }
    }
    Some(kept)
}

/// Whether an input of the join `join` carries an event-time window's results (the window on
/// its one-input path, or a window on its late side branch): a window's firings of one (key,
/// window) share a lineage (its smallest element's), so one pair lineage can be emitted by
/// several firings (a late-but-allowed firing, a window fired again after a restore).
pub(super) fn reads_window_results(spec: &JobSpec, join: usize) -> bool {
    spec.op_inputs(join).into_iter().any(|i| {
        let mut o = i;
        loop {
            if matches!(spec.operators[o].kind, OpKind::EventWindow(_)) {
                return true;
            }
            if spec.operators[o].late_input {
                return false;
            }
            let ins = spec.op_inputs(o);
            let [up] = ins.as_slice() else { return false };
            o = *up;
        }
    })
}

/// Per pair, how many times the join's final history ([`final_history`]) emitted it; None when
/// the final history is unknown.
pub(super) fn final_emissions(join: &JoinRecord<'_>) -> Option<BTreeMap<Id, usize>> {
    let kept = final_history(join)?;
    let mut n: BTreeMap<Id, usize> = BTreeMap::new();
    for (p, r) in positions(join.record) {
        if r.event == JoinEvent::Emitted && kept.contains(&(r.task, r.attempt, p)) {
            *n.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::test_runs::{planted_and_correct, scenario_run, verdict_of};

    /// The kinds of the `exactly-once` findings of `run`.
    fn kinds(spec: &JobSpec, run: &RunResult) -> Vec<String> {
        verdict_of(spec, run, "exactly-once").anomalies.into_iter().filter_map(|f| f.kind).collect()
    }

    /// The side of the join `Join` that reads `LateWindow`'s results.
    fn window_side(spec: &JobSpec) -> u32 {
        let join = spec.operators.iter().position(|o| o.name == "Join").expect("the join");
        spec.late_fed_join(join).expect("a late-fed join").1 as u32
    }

    /// `eventtime/late-window-into-join-2pc` (seed 1) passes `exactly-once` with the side
    /// window judged (not skipped). A value received from `LateWindow` raised above what any
    /// attempt of it took is `late-join-window-result`; every result of one held (key, window)
    /// taken out of the join's record is `late-join-window-lost` (and the rows it made are then
    /// phantoms of no emission, which the test leaves in: only the window rule is asserted).
    #[test]
    fn side_window_results_are_followed_into_the_join() {
        let (spec, run) = scenario_run("eventtime/late-window-into-join-2pc.toml", 1);
        let v = verdict_of(&spec, &run, "exactly-once");
        assert_eq!(v.passed, Some(true), "{}: {:?}", v.summary, v.anomalies);
        assert!(v.summary.contains("`LateWindow` before the join: "), "{}", v.summary);
        assert!(!v.summary.contains("lost not judged"), "{}", v.summary);
        let side = window_side(&spec);
        let on_side = |r: &JoinRow| matches!(r.event, JoinEvent::Took(s) | JoinEvent::Late(s) if s == side);
        let i = run.join_judgments.iter().position(on_side).expect("a result received from the side window");
        let mut raised = run.clone();
        let r = &mut raised.join_judgments[i];
        let (k, n) = (key_of(&r.value), crate::check::windows::number(&r.value));
        r.value = Value::Pair(std::sync::Arc::from(k.to_string().as_str()), n + 100);
        assert_eq!(kinds(&spec, &raised), vec!["late-join-window-result"]);
        // A received result of a (key, window) a completed checkpoint holds elements of.
        let took = Took::of(&run, "LateWindow", Aggregate::Sum).expect("non-negative numbers");
        let held = |r: &JoinRow| {
            r.timestamp
                .is_some_and(|ts| took.held.keys().any(|(k, w)| *k == key_of(&r.value) && w.max_timestamp() == ts))
        };
        let r = run.join_judgments.iter().find(|r| on_side(r) && held(r)).expect("a result of a held window");
        let (key, ts) = (key_of(&r.value), r.timestamp);
        let mut lost = run.clone();
        lost.join_judgments.retain(|r| !(on_side(r) && key_of(&r.value) == key && r.timestamp == ts));
        let found = kinds(&spec, &lost);
        assert!(found.contains(&"late-join-window-lost".to_owned()), "{found:?}");
    }

    /// Plain seed 3 of `eventtime/late-window-into-join-2pc` commits one pair lineage three
    /// times, once per firing of the first window's (key, window) (a late-but-allowed firing
    /// shares the lineage of the first), each emitted in the join's final history: no
    /// `late-join-doubled` (the rule before session 39 named it). A fourth commit of that row
    /// is doubled.
    #[test]
    fn a_pair_of_window_results_may_commit_once_per_firing() {
        let (spec, run) = scenario_run("eventtime/late-window-into-join-2pc.toml", 3);
        assert_eq!(kinds(&spec, &run), Vec::<String>::new());
        let mut per: BTreeMap<Id, usize> = BTreeMap::new();
        for r in run.committed.iter() {
            *per.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
        }
        let (id, n) = per.iter().max_by_key(|(_, n)| **n).map(|(id, n)| (*id, *n)).expect("a committed row");
        assert!(n > 1, "a pair committed more than once: {per:?}");
        let row = run.committed.iter().find(|r| (r.lineage.input_seq, r.lineage.sub) == id).expect("its row");
        let mut again = run.clone();
        again.committed.push(row.clone());
        assert_eq!(kinds(&spec, &again), vec!["late-join-doubled"]);
    }

    /// The plant `side-window-state-not-restored` (seed 1 of its negative scenario) is named by
    /// `late-join-window-lost`; the same job under the correct protocol passes.
    #[test]
    fn a_side_window_restored_empty_is_lost_at_the_join() {
        let [(spec, planted), (correct_spec, correct)] =
            planted_and_correct("negative/side-window-state-not-restored.toml");
        assert!(kinds(&spec, &planted).iter().any(|k| k == "late-join-window-lost"), "{:?}", kinds(&spec, &planted));
        assert_eq!(kinds(&correct_spec, &correct), Vec::<String>::new());
    }
}
