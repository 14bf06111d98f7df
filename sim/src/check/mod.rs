//! Checkers (oracles) run on every run: each reads the run's result and the reference and either passes or names the anomaly with time and records.

pub mod graph;
pub mod outcome;
pub mod reference;
pub mod signature;
pub mod triage;

mod abort_made_up;
mod alignment;
mod at_least_once;
mod barriers;
mod broadcast_fanout;
mod coordinator;
pub mod counts;
mod exactly_once;
mod excused_replay;
mod faults_once;
pub mod finding;
mod gate_requests;
mod gates;
mod injected_once;
pub mod joins;
mod key_index;
mod list_rescale;
mod liveness;
mod notifications;
mod offsets;
pub mod order;
mod order_free_print;
mod overtaken_restore;
mod rescale_lineage;
mod restart;
mod restored_partitions;
mod resume_point;
mod retention;
pub(crate) mod retry_counts;
mod side_output;
mod stale_resume;
mod state;
pub(crate) mod stop;
mod tolerable_failure;
mod windows;
pub(crate) use state::without_lost_lines;
pub(crate) use windows::quiescent_short_firing;
#[cfg(test)]
mod forms_coordinator_tests;
#[cfg(test)]
mod forms_liveness_tests;
#[cfg(test)]
mod forms_tests;
#[cfg(test)]
mod test_runs;
mod windows_valve;

pub use alignment::*;
pub use at_least_once::*;
pub use barriers::*;
pub use coordinator::*;
pub use exactly_once::*;
pub use finding::Finding;
pub use liveness::*;
pub use offsets::*;
pub use restart::*;
pub use retention::*;
pub use state::*;
pub use tolerable_failure::*;
pub use windows::*;

use crate::reference::Reference;
use crate::spec::{ActionSpec, InputSpec, JobSpec, OpKind};
use crate::world::{OutputRow, Rows, RunResult};
use ckptsim::config::RestartStrategyConfig;
use ckptsim::operator::key_of;
use ckptsim::record::Value;
use ckptsim::status::JobStatus;
use counts::{LineageCounts, LineageKey};
use std::collections::{BTreeMap, BTreeSet};

/// The verdict of one checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Stable checker name (scenarios name it in `expect.caught_by`).
    pub checker: &'static str,
    /// `None` when the checker does not apply to this job (e.g. no 2PC sink).
    pub passed: Option<bool>,
    /// Named anomalies, one per line, each with its kind, time and the records involved.
    pub anomalies: Vec<Finding>,
    /// What was checked (for passing verdicts).
    pub summary: String,
}

impl Verdict {
    /// A verdict that applies: passed when `anomalies` is empty (for [`crate::user::Checker`]s).
    /// Each line keeps the kind and moment its checker gave it ([`Finding::new`],
    /// [`Finding::at`]); a bare line (a `String`) gets the checker's name as its kind and no
    /// moment: its sentence is never read. Kinds are made signature-safe ([`finding::slug`]:
    /// lower-case letters, digits, `-`).
    pub fn new(checker: &'static str, anomalies: Vec<impl Into<Finding>>, summary: String) -> Self {
        let typed = anomalies
            .into_iter()
            .map(Into::into)
            .map(|mut f: Finding| {
                f.kind = Some(finding::slug(f.kind.as_deref().unwrap_or(checker)));
                f
            })
            .collect();
        Verdict::from(checker, typed, summary)
    }

    fn skip(checker: &'static str, why: &str) -> Self {
        Verdict { checker, passed: None, anomalies: vec![], summary: why.to_string() }
    }
    fn from(checker: &'static str, anomalies: Vec<Finding>, summary: String) -> Self {
        Verdict { checker, passed: Some(anomalies.is_empty()), anomalies, summary }
    }
}

/// Every checker's name (declared with the scenario format's other names, which `caught_by`
/// and `checkers` are validated against).
pub use crate::scenario::names::CHECKERS;

fn sink_kind(spec: &JobSpec) -> Option<&OpKind> {
    spec.operators.iter().map(|o| &o.kind).find(|k| k.is_sink())
}

/// A task of the run died while the JobManager still shows it alive: its final state update
/// (FAILED, CANCELED, FINISHED) was dropped by the network and the JobManager saw no later
/// transition of that task by the end. The update is not retried (the task is gone); Flink
/// learns it only from deployment reconciliation on a later TaskManager heartbeat (1.12+,
/// `DefaultExecutionDeploymentReconciler`), or never (1.11, FLINK-17075). Until then the job
/// looks RUNNING but is not healthy: the recovery that would redo the dead task's work (a
/// sink's commit of a completed checkpoint's transaction, say) has not begun. Swarm seed 10883
/// of `regressions/group-marker-skips-uncommitted-records`: the sink's commit of checkpoint 2
/// failed its task at 3.2 s, the FAILED update was lost, and the stop at 7.9 s came before the
/// next reconciling heartbeat; `exactly-once` had judged the uncommitted record lost.
pub(super) fn unreconciled_final_loss(run: &RunResult) -> bool {
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    for (t, name, _from, _to) in &run.task_transitions {
        last.insert(name.as_str(), *t);
    }
    run.lost_final_states.iter().any(|(lost_ms, task, _)| {
        run.task_names.get(task.0 as usize).is_some_and(|name| last.get(name.as_str()).is_some_and(|t| t <= lost_ms))
    })
}

