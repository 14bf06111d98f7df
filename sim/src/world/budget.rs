//! The per-run event budget: a run that makes more world steps than its budget stops with a verdict that names the budget (never a hang, never a pass).
//!
//! An *event* is one step of the world: one `Shared::with` call (a node handling a message, a
//! task loop taking input, draining outputs or flushing, a timer, a fault). Every simulated
//! activity takes at least one, so a livelock — loops that keep running while virtual time
//! stands still, which madsim would run for ever because the supervisor's stop timer never
//! comes due — uses them up. Once the budget is spent the supervisor is woken, kills every node
//! and the run ends at that virtual time with [`BudgetUse::exhausted_at_ms`] set.
//!
//! The default is derived from the scenario ([`default_max_events`]); `ckptsim run/sweep
//! --max-events N` overrides it (through [`JobSpec::max_events`]).

use super::*;

/// Events a run may always make, whatever its size.
pub const BASE_EVENTS: u64 = 2_000_000;
/// Events allowed per record hop (input record × operator): a record buffer costs a few steps
/// per task (take, drain, flush), a flat_map may emit several records per input.
pub const EVENTS_PER_RECORD_HOP: u64 = 64;
/// Events allowed per virtual millisecond and per node or subtask (timers, heartbeats, a slow
/// operator paying its CPU time in 1 ms sleeps).
pub const EVENTS_PER_MS_PER_NODE: u64 = 16;

/// The default event budget of `spec`: `BASE_EVENTS` + `EVENTS_PER_RECORD_HOP` × input
/// records × operators + `EVENTS_PER_MS_PER_NODE` × `stop_at_ms` × (subtasks + TaskManagers
/// + 3). Every scenario of the repository, plain or swarm, uses under 2% of it (measured).
pub fn default_max_events(spec: &JobSpec) -> u64 {
    let operators = spec.operators.len().max(1) as u64;
    let subtasks: u64 = spec.operators.iter().map(|o| u64::from(o.parallelism.max(1))).sum();
    let nodes = subtasks + u64::from(spec.cluster.task_managers) + 3;
    let hops = (spec.input.len() as u64).saturating_mul(operators);
    BASE_EVENTS
        .saturating_add(hops.saturating_mul(EVENTS_PER_RECORD_HOP))
        .saturating_add(spec.stop_at_ms.saturating_mul(nodes).saturating_mul(EVENTS_PER_MS_PER_NODE))
}

/// How much of its event budget a run used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetUse {
    /// The budget in force (`--max-events`, else [`default_max_events`]).
    pub max_events: u64,
    /// World steps the run made (may pass `max_events` by the steps taken before the
    /// supervisor stopped the nodes).
    pub used_events: u64,
    /// The virtual time at which the budget ran out; `None` for a run that reached `stop_at_ms`.
    pub exhausted_at_ms: Option<u64>,
    /// The run was stopped because the world's attempt numbering ran out (a JobMaster reached
    /// attempt [`EPOCH_STRIDE`](super::EPOCH_STRIDE), or the JobManager epochs overflowed the
    /// numbering), not because of its event count; `exhausted_at_ms` says when.
    pub attempts_exhausted: bool,
}

/// The budget while a run is under way (a field of `World`).
pub(super) struct EventBudget {
    pub(super) max: u64,
    pub(super) used: u64,
    pub(super) exhausted_at_ms: Option<u64>,
    /// See [`BudgetUse::attempts_exhausted`].
    pub(super) attempts_exhausted: bool,
    /// Wakes the supervisor when the budget runs out.
    pub(super) notify: Arc<Notify>,
    /// How often the world's per-event mechanisms ran (`CKPTSIM_DEBUG_COUNTS`).
    pub(super) counts: MechanismCounts,
}

/// How often a run used each per-event mechanism of the world: what a step of the hot path
/// costs is spread over these (BENCHMARKS.md, "Speed", session 17). Printed per run with
/// `CKPTSIM_DEBUG_COUNTS=1`; never part of the result or the trace.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MechanismCounts {
    /// Task loop rounds (`TaskLoop::run`'s steps 1-8; a round's batched input steps excluded).
    pub(super) loop_rounds: u64,
    /// Input steps a task loop took inside a round instead of in a round of their own
    /// (`tasks.rs`, `Batch`).
    pub(super) batched_steps: u64,
    /// Returns from `wake::wait` and `TmExec::run_until_message` (a loop woken).
    pub(super) wakeups: u64,
    /// madsim timers armed (`wake.rs::arm_timer`).
    pub(super) timers_armed: u64,
    /// Control messages sent (`World::send_with`).
    pub(super) messages: u64,
    /// The wake-ups and madsim sleeps by cause, indexed by `WakeCause as usize`.
    pub(super) by_cause: [u64; WakeCause::ALL.len()],
}

impl MechanismCounts {
    /// A loop woke from [`wake::wait`](super::wake::wait) for `why`.
    #[inline]
    pub(super) fn woke(&mut self, why: WakeCause) {
        self.wakeups += 1;
        self.by_cause[why as usize] += 1;
    }

    /// A madsim sleep outside `wait` (not a wake-up of `wakeups`) for `why`.
    #[inline]
    pub(super) fn slept(&mut self, why: WakeCause) {
        self.by_cause[why as usize] += 1;
    }
}

impl World {
    /// One more world step (each `Shared::with`, and each input step a task loop batches into
    /// its round): the supervisor is woken when the budget runs out.
    #[inline]
    pub(super) fn count_step(&mut self) {
        self.budget.used += 1;
        if self.budget.used == self.budget.max {
            self.budget_reached();
        }
    }

    /// The step that reached the budget (the first time): record when and wake the supervisor.
    #[cold]
    fn budget_reached(&mut self) {
        if self.budget.exhausted_at_ms.is_none() {
            let now = self.now();
            self.budget.exhaust(now);
        }
    }
}

impl EventBudget {
    pub(super) fn new(spec: &JobSpec) -> Self {
        EventBudget {
            max: spec.max_events.unwrap_or_else(|| default_max_events(spec)).max(1),
            used: 0,
            exhausted_at_ms: None,
            attempts_exhausted: false,
            notify: Arc::new(Notify::new()),
            counts: MechanismCounts::default(),
        }
    }

    /// The budget ran out at `now_ms` (`Shared::with` counts the steps): record when and wake
    /// the supervisor.
    pub(super) fn exhaust(&mut self, now_ms: u64) {
        self.exhausted_at_ms = Some(now_ms);
        self.notify.notify_one();
    }

    /// The world's attempt numbering ran out at `now_ms` (see [`BudgetUse::attempts_exhausted`]):
    /// the run stops as for a spent budget (a harness limit, neither a pass nor a failure).
    pub(super) fn exhaust_attempts(&mut self, now_ms: u64) {
        if self.exhausted_at_ms.is_none() {
            self.attempts_exhausted = true;
            self.exhaust(now_ms);
        }
    }

    pub(super) fn usage(&self) -> BudgetUse {
        BudgetUse {
            max_events: self.max,
            used_events: self.used,
            exhausted_at_ms: self.exhausted_at_ms,
            attempts_exhausted: self.attempts_exhausted,
        }
    }
}
