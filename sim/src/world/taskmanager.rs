//! The TaskManager host: the node loop that deploys, cancels and reports task attempts, and the task mailboxes.

use super::*;

// ------------------------------------------------------------------ TaskManager

pub(super) async fn tm_main(s: Shared, tm: u32) {
    // The whole process (its inbox and its task attempts) reads the clock once per poll.
    s.pinned(tm_loop(s.clone(), tm)).await
}

/// The TaskManager process: its uploader and heartbeats, then its inbox (deployments, cancels,
/// triggers, notifications) and its task attempts, which run inside this loop's madsim task
/// (`tm_exec.rs`).
async fn tm_loop(s: Shared, tm: u32) {
    let incarnation = s.with(|w| tm_start(w, tm));
    spawn_uploader(&s, tm);
    // Heartbeats to the JobManager; a TaskManager that gets no heartbeat back from its JobManager
    // for the heartbeat timeout considers the leader lost and fails (cancels) all its tasks,
    // as Flink's TaskExecutor does when the job leader connection is lost.
    let last_jm_contact = Arc::new(Mutex::new(s.with(|w| w.now())));
    madsim::task::spawn_local(s.pinned(heartbeat_loop(s.clone(), tm, incarnation, last_jm_contact.clone())));
    let mut inbox: VecDeque<(Addr, Msg)> = VecDeque::new();
    let mut exec = TmExec::new();
    loop {
        s.with(|w| w.take_due(tm_addr(tm), &mut inbox));
        // Only a heartbeat from the JobManager resets the JobManager-lost timer: Flink's
        // `HeartbeatManagerImpl` reports a heartbeat to its `HeartbeatMonitor` on
        // `requestHeartbeat` / `receiveHeartbeat` only; other RPCs of the JobManager (deploy,
        // trigger, notify, cancel) do not count as contact.
        if inbox.iter().any(|(from, msg)| *from == JM && matches!(msg, Msg::HeartbeatReply)) {
            *last_jm_contact.lock().expect("contact lock") = s.with(|w| w.now());
        }
        while let Some((_from, msg)) = inbox.pop_front() {
            match msg {
                Msg::Deploy { task, attempt, restore, epoch } => {
                    s.with(|w| w.net.deployed_on.insert((task, attempt), incarnation));
                    deploy_task(&s, &mut exec, tm, (task, attempt), restore, epoch)
                }
                Msg::Cancel { task, attempt } => s.with(|w| cancel_task(w, tm, (task, attempt))),
                Msg::Trigger { task, attempt, barrier, sent_ms } => {
                    trigger_task(&s, tm, (task, attempt), barrier, sent_ms)
                }
                Msg::NotifyComplete { task, attempt, id } => mail(&s, task, attempt, TaskMail::NotifyComplete(id)),
                Msg::NotifyAborted { task, attempt, id } => mail(&s, task, attempt, TaskMail::NotifyAborted(id)),
                _ => {}
            }
        }
        let deadline = s.with(|w| w.next_arrival(tm_addr(tm)));
        exec.run_until_message(&s, Sleeper::Node(tm_addr(tm)), deadline).await;
    }
}

/// A TaskManager process starts: its next incarnation, alive, an empty inbox. Returns the
/// incarnation.
fn tm_start(w: &mut World, tm: u32) -> u64 {
    let inc = w.net.tm_incarnation.entry(tm).or_insert(0);
    *inc += 1;
    let inc = *inc;
    w.net.alive.insert(tm_addr(tm), true);
    clear_inbox(w, tm_addr(tm));
    w.tr_typed(&tm_node(tm), "tm-start", EventData::TmStart { incarnation: inc });
    inc
}

/// The TaskManager's heartbeat loop: heartbeats to the JobManager every interval (with the
/// attempts it runs), the JobManager's loss judged at its own deadline, the cancellation
/// watchdog looked at on its ticks.
async fn heartbeat_loop(s: Shared, tm: u32, incarnation: u64, contact: Arc<Mutex<u64>>) {
    let (interval, timeout) = s.with(|w| (w.spec.cluster.heartbeat_interval_ms, w.spec.cluster.heartbeat_timeout_ms));
    // Heartbeats go out every interval; the JobManager's loss is judged at its own
    // deadline (last contact + timeout), as Flink's HeartbeatMonitor schedules it, not at
    // the next heartbeat tick (that let an old attempt outlive the JobManager's verdict by
    // up to one interval).
    let mut next_send = s.with(|w| w.now());
    loop {
        let wake = s.with(|w| {
            w.budget.counts.slept(WakeCause::SleepHeartbeat);
            heartbeat_tick(w, tm, incarnation, &mut next_send, &contact, (interval, timeout))
        });
        sleep(Duration::from_millis(wake)).await;
    }
}

