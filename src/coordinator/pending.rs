//! Pending-checkpoint bookkeeping of the [`CheckpointCoordinator`], after Flink's `PendingCheckpoint`: acks and declines, abort accounting towards the failure manager, completion and subsumption (semantics §1.6).

use super::{CheckpointCoordinator, CoordinatorOutput};
use crate::ids::{CheckpointId, TaskId};
use crate::reason::CheckpointFailureReason;
use crate::record::{CheckpointKind, StopMode};
use crate::state::TaskSnapshot;
use crate::store::CompletedCheckpoint;
use crate::Variant;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[derive(Clone, Debug, Hash)]
pub(super) struct PendingCheckpoint {
    pub(super) kind: CheckpointKind,
    pub(super) forced: bool,
    /// Flink's `CheckpointTriggerRequest.isPeriodic`: the request came from the periodic timer
    /// (only such requests are held to the min pause).
    pub(super) periodic: bool,
    /// A stop-with-savepoint's synchronous savepoint.
    pub(super) stop: Option<StopMode>,
    pub(super) trigger_ms: u64,
    pub(super) deadline_ms: u64,
    pub(super) acks: BTreeMap<TaskId, TaskSnapshot>,
    /// The tasks already FINISHED when the checkpoint was triggered (2.x): its plan does not wait
    /// for them (`DefaultCheckpointPlan`'s finished tasks). Every other task of the job must
    /// acknowledge; one that finishes later without an acknowledgement reaching the coordinator
    /// leaves the checkpoint pending until it expires or is aborted, as in Flink (nothing
    /// acknowledges for a task on its FINISHED update).
    pub(super) finished_at_trigger: BTreeSet<TaskId>,
}

impl PendingCheckpoint {
    /// Every task of `tasks` acknowledged or was FINISHED at the trigger.
    pub(super) fn waits_for_none(&self, tasks: &BTreeSet<TaskId>) -> bool {
        tasks.iter().all(|t| self.acks.contains_key(t) || self.finished_at_trigger.contains(t))
    }
}

/// What [`Variant::RestoreFromPending`] remembers of the newest never-completed checkpoint.
#[derive(Clone, Debug, Hash)]
pub(super) struct Partial {
    pub(super) id: CheckpointId,
    pub(super) kind: CheckpointKind,
    pub(super) trigger_ms: u64,
    pub(super) acks: BTreeMap<TaskId, TaskSnapshot>,
}

impl CheckpointCoordinator {
    /// Task `task` acknowledged checkpoint `id` with its snapshot; the checkpoint completes when every task it waits for acknowledged (late or unknown acks are ignored).
    pub fn handle_ack(&mut self, now_ms: u64, id: CheckpointId, task: TaskId, snapshot: TaskSnapshot) {
        self.enter(now_ms);
        if self.tasks.contains(&task) {
            let mut done = false;
            if let Some(p) = self.pending.get_mut(&id) {
                if let std::collections::btree_map::Entry::Vacant(e) = p.acks.entry(task) {
                    e.insert(snapshot);
                    done = true;
                    if self.variant == Variant::TimeoutFromLastAck {
                        // The planted `timeout-from-last-ack`: every acknowledgement restarts the timeout.
                        p.deadline_ms = p.deadline_ms.max(now_ms + self.config.timeout_ms as u64);
                    }
                }
            } else if self.variant == Variant::LateAckCompletesExpired {
                done = self.adopt_late_ack(id, task, snapshot);
            }
            // A checkpoint in its trigger phase is not fully acknowledged before its master
            // hooks / coordinators are (`PendingCheckpoint#isFullyAcknowledged`): tasks of an
            // externally induced source may acknowledge first; it completes when the phase
            // ends (`hooks.rs`).
            if done && self.fully_acked(id) && !self.in_trigger_phase(id) {
                self.complete(now_ms, id);
            }
        }
        self.finish(now_ms);
    }

    /// Checkpoint `id` waits for its master hooks (Flink's `isTriggering` for it).
    pub(super) fn in_trigger_phase(&self, id: CheckpointId) -> bool {
        self.triggering.as_ref().is_some_and(|t| t.id == id)
    }

