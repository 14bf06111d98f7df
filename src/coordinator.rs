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
//!   while the scheduler is stopped → `PERIODIC_SCHEDULER_SHUTDOWN`; sources not all RUNNING,
//!   and in 2.x any unfinished task not RUNNING → `NOT_ALL_REQUIRED_TASKS_RUNNING`) fail the
//!   request without using an id
//!   ([`CoordinatorOutput::RequestFailed`]; reported to the failure manager with id `None`).
//!   Then the id is allocated (from 1, strictly increasing, never reused). If checkpoint storage
//!   is unavailable the trigger fails and the id is consumed: 2.3 has already registered the
//!   pending checkpoint, so it is aborted like any other with `IO_EXCEPTION` (with
//!   `NotifyAborted`); 1.11 fails before the pending checkpoint exists, with
//!   `TRIGGER_CHECKPOINT_FAILURE` (1.11 has no `IO_EXCEPTION`; an `Aborted` record, no
//!   notification, failure-manager id `None`, not counted). Otherwise the checkpoint is pending with an expiry
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
//! * completion: `Completed`, `Stored` (with [`CheckpointCoordinator::report_store_changes`]),
//!   `Discarded` for each checkpoint the store subsumed, then for each
//!   subsumed pending checkpoint `Aborted` + `NotifyAborted` (+ `FailJob`), then `NotifyComplete`,
//!   then whatever the re-evaluated queue triggers;
//! * abort: `Aborted`, `NotifyAborted`, `FailJob` if the failure manager says so, then the
//!   re-evaluated queue;
//! * scheduler stop: `SchedulerStopped`, `RequestFailed` for every queued request (priority
//!   order), then `Aborted` + `NotifyAborted` for every pending checkpoint (ascending id) — Flink's
//!   `abortPendingAndQueuedCheckpoints` fails the queue first;
//! * scheduler start: (1.11 only: the aborts of its stop-first) then `SchedulerStarted`;
//! * shutdown: `SchedulerStopped` (if running), queued `RequestFailed`, pending `Aborted` +
//!   `NotifyAborted`, then `Stored` (everything left the store; when reported) and `Discarded`
//!   for each checkpoint retention deletes;
//! * `handle_timeout`: due events in time order (an expiry before a firing planned at the same
//!   instant), each followed by its queue re-evaluation.
//!
//! * **Trigger phase.** With master hooks / operator coordinators registered
//!   ([`CheckpointCoordinator::add_master_hook`]) the pending checkpoint is registered and
//!   [`CoordinatorOutput::TriggerMasterHooks`] emitted instead of the task trigger; the trigger
//!   is in progress (`isTriggering`, nothing else is chosen) until every hook acknowledged
//!   (then `Trigger`) or one failed (abort with `TRIGGER_CHECKPOINT_FAILURE`). Without hooks
//!   the trigger is synchronous.
//!
//! # Runtime re-tuning (seed 000)
//!
//! [`CheckpointCoordinator::retune`] validates every given field first (`interval_ms ≥ 0`,
//! `min_pause_ms ≥ 0`, `timeout_ms ≥ 10`, `0 ≤ tolerable_failures ≤ UNLIMITED`); any invalid
//! value returns a [`ConfigError`](crate::config::ConfigError) naming `retune.<field>` and nothing changes. Then:
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
//! * [`Variant::DeferredSubsumption`]: a completed checkpoint enters the store without
//!   subsuming; the subsumption runs when the next checkpoint is triggered (a `Stored` with no
//!   added entry).
//! * [`Variant::RestoreFromPending`]: failover restores a checkpoint built from the acked task
//!   snapshots of the newest checkpoint that was pending since the last completion — pending at
//!   failover time, or aborted before it (the scheduler stop on RESTARTING aborts pending
//!   checkpoints before the restore, so looking only at what is still pending would rarely bite).

mod decider;
mod finished_plan;
mod hooks;
mod io;
mod pending;
mod scheduler;

