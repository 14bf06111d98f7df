//! The acknowledgements each checkpoint awaits, as the JobManager saw them: its view of the job's tasks (from the JobMaster's task state outputs), each checkpoint's required tasks fixed at the trigger, the acks delivered to it; a completion is recorded as an [`AckRecord`] in the checkpoint's row.
//!
//! Flink fixes the tasks a checkpoint waits for when it computes the checkpoint plan
//! (`DefaultCheckpointPlanCalculator`): with checkpoints after tasks finish (2.x) the tasks
//! already FINISHED are left out, every other task stays in `PendingCheckpoint`'s
//! not-yet-acknowledged tasks until its acknowledgement arrives (`acknowledgeTask`), also if it
//! finishes later; the checkpoint completes only when that set is empty (`isFullyAcknowledged`).
//! Under 1.11 every task must acknowledge. This record is independent of the core's own
//! bookkeeping (`PendingCheckpoint::finished_at_trigger`): it reads only the JobMaster's
//! outputs and the messages delivered to it.

use super::AckRecord;
use ckptsim::status::ExecutionState;
use ckptsim::{Attempt, CheckpointId, TaskId};
use std::collections::BTreeMap;

/// One task as the JobManager sees it: its current attempt, that attempt's state, and when it
/// reached FINISHED.
#[derive(Clone, Copy, Debug, Hash)]
struct TaskView {
    attempt: Attempt,
    state: ExecutionState,
    finished_ms: Option<u64>,
}

/// What one pending checkpoint awaits.
#[derive(Clone, Debug, Hash)]
struct Awaiting {
    /// The tasks (with their attempt at the trigger) it waits for, and whether each acked.
    required: Vec<(TaskId, Attempt, bool)>,
    finished_at_trigger: u32,
}

/// The world's record of the acknowledgements the current JobManager awaits (the explorer
/// keeps one per explored state, `tools/explore`, fed from the same JobMaster outputs).
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct AckWatch {
    /// The JobManager epoch the view belongs to (a new JobMaster starts a new view).
    epoch: u64,
    view: Vec<Option<TaskView>>,
    awaiting: BTreeMap<CheckpointId, Awaiting>,
}

impl AckWatch {
    /// The JobManager of `epoch` reported `task`'s `attempt` in state `to` at `now`.
    pub(crate) fn task_state(&mut self, epoch: u64, now: u64, task: TaskId, attempt: Attempt, to: ExecutionState) {
        self.enter(epoch);
        let i = task.0 as usize;
        if self.view.len() <= i {
            self.view.resize(i + 1, None);
        }
        let finished_ms = (to == ExecutionState::Finished).then_some(now);
        self.view[i] = Some(TaskView { attempt, state: to, finished_ms });
    }

    /// The JobMaster's current attempt of `task` (its attempt numbering, not the world's), as
    /// the JobManager of `epoch` last reported it; `None` when that JobManager has reported
    /// nothing about the task (or the view belongs to another epoch).
    pub(crate) fn current_attempt(&self, epoch: u64, task: TaskId) -> Option<Attempt> {
        if epoch != self.epoch {
            return None;
        }
        self.view.get(task.0 as usize).copied().flatten().map(|v| v.attempt)
    }

    /// A new epoch's JobMaster: its tasks and checkpoints start afresh (the old JobMaster's
    /// pending checkpoints can no longer complete).
    fn enter(&mut self, epoch: u64) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.view.clear();
            self.awaiting.clear();
        }
    }

    /// Checkpoint `id` was triggered by the JobManager of `epoch` on a job of `tasks` tasks: the
    /// tasks it waits for are fixed now (`finished_excluded`: checkpoints after tasks finish,
    /// so tasks FINISHED now are not waited for).
    pub(crate) fn trigger(&mut self, epoch: u64, id: CheckpointId, tasks: usize, finished_excluded: bool) {
        self.enter(epoch);
        let mut required = Vec::with_capacity(tasks);
        let mut finished_at_trigger = 0;
        for i in 0..tasks {
            let v = self.view.get(i).copied().flatten();
            if finished_excluded && v.is_some_and(|v| v.state == ExecutionState::Finished) {
                finished_at_trigger += 1;
                continue;
            }
            required.push((TaskId(i as u32), v.map_or(Attempt(0), |v| v.attempt), false));
        }
        self.awaiting.insert(id, Awaiting { required, finished_at_trigger });
    }

    /// An acknowledgement of checkpoint `id` by `task`'s `attempt` reached the JobManager of
    /// `epoch` (before the JobMaster handled it).
    pub(crate) fn ack(&mut self, epoch: u64, id: CheckpointId, task: TaskId, attempt: Attempt) {
        if epoch != self.epoch {
            return;
        }
        if let Some(a) = self.awaiting.get_mut(&id) {
            for r in a.required.iter_mut().filter(|r| r.0 == task && r.1 == attempt) {
                r.2 = true;
            }
        }
    }

    /// Checkpoint `id` completed: what it awaited and what was missing (`None` when its trigger
    /// was not seen).
    pub(crate) fn completed(&mut self, id: CheckpointId) -> Option<AckRecord> {
        let a = self.awaiting.remove(&id)?;
        let missing = a
            .required
            .iter()
            .filter(|r| !r.2)
            .map(|&(task, attempt, _)| {
                let finished = self
                    .view
                    .get(task.0 as usize)
                    .copied()
                    .flatten()
                    .filter(|v| v.attempt == attempt)
                    .and_then(|v| v.finished_ms);
                (task, attempt, finished)
            })
            .collect();
        Some(AckRecord { required: a.required.len() as u32, finished_at_trigger: a.finished_at_trigger, missing })
    }

    /// The (checkpoint, task, attempt) of every pending checkpoint's awaited task that has not
    /// acknowledged it yet, in checkpoint order (the explorer's stuck-checkpoint rule).
    pub(crate) fn unacknowledged(&self) -> impl Iterator<Item = (CheckpointId, TaskId, Attempt)> + '_ {
        self.awaiting.iter().flat_map(|(id, a)| a.required.iter().filter(|r| !r.2).map(move |r| (*id, r.0, r.1)))
    }

    /// Checkpoint `id` was aborted: nothing is judged.
    pub(crate) fn aborted(&mut self, id: CheckpointId) {
        self.awaiting.remove(&id);
    }
}
