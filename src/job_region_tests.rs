//! Unit tests of `job.rs`'s regional failover (semantics §1.7), after Flink's `RestartPipelinedRegionFailoverStrategyTest` and `DefaultSchedulerTest` cases: which tasks a failure restarts, the job status, counted failures, restores.

use super::*;
use crate::config::{CheckpointConfig, RestartStrategyConfig};
use crate::coordinator::CoordinatorOutput;
use crate::region::FailoverStrategy;
use ExecutionState::*;

const FIXED_3_1S: RestartStrategyConfig = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 1_000 };

fn task(id: u32, inputs: &[u32], tm: u32) -> TaskInfo {
    TaskInfo {
        id: TaskId(id),
        name: format!("t{id}"),
        is_source: inputs.is_empty(),
        tm: TmId(tm),
        inputs: inputs.iter().map(|&i| TaskId(i)).collect(),
        vertex: u32::from(!inputs.is_empty()),
    }
}

/// source(2) -forward-> sink(2): regions {t0, t2} and {t1, t3}; subtask 0 on TaskManager 0,
/// subtask 1 on TaskManager 1 unless `one_tm`.
fn forward_params(failover: FailoverStrategy, restart: RestartStrategyConfig, one_tm: bool) -> JobParams {
    let tm1 = u32::from(!one_tm);
    JobParams {
        checkpoint: CheckpointConfig { interval_ms: Some(1000), min_pause_ms: 0, ..CheckpointConfig::default() },
        restart,
        profile: Profile::Flink23,
        variant: Variant::Correct,
        tasks: vec![task(0, &[], 0), task(1, &[], tm1), task(2, &[0], 0), task(3, &[1], tm1)],
        random_seed: 7,
        deploy_timeout_ms: DEFAULT_DEPLOY_TIMEOUT_MS,
        failover,
    }
}

fn render(o: &JobOutput) -> Option<String> {
    match o {
        JobOutput::JobStatusChanged { to, .. } => Some(format!("job {to}")),
        JobOutput::RestartScheduled { at_ms, failure, .. } => Some(format!("restart #{failure} at {at_ms}")),
        JobOutput::RestartSuppressed { failure, .. } => Some(format!("suppressed #{failure}")),
        JobOutput::Restored { attempt, checkpoint } => Some(format!("restored all {attempt} from {checkpoint:?}")),
        JobOutput::RegionRestored { attempt, tasks, checkpoint } => {
            let t: Vec<String> = tasks.iter().map(|t| t.to_string()).collect();
            Some(format!("restored {} {attempt} from {checkpoint:?}", t.join(",")))
        }
        JobOutput::Deploy { task, attempt, .. } => Some(format!("deploy {task}{attempt}")),
        JobOutput::Cancel { task, attempt, .. } => Some(format!("cancel {task}{attempt}")),
        JobOutput::Checkpoint(CoordinatorOutput::Aborted { id, reason, .. }) => Some(format!("abort {id} {reason:?}")),
        JobOutput::Checkpoint(CoordinatorOutput::Completed(c)) => Some(format!("complete {}", c.id)),
        JobOutput::Terminated { status, .. } => Some(format!("terminated {status}")),
        _ => None,
    }
}

fn drain(jm: &mut JobMaster) -> Vec<String> {
    std::iter::from_fn(|| jm.poll_output()).filter_map(|o| render(&o)).collect()
}

/// Every task of the current attempts that can go RUNNING does (through INITIALIZING).
fn all_running(jm: &mut JobMaster, now: u64) {
    for i in 0..jm.tasks().len() as u32 {
        let (a, s) = jm.execution(TaskId(i));
        if s == Deploying {
            jm.handle_task_state(now, TaskId(i), a, Initializing, None);
            jm.handle_task_state(now, TaskId(i), a, Running, None);
        }
    }
}

fn canceled(jm: &mut JobMaster, now: u64, tasks: &[u32]) {
    for &i in tasks {
        let (a, _) = jm.execution(TaskId(i));
        jm.handle_task_state(now, TaskId(i), a, Canceled, None);
    }
}

fn fail(jm: &mut JobMaster, now: u64, t: u32) {
    let (a, _) = jm.execution(TaskId(t));
    jm.handle_task_state(now, TaskId(t), a, Failed, Some("boom".into()));
}

