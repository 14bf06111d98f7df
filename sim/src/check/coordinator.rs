//! The `coordinator` checker: checkpoint ids strictly increase, at most max-concurrent pending (forced savepoints excepted), the minimum pause respected by periodic requests, expiry at the timeout (and no completion after it), a completed checkpoint acknowledged by every task not FINISHED at its trigger, and the request decider's queue replayed: every request chosen or failed out of it was its head by Flink's priority order.

use crate::world::CheckpointRow;
use ckptsim::coordinator::{QueueChange, RequestKind};
use ckptsim::reason::CheckpointFailureReason;
use std::collections::VecDeque;

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
    // References, not a copy of every row (a copy was 51 MiB of the virtual hour at a 10 ms
    // interval: 360,000 rows with their outcome text and acknowledgement lists).
    let mut rows: Vec<&CheckpointRow> = run.checkpoints.iter().collect();
    rows.sort_by_key(|r| (r.trigger_ms, r.id));
    ids_increasing(run, &rows, &mut anomalies);
    let retuned = run
        .trace
        .events()
        .iter()
        .any(|e| matches!(e.data, crate::world::trace::EventData::Retune { rejected: None, .. }));
    let timeouts = Retuned::from_trace(run, cfg.timeout_ms, |r| r.timeout_ms);
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
        // Only a forced request passes max concurrent: a savepoint, unless unaligned
        // checkpoints are on (Flink's `triggerSavepoint`: `forSavepoint(!unalignedCheckpointsEnabled)`).
        let forced = r.savepoint && !cfg.unaligned;
        if pending as i64 > cfg.max_concurrent && !forced {
            anomalies.push(
                Finding::new(
                    "too-many-pending",
                    format!(
                        "t={} {} checkpoints pending (max concurrent {})",
                        r.trigger_ms, pending, cfg.max_concurrent
                    ),
                )
                .at(r.trigger_ms),
            );
        }
        // Only periodic requests are held back by the min pause (Flink's
        // `CheckpointRequestDecider`; `CheckpointTriggerRequest.isPeriodic`), as each row
        // records from the coordinator's trigger: not a savepoint, a trigger-checkpoint action,
        // a checkpoint gate's own request (`gates = [{ trigger = true }]`), nor 2.x's
        // end-of-data checkpoint (`SchedulerBase.notifyEndOfData`). A forced (savepoint)
        // request skips the pause too; the world submits no periodic savepoints.
        if !retuned && r.periodic && !r.savepoint {
            anomalies.extend(min_pause(r, &completions, cfg));
        }
        if r.outcome == "COMPLETED" && r.acks.is_some() {
            awaited += 1;
            missing_acks(run, r, &mut anomalies);
            partly_finished_union(spec, run, r, &mut anomalies);
        }
        // Session 43: judged under a re-tuned timeout too, with the timeout in force at the
        // checkpoint's trigger (a re-tune applies to checkpoints triggered after it).
        // A re-tune of the timeout in the trigger's own millisecond: which came first is not
        // recorded, so the checkpoint is not judged.
        let timeout_ms = (!timeouts.changed_at(r.trigger_ms)).then(|| timeouts.at(r.trigger_ms));
        if let (true, Some(t)) = (r.outcome == "CHECKPOINT_EXPIRED", timeout_ms) {
            anomalies.extend(expiry(r, t));
        }
        if let (true, Some(t)) = (r.outcome == "COMPLETED", timeout_ms) {
            anomalies.extend(completed_after_timeout(r, t));
        }
    }
    subsumption(spec, &rows, &mut anomalies);
    pending_outlives_running(run, &rows, &mut anomalies);
    let replayed = decider_queue(spec, run, &completions, retuned, &mut anomalies);
    let lost = lost_triggers(spec, run, &rows, &mut anomalies);
    let failed = failed_triggers(spec, run, &rows, &mut anomalies);
    super::notifications::notified_only_completed(run, &mut anomalies);
    super::gates::gates_pass_on_their_checkpoint(run, &mut anomalies);
    super::gate_requests::gate_requests_retried(run, &mut anomalies);
    Verdict::from(
        NAME,
        anomalies,
        format!(
            "{} checkpoints: ids increasing, concurrency, min pause (periodic requests), expiry; \
             {awaited} completed with every required ack; {replayed} queue changes replayed; \
             {lost} lost trigger RPCs and {failed} failed ones judged",
            rows.len()
        ),
    )
}

