//! Fuzz target bodies for the world: the scenario parser (no panic on any bytes) and a whole simulation whose fault schedule the input bytes choose.
//!
//! The cargo-fuzz binaries in `fuzz/` call these; `tests/fuzz_corpus.rs` replays the committed
//! corpus through them on stable.

use crate::spec::{ClusterSpec, ExpectSpec, Fault, FaultAt, FaultKind, InputSpec, JobSpec, OpKind, OpSpec};
use crate::{check, reference, world};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::operator::{Aggregate, Udf};
use ckptsim::source::StartupMode;
use ckptsim::{Profile, Variant};

/// Parsing arbitrary bytes as a scenario never panics; an error names the file, a line and
/// column inside the text, and a non-blank field, in one line without control characters; a
/// scenario that parses and is small ([`fuzz_run_bounds`]) is run, with a bounded event budget,
/// and checked: neither may panic.
pub fn scenario_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match crate::scenario::parse("fuzz.toml", text) {
        Err(e) => {
            if let Some(problem) = malformed_error(text, &e) {
                panic!("malformed error ({problem}): {e}");
            }
        }
        Ok(sc) => {
            if sc
                .operators
                .iter()
                .any(|o| matches!(o.kind, crate::scenario::OperatorKindSpec::User { .. }) || o.user_io.is_some())
            {
                return; // needs a registry
            }
            let mut spec = crate::load::to_spec(&sc, "fuzz.toml");
            if !fuzz_run_bounds(&spec) {
                return;
            }
            spec.max_events = Some(FUZZ_MAX_EVENTS);
            let run = world::run(&spec, spec.default_seed);
            let reference = reference::compute(&spec);
            let _ = check::check_all(&spec, &run, &reference);
        }
    }
}

/// The event budget of a run the scenario_parser target makes (a few ms of CPU).
pub const FUZZ_MAX_EVENTS: u64 = 200_000;

/// Whether the scenario_parser target runs a parsed scenario: at most 10 s of virtual time,
/// 2,000 input records, 16 subtasks, 8 TaskManagers.
pub fn fuzz_run_bounds(spec: &JobSpec) -> bool {
    let subtasks: u64 = spec.operators.iter().map(|o| u64::from(o.parallelism)).sum();
    spec.stop_at_ms <= 10_000 && spec.input.len() <= 2_000 && subtasks <= 16 && spec.cluster.task_managers <= 8
}

/// What is wrong with a scenario error for `text`, if anything: the file named, a line and
/// column inside the text, a field without a blank segment, a non-empty one-line message
/// without control characters.
pub fn malformed_error(text: &str, e: &crate::scenario::ScenarioError) -> Option<String> {
    let lines = text.split('\n').count();
    if e.file != "fuzz.toml" {
        return Some(format!("file `{}`", e.file));
    }
    if e.line == 0 || e.column == 0 || e.line > lines {
        return Some(format!("line {} column {} of a {lines}-line text", e.line, e.column));
    }
    // Quoted segments (`checkpoint."a..b"`) may hold dots: judge the field without them.
    let mut bare = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in e.field.chars() {
        match (quoted, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, true, _) => escaped = false,
            (_, false, '"') => {
                quoted = !quoted;
                if quoted {
                    bare.push('q');
                }
            }
            (false, _, c) => bare.push(c),
            _ => {}
        }
    }
    let blank_segment =
        bare.is_empty() || bare.starts_with('.') || bare.ends_with('.') || bare.contains("..") || bare.contains(".[");
    if blank_segment {
        return Some(format!("field `{}` has a blank segment", e.field));
    }
    if e.message.trim().is_empty() {
        return Some("empty message".into());
    }
    if e.field.chars().chain(e.message.chars()).any(char::is_control) {
        return Some("control characters".into());
    }
    None
}

