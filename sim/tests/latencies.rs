//! Failover latencies from `[cluster]` (`first_start_latency_ms`, `deploy_latency_ms`, `restore_latency_ms`, `cancel_latency_ms`): drawn once per seed within their range and applied; by default a MiniCluster's ranges (`ClusterSpec::default`).

use ckptsim::status::{ExecutionState, JobStatus};
use ckptsim_sim::{load, world};
use std::collections::BTreeSet;
use std::path::Path;

fn spec() -> ckptsim_sim::spec::JobSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/failover-latency.toml");
    load::load_spec(&path).expect("scenario loads")
}

/// When the job first went RUNNING, and when the last task went RUNNING after `after_ms`.
fn times(run: &world::RunResult, after_ms: u64) -> (u64, u64) {
    let job = run.status_timeline.iter().find(|(_, s)| *s == JobStatus::Running).expect("job ran").0;
    let task = run
        .task_transitions
        .iter()
        .filter(|(t, _, _, to)| *t > after_ms && *to == ExecutionState::Running)
        .map(|(t, ..)| *t)
        .max()
        .expect("tasks ran");
    (job, task)
}

#[test]
fn latencies_are_drawn_per_seed_within_their_ranges() {
    let spec = spec();
    let mut first_starts = BTreeSet::new();
    for seed in 1..=6 {
        let run = world::run(&spec, seed);
        let (job, _) = times(&run, 0);
        assert!((300..=900).contains(&job), "seed {seed}: first start after {job} ms, not in [300, 900]");
        first_starts.insert(job);
        // Restart at the failure + 1 s backoff: deploy (5 + [20, 120]) and restore ([10, 60]).
        let restart = run.status_timeline.iter().rev().find(|(_, s)| *s == JobStatus::Running).expect("restarted").0;
        let (_, task) = times(&run, restart);
        let took = task - restart;
        assert!(
            (5 + 20 + 10..=5 + 120 + 60 + 20).contains(&took),
            "seed {seed}: tasks running {took} ms after the restart"
        );
    }
    assert!(first_starts.len() >= 3, "different seeds draw different first starts: {first_starts:?}");
}

/// The spec with `ClusterSpec::default()`'s four latency ranges.
fn default_latency_spec() -> ckptsim_sim::spec::JobSpec {
    let mut spec = spec();
    let d = ckptsim_sim::spec::ClusterSpec::default();
    spec.cluster.first_start_latency_ms = d.first_start_latency_ms;
    spec.cluster.deploy_latency_ms = d.deploy_latency_ms;
    spec.cluster.restore_latency_ms = d.restore_latency_ms;
    spec.cluster.cancel_latency_ms = d.cancel_latency_ms;
    spec
}

/// The defaults are a MiniCluster's (docs/fidelity-audit.md, "Failover latencies"), not 0: with
/// them the job starts 300-900 ms after submission, its first checkpoint is triggered after that,
/// and its tasks run 25 ms or more after the job does. Fails if the defaults go back to 0.
#[test]
fn default_latencies_are_minicluster_like() {
    let d = ckptsim_sim::spec::ClusterSpec::default();
    assert_eq!(d.first_start_latency_ms, (300, 900));
    assert_eq!(d.deploy_latency_ms, (20, 120));
    assert_eq!(d.restore_latency_ms, (10, 60));
    assert_eq!(d.cancel_latency_ms, (5, 40));
    let run = world::run(&default_latency_spec(), 1);
    let (job, _) = times(&run, 0);
    assert!((300..=900).contains(&job), "the job starts after the first-start latency: {job} ms");
    let first_trigger = run.checkpoints.iter().map(|c| c.trigger_ms).min().expect("a checkpoint");
    assert!(first_trigger > job, "the first checkpoint ({first_trigger} ms) follows the first start ({job} ms)");
    let task = run
        .task_transitions
        .iter()
        .filter(|(t, _, _, to)| *t < 3_000 && *to == ExecutionState::Running)
        .map(|(t, ..)| *t)
        .max()
        .expect("tasks ran");
    assert!(task >= job + 5 + 20, "tasks run after the modelled deploy cost plus the deploy latency: {task} ms");
}

