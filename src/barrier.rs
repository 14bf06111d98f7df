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
//!   `CollectingBarriersUnaligned` (snapshot taken, in-flight records being persisted) and
//!   `WaitingForOvertakenRecords` (every barrier is in, but records that a priority barrier
//!   overtook have not been taken from their channel yet). Two more states exist only for
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
//! * every unaligned `Trigger { id }` is followed by exactly one `ChannelStateComplete { id }` or
//!   `Abort { id }` (a newer barrier, a cancel marker, an end of partition in 1.11 or the
//!   JobManager can still abort a checkpoint whose snapshot was already taken);
//! * an aligned `Trigger { id }` is never followed by anything else for `id`;
//! * `Abort { id }` is produced at most once per id;
//! * when one event ends a checkpoint and starts another, the older one's `Abort` comes first;
//!   a switch to unaligned produces `Trigger` and then `PrioritizeBarriers`.

use crate::config::CheckpointingMode;
use crate::ids::{ChannelId, CheckpointId};
use crate::profile::Profile;
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, Barrier, CheckpointKind};
use crate::variant::Variant;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandlerOutput {
    /// Snapshot the operator state now and forward `barrier` downstream. `unaligned`: the forwarded barrier must overtake queued output (priority), and in-flight records will be reported through `handle_record` until `ChannelStateComplete`. `alignment_ms` = time from first to last barrier (0 for unaligned/single channel).
    ///
    /// A checkpoint that timed out of alignment forwards its barrier as [`Alignment::Unaligned`].
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
    /// Unaligned: every barrier / EndOfPartition for `id` is in; its channel state is complete and the task may acknowledge.
    ///
    /// Also waits for the records that priority barriers of `id` overtook.
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
            HandlerOutput::ChannelStateComplete { id } => write!(f, "complete {id}"),
            HandlerOutput::PrioritizeBarriers { id } => write!(f, "prioritize {id}"),
        }
    }
}

/// A task's barrier handler. See the module docs for the contract.
#[derive(Clone, Debug)]
pub struct BarrierHandler {
    env: Env,
    machine: Machine,
}

/// What both machines share: configuration, channel bookkeeping, the output queue.
#[derive(Clone, Debug)]
struct Env {
    kind: HandlerKind,
    profile: Profile,
    variant: Variant,
    num_channels: u32,
    closed: BTreeSet<ChannelId>,
    last_now_ms: u64,
    outputs: VecDeque<HandlerOutput>,
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

#[derive(Clone, Debug)]
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

    /// `overtaken_records`: number of records behind this barrier in the channel queue that logically precede it (the barrier was delivered with priority and jumped over them). They will arrive next on `ch` and must be persisted as in-flight state of this checkpoint (handle_record returns Some(id) for them).
    ///
    /// "Next on `ch`" means the next `overtaken_records` records taken from `ch`; obsolete
    /// barriers or cancel markers the priority barrier also jumped over may come in between.
    /// Only unaligned barriers (and barriers of a checkpoint the handler asked to prioritize) may
    /// carry overtaken records.
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
    pub fn handle_cancel_marker(&mut self, now_ms: u64, ch: ChannelId, id: CheckpointId) {
        self.enter(now_ms, ch, "cancel marker");
        match &mut self.machine {
            Machine::Single(s) => s.on_cancel_marker(&mut self.env, id),
            Machine::Tracker(t) => t.on_cancel_marker(&mut self.env, now_ms, ch, id),
        }
        self.invariants();
    }

    /// Channel `ch` ended: it no longer takes part in alignments (a pending checkpoint may complete without it).
    pub fn handle_end_of_partition(&mut self, now_ms: u64, ch: ChannelId) {
        self.enter(now_ms, ch, "end of partition");
        self.env.closed.insert(ch);
        match &mut self.machine {
            Machine::Single(s) => s.on_end_of_partition(&mut self.env, now_ms, ch),
            Machine::Tracker(t) => t.on_end_of_partition(&mut self.env, now_ms, ch),
        }
        self.invariants();
    }

