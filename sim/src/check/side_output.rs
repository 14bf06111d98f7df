//! The late side output as a stream (semantics §11.8): the sink of a branch that reads an event-time window's late side output (`W.late`) judged by `exactly-once` (2PC sink) or `at-least-once` (print sink) against the late elements the run recorded per window attempt.
//!
//! Whether an element is late depends on the window task's watermark, which no checkpoint holds
//! (Flink's `WindowOperator` restores contents and timers, the watermark starts at
//! `Long.MIN_VALUE`), so no fault-free fold can say which elements the side output gets. The
//! run records every element an attempt's window sent to its side output
//! (`RunResult::late_records`, the core's `TaskOutput::LateRecord`); the rules read that record:
//!
//! * every row of the side sink is one of those elements, through the branch's functions
//!   (`late-phantom`);
//! * under exactly-once checkpoints with a two-phase-commit sink no element's row is committed
//!   twice (`late-duplicate`);
//! * an element a completed checkpoint covers is in the sink's output by the end
//!   (`late-lost`). It is covered when the window task's snapshot of that checkpoint in the
//!   same attempt was cut after sending it (`RunResult::late_snapshots`): it left ahead of the barrier on the side edge, so the
//!   checkpoint's cut holds it downstream (processed, or in-flight channel state when
//!   unaligned: then a later completed checkpoint is also needed), and a restore from that
//!   checkpoint or a later one never replays its input. For a 2PC sink the checkpoint must be
//!   at or below the sink commit horizon (and the later one too, when unaligned).
//!
//! Session 40: the record is kept per window (`RunResult::late_records` and `late_snapshots`
//! per sending operator, `world/late_record.rs`), and each rule reads the window whose side
//! output the branch reads (two windows beside each other each have their own branch).
//! Session 42: a union of two late side branches (two windows' late elements in one sink) is
//! judged gate by gate: `check/graph.rs` (`late_union_verdicts`) splits the sink's rows by the
//! union's gate tag and calls [`late_branch`] once per gate, in a view where the union reads
//! that gate alone. Not posed: a connect of two late side branches or a union of them with a
//! third input (the loader refuses both, `validate_graph.rs`). Session 43: a union of one late
//! side branch (a window's or an interval join's) with two or more other inputs splits the same
//! way (`check/graph.rs` `split_by_gate`), its late gate judged here.

use super::*;
use ckptsim::operator::{Operator, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::TaskId;

/// What a side branch's sink is judged against: per lineage the values its late elements become.
struct Expected {
    values: BTreeMap<LineageKey, BTreeSet<Value>>,
    /// The lineages of each covered late element's rows (with the element's time, input).
    due: Vec<(u64, u64, Vec<LineageKey>)>,
    late: usize,
    /// The branch's keyed aggregate (its position), if it has one.
    keyed: Option<usize>,
    /// Its function, when keyed.
    aggregate: ckptsim::operator::Aggregate,
    /// When keyed: per lineage, the record that reaches the aggregate.
    at_aggregate: BTreeMap<LineageKey, Record>,
}

/// The `exactly-once`, `at-least-once` and `state` verdicts of side-branch sink `sink` fed by
/// the late side output of window `window`. `rows`: the run restricted to that sink's rows.
pub(super) fn late_branch(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    sink: usize,
    window: usize,
) -> [Verdict; 3] {
    let two_pc = matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink);
    let (name, other) = if two_pc { ("exactly-once", "at-least-once") } else { ("at-least-once", "exactly-once") };
    let other_skip = Verdict::skip(
        other,
        if two_pc { "late side branch: judged by exactly-once" } else { "late side branch: no two-phase-commit sink" },
    );
    let judged = if two_pc {
        judge(spec, run, &rows.committed, sink, window, true)
    } else {
        judge(spec, run, &rows.print_rows, sink, window, false)
    };
    let verdict = match &judged {
        Ok((anomalies, summary, _)) => Verdict::from(name, anomalies.clone(), summary.clone()),
        Err(why) => Verdict::skip(name, why),
    };
    let state = match judged {
        Ok((_, _, Some((anomalies, summary)))) => Verdict::from("state", anomalies, summary),
        Ok((_, _, None)) => Verdict::skip("state", "late side branch: no keyed state"),
        Err(why) => Verdict::skip("state", why),
    };
    if two_pc {
        [verdict, other_skip, state]
    } else {
        [other_skip, verdict, state]
    }
}

/// A keyed side branch's `state` verdict: anomalies and summary.
type StateJudged = Option<(Vec<Finding>, String)>;

