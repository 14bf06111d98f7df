//! A lean run (`outcome::run_lean`: the trace streamed into its hash, only essential events
//! kept) judges exactly like a full run: same trace hash, event count, verdicts, expectations
//! and rendered tables, on the seed scenarios and on swarm-drawn fault runs.

use ckptsim_sim::{load, outcome, swarm};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn same(spec: &ckptsim_sim::spec::JobSpec, seed: u64) {
    let full = outcome::run(spec, seed);
    let lean = outcome::run_lean(spec, seed);
    let what = format!("{} seed {seed}", spec.name);
    assert_eq!(full.trace_hash(), lean.trace_hash(), "{what}: hash");
    assert_eq!(full.run.trace.len(), lean.run.trace.len(), "{what}: events");
    assert_eq!(full.run.trace.events().len(), full.run.trace.len(), "{what}: a full trace keeps every event");
    assert!(lean.run.trace.events().len() < full.run.trace.len(), "{what}: a lean trace drops events");
    assert_eq!(full.verdicts, lean.verdicts, "{what}: verdicts");
    assert_eq!(full.expectations, lean.expectations, "{what}: expectations");
    assert_eq!(outcome::render(spec, &full), outcome::render(spec, &lean), "{what}: rendered tables");
    assert!(lean.run.snapshot_spans.is_empty(), "{what}: a lean run keeps no snapshot spans");
}

#[test]
fn lean_runs_judge_like_full_runs() {
    // Every scenario of the repository at its default seed: a checker that reads an event kind
    // the lean trace drops (the cancellation watchdog's, once) judges differently here.
    let files = load::collect_scenarios(&[root().join("scenarios")]).expect("scenario folders");
    assert!(files.len() > 100, "the repository's scenarios are there");
    for f in files {
        let spec = load::load_spec(&f).expect("scenario loads");
        same(&spec, spec.default_seed);
    }
    let faults = load::load_spec(&root().join("scenarios/bench/swarm-faults.toml")).expect("scenario loads");
    for seed in 1..=6 {
        let (drawn, _) = swarm::draw(&faults, seed);
        same(&drawn, seed);
    }
}