    /// A record was taken from `ch` (the host never takes from a blocked channel). Returns Some(id) when the record must be persisted as in-flight channel state of unaligned checkpoint `id` (it precedes ch's barrier of `id` and arrived after the snapshot); the caller processes the record either way.
    pub fn handle_record(&mut self, now_ms: u64, ch: ChannelId) -> Option<CheckpointId> {
        self.enter(now_ms, ch, "record");
        let persist = match &mut self.machine {
            Machine::Single(s) => s.on_record(&mut self.env, ch),
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
            Machine::Single(s) => s.timeout_deadline_ms(),
            Machine::Tracker(_) => None,
        }
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

// ---------------------------------------------------------------------------------------------
// Single-checkpoint machine: aligned, unaligned, aligned-with-timeout (§3.1, §3.3, §3.4).
// ---------------------------------------------------------------------------------------------

/// How one checkpoint is handled, decided by its first barrier (a barrier an upstream task
/// already converted to unaligned still switches an aligned-with-timeout one).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    Aligned,
    AlignedWithTimeout { timeout_ms: u64 },
    Unaligned,
}

/// Per channel, how many of the records a priority barrier jumped over are still to be taken
/// from that channel; they belong to the checkpoint's in-flight state. Entries are never zero.
type Overtaken = BTreeMap<ChannelId, u32>;

#[derive(Clone, Debug)]
enum SingleState {
    /// No checkpoint pending: the next barrier of a newer id starts one.
    WaitingForFirstBarrier,
    /// Aligned (possibly with a timeout): the channels in `aligned` delivered their barrier (or,
    /// in 2.3, ended) and the ones that delivered a barrier are blocked.
    CollectingBarriers {
        barrier: Barrier,
        first_barrier_ms: u64,
        aligned: BTreeSet<ChannelId>,
        target: u32,
        timeout_ms: Option<u64>,
    },
    /// Unaligned: the snapshot was taken; records from channels not in `aligned` are in-flight.
    CollectingBarriersUnaligned { barrier: Barrier, aligned: BTreeSet<ChannelId>, target: u32, overtaken: Overtaken },
    /// Unaligned, every barrier is in; the records some of them overtook are still to be taken.
    WaitingForOvertakenRecords { id: CheckpointId, overtaken: Overtaken },
    /// Aligned with timeout: announcements on the channels in `announced` started the
    /// checkpoint; no barrier (or, in 2.3, end of partition) was taken yet. The timeout clock
    /// runs; nothing is blocked.
    Announced { barrier: Barrier, first_ms: u64, announced: BTreeSet<ChannelId>, target: u32 },
    /// Aligned with timeout, timed out before its first barrier was taken: the announced
    /// barriers were prioritized; the first barrier taken triggers the checkpoint unaligned.
    /// `ended`: channels that ended meanwhile (2.3 counts them as aligned).
    TimedOutBeforeBarrier { barrier: Barrier, ended: BTreeSet<ChannelId>, target: u32 },
}

impl SingleState {
    fn name(&self) -> &'static str {
        match self {
            SingleState::WaitingForFirstBarrier => "WaitingForFirstBarrier",
            SingleState::CollectingBarriers { .. } => "CollectingBarriers",
            SingleState::CollectingBarriersUnaligned { .. } => "CollectingBarriersUnaligned",
            SingleState::WaitingForOvertakenRecords { .. } => "WaitingForOvertakenRecords",
            SingleState::Announced { .. } => "WaitingForFirstBarrierAnnounced",
            SingleState::TimedOutBeforeBarrier { .. } => "WaitingForFirstBarrierUnaligned",
        }
    }
}

#[derive(Clone, Debug)]
struct Single {
    /// The newest id seen (barrier, cancel marker); `NONE` before any.
    current: CheckpointId,
    /// The newest id completed or cancelled. A checkpoint is pending iff `current > last_done`.
    last_done: CheckpointId,
    state: SingleState,
    blocked: BTreeSet<ChannelId>,
    /// Ids newer than `current` the JobManager reported aborted before their first barrier.
    jm_aborted: BTreeSet<CheckpointId>,
}

impl Single {
    fn new() -> Self {
        Single {
            current: CheckpointId::NONE,
            last_done: CheckpointId::NONE,
            state: SingleState::WaitingForFirstBarrier,
            blocked: BTreeSet::new(),
            jm_aborted: BTreeSet::new(),
        }
    }

    fn pending(&self) -> bool {
        self.current > self.last_done
    }

    fn mode_for(env: &Env, barrier: &Barrier) -> Mode {
        match env.kind {
            HandlerKind::Aligned | HandlerKind::AtLeastOnce => Mode::Aligned,
            HandlerKind::Alternating => {
                if barrier.kind == CheckpointKind::Savepoint {
                    return Mode::Aligned;
                }
                match barrier.alignment {
                    Alignment::Aligned | Alignment::AtLeastOnce => Mode::Aligned,
                    Alignment::Unaligned => Mode::Unaligned,
                    // 1.11 has no aligned timeout: its alternating handler takes every
                    // checkpoint unaligned.
                    Alignment::AlignedWithTimeout { timeout_ms } if env.profile.supports_aligned_timeout() => {
                        Mode::AlignedWithTimeout { timeout_ms }
                    }
                    Alignment::AlignedWithTimeout { .. } => Mode::Unaligned,
                }
            }
        }
    }

