//! Running one seed: the madsim runtime, the supervisor that starts nodes and collects the result, and the wake-up machinery (`wait`).

use super::*;

// ------------------------------------------------------------------ entry point

/// Runs one seed of `spec` to `stop_at_ms` and returns what happened, with the whole trace.
pub fn run(spec: &JobSpec, seed: u64) -> RunResult {
    run_with_trace(spec, seed, Trace::full())
}

/// [`run`] with a lean trace ([`Trace::lean`]): the same run, hash and verdicts, but only the
/// essential trace events kept. What sweeps, `bench` and `ckptsim run` without `--trace` use,
/// so a long run's memory does not grow with its events.
pub fn run_lean(spec: &JobSpec, seed: u64) -> RunResult {
    run_with_trace(spec, seed, Trace::lean())
}

/// What every run of one spec shares whatever its seed: the spec without its log records, its
/// job graph and the broker's log (all three read-only during a run). A sweep worker and
/// `bench` build it once per scenario ([`prepare`]) instead of once per seed; a run of the
/// prepared spec ([`run_lean_prepared`]) is the run of the spec, event for event.
#[derive(Clone)]
pub struct Prepared {
    spec: Arc<JobSpec>,
    graph: Arc<Graph>,
    log: Arc<BrokerLog>,
}

impl Prepared {
    /// The job graph of the prepared spec (the floor runs the same graph).
    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    /// The broker's log of the prepared spec.
    pub(crate) fn log(&self) -> &Arc<BrokerLog> {
        &self.log
    }

    /// Whether `other` runs on the same broker log, not a copy ([`prepare_cached`]).
    pub fn shares_log_with(&self, other: &Prepared) -> bool {
        Arc::ptr_eq(&self.log, &other.log)
    }
}

/// Builds what every run of `spec` shares ([`Prepared`]).
pub fn prepare(spec: &JobSpec) -> Prepared {
    let log = Arc::new(build_log(spec));
    prepare_with_log(spec, log)
}

fn prepare_with_log(spec: &JobSpec, log: Arc<BrokerLog>) -> Prepared {
    let spec = Arc::new(without_log_records(spec));
    let graph = Arc::new(Graph::build(&spec));
    Prepared { spec, graph, log }
}

/// The broker logs a swarm worker built, for the next seeds whose drawn specs have the same
/// input ([`prepare_cached`]): a swarm draw changes faults, configuration, parallelism and the
/// run's length, but rarely the input, whose log (drawn, interned) was each seed's largest
/// fixed cost (1.6 M instructions of a `bench/swarm-faults` seed's 69 M).
#[derive(Default)]
pub struct LogCache {
    /// (what the log is built from, the log), newest last; two entries (a swarm run of one
    /// scenario is extended for liveness or not: two lengths), so that a worker that moves on
    /// to another scenario holds no more than two logs.
    logs: Vec<(LogKey, Arc<BrokerLog>)>,
}

/// What [`build_log`] reads of a spec.
#[derive(PartialEq)]
struct LogKey {
    input: crate::spec::InputSpec,
    timestamps: Vec<i64>,
    until_ms: u64,
}

impl LogCache {
    /// Logs kept at most (the oldest is dropped).
    const KEPT: usize = 2;
}

/// [`prepare`] with the broker's log taken from `cache` when an earlier spec had the same
/// input, run length and timestamps (the log is a function of these alone): the same
/// [`Prepared`], so the same run. An input with bursts merged in (swarm-drawn `input-burst`
/// faults, different per seed) is built afresh and not kept.
pub fn prepare_cached(spec: &JobSpec, cache: &mut LogCache) -> Prepared {
    if matches!(&spec.input, InputSpec::Log { records: crate::spec::LogRecords::Merged(_), .. }) {
        return prepare(spec);
    }
    let key = LogKey {
        input: spec.input.clone(),
        timestamps: spec.input_options.timestamps.clone(),
        until_ms: log_until_ms(spec),
    };
    let log = match cache.logs.iter().find(|(k, _)| *k == key) {
        Some((_, log)) => log.clone(),
        None => {
            let log = Arc::new(build_log(spec));
            if cache.logs.len() == LogCache::KEPT {
                cache.logs.remove(0);
            }
            cache.logs.push((key, log.clone()));
            log
        }
    };
    prepare_with_log(spec, log)
}