/// How the job's two-phase-commit sink writes when checkpointing is off, when it does
/// (`Profile::sink_without_checkpointing`, as the world decides in `tasks.rs`): Flink 1.11's
/// Kafka producer falls back to `Semantic.NONE` (a user's sink under 1.11 keeps its transactions
/// and is not covered), 2.x's Sink V2 commits at end of input. Either way Flink promises no
/// exactly-once output across a restart, which replays the input from the start.
/// The `coordinator` checker's gate-request rule alone (`gate_requests.rs`): the findings on
/// `run`. The explorer judges a quiescent state by it with the run's end taken as never
/// (session 39: `tools/explore/judge.rs` `abandoned_gate`).
pub(crate) fn gate_requests_abandoned(run: &RunResult) -> Vec<Finding> {
    let mut found = Vec::new();
    gate_requests::gate_requests_retried(run, &mut found);
    found
}

pub(crate) fn no_checkpoint_sink(spec: &JobSpec) -> Option<ckptsim::sink::NoCheckpointing> {
    if sink_kind(spec) != Some(&OpKind::TwoPhaseCommitSink) || spec.checkpoint.periodic_enabled() {
        return None;
    }
    let mode = spec.profile.sink_without_checkpointing();
    let user_sink = spec.operators.iter().any(|o| o.user_sink.is_some());
    (mode == ckptsim::sink::NoCheckpointing::CommitAtEndOfInput || !user_sink).then_some(mode)
}

fn is_keyed(spec: &JobSpec) -> bool {
    spec.operators.iter().any(|o| matches!(o.kind, OpKind::KeyBy))
}

fn replayable(spec: &JobSpec) -> bool {
    matches!(spec.input, InputSpec::Log { .. })
}

/// Runs every checker.
pub fn check_all(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Vec<Verdict> {
    check_all_with(spec, run, reference, None)
}

/// [`check_all`] with a graph job's parts that depend on the job alone computed once before
/// (`graph::GraphParts::new(spec)`; the explorer judges many states of one job). Same verdicts.
pub fn check_all_with(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    parts: Option<&graph::GraphParts>,
) -> Vec<Verdict> {
    if spec.is_graph() {
        return match parts {
            Some(p) => graph::check_graph_with(spec, run, p),
            None => graph::check_graph(spec, run),
        };
    }
    // `CKPTSIM_DEBUG_RSS=1` prints the resident set after each checker (where a big job's
    // checking phase spends memory; BENCHMARKS.md, *Speed*).
    let debug_rss = crate::usage::debug_env().rss;
    let checkers: [&dyn Fn() -> Verdict; 13] = [
        &|| exactly_once(spec, run, reference),
        &|| at_least_once(spec, run, reference),
        &|| state(spec, run, reference),
        &|| offsets(spec, run),
        &|| coordinator(spec, run),
        &|| restart(spec, run),
        &|| liveness_with(spec, run, reference),
        &|| tolerable_failure(spec, run),
        &|| retention(spec, run),
        &|| alignment(spec, run),
        &|| windows::windows_cached(spec, run, reference),
        &|| stop::stop(spec, run),
        &|| barriers(spec, run),
    ];
    checkers
        .iter()
        .map(|c| {
            let v = c();
            if debug_rss {
                eprintln!("rss {} KiB after checker {}", crate::usage::rss_kib(), v.checker);
            }
            v
        })
        .collect()
}

/// The input sequence numbers a complete, fault-free run must have delivered by the end.
/// Records of a replayable source are all expected when the job ends RUNNING (they were
/// visible before `stop_at`); a socket source's lost lines are excused, and so are the lines an
/// ended source attempt read after its last snapshot in a completed checkpoint, and the log
/// records a `latest` source skipped when a restart resolved `latest` again. Ascending, and
/// yielded one by one (a set of 10^6 numbers was a big part of a big job's checking heap).
fn expected_inputs<'a>(
    spec: &'a JobSpec,
    run: &'a RunResult,
    reference: &'a Reference,
) -> impl Iterator<Item = u64> + 'a {
    let mut lost: BTreeSet<u64> = run.lost_inputs.iter().copied().collect();
    lost.extend(socket_maybe_lost(run));
    // A restart without a restored checkpoint that resolved `latest` again skipped them: due
    // to no one (an earlier attempt's output of them is judged as any replay's).
    lost.extend(run.latest_skipped_on_restart.iter().copied());
    lost.extend(group_marker_skipped(spec, run));
    reference
        .producing_inputs
        .keys()
        .filter(move |s| !lost.contains(s))
        .filter(|s| input_time(spec, *s) + 1 < run.stop_at_ms)
}

