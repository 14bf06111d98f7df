//! CheckpointFailureManager: counts consecutive checkpoint failures and fails the job past the tolerable number (semantics §2).
//!
//! The coordinator reports every aborted checkpoint (and every failure before a pending
//! checkpoint existed, with id `None` = Flink's `-1`) through
//! [`CheckpointFailureManager::handle_checkpoint_failure`] and every completion through
//! [`CheckpointFailureManager::handle_checkpoint_success`]. When the count of consecutive
//! counted failures exceeds the tolerance, the counter resets and a [`FailJob`] is returned;
//! the caller then fails the job (globally for job-level failures, through the failing task for
//! task-level ones), which goes through the restart strategy like any other failure.
//!
//! Profile differences ([`Profile`] methods):
//! * counted reasons: 1.11 `CHECKPOINT_DECLINED`, `CHECKPOINT_EXPIRED`; 2.3 also
//!   `IO_EXCEPTION`, `CHECKPOINT_ASYNC_EXCEPTION`, `FINALIZE_CHECKPOINT_FAILURE`;
//! * the unknown id (`None`): 2.3 counts it every time, 1.11 dedups it like any id;
//! * success: 1.11 any success resets; 2.3 only a success newer than the last one, and 2.3
//!   ignores failures whose id is at or below the last success;
//! * savepoints: 2.3 never counts job-level savepoint failures; a task-level failure of a
//!   (non-synchronous) savepoint counts like a checkpoint's. 1.11 counts every savepoint failure
//!   like a checkpoint's.
//! * synchronous savepoints (stop-with-savepoint, [`CheckpointFailureManager::handle_sync_savepoint_failure`]):
//!   the tasks that took one wait for its completion, so a failure after its trigger must not
//!   leave them waiting. 2.3 (`handleTaskLevelCheckpointException`): a task-level failure (a
//!   decline) fails the job at once, without counting; a job-level one (expiry) is a savepoint
//!   failure and is not counted (the tasks fail themselves on its abort notification,
//!   `StreamTask`: "Stop-with-savepoint failed."). 1.11 (`handleSynchronousSavepointFailure`):
//!   every failure that is not pre-flight fails the job, after the counter saw it. Neither
//!   counts toward the tolerable failures in a way that matters: the job fails over anyway.

use crate::config::UNLIMITED;
use crate::ids::{CheckpointId, TaskId};
use crate::profile::Profile;
use crate::reason::CheckpointFailureReason;
use crate::record::CheckpointKind;
use crate::variant::Variant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// "Exceeded checkpoint tolerable failure threshold.": the caller must fail the job.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailJob {
    /// The reason of the failure that crossed the threshold.
    pub reason: CheckpointFailureReason,
    /// Its checkpoint id (`None` = failure before a pending checkpoint existed).
    pub id: Option<CheckpointId>,
    /// `Some` => task-level failure (Flink's `failJobDueToTaskFailure`: fail the job through
    /// this task's current attempt); `None` => job-level (`failJob`: global failover).
    pub task: Option<TaskId>,
    /// A stop-with-savepoint's synchronous savepoint failed (not a threshold crossing):
    /// [`CheckpointFailureManager::handle_sync_savepoint_failure`].
    #[serde(default)]
    pub sync_savepoint: bool,
}

/// Flink's `CheckpointFailureManager`.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct CheckpointFailureManager {
    profile: Profile,
    /// `T`; [`UNLIMITED`] = never count.
    tolerable_failures: u32,
    /// `continuousFailureCounter`.
    consecutive_failures: u32,
    /// `countedCheckpointIds` since the last reset; `None` is the unknown id (1.11 only: 2.3
    /// counts it every time without recording it).
    counted_ids: BTreeSet<Option<CheckpointId>>,
    /// `lastSucceededCheckpointId` (`None` = `Long.MIN_VALUE`). Used by 2.3 only; 1.11 keeps
    /// the highest success for the invariants.
    last_succeeded: Option<CheckpointId>,
    /// The planted [`Variant::ExpiredNotCounted`] (FLINK-17351): expiry is not counted.
    expired_not_counted: bool,
    /// The planted [`Variant::SuccessKeepsFailureCount`]: a success does not reset the counter.
    success_keeps_count: bool,
    /// The planted [`Variant::SavepointFailureCounted`]: 2.3 counts job-level savepoint failures.
    savepoint_failures_counted: bool,
    /// The planted [`Variant::TaskClosingDeclineCounted`]: `CHECKPOINT_DECLINED_TASK_CLOSING` counts.
    task_closing_counted: bool,
    /// The planted [`Variant::SubsumedAbortCounted`]: `CHECKPOINT_SUBSUMED` counts.
    subsumed_counted: bool,
    /// The planted [`Variant::ToleranceOffByOne`]: the job fails when the counter reaches `T`.
    fails_at_tolerance: bool,
}