/// [`run_lean`] of a [`prepare`]d spec: the same run, hash and result.
pub fn run_lean_prepared(prepared: &Prepared, seed: u64) -> RunResult {
    run_prepared(prepared.clone(), seed, Trace::lean())
}

fn run_with_trace(spec: &JobSpec, seed: u64, trace: Trace) -> RunResult {
    // Moved in: the world holds the only reference to the log, and frees it at the end.
    run_prepared(prepare(spec), seed, trace)
}

fn run_prepared(prepared: Prepared, seed: u64, trace: Trace) -> RunResult {
    let Prepared { spec, graph, log } = prepared;
    let mut cfg = madsim::Config::default();
    cfg.net.send_latency = Duration::from_millis(1)..Duration::from_millis(1);
    let rt = Runtime::with_seed_and_config(seed, cfg);
    rt.block_on(async move { supervise(spec, graph, log, seed, trace).await })
}

/// Failover latencies beyond the modelled costs (`[cluster]` `*_latency_ms`), each drawn once
/// per seed, uniformly in its range, from stream 300. By default a MiniCluster's ranges
/// (`ClusterSpec::default`); a file that pins all four to 0 draws nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Latencies {
    pub(super) deploy_ms: u64,
    pub(super) restore_ms: u64,
    pub(super) cancel_ms: u64,
    pub(super) first_start_ms: u64,
}

impl Latencies {
    pub(super) fn draw(c: &crate::spec::ClusterSpec, seed: u64) -> Latencies {
        let ranges = [c.deploy_latency_ms, c.restore_latency_ms, c.cancel_latency_ms, c.first_start_latency_ms];
        if ranges.iter().all(|r| *r == (0, 0)) {
            return Latencies::default();
        }
        let mut rng = stream(seed, 300);
        let d = ranges.map(|(min, max)| rng.random_range(min..=max.max(min)));
        Latencies { deploy_ms: d[0], restore_ms: d[1], cancel_ms: d[2], first_start_ms: d[3] }
    }
}

pub(super) fn stream(seed: u64, subsystem: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(subsystem);
    r
}

pub(super) async fn supervise(
    spec: Arc<JobSpec>,
    graph: Arc<Graph>,
    log: Arc<BrokerLog>,
    seed: u64,
    trace: Trace,
) -> RunResult {
    let t0 = Instant::now();
    let handle = Handle::current();
    let tms = spec.cluster.task_managers.max(1);
    let shared = shared_world(&spec, &graph, log, seed, t0, trace);
    shared.with(|w| {
        w.tr(
            "world",
            "start",
            format!("scenario={} seed={seed} profile={} variant={}", spec.name, spec.profile, spec.variant),
        )
    });

    // TaskManagers.
    let mut tm_nodes = Vec::new();
    for tm in 0..tms {
        let s = shared.clone();
        let node = handle.create_node().name(format!("tm{tm}")).init(move || tm_main(s.clone(), tm)).build();
        tm_nodes.push(node.id());
    }
    // JobManager.
    let s = shared.clone();
    let jm_node = handle.create_node().name("jm").init(move || s.pinned(jm_main(s.clone(), seed))).build();
    // Client: socket input and user actions.
    let s = shared.clone();
    let client_node = handle.create_node().name("client").init(move || s.pinned(client_main(s.clone()))).build();
    // Chaos: applies faults.
    let s = shared.clone();
    let chaos =
        madsim::task::spawn_local(s.pinned(chaos_main(s.clone(), handle.clone(), jm_node.id(), tm_nodes.clone())));

    // Until the stop time, or until the event budget runs out (a livelock never lets virtual
    // time reach the stop time).
    let budget = shared.with(|w| w.budget.notify.clone());
    futures_select(budget.notified(), sleep_until(t0 + Duration::from_millis(spec.stop_at_ms))).await;

    // Teardown: kill every node so no task outlives the run (madsim leaks otherwise).
    for id in tm_nodes.iter() {
        handle.kill(*id);
    }
    handle.kill(jm_node.id());
    handle.kill(client_node.id());
    // The supervisor's own loops too: a task parked on a `Notify` holds its own waker, so one
    // left pending when the runtime is dropped is never freed — nor the `World` it holds
    // (~90 KB per seed). Aborted, they are dropped before `block_on` returns.
    chaos.abort();
    shared.with(|w| finish(w, seed))
}

