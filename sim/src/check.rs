//! Checkers (oracles) run on every run: each reads the run's result and the reference and either passes or names the anomaly with time and records.

use crate::reference::Reference;
use crate::spec::{ActionKind, InputSpec, JobSpec, OpKind};
use crate::world::{OutputRow, RunResult};
use ckptsim::config::RestartStrategyConfig;
use ckptsim::operator::key_of;
use ckptsim::record::Value;
use ckptsim::status::JobStatus;
use std::collections::{BTreeMap, BTreeSet};

/// The verdict of one checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Stable checker name (scenarios name it in `expect.caught_by`).
    pub checker: &'static str,
    /// `None` when the checker does not apply to this job (e.g. no 2PC sink).
    pub passed: Option<bool>,
    /// Named anomalies, one per line, with time and records involved.
    pub anomalies: Vec<String>,
    /// What was checked (for passing verdicts).
    pub summary: String,
}

impl Verdict {
    fn skip(checker: &'static str, why: &str) -> Self {
        Verdict { checker, passed: None, anomalies: vec![], summary: why.to_string() }
    }
    fn from(checker: &'static str, anomalies: Vec<String>, summary: String) -> Self {
        Verdict { checker, passed: Some(anomalies.is_empty()), anomalies, summary }
    }
}

/// Every checker's name, as scenario files and the CLI spell it.
pub const CHECKERS: [&str; 9] = [
    "exactly-once",
    "at-least-once",
    "state",
    "offsets",
    "coordinator",
    "restart",
    "liveness",
    "tolerable-failure",
    "retention",
];

fn sink_kind(spec: &JobSpec) -> Option<&OpKind> {
    spec.operators.iter().map(|o| &o.kind).find(|k| k.is_sink())
}

fn is_keyed(spec: &JobSpec) -> bool {
    spec.operators.iter().any(|o| matches!(o.kind, OpKind::KeyBy))
}

fn replayable(spec: &JobSpec) -> bool {
    matches!(spec.input, InputSpec::Log { .. })
}

/// Runs every checker.
pub fn check_all(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Vec<Verdict> {
    vec![
        exactly_once(spec, run, reference),
        at_least_once(spec, run, reference),
        state(spec, run, reference),
        offsets(spec, run),
        coordinator(spec, run),
        restart(spec, run),
        liveness_with(spec, run, reference),
        tolerable_failure(spec, run),
        retention(spec, run),
    ]
}

/// The input sequence numbers a complete, fault-free run must have delivered by the end.
/// Records of a replayable source are all expected when the job ends RUNNING (they were
/// visible before `stop_at`); a socket source's lost lines are excused.
fn expected_inputs(spec: &JobSpec, run: &RunResult, reference: &Reference) -> BTreeSet<u64> {
    let lost: BTreeSet<u64> = run.lost_inputs.iter().copied().collect();
    reference
        .producing_inputs
        .keys()
        .copied()
        .filter(|s| !lost.contains(s))
        .filter(|s| input_time(spec, *s) + 1 < run.stop_at_ms)
        .collect()
}

fn input_time(spec: &JobSpec, seq: u64) -> u64 {
    match &spec.input {
        InputSpec::Lines(l) => l[seq as usize].0,
        InputSpec::Log { records, .. } => records[seq as usize].0,
    }
}

fn lineage_counts(rows: &[OutputRow]) -> BTreeMap<(u64, u32), usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
    }
    m
}

/// Whether any output derives from input `seq` (a range query: linear scans made the checkers
/// quadratic in the number of records).
fn has_input(counts: &BTreeMap<(u64, u32), usize>, seq: u64) -> bool {
    counts.range((seq, 0)..=(seq, u32::MAX)).next().is_some()
}

/// The rows of every lineage that occurs more than once, in row order (one pass).
fn rows_of_duplicates<'a>(
    rows: &'a [OutputRow],
    counts: &BTreeMap<(u64, u32), usize>,
) -> BTreeMap<(u64, u32), Vec<&'a OutputRow>> {
    let mut m: BTreeMap<(u64, u32), Vec<&OutputRow>> = BTreeMap::new();
    for r in rows {
        let l = (r.lineage.input_seq, r.lineage.sub);
        if counts.get(&l).is_some_and(|n| *n > 1) {
            m.entry(l).or_default().push(r);
        }
    }
    m
}

/// Names a store anomaly (as the world recorded it, `t=.. task: Debug`): a commit refused by the
/// store's transaction timeout is Flink's documented data loss (`TwoPhaseCommitSinkFunction`
/// logs it when a transaction is recovered after `transactionTimeout`).
fn sink_anomaly_finding(a: &str) -> String {
    if a.contains("TransactionTimedOut") && a.contains("op: \"commit\"") {
        format!("transaction aborted by timeout (data loss, as Flink warns): {a}")
    } else {
        format!("sink store anomaly: {a}")
    }
}