fn running_job(p: JobParams) -> JobMaster {
    let mut jm = JobMaster::new(p);
    jm.start(0, None);
    all_running(&mut jm, 10);
    drain(&mut jm);
    jm
}

/// `testRegionFailoverForRegionInternalErrors`: a failure restarts the failed task's region
/// only; the other region's tasks stay RUNNING in their attempt. The job goes RESTARTING while
/// the region waits (`addVerticesToRestartPending`) and RUNNING once it is restarted.
#[test]
fn a_task_failure_restarts_only_its_region() {
    let mut jm = running_job(forward_params(FailoverStrategy::Region, FIXED_3_1S, false));
    assert!(jm.restarts_regions());
    fail(&mut jm, 100, 2);
    assert_eq!(drain(&mut jm), ["job RESTARTING", "restart #1 at 1100", "cancel t0#0"]);
    assert_eq!(jm.execution(TaskId(1)), (Attempt(0), Running));
    assert_eq!(jm.execution(TaskId(3)), (Attempt(0), Running));
    canceled(&mut jm, 120, &[0]);
    assert_eq!(jm.poll_timeout(), Some(1100));
    jm.handle_timeout(1100);
    assert_eq!(drain(&mut jm), ["restored t0,t2 #1 from None", "job RUNNING", "deploy t0#1", "deploy t2#1"]);
    assert_eq!(jm.execution(TaskId(1)), (Attempt(0), Running));
    assert_eq!((jm.failures(), jm.restarts()), (1, 1));
}

/// The same job under `full` restarts every task (`RestartAllFailoverStrategy`).
#[test]
fn full_restarts_every_task() {
    let mut jm = running_job(forward_params(FailoverStrategy::Full, FIXED_3_1S, false));
    assert!(!jm.restarts_regions());
    fail(&mut jm, 100, 2);
    assert_eq!(drain(&mut jm), ["job RESTARTING", "restart #1 at 1100", "cancel t0#0", "cancel t1#0", "cancel t3#0"]);
    canceled(&mut jm, 120, &[0, 1, 3]);
    jm.handle_timeout(1100);
    assert_eq!(
        drain(&mut jm),
        ["restored all #1 from None", "job RUNNING", "deploy t0#1", "deploy t1#1", "deploy t2#1", "deploy t3#1"]
    );
}

/// A second region failing while the first waits for its restart is a failure of its own:
/// counted by the restart strategy, restarted after its own backoff; the job is RUNNING again
/// only when no region waits (`removeVerticesFromRestartPending`).
#[test]
fn two_regions_failing_are_two_counted_failures() {
    let mut jm = running_job(forward_params(FailoverStrategy::Region, FIXED_3_1S, false));
    fail(&mut jm, 100, 0);
    canceled(&mut jm, 110, &[2]);
    fail(&mut jm, 500, 3);
    assert_eq!(
        drain(&mut jm),
        ["job RESTARTING", "restart #1 at 1100", "cancel t2#0", "restart #2 at 1500", "cancel t1#0"]
    );
    jm.handle_timeout(1100);
    assert_eq!(drain(&mut jm), ["restored t0,t2 #1 from None", "deploy t0#1", "deploy t2#1"]);
    assert_eq!(jm.status(), JobStatus::Restarting);
    canceled(&mut jm, 1200, &[1]);
    jm.handle_timeout(1500);
    assert_eq!(drain(&mut jm), ["restored t1,t3 #2 from None", "job RUNNING", "deploy t1#2", "deploy t3#2"]);
    assert_eq!((jm.failures(), jm.restarts()), (2, 2));
    // A failure of a task whose region is being cancelled is not counted again.
    all_running(&mut jm, 1600);
    fail(&mut jm, 2000, 0);
    fail(&mut jm, 2001, 2);
    assert_eq!(jm.failures(), 3);
}

