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

use super::{AckRecord, PartlyFinishedUnion};
use ckptsim::rescale::ListMode;
use ckptsim::state::{OperatorState, TaskSnapshot};
use ckptsim::status::ExecutionState;
use ckptsim::{Attempt, CheckpointId, TaskId};
use std::collections::BTreeMap;

/// What the JobManager reads from an acknowledgement for FLIP-147's partly finished vertices
/// (Flink's `PendingCheckpoint#acknowledgeTask`): a task deployed as finished
/// (`reportTaskFinishedOnRestore`), one whose operators finished (`reportTaskHasFinishedOperators`),
/// and whether its operator states use union list state (`hasUsedUnionListState`).
#[derive(Copy, Clone, Debug, Default, Hash, PartialEq, Eq)]
pub(crate) struct AckShape {
    finished_on_restore: bool,
    operators_finished: bool,
    union_list_state: bool,
}

impl AckShape {
    /// The shape of an acknowledged snapshot.
    pub(crate) fn of(snapshot: &TaskSnapshot) -> AckShape {
        let finished_on_restore = snapshot.from_finished_task;
        AckShape {
            finished_on_restore,
            operators_finished: snapshot.finished && !finished_on_restore,
            union_list_state: !finished_on_restore
                && snapshot
                    .operators
                    .iter()
                    .any(|op| matches!(op, OperatorState::SharedList { mode: ListMode::Union, .. })),
        }
    }
}

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
    /// Per task (by index): FINISHED at the trigger (with checkpoints after tasks finish).
    finished: Vec<bool>,
    /// Per task (by index): its job vertex at the trigger.
    vertex_of: Vec<u32>,
    /// The shapes of the acknowledgements received, by task.
    shapes: BTreeMap<TaskId, AckShape>,
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

    /// Checkpoint `id` was triggered by the JobManager of `epoch` on a job whose tasks are in
    /// `vertex_of` (each task's job vertex, by task index): the tasks it waits for are fixed now
    /// (`finished_excluded`: checkpoints after tasks finish, so tasks FINISHED now are not
    /// waited for).
    pub(crate) fn trigger(&mut self, epoch: u64, id: CheckpointId, vertex_of: Vec<u32>, finished_excluded: bool) {
        self.enter(epoch);
        let tasks = vertex_of.len();
        let mut required = Vec::with_capacity(tasks);
        let mut finished = vec![false; tasks];
        let mut finished_at_trigger = 0;
        for (i, fin) in finished.iter_mut().enumerate() {
            let v = self.view.get(i).copied().flatten();
            if finished_excluded && v.is_some_and(|v| v.state == ExecutionState::Finished) {
                finished_at_trigger += 1;
                *fin = true;
                continue;
            }
            required.push((TaskId(i as u32), v.map_or(Attempt(0), |v| v.attempt), false));
        }
        let shapes = BTreeMap::new();
        self.awaiting.insert(id, Awaiting { required, finished_at_trigger, finished, vertex_of, shapes });
    }

    /// An acknowledgement of checkpoint `id` by `task`'s `attempt` reached the JobManager of
    /// `epoch` (before the JobMaster handled it), with what it reported (`shape`).
    pub(crate) fn ack(&mut self, epoch: u64, id: CheckpointId, task: TaskId, attempt: Attempt, shape: AckShape) {
        if epoch != self.epoch {
            return;
        }
        if let Some(a) = self.awaiting.get_mut(&id) {
            let mut counted = false;
            for r in a.required.iter_mut().filter(|r| r.0 == task && r.1 == attempt && !r.2) {
                r.2 = true;
                counted = true;
            }
            if counted {
                a.shapes.insert(task, shape);
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
        let partly_finished_union = partly_finished_union(&a);
        Some(AckRecord {
            required: a.required.len() as u32,
            finished_at_trigger: a.finished_at_trigger,
            missing,
            partly_finished_union,
        })
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

/// The vertices a completed checkpoint held partly finished while their acknowledged states
/// use union list state: some subtasks FINISHED at the trigger and the vertex neither fully
/// finished nor deployed as finished, or none FINISHED but only some acknowledging with
/// finished operators (what Flink's `DefaultCheckpointPlan#fulfillFinishedTaskStatus` refuses;
/// re-derived here from the JobManager's view and the acknowledgements, not from the core).
fn partly_finished_union(a: &Awaiting) -> Vec<PartlyFinishedUnion> {
    // Only a vertex with union list state can be named; a task without a shape counts as none.
    // Most checkpoints have none: no maps built per completion then.
    if !a.shapes.values().any(|s| s.union_list_state) {
        return Vec::new();
    }
    let mut vertices: BTreeMap<u32, PartlyFinishedUnion> = BTreeMap::new();
    let mut union = BTreeMap::new();
    let mut restored_finished = BTreeMap::new();
    for (i, &vertex) in a.vertex_of.iter().enumerate() {
        let first_task = TaskId(i as u32);
        let v = vertices.entry(vertex).or_insert(PartlyFinishedUnion {
            vertex,
            first_task,
            subtasks: 0,
            finished: 0,
            operators_finished: 0,
        });
        let shape = a.shapes.get(&TaskId(i as u32)).copied().unwrap_or_default();
        v.subtasks += 1;
        v.finished += u32::from(a.finished[i]);
        v.operators_finished += u32::from(shape.operators_finished);
        *union.entry(vertex).or_insert(false) |= shape.union_list_state;
        *restored_finished.entry(vertex).or_insert(false) |= shape.finished_on_restore;
    }
    vertices
        .into_values()
        .filter(|v| union[&v.vertex] && !restored_finished[&v.vertex] && v.finished < v.subtasks)
        .filter(|v| v.finished > 0 || (v.operators_finished > 0 && v.operators_finished < v.subtasks))
        .collect()
}
