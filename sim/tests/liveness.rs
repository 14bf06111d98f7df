//! The liveness checker honours a scenario's `max_checkpoint_gap_ms` and flags a run whose recovery is slower than that bound.

use ckptsim_sim::{check, load, world};
use std::path::Path;

#[test]
fn liveness_bound_from_the_scenario() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/tm-crash.toml");
    let mut spec = load::load_spec(&path).expect("scenario loads");
    assert_eq!(spec.expect.max_checkpoint_gap_ms, Some(15_000), "the scenario sets the bound");
    let run = world::run(&spec, spec.default_seed);
    let v = check::liveness(&spec, &run);
    assert_eq!(v.passed, Some(true), "recovery within 15 s: {v:?}");
    // No checkpoint completes within 1 ms of the last fault: the same run must be flagged.
    spec.expect.max_checkpoint_gap_ms = Some(1);
    let v = check::liveness(&spec, &run);
    assert_eq!(v.passed, Some(false), "a 1 ms bound cannot hold: {v:?}");
    assert!(v.anomalies[0].contains("no checkpoint completed within 1 ms"), "{:?}", v.anomalies);
}
