//! Swarm testing: per seed, draw which fault kinds are enabled and their times and rates, on top of a scenario; the draw is printed so a failing run can be replayed.
//!
//! Swarm testing (Groce et al.; FoundationDB, TigerBeetle's VOPR) varies the *configuration* of
//! the fault generator per seed instead of enabling every fault everywhere, so rare
//! combinations get explored. The draw comes from the rand_chacha stream [`SWARM_STREAM`] of
//! the run seed: `ckptsim run <scenario> --seed N --swarm` replays exactly the same draw.
//! Faults are drawn in the first half of the run so the second half can show recovery
//! (liveness). A swarm run checks the checkers only: the scenario's own `[expect]` entries
//! (restart counts, exact output) do not hold under extra faults and are dropped.

use crate::spec::{Expect, Fault, FaultAt, FaultKind, JobSpec, OpKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

/// The rand_chacha stream of the swarm draw.
pub const SWARM_STREAM: u64 = 200;

/// The fault kinds swarm mode can enable.
const KINDS: [&str; 11] = [
    "task-failure",
    "tm-crash",
    "partition",
    "message-loss",
    "control-delay",
    "slow-link",
    "slow-snapshot",
    "storage-failure",
    "broker-outage",
    "sink-store-outage",
    "slow-operator",
];

/// Returns `spec` with swarm faults added for `seed`, and a one-line-per-fault description.
pub fn draw(spec: &JobSpec, seed: u64) -> (JobSpec, String) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(SWARM_STREAM);
    let mut out = spec.clone();
    out.expect = Expect::default();
    let has_log = spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. }));
    let has_2pc = spec.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
    // Task targets: operators that are tasks, by name and subtask.
    let tasks: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !matches!(o.kind, OpKind::KeyBy | OpKind::Rebalance))
        .flat_map(|o| (0..o.parallelism).map(move |s| format!("{}[{s}]", o.name)))
        .collect();
    let ops: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !o.kind.is_source() && !matches!(o.kind, OpKind::KeyBy | OpKind::Rebalance))
        .map(|o| o.name.clone())
        .collect();
    let tms = spec.cluster.task_managers.max(1);
    let window_ms = (spec.stop_at_ms / 2).max(1_000);
    let enabled: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| match *k {
            "broker-outage" => has_log,
            "sink-store-outage" => has_2pc,
            _ => true,
        })
        .filter(|_| rng.random_bool(0.5))
        .collect();
    let mut desc = format!("swarm draw (seed {seed}): enabled = [{}]\n", enabled.join(", "));
    for kind in &enabled {
        let n = rng.random_range(1..=3);
        for _ in 0..n {
            let at = rng.random_range(500..window_ms);
            let dur = rng.random_range(200..=window_ms / 4 + 200);
            let task = tasks[rng.random_range(0..tasks.len())].clone();
            let (fk, duration_ms) = match *kind {
                "task-failure" => (FaultKind::TaskFailure { task }, None),
                "tm-crash" => (FaultKind::TmCrash { tm: rng.random_range(0..tms), restart_after_ms: dur }, None),
                "partition" => (
                    FaultKind::Partition {
                        a: "jm".into(),
                        b: format!("tm{}", rng.random_range(0..tms)),
                        both: rng.random_bool(0.5),
                    },
                    Some(dur),
                ),
                "message-loss" => (FaultKind::MessageLoss { rate: rng.random_range(0.01..0.3) }, Some(dur)),
                "control-delay" => (FaultKind::ControlDelay { extra_ms: rng.random_range(10..500) }, Some(dur)),
                "slow-link" => (FaultKind::SlowLink { task, extra_ms: rng.random_range(5..300) }, Some(dur)),
                "slow-snapshot" => (
                    FaultKind::SlowSnapshot {
                        task,
                        sync_ms: rng.random_range(0..200),
                        async_ms: rng.random_range(0..2_000),
                    },
                    Some(dur),
                ),
                "storage-failure" => (FaultKind::StorageFailure, Some(dur)),
                "broker-outage" => (FaultKind::BrokerOutage, Some(dur)),
                "sink-store-outage" => (FaultKind::SinkStoreOutage, Some(dur)),
                _ => {
                    let operator = ops[rng.random_range(0..ops.len().max(1)).min(ops.len().saturating_sub(1))].clone();
                    (FaultKind::SlowOperator { operator, records_per_s: rng.random_range(20..400) }, Some(dur))
                }
            };
            let _ = writeln!(
                desc,
                "  at {at} ms{}: {fk:?}",
                duration_ms.map(|d| format!(" for {d} ms")).unwrap_or_default()
            );
            out.faults.push(Fault { at: FaultAt::Time(at), duration_ms, kind: fk });
        }
    }
    (out, desc)
}
