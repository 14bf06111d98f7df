//! Failover latencies from `[cluster]` (`first_start_latency_ms`, `deploy_latency_ms`, `restore_latency_ms`, `cancel_latency_ms`): drawn once per seed within their range and applied; zero by default.

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

#[test]
fn default_latencies_are_zero() {
    let mut spec = spec();
    let d = ckptsim_sim::spec::ClusterSpec::default();
    spec.cluster.first_start_latency_ms = d.first_start_latency_ms;
    spec.cluster.deploy_latency_ms = d.deploy_latency_ms;
    spec.cluster.restore_latency_ms = d.restore_latency_ms;
    spec.cluster.cancel_latency_ms = d.cancel_latency_ms;
    let run = world::run(&spec, 1);
    let (job, _) = times(&run, 0);
    assert_eq!(job, 0, "the job starts at once");
    let task = run
        .task_transitions
        .iter()
        .filter(|(t, _, _, to)| *t < 3_000 && *to == ExecutionState::Running)
        .map(|(t, ..)| *t)
        .max()
        .expect("tasks ran");
    assert!(task < 20, "tasks run within the modelled deploy cost: {task} ms");
}