/// Exactly-once output of the 2PC sink: every expected output committed exactly once, nothing
/// else, and per key the committed values equal the reference sequence.
pub fn exactly_once(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "exactly-once";
    if sink_kind(spec) != Some(&OpKind::TwoPhaseCommitSink) {
        return Verdict::skip(NAME, "no two-phase-commit sink");
    }
    if !replayable(spec) {
        return Verdict::skip(NAME, "non-replayable source: exactly-once output is not promised");
    }
    let mut anomalies = Vec::new();
    for a in &run.sink_anomalies {
        anomalies.push(sink_anomaly_finding(a));
    }
    let counts = lineage_counts(&run.committed);
    let dups = rows_of_duplicates(&run.committed, &counts);
    for (l, n) in &counts {
        if *n > 1 {
            let t = dups[l].iter().map(|r| r.time_ms).collect::<Vec<_>>();
            anomalies.push(format!("duplicate: input #{} (sub {}) committed {n} times at {t:?} ms", l.0, l.1));
        }
    }
    let healthy_end = run.final_status == JobStatus::Running;
    if healthy_end {
        // Only inputs that a completed checkpoint covers must be committed by the end, and only
        // once every sink subtask has acted on that checkpoint's completion (a notification is
        // not resent: when it is lost, the transactions stay pre-committed until a later
        // checkpoint completes or a restore commits them).
        //
        // Under unaligned checkpoints (or an aligned timeout that switched) the records a
        // barrier overtook are that checkpoint's channel state: they reach the sink after its
        // barrier, in the next transaction, so they are due only once a later checkpoint
        // completes (Flink's ChannelStateWriter / unaligned checkpoints). For aligned and
        // at-least-once checkpoints the in-flight set is empty and the rule is unchanged.
        let covered = last_covered_input(spec, run);
        let in_flight = in_flight_at_horizon(run);
        let expected = expected_inputs(spec, run, reference);
        for seq in expected
            .iter()
            .filter(|s| covered.is_some_and(|c| **s <= c))
            .filter(|s| !in_flight.is_some_and(|f| f.contains(s)))
        {
            if !has_input(&counts, *seq) {
                anomalies.push(format!(
                    "lost record: input #{seq} never committed although checkpoint covering it completed"
                ));
            }
        }
    }
    let mut notes = String::new();
    if run.final_status == JobStatus::Finished {
        end_of_input_losses(spec, run, reference, &counts, &mut anomalies, &mut notes);
    }
    if is_keyed(spec) {
        let mut per_key: BTreeMap<Value, Vec<Value>> = BTreeMap::new();
        for r in &run.committed {
            per_key.entry(key_of(&r.value)).or_default().push(r.value.clone());
        }
        for (k, vals) in &per_key {
            let want = reference.per_key.get(k).cloned().unwrap_or_default();
            if !want.starts_with(vals) {
                anomalies.push(format!(
                    "state ahead/behind: key {k} committed {vals:?}, reference prefix {:?}",
                    &want[..want.len().min(vals.len() + 1)]
                ));
            }
        }
    }
    let summary = format!("{} committed outputs, {} distinct inputs{notes}", run.committed.len(), counts.len());
    Verdict::from(NAME, anomalies, summary)
}

/// The job FINISHED: its whole input was consumed, so every input must be committed. An input
/// that a completed checkpoint covers and that is missing is a lost record under any profile.
/// The rest were written after the last checkpoint the sink committed:
/// * with checkpoints after tasks finish (FLIP-147, flink-2.3) and checkpointing on, the final
///   checkpoint commits the sink's last transaction, so a missing input is a failure ("lost at
///   end of input");
/// * otherwise (flink-1.11: tasks finish at once, the sink's `close()` aborts the open
///   transaction and no checkpoint completes once a source finished) the loss is Flink's own
///   behaviour: named in the summary as "expected by flink-1.11", not an anomaly.
fn end_of_input_losses(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    counts: &BTreeMap<(u64, u32), usize>,
    anomalies: &mut Vec<String>,
    notes: &mut String,
) {
    let covered = last_covered_input(spec, run);
    let final_checkpoint = spec.profile.checkpoints_after_tasks_finish() && spec.checkpoint.periodic_enabled();
    let mut expected_loss: Vec<u64> = Vec::new();
    for seq in expected_inputs(spec, run, reference) {
        if has_input(counts, seq) {
            continue;
        }
        if covered.is_some_and(|c| seq <= c) {
            anomalies
                .push(format!("lost record: input #{seq} never committed although checkpoint covering it completed"));
        } else if final_checkpoint {
            anomalies.push(format!(
                "lost at end of input: input #{seq} never committed although the job FINISHED \
                 ({} commits the last transaction through the final checkpoint, FLIP-147)",
                spec.profile
            ));
        } else {
            expected_loss.push(seq);
        }
    }
    if let (Some(first), Some(last)) = (expected_loss.first(), expected_loss.last()) {
        let why = if spec.profile.checkpoints_after_tasks_finish() {
            "checkpointing is off, so no final checkpoint commits the last transaction"
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

/// Whether each log input (in input order) lies below `offsets` in its partition, i.e. a
/// checkpoint with these source offsets covers it.
fn covered_inputs<'a>(
    records: &'a [(u64, u32, String)],
    offsets: &'a BTreeMap<ckptsim::PartitionId, ckptsim::Offset>,
) -> impl Iterator<Item = bool> + 'a {
    let mut next: BTreeMap<u32, u64> = BTreeMap::new();
    records.iter().map(move |(_, p, _)| {
        let off = next.entry(*p).or_default();
        let covered = offsets.get(&ckptsim::PartitionId(*p)).is_some_and(|o| *off < o.0);
        *off += 1;
        covered
    })
}

/// The latest input sequence number covered by the newest completed checkpoint whose completion
/// every sink subtask acted on (log sources): everything before the first uncovered input of
/// any partition (all of them when none is uncovered).
fn last_covered_input(spec: &JobSpec, run: &RunResult) -> Option<u64> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let horizon = run.sink_commit_horizon?;
    let (_, offsets) = run.completed_offsets.range(..=horizon).next_back()?;
    match covered_inputs(records, offsets).position(|c| !c) {
        Some(0) => None,
        Some(first_uncovered) => Some(first_uncovered as u64 - 1),
        None => (records.len() as u64).checked_sub(1),
    }
}

/// The inputs held as in-flight channel state by the checkpoint [`last_covered_input`] uses
/// (the newest completed one at or below the sink commit horizon), if it holds any.
fn in_flight_at_horizon(run: &RunResult) -> Option<&BTreeSet<u64>> {
    let horizon = run.sink_commit_horizon?;
    let (id, _) = run.completed_offsets.range(..=horizon).next_back()?;
    run.completed_in_flight.get(id)
}

/// With a partitioned-log source: the inputs the newest completed checkpoint's source offsets
/// cover (empty before the first completion). `None` for a socket source.
fn covered_by_latest_checkpoint(spec: &JobSpec, run: &RunResult) -> Option<BTreeSet<u64>> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let Some((id, offsets)) = run.completed_offsets.iter().next_back() else { return Some(BTreeSet::new()) };
    // Records the checkpoint holds as in-flight channel state were not yet past every barrier.
    let in_flight = run.completed_in_flight.get(id);
    Some(
        covered_inputs(records, offsets)
            .enumerate()
            .filter(|&(i, c)| c && !in_flight.is_some_and(|f| f.contains(&(i as u64))))
            .map(|(i, _)| i as u64)
            .collect(),
    )
}

