//! [`JobSpec`] → scenario TOML: the inverse of [`crate::load`], for shrunk regressions and fuzz-found schedules, written through the scenario's raw model.
//!
//! The text is the scenario file's raw model (`scenario/raw.rs`: the structs the loader
//! deserializes) filled from the spec and serialized by the `toml` writer, so the keys written are
//! exactly the keys read: a key renamed or removed in the raw model no longer compiles here, and
//! names come from the one table of each vocabulary (`OperatorKindSpec::name`,
//! `ActionSpec::name`, the core's serde names). The `toml` writer lays the tables out;
//! `inline_lists` then writes records, lines and gates inline, one per line. The text loads back with
//! [`crate::scenario::parse`] + [`crate::load::to_spec`] into an equal spec for everything a
//! scenario can express (see [`to_toml`] for the few things it cannot). Generated input is
//! written out record by record; keys equal to the scenario defaults are omitted.

use crate::scenario::names::name_of;
use crate::scenario::raw::*;
use crate::spec::{ActionSpec, ClusterSpec, Fault, FaultAt, FaultKind, InputSpec, JobSpec, OpKind, OpSpec};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig, Retune};
use ckptsim::operator::FailureInjector;
use std::collections::BTreeMap;

/// The `on = "..."` text of an anchor; `None` for a time.
pub fn anchor_text(at: &FaultAt) -> Option<String> {
    match at {
        FaultAt::Time(_) => None,
        FaultAt::Triggered { checkpoint } => Some(format!("checkpoint-{checkpoint}-triggered")),
        FaultAt::Acked { checkpoint } => Some(format!("checkpoint-{checkpoint}-acked")),
        FaultAt::Completed { checkpoint } => Some(format!("checkpoint-{checkpoint}-completed")),
        FaultAt::BarrierAt { checkpoint, task } => Some(format!("checkpoint-{checkpoint}-barrier-at:{task}")),
        FaultAt::InputRead { input } => Some(format!("input-{input}-read")),
        FaultAt::Deploying { attempt } => Some(format!("attempt-{attempt}-deploying")),
    }
}

/// `at_ms` and `on` of a fault or action.
fn when(at: &FaultAt) -> (Option<u64>, Option<String>) {
    match at {
        FaultAt::Time(t) => (Some(*t), None),
        _ => (None, anchor_text(at)),
    }
}

/// `Some(v)` where `v` differs from the default `d`.
fn unless_default<T: PartialEq>(v: T, d: T) -> Option<T> {
    (v != d).then_some(v)
}

/// A duration the raw model reads as a signed integer (validated far below 2^63).
fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// One `[[faults]]` entry.
fn fault(f: &Fault) -> RawFault {
    let (at_ms, on) = when(&f.at);
    let mut r = RawFault { kind: Some(f.kind.name().to_string()), at_ms, on, ..RawFault::default() };
    match &f.kind {
        FaultKind::TaskFailure { task } => r.target = Some(task.clone()),
        FaultKind::TmCrash { tm, restart_after_ms } => {
            r.target = Some(format!("tm{tm}"));
            r.restart_after_ms = Some(*restart_after_ms);
        }
        FaultKind::JmCrash { restart_after_ms } => r.restart_after_ms = Some(*restart_after_ms),
        FaultKind::Partition { a, b, both } => {
            r.target = Some(a.clone());
            r.peer = Some(b.clone());
            r.direction = Some(if *both { "both" } else { "one-way" }.to_string());
        }
        FaultKind::MessageLoss { rate, messages, target, peer } => {
            r.target = target.clone();
            r.peer = peer.clone();
            r.rate = Some(*rate);
            if !messages.is_empty() {
                r.messages = Some(messages.clone());
            }
        }
        FaultKind::ControlDelay { extra_ms, target } => {
            r.target = target.clone();
            r.extra_ms = Some(*extra_ms);
        }
        FaultKind::StorageSlow { extra_ms } => r.extra_ms = Some(*extra_ms),
        FaultKind::SlowLink { task, extra_ms } => {
            r.target = Some(task.clone());
            r.extra_ms = Some(*extra_ms);
        }
        FaultKind::SlowSnapshot { task, sync_ms, async_ms } => {
            r.target = Some(task.clone());
            r.extra_ms = Some(sync_ms + async_ms);
        }
        FaultKind::StorageFailure | FaultKind::BrokerOutage | FaultKind::SinkStoreOutage => {}
        FaultKind::SlowOperator { operator, records_per_s } => {
            r.target = Some(operator.clone());
            r.records_per_s = Some(*records_per_s);
        }
    }
    r.duration_ms = f.duration_ms;
    r
}

/// A slow-snapshot fault as the loader builds it from `extra_ms` (a quarter synchronous): the
/// only fault whose [`FaultKind`] a scenario cannot express exactly otherwise.
pub fn normalize_fault(f: &mut Fault) {
    if let FaultKind::SlowSnapshot { sync_ms, async_ms, .. } = &mut f.kind {
        let extra = *sync_ms + *async_ms;
        *sync_ms = extra / 4;
        *async_ms = extra - extra / 4;
    }
}

