//! An event-time join fed by a late side output (`W.late -> key_by -> interval_join/window_join <- other`, semantics §11.8, session 29): the sink behind it judged against the run's own record of what each attempt of the join took, dropped as late and emitted.
//!
//! Every element of `W.late` is older than the watermark `W` forwarded; the join takes it only
//! when its own watermark (the minimum over its two inputs, `IntervalJoinOperator#isLate`, or
//! its window's end against it for a window join, `WindowOperator#isWindowLate`) is still
//! behind it. Neither watermark is in a checkpoint (§11.5), so after a restore the first
//! window's verdict, the join's, and which buffered partners its cleanup timers have already
//! removed are decided afresh: no fault-free fold knows the pairs. The world marks the join in
//! its task spec (`InputGates::record_join`, before the task replays a restore's in-flight
//! records) and records per attempt every element it took or dropped and every joined row it
//! emitted (`RunResult::join_judgments`), with each snapshot's cut of that record
//! (`RunResult::assignment_snapshots`). The rules, for a sink behind the join through `map`s only
//! (each row keeps its pair lineage), across stop-with-savepoint and rescales from a savepoint
//! (session 30) or a retained checkpoint (session 31: the new job restores the retained
//! checkpoint's cuts by key group exactly as a savepoint's, `joins_replay.rs`):
//!
//! * `late-join-phantom`: a row of the sink whose pair no attempt of the join emitted.
//! * `late-join-doubled` (two-phase-commit sink, exactly-once checkpoints): a pair committed
//!   twice. A pair is emitted when its later element is processed; a committed one was processed
//!   before a completed checkpoint's cut, so no restore replays that element.
//! * `late-join-lost` (whatever the job's end, session 30; before, only once it FINISHED): a pair the join
//!   emitted before its snapshot of a completed checkpoint (within the sink commit horizon for a
//!   two-phase-commit sink) left ahead of that checkpoint's barrier (or is in its channel state),
//!   and every restore is from that checkpoint or a later one, so it is in the sink.
//! * `late-join-missed` (whatever the job's end, session 30): an element the first window sent to
//!   its side output before its snapshot of a completed checkpoint never reached any attempt of
//!   the join.
//! * `late-join-unpaired`, `late-join-unfounded` (session 30, `joins_replay.rs`): the join's own
//!   record checked against its inputs, its buffers replayed from the restored cut.

use super::*;
use crate::world::graph::Graph;
use crate::world::JoinRow;
use ckptsim::join::JoinEvent;
use ckptsim::TaskId;

/// A row's identity: its lineage.
type Id = (u64, u32);

/// The `exactly-once` (two-phase-commit sink) or `at-least-once` (print sink) verdict of the
/// sink `sink` behind the join `join` fed by `window`'s late side output, and the other
/// delivery checker's skip. `rows`: the run restricted to that sink's rows.
pub(in crate::check) fn late_join(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    graphs: &[(u64, Graph)],
    (window, join, sink): (usize, usize, usize),
) -> [Verdict; 2] {
    let two_pc = matches!(spec.operators[sink].kind, OpKind::TwoPhaseCommitSink);
    let (name, other) = if two_pc { ("exactly-once", "at-least-once") } else { ("at-least-once", "exactly-once") };
    let why = if two_pc {
        "join after a late side output: judged by exactly-once"
    } else {
        "join after a late side output: no two-phase-commit sink"
    };
    let verdict = match judge(spec, run, rows, graphs, (window, join, sink), two_pc) {
        Ok((anomalies, summary)) => Verdict::from(name, anomalies, summary),
        Err(why) => Verdict::skip(name, why),
    };
    if two_pc {
        [verdict, Verdict::skip(other, why)]
    } else {
        [Verdict::skip(other, why), verdict]
    }
}

