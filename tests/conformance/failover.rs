//! ExecutionFailureHandlerTest, PipelinedRegionComputeUtilTest / SchedulingPipelinedRegionComputeUtilTest and RestartAllFailoverStrategyTest posed to `ckptsim::region::Regions` and the `JobMaster`'s failover.
//!
//! Flink's region tests build a `TestingSchedulingTopology` of execution vertices joined by
//! result partitions and assert which vertices share a pipelined region. A streaming job's
//! partitions are all pipelined, so the model's regions are the connected components of the
//! subtask graph (`Regions::compute`); each topology is posed twice: the regions themselves, and
//! what the `JobMaster` restarts when each vertex fails under `failover = region` (the failed
//! task and the tasks it cancels), which is `RestartPipelinedRegionFailoverStrategy` on a graph
//! without blocking partitions. Blocking and approximate partitions and co-location groups are
//! out of the model (`NOT_POSABLE`).
//!
//! `ExecutionFailureHandlerTest` asks the handler for a `FailureHandlingResult`: can the job
//! restart, after which delay, which vertices, how many restarts so far, is the error
//! recoverable. The model's handler is inside the `JobMaster` (`handle_failure`): a case fails a
//! task (or the job, globally) of a running job and reads the decision from the outputs:
//! `RestartScheduled` (can restart; its `backoff_ms` is the delay; the number of them is
//! Flink's `getNumberOfRestarts`, counted when the restart is decided), `RestartSuppressed`
//! (cannot; its cause says whether the error was unrecoverable), and the `Cancel` outputs with
//! the failed task (the vertices to restart), then runs the restart and checks it comes exactly
//! after the delay with those tasks.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::job::{JobMaster, JobOutput, JobParams, TaskInfo, DEFAULT_DEPLOY_TIMEOUT_MS};
use ckptsim::reason::{CheckpointFailureReason, FailureCause};
use ckptsim::record::StopMode;
use ckptsim::region::{FailoverStrategy, Regions};
use ckptsim::state::TaskSnapshot;
use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim::{Profile, TaskId, TmId, Variant};
use std::collections::BTreeSet;

const REGION_111: &str = "PipelinedRegionComputeUtilTest";
const REGION_2X: &str = "SchedulingPipelinedRegionComputeUtilTest";
const HANDLER: &str = "ExecutionFailureHandlerTest";
const RESTART_ALL: &str = "RestartAllFailoverStrategyTest";
/// `ExecutionFailureHandlerTest.RESTART_DELAY_MS`.
const RESTART_DELAY_MS: u64 = 1234;

/// A topology: `inputs[t]` are the tasks feeding task `t` (pipelined edges).
type Graph = &'static [&'static [u32]];

/// What a case poses.
enum Pose {
    /// The pipelined regions of `graph` are exactly `regions` (each a set of tasks); under
    /// region failover a failure of any task restarts exactly its region.
    Regions { graph: Graph, regions: &'static [&'static [u32]] },
    /// A failure handled by the JobMaster of `graph`.
    Handler {
        graph: Graph,
        strategy: FailoverStrategy,
        restart: RestartStrategyConfig,
        failure: Failure,
        expect: Expect,
    },
}

/// The failure a handler case injects into a running job.
#[derive(Copy, Clone, Debug)]
enum Failure {
    /// Task `t` reports FAILED (`getFailureHandlingResult`).
    Task(u32),
    /// Task `t` FAILED after the stop-with-savepoint's synchronous savepoint completed: 2.x
    /// wraps it in a `StopWithSavepointStoppingException`, which is unrecoverable.
    TaskAfterStopSavepoint(u32),
    /// A job-level failure (`getGlobalFailureHandlingResult`): the checkpoint failure manager
    /// fails the job on the first declined checkpoint (tolerance 0).
    Global,
}

/// Flink's `FailureHandlingResult`, as the model's outputs show it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expect {
    /// `canRestart()` and `getRestartDelayMS()`.
    delay_ms: Option<u64>,
    /// `getVerticesToRestart()` (empty when no restart).
    restart: BTreeSet<u32>,
    /// `getNumberOfRestarts()` after the handling.
    restarts: usize,
    /// `isUnrecoverableError(getError())`.
    unrecoverable: bool,
}