    fn on_barrier(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier, overtaken: u32) {
        let id = barrier.id;
        if id < self.current || (id == self.current && !self.pending()) {
            // Obsolete. The channel is not blocked (the handler blocks explicitly, after the
            // barrier), so there is nothing to resume; records it overtook are not in-flight
            // state of any live checkpoint.
            return;
        }
        if id > self.current {
            self.start_checkpoint(env, now_ms, barrier);
            if !self.pending() {
                return; // the JobManager had aborted `id`
            }
        }
        // An announcement had started `id`: its first barrier begins the alignment (or, once
        // timed out, triggers it unaligned).
        self.leave_announced(env);
        if matches!(self.state, SingleState::CollectingBarriers { .. })
            && Self::mode_for(env, &barrier) == Mode::Unaligned
        {
            // An upstream task timed out of alignment and forwarded `id` unaligned: this task
            // stops aligning too (Flink's aligned states switch on an unaligned barrier).
            self.switch_to_unaligned(env);
        }
        match &mut self.state {
            SingleState::CollectingBarriers { aligned, .. } => {
                assert_eq!(overtaken, 0, "aligned barrier {id} on {ch} delivered with priority");
                aligned.insert(ch);
                if env.variant != Variant::AlignedNoBlock {
                    self.blocked.insert(ch);
                }
                self.after_aligned_progress(env, now_ms);
            }
            SingleState::CollectingBarriersUnaligned { aligned, overtaken: map, .. } => {
                aligned.insert(ch);
                if overtaken > 0 {
                    map.insert(ch, overtaken);
                }
                self.after_unaligned_progress(env);
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::WaitingForOvertakenRecords { .. }
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => {
                unreachable!("checkpoint {id} is pending but no checkpoint is being collected")
            }
        }
    }

    /// An announced barrier (§3.4, flink-2.3): see [`BarrierHandler::handle_announcement`].
    fn on_announcement(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier) {
        if !matches!(Self::mode_for(env, &barrier), Mode::AlignedWithTimeout { .. }) {
            return; // only aligned-with-timeout barriers are announced (`requiresAnnouncement`)
        }
        let id = barrier.id;
        if id < self.current || (id == self.current && !self.pending()) {
            return; // obsolete announcement
        }
        if id > self.current {
            if self.begin(env, id) {
                let announced = BTreeSet::from([ch]);
                self.state =
                    SingleState::Announced { barrier, first_ms: now_ms, announced, target: env.open_channels() };
            }
            return;
        }
        match &mut self.state {
            SingleState::Announced { announced, .. } => {
                announced.insert(ch);
            }
            // Seen; a time-out prioritizes every barrier of the checkpoint still queued.
            SingleState::CollectingBarriers { .. } => {}
            // Already unaligned: the announced barrier overtakes its channel's records at once.
            SingleState::CollectingBarriersUnaligned { .. } | SingleState::TimedOutBeforeBarrier { .. } => {
                env.emit(HandlerOutput::PrioritizeBarriers { id })
            }
            SingleState::WaitingForFirstBarrier | SingleState::WaitingForOvertakenRecords { .. } => {
                unreachable!("announcement of pending checkpoint {id} without a collecting state")
            }
        }
    }

    /// Leaves the two announcement-only states when the first barrier (or, in 2.3, end of
    /// partition) of the pending checkpoint is taken: `Announced` becomes an aligned
    /// collection; `TimedOutBeforeBarrier` triggers unaligned at once (Flink's
    /// `AlternatingWaitingForFirstBarrierUnaligned.barrierReceived`).
    fn leave_announced(&mut self, env: &mut Env) {
        match std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier) {
            SingleState::Announced { barrier, first_ms, target, .. } => {
                let Mode::AlignedWithTimeout { timeout_ms } = Self::mode_for(env, &barrier) else {
                    unreachable!("only aligned-with-timeout checkpoints are announced")
                };
                self.state = SingleState::CollectingBarriers {
                    barrier,
                    first_barrier_ms: first_ms,
                    aligned: BTreeSet::new(),
                    target,
                    timeout_ms: Some(timeout_ms),
                };
            }
            SingleState::TimedOutBeforeBarrier { barrier, ended, target } => {
                let barrier = Barrier { alignment: Alignment::Unaligned, ..barrier };
                env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
                self.state = SingleState::CollectingBarriersUnaligned {
                    barrier,
                    aligned: ended,
                    target,
                    overtaken: Overtaken::new(),
                };
            }
            other => self.state = other,
        }
    }

