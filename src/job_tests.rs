//! Unit tests of `job.rs` (a sibling file): data-driven JobMaster scripts, each case a list of steps and the expected rendered
//! outputs (job status changes, restarts, task states), checked by one `check` helper.

use super::*;
use crate::config::{CheckpointConfig, RestartStrategyConfig};
use crate::record::CheckpointKind;
use ExecutionState::*;

#[derive(Clone, Debug, Hash)]
enum Step {
    /// Both tasks report the given state (current attempt).
    All(u64, ExecutionState),
    /// Task fails at time.
    Fail(u64, u32),
    /// Fire timers at time.
    Tick(u64),
    Cancel(u64),
    LostTm(u64, u32),
    /// TaskManager `tm` heartbeats at time; the report lists the current attempts of the
    /// tasks given (task ids), as a TaskManager that still runs them would.
    Report(u64, u32, &'static [u32]),
    /// The TaskManager acknowledges the cancel RPC for the current attempt of a task.
    CancelAck(u64, u32),
}

fn params(restart: RestartStrategyConfig, profile: Profile, variant: Variant) -> JobParams {
    JobParams {
        checkpoint: CheckpointConfig { interval_ms: Some(1000), min_pause_ms: 500, ..CheckpointConfig::default() },
        restart,
        profile,
        variant,
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
        failover: crate::region::FailoverStrategy::Full,
    }
}

/// Reports `task`'s current attempt RUNNING at 2 ms (through INITIALIZING at 1 ms where the
/// profile has that state).
fn to_running(jm: &mut JobMaster, task: TaskId, profile: Profile) {
    let (a, _) = jm.execution(task);
    if profile.has_initializing_state() {
        jm.handle_task_state(1, task, a, Initializing, None);
    }
    jm.handle_task_state(2, task, a, Running, None);
}

/// A correct job under `profile` with fixed-delay restarts, both tasks RUNNING.
fn running_job(profile: Profile) -> JobMaster {
    let mut jm = JobMaster::new(params(FIXED_3_10S, profile, Variant::Correct));
    jm.start(0, None);
    for task in [TaskId(0), TaskId(1)] {
        to_running(&mut jm, task, profile);
    }
    jm
}

fn render(o: &JobOutput) -> Option<String> {
    match o {
        JobOutput::JobStatusChanged { to, .. } => Some(format!("job {to}")),
        JobOutput::RestartScheduled { at_ms, failure, .. } => Some(format!("restart #{failure} at {at_ms}")),
        JobOutput::RestartSuppressed { failure, .. } => Some(format!("suppressed #{failure}")),
        JobOutput::Restored { attempt, .. } => Some(format!("restored {attempt}")),
        JobOutput::Deploy { task, attempt, .. } => Some(format!("deploy {task}{attempt}")),
        JobOutput::Cancel { task, attempt, .. } => Some(format!("cancel {task}{attempt}")),
        JobOutput::CancelGaveUp { task, attempt, calls } => {
            Some(format!("cancel gave up {task}{attempt} after {calls}"))
        }
        JobOutput::Terminated { status, .. } => Some(format!("terminated {status}")),
        _ => None,
    }
}

/// Runs the script; every task reports the states a TaskManager would (running after
/// deploy, canceled after cancel) only when the script says so.
fn check(p: JobParams, steps: &[Step], expected: &[&str]) -> JobMaster {
    let mut jm = JobMaster::new(p);
    jm.start(0, None);
    let mut got = Vec::new();
    let drain = |jm: &mut JobMaster, got: &mut Vec<String>| {
        while let Some(o) = jm.poll_output() {
            if let Some(s) = render(&o) {
                got.push(s);
            }
        }
    };
    drain(&mut jm, &mut got);
    for s in steps {
        match *s {
            Step::All(t, st) => {
                for task in [TaskId(0), TaskId(1)] {
                    let (a, cur) = jm.execution(task);
                    if cur.can_transition_to(st) {
                        if st == Running && jm.profile().has_initializing_state() && cur == Deploying {
                            jm.handle_task_state(t, task, a, Initializing, None);
                        }
                        jm.handle_task_state(t, task, a, st, None);
                    }
                }
            }
            Step::Fail(t, task) => {
                let (a, _) = jm.execution(TaskId(task));
                jm.handle_task_state(t, TaskId(task), a, Failed, Some("boom".into()));
            }
            Step::Tick(t) => jm.handle_timeout(t),
            Step::Cancel(t) => jm.cancel(t),
            Step::LostTm(t, tm) => jm.handle_tm_lost(t, TmId(tm)),
            Step::Report(t, tm, tasks) => {
                let running: Vec<(TaskId, Attempt)> =
                    tasks.iter().map(|&i| (TaskId(i), jm.execution(TaskId(i)).0)).collect();
                jm.handle_tm_report(t, TmId(tm), &running);
            }
            Step::CancelAck(t, task) => {
                let (a, _) = jm.execution(TaskId(task));
                jm.handle_cancel_ack(t, TaskId(task), a);
            }
        }
        drain(&mut jm, &mut got);
    }
    assert_eq!(got, expected, "\n got: {got:#?}");
    jm
}

const FIXED_3_10S: RestartStrategyConfig = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 10_000 };

/// Seed 004: four failures under fixed-delay(3, 10 s): three restarts, then FAILED.
fn seed_004_steps() -> Vec<Step> {
    let mut steps = vec![Step::All(10, Running)];
    for k in 0..4u64 {
        let t = 1_000 + k * 20_000;
        steps.push(Step::Fail(t, 0));
        steps.push(Step::All(t + 5, Canceled));
        steps.push(Step::Tick(t + 10_000));
        steps.push(Step::All(t + 10_010, Running));
    }
    steps
}

#[test]
fn seed_004_three_restarts_then_failed() {
    let jm = check(
        params(FIXED_3_10S, Profile::Flink111, Variant::Correct),
        &seed_004_steps(),
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "job RESTARTING",
            "restart #1 at 11000",
            "cancel t1#0",
            "restored #1",
            "job RUNNING",
            "deploy t0#1",
            "deploy t1#1",
            "job RESTARTING",
            "restart #2 at 31000",
            "cancel t1#1",
            "restored #2",
            "job RUNNING",
            "deploy t0#2",
            "deploy t1#2",
            "job RESTARTING",
            "restart #3 at 51000",
            "cancel t1#2",
            "restored #3",
            "job RUNNING",
            "deploy t0#3",
            "deploy t1#3",
            "job FAILING",
            "suppressed #4",
            "cancel t1#3",
            "job FAILED",
            "terminated FAILED",
        ],
    );
    // Every failure asked the strategy; three of them restarted
    // (`FixedDelayRestartBackoffTimeStrategy`: `currentRestartAttempt <= maxNumberRestartAttempts`).
    assert_eq!((jm.failures(), jm.restarts()), (4, 3));
    assert_eq!(jm.profile(), Profile::Flink111);
    let names: Vec<&str> = jm.tasks().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["src", "sink"]);
}

