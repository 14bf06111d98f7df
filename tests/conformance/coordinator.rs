//! CheckpointRequestDeciderTest, CheckpointCoordinatorTriggeringTest and CheckpointCoordinatorTest expectations posed to `CheckpointCoordinator` as step scripts.
//!
//! The decider is not a public type of the core: its tests are posed through the coordinator,
//! with the decider's inputs made real (a pending checkpoint for "too many pending", a completed
//! one for "last completion"). Outputs are rendered one line each; a case lists the lines that
//! must appear in that order (other lines may come in between) and lines that must not appear.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::{CheckpointConfig, Retention};
use ckptsim::coordinator::{CheckpointCoordinator, CoordinatorOutput, ExecutionView, HookId, RequestKind};
use ckptsim::reason::CheckpointFailureReason as R;
use ckptsim::record::{CheckpointKind, StopMode};
use ckptsim::state::TaskSnapshot;
use ckptsim::status::JobStatus;
use ckptsim::{CheckpointId, Profile, TaskId, Variant};

#[derive(Clone, Debug)]
enum Step {
    /// Job and every task RUNNING.
    Up,
    /// Job RESTARTING (the scheduler stops).
    Down,
    /// Any view: job status, every execution RUNNING or FINISHED, sources RUNNING.
    View(JobStatus, bool, bool),
    /// Renders `sched-running true|false` (`isPeriodicCheckpointingStarted`).
    Sched,
    /// Advance the clock to `t`, firing every due timer on the way.
    To(u64),
    Req(RequestKind),
    ReqN(RequestKind, usize),
    AckAll(u64),
    Decline(u64, R),
    Storage(bool),
    /// Checkpoints still being cleaned up (decider input).
    Cleaning(u32),
    /// The next id allocation fails.
    FailNextId,
    /// The next id allocation fails with an `IOException`.
    FailNextIdIo,
    /// The completed-checkpoint store throws on its next add.
    FailNextStoreAdd,
    Failover,
    Shutdown(JobStatus),
    /// Register a master hook / operator coordinator.
    Hook(u32),
    /// Hook `.1` acknowledges checkpoint `.0`.
    HookAck(u64, u32),
    /// Hook `.1` fails its snapshot of checkpoint `.0`.
    HookFail(u64, u32),
    /// The decider's queue capacity.
    QueueCap(usize),
    /// Renders `triggering true|false` (`isTriggering`).
    Trig,
    /// Renders `queue k1,k2,..` (the decider's queue in priority order).
    Queue,
    /// Task `.0` reached FINISHED.
    Finish(u32),
    /// Task `.1` acknowledges checkpoint `.0`.
    Ack(u64, u32),
    /// Task `.1` declines checkpoint `.0` with reason `.2`.
    DeclineBy(u64, u32, R),
    /// A stop-with-savepoint (synchronous savepoint, without drain).
    Stop,
    /// The host fails the job on FailJob (a JobMaster): `hold_queue_on_job_failure`.
    JobMasterHost,
    /// The host handled the FailJob: job RESTARTING (view), then `job_failure_handled`.
    JobFailed,
    /// Renders `mark <text>`: pins where in the output a later line must come.
    Mark(&'static str),
}
use RequestKind::{Manual, Periodic, PeriodicSavepoint, Savepoint};
use Step::*;

struct Case {
    flink: Flink,
    profiles: Vec<Profile>,
    config: CheckpointConfig,
    tasks: u32,
    steps: Vec<Step>,
    /// Lines that must appear in this order.
    expect: Vec<String>,
    /// Lines that must not appear at all.
    absent: Vec<String>,
    /// Requests left in the decider queue at the end.
    queued: Option<usize>,
    /// Lines that must appear exactly once.
    once: Vec<String>,
}

fn render(o: &CoordinatorOutput) -> String {
    let k = |k: &CheckpointKind| if *k == CheckpointKind::Savepoint { "savepoint" } else { "ckpt" };
    match o {
        CoordinatorOutput::Trigger { id, kind, .. } => format!("trigger {id} {}", k(kind)),
        CoordinatorOutput::NotifyComplete { id } => format!("notify-complete {id}"),
        CoordinatorOutput::NotifyAborted { id, latest_completed: None } => format!("notify-aborted {id}"),
        CoordinatorOutput::NotifyAborted { id, latest_completed: Some(l) } => {
            format!("notify-aborted {id}\nabort-carries-latest {l}")
        }
        CoordinatorOutput::TriggerMasterHooks { id, kind, .. } => format!("trigger-hooks {id} {}", k(kind)),
        CoordinatorOutput::Completed(cp) => {
            // The tasks the checkpoint holds as finished (`OperatorState#isFullyFinished`).
            let finished: Vec<String> =
                cp.tasks.iter().filter(|(_, s)| s.from_finished_task).map(|(t, _)| t.0.to_string()).collect();
            format!("complete {} {}\nfinished-in {} [{}]", cp.id, k(&cp.kind), cp.id, finished.join(","))
        }
        CoordinatorOutput::Aborted { id, kind, reason, .. } => format!("abort {id} {} {reason}", k(kind)),
        CoordinatorOutput::RequestFailed { request, reason } => format!("rejected {} {reason}", request.name()),
        CoordinatorOutput::Queue { request, change } => format!("queue {} {change:?}", request.name()),
        CoordinatorOutput::SchedulerStarted { .. } => "sched-start".into(),
        CoordinatorOutput::SchedulerStopped => "sched-stop".into(),
        CoordinatorOutput::FailJob(f) => format!("fail-job {}", f.reason),
        CoordinatorOutput::Discarded { id } => format!("discard {id}"),
        CoordinatorOutput::Stored { added, removed } => format!("stored {added:?} {removed:?}"),
    }
}

fn drive(case: &Case, profile: Profile) -> (Vec<String>, CheckpointCoordinator) {
    let tasks: Vec<TaskId> = (0..case.tasks).map(TaskId).collect();
    // random 0: the initial delay is the min pause (both profiles draw from [min_pause, base]).
    let mut c = CheckpointCoordinator::new(&case.config, profile, Variant::Correct, tasks.clone(), 0);
    let mut lines = Vec::new();
    let mut now = 0;
    let drain = |c: &mut CheckpointCoordinator, lines: &mut Vec<String>| {
        while let Some(o) = c.poll_output() {
            lines.extend(render(&o).lines().map(str::to_string));
        }
    };
    for step in &case.steps {
        match step {
            Up => c.handle_execution_view(
                now,
                ExecutionView {
                    job_status: JobStatus::Running,
                    all_tasks_running_or_finished: true,
                    sources_running: true,
                },
                0,
            ),
            Down => c.handle_execution_view(
                now,
                ExecutionView {
                    job_status: JobStatus::Restarting,
                    all_tasks_running_or_finished: false,
                    sources_running: false,
                },
                0,
            ),
            View(status, all, sources) => c.handle_execution_view(
                now,
                ExecutionView { job_status: *status, all_tasks_running_or_finished: *all, sources_running: *sources },
                0,
            ),
            Sched => lines.push(format!("sched-running {}", c.scheduler_running())),
            To(t) => {
                while let Some(due) = c.poll_timeout().filter(|d| *d <= *t) {
                    now = due.max(now);
                    c.handle_timeout(now);
                    drain(&mut c, &mut lines);
                }
                now = *t;
            }
            Req(k) => c.request(now, *k),
            ReqN(k, n) => {
                for _ in 0..*n {
                    c.request(now, *k);
                }
            }
            AckAll(id) => {
                for t in &tasks {
                    c.handle_ack(now, CheckpointId(*id), *t, TaskSnapshot::default());
                }
            }
            Decline(id, r) => c.handle_decline(now, CheckpointId(*id), TaskId(0), *r),
            Storage(up) => c.handle_storage_status(now, *up),
            Cleaning(n) => c.handle_checkpoints_cleaning(now, *n),
            FailNextId => c.fail_next_id_allocation(),
            FailNextIdIo => c.fail_next_id_allocation_io(),
            FailNextStoreAdd => c.fail_next_store_add(),
            Failover => {
                c.handle_global_failover(now);
            }
            Shutdown(s) => {
                c.shutdown(now, *s);
            }
            Hook(h) => c.add_master_hook(HookId(*h)),
            HookAck(id, h) => c.handle_master_hook_ack(now, CheckpointId(*id), HookId(*h)),
            HookFail(id, h) => c.handle_master_hook_failure(now, CheckpointId(*id), HookId(*h)),
            QueueCap(n) => c.set_max_queued_requests(*n),
            Finish(t) => c.handle_task_finished(now, TaskId(*t)),
            JobMasterHost => c.hold_queue_on_job_failure(),
            JobFailed => {
                let view = ExecutionView {
                    job_status: JobStatus::Restarting,
                    all_tasks_running_or_finished: false,
                    sources_running: false,
                };
                c.handle_execution_view(now, view, 0);
                drain(&mut c, &mut lines);
                c.job_failure_handled(now);
            }
            Ack(id, t) => c.handle_ack(now, CheckpointId(*id), TaskId(*t), TaskSnapshot::default()),
            DeclineBy(id, t, r) => c.handle_decline(now, CheckpointId(*id), TaskId(*t), *r),
            Stop => c.stop_with_savepoint(now, StopMode::NoDrain),
            Trig => lines.push(format!("triggering {}", c.is_triggering())),
            Mark(text) => lines.push(format!("mark {text}")),
            Queue => lines.push(format!(
                "queue {}",
                c.queued_request_kinds().iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
            )),
        }
        drain(&mut c, &mut lines);
    }
    (lines, c)
}

fn check(case: &Case, profile: Profile) -> Result<(), String> {
    let (lines, c) = drive(case, profile);
    let mut at = 0;
    for want in &case.expect {
        match lines[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => return Err(format!("missing `{want}` (in order) in:\n  {}", lines.join("\n  "))),
        }
    }
    for bad in &case.absent {
        if lines.iter().any(|l| l == bad) {
            return Err(format!("unexpected `{bad}` in:\n  {}", lines.join("\n  ")));
        }
    }
    for one in &case.once {
        let n = lines.iter().filter(|l| *l == one).count();
        if n != 1 {
            return Err(format!("`{one}` appears {n} times, Flink once, in:\n  {}", lines.join("\n  ")));
        }
    }
    if let Some(q) = case.queued {
        if c.queued_requests() != q {
            return Err(format!("{} requests queued, Flink {q}", c.queued_requests()));
        }
    }
    Ok(())
}

/// Interval 1 h (periodic firing out of the way unless asked for), min pause 0, max concurrent 1.
fn manual_only() -> CheckpointConfig {
    CheckpointConfig { interval_ms: Some(3_600_000), ..CheckpointConfig::default() }
}

fn cfg(f: impl FnOnce(&mut CheckpointConfig)) -> CheckpointConfig {
    let mut c = manual_only();
    f(&mut c);
    c
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const DECIDER: &str = "CheckpointRequestDeciderTest";
const TRIGGERING: &str = "CheckpointCoordinatorTriggeringTest";
const COORD: &str = "CheckpointCoordinatorTest";
const V2: &str = "2.x";
const V1: &str = "1.11";

fn both() -> Vec<Profile> {
    vec![F111, F23]
}

fn case(flink: Flink, config: CheckpointConfig, steps: Vec<Step>, expect: &[&str], absent: &[&str]) -> Case {
    Case {
        flink,
        profiles: both(),
        config,
        tasks: 1,
        steps,
        expect: s(expect),
        absent: s(absent),
        queued: None,
        once: vec![],
    }
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        // testForce: a forced savepoint is executed although max-concurrent checkpoints are pending.
        case(
            flink(DECIDER, "testForce", V2),
            manual_only(),
            vec![Up, Req(Manual), Req(Savepoint)],
            &["trigger 1 ckpt", "trigger 2 savepoint"],
            &[],
        ),
        // testEnqueueOnTooManyPending: queued while one is pending, executed once it is not.
        case(
            flink(DECIDER, "testEnqueueOnTooManyPending", V2),
            manual_only(),
            vec![Up, Req(Manual), Req(Manual), AckAll(1)],
            &["trigger 1 ckpt", "complete 1 ckpt", "trigger 2 ckpt"],
            &["rejected manual TOO_MANY_CHECKPOINT_REQUESTS"],
        ),
        // testNonForcedEnqueueOnTooManyPending: with unaligned checkpoints savepoints are not forced.
        case(
            flink(DECIDER, "testNonForcedEnqueueOnTooManyPending", V2),
            cfg(|c| c.unaligned = true),
            vec![Up, Req(Manual), Req(Savepoint), AckAll(1)],
            &["trigger 1 ckpt", "complete 1 ckpt", "trigger 2 savepoint"],
            &[],
        ),
        // testNonForcedSavepointPrioritized: a queued non-forced savepoint goes before a queued checkpoint.
        case(
            flink(DECIDER, "testNonForcedSavepointPrioritized", V2),
            cfg(|c| c.unaligned = true),
            vec![Up, Req(Manual), Req(Manual), Req(Savepoint), AckAll(1), AckAll(2)],
            &["trigger 1 ckpt", "complete 1 ckpt", "trigger 2 savepoint", "complete 2 savepoint", "trigger 3 ckpt"],
            &[],
        ),
        // testCheckpointTiming: a manual checkpoint right after a completion is executed at once ...
        case(
            flink(DECIDER, "testCheckpointTiming (manual)", V2),
            cfg(|c| c.min_pause_ms = 10),
            vec![Up, Req(Manual), AckAll(1), Req(Manual)],
            &["complete 1 ckpt", "trigger 2 ckpt"],
            &["rejected manual MINIMUM_TIME_BETWEEN_CHECKPOINTS"],
        ),
        // ... and a periodic one within the min pause is dropped with MINIMUM_TIME_BETWEEN_CHECKPOINTS.
        case(
            flink(DECIDER, "testCheckpointTiming (periodic)", V2),
            cfg(|c| c.min_pause_ms = 10),
            vec![Up, Req(Manual), AckAll(1), Req(Periodic)],
            &["complete 1 ckpt", "rejected periodic MINIMUM_TIME_BETWEEN_CHECKPOINTS"],
            &["trigger 2 ckpt"],
        ),
        // testSavepointTiming: savepoints ignore the min pause, forced or not.
        case(
            flink(DECIDER, "testSavepointTiming (forced)", V2),
            cfg(|c| c.min_pause_ms = 10),
            vec![Up, Req(Manual), AckAll(1), Req(Savepoint)],
            &["complete 1 ckpt", "trigger 2 savepoint"],
            &[],
        ),
        case(
            flink(DECIDER, "testSavepointTiming (non-forced)", V2),
            cfg(|c| {
                c.min_pause_ms = 10;
                c.unaligned = true
            }),
            vec![Up, Req(Manual), AckAll(1), Req(Savepoint)],
            &["complete 1 ckpt", "trigger 2 savepoint"],
            &[],
        ),
    ];
    // testEnqueueOnTooManyCleaning: max concurrent 10, 11 checkpoints still being cleaned: the
    // request waits; once one is cleaned it is executed.
    // (1.12+: the 1.11 decider has no cleaning input, so these run under flink-2.3 only.)
    cases.push(Case {
        queued: Some(0),
        profiles: vec![F23],
        ..case(
            flink(DECIDER, "testEnqueueOnTooManyCleaning", V2),
            cfg(|c| c.max_concurrent = 10),
            vec![Up, Cleaning(11), Req(Manual), Cleaning(10)],
            &["trigger 1 ckpt"],
            &["rejected manual TOO_MANY_CHECKPOINT_REQUESTS"],
        )
    });
    cases.push(Case {
        queued: Some(1),
        profiles: vec![F23],
        ..case(
            flink(DECIDER, "testEnqueueOnTooManyCleaning (still too many)", V2),
            cfg(|c| c.max_concurrent = 10),
            vec![Up, Cleaning(11), Req(Manual)],
            &[],
            &["trigger 1 ckpt"],
        )
    });
    // testTriggerCheckpointInitializationFailed: the id counter throws once: the request fails
    // with TRIGGER_CHECKPOINT_FAILURE (no id consumed, nothing pending, not counted); the next
    // request triggers.
    cases.push(case(
        flink(TRIGGERING, "testTriggerCheckpointInitializationFailed", V2),
        manual_only(),
        vec![Up, FailNextId, Req(Periodic), Req(Periodic)],
        &["rejected periodic TRIGGER_CHECKPOINT_FAILURE", "trigger 1 ckpt"],
        &["fail-job TRIGGER_CHECKPOINT_FAILURE", "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE"],
    ));
    // testTriggerCheckpointWithCounterIOException (CheckpointCoordinatorTest, 2.x, session 40):
    // the id counter throws an IOException: the request fails with IO_EXCEPTION before any
    // pending checkpoint exists (no id consumed: the next trigger is 1), and the failure
    // manager (tolerance 0) fails the job once.
    cases.push(Case {
        profiles: vec![F23],
        once: s(&["fail-job IO_EXCEPTION"]),
        ..case(
            flink(COORD, "testTriggerCheckpointWithCounterIOException", V2),
            manual_only(),
            vec![Up, FailNextIdIo, Req(Periodic), Req(Manual)],
            &["rejected periodic IO_EXCEPTION", "fail-job IO_EXCEPTION", "trigger 1 ckpt"],
            &["abort 1 ckpt IO_EXCEPTION", "trigger-hooks 1 ckpt"],
        )
    });
    // ExecutionTrackingCheckpointCoordinatorDeActivatorTest (2.x): the scheduler runs while the
    // job is RUNNING and every execution is RUNNING or FINISHED.
    const DEACT: &str = "ExecutionTrackingCheckpointCoordinatorDeActivatorTest";
    // (Flink 2.x INITIALIZING, the dispatcher state before CREATED, is CREATED here.)
    let deploying = View(JobStatus::Created, false, false);
    let running_deploying = View(JobStatus::Running, false, false);
    let all_running = View(JobStatus::Running, true, true);
    for (method, steps, expect) in [
        (
            "testBasicLifecycle",
            vec![
                deploying.clone(),
                Sched,
                running_deploying.clone(),
                Sched,
                all_running.clone(),
                Sched,
                View(JobStatus::Finished, true, true),
                Sched,
            ],
            &["sched-running false", "sched-running false", "sched-running true", "sched-running false"][..],
        ),
        (
            "testTaskFailure",
            vec![deploying.clone(), Sched, all_running.clone(), Sched, View(JobStatus::Running, false, false), Sched],
            &["sched-running false", "sched-running true", "sched-running false"][..],
        ),
        (
            "testJobRestart",
            vec![
                deploying.clone(),
                all_running.clone(),
                Sched,
                View(JobStatus::Failed, true, true),
                Sched,
                View(JobStatus::Restarting, true, true),
                Sched,
                View(JobStatus::Created, true, true),
                Sched,
                all_running.clone(),
                Sched,
            ],
            &[
                "sched-running true",
                "sched-running false",
                "sched-running false",
                "sched-running false",
                "sched-running true",
            ][..],
        ),
        (
            "testJobFinish",
            vec![Sched, all_running.clone(), Sched, View(JobStatus::Finished, true, true), Sched],
            &["sched-running false", "sched-running true", "sched-running false"][..],
        ),
    ] {
        cases.push(Case { profiles: vec![F23], ..case(flink(DEACT, method, V2), manual_only(), steps, expect, &[]) });
    }
    // testQueueSizeLimit: with the queue at its capacity (1000 here, 10 in the test) each further
    // request fails with TOO_MANY_CHECKPOINT_REQUESTS and the queue stays at capacity.
    cases.push(Case {
        queued: Some(1000),
        ..case(
            flink(DECIDER, "testQueueSizeLimit", V2),
            manual_only(),
            vec![Up, Req(Manual), ReqN(Manual, 1000), Req(Manual), Req(Manual)],
            &[
                "trigger 1 ckpt",
                "rejected manual TOO_MANY_CHECKPOINT_REQUESTS",
                "rejected manual TOO_MANY_CHECKPOINT_REQUESTS",
            ],
            &["trigger 2 ckpt"],
        )
    });
    cases.extend([
        // testPeriodicTriggering: interval 10 ms, five firings trigger five checkpoints with
        // increasing ids; none after the scheduler stops; five more after it starts again.
        case(
            flink(TRIGGERING, "testPeriodicTriggering", V2),
            CheckpointConfig {
                interval_ms: Some(10),
                timeout_ms: 200_000,
                max_concurrent: 100,
                ..CheckpointConfig::default()
            },
            vec![Up, To(45), Down, To(200), Up, To(245)],
            &[
                "trigger 1 ckpt",
                "trigger 2 ckpt",
                "trigger 3 ckpt",
                "trigger 4 ckpt",
                "trigger 5 ckpt",
                "sched-stop",
                "sched-start",
                "trigger 6 ckpt",
                "trigger 10 ckpt",
            ],
            &["trigger 11 ckpt"],
        ),
        // testMinTimeBetweenCheckpointsInterval: interval 12, min pause 50: checkpoint 2 comes no
        // earlier than 50 ms after checkpoint 1 completed.
        case(
            flink(TRIGGERING, "testMinTimeBetweenCheckpointsInterval", V2),
            CheckpointConfig {
                interval_ms: Some(12),
                min_pause_ms: 50,
                timeout_ms: 200_000,
                ..CheckpointConfig::default()
            },
            vec![Up, To(50), AckAll(1), To(99)],
            &["trigger 1 ckpt", "complete 1 ckpt"],
            &["trigger 2 ckpt"],
        ),
        case(
            flink(TRIGGERING, "testMinTimeBetweenCheckpointsInterval (after the pause)", V2),
            CheckpointConfig {
                interval_ms: Some(12),
                min_pause_ms: 50,
                timeout_ms: 200_000,
                ..CheckpointConfig::default()
            },
            vec![Up, To(50), AckAll(1), To(100)],
            &["trigger 1 ckpt", "complete 1 ckpt", "trigger 2 ckpt"],
            &[],
        ),
        // testStopPeriodicScheduler: a periodic request while the scheduler is stopped fails with
        // PERIODIC_SCHEDULER_SHUTDOWN; a non-periodic one is triggered.
        case(
            flink(TRIGGERING, "testStopPeriodicScheduler", V2),
            manual_only(),
            vec![Up, Down, Step::Req(Periodic), Up, Down, Req(Manual)],
            &["rejected periodic PERIODIC_SCHEDULER_SHUTDOWN"],
            &[],
        ),
        // testTriggerCheckpointWithShuttingDownCoordinator.
        case(
            flink(TRIGGERING, "testTriggerCheckpointWithShuttingDownCoordinator", V2),
            manual_only(),
            vec![Up, Shutdown(JobStatus::Finished), Req(Periodic)],
            &["rejected periodic CHECKPOINT_COORDINATOR_SHUTDOWN"],
            &["trigger 1 ckpt"],
        ),
        // testTriggerCheckpointBeforePreviousOneCompleted: max concurrent unbounded, two
        // periodic requests both trigger.
        case(
            flink(TRIGGERING, "testTriggerCheckpointBeforePreviousOneCompleted", V2),
            CheckpointConfig { interval_ms: Some(3_600_000), max_concurrent: 100, ..CheckpointConfig::default() },
            vec![Up, Req(Periodic), Req(Periodic)],
            &["trigger 1 ckpt", "trigger 2 ckpt"],
            &["rejected periodic"],
        ),
    ]);
    // CheckpointCoordinatorTest.
    cases.extend([
        // testCheckpointAbortsIfTriggerTasksAreNotExecuted / ...AreFinished: not all sources
        // RUNNING → NOT_ALL_REQUIRED_TASKS_RUNNING, no id consumed.
        case(
            flink(COORD, "testCheckpointAbortsIfTriggerTasksAreNotExecuted", V2),
            manual_only(),
            vec![Req(Manual), Up, Req(Manual)],
            &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING", "trigger 1 ckpt"],
            &[],
        ),
        // testTriggerAndDeclineCheckpointSimple: a decline aborts the checkpoint with the reason.
        case(
            flink(COORD, "testTriggerAndDeclineCheckpointSimple", V2),
            manual_only(),
            vec![Up, Req(Manual), Decline(1, R::CheckpointDeclined)],
            &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "notify-aborted 1"],
            &["complete 1 ckpt"],
        ),
        // testTriggerAndConfirmSimpleCheckpoint: all acks → completed, tasks notified.
        Case {
            tasks: 2,
            ..case(
                flink(COORD, "testTriggerAndConfirmSimpleCheckpoint", V2),
                manual_only(),
                vec![Up, Req(Manual), AckAll(1)],
                &["trigger 1 ckpt", "complete 1 ckpt", "notify-complete 1"],
                &["abort 1 ckpt"],
            )
        },
        // testMultipleConcurrentCheckpoints / testSuccessfulCheckpointSubsumesUnsuccessful: the
        // completion of 2 subsumes pending 1 (CHECKPOINT_SUBSUMED, not counted).
        case(
            flink(COORD, "testSuccessfulCheckpointSubsumesUnsuccessful", V2),
            cfg(|c| c.max_concurrent = 2),
            vec![Up, Req(Manual), Req(Manual), AckAll(2)],
            &[
                "trigger 1 ckpt",
                "trigger 2 ckpt",
                "complete 2 ckpt",
                "abort 1 ckpt CHECKPOINT_SUBSUMED",
                "notify-complete 2",
            ],
            &["fail-job CHECKPOINT_SUBSUMED"],
        ),
        // testCheckpointTimeoutIsolated / testCheckpointTimeout: expiry aborts with CHECKPOINT_EXPIRED.
        case(
            flink(COORD, "testCheckpointTimeoutIsolated", V2),
            cfg(|c| c.timeout_ms = 200),
            vec![Up, Req(Manual), To(199)],
            &["trigger 1 ckpt"],
            &["abort 1 ckpt CHECKPOINT_EXPIRED"],
        ),
        case(
            flink(COORD, "testCheckpointTimeoutIsolated (expired)", V2),
            cfg(|c| {
                c.timeout_ms = 200;
                c.tolerable_failures = 5
            }),
            vec![Up, Req(Manual), To(200)],
            &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_EXPIRED", "notify-aborted 1"],
            &[],
        ),
        // testHandleMessagesForNonExistingCheckpoints: acks/declines of unknown ids change nothing.
        case(
            flink(COORD, "testHandleMessagesForNonExistingCheckpoints", V2),
            manual_only(),
            vec![Up, Req(Manual), AckAll(99), Decline(98, R::CheckpointDeclined)],
            &["trigger 1 ckpt"],
            &["complete 99 ckpt", "abort 98 ckpt CHECKPOINT_DECLINED"],
        ),
        // testSavepointsAreNotSubsumed (2.x): a completing checkpoint never aborts a pending savepoint.
        case(
            flink(COORD, "testSavepointsAreNotSubsumed", V2),
            cfg(|c| c.max_concurrent = 2),
            vec![Up, Req(Savepoint), Req(Manual), AckAll(2)],
            &["trigger 1 savepoint", "trigger 2 ckpt", "complete 2 ckpt"],
            &["abort 1 savepoint CHECKPOINT_SUBSUMED"],
        ),
        // testAbortPendingCheckpointsWithTriggerValidation / failover: pending checkpoints are
        // aborted with JOB_FAILOVER_REGION on a global failover, not counted.
        case(
            flink(COORD, "testAbortPendingCheckpointsWithTriggerValidation", V2),
            manual_only(),
            vec![Up, Req(Manual), Failover],
            &["trigger 1 ckpt", "abort 1 ckpt JOB_FAILOVER_REGION"],
            &["fail-job JOB_FAILOVER_REGION"],
        ),
        // testStopCheckpointScheduler... : stopping the scheduler aborts pending checkpoints with
        // CHECKPOINT_COORDINATOR_SUSPEND (not counted).
        case(
            flink(COORD, "testPeriodicSchedulingWithInactiveTasks", V2),
            manual_only(),
            vec![Up, Req(Manual), Down],
            &["trigger 1 ckpt", "sched-stop", "abort 1 ckpt CHECKPOINT_COORDINATOR_SUSPEND"],
            &["fail-job CHECKPOINT_COORDINATOR_SUSPEND"],
        ),
        // testCheckpointStatsTrackerPendingCheckpointCallback/shutdown: shutdown aborts pending
        // checkpoints with CHECKPOINT_COORDINATOR_SHUTDOWN.
        case(
            flink("ExecutionGraphCheckpointCoordinatorTest", "testShutdownCheckpointCoordinatorOnFailure", V2),
            manual_only(),
            vec![Up, Req(Manual), Shutdown(JobStatus::Failed)],
            &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_COORDINATOR_SHUTDOWN"],
            &[],
        ),
        // testMaxConcurrentAttempts(2): two checkpoints pending, the third request waits in the
        // queue until one of them completes.
        Case {
            queued: Some(0),
            ..case(
                flink(COORD, "testMaxConcurrentAttempts2", V2),
                cfg(|c| c.max_concurrent = 2),
                vec![Up, Req(Manual), Req(Manual), Req(Manual), AckAll(1)],
                &["trigger 1 ckpt", "trigger 2 ckpt", "complete 1 ckpt", "trigger 3 ckpt"],
                &[],
            )
        },
    ]);
    // Session 15: testMaxConcurrentAttempts1/2/5 (CheckpointCoordinatorTest, 2.x): interval 10,
    // min pause 0, max concurrent N; N periodic firings trigger 1..N and nothing more while all
    // are pending; once 1 completes the next firing triggers N+1, and a further firing nothing.
    for n in [1u64, 2, 5] {
        let method: &'static str = match n {
            1 => "testMaxConcurrentAttempts1",
            2 => "testMaxConcurrentAttempts2",
            _ => "testMaxConcurrentAttempts5",
        };
        let trig = |i: u64| -> &'static str { Box::leak(format!("trigger {i} ckpt").into_boxed_str()) };
        let mut expect: Vec<&'static str> = (1..=n).map(trig).collect();
        expect.push("complete 1 ckpt");
        expect.push(trig(n + 1));
        let end = 10 * n + 200;
        cases.push(case(
            flink(COORD, method, V2),
            CheckpointConfig {
                interval_ms: Some(10),
                min_pause_ms: 0,
                timeout_ms: 200_000,
                max_concurrent: n as i64,
                ..CheckpointConfig::default()
            },
            vec![Up, To(10 * n + 5), AckAll(1), To(10 * n + 25), To(end)],
            &expect,
            &[trig(n + 2)],
        ));
    }
    // testMaxConcurrentAttemptsWithSubsumption (2.x): max concurrent 2; firings trigger 1 and 2;
    // acknowledging 2 completes it and subsumes 1, so the next firings trigger 3 and 4, then
    // nothing while both are pending.
    cases.push(case(
        flink(COORD, "testMaxConcurrentAttemptsWithSubsumption", V2),
        CheckpointConfig {
            interval_ms: Some(10),
            min_pause_ms: 0,
            timeout_ms: 200_000,
            max_concurrent: 2,
            ..CheckpointConfig::default()
        },
        vec![Up, To(25), AckAll(2), To(60), To(200)],
        &[
            "trigger 1 ckpt",
            "trigger 2 ckpt",
            "complete 2 ckpt",
            "abort 1 ckpt CHECKPOINT_SUBSUMED",
            "trigger 3 ckpt",
            "trigger 4 ckpt",
        ],
        &["trigger 5 ckpt"],
    ));
    // testConcurrentSavepoints (1.11 and 2.x): max concurrent 1, five savepoints requested at
    // once are all triggered (savepoints are forced), acknowledged newest first, and all
    // complete: a completing savepoint never subsumes an older pending one.
    cases.push(case(
        flink(COORD, "testConcurrentSavepoints", V2),
        manual_only(),
        vec![Up, ReqN(Savepoint, 5), AckAll(5), AckAll(4), AckAll(3), AckAll(2), AckAll(1)],
        &[
            "trigger 1 savepoint",
            "trigger 5 savepoint",
            "complete 5 savepoint",
            "complete 4 savepoint",
            "complete 3 savepoint",
            "complete 2 savepoint",
            "complete 1 savepoint",
        ],
        &["abort 1 savepoint CHECKPOINT_SUBSUMED", "abort 4 savepoint CHECKPOINT_SUBSUMED"],
    ));
    // testMinDelayBetweenSavepoints: a min pause of 100,000,000 ms and max concurrent 1 do not
    // hold back savepoints: two requested back to back are both triggered (neither fails).
    cases.push(case(
        flink(COORD, "testMinDelayBetweenSavepoints", V2),
        cfg(|c| c.min_pause_ms = 100_000_000),
        vec![Up, Req(Savepoint), Req(Savepoint)],
        &["trigger 1 savepoint", "trigger 2 savepoint"],
        &[],
    ));
    // CheckpointFailureManagerTest.testContinuousFailure's rule posed through the coordinator:
    // tolerance 1, two consecutive declines fail the job.
    cases.push(case(
        flink("CheckpointFailureManagerTest", "testContinuousFailure (through the coordinator)", V2),
        cfg(|c| c.tolerable_failures = 1),
        vec![Up, Req(Manual), Decline(1, R::CheckpointDeclined), Req(Manual), Decline(2, R::CheckpointDeclined)],
        &["abort 1 ckpt CHECKPOINT_DECLINED", "abort 2 ckpt CHECKPOINT_DECLINED", "fail-job CHECKPOINT_DECLINED"],
        &[],
    ));
    // testIOExceptionCheckpointExceedsTolerableFailureNumber (2.x, tolerance 0): a checkpoint
    // aborted with IO_EXCEPTION fails the job (storage unavailable at trigger time: the id is
    // used, the pending checkpoint aborted).
    cases.push(Case {
        profiles: vec![F23],
        ..case(
            flink(COORD, "testIOExceptionCheckpointExceedsTolerableFailureNumber", V2),
            manual_only(),
            vec![Up, Storage(false), Req(Manual), Storage(true), Req(Manual)],
            &["abort 1 ckpt IO_EXCEPTION", "fail-job IO_EXCEPTION", "trigger 2 ckpt"],
            &[],
        )
    });
    // testExpiredCheckpointExceedsTolerableFailureNumber (tolerance 0): expiry fails the job.
    cases.push(case(
        flink(COORD, "testExpiredCheckpointExceedsTolerableFailureNumber", V2),
        cfg(|c| c.timeout_ms = 100),
        vec![Up, Req(Manual), To(100)],
        &["abort 1 ckpt CHECKPOINT_EXPIRED", "fail-job CHECKPOINT_EXPIRED"],
        &[],
    ));
    // testTriggerAndDeclineCheckpointThenFailureManagerThrowsException (tolerance 0): one task
    // acks, the other declines: the job fails.
    cases.push(Case {
        tasks: 2,
        ..case(
            flink(COORD, "testTriggerAndDeclineCheckpointThenFailureManagerThrowsException", V2),
            manual_only(),
            vec![Up, Req(Manual), Decline(1, R::CheckpointDeclined)],
            &["abort 1 ckpt CHECKPOINT_DECLINED", "fail-job CHECKPOINT_DECLINED"],
            &["complete 1 ckpt"],
        )
    });
    // Savepoint completion (§1.6): 1.11 stores savepoints and notifies tasks; 2.x does neither.
    cases.push(Case {
        profiles: vec![F23],
        ..case(
            flink(COORD, "testTriggerAndConfirmSimpleSavepoint", V2),
            manual_only(),
            vec![Up, Req(Savepoint), AckAll(1)],
            &["trigger 1 savepoint", "complete 1 savepoint"],
            &["notify-complete 1"],
        )
    });
    cases.push(Case {
        profiles: vec![F111],
        ..case(
            flink(COORD, "testTriggerAndConfirmSimpleSavepoint", V1),
            manual_only(),
            vec![Up, Req(Savepoint), AckAll(1)],
            &["trigger 1 savepoint", "complete 1 savepoint", "notify-complete 1"],
            &[],
        )
    });
    // Retention on shutdown (CheckpointCoordinatorTest#testShutdownCheckpointCoordinator...):
    let retained = |status: JobStatus, retention: Retention, discarded: bool| {
        let name = match (retention, status) {
            (Retention::NoExternalizedCheckpoints, _) => "testExternalizedCheckpoints (never retain)",
            (Retention::RetainOnCancellation, _) => "testExternalizedCheckpoints (retain on cancellation)",
            _ => "testExternalizedCheckpoints (delete on cancellation)",
        };
        let (expect, absent): (&[&str], &[&str]) =
            if discarded { (&["complete 1 ckpt", "discard 1"], &[]) } else { (&["complete 1 ckpt"], &["discard 1"]) };
        case(
            flink(COORD, name, V2),
            cfg(|c| c.retention = retention),
            vec![Up, Req(Manual), AckAll(1), Shutdown(status)],
            expect,
            absent,
        )
    };
    cases.push(retained(JobStatus::Failed, Retention::NoExternalizedCheckpoints, true));
    cases.push(retained(JobStatus::Canceled, Retention::RetainOnCancellation, false));
    cases.push(retained(JobStatus::Failed, Retention::RetainOnCancellation, false));
    cases.push(retained(JobStatus::Finished, Retention::RetainOnCancellation, true));
    cases.push(retained(JobStatus::Failed, Retention::DeleteOnCancellation, false));
    cases.push(retained(JobStatus::Canceled, Retention::DeleteOnCancellation, true));
    cases.extend(coordinator_test_cases());
    cases.extend(session41_cases());
    cases.extend(trigger_phase_cases());
    cases.extend(plan_and_abort_cases());
    cases.extend(finished_task_cases());
    cases.extend(failed_job_queue_cases());
    cases.extend(pending_checkpoint_cases());
    cases
}

