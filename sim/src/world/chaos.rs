//! Chaos: the fault schedule, anchored faults and applying/lifting each fault kind.

use super::*;

/// The fault state the world applies now, and the schedule of anchored faults.
pub(super) struct ActiveFaults {
    pub(super) partitions: Vec<(Addr, Addr, bool)>,
    pub(super) loss_rate: f64,
    /// The message kinds the loss applies to (`Msg::name`); empty = every kind.
    pub(super) loss_messages: Vec<String>,
    /// The links the loss applies to: `(None, _)` every link, `(Some(a), None)` the links of
    /// `a`, `(Some(a), Some(b))` the link between `a` and `b` (both ways).
    pub(super) loss_link: (Option<Addr>, Option<Addr>),
    pub(super) control_extra_ms: u64,
    /// The node whose messages (to or from it) the extra latency applies to; `None`: all.
    pub(super) control_delay_node: Option<Addr>,
    pub(super) slow_links: BTreeMap<TaskId, u64>,
    pub(super) slow_snapshots: BTreeMap<TaskId, (u64, u64)>,
    pub(super) storage_up: bool,
    pub(super) storage_extra_ms: u64,
    pub(super) broker_up: bool,
    pub(super) sink_store_up: bool,
    pub(super) slow_ops: BTreeMap<TaskId, u64>,
    /// The slowdowns (slow-link, slow-snapshot, slow-operator) in effect, in the order they
    /// started: the three maps above hold them by task id, and a rescale numbers the tasks
    /// anew, so [`reresolve_after_rescale`] resolves these again in the new job's graph.
    pub(super) slow_active: Vec<FaultKind>,
    pub(super) failing_tasks: BTreeSet<TaskId>,
    /// When the last fault phase ends (the liveness checker's healing starts after it).
    pub(super) last_end_ms: u64,
    /// Faults and actions anchored to protocol events, armed until their event happens.
    pub(super) anchored: Vec<(FaultAt, Armed)>,
    /// Anchored faults whose event happened, for the chaos loop to apply.
    pub(super) fired: VecDeque<usize>,
    /// TaskManagers whose cancellation watchdog fired: the chaos loop kills their process
    /// (and restarts it at once), as a fatal error ends a TaskManager.
    pub(super) fatal_tms: VecDeque<u32>,
}

/// What an anchor fires: a fault of the scenario (applied by the chaos loop) or a user action
/// (sent by the client at once), by its index in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Armed {
    Fault(usize),
    Action(usize),
}

// ------------------------------------------------------------------ chaos

pub(super) async fn chaos_main(
    s: Shared,
    handle: Handle,
    jm_node: madsim::task::NodeId,
    tm_nodes: Vec<madsim::task::NodeId>,
) {
    let (t0, clock, spec, notify) = s.with(|w| (w.t0, w.clock.clone(), w.spec.clone(), w.wake.chaos.clone()));
    // (time, start?, fault index)
    let mut timeline: BTreeSet<(u64, bool, usize)> = BTreeSet::new();
    for (i, f) in spec.faults.iter().enumerate() {
        if let FaultAt::Time(at) = f.at {
            timeline.insert((at, true, i));
        }
    }
    loop {
        let now = clock.now();
        // Anchored faults that fired become timed faults starting now.
        let fired: Vec<usize> = s.with(|w| w.faults.fired.drain(..).collect());
        for i in fired {
            timeline.insert((now, true, i));
        }
        // A TaskManager's fatal error (its cancellation watchdog fired): the process dies and
        // its supervisor starts a new one (restart_after 1 ms).
        let fatal: Vec<u32> = s.with(|w| w.faults.fatal_tms.drain(..).collect());
        for tm in fatal {
            crash_tm(&s, &handle, &tm_nodes, &tm, &1, true, now);
        }
        while let Some(&(at, start, i)) = timeline.iter().next() {
            if at > now {
                break;
            }
            timeline.remove(&(at, start, i));
            let f = &spec.faults[i];
            if start {
                if let Some(d) = f.duration_ms {
                    timeline.insert((now + d, false, i));
                }
            }
            apply_fault(&s, &handle, jm_node, &tm_nodes, &f.kind, start, now);
            if !start || f.duration_ms.is_none() {
                s.with(|w| w.faults.last_end_ms = w.faults.last_end_ms.max(now));
            }
        }
        let next = timeline.iter().next().map(|(at, _, _)| *at);
        tokio_select_sleep_or_notify(&notify, &clock, next.map(|n| t0 + Duration::from_millis(n))).await;
    }
}

