//! The typed scenario model: what a loaded `scenarios/*.toml` file says (job, input, cluster, actions, faults, expectations), before it becomes a `JobSpec`.

use super::*;

// ---------------------------------------------------------------------------------------------
// The typed model
// ---------------------------------------------------------------------------------------------

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// `name`: identifies the scenario in reports and snapshots (`[A-Za-z0-9._-]+`).
    pub name: String,
    /// `description`: free text.
    pub description: Option<String>,
    /// `profile`: the Flink version whose semantics the run follows.
    pub profile: Profile,
    /// `variant`: the protocol variant (negative suite); [`Variant::Correct`] by default.
    pub variant: Variant,
    /// `seed`: the default seed of `ckptsim run` (0 when omitted).
    pub seed: u64,
    /// `stop_at_ms`: virtual time at which the run ends (> 0).
    pub stop_at_ms: u64,
    pub(super) checkpoint: CheckpointConfig,
    pub(super) restart: Option<RestartStrategyConfig>,
    /// `failover_strategy`: which tasks a task failure restarts (`region`, Flink's default, when omitted).
    pub failover: ckptsim::region::FailoverStrategy,
    /// `[cluster]` with defaults filled in.
    pub cluster: ClusterSpec,
    /// `[kafka]`: the log source's offset-commit settings (defaults when omitted).
    pub kafka: KafkaSettings,
    /// `[[operators]]`: source first, sink last.
    pub operators: Vec<OperatorSpec>,
    /// `[input]` (with several sources: the first source's `[inputs.<Name>]`).
    pub input: InputSpec,
    /// `[inputs.<Name>]`: with several log sources, each source's input (source name, input)
    /// in operator order; empty for a job with one source.
    pub source_inputs: Vec<(String, InputSpec)>,
    /// `[[actions]]` in file order (not necessarily sorted by time).
    pub actions: Vec<TimedAction>,
    /// `[[faults]]` in file order.
    pub faults: Vec<TimedFault>,
    /// `[expect]` (all checks off when omitted).
    pub expect: ExpectSpec,
    /// `[input].gates`: checkpoint-gated input positions, ascending.
    pub input_gates: Vec<InputGate>,
    /// `[input].socket_clock` / `unread_lines`: how the line server sends (socket input).
    pub socket_session: SocketSession,
    /// `[swarm] keep`: what a swarm draw keeps of the scenario.
    #[serde(skip_serializing_if = "is_default_keep")]
    pub swarm_keep: SwarmKeep,
}

fn is_default_keep(k: &SwarmKeep) -> bool {
    *k == SwarmKeep::default()
}

/// What a swarm draw keeps of a scenario (`[swarm] keep = [...]`): settings the scenario's
/// situation needs, which the swarm would otherwise redraw. The draw is made either way (the
/// seed's other draws do not move); only the kept value replaces the drawn one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SwarmKeep {
    /// `"tolerable_failures"`: the scenario's `checkpoint.tolerable_failures` (a stall that
    /// only expiring checkpoints would end, e.g. a JobManager that still counts dead tasks as
    /// running, is ended by the tolerance failover under a drawn finite tolerance).
    pub tolerable_failures: bool,
    /// `"checkpoint_mode"` (session 40): the scenario's checkpointing mode (exactly-once aligned,
    /// unaligned, an aligned timeout, at-least-once, with its barrier announcements) and its
    /// `max_concurrent` (a planted bug of aligned barriers, or of checkpoints overtaking one
    /// another, needs them; the swarm draws unaligned on half of the seeds and one concurrent
    /// checkpoint on a third).
    pub checkpoint_mode: bool,
    /// `"restart"` (session 40): the scenario's restart strategy and its parameters (a planted
    /// bug of one strategy, e.g. the failure-rate window, needs it; the swarm draws another
    /// strategy on most seeds).
    pub restart: bool,
}

