//! Channel cuts: per data channel and checkpoint, how many records the upstream sent before its barrier and how many the downstream took before its snapshot or persisted as channel state (read by the `alignment` checker).
//!
//! A checkpoint is a consistent cut (Chandy–Lamport) when, on every data channel, the records
//! the upstream task sent before its barrier are exactly the records the downstream task
//! either processed before its own snapshot or persisted as in-flight channel state of that
//! checkpoint. Channels are FIFO and every counter starts at zero with the channel (one per
//! attempt, upstream, downstream), so counts are enough: no record is named.
//!
//! The world records two kinds of rows, outside the trace (the trace hash is unchanged):
//! * [`BarrierCut`]: when an upstream task's barrier for checkpoint `c` enters its output
//!   (aligned: behind the records already in the output buffers; unaligned: ahead of them, it
//!   overtakes them), the records it had written to each downstream channel so far;
//! * [`SnapshotCut`]: when a task with inputs takes its (synchronous) snapshot for `c`, the
//!   records it had taken from each input channel so far; once its snapshot is complete
//!   (aligned: at once; unaligned: when the overtaken records were taken) the number of
//!   records per input channel it persisted as channel state.

use super::*;

/// An upstream task's barrier for one checkpoint entering one output channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarrierCut {
    pub task: TaskId,
    pub attempt: Attempt,
    pub checkpoint: CheckpointId,
    /// The downstream task of the channel.
    pub to: TaskId,
    /// Records written to the channel (sent or still in the output buffers) before the barrier.
    pub sent: u64,
    /// The barrier was an at-least-once barrier (the barrier tracker never blocks a channel:
    /// records after it may be processed before the snapshot).
    pub at_least_once: bool,
    /// The barrier was sent unaligned (it overtook the records in the output buffers).
    pub unaligned: bool,
}

/// A downstream task's snapshot for one checkpoint, per input channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotCut {
    pub task: TaskId,
    pub attempt: Attempt,
    pub checkpoint: CheckpointId,
    /// When the synchronous snapshot was taken.
    pub at_ms: u64,
    /// Per upstream task: records taken from that input channel before the snapshot.
    pub received: BTreeMap<TaskId, u64>,
    /// Per upstream task: records persisted as in-flight channel state. `None` while the
    /// snapshot is not complete (an unaligned snapshot still taking overtaken records, or one
    /// that was aborted before it completed).
    pub in_flight: Option<BTreeMap<TaskId, u64>>,
}

/// Every barrier and snapshot cut of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelCuts {
    pub barriers: Vec<BarrierCut>,
    pub snapshots: Vec<SnapshotCut>,
    /// Per task attempt, the newest snapshot id already recorded.
    seen: BTreeMap<(TaskId, Attempt), CheckpointId>,
}

impl ChannelCuts {
    /// Records `t`'s newest snapshot if it is new: the records taken so far from each input
    /// channel. Called before the task's outputs are drained; no record is taken between a
    /// snapshot and that drain (a record never triggers a snapshot).
    pub(super) fn note_snapshot(
        &mut self,
        channels: &BTreeMap<ChannelKey, DataChannel>,
        t: &Task,
        key: (TaskId, Attempt),
        inputs: &[TaskId],
        now: u64,
    ) {
        let Some(id) = t.last_snapshot_id() else { return };
        if inputs.is_empty() || self.seen.get(&key) == Some(&id) {
            return;
        }
        self.seen.insert(key, id);
        let (task, attempt) = key;
        let received = inputs
            .iter()
            .map(|&from| (from, channels.get(&(attempt.0, from, task)).map_or(0, |c| c.taken_records)))
            .collect();
        self.snapshots.push(SnapshotCut { task, attempt, checkpoint: id, at_ms: now, received, in_flight: None });
    }

    /// The snapshot of `key` for `id` is complete, with this channel state (per input index).
    pub(super) fn note_complete(
        &mut self,
        key: (TaskId, Attempt),
        id: CheckpointId,
        inputs: &[TaskId],
        in_flight: &BTreeMap<ChannelId, Vec<Record>>,
    ) {
        let (task, attempt) = key;
        let Some(cut) =
            self.snapshots.iter_mut().rev().find(|c| c.task == task && c.attempt == attempt && c.checkpoint == id)
        else {
            return;
        };
        let mut flight: BTreeMap<TaskId, u64> = BTreeMap::new();
        for (ch, records) in in_flight {
            if let Some(&from) = inputs.get(ch.0 as usize) {
                *flight.entry(from).or_default() += records.len() as u64;
            }
        }
        cut.in_flight = Some(flight);
    }
}