/// The default draw is a function of the seed: the same seed gives the same first start,
/// restart and trace; across seeds the values stay in range and differ.
#[test]
fn default_draw_is_deterministic_per_seed_and_in_range() {
    let spec = default_latency_spec();
    let mut first_starts = BTreeSet::new();
    for seed in 1..=8 {
        let a = world::run(&spec, seed);
        let b = world::run(&spec, seed);
        let (job, _) = times(&a, 0);
        assert_eq!(times(&b, 0).0, job, "seed {seed}: the same first start twice");
        assert_eq!(a.status_timeline, b.status_timeline, "seed {seed}: the same status timeline twice");
        assert!((300..=900).contains(&job), "seed {seed}: first start after {job} ms, not in [300, 900]");
        let restart = a.status_timeline.iter().rev().find(|(_, s)| *s == JobStatus::Running).expect("restarted").0;
        let took = times(&a, restart).1 - restart;
        assert!(
            (5 + 20 + 10..=5 + 120 + 60 + 20).contains(&took),
            "seed {seed}: tasks running {took} ms after the restart"
        );
        first_starts.insert(job);
    }
    assert!(first_starts.len() >= 4, "different seeds draw different first starts: {first_starts:?}");
}

/// Seed document 004 (`scenarios/seeds/004-wordcount-restore.toml`, default cluster): its real
/// Flink 1.11.2 log shows the first failure at 20:48:12.967 and the restarted tasks RUNNING at
/// 20:48:22.998/23.000 (fixed-delay 10 s): 10 031-10 033 ms. With the default latencies the
/// simulated gap is 10 s plus cancel, deploy and restore latencies: within 10 025-10 300 ms.
#[test]
fn seed_004_restart_gap_is_close_to_the_real_log() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/004-wordcount-restore.toml");
    let spec = load::load_spec(&path).expect("scenario loads");
    for seed in 1..=4 {
        let run = world::run(&spec, seed);
        let failed = run.status_timeline.iter().find(|(_, s)| *s == JobStatus::Restarting).expect("a failure").0;
        let running = run
            .task_transitions
            .iter()
            .filter(|(t, _, _, to)| *t > failed && *t < failed + 15_000 && *to == ExecutionState::Running)
            .map(|(t, ..)| *t)
            .max()
            .expect("tasks ran again");
        let gap = running - failed;
        assert!((10_025..=10_300).contains(&gap), "seed {seed}: failure to tasks RUNNING took {gap} ms");
    }
}

/// `ClusterSpec::zero_latency` (and `pin_zero_latency`, what schedule-tied tests use) sets the
/// four latencies to 0 and keeps every other key: the job then runs from t=0, as before the
/// MiniCluster-like defaults.
#[test]
fn zero_latency_pins_the_four_ranges_and_keeps_the_rest() {
    use ckptsim_sim::spec::ClusterSpec;
    let z = ClusterSpec::zero_latency();
    let ranges = (z.first_start_latency_ms, z.deploy_latency_ms, z.restore_latency_ms, z.cancel_latency_ms);
    assert_eq!(ranges, ((0, 0), (0, 0), (0, 0), (0, 0)));
    let d = ClusterSpec::default();
    let back = ClusterSpec {
        first_start_latency_ms: d.first_start_latency_ms,
        deploy_latency_ms: d.deploy_latency_ms,
        restore_latency_ms: d.restore_latency_ms,
        cancel_latency_ms: d.cancel_latency_ms,
        ..z
    };
    assert_eq!(back, d, "only the four latency ranges differ from the default");
    let mut spec = default_latency_spec();
    spec.cluster.pin_zero_latency();
    let (job, _) = times(&world::run(&spec, 1), 0);
    assert_eq!(job, 0, "with zero latencies the job runs at once");
}
