//! A task's end of input (child module of `task.rs`; after Flink's `StreamTask#endData` and `afterInvoke`, FLIP-147's final checkpoint and `FinishedOnRestoreOperatorChain`): a bounded source's end, every input channel's EndOfData/EndOfPartition, `endInput`/`finish` of the chain, and when the task may finish.

use super::*;

impl Task {
    /// Non-source tasks: whether to wait for a final checkpoint once every input channel has
    /// ended (set by the host before the input can end; default false = finish at once).
    pub fn set_wait_for_final_checkpoint(&mut self, wait: bool) {
        self.end.wait_for_final_checkpoint = wait;
    }

    /// The bounded input of a source task ended (stopping offsets reached, the socket server
    /// closed, the script returned). `wait_for_final_checkpoint`: FLIP-147 with checkpointing
    /// enabled (flink-2.3): the task finishes only once a checkpoint it took after the end (or
    /// one covering everything it processed) completed; otherwise (flink-1.11) it finishes at
    /// once. Operators are finished (`endInput`/`finish`); the host sends EndOfPartition
    /// downstream and reports FINISHED when [`Task::is_finished`] says so.
    pub fn handle_end_of_input(&mut self, now_ms: u64, wait_for_final_checkpoint: bool) {
        // A source stopped at a synchronous savepoint finishes through its notification.
        if self.failed || self.end.ended || self.end.stop.is_some() {
            return;
        }
        assert!(!matches!(self.head, Head::Inputs(_)), "{}: end of input on a non-source task", self.name);
        self.input_ended(now_ms, wait_for_final_checkpoint);
        self.invariants();
    }

    /// FLIP-147: a source deployed as finished ([`Task::is_dormant`]: its whole vertex FINISHED
    /// at the restored checkpoint's trigger) whose input has not ended yet. Flink's
    /// `StreamTaskFinishedOnRestoreSourceInput` reads no split and ends the input on its first
    /// `processInput` (EndOfData downstream, its first checkpoint its final one): the host calls
    /// [`Task::handle_end_of_input`] before it would take any input, and hands it none
    /// ([`Task::input_paused`]). (A bounded log source restored at its stopping offsets is such
    /// a source too; the host may name its end a bounded one.)
    pub fn input_ends_unread(&self) -> bool {
        self.end.dormant
            && !matches!(self.head, Head::Inputs(_))
            && !self.end.ended
            && !self.failed
            && self.end.stop.is_none()
    }

    /// Whether a bounded source may still end its input (the host's bounded end: stopping
    /// offsets reached): its input has not ended, and it takes input or is a source deployed as
    /// finished ([`Task::input_ends_unread`]); not a source paused by a stop's savepoint.
    pub fn may_end_bounded_input(&self) -> bool {
        !self.end.ended && (!self.input_paused() || self.input_ends_unread())
    }

    /// Whether the task may finish now: its input ended and (FLIP-147) its final checkpoint
    /// completed. The host then sends EndOfPartition, closes the task and reports FINISHED.
    pub fn is_finished(&self) -> bool {
        self.end.finished
    }

    /// The newest checkpoint this attempt took a snapshot for.
    pub fn last_snapshot_id(&self) -> Option<CheckpointId> {
        self.end.last_snapshot
    }

    /// The newest checkpoint whose completion this attempt learned (or it was restored from).
    pub fn last_completed_id(&self) -> Option<CheckpointId> {
        self.end.last_completed
    }

    /// FLIP-147 (2.x): this attempt's whole vertex was finished in the restored checkpoint
    /// (every subtask FINISHED at its trigger, or deployed as finished), so Flink deploys it as
    /// finished (`TaskStateSnapshot.FINISHED_ON_RESTORE`, a `FinishedOnRestoreOperatorChain`):
    /// it processes no record, does not run `endInput` / `finish` again, and acknowledges every
    /// checkpoint as finished (true also under the planted `finished-on-restore-runs-again`,
    /// which deploys it running).
    pub fn restored_finished(&self) -> bool {
        self.end.restored_finished
    }

    /// Whether this attempt was restored from an entry marked finished (its own final
    /// checkpoint's snapshot, or one the JobManager filled in for a task FINISHED at the
    /// trigger), whatever its vertex: the rows the `restart` checker's finished-on-restore rule
    /// judges. Only [`restored_finished`](Self::restored_finished) ones are deployed as finished.
    pub fn restored_entry_finished(&self) -> bool {
        self.end.restored_entry_finished
    }

