//! Sleep sets (Godefroid) on top of the explorer's partial-order reduction: which choices are independent in a state, and the sleep sets a child gets and a visited state keeps.
//!
//! At a state the reduced choices not asleep are taken in order c1, c2, …; the child through
//! ci sleeps on an earlier sibling's choice cj when cj and ci are independent here and the
//! reduced choices of the state after cj hold ci: the search then reaches the state after
//! ci-then-cj through cj-then-ci, by the same number of steps. Only siblings' choices are
//! carried (not the parent's own sleep set): the explorer's reduction is not a strict persistent
//! set (its time model fires timers only when nothing is waiting), so a choice asleep at the
//! parent may be outside the reduced choices of the state its path would go through, and the
//! classic inheritance visited fewer states and lost terminal states on `tiny-one-restart`
//! (18,494 of 18,586). With the visited-state cache a state keeps the sleep set it was first
//! seen with; a later visit whose sleep set lacks some of those choices expands the state again
//! with exactly the missing ones (and the cache keeps the intersection), as in Godefroid's
//! sleep sets with state caching (1996, ch. 5). So every state the reduction reaches is still
//! reached, at the same depth.
//!
//! Independence is conservative: two choices are independent only when each touches state the
//! other neither reads nor writes, so both orders reach the same state and neither disables the
//! other (see [`Explorer::independent`]).

use super::*;

/// What a choice may touch, judged in the state where it is enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Footprint {
    /// Time or several tasks at once (a tick, a process crash or failover, a zombie):
    /// dependent with everything.
    Global,
    /// A JobManager step (a task's message taken, a crashed TaskManager noticed).
    Jm,
    /// A step of task `t` alone (a read, a channel's head taken, a JobManager message other
    /// than a deployment received); `reads_jm`: it may commit source offsets, which records the
    /// latest completed checkpoint the JobManager wrote; `budget`: an injected failure (1) or
    /// a lost message (2), which use up a bound of the path shared by every task (two of one
    /// kind are dependent: one may disable the other).
    /// `attempt`: the attempt whose channels the step writes to (its task's); `deploy`: a
    /// deployment of this attempt, which drops every older attempt's channels and reads the
    /// committed source offsets.
    Task { t: TaskId, reads_jm: bool, budget: u8, attempt: Option<u32>, deploy: Option<u32> },
}

