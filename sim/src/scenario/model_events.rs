//! The typed scenario model's timed events: user actions (`[[actions]]`, rescale), faults (`[[faults]]`), when they happen (a time or an anchor event) and the tasks and nodes they name.

use super::*;

/// A user action at a virtual time (`at_ms`) or when an event happens (`on`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimedAction {
    /// `at_ms` or `on`.
    pub when: When,
    /// The action.
    pub action: ActionSpec,
}

/// What an `[[actions]]` entry does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ActionSpec {
    /// `retune`: change checkpoint settings of the running job without a restart (seed 000).
    Retune(Retune),
    /// `cancel`: cancel the job.
    Cancel,
    /// `savepoint`: trigger a savepoint.
    Savepoint,
    /// `trigger-checkpoint`: trigger a manual (non-periodic) checkpoint.
    TriggerCheckpoint,
    /// `restore-retained`: start a new job from the latest retained checkpoint.
    RestoreRetained,
    /// `stop-with-savepoint`: stop periodic checkpoints, take a synchronous savepoint; once it
    /// completed the tasks finish and the job ends FINISHED (`flink stop`, semantics §12.6).
    /// `drain`: `flink stop --drain` (MAX_WATERMARK before the savepoint).
    StopWithSavepoint {
        /// `--drain`: emit MAX_WATERMARK (end event time) before the savepoint.
        drain: bool,
    },
    /// `rescale`: once the job has ended, start a new job from its newest savepoint or retained
    /// checkpoint with other parallelisms (semantics §12).
    Rescale(RescaleSpec),
}

/// Where a `rescale` action restores from.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Default)]
pub enum RescaleFrom {
    /// The newest savepoint the ended job completed.
    #[default]
    Savepoint,
    /// The newest checkpoint the ended job retained (`retention = RETAIN_ON_*`).
    RetainedCheckpoint,
}

impl RescaleFrom {
    /// Every name accepted in `from`.
    pub const NAMES: [&'static str; 2] = ["savepoint", "retained-checkpoint"];

    /// The scenario name (`from = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            RescaleFrom::Savepoint => "savepoint",
            RescaleFrom::RetainedCheckpoint => "retained-checkpoint",
        }
    }
}

/// A `rescale` action: the new parallelism of the named operators (the others keep theirs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RescaleSpec {
    /// What the new job restores.
    pub from: RescaleFrom,
    /// New parallelism by operator name.
    pub parallelism: BTreeMap<String, u32>,
    /// The new program's max parallelism where it differs from the old one's: `Some(n)` set
    /// by the user, `None` derived ("auto"). Operators not named keep theirs.
    pub max_parallelism: BTreeMap<String, Option<u32>>,
}

impl ActionSpec {
    /// Every name accepted in an action's `kind`.
    pub const NAMES: [&'static str; 7] =
        ["retune", "cancel", "savepoint", "trigger-checkpoint", "restore-retained", "stop-with-savepoint", "rescale"];

    /// The scenario name of the action's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            ActionSpec::Retune(_) => "retune",
            ActionSpec::Cancel => "cancel",
            ActionSpec::Savepoint => "savepoint",
            ActionSpec::TriggerCheckpoint => "trigger-checkpoint",
            ActionSpec::RestoreRetained => "restore-retained",
            ActionSpec::StopWithSavepoint { .. } => "stop-with-savepoint",
            ActionSpec::Rescale(_) => "rescale",
        }
    }
}

/// A fault and when it strikes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimedFault {
    /// `at_ms` or `on`.
    pub when: When,
    /// The fault.
    pub fault: FaultSpec,
}

/// When a fault strikes or an action is taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum When {
    /// `at_ms`: at this virtual time.
    At(u64),
    /// `on`: when this event happens (first occurrence).
    On(Anchor),
}

/// An event a fault can be anchored to (`on = "..."`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Anchor {
    /// `checkpoint-N-triggered`: the coordinator triggers checkpoint N.
    Triggered {
        /// The checkpoint id (N).
        checkpoint: CheckpointId,
    },
    /// `checkpoint-N-barrier-at:TASK`: checkpoint N's barrier reaches this subtask.
    BarrierAt {
        /// The checkpoint id (N).
        checkpoint: CheckpointId,
        /// The subtask(s) the barrier reaches.
        task: TaskRef,
    },
    /// `checkpoint-N-acked`: the coordinator has every acknowledgement of checkpoint N
    /// (before it finalizes it).
    Acked {
        /// The checkpoint id (N).
        checkpoint: CheckpointId,
    },
    /// `checkpoint-N-completed`: checkpoint N is completed.
    Completed {
        /// The checkpoint id (N).
        checkpoint: CheckpointId,
    },
    /// `input-N-read`: a source subtask reads input number N (numbered from 0 in input order,
    /// as checker messages name inputs: `input #N`) for the first time.
    InputRead {
        /// The input number (N), from 0 in input order.
        input: u64,
    },
    /// `attempt-N-deploying`: a JobManager sends the first deployment of a task's execution
    /// attempt N (0 = the first deployment under that JobManager, 1 = the first redeployment
    /// after a failure); the deployments are then in flight.
    Deploying {
        /// The attempt number (N); 0 is the first deployment under a JobManager.
        attempt: u32,
    },
}

