//! Task-side checkpoint barrier handling (semantics §3): aligned, at-least-once tracker, unaligned, aligned-with-timeout.
//!
//! A [`BarrierHandler`] sits between a task's input channels and its operators. The host feeds
//! it every barrier, cancel marker, end of partition and record it takes from an input channel
//! (never from a channel the handler [blocks](BarrierHandler::is_blocked)), and drains
//! [`HandlerOutput`]s after every call, in the order they were produced.
//!
//! Two machines implement the three [`HandlerKind`]s:
//! * [`HandlerKind::Aligned`] and [`HandlerKind::Alternating`] use one single-checkpoint machine
//!   (Flink's `SingleCheckpointBarrierHandler`): one checkpoint at a time, with the id rules of
//!   §3.1 for every alignment. Its states are named for what it expects next:
//!   `WaitingForFirstBarrier`, `CollectingBarriers` (aligned, channels blocked),
//!   and `CollectingBarriersUnaligned` (snapshot taken, in-flight records being persisted; the
//!   channel state is complete when the last barrier arrives, as the records a priority barrier
//!   overtook are persisted when that barrier is taken). Two more states exist only for
//!   aligned-with-timeout checkpoints whose barriers were *announced*
//!   ([`BarrierHandler::handle_announcement`], flink-2.3): `WaitingForFirstBarrierAnnounced`
//!   (an announcement started the checkpoint, no barrier taken yet: Flink's
//!   `AlternatingWaitingForFirstBarrier` with a pending id) and `WaitingForFirstBarrierUnaligned`
//!   (it timed out before any barrier was taken: Flink's
//!   `AlternatingWaitingForFirstBarrierUnaligned`; the first barrier triggers it unaligned).
//! * [`HandlerKind::AtLeastOnce`] uses the barrier tracker (§3.2): never blocks, tracks up to
//!   [`MAX_TRACKED_CHECKPOINTS`] incomplete checkpoints.
//!
//! Contract the host relies on, beyond the per-method docs:
//! * every unaligned `Trigger { id }` is followed by zero or more `PersistOvertaken { id, .. }`
//!   and then exactly one `ChannelStateComplete { id }`,
//!   `Abort { id }` (a newer barrier, a cancel marker, an end of partition in 1.11 or the
//!   JobManager can still abort a checkpoint whose snapshot was already taken) or
//!   `InFlightDataFailed { id }` (a cancel marker of a *newer* id ended its collection);
//! * an aligned `Trigger { id }` is never followed by anything else for `id`;
//! * `Abort { id }` is produced at most once per id;
//! * when one event ends a checkpoint and starts another, the older one's `Abort` comes first;
//!   a switch to unaligned produces `Trigger` and then `PrioritizeBarriers`.

mod metrics;
mod single;
mod tracker;

pub use metrics::BarrierMetrics;
use metrics::MetricsState;

use single::Single;
use tracker::Tracker;

use crate::config::CheckpointingMode;
use crate::ids::{ChannelId, CheckpointId};
use crate::profile::Profile;
use crate::reason::CheckpointFailureReason;
use crate::record::{Barrier, CheckpointKind, Record, StreamElement};
use crate::variant::Variant;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;

/// The barrier tracker keeps at most this many incomplete checkpoints (Flink's
/// `MAX_CHECKPOINTS_TO_TRACK`); the oldest is dropped silently beyond that. The same bound caps
/// the ids the JobManager reported aborted before their first barrier arrived.
pub const MAX_TRACKED_CHECKPOINTS: usize = 50;

/// Reason used when the JobManager's `notifyCheckpointAborted` ends a checkpoint this task had
/// started. Flink only forwards a cancel marker in that case; the JobManager ignores the decline
/// that comes with [`HandlerOutput::Abort`] because the checkpoint is no longer pending, so the
/// reason only has to be one the failure manager never counts.
pub const JOB_MANAGER_ABORT_REASON: CheckpointFailureReason =
    CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier;

/// Which barrier handler a task uses (`InputProcessorUtil.createCheckpointBarrierHandler`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HandlerKind {
    /// Exactly-once without unaligned checkpoints: every checkpoint is aligned.
    Aligned,
    /// At-least-once: the barrier tracker, never blocks.
    AtLeastOnce,
    /// exactly-once with unaligned enabled: honours each barrier's Alignment (Aligned for savepoints, Unaligned, or AlignedWithTimeout)
    Alternating,
}