/// No checkpoint stays pending once the job left RUNNING (session 25, the held-out
/// `pending-survives-failover`): Flink's `CheckpointCoordinatorDeActivator` stops the periodic
/// scheduler at every job status other than RUNNING, and `stopCheckpointScheduler` aborts every
/// pending checkpoint (`CHECKPOINT_COORDINATOR_SUSPEND`, not counted), so a checkpoint triggered
/// before a failure ends at the latest when the job leaves RUNNING. A checkpoint left pending
/// expires later instead (`CHECKPOINT_EXPIRED`, counted toward the tolerable failures) and holds
/// a max-concurrent slot meanwhile. Only periodic checkpoints, and only the first status change
/// after the trigger, are judged,
/// and not when it is a new JobManager's or job's CREATED (or SUSPENDED), whose old
/// coordinator's checkpoints end with it; same-millisecond orders are not judged.
fn pending_outlives_running(run: &RunResult, rows: &[&CheckpointRow], anomalies: &mut Vec<Finding>) {
    use ckptsim::status::JobStatus;
    // (ms, left RUNNING) per status change after the first; false: a new coordinator.
    let mut changes: Vec<(u64, bool)> = Vec::new();
    let mut prev = None;
    for &(t, s) in &run.status_timeline {
        if prev.is_some() && prev != Some(s) {
            let reset = matches!(s, JobStatus::Created | JobStatus::Suspended);
            if reset || prev == Some(JobStatus::Running) {
                changes.push((t, !reset));
            }
        }
        prev = Some(s);
    }
    // Periodic checkpoints only: they are triggered while the scheduler runs, so the job
    // leaving RUNNING stops it and aborts them. A savepoint or manual request may be pending
    // while the scheduler is already stopped (a stop-with-savepoint stops it before its
    // synchronous savepoint), and then ends at the failover (JOB_FAILOVER_REGION).
    for r in rows.iter().filter(|r| r.periodic) {
        let k = changes.partition_point(|(t, _)| *t <= r.trigger_ms);
        let Some(&(t, left)) = changes.get(k) else { continue };
        if left && r.end_ms.is_none_or(|e| e > t) {
            let end = r.end_ms.map_or("never ended".to_string(), |e| format!("ended at {e} ms ({})", r.outcome));
            anomalies.push(
                Finding::new(
                    "pending-after-leaving-running",
                    format!(
                        "checkpoint {} triggered at {} ms was still pending when the job left RUNNING at {t} ms: {end} \
                         (Flink's stopCheckpointScheduler aborts every pending checkpoint, CHECKPOINT_COORDINATOR_SUSPEND)",
                        r.id, r.trigger_ms
                    ),
                )
                .at(t),
            );
        }
    }
}

/// Checkpoint ids strictly increase in trigger order, and are never triggered again or lowered,
/// across JobManager leaders too.
fn ids_increasing(run: &RunResult, rows: &[&CheckpointRow], anomalies: &mut Vec<Finding>) {
    for w in rows.windows(2) {
        if w[1].id <= w[0].id {
            let text = format!("t={} checkpoint ids not increasing: {} after {}", w[1].trigger_ms, w[1].id, w[0].id);
            anomalies.push(Finding::new("ids-not-increasing", text).at(w[1].trigger_ms));
        }
    }
    // Ids are never reused, across JobManager leaders too: Flink's CheckpointCoordinator draws
    // them from the CheckpointIDCounter, which HA keeps outside the JobManager. The rows above
    // are one per id (a reused id overwrites its row), so this reads the trigger events.
    let mut highest: Option<(u64, ckptsim::CheckpointId)> = None;
    for e in run.trace.triggers() {
        let id = e.id;
        if let Some((at, top)) = highest.filter(|(_, top)| id <= *top) {
            anomalies.push(
                Finding::named(format!(
                    "t={} checkpoint id {id} triggered again or lowered: checkpoint {top} was triggered at t={at}",
                    e.time_ms
                ))
                .at(e.time_ms),
            );
        }
        if highest.is_none_or(|(_, top)| id > top) {
            highest = Some((e.time_ms, id));
        }
    }
}

