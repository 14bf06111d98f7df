//! Scenario file → [`JobSpec`]: validated core configs, the operator pipeline, the input (generators and input bursts kept as parameters, drawn from a seeded stream when read), actions, faults and expectations.

use crate::scenario::log_input::{BurstLog, MergedLog};
use crate::scenario::{self, Anchor, FaultSpec, OperatorKindSpec, Scenario, When};
use crate::spec::{Action, Fault, FaultAt, GeneratedLog, InputSpec, JobSpec, LogRecords, OpKind, OpSpec};
use ckptsim::operator::FailureInjector;
use std::path::PathBuf;

/// The rand_chacha stream of the input generator (see ARCHITECTURE.md, determinism).
pub const INPUT_STREAM: u64 = 100;

/// Every `.toml` file in `paths` (folders are searched recursively), sorted. A folder reached
/// again through a symbolic link is searched once: two links to `.` in one folder made the walk
/// take 2^40 paths before the OS refused the depth (a hang). The first folder or entry that
/// cannot be read is the error, naming it ([`walk_scenarios`] goes on past it).
pub fn collect_scenarios(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let (files, errors) = walk_scenarios(paths);
    match errors.into_iter().next() {
        Some(e) => Err(std::io::Error::new(e.error.kind(), format!("{}: {}", e.path.display(), e.error))),
        None => Ok(files),
    }
}

/// A folder, or an entry of one, that the walk could not read (`sweep` reports it and sweeps
/// the rest).
#[derive(Debug)]
pub struct WalkError {
    /// The folder or entry.
    pub path: PathBuf,
    /// Why it could not be read.
    pub error: std::io::Error,
}

impl std::fmt::Display for WalkError {
    /// `PATH: (folder): cannot read the folder: ...`, the shape of a scenario's `(file)` error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: (folder): cannot read the folder: {}", self.path.display(), self.error)
    }
}

/// [`collect_scenarios`] that goes on past what it cannot read: the `.toml` files of every
/// readable folder, sorted, and one [`WalkError`] per folder (or entry) it could not read
/// (permission denied, a symbolic link loop, a path too long), sorted by path. An entry whose
/// link leads nowhere is not a scenario unless it is named `.toml` (then its load reports it).
pub fn walk_scenarios(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(d) = stack.pop() {
            let real = match std::fs::canonicalize(&d) {
                Ok(real) => real,
                Err(error) => {
                    errors.push(WalkError { path: d, error });
                    continue;
                }
            };
            if !seen.insert(real) {
                continue;
            }
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(&d) {
                Ok(r) => r.filter_map(|e| e.map_err(|error| errors.push(WalkError { path: d.clone(), error })).ok()),
                Err(error) => {
                    errors.push(WalkError { path: d, error });
                    continue;
                }
            }
            .map(|e| e.path())
            .collect();
            entries.sort();
            for e in entries {
                let toml = e.extension().is_some_and(|x| x == "toml");
                match std::fs::metadata(&e) {
                    Ok(m) if m.is_dir() => stack.push(e),
                    _ if toml => out.push(e),
                    Ok(_) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => errors.push(WalkError { path: e, error }),
                }
            }
        }
    }
    out.sort();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (out, errors)
}