/// One `[[actions]]` entry.
fn action(at: &FaultAt, kind: &ActionSpec) -> RawAction {
    let (at_ms, on) = when(at);
    let mut r = RawAction { at_ms, on, kind: Some(kind.name().to_string()), ..RawAction::default() };
    match kind {
        ActionSpec::Retune(Retune { interval_ms, min_pause_ms, timeout_ms, tolerable_failures }) => {
            r.interval_ms = *interval_ms;
            r.min_pause_ms = *min_pause_ms;
            r.timeout_ms = *timeout_ms;
            r.tolerable_failures = tolerable_failures.map(IntOrUnlimited::Int);
        }
        ActionSpec::Cancel | ActionSpec::Savepoint | ActionSpec::TriggerCheckpoint | ActionSpec::RestoreRetained => {}
        ActionSpec::StopWithSavepoint { drain } => r.drain = drain.then_some(true),
        ActionSpec::Rescale(s) => {
            r.from = Some(s.from.name().to_string());
            r.parallelism = Some(s.parallelism.clone());
            r.max_parallelism = (!s.max_parallelism.is_empty()).then(|| {
                s.max_parallelism.iter().map(|(k, v)| (k.clone(), v.map_or(IntOrAuto::Auto, IntOrAuto::Int))).collect()
            });
        }
    }
    r
}

/// An operator's `kind` and its kind-specific keys.
fn op_kind(o: &OpSpec, r: &mut RawOperator) {
    let user_sink = o.user_sink.as_ref().map(|u| u.name()).or_else(|| o.user_writer.as_ref().map(|u| u.name()));
    r.topic = o.topic_name.clone();
    if let Some(u) = &o.user_source {
        r.kind = Some("user-source".into());
        r.function = Some(u.name().to_string());
        return;
    }
    if let Some(name) = user_sink {
        r.kind = Some("user-sink".into());
        r.function = Some(name.to_string());
        r.delivery_guarantee = o.delivery_guarantee.map(|g| g.name());
        return;
    }
    r.kind = Some(crate::load::scenario_kind(&o.kind).name().to_string());
    match &o.kind {
        OpKind::LogSource { startup } => r.startup = Some(startup.name().to_string()),
        OpKind::Map(u) | OpKind::FlatMap(u) | OpKind::Filter(u) => r.function = Some(u.name().to_string()),
        OpKind::CountWindow { size } => r.size = Some(*size),
        OpKind::User(u) => r.function = Some(u.name().to_string()),
        OpKind::Connect(a, b) => {
            r.function = Some(a.name().to_string());
            r.second_function = Some(b.name().to_string());
        }
        OpKind::EventWindow(w) => event_window(w, r),
        OpKind::BroadcastProcess { report, function, timer_delay_ms } => {
            if *report || *function != ckptsim::broadcast_process::BroadcastFunction::Rules {
                r.function = Some(function.name(*report).to_string());
            }
            r.timer_delay_ms = timer_delay_ms.map(|d| d as i64);
        }
        OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { lower_ms, upper_ms }) => {
            // Inclusive bounds, unless the exclusive ones moved past each other (`between(0, 0)`
            // with an exclusive bound): then the bounds as written, with their flags.
            let moved_past = lower_ms - upper_ms;
            r.lower_exclusive = (moved_past > 0).then_some(true);
            r.upper_exclusive = (moved_past > 1).then_some(true);
            r.lower_ms = Some(if moved_past > 0 { lower_ms - 1 } else { *lower_ms });
            r.upper_ms = Some(if moved_past > 1 { upper_ms + 1 } else { *upper_ms });
        }
        OpKind::EventJoin(ckptsim::join::JoinSpec::Window { size_ms }) => r.size_ms = Some(*size_ms),
        OpKind::EventJoin(ckptsim::join::JoinSpec::SlidingWindow { size_ms, slide_ms }) => {
            r.size_ms = Some(*size_ms);
            r.slide_ms = Some(*slide_ms);
        }
        _ => {}
    }
}

/// The keys of an `event_window` (defaults left out).
fn event_window(w: &ckptsim::window::EventWindowSpec, r: &mut RawOperator) {
    use ckptsim::window::WindowAssigner;
    let offset = match w.assigner {
        WindowAssigner::Tumbling { size_ms, offset_ms } => {
            r.window = Some("tumbling".into());
            r.size_ms = Some(signed(size_ms));
            offset_ms
        }
        WindowAssigner::Sliding { size_ms, slide_ms, offset_ms } => {
            r.window = Some("sliding".into());
            r.size_ms = Some(signed(size_ms));
            r.slide_ms = Some(signed(slide_ms));
            offset_ms
        }
        WindowAssigner::Session { gap_ms } => {
            r.window = Some("session".into());
            r.gap_ms = Some(signed(gap_ms));
            0
        }
    };
    r.offset_ms = unless_default(offset, 0);
    r.aggregate = Some(w.aggregate.name().to_string());
    r.allowed_lateness_ms = unless_default(signed(w.allowed_lateness_ms), 0);
    r.late_records = w.late_side_output.then(|| "side-output".to_string());
}

