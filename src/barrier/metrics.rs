//! Alignment metrics of the [`BarrierHandler`](super::BarrierHandler), kept as Flink's `CheckpointBarrierHandler` keeps them (`markAlignmentStart` / `markAlignmentEnd` / `resetAlignment` / `addProcessedBytes`), read with [`BarrierHandler::metrics`](super::BarrierHandler::metrics).

use crate::ids::CheckpointId;
use crate::record::Barrier;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// What a task's barrier handler reports about its latest alignment (Flink's
/// `getAlignmentDurationNanos`, `getCheckpointStartDelayNanos` and the alignment duration and
/// bytes-processed futures it hands to `triggerCheckpointOnBarrier`), in milliseconds and
/// records (the model has no bytes: a test whose buffers all have one size `s` expects
/// `records × s` bytes).
///
/// Read-only: the metrics never change what the handler does.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BarrierMetrics {
    /// The checkpoint whose alignment started last (Flink's `startAlignmentCheckpointId`);
    /// `None` before the first one.
    pub alignment_checkpoint: Option<CheckpointId>,
    /// When the alignment in progress started; `None` outside of an alignment.
    pub alignment_started_ms: Option<u64>,
    /// `getAlignmentDurationNanos` as of the handler's last input: during an alignment the time
    /// since it started, otherwise the last completed alignment's duration, or 0 when the last
    /// one was reset (aborted) or none completed.
    pub alignment_duration_ms: u64,
    /// `getCheckpointStartDelayNanos`: from the creation timestamp of the latest alignment's
    /// first barrier to the moment this handler took it (never negative).
    pub checkpoint_start_delay_ms: u64,
    /// Records taken from any channel since the alignment in progress started (0 outside one).
    pub records_in_alignment: u64,
    /// The last alignment's duration as handed to the checkpoint (`latestAlignmentDurationNanos`);
    /// `None` while that future is not complete (an alignment in progress, or reset).
    pub last_alignment_duration_ms: Option<u64>,
    /// Records taken during the last completed alignment (`latestBytesProcessedDuringAlignment`
    /// in records); `None` while not complete.
    pub last_records_processed_during_alignment: Option<u64>,
}

/// The handler's bookkeeping behind [`BarrierMetrics`]. Its `Hash` is empty: states that differ
/// only in metrics behave the same (the explorer's fingerprints must not tell them apart).
#[derive(Clone, Debug, Default)]
pub(super) struct MetricsState {
    start_id: Option<CheckpointId>,
    start_ms: Option<u64>,
    start_delay_ms: u64,
    records: u64,
    last_duration_ms: Option<u64>,
    last_records: Option<u64>,
}

impl Hash for MetricsState {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

impl MetricsState {
    /// `markAlignmentStart`: the first barrier (or, in 2.3, end of partition) of `barrier.id`
    /// counted at `now_ms`.
    pub(super) fn start(&mut self, now_ms: u64, barrier: &Barrier) {
        self.start_delay_ms = now_ms.saturating_sub(barrier.timestamp_ms);
        self.reset();
        self.start_ms = Some(now_ms);
        self.start_id = Some(barrier.id);
    }

    /// `markAlignmentStartAndEnd`: a checkpoint whose only channel delivered its barrier.
    pub(super) fn start_and_end(&mut self, now_ms: u64, barrier: &Barrier) {
        self.start(now_ms, barrier);
        self.end_with(0);
    }

    /// `markAlignmentEnd()`: every channel is aligned at `now_ms`.
    pub(super) fn end(&mut self, now_ms: u64) {
        let duration_ms = self.start_ms.map_or(0, |s| now_ms - s);
        self.end_with(duration_ms);
    }

    /// `markAlignmentEnd(duration)`: completes the futures unless already complete.
    fn end_with(&mut self, duration_ms: u64) {
        self.last_duration_ms.get_or_insert(duration_ms);
        self.last_records.get_or_insert(self.records);
        self.start_ms = None;
        self.records = 0;
    }

    /// `resetAlignment`: ends any alignment with 0 and starts fresh (incomplete) futures.
    pub(super) fn reset(&mut self) {
        self.end_with(0);
        self.last_duration_ms = None;
        self.last_records = None;
    }

    /// `addProcessedBytes` for one record taken from a channel.
    pub(super) fn record_taken(&mut self) {
        if self.start_ms.is_some() {
            self.records += 1;
        }
    }

    /// One channel became aligned (a barrier, or an end of partition that counts as aligned)
    /// for `barrier.id`: `aligned` channels of `target` are now in. Flink's
    /// `markCheckpointAlignedAndTransformState`: the first one starts the alignment (and ends
    /// it at once with one channel), the last one of several ends it.
    pub(super) fn aligned(&mut self, now_ms: u64, barrier: &Barrier, aligned: usize, target: u32) {
        if aligned == 1 {
            if target == 1 {
                self.start_and_end(now_ms, barrier);
                return;
            }
            self.start(now_ms, barrier);
        }
        if aligned as u32 == target && target > 1 {
            self.end(now_ms);
        }
    }

    pub(super) fn read(&self, now_ms: u64) -> BarrierMetrics {
        BarrierMetrics {
            alignment_checkpoint: self.start_id,
            alignment_started_ms: self.start_ms,
            alignment_duration_ms: match self.start_ms {
                Some(s) => now_ms.saturating_sub(s),
                None => self.last_duration_ms.unwrap_or(0),
            },
            checkpoint_start_delay_ms: self.start_delay_ms,
            records_in_alignment: self.records,
            last_alignment_duration_ms: self.last_duration_ms,
            last_records_processed_during_alignment: self.last_records,
        }
    }
}
