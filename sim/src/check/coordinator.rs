//! The `coordinator` checker: checkpoint ids strictly increase, at most max-concurrent pending, the minimum pause respected, expiry at the timeout.

use super::*;

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
    // Manual requests are not held back by the min pause (only periodic ones are, Flink's
    // `CheckpointRequestDecider`): a savepoint or trigger-checkpoint action, or a checkpoint
    // gate whose source requests its checkpoint itself (`gates = [{ trigger = true }]`, sent
    // as a trigger-checkpoint action; found by swarm's min-pause draw on
    // eventtime/refire-after-restore seed 18).
    let manual = spec.actions.iter().any(|a| matches!(a.kind, ActionSpec::Savepoint | ActionSpec::TriggerCheckpoint))
        || spec.input_options.gates.iter().any(|&(_, trigger)| trigger);
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
        // The first checkpoint triggered at or after an end-of-data request is that request's.
        let end_of_data = run.end_of_data_requests.iter().any(|&at| rows.partition_point(|o| o.trigger_ms < at) == i);
        if !retuned && !manual && !r.savepoint && !end_of_data {
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
