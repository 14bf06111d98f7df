//! Unaligned in-flight channel state on a restore with other parallelism (child module of `rescale.rs`, re-exported there): each task's input channels ([`TaskInputs`]), the edge's state mapper ([`ChannelMapper`]) and [`rescale_in_flight`], as Flink 1.13+'s `StateAssignmentOperation` redistributes input channel state.

use super::{JobLayout, OperatorLayout, RescaleError, Rescaled};
use crate::ids::{ChannelId, TaskId};
use crate::key_group::VertexParallelism;
use crate::record::Record;
use crate::state::TaskSnapshot;
use crate::store::CompletedCheckpoint;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a task sits and what feeds its input channels (Flink: the task's `InputGate`s and the
/// partitioner of each input edge).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInputs {
    /// The task's vertex (its head operator's uid): the same in the old and the new layout.
    pub vertex: String,
    /// The task's subtask index in its vertex.
    pub subtask: u32,
    /// Channel `c` of the task is `channels[c]`.
    pub channels: Vec<InputChannel>,
    /// Gate `g` (the vertex's input edge `g`) reads from `gates[g]` (for Flink's
    /// `VertexFinishedStateChecker`, `finished_state.rs`); empty: edges unknown.
    #[serde(default)]
    pub gates: Vec<GateSource>,
}

/// The upstream side of one input edge of a vertex.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateSource {
    /// The upstream vertex (its head operator's uid, as [`TaskInputs::vertex`]).
    pub upstream: String,
    /// Flink's `DistributionPattern.ALL_TO_ALL` (hash, rebalance, broadcast); false: POINTWISE
    /// (forward).
    pub all_to_all: bool,
}

/// One input channel of a task.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputChannel {
    /// The input gate (the index of the input edge of the vertex).
    pub gate: u32,
    /// The upstream subtask the channel reads from.
    pub upstream_subtask: u32,
    /// How the edge's channel state is redistributed when parallelism changes.
    pub mapper: ChannelMapper,
}

/// How an edge's in-flight records move on a rescale: the downstream `SubtaskStateMapper` of
/// the edge's partitioner.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelMapper {
    /// `KeyGroupStreamPartitioner` (`RANGE`, ambiguous, so the receiving subtask filters each
    /// replayed record by key group): a record goes to the new subtask owning the key group of
    /// its key, in the key groups of operator `uid` (the keyed operator at the edge's end).
    KeyGroups {
        /// The keyed operator whose max parallelism gives the key groups.
        uid: String,
    },
    /// `RebalancePartitioner` / `ShufflePartitioner` (`ROUND_ROBIN`): old subtask `j`'s records
    /// go to new subtask `j % p_new`.
    RoundRobin,
    /// `ForwardPartitioner` (`UNSUPPORTED`), and the model's broadcast edges (not modelled):
    /// in-flight state moves only when both sides keep their parallelism.
    Unsupported,
}

/// In-flight channel state: redistributed by [`rescale_in_flight`] when both layouts describe
/// their inputs, else moved only when no operator changes parallelism (then old task -> new task
/// is the same for every operator); declared padding moves with the operators: each new task
/// gets an even share of the padding of the old tasks that held its first operator.
pub(super) fn carry_in_flight_and_padding(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    vertices: &BTreeMap<String, VertexParallelism>,
    tasks: &mut BTreeMap<TaskId, TaskSnapshot>,
) -> Result<(), RescaleError> {
    let old_ops: BTreeMap<&str, &OperatorLayout> = old.operators.iter().map(|o| (o.uid.as_str(), o)).collect();
    if !old.inputs.is_empty() && !new.inputs.is_empty() {
        for (task, in_flight) in rescale_in_flight(cp, old, new, vertices, InFlightRouting::Flink)? {
            tasks.get_mut(&task).expect("a task of the new layout").in_flight = in_flight;
        }
    } else {
        carry_in_flight_unchanged(cp, old, new, vertices, tasks)?;
    }
    // Padding: by each new task's first operator that the old job had.
    let mut first_op: BTreeMap<TaskId, (usize, &str, u32)> = BTreeMap::new();
    for op in &new.operators {
        if !old_ops.contains_key(op.uid.as_str()) {
            continue;
        }
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let e = first_op.entry(task).or_insert((index, op.uid.as_str(), i as u32));
            if index < e.0 {
                *e = (index, op.uid.as_str(), i as u32);
            }
        }
    }
    for (task, (_, uid, i)) in first_op {
        let o = old_ops[uid];
        let old_tasks: BTreeSet<TaskId> = o.slots.iter().map(|s| s.0).collect();
        let total: u64 = old_tasks.iter().filter_map(|t| cp.tasks.get(t)).map(|s| s.padding_bytes).sum();
        let n = u64::from(vertices[uid].parallelism);
        let share = total / n + u64::from(u64::from(i) < total % n);
        tasks.get_mut(&task).expect("validated layout").padding_bytes = share;
    }
    Ok(())
}

