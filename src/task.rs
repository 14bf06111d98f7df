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
use crate::rescale::ListMode;
use crate::sink::{PrintSink, SinkEvent, SinkOutput, TwoPhaseCommitSink, TxnTimeoutPolicy};
use crate::source::{LineSource, LogSource, StartupMode};
use crate::state::{OperatorState, TaskSnapshot, TxnId};
use crate::store::CompletedCheckpoint;
use crate::two_input::{InputGates, InputOperator};
use crate::watermark::{InputValve, SourceWatermarks, Watermark, WatermarkEvent, WatermarkStatus, WatermarkStrategy};
use crate::{Profile, Variant};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, Hash)]
enum Head {
    Inputs(BarrierHandler),
    Log(LogSource),
    Line(LineSource),
}

#[derive(Clone, Debug, Hash)]
enum Tail {
    Output {
        partitioner: Partitioner,
        next_rr: u32,
    },
    /// Several output edges: (partitioner, first channel, round-robin position, late side
    /// output edge) per edge.
    Multi(Vec<(Partitioner, u32, u32, Option<LateTag>)>),
    Print(PrintSink),
    TwoPc(TwoPhaseCommitSink),
    /// A chain that is a tree ([`TailSpec::Tree`]).
    Tree(TreeTail),
}

/// The tail of a chain that is a tree: per node its hops, and the chain's ends.
#[derive(Clone, Debug, Hash)]
struct TreeTail {
    hops: Vec<Vec<ChainHop>>,
    ends: Vec<TreeEnd>,
}

/// One end of a tree's tail.
#[derive(Clone, Debug, Hash)]
enum TreeEnd {
    /// (partitioner, first channel, round-robin position, late side output edge), as
    /// `Tail::Multi`'s edges.
    Edge((Partitioner, u32, u32, Option<LateTag>)),
    /// A print sink and its index among the chain's print sinks.
    Print(PrintSink, u32),
    TwoPc(TwoPhaseCommitSink),
}

