//! StopWithSavepointTerminationHandlerImplTest (1.12-2.x) posed to the `JobMaster`: what stop-with-savepoint does with the savepoint's outcome and the executions' terminal states.
//!
//! Flink's handler gets two inputs, the savepoint's creation (completed or failed) and the
//! executions' terminal states, and decides: both good, the job is FINISHED with the savepoint
//! and the periodic checkpoint scheduler stays stopped; a failed savepoint restarts the
//! scheduler and triggers no global fail-over of its own (an execution's failure is handled by
//! the normal failover); a completed savepoint with an execution not FINISHED triggers a global
//! fail-over with `StopWithSavepointStoppingException`, which 2.x does not recover
//! (FLINK-26783: the job ends FAILED, no restart), keeps the savepoint and leaves the scheduler
//! stopped. Here a job of two tasks (source, sink; fixed-delay restarts, so that a restart
//! would be allowed) is stopped through `JobMaster::stop_with_savepoint`; the savepoint's
//! creation is its two acknowledgements, or its expiry (a job-level failure that 2.x does not
//! count for savepoints) after which the host calls `resume_after_failed_stop` as Flink's
//! scheduler does when the stop's future fails. The handler class exists since 1.12, so the
//! cases run under flink-2.3.

use crate::common::{flink, profile_name, run_table, Flink, F23};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::job::{JobMaster, JobOutput, JobParams, TaskInfo, DEFAULT_DEPLOY_TIMEOUT_MS};
use ckptsim::record::StopMode;
use ckptsim::state::TaskSnapshot;
use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim::{CheckpointId, Profile, TaskId, TmId, Variant};

const H: &str = "StopWithSavepointTerminationHandlerImplTest";
const V: &str = "1.12-2.x";

fn params(profile: Profile) -> JobParams {
    JobParams {
        checkpoint: CheckpointConfig { interval_ms: Some(1000), timeout_ms: 5_000, ..CheckpointConfig::default() },
        restart: RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 1_000 },
        profile,
        variant: Variant::Correct,
        tasks: vec![
            TaskInfo { id: TaskId(0), name: "src".into(), is_source: true, tm: TmId(0), inputs: vec![], vertex: 0 },
            TaskInfo {
                id: TaskId(1),
                name: "sink".into(),
                is_source: false,
                tm: TmId(1),
                inputs: vec![TaskId(0)],
                vertex: 1,
            },
        ],
        random_seed: 7,
        deploy_timeout_ms: DEFAULT_DEPLOY_TIMEOUT_MS,
        failover: ckptsim::region::FailoverStrategy::Full,
    }
}

struct Job {
    jm: JobMaster,
    out: Vec<JobOutput>,
}

impl Job {
    /// A running job (both tasks RUNNING, through INITIALIZING where the profile has it).
    fn running(profile: Profile) -> Job {
        let mut jm = JobMaster::new(params(profile));
        jm.start(0, None);
        for task in [TaskId(0), TaskId(1)] {
            let (a, _) = jm.execution(task);
            if profile.has_initializing_state() {
                jm.handle_task_state(1, task, a, ExecutionState::Initializing, None);
            }
            jm.handle_task_state(2, task, a, ExecutionState::Running, None);
        }
        let mut job = Job { jm, out: Vec::new() };
        job.drain();
        job.out.clear();
        job
    }

    fn drain(&mut self) {
        while let Some(o) = self.jm.poll_output() {
            self.out.push(o);
        }
    }

    /// Stops with a savepoint; returns the synchronous savepoint's id (its trigger).
    fn stop(&mut self, now_ms: u64) -> Result<CheckpointId, String> {
        self.jm.stop_with_savepoint(now_ms, StopMode::NoDrain);
        self.drain();
        let id = self.out.iter().find_map(|o| match o {
            JobOutput::Trigger { barrier, .. } if barrier.stop.is_some() => Some(barrier.id),
            _ => None,
        });
        id.ok_or_else(|| format!("no synchronous savepoint triggered: {:?}", self.out))
    }

    fn ack_all(&mut self, now_ms: u64, id: CheckpointId) {
        for task in [TaskId(0), TaskId(1)] {
            let (a, _) = self.jm.execution(task);
            self.jm.handle_ack(now_ms, task, a, id, TaskSnapshot::default());
        }
        self.drain();
    }

    fn report(&mut self, now_ms: u64, task: TaskId, state: ExecutionState) {
        let (a, _) = self.jm.execution(task);
        let cause = (state == ExecutionState::Failed).then(|| "task failure".to_string());
        self.jm.handle_task_state(now_ms, task, a, state, cause);
        self.drain();
    }

    /// Every task the JobManager is cancelling reports CANCELED.
    fn cancel_acked(&mut self, now_ms: u64) {
        for task in [TaskId(0), TaskId(1)] {
            if self.jm.execution(task).1 == ExecutionState::Canceling {
                self.report(now_ms, task, ExecutionState::Canceled);
            }
        }
    }

