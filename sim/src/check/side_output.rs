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

use super::*;
use crate::world::graph::Graph;
use ckptsim::operator::{Operator, OperatorContext, OperatorKind, SurvivingCounters};
use ckptsim::record::{Lineage, Record};
use ckptsim::TaskId;

/// What a side branch's sink is judged against: per lineage the values its late elements become.
struct Expected {
    values: BTreeMap<LineageKey, BTreeSet<Value>>,
    /// The lineages of each covered late element's rows (with the element's time, input).
    due: Vec<(u64, u64, Vec<LineageKey>)>,
    late: usize,
}

/// The `exactly-once` and `at-least-once` verdicts of side-branch sink `sink` fed by the late
/// side output of window `window`. `rows`: the run restricted to that sink's rows.
pub(super) fn late_branch(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    graphs: &[(u64, Graph)],
    sink: usize,
    window: usize,
) -> [Verdict; 2] {
    let two_pc = matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink);
    let (name, other) = if two_pc { ("exactly-once", "at-least-once") } else { ("at-least-once", "exactly-once") };
    let other_skip = Verdict::skip(
        other,
        if two_pc { "late side branch: judged by exactly-once" } else { "late side branch: no two-phase-commit sink" },
    );
    let judged = if two_pc {
        judge(spec, run, &rows.committed, graphs, sink, window, true)
    } else {
        judge(spec, run, &rows.print_rows, graphs, sink, window, false)
    };
    let verdict = match judged {
        Ok((anomalies, summary)) => Verdict::from(name, anomalies, summary),
        Err(why) => Verdict::skip(name, why),
    };
    if two_pc {
        [verdict, other_skip]
    } else {
        [other_skip, verdict]
    }
}

/// The side sink's rows against the recorded late elements: anomalies and the summary.
fn judge(
    spec: &JobSpec,
    run: &RunResult,
    rows: &Rows,
    graphs: &[(u64, Graph)],
    sink: usize,
    window: usize,
    two_pc: bool,
) -> Result<(Vec<Finding>, String), &'static str> {
    if !replayable(spec) {
        return Err("late side branch: non-replayable source");
    }
    let exp = expected(spec, run, graphs, sink, window);
    let mut counts: BTreeMap<LineageKey, usize> = BTreeMap::new();
    let mut anomalies = Vec::new();
    for r in rows.iter() {
        let key = (r.lineage.input_seq, r.lineage.sub);
        *counts.entry(key).or_default() += 1;
        if !exp.values.get(&key).is_some_and(|v| v.contains(&r.value)) {
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
    Ok((anomalies, summary))
}

/// The late elements of `window`'s tasks through the branch's functions, and which are due.
fn expected(spec: &JobSpec, run: &RunResult, graphs: &[(u64, Graph)], sink: usize, window: usize) -> Expected {
    let stride = u64::from(crate::world::EPOCH_STRIDE);
    let window_tasks = crate::world::graph::tasks_of_operator(graphs, window);
    let mut chain: Vec<Operator> = branch_functions(spec, sink).into_iter().map(|k| Operator::new(k, vec![])).collect();
    let covered = covering(spec, run, matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink));
    let mut exp = Expected { values: BTreeMap::new(), due: Vec::new(), late: 0 };
    let mut counters = SurvivingCounters::default();
    // Each late element's position among its attempt's (the world records them in order).
    let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for r in &run.late_records {
        let epoch = u64::from(r.attempt.0) / stride;
        let ours =
            window_tasks.iter().rev().find(|(first, _)| *first <= epoch).is_some_and(|(_, t)| t.contains(&r.task));
        if !ours {
            continue;
        }
        exp.late += 1;
        let index = sent.entry((r.task, r.attempt)).or_default();
        let position = *index;
        *index += 1;
        let mut rec = Record::new(r.value.clone(), Lineage { input_seq: r.lineage.input_seq, sub: r.lineage.sub });
        rec.timestamp = r.timestamp;
        let mut cur = vec![rec];
        for op in &mut chain {
            let mut next = Vec::new();
            for x in cur.drain(..) {
                let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "late-branch" };
                let _ = op.process(&mut ctx, x, &mut next);
            }
            cur = next;
        }
        let keys: Vec<LineageKey> = cur.iter().map(|x| (x.lineage.input_seq, x.lineage.sub)).collect();
        for x in cur {
            exp.values.entry((x.lineage.input_seq, x.lineage.sub)).or_default().insert(x.value);
        }
        if covered(r.task, r.attempt, position) && !keys.is_empty() {
            exp.due.push((r.time_ms, r.lineage.input_seq, keys));
        }
    }
    exp
}

/// The stateless functions from the side output to `sink`, in order (validation allows only
/// map, filter, flat_map and partitionings there).
fn branch_functions(spec: &JobSpec, sink: usize) -> Vec<OperatorKind> {
    let mut out = Vec::new();
    let mut o = sink;
    loop {
        match &spec.operators[o].kind {
            OpKind::Map(u) => out.push(OperatorKind::Map(*u)),
            OpKind::FlatMap(u) => out.push(OperatorKind::FlatMap(*u)),
            OpKind::Filter(u) => out.push(OperatorKind::Filter(*u)),
            _ => {}
        }
        if spec.operators[o].late_input {
            break;
        }
        let ins = spec.op_inputs(o);
        let [up] = ins.as_slice() else { break };
        o = *up;
    }
    out.reverse();
    out
}

/// Whether the `position`-th late element sent by window task `task` in `attempt` is covered:
/// the cut of that attempt's snapshot of a completed checkpoint (for a 2PC sink one at or below
/// the sink commit horizon) came after it; unaligned, a later completed checkpoint within the
/// same bound as well.
fn covering<'a>(
    spec: &JobSpec,
    run: &'a RunResult,
    two_pc: bool,
) -> impl Fn(TaskId, ckptsim::Attempt, u64) -> bool + 'a {
    let bound = if two_pc { run.sink_commit_horizon } else { run.completed_offsets.keys().next_back().copied() };
    let completed: BTreeSet<ckptsim::CheckpointId> =
        run.completed_offsets.keys().copied().filter(|c| bound.is_some_and(|b| *c <= b)).collect();
    let unaligned = spec.checkpoint.unaligned;
    move |task, attempt, position| {
        run.late_snapshots.iter().any(|s| {
            s.task == task
                && s.attempt == attempt
                && s.late_before > position
                && completed.contains(&s.checkpoint)
                && (!unaligned || completed.range(s.checkpoint..).nth(1).is_some())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side sink's `exactly-once` verdict of `run` on `eventtime/late-side-branch-2pc.toml`.
    fn side_verdict(spec: &JobSpec, run: &RunResult) -> Verdict {
        check_all(spec, run, &reference::compute(spec)).into_iter().find(|v| v.checker == "exactly-once").unwrap()
    }

    /// A committed late row planted twice is a `late-duplicate`, one with another value a
    /// `late-phantom`; the run itself passes.
    #[test]
    fn duplicate_and_phantom_late_rows_are_named() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/eventtime/late-side-branch-2pc.toml");
        let spec = crate::load::load_spec(&path).expect("scenario loads");
        let run = crate::world::run(&spec, 1);
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
}