/// Flink's `CheckpointFailureReason.isPreFlight()`: failures raised by the JobManager before or
/// while triggering. They never come from a task.
fn is_pre_flight(reason: CheckpointFailureReason) -> bool {
    use CheckpointFailureReason::*;
    matches!(
        reason,
        PeriodicSchedulerShutdown
            | TooManyCheckpointRequests
            | MinimumTimeBetweenCheckpoints
            | NotAllRequiredTasksRunning
            | IoException
    )
}

/// The `checkFailureCounter` switch: reasons that increment the counter.
fn is_counted(reason: CheckpointFailureReason, profile: Profile) -> bool {
    use CheckpointFailureReason::*;
    match reason {
        CheckpointDeclined | CheckpointExpired => true,
        IoException | CheckpointAsyncException | FinalizeCheckpointFailure => {
            profile.counts_io_async_finalize_failures()
        }
        PeriodicSchedulerShutdown
        | TooManyCheckpointRequests
        | MinimumTimeBetweenCheckpoints
        | NotAllRequiredTasksRunning
        | CheckpointSubsumed
        | CheckpointCoordinatorSuspend
        | CheckpointCoordinatorShutdown
        | JobFailoverRegion
        | CheckpointDeclinedTaskNotReady
        | CheckpointDeclinedTaskClosing
        | CheckpointDeclinedOnCancellationBarrier
        | CheckpointDeclinedSubsumed
        | CheckpointDeclinedInputEndOfStream
        | TaskFailure
        | TaskCheckpointFailure
        | TriggerCheckpointFailure
        | JobFailure => false,
    }
}

impl CheckpointFailureManager {
    /// `tolerable_failures`: [`UNLIMITED`] = never count.
    pub fn new(tolerable_failures: u32, profile: Profile) -> Self {
        let m = CheckpointFailureManager {
            profile,
            tolerable_failures,
            consecutive_failures: 0,
            counted_ids: BTreeSet::new(),
            last_succeeded: None,
            expired_not_counted: false,
            success_keeps_count: false,
            savepoint_failures_counted: false,
            task_closing_counted: false,
            subsumed_counted: false,
            fails_at_tolerance: false,
        };
        m.invariants();
        m
    }

    /// The manager under `variant`: [`Variant::ExpiredNotCounted`] leaves `CHECKPOINT_EXPIRED`
    /// out of the counted reasons (FLINK-17351), [`Variant::SuccessKeepsFailureCount`] keeps
    /// the counter over a success, [`Variant::SavepointFailureCounted`] counts a 2.3 job-level
    /// savepoint failure, [`Variant::TaskClosingDeclineCounted`] counts a
    /// `CHECKPOINT_DECLINED_TASK_CLOSING`; every other variant counts as Flink does.
    pub fn with_variant(mut self, variant: Variant) -> Self {
        self.expired_not_counted = variant == Variant::ExpiredNotCounted;
        self.success_keeps_count = variant == Variant::SuccessKeepsFailureCount;
        self.savepoint_failures_counted = variant == Variant::SavepointFailureCounted;
        self.task_closing_counted = variant == Variant::TaskClosingDeclineCounted;
        self.subsumed_counted = variant == Variant::SubsumedAbortCounted;
        self.fails_at_tolerance = variant == Variant::ToleranceOffByOne;
        self
    }

