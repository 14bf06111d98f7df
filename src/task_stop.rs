//! Stop-with-savepoint in a task: the synchronous savepoint, no input after its barrier, and finishing once it is notified (semantics §12.6).
//!
//! Flink's tasks (1.11: `StreamTask.performCheckpoint` with `CheckpointType.SYNC_SAVEPOINT` and
//! its `runSynchronousSavepointMailboxLoop`; 2.x: `StreamTask.triggerStopWithSavepointAsync`,
//! `SourceOperator#stop`, the `finalCheckpointCompleted` future) behave alike where the model can
//! see it:
//!
//! * A source that is triggered with a synchronous savepoint stops reading; with drain
//!   ([`StopMode::Drain`]) it first ends event time (`MAX_WATERMARK`: every event-time timer of
//!   the job fires, ahead of the barrier, into the savepoint's transaction).
//! * Every task that snapshots the synchronous savepoint processes no record after it
//!   ([`Task::input_paused`]: the host hands it none). A record that still reaches it is a
//!   protocol bug: the task processes it and reports it ([`Task::take_records_after_stop`]),
//!   and the world's `stop` checker names it (the planted `source-emits-after-stop`).
//! * `notifyCheckpointComplete` of the savepoint commits as any completion does (a 2PC sink
//!   commits the savepoint's transaction); then a source finishes (EndOfPartition, FINISHED) and
//!   every other task resumes its input only to receive the EndOfPartitions and finish, without
//!   a further checkpoint (the savepoint is its final checkpoint). The job ends FINISHED.
//! * An abort of the savepoint: 2.x fails the task ("Stop-with-savepoint failed.", its sources
//!   cannot resume); 1.11 leaves the nested loop and runs on (its failure manager fails the job
//!   anyway, `CheckpointFailureManager.handleSynchronousSavepointFailure`).

use super::*;
use crate::record::StopMode;

/// A record a task processed after the barrier of the synchronous savepoint it stopped at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RecordAfterStop {
    /// The synchronous savepoint whose barrier the task stopped at.
    pub savepoint: CheckpointId,
    /// The record's lineage (which input it came from).
    pub lineage: crate::record::Lineage,
}

/// The synchronous savepoint a task took.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct StopAt {
    pub(super) id: CheckpointId,
    pub(super) mode: StopMode,
    /// Its `notifyCheckpointComplete` arrived.
    pub(super) notified: bool,
}

impl Task {
    /// A source's trigger: with drain, event time ends before the snapshot (its timers fire
    /// and `MAX_WATERMARK` goes downstream ahead of the barrier).
    pub(super) fn before_sync_trigger(&mut self, now_ms: u64, barrier: &Barrier) {
        if barrier.stop == Some(StopMode::Drain) && !self.end.ended && self.end.stop.is_none() {
            self.end_event_time(now_ms);
        }
    }

    /// The snapshot of `barrier` was taken: a synchronous savepoint stops the task's input.
    pub(super) fn note_sync_snapshot(&mut self, barrier: &Barrier) {
        if let Some(mode) = barrier.stop {
            self.end.stop = Some(StopAt { id: barrier.id, mode, notified: false });
        }
    }

    /// Whether the host must hand this task no input: it took a stop-with-savepoint's
    /// synchronous savepoint and (a source) for good, or (any other task) until the savepoint's
    /// completion is notified (then only EndOfPartitions follow).
    pub fn input_paused(&self) -> bool {
        let source = !matches!(self.head, Head::Inputs(_));
        match self.end.stop {
            None => false,
            // The planted bug: a source reads on until the notification finishes it.
            Some(s) if source && self.end.emits_after_stop => s.notified,
            Some(s) => !s.notified || source,
        }
    }

    /// The stop-with-savepoint savepoint this attempt took, and its stop mode.
    pub fn stopped_at(&self) -> Option<(CheckpointId, StopMode)> {
        self.end.stop.map(|s| (s.id, s.mode))
    }

    /// `notifyCheckpointComplete(id)` after the operators committed: the savepoint a source
    /// stopped at finishes it (no further checkpoint: the savepoint is the final one).
    pub(super) fn on_stop_notified(&mut self, id: CheckpointId) {
        let Some(s) = &mut self.end.stop else { return };
        if s.id != id || s.notified {
            return;
        }
        s.notified = true;
        if !matches!(self.head, Head::Inputs(_)) {
            // The source ends without `endInput` (no drain: event time stays in the savepoint;
            // drain: it already ended before the snapshot).
            self.end.ended = true;
            self.end.finished = true;
        }
    }

    /// `notifyCheckpointAborted(id)`. Returns whether the task failed (2.x aborting the
    /// savepoint it stopped at).
    pub(super) fn on_stop_aborted(&mut self, id: CheckpointId) -> bool {
        match self.end.stop {
            Some(s) if s.id == id && !s.notified => {
                if self.end.profile.sync_savepoint_abort_fails_task() {
                    self.fail(format!("Stop-with-savepoint failed: synchronous savepoint {id} was aborted"));
                    return true;
                }
                self.end.stop = None;
                false
            }
            _ => false,
        }
    }

    /// A record is about to be processed: never after the synchronous savepoint's barrier. One
    /// that is (a protocol bug) is kept for the host to report, not a panic, so that a checker
    /// can name it.
    pub(super) fn note_if_stopped(&mut self, lineage: crate::record::Lineage) {
        if let Some(s) = self.end.stop {
            self.end.after_stop.push(RecordAfterStop { savepoint: s.id, lineage });
        }
    }

    /// The records this task processed after its stop's savepoint barrier since the last call.
    pub fn take_records_after_stop(&mut self) -> Vec<RecordAfterStop> {
        std::mem::take(&mut self.end.after_stop)
    }
}

#[cfg(test)]
#[path = "task_stop_tests.rs"]
mod tests;