#[test]
fn off_by_one_variant_restarts_a_fourth_time() {
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink111, Variant::FixedDelayOffByOne));
    jm.start(0, None);
    for k in 0..4u64 {
        let t = 1_000 + k * 20_000;
        for task in [TaskId(0), TaskId(1)] {
            let (a, _) = jm.execution(task);
            jm.handle_task_state(t - 500, task, a, Running, None);
        }
        let (a, _) = jm.execution(TaskId(0));
        jm.handle_task_state(t, TaskId(0), a, Failed, None);
        let (a, _) = jm.execution(TaskId(1));
        jm.handle_task_state(t + 1, TaskId(1), a, Canceled, None);
        jm.handle_timeout(t + 10_000);
    }
    assert_eq!(jm.restarts(), 4, "the broken strategy allows one restart too many");
    assert_eq!(jm.status(), JobStatus::Running);
}

/// tm1 runs task 1 (the sink). Its final FAILED update was lost: the heartbeat report of
/// 2.3 misses the execution and the JobMaster fails over; 1.11 has no reconciliation and
/// keeps waiting. A report that lists the execution changes nothing in either.
#[test]
fn deployment_reconciliation_fails_an_execution_the_report_misses() {
    let fixed = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 1_000 };
    let steps = [Step::All(10, Running), Step::Report(2_000, 1, &[1]), Step::Report(3_000, 1, &[])];
    check(
        params(fixed.clone(), Profile::Flink23, Variant::Correct),
        &steps,
        &["job RUNNING", "deploy t0#0", "deploy t1#0", "job RESTARTING", "restart #1 at 4000", "cancel t0#0"],
    );
    check(params(fixed, Profile::Flink111, Variant::Correct), &steps, &["job RUNNING", "deploy t0#0", "deploy t1#0"]);
}

/// tm0 was declared lost (a false alarm: its heartbeats were dropped) while it still runs
/// the source. Both versions send the disconnect's cancel (which may be lost too); its next
/// report lists the execution the JobMaster counts as failed: 2.3 cancels it again, 1.11
/// does not look.
#[test]
fn deployment_reconciliation_cancels_an_execution_the_jobmaster_does_not_run() {
    let fixed = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 1_000 };
    let steps = [Step::All(10, Running), Step::LostTm(2_000, 0), Step::Report(2_500, 0, &[0])];
    check(
        params(fixed.clone(), Profile::Flink23, Variant::Correct),
        &steps,
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "cancel t0#0",
            "job RESTARTING",
            "restart #1 at 3000",
            "cancel t1#0",
            "cancel t0#0",
        ],
    );
    check(
        params(fixed, Profile::Flink111, Variant::Correct),
        &steps,
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "cancel t0#0",
            "job RESTARTING",
            "restart #1 at 3000",
            "cancel t1#0",
        ],
    );
}

/// A report sent before the TaskManager got the deployment does not list it: an execution
/// not yet acknowledged is not judged.
#[test]
fn deployment_reconciliation_waits_for_the_acknowledgement() {
    let fixed = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 1_000 };
    check(
        params(fixed, Profile::Flink23, Variant::Correct),
        &[Step::Report(5, 1, &[]), Step::All(10, Running), Step::Report(2_000, 1, &[1])],
        &["job RUNNING", "deploy t0#0", "deploy t1#0"],
    );
}

#[test]
fn restart_waits_for_cancellation_and_backoff() {
    // The cancel is acknowledged only after the backoff: the restart runs then, not before.
    check(
        params(FIXED_3_10S, Profile::Flink23, Variant::Correct),
        &[
            Step::All(10, Running),
            Step::Fail(1_000, 0),
            Step::CancelAck(1_002, 1),
            Step::Tick(11_000),
            Step::All(15_000, Canceled),
        ],
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "job RESTARTING",
            "restart #1 at 11000",
            "cancel t1#0",
            "restored #1",
            "job RUNNING",
            "deploy t0#1",
            "deploy t1#1",
        ],
    );
}

/// The cancel RPC to the sink is never acknowledged (lost, or its TaskManager unreachable):
/// the JobMaster calls again after each ask timeout, four calls in all, then fails the
/// execution, which completes the cancellation, and the restart runs (message-loss seed 74
/// hung in RESTARTING without this). An acknowledged cancel is not sent again.
#[test]
fn unacknowledged_cancel_is_retried_then_the_execution_fails() {
    check(
        params(FIXED_3_10S, Profile::Flink23, Variant::Correct),
        &[
            Step::All(10, Running),
            Step::Fail(1_000, 0),
            Step::Tick(10_999),
            Step::Tick(11_000),
            Step::Tick(21_000),
            Step::Tick(31_000),
            Step::Tick(40_999),
            Step::Tick(41_000),
        ],
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "job RESTARTING",
            "restart #1 at 11000",
            "cancel t1#0",
            "cancel t1#0",
            "cancel t1#0",
            "cancel t1#0",
            "cancel gave up t1#0 after 4",
            "restored #1",
            "job RUNNING",
            "deploy t0#1",
            "deploy t1#1",
        ],
    );
    check(
        params(FIXED_3_10S, Profile::Flink111, Variant::Correct),
        &[Step::All(10, Running), Step::Fail(1_000, 0), Step::CancelAck(1_003, 1), Step::Tick(41_000)],
        &["job RUNNING", "deploy t0#0", "deploy t1#0", "job RESTARTING", "restart #1 at 11000", "cancel t1#0"],
    );
}

#[test]
fn lost_task_manager_counts_once() {
    // Losing a TM fails its task once; the other task's later failure report while it is
    // being cancelled is not a second failure.
    check(
        params(FIXED_3_10S, Profile::Flink23, Variant::Correct),
        &[Step::All(10, Running), Step::LostTm(2_000, 0), Step::Fail(2_001, 1), Step::Tick(12_000)],
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "cancel t0#0",
            "job RESTARTING",
            "restart #1 at 12000",
            "cancel t1#0",
            "restored #1",
            "job RUNNING",
            "deploy t0#1",
            "deploy t1#1",
        ],
    );
}

#[test]
fn cancel_goes_through_cancelling() {
    check(
        params(FIXED_3_10S, Profile::Flink23, Variant::Correct),
        &[Step::All(10, Running), Step::Cancel(500), Step::All(600, Canceled)],
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "job CANCELLING",
            "cancel t0#0",
            "cancel t1#0",
            "job CANCELED",
            "terminated CANCELED",
        ],
    );
}

#[test]
fn no_restart_fails_at_once() {
    check(
        params(RestartStrategyConfig::NoRestart, Profile::Flink23, Variant::Correct),
        &[Step::All(10, Running), Step::Fail(100, 1), Step::All(150, Canceled)],
        &[
            "job RUNNING",
            "deploy t0#0",
            "deploy t1#0",
            "job FAILING",
            "suppressed #1",
            "cancel t0#0",
            "job FAILED",
            "terminated FAILED",
        ],
    );
}

/// Session 43: a user cancel while FAILING moves the job to CANCELLING (Flink's
/// `ExecutionGraph#cancel`); once the tasks are cancelled it ends CANCELED in 2.x and FAILED in
/// 1.11 (`Profile::cancel_of_failing_job_ends_canceled`). Until then the cancel was ignored.
#[test]
fn a_cancel_while_failing_goes_through_cancelling() {
    for (profile, end) in [(Profile::Flink23, "CANCELED"), (Profile::Flink111, "FAILED")] {
        let (job_end, terminated) = (format!("job {end}"), format!("terminated {end}"));
        check(
            params(RestartStrategyConfig::NoRestart, profile, Variant::Correct),
            &[Step::All(10, Running), Step::Fail(100, 1), Step::Cancel(120), Step::All(150, Canceled)],
            &[
                "job RUNNING",
                "deploy t0#0",
                "deploy t1#0",
                "job FAILING",
                "suppressed #1",
                "cancel t0#0",
                "job CANCELLING",
                &job_end,
                &terminated,
            ],
        );
    }
}

