//! Part of `exactly-once` and `at-least-once` on a job graph with a broadcast edge: the broadcast fan-out as reference, across rescales (every input reaches each subtask of the job that processed it, once).
//!
//! A broadcast edge (`DataStream.broadcast()`, Flink's `BroadcastPartitioner`) writes every
//! record to each downstream channel: copy `c` (lineage sub `sub << FLAT_MAP_SUB_BITS | c`,
//! `ckptsim::task::Partitioner::Broadcast`) goes to subtask `c` of the consumer. The edge keeps no
//! state, so after a rescale the fan-out is the new job's parallelism of the consumer. Which job
//! processed an input follows from the rescales' checkpoints: an input the `n`-th rescale's
//! checkpoint covers (by its source offsets) was processed before it, one it does not cover
//! after it. The reference is then, per input that reached the sink: its copies are exactly
//! `0..p` with `p` the consumer's parallelism in that job. A printed row names its task and
//! attempt, so with a print sink each copy is also checked against the job it was printed in
//! (a copy index at or above that job's parallelism is a wrong fan-out) and, when the consumer
//! is chained with the sink, against the subtask printing it (copy `c` by subtask `c`). A record
//! the rescale's checkpoint held as in-flight channel state was written by the job before it
//! (with that job's fan-out) and is processed by the job after it: a copy index below the old
//! parallelism is its own (Flink replays restored channel state before new input), and with a
//! print sink the job before owes each such input only the union of the copies it printed and
//! those the next job printed from the restored channel state.
//!
//! Judged only where copies can be told apart: one broadcast upstream of the sink, no
//! flat_map, union or two-input operator downstream of it, no multi-input operator upstream of
//! the sink at all (joined rows carry composite lineages).

use super::*;
use crate::world::graph::Graph;
use ckptsim::operator::FLAT_MAP_SUB_BITS;

/// The broadcast and its consumer upstream of `sink`, when copies can be told apart.
fn broadcast_before(spec: &JobSpec, sink: usize) -> Option<(usize, usize)> {
    let up = spec.upstream_of(sink);
    let ops = &spec.operators;
    if up.iter().any(|o| ops[*o].kind.is_multi_input()) {
        return None;
    }
    let mut b = up.iter().copied().filter(|o| matches!(ops[*o].kind, OpKind::Broadcast));
    let (bc, None) = (b.next()?, b.next()) else { return None };
    let consumer = up.iter().copied().find(|o| spec.op_inputs(*o).contains(&bc))?;
    // Between the consumer and the sink (the operators downstream of the broadcast): none that
    // changes the sub-index.
    let after: Vec<usize> = up.iter().copied().filter(|o| spec.upstream_of(*o).contains(&bc)).collect();
    if after.iter().any(|o| matches!(ops[*o].kind, OpKind::FlatMap(_))) {
        return None;
    }
    Some((bc, consumer))
}

/// The index in `graphs` (the scenario's job, then one per rescale) of the job whose attempts
/// carry JobManager epoch `epoch`.
fn job_of_epoch(graphs: &[(u64, Graph)], epoch: u64) -> usize {
    graphs.iter().rposition(|(first, _)| *first <= epoch).unwrap_or(0)
}

/// The vertex of operator `op` in `g`.
fn vertex_of(g: &Graph, op: usize) -> Option<usize> {
    g.vertices.iter().position(|v| v.ops.contains(&op))
}

/// Per successful rescale, the inputs its checkpoint covers (processed by the jobs before it).
fn rescale_cuts(run: &RunResult, records: &crate::spec::LogRecords) -> Vec<Vec<bool>> {
    run.rescales
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| {
            run.completed_offsets.get(&r.checkpoint).map_or_else(Vec::new, |o| covered_inputs(records, o).collect())
        })
        .collect()
}

/// The copies of `key` = (input, sub, job) printed by that job, with those the next job printed
/// below `p` from the restored channel state: an input the checkpoint that ended its job held as
/// in-flight channel state (part of its copies not yet processed downstream) is owed the union.
fn with_restored(copies: &BTreeMap<(u64, u32, usize), BTreeSet<u32>>, key: (u64, u32, usize), p: u32) -> BTreeSet<u32> {
    let (seq, sub, job) = key;
    let next = copies.get(&(seq, sub, job + 1)).into_iter().flatten().copied().filter(|c| *c < p);
    copies.get(&key).into_iter().flatten().copied().chain(next).collect()
}