/// The first `n` records among a channel queue's elements, in order: the records a priority
/// barrier taken from that channel overtook (the obsolete barriers or cancel markers it also
/// jumped over are skipped), for a host that keeps each input channel as one queue of elements
/// and passes them to [`Task::handle_input`](crate::task::Task::handle_input).
pub fn overtaken_records<'a>(queue: impl IntoIterator<Item = &'a StreamElement>, n: u32) -> Vec<Record> {
    queue
        .into_iter()
        .filter_map(|e| match e {
            StreamElement::Record(r) => Some(r.clone()),
            _ => None,
        })
        .take(n as usize)
        .collect()
}

/// The handler a task gets for a checkpointing mode. At-least-once with unaligned checkpoints is
/// rejected by config validation; it maps to the tracker here.
pub fn handler_kind(mode: CheckpointingMode, unaligned: bool) -> HandlerKind {
    match (mode, unaligned) {
        (CheckpointingMode::AtLeastOnce, _) => HandlerKind::AtLeastOnce,
        (CheckpointingMode::ExactlyOnce, false) => HandlerKind::Aligned,
        (CheckpointingMode::ExactlyOnce, true) => HandlerKind::Alternating,
    }
}

/// What the handler asks the task to do, drained with [`BarrierHandler::poll_output`].
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandlerOutput {
    /// Snapshot the operator state now and forward `barrier` downstream. `unaligned`: the forwarded barrier must overtake queued output (priority), and in-flight records will be reported through `handle_record` until `ChannelStateComplete`. `alignment_ms` = time from first to last barrier (0 for unaligned/single channel).
    ///
    /// A checkpoint that timed out of alignment forwards its barrier as [`Alignment::Unaligned`](crate::record::Alignment::Unaligned).
    Trigger {
        /// The barrier to forward.
        barrier: Barrier,
        /// Forward it with priority, ahead of queued output.
        unaligned: bool,
        /// Time from the first to the last barrier, ms.
        alignment_ms: u64,
    },
    /// Decline `id` to the JobManager with `reason` and broadcast CancelMarker(id) downstream.
    Abort {
        /// The aborted checkpoint.
        id: CheckpointId,
        /// Why (the decline's reason).
        reason: CheckpointFailureReason,
    },
    /// Unaligned `id`, already triggered, will never complete its in-flight data: a cancel marker
    /// of a newer checkpoint ended its collection. The host drops `id`'s open snapshot and,
    /// when `decline` is set, declines `id` with that reason, but broadcasts no cancel marker
    /// for it (Flink's `SingleCheckpointBarrierHandler.processCancellationBarrier` notifies only
    /// the cancelled id). 2.x (`decline: Some`): `abortInternal` completes the pending
    /// checkpoint's `allBarriersReceivedFuture` exceptionally, `SubtaskCheckpointCoordinatorImpl`
    /// aborts its channel state write and `AsyncCheckpointRunnable` declines it with the
    /// underlying reason (`CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER`). 1.11 (`decline: None`):
    /// `CheckpointBarrierUnaligner.processCancellationBarrier` stops storing in-flight buffers but
    /// leaves the future incomplete, so the task never acknowledges nor declines `id`; the
    /// JobManager ends it (expiry or subsumption).
    InFlightDataFailed {
        /// The unaligned checkpoint whose in-flight data cannot complete.
        id: CheckpointId,
        /// The decline to send (2.x), or `None` (1.11: nothing is sent).
        decline: Option<CheckpointFailureReason>,
    },
    /// Unaligned `id` (already triggered): the `records` records that the priority barrier just
    /// taken from `channel` overtook are in-flight channel state of `id`; the host persists them
    /// now (it knows them: they are the next `records` records queued on `channel`, or carried
    /// with the barrier) and processes them later without persisting them again. Flink's
    /// `RemoteInputChannel#checkpointStarted` spills the buffers a received barrier overtook at
    /// once (`ChannelStatePersister#startPersisting`). Comes before the `ChannelStateComplete`
    /// that the same barrier may cause.
    PersistOvertaken {
        /// The unaligned checkpoint the records belong to.
        id: CheckpointId,
        /// The channel whose priority barrier overtook them.
        channel: ChannelId,
        /// How many records (the barrier's `overtaken_records`).
        records: u32,
    },
    /// Unaligned: every barrier / EndOfPartition for `id` is in; its channel state is complete and the task may acknowledge.
    ///
    /// The records priority barriers of `id` overtook were persisted when those barriers were
    /// taken ([`HandlerOutput::PersistOvertaken`]): they need not be processed first.
    ChannelStateComplete {
        /// The checkpoint whose channel state is complete.
        id: CheckpointId,
    },
    /// Aligned-with-timeout switched `id` to unaligned: the host moves `id`'s barrier to the front of every input queue that still holds it and then delivers it via `handle_barrier` with the number of records it overtook.
    ///
    /// Also produced when the switch is caused by a barrier of `id` that an upstream task had
    /// already converted to unaligned. Barriers of `id` arriving later may be delivered with or
    /// without priority.
    PrioritizeBarriers {
        /// The checkpoint that switched to unaligned.
        id: CheckpointId,
    },
}

