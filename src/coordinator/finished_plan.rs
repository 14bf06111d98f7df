//! FLIP-147's finished-task check when a checkpoint is finalized, after Flink's `DefaultCheckpointPlan#fulfillFinishedTaskStatus`: a vertex with union list state may not be partly finished.
//!
//! Flink 2.x (since 1.14, FLIP-147) keeps checkpointing while some tasks are FINISHED. A
//! finished subtask of a vertex that is not fully finished contributes no state
//! (`FinishedOperatorSubtaskState`), so a union list state (`getUnionListState`, every subtask
//! restores every subtask's entries) restored from such a checkpoint would miss the finished
//! subtasks' entries. When the coordinator finalizes a checkpoint whose acknowledgements all
//! arrived, `DefaultCheckpointPlan` therefore refuses two situations for a vertex whose
//! acknowledged operator states use union list state (`hasUsedUnionListState`):
//!
//! * `checkNoPartlyFinishedVertexUsedUnionListState`: some of its subtasks were FINISHED at the
//!   trigger and the vertex is neither fully finished nor deployed as finished on restore;
//! * `checkNoPartlyOperatorsFinishedVertexUsedUnionListState`: none is FINISHED, but only some
//!   acknowledged with their operators finished (`reportTaskHasFinishedOperators`, a snapshot
//!   taken after `endInput`/`finish`). This makes the subtasks that ended first wait for the
//!   slow ones, so that they all finish through the same final checkpoint; otherwise the first
//!   check would refuse every later checkpoint and the slow subtasks could never finish.
//!
//! Both throw `PartialFinishingNotSupportedByStateException`, which
//! `CheckpointCoordinator#finalizeCheckpoint` turns into an abort with
//! `CHECKPOINT_DECLINED_TASK_CLOSING` (a job-level abort: no task named), which
//! `CheckpointFailureManager` does not count towards the tolerable failures. flink-1.11 has no
//! such check: it declines every checkpoint once a task finished
//! (`NOT_ALL_REQUIRED_TASKS_RUNNING`), so no checkpoint ever holds a finished task.

use crate::ids::TaskId;
use crate::rescale::ListMode;
use crate::state::{OperatorState, TaskSnapshot};
use std::collections::{BTreeMap, BTreeSet};

/// Which of `DefaultCheckpointPlan`'s two checks refused a checkpoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PartialFinishing {
    /// Some subtasks of the vertex were FINISHED at the trigger, the others not
    /// (`checkNoPartlyFinishedVertexUsedUnionListState`).
    TasksFinished {
        /// The vertex (its [`TaskInfo::vertex`](crate::job::TaskInfo::vertex) number).
        vertex: u32,
    },
    /// No subtask FINISHED, but only some acknowledged with finished operators
    /// (`checkNoPartlyOperatorsFinishedVertexUsedUnionListState`).
    OperatorsFinished {
        /// The vertex.
        vertex: u32,
    },
}

/// The first vertex (by number) that `DefaultCheckpointPlan#fulfillFinishedTaskStatus` would
/// refuse in a checkpoint with these `entries` (acknowledged snapshots; an entry marked
/// [`TaskSnapshot::from_finished_task`] stands for a task FINISHED at the trigger or deployed
/// as finished) and these tasks FINISHED at the trigger. `vertex_of`: each task's vertex; a
/// task missing from it is a vertex of its own (never partly finished).
pub fn partial_finishing(
    vertex_of: &BTreeMap<TaskId, u32>,
    entries: &BTreeMap<TaskId, TaskSnapshot>,
    finished_at_trigger: &BTreeSet<TaskId>,
) -> Option<PartialFinishing> {
    // No acknowledged union list state at all (the usual case, checked at every completion): no
    // vertex can be partly finishing, without grouping the tasks by vertex.
    if !entries.values().any(acknowledged_union) {
        return None;
    }
    let mut vertices: BTreeMap<u32, Vec<TaskId>> = BTreeMap::new();
    for (&t, &v) in vertex_of {
        vertices.entry(v).or_default().push(t);
    }
    for (&vertex, tasks) in &vertices {
        let finished = tasks
            .iter()
            .filter(|t| finished_at_trigger.contains(t) || entries.get(t).is_some_and(|s| s.from_finished_task))
            .count();
        if finished == tasks.len() || !uses_union_list_state(tasks, entries) {
            continue;
        }
        if finished > 0 {
            return Some(PartialFinishing::TasksFinished { vertex });
        }
        let operators_finished = tasks.iter().filter(|t| entries.get(t).is_some_and(|s| s.finished)).count();
        if operators_finished > 0 && operators_finished < tasks.len() {
            return Some(PartialFinishing::OperatorsFinished { vertex });
        }
    }
    None
}

