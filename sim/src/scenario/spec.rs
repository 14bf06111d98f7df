//! The normalized description of one run that the world executes: job pipeline, input, cluster model, actions and faults (built from a scenario file).

use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::operator::{Aggregate, FailureInjector, Udf};
use ckptsim::source::StartupMode;
use ckptsim::{Profile, Variant};

pub use super::FaultName;

/// The emission interval that stands for `watermarks = "none"` (Flink's
/// `WatermarkStrategy.noWatermarks()`): beyond any run (`stop_at_ms` <= 24 h), so no periodic
/// watermark is ever emitted, while the end of a bounded input still emits MAX_WATERMARK (Flink's
/// source task advances to the end of event time whatever the strategy).
pub const NO_WATERMARKS_INTERVAL_MS: u64 = 1 << 62;

/// One operator of the linear pipeline as the user wrote it.
#[derive(Clone, Debug)]
pub struct OpSpec {
    /// Its name (task names are `name[subtask]`).
    pub name: String,
    /// What it does.
    pub kind: OpKind,
    /// Parallel subtasks.
    pub parallelism: u32,
    /// Failure injectors (user code that throws).
    pub injectors: Vec<FailureInjector>,
    /// Extra modelled state size per snapshot, bytes (`state_padding_bytes`).
    pub padding_bytes: u64,
    /// The 2PC sink's store settings (transaction timeout, idempotent commit); default otherwise.
    pub sink_store: ckptsim::sink::StoreConfig,
    /// Max parallelism set by the user; None: derived from the parallelism.
    pub max_parallelism: Option<u32>,
    /// The 2PC sink ignores a failed recovery commit of a timed-out transaction.
    pub ignore_failures_after_transaction_timeout: bool,
    /// The 2PC sink is Sink V2's `KafkaSink` (`sink_api = "sink-v2"`): refused commits are dropped.
    pub sink_v2: bool,
    /// Positions of the operators feeding this one (job graphs; the previous one in a line).
    pub inputs: Vec<usize>,
    /// It reads the late side output of its one input, an event-time window (`inputs =
    /// ["W.late"]`; Flink's `getSideOutput(lateOutputTag)`): the window's late elements, not its
    /// results. A partitioning (`key_by`) may read it too; the edge it names is then a side edge.
    pub late_input: bool,
    /// A union or `connect` that reads a late side output (`W.late`) as one of several inputs
    /// (session 27): that input's position (gate). Its edge is a side edge; `late_input` stays
    /// false (it names a one-input operator's input).
    pub late_gate: Option<u32>,
    /// With `late_input`: the input side of the interval join it reads a late side output of
    /// (`J.late_left`: 0, `J.late_right`: 1; session 34); None for a window's `W.late`.
    pub late_side: Option<u32>,
    /// A log source of a job with several sources: its topic, `(first partition, partitions)`
    /// of the broker's one log. None: the whole log (one source).
    pub topic: Option<(u32, u32)>,
    /// A log or user source's `topic` key as written (None: the default name,
    /// [`JobSpec::topic_name`]); the name decides which subtask reads each partition.
    pub topic_name: Option<String>,
    /// A source of a job graph: its input ends (`bounded = true` on that source); a line
    /// reads `InputOptions::bounded` instead.
    pub bounded: bool,
    /// A log source's watermark strategy (semantics §11); `None` without periodic watermarks.
    pub watermarks: Option<ckptsim::watermark::WatermarkStrategy>,
    /// A `user-source` (kind `LogSource`): the user's source, resolved by name in a
    /// [`crate::user::Registry`]; the world hosts one reader per subtask attempt.
    pub user_source: Option<super::user_refs::UserSourceRef>,
    /// A `user-sink` (kind `TwoPhaseCommitSink`): the user's transactional sink and its
    /// external system, resolved by name in a [`crate::user::Registry`].
    pub user_sink: Option<super::user_refs::UserSinkRef>,
    /// A `user-sink` registered as at-least-once (`Registry::with_at_least_once_sink`; kind
    /// `PrintSink` once resolved): the user's writer and its external system, whose published
    /// records are the run's printed output.
    pub user_writer: Option<super::user_refs::UserWriterRef>,
    /// A `user-sink`'s `delivery_guarantee`: which registered implementation a
    /// [`crate::user::Registry`] resolves it to (`None`: the later registration).
    pub delivery_guarantee: Option<crate::scenario::DeliveryGuarantee>,
}

