//! The JobManager host: the node loop around the core's `JobMaster`, HA resumption and routing its outputs to TaskManagers, storage and the client.

use super::*;

// ------------------------------------------------------------------ JobManager

pub(super) async fn jm_main(s: Shared, seed: u64) {
    let mut host = JmHost::start(s, seed).await;
    loop {
        host.step().await;
    }
}

/// The JobManager node's state between steps: the core's `JobMaster` of the current job, its
/// parameters (a `restore-retained` job starts from them), the HA epoch of its attempts, and the
/// heartbeat monitor (per TaskManager: last heartbeat time and incarnation; those judged lost).
struct JmHost {
    s: Shared,
    seed: u64,
    clock: SimClock,
    jm: JobMaster,
    base_params: JobParams,
    epoch: u64,
    inbox: VecDeque<(Addr, Msg)>,
    last_hb: BTreeMap<u32, (u64, u64)>,
    lost: BTreeSet<u32>,
    hb_timeout: u64,
    /// The planted `lost-tm-forgotten`: a TaskManager judged lost is never watched again.
    forgetful: bool,
    /// The acknowledgement the message being handled carried, for `route_jm_outputs`.
    ack: Option<(CheckpointId, TaskId, Attempt, AckShape)>,
}

impl JmHost {
    /// A (re)started JobManager: a new epoch, HA recovery of the latest completed checkpoint
    /// and the checkpoint id counter, the first start's latency, the job started.
    async fn start(s: Shared, seed: u64) -> JmHost {
        let (params, restore, epoch, next_checkpoint_id) = s.with(|w| jm_epoch_start(w, seed));
        let base_params = params.clone();
        let mut jm = JobMaster::new(params);
        jm.report_queue_changes();
        jm.report_store_changes();
        s.with(super::gates::forget);
        if epoch > 1 {
            // HA: the checkpoint id counter survives the JobManager.
            jm.recover_checkpoint_id_counter(next_checkpoint_id);
        }
        s.with(|w| w.obs.restart_description = jm.restart_strategy().describe());
        let clock = s.with(|w| w.clock.clone());
        let first_start_ms = s.with(|w| if epoch == 1 { w.latencies.first_start_ms } else { 0 });
        if first_start_ms > 0 {
            sleep(Duration::from_millis(first_start_ms)).await;
        }
        let start = clock.now();
        if epoch > 1 {
            jm.start_recovered(start, restore);
        } else {
            jm.start(start, restore);
        }
        let hb_timeout = s.with(|w| w.spec.cluster.heartbeat_timeout_ms);
        let tms = s.with(|w| w.spec.cluster.task_managers.max(1));
        let last_hb = (0..tms).map(|tm| (tm, (start, 0))).collect();
        let (inbox, lost) = (VecDeque::new(), BTreeSet::new());
        let forgetful = s.with(|w| w.spec.variant == ckptsim::Variant::LostTmForgotten);
        JmHost { s, seed, clock, jm, base_params, epoch, inbox, last_hb, lost, hb_timeout, forgetful, ack: None }
    }

    /// One step: the due messages, each with the outputs it caused; the heartbeat monitor;
    /// the JobMaster's timers and the storage status; then sleep until the next of them.
    async fn step(&mut self) {
        let now = self.clock.now();
        self.s.with(|w| w.take_due(JM, &mut self.inbox));
        while let Some((_from, msg)) = self.inbox.pop_front() {
            self.handle(now, msg);
            // Route what this message caused now: a message for a TaskManager goes to the
            // incarnation known at the time (a heartbeat of a new one may come next).
            let ack = self.ack.take();
            let routed = route_jm_outputs(&self.s, &mut self.jm, now, self.epoch, &self.last_hb, ack);
            self.s.with(|w| super::gates::asking(w, None));
            if !self.forgetful {
                rearm(&mut self.lost, &mut self.last_hb, now, &routed.deployed);
            }
        }
        // Heartbeat monitor.
        let jm = &mut self.jm;
        for (&tm, &(at, _)) in self.last_hb.iter() {
            if now > at + self.hb_timeout && !self.lost.contains(&tm) {
                self.lost.insert(tm);
                self.s.with(|w| w.tr_typed("jm", "tm-lost", EventData::TmLost { tm }));
                jm.handle_tm_lost(now, TmId(tm));
            }
        }
        let due = jm.poll_timeout();
        let fired = due.is_some_and(|t| t <= now);
        if fired {
            jm.handle_timeout(now);
        }
        let storage_up = self.s.with(|w| w.faults.storage_up && w.reaches(JM, STORAGE));
        let storage_changed = jm.coordinator().storage_available() != storage_up;
        jm.handle_storage_status(now, storage_up);
        let routed = route_jm_outputs(&self.s, jm, now, self.epoch, &self.last_hb, None);
        if !self.forgetful {
            rearm(&mut self.lost, &mut self.last_hb, now, &routed.deployed);
        }
        // The JobMaster's next timeout: `due` still, unless a handler ran since (draining its
        // outputs changes no deadline); one `poll_timeout` scan less per step.
        let unchanged = !fired && !storage_changed && !routed.resumed;
        let jm_next = if unchanged { due } else { jm.poll_timeout() };
        if CHECK_EACH_STEP {
            assert_eq!(jm_next, jm.poll_timeout(), "the JobMaster's deadline moved without a handler");
        }
        // The next heartbeat timeout of a TaskManager not yet judged lost (a lost one's timeout
        // is past: counting it woke this loop every millisecond while a partition or a crashed
        // process kept its heartbeats away, for nothing).
        let (lost, hb_timeout) = (&self.lost, self.hb_timeout);
        let hb_next =
            self.last_hb.iter().filter(|(tm, _)| !lost.contains(tm)).map(|(_, (at, _))| at + hb_timeout + 1).min();
        let (deadline, cause) = self.s.with(|w| {
            let at = [
                (jm_next, WakeCause::JmTimer),
                (hb_next, WakeCause::HeartbeatTimeout),
                (w.next_arrival(JM), WakeCause::Message),
            ];
            earliest(at)
        });
        wait(&self.s, Sleeper::Node(JM), deadline.map(|d| d.max(now)), cause).await;
    }

