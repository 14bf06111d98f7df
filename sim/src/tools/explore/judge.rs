//! The explorer's verdicts: a state seen as a simulation run's result, judged by the same checkers, and the liveness judgement of a state with no way forward.

use super::gates;
use super::*;

/// The events the checkers read, in time order (failures before triggers at equal times), as a
/// JobManager trace.
fn checker_trace(sys: &Sys) -> Trace {
    let mut trace = Trace::default();
    let mut events: Vec<(u64, &'static str, String, EventData)> = Vec::new();
    for (t, detail, data) in &sys.obs.failures {
        events.push((*t, "failure", detail.clone(), data.clone()));
    }
    for (t, id) in &sys.obs.triggers {
        events.push((*t, "trigger", format!("id={id}"), EventData::Trigger { id: *id }));
    }
    // Records processed after a stop's savepoint barrier, as the world traces them
    // (`world/task_outputs.rs`): the `stop` checker reads them.
    for (t, task, attempt, r) in &sys.obs.after_stop {
        let data = EventData::RecordAfterStop {
            task: *task,
            attempt: *attempt,
            savepoint: r.savepoint,
            input_seq: r.lineage.input_seq,
        };
        events.push((*t, "after-stop", String::new(), data));
    }
    // The store's discards, as the world traces them (`storage discard`): the `retention`
    // checker's `discarded-not-owned` rule.
    for (t, id) in &sys.obs.discards {
        events.push((*t, "discard", format!("id={}", id.0), EventData::Discarded { id: *id }));
    }
    // The anchored faults' strikes, as the world's chaos loop traces them (`restart` checker).
    for (t, label, data) in &sys.obs.faults {
        events.push((*t, "fault", label.clone(), data.clone()));
    }
    // The accepted re-tunes, as the world's JobManager traces them (session 43).
    for (t, request) in &sys.obs.retunes {
        let data = EventData::Retune { request: request.clone(), rejected: None };
        let detail = data.detail().unwrap_or_default();
        events.push((*t, "retune", detail, data));
    }
    events.sort_by_key(|e| e.0);
    for (t, kind, detail, data) in events {
        let node = match kind {
            "discard" => "storage",
            "fault" => "chaos",
            _ => "jm",
        };
        trace.push_data(t, node, kind, detail, data);
    }
    trace
}

impl Explorer<'_> {
    /// The source offsets (next to read) a completed checkpoint holds, of every source (a job
    /// graph has several; the world reads them the same way, `services.rs`).
    pub(super) fn source_offsets(&self, sys: &Sys, cp: &CompletedCheckpoint) -> BTreeMap<PartitionId, Offset> {
        self.source_offsets_of(sys, cp, None)
    }

    /// [`Explorer::source_offsets`] of the source tasks `only` names (None: every one).
    pub(super) fn source_offsets_of(
        &self,
        sys: &Sys,
        cp: &CompletedCheckpoint,
        only: Option<&[TaskId]>,
    ) -> BTreeMap<PartitionId, Offset> {
        let mut out = BTreeMap::new();
        for t in self.job(sys).graph.source_tasks().into_iter().filter(|t| only.is_none_or(|o| o.contains(t))) {
            if let Some(OperatorState::SourceOffsets(m)) = cp.tasks.get(&t).and_then(|s| s.operators.first()) {
                // A 2.x split still at its committed-offset marker holds no position.
                for (p, o) in m.iter().filter(|(_, o)| **o != ckptsim::source::COMMITTED_MARKER) {
                    let last_read = self.spec.profile.kafka_state_is_last_read();
                    out.insert(*p, if last_read { Offset(o.0.wrapping_add(1)) } else { *o });
                }
            }
        }
        out
    }

    /// The run so far as the checkers read it.
    pub(super) fn run_result(&self, sys: &Sys) -> RunResult {
        let trace = checker_trace(sys);
        // Every sink's subtasks, as the world takes them (a print sink declared after a 2PC sink must
        // not move the horizon the 2PC sink has not reached: `two-source-two-sink.toml`).
        let job = self.job(sys);
        let sink_tasks = job.graph.sink_tasks(&job.spec);
        let mut checkpoints: Vec<CheckpointRow> = sys.obs.checkpoints.values().cloned().collect();
        for row in &mut checkpoints {
            if row.end_ms.is_none() {
                row.outcome = "PENDING".into();
            }
        }
        RunResult {
            seed: 0,
            trace,
            final_status: sys.obs.status,
            restarts: sys.obs.restarts,
            region_restores: sys.obs.region_restores.clone(),
            status_timeline: sys.obs.status_timeline.clone(),
            restart_schedule: sys.obs.restart_schedule.clone(),
            checkpoints,
            print_rows: sys.obs.print_rows.values().flatten().cloned().collect(),
            late_records: sys.obs.late_records.clone(),
            late_snapshots: sys.obs.late_snapshots.clone(),
            assignment_snapshots: sys.obs.assignment_snapshots.clone(),
            join_judgments: sys.obs.join_judgments.clone(),
            join_restores: sys.obs.join_restores.clone(),
            window_assignments: sys.obs.window_assignments.clone(),
            quiesced_windows: sys.obs.quiesced_windows.clone(),
            // The explorer does not record the sources' event-time steps: the windows checker's
            // idle-flush rule has nothing to judge there.
            source_event_time: sys.obs.source_event_time.clone(),
            valve_steps: sys.obs.valve_steps.values().flatten().cloned().collect(),
            committed: OutputRow::committed(&sys.store),
            sink_anomalies: sys.obs.sink_anomalies.clone(),
            open_txns_at_end: sys.store.open_txns().len(),
            sink_commit_horizon: sink_tasks.iter().map(|t| sys.obs.completion_seen.get(t).copied()).min().flatten(),
            offset_commits: sys.obs.offset_commits.values().flatten().cloned().collect(),
            completed_offsets: sys.obs.completed_offsets.clone(),
            lost_inputs: sys.obs.lost_inputs.clone(),
            latest_skipped_on_restart: sys.obs.latest_skipped_on_restart.clone(),
            socket_reads: vec![],
            socket_marks: vec![],
            socket_last_connected_ms: None,
            lost_final_states: vec![],
            // Not recorded (session 38): their one reader here, the 2.x made-up commit horizon
            // (`check/abort_made_up.rs`), judges no explored state (`last_fault_end_ms` is
            // now), and their times split states (`tiny-stop-savepoint` with `--losses 1` went
            // past 400,000 distinct).
            lost_notifications: vec![],
            notified_complete: sys.obs.notified_complete.clone(),
            gate_passes: gates::gate_passes(sys),
            // Not modelled by the explorer (power38's session-38 records): empty.
            gate_waits: sys.obs.gate_waits.clone(),
            retry_calls: sys.obs.retry_calls.values().flatten().copied().collect(),
            lost_triggers: vec![],
            failed_triggers: sys.obs.failed_triggers.clone(),
            lost_abort_notifications: vec![],
            sync_savepoint_snapshots: vec![],
            stop_snapshots: sys.obs.stop_snapshots.clone(),
            stop_notices: sys.obs.stop_notices.clone(),
            finished_restores: sys.obs.finished_restores.clone(),
            dormant_sources: vec![],
            transactions: Default::default(),
            rejections: vec![],
            requests: sys.obs.requests.clone(),
            stores: sys.obs.stores.clone(),
            live_at_end: Default::default(),
            read_inputs: sys.obs.read_inputs,
            retained: sys.obs.retained.clone(),
            last_fault_end_ms: sys.now_ms,
            // Inputs appended after now are not due yet.
            stop_at_ms: sys.now_ms + 1,
            tm_count: self.spec.cluster.task_managers,
            task_names: self.job(sys).graph.tasks.iter().map(|t| t.name.clone()).collect(),
            task_transitions: vec![],
            final_checkpoint_config: self.spec.checkpoint.clone(),
            retunes: vec![],
            restart_description: String::new(),
            snapshot_spans: vec![],
            restores: sys.obs.restores.clone(),
            rescales: sys.obs.rescales.clone(),
            stops: sys.obs.stops.clone(),
            completed_in_flight: sys.obs.completed_in_flight.clone(),
            channel_cuts: sys.cuts.cuts.clone(),
            barrier_protocol: sys.cuts.protocol.clone(),
            budget: Default::default(),
            restored_keyed: sys.obs.restored_keyed.clone(),
            restored_lists: sys.obs.restored_lists.clone(),
            // Not recorded by the explorer (session 40's window-restore rule): empty.
            restored_windows: vec![],
        }
    }

    /// The first safety anomaly of the run so far, or a liveness one for a stuck terminal state.
    pub(super) fn judge(&self, sys: &Sys, terminal: bool) -> Judgement {
        if let Some(z) = sys.obs.zombie_anomalies.first() {
            return Some(("zombie".into(), z.clone()));
        }
        let key = JudgeCache::key(sys);
        if !self.judged.passed(&key) {
            let run = self.run_result(sys);
            let verdicts: Vec<Verdict> =
                check::check_all_with(self.spec, &run, &self.reference, self.graph_parts.as_ref());
            for v in verdicts.iter().filter(|v| v.checker != "liveness") {
                if v.passed == Some(false) {
                    return Some((
                        v.checker.to_string(),
                        v.anomalies.first().map(|a| a.text.clone()).unwrap_or_default(),
                    ));
                }
            }
            self.judged.remember(key);
        }
        if let Some(v) = self.quiescent_state(sys) {
            return Some(v);
        }
        if terminal && sys.ticks < self.bounds.max_ticks {
            if let Some(why) = self.stuck(sys).or_else(|| self.spinning(sys)) {
                return Some(("liveness".into(), why));
            }
            if let Some(why) = self.abandoned_gate(sys) {
                return Some(("coordinator".into(), why));
            }
        }
        if terminal {
            if let Some(why) = self.abort_made_up(sys) {
                return Some(("exactly-once".into(), why));
            }
        }
        None
    }

    /// A quiescent state (no choice left, no timer due: nothing will ever happen again) is a
    /// run that ends as late as one likes: the `coordinator` checker's gate-request rule
    /// (`check/gate_requests.rs`, which judges a wait only with enough run left after it) is
    /// asked with the run's end an hour past the state and every live attempt live at the end
    /// (session 39). Only that rule: the others judge "the end" from `stop_at_ms` with margins
    /// of their own, not verified against a far end here.
    fn abandoned_gate(&self, sys: &Sys) -> Option<String> {
        const QUIESCENT_END_MS: u64 = 3_600_000;
        if sys.obs.gate_waits.is_empty() || self.next_timer(sys).is_some() || self.loop_spins(sys) {
            return None;
        }
        let mut run = self.run_result(sys);
        run.stop_at_ms = sys.now_ms + QUIESCENT_END_MS;
        run.live_at_end = sys.tasks.iter().map(|(t, x)| (*t, x.attempt())).collect();
        check::gate_requests_abandoned(&run).first().map(|f| f.text.clone())
    }

    /// Session 41: whether the explorer records the path's last fault (`Obs::fault_since_ms`)
    /// for [`Explorer::abort_made_up`]: a line job under a profile whose abort notification
    /// carries the latest completed checkpoint (2.x), into a two-phase-commit sink, without
    /// periodic checkpoints (its checkpoints are the `trigger` steps). A job with periodic
    /// checkpoints always has its next trigger due while it runs, so none of its states is
    /// quiescent and the fault time would only split states.
    pub(super) fn watches_aborts(&self) -> bool {
        let spec = self.spec;
        spec.profile.abort_notification_carries_latest_completed()
            && !spec.checkpoint.periodic_enabled()
            && !spec.is_graph()
            && spec.operators.iter().any(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink)
    }

    /// Session 41: the `exactly-once` made-up commit horizon (`check/abort_made_up.rs`) in a
    /// quiescent state. That rule judges an abort notification only where its delivery is
    /// certain: no fault since it and a second of run after it. The run so far gives neither
    /// (the explorer's `last_fault_end_ms` is now and its end a millisecond away); a quiescent
    /// state (no choice left, no timer due, every input appended, the job RUNNING) is a run that
    /// ends as late as one likes, with every message delivered. So the `exactly-once` checker is
    /// asked with the run's end an hour past the state and the last fault at the path's
    /// (`Obs::fault_since_ms`, the anchored faults' strikes). Every other part of that checker
    /// reads the end only through the inputs due by it, all appended here, so only the
    /// horizon's judgement changes; the other checkers are not asked (their margins were not
    /// verified against a far end).
    fn abort_made_up(&self, sys: &Sys) -> Option<String> {
        const QUIESCENT_END_MS: u64 = 3_600_000;
        if !self.watches_aborts()
            || sys.obs.status != JobStatus::Running
            || self.next_timer(sys).is_some()
            || self.loop_spins(sys)
            || self.log.at.iter().flatten().any(|at| *at > sys.now_ms)
        {
            return None;
        }
        let mut run = self.run_result(sys);
        run.stop_at_ms = sys.now_ms + QUIESCENT_END_MS;
        let struck = sys.obs.faults.iter().map(|(t, ..)| t + 1).max().unwrap_or(0);
        run.last_fault_end_ms = sys.obs.fault_since_ms.max(struck);
        let v = check::exactly_once(self.spec, &run, &self.reference);
        (v.passed == Some(false)).then(|| v.anomalies.first().map(|a| a.text.clone()).unwrap_or_default())
    }

    /// The final-value rule the world cannot pose (it never knows that every input was
    /// delivered): once the job runs with every task deployed, the sources have read the whole
    /// log and no record is in flight, each key's last printed value is the reference's final
    /// value. Under exactly-once checkpoints (aligned or unaligned) a restored keyed operator
    /// continues from a state that, with the records it replays (the unaligned channel state)
    /// and the ones its sources read again, folds every input once; a print sink is chained
    /// behind it, so what it printed last is that fold. A restore that loses an update (the
    /// in-flight records of an unaligned checkpoint dropped) leaves a key short for ever,
    /// which the `state` checker's per-output rules (a restore may go back) cannot tell from
    /// a replay. Print sinks of line jobs only (committed 2PC output lags the checkpoints;
    /// at-least-once checkpoints may count a replay twice; graphs interleave inputs).
    /// Every state is also held to the stuck-checkpoint rule (`stuck_checkpoint`, session 17).
    pub(super) fn quiescent_state(&self, sys: &Sys) -> Judgement {
        if let Some(why) = self.stuck_checkpoint(sys).or_else(|| self.forgotten_tm(sys)) {
            return Some(("liveness".into(), why));
        }
        let cfg = &self.spec.checkpoint;
        let print = self.spec.operators.iter().any(|o| o.kind == crate::spec::OpKind::PrintSink);
        if !print
            || cfg.mode != ckptsim::config::CheckpointingMode::ExactlyOnce
            || sys.jm.status() != JobStatus::Running
            || sys.tasks.len() != self.job(sys).graph.tasks.len()
            || sys.to_task.values().flat_map(|q| q.iter()).any(|m| matches!(m, Ctl::Deploy { .. }))
        {
            return None;
        }
        let read_all = sys.tasks.values().all(|t| {
            t.fetch_positions().is_none_or(|pos| pos.iter().all(|(p, o)| self.log_end.get(p).is_some_and(|e| o >= e)))
        });
        let in_flight = sys
            .data
            .iter()
            .any(|((attempt, to, _), q)| !q.is_empty() && sys.tasks.get(to).is_some_and(|t| t.attempt().0 == *attempt));
        if !read_all || in_flight {
            return None;
        }
        // Without the inputs the run lost (records before a `latest` start), as the `state`
        // checker folds it (`check::without_lost_lines`, cached per set of lost inputs).
        let recomputed;
        let reference = if sys.obs.lost_inputs.is_empty() {
            &self.reference
        } else {
            let lost: BTreeSet<u64> = sys.obs.lost_inputs.iter().copied().collect();
            recomputed = check::without_lost_lines(self.spec, &self.reference, &lost);
            &*recomputed
        };
        if let Some(why) = self.quiescent_windows(sys, reference) {
            return Some(("windows".into(), why));
        }
        // A graph job's only print sink prints the fold of its own inputs: the other sources'
        // keys never reach it (two independent pipelines, `tiny-two-regions.toml`).
        let reference = self.print_sink_reference(sys).unwrap_or(reference);
        if reference.order_free || reference.final_per_key.is_empty() || self.spec.event_window().is_some() {
            return None;
        }
        let mut last: BTreeMap<ckptsim::record::Value, &ckptsim::record::Value> = BTreeMap::new();
        for rows in sys.obs.print_rows.values() {
            for r in rows {
                last.insert(ckptsim::operator::key_of(&r.value), &r.value);
            }
        }
        for (k, want) in &reference.final_per_key {
            match last.get(k) {
                Some(v) if *v == want => {}
                Some(v) => {
                    return Some((
                        "state".into(),
                        format!(
                            "t={} key {k}: every input read and delivered, last printed {v} but the reference's final value is {want} (an update lost or counted twice)",
                            sys.now_ms
                        ),
                    ))
                }
                None => {
                    return Some((
                        "state".into(),
                        format!(
                            "t={} key {k}: every input read and delivered, nothing printed but the reference's final value is {want}",
                            sys.now_ms
                        ),
                    ))
                }
            }
        }
        None
    }

    /// The reference of a graph job's one print sink (`GraphParts::sink_reference`), when no
    /// input was lost (a lost input's fold is recomputed from the whole job's reference).
    fn print_sink_reference(&self, sys: &Sys) -> Option<&Reference> {
        let parts = self.graph_parts.as_ref().filter(|_| sys.obs.lost_inputs.is_empty())?;
        let is_print = |o: &&crate::spec::OpSpec| o.kind == crate::spec::OpKind::PrintSink;
        let mut prints = self.spec.operators.iter().enumerate().filter(|(_, o)| is_print(o));
        let (sink, _) = prints.next()?;
        if prints.next().is_some() {
            return None;
        }
        parts.sink_reference(sink)
    }

    /// The quiescent rule for event-time windows (`check::quiescent_short_firing`), judged
    /// against the smallest watermark of the tasks of the window whose results reach the sink
    /// (the last of windows after windows; none yet: not judged).
    fn quiescent_windows(&self, sys: &Sys, reference: &Reference) -> Option<String> {
        // A late side branch's print rows are not the window's results (`side_output.rs`
        // judges them against the late elements the run recorded).
        if self.spec.operators.iter().any(|o| o.late_input || o.late_gate.is_some()) {
            return None;
        }
        let op = *self.spec.window_stages().last()?;
        let graph = &self.job(sys).graph;
        let vi = graph.vertices.iter().position(|v| v.ops.contains(&op))?;
        let mut watermark = i64::MAX;
        for t in graph.vertex_tasks(vi) {
            watermark = watermark.min(sys.tasks.get(&t)?.current_watermark()?.0);
        }
        let mut rows: Vec<&OutputRow> = sys.obs.print_rows.values().flatten().collect();
        rows.sort_by_key(|r| r.time_ms);
        check::quiescent_short_firing(self.spec, reference, &rows, watermark)
    }

    /// A checkpoint no delivery can complete (session 17), which the tick bound hides from the
    /// terminal-state rule (periodic triggers and the checkpoint's own expiry keep a timer due):
    /// every JobManager message, every task message and every channel element of the live
    /// attempts has been delivered, nothing was lost on the path (no lost message or
    /// acknowledgement, no crashed TaskManager the JobManager has not noticed), the job runs,
    /// and yet a task the pending checkpoint awaits, RUNNING as the JobManager sees it and live,
    /// never acknowledged it. Every barrier of the checkpoint reached its task, so Flink's
    /// handlers have taken the snapshot by now (an ended channel counts as aligned,
    /// `SingleCheckpointBarrierHandler#processEndOfPartition`); only the expiry can end it.
    pub(super) fn stuck_checkpoint(&self, sys: &Sys) -> Option<String> {
        if sys.losses > 0
            || sys.ack_losses > 0
            || !sys.uploading.is_empty()
            || !sys.crashed_tms.is_empty()
            || sys.jm.status() != JobStatus::Running
            || sys.to_task.values().any(|q| !q.is_empty())
            || sys.to_jm.values().any(|q| !q.is_empty())
        {
            return None;
        }
        let queued = sys
            .data
            .iter()
            .any(|((attempt, to, _), q)| !q.is_empty() && sys.tasks.get(to).is_some_and(|t| t.attempt().0 == *attempt));
        if queued {
            return None;
        }
        for (id, task, attempt) in sys.acks.unacknowledged() {
            let (current, state) = sys.jm.execution(task);
            let live = sys.tasks.get(&task).is_some_and(|t| t.attempt() == Self::to_epoch(sys, attempt));
            if current == attempt && state == ExecutionState::Running && live {
                let name = &self.job(sys).graph.tasks[task.0 as usize].name;
                return Some(format!(
                    "t={} checkpoint {id} can never complete: every message and channel element was delivered and \
                     nothing lost, yet {name} (attempt {attempt}, RUNNING) never acknowledged it; only its expiry \
                     ends it",
                    sys.now_ms
                ));
            }
        }
        None
    }

    /// A crashed TaskManager the JobManager's heartbeat monitor no longer watches (it judged
    /// the live process lost, `hb-timeout:N`, and did not watch it again), with an execution
    /// the JobMaster still sees live on it: no heartbeat timeout will ever fail that execution
    /// (`tm-lost:N` is not enabled), so the job never makes progress again. The world's
    /// `liveness` checker sees the same as a run whose checkpoints all expire.
    pub(super) fn forgotten_tm(&self, sys: &Sys) -> Option<String> {
        for tm in sys.crashed_tms.intersection(&sys.hb_lost) {
            for info in sys.jm.tasks() {
                let (attempt, state) = sys.jm.execution(info.id);
                if self.job(sys).graph.tasks[info.id.0 as usize].tm == *tm && !state.is_terminal() {
                    return Some(format!(
                        "t={} TaskManager {} died while the JobManager's heartbeat monitor does not watch it: \
                         {} (attempt {attempt}) stays {} for good, no heartbeat timeout will fail it",
                        sys.now_ms,
                        tm.0,
                        info.name,
                        state.name()
                    ));
                }
            }
        }
        None
    }

    /// A state with no choice left whose next timer never fires because a task loop polls
    /// again at once instead of sleeping (`choices.rs`, `loop_spins`): a livelock, the loops
    /// turn for ever and virtual time stays. The world's run ends at its event budget.
    pub(super) fn spinning(&self, sys: &Sys) -> Option<String> {
        let at = self.next_timer(sys)?;
        self.loop_spins(sys).then(|| {
            format!(
                "t={} livelock: every delivery is done and the next timer is due at {at} ms, but {} task loop(s) \
                 poll again at once instead of sleeping, so virtual time never reaches it",
                sys.now_ms,
                sys.tasks.len()
            )
        })
    }

    /// Why a state with no choice left cannot make progress, if it cannot.
    pub(super) fn stuck(&self, sys: &Sys) -> Option<String> {
        if sys.rescale_refused {
            return None;
        }
        let status = sys.jm.status();
        let settled =
            matches!(status, JobStatus::Running | JobStatus::Finished | JobStatus::Failed | JobStatus::Canceled);
        if !settled {
            return Some(format!("job stuck in {status}: no delivery or timer can move it on"));
        }
        if status == JobStatus::Running {
            for info in sys.jm.tasks() {
                let (attempt, state) = sys.jm.execution(info.id);
                if !matches!(state, ExecutionState::Running | ExecutionState::Finished) {
                    return Some(format!(
                        "task {} attempt {attempt} stuck in {} while the job runs",
                        info.name,
                        state.name()
                    ));
                }
            }
        }
        None
    }
}