impl SwarmKeep {
    /// The keys `[swarm] keep` accepts, in the order [`SwarmKeep::keys`] writes them.
    pub const KEYS: [&'static str; 3] = ["tolerable_failures", "checkpoint_mode", "restart"];

    /// The `[swarm] keep` keys this value keeps, in [`SwarmKeep::KEYS`] order.
    pub fn keys(&self) -> Vec<String> {
        let on = [self.tolerable_failures, self.checkpoint_mode, self.restart];
        Self::KEYS.iter().zip(on).filter(|(_, on)| *on).map(|(k, _)| k.to_string()).collect()
    }

    /// Keeps `key` (one of [`SwarmKeep::KEYS`]); `Err` names why not: unknown, or named twice.
    pub fn keep(&mut self, key: &str) -> Result<(), String> {
        let flag = match key {
            "tolerable_failures" => &mut self.tolerable_failures,
            "checkpoint_mode" => &mut self.checkpoint_mode,
            "restart" => &mut self.restart,
            other => return Err(format!("unknown key `{other}`; the swarm can keep: {}", Self::KEYS.join(", "))),
        };
        if std::mem::replace(flag, true) {
            return Err(format!("`{key}` named twice"));
        }
        Ok(())
    }
}

/// How the socket line server sends its lines (`[input].socket_clock`, `[input].unread_lines`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SocketSession {
    /// `socket_clock = "connected"`: a line's `at_ms` is measured on a clock that runs only
    /// while a reader is connected (from the first connection); default "absolute": from job
    /// submission.
    pub connected_clock: bool,
    /// `unread_lines = "buffer"`: lines due while nobody reads are kept and written to the next
    /// reader; default "drop": they are lost.
    pub buffer_unread: bool,
}

/// A checkpoint gate in the source's input (`[input].gates`): after reading the first
/// `after_records` inputs the source waits until a checkpoint it took there has completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputGate {
    /// Inputs (in input order) before the gate, >= 1.
    pub after_records: u64,
    /// The source requests a checkpoint when it reaches the gate (else it waits for the next
    /// periodic or manual one).
    pub trigger: bool,
}

/// `[kafka]`: how a `log-source` commits offsets to the broker (semantics §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KafkaSettings {
    /// `commit_offsets_on_checkpoint` (default true): commit on checkpoint completion.
    pub commit_offsets_on_checkpoint: bool,
    /// `auto_commit`: Kafka's `enable.auto.commit`; None = the profile's default.
    pub auto_commit: Option<bool>,
    /// `auto_commit_interval_ms` (default 5000, >= 1).
    pub auto_commit_interval_ms: u64,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            commit_offsets_on_checkpoint: true,
            auto_commit: None,
            auto_commit_interval_ms: ckptsim::source::DEFAULT_AUTO_COMMIT_INTERVAL_MS,
        }
    }
}

impl Scenario {
    /// The validated checkpoint configuration (`[checkpoint]`; Flink's defaults, i.e.
    /// checkpointing disabled, when the table is omitted).
    pub fn checkpoint_config(&self) -> &CheckpointConfig {
        &self.checkpoint
    }

    /// The validated restart strategy as written in `[restart]`, if any.
    pub fn configured_restart(&self) -> Option<&RestartStrategyConfig> {
        self.restart.as_ref()
    }

    /// The restart strategy in force: `[restart]`, or Flink's default for the profile and
    /// checkpoint configuration (semantics §4.3).
    pub fn restart_config(&self) -> RestartStrategyConfig {
        RestartStrategyConfig::resolve(self.restart.as_ref(), self.checkpoint.periodic_enabled(), self.profile)
    }

    /// The operator with this (display) name and its position in the pipeline.
    pub fn operator(&self, name: &str) -> Option<(usize, &OperatorSpec)> {
        self.operators.iter().enumerate().find(|(_, o)| o.name == name)
    }

    /// The source (the first operator; in a job graph the first source). Panics only if
    /// `operators` was emptied by hand: a parsed scenario always has a source and a sink.
    pub fn source(&self) -> &OperatorSpec {
        self.operators.iter().find(|o| o.kind.is_source()).unwrap_or(&self.operators[0])
    }

    /// The sink (the last operator; in a job graph the last sink). Panics only if `operators`
    /// was emptied by hand.
    pub fn sink(&self) -> &OperatorSpec {
        self.operators.iter().rev().find(|o| o.kind.is_sink()).unwrap_or(&self.operators[self.operators.len() - 1])
    }
}

