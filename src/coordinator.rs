//! The CheckpointCoordinator: periodic scheduler, request decider, trigger pipeline, acks/declines/expiry, completion and subsumption (semantics §1, §2/§6 wiring, §9).
//!
//! A sans-IO model of Flink's `CheckpointCoordinator`, `CheckpointRequestDecider`,
//! `CheckpointCoordinatorDeActivator` / `ExecutionTrackingCheckpointCoordinatorDeActivator` and
//! `PendingCheckpoint`. It owns the [`CheckpointFailureManager`] (§2) and the
//! [`CompletedCheckpointStore`] (§6) and reports their decisions as outputs. Inputs are
//! `handle_*(now_ms, ..)` calls; outputs are drained with [`CheckpointCoordinator::poll_output`];
//! the next timer deadline (periodic trigger or checkpoint expiry) is
//! [`CheckpointCoordinator::poll_timeout`]. Every version difference is asked of [`Profile`].
//!
//! # Model
//!
//! * **Scheduler activation (§1.3).** The (de)activator is registered only when periodic
//!   checkpoints are configured (interval set and ≥ 10 ms; otherwise only manual checkpoints and
//!   savepoints happen). 1.11 runs the scheduler while the job is RUNNING; 2.3 while the job is
//!   RUNNING *and* every execution is RUNNING or FINISHED. Every change of
//!   [`ExecutionView`] re-evaluates that condition; the scheduler is started when it becomes true
//!   and stopped when it becomes false. 1.11's start first aborts everything pending and queued
//!   (`CHECKPOINT_COORDINATOR_SUSPEND`), as its `startCheckpointScheduler` calls stop first.
//! * **Initial delay.** `min_pause + random % (base_interval - min_pause + 1)`, i.e. uniform in
//!   `[min_pause, base_interval]`. 1.11 draws on every start (from the `random` given with the
//!   view); 2.3 draws once at construction, uses it for the first start and exactly `min_pause`
//!   for every later start (a start caused by a re-tune counts as a start).
//! * **Cadence.** Fixed rate: a firing planned at `t` plans the next one at `t + base_interval`
//!   and submits a periodic request; a late `handle_timeout` fires every missed slot (catch-up),
//!   each one a request. A firing that finds the queue blocked just queues.
//! * **Decider (§1.4).** Queue ordered savepoint > forced > non-periodic > older (then arrival),
//!   at most 1000 entries (`TOO_MANY_CHECKPOINT_REQUESTS`). The head is taken unless
//!   `max_concurrent` checkpoints are pending (only a forced request may exceed it). A periodic
//!   head within `min_pause` of the last completion (of a checkpoint *or* savepoint; "never"
//!   initially) is dropped with `MINIMUM_TIME_BETWEEN_CHECKPOINTS`, no id is used, and the cadence
//!   restarts at the instant the pause ends (`rescheduleTrigger`). Savepoints are forced unless
//!   unaligned checkpoints are on. Decider rejections are not reported to the failure manager.
//!   The queue is re-evaluated after a new request, after each trigger, after a completion and
//!   after an abort; one trigger phase at a time (triggering is synchronous here).
//! * **Trigger (§1.5).** Pre-checks (shut down → `CHECKPOINT_COORDINATOR_SHUTDOWN`; periodic
//!   while the scheduler is stopped → `PERIODIC_SCHEDULER_SHUTDOWN`; sources not all RUNNING →
//!   `NOT_ALL_REQUIRED_TASKS_RUNNING`) fail the request without using an id
//!   ([`CoordinatorOutput::RequestFailed`]; reported to the failure manager with id `None`).
//!   Then the id is allocated (from 1, strictly increasing, never reused). If checkpoint storage
//!   is unavailable the trigger fails with `IO_EXCEPTION` and the id is consumed: 2.3 has already
//!   registered the pending checkpoint, so it is aborted like any other (with
//!   `NotifyAborted`); 1.11 fails before the pending checkpoint exists (an `Aborted` record, no
//!   notification, failure-manager id `None`). Otherwise the checkpoint is pending with an expiry
//!   deadline of `trigger + timeout` and a [`CoordinatorOutput::Trigger`] goes to the sources,
//!   with `Alignment::for_config(exactly_once, unaligned, aligned_timeout, kind)`.
//! * **Acks, declines, expiry, completion (§1.6).** Acks and declines for ids that are not
//!   pending, from unknown tasks, or duplicated are ignored. A decline aborts with the task's
//!   reason (task-level for the failure manager); expiry aborts with `CHECKPOINT_EXPIRED`
//!   (job-level). Every abort is reported to the failure manager and sent to tasks. When all tasks
//!   acked: the checkpoint goes to the store (2.3: checkpoints only; 1.11: savepoints too), the
//!   failure manager records the success, the last completion time becomes `now`; then (2.3:
//!   checkpoints only; 1.11: savepoints too) older pending non-savepoints are aborted with
//!   `CHECKPOINT_SUBSUMED` and tasks are notified.
//! * **Failover (§1.7), shutdown, restore (§1.8).** See the methods.
//!
//! # Output order
//!
//! Outputs are queued in the order the decisions happen:
//! * completion: `Completed`, `Discarded` for each checkpoint the store subsumed, then for each
//!   subsumed pending checkpoint `Aborted` + `NotifyAborted` (+ `FailJob`), then `NotifyComplete`,
//!   then whatever the re-evaluated queue triggers;
//! * abort: `Aborted`, `NotifyAborted`, `FailJob` if the failure manager says so, then the
//!   re-evaluated queue;
//! * scheduler stop: `SchedulerStopped`, `RequestFailed` for every queued request (priority
//!   order), then `Aborted` + `NotifyAborted` for every pending checkpoint (ascending id) — Flink's
//!   `abortPendingAndQueuedCheckpoints` fails the queue first;
//! * scheduler start: (1.11 only: the aborts of its stop-first) then `SchedulerStarted`;
//! * shutdown: `SchedulerStopped` (if running), queued `RequestFailed`, pending `Aborted` +
//!   `NotifyAborted`, then `Discarded` for each checkpoint retention deletes;
//! * `handle_timeout`: due events in time order (an expiry before a firing planned at the same
//!   instant), each followed by its queue re-evaluation.
//!
//! # Runtime re-tuning (seed 000)
//!
//! [`CheckpointCoordinator::retune`] validates every given field first (`interval_ms ≥ 0`,
//! `min_pause_ms ≥ 0`, `timeout_ms ≥ 10`, `0 ≤ tolerable_failures ≤ UNLIMITED`); any invalid
//! value returns a [`ConfigError`] naming `retune.<field>` and nothing changes. Then:
//! * `interval_ms`: the base interval is recomputed. If the scheduler is running, the next firing
//!   is re-planned to `max(now, last_anchor + new_base_interval)`, where `last_anchor` is the last
//!   firing's planned time (or the scheduler's start time if it has not fired yet): a shorter
//!   interval takes effect at once, a longer one pushes the next firing out. An interval < 10 ms
//!   parks the trigger (the scheduler stays started, nothing fires); enabling it again plans the
//!   next firing at `now + base_interval`. If periodic checkpoints were not configured at all,
//!   enabling them registers the (de)activator; if the job is in a state where the scheduler runs,
//!   it starts at once with its first firing at `now + base_interval` (no 1.11 stop-first: a
//!   re-tune never aborts anything). A scheduler started while the trigger is parked reports
//!   `first_trigger_at_ms = u64::MAX`.
//! * `min_pause_ms`: applies to the next decision (and to the base interval from the next firing
//!   on; the already planned firing is kept).
//! * `timeout_ms`: applies to checkpoints triggered after the change; pending ones keep their
//!   deadline.
//! * `tolerable_failures`: passed to the failure manager; the next counted failure uses it.
//!
//! # Deliberate bugs
//!
//! * [`Variant::IgnoreMinPause`]: the decider skips the min-pause check.
//! * [`Variant::RestoreFromPending`]: failover restores a checkpoint built from the acked task
//!   snapshots of the newest checkpoint that was pending since the last completion — pending at
//!   failover time, or aborted before it (the scheduler stop on RESTARTING aborts pending
//!   checkpoints before the restore, so looking only at what is still pending would rarely bite).

use crate::config::{CheckpointConfig, CheckpointingMode, ConfigError, Retune, MINIMAL_CHECKPOINT_TIME_MS, UNLIMITED};
use crate::failure_manager::{CheckpointFailureManager, FailJob};
use crate::ids::{CheckpointId, TaskId};
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, CheckpointKind};
use crate::state::TaskSnapshot;
use crate::status::JobStatus;
use crate::store::{CompletedCheckpoint, CompletedCheckpointStore};
use crate::{Profile, Variant};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// The decider's queue capacity (`CheckpointRequestDecider`'s `maxQueuedRequests`).
pub const MAX_QUEUED_REQUESTS: usize = 1000;

/// What the coordinator knows about the job's executions (fed by the host on every change).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ExecutionView {
    pub job_status: JobStatus,
    /// every execution RUNNING or FINISHED
    pub all_tasks_running_or_finished: bool,
    /// every source task RUNNING (trigger pre-flight)
    pub sources_running: bool,
}

/// Where a trigger request came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// The periodic timer.
    Periodic,
    /// A user's checkpoint request (`isPeriodic=false`, not forced).
    Manual,
    /// A user's savepoint request (forced unless unaligned checkpoints are on).
    Savepoint,
}

impl RequestKind {
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Periodic => "periodic",
            RequestKind::Manual => "manual",
            RequestKind::Savepoint => "savepoint",
        }
    }
}

/// What the coordinator asks its host to do or record (drained in decision order, see module doc).
#[derive(Clone, Debug)]
pub enum CoordinatorOutput {
    /// Send a trigger to every source task (the host knows which tasks are sources).
    Trigger {
        id: CheckpointId,
        timestamp_ms: u64,
        kind: CheckpointKind,
        alignment: Alignment,
    },
    /// Send notifyCheckpointComplete(id) to all tasks.
    NotifyComplete {
        id: CheckpointId,
    },
    /// Send notifyCheckpointAborted(id) to all tasks.
    NotifyAborted {
        id: CheckpointId,
    },
    Completed(Arc<CompletedCheckpoint>),
    Aborted {
        id: CheckpointId,
        kind: CheckpointKind,
        reason: CheckpointFailureReason,
        trigger_ms: u64,
    },
    /// A request failed before an id was allocated (decider or pre-flight); no id consumed.
    RequestFailed {
        request: RequestKind,
        reason: CheckpointFailureReason,
    },
    /// `u64::MAX` when the trigger is parked (interval disabled by a re-tune).
    SchedulerStarted {
        first_trigger_at_ms: u64,
    },
    SchedulerStopped,
    /// Tolerable-failure threshold exceeded: the job must fail through its restart strategy.
    FailJob(FailJob),
    /// A retained checkpoint was discarded (subsumed, or by retention at shutdown).
    Discarded {
        id: CheckpointId,
    },
}

/// A request waiting in the decider's queue.
#[derive(Copy, Clone, Debug)]
struct QueuedRequest {
    kind: RequestKind,
    forced: bool,
}

/// Queue order: (class, creation time, arrival sequence); smallest first = highest priority.
/// class = savepoint?0:4 + forced?0:2 + periodic?1:0.
type QueueKey = (u8, u64, u64);