/// The checkers' passing verdicts, by what [`Explorer::run_result`] reads: the observations,
/// the channel cuts, the sink store (each as the fingerprint hashes it), the time and the job.
/// Many states differ only in what the checkers do not read (a task's or the JobMaster's
/// machine, a queue), so a verdict computed once is looked up for the others (session 29). The
/// key is a tuple of the state fingerprint's own components, so two states share a verdict
/// only where the visited set would already take them for one state. Bounded: cleared at
/// [`JudgeCache::MAX`] entries (then verdicts are computed again), so memory stays a few MB.
#[derive(Default)]
pub(super) struct JudgeCache {
    passed: std::cell::RefCell<indexmap::IndexMap<u64, JudgeKey, std::hash::BuildHasherDefault<fingerprint::FpHasher>>>,
}

/// What the checkers read, by fingerprint: observations, cuts, store, time, job.
pub(super) type JudgeKey = [u64; 5];

impl JudgeCache {
    /// Entries kept before the cache starts over (40 B each, plus the table).
    const MAX: usize = 1 << 20;

    pub(super) fn key(sys: &Sys) -> JudgeKey {
        [sys.obs.fp(), sys.cuts.fp(), sys.store.fp(), sys.now_ms, sys.job as u64]
    }

    /// The whole key mixed into the table's own 64-bit hash.
    fn slot(key: &JudgeKey) -> u64 {
        let mut h = fingerprint::Fingerprint::new();
        for w in key {
            h.word(*w);
        }
        std::hash::Hasher::finish(&h)
    }

    /// Whether the checkers passed a state with this key before (the whole key compared).
    pub(super) fn passed(&self, key: &JudgeKey) -> bool {
        self.passed.borrow().get(&Self::slot(key)).is_some_and(|k| k == key)
    }

    /// The checkers passed a state with this key.
    pub(super) fn remember(&self, key: JudgeKey) {
        let mut map = self.passed.borrow_mut();
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(Self::slot(&key), key);
    }
}

pub(super) fn checkpoint_row(obs: &mut Obs, id: CheckpointId) -> &mut CheckpointRow {
    obs.checkpoints.entry(id).or_insert_with(|| CheckpointRow::pending(id))
}