impl fmt::Display for HandlerOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerOutput::Trigger { barrier, unaligned, alignment_ms } => {
                write!(f, "trigger {}", barrier.id)?;
                if barrier.kind == CheckpointKind::Savepoint {
                    f.write_str(" savepoint")?;
                }
                if *unaligned {
                    f.write_str(" unaligned")?;
                }
                if *alignment_ms > 0 {
                    write!(f, " align={alignment_ms}ms")?;
                }
                Ok(())
            }
            HandlerOutput::Abort { id, reason } => write!(f, "abort {id} {reason}"),
            HandlerOutput::InFlightDataFailed { id, decline: Some(reason) } => {
                write!(f, "in-flight data failed {id} {reason}")
            }
            HandlerOutput::InFlightDataFailed { id, decline: None } => write!(f, "in-flight data failed {id}"),
            HandlerOutput::PersistOvertaken { id, channel, records } => {
                write!(f, "persist {id} {channel} overtaken={records}")
            }
            HandlerOutput::ChannelStateComplete { id } => write!(f, "complete {id}"),
            HandlerOutput::PrioritizeBarriers { id } => write!(f, "prioritize {id}"),
        }
    }
}

/// A task's barrier handler. See the module docs for the contract.
#[derive(Clone, Debug, Hash)]
pub struct BarrierHandler {
    env: Env,
    machine: Machine,
}

/// What both machines share: configuration, channel bookkeeping, the output queue.
#[derive(Clone, Debug, Hash)]
struct Env {
    kind: HandlerKind,
    profile: Profile,
    variant: Variant,
    num_channels: u32,
    closed: BTreeSet<ChannelId>,
    last_now_ms: u64,
    outputs: VecDeque<HandlerOutput>,
    metrics: MetricsState,
}

impl Env {
    fn open_channels(&self) -> u32 {
        self.num_channels - self.closed.len() as u32
    }

    fn emit(&mut self, output: HandlerOutput) {
        self.outputs.push_back(output);
    }

    fn abort(&mut self, id: CheckpointId, reason: CheckpointFailureReason) {
        self.emit(HandlerOutput::Abort { id, reason });
    }
}

#[derive(Clone, Debug, Hash)]
enum Machine {
    Single(Single),
    Tracker(Tracker),
}

impl BarrierHandler {
    /// `variant == Variant::AlignedNoBlock`: the aligned handler never blocks a channel (deliberate bug for the negative suite).
    pub fn new(kind: HandlerKind, num_channels: u32, profile: Profile, variant: Variant) -> Self {
        assert!(num_channels >= 1, "a task with a barrier handler has at least one input channel");
        let machine = match kind {
            HandlerKind::AtLeastOnce => Machine::Tracker(Tracker::new()),
            HandlerKind::Aligned | HandlerKind::Alternating => Machine::Single(Single::new()),
        };
        let handler = BarrierHandler {
            env: Env {
                kind,
                profile,
                variant,
                num_channels,
                closed: BTreeSet::new(),
                last_now_ms: 0,
                outputs: VecDeque::new(),
                metrics: MetricsState::default(),
            },
            machine,
        };
        handler.invariants();
        handler
    }

    /// Which handler this is (aligned, at-least-once tracker, alternating aligned/unaligned).
    pub fn kind(&self) -> HandlerKind {
        self.env.kind
    }

    /// `overtaken_records`: number of records behind this barrier in the channel queue that logically precede it (the barrier was delivered with priority and jumped over them).
    ///
    /// They are the next `overtaken_records` records taken from `ch` (obsolete barriers or cancel
    /// markers the priority barrier also jumped over may come in between). When the barrier
    /// counts for an unaligned checkpoint, the handler asks the host to persist them at once
    /// ([`HandlerOutput::PersistOvertaken`]); [`handle_record`](Self::handle_record) then
    /// returns `None` for them. Only unaligned barriers (and barriers of a checkpoint the handler
    /// asked to prioritize) may carry overtaken records.
    pub fn handle_barrier(&mut self, now_ms: u64, ch: ChannelId, barrier: Barrier, overtaken_records: u32) {
        self.enter(now_ms, ch, "barrier");
        match &mut self.machine {
            Machine::Single(s) => s.on_barrier(&mut self.env, now_ms, ch, barrier, overtaken_records),
            Machine::Tracker(t) => t.on_barrier(&mut self.env, now_ms, ch, barrier, overtaken_records),
        }
        self.invariants();
    }

