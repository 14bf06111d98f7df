//! Flink's `VertexFinishedStateChecker` on a restore (FLIP-147, 2.x): the finished state the checkpoint holds per operator, checked against the new job's vertices (chains) and edges.
//!
//! A checkpoint taken after tasks finished holds, for an operator whose subtasks were FINISHED
//! at its trigger, Flink's `FinishedOperatorSubtaskState` (a partly finished operator) or
//! `FullyFinishedOperatorState` (every subtask finished). In the model these are the task
//! entries the coordinator filled in (`TaskSnapshot::finished && from_finished_task`); an
//! operator's state is *fully finished* when every old subtask's entry is such, *partially
//! finished* when some is, *all running* otherwise (also an operator without old state).
//! `StateAssignmentOperation#assignStates` runs the checker before it assigns anything; its
//! three rules, each refused with Flink's message:
//!
//! 1. every operator of a new vertex (a chain) has the same finished state ("Can not restore
//!    vertex ... which contain mixed operator finished state: [...]");
//! 2. every predecessor of a fully finished vertex is fully finished;
//! 3. a partially finished vertex's predecessor is fully finished when connected by an
//!    ALL_TO_ALL edge (several edges from one predecessor: ALL_TO_ALL wins), and not all
//!    running when connected by a POINTWISE edge.
//!
//! The model's job graph never changes between a checkpoint and its restore, but a rescale
//! changes which operators are chained (forward edges between operators of equal parallelism),
//! so rules 1 and 3 are reachable: a chain merged from a finished and a running vertex, or a
//! chain split so that a partly finished operator follows a partly finished one over a
//! rebalance. Edges come from [`JobLayout::inputs`]' gates ([`TaskInputs::gates`]); without
//! them only rule 1 is checked. flink-1.11 has no finished operator state (it declines
//! checkpoints once a task finished): nothing to check there.

use super::{JobLayout, OperatorLayout, RescaleError, TaskInputs};
use crate::ids::TaskId;
use crate::store::CompletedCheckpoint;
use std::collections::{BTreeMap, BTreeSet};

/// Flink's `VertexFinishedStateChecker.VertexFinishedState` (its order is the order Flink
/// prints a sorted set of them in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FinishedState {
    /// No subtask finished.
    AllRunning,
    /// Some subtasks finished (`FinishedOperatorSubtaskState`).
    PartiallyFinished,
    /// Every subtask finished (`FullyFinishedOperatorState`).
    FullyFinished,
}

impl FinishedState {
    fn name(self) -> &'static str {
        match self {
            FinishedState::AllRunning => "ALL_RUNNING",
            FinishedState::PartiallyFinished => "PARTIALLY_FINISHED",
            FinishedState::FullyFinished => "FULLY_FINISHED",
        }
    }
}

/// The finished state of operator `op` (of the old layout) in `cp`.
fn operator_state(cp: &CompletedCheckpoint, op: Option<&&OperatorLayout>) -> FinishedState {
    let Some(op) = op else { return FinishedState::AllRunning };
    let finished = |t: &TaskId| cp.tasks.get(t).is_some_and(|s| s.finished && s.from_finished_task);
    let n = op.slots.iter().filter(|(t, _)| finished(t)).count();
    match n {
        0 => FinishedState::AllRunning,
        n if n == op.slots.len() => FinishedState::FullyFinished,
        _ => FinishedState::PartiallyFinished,
    }
}

/// One vertex of the new job: its name (the head operator's uid, as [`TaskInputs::vertex`])
/// and its finished state.
struct Vertex {
    name: String,
    tasks: BTreeSet<TaskId>,
    state: FinishedState,
}

/// Checks `new` against the finished state `cp` holds (see the module doc).
pub(super) fn check_finished_state(
    cp: &CompletedCheckpoint,
    old_ops: &BTreeMap<&str, &OperatorLayout>,
    new: &JobLayout,
) -> Result<(), RescaleError> {
    // The new vertices: operators on the same tasks form one chain, in layout order.
    let mut groups: Vec<(BTreeSet<TaskId>, Vec<&OperatorLayout>)> = Vec::new();
    for op in &new.operators {
        let tasks: BTreeSet<TaskId> = op.slots.iter().map(|(t, _)| *t).collect();
        match groups.iter_mut().find(|(g, _)| *g == tasks) {
            Some((_, ops)) => ops.push(op),
            None => groups.push((tasks, vec![op])),
        }
    }
    let mut vertices = Vec::new();
    for (tasks, ops) in groups {
        let states: BTreeSet<FinishedState> =
            ops.iter().map(|o| operator_state(cp, old_ops.get(o.uid.as_str()))).collect();
        let name = ops[0].uid.clone();
        if states.len() != 1 {
            let list: Vec<&str> = states.iter().map(|s| s.name()).collect();
            return Err(RescaleError::MixedFinishedState { vertex: name, states: format!("[{}]", list.join(", ")) });
        }
        let state = *states.iter().next().expect("one state");
        vertices.push(Vertex { name, tasks, state });
    }
    for v in vertices.iter().filter(|v| v.state != FinishedState::AllRunning) {
        let Some(inputs) = v.tasks.iter().find_map(|t| new.inputs.get(t)) else { continue };
        for (pred, all_to_all) in predecessors(inputs) {
            let Some(p) = vertices.iter().find(|u| u.name == pred) else { continue };
            check_predecessor(v, p.state, all_to_all)?;
        }
    }
    Ok(())
}

/// The upstream vertices of a task's gates, each with whether one of its edges is ALL_TO_ALL.
fn predecessors(inputs: &TaskInputs) -> BTreeMap<String, bool> {
    let mut out: BTreeMap<String, bool> = BTreeMap::new();
    for g in &inputs.gates {
        *out.entry(g.upstream.clone()).or_default() |= g.all_to_all;
    }
    out
}

/// Rules 2 and 3 for vertex `v` and one predecessor in state `pred`.
fn check_predecessor(v: &Vertex, pred: FinishedState, all_to_all: bool) -> Result<(), RescaleError> {
    use FinishedState::*;
    let refused = match (v.state, pred, all_to_all) {
        (FullyFinished, AllRunning | PartiallyFinished, _) => Some(
            "Illegal JobGraph modification. Cannot run a program with fully finished vertices predeceased with \
             the ones not fully finished. Task vertex {v} has a predecessor not fully finished"
                .to_string(),
        ),
        (PartiallyFinished, AllRunning | PartiallyFinished, true) => Some(format!(
            "Illegal JobGraph modification. Cannot run a program with partially finished vertices predeceased \
             with running or partially finished ones and connected via the ALL_TO_ALL edges. Task vertex {{v}} \
             has a {} predecessor",
            if pred == AllRunning { "all running" } else { "partially finished" }
        )),
        (PartiallyFinished, AllRunning, false) => Some(
            "Illegal JobGraph modification. Cannot run a program with partially finished vertices predeceased with \
             all running ones. Task vertex {v} has a all running predecessor"
                .to_string(),
        ),
        _ => None,
    };
    match refused {
        Some(text) => {
            Err(RescaleError::FinishedPredecessor { vertex: v.name.clone(), message: text.replace("{v}", &v.name) })
        }
        None => Ok(()),
    }
}