    /// One message to the JobManager (attempts of another epoch are dropped).
    fn handle(&mut self, now: u64, msg: Msg) {
        let (jm, epoch) = (&mut self.jm, self.epoch);
        match msg {
            Msg::TaskState { task, attempt, state, cause } => {
                if state == ExecutionState::Canceled {
                    let call = super::observe::RetryCall::CanceledReported { at_ms: now, task, attempt };
                    self.s.with(|w| w.obs.notes.retry_calls.push(call));
                }
                if let Some(attempt) = from_world(epoch, attempt) {
                    jm.handle_task_state(now, task, attempt, state, cause)
                }
            }
            Msg::Ack { task, attempt, id, snapshot } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    // Recorded with this message's outputs (`route_jm_outputs`), before them.
                    self.ack = Some((id, task, attempt, AckShape::of(&snapshot)));
                    jm.handle_ack(now, task, attempt, id, snapshot)
                }
            }
            Msg::Decline { task, attempt, id, reason } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    jm.handle_decline(now, task, attempt, id, reason)
                }
            }
            Msg::TriggerAck { task, attempt, id, .. } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    jm.handle_trigger_answer(now, task, attempt, id)
                }
            }
            Msg::TriggerFailed { task, attempt, id, .. } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    // Recorded for the `coordinator` checker when the JobMaster takes it (the
                    // task's current attempt): the checkpoint must end now.
                    if jm.execution(task).0 == attempt {
                        self.s.with(|w| w.obs.failed_triggers.push(FailedTrigger { arrived_ms: now, task, id }));
                    }
                    jm.handle_trigger_failure(now, task, attempt, id, CheckpointFailureReason::TaskCheckpointFailure)
                }
            }
            Msg::EndOfData { task, attempt } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    jm.handle_end_of_data(now, task, attempt);
                }
            }
            Msg::CancelAck { task, attempt } => {
                if let Some(attempt) = from_world(epoch, attempt) {
                    jm.handle_cancel_ack(now, task, attempt)
                }
            }
            Msg::Heartbeat { tm, incarnation, running } => self.heartbeat(now, tm, incarnation, &running),
            Msg::Action(a) => self.action(now, a),
            Msg::GateCheckpoint { gate } => {
                self.s.with(|w| super::gates::asking(w, Some(gate)));
                self.action(now, ActionSpec::TriggerCheckpoint);
            }
            _ => {}
        }
    }

    /// A TaskManager's heartbeat: answered, its time and incarnation kept (a new incarnation
    /// means the old process is gone), its running attempts reconciled (flink-2.3).
    fn heartbeat(&mut self, now: u64, tm: u32, incarnation: u64, running: &[(TaskId, Attempt)]) {
        self.s.with(|w| w.send_to(JM, tm_addr(tm), incarnation, Msg::HeartbeatReply));
        let prev = self.last_hb.insert(tm, (now, incarnation));
        if let Some((_, inc)) = prev {
            let forgotten = self.forgetful && self.lost.contains(&tm);
            if inc != 0 && inc != incarnation && !forgotten {
                // A new TaskManager process registered under this slot: the old one
                // is gone, with its executions. First, so that the report below
                // judges only what was deployed to the new process. Also when the old
                // process was already judged lost: executions deployed to it after that
                // judgement (it had re-registered) died with it (`handle_tm_lost` fails
                // only executions not yet terminal).
                self.jm.handle_tm_lost(now, TmId(tm));
            } else if inc == 0 && incarnation > 1 && !forgotten {
                self.executions_of_gone_process(now, tm, incarnation);
            }
        }
        self.lost.remove(&tm);
        let epoch = self.epoch;
        let mine: Vec<(TaskId, Attempt)> =
            running.iter().filter_map(|&(t, a)| from_world(epoch, a).map(|a| (t, a))).collect();
        self.jm.handle_tm_report(now, TmId(tm), &mine);
    }

    /// The first heartbeat this JobManager hears from TaskManager `tm` comes from process
    /// `incarnation` (2 or later) while it may have deployed to an earlier one (its monitor
    /// never heard that one: heartbeats cut, or it crashed first). The executions whose
    /// deployment an earlier process received are gone with it: they fail as Flink fails them
    /// when the old TaskManager's heartbeat times out (`disconnectTaskManager`). Without this,
    /// a cancel that process acknowledged but never reported left them CANCELING for ever and
    /// the job RESTARTING (swarm seed 2600 of `rescale/stop-print-1.11`, caught by `liveness`).
    fn executions_of_gone_process(&mut self, now: u64, tm: u32, incarnation: u64) {
        let epoch = self.epoch;
        let gone: Vec<(TaskId, Attempt)> = self
            .jm
            .tasks()
            .iter()
            .filter(|t| t.tm == TmId(tm))
            .map(|t| (t.id, self.jm.execution(t.id)))
            .filter(|(_, (_, state))| !state.is_terminal())
            .filter_map(|(task, (attempt, _))| {
                let world = to_world(epoch, attempt)?;
                let on = self.s.with(|w| w.net.deployed_on.get(&(task, world)).copied());
                on.is_some_and(|on| on < incarnation).then_some((task, attempt))
            })
            .collect();
        for (task, attempt) in gone {
            let cause = Some(format!("TaskManager tm{tm} lost: its process {} is gone", incarnation - 1));
            self.jm.handle_task_state(now, task, attempt, ExecutionState::Failed, cause);
        }
    }

    /// A user action from the client: re-tune, cancel, savepoint, manual checkpoint, or a new
    /// job (`restore-retained`, `stop-with-savepoint` then `rescale`).
    fn action(&mut self, now: u64, a: ActionSpec) {
        let (s, seed, jm) = (&self.s, self.seed, &mut self.jm);
        match a {
            ActionSpec::Retune(r) => {
                let res = jm.retune(now, &r);
                s.with(|w| {
                    let data =
                        EventData::Retune { request: r.clone(), rejected: res.as_ref().err().map(|e| e.to_string()) };
                    let text = data.detail().expect("a typed re-tune");
                    w.tr_typed("jm", "retune", data);
                    w.obs.retunes.push((now, text));
                    w.obs.final_checkpoint_config = jm.coordinator().config().clone();
                });
            }
            ActionSpec::Cancel => jm.cancel(now),
            ActionSpec::Savepoint => jm.request_checkpoint(now, RequestKind::Savepoint),
            ActionSpec::TriggerCheckpoint => jm.request_checkpoint(now, RequestKind::Manual),
            ActionSpec::RestoreRetained => {
                if let Some(new_jm) = resume_retained(s, seed, &self.base_params, jm.status(), now) {
                    *jm = new_jm;
                    self.epoch = s.with(|w| w.jm_epoch);
                }
            }
            ActionSpec::StopWithSavepoint { drain } => {
                s.with(|w| super::rescale::request_stop(w, now, drain));
                let mode = if drain { StopMode::Drain } else { StopMode::NoDrain };
                jm.stop_with_savepoint(now, mode);
            }
            ActionSpec::Rescale(r) => {
                if let Some((new_jm, params)) = super::rescale::resume_rescaled(s, seed, &r, jm.status(), now) {
                    *jm = new_jm;
                    self.base_params = params;
                    self.epoch = s.with(|w| w.jm_epoch);
                }
            }
        }
    }
}