/// The side sink's rows against the recorded late elements: anomalies and the summary.
fn judge(
    spec: &JobSpec,
    run: &RunResult,
    rows: &Rows,
    sink: usize,
    window: usize,
    two_pc: bool,
) -> Result<(Vec<Finding>, String, StateJudged), &'static str> {
    if !replayable(spec) {
        return Err("late side branch: non-replayable source");
    }
    let exp = expected(spec, run, sink, window);
    let mut counts: BTreeMap<LineageKey, usize> = BTreeMap::new();
    let mut anomalies = Vec::new();
    for r in rows.iter() {
        let key = (r.lineage.input_seq, r.lineage.sub);
        *counts.entry(key).or_default() += 1;
        // Behind a keyed aggregate a row's value depends on the key's state: only its lineage
        // is judged here, its value by the `state` rule.
        let known = exp.values.get(&key).is_some_and(|v| exp.keyed.is_some() || v.contains(&r.value));
        if !known {
            anomalies.push(
                Finding::new(
                    "late-phantom",
                    format!(
                        "late phantom: t={} input #{} (sub {}) {} reached the late side branch's sink, but no window \
                         attempt sent that element to its late side output",
                        r.time_ms, r.lineage.input_seq, r.lineage.sub, r.value
                    ),
                )
                .at(r.time_ms)
                .with("input", r.lineage.input_seq),
            );
        }
    }
    let exactly_once = two_pc
        && spec.checkpoint.mode == ckptsim::config::CheckpointingMode::ExactlyOnce
        && spec.checkpoint.periodic_enabled();
    if exactly_once {
        for (&(seq, sub), &n) in counts.iter().filter(|(_, n)| **n > 1) {
            anomalies.push(
                Finding::new(
                    "late-duplicate",
                    format!("late duplicate: input #{seq} (sub {sub}) committed {n} times by the late side branch"),
                )
                .with("input", seq),
            );
        }
    }
    let healthy = matches!(run.final_status, JobStatus::Running | JobStatus::Finished);
    if healthy {
        for (time_ms, seq, keys) in &exp.due {
            if let Some(k) = keys.iter().find(|k| !counts.contains_key(*k)) {
                anomalies.push(
                    Finding::new(
                        "late-lost",
                        format!(
                            "late lost: t={time_ms} input #{seq} (sub {}) went to the late side output before a \
                             checkpoint that completed covered it, and never reached the late side branch's sink",
                            k.1
                        ),
                    )
                    .at(*time_ms)
                    .with("input", *seq),
                );
            }
        }
    }
    let summary = format!(
        "late side branch: {} rows {} for {} late elements recorded, {} of them covered by a completed checkpoint{}",
        rows.len(),
        if two_pc { "committed" } else { "printed" },
        exp.late,
        exp.due.len(),
        if healthy { "" } else { " (not judged: the job did not end healthy)" }
    );
    let state = exp.keyed.map(|agg| {
        if !exactly_once {
            return (
                Vec::new(),
                "late side branch: keyed values not judged (no exactly-once two-phase-commit sink)".into(),
            );
        }
        keyed_state(spec, run, rows, &exp, sink, agg)
    });
    Ok((anomalies, summary, state))
}

/// The `late-state` rule on a keyed side branch with a two-phase-commit sink under exactly-once
/// checkpoints: the committed rows, in commit order, replay the keyed aggregate. Every committed
/// row is one late element (its lineage); feeding those elements, in the order their rows were
/// committed, through the branch's functions into a fresh aggregate must give every committed
/// value: a key's state in a checkpoint holds exactly the elements whose rows that checkpoint's
/// transactions commit. Judged only when every row of a key reaches the sink in its aggregate's
/// order: the aggregate, the maps after it and the sink forward-connected with one parallelism,
/// and no rescale (a key stays on one sink subtask, whose transactions commit in order).
fn keyed_state(
    spec: &JobSpec,
    run: &RunResult,
    rows: &Rows,
    exp: &Expected,
    sink: usize,
    agg: usize,
) -> (Vec<Finding>, String) {
    let p = spec.operators[agg].parallelism;
    let forward = branch(spec, sink).into_iter().take_while(|&o| o != agg).all(|o| spec.operators[o].parallelism == p);
    if !forward || !run.rescales.is_empty() {
        return (
            Vec::new(),
            "late side branch: keyed values not judged (a key's rows may commit on several sink subtasks)".into(),
        );
    }
    let (_, post) = split_at_aggregate(spec, sink);
    let what = ("late-state", "late state", "by the late side branch", "the keyed state behind the side output");
    let (anomalies, judged) = replay_aggregate(rows, &exp.at_aggregate, exp.aggregate, post, what);
    (anomalies, format!("late side branch: {judged} committed keyed values replay the aggregate in commit order"))
}

