//! Proptest strategies that generate whole scenarios — job, checkpoint and restart configuration, faults — for property tests in a user's crate (feature `proptest`).
//!
//! Every generated job is written as scenario text and loaded through the same validation as a
//! file ([`JobBuilder`]), so it is always a valid [`JobSpec`]; a user operator registered in the
//! given [`Registry`](crate::user::Registry) can take the keyed operator's place.
//!
//! ```no_run
//! use ckptsim_sim::{api, strategies, user::Registry};
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(16))]
//!     #[test]
//!     fn checkers_hold(spec in strategies::job(Registry::new(), vec![]), seed in 0u64..1000) {
//!         let r = api::run_spec(&spec, seed, &Registry::new());
//!         prop_assert!(r.passed(), "{}", r.render());
//!     }
//! }
//! ```

use crate::api::JobBuilder;
use crate::spec::{FaultName, JobSpec};
use crate::user::Registry;
use proptest::prelude::*;
use proptest::sample::select;

/// The shape of a generated job: source, keyed operator, sink and parallelism.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobShape {
    /// A partitioned log source (replayable) instead of a socket source.
    pub log_source: bool,
    /// The keyed operator: `sum`, `count`, `max`, `min`, or a user operator's
    /// registered name (taken as `kind = "user"`).
    pub keyed: String,
    /// A two-phase-commit sink instead of a print sink.
    pub two_phase_commit: bool,
    /// Parallelism of the operators after the source (1..=2; a socket source is always 1).
    pub parallelism: u32,
    /// Input records (or lines) and distinct keys.
    pub records: u32,
    /// Distinct keys of the input.
    pub keys: u32,
}

/// Checkpointing and restart configuration of a generated job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobConfig {
    /// `interval_ms` of periodic checkpoints.
    pub interval_ms: u64,
    /// `timeout_ms`.
    pub timeout_ms: u64,
    /// Unaligned checkpoints (exactly-once, max concurrent 1).
    pub unaligned: bool,
    /// At-least-once checkpoints (barrier tracker) instead of exactly-once.
    pub at_least_once: bool,
    /// Fixed-delay restart delay.
    pub restart_delay_ms: u64,
}

/// One generated fault: its scenario `kind`, time and target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultDraw {
    /// `task-failure`, `tm-crash`, `jm-crash` or `partition`.
    pub kind: FaultName,
    /// When it strikes.
    pub at_ms: u64,
}

/// Job shapes; `user_operators` are registered names of keyed user operators to mix in.
pub fn shape(user_operators: Vec<String>) -> impl Strategy<Value = JobShape> {
    // No `count_window`: which records share a window depends on the arrival order across source
    // subtasks, which the reference fold (input order) does not model.
    let mut keyed: Vec<String> = ["sum", "count", "max", "min"].iter().map(|s| s.to_string()).collect();
    keyed.extend(user_operators);
    (any::<bool>(), select(keyed), any::<bool>(), 1u32..=2, 20u32..200, 1u32..8).prop_map(
        |(log_source, keyed, two_phase_commit, parallelism, records, keys)| JobShape {
            log_source,
            keyed,
            two_phase_commit,
            parallelism,
            records,
            keys,
        },
    )
}

/// Checkpoint and restart configurations.
pub fn config() -> impl Strategy<Value = JobConfig> {
    (select(vec![200u64, 500, 1000]), select(vec![2000u64, 10000]), 0u8..4, select(vec![200u64, 1000])).prop_map(
        |(interval_ms, timeout_ms, mode, restart_delay_ms)| JobConfig {
            interval_ms,
            timeout_ms,
            unaligned: mode == 1,
            at_least_once: mode == 2,
            restart_delay_ms,
        },
    )
}

/// Zero to three faults in the first half of a 30 s run (the second half heals).
pub fn faults() -> impl Strategy<Value = Vec<FaultDraw>> {
    proptest::collection::vec(
        (
            select(vec![FaultName::TaskFailure, FaultName::TmCrash, FaultName::JmCrash, FaultName::Partition]),
            1000u64..15000,
        )
            .prop_map(|(kind, at_ms)| FaultDraw { kind, at_ms }),
        0..=3,
    )
}