pub(super) fn apply_fault(
    s: &Shared,
    handle: &Handle,
    jm_node: madsim::task::NodeId,
    tm_nodes: &[madsim::task::NodeId],
    kind: &FaultKind,
    start: bool,
    now: u64,
) {
    s.with(|w| w.tr_typed("chaos", "fault", EventData::Fault { start, label: kind.label(), kind: kind.fault_name() }));
    match kind {
        FaultKind::TaskFailure { task } => {
            if start {
                s.with(|w| fail_task(w, task));
            }
        }
        FaultKind::TmCrash { tm, restart_after_ms } => crash_tm(s, handle, tm_nodes, tm, restart_after_ms, start, now),
        FaultKind::JmCrash { restart_after_ms } => crash_jm(s, handle, jm_node, restart_after_ms, start, now),
        FaultKind::Partition { .. } | FaultKind::MessageLoss { .. } | FaultKind::ControlDelay { .. } => {
            s.with(|w| apply_net_fault(w, kind, start))
        }
        FaultKind::SlowLink { .. } | FaultKind::SlowSnapshot { .. } | FaultKind::SlowOperator { .. } => {
            s.with(|w| apply_slow_task(w, kind, start))
        }
        FaultKind::StorageFailure => s.with(|w| w.faults.storage_up = !start),
        FaultKind::StorageSlow { extra_ms } => {
            s.with(|w| w.faults.storage_extra_ms = if start { *extra_ms } else { 0 })
        }
        FaultKind::BrokerOutage => s.with(|w| w.faults.broker_up = !start),
        FaultKind::SinkStoreOutage => s.with(|w| w.faults.sink_store_up = !start),
    }
    // Wake everything so the new fault state is seen.
    s.with(|w| {
        let keys: Vec<_> = w.wake.live_tasks.iter().copied().collect();
        for k in keys {
            w.notify_task(k, WakeCause::Fault);
        }
        if w.net.alive.get(&JM).copied().unwrap_or(false) {
            w.notify(Sleeper::Node(JM), WakeCause::Fault);
        }
    });
}

/// A `task-failure`: the task throws at its next step (its live attempts are woken).
fn fail_task(w: &mut World, task: &str) {
    if let Some(t) = w.graph.find_task(&w.spec, task) {
        w.faults.failing_tasks.insert(t);
        let keys: Vec<_> = w.wake.live_tasks.iter().filter(|k| k.0 == t).copied().collect();
        for k in keys {
            w.notify_task(k, WakeCause::Fault);
        }
    }
}

/// A fault of the control network starts or ends: a partition, message loss, extra latency.
fn apply_net_fault(w: &mut World, kind: &FaultKind, start: bool) {
    match kind {
        FaultKind::Partition { a, b, both } => {
            let (Some(x), Some(y)) = (parse_node(a), parse_node(b)) else { return };
            if start {
                w.faults.partitions.push((x, y, *both));
            } else {
                w.faults.partitions.retain(|p| *p != (x, y, *both));
            }
        }
        FaultKind::MessageLoss { rate, messages, target, peer } => {
            w.faults.loss_rate = if start { *rate } else { 0.0 };
            w.faults.loss_messages = if start { messages.clone() } else { Vec::new() };
            w.faults.loss_link = (target.as_deref().and_then(parse_node), peer.as_deref().and_then(parse_node));
        }
        FaultKind::ControlDelay { extra_ms, target } => {
            w.faults.control_extra_ms = if start { *extra_ms } else { 0 };
            w.faults.control_delay_node = target.as_deref().and_then(parse_node);
        }
        // Not a network fault (`apply_fault` routes only these here).
        _ => {}
    }
}