/// The committed rows of a keyed aggregate's sink, in commit order, replayed through a fresh
/// aggregate and the maps after it (`post`): every committed value must be what the rows
/// committed before it give. `at_aggregate`: per lineage, the record that reaches the aggregate
/// (rows of other lineages are left to the phantom rules). Shared by a keyed side branch
/// (`late-state`) and a keyed aggregate behind a late-fed join (session 35, `late-join-state`):
/// `(kind, label, by, state)` name the finding and what holds the state. Returns the findings
/// and how many rows were judged.
pub(in crate::check) fn replay_aggregate(
    rows: &Rows,
    at_aggregate: &BTreeMap<LineageKey, Record>,
    function: ckptsim::operator::Aggregate,
    post: Vec<OperatorKind>,
    (kind, label, by, state): (&'static str, &str, &str, &str),
) -> (Vec<Finding>, usize) {
    let mut aggregate = Operator::new(OperatorKind::KeyedAggregate(function), vec![]);
    let mut chain: Vec<Operator> = post.into_iter().map(|k| Operator::new(k, vec![])).collect();
    let mut counters = SurvivingCounters::default();
    let mut anomalies = Vec::new();
    let mut judged = 0usize;
    for r in rows.iter() {
        let Some(rec) = at_aggregate.get(&(r.lineage.input_seq, r.lineage.sub)) else { continue };
        let ops = std::iter::once(&mut aggregate).chain(chain.iter_mut());
        let (cur, _) = super::records_through(ops, &mut counters, vec![rec.clone()], "keyed-replay");
        judged += 1;
        if !cur.iter().any(|x| x.value == r.value) {
            let want = cur.first().map_or_else(|| "nothing".to_owned(), |x| x.value.to_string());
            anomalies.push(
                Finding::new(
                    kind,
                    format!(
                        "{label}: t={} input #{} (sub {}) committed {} {by}, but the rows committed before it give \
                         {want}: {state} lost or double-counted an element",
                        r.time_ms, r.lineage.input_seq, r.lineage.sub, r.value
                    ),
                )
                .at(r.time_ms)
                .with("input", r.lineage.input_seq),
            );
        }
    }
    (anomalies, judged)
}

/// The late elements of `window`'s tasks through the branch's operators, and which are due.
fn expected(spec: &JobSpec, run: &RunResult, sink: usize, window: usize) -> Expected {
    let (pre, post) = split_at_aggregate(spec, sink);
    let keyed = aggregate_of(spec, sink);
    let aggregate = match keyed.map(|a| &spec.operators[a].kind) {
        Some(OpKind::Aggregate(a)) => *a,
        _ => ckptsim::operator::Aggregate::Sum,
    };
    let mut pre: Vec<Operator> = pre.into_iter().map(|k| Operator::new(k, vec![])).collect();
    // The lineages a keyed branch gives: the aggregate keeps each record's lineage, and only
    // maps follow it (validation), so no aggregate runs here.
    let post: Vec<Operator> = post.into_iter().map(|k| Operator::new(k, vec![])).collect();
    let mut chain = if keyed.is_some() { Vec::new() } else { post };
    let covered = covering(spec, run, window, matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink));
    let mut exp =
        Expected { values: BTreeMap::new(), due: Vec::new(), late: 0, keyed, aggregate, at_aggregate: BTreeMap::new() };
    let mut counters = SurvivingCounters::default();
    // Each late element's position among its attempt's (the world records them in order).
    let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    // Which side output the branch reads (`OutputRow::sink` of a late record): the window's,
    // or one side's of an interval join (session 34). The position counts every side's.
    let tag = branch(spec, sink).last().and_then(|o| spec.operators[*o].late_side).map_or(0, |s| s + 1);
    // Session 40: the window's own record (until then the run's, filtered by its tasks).
    for r in run.late_records.of(window) {
        let index = sent.entry((r.task, r.attempt)).or_default();
        let position = *index;
        *index += 1;
        if r.sink != tag {
            continue;
        }
        exp.late += 1;
        let mut rec = Record::new(r.value.clone(), Lineage { input_seq: r.lineage.input_seq, sub: r.lineage.sub });
        rec.timestamp = r.timestamp;
        let ops = pre.iter_mut().chain(chain.iter_mut());
        let (cur, _) = super::records_through(ops, &mut counters, vec![rec], "late-branch");
        let keys: Vec<LineageKey> = cur.iter().map(|x| (x.lineage.input_seq, x.lineage.sub)).collect();
        for x in cur {
            if keyed.is_some() {
                exp.at_aggregate.insert((x.lineage.input_seq, x.lineage.sub), x.clone());
            }
            exp.values.entry((x.lineage.input_seq, x.lineage.sub)).or_default().insert(x.value);
        }
        if covered(r.task, r.attempt, position) && !keys.is_empty() {
            exp.due.push((r.time_ms, r.lineage.input_seq, keys));
        }
    }
    exp
}

