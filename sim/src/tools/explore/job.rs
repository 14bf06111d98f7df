//! The jobs an explorer runs: `JobCtx` (a job's graph and channel wiring, the scenario's and the rescaled one), preparing an exploration (`Explorer::new`: log, reference, bounds) and its initial state.

use super::*;

/// One job's fixed parts: its program, graph and channel wiring (the scenario's job, and with
/// `--rescales` the rescaled one: `Sys::job` says which one a state runs).
pub(super) struct JobCtx {
    pub(super) spec: JobSpec,
    pub(super) graph: Graph,
    /// Per task, per output channel: (downstream task, its input channel).
    pub(super) outs: Vec<Vec<(TaskId, u32)>>,
    /// Per task: every task upstream of it (transitively).
    pub(super) upstream: Vec<Vec<TaskId>>,
    /// Per task: a source whose input ends (the world's rule, `world/tasks.rs`: each source of
    /// a job graph says so itself, a line job's `[input] bounded`).
    pub(super) bounded: Vec<bool>,
}

impl JobCtx {
    pub(super) fn new(spec: JobSpec) -> Self {
        let graph = Graph::build(&spec);
        let outs = graph
            .tasks
            .iter()
            .map(|t| {
                graph
                    .output_links(t.id)
                    .into_iter()
                    .map(|d| {
                        // The channel into the gate the edge enters: a self-join's producer
                        // has two channels to each consumer subtask, one per gate.
                        let from = crate::graph::Link { task: t.id, gate: d.gate };
                        (d.task, graph.input_channel(d.task, from).expect("an output is an input"))
                    })
                    .collect()
            })
            .collect();
        let upstream = graph
            .tasks
            .iter()
            .map(|t| {
                let mut seen = BTreeSet::new();
                let mut stack = vec![t.id];
                while let Some(x) = stack.pop() {
                    for u in graph.inputs_of(x) {
                        if seen.insert(u) {
                            stack.push(u);
                        }
                    }
                }
                seen.into_iter().collect()
            })
            .collect();
        let bounded = graph
            .tasks
            .iter()
            .map(|t| {
                t.is_source
                    && if spec.is_graph() {
                        let vi = graph.task_vertex[t.id.0 as usize].0;
                        graph.vertices[vi].ops.first().is_some_and(|o| spec.operators[*o].bounded)
                    } else {
                        spec.input_options.bounded
                    }
            })
            .collect();
        JobCtx { spec, graph, outs, upstream, bounded }
    }
}

impl<'a> Explorer<'a> {
    /// Prepares the exploration of `spec` within `bounds`: chains the job graph, builds the
    /// broker log and the fault-free reference (the search itself runs in [`Explorer::explore`]).
    pub fn new(spec: &'a JobSpec, bounds: Bounds) -> Self {
        // The explorer runs to quiescence, not to `stop_at_ms`: the whole log.
        let log = build_log_until(spec, u64::MAX);
        let log_end = (0..log.partitions()).map(|p| (PartitionId(p as u32), Offset(log.len(p) as u64))).collect();
        let reference = reference::compute(spec);
        let rescale = spec.actions.iter().find_map(|a| match &a.kind {
            crate::spec::ActionSpec::Rescale(r) => Some(r.clone()),
            _ => None,
        });
        let stop = spec.actions.iter().find_map(|a| match a.kind {
            crate::spec::ActionSpec::StopWithSavepoint { drain: true } => Some(ckptsim::record::StopMode::Drain),
            crate::spec::ActionSpec::StopWithSavepoint { drain: false } => Some(ckptsim::record::StopMode::NoDrain),
            _ => None,
        });
        let manual_trigger = spec.actions.iter().any(|a| matches!(a.kind, crate::spec::ActionSpec::TriggerCheckpoint));
        let manual_savepoint = spec.actions.iter().any(|a| matches!(a.kind, crate::spec::ActionSpec::Savepoint));
        let retune = spec.actions.iter().find_map(|a| match &a.kind {
            crate::spec::ActionSpec::Retune(r) => Some(r.clone()),
            _ => None,
        });
        let cancel =
            rescale.is_none() && spec.actions.iter().any(|a| matches!(a.kind, crate::spec::ActionSpec::Cancel));
        let mut jobs = vec![JobCtx::new(spec.clone())];
        if let Some(r) = rescale.as_ref().filter(|_| bounds.max_rescales > 0) {
            jobs.push(JobCtx::new(crate::world::rescaled_spec(spec, r)));
        }
        Explorer {
            spec,
            jobs,
            rescale,
            stop,
            cancel,
            manual_trigger,
            manual_savepoint,
            retune,
            log,
            log_end,
            reference,
            graph_parts: spec.is_graph().then(|| crate::check::graph::GraphParts::new(spec)),
            bounds,
            judged: judge::JudgeCache::default(),
        }
    }