/// A periodic request `r` triggered before the min pause after the last completion (in
/// `completions`: (ms, place in that ms), sorted) ran out.
fn min_pause(
    r: &CheckpointRow,
    completions: &[(u64, u32)],
    cfg: &ckptsim::config::CheckpointConfig,
) -> Option<Finding> {
    // Completions recorded before the trigger; in the trigger's own millisecond only
    // those counted before it (its own completion, possible in the same ms with
    // zero-time delivery in `explore`, never is).
    let before =
        completions.partition_point(|&(ms, seq)| ms < r.trigger_ms || (ms == r.trigger_ms && seq < r.trigger_seq));
    let last_completion = before.checked_sub(1).map(|i| completions[i].0);
    if let Some(lc) = last_completion {
        if (r.trigger_ms as i64) < lc as i64 + cfg.min_pause_ms {
            return Some(
                Finding::new(
                    "min-pause-violated",
                    format!(
                        "t={} min pause violated: checkpoint {} triggered {} ms after the last completion \
                         (min pause {} ms)",
                        r.trigger_ms,
                        r.id,
                        r.trigger_ms - lc,
                        cfg.min_pause_ms
                    ),
                )
                .at(r.trigger_ms),
            );
        }
    }
    None
}

/// The acknowledgements completed checkpoint `r` lacked from tasks not FINISHED at its trigger.
fn missing_acks(run: &RunResult, r: &CheckpointRow, anomalies: &mut Vec<Finding>) {
    let Some(acks) = r.acks.as_ref() else { return };
    for &(task, attempt, finished) in &acks.missing {
        let name = run.task_names.get(task.0 as usize).cloned().unwrap_or_else(|| format!("{task}"));
        let later = match finished {
            Some(f) => format!(" (it FINISHED at t={f}, after the trigger: Flink still waits for its ack)"),
            None => String::new(),
        };
        anomalies.push(
            Finding::new(
                "completed-without-ack",
                format!(
                    "t={} checkpoint {} completed without an acknowledgement from {name} attempt {}, \
                     which was not FINISHED at its trigger at t={}{later}",
                    r.end_ms.unwrap_or(0),
                    r.id,
                    attempt.0,
                    r.trigger_ms
                ),
            )
            .at(r.end_ms.unwrap_or(0)),
        );
    }
}

/// FLIP-147 (flink-2.3): completed checkpoint `r` held a vertex with union list state partly
/// finished, which Flink refuses when it finalizes the checkpoint
/// (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`, aborted with
/// `CHECKPOINT_DECLINED_TASK_CLOSING`): a finished subtask stores no state, so a restore would
/// hand every subtask a union without its entries. flink-1.11 completes no checkpoint once a
/// task finished, and the world records nothing there.
fn partly_finished_union(spec: &JobSpec, run: &RunResult, r: &CheckpointRow, anomalies: &mut Vec<Finding>) {
    let Some(acks) = r.acks.as_ref() else { return };
    if !spec.profile.checkpoints_after_tasks_finish() {
        return;
    }
    for v in &acks.partly_finished_union {
        let name = run.task_names.get(v.first_task.0 as usize).cloned().unwrap_or_else(|| format!("{}", v.first_task));
        let how = if v.finished > 0 {
            format!("{} of its {} subtasks FINISHED at the trigger", v.finished, v.subtasks)
        } else {
            format!("{} of its {} subtasks acknowledged with finished operators", v.operators_finished, v.subtasks)
        };
        let end = r.end_ms.unwrap_or(0);
        anomalies.push(
            Finding::new(
                "partly-finished-union",
                format!(
                    "t={end} checkpoint {} completed with the vertex of {name} partly finished ({how}) although its \
                     state uses union list state: Flink aborts it with CHECKPOINT_DECLINED_TASK_CLOSING",
                    r.id
                ),
            )
            .at(end),
        );
    }
}