/// A lost TaskManager hosting tasks of both regions: each lost execution is a task failure,
/// one counted failure and one restart per region.
#[test]
fn a_lost_task_manager_restarts_each_region_it_hosted() {
    let mut jm = running_job(forward_params(FailoverStrategy::Region, FIXED_3_1S, true));
    jm.handle_tm_lost(100, TmId(0));
    assert_eq!(
        drain(&mut jm),
        [
            "cancel t0#0",
            "job RESTARTING",
            "restart #1 at 1100",
            "cancel t2#0",
            "cancel t1#0",
            "restart #2 at 1100",
            "cancel t3#0",
            "cancel t2#0",
            "cancel t3#0",
        ]
    );
    assert_eq!(jm.failures(), 2);
    jm.handle_timeout(1100);
    let out = drain(&mut jm);
    assert_eq!(out[0], "restored t0,t2 #1 from None");
    assert_eq!(out[3], "restored t1,t3 #2 from None");
    assert_eq!(jm.status(), JobStatus::Running);
}

/// The restart strategy refusing a region's restart fails the job: every task is cancelled
/// (`failJob`), the job ends FAILED.
#[test]
fn a_refused_regional_restart_fails_the_whole_job() {
    let one = RestartStrategyConfig::FixedDelay { attempts: 1, delay_ms: 1_000 };
    let mut jm = running_job(forward_params(FailoverStrategy::Region, one, false));
    fail(&mut jm, 100, 2);
    canceled(&mut jm, 110, &[0]);
    jm.handle_timeout(1100);
    all_running(&mut jm, 1200);
    drain(&mut jm);
    fail(&mut jm, 1500, 3);
    assert_eq!(drain(&mut jm), ["job FAILING", "suppressed #2", "cancel t0#1", "cancel t1#0", "cancel t2#1"]);
    canceled(&mut jm, 1600, &[0, 1, 2]);
    assert_eq!(drain(&mut jm), ["job FAILED", "terminated FAILED"]);
}

/// A regional restore restores the latest completed checkpoint into the region's subtasks
/// (`restoreLatestCheckpointedStateToSubtasks`); a checkpoint pending at the failure is aborted
/// when the job leaves RUNNING (the deactivator stops the scheduler: COORDINATOR_SUSPEND), as in
/// a global failover.
#[test]
fn a_regional_restore_takes_the_latest_checkpoint_and_aborts_pending() {
    let mut jm = running_job(forward_params(FailoverStrategy::Region, FIXED_3_1S, false));
    let complete_one = |jm: &mut JobMaster, at: u64, acks: &[u32]| {
        jm.handle_timeout(at);
        let id = jm.coordinator().pending_ids().last().copied().expect("a checkpoint was triggered");
        for &t in acks {
            let (a, _) = jm.execution(TaskId(t));
            jm.handle_ack(at + 1, TaskId(t), a, id, crate::state::TaskSnapshot::default());
        }
        id
    };
    let at = jm.poll_timeout().expect("scheduler armed");
    let first = complete_one(&mut jm, at, &[0, 1, 2, 3]);
    let at = jm.poll_timeout().expect("next trigger");
    let second = complete_one(&mut jm, at, &[0, 1]);
    let out = drain(&mut jm);
    assert!(out.contains(&format!("complete {first}")), "{out:?}");
    fail(&mut jm, at + 10, 3);
    let out = drain(&mut jm);
    assert!(out.contains(&format!("abort {second} CheckpointCoordinatorSuspend")), "{out:?}");
    canceled(&mut jm, at + 20, &[1]);
    jm.handle_timeout(at + 1010);
    let out = drain(&mut jm);
    assert_eq!(out[0], format!("restored t1,t3 #1 from Some({first:?})"));
}

/// A job of one region (an all-to-all edge) restarts the same under `region` as under `full`:
/// the region is the whole job.
#[test]
fn one_region_restarts_as_full() {
    let mut outs = Vec::new();
    for failover in [FailoverStrategy::Full, FailoverStrategy::Region] {
        let mut p = forward_params(failover, FIXED_3_1S, false);
        p.tasks[2].inputs = vec![TaskId(0), TaskId(1)];
        p.tasks[3].inputs = vec![TaskId(0), TaskId(1)];
        let mut jm = running_job(p);
        assert!(!jm.restarts_regions());
        fail(&mut jm, 100, 2);
        canceled(&mut jm, 120, &[0, 1, 3]);
        jm.handle_timeout(1100);
        outs.push(drain(&mut jm));
    }
    assert_eq!(outs[0], outs[1]);
    assert!(outs[0].contains(&"restored all #1 from None".to_string()));
}