struct Case {
    flink: Flink,
    profiles: Vec<Profile>,
    pose: Pose,
}

fn set(v: &[u32]) -> BTreeSet<u32> {
    v.iter().copied().collect()
}

fn params(graph: Graph, strategy: FailoverStrategy, restart: RestartStrategyConfig, profile: Profile) -> JobParams {
    let tasks = graph
        .iter()
        .enumerate()
        .map(|(i, ins)| TaskInfo {
            id: TaskId(i as u32),
            name: format!("v{}", i + 1),
            is_source: ins.is_empty(),
            tm: TmId(0),
            inputs: ins.iter().map(|&u| TaskId(u)).collect(),
            vertex: i as u32,
        })
        .collect();
    JobParams {
        checkpoint: CheckpointConfig { interval_ms: Some(1000), tolerable_failures: 0, ..CheckpointConfig::default() },
        restart,
        profile,
        variant: Variant::Correct,
        tasks,
        random_seed: 7,
        deploy_timeout_ms: DEFAULT_DEPLOY_TIMEOUT_MS,
        failover: strategy,
    }
}

/// A JobMaster with every task RUNNING (at 2 ms) and its outputs so far dropped.
fn running(p: JobParams) -> JobMaster {
    let profile = p.profile;
    let n = p.tasks.len() as u32;
    let mut jm = JobMaster::new(p);
    jm.start(0, None);
    for t in 0..n {
        let (a, _) = jm.execution(TaskId(t));
        if profile.has_initializing_state() {
            jm.handle_task_state(1, TaskId(t), a, ExecutionState::Initializing, None);
        }
        jm.handle_task_state(2, TaskId(t), a, ExecutionState::Running, None);
    }
    while jm.poll_output().is_some() {}
    jm
}

fn drain(jm: &mut JobMaster) -> Vec<JobOutput> {
    std::iter::from_fn(|| jm.poll_output()).collect()
}

fn fail(jm: &mut JobMaster, now_ms: u64, t: u32) -> Vec<JobOutput> {
    let (a, _) = jm.execution(TaskId(t));
    jm.handle_task_state(now_ms, TaskId(t), a, ExecutionState::Failed, Some("test failure".into()));
    drain(jm)
}

/// The tasks a failure of `t` restarts: `t` and the tasks it cancelled.
fn restarted_by(failed: Option<u32>, out: &[JobOutput]) -> BTreeSet<u32> {
    let mut s: BTreeSet<u32> = failed.into_iter().collect();
    s.extend(out.iter().filter_map(|o| match o {
        JobOutput::Cancel { task, .. } => Some(task.0),
        _ => None,
    }));
    s
}

fn check_regions(graph: Graph, regions: &[&[u32]], profile: Profile) -> Result<(), String> {
    let inputs: Vec<Vec<TaskId>> = graph.iter().map(|ins| ins.iter().map(|&u| TaskId(u)).collect()).collect();
    let computed = Regions::compute(inputs.iter().map(|v| &v[..]));
    let got: BTreeSet<BTreeSet<u32>> =
        computed.regions.iter().map(|r| r.iter().map(|t| t.0).collect::<BTreeSet<u32>>()).collect();
    let want: BTreeSet<BTreeSet<u32>> = regions.iter().map(|r| set(r)).collect();
    if got != want {
        return Err(format!("regions {got:?}, Flink {want:?}"));
    }
    // `RestartPipelinedRegionFailoverStrategy#getTasksNeedingRestart` on pipelined partitions:
    // the failed task's region (its consumers' regions are the same region).
    let restart = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 10 };
    for (t, _) in graph.iter().enumerate() {
        let mut jm = running(params(graph, FailoverStrategy::Region, restart.clone(), profile));
        let out = fail(&mut jm, 100, t as u32);
        let got = restarted_by(Some(t as u32), &out);
        let want = want.iter().find(|r| r.contains(&(t as u32))).cloned().unwrap_or_default();
        if got != want {
            return Err(format!("a failure of v{} restarts {got:?}, Flink {want:?}", t + 1));
        }
    }
    Ok(())
}