/// At-least-once output of the print sink: nothing lost; every duplicate explained by a replay
/// after a restore (printed by an earlier attempt, then again by a later one).
pub fn at_least_once(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "at-least-once";
    if sink_kind(spec) != Some(&OpKind::PrintSink) {
        return Verdict::skip(NAME, "no print sink");
    }
    let mut anomalies = Vec::new();
    let counts = lineage_counts(&run.print_rows);
    if run.final_status == JobStatus::Running {
        // With a partitioned log, an input must have been printed once the newest completed
        // checkpoint covers it (its barrier followed the record to the sink); later inputs may
        // still be waiting for a recovery, which is the liveness checker's to judge. A socket
        // has no offsets: there, an input older than 5 s at the stop must have been printed.
        let covered = covered_by_latest_checkpoint(spec, run);
        for seq in expected_inputs(spec, run, reference) {
            let due = match &covered {
                Some(c) => c.contains(&seq),
                None => input_time(spec, seq) + 5_000 < run.stop_at_ms,
            };
            if due && !has_input(&counts, seq) {
                anomalies.push(format!("lost record: input #{seq} (at {} ms) never printed", input_time(spec, seq)));
            }
        }
    }
    let mut explained = Vec::new();
    let dups = rows_of_duplicates(&run.print_rows, &counts);
    for (l, n) in &counts {
        if *n < 2 {
            continue;
        }
        let rows: &Vec<&OutputRow> = &dups[l];
        let attempts: BTreeSet<u32> = rows.iter().map(|r| r.attempt.0).collect();
        if attempts.len() < rows.len() {
            anomalies.push(format!(
                "duplicate: input #{} printed {} times within one attempt at {:?} ms",
                l.0,
                n,
                rows.iter().map(|r| r.time_ms).collect::<Vec<_>>()
            ));
        } else {
            explained.push(format!(
                "{} (replayed by attempt {})",
                rows[0].value,
                rows.last().map(|r| r.attempt.0).unwrap_or(0)
            ));
        }
    }
    let summary = format!(
        "{} rows, {} duplicates explained by replay{}",
        run.print_rows.len(),
        explained.len(),
        if explained.is_empty() { String::new() } else { format!(": {}", explained.join(", ")) }
    );
    Verdict::from(NAME, anomalies, summary)
}

/// Keyed state: the last value each key emitted (by the latest attempt) never runs ahead of
/// the reference fold, and equals it for inputs that were all delivered.
pub fn state(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "state";
    if !is_keyed(spec) {
        return Verdict::skip(NAME, "no keyed state");
    }
    let rows: &[OutputRow] =
        if sink_kind(spec) == Some(&OpKind::TwoPhaseCommitSink) { &run.committed } else { &run.print_rows };
    let lost: BTreeSet<u64> = run.lost_inputs.iter().copied().collect();
    // At-least-once checkpoints (the barrier tracker never blocks) may hold the effect of a
    // record that is read again after a restore, so the state counts it twice (Flink's
    // AT_LEAST_ONCE): values may overshoot the reference. Only keys are checked then; losses
    // are the at-least-once checker's.
    let replays_may_double_count = spec.checkpoint.mode == ckptsim::config::CheckpointingMode::AtLeastOnce;
    let mut anomalies = Vec::new();
    // Per key, each output value must be a value the reference emits for that key, and per
    // attempt the sequence must follow the reference order (a restore may go back, never skip
    // or invent). With lost socket input the reference is recomputed without it.
    let recomputed;
    let reference = if lost.is_empty() {
        reference
    } else {
        let mut s2 = spec.clone();
        if let InputSpec::Lines(l) = &mut s2.input {
            *l = l.iter().enumerate().filter(|(i, _)| !lost.contains(&(*i as u64))).map(|(_, x)| x.clone()).collect();
        }
        recomputed = crate::reference::compute(&s2);
        &recomputed
    };
    // Per key: the first position of every value in the reference sequence (what
    // `seq.iter().position(..)` finds, without a scan per output row).
    let first_pos: BTreeMap<&Value, BTreeMap<&Value, usize>> = reference
        .per_key
        .iter()
        .map(|(k, seq)| {
            let mut m = BTreeMap::new();
            for (i, x) in seq.iter().enumerate() {
                m.entry(x).or_insert(i);
            }
            (k, m)
        })
        .collect();
    let mut last: BTreeMap<Value, Value> = BTreeMap::new();
    for r in rows {
        let v = &r.value;
        let k = key_of(v);
        let want = reference.per_key.get(&k);
        match want {
            None => anomalies.push(format!("t={} key {k}: output {v} for a key the reference never emits", r.time_ms)),
            Some(_) if replays_may_double_count => {}
            Some(seq) => {
                let positions = &first_pos[&k];
                let pos = positions.get(&v).copied();
                let prev = last.get(&k).and_then(|p| positions.get(p).copied());
                match (pos, prev) {
                    (None, _) => anomalies
                        .push(format!("t={} key {k}: value {v} not in the reference sequence {seq:?}", r.time_ms)),
                    (Some(p), Some(q)) if p > q + 1 => anomalies.push(format!(
                        "t={} key {k}: state skipped from {} to {v} (lost update: expected {})",
                        r.time_ms,
                        seq[q],
                        seq[q + 1]
                    )),
                    (Some(p), None) if p > 0 => anomalies
                        .push(format!("t={} key {k}: first output {v} but reference starts at {}", r.time_ms, seq[0])),
                    _ => {}
                }
            }
        }
        last.insert(k, v.clone());
    }
    let summary = if replays_may_double_count {
        format!("{} keys, all known to the reference (at-least-once: values may count replays twice)", last.len())
    } else {
        format!("{} keys followed the reference fold", last.len())
    };
    Verdict::from(NAME, anomalies, summary)
}