/// The operators of `sink`'s side branch, from `sink` up its single inputs to the one that
/// takes the side output (`late_input`) included, or to where an operator has several inputs:
/// through a union or connect by its late side output's gate (`JobSpec::side_gate`, session
/// 27), ending there when it reads `W.late` itself.
fn branch(spec: &JobSpec, sink: usize) -> Vec<usize> {
    let mut ops = vec![sink];
    let mut o = sink;
    while !spec.operators[o].late_input {
        let ins = spec.op_inputs(o);
        o = match (ins.as_slice(), spec.side_gate(o)) {
            ([up], _) => *up,
            (_, Some(g)) if spec.operators[o].late_gate != Some(g) => ins[g as usize],
            _ => break,
        };
        ops.push(o);
    }
    ops
}

/// The stateless functions from the side output to `sink`, in order, split at the branch's
/// keyed aggregate (all before it when it has none). Validation allows map, filter, flat_map,
/// partitionings and one keyed aggregate there, only maps after the aggregate.
fn split_at_aggregate(spec: &JobSpec, sink: usize) -> (Vec<OperatorKind>, Vec<OperatorKind>) {
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut seen_aggregate = aggregate_of(spec, sink).is_none();
    for o in branch(spec, sink) {
        let out = if seen_aggregate { &mut before } else { &mut after };
        match &spec.operators[o].kind {
            OpKind::Map(u) => out.push(OperatorKind::Map(*u)),
            OpKind::FlatMap(u) => out.push(OperatorKind::FlatMap(*u)),
            OpKind::Filter(u) => out.push(OperatorKind::Filter(*u)),
            OpKind::Aggregate(_) => seen_aggregate = true,
            // A connect's late gate applies that gate's function (session 27).
            OpKind::Connect(a, b) => out.push(OperatorKind::Map(if spec.side_gate(o) == Some(0) { *a } else { *b })),
            _ => {}
        }
    }
    before.reverse();
    after.reverse();
    (before, after)
}

/// The stateless functions on the side branch that ends at operator `last` (the late input of
/// a join fed by a late side output, session 31), from the side output on, in order: a join's
/// branch holds map, filter, flat_map and partitionings only (validation).
pub(in crate::check) fn side_functions(spec: &JobSpec, last: usize) -> Vec<OperatorKind> {
    split_at_aggregate(spec, last).0
}

/// The keyed aggregate on the side branch that ends at operator `last` (the late input of a
/// join fed by a late side output, session 36) and the maps between it and `last`, if it has one.
pub(in crate::check) fn branch_aggregate(
    spec: &JobSpec,
    last: usize,
) -> Option<(ckptsim::operator::Aggregate, Vec<OperatorKind>)> {
    let OpKind::Aggregate(a) = spec.operators[aggregate_of(spec, last)?].kind else { return None };
    Some((a, split_at_aggregate(spec, last).1))
}

/// The keyed aggregate on the side branch of `sink`, if any.
pub(super) fn aggregate_of(spec: &JobSpec, sink: usize) -> Option<usize> {
    branch(spec, sink).into_iter().find(|&o| matches!(spec.operators[o].kind, OpKind::Aggregate(_)))
}

/// Whether the `position`-th late element sent by `window`'s task `task` in `attempt` is
/// covered: the cut of that attempt's snapshot of a completed checkpoint (for a 2PC sink one at
/// or below the sink commit horizon) came after it; unaligned, a later completed checkpoint
/// within the same bound as well. Session 40: `window`'s own cuts (`RunResult::late_snapshots`
/// per operator), so two windows' late elements are counted apart.
pub(super) fn covering<'a>(
    spec: &JobSpec,
    run: &'a RunResult,
    window: usize,
    two_pc: bool,
) -> impl Fn(TaskId, ckptsim::Attempt, u64) -> bool + 'a {
    let by = covering_checkpoint(spec, run, window, two_pc);
    move |task, attempt, position| by(task, attempt, position).is_some()
}

