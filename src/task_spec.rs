//! A task's description and outputs: what the JobGraph/`StreamConfig` tells a Flink task (its chain head, operators, tail and partitioner, `TaskSpec`) and what the task emits (`TaskOutput`).

use super::*;

/// The head of a task's chain.
#[derive(Clone, Debug, Hash, PartialEq)]
pub enum HeadSpec {
    /// Not a source: `inputs` input channels, handled by a barrier handler of `handler` kind.
    Inputs {
        /// Input channels.
        inputs: u32,
        /// The barrier handler's kind.
        handler: HandlerKind,
    },
    /// Kafka-like partitioned-log source.
    LogSource {
        /// Partitions of the log.
        partitions: u32,
        /// The topic's name: which subtask reads its partition 0 (`rescale::kafka_split_owner`).
        topic: String,
        /// Where a fresh source starts reading.
        startup: StartupMode,
    },
    /// Socket-like line source (non-replayable).
    LineSource,
    /// A Kafka-like source of a job with several sources: it reads its own topic, the broker
    /// partitions `first_partition..first_partition + partitions` (semantics §14).
    LogTopic {
        /// The topic's first partition in the log.
        first_partition: u32,
        /// The topic's name: which subtask reads its partition 0 (`rescale::kafka_split_owner`).
        topic: String,
        /// The topic's partitions.
        partitions: u32,
        /// Where a fresh source starts reading.
        startup: StartupMode,
    },
    /// Several input gates (a union or a two-input operator): one barrier handler of `handler`
    /// kind over every channel of every gate, and the head operator that sees each record's
    /// gate (`two_input.rs`, semantics §14).
    MultiInputs {
        /// The gate of each input channel and the operator at their head.
        gates: InputGates,
        /// The barrier handler's kind.
        handler: HandlerKind,
    },
}

/// The tail of a task's chain.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum TailSpec {
    /// Records leave the task through the output partitioner.
    Output(Partitioner),
    /// The at-least-once print sink: every record is an output row at once.
    PrintSink,
    /// The two-phase-commit sink (semantics §7).
    TwoPhaseCommitSink,
    /// Several output edges (an operator feeding several downstream operators): every record
    /// goes to each edge through that edge's partitioner; edge `e`'s channels follow those of
    /// edges `0..e` ([`Partitioner::num_channels`]).
    Outputs(Vec<Partitioner>),
    /// Several output edges of a task whose chain ends in an event-time window with a late
    /// side output consumed downstream (Flink's `getSideOutput(lateOutputTag)`: the tail's
    /// `RecordWriterOutput` of the side tag): `(partitioner, late)` per edge, channels as in
    /// [`TailSpec::Outputs`]. The window's results go to the edges with `late` None, its late
    /// elements (`WindowOperator#sideOutput`) to those with that tag; barriers, watermarks
    /// and the end of partition go to every edge alike.
    Tagged(Vec<(Partitioner, Option<LateTag>)>),
    /// A chain that is a tree (Flink's `OperatorChain` where an operator has several outputs:
    /// `createOutputCollector` puts its `RecordWriterOutput`s first, then its `ChainingOutput`s,
    /// behind a `BroadcastingOutputCollector`): each node's records go to its hops in order,
    /// one record at a time through each hop's whole subtree. Used only for a chain that is not
    /// a line (a linear chain keeps the variants above).
    Tree(ChainTree),
}

/// The wiring of a chain that is a tree ([`TailSpec::Tree`]).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ChainTree {
    /// Per node, where its records go, in Flink's order (network outputs first, then chained
    /// operators in the order of their edges): node 0 is the head (the source or the input
    /// operator), node `i + 1` the chained operator `i`. A hop to an operator goes forward
    /// (`ChainHop::Op(j)` and `ChainHop::LateOp(j)` from node `n` have `j + 1 > n`), and every
    /// chained operator is reached by exactly one hop.
    pub hops: Vec<Vec<ChainHop>>,
    /// The chain's ends: its network output edges (channels numbered in the order of the edges
    /// here, as [`TailSpec::Outputs`]) and its sinks (at most one two-phase-commit sink).
    pub ends: Vec<ChainEnd>,
}