    /// The job state `sys` runs (the scenario's, or the rescaled one).
    pub(super) fn job(&self, sys: &Sys) -> &JobCtx {
        &self.jobs[sys.job]
    }

    pub(super) fn initial(&self) -> Sys {
        // A fixed random value: the explorer enumerates orders, not draws.
        let job = &self.jobs[0];
        let params = job.spec.job_params(job.graph.tasks.clone(), 0);
        let mut sys = Sys {
            now_ms: 0,
            jm: Part::new(reporting(JobMaster::new(params))),
            tasks: Shared::default(),
            data: Shared::default(),
            to_task: Shared::default(),
            to_jm: Shared::default(),
            committed_offsets: Shared::default(),
            store: Shared::new(TxnStore::new(self.spec.operators.last().map(|o| o.sink_store).unwrap_or_default())),
            counters: Shared::default(),
            sink_epochs: Shared::default(),
            restored_from: Shared::default(),
            obs: Part::new(initial_obs()),
            failures: 0,
            ticks: 0,
            losses: 0,
            tm_crashes: 0,
            jm_failovers: 0,
            epoch: 1,
            crashed_tms: BTreeSet::new(),
            hb_lost: BTreeSet::new(),
            hb_timeouts: 0,
            tm_hb_timeouts: 0,
            jm_hb_timeouts: 0,
            late_ticks: 0,
            jm_late_ticks: 0,
            latest_resolved: BTreeMap::new(),
            latest_floor: BTreeMap::new(),
            ha_latest: None,
            ha_previous: None,
            ha_next_id: CheckpointId(1),
            ticked_at: None,
            delivered_up: Shared::default(),
            zombies: 0,
            job: 0,
            rescales: 0,
            rescaled: Arc::default(),
            rescale_refused: false,
            stops: 0,
            stop_pending_since: None,
            stop_completed: false,
            cancels: 0,
            acks: Part::new(crate::world::AckWatch::default()),
            ack_losses: 0,
            requests: 0,
            slow_uploads: 0,
            uploading: BTreeMap::new(),
            cuts: Part::default(),
            end_of_data: BTreeSet::new(),
            gates: BTreeMap::new(),
            gate_requests: ckptsim::checkpoint_gate::GateRequests::new(self.spec.variant),
            anchors_fired: BTreeSet::new(),
        };
        sys.jm.make_mut().start(0, None);
        self.route_jm(&mut sys);
        sys
    }
}

/// The observations of a path that has not started: the first job CREATED at 0, nothing else.
fn initial_obs() -> Obs {
    Obs {
        status: JobStatus::Created,
        status_timeline: vec![(0, JobStatus::Created)],
        restart_schedule: vec![],
        restarts: 0,
        failures: vec![],
        triggers: vec![],
        checkpoints: BTreeMap::new(),
        end_seq: (0, 0),
        print_rows: BTreeMap::new(),
        late_records: crate::world::LateRecords::default(),
        late_snapshots: crate::world::LateSnapshots::default(),
        window_assignments: vec![],
        quiesced_windows: vec![],
        restored_lists: vec![],
        restored_keyed: BTreeMap::new(),
        rescales: vec![],
        restores: vec![],
        region_restores: vec![],
        sink_anomalies: vec![],
        offset_commits: BTreeMap::new(),
        completed_offsets: BTreeMap::new(),
        completed_in_flight: BTreeMap::new(),
        completion_seen: BTreeMap::new(),
        retained: vec![],
        discards: vec![],
        assignment_snapshots: vec![],
        join_judgments: vec![],
        join_restores: vec![],
        read_inputs: 0,
        zombie_anomalies: vec![],
        stops: vec![],
        after_stop: vec![],
        stop_snapshots: vec![],
        stop_notices: vec![],
        fault_since_ms: 0,
        coordinators: 1,
        requests: vec![],
        stores: vec![],
        failed_triggers: vec![],
        source_event_time: vec![],
        finished_restores: vec![],
        valve_steps: BTreeMap::new(),
        lost_inputs: vec![],
        latest_skipped_on_restart: vec![],
        notified_complete: vec![],
        gate_passes: vec![],
        gate_waits: vec![],
        faults: vec![],
        retunes: vec![],
        retry_calls: BTreeMap::new(),
    }
}
