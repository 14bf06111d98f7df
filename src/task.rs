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
use crate::watermark::{
    SourceWatermarks, StatusWatermarkValve, Watermark, WatermarkEvent, WatermarkStatus, WatermarkStrategy,
};
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
    /// Several output edges: (partitioner, first channel, round-robin position) per edge.
    Multi(Vec<(Partitioner, u32, u32)>),
    Print(PrintSink),
    TwoPc(TwoPhaseCommitSink),
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
    /// Scratch buffers reused for every record (no per-record allocation on the hot path).
    scratch_a: Vec<Record>,
    scratch_b: Vec<Record>,
    outputs: VecDeque<TaskOutput>,
    records_in: u64,
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
}

/// A task's event-time machinery: the input valve (tasks with input channels), the source's
/// watermark generators (sources with a watermark strategy), and the last watermark emitted.
#[derive(Clone, Debug, Hash, Default)]
struct EventTime {
    valve: Option<StatusWatermarkValve>,
    source: Option<SourceWatermarks>,
    /// The watermark the chain last advanced to (the task's output watermark).
    current: Option<Watermark>,
    /// Late side-output records collected while a chain runs.
    late: Vec<Record>,
    /// The chain holds a processing-time window (its timers fire by the task's clock, and its
    /// element assignments go to the host).
    processing: bool,
    /// The planted `restored-due-timers-dropped`: the first processing-time firing after a
    /// restore clears the due windows instead of firing them.
    drop_due_once: bool,
    /// The planted `source-idle-without-flush` variant: the source's splits combine as 1.11's
    /// multiplexer does under every profile.
    idle_without_flush: bool,
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
                    spec.vertex_peers
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
                let empty = FinishedRestore::classify(&spec, restore).empty_state;
                // (A task with several input gates: its head operator starts empty as well.)
                if let Some(st) = own.filter(|_| !empty).and_then(|snap| snap.operators.first()) {
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
        let finish = FinishedRestore::classify(&spec, restore);
        let mut chain = spec.chain;
        let (from_finished_task, dormant) = (finish.from_finished_task, finish.deployed_finished);
        // initializeState with restored state: an injector may throw (the task fails at once).
        let restore_failure = if restore.is_some() && !dormant {
            chain.iter().find_map(|op| {
                op.operator
                    .lifecycle_failure(LifecycleHook::Restore, counters, &op.instance)
                    .map(|m| format!("{}: {m}", op.instance))
            })
        } else {
            None
        };
        // A subtask FINISHED at the trigger in a vertex not fully finished: Flink stored no state
        // for it (`FinishedOperatorSubtaskState`), so its operators start empty (its source keeps
        // its positions: Flink's reader gets no split back, the enumerator still holds them).
        let own_state = own.filter(|_| !finish.empty_state);
        if let Some(snap) = own_state {
            for (i, op) in chain.iter_mut().enumerate() {
                if let Some(st) = snap.operators.get(i + 1) {
                    if variant == Variant::WindowStateNotRestored && matches!(st, OperatorState::EventWindow(_)) {
                        continue;
                    }
                    if let (OperatorState::SharedList { mode: ListMode::Union, .. }, Some(cp)) = (st, restore) {
                        // Union list state: every subtask restores every subtask's entries.
                        if variant != Variant::UnionListAsSplit {
                            let entries = crate::rescale::union_entries(cp, &spec.vertex_peers, i + 1);
                            op.operator.restore(&OperatorState::SharedList { mode: ListMode::Union, entries });
                            continue;
                        }
                    }
                    op.operator.restore(st);
                }
            }
        }
        // Read back before replayed in-flight records change it: what `initializeState` restored.
        let restored_lists: Vec<(usize, Vec<Value>)> = match own_state {
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
                if dormant {
                    s.deploy_finished();
                } else {
                    s.initialize(own_state.and_then(|snap| snap.operators.last()));
                }
                Tail::TwoPc(s)
            }
        };
        let processing = chain.iter().any(|op| {
            op.operator.event_window().is_some_and(|w| w.spec().time == crate::window::WindowTime::Processing)
        });
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
            sink_ops: 0,
            end: EndOfInput {
                last_completed: restore.map(|cp| cp.id),
                // Acknowledges as finished from the start (also under the planted
                // `partly-finished-restored-as-finished`, as the model did before session 17).
                restored_finished: finish.vertex_finished
                    || (finish.entry_finished && variant == Variant::PartlyFinishedRestoredAsFinished),
                restored_entry_finished: finish.entry_finished,
                vertex_finished: finish.vertex_finished,
                chain_ended: finish.chain_ended,
                dormant,
                from_finished_task,
                profile: spec.profile,
                emits_after_stop: spec.variant == Variant::SourceEmitsAfterStop,
                drain_without_end_of_data: spec.variant == Variant::DrainWithoutEndOfData,
                abort_after_notification: spec.variant == Variant::StopAbortedAfterNotification,
                without_final_checkpoint: spec.variant == Variant::FinishWithoutFinalCheckpoint,
                ..EndOfInput::default()
            },
            event_time: EventTime {
                // The valve starts at Long.MIN_VALUE on every deployment, restored or not.
                valve: match &spec.head {
                    HeadSpec::Inputs { inputs, .. } => Some(StatusWatermarkValve::new(*inputs)),
                    HeadSpec::MultiInputs { gates, .. } => Some(StatusWatermarkValve::new(gates.num_channels())),
                    _ => None,
                }
                .map(|v| {
                    if variant == Variant::IdleInputHoldsWatermark {
                        v.with_idle_channels_held()
                    } else {
                        v
                    }
                }),
                idle_without_flush: spec.variant == Variant::SourceIdleWithoutFlush,
                processing,
                drop_due_once: processing && own.is_some() && variant == Variant::RestoredDueTimersDropped,
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
        if let Tail::TwoPc(s) = &mut self.tail {
            s.set_no_checkpointing(mode);
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

    /// FLIP-147 (2.x): this attempt's whole vertex was finished in the restored checkpoint
    /// (every subtask FINISHED at its trigger, or deployed as finished), so Flink deploys it as
    /// finished (`TaskStateSnapshot.FINISHED_ON_RESTORE`, a `FinishedOnRestoreOperatorChain`):
    /// it processes no record, does not run `endInput` / `finish` again, and acknowledges every
    /// checkpoint as finished (true also under the planted `finished-on-restore-runs-again`,
    /// which deploys it running).
    pub fn restored_finished(&self) -> bool {
        self.end.restored_finished
    }

    /// Whether this attempt was restored from an entry marked finished (its own final
    /// checkpoint's snapshot, or one the JobManager filled in for a task FINISHED at the
    /// trigger), whatever its vertex: the rows the `restart` checker's finished-on-restore rule
    /// judges. Only [`restored_finished`](Self::restored_finished) ones are deployed as finished.
    pub fn restored_entry_finished(&self) -> bool {
        self.end.restored_entry_finished
    }

    /// Whether this attempt's whole vertex was finished in the restored checkpoint, so Flink
    /// deploys it as finished (`FINISHED_ON_RESTORE`), whatever a planted variant does.
    pub fn restored_vertex_finished(&self) -> bool {
        self.end.vertex_finished
    }

    /// Whether this attempt was restored from an entry the JobManager filled in for a task
    /// FINISHED at the checkpoint's trigger, so none of its operators is initialised, notified
    /// or snapshotted (Flink's `FinishedOperatorChain`; [`TaskSnapshot::from_finished_task`]).
    pub fn is_dormant(&self) -> bool {
        self.end.dormant
    }

    /// Whether this attempt was restored from an entry the JobManager filled in for a task
    /// FINISHED at the checkpoint's trigger (so Flink would deploy it dormant, whatever the
    /// variant does).
    pub fn restored_from_finished_task(&self) -> bool {
        self.end.from_finished_task
    }

    /// Store operations its two-phase-commit sink issued in this attempt (begin, write,
    /// pre-commit, commit, abort); 0 without one.
    pub fn sink_ops(&self) -> u64 {
        self.sink_ops
    }

    /// Whether this attempt ran its chain's `endInput` / `finish` itself (at its end of input or
    /// a 2.x drain); never for an attempt [restored as finished](Self::restored_finished).
    pub fn ran_end_input(&self) -> bool {
        self.end.ran_end_input
    }

    /// Whether the input of this task has ended (it is finishing or finished).
    pub fn input_has_ended(&self) -> bool {
        self.end.ended
    }

    /// The task's input ended (a bounded end, every input channel's EndOfData/EndOfPartition,
    /// or a 2.x drain): `MAX_WATERMARK` at a source with a watermark strategy, then `endInput`
    /// and `finish` of the chain (`StreamTask.endData`: `advanceToEndOfEventTime`, then
    /// `finishOperators`), then (2.x) EndOfData downstream. A task that stopped at a stop's
    /// savepoint ends its chain's input only where the profile does so after a stop (1.11's
    /// close; 2.x never after a stop without drain, and a 2.x drain ended it before).
    fn input_ended(&mut self, now_ms: u64, wait: bool) {
        // The planted bug: finish at once, as if checkpoints after tasks finish were off.
        let wait = wait && !self.end.without_final_checkpoint;
        self.end_processing_time(now_ms);
        self.end_event_time(now_ms);
        if self.end.stop.is_none() || self.end.profile.end_input_after_stop() {
            self.end_chain_input(now_ms);
        }
        // A task that stopped at a stop-with-savepoint's savepoint: the savepoint's notification
        // commits (a 2.x drain's `finish` came before the savepoint, with `stop` still unset).
        // Then the sink's `finish()` where the profile has it (after `endInput`, as
        // `StreamOperatorWrapper.finish` calls `finish` after the operator's input ended): its
        // next snapshot, the final checkpoint or a 2.x drain's savepoint, begins no transaction.
        if let (Tail::TwoPc(s), None) = (&mut self.tail, self.end.stop) {
            s.end_of_input();
            if self.end.profile.sink_finishes_at_end_of_input() {
                s.finish();
            }
        }
        self.drain_sink();
        self.end.ended = true;
        self.end.wait_for_final_checkpoint = wait;
        // 2.x `StreamTask.endData` sends EndOfData to every output: where the JobMaster counts
        // ends of data (checkpoints after tasks finish, checkpointing on), on a drain, and
        // wherever an upstream task sent one.
        let eod = self.end.profile.triggers_checkpoint_at_end_of_data()
            && (wait || self.end.saw_end_of_data || self.end.draining);
        if eod && !self.failed && self.end.stop.is_none() && self.has_output() {
            self.outputs.push_back(TaskOutput::EmitEndOfData);
        }
        if !wait {
            self.finish_without_final_checkpoint();
            return;
        }
        // FLIP-147 (2.x `StreamTask#performCheckpoint`): the final checkpoint is the first one this
        // task performs after its end of data (`finalCheckpointMinId`), whatever it processed
        // before and whatever its last snapshot or the restored checkpoint covered; set when that
        // snapshot is taken (`task_checkpoint.rs`). A task that took a stop-with-savepoint's
        // synchronous savepoint has that savepoint as its final one, whatever it processed after
        // the savepoint's barrier (2.x `StreamTask#notifyCheckpointComplete`: with a synchronous
        // savepoint set, only `isCurrentSyncSavepoint(id)` completes `finalCheckpointCompleted`;
        // no later checkpoint's id does).
        self.end.final_min_id = self.end.stop.map(|s| s.id);
        self.check_final_checkpoint();
    }

    /// An input channel delivered EndOfData or EndOfPartition: the input ends once every channel
    /// ended its data; a task whose input already ended (at its EndOfData) may finish once the
    /// last EndOfPartition arrived (Flink's mailbox loop ends on END_OF_INPUT, then `afterInvoke`
    /// waits for the final checkpoint).
    fn after_end_of_channel(&mut self, now_ms: u64) {
        if self.end.ended && !self.end.wait_for_final_checkpoint {
            self.finish_without_final_checkpoint();
        } else if self.end.ended {
            self.check_final_checkpoint();
        } else if self.all_data_ended() {
            let wait = self.end.wait_for_final_checkpoint;
            self.input_ended(now_ms, wait);
        }
    }

    /// Every input channel delivered EndOfData or EndOfPartition.
    fn all_data_ended(&self) -> bool {
        match (&self.head, &self.multi) {
            (Head::Inputs(_), Some(m)) => self.end.data_ended.len() as u32 >= m.gates.num_channels(),
            (Head::Inputs(h), None) => self.end.data_ended.len() as u32 >= h.num_channels(),
            _ => false,
        }
    }

    /// A task with input channels finishes only once every channel delivered EndOfPartition
    /// (after an EndOfData, its upstream is still running towards its own final checkpoint).
    fn partitions_ended(&self) -> bool {
        !matches!(self.head, Head::Inputs(_)) || self.all_inputs_ended()
    }

    /// No final checkpoint to wait for (1.11, or checkpointing off): the task finishes once
    /// every input channel delivered EndOfPartition (after a 2.x drain's EndOfData its upstream
    /// still runs until its savepoint is notified) and a synchronous savepoint it took was
    /// notified (2.x `StreamTask.afterInvoke` waits on it whether or not checkpoints continue).
    pub(super) fn finish_without_final_checkpoint(&mut self) {
        if self.end.ended && !self.stop_awaits_notification() && self.partitions_ended() {
            self.end.finished = true;
        }
    }

    /// `endInput` then `finish` of every chained operator, head first, each one's output run
    /// through the rest of the chain (`StreamOperatorWrapper.finish` / 1.11's `close`). Once
    /// per attempt. (No surviving counters, as for `end_event_time`.)
    pub(super) fn end_chain_input(&mut self, now_ms: u64) {
        if std::mem::replace(&mut self.end.chain_ended, true) {
            return;
        }
        self.end.ran_end_input = true;
        let mut counters = SurvivingCounters::default();
        for i in 0..self.chain.len() {
            if self.failed {
                return;
            }
            let mut out = std::mem::take(&mut self.scratch_a);
            out.clear();
            self.chain[i].operator.end_input(&mut out);
            if out.is_empty() {
                self.scratch_a = out;
            } else {
                self.end.dirty = true;
                self.run_chain(now_ms, i + 1, out, &mut counters);
            }
        }
    }

    pub(super) fn check_final_checkpoint(&mut self) {
        if self.end.ended && !self.end.finished && !self.stop_awaits_notification() && self.partitions_ended() {
            if let (Some(min), Some(done)) = (self.end.final_min_id, self.end.last_completed) {
                self.end.finished |= done >= min;
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

    /// The 2PC sink handles refused commits as Sink V2's Kafka committer does
    /// ([`TwoPhaseCommitSink::use_sink_v2_committer`]). No-op without a 2PC sink.
    pub fn use_sink_v2_committer(&mut self) {
        if let Tail::TwoPc(s) = &mut self.tail {
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
        if self.event_time.processing {
            self.take_window_assignments();
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
        if self.end.dormant {
            return None;
        }
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
                self.sink_ops += 1;
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

#[cfg(test)]
#[path = "task_event_time_tests.rs"]
mod event_time_tests;

pub use stop::RecordAfterStop;

#[path = "task_stop.rs"]
mod stop;

pub use spec::{ChainedOperator, HeadSpec, Partitioner, TailSpec, TaskOutput, TaskSpec};

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

/// Lineage helper for sources that build records outside a `LineSource`.
pub fn lineage(input_seq: u64) -> Lineage {
    Lineage { input_seq, sub: 0 }
}

/// How a 2.x task restored from an entry marked finished is deployed (FLIP-147), read from the
/// restored checkpoint alone. Flink (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`,
/// `TaskStateAssignment#isFullyFinished`, `StateAssignmentOperation
/// #assignTaskStateToExecutionJobVertices`) deploys a subtask as finished
/// (`TaskStateSnapshot.FINISHED_ON_RESTORE`) only when its whole vertex is finished in the
/// checkpoint: every subtask FINISHED at the trigger, or deployed as finished itself
/// (`FullyFinishedOperatorState`). A FINISHED subtask of a vertex that was still partly running
/// gets `FinishedOperatorSubtaskState` (no state) and runs a regular chain from empty state; a
/// subtask restored from its own final checkpoint's snapshot (taken after `finish`, stored with
/// its state) runs a regular chain with that state. Both run `endInput` / `finish` again.
#[derive(Clone, Copy, Debug, Default)]
struct FinishedRestore {
    /// The task's own entry is marked finished (either kind).
    entry_finished: bool,
    /// The entry was filled in for a task FINISHED at the trigger.
    from_finished_task: bool,
    /// Every subtask of the vertex has such an entry: Flink deploys it as finished.
    vertex_finished: bool,
    /// Deployed as finished (`FinishedOperatorChain`): `vertex_finished` unless a plant.
    deployed_finished: bool,
    /// Its chain counts as ended (no second `endInput` / `finish`).
    chain_ended: bool,
    /// Its operators start empty (`FinishedOperatorSubtaskState` of a partly finished vertex).
    empty_state: bool,
}

impl FinishedRestore {
    fn classify(spec: &TaskSpec, restore: Option<&CompletedCheckpoint>) -> FinishedRestore {
        let Some(cp) = restore.filter(|_| spec.profile.checkpoints_after_tasks_finish()) else {
            return FinishedRestore::default();
        };
        let own = cp.tasks.get(&spec.task);
        let entry_finished = own.is_some_and(|s| s.finished);
        let from_finished_task = own.is_some_and(|s| s.finished && s.from_finished_task);
        let vertex_finished = from_finished_task
            && spec.vertex_peers.iter().all(|t| cp.tasks.get(t).is_some_and(|s| s.finished && s.from_finished_task));
        let empty_state = from_finished_task && !vertex_finished;
        match spec.variant {
            // The model before session 17: every entry marked finished is deployed finished
            // (an entry of a task FINISHED at the trigger dormant), whatever its vertex.
            Variant::PartlyFinishedRestoredAsFinished => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: from_finished_task,
                chain_ended: entry_finished,
                empty_state: false,
            },
            Variant::FinishedOnRestoreRunsAgain => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: false,
                chain_ended: false,
                empty_state,
            },
            _ => FinishedRestore {
                entry_finished,
                from_finished_task,
                vertex_finished,
                deployed_finished: vertex_finished,
                chain_ended: vertex_finished,
                empty_state,
            },
        }
    }
}