/// A late side output (Flink's `OutputTag` of a `RecordWriterOutput` or `ChainingOutput`): an
/// event-time window's (`sideOutputLateData`), or one input side's of the interval join at the
/// task's head (`IntervalJoined#sideOutputLeftLateData` / `#sideOutputRightLateData`, session 34).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum LateTag {
    /// The late elements of the chain's event-time window.
    Window,
    /// The late elements of this input side (0 left, 1 right) of the head's interval join.
    Join(u32),
}

/// One output of a node of a [`ChainTree`].
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChainHop {
    /// The chained operator at this index of the chain (Flink's `ChainingOutput`).
    Op(usize),
    /// The chain's end at this index of [`ChainTree::ends`].
    End(usize),
    /// The chained operator at this index, a consumer of the node's late side output (Flink's
    /// `ChainingOutput` built with the window's late `OutputTag`): it takes none of the node's
    /// records, only the late elements its event-time window sends to the side output
    /// (`WindowOperator#sideOutput`; [`Task`](crate::task::Task)'s `take_late_records`), or
    /// the head's interval join sends to the side output of the tag's side.
    LateOp(usize, LateTag),
    /// A sink chained directly onto the node's late side output (as [`ChainHop::LateOp`]): the
    /// chain's end at this index of [`ChainTree::ends`].
    LateEnd(usize, LateTag),
}

impl TailSpec {
    /// Every network output edge's partitioner, in the tail's edge order (a tree's in the order
    /// of its ends).
    pub fn partitioners_mut(&mut self) -> Vec<&mut Partitioner> {
        match self {
            TailSpec::Output(p) => vec![p],
            TailSpec::Outputs(ps) => ps.iter_mut().collect(),
            TailSpec::Tagged(ps) => ps.iter_mut().map(|(p, _)| p).collect(),
            TailSpec::Tree(tree) => tree
                .ends
                .iter_mut()
                .filter_map(|e| match e {
                    ChainEnd::Edge(p, _) => Some(p),
                    _ => None,
                })
                .collect(),
            TailSpec::PrintSink | TailSpec::TwoPhaseCommitSink => Vec::new(),
        }
    }
}

/// One end of a [`ChainTree`].
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChainEnd {
    /// A network output edge (`RecordWriterOutput`) with its partitioner; `late`: the late side
    /// output it carries, if any (no hop leads to it: the chain's late elements of that tag go
    /// to every edge with the tag, as [`TailSpec::Tagged`]).
    Edge(Partitioner, Option<LateTag>),
    /// A print sink: its rows carry its index among the chain's print sinks
    /// ([`TaskOutput::PrintRow`]'s `sink`).
    PrintSink,
    /// The two-phase-commit sink (its state is the snapshot's last operator state).
    TwoPhaseCommitSink,
}

/// How records are routed to the downstream channels (Flink's StreamPartitioner).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Partitioner {
    /// One downstream task (same parallelism, one-to-one).
    Forward,
    /// Round robin over `channels` downstream tasks (`RebalancePartitioner`): the first record
    /// goes to `(start + 1) % channels`, each next one to the channel after.
    Rebalance {
        /// Downstream tasks.
        channels: u32,
        /// Flink's `nextChannelToSendTo` after `RebalancePartitioner#setup`, a draw in
        /// `0..channels` per output edge of each task attempt (`ThreadLocalRandom` in Flink,
        /// a seeded draw given by the host here).
        start: u32,
    },
    /// Key-group routing by `key_of(value)` over `channels` downstream tasks (key_by), with
    /// 128 key groups ([`crate::operator::MAX_PARALLELISM`]).
    Hash {
        /// Downstream tasks.
        channels: u32,
    },
    /// Key-group routing with the downstream vertex's max parallelism (the number of key
    /// groups; [`crate::key_group`]). With 128 it routes exactly as `Hash`.
    KeyGroups {
        /// Downstream tasks.
        channels: u32,
        /// Key groups (the downstream operator's max parallelism).
        max_parallelism: u32,
    },
    /// Every record to each of `channels` downstream tasks (`DataStream.broadcast()`); copy `c`
    /// gets lineage sub-index `sub << FLAT_MAP_SUB_BITS | c` so copies stay distinguishable.
    Broadcast {
        /// Downstream tasks.
        channels: u32,
    },
}