#[derive(Clone, Debug)]
struct PendingCheckpoint {
    kind: CheckpointKind,
    forced: bool,
    trigger_ms: u64,
    deadline_ms: u64,
    acks: BTreeMap<TaskId, TaskSnapshot>,
}

/// What [`Variant::RestoreFromPending`] remembers of the newest never-completed checkpoint.
#[derive(Clone, Debug)]
struct Partial {
    id: CheckpointId,
    kind: CheckpointKind,
    trigger_ms: u64,
    acks: BTreeMap<TaskId, TaskSnapshot>,
}

/// Flink's CheckpointCoordinator for one job (see the module doc).
#[derive(Clone, Debug)]
pub struct CheckpointCoordinator {
    config: CheckpointConfig,
    profile: Profile,
    variant: Variant,
    tasks: BTreeSet<TaskId>,
    failure_manager: CheckpointFailureManager,
    store: CompletedCheckpointStore,
    next_id: CheckpointId,
    pending: BTreeMap<CheckpointId, PendingCheckpoint>,
    queue: BTreeMap<QueueKey, QueuedRequest>,
    queue_seq: u64,
    /// Last completion of a checkpoint or savepoint; `None` = never.
    last_completion_ms: Option<u64>,
    view: Option<ExecutionView>,
    storage_available: bool,
    /// Completed or aborted checkpoints whose state is still being discarded (Flink's
    /// `CheckpointsCleaner.getNumberOfCheckpointsToClean`, fed by the host).
    cleaning: u32,
    /// The next id allocation fails (Flink's `CheckpointIDCounter.getAndIncrement` throwing).
    fail_next_id_allocation: bool,
    shut_down: bool,
    /// The (de)activator listens to the view (periodic checkpoints configured, or enabled by a re-tune).
    activator_registered: bool,
    /// Flink's `periodicScheduling`.
    scheduler_running: bool,
    /// Next periodic firing; `None` when stopped or parked.
    next_fire_ms: Option<u64>,
    /// The last firing's planned time, or the scheduler's start time before the first firing.
    anchor_ms: u64,
    scheduler_starts: u32,
    /// 2.3: the initial delay drawn at construction (used by the first start only).
    first_start_delay_ms: Option<u64>,
    partial: Option<Partial>,
    /// FLIP-147 (flink-2.3): tasks of the current attempt that are FINISHED, with the state
    /// they finished with (their snapshot in the latest completed checkpoint). They are not
    /// triggered and not waited for; a checkpoint completing without their ack carries this
    /// state for them (Flink's "fully finished" operator state).
    finished: BTreeMap<TaskId, TaskSnapshot>,
    /// A re-evaluation of the queue is due (after an abort or completion).
    reevaluate: bool,
    now_ms: u64,
    outputs: VecDeque<CoordinatorOutput>,
}

/// Uniform in `[min_pause_ms, base_ms]` from one random value.
fn draw_initial_delay_ms(min_pause_ms: u64, base_ms: u64, random: u64) -> u64 {
    assert!(base_ms >= min_pause_ms, "base interval below min pause");
    min_pause_ms + random % (base_ms - min_pause_ms + 1)
}

fn kind_of(request: RequestKind) -> CheckpointKind {
    match request {
        RequestKind::Savepoint => CheckpointKind::Savepoint,
        RequestKind::Periodic | RequestKind::Manual => CheckpointKind::Checkpoint,
    }
}

impl CheckpointCoordinator {
    /// `tasks`: every task (acks expected from all); `config` already validated.
    /// `random`: a uniform random u64 used for the initial delay drawn at construction (2.3).
    pub fn new(config: &CheckpointConfig, profile: Profile, variant: Variant, tasks: Vec<TaskId>, random: u64) -> Self {
        if let Err(e) = config.validate(profile) {
            panic!("the coordinator needs a validated config: {e}");
        }
        let tasks: BTreeSet<TaskId> = tasks.into_iter().collect();
        assert!(!tasks.is_empty(), "a job has at least one task");
        let tolerable = config.tolerable_failures.clamp(0, UNLIMITED as i64) as u32;
        let first_start_delay_ms = if profile.initial_delay_drawn_once() {
            config.base_interval_ms().map(|base| draw_initial_delay_ms(config.min_pause_normalized_ms(), base, random))
        } else {
            None
        };
        let c = CheckpointCoordinator {
            config: config.clone(),
            profile,
            variant,
            tasks,
            failure_manager: CheckpointFailureManager::new(tolerable, profile),
            store: CompletedCheckpointStore::new(
                config.num_retained.clamp(1, u32::MAX as i64) as u32,
                config.retention,
                profile,
            ),
            next_id: CheckpointId::FIRST,
            pending: BTreeMap::new(),
            queue: BTreeMap::new(),
            queue_seq: 0,
            last_completion_ms: None,
            view: None,
            storage_available: true,
            cleaning: 0,
            fail_next_id_allocation: false,
            shut_down: false,
            activator_registered: config.periodic_enabled(),
            scheduler_running: false,
            next_fire_ms: None,
            anchor_ms: 0,
            scheduler_starts: 0,
            first_start_delay_ms,
            partial: None,
            finished: BTreeMap::new(),
            reevaluate: false,
            now_ms: 0,
            outputs: VecDeque::new(),
        };
        c.invariants();
        c
    }

    // ------------------------------------------------------------------------------------ inputs

    /// Called whenever the job status or any execution state changes. Starts/stops the periodic
    /// scheduler per profile (§1.3). `random`: used for the 1.11 per-start initial delay draw.
    pub fn handle_execution_view(&mut self, now_ms: u64, view: ExecutionView, random: u64) {
        self.enter(now_ms);
        self.view = Some(view);
        if self.activator_registered && !self.shut_down {
            let should_run = self.activation_condition();
            if should_run && !self.scheduler_running {
                if self.profile.start_scheduler_stops_first() {
                    self.abort_pending_and_queued(now_ms, CheckpointFailureReason::CheckpointCoordinatorSuspend);
                }
                let first = self.start_delay_ms(random).map(|d| now_ms + d);
                self.start_scheduler(now_ms, first);
            } else if !should_run && self.scheduler_running {
                self.stop_scheduler(now_ms);
            }
        }
        self.finish(now_ms);
    }