/// 2.x `group-offsets` splits that a restore starts at the `COMMITTED_OFFSET` marker (all of
/// them without a restored checkpoint, else those the checkpoint holds at the marker) resolve
/// the group's committed offset again (`KafkaSourceEnumerator`, `OffsetsInitializer.committedOffsets`):
/// that execution starts after every record below it, so those records are due to no one from
/// then on. The committed offset came from a source's notification of a completed checkpoint
/// (`KafkaSourceReader#notifyCheckpointComplete`), which does not wait for the sink: a checkpoint
/// whose sink commit then failed, and which the failed job discarded, leaves records the group
/// offset calls processed and no sink committed; a new job resumed from an older savepoint
/// whose split is still at the marker skips them (session 24, swarm seed 3451 of
/// `kafka/group-offsets-marker-savepoint-23.toml`; regression
/// `regressions/group-marker-skips-uncommitted-records.toml`). Flink's own loss, not the
/// sink's. Incremental over the commits; a restore whose marker offsets equal the previous
/// one's adds nothing new.
pub(super) fn group_marker_skipped(spec: &JobSpec, run: &RunResult) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let InputSpec::Log { records, partitions, .. } = &spec.input else { return out };
    let group = |p: u32| spec.startup_of(p) == Some(ckptsim::source::StartupMode::GroupOffsets);
    if spec.profile.kafka_state_is_last_read() || !(0..*partitions).any(group) {
        return out;
    }
    let mut commits = run.offset_commits.iter().enumerate().peekable();
    let mut committed: BTreeMap<ckptsim::PartitionId, ckptsim::Offset> = BTreeMap::new();
    let mut last: BTreeMap<ckptsim::PartitionId, ckptsim::Offset> = BTreeMap::new();
    for r in &run.restores {
        while let Some((_, c)) = commits.next_if(|(i, _)| *i < r.commits_before) {
            if c.accepted {
                committed.insert(c.partition, c.offset);
            }
        }
        let at_marker: BTreeMap<ckptsim::PartitionId, ckptsim::Offset> = committed
            .iter()
            .filter(|(p, _)| group(p.0))
            .filter(|(p, _)| r.checkpoint.is_none() || !r.offsets.contains_key(p))
            .map(|(p, o)| (*p, *o))
            .collect();
        if at_marker.is_empty() || at_marker == last {
            continue;
        }
        out.extend(covered_inputs(records, &at_marker).enumerate().filter(|(_, c)| *c).map(|(s, _)| s as u64));
        last = at_marker;
    }
    out
}

/// The graphs a run's tasks belong to, each with the first JobManager epoch it ran in: the
/// scenario's from epoch 0, then one per rescale that started a new job (its epoch on; a
/// JobManager failover keeps the job's graph). A rescaled job numbers its tasks afresh in its
/// own graph (`world/rescale.rs`), so a task id means a vertex only together with its epoch.
/// Shared by the graph checkers (`graph.rs`) and the idle-timeout rule (`source_idleness.rs`).
pub(crate) fn graphs_by_epoch(spec: &JobSpec, run: &RunResult) -> Vec<(u64, crate::world::graph::Graph)> {
    let mut out = vec![(0, crate::world::graph::Graph::build(spec))];
    let mut s = spec.clone();
    for r in run.rescales.iter().filter(|r| r.error.is_none()) {
        for o in &mut s.operators {
            if let Some((_, p, _)) = r.operators.get(&o.name) {
                o.parallelism = *p;
            }
        }
        out.push((r.epoch, crate::world::graph::Graph::build(&s)));
    }
    out
}

/// Socket lines consumed by a source attempt that ended (failed or was cancelled) before a
/// completed checkpoint covered them. A socket cannot replay them, so their effects may be lost
/// with the attempt, printed or not: Flink's socket source gives no delivery guarantee across a
/// failure. Lines a completed checkpoint covers stay due (its barrier followed them to the sink).
pub fn socket_maybe_lost(run: &RunResult) -> BTreeSet<u64> {
    let covered = socket_covered_reads(run);
    run.socket_reads
        .iter()
        .enumerate()
        .filter(|(_, r)| !run.live_at_end.contains(&(r.task, r.attempt)))
        .filter(|(j, r)| covered.get(&(r.task, r.attempt)).is_none_or(|n| j >= n))
        .map(|(_, r)| r.seq)
        .collect()
}

