//! The `liveness` checker: after the fault phase the job leaves transitional states within a bound and converges to the reference.

use super::*;
use crate::world::CheckpointRow;

/// The end of the fault phase: the last fault healed (a crash heals when its process is back),
/// the last re-tune or action (TigerBeetle's VOPR: a fault phase, then a healing phase in which
/// the system must make progress).
pub fn healing_start_ms(spec: &JobSpec, run: &RunResult) -> u64 {
    // A lasting fault without `duration_ms` (a partition, an outage, message loss, ...) lasts to
    // the end of the run: no healing phase, nothing to judge.
    if spec.faults.iter().any(|f| f.duration_ms.is_none() && !f.kind.is_instant()) {
        return run.stop_at_ms;
    }
    let mut heal = run.last_fault_end_ms;
    for f in &spec.faults {
        let restart_after = restart_after_ms(&f.kind);
        heal = match f.at {
            crate::spec::FaultAt::Time(at) => {
                heal.max(at.saturating_add(f.duration_ms.unwrap_or(0)).saturating_add(restart_after))
            }
            // An anchored fault fired at some time up to the last fault end.
            _ => heal.max(run.last_fault_end_ms.saturating_add(restart_after)),
        };
    }
    let last_retune = run.retunes.iter().map(|(t, _)| *t).max().unwrap_or(0);
    // An anchored action fired at some time up to the last fault end (the world records it).
    let last_action = spec
        .actions
        .iter()
        .map(|a| match a.at {
            crate::spec::FaultAt::Time(at) => at,
            _ => run.last_fault_end_ms,
        })
        .max()
        .unwrap_or(0);
    heal.max(last_retune).max(last_action).min(run.stop_at_ms)
}

/// How long a crashed process stays down.
fn restart_after_ms(kind: &crate::spec::FaultKind) -> u64 {
    match kind {
        crate::spec::FaultKind::TmCrash { restart_after_ms, .. }
        | crate::spec::FaultKind::JmCrash { restart_after_ms } => *restart_after_ms,
        _ => 0,
    }
}

/// When the faults and actions of `spec` are planned to be over (the healing start of
/// [`healing_start_ms`] as far as the scenario alone fixes it), or `None` when a lasting fault
/// has no end. A fault or action anchored to an event is taken as firing at `stop_at_ms`.
pub fn planned_healing_start_ms(spec: &JobSpec) -> Option<u64> {
    if spec.faults.iter().any(|f| f.duration_ms.is_none() && !f.kind.is_instant()) {
        return None;
    }
    let at_ms = |at: &crate::spec::FaultAt| match at {
        crate::spec::FaultAt::Time(at) => *at,
        _ => spec.stop_at_ms,
    };
    let faults = spec
        .faults
        .iter()
        .map(|f| at_ms(&f.at).saturating_add(f.duration_ms.unwrap_or(0)).saturating_add(restart_after_ms(&f.kind)));
    let actions = spec.actions.iter().map(|a| at_ms(&a.at));
    Some(faults.chain(actions).max().unwrap_or(0))
}

/// How long a run of `spec` must go on after its healing for this checker to judge all it can:
/// the transitional bound, then twice the checkpoint bound (a checkpoint completes within one,
/// the output converges within two), as [`liveness_with`] computes them before any
/// observation widens them.
pub fn planned_liveness_phase_ms(spec: &JobSpec) -> u64 {
    let cfg = &spec.checkpoint;
    let checkpoint_ms = cfg
        .base_interval_ms()
        .map(|interval| checkpoint_bound_ms(interval, cfg.min_pause_normalized_ms(), cfg.timeout_ms, 1, 10_000))
        .unwrap_or(0);
    planned_transitional_bound_ms(spec).saturating_add(checkpoint_ms.saturating_mul(2))
}

/// Within how long after the healing a checkpoint must complete: one interval and min pause to
/// its trigger, the timeout of every stuck checkpoint before it (`expiries`), and `slack_ms`.
fn checkpoint_bound_ms(interval_ms: u64, min_pause_ms: u64, timeout_ms: i64, expiries: u64, slack_ms: u64) -> u64 {
    interval_ms + min_pause_ms + (timeout_ms.max(0) as u64).saturating_mul(expiries) + slack_ms
}