/// Offsets: committed to the broker only after the checkpoint holding them completed, never
/// backwards, equal to a completed checkpoint's positions.
pub fn offsets(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "offsets";
    if !spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. })) {
        return Verdict::skip(NAME, "no partitioned-log source");
    }
    let mut anomalies = Vec::new();
    let mut high: BTreeMap<ckptsim::PartitionId, u64> = BTreeMap::new();
    // (partition, offset) -> the earliest completion of a checkpoint holding it: one pass
    // over the checkpoints instead of one per commit (that made the checker quadratic).
    let mut first_holder: BTreeMap<(ckptsim::PartitionId, ckptsim::Offset), u64> = BTreeMap::new();
    for row in run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED") {
        let (Some(end), Some(offsets)) = (row.end_ms, run.completed_offsets.get(&row.id)) else { continue };
        for (p, o) in offsets {
            let e = first_holder.entry((*p, *o)).or_insert(end);
            *e = (*e).min(end);
        }
    }
    for c in run.offset_commits.iter().filter(|c| c.accepted) {
        // Completed (by this time) checkpoints that hold exactly this offset.
        let ok = first_holder.get(&(c.partition, c.offset)).is_some_and(|e| *e <= c.time_ms);
        if !ok && !c.periodic {
            anomalies.push(format!(
                "t={} offset committed before its checkpoint completed: {} {} by {} (no completed checkpoint holds it)",
                c.time_ms, c.partition, c.offset, c.task
            ));
        }
        let h = high.entry(c.partition).or_default();
        if c.offset.0 < *h {
            anomalies.push(format!(
                "t={} non-monotonic offset: {} went back from {} to {}",
                c.time_ms, c.partition, h, c.offset.0
            ));
        }
        *h = (*h).max(c.offset.0);
    }
    let n = run.offset_commits.len();
    Verdict::from(NAME, anomalies, format!("{n} offset commits, each after its checkpoint completed"))
}

/// Coordinator: ids strictly increase, at most max-concurrent pending, min pause respected,
/// expiry at the timeout.
pub fn coordinator(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "coordinator";
    let mut anomalies = Vec::new();
    let cfg = &spec.checkpoint;
    let mut rows = run.checkpoints.clone();
    rows.sort_by_key(|r| (r.trigger_ms, r.id));
    for w in rows.windows(2) {
        if w[1].id <= w[0].id {
            anomalies
                .push(format!("t={} checkpoint ids not increasing: {} after {}", w[1].trigger_ms, w[1].id, w[0].id));
        }
    }
    let retuned = run.retunes.iter().any(|(_, t)| t.contains("accepted"));
    let manual = spec.actions.iter().any(|a| matches!(a.kind, ActionKind::Savepoint | ActionKind::TriggerCheckpoint));
    // Linear sweeps instead of a scan of all rows per row (quadratic in long runs): rows are in
    // trigger order; `ends` holds the end times of the rows triggered so far that are still
    // pending; `completions` the sorted completion times.
    let mut completions: Vec<u64> = rows.iter().filter(|o| o.outcome == "COMPLETED").filter_map(|o| o.end_ms).collect();
    completions.sort_unstable();
    let mut ends: std::collections::BinaryHeap<std::cmp::Reverse<u64>> = std::collections::BinaryHeap::new();
    let mut next = 0;
    for r in &rows {
        // Every row triggered at or before this one (ties included), minus those ended by now.
        while next < rows.len() && rows[next].trigger_ms <= r.trigger_ms {
            ends.push(std::cmp::Reverse(rows[next].end_ms.unwrap_or(u64::MAX)));
            next += 1;
        }
        while ends.peek().is_some_and(|e| e.0 <= r.trigger_ms) {
            ends.pop();
        }
        let pending = ends.len();
        if pending as i64 > cfg.max_concurrent && !r.savepoint {
            anomalies.push(format!(
                "t={} {} checkpoints pending (max concurrent {})",
                r.trigger_ms, pending, cfg.max_concurrent
            ));
        }
        if !retuned && !manual && !r.savepoint {
            let at_or_before = completions.partition_point(|e| *e <= r.trigger_ms);
            // A checkpoint's own completion (in the same ms as its trigger, possible with
            // zero-time delivery in `explore`) is not a completion before it.
            let own = usize::from(r.outcome == "COMPLETED" && r.end_ms.is_some_and(|e| e <= r.trigger_ms));
            let last_completion = at_or_before.checked_sub(1 + own).map(|i| completions[i]);
            if let Some(lc) = last_completion {
                if (r.trigger_ms as i64) < lc as i64 + cfg.min_pause_ms {
                    anomalies.push(format!(
                        "t={} min pause violated: checkpoint {} triggered {} ms after the last completion (min pause {} ms)",
                        r.trigger_ms,
                        r.id,
                        r.trigger_ms - lc,
                        cfg.min_pause_ms
                    ));
                }
            }
        }
        if r.outcome == "CHECKPOINT_EXPIRED" && !retuned {
            let end = r.end_ms.unwrap_or(0);
            if end.saturating_sub(r.trigger_ms) as i64 != cfg.timeout_ms {
                anomalies.push(format!(
                    "t={end} checkpoint {} expired after {} ms (timeout {} ms)",
                    r.id,
                    end - r.trigger_ms,
                    cfg.timeout_ms
                ));
            }
        }
    }
    Verdict::from(
        NAME,
        anomalies,
        format!("{} checkpoints: ids increasing, concurrency, min pause, expiry", rows.len()),
    )
}

/// Restart: the number of restarts and their delays as the configured strategy says; only
/// legal job status transitions.
pub fn restart(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "restart";
    let mut anomalies = Vec::new();
    for w in run.status_timeline.windows(2) {
        // A SUSPENDED job is recovered by a new JobManager, which starts from CREATED.
        let recovered = w[0].1 == JobStatus::Suspended && w[1].1 == JobStatus::Created;
        // A job that ended is followed by a new job started from its retained checkpoint.
        let resumed = w[0].1.is_terminal()
            && w[1].1 == JobStatus::Created
            && run.restores.iter().any(|r| r.at_ms == w[1].0 && r.cause.starts_with("new job"));
        if !recovered && !resumed && !w[0].1.can_transition_to(w[1].1) {
            anomalies.push(format!("t={} illegal job transition {} -> {}", w[1].0, w[0].1, w[1].1));
        }
    }
    let strategy = spec.restart_strategy();
    // Counts, decisions and delays of every strategy, per JobMaster: [`restart_decisions`].
    if matches!(strategy, RestartStrategyConfig::NoRestart) && run.restarts > 0 {
        anomalies.push(format!("{} restarts under no-restart", run.restarts));
    }
    anomalies.extend(restart_decisions(&strategy, spec.profile, run));
    Verdict::from(
        NAME,
        anomalies,
        format!("{} restarts ({}), legal status transitions", run.restarts, run.restart_description),
    )
}