/// Socket lines read before their reader's snapshot for a checkpoint that completed.
pub fn socket_covered(run: &RunResult) -> BTreeSet<u64> {
    let covered = socket_covered_reads(run);
    run.socket_reads
        .iter()
        .enumerate()
        .filter(|(j, r)| covered.get(&(r.task, r.attempt)).is_some_and(|n| j < n))
        .map(|(_, r)| r.seq)
        .collect()
}

/// Per source attempt: how many of the run's socket reads (a prefix of `socket_reads`) its
/// newest snapshot in a completed checkpoint covers.
fn socket_covered_reads(run: &RunResult) -> BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), usize> {
    let completed: BTreeSet<ckptsim::CheckpointId> =
        run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").map(|r| r.id).collect();
    let mut covered: BTreeMap<(ckptsim::TaskId, ckptsim::Attempt), usize> = BTreeMap::new();
    for m in run.socket_marks.iter().filter(|m| completed.contains(&m.id)) {
        let e = covered.entry((m.task, m.attempt)).or_insert(0);
        *e = (*e).max(m.reads);
    }
    covered
}

fn input_time(spec: &JobSpec, seq: u64) -> u64 {
    spec.input.at_ms(seq).unwrap_or_else(|| panic!("input #{seq} of {} inputs", spec.input.len()))
}

fn lineage_counts(rows: &Rows) -> LineageCounts {
    LineageCounts::of(rows)
}

/// Whether any output derives from input `seq` (an indexed lookup: linear scans made the
/// checkers quadratic in the number of records).
fn has_input(counts: &LineageCounts, seq: u64) -> bool {
    counts.has_input(seq)
}

/// The rows of every lineage that occurs more than once, in row order (one pass).
fn rows_of_duplicates(rows: &Rows, counts: &LineageCounts) -> BTreeMap<LineageKey, Vec<OutputRow>> {
    let mut m: BTreeMap<LineageKey, Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        let l = (r.lineage.input_seq, r.lineage.sub);
        if counts.get(l) > 1 {
            m.entry(l).or_default().push(r);
        }
    }
    m
}

/// Names a store anomaly (as the world recorded it, `t=.. task: Debug`): a commit refused by the
/// store's transaction timeout is Flink's documented data loss (`TwoPhaseCommitSinkFunction`
/// logs it when a transaction is recovered after `transactionTimeout`).
/// `lost-commit`: input `seq`, which a completed checkpoint covers, was never committed.
/// One input on several paths (`Reference::path_copies`): the copies of input `seq` (their
/// lineage `sub`, one per path through the graph) that reached the sink by no row, as a
/// `lost-copy` finding (`sink`: "committed" or "printed"); `None` when every copy has a row.
fn lost_copy(spec: &JobSpec, reference: &Reference, counts: &LineageCounts, seq: u64, sink: &str) -> Option<Finding> {
    let subs = reference.path_copies.as_ref()?.get(&seq)?;
    let missing: Vec<u32> = subs.iter().copied().filter(|s| counts.get((seq, *s)) == 0).collect();
    if missing.is_empty() {
        return None;
    }
    let paths: Vec<String> = missing.iter().map(|s| path_name(*s)).collect();
    Some(
        Finding::new(
            "lost-copy",
            format!(
                "lost copy: input #{seq} {sink} by {} of its {} paths through the job graph (missing: {})",
                subs.len() - missing.len(),
                subs.len(),
                paths.join(", ")
            ),
        )
        .at(spec.input.at_ms(seq))
        .with("input", seq),
    )
}

/// A copy's path as the input gates its lineage `sub` took, outermost last (`gate 0 > gate 1`):
/// `sub` is a sequence of `FLAT_MAP_SUB_BITS`-bit steps (`ckptsim::two_input::path_lineage`).
fn path_name(sub: u32) -> String {
    let bits = ckptsim::operator::FLAT_MAP_SUB_BITS;
    let mask = (1u32 << bits) - 1;
    let mut steps = vec![sub & mask];
    let mut rest = sub >> bits;
    while rest != 0 {
        steps.push(rest & mask);
        rest >>= bits;
    }
    let path: Vec<String> = steps.iter().rev().map(|g| format!("gate {g}")).collect();
    format!("sub {sub} ({})", path.join(" > "))
}

fn lost_commit(spec: &JobSpec, seq: u64) -> Finding {
    Finding::new(
        "lost-commit",
        format!("lost record: input #{seq} never committed although checkpoint covering it completed"),
    )
    .at(spec.input.at_ms(seq))
    .with("input", seq)
}

