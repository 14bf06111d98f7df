//! [`JobSpec`] → scenario TOML: the inverse of [`crate::load`], for shrunk regressions and fuzz-found schedules.
//!
//! The text loads back with [`crate::scenario::parse`] + [`crate::load::to_spec`] into an equal
//! spec for everything a scenario can express (see [`to_toml`] for the few things it cannot).
//! Generated input is written out record by record; keys equal to the scenario defaults are
//! omitted.

use crate::spec::{ActionKind, ClusterSpec, Fault, FaultAt, FaultKind, InputSpec, JobSpec, OpKind, OpSpec};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig, Retune};
use ckptsim::operator::FailureInjector;
use std::fmt::Write as _;

/// A TOML basic string (quoted, escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float that TOML reads back as a float (`2.0`, not `2`).
fn float(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E']) || !x.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// The `[input]` keys beyond the records: the socket session and the checkpoint gates (a job
/// with one source; `bounded` is written on the source).
fn input_options(s: &mut String, o: &crate::spec::InputOptions) {
    if o.socket_connected_clock {
        let _ = writeln!(s, "socket_clock = \"connected\"");
    }
    if o.socket_buffer_unread {
        let _ = writeln!(s, "unread_lines = \"buffer\"");
    }
    if !o.gates.is_empty() {
        let gates: Vec<String> =
            o.gates.iter().map(|(n, t)| format!("{{ after_records = {n}, trigger = {t} }}")).collect();
        let _ = writeln!(s, "gates = [{}]", gates.join(", "));
    }
}

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

/// The `at_ms = N` or `on = "..."` line of a fault or action.
fn when_key(at: &FaultAt) -> String {
    if let FaultAt::Time(t) = at {
        return format!("at_ms = {t}");
    }
    format!("on = {}", quote(&anchor_text(at).unwrap_or_default()))
}

/// One fault as the scenario's `kind` plus its keys (without `at_ms`/`on`).
fn fault_keys(f: &Fault) -> (&'static str, Vec<(&'static str, String)>) {
    let mut keys = Vec::new();
    let kind = match &f.kind {
        FaultKind::TaskFailure { task } => {
            keys.push(("target", quote(task)));
            "task-failure"
        }
        FaultKind::TmCrash { tm, restart_after_ms } => {
            keys.push(("target", quote(&format!("tm{tm}"))));
            keys.push(("restart_after_ms", restart_after_ms.to_string()));
            "tm-crash"
        }
        FaultKind::JmCrash { restart_after_ms } => {
            keys.push(("restart_after_ms", restart_after_ms.to_string()));
            "jm-crash"
        }
        FaultKind::Partition { a, b, both } => {
            keys.push(("target", quote(a)));
            keys.push(("peer", quote(b)));
            keys.push(("direction", quote(if *both { "both" } else { "one-way" })));
            "partition"
        }
        FaultKind::MessageLoss { rate, target, peer } => {
            if let Some(t) = target {
                keys.push(("target", quote(t)));
            }
            if let Some(p) = peer {
                keys.push(("peer", quote(p)));
            }
            keys.push(("rate", float(*rate)));
            "message-loss"
        }
        FaultKind::ControlDelay { extra_ms, target } => {
            if let Some(t) = target {
                keys.push(("target", quote(t)));
            }
            keys.push(("extra_ms", extra_ms.to_string()));
            "control-delay"
        }
        FaultKind::SlowLink { task, extra_ms } => {
            keys.push(("target", quote(task)));
            keys.push(("extra_ms", extra_ms.to_string()));
            "slow-link"
        }
        FaultKind::SlowSnapshot { task, sync_ms, async_ms } => {
            keys.push(("target", quote(task)));
            keys.push(("extra_ms", (sync_ms + async_ms).to_string()));
            "slow-snapshot"
        }
        FaultKind::StorageFailure => "storage-failure",
        FaultKind::StorageSlow { extra_ms } => {
            keys.push(("extra_ms", extra_ms.to_string()));
            "storage-slow"
        }
        FaultKind::BrokerOutage => "broker-outage",
        FaultKind::SinkStoreOutage => "sink-store-outage",
        FaultKind::SlowOperator { operator, records_per_s } => {
            keys.push(("target", quote(operator)));
            keys.push(("records_per_s", records_per_s.to_string()));
            "slow-operator"
        }
    };
    if let Some(d) = f.duration_ms {
        keys.push(("duration_ms", d.to_string()));
    }
    (kind, keys)
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

fn op_kind(o: &OpSpec) -> (&'static str, Vec<(&'static str, String)>) {
    let mut keys = Vec::new();
    if let Some(u) = &o.user_source {
        keys.push(("function", quote(u.name())));
        return ("user-source", keys);
    }
    if let Some(u) = &o.user_sink {
        keys.push(("function", quote(u.name())));
        keys.extend(o.delivery_guarantee.map(|g| ("delivery_guarantee", quote(&g.name()))));
        return ("user-sink", keys);
    }
    if let Some(u) = &o.user_writer {
        keys.push(("function", quote(u.name())));
        keys.extend(o.delivery_guarantee.map(|g| ("delivery_guarantee", quote(&g.name()))));
        return ("user-sink", keys);
    }
    match &o.kind {
        OpKind::LogSource { startup } => keys.push(("startup", quote(startup.name()))),
        OpKind::Map(u) | OpKind::FlatMap(u) | OpKind::Filter(u) => keys.push(("function", quote(u.name()))),
        OpKind::CountWindow { size } => keys.push(("size", size.to_string())),
        OpKind::User(u) => keys.push(("function", quote(u.name()))),
        OpKind::Connect(a, b) => {
            keys.push(("function", quote(a.name())));
            keys.push(("second_function", quote(b.name())));
        }
        OpKind::EventWindow(w) => event_window_keys(w, &mut keys),
        OpKind::EventJoin(ckptsim::join::JoinSpec::Interval { lower_ms, upper_ms }) => {
            keys.push(("lower_ms", lower_ms.to_string()));
            keys.push(("upper_ms", upper_ms.to_string()));
        }
        OpKind::EventJoin(ckptsim::join::JoinSpec::Window { size_ms }) => keys.push(("size_ms", size_ms.to_string())),
        _ => {}
    }
    (crate::load::scenario_kind(&o.kind).name(), keys)
}