    /// A barrier of an aligned-with-timeout checkpoint reached `ch`'s input queue, possibly
    /// behind records the task has not taken yet (Flink's `EventAnnouncement`, made by the
    /// receiving channel and handled by `SingleCheckpointBarrierHandler.processBarrierAnnouncement`).
    /// The barrier itself is still delivered later through [`handle_barrier`](Self::handle_barrier).
    ///
    /// Only aligned-with-timeout barriers are announced (flink-2.3; 1.11 has no such timeout and
    /// no announcements): for any other barrier, handler kind or profile this does nothing. An
    /// announcement of a newer id starts that checkpoint (ending the pending one as subsumed)
    /// and so starts its timeout clock before its first barrier is taken; once the checkpoint
    /// went unaligned, each announcement asks the host to prioritize the announced barrier
    /// ([`HandlerOutput::PrioritizeBarriers`], Flink's `convertToPriorityEvent`). Announcements
    /// of obsolete checkpoints are ignored.
    pub fn handle_announcement(&mut self, now_ms: u64, ch: ChannelId, barrier: Barrier) {
        self.enter(now_ms, ch, "announcement");
        if let Machine::Single(s) = &mut self.machine {
            s.on_announcement(&mut self.env, now_ms, ch, barrier);
        }
        self.invariants();
    }

    /// A `CancelCheckpointMarker` for `id` arrived on `ch`: abort `id` if it is being aligned (or remember it), and unblock the channels it blocked.
    ///
    /// A marker of the pending checkpoint while no channel is aligned yet (flink-2.3: started by
    /// an announcement only) is ignored, as Flink's `processCancellationBarrier` does.
    pub fn handle_cancel_marker(&mut self, now_ms: u64, ch: ChannelId, id: CheckpointId) {
        self.enter(now_ms, ch, "cancel marker");
        match &mut self.machine {
            Machine::Single(s) => s.on_cancel_marker(&mut self.env, ch, id),
            Machine::Tracker(t) => t.on_cancel_marker(&mut self.env, now_ms, ch, id),
        }
        self.invariants();
    }

    /// Channel `ch` ended: it no longer takes part in alignments (a pending checkpoint may complete without it).
    pub fn handle_end_of_partition(&mut self, now_ms: u64, ch: ChannelId) {
        self.enter(now_ms, ch, "end of partition");
        if self.env.variant == Variant::EndOfPartitionNotAligned {
            // The planted bug: the ended channel still counts as one whose barrier must come.
            return;
        }
        self.env.closed.insert(ch);
        match &mut self.machine {
            Machine::Single(s) => s.on_end_of_partition(&mut self.env, now_ms, ch),
            Machine::Tracker(t) => t.on_end_of_partition(&mut self.env, now_ms, ch),
        }
        self.invariants();
    }

    /// A record was taken from `ch` (the host never takes from a blocked channel). Returns Some(id) when the record must be persisted as in-flight channel state of unaligned checkpoint `id` (it precedes ch's barrier of `id`, which has not arrived yet, and is taken after the snapshot); the caller processes the record either way.
    pub fn handle_record(&mut self, now_ms: u64, ch: ChannelId) -> Option<CheckpointId> {
        self.enter(now_ms, ch, "record");
        self.env.metrics.record_taken();
        let persist = match &mut self.machine {
            Machine::Single(s) => s.on_record(ch, self.env.variant),
            Machine::Tracker(_) => None,
        };
        self.invariants();
        persist
    }

