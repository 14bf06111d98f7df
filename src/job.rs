//! The JobMaster: job status machine, task executions, global failover through the restart strategy, and the checkpoint coordinator it hosts.
//!
//! This plays the role of Flink's DefaultScheduler + ExecutionGraph (semantics §1.7, §4):
//!
//! * `start` moves the job CREATED → RUNNING and deploys every task (CREATED → SCHEDULED →
//!   DEPLOYING on the JobManager side; the TaskManager reports INITIALIZING (2.x only), RUNNING,
//!   FINISHED, FAILED, CANCELED).
//! * A task failure while RUNNING goes to the restart strategy: if it may restart, the job goes
//!   RESTARTING, every other task is cancelled, and after `max(backoff elapsed, all tasks
//!   terminal)` the coordinator aborts what is pending (JOB_FAILOVER_REGION), the latest completed
//!   checkpoint is restored into a new attempt of every task, and the job is RUNNING again.
//!   Otherwise the job goes FAILING, cancels everything and ends FAILED.
//! * Failures reported by executions that are already being cancelled (or by older attempts) are
//!   not counted: only the first failure of a failover round is a restart attempt.
//! * The coordinator's view (job status, all tasks running, sources running) is updated on every
//!   change, which starts and stops its periodic scheduler per profile.
//!
//! Outputs are drained with [`JobMaster::poll_output`] in the order decisions were taken. All
//! randomness (initial trigger delay, backoff jitter) is derived from `JobParams::random_seed`.

use crate::config::{ConfigError, Retune};
use crate::coordinator::{CheckpointCoordinator, CoordinatorOutput, ExecutionView, RequestKind};
use crate::ids::{Attempt, CheckpointId, TaskId, TmId};
use crate::reason::{CheckpointFailureReason, FailureCause};
use crate::record::Barrier;
use crate::region::{FailoverStrategy, Regions};
use crate::restart::RestartStrategy;
use crate::state::TaskSnapshot;
use crate::status::{ExecutionState, JobStatus};
use crate::store::CompletedCheckpoint;
use crate::{Profile, Variant};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

pub use crate::job_io::{JobOutput, JobParams, TaskInfo, CANCEL_RPC_CALLS, DEFAULT_DEPLOY_TIMEOUT_MS};

#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
struct Execution {
    attempt: Attempt,
    state: ExecutionState,
    /// When the current deployment was sent (None once the TaskManager reported back).
    deploying_since_ms: Option<u64>,
    /// While CANCELING: the unacknowledged cancel RPC (when the last call was sent, calls so far).
    cancel_rpc: Option<CancelRpc>,
    /// This attempt reported that it reached the end of its data (2.x `notifyEndOfData`).
    end_of_data: bool,
}

/// A cancel RPC waiting for its acknowledgement.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
struct CancelRpc {
    sent_ms: u64,
    calls: u32,
}

/// SplitMix64: a tiny deterministic generator expanding the injected seed into per-decision
/// random values. It is not a source of entropy: the same seed gives the same sequence.
#[derive(Clone, Debug, Hash)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Flink's JobMaster/DefaultScheduler for one job (see the module doc).
#[derive(Clone, Debug, Hash)]
pub struct JobMaster {
    /// Shared by the JobMaster's copies (a host that keeps many, the explorer, clones it per
    /// step): the job never changes under one JobMaster.
    params: Arc<JobParams>,
    status: JobStatus,
    executions: Vec<Execution>,
    coordinator: CheckpointCoordinator,
    restart: RestartStrategy,
    /// While RESTARTING after a global failover: the earliest time the restart may run (it
    /// also waits for every task to be terminal).
    restart_at_ms: Option<u64>,
    /// The job's pipelined regions (computed once from the task graph).
    regions: Arc<Regions>,
    /// While RESTARTING after regional failovers: per region waiting for its restart, the
    /// earliest time it may run (it also waits for the region's tasks to be terminal). Flink's
    /// `DefaultScheduler#verticesWaitingForRestart`: the job is RUNNING again once it is empty.
    region_restarts: BTreeMap<u32, u64>,
    failures_total: u32,
    restarts_total: u32,
    last_view: Option<ExecutionView>,
    rng: SplitMix64,
    outputs: VecDeque<JobOutput>,
    /// flink-2.3: the trigger RPCs not answered yet, by (checkpoint, task): the attempt and when
    /// the RPC was sent. Flink's `Execution#triggerCheckpoint` is an ask whose future fails
    /// after the RPC timeout; `CheckpointCoordinator#triggerCheckpointRequest` then aborts the
    /// checkpoint with `TRIGGER_CHECKPOINT_FAILURE` (not counted).
    trigger_rpcs: BTreeMap<(CheckpointId, TaskId), (Attempt, u64)>,
    /// A user cancel came while the job was FAILING (it is CANCELLING since, §4.4).
    cancelled_while_failing: bool,
}

impl JobMaster {
    /// A JobMaster in CREATED for the job `params` describes (call `start` to run it).
    pub fn new(params: JobParams) -> Self {
        for (i, t) in params.tasks.iter().enumerate() {
            assert_eq!(t.id, TaskId(i as u32), "tasks must be indexed by id");
        }
        let mut rng = SplitMix64(params.random_seed);
        let tasks: Vec<TaskId> = params.tasks.iter().map(|t| t.id).collect();
        let mut coordinator =
            CheckpointCoordinator::new(&params.checkpoint, params.profile, params.variant, tasks, rng.next_u64());
        // The JobMaster fails the job on every FailJob before a queued request is chosen.
        coordinator.hold_queue_on_job_failure();
        coordinator.set_vertices(params.tasks.iter().map(|t| (t.id, t.vertex)).collect());
        let restart = RestartStrategy::new(&params.restart, params.profile, params.variant);
        // The planted `region-first-producer-only`: each subtask linked to its first producer only.
        let first_only = params.variant == Variant::RegionFirstProducerOnly;
        let inputs =
            params.tasks.iter().map(|t| if first_only { &t.inputs[..t.inputs.len().min(1)] } else { &t.inputs[..] });
        let regions = Arc::new(Regions::compute(inputs));
        let executions = params
            .tasks
            .iter()
            .map(|_| Execution {
                attempt: Attempt(0),
                state: ExecutionState::Created,
                deploying_since_ms: None,
                cancel_rpc: None,
                end_of_data: false,
            })
            .collect();
        let jm = JobMaster {
            params: Arc::new(params),
            status: JobStatus::Created,
            executions,
            coordinator,
            restart,
            restart_at_ms: None,
            regions,
            region_restarts: BTreeMap::new(),
            failures_total: 0,
            restarts_total: 0,
            last_view: None,
            rng,
            outputs: VecDeque::new(),
            trigger_rpcs: BTreeMap::new(),
            cancelled_while_failing: false,
        };
        jm.invariants();
        jm
    }