/// A checkpoint `r` that completed after its timeout ran out (session 29, the held-out
/// `timeout-from-last-ack`): Flink schedules one `CheckpointCanceller` per pending checkpoint at
/// its trigger (`CheckpointCoordinator#createPendingCheckpoint`, `checkpointTimeout` later), which
/// aborts it as `CHECKPOINT_EXPIRED` unless it completed by then; so no checkpoint or savepoint
/// completes more than the timeout after its trigger. An acknowledgement in the expiry's own
/// millisecond races with it and is not judged.
fn completed_after_timeout(r: &CheckpointRow, timeout_ms: i64) -> Option<Finding> {
    let end = r.end_ms?;
    let took_ms = end.saturating_sub(r.trigger_ms);
    (took_ms as i64 > timeout_ms).then(|| {
        Finding::new(
            "completed-after-timeout",
            format!(
                "t={end} checkpoint {} completed {took_ms} ms after its trigger (timeout {} ms): Flink expires it at \
                 trigger + timeout",
                r.id, timeout_ms
            ),
        )
        .at(end)
    })
}

/// An expired checkpoint `r` that did not expire at the timeout.
fn expiry(r: &CheckpointRow, timeout_ms: i64) -> Option<Finding> {
    let end = r.end_ms.unwrap_or(0);
    if end.saturating_sub(r.trigger_ms) as i64 != timeout_ms {
        return Some(
            Finding::new(
                "expiry-not-at-timeout",
                format!(
                    "t={end} checkpoint {} expired after {} ms (timeout {} ms)",
                    r.id,
                    end - r.trigger_ms,
                    timeout_ms
                ),
            )
            .at(end),
        );
    }
    None
}

/// Failed trigger RPCs (`RunResult::failed_triggers`, flink-2.3): the TaskManager answered that
/// it does not run the attempt, and the JobMaster took the answer for the task's current
/// attempt. `CheckpointCoordinator#triggerCheckpointRequest` aborts the checkpoint when that
/// failure arrives (`TASK_CHECKPOINT_FAILURE`), so a checkpoint that ended later, or was still
/// pending when the run stopped, is named. Returns how many were judged.
fn failed_triggers(spec: &JobSpec, run: &RunResult, rows: &[&CheckpointRow], anomalies: &mut Vec<Finding>) -> usize {
    if run.failed_triggers.is_empty() || !spec.profile.trigger_rpc_failure_aborts_checkpoint() {
        return 0;
    }
    let by_id: std::collections::BTreeMap<ckptsim::CheckpointId, &CheckpointRow> =
        rows.iter().map(|r| (r.id, *r)).collect();
    let mut named = std::collections::BTreeSet::new();
    for f in &run.failed_triggers {
        let Some(r) = by_id.get(&f.id) else { continue };
        if r.end_ms.is_some_and(|end| end <= f.arrived_ms) || !named.insert(f.id) {
            continue;
        }
        let name = run.task_names.get(f.task.0 as usize).cloned().unwrap_or_else(|| format!("{}", f.task));
        let ended = match r.end_ms {
            Some(end) => format!("it ended {} at t={end}", r.outcome),
            None => "it was still pending when the run stopped".to_string(),
        };
        anomalies.push(
            Finding::named(format!(
                "t={} checkpoint {}: its trigger RPC to {name} failed (the TaskManager does not run the attempt); \
             {} aborts it when the failure arrives (TASK_CHECKPOINT_FAILURE), but {ended}",
                f.arrived_ms, f.id, spec.profile
            ))
            .at(f.arrived_ms),
        );
    }
    run.failed_triggers.len()
}