/// In-flight state without input layouts: moved as a whole when no operator changes
/// parallelism (then old task -> new task is the same for every operator), refused otherwise.
fn carry_in_flight_unchanged(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    vertices: &BTreeMap<String, VertexParallelism>,
    tasks: &mut BTreeMap<TaskId, TaskSnapshot>,
) -> Result<(), RescaleError> {
    let old_ops: BTreeMap<&str, &OperatorLayout> = old.operators.iter().map(|o| (o.uid.as_str(), o)).collect();
    let mut map: BTreeMap<TaskId, BTreeSet<TaskId>> = BTreeMap::new();
    let mut rescaled = false;
    for op in &new.operators {
        let Some(o) = old_ops.get(op.uid.as_str()) else { continue };
        if o.vertex.parallelism != vertices[&op.uid].parallelism {
            rescaled = true;
            continue;
        }
        for (a, b) in o.slots.iter().zip(&op.slots) {
            map.entry(a.0).or_default().insert(b.0);
        }
    }
    for (task, snap) in &cp.tasks {
        if snap.in_flight.values().all(Vec::is_empty) {
            continue;
        }
        match map.get(task) {
            Some(to) if !rescaled && to.len() == 1 => {
                let to = *to.iter().next().expect("one task");
                tasks.get_mut(&to).expect("validated layout").in_flight = snap.in_flight.clone();
            }
            _ => {
                return Err(RescaleError::InFlightOnRescale {
                    task: *task,
                    why: "the layouts do not describe the inputs",
                })
            }
        }
    }
    Ok(())
}

/// How [`rescale_in_flight`] routes the records of a keyed edge.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InFlightRouting {
    /// As Flink: by the key group of each record's key.
    Flink,
    /// A planted bug (`Variant::RescaleInFlightBySubtask`, applied by the host): keyed edges too go round robin by old
    /// subtask, so a record of a key group that moved is replayed to a subtask that does not own it.
    BySubtask,
}

