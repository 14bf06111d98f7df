//! What the JobMaster is built from and what it asks of its host: [`JobParams`] with each task's [`TaskInfo`], and the [`JobOutput`]s drained from `JobMaster::poll_output` (child of `job.rs`, re-exported there).

use crate::config::{CheckpointConfig, RestartStrategyConfig};
use crate::coordinator::CoordinatorOutput;
use crate::ids::{Attempt, CheckpointId, TaskId, TmId};
use crate::reason::FailureCause;
use crate::record::Barrier;
use crate::status::{ExecutionState, JobStatus};
use crate::store::CompletedCheckpoint;
use crate::{Profile, Variant};
use std::sync::Arc;

/// One task of the job graph as the JobMaster sees it.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task.
    pub id: TaskId,
    /// Its name, e.g. `Sum[1]`.
    pub name: String,
    /// Sources receive trigger messages (§1.5).
    pub is_source: bool,
    /// The TaskManager whose slot hosts this task.
    pub tm: TmId,
    /// The upstream tasks feeding this one (empty for a source). With checkpoints after tasks
    /// finish, a RUNNING task whose upstream tasks are all FINISHED is triggered directly.
    pub inputs: Vec<TaskId>,
    /// The job vertex (Flink's `ExecutionJobVertex`) this task is a subtask of: tasks with the
    /// same number are the subtasks of one vertex. The coordinator reads it for FLIP-147's
    /// partly finished vertices (`DefaultCheckpointPlan#fulfillFinishedTaskStatus`).
    pub vertex: u32,
}

/// Everything a [`JobMaster`](crate::job::JobMaster) is built from.
#[derive(Clone, Debug, Hash)]
pub struct JobParams {
    /// Validated.
    pub checkpoint: CheckpointConfig,
    /// Resolved (defaults applied) and validated.
    pub restart: RestartStrategyConfig,
    /// The Flink version whose rules apply.
    pub profile: Profile,
    /// The protocol variant (correct or one planted bug).
    pub variant: Variant,
    /// Indexed by `TaskId`: `tasks[i].id == TaskId(i)`.
    pub tasks: Vec<TaskInfo>,
    /// All of the JobMaster's randomness derives from this value.
    pub random_seed: u64,
    /// A deployment the TaskManager has not acknowledged within this time fails the execution
    /// (Flink's RPC ask timeout, `akka.ask.timeout`/`pekko.ask.timeout`, default 10 s).
    pub deploy_timeout_ms: u64,
    /// Which tasks a task failure restarts (`full`: all; `region`: the failed task's pipelined
    /// region, semantics §1.7).
    pub failover: crate::region::FailoverStrategy,
}

/// Flink's default RPC ask timeout.
pub const DEFAULT_DEPLOY_TIMEOUT_MS: u64 = 10_000;

/// How often the JobMaster sends a cancel RPC for one execution before it gives up: the first
/// call and `NUM_CANCEL_CALL_TRIES` = 3 retries (Flink's `Execution.sendCancelRpcCall` through
/// `FutureUtils.retry`), each waiting for the acknowledgement up to the RPC ask timeout.
pub const CANCEL_RPC_CALLS: u32 = 4;

/// What the JobMaster asks its host to do or record.
#[derive(Clone, Debug, Hash)]
pub enum JobOutput {
    /// Deploy a new attempt of `task` on `tm`, restoring from `restore` when present.
    Deploy {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The TaskManager that hosts it.
        tm: TmId,
        /// The checkpoint to restore (`None`: empty state).
        restore: Option<Arc<CompletedCheckpoint>>,
    },
    /// Cancel an execution (the TaskManager answers CANCELED).
    Cancel {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The TaskManager that hosts it.
        tm: TmId,
    },
    /// Trigger a checkpoint at a source task.
    Trigger {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The TaskManager that hosts it.
        tm: TmId,
        /// The checkpoint's barrier.
        barrier: Barrier,
    },
    /// Tell a task that checkpoint `id` completed (`notifyCheckpointComplete`).
    NotifyComplete {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The TaskManager that hosts it.
        tm: TmId,
        /// The checkpoint.
        id: CheckpointId,
    },
    /// Tell a task that checkpoint `id` was aborted (`notifyCheckpointAborted`).
    NotifyAborted {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The TaskManager that hosts it.
        tm: TmId,
        /// The checkpoint.
        id: CheckpointId,
    },
    /// The job's status changed.
    JobStatusChanged {
        /// The previous status.
        from: JobStatus,
        /// The new status.
        to: JobStatus,
        /// Why (a failure's text), when there is a cause.
        cause: Option<String>,
    },
    /// An execution's state changed.
    TaskStateChanged {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// The previous state.
        from: ExecutionState,
        /// The new state.
        to: ExecutionState,
    },
    /// Coordinator decisions worth tracing (completions, aborts, rejected requests, scheduler).
    Checkpoint(CoordinatorOutput),
    /// A failure that the restart strategy accepted: the restart runs at `at_ms` at the earliest.
    RestartScheduled {
        /// When the restart runs at the earliest, ms.
        at_ms: u64,
        /// The restart strategy's delay, ms.
        backoff_ms: u64,
        /// The failure's number in this job.
        failure: u32,
        /// The failure.
        cause: FailureCause,
    },
    /// A failure that the restart strategy refused: the job fails.
    RestartSuppressed {
        /// The failure's number in this job.
        failure: u32,
        /// The failure.
        cause: FailureCause,
    },
    /// Every cancel RPC for this execution went unacknowledged ([`CANCEL_RPC_CALLS`] calls, each
    /// given the ask timeout): the JobMaster fails the execution, which completes its
    /// cancellation (Flink: "Task could not be canceled."; `Execution.processFail` on a
    /// CANCELING execution calls `completeCancelling`).
    CancelGaveUp {
        /// The task.
        task: TaskId,
        /// The execution attempt.
        attempt: Attempt,
        /// Cancel RPCs sent.
        calls: u32,
    },
    /// A failover round restored the tasks from this checkpoint (None: empty state).
    Restored {
        /// The checkpoint restored (`None`: empty state).
        checkpoint: Option<CheckpointId>,
        /// The execution attempt.
        attempt: Attempt,
    },
    /// A regional failover restored the tasks of one pipelined region (`tasks`, ascending) in
    /// a new `attempt` from `checkpoint`; the other tasks kept running. A restart of every task
    /// (a global failover, or a region that is the whole job) is [`JobOutput::Restored`].
    RegionRestored {
        /// The checkpoint restored (`None`: empty state, or the one the job started from).
        checkpoint: Option<CheckpointId>,
        /// The restored tasks' new execution attempt.
        attempt: Attempt,
        /// The restored tasks.
        tasks: Vec<TaskId>,
    },
    /// The job reached a terminal status; `retained` are the checkpoints kept by retention.
    Terminated {
        /// The terminal status.
        status: JobStatus,
        /// The checkpoints retention kept.
        retained: Vec<Arc<CompletedCheckpoint>>,
    },
}
