//! The explorer's steps: which choices are enabled in a state (with the partial-order reduction and the time model), and applying one: deliveries, reads, timers, failures, and routing the JobMaster's and tasks' outputs.

use super::*;

impl Explorer<'_> {
    /// The next record a log source task would read: (partition, offset), the one appended
    /// first among its partitions' heads, and whether it is visible now.
    pub(super) fn next_record(&self, sys: &Sys, t: &Task) -> Option<(usize, usize, bool)> {
        let pos = t.fetch_positions()?;
        pos.iter()
            .filter_map(|(p, o)| {
                let (p, o) = (p.0 as usize, o.0 as usize);
                let at = *self.log.at.get(p)?.get(o)?;
                Some((self.log.seq(p, o)?, p, o, at <= sys.now_ms))
            })
            .min()
            .map(|(_, p, o, visible)| (p, o, visible))
    }

    /// The choices explored from `sys`: every enabled one, reduced to one group of tasks'
    /// persistent set where that is sound (see [`Explorer::reduce`]).
    pub(super) fn choices(&self, sys: &Sys) -> Vec<Choice> {
        let all = self.enabled(sys);
        if self.bounds.reduce {
            self.reduce(sys, all)
        } else {
            all
        }
    }

    /// Partial-order reduction and the explorer's time model. A task's own steps (taking the
    /// head of one of its input channels, receiving a JobManager message, reading a record)
    /// touch only that task, the tails of queues others read from the head, and per-task
    /// observations: they commute with every step of another task and of the JobManager. So
    /// when some task has a channel or JobManager message waiting, exploring only the steps of
    /// that task and of the tasks upstream of it (whose outputs can queue up behind the heads
    /// it takes), with their failures and message losses, reaches every state of this time
    /// model that the full set reaches. Of the busy tasks, the one whose group leaves the fewest
    /// choices is taken (a source with a message waiting is a group of one; its downstream
    /// task's group holds every task upstream of it).
    ///
    /// Unaligned barriers couple a channel's two ends beyond FIFO order: a barrier forwarded
    /// with priority is put at the head of the queue the downstream task takes from, and the
    /// downstream task's first barrier of a checkpoint pulls the same checkpoint's barrier out
    /// of its other channels (wherever it is queued, if it is there yet). So with unaligned
    /// checkpoints a task of the group whose next step may send a barrier (a trigger waiting
    /// for a source, a barrier at the head of one of its channels) brings its downstream tasks
    /// (and their upstream) into the group; records and cancel markers still only join the
    /// tail. Time model ("eager delivery"): timers fire only when no channel element and no
    /// JobManager message to a task is waiting, as if delivery and processing took no virtual
    /// time; sources read at any pace (a timer may fire before a visible record is read), and
    /// messages to the JobManager and failures interleave freely; of several sources with
    /// records to read, only the first one's read is explored at a time. Process crashes touch
    /// several tasks at once: a TaskManager crash stays in the busy set when it kills a task of
    /// the group, a JobManager failover (it touches every task) always does; the JobManager
    /// noticing a crashed TaskManager is a JobManager step, like `to-jm`.
    pub(super) fn reduce(&self, sys: &Sys, all: Vec<Choice>) -> Vec<Choice> {
        let busy: BTreeSet<TaskId> = all
            .iter()
            .filter_map(|c| match c {
                Choice::ToTask(t) | Choice::Data { to: t, .. } => Some(*t),
                _ => None,
            })
            .collect();
        if busy.is_empty() {
            // Reads of different sources commute with each other and with the JobManager's
            // steps: only the first reading task's read is explored here (a timer may still
            // come first, and the others read later).
            let reader = all.iter().find_map(|c| if let Choice::Fetch(t) = c { Some(*t) } else { None });
            return all.into_iter().filter(|c| !matches!(c, Choice::Fetch(x) if Some(*x) != reader)).collect();
        }
        let mut best: Option<Vec<Choice>> = None;
        for t in busy {
            let group = self.group(sys, t);
            let kept: Vec<Choice> = all
                .iter()
                .copied()
                .filter(|c| match c {
                    Choice::Fetch(x) | Choice::ToTask(x) | Choice::Lose(x) | Choice::Fail(x) => group.contains(x),
                    Choice::Data { to, .. } => group.contains(to),
                    Choice::CrashTm(tm) => group.iter().any(|x| self.job(sys).graph.tasks[x.0 as usize].tm == *tm),
                    Choice::JmFailover | Choice::Rescale => true,
                    Choice::ToJm(_)
                    | Choice::LoseAck(_)
                    | Choice::Tick
                    | Choice::TmLost(_)
                    | Choice::Zombie { .. }
                    | Choice::Stop
                    | Choice::Trigger
                    | Choice::Savepoint => false,
                })
                .collect();
            if best.as_ref().is_none_or(|b| kept.len() < b.len()) {
                best = Some(kept);
            }
        }
        best.unwrap_or(all)
    }

    /// The tasks whose steps are explored when `t` is busy: `t`, every task upstream of it
    /// and, with unaligned checkpoints, the downstream tasks of a member that may send a
    /// barrier next (closed again upstream).
    fn group(&self, sys: &Sys, t: TaskId) -> BTreeSet<TaskId> {
        let cfg = &self.spec.checkpoint;
        let overtaking = cfg.mode == ckptsim::config::CheckpointingMode::ExactlyOnce && cfg.unaligned;
        let mut group = BTreeSet::from([t]);
        let mut stack = vec![t];
        while let Some(x) = stack.pop() {
            let ups = &self.job(sys).upstream[x.0 as usize];
            let downs: &[(TaskId, u32)] =
                if overtaking && self.may_send_barrier(sys, x) { &self.job(sys).outs[x.0 as usize] } else { &[] };
            for u in ups.iter().copied().chain(downs.iter().map(|(d, _)| *d)) {
                if group.insert(u) {
                    stack.push(u);
                }
            }
        }
        group
    }

    /// Whether one of task `t`'s enabled steps may send a barrier downstream: a trigger at the
    /// head of its JobManager messages, or a barrier at the head of one of its input channels.
    fn may_send_barrier(&self, sys: &Sys, t: TaskId) -> bool {
        if sys.to_task.get(&t).and_then(|q| q.front()).is_some_and(|m| matches!(m, Ctl::Trigger { .. })) {
            return true;
        }
        let Some(task) = sys.tasks.get(&t) else { return false };
        let attempt = task.attempt().0;
        sys.data
            .range((attempt, t, 0)..=(attempt, t, u32::MAX))
            .any(|(_, q)| q.front().is_some_and(|(e, _)| matches!(e, StreamElement::Barrier(_))))
    }

    /// Every choice enabled in `sys`, in a fixed order.
    pub(super) fn enabled(&self, sys: &Sys) -> Vec<Choice> {
        let b = &self.bounds;
        let mut out = Vec::new();
        for (t, task) in &sys.tasks {
            // A source stopped at a stop-with-savepoint's barrier reads no more (the planted
            // `source-emits-after-stop` reads on until the notification).
            if !task.input_paused() && self.next_record(sys, task).is_some_and(|(_, _, visible)| visible) {
                out.push(Choice::Fetch(*t));
            }
        }
        for ((attempt, to, ch), q) in &sys.data {
            let live = sys.tasks.get(to).is_some_and(|t| t.attempt().0 == *attempt);
            if !q.is_empty() && live && !sys.tasks[to].is_blocked(ChannelId(*ch)) && !sys.tasks[to].input_paused() {
                out.push(Choice::Data { attempt: *attempt, to: *to, ch: *ch });
            }
        }
        for (t, q) in &sys.to_task {
            if !q.is_empty() {
                out.push(Choice::ToTask(*t));
                if sys.losses < b.max_losses {
                    out.push(Choice::Lose(*t));
                }
            }
        }
        for (t, q) in &sys.to_jm {
            if !q.is_empty() {
                out.push(Choice::ToJm(*t));
            }
            if sys.ack_losses < b.max_ack_losses
                && q.front().is_some_and(|m| matches!(m, Up::Ack { .. } | Up::Decline { .. }))
            {
                out.push(Choice::LoseAck(*t));
            }
        }
        if sys.ticks < b.max_ticks && self.next_timer(sys).is_some() {
            out.push(Choice::Tick);
        }
        if sys.failures < b.max_failures {
            for t in sys.tasks.keys() {
                out.push(Choice::Fail(*t));
            }
        }
        let settled = sys.jm.status().is_globally_terminal();
        if sys.tm_crashes < b.max_tm_crashes && !settled {
            // Only a TaskManager running a task: crashing an idle one changes nothing but time.
            let busy: BTreeSet<TmId> = sys.tasks.keys().map(|t| self.job(sys).graph.tasks[t.0 as usize].tm).collect();
            for tm in busy.difference(&sys.crashed_tms) {
                out.push(Choice::CrashTm(*tm));
            }
        }
        for tm in &sys.crashed_tms {
            out.push(Choice::TmLost(*tm));
        }
        if sys.jm_failovers < b.max_jm_failovers && !settled {
            out.push(Choice::JmFailover);
        }
        if self.rescale_enabled(sys) {
            out.push(Choice::Rescale);
        }
        if self.stop_enabled(sys) {
            out.push(Choice::Stop);
        }
        if self.request_enabled(sys, Choice::Trigger) {
            out.push(Choice::Trigger);
        }
        if self.request_enabled(sys, Choice::Savepoint) {
            out.push(Choice::Savepoint);
        }
        if sys.zombies < b.max_zombies {
            for (t, sent) in &sys.delivered_up {
                let current = sys.jm.execution(*t).0;
                for (i, m) in sent.iter().enumerate() {
                    if Self::from_epoch(sys, m.attempt()).is_some_and(|a| a != current) {
                        out.push(Choice::Zombie { to: *t, idx: i as u32 });
                    }
                }
            }
        }
        out
    }

    /// The explorer's attempt of a JobMaster attempt of the current epoch.
    fn to_epoch(sys: &Sys, a: Attempt) -> Attempt {
        Attempt((sys.epoch - 1) * super::EPOCH_STRIDE + a.0)
    }

    /// The JobMaster attempt of an explorer attempt, or None when it belongs to an older epoch
    /// (the new leader's JobMasterId fences it).
    fn from_epoch(sys: &Sys, a: Attempt) -> Option<Attempt> {
        (a.0 / super::EPOCH_STRIDE == sys.epoch - 1).then_some(Attempt(a.0 % super::EPOCH_STRIDE))
    }

    /// TaskManager `tm`'s process dies: its tasks vanish without a word (no FAILED update),
    /// messages on their way to them are lost, and its per-process counters (static fields of
    /// a Flink test function) start over.
    fn crash_tm(&self, sys: &mut Sys, tm: TmId) {
        let job = self.job(sys);
        let on_tm = |t: &TaskId| job.graph.tasks[t.0 as usize].tm == tm;
        sys.tasks.retain(|t, _| !on_tm(t));
        for (t, q) in sys.to_task.iter_mut() {
            if on_tm(t) && !q.is_empty() {
                q.make_mut().clear();
            }
        }
        sys.counters.remove(&tm.0);
        sys.crashed_tms.insert(tm);
        sys.tm_crashes += 1;
    }

    /// The JobManager dies and a new leader takes over, as the world's `jm-crash` (semantics
    /// §9): the old job is SUSPENDED and its pending checkpoints die
    /// (CHECKPOINT_COORDINATOR_SUSPEND); TaskManagers lose the leader and fail its tasks
    /// (TaskExecutor's `disconnectJobManager`); everything in flight of the old epoch is
    /// fenced; the new JobMaster continues the checkpoint id counter and restores the latest
    /// completed checkpoint from the HA store (`start_recovered`).
    fn jm_failover(&self, sys: &mut Sys) {
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
        for t in std::mem::take(&mut sys.tasks).into_keys() {
            // A task that restored but never drained keeps its restore bookkeeping out of the
            // commit horizon.
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
        let mut jm = JobMaster::new(params);
        jm.recover_checkpoint_id_counter(sys.ha_next_id);
        jm.start_recovered(now, sys.ha_latest.clone());
        sys.jm = Part::new(jm);
        self.route_jm(sys);
    }

    /// Whether the `rescale` step is enabled: the scenario has a `rescale` action, the bound
    /// allows one more, the scenario's job still runs and can be cancelled (one rescale per
    /// path) and a checkpoint completed (what the cancelled job leaves retained).
    fn rescale_enabled(&self, sys: &Sys) -> bool {
        self.jobs.len() > 1
            && sys.job == 0
            && sys.rescales < self.bounds.max_rescales
            && sys.ha_latest.is_some()
            && sys.jm.status().can_transition_to(JobStatus::Cancelling)
    }

    /// The `rescale` step, as the world's `cancel` then `rescale` actions with the job's
    /// checkpoints retained (`world/rescale.rs`), in one step: the job is cancelled (CANCELED;
    /// its pending checkpoints end with the coordinator's shutdown; its tasks, their channels
    /// and every message in flight are gone), then a new job of a new JobManager epoch, with the
    /// action's parallelisms and its own graph, starts from the latest completed checkpoint cut
    /// for the new layout by the world's hand-off (`world::hand_off`: the core's
    /// `rescale::assign`, and the planted `rescale-keyed-by-subtask`). The cancel's own
    /// interleavings (tasks still working while the cancel reaches them) are not explored.
    fn rescale(&self, sys: &mut Sys) {
        let (Some(r), Some(cp)) = (self.rescale.as_ref(), sys.ha_latest.clone()) else { return };
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
        sys.tasks.clear();
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
        sys.obs.make_mut().restores.push(crate::world::RestoreRecord {
            at_ms: now,
            cause: format!("new job from {} {} (rescaled)", r.from.name(), cp.id),
            checkpoint: Some(cp.id),
            offsets,
            keyed: BTreeMap::new(),
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
        let checkpoint = Arc::new(CompletedCheckpoint { external: true, ..rescaled.checkpoint });
        let job = self.job(sys);
        let params = job.spec.job_params(job.graph.tasks.clone(), 0);
        let mut jm = JobMaster::new(params);
        jm.recover_checkpoint_id_counter(sys.ha_next_id);
        jm.start(now, Some(checkpoint.clone()));
        // The new job's HA store starts with the checkpoint it was started from.
        sys.ha_latest = Some(checkpoint);
        sys.jm = Part::new(jm);
        self.route_jm(sys);
    }

    /// Whether the `stop` step is enabled: the scenario has a `stop-with-savepoint` action, the
    /// bound allows one more and the scenario's job runs.
    fn stop_enabled(&self, sys: &Sys) -> bool {
        self.stop.is_some()
            && sys.job == 0
            && sys.stops < self.bounds.max_stops
            && sys.jm.status() == JobStatus::Running
    }

    /// The `stop` step, as the world's `stop-with-savepoint` action (`world/rescale.rs`
    /// `request_stop`): recorded for the checkers, then the JobMaster stops its periodic
    /// scheduler and requests the synchronous savepoint.
    fn stop(&self, sys: &mut Sys) {
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

    /// Whether the `trigger` (`savepoint`) step is enabled: the scenario has a
    /// `trigger-checkpoint` (`savepoint`) action, the bound allows one more request and the
    /// scenario's job runs (the world's client sends the action to the JobManager at its time;
    /// here it comes at any point).
    fn request_enabled(&self, sys: &Sys, c: Choice) -> bool {
        let wanted = match c {
            Choice::Trigger => self.manual_trigger,
            Choice::Savepoint => self.manual_savepoint,
            _ => false,
        };
        wanted && sys.job == 0 && sys.requests < self.bounds.max_requests && sys.jm.status() == JobStatus::Running
    }

    /// The earliest timer: the JobManager's, a task's, or a record's append time. Right after a
    /// firing at the current time, only timers later than now count (a deadline a machine keeps
    /// reporting while it waits for something else fires once per point in time).
    pub(super) fn next_timer(&self, sys: &Sys) -> Option<u64> {
        let fired_now = sys.ticked_at == Some(sys.now_ms);
        let due = |at: &u64| !fired_now || *at > sys.now_ms;
        let jm = sys.jm.poll_timeout().filter(due);
        // A task's timers: its barrier handler's and, at a source with a watermark strategy,
        // the periodic watermark emission (`pipeline.auto-watermark-interval`).
        let tasks =
            sys.tasks.values().flat_map(|t| [t.poll_timeout(), t.watermark_deadline()]).flatten().filter(due).min();
        let records = sys
            .tasks
            .values()
            .filter_map(|t| self.next_record(sys, t))
            .filter(|(_, _, visible)| !visible)
            .map(|(p, o, _)| self.log.at[p][o])
            .min();
        [jm, tasks, records].into_iter().flatten().min()
    }

    /// Applies `c` to `sys`; false when the choice is not enabled there (a replayed path).
    pub(super) fn apply(&self, sys: &mut Sys, c: Choice) -> bool {
        // A zombie delivery the JobMaster ignores moves nothing: the timer rule stays as it was.
        if !matches!(c, Choice::Tick | Choice::Zombie { .. }) {
            sys.ticked_at = None;
        }
        match c {
            Choice::Fetch(t) => {
                let Some(task) = sys.tasks.get(&t).filter(|x| !x.input_paused()) else { return false };
                let Some((p, o, true)) = self.next_record(sys, task) else { return false };
                let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
                let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
                let record: Vec<_> = self.log.record(p, o).into_iter().collect();
                task.handle_log_records(sys.now_ms, &record, sys.counters.entry(tm).or_default());
                sys.obs.make_mut().read_inputs += 1;
                self.drain(sys, t);
            }
            Choice::Data { attempt, to, ch } => {
                let live = sys
                    .tasks
                    .get(&to)
                    .is_some_and(|t| t.attempt().0 == attempt && !t.is_blocked(ChannelId(ch)) && !t.input_paused());
                let Some((el, overtaken)) = sys.data.get_mut(&(attempt, to, ch)).and_then(|q| q.make_mut().pop_front())
                else {
                    return false;
                };
                if !live {
                    return false;
                }
                let tm = self.job(sys).graph.tasks[to.0 as usize].tm.0;
                let task = sys.tasks.get_mut(&to).expect("live task").make_mut();
                task.handle_input(sys.now_ms, ChannelId(ch), el, overtaken, sys.counters.entry(tm).or_default());
                self.drain(sys, to);
            }
            Choice::ToTask(t) => {
                let Some(m) = sys.to_task.get_mut(&t).and_then(|q| q.make_mut().pop_front()) else { return false };
                self.deliver_to_task(sys, t, m);
            }
            Choice::Lose(t) => {
                if sys.to_task.get_mut(&t).and_then(|q| q.make_mut().pop_front()).is_none() {
                    return false;
                }
                sys.losses += 1;
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
            }
            Choice::Zombie { to, idx } => {
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
            }
            Choice::Tick => {
                let Some(at) = self.next_timer(sys) else { return false };
                sys.ticks += 1;
                sys.now_ms = sys.now_ms.max(at);
                sys.ticked_at = Some(sys.now_ms);
                let now = sys.now_ms;
                if sys.jm.poll_timeout().is_some_and(|d| d <= now) {
                    sys.jm.make_mut().handle_timeout(now);
                    self.route_jm(sys);
                }
                let due: Vec<TaskId> = sys
                    .tasks
                    .iter()
                    .filter(|(_, t)| t.poll_timeout().is_some_and(|d| d <= now))
                    .map(|(id, _)| *id)
                    .collect();
                for t in due {
                    if let Some(task) = sys.tasks.get_mut(&t) {
                        task.make_mut().handle_timeout(now);
                        self.drain(sys, t);
                    }
                }
                // The sources' periodic watermark emission, as the world's task loop fires it
                // (step 3c, after the handler's timer): the generators emit, a new watermark
                // goes downstream behind what the task already sent.
                let due: Vec<TaskId> = sys
                    .tasks
                    .iter()
                    .filter(|(_, t)| t.watermark_deadline().is_some_and(|d| d <= now))
                    .map(|(id, _)| *id)
                    .collect();
                for t in due {
                    let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
                    if let Some(task) = sys.tasks.get_mut(&t) {
                        task.make_mut().handle_watermark_timer(now, sys.counters.entry(tm).or_default());
                        self.drain(sys, t);
                    }
                }
            }
            Choice::CrashTm(tm) => {
                if sys.crashed_tms.contains(&tm)
                    || !sys.tasks.keys().any(|t| self.job(sys).graph.tasks[t.0 as usize].tm == tm)
                {
                    return false;
                }
                self.crash_tm(sys, tm);
            }
            Choice::TmLost(tm) => {
                if !sys.crashed_tms.remove(&tm) {
                    return false;
                }
                sys.jm.make_mut().handle_tm_lost(sys.now_ms, tm);
                self.route_jm(sys);
            }
            Choice::JmFailover => {
                if sys.jm.status().is_globally_terminal() {
                    return false;
                }
                self.jm_failover(sys);
            }
            Choice::Rescale => {
                if !self.rescale_enabled(sys) {
                    return false;
                }
                self.rescale(sys);
            }
            Choice::Stop => {
                if !self.stop_enabled(sys) {
                    return false;
                }
                self.stop(sys);
            }
            Choice::Trigger | Choice::Savepoint => {
                if !self.request_enabled(sys, c) {
                    return false;
                }
                sys.requests += 1;
                // As the world's JobManager takes a `trigger-checkpoint` / `savepoint` action
                // (`world/jobmanager.rs` `action`): a request that is not periodic.
                let kind = if c == Choice::Trigger {
                    ckptsim::coordinator::RequestKind::Manual
                } else {
                    ckptsim::coordinator::RequestKind::Savepoint
                };
                sys.jm.make_mut().request_checkpoint(sys.now_ms, kind);
                self.route_jm(sys);
            }
            Choice::LoseAck(t) => {
                let lost = sys.to_jm.get_mut(&t).and_then(|q| {
                    q.front()
                        .is_some_and(|m| matches!(m, Up::Ack { .. } | Up::Decline { .. }))
                        .then(|| q.make_mut().pop_front())
                });
                if lost.flatten().is_none() || sys.ack_losses >= self.bounds.max_ack_losses {
                    return false;
                }
                sys.ack_losses += 1;
            }
            Choice::Fail(t) => {
                let Some(task) = sys.tasks.remove(&t) else { return false };
                sys.failures += 1;
                let cause = Some("injected task failure".to_string());
                sys.to_jm.entry(t).or_default().make_mut().push_back(Up::State {
                    attempt: task.attempt(),
                    state: ExecutionState::Failed,
                    cause,
                });
            }
        }
        true
    }

    /// Hands task `t`'s message (of JobMaster attempt `a`) to the JobMaster.
    fn to_jm(&self, sys: &mut Sys, t: TaskId, a: Attempt, m: Up) {
        let now = sys.now_ms;
        match m {
            Up::State { state, cause, .. } => sys.jm.make_mut().handle_task_state(now, t, a, state, cause),
            Up::Ack { id, snapshot, .. } => {
                // Recorded before the JobMaster handles it, as the world records it.
                sys.acks.make_mut().ack(u64::from(sys.epoch), id, t, a);
                sys.jm.make_mut().handle_ack(now, t, a, id, snapshot)
            }
            Up::Decline { id, reason, .. } => sys.jm.make_mut().handle_decline(now, t, a, id, reason),
        }
        self.route_jm(sys);
    }

    pub(super) fn deliver_to_task(&self, sys: &mut Sys, t: TaskId, m: Ctl) {
        let now = sys.now_ms;
        let current = sys.tasks.get(&t).map(|x| x.attempt());
        match m {
            Ctl::Deploy { attempt, restore } => {
                let job = self.job(sys);
                let tm = job.graph.tasks[t.0 as usize].tm.0;
                let tspec = job.graph.task_spec(&job.spec, t, attempt);
                let counters = sys.counters.entry(tm).or_default();
                let strategy = crate::world::source_watermark_strategy(&job.spec, &job.graph, t, &tspec);
                let mut task =
                    Task::new(tspec, now, restore.as_deref(), &sys.committed_offsets, &self.log_end, counters);
                // FLIP-147 as the world sets it (`world/tasks.rs`): a task whose input ended
                // (after a stop's savepoint) waits for its final checkpoint.
                let profile = self.spec.profile;
                task.set_wait_for_final_checkpoint(
                    profile.checkpoints_after_tasks_finish() && job.spec.checkpoint.periodic_enabled(),
                );
                if let Some(strategy) = strategy {
                    // A fresh generator on every deployment: watermarks are not restored (§11).
                    task.configure_watermarks(now, strategy);
                }
                if let Some(cp) = &restore {
                    sys.restored_from.insert(t, cp.id);
                    // The keyed state the job's last keyed operator restored (the `state`
                    // checker's continuation rule), as the world records it.
                    if let Some(keys) = crate::world::restored_keyed(&job.spec, &job.graph, t, cp) {
                        sys.obs.make_mut().restored_keyed.entry(attempt).or_default().extend(keys);
                    }
                    if !task.has_failed() {
                        // What a user operator's list state restored (the `state` checker).
                        let rows = crate::world::restored_lists(&job.graph, &task, attempt, cp, now);
                        if !rows.is_empty() {
                            sys.obs.make_mut().restored_lists.extend(rows);
                        }
                    }
                }
                sys.data.retain(|k, _| k.0 >= attempt.0);
                sys.tasks.insert(t, Part::new(task));
                let up = sys.to_jm.entry(t).or_default().make_mut();
                if self.spec.profile.has_initializing_state() {
                    up.push_back(Up::State { attempt, state: ExecutionState::Initializing, cause: None });
                }
                up.push_back(Up::State { attempt, state: ExecutionState::Running, cause: None });
                self.drain(sys, t);
            }
            Ctl::Cancel { attempt } => {
                // The task is cancelled at once here, so its CANCELED update is the cancel RPC's
                // answer too (the JobMaster stops retrying once the execution leaves CANCELING);
                // a separate acknowledgement would only lengthen every path.
                if current == Some(attempt) {
                    let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
                    task.close();
                    self.drain(sys, t);
                    sys.tasks.remove(&t);
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
                sys.tasks.get_mut(&t).expect("live task").make_mut().handle_notify_complete(now, id);
                if self.drain(sys, t) {
                    let seen = sys.obs.make_mut().completion_seen.entry(t).or_insert(id);
                    *seen = (*seen).max(id);
                }
            }
            Ctl::NotifyAborted { attempt, id } if current == Some(attempt) => {
                sys.tasks.get_mut(&t).expect("live task").make_mut().handle_notify_aborted(now, id);
                self.drain(sys, t);
            }
            // Messages for an attempt that no longer runs are dropped by the TaskManager.
            Ctl::Trigger { .. } | Ctl::NotifyComplete { .. } | Ctl::NotifyAborted { .. } => {}
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
            sys.to_jm.entry(t).or_default().make_mut().push_back(Up::State {
                attempt,
                state: ExecutionState::Finished,
                cause: None,
            });
        }
        if let Some(id) = sys.restored_from.remove(&t) {
            let seen = sys.obs.make_mut().completion_seen.entry(t).or_insert(id);
            *seen = (*seen).max(id);
        }
        true
    }

    /// The records task `t` processed after its stop's savepoint barrier (the `stop` checker).
    fn note_records_after_stop(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) {
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

    /// Moves task `t`'s pending outputs; false when the task failed.
    fn drain_outputs(&self, sys: &mut Sys, t: TaskId, attempt: Attempt) -> bool {
        let now = sys.now_ms;
        while let Some(out) = sys.tasks.get_mut(&t).and_then(|x| x.make_mut().poll_output()) {
            match out {
                TaskOutput::Emit { channel, record } => {
                    let (to, ch) = self.job(sys).outs[t.0 as usize][channel as usize];
                    sys.data
                        .entry((attempt.0, to, ch))
                        .or_default()
                        .make_mut()
                        .push_back((StreamElement::Record(record), 0));
                }
                TaskOutput::EmitBarrier { barrier, priority } => {
                    for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                        let q = sys.data.entry((attempt.0, to, ch)).or_default().make_mut();
                        if priority {
                            let overtaken = q.iter().filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                            q.push_front((StreamElement::Barrier(barrier), overtaken as u32));
                        } else {
                            q.push_back((StreamElement::Barrier(barrier), 0));
                        }
                    }
                }
                TaskOutput::EmitCancelMarker { id } => {
                    for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                        sys.data
                            .entry((attempt.0, to, ch))
                            .or_default()
                            .make_mut()
                            .push_back((StreamElement::CancelMarker(id), 0));
                    }
                }
                TaskOutput::Snapshot { id, snapshot, alignment_ms, unaligned } => {
                    let row = checkpoint_row(sys.obs.make_mut(), id);
                    row.alignment_ms = row.alignment_ms.max(alignment_ms);
                    row.unaligned |= unaligned;
                    sys.to_jm.entry(t).or_default().make_mut().push_back(Up::Ack { attempt, id, snapshot });
                }
                TaskOutput::Decline { id, reason } => {
                    sys.to_jm.entry(t).or_default().make_mut().push_back(Up::Decline { attempt, id, reason });
                }
                // Barrier announcements are never turned on here: no output-side timer fires.
                TaskOutput::ConvertBarrier { .. } => {}
                TaskOutput::PrioritizeBarriers { id } => {
                    let inputs = self.job(sys).graph.inputs_of(t).len() as u32;
                    for ch in 0..inputs {
                        let Some(q) = sys.data.get_mut(&(attempt.0, t, ch)) else { continue };
                        let Some(pos) =
                            q.iter().position(|(e, _)| matches!(e, StreamElement::Barrier(b) if b.id == id))
                        else {
                            continue;
                        };
                        let overtaken =
                            q.iter().take(pos).filter(|(e, _)| matches!(e, StreamElement::Record(_))).count();
                        let (el, _) = q.make_mut().remove(pos).expect("barrier position");
                        let tm = self.job(sys).graph.tasks[t.0 as usize].tm.0;
                        let task = sys.tasks.get_mut(&t).expect("live task").make_mut();
                        task.handle_input(
                            now,
                            ChannelId(ch),
                            el,
                            overtaken as u32,
                            sys.counters.entry(tm).or_default(),
                        );
                    }
                }
                TaskOutput::PrintRow { record } => {
                    sys.obs.make_mut().print_rows.entry(t).or_default().push(OutputRow::of(now, t, attempt, record))
                }
                TaskOutput::Sink(op) => {
                    // The store fences producers of older attempts (Kafka's transactional epochs).
                    let epoch = *sys.sink_epochs.entry(t).or_insert(attempt);
                    if attempt < epoch {
                        return self.fail_from_output(sys, t, attempt, "producer fenced by a newer attempt");
                    }
                    sys.sink_epochs.insert(t, attempt);
                    if let Err(e) = sys.store.apply(now, op) {
                        sys.obs.make_mut().sink_anomalies.push(format!("t={now} {t}: {e:?}"));
                    }
                }
                TaskOutput::CommitOffsets { offsets } => {
                    let checkpoint =
                        sys.obs.checkpoints.values().rev().find(|r| r.outcome == "COMPLETED").map(|r| r.id);
                    for (p, o) in &offsets {
                        sys.obs.make_mut().offset_commits.entry(t).or_default().push(OffsetCommit {
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
                TaskOutput::Failed { cause } => return self.fail_from_output(sys, t, attempt, &cause),
                // Event time (semantics §11): watermarks and status changes are stream elements
                // on every output channel, in FIFO order with records and barriers (the world's
                // `Outbox::push_event`).
                TaskOutput::EmitWatermark { watermark } => {
                    for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                        let q = sys.data.entry((attempt.0, to, ch)).or_default().make_mut();
                        q.push_back((StreamElement::Watermark(watermark), 0));
                    }
                }
                TaskOutput::EmitWatermarkStatus { status } => {
                    for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                        let q = sys.data.entry((attempt.0, to, ch)).or_default().make_mut();
                        q.push_back((StreamElement::WatermarkStatus(status), 0));
                    }
                }
                // 2.x end of data (a drain's, ahead of its barrier): in FIFO order like a watermark.
                TaskOutput::EmitEndOfData => {
                    for &(to, ch) in &self.job(sys).outs[t.0 as usize] {
                        let q = sys.data.entry((attempt.0, to, ch)).or_default().make_mut();
                        q.push_back((StreamElement::EndOfData, 0));
                    }
                }
                TaskOutput::LateRecord { record, .. } => {
                    sys.obs.make_mut().late_records.push(OutputRow::of(now, t, attempt, record))
                }
            }
        }
        true
    }

    pub(super) fn fail_from_output(&self, sys: &mut Sys, t: TaskId, attempt: Attempt, cause: &str) -> bool {
        sys.tasks.remove(&t);
        sys.to_jm.entry(t).or_default().make_mut().push_back(Up::State {
            attempt,
            state: ExecutionState::Failed,
            cause: Some(cause.to_string()),
        });
        false
    }

    /// Queues a JobManager message for task `t`; a message to a crashed TaskManager the
    /// JobManager has not noticed yet is lost (the process is gone).
    fn send_to_task(&self, sys: &mut Sys, t: TaskId, m: Ctl) {
        if !sys.crashed_tms.contains(&self.job(sys).graph.tasks[t.0 as usize].tm) {
            sys.to_task.entry(t).or_default().make_mut().push_back(m);
        }
    }

    pub(super) fn route_jm(&self, sys: &mut Sys) {
        let now = sys.now_ms;
        // The stop's savepoint failed (`world/rescale.rs`): periodic checkpoints resume.
        let mut stop_failed = false;
        while let Some(out) = sys.jm.make_mut().poll_output() {
            match out {
                JobOutput::Deploy { task, attempt, restore, .. } => {
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::Deploy { attempt, restore })
                }
                JobOutput::Cancel { task, attempt, .. } => {
                    let attempt = Self::to_epoch(sys, attempt);
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
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::NotifyComplete { attempt, id })
                }
                JobOutput::NotifyAborted { task, attempt, id, .. } => {
                    let attempt = Self::to_epoch(sys, attempt);
                    self.send_to_task(sys, task, Ctl::NotifyAborted { attempt, id })
                }
                JobOutput::JobStatusChanged { to, .. } => {
                    sys.obs.make_mut().status = to;
                    sys.obs.make_mut().status_timeline.push((now, to));
                    // A failover after the stop's savepoint completed fails the stop
                    // (`world/rescale.rs` `on_status_changed`).
                    if sys.stop_completed {
                        if to.is_terminal() {
                            sys.stop_completed = false;
                        } else if matches!(to, JobStatus::Restarting | JobStatus::Failing) {
                            sys.stop_completed = false;
                            stop_failed = true;
                        }
                    }
                }
                JobOutput::TaskStateChanged { task, attempt, to, .. } => {
                    // The JobManager's view of its tasks (`world/acks.rs`), in JobMaster attempts.
                    sys.acks.make_mut().task_state(u64::from(sys.epoch), now, task, attempt, to);
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
                JobOutput::Restored { .. } => sys.obs.make_mut().restarts += 1,
                JobOutput::Terminated { retained, .. } => {
                    sys.obs.make_mut().retained = retained.iter().map(|c| c.id).collect()
                }
                JobOutput::Checkpoint(c) => match c {
                    CoordinatorOutput::Trigger { id, timestamp_ms, kind, periodic, .. } => {
                        sys.ha_next_id = sys.ha_next_id.max(id.next());
                        // The tasks it waits for, fixed now (`world/jobmanager.rs` `note_trigger`).
                        let tasks = self.job(sys).graph.tasks.len();
                        let finished_excluded = self.spec.profile.checkpoints_after_tasks_finish();
                        sys.acks.make_mut().trigger(u64::from(sys.epoch), id, tasks, finished_excluded);
                        sys.obs.make_mut().triggers.push((now, id));
                        let obs = sys.obs.make_mut();
                        let seq = crate::world::next_end_seq(&mut obs.end_seq, now);
                        let row = checkpoint_row(obs, id);
                        row.trigger_ms = timestamp_ms;
                        row.trigger_seq = seq;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                        row.periodic = periodic;
                    }
                    CoordinatorOutput::Completed(cp) => {
                        // The HA store has it before it counts as completed.
                        sys.ha_latest = Some(cp.clone());
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
                    CoordinatorOutput::Aborted { id, reason, trigger_ms, kind } => {
                        sys.acks.make_mut().aborted(id);
                        let obs = sys.obs.make_mut();
                        let row = obs.checkpoints.entry(id).or_insert_with(|| CheckpointRow::pending(id));
                        row.trigger_ms = trigger_ms;
                        row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
                        if row.end_ms.is_none() {
                            row.end_ms = Some(now);
                            row.end_seq = crate::world::next_end_seq(&mut obs.end_seq, now);
                            row.outcome = reason.name().to_string();
                        }
                        if kind == ckptsim::record::CheckpointKind::Savepoint
                            && sys.stop_pending_since.is_some_and(|t| trigger_ms >= t)
                        {
                            sys.stop_pending_since = None;
                            stop_failed = true;
                        }
                    }
                    CoordinatorOutput::RequestFailed { request, .. }
                        if request == ckptsim::coordinator::RequestKind::Savepoint
                            && sys.stop_pending_since.is_some() =>
                    {
                        sys.stop_pending_since = None;
                        stop_failed = true;
                    }
                    _ => {}
                },
            }
        }
        if stop_failed {
            sys.jm.make_mut().resume_after_failed_stop(now);
            self.route_jm(sys);
        }
    }
}