/// The scenario kind of a run's operator: the inverse of [`to_spec`]'s kind mapping, so the
/// emitter writes kind names from the scenario model's one table ([`OperatorKindSpec::name`]).
pub fn scenario_kind(k: &OpKind) -> OperatorKindSpec {
    match k {
        OpKind::SocketSource => OperatorKindSpec::SocketSource,
        OpKind::LogSource { startup } => OperatorKindSpec::LogSource { startup: *startup },
        OpKind::Map(u) => OperatorKindSpec::Map { function: *u },
        OpKind::FlatMap(u) => OperatorKindSpec::FlatMap { function: *u },
        OpKind::Filter(u) => OperatorKindSpec::Filter { function: *u },
        OpKind::Rebalance => OperatorKindSpec::Rebalance,
        OpKind::KeyBy => OperatorKindSpec::KeyBy,
        OpKind::Aggregate(a) => OperatorKindSpec::Aggregate(*a),
        OpKind::CountWindow { size } => OperatorKindSpec::CountWindow { size: *size },
        OpKind::EventWindow(w) => OperatorKindSpec::EventWindow(*w),
        OpKind::PrintSink => OperatorKindSpec::PrintSink,
        OpKind::TwoPhaseCommitSink => OperatorKindSpec::TwoPhaseCommitSink,
        OpKind::User(u) => OperatorKindSpec::User { function: u.name().to_string() },
        OpKind::Union => OperatorKindSpec::Union,
        OpKind::Connect(first, second) => OperatorKindSpec::Connect { first: *first, second: *second },
        OpKind::Join => OperatorKindSpec::Join,
        OpKind::EventJoin(j) => OperatorKindSpec::EventJoin(*j),
        OpKind::Broadcast => OperatorKindSpec::Broadcast,
        OpKind::BroadcastProcess { report, function, timer_delay_ms } => {
            OperatorKindSpec::BroadcastProcess { report: *report, function: *function, timer_delay_ms: *timer_delay_ms }
        }
    }
}

/// Converts a parsed (and validated) scenario.
pub fn to_spec(sc: &Scenario, source_path: &str) -> JobSpec {
    let mut operators: Vec<OpSpec> = sc.operators.iter().map(op_spec).collect();
    let event_time = sc.source().event_time;
    // Event timestamps by input sequence number (empty when no source has event time).
    let (mut input, mut timestamps) = if sc.source_inputs.is_empty() {
        expand_input(&sc.input, sc.seed, INPUT_STREAM, event_time)
    } else {
        several_inputs(sc, &mut operators)
    };
    let mut faults = Vec::new();
    for f in &sc.faults {
        let at = fault_at(&f.when);
        let start = match at {
            FaultAt::Time(t) => t,
            _ => 0,
        };
        match &f.fault {
            FaultSpec::Inject { kind, duration_ms } => {
                faults.push(Fault { at, duration_ms: *duration_ms, kind: kind.clone() })
            }
            FaultSpec::InputBurst { records_per_s, duration_ms } => {
                if event_time {
                    add_timestamped_burst(&mut input, &mut timestamps, start, *records_per_s, *duration_ms);
                } else {
                    add_burst(&mut input, start, *records_per_s, *duration_ms);
                }
            }
        }
    }
    let actions = sc.actions.iter().map(|a| Action { at: fault_at(&a.when), kind: a.action.clone() }).collect();
    JobSpec {
        name: sc.name.clone(),
        profile: sc.profile,
        variant: sc.variant,
        checkpoint: sc.checkpoint_config().clone(),
        restart: sc.restart_config(),
        restart_configured: sc.configured_restart().is_some(),
        failover: sc.failover,
        cluster: sc.cluster.clone(),
        kafka: sc.kafka.clone(),
        operators,
        input,
        actions,
        faults,
        stop_at_ms: sc.stop_at_ms,
        expect: sc.expect.clone(),
        default_seed: sc.seed,
        swarm_keep: sc.swarm_keep,
        source_path: source_path.to_string(),
        input_options: crate::spec::InputOptions {
            bounded: sc.source().bounded,
            gates: sc.input_gates.iter().map(|g| (g.after_records, g.trigger)).collect(),
            socket_connected_clock: sc.socket_session.connected_clock,
            socket_buffer_unread: sc.socket_session.buffer_unread,
            timestamps,
        },
        max_events: None,
    }
}

