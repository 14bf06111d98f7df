//! Snapshots of task and operator state as plain serializable values, with a modelled size.

use crate::ids::{ChannelId, CheckpointId, Offset, PartitionId};
use crate::record::{Record, Value};
use crate::window::EventWindowState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Identifier of a two-phase-commit transaction in the external sink store.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxnId {
    /// The sink subtask that opened it.
    pub subtask: u32,
    /// The execution attempt that opened it.
    pub attempt: u32,
    /// Sequence number within that attempt.
    pub seq: u64,
}

/// The state one operator contributes to a task snapshot.
#[derive(Clone, Debug, Hash, PartialEq, Serialize, Deserialize)]
pub enum OperatorState {
    /// Stateless operator.
    None,
    /// Partitioned-log source: per partition, the offset as the profile stores it
    /// (1.11: last read; 2.x: next to read). Union list state: on restore every subtask sees all.
    SourceOffsets(BTreeMap<PartitionId, Offset>),
    /// Keyed state of a running aggregate (`sum`, `count`, `reduce`): key -> accumulator.
    Keyed(BTreeMap<Value, Value>),
    /// Tumbling count window: key -> (elements so far in the open window, accumulator).
    Window(BTreeMap<Value, (u64, Value)>),
    /// Event-time window: contents per (key, window) and the registered event-time timers
    /// (`InternalTimerServiceImpl` snapshots its timers); never the watermark.
    EventWindow(EventWindowState),
    /// Two-phase-commit sink: pending pre-committed transactions by checkpoint id, and the
    /// transaction that was open at snapshot time.
    TwoPhaseCommit {
        /// Pre-committed transactions not yet known committed, with the checkpoint that pre-committed each.
        pending: Vec<(CheckpointId, TxnId)>,
        /// The transaction open when the snapshot was taken (aborted on restore).
        current: Option<TxnId>,
    },
    /// Operator list state entries of several old subtasks restored into one subtask after a
    /// rescale (Flink's `getListState` split round robin, semantics §12.3): each entry is one
    /// old subtask's state (today: [`OperatorState::TwoPhaseCommit`]); possibly none.
    List(Vec<OperatorState>),
    /// Operator list state of a non-keyed user operator (Flink's `CheckpointedFunction` with
    /// `getListState`): its entries; on a rescale the entries of every old subtask are split
    /// evenly over the new subtasks (`RoundRobinOperatorStateRepartitioner`, SPLIT_DISTRIBUTE).
    UserList(Vec<Value>),
    /// Operator list state of a non-keyed user operator that Flink redistributes to more than
    /// one subtask: `getUnionListState` ([`ListMode::Union`]: every subtask restores the entries
    /// of all subtasks, on every restore) or `getBroadcastState` ([`ListMode::Broadcast`]: new
    /// subtask `i` restores old subtask `i % p_old`'s copy). `entries` are the ones this subtask
    /// contributes (its own snapshot; after a rescale, the old subtasks' lists placed on it, see
    /// [`crate::rescale::place_union`]). Never [`ListMode::SplitDistribute`] (that is `UserList`).
    SharedList {
        /// Union or broadcast.
        mode: ListMode,
        /// The entries this subtask contributes.
        entries: Vec<Value>,
    },
    /// An event-time join (`join.rs`): buffered elements of both sides and cleanup / window
    /// timers, keyed state (Flink's `MapState` buffers and the timer service); never the watermark.
    Join(crate::join::JoinState),
    /// Session 39: an operator with several states, each snapshotted and redistributed on its
    /// own kind's terms (a broadcast process's broadcast states and its keyed state,
    /// `broadcast_process.rs`): a rescale assigns each part as if it were an operator's only
    /// state ([`crate::rescale::assign`]). Never nested, never empty.
    Composite(Vec<OperatorState>),
}

impl OperatorState {
    /// The modelled size in bytes (drives snapshot upload and restore time).
    pub fn size_bytes(&self) -> u64 {
        match self {
            OperatorState::None => 0,
            OperatorState::SourceOffsets(m) => 16 * m.len() as u64,
            OperatorState::Keyed(m) => m.iter().map(|(k, v)| k.size_bytes() + v.size_bytes()).sum(),
            OperatorState::Window(m) => m.iter().map(|(k, (_, v))| k.size_bytes() + 8 + v.size_bytes()).sum(),
            OperatorState::EventWindow(st) => st.size_bytes(),
            OperatorState::TwoPhaseCommit { pending, current } => {
                24 * (pending.len() as u64 + current.is_some() as u64)
            }
            OperatorState::List(entries) => entries.iter().map(OperatorState::size_bytes).sum(),
            OperatorState::UserList(entries) | OperatorState::SharedList { entries, .. } => {
                entries.iter().map(Value::size_bytes).sum()
            }
            OperatorState::Join(st) => st.size_bytes(),
            OperatorState::Composite(parts) => parts.iter().map(OperatorState::size_bytes).sum(),
        }
    }
}

/// Everything one task acknowledges for one checkpoint.
#[derive(Clone, Debug, Hash, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    /// One entry per operator of the task's chain, in chain order.
    pub operators: Vec<OperatorState>,
    /// Unaligned checkpoints: records that were in flight on each input channel before that
    /// channel's barrier (input channel state), replayed first on restore.
    pub in_flight: BTreeMap<ChannelId, Vec<Record>>,
    /// Extra bytes the scenario declares (large state that is not modelled record by record).
    pub padding_bytes: u64,
    /// FLIP-147 (2.x): taken after the task's input ended and its operators finished
    /// (`endInput` / `finish` ran): Flink reports such a subtask's state as finished, and a task
    /// restored from it is deployed as finished (`FinishedOnRestoreOperatorChain`).
    #[serde(default)]
    pub finished: bool,
    /// The JobManager filled this entry in for a task that was already FINISHED when the
    /// checkpoint was triggered (2.x): the task took no snapshot, and Flink stores no state for
    /// it (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`: `FinishedOperatorSubtaskState`, or
    /// `FullyFinishedOperatorState` once its whole vertex finished). The model keeps its final
    /// checkpoint's operator states here for the offset and state readers, but a task restored
    /// from such an entry initialises none of its operators (`FinishedOperatorChain`): its
    /// two-phase-commit sink recovers, re-commits and begins nothing, and no notification
    /// reaches its operators. Also set on the snapshots such a restored attempt acknowledges.
    #[serde(default)]
    pub from_finished_task: bool,
}

impl TaskSnapshot {
    /// The modelled size in bytes (drives snapshot duration from storage bandwidth).
    pub fn size_bytes(&self) -> u64 {
        let ops: u64 = self.operators.iter().map(OperatorState::size_bytes).sum();
        let flight: u64 = self.in_flight.values().flat_map(|v| v.iter()).map(|r| r.value.size_bytes() + 12).sum();
        ops + flight + self.padding_bytes
    }
}

/// How operator (non-keyed) list state is redistributed, Flink's `OperatorStateHandle.Mode`
/// (declared with the state it describes; `crate::rescale::ListMode` re-exports it).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListMode {
    /// `getListState`: the entries of all old subtasks are split round robin.
    SplitDistribute,
    /// `getUnionListState`: every new subtask gets every entry.
    Union,
    /// `getBroadcastState`: new subtask `i` gets old subtask `i % p_old`'s copy.
    Broadcast,
}