#[test]
fn abort_notification_carries_the_latest_completed_checkpoint_in_2x() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut jm = running_job(profile);
        while jm.poll_output().is_some() {}
        jm.request_checkpoint(3, RequestKind::Manual);
        let id = jm.coordinator().pending_ids()[0];
        for task in [TaskId(0), TaskId(1)] {
            let (a, _) = jm.execution(task);
            jm.handle_ack(4, task, a, id, TaskSnapshot::default());
        }
        jm.request_checkpoint(5, RequestKind::Manual);
        let next = jm.coordinator().pending_ids()[0];
        while jm.poll_output().is_some() {}
        let (a, _) = jm.execution(TaskId(1));
        jm.handle_decline(6, TaskId(1), a, next, CheckpointFailureReason::CheckpointDeclined);
        let notes: Vec<String> = std::iter::from_fn(|| jm.poll_output())
            .filter_map(|o| match o {
                JobOutput::NotifyComplete { task, id, .. } => Some(format!("complete {task} {id}")),
                JobOutput::NotifyAborted { task, id, .. } => Some(format!("aborted {task} {id}")),
                _ => None,
            })
            .collect();
        let want: Vec<String> = if profile == Profile::Flink23 {
            vec![
                format!("complete t0 {id}"),
                format!("aborted t0 {next}"),
                format!("complete t1 {id}"),
                format!("aborted t1 {next}"),
            ]
        } else {
            vec![format!("aborted t0 {next}"), format!("aborted t1 {next}")]
        };
        assert_eq!(notes, want, "{profile:?}");
    }
}

#[test]
fn trigger_waits_for_every_task_running_in_2x() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut jm = JobMaster::new(params(FIXED_3_10S, profile, Variant::Correct));
        jm.start(0, None);
        // The source runs, the sink is still deploying.
        to_running(&mut jm, TaskId(0), profile);
        while jm.poll_output().is_some() {}
        jm.request_checkpoint(3, RequestKind::Savepoint);
        let triggered = std::iter::from_fn(|| jm.poll_output()).any(|o| matches!(o, JobOutput::Trigger { .. }));
        assert_eq!(triggered, profile == Profile::Flink111, "{profile:?}");
    }
}

#[test]
fn checkpoint_acks_flow_to_completion_and_notify() {
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_task_state(1, task, a, Initializing, None);
        jm.handle_task_state(2, task, a, Running, None);
    }
    let mut t = 2;
    let mut triggered = None;
    while triggered.is_none() && t < 5_000 {
        t = jm.poll_timeout().expect("the scheduler runs");
        jm.handle_timeout(t);
        while let Some(o) = jm.poll_output() {
            if let JobOutput::Trigger { task, barrier, .. } = o {
                assert_eq!(task, TaskId(0), "triggers go to sources only");
                assert_eq!(barrier.kind, CheckpointKind::Checkpoint);
                triggered = Some(barrier.id);
            }
        }
    }
    let id = triggered.expect("a periodic checkpoint within 5 s");
    assert!((500..=1_002).contains(&t), "initial delay in [min pause, interval], got {t}");
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_ack(t + 5, task, a, id, TaskSnapshot::default());
    }
    let notified: Vec<TaskId> = std::iter::from_fn(|| jm.poll_output())
        .filter_map(|o| match o {
            JobOutput::NotifyComplete { task, .. } => Some(task),
            _ => None,
        })
        .collect();
    assert_eq!(notified, vec![TaskId(0), TaskId(1)], "completion is notified to all tasks");
    assert_eq!(jm.coordinator().latest_completed().map(|c| c.id), Some(id));
}

#[test]
fn a_running_task_whose_inputs_all_finished_is_triggered_in_2x() {
    // The source FINISHED, the sink still runs (it owes its final checkpoint, FLIP-147).
    // 2.x triggers the sink itself and not the finished source
    // (`DefaultCheckpointPlanCalculator`); 1.11 triggers nothing once a task finished.
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut jm = running_job(profile);
        let (a, _) = jm.execution(TaskId(0));
        jm.handle_task_state(3, TaskId(0), a, Finished, None);
        while jm.poll_output().is_some() {}
        let mut triggered = Vec::new();
        let mut t = 3;
        while t < 5_000 {
            t = jm.poll_timeout().expect("a timer");
            jm.handle_timeout(t);
            while let Some(o) = jm.poll_output() {
                if let JobOutput::Trigger { task, .. } = o {
                    triggered.push(task);
                }
            }
        }
        if profile == Profile::Flink23 {
            // The FINISHED source is not triggered (it is not in the plan's tasks to
            // trigger; a trigger RPC to it would fail the checkpoint).
            assert_eq!(triggered.first(), Some(&TaskId(1)), "{triggered:?}");
            assert!(!triggered.contains(&TaskId(0)), "{triggered:?}");
        } else {
            assert!(triggered.is_empty(), "{triggered:?}");
        }
    }
}

/// A trigger RPC without an answer (the trigger or its answer was lost), posed as Flink's
/// `CheckpointCoordinator#triggerCheckpointRequest` handles `Execution#triggerCheckpoint`'s
/// failed future: 2.x aborts the checkpoint when the ask timeout (10 s) runs out, with
/// `TRIGGER_CHECKPOINT_FAILURE`, which the failure manager does not count (tolerable 0, no
/// job failure); an answered trigger never times out. 1.11's trigger has no answer and
/// nothing times out: the checkpoint stays pending until it expires. The planted
/// `trigger-failure-ignored` behaves like 1.11 under 2.x.
#[test]
fn an_unanswered_trigger_rpc_aborts_the_checkpoint_after_the_ask_timeout_in_2x() {
    let run = |profile: Profile, variant: Variant, answer: bool| {
        let mut params = params(FIXED_3_10S, profile, variant);
        params.checkpoint.timeout_ms = 60_000;
        let mut jm = JobMaster::new(params);
        jm.start(0, None);
        for task in [TaskId(0), TaskId(1)] {
            to_running(&mut jm, task, profile);
        }
        while jm.poll_output().is_some() {}
        // Up to the first trigger.
        let (mut sent, mut now) = (None, 2);
        while sent.is_none() {
            now = jm.poll_timeout().expect("the periodic trigger");
            jm.handle_timeout(now);
            while let Some(o) = jm.poll_output() {
                if let JobOutput::Trigger { task, attempt, barrier, .. } = o {
                    sent = Some((task, attempt, barrier.id));
                }
            }
        }
        let (task, attempt, id) = sent.expect("a trigger");
        if answer {
            jm.handle_trigger_answer(now + 3, task, attempt, id);
        }
        let mut aborted = None;
        let mut t = now;
        while t < now + 30_000 && aborted.is_none() {
            t = jm.poll_timeout().expect("a timer");
            jm.handle_timeout(t);
            while let Some(o) = jm.poll_output() {
                match o {
                    JobOutput::Checkpoint(CoordinatorOutput::Aborted { id: a, reason, .. }) if a == id => {
                        aborted = Some((t - now, reason));
                    }
                    JobOutput::JobStatusChanged { to, .. } => panic!("the job changed to {to}"),
                    _ => {}
                }
            }
        }
        aborted
    };
    let ask = Some((DEFAULT_DEPLOY_TIMEOUT_MS, CheckpointFailureReason::TriggerCheckpointFailure));
    assert_eq!(run(Profile::Flink23, Variant::Correct, false), ask, "2.x: aborted at the ask timeout, uncounted");
    assert_eq!(run(Profile::Flink23, Variant::Correct, true), None, "an answered trigger does not time out");
    assert_eq!(run(Profile::Flink111, Variant::Correct, false), None, "1.11: no answer, nothing times out");
    assert_eq!(run(Profile::Flink23, Variant::TriggerFailureIgnored, false), None, "the planted variant");
}