/// Session 21: the `CheckpointCoordinatorTest` methods of the 1.11 form (read at apache/flink
/// 7ffa87b1) not mirrored before. Flink's builder there fails nothing in its `FailJobCallback`
/// (a no-op with tolerance 0), so `fail-job` lines are neither expected nor excluded unless the
/// test asserts the callback.
fn coordinator_test_cases() -> Vec<Case> {
    let f111 = |c: Case| Case { profiles: vec![F111], ..c };
    vec![
        // testTriggerAndDeclineCheckpointComplex: two checkpoints pending; a decline of the first
        // discards it only: the second stays pending (no abort, no new trigger), and further
        // declines of the discarded one, by either task, change nothing.
        Case {
            tasks: 2,
            ..case(
                flink(COORD, "testTriggerAndDeclineCheckpointComplex", V1),
                cfg(|c| c.max_concurrent = 10),
                vec![
                    Up,
                    Req(Manual),
                    Req(Manual),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 1, R::CheckpointDeclined),
                    AckAll(2),
                ],
                &["trigger 1 ckpt", "trigger 2 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "complete 2 ckpt"],
                &["abort 2 ckpt CHECKPOINT_DECLINED", "trigger 3 ckpt"],
            )
        },
        // testMultipleConcurrentCheckpoints: three tasks acknowledge two concurrent checkpoints
        // interleaved; the first completes once its last ack arrives (the second still pending,
        // not subsumed), then the second; each notified on its own completion.
        Case {
            tasks: 3,
            ..case(
                flink(COORD, "testMultipleConcurrentCheckpoints", V1),
                cfg(|c| c.max_concurrent = 10),
                vec![Up, Req(Manual), Ack(1, 1), Req(Manual), Ack(1, 2), Ack(2, 0), Ack(1, 0), Ack(2, 1), Ack(2, 2)],
                &[
                    "trigger 1 ckpt",
                    "trigger 2 ckpt",
                    "complete 1 ckpt",
                    "notify-complete 1",
                    "complete 2 ckpt",
                    "notify-complete 2",
                ],
                &["abort 1 ckpt CHECKPOINT_SUBSUMED", "abort 2 ckpt CHECKPOINT_SUBSUMED"],
            )
        },
        // testStateCleanupForLateOrUnknownMessages: an ack from a task the checkpoint does not
        // wait for and a duplicate ack change nothing; a decline by the second task discards the
        // checkpoint; the third task's late ack then completes nothing.
        Case {
            tasks: 3,
            ..case(
                flink(COORD, "testStateCleanupForLateOrUnknownMessages", V1),
                manual_only(),
                vec![
                    Up,
                    Req(Manual),
                    Ack(1, 0),
                    Ack(1, 7),
                    Ack(1, 0),
                    DeclineBy(1, 1, R::CheckpointDeclined),
                    Ack(1, 2),
                ],
                &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED"],
                &["complete 1 ckpt"],
            )
        },
        // testCheckpointAbortsIfTriggerTasksAreFinished (1.11): a trigger task (a source,
        // task 0) FINISHED: the host's view has a source not RUNNING, and the trigger fails
        // (NOT_ALL_REQUIRED_TASKS_RUNNING), nothing pending, no id used. (A FINISHED task that
        // is not a trigger task does not refuse the trigger in 1.11: it never acknowledges,
        // `receiveAcknowledgeMessage` below.)
        f111(Case {
            tasks: 2,
            ..case(
                flink(COORD, "testCheckpointAbortsIfTriggerTasksAreFinished", V1),
                manual_only(),
                vec![Up, Finish(0), View(JobStatus::Running, true, false), Req(Manual)],
                &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING"],
                &["trigger 1 ckpt"],
            )
        }),
        // jobFailsIfInFlightSynchronousSavepointIsDiscarded (1.11): a task declines the
        // synchronous savepoint of a stop-with-savepoint: the savepoint is discarded and the job
        // fails once (FailJobCallback#failJob, tolerance 0), whatever the tolerance counter says.
        f111(Case {
            tasks: 2,
            ..case(
                flink(COORD, "jobFailsIfInFlightSynchronousSavepointIsDiscarded", V1),
                manual_only(),
                vec![Up, Stop, DeclineBy(1, 0, R::CheckpointDeclined)],
                &["trigger 1 savepoint", "abort 1 savepoint CHECKPOINT_DECLINED", "fail-job CHECKPOINT_DECLINED"],
                &["complete 1 savepoint"],
            )
        }),
        // testTriggerAndDeclineSyncCheckpointFailureSimple / ...AsyncCheckpointFailureSimple
        // (2.x, tolerance 0): one task acks (twice), the other declines: the checkpoint is
        // discarded and the job fails once; the repeated declines of the discarded checkpoint
        // neither notify nor fail again. Both reasons count in 2.x.
        Case {
            profiles: vec![F23],
            tasks: 2,
            once: s(&["fail-job CHECKPOINT_DECLINED", "notify-aborted 1"]),
            ..case(
                flink(COORD, "testTriggerAndDeclineSyncCheckpointFailureSimple", V2),
                cfg(|c| c.max_concurrent = 10),
                vec![
                    Up,
                    Req(Manual),
                    Ack(1, 1),
                    Ack(1, 1),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 1, R::CheckpointDeclined),
                ],
                &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "fail-job CHECKPOINT_DECLINED"],
                &["complete 1 ckpt"],
            )
        },
        Case {
            profiles: vec![F23],
            tasks: 2,
            once: s(&["fail-job CHECKPOINT_ASYNC_EXCEPTION", "notify-aborted 1"]),
            ..case(
                flink(COORD, "testTriggerAndDeclineAsyncCheckpointFailureSimple", V2),
                cfg(|c| c.max_concurrent = 10),
                vec![
                    Up,
                    Req(Manual),
                    Ack(1, 1),
                    DeclineBy(1, 0, R::CheckpointAsyncException),
                    DeclineBy(1, 0, R::CheckpointAsyncException),
                    DeclineBy(1, 1, R::CheckpointAsyncException),
                ],
                &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_ASYNC_EXCEPTION", "fail-job CHECKPOINT_ASYNC_EXCEPTION"],
                &["complete 1 ckpt"],
            )
        },
        // testTriggerAndDeclineCheckpointComplex (2.x form): the abort of checkpoint 1 is
        // notified once, not again on the later declines of it.
        Case {
            profiles: vec![F23],
            tasks: 2,
            once: s(&["notify-aborted 1"]),
            ..case(
                flink(COORD, "testTriggerAndDeclineCheckpointComplex", V2),
                cfg(|c| {
                    c.max_concurrent = 10;
                    c.tolerable_failures = 5
                }),
                vec![
                    Up,
                    Req(Manual),
                    Req(Manual),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 0, R::CheckpointDeclined),
                    DeclineBy(1, 1, R::CheckpointDeclined),
                ],
                &["trigger 1 ckpt", "trigger 2 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "notify-aborted 1"],
                &["abort 2 ckpt CHECKPOINT_DECLINED"],
            )
        },
        // testReportLatestCompletedCheckpointIdWithAbort (2.x): checkpoint 1 completes,
        // checkpoint 2 is declined (CHECKPOINT_EXPIRED): its abort notification carries the
        // latest completed checkpoint, 1.
        Case {
            profiles: vec![F23],
            ..case(
                flink(COORD, "testReportLatestCompletedCheckpointIdWithAbort", V2),
                cfg(|c| c.tolerable_failures = 5),
                vec![Up, Req(Manual), AckAll(1), Req(Manual), Decline(2, R::CheckpointExpired)],
                &[
                    "complete 1 ckpt",
                    "trigger 2 ckpt",
                    "abort 2 ckpt CHECKPOINT_EXPIRED",
                    "notify-aborted 2",
                    "abort-carries-latest 1",
                ],
                &[],
            )
        },
        // testNotifyCheckpointAbortionInOperatorCoordinator (2.x): with an operator coordinator,
        // checkpoints 1 and 2 pending; acknowledging 2 completes it and aborts 1 (subsumed): the
        // coordinator is told 1 aborted and 2 completed.
        Case {
            profiles: vec![F23],
            ..case(
                flink(COORD, "testNotifyCheckpointAbortionInOperatorCoordinator", V2),
                cfg(|c| c.max_concurrent = 10),
                vec![Up, Hook(1), Req(Manual), HookAck(1, 1), Req(Manual), HookAck(2, 1), AckAll(2)],
                &["trigger 1 ckpt", "trigger 2 ckpt", "complete 2 ckpt", "abort 1 ckpt CHECKPOINT_SUBSUMED"],
                &["complete 1 ckpt"],
            )
        },
        // testTriggerCheckpointAfterIOException (2.x, tolerance 0): the checkpoint location
        // cannot be initialised: the trigger fails with IO_EXCEPTION, a pending checkpoint was
        // created first (its id is used), and the job fails once.
        Case {
            profiles: vec![F23],
            once: s(&["fail-job IO_EXCEPTION"]),
            ..case(
                flink(COORD, "testTriggerCheckpointAfterIOException", V2),
                manual_only(),
                vec![Up, Storage(false), Req(Manual)],
                &["abort 1 ckpt IO_EXCEPTION", "fail-job IO_EXCEPTION"],
                &["trigger 1 ckpt"],
            )
        },
        // testSavepointScheduledInUnalignedMode (1.11): unaligned checkpoints, max concurrent 1;
        // ten periodic requests: one triggered, nine queued; a savepoint request is not forced
        // under unaligned checkpoints, so it queues too (ten queued); the decline of checkpoint 1
        // fails that one request and the savepoint, first by priority, is triggered next: nine
        // requests stay queued.
        Case {
            queued: Some(9),
            ..case(
                flink(COORD, "testSavepointScheduledInUnalignedMode", V1),
                cfg(|c| {
                    c.unaligned = true;
                    c.tolerable_failures = 5
                }),
                vec![Up, ReqN(Periodic, 10), Req(Savepoint), Queue, Decline(1, R::CheckpointDeclined)],
                &["trigger 1 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "trigger 2 savepoint"],
                &["trigger 2 ckpt", "trigger 3 ckpt"],
            )
        },
    ]
}

