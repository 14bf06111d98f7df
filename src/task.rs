//! One task (a subtask of a chained job vertex): barrier handler, source head, operator chain, sink tail and output partitioner, as one sans-IO machine.
//!
//! A task is what a TaskManager slot runs. Its inputs are stream elements from its input
//! channels (`handle_input`), records from its source (`handle_log_records`, `handle_line`), and
//! JobManager messages (`handle_trigger`, `handle_notify_complete`, `handle_notify_aborted`).
//! Its outputs ([`TaskOutput`]) are drained with `poll_output` in the order they were produced:
//! records and events for downstream channels, snapshots to acknowledge, declines, sink
//! operations, offset commits and, at most once, `Failed`.
//!
//! Snapshot protocol (semantics §3): when the barrier handler (or, for a source, the
//! JobManager's trigger) says "trigger", the task takes the synchronous snapshot of every
//! operator, then forwards the barrier downstream *before* any record produced afterwards. For
//! an aligned checkpoint the snapshot is complete at once ([`TaskOutput::Snapshot`]); for an
//! unaligned one, records that the handler marks as in-flight are appended to the snapshot's
//! channel state until the handler reports the channel state complete. The host models the
//! synchronous and asynchronous snapshot cost and sends the acknowledgement.

use crate::barrier::{BarrierHandler, HandlerKind, HandlerOutput};
use crate::ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId};
use crate::operator::{key_group_route, key_of, LifecycleHook, Operator, OperatorContext, SurvivingCounters};
use crate::reason::CheckpointFailureReason;
use crate::record::{Barrier, Lineage, LogRecord, Record, StreamElement, Value};
use crate::sink::{PrintSink, SinkEvent, SinkOutput, TwoPhaseCommitSink, TxnTimeoutPolicy};
use crate::source::{LineSource, LogSource, StartupMode};
use crate::state::{OperatorState, TaskSnapshot, TxnId};
use crate::store::CompletedCheckpoint;
use crate::two_input::{InputGates, InputOperator};
use crate::watermark::{
    SourceWatermarks, StatusWatermarkValve, Watermark, WatermarkEvent, WatermarkStatus, WatermarkStrategy,
};
use crate::{Profile, Variant};
use std::collections::{BTreeMap, VecDeque};

/// The head of a task's chain.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

/// How records are routed to the downstream channels (Flink's StreamPartitioner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partitioner {
    /// One downstream task (same parallelism, one-to-one).
    Forward,
    /// Round robin over `channels` downstream tasks.
    Rebalance {
        /// Downstream tasks.
        channels: u32,
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
    /// The downstream channels of this edge.
    pub fn num_channels(&self) -> u32 {
        match *self {
            Partitioner::Forward => 1,
            Partitioner::Rebalance { channels }
            | Partitioner::Hash { channels }
            | Partitioner::KeyGroups { channels, .. }
            | Partitioner::Broadcast { channels } => channels,
        }
    }
}

/// One chained operator: its instance name (for failure-injector counters) and the operator.
#[derive(Clone, Debug)]
pub struct ChainedOperator {
    /// The instance name, e.g. `Sum[1]`.
    pub instance: String,
    /// The operator.
    pub operator: Operator,
}

/// Everything needed to instantiate one attempt of a task.
#[derive(Clone, Debug)]
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
    /// Tasks of the same source vertex (for union offset state on restore).
    pub source_peers: Vec<TaskId>,
}

/// What the task asks its host to do.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutput {
    /// A record for downstream channel `channel` (output partitioner already applied).
    Emit {
        /// The downstream channel.
        channel: u32,
        /// The record.
        record: Record,
    },
    /// Broadcast a barrier to every downstream channel. `priority`: unaligned; it overtakes
    /// queued records (the host counts them as the barrier's overtaken records).
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
    /// Broadcast a watermark status change (IDLE / ACTIVE) to every downstream channel.
    EmitWatermarkStatus {
        /// The new status.
        status: WatermarkStatus,
    },
    /// A late record for the late side output of the event-time window `operator`
    /// (`sideOutputLateData`).
    LateRecord {
        /// The window operator's instance name.
        operator: String,
        /// The late record.
        record: Record,
    },
}

#[derive(Clone, Debug)]
enum Head {
    Inputs(BarrierHandler),
    Log(LogSource),
    Line(LineSource),
}

#[derive(Clone, Debug)]
enum Tail {
    Output {
        partitioner: Partitioner,
        next_rr: u32,
    },
    /// Several output edges: (partitioner, first channel, round-robin position) per edge.
    Multi(Vec<(Partitioner, u32, u32)>),
    Print(PrintSink),
    TwoPc(TwoPhaseCommitSink),
}

/// An unaligned snapshot whose channel state is still being written.
#[derive(Clone, Debug)]
struct OpenUnaligned {
    id: CheckpointId,
    snapshot: TaskSnapshot,
}

/// One running task attempt (see the module doc).
#[derive(Clone, Debug)]
pub struct Task {
    spec_task: TaskId,
    name: String,
    attempt: Attempt,
    padding_bytes: u64,
    head: Head,
    chain: Vec<ChainedOperator>,
    tail: Tail,
    open_unaligned: Option<OpenUnaligned>,
    failed: bool,
    /// What each chained user operator with list state held right after its restore: (chain
    /// index, entries).
    restored_lists: Vec<(usize, Vec<Value>)>,
    /// Scratch buffers reused for every record (no per-record allocation on the hot path).
    scratch_a: Vec<Record>,
    scratch_b: Vec<Record>,
    outputs: VecDeque<TaskOutput>,
    records_in: u64,
    end: EndOfInput,
    /// Event time (semantics §11); none of it is part of a snapshot.
    event_time: EventTime,
    /// Several input gates: the gate of each channel and the head operator (semantics §14).
    multi: Option<MultiInput>,
    /// Barrier announcements and the output-side aligned timeout (§3.4): off unless the host
    /// turns them on ([`Task::set_barrier_announcements`]).
    announcements: bool,
    output_timer: crate::announce::OutputAlignmentTimer,
}

/// A task's input gates and the operator at its head.
#[derive(Clone, Debug)]
struct MultiInput {
    gates: InputGates,
    operator: InputOperator,
    /// [`Variant::SnapshotAfterFirstGate`]: the handler sees only gate 0's channels.
    first_gate_only: bool,
    /// [`Variant::JoinSnapshotWithoutRight`]: an event join's snapshot leaves out the right side.
    snapshot_without_right: bool,
}