/// The scenario text of a generated job (what [`job`] loads).
pub fn scenario_text(shape: &JobShape, config: &JobConfig, faults: &[FaultDraw], user: &Registry) -> String {
    let p = shape.parallelism.to_string();
    let mut b = JobBuilder::new("generated")
        .top("stop_at_ms = 30000")
        .section(
            "checkpoint",
            &format!(
                "interval_ms = {}\ntimeout_ms = {}\ntolerable_failures = \"unlimited\"\nmode = \"{}\"\nunaligned = {}",
                config.interval_ms,
                config.timeout_ms,
                if config.at_least_once { "at-least-once" } else { "exactly-once" },
                config.unaligned
            ),
        )
        .section(
            "restart",
            &format!("strategy = \"fixed-delay\"\nattempts = 50\ndelay_ms = {}", config.restart_delay_ms),
        )
        .section("cluster", "task_managers = 2\nheartbeat_interval_ms = 1000\nheartbeat_timeout_ms = 3000");
    b = if shape.log_source {
        b.operator("log-source", &[("parallelism", p.as_str())])
            .operator("map", &[("function", "\"to_pair_one\""), ("parallelism", p.as_str())])
    } else {
        b.operator("socket-source", &[]).operator("flat_map", &[("function", "\"split_words_to_pairs\"")])
    };
    b = b.operator("key_by", &[]);
    b = if user.operator(&shape.keyed).is_some() {
        b.user_operator(&shape.keyed, shape.parallelism)
    } else if shape.keyed == "count_window" {
        b.operator("count_window", &[("size", "3"), ("parallelism", p.as_str())])
    } else {
        b.operator(&shape.keyed, &[("parallelism", p.as_str())])
    };
    let sink = if shape.two_phase_commit && !config.at_least_once { "two-phase-commit-sink" } else { "print-sink" };
    b = b.operator(sink, &[("parallelism", p.as_str())]);
    let rate = (shape.records * 1000 / 14_000).max(1);
    b = if shape.log_source {
        b.section(
            "input",
            &format!(
                "partitions = 2\ngenerator = {{ count = {}, rate_per_s = {rate}, keys = {}, distribution = \"uniform\", start_ms = 500 }}",
                shape.records, shape.keys
            ),
        )
    } else {
        let lines: Vec<String> = (0..shape.records.min(60))
            .map(|i| format!("{{ at_ms = {}, line = \"k{}\" }}", 500 + u64::from(i) * 200, i % shape.keys))
            .collect();
        b.section("input", &format!("lines = [{}]", lines.join(", ")))
    };
    // Default operator names are their kinds (`user` for a user operator).
    let keyed_name = if user.operator(&shape.keyed).is_some() { "user" } else { shape.keyed.as_str() };
    for f in faults {
        let body = match f.kind {
            FaultName::TaskFailure => format!("kind = \"{}\"\nat_ms = {}\ntarget = \"{keyed_name}\"", f.kind, f.at_ms),
            FaultName::TmCrash => {
                format!("kind = \"{}\"\nat_ms = {}\ntarget = \"tm1\"\nrestart_after_ms = 2000", f.kind, f.at_ms)
            }
            FaultName::JmCrash => format!("kind = \"{}\"\nat_ms = {}\nrestart_after_ms = 2000", f.kind, f.at_ms),
            _ => format!(
                "kind = \"{}\"\nat_ms = {}\ntarget = \"tm0\"\npeer = \"jm\"\nduration_ms = 2000",
                FaultName::Partition,
                f.at_ms
            ),
        };
        b = b.table_entry("faults", &body);
    }
    b.toml()
}

/// Whole jobs: a [`shape`], a [`config`] and [`faults`], loaded with `registry` (whose keyed
/// user operators named in `user_operators` join the built-in keyed operators).
pub fn job(registry: Registry, user_operators: Vec<String>) -> impl Strategy<Value = JobSpec> {
    jobs_of(shape(user_operators), registry)
}

/// Whole jobs with a replayable (log) source only: a socket source loses the lines it read
/// when a failure strikes, so at-least-once output is not guaranteed there.
pub fn replayable_job(registry: Registry, user_operators: Vec<String>) -> impl Strategy<Value = JobSpec> {
    jobs_of(shape(user_operators).prop_map(|s| JobShape { log_source: true, ..s }), registry)
}

fn jobs_of(shapes: impl Strategy<Value = JobShape>, registry: Registry) -> impl Strategy<Value = JobSpec> {
    (shapes, config(), faults()).prop_map(move |(s, c, f)| {
        let text = scenario_text(&s, &c, &f, &registry);
        let sc = crate::user::parse_with("<generated>", &text, &registry)
            .unwrap_or_else(|e| panic!("a generated scenario is valid: {e}\n{text}"));
        crate::user::to_spec_with(&sc, "<generated>", &registry)
    })
}