/// A JobManager process starts (one world step): a new epoch, its JobMaster's parameters and
/// randomness, and with HA (epoch > 1) the latest completed checkpoint from storage, traced and
/// recorded as a restore. Returns the parameters, the checkpoint, the epoch and the durable
/// checkpoint id counter.
fn jm_epoch_start(w: &mut World, seed: u64) -> (JobParams, Option<Arc<CompletedCheckpoint>>, u64, CheckpointId) {
    w.jm_epoch += 1;
    w.net.alive.insert(JM, true);
    clear_inbox(w, JM);
    let params = w.spec.job_params(w.graph.tasks.clone(), stream(seed, 2 + w.jm_epoch).random());
    // HA: a restarted JobManager recovers the latest completed checkpoint its store held. Since
    // 1.15 a savepoint never enters the completed-checkpoint store (Flink's
    // `CheckpointCoordinator#completePendingCheckpoint` adds only checkpoints, and a restored
    // savepoint), so the HA store's latest is the newest checkpoint before it.
    let in_store = |c: &&Arc<CompletedCheckpoint>| {
        !c.is_savepoint() || c.external || w.spec.profile.savepoints_in_completed_store()
    };
    // The planted `ha-recovers-previous`: the newest completed checkpoint is not recovered.
    let skip = usize::from(w.spec.variant == ckptsim::Variant::HaRecoversPrevious);
    let restore = if w.jm_epoch > 1 {
        w.services.storage_completed.iter().rev().filter(in_store).nth(skip).cloned()
    } else {
        None
    };
    let epoch = w.jm_epoch;
    if epoch > 1 {
        let now = w.now();
        w.obs.status_timeline.push((now, JobStatus::Created));
    }
    w.tr_typed("jm", "jm-start", EventData::JmStart { epoch, restore: restore.as_ref().map(|c| c.id) });
    if w.jm_epoch > 1 {
        let now = w.now();
        w.record_restore(now, RestoreCause::JobManagerFailover { epoch }, restore.as_ref().map(|c| c.id));
    }
    (params, restore, epoch, w.services.next_checkpoint_id)
}