/// One failure the JobMaster's restart strategy decided on, read back from the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Decision {
    time_ms: u64,
    /// The JobMaster's failure number (starts at 1 again with a new JobMaster).
    failure: u64,
    /// `Some(backoff)` when a restart was scheduled, `None` when it was suppressed.
    backoff_ms: Option<u64>,
}

fn decisions(run: &RunResult) -> Vec<Decision> {
    let mut out = Vec::new();
    for e in run.trace.events().iter().filter(|e| e.kind == "failure" && e.node == "jm") {
        let Some(rest) = e.detail.strip_prefix('#') else { continue };
        let Some((n, rest)) = rest.split_once(' ') else { continue };
        let Ok(failure) = n.parse::<u64>() else { continue };
        let backoff_ms = if rest.starts_with("restart suppressed") {
            None
        } else if let Some(b) = rest.split_once("(backoff ").and_then(|(_, b)| b.split_once(" ms)")) {
            b.0.parse::<u64>().ok()
        } else {
            continue;
        };
        out.push(Decision { time_ms: e.time_ms, failure, backoff_ms });
    }
    out
}

/// Re-derives every restart decision and delay of the configured strategy from the failure
/// times alone (Flink's `RestartBackoffTimeStrategy`s, semantics §4): fixed-delay counts
/// failures; failure-rate keeps a window of failure times (full at `> max`, at `>= max` in
/// 1.11, FLINK-20752) and restarts when the window is not full or its oldest failure is more
/// than the interval old; exponential-delay grows `initial * multiplier^attempt`, capped at
/// the max backoff, jittered by at most `floor(raw * jitter)` either way, never below the
/// initial backoff, and starts over after `reset_threshold` without a failure since the
/// scheduled restart. A new JobMaster (failure numbers restart at 1) starts a new strategy.
/// Also: a restart never runs before its backoff ran out.
fn restart_decisions(strategy: &RestartStrategyConfig, profile: ckptsim::Profile, run: &RunResult) -> Vec<String> {
    let mut anomalies = Vec::new();
    let mut window: std::collections::VecDeque<u64> = std::collections::VecDeque::new();
    let mut count: u64 = 0;
    let mut attempt: u64 = 0;
    let mut next_restart: Option<u64> = None;
    let mut last_failure = 0;
    for d in decisions(run) {
        if d.failure <= last_failure {
            window.clear();
            count = 0;
            attempt = 0;
            next_restart = None;
        }
        last_failure = d.failure;
        let t = d.time_ms;
        // (may restart, allowed backoff range)
        let (allowed, range): (bool, (u64, u64)) = match *strategy {
            RestartStrategyConfig::NoRestart => (false, (0, 0)),
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
                count += 1;
                (count <= attempts.max(0) as u64, (delay_ms as u64, delay_ms as u64))
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                let max = max_failures_per_interval.max(0) as usize;
                let full = |w: &std::collections::VecDeque<u64>| {
                    if profile.failure_rate_full_at_max() {
                        w.len() >= max
                    } else {
                        w.len() > max
                    }
                };
                if full(&window) {
                    window.pop_front();
                }
                window.push_back(t);
                let ok = !full(&window) || t.saturating_sub(window[0]) > interval_ms as u64;
                (ok, (delay_ms as u64, delay_ms as u64))
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                multiplier,
                reset_threshold_ms,
                jitter,
                attempts,
            } => {
                if next_restart.is_some_and(|n| t <= n) {
                    // Merged into the scheduled restart: the remaining wait.
                    let n = next_restart.unwrap_or(t);
                    (attempt <= attempts as u64, (n - t, n - t))
                } else {
                    if next_restart.is_none_or(|n| t - n >= reset_threshold_ms as u64) {
                        attempt = 0;
                    }
                    let (initial, max) = (initial_backoff_ms as u64, max_backoff_ms as u64);
                    let raw_f = initial as f64 * multiplier.powf(attempt as f64);
                    let raw = if raw_f.is_nan() || raw_f >= i64::MAX as f64 { i64::MAX as u64 } else { raw_f as u64 };
                    let j = ((raw as f64 * jitter) as u64).min(raw);
                    let clamp = |x: u64| x.min(max).max(initial);
                    let range = (clamp(raw - j), clamp(raw.saturating_add(j)));
                    attempt += 1;
                    next_restart = Some(t + d.backoff_ms.unwrap_or(range.0));
                    (attempt <= attempts as u64, range)
                }
            }
        };
        match d.backoff_ms {
            Some(_) if !allowed => anomalies.push(format!(
                "t={t} failure #{}: restart scheduled but {} allows none here",
                d.failure,
                strategy_name(strategy)
            )),
            Some(b) if b < range.0 || b > range.1 => anomalies.push(format!(
                "t={t} failure #{}: backoff {b} ms, {} says {}",
                d.failure,
                strategy_name(strategy),
                if range.0 == range.1 { format!("{} ms", range.0) } else { format!("{}..={} ms", range.0, range.1) }
            )),
            None if allowed => anomalies.push(format!(
                "t={t} failure #{}: restart suppressed but {} allows one",
                d.failure,
                strategy_name(strategy)
            )),
            _ => {}
        }
        // The restart itself: the job leaves RESTARTING no earlier than the backoff allows.
        if let Some(b) = d.backoff_ms {
            // The first status change after the failure that ends the restart (a new JobMaster,
            // SUSPENDED -> CREATED, starts over and is not this restart).
            let after = run
                .status_timeline
                .iter()
                .find(|(at, s)| *at > t && matches!(s, JobStatus::Running | JobStatus::Suspended | JobStatus::Created));
            if let Some((at, JobStatus::Running)) = after {
                if *at < t + b {
                    anomalies.push(format!(
                        "t={t} failure #{}: job RUNNING again at t={at} before its backoff of {b} ms ran out",
                        d.failure
                    ));
                }
            }
        }
    }
    anomalies
}