/// The longest a job or task may stay in a transitional state once the faults healed: a lost
/// RPC times out (the ask timeout), reconciliation runs on the next heartbeats, the restart
/// strategy waits its longest backoff, the task deploys and restores its largest checkpoint.
pub fn transitional_bound_ms(spec: &JobSpec, run: &RunResult) -> u64 {
    let observed_backoff = run.restart_schedule.iter().map(|(_, _, b)| *b).max().unwrap_or(0);
    let largest = run.checkpoints.iter().map(|c| c.size_bytes).max().unwrap_or(0);
    let restore_ms = largest / spec.cluster.storage_bandwidth_bytes_per_ms.max(1);
    // A task that could not stop (stuck in a long synchronous snapshot) holds CANCELING, and
    // its job RESTARTING, until its TaskManager's cancellation watchdog kills the process
    // (Flink's own bound for a stuck cancel): only in runs where the watchdog fired.
    let watchdog_fired = run.trace.events().iter().any(|e| matches!(e.data, crate::trace::EventData::Watchdog { .. }));
    bound_of(spec, observed_backoff, watchdog_fired, restore_ms)
}

/// [`transitional_bound_ms`] as far as the scenario alone fixes it (no observed backoff, no
/// watchdog, no restore time): what a run of `spec` must at least leave after its healing.
pub fn planned_transitional_bound_ms(spec: &JobSpec) -> u64 {
    bound_of(spec, 0, false, 0)
}