/// The `restore-retained` action: once the job has ended, a new job of the same graph starts
/// from the newest checkpoint (or savepoint) the old one retained (Flink: submitting with
/// `execution.state-recovery.path` / `-s`). Its attempts get a new epoch, so the old job's late
/// messages are dropped; its checkpoint ids continue from the durable counter (a real new job
/// continues from the restored id + 1; here ids stay unique across the run's jobs). Returns the
/// started JobMaster, or None (traced) when the job still runs or nothing was retained.
pub(super) fn resume_retained(
    s: &Shared,
    seed: u64,
    base: &JobParams,
    status: JobStatus,
    now: u64,
) -> Option<JobMaster> {
    let restore = s.with(|w| {
        if !status.is_terminal() {
            w.tr("jm", "resume", format!("restore-retained ignored: the job is still {status}"));
            return None;
        }
        let Some(cp) = super::rescale::restorable(w) else {
            w.tr("jm", "resume", "restore-retained ignored: no checkpoint was retained".into());
            return None;
        };
        w.jm_epoch += 1;
        w.rescale.job_started_ms = now;
        w.obs.status_timeline.push((now, JobStatus::Created));
        w.tr("jm", "resume", format!("new job (epoch {}) from retained checkpoint {}", w.jm_epoch, cp.id));
        w.record_restore(now, RestoreCause::Retained { checkpoint: cp.id }, Some(cp.id));
        Some(cp)
    })?;
    let (epoch, next_id) = s.with(|w| (w.jm_epoch, w.services.next_checkpoint_id));
    let mut params = base.clone();
    params.random_seed = stream(seed, 2 + epoch).random();
    let mut jm = JobMaster::new(params);
    jm.report_queue_changes();
    jm.report_store_changes();
    s.with(super::gates::forget);
    jm.recover_checkpoint_id_counter(next_id);
    jm.start(now, Some(restore));
    Some(jm)
}

/// The world's number of JobMaster attempt `a` of `epoch`, or `None` beyond the numbering.
pub(super) fn to_world(epoch: u64, a: Attempt) -> Option<Attempt> {
    if a.0 >= EPOCH_STRIDE {
        return None;
    }
    let base = u32::try_from(epoch).ok()?.checked_mul(EPOCH_STRIDE)?;
    base.checked_add(a.0).map(Attempt)
}

/// The JobMaster deployed to these TaskManagers: one judged lost is watched again from now.
/// Flink deploys only into slots a registered TaskManager offered, so a deployment to a
/// TaskManager means it registered again, and its heartbeat target is monitored again
/// (`JobMaster.registerTaskManager`, `HeartbeatManagerImpl.monitorTarget`). Without this, an
/// execution deployed to a TaskManager the JobManager had judged lost was never failed when
/// that process died before its next heartbeat (the job stayed RUNNING with a dead task and
/// every later checkpoint expired: swarm seed 6764 of `faults/partition-tm-sink-store`).
fn rearm(lost: &mut BTreeSet<u32>, last_hb: &mut BTreeMap<u32, (u64, u64)>, now: u64, deployed: &[u32]) {
    for tm in deployed {
        if lost.remove(tm) {
            if let Some(hb) = last_hb.get_mut(tm) {
                hb.0 = now;
            }
        }
    }
}

/// The JobMaster attempt of a world attempt, or None when it belongs to another epoch.
pub(super) fn from_world(epoch: u64, a: Attempt) -> Option<Attempt> {
    (a.0 / EPOCH_STRIDE == epoch as u32).then_some(Attempt(a.0 % EPOCH_STRIDE))
}