/// The first checkpoint that covers the `position`-th late element of `task`'s `attempt`
/// ([`covering`]), if one does.
fn covering_checkpoint<'a>(
    spec: &JobSpec,
    run: &'a RunResult,
    window: usize,
    two_pc: bool,
) -> impl Fn(TaskId, ckptsim::Attempt, u64) -> Option<ckptsim::CheckpointId> + 'a {
    let bound = if two_pc { run.sink_commit_horizon } else { run.completed_offsets.keys().next_back().copied() };
    let completed: BTreeSet<ckptsim::CheckpointId> =
        run.completed_offsets.keys().copied().filter(|c| bound.is_some_and(|b| *c <= b)).collect();
    let unaligned = spec.checkpoint.unaligned;
    move |task, attempt, position| {
        run.late_snapshots
            .of(window)
            .iter()
            .filter(|s| {
                s.task == task
                    && s.attempt == attempt
                    && s.late_before > position
                    && completed.contains(&s.checkpoint)
                    && (!unaligned || completed.range(s.checkpoint..).nth(1).is_some())
            })
            .map(|s| s.checkpoint)
            .min()
    }
}

/// The interval join whose joined rows sink `sink` reads with their pair lineages (through
/// partitionings, maps and filters), when some operator reads one of its late side outputs
/// (session 34).
fn join_with_late_outputs(spec: &JobSpec, sink: usize) -> Option<usize> {
    let mut o = sink;
    loop {
        let ins = spec.op_inputs(o);
        let [up] = ins.as_slice() else { return None };
        if spec.operators[o].late_input {
            return None;
        }
        match &spec.operators[*up].kind {
            OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { .. }) => {
                let read = (0..spec.operators.len())
                    .any(|c| spec.operators[c].late_side.is_some() && spec.op_inputs(c) == [*up]);
                return read.then_some(*up);
            }
            k if k.is_partitioning() || matches!(k, OpKind::Map(_) | OpKind::Filter(_)) => o = *up,
            _ => return None,
        }
    }
}

/// The `late-in-both` rule on an interval join's late side outputs (session 34), added to the
/// `exactly-once` verdict `v` of the join's two-phase-commit sink `sink` under exactly-once
/// checkpoints: no committed joined row names an element that a completed checkpoint holds as
/// sent to a side output (`covering`: the join task's snapshot cut after sending it). Flink's
/// `IntervalJoinOperator#processElement` returns after `sideOutput`, so the attempt that sent it
/// never joined it; a restore from that checkpoint or a later one never replays it; and an
/// earlier attempt's rows after the checkpoint it was restored from were never committed. Rows
/// whose pair is composite (joins in a row) are not judged. Session 36: also the `at-least-once`
/// verdict of a print sink, on the rows printed after a restore from the covering checkpoint or
/// a later one (no attempt that prints them holds the element: its input lies before the cut,
/// and the attempt that judged it late never buffered it), without rescale or stop.
pub(super) fn with_join_late_in_both(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    sink: usize,
    v: Verdict,
) -> Verdict {
    let exactly_once =
        spec.checkpoint.mode == ckptsim::config::CheckpointingMode::ExactlyOnce && spec.checkpoint.periodic_enabled();
    let two_pc = matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink) && v.checker == "exactly-once";
    // A print sink (session 36, as the union sinks of session 29): only rows printed after a
    // restore from the covering checkpoint or a later one (rows before it may come from an
    // attempt that took the element before a restore replayed it and judged it late), so no
    // rescale or stop.
    let printed = matches!(spec.operators[sink].kind, OpKind::PrintSink)
        && run.rescales.is_empty()
        && run.stops.is_empty()
        && v.checker == "at-least-once";
    let Some(join) =
        join_with_late_outputs(spec, sink).filter(|_| (two_pc || printed) && exactly_once && v.passed.is_some())
    else {
        return v;
    };
    let covered = covering_checkpoint(spec, run, join, two_pc);
    // (side, input) of every late element a completed checkpoint holds as sent, with the first
    // such checkpoint.
    let mut held: BTreeMap<(u64, u64), ckptsim::CheckpointId> = BTreeMap::new();
    let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for r in run.late_records.of(join) {
        let position = sent.entry((r.task, r.attempt)).or_default();
        if let Some(c) = covered(r.task, r.attempt, *position).filter(|_| r.sink > 0 && r.lineage.sub == 0) {
            let e = held.entry((u64::from(r.sink - 1), r.lineage.input_seq)).or_insert(c);
            *e = (*e).min(c);
        }
        *position += 1;
    }
    let mut anomalies = v.anomalies;
    let mut judged = 0usize;
    let sink_rows = if two_pc { &rows.committed } else { &rows.print_rows };
    for r in sink_rows.iter().filter(|r| !ckptsim::join::is_composite(r.lineage)) {
        let restored = run.restores.iter().rfind(|x| x.at_ms < r.time_ms).and_then(|x| x.checkpoint);
        let judged_by = |c: &ckptsim::CheckpointId| two_pc || restored.is_some_and(|at| *c <= at);
        judged += 1;
        let (left, right) = ckptsim::join::pair_of(r.lineage);
        let both = [(0, left), (1, right)].into_iter().find(|e| held.get(e).is_some_and(judged_by));
        if let Some((side, seq)) = both {
            anomalies.push(
                Finding::new(
                    "late-in-both",
                    format!(
                        "late in both: t={} the {} joined row {} names {} input #{seq}, which `{}` sent to its \
                         late side output before a completed checkpoint's cut{}",
                        r.time_ms,
                        if two_pc { "committed" } else { "printed" },
                        r.value,
                        if side == 0 { "left" } else { "right" },
                        spec.operators[join].name,
                        if two_pc { "" } else { " (printed after a restore from that checkpoint or a later one)" }
                    ),
                )
                .at(r.time_ms)
                .with("input", seq),
            );
        }
    }
    let summary = format!(
        "{}; late-in-both: {judged} {} joined rows, {} late elements held as sent",
        v.summary,
        if two_pc { "committed" } else { "printed" },
        held.len()
    );
    Verdict::from(v.checker, anomalies, summary)
}