    /// The first barrier of a newer id: end whatever is in progress, then start `barrier.id`.
    fn start_checkpoint(&mut self, env: &mut Env, now_ms: u64, barrier: Barrier) {
        if !self.begin(env, barrier.id) {
            return;
        }
        let target = env.open_channels();
        match Self::mode_for(env, &barrier) {
            Mode::Aligned => {
                self.state = SingleState::CollectingBarriers {
                    barrier,
                    first_barrier_ms: now_ms,
                    aligned: BTreeSet::new(),
                    target,
                    timeout_ms: None,
                }
            }
            Mode::AlignedWithTimeout { timeout_ms } => {
                self.state = SingleState::CollectingBarriers {
                    barrier,
                    first_barrier_ms: now_ms,
                    aligned: BTreeSet::new(),
                    target,
                    timeout_ms: Some(timeout_ms),
                }
            }
            Mode::Unaligned => {
                env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
                self.state = SingleState::CollectingBarriersUnaligned {
                    barrier,
                    aligned: BTreeSet::new(),
                    target,
                    overtaken: Overtaken::new(),
                };
            }
        }
    }

    /// A newer id `id` starts (its first barrier or announcement): end whatever is in progress
    /// and make `id` current. False when the JobManager had already aborted `id` (aborted here).
    fn begin(&mut self, env: &mut Env, id: CheckpointId) -> bool {
        if self.pending() {
            self.abort_internal(env, self.current, CheckpointFailureReason::CheckpointDeclinedSubsumed);
        }
        if let SingleState::WaitingForOvertakenRecords { id, .. } = self.state {
            // A newer checkpoint starts before the older one's overtaken records were taken:
            // those records now belong to the newer checkpoint's cut, so the older one cannot
            // finish its channel state.
            self.state = SingleState::WaitingForFirstBarrier;
            env.abort(id, CheckpointFailureReason::CheckpointDeclinedSubsumed);
        }
        self.current = id;
        self.jm_aborted.retain(|&x| x >= id);
        if self.jm_aborted.remove(&id) {
            self.last_done = id;
            env.abort(id, JOB_MANAGER_ABORT_REASON);
            return false;
        }
        true
    }

    /// After a barrier or end of partition was counted for an aligned checkpoint: trigger when
    /// all are in, else switch to unaligned when timed out (Flink checks in this order).
    fn after_aligned_progress(&mut self, env: &mut Env, now_ms: u64) {
        let SingleState::CollectingBarriers { barrier, first_barrier_ms, aligned, target, .. } = &self.state else {
            unreachable!("after_aligned_progress outside CollectingBarriers")
        };
        if aligned.len() as u32 == *target {
            let alignment_ms = if *target > 1 { now_ms - first_barrier_ms } else { 0 };
            env.emit(HandlerOutput::Trigger { barrier: *barrier, unaligned: false, alignment_ms });
            self.blocked.clear();
            self.last_done = self.current;
            self.state = SingleState::WaitingForFirstBarrier;
        } else if self.timed_out(now_ms) {
            self.switch_to_unaligned(env);
        }
    }

    fn after_unaligned_progress(&mut self, env: &mut Env) {
        let SingleState::CollectingBarriersUnaligned { barrier, aligned, target, overtaken } = &mut self.state else {
            unreachable!("after_unaligned_progress outside CollectingBarriersUnaligned")
        };
        if aligned.len() as u32 == *target {
            let id = barrier.id;
            let overtaken = std::mem::take(overtaken);
            self.last_done = self.current;
            if overtaken.is_empty() {
                env.emit(HandlerOutput::ChannelStateComplete { id });
                self.state = SingleState::WaitingForFirstBarrier;
            } else {
                self.state = SingleState::WaitingForOvertakenRecords { id, overtaken };
            }
        }
    }