/// A slowdown of tasks starts or ends: a task's outgoing data channels, its snapshots, or
/// every subtask of an operator's vertex. The slowdowns in effect are also kept by their
/// target's name (`slow_active`) for a rescale to resolve again.
fn apply_slow_task(w: &mut World, kind: &FaultKind, start: bool) {
    if start {
        w.faults.slow_active.push(kind.clone());
    } else if let Some(i) = w.faults.slow_active.iter().position(|k| k == kind) {
        w.faults.slow_active.remove(i);
    }
    set_slow_task(w, kind, start);
}

/// The rescaled job's graph numbers its tasks anew (a task id of the old job names another
/// task now, e.g. the sink after a scale-in): the slowdowns in effect are resolved again by
/// their target's name in the new graph (a slow operator stays slow in every new subtask, a
/// slow `Op[i]` whose subtask the new job lacks slows nothing), so a slowdown that ends later
/// lifts what it set instead of leaving another task slow for the rest of the run; pending
/// injected task failures of the old job's tasks, all ended, are dropped. Called once the new
/// spec and graph are in place.
pub(super) fn reresolve_after_rescale(w: &mut World) {
    w.faults.slow_links.clear();
    w.faults.slow_snapshots.clear();
    w.faults.slow_ops.clear();
    w.faults.failing_tasks.clear();
    for kind in w.faults.slow_active.clone() {
        set_slow_task(w, &kind, true);
    }
}

/// Sets (`start`) or lifts the task-id entries of one slowdown in the current graph.
fn set_slow_task(w: &mut World, kind: &FaultKind, start: bool) {
    match kind {
        FaultKind::SlowLink { task, extra_ms } => {
            if let Some(t) = w.graph.find_task(&w.spec, task) {
                if start {
                    w.faults.slow_links.insert(t, *extra_ms);
                } else {
                    w.faults.slow_links.remove(&t);
                }
            }
        }
        FaultKind::SlowSnapshot { task, sync_ms, async_ms } => {
            if let Some(t) = w.graph.find_task(&w.spec, task) {
                if start {
                    w.faults.slow_snapshots.insert(t, (*sync_ms, *async_ms));
                } else {
                    w.faults.slow_snapshots.remove(&t);
                }
            }
        }
        FaultKind::SlowOperator { operator, records_per_s } => {
            let Some(op) = w.spec.operators.iter().position(|o| &o.name == operator) else { return };
            let Some(vi) = w.graph.vertices.iter().position(|v| v.ops.contains(&op)) else { return };
            for t in w.graph.vertex_tasks(vi) {
                if start {
                    w.faults.slow_ops.insert(t, *records_per_s);
                } else {
                    w.faults.slow_ops.remove(&t);
                }
            }
        }
        // Not a slowdown of tasks (`apply_fault` routes only these here).
        _ => {}
    }
}

