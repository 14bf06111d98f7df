//! The checkpoint side of a task (after Flink's `SubtaskCheckpointCoordinatorImpl` as driven by `StreamTask`): triggers from the JobManager or the barrier handler, the synchronous snapshot and the barrier forwarded before any later record, unaligned channel state, notifications of completion and abort.

use super::*;
use crate::record::Alignment;

impl Task {
    /// JobManager trigger: a source task, or (flink-2.3) a task whose upstream tasks all
    /// finished: snapshot now and emit the barrier.
    pub fn handle_trigger(&mut self, now_ms: u64, barrier: Barrier) {
        if self.failed {
            return;
        }
        if matches!(self.head, Head::Inputs(_)) && !self.end.ended {
            // The JobMaster triggers a task with inputs once it saw every upstream task
            // FINISHED; their EndOfPartition may still be on its way on a data channel. Flink
            // would take the barrier as received on those channels
            // (`StreamTask.triggerUnfinishedChannelsCheckpoint`); this model declines instead
            // (not counted as a failure) and the next trigger finds the inputs ended.
            self.outputs.push_back(TaskOutput::Decline {
                id: barrier.id,
                reason: crate::reason::CheckpointFailureReason::CheckpointDeclinedTaskNotReady,
            });
            self.invariants();
            return;
        }
        if self.end.finished {
            // The task finished: its EndOfPartition is queued or sent, and nothing may follow it
            // on a channel. A trigger that reaches it before it reports FINISHED (its output
            // buffers still draining under backpressure) is declined, as Flink declines a
            // checkpoint on a task that is no longer running (`StreamTask.triggerCheckpointAsync`).
            self.outputs.push_back(TaskOutput::Decline {
                id: barrier.id,
                reason: crate::reason::CheckpointFailureReason::CheckpointDeclinedTaskClosing,
            });
            self.invariants();
            return;
        }
        self.before_sync_trigger(now_ms, &barrier);
        if matches!(self.head, Head::Inputs(_)) {
            // Every input channel ended: the task checkpoints at once, as a source does
            // (`StreamTask.triggerCheckpointAsync` with all input gates finished).
            self.end.direct_snapshot = Some(barrier.id);
        }
        self.take_snapshot(now_ms, barrier, false, 0);
        self.invariants();
    }

    /// The newest checkpoint this task with inputs took because the JobManager triggered it
    /// directly (its inputs had all ended), not on barriers: its input channels have no cut.
    pub fn direct_snapshot_id(&self) -> Option<CheckpointId> {
        self.end.direct_snapshot
    }

    /// `notifyCheckpointComplete(id)`: operators and sinks act on the completion (2PC commits,
    /// offset commits, a stop-with-savepoint finishes).
    pub fn handle_notify_complete(&mut self, now_ms: u64, id: CheckpointId) {
        if self.failed {
            return;
        }
        if let Some(cause) = self.lifecycle_failure(LifecycleHook::NotifyComplete(id.0)) {
            self.fail(cause);
            return;
        }
        // A finished-on-restore chain notifies none of its operators (`FinishedOperatorChain
        // #notifyCheckpointComplete`): no offset commit, nothing for the sink.
        if let (Head::Log(s), false) = (&mut self.head, self.end.dormant) {
            if let Some(offsets) = s.notify_checkpoint_complete(id) {
                self.outputs.push_back(TaskOutput::CommitOffsets { offsets });
            }
        }
        if let (Some(s), false) = (self.tail.two_pc(), self.end.dormant) {
            s.notify_checkpoint_complete(id);
        }
        self.drain_sink();
        if self.end.last_completed.is_none_or(|c| c < id) {
            self.end.last_completed = Some(id);
        }
        self.check_final_checkpoint();
        self.on_stop_notified(now_ms, id);
        self.invariants();
    }