/// A log source's watermark strategy (`watermarks = "none"` when the input has timestamps
/// but the source no periodic watermarks).
fn watermarks(o: &OpSpec, spec: &JobSpec, r: &mut RawOperator) {
    use ckptsim::watermark::{GeneratorKind, DEFAULT_AUTO_WATERMARK_INTERVAL_MS};
    let Some(w) = o.watermarks else {
        if !spec.input_options.timestamps.is_empty() {
            r.watermarks = Some("none".into());
        }
        return;
    };
    if w.auto_watermark_interval_ms == crate::spec::NO_WATERMARKS_INTERVAL_MS {
        r.watermarks = Some("none".into());
        return;
    }
    match w.generator {
        GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => {
            r.watermarks = Some("bounded-out-of-orderness".into());
            r.max_out_of_orderness_ms = Some(signed(max_out_of_orderness_ms));
        }
        GeneratorKind::MonotonousTimestamps => r.watermarks = Some("monotonous".into()),
    }
    r.idle_timeout_ms = w.idle_timeout_ms.map(signed);
    r.auto_watermark_interval_ms =
        unless_default(w.auto_watermark_interval_ms, DEFAULT_AUTO_WATERMARK_INTERVAL_MS).map(signed);
}

/// One `[[operators]]` entry (operator `i` of `spec`).
fn operator(spec: &JobSpec, i: usize) -> RawOperator {
    let o = &spec.operators[i];
    let graph = spec.is_graph();
    let mut r = RawOperator { name: Some(o.name.clone()), ..RawOperator::default() };
    op_kind(o, &mut r);
    if !o.kind.is_partitioning() {
        r.parallelism = unless_default(o.parallelism, 1);
    }
    r.max_parallelism = o.max_parallelism;
    for inj in &o.injectors {
        match inj {
            FailureInjector::OnValue(v) => r.fail_on_value = Some(v.clone()),
            FailureInjector::EveryNth { n } => r.fail_every_nth = Some(*n),
            FailureInjector::AtTime { at_ms } => r.fail_at_ms = Some(*at_ms),
            FailureInjector::OnceOnValue(v) => r.fail_once_on_value = Some(v.clone()),
            FailureInjector::NthRecord { n } => r.fail_on_nth_record = Some(*n),
            FailureInjector::SnapshotSync { checkpoint } => r.fail_snapshot_sync_on_checkpoint = Some(*checkpoint),
            FailureInjector::SnapshotAsync { checkpoint } => r.fail_snapshot_async_on_checkpoint = Some(*checkpoint),
            FailureInjector::NotifyComplete { checkpoint } => r.fail_notify_complete_on_checkpoint = Some(*checkpoint),
            FailureInjector::OnRestore { times } => r.fail_on_restore_times = Some(*times),
            FailureInjector::OnDeploy { times } => r.fail_on_deploy_times = Some(*times),
        }
    }
    r.state_padding_bytes = unless_default(o.padding_bytes, 0);
    r.transaction_timeout_ms = o.sink_store.transaction_timeout_ms;
    r.idempotent_commit = (!o.sink_store.idempotent_commit).then_some(false);
    r.retriable_commit_failures = unless_default(o.sink_store.retriable_commit_failures, 0);
    r.ignore_failures_after_transaction_timeout = o.ignore_failures_after_transaction_timeout.then_some(true);
    r.sink_api = o.sink_v2.then(|| "sink-v2".to_string());
    if o.kind.is_source() && (if graph { o.bounded } else { spec.input_options.bounded }) {
        r.bounded = Some(true);
    }
    if graph && !o.kind.is_source() {
        let late = |k: usize| match spec.operators[i].late_side.filter(|_| spec.reads_late(i, k)) {
            Some(side) => format!(".{}", crate::scenario::JOIN_LATE_TAGS[side.min(1) as usize]),
            None if spec.reads_late(i, k) => ".late".to_owned(),
            None => String::new(),
        };
        r.inputs = Some(
            spec.op_inputs(i)
                .iter()
                .enumerate()
                .map(|(k, j)| format!("{}{}", spec.operators[*j].name, late(k)))
                .collect(),
        );
    }
    if o.kind.is_source() {
        watermarks(o, spec, &mut r);
    }
    // An interval join's side outputs that some operator reads (session 34; a set but unread
    // side output changes nothing, so it is not written back).
    let read = |side: u32| {
        spec.operators.iter().enumerate().any(|(j, c)| c.late_side == Some(side) && spec.op_inputs(j) == [i])
    };
    r.late_left = read(0).then(|| "side-output".to_owned());
    r.late_right = read(1).then(|| "side-output".to_owned());
    r
}