/// A task's event-time machinery: the input valve (tasks with input channels), the source's
/// watermark generators (sources with a watermark strategy), and the last watermark emitted.
#[derive(Clone, Debug, Default)]
struct EventTime {
    valve: Option<StatusWatermarkValve>,
    source: Option<SourceWatermarks>,
    /// The watermark the chain last advanced to (the task's output watermark).
    current: Option<Watermark>,
    /// Late side-output records collected while a chain runs.
    late: Vec<Record>,
}

/// Where the task is on its way to FINISHED (bounded input).
#[derive(Clone, Debug, Default)]
struct EndOfInput {
    /// Input channels that delivered EndOfPartition (non-source tasks).
    ended_channels: u32,
    /// The input ended (source: the host said so; others: every channel ended).
    ended: bool,
    /// Wait for a final checkpoint before finishing (FLIP-147 with checkpointing enabled).
    wait_for_final_checkpoint: bool,
    /// The first checkpoint whose completion lets the task finish (Flink's
    /// `finalCheckpointMinId`); None while not known yet.
    final_min_id: Option<CheckpointId>,
    /// Records processed since the last snapshot (the last snapshot does not cover them).
    dirty: bool,
    last_snapshot: Option<CheckpointId>,
    /// The newest checkpoint whose completion this task learned (or it was restored from).
    last_completed: Option<CheckpointId>,
    /// A task with inputs: the newest checkpoint it was triggered for directly (inputs ended).
    direct_snapshot: Option<CheckpointId>,
    finished: bool,
    /// The stop-with-savepoint savepoint this attempt took (`task_stop.rs`).
    stop: Option<stop::StopAt>,
    /// Records processed after that savepoint's barrier, for the host to report (`task_stop.rs`).
    after_stop: Vec<stop::RecordAfterStop>,
    /// The planted `source-emits-after-stop` variant.
    emits_after_stop: bool,
    profile: Profile,
}

impl Task {
    /// Creates the attempt and restores it from `restore` (the completed checkpoint the
    /// JobManager chose), replaying restored in-flight records first. `committed`/`log_end`
    /// are the broker's group offsets and log ends (log sources only).
    pub fn new(
        spec: TaskSpec,
        now_ms: u64,
        restore: Option<&CompletedCheckpoint>,
        committed: &BTreeMap<PartitionId, Offset>,
        log_end: &BTreeMap<PartitionId, Offset>,
        counters: &mut SurvivingCounters,
    ) -> Task {
        let own = restore.and_then(|cp| cp.tasks.get(&spec.task));
        let variant = spec.variant;
        let head = match &spec.head {
            HeadSpec::Inputs { inputs, handler } => {
                Head::Inputs(BarrierHandler::new(*handler, *inputs, spec.profile, spec.variant))
            }
            HeadSpec::LogSource { .. } | HeadSpec::LogTopic { .. } => {
                let (first, partitions, startup) = match &spec.head {
                    HeadSpec::LogTopic { first_partition, partitions, startup } => {
                        (*first_partition, partitions, startup)
                    }
                    HeadSpec::LogSource { partitions, startup } => (0, partitions, startup),
                    _ => unreachable!("a log head"),
                };
                let mut s =
                    LogSource::new(spec.subtask, spec.parallelism, *partitions, spec.profile, *startup, spec.variant);
                s.set_first_partition(first);
                let union: Option<Vec<&OperatorState>> = restore.map(|cp| {
                    spec.source_peers
                        .iter()
                        .filter_map(|t| cp.tasks.get(t))
                        .filter_map(|snap| snap.operators.first())
                        .collect()
                });
                if let Some(states) = union.as_deref().filter(|_| crate::rescale::source_state_is_split(spec.profile)) {
                    // 2.x: the splits are operator list state, split round robin (§12.3).
                    let own_state = own.and_then(|snap| snap.operators.first());
                    s.assign_partitions(if first == 0 {
                        crate::rescale::restored_source_partitions(
                            own_state,
                            states,
                            *partitions,
                            spec.subtask,
                            spec.parallelism,
                        )
                    } else {
                        topic_partitions(own_state, states, first..first + *partitions, spec.subtask, spec.parallelism)
                    });
                }
                s.initialize(union.as_deref(), committed, log_end);
                Head::Log(s)
            }
            HeadSpec::LineSource => Head::Line(LineSource::default()),
            HeadSpec::MultiInputs { gates, handler } => {
                let channels = if variant == Variant::SnapshotAfterFirstGate {
                    gates.first_gate_channels()
                } else {
                    gates.num_channels()
                };
                Head::Inputs(BarrierHandler::new(*handler, channels, spec.profile, spec.variant))
            }
        };
        let multi = match &spec.head {
            HeadSpec::MultiInputs { gates, .. } => {
                let mut operator = InputOperator::new(gates.operator.clone());
                if let Some(st) = own.and_then(|snap| snap.operators.first()) {
                    operator.restore(st);
                }
                Some(MultiInput {
                    gates: gates.clone(),
                    operator,
                    first_gate_only: variant == Variant::SnapshotAfterFirstGate,
                    snapshot_without_right: variant == Variant::JoinSnapshotWithoutRight,
                })
            }
            _ => None,
        };
        let mut chain = spec.chain;
        // initializeState with restored state: an injector may throw (the task fails at once).
        let restore_failure = if restore.is_some() {
            chain.iter().find_map(|op| {
                op.operator
                    .lifecycle_failure(LifecycleHook::Restore, counters, &op.instance)
                    .map(|m| format!("{}: {m}", op.instance))
            })
        } else {
            None
        };
        if let Some(snap) = own {
            for (i, op) in chain.iter_mut().enumerate() {
                if let Some(st) = snap.operators.get(i + 1) {
                    if variant == Variant::WindowStateNotRestored && matches!(st, OperatorState::EventWindow(_)) {
                        continue;
                    }
                    op.operator.restore(st);
                }
            }
        }
        // Read back before replayed in-flight records change it: what `initializeState` restored.
        let restored_lists: Vec<(usize, Vec<Value>)> = match own {
            Some(_) => chain
                .iter()
                .enumerate()
                .filter_map(|(i, op)| op.operator.user().filter(|u| u.has_list_state()).map(|u| (i, u.snapshot_list())))
                .collect(),
            None => Vec::new(),
        };
        let tail = match &spec.tail {
            TailSpec::Output(p) => Tail::Output { partitioner: p.clone(), next_rr: spec.subtask },
            TailSpec::Outputs(ps) => {
                let mut first = 0;
                Tail::Multi(
                    ps.iter()
                        .map(|p| {
                            let e = (p.clone(), first, spec.subtask);
                            first += p.num_channels();
                            e
                        })
                        .collect(),
                )
            }
            TailSpec::PrintSink => Tail::Print(PrintSink::default()),
            TailSpec::TwoPhaseCommitSink => {
                let mut s = TwoPhaseCommitSink::new(spec.subtask, spec.attempt.0, spec.variant);
                s.initialize(own.and_then(|snap| snap.operators.last()));
                Tail::TwoPc(s)
            }
        };
        let mut task = Task {
            spec_task: spec.task,
            name: spec.name,
            attempt: spec.attempt,
            padding_bytes: spec.padding_bytes,
            head,
            chain,
            tail,
            open_unaligned: None,
            announcements: false,
            output_timer: Default::default(),
            failed: false,
            restored_lists,
            scratch_a: Vec::with_capacity(16),
            scratch_b: Vec::with_capacity(16),
            outputs: VecDeque::new(),
            records_in: 0,
            end: EndOfInput {
                last_completed: restore.map(|cp| cp.id),
                profile: spec.profile,
                emits_after_stop: spec.variant == Variant::SourceEmitsAfterStop,
                ..EndOfInput::default()
            },
            event_time: EventTime {
                // The valve starts at Long.MIN_VALUE on every deployment, restored or not.
                valve: match &spec.head {
                    HeadSpec::Inputs { inputs, .. } => Some(StatusWatermarkValve::new(*inputs)),
                    HeadSpec::MultiInputs { gates, .. } => Some(StatusWatermarkValve::new(gates.num_channels())),
                    _ => None,
                },
                ..EventTime::default()
            },
            multi,
        };
        task.drain_sink();
        if let Some(cause) = restore_failure {
            task.fail(cause);
            task.invariants();
            return task;
        }
        // Unaligned restore: in-flight records are replayed before any new input (§3.3).
        if let Some(snap) = own.filter(|_| variant != Variant::DropChannelStateOnRestore) {
            for (ch, records) in &snap.in_flight {
                for r in records {
                    task.process_from(now_ms, *ch, r.clone(), counters);
                }
            }
        }
        task.invariants();
        task
    }