    fn restarts_scheduled(&self) -> usize {
        self.out.iter().filter(|o| matches!(o, JobOutput::RestartScheduled { .. })).count()
    }
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// The savepoint expires (its creation fails) and the host resumes as Flink's scheduler does;
/// then `after` runs; the scheduler must be running again and no fail-over triggered by the stop.
fn creation_failure(after: fn(&mut Job) -> Result<(), String>) -> Result<(), String> {
    let mut job = Job::running(F23);
    let id = job.stop(100)?;
    ensure(!job.jm.coordinator().scheduler_running(), || "scheduler still running during the stop".into())?;
    job.jm.handle_timeout(5_200);
    job.drain();
    ensure(job.jm.coordinator().stop_savepoint_completed().is_none(), || format!("savepoint {id} completed"))?;
    ensure(job.jm.status() == JobStatus::Running, || format!("job {} after the savepoint failed", job.jm.status()))?;
    job.jm.resume_after_failed_stop(5_200);
    job.drain();
    ensure(job.jm.coordinator().scheduler_running(), || "checkpoint scheduling not enabled after the failure".into())?;
    after(&mut job)
}

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(H, "testHappyPath", V),
            check: || {
                let mut job = Job::running(F23);
                let id = job.stop(100)?;
                job.ack_all(200, id);
                ensure(job.jm.coordinator().stop_savepoint_completed() == Some(id), || {
                    format!("savepoint {id} not completed: {:?}", job.jm.coordinator().stop_savepoint_completed())
                })?;
                job.report(300, TaskId(0), ExecutionState::Finished);
                job.report(300, TaskId(1), ExecutionState::Finished);
                ensure(job.jm.status() == JobStatus::Finished, || format!("job {}, Flink FINISHED", job.jm.status()))?;
                ensure(job.jm.coordinator().stop_savepoint_completed() == Some(id), || "savepoint discarded".into())?;
                ensure(!job.jm.coordinator().scheduler_running(), || "checkpoint scheduling enabled again".into())
            },
        },
        Case {
            flink: flink(H, "testSavepointCreationFailureWithoutExecutionTermination", V),
            check: || creation_failure(|job| ensure(job.restarts_scheduled() == 0, || "a fail-over".into())),
        },
        // The execution failure after the failed savepoint is an ordinary failure: the normal
        // failover restarts the job; the stop adds no global fail-over of its own.
        Case {
            flink: flink(H, "testSavepointCreationFailureWithFailingExecutions", V),
            check: || {
                creation_failure(|job| {
                    job.report(6_000, TaskId(1), ExecutionState::Failed);
                    ensure(job.restarts_scheduled() == 1, || {
                        format!("restarts scheduled: {}, Flink: the ordinary failover's one", job.restarts_scheduled())
                    })?;
                    ensure(job.jm.status() == JobStatus::Restarting, || format!("job {}", job.jm.status()))
                })
            },
        },
        Case {
            flink: flink(H, "testSavepointCreationFailureWithFinishingExecutions", V),
            check: || {
                creation_failure(|job| {
                    job.report(6_000, TaskId(0), ExecutionState::Finished);
                    ensure(job.jm.coordinator().scheduler_running(), || {
                        "checkpoint scheduling stopped by a finished execution".into()
                    })?;
                    ensure(job.restarts_scheduled() == 0, || "a fail-over".into())
                })
            },
        },
        // The savepoint completed, then an execution FAILED instead of FINISHED: a global
        // fail-over with a non-recoverable cause (2.x: FAILED, no restart although the restart
        // strategy allows one), the savepoint kept, the scheduler not enabled again.
        Case {
            flink: flink(H, "testFailedTerminationHandling", V),
            check: || {
                let mut job = Job::running(F23);
                let id = job.stop(100)?;
                job.ack_all(200, id);
                job.report(300, TaskId(1), ExecutionState::Failed);
                job.cancel_acked(310);
                ensure(job.restarts_scheduled() == 0, || "a restart was scheduled; Flink: not recoverable".into())?;
                ensure(job.out.iter().any(|o| matches!(o, JobOutput::RestartSuppressed { .. })), || {
                    "no suppressed restart (the global fail-over's non-recoverable failure)".into()
                })?;
                ensure(job.jm.status() == JobStatus::Failed, || format!("job {}, Flink FAILED", job.jm.status()))?;
                ensure(job.jm.coordinator().stop_savepoint_completed() == Some(id), || "savepoint discarded".into())?;
                ensure(!job.jm.coordinator().scheduler_running(), || "checkpoint scheduling enabled again".into())
            },
        },
    ]
}

#[test]
fn stop_with_savepoint_termination() {
    let all = cases();
    run_table(
        "stop-with-savepoint termination",
        &all,
        |c| format!("{}.{} [Flink {}] under flink-2.3", c.flink.class, c.flink.method, c.flink.version),
        |c| (c.check)(),
    );
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(F23))).collect()
}