/// Session 41: the rest of 2.x `CheckpointCoordinatorTest` (JUnit 5 form, apache/flink) not
/// posed before. The builder's failure manager there fails nothing unless a test sets one, so
/// `fail-job` lines are asserted only where the test asserts its callback.
fn session41_cases() -> Vec<Case> {
    let f23 = |c: Case| Case { profiles: vec![F23], ..c };
    vec![
        // testExternallyInducedSourceWithOperatorCoordinator: an operator coordinator (hook 0)
        // completes first; the master hook (hook 1) acknowledges both tasks' checkpoints from
        // inside its trigger call, before its own state is acknowledged: nothing completes
        // yet (`PendingCheckpoint#isFullyAcknowledged` needs the master state); when the hook
        // answers, the tasks are triggered and the checkpoint completes at once
        // (`maybeCompleteCheckpoint`, in 1.11.2 since FLINK-18641 and in 2.x).
        Case {
            tasks: 2,
            ..case(
                flink(COORD, "testExternallyInducedSourceWithOperatorCoordinator", V2),
                concurrent(),
                vec![
                    Hook(0),
                    Hook(1),
                    Up,
                    Req(Manual),
                    HookAck(1, 0),
                    Ack(1, 0),
                    Ack(1, 1),
                    Mark("tasks acked"),
                    HookAck(1, 1),
                    Trig,
                ],
                &[
                    "trigger-hooks 1 ckpt",
                    "mark tasks acked",
                    "trigger 1 ckpt",
                    "complete 1 ckpt",
                    "notify-complete 1",
                    "triggering false",
                ],
                &["abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE"],
            )
        },
        // testTimeoutWhileCheckpointOperatorCoordinatorNotFinishing (2.x, FLINK-26394): an
        // operator coordinator that never answers; the checkpoint times out (10 ms) and the
        // trigger phase ends with it (`isTriggering` false).
        f23(case(
            flink(COORD, "testTimeoutWhileCheckpointOperatorCoordinatorNotFinishing", V2),
            // (the scheduler's own first firing, at the min pause, out of the way)
            cfg(|c| {
                c.timeout_ms = 10;
                c.min_pause_ms = 3_000_000
            }),
            vec![Hook(0), Up, Req(Manual), Trig, To(10), Trig],
            &["trigger-hooks 1 ckpt", "triggering true", "abort 1 ckpt CHECKPOINT_EXPIRED", "triggering false"],
            &["trigger 1 ckpt"],
        )),
        // testAbortingBeforeTriggeringCheckpointOperatorCoordinator (2.x, FLINK-27148): checkpoint
        // 1 is declined while its trigger phase runs; the coordinator is triggered for 1 before
        // the abort, never after it (the model triggers every hook at once), the trigger phase
        // is over, and the next request triggers checkpoint 2's coordinator.
        f23(case(
            flink(COORD, "testAbortingBeforeTriggeringCheckpointOperatorCoordinator", V2),
            manual_only(),
            vec![Hook(0), Up, Req(Manual), Decline(1, R::CheckpointDeclined), Trig, Req(Manual)],
            &["trigger-hooks 1 ckpt", "abort 1 ckpt CHECKPOINT_DECLINED", "triggering false", "trigger-hooks 2 ckpt"],
            &["trigger 1 ckpt"],
        )),
        // testSavepointsAreNotSubsumed (2.x, the whole method): store retaining 1, savepoint 1,
        // checkpoints 2 and 3; 3 completes and subsumes 2, not savepoint 1. Checkpoint 4 and
        // savepoint 5: 5 completes without subsuming 4, without a notification and outside
        // the store; savepoint 1 completes likewise. Checkpoint 6 completes: the store drops
        // 3 (the `lastSubsumed` the notification of 6 carries) and pending 4 is subsumed.
        f23(Case {
            once: s(&["abort 4 ckpt CHECKPOINT_SUBSUMED", "abort 2 ckpt CHECKPOINT_SUBSUMED"]),
            ..case(
                flink(COORD, "testSavepointsAreNotSubsumed (whole method)", V2),
                cfg(|c| {
                    c.max_concurrent = 10;
                    c.num_retained = 1
                }),
                vec![
                    Up,
                    Req(Savepoint),
                    Req(Manual),
                    Req(Manual),
                    AckAll(3),
                    Mark("3 acked"),
                    Req(Manual),
                    Req(Savepoint),
                    AckAll(5),
                    Mark("5 acked"),
                    AckAll(1),
                    Mark("1 acked"),
                    Req(Manual),
                    AckAll(6),
                ],
                &[
                    "trigger 1 savepoint",
                    "trigger 2 ckpt",
                    "trigger 3 ckpt",
                    "complete 3 ckpt",
                    "abort 2 ckpt CHECKPOINT_SUBSUMED",
                    "notify-complete 3",
                    "mark 3 acked",
                    "trigger 4 ckpt",
                    "trigger 5 savepoint",
                    "complete 5 savepoint",
                    "mark 5 acked",
                    "complete 1 savepoint",
                    "mark 1 acked",
                    "trigger 6 ckpt",
                    "complete 6 ckpt",
                    "discard 3",
                    "abort 4 ckpt CHECKPOINT_SUBSUMED",
                    "notify-complete 6",
                ],
                &["notify-complete 5", "notify-complete 1", "abort 1 savepoint CHECKPOINT_SUBSUMED", "discard 6"],
            )
        }),
        // testExceptionInStoringCompletedCheckpointIsReportedToFailureManager (2.x,
        // FLINK-32347): the store throws on the add: FINALIZE_CHECKPOINT_FAILURE, nothing
        // completed, the job fails once (tolerance 0); the next checkpoint completes.
        f23(Case {
            once: s(&["fail-job FINALIZE_CHECKPOINT_FAILURE"]),
            ..case(
                flink(COORD, "testExceptionInStoringCompletedCheckpointIsReportedToFailureManager", V2),
                manual_only(),
                vec![Up, FailNextStoreAdd, Req(Manual), AckAll(1), Req(Manual), AckAll(2)],
                &[
                    "trigger 1 ckpt",
                    "abort 1 ckpt FINALIZE_CHECKPOINT_FAILURE",
                    "notify-aborted 1",
                    "fail-job FINALIZE_CHECKPOINT_FAILURE",
                    "complete 2 ckpt",
                ],
                &["complete 1 ckpt", "notify-complete 1"],
            )
        }),
    ]
}