/// One tick of the heartbeat loop (one world step); returns the time to the next tick, ms.
fn heartbeat_tick(
    w: &mut World,
    tm: u32,
    incarnation: u64,
    next_send: &mut u64,
    contact: &Mutex<u64>,
    (interval, timeout): (u64, u64),
) -> u64 {
    let now = w.now();
    // The cancellation watchdog is looked at on this loop's ticks (no timer of its
    // own: a run without a stuck cancel schedules exactly as before).
    cancellation_watchdog(w, tm);
    if now >= *next_send {
        let running = tm_tasks(w, tm);
        w.send(tm_addr(tm), JM, Msg::Heartbeat { tm, incarnation, running });
        *next_send = now + interval;
    }
    let mut last = contact.lock().expect("contact lock");
    if now > *last + timeout {
        *last = now;
        let mine = tm_tasks(w, tm);
        if !mine.is_empty() {
            w.tr(
                &format!("tm{tm}"),
                "jm-lost",
                format!("no JobManager contact for {timeout} ms: failing {} tasks", mine.len()),
            );
        }
        for k in mine {
            w.tasks.fail_requests.insert(k, format!("JobManager lost: no contact for {timeout} ms"));
            w.notify_task(k, WakeCause::Fault);
        }
    }
    (*next_send).min(*last + timeout + 1).saturating_sub(now).max(1)
}

/// The live task attempts deployed to TaskManager `tm`.
fn tm_tasks(w: &World, tm: u32) -> Vec<(TaskId, Attempt)> {
    w.wake
        .live_tasks
        .iter()
        .filter(|k| w.graph.tasks.get(k.0 .0 as usize).is_some_and(|t| t.tm == TmId(tm)))
        .copied()
        .collect()
}

/// A deployment from the JobManager: dropped when stale (another epoch's), failed when an
/// injector says so, else a mailbox and the attempt's loop (`task_main`).
fn deploy_task(
    s: &Shared,
    exec: &mut TmExec,
    tm: u32,
    key: (TaskId, Attempt),
    restore: Option<Arc<CompletedCheckpoint>>,
    epoch: u64,
) {
    let (task, attempt) = key;
    if s.with(|w| stale_deploy(w, tm, task, attempt, epoch)) {
        return;
    }
    if s.with(|w| deploy_failure(w, tm, task, attempt)) {
        return;
    }
    let s2 = s.clone();
    s.with(|w| {
        w.wake.live_tasks.insert(key);
        w.tasks.mail.insert(key, VecDeque::new());
    });
    // The attempt runs inside this TaskManager's madsim task (`tm_exec.rs`).
    exec.spawn(Box::pin(task_main(s2, tm, task, attempt, restore)));
}

/// A cancel from the JobManager: acknowledged at once; a live attempt is told to cancel (with
/// the cancellation watchdog's deadline), an unknown one reported CANCELED.
fn cancel_task(w: &mut World, tm: u32, (task, attempt): (TaskId, Attempt)) {
    // Flink's TaskExecutor.cancelTask acknowledges at once, known task or not.
    w.send(tm_addr(tm), JM, Msg::CancelAck { task, attempt });
    if w.wake.live_tasks.contains(&(task, attempt)) {
        w.tasks.cancelled.insert((task, attempt), ());
        w.notify_task((task, attempt), WakeCause::Cancel);
        let timeout = w.spec.cluster.task_cancellation_timeout_ms;
        if timeout > 0 {
            let at = w.now() + timeout;
            w.tasks.cancel_deadlines.entry((task, attempt)).or_insert(at);
        }
    } else {
        // Unknown here (its deployment was lost, or it already ended): Flink's
        // TaskExecutor answers "task not found" and the execution is CANCELED.
        report(w, tm, task, attempt, ExecutionState::Canceled, None);
    }
}

/// Flink's `TaskCancelerWatchDog`: a task of this TaskManager still running
/// `task.cancellation.timeout` after its cancel arrived is a fatal error of the TaskManager
/// (`TaskManagerActions.notifyFatalError`): the process exits with all its tasks. Checked on the
/// TaskManager's heartbeat-loop ticks, so it fires up to one heartbeat interval after the
/// deadline. Returns whether the watchdog fired (the chaos loop then kills the process).
fn cancellation_watchdog(w: &mut World, tm: u32) -> bool {
    let now = w.now();
    let mine: Vec<((TaskId, Attempt), u64)> = w
        .tasks
        .cancel_deadlines
        .iter()
        // A task of an earlier job's graph (before a rescale) may have no entry in the current
        // one: every TaskManager looks at it, and it is dropped once it stopped.
        .filter(|(k, _)| w.graph.tasks.get(k.0 .0 as usize).is_none_or(|t| t.tm == TmId(tm)))
        .map(|(k, at)| (*k, *at))
        .collect();
    let mut fired = None;
    for (k, at) in mine {
        if !w.wake.live_tasks.contains(&k) {
            w.tasks.cancel_deadlines.remove(&k); // it stopped in time
        } else if at <= now && fired.is_none() {
            fired = Some(k);
        }
    }
    let Some(k) = fired else { return false };
    let timeout = w.spec.cluster.task_cancellation_timeout_ms;
    let name = w.graph.tasks[k.0 .0 as usize].name.clone();
    w.tr_data(
        &tm_node(tm),
        "watchdog",
        format!("{name} did not stop within task.cancellation.timeout = {timeout} ms: fatal error, TaskManager exits"),
        EventData::Watchdog { task: k.0 },
    );
    w.tasks.cancel_deadlines.retain(|k, _| w.graph.tasks[k.0 .0 as usize].tm != TmId(tm));
    w.faults.fatal_tms.push_back(tm);
    w.wake.chaos.notify_one();
    true
}