use decider::{QueueKey, QueuedRequest};
pub use decider::{RequestKind, MAX_QUEUED_REQUESTS};
pub use finished_plan::{partial_finishing, PartialFinishing};
use hooks::Triggering;
pub use io::{CoordinatorOutput, ExecutionView, HookId, QueueChange};
use pending::{Partial, PendingCheckpoint};
use scheduler::draw_initial_delay_ms;

use crate::config::{CheckpointConfig, CheckpointingMode, MINIMAL_CHECKPOINT_TIME_MS, UNLIMITED};
use crate::failure_manager::CheckpointFailureManager;
use crate::ids::{CheckpointId, TaskId};
use crate::reason::CheckpointFailureReason;
use crate::record::{Alignment, CheckpointKind};
use crate::state::TaskSnapshot;
use crate::status::JobStatus;
use crate::store::{CompletedCheckpoint, CompletedCheckpointStore, StoreEntry};
use crate::{Profile, Variant};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// Flink's CheckpointCoordinator for one job (see the module doc).
#[derive(Clone, Debug, Hash)]
pub struct CheckpointCoordinator {
    config: CheckpointConfig,
    profile: Profile,
    variant: Variant,
    tasks: Arc<BTreeSet<TaskId>>,
    failure_manager: CheckpointFailureManager,
    store: CompletedCheckpointStore,
    next_id: CheckpointId,
    pending: BTreeMap<CheckpointId, PendingCheckpoint>,
    queue: BTreeMap<QueueKey, QueuedRequest>,
    queue_seq: u64,
    /// Last completion of a checkpoint or savepoint; `None` = never.
    last_completion_ms: Option<u64>,
    /// The planted [`Variant::MinPauseStaleCompletion`] (FLINK-18856): the completion before
    /// the latest, which the decider reads instead of the latest. Always `None` otherwise.
    stale_completion_ms: Option<u64>,
    /// The planted [`Variant::LateAckCompletesExpired`]: the newest checkpoint that expired,
    /// with the acknowledgements it had; a late acknowledgement that completes it revives it.
    /// Always `None` otherwise.
    expired: Option<(CheckpointId, PendingCheckpoint)>,
    view: Option<ExecutionView>,
    storage_available: bool,
    /// Completed or aborted checkpoints whose state is still being discarded (Flink's
    /// `CheckpointsCleaner.getNumberOfCheckpointsToClean`, fed by the host).
    cleaning: u32,
    /// The next id allocation fails (Flink's `CheckpointIDCounter.getAndIncrement` throwing).
    fail_next_id_allocation: bool,
    /// ... with an `IOException` ([`Self::fail_next_id_allocation_io`]).
    id_allocation_failure_is_io: bool,
    /// The completed-checkpoint store throws on its next add ([`Self::fail_next_store_add`]).
    fail_next_store_add: bool,
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
    /// A stop-with-savepoint stopped the periodic scheduler; the activator must not restart
    /// it until the stop failed ([`CheckpointCoordinator::resume_after_failed_stop`]).
    stopping: bool,
    /// The stop-with-savepoint's synchronous savepoint completed (the job is on its way to
    /// FINISHED); cleared by a global failover.
    stop_completed: Option<CheckpointId>,
    /// 2.3: the initial delay drawn at construction (used by the first start only).
    first_start_delay_ms: Option<u64>,
    partial: Option<Partial>,
    /// Master hooks / operator coordinators (Flink's `addMasterHook`, `coordinatorsToCheckpoint`).
    hooks: BTreeSet<HookId>,
    /// The trigger in progress (`isTriggering`); only with hooks, otherwise triggering is
    /// synchronous. Nothing else is triggered while it is set.
    triggering: Option<Triggering>,
    /// The decider's queue capacity (`maxQueuedRequests`, 1000 unless set for a test).
    max_queued: usize,
    /// The last evaluation dropped its periodic head for the min pause and stopped there.
    head_dropped_for_min_pause: bool,
    /// The newest savepoint completed since the job's last (re)start that the store does not
    /// hold (2.x keeps savepoints out of it, FLINK-25191), yet a stop-with-savepoint's
    /// synchronous savepoint is the final checkpoint of the tasks it finishes (`StreamTask`
    /// finishes on its notifyCheckpointComplete). Cleared by a global failover.
    pub(super) unstored_savepoint: Option<Arc<CompletedCheckpoint>>,
    /// FLIP-147 (flink-2.3): tasks of the current attempt that are FINISHED, with the state
    /// they finished with (their snapshot in the latest completed checkpoint). They are not
    /// triggered and not waited for; a checkpoint completing without their ack carries this
    /// state for them (Flink's "fully finished" operator state).
    finished: BTreeMap<TaskId, TaskSnapshot>,
    /// Each task's job vertex ([`CheckpointCoordinator::set_vertices`]; empty: every task is a
    /// vertex of its own), for FLIP-147's partly finished vertices (`finished_plan.rs`).
    vertex_of: Arc<BTreeMap<TaskId, u32>>,
    /// A re-evaluation of the queue is due (after an abort or completion).
    reevaluate: bool,
    /// The failure manager asked to fail the job ([`CoordinatorOutput::FailJob`]) and the host
    /// has not handled it yet: the queue is held (see
    /// [`CheckpointCoordinator::hold_queue_on_job_failure`]).
    job_failure_reported: bool,
    /// The host fails the job on [`CoordinatorOutput::FailJob`] before anything queued is
    /// triggered (a JobMaster does; Flink's coordinator unit tests use a callback that does not).
    hold_on_job_failure: bool,
    /// Report every change of the decider's queue ([`CoordinatorOutput::Queue`]).
    report_queue: bool,
    /// Report every change of the completed-checkpoint store ([`CoordinatorOutput::Stored`]).
    report_store: bool,
    now_ms: u64,
    outputs: VecDeque<CoordinatorOutput>,
}