/// Max concurrent 10 (the triggering tests' coordinator does not block on pending ones), min
/// pause 0, interval 1 h.
fn concurrent() -> CheckpointConfig {
    cfg(|c| c.max_concurrent = 10)
}

/// The trigger-in-progress phase (`isTriggering`): a master hook holds the trigger; requests
/// queue behind it and the decider orders them when it ends. Flink's decider tests hold
/// `isTriggering` directly; here a first request with a master hook holds it.
fn trigger_phase_cases() -> Vec<Case> {
    vec![
        // discardingTriggeringCheckpointWillExecuteNextCheckpointRequest: a second request
        // waits behind a checkpoint whose master hook runs; once the hook completed the queued
        // request is executed (its hooks start) and the first checkpoint is discarded (Flink:
        // abortPendingCheckpoints(CHECKPOINT_DECLINED); here a task's decline); the second,
        // never acknowledged, fails at the checkpoint timeout (the test only asserts that it
        // fails with a CheckpointException).
        Case {
            queued: Some(0),
            ..case(
                flink(TRIGGERING, "discardingTriggeringCheckpointWillExecuteNextCheckpointRequest", V2),
                concurrent(),
                vec![
                    Hook(0),
                    Up,
                    Req(Manual),
                    Req(Manual),
                    Queue,
                    HookAck(1, 0),
                    Decline(1, R::CheckpointDeclined),
                    HookAck(2, 0),
                    To(700_000),
                ],
                &[
                    "queue manual",
                    "trigger 1 ckpt",
                    "trigger-hooks 2 ckpt",
                    "abort 1 ckpt CHECKPOINT_DECLINED",
                    "trigger 2 ckpt",
                    "abort 2 ckpt CHECKPOINT_EXPIRED",
                ],
                &["complete 2 ckpt"],
            )
        },
        // testTriggeringFullCheckpoints / testTriggeringCheckpointsWithCheckpointTypeAfterNoClaimSavepoint
        // (the part the model can pose; the FULL_CHECKPOINT type is not modelled, see
        // docs/conformance.md): a savepoint triggered before any checkpoint completed takes id
        // 2 after savepoint 1, and the next checkpoint takes id 3 and completes on its ack.
        case(
            flink(TRIGGERING, "testTriggeringFullCheckpoints (ids after savepoints)", V2),
            manual_only(),
            vec![Up, Req(Savepoint), AckAll(1), Req(Savepoint), AckAll(2), Req(Manual), AckAll(3)],
            &[
                "trigger 1 savepoint",
                "complete 1 savepoint",
                "trigger 2 savepoint",
                "complete 2 savepoint",
                "trigger 3 ckpt",
                "complete 3 ckpt",
            ],
            &[],
        ),
        // The hook fails: the pending checkpoint is aborted with TRIGGER_CHECKPOINT_FAILURE,
        // the tasks are never triggered, the trigger phase ends with nothing queued.
        Case {
            queued: Some(0),
            ..case(
                flink(TRIGGERING, "testTriggerCheckpointSnapshotMasterHookFailed", V2),
                manual_only(),
                vec![Hook(0), Up, Req(Periodic), Trig, HookFail(1, 0), Trig],
                &[
                    "trigger-hooks 1 ckpt",
                    "triggering true",
                    "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE",
                    "triggering false",
                ],
                &["trigger 1 ckpt"],
            )
        },
        // The checkpoint expires while its hook is still running: it fails with
        // CHECKPOINT_EXPIRED but (1.11) the trigger stays in progress until the hook finishes;
        // then nothing is triggered on the tasks and the queue is empty. (2.x: below.)
        Case {
            queued: Some(0),
            profiles: vec![F111],
            ..case(
                flink(TRIGGERING, "testTriggerCheckpointRequestCancelled", V1),
                // The scheduler's own first firing (initial delay = min pause) out of the way.
                cfg(|c| c.min_pause_ms = 3_000_000),
                vec![Hook(0), Up, Req(Periodic), Trig, To(600_000), Trig, HookAck(1, 0), Trig],
                &[
                    "trigger-hooks 1 ckpt",
                    "triggering true",
                    "abort 1 ckpt CHECKPOINT_EXPIRED",
                    "triggering true",
                    "triggering false",
                ],
                &["trigger 1 ckpt"],
            )
        },
        // Session 41, the 2.x form (FLINK-26394): the expiry completes the trigger's
        // `masterTriggerCompletionPromise`, and the phase ends with the next step of the timer
        // executor (the test reads `isTriggering` true between the canceller and that step,
        // which the model's one synchronous expiry does not have); the hook's late answer
        // triggers nothing.
        Case {
            queued: Some(0),
            profiles: vec![F23],
            ..case(
                flink(TRIGGERING, "testTriggerCheckpointRequestCancelled", V2),
                cfg(|c| c.min_pause_ms = 3_000_000),
                vec![Hook(0), Up, Req(Periodic), Trig, To(600_000), Trig, HookAck(1, 0), Trig],
                &[
                    "trigger-hooks 1 ckpt",
                    "triggering true",
                    "abort 1 ckpt CHECKPOINT_EXPIRED",
                    "triggering false",
                    "triggering false",
                ],
                &["trigger 1 ckpt"],
            )
        },
        // Two requests queue behind a trigger in progress; the first trigger fails (here in its
        // master hook; Flink's test makes the id counter throw, which with no hooks the core
        // answers synchronously); both queued requests are then triggered, one after the other.
        Case {
            queued: Some(0),
            ..case(
                flink(TRIGGERING, "testTriggerCheckpointRequestQueuedWithFailure", V2),
                concurrent(),
                vec![
                    Hook(0),
                    Up,
                    Req(Manual),
                    Req(Manual),
                    Req(Manual),
                    Trig,
                    Queue,
                    HookFail(1, 0),
                    HookAck(2, 0),
                    HookAck(3, 0),
                    Trig,
                ],
                &[
                    "triggering true",
                    "queue manual,manual",
                    "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE",
                    "trigger-hooks 2 ckpt",
                    "trigger 2 ckpt",
                    "trigger-hooks 3 ckpt",
                    "trigger 3 ckpt",
                    "triggering false",
                ],
                &["trigger 1 ckpt"],
            )
        },
        // A second periodic request while the first is triggering waits in the queue and is
        // triggered when the first trigger finishes.
        Case {
            queued: Some(0),
            ..case(
                flink(TRIGGERING, "testTriggerCheckpointBeforePreviousOneCompleted", V2),
                concurrent(),
                vec![Hook(0), Up, Req(Periodic), Queue, Req(Periodic), Trig, Queue, HookAck(1, 0), HookAck(2, 0), Trig],
                &[
                    "queue ",
                    "triggering true",
                    "queue periodic",
                    "trigger 1 ckpt",
                    "trigger 2 ckpt",
                    "triggering false",
                ],
                &[],
            )
        },
        // testSavepointPrioritized: {checkpoint, savepoint} queued -> savepoint first.
        case(
            flink(DECIDER, "testSavepointPrioritized", V2),
            concurrent(),
            vec![
                Hook(0),
                Up,
                Req(Manual),
                Req(Periodic),
                Req(Savepoint),
                Queue,
                HookAck(1, 0),
                HookAck(2, 0),
                HookAck(3, 0),
            ],
            &["queue savepoint,periodic", "trigger 1 ckpt", "trigger 2 savepoint", "trigger 3 ckpt"],
            &[],
        ),
        // testUserSubmittedPrioritized: {periodic savepoint, user savepoint} -> user's first.
        case(
            flink(DECIDER, "testUserSubmittedPrioritized", V2),
            concurrent(),
            vec![Hook(0), Up, Req(Manual), Req(PeriodicSavepoint), Req(Savepoint), Queue, HookAck(1, 0), Queue],
            &[
                "queue savepoint,periodic-savepoint",
                "trigger 1 ckpt",
                "trigger-hooks 2 savepoint",
                "queue periodic-savepoint",
            ],
            &[],
        ),
        // testNonForcedUserSubmittedPrioritized: the same with non-forced savepoints (unaligned).
        case(
            flink(DECIDER, "testNonForcedUserSubmittedPrioritized", V2),
            // Unaligned checkpoints need max concurrent 1: the savepoints wait for checkpoint 1.
            cfg(|c| c.unaligned = true),
            vec![
                Hook(0),
                Up,
                Req(Manual),
                Req(PeriodicSavepoint),
                Req(Savepoint),
                Queue,
                HookAck(1, 0),
                AckAll(1),
                Queue,
            ],
            &[
                "queue savepoint,periodic-savepoint",
                "trigger 1 ckpt",
                "trigger-hooks 2 savepoint",
                "queue periodic-savepoint",
            ],
            &[],
        ),
        // testQueueSizeLimitPriority: capacity 1, a queued periodic checkpoint is dropped
        // (TOO_MANY_CHECKPOINT_REQUESTS) for a savepoint, which stays queued.
        Case {
            queued: Some(1),
            ..case(
                flink(DECIDER, "testQueueSizeLimitPriority", V2),
                concurrent(),
                vec![QueueCap(1), Hook(0), Up, Req(Manual), Req(Periodic), Req(Savepoint), Queue],
                &["rejected periodic TOO_MANY_CHECKPOINT_REQUESTS", "queue savepoint"],
                &["rejected savepoint TOO_MANY_CHECKPOINT_REQUESTS"],
            )
        },
        // testQueueSizeLimit: capacity 10, 11 periodic checkpoints while triggering: one is
        // failed with TOO_MANY_CHECKPOINT_REQUESTS, 10 stay queued.
        Case {
            queued: Some(10),
            ..case(
                flink(DECIDER, "testQueueSizeLimit", V2),
                concurrent(),
                vec![QueueCap(10), Hook(0), Up, Req(Manual), ReqN(Periodic, 11)],
                &["rejected periodic TOO_MANY_CHECKPOINT_REQUESTS"],
                &[],
            )
        },
        // A user savepoint at capacity with only user requests queued is the one rejected.
        Case {
            queued: Some(1),
            ..case(
                flink(DECIDER, "testQueueSizeLimitPriority (user requests retained)", V2),
                concurrent(),
                vec![QueueCap(1), Hook(0), Up, Req(Manual), Req(Manual), Req(Savepoint), Queue],
                &["rejected savepoint TOO_MANY_CHECKPOINT_REQUESTS", "queue manual"],
                &[],
            )
        },
        // testSavepointTiming (periodic savepoint): a forced periodic savepoint ignores the min
        // pause; testCheckpointTiming's drop applies to non-forced periodic requests only.
        case(
            flink(DECIDER, "testSavepointTiming (periodic savepoint)", V2),
            cfg(|c| c.min_pause_ms = 10),
            vec![Up, Req(Manual), AckAll(1), Req(PeriodicSavepoint)],
            &["complete 1 ckpt", "trigger 2 savepoint"],
            &["rejected periodic-savepoint MINIMUM_TIME_BETWEEN_CHECKPOINTS"],
        ),
    ]
}

