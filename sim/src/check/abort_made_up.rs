//! The `exactly-once` commit horizon's 2.x part (session 37): an abort notification carries the latest completed checkpoint, and a sink that gets it commits up to that checkpoint.
//!
//! The rule that inputs a completed checkpoint covers must be committed by the end judges only
//! up to the newest checkpoint whose completion every sink subtask acted on
//! (`RunResult::sink_commit_horizon`): a lost `notifyCheckpointComplete` is not resent, so
//! Flink too leaves that checkpoint's transactions pre-committed until a later checkpoint
//! completes or a restore commits them. Under flink-2.3 a later *abort* makes it up: the
//! coordinator's `notifyCheckpointAborted(id, latestCompletedCheckpointId)` reaches every
//! running task, and `StreamTask#notifyCheckpointAbortAsync` runs
//! `notifyCheckpointComplete(latestCompletedCheckpointId)` first, which commits the sink's
//! transactions up to it. The horizon measured from what the sinks acted on cannot see an
//! abort notification that never made it up (the planted `abort-ignores-latest-completed`), so
//! the horizon is raised to the latest completed checkpoint such an abort carried (the newest
//! checkpoint row COMPLETED by the abort's time that the completed store keeps: no savepoint
//! under 2.x, FLINK-25191; the coordinator aborts and notifies in one call,
//! `CheckpointCoordinator#abortPendingCheckpoint`), where its delivery is certain: the job
//! still RUNNING at the end (or FINISHED, session 38) with no restore since the abort, no
//! notification of any kind lost since it, every fault healed before it, and at least a second
//! of the run left after it. Not judged otherwise (the horizon stays the measured one).
//!
//! Session 38 widened it to jobs that FINISHED. A sink subtask still running at the abort gets
//! the notification (nothing since the abort lost one) and commits up to the carried checkpoint
//! `C`, or finishes first: under 2.x a task finishes only once its final checkpoint completed
//! and was notified (FLIP-147, `StreamTask#afterInvoke`), a checkpoint that completed after the
//! abort and so has an id above `C` (an older one completing after `C` would have been
//! subsumed), which commits everything the subtask took. A sink subtask already FINISHED at the
//! abort committed everything it took through its final checkpoint. Either way what `C` covers
//! is committed. What stays unjudged, and why:
//! * a restore after the abort: the restored checkpoint is the latest completed one (2.x keeps
//!   no savepoint in its store), at or above `C`, and the restore's recovery commits up to it,
//!   which the measured horizon already counts (`RunResult::sink_commit_horizon`: a restore
//!   from a checkpoint counts as acting on it): raising the horizon to `C` would add nothing;
//! * a job that ended FAILED or CANCELED: its sinks may have been cancelled before the
//!   notification arrived, and the horizon is not read for such jobs' losses;
//! * a fault that healed after the abort, or a notification lost after it: the run records the
//!   last heal only (`RunResult::last_fault_end_ms`), not when each fault began, so a fault in
//!   the delivery window cannot be told from a later one.

use super::*;
use ckptsim::CheckpointId;

/// Time the run must still go on after an abort notification for its delivery to be certain.
const DELIVERY_MARGIN_MS: u64 = 1000;

