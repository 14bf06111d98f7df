//! Channel cuts: per data channel and checkpoint, how many records the upstream sent before its barrier and how many the downstream took before its snapshot or persisted as channel state (read by the `alignment` checker).
//!
//! A checkpoint is a consistent cut (Chandy–Lamport) when, on every data channel, the records
//! the upstream task sent before its barrier are exactly the records the downstream task
//! either processed before its own snapshot or persisted as in-flight channel state of that
//! checkpoint. Channels are FIFO and every counter starts at zero with the channel (one per
//! attempt, upstream, downstream and input gate), so counts are enough: no record is named.
//!
//! The world records two kinds of rows, outside the trace (the trace hash is unchanged):
//! * [`BarrierCut`]: when an upstream task's barrier for checkpoint `c` enters its output
//!   (aligned: behind the records already in the output buffers; unaligned: ahead of them, it
//!   overtakes them), the records it had written to each downstream channel so far;
//! * [`SnapshotCut`]: when a task with inputs takes its (synchronous) snapshot for `c`, the
//!   records it had taken from each input channel so far; once its snapshot is complete
//!   (aligned: at once; unaligned: when its last barrier arrived) the number of
//!   records per input channel it persisted as channel state.

use super::*;

/// An upstream task's barrier for one checkpoint entering one output channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BarrierCut {
    /// The upstream task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// The downstream task of the channel.
    pub to: TaskId,
    /// The downstream's input gate the channel enters (two for a self-join's producer).
    pub gate: u32,
    /// Records written to the channel (sent or still in the output buffers) before the barrier.
    pub sent: u64,
    /// The barrier was an at-least-once barrier (the barrier tracker never blocks a channel:
    /// records after it may be processed before the snapshot).
    pub at_least_once: bool,
    /// The barrier was sent unaligned (it overtook the records in the output buffers).
    pub unaligned: bool,
}

/// A downstream task's snapshot for one checkpoint, per input channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotCut {
    /// The downstream task.
    pub task: TaskId,
    /// Its attempt.
    pub attempt: Attempt,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// When the synchronous snapshot was taken.
    pub at_ms: u64,
    /// Per input channel (upstream task and input gate): records taken from it before the snapshot.
    pub received: BTreeMap<Link, u64>,
    /// Per input channel: records persisted as in-flight channel state. `None` while the
    /// snapshot is not complete (an unaligned snapshot still waiting for barriers, or one
    /// that was aborted before it completed).
    pub in_flight: Option<BTreeMap<Link, u64>>,
    /// Input channels whose barrier for this checkpoint the task had not taken when it took the
    /// snapshot (session 20). An aligned snapshot (and the at-least-once tracker's) comes only
    /// once the barrier arrived on every channel of every input gate (Flink's
    /// `SingleCheckpointBarrierHandler` / `CheckpointBarrierTracker` count every open channel
    /// of the `CheckpointedInputGate`s); an unaligned one at the first barrier. Not recorded by
    /// the explorer (always empty there).
    pub before_barrier: Vec<Link>,
    /// The snapshot was unaligned (known once it completed).
    pub unaligned: bool,
}

/// The barrier and snapshot cuts of a run that are still to be judged. A snapshot whose
/// every input channel is consistent with its barrier is counted and dropped as soon as it
/// completes (keeping every row made memory grow with the number of checkpoints: ~23 MB per
/// virtual minute at a 10 ms interval); what remains is what the `alignment` checker names:
/// inconsistent cuts, and cuts that never completed or whose barrier never came.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelCuts {
    /// Per (upstream task, attempt, checkpoint, downstream task, input gate): the barrier cut.
    pub barriers: BTreeMap<BarrierKey, BarrierCut>,
    /// Snapshot cuts in the order they were taken (keyed by that order).
    pub snapshots: BTreeMap<u64, SnapshotCut>,
    /// Snapshots already found consistent on every input channel (and dropped).
    pub consistent_snapshots: u64,
    /// Channel cuts of those snapshots.
    pub consistent_channels: u64,
    /// Checkpoints with an at-least-once snapshot that took records sent after the channel's
    /// barrier (consistent for at-least-once, but the state holds elements a restore from it
    /// replays): read by the `windows` checker, whose windows after windows are exact after a
    /// restore only from a checkpoint not listed here (`check/windows_stages.rs`).
    pub overtaken: BTreeSet<CheckpointId>,
    /// Snapshots that stored channel state in a task whose inputs always align (semantics
    /// §14, forced alignment): (task name when it stored it, checkpoint, records). Flink stores none there.
    pub forced_aligned_state: Vec<(String, CheckpointId, u64)>,
    /// Restores from a snapshot with in-flight channel state (session 30): the task's name, its
    /// attempt, the checkpoint, the records of channel state in the snapshot and the records the
    /// restored attempt processed before it took any new input (Flink: all of them).
    pub restored_channel_state: Vec<RestoredChannelState>,
    next_seq: u64,
    /// Per task attempt, the newest snapshot id already recorded.
    seen: BTreeMap<(TaskId, Attempt), CheckpointId>,
    /// Where each (task, attempt, checkpoint)'s snapshot cut is in `snapshots` (a scan per
    /// completion was quadratic in the number of checkpoints: tasks without inputs have no cut,
    /// so their lookups scanned every row).
    index: BTreeMap<(TaskId, Attempt, CheckpointId), u64>,
}