/// What an operator of a [`JobSpec`] does (the scenario's `kind`).
#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// `socket-source`: lines from the client's socket (not replayable).
    SocketSource,
    /// `log-source` (and a resolved `user-source`): a Kafka-like partitioned log.
    LogSource {
        /// Where a fresh source starts reading.
        startup: StartupMode,
    },
    /// `map` with a named function.
    Map(Udf),
    /// `flat_map` with a named function.
    FlatMap(Udf),
    /// `filter` with a named predicate.
    Filter(Udf),
    /// Redistributes round robin (breaks the chain), like `DataStream.rebalance()`.
    Rebalance,
    /// The next edge is hash-partitioned by key; the following aggregate is keyed.
    KeyBy,
    /// A keyed running aggregate (`sum`, `count`, `max`, `min`).
    Aggregate(Aggregate),
    /// A keyed tumbling count window.
    CountWindow {
        /// Elements per window.
        size: u64,
    },
    /// A keyed event-time window (`ckptsim::window`).
    EventWindow(ckptsim::window::EventWindowSpec),
    /// `print-sink`: at least once, every record printed at once.
    PrintSink,
    /// `two-phase-commit-sink`: exactly once through transactions.
    TwoPhaseCommitSink,
    /// A user-defined operator, resolved by name in a [`crate::user::Registry`].
    User(super::user_refs::UserOpRef),
    /// Merges its inputs (a task with one gate per input edge).
    Union,
    /// Co-map: the first function for input 0, the second for input 1.
    Connect(Udf, Udf),
    /// Keyed two-input join (counts per key and side, emits `(key, left * right)`).
    Join,
    /// Keyed event-time join emitting the joined rows (`ckptsim::join`).
    EventJoin(ckptsim::join::JoinSpec),
    /// Every record to every downstream subtask (breaks the chain).
    Broadcast,
    /// Session 38: a keyed broadcast-process operator (`ckptsim::broadcast_process`): input 0
    /// keyed, input 1 a broadcast edge writing the broadcast state; `report`: `rules_report`.
    BroadcastProcess {
        /// Each attempt's first keyed record reports the broadcast state.
        report: bool,
        /// Session 39: the user function (`rules`, `rules_count`, `rules_limits`).
        function: ckptsim::broadcast_process::BroadcastFunction,
        /// Session 40: event-time timers on the keyed side (`timer_delay_ms`); None: none.
        timer_delay_ms: Option<u64>,
    },
}

impl OpKind {
    /// Operators with several input gates.
    pub fn is_multi_input(&self) -> bool {
        matches!(
            self,
            OpKind::Union | OpKind::Connect(..) | OpKind::Join | OpKind::EventJoin(_) | OpKind::BroadcastProcess { .. }
        )
    }
    /// Partitionings between two tasks (not tasks themselves).
    pub fn is_partitioning(&self) -> bool {
        matches!(self, OpKind::KeyBy | OpKind::Rebalance | OpKind::Broadcast)
    }
    /// Socket and log sources.
    pub fn is_source(&self) -> bool {
        matches!(self, OpKind::SocketSource | OpKind::LogSource { .. })
    }
    /// Print and two-phase-commit sinks.
    pub fn is_sink(&self) -> bool {
        matches!(self, OpKind::PrintSink | OpKind::TwoPhaseCommitSink)
    }
}

/// The cost and topology model of the cluster: the scenario model's type (one struct, one
/// place for the defaults).
pub use super::ClusterSpec;
/// `[swarm] keep`: what a swarm draw keeps of a scenario.
pub use super::SwarmKeep;

/// The Kafka consumer's offset-commit settings of a log source: the scenario model's
/// `[kafka]` type (one struct, one place for the defaults).
pub use super::KafkaSettings as KafkaSpec;

pub use super::log_input::{GeneratedLog, InputRecord, LogRecords};

/// The job's input, with arrival times.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSpec {
    /// Lines typed into the socket at `at_ms`.
    Lines(Vec<(u64, String)>),
    /// Records appended to the log: (at_ms, partition, value), sorted by time; written out or
    /// generated when read (`log_input.rs`).
    Log {
        /// Partitions of the log.
        partitions: u32,
        /// (append time ms, partition, value) of every record, by time.
        records: LogRecords,
    },
}