    /// Whether this attempt's whole vertex was finished in the restored checkpoint, so Flink
    /// deploys it as finished (`FINISHED_ON_RESTORE`), whatever a planted variant does.
    pub fn restored_vertex_finished(&self) -> bool {
        self.end.vertex_finished
    }

    /// Whether this attempt was restored from an entry the JobManager filled in for a task
    /// FINISHED at the checkpoint's trigger, so none of its operators is initialised, notified
    /// or snapshotted (Flink's `FinishedOperatorChain`; [`TaskSnapshot::from_finished_task`]).
    pub fn is_dormant(&self) -> bool {
        self.end.dormant
    }

    /// Whether this attempt was restored from an entry the JobManager filled in for a task
    /// FINISHED at the checkpoint's trigger (so Flink would deploy it dormant, whatever the
    /// variant does).
    pub fn restored_from_finished_task(&self) -> bool {
        self.end.from_finished_task
    }

    /// Whether this attempt ran its chain's `endInput` / `finish` itself (at its end of input or
    /// a 2.x drain); never for an attempt [restored as finished](Self::restored_finished).
    pub fn ran_end_input(&self) -> bool {
        self.end.ran_end_input
    }

    /// Whether the input of this task has ended (it is finishing or finished).
    pub fn input_has_ended(&self) -> bool {
        self.end.ended
    }

    /// The task's input ended (a bounded end, every input channel's EndOfData/EndOfPartition,
    /// or a 2.x drain): `MAX_WATERMARK` at a source with a watermark strategy, then `endInput`
    /// and `finish` of the chain (`StreamTask.endData`: `advanceToEndOfEventTime`, then
    /// `finishOperators`), then (2.x) EndOfData downstream. A task that stopped at a stop's
    /// savepoint ends its chain's input only where the profile does so after a stop (1.11's
    /// close; 2.x never after a stop without drain, and a 2.x drain ended it before).
    pub(super) fn input_ended(&mut self, now_ms: u64, wait: bool) {
        // The planted bug: finish at once, as if checkpoints after tasks finish were off.
        let wait = wait && !self.end.without_final_checkpoint;
        self.end_processing_time(now_ms);
        // The planted `end-of-input-without-max-watermark`: a bounded end (not a drain) leaves
        // event time where it was.
        if !self.event_time.end_without_max_watermark || self.end.draining {
            self.end_event_time(now_ms);
        }
        if self.end.stop.is_none() || self.end.profile.end_input_after_stop() {
            self.end_chain_input(now_ms);
        }
        // A task that stopped at a stop-with-savepoint's savepoint: the savepoint's notification
        // commits (a 2.x drain's `finish` came before the savepoint, with `stop` still unset).
        // Then the sink's `finish()` where the profile has it (after `endInput`, as
        // `StreamOperatorWrapper.finish` calls `finish` after the operator's input ended): its
        // next snapshot, the final checkpoint or a 2.x drain's savepoint, begins no transaction.
        if let (Some(s), None) = (self.tail.two_pc(), self.end.stop) {
            s.end_of_input();
            if self.end.profile.sink_finishes_at_end_of_input() {
                s.finish();
            }
        }
        self.drain_sink();
        self.end.ended = true;
        self.end.wait_for_final_checkpoint = wait;
        // 2.x `StreamTask.endData` sends EndOfData to every output: where the JobMaster counts
        // ends of data (checkpoints after tasks finish, checkpointing on), on a drain, and
        // wherever an upstream task sent one.
        let eod = self.end.profile.triggers_checkpoint_at_end_of_data()
            && (wait || self.end.saw_end_of_data || self.end.draining);
        if eod && !self.failed && self.end.stop.is_none() && self.has_output() {
            self.outputs.push_back(TaskOutput::EmitEndOfData);
        }
        if !wait {
            self.finish_without_final_checkpoint();
            return;
        }
        // FLIP-147 (2.x `StreamTask#performCheckpoint`): the final checkpoint is the first one this
        // task performs after its end of data (`finalCheckpointMinId`), whatever it processed
        // before and whatever its last snapshot or the restored checkpoint covered; set when that
        // snapshot is taken (`task_checkpoint.rs`). A task that took a stop-with-savepoint's
        // synchronous savepoint has that savepoint as its final one, whatever it processed after
        // the savepoint's barrier (2.x `StreamTask#notifyCheckpointComplete`: with a synchronous
        // savepoint set, only `isCurrentSyncSavepoint(id)` completes `finalCheckpointCompleted`;
        // no later checkpoint's id does).
        self.end.final_min_id = self.end.stop.map(|s| s.id);
        self.check_final_checkpoint();
    }