fn sink_anomaly_finding(a: &crate::world::SinkAnomaly) -> Finding {
    use crate::world::SinkAnomaly;
    let at = a.at_ms();
    match a {
        _ if a.is_commit_timed_out() => {
            Finding::named(format!("transaction aborted by timeout (data loss, as Flink warns): {a}")).at(at)
        }
        SinkAnomaly::Store { anomaly, .. } => {
            let name = crate::world::store_anomaly_name(anomaly);
            Finding::new(format!("sink-store-{}", finding::kebab(name)), format!("sink store anomaly: {a}"))
                .at(at)
                .with("store_anomaly", name)
        }
        SinkAnomaly::SourceMismatch { .. } => {
            Finding::new("user-source-mismatch", format!("sink store anomaly: {a}")).at(at)
        }
    }
}

/// The job FINISHED: its whole input was consumed, so every input must be committed. An input
/// that a completed checkpoint covers and that is missing is a lost record under any profile.
/// The rest were written after the last checkpoint the sink committed:
/// * with checkpoints after tasks finish (FLIP-147, flink-2.3) and checkpointing on, the final
///   checkpoint commits the sink's last transaction, so a missing input is a failure ("lost at
///   end of input");
/// * without checkpointing the built-in (Kafka) sink commits everything too: flink-2.3's Sink V2
///   at end of input, flink-1.11's producer by writing without transactions (`Semantic.NONE`);
///   a missing input is a failure;
/// * otherwise (flink-1.11: tasks finish at once, the sink's `close()` aborts the open
///   transaction and no checkpoint completes once a source finished; a user's sink under 1.11
///   without checkpointing) the loss is Flink's own behaviour: named in the summary as
///   "expected by flink-1.11", not an anomaly.
fn end_of_input_losses(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    counts: &LineageCounts,
    anomalies: &mut Vec<Finding>,
    notes: &mut String,
) {
    let covered = last_covered_input(spec, run);
    // Under unaligned checkpoints the covering checkpoint may hold an input as in-flight channel
    // state: it reaches the sink after that checkpoint's snapshot, so only a later checkpoint
    // commits it (the rule `exactly_once` applies to a running job). At the end of input that is
    // the final checkpoint (2.x) or, in 1.11, nothing (Flink's own loss at close).
    let in_flight = in_flight_at_horizon(spec, run);
    let final_checkpoint = spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
    // Without checkpointing the sink does not wait for a checkpoint at all
    // (`Profile::sink_without_checkpointing`): 1.11's Kafka producer writes without transactions
    // (NONE), 2.x's Sink V2 commits everything at end of input. A user's sink is a plain
    // TwoPhaseCommitSinkFunction under 1.11: nothing commits it.
    let user_sink = spec.operators.iter().any(|o| o.user_sink.is_some());
    let no_checkpointing =
        !spec.checkpoint.periodic_enabled() && (spec.profile.checkpoints_after_tasks_finish() || !user_sink);
    let stop = finished_by_stop(run);
    let dormant = sources_deployed_finished(spec, run);
    // Beside a source still reading, one deployed finished reads nothing either (per source).
    let never_read = dormant_unread(spec, run);
    let mut expected_loss: Vec<u64> = Vec::new();
    let (mut after_stop, mut unread) = (0, 0);
    for seq in expected_inputs(spec, run, reference) {
        let due = covered.is_some_and(|c| seq <= c) && !in_flight.is_some_and(|f| f.contains(&seq));
        if has_input(counts, seq) {
            if let Some(f) = lost_copy(spec, reference, counts, seq, "committed").filter(|_| due || final_checkpoint) {
                anomalies.push(f);
            }
            continue;
        }
        if due {
            anomalies.push(lost_commit(spec, seq));
        } else if stop.is_some() {
            // Stop-with-savepoint: the sources stopped at the synchronous savepoint's barrier,
            // so input it does not cover was never read (it is the next job's to read).
            after_stop += 1;
        } else if dormant.is_some() || never_read.contains(&seq) {
            // Every source of the last job was deployed as finished, or this input's source
            // was: it read nothing.
            unread += 1;
        } else if final_checkpoint {
            anomalies.push(Finding::named(format!(
                "lost at end of input: input #{seq} never committed although the job FINISHED \
                 ({} commits the last transaction through the final checkpoint, FLIP-147)",
                spec.profile
            )));
        } else if no_checkpointing {
            let how = if spec.profile.checkpoints_after_tasks_finish() {
                "commits every transaction at end of input when checkpointing is off (Sink V2 CommitterOperator.endInput)"
            } else {
                "writes without transactions when checkpointing is off (FlinkKafkaProducer falls back to Semantic.NONE)"
            };
            anomalies.push(Finding::named(format!(
                "lost at end of input: input #{seq} never committed although the job FINISHED ({} {how})",
                spec.profile
            )));
        } else {
            expected_loss.push(seq);
        }
    }
    if let Some(stop) = stop {
        let _ = std::fmt::Write::write_fmt(
            notes,
            format_args!(
                "; stopped with synchronous savepoint {} at {} ms: {after_stop} later inputs not due",
                stop.savepoint.map_or(0, |c| c.0),
                stop.at_ms
            ),
        );
    }
    if dormant.is_none() && unread > 0 {
        let _ = std::fmt::Write::write_fmt(
            notes,
            format_args!("; {unread} inputs of a source deployed as finished (FLIP-147) never read"),
        );
    }
    if let Some(at_ms) = dormant.filter(|_| unread > 0) {
        let _ = std::fmt::Write::write_fmt(
            notes,
            format_args!(
                "; every source deployed as finished at {at_ms} ms (FLIP-147: FINISHED at the restored \
                 checkpoint's trigger): {unread} later inputs never read"
            ),
        );
    }
    if let (Some(first), Some(last)) = (expected_loss.first(), expected_loss.last()) {
        let why = if !spec.checkpoint.periodic_enabled() {
            "checkpointing is off and a user's TwoPhaseCommitSinkFunction commits only on a checkpoint's completion"
        } else {
            "no checkpoints after tasks finish (FLIP-147 is Flink 1.14+): the sink's close() aborts \
             its open transaction and pre-committed ones are never notified"
        };
        let _ = std::fmt::Write::write_fmt(
            notes,
            format_args!(
                "; expected by {}: {} inputs (#{first}..#{last}) written after the last committed checkpoint \
                 were lost at end of input ({why})",
                spec.profile,
                expected_loss.len()
            ),
        );
    }
}