/// The world at the start of a run ([`new_world`] with `trace`), shared by the run's loops.
/// Built here, outside the async [`supervise`], so that the `World` (several KB) is never a
/// local of its future: a local there made the future that large, and madsim's `block_on`
/// copied it whole into its box once per run (~9,800 instructions of `memcpy` a seed).
fn shared_world(
    spec: &Arc<JobSpec>,
    graph: &Arc<Graph>,
    log: Arc<BrokerLog>,
    seed: u64,
    t0: Instant,
    trace: Trace,
) -> Shared {
    let mut world = new_world(spec, graph, log, seed, t0);
    world.trace = trace;
    Shared(Arc::new(Mutex::new(world)))
}

/// The world at the start of a run: every group empty, the seeded streams drawn, the anchored
/// faults and actions armed.
fn new_world(spec: &Arc<JobSpec>, graph: &Arc<Graph>, log: Arc<BrokerLog>, seed: u64, t0: Instant) -> World {
    let anchored = anchored(spec);
    World {
        seed,
        spec: spec.clone(),
        graph: graph.clone(),
        t0,
        clock: SimClock::starting_now(),
        trace: Trace::default(),
        latencies: Latencies::draw(&spec.cluster, seed),
        jm_epoch: 0,
        net: Network::new(seed),
        wake: Wakers::new(),
        data: DataPlane::new(spec.variant),
        tasks: TaskHost::new(),
        services: Services::new(spec, log),
        faults: ActiveFaults::new(anchored),
        obs: Observation::new(spec),
        rescale: Default::default(),
        budget: EventBudget::new(spec),
    }
}

/// The faults and actions anchored to protocol events (not to a time), in spec order.
fn anchored(spec: &JobSpec) -> Vec<(FaultAt, Armed)> {
    let mut anchored = Vec::new();
    for (i, f) in spec.faults.iter().enumerate() {
        if !matches!(f.at, FaultAt::Time(_)) {
            anchored.push((f.at.clone(), Armed::Fault(i)));
        }
    }
    for (i, a) in spec.actions.iter().enumerate() {
        if !matches!(a.at, FaultAt::Time(_)) {
            anchored.push((a.at.clone(), Armed::Action(i)));
        }
    }
    anchored
}

impl Network {
    /// No messages yet; the latency stream drawn from the seed (stream 1).
    fn new(seed: u64) -> Network {
        Network {
            rng: stream(seed, 1),
            in_flight: BTreeMap::new(),
            seq: 0,
            link_last: BTreeMap::new(),
            alive: BTreeMap::new(),
            tm_incarnation: BTreeMap::new(),
            deployed_on: BTreeMap::new(),
        }
    }
}

impl DataPlane {
    /// No channels, no socket reader.
    fn new(variant: ckptsim::Variant) -> DataPlane {
        DataPlane {
            channels: Channels::default(),
            item_seq: 0,
            socket_reader: None,
            socket_closed: false,
            gate_requests: gates::new_requests(variant),
        }
    }
}

impl TaskHost {
    /// No task attempts yet.
    fn new() -> TaskHost {
        TaskHost {
            uploads: BTreeMap::new(),
            upload_seq: 0,
            mail: per_attempt::PerAttempt::default(),
            cancelled: per_attempt::PerAttempt::default(),
            fail_requests: BTreeMap::new(),
            rpc_timeouts: per_attempt::PerAttempt::default(),
            counters: BTreeMap::new(),
            completion_seen: BTreeMap::new(),
            earlier_jobs_horizon: None,
            restored_from: BTreeMap::new(),
            cancel_deadlines: BTreeMap::new(),
            user_readers: BTreeMap::new(),
        }
    }
}

impl Services {
    /// The broker's `log`, nothing committed or stored; the sink's store and a user sink's
    /// system as the spec configures them.
    fn new(spec: &JobSpec, log: Arc<BrokerLog>) -> Services {
        Services {
            log,
            committed_offsets: BTreeMap::new(),
            storage_completed: Vec::new(),
            retained: Vec::new(),
            txn_store: TxnStore::new(spec.operators.last().map(|o| o.sink_store).unwrap_or_default()),
            sink_epochs: BTreeMap::new(),
            next_checkpoint_id: CheckpointId::FIRST,
            user_sink: UserSinkHost::of(spec),
            user_writer: UserWriterHost::of(spec),
            latest_resolved: BTreeMap::new(),
            latest_floor: BTreeMap::new(),
        }
    }
}