    /// A checkpoint or savepoint failed. `id` `None` = failure before any pending checkpoint
    /// existed (Flink's id -1). `task` `Some` = task-level failure (a task declined); job-level
    /// failures (expiry, JM-side IO, pre-flight) pass `None`; a pre-flight reason with a task
    /// panics. Returns `Some` when the tolerance is exceeded (the counter was reset).
    ///
    /// The threshold is compared only when this failure was counted. With a fixed tolerance
    /// that is the same as Flink (which compares after every failure that passes the id filter,
    /// but the counter can only exceed `T` right after an increment); with a runtime retune
    /// (not in Flink) it means the next *counted* failure applies the new tolerance.
    pub fn handle_checkpoint_failure(
        &mut self,
        id: Option<CheckpointId>,
        kind: CheckpointKind,
        reason: CheckpointFailureReason,
        task: Option<TaskId>,
    ) -> Option<FailJob> {
        assert!(
            !(task.is_some() && is_pre_flight(reason)),
            "failure manager: pre-flight reason {reason} reported by task {task:?}"
        );
        let task_level = task.is_some();
        // 2.3: job-level savepoint failures skip the counter entirely.
        let skip_savepoint = kind == CheckpointKind::Savepoint
            && !task_level
            && self.profile.job_level_savepoint_failures_ignored()
            && !self.savepoint_failures_counted;
        let out = if skip_savepoint || self.is_older_than_last_success(id) {
            None
        } else if self.count(id, reason) && self.exceeded() {
            self.clear();
            Some(FailJob { reason, id, task, sync_savepoint: false })
        } else {
            None
        };
        self.invariants();
        out
    }

    /// The synchronous savepoint `id` of a stop-with-savepoint failed after it became pending
    /// (see the module doc). Returns the job-level [`FailJob`] (`failJob`: a global failover)
    /// when the job must fail. Failures of a job that is already failing or shutting down
    /// (task or job failure, coordinator suspend/shutdown) fail nothing more.
    pub fn handle_sync_savepoint_failure(
        &mut self,
        id: CheckpointId,
        reason: CheckpointFailureReason,
        task: Option<TaskId>,
    ) -> Option<FailJob> {
        use CheckpointFailureReason::*;
        let already_failing = matches!(
            reason,
            TaskFailure | JobFailure | JobFailoverRegion | CheckpointCoordinatorSuspend | CheckpointCoordinatorShutdown
        );
        let out = if self.profile.sync_savepoint_failure_fails_job_at_job_level() {
            let counted = self.handle_checkpoint_failure(Some(id), CheckpointKind::Savepoint, reason, task);
            let fails = !is_pre_flight(reason) && !already_failing;
            counted.or(fails.then_some(FailJob { reason, id: Some(id), task: None, sync_savepoint: true }))
        } else if task.is_some() {
            (!already_failing).then_some(FailJob { reason, id: Some(id), task: None, sync_savepoint: true })
        } else {
            self.handle_checkpoint_failure(Some(id), CheckpointKind::Savepoint, reason, None)
        };
        self.invariants();
        out
    }

    /// 2.3: failures of checkpoints at or below the last success are ignored (late finishers).
    fn is_older_than_last_success(&self, id: Option<CheckpointId>) -> bool {
        if !self.profile.ignores_failures_older_than_last_success() {
            return false;
        }
        match (id, self.last_succeeded) {
            (Some(id), Some(last)) => id <= last,
            _ => false,
        }
    }

    /// `checkFailureCounter`: increments the counter if the reason is counted and the id was
    /// not counted since the last reset. Returns whether it incremented.
    fn count(&mut self, id: Option<CheckpointId>, reason: CheckpointFailureReason) -> bool {
        let planted = (self.task_closing_counted && reason == CheckpointFailureReason::CheckpointDeclinedTaskClosing)
            || (self.subsumed_counted && reason == CheckpointFailureReason::CheckpointSubsumed);
        if self.tolerable_failures == UNLIMITED || !(planted || is_counted(reason, self.profile)) {
            return false;
        }
        if self.expired_not_counted && reason == CheckpointFailureReason::CheckpointExpired {
            return false;
        }
        let new = if id.is_none() && self.profile.unknown_checkpoint_id_counted_every_time() {
            true
        } else {
            self.counted_ids.insert(id)
        };
        if new {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        }
        new
    }