/// Injects `failure` into a running job; returns the outputs, the failed task and the time.
fn inject(jm: &mut JobMaster, failure: Failure) -> Result<(Vec<JobOutput>, Option<u32>, u64), String> {
    match failure {
        Failure::Task(t) => Ok((fail(jm, 100, t), Some(t), 100)),
        Failure::TaskAfterStopSavepoint(t) => {
            jm.stop_with_savepoint(50, StopMode::NoDrain);
            let out = drain(jm);
            let id = out
                .iter()
                .find_map(|o| match o {
                    JobOutput::Trigger { barrier, .. } if barrier.stop.is_some() => Some(barrier.id),
                    _ => None,
                })
                .ok_or("no synchronous savepoint triggered")?;
            for task in jm.tasks().iter().map(|t| t.id).collect::<Vec<_>>() {
                let (a, _) = jm.execution(task);
                jm.handle_ack(60, task, a, id, TaskSnapshot::default());
            }
            drain(jm);
            Ok((fail(jm, 100, t), Some(t), 100))
        }
        Failure::Global => {
            let (id, now) = loop {
                let now = jm.poll_timeout().filter(|&t| t < 10_000).ok_or("no checkpoint triggered")?;
                jm.handle_timeout(now);
                if let Some(id) = drain(jm).iter().find_map(|o| match o {
                    JobOutput::Trigger { barrier, .. } => Some(barrier.id),
                    _ => None,
                }) {
                    break (id, now);
                }
            };
            let (a, _) = jm.execution(TaskId(0));
            jm.handle_decline(now, TaskId(0), a, id, CheckpointFailureReason::CheckpointDeclined);
            Ok((drain(jm), None, now))
        }
    }
}

fn check_handler(
    graph: Graph,
    strategy: FailoverStrategy,
    restart: &RestartStrategyConfig,
    failure: Failure,
    expect: &Expect,
    profile: Profile,
) -> Result<(), String> {
    let mut jm = running(params(graph, strategy, restart.clone(), profile));
    let (out, failed, now) = inject(&mut jm, failure)?;
    let delays: Vec<u64> = out
        .iter()
        .filter_map(|o| match o {
            JobOutput::RestartScheduled { backoff_ms, .. } => Some(*backoff_ms),
            _ => None,
        })
        .collect();
    let suppressed: Vec<&FailureCause> = out
        .iter()
        .filter_map(|o| match o {
            JobOutput::RestartSuppressed { cause, .. } => Some(cause),
            _ => None,
        })
        .collect();
    let unrecoverable = suppressed.iter().any(|c| matches!(c, FailureCause::StoppingAfterSavepoint { .. }));
    let can_restart = !delays.is_empty();
    let got = Expect {
        delay_ms: delays.first().copied(),
        restart: if can_restart { restarted_by(failed, &out) } else { BTreeSet::new() },
        restarts: delays.len(),
        unrecoverable,
    };
    if got != *expect {
        return Err(format!("handling result {got:?}, Flink {expect:?}"));
    }
    if can_restart != suppressed.is_empty() {
        return Err(format!("restart scheduled {can_restart} and suppressed {} at once", !suppressed.is_empty()));
    }
    // The cancelled tasks acknowledge; the restart (or the terminal FAILED) follows.
    for t in 0..graph.len() as u32 {
        if jm.execution(TaskId(t)).1 == ExecutionState::Canceling {
            let (a, _) = jm.execution(TaskId(t));
            jm.handle_task_state(now + 1, TaskId(t), a, ExecutionState::Canceled, None);
        }
    }
    let mut after = drain(&mut jm);
    let Some(delay) = expect.delay_ms else {
        let failed_job = after.iter().any(|o| matches!(o, JobOutput::Terminated { status: JobStatus::Failed, .. }));
        return if failed_job { Ok(()) } else { Err(format!("the job did not end FAILED: {after:?}")) };
    };
    let restored = |out: &[JobOutput]| -> Option<BTreeSet<u32>> {
        out.iter().find_map(|o| match o {
            JobOutput::Restored { .. } => Some((0..graph.len() as u32).collect()),
            JobOutput::RegionRestored { tasks, .. } => Some(tasks.iter().map(|t| t.0).collect()),
            _ => None,
        })
    };
    jm.handle_timeout(now + delay - 1);
    after.extend(drain(&mut jm));
    if restored(&after).is_some() {
        return Err(format!("restarted before the {delay} ms delay"));
    }
    jm.handle_timeout(now + delay);
    let at_delay = drain(&mut jm);
    match restored(&at_delay) {
        Some(r) if r == expect.restart => Ok(()),
        other => Err(format!("at the delay restored {other:?}, Flink {:?}", expect.restart)),
    }
}

