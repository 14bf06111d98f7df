//! Message routing in the explorer: a JobManager message delivered to a task, a task's message to the JobManager, draining a task's outputs onto its channels and links, and routing the JobMaster's outputs.

use super::*;

impl Explorer<'_> {
    /// Hands task `t`'s message (of JobMaster attempt `a`) to the JobMaster.
    pub(super) fn to_jm(&self, sys: &mut Sys, t: TaskId, a: Attempt, m: Up) {
        let now = sys.now_ms;
        if let Up::State { attempt, state: ExecutionState::Canceled, .. } = m {
            // As the world's JobManager records an arriving CANCELED update (session 40).
            Self::note_retry_call(sys, RetryCall::CanceledReported { at_ms: now, task: t, attempt });
        }
        match m {
            Up::State { state, cause, .. } => sys.jm.make_mut().handle_task_state(now, t, a, state, cause),
            Up::Ack { id, snapshot, .. } => {
                // Recorded before the JobMaster handles it, as the world records it.
                let shape = crate::world::AckShape::of(&snapshot);
                sys.acks.make_mut().ack(u64::from(sys.epoch), id, t, a, shape);
                sys.jm.make_mut().handle_ack(now, t, a, id, snapshot)
            }
            Up::Decline { id, reason, .. } => sys.jm.make_mut().handle_decline(now, t, a, id, reason),
            Up::TriggerFailed { id, .. } => {
                if sys.jm.execution(t).0 == a {
                    sys.obs.make_mut().failed_triggers.push(crate::world::FailedTrigger {
                        arrived_ms: now,
                        task: t,
                        id,
                    });
                }
                let reason = CheckpointFailureReason::TaskCheckpointFailure;
                sys.jm.make_mut().handle_trigger_failure(now, t, a, id, reason)
            }
            Up::EndOfData { .. } => sys.jm.make_mut().handle_end_of_data(now, t, a),
        }
        self.route_jm(sys);
    }

    /// One sink operation on the explorer's store, as the world's `store_op`: a retriable
    /// refusal goes back to the sink (Sink V2 retries at once, its commit the loop's next
    /// output; the legacy sink rethrows, its `Failed` next), and so does a commit refused after
    /// the transaction timeout (`handle_commit_failed`).
    fn store_op(sys: &mut Sys, (t, attempt): (TaskId, Attempt), op: ckptsim::sink::SinkOutput, now: u64) {
        let commit = if let ckptsim::sink::SinkOutput::Commit { txn } = &op { Some(*txn) } else { None };
        if let Some(txn) = commit {
            Self::note_retry_call(sys, RetryCall::CommitAsked { at_ms: now, task: t, attempt, txn });
        }
        match sys.store.apply_with_failures(now, op) {
            Ok(Ok(())) => {}
            // A retriable refusal (`StoreConfig::retriable_commit_failures`), as the
            // world's `store_op`: Sink V2's committer retries at once (its commit is
            // this loop's next output), the legacy sink rethrows (its `Failed` next).
            Ok(Err(refusal)) => {
                let refused = RetryCall::CommitRefused { at_ms: now, task: t, attempt, txn: refusal.txn };
                Self::note_retry_call(sys, refused);
                let Some(x) = sys.tasks.get_mut(&t) else { return };
                x.make_mut().handle_commit_retriable(now, refusal.txn);
            }
            Err(e) => {
                // A commit the store refused after the transaction timeout goes
                // back to the sink, as the world's `store_op` does: the legacy
                // sink rethrows (its `Failed` next) unless it ignores failures
                // after the timeout on recovery; Sink V2 logs the loss.
                let timed_out = matches!(e, ckptsim::sink::StoreAnomaly::TransactionTimedOut { .. });
                sys.obs.make_mut().sink_anomalies.push(crate::world::SinkAnomaly::Store {
                    at_ms: now,
                    task: t,
                    anomaly: e,
                });
                if let (Some(txn), true, Some(x)) = (commit, timed_out, sys.tasks.get_mut(&t)) {
                    x.make_mut().handle_commit_failed(now, txn);
                }
            }
        }
    }

    /// Whether the store fences `attempt` of task `t` (a newer attempt's producer took the
    /// transactional epoch, Kafka's fencing); if not, `attempt` becomes `t`'s epoch. The one
    /// gate of every store operation of a sink: its outputs and its aborts on close.
    fn fenced(sys: &mut Sys, t: TaskId, attempt: Attempt) -> bool {
        if sys.sink_epochs.get(&t).is_some_and(|&epoch| attempt < epoch) {
            return true;
        }
        sys.sink_epochs.insert(t, attempt);
        false
    }

    /// Task `t`'s attempt ends by a failure or a cancellation, as the world's `close_task`
    /// (`world/task_outputs.rs`): it leaves the state, its operators are closed by the same
    /// function (`world::closing_aborts`: `Task::handle_cleanup`, what it had queued dropped), and
    /// each transaction its 2PC sink aborts on close reaches the store, unless a newer attempt
    /// fenced the producer (the abort is lost, as at the world's store gate; the explorer's store
    /// is never down). A process that dies (`crash-tm`) closes nothing and does not come here.
    /// Returns the ended attempt; `None` when `t` runs no attempt.
    pub(super) fn close_task(sys: &mut Sys, t: TaskId) -> Option<Attempt> {
        let mut task = sys.tasks.remove(&t)?;
        let attempt = task.attempt();
        // Its slow uploads are cancelled with it (`--slow-uploads`): never acknowledged.
        sys.uploading.remove(&t);
        let store = &sys.store;
        let aborts = crate::world::closing_aborts(task.make_mut(), |txn| store.txn_state(txn).is_some());
        let now = sys.now_ms;
        for txn in aborts {
            if !Self::fenced(sys, t, attempt) {
                Self::store_op(sys, (t, attempt), ckptsim::sink::SinkOutput::Abort { txn }, now);
            }
        }
        Some(attempt)
    }

    /// Where a `latest` partition starts, as the world's `world/tasks.rs` `latest_ends` has
    /// it: the end of what was appended by now; a 2.x deployment without a restored checkpoint
    /// takes the end the enumerator of this JobManager epoch resolved at its first deployment
    /// (`LatestOffsetsInitializer`, `KafkaSourceEnumerator#addSplitsBack`), kept in the state.
    /// A job without a `latest` source reads no end: the whole log's.
    fn latest_ends(&self, sys: &mut Sys, restored: bool) -> BTreeMap<PartitionId, Offset> {
        if !self.has_latest_source() {
            return self.log_end.clone();
        }
        let (now, epoch) = (sys.now_ms, sys.epoch);
        crate::world::resolve_latest_ends(&self.log, self.spec.profile, restored, now, epoch, &mut sys.latest_resolved)
    }

    /// Whether the job has a `latest` source (`latest_ends`, `skip_before_latest`).
    fn has_latest_source(&self) -> bool {
        let latest = |o: &crate::spec::OpSpec| {
            matches!(o.kind, crate::spec::OpKind::LogSource { startup: ckptsim::source::StartupMode::Latest })
        };
        self.spec.operators.iter().any(latest)
    }

    /// A fresh (not restored) start of a `latest` source: the records appended before the end it
    /// starts at are never read, the run's lost inputs, by the world's rule
    /// (`world::inputs_before_latest`, the world's `skip_before_latest`; the floor per partition
    /// kept in the state): the delivery checkers do not expect them and the reference folds
    /// without them. From the rule, not from where the core's source started.
    fn skip_before_latest(&self, sys: &mut Sys, task: &Task, log_end: &BTreeMap<PartitionId, Offset>) {
        if !self.has_latest_source() {
            return;
        }
        let skipped = crate::world::inputs_before_latest(self.spec, &self.log, task, log_end, &mut sys.latest_floor);
        if !skipped.never_read.is_empty() || !skipped.again.is_empty() {
            let obs = sys.obs.make_mut();
            obs.lost_inputs.extend(skipped.never_read);
            obs.latest_skipped_on_restart.extend(skipped.again);
        }
    }

    /// A deployment reaches task `t`'s TaskManager: the core's `Task` of `attempt`, built,
    /// configured and restored from `restore` as the world's `start_task` does it; older
    /// attempts' channels dropped; INITIALIZING (2.x) and RUNNING queued for the JobManager.
    fn deploy(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, restore: Option<Arc<CompletedCheckpoint>>) {
        self.close_replaced(sys, t, attempt);
        let now = sys.now_ms;
        let job = self.job(sys);
        let tm = job.graph.tasks[t.0 as usize].tm.0;
        let mut tspec = job.graph.task_spec(&job.spec, t, attempt, &sys.rescaled, job.spec.default_seed);
        // A task fed by a late side output, marked as the world marks it (session 31:
        // until then the explorer marked none, so the late-fed windows and joins
        // recorded nothing and the `late-window-*` and `late-join-*` rules judged no
        // explored path); a late-fed join's deployment is recorded for the join replay
        // rule (`RunResult::join_restores`).
        if crate::world::mark_late_fed(&job.spec, &job.graph, t, &mut tspec) {
            sys.obs.make_mut().join_restores.push((t, attempt, restore.as_deref().map(|c| c.id)));
        }
        let strategy = crate::world::source_watermark_strategy(&job.spec, &job.graph, t, &tspec);
        let log_end = self.latest_ends(sys, restore.is_some());
        let counters = sys.counters.entry(tm).or_default();
        let mut task = Task::new(tspec, now, restore.as_deref(), &sys.committed_offsets, &log_end, counters);
        if restore.is_none() {
            self.skip_before_latest(sys, &task, &log_end);
        }
        // FLIP-147 as the world sets it (`world/tasks.rs`): a task whose input ended
        // (after a stop's savepoint) waits for its final checkpoint.
        let profile = self.spec.profile;
        task.set_wait_for_final_checkpoint(
            profile.checkpoints_after_tasks_finish() && job.spec.checkpoint.periodic_enabled(),
        );
        // The 2PC sink's committer as the world sets it (`world/tasks.rs`
        // `configure_txn_timeout`): Sink V2 retries a retriable refusal, and the sink
        // knows the store's transaction timeout (with the begin times of the
        // transactions it restores) and whether failures after it are ignored.
        let own = restore.as_deref().and_then(|c| c.tasks.get(&t));
        crate::world::configure_sink_committer(&sys.store, &job.spec, &mut task, own, now);
        if let Some(strategy) = strategy {
            // A fresh generator on every deployment: watermarks are not restored (§11).
            task.configure_watermarks(now, strategy);
        }
        if self.records_valves() && task.watermark_valve().is_some() {
            task.record_window_fires();
        }
        if let Some(cp) = &restore {
            self.note_restored_state(sys, &task, cp);
            if !task.has_failed() {
                // The `alignment` rule `channel-state-not-replayed`, as the world records it.
                sys.cuts.make_mut().cuts.note_restore(&task, attempt, cp.id, now);
            }
        }
        self.drop_older_attempts(sys, t, attempt);
        sys.tasks.insert(t, Part::new(task));
        self.arrive_at_gate(sys, t);
        let up = sys.to_jm.entry(t).or_default().make_mut();
        if self.spec.profile.has_initializing_state() {
            up.push_back(Up::State { attempt, state: ExecutionState::Initializing, cause: None });
        }
        up.push_back(Up::State { attempt, state: ExecutionState::Running, cause: None });
        self.drain(sys, t);
    }

    /// An older attempt of task `t` that still runs when `attempt`'s deployment reaches it (the
    /// JobMaster wrote it off by a `jm-hb-timeout` and its cancel was lost) ends here, closed as
    /// the world closes a task attempt that ends (`close_task`, `world::closing_aborts`): its
    /// sink's open transaction aborted through the store's fence gate, which the new attempt
    /// has not passed yet. The explorer holds one attempt a task, so the old one must leave the
    /// state now; until session 34 it was dropped without closing (its open transaction stayed
    /// open in the store). The world keeps such a zombie running until a cancel reaches it and
    /// closes it then; Flink fails the tasks still in a slot it frees (`TaskSlot#closeAsync` →
    /// `Task#failExternally`), and this closing is that failure, taken before the new attempt
    /// starts. `docs/explore.md`, *Session 34*.
    fn close_replaced(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) {
        if sys.tasks.get(&t).is_some_and(|x| x.attempt() < attempt) {
            Self::close_task(sys, t);
        }
    }

    /// A deployment of `attempt` of task `t`: older attempts' channels, end-of-data reports and
    /// channel cuts are garbage now. All of them under a global restart; with regional restarts
    /// (semantics §1.7) only those of `t` itself, the channels into and out of it, as the world's
    /// `retain_task_from_attempt` (`world/tasks.rs`): its region's other tasks prune theirs as
    /// they deploy, and the other regions keep their older attempts' channels in use.
    fn drop_older_attempts(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) {
        if !sys.jm.restarts_regions() {
            sys.data.retain(|k, _| k.0 >= attempt.0);
            sys.end_of_data.retain(|k| k.1 >= attempt);
            if sys.cuts.has_before(attempt.0, None) {
                sys.cuts.make_mut().forget_before(attempt.0, None);
            }
            return;
        }
        let outs = &self.job(sys).outs[t.0 as usize];
        let of_t = |k: &(u32, TaskId, u32)| k.1 == t || outs.contains(&(k.1, k.2));
        sys.data.retain(|k, _| k.0 >= attempt.0 || !of_t(k));
        sys.end_of_data.retain(|k| k.1 >= attempt || k.0 != t);
        if sys.cuts.has_before(attempt.0, Some(t)) {
            sys.cuts.make_mut().forget_before(attempt.0, Some(t));
        }
    }

    pub(super) fn deliver_to_task(&self, sys: &mut Sys, t: TaskId, m: Ctl) {
        let now = sys.now_ms;
        let current = sys.tasks.get(&t).map(|x| x.attempt());
        match m {
            Ctl::Deploy { attempt, restore } => self.deploy(sys, t, attempt, restore),
            Ctl::Cancel { attempt } => {
                // The task is cancelled at once here, so its CANCELED update is the cancel RPC's
                // answer too (the JobMaster stops retrying once the execution leaves CANCELING);
                // a separate acknowledgement would only lengthen every path.
                if current == Some(attempt) {
                    Self::close_task(sys, t);
                }
                // A cancel for an attempt the TaskManager does not run is answered CANCELED.
                sys.to_jm.entry(t).or_default().make_mut().push_back(Up::State {
                    attempt,
                    state: ExecutionState::Canceled,
                    cause: None,
                });
            }
            Ctl::Trigger { attempt, barrier } if current == Some(attempt) => {
                sys.tasks.get_mut(&t).expect("live task").make_mut().handle_trigger(now, barrier);
                self.drain(sys, t);
            }
            Ctl::NotifyComplete { attempt, id } if current == Some(attempt) => {
                let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
                let notice =
                    crate::world::StopNotice::deliver(task, now, t, attempt, crate::world::Notice::Complete(id));
                sys.obs.make_mut().stop_notices.extend(notice);
                if self.drain(sys, t) {
                    let seen = sys.obs.make_mut().completion_seen.entry(t).or_insert(id);
                    *seen = (*seen).max(id);
                }
            }
            Ctl::NotifyAborted { attempt, id } if current == Some(attempt) => self.notify_aborted(sys, t, attempt, id),
            // flink-2.3: a trigger RPC for an attempt the TaskManager does not run fails; the
            // failed answer is a message to the JobMaster like any other (`to-jm:tN`), whose
            // arrival aborts the checkpoint. flink-1.11's trigger is a `tell`: nothing answers.
            Ctl::Trigger { attempt, barrier } => {
                if self.spec.profile.trigger_rpc_failure_aborts_checkpoint() {
                    let up = sys.to_jm.entry(t).or_default().make_mut();
                    up.push_back(Up::TriggerFailed { attempt, id: barrier.id });
                }
            }
            // Notifications for an attempt that no longer runs are dropped by the TaskManager.
            Ctl::NotifyComplete { .. } | Ctl::NotifyAborted { .. } => {}
        }
    }

    /// Moves task `t`'s outputs into channels, links, the sink store and the broker. False
    /// when the task failed (it is gone, its FAILED update is on its way).
    pub(super) fn drain(&self, sys: &mut Sys, t: TaskId) -> bool {
        let Some(attempt) = sys.tasks.get(&t).map(|x| x.attempt()) else { return false };
        if !self.drain_outputs(sys, t, attempt) {
            return false;
        }
        self.note_records_after_stop(sys, t, attempt);
        if !self.end_input(sys, t, attempt) {
            return false;
        }
        if sys.tasks.get(&t).is_some_and(|x| x.is_finished()) {
            // Finished (a source notified of its stop's savepoint, a task whose inputs all
            // ended after it): EndOfPartition on every output channel, closed, FINISHED (the
            // world's task loop, step 4b).
            for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                sys.data
                    .entry((attempt.0, to, ch))
                    .or_default()
                    .make_mut()
                    .push_back((StreamElement::EndOfPartition, 0));
            }
            sys.tasks.get_mut(&t).expect("live task").make_mut().close();
            if !self.drain_outputs(sys, t, attempt) {
                return false;
            }
            self.note_records_after_stop(sys, t, attempt);
            sys.tasks.remove(&t);
            // A finishing task waits for its pending uploads (`--slow-uploads`): their
            // acknowledgements go before FINISHED (2.x `SubtaskCheckpointCoordinatorImpl
            // #waitForPendingCheckpoints`).
            let up = sys.to_jm.entry(t).or_default().make_mut();
            up.extend(sys.uploading.remove(&t).into_iter().flatten());
            up.push_back(Up::State { attempt, state: ExecutionState::Finished, cause: None });
        }
        if let Some(id) = sys.restored_from.remove(&t) {
            let seen = sys.obs.make_mut().completion_seen.entry(t).or_insert(id);
            *seen = (*seen).max(id);
        }
        true
    }

    /// A bounded source that read every partition it owns to its end ends its input (the
    /// world's task loop, step 3b: not while a stop pauses it); then (2.x with checkpointing) a
    /// task whose input ended reports its end of data to the JobMaster, once per attempt and not
    /// after a stop's savepoint (step 3d), which triggers the final checkpoint once every task
    /// did. False when the task failed.
    fn end_input(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) -> bool {
        let job = self.job(sys);
        let wait_final = self.spec.profile.checkpoints_after_tasks_finish() && job.spec.checkpoint.periodic_enabled();
        let Some(task) = sys.tasks.get(&t) else { return false };
        let at_end = || {
            task.fetch_positions().is_some_and(|m| m.iter().all(|(p, o)| self.log_end.get(p).is_some_and(|e| o >= e)))
        };
        if job.bounded[t.0 as usize] && task.may_end_bounded_input() && at_end() {
            let now = sys.now_ms;
            sys.tasks.get_mut(&t).expect("live task").make_mut().handle_end_of_input(now, wait_final);
            if !self.drain_outputs(sys, t, attempt) {
                return false;
            }
        }
        let Some(task) = sys.tasks.get(&t) else { return false };
        let notify = wait_final && self.spec.profile.triggers_checkpoint_at_end_of_data();
        if notify
            && task.input_has_ended()
            && !task.has_failed()
            && task.stopped_at().is_none()
            && sys.end_of_data.insert((t, attempt))
        {
            sys.to_jm.entry(t).or_default().make_mut().push_back(Up::EndOfData { attempt });
        }
        true
    }

    /// The records task `t` processed after its stop's savepoint barrier (the `stop` checker).
    pub(super) fn note_records_after_stop(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) {
        let Some(task) = sys.tasks.get_mut(&t) else { return };
        if task.stopped_at().is_none() {
            return;
        }
        let now = sys.now_ms;
        let records = task.make_mut().take_records_after_stop();
        if !records.is_empty() {
            sys.obs.make_mut().after_stop.extend(records.into_iter().map(|r| (now, t, attempt, r)));
        }
    }

    /// Task `t`'s snapshot of checkpoint `id`: when it is the synchronous savepoint its stop
    /// stopped at, what the core says of its operators then (the `stop` checker's drain rule),
    /// as the world records it (`world/task_outputs.rs`).
    fn note_stop_snapshot(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, id: CheckpointId) {
        let Some(task) = sys.tasks.get(&t) else { return };
        let Some((savepoint, mode)) = task.stopped_at().filter(|&(sp, _)| sp == id) else { return };
        let (drained, input_ended) = (task.drained_for_stop(), task.input_has_ended());
        let s =
            crate::world::StopSnapshot { at_ms: sys.now_ms, task: t, attempt, savepoint, mode, drained, input_ended };
        sys.obs.make_mut().stop_snapshots.push(s);
    }

    /// The late elements a window task had sent on a late side edge before each snapshot's cut,
    /// recorded as the world records them (`world/task_outputs.rs` `snapshot_taken`): the
    /// `side_output` rules' record of which late elements a completed checkpoint holds; and, of a
    /// window fed by a late side edge, how many assignments came before the cut (the
    /// `late-window-*` rules, session 30).
    fn note_late_cuts(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) {
        // The task was changed by the snapshot just taken: `make_mut` copies nothing more.
        let Some(task) = sys.tasks.get_mut(&t) else { return };
        let cuts = task.make_mut().take_late_cuts();
        let assignment_cuts = task.make_mut().take_assignment_cuts();
        if !cuts.is_empty() || !assignment_cuts.is_empty() {
            let op = if cuts.is_empty() { 0 } else { self.job(sys).graph.late_operator(&self.job(sys).spec, t, None) };
            let obs = sys.obs.make_mut();
            for (checkpoint, late_before) in cuts {
                obs.late_snapshots.push(op, crate::world::LateSnapshot { task: t, attempt, checkpoint, late_before });
            }
            for (checkpoint, late_before) in assignment_cuts {
                obs.assignment_snapshots.push(crate::world::LateSnapshot { task: t, attempt, checkpoint, late_before });
            }
        }
    }

    /// A snapshot of an attempt restored as finished (2.x), as the world records it
    /// (`world/task_outputs.rs`): the `restart` checker's finished-on-restore rule.
    fn note_finished_restore(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, id: CheckpointId, s: &TaskSnapshot) {
        let Some(task) = sys.tasks.get(&t).filter(|x| x.restored_entry_finished()) else { return };
        let row = crate::world::FinishedRestoreSnapshot {
            at_ms: sys.now_ms,
            task: t,
            attempt,
            id,
            finished: s.finished,
            ran_end_input: task.ran_end_input(),
            records_in: task.records_in(),
            from_finished_task: task.restored_from_finished_task(),
            vertex_finished: task.restored_vertex_finished(),
            sink_ops: task.sink_ops(),
        };
        sys.obs.make_mut().finished_restores.push(row);
    }

    /// Moves task `t`'s pending outputs; false when the task failed.
    pub(super) fn drain_outputs(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) -> bool {
        let now = sys.now_ms;
        self.note_snapshot_cut(sys, t);
        while let Some(out) = sys.tasks.get_mut(&t).and_then(|x| x.make_mut().poll_output()) {
            match out {
                TaskOutput::Emit { channel, record } => {
                    let (to, ch) = self.job(sys).outs[t.0 as usize][channel as usize];
                    sys.cuts.make_mut().pushed((attempt.0, to, ch));
                    sys.data
                        .entry((attempt.0, to, ch))
                        .or_default()
                        .make_mut()
                        .push_back((StreamElement::Record(record), 0));
                }
                TaskOutput::EmitBarrier { barrier, priority } => self.emit_barrier(sys, t, attempt, barrier, priority),
                TaskOutput::EmitCancelMarker { id } => self.broadcast(sys, t, attempt, StreamElement::CancelMarker(id)),
                TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                    let row = checkpoint_row(sys.obs.make_mut(), id);
                    row.alignment_ms = row.alignment_ms.max(alignment_ms);
                    row.unaligned |= unaligned;
                    sys.cuts.make_mut().note_complete(&self.jobs[sys.job], t, attempt, id, &snapshot);
                    self.note_finished_restore(sys, t, attempt, id, &snapshot);
                    self.note_stop_snapshot(sys, t, attempt, id);
                    self.note_late_cuts(sys, t, attempt);
                    sys.to_jm.entry(t).or_default().make_mut().push_back(Up::Ack { attempt, id, snapshot });
                }
                TaskOutput::Decline { id, reason } => {
                    sys.to_jm.entry(t).or_default().make_mut().push_back(Up::Decline { attempt, id, reason });
                }
                // Barrier announcements are never turned on here: no output-side timer fires.
                TaskOutput::ConvertBarrier { .. } => {}
                TaskOutput::PrioritizeBarriers { id } => self.prioritize_barriers(sys, t, attempt, id),
                TaskOutput::PrintRow { record, sink } => sys
                    .obs
                    .make_mut()
                    .print_rows
                    .entry(t)
                    .or_default()
                    .push(OutputRow::of(now, t, attempt, record).from_sink(sink)),
                TaskOutput::Sink(op) => {
                    if Self::fenced(sys, t, attempt) {
                        return self.fail_from_output(sys, t, attempt, "producer fenced by a newer attempt");
                    }
                    Self::store_op(sys, (t, attempt), op, now);
                }
                TaskOutput::CommitOffsets { offsets } => Self::commit_offsets(sys, t, &offsets),
                TaskOutput::Failed { cause } => return self.fail_from_output(sys, t, attempt, &cause),
                // Event time (semantics §11): watermarks and status changes are stream elements
                // on every output channel, in FIFO order with records and barriers (the world's
                // `Outbox::push_event`).
                TaskOutput::EmitWatermark { watermark } => {
                    let e = ckptsim::watermark::WatermarkEvent::Watermark(watermark);
                    self.note_source_step(sys, t, attempt, crate::world::SourceStep::Emitted(e));
                    self.broadcast(sys, t, attempt, StreamElement::Watermark(watermark))
                }
                TaskOutput::EmitWatermarkStatus { status } => {
                    let e = ckptsim::watermark::WatermarkEvent::Status(status);
                    self.note_source_step(sys, t, attempt, crate::world::SourceStep::Emitted(e));
                    self.broadcast(sys, t, attempt, StreamElement::WatermarkStatus(status))
                }
                // 2.x end of data (a drain's, ahead of its barrier): in FIFO order like a watermark.
                TaskOutput::EmitEndOfData => self.broadcast(sys, t, attempt, StreamElement::EndOfData),
                TaskOutput::LateRecord { record, tag, operator } => {
                    // Per sending operator, as the world keeps them (session 40).
                    let instance = matches!(tag, ckptsim::task::LateTag::Window).then_some(operator.as_str());
                    let op = self.job(sys).graph.late_operator(&self.job(sys).spec, t, instance);
                    sys.obs.make_mut().late_records.push(op, OutputRow::of(now, t, attempt, record))
                }
                TaskOutput::WindowAssigned { operator, record, windows } => sys
                    .obs
                    .make_mut()
                    .window_assignments
                    .push(crate::world::AssignmentRow::of(now, t, attempt, &operator, record, windows)),
                // A late-fed join's verdicts, as the world records them (session 30).
                TaskOutput::JoinJudged { record, event, .. } => {
                    sys.obs.make_mut().join_judgments.push(crate::world::JoinRow {
                        time_ms: now,
                        task: t,
                        attempt,
                        value: record.value,
                        lineage: record.lineage,
                        timestamp: record.timestamp,
                        event,
                    })
                }
                TaskOutput::ProcessingTimersQuiesced { operator, pending } => {
                    let operator = crate::world::operator_of_instance(&operator);
                    sys.obs.make_mut().quiesced_windows.push(crate::world::QuiescedRow {
                        time_ms: now,
                        task: t,
                        attempt,
                        operator,
                        pending,
                    })
                }
            }
        }
        true
    }

    /// `el` at the end of every output channel of task `t` (attempt `attempt`), in FIFO order.
    fn broadcast(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, el: StreamElement) {
        for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
            sys.data.entry((attempt.0, to, ch)).or_default().make_mut().push_back((el.clone(), 0));
        }
    }

    /// A barrier on every output channel: a priority (unaligned) barrier overtakes the records
    /// queued there (and counts them), an aligned one queues behind them.
    fn emit_barrier(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, barrier: Barrier, priority: bool) {
        let variant = self.spec.variant;
        let job = self.job(sys);
        for &(to, ch) in &job.outs[t.0 as usize] {
            // Into a task whose inputs always align: in-band, forced aligned (semantics §14, forced alignment).
            let aligns = job.graph.always_aligns(to);
            let (barrier, priority) = ckptsim::record::barrier_into(barrier, priority, aligns, variant);
            let link = crate::graph::Link { task: to, gate: job.graph.input_links(to)[ch as usize].gate };
            sys.cuts.make_mut().note_barrier(t, attempt, &barrier, link, ch, priority);
            let q = sys.data.entry((attempt.0, to, ch)).or_default().make_mut();
            if priority {
                let overtaken = q.iter().filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                q.push_front((StreamElement::Barrier(barrier), overtaken as u32));
            } else {
                q.push_back((StreamElement::Barrier(barrier), 0));
            }
        }
    }

    /// The task asked for the barrier of checkpoint `id` ahead of its input channels' records:
    /// each input channel's queued barrier is taken out of its place and handed to the task at
    /// once, with the number of records it overtook.
    fn prioritize_barriers(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, id: CheckpointId) {
        let now = sys.now_ms;
        let inputs = self.job(sys).graph.inputs_of(t).len() as u32;
        for ch in 0..inputs {
            let Some(q) = sys.data.get_mut(&(attempt.0, t, ch)) else { continue };
            let Some(pos) = q.iter().position(|(e, _)| matches!(e, StreamElement::Barrier(b) if b.id == id)) else {
                continue;
            };
            let ahead = q.iter().take(pos).filter(|(e, _)| matches!(e, StreamElement::Record(_))).count() as u32;
            let (el, carried) = q.make_mut().remove(pos).expect("barrier position");
            // The records ahead of it and those it already overtook (as the world's
            // `prioritize_barriers`), handed in for the task to persist at once.
            let overtaken = ckptsim::barrier::overtaken_records(q.iter().map(|e| &e.0), ahead + carried);
            let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
            let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
            let watched = BarrierProtocol::before(task, ChannelId(ch), &el);
            task.handle_input(now, ChannelId(ch), el, &overtaken, sys.counters.entry(tm).or_default());
            if let Some((handed, mark)) = watched {
                self.note_protocol(sys, t, mark, handed);
            }
            // The barrier may have triggered the snapshot: its cut is taken now, before any
            // further record is taken (as the world's `prioritize_barriers`).
            self.note_snapshot_cut(sys, t);
        }
    }

    /// `notifyCheckpointAborted(id)` delivered to the current attempt of `t`.
    fn notify_aborted(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, id: CheckpointId) {
        let now = sys.now_ms;
        let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
        let mark = BarrierProtocol::mark(task);
        let notice = crate::world::StopNotice::deliver(task, now, t, attempt, crate::world::Notice::Aborted(id));
        sys.obs.make_mut().stop_notices.extend(notice);
        self.note_protocol(sys, t, mark, Handed::JobManagerAbort(id));
        self.drain(sys, t);
    }

    /// A control event handed to task `t`'s barrier handler, judged by the protocol
    /// (`world/protocol.rs`); `mark` was taken just before.
    pub(super) fn note_protocol(&self, sys: &mut Sys, t: TaskId, mark: StepMark, handed: Handed) {
        let channels = self.job(sys).graph.inputs_of(t).len();
        let Some(task) = sys.tasks.get(&t) else { return };
        let step = (sys.now_ms, self.spec.profile, channels);
        sys.cuts.make_mut().protocol.observe(task, (t, task.attempt()), step, mark, handed);
    }

    /// Task `t`'s newest snapshot cut, if it took a new snapshot (`cuts.rs`).
    fn note_snapshot_cut(&self, sys: &mut Sys, t: TaskId) {
        let job = &self.jobs[sys.job];
        let Some(task) = sys.tasks.get(&t) else { return };
        let new = task.last_snapshot_id().is_some_and(|id| !sys.cuts.noted(job, t, task.attempt(), id));
        if new {
            let now = sys.now_ms;
            sys.cuts.make_mut().note_snapshot(job, task, now);
        }
    }

    /// A source's offset commit (on a completed checkpoint): recorded for the `offsets`
    /// checker with the newest completed checkpoint, and the broker's committed offsets move.
    fn commit_offsets(sys: &mut Sys, t: TaskId, offsets: &BTreeMap<PartitionId, Offset>) {
        let now = sys.now_ms;
        let checkpoint = sys.obs.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
        for (p, o) in offsets {
            sys.obs.make_mut().offset_commits.entry((sys.job, t)).or_default().push(OffsetCommit {
                time_ms: now,
                task: t,
                partition: *p,
                offset: *o,
                accepted: true,
                checkpoint,
                periodic: false,
            });
            sys.committed_offsets.insert(*p, *o);
        }
    }

    pub(super) fn fail_from_output(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, cause: &str) -> bool {
        // Its FAILED report, then its operators closed, as the world's task loop (`close_task`
        // after a failed drain): what it queued behind the failure is dropped.
        Self::close_task(sys, t);
        Self::report_failed(sys, t, attempt, cause.to_string());
        false
    }

    /// Task `t`'s `attempt` reports FAILED: the update queued for the JobManager, and the report
    /// recorded as the world's TaskManager records it (`RetryCall::FailedReported`).
    pub(super) fn report_failed(sys: &mut Sys, t: TaskId, attempt: Attempt, cause: String) {
        let at_ms = sys.now_ms;
        Self::note_retry_call(sys, RetryCall::FailedReported { at_ms, task: t, attempt });
        let up = Up::State { attempt, state: ExecutionState::Failed, cause: Some(cause) };
        sys.to_jm.entry(t).or_default().make_mut().push_back(up);
    }

    /// One step of a retried call, recorded as the world records it (`RunResult::retry_calls`)
    /// when the `restart` checker's retry-count rule can still read it, with the attempt's
    /// settled cancel rows folded (`check/retry_counts.rs` `read_later`, `settle`; session 40).
    pub(super) fn note_retry_call(sys: &mut Sys, call: RetryCall) {
        let key = call.subject();
        let rows = sys.obs.retry_calls.get(&key).map_or(&[][..], Vec::as_slice);
        if !check::retry_counts::read_later(rows, &call) {
            return;
        }
        let rows = sys.obs.make_mut().retry_calls.entry(key).or_default();
        rows.push(call);
        check::retry_counts::settle(rows);
    }

    /// Queues a JobManager message for task `t`; a message to a crashed TaskManager the
    /// JobManager has not noticed yet is lost (the process is gone).
    pub(super) fn send_to_task(&self, sys: &mut Sys, t: TaskId, m: Ctl) {
        if !sys.crashed_tms.contains(&self.job(sys).graph.tasks[t.0 as usize].tm) {
            sys.to_task.entry(t).or_default().make_mut().push_back(m);
        }
    }

    /// Task attempt `task` deployed from checkpoint `cp`: what it restored, recorded as the world
    /// records it (`world/tasks.rs`).
    fn note_restored_state(&self, sys: &mut Sys, task: &Task, cp: &CompletedCheckpoint) {
        let (t, attempt, now) = (task.id(), task.attempt(), sys.now_ms);
        let job = self.job(sys);
        sys.restored_from.insert(t, cp.id);
        // The keyed state the job's last keyed operator restored (the `state` checker's
        // continuation rule), as the world records it.
        if let Some(keys) = crate::world::restored_keyed(&job.spec, &job.graph, t, cp) {
            sys.obs.make_mut().restored_keyed.entry(attempt).or_default().extend(keys);
        }
        if !task.has_failed() {
            // What a user operator's list state restored (the `state` checker).
            let rows = crate::world::restored_lists(&job.spec, &job.graph, task, attempt, cp, now);
            if !rows.is_empty() {
                sys.obs.make_mut().restored_lists.extend(rows);
            }
        }
    }

    /// A job with event time: each task's valve steps are recorded (`note_valve_step`), as the
    /// world records them (`world/supervise.rs`, `record_valves`).
    pub(super) fn records_valves(&self) -> bool {
        self.spec.operators.iter().any(|o| o.watermarks.is_some())
    }

    /// After task `t` took `event` (a watermark or status; `None`: records) from input channel
    /// `ch`: the step with the task's watermark and status after it, then the windows it fired,
    /// into the state's valve steps, as the world's `take_event` and `note_fires` record them
    /// (`world/data_plane.rs`; jobs with event time only).
    pub(super) fn note_valve_step(&self, sys: &mut Sys, t: TaskId, ch: u32, event: Option<WatermarkEvent>) {
        use crate::world::{ValveEvent, ValveStep};
        if !self.records_valves() {
            return;
        }
        let channels = self.job(sys).graph.inputs_of(t).len() as u32;
        let at_ms = sys.now_ms;
        let Some(task) = sys.tasks.get_mut(&t) else { return };
        let attempt = task.attempt();
        let mut steps = Vec::new();
        if let Some(event) = event {
            let status = task.watermark_valve().map_or(WatermarkStatus::Active, |v| v.status());
            let per_input = task.watermark_valve().is_some_and(|v| v.per_input());
            let watermark = task.current_watermark();
            let step = ValveEvent::Input { channel: ch, channels, event, watermark, status, per_input };
            steps.push(ValveStep { at_ms, task: t, attempt, step });
        }
        // The task was changed by the input just taken: `make_mut` copies nothing more.
        let mut fires = Vec::new();
        task.make_mut().take_window_fires(&mut fires);
        for (window, watermark) in fires {
            steps.push(ValveStep { at_ms, task: t, attempt, step: ValveEvent::Fired { window, watermark } });
        }
        if !steps.is_empty() {
            sys.obs.make_mut().valve_steps.entry((t, attempt)).or_default().extend(steps);
        }
    }

    /// A source task's read or emission in event time, recorded as the world records it
    /// (`world/services.rs`, `world/task_outputs.rs`) when a source marks idle splits.
    pub(super) fn note_source_step(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, step: crate::world::SourceStep) {
        let idle_splits = self.spec.operators.iter().any(|o| o.watermarks.is_some_and(|s| s.idle_timeout_ms.is_some()));
        if idle_splits && self.job(sys).graph.source_tasks().contains(&t) {
            let at_ms = sys.now_ms;
            sys.obs.make_mut().source_event_time.push(crate::world::SourceEventTime { at_ms, task: t, attempt, step });
        }
    }

    /// Routes the JobMaster's outputs: messages to tasks, what the checkers read, the stop's
    /// savepoint outcome (a failed one resumes periodic checkpoints, `world/rescale.rs`).
    pub(super) fn route_jm(&self, sys: &mut Sys) {
        let now = sys.now_ms;
        // The stop's savepoint failed (`world/rescale.rs`): periodic checkpoints resume.
        let mut stop_failed = false;
        while let Some(out) = sys.jm.make_mut().poll_output() {
            match out {
                JobOutput::Deploy { task, attempt, restore, tm } => {
                    // Flink deploys only into slots a registered TaskManager offered: the
                    // heartbeat monitor watches it again (the world's `rearm`; the planted
                    // `lost-tm-forgotten` never does).
                    if self.spec.variant != ckptsim::Variant::LostTmForgotten && sys.hb_lost.contains(&tm) {
                        sys.hb_lost.remove(&tm);
                    }
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::Deploy { attempt, restore })
                }
                JobOutput::Cancel { task, attempt, .. } => {
                    let attempt = Self::to_epoch(sys, attempt);
                    Self::note_retry_call(sys, RetryCall::CancelSent { at_ms: now, task, attempt });
                    self.send_to_task(sys, task, Ctl::Cancel { attempt })
                }
                JobOutput::Trigger { task, attempt, barrier, .. } => {
                    // The trigger RPC's answer is taken as received at once (the explorer
                    // models no RPC answers): the JobMaster's ask timeout never runs here.
                    sys.jm.make_mut().handle_trigger_answer(now, task, attempt, barrier.id);
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::Trigger { attempt, barrier })
                }
                JobOutput::NotifyComplete { task, attempt, id, .. } => {
                    if sys.obs.notified_complete.last().is_none_or(|l| l.1 != id) {
                        sys.obs.make_mut().notified_complete.push((now, id));
                    }
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::NotifyComplete { attempt, id })
                }
                JobOutput::NotifyAborted { task, attempt, id, .. } => {
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::NotifyAborted { attempt, id })
                }
                JobOutput::JobStatusChanged { to, .. } => stop_failed |= Self::job_status_changed(sys, to),
                JobOutput::TaskStateChanged { task, attempt, from, to } => {
                    // The JobManager's view of its tasks (`world/acks.rs`), in JobMaster attempts.
                    sys.acks.make_mut().task_state(u64::from(sys.epoch), now, task, attempt, to);
                    let subject = (task, Self::to_epoch(sys, attempt));
                    if let Some(call) = RetryCall::canceling(now, subject, (from, to)) {
                        Self::note_retry_call(sys, call);
                    }
                }
                JobOutput::CancelGaveUp { .. } => {}
                JobOutput::RestartScheduled { at_ms, backoff_ms, failure, cause } => {
                    sys.obs.make_mut().restart_schedule.push((now, failure, backoff_ms));
                    sys.obs.make_mut().failures.push((
                        now,
                        format!("#{failure} restart at {at_ms} (backoff {backoff_ms} ms): {cause}"),
                        EventData::Failure { failure, backoff_ms: Some(backoff_ms), cause },
                    ));
                }
                JobOutput::RestartSuppressed { failure, cause } => sys.obs.make_mut().failures.push((
                    now,
                    format!("#{failure} restart suppressed: {cause}"),
                    EventData::Failure { failure, backoff_ms: None, cause },
                )),
                // A regional failover (semantics §1.7), recorded as the world's `jobmanager.rs`
                // records it: a restart whose offsets are its region's, and the restored tasks
                // for the `restart` checker's region rules. The JobMaster cancelled and now
                // deploys only the region's tasks; the other regions run on untouched.
                JobOutput::RegionRestored { checkpoint, attempt, tasks } => {
                    sys.obs.make_mut().restarts += 1;
                    let cause = crate::world::RestoreCause::Restart { attempt: attempt.0 };
                    self.note_restore_of(sys, cause, checkpoint, Some(&tasks));
                    sys.obs.make_mut().region_restores.push((now, attempt, tasks));
                }
                JobOutput::Restored { checkpoint, attempt } => {
                    sys.obs.make_mut().restarts += 1;
                    self.note_restore(sys, crate::world::RestoreCause::Restart { attempt: attempt.0 }, checkpoint);
                }
                JobOutput::Terminated { retained, .. } => {
                    sys.obs.make_mut().retained = retained.iter().map(|c| c.id).collect()
                }
                JobOutput::Checkpoint(c) => stop_failed |= self.route_coordinator(sys, c),
            }
        }
        if stop_failed {
            sys.jm.make_mut().resume_after_failed_stop(now);
            self.route_jm(sys);
        }
    }

    /// A restore (a restart, a new JobManager leader) from checkpoint `id`, recorded as the world
    /// records it (`World::record_restore`): the checkers read which elements a restore
    /// discarded (`windows` on processing-time windows, `stop`). The keyed-state summary the
    /// world adds is only rendered, never judged: left empty.
    pub(super) fn note_restore(&self, sys: &mut Sys, cause: crate::world::RestoreCause, id: Option<CheckpointId>) {
        self.note_restore_of(sys, cause, id, None);
    }

    /// [`Explorer::note_restore`] of the tasks `only` names (None: every task), as the world's
    /// `record_restore_of`: a regional restore rewinds only its region's sources.
    fn note_restore_of(
        &self,
        sys: &mut Sys,
        cause: crate::world::RestoreCause,
        id: Option<CheckpointId>,
        only: Option<&[TaskId]>,
    ) {
        let offsets = match (&sys.ha_latest, id) {
            (Some(cp), Some(id)) if cp.id == id => self.source_offsets_of(sys, cp, only),
            _ => BTreeMap::new(),
        };
        let at_ms = sys.now_ms;
        let keyed = BTreeMap::new();
        let commits_before = sys.obs.offset_commits.values().map(Vec::len).sum();
        let r = crate::world::RestoreRecord { at_ms, cause, checkpoint: id, offsets, keyed, commits_before };
        sys.obs.make_mut().restores.push(r);
    }

    /// The job's status changed to `to`: recorded for the checkers; true when it fails a stop
    /// whose savepoint completed (a failover after it, `world/rescale.rs` `on_status_changed`).
    fn job_status_changed(sys: &mut Sys, to: JobStatus) -> bool {
        let now = sys.now_ms;
        sys.obs.make_mut().status = to;
        sys.obs.make_mut().status_timeline.push((now, to));
        if sys.stop_completed {
            if to.is_terminal() {
                sys.stop_completed = false;
            } else if matches!(to, JobStatus::Restarting | JobStatus::Failing) {
                sys.stop_completed = false;
                return true;
            }
        }
        false
    }

    /// One of the coordinator's outputs, recorded as the world records it; true when it ends
    /// the stop's savepoint unsuccessfully (aborted, or the request failed).
    fn route_coordinator(&self, sys: &mut Sys, c: CoordinatorOutput) -> bool {
        let now = sys.now_ms;
        match c {
            CoordinatorOutput::Trigger { id, timestamp_ms, kind, periodic, .. } => {
                sys.ha_next_id = sys.ha_next_id.max(id.next());
                // The tasks it waits for, fixed now (`world/jobmanager.rs` `note_trigger`).
                let vertex_of = self.job(sys).graph.tasks.iter().map(|t| t.vertex).collect();
                let finished_excluded = self.spec.profile.checkpoints_after_tasks_finish();
                sys.acks.make_mut().trigger(u64::from(sys.epoch), id, vertex_of, finished_excluded);
                sys.obs.make_mut().triggers.push((now, id));
                let obs = sys.obs.make_mut();
                let seq = crate::world::next_end_seq(&mut obs.end_seq, now);
                let row = checkpoint_row(obs, id);
                row.trigger_ms = timestamp_ms;
                row.trigger_seq = seq;
                row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                row.periodic = periodic;
                sys.gate_requests.handle_trigger(id, kind, periodic);
            }
            CoordinatorOutput::Completed(cp) => self.checkpoint_completed(sys, cp),
            CoordinatorOutput::Aborted { id, reason, trigger_ms, kind, periodic } => {
                sys.acks.make_mut().aborted(id);
                let obs = sys.obs.make_mut();
                let row = obs.checkpoints.entry(id).or_insert_with(|| CheckpointRow::pending(id));
                row.trigger_ms = trigger_ms;
                row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                row.periodic = periodic;
                if row.end_ms.is_none() {
                    row.end_ms = Some(now);
                    row.end_seq = crate::world::next_end_seq(&mut obs.end_seq, now);
                    row.outcome = reason.name().to_string();
                }
                if kind != ckptsim::record::CheckpointKind::Savepoint {
                    // A triggering gate waiting for it asks again (`world/gates.rs`).
                    sys.gate_requests.handle_aborted(now, id);
                    Self::drop_gate_wakes(sys);
                }
                if kind == ckptsim::record::CheckpointKind::Savepoint
                    && sys.stop_pending_since.is_some_and(|t| trigger_ms >= t)
                {
                    sys.stop_pending_since = None;
                    return true;
                }
            }
            CoordinatorOutput::Queue { request, change } => {
                sys.gate_requests.handle_queue(now, request, change);
                Self::drop_gate_wakes(sys);
                let obs = sys.obs.make_mut();
                let epoch = obs.coordinators;
                obs.requests.push(crate::world::RequestEvent { time_ms: now, epoch, request, change });
            }
            CoordinatorOutput::Stored { added, removed } => {
                let obs = sys.obs.make_mut();
                let epoch = obs.coordinators;
                obs.stores.push(crate::world::StoreEvent { time_ms: now, epoch, added, removed });
            }
            CoordinatorOutput::Discarded { id } => sys.obs.make_mut().discards.push((now, id)),
            CoordinatorOutput::RequestFailed { request, .. }
                if request == ckptsim::coordinator::RequestKind::Savepoint && sys.stop_pending_since.is_some() =>
            {
                sys.stop_pending_since = None;
                return true;
            }
            CoordinatorOutput::RequestFailed { request: ckptsim::coordinator::RequestKind::Manual, .. } => {
                // A gate whose request was refused asks again (`world/gates.rs`).
                sys.gate_requests.handle_request_failed(now);
                Self::drop_gate_wakes(sys);
            }
            _ => {}
        }
        false
    }

    /// A checkpoint completed: the HA store has it, the stop's savepoint is marked, and its row,
    /// offsets, in-flight inputs and acknowledgements are recorded.
    fn checkpoint_completed(&self, sys: &mut Sys, cp: Arc<CompletedCheckpoint>) {
        let now = sys.now_ms;
        // The HA store has it before it counts as completed.
        let previous = sys.ha_latest.replace(cp.clone());
        if self.spec.variant == ckptsim::Variant::HaRecoversPrevious {
            sys.ha_previous = previous;
        }
        if cp.is_savepoint() && sys.stop_pending_since.is_some_and(|t| cp.trigger_ms >= t) {
            sys.stop_pending_since = None;
            sys.stop_completed = true;
            if let Some(r) = sys.obs.make_mut().stops.last_mut() {
                r.savepoint = Some(cp.id);
            }
        }
        let offsets = self.source_offsets(sys, &cp);
        sys.obs.make_mut().completed_offsets.insert(cp.id, offsets);
        let in_flight = crate::world::in_flight_inputs(&cp);
        if !in_flight.is_empty() {
            sys.obs.make_mut().completed_in_flight.insert(cp.id, in_flight);
        }
        let acks = sys.acks.make_mut().completed(cp.id);
        let obs = sys.obs.make_mut();
        let seq = crate::world::next_end_seq(&mut obs.end_seq, now);
        let row = checkpoint_row(obs, cp.id);
        row.acks = acks;
        row.end_ms = Some(now);
        row.end_seq = seq;
        row.outcome = "COMPLETED".into();
        row.size_bytes = cp.size_bytes;
    }
}