#[test]
fn unacknowledged_deployment_fails_after_the_ask_timeout() {
    // Task 1's deployment is lost: after 10 s it fails, which is a counted failure.
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    let (a, _) = jm.execution(TaskId(0));
    jm.handle_task_state(5, TaskId(0), a, Initializing, None);
    jm.handle_task_state(6, TaskId(0), a, Running, None);
    assert_eq!(jm.poll_timeout().map(|t| t.min(10_000)), Some(10_000));
    jm.handle_timeout(9_999);
    assert_eq!(jm.status(), JobStatus::Running);
    jm.handle_timeout(10_000);
    assert_eq!(jm.status(), JobStatus::Restarting);
    assert_eq!(jm.execution(TaskId(1)).1, Failed);
    assert_eq!(jm.failures(), 1);
}

#[test]
fn unsolicited_cancel_is_a_failure() {
    // The TaskManager cancelled a RUNNING task on its own: the JobManager fails over.
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_task_state(1, task, a, Initializing, None);
        jm.handle_task_state(2, task, a, Running, None);
    }
    let (a, _) = jm.execution(TaskId(0));
    jm.handle_task_state(500, TaskId(0), a, Canceled, None);
    assert_eq!(jm.execution(TaskId(0)).1, Failed, "an unsolicited CANCELED is a failure");
    assert_eq!(jm.status(), JobStatus::Restarting);
    assert_eq!(jm.failures(), 1);
}

#[test]
fn recovered_id_counter_is_not_lowered_by_an_older_restore() {
    let restored = |id| {
        Some(Arc::new(CompletedCheckpoint {
            id: CheckpointId(id),
            kind: CheckpointKind::Checkpoint,
            trigger_ms: 0,
            completed_ms: 1,
            tasks: Default::default(),
            size_bytes: 0,
            external: false,
        }))
    };
    // A new JobManager restores checkpoint 18 but ids up to 27 were already used (failed
    // checkpoints): the next checkpoint is 28, not 19.
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.recover_checkpoint_id_counter(CheckpointId(28));
    jm.start(0, restored(18));
    assert_eq!(jm.coordinator().next_checkpoint_id(), CheckpointId(28));
    // A counter below the restored checkpoint does not lower it.
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.recover_checkpoint_id_counter(CheckpointId(5));
    jm.start(0, restored(18));
    assert_eq!(jm.coordinator().next_checkpoint_id(), CheckpointId(19));
}

/// The tasks the next outputs trigger, drained.
fn triggers(jm: &mut JobMaster) -> Vec<String> {
    std::iter::from_fn(|| jm.poll_output())
        .filter_map(|o| match o {
            JobOutput::Trigger { task, barrier, .. } => Some(format!("{task} id={}", barrier.id)),
            _ => None,
        })
        .collect()
}

/// Flink 2.x `SchedulerBase.notifyEndOfData`: once every task reached the end of its data
/// the JobMaster triggers a checkpoint at once (well before the periodic timer at >= 500 ms);
/// 1.11 has no such call.
#[test]
fn end_of_data_of_every_task_triggers_a_checkpoint_at_once_in_2x() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut jm = running_job(profile);
        while jm.poll_output().is_some() {}
        let (a0, _) = jm.execution(TaskId(0));
        let (a1, _) = jm.execution(TaskId(1));
        jm.handle_end_of_data(100, TaskId(0), a0);
        assert!(!jm.all_tasks_end_of_data());
        assert_eq!(triggers(&mut jm), Vec::<String>::new(), "{profile}: one task of two is no trigger");
        jm.handle_end_of_data(120, TaskId(1), a1);
        assert!(jm.all_tasks_end_of_data());
        let want: Vec<String> = if profile == Profile::Flink23 { vec!["t0 id=1".into()] } else { vec![] };
        assert_eq!(triggers(&mut jm), want, "{profile}");
        // A repeated report triggers nothing more.
        jm.handle_end_of_data(130, TaskId(1), a1);
        assert_eq!(triggers(&mut jm), Vec::<String>::new(), "{profile}: repeated report");
    }
}

/// A FINISHED task has reached the end of its data; a stale attempt's report is discarded
/// and a restart forgets the reports of the attempts before it.
#[test]
fn end_of_data_counts_finished_tasks_and_ignores_stale_attempts() {
    let profile = Profile::Flink23;
    let mut jm = running_job(profile);
    let (a0, _) = jm.execution(TaskId(0));
    jm.handle_end_of_data(100, TaskId(0), a0);
    jm.handle_task_state(110, TaskId(0), a0, ExecutionState::Finished, None);
    while jm.poll_output().is_some() {}
    // The source FINISHED: checkpoint 1 goes to the sink directly (its upstream finished).
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_end_of_data(120, TaskId(1), a1);
    let got = triggers(&mut jm);
    assert!(got.contains(&"t1 id=1".to_string()), "{got:?}");

    let mut jm = running_job(profile);
    let (old0, _) = jm.execution(TaskId(0));
    let (old1, _) = jm.execution(TaskId(1));
    jm.handle_end_of_data(100, TaskId(0), old0);
    jm.handle_task_state(150, TaskId(1), old1, ExecutionState::Failed, Some("boom".into()));
    jm.handle_task_state(160, TaskId(0), old0, ExecutionState::Canceled, None);
    jm.handle_timeout(20_000);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_task_state(20_001, task, a, Initializing, None);
        jm.handle_task_state(20_002, task, a, Running, None);
    }
    let (new1, _) = jm.execution(TaskId(1));
    assert_ne!(new1, old1, "restarted");
    while jm.poll_output().is_some() {}
    jm.handle_end_of_data(20_100, TaskId(1), old1);
    jm.handle_end_of_data(20_110, TaskId(1), new1);
    assert!(!jm.all_tasks_end_of_data(), "the source's report was the old attempt's");
    assert_eq!(triggers(&mut jm), Vec::<String>::new());
}

/// Without checkpointing (`jobGraph.isCheckpointingEnabled()` false) the end of data
/// triggers nothing.
#[test]
fn end_of_data_without_checkpointing_triggers_nothing() {
    let mut p = params(FIXED_3_10S, Profile::Flink23, Variant::Correct);
    p.checkpoint.interval_ms = None;
    let mut jm = JobMaster::new(p);
    jm.start(0, None);
    for task in [TaskId(0), TaskId(1)] {
        to_running(&mut jm, task, Profile::Flink23);
        let (a, _) = jm.execution(task);
        jm.handle_end_of_data(100, task, a);
    }
    assert!(jm.all_tasks_end_of_data());
    assert_eq!(triggers(&mut jm), Vec::<String>::new());
}