fn checkpoint(c: &CheckpointConfig) -> Option<RawCheckpoint> {
    let d = CheckpointConfig::default();
    (*c != d).then(|| RawCheckpoint {
        interval_ms: c.interval_ms,
        min_pause_ms: unless_default(c.min_pause_ms, d.min_pause_ms),
        timeout_ms: unless_default(c.timeout_ms, d.timeout_ms),
        max_concurrent: unless_default(c.max_concurrent, d.max_concurrent),
        tolerable_failures: unless_default(c.tolerable_failures, d.tolerable_failures).map(IntOrUnlimited::Int),
        mode: unless_default(c.mode, d.mode).map(|m| name_of(&m)),
        unaligned: unless_default(c.unaligned, d.unaligned),
        aligned_timeout_ms: unless_default(c.aligned_timeout_ms, d.aligned_timeout_ms),
        barrier_announcements: c.barrier_announcements,
        retention: unless_default(c.retention, d.retention).map(|r| name_of(&r)),
        num_retained: unless_default(c.num_retained, d.num_retained),
        first_id: unless_default(c.first_id, d.first_id),
    })
}

fn restart(r: &RestartStrategyConfig) -> RawRestart {
    let mut raw = RawRestart { strategy: Some(r.name().into()), ..RawRestart::default() };
    match r {
        RestartStrategyConfig::NoRestart => {}
        RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
            raw.attempts = Some(IntOrUnlimited::Int(*attempts));
            raw.delay_ms = Some(*delay_ms);
        }
        RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
            raw.max_failures_per_interval = Some(*max_failures_per_interval);
            raw.interval_ms = Some(*interval_ms);
            raw.delay_ms = Some(*delay_ms);
        }
        RestartStrategyConfig::ExponentialDelay {
            initial_backoff_ms,
            max_backoff_ms,
            multiplier,
            reset_threshold_ms,
            jitter,
            attempts,
        } => {
            raw.initial_backoff_ms = Some(*initial_backoff_ms);
            raw.max_backoff_ms = Some(*max_backoff_ms);
            raw.multiplier = Some(*multiplier);
            raw.reset_threshold_ms = Some(*reset_threshold_ms);
            raw.jitter = Some(*jitter);
            raw.attempts = Some(IntOrUnlimited::Int(*attempts));
        }
    }
    raw
}

/// `[kafka]`, only the keys that differ from the defaults.
fn kafka(k: &crate::spec::KafkaSpec) -> Option<RawKafka> {
    let d = crate::spec::KafkaSpec::default();
    (*k != d).then(|| RawKafka {
        commit_offsets_on_checkpoint: unless_default(k.commit_offsets_on_checkpoint, d.commit_offsets_on_checkpoint),
        auto_commit: k.auto_commit,
        auto_commit_interval_ms: unless_default(k.auto_commit_interval_ms, d.auto_commit_interval_ms),
    })
}

/// `[cluster]`, only the keys that differ from the defaults; `slots_per_tm` raised when a
/// hand-built spec's parallelism needs more slots than it has.
fn cluster(spec: &JobSpec) -> Option<RawCluster> {
    let (c, d) = (&spec.cluster, ClusterSpec::default());
    // What the parser derives for an absent interval: a fifth of an explicit timeout.
    let derived_interval_ms = if c.heartbeat_timeout_ms != d.heartbeat_timeout_ms {
        (c.heartbeat_timeout_ms / 5).clamp(1, d.heartbeat_interval_ms)
    } else {
        d.heartbeat_interval_ms
    };
    let range = |v: (u64, u64), dv: (u64, u64)| unless_default(v, dv).map(|(a, b)| LatencyRange(a, b));
    let max_p = spec.operators.iter().map(|o| o.parallelism).max().unwrap_or(1);
    let (tms, slots) = (c.task_managers.max(1), c.slots_per_tm.max(1));
    let raw = RawCluster {
        task_managers: unless_default(c.task_managers, d.task_managers),
        slots_per_tm: (slots != d.slots_per_tm || max_p > tms * slots).then(|| slots.max(max_p.div_ceil(tms))),
        control_latency_ms: range(c.control_latency_ms, d.control_latency_ms),
        data_latency_ms: unless_default(c.data_latency_ms, d.data_latency_ms),
        channel_capacity_buffers: unless_default(c.channel_capacity_buffers, d.channel_capacity_buffers),
        buffer_records: unless_default(c.buffer_records, d.buffer_records),
        buffer_timeout_ms: unless_default(c.buffer_timeout_ms, d.buffer_timeout_ms),
        record_cost_us: unless_default(c.record_cost_us, d.record_cost_us),
        storage_bandwidth_bytes_per_ms: unless_default(
            c.storage_bandwidth_bytes_per_ms,
            d.storage_bandwidth_bytes_per_ms,
        ),
        heartbeat_interval_ms: unless_default(c.heartbeat_interval_ms, derived_interval_ms),
        heartbeat_timeout_ms: unless_default(c.heartbeat_timeout_ms, d.heartbeat_timeout_ms),
        deploy_latency_ms: range(c.deploy_latency_ms, d.deploy_latency_ms),
        restore_latency_ms: range(c.restore_latency_ms, d.restore_latency_ms),
        cancel_latency_ms: range(c.cancel_latency_ms, d.cancel_latency_ms),
        first_start_latency_ms: range(c.first_start_latency_ms, d.first_start_latency_ms),
        task_cancellation_timeout_ms: unless_default(c.task_cancellation_timeout_ms, d.task_cancellation_timeout_ms),
    };
    let empty = toml::to_string(&raw).map_or(true, |t| t.trim().is_empty());
    (!empty).then_some(raw)
}