/// A task attempt restored from a snapshot that held in-flight channel state (read by the
/// `alignment` checker's replay rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredChannelState {
    /// The task's name.
    pub task: String,
    /// The restored attempt.
    pub attempt: Attempt,
    /// The checkpoint it was restored from.
    pub checkpoint: CheckpointId,
    /// Records of in-flight channel state in its snapshot.
    pub recovered: u64,
    /// Records the attempt processed before any new input (its replay of that state).
    pub replayed: u64,
    /// When it was restored.
    pub at_ms: u64,
}

/// Whether a channel's cut is consistent with its barrier: aligned and unaligned, the records
/// sent before the barrier are exactly those taken before the snapshot plus those persisted as
/// channel state; at-least-once, at least those were taken, and nothing is persisted.
pub fn consistent(b: &BarrierCut, taken: u64, persisted: u64) -> bool {
    if b.at_least_once {
        taken >= b.sent && persisted == 0
    } else {
        taken + persisted == b.sent
    }
}

/// Where a barrier cut is filed: (upstream task, attempt, checkpoint, downstream task, the
/// downstream's input gate).
pub type BarrierKey = (TaskId, Attempt, CheckpointId, TaskId, u32);

impl ChannelCuts {
    /// `t` was just restored from `checkpoint` (and did not fail at once): if its snapshot held
    /// channel state, how much of it the restore replayed (every record it processed so far).
    pub(crate) fn note_restore(&mut self, t: &Task, attempt: Attempt, checkpoint: CheckpointId, now: u64) {
        let recovered = t.recovered_channel_records();
        if recovered > 0 {
            self.restored_channel_state.push(RestoredChannelState {
                task: t.name().to_string(),
                attempt,
                checkpoint,
                recovered,
                replayed: t.records_in(),
                at_ms: now,
            });
        }
    }

    /// Records `t`'s newest snapshot if it is new: the records taken so far from each input
    /// channel. Called before the task's outputs are drained; no record is taken between a
    /// snapshot and that drain (a record never triggers a snapshot).
    pub(super) fn note_snapshot(
        &mut self,
        channels: &Channels,
        t: &Task,
        key: (TaskId, Attempt),
        inputs: &[Link],
        now: u64,
    ) {
        let (task, attempt) = key;
        let channel = |from: Link| channels.get(&(attempt.0, from.task, task, from.gate));
        let taken = |from: Link| channel(from).map_or(0, |c| c.taken_records);
        let id = t.last_snapshot_id().unwrap_or(CheckpointId(0));
        let before_barrier = |from: Link| channel(from).is_some_and(|c| c.last_barrier < id);
        self.note_snapshot_taken(t, key, inputs, now, (taken, before_barrier));
    }

    /// [`ChannelCuts::note_snapshot`] with the records taken so far from each input channel
    /// given by `taken` (per input channel): the explorer counts them on its own channels; and
    /// whether the channel's barrier for the snapshot's checkpoint was not yet taken.
    pub(crate) fn note_snapshot_taken(
        &mut self,
        t: &Task,
        key: (TaskId, Attempt),
        inputs: &[Link],
        now: u64,
        (taken, before_barrier): (impl Fn(Link) -> u64, impl Fn(Link) -> bool),
    ) {
        let Some(id) = t.last_snapshot_id() else { return };
        if inputs.is_empty() || self.seen.get(&key) == Some(&id) {
            return;
        }
        if t.direct_snapshot_id() == Some(id) {
            // Triggered by the JobManager once every input channel had ended: no barrier
            // crossed a channel, every record sent on it was taken. Nothing to cut.
            self.seen.insert(key, id);
            return;
        }
        self.seen.insert(key, id);
        let (task, attempt) = key;
        let received = inputs.iter().map(|&from| (from, taken(from))).collect();
        let before_barrier = inputs.iter().copied().filter(|&from| before_barrier(from)).collect();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.index.insert((task, attempt, id), seq);
        let cut = SnapshotCut {
            task,
            attempt,
            checkpoint: id,
            at_ms: now,
            received,
            in_flight: None,
            before_barrier,
            unaligned: false,
        };
        self.snapshots.insert(seq, cut);
    }