impl Anchor {
    /// The checkpoint a checkpoint anchor waits for; `None` for an input anchor.
    pub fn checkpoint(&self) -> Option<CheckpointId> {
        match self {
            Anchor::Triggered { checkpoint }
            | Anchor::BarrierAt { checkpoint, .. }
            | Anchor::Acked { checkpoint }
            | Anchor::Completed { checkpoint } => Some(*checkpoint),
            Anchor::InputRead { .. } | Anchor::Deploying { .. } => None,
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Triggered { checkpoint } => write!(f, "checkpoint-{checkpoint}-triggered"),
            Anchor::BarrierAt { checkpoint, task } => write!(f, "checkpoint-{checkpoint}-barrier-at:{task}"),
            Anchor::Acked { checkpoint } => write!(f, "checkpoint-{checkpoint}-acked"),
            Anchor::Completed { checkpoint } => write!(f, "checkpoint-{checkpoint}-completed"),
            Anchor::InputRead { input } => write!(f, "input-{input}-read"),
            Anchor::Deploying { attempt } => write!(f, "attempt-{attempt}-deploying"),
        }
    }
}

/// A reference to an operator's subtask(s): `name[subtask]` or `name` (every subtask).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskRef {
    /// The operator's display name.
    pub operator: String,
    /// The operator's position in `operators`.
    pub operator_index: usize,
    /// `None` = every subtask of the operator.
    pub subtask: Option<u32>,
}

impl TaskRef {
    /// The task as the run names it (`op[i]`): the world hits one task, so an operator named
    /// without a subtask means its subtask 0.
    pub fn task_name(&self) -> String {
        format!("{}[{}]", self.operator, self.subtask.unwrap_or(0))
    }
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subtask {
            Some(s) => write!(f, "{}[{s}]", self.operator),
            None => f.write_str(&self.operator),
        }
    }
}

/// A node of the simulated world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Node {
    /// `tm<N>`: a TaskManager.
    Tm(TmId),
    /// `jm`: the JobManager.
    Jm,
    /// `broker`: the partitioned log (exists with a `log-source`).
    Broker,
    /// `storage`: checkpoint storage.
    Storage,
    /// `sink-store`: the transactional store of `two-phase-commit-sink`.
    SinkStore,
}

impl Node {
    /// Parses a node name (without checking that a TaskManager index exists).
    pub fn parse(s: &str) -> Option<Node> {
        match s {
            "jm" => Some(Node::Jm),
            "broker" => Some(Node::Broker),
            "storage" => Some(Node::Storage),
            "sink-store" => Some(Node::SinkStore),
            _ => {
                let digits = s.strip_prefix("tm")?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse().ok().map(|n| Node::Tm(TmId(n)))
            }
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Tm(t) => write!(f, "{t}"),
            Node::Jm => f.write_str("jm"),
            Node::Broker => f.write_str("broker"),
            Node::Storage => f.write_str("storage"),
            Node::SinkStore => f.write_str("sink-store"),
        }
    }
}

/// Partition direction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Direction {
    /// `both`: nothing passes either way.
    #[default]
    Both,
    /// `one-way`: messages from `target` to `peer` are dropped; the other way works.
    OneWay,
}

/// A fault's kind by its scenario name (`kind = "tm-crash"`): the one fault-name table. The
/// scenario parser, the run's [`FaultKind`](crate::spec::FaultKind), the trace's fault events,
/// swarm, the coverage matrix, the guided sweep, failure signatures and the property-test
/// strategies all name fault kinds through it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultName {
    /// `task-failure`
    TaskFailure,
    /// `tm-crash`
    TmCrash,
    /// `jm-crash`
    JmCrash,
    /// `partition`
    Partition,
    /// `message-loss`
    MessageLoss,
    /// `control-delay`
    ControlDelay,
    /// `slow-link`
    SlowLink,
    /// `slow-snapshot`
    SlowSnapshot,
    /// `storage-failure`
    StorageFailure,
    /// `storage-slow`
    StorageSlow,
    /// `broker-outage`
    BrokerOutage,
    /// `sink-store-outage`
    SinkStoreOutage,
    /// `slow-operator`
    SlowOperator,
    /// `input-burst`
    InputBurst,
}

impl FaultName {
    /// Every fault kind, in the order the scenario format documents them.
    pub const ALL: [FaultName; 14] = [
        FaultName::TaskFailure,
        FaultName::TmCrash,
        FaultName::JmCrash,
        FaultName::Partition,
        FaultName::MessageLoss,
        FaultName::ControlDelay,
        FaultName::SlowLink,
        FaultName::SlowSnapshot,
        FaultName::StorageFailure,
        FaultName::StorageSlow,
        FaultName::BrokerOutage,
        FaultName::SinkStoreOutage,
        FaultName::SlowOperator,
        FaultName::InputBurst,
    ];