/// `[cluster]`: the simulated cluster and its cost model. All times are virtual. The one
/// cluster type: the scenario model holds it with defaults filled in, and the world reads the
/// same value from [`crate::spec::JobSpec::cluster`]; [`ClusterSpec::default`] is the one place
/// for the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterSpec {
    /// Number of TaskManagers (>= 1), named `tm0`, `tm1`, ...
    pub task_managers: u32,
    /// Slots per TaskManager (>= 1). With slot sharing a job needs `max(parallelism)` slots.
    pub slots_per_tm: u32,
    /// Control-plane message latency, drawn uniformly from `[min, max]` ms.
    pub control_latency_ms: (u64, u64),
    /// Latency of one network buffer between tasks, ms.
    pub data_latency_ms: u64,
    /// Credits per input channel, in buffers (>= 1): the backpressure window.
    pub channel_capacity_buffers: u32,
    /// Records per network buffer (>= 1).
    pub buffer_records: u32,
    /// How long a partly filled buffer waits for more records before it is sent, ms (Flink's
    /// `execution.buffer-timeout.interval`, whose default is 100 ms). Default 0: sent at once.
    pub buffer_timeout_ms: u64,
    /// Processing cost of one record in one operator, microseconds of virtual time.
    pub record_cost_us: u64,
    /// Checkpoint storage write bandwidth, bytes per ms (>= 1).
    pub storage_bandwidth_bytes_per_ms: u64,
    /// TaskManager -> JobManager heartbeat period, ms (>= 1). Default 10 s as Flink's
    /// `heartbeat.interval`, or a fifth of the timeout when only that is given.
    pub heartbeat_interval_ms: u64,
    /// A TaskManager silent for this long is declared dead, ms (> heartbeat_interval_ms).
    /// Default 50 s as Flink's `heartbeat.timeout`.
    pub heartbeat_timeout_ms: u64,
    /// Base time to deploy a task (JobManager to RUNNING), excluding state restore, ms. Not a
    /// scenario key: always the default 5.
    pub deploy_ms: u64,
    /// Extra time to deploy a task (JobManager's deploy to RUNNING), ms, drawn once per seed uniformly from `[min, max]`; default 20-120 (a MiniCluster's, docs/fidelity-audit.md).
    pub deploy_latency_ms: (u64, u64),
    /// Extra time for a task to restore state, on top of size / bandwidth, ms, drawn once per seed uniformly from `[min, max]`; default 10-60.
    pub restore_latency_ms: (u64, u64),
    /// Extra time for a task to stop after its cancel arrives, ms, drawn once per seed uniformly from `[min, max]`; default 5-40.
    pub cancel_latency_ms: (u64, u64),
    /// Extra time before the first deployment of a job (submission, slot allocation), ms, drawn once per seed uniformly from `[min, max]`; default 300-900.
    pub first_start_latency_ms: (u64, u64),
    /// Flink's `task.cancellation.timeout`: a task that has not stopped this long after its
    /// cancel arrived makes its TaskManager fail fatally (`TaskCancelerWatchDog`): the process
    /// dies with every task on it and is restarted. Default 180 s; 0 disables the watchdog.
    pub task_cancellation_timeout_ms: u64,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            task_managers: 1,
            slots_per_tm: 8,
            control_latency_ms: (1, 3),
            data_latency_ms: 1,
            channel_capacity_buffers: 4,
            buffer_records: 32,
            buffer_timeout_ms: 0,
            record_cost_us: 5,
            storage_bandwidth_bytes_per_ms: 100_000,
            heartbeat_interval_ms: 10_000,
            heartbeat_timeout_ms: 50_000,
            deploy_ms: 5,
            deploy_latency_ms: (20, 120),
            restore_latency_ms: (10, 60),
            cancel_latency_ms: (5, 40),
            first_start_latency_ms: (300, 900),
            task_cancellation_timeout_ms: 180_000,
        }
    }
}

impl ClusterSpec {
    /// The default cluster with its four failover latencies (`first_start`, `deploy`,
    /// `restore`, `cancel`) pinned to 0, as a scenario says with `*_latency_ms = 0`: for runs
    /// whose point is one schedule (a shrunk regression, a timing window from t=0), not Flink's
    /// start-up and failover timings.
    pub fn zero_latency() -> Self {
        let mut cluster = ClusterSpec::default();
        cluster.pin_zero_latency();
        cluster
    }

    /// Pins this cluster's four failover latencies to 0, keeping every other key.
    pub fn pin_zero_latency(&mut self) {
        self.first_start_latency_ms = (0, 0);
        self.deploy_latency_ms = (0, 0);
        self.restore_latency_ms = (0, 0);
        self.cancel_latency_ms = (0, 0);
    }
}