/// Issue 13 deviations fixed per profile: the 2.x checkpoint plan needs every task RUNNING, and
/// the 2.x abort notification carries the latest completed checkpoint.
fn plan_and_abort_cases() -> Vec<Case> {
    vec![
        // 2.x (`DefaultCheckpointPlanCalculator.checkTasksStarted` over the tasks to wait for):
        // a non-source task not RUNNING fails the trigger with NOT_ALL_REQUIRED_TASKS_RUNNING,
        // no id used, nothing pending.
        Case {
            profiles: vec![F23],
            ..case(
                flink(COORD, "testCheckpointAbortsIfAckTasksAreNotExecuted", V2),
                manual_only(),
                vec![View(JobStatus::Running, false, true), Req(Manual), Up, Req(Manual)],
                &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING", "trigger 1 ckpt"],
                &["trigger 2 ckpt"],
            )
        },
        // 1.11 checks only that every task to acknowledge has an execution (always so in the
        // model) and that the tasks to trigger are RUNNING: a deployed non-source task that is
        // not RUNNING yet does not stop the trigger.
        Case {
            profiles: vec![F111],
            ..case(
                flink(COORD, "testCheckpointAbortsIfAckTasksAreNotExecuted (execution exists, not RUNNING)", V1),
                manual_only(),
                vec![View(JobStatus::Running, false, true), Req(Manual)],
                &["trigger 1 ckpt"],
                &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING"],
            )
        },
        // A source not RUNNING fails the trigger in both versions.
        case(
            flink(COORD, "testCheckpointAbortsIfTriggerTasksAreNotExecuted", V2),
            manual_only(),
            vec![View(JobStatus::Running, false, false), Req(Manual)],
            &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING"],
            &["trigger 1 ckpt"],
        ),
        // 2.x `sendAbortedMessages`: the abort carries `completedCheckpointStore
        // .getLatestCheckpointId()`; nothing before the first completion.
        Case {
            profiles: vec![F23],
            ..case(
                flink("CheckpointCoordinator", "sendAbortedMessages (latestCompletedCheckpointId)", V2),
                concurrent(),
                vec![
                    Up,
                    Req(Manual),
                    Decline(1, R::CheckpointDeclined),
                    Req(Manual),
                    AckAll(2),
                    Req(Manual),
                    Decline(3, R::CheckpointDeclined),
                ],
                &["notify-aborted 1", "complete 2 ckpt", "notify-aborted 3", "abort-carries-latest 2"],
                &["abort-carries-latest 0", "abort-carries-latest 1"],
            )
        },
        // 1.11's `notifyCheckpointAborted(id, timestamp)` carries no latest id.
        Case {
            profiles: vec![F111],
            ..case(
                flink("CheckpointCoordinator", "sendAbortedMessages (latestCompletedCheckpointId)", V1),
                concurrent(),
                vec![Up, Req(Manual), AckAll(1), Req(Manual), Decline(2, R::CheckpointDeclined)],
                &["complete 1 ckpt", "notify-aborted 2"],
                &["abort-carries-latest 1"],
            )
        },
    ]
}