    /// The task.
    pub fn id(&self) -> TaskId {
        self.spec_task
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its execution attempt.
    pub fn attempt(&self) -> Attempt {
        self.attempt
    }

    /// What each chained user operator with list state held right after this attempt restored
    /// it, before any replayed in-flight record: (chain index, entries). Empty without a restore.
    pub fn restored_lists(&self) -> &[(usize, Vec<Value>)] {
        &self.restored_lists
    }

    /// Whether it failed (user code threw; it produces nothing more).
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    /// Records it took from its source or input channels.
    pub fn records_in(&self) -> u64 {
        self.records_in
    }

    /// Log sources: the next offset to read per owned partition.
    pub fn fetch_positions(&self) -> Option<&BTreeMap<PartitionId, Offset>> {
        match &self.head {
            Head::Log(s) => Some(s.positions()),
            _ => None,
        }
    }

    /// Whether the host may take the next element from input channel `ch`.
    pub fn is_blocked(&self, ch: ChannelId) -> bool {
        match &self.head {
            Head::Inputs(h) => self.handler_channel(ch).is_some_and(|c| h.is_blocked(c)),
            _ => false,
        }
    }

    /// Kafka consumer commit settings of a log-source task (no-op for other heads):
    /// `on_checkpoint = false` is `commit.offsets.on.checkpoint = false`; `auto_commit =
    /// Some((now_ms, interval_ms))` turns on Kafka's periodic auto-commit (checkpointing off).
    pub fn configure_offset_commits(&mut self, on_checkpoint: bool, auto_commit: Option<(u64, u64)>) {
        if let Head::Log(s) = &mut self.head {
            if !on_checkpoint {
                s.disable_commit_on_checkpoint();
            }
            if let Some((now_ms, interval_ms)) = auto_commit {
                s.enable_auto_commit(now_ms, interval_ms);
            }
        }
        self.invariants();
    }

    /// When the log source's periodic auto-commit is due (None: no auto-commit).
    pub fn auto_commit_deadline(&self) -> Option<u64> {
        match &self.head {
            Head::Log(s) => s.poll_timeout(),
            _ => None,
        }
    }

    /// Fires the log source's auto-commit timer: the positions to commit, if due and changed.
    pub fn handle_auto_commit(&mut self, now_ms: u64) -> Option<BTreeMap<PartitionId, Offset>> {
        if self.failed {
            return None;
        }
        let out = match &mut self.head {
            Head::Log(s) => s.handle_timeout(now_ms),
            _ => None,
        };
        self.invariants();
        out
    }

    /// Next barrier-handler timer (aligned-checkpoint timeout), or the output-side alignment
    /// timer (§3.4), whichever is first.
    pub fn poll_timeout(&self) -> Option<u64> {
        let handler = match &self.head {
            Head::Inputs(h) => h.poll_timeout(),
            _ => None,
        };
        [handler, self.output_timer.deadline_ms()].into_iter().flatten().min()
    }

    /// Barrier announcements (§3.4, flink-2.3 aligned-with-timeout checkpoints): the host
    /// announces queued barriers ([`Task::handle_announcement`]) and this task arms the
    /// output-side alignment timer for the barriers it forwards (outputs
    /// [`TaskOutput::ConvertBarrier`]). Off by default: no timer, nothing converted.
    pub fn set_barrier_announcements(&mut self, on: bool) {
        self.announcements = on;
    }

    /// A barrier reached input channel `ch`'s queue, possibly behind records not taken yet
    /// (an announcement, see [`BarrierHandler::handle_announcement`]).
    pub fn handle_announcement(&mut self, now_ms: u64, ch: ChannelId, barrier: Barrier) {
        if self.failed {
            return;
        }
        let hch = self.handler_channel(ch);
        if let (Head::Inputs(handler), Some(hch)) = (&mut self.head, hch) {
            handler.handle_announcement(now_ms, hch, barrier);
            self.drain_handler(now_ms);
        }
        self.invariants();
    }

    /// The next output, in the order the task produced them.
    pub fn poll_output(&mut self) -> Option<TaskOutput> {
        self.outputs.pop_front()
    }

    /// One element from input channel `ch`. `overtaken_records`: for a priority barrier, the
    /// number of records behind it in the queue that logically precede it.
    pub fn handle_input(
        &mut self,
        now_ms: u64,
        ch: ChannelId,
        element: StreamElement,
        overtaken_records: u32,
        counters: &mut SurvivingCounters,
    ) {
        if self.failed {
            return;
        }
        let hch = self.handler_channel(ch);
        let Head::Inputs(handler) = &mut self.head else { panic!("{}: input on a source task", self.name) };
        let Some(hch) = hch else {
            // The planted bug: a channel of a later gate bypasses the barrier handler.
            self.bypass_handler(now_ms, ch, element, counters);
            self.invariants();
            return;
        };
        match element {
            StreamElement::Record(r) => {
                if let Some(id) = handler.handle_record(now_ms, hch) {
                    let open =
                        self.open_unaligned.as_mut().expect("in-flight record without an open unaligned snapshot");
                    assert_eq!(open.id, id, "in-flight record for a checkpoint that is not open");
                    open.snapshot.in_flight.entry(ch).or_default().push(r.clone());
                }
                self.drain_handler(now_ms);
                self.process_from(now_ms, ch, r, counters);
            }
            StreamElement::Barrier(b) => {
                handler.handle_barrier(now_ms, hch, b, overtaken_records);
                self.drain_handler(now_ms);
            }
            StreamElement::CancelMarker(id) => {
                handler.handle_cancel_marker(now_ms, hch, id);
                self.drain_handler(now_ms);
            }
            StreamElement::Watermark(wm) => {
                if let Some(v) = &mut self.event_time.valve {
                    v.input_watermark(ch.0, wm);
                }
                self.drain_valve(now_ms, counters);
            }
            StreamElement::WatermarkStatus(status) => {
                if let Some(v) = &mut self.event_time.valve {
                    v.input_status(ch.0, status);
                }
                self.drain_valve(now_ms, counters);
            }
            StreamElement::EndOfPartition => {
                handler.handle_end_of_partition(now_ms, hch);
                self.drain_handler(now_ms);
                self.end.ended_channels += 1;
                if self.all_inputs_ended() {
                    let wait = self.end.wait_for_final_checkpoint;
                    self.input_ended(now_ms, wait);
                }
            }
        }
        self.invariants();
    }

    /// Non-source tasks: whether to wait for a final checkpoint once every input channel has
    /// ended (set by the host before the input can end; default false = finish at once).
    pub fn set_wait_for_final_checkpoint(&mut self, wait: bool) {
        self.end.wait_for_final_checkpoint = wait;
    }

    /// The bounded input of a source task ended (stopping offsets reached, the socket server
    /// closed, the script returned). `wait_for_final_checkpoint`: FLIP-147 with checkpointing
    /// enabled (flink-2.3): the task finishes only once a checkpoint it took after the end (or
    /// one covering everything it processed) completed; otherwise (flink-1.11) it finishes at
    /// once. Operators are finished (`endInput`/`finish`); the host sends EndOfPartition
    /// downstream and reports FINISHED when [`Task::is_finished`] says so.
    pub fn handle_end_of_input(&mut self, now_ms: u64, wait_for_final_checkpoint: bool) {
        // A source stopped at a synchronous savepoint finishes through its notification.
        if self.failed || self.end.ended || self.end.stop.is_some() {
            return;
        }
        assert!(!matches!(self.head, Head::Inputs(_)), "{}: end of input on a non-source task", self.name);
        self.input_ended(now_ms, wait_for_final_checkpoint);
        self.invariants();
    }

    /// Whether the task may finish now: its input ended and (FLIP-147) its final checkpoint
    /// completed. The host then sends EndOfPartition, closes the task and reports FINISHED.
    pub fn is_finished(&self) -> bool {
        self.end.finished
    }

    /// The newest checkpoint this attempt took a snapshot for.
    pub fn last_snapshot_id(&self) -> Option<CheckpointId> {
        self.end.last_snapshot
    }

    /// The newest checkpoint whose completion this attempt learned (or it was restored from).
    pub fn last_completed_id(&self) -> Option<CheckpointId> {
        self.end.last_completed
    }

    /// Whether the input of this task has ended (it is finishing or finished).
    pub fn input_has_ended(&self) -> bool {
        self.end.ended
    }

    fn input_ended(&mut self, now_ms: u64, wait: bool) {
        self.end_event_time(now_ms);
        self.end.ended = true;
        self.end.wait_for_final_checkpoint = wait;
        if !wait {
            self.end.finished = true;
            return;
        }
        // Everything processed so far is covered by the last snapshot: that checkpoint is the
        // final one. A restored task that processed nothing is covered by the restored
        // checkpoint. Otherwise the next checkpoint this task takes is the final one.
        self.end.final_min_id = if self.end.dirty {
            None
        } else if self.end.last_snapshot.is_some() {
            self.end.last_snapshot
        } else {
            self.end.last_completed
        };
        self.check_final_checkpoint();
    }

    fn check_final_checkpoint(&mut self) {
        if self.end.ended && !self.end.finished {
            match (self.end.final_min_id, self.end.last_completed) {
                (Some(min), Some(done)) if done >= min => self.end.finished = true,
                // Nothing processed, no snapshot, nothing restored: nothing to make durable.
                (None, _) if !self.end.dirty && self.end.last_snapshot.is_none() && self.records_in == 0 => {
                    self.end.finished = true
                }
                _ => {}
            }
        }
    }

    /// Barrier-handler timer or output-side alignment timer fired (each acts only when due).
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if let Head::Inputs(h) = &mut self.head {
            h.handle_timeout(now_ms);
            self.drain_handler(now_ms);
        }
        if let Some(id) = self.output_timer.fire(now_ms) {
            if !self.failed {
                self.outputs.push_back(TaskOutput::ConvertBarrier { id });
            }
        }
        self.invariants();
    }