/// The run's operator for a scenario operator: its kind lowered, its failure injectors listed.
fn op_spec(o: &scenario::OperatorSpec) -> OpSpec {
    let kind = op_kind(&o.kind);
    let mut injectors = Vec::new();
    if let Some(v) = &o.fail_on_value {
        injectors.push(FailureInjector::OnValue(v.clone()));
    }
    if let Some(n) = o.fail_every_nth {
        injectors.push(FailureInjector::EveryNth { n });
    }
    if let Some(at_ms) = o.fail_at_ms {
        injectors.push(FailureInjector::AtTime { at_ms });
    }
    injectors.extend(more_injectors(&o.more_injectors));
    let is_source = kind.is_source();
    OpSpec {
        name: o.name.clone(),
        kind,
        parallelism: o.parallelism,
        injectors,
        padding_bytes: o.state_padding_bytes,
        sink_store: o.sink_store,
        max_parallelism: o.max_parallelism,
        ignore_failures_after_transaction_timeout: o.ignore_failures_after_transaction_timeout,
        sink_v2: o.sink_v2,
        inputs: o.inputs.clone(),
        late_input: o.late_input,
        late_gate: o.late_gate,
        late_side: o.late_side,
        topic: None,
        topic_name: o.topic.clone(),
        bounded: o.bounded,
        watermarks: o.watermarks,
        user_source: o
            .user_io
            .as_deref()
            .filter(|_| is_source)
            .map(crate::scenario::user_refs::UserSourceRef::unresolved),
        user_sink: o.user_io.as_deref().filter(|_| !is_source).map(crate::scenario::user_refs::UserSinkRef::unresolved),
        user_writer: None,
        delivery_guarantee: o.delivery_guarantee,
    }
}

/// The run's operator kind for a scenario operator kind.
fn op_kind(kind: &OperatorKindSpec) -> OpKind {
    match kind {
        OperatorKindSpec::SocketSource => OpKind::SocketSource,
        OperatorKindSpec::LogSource { startup: s } => OpKind::LogSource { startup: *s },
        OperatorKindSpec::Map { function } => OpKind::Map(*function),
        OperatorKindSpec::FlatMap { function } => OpKind::FlatMap(*function),
        OperatorKindSpec::Filter { function } => OpKind::Filter(*function),
        OperatorKindSpec::Rebalance => OpKind::Rebalance,
        OperatorKindSpec::KeyBy => OpKind::KeyBy,
        OperatorKindSpec::Aggregate(a) => OpKind::Aggregate(*a),
        OperatorKindSpec::CountWindow { size } => OpKind::CountWindow { size: *size },
        OperatorKindSpec::EventWindow(w) => OpKind::EventWindow(*w),
        OperatorKindSpec::PrintSink => OpKind::PrintSink,
        OperatorKindSpec::TwoPhaseCommitSink => OpKind::TwoPhaseCommitSink,
        OperatorKindSpec::User { function } => {
            OpKind::User(crate::scenario::user_refs::UserOpRef::unresolved(function))
        }
        OperatorKindSpec::Union => OpKind::Union,
        OperatorKindSpec::Connect { first, second } => OpKind::Connect(*first, *second),
        OperatorKindSpec::Join => OpKind::Join,
        OperatorKindSpec::EventJoin(j) => OpKind::EventJoin(*j),
        OperatorKindSpec::Broadcast => OpKind::Broadcast,
        OperatorKindSpec::BroadcastProcess { report, function, timer_delay_ms } => {
            OpKind::BroadcastProcess { report: *report, function: *function, timer_delay_ms: *timer_delay_ms }
        }
    }
}

/// An input burst: extra records (log) or lines (socket) at `records_per_s` for `duration_ms`.
/// A log input keeps the burst as its parameters ([`BurstLog`]): its records are merged with the
/// rest by time as the run reads them, so loading costs O(1) per burst, not O(records).
fn add_burst(input: &mut InputSpec, start_ms: u64, records_per_s: u64, duration_ms: u64) {
    let n = records_per_s.saturating_mul(duration_ms) / 1000;
    match input {
        InputSpec::Log { partitions, records } => {
            records.add_burst(BurstLog { start_ms, records_per_s, count: n, partitions: *partitions });
        }
        InputSpec::Lines(lines) => {
            for i in 0..n {
                lines.push((start_ms + i * 1000 / records_per_s.max(1), format!("burst{}", i % 7)));
            }
            lines.sort_by_key(|l| l.0);
        }
    }
}