/// `known`: per TaskManager, the incarnation the JobManager last heard from (its messages go to
/// that process; 0 before the first heartbeat). `ack`: the acknowledgement (of the JobManager's
/// current attempts) that caused these outputs, recorded first (`acks.rs`). Returns the
/// TaskManagers deployed to, in order, and whether the JobMaster resumed after a failed stop.
pub(super) fn route_jm_outputs(
    s: &Shared,
    jm: &mut JobMaster,
    now: u64,
    epoch: u64,
    known: &BTreeMap<u32, (u64, u64)>,
    ack: Option<(CheckpointId, TaskId, Attempt, AckShape)>,
) -> Routed {
    let inc = |tm: TmId| known.get(&tm.0).map_or(0, |&(_, i)| i);
    let mut deployed = Vec::new();
    s.with(|w| {
        if let Some((id, task, attempt, shape)) = ack {
            w.obs.acks.ack(epoch, id, task, attempt, shape);
        }
        while let Some(out) = jm.poll_output() {
            if let JobOutput::Deploy { tm, .. } = &out {
                deployed.push(tm.0);
            }
            match out {
                JobOutput::Deploy { .. }
                | JobOutput::Cancel { .. }
                | JobOutput::Trigger { .. }
                | JobOutput::NotifyComplete { .. }
                | JobOutput::NotifyAborted { .. } => send_rpc(w, out, epoch, &inc),
                JobOutput::Checkpoint(c) => route_checkpoint_output(w, jm, c, now, epoch),
                out => note_job_output(w, out, now),
            }
        }
    });
    if s.with(|w| std::mem::take(&mut w.rescale.stop_failed)) {
        jm.resume_after_failed_stop(now);
        deployed.extend(route_jm_outputs(s, jm, now, epoch, known, None).deployed);
        return Routed { deployed, resumed: true };
    }
    Routed { deployed, resumed: false }
}

/// What routing the JobMaster's outputs did besides sending them (`route_jm_outputs`).
pub(super) struct Routed {
    /// The TaskManagers deployed to, in order.
    pub(super) deployed: Vec<u32>,
    /// The JobMaster resumed after a failed stop-with-savepoint (a handler ran: its deadlines
    /// may have moved).
    pub(super) resumed: bool,
}

/// The JobMaster's RPCs to a TaskManager (to the incarnation `inc` names), its attempts in the
/// world's numbering; a deployment fires the anchors on it.
fn send_rpc(w: &mut World, out: JobOutput, epoch: u64, inc: &impl Fn(TmId) -> u64) {
    let attempt = match &out {
        JobOutput::Deploy { attempt, .. }
        | JobOutput::Cancel { attempt, .. }
        | JobOutput::Trigger { attempt, .. }
        | JobOutput::NotifyComplete { attempt, .. }
        | JobOutput::NotifyAborted { attempt, .. } => *attempt,
        _ => return,
    };
    let Some(attempt) = to_world(epoch, attempt) else {
        let now = w.now();
        w.budget.exhaust_attempts(now);
        return;
    };
    match out {
        JobOutput::Deploy { task, attempt: number, tm, restore } => {
            let number = number.0;
            w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Deploy { task, attempt, restore, epoch });
            w.fire_anchor(&FaultAt::Deploying { attempt: number });
        }
        JobOutput::Cancel { task, attempt: _, tm } => {
            let at_ms = w.now();
            w.obs.notes.retry_calls.push(super::observe::RetryCall::CancelSent { at_ms, task, attempt });
            w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Cancel { task, attempt })
        }
        JobOutput::Trigger { task, attempt: _, tm, barrier } => {
            let sent_ms = w.now();
            w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::Trigger { task, attempt, barrier, sent_ms })
        }
        JobOutput::NotifyComplete { task, attempt: _, tm, id } => {
            let now = w.now();
            if w.obs.notes.notified_complete.last().is_none_or(|l| l.1 != id) {
                w.obs.notes.notified_complete.push((now, id));
            }
            w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::NotifyComplete { task, attempt, id })
        }
        JobOutput::NotifyAborted { task, attempt: _, tm, id } => {
            w.send_to(JM, tm_addr(tm.0), inc(tm), Msg::NotifyAborted { task, attempt, id })
        }
        // Not an RPC (`route_jm_outputs` routes only RPCs here).
        _ => {}
    }
}

/// An execution entered or left CANCELING in the JobMaster (attempt in its numbering): recorded
/// for the retry rule (`check/retry_counts.rs` counts the cancel RPCs sent while CANCELING).
fn note_canceling(
    w: &mut World,
    now: u64,
    (task, attempt): (TaskId, Attempt),
    (from, to): (ExecutionState, ExecutionState),
) {
    let Some(attempt) = to_world(w.jm_epoch, attempt) else { return };
    if let Some(call) = super::observe::RetryCall::canceling(now, (task, attempt), (from, to)) {
        w.obs.notes.retry_calls.push(call);
    }
}