/// The job the whole-simulation target explores: two log partitions read by two sources,
/// keyed sum at parallelism 2, two-phase-commit sink; aligned exactly-once checkpoints; zero
/// failover latencies.
pub fn base_job(variant: Variant, profile: Profile) -> JobSpec {
    let records: Vec<(u64, u32, String)> =
        (0..240u64).map(|i| (200 + i * 25, (i % 2) as u32, format!("k{}", (i * 7) % 5))).collect();
    let op = |name: &str, kind: OpKind, parallelism: u32| OpSpec {
        name: name.into(),
        kind,
        parallelism,
        injectors: vec![],
        padding_bytes: 0,
        sink_store: Default::default(),
        max_parallelism: None,
        ignore_failures_after_transaction_timeout: false,
        sink_v2: false,
        inputs: vec![],
        late_input: false,
        late_gate: None,
        late_side: None,
        topic: None,
        topic_name: None,
        bounded: false,
        watermarks: None,
        user_source: None,
        user_sink: None,
        user_writer: None,
        delivery_guarantee: None,
    };
    JobSpec {
        name: "fuzz-whole-sim".into(),
        profile,
        variant,
        checkpoint: CheckpointConfig { interval_ms: Some(300), ..CheckpointConfig::default() },
        restart: RestartStrategyConfig::FixedDelay { attempts: 1000, delay_ms: 200 },
        restart_configured: true,
        failover: ckptsim::region::FailoverStrategy::Full,
        // Zero failover latencies: the input bytes decode to a fault schedule in absolute time
        // (time faults from 300 ms on, as for a job running from t=0), and the committed corpus
        // and planted crash inputs are such schedules; a 300-900 ms first start would move them.
        cluster: ClusterSpec {
            task_managers: 2,
            channel_capacity_buffers: 2,
            buffer_records: 4,
            ..ClusterSpec::zero_latency()
        },
        kafka: crate::spec::KafkaSpec::default(),
        operators: vec![
            op("Source", OpKind::LogSource { startup: StartupMode::Earliest }, 2),
            op("ToPair", OpKind::Map(Udf::ToPairOne), 2),
            op("keyBy", OpKind::KeyBy, 1),
            op("Sum", OpKind::Aggregate(Aggregate::Sum), 2),
            op("Sink", OpKind::TwoPhaseCommitSink, 2),
        ],
        input: InputSpec::Log { partitions: 2, records: records.into() },
        actions: vec![],
        faults: vec![],
        stop_at_ms: 12_000,
        expect: ExpectSpec::default(),
        default_seed: 1,
        swarm_keep: Default::default(),
        source_path: "fuzz".into(),
        input_options: Default::default(),
        max_events: None,
    }
}

/// The tasks of [`base_job`] a decoded fault may target (`ToPair` is chained to `Source`,
/// `Sink` to `Sum`).
const FUZZ_TASKS: [&str; 4] = ["Source[0]", "Source[1]", "Sum[0]", "Sum[1]"];
/// The tasks a decoded `checkpoint-N-barrier-at` anchor may name (sources have no input
/// channels, so a barrier never "reaches" them).
const FUZZ_BARRIER_TASKS: [&str; 2] = ["Sum[0]", "Sum[1]"];
/// Faults decoded from one input at most.
pub const MAX_FUZZ_FAULTS: usize = 6;