    /// The scenario name (`tm-crash`); the same as the serde name (a test holds them equal).
    pub const fn name(self) -> &'static str {
        match self {
            FaultName::TaskFailure => "task-failure",
            FaultName::TmCrash => "tm-crash",
            FaultName::JmCrash => "jm-crash",
            FaultName::Partition => "partition",
            FaultName::MessageLoss => "message-loss",
            FaultName::ControlDelay => "control-delay",
            FaultName::SlowLink => "slow-link",
            FaultName::SlowSnapshot => "slow-snapshot",
            FaultName::StorageFailure => "storage-failure",
            FaultName::StorageSlow => "storage-slow",
            FaultName::BrokerOutage => "broker-outage",
            FaultName::SinkStoreOutage => "sink-store-outage",
            FaultName::SlowOperator => "slow-operator",
            FaultName::InputBurst => "input-burst",
        }
    }

    /// The kind whose scenario name is exactly `name`.
    pub fn parse(name: &str) -> Option<FaultName> {
        FaultName::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the fault can make a job fail (the others only slow it down or add input): what
    /// a failure signature names as the cause of a restore.
    pub fn is_disruptive(self) -> bool {
        matches!(
            self,
            FaultName::TaskFailure
                | FaultName::TmCrash
                | FaultName::JmCrash
                | FaultName::Partition
                | FaultName::MessageLoss
                | FaultName::StorageFailure
                | FaultName::BrokerOutage
                | FaultName::SinkStoreOutage
        )
    }
}

impl fmt::Display for FaultName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What a `[[faults]]` entry does: a fault the world injects, in the run's own vocabulary
/// ([`FaultKind`](crate::spec::FaultKind), resolved while the entry is validated), or an input
/// burst (the format lists it among the faults, but it is more input, not a fault of the run).
///
/// One vocabulary (issue 12): the scenario model does not re-declare the fault kinds. Validation
/// (`validate_events.rs`, `FaultCx::spec`) resolves what the file leaves open straight into
/// `FaultKind`: a task reference to its `op[i]` name (subtask 0 when the file names only the
/// operator), a node to its name, an omitted `restart_after_ms` to 5 s, a slow link's
/// `records_per_s` to extra latency per buffer (from the cluster's records per buffer), a slow
/// snapshot's `extra_ms` split into its synchronous quarter and asynchronous rest. `load.rs`
/// copies the injected faults into the [`JobSpec`](crate::spec::JobSpec) and turns bursts into
/// input; swarm, shrink, the guided sweep and `emit.rs` read and write the same `FaultKind`.
/// Both sides name a kind through the one table, [`FaultName`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum FaultSpec {
    /// A fault the world injects.
    Inject {
        /// What it does.
        kind: crate::spec::FaultKind,
        /// How long it lasts, ms (`None`: until the end of the run, or an instant fault).
        duration_ms: Option<u64>,
    },
    /// `input-burst`: extra generated input at `records_per_s` for `duration_ms` (generator
    /// input only; same keys and distribution).
    InputBurst {
        /// Extra records per second of virtual time, generated.
        records_per_s: u64,
        /// How long the burst lasts, ms.
        duration_ms: u64,
    },
}

impl FaultSpec {
    /// Every name accepted in a fault's `kind` ([`FaultName::ALL`]'s names).
    pub const NAMES: [&'static str; 14] = {
        let mut out = [""; 14];
        let mut i = 0;
        while i < out.len() {
            out[i] = FaultName::ALL[i].name();
            i += 1;
        }
        out
    };

    /// The fault's kind.
    pub fn fault_name(&self) -> FaultName {
        match self {
            FaultSpec::Inject { kind, .. } => kind.fault_name(),
            FaultSpec::InputBurst { .. } => FaultName::InputBurst,
        }
    }

    /// The scenario name of the fault's `kind`.
    pub fn name(&self) -> &'static str {
        self.fault_name().name()
    }

    /// How long the fault lasts (`None` = until the end of the run, or instantaneous); for a
    /// crash, when its process comes back (`restart_after_ms`, resolved).
    pub fn duration_ms(&self) -> Option<u64> {
        use crate::spec::FaultKind;
        match self {
            FaultSpec::Inject { kind: FaultKind::TmCrash { restart_after_ms, .. }, .. }
            | FaultSpec::Inject { kind: FaultKind::JmCrash { restart_after_ms }, .. } => Some(*restart_after_ms),
            FaultSpec::Inject { duration_ms, .. } => *duration_ms,
            FaultSpec::InputBurst { duration_ms, .. } => Some(*duration_ms),
        }
    }
}
