//! Restoring a checkpoint or savepoint with a different parallelism: keyed state by key-group ranges, operator list state split or broadcast, source partitions reassigned (Flink's `StateAssignmentOperation`).
//!
//! The entry point is [`assign`]: a completed checkpoint, the layout of the job that took it
//! and the layout of the job to start give a checkpoint **for the new job** (one
//! [`TaskSnapshot`] per new task, in the shape [`crate::task::Task::new`] restores), the
//! effective max parallelism of every operator (to route keys with), and which restored
//! partitions each source subtask reads. Everything is checked by [`check_assignment`] before
//! it is returned: every key of every keyed state lands exactly once, in the subtask that owns
//! its key group; every restored partition is read by exactly one subtask at its restored
//! offset; every two-phase-commit entry is recovered by exactly one subtask.
//!
//! How each kind of state moves (semantics §12):
//!
//! | state | Flink | here |
//! |---|---|---|
//! | keyed aggregate, count window | keyed state, one handle per key-group range (`KeyGroupsStateHandle`), cut to each new range | `Keyed`/`Window` entries filtered by [`crate::key_group`] ranges |
//! | Kafka offsets, 1.11 `FlinkKafkaConsumerBase` | union list state; each subtask keeps what `KafkaTopicPartitionAssigner` gives it | the union in every new subtask; owner `(start + partition) % p` with start 0 |
//! | Kafka splits, 2.x `KafkaSource` (`SourceOperator`) | list state, split round robin (`RoundRobinOperatorStateRepartitioner`) | [`repartition_split`] of the (partition, offset) entries |
//! | user operator list state (`CheckpointedFunction`) | split / union / broadcast by its `OperatorStateHandle.Mode` | `UserList` by [`split_user_list`]; `SharedList` union by [`place_union`] (restored as the vertex's concatenation, [`union_entries`], on every restore), broadcast `i % p_old` |
//! | 2PC sink `TwoPhaseCommitSinkFunction` (and Sink V2 committables) | list state, one entry per old subtask, split round robin | [`repartition_split`] of the entries; several land as [`OperatorState::List`] |
//!
//! # Wiring it into a host (what the world calls at a restore with other parallelism)
//!
//! 1. Describe the job that took the checkpoint as a [`JobLayout`]: per operator its uid, the
//!    [`VertexParallelism`] it ran with (the previous restore's [`Rescaled::vertices`], else
//!    `VertexParallelism::new(p, configured)`) and its slot in each subtask's snapshot: 0 for a
//!    source head, `1 + i` for `TaskSpec::chain[i]`, `chain.len() + 1` for a sink tail; and
//!    every task with `chain.len() + 2` slots. Describe the new job the same way (new task ids).
//! 2. Call [`assign`]; an `Err` fails the restore (Flink fails the job).
//! 3. Start every new task with `Task::new(spec, now, Some(&rescaled.checkpoint), ..)` (the
//!    source peers are the new source tasks), and route every key_by edge with
//!    `Partitioner::KeyGroups { channels, max_parallelism: rescaled.vertices[uid].max_parallelism }`.
//! 4. Keep `rescaled.vertices` as the old layout's vertices for the next restore.
//!
//! Unaligned in-flight channel state (the records a task persisted from its input channels)
//! is redistributed as Flink 1.13+ does (`StateAssignmentOperation` with an
//! `InflightDataRescalingDescriptor` per task, the `SubtaskStateMapper` of each edge's
//! partitioner): see [`rescale_in_flight`]. It needs the layouts' [`JobLayout::inputs`]; without
//! them (or on a forward or broadcast edge whose parallelism changed) [`assign`] refuses it
//! unless no operator changes parallelism.

use crate::ids::{PartitionId, TaskId};
use crate::key_group::{assign_to_key_group, KeyGroup, KeyGroupRange, MaxParallelismRestoreError, VertexParallelism};
use crate::record::Value;
pub use crate::state::ListMode;
use crate::state::{OperatorState, TaskSnapshot};
use crate::store::CompletedCheckpoint;
use crate::Profile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

mod finished_state;
mod in_flight;
use finished_state::check_finished_state;
use in_flight::{carry_in_flight_and_padding, check_in_flight};
pub use in_flight::{rescale_in_flight, ChannelMapper, GateSource, InFlightRouting, InputChannel, TaskInputs};

// --------------------------------------------------------------------- operator list state

/// `RoundRobinOperatorStateRepartitioner` for one `SPLIT_DISTRIBUTE` state: at unchanged
/// parallelism each subtask keeps its own entries; otherwise the entries of all old subtasks,
/// in old-subtask order, are cut into `new_parallelism` consecutive chunks, the first
/// `total % new_parallelism` of them one entry longer.
///
/// (Flink rotates the first receiving subtask from one named state to the next so that odd
/// entries spread; every operator here has a single named list state, for which the rotation
/// starts at subtask 0.)
pub fn repartition_split<T: Clone>(old: &[Vec<T>], new_parallelism: u32) -> Vec<Vec<T>> {
    assert!(new_parallelism >= 1, "new parallelism 0");
    let n = new_parallelism as usize;
    if old.len() == n {
        return old.to_vec();
    }
    let total: usize = old.iter().map(Vec::len).sum();
    let (base, remainder) = (total / n, total % n);
    let mut entries = old.iter().flatten();
    (0..n).map(|i| entries.by_ref().take(base + usize::from(i < remainder)).cloned().collect()).collect()
}

/// `UNION` mode: every new subtask gets the entries of all old subtasks, in old-subtask order.
pub fn repartition_union<T: Clone>(old: &[Vec<T>], new_parallelism: u32) -> Vec<Vec<T>> {
    let all: Vec<T> = old.iter().flatten().cloned().collect();
    vec![all; new_parallelism as usize]
}