    /// Aligned-with-timeout timer (§3.4: timed out iff `now - barrier.timestamp_ms > timeout` strictly; armed at first barrier with delay max(0, timeout - (now - ts))).
    ///
    /// With a millisecond clock the strict test first holds at `timestamp + timeout + 1`, which
    /// is what [`poll_timeout`](Self::poll_timeout) reports; calling this earlier (or when
    /// nothing is due) does nothing.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.advance(now_ms);
        if let Machine::Single(s) = &mut self.machine {
            s.on_timeout(&mut self.env, now_ms);
        }
        self.invariants();
    }

    /// The JobManager told the task `id` was aborted (notifyCheckpointAborted): later barriers of `id` are obsolete.
    ///
    /// If this task had started `id` (and, for an unaligned checkpoint, not finished its channel
    /// state) it aborts it now; if `id`'s first barrier is still to come, that barrier produces
    /// the abort (so a cancel marker goes downstream in place of the barrier). Both use
    /// [`JOB_MANAGER_ABORT_REASON`].
    pub fn handle_checkpoint_aborted(&mut self, now_ms: u64, id: CheckpointId) {
        self.advance(now_ms);
        match &mut self.machine {
            Machine::Single(s) => s.on_checkpoint_aborted(&mut self.env, id),
            Machine::Tracker(t) => t.on_checkpoint_aborted(&mut self.env, id),
        }
        self.invariants();
    }

    /// Whether input channel `ch` is blocked by an alignment in progress (its records must wait).
    pub fn is_blocked(&self, ch: ChannelId) -> bool {
        match &self.machine {
            Machine::Single(s) => s.blocked.contains(&ch),
            Machine::Tracker(_) => false,
        }
    }

    /// The next output, in the order the handler produced them.
    pub fn poll_output(&mut self) -> Option<HandlerOutput> {
        self.env.outputs.pop_front()
    }

    /// When the aligned-with-timeout switch is due (the next call to `handle_timeout`), if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.machine {
            Machine::Single(s) => s.timeout_deadline_ms(&self.env),
            Machine::Tracker(_) => None,
        }
    }

    /// Input channels, ended or not.
    pub fn num_channels(&self) -> u32 {
        self.env.num_channels
    }

    /// Input channels that have not ended.
    pub fn num_open_channels(&self) -> u32 {
        self.env.open_channels()
    }

    /// The checkpoint currently being aligned or collected, if any; for the tracker, the newest
    /// tracked one (for traces and tests).
    pub fn pending_checkpoint(&self) -> Option<CheckpointId> {
        match &self.machine {
            Machine::Single(s) => s.pending().then_some(s.current),
            Machine::Tracker(t) => t.pending.back().map(|e| e.id),
        }
    }

    /// The alignment metrics Flink's `CheckpointBarrierHandler` keeps (alignment duration,
    /// checkpoint start delay, records processed during alignment), as of the last input.
    ///
    /// They follow Flink's bookkeeping, which differs from [`HandlerOutput::Trigger`]'s
    /// `alignment_ms` in one place: the barrier tracker measures only the newest checkpoint's
    /// alignment (an older one completing later gets 0 from Flink), and an unaligned
    /// checkpoint's alignment ends at its last barrier, after its `Trigger`.
    pub fn metrics(&self) -> BarrierMetrics {
        self.env.metrics.read(self.env.last_now_ms)
    }

    /// The name of the current state (for traces and tests).
    pub fn state_name(&self) -> &'static str {
        match &self.machine {
            Machine::Single(s) => s.state.name(),
            Machine::Tracker(t) => {
                if t.pending.is_empty() {
                    "WaitingForFirstBarrier"
                } else {
                    "TrackingBarriers"
                }
            }
        }
    }

    /// Panics if the handler's alignment bookkeeping is inconsistent (a blocked channel without a pending checkpoint, barriers counted twice).
    pub fn invariants(&self) {
        let env = &self.env;
        assert!(env.closed.len() as u32 <= env.num_channels);
        assert!(env.closed.iter().all(|ch| ch.0 < env.num_channels));
        match &self.machine {
            Machine::Single(s) => s.invariants(env),
            Machine::Tracker(t) => t.invariants(env),
        }
    }

    /// Common checks of a channel event: a known, open, unblocked channel and a clock that does
    /// not run backwards.
    fn enter(&mut self, now_ms: u64, ch: ChannelId, what: &str) {
        self.advance(now_ms);
        assert!(ch.0 < self.env.num_channels, "{what} on unknown channel {ch}");
        assert!(!self.env.closed.contains(&ch), "{what} on {ch} after its end of partition");
        assert!(!self.is_blocked(ch), "{what} taken from blocked channel {ch}");
    }

    fn advance(&mut self, now_ms: u64) {
        assert!(now_ms >= self.env.last_now_ms, "clock ran backwards: {now_ms} < {}", self.env.last_now_ms);
        self.env.last_now_ms = now_ms;
    }
}
#[cfg(test)]
#[path = "barrier_tests.rs"]
mod tests;
