//! The control-plane network: messages between JobManager, TaskManagers and the client, node addresses, and the in-flight heap with per-link FIFO order.

use super::*;

// ------------------------------------------------------------------ messages

#[derive(Clone, Debug)]
pub(super) enum Msg {
    Deploy {
        task: TaskId,
        attempt: Attempt,
        restore: Option<Arc<CompletedCheckpoint>>,
        /// The epoch of the JobManager that sent it (its fencing token, Flink's `JobMasterId`).
        epoch: u64,
    },
    Cancel {
        task: TaskId,
        attempt: Attempt,
    },
    /// The TaskManager's answer to a cancel RPC (sent at once, before the task has stopped).
    CancelAck {
        task: TaskId,
        attempt: Attempt,
    },
    Trigger {
        task: TaskId,
        attempt: Attempt,
        barrier: Barrier,
        /// When the JobManager sent it (the RPC's ask timeout runs from here).
        sent_ms: u64,
    },
    /// The TaskManager's answer to a trigger RPC for a task it runs (flink-2.3:
    /// `TaskExecutor#triggerCheckpoint` acknowledges once the trigger is in the task's mailbox;
    /// 1.11's trigger is a `tell` without an answer).
    TriggerAck {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        /// When the JobManager sent the trigger.
        sent_ms: u64,
    },
    /// The TaskManager's failed answer to a trigger RPC for a task attempt it does not run
    /// (flink-2.3: `TaskExecutor#triggerCheckpoint` for an unknown task).
    TriggerFailed {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        /// When the JobManager sent the trigger.
        sent_ms: u64,
    },
    NotifyComplete {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
    },
    NotifyAborted {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
    },
    TaskState {
        task: TaskId,
        attempt: Attempt,
        state: ExecutionState,
        cause: Option<String>,
    },
    Ack {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        snapshot: TaskSnapshot,
    },
    Decline {
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        reason: CheckpointFailureReason,
    },
    /// A task reached the end of its data (2.x `notifyEndOfData`).
    EndOfData {
        task: TaskId,
        attempt: Attempt,
    },
    Heartbeat {
        tm: u32,
        incarnation: u64,
        /// The task attempts this TaskManager runs (Flink's execution deployment report).
        running: Vec<(TaskId, Attempt)>,
    },
    /// The JobManager's answer to a heartbeat: the TaskManager knows its leader is alive.
    HeartbeatReply,
    Action(ActionSpec),
    /// A triggering checkpoint gate's manual checkpoint request (`gates.rs`): the user action
    /// `TriggerCheckpoint` that names the gate asking, traced as that action.
    GateCheckpoint {
        gate: GateKey,
    },
}

impl Msg {
    pub(super) fn label(&self) -> String {
        match self {
            Msg::Deploy { task, attempt, .. } => format!("deploy {task}{attempt}"),
            Msg::Cancel { task, attempt } => format!("cancel {task}{attempt}"),
            Msg::CancelAck { task, attempt } => format!("cancel-ack {task}{attempt}"),
            Msg::Trigger { task, barrier, .. } => format!("trigger {task} id={}", barrier.id),
            Msg::TriggerAck { task, id, .. } => format!("trigger-ack {task} id={id}"),
            Msg::TriggerFailed { task, id, .. } => format!("trigger-failed {task} id={id}"),
            Msg::NotifyComplete { task, id, .. } => format!("notify-complete {task} id={id}"),
            Msg::NotifyAborted { task, id, .. } => format!("notify-aborted {task} id={id}"),
            Msg::TaskState { task, state, .. } => format!("task-state {task} {state}"),
            Msg::Ack { task, id, .. } => format!("ack {task} id={id}"),
            Msg::Decline { task, id, .. } => format!("decline {task} id={id}"),
            Msg::EndOfData { task, attempt } => format!("end-of-data {task}{attempt}"),
            Msg::Heartbeat { tm, .. } => format!("heartbeat tm{tm}"),
            Msg::HeartbeatReply => "heartbeat-reply".to_string(),
            Msg::Action(a) => format!("action {a:?}"),
            Msg::GateCheckpoint { .. } => format!("action {:?}", ActionSpec::TriggerCheckpoint),
        }
    }
    /// The message's kind: the first word of [`Msg::label`].
    pub(super) fn name(&self) -> &'static str {
        match self {
            Msg::Deploy { .. } => "deploy",
            Msg::Cancel { .. } => "cancel",
            Msg::CancelAck { .. } => "cancel-ack",
            Msg::Trigger { .. } => "trigger",
            Msg::TriggerAck { .. } => "trigger-ack",
            Msg::TriggerFailed { .. } => "trigger-failed",
            Msg::NotifyComplete { .. } => "notify-complete",
            Msg::NotifyAborted { .. } => "notify-aborted",
            Msg::TaskState { .. } => "task-state",
            Msg::Ack { .. } => "ack",
            Msg::Decline { .. } => "decline",
            Msg::EndOfData { .. } => "end-of-data",
            Msg::Heartbeat { .. } => "heartbeat",
            Msg::HeartbeatReply => "heartbeat-reply",
            Msg::Action(_) | Msg::GateCheckpoint { .. } => "action",
        }
    }
    /// User actions are not subject to message loss; every RPC and heartbeat is.
    pub(super) fn lossy(&self) -> bool {
        !matches!(self, Msg::Action(_) | Msg::GateCheckpoint { .. })
    }
}