impl Explorer<'_> {
    fn footprint(&self, sys: &Sys, c: Choice) -> Footprint {
        let own = |t: TaskId| sys.tasks.get(&t).map(|x| x.attempt().0);
        let task = |t: TaskId, reads_jm: bool, budget: u8, attempt: Option<u32>, deploy: Option<u32>| Footprint::Task {
            t,
            reads_jm,
            budget,
            attempt,
            deploy,
        };
        match c {
            Choice::Fetch(t) => task(t, false, 0, own(t), None),
            Choice::Data { to, attempt, .. } => task(to, false, 0, Some(attempt), None),
            Choice::ToTask(t) => match sys.to_task.get(&t).and_then(|q| q.front()) {
                None => Footprint::Global,
                Some(Ctl::Deploy { attempt, .. }) => task(t, false, 0, Some(attempt.0), Some(attempt.0)),
                // A source commits offsets (reading the newest completed checkpoint the
                // JobManager recorded) only on a snapshot (a trigger) or a completion notice
                // (`task_checkpoint.rs`, the only two places a task emits `CommitOffsets`).
                Some(m) => {
                    let commits = matches!(m, Ctl::Trigger { .. } | Ctl::NotifyComplete { .. });
                    task(t, commits && self.job(sys).upstream[t.0 as usize].is_empty(), 0, own(t), None)
                }
            },
            // A failure removes the task and queues its FAILED update behind its other
            // messages; a loss drops the head of the task's JobManager link. Neither writes a
            // channel.
            Choice::Fail(t) => task(t, false, 1, None, None),
            Choice::Lose(t) => task(t, false, 2, None, None),
            // A stop request writes the JobMaster and appends triggers to the links' tails.
            // A lost acknowledgement takes the head of the task's link to the JobManager, as a
            // delivery does; a manual request writes the JobMaster like a stop.
            // A cancel writes the JobMaster and appends cancels to the links' tails, as a stop.
            Choice::ToJm(_)
            | Choice::Stop
            | Choice::Cancel
            | Choice::LoseAck(_)
            | Choice::Trigger
            | Choice::Savepoint
            | Choice::Retune => Footprint::Jm,
            Choice::Tick
            | Choice::LateTick
            | Choice::CrashTm(_)
            | Choice::TmLost(_)
            | Choice::HbTimeout(_)
            | Choice::TmHbTimeout(_)
            | Choice::JmHbTimeout(_)
            | Choice::JmFailover
            | Choice::Rescale
            // A slow upload reorders the task's link to the JobManager (session 34: no finer
            // footprint; sleep sets keep it dependent on everything).
            | Choice::SlowUpload(_)
            | Choice::Upload(_)
            | Choice::Zombie { .. } => Footprint::Global,
        }
    }

    /// Whether `a` and `b` (both enabled in `sys`) commute and neither disables the other.
    ///
    /// Two tasks' own steps touch their own task, the tails of the queues their outputs go to
    /// (read from the head by the downstream task), their own JobManager link and per-task
    /// observations, except: two sink tasks share the transactional store (the order of their
    /// operations is in its state); two tasks on one TaskManager share its surviving counters
    /// when the job has failure injectors; and with unaligned checkpoints a barrier sent with
    /// priority goes to the head of the downstream queue and a downstream task pulls barriers
    /// out of its queues, so neighbours in the graph are dependent. A task's step commutes with
    /// a JobManager step (which appends to the tails of the JobManager → task links and writes
    /// the JobMaster and its observations) unless it may commit source offsets.
    pub(super) fn independent(&self, sys: &Sys, a: Choice, b: Choice) -> bool {
        self.independent_with(sys, a, b, true)
    }

    /// [`Explorer::independent`] without the shared failure and loss budgets: two failures
    /// (two losses) of different tasks commute where both are enabled, and one disables the
    /// other only by using up the last of the budget (the persistent-set closure,
    /// `choices.rs` `persistent_group`).
    pub(super) fn independent_beyond_budgets(&self, sys: &Sys, a: Choice, b: Choice) -> bool {
        self.independent_with(sys, a, b, false)
    }

    fn independent_with(&self, sys: &Sys, a: Choice, b: Choice, budgets: bool) -> bool {
        match (self.footprint(sys, a), self.footprint(sys, b)) {
            (a @ Footprint::Task { t: x, budget: bx, .. }, b @ Footprint::Task { t: y, budget: by, .. }) => {
                (!budgets || bx == 0 || bx != by)
                    && deploys_commute(a, b)
                    && deploys_commute(b, a)
                    && self.tasks_independent(sys, x, y)
            }
            (Footprint::Jm, Footprint::Task { reads_jm, .. }) | (Footprint::Task { reads_jm, .. }, Footprint::Jm) => {
                !reads_jm
            }
            _ => false,
        }
    }

    /// Conditional (state-dependent) independence of a JobManager delivery, checked by
    /// execution (`--jm-commute`, Godefroid and Pirottin's refined dependencies): `a` led from
    /// a state `s` to `sa`, `b` from `s` to `sb`; they commute at `s` when one of them is a
    /// `to-jm` delivery, the other a `to-jm` delivery of another task or a `tick`, `b` is
    /// enabled after `a` and `a` after `b`, and both orders reach the same state (the same
    /// fingerprint, the explorer's notion of a state). That is the local diamond a sleep set
    /// needs: the child through `b` may sleep on `a`, whose result `a`-then-`b` reaches by the
    /// same number of steps (`docs/explore.md`, *Exhaustion (session 22)*).
    pub(super) fn commute_by_execution(&self, a: Choice, sa: &Sys, b: Choice, sb: &Sys) -> bool {
        let jm_pair = match (a, b) {
            (Choice::ToJm(x), Choice::ToJm(y)) => x != y,
            (Choice::ToJm(_), Choice::Tick) | (Choice::Tick, Choice::ToJm(_)) => true,
            _ => false,
        };
        if !self.bounds.jm_commute || !jm_pair {
            return false;
        }
        let (mut ab, mut ba) = (sa.clone(), sb.clone());
        self.enabled(sa).contains(&b)
            && self.enabled(sb).contains(&a)
            && self.apply(&mut ab, b)
            && self.apply(&mut ba, a)
            && ab.fingerprint() == ba.fingerprint()
    }

    /// Whether the own steps of tasks `x` and `y` commute (see [`Explorer::independent`]).
    pub(super) fn tasks_independent(&self, sys: &Sys, x: TaskId, y: TaskId) -> bool {
        if x == y {
            return false;
        }
        let (tx, ty) = (&self.job(sys).graph.tasks[x.0 as usize], &self.job(sys).graph.tasks[y.0 as usize]);
        if self.job(sys).outs[x.0 as usize].is_empty() && self.job(sys).outs[y.0 as usize].is_empty() {
            return false;
        }
        if tx.tm == ty.tm && self.spec.operators.iter().any(|o| !o.injectors.is_empty()) {
            return false;
        }
        let cfg = &self.spec.checkpoint;
        if cfg.mode == ckptsim::config::CheckpointingMode::ExactlyOnce && cfg.unaligned {
            let adjacent = |p: TaskId, q: TaskId| self.job(sys).outs[p.0 as usize].iter().any(|(d, _)| *d == q);
            if adjacent(x, y) || adjacent(y, x) {
                return false;
            }
        }
        true
    }
}

/// Whether a deployment `a` (if it is one) commutes with task step `b`: not when `b` writes
/// channels of an older attempt (the deployment drops them, before or after), deploys another
/// attempt, or may commit source offsets (the deployment reads them).
fn deploys_commute(a: Footprint, b: Footprint) -> bool {
    let (Footprint::Task { deploy: Some(d), .. }, Footprint::Task { reads_jm, attempt, deploy, .. }) = (a, b) else {
        return true;
    };
    !reads_jm && attempt.is_none_or(|x| x >= d) && deploy.is_none_or(|x| x == d)
}

/// The sorted sleep set `a ∩ b`.
pub(super) fn intersect(a: &[Choice], b: &[Choice]) -> Vec<Choice> {
    a.iter().copied().filter(|c| b.binary_search(c).is_ok()).collect()
}

/// The choices of sorted `a` not in sorted `b`.
pub(super) fn minus(a: &[Choice], b: &[Choice]) -> Vec<Choice> {
    a.iter().copied().filter(|c| b.binary_search(c).is_err()).collect()
}