/// Tasks that FINISHED before or during a trigger (issue 13 item 3). 2.x (checkpoints after
/// tasks finish, on by default since 1.15): a finished task counts as acknowledged, and a
/// trigger that reaches a task which finished after the plan was computed fails. Flink's
/// `testTasksFinishDuringTriggering` finishes the task inside the trigger RPC; the core's
/// trigger is synchronous without master hooks, so a hook holds the trigger phase open.
fn finished_task_cases() -> Vec<Case> {
    let f23 = |c: Case| Case { profiles: vec![F23], ..c };
    vec![
        f23(Case {
            tasks: 3,
            ..case(
                flink(COORD, "testCheckpointTriggeredAfterSomeTasksFinishedIfAllowed", V2),
                manual_only(),
                vec![Up, Finish(0), Finish(1), Req(Manual), Ack(1, 2)],
                &["trigger 1 ckpt", "complete 1 ckpt", "notify-complete 1"],
                &["rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING"],
            )
        }),
        f23(Case {
            tasks: 2,
            ..case(
                flink(COORD, "testTasksFinishDuringTriggering", V2),
                manual_only(),
                vec![Up, Hook(1), Req(Manual), Finish(0), HookAck(1, 1), Trig],
                &[
                    "trigger-hooks 1 ckpt",
                    "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE",
                    "notify-aborted 1",
                    "triggering false",
                ],
                &["trigger 1 ckpt", "complete 1 ckpt"],
            )
        }),
        // Every task finished while the hooks ran: nothing completes (the checkpoint never
        // reached its tasks), the trigger fails when the hooks answer.
        f23(Case {
            tasks: 2,
            ..case(
                flink(COORD, "testTasksFinishDuringTriggering (every task finished)", V2),
                manual_only(),
                vec![Up, Hook(1), Req(Manual), Finish(0), Finish(1), Trig, HookAck(1, 1)],
                &["trigger-hooks 1 ckpt", "triggering true", "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE"],
                &["trigger 1 ckpt", "complete 1 ckpt"],
            )
        }),
        // 1.11 declines checkpoints once a task finished: a finished task never acknowledges,
        // the checkpoint waits for it (and expires); the trigger itself still goes out.
        Case {
            profiles: vec![F111],
            tasks: 2,
            ..case(
                flink("CheckpointCoordinator", "receiveAcknowledgeMessage (a FINISHED task never acks)", V1),
                manual_only(),
                vec![Up, Hook(1), Req(Manual), Finish(0), HookAck(1, 1), Ack(1, 1)],
                &["trigger-hooks 1 ckpt", "trigger 1 ckpt"],
                &["complete 1 ckpt", "abort 1 ckpt TRIGGER_CHECKPOINT_FAILURE"],
            )
        },
    ]
}