/// One `[[operators]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperatorSpec {
    /// Display name, unique in the job; used by fault targets and anchors (`name[subtask]`).
    /// Defaults to the kind (`map`), or `kind-N` for the N-th (N >= 2) operator of a kind that
    /// occurs more than once.
    pub name: String,
    /// What the operator does (`kind` and its kind-specific keys).
    pub kind: OperatorKindSpec,
    /// `user-source` / `user-sink`: the name (`function`) the source or sink is registered
    /// under in the [`crate::user::Registry`]. The kind is then `log-source` (a replayable
    /// source of splits with positions) or `two-phase-commit-sink`, hosted with the user's code.
    pub user_io: Option<String>,
    /// `user-sink` only: `delivery_guarantee`, which of the registered implementations of
    /// `user_io` runs (Flink's `DeliveryGuarantee`, set on a sink builder such as
    /// `KafkaSinkBuilder.setDeliveryGuarantee`). `None`: the registration decides (the later
    /// one when the name is registered both ways).
    pub delivery_guarantee: Option<DeliveryGuarantee>,
    /// Number of parallel subtasks (>= 1). Always 1 for `socket-source` and `key_by`.
    pub parallelism: u32,
    /// Fail the task whenever it processes a record whose value (as displayed) equals this.
    pub fail_on_value: Option<String>,
    /// Fail the task on every n-th record it processes (counter kept per subtask, not in state,
    /// so it restarts at 0 after a restore: seed 001's `count++ == 7`).
    pub fail_every_nth: Option<u64>,
    /// Fail the task once, at this virtual time.
    pub fail_at_ms: Option<u64>,
    /// Lifecycle and once-only failure injectors (`fail_once_on_value`, `fail_on_nth_record`,
    /// `fail_snapshot_*`, `fail_notify_complete_on_checkpoint`, `fail_on_restore_times`,
    /// `fail_on_deploy_times`); see `ckptsim::operator::FailureInjector`.
    pub more_injectors: MoreInjectors,
    /// Extra modelled state size per subtask, bytes (makes snapshots slow).
    pub state_padding_bytes: u64,
    /// Sources only: the input ends (log: stopping offsets at the end of the records; socket:
    /// the server closes after its last line). Default false (unbounded).
    pub bounded: bool,
    /// `log-source` / `user-source` only: the `topic` it reads, as written (None: the default,
    /// `input-topic`, `input-topic-2`, ... in source order; `crate::spec::JobSpec::topic_name`).
    /// Its name decides which subtask reads each partition (Flink's `getSplitOwner`).
    pub topic: Option<String>,
    /// `two-phase-commit-sink` only: the store's `transaction_timeout_ms` and
    /// `idempotent_commit` (issue 13 item 7); the default changes nothing.
    pub sink_store: ckptsim::sink::StoreConfig,
    /// Max parallelism (number of key groups) set by the user (`setMaxParallelism`); None:
    /// derived from the parallelism (`KeyGroupRangeAssignment.computeDefaultMaxParallelism`).
    pub max_parallelism: Option<u32>,
    /// `two-phase-commit-sink` only: a failed recovery commit of a transaction older than
    /// `transaction_timeout_ms` is logged and dropped instead of failing the task (Flink's
    /// `ignoreFailuresAfterTransactionTimeout`). Default false.
    pub ignore_failures_after_transaction_timeout: bool,
    /// `two-phase-commit-sink` only, `sink_api = "sink-v2"` (flink-2.3): the sink is Flink 2.x's
    /// Sink V2 `KafkaSink` (`SinkWriterOperator` + `CommitterOperator`) instead of the legacy
    /// `TwoPhaseCommitSinkFunction`: the same transactions at the same checkpoints, but a commit
    /// the store refuses after the transaction timeout is logged and dropped (`KafkaCommitter`),
    /// never a task failure. Default false (`sink-function`).
    pub sink_v2: bool,
    /// `inputs`: the positions of the operators feeding this one, in input (gate) order; the
    /// previous operator by default, none for a source.
    pub inputs: Vec<usize>,
    /// The operator reads the late side output of its one input (`inputs = ["W.late"]`, Flink's
    /// `getSideOutput(lateOutputTag)`), an event-time window with `late_records = "side-output"`.
    pub late_input: bool,
    /// A union or `connect` that reads a late side output as one of its inputs (`inputs = ["W",
    /// "W.late"]`, session 27): that input's position.
    pub late_gate: Option<u32>,
    /// With `late_input`: the interval join's side whose late side output it reads
    /// (`inputs = ["J.late_left"]`: 0, `["J.late_right"]`: 1; session 34); None for `W.late`.
    pub late_side: Option<u32>,
    /// `interval_join` only: per side (left, right) whether its late elements go to a side
    /// output (`late_left` / `late_right = "side-output"`), readable as `J.late_left` /
    /// `J.late_right`; default drop.
    pub late_outputs: [bool; 2],
    /// `log-source` only: the source's watermark strategy (`watermarks`,
    /// `max_out_of_orderness_ms`, `idle_timeout_ms`, `auto_watermark_interval_ms`); `None`
    /// without event time; `watermarks = "none"` is an interval of
    /// [`crate::spec::NO_WATERMARKS_INTERVAL_MS`] (never emits; MAX_WATERMARK at the end).
    pub watermarks: Option<ckptsim::watermark::WatermarkStrategy>,
    /// `log-source` only: the records carry event timestamps (`watermarks` is set, `"none"`
    /// included: Flink's `WatermarkStrategy.noWatermarks()` still assigns timestamps).
    pub event_time: bool,
}

