//! The explorer's steps: applying one choice to a state (deliveries, reads, timers, failures, TaskManager crashes, JobManager failover, rescale, stop); which choices are enabled is `choices.rs`, routing the outputs `route.rs`.

use super::*;

impl Explorer<'_> {
    /// The explorer's attempt of a JobMaster attempt of the current epoch.
    pub(super) fn to_epoch(sys: &Sys, a: Attempt) -> Attempt {
        Attempt((sys.epoch - 1) * super::EPOCH_STRIDE + a.0)
    }

    /// The JobMaster attempt of an explorer attempt, or None when it belongs to an older epoch
    /// (the new leader's JobMasterId fences it).
    pub(super) fn from_epoch(sys: &Sys, a: Attempt) -> Option<Attempt> {
        (a.0 / super::EPOCH_STRIDE == sys.epoch - 1).then_some(Attempt(a.0 % super::EPOCH_STRIDE))
    }

    /// TaskManager `tm`'s process dies: its tasks vanish without a word (no FAILED update),
    /// messages on their way to them are lost, and its per-process counters (static fields of
    /// a Flink test function) start over.
    pub(super) fn crash_tm(&self, sys: &mut Sys, tm: TmId) {
        let job = self.job(sys);
        let on_tm = |t: &TaskId| job.graph.tasks[t.0 as usize].tm == tm;
        sys.tasks.retain(|t, _| !on_tm(t));
        // Its uploads die with the process.
        sys.uploading.retain(|t, _| !on_tm(t));
        for (t, q) in sys.to_task.iter_mut() {
            if on_tm(t) && !q.is_empty() {
                q.make_mut().clear();
            }
        }
        sys.counters.remove(&tm.0);
        sys.crashed_tms.insert(tm);
        sys.tm_crashes += 1;
    }

    /// `hb-timeout:N`: the heartbeats between the JobManager and the live TaskManager `tm` stay
    /// away longer than the timeout both ways (the world's `partition` fault between them, as
    /// `negative/lost-tm-forgotten.toml` poses it). The TaskManager fails the tasks of the
    /// leader it lost (`TaskExecutor#disconnectJobManager`), messages between them are lost,
    /// the process and its counters live on; the JobManager judges it lost
    /// (`JobMaster::handle_tm_lost`, as the world's monitor does) and stops watching it until
    /// it deploys to it again. False when not enabled.
    fn hb_timeout(&self, sys: &mut Sys, tm: TmId) -> bool {
        let job = self.job(sys);
        let on_tm = |t: &TaskId| job.graph.tasks[t.0 as usize].tm == tm;
        if sys.crashed_tms.contains(&tm) || sys.hb_lost.contains(&tm) || !sys.tasks.keys().any(on_tm) {
            return false;
        }
        // The TaskManager fails them: each closes its operators (the world's fail request).
        let mine: Vec<TaskId> = sys.tasks.keys().copied().filter(on_tm).collect();
        for t in mine {
            Self::close_task(sys, t);
        }
        for (t, q) in sys.to_task.iter_mut() {
            if on_tm(t) && !q.is_empty() {
                q.make_mut().clear();
            }
        }
        for (t, q) in sys.to_jm.iter_mut() {
            if on_tm(t) && !q.is_empty() {
                q.make_mut().clear();
            }
        }
        sys.hb_timeouts += 1;
        // Judged lost first: a deployment the loss causes at once re-arms the monitor.
        sys.hb_lost.insert(tm);
        sys.jm.make_mut().handle_tm_lost(sys.now_ms, tm);
        self.route_jm(sys);
        true
    }

    /// `tm-hb-timeout:N`: the live TaskManager `tm` has heard no heartbeat from the JobManager
    /// for the timeout while the JobManager still hears it (a one-way partition JobManager →
    /// `tm`). It judges the leader lost and fails every task it runs (Flink `TaskExecutor`'s
    /// `JobManagerHeartbeatListener#notifyHeartbeatTimeout` → `disconnectJobManagerConnection`),
    /// as the world's heartbeat loop does (`world/taskmanager.rs` `heartbeat_tick`: a fail
    /// request per live attempt, each reported FAILED); the JobManager's monitor still watches
    /// `tm`. False when not enabled.
    fn tm_hb_timeout(&self, sys: &mut Sys, tm: TmId) -> bool {
        let job = self.job(sys);
        let mine: Vec<TaskId> = sys.tasks.keys().copied().filter(|t| job.graph.tasks[t.0 as usize].tm == tm).collect();
        if sys.crashed_tms.contains(&tm) || mine.is_empty() {
            return false;
        }
        sys.tm_hb_timeouts += 1;
        let cause = "JobManager lost: no heartbeat from it for the heartbeat timeout".to_string();
        for t in mine {
            // Each fails as a task the TaskManager fails does: its operators closed.
            let Some(attempt) = Self::close_task(sys, t) else { continue };
            Self::report_failed(sys, t, attempt, cause.clone());
        }
        true
    }

    /// `jm-hb-timeout:N`: the JobManager has heard no heartbeat from the live TaskManager `tm`
    /// for the timeout while `tm` still hears the JobManager (a one-way partition `tm` →
    /// JobManager that heals before `tm`'s own timeout). The JobManager judges `tm` lost
    /// (Flink `JobMaster`'s `TaskManagerHeartbeatListener#notifyHeartbeatTimeout` →
    /// `disconnectTaskManager`; the world's heartbeat monitor in `world/jobmanager.rs`:
    /// `JobMaster::handle_tm_lost`, every execution on `tm` FAILED, a cancel to each, the
    /// restart strategy), while `tm`'s tasks run on: their steps and messages stay enabled
    /// (the JobMaster ignores what their attempts send from now on) until the cancels reach
    /// them or a deployment replaces them. Nothing is lost, and the monitor watches `tm` again
    /// (its next heartbeat re-registers it, the world's `heartbeat`). False when not enabled.
    fn jm_hb_timeout(&self, sys: &mut Sys, tm: TmId) -> bool {
        let job = self.job(sys);
        let on_tm = |t: &TaskId| job.graph.tasks[t.0 as usize].tm == tm;
        if sys.crashed_tms.contains(&tm) || sys.hb_lost.contains(&tm) || !sys.tasks.keys().any(on_tm) {
            return false;
        }
        sys.jm_hb_timeouts += 1;
        sys.jm.make_mut().handle_tm_lost(sys.now_ms, tm);
        self.route_jm(sys);
        true
    }

    /// The JobManager dies and a new leader takes over, as the world's `jm-crash` (semantics
    /// §9): the old job is SUSPENDED and its pending checkpoints die
    /// (CHECKPOINT_COORDINATOR_SUSPEND); TaskManagers lose the leader and fail its tasks
    /// (TaskExecutor's `disconnectJobManager`); everything in flight of the old epoch is
    /// fenced; the new JobMaster continues the checkpoint id counter and restores the latest
    /// completed checkpoint from the HA store (`start_recovered`).
    pub(super) fn jm_failover(&self, sys: &mut Sys) {
        let now = sys.now_ms;
        sys.jm_failovers += 1;
        sys.epoch += 1;
        sys.obs.make_mut().status = JobStatus::Suspended;
        sys.obs.make_mut().status_timeline.push((now, JobStatus::Suspended));
        let obs = sys.obs.make_mut();
        for row in obs.checkpoints.values_mut().filter(|r| r.end_ms.is_none()) {
            row.end_ms = Some(now);
            row.end_seq = crate::world::next_end_seq(&mut obs.end_seq, now);
            row.outcome = "CHECKPOINT_COORDINATOR_SUSPEND".into();
        }
        let live: Vec<TaskId> = sys.tasks.keys().copied().collect();
        for t in live {
            // The TaskManagers cancel the lost leader's tasks: each closes its operators (the
            // world's `jm-crash`). A task that restored but never drained keeps its restore
            // bookkeeping out of the commit horizon.
            Self::close_task(sys, t);
            sys.restored_from.remove(&t);
        }
        sys.data.clear();
        sys.to_task.clear();
        sys.to_jm.clear();
        // The new leader's fencing token: the old epoch's messages never reach it.
        sys.delivered_up.clear();
        sys.obs.make_mut().status_timeline.push((now, JobStatus::Created));
        let job = self.job(sys);
        let params = job.spec.job_params(job.graph.tasks.clone(), 0);
        let mut jm = reporting(JobMaster::new(params));
        sys.obs.make_mut().coordinators += 1;
        sys.gate_requests.handle_new_job_master();
        jm.recover_checkpoint_id_counter(sys.ha_next_id);
        let cause = crate::world::RestoreCause::JobManagerFailover { epoch: u64::from(sys.epoch) };
        // The planted `ha-recovers-previous` recovers the completed checkpoint before the latest.
        let recovered =
            if self.spec.variant == ckptsim::Variant::HaRecoversPrevious { &sys.ha_previous } else { &sys.ha_latest };
        let recovered = recovered.clone();
        let from = recovered.as_ref().map(|c| c.id);
        self.note_restore(sys, cause, from);
        jm.start_recovered(now, recovered);
        sys.jm = Part::new(jm);
        self.route_jm(sys);
    }

    /// The `rescale` step, as the world's `cancel` then `rescale` actions with the job's
    /// checkpoints retained (`world/rescale.rs`), in one step: the job is cancelled (CANCELED;
    /// its pending checkpoints end with the coordinator's shutdown; its tasks, their channels
    /// and every message in flight are gone), then a new job of a new JobManager epoch, with the
    /// action's parallelisms and its own graph, starts from the latest completed checkpoint cut
    /// for the new layout by the world's hand-off (`world::hand_off`: the core's
    /// `rescale::assign`, and the planted `rescale-keyed-by-subtask`). The cancel's own
    /// interleavings (tasks still working while the cancel reaches them) are not explored.
    pub(super) fn rescale(&self, sys: &mut Sys) {
        let (Some(r), Some(latest)) = (self.rescale.as_ref(), sys.ha_latest.clone()) else { return };
        let cp = Self::resumed_from(self.spec.variant, r.from, sys).unwrap_or(latest);
        let now = sys.now_ms;
        sys.rescales += 1;
        let obs = sys.obs.make_mut();
        obs.status = JobStatus::Canceled;
        obs.status_timeline.push((now, JobStatus::Cancelling));
        obs.status_timeline.push((now, JobStatus::Canceled));
        for row in obs.checkpoints.values_mut().filter(|r| r.end_ms.is_none()) {
            row.end_ms = Some(now);
            row.end_seq = crate::world::next_end_seq(&mut obs.end_seq, now);
            row.outcome = CheckpointFailureReason::CheckpointCoordinatorShutdown.name().to_string();
        }
        // The cancel closes every task (its 2PC sink aborts its open transaction).
        let live: Vec<TaskId> = sys.tasks.keys().copied().collect();
        for t in live {
            Self::close_task(sys, t);
        }
        sys.restored_from.clear();
        sys.completion_seen_reset();
        sys.data.clear();
        sys.to_task.clear();
        sys.to_jm.clear();
        sys.delivered_up.clear();
        sys.epoch += 1;
        // The new job's restore, as the world records it (the restart checker reads a CANCELED
        // job followed by CREATED as a new job only with it).
        let offsets = self.source_offsets(sys, &cp);
        // Every commit so far is the ended job's (job 0's rows come first when flattened).
        let commits_before = sys.obs.offset_commits.values().map(Vec::len).sum();
        sys.obs.make_mut().restores.push(crate::world::RestoreRecord {
            at_ms: now,
            cause: crate::world::RestoreCause::Rescaled { from: r.from, checkpoint: cp.id },
            checkpoint: Some(cp.id),
            offsets,
            keyed: BTreeMap::new(),
            commits_before,
        });
        let old = &self.jobs[0];
        let epoch = u64::from(sys.epoch - 1);
        let hand = crate::world::hand_off(&old.spec, &old.graph, &BTreeMap::new(), r, &cp, now, epoch);
        sys.job = 1;
        let obs = sys.obs.make_mut();
        obs.status_timeline.push((now, JobStatus::Created));
        obs.rescales.push(hand.record);
        let Some(rescaled) = hand.rescaled else {
            // Flink fails the new job while it restores state in the scheduler.
            obs.status = JobStatus::Failed;
            obs.status_timeline.push((now, JobStatus::Failed));
            sys.rescale_refused = true;
            return;
        };
        obs.status = JobStatus::Created;
        sys.rescaled = Arc::new(rescaled.vertices);
        let checkpoint = Arc::new(CompletedCheckpoint { external: true, ..rescaled.checkpoint });
        let job = self.job(sys);
        let params = job.spec.job_params(job.graph.tasks.clone(), 0);
        let mut jm = reporting(JobMaster::new(params));
        sys.obs.make_mut().coordinators += 1;
        sys.gate_requests.handle_new_job_master();
        jm.recover_checkpoint_id_counter(sys.ha_next_id);
        jm.start(now, Some(checkpoint.clone()));
        // The new job's HA store starts with the checkpoint it was started from.
        sys.ha_latest = Some(checkpoint);
        sys.jm = Part::new(jm);
        self.route_jm(sys);
    }

    /// Under the planted `resume-takes-oldest-retained`, a rescale from the retained checkpoint
    /// starts from the oldest checkpoint the ended job's store holds, as the world's plant takes
    /// the first of what the store kept (`world/rescale.rs` `newest_retained`; session 38). None:
    /// the latest completed checkpoint, the newest retained.
    fn resumed_from(
        variant: ckptsim::Variant,
        from: crate::scenario::RescaleFrom,
        sys: &Sys,
    ) -> Option<Arc<CompletedCheckpoint>> {
        let planted = variant == ckptsim::Variant::ResumeTakesOldestRetained;
        if !planted || from != crate::scenario::RescaleFrom::RetainedCheckpoint {
            return None;
        }
        sys.jm.coordinator().store().retained().first().cloned()
    }

    /// The `stop` step, as the world's `stop-with-savepoint` action (`world/rescale.rs`
    /// `request_stop`): recorded for the checkers, then the JobMaster stops its periodic
    /// scheduler and requests the synchronous savepoint.
    pub(super) fn stop(&self, sys: &mut Sys) {
        let Some(mode) = self.stop else { return };
        let now = sys.now_ms;
        sys.stops += 1;
        sys.stop_pending_since = Some(now);
        sys.stop_completed = false;
        let drain = mode == ckptsim::record::StopMode::Drain;
        sys.obs.make_mut().stops.push(crate::world::StopRecord { at_ms: now, drain, savepoint: None });
        sys.jm.make_mut().stop_with_savepoint(now, mode);
        self.route_jm(sys);
    }

    /// The `cancel` step, as the world's `cancel` action (`world/jobmanager.rs`): the JobMaster
    /// cancels (CANCELLING, a cancel RPC to every live execution); the cancels' deliveries, the
    /// tasks' CANCELED updates and the store's shutdown under the retention policy (once the
    /// job is CANCELED: `JobOutput::Terminated`, read by the `retention` checker) are explored
    /// as the steps that follow.
    pub(super) fn cancel(&self, sys: &mut Sys) {
        sys.cancels += 1;
        sys.jm.make_mut().cancel(sys.now_ms);
        self.route_jm(sys);
    }

    /// Applies `c` to `sys`; false when the choice is not enabled there (a replayed path).
    pub(super) fn apply(&self, sys: &mut Sys, c: Choice) -> bool {
        // A zombie delivery the JobMaster ignores moves nothing: the timer rule stays as it was.
        if !matches!(c, Choice::Tick | Choice::LateTick | Choice::Zombie { .. }) {
            sys.ticked_at = None;
        }
        let applied = self.apply_step(sys, c);
        // Session 41: the path's last fault, where the made-up horizon is judged (`judge.rs`).
        if applied && c.is_fault() && self.watches_aborts() {
            sys.obs.make_mut().fault_since_ms = sys.now_ms + 1;
        }
        applied
    }

    /// [`Explorer::apply`]'s step itself.
    fn apply_step(&self, sys: &mut Sys, c: Choice) -> bool {
        match c {
            Choice::Fetch(t) => self.fetch(sys, t),
            Choice::Data { attempt, to, ch } => self.take_data(sys, attempt, to, ch),
            Choice::ToTask(t) => {
                let Some(m) = sys.to_task.get_mut(&t).and_then(|q| q.make_mut().pop_front()) else { return false };
                self.deliver_to_task(sys, t, m);
                true
            }
            Choice::Lose(t) => {
                if sys.to_task.get_mut(&t).and_then(|q| q.make_mut().pop_front()).is_none() {
                    return false;
                }
                sys.losses += 1;
                true
            }
            Choice::ToJm(t) => {
                let Some(m) = sys.to_jm.get_mut(&t).and_then(|q| q.make_mut().pop_front()) else { return false };
                // A message of an older leader's attempt is fenced (dropped).
                if let Some(a) = Self::from_epoch(sys, m.attempt()) {
                    if self.bounds.max_zombies > 0 {
                        sys.delivered_up.entry(t).or_default().push(m.clone());
                    }
                    self.to_jm(sys, t, a, m);
                }
                true
            }
            Choice::Zombie { to, idx } => self.zombie(sys, to, idx),
            Choice::Tick => self.tick(sys) && self.forget_spent(sys),
            Choice::LateTick => self.late_tick(sys) && self.forget_spent(sys),
            Choice::CrashTm(tm) => {
                if sys.crashed_tms.contains(&tm)
                    || !sys.tasks.keys().any(|t| self.job(sys).graph.tasks[t.0 as usize].tm == tm)
                {
                    return false;
                }
                self.crash_tm(sys, tm);
                true
            }
            Choice::TmLost(tm) => {
                if sys.hb_lost.contains(&tm) || !sys.crashed_tms.remove(&tm) {
                    return false;
                }
                sys.jm.make_mut().handle_tm_lost(sys.now_ms, tm);
                self.route_jm(sys);
                true
            }
            Choice::HbTimeout(tm) => self.hb_timeout(sys, tm),
            Choice::TmHbTimeout(tm) => self.tm_hb_timeout(sys, tm),
            Choice::JmHbTimeout(tm) => self.jm_hb_timeout(sys, tm),
            Choice::JmFailover => {
                if sys.jm.status().is_globally_terminal() {
                    return false;
                }
                self.jm_failover(sys);
                true
            }
            Choice::Rescale => {
                if !self.rescale_enabled(sys) {
                    return false;
                }
                self.rescale(sys);
                true
            }
            Choice::Stop => {
                if !self.stop_enabled(sys) {
                    return false;
                }
                self.stop(sys);
                true
            }
            Choice::Cancel => {
                if !self.cancel_enabled(sys) {
                    return false;
                }
                self.cancel(sys);
                true
            }
            Choice::Trigger | Choice::Savepoint => self.request(sys, c),
            Choice::Retune => self.retune(sys),
            Choice::LoseAck(t) => self.lose_ack(sys, t),
            Choice::SlowUpload(t) => self.slow_upload(sys, t),
            Choice::Upload(t) => Self::upload(sys, t),
            Choice::Fail(t) => {
                // The task throws: FAILED, its operators closed (the world's injected failure).
                let Some(attempt) = Self::close_task(sys, t) else { return false };
                sys.failures += 1;
                Self::report_failed(sys, t, attempt, "injected task failure".to_string());
                true
            }
        }
    }

    /// `fetch:tN`: source task `t` reads the next visible record of its partitions.
    fn fetch(&self, sys: &mut Sys, t: TaskId) -> bool {
        let Some(task) = sys.tasks.get(&t).filter(|x| !x.input_paused()) else { return false };
        let Some((p, o, true)) = self.next_record(sys, task) else { return false };
        if !self.pass_gate(sys, t) {
            return false;
        }
        let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
        let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
        let record: Vec<_> = self.log.record(p, o).into_iter().collect();
        task.handle_log_records(sys.now_ms, &record, sys.counters.entry(tm).or_default());
        let attempt = task.attempt();
        sys.obs.make_mut().read_inputs += 1;
        if let Some(max_ts) = record.iter().filter_map(|r| r.timestamp).max() {
            let step = crate::world::SourceStep::Read { partition: PartitionId(p as u32), max_ts };
            self.note_source_step(sys, t, attempt, step);
        }
        self.arrive_at_gate(sys, t);
        self.drain(sys, t);
        if let Some(seq) = self.log.seq(p, o) {
            self.input_read(sys, seq);
        }
        true
    }

    /// `data:A:tN:C`: task `to` takes the head of its input channel `ch` (of sender attempt
    /// `attempt`); an element for an attempt that is gone is dropped.
    fn take_data(&self, sys: &mut Sys, attempt: u32, to: TaskId, ch: u32) -> bool {
        let live = sys
            .tasks
            .get(&to)
            .is_some_and(|t| t.attempt().0 == attempt && !t.is_blocked(ChannelId(ch)) && !t.input_paused());
        let Some(q) = sys.data.get_mut(&(attempt, to, ch)) else { return false };
        let Some((el, overtaken)) = q.make_mut().pop_front() else { return false };
        // A priority barrier hands in the records it overtook (the next ones in the queue), which
        // the task persists at once (semantics §3.3).
        let overtaken = ckptsim::barrier::overtaken_records(q.iter().map(|e| &e.0), overtaken);
        if !live {
            return false;
        }
        if matches!(el, StreamElement::Record(_)) {
            sys.cuts.make_mut().taken((attempt, to, ch));
        }
        // As the world's task loop (`world/data_plane.rs`): a watermark or status, or records,
        // noted for the valve rule; not an end of partition (its end-of-input firing is not).
        let event = match el {
            StreamElement::Watermark(w) => Some(Some(WatermarkEvent::Watermark(w))),
            StreamElement::WatermarkStatus(s) => Some(Some(WatermarkEvent::Status(s))),
            StreamElement::Record(_) => Some(None),
            _ => None,
        };
        let tm = self.job(sys).graph.tasks[to.0 as usize].tm.0;
        let task = sys.tasks.get_mut(&to).expect("live task").make_mut();
        let watched = BarrierProtocol::before(task, ChannelId(ch), &el);
        task.handle_input(sys.now_ms, ChannelId(ch), el, &overtaken, sys.counters.entry(tm).or_default());
        if let Some((handed, mark)) = watched {
            self.note_protocol(sys, to, mark, handed);
        }
        if let Some(event) = event {
            self.note_valve_step(sys, to, ch, event);
        }
        self.drain(sys, to);
        true
    }

    /// `zombie:tN:I`: a message an ended attempt of `to` sent arrives again; the JobMaster must
    /// come out as it went in, else the anomaly is recorded.
    fn zombie(&self, sys: &mut Sys, to: TaskId, idx: u32) -> bool {
        let Some(m) = sys.delivered_up.get(&to).and_then(|v| v.get(idx as usize)).cloned() else {
            return false;
        };
        let current = sys.jm.execution(to).0;
        let Some(a) = Self::from_epoch(sys, m.attempt()).filter(|a| *a != current) else { return false };
        sys.zombies += 1;
        // Flink's JobMaster ignores a late state update of an attempt it no longer runs
        // (`ExecutionGraph.updateState` finds no such attempt) and the coordinator a late
        // ack or decline of one (`PendingCheckpoint.acknowledgeTask` answers UNKNOWN,
        // the state is discarded): the JobMaster must come out as it went in.
        let before = sys.jm.fp();
        let what = format!("{m:?}");
        self.to_jm(sys, to, a, m);
        if sys.jm.fp() != before {
            let now = sys.now_ms;
            let what: String = what.chars().take(120).collect();
            sys.obs.make_mut().zombie_anomalies.push(format!(
                "t={now} a late message of {to} attempt {a} (the JobManager runs attempt {current}) changed the JobMaster: {what}"
            ));
        }
        true
    }

    /// `tick`: time moves to the earliest timer and every due one fires: the JobMaster's, the
    /// tasks' handler timers, the sources' watermark emission, then processing-time windows'
    /// timers, as the world's task loop orders them.
    /// `late-tick`: a `tick` while deliveries are pending (`--late-ticks`). False when not
    /// enabled.
    fn late_tick(&self, sys: &mut Sys) -> bool {
        let pending = sys.to_task.values().any(|q| !q.is_empty()) || sys.data.values().any(|q| !q.is_empty());
        if sys.late_ticks >= self.bounds.max_late_ticks || !pending || !self.tick(sys) {
            return false;
        }
        sys.late_ticks += 1;
        true
    }

    /// After the path's last tick (`Bounds::forget_spent`, session 36): the counters that only
    /// bound later timer firings (`late-tick`s, and ticks that overtook a message to the
    /// JobManager) are reset. No tick can fire any more, so no step, checker or liveness rule
    /// reads them (they are read where a tick or late tick is enabled, `choices.rs`, and by
    /// `jm_steps_commute_with_tasks`, which takes spent ticks as spent late ticks): two states
    /// that differ only in them have the same futures and the same verdicts, and are one state
    /// of the search. Always true (the tick applied).
    fn forget_spent(&self, sys: &mut Sys) -> bool {
        if self.bounds.forget_spent && sys.ticks >= self.bounds.max_ticks {
            sys.late_ticks = 0;
            sys.jm_late_ticks = 0;
        }
        true
    }

    /// A terminal state's fingerprint as the report gives it (`ExploreReport::terminals`,
    /// `terminal_digest`): with the spent counters forgotten, whether or not the search forgot
    /// them (`--keep-spent`), so the two searches' terminal states can be compared.
    pub(super) fn terminal_fingerprint(&self, sys: &Sys) -> u64 {
        if sys.ticks >= self.bounds.max_ticks && (sys.late_ticks > 0 || sys.jm_late_ticks > 0) {
            let mut forgotten = sys.clone();
            forgotten.late_ticks = 0;
            forgotten.jm_late_ticks = 0;
            return forgotten.fingerprint();
        }
        sys.fingerprint()
    }

    fn tick(&self, sys: &mut Sys) -> bool {
        let Some(at) = self.next_timer(sys) else { return false };
        if self.bounds.max_jm_late_ticks.is_some() && choices::jm_waiting(sys) {
            if !self.jm_late_tick_allowed(sys) {
                return false;
            }
            sys.jm_late_ticks += 1;
        }
        sys.ticks += 1;
        sys.now_ms = sys.now_ms.max(at);
        sys.ticked_at = Some(sys.now_ms);
        let now = sys.now_ms;
        if sys.jm.poll_timeout().is_some_and(|d| d <= now) {
            sys.jm.make_mut().handle_timeout(now);
            self.route_jm(sys);
        }
        let due: Vec<TaskId> =
            sys.tasks.iter().filter(|(_, t)| t.poll_timeout().is_some_and(|d| d <= now)).map(|(id, _)| *id).collect();
        for t in due {
            if let Some(task) = sys.tasks.get_mut(&t) {
                let mark = BarrierProtocol::mark(task);
                task.make_mut().handle_timeout(now);
                self.note_protocol(sys, t, mark, Handed::Timeout);
                self.drain(sys, t);
            }
        }
        // The sources' periodic watermark emission, as the world's task loop fires it
        // (step 3c, after the handler's timer): the generators emit, a new watermark
        // goes downstream behind what the task already sent.
        self.fire_due(sys, now, Task::watermark_deadline, Task::handle_watermark_timer);
        // Processing-time windows' timers (`SystemProcessingTimeService`), as the world's task
        // loop fires them (step 3d, after the watermark emission): due timers fire, restored
        // ones already due at once, the results run through the rest of the chain.
        self.fire_due(sys, now, Task::processing_timer_deadline, Task::handle_processing_timers);
        // Triggering gates whose request failed ask again (the world's loop, step 3a).
        self.fire_gate_retries(sys);
        true
    }

    /// Fires one kind of task timer at `now` on every task whose `deadline` is due, each
    /// drained at once (the task loop's steps 3c and 3d).
    fn fire_due(
        &self,
        sys: &mut Sys,
        now: u64,
        deadline: fn(&Task) -> Option<u64>,
        fire: fn(&mut Task, u64, &mut SurvivingCounters),
    ) {
        let due: Vec<TaskId> =
            sys.tasks.iter().filter(|(_, t)| deadline(t).is_some_and(|d| d <= now)).map(|(id, _)| *id).collect();
        for t in due {
            let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
            if let Some(task) = sys.tasks.get_mut(&t) {
                fire(task.make_mut(), now, sys.counters.entry(tm).or_default());
                self.drain(sys, t);
            }
        }
    }

    /// `trigger` / `savepoint`: a manual request, as the world's JobManager takes a
    /// `trigger-checkpoint` / `savepoint` action (`world/jobmanager.rs` `action`): not periodic.
    fn request(&self, sys: &mut Sys, c: Choice) -> bool {
        if !self.request_enabled(sys, c) {
            return false;
        }
        sys.requests += 1;
        let kind = if c == Choice::Trigger {
            ckptsim::coordinator::RequestKind::Manual
        } else {
            ckptsim::coordinator::RequestKind::Savepoint
        };
        sys.jm.make_mut().request_checkpoint(sys.now_ms, kind);
        self.route_jm(sys);
        true
    }

    /// `retune`: the scenario's first `retune` action reaches the JobManager, as the world's
    /// JobManager takes it (`world/jobmanager.rs` `action`), recorded when accepted.
    fn retune(&self, sys: &mut Sys) -> bool {
        let Some(r) = self.retune.as_ref().filter(|_| self.request_enabled(sys, Choice::Retune)) else {
            return false;
        };
        sys.requests += 1;
        if sys.jm.make_mut().retune(sys.now_ms, r).is_ok() {
            sys.obs.make_mut().retunes.push((sys.now_ms, r.clone()));
        }
        self.route_jm(sys);
        true
    }

    /// `lose-ack:tN`: task `t`'s next message to the JobManager, an ack or a decline, is lost.
    fn lose_ack(&self, sys: &mut Sys, t: TaskId) -> bool {
        let lost = sys.to_jm.get_mut(&t).and_then(|q| {
            q.front()
                .is_some_and(|m| matches!(m, Up::Ack { .. } | Up::Decline { .. }))
                .then(|| q.make_mut().pop_front())
        });
        if lost.flatten().is_none() || sys.ack_losses >= self.bounds.max_ack_losses {
            return false;
        }
        sys.ack_losses += 1;
        true
    }

    /// `slow-upload:tN` (`--slow-uploads`): the acknowledgement at the head of task `t`'s link
    /// to the JobManager waits for its snapshot's asynchronous part. Flink acknowledges a
    /// checkpoint from the `AsyncCheckpointRunnable` once the state is uploaded, while the task
    /// thread runs on (`SubtaskCheckpointCoordinatorImpl#checkpointState`), so a newer
    /// checkpoint's (or savepoint's) acknowledgement may reach the JobManager first, as the
    /// world's slow storage (`storage-slow`) lets it. False when not enabled.
    fn slow_upload(&self, sys: &mut Sys, t: TaskId) -> bool {
        if sys.slow_uploads >= self.bounds.max_slow_uploads || !sys.tasks.contains_key(&t) {
            return false;
        }
        let held = sys
            .to_jm
            .get_mut(&t)
            .and_then(|q| q.front().is_some_and(|m| matches!(m, Up::Ack { .. })).then(|| q.make_mut().pop_front()));
        let Some(ack) = held.flatten() else { return false };
        sys.slow_uploads += 1;
        sys.uploading.entry(t).or_default().push_back(ack);
        true
    }

    /// `upload:tN`: task `t`'s oldest slow upload finished; its acknowledgement joins the tail
    /// of the link to the JobManager, behind what the task sent meanwhile. False when none.
    fn upload(sys: &mut Sys, t: TaskId) -> bool {
        let Some(ack) = sys.uploading.get_mut(&t).and_then(|q| q.pop_front()) else { return false };
        if sys.uploading.get(&t).is_some_and(|q| q.is_empty()) {
            sys.uploading.remove(&t);
        }
        sys.to_jm.entry(t).or_default().make_mut().push_back(ack);
        true
    }
}