/// The JobMaster's generator is SplitMix64 exactly (Steele, Lea and Flood; Vigna's reference
/// `splitmix64.c`): every seed-derived decision of a run (the coordinator's initial trigger
/// delay, each backoff jitter draw) comes from it, so its sequence is part of the
/// determinism contract: a changed generator changes every trace hash. The values are the
/// reference implementation's first outputs for seeds 0 and 7.
#[test]
fn the_seed_generator_is_the_reference_splitmix64() {
    let mut g = SplitMix64(0);
    let got: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
    assert_eq!(got, vec![0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]);
    assert_eq!(SplitMix64(7).next_u64(), 0x63CB_E1E4_5932_0DD7);
}

/// Reports of an older attempt are discarded whatever they say: Flink looks the execution up
/// by its attempt id and ignores an unknown one (`DefaultExecutionGraph#updateState`: "Cannot
/// find execution"), so a late FAILED or RUNNING of the attempt before a restart neither
/// counts as a failure nor moves the new attempt.
#[test]
fn reports_of_an_older_attempt_are_discarded() {
    let mut jm = running_job(Profile::Flink23);
    let (old, _) = jm.execution(TaskId(0));
    let (old1, _) = jm.execution(TaskId(1));
    jm.handle_task_state(100, TaskId(1), old1, Failed, Some("boom".into()));
    jm.handle_task_state(101, TaskId(0), old, Canceled, None);
    jm.handle_timeout(10_100);
    assert_eq!((jm.status(), jm.restarts(), jm.failures()), (JobStatus::Running, 1, 1));
    let (new, state) = jm.execution(TaskId(0));
    assert_eq!((new, state), (Attempt(1), Deploying));
    while jm.poll_output().is_some() {}
    jm.handle_task_state(10_200, TaskId(0), old, Failed, Some("late failure of the old attempt".into()));
    jm.handle_task_state(10_201, TaskId(1), old1, Initializing, None);
    assert_eq!((jm.status(), jm.failures()), (JobStatus::Running, 1), "a stale FAILED is not a failure");
    assert_eq!(jm.execution(TaskId(0)), (Attempt(1), Deploying));
    assert_eq!(jm.execution(TaskId(1)), (Attempt(1), Deploying), "a stale INITIALIZING moves nothing");
    assert!(jm.poll_output().is_none());
}

/// 2.x: a FINISHED task is no longer waited for by the checkpoints triggered after it
/// finished (`DefaultCheckpointPlanCalculator` puts it among the plan's finished tasks, not
/// the tasks to wait for): the sink's acknowledgement alone completes the checkpoint.
#[test]
fn a_finished_task_is_not_waited_for_by_later_checkpoints_in_2x() {
    let mut jm = running_job(Profile::Flink23);
    let (a0, _) = jm.execution(TaskId(0));
    jm.handle_task_state(3, TaskId(0), a0, Finished, None);
    while jm.poll_output().is_some() {}
    let (t, id) = loop {
        let t = jm.poll_timeout().expect("the scheduler runs");
        assert!(t < 5_000, "a checkpoint within 5 s");
        jm.handle_timeout(t);
        let got: Vec<CheckpointId> = std::iter::from_fn(|| jm.poll_output())
            .filter_map(|o| match o {
                JobOutput::Trigger { task: TaskId(1), barrier, .. } => Some(barrier.id),
                _ => None,
            })
            .collect();
        if let Some(id) = got.first() {
            break (t, *id);
        }
    };
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_ack(t + 1, TaskId(1), a1, id, TaskSnapshot::default());
    assert_eq!(jm.coordinator().latest_completed().map(|c| c.id), Some(id));
}

/// A JobManager failover (HA): the job starts from the latest completed checkpoint the HA
/// store holds, deploys every task from it, and the checkpoint stays the job's own (not
/// external: subsumption and the retention policy apply to it, Flink's
/// `CompletedCheckpointStore` recovered by the new JobMaster), unlike a restore of a
/// retained checkpoint into a new job.
#[test]
fn a_recovered_job_starts_from_the_ha_checkpoint_as_its_own() {
    let cp = Arc::new(CompletedCheckpoint {
        id: CheckpointId(18),
        kind: CheckpointKind::Checkpoint,
        trigger_ms: 0,
        completed_ms: 1,
        tasks: Default::default(),
        size_bytes: 0,
        external: false,
    });
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start_recovered(0, Some(cp));
    assert_eq!(jm.status(), JobStatus::Running);
    let latest = jm.coordinator().latest_completed().expect("the recovered checkpoint is in the store");
    assert_eq!((latest.id, latest.external), (CheckpointId(18), false));
    assert_eq!(jm.coordinator().next_checkpoint_id(), CheckpointId(19));
    let restores: Vec<Option<CheckpointId>> = std::iter::from_fn(|| jm.poll_output())
        .filter_map(|o| match o {
            JobOutput::Deploy { restore, .. } => Some(restore.map(|c| c.id)),
            _ => None,
        })
        .collect();
    assert_eq!(restores, vec![Some(CheckpointId(18)); 2]);
}

/// A cancel RPC is sent again only once its ask timeout ran out (Flink's
/// `Execution#sendCancelRpcCall` retries a call that failed, here: timed out), not on an
/// earlier timer of the JobMaster.
#[test]
fn a_cancel_is_not_resent_before_its_ask_timeout() {
    let mut jm = running_job(Profile::Flink23);
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_task_state(1_000, TaskId(0), jm.execution(TaskId(0)).0, Failed, Some("boom".into()));
    let cancels = |jm: &mut JobMaster| {
        std::iter::from_fn(|| jm.poll_output()).filter(|o| matches!(o, JobOutput::Cancel { .. })).count()
    };
    assert_eq!(cancels(&mut jm), 1);
    jm.handle_timeout(5_000);
    assert_eq!(cancels(&mut jm), 0, "an earlier timer resends nothing");
    jm.handle_timeout(1_000 + DEFAULT_DEPLOY_TIMEOUT_MS);
    assert_eq!(cancels(&mut jm), 1, "resent at its ask timeout");
    assert_eq!(jm.execution(TaskId(1)), (a1, Canceling));
}

/// Stop-with-savepoint through the JobMaster: the periodic scheduler stops and the
/// synchronous savepoint goes to the source; when it fails (2.x: expired, a job-level
/// savepoint failure that does not fail the job) the host resumes and periodic checkpoints
/// come again (Flink's `StopWithSavepointTerminationHandlerImpl` restarts the checkpoint
/// scheduler when the savepoint fails).
#[test]
fn a_failed_stop_with_savepoint_resumes_periodic_checkpoints() {
    let mut jm = running_job(Profile::Flink23);
    while jm.poll_output().is_some() {}
    jm.stop_with_savepoint(100, crate::record::StopMode::NoDrain);
    let stops: Vec<_> = std::iter::from_fn(|| jm.poll_output())
        .filter_map(|o| match o {
            JobOutput::Trigger { task, barrier, .. } => Some((task, barrier.stop)),
            _ => None,
        })
        .collect();
    assert_eq!(stops, vec![(TaskId(0), Some(crate::record::StopMode::NoDrain))]);
    // Nobody acknowledges: it expires; no periodic trigger in between.
    let mut t = 100;
    let mut periodic = Vec::new();
    while let Some(next) = jm.poll_timeout() {
        t = next;
        jm.handle_timeout(t);
        periodic.extend(triggers(&mut jm));
        if jm.coordinator().pending_ids().is_empty() {
            break;
        }
    }
    assert_eq!(jm.status(), JobStatus::Running, "an expired stop savepoint does not fail the job in 2.x");
    assert!(periodic.is_empty(), "{periodic:?}");
    jm.resume_after_failed_stop(t);
    let mut after = Vec::new();
    while after.is_empty() {
        let next = jm.poll_timeout().expect("the scheduler runs again");
        assert!(next <= t + 2_000, "a periodic checkpoint within an interval of the resume");
        jm.handle_timeout(next);
        after = triggers(&mut jm);
    }
    assert_eq!(after, vec!["t0 id=2"]);
}

