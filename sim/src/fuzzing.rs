//! Fuzz target bodies for the world: the scenario parser (no panic on any bytes) and a whole simulation whose fault schedule the input bytes choose.
//!
//! The cargo-fuzz binaries in `fuzz/` call these; `tests/fuzz_corpus.rs` replays the committed
//! corpus through them on stable.

use crate::spec::{ClusterSpec, Expect, Fault, FaultAt, FaultKind, InputSpec, JobSpec, OpKind, OpSpec};
use crate::{check, reference, world};
use ckptsim::config::{CheckpointConfig, RestartStrategyConfig};
use ckptsim::operator::{Aggregate, Udf};
use ckptsim::source::StartupMode;
use ckptsim::{Profile, Variant};

/// Parsing arbitrary bytes as a scenario must never panic.
pub fn scenario_parser(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::scenario::parse("fuzz.toml", text);
    }
}

/// The job the whole-simulation target explores: two log partitions read by two sources,
/// keyed sum at parallelism 2, two-phase-commit sink; aligned exactly-once checkpoints.
pub fn base_job(variant: Variant, profile: Profile) -> JobSpec {
    let records = (0..240u64).map(|i| (200 + i * 25, (i % 2) as u32, format!("k{}", (i * 7) % 5))).collect();
    let op = |name: &str, kind: OpKind, parallelism: u32| OpSpec {
        name: name.into(),
        kind,
        parallelism,
        injectors: vec![],
        padding_bytes: 0,
    };
    JobSpec {
        name: "fuzz-whole-sim".into(),
        profile,
        variant,
        checkpoint: CheckpointConfig { interval_ms: Some(300), ..CheckpointConfig::default() },
        restart: RestartStrategyConfig::FixedDelay { attempts: 1000, delay_ms: 200 },
        restart_configured: true,
        cluster: ClusterSpec {
            task_managers: 2,
            channel_capacity_buffers: 2,
            buffer_records: 4,
            ..ClusterSpec::default()
        },
        operators: vec![
            op("Source", OpKind::LogSource { startup: StartupMode::Earliest }, 2),
            op("ToPair", OpKind::Map(Udf::ToPairOne), 2),
            op("keyBy", OpKind::KeyBy, 2),
            op("Sum", OpKind::Aggregate(Aggregate::Sum), 2),
            op("Sink", OpKind::TwoPhaseCommitSink, 2),
        ],
        input: InputSpec::Log { partitions: 2, records },
        actions: vec![],
        faults: vec![],
        stop_at_ms: 12_000,
        expect: Expect::default(),
        default_seed: 1,
        source_path: "fuzz".into(),
    }
}

/// Decodes a fault schedule from bytes: byte 0 = seed; then groups of 4 bytes
/// (kind, start in 50 ms units, target, duration in 50 ms units), at most 6 faults.
pub fn decode_faults(data: &[u8]) -> (u64, Vec<Fault>) {
    let seed = data.first().copied().unwrap_or(0) as u64;
    let tasks = ["Source[0]", "Source[1]", "Sum[0]", "Sum[1]"];
    let mut faults = Vec::new();
    for g in data.get(1..).unwrap_or(&[]).chunks_exact(4).take(6) {
        let at = 300 + g[1] as u64 * 30;
        let target = tasks[g[2] as usize % tasks.len()].to_string();
        let duration = 50 + g[3] as u64 * 10;
        let kind = match g[0] % 6 {
            0 => FaultKind::TaskFailure { task: target },
            1 => FaultKind::TmCrash { tm: (g[2] % 2) as u32, restart_after_ms: duration },
            2 => FaultKind::SlowSnapshot { task: target, sync_ms: g[3] as u64 % 20, async_ms: g[3] as u64 * 3 },
            3 => FaultKind::StorageFailure,
            4 => FaultKind::SlowOperator { operator: "Sum".into(), records_per_s: 20 + g[3] as u64 },
            _ => FaultKind::SlowLink { task: target, extra_ms: g[3] as u64 % 40 },
        };
        let duration_ms = match kind {
            FaultKind::TaskFailure { .. } | FaultKind::TmCrash { .. } => None,
            _ => Some(duration),
        };
        faults.push(Fault { at: FaultAt::Time(at), duration_ms, kind });
    }
    (seed, faults)
}

/// Runs the base job with the decoded faults under `variant`; returns the failing checkers.
pub fn run_whole_sim(variant: Variant, data: &[u8]) -> Vec<String> {
    let (seed, faults) = decode_faults(data);
    let mut spec = base_job(variant, Profile::Flink23);
    spec.faults = faults;
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