impl ActiveFaults {
    /// No fault active; the `anchored` faults and actions armed.
    fn new(anchored: Vec<(FaultAt, Armed)>) -> ActiveFaults {
        ActiveFaults {
            partitions: vec![],
            loss_rate: 0.0,
            loss_messages: Vec::new(),
            loss_link: (None, None),
            control_delay_node: None,
            control_extra_ms: 0,
            slow_links: BTreeMap::new(),
            slow_snapshots: BTreeMap::new(),
            storage_up: true,
            storage_extra_ms: 0,
            broker_up: true,
            sink_store_up: true,
            slow_ops: BTreeMap::new(),
            slow_active: Vec::new(),
            failing_tasks: BTreeSet::new(),
            last_end_ms: 0,
            anchored,
            fired: VecDeque::new(),
            fatal_tms: VecDeque::new(),
        }
    }
}

impl Observation {
    /// Nothing observed yet: the job CREATED at 0.
    fn new(spec: &JobSpec) -> Observation {
        Observation {
            status: JobStatus::Created,
            restarts: 0,
            region_restores: vec![],
            status_timeline: vec![(0, JobStatus::Created)],
            restart_schedule: vec![],
            checkpoints: CheckpointRows::default(),
            end_seq: (0, 0),
            print_rows: Rows::new(),
            committed: Rows::with_capacity(committed_capacity(spec)),
            late_records: LateRecords::default(),
            late_snapshots: LateSnapshots::default(),
            assignment_snapshots: vec![],
            join_judgments: vec![],
            join_restores: vec![],
            window_assignments: vec![],
            quiesced_windows: vec![],
            source_event_time: vec![],
            record_source_event_time: records_source_event_time(spec),
            valve_steps: vec![],
            record_valves: spec.operators.iter().any(|o| o.watermarks.is_some()),
            sink_anomalies: vec![],
            offset_commits: vec![],
            completed_offsets: BTreeMap::new(),
            completed_in_flight: BTreeMap::new(),
            lost_inputs: vec![],
            latest_skipped_on_restart: vec![],
            read_inputs: 0,
            socket_reads: vec![],
            socket_marks: vec![],
            socket_last_connected_ms: None,
            lost_final_states: vec![],
            lost_notifications: vec![],
            notes: ProtocolNotes::default(),
            lost_triggers: vec![],
            failed_triggers: vec![],
            lost_abort_notifications: vec![],
            sync_savepoint_snapshots: vec![],
            stop_snapshots: vec![],
            stop_notices: vec![],
            finished_restores: vec![],
            dormant_sources: vec![],
            transactions: Default::default(),
            acks: Default::default(),
            rejections: vec![],
            requests: vec![],
            stores: vec![],
            task_transitions: vec![],
            final_checkpoint_config: spec.checkpoint.clone(),
            retunes: vec![],
            restart_description: String::new(),
            snapshot_spans: vec![],
            restores: vec![],
            rescales: vec![],
            stops: vec![],
            cuts: ChannelCuts::default(),
            protocol: BarrierProtocol::default(),
            restored_keyed: BTreeMap::new(),
            restored_lists: Vec::new(),
            restored_windows: Vec::new(),
        }
    }
}

/// The committed rows' capacity: one row per input (what a map or aggregate commits) with a
/// two-phase-commit sink, sized once: growing by doubling to 10^6 rows left freed blocks
/// resident under mimalloc.
fn committed_capacity(spec: &JobSpec) -> usize {
    if spec.operators.iter().any(|o| o.kind == crate::spec::OpKind::TwoPhaseCommitSink) {
        spec.input.len().min(1 << 24)
    } else {
        0
    }
}

/// Whether the run records each source's event time (`RunResult::source_event_time`): a
/// watermark strategy with an idle timeout (the idleness rules read it).
fn records_source_event_time(spec: &JobSpec) -> bool {
    spec.operators.iter().any(|o| o.watermarks.is_some_and(|s| s.idle_timeout_ms.is_some()))
}