/// A control message in flight. Ordered so that a max-heap pops the earliest (delivery time,
/// send sequence) first; sequences are unique, so the order is total.
pub(super) struct InFlight {
    pub(super) at: u64,
    pub(super) seq: u64,
    pub(super) from: Addr,
    /// The TaskManager process (incarnation) the sender addressed, 0 = whichever runs: a
    /// message for a process that died is not delivered to its successor.
    pub(super) incarnation: u64,
    pub(super) msg: Msg,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for InFlight {}

impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A trace detail written without the formatting machinery (the events every seed has many
/// of: checkpoints, snapshots, task transitions). Same text as the `format!` it replaces.
pub(super) struct Detail(pub(super) String);

impl Detail {
    /// A detail in a buffer of its own (the world writes into the trace's spare buffer:
    /// `World::detail`).
    #[cfg(test)]
    pub(super) fn new() -> Detail {
        Detail(String::with_capacity(64))
    }

    pub(super) fn s(mut self, text: &str) -> Detail {
        self.0.push_str(text);
        self
    }

    pub(super) fn n(mut self, v: u64) -> Detail {
        crate::scenario::text::push_decimal(&mut self.0, v);
        self
    }

    /// A task id as `Display` shows it (`t3`).
    pub(super) fn task(self, task: TaskId) -> Detail {
        self.s("t").n(task.0 as u64)
    }

    /// A transaction id as its derived `Debug` shows it (`TxnId { subtask: 0, attempt: 1, seq: 2 }`).
    pub(super) fn txn(self, txn: ckptsim::state::TxnId) -> Detail {
        self.s("TxnId { subtask: ")
            .n(txn.subtask as u64)
            .s(", attempt: ")
            .n(txn.attempt as u64)
            .s(", seq: ")
            .n(txn.seq)
            .s(" }")
    }

    /// Committed offsets as the map's derived `Debug` shows them
    /// (`{PartitionId(0): Offset(1), PartitionId(2): Offset(7)}`).
    pub(super) fn offsets(mut self, offsets: &BTreeMap<PartitionId, Offset>) -> Detail {
        self = self.s("{");
        for (i, (p, o)) in offsets.iter().enumerate() {
            if i > 0 {
                self = self.s(", ");
            }
            self = self.s("PartitionId(").n(p.0 as u64).s("): Offset(").n(o.0).s(")");
        }
        self.s("}")
    }
}

/// The trace node name of TaskManager `tm`.
pub(super) fn tm_node(tm: u32) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 8] = ["tm0", "tm1", "tm2", "tm3", "tm4", "tm5", "tm6", "tm7"];
    match NAMES.get(tm as usize) {
        Some(n) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(format!("tm{tm}")),
    }
}

/// A control-plane address. `0` = JobManager, `1 + i` = TaskManager i, `CLIENT`.
pub(super) type Addr = u32;
pub(super) const JM: Addr = 0;
pub(super) const CLIENT: Addr = u32::MAX;
/// The broker of the partitioned log (`broker`): no messages, but a partition from a node cuts
/// that node's fetches and offset commits.
pub(super) const BROKER: Addr = u32::MAX - 1;
/// Checkpoint storage (`storage`): a partition cuts the JobManager's or a TaskManager's access.
pub(super) const STORAGE: Addr = u32::MAX - 2;
/// The two-phase-commit sink's transactional store (`sink-store`).
pub(super) const SINK_STORE: Addr = u32::MAX - 3;
pub(super) fn tm_addr(tm: u32) -> Addr {
    1 + tm
}
pub(super) fn addr_name(a: Addr) -> String {
    match a {
        JM => "jm".into(),
        CLIENT => "client".into(),
        n => format!("tm{}", n - 1),
    }
}
pub(super) fn parse_node(name: &str) -> Option<Addr> {
    match name {
        "jm" => Some(JM),
        "client" => Some(CLIENT),
        "broker" => Some(BROKER),
        "storage" => Some(STORAGE),
        "sink-store" => Some(SINK_STORE),
        _ => name.strip_prefix("tm").and_then(|n| n.parse::<u32>().ok()).map(tm_addr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_writes_what_the_formatting_machinery_wrote() {
        let txn = ckptsim::state::TxnId { subtask: 3, attempt: 10_000, seq: 42 };
        assert_eq!(Detail::new().task(TaskId(12)).s(" txn=").txn(txn).0, format!("{} txn={txn:?}", TaskId(12)));
        for offsets in [
            BTreeMap::new(),
            BTreeMap::from([(PartitionId(0), Offset(1))]),
            BTreeMap::from([(PartitionId(0), Offset(1)), (PartitionId(3), Offset(1_000_007))]),
        ] {
            assert_eq!(Detail::new().offsets(&offsets).0, format!("{offsets:?}"));
        }
    }
}