    /// The barrier and timeout of a checkpoint whose alignment clock runs (aligned with
    /// timeout: collecting barriers, or started by an announcement).
    fn timeout_clock(&self) -> Option<(&Barrier, u64)> {
        match &self.state {
            SingleState::CollectingBarriers { barrier, timeout_ms: Some(timeout_ms), .. } => {
                Some((barrier, *timeout_ms))
            }
            SingleState::Announced { barrier, .. } => match barrier.alignment {
                Alignment::AlignedWithTimeout { timeout_ms } => Some((barrier, timeout_ms)),
                _ => None,
            },
            _ => None,
        }
    }

    fn timed_out(&self, now_ms: u64) -> bool {
        self.timeout_clock()
            .is_some_and(|(barrier, timeout_ms)| now_ms.saturating_sub(barrier.timestamp_ms) > timeout_ms)
    }

    fn timeout_deadline_ms(&self) -> Option<u64> {
        self.timeout_clock()
            .map(|(barrier, timeout_ms)| barrier.timestamp_ms.saturating_add(timeout_ms).saturating_add(1))
    }

    /// §3.4: the aligned checkpoint timed out before all barriers arrived (here, or upstream:
    /// one of its barriers arrived unaligned). Trigger it unaligned, unblock everything, and ask
    /// the host to prioritize the barriers still queued.
    fn switch_to_unaligned(&mut self, env: &mut Env) {
        let state = std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier);
        let SingleState::CollectingBarriers { barrier, aligned, target, .. } = state else {
            unreachable!("switch_to_unaligned outside CollectingBarriers")
        };
        self.blocked.clear();
        let barrier = Barrier { alignment: Alignment::Unaligned, ..barrier };
        env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
        env.emit(HandlerOutput::PrioritizeBarriers { id: barrier.id });
        self.state = SingleState::CollectingBarriersUnaligned { barrier, aligned, target, overtaken: Overtaken::new() };
    }

    /// Flink's `abortInternal`: end the pending checkpoint (if any) and everything up to
    /// `cancelled`, which is reported. A lower pending aligned checkpoint is dropped silently;
    /// a lower pending *unaligned* one already took its snapshot and is reported too.
    /// A checkpoint only waiting for overtaken records is complete barrier-wise and survives.
    fn abort_internal(&mut self, env: &mut Env, cancelled: CheckpointId, reason: CheckpointFailureReason) {
        let state = std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier);
        match state {
            SingleState::CollectingBarriersUnaligned { barrier, .. } if barrier.id != cancelled => {
                env.abort(barrier.id, reason);
            }
            SingleState::WaitingForOvertakenRecords { .. } => self.state = state,
            _ => {}
        }
        self.current = self.current.max(cancelled);
        self.last_done = self.last_done.max(cancelled);
        self.blocked.clear();
        let current = self.current;
        self.jm_aborted.retain(|&x| x > current);
        env.abort(cancelled, reason);
    }

    fn on_cancel_marker(&mut self, env: &mut Env, id: CheckpointId) {
        if id > self.current || (id == self.current && self.pending()) {
            self.abort_internal(env, id, CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier);
        }
        // Otherwise a trailing marker of a checkpoint already completed or cancelled: ignored.
    }

    fn on_end_of_partition(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId) {
        if let SingleState::CollectingBarriersUnaligned { overtaken, .. }
        | SingleState::WaitingForOvertakenRecords { overtaken, .. } = &self.state
        {
            assert!(!overtaken.contains_key(&ch), "end of partition on {ch} before the records its barrier overtook");
        }
        if !self.pending() {
            return;
        }
        if !env.profile.end_of_partition_counts_as_aligned() {
            self.abort_internal(env, self.current, CheckpointFailureReason::CheckpointDeclinedInputEndOfStream);
            return;
        }
        if let SingleState::TimedOutBeforeBarrier { barrier, ended, target } = &mut self.state {
            ended.insert(ch);
            if ended.len() as u32 == *target {
                // Every channel ended before any barrier came: nothing is in flight.
                let barrier = Barrier { alignment: Alignment::Unaligned, ..*barrier };
                env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
                env.emit(HandlerOutput::ChannelStateComplete { id: barrier.id });
                self.last_done = self.current;
                self.state = SingleState::WaitingForFirstBarrier;
            }
            return;
        }
        self.leave_announced(env);
        match &mut self.state {
            SingleState::CollectingBarriers { aligned, .. } => {
                aligned.insert(ch);
                self.after_aligned_progress(env, now_ms);
            }
            SingleState::CollectingBarriersUnaligned { aligned, .. } => {
                aligned.insert(ch);
                self.after_unaligned_progress(env);
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::WaitingForOvertakenRecords { .. }
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => {
                unreachable!("pending checkpoint without a collecting state")
            }
        }
    }

    fn on_record(&mut self, env: &mut Env, ch: ChannelId) -> Option<CheckpointId> {
        match &mut self.state {
            SingleState::CollectingBarriersUnaligned { barrier, aligned, overtaken, .. } => {
                if !aligned.contains(&ch) {
                    return Some(barrier.id);
                }
                take_overtaken(overtaken, ch).then_some(barrier.id)
            }
            SingleState::WaitingForOvertakenRecords { id, overtaken } => {
                let id = *id;
                if !take_overtaken(overtaken, ch) {
                    return None;
                }
                if overtaken.is_empty() {
                    self.state = SingleState::WaitingForFirstBarrier;
                    env.emit(HandlerOutput::ChannelStateComplete { id });
                }
                Some(id)
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::CollectingBarriers { .. }
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => None,
        }
    }

    fn on_timeout(&mut self, env: &mut Env, now_ms: u64) {
        if !self.timed_out(now_ms) {
            return;
        }
        if let SingleState::Announced { barrier, target, .. } = self.state {
            // Timed out before any barrier was taken (Flink's
            // `AlternatingWaitingForFirstBarrier.alignedCheckpointTimeout`): the announced
            // barriers overtake their channels' records; the first one taken triggers.
            env.emit(HandlerOutput::PrioritizeBarriers { id: barrier.id });
            self.state = SingleState::TimedOutBeforeBarrier { barrier, ended: BTreeSet::new(), target };
        } else {
            self.switch_to_unaligned(env);
        }
    }

    fn on_checkpoint_aborted(&mut self, env: &mut Env, id: CheckpointId) {
        if let SingleState::WaitingForOvertakenRecords { id: waiting, .. } = self.state {
            if waiting == id {
                self.state = SingleState::WaitingForFirstBarrier;
                env.abort(id, JOB_MANAGER_ABORT_REASON);
                return;
            }
        }
        if id == self.current && self.pending() {
            self.abort_internal(env, id, JOB_MANAGER_ABORT_REASON);
        } else if id > self.current {
            self.jm_aborted.insert(id);
            while self.jm_aborted.len() > MAX_TRACKED_CHECKPOINTS {
                self.jm_aborted.pop_first();
            }
        }
        // Otherwise `id` is already completed or cancelled here.
    }

    fn invariants(&self, env: &Env) {
        assert!(self.last_done <= self.current);
        assert!(self.blocked.iter().all(|ch| ch.0 < env.num_channels && !env.closed.contains(ch)));
        assert!(self.jm_aborted.iter().all(|&x| x > self.current));
        assert!(self.jm_aborted.len() <= MAX_TRACKED_CHECKPOINTS);
        if env.variant == Variant::AlignedNoBlock {
            assert!(self.blocked.is_empty(), "the no-block variant never blocks");
        }
        let check_overtaken = |overtaken: &Overtaken| {
            assert!(overtaken.values().all(|&n| n > 0));
            assert!(overtaken.keys().all(|ch| ch.0 < env.num_channels && !env.closed.contains(ch)));
        };
        match &self.state {
            SingleState::WaitingForFirstBarrier => {
                assert!(!self.pending());
                assert!(self.blocked.is_empty());
            }
            SingleState::CollectingBarriers { barrier, aligned, target, timeout_ms, .. } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert!(!aligned.is_empty() && (aligned.len() as u32) < *target && *target <= env.num_channels);
                assert!(self.blocked.is_subset(aligned));
                if env.variant != Variant::AlignedNoBlock {
                    let expected: BTreeSet<ChannelId> = aligned.difference(&env.closed).copied().collect();
                    assert_eq!(self.blocked, expected, "exactly the channels that delivered a barrier are blocked");
                }
                assert!(timeout_ms.is_none() || env.kind == HandlerKind::Alternating);
            }
            SingleState::CollectingBarriersUnaligned { barrier, aligned, target, overtaken } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert_eq!(env.kind, HandlerKind::Alternating);
                assert!(!aligned.is_empty() && (aligned.len() as u32) < *target && *target <= env.num_channels);
                assert!(self.blocked.is_empty());
                check_overtaken(overtaken);
                assert!(overtaken.keys().all(|ch| aligned.contains(ch)));
            }
            SingleState::WaitingForOvertakenRecords { id, overtaken } => {
                assert!(!self.pending());
                assert!(*id <= self.last_done);
                assert!(self.blocked.is_empty());
                assert!(!overtaken.is_empty());
                check_overtaken(overtaken);
            }
            SingleState::Announced { barrier, first_ms, announced, target } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert_eq!(env.kind, HandlerKind::Alternating);
                assert!(env.profile.supports_aligned_timeout(), "1.11 has no barrier announcements");
                assert!(matches!(barrier.alignment, Alignment::AlignedWithTimeout { .. }));
                assert!(self.blocked.is_empty());
                assert!(*first_ms <= env.last_now_ms);
                assert!(!announced.is_empty() && announced.iter().all(|ch| ch.0 < env.num_channels));
                assert!(*target >= 1 && *target <= env.num_channels);
            }
            SingleState::TimedOutBeforeBarrier { barrier, ended, target } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert_eq!(env.kind, HandlerKind::Alternating);
                assert!(self.blocked.is_empty());
                assert!((ended.len() as u32) < *target && *target <= env.num_channels);
                assert!(ended.is_subset(&env.closed));
            }
        }
    }
}

