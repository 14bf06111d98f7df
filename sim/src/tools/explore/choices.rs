//! The choices enabled in an explorer state: the time model (`next_timer`), the partial-order reduction to one group of tasks, and when a rescale, stop or manual request step is enabled.

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
    /// several tasks at once: a TaskManager crash (or a heartbeat timeout of a live one, which
    /// fails its tasks) stays in the busy set when it kills a task of the group, a JobManager failover (it touches every task) always does; the JobManager
    /// noticing a crashed TaskManager is a JobManager step, like `to-jm`.
    ///
    /// Session 27: the JobManager's deliveries are left out of a busy group's set, but they
    /// are not independent of it: a `to-jm` queues messages (aborts, cancels, deployments,
    /// notifications) that a group task then takes before or after its channel heads. Against
    /// the search without reduction in the same time model (`eager_ticks`), the default misses
    /// terminal states once failures are explored (`tiny-2pc` (2,1): 2,402 of 2,718);
    /// `jm_in_group` keeps `to-jm` and `lose-ack` in the set and reaches them all there, at
    /// 1.4–1.8 times the states (`docs/explore.md`, *Session 27*). It is not the default yet:
    /// several planted variants' cases would need larger bounds.
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
                    Choice::CrashTm(tm) | Choice::HbTimeout(tm) | Choice::TmHbTimeout(tm) | Choice::JmHbTimeout(tm) => {
                        group.iter().any(|x| self.job(sys).graph.tasks[x.0 as usize].tm == *tm)
                    }
                    // A timer firing while the group's deliveries are pending (`--late-ticks`):
                    // time moves before they arrive.
                    Choice::JmFailover | Choice::Rescale | Choice::LateTick => true,
                    Choice::ToJm(_) | Choice::LoseAck(_) if self.bounds.jm_in_group => true,
                    Choice::ToJm(_)
                    | Choice::LoseAck(_)
                    | Choice::Tick
                    | Choice::TmLost(_)
                    | Choice::Zombie { .. }
                    | Choice::Stop
                    | Choice::Cancel
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
    pub(super) fn group(&self, sys: &Sys, t: TaskId) -> BTreeSet<TaskId> {
        let cfg = &self.spec.checkpoint;
        let overtaking = cfg.mode == ckptsim::config::CheckpointingMode::ExactlyOnce && cfg.unaligned;
        let mut group = BTreeSet::from([t]);
        let mut stack = vec![t];
        while let Some(x) = stack.pop() {
            let ups = if overtaking || !self.bounds.reduce_feeders {
                self.job(sys).upstream[x.0 as usize].clone()
            } else {
                self.feeders(sys, x)
            };
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

    /// The direct upstream tasks of `x` whose steps may enable or disable one of `x`'s steps
    /// (aligned or at-least-once checkpoints, no overtaking): `u` feeds a channel of `x` that
    /// is empty now (its next element would enable a `data` step of `x`), or `u` has a
    /// deployment queued (a deployment drops older attempts' channels), or `x` runs no attempt
    /// (every direct upstream, as before). An upstream task whose channels into `x` all hold an
    /// element only appends behind heads `x` takes: its steps commute with every step of `x`
    /// and enable none, so it is left out of the group (`docs/explore.md`, *Exhaustion
    /// (session 21)*).
    pub(super) fn feeders(&self, sys: &Sys, x: TaskId) -> Vec<TaskId> {
        let job = self.job(sys);
        let Some(task) = sys.tasks.get(&x) else {
            return job.upstream[x.0 as usize].clone();
        };
        let attempt = task.attempt().0;
        let mut out: Vec<TaskId> = Vec::new();
        for u in &job.upstream[x.0 as usize] {
            let mut chans = job.outs[u.0 as usize].iter().filter(|(d, _)| *d == x).peekable();
            if chans.peek().is_none() {
                continue; // not a direct upstream
            }
            let empty = chans.any(|(_, ch)| sys.data.get(&(attempt, x, *ch)).is_none_or(|q| q.is_empty()));
            let deploys = sys.to_task.get(u).is_some_and(|q| q.iter().any(|m| matches!(m, Ctl::Deploy { .. })));
            if empty || deploys {
                out.push(*u);
            }
        }
        out
    }

    /// Whether one of task `t`'s enabled steps may send a barrier downstream: a trigger at the
    /// head of its JobManager messages, or a barrier at the head of one of its input channels.
    pub(super) fn may_send_barrier(&self, sys: &Sys, t: TaskId) -> bool {
        if sys.to_task.get(&t).and_then(|q| q.front()).is_some_and(|m| matches!(m, Ctl::Trigger { .. })) {
            return true;
        }
        let Some(task) = sys.tasks.get(&t) else { return false };
        let attempt = task.attempt().0;
        sys.data
            .range((attempt, t, 0)..=(attempt, t, u32::MAX))
            .any(|(_, q)| q.front().is_some_and(|(e, _)| matches!(e, StreamElement::Barrier(_))))
    }

    /// The host loop, reduced to the one decision of a task loop with nothing to do: sleep
    /// until its next deadline, or poll again at once (the world's `idle_task_spins`, the
    /// planted `idle-spin`). Virtual time moves only once every loop sleeps (madsim advances
    /// its clock when no task is runnable), so while a live task's loop spins no timer fires:
    /// `tick` is not enabled, and a state whose only way on is a due timer is a livelock
    /// (`judge.rs`, `spinning`).
    pub(super) fn loop_spins(&self, sys: &Sys) -> bool {
        !sys.tasks.is_empty() && crate::world::idle_task_spins(self.spec)
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
        let pending = out.iter().any(|c| matches!(c, Choice::Data { .. } | Choice::ToTask(_)));
        if sys.ticks < b.max_ticks && self.next_timer(sys).is_some() && !self.loop_spins(sys) {
            // Without the reduction a tick fires at any step, unless `eager_ticks` asks for the
            // reduced search's time model.
            if !(b.eager_ticks && !b.reduce && pending) {
                out.push(Choice::Tick);
            }
            // With the reduction a plain tick fires only once nothing waits; a late tick fires
            // while deliveries are pending (without it, `tick` already fires at any step).
            if (b.reduce || b.eager_ticks) && pending && sys.late_ticks < b.max_late_ticks {
                out.push(Choice::LateTick);
            }
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
        // The heartbeat timeout of a crashed TaskManager, while the monitor watches it.
        for tm in sys.crashed_tms.difference(&sys.hb_lost) {
            out.push(Choice::TmLost(*tm));
        }
        if !settled {
            self.heartbeat_timeouts(sys, &mut out);
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
        if self.cancel_enabled(sys) {
            out.push(Choice::Cancel);
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

    /// The enabled heartbeat timeouts of live TaskManagers running a task, within their bounds:
    /// both ways (`hb-timeout`, watched ones), the TaskManager's verdict (`tm-hb-timeout`) and
    /// the JobManager's (`jm-hb-timeout`, watched ones).
    fn heartbeat_timeouts(&self, sys: &Sys, out: &mut Vec<Choice>) {
        let b = &self.bounds;
        let job = self.job(sys);
        let busy: BTreeSet<TmId> = sys.tasks.keys().map(|t| job.graph.tasks[t.0 as usize].tm).collect();
        let live = |tm: &&TmId| !sys.crashed_tms.contains(tm);
        let watched = |tm: &&TmId| !sys.crashed_tms.contains(tm) && !sys.hb_lost.contains(tm);
        if sys.hb_timeouts < b.max_hb_timeouts {
            // A false alarm: a live TaskManager running a task, watched by the monitor.
            out.extend(busy.iter().filter(watched).map(|tm| Choice::HbTimeout(*tm)));
        }
        if sys.tm_hb_timeouts < b.max_tm_hb_timeouts {
            // The TaskManager's own verdict: a live TaskManager running a task.
            out.extend(busy.iter().filter(live).map(|tm| Choice::TmHbTimeout(*tm)));
        }
        if sys.jm_hb_timeouts < b.max_jm_hb_timeouts {
            // The JobManager's verdict alone: a live TaskManager running a task, watched.
            out.extend(busy.iter().filter(watched).map(|tm| Choice::JmHbTimeout(*tm)));
        }
    }

    /// Whether the `rescale` step is enabled: the scenario has a `rescale` action, the bound
    /// allows one more, the scenario's job still runs and can be cancelled (one rescale per
    /// path) and a checkpoint completed (what the cancelled job leaves retained).
    pub(super) fn rescale_enabled(&self, sys: &Sys) -> bool {
        self.jobs.len() > 1
            && sys.job == 0
            && sys.rescales < self.bounds.max_rescales
            && sys.ha_latest.is_some()
            && sys.jm.status().can_transition_to(JobStatus::Cancelling)
    }

    /// Whether the `stop` step is enabled: the scenario has a `stop-with-savepoint` action, the
    /// bound allows one more and the scenario's job runs.
    pub(super) fn stop_enabled(&self, sys: &Sys) -> bool {
        self.stop.is_some()
            && sys.job == 0
            && sys.stops < self.bounds.max_stops
            && sys.jm.status() == JobStatus::Running
    }

    /// Whether the `cancel` step is enabled: the scenario has a `cancel` action (and no
    /// `rescale`), the bound allows one more and the scenario's job is in a status
    /// `JobMaster::cancel` acts on (CREATED, RUNNING, RESTARTING: Flink's `cancel` of a job
    /// already cancelling or terminal changes nothing).
    pub(super) fn cancel_enabled(&self, sys: &Sys) -> bool {
        self.cancel
            && sys.job == 0
            && sys.cancels < self.bounds.max_cancels
            && matches!(sys.jm.status(), JobStatus::Created | JobStatus::Running | JobStatus::Restarting)
    }

    /// Whether the `trigger` (`savepoint`) step is enabled: the scenario has a
    /// `trigger-checkpoint` (`savepoint`) action, the bound allows one more request and the
    /// scenario's job runs (the world's client sends the action to the JobManager at its time;
    /// here it comes at any point).
    pub(super) fn request_enabled(&self, sys: &Sys, c: Choice) -> bool {
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
        // A task's timers: its barrier handler's, at a source with a watermark strategy the
        // periodic watermark emission (`pipeline.auto-watermark-interval`), and a
        // processing-time window's earliest timer.
        let tasks = sys
            .tasks
            .values()
            .flat_map(|t| [t.poll_timeout(), t.watermark_deadline(), t.processing_timer_deadline()])
            .flatten()
            .filter(due)
            .min();
        let records = sys
            .tasks
            .values()
            .filter_map(|t| self.next_record(sys, t))
            .filter(|(_, _, visible)| !visible)
            .map(|(p, o, _)| self.log.at[p][o])
            .min();
        [jm, tasks, records].into_iter().flatten().min()
    }
}