/// A log's records with partitions in `first..first + count` (numbered from `first`), each with
/// its event timestamp when `event_time`.
fn records(spec: &JobSpec, first: u32, count: u32, event_time: bool) -> Vec<RawRecord> {
    let InputSpec::Log { records, .. } = &spec.input else { return Vec::new() };
    let ts = &spec.input_options.timestamps;
    records
        .iter()
        .enumerate()
        .filter(|(_, (_, p, _))| *p >= first && *p < first + count)
        .map(|(seq, (at, p, v))| RawRecord {
            at_ms: Some(at),
            partition: Some(p - first),
            value: Some(v.to_string()),
            ts_ms: ts.get(seq).copied().filter(|_| event_time),
        })
        .collect()
}

/// `[input]` of a job with one source: the records or lines, the socket session and the
/// checkpoint gates (`bounded` is written on the source).
fn input(spec: &JobSpec) -> RawInput {
    let o = &spec.input_options;
    let mut r = RawInput {
        socket_clock: o.socket_connected_clock.then(|| "connected".to_string()),
        unread_lines: o.socket_buffer_unread.then(|| "buffer".to_string()),
        gates: (!o.gates.is_empty())
            .then(|| o.gates.iter().map(|&(n, t)| RawGate { after_records: Some(n), trigger: Some(t) }).collect()),
        ..RawInput::default()
    };
    match &spec.input {
        InputSpec::Lines(lines) => {
            r.lines = Some(lines.iter().map(|(at, l)| RawLine { at_ms: Some(*at), line: Some(l.clone()) }).collect());
        }
        InputSpec::Log { partitions, .. } => {
            r.partitions = unless_default(*partitions, 1);
            r.records = Some(records(spec, 0, *partitions, true));
        }
    }
    r
}

/// `[inputs.<Source>]` of a job with several sources: each source's records, partitions
/// counted from its topic's first partition.
fn source_inputs(spec: &JobSpec) -> BTreeMap<String, RawInput> {
    let mut out = BTreeMap::new();
    for o in spec.operators.iter().filter(|o| o.topic.is_some() && o.user_source.is_none()) {
        let (first, count) = o.topic.unwrap_or((0, 1));
        // A source with event time carries each record's own timestamp (`ts_ms`).
        let event_time = o.watermarks.is_some();
        let records = records(spec, first, count, event_time);
        out.insert(o.name.clone(), RawInput { partitions: Some(count), records: Some(records), ..RawInput::default() });
    }
    out
}

fn expect(e: &crate::spec::ExpectSpec) -> Option<RawExpect> {
    let raw = RawExpect {
        final_status: e.final_status.map(|s| s.name().to_string()),
        restarts: e.restarts,
        exactly_once: e.exactly_once.then_some(true),
        at_least_once: e.at_least_once.then_some(true),
        completed_checkpoints_min: e.completed_checkpoints_min,
        committed_min: e.committed_min,
        committed_max: e.committed_max,
        output: e.output.clone(),
        duplicates: e.duplicates.clone(),
        snapshot: e.snapshot.then_some(true),
        caught_by: e.caught_by.clone(),
        max_checkpoint_gap_ms: e.max_checkpoint_gap_ms,
        committed_offsets: e.committed_offsets.clone(),
        retained_count: e.retained_count,
        restored_checkpoints: e.restored_checkpoints.clone(),
        seeds: e.seeds.clone(),
        transactions_begun: e.transactions_begun,
        transactions_aborted: e.transactions_aborted,
    };
    let empty = toml::to_string(&raw).map_or(true, |t| t.trim().is_empty());
    (!empty).then_some(raw)
}