/// The JobMaster took `task`'s `attempt` as CANCELED after `calls` unacknowledged cancel calls:
/// traced (the `restart` checker's retry rule judges what the world saw instead, the RPCs sent
/// and the attempt's CANCELING -> CANCELED without an answer: `check/retry_counts.rs`).
fn note_cancel_gave_up(w: &mut World, task: TaskId, attempt: Attempt, calls: u32) {
    let name = w.graph.tasks[task.0 as usize].name.clone();
    w.tr(
        "jm",
        "cancel-failed",
        format!("{name} #{attempt}: {calls} cancel calls unacknowledged: task could not be canceled"),
    );
}

/// The job's and its tasks' status changes, restarts and restores, traced and recorded.
fn note_job_output(w: &mut World, out: JobOutput, now: u64) {
    match out {
        JobOutput::JobStatusChanged { from, to, cause } => {
            w.obs.status = to;
            w.obs.status_timeline.push((now, to));
            w.tr_data(
                "jm",
                "job",
                format!("{from} -> {to}{}", cause.map(|c| format!(" ({c})")).unwrap_or_default()),
                EventData::Job { from, to },
            );
            super::rescale::on_status_changed(w, to);
        }
        JobOutput::TaskStateChanged { task, attempt, from, to } => {
            let name = w.graph.tasks[task.0 as usize].name.clone();
            let epoch = w.jm_epoch;
            w.obs.acks.task_state(epoch, now, task, attempt, to);
            note_canceling(w, now, (task, attempt), (from, to));
            w.tr_typed("jm", "task", EventData::Transition { task, name: name.clone(), attempt, from, to });
            w.obs.task_transitions.push((now, name, from, to));
        }
        JobOutput::RestartScheduled { at_ms, backoff_ms, failure, cause } => {
            w.obs.restart_schedule.push((now, failure, backoff_ms));
            w.tr_data(
                "jm",
                "failure",
                format!("#{failure} restart at {at_ms} (backoff {backoff_ms} ms): {cause}"),
                EventData::Failure { failure, backoff_ms: Some(backoff_ms), cause },
            );
        }
        JobOutput::RestartSuppressed { failure, cause } => {
            w.tr_data(
                "jm",
                "failure",
                format!("#{failure} restart suppressed: {cause}"),
                EventData::Failure { failure, backoff_ms: None, cause },
            );
        }
        JobOutput::CancelGaveUp { task, attempt, calls } => note_cancel_gave_up(w, task, attempt, calls),
        JobOutput::Restored { checkpoint, attempt } => {
            w.obs.restarts += 1;
            w.record_restore(now, RestoreCause::Restart { attempt: attempt.0 }, checkpoint);
            w.tr_typed("jm", "restore", EventData::Restore { attempt, checkpoint });
        }
        JobOutput::RegionRestored { checkpoint, attempt, tasks } => {
            // A regional failover (§1.7): a restart of the region's tasks only. Recorded as a
            // restart whose offsets and keyed state are the region's; the trace names the tasks.
            w.obs.restarts += 1;
            w.record_restore_of(now, RestoreCause::Restart { attempt: attempt.0 }, checkpoint, Some(&tasks));
            let names: Vec<String> = tasks.iter().map(|t| w.graph.tasks[t.0 as usize].name.clone()).collect();
            w.obs.region_restores.push((now, attempt, tasks));
            w.tr("jm", "region-restore", format!("region of {} tasks: {}", names.len(), names.join(", ")));
            w.tr_typed("jm", "restore", EventData::Restore { attempt, checkpoint });
        }
        JobOutput::Terminated { status, retained } => {
            w.tr(
                "jm",
                "terminated",
                format!("{status} retained={:?}", retained.iter().map(|c| c.id.0).collect::<Vec<_>>()),
            );
            w.services.retained = retained;
        }
        // RPCs and checkpoint outputs are routed by `route_jm_outputs`.
        _ => {}
    }
}