/// `[inputs.<Source>]` of a job with several sources: each source's records, partitions
/// counted from its topic's first partition.
fn source_input_tables(s: &mut String, spec: &JobSpec) {
    let InputSpec::Log { records, .. } = &spec.input else { return };
    for o in spec.operators.iter().filter(|o| o.topic.is_some() && o.user_source.is_none()) {
        let (first, count) = o.topic.unwrap_or((0, 1));
        let _ = writeln!(s, "\n[inputs.{}]", o.name);
        let _ = writeln!(s, "partitions = {count}");
        let _ = writeln!(s, "records = [");
        // A source with event time carries each record's own timestamp (`ts_ms`).
        let ts = &spec.input_options.timestamps;
        let event_time = o.watermarks.is_some() && !ts.is_empty();
        for (seq, (at, p, v)) in records.iter().enumerate().filter(|(_, (_, p, _))| *p >= first && *p < first + count) {
            let ts_ms = match ts.get(seq) {
                Some(t) if event_time => format!(", ts_ms = {t}"),
                _ => String::new(),
            };
            let _ = writeln!(s, "  {{ at_ms = {at}, partition = {}, value = {}{ts_ms} }},", p - first, quote(&v));
        }
        let _ = writeln!(s, "]");
    }
}

/// The keys of an `event_window` (defaults left out).
fn event_window_keys(w: &ckptsim::window::EventWindowSpec, keys: &mut Vec<(&'static str, String)>) {
    use ckptsim::window::WindowAssigner;
    let offset = match w.assigner {
        WindowAssigner::Tumbling { size_ms, offset_ms } => {
            keys.push(("window", quote("tumbling")));
            keys.push(("size_ms", size_ms.to_string()));
            offset_ms
        }
        WindowAssigner::Sliding { size_ms, slide_ms, offset_ms } => {
            keys.push(("window", quote("sliding")));
            keys.push(("size_ms", size_ms.to_string()));
            keys.push(("slide_ms", slide_ms.to_string()));
            offset_ms
        }
    };
    if offset != 0 {
        keys.push(("offset_ms", offset.to_string()));
    }
    keys.push(("aggregate", quote(w.aggregate.name())));
    if w.allowed_lateness_ms != 0 {
        keys.push(("allowed_lateness_ms", w.allowed_lateness_ms.to_string()));
    }
    if w.late_side_output {
        keys.push(("late_records", quote("side-output")));
    }
}

/// A log source's watermark strategy (`watermarks = "none"` when the input has timestamps
/// but the source no periodic watermarks).
fn watermark_keys(s: &mut String, o: &OpSpec, spec: &JobSpec) {
    use ckptsim::watermark::{GeneratorKind, DEFAULT_AUTO_WATERMARK_INTERVAL_MS};
    let Some(w) = o.watermarks else {
        if !spec.input_options.timestamps.is_empty() {
            let _ = writeln!(s, "watermarks = \"none\"");
        }
        return;
    };
    if w.auto_watermark_interval_ms == crate::spec::NO_WATERMARKS_INTERVAL_MS {
        let _ = writeln!(s, "watermarks = \"none\"");
        return;
    }
    match w.generator {
        GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => {
            let _ = writeln!(s, "watermarks = \"bounded-out-of-orderness\"");
            let _ = writeln!(s, "max_out_of_orderness_ms = {max_out_of_orderness_ms}");
        }
        GeneratorKind::MonotonousTimestamps => {
            let _ = writeln!(s, "watermarks = \"monotonous\"");
        }
    }
    if let Some(idle) = w.idle_timeout_ms {
        let _ = writeln!(s, "idle_timeout_ms = {idle}");
    }
    if w.auto_watermark_interval_ms != DEFAULT_AUTO_WATERMARK_INTERVAL_MS {
        let _ = writeln!(s, "auto_watermark_interval_ms = {}", w.auto_watermark_interval_ms);
    }
}

fn checkpoint_table(s: &mut String, c: &CheckpointConfig) {
    let d = CheckpointConfig::default();
    if *c == d {
        return;
    }
    let _ = writeln!(s, "\n[checkpoint]");
    if let Some(i) = c.interval_ms {
        let _ = writeln!(s, "interval_ms = {i}");
    }
    let ints = [
        ("min_pause_ms", c.min_pause_ms, d.min_pause_ms),
        ("timeout_ms", c.timeout_ms, d.timeout_ms),
        ("max_concurrent", c.max_concurrent, d.max_concurrent),
        ("tolerable_failures", c.tolerable_failures, d.tolerable_failures),
    ];
    for (k, v, dv) in ints {
        if v != dv {
            let _ = writeln!(s, "{k} = {v}");
        }
    }
    if c.mode != d.mode {
        let _ = writeln!(s, "mode = {}", quote(&crate::scenario::names::name_of(&c.mode)));
    }
    if c.unaligned != d.unaligned {
        let _ = writeln!(s, "unaligned = {}", c.unaligned);
    }
    if c.aligned_timeout_ms != d.aligned_timeout_ms {
        let _ = writeln!(s, "aligned_timeout_ms = {}", c.aligned_timeout_ms);
    }
    if let Some(on) = c.barrier_announcements {
        let _ = writeln!(s, "barrier_announcements = {on}");
    }
    if c.retention != d.retention {
        let _ = writeln!(s, "retention = {}", quote(&crate::scenario::names::name_of(&c.retention)));
    }
    if c.num_retained != d.num_retained {
        let _ = writeln!(s, "num_retained = {}", c.num_retained);
    }
}

fn restart_table(s: &mut String, r: &RestartStrategyConfig) {
    let _ = writeln!(s, "\n[restart]");
    match r {
        RestartStrategyConfig::NoRestart => {
            let _ = writeln!(s, "strategy = \"none\"");
        }
        RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
            let _ = writeln!(s, "strategy = \"fixed-delay\"\nattempts = {attempts}\ndelay_ms = {delay_ms}");
        }
        RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
            let _ = writeln!(
                s,
                "strategy = \"failure-rate\"\nmax_failures_per_interval = {max_failures_per_interval}\n\
                 interval_ms = {interval_ms}\ndelay_ms = {delay_ms}"
            );
        }
        RestartStrategyConfig::ExponentialDelay {
            initial_backoff_ms,
            max_backoff_ms,
            multiplier,
            reset_threshold_ms,
            jitter,
            attempts,
        } => {
            let _ = writeln!(
                s,
                "strategy = \"exponential-delay\"\ninitial_backoff_ms = {initial_backoff_ms}\n\
                 max_backoff_ms = {max_backoff_ms}\nmultiplier = {}\nreset_threshold_ms = {reset_threshold_ms}\n\
                 jitter = {}\nattempts = {attempts}",
                float(*multiplier),
                float(*jitter)
            );
        }
    }
}

