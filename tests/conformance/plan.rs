//! DefaultCheckpointPlanCalculatorTest (2.x, FLIP-147 checkpoints after tasks finished) posed to the `JobMaster` (which tasks a checkpoint triggers and waits for when some tasks are FINISHED), and DefaultCheckpointPlanTest (session 41) posed to the coordinator.
//!
//! Flink's test declares vertices (parallelism, FINISHED subtasks) and edges (all-to-all or
//! pointwise) and compares the `CheckpointPlan`: the tasks to trigger (the RUNNING tasks without
//! a RUNNING upstream task, `calculateAfterTasksFinished`), the running tasks (every RUNNING task:
//! the checkpoint waits for each of them) and the finished ones (not waited for). Here the same
//! graph is a `JobMaster`'s task list (a pointwise edge links subtasks as Flink's
//! `EdgeManagerBuildUtil` does: equal parallelism one to one, otherwise contiguous ranges), its
//! FINISHED tasks report FINISHED, and the first periodic checkpoint is read: the `Trigger`
//! outputs are the tasks to trigger, and the checkpoint completes with the last RUNNING task's
//! acknowledgement and not before (so it waits for exactly the running tasks). The two
//! `NOT_ALL_REQUIRED_TASKS_RUNNING` methods are posed as a checkpoint request the coordinator
//! rejects. The class exists since 1.13 (flink-2.3); `testComputeAllRunningGraph` also holds
//! for 1.11's plan (every source triggered when every task runs) and runs under both profiles.
//! The same six graphs are a unit test of the JobMaster too
//! (`job_tests.rs`, `the_checkpoint_plan_after_tasks_finished_is_flinks`).

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::coordinator::{CheckpointCoordinator, CoordinatorOutput, ExecutionView, RequestKind};
use ckptsim::job::{JobMaster, JobOutput, JobParams, TaskInfo, DEFAULT_DEPLOY_TIMEOUT_MS};
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::record::Value;
use ckptsim::region::FailoverStrategy;
use ckptsim::rescale::ListMode;
use ckptsim::state::OperatorState;
use ckptsim::state::TaskSnapshot;
use ckptsim::status::ExecutionState;
use ckptsim::status::JobStatus;
use ckptsim::CheckpointId;
use ckptsim::{Profile, TaskId, TmId, Variant};
use std::collections::BTreeMap;

const PLAN: &str = "DefaultCheckpointPlanCalculatorTest";

/// A vertex: parallelism and its FINISHED subtasks.
type Vertex = (u32, Vec<u32>);
/// An edge: source vertex, target vertex, all-to-all (else pointwise).
type Edge = (usize, usize, bool);

/// What a case poses.
enum Pose {
    /// The plan of a graph with some subtasks FINISHED: `expect` lists, per vertex, the
    /// subtasks the checkpoint triggers.
    Plan { vertices: Vec<Vertex>, edges: Vec<Edge>, expect: Vec<(usize, Vec<u32>)> },
    /// A checkpoint requested while a task to trigger is not RUNNING is rejected with
    /// `NOT_ALL_REQUIRED_TASKS_RUNNING`, nothing triggered.
    NotRunning(NotRunning),
}

#[derive(Copy, Clone, Debug)]
enum NotRunning {
    /// `testCheckpointNotStartedIfSourceCancelled`: the source's execution is CANCELED (its
    /// region is being restarted after its consumer failed; the other pipeline runs on).
    SourceCanceled,
    /// `testWithTriggeredTasksNotRunning`: the tasks were deployed and never reached RUNNING.
    NeverRunning,
}

struct Case {
    flink: Flink,
    profiles: Vec<Profile>,
    pose: Pose,
}

fn r(a: u32, b: u32) -> Vec<u32> {
    (a..b).collect()
}

fn task_info(i: u32, vertex: u32, inputs: Vec<TaskId>) -> TaskInfo {
    TaskInfo { id: TaskId(i), name: format!("t{i}"), is_source: inputs.is_empty(), tm: TmId(0), inputs, vertex }
}