/// A request queued when the failure manager fails the job (issue 13 item 2). In Flink the
/// `FailJobCallback` runs `failGlobal` on the JobMaster's main thread, and a queued request
/// chosen after the abort (`abortPendingCheckpoint` → `executeQueuedRequest`) computes its plan
/// on that thread afterwards (2.x `DefaultCheckpointPlanCalculator`; 1.11's trigger initialises
/// its location on the IO executor first): the failing attempt's tasks are never triggered. The
/// stopping scheduler fails the queued request with CHECKPOINT_COORDINATOR_SUSPEND; without
/// periodic checkpoints (no deactivator) the request's trigger finds the tasks not RUNNING.
fn failed_job_queue_cases() -> Vec<Case> {
    let name = "abortPendingCheckpoint then failJob: the queued request after failGlobal";
    vec![
        // Flink's coordinator tests fail nothing in their FailJobCallback: the queued request
        // is triggered right after the abort (`executeQueuedRequest`).
        case(
            flink(
                "CheckpointCoordinator",
                "abortPendingCheckpoint then failJob: a callback that fails nothing",
                "1.11-2.x",
            ),
            manual_only(),
            vec![Up, Req(Manual), Req(Manual), Decline(1, R::CheckpointDeclined)],
            &["fail-job CHECKPOINT_DECLINED", "trigger 2 ckpt"],
            &[],
        ),
        case(
            flink("CheckpointCoordinator", name, "1.11-2.x"),
            manual_only(),
            vec![JobMasterHost, Up, Req(Manual), Req(Manual), Decline(1, R::CheckpointDeclined), Queue, JobFailed],
            &[
                "trigger 1 ckpt",
                "abort 1 ckpt CHECKPOINT_DECLINED",
                "fail-job CHECKPOINT_DECLINED",
                "queue manual",
                "sched-stop",
                "rejected manual CHECKPOINT_COORDINATOR_SUSPEND",
            ],
            &["trigger 2 ckpt"],
        ),
        case(
            flink("CheckpointCoordinator", "abortPendingCheckpoint then failJob: no periodic checkpoints", "1.11-2.x"),
            CheckpointConfig { interval_ms: None, ..CheckpointConfig::default() },
            vec![
                JobMasterHost,
                Up,
                Req(Manual),
                Req(Manual),
                Decline(1, R::CheckpointDeclined),
                Queue,
                JobFailed,
                Up,
                Req(Manual),
            ],
            &[
                "trigger 1 ckpt",
                "fail-job CHECKPOINT_DECLINED",
                "queue manual",
                "rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING",
                "trigger 2 ckpt",
            ],
            &["trigger 3 ckpt"],
        ),
    ]
}

const PENDING: &str = "PendingCheckpointTest";