/// `BROADCAST` mode: new subtask `i` gets the copy of the `i % k`-th old subtask that reported
/// the state (`None`: the old subtask reported nothing; Flink skips it).
pub fn repartition_broadcast<T: Clone>(old: &[Option<Vec<T>>], new_parallelism: u32) -> Vec<Vec<T>> {
    let reported: Vec<&Vec<T>> = old.iter().flatten().collect();
    (0..new_parallelism as usize)
        .map(|i| if reported.is_empty() { Vec::new() } else { reported[i % reported.len()].clone() })
        .collect()
}

/// Repartitions by `mode` (broadcast treats every old subtask as reporting).
pub fn repartition<T: Clone>(mode: ListMode, old: &[Vec<T>], new_parallelism: u32) -> Vec<Vec<T>> {
    match mode {
        ListMode::SplitDistribute => repartition_split(old, new_parallelism),
        ListMode::Union => repartition_union(old, new_parallelism),
        ListMode::Broadcast => {
            let reported: Vec<Option<Vec<T>>> = old.iter().cloned().map(Some).collect();
            repartition_broadcast(&reported, new_parallelism)
        }
    }
}

// ------------------------------------------------------------------ Kafka partition owners

/// The subtask that reads partition 0 of `topic`: `((topic.hashCode() * 31) & 0x7FFFFFFF) % p`
/// (`KafkaTopicPartitionAssigner`, and `KafkaSourceEnumerator.getSplitOwner` in 2.x).
pub fn kafka_topic_start_index(topic: &str, parallelism: u32) -> u32 {
    assert!(parallelism >= 1, "parallelism 0");
    let h = crate::java_hash::java_string_hash(topic).wrapping_mul(31) & 0x7FFF_FFFF;
    h as u32 % parallelism
}

/// The subtask that reads `partition`: `(start_index + partition) % parallelism`, partitions
/// of a topic going round robin clockwise from the topic's start index.
pub fn kafka_partition_owner(start_index: u32, partition: PartitionId, parallelism: u32) -> u32 {
    assert!(parallelism >= 1, "parallelism 0");
    ((u64::from(start_index) + u64::from(partition.0)) % u64::from(parallelism)) as u32
}

/// The reader of partition `partition` (numbered within its topic, from 0) of `topic` among
/// `readers` source subtasks: Flink's `KafkaSourceEnumerator#getSplitOwner` (2.x) and
/// `KafkaTopicPartitionAssigner#assign` (1.11), one formula,
/// `(((topic.hashCode() * 31) & 0x7FFFFFFF) % readers + partition) % readers`. Every place that
/// decides or predicts which subtask reads a partition (the source's owner rule, a restore's
/// new partitions, a rescale) asks this function.
pub fn kafka_split_owner(topic: &str, partition: u32, readers: u32) -> u32 {
    kafka_partition_owner(kafka_topic_start_index(topic, readers), PartitionId(partition), readers)
}

/// How the profile's Kafka source keeps its offsets: 1.11's `FlinkKafkaConsumerBase` in union
/// list state, 2.x's `SourceOperator` its splits in (split) list state.
pub fn source_state_mode(profile: Profile) -> ListMode {
    match profile {
        Profile::Flink111 => ListMode::Union,
        Profile::Flink23 => ListMode::SplitDistribute,
    }
}

/// Whether the profile's source state is split round robin on restore (2.x).
pub fn source_state_is_split(profile: Profile) -> bool {
    source_state_mode(profile) == ListMode::SplitDistribute
}

/// The partitions a 2.x source subtask reads after a restore: the splits in its own restored
/// state (those of its topic), plus every partition of its topic no restored state holds (new
/// partitions, which the enumerator assigns with [`kafka_split_owner`]). `own`: this subtask's
/// restored source state; `all`: every source subtask's; `topic`: the topic's name and its
/// partitions' range in the broker's log (partition `first + i` is the topic's partition `i`).
/// At unchanged parallelism this is the owner rule's set.
pub fn restored_source_partitions(
    own: Option<&OperatorState>,
    all: &[&OperatorState],
    topic: (&str, std::ops::Range<u32>),
    subtask: u32,
    parallelism: u32,
) -> BTreeSet<PartitionId> {
    let offsets = |st: &OperatorState| match st {
        OperatorState::SourceOffsets(m) => m.keys().copied().collect::<Vec<_>>(),
        // A subtask FINISHED before any checkpoint took its state stored none (re-laid by a
        // rescale as an empty slot): no splits.
        OperatorState::None => Vec::new(),
        other => panic!("restoring a log source from {other:?}"),
    };
    let (name, range) = topic;
    let restored: BTreeSet<PartitionId> = all.iter().flat_map(|st| offsets(st)).collect();
    let mut mine: BTreeSet<PartitionId> = own.map(offsets).unwrap_or_default().into_iter().collect();
    mine.extend(
        range
            .clone()
            .map(PartitionId)
            .filter(|p| !restored.contains(p) && kafka_split_owner(name, p.0 - range.start, parallelism) == subtask),
    );
    mine.retain(|p| range.contains(&p.0));
    mine
}

// --------------------------------------------------------------------------- layouts

/// Where one operator's subtasks keep their state in a checkpoint (Flink: an `OperatorID` and
/// its `OperatorSubtaskState` per subtask).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorLayout {
    /// The operator's identity across jobs (Flink's operator uid): the same in the old and the
    /// new layout.
    pub uid: String,
    /// Parallelism and effective max parallelism. For the old layout: what the job that took
    /// the checkpoint ran with (a job restored earlier may have adopted a max parallelism);
    /// for the new layout: what the new job is configured with ([`VertexParallelism::new`]).
    pub vertex: VertexParallelism,
    /// Subtask `i`'s state is `tasks[slots[i].0].operators[slots[i].1]`.
    pub slots: Vec<(TaskId, usize)>,
    /// A Kafka source: its topic's name and the broker partition that is the topic's partition
    /// 0 (1.11 restores union state and each subtask keeps what [`kafka_split_owner`] gives it).
    /// None: any other operator, or a source of an unnamed topic at partition 0 (the owner rule
    /// of a name whose hash is 0).
    #[serde(default)]
    pub source_topic: Option<(String, u32)>,
}