fn params(tasks: Vec<TaskInfo>, profile: Profile) -> JobParams {
    JobParams {
        checkpoint: CheckpointConfig { interval_ms: Some(1000), ..CheckpointConfig::default() },
        restart: RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 10_000 },
        profile,
        variant: Variant::Correct,
        tasks,
        random_seed: 7,
        deploy_timeout_ms: DEFAULT_DEPLOY_TIMEOUT_MS,
        failover: FailoverStrategy::Region,
    }
}

fn to_running(jm: &mut JobMaster, t: TaskId, profile: Profile) {
    let (a, _) = jm.execution(t);
    if profile.has_initializing_state() {
        jm.handle_task_state(1, t, a, ExecutionState::Initializing, None);
    }
    jm.handle_task_state(2, t, a, ExecutionState::Running, None);
}

fn check_plan(
    vertices: &[Vertex],
    edges: &[Edge],
    expect: &[(usize, Vec<u32>)],
    profile: Profile,
) -> Result<(), String> {
    let first: Vec<u32> = vertices.iter().scan(0, |n, v| Some(std::mem::replace(n, *n + v.0))).collect();
    let id = |v: usize, i: u32| TaskId(first[v] + i);
    let mut tasks = Vec::new();
    for (v, (p, _)) in vertices.iter().enumerate() {
        for i in 0..*p {
            let mut inputs = Vec::new();
            for &(s, _, all) in edges.iter().filter(|e| e.1 == v) {
                let ps = vertices[s].0;
                let ups = (0..ps).filter(|&u| all || (u * p / ps..((u + 1) * p).div_ceil(ps)).contains(&i));
                inputs.extend(ups.map(|u| id(s, u)));
            }
            tasks.push(task_info(id(v, i).0, v as u32, inputs));
        }
    }
    let all: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
    let mut jm = JobMaster::new(params(tasks, profile));
    jm.start(0, None);
    for &t in &all {
        to_running(&mut jm, t, profile);
    }
    let finished: Vec<TaskId> =
        vertices.iter().enumerate().flat_map(|(v, (_, f))| f.iter().map(move |&i| id(v, i))).collect();
    for &t in &finished {
        let (a, _) = jm.execution(t);
        jm.handle_task_state(3, t, a, ExecutionState::Finished, None);
    }
    while jm.poll_output().is_some() {}
    let (mut now, mut triggered, mut cp) = (3, Vec::new(), None);
    while cp.is_none() && now < 10_000 {
        now = jm.poll_timeout().ok_or("no timer: nothing is ever triggered")?;
        jm.handle_timeout(now);
        while let Some(o) = jm.poll_output() {
            if let JobOutput::Trigger { task, barrier, .. } = o {
                triggered.push(task);
                cp = Some(barrier.id);
            }
        }
    }
    let want: Vec<TaskId> = expect.iter().flat_map(|(v, s)| s.iter().map(move |&i| id(*v, i))).collect();
    triggered.sort();
    if triggered != want {
        return Err(format!("tasks to trigger {triggered:?}, Flink {want:?}"));
    }
    let cp = cp.ok_or("no checkpoint triggered")?;
    let running: Vec<TaskId> = all.iter().copied().filter(|t| !finished.contains(t)).collect();
    let (last, rest) = running.split_last().ok_or("no running task")?;
    for &t in rest {
        let (a, _) = jm.execution(t);
        jm.handle_ack(now + 1, t, a, cp, TaskSnapshot::default());
    }
    if jm.coordinator().latest_completed().is_some() {
        return Err(format!("completed without running task {last:?}'s acknowledgement"));
    }
    let (a, _) = jm.execution(*last);
    jm.handle_ack(now + 2, *last, a, cp, TaskSnapshot::default());
    match jm.coordinator().latest_completed().map(|c| c.id) {
        Some(done) if done == cp => Ok(()),
        other => Err(format!("every running task acknowledged {cp}, completed {other:?}: a finished task is awaited")),
    }
}