/// `hasUsedUnionListState`: an operator state the vertex's subtasks acknowledged (not one
/// filled in for a finished task, which Flink stores without state) is union list state.
fn uses_union_list_state(tasks: &[TaskId], entries: &BTreeMap<TaskId, TaskSnapshot>) -> bool {
    tasks.iter().filter_map(|t| entries.get(t)).any(acknowledged_union)
}

/// Whether a snapshot a subtask acknowledged (not one filled in for a finished task) holds
/// union list state.
fn acknowledged_union(s: &TaskSnapshot) -> bool {
    !s.from_finished_task
        && s.operators.iter().any(|op| matches!(op, OperatorState::SharedList { mode: ListMode::Union, .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Value;

    fn snap(union: bool, finished: bool, from_finished_task: bool) -> TaskSnapshot {
        let op = if union {
            OperatorState::SharedList { mode: ListMode::Union, entries: vec![Value::Int(1)] }
        } else {
            OperatorState::UserList(vec![Value::Int(1)])
        };
        TaskSnapshot { operators: vec![OperatorState::None, op], finished, from_finished_task, ..Default::default() }
    }

    /// Two vertices: 0 = tasks 0 and 1, 1 = task 2.
    fn vertex_of() -> BTreeMap<TaskId, u32> {
        [(TaskId(0), 0), (TaskId(1), 0), (TaskId(2), 1)].into_iter().collect()
    }

    /// One case: its name, the entries, the tasks FINISHED at the trigger, the verdict.
    type Case<'a> = (&'a str, BTreeMap<TaskId, TaskSnapshot>, &'a BTreeSet<TaskId>, Option<PartialFinishing>);

    fn entries(list: &[(u32, TaskSnapshot)]) -> BTreeMap<TaskId, TaskSnapshot> {
        list.iter().map(|(t, s)| (TaskId(*t), s.clone())).collect()
    }

    #[test]
    fn each_check_and_what_passes() {
        let none = BTreeSet::new();
        let t0: BTreeSet<TaskId> = [TaskId(0)].into_iter().collect();
        let both: BTreeSet<TaskId> = [TaskId(0), TaskId(1)].into_iter().collect();
        let cases: Vec<Case<'_>> = vec![
            ("nothing finished", entries(&[(0, snap(true, false, false)), (1, snap(true, false, false))]), &none, None),
            (
                "one FINISHED at the trigger, union acked by the other",
                entries(&[(1, snap(true, false, false))]),
                &t0,
                Some(PartialFinishing::TasksFinished { vertex: 0 }),
            ),
            (
                "one FINISHED, filled in as finished (a completed checkpoint's entries)",
                entries(&[(0, snap(true, true, true)), (1, snap(true, false, false))]),
                &none,
                Some(PartialFinishing::TasksFinished { vertex: 0 }),
            ),
            ("one FINISHED, split list state: allowed", entries(&[(1, snap(false, false, false))]), &t0, None),
            ("both FINISHED: fully finished vertex", BTreeMap::new(), &both, None),
            (
                "one acked with finished operators, the other running",
                entries(&[(0, snap(true, true, false)), (1, snap(true, false, false))]),
                &none,
                Some(PartialFinishing::OperatorsFinished { vertex: 0 }),
            ),
            (
                "both acked with finished operators",
                entries(&[(0, snap(true, true, false)), (1, snap(true, true, false))]),
                &none,
                None,
            ),
            (
                "finished operators, no union",
                entries(&[(0, snap(false, true, false)), (1, snap(false, false, false))]),
                &none,
                None,
            ),
        ];
        for (name, e, fin, want) in cases {
            assert_eq!(partial_finishing(&vertex_of(), &e, fin), want, "{name}");
        }
    }

    #[test]
    fn a_task_without_vertex_is_its_own() {
        let e = entries(&[(5, snap(true, true, false)), (6, snap(true, false, false))]);
        assert_eq!(partial_finishing(&BTreeMap::new(), &e, &BTreeSet::new()), None);
    }
}