/// `PendingCheckpointTest` (1.11 and 2.x forms; the same methods and expectations apart from
/// `testFinalizeCheckpointWithFullyFinishedOperators`, 2.x only). `PendingCheckpoint` is not a
/// public type of the core: each expectation is posed through the coordinator that owns it.
/// `canBeSubsumed()` is false for every savepoint (forced, not forced under unaligned
/// checkpoints, synchronous): a newer checkpoint's completion does not abort it, and it
/// completes later. The completion future is done on every abort (declined, expired, subsumed)
/// and on finalization, never while an ack is missing. A master state / operator-coordinator
/// state must be acknowledged before the checkpoint is fully acknowledged (the core registers
/// hooks and coordinators as `HookId`s, and triggers the tasks once all acknowledged); a
/// duplicate or unknown coordinator acknowledgement changes nothing.
fn pending_checkpoint_cases() -> Vec<Case> {
    let tolerant = || cfg(|c| c.tolerable_failures = 10);
    let mut v = Vec::new();
    for version in [V1, V2] {
        let profiles = if version == V1 { vec![F111] } else { vec![F23] };
        let at = |c: Case| Case { profiles: profiles.clone(), ..c };
        v.extend([
            at(case(
                flink(PENDING, "testCanBeSubsumed (forced savepoint)", version),
                cfg(|c| c.max_concurrent = 2),
                vec![Up, Req(Savepoint), Req(Manual), AckAll(2), Mark("checkpoint 2 acked"), AckAll(1)],
                &[
                    "trigger 1 savepoint",
                    "trigger 2 ckpt",
                    "complete 2 ckpt",
                    "mark checkpoint 2 acked",
                    "complete 1 savepoint",
                ],
                &["abort 1 savepoint CHECKPOINT_SUBSUMED"],
            )),
            at(case(
                flink(PENDING, "testSyncSavepointCannotBeSubsumed", version),
                cfg(|c| c.max_concurrent = 2),
                vec![Up, Stop, Req(Manual), AckAll(2), Mark("checkpoint 2 acked"), AckAll(1)],
                &[
                    "trigger 1 savepoint",
                    "trigger 2 ckpt",
                    "complete 2 ckpt",
                    "mark checkpoint 2 acked",
                    "complete 1 savepoint",
                ],
                &["abort 1 savepoint CHECKPOINT_SUBSUMED"],
            )),
            at(case(
                flink(PENDING, "testCompletionFuture (abort declined)", version),
                tolerant(),
                vec![Up, Req(Manual), Mark("pending"), Decline(1, R::CheckpointDeclined)],
                &["trigger 1 ckpt", "mark pending", "abort 1 ckpt CHECKPOINT_DECLINED"],
                &["complete 1 ckpt"],
            )),
            at(case(
                flink(PENDING, "testCompletionFuture (abort expired)", version),
                cfg(|c| {
                    c.timeout_ms = 200;
                    c.tolerable_failures = 10
                }),
                vec![Up, Req(Manual), To(199), Mark("pending"), To(200)],
                &["trigger 1 ckpt", "mark pending", "abort 1 ckpt CHECKPOINT_EXPIRED"],
                &["complete 1 ckpt"],
            )),
            at(case(
                flink(PENDING, "testCompletionFuture (abort subsumed)", version),
                cfg(|c| {
                    c.max_concurrent = 2;
                    c.tolerable_failures = 10
                }),
                vec![Up, Req(Manual), Req(Manual), Mark("pending"), AckAll(2)],
                &["trigger 1 ckpt", "trigger 2 ckpt", "mark pending", "abort 1 ckpt CHECKPOINT_SUBSUMED"],
                &["complete 1 ckpt"],
            )),
            at(case(
                flink(PENDING, "testCompletionFuture (finalize, all acknowledged)", version),
                manual_only(),
                vec![Up, Req(Manual), Mark("pending"), AckAll(1)],
                &["trigger 1 ckpt", "mark pending", "complete 1 ckpt"],
                &[],
            )),
            at(Case {
                tasks: 2,
                ..case(
                    flink(PENDING, "testCompletionFuture (finalize, missing acks)", version),
                    manual_only(),
                    vec![Up, Req(Manual), Ack(1, 0), Ack(1, 0)],
                    &["trigger 1 ckpt"],
                    &["complete 1 ckpt"],
                )
            }),
            // The canceller (the expiry timer) is cancelled by the abort: no second abort at
            // the deadline.
            at(Case {
                once: s(&["notify-aborted 1"]),
                ..case(
                    flink(PENDING, "testSetCanceller", version),
                    cfg(|c| {
                        c.timeout_ms = 200;
                        c.tolerable_failures = 10
                    }),
                    vec![Up, Req(Manual), Decline(1, R::CheckpointDeclined), To(1_000)],
                    &["abort 1 ckpt CHECKPOINT_DECLINED"],
                    &["abort 1 ckpt CHECKPOINT_EXPIRED"],
                )
            }),
            at(case(
                flink(PENDING, "testMasterState", version),
                manual_only(),
                vec![Hook(0), Up, Req(Manual), HookAck(1, 0), Mark("master state acked"), AckAll(1)],
                &["trigger-hooks 1 ckpt", "trigger 1 ckpt", "mark master state acked", "complete 1 ckpt"],
                &[],
            )),
            at(case(
                flink(PENDING, "testMasterStateWithNullState", version),
                manual_only(),
                vec![
                    Hook(0),
                    Hook(1),
                    Up,
                    Req(Manual),
                    HookAck(1, 0),
                    Mark("one of two acked"),
                    HookAck(1, 1),
                    AckAll(1),
                ],
                &["trigger-hooks 1 ckpt", "mark one of two acked", "trigger 1 ckpt", "complete 1 ckpt"],
                &[],
            )),
            at(case(
                flink(PENDING, "testInitiallyUnacknowledgedCoordinatorStates", version),
                manual_only(),
                vec![Hook(0), Hook(1), Up, Req(Manual), To(1_000)],
                &["trigger-hooks 1 ckpt"],
                &["trigger 1 ckpt", "complete 1 ckpt"],
            )),
            at(case(
                flink(PENDING, "testAcknowledgedCoordinatorStates", version),
                manual_only(),
                vec![Hook(0), Hook(1), Up, Req(Manual), HookAck(1, 0), HookAck(1, 1), AckAll(1)],
                &["trigger-hooks 1 ckpt", "trigger 1 ckpt", "complete 1 ckpt"],
                &[],
            )),
            at(Case {
                once: s(&["trigger 1 ckpt"]),
                ..case(
                    flink(PENDING, "testDuplicateAcknowledgeCoordinator", version),
                    manual_only(),
                    vec![Hook(0), Up, Req(Manual), HookAck(1, 0), HookAck(1, 0), AckAll(1)],
                    &["trigger-hooks 1 ckpt", "trigger 1 ckpt", "complete 1 ckpt"],
                    &[],
                )
            }),
            at(case(
                flink(PENDING, "testAcknowledgeUnknownCoordinator", version),
                manual_only(),
                vec![Hook(0), Up, Req(Manual), HookAck(1, 9), Mark("unknown acked"), HookAck(1, 0)],
                &["trigger-hooks 1 ckpt", "mark unknown acked", "trigger 1 ckpt"],
                &[],
            )),
        ]);
    }
    // 2.x (FLIP-147): a fully finished vertex is part of the completed checkpoint, marked
    // finished; only the running task acknowledged.
    v.push(Case {
        profiles: vec![F23],
        tasks: 2,
        ..case(
            flink(PENDING, "testFinalizeCheckpointWithFullyFinishedOperators", V2),
            manual_only(),
            vec![Up, Finish(0), Req(Manual), Ack(1, 1)],
            &["trigger 1 ckpt", "complete 1 ckpt", "finished-in 1 [0]"],
            &[],
        )
    });
    v
}

#[test]
fn coordinator_decider_and_triggering() {
    let mut flat = Vec::new();
    for c in cases() {
        for p in c.profiles.clone() {
            flat.push((p, c.flink));
        }
    }
    let all = cases();
    let runs: Vec<(usize, Profile)> =
        all.iter().enumerate().flat_map(|(i, c)| c.profiles.iter().map(move |p| (i, *p))).collect();
    run_table("CheckpointCoordinator", &runs, |(i, p)| case_name(&all[*i].flink, *p), |(i, p)| check(&all[*i], *p));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().flat_map(|c| c.profiles.iter().map(move |p| (c.flink, profile_name(*p)))).collect()
}

/// Not a ported case (1.11 has no `testTriggerCheckpointWithCounterIOException`; read from
/// 1.11's `CheckpointCoordinator`): 1.11 has no `IO_EXCEPTION` reason, and a request that fails
/// before its pending checkpoint exists reaches no failure manager
/// (`onTriggerFailure(request, ..)` with `getCheckpointException(TRIGGER_CHECKPOINT_FAILURE, ..)`):
/// the same script fails the request with `TRIGGER_CHECKPOINT_FAILURE` and the job does not fail.
#[test]
fn id_counter_io_failure_under_flink_111() {
    let c = case(
        flink(COORD, "testTriggerCheckpointWithCounterIOException (1.11 reason)", V1),
        manual_only(),
        vec![Up, FailNextIdIo, Req(Periodic), Req(Manual)],
        &["rejected periodic TRIGGER_CHECKPOINT_FAILURE", "trigger 1 ckpt"],
        &["fail-job TRIGGER_CHECKPOINT_FAILURE", "fail-job IO_EXCEPTION", "rejected periodic IO_EXCEPTION"],
    );
    check(&c, F111).unwrap_or_else(|e| panic!("{e}"));
}

/// Session 41: what 2.x changed, checked to fail under flink-1.11 on the same scripts (each
/// would pass there if the profile switch were missing): 1.11 keeps the trigger phase until the
/// hook answers (no FLINK-26394), lets a completing savepoint subsume older checkpoints and
/// notifies it, and reports a store failure to no failure manager (no FLINK-32347; 1.11.2's
/// `completePendingCheckpoint` only sends the abort messages).
#[test]
fn session41_2x_only_expectations_fail_under_flink_111() {
    let only_2x = [
        "testTimeoutWhileCheckpointOperatorCoordinatorNotFinishing",
        "testAbortingBeforeTriggeringCheckpointOperatorCoordinator",
        "testSavepointsAreNotSubsumed (whole method)",
        "testExceptionInStoringCompletedCheckpointIsReportedToFailureManager",
    ];
    for c in session41_cases().iter().filter(|c| only_2x.contains(&c.flink.method)) {
        assert!(check(c, F111).is_err(), "{} holds under flink-1.11 too", c.flink.method);
    }
    // 1.11.2 under a store failure: the abort messages, no failure manager, the next completes.
    let c = case(
        flink(COORD, "completePendingCheckpoint, the store throws (1.11.2)", V1),
        manual_only(),
        vec![Up, FailNextStoreAdd, Req(Manual), AckAll(1), Req(Manual), AckAll(2)],
        &["abort 1 ckpt FINALIZE_CHECKPOINT_FAILURE", "notify-aborted 1", "complete 2 ckpt"],
        &["fail-job FINALIZE_CHECKPOINT_FAILURE", "complete 1 ckpt"],
    );
    check(&c, F111).unwrap_or_else(|e| panic!("{e}"));
}
