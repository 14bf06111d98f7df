//! The `coordinator` checker: checkpoint ids strictly increase, at most max-concurrent pending, the minimum pause respected by periodic requests, expiry at the timeout, and a completed checkpoint acknowledged by every task not FINISHED at its trigger.

use super::*;

/// Coordinator: ids strictly increase, at most max-concurrent pending, min pause respected by
/// periodic requests, expiry at the timeout; every completed checkpoint had an acknowledgement
/// from each task that was not FINISHED at its trigger (under 1.11 from every task), as the
/// world recorded what the JobManager saw (`CheckpointRow::acks`; Flink's
/// `PendingCheckpoint#isFullyAcknowledged` over the plan `DefaultCheckpointPlanCalculator`
/// fixed at the trigger: a task finishing after the trigger is still waited for).
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
    // Ids are never reused, across JobManager leaders too: Flink's CheckpointCoordinator draws
    // them from the CheckpointIDCounter, which HA keeps outside the JobManager. The rows above
    // are one per id (a reused id overwrites its row), so this reads the trigger events.
    let mut highest: Option<(u64, ckptsim::CheckpointId)> = None;
    for e in run.trace.events() {
        let crate::world::trace::EventData::Trigger { id } = e.data else { continue };
        if let Some((at, top)) = highest.filter(|(_, top)| id <= *top) {
            anomalies.push(format!(
                "t={} checkpoint id {id} triggered again or lowered: checkpoint {top} was triggered at t={at}",
                e.time_ms
            ));
        }
        if highest.is_none_or(|(_, top)| id > top) {
            highest = Some((e.time_ms, id));
        }
    }
    let retuned = run
        .trace
        .events()
        .iter()
        .any(|e| matches!(e.data, crate::world::trace::EventData::Retune { rejected: None, .. }));
    // Linear sweeps instead of a scan of all rows per row (quadratic in long runs): rows are in
    // trigger order; `ends` holds the end times of the rows triggered so far that are still
    // pending; `completions` the sorted completion times.
    // (ms, place in that ms): a completion recorded in the trigger's millisecond but after it
    // (the trigger ran when an abort freed a slot, the completion came next) is not before it
    // (swarm seed 487 of faults/task-failure-anchored).
    let mut completions: Vec<(u64, u32)> =
        rows.iter().filter(|o| o.outcome == "COMPLETED").filter_map(|o| o.end_ms.map(|e| (e, o.end_seq))).collect();
    completions.sort_unstable();
    let mut ends: std::collections::BinaryHeap<std::cmp::Reverse<u64>> = std::collections::BinaryHeap::new();
    let mut next = 0;
    let mut awaited = 0;
    for (i, r) in rows.iter().enumerate() {
        // Every row triggered before this one and itself, minus those ended by now. Not the
        // rows triggered later in the same millisecond: a savepoint triggered right after a
        // checkpoint that filled the last slot is forced past max concurrent (Flink's
        // `CheckpointRequestDecider` lets a forced request through), and does not make the
        // checkpoint before it one too many.
        while next <= i {
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
        // Only periodic requests are held back by the min pause (Flink's
        // `CheckpointRequestDecider`; `CheckpointTriggerRequest.isPeriodic`), as each row
        // records from the coordinator's trigger: not a savepoint, a trigger-checkpoint action,
        // a checkpoint gate's own request (`gates = [{ trigger = true }]`), nor 2.x's
        // end-of-data checkpoint (`SchedulerBase.notifyEndOfData`). A forced (savepoint)
        // request skips the pause too; the world submits no periodic savepoints.
        if !retuned && r.periodic && !r.savepoint {
            // Completions recorded before the trigger; in the trigger's own millisecond only
            // those counted before it (its own completion, possible in the same ms with
            // zero-time delivery in `explore`, never is).
            let before = completions
                .partition_point(|&(ms, seq)| ms < r.trigger_ms || (ms == r.trigger_ms && seq < r.trigger_seq));
            let last_completion = before.checked_sub(1).map(|i| completions[i].0);
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
        if let Some(acks) = r.acks.as_ref().filter(|_| r.outcome == "COMPLETED") {
            awaited += 1;
            for &(task, attempt, finished) in &acks.missing {
                let name = run.task_names.get(task.0 as usize).cloned().unwrap_or_else(|| format!("{task}"));
                let later = match finished {
                    Some(f) => format!(" (it FINISHED at t={f}, after the trigger: Flink still waits for its ack)"),
                    None => String::new(),
                };
                anomalies.push(format!(
                    "t={} checkpoint {} completed without an acknowledgement from {name} attempt {}, \
                     which was not FINISHED at its trigger at t={}{later}",
                    r.end_ms.unwrap_or(0),
                    r.id,
                    attempt.0,
                    r.trigger_ms
                ));
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
        format!(
            "{} checkpoints: ids increasing, concurrency, min pause (periodic requests), expiry; \
             {awaited} completed with every required ack",
            rows.len()
        ),
    )
}