/// Lost trigger RPCs, per profile (`RunResult::lost_triggers`). flink-2.3: the trigger is an
/// ask (`Execution#triggerCheckpoint` returns the RPC's future; the TaskExecutor answers once the
/// trigger is in the task's mailbox); a trigger or answer that never arrives times out after
/// the RPC timeout (`pekko.ask.timeout`, 10 s) and `CheckpointCoordinator#triggerCheckpointRequest`
/// aborts the checkpoint with `TRIGGER_CHECKPOINT_FAILURE` (which `CheckpointFailureManager`
/// does not count). So the checkpoint ends (completed, or aborted for any reason) by the RPC's
/// send time + the ask timeout; one still pending then is named. flink-1.11: the trigger is a
/// `tell` without an answer, so a lost one leaves the checkpoint pending until it expires or
/// something else ends it; a trigger failure reason for it is named. Not judged: a checkpoint
/// still pending when the run stops before the deadline, or whose JobManager crashed (a crashed
/// JobManager's pending checkpoints are never ended). Returns how many lost RPCs were judged.
fn lost_triggers(spec: &JobSpec, run: &RunResult, rows: &[&CheckpointRow], anomalies: &mut Vec<Finding>) -> usize {
    if run.lost_triggers.is_empty() {
        return 0;
    }
    let ask_timeout = crate::check::signature::ASK_TIMEOUT_MS;
    let jm_crashes: Vec<u64> = run
        .trace
        .events()
        .iter()
        .filter(|e| {
            matches!(
                e.data,
                crate::world::trace::EventData::Fault { start: true, kind: crate::spec::FaultName::JmCrash, .. }
            )
        })
        .map(|e| e.time_ms)
        .collect();
    let by_id: std::collections::BTreeMap<ckptsim::CheckpointId, &CheckpointRow> =
        rows.iter().map(|r| (r.id, *r)).collect();
    let aborts_on_failure = spec.profile.trigger_rpc_failure_aborts_checkpoint();
    let mut named = std::collections::BTreeSet::new();
    for l in &run.lost_triggers {
        let Some(r) = by_id.get(&l.id) else { continue };
        let name = run.task_names.get(l.task.0 as usize).cloned().unwrap_or_else(|| format!("{}", l.task));
        let what = if l.answer { "the answer to its trigger RPC from" } else { "its trigger RPC to" };
        if aborts_on_failure {
            let deadline = l.sent_ms + ask_timeout;
            let late = match r.end_ms {
                Some(end) => end > deadline,
                None => run.stop_at_ms > deadline && !jm_crashes.iter().any(|&c| c >= l.sent_ms && c <= deadline),
            };
            if late && named.insert(l.id) {
                let ended = match r.end_ms {
                    Some(end) => format!("it ended {} at t={end}", r.outcome),
                    None => "it was still pending when the run stopped".to_string(),
                };
                anomalies.push(
                    Finding::named(format!(
                        "t={deadline} checkpoint {}: {what} {name} was lost at t={} (sent at t={}); {} aborts it \
                     when the RPC's ask timeout ({ask_timeout} ms) runs out (TRIGGER_CHECKPOINT_FAILURE, \
                     not counted), but {ended}",
                        l.id, l.lost_ms, l.sent_ms, spec.profile
                    ))
                    .at(deadline),
                );
            }
        } else if matches!(r.outcome.as_str(), "TRIGGER_CHECKPOINT_FAILURE" | "TASK_CHECKPOINT_FAILURE")
            && named.insert(l.id)
        {
            anomalies.push(
                Finding::named(format!(
                    "t={} checkpoint {}: {what} {name} was lost at t={}; {}'s trigger is fire-and-forget \
                 (no answer, nothing times out): the checkpoint stays pending until it expires, but it \
                 ended {}",
                    r.end_ms.unwrap_or(0),
                    l.id,
                    l.lost_ms,
                    spec.profile,
                    r.outcome
                ))
                .at(r.end_ms.unwrap_or(0)),
            );
        }
    }
    run.lost_triggers.len()
}