    /// An input channel delivered EndOfData or EndOfPartition: the input ends once every channel
    /// ended its data; a task whose input already ended (at its EndOfData) may finish once the
    /// last EndOfPartition arrived (Flink's mailbox loop ends on END_OF_INPUT, then `afterInvoke`
    /// waits for the final checkpoint).
    pub(super) fn after_end_of_channel(&mut self, now_ms: u64) {
        if self.end.ended && !self.end.wait_for_final_checkpoint {
            self.finish_without_final_checkpoint();
        } else if self.end.ended {
            self.check_final_checkpoint();
        } else if self.all_data_ended() {
            let wait = self.end.wait_for_final_checkpoint;
            self.input_ended(now_ms, wait);
        }
    }

    /// Every input channel delivered EndOfData or EndOfPartition.
    pub(super) fn all_data_ended(&self) -> bool {
        match (&self.head, &self.multi) {
            (Head::Inputs(_), Some(m)) => self.end.data_ended.len() as u32 >= m.gates.num_channels(),
            (Head::Inputs(h), None) => self.end.data_ended.len() as u32 >= h.num_channels(),
            _ => false,
        }
    }

    /// A task with input channels finishes only once every channel delivered EndOfPartition
    /// (after an EndOfData, its upstream is still running towards its own final checkpoint).
    pub(super) fn partitions_ended(&self) -> bool {
        !matches!(self.head, Head::Inputs(_)) || self.all_inputs_ended()
    }

    /// No final checkpoint to wait for (1.11, or checkpointing off): the task finishes once
    /// every input channel delivered EndOfPartition (after a 2.x drain's EndOfData its upstream
    /// still runs until its savepoint is notified) and a synchronous savepoint it took was
    /// notified (2.x `StreamTask.afterInvoke` waits on it whether or not checkpoints continue).
    pub(super) fn finish_without_final_checkpoint(&mut self) {
        if self.end.ended && !self.stop_awaits_notification() && self.partitions_ended() {
            self.end.finished = true;
        }
    }

    /// `endInput` then `finish` of every chained operator, head first, each one's output run
    /// through the rest of the chain (`StreamOperatorWrapper.finish` / 1.11's `close`). Once
    /// per attempt. (No surviving counters, as for `end_event_time`.)
    pub(super) fn end_chain_input(&mut self, now_ms: u64) {
        if std::mem::replace(&mut self.end.chain_ended, true) {
            return;
        }
        self.end.ran_end_input = true;
        let mut counters = SurvivingCounters::default();
        for i in 0..self.chain.len() {
            if self.failed {
                return;
            }
            let mut out = std::mem::take(&mut self.scratch_a);
            out.clear();
            self.chain[i].operator.end_input(&mut out);
            if out.is_empty() {
                self.scratch_a = out;
            } else {
                self.end.dirty = true;
                self.run_chain(now_ms, i + 1, out, &mut counters);
            }
        }
    }

    /// A snapshot of checkpoint `id` was taken: the first one after the input ended is the
    /// final checkpoint (`finalCheckpointMinId`); the planted `finish-before-final-notify`
    /// finishes on it at once.
    pub(super) fn note_final_snapshot(&mut self, id: CheckpointId) {
        if self.end.ended && self.end.final_min_id.is_none() {
            self.end.final_min_id = Some(id);
        }
        if self.end.finish_at_final_snapshot {
            self.check_final_checkpoint();
        }
    }

    /// An ended task finishes once the final checkpoint completed (its id at or after
    /// `finalCheckpointMinId` notified).
    pub(super) fn check_final_checkpoint(&mut self) {
        if self.end.ended && !self.end.finished && !self.stop_awaits_notification() && self.partitions_ended() {
            if let (Some(min), Some(done)) = (self.end.final_min_id, self.end.last_completed) {
                self.end.finished |= done >= min;
            }
            // The planted `finish-before-final-notify`: the final snapshot taken is enough.
            if let (Some(min), Some(taken), true) =
                (self.end.final_min_id, self.end.last_snapshot, self.end.finish_at_final_snapshot)
            {
                self.end.finished |= taken >= min;
            }
        }
    }
}