    /// Records fetched from the broker (log sources), in fetch order.
    pub fn handle_log_records(&mut self, now_ms: u64, records: &[LogRecord], counters: &mut SurvivingCounters) {
        for lr in records {
            if self.failed {
                return;
            }
            let Head::Log(s) = &mut self.head else { panic!("{}: log records on a non-log task", self.name) };
            let r = s.handle_record(lr);
            if let (Some(w), Some(ts)) = (&mut self.event_time.source, r.timestamp) {
                w.on_record(lr.partition, ts);
            }
            self.process(now_ms, r, counters);
        }
        self.invariants();
    }

    /// A line read from the socket (line sources).
    pub fn handle_line(&mut self, now_ms: u64, line: &str, input_seq: u64, counters: &mut SurvivingCounters) {
        if self.failed {
            return;
        }
        let Head::Line(s) = &mut self.head else { panic!("{}: a line on a non-line task", self.name) };
        let r = s.handle_line(line, input_seq);
        self.process(now_ms, r, counters);
        self.invariants();
    }

    /// JobManager trigger: a source task, or (flink-2.3) a task whose upstream tasks all
    /// finished: snapshot now and emit the barrier.
    pub fn handle_trigger(&mut self, now_ms: u64, barrier: Barrier) {
        if self.failed {
            return;
        }
        if matches!(self.head, Head::Inputs(_)) && !self.end.ended {
            // The JobMaster triggers a task with inputs once it saw every upstream task
            // FINISHED; their EndOfPartition may still be on its way on a data channel. Flink
            // would take the barrier as received on those channels
            // (`StreamTask.triggerUnfinishedChannelsCheckpoint`); this model declines instead
            // (not counted as a failure) and the next trigger finds the inputs ended.
            self.outputs.push_back(TaskOutput::Decline {
                id: barrier.id,
                reason: crate::reason::CheckpointFailureReason::CheckpointDeclinedTaskNotReady,
            });
            self.invariants();
            return;
        }
        if self.end.finished {
            // The task finished: its EndOfPartition is queued or sent, and nothing may follow it
            // on a channel. A trigger that reaches it before it reports FINISHED (its output
            // buffers still draining under backpressure) is declined, as Flink declines a
            // checkpoint on a task that is no longer running (`StreamTask.triggerCheckpointAsync`).
            self.outputs.push_back(TaskOutput::Decline {
                id: barrier.id,
                reason: crate::reason::CheckpointFailureReason::CheckpointDeclinedTaskClosing,
            });
            self.invariants();
            return;
        }
        self.before_sync_trigger(now_ms, &barrier);
        if matches!(self.head, Head::Inputs(_)) {
            // Every input channel ended: the task checkpoints at once, as a source does
            // (`StreamTask.triggerCheckpointAsync` with all input gates finished).
            self.end.direct_snapshot = Some(barrier.id);
        }
        self.take_snapshot(now_ms, barrier, false, 0);
        self.invariants();
    }