/// Subsumption (Flink's `CheckpointCoordinator#completePendingCheckpoint` →
/// `dropSubsumedCheckpoints`): a completed checkpoint aborts every older pending checkpoint
/// (never a savepoint) at once, with `CHECKPOINT_SUBSUMED`; a savepoint's completion does so
/// only when synchronous (2.x `!isSavepoint() || isSynchronous()`) or under 1.11. So no
/// checkpoint older than a subsuming completion ends in a later millisecond. Rows still pending
/// at the end are not judged (a crashed JobManager's pending checkpoints are never ended).
/// Linear: rows by id, newest first, with the earliest subsuming completion of a newer id.
fn subsumption(spec: &JobSpec, rows: &[&CheckpointRow], anomalies: &mut Vec<Finding>) {
    let savepoints_subsume = spec.profile.savepoint_completion_notifies();
    let mut by_id: Vec<&CheckpointRow> = rows.to_vec();
    by_id.sort_by_key(|r| std::cmp::Reverse(r.id));
    let mut earliest: Option<(u64, ckptsim::CheckpointId)> = None;
    for r in by_id {
        if let (false, Some(end), Some((at, newer))) = (r.savepoint, r.end_ms, earliest) {
            if end > at {
                anomalies.push(
                    Finding::named(format!(
                        "t={at} checkpoint {} still pending when the newer checkpoint {newer} completed \
                     (ended {} at t={end}): a completion subsumes every older pending checkpoint",
                        r.id, r.outcome
                    ))
                    .at(at),
                );
            }
        }
        let subsumes = !r.savepoint || r.synchronous || savepoints_subsume;
        if let Some(end) = r.end_ms.filter(|_| subsumes && r.outcome == "COMPLETED") {
            if earliest.is_none_or(|(at, _)| end < at) {
                earliest = Some((end, r.id));
            }
        }
    }
}

/// The decider's priority class of a request (smaller first), Flink's
/// `CheckpointRequestDecider` comparator: savepoints first, then forced requests, then
/// non-periodic ones (then the older). A savepoint is forced unless unaligned checkpoints are on.
fn class(request: RequestKind, unaligned: bool) -> u8 {
    let forced = request.is_savepoint() && !unaligned;
    (if request.is_savepoint() { 0 } else { 4 }) + if forced { 0 } else { 2 } + u8::from(request.is_periodic())
}

/// The request kinds by class (each kind has its own class).
const KINDS: [RequestKind; 4] =
    [RequestKind::Periodic, RequestKind::Manual, RequestKind::Savepoint, RequestKind::PeriodicSavepoint];