fn strategy_name(s: &RestartStrategyConfig) -> &'static str {
    match s {
        RestartStrategyConfig::NoRestart => "no-restart",
        RestartStrategyConfig::FixedDelay { .. } => "fixed-delay",
        RestartStrategyConfig::FailureRate { .. } => "failure-rate",
        RestartStrategyConfig::ExponentialDelay { .. } => "exponential-delay",
    }
}

/// The end of the fault phase: the last fault healed (a crash heals when its process is back),
/// the last re-tune or action (TigerBeetle's VOPR: a fault phase, then a healing phase in which
/// the system must make progress).
pub fn healing_start_ms(spec: &JobSpec, run: &RunResult) -> u64 {
    let mut heal = run.last_fault_end_ms;
    for f in &spec.faults {
        let restart_after = match &f.kind {
            crate::spec::FaultKind::TmCrash { restart_after_ms, .. }
            | crate::spec::FaultKind::JmCrash { restart_after_ms } => *restart_after_ms,
            _ => 0,
        };
        heal = match f.at {
            crate::spec::FaultAt::Time(at) => {
                heal.max(at.saturating_add(f.duration_ms.unwrap_or(0)).saturating_add(restart_after))
            }
            // An anchored fault fired at some time up to the last fault end.
            _ => heal.max(run.last_fault_end_ms.saturating_add(restart_after)),
        };
    }
    let last_retune = run.retunes.iter().map(|(t, _)| *t).max().unwrap_or(0);
    let last_action = spec.actions.iter().map(|a| a.at_ms).max().unwrap_or(0);
    heal.max(last_retune).max(last_action).min(run.stop_at_ms)
}

/// The longest a job or task may stay in a transitional state once the faults healed: a lost
/// RPC times out (the ask timeout), reconciliation runs on the next heartbeats, the restart
/// strategy waits its longest backoff, the task deploys and restores its largest checkpoint.
pub fn transitional_bound_ms(spec: &JobSpec, run: &RunResult) -> u64 {
    let strategy = spec.restart_strategy();
    let configured_backoff = match strategy {
        RestartStrategyConfig::NoRestart => 0,
        RestartStrategyConfig::FixedDelay { delay_ms, .. } | RestartStrategyConfig::FailureRate { delay_ms, .. } => {
            delay_ms.max(0) as u64
        }
        RestartStrategyConfig::ExponentialDelay { max_backoff_ms, jitter, .. } => {
            (max_backoff_ms.max(0) as f64 * (1.0 + jitter.max(0.0))).ceil() as u64
        }
    };
    let observed_backoff = run.restart_schedule.iter().map(|(_, _, b)| *b).max().unwrap_or(0);
    let largest = run.checkpoints.iter().map(|c| c.size_bytes).max().unwrap_or(0);
    let restore_ms = largest / spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
    let c = &spec.cluster;
    ckptsim::job::DEFAULT_DEPLOY_TIMEOUT_MS
        + configured_backoff.max(observed_backoff)
        + 2 * c.heartbeat_interval_ms
        + c.deploy_ms
        + restore_ms
        + 4 * c.control_latency_ms.1
        + 2_000
}

fn job_status_transitional(s: JobStatus) -> bool {
    matches!(s, JobStatus::Created | JobStatus::Restarting | JobStatus::Failing | JobStatus::Cancelling)
}

fn task_state_transitional(s: ckptsim::status::ExecutionState) -> bool {
    use ckptsim::status::ExecutionState::*;
    matches!(s, Created | Scheduled | Deploying | Initializing | Canceling)
}

/// States that outlived `bound` after the healing started: per job and per task, every stay
/// in a transitional state is measured from the later of its start and `heal` to its end (or
/// the end of the run). One anomaly per stuck job or task (its longest stay).
fn stuck_states(run: &RunResult, heal: u64, bound: u64) -> Vec<String> {
    let mut out = Vec::new();
    let stop = run.stop_at_ms;
    let over = |from: u64, to: u64| to.saturating_sub(from.max(heal)) > bound;
    for (i, (t, s)) in run.status_timeline.iter().enumerate() {
        if !job_status_transitional(*s) {
            continue;
        }
        let until = run.status_timeline.get(i + 1).map(|n| n.0).unwrap_or(stop);
        if over(*t, until) {
            let end = if i + 1 < run.status_timeline.len() { format!("until t={until}") } else { "to the end".into() };
            out.push(format!(
                "job stuck in {s} from t={t} {end} ({} ms after the healing at t={heal}; bound {bound} ms)",
                until.saturating_sub((*t).max(heal))
            ));
            break;
        }
    }
    // Per task: the current state and since when, walking the transitions in time order; the
    // longest stuck stay of each task.
    type Stay = (u64, u64, ckptsim::status::ExecutionState, bool);
    let mut current: BTreeMap<&str, (u64, ckptsim::status::ExecutionState)> = BTreeMap::new();
    let mut worst: BTreeMap<String, Stay> = BTreeMap::new();
    let record = |worst: &mut BTreeMap<String, Stay>, name: &str, since: u64, until: u64, s, open| {
        if task_state_transitional(s) && over(since, until) {
            let len = until.saturating_sub(since.max(heal));
            let e = worst.entry(name.to_string()).or_insert((since, until, s, open));
            if len > e.1.saturating_sub(e.0.max(heal)) {
                *e = (since, until, s, open);
            }
        }
    };
    for (t, name, _from, to) in &run.task_transitions {
        if let Some((since, s)) = current.get(name.as_str()).copied() {
            record(&mut worst, name, since, *t, s, false);
        }
        current.insert(name.as_str(), (*t, *to));
    }
    // A job that ended in a terminal status leaves its tasks where the JobManager last saw them.
    if !run.final_status.is_terminal() {
        for (name, (since, s)) in &current {
            record(&mut worst, name, *since, stop, *s, true);
        }
    }
    for (name, (since, until, s, open)) in worst {
        let end = if open { "to the end".to_string() } else { format!("until t={until}") };
        out.push(format!(
            "task {name} stuck in {s} from t={since} {end} ({} ms after the healing at t={heal}; bound {bound} ms)",
            until.saturating_sub(since.max(heal))
        ));
    }
    out
}