/// End-of-data reports trigger the end-of-data checkpoint once: a report of an older
/// attempt, a repeated report, and a report of a task already FINISHED are discarded (the
/// model's rule; in Flink none of them reaches the JobMaster: `StreamTask#endData` reports
/// once per attempt, before the task's final state update, and a restart waits for every
/// old attempt to be terminal, while `SchedulerBase#notifyEndOfData` would trigger again on
/// any report once every task is recorded).
#[test]
fn late_or_repeated_end_of_data_reports_trigger_nothing() {
    let profile = Profile::Flink23;
    let complete = |jm: &mut JobMaster, at: u64| {
        let ids: Vec<CheckpointId> = jm.coordinator().pending_ids();
        for id in ids {
            for task in [TaskId(0), TaskId(1)] {
                let (a, s) = jm.execution(task);
                if s == Running {
                    jm.handle_ack(at, task, a, id, TaskSnapshot::default());
                }
            }
        }
        while jm.poll_output().is_some() {}
    };
    // A repeated report after the end-of-data checkpoint completed.
    let mut jm = running_job(profile);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_end_of_data(100, task, a);
    }
    assert_eq!(triggers(&mut jm), vec!["t0 id=1"]);
    complete(&mut jm, 110);
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_end_of_data(120, TaskId(1), a1);
    assert_eq!(triggers(&mut jm), Vec::<String>::new(), "repeated report");

    // The source FINISHED without a report of its own; its late report comes after the
    // checkpoint the sink's report triggered completed.
    let mut jm = running_job(profile);
    let (a0, _) = jm.execution(TaskId(0));
    jm.handle_task_state(100, TaskId(0), a0, Finished, None);
    while jm.poll_output().is_some() {}
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_end_of_data(110, TaskId(1), a1);
    assert!(triggers(&mut jm).contains(&"t1 id=1".to_string()));
    complete(&mut jm, 120);
    jm.handle_end_of_data(130, TaskId(0), a0);
    assert_eq!(triggers(&mut jm), Vec::<String>::new(), "report of a FINISHED task");

    // After a restart: the old source attempt's report with the new sink's.
    let mut jm = running_job(profile);
    let (old0, _) = jm.execution(TaskId(0));
    let (old1, _) = jm.execution(TaskId(1));
    jm.handle_task_state(150, TaskId(1), old1, Failed, Some("boom".into()));
    jm.handle_task_state(160, TaskId(0), old0, Canceled, None);
    jm.handle_timeout(20_000);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_task_state(20_001, task, a, Initializing, None);
        jm.handle_task_state(20_002, task, a, Running, None);
    }
    while jm.poll_output().is_some() {}
    let (new1, _) = jm.execution(TaskId(1));
    jm.handle_end_of_data(20_100, TaskId(0), old0);
    jm.handle_end_of_data(20_110, TaskId(1), new1);
    assert!(!jm.all_tasks_end_of_data(), "the source's report was the old attempt's");
    assert_eq!(triggers(&mut jm), Vec::<String>::new());
}

/// A runtime retune through the JobMaster answers with the coordinator's verdict: a
/// timeout below Flink's minimum (`CheckpointConfig#setCheckpointTimeout`: at least
/// `MINIMAL_CHECKPOINT_TIME`, 10 ms) is an error naming the field; a valid one is accepted.
#[test]
fn a_retune_through_the_jobmaster_reports_an_invalid_value() {
    let mut jm = running_job(Profile::Flink23);
    let bad = Retune { timeout_ms: Some(5), ..Retune::default() };
    let err = jm.retune(10, &bad).expect_err("a timeout of 5 ms is invalid");
    assert!(err.to_string().contains("timeout_ms"), "{err}");
    assert_eq!(jm.retune(10, &Retune { interval_ms: Some(2_000), ..Retune::default() }), Ok(()));
}

/// Checkpoint storage unreachable: the next trigger fails with `IO_EXCEPTION` and no task is
/// triggered (Flink's `CheckpointCoordinator` fails the trigger when it cannot initialize the
/// checkpoint's storage location).
#[test]
fn unreachable_storage_fails_triggers_with_io_exception() {
    let mut jm = running_job(Profile::Flink23);
    while jm.poll_output().is_some() {}
    jm.handle_storage_status(3, false);
    let (mut reasons, mut triggered) = (Vec::new(), 0);
    while reasons.is_empty() {
        let t = jm.poll_timeout().expect("the scheduler runs");
        assert!(t < 5_000, "a firing within 5 s");
        jm.handle_timeout(t);
        for o in std::iter::from_fn(|| jm.poll_output()) {
            match o {
                JobOutput::Checkpoint(CoordinatorOutput::Aborted { reason, .. }) => reasons.push(reason),
                JobOutput::Trigger { .. } => triggered += 1,
                _ => {}
            }
        }
    }
    assert_eq!((reasons, triggered), (vec![CheckpointFailureReason::IoException], 0));
    // `IO_EXCEPTION` is counted (`CheckpointFailureManager`): with no tolerable failures the
    // job fails over.
    assert_eq!(jm.status(), JobStatus::Restarting);
}

/// The host's next wake-up while a failover runs: the cancel RPC's ask timeout while a task
/// is still CANCELING (the restart waits for every task to be terminal, Flink's
/// `DefaultScheduler` restarts once the cancellation of the failed region completed, so its
/// earlier backoff deadline is not reported), then the restart's backoff deadline once
/// every task is terminal.
#[test]
fn poll_timeout_reports_the_cancel_deadline_then_the_restart() {
    let restart = RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 5_000 };
    let mut jm = JobMaster::new(params(restart, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    for task in [TaskId(0), TaskId(1)] {
        to_running(&mut jm, task, Profile::Flink23);
    }
    let (a0, _) = jm.execution(TaskId(0));
    jm.handle_task_state(1_000, TaskId(0), a0, Failed, Some("boom".into()));
    assert_eq!(jm.status(), JobStatus::Restarting);
    assert_eq!(jm.poll_timeout(), Some(1_000 + DEFAULT_DEPLOY_TIMEOUT_MS), "the sink's cancel ask timeout");
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_task_state(2_000, TaskId(1), a1, Canceled, None);
    assert_eq!(jm.poll_timeout(), Some(6_000), "every task terminal: the restart's backoff deadline");
    jm.handle_timeout(6_000);
    assert_eq!(jm.execution(TaskId(0)), (Attempt(1), Deploying));
}

/// Acknowledgements reach the coordinator only from the current attempt of a RUNNING task:
/// Flink's `CheckpointCoordinator#receiveAcknowledgeMessage` finds the pending checkpoint's
/// task by its execution attempt id and discards a message of any other attempt.
#[test]
fn acknowledgements_of_an_older_attempt_do_not_complete_a_checkpoint() {
    let mut jm = running_job(Profile::Flink23);
    let old: Vec<Attempt> = [TaskId(0), TaskId(1)].iter().map(|&t| jm.execution(t).0).collect();
    jm.handle_task_state(100, TaskId(1), old[1], Failed, Some("boom".into()));
    jm.handle_task_state(101, TaskId(0), old[0], Canceled, None);
    jm.handle_timeout(10_100);
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_task_state(10_101, task, a, Initializing, None);
        jm.handle_task_state(10_102, task, a, Running, None);
    }
    while jm.poll_output().is_some() {}
    jm.request_checkpoint(10_200, RequestKind::Manual);
    let id = *jm.coordinator().pending_ids().first().expect("triggered");
    for task in [TaskId(0), TaskId(1)] {
        jm.handle_ack(10_300, task, old[task.0 as usize], id, TaskSnapshot::default());
    }
    assert_eq!(jm.coordinator().pending_ids(), vec![id], "the old attempts' acks are discarded");
    assert!(jm.coordinator().latest_completed().is_none());
    for task in [TaskId(0), TaskId(1)] {
        let (a, _) = jm.execution(task);
        jm.handle_ack(10_400, task, a, id, TaskSnapshot::default());
    }
    assert_eq!(jm.coordinator().latest_completed().map(|c| c.id), Some(id));
}