    /// The planted [`Variant::LateAckCompletesExpired`]: a late acknowledgement of the newest
    /// expired checkpoint is added to it, and once nothing is missing the checkpoint is pending
    /// again (to be completed by the caller). Flink's `receiveAcknowledgeMessage` finds no
    /// pending checkpoint for the id and discards the late subtask state
    /// (`discardSubtaskState`). Returns whether the checkpoint was revived.
    fn adopt_late_ack(&mut self, id: CheckpointId, task: TaskId, snapshot: TaskSnapshot) -> bool {
        // Only a checkpoint newer than the store's latest is adopted (an older one would break
        // the store's id order, which the plant does not aim at).
        let newest = self.store.latest().is_none_or(|l| l.id < id);
        let Some((_, p)) = self.expired.as_mut().filter(|(e, _)| *e == id && newest) else {
            return false;
        };
        p.acks.entry(task).or_insert(snapshot);
        if !p.waits_for_none(&self.tasks) {
            return false;
        }
        let (id, p) = self.expired.take().expect("matched above");
        self.pending.insert(id, p);
        true
    }

    /// A task of the current attempt reached FINISHED. With checkpoints after tasks finish
    /// ([`Profile::checkpoints_after_tasks_finish`](crate::Profile::checkpoints_after_tasks_finish)) checkpoints triggered from now on do not wait for it: its state is
    /// the one it had in its final checkpoint, the newest completed checkpoint or savepoint (it
    /// finished only after that completed; after a stop-with-savepoint it is the synchronous
    /// savepoint, which 2.x does not store). A checkpoint already pending still waits for its
    /// acknowledgement: Flink fixes the tasks to wait for when it computes the checkpoint plan
    /// (`DefaultCheckpointPlanCalculator`), and a FINISHED update acknowledges nothing
    /// (`PendingCheckpoint#acknowledgeTask` is reached by acknowledgements only), so a pending
    /// checkpoint whose acknowledgement from a now finished task was lost expires or is aborted
    /// when the job ends. 1.11 keeps no finished tasks (its checkpoints cannot complete once a
    /// task finished). A checkpoint in its master-hook trigger phase fails once the hooks answer
    /// (see [`CheckpointCoordinator::handle_master_hook_ack`]).
    pub fn handle_task_finished(&mut self, now_ms: u64, task: TaskId) {
        self.enter(now_ms);
        if self.profile.checkpoints_after_tasks_finish() && self.tasks.contains(&task) {
            let last = self.store.latest().into_iter().chain(&self.unstored_savepoint).max_by_key(|c| c.id);
            let state = last.and_then(|c| c.tasks.get(&task)).cloned().unwrap_or_default();
            self.finished.insert(task, state);
            if let Some(t) = &mut self.triggering {
                t.task_finished = true;
            }
            if self.variant == Variant::FinishedTaskCountsAsAcked {
                // The planted bug: the finished task counts as acknowledged for every pending
                // checkpoint, which completes here if no other task is missing.
                let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
                for id in ids {
                    let in_trigger_phase = self.triggering.as_ref().is_some_and(|t| t.id == id);
                    if !in_trigger_phase && self.fully_acked(id) {
                        self.complete(now_ms, id);
                    }
                }
            }
        }
        self.finish(now_ms);
    }