/// The raw model of `spec`'s scenario file.
fn raw_scenario(spec: &JobSpec) -> RawScenario {
    // A user source brings its own records: what the loader read from it is the resolved
    // spec's input, not scenario text (a file with `[input]` beside a user source is refused).
    let user_source = spec.operators.iter().any(|o| o.user_source.is_some());
    let topics = spec.operators.iter().any(|o| o.topic.is_some());
    RawScenario {
        name: Some(spec.name.clone()),
        description: None,
        profile: unless_default(spec.profile, ckptsim::Profile::Flink23).map(|p| p.to_string()),
        variant: unless_default(spec.variant, ckptsim::Variant::Correct).map(|v| v.name().to_string()),
        seed: Some(spec.default_seed),
        stop_at_ms: Some(spec.stop_at_ms),
        checkpoint: checkpoint(&spec.checkpoint),
        restart: spec.restart_configured.then(|| restart(&spec.restart)),
        failover_strategy: unless_default(spec.failover, ckptsim::region::FailoverStrategy::default())
            .map(|f| f.to_string()),
        cluster: cluster(spec),
        kafka: kafka(&spec.kafka),
        operators: (0..spec.operators.len()).map(|i| operator(spec, i)).collect(),
        input: (!topics && !user_source).then(|| input(spec)),
        inputs: topics.then(|| source_inputs(spec)),
        actions: spec.actions.iter().map(|a| action(&a.at, &a.kind)).collect(),
        faults: spec.faults.iter().map(fault).collect(),
        swarm: (spec.swarm_keep != Default::default()).then(|| RawSwarm { keep: spec.swarm_keep.keys() }),
        expect: expect(&spec.expect),
    }
}

/// Writes the lists of small tables (records, lines, gates) and an action's maps inline, one
/// record per line, as a person would; the serializer makes them arrays of tables.
fn inline_lists(doc: &mut toml_edit::DocumentMut) {
    fn inline_arrays(t: &mut toml_edit::Table) {
        // A table that held only arrays of tables was implicit (no header of its own).
        t.set_implicit(false);
        for key in ["records", "lines", "gates"] {
            // Taken out and put back, so the key is written as `key = ` like any other.
            let Some(taken) = t.remove(key) else { continue };
            let mut array = match taken {
                toml_edit::Item::ArrayOfTables(aot) => aot.into_array(),
                toml_edit::Item::Value(toml_edit::Value::Array(a)) => a,
                other => {
                    t.insert(key, other);
                    continue;
                }
            };
            for v in array.iter_mut() {
                v.decor_mut().set_prefix("\n  ");
            }
            array.set_trailing(if array.is_empty() { "" } else { "\n" });
            array.set_trailing_comma(!array.is_empty());
            t.insert(key, toml_edit::value(array));
        }
    }
    if let Some(t) = doc.get_mut("input").and_then(|i| i.as_table_mut()) {
        inline_arrays(t);
    }
    if let Some(inputs) = doc.get_mut("inputs").and_then(|i| i.as_table_mut()) {
        for (_, source) in inputs.iter_mut() {
            if let Some(t) = source.as_table_mut() {
                inline_arrays(t);
            }
        }
    }
    if let Some(actions) = doc.get_mut("actions").and_then(|a| a.as_array_of_tables_mut()) {
        for a in actions.iter_mut() {
            for key in ["parallelism", "max_parallelism"] {
                if let Some(item) = a.get_mut(key) {
                    if let toml_edit::Item::Table(t) = std::mem::take(item) {
                        *item = toml_edit::value(t.into_inline_table());
                    }
                }
            }
        }
    }
}

