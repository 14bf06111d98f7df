//! CheckpointFailureManagerTest as scripts on `CheckpointFailureManager`, plus the counted-reason switch of `checkFailureCounter` one reason at a time.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::failure_manager::CheckpointFailureManager;
use ckptsim::reason::CheckpointFailureReason as R;
use ckptsim::record::CheckpointKind;
use ckptsim::{CheckpointId, Profile};

#[derive(Clone, Copy, Debug)]
enum Op {
    /// `handleJobLevelCheckpointException(reason, id)`; `None` = Flink's unknown id.
    JobLevel(R, Option<u64>),
    Success(u64),
}
use Op::*;

struct Case {
    flink: Flink,
    profile: Profile,
    tolerable: u32,
    ops: Vec<Op>,
    /// How often the job must be failed (`failJob` + `failJobDueToTaskFailure`).
    fail_job_calls: usize,
}

const FM: &str = "CheckpointFailureManagerTest";

/// Every reason of the model's enum, in Flink's declaration order.
const ALL_REASONS: [R; 22] = [
    R::PeriodicSchedulerShutdown,
    R::TooManyCheckpointRequests,
    R::MinimumTimeBetweenCheckpoints,
    R::NotAllRequiredTasksRunning,
    R::IoException,
    R::CheckpointAsyncException,
    R::CheckpointDeclined,
    R::CheckpointExpired,
    R::CheckpointSubsumed,
    R::CheckpointCoordinatorSuspend,
    R::CheckpointCoordinatorShutdown,
    R::JobFailoverRegion,
    R::CheckpointDeclinedTaskNotReady,
    R::CheckpointDeclinedTaskClosing,
    R::CheckpointDeclinedOnCancellationBarrier,
    R::CheckpointDeclinedSubsumed,
    R::CheckpointDeclinedInputEndOfStream,
    R::TaskFailure,
    R::TaskCheckpointFailure,
    R::FinalizeCheckpointFailure,
    R::TriggerCheckpointFailure,
    R::JobFailure,
];

/// Flink's `checkFailureCounter` switch: the reasons that count (§2).
fn counted(reason: R, profile: Profile) -> bool {
    match profile {
        Profile::Flink111 => matches!(reason, R::CheckpointDeclined | R::CheckpointExpired),
        Profile::Flink23 => matches!(
            reason,
            R::IoException
                | R::CheckpointAsyncException
                | R::CheckpointDeclined
                | R::CheckpointExpired
                | R::FinalizeCheckpointFailure
        ),
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let v2 = "2.x";
    let v1 = "1.11";
    // testIgnoresPastCheckpoints (1.15+): a failure of an id at or below the last success is ignored.
    cases.push(Case {
        flink: flink(FM, "testIgnoresPastCheckpoints", v2),
        profile: F23,
        tolerable: 2,
        ops: vec![
            JobLevel(R::CheckpointExpired, Some(1)),
            JobLevel(R::CheckpointExpired, Some(2)),
            Success(2),
            JobLevel(R::CheckpointExpired, Some(1)),
            JobLevel(R::CheckpointExpired, Some(3)),
            JobLevel(R::CheckpointExpired, Some(4)),
        ],
        fail_job_calls: 0,
    });
    for (profile, version) in [(F111, v1), (F23, v2)] {
        cases.push(Case {
            flink: flink(FM, "testContinuousFailure", version),
            profile,
            tolerable: 2,
            ops: vec![
                JobLevel(R::CheckpointDeclined, Some(1)),
                JobLevel(R::CheckpointDeclined, Some(2)),
                JobLevel(R::JobFailoverRegion, Some(3)),
                JobLevel(R::CheckpointDeclined, Some(4)),
            ],
            fail_job_calls: 1,
        });
        // 1.11 starts with EXCEPTION (not in the model's enum; like JOB_FAILURE it is never
        // counted in 1.11); 2.x with IO_EXCEPTION (counted).
        let first = if profile == F111 { R::JobFailure } else { R::IoException };
        cases.push(Case {
            flink: flink(FM, "testBreakContinuousFailure", version),
            profile,
            tolerable: 2,
            ops: vec![
                JobLevel(first, Some(1)),
                JobLevel(R::CheckpointDeclined, Some(2)),
                JobLevel(R::JobFailoverRegion, Some(3)),
                Success(4),
                JobLevel(R::CheckpointExpired, Some(5)),
            ],
            fail_job_calls: 0,
        });
        cases.push(Case {
            flink: flink(FM, "testIgnoreOneCheckpointRepeatedlyCountMultiTimes", version),
            profile,
            tolerable: 2,
            ops: vec![
                JobLevel(R::CheckpointDeclined, Some(1)),
                JobLevel(R::CheckpointDeclined, Some(2)),
                JobLevel(R::JobFailoverRegion, Some(3)),
                JobLevel(R::CheckpointDeclined, Some(2)),
            ],
            fail_job_calls: 0,
        });
        // testTotalCountValue: tolerance 0, every reason once with the unknown id (1.11: -1;
        // 2.x: -2, which is not deduplicated across resets either): 1.11 fails the job twice
        // (DECLINED, EXPIRED), 2.x five times.
        cases.push(Case {
            flink: flink(FM, "testTotalCountValue", version),
            profile,
            tolerable: 0,
            ops: ALL_REASONS.iter().map(|r| JobLevel(*r, None)).collect(),
            fail_job_calls: if profile == F111 { 2 } else { 5 },
        });
        // The same switch one reason at a time: tolerance 0, one job-level failure of id 1.
        for reason in ALL_REASONS {
            cases.push(Case {
                flink: flink(FM, "testTotalCountValue (per reason)", version),
                profile,
                tolerable: 0,
                ops: vec![JobLevel(reason, Some(1))],
                fail_job_calls: counted(reason, profile) as usize,
            });
        }
    }
    cases
}

fn check(case: &Case) -> Result<(), String> {
    let mut m = CheckpointFailureManager::new(case.tolerable, case.profile);
    let mut calls = 0;
    for op in &case.ops {
        let out = match *op {
            JobLevel(r, id) => m.handle_checkpoint_failure(id.map(CheckpointId), CheckpointKind::Checkpoint, r, None),
            Success(id) => {
                m.handle_checkpoint_success(CheckpointId(id));
                None
            }
        };
        calls += out.is_some() as usize;
    }
    if calls != case.fail_job_calls {
        return Err(format!("job failed {calls} times, Flink {}", case.fail_job_calls));
    }
    Ok(())
}

#[test]
fn checkpoint_failure_manager() {
    run_table(
        "CheckpointFailureManager",
        &cases(),
        |c| format!("{} {:?}", case_name(&c.flink, c.profile), c.ops),
        check,
    );
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(c.profile))).collect()
}