/// An input burst into event-time input: the burst's records get their append time as event
/// timestamp. The records stay lazy ([`add_burst`]); the timestamps (one `i64` per input, read
/// by input number) follow the merged order: the base's own, a burst record's its append time.
fn add_timestamped_burst(
    input: &mut InputSpec,
    timestamps: &mut Vec<i64>,
    start_ms: u64,
    records_per_s: u64,
    duration_ms: u64,
) {
    let InputSpec::Log { records, .. } = input else { return };
    // The timestamps of the records that are not bursts (the base and, with several sources,
    // the other topics), in their merged order, before this burst joins the merge.
    let base_ts: Vec<i64> = match records {
        LogRecords::Merged(m) => {
            m.order().zip(timestamps.iter()).filter(|((s, _, _), _)| !m.is_burst(*s)).map(|(_, ts)| *ts).collect()
        }
        _ => std::mem::take(timestamps),
    };
    add_burst(input, start_ms, records_per_s, duration_ms);
    let InputSpec::Log { records: LogRecords::Merged(m), .. } = input else {
        *timestamps = base_ts;
        return;
    };
    let mut k = 0;
    *timestamps = m
        .order()
        .map(|(s, _, at)| {
            if m.is_burst(s) {
                at as i64
            } else {
                k += 1;
                base_ts.get(k - 1).copied().unwrap_or(at as i64)
            }
        })
        .collect();
}

/// The once-only and lifecycle failure injectors of one operator, in a fixed order.
fn more_injectors(m: &scenario::MoreInjectors) -> Vec<FailureInjector> {
    let mut v = Vec::new();
    if let Some(x) = &m.fail_once_on_value {
        v.push(FailureInjector::OnceOnValue(x.clone()));
    }
    if let Some(n) = m.fail_on_nth_record {
        v.push(FailureInjector::NthRecord { n });
    }
    if let Some(c) = m.fail_snapshot_sync_on_checkpoint {
        v.push(FailureInjector::SnapshotSync { checkpoint: c });
    }
    if let Some(c) = m.fail_snapshot_async_on_checkpoint {
        v.push(FailureInjector::SnapshotAsync { checkpoint: c });
    }
    if let Some(c) = m.fail_notify_complete_on_checkpoint {
        v.push(FailureInjector::NotifyComplete { checkpoint: c });
    }
    if let Some(times) = m.fail_on_restore_times {
        v.push(FailureInjector::OnRestore { times });
    }
    if let Some(times) = m.fail_on_deploy_times {
        v.push(FailureInjector::OnDeploy { times });
    }
    v
}

/// The run's input of a job with one source (`[input]`).
/// A scenario input as the run's input; generated records come from stream `stream`. With
/// `event_time`, also each record's event timestamp (`ts_ms`, default its append time; a
/// generator's `ts_jitter_ms` is drawn after the key, so inputs without event time keep their
/// stream and trace hashes).
fn expand_input(input: &scenario::InputSpec, seed: u64, stream: u64, event_time: bool) -> (InputSpec, Vec<i64>) {
    let mut timestamps = Vec::new();
    let input = match input {
        scenario::InputSpec::Lines(l) => InputSpec::Lines(l.iter().map(|x| (x.at_ms, x.line.clone())).collect()),
        scenario::InputSpec::Records { partitions, records } => {
            if event_time {
                timestamps = records.iter().map(|r| r.ts_ms.unwrap_or(r.at_ms as i64)).collect();
            }
            InputSpec::Log {
                partitions: *partitions,
                records: records.iter().map(|r| (r.at_ms, r.partition.0, r.value.clone())).collect::<Vec<_>>().into(),
            }
        }
        scenario::InputSpec::Generator { partitions, generator: g } => {
            // Kept as a generator: its records are drawn when the run (or a checker) reads
            // them, so loading costs nothing per record (`log_input.rs`).
            let gen = GeneratedLog {
                count: g.count,
                rate_per_s: g.rate_per_s,
                keys: g.keys,
                distribution: g.distribution,
                start_ms: g.start_ms,
                partitions: *partitions,
                seed,
                stream,
                jitter_ms: if event_time { g.ts_jitter_ms } else { 0 },
            };
            if event_time {
                // Event time keeps one timestamp per input (the watermark generators and the
                // windows checker read them by input number).
                let mut rng = gen.rng();
                let norm = crate::scenario::log_input::zipf_norm(gen.keys.max(1), gen.distribution);
                timestamps =
                    (0..g.count).map(|i| gen.at_ms(i) as i64 - gen.draw_with(&mut rng, norm).1 as i64).collect();
            }
            InputSpec::Log { partitions: *partitions, records: LogRecords::Generated(gen) }
        }
    };
    (input, timestamps)
}