    /// The newest checkpoint this task with inputs took because the JobManager triggered it
    /// directly (its inputs had all ended), not on barriers: its input channels have no cut.
    pub fn direct_snapshot_id(&self) -> Option<CheckpointId> {
        self.end.direct_snapshot
    }

    /// `notifyCheckpointComplete(id)`: operators and sinks act on the completion (2PC commits,
    /// offset commits, a stop-with-savepoint finishes).
    pub fn handle_notify_complete(&mut self, _now_ms: u64, id: CheckpointId) {
        if self.failed {
            return;
        }
        if let Some(cause) = self.lifecycle_failure(LifecycleHook::NotifyComplete(id.0)) {
            self.fail(cause);
            return;
        }
        if let Head::Log(s) = &mut self.head {
            if let Some(offsets) = s.notify_checkpoint_complete(id) {
                self.outputs.push_back(TaskOutput::CommitOffsets { offsets });
            }
        }
        if let Tail::TwoPc(s) = &mut self.tail {
            s.notify_checkpoint_complete(id);
        }
        self.drain_sink();
        if self.end.last_completed.is_none_or(|c| c < id) {
            self.end.last_completed = Some(id);
        }
        self.check_final_checkpoint();
        self.on_stop_notified(id);
        self.invariants();
    }

    /// `notifyCheckpointAborted(id)`: an alignment of `id` ends, a synchronous savepoint's stop
    /// is undone or fails the task (per profile).
    pub fn handle_notify_aborted(&mut self, now_ms: u64, id: CheckpointId) {
        if self.failed || self.on_stop_aborted(id) {
            return;
        }
        match &mut self.head {
            Head::Log(s) => s.notify_checkpoint_aborted(id),
            Head::Inputs(h) => h.handle_checkpoint_aborted(now_ms, id),
            Head::Line(_) => {}
        }
        if let Tail::TwoPc(s) = &mut self.tail {
            s.notify_checkpoint_aborted(id);
        }
        self.drain_handler(now_ms);
        self.drain_sink();
        self.invariants();
    }

    /// The 2PC sink's transaction-timeout knobs (`TwoPhaseCommitSinkFunction.setTransactionTimeout`,
    /// `ignoreFailuresAfterTransactionTimeout`), set by the host after construction;
    /// `restored_started_ms`: when the restored transactions began. No-op without a 2PC sink.
    pub fn configure_transaction_timeout(
        &mut self,
        now_ms: u64,
        policy: TxnTimeoutPolicy,
        restored_started_ms: &BTreeMap<TxnId, u64>,
    ) {
        if let Tail::TwoPc(s) = &mut self.tail {
            s.set_transaction_timeout_at(now_ms, policy, restored_started_ms);
        }
        self.invariants();
    }