impl InputSpec {
    /// Input records (lines or log records).
    pub fn len(&self) -> usize {
        match self {
            InputSpec::Lines(l) => l.len(),
            InputSpec::Log { records, .. } => records.len(),
        }
    }
    /// Whether there is no input.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input `seq`'s arrival time (a socket line's or a log record's).
    pub fn at_ms(&self, seq: u64) -> Option<u64> {
        match self {
            InputSpec::Lines(l) => l.get(seq as usize).map(|x| x.0),
            InputSpec::Log { records, .. } => records.at_ms(seq),
        }
    }
}

/// A user action's kind: the scenario model's [`crate::scenario::ActionSpec`] itself (one
/// vocabulary: an action is declared once, in `model_events.rs`, and the loader copies it).
pub use crate::scenario::ActionSpec;

/// What must hold at the end of a run: the scenario model's [`crate::scenario::ExpectSpec`]
/// itself (one type for `[expect]`, as for actions).
pub use crate::scenario::ExpectSpec;

/// A user action, taken at a virtual time or when an event happens.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// When it is taken.
    pub at: FaultAt,
    /// What it does.
    pub kind: ActionSpec,
}

/// When a fault starts or an action is taken: a virtual time or the first occurrence of an
/// event (an anchor).
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAt {
    /// At this virtual time, ms.
    Time(u64),
    /// When checkpoint `checkpoint` is triggered by the coordinator.
    Triggered {
        /// The checkpoint id.
        checkpoint: u64,
    },
    /// When every task acked checkpoint `checkpoint` (before notifications go out).
    Acked {
        /// The checkpoint id.
        checkpoint: u64,
    },
    /// When checkpoint `checkpoint` completed.
    Completed {
        /// The checkpoint id.
        checkpoint: u64,
    },
    /// When checkpoint `checkpoint`'s barrier reaches the named task (`op[subtask]`).
    BarrierAt {
        /// The checkpoint id.
        checkpoint: u64,
        /// The task, `op[subtask]`.
        task: String,
    },
    /// When a source subtask reads input number `input` (from 0, in input order) the first time.
    InputRead {
        /// The input's number.
        input: u64,
    },
    /// When a JobManager sends the first deployment of an execution attempt numbered
    /// `attempt` (0 = a task's first deployment under that JobManager, 1 = its first redeployment).
    Deploying {
        /// The execution attempt's number.
        attempt: u32,
    },
}

/// The control-message kinds a `message-loss` fault may name in `messages` (the world's
/// message names: RPCs between JobManager and TaskManagers and the heartbeats both ways;
/// `heartbeat` goes from a TaskManager to the JobManager, `heartbeat-reply` back).
pub const MESSAGE_KINDS: [&str; 14] = [
    "deploy",
    "cancel",
    "cancel-ack",
    "trigger",
    "trigger-ack",
    "trigger-failed",
    "notify-complete",
    "notify-aborted",
    "task-state",
    "ack",
    "decline",
    "end-of-data",
    "heartbeat",
    "heartbeat-reply",
];