/// A job's operators and tasks, as far as state is concerned.
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobLayout {
    /// Every stateful operator with its subtasks' places in the tasks.
    pub operators: Vec<OperatorLayout>,
    /// Every task and the number of operator slots of its snapshot (the chain length + 2: the
    /// head, the chained operators, the tail; see `Task::take_snapshot`).
    pub tasks: BTreeMap<TaskId, usize>,
    /// Flink's `allowNonRestoredState` (`--allowNonRestoredState`), read from the new layout:
    /// state of an operator the new job lacks is dropped instead of failing the restore.
    pub allow_non_restored_state: bool,
    /// Every task with input channels: its vertex, subtask and channels (in `ChannelId` order).
    /// Needed only to redistribute unaligned in-flight channel state ([`rescale_in_flight`]);
    /// empty, in-flight state moves only when no operator changes parallelism.
    #[serde(default)]
    pub inputs: BTreeMap<TaskId, TaskInputs>,
}

/// A restore the model (like Flink) refuses, or a layout or checkpoint that does not fit.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum RescaleError {
    /// The restored state's max parallelism does not fit the new program (`StateAssignmentOperation.checkParallelismPreconditions`).
    #[error("operator {uid}: {source}")]
    MaxParallelism {
        /// The operator's uid.
        uid: String,
        /// Why its max parallelism was refused.
        source: MaxParallelismRestoreError,
    },
    /// A layout names one operator twice.
    #[error("operator {uid} appears twice in a layout")]
    DuplicateOperator {
        /// The operator's uid.
        uid: String,
    },
    /// A layout gives an operator a different number of subtask slots than its parallelism.
    #[error("operator {uid}: {slots} subtask slots for parallelism {parallelism}")]
    SlotCount {
        /// The operator's uid.
        uid: String,
        /// Slots the layout gives.
        slots: usize,
        /// The operator's parallelism.
        parallelism: u32,
    },
    /// A layout points an operator's subtask at a slot its task does not have.
    #[error("operator {uid}: slot {index} of task {task}, which has {len} slots")]
    BadSlot {
        /// The operator's uid.
        uid: String,
        /// The task.
        task: TaskId,
        /// The slot index.
        index: usize,
        /// The task's slot count.
        len: usize,
    },
    /// A layout gives one task slot to two operators.
    #[error("task {task} slot {index} is used by two operators")]
    SlotTwice {
        /// The task.
        task: TaskId,
        /// The slot index.
        index: usize,
    },
    /// A task of the old layout has no snapshot in the checkpoint.
    #[error("task {task} of the old layout is not in the checkpoint")]
    MissingTask {
        /// The task.
        task: TaskId,
    },
    /// The checkpoint holds state of an operator the new job lacks, without `allowNonRestoredState`.
    #[error("operator {uid} has state in the checkpoint but is not in the new job (no allowNonRestoredState)")]
    UnmappedState {
        /// The operator's uid.
        uid: String,
    },
    /// An operator's subtasks hold different kinds of state.
    #[error("operator {uid}: subtasks hold different kinds of state ({first} and {other})")]
    MixedStateKinds {
        /// The operator's uid.
        uid: String,
        /// The first subtask's kind of state.
        first: &'static str,
        /// Another subtask's kind.
        other: &'static str,
    },
    /// A key sits in an old subtask that does not own its key group (the checkpoint is inconsistent).
    #[error("operator {uid}: key {key} (key group {key_group}) is in old subtask {subtask}, which owns {range}")]
    KeyOutsideRange {
        /// The operator's uid.
        uid: String,
        /// The key.
        key: Value,
        /// Its key group.
        key_group: KeyGroup,
        /// The old subtask holding it.
        subtask: u32,
        /// The key groups that subtask owns.
        range: KeyGroupRange,
    },
    /// Two subtasks hold the position of one source partition.
    #[error("operator {uid}: partition {partition} is in the state of two subtasks")]
    DuplicatePartition {
        /// The operator's uid.
        uid: String,
        /// The partition.
        partition: PartitionId,
    },
    /// A new vertex (chain) whose operators' states in the checkpoint are finished differently
    /// (Flink's `VertexFinishedStateChecker`, 2.x; `finished_state.rs`).
    #[error("Can not restore vertex {vertex} which contain mixed operator finished state: {states}")]
    MixedFinishedState {
        /// The vertex (its head operator's uid).
        vertex: String,
        /// The finished states found, sorted, as Flink prints them.
        states: String,
    },
    /// A finished vertex of the new job follows one that is not finished enough
    /// (`VertexFinishedStateChecker`'s predecessor rules; the message is Flink's).
    #[error("{message}")]
    FinishedPredecessor {
        /// The vertex (its head operator's uid).
        vertex: String,
        /// Flink's message.
        message: String,
    },
    /// Unaligned in-flight channel state that cannot move to the new job: on a forward (or
    /// broadcast) edge whose parallelism changed (Flink: `SubtaskStateMapper.UNSUPPORTED`), on
    /// an exchange the new job chains (Flink: `StateAssignmentOperation#getChannelState`), or
    /// with a changed parallelism and layouts without [`JobLayout::inputs`].
    #[error("task {task}: unaligned in-flight channel state cannot be rescaled ({why})")]
    InFlightOnRescale {
        /// The task.
        task: TaskId,
        /// Why.
        why: &'static str,
    },
}

/// The result of [`assign`].
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct Rescaled {
    /// The checkpoint as the new job restores it: same id, kind and times, one snapshot per
    /// new task, the size recomputed.
    pub checkpoint: CompletedCheckpoint,
    /// Every new operator's parallelism and effective max parallelism (the restored one where
    /// it was derived): route keys with it, and keep it as the next restore's old layout.
    pub vertices: BTreeMap<String, VertexParallelism>,
    /// For every new source task, the restored partitions it reads.
    pub source_partitions: BTreeMap<TaskId, BTreeSet<PartitionId>>,
}