/// `[kafka]`, only the keys that differ from the defaults.
fn kafka_table(s: &mut String, k: &crate::spec::KafkaSpec) {
    let d = crate::spec::KafkaSpec::default();
    let mut lines = Vec::new();
    if k.commit_offsets_on_checkpoint != d.commit_offsets_on_checkpoint {
        lines.push(format!("commit_offsets_on_checkpoint = {}", k.commit_offsets_on_checkpoint));
    }
    if let Some(a) = k.auto_commit {
        lines.push(format!("auto_commit = {a}"));
    }
    if k.auto_commit_interval_ms != d.auto_commit_interval_ms {
        lines.push(format!("auto_commit_interval_ms = {}", k.auto_commit_interval_ms));
    }
    if !lines.is_empty() {
        let _ = writeln!(s, "\n[kafka]\n{}", lines.join("\n"));
    }
}

fn cluster_table(s: &mut String, c: &ClusterSpec) {
    let d = ClusterSpec::default();
    let mut lines = Vec::new();
    // What the parser derives for an absent interval: a fifth of an explicit timeout.
    let derived_interval_ms = if c.heartbeat_timeout_ms != d.heartbeat_timeout_ms {
        (c.heartbeat_timeout_ms / 5).clamp(1, d.heartbeat_interval_ms)
    } else {
        d.heartbeat_interval_ms
    };
    let ints: [(&str, u64, u64); 10] = [
        ("task_managers", c.task_managers.into(), d.task_managers.into()),
        ("data_latency_ms", c.data_latency_ms, d.data_latency_ms),
        ("channel_capacity_buffers", c.channel_capacity_buffers.into(), d.channel_capacity_buffers.into()),
        ("buffer_records", c.buffer_records.into(), d.buffer_records.into()),
        ("buffer_timeout_ms", c.buffer_timeout_ms, d.buffer_timeout_ms),
        ("record_cost_us", c.record_cost_us, d.record_cost_us),
        ("storage_bandwidth_bytes_per_ms", c.storage_bandwidth_bytes_per_ms, d.storage_bandwidth_bytes_per_ms),
        ("heartbeat_interval_ms", c.heartbeat_interval_ms, derived_interval_ms),
        ("heartbeat_timeout_ms", c.heartbeat_timeout_ms, d.heartbeat_timeout_ms),
        ("task_cancellation_timeout_ms", c.task_cancellation_timeout_ms, d.task_cancellation_timeout_ms),
    ];
    for (k, v, dv) in ints {
        if v != dv {
            lines.push(format!("{k} = {v}"));
        }
    }
    if c.control_latency_ms != d.control_latency_ms {
        lines.push(format!("control_latency_ms = [{}, {}]", c.control_latency_ms.0, c.control_latency_ms.1));
    }
    for (k, v, dv) in [
        ("deploy_latency_ms", c.deploy_latency_ms, d.deploy_latency_ms),
        ("restore_latency_ms", c.restore_latency_ms, d.restore_latency_ms),
        ("cancel_latency_ms", c.cancel_latency_ms, d.cancel_latency_ms),
        ("first_start_latency_ms", c.first_start_latency_ms, d.first_start_latency_ms),
    ] {
        if v != dv {
            lines.push(format!("{k} = [{}, {}]", v.0, v.1));
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(s, "\n[cluster]\n{}", lines.join("\n"));
    }
}

fn retune_keys(r: &Retune) -> String {
    let mut out = String::new();
    for (k, v) in [
        ("interval_ms", r.interval_ms),
        ("min_pause_ms", r.min_pause_ms),
        ("timeout_ms", r.timeout_ms),
        ("tolerable_failures", r.tolerable_failures),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{k} = {v}");
        }
    }
    out
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
            let _ = writeln!(s, "# {line}");
        }
    }
    let _ = writeln!(s, "name = {}", quote(&spec.name));
    if spec.profile != ckptsim::Profile::Flink23 {
        let _ = writeln!(s, "profile = {}", quote(&spec.profile.to_string()));
    }
    if spec.variant != ckptsim::Variant::Correct {
        let _ = writeln!(s, "variant = {}", quote(spec.variant.name()));
    }
    let _ = writeln!(s, "seed = {}", spec.default_seed);
    let _ = writeln!(s, "stop_at_ms = {}", spec.stop_at_ms);
    checkpoint_table(&mut s, &spec.checkpoint);
    if spec.restart_configured {
        restart_table(&mut s, &spec.restart);
    }
    cluster_table(&mut s, &spec.cluster);
    let max_p = spec.operators.iter().map(|o| o.parallelism).max().unwrap_or(1);
    let tms = spec.cluster.task_managers.max(1);
    let slots = spec.cluster.slots_per_tm.max(1);
    if slots != ClusterSpec::default().slots_per_tm || max_p > tms * slots {
        if !s.contains("\n[cluster]\n") {
            let _ = writeln!(s, "\n[cluster]");
        }
        let _ = writeln!(s, "slots_per_tm = {}", slots.max(max_p.div_ceil(tms)));
    }
    kafka_table(&mut s, &spec.kafka);
    let graph = spec.is_graph();
    for (i, o) in spec.operators.iter().enumerate() {
        let (kind, keys) = op_kind(o);
        let _ = writeln!(s, "\n[[operators]]\nkind = {}\nname = {}", quote(kind), quote(&o.name));
        let is_task = !o.kind.is_partitioning();
        if is_task && o.parallelism != 1 {
            let _ = writeln!(s, "parallelism = {}", o.parallelism);
        }
        if let Some(m) = o.max_parallelism {
            let _ = writeln!(s, "max_parallelism = {m}");
        }
        for (k, v) in keys {
            let _ = writeln!(s, "{k} = {v}");
        }
        for inj in &o.injectors {
            match inj {
                FailureInjector::OnValue(v) => {
                    let _ = writeln!(s, "fail_on_value = {}", quote(v));
                }
                FailureInjector::EveryNth { n } => {
                    let _ = writeln!(s, "fail_every_nth = {n}");
                }
                FailureInjector::AtTime { at_ms } => {
                    let _ = writeln!(s, "fail_at_ms = {at_ms}");
                }
                FailureInjector::OnceOnValue(v) => {
                    let _ = writeln!(s, "fail_once_on_value = {}", quote(v));
                }
                FailureInjector::NthRecord { n } => {
                    let _ = writeln!(s, "fail_on_nth_record = {n}");
                }
                FailureInjector::SnapshotSync { checkpoint } => {
                    let _ = writeln!(s, "fail_snapshot_sync_on_checkpoint = {checkpoint}");
                }
                FailureInjector::SnapshotAsync { checkpoint } => {
                    let _ = writeln!(s, "fail_snapshot_async_on_checkpoint = {checkpoint}");
                }
                FailureInjector::NotifyComplete { checkpoint } => {
                    let _ = writeln!(s, "fail_notify_complete_on_checkpoint = {checkpoint}");
                }
                FailureInjector::OnRestore { times } => {
                    let _ = writeln!(s, "fail_on_restore_times = {times}");
                }
                FailureInjector::OnDeploy { times } => {
                    let _ = writeln!(s, "fail_on_deploy_times = {times}");
                }
            }
        }
        if o.padding_bytes != 0 {
            let _ = writeln!(s, "state_padding_bytes = {}", o.padding_bytes);
        }
        if let Some(ms) = o.sink_store.transaction_timeout_ms {
            let _ = writeln!(s, "transaction_timeout_ms = {ms}");
        }
        if !o.sink_store.idempotent_commit {
            let _ = writeln!(s, "idempotent_commit = false");
        }
        if o.ignore_failures_after_transaction_timeout {
            let _ = writeln!(s, "ignore_failures_after_transaction_timeout = true");
        }
        if o.kind.is_source() && (if graph { o.bounded } else { spec.input_options.bounded }) {
            let _ = writeln!(s, "bounded = true");
        }
        if graph && !o.kind.is_source() {
            let names: Vec<String> = spec.op_inputs(i).iter().map(|j| quote(&spec.operators[*j].name)).collect();
            let _ = writeln!(s, "inputs = [{}]", names.join(", "));
        }
        if o.kind.is_source() {
            watermark_keys(&mut s, o, spec);
        }
    }
    // A user source brings its own records: what the loader read from it is the resolved
    // spec's input, not scenario text (a file with `[input]` beside a user source is refused).
    let user_source = spec.operators.iter().any(|o| o.user_source.is_some());
    let topics = spec.operators.iter().any(|o| o.topic.is_some());
    if topics {
        source_input_tables(&mut s, spec);
    } else if !user_source {
        let _ = writeln!(s, "\n[input]");
        input_options(&mut s, &spec.input_options);
    }
    match &spec.input {
        _ if topics || user_source => {}
        InputSpec::Lines(lines) => {
            if lines.is_empty() {
                let _ = writeln!(s, "lines = []");
            } else {
                let _ = writeln!(s, "lines = [");
                for (at, l) in lines {
                    let _ = writeln!(s, "  {{ at_ms = {at}, line = {} }},", quote(l));
                }
                let _ = writeln!(s, "]");
            }
        }
        InputSpec::Log { partitions, records } => {
            if *partitions != 1 {
                let _ = writeln!(s, "partitions = {partitions}");
            }
            if records.is_empty() {
                let _ = writeln!(s, "records = []");
            } else {
                let _ = writeln!(s, "records = [");
                let ts = &spec.input_options.timestamps;
                for (i, (at, p, v)) in records.iter().enumerate() {
                    match ts.get(i) {
                        Some(t) => {
                            let _ = writeln!(
                                s,
                                "  {{ at_ms = {at}, partition = {p}, value = {}, ts_ms = {t} }},",
                                quote(&v)
                            );
                        }
                        None => {
                            let _ = writeln!(s, "  {{ at_ms = {at}, partition = {p}, value = {} }},", quote(&v));
                        }
                    }
                }
                let _ = writeln!(s, "]");
            }
        }
    }
    for a in &spec.actions {
        let _ = writeln!(s, "\n[[actions]]\n{}", when_key(&a.at));
        match &a.kind {
            ActionKind::Retune(r) => {
                let _ = write!(s, "kind = \"retune\"\n{}", retune_keys(r));
            }
            ActionKind::Cancel => {
                let _ = writeln!(s, "kind = \"cancel\"");
            }
            ActionKind::Savepoint => {
                let _ = writeln!(s, "kind = \"savepoint\"");
            }
            ActionKind::TriggerCheckpoint => {
                let _ = writeln!(s, "kind = \"trigger-checkpoint\"");
            }
            ActionKind::RestoreRetained => {
                let _ = writeln!(s, "kind = \"restore-retained\"");
            }
            ActionKind::StopWithSavepoint { drain } => {
                let _ = writeln!(s, "kind = \"stop-with-savepoint\"");
                if *drain {
                    let _ = writeln!(s, "drain = true");
                }
            }
            ActionKind::Rescale(r) => rescale_keys(&mut s, r),
        }
    }
    for f in &spec.faults {
        let (kind, keys) = fault_keys(f);
        let _ = writeln!(s, "\n[[faults]]\nkind = {}\n{}", quote(kind), when_key(&f.at));
        for (k, v) in keys {
            let _ = writeln!(s, "{k} = {v}");
        }
    }
    let e = &spec.expect;
    let mut ex = Vec::new();
    if let Some(st) = e.final_status {
        ex.push(format!("final_status = {}", quote(st.name())));
    }
    if let Some(n) = e.restarts {
        ex.push(format!("restarts = {n}"));
    }
    if let Some(b) = e.exactly_once {
        ex.push(format!("exactly_once = {b}"));
    }
    if let Some(b) = e.at_least_once {
        ex.push(format!("at_least_once = {b}"));
    }
    if let Some(n) = e.completed_checkpoints_min {
        ex.push(format!("completed_checkpoints_min = {n}"));
    }
    if let Some(n) = e.committed_min {
        ex.push(format!("committed_min = {n}"));
    }
    if let Some(n) = e.committed_max {
        ex.push(format!("committed_max = {n}"));
    }
    let list = |v: &[String]| v.iter().map(|x| quote(x)).collect::<Vec<_>>().join(", ");
    if let Some(o) = &e.output {
        ex.push(format!("output = [{}]", list(o)));
    }
    if let Some(d) = &e.duplicates {
        ex.push(format!("duplicates = [{}]", list(d)));
    }
    if e.snapshot {
        ex.push("snapshot = true".into());
    }
    if let Some(c) = &e.caught_by {
        ex.push(format!("caught_by = {}", quote(c)));
    }
    if let Some(o) = &e.committed_offsets {
        ex.push(format!("committed_offsets = [{}]", o.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")));
    }
    if let Some(n) = e.max_checkpoint_gap_ms {
        ex.push(format!("max_checkpoint_gap_ms = {n}"));
    }
    if let Some(n) = e.retained_count {
        ex.push(format!("retained_count = {n}"));
    }
    if let Some(ids) = &e.restored_checkpoints {
        ex.push(format!("restored_checkpoints = {ids:?}"));
    }
    if !ex.is_empty() {
        let _ = writeln!(s, "\n[expect]\n{}", ex.join("\n"));
    }
    s
}

/// A `rescale` action's keys (after its `at_ms`).
fn rescale_keys(s: &mut String, r: &crate::scenario::RescaleSpec) {
    let _ = writeln!(s, "kind = \"rescale\"\nfrom = {}", quote(r.from.name()));
    let p: Vec<String> = r.parallelism.iter().map(|(k, v)| format!("{} = {v}", quote(k))).collect();
    let _ = writeln!(s, "parallelism = {{ {} }}", p.join(", "));
    if !r.max_parallelism.is_empty() {
        let m: Vec<String> = r
            .max_parallelism
            .iter()
            .map(|(k, v)| format!("{} = {}", quote(k), v.map_or_else(|| "\"auto\"".to_string(), |m| m.to_string())))
            .collect();
        let _ = writeln!(s, "max_parallelism = {{ {} }}", m.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::whole_sim_spec;
    use crate::spec::Expect;
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
                spec.expect = Expect { caught_by: Some("exactly-once".into()), ..Expect::default() };
                let text = to_toml(&spec, "a header\n\nwith a blank line");
                assert!(text.starts_with("# a header\n#\n# with a blank line\n"), "{text}");
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

    #[test]
    fn quoting_escapes_what_toml_needs() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(0.125), "0.125");
    }
}
