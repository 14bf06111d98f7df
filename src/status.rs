//! Job status and task execution state machines with only Flink's legal transitions (semantics §4.4).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Flink's `JobStatus` (the subset the DefaultScheduler uses). A job starts CREATED (the default).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Submitted, no task deployed yet.
    #[default]
    Created,
    /// Tasks are being deployed or run.
    Running,
    /// A failover cancelled every task; waiting out the restart delay.
    Restarting,
    /// The restart strategy refused: cancelling the tasks before FAILED.
    Failing,
    /// Terminal: failed and not restarted.
    Failed,
    /// A cancel was asked: cancelling every task.
    Cancelling,
    /// Terminal: cancelled.
    Canceled,
    /// Terminal: every task finished (bounded input, or stop-with-savepoint).
    Finished,
    /// The JobManager lost leadership: the job stops here and a new leader recovers it (locally terminal).
    Suspended,
}

impl JobStatus {
    /// Flink's constant name, e.g. `RUNNING`.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// FAILED, CANCELED, FINISHED.
    pub fn is_globally_terminal(self) -> bool {
        matches!(self, JobStatus::Failed | JobStatus::Canceled | JobStatus::Finished)
    }

    /// Globally terminal or SUSPENDED (this JobManager is done with the job).
    pub fn is_terminal(self) -> bool {
        self.is_globally_terminal() || self == JobStatus::Suspended
    }

    /// The DefaultScheduler's transitions (§4.4).
    pub fn can_transition_to(self, to: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, to),
            (Created, Running)
                | (Running, Restarting)
                | (Restarting, Running)
                | (Running, Failing)
                | (Restarting, Failing)
                | (Failing, Failed)
                | (Failing, Cancelling)
                | (Cancelling, Failed)
                | (Created, Cancelling)
                | (Running, Cancelling)
                | (Restarting, Cancelling)
                | (Cancelling, Canceled)
                | (Running, Finished)
                | (Created, Suspended)
                | (Running, Suspended)
                | (Restarting, Suspended)
                | (Failing, Suspended)
                | (Cancelling, Suspended)
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Flink's `ExecutionState` for one execution attempt of a task.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionState {
    /// The execution exists, not yet scheduled.
    Created,
    /// A slot was assigned.
    Scheduled,
    /// The deployment was sent to the TaskManager.
    Deploying,
    /// The task is restoring its state (2.x: `initializeState` before RUNNING).
    Initializing,
    /// The task processes input.
    Running,
    /// Terminal: its input ended and it finished.
    Finished,
    /// A cancel was sent; waiting for the TaskManager's answer.
    Canceling,
    /// Terminal: cancelled.
    Canceled,
    /// Terminal: the task failed (threw, or its TaskManager was lost).
    Failed,
}

impl ExecutionState {
    /// Flink's constant name, e.g. `DEPLOYING`.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// FINISHED, CANCELED or FAILED.
    pub fn is_terminal(self) -> bool {
        matches!(self, ExecutionState::Finished | ExecutionState::Canceled | ExecutionState::Failed)
    }

    /// `CREATED → SCHEDULED → DEPLOYING → INITIALIZING → RUNNING → FINISHED` (1.11 has no
    /// INITIALIZING: `DEPLOYING → RUNNING`, see [`crate::Profile::has_initializing_state`]); from SCHEDULED,
    /// DEPLOYING, INITIALIZING, RUNNING → CANCELING → CANCELED; any non-terminal → FAILED.
    /// CREATED may also be canceled directly (never deployed).
    pub fn can_transition_to(self, to: ExecutionState) -> bool {
        use ExecutionState::*;
        if self.is_terminal() {
            return false;
        }
        matches!(
            (self, to),
            (Created, Scheduled)
                | (Scheduled, Deploying)
                | (Deploying, Initializing)
                | (Deploying, Running)
                | (Initializing, Running)
                | (Running, Finished)
                | (Created, Canceled)
                | (Scheduled, Canceling)
                | (Deploying, Canceling)
                | (Initializing, Canceling)
                | (Running, Canceling)
                | (Canceling, Canceled)
                | (_, Failed)
        )
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_status_transitions() {
        use JobStatus::*;
        let legal = [
            (Created, Running),
            (Running, Restarting),
            (Restarting, Running),
            (Running, Failing),
            (Failing, Failed),
            (Running, Cancelling),
            (Cancelling, Canceled),
            (Running, Finished),
            (Failing, Cancelling),
            (Cancelling, Failed),
        ];
        for (a, b) in legal {
            assert!(a.can_transition_to(b), "{a} -> {b} must be legal");
        }
        let illegal = [
            (Created, Failed),
            (Running, Failed),
            (Failed, Running),
            (Canceled, Running),
            (Restarting, Restarting),
            (Finished, Running),
            (Running, Canceled),
        ];
        for (a, b) in illegal {
            assert!(!a.can_transition_to(b), "{a} -> {b} must be illegal");
        }
    }

    #[test]
    fn execution_state_transitions() {
        use ExecutionState::*;
        let path = [Created, Scheduled, Deploying, Initializing, Running, Finished];
        for w in path.windows(2) {
            assert!(w[0].can_transition_to(w[1]), "{} -> {}", w[0], w[1]);
        }
        assert!(Running.can_transition_to(Canceling));
        assert!(Canceling.can_transition_to(Canceled));
        assert!(Running.can_transition_to(Failed));
        assert!(!Finished.can_transition_to(Failed));
        assert!(!Created.can_transition_to(Running));
        assert!(!Canceled.can_transition_to(Created));
        assert!(!Scheduled.can_transition_to(Running));
    }

    /// The names traces, tables and scenario errors print are Flink's enum constants
    /// (`org.apache.flink.runtime.execution.ExecutionState`, `org.apache.flink.api.common.JobStatus`),
    /// through `name()` and `Display` alike.
    #[test]
    fn state_names_are_flinks() {
        use ExecutionState::*;
        let executions = [
            (Created, "CREATED"),
            (Scheduled, "SCHEDULED"),
            (Deploying, "DEPLOYING"),
            (Initializing, "INITIALIZING"),
            (Running, "RUNNING"),
            (Finished, "FINISHED"),
            (Canceling, "CANCELING"),
            (Canceled, "CANCELED"),
            (Failed, "FAILED"),
        ];
        for (state, name) in executions {
            assert_eq!((state.name(), state.to_string().as_str()), (name, name));
        }
        let jobs = [
            (JobStatus::Created, "CREATED"),
            (JobStatus::Running, "RUNNING"),
            (JobStatus::Restarting, "RESTARTING"),
            (JobStatus::Failing, "FAILING"),
            (JobStatus::Failed, "FAILED"),
            (JobStatus::Cancelling, "CANCELLING"),
            (JobStatus::Canceled, "CANCELED"),
            (JobStatus::Finished, "FINISHED"),
            (JobStatus::Suspended, "SUSPENDED"),
        ];
        for (status, name) in jobs {
            assert_eq!((status.name(), status.to_string().as_str()), (name, name));
        }
    }
}