impl Partitioner {
    /// The round-robin position an edge starts from: a rebalance's drawn start, 0 otherwise.
    pub fn round_robin_start(&self) -> u32 {
        match *self {
            Partitioner::Rebalance { start, .. } => start,
            _ => 0,
        }
    }

    /// The downstream channels of this edge.
    pub fn num_channels(&self) -> u32 {
        match *self {
            Partitioner::Forward => 1,
            Partitioner::Rebalance { channels, .. }
            | Partitioner::Hash { channels }
            | Partitioner::KeyGroups { channels, .. }
            | Partitioner::Broadcast { channels } => channels,
        }
    }
}

/// One chained operator: its instance name (for failure-injector counters) and the operator.
#[derive(Clone, Debug, Hash)]
pub struct ChainedOperator {
    /// The instance name, e.g. `Sum[1]`.
    pub instance: String,
    /// The operator.
    pub operator: Operator,
}

/// Everything needed to instantiate one attempt of a task.
#[derive(Clone, Debug, Hash)]
pub struct TaskSpec {
    /// The task.
    pub task: TaskId,
    /// Its name, e.g. `Sum[1]`.
    pub name: String,
    /// Subtask index within its vertex, and the vertex parallelism.
    pub subtask: u32,
    /// The vertex parallelism.
    pub parallelism: u32,
    /// The execution attempt.
    pub attempt: Attempt,
    /// What feeds the chain: a source or input channels.
    pub head: HeadSpec,
    /// The chained operators, in order.
    pub chain: Vec<ChainedOperator>,
    /// Where the chain's output goes.
    pub tail: TailSpec,
    /// The Flink version whose rules apply.
    pub profile: Profile,
    /// The protocol variant (correct or one planted bug).
    pub variant: Variant,
    /// Extra modelled state size added to every snapshot of this task.
    pub padding_bytes: u64,
    /// Every task of this task's vertex, in subtask order (union list state on restore: the
    /// 1.11 Kafka source's offsets, a user operator's `getUnionListState`).
    pub vertex_peers: Vec<TaskId>,
}