    /// The transactions the 2PC sink's restored state holds (pending ones and the one open at
    /// the snapshot), for the host to look up when they began. Empty without a 2PC sink.
    pub fn restored_transactions(restore: Option<&TaskSnapshot>) -> Vec<TxnId> {
        match restore.and_then(|s| s.operators.last()) {
            Some(OperatorState::TwoPhaseCommit { pending, current }) => {
                pending.iter().map(|(_, t)| *t).chain(*current).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The external store refused the 2PC sink's commit of `txn` at `now_ms` (e.g. it had
    /// aborted the transaction at its transaction timeout). As Flink's
    /// `TwoPhaseCommitSinkFunction`: a failed commit of a completion notification is rethrown
    /// and fails the task; a failed recovery commit (`recoverAndCommitInternal`) is only logged
    /// when failures after the transaction timeout are ignored and the transaction is older
    /// than the timeout (its records are lost), else rethrown. Returns what the sink reported
    /// (warnings, ignored failures) for the host to log.
    pub fn handle_commit_failed(&mut self, now_ms: u64, txn: TxnId) -> Vec<SinkEvent> {
        if self.failed {
            return Vec::new();
        }
        let Tail::TwoPc(s) = &mut self.tail else { panic!("{}: commit failure without a 2PC sink", self.name) };
        let result = s.handle_commit_failed(now_ms, txn);
        let events: Vec<SinkEvent> = std::iter::from_fn(|| s.poll_event()).collect();
        if let Err(e) = result {
            self.fail(format!("two-phase-commit sink: {e}"));
        }
        self.invariants();
        events
    }

    /// The task is being cancelled: a 2PC sink aborts its open transaction.
    pub fn close(&mut self) {
        if let Tail::TwoPc(s) = &mut self.tail {
            s.close();
        }
        self.drain_sink();
    }

    /// Panics if the task's parts disagree (handler, chain, sink and source state).
    pub fn invariants(&self) {
        self.output_timer.invariants();
        assert!(
            self.announcements || self.output_timer.deadline_ms().is_none(),
            "no output timer without announcements"
        );
        if let Some(open) = &self.open_unaligned {
            assert!(open.id > crate::CheckpointId::NONE);
        }
        if self.failed {
            assert!(
                self.outputs.iter().filter(|o| matches!(o, TaskOutput::Failed { .. })).count() <= 1,
                "a task fails at most once"
            );
        }
    }

    // ---------------------------------------------------------------- internals

    fn drain_handler(&mut self, now_ms: u64) {
        loop {
            let Head::Inputs(h) = &mut self.head else { return };
            let Some(out) = h.poll_output() else { return };
            match out {
                HandlerOutput::Trigger { barrier, unaligned, alignment_ms } => {
                    self.take_snapshot(now_ms, barrier, unaligned, alignment_ms)
                }
                HandlerOutput::Abort { id, reason } => {
                    if self.open_unaligned.as_ref().is_some_and(|o| o.id == id) {
                        self.open_unaligned = None;
                    }
                    self.outputs.push_back(TaskOutput::Decline { id, reason });
                    self.outputs.push_back(TaskOutput::EmitCancelMarker { id });
                }
                HandlerOutput::ChannelStateComplete { id } => {
                    if let Some(open) = self.open_unaligned.take() {
                        if open.id == id {
                            self.outputs.push_back(TaskOutput::Snapshot {
                                id,
                                snapshot: open.snapshot,
                                alignment_ms: 0,
                                unaligned: true,
                            });
                        } else {
                            self.open_unaligned = Some(open);
                        }
                    }
                }
                HandlerOutput::PrioritizeBarriers { id } => {
                    self.outputs.push_back(TaskOutput::PrioritizeBarriers { id })
                }
            }
        }
    }

    /// Synchronous snapshot of every operator, then the barrier goes downstream.
    fn take_snapshot(&mut self, _now_ms: u64, barrier: Barrier, unaligned: bool, alignment_ms: u64) {
        let id = barrier.id;
        if self.failed {
            return;
        }
        if let Some(cause) = self.lifecycle_failure(LifecycleHook::SnapshotSync(id.0)) {
            self.fail(cause);
            return;
        }
        let async_failure = self.lifecycle_failure(LifecycleHook::SnapshotAsync(id.0));
        let mut operators = Vec::with_capacity(self.chain.len() + 2);
        match &mut self.head {
            Head::Log(s) => {
                let (st, commit_now) = s.snapshot(id);
                operators.push(st);
                if let Some(offsets) = commit_now {
                    self.outputs.push_back(TaskOutput::CommitOffsets { offsets });
                }
            }
            _ => {
                let mut st = self.multi.as_ref().map_or(OperatorState::None, |m| m.operator.snapshot());
                if self.multi.as_ref().is_some_and(|m| m.snapshot_without_right) {
                    if let OperatorState::Join(j) = &mut st {
                        // The planted bug: the right side's buffer and cleanup timers are left out.
                        j.entries.retain(|e| e.side == 0);
                        j.timers.retain(|t| t.kind != 1);
                    }
                }
                operators.push(st);
            }
        }
        for op in &self.chain {
            operators.push(op.operator.snapshot());
        }
        match &mut self.tail {
            Tail::TwoPc(s) => operators.push(s.snapshot(id)),
            _ => operators.push(OperatorState::None),
        }
        self.drain_sink();
        let snapshot = TaskSnapshot { operators, in_flight: BTreeMap::new(), padding_bytes: self.padding_bytes };
        if self.has_output() {
            self.outputs.push_back(TaskOutput::EmitBarrier { barrier, priority: unaligned });
            if self.announcements {
                self.output_timer.on_forwarded(&barrier, unaligned);
            }
        }
        self.end.last_snapshot = Some(id);
        self.end.dirty = false;
        self.note_sync_snapshot(&barrier);
        if self.end.ended && self.end.final_min_id.is_none() {
            self.end.final_min_id = Some(id);
        }
        if async_failure.is_some() {
            // The barrier went on; the upload fails and the task declines (AsyncCheckpointRunnable).
            self.outputs
                .push_back(TaskOutput::Decline { id, reason: CheckpointFailureReason::CheckpointAsyncException });
        } else if unaligned {
            // A previous open unaligned snapshot that never completed is superseded.
            self.open_unaligned = Some(OpenUnaligned { id, snapshot });
        } else {
            self.outputs.push_back(TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned: false });
        }
    }

    /// Runs one record through the chain and the tail.
    fn process(&mut self, now_ms: u64, record: Record, counters: &mut SurvivingCounters) {
        self.note_if_stopped(record.lineage);
        self.records_in += 1;
        self.end.dirty = true;
        let mut cur = std::mem::take(&mut self.scratch_a);
        cur.clear();
        cur.push(record);
        self.run_chain(now_ms, 0, cur, counters);
    }

    /// Runs `cur` through the chain from operator `start` on, then the tail.
    fn run_chain(&mut self, now_ms: u64, start: usize, mut cur: Vec<Record>, counters: &mut SurvivingCounters) {
        let mut next = std::mem::take(&mut self.scratch_b);
        let mut failure = None;
        'chain: for op in &mut self.chain[start..] {
            next.clear();
            for r in cur.drain(..) {
                let mut ctx = OperatorContext { now_ms, counters, instance: &op.instance };
                if let Err(e) = op.operator.process(&mut ctx, r, &mut next) {
                    failure = Some(e.to_string());
                    break 'chain;
                }
            }
            std::mem::swap(&mut cur, &mut next);
        }
        if self.event_time.current.is_some() {
            self.take_late_records();
        }
        if let Some(cause) = failure {
            self.failed = true;
            self.outputs.push_back(TaskOutput::Failed { cause });
            cur.clear();
            next.clear();
            self.scratch_a = cur;
            self.scratch_b = next;
            return;
        }
        for r in cur.drain(..) {
            match &mut self.tail {
                Tail::Output { partitioner, next_rr } => route(partitioner, next_rr, 0, r, &mut self.outputs),
                Tail::Multi(edges) => {
                    for (partitioner, first, next_rr) in edges.iter_mut() {
                        route(partitioner, next_rr, *first, r.clone(), &mut self.outputs);
                    }
                }
                Tail::Print(s) => {
                    let record = s.invoke(r);
                    self.outputs.push_back(TaskOutput::PrintRow { record });
                }
                Tail::TwoPc(s) => s.invoke(r),
            }
        }
        self.scratch_a = cur;
        self.scratch_b = next;
        self.drain_sink();
    }

    /// An injector of a chained operator that fires at `hook` (no counters: these hooks are
    /// keyed by checkpoint id, which is never reused).
    fn lifecycle_failure(&self, hook: LifecycleHook) -> Option<String> {
        let mut none = SurvivingCounters::default();
        self.chain.iter().find_map(|op| {
            op.operator.lifecycle_failure(hook, &mut none, &op.instance).map(|m| format!("{}: {m}", op.instance))
        })
    }

    /// User code threw outside record processing: the task fails (once).
    fn fail(&mut self, cause: String) {
        if !self.failed {
            self.failed = true;
            self.outputs.push_back(TaskOutput::Failed { cause });
        }
    }

    fn drain_sink(&mut self) {
        if let Tail::TwoPc(s) = &mut self.tail {
            while let Some(op) = s.poll_output() {
                self.outputs.push_back(TaskOutput::Sink(op));
            }
        }
    }
}

/// A topic source's partitions after a restore (2.x split state): the splits of its own
/// restored state, plus the topic's partitions no restored state holds that the owner rule
/// (counted from the topic's first partition) gives it.
fn topic_partitions(
    own: Option<&OperatorState>,
    all: &[&OperatorState],
    topic: std::ops::Range<u32>,
    subtask: u32,
    parallelism: u32,
) -> std::collections::BTreeSet<PartitionId> {
    let keys = |st: &OperatorState| match st {
        OperatorState::SourceOffsets(m) => m.keys().copied().collect::<Vec<_>>(),
        other => panic!("restoring a log source from {other:?}"),
    };
    let restored: std::collections::BTreeSet<PartitionId> = all.iter().flat_map(|st| keys(st)).collect();
    let mut mine: std::collections::BTreeSet<PartitionId> = own.map(keys).unwrap_or_default().into_iter().collect();
    let first = topic.start;
    mine.extend(
        topic.clone().map(PartitionId).filter(|p| !restored.contains(p) && (p.0 - first) % parallelism == subtask),
    );
    mine.retain(|p| topic.contains(&p.0));
    mine
}

/// Routes one record through one output edge whose channels start at `first`.
fn route(partitioner: &Partitioner, next_rr: &mut u32, first: u32, r: Record, outputs: &mut VecDeque<TaskOutput>) {
    let channel = match *partitioner {
        Partitioner::Forward => 0,
        Partitioner::Rebalance { channels } => {
            let c = *next_rr % channels;
            *next_rr = next_rr.wrapping_add(1);
            c
        }
        Partitioner::Hash { channels } => key_group_route(&key_of(&r.value), channels),
        Partitioner::KeyGroups { channels, max_parallelism } => {
            crate::key_group::assign_key_to_parallel_operator(&key_of(&r.value), max_parallelism, channels)
        }
        Partitioner::Broadcast { channels } => {
            for c in 0..channels {
                let mut copy = r.clone();
                copy.lineage.sub = (copy.lineage.sub << crate::operator::FLAT_MAP_SUB_BITS) | c;
                outputs.push_back(TaskOutput::Emit { channel: first + c, record: copy });
            }
            return;
        }
    };
    outputs.push_back(TaskOutput::Emit { channel: first + channel, record: r });
}

// ------------------------------------------------------------------------- several input gates

impl Task {
    /// The input gates of a task with several inputs (None otherwise).
    pub fn input_gates(&self) -> Option<&InputGates> {
        self.multi.as_ref().map(|m| &m.gates)
    }