fn kind_name(st: &OperatorState) -> &'static str {
    match st {
        OperatorState::None => "none",
        OperatorState::SourceOffsets(_) => "source offsets",
        OperatorState::Keyed(_) => "keyed",
        OperatorState::Window(_) => "window",
        OperatorState::EventWindow(_) => "event window",
        OperatorState::TwoPhaseCommit { .. } | OperatorState::List(_) => "two-phase commit",
        OperatorState::UserList(_) => "user list",
        OperatorState::SharedList { mode: ListMode::Broadcast, .. } => "broadcast state",
        OperatorState::SharedList { .. } => "union list",
        OperatorState::Join(_) => "join",
        OperatorState::Composite(_) => "composite",
    }
}

fn validate_layout(layout: &JobLayout) -> Result<(), RescaleError> {
    let mut uids = BTreeSet::new();
    let mut used = BTreeSet::new();
    for op in &layout.operators {
        if !uids.insert(op.uid.as_str()) {
            return Err(RescaleError::DuplicateOperator { uid: op.uid.clone() });
        }
        if op.slots.len() != op.vertex.parallelism as usize {
            return Err(RescaleError::SlotCount {
                uid: op.uid.clone(),
                slots: op.slots.len(),
                parallelism: op.vertex.parallelism,
            });
        }
        for &(task, index) in &op.slots {
            let len = layout.tasks.get(&task).copied().unwrap_or(0);
            if index >= len {
                return Err(RescaleError::BadSlot { uid: op.uid.clone(), task, index, len });
            }
            if !used.insert((task, index)) {
                return Err(RescaleError::SlotTwice { task, index });
            }
        }
    }
    Ok(())
}

/// The old subtasks' states of one operator, in subtask order.
fn old_states<'a>(cp: &'a CompletedCheckpoint, op: &OperatorLayout) -> Result<Vec<&'a OperatorState>, RescaleError> {
    op.slots
        .iter()
        .map(|&(task, index)| {
            let snap = cp.tasks.get(&task).ok_or(RescaleError::MissingTask { task })?;
            Ok(snap.operators.get(index).unwrap_or(&OperatorState::None))
        })
        .collect()
}

/// FLIP-147 (2.x): an operator whose every old subtask was FINISHED at the trigger is fully
/// finished (Flink's `FullyFinishedOperatorState`, kept as such by `StateAssignmentOperation`
/// whatever the new parallelism), so every new subtask of it is deployed finished: the new
/// tasks' entries keep the finished marks the restore reads (`task_build` `FinishedRestore`).
/// A vertex only partly finished is re-laid like any other: its finished subtasks stored no
/// state. (Session 38: the marks were dropped, so a bounded source FINISHED before the
/// savepoint ran again after a rescale — and panicked when it had never been checkpointed.)
fn carry_fully_finished(
    cp: &CompletedCheckpoint,
    old_ops: &BTreeMap<&str, &OperatorLayout>,
    new: &JobLayout,
    tasks: &mut BTreeMap<TaskId, TaskSnapshot>,
) {
    let finished = |t: &TaskId| cp.tasks.get(t).is_some_and(|s| s.finished && s.from_finished_task);
    for op in &new.operators {
        let Some(old_op) = old_ops.get(op.uid.as_str()) else { continue };
        if old_op.slots.is_empty() || !old_op.slots.iter().all(|(t, _)| finished(t)) {
            continue;
        }
        for (t, _) in &op.slots {
            let snap = tasks.get_mut(t).expect("validated layout");
            snap.finished = true;
            snap.from_finished_task = true;
        }
    }
}