/// A deployment from a JobManager that is not the TaskManager's current leader: the
/// JobManager crashed after sending it (no leader now) or a newer JobManager took over.
/// Flink's `TaskExecutor.submitTask` refuses it (no connection to that job leader, or its
/// `JobMasterId` fencing token does not match) and the task never starts. Nobody listens for the
/// refusal (the sender is gone), so it is only traced. Returns whether it was refused.
pub(super) fn stale_deploy(w: &mut World, tm: u32, task: TaskId, attempt: Attempt, epoch: u64) -> bool {
    let leader = w.net.alive.get(&JM).copied().unwrap_or(false).then_some(w.jm_epoch);
    if leader == Some(epoch) {
        return false;
    }
    let leader = leader.map_or("none".to_string(), |e| format!("epoch {e}"));
    w.tr_task(
        &tm_node(tm),
        "deploy-rejected",
        task,
        format!("{task}{attempt} from JobManager epoch {epoch}; current leader: {leader}"),
    );
    true
}

/// An injected deployment failure (`fail_on_deploy`) of one of the task's operators: the
/// TaskManager rejects the submission and the execution is FAILED. Returns whether it fired.
pub(super) fn deploy_failure(w: &mut World, tm: u32, task: TaskId, attempt: Attempt) -> bool {
    let tspec = w.graph.task_spec(&w.spec, task, attempt, &w.rescale.vertices, w.seed);
    let counters = w.tasks.counters.entry(tm).or_default();
    let Some(cause) = tspec
        .chain
        .iter()
        .find_map(|op| op.operator.deploy_failure(counters, &op.instance).map(|m| format!("{}: {m}", op.instance)))
    else {
        return false;
    };
    w.tr_data(&tm_node(tm), "exception", format!("{}: {cause}", tspec.name), EventData::Exception { task });
    report(w, tm, task, attempt, ExecutionState::Failed, Some(cause));
    true
}

/// Drops the messages that reached `node` while it was down or that it had not handled when it
/// crashed (those due by now); later ones reach the node's next incarnation.
pub(super) fn clear_inbox(w: &mut World, node: Addr) {
    let now = w.now();
    if let Some(q) = w.net.in_flight.get_mut(&node) {
        q.retain(|m| m.at > now);
    }
    w.wake.forget(Sleeper::Node(node));
}

/// A trigger RPC: into the attempt's mailbox, answered at once with flink-2.3
/// (`TaskExecutor#triggerCheckpoint` acknowledges before the task snapshots); for an attempt
/// this TaskManager does not run (it finished, failed or was cancelled since the JobManager
/// planned the checkpoint) the RPC fails with flink-2.3 ("unknown task",
/// `TASK_CHECKPOINT_FAILURE`). flink-1.11's trigger is a `tell`: no answer either way. The
/// answer travels at the link's lowest latency (no draw from the network's random stream, so
/// the answers left every other message's timing as it was).
fn trigger_task(s: &Shared, tm: u32, (task, attempt): (TaskId, Attempt), barrier: Barrier, sent_ms: u64) {
    s.with(|w| {
        let answers = w.spec.profile.trigger_rpc_failure_aborts_checkpoint();
        let id = barrier.id;
        if let Some(q) = w.tasks.mail.get_mut(&(task, attempt)) {
            q.push_back(TaskMail::Trigger(barrier));
            w.notify_task((task, attempt), WakeCause::Mail);
            if answers {
                w.send_answer(tm_addr(tm), JM, Msg::TriggerAck { task, attempt, id, sent_ms });
            }
        } else if answers {
            w.send_answer(tm_addr(tm), JM, Msg::TriggerFailed { task, attempt, id, sent_ms });
        }
    });
}

pub(super) fn mail(s: &Shared, task: TaskId, attempt: Attempt, m: TaskMail) {
    s.with(|w| {
        if let Some(q) = w.tasks.mail.get_mut(&(task, attempt)) {
            q.push_back(m);
            w.notify_task((task, attempt), WakeCause::Mail);
        }
    });
}

pub(super) fn report(
    w: &mut World,
    tm: u32,
    task: TaskId,
    attempt: Attempt,
    state: ExecutionState,
    cause: Option<String>,
) {
    if state == ExecutionState::Failed {
        let at_ms = w.now();
        w.obs.notes.retry_calls.push(super::observe::RetryCall::FailedReported { at_ms, task, attempt });
    }
    w.send(tm_addr(tm), JM, Msg::TaskState { task, attempt, state, cause });
}