impl OperatorSpec {
    /// True when the operator has any failure injector.
    pub fn has_failure_injector(&self) -> bool {
        self.fail_on_value.is_some()
            || self.fail_every_nth.is_some()
            || self.fail_at_ms.is_some()
            || self.more_injectors != MoreInjectors::default()
    }
}

/// The side outputs of an interval join, in side order (left, right): an operator reads them
/// as `inputs = ["J.late_left"]` / `["J.late_right"]`, and the join enables each with the key
/// of the same name (session 34).
pub const JOIN_LATE_TAGS: [&str; 2] = ["late_left", "late_right"];

/// What a `user-sink` promises (`delivery_guarantee`), after Flink's
/// `org.apache.flink.connector.base.DeliveryGuarantee`. Its scenario names are its serde names
/// (one table, shared by the loader and `emit`: [`super::names`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryGuarantee {
    /// `exactly-once`: a two-phase-commit sink (`Registry::with_sink`): writes in
    /// transactions pre-committed at the snapshot and committed when the checkpoint completes.
    ExactlyOnce,
    /// `at-least-once`: writes visible at once, flushed at every checkpoint
    /// (`Registry::with_at_least_once_sink`); a restore may publish records again.
    AtLeastOnce,
}

impl DeliveryGuarantee {
    /// Every guarantee.
    pub const ALL: [DeliveryGuarantee; 2] = [DeliveryGuarantee::ExactlyOnce, DeliveryGuarantee::AtLeastOnce];

    /// The scenario name (`delivery_guarantee = "..."`).
    pub fn name(self) -> String {
        super::names::name_of(&self)
    }

    /// The guarantee named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        super::names::parse_as(s)
    }

    /// Every scenario name, comma separated.
    pub fn names() -> String {
        super::names::list_of(&Self::ALL)
    }
}

/// The failure injectors that fire once or outside record processing (issue 13, item 3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MoreInjectors {
    /// Fail the first time this value is processed, not again on the replay.
    pub fail_once_on_value: Option<String>,
    /// Fail on the n-th record of the subtask counted across attempts (once).
    pub fail_on_nth_record: Option<u64>,
    /// `snapshotState` (synchronous part) of this checkpoint id throws: the task fails.
    pub fail_snapshot_sync_on_checkpoint: Option<u64>,
    /// The asynchronous part of this checkpoint's snapshot fails: the task declines it.
    pub fail_snapshot_async_on_checkpoint: Option<u64>,
    /// `notifyCheckpointComplete` of this checkpoint id throws: the task fails.
    pub fail_notify_complete_on_checkpoint: Option<u64>,
    /// `initializeState` throws on the first n restores.
    pub fail_on_restore_times: Option<u64>,
    /// The first n deployments of the task fail.
    pub fail_on_deploy_times: Option<u64>,
}