impl Tail {
    /// The two-phase-commit sink, wherever the chain holds it.
    fn two_pc(&mut self) -> Option<&mut TwoPhaseCommitSink> {
        match self {
            Tail::TwoPc(s) => Some(s),
            Tail::Tree(t) => t.ends.iter_mut().find_map(|e| match e {
                TreeEnd::TwoPc(s) => Some(s),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The output edges (partitioner, first channel, round-robin position, late) of a tail
    /// with several: `Tail::Multi`'s or a tree's network ends.
    fn edges_mut(&mut self) -> Vec<&mut (Partitioner, u32, u32, Option<LateTag>)> {
        match self {
            Tail::Multi(edges) => edges.iter_mut().collect(),
            Tail::Tree(t) => t
                .ends
                .iter_mut()
                .filter_map(|e| match e {
                    TreeEnd::Edge(edge) => Some(edge),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// An unaligned snapshot whose channel state is still being written.
#[derive(Clone, Debug, Hash)]
struct OpenUnaligned {
    id: CheckpointId,
    snapshot: TaskSnapshot,
}

/// One running task attempt (see the module doc).
#[derive(Clone, Debug, Hash)]
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
    /// What each chained event-time window held right after its restore (session 40): (chain
    /// index, contents and timers).
    restored_windows: Vec<(usize, crate::window::EventWindowState)>,
    /// What a broadcast-process head held right after its restore (session 38): each of its
    /// states' entries in snapshot order (`broadcast_process::state_parts`; session 39: several
    /// broadcast states, keyed state). None without a restore or another head.
    restored_head_lists: Option<Vec<Vec<Value>>>,
    /// Scratch buffers reused for every record (no per-record allocation on the hot path).
    scratch_a: Vec<Record>,
    scratch_b: Vec<Record>,
    outputs: VecDeque<TaskOutput>,
    records_in: u64,
    /// Records of in-flight channel state in the snapshot this attempt was restored from
    /// (0 without a restore or channel state): all of them are replayed before any new input.
    recovered_channel_records: u64,
    /// Store operations the 2PC sink issued ([`Task::sink_ops`]).
    sink_ops: u64,
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
#[derive(Clone, Debug, Hash)]
struct MultiInput {
    gates: InputGates,
    operator: InputOperator,
    /// [`Variant::SnapshotAfterFirstGate`]: the handler sees only gate 0's channels.
    first_gate_only: bool,
    /// [`Variant::JoinSnapshotWithoutRight`]: an event join's snapshot leaves out the right side.
    snapshot_without_right: bool,
    /// [`Variant::LaterGateLostOnRestore`]: a restored attempt fed by one producer through
    /// several gates drops its later gates' records until its first snapshot.
    later_gates_lost: bool,
}

/// A task's event-time machinery: the input valve (tasks with input channels), the source's
/// watermark generators (sources with a watermark strategy), and the last watermark emitted.
#[derive(Clone, Debug, Hash, Default)]
struct EventTime {
    valve: Option<InputValve>,
    source: Option<SourceWatermarks>,
    /// The watermark the chain last advanced to (the task's output watermark).
    current: Option<Watermark>,
    /// Late side-output records collected while a chain runs.
    late: Vec<Record>,
    /// The planted `late-side-output-lost-on-restore`: a restored attempt records its late
    /// elements but sends none on its late side-output edges.
    late_lost: bool,
    /// Late elements this attempt sent to a late side output consumed downstream (counted
    /// under the planted `late_lost` too: the host records each one).
    late_sent: u64,
    /// Per snapshot taken since the host last asked, how many late elements were sent before
    /// its cut (`Task::take_late_cuts`).
    late_cuts: Vec<(CheckpointId, u64)>,
    /// The chain holds a processing-time window (its timers fire by the task's clock, and its
    /// element assignments go to the host).
    processing: bool,
    /// A window of the chain records its event-time assignments (marked in the task spec).
    assignments: bool,
    /// Assignments of event-time windows this attempt handed to the host so far.
    assigned_taken: u64,
    /// Per snapshot taken since the host last asked, how many assignments were handed over
    /// before its cut (`Task::take_assignment_cuts`).
    assignment_cuts: Vec<(CheckpointId, u64)>,
    /// The planted `restored-due-timers-dropped`: the first processing-time firing after a
    /// restore clears the due windows instead of firing them.
    drop_due_once: bool,
    /// The planted `source-idle-without-flush` variant: the source's splits combine as 1.11's
    /// multiplexer does under every profile.
    idle_without_flush: bool,
    /// The planted `watermark-before-window-results` variant: a chain with an event-time
    /// window forwards the watermark before firing its timers.
    watermark_first: bool,
    /// The planted `idleness-ignores-activity` variant: a source split's records do not reset
    /// its idleness timer.
    idleness_ignores_activity: bool,
    /// The planted `watermark-without-minus-one` variant: a source split's bounded generator
    /// emits `max - bound`.
    watermark_without_minus_one: bool,
    /// The planted `end-of-input-without-max-watermark` variant: a bounded source's end of
    /// input emits no `MAX_WATERMARK`.
    end_without_max_watermark: bool,
    /// The planted `idle-split-never-resumes` variant: a source split marked idle stays idle.
    idle_never_resumes: bool,
}

/// Where the task is on its way to FINISHED (bounded input).
#[derive(Clone, Debug, Hash, Default)]
struct EndOfInput {
    /// Input channels that delivered EndOfPartition (non-source tasks).
    ended_channels: u32,
    /// Input channels that delivered EndOfData or EndOfPartition (non-source tasks): when all
    /// did, the task's input ended (2.x ends its data before its upstream finished).
    data_ended: std::collections::BTreeSet<ChannelId>,
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
    /// The planted `drain-without-end-of-data` variant.
    drain_without_end_of_data: bool,
    /// The planted `stop-aborted-after-notification` variant.
    abort_after_notification: bool,
    /// The planted `finish-without-final-checkpoint` variant: the input's end never waits.
    without_final_checkpoint: bool,
    /// The planted `finish-before-final-notify` variant: the final snapshot taken is enough.
    finish_at_final_snapshot: bool,
    /// The chain's `endInput` / `finish` ran (once per attempt), or a finished-on-restore
    /// attempt's chain counts as ended.
    chain_ended: bool,
    /// This attempt ran its chain's `endInput` / `finish` itself (never for a finished-on-restore
    /// attempt: read by the world for the `restart` checker's finished-on-restore rule).
    ran_end_input: bool,
    /// FLIP-147 (2.x): restored from a snapshot taken after its operators finished, the task is
    /// deployed as finished (Flink's `FinishedOnRestoreOperatorChain`, with
    /// `StreamTaskFinishedOnRestoreSourceInput` / `FinishedOnRestoreInput`): its operators are
    /// not run again (no second `endInput` / `finish`), its input ends at once, and it still
    /// takes part in the first checkpoint after the restore as its final one
    /// (`StreamTask#performCheckpoint` sets `finalCheckpointMinId` to the first checkpoint
    /// after end of data).
    restored_finished: bool,
    /// Restored from an entry the JobManager filled in for a task that was already FINISHED at
    /// the checkpoint's trigger ([`TaskSnapshot::from_finished_task`]): Flink deploys it with a
    /// `FinishedOperatorChain`, whose operators are never initialised, notified or snapshotted.
    /// Its 2PC sink is [deployed finished](TwoPhaseCommitSink::deploy_finished), its source
    /// commits no offsets, no user lifecycle hook runs. (A task restored from its own final
    /// checkpoint's snapshot, taken after its operators finished, is restored with that state.)
    dormant: bool,
    /// Restored from such an entry (also under the planted `finished-on-restore-runs-again`,
    /// which deploys it as a running chain): for the `restart` checker.
    from_finished_task: bool,
    /// Restored from an entry marked finished of either kind (its own final checkpoint's
    /// snapshot, or one filled in for a task FINISHED at the trigger), whether or not its vertex
    /// was fully finished: for the `restart` checker.
    restored_entry_finished: bool,
    /// Its whole vertex was finished in the restored checkpoint: Flink deploys it as finished
    /// (whatever a plant does): for the `restart` checker.
    vertex_finished: bool,
    /// An input channel delivered EndOfData: the task passes it on when its own input ends.
    saw_end_of_data: bool,
    /// A 2.x `stop --drain` ended this source's input ahead of the savepoint's barrier (its stop
    /// is recorded once the snapshot is taken).
    draining: bool,
    profile: Profile,
}

impl Task {
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

    /// What each chained window operator held right after this attempt restored it, before any
    /// replayed in-flight record (session 40): (chain index, its windows' contents and timers,
    /// as [`crate::window::EventWindowOperator::snapshot`] gives them). Empty without a restore
    /// or when the task's entry holds no state (a subtask FINISHED at the trigger of a vertex
    /// not fully finished). The host compares it with the checkpoint's (the `windows` checker).
    pub fn restored_windows(&self) -> &[(usize, crate::window::EventWindowState)] {
        &self.restored_windows
    }

    /// What a broadcast-process head (slot 0 of the snapshot) held right after this attempt
    /// restored it, before any replayed in-flight record: each state's entries, in snapshot
    /// order (`broadcast_process::state_parts`). None without a restore.
    pub fn restored_head_lists(&self) -> Option<&[Vec<Value>]> {
        self.restored_head_lists.as_deref()
    }

    /// Whether it failed (user code threw; it produces nothing more).
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    /// Records it took from its source or input channels.
    pub fn records_in(&self) -> u64 {
        self.records_in
    }

    /// Records of in-flight channel state in the snapshot this attempt was restored from (an
    /// unaligned checkpoint's recovered input buffers; 0 without them). Flink replays them all
    /// before any new input (`SequentialChannelStateReaderImpl#readInputData` over every input
    /// gate), so right after the restore [`Task::records_in`] equals this.
    pub fn recovered_channel_records(&self) -> u64 {
        self.recovered_channel_records
    }

    /// Log sources: the next offset to read per owned partition.
    pub fn fetch_positions(&self) -> Option<&BTreeMap<PartitionId, Offset>> {
        match &self.head {
            Head::Log(s) => Some(s.positions()),
            _ => None,
        }
    }

    /// The barrier handler's kind (`None` for a source task).
    pub fn handler_kind(&self) -> Option<HandlerKind> {
        match &self.head {
            Head::Inputs(h) => Some(h.kind()),
            _ => None,
        }
    }

    /// The outputs produced and not yet drained, oldest first: a host's observer reads what
    /// one call produced (those beyond the count it saw before the call).
    pub fn queued_outputs(&self) -> std::collections::vec_deque::Iter<'_, TaskOutput> {
        self.outputs.iter()
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

    /// One element from input channel `ch`. `overtaken`: for a priority barrier, the records
    /// behind it in the queue (or still in the sender's buffers) that logically precede it, in
    /// channel order; empty for anything else. When the barrier counts for an unaligned
    /// checkpoint they are persisted at once as its channel state of `ch` (semantics §3.3);
    /// either way they are still to be handed in, as records, after the barrier.
    pub fn handle_input(
        &mut self,
        now_ms: u64,
        ch: ChannelId,
        element: StreamElement,
        overtaken: &[Record],
        counters: &mut SurvivingCounters,
    ) {
        if self.failed {
            return;
        }
        let hch = self.handler_channel(ch);
        let Head::Inputs(handler) = &mut self.head else { panic!("{}: input on a source task", self.name) };
        assert!(
            overtaken.is_empty() || matches!(element, StreamElement::Barrier(_)),
            "{}: only a barrier overtakes records",
            self.name
        );
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
                handler.handle_barrier(now_ms, hch, b, overtaken.len() as u32);
                self.drain_handler_with(now_ms, Some((ch, overtaken)));
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
                self.end.data_ended.insert(ch);
                self.after_end_of_channel(now_ms);
            }
            StreamElement::EndOfData => {
                self.end.saw_end_of_data = true;
                self.end.data_ended.insert(ch);
                self.after_end_of_channel(now_ms);
            }
        }
        self.invariants();
    }

    /// The job runs without checkpointing: a two-phase-commit sink tail behaves as `mode` says
    /// ([`crate::sink::NoCheckpointing`], per profile). No-op without one. Set by the host
    /// before the first record.
    pub fn set_sink_without_checkpointing(&mut self, mode: crate::sink::NoCheckpointing) {
        if let Some(s) = self.tail.two_pc() {
            s.set_no_checkpointing(mode);
        }
        self.invariants();
    }

    /// Store operations its two-phase-commit sink issued in this attempt (begin, write,
    /// pre-commit, commit, abort); 0 without one.
    pub fn sink_ops(&self) -> u64 {
        self.sink_ops
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

    /// The 2PC sink's transaction-timeout knobs (`TwoPhaseCommitSinkFunction.setTransactionTimeout`,
    /// `ignoreFailuresAfterTransactionTimeout`), set by the host after construction;
    /// `restored_started_ms`: when the restored transactions began. No-op without a 2PC sink.
    pub fn configure_transaction_timeout(
        &mut self,
        now_ms: u64,
        policy: TxnTimeoutPolicy,
        restored_started_ms: &BTreeMap<TxnId, u64>,
    ) {
        if let Some(s) = self.tail.two_pc() {
            s.set_transaction_timeout_at(now_ms, policy, restored_started_ms);
        }
        self.invariants();
    }

    /// The 2PC sink handles refused commits as Sink V2's Kafka committer does
    /// ([`TwoPhaseCommitSink::use_sink_v2_committer`]). No-op without a 2PC sink.
    pub fn use_sink_v2_committer(&mut self) {
        if let Some(s) = self.tail.two_pc() {
            s.use_sink_v2_committer();
        }
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
        let Some(s) = self.tail.two_pc() else { panic!("{}: commit failure without a 2PC sink", self.name) };
        let recovery = s.is_recovery_commit(txn);
        let result = s.handle_commit_failed(now_ms, txn);
        let events: Vec<SinkEvent> = std::iter::from_fn(|| s.poll_event()).collect();
        if let Err(e) = result {
            self.fail_commit(recovery, format!("two-phase-commit sink: {e}"));
        }
        self.invariants();
        events
    }

    /// A recovery commit failed the task: the recovery commits behind it are never made
    /// ([`TwoPhaseCommitSink::abandon_recovery`]), also those already among the task's outputs
    /// (session 27: the world applied them, so swarm seed 5341 of
    /// `fidelity/committer-retry-legacy-2.3` committed checkpoint 3's transaction after 1's
    /// was refused).
    fn abandon_recovery(&mut self) {
        let Some(s) = self.tail.two_pc() else { return };
        let left = s.abandon_recovery();
        self.outputs.retain(|o| !matches!(o, TaskOutput::Sink(SinkOutput::Commit { txn }) if left.contains(txn)));
    }

    /// A refused commit fails the task; a refused recovery commit first abandons the recovery
    /// commits behind it ([`abandon_recovery`](Self::abandon_recovery)).
    ///
    /// A Sink V2 commit whose retries ran out on the notification path stops the committer too:
    /// `CommitterOperator#commitAndEmitCheckpoints` commits one checkpoint's committables at a
    /// time, in checkpoint order, and `CheckpointCommittableManagerImpl#commit`'s exception
    /// leaves the later checkpoints' committables uncommitted (they stay in the committer's
    /// state for the restore). The legacy `TwoPhaseCommitSinkFunction#notifyCheckpointComplete`
    /// commits every pending transaction and throws the first error after its loop, so its
    /// queued commits stay. (Session 38 hunt: `fidelity/committer-retries-used-up-sink-v2-2.3`
    /// swarm seed 8188 committed checkpoint 3's transaction before checkpoint 1's.)
    fn fail_commit(&mut self, recovery: bool, reason: String) {
        if recovery {
            self.abandon_recovery();
        } else if self.tail.two_pc().is_some_and(|s| s.is_sink_v2()) {
            self.outputs.retain(|o| !matches!(o, TaskOutput::Sink(SinkOutput::Commit { .. })));
        }
        self.fail(reason);
    }

    /// The store refused the 2PC sink's commit of `txn` with a retriable error
    /// ([`TwoPhaseCommitSink::handle_commit_retriable`]): Sink V2 retries it (the commit is the
    /// task's next output, ahead of later checkpoints' commits already queued) up to `sink.committer.retries`, else the task fails. Returns the
    /// sink's events (retries, a dropped committable under a plant).
    pub fn handle_commit_retriable(&mut self, now_ms: u64, txn: TxnId) -> Vec<SinkEvent> {
        if self.failed {
            return Vec::new();
        }
        let Some(s) = self.tail.two_pc() else { panic!("{}: commit refusal without a 2PC sink", self.name) };
        let recovery = s.is_recovery_commit(txn);
        let result = s.handle_commit_retriable(now_ms, txn);
        let events: Vec<SinkEvent> = std::iter::from_fn(|| s.poll_event()).collect();
        match result {
            Ok(()) => self.drain_sink_ahead(),
            Err(e) => self.fail_commit(
                recovery,
                format!("two-phase-commit sink: {e} after {} retries", crate::sink::COMMITTER_RETRIES),
            ),
        }
        self.invariants();
        events
    }

    /// The task's operators are closed at the end of its life (FLIP-147: `close()` on success,
    /// failure and cancellation alike), in the order they were opened: the tail first, as
    /// `RegularOperatorChain#closeAllOperators` walks `getAllOperators(true)`. Of our operators
    /// only a 2PC sink does something observable: it aborts its open transaction and leaves the
    /// pre-committed ones for the next attempt's recovery (`TwoPhaseCommitSinkFunction#close`;
    /// Sink V2's `KafkaWriter#close` aborts the current producer's transaction, while
    /// `CommitterOperator#close` keeps its committables). Idempotent.
    pub fn close(&mut self) {
        if let Some(s) = self.tail.two_pc() {
            s.close();
        }
        self.drain_sink();
    }

    /// The task ends by an exception or is cancelled (Flink `StreamTask#cleanUp`, whose resource
    /// closer runs `closeAllOperators` once): what it had queued and not yet handed to its host
    /// is dropped with the attempt, then its operators are closed ([`Self::close`]). Afterwards
    /// its outputs are only the sink's aborts (`TaskOutput::Sink`), for the host to apply. A
    /// process that dies (TaskManager loss) never gets here: it closes nothing.
    pub fn handle_cleanup(&mut self) {
        self.outputs.clear();
        self.close();
        self.invariants();
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
        if let Some(m) = &self.multi {
            m.operator.invariants();
        }
        if self.failed {
            assert!(
                self.outputs.iter().filter(|o| matches!(o, TaskOutput::Failed { .. })).count() <= 1,
                "a task fails at most once"
            );
        }
        // FLIP-147: a task deployed as finished (`FinishedOnRestoreOperatorChain`) processes no
        // record (session 39: a dormant log source read on after its input ended).
        assert!(
            !self.end.dormant || self.records_in == 0,
            "{}: a task deployed as finished processed a record",
            self.name
        );
    }
}
#[cfg(test)]
#[path = "task_event_time_tests.rs"]
mod event_time_tests;

#[cfg(test)]
#[path = "task_tree_tests.rs"]
mod tree_tests;

pub use stop::RecordAfterStop;

#[path = "task_stop.rs"]
mod stop;

pub use spec::{
    ChainEnd, ChainHop, ChainTree, ChainedOperator, HeadSpec, LateTag, Partitioner, TailSpec, TaskOutput, TaskSpec,
};

#[path = "task_spec.rs"]
mod spec;

#[path = "task_checkpoint.rs"]
mod checkpoint;

#[path = "task_inputs.rs"]
mod inputs;

#[path = "task_event_time.rs"]
mod event_time;

#[path = "task_watermarks.rs"]
mod watermarks;

#[path = "task_build.rs"]
mod build;

#[path = "task_end_of_input.rs"]
mod end_of_input;

#[path = "task_chain.rs"]
mod chain;

/// Lineage helper for sources that build records outside a `LineSource`.
pub fn lineage(input_seq: u64) -> Lineage {
    Lineage { input_seq, sub: 0 }
}