fn check(case: &Case, profile: Profile) -> Result<(), String> {
    match &case.pose {
        Pose::Regions { graph, regions } => check_regions(graph, regions, profile),
        Pose::Handler { graph, strategy, restart, failure, expect } => {
            check_handler(graph, *strategy, restart, *failure, expect, profile)
        }
    }
}

// -------------------------------------------------------------------------------- topologies
// Tasks are numbered from 0; Flink's v1 is task 0 (or a1, then a2, b1, ... in order).

/// `testIndividualVertices`: (v1) (v2) (v3).
const INDIVIDUAL: Graph = &[&[], &[], &[]];
/// `testEmbarrassinglyParallelCase`: a_i -> b_i, i = 1..3 (a1..a3 = 0..2, b1..b3 = 3..5).
const PARALLEL: Graph = &[&[], &[], &[], &[0], &[1], &[2]];
/// `testOneComponentViaTwoExchanges`: a -X-> b -X-> c, two each (a = 0,1; b = 2,3; c = 4,5).
const TWO_EXCHANGES: Graph = &[&[], &[], &[0, 1], &[0, 1], &[2, 3], &[2, 3]];
/// `testOneComponentViaCascadeOfJoins`: (v1,v2) -> v5, (v3,v4) -> v6, (v5,v6) -> v7.
const CASCADE: Graph = &[&[], &[], &[], &[], &[0, 1], &[2, 3], &[4, 5]];
/// `testOneComponentInstanceFromOneSource`: v1 -> v2, v3; v2 -> v4, v5; v3 -> v6, v7.
const ONE_SOURCE: Graph = &[&[], &[0], &[0], &[1], &[1], &[2], &[2]];
/// Two independent pipelines v1 -> v2 and v3 -> v4 (two regions).
const TWO_PIPELINES: Graph = &[&[], &[0], &[], &[2]];
/// `RestartAllFailoverStrategyTest.testGetTasksNeedingRestart`: v1 -> v2 -> v3 (the test's
/// second edge is blocking; the strategy ignores edges) and an unconnected v4, so that a
/// region would be smaller than the job.
const CHAIN_AND_ONE: Graph = &[&[], &[0], &[1], &[]];

fn region_cases() -> Vec<Case> {
    let topologies: [(&str, Graph, &[&[u32]]); 5] = [
        ("testIndividualVertices", INDIVIDUAL, &[&[0], &[1], &[2]]),
        ("testEmbarrassinglyParallelCase", PARALLEL, &[&[0, 3], &[1, 4], &[2, 5]]),
        ("testOneComponentViaTwoExchanges", TWO_EXCHANGES, &[&[0, 1, 2, 3, 4, 5]]),
        ("testOneComponentViaCascadeOfJoins", CASCADE, &[&[0, 1, 2, 3, 4, 5, 6]]),
        ("testOneComponentInstanceFromOneSource", ONE_SOURCE, &[&[0, 1, 2, 3, 4, 5, 6]]),
    ];
    let mut cases = Vec::new();
    for (method, graph, regions) in topologies {
        cases.push(Case {
            flink: flink(REGION_111, method, "1.11"),
            profiles: vec![F111],
            pose: Pose::Regions { graph, regions },
        });
        cases.push(Case {
            flink: flink(REGION_2X, method, "2.x"),
            profiles: vec![F23],
            pose: Pose::Regions { graph, regions },
        });
    }
    cases
}