/// Whether the sink reads the window's results unchanged: only partitionings and identity maps
/// between them (session 29: a union with the window's own late side output is an identity map
/// in the view of the sink's window rows, `graph.rs` `sink_view`).
fn reads_window_unchanged(spec: &JobSpec, window: usize, sink: usize) -> bool {
    let mut o = sink;
    loop {
        let ins = spec.op_inputs(o);
        let [up] = ins.as_slice() else { return false };
        if *up == window {
            return true;
        }
        let kind = &spec.operators[*up].kind;
        if !kind.is_partitioning() && !matches!(kind, OpKind::Map(ckptsim::operator::Udf::Identity)) {
            return false;
        }
        o = *up;
    }
}

/// The `late-in-both` rule (session 23, part of the `windows` checker): no element is both in
/// its window's committed result and in the late side output. Flink's
/// `WindowOperator#processElement` side-outputs an element only when every window skipped it
/// (`isSkippedElement && isElementLate`), so on the run's own record an element that a
/// completed checkpoint holds as sent to the side output (`covering`: the window task's
/// snapshot cut after sending it; a restore from that checkpoint or a later one never replays
/// its input, and no earlier attempt's window state survives into a committed result after it)
/// is in no committed window result. For a tumbling, non-purging `sum` or `count` window whose
/// results reach a two-phase-commit sink unchanged under exactly-once checkpoints, every
/// committed result of (key, window) is at most the aggregate of the window's elements without
/// those (elements of a non-negative number only). Returns the anomalies and how many committed
/// results were judged; None when the rule does not apply.
pub(super) fn late_in_both(
    spec: &JobSpec,
    run: &RunResult,
    window: usize,
    sink: usize,
    rows: &Rows,
) -> Option<(Vec<Finding>, usize)> {
    use ckptsim::window::{WindowAssigner, WindowTime};
    let OpKind::EventWindow(w) = &spec.operators[window].kind else { return None };
    let WindowAssigner::Tumbling { size_ms, .. } = w.assigner else { return None };
    let count = match w.aggregate {
        ckptsim::operator::Aggregate::Count => true,
        ckptsim::operator::Aggregate::Sum => false,
        _ => return None,
    };
    // A print sink (session 29): judged only on rows printed after a restore from a checkpoint
    // at or after the one that covers the element (rows before it may come from an attempt that
    // took the element before a restore replayed it as late), so no rescale or stop.
    let printed = matches!(spec.operators[sink].kind, OpKind::PrintSink);
    let exactly_once = (matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink)
        || (printed && run.rescales.is_empty() && run.stops.is_empty()))
        && spec.checkpoint.mode == ckptsim::config::CheckpointingMode::ExactlyOnce
        && spec.checkpoint.periodic_enabled();
    if !w.late_side_output || w.purging || w.time != WindowTime::Event || !exactly_once {
        return None;
    }
    if !reads_window_unchanged(spec, window, sink) {
        return None;
    }
    let (wref, _) = super::windows::reference(spec)?;

    let number = |v: &Value| if count { 1 } else { super::windows::number(v) };
    // Per (key, window): the distinct elements a completed checkpoint holds as side-output.
    let covered = covering_checkpoint(spec, run, window, false);
    let mut due: BTreeMap<(Value, ckptsim::window::TimeWindow), BTreeMap<LineageKey, (i64, ckptsim::CheckpointId)>> =
        BTreeMap::new();
    let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for r in run.late_records.of(window) {
        let index = sent.entry((r.task, r.attempt)).or_default();
        let position = *index;
        *index += 1;
        let Some(ts) = r.timestamp else { continue };
        if let Some(c) = covered(r.task, r.attempt, position) {
            for win in w.assigner.assign(ts) {
                let e = due.entry((key_of(&r.value), win)).or_default();
                e.entry((r.lineage.input_seq, r.lineage.sub)).or_insert((number(&r.value), c));
            }
        }
    }
    let mut anomalies = Vec::new();
    let mut judged = 0;
    let mut ignored = Vec::new();
    for r in rows.iter() {
        let Some(kw) = super::windows::row_window(&r, size_ms as i64, &mut ignored) else { continue };
        let (Some(elems), Some(side)) = (wref.get(&kw), due.get(&kw)) else { continue };
        // Printed: only the elements a checkpoint at or before the last restore ahead of the row covers.
        let restored = run.restores.iter().rfind(|x| x.at_ms < r.time_ms).and_then(|x| x.checkpoint);
        let side: BTreeMap<&LineageKey, i64> = side
            .iter()
            .filter(|(_, (_, c))| !printed || restored.is_some_and(|at| *c <= at))
            .map(|(k, (n, _))| (k, *n))
            .collect();
        if side.is_empty() {
            continue;
        }
        let numbers: Vec<i64> = elems.iter().map(|e| if count { 1 } else { e.number }).collect();
        if numbers.iter().any(|n| *n < 0) {
            continue;
        }
        judged += 1;
        let all: i128 = numbers.iter().map(|n| i128::from(*n)).sum();
        let most = all - side.values().map(|n| i128::from(*n)).sum::<i128>();
        let got = i128::from(super::windows::number(&r.value));
        if got > most {
            let inputs: Vec<String> = side.keys().map(|(seq, sub)| format!("#{seq} (sub {sub})")).collect();
            anomalies.push(
                Finding::new(
                    "late-in-both",
                    format!(
                        "late in both: t={} window [{}, {}) of {} {} {}, more than the {most} its elements \
                         give without the ones a completed checkpoint holds as sent to the late side output ({}): \
                         an element is both in its window's result and in the side output",
                        r.time_ms,
                        kw.1.start,
                        kw.1.end,
                        kw.0,
                        if printed { "printed" } else { "committed" },
                        r.value,
                        inputs.join(", ")
                    ),
                )
                .at(r.time_ms),
            );
        }
    }
    Some((anomalies, judged))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side sink's `exactly-once` verdict of `run` on `eventtime/late-side-branch-2pc.toml`.
    fn side_verdict(spec: &JobSpec, run: &RunResult) -> Verdict {
        crate::check::test_runs::verdict_of(spec, run, "exactly-once")
    }

    /// A committed late row planted twice is a `late-duplicate`, one with another value a
    /// `late-phantom`; the run itself passes.
    #[test]
    fn duplicate_and_phantom_late_rows_are_named() {
        let (spec, run) = crate::check::test_runs::scenario_run("eventtime/late-side-branch-2pc.toml", 1);
        assert_eq!(side_verdict(&spec, &run).passed, Some(true), "the run itself passes");
        let row = run.committed.iter().next().expect("a committed late row");
        let mut dup = run.clone();
        dup.committed.push(row.clone());
        let v = side_verdict(&spec, &dup);
        assert!(v.anomalies.iter().any(|f| f.kind.as_deref() == Some("late-duplicate")), "{:?}", v.anomalies);
        let mut phantom = run.clone();
        phantom.committed.push(OutputRow { value: Value::str("x"), ..row });
        let v = side_verdict(&spec, &phantom);
        assert!(v.anomalies.iter().any(|f| f.kind.as_deref() == Some("late-phantom")), "{:?}", v.anomalies);
    }

    /// How many `late-in-both` findings the `windows` checker has on `scenarios/<file>` at `seed`.
    fn late_in_both(file: &str, seed: u64) -> usize {
        let (spec, run) = crate::check::test_runs::scenario_run(file, seed);
        let v = crate::check::test_runs::verdict_of(&spec, &run, "windows");
        v.anomalies.iter().filter(|f| f.kind.as_deref() == Some("late-in-both")).count()
    }

    /// The planted `late-emitted-to-both` is named `late-in-both` by the `windows` checker on
    /// `negative/late-emitted-to-both.toml` under each of 200 seeds; the correct run has none.
    #[test]
    fn late_in_both_names_the_planted_variant_only() {
        let both = late_in_both;
        assert_eq!(both("eventtime/late-not-both-2pc.toml", 1), 0);
        // On its own (the `late misjudged` rule also names the variant): every seed of 200.
        let missed: Vec<u64> = (1..=200).filter(|s| both("negative/late-emitted-to-both.toml", *s) == 0).collect();
        assert!(missed.is_empty(), "late in both missed under seeds {missed:?}");
    }

    /// A committed keyed value that does not follow the rows committed before it (the keyed
    /// state behind the side output lost an element) is a `late-state`; the run itself passes.
    #[test]
    fn keyed_late_branch_replays_the_aggregate() {
        let (spec, run) = crate::check::test_runs::scenario_run("eventtime/late-keyed-sum-2pc.toml", 1);
        let state = |run: &RunResult| crate::check::test_runs::verdict_of(&spec, run, "state");
        assert_eq!(state(&run).passed, Some(true), "the run itself passes: {:?}", state(&run).anomalies);
        let mut broken = run.clone();
        let last = broken.committed.len() - 1;
        let mut row = broken.committed.get(last).expect("a committed keyed row");
        row.value = match row.value {
            Value::Pair(k, n) => Value::Pair(k, n + 2),
            v => v,
        };
        broken.committed.set(last, row);
        let v = state(&broken);
        assert!(v.anomalies.iter().any(|f| f.kind.as_deref() == Some("late-state")), "{:?}", v.anomalies);
    }

    /// Behind a union of a window's results and its late side output (session 27) the sink's
    /// rows are split by the union's gate: a late row (gate 1) planted twice is a
    /// `late-duplicate`, one with another value a `late-phantom`, both named by `exactly-once`;
    /// a window result (gate 0) planted again is not a late row, but through gate 1 it is a
    /// `late-phantom` (no window attempt sent it to the side output).
    #[test]
    fn union_sink_rows_are_split_by_gate() {
        let (spec, run) = crate::check::test_runs::scenario_run("graphs/late-side-output-union-2pc.toml", 1);
        let verdict = |run: &RunResult, checker: &str| crate::check::test_runs::verdict_of(&spec, run, checker);
        assert_eq!(verdict(&run, "exactly-once").passed, Some(true), "the run itself passes");
        assert_eq!(verdict(&run, "windows").passed, Some(true), "the run itself passes");
        let gate = |r: &OutputRow| r.lineage.sub & ((1 << ckptsim::operator::FLAT_MAP_SUB_BITS) - 1);
        let late = run.committed.iter().find(|r| gate(r) == 1).expect("a committed late row");
        let result = run.committed.iter().find(|r| gate(r) == 0).expect("a committed window result");
        let kinds = |v: &Verdict| v.anomalies.iter().filter_map(|f| f.kind.clone()).collect::<Vec<_>>();
        let mut dup = run.clone();
        dup.committed.push(late.clone());
        assert!(kinds(&verdict(&dup, "exactly-once")).contains(&"late-duplicate".to_owned()));
        let mut phantom = run.clone();
        phantom.committed.push(OutputRow { value: Value::str("x"), ..late });
        assert!(kinds(&verdict(&phantom, "exactly-once")).contains(&"late-phantom".to_owned()));
        let mut twice = run.clone();
        twice.committed.push(result.clone());
        assert_eq!(verdict(&twice, "exactly-once").passed, Some(true), "a window result is no late row");
        // The same window result through the late gate is no recorded late element.
        let mut retagged = run.clone();
        let sub = (result.lineage.sub & !((1 << ckptsim::operator::FLAT_MAP_SUB_BITS) - 1)) | 1;
        let lineage = ckptsim::record::Lineage { sub, ..result.lineage };
        retagged.committed.push(OutputRow { lineage, ..result });
        assert!(kinds(&verdict(&retagged, "exactly-once")).contains(&"late-phantom".to_owned()));
    }

    /// Session 29: `late-in-both` judges the window rows of a union of the window with its own
    /// late side output, on a 2PC sink and on a print sink: with the planted
    /// `late-emitted-to-both` the rule names a result on some seed of each negative, and finds
    /// nothing on the same seeds of the correct jobs.
    #[test]
    fn late_in_both_judges_union_sinks() {
        for (good, bad) in [
            ("eventtime/late-not-both-union-2pc.toml", "negative/late-emitted-to-both-union.toml"),
            ("eventtime/late-not-both-union-print.toml", "negative/late-emitted-to-both-union-print.toml"),
        ] {
            let both = late_in_both;
            let seeds = 1..=20;
            assert_eq!(seeds.clone().map(|s| both(good, s)).sum::<usize>(), 0, "{good}: the correct job is clean");
            let caught = seeds.filter(|s| both(bad, *s) > 0).count();
            assert!(caught > 0, "{bad}: late-in-both named no result on seeds 1-20");
        }
    }
}