/// The rules of this module on the sink's rows: findings and the summary, or why they do not apply.
fn judge(
    spec: &JobSpec,
    run: &RunResult,
    rows: &RunResult,
    graphs: &[(u64, Graph)],
    (window, join, sink): (usize, usize, usize),
    two_pc: bool,
) -> Result<(Vec<Finding>, String), &'static str> {
    let join_tasks: BTreeSet<TaskId> =
        crate::world::graph::tasks_of_operator(graphs, join).into_iter().flat_map(|(_, t)| t).collect();
    let record: Vec<&JoinRow> = run.join_judgments.iter().filter(|r| join_tasks.contains(&r.task)).collect();
    // A host that does not mark the join (`ckptsim explore`) leaves no record to judge by.
    if record.is_empty() && !run.assignment_snapshots.iter().any(|s| join_tasks.contains(&s.task)) {
        return Err("join after a late side output: no record of what it took (the host records none)");
    }
    let OpKind::EventJoin(join_spec) = spec.operators[join].kind else { return Err("not an event-time join") };
    let cuts: Vec<(TaskId, ckptsim::Attempt, ckptsim::CheckpointId, u64)> = run
        .assignment_snapshots
        .iter()
        .filter(|s| join_tasks.contains(&s.task))
        .map(|s| (s.task, s.attempt, s.checkpoint, s.late_before))
        .collect();
    let restores: Vec<_> = run.join_restores.iter().filter(|r| join_tasks.contains(&r.0)).copied().collect();
    let rescaled = rescaled(run, graphs, join, &spec.operators[join].name);
    let replayed =
        super::joins_replay::replay(join_spec, &spec.operators[join].name, &record, &restores, &cuts, &rescaled);
    let exact = spec.checkpoint.mode == ckptsim::config::CheckpointingMode::ExactlyOnce;
    let late_side = spec.late_fed_join(join).map_or(0, |(_, k)| k as u32);
    let Tally { emitted, held_pairs, judged, took, late } = tally(&record, late_side, held(spec, run, two_pc));
    let sink_rows = if two_pc { &rows.committed } else { &rows.print_rows };
    let mut seen: BTreeMap<Id, (usize, u64)> = BTreeMap::new();
    let jname = spec.operators[join].name.as_str();
    let mut anomalies = replayed.findings;
    for r in sink_rows.iter() {
        let id = (r.lineage.input_seq, r.lineage.sub);
        let e = seen.entry(id).or_insert((0, r.time_ms));
        e.0 += 1;
        e.1 = r.time_ms;
        if !emitted.contains(&id) {
            anomalies.push(
                Finding::new(
                    "late-join-phantom",
                    format!(
                        "late join phantom: t={} row {} (pair {id:?}) of `{}` is no row any attempt of `{jname}` emitted",
                        r.time_ms, r.value, spec.operators[sink].name
                    ),
                )
                .at(r.time_ms),
            );
        }
    }
    if two_pc && exact {
        for (id, (n, at)) in seen.iter().filter(|(_, (n, _))| *n > 1) {
            anomalies.push(
                Finding::new(
                    "late-join-doubled",
                    format!("late join doubled: `{jname}`'s row of pair {id:?} committed {n} times"),
                )
                .at(*at)
                .with("input", id.0),
            );
        }
    }
    // Judged whatever the job's end (session 30; until then only once it FINISHED): a pair held
    // by a completed checkpoint within the commit horizon left before that checkpoint's barrier
    // and is committed (printed) whether or not the job ran on, and a late element such a
    // checkpoint holds as sent reached the join before its snapshot of that checkpoint.
    for (id, at) in held_pairs.iter().filter(|(id, _)| !seen.contains_key(*id)) {
        anomalies.push(
            Finding::new(
                "late-join-lost",
                format!(
                    "late join lost: `{jname}` emitted the row of pair {id:?} at t={at} before its snapshot of a \
                     completed checkpoint, but `{}` never {} it",
                    spec.operators[sink].name,
                    if two_pc { "committed" } else { "printed" }
                ),
            )
            .at(*at)
            .with("input", id.0),
        );
    }
    let what = ("late-join-missed", "late join missed");
    // The side branch's functions before the join (session 31: filter and flat_map too): a
    // filtered element is not required, each output of a flat_map is, by its own lineage.
    let functions = super::side_output::side_functions(spec, spec.op_inputs(join)[late_side as usize]);
    super::windows::late_missed(spec, run, graphs, (window, jname, &functions), &judged, what, &mut anomalies);
    Ok((
        anomalies,
        format!(
            "join `{jname}` after `{}.late`: {} rows of `{}` judged against the run's record ({took} elements \
             taken, {late} dropped late, {} pairs emitted, {} held by a completed checkpoint); its buffers \
             replayed in {} attempts ({} pairs expected){}",
            spec.operators[window].name,
            sink_rows.len(),
            spec.operators[sink].name,
            emitted.len(),
            held_pairs.len(),
            replayed.judged,
            replayed.pairs,
            if replayed.unknown > 0 {
                format!(", {} not (restored from a cut no recorded attempt took)", replayed.unknown)
            } else {
                String::new()
            },
        ),
    ))
}