/// What an operator does (`kind` and its kind-specific keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum OperatorKindSpec {
    /// `socket-source`: reads `[input].lines` (parallelism 1, no state: replays nothing).
    SocketSource,
    /// `log-source`: a Kafka-like partitioned log consumer whose state is its offsets.
    LogSource {
        /// Where a fresh (not restored) consumer starts: `startup` (earliest, latest, group offsets).
        startup: StartupMode,
    },
    /// `map` with a one-to-one function.
    Map {
        /// The built-in function applied to each record.
        function: Udf,
    },
    /// `flat_map` with a one-to-one or one-to-many function.
    FlatMap {
        /// The built-in function applied to each record.
        function: Udf,
    },
    /// `filter` with a predicate.
    Filter {
        /// The built-in predicate; records for which it is false are dropped.
        function: Udf,
    },
    /// `rebalance`: redistributes round robin to the next operator (breaks the chain), like
    /// `DataStream.rebalance()`; a partitioning, not a task.
    Rebalance,
    /// `key_by`: hash-partitions by key for the next (keyed) operator; not a task of its own.
    KeyBy,
    /// `sum`, `count`, `max`, `min`: a keyed running aggregate, the core's [`Aggregate`]
    /// (its scenario names are the core's serde names, `ckptsim::names`).
    Aggregate(Aggregate),
    /// `count_window`: tumbling window of `size` records per key, emits `(key,sum)` when full.
    CountWindow {
        /// Records per window and key (>= 1).
        size: u64,
    },
    /// `event_window`: a keyed event-time window (tumbling or sliding) with an aggregate,
    /// allowed lateness and late records dropped or sent to a side output (`ckptsim::window`).
    EventWindow(ckptsim::window::EventWindowSpec),
    /// `print-sink`: prints every record (at-least-once: replays show as duplicates).
    PrintSink,
    /// `two-phase-commit-sink`: transactional sink committed on checkpoint completion.
    TwoPhaseCommitSink,
    /// `user`: a user-defined operator ([`ckptsim::user::UserOperator`]) registered under
    /// `function` in the [`crate::user::Registry`] the scenario is loaded with.
    User {
        /// The name the operator is registered under.
        function: String,
    },
    /// `union`: merges two or more inputs of the same type (`DataStream.union`).
    Union,
    /// `connect`: a co-map over two inputs (`ConnectedStreams.map`): `function` for the first,
    /// `second_function` for the second (both one-to-one, default `identity`).
    Connect {
        /// `function`: applied to the first input's records.
        first: Udf,
        /// `second_function`: applied to the second input's records.
        second: Udf,
    },
    /// `join`: a keyed two-input join; both inputs come through `key_by`. Per key it counts the
    /// records of each side (keyed state) and emits `(key, left * right)` per record.
    Join,
    /// `interval_join` (`lower_ms`, `upper_ms`) / `window_join` (`size_ms`): a keyed event-time
    /// join of two inputs that emits the joined rows `left|right` (`ckptsim::join`).
    EventJoin(ckptsim::join::JoinSpec),
    /// `broadcast`: every record to every subtask of the next operator (`DataStream.broadcast()`);
    /// a partitioning, not a task.
    Broadcast,
    /// `broadcast_process` (session 38): a keyed broadcast-process operator
    /// (`KeyedBroadcastProcessFunction`, `ckptsim::broadcast_process`): `inputs = [key_by,
    /// broadcast]`; `function = "rules"` (default) or `"rules_report"` (`report`).
    BroadcastProcess {
        /// `function = "..._report"`: each attempt's first keyed record reports the state.
        report: bool,
        /// Session 39: `rules` (one broadcast state), `rules_count` (a keyed count beside it),
        /// `rules_limits` (two broadcast states).
        function: ckptsim::broadcast_process::BroadcastFunction,
        /// Session 40: `timer_delay_ms`, an event-time timer this long after each keyed record.
        timer_delay_ms: Option<u64>,
    },
}

impl OperatorKindSpec {
    /// The kind names accepted in `kind` before the aggregates (see [`OperatorKindSpec::names`]).
    const NAMES_BEFORE_AGGREGATES: [&'static str; 9] =
        ["socket-source", "log-source", "user-source", "user-sink", "map", "flat_map", "filter", "rebalance", "key_by"];
    /// The kind names accepted in `kind` after the aggregates.
    const NAMES_AFTER_AGGREGATES: [&'static str; 13] = [
        "count_window",
        "event_window",
        "processing_window",
        "print-sink",
        "two-phase-commit-sink",
        "user",
        "union",
        "connect",
        "join",
        "interval_join",
        "window_join",
        "broadcast",
        "broadcast_process",
    ];

    /// Every kind name accepted in `kind`: the aggregates' names (`sum`, `count`, `max`,
    /// `min`) are the core's ([`Aggregate::names`], from its serde derive), not repeated here.
    pub fn names() -> Vec<&'static str> {
        let mut all = Self::NAMES_BEFORE_AGGREGATES.to_vec();
        all.extend(Aggregate::names());
        all.extend(Self::NAMES_AFTER_AGGREGATES);
        all
    }

