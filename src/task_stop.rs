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
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub struct RecordAfterStop {
    /// The synchronous savepoint whose barrier the task stopped at.
    pub savepoint: CheckpointId,
    /// The record's lineage (which input it came from).
    pub lineage: crate::record::Lineage,
}

/// The synchronous savepoint a task took.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub(super) struct StopAt {
    pub(super) id: CheckpointId,
    pub(super) mode: StopMode,
    /// Its `notifyCheckpointComplete` arrived.
    pub(super) notified: bool,
}

impl Task {
    /// A source's trigger of a stop-with-savepoint with drain, before the snapshot. Both
    /// profiles end event time: `MAX_WATERMARK` goes downstream ahead of the barrier (with or
    /// without a watermark strategy: 1.11's `StreamSource.advanceToEndOfEventTime`, 2.x's
    /// `SourceOperatorStreamTask.advanceToEndOfEventTime`), every event-time timer fires. 2.x
    /// ends the source's data as a bounded end does (`SourceOperator#stop(StopMode.DRAIN)`, then
    /// `StreamTask.endData`): `endInput` and `finish` of the chain, EndOfData downstream, and
    /// only then the barrier (`SourceOperatorStreamTask.triggerStopWithSavepointAsync` triggers
    /// the checkpoint once the operator finished). 1.11 does no more
    /// (`StreamTask.performCheckpoint` with `advanceToEndOfTime`): no `endInput` before the
    /// savepoint.
    pub(super) fn before_sync_trigger(&mut self, now_ms: u64, barrier: &Barrier) {
        if barrier.stop != Some(StopMode::Drain) || self.end.ended || self.end.stop.is_some() {
            return;
        }
        if self.event_time.source.is_none() && self.event_time.current != Some(Watermark::MAX) {
            // No watermark strategy: the source still emits MAX_WATERMARK on a drain.
            let mut counters = SurvivingCounters::default();
            self.advance_watermark(now_ms, Watermark::MAX, &mut counters);
        }
        // The planted `drain-without-end-of-data` takes 1.11's path under 2.x.
        if self.end.profile.drain_ends_input_before_savepoint() && !self.end.drain_without_end_of_data {
            self.end.draining = true;
            let wait = self.end.wait_for_final_checkpoint;
            self.input_ended(now_ms, wait);
        } else {
            self.end_event_time(now_ms);
        }
    }

    /// Whether this task ended its data for a 2.x `stop --drain` (`StopMode.DRAIN` at its
    /// source, or EndOfData from an upstream that did) before its savepoint.
    pub fn drained_for_stop(&self) -> bool {
        // EndOfData on every input, not on one: a union whose bounded input ended (its
        // EndOfData came) while the other still runs has drained nothing (session 27: swarm
        // seed 5477 of `rescale/idle-union-window-2-3-1-2pc`, a `stop` false alarm).
        self.end.draining || (self.end.saw_end_of_data && self.end.ended && self.end.stop.is_some())
    }

    /// The snapshot of `barrier` was taken: a synchronous savepoint stops the task's input.
    pub(super) fn note_sync_snapshot(&mut self, barrier: &Barrier) {
        if let Some(mode) = barrier.stop {
            self.end.stop = Some(StopAt { id: barrier.id, mode, notified: false });
        }
    }

    /// Whether the host must hand this task no input: it took a stop-with-savepoint's
    /// synchronous savepoint and (a source) for good, or (any other task, 1.11) until the
    /// savepoint's completion is notified: 1.11's `runSynchronousSavepointMailboxLoop` runs
    /// mails only. A 2.x task keeps its mailbox loop on input (only EndOfPartitions can follow
    /// an aligned savepoint's barrier, as its upstream stopped) and waits for the notification
    /// only before it finishes (`StreamTask.afterInvoke` on `finalCheckpointCompleted`); a
    /// record that reached it anyway is still reported (`take_records_after_stop`).
    ///
    /// FLIP-147: a source deployed as finished ([`Task::is_dormant`]) takes no input at all:
    /// Flink's `StreamTaskFinishedOnRestoreSourceInput` reads no split, its input ends at once
    /// ([`Task::input_ends_unread`]).
    pub fn input_paused(&self) -> bool {
        let source = !matches!(self.head, Head::Inputs(_));
        if source && self.end.dormant {
            return true;
        }
        match self.end.stop {
            None => false,
            // The planted bug: a source reads on until the notification finishes it.
            Some(s) if source && self.end.emits_after_stop => s.notified,
            Some(_) if source => true,
            Some(s) => !s.notified && !self.end.profile.checkpoints_after_tasks_finish(),
        }
    }

    /// Whether a synchronous savepoint this task took still waits for its notification: then
    /// the task does not finish, whatever else completes (2.x `StreamTask.notifyCheckpointComplete`
    /// completes `finalCheckpointCompleted` for a task with a synchronous savepoint only on that
    /// savepoint's own id, `isCurrentSyncSavepoint`).
    pub(super) fn stop_awaits_notification(&self) -> bool {
        // A drained source whose snapshot is still being taken awaits it too.
        self.end.stop.is_some_and(|s| !s.notified) || (self.end.draining && self.end.stop.is_none())
    }

    /// The stop-with-savepoint savepoint this attempt took, and its stop mode.
    pub fn stopped_at(&self) -> Option<(CheckpointId, StopMode)> {
        self.end.stop.map(|s| (s.id, s.mode))
    }

    /// `notifyCheckpointComplete(id)` after the operators committed: the savepoint a source
    /// stopped at finishes it (no further checkpoint: the savepoint is the final one).
    pub(super) fn on_stop_notified(&mut self, now_ms: u64, id: CheckpointId) {
        let Some(s) = &mut self.end.stop else { return };
        if s.id != id || s.notified {
            return;
        }
        s.notified = true;
        if !matches!(self.head, Head::Inputs(_)) {
            // The source finishes (no drain: event time stays in the savepoint; a 2.x drain
            // ended its data before the snapshot). 1.11 closes its chained operators, which
            // calls their `endInput`: what they emit now is not in the savepoint.
            if self.end.profile.end_input_after_stop() {
                self.end_chain_input(now_ms);
            }
            self.end.ended = true;
            self.end.finished = true;
        } else {
            // A task with inputs: the savepoint is its final checkpoint (2.x
            // `StreamTask#notifyCheckpointComplete` completes `finalCheckpointCompleted` on
            // `isCurrentSyncSavepoint(id)` alone, with or without periodic checkpoints and
            // whatever it processed after the barrier; 1.11 has no final checkpoint). It finishes
            // now if its EndOfPartitions came before the notification, else when they come
            // (behind a 2.x drain's EndOfData, or the upstream's own end).
            self.finish_without_final_checkpoint();
        }
    }

    /// `notifyCheckpointAborted(id)`. Returns whether the task failed (2.x aborting the
    /// savepoint it stopped at).
    pub(super) fn on_stop_aborted(&mut self, id: CheckpointId) -> bool {
        // The planted `stop-aborted-after-notification`: once notified, any abort counts.
        let planted = self.end.abort_after_notification;
        match self.end.stop {
            Some(s) if (s.id == id && !s.notified) || (planted && s.notified) => {
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
            // 1.11: after the notification an upstream's closing operators may still emit
            // (`endInput` after the savepoint); a source reads nothing after its stop.
            let source = !matches!(self.head, Head::Inputs(_));
            if source || !s.notified || !self.end.profile.end_input_after_stop() {
                self.end.after_stop.push(RecordAfterStop { savepoint: s.id, lineage });
            }
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

#[cfg(test)]
#[path = "task_drain_tests.rs"]
mod drain_tests;