/// The run's input of a job with several log sources (`[inputs.<Name>]`): one broker log in
/// which each source's topic is its own range of partitions, in operator order. The records of
/// every source are merged by append time (ties: source order), so input sequence numbers stay
/// unique across sources. The `k`-th source's generator draws from stream `100 + k`. The merge
/// is lazy (`MergedLog::with_topics`): a generated source stays its parameters, so loading
/// costs O(file) (event time keeps one timestamp per input, as with one source).
///
/// Event time (semantics §11.6): when any source has event time, every record carries a
/// timestamp: its own (`ts_ms`, a generator's jitter) for a source with `watermarks`, its append
/// time otherwise (a Kafka record's timestamp, which Flink's `KafkaSource` attaches).
fn several_inputs(sc: &Scenario, operators: &mut [OpSpec]) -> (InputSpec, Vec<i64>) {
    let mut first = 0u32;
    let mut topics: Vec<(u32, LogRecords)> = Vec::new();
    let mut source_ts: Vec<Vec<i64>> = Vec::new();
    let any_event_time = sc.operators.iter().any(|o| o.kind.is_source() && o.event_time);
    for (k, (name, input)) in sc.source_inputs.iter().enumerate() {
        let event_time = sc.operators.iter().any(|o| &o.name == name && o.event_time);
        let (InputSpec::Log { partitions, records }, ts) =
            expand_input(input, sc.seed, INPUT_STREAM + k as u64, event_time)
        else {
            unreachable!("several sources are log sources (validated)")
        };
        if let Some(op) = operators.iter_mut().find(|o| &o.name == name) {
            op.topic = Some((first, partitions));
        }
        topics.push((first, records));
        source_ts.push(ts);
        first += partitions;
    }
    let total: usize = topics.iter().map(|(_, records)| records.len()).sum();
    let mut topics = topics.into_iter();
    let base = topics.next().map(|(_, records)| records).unwrap_or_default();
    let merged = MergedLog::with_topics(base, topics.collect(), Vec::new());
    // Each record's own timestamp (a source without event time: its append time), merged.
    let mut timestamps = Vec::new();
    if any_event_time {
        timestamps.reserve_exact(total);
        timestamps.extend(merged.order().map(|(s, i, at)| source_ts[s].get(i as usize).copied().unwrap_or(at as i64)));
    }
    (InputSpec::Log { partitions: first, records: LogRecords::Merged(merged) }, timestamps)
}

/// A validated `at_ms` / `on` as the world's `FaultAt`.
fn fault_at(when: &When) -> FaultAt {
    match when {
        When::At(t) => FaultAt::Time(*t),
        When::On(a) => match a {
            Anchor::Triggered { checkpoint } => FaultAt::Triggered { checkpoint: checkpoint.0 },
            Anchor::Acked { checkpoint } => FaultAt::Acked { checkpoint: checkpoint.0 },
            Anchor::Completed { checkpoint } => FaultAt::Completed { checkpoint: checkpoint.0 },
            Anchor::BarrierAt { checkpoint, task } => {
                FaultAt::BarrierAt { checkpoint: checkpoint.0, task: task.task_name() }
            }
            Anchor::InputRead { input } => FaultAt::InputRead { input: *input },
            Anchor::Deploying { attempt } => FaultAt::Deploying { attempt: *attempt },
        },
    }
}