/// The scenario text of `spec`, preceded by `header` (each line becomes a `# ` comment).
///
/// Not expressible, and written as their scenario defaults: `ClusterSpec::deploy_ms`, and a
/// `slow-snapshot` split other than the loader's quarter synchronous (see [`normalize_fault`]).
/// `slots_per_tm` is written when it is not the default, or raised when a hand-built spec's
/// parallelism needs more slots than it has.
pub fn to_toml(spec: &JobSpec, header: &str) -> String {
    let mut s = String::new();
    for line in header.lines() {
        if line.is_empty() {
            s.push_str("#\n");
        } else {
            s.push_str("# ");
            // Session 41: `shrink --note` with an ESC (or another control character) wrote a
            // comment TOML refuses; written out as `\u{1b}` it stays a comment.
            s.push_str(&crate::scenario::text::escape_controls(line));
            s.push('\n');
        }
    }
    // Plain structs of strings, integers (below 2^63), floats, booleans and maps serialize, and
    // the writer's own text parses.
    let text = toml::to_string(&raw_scenario(spec)).expect("the raw scenario serializes");
    let mut doc: toml_edit::DocumentMut = text.parse().expect("toml's text parses");
    inline_lists(&mut doc);
    s.push_str(&doc.to_string());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::whole_sim_spec;
    use crate::spec::ExpectSpec;
    use ckptsim::Variant;

    fn reload(text: &str) -> JobSpec {
        let sc = crate::scenario::parse("emitted.toml", text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        crate::load::to_spec(&sc, "emitted.toml")
    }

    /// Every field a scenario can express survives the round trip.
    fn assert_same(a: &JobSpec, b: &JobSpec) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.profile, b.profile);
        assert_eq!(a.variant, b.variant);
        assert_eq!(a.checkpoint, b.checkpoint);
        assert_eq!(a.restart, b.restart);
        assert_eq!(a.restart_configured, b.restart_configured);
        assert_eq!(a.swarm_keep, b.swarm_keep);
        assert_eq!(a.cluster, b.cluster);
        assert_eq!(a.kafka, b.kafka);
        assert_eq!(a.operators.len(), b.operators.len());
        for (x, y) in a.operators.iter().zip(&b.operators) {
            assert_eq!(
                (&x.name, &x.kind, x.parallelism, x.padding_bytes),
                (&y.name, &y.kind, y.parallelism, y.padding_bytes)
            );
            assert_eq!(format!("{:?}", x.injectors), format!("{:?}", y.injectors));
            assert_eq!(x.max_parallelism, y.max_parallelism);
        }
        assert_eq!(a.input, b.input);
        assert_eq!(a.actions, b.actions);
        assert_eq!(a.faults, b.faults);
        assert_eq!(a.stop_at_ms, b.stop_at_ms);
        assert_eq!(a.expect, b.expect);
        assert_eq!(a.default_seed, b.default_seed);
    }

    #[test]
    fn fuzz_job_with_every_decoded_fault_kind_round_trips() {
        // 16 faults: kinds 0..15 with every start mode (time and the four anchors).
        for when in [0u8, 8, 11, 13, 14] {
            for chunk in 0..3u8 {
                let mut data = vec![7u8];
                for k in 0..6u8 {
                    let kind = chunk * 6 + k;
                    data.extend([when * 16 + kind % 16, 3 + k, k, 40 + k]);
                }
                let (mut spec, seed) = whole_sim_spec(Variant::TwoPcCommitOnPrecommit, &data);
                spec.default_seed = seed;
                spec.expect = ExpectSpec { caught_by: Some("exactly-once".into()), ..ExpectSpec::default() };
                let text = to_toml(&spec, "a header\n\nwith a blank line");
                assert!(text.starts_with("# a header\n#\n# with a blank line\n"), "{text}");
                assert_same(&spec, &reload(&text));
                // Session 41: control characters in a header (`shrink --note`) stay in the comment.
                let text = to_toml(&spec, "a\u{1b}[31m note\rwith\u{202e} CR");
                assert!(text.starts_with("# a\\u{1b}[31m note\\u{d}with\\u{202e} CR\n"), "{text}");
                assert_same(&spec, &reload(&text));
            }
        }
    }

    /// `[kafka]` and the committed-offset / retention expectations survive the round trip.
    /// Every scenario file of the repository (every folder) survives the round trip whole:
    /// the reloaded `JobSpec` prints the same (`Debug`, every field), so a key `emit` forgets
    /// (a socket session, checkpoint gates, ...) fails here, not in a shrinker's written file.
    #[test]
    fn every_repository_scenario_round_trips_whole() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let files = crate::load::collect_scenarios(&[base]).expect("scenarios folder");
        assert!(files.len() >= 150, "the scenarios are there: {}", files.len());
        let mut differ = Vec::new();
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            let back = reload(&to_toml(&spec, ""));
            let (a, b) = (format!("{:?}", without_prose(spec)), format!("{:?}", without_prose(back)));
            if a != b {
                let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                let from = at.saturating_sub(80);
                differ.push(format!(
                    "{}:\n  file:    ...{}\n  emitted: ...{}",
                    f.display(),
                    &a[from..(at + 80).min(a.len())],
                    &b[from..(at + 80).min(b.len())]
                ));
            }
        }
        assert!(differ.is_empty(), "{} file(s) do not round-trip:\n{}", differ.len(), differ.join("\n"));
    }

    /// The whole-file round trip notices a key that emission drops: each of these keys, taken
    /// out of the emitted text of every file that writes it, makes the reloaded spec differ (or
    /// the text no longer load), so `every_repository_scenario_round_trips_whole` fails for it.
    #[test]
    fn round_trip_notices_a_dropped_key() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let files = crate::load::collect_scenarios(&[base]).expect("scenarios folder");
        let keys = ["min_pause_ms", "unread_lines", "idle_timeout_ms", "max_parallelism", "parallelism"];
        let mut seen = [0usize; 5];
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            let text = to_toml(&spec, "");
            let whole = format!("{:?}", without_prose(spec));
            for (k, key) in keys.iter().enumerate() {
                let prefix = format!("{key} = ");
                if !text.lines().any(|l| l.starts_with(&prefix)) {
                    continue;
                }
                seen[k] += 1;
                let dropped: String =
                    text.lines().filter(|l| !l.starts_with(&prefix)).map(|l| format!("{l}\n")).collect();
                if let Ok(sc) = crate::scenario::parse("dropped.toml", &dropped) {
                    let back = format!("{:?}", without_prose(crate::load::to_spec(&sc, "dropped.toml")));
                    assert_ne!(whole, back, "`{key}` dropped from {} goes unnoticed", f.display());
                }
            }
        }
        assert!(seen.iter().all(|n| *n > 0), "every key is written by some scenario file: {seen:?}");
    }

    /// The spec without where it came from (the file's path), its log written out (a generator
    /// is emitted as its records).
    fn without_prose(mut s: JobSpec) -> JobSpec {
        s.source_path = String::new();
        if let InputSpec::Log { records, .. } = &mut s.input {
            *records = records.to_listed().into();
        }
        s
    }

    #[test]
    fn kafka_and_retained_scenarios_round_trip() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let files = crate::load::collect_scenarios(&[base.join("kafka"), base.join("retained")]).expect("folders");
        assert!(files.len() >= 10, "the kafka and retained scenarios are there");
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            assert_same(&spec, &reload(&to_toml(&spec, "")));
        }
    }

    /// The rescale scenarios (`stop-with-savepoint`, `rescale` with `from`, `parallelism`,
    /// `max_parallelism`, an operator's `max_parallelism`) survive the round trip.
    #[test]
    fn rescale_scenarios_round_trip() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let files = crate::load::collect_scenarios(&[base.join("rescale")]).expect("folder");
        assert!(files.len() >= 5, "the rescale scenarios are there");
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            assert_same(&spec, &reload(&to_toml(&spec, "")));
        }
    }

    #[test]
    fn graph_scenarios_round_trip() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/graphs");
        let files = crate::load::collect_scenarios(&[base]).expect("graphs folder");
        assert!(files.len() >= 5, "the graph scenarios are there");
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            let text = to_toml(&spec, "");
            let back = reload(&text);
            assert_same(&spec, &back);
            let inputs = |s: &JobSpec| (0..s.operators.len()).map(|i| s.op_inputs(i)).collect::<Vec<_>>();
            assert_eq!(inputs(&spec), inputs(&back), "{}", f.display());
            let topics = |s: &JobSpec| s.operators.iter().map(|o| o.topic).collect::<Vec<_>>();
            assert_eq!(topics(&spec), topics(&back), "{}", f.display());
        }
    }

    /// Event time (watermark strategies, windows, record timestamps) survives the round trip.
    #[test]
    fn eventtime_scenarios_round_trip() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/eventtime");
        let files = crate::load::collect_scenarios(&[root]).expect("eventtime folder");
        assert!(files.len() >= 5, "the event-time scenarios are there");
        for f in files {
            let spec = crate::load::load_spec(&f).expect("scenarios load");
            let back = reload(&to_toml(&spec, ""));
            assert_same(&spec, &back);
            let wm = |s: &JobSpec| s.operators.iter().map(|o| o.watermarks).collect::<Vec<_>>();
            assert_eq!(wm(&spec), wm(&back), "{}", f.display());
            assert_eq!(spec.input_options.timestamps, back.input_options.timestamps, "{}", f.display());
            assert!(!spec.input_options.timestamps.is_empty(), "{}", f.display());
        }
    }

    #[test]
    fn every_seed_scenario_round_trips() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds");
        let files = crate::load::collect_scenarios(&[root]).expect("seeds folder");
        assert!(files.len() >= 5, "the seed scenarios are there");
        for f in files {
            let spec = crate::load::load_spec(&f).expect("seed scenarios load");
            let text = to_toml(&spec, "");
            assert_same(&spec, &reload(&text));
        }
    }

    /// The one `ClusterSpec` carries `slots_per_tm` into the `JobSpec`; the emitter writes it back
    /// (and raises it when a hand-built spec's parallelism needs more slots).
    #[test]
    fn slots_per_tm_round_trips() {
        let (mut spec, seed) = whole_sim_spec(Variant::Correct, &[7u8]);
        spec.default_seed = seed;
        spec.cluster.slots_per_tm = 16;
        let back = reload(&to_toml(&spec, ""));
        assert_eq!(back.cluster.slots_per_tm, 16);
        assert_same(&spec, &back);
        spec.cluster.task_managers = 1;
        spec.cluster.slots_per_tm = 1;
        let max_p = spec.operators.iter().map(|o| o.parallelism).max().unwrap_or(1);
        assert!(max_p > spec.cluster.task_managers, "the job needs more than one slot per TaskManager");
        let back = reload(&to_toml(&spec, ""));
        assert_eq!(back.cluster.slots_per_tm, max_p.div_ceil(spec.cluster.task_managers));
    }

    /// Strings that need TOML escapes and a whole-number float come back as they were.
    #[test]
    fn escapes_and_floats_round_trip() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/004-wordcount-restore.toml");
        let mut spec = crate::load::load_spec(&path).expect("seed 004 loads");
        // The exponential-delay strategy exists from Flink 1.13 on.
        spec.profile = ckptsim::Profile::Flink23;
        let InputSpec::Lines(lines) = &mut spec.input else { panic!("seed 004 reads a socket") };
        lines[0].1 = "a \"quoted\" b\\c\td".to_string();
        spec.restart = RestartStrategyConfig::ExponentialDelay {
            initial_backoff_ms: 10,
            max_backoff_ms: 1_000,
            multiplier: 2.0,
            reset_threshold_ms: 5_000,
            jitter: 0.125,
            attempts: 3,
        };
        spec.restart_configured = true;
        let text = to_toml(&spec, "");
        assert!(text.contains("multiplier = 2.0"), "{text}");
        assert_same(&spec, &reload(&text));
    }
}