/// The new jobs that restored `join` (named `name`) with a rescale, for the replay.
fn rescaled(run: &RunResult, graphs: &[(u64, Graph)], join: usize, name: &str) -> Vec<super::joins_replay::Rescaled> {
    run.rescales
        .iter()
        .filter(|r| r.error.is_none())
        .filter_map(|r| {
            let (old_parallelism, new_parallelism, max_parallelism) = *r.operators.get(name)?;
            let (_, g) = graphs.iter().find(|(e, _)| *e == r.epoch)?;
            let subtask = (0..g.vertices.len())
                .filter(|vi| g.vertices[*vi].ops.contains(&join))
                .flat_map(|vi| g.vertex_tasks(vi))
                .map(|t| (t, g.task_vertex[t.0 as usize].1))
                .collect();
            let epoch = r.epoch;
            Some(super::joins_replay::Rescaled {
                checkpoint: r.checkpoint,
                owns: Box::new(move |a| u64::from(a.0 / crate::world::EPOCH_STRIDE) == epoch),
                old_parallelism,
                new_parallelism,
                max_parallelism,
                subtask,
            })
        })
        .collect()
}

/// What the join's own record says: the pairs it emitted (and which a completed checkpoint's
/// snapshot holds, with the time of emission), the late stream's elements it judged, and how many
/// elements it took or dropped late.
struct Tally {
    emitted: BTreeSet<Id>,
    held_pairs: BTreeMap<Id, u64>,
    judged: BTreeSet<Id>,
    took: usize,
    late: usize,
}

/// Walks the join's record in order, counting each attempt's position for the snapshot cuts.
fn tally(record: &[&JoinRow], late_side: u32, held_by: impl Fn(TaskId, ckptsim::Attempt, u64) -> bool) -> Tally {
    let mut t =
        Tally { emitted: BTreeSet::new(), held_pairs: BTreeMap::new(), judged: BTreeSet::new(), took: 0, late: 0 };
    let mut position: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
    for r in record {
        let p = position.entry((r.task, r.attempt)).or_default();
        let cut = held_by(r.task, r.attempt, *p);
        *p += 1;
        let id = (r.lineage.input_seq, r.lineage.sub);
        match r.event {
            JoinEvent::Emitted => {
                t.emitted.insert(id);
                if cut {
                    t.held_pairs.entry(id).or_insert(r.time_ms);
                }
            }
            JoinEvent::Watermark => {}
            JoinEvent::Took(side) | JoinEvent::Late(side) => {
                if matches!(r.event, JoinEvent::Took(_)) {
                    t.took += 1;
                } else {
                    t.late += 1;
                }
                if side == late_side {
                    t.judged.insert(id);
                }
            }
        }
    }
    t
}