fn handler_cases() -> Vec<Case> {
    let fixed = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: RESTART_DELAY_MS as i64 };
    let expect_restart = |tasks: &[u32]| Expect {
        delay_ms: Some(RESTART_DELAY_MS),
        restart: set(tasks),
        restarts: 1,
        unrecoverable: false,
    };
    let no_restart = |unrecoverable| Expect { delay_ms: None, restart: BTreeSet::new(), restarts: 0, unrecoverable };
    let mut cases = Vec::new();
    for (version, profile) in [("1.11", F111), ("2.x", F23)] {
        cases.extend([
            // The restart strategy allows it: restart after its delay, the failover strategy's
            // tasks (the failed task's region), one restart counted.
            Case {
                flink: flink(HANDLER, "testNormalFailureHandling", version),
                profiles: vec![profile],
                pose: Pose::Handler {
                    graph: TWO_PIPELINES,
                    strategy: FailoverStrategy::Region,
                    restart: fixed.clone(),
                    failure: Failure::Task(1),
                    expect: expect_restart(&[0, 1]),
                },
            },
            // The restart strategy refuses: no restart, no vertices, no delay, the error is
            // recoverable, no restart counted; the job ends FAILED.
            Case {
                flink: flink(HANDLER, "testRestartingSuppressedFailureHandlingResult", version),
                profiles: vec![profile],
                pose: Pose::Handler {
                    graph: TWO_PIPELINES,
                    strategy: FailoverStrategy::Region,
                    restart: RestartStrategyConfig::NoRestart,
                    failure: Failure::Task(1),
                    expect: no_restart(false),
                },
            },
            // A global failure restarts every vertex, whatever the failover strategy.
            Case {
                flink: flink(HANDLER, "testGlobalFailureHandling", version),
                profiles: vec![profile],
                pose: Pose::Handler {
                    graph: TWO_PIPELINES,
                    strategy: FailoverStrategy::Region,
                    restart: fixed.clone(),
                    failure: Failure::Global,
                    expect: expect_restart(&[0, 1, 2, 3]),
                },
            },
            Case {
                flink: flink(RESTART_ALL, "testGetTasksNeedingRestart", version),
                profiles: vec![profile],
                pose: Pose::Handler {
                    graph: CHAIN_AND_ONE,
                    strategy: FailoverStrategy::Full,
                    restart: fixed.clone(),
                    failure: Failure::Task(0),
                    expect: expect_restart(&[0, 1, 2, 3]),
                },
            },
        ]);
    }
    // An unrecoverable error (Flink's test: a `SuppressRestartsException` cause; the model's
    // unrecoverable error is 2.x's `StopWithSavepointStoppingException`, FLINK-26783): no
    // restart although the strategy would allow one, the error unrecoverable, none counted.
    cases.push(Case {
        flink: flink(HANDLER, "testNonRecoverableFailureHandlingResult", "2.x"),
        profiles: vec![F23],
        pose: Pose::Handler {
            graph: TWO_PIPELINES,
            strategy: FailoverStrategy::Region,
            restart: fixed,
            failure: Failure::TaskAfterStopSavepoint(1),
            expect: no_restart(true),
        },
    });
    cases
}

fn all() -> Vec<Case> {
    let mut v = region_cases();
    v.extend(handler_cases());
    v
}

#[test]
fn failover_regions_and_failure_handler() {
    let cases = all();
    let runs: Vec<(&Case, Profile)> = cases.iter().flat_map(|c| c.profiles.iter().map(move |p| (c, *p))).collect();
    run_table("failover", &runs, |(c, p)| case_name(&c.flink, *p), |(c, p)| check(c, *p));
}

// ------------------------------------------------------------ ExecutionGraphRestartTest (session 43)

const EG_RESTART: &str = "ExecutionGraphRestartTest";
/// `TestRestartBackoffTimeStrategy(true, Long.MAX_VALUE)` / `InfiniteDelayRestartStrategy`: a
/// restart is allowed, after a delay no case reaches.
const NEVER_DUE: RestartStrategyConfig = RestartStrategyConfig::FixedDelay { attempts: 1_000, delay_ms: 1 << 40 };

/// A job case of `ExecutionGraphRestartTest`: a check run under one profile.
struct RestartCase {
    flink: Flink,
    profile: Profile,
    check: fn(Profile) -> Result<(), String>,
}