/// When every source of the run's last job was deployed as finished (2.x, FLIP-147:
/// `RunResult::dormant_sources`), if it was. Flink's `StreamTaskFinishedOnRestoreSourceInput`
/// ends such a source's input at once, so input past its restored positions is never read by
/// that job: Flink's own behaviour, not a loss the model made (e.g. a source FINISHED by a
/// stop-with-savepoint without drain whose other tasks missed the savepoint's notification; a
/// second stop's savepoint, taken while it was FINISHED, marks its vertex fully finished, and a
/// new job from that savepoint deploys it finished — session 39, swarm 8328). Judged only when
/// every source operator of the job has such an attempt after the last restore (with one source
/// still reading, its input stays due); input a completed checkpoint covers stays due whatever.
fn sources_deployed_finished(spec: &JobSpec, run: &RunResult) -> Option<u64> {
    if run.final_status != JobStatus::Finished {
        return None;
    }
    let since_ms = run.restores.last()?.at_ms;
    let rows: Vec<_> = run.dormant_sources.iter().filter(|d| d.at_ms >= since_ms).collect();
    let mut sources = spec.operators.iter().filter(|o| o.kind.is_source() || o.user_source.is_some()).peekable();
    sources.peek()?;
    sources.all(|o| rows.iter().any(|d| d.source == o.name)).then(|| rows.iter().map(|d| d.at_ms).min()).flatten()
}

/// Inputs a source deployed as finished in the run's last job never reads: the records of its
/// partitions at or past the offsets the last restore gave them (FLIP-147: Flink's
/// `StreamTaskFinishedOnRestoreSourceInput` ends a fully finished source's input at once). Unlike
/// [`sources_deployed_finished`] this holds per source and whatever the job's end: a job whose
/// other source is unbounded runs on with the dormant source's rest of the log unread, as Flink
/// does (session 41, the lead's sweep: `rescale/broadcast-timers-2-3-1-2pc --seed 9202 --swarm`,
/// the `Words` source FINISHED by a stop whose notification the others missed, then marked
/// fully finished by the second stop's savepoint; the `liveness` checker named its 59 unread
/// records "output did not converge"). Input a completed checkpoint covers stays due.
pub(crate) fn dormant_unread(spec: &JobSpec, run: &RunResult) -> BTreeSet<u64> {
    let mut unread = BTreeSet::new();
    let InputSpec::Log { records, .. } = &spec.input else { return unread };
    let Some(last) = run.restores.last() else { return unread };
    let dormant: BTreeSet<&str> =
        run.dormant_sources.iter().filter(|d| d.at_ms >= last.at_ms).map(|d| d.source.as_str()).collect();
    if dormant.is_empty() {
        return unread;
    }
    // The source that reads partition `p` (as the graph reference assigns inputs).
    let reader = |p: u32| spec.source_of_partition(p).map(|s| spec.operators[s].name.as_str());
    let mut next_offset: BTreeMap<u32, u64> = BTreeMap::new();
    for (seq, (_, p)) in records.times_partitions().enumerate() {
        let next = next_offset.entry(p).or_insert(0);
        let offset = *next;
        *next += 1;
        let restored = last.offsets.get(&ckptsim::PartitionId(p)).map_or(0, |o| o.0);
        if offset >= restored && reader(p).is_some_and(|s| dormant.contains(s)) {
            unread.insert(seq as u64);
        }
    }
    unread
}

