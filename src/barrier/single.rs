//! The single-checkpoint barrier machine of the [`BarrierHandler`](super::BarrierHandler), after Flink's `SingleCheckpointBarrierHandler` and its `BarrierHandlerState`s: aligned, unaligned and aligned-with-timeout checkpoints (semantics §3.1, §3.3, §3.4).

use super::{Env, HandlerKind, HandlerOutput, JOB_MANAGER_ABORT_REASON, MAX_TRACKED_CHECKPOINTS};
use crate::ids::{ChannelId, CheckpointId};
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, Barrier, CheckpointKind};
use crate::variant::Variant;
use std::collections::BTreeSet;

/// How one checkpoint is handled, decided by its first barrier (a barrier an upstream task
/// already converted to unaligned still switches an aligned-with-timeout one).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub(super) enum Mode {
    Aligned,
    AlignedWithTimeout { timeout_ms: u64 },
    Unaligned,
}

#[derive(Clone, Debug, Hash)]
pub(super) enum SingleState {
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
    /// Unaligned: the snapshot was taken; records taken from channels not in `aligned` are
    /// in-flight, and so are the records each priority barrier overtook (persisted when that
    /// barrier is taken, [`HandlerOutput::PersistOvertaken`]).
    CollectingBarriersUnaligned { barrier: Barrier, aligned: BTreeSet<ChannelId>, target: u32 },
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
    pub(super) fn name(&self) -> &'static str {
        match self {
            SingleState::WaitingForFirstBarrier => "WaitingForFirstBarrier",
            SingleState::CollectingBarriers { .. } => "CollectingBarriers",
            SingleState::CollectingBarriersUnaligned { .. } => "CollectingBarriersUnaligned",
            SingleState::Announced { .. } => "WaitingForFirstBarrierAnnounced",
            SingleState::TimedOutBeforeBarrier { .. } => "WaitingForFirstBarrierUnaligned",
        }
    }
}

#[derive(Clone, Debug, Hash)]
pub(super) struct Single {
    /// The newest id seen (barrier, cancel marker); `NONE` before any.
    pub(super) current: CheckpointId,
    /// The newest id completed or cancelled. A checkpoint is pending iff `current > last_done`.
    pub(super) last_done: CheckpointId,
    pub(super) state: SingleState,
    pub(super) blocked: BTreeSet<ChannelId>,
    /// Ids newer than `current` the JobManager reported aborted before their first barrier.
    pub(super) jm_aborted: BTreeSet<CheckpointId>,
    /// The unaligned checkpoint whose barriers all arrived (`current`), until a newer id or an
    /// abort: under flink-1.11 its cancel marker still aborts it
    /// ([`Profile::cancel_marker_aborts_completed_unaligned`](crate::Profile::cancel_marker_aborts_completed_unaligned)).
    pub(super) unaligned_done: Option<CheckpointId>,
}

impl Single {
    pub(super) fn new() -> Self {
        Single {
            current: CheckpointId::NONE,
            last_done: CheckpointId::NONE,
            state: SingleState::WaitingForFirstBarrier,
            blocked: BTreeSet::new(),
            jm_aborted: BTreeSet::new(),
            unaligned_done: None,
        }
    }

    pub(super) fn pending(&self) -> bool {
        self.current > self.last_done
    }