/// Decodes a fault schedule from bytes: byte 0 = seed; then groups of 4 bytes
/// `[kind, when, target, size]`, at most [`MAX_FUZZ_FAULTS`]; a short last group is padded
/// with zeros, so every byte counts (libFuzzer starts with 4-byte inputs).
///
/// * `kind % 16` picks the fault (task failures are weighted up: they are what exposes most
///   protocol bugs); `kind / 16` picks when it starts: 0..=7 at `300 + when * 30` ms (virtual),
///   otherwise on a protocol event of checkpoint `1 + when % 20`: 8..=10 when its barrier
///   reaches `Sum[target / 4 % 2]`, 11..=12 when it is triggered, 13 when it is acked,
///   14..=15 when it completed. Anchored faults hit the narrow windows between a task's
///   snapshot and the checkpoint's completion that time-based faults rarely hit.
/// * `target % 4` picks the task (`Source[0]`, `Source[1]`, `Sum[0]`, `Sum[1]`) or TaskManager.
/// * `size` scales durations (`50 + size * 10` ms), extra latencies and rates.
pub fn decode_faults(data: &[u8]) -> (u64, Vec<Fault>) {
    let seed = data.first().copied().unwrap_or(0) as u64;
    let mut faults = Vec::new();
    for chunk in data.get(1..).unwrap_or(&[]).chunks(4).take(MAX_FUZZ_FAULTS) {
        let mut g = [0u8; 4];
        g[..chunk.len()].copy_from_slice(chunk);
        let [kind, when, target, size] = g;
        let task = FUZZ_TASKS[target as usize % FUZZ_TASKS.len()].to_string();
        let duration = 50 + size as u64 * 10;
        let checkpoint = 1 + when as u64 % 20;
        let at = match kind / 16 {
            0..=7 => FaultAt::Time(300 + when as u64 * 30),
            8..=10 => FaultAt::BarrierAt {
                checkpoint,
                task: FUZZ_BARRIER_TASKS[target as usize / 4 % FUZZ_BARRIER_TASKS.len()].to_string(),
            },
            11..=12 => FaultAt::Triggered { checkpoint },
            13 => FaultAt::Acked { checkpoint },
            _ => FaultAt::Completed { checkpoint },
        };
        let (kind, duration_ms) = match kind % 16 {
            0..=4 => (FaultKind::TaskFailure { task }, None),
            5 => (FaultKind::TmCrash { tm: (target % 2) as u32, restart_after_ms: duration }, None),
            6 => (FaultKind::JmCrash { restart_after_ms: duration }, None),
            7 => {
                // The loader splits a scenario's `extra_ms` a quarter sync, the rest async.
                let extra = size as u64 * 4;
                (FaultKind::SlowSnapshot { task, sync_ms: extra / 4, async_ms: extra - extra / 4 }, Some(duration))
            }
            8 => (FaultKind::StorageFailure, Some(duration)),
            9 => (FaultKind::SlowOperator { operator: "Sum".into(), records_per_s: 20 + size as u64 }, Some(duration)),
            10 => (FaultKind::SlowLink { task, extra_ms: size as u64 % 40 }, Some(duration)),
            11 => (
                FaultKind::Partition { a: format!("tm{}", target % 2), b: "jm".into(), both: size % 2 == 0 },
                Some(duration),
            ),
            12 => (
                FaultKind::MessageLoss {
                    rate: (1 + size as u64 % 4) as f64 / 8.0,
                    messages: Vec::new(),
                    target: None,
                    peer: None,
                },
                Some(duration),
            ),
            13 => (FaultKind::BrokerOutage, Some(duration)),
            14 => (FaultKind::SinkStoreOutage, Some(duration)),
            _ => (FaultKind::StorageSlow { extra_ms: size as u64 * 2 }, Some(duration)),
        };
        faults.push(Fault { at, duration_ms, kind });
    }
    (seed, faults)
}

/// The base job with the faults `data` decodes to, and the seed to run it under.
pub fn whole_sim_spec(variant: Variant, data: &[u8]) -> (JobSpec, u64) {
    let (seed, faults) = decode_faults(data);
    let mut spec = base_job(variant, Profile::Flink23);
    spec.faults = faults;
    (spec, seed)
}

/// Runs the base job with the decoded faults under `variant`; returns the failing checkers.
pub fn run_whole_sim(variant: Variant, data: &[u8]) -> Vec<String> {
    let (spec, seed) = whole_sim_spec(variant, data);
    let run = world::run(&spec, seed);
    let reference = reference::compute(&spec);
    check::check_all(&spec, &run, &reference)
        .into_iter()
        .filter(|v| v.passed == Some(false) && v.checker != "liveness")
        .map(|v| format!("{}: {}", v.checker, v.anomalies.first().cloned().unwrap_or_default()))
        .collect()
}

/// The whole-simulation target: the correct protocol must pass every safety checker under any
/// fault schedule. `CKPTSIM_FUZZ_VARIANT=<name>` plants a broken variant instead (to measure
/// how fast the fuzzer finds it).
pub fn whole_sim(data: &[u8]) {
    let variant = std::env::var("CKPTSIM_FUZZ_VARIANT")
        .ok()
        .and_then(|v| Variant::ALL.into_iter().find(|x| x.name() == v))
        .unwrap_or(Variant::Correct);
    let failures = run_whole_sim(variant, data);
    assert!(failures.is_empty(), "variant {variant}: checkers failed: {failures:?}");
}