/// What a fault does: the one fault vocabulary of the project. The scenario model holds it
/// (validation resolves a `[[faults]]` entry into it, [`FaultSpec`](crate::scenario::FaultSpec)),
/// the world's chaos loop injects it, swarm, shrink, the guided sweep and the fuzzer draw and edit
/// it and `emit.rs` writes it back. Its kind's name comes from the one table, [`FaultName`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum FaultKind {
    /// The named task (`op[subtask]`) throws.
    TaskFailure {
        /// The task, `op[subtask]`.
        task: String,
    },
    /// TaskManager crash, restarted after `restart_after_ms`.
    TmCrash {
        /// The TaskManager's index.
        tm: u32,
        /// When its process comes back, ms after the crash.
        restart_after_ms: u64,
    },
    /// JobManager crash; a new JobManager recovers from checkpoint storage after the delay.
    JmCrash {
        /// When a new JobManager starts, ms after the crash.
        restart_after_ms: u64,
    },
    /// Control messages between the two nodes are dropped (both or one direction); data
    /// channels between two TaskManagers stall.
    Partition {
        /// One node (`jm`, `tmN`).
        a: String,
        /// The other node.
        b: String,
        /// Both directions (else only `a` → `b`).
        both: bool,
    },
    /// Each control message (of the kinds in `messages`, or any) is lost with probability `rate`:
    /// on every link, on the links of `target` (`jm`, `tmN`, `client`), or with `peer` only
    /// between the two (both ways).
    MessageLoss {
        /// Probability that a control message is lost.
        rate: f64,
        /// Only messages of these kinds ([`MESSAGE_KINDS`]); empty = every kind.
        messages: Vec<String>,
        /// Only links touching this node (`None`: every link).
        target: Option<String>,
        /// With `target`: only the link between the two nodes.
        peer: Option<String>,
    },
    /// Control messages (to or from `target`, or all) get `extra_ms` more latency.
    ControlDelay {
        /// Added latency, ms.
        extra_ms: u64,
        /// Only messages to or from this node (`None`: every message).
        target: Option<String>,
    },
    /// Data buffers from the named task get `extra_ms` more latency.
    SlowLink {
        /// The sending task, `op[subtask]`.
        task: String,
        /// Added latency, ms.
        extra_ms: u64,
    },
    /// Snapshots of the named task take `extra_ms` more (split sync/async).
    SlowSnapshot {
        /// The task, `op[subtask]`.
        task: String,
        /// Added to the synchronous part, ms.
        sync_ms: u64,
        /// Added to the upload, ms.
        async_ms: u64,
    },
    /// Checkpoint storage rejects writes.
    StorageFailure,
    /// Checkpoint storage writes take `extra_ms` more.
    StorageSlow {
        /// Added to each write, ms.
        extra_ms: u64,
    },
    /// The broker is unreachable: fetches and offset commits fail.
    BrokerOutage,
    /// The transactional sink's store is unreachable: sink operations fail.
    SinkStoreOutage,
    /// The named operator's tasks process at most `records_per_s`.
    SlowOperator {
        /// The operator's name.
        operator: String,
        /// Its throughput cap, records per second.
        records_per_s: u64,
    },
}

impl FaultKind {
    /// The fault as the trace names it (its `Debug` rendering; a loss of every kind on every
    /// link, or a delay on every link, keeps the rendering it had before `target`/`peer`/`messages`
    /// existed, so traces of such faults are unchanged).
    pub fn label(&self) -> String {
        match self {
            FaultKind::MessageLoss { rate, target: None, peer: None, messages } if messages.is_empty() => {
                format!("MessageLoss {{ rate: {rate:?} }}")
            }
            FaultKind::ControlDelay { extra_ms, target: None } => format!("ControlDelay {{ extra_ms: {extra_ms:?} }}"),
            other => format!("{other:?}"),
        }
    }

    /// The fault's kind ([`FaultName`], the one fault-name table): its name is the fault-kind
    /// column of the coverage matrix and the `kind` of a fault's trace event.
    pub fn fault_name(&self) -> FaultName {
        match self {
            FaultKind::TaskFailure { .. } => FaultName::TaskFailure,
            FaultKind::TmCrash { .. } => FaultName::TmCrash,
            FaultKind::JmCrash { .. } => FaultName::JmCrash,
            FaultKind::Partition { .. } => FaultName::Partition,
            FaultKind::MessageLoss { .. } => FaultName::MessageLoss,
            FaultKind::ControlDelay { .. } => FaultName::ControlDelay,
            FaultKind::SlowLink { .. } => FaultName::SlowLink,
            FaultKind::SlowSnapshot { .. } => FaultName::SlowSnapshot,
            FaultKind::StorageFailure => FaultName::StorageFailure,
            FaultKind::StorageSlow { .. } => FaultName::StorageSlow,
            FaultKind::BrokerOutage => FaultName::BrokerOutage,
            FaultKind::SinkStoreOutage => FaultName::SinkStoreOutage,
            FaultKind::SlowOperator { .. } => FaultName::SlowOperator,
        }
    }

