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

    /// Partial-order reduction and the explorer's time model (eager delivery: a `tick` fires
    /// only once no channel element and no JobManager message to a task waits; `late-tick`
    /// is the bounded exception). When a task has something waiting, the choices kept are a
    /// persistent set: no sequence of steps left out can enable or be a step dependent on a
    /// kept one, so every terminal state (and every violation a terminal state shows) of the
    /// unreduced search in this time model is still reached (session 28, issue 20;
    /// `docs/explore.md`, *A sound default reduction*).
    ///
    /// The set is built around a busy task `t` ([`Explorer::persistent_group`]): the steps of
    /// a group of tasks closed under three rules, and every JobManager-side step (`to-jm`,
    /// `lose-ack`, `tm-lost`, the requests, zombies, process faults). JobManager steps must be
    /// kept: a delivery to the JobManager queues messages (aborts, cancels, deployments,
    /// notifications) that a group task takes before or after its channel heads, so it
    /// enables steps dependent on the group's (the session 27 default left them out and
    /// missed terminal states once failures were explored). Left out are only the steps of
    /// tasks that can neither feed the group, nor touch what its steps touch, nor put a new
    /// message at the head of a queue to the JobManager. Of the busy tasks, the one whose set is
    /// smallest is taken. A step that touches every task or time itself (a JobManager failover,
    /// a rescale, a late tick) makes the full set the only persistent one. With nothing waiting
    /// every choice is explored (timers, reads of every source, the JobManager's steps).
    pub(super) fn reduce(&self, sys: &Sys, all: Vec<Choice>) -> Vec<Choice> {
        if self.bounds.fast_reduce {
            return self.reduce_fast(sys, all);
        }
        let busy = busy_tasks(&all);
        if busy.is_empty() {
            return self.one_reader(sys, all);
        }
        // The time model: no plain tick while a delivery waits.
        let all: Vec<Choice> = all.into_iter().filter(|c| *c != Choice::Tick).collect();
        // A slow upload (held or sent) reorders a task's messages to the JobManager behind
        // its own later ones: session 34 gives it no closure of its own, the full set.
        if all.iter().any(|c| {
            matches!(
                c,
                Choice::JmFailover | Choice::Rescale | Choice::LateTick | Choice::SlowUpload(_) | Choice::Upload(_)
            )
        }) {
            return all;
        }
        let mut best: Option<Vec<Choice>> = None;
        let jm_quiet = self.bounds.jm_left_out && self.jm_steps_commute_with_tasks(sys, &all);
        for t in busy {
            let group = self.persistent_group(sys, t, &all);
            let kept: Vec<Choice> =
                all.iter().copied().filter(|c| task_of(*c).is_none_or(|x| group.contains(&x))).collect();
            if best.as_ref().is_none_or(|b| kept.len() < b.len()) {
                best = Some(kept);
            }
            // The set without any JobManager step, where that one is persistent too.
            if let Some(group) = jm_quiet.then(|| self.group_without_jm(sys, t, &all)).flatten() {
                let kept: Vec<Choice> =
                    all.iter().copied().filter(|c| task_of(*c).is_some_and(|x| group.contains(&x))).collect();
                if best.as_ref().is_none_or(|b| kept.len() < b.len()) {
                    best = Some(kept);
                }
            }
        }
        best.unwrap_or(all)
    }

    /// Whether every enabled step that is not a task's own is a JobManager step that writes
    /// the JobMaster and appends to the tails of its links to the tasks (`to-jm`, `lose-ack`,
    /// stop, cancel, manual requests), and no step touching every task or time can come later
    /// on a path of such steps: the budgets of process faults, heartbeat timeouts, failovers,
    /// zombies, rescales and late ticks are used up (a plain `tick` waits while a task is
    /// busy, and a busy task stays busy until its own step). The precondition of
    /// [`Explorer::group_without_jm`].
    fn jm_steps_commute_with_tasks(&self, sys: &Sys, all: &[Choice]) -> bool {
        let b = &self.bounds;
        all.iter().all(|c| {
            task_of(*c).is_some()
                || matches!(
                    c,
                    Choice::ToJm(_)
                        | Choice::LoseAck(_)
                        | Choice::Stop
                        | Choice::Cancel
                        | Choice::Trigger
                        | Choice::Savepoint
                        | Choice::Retune
                )
        }) && sys.tm_crashes >= b.max_tm_crashes
            && sys.hb_timeouts >= b.max_hb_timeouts
            && sys.tm_hb_timeouts >= b.max_tm_hb_timeouts
            && sys.jm_hb_timeouts >= b.max_jm_hb_timeouts
            && sys.jm_failovers >= b.max_jm_failovers
            && sys.zombies >= b.max_zombies
            && sys.rescales >= b.max_rescales
            && (sys.late_ticks >= b.max_late_ticks || sys.ticks >= b.max_ticks)
            && sys.slow_uploads >= b.max_slow_uploads
            && sys.uploading.is_empty()
    }

    /// A persistent set of task steps alone around busy task `t`, with every JobManager step
    /// left out (`--jm-out`, session 29, `docs/explore.md` *A cheaper sound set*), or None
    /// where the conditions fail. The group is [`Explorer::group`] of `t` closed under every task that
    /// is dependent on a member at all (a shared sink store, a TaskManager's injector
    /// counters, unaligned neighbours: [`Explorer::tasks_independent`], whatever steps it
    /// may have later) or has an enabled step dependent on a kept one; then it must hold that
    /// - every member has a JobManager message queued: what a left-out JobManager step sends
    ///   a member lands behind a head the kept `to-task` step takes, so it enables no new
    ///   step of a member;
    /// - no kept step reads what a JobManager step writes (a source's offset commit on a
    ///   trigger or a completion notice, [`Explorer::independent`]);
    /// - some member runs the attempt the JobMaster knows, in a state only that task's own
    ///   report ends (deploying, initializing, running, cancelling), with no terminal report
    ///   already queued: the JobMaster restarts only once every execution is terminal, so no
    ///   left-out step deploys a new attempt (a deployment drops every older attempt's
    ///   channels, which kept steps read). Under regional restarts a left-out step may restart
    ///   another region, all of whose tasks are terminal: its deployments land behind the
    ///   members' queued heads or drop only the deployed task's own channels, which no kept
    ///   step reads (checked against the unreduced search in `sim/tests/explore_sound.rs`).
    ///
    /// Tasks outside the group cannot feed it (it is closed upstream) and touch nothing its
    /// steps touch, so every left-out step, now or later, commutes with the kept ones and
    /// enables none dependent on them.
    fn group_without_jm(&self, sys: &Sys, t: TaskId, all: &[Choice]) -> Option<BTreeSet<TaskId>> {
        let job = self.job(sys);
        let n = job.graph.tasks.len();
        let mut group = self.group(sys, t);
        loop {
            let kept: Vec<Choice> =
                all.iter().copied().filter(|c| task_of(*c).is_some_and(|x| group.contains(&x))).collect();
            let joins: Vec<TaskId> = (0..n)
                .map(|i| TaskId(i as u32))
                .filter(|v| !group.contains(v))
                .filter(|v| {
                    group.iter().any(|x| !self.tasks_independent(sys, *v, *x))
                        || all
                            .iter()
                            .filter(|c| task_of(**c) == Some(*v))
                            .any(|c| kept.iter().any(|k| !self.independent_beyond_budgets(sys, *k, *c)))
                })
                .collect();
            if joins.is_empty() {
                break;
            }
            for v in joins {
                group.extend(self.group(sys, v));
            }
        }
        if !group.iter().all(|x| sys.to_task.get(x).is_some_and(|q| !q.is_empty())) {
            return None;
        }
        let kept: Vec<Choice> =
            all.iter().copied().filter(|c| task_of(*c).is_some_and(|x| group.contains(&x))).collect();
        if kept.iter().any(|k| !self.independent(sys, Choice::ToJm(t), *k)) {
            return None;
        }
        let blocker = group.iter().any(|x| {
            let Some(task) = sys.tasks.get(x) else { return false };
            let (attempt, state) = sys.jm.execution(*x);
            let current = Self::from_epoch(sys, task.attempt()) == Some(attempt);
            let own_report = matches!(
                state,
                ExecutionState::Deploying
                    | ExecutionState::Initializing
                    | ExecutionState::Running
                    | ExecutionState::Canceling
            );
            let reported = sys
                .to_jm
                .get(x)
                .is_some_and(|q| q.iter().any(|m| matches!(m, Up::State { state, .. } if state.is_terminal())));
            current && own_report && !reported
        });
        blocker.then_some(group)
    }

    /// `--fast-reduce` (`Bounds::fast_reduce`): the reduction of sessions 10–27, kept for bug
    /// hunting and for the tests that pin its counts. A busy group's set leaves out the
    /// JobManager's steps (`to-jm`, `lose-ack`) unless `jm_in_group`, and only the first
    /// reading source reads when nothing waits. Unsound once failures are explored: a
    /// JobManager delivery queues messages a group task takes before or after its channel
    /// heads, so the set is not persistent, and the search misses terminal states of its own
    /// time model (`tiny-2pc` (2,1): 2,402 of 2,718; `docs/explore.md`, *Session 27* and
    /// *A sound default reduction*). Its "exhausted" claims hold only for the states it reaches.
    fn reduce_fast(&self, sys: &Sys, all: Vec<Choice>) -> Vec<Choice> {
        let busy = busy_tasks(&all);
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
                    Choice::JmFailover
                    | Choice::Rescale
                    | Choice::LateTick
                    | Choice::SlowUpload(_)
                    | Choice::Upload(_) => true,
                    Choice::ToJm(_) | Choice::LoseAck(_) if self.bounds.jm_in_group => true,
                    Choice::ToJm(_)
                    | Choice::LoseAck(_)
                    | Choice::Tick
                    | Choice::TmLost(_)
                    | Choice::Zombie { .. }
                    | Choice::Stop
                    | Choice::Cancel
                    | Choice::Trigger
                    | Choice::Savepoint
                    | Choice::Retune => false,
                })
                .collect();
            if best.as_ref().is_none_or(|b| kept.len() < b.len()) {
                best = Some(kept);
            }
        }
        best.unwrap_or(all)
    }

    /// Nothing waits: the reads of one source alone are kept with every other choice when
    /// no other source's read can touch a kept step. A read puts records behind the heads its
    /// downstream tasks take; the records it starts on their way (taken by the left-out tasks,
    /// which send the JobManager nothing for them) disable a tick (a delivery then waits) and
    /// conflict with a kept failure of a task they reach, and a bounded source's last read
    /// reports its end of data. So only with no tick, no failure and no process fault enabled,
    /// no injector, and no other reading source bounded; else every choice.
    fn one_reader(&self, sys: &Sys, all: Vec<Choice>) -> Vec<Choice> {
        let job = self.job(sys);
        let readers: Vec<TaskId> =
            all.iter().filter_map(|c| if let Choice::Fetch(t) = c { Some(*t) } else { None }).collect();
        let quiet = readers.len() > 1
            && !all.iter().any(|c| {
                matches!(
                    c,
                    Choice::Tick
                        | Choice::LateTick
                        | Choice::Fail(_)
                        | Choice::CrashTm(_)
                        | Choice::HbTimeout(_)
                        | Choice::TmHbTimeout(_)
                        | Choice::JmHbTimeout(_)
                        | Choice::JmFailover
                        | Choice::Rescale
                        | Choice::SlowUpload(_)
                        | Choice::Upload(_)
                )
            })
            && self.spec.operators.iter().all(|o| o.injectors.is_empty())
            && readers[1..].iter().all(|r| !job.bounded[r.0 as usize]);
        if !quiet {
            return all;
        }
        let first = readers[0];
        all.into_iter().filter(|c| !matches!(c, Choice::Fetch(x) if *x != first)).collect()
    }

    /// The tasks whose own steps are kept with busy task `t` (with every JobManager-side
    /// step): [`Explorer::group`] of `t`, closed until no task outside it
    /// - has an enabled step dependent on a kept one ([`Explorer::independent`], failure and
    ///   loss budgets aside: a left-out failure that uses up the budget only disables a kept
    ///   failure, never a kept delivery, so some kept step still comes first on every path);
    /// - runs on a TaskManager a kept process fault touches;
    /// - may put a new message at the head of its queue to the JobManager: its queue is empty
    ///   and it is live with failures left, or it or a task upstream of it has an enabled step
    ///   (a delivery to the JobManager is kept, and a new one is dependent on it).
    ///
    /// Each task that joins brings its own [`Explorer::group`] (the tasks that can feed it).
    pub(super) fn persistent_group(&self, sys: &Sys, t: TaskId, all: &[Choice]) -> BTreeSet<TaskId> {
        let job = self.job(sys);
        let n = job.graph.tasks.len();
        let mut group = self.group(sys, t);
        let tm_faults: BTreeSet<TmId> = all
            .iter()
            .filter_map(|c| match c {
                Choice::CrashTm(tm) | Choice::HbTimeout(tm) | Choice::TmHbTimeout(tm) | Choice::JmHbTimeout(tm) => {
                    Some(*tm)
                }
                _ => None,
            })
            .collect();
        let failures_left = sys.failures < self.bounds.max_failures;
        let injectors = self.spec.operators.iter().any(|o| !o.injectors.is_empty());
        let active: BTreeSet<TaskId> = all.iter().filter_map(|c| task_of(*c)).collect();
        // Tasks whose own next steps may send the JobManager something: a JobManager message
        // waits for them (a trigger is acknowledged, a cancel or deployment reported), an
        // input channel holds more than records (a barrier is acknowledged, an end of
        // partition or of data reported), a bounded source may read its last record (its end
        // of data), or any step at all where an injector may fail the task. A record taken
        // alone sends nothing to the JobManager.
        let signals: BTreeSet<TaskId> = (0..n)
            .map(|i| TaskId(i as u32))
            .filter(|x| {
                sys.to_task.get(x).is_some_and(|q| !q.is_empty())
                    || sys
                        .data
                        .iter()
                        .any(|((_, to, _), q)| to == x && q.iter().any(|(e, _)| !matches!(e, StreamElement::Record(_))))
                    || (job.bounded[x.0 as usize] && all.contains(&Choice::Fetch(*x)))
                    || (injectors && active.contains(x))
            })
            .collect();
        loop {
            let kept: Vec<Choice> =
                all.iter().copied().filter(|c| task_of(*c).is_none_or(|x| group.contains(&x))).collect();
            let mut joins: Vec<TaskId> = Vec::new();
            for v in (0..n).map(|i| TaskId(i as u32)).filter(|v| !group.contains(v)) {
                let empty_up = sys.to_jm.get(&v).is_none_or(|q| q.is_empty());
                // Left out, v and the tasks upstream of it outside the group run on alone:
                // v may then send if it, or one of them, may pass it more than records.
                let signalled = signals.contains(&v)
                    || job.upstream[v.0 as usize].iter().any(|u| !group.contains(u) && signals.contains(u));
                let sends = empty_up && ((failures_left && sys.tasks.contains_key(&v)) || signalled);
                let faulted = tm_faults.contains(&job.graph.tasks[v.0 as usize].tm);
                let dependent = || {
                    all.iter()
                        .filter(|c| task_of(**c) == Some(v))
                        .any(|c| kept.iter().any(|k| !self.independent_beyond_budgets(sys, *k, *c)))
                };
                if sends || faulted || dependent() {
                    joins.push(v);
                }
            }
            if joins.is_empty() {
                return group;
            }
            for v in joins {
                group.extend(self.group(sys, v));
            }
        }
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
            let readable = self.next_record(sys, task).is_some_and(|(_, _, visible)| visible);
            if !task.input_paused() && readable && !self.gate_blocks(sys, *t) {
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
        self.link_to_jm_choices(sys, &mut out);
        let pending = out.iter().any(|c| matches!(c, Choice::Data { .. } | Choice::ToTask(_)));
        if sys.ticks < b.max_ticks
            && self.jm_late_tick_allowed(sys)
            && self.next_timer(sys).is_some()
            && !self.loop_spins(sys)
        {
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
        if self.request_enabled(sys, Choice::Retune) {
            out.push(Choice::Retune);
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

    /// The steps of the tasks' links to the JobManager: a delivery, a lost acknowledgement or
    /// decline (`--ack-losses`), a held acknowledgement of a live task (`--slow-uploads`) and a
    /// held one sent (`upload`).
    fn link_to_jm_choices(&self, sys: &Sys, out: &mut Vec<Choice>) {
        let b = &self.bounds;
        for (t, q) in &sys.to_jm {
            if !q.is_empty() {
                out.push(Choice::ToJm(*t));
            }
            if sys.ack_losses < b.max_ack_losses
                && q.front().is_some_and(|m| matches!(m, Up::Ack { .. } | Up::Decline { .. }))
            {
                out.push(Choice::LoseAck(*t));
            }
            if sys.slow_uploads < b.max_slow_uploads
                && sys.tasks.contains_key(t)
                && q.front().is_some_and(|m| matches!(m, Up::Ack { .. }))
            {
                out.push(Choice::SlowUpload(*t));
            }
        }
        out.extend(sys.uploading.keys().map(|t| Choice::Upload(*t)));
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
            && matches!(sys.jm.status(), JobStatus::Created | JobStatus::Running | JobStatus::Restarting)
    }

    /// Whether the `stop` step is enabled: the scenario has a `stop-with-savepoint` action, the
    /// bound allows one more and the scenario's job runs.
    pub(super) fn stop_enabled(&self, sys: &Sys) -> bool {
        self.stop.is_some()
            && sys.job == 0
            && sys.stops < self.bounds.max_stops
            && sys.jm.status() == JobStatus::Running
    }

    /// Whether a timer may fire now as far as `--jm-late-ticks` goes: nothing is on its way to
    /// the JobManager, or the bound (`Bounds::max_jm_late_ticks`) allows one more tick that
    /// overtakes such a message.
    pub(super) fn jm_late_tick_allowed(&self, sys: &Sys) -> bool {
        match self.bounds.max_jm_late_ticks {
            None => true,
            Some(max) => sys.jm_late_ticks < max || !jm_waiting(sys),
        }
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
            Choice::Retune => self.retune.is_some(),
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
        // Session 39: a triggering gate's retry, a timer of the sources waiting there.
        let gates = Self::retry_due(sys).filter(due);
        [jm, tasks, records, gates].into_iter().flatten().min()
    }
}

/// The task whose own step `c` is (a read, a delivery to it, a lost message to it, its
/// failure); None for the JobManager's steps, time and process faults.
fn task_of(c: Choice) -> Option<TaskId> {
    match c {
        Choice::Fetch(x) | Choice::ToTask(x) | Choice::Lose(x) | Choice::Fail(x) => Some(x),
        Choice::Data { to, .. } => Some(to),
        _ => None,
    }
}

/// Whether a task's message to the JobManager is on its way (a `to-jm` step is enabled).
pub(super) fn jm_waiting(sys: &Sys) -> bool {
    sys.to_jm.values().any(|q| !q.is_empty())
}

/// The tasks with a delivery waiting: a JobManager message or a channel element addressed to them.
fn busy_tasks(all: &[Choice]) -> BTreeSet<TaskId> {
    all.iter()
        .filter_map(|c| match c {
            Choice::ToTask(t) | Choice::Data { to: t, .. } => Some(*t),
            _ => None,
        })
        .collect()
}
