//! The at-least-once barrier tracker of the [`BarrierHandler`](super::BarrierHandler), after Flink's `CheckpointBarrierTracker`: never blocks, tracks up to [`MAX_TRACKED_CHECKPOINTS`] incomplete checkpoints (semantics §3.2).

use super::{Env, HandlerOutput, JOB_MANAGER_ABORT_REASON, MAX_TRACKED_CHECKPOINTS};
use crate::ids::{ChannelId, CheckpointId};
use crate::reason::CheckpointFailureReason;
use crate::record::Barrier;
use std::collections::{BTreeSet, VecDeque};

/// One checkpoint for which some, but not all, barriers (or cancel markers) arrived.
#[derive(Clone, Debug, Hash)]
pub(super) struct Tracked {
    pub(super) id: CheckpointId,
    /// `None` for an entry a cancel marker created (it is aborted and never triggers).
    pub(super) barrier: Option<Barrier>,
    pub(super) first_barrier_ms: u64,
    /// Distinct channels seen (2.3 counts these).
    pub(super) channels: BTreeSet<ChannelId>,
    /// Barriers and cancel markers seen (1.11 counts these).
    pub(super) arrivals: u32,
    /// Open channels when the entry was created.
    pub(super) target: u32,
    /// Aborted (and reported, exactly once); still counted so the entry can be removed.
    pub(super) aborted: bool,
}

impl Tracked {
    pub(super) fn mark(&mut self, ch: ChannelId, distinct: bool) -> u32 {
        self.channels.insert(ch);
        self.arrivals += 1;
        if distinct {
            self.channels.len() as u32
        } else {
            self.arrivals
        }
    }

    pub(super) fn count(&self, distinct: bool) -> u32 {
        if distinct {
            self.channels.len() as u32
        } else {
            self.arrivals
        }
    }
}

#[derive(Clone, Debug, Hash)]
pub(super) struct Tracker {
    /// Oldest first, ids strictly increasing.
    pub(super) pending: VecDeque<Tracked>,
    /// The highest id that created an entry; `NONE` before any.
    pub(super) latest_pending: CheckpointId,
    /// Ids the JobManager reported aborted before this task saw any of their barriers.
    pub(super) jm_aborted: BTreeSet<CheckpointId>,
}

impl Tracker {
    pub(super) fn new() -> Self {
        Tracker { pending: VecDeque::new(), latest_pending: CheckpointId::NONE, jm_aborted: BTreeSet::new() }
    }

    pub(super) fn trigger(env: &mut Env, entry: &Tracked, now_ms: u64) {
        let barrier = entry.barrier.expect("a non-aborted tracker entry has its barrier");
        let alignment_ms = now_ms - entry.first_barrier_ms;
        env.emit(HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms });
    }

    /// Removes the entry at `pos` and every older one (older incomplete checkpoints are
    /// dropped silently) and triggers it unless it was aborted.
    pub(super) fn complete_at(&mut self, env: &mut Env, pos: usize, now_ms: u64) {
        let entry = self.pending.drain(..=pos).next_back().expect("pos is in range");
        if !entry.aborted {
            // Flink measures one alignment at a time: the newest checkpoint's.
            if entry.id == self.latest_pending {
                env.metrics.end(now_ms);
            }
            Self::trigger(env, &entry, now_ms);
        }
    }

    pub(super) fn on_barrier(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, barrier: Barrier, overtaken: u32) {
        assert_eq!(overtaken, 0, "at-least-once barriers are never delivered with priority");
        let id = barrier.id;
        let distinct = env.profile.tracker_counts_distinct_channels();
        // Fast path for one open channel, only for new checkpoints (Flink leaves
        // latest_pending untouched here).
        if id > self.latest_pending && env.open_channels() == 1 {
            if self.jm_aborted.remove(&id) {
                env.abort(id, JOB_MANAGER_ABORT_REASON);
            } else {
                env.metrics.start_and_end(now_ms, &barrier);
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
            env.metrics.start(now_ms, &barrier);
            // The planted `tracker-triggers-on-first-barrier`: the snapshot at the first barrier;
            // the entry stays (marked done) so the later barriers of this checkpoint are absorbed.
            let early = !aborted && env.variant == crate::variant::Variant::TrackerTriggersOnFirstBarrier;
            if early {
                env.metrics.end(now_ms);
                env.emit(HandlerOutput::Trigger { barrier, unaligned: false, alignment_ms: 0 });
            }
            self.pending.push_back(Tracked {
                id,
                barrier: Some(barrier),
                first_barrier_ms: now_ms,
                channels: BTreeSet::from([ch]),
                arrivals: 1,
                target: env.open_channels(),
                aborted: aborted || early,
            });
            if self.pending.len() > MAX_TRACKED_CHECKPOINTS {
                self.pending.pop_front();
            }
        }
        // Otherwise not newer than the latest tracked id and not tracked: it cannot complete.
    }

    pub(super) fn on_cancel_marker(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId, id: CheckpointId) {
        let reason = CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier;
        let distinct = env.profile.tracker_counts_distinct_channels();
        if id > self.latest_pending && env.open_channels() == 1 {
            self.jm_aborted.remove(&id);
            env.metrics.reset();
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

    pub(super) fn on_end_of_partition(&mut self, env: &mut Env, now_ms: u64, ch: ChannelId) {
        if !env.profile.end_of_partition_counts_as_aligned() {
            while let Some(entry) = self.pending.pop_front() {
                if !entry.aborted {
                    env.abort(entry.id, CheckpointFailureReason::CheckpointDeclinedInputEndOfStream);
                }
            }
            env.metrics.reset();
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

    pub(super) fn on_checkpoint_aborted(&mut self, env: &mut Env, id: CheckpointId) {
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

    pub(super) fn invariants(&self, env: &Env) {
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