/// Restores `cp`, taken by a job laid out as `old`, into a job laid out as `new` (see the
/// module doc). Operators match by uid; an operator of `new` that is not in `old` starts
/// without state (it must be stateless or able to start empty); an operator of `old` with
/// state that is not in `new` is an error unless `new.allow_non_restored_state`.
pub fn assign(
    cp: &CompletedCheckpoint,
    old: &JobLayout,
    new: &JobLayout,
    profile: Profile,
) -> Result<Rescaled, RescaleError> {
    validate_layout(old)?;
    validate_layout(new)?;
    let old_ops: BTreeMap<&str, &OperatorLayout> = old.operators.iter().map(|o| (o.uid.as_str(), o)).collect();
    if profile.checkpoints_after_tasks_finish() {
        // `StateAssignmentOperation#assignStates` checks the finished states first.
        check_finished_state(cp, &old_ops, new)?;
    }
    let new_uids: BTreeSet<&str> = new.operators.iter().map(|o| o.uid.as_str()).collect();
    for op in &old.operators {
        if !new.allow_non_restored_state
            && !new_uids.contains(op.uid.as_str())
            && old_states(cp, op)?.iter().any(|s| **s != OperatorState::None)
        {
            return Err(RescaleError::UnmappedState { uid: op.uid.clone() });
        }
    }

    // Max parallelism: adopt or refuse the restored one (Flink checks every operator).
    let mut vertices = BTreeMap::new();
    for op in &new.operators {
        let vertex = match old_ops.get(op.uid.as_str()) {
            Some(o) => op
                .vertex
                .restored_with(o.vertex.max_parallelism)
                .map_err(|source| RescaleError::MaxParallelism { uid: op.uid.clone(), source })?,
            None => op.vertex,
        };
        vertices.insert(op.uid.clone(), vertex);
    }

    let mut tasks: BTreeMap<TaskId, TaskSnapshot> = new
        .tasks
        .iter()
        .map(|(&t, &len)| (t, TaskSnapshot { operators: vec![OperatorState::None; len], ..TaskSnapshot::default() }))
        .collect();
    let mut source_partitions = BTreeMap::new();

    for op in &new.operators {
        let Some(old_op) = old_ops.get(op.uid.as_str()) else { continue };
        let states = old_states(cp, old_op)?;
        let vertex = vertices[&op.uid];
        let new_p = vertex.parallelism;
        let Some(first) = states.iter().find(|s| ***s != OperatorState::None) else { continue };
        let kind = kind_name(first);
        if let Some(other) = states.iter().map(|s| kind_name(s)).find(|k| *k != kind) {
            return Err(RescaleError::MixedStateKinds { uid: op.uid.clone(), first: kind, other });
        }
        let new_states: Vec<OperatorState> = match first {
            OperatorState::SourceOffsets(_) => {
                let (st, owned) = rescale_source(op, &states, new_p, profile)?;
                for (i, set) in owned.into_iter().enumerate() {
                    source_partitions.insert(op.slots[i].0, set);
                }
                st
            }
            OperatorState::Composite(parts) => {
                // Each part on its own, as an operator's only state (session 39).
                let mut per_new: Vec<Vec<OperatorState>> = vec![Vec::with_capacity(parts.len()); new_p as usize];
                for c in 0..parts.len() {
                    let part: Vec<&OperatorState> = states
                        .iter()
                        .map(|s| match s {
                            OperatorState::Composite(v) => v.get(c).unwrap_or(&OperatorState::None),
                            _ => &OperatorState::None,
                        })
                        .collect();
                    let assigned = rescale_part(&op.uid, &part, &old_op.vertex, &vertex)?;
                    for (i, st) in assigned.into_iter().enumerate() {
                        per_new[i].push(st);
                    }
                }
                per_new.into_iter().map(OperatorState::Composite).collect()
            }
            _ => rescale_part(&op.uid, &states, &old_op.vertex, &vertex)?,
        };
        for (i, st) in new_states.into_iter().enumerate() {
            let (task, index) = op.slots[i];
            tasks.get_mut(&task).expect("validated layout").operators[index] = st;
        }
    }

    carry_in_flight_and_padding(cp, old, new, &vertices, &mut tasks)?;
    carry_fully_finished(cp, &old_ops, new, &mut tasks);
    let size_bytes = tasks.values().map(TaskSnapshot::size_bytes).sum();
    let checkpoint = CompletedCheckpoint { tasks, size_bytes, ..cp.clone() };
    let rescaled = Rescaled { checkpoint, vertices, source_partitions };
    check_assignment(cp, old, new, &rescaled);
    Ok(rescaled)
}

/// An event-window state as (key, everything the key holds) pairs, for the exactly-once check.
fn event_window_entries(w: &crate::window::EventWindowState) -> BTreeMap<Value, String> {
    let mut by_key: BTreeMap<Value, String> = BTreeMap::new();
    for ((k, win), acc) in &w.windows {
        by_key.entry(k.clone()).or_default().push_str(&format!("{win:?}={acc:?};"));
    }
    for t in &w.timers {
        by_key.entry(t.key.clone()).or_default().push_str(&format!("timer {t:?};"));
    }
    for ((k, win), state_window) in &w.merging {
        by_key.entry(k.clone()).or_default().push_str(&format!("merging {win:?}->{state_window:?};"));
    }
    by_key
}

/// A join's buffered elements and timers per key, as text (for the placement checks).
fn join_entries(st: &crate::join::JoinState) -> BTreeMap<Value, String> {
    let mut by_key: BTreeMap<Value, String> = BTreeMap::new();
    for e in &st.entries {
        by_key.entry(e.key.clone()).or_default().push_str(&format!("{}@{} {:?};", e.side, e.ts, e.lineage));
    }
    for t in &st.timers {
        by_key.entry(t.key.clone()).or_default().push_str(&format!("timer {t:?};"));
    }
    by_key
}

/// One state of an operator (not a source's offsets) assigned to the new subtasks by its kind:
/// keyed by key group, 2PC and list states by their mode. All `None` stays `None`.
fn rescale_part(
    uid: &str,
    states: &[&OperatorState],
    old_vertex: &VertexParallelism,
    new_vertex: &VertexParallelism,
) -> Result<Vec<OperatorState>, RescaleError> {
    let new_p = new_vertex.parallelism;
    let Some(first) = states.iter().find(|s| ***s != OperatorState::None) else {
        return Ok(vec![OperatorState::None; new_p as usize]);
    };
    let kind = kind_name(first);
    if let Some(other) = states.iter().map(|s| kind_name(s)).find(|k| *k != kind) {
        return Err(RescaleError::MixedStateKinds { uid: uid.to_string(), first: kind, other });
    }
    Ok(match first {
        OperatorState::Keyed(_) | OperatorState::Window(_) | OperatorState::EventWindow(_) | OperatorState::Join(_) => {
            rescale_keyed(uid, states, old_vertex, new_vertex)?
        }
        OperatorState::TwoPhaseCommit { .. } | OperatorState::List(_) => rescale_two_phase_commit(states, new_p),
        OperatorState::UserList(_) => split_user_list(states, new_p),
        OperatorState::SharedList { mode, .. } => rescale_shared(states, *mode, new_p),
        OperatorState::SourceOffsets(_) | OperatorState::Composite(_) | OperatorState::None => {
            unreachable!("sources and composites are assigned by `assign`, None filtered")
        }
    })
}

/// The key whose key group holds a keyed state entry: the entry's key, except the count join's
/// `(key, side)` entries (`two_input.rs`), which live with `key` (the key records route by).
fn state_key(k: &Value) -> Value {
    crate::operator::key_of(k)
}