/// Every input of the run's log but those [`dormant_unread`] names (a source deployed as
/// finished never reads them), for the window references, which judge a window by the elements
/// of the input; None when no input is unread that way (session 42, rfrand42's sweep of the
/// generated jobs: `r413 --seed 12267 --swarm`, a stop whose notification one window task
/// missed, then a second stop's savepoint that marked the finished source fully finished; the
/// rescaled job's source read nothing, and the `windows` checker wanted the unread records in
/// the windows its end of input fired).
pub(super) fn read_but_dormant(spec: &JobSpec, run: &RunResult) -> Option<counts::InputSet> {
    let unread = dormant_unread(spec, run);
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    (!unread.is_empty()).then(|| (0..records.len() as u64).filter(|s| !unread.contains(s)).collect())
}

/// The run's job ended FINISHED without reading all its input: stopped with a savepoint
/// ([`finished_by_stop`]), or with every source of its last job deployed as finished
/// (`sources_deployed_finished`). Either way it read only what its latest checkpoint covers,
/// so the rules that hold a FINISHED job to all its input do not apply.
pub fn finished_unread(spec: &JobSpec, run: &RunResult) -> bool {
    finished_by_stop(run).is_some() || sources_deployed_finished(spec, run).is_some()
}

/// The stop-with-savepoint that ended the run's job: it ended FINISHED, the stop's synchronous
/// savepoint completed and no new job started after the stop. Input the savepoint does not
/// cover was never read (the sources stopped at its barrier): it is not due. A later stop
/// request that found the job already FINISHED completes no savepoint and is not that stop.
pub fn finished_by_stop(run: &RunResult) -> Option<&crate::world::StopRecord> {
    let stop = run.stops.iter().rev().find(|s| s.savepoint.is_some())?;
    let restarted_after = run.restores.iter().any(|r| r.at_ms >= stop.at_ms);
    (run.final_status == JobStatus::Finished && !restarted_after).then_some(stop)
}

/// The completed checkpoints that completed after a completed checkpoint of a higher id (at
/// or after its completion; shared by `offsets` and `overtaken_restore`): one pass over the completed rows from the highest id down.
fn overtaken_checkpoints(run: &RunResult) -> BTreeSet<ckptsim::CheckpointId> {
    let mut completed: Vec<(ckptsim::CheckpointId, u64)> =
        run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").filter_map(|r| Some((r.id, r.end_ms?))).collect();
    completed.sort_unstable();
    let mut out = BTreeSet::new();
    let mut newer_end = u64::MAX;
    for &(id, end) in completed.iter().rev() {
        if newer_end <= end {
            out.insert(id);
        }
        newer_end = newer_end.min(end);
    }
    out
}

/// Whether each log input (in input order) lies below `offsets` in its partition, i.e. a
/// checkpoint with these source offsets covers it.
fn covered_inputs<'a>(
    records: &'a crate::spec::LogRecords,
    offsets: &'a BTreeMap<ckptsim::PartitionId, ckptsim::Offset>,
) -> impl Iterator<Item = bool> + 'a {
    let mut next: BTreeMap<u32, u64> = BTreeMap::new();
    // Partitions only: a generated input's values are not drawn.
    (0..records.len() as u64).map(move |seq| {
        let p = records.partition(seq).unwrap_or(0);
        let off = next.entry(p).or_default();
        let covered = offsets.get(&ckptsim::PartitionId(p)).is_some_and(|o| *off < o.0);
        *off += 1;
        covered
    })
}

/// The newest completed checkpoint whose completion every sink subtask acted on
/// (`RunResult::sink_commit_horizon`), or was told of by a 2.x abort notification it must have
/// acted on ([`abort_made_up::made_up_horizon`], session 37), whichever is newer.
fn commit_horizon(spec: &JobSpec, run: &RunResult) -> Option<ckptsim::CheckpointId> {
    run.sink_commit_horizon.max(abort_made_up::made_up_horizon(spec, run))
}

/// The latest input sequence number covered by the newest completed checkpoint whose completion
/// every sink subtask acted on (log sources): everything before the first uncovered input of
/// any partition (all of them when none is uncovered).
fn last_covered_input(spec: &JobSpec, run: &RunResult) -> Option<u64> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let horizon = commit_horizon(spec, run)?;
    let (_, offsets) = run.completed_offsets.range(..=horizon).next_back()?;
    match covered_inputs(records, offsets).position(|c| !c) {
        Some(0) => None,
        Some(first_uncovered) => Some(first_uncovered as u64 - 1),
        None => (records.len() as u64).checked_sub(1),
    }
}

/// The inputs held as in-flight channel state by the checkpoint [`last_covered_input`] uses
/// (the newest completed one at or below the sink commit horizon), if it holds any.
fn in_flight_at_horizon<'a>(spec: &JobSpec, run: &'a RunResult) -> Option<&'a BTreeSet<u64>> {
    let horizon = commit_horizon(spec, run)?;
    let (id, _) = run.completed_offsets.range(..=horizon).next_back()?;
    run.completed_in_flight.get(id)
}