    /// `notifyCheckpointAborted(id)`: an alignment of `id` ends, a synchronous savepoint's stop
    /// is undone or fails the task (per profile).
    pub fn handle_notify_aborted(&mut self, now_ms: u64, id: CheckpointId) {
        if self.failed || self.on_stop_aborted(id) {
            return;
        }
        match &mut self.head {
            Head::Log(s) => {
                // Only the planted `offsets-committed-on-abort` returns offsets to commit.
                if let (Some(offsets), false) = (s.notify_checkpoint_aborted(id), self.end.dormant) {
                    self.outputs.push_back(TaskOutput::CommitOffsets { offsets });
                }
            }
            Head::Inputs(h) => h.handle_checkpoint_aborted(now_ms, id),
            Head::Line(_) => {}
        }
        if let Some(s) = self.tail.two_pc() {
            s.notify_checkpoint_aborted(id);
        }
        self.drain_handler(now_ms);
        self.drain_sink();
        self.invariants();
    }

    pub(super) fn drain_handler(&mut self, now_ms: u64) {
        self.drain_handler_with(now_ms, None);
    }

    /// [`drain_handler`](Self::drain_handler) after a barrier taken from `overtaken.0` that
    /// overtook the records `overtaken.1`: a [`HandlerOutput::PersistOvertaken`] appends them
    /// to the open unaligned snapshot's channel state of that channel.
    pub(super) fn drain_handler_with(&mut self, now_ms: u64, overtaken: Option<(ChannelId, &[Record])>) {
        loop {
            let Head::Inputs(h) = &mut self.head else { return };
            let Some(out) = h.poll_output() else { return };
            match out {
                HandlerOutput::Trigger { barrier, unaligned, alignment_ms } => {
                    self.take_snapshot(now_ms, barrier, unaligned, alignment_ms)
                }
                HandlerOutput::Abort { id, reason } => {
                    if self.open_unaligned.as_ref().is_some_and(|o| o.id == id) {
                        self.open_unaligned = None;
                    }
                    self.outputs.push_back(TaskOutput::Decline { id, reason });
                    self.outputs.push_back(TaskOutput::EmitCancelMarker { id });
                }
                HandlerOutput::InFlightDataFailed { id, decline } => {
                    if self.open_unaligned.as_ref().is_some_and(|o| o.id == id) {
                        self.open_unaligned = None;
                    }
                    if let Some(reason) = decline {
                        self.outputs.push_back(TaskOutput::Decline { id, reason });
                    }
                }
                HandlerOutput::PersistOvertaken { id, channel, records } => {
                    let (ch, recs) = overtaken.expect("records persisted only for the barrier just taken");
                    assert_eq!(self.handler_channel(ch), Some(channel), "overtaken records of another channel");
                    assert_eq!(recs.len(), records as usize, "the host passes every overtaken record");
                    // No open snapshot of `id`: the synchronous part failed the task, or the
                    // asynchronous part is failing (declined); nothing is acknowledged.
                    if let Some(open) = self.open_unaligned.as_mut().filter(|o| o.id == id) {
                        open.snapshot.in_flight.entry(ch).or_default().extend_from_slice(recs);
                    }
                }
                HandlerOutput::ChannelStateComplete { id } => {
                    if let Some(open) = self.open_unaligned.take() {
                        if open.id == id {
                            self.outputs.push_back(TaskOutput::Snapshot {
                                id,
                                snapshot: open.snapshot,
                                alignment_ms: 0,
                                unaligned: true,
                            });
                        } else {
                            self.open_unaligned = Some(open);
                        }
                    }
                }
                HandlerOutput::PrioritizeBarriers { id } => {
                    self.outputs.push_back(TaskOutput::PrioritizeBarriers { id })
                }
            }
        }
    }