/// Keyed state: new subtask `i` gets, from every old subtask, the entries whose key group is
/// in its range (Flink reads each old `KeyGroupsStateHandle` cut to the intersection).
fn rescale_keyed(
    uid: &str,
    states: &[&OperatorState],
    old_vertex: &VertexParallelism,
    new_vertex: &VertexParallelism,
) -> Result<Vec<OperatorState>, RescaleError> {
    let max = new_vertex.max_parallelism;
    let ranges: Vec<KeyGroupRange> = (0..new_vertex.parallelism).map(|i| new_vertex.key_group_range(i)).collect();
    let owner = |kg: KeyGroup| ranges.iter().position(|r| r.contains(kg)).expect("ranges cover every key group");
    let mut keyed: Vec<BTreeMap<Value, Value>> = vec![BTreeMap::new(); ranges.len()];
    let mut window: Vec<BTreeMap<Value, (u64, Value)>> = vec![BTreeMap::new(); ranges.len()];
    // Event-time windows: contents and timers both move with their key's group
    // (`InternalTimerServiceImpl` snapshots timers per key group).
    let mut event: Vec<crate::window::EventWindowState> = vec![Default::default(); ranges.len()];
    let is_window = states.iter().any(|s| matches!(s, OperatorState::Window(_)));
    let is_event = states.iter().any(|s| matches!(s, OperatorState::EventWindow(_)));
    // Joins (`join.rs`): buffered elements and timers move with their key's group.
    let mut join: Vec<crate::join::JoinState> = vec![Default::default(); ranges.len()];
    let is_join = states.iter().any(|s| matches!(s, OperatorState::Join(_)));
    for (j, st) in states.iter().enumerate() {
        let old_range = old_vertex.key_group_range(j as u32);
        let check = |key: &Value| {
            let kg = assign_to_key_group(&state_key(key), max);
            if old_range.contains(kg) {
                Ok(owner(kg))
            } else {
                Err(RescaleError::KeyOutsideRange {
                    uid: uid.to_string(),
                    key: key.clone(),
                    key_group: kg,
                    subtask: j as u32,
                    range: old_range,
                })
            }
        };
        match st {
            OperatorState::Keyed(m) => {
                for (k, v) in m {
                    keyed[check(k)?].insert(k.clone(), v.clone());
                }
            }
            OperatorState::Window(m) => {
                for (k, v) in m {
                    window[check(k)?].insert(k.clone(), v.clone());
                }
            }
            OperatorState::EventWindow(w) => {
                for entry in &w.windows {
                    event[check(&entry.0 .0)?].windows.push(entry.clone());
                }
                for t in &w.timers {
                    event[check(&t.key)?].timers.push(t.clone());
                }
                // Session windows: the merging window set is keyed state too.
                for entry in &w.merging {
                    event[check(&entry.0 .0)?].merging.push(entry.clone());
                }
            }
            OperatorState::Join(st) => {
                for e in &st.entries {
                    join[check(&e.key)?].entries.push(e.clone());
                }
                for t in &st.timers {
                    join[check(&t.key)?].timers.push(t.clone());
                }
            }
            _ => {}
        }
    }
    Ok(if is_join {
        join.into_iter()
            .map(|mut st| {
                // Arrival order per (key, side) is kept: entries of one key come from one old subtask.
                st.timers.sort();
                OperatorState::Join(st)
            })
            .collect()
    } else if is_event {
        event
            .into_iter()
            .map(|mut w| {
                w.windows.sort_by(|a, b| a.0.cmp(&b.0));
                w.timers.sort();
                w.merging.sort();
                OperatorState::EventWindow(w)
            })
            .collect()
    } else if is_window {
        window.into_iter().map(OperatorState::Window).collect()
    } else {
        keyed.into_iter().map(OperatorState::Keyed).collect()
    })
}

type SourceAssignment = (Vec<OperatorState>, Vec<BTreeSet<PartitionId>>);

/// Source offsets: 1.11 broadcasts the union and each subtask keeps its owner-rule partitions;
/// 2.x splits the (partition, offset) entries round robin.
fn rescale_source(
    op: &OperatorLayout,
    states: &[&OperatorState],
    new_p: u32,
    profile: Profile,
) -> Result<SourceAssignment, RescaleError> {
    let mut seen = BTreeSet::new();
    let entries: Vec<Vec<(PartitionId, crate::ids::Offset)>> = states
        .iter()
        .map(|st| match st {
            OperatorState::SourceOffsets(m) => m.iter().map(|(p, o)| (*p, *o)).collect(),
            _ => Vec::new(),
        })
        .collect();
    for (p, _) in entries.iter().flatten() {
        if !seen.insert(*p) {
            return Err(RescaleError::DuplicatePartition { uid: op.uid.clone(), partition: *p });
        }
    }
    let mode = source_state_mode(profile);
    let parts = repartition(mode, &entries, new_p);
    let (topic, first) = op.source_topic.as_ref().map_or(("", 0), |(name, first)| (name.as_str(), *first));
    let owner = |p: &PartitionId| kafka_split_owner(topic, p.0.saturating_sub(first), new_p);
    let owned: Vec<BTreeSet<PartitionId>> = match mode {
        ListMode::Union => (0..new_p).map(|i| seen.iter().copied().filter(|p| owner(p) == i).collect()).collect(),
        _ => parts.iter().map(|v| v.iter().map(|(p, _)| *p).collect()).collect(),
    };
    let states = parts.into_iter().map(|v| OperatorState::SourceOffsets(v.into_iter().collect())).collect();
    Ok((states, owned))
}

/// 2PC sink: each old subtask's state is one list entry (a restored `List` several); the
/// entries are split round robin. One entry restores as itself, any other count as a `List`.
fn rescale_two_phase_commit(states: &[&OperatorState], new_p: u32) -> Vec<OperatorState> {
    let entries: Vec<Vec<OperatorState>> = states
        .iter()
        .map(|st| match st {
            OperatorState::List(v) => v.clone(),
            OperatorState::None => Vec::new(),
            other => vec![(*other).clone()],
        })
        .collect();
    repartition_split(&entries, new_p)
        .into_iter()
        .map(|mut v| if v.len() == 1 { v.pop().expect("one entry") } else { OperatorState::List(v) })
        .collect()
}