    pub(super) fn mode_for(env: &Env, barrier: &Barrier) -> Mode {
        match env.kind {
            HandlerKind::Aligned | HandlerKind::AtLeastOnce => Mode::Aligned,
            HandlerKind::Alternating => {
                if barrier.kind == CheckpointKind::Savepoint {
                    return Mode::Aligned;
                }
                match barrier.alignment {
                    // Forced aligned (semantics §14, forced alignment): aligned, never timed out
                    // (`CheckpointOptions#isTimeoutable` is false for FORCED_ALIGNED).
                    Alignment::Aligned | Alignment::AtLeastOnce | Alignment::ForcedAligned { .. } => Mode::Aligned,
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

    pub(super) fn on_barrier(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier, overtaken: u32) {
        let id = barrier.id;
        if id < self.current || (id == self.current && !self.pending()) {
            // Obsolete. The channel is not blocked (the handler blocks explicitly, after the
            // barrier), so there is nothing to resume; records it overtook are not in-flight
            // state of any live checkpoint.
            return;
        }
        if id > self.current && env.variant == Variant::NewerBarrierMerges && self.merge_newer(env, now_ms, ch) {
            return; // the planted bug: counted for the older alignment
        }
        if id > self.current {
            self.start_checkpoint(env, now_ms, barrier);
            if !self.pending() {
                return; // the JobManager had aborted `id`
            }
        }
        // An announcement had started `id`: its first barrier begins the alignment (or, once
        // timed out, triggers it unaligned).
        self.leave_announced(env, now_ms);
        if matches!(self.state, SingleState::CollectingBarriers { .. })
            && Self::mode_for(env, &barrier) == Mode::Unaligned
        {
            // An upstream task timed out of alignment and forwarded `id` unaligned: this task
            // stops aligning too (Flink's aligned states switch on an unaligned barrier).
            self.switch_to_unaligned(env);
        }
        match &mut self.state {
            SingleState::CollectingBarriers { aligned, barrier: pending, target, .. } => {
                assert_eq!(overtaken, 0, "aligned barrier {id} on {ch} delivered with priority");
                aligned.insert(ch);
                env.metrics.aligned(now_ms, pending, aligned.len(), *target);
                if env.variant != Variant::AlignedNoBlock {
                    self.blocked.insert(ch);
                }
                self.after_aligned_progress(env, now_ms);
            }
            SingleState::CollectingBarriersUnaligned { aligned, barrier: pending, target } => {
                aligned.insert(ch);
                env.metrics.aligned(now_ms, pending, aligned.len(), *target);
                if overtaken > 0 {
                    // The records this barrier jumped over are channel state of `id` now, as
                    // Flink's `RemoteInputChannel#checkpointStarted` spills the buffers queued
                    // ahead of a received priority barrier at once: the task need not process
                    // them before its channel state is complete.
                    env.emit(HandlerOutput::PersistOvertaken { id, channel: ch, records: overtaken });
                }
                self.after_unaligned_progress(env);
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => {
                unreachable!("checkpoint {id} is pending but no checkpoint is being collected")
            }
        }
    }

    /// The planted `newer-barrier-merges`: a newer barrier arriving while an aligned checkpoint
    /// is collected counts for that checkpoint. False when nothing aligned is pending.
    fn merge_newer(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId) -> bool {
        if !self.pending() {
            return false;
        }
        let SingleState::CollectingBarriers { aligned, barrier, target, .. } = &mut self.state else { return false };
        aligned.insert(ch);
        env.metrics.aligned(now_ms, barrier, aligned.len(), *target);
        self.blocked.insert(ch);
        self.after_aligned_progress(env, now_ms);
        true
    }

    /// An announced barrier (§3.4, flink-2.3): see [`BarrierHandler::handle_announcement`].
    pub(super) fn on_announcement(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier) {
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
            SingleState::WaitingForFirstBarrier => {
                unreachable!("announcement of pending checkpoint {id} without a collecting state")
            }
        }
    }

    /// Leaves the two announcement-only states when the first barrier (or, in 2.3, end of
    /// partition) of the pending checkpoint is taken at `now_ms`: `Announced` becomes an
    /// aligned collection whose alignment time runs from `now_ms` (Flink's
    /// `SingleCheckpointBarrierHandler.processBarrier` calls `markAlignmentStart` on the first
    /// barrier, not on the announcement; the timeout still runs from the checkpoint's
    /// timestamp); `TimedOutBeforeBarrier` triggers unaligned at once (Flink's
    /// `AlternatingWaitingForFirstBarrierUnaligned.barrierReceived`).
    pub(super) fn leave_announced(&mut self, env: &mut Env, now_ms: u64) {
        match std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier) {
            SingleState::Announced { barrier, first_ms, target, .. } => {
                debug_assert!(first_ms <= now_ms, "the announcement came before the first barrier");
                let Mode::AlignedWithTimeout { timeout_ms } = Self::mode_for(env, &barrier) else {
                    unreachable!("only aligned-with-timeout checkpoints are announced")
                };
                self.state = SingleState::CollectingBarriers {
                    barrier,
                    first_barrier_ms: now_ms,
                    aligned: BTreeSet::new(),
                    target,
                    timeout_ms: Some(timeout_ms),
                };
            }
            SingleState::TimedOutBeforeBarrier { barrier, ended, target } => {
                let barrier = Barrier { alignment: Alignment::Unaligned, ..barrier };
                env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
                self.state = SingleState::CollectingBarriersUnaligned { barrier, aligned: ended, target };
            }
            other => self.state = other,
        }
    }

    /// The first barrier of a newer id: end whatever is in progress, then start `barrier.id`.
    pub(super) fn start_checkpoint(&mut self, env: &mut Env, now_ms: u64, barrier: Barrier) {
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
                self.state = SingleState::CollectingBarriersUnaligned { barrier, aligned: BTreeSet::new(), target };
            }
        }
    }

    /// A newer id `id` starts (its first barrier or announcement): end whatever is in progress
    /// and make `id` current. False when the JobManager had already aborted `id` (aborted here).
    pub(super) fn begin(&mut self, env: &mut Env, id: CheckpointId) -> bool {
        if self.pending() {
            self.abort_internal(env, self.current, CheckpointFailureReason::CheckpointDeclinedSubsumed);
        }
        // Under the planted `cancel-unblocks-own-channel`, channels a cancel marker left blocked
        // are released by the next checkpoint.
        self.blocked.clear();
        self.current = id;
        self.unaligned_done = None;
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
    pub(super) fn after_aligned_progress(&mut self, env: &mut Env, now_ms: u64) {
        let SingleState::CollectingBarriers { barrier, first_barrier_ms, aligned, target, .. } = &self.state else {
            unreachable!("after_aligned_progress outside CollectingBarriers")
        };
        if aligned.len() as u32 == *target {
            let alignment_ms = if *target > 1 { now_ms - first_barrier_ms } else { 0 };
            env.emit(HandlerOutput::Trigger { barrier: *barrier, unaligned: false, alignment_ms });
            self.blocked.clear();
            self.last_done = self.current;
            self.state = SingleState::WaitingForFirstBarrier;
        } else if self.timed_out(env, now_ms) {
            self.switch_to_unaligned(env);
        }
    }

    pub(super) fn after_unaligned_progress(&mut self, env: &mut Env) {
        let SingleState::CollectingBarriersUnaligned { barrier, aligned, target } = &self.state else {
            unreachable!("after_unaligned_progress outside CollectingBarriersUnaligned")
        };
        if aligned.len() as u32 == *target {
            // Every barrier (or end of partition) is in, and the records the priority barriers
            // overtook were persisted when those barriers were taken: the channel state is
            // complete (Flink's `SingleCheckpointBarrierHandler` completes its
            // all-barriers-received future, after which `ChannelStateWriter#finishInput` runs).
            env.emit(HandlerOutput::ChannelStateComplete { id: barrier.id });
            self.last_done = self.current;
            self.unaligned_done = Some(self.current);
            self.state = SingleState::WaitingForFirstBarrier;
        }
    }

    /// The barrier and timeout of a checkpoint whose alignment clock runs (aligned with
    /// timeout: collecting barriers, or started by an announcement).
    pub(super) fn timeout_clock(&self) -> Option<(&Barrier, u64)> {
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

    pub(super) fn timed_out(&self, env: &Env, now_ms: u64) -> bool {
        self.timeout_clock()
            .is_some_and(|(barrier, timeout_ms)| now_ms.saturating_sub(self.clock_start(env, barrier)) > timeout_ms)
    }

    pub(super) fn timeout_deadline_ms(&self, env: &Env) -> Option<u64> {
        self.timeout_clock()
            .map(|(barrier, timeout_ms)| self.clock_start(env, barrier).saturating_add(timeout_ms).saturating_add(1))
    }

    /// Where the alignment timeout runs from: the checkpoint's timestamp (under the planted
    /// `timeout-from-first-barrier`, the first barrier's arrival here).
    fn clock_start(&self, env: &Env, barrier: &Barrier) -> u64 {
        match &self.state {
            SingleState::CollectingBarriers { first_barrier_ms, .. }
                if env.variant == Variant::TimeoutFromFirstBarrier =>
            {
                *first_barrier_ms
            }
            _ => barrier.timestamp_ms,
        }
    }

    /// §3.4: the aligned checkpoint timed out before all barriers arrived (here, or upstream:
    /// one of its barriers arrived unaligned). Trigger it unaligned, unblock everything, and ask
    /// the host to prioritize the barriers still queued.
    pub(super) fn switch_to_unaligned(&mut self, env: &mut Env) {
        let state = std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier);
        let SingleState::CollectingBarriers { barrier, aligned, target, .. } = state else {
            unreachable!("switch_to_unaligned outside CollectingBarriers")
        };
        self.blocked.clear();
        let barrier = Barrier { alignment: Alignment::Unaligned, ..barrier };
        env.emit(HandlerOutput::Trigger { barrier, unaligned: true, alignment_ms: 0 });
        env.emit(HandlerOutput::PrioritizeBarriers { id: barrier.id });
        self.state = SingleState::CollectingBarriersUnaligned { barrier, aligned, target };
    }

    /// Flink's `abortInternal`: end the pending checkpoint (if any) and everything up to
    /// `cancelled`, which is the only id reported aborted (`notifyAbort(cancelledId)`). A lower
    /// pending aligned checkpoint is dropped silently; a lower pending *unaligned* one already
    /// took its snapshot, whose in-flight data now fails ([`HandlerOutput::InFlightDataFailed`]:
    /// declined in 2.x, left to the JobManager in 1.11).
    pub(super) fn abort_internal(&mut self, env: &mut Env, cancelled: CheckpointId, reason: CheckpointFailureReason) {
        let state = std::mem::replace(&mut self.state, SingleState::WaitingForFirstBarrier);
        if let SingleState::CollectingBarriersUnaligned { barrier, .. } = state {
            if barrier.id != cancelled {
                let decline = env.profile.cancel_marker_fails_older_unaligned().then_some(reason);
                env.emit(HandlerOutput::InFlightDataFailed { id: barrier.id, decline });
            }
        }
        self.current = self.current.max(cancelled);
        self.last_done = self.last_done.max(cancelled);
        self.unaligned_done = None;
        self.blocked.clear();
        if cancelled == self.current {
            env.metrics.reset();
        }
        let current = self.current;
        self.jm_aborted.retain(|&x| x > current);
        env.abort(cancelled, reason);
    }

    pub(super) fn on_cancel_marker(&mut self, env: &mut Env, ch: ChannelId, id: CheckpointId) {
        if env.variant == Variant::CancelMarkerIgnored {
            // The planted bug: the marker is dropped; a blocked channel waits for the next barrier.
            return;
        }
        // 1.11: the marker of the unaligned checkpoint completed here aborts it too.
        let completed_here = env.profile.cancel_marker_aborts_completed_unaligned()
            && id == self.current
            && self.unaligned_done == Some(id);
        if id > self.current || (id == self.current && self.pending() && self.has_aligned()) || completed_here {
            let kept = std::mem::take(&mut self.blocked);
            self.abort_internal(env, id, CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier);
            if env.variant == Variant::CancelUnblocksOwnChannel {
                // The planted bug: only the marker's channel is released.
                self.blocked = kept.into_iter().filter(|&c| c != ch).collect();
            }
        }
        // Otherwise a trailing marker of a checkpoint already completed (2.x; 1.11 aligned) or
        // cancelled: ignored.
    }

    /// Whether some channel of the pending checkpoint is aligned (delivered its barrier or, in
    /// 2.3, ended): Flink's `alignedChannels.size() > 0` (`numBarriersReceived > 0` before
    /// 1.14). A checkpoint only announced (flink-2.3), or timed out before its first barrier
    /// with no channel ended, has none, and `processCancellationBarrier` ignores a cancel marker
    /// of its own id there: the checkpoint stays pending, its clock keeps running, and its
    /// first barrier still begins the alignment.
    fn has_aligned(&self) -> bool {
        match &self.state {
            SingleState::Announced { .. } => false,
            SingleState::TimedOutBeforeBarrier { ended, .. } => !ended.is_empty(),
            SingleState::WaitingForFirstBarrier
            | SingleState::CollectingBarriers { .. }
            | SingleState::CollectingBarriersUnaligned { .. } => true,
        }
    }

    pub(super) fn on_end_of_partition(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId) {
        if !self.pending() {
            return;
        }
        if !env.profile.end_of_partition_counts_as_aligned() {
            self.abort_internal(env, self.current, CheckpointFailureReason::CheckpointDeclinedInputEndOfStream);
            return;
        }
        if let SingleState::TimedOutBeforeBarrier { barrier, ended, target } = &mut self.state {
            ended.insert(ch);
            env.metrics.aligned(now_ms, barrier, ended.len(), *target);
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
        self.leave_announced(env, now_ms);
        match &mut self.state {
            SingleState::CollectingBarriers { aligned, barrier, target, .. } => {
                aligned.insert(ch);
                if env.variant == Variant::EndOfPartitionReleasesAlignment {
                    // The planted bug: the ended channel completes the alignment, whatever
                    // barriers the other channels still owe.
                    let missing = (*target as usize).saturating_sub(aligned.len());
                    let others = (0..env.num_channels).map(ChannelId).filter(|c| !aligned.contains(c));
                    let owed: Vec<ChannelId> = others.take(missing).collect();
                    aligned.extend(owed);
                }
                env.metrics.aligned(now_ms, barrier, aligned.len(), *target);
                self.after_aligned_progress(env, now_ms);
            }
            SingleState::CollectingBarriersUnaligned { aligned, barrier, target, .. } => {
                aligned.insert(ch);
                env.metrics.aligned(now_ms, barrier, aligned.len(), *target);
                self.after_unaligned_progress(env);
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => {
                unreachable!("pending checkpoint without a collecting state")
            }
        }
    }

    /// A record taken from `ch`: in-flight state of the unaligned checkpoint being collected
    /// when `ch`'s barrier has not arrived yet. (A record that `ch`'s priority barrier overtook
    /// was persisted with that barrier and is only processed now.)
    pub(super) fn on_record(&self, ch: ChannelId, variant: Variant) -> Option<CheckpointId> {
        match &self.state {
            // The planted `channel-state-past-barrier`: a channel whose barrier already arrived
            // still records its records into the channel state.
            SingleState::CollectingBarriersUnaligned { barrier, aligned, .. } => {
                (!aligned.contains(&ch) || variant == Variant::ChannelStatePastBarrier).then_some(barrier.id)
            }
            SingleState::WaitingForFirstBarrier
            | SingleState::CollectingBarriers { .. }
            | SingleState::Announced { .. }
            | SingleState::TimedOutBeforeBarrier { .. } => None,
        }
    }

    pub(super) fn on_timeout(&mut self, env: &mut Env, now_ms: u64) {
        if !self.timed_out(env, now_ms) {
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

    pub(super) fn on_checkpoint_aborted(&mut self, env: &mut Env, id: CheckpointId) {
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

    pub(super) fn invariants(&self, env: &Env) {
        assert!(self.last_done <= self.current);
        assert!(self.unaligned_done.is_none_or(|d| d == self.current && !self.pending()));
        assert!(self.blocked.iter().all(|ch| ch.0 < env.num_channels && !env.closed.contains(ch)));
        assert!(self.jm_aborted.iter().all(|&x| x > self.current));
        assert!(self.jm_aborted.len() <= MAX_TRACKED_CHECKPOINTS);
        if env.variant == Variant::AlignedNoBlock {
            assert!(self.blocked.is_empty(), "the no-block variant never blocks");
        }
        match &self.state {
            SingleState::WaitingForFirstBarrier => {
                assert!(!self.pending());
                assert!(self.blocked.is_empty() || env.variant == Variant::CancelUnblocksOwnChannel);
            }
            SingleState::CollectingBarriers { barrier, aligned, target, timeout_ms, .. } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert!(!aligned.is_empty() && (aligned.len() as u32) < *target && *target <= env.num_channels);
                assert!(self.blocked.is_subset(aligned));
                if env.variant != Variant::AlignedNoBlock {
                    // blocked == aligned \ closed: blocked is a subset of aligned and disjoint
                    // from closed (both asserted above), so equal sizes make the sets equal
                    // (counted, not collected: this runs after every handler).
                    let expected = aligned.iter().filter(|ch| !env.closed.contains(ch)).count();
                    assert!(
                        self.blocked.len() == expected,
                        "exactly the channels that delivered a barrier are blocked: blocked {:?}, aligned {aligned:?}, closed {:?}",
                        self.blocked,
                        env.closed
                    );
                }
                assert!(timeout_ms.is_none() || env.kind == HandlerKind::Alternating);
            }
            SingleState::CollectingBarriersUnaligned { barrier, aligned, target } => {
                assert!(self.pending());
                assert_eq!(barrier.id, self.current);
                assert_eq!(env.kind, HandlerKind::Alternating);
                assert!(!aligned.is_empty() && (aligned.len() as u32) < *target && *target <= env.num_channels);
                assert!(self.blocked.is_empty());
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
