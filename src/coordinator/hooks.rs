//! The trigger phase of the [`CheckpointCoordinator`] with master hooks and operator coordinators, after Flink's `MasterHooks` / `OperatorCoordinatorCheckpoints` as driven by `CheckpointCoordinator#startTriggeringCheckpoint` (`isTriggering`).

use super::{CheckpointCoordinator, CoordinatorOutput, HookId};
use crate::ids::CheckpointId;
use crate::reason::CheckpointFailureReason;
use crate::record::CheckpointKind;
use std::collections::BTreeSet;

/// Flink's `isTriggering`: a checkpoint whose master hooks have not all acknowledged yet.
#[derive(Clone, Debug, Hash)]
pub(super) struct Triggering {
    pub(super) id: CheckpointId,
    pub(super) kind: CheckpointKind,
    pub(super) acked: BTreeSet<HookId>,
    /// A task FINISHED while the hooks ran (2.x records finished tasks): the checkpoint's plan
    /// was computed at the trigger, so its trigger reaches a task that is gone and fails
    /// (`CheckpointCoordinatorTest#testTasksFinishDuringTriggering`).
    pub(super) task_finished: bool,
}

impl CheckpointCoordinator {
    /// Registers a master hook / operator coordinator (Flink's `addMasterHook`): from the next
    /// trigger on, a checkpoint is triggered on its tasks only after every hook acknowledged.
    pub fn add_master_hook(&mut self, hook: HookId) {
        self.hooks.insert(hook);
        self.invariants();
    }

    /// `hook` acknowledged checkpoint `id` (its master state / coordinator checkpoint is done).
    /// When every hook has, the trigger phase ends: the tasks are triggered if the checkpoint is
    /// still pending and no task finished during the phase (then, if every task acknowledged
    /// already, the checkpoint completes; 2.x: if a task finished, the trigger to it
    /// fails and the checkpoint is aborted with `TRIGGER_CHECKPOINT_FAILURE`, as in
    /// `CheckpointCoordinatorTest#testTasksFinishDuringTriggering`); if it was aborted meanwhile
    /// (e.g. expired; 1.11 only: 2.x ends the phase at the abort,
    /// [`Profile::trigger_phase_ends_on_abort`](crate::Profile::trigger_phase_ends_on_abort)),
    /// nothing is triggered and the failure manager hears `TRIGGER_CHECKPOINT_FAILURE` for it
    /// (Flink's `onTriggerFailure` on a disposed checkpoint). Then queued requests are served.
    /// Stale acks are ignored.
    pub fn handle_master_hook_ack(&mut self, now_ms: u64, id: CheckpointId, hook: HookId) {
        self.enter(now_ms);
        let mut done = false;
        if let Some(t) = &mut self.triggering {
            if t.id == id && self.hooks.contains(&hook) {
                t.acked.insert(hook);
                done = self.hooks.iter().all(|h| t.acked.contains(h));
            }
        }
        if done {
            self.end_trigger_phase(now_ms, false);
        }
        self.finish(now_ms);
    }

    /// `hook` failed its snapshot of checkpoint `id`: the trigger fails, the pending checkpoint
    /// is aborted with `TRIGGER_CHECKPOINT_FAILURE` (nothing reaches the tasks), and queued
    /// requests are served (`testTriggerCheckpointSnapshotMasterHookFailed`).
    pub fn handle_master_hook_failure(&mut self, now_ms: u64, id: CheckpointId, hook: HookId) {
        self.enter(now_ms);
        if self.triggering.as_ref().is_some_and(|t| t.id == id) && self.hooks.contains(&hook) {
            self.end_trigger_phase(now_ms, true);
        }
        self.finish(now_ms);
    }

    /// Flink's `isTriggering`: a trigger waits for its master hooks.
    pub fn is_triggering(&self) -> bool {
        self.triggering.is_some()
    }

    pub(super) fn end_trigger_phase(&mut self, now_ms: u64, failed: bool) {
        let t = self.triggering.take().expect("a trigger in progress");
        let reason = CheckpointFailureReason::TriggerCheckpointFailure;
        match self.pending.get(&t.id) {
            Some(_) if failed || t.task_finished => self.abort(now_ms, t.id, reason, None),
            Some(p) => {
                let (kind, timestamp_ms, stop, periodic) = (p.kind, p.trigger_ms, p.stop, p.periodic);
                self.outputs.push_back(CoordinatorOutput::Trigger {
                    id: t.id,
                    timestamp_ms,
                    kind,
                    alignment: self.alignment(kind),
                    stop,
                    periodic,
                });
                // Every task may have acknowledged already (an externally induced source
                // checkpoints on the hook's call): `maybeCompleteCheckpoint` after the trigger
                // (1.11.2, FLINK-18641, and 2.x).
                if self.fully_acked(t.id) {
                    self.complete(now_ms, t.id);
                }
            }
            None if !self.shut_down => self.report_failure(Some(t.id), t.kind, reason, None),
            None => {}
        }
        self.reevaluate = true;
    }
}