    /// Tasks known to be FINISHED (flink-2.3 only).
    pub fn finished_tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.finished.keys().copied()
    }

    /// Every task acked `id` or was FINISHED when `id` was triggered.
    pub(super) fn fully_acked(&self, id: CheckpointId) -> bool {
        if self.variant == Variant::FinishedTaskCountsAsAcked {
            return self
                .pending
                .get(&id)
                .is_some_and(|p| self.tasks.iter().all(|t| p.acks.contains_key(t) || self.finished.contains_key(t)));
        }
        self.pending.get(&id).is_some_and(|p| p.waits_for_none(&self.tasks))
    }

    /// Task `task` declined checkpoint `id`: a pending checkpoint is aborted with `reason` (the failure manager decides whether the failure counts); a decline of an unknown id or by a task outside the job is ignored.
    pub fn handle_decline(&mut self, now_ms: u64, id: CheckpointId, task: TaskId, reason: CheckpointFailureReason) {
        self.enter(now_ms);
        if self.tasks.contains(&task) && self.pending.contains_key(&id) {
            self.abort(now_ms, id, reason, Some(task));
        }
        self.finish(now_ms);
    }

    /// The trigger RPC of checkpoint `id` to one of its tasks failed with `reason` (the host's
    /// answer to [`CoordinatorOutput::Trigger`]; a TaskManager that no longer runs the task
    /// answers `TASK_CHECKPOINT_FAILURE`). With
    /// [`Profile::trigger_rpc_failure_aborts_checkpoint`](crate::Profile::trigger_rpc_failure_aborts_checkpoint)
    /// (2.x) a pending checkpoint is aborted with `reason` as a job-level failure (Flink's
    /// `abortPendingCheckpoint` without an execution attempt), which the failure manager counts
    /// or not by its reason; an id no longer pending is ignored. 1.11 ignores the RPC's result.
    pub fn handle_trigger_failure(&mut self, now_ms: u64, id: CheckpointId, reason: CheckpointFailureReason) {
        self.enter(now_ms);
        if self.profile.trigger_rpc_failure_aborts_checkpoint() && self.pending.contains_key(&id) {
            self.abort(now_ms, id, reason, None);
        }
        self.finish(now_ms);
    }

    pub(super) fn report_failure(
        &mut self,
        id: Option<CheckpointId>,
        kind: CheckpointKind,
        reason: CheckpointFailureReason,
        task: Option<TaskId>,
    ) {
        if let Some(fail) = self.failure_manager.handle_checkpoint_failure(id, kind, reason, task) {
            self.outputs.push_back(CoordinatorOutput::FailJob(fail));
            // Nothing queued is triggered until the host failed the job.
            self.job_failure_reported = self.hold_on_job_failure;
        }
    }

    /// Aborts one pending checkpoint (any reason); the queue is re-evaluated afterwards.
    pub(super) fn abort(
        &mut self,
        _now_ms: u64,
        id: CheckpointId,
        reason: CheckpointFailureReason,
        task: Option<TaskId>,
    ) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        if self.variant == Variant::LateAckCompletesExpired && reason == CheckpointFailureReason::CheckpointExpired {
            self.expired = Some((id, p.clone()));
        }
        if self.variant == Variant::RestoreFromPending
            && !p.acks.is_empty()
            && self.partial.as_ref().is_none_or(|q| q.id < id)
            && self.store.latest().is_none_or(|l| l.id < id)
        {
            self.partial = Some(Partial { id, kind: p.kind, trigger_ms: p.trigger_ms, acks: p.acks.clone() });
        }
        self.outputs.push_back(CoordinatorOutput::Aborted {
            id,
            kind: p.kind,
            reason,
            trigger_ms: p.trigger_ms,
            periodic: p.periodic,
        });
        let latest_completed = if self.profile.abort_notification_carries_latest_completed() {
            self.store.latest().map(|c| c.id)
        } else {
            None
        };
        self.outputs.push_back(CoordinatorOutput::NotifyAborted { id, latest_completed });
        if self.profile.trigger_phase_ends_on_abort() && self.in_trigger_phase(id) {
            // 2.x: the abort completes the trigger's `masterTriggerCompletionPromise`, and
            // `onTriggerFailure` ends the phase at once (a hook's later answer is stale). Its
            // second report of this id to the failure manager is left out: it carries the
            // abort's own reason, which 2.x counts once per id (`countedCheckpointIds`).
            self.triggering = None;
        }
        if p.stop.is_some() {
            // A synchronous savepoint: its failure may fail the job (failure_manager.rs).
            if let Some(fail) = self.failure_manager.handle_sync_savepoint_failure(id, reason, task) {
                self.outputs.push_back(CoordinatorOutput::FailJob(fail));
            }
        } else {
            self.report_failure(Some(id), p.kind, reason, task);
        }
        self.reevaluate = true;
    }

    /// The store refused the finalized checkpoint `id` ([`CheckpointCoordinator::fail_next_store_add`]):
    /// Flink's `completePendingCheckpoint` removes the pending checkpoint, sends the abort
    /// messages and throws `FINALIZE_CHECKPOINT_FAILURE`; no completion, no subsumption, no new
    /// min-pause anchor.
    fn store_add_failed(&mut self, id: CheckpointId, kind: CheckpointKind, trigger_ms: u64, periodic: bool) {
        let reason = CheckpointFailureReason::FinalizeCheckpointFailure;
        self.outputs.push_back(CoordinatorOutput::Aborted { id, kind, reason, trigger_ms, periodic });
        let latest_completed = if self.profile.abort_notification_carries_latest_completed() {
            self.store.latest().map(|c| c.id)
        } else {
            None
        };
        self.outputs.push_back(CoordinatorOutput::NotifyAborted { id, latest_completed });
        if self.profile.store_failure_reaches_failure_manager() {
            self.report_failure(Some(id), kind, reason, None);
        } else {
            self.failure_manager.handle_checkpoint_success(id);
        }
        self.reevaluate = true;
    }

    /// Whether finalizing a checkpoint refuses partly finished vertices with union list state
    /// (`finished_plan.rs`): only where checkpoints go on after tasks finish (flink-2.3;
    /// flink-1.11 declines every checkpoint once a task finished), and not under the planted
    /// [`Variant::PartlyFinishedUnionCompleted`].
    pub(super) fn refuses_partial_finishing(&self) -> bool {
        self.profile.checkpoints_after_tasks_finish() && self.variant != Variant::PartlyFinishedUnionCompleted
    }

    /// All tasks acked: store, failure-manager success, subsumption, notification (§1.6). A
    /// checkpoint that `DefaultCheckpointPlan#fulfillFinishedTaskStatus` would refuse (a vertex
    /// with union list state partly finished) is aborted instead with
    /// `CHECKPOINT_DECLINED_TASK_CLOSING`, as Flink's `finalizeCheckpoint` does with its
    /// `PartialFinishingNotSupportedByStateException` (not counted by the failure manager).
    pub(super) fn complete(&mut self, now_ms: u64, id: CheckpointId) {
        let refused = self.refuses_partial_finishing()
            && self
                .pending
                .get(&id)
                .is_some_and(|p| super::partial_finishing(&self.vertex_of, &p.acks, &p.finished_at_trigger).is_some());
        if refused {
            self.abort(now_ms, id, CheckpointFailureReason::CheckpointDeclinedTaskClosing, None);
            return;
        }
        let mut p = self.pending.remove(&id).expect("completing a pending checkpoint");
        for (t, state) in &self.finished {
            // Flink marks every task FINISHED at the trigger finished
            // (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`), whether or not it took a
            // final snapshot (with checkpointing disabled it took none: session 38).
            p.acks.entry(*t).or_insert_with(|| TaskSnapshot {
                from_finished_task: true,
                finished: true,
                ..state.clone()
            });
        }
        let size_bytes = p.acks.values().map(TaskSnapshot::size_bytes).sum();
        let cp = Arc::new(CompletedCheckpoint {
            id,
            kind: p.kind,
            trigger_ms: p.trigger_ms,
            completed_ms: now_ms,
            tasks: p.acks,
            size_bytes,
            external: false,
        });
        let is_checkpoint = p.kind == CheckpointKind::Checkpoint;
        // The planted `savepoint-enters-store`: 2.3 stores its savepoints as 1.11 does.
        let stored = is_checkpoint
            || self.profile.savepoints_in_completed_store()
            || self.variant == Variant::SavepointEntersStore;
        if stored && std::mem::take(&mut self.fail_next_store_add) {
            self.store_add_failed(id, p.kind, p.trigger_ms, p.periodic);
            return;
        }
        self.outputs.push_back(CoordinatorOutput::Completed(cp.clone()));
        if stored {
            self.store_add(cp);
        } else {
            self.unstored_savepoint = Some(cp);
        }
        self.failure_manager.handle_checkpoint_success(id);
        if self.variant == Variant::MinPauseStaleCompletion {
            self.stale_completion_ms = self.last_completion_ms;
        }
        // The planted `min-pause-from-trigger`: the completed checkpoint's trigger time.
        self.last_completion_ms =
            Some(if self.variant == Variant::MinPauseFromTrigger { p.trigger_ms } else { now_ms });
        if p.stop.is_some() {
            self.stop_completed = Some(id);
        }
        // A synchronous savepoint subsumes and notifies in both profiles (2.x's
        // `cleanupAfterCompletedCheckpoint`: `!isSavepoint() || isSynchronous()`).
        if is_checkpoint || p.stop.is_some() || self.profile.savepoint_completion_notifies() {
            let subsumed: Vec<CheckpointId> = self
                .pending
                .range(..id)
                .filter(|(_, q)| q.kind == CheckpointKind::Checkpoint)
                .map(|(i, _)| *i)
                .collect();
            for &old in &subsumed {
                self.abort(now_ms, old, CheckpointFailureReason::CheckpointSubsumed, None);
            }
            self.outputs.push_back(CoordinatorOutput::NotifyComplete { id });
            if self.variant == Variant::NotifiesSubsumedComplete {
                // The planted bug: the subsumed checkpoints are notified as completed too.
                for old in subsumed {
                    self.outputs.push_back(CoordinatorOutput::NotifyComplete { id: old });
                }
            }
        }
        self.reevaluate = true;
    }
}