/// Replays the request decider's queue from the world's record of its changes
/// (`RunResult::requests`) and re-derives each decision (Flink's `CheckpointRequestDecider`):
/// a request chosen for the trigger pipeline is the queue's head (savepoints, then forced, then
/// non-periodic requests, then the older); a request dropped for the min pause is the head, a
/// periodic request that is not forced, within the pause of the last completion; a request
/// dropped because the queue is full is its last; a queue failed as a whole (scheduler stop,
/// shutdown) fails in priority order. Linear in the changes: per kind the entry times of the
/// requests queued. Returns how many changes were replayed.
fn decider_queue(
    spec: &JobSpec,
    run: &RunResult,
    completions: &[(u64, u32)],
    retuned: bool,
    anomalies: &mut Vec<Finding>,
) -> usize {
    let unaligned = spec.checkpoint.unaligned;
    let min_pause = spec.checkpoint.min_pause_normalized_ms();
    let mut order = KINDS;
    order.sort_by_key(|k| class(*k, unaligned));
    let slot = |k: RequestKind| KINDS.iter().position(|x| *x == k).unwrap_or(0);
    // Per kind (indexed as KINDS), the entry times of its queued requests, oldest first.
    let mut queued: [VecDeque<u64>; 4] = Default::default();
    let mut epoch = None;
    for e in &run.requests {
        if epoch != Some(e.epoch) {
            // A new JobManager or a new job: a new coordinator with an empty queue.
            epoch = Some(e.epoch);
            queued.iter_mut().for_each(VecDeque::clear);
        }
        let (t, k) = (e.time_ms, e.request);
        let head = order.iter().copied().find(|h| !queued[slot(*h)].is_empty());
        let lowest = order.iter().rev().copied().find(|h| !queued[slot(*h)].is_empty());
        let ahead = |h: RequestKind| {
            format!(
                "a {} request (queued since t={}) was ahead of it (Flink's CheckpointRequestDecider: \
                 savepoints, then forced, then non-periodic requests first)",
                h.name(),
                queued[slot(h)].front().copied().unwrap_or(0)
            )
        };
        let ahead_of_it = head.filter(|h| *h != k).map(ahead);
        let from_front = match e.change {
            QueueChange::Entered => {
                queued[slot(k)].push_back(t);
                continue;
            }
            QueueChange::Chosen => {
                if let Some(a) = &ahead_of_it {
                    anomalies
                        .push(Finding::named(format!("t={t} decider chose a {} request while {a}", k.name())).at(t));
                }
                true
            }
            QueueChange::Failed(CheckpointFailureReason::TooManyCheckpointRequests) => {
                if let Some(l) = lowest.filter(|l| *l != k) {
                    anomalies.push(
                        Finding::named(format!(
                            "t={t} decider dropped a {} request for a full queue while a {} request was queued \
                         behind it (the last request is dropped)",
                            k.name(),
                            l.name()
                        ))
                        .at(t),
                    );
                }
                false
            }
            QueueChange::Failed(CheckpointFailureReason::MinimumTimeBetweenCheckpoints) => {
                let drop = MinPauseDrop { t, k, unaligned, min_pause, retuned };
                drop.judge(ahead_of_it.as_deref(), completions, anomalies);
                true
            }
            QueueChange::Failed(reason) => {
                // The whole queue fails (scheduler stop, shutdown): in priority order.
                if let Some(a) = &ahead_of_it {
                    anomalies.push(
                        Finding::named(format!("t={t} decider failed a {} request ({reason}) while {a}", k.name()))
                            .at(t),
                    );
                }
                true
            }
        };
        let q = &mut queued[slot(k)];
        let left = if from_front { q.pop_front() } else { q.pop_back() };
        if left.is_none() {
            anomalies.push(
                Finding::named(format!(
                    "t={t} a {} request left the decider's queue without having entered it",
                    k.name()
                ))
                .at(t),
            );
        }
    }
    run.requests.len()
}

/// A request the decider dropped for the min pause, at `t`.
struct MinPauseDrop {
    t: u64,
    k: RequestKind,
    unaligned: bool,
    min_pause: u64,
    retuned: bool,
}

impl MinPauseDrop {
    /// Names the drop when a request was ahead of it (`ahead_of_it`), when its kind does not
    /// wait for the pause, or when the pause had run out (`completions`: as in [`decider_queue`]).
    fn judge(&self, ahead_of_it: Option<&str>, completions: &[(u64, u32)], anomalies: &mut Vec<Finding>) {
        let MinPauseDrop { t, k, unaligned, min_pause, retuned } = *self;
        if let Some(a) = ahead_of_it {
            anomalies.push(
                Finding::named(format!("t={t} decider dropped a {} request for the min pause while {a}", k.name()))
                    .at(t),
            );
        }
        if !k.is_periodic() || class(k, unaligned) & 2 == 0 {
            anomalies.push(
                Finding::named(format!(
                    "t={t} decider dropped a {} request for the min pause: only periodic requests that \
                 are not forced wait for it",
                    k.name()
                ))
                .at(t),
            );
        }
        let last = completions.partition_point(|&(ms, _)| ms <= t).checked_sub(1).map(|i| completions[i].0);
        if !retuned && last.is_none_or(|lc| lc + min_pause <= t) {
            anomalies.push(
                Finding::named(format!(
                    "t={t} decider dropped a {} request for the min pause ({min_pause} ms) although {}",
                    k.name(),
                    match last {
                        Some(lc) => format!("the last completion was at t={lc}"),
                        None => "no checkpoint had completed".to_string(),
                    }
                ))
                .at(t),
            );
        }
    }
}