/// The newest latest-completed checkpoint a 2.x abort notification carried whose delivery to
/// every running sink is certain (see the module); `None` otherwise.
pub(super) fn made_up_horizon(spec: &JobSpec, run: &RunResult) -> Option<CheckpointId> {
    let ended = matches!(run.final_status, JobStatus::Running | JobStatus::Finished);
    if !spec.profile.abort_notification_carries_latest_completed() || !ended {
        return None;
    }
    // The latest abort whose delivery is certain carries the newest completion of all of them.
    let since = first_certain_ms(run);
    let last_abort = run
        .checkpoints
        .iter()
        .filter(|r| r.outcome != "COMPLETED")
        .filter_map(|r| r.end_ms)
        .filter(|at| *at >= since && at.saturating_add(DELIVERY_MARGIN_MS) <= run.stop_at_ms)
        .max()?;
    // What the abort carries is the completed store's latest (`CompletedCheckpointStore
    // #getLatestCheckpointId`): 2.x keeps no savepoint there (FLINK-25191), so a savepoint row
    // is never carried (swarm seed 8145 of `regressions/list-report-two-phase-commit`: a
    // stop-with-savepoint's notification lost, the next savepoint's abort carried nothing).
    let stored = |r: &&crate::world::CheckpointRow| !r.savepoint || spec.profile.savepoints_in_completed_store();
    run.checkpoints
        .iter()
        .filter(stored)
        .filter(|r| r.outcome == "COMPLETED" && r.end_ms.is_some_and(|end| end <= last_abort))
        .map(|r| r.id)
        .max()
}

/// From when on a notification the coordinator sends surely reaches every running task: after
/// the last fault healed, the last restore and the last notification the network lost.
fn first_certain_ms(run: &RunResult) -> u64 {
    let restore = run.restores.iter().map(|r| r.at_ms + 1).max().unwrap_or(0);
    let lost = run.lost_notifications.iter().map(|(t, ..)| t + 1).max().unwrap_or(0);
    let lost_abort = run.lost_abort_notifications.iter().map(|(t, ..)| t + 1).max().unwrap_or(0);
    run.last_fault_end_ms.max(restore).max(lost).max(lost_abort)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `negative/abort-ignores-latest-completed`: checkpoint 3's notification is lost and the
    /// storage fails from checkpoint 4 on. The abort of 4 carries 3, so the horizon is 3 under
    /// the plant too (whose sinks acted on 2 only), and `exactly-once` names checkpoint 3's
    /// uncommitted records; the correct protocol commits them and passes.
    #[test]
    fn an_abort_notification_makes_up_a_lost_completion() {
        use crate::check::test_runs::{planted_and_correct, verdict_of};
        let [(spec, planted), (correct_spec, correct)] =
            planted_and_correct("negative/abort-ignores-latest-completed.toml");
        assert!(planted.sink_commit_horizon < made_up_horizon(&spec, &planted), "the sinks acted on less");
        assert_eq!(verdict_of(&spec, &planted, "exactly-once").passed, Some(false));
        assert_eq!(correct.sink_commit_horizon, made_up_horizon(&correct_spec, &correct));
        assert_eq!(verdict_of(&correct_spec, &correct, "exactly-once").passed, Some(true));
    }

    /// Session 38: a job that FINISHED is judged as a running one (each sink either got the
    /// abort or finished through a later final checkpoint); one that FAILED or was CANCELED is
    /// not, nor one with a restore after the abort.
    #[test]
    fn a_finished_job_is_judged_a_failed_or_cancelled_one_is_not() {
        use crate::check::test_runs::planted_and_correct;
        let [(spec, planted), _] = planted_and_correct("negative/abort-ignores-latest-completed.toml");
        let running = made_up_horizon(&spec, &planted);
        assert!(running.is_some());
        let mut ended = planted.clone();
        ended.final_status = JobStatus::Finished;
        assert_eq!(made_up_horizon(&spec, &ended), running, "FINISHED: judged");
        for status in [JobStatus::Failed, JobStatus::Canceled] {
            ended.final_status = status;
            assert_eq!(made_up_horizon(&spec, &ended), None, "{status:?}: not judged");
        }
        let mut restored = planted.clone();
        restored.restores.push(crate::world::RestoreRecord {
            at_ms: restored.stop_at_ms - 1,
            cause: crate::world::RestoreCause::Restart { attempt: 1 },
            checkpoint: running,
            offsets: BTreeMap::new(),
            keyed: BTreeMap::new(),
            commits_before: restored.offset_commits.len(),
        });
        assert_eq!(made_up_horizon(&spec, &restored), None, "a restore after the abort: not judged");
    }
}