/// The inputs the newest completed checkpoint holds as in-flight channel state (unaligned
/// checkpoints), if it holds any: their barrier overtook them, so no sink had them yet.
pub(super) fn newest_in_flight(run: &RunResult) -> Option<&BTreeSet<u64>> {
    let (id, _) = run.completed_offsets.iter().next_back()?;
    run.completed_in_flight.get(id)
}

/// With a partitioned-log source: the inputs the newest completed checkpoint's source offsets
/// cover (empty before the first completion). `None` for a socket source.
pub(super) fn covered_by_latest_checkpoint(spec: &JobSpec, run: &RunResult) -> Option<counts::InputSet> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let Some((_, offsets)) = run.completed_offsets.iter().next_back() else {
        return Some(counts::InputSet::default());
    };
    // Records the checkpoint holds as in-flight channel state were not yet past every barrier.
    let in_flight = newest_in_flight(run);
    Some(
        covered_inputs(records, offsets)
            .enumerate()
            .filter(|&(i, c)| c && !in_flight.is_some_and(|f| f.contains(&(i as u64))))
            .map(|(i, _)| i as u64)
            .collect(),
    )
}

/// Renders a verdict as one line.
pub fn verdict_line(v: &Verdict) -> String {
    match v.passed {
        None => format!("  {:<17} n/a   {}", v.checker, v.summary),
        Some(true) => format!("  {:<17} PASS  {}", v.checker, v.summary),
        Some(false) => format!("  {:<17} FAIL  {}", v.checker, v.anomalies.first().cloned().unwrap_or_default()),
    }
}

/// `cur` through `ops` in order, each operator's outputs the next one's inputs (the core's own
/// operators, as a task's chain runs them, at time 0 under counter instance `instance`); false
/// with the outputs when some operator threw.
fn records_through<'a>(
    ops: impl IntoIterator<Item = &'a mut ckptsim::operator::Operator>,
    counters: &mut ckptsim::operator::SurvivingCounters,
    mut cur: Vec<ckptsim::record::Record>,
    instance: &str,
) -> (Vec<ckptsim::record::Record>, bool) {
    let mut ok = true;
    for op in ops {
        let mut next = Vec::new();
        for r in cur.drain(..) {
            let mut ctx = ckptsim::operator::OperatorContext { now_ms: 0, counters: &mut *counters, instance };
            ok &= op.process(&mut ctx, r, &mut next).is_ok();
        }
        cur = next;
    }
    (cur, ok)
}

/// A checkpoint setting over a run (session 43): the configured value, changed by each accepted
/// re-tune that sets it, and back to the configured value at each new JobManager (its
/// coordinator is built from the scenario's configuration again). Serves `coordinator` (the
/// timeout) and `tolerable-failure` (the tolerance).
pub(crate) struct Retuned<T> {
    configured: T,
    /// (time, new value), in run order; none while the value stays the configured one.
    changes: Vec<(u64, T)>,
}

impl<T: Copy + PartialEq> Retuned<T> {
    /// The setting `field` picks from a re-tune request (`None`: the request leaves it alone).
    pub(crate) fn from_trace(
        run: &RunResult,
        configured: T,
        field: impl Fn(&ckptsim::config::Retune) -> Option<T>,
    ) -> Retuned<T> {
        use crate::world::trace::EventData;
        let changes = run
            .trace
            .events()
            .iter()
            .filter_map(|e| match &e.data {
                EventData::Retune { request, rejected: None } => field(request).map(|v| (e.time_ms, v)),
                EventData::JmStart { .. } => Some((e.time_ms, configured)),
                _ => None,
            })
            .skip_while(|(_, v)| *v == configured)
            .collect();
        Retuned { configured, changes }
    }

    /// The value in force at `t`: the newest change strictly before it, or the configured one.
    pub(crate) fn at(&self, t: u64) -> T {
        self.changes.iter().rev().find(|(c, _)| *c < t).map_or(self.configured, |(_, v)| *v)
    }

    /// Whether a change happened in millisecond `t` (which came first is not recorded).
    pub(crate) fn changed_at(&self, t: u64) -> bool {
        self.changes.iter().any(|(c, _)| *c == t)
    }

    /// The times of the changes, in run order.
    pub(crate) fn change_times(&self) -> impl Iterator<Item = u64> + '_ {
        self.changes.iter().map(|(t, _)| *t)
    }

    pub(crate) fn configured(&self) -> T {
        self.configured
    }

    /// Every value the run had, the configured one first.
    pub(crate) fn values(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::once(self.configured).chain(self.changes.iter().map(|(_, v)| *v))
    }

    pub(crate) fn change_count(&self) -> usize {
        self.changes.len()
    }
}