fn kind_of(request: RequestKind) -> CheckpointKind {
    if request.is_savepoint() {
        CheckpointKind::Savepoint
    } else {
        CheckpointKind::Checkpoint
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
            tasks: Arc::new(tasks),
            failure_manager: CheckpointFailureManager::new(tolerable, profile).with_variant(variant),
            store: CompletedCheckpointStore::new(
                config.num_retained.clamp(1, u32::MAX as i64) as u32,
                config.retention,
                profile,
            )
            .with_variant(variant),
            next_id: CheckpointId(config.first_id.max(1) as u64),
            pending: BTreeMap::new(),
            queue: BTreeMap::new(),
            queue_seq: 0,
            last_completion_ms: None,
            stale_completion_ms: None,
            expired: None,
            view: None,
            storage_available: true,
            cleaning: 0,
            fail_next_id_allocation: false,
            id_allocation_failure_is_io: false,
            fail_next_store_add: false,
            shut_down: false,
            activator_registered: config.periodic_enabled(),
            scheduler_running: false,
            next_fire_ms: None,
            anchor_ms: 0,
            scheduler_starts: 0,
            stopping: false,
            stop_completed: None,
            first_start_delay_ms,
            partial: None,
            hooks: BTreeSet::new(),
            triggering: None,
            max_queued: MAX_QUEUED_REQUESTS,
            head_dropped_for_min_pause: false,
            unstored_savepoint: None,
            job_failure_reported: false,
            hold_on_job_failure: false,
            report_queue: false,
            report_store: false,
            finished: BTreeMap::new(),
            vertex_of: Arc::default(),
            reevaluate: false,
            now_ms: 0,
            outputs: VecDeque::new(),
        };
        c.invariants();
        c
    }

    // ------------------------------------------------------------------------------------ inputs

    /// says it handled the failure ([`Self::job_failure_handled`]). In Flink the failure
    /// manager's `FailJobCallback` runs `failGlobal` on the JobMaster's main thread before a
    /// request chosen after the abort (`abortPendingCheckpoint` → `executeQueuedRequest`) gets
    /// its checkpoint plan there (2.x `DefaultCheckpointPlanCalculator`; 1.11 first initialises
    /// the checkpoint location on the IO executor), so the failing attempt's tasks are never
    /// triggered: the stopping scheduler fails the request with `CHECKPOINT_COORDINATOR_SUSPEND`,
    /// or its trigger fails with `NOT_ALL_REQUIRED_TASKS_RUNNING` (no id used).
    pub fn hold_queue_on_job_failure(&mut self) {
        self.hold_on_job_failure = true;
        self.invariants();
    }

    /// Each task's job vertex (tasks with the same number are the subtasks of one vertex, Flink's
    /// `ExecutionJobVertex`): with checkpoints after tasks finish, a checkpoint of a vertex with
    /// union list state that is partly finished is refused at completion (`finished_plan.rs`).
    pub fn set_vertices(&mut self, vertex_of: BTreeMap<TaskId, u32>) {
        assert!(vertex_of.keys().all(|t| self.tasks.contains(t)), "a vertex of a task outside the job");
        self.vertex_of = Arc::new(vertex_of);
        self.invariants();
    }

    /// From now on every change of the completed-checkpoint store is an output
    /// ([`CoordinatorOutput::Stored`]): an add with what it subsumed, entries leaving without
    /// an add. The world and the explorer record them for the `retention` checker.
    pub fn report_store_changes(&mut self) {
        self.report_store = true;
    }

    /// Adds a completed checkpoint to the store (the planted
    /// [`Variant::DeferredSubsumption`]: without subsuming), reporting the change and the
    /// discarded checkpoints.
    pub(crate) fn store_add(&mut self, cp: Arc<CompletedCheckpoint>) {
        if self.refuses_partial_finishing() {
            // FLIP-147: no stored checkpoint holds a partly finished vertex with union list state
            // (checked once, as each checkpoint enters the store).
            let refused = partial_finishing(&self.vertex_of, &cp.tasks, &BTreeSet::new());
            assert!(refused.is_none(), "checkpoint {} stored with {refused:?}", cp.id);
        }
        let added = StoreEntry::of(&cp);
        let (removed, discarded) = if self.variant == Variant::DeferredSubsumption {
            self.store.add_deferred(cp);
            (Vec::new(), Vec::new())
        } else {
            self.store.add_reporting(cp)
        };
        self.report_store_change(Some(added), removed, discarded);
    }

    /// The outputs of one store change: `Stored` (if reported), then `Discarded` for each
    /// discarded checkpoint.
    fn report_store_change(
        &mut self,
        added: Option<StoreEntry>,
        removed: Vec<CheckpointId>,
        discarded: Vec<CheckpointId>,
    ) {
        if self.report_store && (added.is_some() || !removed.is_empty()) {
            self.outputs.push_back(CoordinatorOutput::Stored { added, removed });
        }
        for id in discarded {
            self.outputs.push_back(CoordinatorOutput::Discarded { id });
        }
    }

    /// The host handled the last [`CoordinatorOutput::FailJob`] (and sent its new
    /// [`ExecutionView`]): the held queue is evaluated again.
    pub fn job_failure_handled(&mut self, now_ms: u64) {
        self.enter(now_ms);
        if std::mem::take(&mut self.job_failure_reported) {
            self.reevaluate = true;
        }
        self.finish(now_ms);
    }

    /// Checkpoint storage reachable or not; while not, a trigger fails after the id is allocated
    /// (id consumed), with IO_EXCEPTION in 2.x and TRIGGER_CHECKPOINT_FAILURE in 1.11.
    pub fn handle_storage_status(&mut self, now_ms: u64, available: bool) {
        self.enter(now_ms);
        self.storage_available = available;
        self.finish(now_ms);
    }

    /// Whether checkpoint storage is reachable, as last reported ([`Self::handle_storage_status`]).
    pub fn storage_available(&self) -> bool {
        self.storage_available
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
        self.id_allocation_failure_is_io = false;
        self.invariants();
    }

    /// The next checkpoint id allocation fails with an `IOException` (an HA id counter that
    /// cannot reach its store). As [`Self::fail_next_id_allocation`], but the reason follows
    /// [`Profile::trigger_io_failure_is_io_exception`]: 2.x fails the request with
    /// `IO_EXCEPTION`, which the failure manager counts (with the unknown id), 1.11 with
    /// `TRIGGER_CHECKPOINT_FAILURE` (`CheckpointCoordinatorTest.testTriggerCheckpointWithCounterIOException`).
    pub fn fail_next_id_allocation_io(&mut self) {
        self.fail_next_id_allocation = true;
        self.id_allocation_failure_is_io = true;
        self.invariants();
    }

    /// The completed-checkpoint store throws on the next checkpoint added to it (a ZooKeeper or
    /// Kubernetes store that cannot write). The checkpoint that completes next is not stored,
    /// not completed and subsumes nothing: its tasks are told it aborted, with
    /// `FINALIZE_CHECKPOINT_FAILURE`, and the decider runs again. 2.x (1.18+, FLINK-32347)
    /// reports the failure to the failure manager, which counts it; 1.11 had recorded the
    /// success before the add and reports nothing
    /// (`CheckpointCoordinatorTest.testExceptionInStoringCompletedCheckpointIsReportedToFailureManager`;
    /// [`Profile::store_failure_reaches_failure_manager`]). A checkpoint that does not enter the
    /// store (a 2.x savepoint) is not affected and the failure waits for the next add.
    pub fn fail_next_store_add(&mut self) {
        self.fail_next_store_add = true;
        self.invariants();
    }

    /// The reason of a trigger failing on an I/O error before its tasks are triggered.
    fn trigger_io_failure_reason(&self) -> CheckpointFailureReason {
        if self.profile.trigger_io_failure_is_io_exception() {
            CheckpointFailureReason::IoException
        } else {
            CheckpointFailureReason::TriggerCheckpointFailure
        }
    }

    /// The decider's queue capacity (Flink's `maxQueuedRequests`, a constructor argument its
    /// tests set; 1000 otherwise). At least 1.
    pub fn set_max_queued_requests(&mut self, capacity: usize) {
        assert!(capacity >= 1, "the decider queue holds at least one request");
        assert!(self.queue.len() <= capacity, "queue already longer than the new capacity");
        self.max_queued = capacity;
        self.invariants();
    }

    fn alignment(&self, kind: CheckpointKind) -> Alignment {
        Alignment::for_config(
            self.config.mode == CheckpointingMode::ExactlyOnce,
            self.config.unaligned,
            self.config.aligned_timeout_ms.max(0) as u64,
            kind,
        )
    }

    /// Global failover restore (§1.7): abort everything pending with JOB_FAILOVER_REGION (not
    /// counted); returns the latest completed checkpoint to restore.
    /// [`Variant::RestoreFromPending`]: returns a checkpoint built from the newest never-completed
    /// checkpoint's acked snapshots instead, if there is one (see the module doc).
    pub fn handle_global_failover(&mut self, now_ms: u64) -> Option<Arc<CompletedCheckpoint>> {
        self.enter(now_ms);
        // Every task gets a new attempt: none of them is finished any more.
        self.finished.clear();
        self.failover_restore(now_ms)
    }

    /// Regional failover restore (§1.7; Flink's `SchedulerBase#restoreState` with
    /// `isGlobalRecovery = false`): the same as [`Self::handle_global_failover`] — everything
    /// pending aborts with JOB_FAILOVER_REGION, the latest completed checkpoint is returned
    /// (`restoreLatestCheckpointedStateToSubtasks`) — except that only `tasks` get new
    /// attempts: the others keep their FINISHED record.
    pub fn handle_regional_failover(&mut self, now_ms: u64, tasks: &[TaskId]) -> Option<Arc<CompletedCheckpoint>> {
        self.enter(now_ms);
        for t in tasks {
            self.finished.remove(t);
        }
        self.failover_restore(now_ms)
    }

    /// The common part of a failover's restore: resets, aborts, the checkpoint to restore.
    fn failover_restore(&mut self, now_ms: u64) -> Option<Arc<CompletedCheckpoint>> {
        self.unstored_savepoint = None;
        self.stop_completed = None;
        if std::mem::take(&mut self.job_failure_reported) {
            self.reevaluate = true;
        }
        // The planted `pending-survives-failover`: the pending checkpoints are left to expire.
        let ids: Vec<CheckpointId> = if self.variant == Variant::PendingSurvivesFailover {
            Vec::new()
        } else {
            self.pending.keys().copied().collect()
        };
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
        self.job_failure_reported = false;
        self.abort_pending_and_queued(now_ms, CheckpointFailureReason::CheckpointCoordinatorShutdown);
        let before: Vec<CheckpointId> = self.store.retained().iter().map(|c| c.id).collect();
        let (kept, discarded) = self.store.shutdown(status);
        self.report_store_change(None, before, discarded);
        self.finish(now_ms);
        kept
    }

    /// JobManager failover: the checkpoint id counter is durable (Flink's `CheckpointIDCounter`
    /// lives in the HA services), so a new JobManager continues from it instead of from the
    /// latest completed checkpoint; ids of checkpoints that failed after it are not reused.
    /// Never lowers the counter.
    pub fn recover_id_counter(&mut self, next: CheckpointId) {
        if self.variant != Variant::NoHaIdCounter {
            self.next_id = self.next_id.max(next);
        }
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
        self.store_add(cp);
        self.invariants();
    }

    /// JobManager failover (HA): the latest completed checkpoint recovered from the durable
    /// store is still this job's own (Flink's `CompletedCheckpointStore` recovery): subsumption
    /// and the retention policy apply to it as to any other; unlike [`Self::restore_from`] it is
    /// not marked external. The id counter is recovered separately.
    pub fn recover_from_ha(&mut self, cp: Arc<CompletedCheckpoint>) {
        self.next_id = self.next_id.max(cp.id.next());
        self.store_add(cp);
        self.invariants();
    }

    /// Panics if ids, pending checkpoints, the queue or the store are inconsistent (a pending id at or above the counter, too many pending).
    pub fn invariants(&self) {
        assert!(self.next_id >= CheckpointId::FIRST, "ids start at 1");
        if let Some((&newest, _)) = self.pending.last_key_value() {
            assert!(newest < self.next_id, "pending id {newest} not below the counter {}", self.next_id);
        }
        if let Some(latest) = self.store.latest() {
            assert!(latest.id < self.next_id, "completed id {} not below the counter {}", latest.id, self.next_id);
        }
        for (id, p) in &self.pending {
            // The checkpoint in its trigger phase waits for its hooks even when every task
            // finished meanwhile (then its trigger fails) or acknowledged already (an externally
            // induced source: it completes when the phase ends).
            let in_trigger_phase = self.triggering.as_ref().is_some_and(|t| t.id == *id);
            assert!(
                in_trigger_phase || p.acks.len() < self.tasks.len(),
                "checkpoint {id} fully acked but still pending"
            );
            assert!(
                in_trigger_phase || !p.waits_for_none(&self.tasks),
                "checkpoint {id} acked by every unfinished task but still pending"
            );
            assert!(p.acks.keys().all(|t| self.tasks.contains(t)), "checkpoint {id} has an ack from an unknown task");
            assert!(p.deadline_ms >= p.trigger_ms + MINIMAL_CHECKPOINT_TIME_MS as u64, "checkpoint {id} deadline");
            assert!(p.trigger_ms <= self.now_ms, "checkpoint {id} triggered in the future");
            assert!(!p.forced || p.kind == CheckpointKind::Savepoint, "only savepoints are forced");
        }
        let max = self.config.max_concurrent as usize;
        let planted_extra = usize::from(self.variant == Variant::MaxConcurrentOffByOne);
        let unforced = self.pending.values().filter(|p| !p.forced).count();
        assert!(unforced <= max + planted_extra, "{unforced} non-forced checkpoints pending, max concurrent {max}");
        assert!(self.queue.len() <= self.max_queued, "decider queue over capacity");
        if let Some(head) = self.queue.values().next() {
            // After every evaluation the queue is blocked: by max-concurrent, by a trigger in
            // progress, or a periodic head waits for the next firing (min pause dropped the one
            // before it, and the decider stops at a drop).
            assert!(
                (self.pending.len() >= max && !head.forced)
                    || head.kind.is_periodic()
                    || self.triggering.is_some()
                    || self.head_dropped_for_min_pause
                    || self.job_failure_reported
                    || i64::from(self.cleaning) > self.config.max_concurrent,
                "queue head {:?} could be triggered",
                head.kind
            );
        }
        assert!(!self.reevaluate, "queue re-evaluation left undone");
        if let Some(t) = &self.triggering {
            assert!(!self.hooks.is_empty(), "a trigger phase without master hooks");
            assert!(t.id < self.next_id, "triggering an unallocated id");
            assert!(t.acked.iter().all(|h| self.hooks.contains(h)), "ack from an unknown hook");
            assert!(self.pending.keys().all(|id| *id <= t.id), "pending checkpoint newer than the one triggering");
        }
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
        if self.stale_completion_ms.is_some() {
            assert_eq!(self.variant, Variant::MinPauseStaleCompletion, "stale completion kept outside its variant");
        }
        if let Some((id, _)) = &self.expired {
            assert_eq!(self.variant, Variant::LateAckCompletesExpired, "expired checkpoint kept outside its variant");
            assert!(!self.pending.contains_key(id), "expired checkpoint {id} still pending");
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

    /// The trigger pipeline (§1.5) for one chosen request.
    fn trigger(&mut self, now_ms: u64, req: QueuedRequest) {
        let kind = kind_of(req.kind);
        let precheck = if self.shut_down {
            Some(CheckpointFailureReason::CheckpointCoordinatorShutdown)
        } else if req.kind.is_periodic() && !self.scheduler_running {
            Some(CheckpointFailureReason::PeriodicSchedulerShutdown)
        } else if !self.view.is_some_and(|v| {
            v.sources_running && (!self.profile.trigger_requires_all_tasks_running() || v.all_tasks_running_or_finished)
        }) || self.tasks.iter().all(|t| self.finished.contains_key(t))
        {
            // Every task FINISHED (the view is updated after the last one reported, which may
            // run a queued request first): nothing left to trigger or wait for.
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
            let reason = if std::mem::take(&mut self.id_allocation_failure_is_io) {
                self.trigger_io_failure_reason()
            } else {
                CheckpointFailureReason::TriggerCheckpointFailure
            };
            self.outputs.push_back(CoordinatorOutput::RequestFailed { request: req.kind, reason });
            self.report_failure(None, kind, reason, None);
            return;
        }
        let id = self.next_id;
        self.next_id = id.next();
        let pending = PendingCheckpoint {
            kind,
            forced: req.forced,
            periodic: req.kind.is_periodic(),
            stop: req.stop,
            trigger_ms: now_ms,
            deadline_ms: now_ms + self.config.timeout_ms as u64,
            acks: BTreeMap::new(),
            finished_at_trigger: self.finished.keys().copied().collect(),
        };
        if !self.storage_available {
            let reason = self.trigger_io_failure_reason();
            if self.profile.pending_created_before_storage_init() {
                self.pending.insert(id, pending);
                self.abort(now_ms, id, reason, None);
            } else {
                self.outputs.push_back(CoordinatorOutput::Aborted {
                    id,
                    kind,
                    reason,
                    trigger_ms: now_ms,
                    periodic: req.kind.is_periodic(),
                });
                self.report_failure(None, kind, reason, None);
            }
            return;
        }
        self.pending.insert(id, pending);
        if self.variant == Variant::DeferredSubsumption {
            // The planted bug: the last completion's subsumption happens only now.
            let (removed, discarded) = self.store.subsume_deferred();
            self.report_store_change(None, removed, discarded);
        }
        if !self.hooks.is_empty() {
            // Flink's trigger phase: the tasks wait for the hooks' acknowledgements.
            self.triggering = Some(Triggering { id, kind, acked: BTreeSet::new(), task_finished: false });
            self.outputs.push_back(CoordinatorOutput::TriggerMasterHooks { id, timestamp_ms: now_ms, kind });
            return;
        }
        let alignment = self.alignment(kind);
        self.outputs.push_back(CoordinatorOutput::Trigger {
            id,
            timestamp_ms: now_ms,
            kind,
            alignment,
            stop: req.stop,
            periodic: req.kind.is_periodic(),
        });
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