/// Ends the run: checks the world's invariants, releases the wakers, marks the unfinished
/// checkpoints, traces the stop and moves what was observed into the [`RunResult`].
fn finish(w: &mut World, seed: u64) -> RunResult {
    // Checked after every step in debug builds; in release once per run, here.
    w.invariants();
    // Killed loops' wakers would keep their tasks, and so this world, alive.
    w.wake.sleepers.forget_all();
    let stop = w.spec.stop_at_ms;
    for row in w.obs.checkpoints.values_mut() {
        if row.end_ms.is_none() {
            row.outcome = "PENDING".into();
        }
    }
    debug_dump(w);
    if let Some(at) = w.budget.exhausted_at_ms {
        let max = w.budget.max;
        let line = if w.budget.attempts_exhausted {
            format!("attempt numbering exhausted at t={at} (JobMaster attempt or epoch beyond the world's numbering): run stopped")
        } else {
            format!("event budget of {max} events exhausted at t={at}: run stopped")
        };
        w.trace.push(at, "world", "budget", line);
    }
    w.trace.push(stop, "world", "stop", format!("status={} restarts={}", w.obs.status, w.obs.restarts));
    // The broker's log is not part of the result: free it before the result is assembled
    // (unless a sweep worker's `Prepared` shares it with the next seed).
    w.services.log = Arc::default();
    let committed = match &mut w.services.user_sink {
        // A user sink's output is what its external system published.
        Some(h) => std::mem::take(&mut h.committed)
            .into_iter()
            .map(|(t, r)| OutputRow::of(t, TaskId(0), Attempt(0), r))
            .collect(),
        None => {
            OutputRow::take_committed(&mut w.services.txn_store, &mut w.obs.committed);
            std::mem::take(&mut w.obs.committed)
        }
    };
    take_result(w, seed, committed)
}

/// `CKPTSIM_DEBUG_BUDGET`: the events used of the budget; `CKPTSIM_DEBUG_COUNTS`: how often each
/// per-event mechanism ran (`MechanismCounts`); `CKPTSIM_DEBUG_CHANNELS`: every data
/// channel's queue at the end (on stderr).
fn debug_dump(w: &World) {
    if crate::usage::debug_env().budget {
        eprintln!(
            "budget: {} of {} events ({} per mille)",
            w.budget.used,
            w.budget.max,
            w.budget.used * 1000 / w.budget.max
        );
    }
    if crate::usage::debug_env().counts {
        let c = &w.budget.counts;
        eprintln!(
            "counts: world steps {} loop rounds {} batched input steps {} wake-ups {} timers {} messages {} data items {}",
            w.budget.used, c.loop_rounds, c.batched_steps, c.wakeups, c.timers_armed, c.messages, w.data.item_seq
        );
        let causes: Vec<String> = (WakeCause::ALL.iter())
            .filter(|why| c.by_cause[**why as usize] > 0)
            .map(|why| format!("{} {}", why.name(), c.by_cause[*why as usize]))
            .collect();
        eprintln!("wake-ups by cause: {}", causes.join(" "));
    }
    if crate::usage::debug_env().channels {
        for (k, ch) in w.data.channels.iter() {
            eprintln!(
                "channel {:?}: {} items, {} record buffers, head {:?}",
                k,
                ch.queue.len(),
                ch.record_buffers,
                ch.queue.front().map(|(at, _, it)| (
                    at,
                    match it {
                        Item::Records(r) => format!("{} records", r.len()),
                        Item::Event(e, o) => format!("{e:?} +{}", o.len()),
                    }
                ))
            );
        }
    }
}

/// Builds a [`RunResult`] as one struct literal with no `..` base: a `RunResult` field left
/// out is a compile error (`RunResult` is deliberately not `Default`). `take:` fields are moved
/// out of the observation `$o` by their own name, `copy:` fields copied from it, `own:` fields
/// are local variables of the same name, the rest are written `field: expression`. (Invoked
/// with braces, which rustfmt leaves as written, so the field lists stay packed.)
macro_rules! run_result {
    ($o:ident; take: $($t:ident),* ; copy: $($c:ident),* ; own: $($v:ident),* ; $($f:ident: $e:expr),* $(,)?) => {
        RunResult {
            $($v,)*
            $($t: std::mem::take(&mut $o.$t),)*
            $($c: $o.$c,)*
            $($f: $e,)*
        }
    };
}