/// A user operator's list state (SPLIT_DISTRIBUTE, Flink's
/// `RoundRobinOperatorStateRepartitioner.repartitionSplitState`): [`repartition_split`] of the
/// old subtasks' lists — each keeps its own at unchanged parallelism (swarm seed 7964 of
/// `faults/rescale-split-list-retained`, a 3 -> 3 restore the `state` checker named when this
/// function cut the lists itself), otherwise consecutive runs, the first `n % new_p` one longer.
pub fn split_user_list(states: &[&OperatorState], new_p: u32) -> Vec<OperatorState> {
    let old: Vec<Vec<Value>> =
        states.iter().map(|st| if let OperatorState::UserList(v) = st { v.clone() } else { Vec::new() }).collect();
    repartition_split(&old, new_p.max(1)).into_iter().map(OperatorState::UserList).collect()
}

/// The entries of a [`OperatorState::SharedList`] (none for any other state).
fn shared_entries(st: &OperatorState) -> Vec<Value> {
    match st {
        OperatorState::SharedList { entries, .. } => entries.clone(),
        _ => Vec::new(),
    }
}

/// Union or broadcast list state of a user operator on a rescale. Union: the old subtasks'
/// lists are placed by [`place_union`] (every new subtask restores the concatenation over its
/// vertex, [`union_entries`], as on any restore); broadcast: new subtask `i` gets the copy of
/// the `i % k`-th old subtask that reported the state (`repartition_broadcast`).
fn rescale_shared(states: &[&OperatorState], mode: ListMode, new_p: u32) -> Vec<OperatorState> {
    let parts = match mode {
        ListMode::Broadcast => {
            let reported: Vec<Option<Vec<Value>>> = states
                .iter()
                .map(|st| matches!(st, OperatorState::SharedList { .. }).then(|| shared_entries(st)))
                .collect();
            repartition_broadcast(&reported, new_p)
        }
        _ => place_union(&states.iter().map(|st| shared_entries(st)).collect::<Vec<_>>(), new_p),
    };
    parts.into_iter().map(|entries| OperatorState::SharedList { mode, entries }).collect()
}

/// Where a rescale keeps the old subtasks' union list state: new subtask `j` holds old subtask
/// `j`'s list, the last new subtask also the lists of the old subtasks beyond it, so that the
/// concatenation over the new subtasks, in order, is the concatenation over the old ones (what
/// Flink's `RoundRobinOperatorStateRepartitioner.repartitionUnionState` hands every subtask).
pub fn place_union<T: Clone>(old: &[Vec<T>], new_parallelism: u32) -> Vec<Vec<T>> {
    let n = new_parallelism.max(1) as usize;
    let mut out: Vec<Vec<T>> = vec![Vec::new(); n];
    for (j, list) in old.iter().enumerate() {
        out[j.min(n - 1)].extend(list.iter().cloned());
    }
    out
}