/// Cancelling a job whose tasks are still DEPLOYING moves them to CANCELING (Flink's
/// `Execution#cancel` from DEPLOYING): the deployment's ask timeout no longer applies, the
/// cancel RPC's does.
#[test]
fn cancel_while_deploying_tracks_the_cancel_not_the_deployment() {
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    assert_eq!(jm.poll_timeout(), Some(DEFAULT_DEPLOY_TIMEOUT_MS), "the deployments' ask timeout");
    jm.cancel(5);
    assert_eq!(jm.status(), JobStatus::Cancelling);
    assert_eq!(jm.execution(TaskId(0)), (Attempt(0), Canceling));
    assert_eq!(jm.poll_timeout(), Some(5 + DEFAULT_DEPLOY_TIMEOUT_MS), "the cancel RPC's ask timeout");
}

/// A job cancelled before it started: CREATED -> CANCELLING -> CANCELED, its never-deployed
/// executions go CREATED -> CANCELED directly (Flink's `Execution#cancel` of a CREATED
/// execution; `JobStatus` CREATED may go to CANCELLING).
#[test]
fn a_job_cancelled_before_it_started_ends_canceled() {
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.cancel(0);
    assert_eq!(jm.status(), JobStatus::Canceled);
    assert_eq!(jm.execution(TaskId(1)), (Attempt(0), Canceled));
    let out: Vec<String> = std::iter::from_fn(|| jm.poll_output()).filter_map(|o| render(&o)).collect();
    assert_eq!(out, ["job CANCELLING", "job CANCELED", "terminated CANCELED"]);
}

/// The invariants report every corrupt state a bug could leave (each one planted in a
/// private field of a legal JobMaster), and accept the legal states around them.
#[test]
fn invariants_catch_a_corrupt_state() {
    let base = running_job(Profile::Flink23);
    base.invariants();
    type Corruption = Box<dyn Fn(&mut JobMaster)>;
    let corruptions: Vec<(&str, Corruption)> = vec![
        ("two attempts", Box::new(|jm| jm.executions[1].attempt = Attempt(1))),
        ("attempt without a restart", Box::new(|jm| jm.restarts_total = 1)),
        ("restart timer while RUNNING", Box::new(|jm| jm.restart_at_ms = Some(5))),
        ("RESTARTING without a timer", Box::new(|jm| jm.status = JobStatus::Restarting)),
        ("terminal job with live tasks", Box::new(|jm| jm.status = JobStatus::Canceled)),
        ("deploy deadline outside DEPLOYING", Box::new(|jm| jm.executions[0].deploying_since_ms = Some(1))),
        (
            "cancel RPC outside CANCELING",
            Box::new(|jm| jm.executions[0].cancel_rpc = Some(CancelRpc { sent_ms: 1, calls: 1 })),
        ),
        ("CREATED job with a deployed task", Box::new(|jm| jm.status = JobStatus::Created)),
        (
            "more restarts than failures",
            Box::new(|jm| {
                jm.restarts_total = 1;
                jm.executions.iter_mut().for_each(|e| e.attempt = Attempt(1));
            }),
        ),
        ("executions missing", Box::new(|jm| jm.executions.truncate(1))),
    ];
    for (name, corrupt) in corruptions {
        let mut jm = base.clone();
        corrupt(&mut jm);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| jm.invariants())).is_err();
        assert!(caught, "not reported: {name}");
    }
    // Legal: FAILING with a task still CANCELING.
    let mut jm = base.clone();
    jm.status = JobStatus::Failing;
    jm.executions[0].state = Failed;
    jm.executions[1].state = Canceling;
    jm.invariants();
}

/// A bounded job whose every task FINISHED ends FINISHED (Flink's
/// `DefaultExecutionGraph#jobVertexFinished`: the last finished vertex moves the job
/// RUNNING -> FINISHED); one FINISHED task is not enough.
#[test]
fn the_job_finishes_when_every_task_finished() {
    let mut jm = running_job(Profile::Flink23);
    while jm.poll_output().is_some() {}
    let (a0, _) = jm.execution(TaskId(0));
    jm.handle_task_state(100, TaskId(0), a0, Finished, None);
    assert_eq!(jm.status(), JobStatus::Running);
    let (a1, _) = jm.execution(TaskId(1));
    jm.handle_task_state(110, TaskId(1), a1, Finished, None);
    assert_eq!(jm.status(), JobStatus::Finished);
    let out: Vec<String> = std::iter::from_fn(|| jm.poll_output()).filter_map(|o| render(&o)).collect();
    assert_eq!(out, ["job FINISHED", "terminated FINISHED"]);
}

/// The trigger pre-flight's "sources running" rule as documented on `sources_running`
/// (flink-2.3): every source RUNNING or FINISHED, and some task the trigger can reach: a
/// RUNNING source or a RUNNING task whose upstream tasks all FINISHED
/// (`DefaultCheckpointPlanCalculator` triggers the running tasks without a running
/// predecessor). A source still INITIALIZING, or finished sources whose only running task
/// waits behind an upstream still INITIALIZING, give no trigger target.
#[test]
fn sources_running_needs_every_source_up_and_a_trigger_target() {
    let mut p = params(FIXED_3_10S, Profile::Flink23, Variant::Correct);
    let task = |i: u32, name: &str, is_source: bool, inputs: Vec<TaskId>| TaskInfo {
        id: TaskId(i),
        name: name.into(),
        is_source,
        tm: TmId(0),
        inputs,
        vertex: i,
    };
    p.tasks = vec![
        task(0, "src-a", true, vec![]),
        task(1, "src-b", true, vec![]),
        task(2, "map", false, vec![TaskId(0), TaskId(1)]),
        task(3, "sink", false, vec![TaskId(2)]),
    ];
    let jm = JobMaster::new(p);
    let with = |states: [ExecutionState; 4]| {
        let mut jm = jm.clone();
        for (e, s) in jm.executions.iter_mut().zip(states) {
            e.state = s;
        }
        jm.sources_running()
    };
    assert!(with([Running, Running, Running, Running]));
    assert!(!with([Running, Initializing, Running, Running]), "a source still initializing");
    assert!(with([Finished, Finished, Running, Running]), "map is triggered directly");
    assert!(with([Finished, Running, Running, Running]), "one source still running");
    assert!(!with([Finished, Finished, Initializing, Running]), "the running sink waits behind map");
    assert!(!with([Finished, Finished, Finished, Finished]), "nothing left to trigger");
}