fn check_not_running(what: NotRunning, profile: Profile) -> Result<(), String> {
    // Two pipelines: source 0 -> task 1, source 2 -> task 3.
    let tasks = vec![
        task_info(0, 0, vec![]),
        task_info(1, 1, vec![TaskId(0)]),
        task_info(2, 2, vec![]),
        task_info(3, 3, vec![TaskId(2)]),
    ];
    let mut jm = JobMaster::new(params(tasks, profile));
    jm.start(0, None);
    match what {
        NotRunning::SourceCanceled => {
            for t in 0..4 {
                to_running(&mut jm, TaskId(t), profile);
            }
            let (a, _) = jm.execution(TaskId(1));
            jm.handle_task_state(5, TaskId(1), a, ExecutionState::Failed, Some("test failure".into()));
            let (a, _) = jm.execution(TaskId(0));
            jm.handle_task_state(6, TaskId(0), a, ExecutionState::Canceled, None);
            if jm.execution(TaskId(0)).1 != ExecutionState::Canceled {
                return Err(format!("the source is {:?}, not CANCELED", jm.execution(TaskId(0)).1));
            }
        }
        NotRunning::NeverRunning => {
            if profile.has_initializing_state() {
                for t in 0..4 {
                    let (a, _) = jm.execution(TaskId(t));
                    jm.handle_task_state(1, TaskId(t), a, ExecutionState::Initializing, None);
                }
            }
        }
    }
    while jm.poll_output().is_some() {}
    jm.request_checkpoint(7, RequestKind::Manual);
    let out: Vec<JobOutput> = std::iter::from_fn(|| jm.poll_output()).collect();
    if let Some(t) = out.iter().find(|o| matches!(o, JobOutput::Trigger { .. })) {
        return Err(format!("a checkpoint was triggered: {t:?}"));
    }
    let rejected = out.iter().find_map(|o| match o {
        JobOutput::Checkpoint(CoordinatorOutput::RequestFailed { reason, .. }) => Some(*reason),
        _ => None,
    });
    match rejected {
        Some(CheckpointFailureReason::NotAllRequiredTasksRunning) => Ok(()),
        other => Err(format!("request rejected with {other:?}, Flink NOT_ALL_REQUIRED_TASKS_RUNNING: {out:?}")),
    }
}

fn check(case: &Case, profile: Profile) -> Result<(), String> {
    match &case.pose {
        Pose::Plan { vertices, edges, expect } => check_plan(vertices, edges, expect, profile),
        Pose::NotRunning(what) => check_not_running(*what, profile),
    }
}

fn plan(
    method: &'static str,
    profiles: Vec<Profile>,
    vertices: Vec<Vertex>,
    edges: Vec<Edge>,
    expect: Vec<(usize, Vec<u32>)>,
) -> Case {
    Case { flink: flink(PLAN, method, "2.x"), profiles, pose: Pose::Plan { vertices, edges, expect } }
}

fn all() -> Vec<Case> {
    vec![
        plan(
            "testComputeAllRunningGraph",
            vec![F111, F23],
            vec![(3, vec![]), (4, vec![]), (5, vec![]), (6, vec![])],
            vec![(0, 2, true), (1, 2, false), (2, 3, true)],
            vec![(0, r(0, 3)), (1, r(0, 4))],
        ),
        plan(
            "testAllToAllEdgeWithSomeSourcesFinished",
            vec![F23],
            vec![(3, r(0, 2)), (4, vec![])],
            vec![(0, 1, true)],
            vec![(0, vec![2])],
        ),
        plan(
            "testOneToOneEdgeWithSomeSourcesFinished",
            vec![F23],
            vec![(4, r(0, 2)), (4, vec![])],
            vec![(0, 1, false)],
            vec![(0, r(2, 4)), (1, r(0, 2))],
        ),
        plan(
            "testOneToOnEdgeWithSomeSourcesAndTargetsFinished",
            vec![F23],
            vec![(4, r(0, 2)), (4, vec![0])],
            vec![(0, 1, false)],
            vec![(0, r(2, 4)), (1, vec![1])],
        ),
        plan(
            "testComputeWithMultipleInputs",
            vec![F23],
            vec![(3, r(0, 3)), (5, vec![0, 2, 3]), (5, vec![2, 4]), (5, vec![2])],
            vec![(0, 3, true), (1, 3, false), (2, 3, false)],
            vec![(1, vec![1, 4]), (2, vec![0, 1, 3])],
        ),
        plan(
            "testComputeWithMultipleLevels",
            vec![F23],
            vec![(16, r(0, 4)), (16, r(0, 16)), (16, r(0, 2)), (16, vec![]), (16, vec![])],
            vec![(0, 2, false), (0, 3, false), (1, 2, true), (1, 3, false), (2, 4, false), (3, 4, true)],
            vec![(0, r(4, 16)), (2, r(2, 4)), (3, r(0, 4))],
        ),
        Case {
            flink: flink(PLAN, "testCheckpointNotStartedIfSourceCancelled", "2.x"),
            profiles: vec![F23],
            pose: Pose::NotRunning(NotRunning::SourceCanceled),
        },
        Case {
            flink: flink(PLAN, "testWithTriggeredTasksNotRunning", "2.x"),
            profiles: vec![F23],
            pose: Pose::NotRunning(NotRunning::NeverRunning),
        },
    ]
}