/// A TaskManager process crashes (`start`) and restarts `restart_after_ms` later; its tasks
/// and their mailboxes are gone. Crashing a process that is down is a no-op.
fn crash_tm(
    s: &Shared,
    handle: &Handle,
    tm_nodes: &[madsim::task::NodeId],
    tm: &u32,
    restart_after_ms: &u64,
    start: bool,
    now: u64,
) {
    // Crashing a process that is already down is a no-op (a second kill would schedule
    // a second restart, which would "crash" the restarted process without a fault).
    let down = s.with(|w| {
        let down = !w.net.alive.get(&tm_addr(*tm)).copied().unwrap_or(false);
        if start && down {
            w.tr_data(
                &format!("tm{tm}"),
                "crash",
                "ignored: already down".into(),
                EventData::Crash { restart_after_ms: None },
            );
        }
        down
    });
    if start && !down {
        if let Some(&node) = tm_nodes.get(*tm as usize) {
            handle.kill(node);
            s.with(|w| {
                w.net.alive.insert(tm_addr(*tm), false);
                clear_inbox(w, tm_addr(*tm));
                // The crashed process's tasks are gone: forget their mailboxes.
                let dead: Vec<_> = w
                    .wake
                    .live_tasks
                    .iter()
                    .filter(|k| w.graph.tasks.get(k.0 .0 as usize).is_some_and(|t| t.tm == TmId(*tm)))
                    .copied()
                    .collect();
                for k in dead {
                    cleanup_task(w, k);
                }
                w.tasks.counters.remove(tm);
                let data = EventData::Crash { restart_after_ms: Some(*restart_after_ms) };
                w.tr_data(&tm_node(*tm), "crash", format!("restart in {restart_after_ms} ms"), data);
            });
            let h = handle.clone();
            let delay = *restart_after_ms;
            madsim::task::spawn_local(async move {
                sleep(Duration::from_millis(delay.max(1))).await;
                h.restart(node);
            });
            let _ = now;
        }
    }
}

/// The JobManager crashes (`start`) and restarts `restart_after_ms` later: the job is
/// suspended, its pending checkpoints die, TaskManagers cancel their tasks.
fn crash_jm(s: &Shared, handle: &Handle, jm_node: madsim::task::NodeId, restart_after_ms: &u64, start: bool, now: u64) {
    let down = s.with(|w| {
        let down = !w.net.alive.get(&JM).copied().unwrap_or(false);
        if start && down {
            w.tr_data("jm", "crash", "ignored: already down".into(), EventData::Crash { restart_after_ms: None });
        }
        // A globally terminal job is done: a new JobManager does not recover it (Flink's
        // JobResultStore), so the crash has nothing to suspend.
        let done = w.obs.status.is_globally_terminal();
        if start && !down && done {
            let text = format!("ignored: the job is already {}", w.obs.status);
            w.tr_data("jm", "crash", text, EventData::Crash { restart_after_ms: None });
        }
        down || done
    });
    if start && !down {
        handle.kill(jm_node);
        s.with(|w| {
            w.net.alive.insert(JM, false);
            clear_inbox(w, JM);
            // The job of the lost JobManager is suspended; a new JobManager recovers it.
            w.obs.status = JobStatus::Suspended;
            w.obs.status_timeline.push((now, JobStatus::Suspended));
            // Its pending checkpoints die with it (the job is suspended: Flink's
            // CHECKPOINT_COORDINATOR_SUSPEND); the new JobManager never finishes them.
            for row in w.obs.checkpoints.values_mut().filter(|r| r.end_ms.is_none()) {
                row.end_ms = Some(now);
                row.end_seq = next_end_seq(&mut w.obs.end_seq, now);
                row.outcome = "CHECKPOINT_COORDINATOR_SUSPEND".into();
            }
            let text = format!("restart in {restart_after_ms} ms; TaskManagers cancel their tasks");
            w.tr_data("jm", "crash", text, EventData::Crash { restart_after_ms: Some(*restart_after_ms) });
            // TaskManagers lose their leader and cancel every task.
            let keys: Vec<_> = w.wake.live_tasks.iter().copied().collect();
            for k in keys {
                w.tasks.cancelled.insert(k, ());
                w.notify_task(k, WakeCause::Cancel);
            }
        });
        let h = handle.clone();
        let delay = *restart_after_ms;
        madsim::task::spawn_local(async move {
            sleep(Duration::from_millis(delay.max(1))).await;
            h.restart(jm_node);
        });
    }
}