fn bound_of(spec: &JobSpec, observed_backoff: u64, watchdog_fired: bool, restore_ms: u64) -> u64 {
    let strategy = spec.restart_strategy();
    let configured_backoff = match strategy {
        RestartStrategyConfig::NoRestart => 0,
        RestartStrategyConfig::FixedDelay { delay_ms, .. } | RestartStrategyConfig::FailureRate { delay_ms, .. } => {
            delay_ms.max(0) as u64
        }
        RestartStrategyConfig::ExponentialDelay { max_backoff_ms, jitter, .. } => {
            (max_backoff_ms.max(0) as f64 * (1.0 + jitter.max(0.0))).ceil() as u64
        }
    };
    let c = &spec.cluster;
    let watchdog_ms = if watchdog_fired { c.task_cancellation_timeout_ms } else { 0 };
    // A task cannot stop before its cancel latency has passed or a synchronous snapshot it is in
    // has ended (a slow-snapshot fault's synchronous part), unless the watchdog ends it first:
    // the job legitimately stays RESTARTING that long (Flink's Task#cancelExecution waits for
    // the invokable; TaskCancelerWatchDog bounds the wait).
    let longest_sync_ms = spec
        .faults
        .iter()
        .filter_map(|f| match &f.kind {
            crate::spec::FaultKind::SlowSnapshot { sync_ms, .. } => Some(*sync_ms),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let stop_ms = c.cancel_latency_ms.1.max(longest_sync_ms);
    let stop_ms =
        if c.task_cancellation_timeout_ms > 0 { stop_ms.min(c.task_cancellation_timeout_ms) } else { stop_ms };
    ckptsim::job::DEFAULT_DEPLOY_TIMEOUT_MS
        + watchdog_ms.max(stop_ms)
        + c.deploy_latency_ms.1
        + c.restore_latency_ms.1
        + configured_backoff.max(observed_backoff)
        + 2 * c.heartbeat_interval_ms
        + c.deploy_ms
        + restore_ms
        + 4 * c.control_latency_ms.1
        + 2_000
}

pub(super) fn job_status_transitional(s: JobStatus) -> bool {
    matches!(s, JobStatus::Created | JobStatus::Restarting | JobStatus::Failing | JobStatus::Cancelling)
}

pub(super) fn task_state_transitional(s: ckptsim::status::ExecutionState) -> bool {
    use ckptsim::status::ExecutionState::*;
    matches!(s, Created | Scheduled | Deploying | Initializing | Canceling)
}

/// One stay in a transitional state that outlived the bound.
pub(super) struct Stuck {
    /// The anomaly line.
    pub text: String,
    /// The task's name; `None` for the job's status.
    pub task: Option<String>,
    /// When the stay began.
    pub since_ms: u64,
    /// The stay lasted to the end of the run.
    pub open: bool,
    /// The transitional state.
    pub state: String,
}

impl Stuck {
    /// The anomaly, at the stay's start: `job-stuck-in-<state>` or `task-stuck-in-<state>`
    /// (`job-stuck-in-restarting`, `task-stuck-in-canceling`), from the typed fields.
    fn finding(self) -> Finding {
        let who = if self.task.is_some() { "task" } else { "job" };
        let kind = format!("{who}-stuck-in-{}", self.state.to_ascii_lowercase().replace('_', "-"));
        Finding::new(kind, self.text).at(self.since_ms)
    }
}

/// States that outlived `bound` after the healing started: per job and per task, every stay
/// in a transitional state is measured from the later of its start and `heal` to its end (or
/// the end of the run). One anomaly per stuck job or task (its longest stay).
pub(super) fn stuck_states(run: &RunResult, heal: u64, bound: u64) -> Vec<Stuck> {
    let mut out = Vec::new();
    let stop = run.stop_at_ms;
    let over = |from: u64, to: u64| to.saturating_sub(from.max(heal)) > bound;
    for (i, (t, s)) in run.status_timeline.iter().enumerate() {
        if !job_status_transitional(*s) {
            continue;
        }
        let until = run.status_timeline.get(i + 1).map(|n| n.0).unwrap_or(stop);
        if over(*t, until) {
            let open = i + 1 >= run.status_timeline.len();
            let end = if open { "to the end".into() } else { format!("until t={until}") };
            out.push(Stuck {
                text: format!(
                    "job stuck in {s} from t={t} {end} ({} ms after the healing at t={heal}; bound {bound} ms)",
                    until.saturating_sub((*t).max(heal))
                ),
                task: None,
                since_ms: *t,
                open,
                state: s.to_string(),
            });
            break;
        }
    }
    // Per task: the current state and since when, walking the transitions in time order; the
    // longest stuck stay of each task.
    type Stay = (u64, u64, ckptsim::status::ExecutionState, bool);
    let mut current: BTreeMap<&str, (u64, ckptsim::status::ExecutionState)> = BTreeMap::new();
    let mut worst: BTreeMap<String, Stay> = BTreeMap::new();
    let record = |worst: &mut BTreeMap<String, Stay>, name: &str, since: u64, until: u64, s, open| {
        if task_state_transitional(s) && over(since, until) {
            let len = until.saturating_sub(since.max(heal));
            let e = worst.entry(name.to_string()).or_insert((since, until, s, open));
            if len > e.1.saturating_sub(e.0.max(heal)) {
                *e = (since, until, s, open);
            }
        }
    };
    for (t, name, _from, to) in &run.task_transitions {
        if let Some((since, s)) = current.get(name.as_str()).copied() {
            record(&mut worst, name, since, *t, s, false);
        }
        current.insert(name.as_str(), (*t, *to));
    }
    // A job that ended in a terminal status leaves its tasks where the JobManager last saw them.
    if !run.final_status.is_terminal() {
        for (name, (since, s)) in &current {
            record(&mut worst, name, *since, stop, *s, true);
        }
    }
    for (name, (since, until, s, open)) in worst {
        let end = if open { "to the end".to_string() } else { format!("until t={until}") };
        out.push(Stuck {
            text: format!(
                "task {name} stuck in {s} from t={since} {end} ({} ms after the healing at t={heal}; bound {bound} ms)",
                until.saturating_sub(since.max(heal))
            ),
            task: Some(name),
            since_ms: since,
            open,
            state: s.to_string(),
        });
    }
    out
}

/// Splits the stuck stays into those Flink before 1.12 shares (FLINK-17075) and the rest. A
/// task's final state update the network dropped is never learnt without deployment
/// reconciliation: the JobManager keeps that execution where it last saw it, to the end, and a
/// job that waits for its executions to end (RESTARTING, FAILING, CANCELLING) waits to the
/// end too. Exactly these stays are Flink's own: the task whose final update was lost, stuck
/// to the end in the state the JobManager gave it before the loss (no later transition, so no
/// later attempt), and the job stuck to the end while such a task is. Anything else (another
/// task, a stay that ended, one that began after the loss) is still a hang of the model.
pub(super) fn split_flink_stalls(spec: &JobSpec, run: &RunResult, stuck: Vec<Stuck>) -> (Vec<String>, Vec<Finding>) {
    if spec.profile.reconciles_deployments() || run.lost_final_states.is_empty() {
        return (Vec::new(), stuck.into_iter().map(Stuck::finding).collect());
    }
    let name_of = |t: ckptsim::TaskId| task_name(run, t);
    let lost_at =
        |name: &str| run.lost_final_states.iter().filter(|(_, t, _)| name_of(*t) == name).map(|(at, _, _)| *at).max();
    let task_excused = |s: &Stuck| s.open && s.task.as_deref().and_then(lost_at).is_some_and(|at| s.since_ms <= at);
    let any_task_excused = stuck.iter().any(|s| s.task.is_some() && task_excused(s));
    let (mut named, mut waiting_job, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for s in stuck {
        let excused = match &s.task {
            Some(name) if task_excused(&s) => {
                let (at, _, attempt) = run
                    .lost_final_states
                    .iter()
                    .filter(|(_, t, _)| name_of(*t) == name)
                    .max_by_key(|(at, _, _)| *at)
                    .copied()
                    .expect("excused: a lost update of this task");
                named.push(format!(
                    "task {name} {attempt} in {} from t={} to the end, its final state update lost at t={at}",
                    s.state, s.since_ms
                ));
                true
            }
            Some(_) => false,
            None if s.open && any_task_excused => {
                waiting_job.push(format!("job in {} from t={} to the end, waiting for it", s.state, s.since_ms));
                true
            }
            None => false,
        };
        if !excused {
            rest.push(s.finding());
        }
    }
    named.extend(waiting_job);
    (named, rest)
}

/// Liveness, TigerBeetle-style: after the fault phase (see [`healing_start_ms`]) the job makes
/// progress. (1) No job or task stays in a transitional state (CREATED, SCHEDULED, DEPLOYING,
/// INITIALIZING, CANCELING, RESTARTING, FAILING) longer than [`transitional_bound_ms`] past
/// the healing. (2) A job that ends RUNNING with periodic checkpoints completes a checkpoint
/// after the healing and its last restart, within `interval + min pause + timeout + 10 s` of
/// the config in force (or the scenario's `max_checkpoint_gap_ms`). (3) With a replayable
/// source, every input that arrived before the healing is in the output by the end, once the
/// run lasted two checkpoint bounds past the healing.
pub fn liveness(spec: &JobSpec, run: &RunResult) -> Verdict {
    liveness_with(spec, run, &crate::reference::compute(spec))
}

/// [`liveness`] with the reference already computed.
pub fn liveness_with(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "liveness";
    let heal = healing_start_ms(spec, run);
    let state_bound = transitional_bound_ms(spec, run);
    let mut anomalies = Vec::new();
    let mut judged = Vec::new();
    let lost_final = unreconciled_final_state(spec, run);
    let (flink_stalls, stuck) = split_flink_stalls(spec, run, stuck_states(run, heal, state_bound));
    if heal + state_bound <= run.stop_at_ms {
        let other = if flink_stalls.is_empty() { "" } else { " other than Flink's own" };
        judged.push(format!("no stuck job or task state{other} for {state_bound} ms after t={heal}"));
    }
    // The config in force at the end (a re-tune may have changed interval and timeout).
    let cfg = &run.final_checkpoint_config;
    let healed = heal.max(run.status_timeline.last().map(|s| s.0).unwrap_or(0));
    // Stalls real Flink shares, after which no checkpoint can complete and the output cannot
    // converge: named, not judged (see `docs/semantics.md` §12.6 and §4.5).
    let flink_checkpoint_stall = lost_stop_notification(spec, run)
        .or_else(|| stop_waiting_for_lost_final_state(spec, run))
        .or_else(|| lost_final.as_ref().and_then(|_| refused_after_source_finished(spec, run, healed)));
    if let Some(stall) = &flink_checkpoint_stall {
        judged.push(format!("expected by {}: {stall}", spec.profile));
    }
    if let (Some(interval), JobStatus::Running, None) =
        (cfg.base_interval_ms(), run.final_status, &flink_checkpoint_stall)
    {
        // A checkpoint triggered within one interval (+ min pause) completes within the timeout.
        // When the JobManager still counts a dead task as running (its final state update was
        // lost and nothing reconciles it), every checkpoint expires until the tolerable
        // failures are used up and the job fails over: the bound covers those expiries.
        let expiries = match &lost_final {
            Some(_) => (cfg.tolerable_failures.max(0) as u64).min(u64::from(ckptsim::config::UNLIMITED)) + 1,
            None => 1,
        };
        let slack_ms = if lost_final.is_some() { state_bound } else { 10_000 };
        let bound = spec.expect.max_checkpoint_gap_ms.unwrap_or_else(|| {
            checkpoint_bound_ms(interval, cfg.min_pause_normalized_ms(), cfg.timeout_ms, expiries, slack_ms)
        });
        if healed + bound <= run.stop_at_ms {
            let ok = run
                .checkpoints
                .iter()
                .any(|r| r.outcome == "COMPLETED" && r.end_ms.is_some_and(|e| e > healed && e <= healed + bound));
            if !ok {
                let text = format!(
                    "no checkpoint completed within {bound} ms after t={healed} (last fault, restart or re-tune){}",
                    lost_final.as_ref().map_or("", |(_, why)| why.as_str())
                );
                // A stall behind a lost final state update is the one Flink before 1.12 shares.
                anomalies.push(match &lost_final {
                    Some((lost_at_ms, _)) => Finding::new("stall-unreconciled-final-state", text).at(*lost_at_ms),
                    None => Finding::new("no-checkpoint-after-heal", text).at(healed),
                });
            }
            judged.push(format!("a checkpoint completed within {bound} ms after t={healed}"));
        }
        // An event-time window's output waits on the watermark, not on recovery: a window the
        // final watermark has not passed holds its inputs for good (the `windows` checker
        // judges which windows had to fire, as it does for exactly-once and state).
        if replayable(spec) && spec.event_window().is_none() && healed + 2 * bound <= run.stop_at_ms {
            if let Some(stall) = lost_failed_stop_abort(spec, run) {
                judged.push(format!("expected by {}: {stall}", spec.profile));
            } else {
                judged.push("output converged".into());
                anomalies.extend(unconverged(spec, run, reference, heal));
            }
        }
    }
    anomalies.extend(stuck);
    if !flink_stalls.is_empty() {
        // Real Flink stalls the same way: named in the summary, not an anomaly (as the
        // exactly-once checker names flink-1.11's loss at the end of input).
        judged.push(format!(
            "expected by {}: Flink's own stall, no deployment reconciliation before 1.12 (FLINK-17075): {}",
            spec.profile,
            flink_stalls.join("; ")
        ));
    }
    if judged.is_empty() && anomalies.is_empty() {
        return Verdict::skip(NAME, "run too short after the healing to judge");
    }
    Verdict::from(NAME, anomalies, judged.join("; "))
}

/// The name of `task` in `run` ("?" for an unknown one).
fn task_name(run: &RunResult, task: ckptsim::TaskId) -> &str {
    run.task_names.get(task.0 as usize).map(String::as_str).unwrap_or("?")
}

/// The task named `name` last went to RUNNING at or before `at` and stayed there: the attempt
/// that missed a message at `at` runs on to the end.
fn running_since_before(run: &RunResult, name: &str, at: u64) -> bool {
    run.task_transitions
        .iter()
        .rev()
        .find(|(_, n, _, _)| n == name)
        .is_some_and(|(t, _, _, to)| *to == ckptsim::status::ExecutionState::Running && *t <= at)
}

/// Flink's own stall after a stop-with-savepoint whose synchronous savepoint completed but whose
/// `notifyCheckpointComplete` to a task was lost (both profiles). The JobManager's
/// `confirmCheckpoint` RPC is fire-and-forget (`RpcTaskManagerGateway.notifyCheckpointOnComplete`
/// ignores its future); the task waits for exactly that id (2.x: `StreamTask.afterInvoke` waits
/// on `finalCheckpointCompleted`, which only `isCurrentSyncSavepoint(id)` completes; 1.11: the
/// synchronous savepoint's nested mailbox loop); the scheduler stopped the periodic checkpoint
/// scheduler for the stop (`SchedulerBase.stopWithSavepoint`) and restarts it only if the
/// savepoint fails; `StopWithSavepointTerminationManager` waits for every execution to end with
/// no timeout. So the job stays RUNNING, takes no checkpoint and processes nothing, to the end.
/// Exactly this is Flink's: the job RUNNING at the end, a stop's completed savepoint whose
/// notification to a task was dropped while that task's attempt was RUNNING and stayed so.
fn lost_stop_notification(spec: &JobSpec, run: &RunResult) -> Option<String> {
    if run.final_status != JobStatus::Running {
        return None;
    }
    let name_of = |t: ckptsim::TaskId| task_name(run, t);
    let still_running_since = |name: &str, at: u64| running_since_before(run, name, at);
    let (at, task, attempt, id) = run.stops.iter().filter_map(|s| s.savepoint).find_map(|sp| {
        run.lost_notifications.iter().find(|(at, t, _, id)| *id == sp && still_running_since(name_of(*t), *at)).copied()
    })?;
    Some(format!(
        "Flink's own stall: the notification of stop-with-savepoint's synchronous savepoint {id} to {} {attempt} \
         was lost at t={at} (confirmCheckpoint is not retried; the task waits for that savepoint's \
         notification, the periodic scheduler stays stopped, the stop's termination has no timeout); \
         {} stays RUNNING without checkpoints to the end",
        name_of(task),
        spec.name
    ))
}

/// Flink 2.x's own stall after a stop-with-savepoint whose synchronous savepoint failed: a task
/// that took the savepoint's barrier stopped its input there (2.x: the source's `stop`, then
/// END_OF_DATA, and the task waits for that savepoint as its final checkpoint) and learns of
/// the failure only from `notifyCheckpointAborted` ("Stop-with-savepoint failed.", which fails
/// the task and so the job over). That RPC is fire-and-forget: when it is lost the task keeps
/// waiting, while `StreamTask` lets no later checkpoint stand in for the current synchronous
/// savepoint; it acknowledges later checkpoints but reads nothing more, so the output never
/// converges although checkpoints complete. Named when the job is RUNNING at the end, a
/// synchronous savepoint failed, and its abort notification to a task that had taken its
/// barrier (a snapshot of it) was lost while that task's attempt was RUNNING and stayed so.
fn lost_failed_stop_abort(spec: &JobSpec, run: &RunResult) -> Option<String> {
    if run.final_status != JobStatus::Running {
        return None;
    }
    let name_of = |t: ckptsim::TaskId| task_name(run, t);
    let still_running_since = |name: &str, at: u64| running_since_before(run, name, at);
    let failed_sync = |id: ckptsim::CheckpointId| {
        run.checkpoints.iter().any(|r| r.id == id && r.synchronous && r.outcome != "COMPLETED" && r.end_ms.is_some())
    };
    let &(at, task, attempt, id) = run.lost_abort_notifications.iter().find(|(at, t, attempt, id)| {
        let took_barrier = run.sync_savepoint_snapshots.contains(&(*t, *attempt, *id));
        failed_sync(*id) && took_barrier && still_running_since(name_of(*t), *at)
    })?;
    Some(format!(
        "Flink's own stall: the abort notification of stop-with-savepoint's failed synchronous \
         savepoint {id} to {} {attempt} was lost at t={at} (notifyCheckpointAborted is not retried; \
         a task that took its barrier stopped reading and waits for it); {} does not converge",
        name_of(task),
        spec.name
    ))
}

/// Flink before 1.12's own stall after a stop-with-savepoint: the synchronous savepoint
/// completed, the tasks finished, and a task's final state update (FINISHED) was dropped. The
/// scheduler stopped the periodic checkpoint scheduler for the stop and restarts it only if the
/// savepoint fails (`SchedulerBase.stopWithSavepoint`); the stop then waits for every execution
/// to reach a terminal state, with no timeout, and without deployment reconciliation
/// (FLINK-17075, added in 1.12) the JobManager never learns the dropped update. So the job
/// stays RUNNING with no checkpoint to the end. Exactly this is Flink's: the job RUNNING at the
/// end, a stop whose savepoint completed, a final state update (FINISHED, or FAILED of a task
/// that failed while it waited for the savepoint's completion) lost after that savepoint's
/// trigger, and no checkpoint triggered after the completion.
fn stop_waiting_for_lost_final_state(spec: &JobSpec, run: &RunResult) -> Option<String> {
    if spec.profile.reconciles_deployments() || run.final_status != JobStatus::Running {
        return None;
    }
    let name_of = |t: ckptsim::TaskId| task_name(run, t);
    run.stops.iter().filter_map(|s| s.savepoint).find_map(|sp| {
        let row = run.checkpoints.iter().find(|r| r.id == sp && r.outcome == "COMPLETED")?;
        let (trigger_ms, done_ms) = (row.trigger_ms, row.end_ms?);
        if run.checkpoints.iter().any(|r| r.trigger_ms > done_ms) {
            return None;
        }
        // Lost after the savepoint's trigger: the task had acknowledged the savepoint (it
        // completed) and ended before or after its completion, unseen either way; the stop
        // waits for it. (Swarm seed 5146 of `rescale/stop-expired-1.11`: lost 443 ms before
        // the completion, once misjudged as the model's stall.)
        let &(at, task, attempt) = run.lost_final_states.iter().find(|(at, _, _)| *at >= trigger_ms)?;
        Some(format!(
            "Flink's own stall (FLINK-17075): stop-with-savepoint's synchronous savepoint {sp} completed at \
             t={done_ms}, the final state update of {} {attempt} was lost at t={at}; the periodic \
             scheduler stays stopped and the stop waits for every execution to end, which {} without \
             deployment reconciliation never learns; {} stays RUNNING without checkpoints to the end",
            name_of(task),
            spec.profile,
            spec.name
        ))
    })
}

/// Flink 1.11's own: a job whose task's final state update was lost (FLINK-17075) waits for it
/// to the end, and no failover ends the wait when every checkpoint attempt after `healed` fails
/// for a reason its `CheckpointFailureManager` does not count: the coordinator refuses every
/// trigger once a source is FINISHED (`NOT_ALL_REQUIRED_TASKS_RUNNING`), and a source that
/// reached the end of its input but cannot report FINISHED (its output still queued for the
/// consumer that died unseen) declines every barrier as closing (`CHECKPOINT_DECLINED_TASK_CLOSING`
/// / `_TASK_NOT_READY`). Named when no checkpoint completed after `healed`, at least one attempt
/// failed after it, and none of those failures counts (a counted one would use up the tolerable
/// failures and fail the job over: the liveness bound covers that case instead).
fn refused_after_source_finished(spec: &JobSpec, run: &RunResult, healed: u64) -> Option<String> {
    if spec.profile.checkpoints_after_tasks_finish() {
        return None;
    }
    let after: Vec<&CheckpointRow> = run.checkpoints.iter().filter(|r| r.trigger_ms > healed).collect();
    let refused: Vec<_> = run.rejections.iter().filter(|(_, last, _)| *last > healed).collect();
    let timeout_ms = run.final_checkpoint_config.timeout_ms;
    // A checkpoint still pending at the end may expire (a counted failure) only if the run
    // had left it its timeout; one triggered within the timeout of the end has not failed yet.
    let failed_uncounted = |r: &&CheckpointRow| match r.end_ms {
        Some(_) => r.outcome != "COMPLETED" && !tolerable_failure::reason_counts(&r.outcome, spec.profile),
        None => r.trigger_ms.saturating_add(timeout_ms.max(0) as u64) > run.stop_at_ms,
    };
    let declined = after.iter().filter(|r| r.end_ms.is_some()).count();
    if declined + refused.len() == 0
        || !after.iter().all(failed_uncounted)
        || refused.iter().any(|(_, _, reason)| tolerable_failure::reason_counts(reason.name(), spec.profile))
    {
        return None;
    }
    let mut reasons: BTreeSet<&str> = refused.iter().map(|(_, _, reason)| reason.name()).collect();
    reasons.extend(after.iter().filter(|r| r.end_ms.is_some()).map(|r| r.outcome.as_str()));
    let reasons: Vec<&str> = reasons.into_iter().collect();
    Some(format!(
        "Flink's own: every checkpoint attempt after t={healed} failed for a reason {} does not \
         count ({}: a source FINISHED or closing, its coordinator counts neither refusal nor \
         decline, so no failover follows), and the job waits for a lost final state update \
         (FLINK-17075)",
        spec.profile,
        reasons.join(", ")
    ))
}

/// Under a profile without deployment reconciliation (Flink before 1.12), a task's final state
/// update that the network dropped is never learnt: the JobManager keeps the execution RUNNING
/// or CANCELING. Real Flink hangs there too (FLINK-17075 added the reconciliation in 1.12), so a
/// stall that follows is named as that, not as a defect of the model. Only a loss the JobManager
/// still waits on excuses: the task is in a state that is not final at the end, and no new
/// attempt of it was created after the loss (a TaskManager judged lost fails its executions, so
/// the update of an execution already failed, or replaced, leaves nothing waiting; excusing it
/// hid the hang of `regressions/tm-crash-after-deploy-to-lost-tm`).
fn unreconciled_final_state(spec: &JobSpec, run: &RunResult) -> Option<(u64, String)> {
    if spec.profile.reconciles_deployments() {
        return None;
    }
    let name_of = |t: ckptsim::TaskId| task_name(run, t);
    let still_waited_on = |at: u64, task: ckptsim::TaskId| {
        let name = name_of(task);
        let mine = || run.task_transitions.iter().filter(|(_, n, _, _)| n == name);
        let replaced = mine().any(|(t, _, from, _)| *t > at && *from == ckptsim::status::ExecutionState::Created);
        let open_at_end = mine().next_back().is_none_or(|(_, _, _, to)| !to.is_terminal());
        open_at_end && !replaced
    };
    let &(at, task, attempt) = run.lost_final_states.iter().find(|(at, task, _)| still_waited_on(*at, *task))?;
    let name = name_of(task);
    Some((
        at,
        format!(
            " [the final state update of {name} {attempt} was lost at t={at}; {} has no deployment \
             reconciliation, real Flink before 1.12 stalls here too (FLINK-17075)]",
            spec.profile
        ),
    ))
}

/// Inputs of a log source that arrived before `heal` and are missing from the output (committed
/// output for a 2PC sink, printed rows for a print sink) at the end, except records a `latest`
/// source skipped: at most one anomaly.
pub(super) fn unconverged(spec: &JobSpec, run: &RunResult, reference: &Reference, heal: u64) -> Option<Finding> {
    let InputSpec::Log { records, .. } = &spec.input else { return None };
    let rows: &Rows = match sink_kind(spec) {
        Some(OpKind::TwoPhaseCommitSink) => &run.committed,
        Some(OpKind::PrintSink) => &run.print_rows,
        _ => return None,
    };
    let seen: super::counts::InputSet = rows.iter().map(|r| r.lineage.input_seq).collect();
    // Records a `latest` source skipped (appended before it resolved `latest`, or skipped when a
    // restart resolved it again), and records a 2.x group-offsets marker resolution skipped
    // (`group_marker_skipped`), are due to no one.
    let mut skipped: BTreeSet<u64> = run.lost_inputs.iter().chain(&run.latest_skipped_on_restart).copied().collect();
    skipped.extend(super::group_marker_skipped(spec, run));
    // Records a source deployed as finished never reads (FLIP-147), Flink's own.
    skipped.extend(super::dormant_unread(spec, run));
    let missing: Vec<u64> = records
        .iter()
        .enumerate()
        .filter(|(i, (t, _, _))| {
            let i = *i as u64;
            *t < heal && reference.producing_inputs.contains_key(i) && !seen.contains(i) && !skipped.contains(&i)
        })
        .map(|(i, _)| i as u64)
        .collect();
    let first = missing.first()?;
    let text = format!(
        "output did not converge: {} inputs that arrived before the healing at t={heal} are missing at the end (first: input #{first} at {} ms)",
        missing.len(),
        records.at_ms(*first).unwrap_or(0)
    );
    Some(Finding::new("output-did-not-converge", text).at(heal))
}