    /// The barrier handler's channel for input channel `ch`: the same, except under the planted
    /// [`Variant::SnapshotAfterFirstGate`], where channels of later gates have none.
    fn handler_channel(&self, ch: ChannelId) -> Option<ChannelId> {
        match &self.multi {
            Some(m) if m.first_gate_only && m.gates.gate(ch) > 0 => None,
            _ => Some(ch),
        }
    }

    /// Whether records leave this task through output channels (not a sink).
    fn has_output(&self) -> bool {
        matches!(self.tail, Tail::Output { .. } | Tail::Multi(_))
    }

    /// Every input channel delivered EndOfPartition (alignment already counts only the live ones).
    fn all_inputs_ended(&self) -> bool {
        match (&self.head, &self.multi) {
            (Head::Inputs(_), Some(m)) => self.end.ended_channels >= m.gates.num_channels(),
            (Head::Inputs(h), None) => h.num_open_channels() == 0,
            _ => false,
        }
    }

    /// Runs a record from input channel `ch` through the head operator (several gates) and the chain.
    fn process_from(&mut self, now_ms: u64, ch: ChannelId, record: Record, counters: &mut SurvivingCounters) {
        let Some(m) = &mut self.multi else {
            self.process(now_ms, record, counters);
            return;
        };
        self.records_in += 1;
        self.end.dirty = true;
        let side = m.gates.gate(ch);
        let mut cur = std::mem::take(&mut self.scratch_a);
        cur.clear();
        let mut ctx = OperatorContext { now_ms, counters, instance: &self.name };
        if let Err(e) = m.operator.process(&mut ctx, side, record, &mut cur) {
            self.scratch_a = cur;
            self.fail(e.to_string());
            return;
        }
        self.run_chain(now_ms, 0, cur, counters);
    }