/// The fan-out anomalies of the sink `sink`'s `rows` (committed for a two-phase-commit sink,
/// printed for a print sink), appended to `anomalies`; `graphs` are the run's jobs
/// (`check::graphs_by_epoch`). Returns how many inputs were judged (0: not applicable).
pub(super) fn fan_out(
    spec: &JobSpec,
    run: &RunResult,
    graphs: &[(u64, Graph)],
    sink: usize,
    printed: bool,
    anomalies: &mut Vec<super::Finding>,
) -> usize {
    let Some((_, consumer)) = broadcast_before(spec, sink) else { return 0 };
    let InputSpec::Log { records, .. } = &spec.input else { return 0 };
    let parallelism: Vec<u32> =
        graphs.iter().map(|(_, g)| vertex_of(g, consumer).map_or(0, |v| g.vertices[v].parallelism)).collect();
    let cuts = rescale_cuts(run, records);
    // Coverage grows from one rescale's checkpoint to the next: the inputs no cut covers
    // before the `n`-th were processed by job `n`.
    let expected_job = |seq: u64| {
        (graphs.len() - 1).min(cuts.iter().filter(|c| !c.get(seq as usize).copied().unwrap_or(false)).count())
    };
    // Records the rescale's checkpoint held as in-flight channel state were written by the job
    // before it (with its fan-out) and are processed by the job after it: a copy index of the
    // old parallelism is theirs.
    let rescale_checkpoints: Vec<ckptsim::ids::CheckpointId> =
        run.rescales.iter().filter(|r| r.error.is_none()).map(|r| r.checkpoint).collect();
    let restored_copy = |job: usize, seq: u64, copy: u32| {
        job > 0
            && copy < parallelism[job - 1]
            && rescale_checkpoints
                .get(job - 1)
                .and_then(|id| run.completed_in_flight.get(id))
                .is_some_and(|f| f.contains(&seq))
    };
    let rows = if printed { &run.print_rows } else { &run.committed };
    let stride = u64::from(crate::world::EPOCH_STRIDE);
    let mask = (1u32 << FLAT_MAP_SUB_BITS) - 1;
    // Per (input, sub above the copy bits, job): the copies. A committed row does not name
    // its task or attempt: its job is the one that processed the input.
    let mut copies: BTreeMap<(u64, u32, usize), BTreeSet<u32>> = BTreeMap::new();
    let mut wrong: Vec<String> = Vec::new();
    for row in rows {
        let (seq, copy) = (row.lineage.input_seq, row.lineage.sub & mask);
        let job = if printed { job_of_epoch(graphs, u64::from(row.attempt.0) / stride) } else { expected_job(seq) };
        copies.entry((seq, row.lineage.sub >> FLAT_MAP_SUB_BITS, job)).or_default().insert(copy);
        if !printed {
            continue;
        }
        let g = &graphs[job].1;
        if copy >= parallelism[job] && !restored_copy(job, seq, copy) {
            wrong.push(format!(
                "broadcast fan-out wrong: input #{seq} copy {copy} printed by the job of {} subtasks of {} at {} ms",
                parallelism[job], spec.operators[consumer].name, row.time_ms
            ));
            continue;
        }
        let (Some(cv), Some(sv)) = (vertex_of(g, consumer), vertex_of(g, sink)) else { continue };
        if cv == sv && g.task_vertex.get(row.task.0 as usize).is_some_and(|(v, s)| *v == sv && *s != copy) {
            wrong.push(format!(
                "broadcast fan-out wrong: input #{seq} copy {copy} printed by {} (subtask {}), not by subtask {copy} of {}",
                g.tasks[row.task.0 as usize].name,
                g.task_vertex[row.task.0 as usize].1,
                spec.operators[consumer].name
            ));
        }
    }
    // Inputs whose copies are all due: covered by the checkpoint the sink acted on (printed:
    // the newest completed one), not held there as in-flight channel state.
    // (The inputs a checkpoint covers are no prefix of the input order: its offsets are per
    // partition.)
    let covered: Box<dyn Fn(u64) -> bool> = if printed {
        let set = covered_by_latest_checkpoint(spec, run);
        Box::new(move |seq| set.as_ref().is_some_and(|s| s.contains(seq)))
    } else {
        let last = last_covered_input(spec, run);
        Box::new(move |seq| last.is_some_and(|c| seq <= c))
    };
    let in_flight = if printed {
        run.completed_offsets.keys().next_back().and_then(|id| run.completed_in_flight.get(id))
    } else {
        in_flight_at_horizon(spec, run)
    };
    let mut judged = 0;
    for (&(seq, sub, job), got) in &copies {
        let p = parallelism[job];
        let want: BTreeSet<u32> = (0..p).collect();
        let ended_in_flight = rescale_checkpoints
            .get(job)
            .and_then(|id| run.completed_in_flight.get(id))
            .is_some_and(|f| f.contains(&seq));
        let got = if printed && ended_in_flight { with_restored(&copies, (seq, sub, job), p) } else { got.clone() };
        // A print sink's replay by a later job may print part of an input again: only the job
        // that processed the input owes every copy.
        let due = covered(seq) && !in_flight.is_some_and(|f| f.contains(&seq)) && job == expected_job(seq);
        judged += 1;
        if got.iter().any(|c| *c >= p && !restored_copy(job, seq, *c)) || (due && got != want) {
            let which = if job == 0 { "the first job".to_string() } else { format!("the job after rescale {job}") };
            wrong.push(format!(
                "broadcast fan-out wrong: input #{seq} reached copies {:?}; {which} processed it with {p} subtasks of {} (copies 0..{p})",
                got, spec.operators[consumer].name
            ));
        }
    }
    for w in wrong {
        if !anomalies.iter().any(|a| a.text == w) {
            anomalies.push(super::Finding::named(w));
        }
    }
    judged
}