/// The checkpoint coordinator's outputs: triggers, completions, aborts, refused requests, the
/// scheduler, failures counted toward the tolerable limit, discarded checkpoints.
fn route_checkpoint_output(w: &mut World, jm: &JobMaster, c: CoordinatorOutput, now: u64, epoch: u64) {
    match c {
        CoordinatorOutput::Trigger { id, timestamp_ms, kind, alignment, stop, periodic } => {
            note_trigger(w, now, id, timestamp_ms, kind, alignment, stop);
            w.checkpoint_row(id).periodic = periodic;
            super::gates::on_trigger(w, id, kind, periodic);
        }
        CoordinatorOutput::Completed(cp) => note_completed(w, jm, &cp, now),
        CoordinatorOutput::Aborted { id, reason, trigger_ms, kind, periodic } => {
            w.services.next_checkpoint_id = w.services.next_checkpoint_id.max(id.next());
            w.obs.acks.aborted(id);
            // (The row by field, beside `end_seq`.)
            let row = w.obs.checkpoints.row(id);
            // A checkpoint that failed while being triggered (e.g. storage down) has
            // no Trigger output: its row is created here and needs the trigger time.
            row.trigger_ms = trigger_ms;
            row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
            // Such a row's request was held to the min pause too (the `coordinator` checker).
            row.periodic = periodic;
            if row.end_ms.is_none() {
                row.end_ms = Some(now);
                row.outcome = reason.name().to_string();
                row.end_seq = next_end_seq(&mut w.obs.end_seq, now);
            }
            w.tr_typed("jm", "abort", EventData::Abort { id, reason });
            if kind == ckptsim::record::CheckpointKind::Savepoint {
                super::rescale::on_savepoint_failed(w, Some(trigger_ms));
            } else {
                super::gates::on_aborted(w, id, now);
            }
        }
        CoordinatorOutput::RequestFailed { request, reason } => {
            w.tr_data("jm", "rejected", format!("{request:?} request: {reason}"), EventData::Rejected);
            let now = w.now();
            match w.obs.rejections.last_mut() {
                Some(last) if last.2 == reason => last.1 = now,
                _ => w.obs.rejections.push((now, now, reason)),
            }
            if request == RequestKind::Savepoint {
                super::rescale::on_savepoint_failed(w, None);
            } else if request == RequestKind::Manual {
                super::gates::on_request_failed(w, now);
            }
        }
        CoordinatorOutput::Queue { request, change } => {
            super::gates::on_queue(w, request, change, now);
            let epoch = u32::try_from(epoch).unwrap_or(u32::MAX);
            w.obs.requests.push(RequestEvent { time_ms: now, epoch, request, change });
        }
        CoordinatorOutput::Stored { added, removed } => {
            let epoch = u32::try_from(epoch).unwrap_or(u32::MAX);
            w.obs.stores.push(StoreEvent { time_ms: now, epoch, added, removed });
        }
        CoordinatorOutput::SchedulerStarted { first_trigger_at_ms } => {
            w.tr("jm", "scheduler", format!("started, first trigger at {first_trigger_at_ms}"));
        }
        CoordinatorOutput::SchedulerStopped => w.tr("jm", "scheduler", "stopped".into()),
        CoordinatorOutput::FailJob(f) if f.sync_savepoint => w.tr(
            "jm",
            "stop",
            format!("synchronous savepoint {} failed ({}): the job fails", f.id.map_or(0, |i| i.0), f.reason),
        ),
        CoordinatorOutput::FailJob(f) => {
            w.tr_typed("jm", "tolerable", EventData::Tolerable { id: f.id, reason: f.reason })
        }
        CoordinatorOutput::Discarded { id } => w.tr_typed("storage", "discard", EventData::Discarded { id }),
        CoordinatorOutput::NotifyComplete { .. }
        | CoordinatorOutput::NotifyAborted { .. }
        | CoordinatorOutput::TriggerMasterHooks { .. } => {}
    }
}

/// A checkpoint triggered: the durable id counter, its row, the trace line, the anchors on it.
fn note_trigger(
    w: &mut World,
    now: u64,
    id: CheckpointId,
    timestamp_ms: u64,
    kind: ckptsim::record::CheckpointKind,
    alignment: ckptsim::record::Alignment,
    stop: Option<StopMode>,
) {
    w.services.next_checkpoint_id = w.services.next_checkpoint_id.max(id.next());
    let seq = next_end_seq(&mut w.obs.end_seq, now);
    let row = w.checkpoint_row(id);
    row.trigger_ms = timestamp_ms;
    row.trigger_seq = seq;
    row.savepoint = kind == ckptsim::record::CheckpointKind::Savepoint;
    row.synchronous = stop.is_some();
    let kind = match kind {
        ckptsim::record::CheckpointKind::Checkpoint => "Checkpoint",
        ckptsim::record::CheckpointKind::Savepoint => "Savepoint",
    };
    let alignment: std::borrow::Cow<'static, str> = match alignment {
        ckptsim::record::Alignment::AtLeastOnce => "AtLeastOnce".into(),
        ckptsim::record::Alignment::Aligned => "Aligned".into(),
        ckptsim::record::Alignment::Unaligned => "Unaligned".into(),
        a @ (ckptsim::record::Alignment::AlignedWithTimeout { .. }
        | ckptsim::record::Alignment::ForcedAligned { .. }) => format!("{a:?}").into(),
    };
    let sync = match stop {
        None => "",
        Some(StopMode::NoDrain) => " synchronous",
        Some(StopMode::Drain) => " synchronous drain",
    };
    let text = w.detail().s("id=").n(id.0).s(" ").s(kind).s(" ").s(&alignment).s(sync).0;
    w.tr_data("jm", "trigger", text, EventData::Trigger { id });
    // The tasks it waits for, fixed now (after the trace line: nothing here is traced).
    let (epoch, vertex_of) = (w.jm_epoch, w.graph.tasks.iter().map(|t| t.vertex).collect());
    let finished_excluded = w.spec.profile.checkpoints_after_tasks_finish();
    w.obs.acks.trigger(epoch, id, vertex_of, finished_excluded);
    w.fire_anchor(&FaultAt::Triggered { checkpoint: id.0 });
}