    /// The planted bug's path for a channel of a later gate: records are processed at once,
    /// barriers and cancel markers ignored, end of partition counted.
    fn bypass_handler(&mut self, now_ms: u64, ch: ChannelId, element: StreamElement, counters: &mut SurvivingCounters) {
        match element {
            StreamElement::Record(r) => self.process_from(now_ms, ch, r, counters),
            StreamElement::EndOfPartition => {
                self.end.ended_channels += 1;
                if self.all_inputs_ended() {
                    let wait = self.end.wait_for_final_checkpoint;
                    self.input_ended(now_ms, wait);
                }
            }
            _ => {}
        }
    }
}

// ------------------------------------------------------------------------- event time

impl Task {
    /// A socket line with an event timestamp (a timestamp assigner on a line source): like
    /// [`Task::handle_line`], and the source's watermark generator (split 0) sees `timestamp`.
    pub fn handle_timestamped_line(
        &mut self,
        now_ms: u64,
        line: &str,
        input_seq: u64,
        timestamp: i64,
        counters: &mut SurvivingCounters,
    ) {
        if self.failed {
            return;
        }
        let Head::Line(s) = &mut self.head else { panic!("{}: a line on a non-line task", self.name) };
        let mut r = s.handle_line(line, input_seq);
        r.timestamp = Some(timestamp);
        if let Some(w) = &mut self.event_time.source {
            w.on_record(PartitionId(0), timestamp);
        }
        self.process(now_ms, r, counters);
        self.invariants();
    }

    /// The task's output watermark: the last one its chain advanced to (None before the first).
    pub fn current_watermark(&self) -> Option<Watermark> {
        self.event_time.current
    }

    /// The input valve (tasks with input channels).
    pub fn watermark_valve(&self) -> Option<&StatusWatermarkValve> {
        self.event_time.valve.as_ref()
    }

    /// The chained operators (to read event-time window state in tests and checkers).
    pub fn chain(&self) -> &[ChainedOperator] {
        &self.chain
    }

    fn drain_valve(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        while let Some(ev) = self.event_time.valve.as_mut().and_then(|v| v.poll_output()) {
            self.on_watermark_event(now_ms, ev, counters);
        }
    }

    fn drain_source_watermarks(&mut self, now_ms: u64, counters: &mut SurvivingCounters) {
        while let Some(ev) = self.event_time.source.as_mut().and_then(|s| s.poll_output()) {
            self.on_watermark_event(now_ms, ev, counters);
        }
    }

    fn on_watermark_event(&mut self, now_ms: u64, ev: WatermarkEvent, counters: &mut SurvivingCounters) {
        if self.failed {
            return;
        }
        match ev {
            WatermarkEvent::Watermark(wm) => self.advance_watermark(now_ms, wm, counters),
            WatermarkEvent::Status(status) => {
                if self.has_output() {
                    self.outputs.push_back(TaskOutput::EmitWatermarkStatus { status });
                }
            }
        }
    }

    /// Each operator in chain order processes the watermark (an event-time window fires its
    /// timers; the results run through the rest of the chain first), then it goes downstream
    /// (`AbstractStreamOperator.processWatermark`).
    fn advance_watermark(&mut self, now_ms: u64, wm: Watermark, counters: &mut SurvivingCounters) {
        assert!(self.event_time.current.is_none_or(|c| wm > c), "{}: watermark {wm} does not advance", self.name);
        self.event_time.current = Some(wm);
        if let Some(m) = &mut self.multi {
            // The head operator first (an event-time join's timers), its rows through the chain.
            let mut fired = std::mem::take(&mut self.scratch_a);
            fired.clear();
            if m.operator.process_watermark(wm, &mut fired) {
                self.end.dirty = true;
            }
            if fired.is_empty() {
                self.scratch_a = fired;
            } else {
                self.run_chain(now_ms, 0, fired, counters);
            }
        }
        for i in 0..self.chain.len() {
            if self.failed {
                return;
            }
            let mut fired = std::mem::take(&mut self.scratch_a);
            fired.clear();
            self.chain[i].operator.process_watermark(wm, &mut fired);
            if fired.is_empty() {
                self.scratch_a = fired;
            } else {
                // Timers changed the window state: the last snapshot no longer covers it.
                self.end.dirty = true;
                self.run_chain(now_ms, i + 1, fired, counters);
            }
        }
        if !self.failed && self.has_output() {
            self.outputs.push_back(TaskOutput::EmitWatermark { watermark: wm });
        }
    }

    fn take_late_records(&mut self) {
        let mut late = std::mem::take(&mut self.event_time.late);
        for op in &mut self.chain {
            op.operator.take_late_records(&mut late);
            for record in late.drain(..) {
                self.outputs.push_back(TaskOutput::LateRecord { operator: op.instance.clone(), record });
            }
        }
        self.event_time.late = late;
    }

    /// End of a bounded source input with a watermark strategy: `MAX_WATERMARK` fires every
    /// timer and goes downstream before the end of partition. (The end-of-input hook carries no
    /// surviving counters: operators chained after the window see the fired results with fresh
    /// injector counters.)
    fn end_event_time(&mut self, now_ms: u64) {
        if let Some(s) = &mut self.event_time.source {
            s.end_of_input();
            let mut counters = SurvivingCounters::default();
            while let Some(ev) = self.event_time.source.as_mut().and_then(|s| s.poll_output()) {
                self.on_watermark_event(now_ms, ev, &mut counters);
            }
        }
    }
}

#[cfg(test)]
#[path = "task_event_time_tests.rs"]
mod event_time_tests;

pub use stop::RecordAfterStop;

#[path = "task_stop.rs"]
mod stop;

#[path = "task_watermarks.rs"]
mod watermarks;

/// Lineage helper for sources that build records outside a `LineSource`.
pub fn lineage(input_seq: u64) -> Lineage {
    Lineage { input_seq, sub: 0 }
}
