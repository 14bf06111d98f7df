//! Channel cuts in explored paths: per data channel the records sent and taken, the barrier and snapshot cuts recorded by the world's own `ChannelCuts` (`world/cuts.rs`), so the `alignment` checker judges every explored checkpoint as it judges a simulation run's.

use super::*;
use crate::world::{BarrierCut, BarrierProtocol, ChannelCuts};

/// One explored data channel: (sender's attempt, downstream task, input channel).
pub(super) type ChannelKey = (u32, TaskId, u32);

/// The channel cuts of one explored path and the per-channel counts they are cut from.
#[derive(Clone, Debug, Default)]
pub(super) struct Cuts {
    /// The world's record: barrier cuts, snapshot cuts not yet found consistent, and channel
    /// state stored by a task whose inputs always align.
    pub(super) cuts: ChannelCuts,
    /// Per channel: records put on it (the world's `DataChannel::pushed_records`).
    pushed: BTreeMap<ChannelKey, u64>,
    /// Per channel: records the downstream took from it (`DataChannel::taken_records`).
    taken: BTreeMap<ChannelKey, u64>,
    /// The barrier handlers' control protocol, judged as the world's (`world/protocol.rs`).
    pub(super) protocol: BarrierProtocol,
}

/// What the checker can still read: the cuts not yet settled and the counts future cuts are
/// taken from. The consistent-cut counters (the verdict's summary line) and the world's
/// bookkeeping (sequence numbers, the index, the newest snapshot per attempt, which a live
/// task's own state holds) are left out, so two paths that reach the same machines with the
/// same cuts to judge are one state.
impl std::hash::Hash for Cuts {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.cuts.barriers.len().hash(h);
        for b in self.cuts.barriers.values() {
            b.hash(h);
        }
        // In a canonical order, not the order taken: independent deliveries commute.
        let mut snapshots: Vec<_> = self.cuts.snapshots.values().collect();
        snapshots.sort_by_key(|s| (s.task, s.attempt, s.checkpoint));
        snapshots.hash(h);
        self.cuts.forced_aligned_state.hash(h);
        // Only the restores the replay rule names: one that replayed all its channel state
        // decides nothing later, so it leaves the state count unchanged.
        for r in self.cuts.restored_channel_state.iter().filter(|r| r.replayed != r.recovered) {
            (&r.task, r.attempt, r.checkpoint, r.recovered, r.replayed).hash(h);
        }
        self.pushed.hash(h);
        self.taken.hash(h);
        // Only its findings: what it remembers per task follows the tasks' own state, so paths
        // that agree on the tasks are one state (explored state counts are unchanged).
        self.protocol.findings.hash(h);
        self.protocol.more.hash(h);
    }
}

impl Cuts {
    /// Whether `task`'s snapshot `id` needs no new cut: noted already, or the task has no
    /// input channel.
    pub(super) fn noted(&self, job: &JobCtx, task: TaskId, attempt: Attempt, id: CheckpointId) -> bool {
        job.graph.inputs_of(task).is_empty() || self.cuts.newest_noted((task, attempt)) == Some(id)
    }

    /// Whether anything of an attempt older than `attempt` is kept (of task `only` alone when
    /// given: a regional restart's deployment, `Explorer::drop_older_attempts`).
    pub(super) fn has_before(&self, attempt: u32, only: Option<TaskId>) -> bool {
        let of = |t: TaskId| only.is_none_or(|o| o == t);
        self.pushed.keys().chain(self.taken.keys()).any(|k| k.0 < attempt && of(k.1))
            || self.cuts.barriers.keys().any(|k| k.1 .0 < attempt && (of(k.0) || of(k.3)))
            || self.cuts.snapshots.values().any(|s| s.attempt.0 < attempt && s.in_flight.is_none() && of(s.task))
    }

    /// A record was put on channel `k`.
    pub(super) fn pushed(&mut self, k: ChannelKey) {
        *self.pushed.entry(k).or_default() += 1;
    }

    /// The downstream took a record from channel `k`.
    pub(super) fn taken(&mut self, k: ChannelKey) {
        *self.taken.entry(k).or_default() += 1;
    }