/// What a subtask restores from a union list state at chain slot `slot`: the entries every
/// task of its vertex (`peers`, in subtask order) contributes to `cp`, concatenated. Flink
/// redistributes union state on every restore, also at unchanged parallelism
/// (`RoundRobinOperatorStateRepartitioner.repartitionState`).
pub fn union_entries(cp: &CompletedCheckpoint, peers: &[crate::ids::TaskId], slot: usize) -> Vec<Value> {
    peers
        .iter()
        .filter_map(|t| cp.tasks.get(t).and_then(|s| s.operators.get(slot)))
        .flat_map(|st| match st {
            OperatorState::SharedList { mode: ListMode::Union, entries } => entries.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// The invariants of an assignment (panics when one fails: a bug in [`assign`]):
/// * keyed: every (key, value) of every old subtask is in exactly one new subtask, the one that
///   owns the key's key group, and the new subtasks hold nothing else;
/// * sources: every restored partition is read by exactly one new subtask, and the state each
///   new subtask restores has the partition at its old offset;
/// * 2PC: every old entry is recovered by exactly one new subtask, none invented;
/// * in-flight channel state: every record is replayed by exactly one new task.
pub fn check_assignment(cp: &CompletedCheckpoint, old: &JobLayout, new: &JobLayout, r: &Rescaled) {
    check_in_flight(cp, r);
    let old_ops: BTreeMap<&str, &OperatorLayout> = old.operators.iter().map(|o| (o.uid.as_str(), o)).collect();
    for op in &new.operators {
        let Some(o) = old_ops.get(op.uid.as_str()) else { continue };
        let before = old_states(cp, o).expect("checked by assign");
        let after: Vec<&OperatorState> = op.slots.iter().map(|&(t, i)| &r.checkpoint.tasks[&t].operators[i]).collect();
        let vertex = r.vertices[&op.uid];
        if let Some(OperatorState::Composite(parts)) = before.iter().find(|s| matches!(s, OperatorState::Composite(_)))
        {
            // Each part as an operator's only state (session 39).
            let part = |v: &[&OperatorState], c: usize| -> Vec<OperatorState> {
                v.iter()
                    .map(|s| match s {
                        OperatorState::Composite(p) => p.get(c).cloned().unwrap_or(OperatorState::None),
                        _ => OperatorState::None,
                    })
                    .collect()
            };
            for c in 0..parts.len() {
                let (b, a) = (part(&before, c), part(&after, c));
                check_part(
                    &format!("{}#{c}", op.uid),
                    &b.iter().collect::<Vec<_>>(),
                    &a.iter().collect::<Vec<_>>(),
                    &vertex,
                );
            }
            continue;
        }
        check_part(&op.uid, &before, &after, &vertex);
        check_sources(cp, o, op, r);
    }
}

/// [`check_assignment`] for one state of an operator (keyed, 2PC and list states), `before` per
/// old subtask, `after` per new subtask.
fn check_part(uid: &str, before: &[&OperatorState], after: &[&OperatorState], vertex: &VertexParallelism) {
    // Keyed state: a multiset equality plus placement.
    let mut old_keys: BTreeMap<Value, String> = BTreeMap::new();
    let mut old_entries = Vec::new();
    let (mut old_list, mut new_list) = (Vec::new(), Vec::new());
    let (mut old_shared, mut new_shared) = (Vec::new(), Vec::new());
    for st in before {
        match st {
            OperatorState::Keyed(m) => old_keys.extend(m.iter().map(|(k, v)| (k.clone(), format!("{v:?}")))),
            OperatorState::Window(m) => old_keys.extend(m.iter().map(|(k, v)| (k.clone(), format!("{v:?}")))),
            OperatorState::EventWindow(w) => old_keys.extend(event_window_entries(w)),
            OperatorState::Join(st) => old_keys.extend(join_entries(st)),
            OperatorState::TwoPhaseCommit { .. } => old_entries.push((*st).clone()),
            OperatorState::List(v) => old_entries.extend(v.iter().cloned()),
            OperatorState::UserList(v) => old_list.extend(v.iter().cloned()),
            OperatorState::SharedList { mode, entries } => old_shared.push((*mode, entries.clone())),
            OperatorState::SourceOffsets(_) | OperatorState::Composite(_) | OperatorState::None => {}
        }
    }
    let mut new_keys: BTreeMap<Value, String> = BTreeMap::new();
    let mut new_entries = Vec::new();
    for (i, st) in after.iter().enumerate() {
        let entries: Vec<(&Value, String)> = match st {
            OperatorState::Keyed(m) => m.iter().map(|(k, v)| (k, format!("{v:?}"))).collect(),
            OperatorState::Window(m) => m.iter().map(|(k, v)| (k, format!("{v:?}"))).collect(),
            OperatorState::EventWindow(_) | OperatorState::Join(_) => {
                let owned = match st {
                    OperatorState::Join(j) => join_entries(j),
                    OperatorState::EventWindow(w) => event_window_entries(w),
                    _ => unreachable!(),
                };
                for k in owned.keys() {
                    let kg = assign_to_key_group(k, vertex.max_parallelism);
                    assert!(vertex.key_group_range(i as u32).contains(kg), "{}: window key {k} misplaced", uid);
                }
                new_keys.extend(owned);
                Vec::new()
            }
            _ => Vec::new(),
        };
        for (k, v) in entries {
            let kg = assign_to_key_group(&state_key(k), vertex.max_parallelism);
            assert!(vertex.key_group_range(i as u32).contains(kg), "{}: key {k} ({kg}) restored into subtask {i}", uid);
            assert!(new_keys.insert(k.clone(), v).is_none(), "{}: key {k} restored twice", uid);
        }
        match st {
            OperatorState::TwoPhaseCommit { .. } => new_entries.push((*st).clone()),
            OperatorState::List(v) => new_entries.extend(v.iter().cloned()),
            OperatorState::UserList(v) => new_list.extend(v.iter().cloned()),
            OperatorState::SharedList { mode, entries } => new_shared.push((*mode, entries.clone())),
            _ => {}
        }
    }
    check_shared(uid, &old_shared, &new_shared);
    assert_eq!(old_list, new_list, "{}: user list state lost, duplicated or reordered", uid);
    assert_eq!(old_keys, new_keys, "{}: keyed state lost or invented", uid);
    assert_eq!(old_entries.len(), new_entries.len(), "{}: 2pc entries lost or duplicated", uid);
    for e in &old_entries {
        assert_eq!(new_entries.iter().filter(|n| *n == e).count(), 1, "{}: 2pc entry {e:?} not recovered once", uid);
    }
}

/// [`check_assignment`] for a source's offsets: every restored partition is read by exactly one
/// new subtask, at its restored offset.
fn check_sources(cp: &CompletedCheckpoint, o: &OperatorLayout, op: &OperatorLayout, r: &Rescaled) {
    let mut old_parts = BTreeMap::new();
    for st in old_states(cp, o).expect("checked by assign") {
        if let OperatorState::SourceOffsets(m) = st {
            old_parts.extend(m.iter().map(|(p, o)| (*p, *o)));
        }
    }
    if !old_parts.is_empty() {
        let mut readers: BTreeMap<PartitionId, u32> = BTreeMap::new();
        for (i, &(task, index)) in op.slots.iter().enumerate() {
            let owned = r.source_partitions.get(&task).cloned().unwrap_or_default();
            let OperatorState::SourceOffsets(m) = &r.checkpoint.tasks[&task].operators[index] else {
                panic!("{}: source subtask {i} restores no offsets", op.uid)
            };
            for p in owned {
                assert_eq!(m.get(&p), old_parts.get(&p), "{}: {p} not at its restored offset", op.uid);
                *readers.entry(p).or_default() += 1;
            }
        }
        for p in old_parts.keys() {
            assert_eq!(readers.get(p), Some(&1), "{}: {p} read by {:?} subtasks", op.uid, readers.get(p));
        }
    }
}

/// Union list state: the new subtasks together hold every old entry once, in order; broadcast
/// state: new subtask `i` holds old subtask `i % p_old`'s copy.
fn check_shared(uid: &str, old: &[(ListMode, Vec<Value>)], new: &[(ListMode, Vec<Value>)]) {
    let Some((mode, _)) = old.first() else { return };
    let all = |v: &[(ListMode, Vec<Value>)]| v.iter().flat_map(|(_, e)| e.clone()).collect::<Vec<_>>();
    match mode {
        ListMode::Broadcast => {
            for (i, (_, e)) in new.iter().enumerate() {
                assert_eq!(e, &old[i % old.len()].1, "{uid}: broadcast state of new subtask {i} is not a copy");
            }
        }
        _ => assert_eq!(all(old), all(new), "{uid}: union list state lost, duplicated or reordered"),
    }
}

#[cfg(test)]
#[path = "rescale_tests.rs"]
mod tests;