    /// Fires due timers: periodic trigger, checkpoint expiry (CHECKPOINT_EXPIRED).
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.enter(now_ms);
        loop {
            let expiry =
                self.pending.iter().filter(|(_, p)| p.deadline_ms <= now_ms).map(|(id, p)| (p.deadline_ms, *id)).min();
            let fire = self.next_fire_ms.filter(|t| *t <= now_ms);
            match (expiry, fire) {
                (Some((deadline, id)), f) if f.is_none_or(|f| deadline <= f) => {
                    self.abort(now_ms, id, CheckpointFailureReason::CheckpointExpired, None);
                }
                (_, Some(planned_ms)) => {
                    self.anchor_ms = planned_ms;
                    self.next_fire_ms = self.config.base_interval_ms().map(|base| planned_ms + base);
                    self.submit(now_ms, RequestKind::Periodic);
                }
                _ => break,
            }
            self.reevaluate_if_due(now_ms);
        }
        self.finish(now_ms);
    }

    /// A user request (Manual checkpoint or Savepoint). Periodic requests come only from the
    /// timer; a `Periodic` given here is treated like one (and fails with
    /// `PERIODIC_SCHEDULER_SHUTDOWN` if the scheduler is stopped).
    pub fn request(&mut self, now_ms: u64, kind: RequestKind) {
        self.enter(now_ms);
        self.submit(now_ms, kind);
        self.finish(now_ms);
    }

    pub fn handle_ack(&mut self, now_ms: u64, id: CheckpointId, task: TaskId, snapshot: TaskSnapshot) {
        self.enter(now_ms);
        if self.tasks.contains(&task) {
            let mut done = false;
            if let Some(p) = self.pending.get_mut(&id) {
                if let std::collections::btree_map::Entry::Vacant(e) = p.acks.entry(task) {
                    e.insert(snapshot);
                    done = true;
                }
            }
            if done && self.fully_acked(id) {
                self.complete(now_ms, id);
            }
        }
        self.finish(now_ms);
    }

    /// A task of the current attempt reached FINISHED. With checkpoints after tasks finish
    /// ([`Profile::checkpoints_after_tasks_finish`]) it is no longer waited for: its state is
    /// the one it had in the latest completed checkpoint (it finished only after its final
    /// checkpoint completed), and pending checkpoints that now have every other ack complete.
    /// 1.11 keeps waiting (its checkpoints cannot complete once a task finished).
    pub fn handle_task_finished(&mut self, now_ms: u64, task: TaskId) {
        self.enter(now_ms);
        if self.profile.checkpoints_after_tasks_finish() && self.tasks.contains(&task) {
            let state = self.store.latest().and_then(|c| c.tasks.get(&task)).cloned().unwrap_or_default();
            self.finished.insert(task, state);
            let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
            for id in ids {
                if self.pending.contains_key(&id) && self.fully_acked(id) {
                    self.complete(now_ms, id);
                }
            }
        }
        self.finish(now_ms);
    }

    /// Tasks known to be FINISHED (flink-2.3 only).
    pub fn finished_tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.finished.keys().copied()
    }

    /// Every task acked `id` or is FINISHED.
    fn fully_acked(&self, id: CheckpointId) -> bool {
        self.pending
            .get(&id)
            .is_some_and(|p| self.tasks.iter().all(|t| p.acks.contains_key(t) || self.finished.contains_key(t)))
    }

    pub fn handle_decline(&mut self, now_ms: u64, id: CheckpointId, task: TaskId, reason: CheckpointFailureReason) {
        self.enter(now_ms);
        if self.tasks.contains(&task) && self.pending.contains_key(&id) {
            self.abort(now_ms, id, reason, Some(task));
        }
        self.finish(now_ms);
    }

    /// Checkpoint storage reachable or not; while not, a trigger fails with IO_EXCEPTION after the
    /// id is allocated (id consumed).
    pub fn handle_storage_status(&mut self, now_ms: u64, available: bool) {
        self.enter(now_ms);
        self.storage_available = available;
        self.finish(now_ms);
    }

    /// The number of completed or aborted checkpoints whose state is still being discarded. While
    /// it is above `max_concurrent` the decider triggers nothing (Flink 1.12+
    /// `CheckpointRequestDecider`: "too many checkpoints being cleaned"); requests wait in the
    /// queue and the queue is re-evaluated when the number changes.
    pub fn handle_checkpoints_cleaning(&mut self, now_ms: u64, count: u32) {
        self.enter(now_ms);
        self.cleaning = count;
        self.choose(now_ms);
        self.finish(now_ms);
    }

    /// The next checkpoint id allocation fails (the HA id counter throws). The request that
    /// reaches that step fails with `TRIGGER_CHECKPOINT_FAILURE` before any pending checkpoint
    /// exists and without consuming an id; later triggers allocate ids as usual
    /// (`CheckpointCoordinatorTriggeringTest.testTriggerCheckpointInitializationFailed`).
    pub fn fail_next_id_allocation(&mut self) {
        self.fail_next_id_allocation = true;
        self.invariants();
    }

    /// Runtime re-tuning (seed 000; semantics in the module doc). Invalid values → `Err` naming
    /// the field (`retune.interval_ms` ...); the old config stays in force.
    pub fn retune(&mut self, now_ms: u64, retune: &Retune) -> Result<(), ConfigError> {
        self.enter(now_ms);
        let checked = Self::validate_retune(retune);
        if checked.is_ok() {
            if let Some(t) = retune.tolerable_failures {
                self.config.tolerable_failures = t;
                self.failure_manager.set_tolerable_failures(t as u32);
            }
            if let Some(t) = retune.timeout_ms {
                self.config.timeout_ms = t;
            }
            if let Some(m) = retune.min_pause_ms {
                self.config.min_pause_ms = m;
            }
            if let Some(i) = retune.interval_ms {
                self.config.interval_ms = Some(i);
                self.replan_interval(now_ms);
            }
        }
        self.finish(now_ms);
        checked
    }

    /// Global failover restore (§1.7): abort everything pending with JOB_FAILOVER_REGION (not
    /// counted); returns the latest completed checkpoint to restore.
    /// [`Variant::RestoreFromPending`]: returns a checkpoint built from the newest never-completed
    /// checkpoint's acked snapshots instead, if there is one (see the module doc).
    pub fn handle_global_failover(&mut self, now_ms: u64) -> Option<Arc<CompletedCheckpoint>> {
        self.enter(now_ms);
        // Every task gets a new attempt: none of them is finished any more.
        self.finished.clear();
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(now_ms, id, CheckpointFailureReason::JobFailoverRegion, None);
        }
        self.finish(now_ms);
        let latest = self.store.latest().cloned();
        if self.variant == Variant::RestoreFromPending {
            if let Some(p) = &self.partial {
                if latest.as_ref().is_none_or(|l| l.id < p.id) {
                    let size_bytes = p.acks.values().map(TaskSnapshot::size_bytes).sum();
                    return Some(Arc::new(CompletedCheckpoint {
                        id: p.id,
                        kind: p.kind,
                        trigger_ms: p.trigger_ms,
                        completed_ms: now_ms,
                        tasks: p.acks.clone(),
                        size_bytes,
                        external: false,
                    }));
                }
            }
        }
        latest
    }

    /// Terminal job status: pending aborted with CHECKPOINT_COORDINATOR_SHUTDOWN, queued failed,
    /// store shut down with retention; returns the kept checkpoints. A second call returns nothing.
    pub fn shutdown(&mut self, now_ms: u64, status: JobStatus) -> Vec<Arc<CompletedCheckpoint>> {
        self.enter(now_ms);
        assert!(status.is_terminal(), "shutdown with non-terminal status {status}");
        if self.shut_down {
            self.finish(now_ms);
            return Vec::new();
        }
        if self.scheduler_running {
            self.scheduler_running = false;
            self.next_fire_ms = None;
            self.outputs.push_back(CoordinatorOutput::SchedulerStopped);
        }
        self.shut_down = true;
        self.abort_pending_and_queued(now_ms, CheckpointFailureReason::CheckpointCoordinatorShutdown);
        let (kept, discarded) = self.store.shutdown(status);
        for id in discarded {
            self.outputs.push_back(CoordinatorOutput::Discarded { id });
        }
        self.finish(now_ms);
        kept
    }

    /// JobManager failover: the checkpoint id counter is durable (Flink's `CheckpointIDCounter`
    /// lives in the HA services), so a new JobManager continues from it instead of from the
    /// latest completed checkpoint; ids of checkpoints that failed after it are not reused.
    /// Never lowers the counter.
    pub fn recover_id_counter(&mut self, next: CheckpointId) {
        self.next_id = self.next_id.max(next);
        self.invariants();
    }

    /// A new job started from a retained checkpoint / savepoint: id counter := id + 1 (never
    /// lowered, so ids are never reused); it becomes the latest completed (external = true).
    pub fn restore_from(&mut self, cp: Arc<CompletedCheckpoint>) {
        self.next_id = self.next_id.max(cp.id.next());
        let cp = if cp.external {
            cp
        } else {
            Arc::new(CompletedCheckpoint {
                id: cp.id,
                kind: cp.kind,
                trigger_ms: cp.trigger_ms,
                completed_ms: cp.completed_ms,
                tasks: cp.tasks.clone(),
                size_bytes: cp.size_bytes,
                external: true,
            })
        };
        for id in self.store.add(cp) {
            self.outputs.push_back(CoordinatorOutput::Discarded { id });
        }
        self.invariants();
    }

    /// JobManager failover (HA): the latest completed checkpoint recovered from the durable
    /// store is still this job's own (Flink's `CompletedCheckpointStore` recovery): subsumption
    /// and the retention policy apply to it as to any other; unlike [`Self::restore_from`] it is
    /// not marked external. The id counter is recovered separately.
    pub fn recover_from_ha(&mut self, cp: Arc<CompletedCheckpoint>) {
        self.next_id = self.next_id.max(cp.id.next());
        for id in self.store.add(cp) {
            self.outputs.push_back(CoordinatorOutput::Discarded { id });
        }
        self.invariants();
    }

    pub fn poll_output(&mut self) -> Option<CoordinatorOutput> {
        self.outputs.pop_front()
    }

    /// The earliest of the next periodic firing and the pending checkpoints' expiry deadlines.
    pub fn poll_timeout(&self) -> Option<u64> {
        let expiry = self.pending.values().map(|p| p.deadline_ms).min();
        match (self.next_fire_ms, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----------------------------------------------------------------------------------- queries

    pub fn pending_ids(&self) -> Vec<CheckpointId> {
        self.pending.keys().copied().collect()
    }

    pub fn latest_completed(&self) -> Option<&Arc<CompletedCheckpoint>> {
        self.store.latest()
    }

    pub fn next_checkpoint_id(&self) -> CheckpointId {
        self.next_id
    }

    /// The config in force (after re-tunes).
    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    pub fn scheduler_running(&self) -> bool {
        self.scheduler_running
    }

    /// Requests waiting in the decider's queue.
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    /// The failure manager's consecutive counted failures.
    pub fn consecutive_failures(&self) -> u32 {
        self.failure_manager.consecutive_failures()
    }

    pub fn invariants(&self) {
        assert!(self.next_id >= CheckpointId::FIRST, "ids start at 1");
        if let Some((&newest, _)) = self.pending.last_key_value() {
            assert!(newest < self.next_id, "pending id {newest} not below the counter {}", self.next_id);
        }
        if let Some(latest) = self.store.latest() {
            assert!(latest.id < self.next_id, "completed id {} not below the counter {}", latest.id, self.next_id);
        }
        for (id, p) in &self.pending {
            assert!(p.acks.len() < self.tasks.len(), "checkpoint {id} fully acked but still pending");
            assert!(
                !self.tasks.iter().all(|t| p.acks.contains_key(t) || self.finished.contains_key(t)),
                "checkpoint {id} acked by every unfinished task but still pending"
            );
            assert!(p.acks.keys().all(|t| self.tasks.contains(t)), "checkpoint {id} has an ack from an unknown task");
            assert!(p.deadline_ms >= p.trigger_ms + MINIMAL_CHECKPOINT_TIME_MS as u64, "checkpoint {id} deadline");
            assert!(p.trigger_ms <= self.now_ms, "checkpoint {id} triggered in the future");
            assert!(!p.forced || p.kind == CheckpointKind::Savepoint, "only savepoints are forced");
        }
        let max = self.config.max_concurrent as usize;
        let unforced = self.pending.values().filter(|p| !p.forced).count();
        assert!(unforced <= max, "{unforced} non-forced checkpoints pending, max concurrent {max}");
        assert!(self.queue.len() <= MAX_QUEUED_REQUESTS, "decider queue over capacity");
        if let Some(head) = self.queue.values().next() {
            // After every evaluation the queue is blocked: by max-concurrent, or a periodic head
            // waits for the next firing (min pause dropped the one before it).
            assert!(
                (self.pending.len() >= max && !head.forced)
                    || head.kind == RequestKind::Periodic
                    || i64::from(self.cleaning) > self.config.max_concurrent,
                "queue head {:?} could be triggered",
                head.kind
            );
        }
        assert!(!self.reevaluate, "queue re-evaluation left undone");
        if self.scheduler_running {
            assert!(self.activator_registered, "scheduler running without its activator");
        } else {
            assert!(self.next_fire_ms.is_none(), "periodic timer armed while the scheduler is stopped");
        }
        if self.next_fire_ms.is_some() {
            assert!(self.config.periodic_enabled(), "periodic timer armed while the interval is disabled");
        }
        if self.shut_down {
            assert!(self.pending.is_empty() && self.queue.is_empty(), "work left after shutdown");
            assert!(!self.scheduler_running, "scheduler running after shutdown");
        }
        if let Some(t) = self.last_completion_ms {
            assert!(t <= self.now_ms, "completion in the future");
        }
        if let Some(p) = &self.partial {
            assert_eq!(self.variant, Variant::RestoreFromPending, "partial state kept outside its variant");
            assert!(p.id < self.next_id);
        }
        assert!(self.config.validate(self.profile).is_ok(), "config in force is invalid");
        self.store.invariants();
        self.failure_manager.invariants();
    }

    // --------------------------------------------------------------------------------- internals

    fn enter(&mut self, now_ms: u64) {
        assert!(now_ms >= self.now_ms, "time went backwards: {now_ms} < {}", self.now_ms);
        self.now_ms = now_ms;
    }

    fn finish(&mut self, now_ms: u64) {
        self.reevaluate_if_due(now_ms);
        self.invariants();
    }

    fn activation_condition(&self) -> bool {
        match self.view {
            None => false,
            Some(v) => {
                v.job_status == JobStatus::Running
                    && (!self.profile.scheduler_waits_for_all_tasks_running() || v.all_tasks_running_or_finished)
            }
        }
    }

    /// The initial delay of a start by the activator; `None` while the trigger is parked.
    fn start_delay_ms(&self, random: u64) -> Option<u64> {
        let base = self.config.base_interval_ms()?;
        let min_pause = self.config.min_pause_normalized_ms();
        Some(if self.profile.initial_delay_drawn_once() {
            match (self.scheduler_starts, self.first_start_delay_ms) {
                (0, Some(d)) => d,
                _ => min_pause,
            }
        } else {
            draw_initial_delay_ms(min_pause, base, random)
        })
    }

    fn start_scheduler(&mut self, now_ms: u64, first_fire_ms: Option<u64>) {
        assert!(!self.scheduler_running && !self.shut_down);
        self.scheduler_running = true;
        self.scheduler_starts += 1;
        self.anchor_ms = now_ms;
        self.next_fire_ms = first_fire_ms;
        self.outputs
            .push_back(CoordinatorOutput::SchedulerStarted { first_trigger_at_ms: first_fire_ms.unwrap_or(u64::MAX) });
    }

    fn stop_scheduler(&mut self, now_ms: u64) {
        assert!(self.scheduler_running);
        self.scheduler_running = false;
        self.next_fire_ms = None;
        self.outputs.push_back(CoordinatorOutput::SchedulerStopped);
        self.abort_pending_and_queued(now_ms, CheckpointFailureReason::CheckpointCoordinatorSuspend);
    }

    /// Flink's `abortPendingAndQueuedCheckpoints`: the queue first, then pending (ascending id).
    fn abort_pending_and_queued(&mut self, now_ms: u64, reason: CheckpointFailureReason) {
        for (_, q) in std::mem::take(&mut self.queue) {
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: q.kind, reason });
        }
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort(now_ms, id, reason, None);
        }
    }

    /// `rescheduleTrigger(delay)`: restart the cadence at `now + delay` (only while the
    /// scheduler runs with an enabled interval).
    fn reschedule_trigger(&mut self, now_ms: u64, delay_ms: u64) {
        if self.scheduler_running && self.config.periodic_enabled() {
            self.next_fire_ms = Some(now_ms + delay_ms);
        }
    }

    fn replan_interval(&mut self, now_ms: u64) {
        let Some(base) = self.config.base_interval_ms() else {
            // Disabled: park the trigger; the activator stays registered.
            self.next_fire_ms = None;
            return;
        };
        if !self.activator_registered {
            self.activator_registered = true;
            if !self.shut_down && self.activation_condition() {
                self.start_scheduler(now_ms, Some(now_ms + base));
            }
        } else if self.scheduler_running {
            self.next_fire_ms = Some(match self.next_fire_ms {
                None => now_ms + base,
                Some(_) => now_ms.max(self.anchor_ms + base),
            });
        }
    }

    fn validate_retune(r: &Retune) -> Result<(), ConfigError> {
        if let Some(i) = r.interval_ms {
            if i < 0 {
                return Err(ConfigError::new(
                    "retune.interval_ms",
                    format!("must be >= 0 (got {i}); below 10 ms disables periodic checkpoints"),
                ));
            }
        }
        if let Some(m) = r.min_pause_ms {
            if m < 0 {
                return Err(ConfigError::new("retune.min_pause_ms", format!("must be >= 0 (got {m})")));
            }
        }
        if let Some(t) = r.timeout_ms {
            if t < MINIMAL_CHECKPOINT_TIME_MS {
                return Err(ConfigError::new("retune.timeout_ms", format!("must be >= 10 (got {t})")));
            }
        }
        if let Some(t) = r.tolerable_failures {
            if !(0..=UNLIMITED as i64).contains(&t) {
                return Err(ConfigError::new(
                    "retune.tolerable_failures",
                    format!("must be in [0, {UNLIMITED}] (got {t})"),
                ));
            }
        }
        Ok(())
    }

    /// A new request enters the decider (§1.4 "on a new request").
    fn submit(&mut self, now_ms: u64, kind: RequestKind) {
        let forced = kind == RequestKind::Savepoint && !self.config.unaligned;
        if self.queue.len() >= MAX_QUEUED_REQUESTS {
            let lowest_is_periodic = self.queue.values().next_back().is_some_and(|q| q.kind == RequestKind::Periodic);
            if !lowest_is_periodic {
                self.outputs.push_back(CoordinatorOutput::RequestFailed {
                    request: kind,
                    reason: CheckpointFailureReason::TooManyCheckpointRequests,
                });
                return;
            }
        }
        let class = if kind == RequestKind::Savepoint { 0 } else { 4 }
            + if forced { 0 } else { 2 }
            + if kind == RequestKind::Periodic { 1 } else { 0 };
        self.queue.insert((class, now_ms, self.queue_seq), QueuedRequest { kind, forced });
        self.queue_seq += 1;
        if self.queue.len() > MAX_QUEUED_REQUESTS {
            let (_, dropped) = self.queue.pop_last().expect("queue over capacity is not empty");
            self.outputs.push_back(CoordinatorOutput::RequestFailed {
                request: dropped.kind,
                reason: CheckpointFailureReason::TooManyCheckpointRequests,
            });
        }
        self.choose(now_ms);
    }

    fn reevaluate_if_due(&mut self, now_ms: u64) {
        if std::mem::take(&mut self.reevaluate) {
            self.choose(now_ms);
        }
    }

    /// The decider's *choose*, repeated after each trigger (one trigger phase at a time).
    fn choose(&mut self, now_ms: u64) {
        self.reevaluate = false;
        while let Some((&key, &head)) = self.queue.first_key_value() {
            if i64::from(self.cleaning) > self.config.max_concurrent {
                break;
            }
            if self.pending.len() >= self.config.max_concurrent as usize && !head.forced {
                break;
            }
            if head.kind == RequestKind::Periodic && !head.forced && self.variant != Variant::IgnoreMinPause {
                if let Some(last) = self.last_completion_ms {
                    let due_ms = last + self.config.min_pause_normalized_ms();
                    if due_ms > now_ms {
                        self.queue.remove(&key);
                        self.outputs.push_back(CoordinatorOutput::RequestFailed {
                            request: head.kind,
                            reason: CheckpointFailureReason::MinimumTimeBetweenCheckpoints,
                        });
                        self.reschedule_trigger(now_ms, due_ms - now_ms);
                        break;
                    }
                }
            }
            self.queue.remove(&key);
            self.trigger(now_ms, head);
        }
        self.reevaluate = false;
    }

    /// The trigger pipeline (§1.5) for one chosen request.
    fn trigger(&mut self, now_ms: u64, req: QueuedRequest) {
        let kind = kind_of(req.kind);
        let precheck = if self.shut_down {
            Some(CheckpointFailureReason::CheckpointCoordinatorShutdown)
        } else if req.kind == RequestKind::Periodic && !self.scheduler_running {
            Some(CheckpointFailureReason::PeriodicSchedulerShutdown)
        } else if !self.view.is_some_and(|v| v.sources_running) {
            Some(CheckpointFailureReason::NotAllRequiredTasksRunning)
        } else {
            None
        };
        if let Some(reason) = precheck {
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: req.kind, reason });
            self.report_failure(None, kind, reason, None);
            return;
        }
        if std::mem::take(&mut self.fail_next_id_allocation) {
            let reason = CheckpointFailureReason::TriggerCheckpointFailure;
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: req.kind, reason });
            self.report_failure(None, kind, reason, None);
            return;
        }
        let id = self.next_id;
        self.next_id = id.next();
        let pending = PendingCheckpoint {
            kind,
            forced: req.forced,
            trigger_ms: now_ms,
            deadline_ms: now_ms + self.config.timeout_ms as u64,
            acks: BTreeMap::new(),
        };
        if !self.storage_available {
            let reason = CheckpointFailureReason::IoException;
            if self.profile.pending_created_before_storage_init() {
                self.pending.insert(id, pending);
                self.abort(now_ms, id, reason, None);
            } else {
                self.outputs.push_back(CoordinatorOutput::Aborted { id, kind, reason, trigger_ms: now_ms });
                self.report_failure(None, kind, reason, None);
            }
            return;
        }
        self.pending.insert(id, pending);
        let alignment = Alignment::for_config(
            self.config.mode == CheckpointingMode::ExactlyOnce,
            self.config.unaligned,
            self.config.aligned_timeout_ms.max(0) as u64,
            kind,
        );
        self.outputs.push_back(CoordinatorOutput::Trigger { id, timestamp_ms: now_ms, kind, alignment });
    }

    fn report_failure(
        &mut self,
        id: Option<CheckpointId>,
        kind: CheckpointKind,
        reason: CheckpointFailureReason,
        task: Option<TaskId>,
    ) {
        if let Some(fail) = self.failure_manager.handle_checkpoint_failure(id, kind, reason, task) {
            self.outputs.push_back(CoordinatorOutput::FailJob(fail));
        }
    }

    /// Aborts one pending checkpoint (any reason); the queue is re-evaluated afterwards.
    fn abort(&mut self, _now_ms: u64, id: CheckpointId, reason: CheckpointFailureReason, task: Option<TaskId>) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        if self.variant == Variant::RestoreFromPending
            && !p.acks.is_empty()
            && self.partial.as_ref().is_none_or(|q| q.id < id)
            && self.store.latest().is_none_or(|l| l.id < id)
        {
            self.partial = Some(Partial { id, kind: p.kind, trigger_ms: p.trigger_ms, acks: p.acks.clone() });
        }
        self.outputs.push_back(CoordinatorOutput::Aborted { id, kind: p.kind, reason, trigger_ms: p.trigger_ms });
        self.outputs.push_back(CoordinatorOutput::NotifyAborted { id });
        self.report_failure(Some(id), p.kind, reason, task);
        self.reevaluate = true;
    }

    /// All tasks acked: store, failure-manager success, subsumption, notification (§1.6).
    fn complete(&mut self, now_ms: u64, id: CheckpointId) {
        let mut p = self.pending.remove(&id).expect("completing a pending checkpoint");
        for (t, state) in &self.finished {
            p.acks.entry(*t).or_insert_with(|| state.clone());
        }
        let size_bytes = p.acks.values().map(TaskSnapshot::size_bytes).sum();
        let cp = Arc::new(CompletedCheckpoint {
            id,
            kind: p.kind,
            trigger_ms: p.trigger_ms,
            completed_ms: now_ms,
            tasks: p.acks,
            size_bytes,
            external: false,
        });
        self.outputs.push_back(CoordinatorOutput::Completed(cp.clone()));
        let is_checkpoint = p.kind == CheckpointKind::Checkpoint;
        if is_checkpoint || self.profile.savepoints_in_completed_store() {
            for discarded in self.store.add(cp) {
                self.outputs.push_back(CoordinatorOutput::Discarded { id: discarded });
            }
        }
        self.failure_manager.handle_checkpoint_success(id);
        self.last_completion_ms = Some(now_ms);
        if is_checkpoint || self.profile.savepoint_completion_notifies() {
            let subsumed: Vec<CheckpointId> = self
                .pending
                .range(..id)
                .filter(|(_, q)| q.kind == CheckpointKind::Checkpoint)
                .map(|(i, _)| *i)
                .collect();
            for old in subsumed {
                self.abort(now_ms, old, CheckpointFailureReason::CheckpointSubsumed, None);
            }
            self.outputs.push_back(CoordinatorOutput::NotifyComplete { id });
        }
        self.reevaluate = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Retention;
    use crate::record::Alignment;
    use CheckpointFailureReason as R;

    /// One input to the coordinator, at the script's current time.
    #[derive(Clone, Debug)]
    enum Step {
        /// Job RUNNING with every task RUNNING; the value is the view's `random`.
        Up(u64),
        /// An arbitrary view: job status, all executions RUNNING/FINISHED, sources RUNNING, random.
        View(JobStatus, bool, bool, u64),
        /// Advance the clock to this time, firing every due timer on the way (the host loop).
        To(u64),
        /// One late `handle_timeout(t)`: the host slept through several timers.
        Late(u64),
        Ack(u64, u32),
        /// Acks from every task.
        AckAll(u64),
        Decline(u64, u32, R),
        Req(RequestKind),
        ReqN(RequestKind, usize),
        Tune(Retune),
        Storage(bool),
        Failover,
        Shutdown(JobStatus),
        RestoreFrom(u64, CheckpointKind),
        /// Renders the queries.
        Probe,
        /// Renders the config in force.
        Config,
    }
    use Step::*;

    struct Case {
        profile: Profile,
        variant: Variant,
        config: CheckpointConfig,
        tasks: u32,
        /// The construction-time random (2.3's initial delay).
        random: u64,
        steps: Vec<Step>,
        expect: Vec<&'static str>,
    }

    /// Defaults: 2.3, correct, interval 1000 (so the 2.3 initial delay is 500 % 1001 = 500),
    /// min pause 0, timeout 10 min, max concurrent 1, tolerable 0, two tasks.
    fn base() -> Case {
        Case {
            profile: Profile::Flink23,
            variant: Variant::Correct,
            config: interval(Some(1000)),
            tasks: 2,
            random: 500,
            steps: vec![],
            expect: vec![],
        }
    }

    fn interval(ms: Option<i64>) -> CheckpointConfig {
        CheckpointConfig { interval_ms: ms, ..CheckpointConfig::default() }
    }

    fn cfg(ms: Option<i64>, f: impl FnOnce(&mut CheckpointConfig)) -> CheckpointConfig {
        let mut c = interval(ms);
        f(&mut c);
        c
    }

    fn retune(f: impl FnOnce(&mut Retune)) -> Step {
        let mut r = Retune::default();
        f(&mut r);
        Tune(r)
    }

    fn snapshot() -> TaskSnapshot {
        TaskSnapshot { padding_bytes: 100, ..TaskSnapshot::default() }
    }

    fn kind_name(k: CheckpointKind) -> &'static str {
        match k {
            CheckpointKind::Checkpoint => "ckpt",
            CheckpointKind::Savepoint => "savepoint",
        }
    }

    fn render(now: u64, o: &CoordinatorOutput) -> String {
        let body = match o {
            CoordinatorOutput::Trigger { id, timestamp_ms, kind, alignment } => {
                assert_eq!(*timestamp_ms, now, "trigger timestamp is the trigger time");
                let a = match alignment {
                    Alignment::AtLeastOnce => "at-least-once".to_string(),
                    Alignment::Aligned => "aligned".to_string(),
                    Alignment::Unaligned => "unaligned".to_string(),
                    Alignment::AlignedWithTimeout { timeout_ms } => format!("aligned-timeout={timeout_ms}"),
                };
                format!("trigger id={id} {} {a}", kind_name(*kind))
            }
            CoordinatorOutput::NotifyComplete { id } => format!("notify-complete id={id}"),
            CoordinatorOutput::NotifyAborted { id } => format!("notify-aborted id={id}"),
            CoordinatorOutput::Completed(cp) => {
                assert_eq!(cp.completed_ms, now);
                assert!(cp.trigger_ms <= now && !cp.external);
                format!("complete id={} {} acks={} bytes={}", cp.id, kind_name(cp.kind), cp.tasks.len(), cp.size_bytes)
            }
            CoordinatorOutput::Aborted { id, kind, reason, trigger_ms } => {
                assert!(*trigger_ms <= now);
                format!("abort id={id} {} {reason}", kind_name(*kind))
            }
            CoordinatorOutput::RequestFailed { request, reason } => format!("rejected {} {reason}", request.name()),
            CoordinatorOutput::SchedulerStarted { first_trigger_at_ms } => {
                if *first_trigger_at_ms == u64::MAX {
                    "sched-start parked".to_string()
                } else {
                    format!("sched-start first={first_trigger_at_ms}")
                }
            }
            CoordinatorOutput::SchedulerStopped => "sched-stop".to_string(),
            CoordinatorOutput::FailJob(f) => format!(
                "fail-job {} id={} task={}",
                f.reason,
                f.id.map(|i| i.to_string()).unwrap_or("-".into()),
                f.task.map(|t| t.to_string()).unwrap_or("-".into())
            ),
            CoordinatorOutput::Discarded { id } => format!("discard id={id}"),
        };
        format!("t={now} {body}")
    }

    fn opt(v: Option<impl std::fmt::Display>) -> String {
        v.map(|x| x.to_string()).unwrap_or("-".into())
    }

    /// Drives a coordinator through the script and renders every output, one per line.
    fn run(case: &Case) -> Vec<String> {
        let tasks: Vec<TaskId> = (0..case.tasks).map(TaskId).collect();
        let mut c = CheckpointCoordinator::new(&case.config, case.profile, case.variant, tasks.clone(), case.random);
        let mut now = 0u64;
        let mut out = Vec::new();
        let drain = |c: &mut CheckpointCoordinator, now: u64, out: &mut Vec<String>| {
            while let Some(o) = c.poll_output() {
                out.push(render(now, &o));
            }
        };
        for step in &case.steps {
            match step.clone() {
                Up(random) => {
                    let v = ExecutionView {
                        job_status: JobStatus::Running,
                        all_tasks_running_or_finished: true,
                        sources_running: true,
                    };
                    c.handle_execution_view(now, v, random);
                }
                View(job_status, all, sources_running, random) => {
                    let v = ExecutionView { job_status, all_tasks_running_or_finished: all, sources_running };
                    c.handle_execution_view(now, v, random);
                }
                To(t) => {
                    let mut guard = 0;
                    while let Some(due) = c.poll_timeout() {
                        if due > t {
                            break;
                        }
                        now = now.max(due);
                        c.handle_timeout(now);
                        drain(&mut c, now, &mut out);
                        guard += 1;
                        assert!(guard < 100_000, "timer does not advance");
                    }
                    now = t;
                }
                Late(t) => {
                    now = t;
                    c.handle_timeout(now);
                }
                Ack(id, task) => c.handle_ack(now, CheckpointId(id), TaskId(task), snapshot()),
                AckAll(id) => {
                    for t in &tasks {
                        c.handle_ack(now, CheckpointId(id), *t, snapshot());
                    }
                }
                Decline(id, task, reason) => c.handle_decline(now, CheckpointId(id), TaskId(task), reason),
                Req(kind) => c.request(now, kind),
                ReqN(kind, n) => {
                    for _ in 0..n {
                        c.request(now, kind);
                    }
                }
                Tune(r) => {
                    let res = c.retune(now, &r);
                    drain(&mut c, now, &mut out);
                    out.push(match res {
                        Ok(()) => format!("t={now} retune ok"),
                        Err(e) => format!("t={now} retune err {}", e.field),
                    });
                }
                Storage(a) => c.handle_storage_status(now, a),
                Failover => {
                    let r = c.handle_global_failover(now);
                    drain(&mut c, now, &mut out);
                    out.push(match r {
                        Some(cp) => format!("t={now} failover -> id={} tasks={}", cp.id, cp.tasks.len()),
                        None => format!("t={now} failover -> none"),
                    });
                }
                Shutdown(status) => {
                    let kept = c.shutdown(now, status);
                    drain(&mut c, now, &mut out);
                    let ids: Vec<u64> = kept.iter().map(|k| k.id.0).collect();
                    out.push(format!("t={now} shutdown kept={ids:?}"));
                }
                RestoreFrom(id, kind) => {
                    let cp = CompletedCheckpoint {
                        id: CheckpointId(id),
                        kind,
                        trigger_ms: 0,
                        completed_ms: 0,
                        tasks: BTreeMap::new(),
                        size_bytes: 0,
                        external: false,
                    };
                    c.restore_from(Arc::new(cp));
                }
                Probe => {
                    let pending: Vec<u64> = c.pending_ids().iter().map(|i| i.0).collect();
                    out.push(format!(
                        "t={now} probe next_id={} pending={pending:?} queued={} sched={} timer={} latest={}",
                        c.next_checkpoint_id(),
                        c.queued_requests(),
                        if c.scheduler_running() { "on" } else { "off" },
                        opt(c.poll_timeout()),
                        opt(c.latest_completed().map(|l| l.id)),
                    ));
                }
                Config => {
                    let k = c.config();
                    out.push(format!(
                        "t={now} config interval={} min_pause={} timeout={} tolerable={}",
                        opt(k.interval_ms),
                        k.min_pause_ms,
                        k.timeout_ms,
                        k.tolerable_failures
                    ));
                }
            }
            drain(&mut c, now, &mut out);
        }
        out
    }

    fn check(name: &str, case: Case) {
        let got = run(&case);
        if got != case.expect {
            panic!(
                "case `{name}` ({}, {}):\n--- expected\n{}\n--- got\n{}\n",
                case.profile,
                case.variant,
                case.expect.join("\n"),
                got.join("\n")
            );
        }
    }

    /// The same script under two settings: each gives its own answer, and the answers differ.
    fn check_pair(name: &str, a: Case, b: Case) {
        assert_eq!(format!("{:?}", a.steps), format!("{:?}", b.steps), "`{name}`: a pair runs one script");
        assert_ne!(a.expect, b.expect, "`{name}`: a pair must tell the two settings apart");
        check(name, a);
        check(name, b);
    }

    fn p111(c: Case) -> Case {
        Case { profile: Profile::Flink111, ..c }
    }

    // ------------------------------------------------------------------ interval disabled

    #[test]
    fn interval_below_10_ms_disables_periodic_but_manual_and_savepoint_work() {
        check(
            "interval 5",
            Case {
                config: interval(Some(5)),
                steps: vec![
                    Up(0),
                    Probe,
                    To(5000),
                    Req(RequestKind::Manual),
                    To(5100),
                    AckAll(1),
                    Req(RequestKind::Savepoint),
                    To(5200),
                    AckAll(2),
                    Probe,
                ],
                expect: vec![
                    "t=0 probe next_id=1 pending=[] queued=0 sched=off timer=- latest=-",
                    "t=5000 trigger id=1 ckpt aligned",
                    "t=5100 complete id=1 ckpt acks=2 bytes=200",
                    "t=5100 notify-complete id=1",
                    "t=5100 trigger id=2 savepoint aligned",
                    "t=5200 complete id=2 savepoint acks=2 bytes=200",
                    "t=5200 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=1",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn unset_interval_registers_no_deactivator() {
        // Without periodic checkpoints nothing stops the coordinator on RESTARTING: the pending
        // manual checkpoint survives (until expiry or the failover abort).
        check(
            "interval unset",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    View(JobStatus::Restarting, false, false, 0),
                    To(1000),
                    Probe,
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=1000 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ initial delay, activation

    #[test]
    fn initial_delay_is_uniform_in_min_pause_to_base_interval() {
        let config = cfg(Some(1000), |c| c.min_pause_ms = 200);
        // (random, first firing): 200 + random % 801.
        for (random, first) in [
            (0u64, "t=0 sched-start first=200"),
            (800, "t=0 sched-start first=1000"),
            (801, "t=0 sched-start first=200"),
            (1234, "t=0 sched-start first=633"),
        ] {
            check(
                "2.3 drawn at construction",
                Case { config: config.clone(), random, steps: vec![Up(99)], expect: vec![first], ..base() },
            );
            check(
                "1.11 drawn at start",
                p111(Case {
                    config: config.clone(),
                    random: 99,
                    steps: vec![Up(random)],
                    expect: vec![first],
                    ..base()
                }),
            );
        }
        // A min pause above the interval: base interval = min pause, the delay is exactly it.
        check(
            "base = min pause",
            Case {
                config: cfg(Some(100), |c| c.min_pause_ms = 700),
                random: 12345,
                steps: vec![Up(0), To(700)],
                expect: vec!["t=0 sched-start first=700", "t=700 trigger id=1 ckpt aligned"],
                ..base()
            },
        );
    }

    #[test]
    fn second_start_draws_again_in_1_11_but_uses_min_pause_in_2_3() {
        let steps = vec![Up(300), To(50), View(JobStatus::Restarting, false, false, 0), To(5000), Up(700), Probe];
        let config = cfg(Some(1000), |c| c.min_pause_ms = 100);
        check_pair(
            "second start",
            p111(Case {
                config: config.clone(),
                random: 100,
                steps: steps.clone(),
                expect: vec![
                    "t=0 sched-start first=400",
                    "t=50 sched-stop",
                    "t=5000 sched-start first=5800",
                    "t=5000 probe next_id=1 pending=[] queued=0 sched=on timer=5800 latest=-",
                ],
                ..base()
            }),
            Case {
                config,
                random: 100,
                steps,
                expect: vec![
                    "t=0 sched-start first=200",
                    "t=50 sched-stop",
                    "t=5000 sched-start first=5100",
                    "t=5000 probe next_id=1 pending=[] queued=0 sched=on timer=5100 latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn activation_2_3_waits_for_all_executions_running_1_11_does_not() {
        let steps = vec![
            View(JobStatus::Running, false, false, 300),
            To(400),
            View(JobStatus::Running, true, true, 0),
            To(1400),
            View(JobStatus::Running, false, true, 0),
            Probe,
        ];
        check_pair(
            "activation",
            p111(Case {
                steps: steps.clone(),
                expect: vec![
                    "t=0 sched-start first=300",
                    "t=300 rejected periodic NOT_ALL_REQUIRED_TASKS_RUNNING",
                    "t=1300 trigger id=1 ckpt aligned",
                    "t=1400 probe next_id=2 pending=[1] queued=0 sched=on timer=2300 latest=-",
                ],
                ..base()
            }),
            Case {
                steps,
                expect: vec![
                    "t=400 sched-start first=900",
                    "t=900 trigger id=1 ckpt aligned",
                    "t=1400 sched-stop",
                    "t=1400 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                    "t=1400 notify-aborted id=1",
                    "t=1400 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn start_1_11_stops_first_and_aborts_pending() {
        let steps = vec![View(JobStatus::Restarting, true, true, 0), Req(RequestKind::Manual), To(100), Up(0), Probe];
        check_pair(
            "stop first",
            p111(Case {
                steps: steps.clone(),
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=100 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                    "t=100 notify-aborted id=1",
                    "t=100 sched-start first=100",
                    "t=100 probe next_id=2 pending=[] queued=0 sched=on timer=100 latest=-",
                ],
                ..base()
            }),
            Case {
                steps,
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=100 sched-start first=600",
                    "t=100 probe next_id=2 pending=[1] queued=0 sched=on timer=600 latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn stop_fails_queued_then_aborts_pending_with_suspend() {
        check(
            "stop",
            Case {
                steps: vec![
                    Up(0),
                    To(500),
                    Req(RequestKind::Manual),
                    To(600),
                    View(JobStatus::Restarting, false, false, 0),
                    Probe,
                    To(5000),
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 sched-stop",
                    "t=600 rejected manual CHECKPOINT_COORDINATOR_SUSPEND",
                    "t=600 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                    "t=600 notify-aborted id=1",
                    "t=600 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=-",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ cadence

    #[test]
    fn fixed_rate_cadence_ignores_completion_times() {
        check(
            "cadence",
            Case {
                steps: vec![Up(0), To(1400), AckAll(1), To(1600), AckAll(2), To(2600)],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=1400 complete id=1 ckpt acks=2 bytes=200",
                    "t=1400 notify-complete id=1",
                    "t=1500 trigger id=2 ckpt aligned",
                    "t=1600 complete id=2 ckpt acks=2 bytes=200",
                    "t=1600 discard id=1",
                    "t=1600 notify-complete id=2",
                    "t=2500 trigger id=3 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn late_firings_catch_up_and_blocked_firings_queue() {
        check(
            "catch-up",
            Case {
                steps: vec![Up(0), Late(3200), Probe, AckAll(1), Probe, To(3600), AckAll(2), Probe],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=3200 trigger id=1 ckpt aligned",
                    "t=3200 probe next_id=2 pending=[1] queued=2 sched=on timer=3500 latest=-",
                    "t=3200 complete id=1 ckpt acks=2 bytes=200",
                    "t=3200 notify-complete id=1",
                    "t=3200 trigger id=2 ckpt aligned",
                    "t=3200 probe next_id=3 pending=[2] queued=1 sched=on timer=3500 latest=1",
                    "t=3600 complete id=2 ckpt acks=2 bytes=200",
                    "t=3600 discard id=1",
                    "t=3600 notify-complete id=2",
                    "t=3600 trigger id=3 ckpt aligned",
                    "t=3600 probe next_id=4 pending=[3] queued=1 sched=on timer=4500 latest=2",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ min pause

    #[test]
    fn min_pause_drops_the_periodic_request_and_rearms_without_an_id() {
        let config = cfg(Some(1000), |c| c.min_pause_ms = 600);
        let steps = vec![Up(0), To(1800), AckAll(1), Probe, To(2400), Probe];
        check_pair(
            "min pause",
            Case {
                config: config.clone(),
                random: 0,
                steps: steps.clone(),
                expect: vec![
                    "t=0 sched-start first=600",
                    "t=600 trigger id=1 ckpt aligned",
                    "t=1800 complete id=1 ckpt acks=2 bytes=200",
                    "t=1800 notify-complete id=1",
                    "t=1800 rejected periodic MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                    "t=1800 probe next_id=2 pending=[] queued=0 sched=on timer=2400 latest=1",
                    "t=2400 trigger id=2 ckpt aligned",
                    "t=2400 probe next_id=3 pending=[2] queued=0 sched=on timer=3400 latest=1",
                ],
                ..base()
            },
            Case {
                variant: Variant::IgnoreMinPause,
                config,
                random: 0,
                steps,
                expect: vec![
                    "t=0 sched-start first=600",
                    "t=600 trigger id=1 ckpt aligned",
                    "t=1800 complete id=1 ckpt acks=2 bytes=200",
                    "t=1800 notify-complete id=1",
                    "t=1800 trigger id=2 ckpt aligned",
                    "t=1800 probe next_id=3 pending=[2] queued=0 sched=on timer=2600 latest=1",
                    "t=2400 probe next_id=3 pending=[2] queued=0 sched=on timer=2600 latest=1",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn min_pause_does_not_apply_to_manual_checkpoints() {
        check(
            "manual ignores min pause",
            Case {
                config: cfg(None, |c| c.min_pause_ms = 10_000),
                steps: vec![Up(0), Req(RequestKind::Manual), To(100), AckAll(1), Req(RequestKind::Manual)],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=100 complete id=1 ckpt acks=2 bytes=200",
                    "t=100 notify-complete id=1",
                    "t=100 trigger id=2 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ decider queue

    #[test]
    fn max_concurrent_queues_and_completion_triggers_after_notify() {
        check(
            "max concurrent",
            Case {
                config: interval(None),
                steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Manual), Probe, To(100), AckAll(1)],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 probe next_id=2 pending=[1] queued=1 sched=off timer=600000 latest=-",
                    "t=100 complete id=1 ckpt acks=2 bytes=200",
                    "t=100 notify-complete id=1",
                    "t=100 trigger id=2 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn forced_savepoint_exceeds_max_concurrent() {
        check(
            "forced savepoint",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    Req(RequestKind::Savepoint),
                    Req(RequestKind::Manual),
                    Probe,
                    To(100),
                    AckAll(2),
                    Probe,
                    AckAll(1),
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 trigger id=2 savepoint aligned",
                    "t=0 probe next_id=3 pending=[1, 2] queued=1 sched=off timer=600000 latest=-",
                    "t=100 complete id=2 savepoint acks=2 bytes=200",
                    "t=100 probe next_id=3 pending=[1] queued=1 sched=off timer=600000 latest=-",
                    "t=100 complete id=1 ckpt acks=2 bytes=200",
                    "t=100 notify-complete id=1",
                    "t=100 trigger id=3 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn unaligned_savepoint_is_not_forced_and_queue_priority_holds() {
        check(
            "priority",
            Case {
                config: cfg(Some(1000), |c| c.unaligned = true),
                steps: vec![
                    Up(0),
                    To(1500),
                    Req(RequestKind::Manual),
                    Req(RequestKind::Savepoint),
                    Probe,
                    To(1600),
                    AckAll(1),
                    To(1700),
                    AckAll(2),
                    To(1800),
                    AckAll(3),
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt unaligned",
                    "t=1500 probe next_id=2 pending=[1] queued=3 sched=on timer=2500 latest=-",
                    "t=1600 complete id=1 ckpt acks=2 bytes=200",
                    "t=1600 notify-complete id=1",
                    "t=1600 trigger id=2 savepoint aligned",
                    "t=1700 complete id=2 savepoint acks=2 bytes=200",
                    "t=1700 trigger id=3 ckpt unaligned",
                    "t=1800 complete id=3 ckpt acks=2 bytes=200",
                    "t=1800 discard id=1",
                    "t=1800 notify-complete id=3",
                    "t=1800 trigger id=4 ckpt unaligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn too_many_requests_rejects_the_new_one_or_evicts_a_periodic() {
        check(
            "only user requests queued",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    ReqN(RequestKind::Manual, 1000),
                    Req(RequestKind::Manual),
                    Req(RequestKind::Savepoint),
                    Probe,
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 rejected manual TOO_MANY_CHECKPOINT_REQUESTS",
                    "t=0 rejected savepoint TOO_MANY_CHECKPOINT_REQUESTS",
                    "t=0 probe next_id=2 pending=[1] queued=1000 sched=off timer=600000 latest=-",
                ],
                ..base()
            },
        );
        check(
            "a periodic is lowest",
            Case {
                steps: vec![Up(0), To(500), ReqN(RequestKind::Manual, 999), To(1500), Req(RequestKind::Manual), Probe],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=1500 rejected periodic TOO_MANY_CHECKPOINT_REQUESTS",
                    "t=1500 probe next_id=2 pending=[1] queued=1000 sched=on timer=2500 latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn periodic_request_while_scheduler_stopped_fails_without_id() {
        check(
            "periodic shutdown",
            Case {
                config: interval(None),
                steps: vec![Up(0), Req(RequestKind::Periodic), Probe],
                expect: vec![
                    "t=0 rejected periodic PERIODIC_SCHEDULER_SHUTDOWN",
                    "t=0 probe next_id=1 pending=[] queued=0 sched=off timer=- latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn alignment_follows_mode_unaligned_and_aligned_timeout() {
        check(
            "at-least-once",
            Case {
                config: cfg(None, |c| c.mode = CheckpointingMode::AtLeastOnce),
                steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint)],
                expect: vec!["t=0 trigger id=1 ckpt at-least-once", "t=0 trigger id=2 savepoint at-least-once"],
                ..base()
            },
        );
        check(
            "aligned timeout",
            Case {
                config: cfg(None, |c| {
                    c.unaligned = true;
                    c.aligned_timeout_ms = 50;
                }),
                steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint), AckAll(1)],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned-timeout=50",
                    "t=0 complete id=1 ckpt acks=2 bytes=200",
                    "t=0 notify-complete id=1",
                    "t=0 trigger id=2 savepoint aligned",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ timeout, failures

    #[test]
    fn expiry_at_trigger_plus_timeout_then_queued_periodic_runs() {
        check(
            "expiry",
            Case {
                config: cfg(Some(1000), |c| {
                    c.timeout_ms = 2000;
                    c.tolerable_failures = 5;
                }),
                steps: vec![Up(0), To(2499), Probe, To(2500), Probe],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=2499 probe next_id=2 pending=[1] queued=1 sched=on timer=2500 latest=-",
                    "t=2500 abort id=1 ckpt CHECKPOINT_EXPIRED",
                    "t=2500 notify-aborted id=1",
                    "t=2500 trigger id=2 ckpt aligned",
                    "t=2500 probe next_id=3 pending=[2] queued=1 sched=on timer=3500 latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn tolerable_failures_exceeded_emits_fail_job() {
        check(
            "tolerable 1",
            Case {
                config: cfg(None, |c| {
                    c.timeout_ms = 1000;
                    c.tolerable_failures = 1;
                }),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    To(1000),
                    Req(RequestKind::Manual),
                    Decline(2, 1, R::CheckpointDeclinedTaskNotReady),
                    Req(RequestKind::Manual),
                    Decline(3, 1, R::CheckpointDeclined),
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=1000 abort id=1 ckpt CHECKPOINT_EXPIRED",
                    "t=1000 notify-aborted id=1",
                    "t=1000 trigger id=2 ckpt aligned",
                    "t=1000 abort id=2 ckpt CHECKPOINT_DECLINED_TASK_NOT_READY",
                    "t=1000 notify-aborted id=2",
                    "t=1000 trigger id=3 ckpt aligned",
                    "t=1000 abort id=3 ckpt CHECKPOINT_DECLINED",
                    "t=1000 notify-aborted id=3",
                    "t=1000 fail-job CHECKPOINT_DECLINED id=3 task=t1",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn io_failure_consumes_an_id_preflight_does_not() {
        let steps = vec![
            Up(0),
            Storage(false),
            Req(RequestKind::Manual),
            Storage(true),
            View(JobStatus::Running, false, false, 0),
            Req(RequestKind::Manual),
            Up(0),
            Req(RequestKind::Manual),
            Probe,
        ];
        let config = interval(None);
        check_pair(
            "io exception",
            p111(Case {
                config: config.clone(),
                steps: steps.clone(),
                expect: vec![
                    "t=0 abort id=1 ckpt IO_EXCEPTION",
                    "t=0 rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING",
                    "t=0 trigger id=2 ckpt aligned",
                    "t=0 probe next_id=3 pending=[2] queued=0 sched=off timer=600000 latest=-",
                ],
                ..base()
            }),
            Case {
                config,
                steps,
                expect: vec![
                    "t=0 abort id=1 ckpt IO_EXCEPTION",
                    "t=0 notify-aborted id=1",
                    "t=0 fail-job IO_EXCEPTION id=1 task=-",
                    "t=0 rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING",
                    "t=0 trigger id=2 ckpt aligned",
                    "t=0 probe next_id=3 pending=[2] queued=0 sched=off timer=600000 latest=-",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn acks_and_declines_for_unknown_ids_tasks_or_duplicates_are_ignored() {
        check(
            "ignored",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    Ack(7, 0),
                    Decline(7, 0, R::CheckpointDeclined),
                    Ack(1, 9),
                    Decline(1, 9, R::CheckpointDeclined),
                    Ack(1, 0),
                    Ack(1, 0),
                    Probe,
                    Ack(1, 1),
                    Decline(1, 0, R::CheckpointDeclined),
                    Ack(1, 1),
                    Probe,
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
                    "t=0 complete id=1 ckpt acks=2 bytes=200",
                    "t=0 notify-complete id=1",
                    "t=0 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=1",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ completion

    #[test]
    fn completion_subsumes_older_pending_checkpoints() {
        check(
            "subsumption",
            Case {
                config: cfg(Some(1000), |c| c.max_concurrent = 2),
                steps: vec![Up(0), To(1600), AckAll(2), Probe, To(2600), AckAll(3)],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=1500 trigger id=2 ckpt aligned",
                    "t=1600 complete id=2 ckpt acks=2 bytes=200",
                    "t=1600 abort id=1 ckpt CHECKPOINT_SUBSUMED",
                    "t=1600 notify-aborted id=1",
                    "t=1600 notify-complete id=2",
                    "t=1600 probe next_id=3 pending=[] queued=0 sched=on timer=2500 latest=2",
                    "t=2500 trigger id=3 ckpt aligned",
                    "t=2600 complete id=3 ckpt acks=2 bytes=200",
                    "t=2600 discard id=2",
                    "t=2600 notify-complete id=3",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn pending_savepoints_are_never_subsumed() {
        for profile in Profile::ALL {
            check(
                "savepoint not subsumed",
                Case {
                    profile,
                    config: cfg(None, |c| c.max_concurrent = 2),
                    steps: vec![Up(0), Req(RequestKind::Savepoint), Req(RequestKind::Manual), AckAll(2), Probe],
                    expect: vec![
                        "t=0 trigger id=1 savepoint aligned",
                        "t=0 trigger id=2 ckpt aligned",
                        "t=0 complete id=2 ckpt acks=2 bytes=200",
                        "t=0 notify-complete id=2",
                        "t=0 probe next_id=3 pending=[1] queued=0 sched=off timer=600000 latest=2",
                    ],
                    ..base()
                },
            );
        }
    }

    #[test]
    fn savepoint_completion_stores_subsumes_and_notifies_in_1_11_only() {
        let steps = vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint), To(100), AckAll(2), Probe];
        check_pair(
            "savepoint completion",
            p111(Case {
                config: interval(None),
                steps: steps.clone(),
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 trigger id=2 savepoint aligned",
                    "t=100 complete id=2 savepoint acks=2 bytes=200",
                    "t=100 abort id=1 ckpt CHECKPOINT_SUBSUMED",
                    "t=100 notify-aborted id=1",
                    "t=100 notify-complete id=2",
                    "t=100 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=2",
                ],
                ..base()
            }),
            Case {
                config: interval(None),
                steps,
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 trigger id=2 savepoint aligned",
                    "t=100 complete id=2 savepoint acks=2 bytes=200",
                    "t=100 probe next_id=3 pending=[1] queued=0 sched=off timer=600000 latest=-",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ re-tuning

    #[test]
    fn retune_shorter_interval_takes_effect_at_once() {
        check(
            "shorter",
            Case {
                config: interval(Some(10_000)),
                steps: vec![
                    Up(0),
                    To(600),
                    AckAll(1),
                    To(3000),
                    retune(|r| r.interval_ms = Some(2000)),
                    Probe,
                    To(3000),
                    Probe,
                    Config,
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 complete id=1 ckpt acks=2 bytes=200",
                    "t=600 notify-complete id=1",
                    "t=3000 retune ok",
                    "t=3000 probe next_id=2 pending=[] queued=0 sched=on timer=3000 latest=1",
                    "t=3000 trigger id=2 ckpt aligned",
                    "t=3000 probe next_id=3 pending=[2] queued=0 sched=on timer=5000 latest=1",
                    "t=3000 config interval=2000 min_pause=0 timeout=600000 tolerable=0",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_longer_interval_pushes_the_next_firing_out() {
        check(
            "longer",
            Case {
                steps: vec![
                    Up(0),
                    To(600),
                    AckAll(1),
                    To(700),
                    retune(|r| r.interval_ms = Some(20_000)),
                    Probe,
                    To(21_000),
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 complete id=1 ckpt acks=2 bytes=200",
                    "t=600 notify-complete id=1",
                    "t=700 retune ok",
                    "t=700 probe next_id=2 pending=[] queued=0 sched=on timer=20500 latest=1",
                    "t=20500 trigger id=2 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_interval_below_10_parks_and_reenabling_plans_now_plus_base() {
        check(
            "park",
            Case {
                steps: vec![
                    Up(0),
                    To(600),
                    AckAll(1),
                    retune(|r| r.interval_ms = Some(5)),
                    Probe,
                    To(10_000),
                    retune(|r| r.interval_ms = Some(2000)),
                    Probe,
                    To(12_000),
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 complete id=1 ckpt acks=2 bytes=200",
                    "t=600 notify-complete id=1",
                    "t=600 retune ok",
                    "t=600 probe next_id=2 pending=[] queued=0 sched=on timer=- latest=1",
                    "t=10000 retune ok",
                    "t=10000 probe next_id=2 pending=[] queued=0 sched=on timer=12000 latest=1",
                    "t=12000 trigger id=2 ckpt aligned",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_enables_periodic_on_a_job_configured_without() {
        check(
            "enable",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    To(2000),
                    retune(|r| r.interval_ms = Some(1000)),
                    To(3000),
                    View(JobStatus::Restarting, false, false, 0),
                ],
                expect: vec![
                    "t=2000 sched-start first=3000",
                    "t=2000 retune ok",
                    "t=3000 trigger id=1 ckpt aligned",
                    "t=3000 sched-stop",
                    "t=3000 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                    "t=3000 notify-aborted id=1",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_min_pause_applies_to_the_next_decision() {
        check(
            "min pause",
            Case {
                steps: vec![
                    Up(0),
                    To(600),
                    AckAll(1),
                    retune(|r| r.min_pause_ms = Some(5000)),
                    To(1500),
                    Probe,
                    To(5600),
                    Probe,
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 complete id=1 ckpt acks=2 bytes=200",
                    "t=600 notify-complete id=1",
                    "t=600 retune ok",
                    "t=1500 rejected periodic MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                    "t=1500 probe next_id=2 pending=[] queued=0 sched=on timer=5600 latest=1",
                    "t=5600 trigger id=2 ckpt aligned",
                    "t=5600 probe next_id=3 pending=[2] queued=0 sched=on timer=10600 latest=1",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_timeout_applies_to_new_checkpoints_and_tolerable_to_the_next_failure() {
        check(
            "timeout and tolerable",
            Case {
                config: cfg(None, |c| c.tolerable_failures = 1),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    retune(|r| r.timeout_ms = Some(1000)),
                    Probe,
                    To(100),
                    AckAll(1),
                    Req(RequestKind::Manual),
                    Probe,
                    retune(|r| r.tolerable_failures = Some(0)),
                    To(1100),
                    Config,
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 retune ok",
                    "t=0 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
                    "t=100 complete id=1 ckpt acks=2 bytes=200",
                    "t=100 notify-complete id=1",
                    "t=100 trigger id=2 ckpt aligned",
                    "t=100 probe next_id=3 pending=[2] queued=0 sched=off timer=1100 latest=1",
                    "t=100 retune ok",
                    "t=1100 abort id=2 ckpt CHECKPOINT_EXPIRED",
                    "t=1100 notify-aborted id=2",
                    "t=1100 fail-job CHECKPOINT_EXPIRED id=2 task=-",
                    "t=1100 config interval=- min_pause=0 timeout=1000 tolerable=0",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn retune_with_invalid_values_names_the_field_and_changes_nothing() {
        check(
            "invalid",
            Case {
                steps: vec![
                    Up(0),
                    retune(|r| r.interval_ms = Some(-1)),
                    retune(|r| r.min_pause_ms = Some(-5)),
                    retune(|r| r.timeout_ms = Some(9)),
                    retune(|r| r.tolerable_failures = Some(-1)),
                    retune(|r| r.tolerable_failures = Some(UNLIMITED as i64 + 1)),
                    retune(|r| {
                        r.interval_ms = Some(2000);
                        r.min_pause_ms = Some(100);
                        r.timeout_ms = Some(5);
                    }),
                    Config,
                    Probe,
                    retune(|r| {
                        r.timeout_ms = Some(10);
                        r.tolerable_failures = Some(UNLIMITED as i64);
                    }),
                    Config,
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=0 retune err retune.interval_ms",
                    "t=0 retune err retune.min_pause_ms",
                    "t=0 retune err retune.timeout_ms",
                    "t=0 retune err retune.tolerable_failures",
                    "t=0 retune err retune.tolerable_failures",
                    "t=0 retune err retune.timeout_ms",
                    "t=0 config interval=1000 min_pause=0 timeout=600000 tolerable=0",
                    "t=0 probe next_id=1 pending=[] queued=0 sched=on timer=500 latest=-",
                    "t=0 retune ok",
                    "t=0 config interval=1000 min_pause=0 timeout=10 tolerable=2147483647",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ failover, restore, shutdown

    #[test]
    fn failover_aborts_pending_uncounted_and_returns_latest_completed() {
        check(
            "failover",
            Case {
                config: interval(None),
                steps: vec![
                    Up(0),
                    Req(RequestKind::Manual),
                    To(100),
                    AckAll(1),
                    Req(RequestKind::Manual),
                    To(200),
                    Ack(2, 0),
                    To(300),
                    Failover,
                    Probe,
                ],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=100 complete id=1 ckpt acks=2 bytes=200",
                    "t=100 notify-complete id=1",
                    "t=100 trigger id=2 ckpt aligned",
                    "t=300 abort id=2 ckpt JOB_FAILOVER_REGION",
                    "t=300 notify-aborted id=2",
                    "t=300 failover -> id=1 tasks=2",
                    "t=300 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=1",
                ],
                ..base()
            },
        );
        check(
            "failover without checkpoints",
            Case { config: interval(None), steps: vec![Failover], expect: vec!["t=0 failover -> none"], ..base() },
        );
    }

    #[test]
    fn restore_from_pending_variant_restores_partial_state() {
        let steps = vec![
            Up(0),
            To(600),
            AckAll(1),
            To(1600),
            Ack(2, 0),
            To(1700),
            View(JobStatus::Restarting, false, false, 0),
            To(2000),
            Failover,
        ];
        let common = [
            "t=0 sched-start first=500",
            "t=500 trigger id=1 ckpt aligned",
            "t=600 complete id=1 ckpt acks=2 bytes=200",
            "t=600 notify-complete id=1",
            "t=1500 trigger id=2 ckpt aligned",
            "t=1700 sched-stop",
            "t=1700 abort id=2 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
            "t=1700 notify-aborted id=2",
        ];
        let with = |last: &'static str| common.iter().copied().chain([last]).collect::<Vec<_>>();
        check_pair(
            "restore from pending",
            Case { steps: steps.clone(), expect: with("t=2000 failover -> id=1 tasks=2"), ..base() },
            Case {
                variant: Variant::RestoreFromPending,
                steps,
                expect: with("t=2000 failover -> id=2 tasks=1"),
                ..base()
            },
        );
    }

    #[test]
    fn restore_from_continues_ids_and_is_never_discarded() {
        check(
            "restore",
            Case {
                config: interval(None),
                steps: vec![
                    RestoreFrom(41, CheckpointKind::Savepoint),
                    Probe,
                    Up(0),
                    Req(RequestKind::Manual),
                    To(100),
                    Failover,
                    Shutdown(JobStatus::Canceled),
                ],
                expect: vec![
                    "t=0 probe next_id=42 pending=[] queued=0 sched=off timer=- latest=41",
                    "t=0 trigger id=42 ckpt aligned",
                    "t=100 abort id=42 ckpt JOB_FAILOVER_REGION",
                    "t=100 notify-aborted id=42",
                    "t=100 failover -> id=41 tasks=0",
                    "t=100 shutdown kept=[41]",
                ],
                ..base()
            },
        );
    }

    #[test]
    fn shutdown_aborts_everything_and_applies_retention() {
        check(
            "retain on cancellation",
            Case {
                config: cfg(Some(1000), |c| c.retention = Retention::RetainOnCancellation),
                steps: vec![
                    Up(0),
                    To(600),
                    AckAll(1),
                    To(1500),
                    Req(RequestKind::Manual),
                    To(1600),
                    Shutdown(JobStatus::Canceled),
                    Req(RequestKind::Savepoint),
                    Shutdown(JobStatus::Canceled),
                    To(5000),
                    Probe,
                ],
                expect: vec![
                    "t=0 sched-start first=500",
                    "t=500 trigger id=1 ckpt aligned",
                    "t=600 complete id=1 ckpt acks=2 bytes=200",
                    "t=600 notify-complete id=1",
                    "t=1500 trigger id=2 ckpt aligned",
                    "t=1600 sched-stop",
                    "t=1600 rejected manual CHECKPOINT_COORDINATOR_SHUTDOWN",
                    "t=1600 abort id=2 ckpt CHECKPOINT_COORDINATOR_SHUTDOWN",
                    "t=1600 notify-aborted id=2",
                    "t=1600 shutdown kept=[1]",
                    "t=1600 rejected savepoint CHECKPOINT_COORDINATOR_SHUTDOWN",
                    "t=1600 shutdown kept=[]",
                    "t=5000 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=-",
                ],
                ..base()
            },
        );
        check(
            "no externalized checkpoints",
            Case {
                config: interval(None),
                steps: vec![Up(0), Req(RequestKind::Manual), AckAll(1), Shutdown(JobStatus::Finished)],
                expect: vec![
                    "t=0 trigger id=1 ckpt aligned",
                    "t=0 complete id=1 ckpt acks=2 bytes=200",
                    "t=0 notify-complete id=1",
                    "t=0 discard id=1",
                    "t=0 shutdown kept=[]",
                ],
                ..base()
            },
        );
    }

    // ------------------------------------------------------------------ random walks

    #[derive(Clone, Debug)]
    enum Op {
        Advance(u64),
        View(u8, bool, bool, u64),
        Ack(u64, u32),
        Decline(u64, u32, bool),
        Request(u8),
        Retune(Option<i64>, Option<i64>, Option<i64>, Option<i64>),
        Storage(bool),
        Failover,
        Shutdown,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0u64..2500).prop_map(Op::Advance),
            2 => (0u8..4, any::<bool>(), any::<bool>(), any::<u64>()).prop_map(|(s, a, b, r)| Op::View(s, a, b, r)),
            6 => (0u64..12, 0u32..3).prop_map(|(i, t)| Op::Ack(i, t)),
            1 => (0u64..12, 0u32..3, any::<bool>()).prop_map(|(i, t, c)| Op::Decline(i, t, c)),
            2 => (0u8..3).prop_map(Op::Request),
            1 => (
                proptest::option::of(-5i64..3000),
                proptest::option::of(-5i64..1500),
                proptest::option::of(0i64..5000),
                proptest::option::of(-1i64..3),
            )
                .prop_map(|(a, b, c, d)| Op::Retune(a, b, c, d)),
            1 => any::<bool>().prop_map(Op::Storage),
            1 => Just(Op::Failover),
            1 => Just(Op::Shutdown),
        ]
    }

    fn config_strategy() -> impl proptest::strategy::Strategy<Value = CheckpointConfig> {
        use proptest::prelude::*;
        (
            prop_oneof![Just(None), Just(Some(5i64)), (10i64..2000).prop_map(Some)],
            0i64..1500,
            10i64..5000,
            1i64..4,
            any::<bool>(),
            prop_oneof![Just(0i64), Just(1), Just(UNLIMITED as i64)],
            0i64..3,
        )
            .prop_map(
                |(
                    interval_ms,
                    min_pause_ms,
                    timeout_ms,
                    max_concurrent,
                    unaligned,
                    tolerable_failures,
                    aligned_timeout_ms,
                )| {
                    CheckpointConfig {
                        interval_ms,
                        min_pause_ms,
                        timeout_ms,
                        max_concurrent: if unaligned { 1 } else { max_concurrent },
                        tolerable_failures,
                        unaligned,
                        aligned_timeout_ms,
                        num_retained: 2,
                        ..CheckpointConfig::default()
                    }
                },
            )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Arbitrary input sequences under every profile and coordinator variant: the handlers'
        /// `invariants()` hold, ids are triggered in strictly increasing order, every id ends at
        /// most once (completed or aborted) and only after it was allocated, nothing is triggered
        /// after shutdown, and the timer never lies in the past after `handle_timeout`.
        #[test]
        fn random_walks_keep_the_invariants(
            config in config_strategy(),
            profile in proptest::sample::select(Profile::ALL.to_vec()),
            variant in proptest::sample::select(vec![Variant::Correct, Variant::IgnoreMinPause, Variant::RestoreFromPending]),
            random in proptest::prelude::any::<u64>(),
            ops in proptest::collection::vec(op(), 1..80),
        ) {
            let mut config = config;
            if !profile.supports_aligned_timeout() {
                config.aligned_timeout_ms = 0;
            }
            let tasks = vec![TaskId(0), TaskId(1), TaskId(2)];
            let mut c = CheckpointCoordinator::new(&config, profile, variant, tasks, random);
            let mut now = 0u64;
            let mut last_triggered = CheckpointId::NONE;
            let mut ended: BTreeSet<CheckpointId> = BTreeSet::new();
            let mut shut = false;
            for op in ops {
                match op {
                    Op::Advance(d) => {
                        let target = now + d;
                        while let Some(due) = c.poll_timeout() {
                            if due > target {
                                break;
                            }
                            now = now.max(due);
                            c.handle_timeout(now);
                            assert!(c.poll_timeout().is_none_or(|t| t > now), "timer left in the past");
                        }
                        now = target;
                    }
                    Op::View(s, all, src, r) => {
                        let job_status = [JobStatus::Running, JobStatus::Restarting, JobStatus::Created, JobStatus::Running][s as usize];
                        let v = ExecutionView { job_status, all_tasks_running_or_finished: all, sources_running: src };
                        c.handle_execution_view(now, v, r);
                    }
                    Op::Ack(i, t) => c.handle_ack(now, CheckpointId(i), TaskId(t), TaskSnapshot::default()),
                    Op::Decline(i, t, counted) => {
                        let reason = if counted { R::CheckpointDeclined } else { R::CheckpointDeclinedTaskNotReady };
                        c.handle_decline(now, CheckpointId(i), TaskId(t), reason);
                    }
                    Op::Request(k) => {
                        c.request(now, [RequestKind::Manual, RequestKind::Savepoint, RequestKind::Periodic][k as usize]);
                    }
                    Op::Retune(interval_ms, min_pause_ms, timeout_ms, tolerable_failures) => {
                        let before = c.config().clone();
                        let r = Retune { interval_ms, min_pause_ms, timeout_ms, tolerable_failures };
                        if c.retune(now, &r).is_err() {
                            assert_eq!(c.config(), &before, "a rejected retune changed the config");
                        }
                    }
                    Op::Storage(a) => c.handle_storage_status(now, a),
                    Op::Failover => {
                        let latest = c.latest_completed().map(|l| l.id);
                        let before = c.pending_ids();
                        let restored = c.handle_global_failover(now);
                        // Queued requests may trigger in the re-evaluation after the aborts.
                        assert!(c.pending_ids().iter().all(|id| !before.contains(id)), "failover left pending work");
                        if variant != Variant::RestoreFromPending {
                            assert_eq!(restored.map(|r| r.id), latest);
                        }
                    }
                    Op::Shutdown => {
                        c.shutdown(now, JobStatus::Canceled);
                        shut = true;
                    }
                }
                while let Some(o) = c.poll_output() {
                    match o {
                        CoordinatorOutput::Trigger { id, .. } => {
                            assert!(!shut, "trigger after shutdown");
                            assert!(id > last_triggered, "ids must strictly increase: {id} after {last_triggered}");
                            last_triggered = id;
                        }
                        CoordinatorOutput::Completed(cp) => {
                            assert!(cp.id <= last_triggered);
                            assert!(ended.insert(cp.id), "checkpoint {} ended twice", cp.id);
                        }
                        CoordinatorOutput::Aborted { id, .. } => {
                            assert!(id < c.next_checkpoint_id());
                            assert!(ended.insert(id), "checkpoint {id} ended twice");
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