    /// The kind as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            OperatorKindSpec::SocketSource => "socket-source",
            OperatorKindSpec::LogSource { .. } => "log-source",
            OperatorKindSpec::Map { .. } => "map",
            OperatorKindSpec::FlatMap { .. } => "flat_map",
            OperatorKindSpec::Filter { .. } => "filter",
            OperatorKindSpec::Rebalance => "rebalance",
            OperatorKindSpec::KeyBy => "key_by",
            OperatorKindSpec::Aggregate(a) => a.name(),
            OperatorKindSpec::CountWindow { .. } => "count_window",
            OperatorKindSpec::EventWindow(w) if w.time == ckptsim::window::WindowTime::Processing => {
                "processing_window"
            }
            OperatorKindSpec::EventWindow(_) => "event_window",
            OperatorKindSpec::PrintSink => "print-sink",
            OperatorKindSpec::TwoPhaseCommitSink => "two-phase-commit-sink",
            OperatorKindSpec::User { .. } => "user",
            OperatorKindSpec::Union => "union",
            OperatorKindSpec::Connect { .. } => "connect",
            OperatorKindSpec::Join => "join",
            OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::Interval { .. }) => "interval_join",
            OperatorKindSpec::EventJoin(
                ckptsim::join::JoinSpec::Window { .. } | ckptsim::join::JoinSpec::SlidingWindow { .. },
            ) => "window_join",
            OperatorKindSpec::Broadcast => "broadcast",
            OperatorKindSpec::BroadcastProcess { .. } => "broadcast_process",
        }
    }

    /// Sources: `socket-source`, `log-source` (a `user-source` is hosted as a log source).
    pub fn is_source(&self) -> bool {
        is_source_kind(self.name())
    }

    /// Sinks: `print-sink`, `two-phase-commit-sink` (a `user-sink` is hosted as either).
    pub fn is_sink(&self) -> bool {
        is_sink_kind(self.name())
    }

    /// Operators that must directly follow `key_by`.
    pub fn is_keyed(&self) -> bool {
        is_keyed_kind(self.name())
    }

    /// False only for `key_by`, which is a partitioning, not a task.
    pub fn is_task(&self) -> bool {
        !matches!(self, OperatorKindSpec::KeyBy | OperatorKindSpec::Rebalance | OperatorKindSpec::Broadcast)
    }
}

pub(super) fn is_source_kind(k: &str) -> bool {
    matches!(k, "socket-source" | "log-source" | "user-source")
}
pub(super) fn is_sink_kind(k: &str) -> bool {
    matches!(k, "print-sink" | "two-phase-commit-sink" | "user-sink")
}
pub(super) fn is_keyed_kind(k: &str) -> bool {
    Aggregate::parse(k).is_some() || matches!(k, "count_window" | "event_window" | "processing_window")
}

impl fmt::Display for OperatorKindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a `log-source` starts, and the built-in user functions: the core's own types (one
/// name table each, in `ckptsim::source` and `ckptsim::operator`), re-exported so the scenario
/// model and the world speak one vocabulary.
pub use ckptsim::operator::{Aggregate, Udf, UdfShape};
pub use ckptsim::source::StartupMode;

/// `[input]`: exactly one of `lines`, `records`, `generator`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum InputSpec {
    /// Lines typed into the socket (`socket-source` only), sorted by time.
    Lines(Vec<InputLine>),
    /// Records appended to the log (`log-source` only), sorted by time.
    Records {
        /// Log partitions (>= 1; 1 for a socket source).
        partitions: u32,
        /// The records, sorted by time.
        records: Vec<InputRecord>,
    },
    /// Generated input (either source). `partitions` is 1 for a socket source.
    Generator {
        /// Log partitions (>= 1; 1 for a socket source).
        partitions: u32,
        /// The generator parameters.
        generator: GeneratorSpec,
    },
}

impl InputSpec {
    /// Number of inputs (lines, records or generated records).
    pub fn count(&self) -> u64 {
        match self {
            InputSpec::Lines(l) => l.len() as u64,
            InputSpec::Records { records, .. } => records.len() as u64,
            InputSpec::Generator { generator, .. } => generator.count,
        }
    }