    /// The fault's kind as the scenario format names it (`task-failure`, `tm-crash`, ...).
    pub fn name(&self) -> &'static str {
        self.fault_name().name()
    }

    /// A fault that happens at one instant (a task failure, a crash: its process comes back
    /// after `restart_after_ms`, not after a duration). Every other kind lasts `duration_ms`,
    /// or to the end of the run when that is omitted.
    pub fn is_instant(&self) -> bool {
        matches!(self, FaultKind::TaskFailure { .. } | FaultKind::TmCrash { .. } | FaultKind::JmCrash { .. })
    }
}

/// A fault of the scenario: what, when, for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// When it starts.
    pub at: FaultAt,
    /// How long it lasts (None: until the end / instantaneous).
    pub duration_ms: Option<u64>,
    /// What it does.
    pub kind: FaultKind,
}

/// Everything the world needs to run one seed.
#[derive(Clone, Debug)]
pub struct JobSpec {
    /// The scenario's name.
    pub name: String,
    /// The Flink version whose rules apply.
    pub profile: Profile,
    /// The protocol variant (correct, or one planted bug).
    pub variant: Variant,
    /// Validated.
    pub checkpoint: CheckpointConfig,
    /// Resolved and validated.
    pub restart: RestartStrategyConfig,
    /// Whether the scenario configured a strategy (else the profile default applies).
    pub restart_configured: bool,
    /// `failover_strategy`: which tasks a task failure restarts (semantics §1.7).
    pub failover: ckptsim::region::FailoverStrategy,
    /// The cluster: TaskManagers, slots, latencies, costs.
    pub cluster: ClusterSpec,
    /// `[kafka]`: offset-commit settings of a log source.
    pub kafka: KafkaSpec,
    /// The operators, in file order.
    pub operators: Vec<OpSpec>,
    /// The input (read from a user source when a registry resolved one).
    pub input: InputSpec,
    /// User actions.
    pub actions: Vec<Action>,
    /// Faults.
    pub faults: Vec<Fault>,
    /// When the run stops, ms.
    pub stop_at_ms: u64,
    /// What must hold at the end.
    pub expect: ExpectSpec,
    /// Seed used when none is given on the command line.
    pub default_seed: u64,
    /// Where the scenario came from (for messages and snapshot names).
    pub source_path: String,
    /// How the source's input behaves beyond its records (bounded, gated, socket sessions).
    pub input_options: InputOptions,
    /// The run's event budget (`--max-events`; not a scenario key). `None`: the default
    /// derived from the scenario (`world::default_max_events`).
    pub max_events: Option<u64>,
    /// `[swarm] keep`: what a swarm draw keeps of the scenario.
    pub swarm_keep: SwarmKeep,
}

/// Source behaviour beyond the records themselves (issue 13 items 1, 2, 9).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputOptions {
    /// The source's input ends: a log source stops at the end of the scenario's records
    /// (stopping offsets, Flink's bounded `KafkaSource`); a socket source ends when the server
    /// closes after its last line. Tasks then go FINISHED, and the job when all are.
    pub bounded: bool,
    /// Checkpoint gates `(after_records, trigger)`, ascending: a source subtask that has read
    /// every input before the gate stops reading until a checkpoint it took there completed
    /// (`trigger`: it requests that checkpoint itself).
    pub gates: Vec<(u64, bool)>,
    /// Socket input: line times count only while a reader is connected.
    pub socket_connected_clock: bool,
    /// Socket input: lines due while nobody reads are kept for the next reader (else lost).
    pub socket_buffer_unread: bool,
    /// Event time: the event timestamp of every input, by input sequence number (the log
    /// records' timestamps); empty when the source has no event time.
    pub timestamps: Vec<i64>,
}

impl JobSpec {
    /// Whether the log sources auto-commit (Flink's offset commit mode `KAFKA_PERIODIC`,
    /// `OffsetCommitModes#fromConfiguration`): only without periodic checkpointing, when
    /// `enable.auto.commit` is on (`[kafka] auto_commit`; unset: the profile's default, on for
    /// 1.11's `FlinkKafkaConsumer`, off for 2.x's `KafkaSource`).
    pub fn kafka_auto_commit(&self) -> bool {
        !self.checkpoint.periodic_enabled()
            && self.kafka.auto_commit.unwrap_or(self.profile.kafka_auto_commits_without_checkpointing())
    }