/// What was observed, moved out of the world into the [`RunResult`] (with the `committed`
/// output): the world's state at the end, and the observation's rows, most moved by name.
/// Exhaustive by construction (`run_result!`): a new `RunResult` field must be named here.
fn take_result(w: &mut World, seed: u64, committed: Rows) -> RunResult {
    let o = &mut w.obs;
    run_result! { o;
        take:
            // The job's status, restarts, checkpoints, outputs and inputs.
            region_restores, status_timeline, restart_schedule, print_rows, sink_anomalies, offset_commits,
            completed_offsets, completed_in_flight, lost_inputs, latest_skipped_on_restart, socket_reads,
            socket_marks, task_transitions, retunes, restart_description, snapshot_spans,
            // Event time: late records, the windows' assignments and their snapshots' cuts, the
            // late-fed joins' judgments, the sources' event time and the valves' steps.
            late_records, late_snapshots, assignment_snapshots, join_judgments, join_restores,
            window_assignments, quiesced_windows, source_event_time, valve_steps,
            // The checkpoint protocol's messages and calls: lost, refused, requested and stored.
            lost_final_states, lost_notifications, lost_triggers, failed_triggers, lost_abort_notifications,
            rejections, requests, stores,
            // Restores, rescales and stops, and what the restored tasks held (FLIP-147's finished
            // restores, keyed, list and window state).
            sync_savepoint_snapshots, stop_snapshots, stop_notices, finished_restores, dormant_sources,
            restores, rescales, stops, restored_keyed, restored_lists, restored_windows;
        copy: restarts, read_inputs, socket_last_connected_ms, transactions;
        own: seed, committed;
        final_status: o.status,
        checkpoints: std::mem::take(&mut o.checkpoints).into_vec(),
        final_checkpoint_config: o.final_checkpoint_config.clone(),
        notified_complete: std::mem::take(&mut o.notes.notified_complete),
        gate_passes: std::mem::take(&mut o.notes.gate_passes),
        gate_waits: std::mem::take(&mut o.notes.gate_waits),
        retry_calls: std::mem::take(&mut o.notes.retry_calls),
        channel_cuts: std::mem::take(&mut o.cuts),
        barrier_protocol: std::mem::take(&mut o.protocol),
        // The world's state at the end.
        trace: std::mem::take(&mut w.trace),
        open_txns_at_end: w.services.txn_store.open_txns().len(),
        sink_commit_horizon: sink_commit_horizon(&w.spec, &w.graph, &w.tasks),
        live_at_end: w.wake.live_tasks.iter().copied().collect(),
        retained: w.services.retained.iter().map(|c| c.id).collect(),
        last_fault_end_ms: w.faults.last_end_ms,
        stop_at_ms: w.spec.stop_at_ms,
        tm_count: w.spec.cluster.task_managers,
        task_names: w.graph.tasks.iter().map(|t| t.name.clone()).collect(),
        budget: w.budget.usage(),
    }
}

/// The oldest checkpoint whose completion every sink subtask of the current job has acted on;
/// `None` when one has acted on none. A rescale's earlier jobs count too: what their sinks all
/// acted on stays committed (`TaskHost::earlier_jobs_horizon`).
pub(super) fn sink_commit_horizon(spec: &JobSpec, graph: &Graph, tasks: &TaskHost) -> Option<CheckpointId> {
    current_job_commit_horizon(spec, graph, tasks).max(tasks.earlier_jobs_horizon)
}

/// [`sink_commit_horizon`] of the current job's graph alone.
fn current_job_commit_horizon(spec: &JobSpec, graph: &Graph, tasks: &TaskHost) -> Option<CheckpointId> {
    graph.sink_tasks(spec).iter().map(|t| tasks.completion_seen.get(t).copied()).min().flatten()
}

/// Waits for `notify` or until `deadline` (whichever first). Biased towards the notification.
pub(super) async fn tokio_select_sleep_or_notify(notify: &Notify, clock: &SimClock, deadline: Option<Instant>) {
    let notified = notify.notified();
    match deadline {
        Some(d) => {
            // `madsim::time::sleep_until` on the run's time handle (no thread-local lookup).
            let sleeper = clock.time.sleep_until(d);
            futures_select(notified, sleeper).await;
        }
        None => notified.await,
    }
}

/// A two-way select on futures, polling `a` first (`biased`).
pub(super) async fn futures_select<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    use std::pin::pin;
    use std::task::Poll;
    let mut a = pin!(a);
    let mut b = pin!(b);
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        Poll::Pending
    })
    .await
}