    /// Number of log partitions (1 for socket input).
    pub fn partitions(&self) -> u32 {
        match self {
            InputSpec::Lines(_) => 1,
            InputSpec::Records { partitions, .. } | InputSpec::Generator { partitions, .. } => *partitions,
        }
    }
}

/// One line typed into the socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputLine {
    /// Virtual time the line is sent, ms.
    pub at_ms: u64,
    /// The line's text (split into words by `flat_map` functions such as `split`).
    pub line: String,
}

/// One record appended to the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputRecord {
    /// Virtual time the record is appended, ms.
    pub at_ms: u64,
    /// The log partition it is appended to (< `partitions`).
    pub partition: PartitionId,
    /// The record's value (a word, a number, or `key,count`).
    pub value: String,
    /// `ts_ms`: the record's event timestamp (its Kafka record timestamp), ms.
    pub ts_ms: Option<i64>,
}

/// Generated input: `count` records at `rate_per_s`, starting at `start_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GeneratorSpec {
    /// Total number of records.
    pub count: u64,
    /// Records per second of virtual time (>= 1), evenly spaced.
    pub rate_per_s: u64,
    /// Number of distinct keys (>= 1); values are `k0` .. `k{keys-1}`.
    pub keys: u64,
    /// How keys are drawn.
    pub distribution: Distribution,
    /// Virtual time of the first record, ms.
    pub start_ms: u64,
    /// `ts_jitter_ms`: with event time, each record's timestamp is its append time minus a
    /// uniform draw in `0..=ts_jitter_ms` from the input stream (out-of-order timestamps);
    /// 0 (the default) gives timestamps equal to the append times.
    pub ts_jitter_ms: u64,
}

/// How the generator draws keys.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Distribution {
    /// Every key equally likely (the default).
    #[default]
    Uniform,
    /// Zipf with exponent 1 (`k0` most frequent).
    Zipf,
}

/// `[expect]`: what a run must show. Omitted checks are not made.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ExpectSpec {
    /// Job status at `stop_at_ms`.
    pub final_status: Option<JobStatus>,
    /// Number of restarts.
    pub restarts: Option<u32>,
    /// The 2PC sink's committed output equals the fault-free reference run's.
    pub exactly_once: bool,
    /// Every record of the fault-free reference output appears in the output.
    pub at_least_once: bool,
    /// At least this many completed checkpoints.
    pub completed_checkpoints_min: Option<u64>,
    /// At least this many rows committed by the two-phase-commit sink(s).
    pub committed_min: Option<u64>,
    /// At most this many rows committed by the two-phase-commit sink(s).
    pub committed_max: Option<u64>,
    /// The exact output rows, in order.
    pub output: Option<Vec<String>>,
    /// Exactly these outputs appear twice (print sink replays).
    pub duplicates: Option<Vec<String>>,
    /// Compare the output table with an insta snapshot.
    pub snapshot: bool,
    /// Negative suite: this named checker must report a violation.
    pub caught_by: Option<String>,
    /// Liveness: after the last fault heals, checkpoints complete at least this often
    /// (`None` = the checker's default).
    pub max_checkpoint_gap_ms: Option<u64>,
    /// `committed_offsets`: the broker's committed group offset per partition at the end
    /// (index = partition), -1 = no offset committed for that partition.
    pub committed_offsets: Option<Vec<i64>>,
    /// `retained_count`: how many completed checkpoints the retention policy kept when the job
    /// (the last one to end) reached its terminal status.
    pub retained_count: Option<u32>,
    /// `restored_checkpoints`: the checkpoint (or savepoint) id each restore of the run restored,
    /// in order; 0 = a restore from nothing.
    pub restored_checkpoints: Option<Vec<u64>>,
    /// `seeds`: the seeds under which the file's own expectations (every key above but
    /// `caught_by`) are judged; under any other seed only the checkers judge. For a regression
    /// tied to a seed whose schedule shows the behaviour (`None` = every seed).
    pub seeds: Option<Vec<u64>>,
    /// `transactions_begun`: transactions the two-phase-commit sinks began in the store, over
    /// the whole run (every attempt).
    pub transactions_begun: Option<u64>,
    /// `transactions_aborted`: aborts the two-phase-commit sinks sent to the store (on close,
    /// and on recovery of a restored open transaction), over the whole run.
    pub transactions_aborted: Option<u64>,
}