    /// The name of the topic source operator `op` reads (a log or user source): its `topic` key,
    /// or by default `input-topic` for the job's first such source and `input-topic-N` for the
    /// N-th (N >= 2), as a job reads topics of distinct names. Which subtask reads each of its
    /// partitions follows from it (`ckptsim::rescale::kafka_split_owner`).
    pub fn topic_name(&self, op: usize) -> String {
        if let Some(name) = &self.operators[op].topic_name {
            return name.clone();
        }
        let ordinal = self.operators[..op].iter().filter(|o| matches!(o.kind, OpKind::LogSource { .. })).count() + 1;
        default_topic_name(ordinal)
    }

    /// The source operator that reads broker partition `p`: the first source whose topic holds
    /// it, or the first source of a job without topics (one log read whole). None only for a job
    /// with no source reading `p`. The graph reference assigns its inputs by it, and the rules
    /// that excuse a dormant source's unread inputs find that source by it.
    pub fn source_of_partition(&self, p: u32) -> Option<usize> {
        self.operators
            .iter()
            .position(|o| o.kind.is_source() && o.topic.is_none_or(|(first, count)| p >= first && p < first + count))
    }

    /// The startup mode of the log source that reads broker partition `p` (its topic, or the
    /// whole log for a job with one log source); None when no log source reads it.
    pub fn startup_of(&self, p: u32) -> Option<StartupMode> {
        self.operators.iter().find_map(|o| match o.kind {
            OpKind::LogSource { startup } if o.topic.is_none_or(|(first, n)| (first..first + n).contains(&p)) => {
                Some(startup)
            }
            _ => None,
        })
    }

    /// Whether the job is a graph rather than a line: some operator has an input other than
    /// the one before it, or several inputs (the linear code paths stay as they were).
    pub fn is_graph(&self) -> bool {
        self.operators.iter().enumerate().any(|(i, o)| {
            o.kind.is_multi_input()
                || o.late_input
                || o.late_gate.is_some()
                || matches!(o.kind, OpKind::Broadcast)
                || (o.kind.is_source() && i > 0)
                || (o.kind.is_sink() && i + 1 < self.operators.len())
                || self.op_inputs(i) != if i == 0 { vec![] } else { vec![i - 1] }
        })
    }

    /// The positions of the operators feeding operator `i` (an `OpSpec` built by hand with no
    /// `inputs` reads the previous operator, as in a line).
    pub fn op_inputs(&self, i: usize) -> Vec<usize> {
        let o = &self.operators[i];
        if o.kind.is_source() {
            Vec::new()
        } else if o.inputs.is_empty() {
            i.checked_sub(1).into_iter().collect()
        } else {
            o.inputs.clone()
        }
    }