    /// `continuousFailureCounter > tolerableCpFailureNumber` (the planted
    /// [`Variant::ToleranceOffByOne`]: `>=`).
    fn exceeded(&self) -> bool {
        if self.fails_at_tolerance {
            self.consecutive_failures >= self.tolerable_failures
        } else {
            self.consecutive_failures > self.tolerable_failures
        }
    }

    /// The counter starts over (a threshold crossing; the planted
    /// [`Variant::RetuneResetsFailureCounter`]'s re-tune).
    pub fn reset_counter(&mut self) {
        self.clear();
        self.invariants();
    }

    fn clear(&mut self) {
        self.consecutive_failures = 0;
        self.counted_ids.clear();
    }

    /// A checkpoint or savepoint completed. 1.11: any success resets the counter. 2.3: only a
    /// success newer than the last one resets it (and becomes the last success).
    pub fn handle_checkpoint_success(&mut self, id: CheckpointId) {
        let newer = self.last_succeeded.is_none_or(|last| id > last);
        if newer {
            self.last_succeeded = Some(id);
        }
        if (newer || !self.profile.ignores_failures_older_than_last_success()) && !self.success_keeps_count {
            self.clear();
        }
        self.invariants();
    }

    /// Runtime retune: the next counted failure compares against the new tolerance; the
    /// counter is kept. [`UNLIMITED`] stops counting (the counter stays where it is).
    pub fn set_tolerable_failures(&mut self, tolerable_failures: u32) {
        self.tolerable_failures = tolerable_failures;
        self.invariants();
    }

    /// Counted checkpoint failures since the last success (Flink's `continuousFailureCounter`).
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// How many consecutive failures are tolerated before the job fails (`tolerableCheckpointFailureNumber`).
    pub fn tolerable_failures(&self) -> u32 {
        self.tolerable_failures
    }

    /// The highest checkpoint id reported as succeeded.
    pub fn last_succeeded(&self) -> Option<CheckpointId> {
        self.last_succeeded
    }