fn statuses(out: &[JobOutput]) -> Vec<JobStatus> {
    out.iter()
        .filter_map(|o| match o {
            JobOutput::JobStatusChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect()
}

/// Every CANCELING task of `jm` acknowledges its cancel at `now_ms` (`completeCancelling`).
fn complete_cancelling(jm: &mut JobMaster, now_ms: u64) -> Vec<JobOutput> {
    for t in jm.tasks().iter().map(|t| t.id).collect::<Vec<_>>() {
        let (a, s) = jm.execution(t);
        if s == ExecutionState::Canceling {
            jm.handle_task_state(now_ms, t, a, ExecutionState::Canceled, None);
        }
    }
    drain(jm)
}

/// A job of `n` unconnected tasks on one TaskManager, every task RUNNING.
fn running_tasks(n: usize, strategy: FailoverStrategy, restart: RestartStrategyConfig, profile: Profile) -> JobMaster {
    const GRAPHS: [Graph; 3] = [&[&[]], &[&[], &[]], &[&[], &[], &[]]];
    running(params(GRAPHS[n - 1], strategy, restart, profile))
}

fn eg_restart_cases() -> Vec<RestartCase> {
    let mut v = Vec::new();
    for (version, profile) in [("1.11", F111), ("2.x", F23)] {
        let f = |m: &'static str| flink(EG_RESTART, m, version);
        v.extend([
            // The TaskManager is lost: RESTARTING (the restart is far away); a cancel ends the
            // job CANCELED at once (every task already FAILED), and the restart never runs.
            RestartCase {
                flink: f("testCancelWhileRestarting"),
                profile,
                check: |p| {
                    let mut jm = running_tasks(3, FailoverStrategy::Full, NEVER_DUE, p);
                    jm.handle_tm_lost(10, TmId(0));
                    ensure_status(&jm, JobStatus::Restarting, "after the TaskManager was lost")?;
                    jm.cancel(20);
                    ensure_status(&jm, JobStatus::Canceled, "after the cancel")?;
                    jm.handle_timeout(1 << 41);
                    ensure_status(&jm, JobStatus::Canceled, "after the restart delay")?;
                    let states: Vec<ExecutionState> = (0..3).map(|t| jm.execution(TaskId(t)).1).collect();
                    if states.iter().all(|s| *s == ExecutionState::Failed) {
                        Ok(())
                    } else {
                        Err(format!("execution states {states:?}, Flink every one FAILED"))
                    }
                },
            },
            // Task 0 FINISHED, task 1 (its own region) fails and restarts; a late failure of
            // the finished execution changes nothing; both finish: FINISHED.
            RestartCase {
                flink: f("testFailingExecutionAfterRestart"),
                profile,
                check: |p| {
                    let restart = RestartStrategyConfig::FixedDelay { attempts: 1_000, delay_ms: 0 };
                    let mut jm = running_tasks(2, FailoverStrategy::Region, restart, p);
                    let (finished, _) = jm.execution(TaskId(0));
                    jm.handle_task_state(10, TaskId(0), finished, ExecutionState::Finished, None);
                    fail(&mut jm, 20, 1);
                    ensure_status(&jm, JobStatus::Running, "after task 1's restart")?;
                    let (a1, s1) = jm.execution(TaskId(1));
                    if s1 != ExecutionState::Deploying {
                        return Err(format!("task 1 is {s1} after its restart, Flink redeploys it"));
                    }
                    if p.has_initializing_state() {
                        jm.handle_task_state(30, TaskId(1), a1, ExecutionState::Initializing, None);
                    }
                    jm.handle_task_state(30, TaskId(1), a1, ExecutionState::Running, None);
                    jm.handle_task_state(40, TaskId(0), finished, ExecutionState::Failed, Some("no effect".into()));
                    ensure_eq_state(jm.execution(TaskId(0)).1, ExecutionState::Finished)?;
                    jm.handle_task_state(50, TaskId(1), a1, ExecutionState::Finished, None);
                    ensure_status(&jm, JobStatus::Finished, "at the end")
                },
            },
            // A cancel, then the execution fails (a concurrent slot release): no restart
            // although the strategy allows one; the job ends CANCELED.
            RestartCase {
                flink: f("testFailExecutionAfterCancel"),
                profile,
                check: |p| {
                    let mut jm = running_tasks(1, FailoverStrategy::Region, NEVER_DUE, p);
                    jm.cancel(10);
                    ensure_status(&jm, JobStatus::Cancelling, "after the cancel")?;
                    let out = fail(&mut jm, 20, 0);
                    if out.iter().any(|o| matches!(o, JobOutput::RestartScheduled { .. })) {
                        return Err("a restart was scheduled after the cancel".into());
                    }
                    ensure_status(&jm, JobStatus::Canceled, "after the failure")?;
                    complete_cancelling(&mut jm, 30);
                    ensure_status(&jm, JobStatus::Canceled, "at the end")
                },
            },
        ]);
    }
    // A global failure the strategy refuses: FAILING; a cancel: CANCELLING; the tasks'
    // cancellations complete: CANCELED (2.x `DefaultExecutionGraph#failJob`'s completion finds
    // CANCELLING). The 1.11 form of the test runs the legacy scheduler (its `tryRestartOrFail`);
    // 1.11's DefaultScheduler ends such a job FAILED (`failing_job_cancelled_under_flink_111`).
    v.push(RestartCase {
        flink: flink(EG_RESTART, "testCancelWhileFailing", "2.x"),
        profile: F23,
        check: |p| {
            let out = cancel_while_failing(p)?;
            ensure_eq_statuses(statuses(&out), vec![JobStatus::Canceled], "after the cancellations")
        },
    });
    v
}

/// A one-task job failed globally (the failure manager, tolerance 0) under `restart-strategy:
/// none`, then cancelled while FAILING; returns the outputs of the cancellations' completion.
fn cancel_while_failing(p: Profile) -> Result<Vec<JobOutput>, String> {
    let mut jm = running(params(&[&[], &[]], FailoverStrategy::Region, RestartStrategyConfig::NoRestart, p));
    let (_, _, now) = inject(&mut jm, Failure::Global)?;
    ensure_status(&jm, JobStatus::Failing, "after the global failure")?;
    jm.cancel(now + 1);
    ensure_eq_statuses(statuses(&drain(&mut jm)), vec![JobStatus::Cancelling], "after the cancel")?;
    Ok(complete_cancelling(&mut jm, now + 2))
}

fn ensure_status(jm: &JobMaster, want: JobStatus, when: &str) -> Result<(), String> {
    if jm.status() == want {
        Ok(())
    } else {
        Err(format!("{when}: job {}, Flink {want}", jm.status()))
    }
}

fn ensure_eq_state(got: ExecutionState, want: ExecutionState) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("the finished execution is {got}, Flink {want}"))
    }
}