    /// The operators upstream of operator `op` (its ancestors through [`op_inputs`](Self::op_inputs)),
    /// `op` included.
    pub fn upstream_of(&self, op: usize) -> std::collections::BTreeSet<usize> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![op];
        while let Some(o) = stack.pop() {
            if seen.insert(o) {
                stack.extend(self.op_inputs(o));
            }
        }
        seen
    }

    /// Whether one input reaches the union, `connect` or keyed `join` `op` through several of
    /// its inputs (two of them share an upstream operator: `s.union(s)`, or two paths from one
    /// source). Such an operator tags each record's lineage with its input gate
    /// (`ckptsim::two_input::path_lineage`), in the task and in the reference alike, so every
    /// copy of an input is named by its path and the delivery checkers expect one row per path.
    /// An event-time join's rows are named by their pair of inputs already: never tagged.
    pub fn paths_meet(&self, op: usize) -> bool {
        if !matches!(self.operators[op].kind, OpKind::Union | OpKind::Connect(..) | OpKind::Join) {
            return false;
        }
        if self.side_gate(op).is_some() {
            return true;
        }
        let ups: Vec<std::collections::BTreeSet<usize>> =
            self.op_inputs(op).into_iter().map(|i| self.upstream_of(i)).collect();
        ups.iter().enumerate().any(|(a, x)| ups[a + 1..].iter().any(|y| !x.is_disjoint(y)))
    }

    /// Whether input `k` of operator `op` is an edge carrying a late side output: `op` reads
    /// `W.late` there (a one-input operator's `late_input`, a union's or connect's
    /// `late_gate`).
    pub fn reads_late(&self, op: usize, k: usize) -> bool {
        let o = &self.operators[op];
        (o.late_input && k == 0) || o.late_gate == Some(k as u32)
    }

    /// The late side output operator `op` reads as its one input (`late_input`), as the core's
    /// tag: an event-time window's, or one side's of an interval join (session 34).
    pub fn late_input_tag(&self, op: usize) -> Option<ckptsim::task::LateTag> {
        let o = &self.operators[op];
        o.late_input.then(|| o.late_side.map_or(ckptsim::task::LateTag::Window, ckptsim::task::LateTag::Join))
    }

    /// The input (gate) of union or `connect` `op` that carries a late side output's elements
    /// (session 27): `W.late` itself (`late_gate`) or a branch of functions after it
    /// ([`late_branch_of`](Self::late_branch_of)). Such an operator tags each record's lineage
    /// with its gate ([`paths_meet`](Self::paths_meet)), so every row of a sink behind it names
    /// its origin: a late element, or a row of the other input.
    pub fn side_gate(&self, op: usize) -> Option<u32> {
        if !matches!(self.operators[op].kind, OpKind::Union | OpKind::Connect(..)) {
            return None;
        }
        let ins = self.op_inputs(op);
        self.operators[op]
            .late_gate
            .or_else(|| (0..ins.len()).find(|k| self.late_branch_of(ins[*k]).is_some()).map(|k| k as u32))
    }

    /// The union or `connect` with a late side output on one gate ([`side_gate`](Self::side_gate))
    /// that sink `sink` is behind, with that gate and the window whose side output it is: walking
    /// up one-input operators from the sink (validation allows only map, filter and partitionings
    /// after it). None for every other sink.
    pub fn mixed_of(&self, sink: usize) -> Option<(usize, u32, usize)> {
        let mut o = sink;
        loop {
            let ins = self.op_inputs(o);
            match ins.as_slice() {
                [up] if !self.operators[o].late_input => o = *up,
                [_, _, ..] => {
                    let gate = self.side_gate(o)?;
                    let input = ins[gate as usize];
                    let window = if self.operators[o].late_gate == Some(gate) {
                        Some(input)
                    } else {
                        self.late_branch_of(input)
                    }?;
                    return Some((o, gate, window));
                }
                _ => return None,
            }
        }
    }

    /// The union that sink `sink` is behind (walking up one-input operators) when every one of
    /// its inputs carries a late side output's elements (session 42: a union of two late side
    /// branches), with per gate, in gate order, the operator whose late side output it is: the
    /// union's `late_gate` read straight, each other gate through a side branch
    /// ([`late_branch_of`](Self::late_branch_of)). None for every other sink.
    pub fn late_union_of(&self, sink: usize) -> Option<(usize, Vec<usize>)> {
        let mut o = sink;
        loop {
            let ins = self.op_inputs(o);
            match ins.as_slice() {
                [up] if !self.operators[o].late_input => o = *up,
                [_, _, ..] if matches!(self.operators[o].kind, OpKind::Union) => {
                    let late_gate = self.operators[o].late_gate;
                    let senders = (0..ins.len())
                        .map(|k| match late_gate == Some(k as u32) {
                            true => Some(ins[k]),
                            false => self.late_branch_of(ins[k]),
                        })
                        .collect::<Option<Vec<usize>>>()?;
                    return Some((o, senders));
                }
                _ => return None,
            }
        }
    }

    /// The event-time window whose late side output operator `op` is downstream of: walking up
    /// its one-input path, an operator that reads `W.late` (validation allows only one-input
    /// operators after a side output). None on the main path.
    pub fn late_branch_of(&self, op: usize) -> Option<usize> {
        let mut o = op;
        loop {
            let ins = self.op_inputs(o);
            let [up] = ins.as_slice() else { return None };
            if self.operators[o].late_input {
                return Some(*up);
            }
            o = *up;
        }
    }

    /// The window whose late side output feeds event-time window `op` (through map, key_by
    /// and rebalance: a window on a side branch, session 28), if `op` is such a window.
    pub fn late_fed_window(&self, op: usize) -> Option<usize> {
        matches!(self.operators[op].kind, OpKind::EventWindow(_)).then(|| self.late_branch_of(op)).flatten()
    }

    /// The window whose late side output feeds the event-time join `op` on one of its inputs
    /// (through map, key_by and rebalance: a join fed by a late side output, session 29), with
    /// that input's position, if `op` is such a join.
    pub fn late_fed_join(&self, op: usize) -> Option<(usize, usize)> {
        if !matches!(self.operators[op].kind, OpKind::EventJoin(_)) {
            return None;
        }
        let ins = self.op_inputs(op);
        (0..ins.len()).find_map(|k| self.late_branch_of(ins[k]).map(|w| (w, k)))
    }

    /// Every input of the event-time join `op` fed by a late side output, with the window whose
    /// late side output it reads and the input's position (session 36: a join of two side
    /// branches has two; [`JobSpec::late_fed_join`] gives the first).
    pub fn late_fed_sides(&self, op: usize) -> Vec<(usize, usize)> {
        if !matches!(self.operators[op].kind, OpKind::EventJoin(_)) {
            return Vec::new();
        }
        let ins = self.op_inputs(op);
        (0..ins.len()).filter_map(|k| self.late_branch_of(ins[k]).map(|w| (w, k))).collect()
    }

    /// The event-time join fed by a late side output that `sink` is behind (walking up its
    /// one-input operators), if one.
    pub fn late_join_of(&self, sink: usize) -> Option<usize> {
        let mut o = sink;
        loop {
            if self.late_fed_join(o).is_some() {
                return Some(o);
            }
            let ins = self.op_inputs(o);
            let [up] = ins.as_slice() else { return None };
            o = *up;
        }
    }

    /// The operators that are event-time or processing-time windows, in file order (several:
    /// windows after windows, each a stage fed by the one before).
    pub fn window_stages(&self) -> Vec<usize> {
        (0..self.operators.len()).filter(|i| matches!(self.operators[*i].kind, OpKind::EventWindow(_))).collect()
    }

    /// The job's last window (the one whose results reach the sink), if it has one.
    pub fn last_event_window(&self) -> Option<&ckptsim::window::EventWindowSpec> {
        self.operators.iter().rev().find_map(|o| match &o.kind {
            OpKind::EventWindow(w) => Some(w),
            _ => None,
        })
    }

    /// The job's (first) event-time window, if it has one.
    pub fn event_window(&self) -> Option<&ckptsim::window::EventWindowSpec> {
        self.operators.iter().find_map(|o| match &o.kind {
            OpKind::EventWindow(w) => Some(w),
            _ => None,
        })
    }

    /// The restart strategy in force: the configured one, else the profile's default for the
    /// checkpoint configuration (Flink's `RestartBackoffTimeStrategyFactoryLoader`).
    pub fn restart_strategy(&self) -> RestartStrategyConfig {
        RestartStrategyConfig::resolve(
            if self.restart_configured { Some(&self.restart) } else { None },
            self.checkpoint.periodic_enabled(),
            self.profile,
        )
    }

    /// The JobMaster's parameters for this job with the graph's `tasks`; `random_seed` is all
    /// of the JobMaster's randomness (initial trigger delay, backoff jitter).
    pub fn job_params(&self, tasks: Vec<ckptsim::job::TaskInfo>, random_seed: u64) -> ckptsim::job::JobParams {
        ckptsim::job::JobParams {
            checkpoint: self.checkpoint.clone(),
            restart: self.restart_strategy(),
            profile: self.profile,
            variant: self.variant,
            tasks,
            random_seed,
            deploy_timeout_ms: ckptsim::job::DEFAULT_DEPLOY_TIMEOUT_MS,
            failover: self.failover,
        }
    }
}

/// The default topic of a job's `ordinal`-th (from 1) log or user source: `input-topic`, then
/// `input-topic-2`, `input-topic-3`, ... (the topic of Flink's `KafkaSource` documentation
/// example, `setTopics("input-topic")`).
pub fn default_topic_name(ordinal: usize) -> String {
    if ordinal <= 1 {
        DEFAULT_TOPIC.to_string()
    } else {
        format!("{DEFAULT_TOPIC}-{ordinal}")
    }
}

/// The topic a job's first log source reads when its file names none.
pub const DEFAULT_TOPIC: &str = "input-topic";