#[test]
fn checkpoint_plan_after_tasks_finished() {
    let cases = all();
    let runs: Vec<(&Case, Profile)> = cases.iter().flat_map(|c| c.profiles.iter().map(move |p| (c, *p))).collect();
    run_table("checkpoint plan", &runs, |(c, p)| case_name(&c.flink, *p), |(c, p)| check(c, *p));
}

pub fn census() -> Vec<(Flink, &'static str)> {
    let mut v: Vec<(Flink, &'static str)> =
        all().iter().flat_map(|c| c.profiles.iter().map(move |p| (c.flink, profile_name(*p)))).collect();
    v.extend(plan_test_cases().into_iter().map(|(f, _)| (f, profile_name(F23))));
    v
}

// --------------------------------------------- DefaultCheckpointPlanTest (2.x, session 41)

const PLAN_TEST: &str = "DefaultCheckpointPlanTest";

/// A subtask's acknowledgement: with union list state or not, operators finished or not,
/// deployed as finished (`from_finished_task`, what a task restored as finished acknowledges).
fn ack(union: bool, finished: bool, deployed_finished: bool) -> TaskSnapshot {
    let op = if union {
        OperatorState::SharedList { mode: ListMode::Union, entries: vec![Value::Int(1)] }
    } else {
        OperatorState::UserList(vec![Value::Int(1)])
    };
    TaskSnapshot {
        operators: vec![OperatorState::None, op],
        finished: finished || deployed_finished,
        from_finished_task: deployed_finished,
        ..TaskSnapshot::default()
    }
}

/// A flink-2.3 coordinator of `vertices` (task `i` in vertex `vertices[i]`), every task
/// RUNNING, then the tasks `finished` FINISHED, one checkpoint triggered and acknowledged by
/// `acks`: what it ended in (completed, with its entries, or aborted with a reason).
fn plan_checkpoint(
    vertices: &[u32],
    finished: &[u32],
    acks: Vec<(u32, TaskSnapshot)>,
) -> Result<Result<BTreeMap<TaskId, TaskSnapshot>, CheckpointFailureReason>, String> {
    let tasks: Vec<TaskId> = (0..vertices.len() as u32).map(TaskId).collect();
    let config =
        CheckpointConfig { interval_ms: Some(3_600_000), tolerable_failures: 5, ..CheckpointConfig::default() };
    let mut c = CheckpointCoordinator::new(&config, F23, Variant::Correct, tasks.clone(), 0);
    c.set_vertices(tasks.iter().zip(vertices).map(|(t, v)| (*t, *v)).collect());
    let view =
        ExecutionView { job_status: JobStatus::Running, all_tasks_running_or_finished: true, sources_running: true };
    c.handle_execution_view(0, view, 0);
    for t in finished {
        c.handle_task_finished(1, TaskId(*t));
    }
    c.request(2, RequestKind::Manual);
    for (t, snap) in acks {
        c.handle_ack(3, CheckpointId(1), TaskId(t), snap);
    }
    let mut end = None;
    while let Some(o) = c.poll_output() {
        match o {
            CoordinatorOutput::Completed(cp) if cp.id == CheckpointId(1) => end = Some(Ok(cp.tasks.clone())),
            CoordinatorOutput::Aborted { id: CheckpointId(1), reason, .. } => end = Some(Err(reason)),
            _ => {}
        }
    }
    end.ok_or_else(|| "checkpoint 1 neither completed nor aborted".to_string())
}

/// Flink's `FullyFinishedOperatorState` / `FinishedOperatorSubtaskState` per task of the
/// completed checkpoint: the entries the coordinator filled in or took from a task deployed
/// as finished.
fn finished_entries(entries: &BTreeMap<TaskId, TaskSnapshot>) -> Vec<u32> {
    entries.iter().filter(|(_, s)| s.finished && s.from_finished_task).map(|(t, _)| t.0).collect()
}

/// The ported methods, each a check.
#[allow(clippy::type_complexity)]
fn plan_test_cases() -> Vec<(Flink, Box<dyn Fn() -> Result<(), String>>)> {
    type Outcome = Result<Result<BTreeMap<TaskId, TaskSnapshot>, CheckpointFailureReason>, String>;
    let declined = |r: Outcome| -> Result<(), String> {
        match r? {
            Err(CheckpointFailureReason::CheckpointDeclinedTaskClosing) => Ok(()),
            other => Err(format!(
                "Flink refuses the checkpoint (PartialFinishingNotSupportedByStateException), the model: {other:?}"
            )),
        }
    };
    vec![
        // testAbortionIfPartiallyFinishedVertexUsedUnionListState: a vertex of two subtasks,
        // subtask 0 FINISHED, union list state acknowledged: refused at finalization
        // (CHECKPOINT_DECLINED_TASK_CLOSING, `CheckpointCoordinator#finalizeCheckpoint`).
        (
            flink(PLAN_TEST, "testAbortionIfPartiallyFinishedVertexUsedUnionListState", "2.x"),
            Box::new(move || declined(plan_checkpoint(&[0, 0], &[0], vec![(1, ack(true, false, false))]))),
        ),
        // testAbortionIfPartiallyOperatorsFinishedVertexUsedUnionListState: no subtask
        // FINISHED, subtask 1 acknowledged with its operators finished
        // (`reportTaskHasFinishedOperators`), union list state: refused.
        (
            flink(PLAN_TEST, "testAbortionIfPartiallyOperatorsFinishedVertexUsedUnionListState", "2.x"),
            Box::new(move || {
                declined(plan_checkpoint(&[0, 0], &[], vec![(0, ack(true, false, false)), (1, ack(true, true, false))]))
            }),
        ),
        // testFulfillFinishedStates: vertex 0 (tasks 0, 1) FINISHED, vertex 1 (tasks 2, 3)
        // deployed as finished on restore (`reportTaskFinishedOnRestore`), vertex 2 (tasks 4,
        // 5) with subtask 0 FINISHED: vertices 0 and 1 are fully finished in the completed
        // checkpoint, vertex 2 is not, its subtask 0 is finished.
        (
            flink(PLAN_TEST, "testFulfillFinishedStates", "2.x"),
            Box::new(move || {
                let acks =
                    vec![(2, ack(false, true, true)), (3, ack(false, true, true)), (5, ack(false, false, false))];
                match plan_checkpoint(&[0, 0, 1, 1, 2, 2], &[0, 1, 4], acks)? {
                    Ok(entries) => ensure_eq(finished_entries(&entries), vec![0, 1, 2, 3, 4], "finished entries"),
                    Err(r) => Err(format!("aborted with {r}, Flink completes")),
                }
            }),
        ),
    ]
}

#[test]
fn default_checkpoint_plan_finished_states() {
    let cases = plan_test_cases();
    run_table("DefaultCheckpointPlanTest", &cases, |(f, _)| case_name(f, F23), |(_, check)| check());
}