fn ensure_eq_statuses(got: Vec<JobStatus>, want: Vec<JobStatus>, when: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{when}: job statuses {got:?}, Flink {want:?}"))
    }
}

const SCHEDULER: &str = "DefaultSchedulerTest";

/// The deployments of `out`, by task.
fn deployed(out: &[JobOutput]) -> Vec<u32> {
    out.iter()
        .filter_map(|o| match o {
            JobOutput::Deploy { task, .. } => Some(task.0),
            _ => None,
        })
        .collect()
}

/// `DefaultSchedulerTest` in its first form (1.10–1.11: one non-parallel vertex, an eager
/// strategy, `TestRestartBackoffTimeStrategy(true, 0)`, the restart executor triggered by hand),
/// posed to a one-task `JobMaster` under flink-1.11; a restart's delay is 0 here.
fn scheduler_cases() -> Vec<RestartCase> {
    let f = |m: &'static str| flink(SCHEDULER, m, "1.10-1.11");
    vec![
        // The only vertex is deployed.
        RestartCase {
            flink: f("startScheduling"),
            profile: F111,
            check: |p| {
                let (_, out) = started(zero_delay(), p);
                ensure_deployed(deployed(&out), vec![0], "at the start")
            },
        },
        // A deployment that fails (here: unacknowledged within the ask timeout) restarts the
        // vertex, which is deployed again.
        RestartCase {
            flink: f("restartAfterDeploymentFails"),
            profile: F111,
            check: |p| {
                let (mut jm, out) = started(zero_delay(), p);
                ensure_deployed(deployed(&out), vec![0], "at the start")?;
                jm.handle_timeout(DEFAULT_DEPLOY_TIMEOUT_MS);
                ensure_deployed(deployed(&drain(&mut jm)), vec![0], "after the failed deployment")
            },
        },
        // A FAILED task is restarted: two deployments of it in all.
        RestartCase {
            flink: f("restartFailedTask"),
            profile: F111,
            check: |p| {
                let (mut jm, mut out) = started(zero_delay(), p);
                let (a, _) = jm.execution(TaskId(0));
                jm.handle_task_state(5, TaskId(0), a, ExecutionState::Running, None);
                out.extend(fail(&mut jm, 10, 0));
                ensure_deployed(deployed(&out), vec![0, 0], "in all")
            },
        },
        // A report of an execution the scheduler does not know (another attempt) changes
        // nothing (`updateTaskExecutionState` returns false).
        RestartCase {
            flink: f("updateTaskExecutionStateReturnsFalseIfExecutionDoesNotExist"),
            profile: F111,
            check: |p| {
                let (mut jm, _) = started(zero_delay(), p);
                let (a, _) = jm.execution(TaskId(0));
                let unknown = ckptsim::Attempt(a.0 + 7);
                jm.handle_task_state(5, TaskId(0), unknown, ExecutionState::Failed, Some("unknown".into()));
                let out = drain(&mut jm);
                if out.is_empty() && jm.execution(TaskId(0)) == (a, ExecutionState::Deploying) {
                    Ok(())
                } else {
                    Err(format!("the unknown attempt's report changed something: {out:?}"))
                }
            },
        },
        // The strategy refuses the restart: FAILED.
        RestartCase {
            flink: f("failJobIfCannotRestart"),
            profile: F111,
            check: |p| {
                let (mut jm, _) = started(RestartStrategyConfig::NoRestart, p);
                let (a, _) = jm.execution(TaskId(0));
                jm.handle_task_state(5, TaskId(0), a, ExecutionState::Running, None);
                fail(&mut jm, 10, 0);
                ensure_status(&jm, JobStatus::Failed, "after the failure")
            },
        },
    ]
}