    // ---------------------------------------------------------------- queries

    /// The job's status.
    pub fn status(&self) -> JobStatus {
        self.status
    }

    /// The Flink version whose rules apply.
    pub fn profile(&self) -> Profile {
        self.params.profile
    }

    /// The job's tasks, indexed by `TaskId`.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.params.tasks
    }

    /// The current attempt of `task` and its state.
    pub fn execution(&self, task: TaskId) -> (Attempt, ExecutionState) {
        let e = self.executions[task.0 as usize];
        (e.attempt, e.state)
    }

    /// The job's pipelined regions (§1.7).
    pub fn regions(&self) -> &Regions {
        &self.regions
    }

    /// Whether a task failure restarts only its region: `failover_strategy = "region"` and the
    /// job has more than one region (a single region is the whole job: the same as `full`).
    pub fn restarts_regions(&self) -> bool {
        self.params.failover == FailoverStrategy::Region && self.regions.len() > 1
    }

    /// Restarts so far (failover rounds that restored the tasks, global or regional).
    pub fn restarts(&self) -> u32 {
        self.restarts_total
    }

    /// Failures counted so far (the restart strategy was asked about each).
    pub fn failures(&self) -> u32 {
        self.failures_total
    }

    /// The checkpoint coordinator it hosts.
    pub fn coordinator(&self) -> &CheckpointCoordinator {
        &self.coordinator
    }

    /// The restart strategy and its state.
    pub fn restart_strategy(&self) -> &RestartStrategy {
        &self.restart
    }

    // ---------------------------------------------------------------- inputs

    /// JobManager failover: continue checkpoint ids from the durable counter (call before
    /// [`JobMaster::start`]). See [`CheckpointCoordinator::recover_id_counter`].
    pub fn recover_checkpoint_id_counter(&mut self, next: CheckpointId) {
        assert_eq!(self.status, JobStatus::Created, "the id counter is recovered before start");
        self.coordinator.recover_id_counter(next);
    }

    /// Like [`JobMaster::start`] after a JobManager failover: `recovered` is the job's own
    /// latest completed checkpoint from the HA store (not an external one: the retention policy
    /// decides its fate when the job ends).
    pub fn start_recovered(&mut self, now_ms: u64, recovered: Option<Arc<CompletedCheckpoint>>) {
        if let Some(cp) = recovered.clone() {
            self.coordinator.recover_from_ha(cp);
        }
        self.deploy_first(now_ms, recovered);
    }

    /// Starts the job (CREATED → RUNNING) and deploys every task, restoring from `restore` (a
    /// retained checkpoint or savepoint of an earlier job) when given.
    pub fn start(&mut self, now_ms: u64, restore: Option<Arc<CompletedCheckpoint>>) {
        if let Some(cp) = restore.clone() {
            self.coordinator.restore_from(cp);
        }
        self.deploy_first(now_ms, restore);
    }

    /// CREATED → RUNNING and the first deployment of every task (from `restore` when given).
    fn deploy_first(&mut self, now_ms: u64, restore: Option<Arc<CompletedCheckpoint>>) {
        assert_eq!(self.status, JobStatus::Created, "start called twice");
        self.set_status(now_ms, JobStatus::Running, None);
        self.deploy_all(now_ms, restore);
        self.after_change(now_ms);
    }

    /// A state update from a TaskManager for one execution attempt.
    pub fn handle_task_state(
        &mut self,
        now_ms: u64,
        task: TaskId,
        attempt: Attempt,
        state: ExecutionState,
        cause: Option<String>,
    ) {
        let Some(e) = self.executions.get(task.0 as usize).copied() else { return };
        // A task that ends CANCELED although the JobManager never asked (its TaskManager gave
        // up on it) has failed: Flink marks such an execution FAILED.
        let (state, cause) = if state == ExecutionState::Canceled
            && e.attempt == attempt
            && !matches!(e.state, ExecutionState::Canceling | ExecutionState::Created)
            && !e.state.is_terminal()
        {
            (ExecutionState::Failed, Some(cause.unwrap_or_else(|| "task canceled without a cancel request".into())))
        } else {
            (state, cause)
        };
        if e.attempt != attempt || e.state == state || !e.state.can_transition_to(state) {
            // Stale attempt, duplicate or out-of-order report: Flink discards these.
            if state == ExecutionState::Failed {
                self.plant_count_again(now_ms);
            }
            return;
        }
        self.executions[task.0 as usize].deploying_since_ms = None;
        match state {
            ExecutionState::Failed => {
                let counted = e.state != ExecutionState::Canceling;
                if !counted {
                    self.plant_count_again(now_ms);
                }
                self.set_task_state(task, ExecutionState::Failed);
                if counted {
                    let message = cause.unwrap_or_else(|| "task failed".to_string());
                    let name = self.params.tasks[task.0 as usize].name.clone();
                    self.handle_failure(now_ms, FailureCause::Task { task: name, message }, Some(task));
                }
            }
            ExecutionState::Finished => {
                self.set_task_state(task, state);
                self.coordinator.handle_task_finished(now_ms, task);
                self.drain_coordinator(now_ms);
            }
            _ => self.set_task_state(task, state),
        }
        self.after_change(now_ms);
    }

    /// A heartbeat of TaskManager `tm` listing the executions it runs (`running`). With
    /// deployment reconciliation ([`Profile::reconciles_deployments`]) an execution the
    /// JobMaster placed there, whose deployment the TaskManager acknowledged (it reported a
    /// state since) and that is not terminal here, fails when the report misses it: its final
    /// state update was lost (Flink's `onMissingDeploymentsOf`). An execution still being
    /// deployed is not judged (the report may predate it). A reported execution the JobMaster
    /// does not run (an older attempt, or one it already counts as ended, e.g. after a false
    /// TaskManager loss) is cancelled there (`onUnknownDeploymentsOf`): no zombie keeps writing.
    pub fn handle_tm_report(&mut self, now_ms: u64, tm: TmId, running: &[(TaskId, Attempt)]) {
        if !self.params.profile.reconciles_deployments() {
            return;
        }
        for &(task, attempt) in running {
            let Some(e) = self.executions.get(task.0 as usize) else { continue };
            if e.attempt != attempt || e.state.is_terminal() {
                self.outputs.push_back(JobOutput::Cancel { task, attempt, tm });
            }
        }
        let missing: Vec<(TaskId, Attempt)> = self
            .params
            .tasks
            .iter()
            .filter(|t| t.tm == tm)
            .map(|t| (t.id, self.executions[t.id.0 as usize]))
            .filter(|(_, e)| {
                !e.state.is_terminal() && e.state != ExecutionState::Created && e.deploying_since_ms.is_none()
            })
            .filter(|(id, e)| !running.contains(&(*id, e.attempt)))
            .map(|(id, e)| (id, e.attempt))
            .collect();
        for (task, attempt) in missing {
            self.handle_task_state(
                now_ms,
                task,
                attempt,
                ExecutionState::Failed,
                Some(format!(
                    "execution {attempt} is no longer running on TaskManager {tm} (deployment reconciliation)"
                )),
            );
        }
    }

    /// The TaskManager acknowledged the cancel RPC for this execution (Flink's `cancelTask`
    /// answers at once; the CANCELED state update follows when the task has stopped).
    pub fn handle_cancel_ack(&mut self, _now_ms: u64, task: TaskId, attempt: Attempt) {
        if let Some(e) = self.executions.get_mut(task.0 as usize) {
            if e.attempt == attempt {
                e.cancel_rpc = None;
            }
        }
        self.invariants();
    }

    /// The TaskManager `tm` is lost (heartbeat timeout or crash detected): its executions fail.
    /// Only the first of them counts as a failure of the failover round.
    pub fn handle_tm_lost(&mut self, now_ms: u64, tm: TmId) {
        let lost: Vec<TaskId> = self
            .params
            .tasks
            .iter()
            .filter(|t| t.tm == tm && !self.executions[t.id.0 as usize].state.is_terminal())
            .map(|t| t.id)
            .collect();
        if lost.is_empty() {
            return;
        }
        if self.restarts_regions() {
            // Each lost execution is a task failure of its own (Flink fails them one by one);
            // the first of each region restarts it, the rest of that region are already
            // being cancelled and complete their cancellation.
            for &t in &lost {
                let was = self.executions[t.0 as usize].state;
                if was.is_terminal() {
                    continue;
                }
                self.set_task_state(t, ExecutionState::Failed);
                let attempt = self.executions[t.0 as usize].attempt;
                self.outputs.push_back(JobOutput::Cancel { task: t, attempt, tm });
                if was != ExecutionState::Canceling {
                    self.handle_failure(now_ms, FailureCause::TaskManagerLost { tm }, Some(t));
                }
            }
            self.after_change(now_ms);
            return;
        }
        let counted = self.executions[lost[0].0 as usize].state != ExecutionState::Canceling;
        for &t in &lost {
            self.set_task_state(t, ExecutionState::Failed);
            // Flink's disconnectTaskManager: the TaskManager, if it is alive after all (a
            // heartbeat timeout can be a false alarm), is told to drop the job's tasks.
            let attempt = self.executions[t.0 as usize].attempt;
            self.outputs.push_back(JobOutput::Cancel { task: t, attempt, tm });
        }
        if counted {
            self.handle_failure(now_ms, FailureCause::TaskManagerLost { tm }, Some(lost[0]));
        }
        self.after_change(now_ms);
    }

    /// A task acknowledged checkpoint `id` with its snapshot (forwarded to the coordinator when
    /// it comes from the task's current attempt).
    pub fn handle_ack(
        &mut self,
        now_ms: u64,
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        snapshot: TaskSnapshot,
    ) {
        if self.is_current(task, attempt) {
            self.coordinator.handle_ack(now_ms, id, task, snapshot);
            self.drain_coordinator(now_ms);
        }
        self.invariants();
    }

    /// A task declined checkpoint `id` (forwarded to the coordinator when it comes from the
    /// task's current attempt).
    pub fn handle_decline(
        &mut self,
        now_ms: u64,
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        reason: CheckpointFailureReason,
    ) {
        if self.is_current(task, attempt) {
            self.coordinator.handle_decline(now_ms, id, task, reason);
            self.drain_coordinator(now_ms);
        }
        self.invariants();
    }

    /// The trigger RPC of checkpoint `id` to `task`'s attempt `attempt` failed with `reason`
    /// (2.x: a TaskManager that no longer runs the attempt answers `TASK_CHECKPOINT_FAILURE`).
    /// Forwarded to the coordinator when `attempt` is the task's current attempt, whatever its
    /// state: the task that finished between the plan and the trigger is FINISHED by now.
    pub fn handle_trigger_failure(
        &mut self,
        now_ms: u64,
        task: TaskId,
        attempt: Attempt,
        id: CheckpointId,
        reason: CheckpointFailureReason,
    ) {
        if self.executions.get(task.0 as usize).is_some_and(|e| e.attempt == attempt) {
            self.trigger_rpcs.remove(&(id, task));
            if self.params.variant != Variant::TriggerFailureIgnored {
                self.coordinator.handle_trigger_failure(now_ms, id, reason);
            }
            self.drain_coordinator(now_ms);
        }
        self.invariants();
    }

    /// The TaskManager answered the trigger RPC of checkpoint `id` to `task`'s attempt `attempt`
    /// (2.x: `TaskExecutor#triggerCheckpoint` acknowledges once the task has the trigger in its
    /// mailbox, before the snapshot). The RPC's ask timeout no longer runs for it.
    pub fn handle_trigger_answer(&mut self, now_ms: u64, task: TaskId, attempt: Attempt, id: CheckpointId) {
        let _ = now_ms;
        if self.trigger_rpcs.get(&(id, task)).is_some_and(|&(a, _)| a == attempt) {
            self.trigger_rpcs.remove(&(id, task));
        }
        self.invariants();
    }

    /// Trigger RPCs whose ask timeout ran out without an answer (the request or the answer was
    /// lost or is late): 2.x aborts the checkpoint if it is still pending, with
    /// `TRIGGER_CHECKPOINT_FAILURE` (Flink wraps the RPC's `TimeoutException`; the failure
    /// manager does not count it). The abort happens once per checkpoint; later timeouts of the
    /// same checkpoint find it no longer pending.
    fn expire_trigger_rpcs(&mut self, now_ms: u64) {
        let timeout = self.params.deploy_timeout_ms;
        let due: Vec<(CheckpointId, TaskId)> =
            self.trigger_rpcs.iter().filter(|(_, &(_, sent))| now_ms >= sent + timeout).map(|(k, _)| *k).collect();
        for key in due {
            self.trigger_rpcs.remove(&key);
            if self.params.variant != Variant::TriggerFailureIgnored {
                let reason = CheckpointFailureReason::TriggerCheckpointFailure;
                self.coordinator.handle_trigger_failure(now_ms, key.0, reason);
                self.drain_coordinator(now_ms);
            }
        }
    }

    /// Fires due timers: the coordinator's and the planned restart.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.coordinator.handle_timeout(now_ms);
        self.drain_coordinator(now_ms);
        self.expire_trigger_rpcs(now_ms);
        // Deployments never acknowledged (the message was lost, the TaskManager unreachable).
        let timeout = self.params.deploy_timeout_ms;
        let expired: Vec<TaskId> = (0..self.executions.len())
            .filter(|&i| self.executions[i].deploying_since_ms.is_some_and(|t| now_ms >= t + timeout))
            .map(|i| TaskId(i as u32))
            .collect();
        for task in expired {
            let (attempt, state) = self.execution(task);
            if state == ExecutionState::Deploying {
                self.handle_task_state(
                    now_ms,
                    task,
                    attempt,
                    ExecutionState::Failed,
                    Some(format!("deployment not acknowledged within {timeout} ms")),
                );
            }
        }
        self.retry_cancels(now_ms);
        self.check_progress(now_ms);
        self.after_change(now_ms);
    }

    /// Cancel RPCs whose ask timeout ran out: send again, or after [`CANCEL_RPC_CALLS`] calls
    /// fail the execution, which completes its cancellation.
    fn retry_cancels(&mut self, now_ms: u64) {
        let timeout = self.params.deploy_timeout_ms;
        for i in 0..self.executions.len() {
            let e = self.executions[i];
            let Some(rpc) = e.cancel_rpc else { continue };
            if now_ms < rpc.sent_ms + timeout {
                continue;
            }
            let task = TaskId(i as u32);
            // The planted `cancel-retries-one-fewer` gives up after one call fewer.
            let calls = CANCEL_RPC_CALLS - u32::from(self.params.variant == Variant::CancelRetriesOneFewer);
            if rpc.calls < calls {
                self.executions[i].cancel_rpc = Some(CancelRpc { sent_ms: now_ms, calls: rpc.calls + 1 });
                let tm = self.params.tasks[i].tm;
                self.outputs.push_back(JobOutput::Cancel { task, attempt: e.attempt, tm });
            } else {
                self.outputs.push_back(JobOutput::CancelGaveUp { task, attempt: e.attempt, calls: rpc.calls });
                self.set_task_state(task, ExecutionState::Canceled);
            }
        }
    }

    /// User cancel: CANCELLING, cancel every task, CANCELED once all are terminal.
    ///
    /// A FAILING job (its tasks are already being cancelled) goes CANCELLING too, and ends as
    /// [`Profile::cancel_of_failing_job_ends_canceled`] says: CANCELED (2.x) or FAILED (1.11).
    pub fn cancel(&mut self, now_ms: u64) {
        if matches!(self.status, JobStatus::Created | JobStatus::Running | JobStatus::Restarting) {
            self.restart_at_ms = None;
            self.region_restarts.clear();
            self.set_status(now_ms, JobStatus::Cancelling, Some("cancelled by user".into()));
            self.cancel_all(now_ms);
            self.after_change(now_ms);
        } else if self.status == JobStatus::Failing {
            self.cancelled_while_failing = true;
            self.set_status(now_ms, JobStatus::Cancelling, Some("cancelled by user".into()));
            self.after_change(now_ms);
        }
    }

    /// Stop-with-savepoint: the periodic scheduler stops and a synchronous savepoint is
    /// requested ([`CheckpointCoordinator::stop_with_savepoint`]); once it completed the tasks
    /// finish on their own and the job ends FINISHED (`task_stop.rs`).
    pub fn stop_with_savepoint(&mut self, now_ms: u64, mode: crate::record::StopMode) {
        self.coordinator.stop_with_savepoint(now_ms, mode);
        self.drain_coordinator(now_ms);
        self.invariants();
    }

    /// The stop's savepoint failed: periodic checkpoints resume.
    pub fn resume_after_failed_stop(&mut self, now_ms: u64) {
        self.coordinator.resume_after_failed_stop(now_ms);
        self.drain_coordinator(now_ms);
        self.invariants();
    }

    /// Task `task`'s `attempt` reached the end of its data: its input ended and its operators
    /// finished (Flink 2.x `StreamTask` calls `notifyEndOfData` on the JobMaster before it
    /// waits for its final checkpoint). Flink's `SchedulerBase.notifyEndOfData` records it per
    /// task (`VertexEndOfDataListener`) and, in a streaming job with checkpointing and
    /// checkpoints after tasks finish enabled, triggers a checkpoint at once
    /// (`triggerCheckpoint(CheckpointType.CONFIGURED)`: not periodic, so the min pause does not
    /// hold it back) when every task has reached the end of its data: the final checkpoint does
    /// not wait for the periodic timer ([`Profile::triggers_checkpoint_at_end_of_data`]). A
    /// FINISHED task has reached the end of its data. A stale attempt's report is discarded; a
    /// restart clears the record (a new attempt reports again). During a stop-with-savepoint
    /// (a 2.x drain ends every task's data before the savepoint) no checkpoint is requested:
    /// Flink's request would queue behind the stop's savepoint, which is every task's final
    /// checkpoint (not modelled).
    pub fn handle_end_of_data(&mut self, now_ms: u64, task: TaskId, attempt: Attempt) {
        let Some(e) = self.executions.get(task.0 as usize).copied() else { return };
        // While regions wait for their restart the other regions run on (§1.7): their
        // reports are recorded (Flink's `VertexEndOfDataListener` does not look at the job
        // status); the checkpoint is requested only while RUNNING.
        let regional = self.status == JobStatus::Restarting && !self.region_restarts.is_empty();
        if e.attempt != attempt
            || e.end_of_data
            || e.state.is_terminal()
            || (self.status != JobStatus::Running && !regional)
        {
            return;
        }
        self.executions[task.0 as usize].end_of_data = true;
        let all = self.executions.iter().all(|e| e.end_of_data || e.state == ExecutionState::Finished);
        if all
            && self.status == JobStatus::Running
            && self.params.profile.triggers_checkpoint_at_end_of_data()
            && self.params.checkpoint.periodic_enabled()
            && !self.coordinator.is_stopping()
        {
            self.coordinator.request(now_ms, RequestKind::Manual);
            self.drain_coordinator(now_ms);
        }
        self.invariants();
    }

    /// Whether every execution of the current attempt reached the end of its data (reported it
    /// or FINISHED).
    pub fn all_tasks_end_of_data(&self) -> bool {
        self.executions.iter().all(|e| e.end_of_data || e.state == ExecutionState::Finished)
    }

    /// Report every change of the checkpoint coordinator's request queue
    /// ([`CoordinatorOutput::Queue`] in [`JobOutput::Checkpoint`]): a host that records them lets
    /// a checker replay the decider's queue.
    pub fn report_queue_changes(&mut self) {
        self.coordinator.report_queue_changes();
    }

    /// Report every change of the completed-checkpoint store ([`CoordinatorOutput::Stored`]
    /// in [`JobOutput::Checkpoint`]): a host that records them lets the `retention` checker
    /// judge the store after every completion.
    pub fn report_store_changes(&mut self) {
        self.coordinator.report_store_changes();
    }

    /// A user checkpoint or savepoint request.
    pub fn request_checkpoint(&mut self, now_ms: u64, kind: RequestKind) {
        self.coordinator.request(now_ms, kind);
        self.drain_coordinator(now_ms);
        self.invariants();
    }

    /// Runtime re-tuning of the checkpoint configuration (seed 000).
    pub fn retune(&mut self, now_ms: u64, retune: &Retune) -> Result<(), ConfigError> {
        let r = self.coordinator.retune(now_ms, retune);
        self.drain_coordinator(now_ms);
        self.invariants();
        r
    }

    /// Checkpoint storage reachable or not (forwarded to the coordinator: while it is not, a trigger fails with IO_EXCEPTION, 1.11: TRIGGER_CHECKPOINT_FAILURE).
    /// A status the coordinator already has changes nothing (every handler leaves the
    /// coordinator's queue evaluated and its outputs drained), so a host may report it on every
    /// wake-up at no cost.
    pub fn handle_storage_status(&mut self, now_ms: u64, available: bool) {
        if self.coordinator.storage_available() == available {
            return;
        }
        self.coordinator.handle_storage_status(now_ms, available);
        self.drain_coordinator(now_ms);
        self.invariants();
    }

    /// The next output, in decision order.
    pub fn poll_output(&mut self) -> Option<JobOutput> {
        self.outputs.pop_front()
    }

    /// The earliest time `handle_timeout` has work (restart, deployment or cancel timeouts, the coordinator's timers).
    pub fn poll_timeout(&self) -> Option<u64> {
        let c = self.coordinator.poll_timeout();
        // The restart runs at its time only once every task is terminal; before that the last
        // task's terminal update runs it. A deadline reported while it cannot fire would hide
        // the later ones (cancel retries) and wake the host for nothing until they come.
        // One pass over the executions (the host asks after every handler): whether all are
        // terminal, and the oldest deployment and cancel RPC (each times out after the deploy
        // timeout).
        let (mut all_terminal, mut oldest_rpc) = (true, None::<u64>);
        for e in &self.executions {
            all_terminal &= e.state.is_terminal();
            for sent in [e.deploying_since_ms, e.cancel_rpc.map(|r| r.sent_ms)].into_iter().flatten() {
                oldest_rpc = Some(oldest_rpc.map_or(sent, |o| o.min(sent)));
            }
        }
        let r = if self.status == JobStatus::Restarting && all_terminal { self.restart_at_ms } else { None };
        let g = self.region_restarts.iter().filter(|(r, _)| self.region_terminal(**r)).map(|(_, &at)| at).min();
        let dk = oldest_rpc.map(|t| t + self.params.deploy_timeout_ms);
        let a = self.trigger_rpcs.values().map(|&(_, sent)| sent).min().map(|t| t + self.params.deploy_timeout_ms);
        [c, r, g, dk, a].into_iter().flatten().min()
    }

    /// Panics if the job status, the executions and the coordinator disagree.
    pub fn invariants(&self) {
        assert_eq!(self.executions.len(), self.params.tasks.len());
        let attempt = self.executions.iter().map(|e| e.attempt).max().expect("a job has tasks");
        if !self.restarts_regions() {
            assert!(self.executions.iter().all(|e| e.attempt == attempt), "global failover: one attempt for all tasks");
        }
        assert_eq!(attempt.0, self.restarts_total, "each restart's tasks get the next attempt");
        assert!(self.restarts_total <= self.failures_total);
        assert!(
            self.restart_at_ms.is_none() || self.region_restarts.is_empty(),
            "a global and a regional restart at once"
        );
        assert_eq!(
            self.restart_at_ms.is_some() || !self.region_restarts.is_empty(),
            self.status == JobStatus::Restarting,
            "restart timer only while RESTARTING"
        );
        for r in self.region_restarts.keys() {
            assert!(
                self.regions.tasks(*r).iter().all(|t| {
                    let s = self.executions[t.0 as usize].state;
                    s.is_terminal() || s == ExecutionState::Canceling
                }),
                "tasks of a region waiting for its restart still running"
            );
        }
        if self.status.is_terminal() {
            assert!(self.executions.iter().all(|e| e.state.is_terminal()), "terminal job with live tasks");
        }
        for e in &self.executions {
            assert!(
                e.deploying_since_ms.is_none() || e.state == ExecutionState::Deploying,
                "deploy deadline outside DEPLOYING"
            );
            assert!(
                e.cancel_rpc.is_none() || e.state == ExecutionState::Canceling,
                "cancel RPC pending outside CANCELING"
            );
        }
        if self.status == JobStatus::Created {
            assert!(self.executions.iter().all(|e| e.state == ExecutionState::Created));
        }
        assert!(
            !self.cancelled_while_failing
                || matches!(
                    self.status,
                    JobStatus::Cancelling | JobStatus::Failed | JobStatus::Canceled | JobStatus::Suspended
                ),
            "a cancel of a failing job outside CANCELLING and its ends"
        );
        if matches!(self.status, JobStatus::Failing | JobStatus::Cancelling) || self.restart_at_ms.is_some() {
            assert!(
                self.executions.iter().all(|e| e.state.is_terminal() || e.state == ExecutionState::Canceling),
                "tasks still running while {}",
                self.status
            );
        }
    }

    // ---------------------------------------------------------------- internals

    fn is_current(&self, task: TaskId, attempt: Attempt) -> bool {
        self.executions.get(task.0 as usize).is_some_and(|e| e.attempt == attempt && e.state == ExecutionState::Running)
    }

    fn set_status(&mut self, _now_ms: u64, to: JobStatus, cause: Option<String>) {
        let from = self.status;
        assert!(from.can_transition_to(to), "illegal job transition {from} -> {to}");
        self.status = to;
        self.outputs.push_back(JobOutput::JobStatusChanged { from, to, cause });
    }

    fn set_task_state(&mut self, task: TaskId, to: ExecutionState) {
        let e = &mut self.executions[task.0 as usize];
        let from = e.state;
        assert!(from.can_transition_to(to), "illegal task transition {from} -> {to} for {task}");
        e.state = to;
        if to != ExecutionState::Deploying {
            e.deploying_since_ms = None;
        }
        if to != ExecutionState::Canceling {
            e.cancel_rpc = None;
        }
        self.outputs.push_back(JobOutput::TaskStateChanged { task, attempt: e.attempt, from, to });
    }

    fn deploy_all(&mut self, now_ms: u64, restore: Option<Arc<CompletedCheckpoint>>) {
        let all: Vec<TaskId> = self.params.tasks.iter().map(|t| t.id).collect();
        self.deploy(now_ms, &all, restore);
    }

    fn deploy(&mut self, now_ms: u64, tasks: &[TaskId], restore: Option<Arc<CompletedCheckpoint>>) {
        for &task in tasks {
            let i = task.0 as usize;
            let tm = self.params.tasks[i].tm;
            self.set_task_state(task, ExecutionState::Scheduled);
            self.set_task_state(task, ExecutionState::Deploying);
            self.executions[i].deploying_since_ms = Some(now_ms);
            let attempt = self.executions[i].attempt;
            self.outputs.push_back(JobOutput::Deploy { task, attempt, tm, restore: restore.clone() });
        }
    }

    fn cancel_all(&mut self, now_ms: u64) {
        let all: Vec<TaskId> = self.params.tasks.iter().map(|t| t.id).collect();
        self.cancel_tasks(now_ms, &all);
    }

    fn cancel_tasks(&mut self, now_ms: u64, tasks: &[TaskId]) {
        for &task in tasks {
            let i = task.0 as usize;
            let e = self.executions[i];
            match e.state {
                ExecutionState::Created => self.set_task_state(task, ExecutionState::Canceled),
                s if s.is_terminal() || s == ExecutionState::Canceling => {}
                _ => {
                    self.set_task_state(task, ExecutionState::Canceling);
                    // The broken variant sends the cancel once and never tracks its answer.
                    if self.params.variant != Variant::NoCancelRetry {
                        self.executions[i].cancel_rpc = Some(CancelRpc { sent_ms: now_ms, calls: 1 });
                    }
                    let tm = self.params.tasks[i].tm;
                    self.outputs.push_back(JobOutput::Cancel { task, attempt: e.attempt, tm });
                }
            }
        }
    }

    /// The planted [`Variant::FailureCountedTwice`]: a failure report Flink discards (a stale
    /// or repeated FAILED, or the failure of an execution being cancelled) notifies the restart
    /// strategy once more, without a restart of its own.
    fn plant_count_again(&mut self, now_ms: u64) {
        if self.params.variant == Variant::FailureCountedTwice && !self.status.is_terminal() {
            self.failures_total += 1;
            let random = self.rng.next_u64();
            self.restart.notify_failure(now_ms, random);
        }
    }

    /// A counted failure: consult the restart strategy (§4.1). `failed` is the failed task (None:
    /// a global failure, which restarts every task whatever the failover strategy).
    fn handle_failure(&mut self, now_ms: u64, cause: FailureCause, failed: Option<TaskId>) {
        let region = failed.filter(|_| self.restarts_regions()).map(|t| self.regions.of(t));
        // A further region may fail while others wait for their restart (the job is
        // RESTARTING, its other regions run): Flink handles each task failure on its own.
        let regional_round = region.is_some_and(|r| {
            self.status == JobStatus::Restarting
                && self.restart_at_ms.is_none()
                && !self.region_restarts.contains_key(&r)
        });
        if self.status != JobStatus::Running && !regional_round {
            // Failures while already restarting/failing/cancelling belong to that round.
            return;
        }
        self.failures_total += 1;
        if let Some(savepoint) = self.coordinator.stop_savepoint_completed() {
            if self.profile().failure_after_stop_savepoint_fails_job() {
                // §12.6: `StopWithSavepointStoppingException` is not recoverable (FLINK-26783).
                let cause = FailureCause::StoppingAfterSavepoint { savepoint, failure: Box::new(cause) };
                self.region_restarts.clear();
                self.set_status(now_ms, JobStatus::Failing, Some(cause.to_string()));
                self.outputs.push_back(JobOutput::RestartSuppressed { failure: self.failures_total, cause });
                self.cancel_all(now_ms);
                return;
            }
        }
        let random = self.rng.next_u64();
        self.restart.notify_failure(now_ms, random);
        if !self.restart.can_restart(now_ms) {
            self.region_restarts.clear();
            self.set_status(now_ms, JobStatus::Failing, Some(cause.to_string()));
            self.outputs.push_back(JobOutput::RestartSuppressed { failure: self.failures_total, cause });
            self.cancel_all(now_ms);
            return;
        }
        let backoff_ms = self.restart.backoff_ms(now_ms);
        let at_ms = now_ms + backoff_ms;
        match region {
            // Regional failover (Flink's `DefaultScheduler#restartTasksWithDelay` with the
            // region's vertices): `addVerticesToRestartPending` moves the job RUNNING ->
            // RESTARTING (once), only the region's tasks are cancelled.
            Some(r) => {
                self.region_restarts.insert(r, at_ms);
                if self.status == JobStatus::Running {
                    self.set_status(now_ms, JobStatus::Restarting, Some(cause.to_string()));
                }
            }
            None => {
                self.restart_at_ms = Some(at_ms);
                self.set_status(now_ms, JobStatus::Restarting, Some(cause.to_string()));
            }
        }
        self.outputs.push_back(JobOutput::RestartScheduled { at_ms, backoff_ms, failure: self.failures_total, cause });
        match region {
            Some(r) => {
                let tasks = self.regions.tasks(r).to_vec();
                self.cancel_tasks(now_ms, &tasks);
            }
            None => self.cancel_all(now_ms),
        }
    }

    /// Moves FAILING/CANCELLING to their terminal status and runs a due restart.
    fn check_progress(&mut self, now_ms: u64) {
        let all_terminal = self.executions.iter().all(|e| e.state.is_terminal());
        // The planted `restart-skips-delay`: a restart is due once its tasks are cancelled,
        // whatever the strategy's delay.
        let due_ms = if self.params.variant == Variant::RestartSkipsDelay { u64::MAX } else { now_ms };
        match self.status {
            JobStatus::Failing if all_terminal => self.terminate(now_ms, JobStatus::Failed),
            JobStatus::Cancelling if all_terminal => {
                let ends_failed = self.cancelled_while_failing && !self.profile().cancel_of_failing_job_ends_canceled();
                self.terminate(now_ms, if ends_failed { JobStatus::Failed } else { JobStatus::Canceled })
            }
            JobStatus::Running if self.executions.iter().all(|e| e.state == ExecutionState::Finished) => {
                self.terminate(now_ms, JobStatus::Finished)
            }
            JobStatus::Restarting if all_terminal && self.restart_at_ms.is_some_and(|t| due_ms >= t) => {
                self.do_restart(now_ms)
            }
            JobStatus::Restarting if !self.region_restarts.is_empty() => {
                let due: Vec<u32> = self
                    .region_restarts
                    .iter()
                    .filter(|(r, &at)| due_ms >= at && self.region_terminal(**r))
                    .map(|(r, _)| *r)
                    .collect();
                for r in due {
                    self.do_region_restart(now_ms, r);
                }
            }
            _ => {}
        }
    }

    fn terminate(&mut self, now_ms: u64, status: JobStatus) {
        self.set_status(now_ms, status, None);
        self.update_view(now_ms);
        let retained = self.coordinator.shutdown(now_ms, status);
        self.drain_coordinator(now_ms);
        self.outputs.push_back(JobOutput::Terminated { status, retained });
    }

    fn do_restart(&mut self, now_ms: u64) {
        self.restart_at_ms = None;
        let restore = self.coordinator.handle_global_failover(now_ms);
        self.drain_coordinator(now_ms);
        self.restarts_total += 1;
        for e in &mut self.executions {
            assert!(e.state.is_terminal());
            // Every task gets the next attempt (with regional restarts before, the tasks'
            // attempts may differ; the new one is above all of them).
            e.attempt = Attempt(self.restarts_total);
            e.end_of_data = false;
            e.state = ExecutionState::Created;
            e.cancel_rpc = None;
        }
        let attempt = self.executions[0].attempt;
        self.outputs.push_back(JobOutput::Restored { checkpoint: restore.as_ref().map(|c| c.id), attempt });
        self.set_status(now_ms, JobStatus::Running, None);
        self.deploy_all(now_ms, restore);
    }

    /// Whether every task of region `r` is terminal (its cancellation completed).
    fn region_terminal(&self, r: u32) -> bool {
        self.regions.tasks(r).iter().all(|t| self.executions[t.0 as usize].state.is_terminal())
    }

    /// A regional restart (Flink's `DefaultScheduler#restartTasks` for the region's vertices):
    /// the region leaves the restart-pending set (the job is RUNNING again once the set is
    /// empty), pending checkpoints abort with JOB_FAILOVER_REGION, and the region's tasks get a
    /// new attempt restored from the latest completed checkpoint
    /// (`restoreLatestCheckpointedStateToSubtasks`). The other tasks keep running.
    fn do_region_restart(&mut self, now_ms: u64, r: u32) {
        self.region_restarts.remove(&r);
        let tasks = self.regions.tasks(r).to_vec();
        let restore = self.coordinator.handle_regional_failover(now_ms, &tasks);
        // The planted `region-restarts-without-state` (FLINK-10712): the region starts empty.
        let restore = restore.filter(|_| self.params.variant != Variant::RegionRestartsWithoutState);
        self.drain_coordinator(now_ms);
        self.restarts_total += 1;
        let attempt = Attempt(self.restarts_total);
        for t in &tasks {
            let e = &mut self.executions[t.0 as usize];
            assert!(e.state.is_terminal());
            e.attempt = attempt;
            e.end_of_data = false;
            e.state = ExecutionState::Created;
            e.cancel_rpc = None;
        }
        self.outputs.push_back(JobOutput::RegionRestored {
            checkpoint: restore.as_ref().map(|c| c.id),
            attempt,
            tasks: tasks.clone(),
        });
        if self.region_restarts.is_empty() {
            self.set_status(now_ms, JobStatus::Running, None);
        }
        self.deploy(now_ms, &tasks, restore);
    }

    /// Common tail of every input that may change statuses.
    fn after_change(&mut self, now_ms: u64) {
        self.check_progress(now_ms);
        self.update_view(now_ms);
        self.drain_coordinator(now_ms);
        self.invariants();
    }

    fn update_view(&mut self, now_ms: u64) {
        let view = ExecutionView {
            job_status: self.status,
            all_tasks_running_or_finished: self
                .executions
                .iter()
                .all(|e| matches!(e.state, ExecutionState::Running | ExecutionState::Finished)),
            sources_running: self.sources_running(),
        };
        if self.last_view.as_ref() != Some(&view) {
            self.last_view = Some(view);
            let random = self.rng.next_u64();
            self.coordinator.handle_execution_view(now_ms, view, random);
        }
    }

    /// The trigger pre-flight (§1.5): every source RUNNING. With checkpoints after tasks finish
    /// (flink-2.3) FINISHED sources are allowed as long as a task can still be triggered: a
    /// RUNNING source, or a RUNNING task whose upstream tasks all FINISHED (Flink's
    /// `DefaultCheckpointPlanCalculator` triggers exactly the running tasks without a running
    /// predecessor once some tasks finished). Before, once every source had finished no
    /// checkpoint was triggered, and a task that still had to take its final checkpoint
    /// (FLIP-147) waited forever: the liveness stall of tumbling-2pc-failures --seed 1915 --swarm.
    fn sources_running(&self) -> bool {
        let states =
            || self.params.tasks.iter().filter(|t| t.is_source).map(|t| self.executions[t.id.0 as usize].state);
        if self.params.profile.checkpoints_after_tasks_finish() {
            states().all(|s| matches!(s, ExecutionState::Running | ExecutionState::Finished))
                && (self.any_source_running()
                    || self.params.tasks.iter().any(|t| !t.is_source && self.triggered_directly(t)))
        } else {
            states().all(|s| s == ExecutionState::Running)
        }
    }

    fn any_source_running(&self) -> bool {
        self.params
            .tasks
            .iter()
            .any(|t| t.is_source && self.executions[t.id.0 as usize].state == ExecutionState::Running)
    }

    /// A non-source task the trigger goes to itself (flink-2.3 only): RUNNING, with every
    /// upstream task FINISHED (Flink: `DefaultCheckpointPlanCalculator.calculateAfterTasksFinished`;
    /// the task checkpoints at once, `StreamTask.triggerCheckpointAsync` with its input gates
    /// finished).
    fn triggered_directly(&self, t: &TaskInfo) -> bool {
        self.params.profile.checkpoints_after_tasks_finish()
            && !t.inputs.is_empty()
            && self.executions[t.id.0 as usize].state == ExecutionState::Running
            && t.inputs.iter().all(|u| self.executions[u.0 as usize].state == ExecutionState::Finished)
    }

    /// Routes coordinator outputs to tasks and handles tolerable-failure job failures.
    fn drain_coordinator(&mut self, now_ms: u64) {
        while let Some(out) = self.coordinator.poll_output() {
            match out {
                CoordinatorOutput::Trigger { id, timestamp_ms, kind, alignment, stop, .. } => {
                    let barrier = Barrier { id, timestamp_ms, kind, alignment, stop };
                    for t in &self.params.tasks {
                        // Every RUNNING source; and the RUNNING tasks whose upstream tasks all
                        // FINISHED (their input channels ended, no barrier reaches them). A
                        // FINISHED source is not triggered (2.x `DefaultCheckpointPlanCalculator`
                        // triggers running tasks only; 1.11's pre-check refuses the trigger
                        // unless every source is RUNNING).
                        let e = self.executions[t.id.0 as usize];
                        if (t.is_source && e.state == ExecutionState::Running) || self.triggered_directly(t) {
                            if self.params.profile.trigger_rpc_failure_aborts_checkpoint() {
                                self.trigger_rpcs.insert((id, t.id), (e.attempt, now_ms));
                            }
                            self.outputs.push_back(JobOutput::Trigger {
                                task: t.id,
                                attempt: e.attempt,
                                tm: t.tm,
                                barrier,
                            });
                        }
                    }
                    self.outputs.push_back(JobOutput::Checkpoint(out));
                }
                CoordinatorOutput::NotifyComplete { id } => {
                    for t in &self.params.tasks {
                        let e = self.executions[t.id.0 as usize];
                        if e.state == ExecutionState::Running {
                            self.outputs.push_back(JobOutput::NotifyComplete {
                                task: t.id,
                                attempt: e.attempt,
                                tm: t.tm,
                                id,
                            });
                        }
                    }
                }
                CoordinatorOutput::NotifyAborted { id, latest_completed } => {
                    // The planted `abort-ignores-latest-completed`: the carried id is dropped.
                    let latest_completed =
                        latest_completed.filter(|_| self.params.variant != Variant::AbortIgnoresLatestCompleted);
                    for t in &self.params.tasks {
                        let e = self.executions[t.id.0 as usize];
                        if e.state == ExecutionState::Running {
                            // 2.x: one `notifyCheckpointAborted(id, latest)` RPC; the task runs
                            // `notifyCheckpointComplete(latest)` first. Here: two messages, in
                            // that order, on the same FIFO control link.
                            if let Some(latest) = latest_completed {
                                self.outputs.push_back(JobOutput::NotifyComplete {
                                    task: t.id,
                                    attempt: e.attempt,
                                    tm: t.tm,
                                    id: latest,
                                });
                            }
                            self.outputs.push_back(JobOutput::NotifyAborted {
                                task: t.id,
                                attempt: e.attempt,
                                tm: t.tm,
                                id,
                            });
                        }
                    }
                }
                CoordinatorOutput::FailJob(ref fail) => {
                    let cause = if fail.sync_savepoint {
                        FailureCause::SyncSavepointFailed { reason: fail.reason, checkpoint: fail.id }
                    } else {
                        FailureCause::TolerableCheckpointFailures { reason: fail.reason, checkpoint: fail.id }
                    };
                    self.outputs.push_back(JobOutput::Checkpoint(out));
                    self.handle_failure(now_ms, cause, None);
                    self.update_view(now_ms);
                    // Queued requests are chosen only now, against the failed job's view.
                    self.coordinator.job_failure_handled(now_ms);
                }
                other => self.outputs.push_back(JobOutput::Checkpoint(other)),
            }
        }
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "job_region_tests.rs"]
mod region_tests;
