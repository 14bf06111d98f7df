//! Swarm testing: per seed, draw which fault kinds are enabled and their times and rates, on top of a scenario; the draw is printed so a failing run can be replayed.
//!
//! Swarm testing (Groce et al.; FoundationDB, TigerBeetle's VOPR) varies the *configuration* of
//! the fault generator per seed instead of enabling every fault everywhere, so rare
//! combinations get explored. The draw comes from the rand_chacha streams [`SWARM_STREAM`],
//! [`SWARM_CONFIG_STREAM`] and [`SWARM_PHASE_STREAM`] of a key made of the run seed and the
//! scenario's identity ([`scenario_identity`]: a stable FNV-1a hash of its required `name`), so
//! one seed draws a different configuration and fault set for each scenario of a sweep, and
//! `ckptsim run <scenario> --seed N --swarm` replays exactly the draw a sweep made, whatever the
//! working directory or the path's spelling.
//! Faults are drawn in the first half of the run so the second half can show recovery
//! (liveness); on half of the seeds the run is extended by a liveness phase long enough for
//! the `liveness` checker to judge everything after the faults healed. A swarm run checks the checkers only: the scenario's own `[expect]` entries
//! (restart counts, exact output) do not hold under extra faults and are dropped.

use crate::spec::{ExpectSpec, Fault, FaultAt, FaultKind, FaultName, JobSpec, OpKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

#[path = "swarm_config.rs"]
mod config;

/// The rand_chacha stream of the swarm fault draw.
pub const SWARM_STREAM: u64 = 200;

/// The rand_chacha stream of the swarm configuration draw (a stream of its own, so the fault
/// draw of a seed does not depend on it).
pub const SWARM_CONFIG_STREAM: u64 = 201;

/// The rand_chacha stream of the swarm liveness-phase draw (see [`draw`]; 202 is the guided
/// swarm's).
pub const SWARM_PHASE_STREAM: u64 = 203;

/// The scenario's swarm identity: the 64-bit FNV-1a hash of its `name` (a required key of
/// `[scenario]`, so every loaded scenario has one; not of its path, which depends on the
/// working directory and the spelling). Stable across platforms, builds and runs (no
/// `RandomState`). Two files with the same name share their swarm draws.
pub fn scenario_identity(spec: &JobSpec) -> u64 {
    ckptsim::operator::fnv1a_64(spec.name.as_bytes())
}

/// The random stream `stream` of the swarm draw of (`seed`, `spec`'s identity): the ChaCha8 key
/// is the seed's 8 little-endian bytes, then the identity's 8 (then zeros), so distinct
/// (seed, identity) pairs never share a key.
fn swarm_rng(spec: &JobSpec, seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&scenario_identity(spec).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// The fault kinds swarm mode never draws ([`draw_fault_kind`] makes none of them): `jm-crash`
/// and `storage-slow` only move where a scenario has one (the guided swarm's `strike`), and
/// `input-burst` adds input rather than striking a protocol phase.
pub const NOT_DRAWN: [FaultName; 3] = [FaultName::JmCrash, FaultName::StorageSlow, FaultName::InputBurst];

/// The fault kinds swarm mode can enable: every kind of [`FaultName::ALL`], in its order (the
/// draw's random stream depends on it), but those [`NOT_DRAWN`].
fn kinds() -> impl Iterator<Item = FaultName> {
    FaultName::ALL.into_iter().filter(|k| !NOT_DRAWN.contains(k))
}

/// Returns `spec` with a swarm configuration and swarm faults drawn for `seed` (see
/// [`draw_config`] and [`draw_faults`]), and the description of both draws, ending with the
/// identity line (the scenario name the draws are keyed by).
pub fn draw(spec: &JobSpec, seed: u64) -> (JobSpec, String) {
    let (configured, config_desc) = draw_config(spec, seed);
    let (mut out, fault_desc) = draw_faults(&configured, seed);
    let mut phase_desc = extend_for_liveness(&mut out, seed);
    if !config::flushes_within_limit(&out, out.cluster.buffer_timeout_ms) {
        let drawn_ms = std::mem::replace(&mut out.cluster.buffer_timeout_ms, spec.cluster.buffer_timeout_ms);
        phase_desc.push_str(&format!(
            "(buffer_timeout={drawn_ms} ms over the flush limit in the extended run: the scenario's {} ms kept)\n",
            out.cluster.buffer_timeout_ms
        ));
    }
    let identity = format!(
        "swarm identity: scenario name `{}` (FNV-1a {:016x}); the draws are keyed by (seed {seed}, this name)\n",
        spec.name,
        scenario_identity(spec)
    );
    (out, format!("{config_desc}{fault_desc}{phase_desc}{identity}"))
}

/// The liveness phase (TigerBeetle's VOPR: a fault phase, then a healing phase in which the
/// system must make progress): the run is extended, when it is too short, so that after the
/// planned end of its faults and actions there is room for the `liveness` checker to judge
/// the job's states, a completed checkpoint and the output's convergence
/// ([`crate::check::planned_liveness_phase_ms`]). Without it most swarm runs ended before the
/// checker could judge anything (83% of the faults folder's swarm runs were `n/a`). A fault
/// that lasts to the end of the run leaves nothing to heal: no extension.
///
/// The phase is itself a swarm feature: drawn on for half of the seeds from its own stream
/// [`SWARM_PHASE_STREAM`] (the seed's other draws are unchanged, and a seed drawn without it
/// runs as before), since it roughly doubles a run's virtual time. Returns the description
/// line (empty when nothing changed).
fn extend_for_liveness(out: &mut JobSpec, seed: u64) -> String {
    let mut rng = swarm_rng(out, seed, SWARM_PHASE_STREAM);
    if !rng.random_bool(0.5) {
        return String::new();
    }
    let Some(heal_ms) = crate::check::planned_healing_start_ms(out) else { return String::new() };
    let stop_ms = heal_ms
        .saturating_add(crate::check::planned_liveness_phase_ms(out))
        .min(crate::scenario::limits::MAX_STOP_AT_MS);
    if stop_ms <= out.stop_at_ms {
        return String::new();
    }
    let from_ms = std::mem::replace(&mut out.stop_at_ms, stop_ms);
    format!("swarm liveness phase (seed {seed}): faults healed by t={heal_ms} ms, run extended from {from_ms} to {stop_ms} ms\n")
}

/// Draws the job's configuration within what the scenario allows (stream
/// [`SWARM_CONFIG_STREAM`]): checkpoint mode (aligned, unaligned, aligned with a timeout on
/// flink-2.3, at-least-once only with a print sink, since a two-phase-commit sink promises
/// exactly-once only under exactly-once checkpoints), max concurrent (1 when unaligned),
/// interval and timeout scaled by 1/2..2, tolerable failures, the restart strategy and its
/// parameters, the parallelism of operators no fault, action or injector names, and the sink
/// kind; then, appended, the min pause and the number of retained checkpoints
/// (`draw_config_more`), and after them the retention policy, barrier announcements off/on
/// and the network buffer keys (`swarm_config.rs`). A scenario without periodic checkpoints
/// keeps its checkpoint mode, interval and timeout.
pub fn draw_config(spec: &JobSpec, seed: u64) -> (JobSpec, String) {
    let mut rng = swarm_rng(spec, seed, SWARM_CONFIG_STREAM);
    let mut out = spec.clone();
    let mut parts: Vec<String> = Vec::new();
    draw_sink(&mut out, &mut rng, &mut parts);
    // At-least-once checkpoints only without a two-phase-commit sink (a job graph may have a
    // print sink next to one; a line has one sink, so this is "the sink prints").
    let print_sink = out.operators.iter().any(|o| o.kind == OpKind::PrintSink)
        && !out.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
    draw_parallelism(&mut out, spec, &mut rng, &mut parts);
    let kept_tolerance = spec.swarm_keep.tolerable_failures.then_some(spec.checkpoint.tolerable_failures);
    let mut mode_part =
        draw_checkpointing(&mut out.checkpoint, (spec.profile, print_sink, kept_tolerance), &mut rng, &mut parts);
    if spec.swarm_keep.checkpoint_mode {
        keep_checkpoint_mode(&mut out.checkpoint, &spec.checkpoint, &mut mode_part, &mut parts);
    }
    let restart = draw_restart(&mut rng);
    if let Some(r) = restart {
        if spec.swarm_keep.restart {
            parts.push(format!("(restart draw {}: scenario's kept: [swarm] keep)", r.name()));
        } else if !r.exists_in(out.profile) {
            parts.push(format!("(restart draw {} not in {}: scenario's kept)", r.name(), out.profile));
        } else if r.validate().is_ok() {
            parts.push(format!("restart={r:?}"));
            out.restart = r;
            out.restart_configured = true;
        }
    }
    if out.checkpoint.validate(out.profile).is_err() {
        out.checkpoint = spec.checkpoint.clone();
        parts.push("(checkpoint draw invalid: scenario's kept)".into());
    }
    // Draws appended after the first ones (session 6), so the earlier draws of a seed keep
    // their values: the min pause between checkpoints and the number of retained checkpoints.
    draw_config_more(&mut out, spec, &mut rng, &mut parts);
    // Appended after those (session 7): retention, announcements, network buffers.
    config::draw_config_network(&mut out, spec, &mut rng, &mut parts);
    if out.checkpoint.validate(out.profile).is_err() {
        out.checkpoint.retention = spec.checkpoint.retention;
        out.checkpoint.barrier_announcements = spec.checkpoint.barrier_announcements;
        parts.push("(retention / announcements draw invalid: scenario's kept)".into());
    }
    if let Some((i, mode_name)) = mode_part {
        parts[i] = mode_text(&out.checkpoint, spec.profile, mode_name);
    }
    (
        out,
        format!(
            "swarm config (seed {seed}): {}\n",
            if parts.is_empty() { "as the scenario".to_string() } else { parts.join(", ") }
        ),
    )
}

/// The sink kind: a single sink flipped between print and two-phase commit (a quarter of the
/// seeds). A job graph with several sinks keeps its sinks (flipping one could make a second
/// two-phase-commit sink); the draw is made either way, so the stream stays aligned.
fn draw_sink(out: &mut JobSpec, rng: &mut ChaCha8Rng, parts: &mut Vec<String>) {
    let one_sink = out.operators.iter().filter(|o| o.kind.is_sink()).count() == 1;
    if rng.random_bool(0.25) && one_sink && sink_flips(out) {
        if let Some(op) = out.operators.iter_mut().find(|o| o.kind.is_sink()) {
            op.kind = if op.kind == OpKind::PrintSink { OpKind::TwoPhaseCommitSink } else { OpKind::PrintSink };
            parts.push(format!("sink={}", if op.kind == OpKind::PrintSink { "print" } else { "two-phase-commit" }));
        }
    }
}

/// Whether the job's one sink may change kind (the validator's rules for a print sink): a
/// two-phase-commit sink becomes a print sink only with its store settings at their defaults
/// (`sink_api`, `transaction_timeout_ms`, `idempotent_commit`, `retriable_commit_failures`,
/// `ignore_failures_after_transaction_timeout` only apply to it), when it is no user sink and
/// no fault names its `sink-store` (there is none without it); a print sink becomes a
/// two-phase-commit sink unless it is a user writer.
fn sink_flips(spec: &JobSpec) -> bool {
    use crate::scenario::Node;
    let Some(sink) = spec.operators.iter().find(|o| o.kind.is_sink()) else { return false };
    if sink.user_sink.is_some() || sink.user_writer.is_some() {
        return false;
    }
    if sink.kind == OpKind::PrintSink {
        return true;
    }
    let store = |n: Option<&str>| n.and_then(Node::parse) == Some(Node::SinkStore);
    let names_store = spec.faults.iter().any(|f| match &f.kind {
        FaultKind::SinkStoreOutage => true,
        FaultKind::Partition { a, b, .. } => store(Some(a)) || store(Some(b)),
        FaultKind::MessageLoss { target, peer, .. } => store(target.as_deref()) || store(peer.as_deref()),
        FaultKind::ControlDelay { target, .. } => store(target.as_deref()),
        _ => false,
    });
    sink.sink_store == ckptsim::sink::StoreConfig::default()
        && !sink.sink_v2
        && !sink.ignore_failures_after_transaction_timeout
        && !names_store
}

/// One parallelism for every operator after the sources, unless a fault, action or
/// injector names one of them: the keyed operator and the sink stay forward-connected, so
/// a key's outputs keep their order in one sink subtask (the checkers judge per key).
fn draw_parallelism(out: &mut JobSpec, spec: &JobSpec, rng: &mut ChaCha8Rng, parts: &mut Vec<String>) {
    let named = format!("{:?}{:?}", spec.faults, spec.actions);
    let free = |o: &crate::spec::OpSpec| !o.kind.is_source() && !o.kind.is_partitioning();
    let referenced = out
        .operators
        .iter()
        .filter(|o| free(o))
        .any(|o| named.contains(&format!("\"{}", o.name)) || !o.injectors.is_empty());
    if !referenced && rng.random_bool(0.5) {
        let p = rng.random_range(1..=3);
        for op in out.operators.iter_mut().filter(|o| free(o)) {
            op.parallelism = p;
        }
        parts.push(format!("parallelism={p} after the sources"));
    }
}

/// Periodic checkpointing's draws (none when the scenario has no periodic checkpoints): the
/// mode (at-least-once only with a print sink), max concurrent, interval, timeout and
/// tolerable failures (drawn always; replaced by `kept_tolerance`, the scenario's own under
/// `[swarm] keep = ["tolerable_failures"]`, so the stream is the same either way). Returns
/// where in `parts` the mode's text goes and the mode's name (the text is written once the
/// announcements draw, appended last, is made).
fn draw_checkpointing(
    cp: &mut ckptsim::config::CheckpointConfig,
    (profile, print_sink, kept_tolerance): (ckptsim::Profile, bool, Option<i64>),
    rng: &mut ChaCha8Rng,
    parts: &mut Vec<String>,
) -> Option<(usize, &'static str)> {
    use ckptsim::config::{CheckpointingMode, UNLIMITED};
    if !cp.periodic_enabled() {
        return None;
    }
    let mode = rng.random_range(0..4);
    cp.mode = CheckpointingMode::ExactlyOnce;
    cp.unaligned = false;
    cp.aligned_timeout_ms = 0;
    let mode_name = match mode {
        1 => {
            cp.unaligned = true;
            "unaligned"
        }
        2 if profile.supports_aligned_timeout() => {
            cp.unaligned = true;
            cp.aligned_timeout_ms = rng.random_range(1..=200);
            "aligned-timeout"
        }
        3 if print_sink => {
            cp.mode = CheckpointingMode::AtLeastOnce;
            "at-least-once"
        }
        _ => "aligned",
    };
    // Barrier announcements (§3.4) stay as the scenario set them when the draw kept an
    // aligned timeout; an explicit `true` goes with it otherwise (no draw: other scenarios'
    // streams are as before). Unset, they follow the profile as in Flink.
    if cp.aligned_timeout_ms == 0 && cp.barrier_announcements == Some(true) {
        cp.barrier_announcements = None;
    }
    cp.max_concurrent = if cp.unaligned { 1 } else { rng.random_range(1..=3) };
    let interval = cp.interval_ms.unwrap_or(1_000);
    let scale = [0.5, 1.0, 2.0][rng.random_range(0..3)];
    cp.interval_ms = Some(((interval as f64 * scale) as i64).max(10));
    let tscale = [0.5, 1.0, 2.0][rng.random_range(0..3)];
    cp.timeout_ms = ((cp.timeout_ms as f64 * tscale) as i64).max(10);
    cp.tolerable_failures = [0, 1, 3, UNLIMITED as i64][rng.random_range(0..4)];
    if let Some(kept) = kept_tolerance {
        cp.tolerable_failures = kept;
    }
    // The mode's text is written once the announcements draw (appended last) is made.
    let mode_at = parts.len();
    parts.push(String::new());
    parts.push(format!(
        "max_concurrent={} interval={} ms timeout={} ms tolerable_failures={}{}",
        cp.max_concurrent,
        cp.interval_ms.unwrap_or(0),
        cp.timeout_ms,
        if cp.tolerable_is_unlimited() { "unlimited".to_string() } else { cp.tolerable_failures.to_string() },
        if kept_tolerance.is_some() { " (kept: [swarm] keep)" } else { "" }
    ));
    Some((mode_at, mode_name))
}

/// `[swarm] keep = ["checkpoint_mode"]`: the scenario's mode (exactly-once or at-least-once,
/// unaligned, aligned timeout, barrier announcements) and `max_concurrent` replace the drawn ones
/// (drawn all the same, so the stream is the same either way); the mode's text says it was kept.
fn keep_checkpoint_mode(
    cp: &mut ckptsim::config::CheckpointConfig,
    kept: &ckptsim::config::CheckpointConfig,
    mode_part: &mut Option<(usize, &'static str)>,
    parts: &mut [String],
) {
    use ckptsim::config::CheckpointingMode;
    cp.mode = kept.mode;
    cp.unaligned = kept.unaligned;
    cp.aligned_timeout_ms = kept.aligned_timeout_ms;
    cp.barrier_announcements = kept.barrier_announcements;
    cp.max_concurrent = kept.max_concurrent;
    let Some((at, _)) = *mode_part else { return };
    let name = match (kept.mode, kept.unaligned, kept.aligned_timeout_ms) {
        (CheckpointingMode::AtLeastOnce, ..) => "at-least-once (kept: [swarm] keep)",
        (_, true, 0) => "unaligned (kept: [swarm] keep)",
        (_, true, _) => "aligned-timeout (kept: [swarm] keep)",
        _ => "aligned (kept: [swarm] keep)",
    };
    *mode_part = Some((at, name));
    if let Some(p) = parts.get_mut(at + 1) {
        if let Some(i) = p.find("interval=") {
            *p = format!("max_concurrent={} {}", cp.max_concurrent, &p[i..]);
        }
    }
}

/// A restart strategy and its parameters, or none (the scenario's kept). Drawn whatever the
/// profile, so the stream's later values do not depend on it; [`draw_config`] keeps the
/// scenario's strategy when the profile's Flink does not have the drawn one
/// (`RestartStrategyConfig::exists_in`: no exponential delay in flink-1.11).
fn draw_restart(rng: &mut ChaCha8Rng) -> Option<ckptsim::config::RestartStrategyConfig> {
    use ckptsim::config::{RestartStrategyConfig, UNLIMITED};
    match rng.random_range(0..5) {
        0 => Some(RestartStrategyConfig::FixedDelay {
            attempts: rng.random_range(1..=20),
            delay_ms: rng.random_range(0..=2_000),
        }),
        1 => Some(RestartStrategyConfig::FailureRate {
            max_failures_per_interval: rng.random_range(1..=5),
            interval_ms: rng.random_range(1_000..=20_000),
            delay_ms: rng.random_range(0..=2_000),
        }),
        2 => {
            let initial = rng.random_range(10..=2_000);
            Some(RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms: initial,
                max_backoff_ms: rng.random_range(initial..=10_000.max(initial)),
                multiplier: rng.random_range(1.0..3.0),
                reset_threshold_ms: rng.random_range(500..=60_000),
                jitter: rng.random_range(0.0..=1.0),
                attempts: if rng.random_bool(0.5) { UNLIMITED as i64 } else { rng.random_range(1..=20) },
            })
        }
        3 if rng.random_bool(0.3) => Some(RestartStrategyConfig::NoRestart),
        _ => None,
    }
}

/// The drawn checkpointing mode as the description prints it (with an aligned timeout: its
/// length, and whether barriers are announced).
fn mode_text(cp: &ckptsim::config::CheckpointConfig, profile: ckptsim::Profile, mode_name: &str) -> String {
    if cp.aligned_timeout_ms > 0 && cp.announces_barriers(profile) {
        format!("mode={mode_name}({} ms, announcements)", cp.aligned_timeout_ms)
    } else if cp.aligned_timeout_ms > 0 {
        format!("mode={mode_name}({} ms)", cp.aligned_timeout_ms)
    } else {
        format!("mode={mode_name}")
    }
}

/// The configuration draws appended at the end of [`draw_config`]'s stream: a fixed number of
/// values per seed (two), whatever the scenario, so a later append keeps these values too.
///
/// * `min_pause_ms` (`execution.checkpointing.min-pause`), with periodic checkpoints only:
///   half the seeds keep the scenario's; the others draw 1/4, 1/2, 1 or 2 times the drawn
///   interval. A pause of at least the interval makes the periodic cadence the pause
///   (Flink's `CheckpointCoordinator` raises its base interval to the min pause), so a
///   checkpoint that takes any time at all leaves the next periodic trigger to the min-pause
///   check of `CheckpointRequestDecider`. Max concurrent stays as drawn: the decider applies
///   the pause to the last completion, not as a concurrency limit, so `max_concurrent > 1`
///   with a pause is a legal configuration (and with a pause of 0 the earlier draw covers it).
/// * `num_retained` (`state.checkpoints.num-retained`): 1 (the scenario's default), 2 or 3,
///   when the scenario kept the default; the store then subsumes later.
fn draw_config_more(out: &mut JobSpec, spec: &JobSpec, rng: &mut ChaCha8Rng, parts: &mut Vec<String>) {
    let pause_pick = rng.random_range(0..8);
    let retained_pick = rng.random_range(1..=3i64);
    let cp = &mut out.checkpoint;
    if cp.periodic_enabled() && pause_pick >= 4 {
        let interval = cp.interval_ms.unwrap_or(1_000);
        cp.min_pause_ms = match pause_pick {
            4 => interval / 4,
            5 => interval / 2,
            6 => interval,
            _ => interval * 2,
        };
        parts.push(format!("min_pause={} ms", cp.min_pause_ms));
    }
    if spec.checkpoint.num_retained == 1 && retained_pick > 1 {
        cp.num_retained = retained_pick;
        parts.push(format!("num_retained={retained_pick}"));
    }
    if cp.validate(out.profile).is_err() {
        cp.min_pause_ms = spec.checkpoint.min_pause_ms;
        cp.num_retained = spec.checkpoint.num_retained;
        parts.push("(min pause / retained draw invalid: scenario's kept)".into());
    }
}

/// Returns `spec` with swarm faults added for `seed`, and a one-line-per-fault description.
pub fn draw_faults(spec: &JobSpec, seed: u64) -> (JobSpec, String) {
    let mut rng = swarm_rng(spec, seed, SWARM_STREAM);
    let mut out = spec.clone();
    out.expect = ExpectSpec::default();
    let has_log = spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. }));
    let has_2pc = spec.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
    // Task targets: operators that are tasks, by name and subtask.
    let (tasks, ops) = fault_targets(spec);
    let tms = spec.cluster.task_managers.max(1);
    let window_ms = (spec.stop_at_ms / 2).max(1_000);
    let enabled: Vec<FaultName> = kinds()
        .filter(|k| match *k {
            FaultName::BrokerOutage => has_log,
            FaultName::SinkStoreOutage => has_2pc,
            _ => true,
        })
        .filter(|_| rng.random_bool(0.5))
        .collect();
    let mut desc = format!(
        "swarm draw (seed {seed}): enabled = [{}]\n",
        enabled.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
    );
    for kind in &enabled {
        let n = rng.random_range(1..=3);
        for _ in 0..n {
            let at = rng.random_range(500..window_ms);
            let (fk, duration_ms) = draw_fault_kind(*kind, &mut rng, &tasks, &ops, tms, window_ms)
                .expect("every kind but NOT_DRAWN is drawn");
            if at >= spec.stop_at_ms {
                // A run shorter than the draw window (500 ms at the earliest): the validator
                // refuses a fault after the end, and it could not strike.
                continue;
            }
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

/// Draws one fault of kind `name` (a scenario `kind` name) with its duration: the duration and
/// target task first, then the kind's own parameters, all from `rng`. `tasks` (subtasks like
/// `Sum[1]`) must not be empty, nor `ops` for `slow-operator`. `None` for a kind this draw does
/// not make (`jm-crash`, `storage-slow`, `input-burst`). Shared by the swarm draw and the
/// coverage-guided swarm.
pub fn draw_fault_kind(
    name: FaultName,
    rng: &mut ChaCha8Rng,
    tasks: &[String],
    ops: &[String],
    tms: u32,
    window_ms: u64,
) -> Option<(FaultKind, Option<u64>)> {
    let dur = rng.random_range(200..=window_ms / 4 + 200);
    let task = tasks[rng.random_range(0..tasks.len())].clone();
    Some(match name {
        FaultName::TaskFailure => (FaultKind::TaskFailure { task }, None),
        FaultName::TmCrash => (FaultKind::TmCrash { tm: rng.random_range(0..tms), restart_after_ms: dur }, None),
        FaultName::Partition => (
            FaultKind::Partition {
                a: "jm".into(),
                b: format!("tm{}", rng.random_range(0..tms)),
                both: rng.random_bool(0.5),
            },
            Some(dur),
        ),
        FaultName::MessageLoss => (
            FaultKind::MessageLoss {
                rate: rng.random_range(0.01..0.3),
                messages: Vec::new(),
                target: None,
                peer: None,
            },
            Some(dur),
        ),
        FaultName::ControlDelay => {
            (FaultKind::ControlDelay { extra_ms: rng.random_range(10..500), target: None }, Some(dur))
        }
        FaultName::SlowLink => (FaultKind::SlowLink { task, extra_ms: rng.random_range(5..300) }, Some(dur)),
        FaultName::SlowSnapshot => (
            FaultKind::SlowSnapshot { task, sync_ms: rng.random_range(0..200), async_ms: rng.random_range(0..2_000) },
            Some(dur),
        ),
        FaultName::StorageFailure => (FaultKind::StorageFailure, Some(dur)),
        FaultName::BrokerOutage => (FaultKind::BrokerOutage, Some(dur)),
        FaultName::SinkStoreOutage => (FaultKind::SinkStoreOutage, Some(dur)),
        FaultName::SlowOperator => (
            FaultKind::SlowOperator {
                operator: ops[rng.random_range(0..ops.len())].clone(),
                records_per_s: rng.random_range(20..400),
            },
            Some(dur),
        ),
        FaultName::JmCrash | FaultName::StorageSlow | FaultName::InputBurst => return None,
    })
}

/// What a drawn fault can target in `spec`: its tasks by name and subtask (`Name[i]`, every
/// operator that is a task) and its non-source operators by name.
pub(crate) fn fault_targets(spec: &JobSpec) -> (Vec<String>, Vec<String>) {
    let tasks: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !o.kind.is_partitioning())
        .flat_map(|o| (0..o.parallelism).map(move |s| format!("{}[{s}]", o.name)))
        .collect();
    let ops: Vec<String> = spec
        .operators
        .iter()
        .filter(|o| !o.kind.is_source() && !o.kind.is_partitioning())
        .map(|o| o.name.clone())
        .collect();
    (tasks, ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm_crash() -> JobSpec {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/tm-crash.toml");
        crate::load::load_spec(&path).expect("scenario loads")
    }

    /// The identity is the standard 64-bit FNV-1a of the name (stable across builds and
    /// platforms), and it keys every draw: the same name draws the same, another name another
    /// configuration and fault set for the same seed.
    #[test]
    fn swarm_draws_are_keyed_by_the_fnv_1a_of_the_scenario_name() {
        let mut spec = tm_crash();
        spec.name = "a".into();
        assert_eq!(scenario_identity(&spec), 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 of \"a\"");
        spec.name = String::new();
        assert_eq!(scenario_identity(&spec), 0xcbf2_9ce4_8422_2325, "the FNV-1a offset basis");
        let base = tm_crash();
        let mut renamed = base.clone();
        renamed.name.push_str("-copy");
        let mut moved = base.clone();
        moved.source_path = "/elsewhere/tm-crash.toml".into();
        let body = |d: &str| d.lines().filter(|l| !l.starts_with("swarm identity")).collect::<Vec<_>>().join("\n");
        for seed in 1..=5 {
            let (_, a) = draw(&base, seed);
            assert_eq!(draw(&moved, seed).1, a, "seed {seed}: the path is no part of the identity");
            assert_ne!(body(&draw(&renamed, seed).1), body(&a), "seed {seed}: the name keys the draws");
            assert!(a.ends_with(&format!("(seed {seed}, this name)\n")), "{a}");
        }
    }

    /// The one flink-1.11 file of the faults folder never draws a strategy Flink 1.11 lacks:
    /// over seeds 1..=200 the exponential-delay draws (about a fifth) keep the scenario's
    /// strategy and say so, and the other strategies are still drawn.
    #[test]
    fn flink_111_draws_keep_the_scenarios_restart_for_exponential_delay() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/partition-tm-sink-store.toml");
        let spec = crate::load::load_spec(&path).expect("scenario loads");
        assert_eq!(spec.profile, ckptsim::Profile::Flink111);
        let (mut kept, mut drawn) = (0, 0);
        for seed in 1..=200 {
            let (out, desc) = draw(&spec, seed);
            assert!(out.restart.exists_in(spec.profile), "seed {seed}: {:?}", out.restart);
            kept += usize::from(desc.contains("(restart draw exponential-delay not in flink-1.11: scenario's kept)"));
            drawn += usize::from(out.restart_configured && out.restart != spec.restart);
        }
        assert!(kept >= 20 && drawn >= 60, "{kept} exponential draws kept the scenario's, {drawn} drew another");
    }

    /// `[swarm] keep = ["tolerable_failures"]` keeps the scenario's tolerance on every seed and
    /// moves nothing else: without the key the same seeds draw the same configuration and
    /// faults but a finite tolerance on most of them (the draw is made either way).
    #[test]
    fn swarm_keep_keeps_the_tolerance_and_no_other_draw() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/faults/tm-heartbeats-lost-redeploy-crash-1.11.toml");
        let kept = crate::load::load_spec(&path).expect("scenario loads");
        assert!(kept.swarm_keep.tolerable_failures && kept.checkpoint.tolerable_is_unlimited());
        let free = JobSpec { swarm_keep: crate::spec::SwarmKeep::default(), ..kept.clone() };
        let mut finite = 0;
        for seed in 1..=100 {
            let (a, a_desc) = draw(&kept, seed);
            let (b, _) = draw(&free, seed);
            assert!(a.checkpoint.tolerable_is_unlimited(), "seed {seed}: {a_desc}");
            assert!(a_desc.contains("tolerable_failures=unlimited (kept: [swarm] keep)"), "seed {seed}: {a_desc}");
            finite += usize::from(!b.checkpoint.tolerable_is_unlimited());
            let mut b_kept = b.checkpoint.clone();
            b_kept.tolerable_failures = a.checkpoint.tolerable_failures;
            assert_eq!(a.checkpoint, b_kept, "seed {seed}");
            assert_eq!((&a.restart, &a.faults, a.stop_at_ms), (&b.restart, &b.faults, b.stop_at_ms), "seed {seed}");
        }
        assert!(finite >= 60, "{finite} of 100 free draws were finite");
    }

    /// `[swarm] keep = ["checkpoint_mode", "restart"]` (session 40) keeps the scenario's mode,
    /// max concurrent and restart strategy on every seed and moves none of the other draws:
    /// without the keys the same seeds draw the same faults, interval and timeout, but another
    /// mode or concurrency and another strategy on most of them.
    #[test]
    fn swarm_keep_keeps_the_mode_and_the_restart_strategy() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/faults/failure-rate-late-burst-2pc.toml");
        let mut kept = crate::load::load_spec(&path).expect("scenario loads");
        assert!(kept.swarm_keep.restart && !kept.swarm_keep.checkpoint_mode);
        kept.swarm_keep.checkpoint_mode = true;
        let free = JobSpec { swarm_keep: crate::spec::SwarmKeep::default(), ..kept.clone() };
        let mode = |s: &JobSpec| {
            let c = &s.checkpoint;
            (c.mode, c.unaligned, c.aligned_timeout_ms, c.barrier_announcements, c.max_concurrent)
        };
        let (mut other_mode, mut other_restart) = (0, 0);
        for seed in 1..=100 {
            let (a, a_desc) = draw(&kept, seed);
            let (b, _) = draw(&free, seed);
            assert_eq!(mode(&a), mode(&kept), "seed {seed}: {a_desc}");
            assert_eq!(a.restart, kept.restart, "seed {seed}: {a_desc}");
            assert!(a_desc.contains("mode=aligned (kept: [swarm] keep)"), "seed {seed}: {a_desc}");
            let same = |s: &JobSpec| (s.faults.clone(), s.checkpoint.interval_ms, s.checkpoint.timeout_ms);
            assert_eq!(same(&a), same(&b), "seed {seed}");
            other_mode += usize::from(mode(&b) != mode(&kept));
            other_restart += usize::from(b.restart != kept.restart);
        }
        assert!(other_mode >= 40 && other_restart >= 40, "{other_mode} other modes, {other_restart} other strategies");
    }

    /// The refusals of the scenario validator for the swarm draws of `file`, seeds 1..=`seeds`:
    /// (number of draws, refusals keyed by file and message with the first seed's text).
    fn refused_draws(file: &std::path::Path, seeds: u64) -> (usize, Vec<(String, String)>) {
        let spec = crate::load::load_spec(file).expect("scenarios load");
        let mut refused = Vec::new();
        for seed in 1..=seeds {
            let (drawn, desc) = draw(&spec, seed);
            if let Err(e) = crate::scenario::parse("drawn.toml", &crate::tools::emit::to_toml(&drawn, "")) {
                let e = e.to_string();
                let key = format!("{} -- {}", file.display(), e.lines().next().unwrap_or(""));
                refused.push((key, format!("seed {seed} ({}): {e}\n{desc}", spec.profile)));
            }
        }
        (seeds as usize, refused)
    }

    /// Every swarm draw is a scenario the scenario's Flink could run: the drawn `JobSpec`,
    /// written out by `emit`, loads back through the scenario validator (the same validation
    /// as a file: the profile's features, checkpoint and restart keys, targets, limits). Seeds
    /// 1..=200 for every file of `scenarios/faults` (the folder the golden list, `bench --only
    /// find` and the docs sweep with `--swarm`), seeds 1..=5 for every other file a sweep can be
    /// given `--swarm` with; files with over 3,000 input records (the bench jobs: `emit` writes
    /// generated input record by record) are left out. Before session 24 it found 5 kinds of
    /// refused draws: exponential-delay restarts on flink-1.11, a two-phase-commit sink flipped
    /// to print with its store settings (`sink_api`, `transaction_timeout_ms`, ...) or a
    /// `sink-store` fault, faults after the end of a 200 ms run, and a buffer timeout over the
    /// flush limit once the liveness phase lengthened the run.
    #[test]
    fn every_swarm_draw_passes_the_scenario_validator() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let files = crate::load::collect_scenarios(&[base]).expect("scenarios folder");
        assert!(files.len() >= 150, "the scenarios are there: {}", files.len());
        let files: Vec<_> = files
            .into_iter()
            .filter(|f| crate::load::load_spec(f).expect("scenarios load").input.len() <= 3_000)
            .collect();
        let seeds_of = |f: &std::path::Path| if f.parent().is_some_and(|d| d.ends_with("faults")) { 200 } else { 5 };
        let halves = files.split_at(files.len() / 2);
        let (mut draws, mut refused) = (0usize, Vec::new());
        std::thread::scope(|s| {
            let workers = [halves.0, halves.1].map(|part| {
                s.spawn(move || {
                    part.iter().map(|f| refused_draws(f, seeds_of(f))).fold((0, Vec::new()), |(n, mut r), (m, x)| {
                        r.extend(x);
                        (n + m, r)
                    })
                })
            });
            for w in workers {
                let (n, r) = w.join().expect("worker");
                draws += n;
                refused.extend(r);
            }
        });
        assert!(draws >= 10_000, "{draws} draws");
        let mut kinds: std::collections::BTreeMap<String, (usize, String)> = std::collections::BTreeMap::new();
        for (key, first) in refused.iter() {
            kinds.entry(key.clone()).or_insert((0, first.clone())).0 += 1;
        }
        let report: Vec<String> = kinds.iter().map(|(k, (n, first))| format!("{n} x {k}\n  first: {first}")).collect();
        assert!(refused.is_empty(), "{} of {draws} draws refused:\n{}", refused.len(), report.join("\n"));
    }

    #[test]
    fn swarm_draws_every_fault_kind_but_the_named_exclusions() {
        let drawn: Vec<FaultName> = kinds().collect();
        assert_eq!(drawn.len() + NOT_DRAWN.len(), FaultName::ALL.len());
        let (tasks, ops) = (vec!["Sum[0]".to_string()], vec!["Sum".to_string()]);
        for name in FaultName::ALL {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let made = draw_fault_kind(name, &mut rng, &tasks, &ops, 2, 10_000).is_some();
            assert_eq!(made, !NOT_DRAWN.contains(&name), "{name}");
        }
    }
}