    /// Panics if the checkpoint ids recorded as counted disagree with the failure counter.
    pub fn invariants(&self) {
        let recorded = self.counted_ids.len() as u64;
        if self.profile.unknown_checkpoint_id_counted_every_time() {
            // The unknown id is counted without being recorded.
            assert!(!self.counted_ids.contains(&None), "failure manager: unknown id recorded in 2.x");
            assert!(
                recorded <= self.consecutive_failures as u64,
                "failure manager: {recorded} counted ids but counter {}",
                self.consecutive_failures
            );
        } else {
            assert_eq!(recorded, self.consecutive_failures as u64, "failure manager: every count records its id");
        }
        if self.profile.ignores_failures_older_than_last_success() && !self.success_keeps_count {
            if let Some(last) = self.last_succeeded {
                assert!(
                    self.counted_ids.iter().flatten().all(|&id| id > last),
                    "failure manager: counted a failure at or below the last success {last}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckpointFailureReason::*;
    use CheckpointKind::{Checkpoint, Savepoint};
    use Profile::{Flink111, Flink23};

    #[derive(Clone, Copy, Debug, Hash)]
    enum Step {
        /// A failure and the expected outcome: whether it fails the job (the expected
        /// [`FailJob`] is built from the inputs) and the counter afterwards.
        Fail {
            id: Option<u64>,
            kind: CheckpointKind,
            reason: CheckpointFailureReason,
            task: Option<u32>,
            fails_job: bool,
            counter: u32,
        },
        Success {
            id: u64,
            counter: u32,
        },
        Retune {
            tolerable: u32,
        },
    }

    /// A checkpoint failure.
    fn f(id: u64, reason: CheckpointFailureReason, task: Option<u32>, fails_job: bool, counter: u32) -> Step {
        Step::Fail { id: Some(id), kind: Checkpoint, reason, task, fails_job, counter }
    }
    /// A failure with the unknown id.
    fn unknown(reason: CheckpointFailureReason, fails_job: bool, counter: u32) -> Step {
        Step::Fail { id: None, kind: Checkpoint, reason, task: None, fails_job, counter }
    }
    /// A savepoint failure.
    fn sp(id: u64, reason: CheckpointFailureReason, task: Option<u32>, fails_job: bool, counter: u32) -> Step {
        Step::Fail { id: Some(id), kind: Savepoint, reason, task, fails_job, counter }
    }
    fn ok(id: u64, counter: u32) -> Step {
        Step::Success { id, counter }
    }
    fn retune(tolerable: u32) -> Step {
        Step::Retune { tolerable }
    }

    struct Case {
        name: &'static str,
        profile: Profile,
        tolerable: u32,
        steps: Vec<Step>,
    }

    fn check(case: &Case) {
        let mut m = CheckpointFailureManager::new(case.tolerable, case.profile);
        // What the getters must report: the tolerance in force and the highest success.
        let (mut tolerable, mut last_succeeded) = (case.tolerable, None);
        for (i, &step) in case.steps.iter().enumerate() {
            let at = format!("case `{}` ({}), step #{} {step:?}", case.name, case.profile, i + 1);
            match step {
                Step::Fail { id, kind, reason, task, fails_job, counter } => {
                    let id = id.map(CheckpointId);
                    let task = task.map(TaskId);
                    let got = m.handle_checkpoint_failure(id, kind, reason, task);
                    let want = fails_job.then_some(FailJob { reason, id, task, sync_savepoint: false });
                    assert_eq!(got, want, "{at}: outcome");
                    assert_eq!(m.consecutive_failures(), counter, "{at}: counter");
                }
                Step::Success { id, counter } => {
                    m.handle_checkpoint_success(CheckpointId(id));
                    assert_eq!(m.consecutive_failures(), counter, "{at}: counter");
                    last_succeeded = last_succeeded.max(Some(CheckpointId(id)));
                }
                Step::Retune { tolerable: t } => {
                    m.set_tolerable_failures(t);
                    tolerable = t;
                }
            }
            assert_eq!(m.tolerable_failures(), tolerable, "{at}: tolerance in force");
            assert_eq!(m.last_succeeded(), last_succeeded, "{at}: last success");
        }
    }

    /// Every reason, both profiles, tolerance 0: the first counted failure fails the job.
    #[test]
    fn counted_reasons_per_profile() {
        // (reason, counted in 1.11, counted in 2.3)
        let table: &[(CheckpointFailureReason, bool, bool)] = &[
            (CheckpointDeclined, true, true),
            (CheckpointExpired, true, true),
            (IoException, false, true),
            (CheckpointAsyncException, false, true),
            (FinalizeCheckpointFailure, false, true),
            (PeriodicSchedulerShutdown, false, false),
            (TooManyCheckpointRequests, false, false),
            (MinimumTimeBetweenCheckpoints, false, false),
            (NotAllRequiredTasksRunning, false, false),
            (CheckpointSubsumed, false, false),
            (CheckpointCoordinatorSuspend, false, false),
            (CheckpointCoordinatorShutdown, false, false),
            (JobFailoverRegion, false, false),
            (CheckpointDeclinedTaskNotReady, false, false),
            (CheckpointDeclinedTaskClosing, false, false),
            (CheckpointDeclinedOnCancellationBarrier, false, false),
            (CheckpointDeclinedSubsumed, false, false),
            (CheckpointDeclinedInputEndOfStream, false, false),
            (TaskFailure, false, false),
            (TaskCheckpointFailure, false, false),
            (TriggerCheckpointFailure, false, false),
            (JobFailure, false, false),
        ];
        assert_eq!(table.len(), 22, "every CheckpointFailureReason is listed");
        for &(reason, counted_111, counted_23) in table {
            for (profile, counted) in [(Flink111, counted_111), (Flink23, counted_23)] {
                let task = reason.is_task_level().then_some(4);
                check(&Case {
                    name: reason.name(),
                    profile,
                    tolerable: 0,
                    // A counted failure fails the job at once and resets the counter; an ignored
                    // one leaves it at 0, and so does a second one.
                    steps: vec![f(1, reason, task, counted, 0), f(2, reason, task, counted, 0)],
                });
            }
        }
    }

    #[test]
    fn counting() {
        let cases = vec![
            Case {
                name: "tolerance 2: the third consecutive failure fails the job, job-level",
                profile: Flink23,
                tolerable: 2,
                steps: vec![
                    f(1, CheckpointExpired, None, false, 1),
                    f(2, CheckpointExpired, None, false, 2),
                    f(3, CheckpointExpired, None, true, 0),
                    f(4, CheckpointExpired, None, false, 1),
                ],
            },
            Case {
                name: "task-level failure carries the task",
                profile: Flink111,
                tolerable: 1,
                steps: vec![f(1, CheckpointDeclined, Some(3), false, 1), f(2, CheckpointDeclined, Some(7), true, 0)],
            },
            Case {
                name: "ignored reasons neither count nor reset",
                profile: Flink23,
                tolerable: 1,
                steps: vec![
                    f(1, CheckpointExpired, None, false, 1),
                    f(2, CheckpointDeclinedOnCancellationBarrier, Some(0), false, 1),
                    unknown(NotAllRequiredTasksRunning, false, 1),
                    f(3, CheckpointSubsumed, None, false, 1),
                    f(4, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "dedup per id: several tasks declining one checkpoint count once",
                profile: Flink23,
                tolerable: 1,
                steps: vec![
                    f(1, CheckpointDeclined, Some(0), false, 1),
                    f(1, CheckpointDeclined, Some(1), false, 1),
                    f(1, CheckpointAsyncException, Some(2), false, 1),
                    f(2, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "dedup set is cleared with the counter (1.11)",
                profile: Flink111,
                tolerable: 0,
                steps: vec![f(1, CheckpointDeclined, Some(0), true, 0), f(1, CheckpointDeclined, Some(1), true, 0)],
            },
            Case {
                name: "success resets the counter and the dedup set",
                profile: Flink23,
                tolerable: 1,
                steps: vec![
                    f(1, CheckpointExpired, None, false, 1),
                    ok(2, 0),
                    f(3, CheckpointExpired, None, false, 1),
                    f(4, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "success resets (1.11)",
                profile: Flink111,
                tolerable: 1,
                steps: vec![f(1, CheckpointExpired, None, false, 1), ok(2, 0), f(3, CheckpointExpired, None, false, 1)],
            },
            Case {
                name: "unlimited never counts",
                profile: Flink23,
                tolerable: UNLIMITED,
                steps: (1..=100).map(|id| f(id, CheckpointExpired, None, false, 0)).collect(),
            },
            Case {
                name: "unlimited never counts (1.11)",
                profile: Flink111,
                tolerable: UNLIMITED,
                steps: (1..=100).map(|id| f(id, CheckpointDeclined, Some(0), false, 0)).collect(),
            },
        ];
        cases.iter().for_each(check);
    }

    /// The same input under both profiles, giving different answers.
    #[test]
    fn profile_differences() {
        let cases = vec![
            Case {
                name: "2.3 counts the unknown id every time",
                profile: Flink23,
                tolerable: 1,
                steps: vec![unknown(IoException, false, 1), unknown(IoException, true, 0)],
            },
            Case {
                name: "2.3 counts the unknown id every time (expired)",
                profile: Flink23,
                tolerable: 1,
                steps: vec![unknown(CheckpointExpired, false, 1), unknown(CheckpointExpired, true, 0)],
            },
            Case {
                name: "1.11 dedups the unknown id",
                profile: Flink111,
                tolerable: 1,
                steps: vec![unknown(CheckpointExpired, false, 1), unknown(CheckpointExpired, false, 1)],
            },
            Case {
                name: "2.3 ignores a failure older than the last success",
                profile: Flink23,
                tolerable: 0,
                steps: vec![
                    ok(5, 0),
                    f(4, CheckpointExpired, None, false, 0),
                    f(5, CheckpointDeclined, Some(0), false, 0),
                ],
            },
            Case {
                name: "1.11 counts a failure older than the last success",
                profile: Flink111,
                tolerable: 0,
                steps: vec![ok(5, 0), f(4, CheckpointExpired, None, true, 0)],
            },
            Case {
                name: "2.3: the unknown id is never older than the last success",
                profile: Flink23,
                tolerable: 0,
                steps: vec![ok(5, 0), unknown(CheckpointExpired, true, 0)],
            },
            Case {
                name: "2.3: an older success does not reset",
                profile: Flink23,
                tolerable: 1,
                steps: vec![
                    ok(5, 0),
                    f(6, CheckpointExpired, None, false, 1),
                    ok(3, 1),
                    f(7, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "1.11: an older success resets",
                profile: Flink111,
                tolerable: 1,
                steps: vec![
                    ok(5, 0),
                    f(6, CheckpointExpired, None, false, 1),
                    ok(3, 0),
                    f(7, CheckpointExpired, None, false, 1),
                ],
            },
            Case {
                name: "2.3: a repeated success does not reset",
                profile: Flink23,
                tolerable: 5,
                steps: vec![ok(5, 0), f(6, CheckpointExpired, None, false, 1), ok(5, 1), ok(6, 0)],
            },
        ];
        cases.iter().for_each(check);
    }

    #[test]
    fn savepoints() {
        let cases = [
            Case {
                name: "2.3: job-level savepoint failures are never counted",
                profile: Flink23,
                tolerable: 0,
                steps: vec![
                    sp(1, CheckpointExpired, None, false, 0),
                    sp(2, IoException, None, false, 0),
                    sp(3, FinalizeCheckpointFailure, None, false, 0),
                ],
            },
            Case {
                name: "2.3: a task-level savepoint failure counts like a checkpoint's",
                profile: Flink23,
                tolerable: 1,
                steps: vec![sp(1, CheckpointDeclined, Some(2), false, 1), f(2, CheckpointExpired, None, true, 0)],
            },
            Case {
                name: "2.3: task-level savepoint failure fails the job through the task",
                profile: Flink23,
                tolerable: 0,
                steps: vec![sp(1, CheckpointAsyncException, Some(2), true, 0)],
            },
            Case {
                name: "1.11: every savepoint failure counts like a checkpoint's",
                profile: Flink111,
                tolerable: 1,
                steps: vec![sp(1, CheckpointExpired, None, false, 1), sp(2, CheckpointDeclined, Some(0), true, 0)],
            },
        ];
        cases.iter().for_each(check);
    }

    #[test]
    fn retune_tolerance() {
        let cases = [
            Case {
                name: "lowering: the next counted failure uses it, the counter is kept",
                profile: Flink23,
                tolerable: 3,
                steps: vec![
                    f(1, CheckpointExpired, None, false, 1),
                    f(2, CheckpointExpired, None, false, 2),
                    retune(1),
                    f(3, CheckpointDeclinedTaskNotReady, Some(0), false, 2),
                    f(4, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "raising",
                profile: Flink111,
                tolerable: 0,
                steps: vec![
                    retune(2),
                    f(1, CheckpointExpired, None, false, 1),
                    f(2, CheckpointExpired, None, false, 2),
                    f(3, CheckpointExpired, None, true, 0),
                ],
            },
            Case {
                name: "to unlimited and back: counting stops, the counter is kept",
                profile: Flink23,
                tolerable: 2,
                steps: vec![
                    f(1, CheckpointExpired, None, false, 1),
                    retune(UNLIMITED),
                    f(2, CheckpointExpired, None, false, 1),
                    f(3, CheckpointExpired, None, false, 1),
                    retune(1),
                    f(4, CheckpointExpired, None, true, 0),
                ],
            },
        ];
        cases.iter().for_each(check);
    }

    /// The invariants are a checker: a counter that disagrees with the recorded ids (1.11
    /// records every counted id) or a recorded unknown id in 2.x is reported.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let mut m = CheckpointFailureManager::new(3, Flink111);
        m.handle_checkpoint_failure(Some(CheckpointId(1)), Checkpoint, CheckpointExpired, None);
        m.consecutive_failures = 2;
        let counter_caught = std::panic::catch_unwind(|| m.invariants()).is_err();
        let mut n = CheckpointFailureManager::new(3, Flink23);
        n.counted_ids.insert(None);
        n.consecutive_failures = 1;
        let unknown_caught = std::panic::catch_unwind(|| n.invariants()).is_err();
        assert_eq!((counter_caught, unknown_caught), (true, true), "(1.11 counter != ids, 2.x unknown id recorded)");
    }

    #[test]
    #[should_panic(expected = "pre-flight reason")]
    fn pre_flight_from_a_task_panics() {
        let mut m = CheckpointFailureManager::new(0, Flink23);
        m.handle_checkpoint_failure(Some(CheckpointId(1)), Checkpoint, IoException, Some(TaskId(0)));
    }
}
