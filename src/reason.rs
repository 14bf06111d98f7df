//! Checkpoint failure reasons (Flink's `CheckpointFailureReason`), shared by coordinator, tasks and failure manager.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a checkpoint (or a trigger request) failed. Names follow Flink's enum.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckpointFailureReason {
    /// The periodic trigger was stopped (job suspended or finishing) before the checkpoint could start.
    PeriodicSchedulerShutdown,
    /// The request queue is full (`MAX_QUEUED_REQUESTS`): the request is dropped.
    TooManyCheckpointRequests,
    /// A periodic trigger came before `min-pause` since the last completion.
    MinimumTimeBetweenCheckpoints,
    /// Pre-flight: a task to trigger (or to acknowledge) is not RUNNING.
    NotAllRequiredTasksRunning,
    /// Writing the checkpoint's metadata to checkpoint storage failed (JobManager side).
    IoException,
    /// A task's asynchronous snapshot part (the upload) failed.
    CheckpointAsyncException,
    /// A task declined the checkpoint (a synchronous snapshot failure).
    CheckpointDeclined,
    /// Not every task acknowledged before `checkpoint.timeout`.
    CheckpointExpired,
    /// A later checkpoint completed first (the pending one is dropped).
    CheckpointSubsumed,
    /// The coordinator was suspended (global failover, JobManager loss).
    CheckpointCoordinatorSuspend,
    /// The coordinator shut down with the job.
    CheckpointCoordinatorShutdown,
    /// A regional failover aborted the checkpoint (not used by the whole-job failover modelled).
    JobFailoverRegion,
    /// A task declined: it was not ready (still initializing).
    CheckpointDeclinedTaskNotReady,
    /// A task declined: it is closing (its input ended or it finished).
    CheckpointDeclinedTaskClosing,
    /// A task received a cancellation barrier (aborted by alignment).
    CheckpointDeclinedOnCancellationBarrier,
    /// A task declined because a newer barrier overtook this checkpoint's.
    CheckpointDeclinedSubsumed,
    /// A task declined because an input ended before the barrier arrived.
    CheckpointDeclinedInputEndOfStream,
    /// A task taking part in the checkpoint failed.
    TaskFailure,
    /// A task's checkpoint failed for a task-side reason other than a decline.
    TaskCheckpointFailure,
    /// Finalizing the completed checkpoint (metadata, store) failed.
    FinalizeCheckpointFailure,
    /// The trigger itself failed (master hooks or operator coordinators threw).
    TriggerCheckpointFailure,
    /// The job failed while the checkpoint was pending.
    JobFailure,
}

impl CheckpointFailureReason {
    /// Flink's constant name, e.g. `CHECKPOINT_EXPIRED`.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// Task-level reasons (a task declined) versus job-level ones (expiry, JM-side IO, pre-flight);
    /// the failure manager fails the job differently for each (§2).
    pub fn is_task_level(self) -> bool {
        use CheckpointFailureReason::*;
        matches!(
            self,
            CheckpointDeclined
                | CheckpointAsyncException
                | CheckpointDeclinedTaskNotReady
                | CheckpointDeclinedTaskClosing
                | CheckpointDeclinedOnCancellationBarrier
                | CheckpointDeclinedSubsumed
                | CheckpointDeclinedInputEndOfStream
                | TaskFailure
                | TaskCheckpointFailure
        )
    }
}

impl fmt::Display for CheckpointFailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the job failed (what the restart strategy is asked about): a task's failure, a lost
/// TaskManager, or the checkpoint failure manager's tolerable limit crossed. `Display` gives
/// the text Flink's exceptions read like; checkers read the fields.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum FailureCause {
    /// A task failed (`task`: its name, `message`: what it threw).
    Task {
        /// The failed task's name.
        task: String,
        /// What it threw.
        message: String,
    },
    /// A TaskManager was lost (heartbeat timeout or a reported crash); its tasks failed.
    TaskManagerLost {
        /// The lost TaskManager.
        tm: crate::ids::TmId,
    },
    /// `CheckpointFailureManager` counted more consecutive failures than tolerable: `reason`
    /// of the failure that crossed the limit, and its checkpoint (`None`: no pending checkpoint).
    TolerableCheckpointFailures {
        /// Why the failure that crossed the limit failed.
        reason: CheckpointFailureReason,
        /// Its checkpoint (`None`: no pending checkpoint).
        checkpoint: Option<crate::ids::CheckpointId>,
    },
    /// A stop-with-savepoint's synchronous savepoint failed after it reached the tasks: the job
    /// fails over (Flink's `StopWithSavepointTerminationHandlerImpl`), whatever the tolerance.
    SyncSavepointFailed {
        /// Why the savepoint failed.
        reason: CheckpointFailureReason,
        /// The savepoint's id (`None` when it never got one).
        checkpoint: Option<crate::ids::CheckpointId>,
    },
    /// 2.x: `failure` struck after the stop's synchronous `savepoint` completed and before the
    /// job reached FINISHED. Flink wraps it in a `StopWithSavepointStoppingException`, a
    /// non-recoverable error: the job fails without consulting the restart strategy.
    StoppingAfterSavepoint {
        /// The stop's completed synchronous savepoint.
        savepoint: crate::ids::CheckpointId,
        /// What failed after it (typed: a task's failure, a lost TaskManager, the tolerable
        /// checkpoint failures crossed, ...).
        failure: Box<FailureCause>,
    },
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::Task { task, message } => write!(f, "{task} failed: {message}"),
            FailureCause::TaskManagerLost { tm } => write!(f, "TaskManager {tm} lost"),
            FailureCause::TolerableCheckpointFailures { reason, checkpoint } => {
                write!(f, "Exceeded checkpoint tolerable failure threshold ({reason}")?;
                if let Some(id) = checkpoint {
                    write!(f, ", checkpoint {id}")?;
                }
                write!(f, ")")
            }
            FailureCause::StoppingAfterSavepoint { savepoint, failure } => write!(
                f,
                "A savepoint has been created (savepoint {}), but the job failed during stopping \
                 (StopWithSavepointStoppingException, not recoverable): {failure}",
                savepoint.0
            ),
            FailureCause::SyncSavepointFailed { reason, checkpoint } => write!(
                f,
                "Stop-with-savepoint failed: synchronous savepoint {} failed ({reason})",
                checkpoint.map_or(0, |i| i.0)
            ),
        }
    }
}