/// Liveness, TigerBeetle-style: after the fault phase (see [`healing_start_ms`]) the job makes
/// progress. (1) No job or task stays in a transitional state (CREATED, SCHEDULED, DEPLOYING,
/// INITIALIZING, CANCELING, RESTARTING, FAILING) longer than [`transitional_bound_ms`] past
/// the healing. (2) A job that ends RUNNING with periodic checkpoints completes a checkpoint
/// after the healing and its last restart, within `interval + min pause + timeout + 10 s` of
/// the config in force (or the scenario's `max_checkpoint_gap_ms`). (3) With a replayable
/// source, every input that arrived before the healing is in the output by the end, once the
/// run lasted two checkpoint bounds past the healing.
pub fn liveness(spec: &JobSpec, run: &RunResult) -> Verdict {
    liveness_with(spec, run, &crate::reference::compute(spec))
}

/// [`liveness`] with the reference already computed.
pub fn liveness_with(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "liveness";
    let heal = healing_start_ms(spec, run);
    let state_bound = transitional_bound_ms(spec, run);
    let mut anomalies = Vec::new();
    let mut judged = Vec::new();
    if heal + state_bound <= run.stop_at_ms {
        judged.push(format!("no stuck job or task state for {state_bound} ms after t={heal}"));
    }
    let stuck = stuck_states(run, heal, state_bound);
    // The config in force at the end (a re-tune may have changed interval and timeout).
    let cfg = &run.final_checkpoint_config;
    if let (Some(interval), JobStatus::Running) = (cfg.base_interval_ms(), run.final_status) {
        // A checkpoint triggered within one interval (+ min pause) completes within the timeout.
        let bound = spec
            .expect
            .max_checkpoint_gap_ms
            .unwrap_or(interval + cfg.min_pause_normalized_ms() + cfg.timeout_ms as u64 + 10_000);
        let healed = heal.max(run.status_timeline.last().map(|s| s.0).unwrap_or(0));
        if healed + bound <= run.stop_at_ms {
            let ok = run
                .checkpoints
                .iter()
                .any(|r| r.outcome == "COMPLETED" && r.end_ms.is_some_and(|e| e > healed && e <= healed + bound));
            if !ok {
                anomalies.push(format!(
                    "no checkpoint completed within {bound} ms after t={healed} (last fault, restart or re-tune)"
                ));
            }
            judged.push(format!("a checkpoint completed within {bound} ms after t={healed}"));
        }
        if replayable(spec) && healed + 2 * bound <= run.stop_at_ms {
            judged.push("output converged".into());
            anomalies.extend(unconverged(spec, run, reference, heal));
        }
    }
    anomalies.extend(stuck);
    if judged.is_empty() && anomalies.is_empty() {
        return Verdict::skip(NAME, "run too short after the healing to judge");
    }
    Verdict::from(NAME, anomalies, judged.join("; "))
}

/// Inputs of a log source that arrived before `heal` and are missing from the output (committed
/// output for a 2PC sink, printed rows for a print sink) at the end: at most one anomaly.
fn unconverged(spec: &JobSpec, run: &RunResult, reference: &Reference, heal: u64) -> Option<String> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let rows: &[OutputRow] = match sink_kind(spec) {
        Some(OpKind::TwoPhaseCommitSink) => &run.committed,
        Some(OpKind::PrintSink) => &run.print_rows,
        _ => return None,
    };
    let seen: BTreeSet<u64> = rows.iter().map(|r| r.lineage.input_seq).collect();
    let missing: Vec<u64> = records
        .iter()
        .enumerate()
        .filter(|(i, (t, _, _))| {
            *t < heal && reference.producing_inputs.contains_key(&(*i as u64)) && !seen.contains(&(*i as u64))
        })
        .map(|(i, _)| i as u64)
        .collect();
    let first = missing.first()?;
    Some(format!(
        "output did not converge: {} inputs that arrived before the healing at t={heal} are missing at the end (first: input #{first} at {} ms)",
        missing.len(),
        records[*first as usize].0
    ))
}

/// Whether a checkpoint failure reason counts towards the tolerable consecutive failures
/// (Flink's `CheckpointFailureManager.checkFailureCounter`): declines and expiry always; since
/// 1.14 also I/O, asynchronous-phase and finalization failures. Everything else (pre-flight
/// refusals, subsumption, coordinator suspension, task failures, ...) does not count.
fn reason_counts(reason: &str, profile: ckptsim::Profile) -> bool {
    match reason {
        "CHECKPOINT_DECLINED" | "CHECKPOINT_EXPIRED" => true,
        "IO_EXCEPTION" | "CHECKPOINT_ASYNC_EXCEPTION" | "FINALIZE_CHECKPOINT_FAILURE" => {
            profile == ckptsim::Profile::Flink23
        }
        _ => false,
    }
}