    /// Synchronous snapshot of every operator, then the barrier goes downstream.
    pub(super) fn take_snapshot(&mut self, _now_ms: u64, barrier: Barrier, unaligned: bool, alignment_ms: u64) {
        let id = barrier.id;
        if self.failed {
            return;
        }
        if let Some(cause) = self.lifecycle_failure(LifecycleHook::SnapshotSync(id.0)) {
            self.fail(cause);
            return;
        }
        let async_failure = self.lifecycle_failure(LifecycleHook::SnapshotAsync(id.0));
        // The cut of the late side output: the elements sent before it are in this checkpoint.
        if self.event_time.late_sent > 0 {
            self.event_time.late_cuts.push((id, self.event_time.late_sent));
        }
        if self.event_time.assignments {
            self.event_time.assignment_cuts.push((id, self.event_time.assigned_taken));
        }
        let mut operators = Vec::with_capacity(self.chain.len() + 2);
        match &mut self.head {
            Head::Log(s) => {
                let (st, commit_now) = s.snapshot(id);
                operators.push(st);
                if let Some(offsets) = commit_now.filter(|_| !self.end.dormant) {
                    self.outputs.push_back(TaskOutput::CommitOffsets { offsets });
                }
            }
            _ => {
                let mut st = self.multi.as_ref().map_or(OperatorState::None, |m| m.operator.snapshot());
                if self.multi.as_ref().is_some_and(|m| m.snapshot_without_right) {
                    if let OperatorState::Join(j) = &mut st {
                        // The planted bug: the right side's buffer and cleanup timers are left out.
                        j.entries.retain(|e| e.side == 0);
                        j.timers.retain(|t| t.kind != 1);
                    }
                }
                operators.push(st);
            }
        }
        for op in &self.chain {
            operators.push(op.operator.snapshot());
        }
        match self.tail.two_pc() {
            Some(s) => operators.push(s.snapshot(id)),
            None => operators.push(OperatorState::None),
        }
        self.drain_sink();
        // A task deployed as finished (FLIP-147) acknowledges every checkpoint as finished,
        // whether or not its inputs' EndOfData reached it yet: Flink's `AsyncCheckpointRunnable`
        // reports `TaskStateSnapshot.FINISHED_ON_RESTORE` for it and `PendingCheckpoint`
        // records it with `reportTaskFinishedOnRestore` (an unaligned barrier can overtake the
        // restored upstream's EndOfData).
        let finished = self.end.restored_finished || (self.end.ended && self.end.chain_ended);
        let snapshot = TaskSnapshot {
            operators,
            in_flight: BTreeMap::new(),
            padding_bytes: self.padding_bytes,
            finished,
            from_finished_task: self.end.dormant,
        };
        // The barrier goes downstream with priority exactly when its options are unaligned
        // (`SubtaskCheckpointCoordinatorImpl#checkpointState`: `broadcastEvent(barrier,
        // options.isUnalignedCheckpoint())`): so a source, or any task the JobManager triggers
        // directly, sends an unaligned checkpoint's barrier ahead of its queued output, as does
        // a task that took the checkpoint unaligned (its options were turned unaligned). A
        // forced-aligned barrier (semantics §14, forced alignment) was aligned here, without
        // channel state; it goes on as the unaligned or aligned-with-timeout barrier it was
        // (`checkpointState` applies `CheckpointOptions#withUnalignedSupported` before sending).
        let barrier = Barrier { alignment: barrier.alignment.with_unaligned_supported(), ..barrier };
        let priority = unaligned
            || match barrier.alignment {
                Alignment::Unaligned => true,
                // 1.11 has no aligned timeout: every unaligned-enabled checkpoint is unaligned.
                Alignment::AlignedWithTimeout { .. } => !self.end.profile.supports_aligned_timeout(),
                _ => false,
            };
        if self.has_output() {
            self.outputs.push_back(TaskOutput::EmitBarrier { barrier, priority });
            if self.announcements {
                self.output_timer.on_forwarded(&barrier, priority);
            }
        }
        self.end.last_snapshot = Some(id);
        if let Some(m) = &mut self.multi {
            m.later_gates_lost = false;
        }
        self.end.dirty = false;
        self.note_sync_snapshot(&barrier);
        self.note_final_snapshot(id);
        if async_failure.is_some() {
            // The barrier went on; the upload fails and the task declines (AsyncCheckpointRunnable).
            self.outputs
                .push_back(TaskOutput::Decline { id, reason: CheckpointFailureReason::CheckpointAsyncException });
        } else if unaligned {
            // A previous open unaligned snapshot that never completed is superseded.
            self.open_unaligned = Some(OpenUnaligned { id, snapshot });
        } else {
            self.outputs.push_back(TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned: false });
        }
    }
}