/// `TestRestartBackoffTimeStrategy(true, 0)`.
fn zero_delay() -> RestartStrategyConfig {
    RestartStrategyConfig::FixedDelay { attempts: 1_000, delay_ms: 0 }
}

/// A started one-task job and its first outputs.
fn started(restart: RestartStrategyConfig, p: Profile) -> (JobMaster, Vec<JobOutput>) {
    let mut jm = JobMaster::new(params(&[&[]], FailoverStrategy::Region, restart, p));
    jm.start(0, None);
    let out = drain(&mut jm);
    (jm, out)
}

fn ensure_deployed(got: Vec<u32>, want: Vec<u32>, when: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{when}: deployed tasks {got:?}, Flink {want:?}"))
    }
}

#[test]
fn default_scheduler() {
    let cases = scheduler_cases();
    run_table("default scheduler", &cases, |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}

#[test]
fn execution_graph_restart() {
    let cases = eg_restart_cases();
    run_table("execution graph restart", &cases, |c| case_name(&c.flink, c.profile), |c| (c.check)(c.profile));
}

/// 1.11.2's `ExecutionGraph#failJob` completes with `transitionState(FAILED)` from whatever
/// state it finds: a job cancelled while FAILING passes CANCELLING and ends FAILED (its
/// checkpoints are shut down as FAILED's retention says).
#[test]
fn failing_job_cancelled_under_flink_111() {
    let out = cancel_while_failing(F111).unwrap();
    assert_eq!(statuses(&out), vec![JobStatus::Failed]);
}

pub fn census() -> Vec<(Flink, &'static str)> {
    let mut v: Vec<(Flink, &'static str)> =
        all().iter().flat_map(|c| c.profiles.iter().map(move |p| (c.flink, profile_name(*p)))).collect();
    v.extend(eg_restart_cases().iter().map(|c| (c.flink, profile_name(c.profile))));
    v.extend(scheduler_cases().iter().map(|c| (c.flink, profile_name(c.profile))));
    v
}