/// An out-of-order report of the current attempt is discarded: a task being cancelled while
/// it deployed reports RUNNING (sent before the cancel reached it); Flink's `Execution`
/// ignores a switch to RUNNING of an execution already CANCELING and waits for CANCELED.
#[test]
fn a_running_report_after_the_cancel_is_discarded() {
    let mut jm = JobMaster::new(params(FIXED_3_10S, Profile::Flink23, Variant::Correct));
    jm.start(0, None);
    jm.cancel(5);
    let (a, _) = jm.execution(TaskId(0));
    jm.handle_task_state(6, TaskId(0), a, Running, None);
    assert_eq!(jm.execution(TaskId(0)), (a, Canceling));
    for task in [TaskId(0), TaskId(1)] {
        jm.handle_task_state(7, task, a, Canceled, None);
    }
    assert_eq!(jm.status(), JobStatus::Canceled);
}

/// Flink's `DefaultCheckpointPlanCalculatorTest` (2.x, checkpoints after tasks finish), its six
/// graph cases posed on the JobMaster: vertices (parallelism, FINISHED subtasks), edges
/// (source, target, all-to-all or pointwise) and the tasks the plan triggers. A trigger goes to
/// exactly the RUNNING tasks without a RUNNING upstream task (`calculateAfterTasksFinished`),
/// and the checkpoint waits for every RUNNING task, triggered or not, and for no FINISHED one
/// (`getTasksToWaitFor` = the running tasks): it completes only with the last running task's
/// acknowledgement. (The two NOT_ALL_REQUIRED_TASKS_RUNNING cases are
/// `sources_running_needs_every_source_up_and_a_trigger_target`.)
#[test]
fn the_checkpoint_plan_after_tasks_finished_is_flinks() {
    type Vertex = (u32, &'static [u32]);
    type Edge = (usize, usize, bool);
    type Case = (&'static str, Vec<Vertex>, Vec<Edge>, Vec<(usize, &'static [u32])>);
    let r = |a: u32, b: u32| -> &'static [u32] { Box::leak((a..b).collect::<Vec<_>>().into_boxed_slice()) };
    let cases: Vec<Case> = vec![
        (
            "testComputeAllRunningGraph",
            vec![(3, &[]), (4, &[]), (5, &[]), (6, &[])],
            vec![(0, 2, true), (1, 2, false), (2, 3, true)],
            vec![(0, r(0, 3)), (1, r(0, 4))],
        ),
        ("testAllToAllEdgeWithSomeSourcesFinished", vec![(3, r(0, 2)), (4, &[])], vec![(0, 1, true)], vec![(0, &[2])]),
        (
            "testOneToOneEdgeWithSomeSourcesFinished",
            vec![(4, r(0, 2)), (4, &[])],
            vec![(0, 1, false)],
            vec![(0, r(2, 4)), (1, r(0, 2))],
        ),
        (
            "testOneToOnEdgeWithSomeSourcesAndTargetsFinished",
            vec![(4, r(0, 2)), (4, &[0])],
            vec![(0, 1, false)],
            vec![(0, r(2, 4)), (1, &[1])],
        ),
        (
            "testComputeWithMultipleInputs",
            vec![(3, r(0, 3)), (5, &[0, 2, 3]), (5, &[2, 4]), (5, &[2])],
            vec![(0, 3, true), (1, 3, false), (2, 3, false)],
            vec![(1, &[1, 4]), (2, &[0, 1, 3])],
        ),
        (
            "testComputeWithMultipleLevels",
            vec![(16, r(0, 4)), (16, r(0, 16)), (16, r(0, 2)), (16, &[]), (16, &[])],
            vec![(0, 2, false), (0, 3, false), (1, 2, true), (1, 3, false), (2, 4, false), (3, 4, true)],
            vec![(0, r(4, 16)), (2, r(2, 4)), (3, r(0, 4))],
        ),
    ];
    for (name, vertices, edges, expect) in cases {
        // Task ids: the vertices' subtasks in order.
        let first: Vec<u32> = vertices.iter().scan(0, |n, v| Some(std::mem::replace(n, *n + v.0))).collect();
        let id = |v: usize, i: u32| TaskId(first[v] + i);
        let mut tasks = Vec::new();
        for (v, &(p, _)) in vertices.iter().enumerate() {
            for i in 0..p {
                let mut inputs = Vec::new();
                for &(s, _, all) in edges.iter().filter(|e| e.1 == v) {
                    let ps = vertices[s].0;
                    // Pointwise as Flink's `EdgeManagerBuildUtil`: equal parallelism one to
                    // one; otherwise each upstream subtask feeds a contiguous range.
                    let ups = (0..ps).filter(|&u| all || (u * p / ps..((u + 1) * p).div_ceil(ps)).contains(&i));
                    inputs.extend(ups.map(|u| id(s, u)));
                }
                let is_source = inputs.is_empty();
                tasks.push(TaskInfo {
                    id: id(v, i),
                    name: format!("v{v}[{i}]"),
                    is_source,
                    tm: TmId(0),
                    inputs,
                    vertex: v as u32,
                });
            }
        }
        let mut p = params(FIXED_3_10S, Profile::Flink23, Variant::Correct);
        p.tasks = tasks;
        let mut jm = JobMaster::new(p);
        jm.start(0, None);
        let all: Vec<TaskId> = jm.tasks().iter().map(|t| t.id).collect();
        for &t in &all {
            to_running(&mut jm, t, Profile::Flink23);
        }
        let finished: Vec<TaskId> =
            vertices.iter().enumerate().flat_map(|(v, &(_, f))| f.iter().map(move |&i| id(v, i))).collect();
        for &t in &finished {
            let (a, _) = jm.execution(t);
            jm.handle_task_state(3, t, a, Finished, None);
        }
        while jm.poll_output().is_some() {}
        let (mut now, mut triggered, mut cp) = (3, Vec::new(), None);
        while cp.is_none() && now < 10_000 {
            now = jm.poll_timeout().expect("a timer");
            jm.handle_timeout(now);
            while let Some(o) = jm.poll_output() {
                if let JobOutput::Trigger { task, barrier, .. } = o {
                    triggered.push(task);
                    cp = Some(barrier.id);
                }
            }
        }
        let want: Vec<TaskId> = expect.iter().flat_map(|&(v, s)| s.iter().map(move |&i| id(v, i))).collect();
        triggered.sort();
        assert_eq!(triggered, want, "{name}: tasks to trigger");
        let cp = cp.expect("a checkpoint was triggered");
        let running: Vec<TaskId> = all.iter().copied().filter(|t| !finished.contains(t)).collect();
        let (last, rest) = running.split_last().expect("a running task");
        for &t in rest {
            let (a, _) = jm.execution(t);
            jm.handle_ack(now + 1, t, a, cp, TaskSnapshot::default());
        }
        assert!(jm.coordinator().latest_completed().is_none(), "{name}: waits for running {last:?}");
        let (a, _) = jm.execution(*last);
        jm.handle_ack(now + 2, *last, a, cp, TaskSnapshot::default());
        let done = jm.coordinator().latest_completed().map(|c| c.id);
        assert_eq!(done, Some(cp), "{name}: every running task acknowledged, no finished one awaited");
    }
}