/// Counts one overtaken record taken from `ch`; false if `ch` owes none.
fn take_overtaken(overtaken: &mut Overtaken, ch: ChannelId) -> bool {
    let Some(n) = overtaken.get_mut(&ch) else {
        return false;
    };
    *n -= 1;
    if *n == 0 {
        overtaken.remove(&ch);
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Barrier tracker: at-least-once (§3.2).
// ---------------------------------------------------------------------------------------------

/// One checkpoint for which some, but not all, barriers (or cancel markers) arrived.
#[derive(Clone, Debug)]
struct Tracked {
    id: CheckpointId,
    /// `None` for an entry a cancel marker created (it is aborted and never triggers).
    barrier: Option<Barrier>,
    first_barrier_ms: u64,
    /// Distinct channels seen (2.3 counts these).
    channels: BTreeSet<ChannelId>,
    /// Barriers and cancel markers seen (1.11 counts these).
    arrivals: u32,
    /// Open channels when the entry was created.
    target: u32,
    /// Aborted (and reported, exactly once); still counted so the entry can be removed.
    aborted: bool,
}

impl Tracked {
    fn mark(&mut self, ch: ChannelId, distinct: bool) -> u32 {
        self.channels.insert(ch);
        self.arrivals += 1;
        if distinct {
            self.channels.len() as u32
        } else {
            self.arrivals
        }
    }

    fn count(&self, distinct: bool) -> u32 {
        if distinct {
            self.channels.len() as u32
        } else {
            self.arrivals
        }
    }
}

#[derive(Clone, Debug)]
struct Tracker {
    /// Oldest first, ids strictly increasing.
    pending: VecDeque<Tracked>,
    /// The highest id that created an entry; `NONE` before any.
    latest_pending: CheckpointId,
    /// Ids the JobManager reported aborted before this task saw any of their barriers.
    jm_aborted: BTreeSet<CheckpointId>,
}

impl Tracker {
    fn new() -> Self {
        Tracker { pending: VecDeque::new(), latest_pending: CheckpointId::NONE, jm_aborted: BTreeSet::new() }
    }

    fn trigger(env: &mut Env, entry: &Tracked, now_ms: u64) {
        let barrier = entry.barrier.expect("a non-aborted tracker entry has its barrier");
        let alignment_ms = now_ms - entry.first_barrier_ms;
        env.emit(HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms });
    }

    /// Removes the entry at `pos` and every older one (older incomplete checkpoints are
    /// dropped silently) and triggers it unless it was aborted.
    fn complete_at(&mut self, env: &mut Env, pos: usize, now_ms: u64) {
        let entry = self.pending.drain(..=pos).next_back().expect("pos is in range");
        if !entry.aborted {
            Self::trigger(env, &entry, now_ms);
        }
    }

    fn on_barrier(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier, overtaken: u32) {
        assert_eq!(overtaken, 0, "at-least-once barriers are never delivered with priority");
        let id = barrier.id;
        let distinct = env.profile.tracker_counts_distinct_channels();
        // Fast path for one open channel, only for new checkpoints (Flink leaves
        // latest_pending untouched here).
        if id > self.latest_pending && env.open_channels() == 1 {
            if self.jm_aborted.remove(&id) {
                env.abort(id, JOB_MANAGER_ABORT_REASON);
            } else {
                env.emit(HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms: 0 });
            }
            self.jm_aborted.retain(|&x| x > id);
            return;
        }
        if let Some(pos) = self.pending.iter().position(|e| e.id == id) {
            let entry = &mut self.pending[pos];
            if entry.mark(ch, distinct) == entry.target {
                self.complete_at(env, pos, now_ms);
            }
        } else if id > self.latest_pending {
            self.latest_pending = id;
            let aborted = self.jm_aborted.remove(&id);
            self.jm_aborted.retain(|&x| x > id);
            if aborted {
                env.abort(id, JOB_MANAGER_ABORT_REASON);
            }
            self.pending.push_back(Tracked {
                id,
                barrier: Some(barrier),
                first_barrier_ms: now_ms,
                channels: BTreeSet::from([ch]),
                arrivals: 1,
                target: env.open_channels(),
                aborted,
            });
            if self.pending.len() > MAX_TRACKED_CHECKPOINTS {
                self.pending.pop_front();
            }
        }
        // Otherwise not newer than the latest tracked id and not tracked: it cannot complete.
    }

    fn on_cancel_marker(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, id: CheckpointId) {
        let reason = CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier;
        let distinct = env.profile.tracker_counts_distinct_channels();
        if id > self.latest_pending && env.open_channels() == 1 {
            self.jm_aborted.remove(&id);
            env.abort(id, reason);
            return;
        }
        while self.pending.front().is_some_and(|e| e.id < id) {
            let entry = self.pending.pop_front().expect("front exists");
            if !entry.aborted {
                env.abort(entry.id, reason);
            }
        }
        match self.pending.front_mut() {
            Some(entry) if entry.id == id => {
                if !entry.aborted {
                    entry.aborted = true;
                    env.abort(id, reason);
                }
                if entry.mark(ch, distinct) == entry.target {
                    self.pending.pop_front();
                }
            }
            _ if id > self.latest_pending => {
                env.abort(id, reason);
                self.latest_pending = id;
                self.jm_aborted.retain(|&x| x > id);
                self.pending.push_front(Tracked {
                    id,
                    barrier: None,
                    first_barrier_ms: now_ms,
                    channels: BTreeSet::from([ch]),
                    arrivals: 1,
                    target: env.open_channels(),
                    aborted: true,
                });
            }
            _ => {} // trailing marker of a checkpoint already cancelled or dropped
        }
    }

    fn on_end_of_partition(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId) {
        if !env.profile.end_of_partition_counts_as_aligned() {
            while let Some(entry) = self.pending.pop_front() {
                if !entry.aborted {
                    env.abort(entry.id, CheckpointFailureReason::CheckpointDeclinedInputEndOfStream);
                }
            }
            return;
        }
        // The newest entry the finished channel completes (every entry scanned counts it).
        let distinct = env.profile.tracker_counts_distinct_channels();
        let mut completed = None;
        for pos in (0..self.pending.len()).rev() {
            let entry = &mut self.pending[pos];
            if entry.mark(ch, distinct) == entry.target {
                completed = Some(pos);
                break;
            }
        }
        if let Some(pos) = completed {
            self.complete_at(env, pos, now_ms);
        }
    }

    fn on_checkpoint_aborted(&mut self, env: &mut Env, id: CheckpointId) {
        if let Some(entry) = self.pending.iter_mut().find(|e| e.id == id) {
            if !entry.aborted {
                entry.aborted = true;
                env.abort(id, JOB_MANAGER_ABORT_REASON);
            }
        } else if id > self.latest_pending {
            self.jm_aborted.insert(id);
            while self.jm_aborted.len() > MAX_TRACKED_CHECKPOINTS {
                self.jm_aborted.pop_first();
            }
        }
    }

    fn invariants(&self, env: &Env) {
        let distinct = env.profile.tracker_counts_distinct_channels();
        assert!(self.pending.len() <= MAX_TRACKED_CHECKPOINTS);
        assert!(self.jm_aborted.len() <= MAX_TRACKED_CHECKPOINTS);
        assert!(self.pending.iter().zip(self.pending.iter().skip(1)).all(|(a, b)| a.id < b.id));
        for entry in &self.pending {
            assert!(entry.id <= self.latest_pending);
            assert!(entry.count(distinct) < entry.target, "a complete entry is removed");
            assert!(entry.target <= env.num_channels);
            assert!(!entry.channels.is_empty() && entry.channels.iter().all(|ch| ch.0 < env.num_channels));
            assert!(entry.aborted || entry.barrier.is_some());
            assert!(entry.barrier.is_none_or(|b| b.id == entry.id));
            assert!(!self.jm_aborted.contains(&entry.id));
        }
    }
}

#[cfg(test)]
#[path = "barrier_tests.rs"]
mod tests;