/// In-flight channel state per new task, as Flink 1.13+ redistributes it on a restore
/// (`StateAssignmentOperation.reDistributeInputChannelStates`, `TaskStateAssignment`,
/// `InflightDataRescalingDescriptor`; the partitioners' `SubtaskStateMapper`s):
///
/// * the **downstream** side picks the new task: old subtask `j` of a vertex whose parallelism
///   did not change stays subtask `j`; otherwise a key_by edge (`RANGE`, filtered per record
///   by key group) sends each record to the new subtask owning its key group, a rebalance edge
///   (`ROUND_ROBIN`) old subtask `j`'s records to new subtask `j % p_new`, and a forward or
///   broadcast edge is refused (`UNSUPPORTED`; the model's broadcast is not modelled);
/// * the **upstream** side picks the channel in the new task: the channel of the same input gate
///   from upstream subtask `u % p_up_new` (`ARBITRARY`, round robin); a forward gate's one channel.
///
/// Records keep their order per old channel; a new channel collects the old channels' records
/// in old task order, then channel order. Every record lands exactly once (checked by
/// [`super::check_assignment`]). The model keeps channel state on the input side only (an unaligned
/// barrier overtakes the records of the upstream's output buffers and the channel, and the
/// downstream persists them), so there is no output-buffer state to move.
pub fn rescale_in_flight(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    vertices: &BTreeMap<String, VertexParallelism>,
    routing: InFlightRouting,
) -> Result<BTreeMap<TaskId, BTreeMap<ChannelId, Vec<Record>>>, RescaleError> {
    // Per vertex: the new tasks in subtask order.
    let mut new_tasks: BTreeMap<&str, Vec<(u32, TaskId)>> = BTreeMap::new();
    for (t, inputs) in &new.inputs {
        new_tasks.entry(inputs.vertex.as_str()).or_default().push((inputs.subtask, *t));
    }
    for v in new_tasks.values_mut() {
        v.sort();
    }
    let mut old_p: BTreeMap<&str, u32> = BTreeMap::new();
    for inputs in old.inputs.values() {
        *old_p.entry(inputs.vertex.as_str()).or_default() += 1;
    }
    let gate_width = |inputs: &TaskInputs, gate: u32| inputs.channels.iter().filter(|c| c.gate == gate).count() as u32;
    let mut out: BTreeMap<TaskId, BTreeMap<ChannelId, Vec<Record>>> = BTreeMap::new();
    for (task, snap) in &cp.tasks {
        if snap.in_flight.values().all(Vec::is_empty) {
            continue;
        }
        let refuse = |why| RescaleError::InFlightOnRescale { task: *task, why };
        let old_in = old.inputs.get(task).ok_or_else(|| refuse("the old layout does not describe its inputs"))?;
        // The task's head operator heads no task of the new job: the exchange into it is now
        // chained (a rescale changes no operator, only chaining). Flink refuses such a restore
        // (`StateAssignmentOperation#getChannelState`: "Cannot recover from unaligned
        // checkpoint when topology changes, such that data exchanges with persisted data are
        // now chained"), and so the new job fails.
        let targets = new_tasks
            .get(old_in.vertex.as_str())
            .ok_or_else(|| refuse("its input exchange is chained in the new job; in-flight data of an exchange that is now chained is not recovered"))?;
        let (p_old, p_new) = (old_p[old_in.vertex.as_str()], targets.len() as u32);
        for (ch, records) in &snap.in_flight {
            let c = old_in.channels.get(ch.0 as usize).ok_or_else(|| refuse("a channel the old layout lacks"))?;
            let up_old = gate_width(old_in, c.gate);
            for r in records {
                let sub = if p_old == p_new {
                    old_in.subtask
                } else {
                    match (&c.mapper, routing) {
                        (ChannelMapper::KeyGroups { uid }, InFlightRouting::Flink) => {
                            let max = vertices.get(uid).map_or(crate::operator::MAX_PARALLELISM, |v| v.max_parallelism);
                            crate::key_group::assign_key_to_parallel_operator(
                                &crate::operator::key_of(&r.value),
                                max,
                                p_new,
                            )
                        }
                        (ChannelMapper::KeyGroups { .. }, InFlightRouting::BySubtask)
                        | (ChannelMapper::RoundRobin, _) => old_in.subtask % p_new,
                        (ChannelMapper::Unsupported, _) => {
                            return Err(refuse("a forward or broadcast edge whose parallelism changed"))
                        }
                    }
                };
                let to = targets[sub as usize].1;
                let new_in = &new.inputs[&to];
                let up_new = gate_width(new_in, c.gate);
                if c.mapper == ChannelMapper::Unsupported && up_new != up_old {
                    return Err(refuse("a forward or broadcast edge whose parallelism changed"));
                }
                let up = if up_new == 1 && c.mapper == ChannelMapper::Unsupported {
                    new_in.channels.iter().find(|n| n.gate == c.gate).map(|n| n.upstream_subtask)
                } else {
                    Some(c.upstream_subtask % up_new.max(1))
                };
                let at = new_in
                    .channels
                    .iter()
                    .position(|n| n.gate == c.gate && Some(n.upstream_subtask) == up)
                    .ok_or_else(|| refuse("its input gate is not in the new job"))?;
                out.entry(to).or_default().entry(ChannelId(at as u32)).or_default().push(r.clone());
            }
        }
    }
    Ok(out)
}

/// Every in-flight record of `cp` is in exactly one new task's channel state of `r`.
pub(super) fn check_in_flight(cp: &CompletedCheckpoint, r: &Rescaled) {
    let flight = |c: &CompletedCheckpoint| {
        let mut v: Vec<String> =
            c.tasks.values().flat_map(|s| s.in_flight.values().flatten()).map(|r| format!("{r:?}")).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(flight(cp), flight(&r.checkpoint), "in-flight records lost or duplicated by the rescale");
}