    /// The newest snapshot id already recorded for a task attempt.
    pub(crate) fn newest_noted(&self, key: (TaskId, Attempt)) -> Option<CheckpointId> {
        self.seen.get(&key).copied()
    }

    /// The upstream converted its barrier of `checkpoint` on the channel to `to` into an
    /// unaligned one (§3.4, output side): the cut is unchanged, the barrier overtook records.
    pub(super) fn mark_unaligned(&mut self, task: TaskId, attempt: Attempt, checkpoint: CheckpointId, to: Link) {
        if let Some(b) = self.barriers.get_mut(&(task, attempt, checkpoint, to.task, to.gate)) {
            b.unaligned = true;
        }
    }

    /// The snapshot of `key` for `id` is complete, with this channel state (per input index)
    /// and whether it was unaligned.
    pub(crate) fn note_complete(
        &mut self,
        key: (TaskId, Attempt),
        id: CheckpointId,
        inputs: &[Link],
        (in_flight, unaligned): (&BTreeMap<ChannelId, Vec<Record>>, bool),
    ) {
        let (task, attempt) = key;
        let Some(&seq) = self.index.get(&(task, attempt, id)) else { return };
        let Some(cut) = self.snapshots.get_mut(&seq) else { return };
        let mut flight: BTreeMap<Link, u64> = BTreeMap::new();
        for (ch, records) in in_flight {
            if let Some(&from) = inputs.get(ch.0 as usize) {
                *flight.entry(from).or_default() += records.len() as u64;
            }
        }
        cut.in_flight = Some(flight);
        cut.unaligned = unaligned;
        self.settle(seq);
    }

    /// An upstream task's barrier entered one output channel.
    pub(crate) fn note_barrier(&mut self, cut: BarrierCut) {
        self.barriers.insert((cut.task, cut.attempt, cut.checkpoint, cut.to, cut.gate), cut);
    }

    /// Drops a completed snapshot cut, and the barrier cuts of its channels, when every channel
    /// is consistent (counted in `consistent_*`); keeps it otherwise for the checker to name.
    fn settle(&mut self, seq: u64) {
        let Some(cut) = self.snapshots.get(&seq) else { return };
        let Some(in_flight) = &cut.in_flight else { return };
        if cut.early_snapshot().is_some() {
            return;
        }
        let key = |from: &Link| (from.task, cut.attempt, cut.checkpoint, cut.task, from.gate);
        let mut overtaken = false;
        for (from, &taken) in &cut.received {
            let Some(b) = self.barriers.get(&key(from)) else { return };
            if !consistent(b, taken, in_flight.get(from).copied().unwrap_or(0)) {
                return;
            }
            overtaken |= taken > b.sent;
        }
        // Every channel consistent: its barrier cut leaves (the keys again, not collected).
        for from in cut.received.keys() {
            self.barriers.remove(&key(from));
        }
        let (task, attempt, id) = (cut.task, cut.attempt, cut.checkpoint);
        if overtaken {
            self.overtaken.insert(id);
        }
        self.consistent_snapshots += 1;
        self.consistent_channels += cut.received.len() as u64;
        self.snapshots.remove(&seq);
        self.index.remove(&(task, attempt, id));
    }
}

impl SnapshotCut {
    /// An aligned (or at-least-once) snapshot taken before the barrier arrived on an input
    /// channel whose upstream sent one: the first such channel. Flink's handlers snapshot only
    /// once every open channel of every input gate delivered the barrier; a channel that ended
    /// first has no barrier (and no barrier cut: the checker skips it).
    pub fn early_snapshot(&self) -> Option<Link> {
        if self.unaligned {
            None
        } else {
            self.before_barrier.first().copied()
        }
    }
}