    /// Forgets the channels, and the cuts, of attempts older than `attempt` (a new deployment:
    /// their channels are gone, a cut of theirs can no longer complete). An inconsistent cut
    /// that completed is never here: the search stopped at it.
    /// With `only`, the receiving task's alone (a regional restart's deployment: the other
    /// regions' older attempts still run).
    pub(super) fn forget_before(&mut self, attempt: u32, only: Option<TaskId>) {
        let of = |t: TaskId| only.is_none_or(|o| o == t);
        self.pushed.retain(|k, _| k.0 >= attempt || !of(k.1));
        self.taken.retain(|k, _| k.0 >= attempt || !of(k.1));
        self.cuts.barriers.retain(|k, _| k.1 .0 >= attempt || !(of(k.0) || of(k.3)));
        self.cuts.snapshots.retain(|_, s| s.attempt.0 >= attempt || s.in_flight.is_some() || !of(s.task));
    }

    /// Records `t`'s newest snapshot cut if it is new: the records taken so far from each input
    /// channel (`ChannelCuts::note_snapshot`).
    pub(super) fn note_snapshot(&mut self, job: &JobCtx, t: &Task, now: u64) {
        let (id, attempt) = (t.id(), t.attempt());
        let inputs = job.graph.input_links(id);
        if inputs.is_empty() {
            return;
        }
        let taken = &self.taken;
        let by_from = |from: crate::graph::Link| {
            let ch = inputs.iter().position(|u| *u == from).expect("an input") as u32;
            taken.get(&(attempt.0, id, ch)).copied().unwrap_or(0)
        };
        self.cuts.note_snapshot_taken(t, (id, attempt), &inputs, now, (by_from, |_| false));
    }

    /// Task `task`'s barrier for `barrier.id` entered its output channels: the records written
    /// to each before it (an unaligned one overtakes them; the count is the same).
    pub(super) fn note_barrier(
        &mut self,
        task: TaskId,
        attempt: Attempt,
        barrier: &Barrier,
        to: crate::graph::Link,
        ch: u32,
        unaligned: bool,
    ) {
        let sent = self.pushed.get(&(attempt.0, to.task, ch)).copied().unwrap_or(0);
        self.cuts.note_barrier(BarrierCut {
            task,
            attempt,
            checkpoint: barrier.id,
            to: to.task,
            gate: to.gate,
            sent,
            at_least_once: barrier.alignment == ckptsim::record::Alignment::AtLeastOnce,
            unaligned,
        });
    }

    /// Task `task`'s snapshot of `id` completed with this channel state; a task whose inputs
    /// always align that stored some is recorded as the world records it.
    pub(super) fn note_complete(
        &mut self,
        job: &JobCtx,
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        snapshot: &TaskSnapshot,
    ) {
        let inputs = job.graph.input_links(task);
        // The explorer records no barrier arrivals (`SnapshotCut::before_barrier` stays empty).
        self.cuts.note_complete((task, attempt), id, &inputs, (&snapshot.in_flight, false));
        let stored: usize = snapshot.in_flight.values().map(Vec::len).sum();
        if stored > 0 && job.graph.always_aligns(task) {
            let name = job.graph.tasks[task.0 as usize].name.clone();
            self.cuts.forced_aligned_state.push((name, id, stored as u64));
        }
    }

    /// A summary that changes whenever the checker's verdict can.
    pub(super) fn observed(&self) -> u64 {
        self.cuts.snapshots.len() as u64
            + self.cuts.consistent_snapshots * 1000
            + self.cuts.forced_aligned_state.len() as u64 * 1_000_000_000
            // The `barriers` checker's findings (session 26).
            + (self.protocol.findings.len() as u64 + self.protocol.more).wrapping_mul(1_000_000_000_000)
            // A restore that left channel state unreplayed (the `alignment` rule
            // `channel-state-not-replayed`): judged at the deployment that made it.
            + (self.cuts.restored_channel_state.iter().filter(|r| r.replayed != r.recovered).count() as u64)
                .wrapping_mul(1_000_000_000_000_000)
    }
}