/// What the task asks its host to do.
#[derive(Clone, Debug, Hash, PartialEq)]
pub enum TaskOutput {
    /// A record for downstream channel `channel` (output partitioner already applied).
    Emit {
        /// The downstream channel.
        channel: u32,
        /// The record.
        record: Record,
    },
    /// Broadcast a barrier to every downstream channel. `priority`: unaligned; it overtakes
    /// queued records (the host hands them in as the barrier's overtaken records).
    EmitBarrier {
        /// The barrier.
        barrier: Barrier,
        /// Unaligned: it overtakes the queued output records.
        priority: bool,
    },
    /// Broadcast a cancel marker downstream.
    EmitCancelMarker {
        /// The aborted checkpoint.
        id: CheckpointId,
    },
    /// The snapshot for `id` is complete (sync part taken; host models async cost and acks).
    /// `alignment_ms` is the time from first to last barrier.
    Snapshot {
        /// The checkpoint.
        id: CheckpointId,
        /// The task's state (operators, in-flight channel state).
        snapshot: TaskSnapshot,
        /// Time from the first to the last barrier, ms.
        alignment_ms: u64,
        /// Whether the checkpoint was unaligned for this task.
        unaligned: bool,
    },
    /// Decline checkpoint `id` to the JobManager.
    Decline {
        /// The declined checkpoint.
        id: CheckpointId,
        /// Why.
        reason: CheckpointFailureReason,
    },
    /// Move `id`'s barrier to the front of every input queue still holding it (aligned timeout).
    PrioritizeBarriers {
        /// The checkpoint that switched to unaligned.
        id: CheckpointId,
    },
    /// The output-side alignment timer of `id` fired (§3.4, flink-2.3, only with barrier
    /// announcements on): if `id`'s aligned barrier is still in this task's output buffers, the
    /// host sends it now as an unaligned priority barrier ahead of the records in front of it,
    /// which become channel state of `id` (carried as the barrier's overtaken records).
    ConvertBarrier {
        /// The checkpoint whose barrier to convert.
        id: CheckpointId,
    },
    /// An output row of the at-least-once print sink.
    PrintRow {
        /// The printed record.
        record: Record,
        /// Which print sink of the chain printed it: its index among the chain's print sinks
        /// (0 but in a [`ChainTree`] with several).
        sink: u32,
    },
    /// A two-phase-commit sink operation for the external transactional store.
    Sink(SinkOutput),
    /// Commit these offsets (next to read) to the broker's group offsets.
    CommitOffsets {
        /// Next offset to read, per partition.
        offsets: BTreeMap<PartitionId, Offset>,
    },
    /// A user function threw: the task fails (the host reports FAILED).
    Failed {
        /// What was thrown.
        cause: String,
    },
    /// Broadcast a watermark to every downstream channel (after the records it follows).
    EmitWatermark {
        /// The watermark.
        watermark: Watermark,
    },
    /// Broadcast `EndOfData` to every downstream channel (2.x, FLIP-147: `StreamTask.endData`
    /// after the task's operators finished; no record follows on the channels, barriers still
    /// do). Emitted at the end of a bounded input where the job checkpoints after tasks finish,
    /// and on a `stop --drain` ahead of the savepoint's barrier (semantics §12.6).
    EmitEndOfData,
    /// Broadcast a watermark status change (IDLE / ACTIVE) to every downstream channel.
    EmitWatermarkStatus {
        /// The new status.
        status: WatermarkStatus,
    },
    /// A late record for the late side output of the event-time window `operator`
    /// (`sideOutputLateData`), or of one side of the interval join at the head (session 34).
    LateRecord {
        /// The window operator's instance name (the task's name for the head's join).
        operator: String,
        /// Which side output: the window's, or the join side's.
        tag: LateTag,
        /// The late record.
        record: Record,
    },
    /// A processing-time window `operator` assigned `record` to `windows` at the task's
    /// processing time (which window an element goes to depends on when it arrives: the
    /// `windows` checker's reference is these assignments, the last one of each element); or,
    /// when the host marked the window in the task spec (`Operator::record_window_assignments`), an event-time window
    /// took `record` into `windows` (empty: every window of it was late).
    WindowAssigned {
        /// The window operator's instance name.
        operator: String,
        /// The element (value, lineage).
        record: Record,
        /// The windows it went to, in the assigner's order.
        windows: Vec<crate::window::TimeWindow>,
    },
    /// An event-time join `operator` marked by the host (`InputGates::record_join`, a join fed
    /// by a late side output, session 29) took `record` into its buffers, dropped it as late,
    /// or emitted it as a joined row (`event`).
    JoinJudged {
        /// The join's instance name.
        operator: String,
        /// The element (or the joined row).
        record: Record,
        /// What the join did with it.
        event: crate::join::JoinEvent,
    },
    /// The input of a task with a processing-time window `operator` ended: its timers already
    /// due fired, the timer service is quiesced, and `pending` (key, window) never fire in this
    /// attempt (`StreamOperatorWrapper.quiesceTimeServiceAndFinishOperator`).
    ProcessingTimersQuiesced {
        /// The window operator's instance name.
        operator: String,
        /// The windows whose timers were dropped, by key.
        pending: Vec<(crate::record::Value, crate::window::TimeWindow)>,
    },
}