/// Tolerable checkpoint failures: re-derives, from the checkpoints' outcomes in completion
/// order, when the consecutive counted failures exceed `tolerable_failures` (the counter
/// restarts at every crossing, at a success — in 2.x only a success newer than the last one,
/// and 2.x ignores failures of checkpoints at or below the last success — and with a new
/// JobManager). The job must fail with "Exceeded checkpoint tolerable failure threshold"
/// exactly at those crossings while it is RUNNING, and never otherwise.
pub fn tolerable_failure(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "tolerable-failure";
    let retuned =
        spec.actions.iter().any(|a| matches!(&a.kind, ActionKind::Retune(r) if r.tolerable_failures.is_some()));
    if retuned {
        return Verdict::skip(NAME, "tolerable failures re-tuned at run time");
    }
    let cfg = &spec.checkpoint;
    let profile = spec.profile;
    let unlimited = cfg.tolerable_is_unlimited();
    let limit = cfg.tolerable_failures.max(0) as u64;
    // New JobManagers: the times a SUSPENDED job was recovered.
    let recoveries: Vec<u64> = run
        .status_timeline
        .windows(2)
        .filter(|w| w[0].1 == JobStatus::Suspended && w[1].1 == JobStatus::Created)
        .map(|w| w[1].0)
        .collect();
    let mut rows: Vec<&crate::world::CheckpointRow> = run.checkpoints.iter().filter(|r| r.end_ms.is_some()).collect();
    rows.sort_by_key(|r| (r.end_ms, r.id));
    let mut counter = 0u64;
    let mut counted: BTreeSet<ckptsim::CheckpointId> = BTreeSet::new();
    let mut last_success: Option<ckptsim::CheckpointId> = None;
    let mut epoch = 0;
    let mut predicted: BTreeMap<ckptsim::CheckpointId, u64> = BTreeMap::new();
    for r in rows {
        let end = r.end_ms.unwrap_or(0);
        let e = recoveries.iter().filter(|t| **t <= end).count();
        if e != epoch {
            epoch = e;
            counter = 0;
            counted.clear();
            last_success = None;
        }
        if r.outcome == "COMPLETED" {
            let newer = last_success.is_none_or(|l| r.id > l);
            if newer {
                last_success = Some(r.id);
            }
            if newer || profile != ckptsim::Profile::Flink23 {
                counter = 0;
                counted.clear();
            }
            continue;
        }
        if unlimited || r.outcome == "PENDING" {
            continue;
        }
        // 2.x: a failed savepoint counts only when a task declined it.
        if r.savepoint && profile == ckptsim::Profile::Flink23 && r.outcome != "CHECKPOINT_DECLINED" {
            continue;
        }
        if profile == ckptsim::Profile::Flink23 && last_success.is_some_and(|l| r.id <= l) {
            continue;
        }
        if reason_counts(&r.outcome, profile) && counted.insert(r.id) {
            counter += 1;
            if counter > limit {
                predicted.insert(r.id, end);
                counter = 0;
                counted.clear();
            }
        }
    }
    let mut anomalies = Vec::new();
    let mut actual: BTreeSet<ckptsim::CheckpointId> = BTreeSet::new();
    for e in run.trace.events().iter().filter(|e| e.kind == "failure" && e.node == "jm") {
        let Some((_, rest)) = e.detail.split_once("Exceeded checkpoint tolerable failure threshold (") else {
            continue;
        };
        let id = rest
            .split_once("checkpoint ")
            .and_then(|(_, x)| x.trim_end_matches(')').parse::<u64>().ok())
            .map(ckptsim::CheckpointId);
        match id {
            Some(id) if predicted.contains_key(&id) => {
                actual.insert(id);
            }
            _ => anomalies.push(format!(
                "t={} job failed on the tolerable-failure threshold, but the re-derived consecutive counted failures did not exceed {} there ({})",
                e.time_ms,
                if unlimited { "an unlimited tolerance".to_string() } else { format!("tolerable_failures = {limit}") },
                e.detail
            )),
        }
    }
    for (id, t) in &predicted {
        if actual.contains(id) {
            continue;
        }
        // A failure while the job is not RUNNING belongs to the restart already under way.
        let running = run.status_timeline.iter().rev().find(|(at, _)| at <= t).is_some_and(|(at, s)| {
            *s == JobStatus::Running && *at < *t && !run.status_timeline.iter().any(|(a2, _)| a2 == t)
        });
        if running {
            anomalies.push(format!(
                "t={t} checkpoint {id} was counted failure number {} (tolerable {limit}) but the job did not fail",
                limit + 1
            ));
        }
    }
    let summary = if unlimited {
        "unlimited tolerance: the job never failed on it".to_string()
    } else {
        format!("{} threshold crossing(s) re-derived (tolerable {limit})", predicted.len())
    };
    Verdict::from(NAME, anomalies, summary)
}

/// Retention: which of its own checkpoints a job leaves behind when it ends (Flink's
/// `CheckpointRetentionPolicy` via `shouldBeDiscardedOnShutdown`): none by default
/// (NEVER_RETAIN_AFTER_TERMINATION); on FAILED only with RETAIN_ON_FAILURE; on FAILED or
/// CANCELED with RETAIN_ON_CANCELLATION; never after FINISHED. What is left is among the newest
/// `num_retained` completed checkpoints and includes the newest one.
pub fn retention(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "retention";
    use ckptsim::config::Retention;
    let status = run.final_status;
    if !matches!(status, JobStatus::Failed | JobStatus::Canceled | JobStatus::Finished) {
        return Verdict::skip(NAME, "job did not reach a globally terminal status");
    }
    let own: BTreeSet<ckptsim::CheckpointId> =
        run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED" && !r.savepoint).map(|r| r.id).collect();
    let retained: BTreeSet<ckptsim::CheckpointId> =
        run.retained.iter().copied().filter(|id| own.contains(id)).collect();
    let keep = match spec.checkpoint.retention {
        Retention::NoExternalizedCheckpoints => false,
        Retention::DeleteOnCancellation => status == JobStatus::Failed,
        Retention::RetainOnCancellation => matches!(status, JobStatus::Failed | JobStatus::Canceled),
    };
    let mut anomalies = Vec::new();
    let policy = format!("{:?}", spec.checkpoint.retention);
    if !keep && !retained.is_empty() {
        anomalies.push(format!("job ended {status} under {policy} but checkpoints {retained:?} were retained"));
    }
    if keep {
        let newest: Vec<ckptsim::CheckpointId> =
            own.iter().rev().take(spec.checkpoint.num_retained.max(1) as usize).copied().collect();
        if let Some(latest) = newest.first() {
            if !retained.contains(latest) {
                anomalies.push(format!(
                    "job ended {status} under {policy} but the newest completed checkpoint {latest} was discarded (retained {retained:?})"
                ));
            }
        }
        for id in &retained {
            if !newest.contains(id) {
                anomalies.push(format!(
                    "checkpoint {id} retained but it is not among the newest {} completed",
                    spec.checkpoint.num_retained
                ));
            }
        }
    }
    let summary = format!("job ended {status} under {policy}: retained {retained:?}");
    Verdict::from(NAME, anomalies, summary)
}

/// Renders a verdict as one line.
pub fn verdict_line(v: &Verdict) -> String {
    match v.passed {
        None => format!("  {:<17} n/a   {}", v.checker, v.summary),
        Some(true) => format!("  {:<17} PASS  {}", v.checker, v.summary),
        Some(false) => format!("  {:<17} FAIL  {}", v.checker, v.anomalies.first().cloned().unwrap_or_default()),
    }
}