/// A checkpoint completed: its sources' offsets and in-flight inputs, its row, the trace line,
/// checkpoint storage (pruned to what can still be restored), the anchors on it.
fn note_completed(w: &mut World, jm: &JobMaster, cp: &Arc<CompletedCheckpoint>, now: u64) {
    let offsets = source_offsets(w, cp);
    w.obs.completed_offsets.insert(cp.id, offsets);
    let in_flight = in_flight_inputs(cp);
    if !in_flight.is_empty() {
        w.obs.completed_in_flight.insert(cp.id, in_flight);
    }
    let seq = next_end_seq(&mut w.obs.end_seq, now);
    let acks = w.obs.acks.completed(cp.id);
    let row = w.checkpoint_row(cp.id);
    row.acks = acks;
    row.end_ms = Some(now);
    row.end_seq = seq;
    row.outcome = "COMPLETED".into();
    row.size_bytes = cp.size_bytes;
    let detail = w.detail().s("id=").n(cp.id.0).s(" size=").n(cp.size_bytes).s("B").0;
    w.tr("jm", "complete", detail);
    super::rescale::on_completed(w, cp);
    w.services.storage_completed.push(cp.clone());
    prune_storage(&mut w.services.storage_completed, jm);
    w.fire_anchor(&FaultAt::Acked { checkpoint: cp.id.0 });
    w.fire_anchor(&FaultAt::Completed { checkpoint: cp.id.0 });
}

/// Checkpoint storage keeps what can still be restored: the checkpoints the JobManager's
/// completed-checkpoint store retains (a restart restores one of them) and the newest one (a
/// new JobManager epoch recovers it), as Flink's HA store keeps only `num-retained`
/// (`DefaultCompletedCheckpointStore`). Keeping every completed checkpoint made a long run's
/// memory grow with its checkpoints (one virtual hour at a 10 ms interval: 360,000 snapshots).
fn prune_storage(storage: &mut Vec<Arc<CompletedCheckpoint>>, jm: &JobMaster) {
    let store = jm.coordinator().store();
    if storage.len() <= store.len() + 1 {
        return;
    }
    // The store holds `num-retained` entries (1 by default): a scan of a few beats a set built
    // at every completion.
    let keep: Option<BTreeSet<CheckpointId>> =
        (store.len() > 8).then(|| store.retained().iter().map(|c| c.id).collect());
    let last = storage.len() - 1;
    let mut i = 0;
    // A savepoint belongs to the user: Flink never discards it (a 2.x savepoint is not even in
    // the store, a 1.11 one is not discarded when subsumed), so `restore-retained` and a
    // rescale can start from it after later checkpoints completed.
    storage.retain(|c| {
        let held = keep.as_ref().map_or_else(|| store.holds(c.id), |k| k.contains(&c.id));
        let kept = i == last || held || c.is_savepoint();
        i += 1;
        kept
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_numbering_round_trips_and_names_its_limits() {
        // A JobMaster's attempts of one epoch map to the world and back, and no other epoch
        // claims them (the old epoch's late messages are dropped).
        for epoch in [0u64, 1, 7, 4_293] {
            for a in [0u32, 1, 9_999, 10_000, 10_004, EPOCH_STRIDE - 1] {
                let w = to_world(epoch, Attempt(a)).expect("within the numbering");
                assert_eq!(from_world(epoch, w), Some(Attempt(a)), "epoch {epoch} attempt {a}");
                assert_eq!(from_world(epoch + 1, w), None);
                if epoch > 0 {
                    assert_eq!(from_world(epoch - 1, w), None);
                }
            }
        }
        // Attempt 10,000 of a JobMaster (the session-9 swarm run of 001-kafka-offsets, seed
        // 5064, whose 10,000th restart was lost) is a world attempt of its own epoch.
        assert_eq!(to_world(2, Attempt(10_000)), Some(Attempt(2 * EPOCH_STRIDE + 10_000)));
        // Beyond the numbering: no world attempt (the world stops the run, it never aliases
        // another epoch's attempt).
        assert_eq!(to_world(0, Attempt(EPOCH_STRIDE)), None);
        assert_eq!(to_world(u64::from(u32::MAX / EPOCH_STRIDE) + 1, Attempt(0)), None);
        assert_eq!(to_world(u64::from(u32::MAX), Attempt(0)), None);
    }
}