/// Whether the `position`-th row of the join record of `task`'s `attempt` was recorded before
/// that attempt's snapshot of a completed checkpoint (for a 2PC sink one at or below the sink
/// commit horizon; under unaligned checkpoints with a later completed one too, as
/// `side_output::covering`).
fn held<'a>(spec: &JobSpec, run: &'a RunResult, two_pc: bool) -> impl Fn(TaskId, ckptsim::Attempt, u64) -> bool + 'a {
    let bound = if two_pc { run.sink_commit_horizon } else { run.completed_offsets.keys().next_back().copied() };
    let completed: BTreeSet<ckptsim::CheckpointId> =
        run.completed_offsets.keys().copied().filter(|c| bound.is_some_and(|b| *c <= b)).collect();
    let unaligned = spec.checkpoint.unaligned;
    let cut_before = crate::check::windows::cut_counts(run, |c| {
        completed.contains(&c) && (!unaligned || completed.range(c..).nth(1).is_some())
    });
    move |task, attempt, position| cut_before.get(&(task, attempt)).is_some_and(|c| *c > position)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds of the `exactly-once` findings of `run`.
    fn kinds(spec: &JobSpec, run: &RunResult) -> Vec<String> {
        let v = check_all(spec, run, &reference::compute(spec)).into_iter().find(|v| v.checker == "exactly-once");
        v.expect("an exactly-once verdict").anomalies.into_iter().filter_map(|f| f.kind).collect()
    }

    /// The `exactly-once` verdict of scenario `file` (under `scenarios/`) at seed 1, with its run.
    fn judged(file: &str) -> (JobSpec, RunResult, Verdict) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(file);
        let spec = crate::load::load_spec(&path).expect("scenario loads");
        let run = crate::world::run(&spec, 1);
        let v = check_all(&spec, &run, &reference::compute(&spec)).into_iter().find(|v| v.checker == "exactly-once");
        (spec, run, v.expect("an exactly-once verdict"))
    }

    /// Session 31: a rescale 2 -> 3 from a retained checkpoint (cancel, then a new job from the
    /// newest retained checkpoint) is judged, as a rescale from a savepoint: until then the
    /// late-join rules skipped the run (`passed` None, "not judged across a rescale from a
    /// retained checkpoint"). Every attempt's buffers are replayed, none from an unknown cut.
    #[test]
    fn a_rescale_from_a_retained_checkpoint_is_judged() {
        let (_, run, v) = judged("eventtime/late-join-rescale-retained-2pc.toml");
        assert!(run.rescales.iter().any(|r| r.from == "retained-checkpoint" && r.error.is_none()), "it rescaled");
        assert_eq!(v.passed, Some(true), "{}: {:?}", v.summary, v.anomalies);
        assert!(v.summary.contains("its buffers replayed in"), "{}", v.summary);
        assert!(!v.summary.contains("restored from a cut no recorded attempt took"), "{}", v.summary);
    }

    /// Session 31: `filter(even_value)` and `flatMap(double_value)` on the side branch before the
    /// join. The run passes, and it would not if the checker ignored the filter: a late element
    /// with an odd number that a completed checkpoint covers exists, never reaches the join
    /// (the filter drops it), and so is never judged there (`late-join-missed` would name it).
    #[test]
    fn side_branch_functions_are_applied_before_the_join() {
        let (spec, run, v) = judged("eventtime/late-join-filtered-2pc.toml");
        assert_eq!(v.passed, Some(true), "{}: {:?}", v.summary, v.anomalies);
        let covered = super::super::side_output::covering(&spec, &run, false);
        let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
        let odd_covered = run.late_records.iter().filter(|r| {
            let p = sent.entry((r.task, r.attempt)).or_default();
            *p += 1;
            covered(r.task, r.attempt, *p - 1) && matches!(r.value, Value::Pair(_, n) if n % 2 != 0)
        });
        let odd: Vec<_> = odd_covered.map(|r| (r.lineage.input_seq, r.lineage.sub)).collect();
        assert!(!odd.is_empty(), "a covered late element the filter drops");
        let late_side =
            spec.late_fed_join(spec.operators.iter().position(|o| o.name == "LateJoin").unwrap()).unwrap().1;
        assert!(
            !run.join_judgments
                .iter()
                .any(|r| matches!(r.event, JoinEvent::Took(s) | JoinEvent::Late(s) if s == late_side as u32)
                    && odd.contains(&(r.lineage.input_seq, r.lineage.sub))),
            "no odd late element reaches the join"
        );
    }

    /// Hand-made records of `eventtime/late-join-2pc.toml` (seed 1), each rule's finding shown
    /// on a run that breaks it: a committed pair shown twice (`late-join-doubled`), a held pair
    /// taken out of the store (`late-join-lost`, session 30: also when the job ended CANCELED), a committed row whose pair no attempt emitted
    /// (`late-join-phantom`), and a late element the join never judged (`late-join-missed`);
    /// the run as it happened has none.
    #[test]
    fn each_rule_fires_on_a_run_that_breaks_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/eventtime/late-join-2pc.toml");
        let spec = crate::load::load_spec(&path).expect("scenario loads");
        let run = crate::world::run(&spec, 1);
        assert_eq!(kinds(&spec, &run), Vec::<String>::new(), "the run itself passes");
        let row = run.committed.iter().next().expect("a committed joined row");
        let mut twice = run.clone();
        twice.committed.push(row.clone());
        assert_eq!(kinds(&spec, &twice), vec!["late-join-doubled"]);
        let mut lost = run.clone();
        lost.committed = run.committed.iter().filter(|r| r.lineage != row.lineage).collect();
        assert_eq!(kinds(&spec, &lost), vec!["late-join-lost"]);
        // Session 30: judged whatever the job's end, on its completed cuts.
        let mut canceled = lost.clone();
        canceled.final_status = JobStatus::Canceled;
        assert_eq!(kinds(&spec, &canceled), vec!["late-join-lost"], "a job that ended CANCELED is judged too");
        let mut phantom = run.clone();
        let mut odd = row.clone();
        odd.lineage.sub ^= 1 << 29;
        phantom.committed.push(odd);
        assert_eq!(kinds(&spec, &phantom), vec!["late-join-phantom"]);
        let mut missed = run.clone();
        let late_side =
            spec.late_fed_join(spec.operators.iter().position(|o| o.name == "LateJoin").unwrap()).unwrap().1;
        let covered = super::super::side_output::covering(&spec, &run, false);
        let mut sent: BTreeMap<(TaskId, ckptsim::Attempt), u64> = BTreeMap::new();
        let first_late = run
            .late_records
            .iter()
            .find(|r| {
                let p = sent.entry((r.task, r.attempt)).or_default();
                *p += 1;
                covered(r.task, r.attempt, *p - 1)
            })
            .expect("a covered late element")
            .lineage;
        missed.join_judgments.retain(|r| {
            !(r.lineage == first_late
                && matches!(r.event, JoinEvent::Took(s) | JoinEvent::Late(s) if s == late_side as u32))
        });
        let got = kinds(&spec, &missed);
        assert!(got.contains(&"late-join-missed".to_owned()), "{got:?}");
    }
}
