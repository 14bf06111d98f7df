//! Helpers shared by the explorer's test files (`explore.rs`, `explore_region.rs`): load a job of `scenarios/explore/`, explore it, check that a counterexample replays, parse a printed path.

use ckptsim::Variant;
use ckptsim_sim::explore::{Bounds, Choice, Explorer, Violation};
use ckptsim_sim::load;
use std::path::Path;

pub fn spec(name: &str, variant: Variant) -> ckptsim_sim::spec::JobSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore").join(name);
    let mut spec = load::load_spec(&path).expect("explore scenario loads");
    spec.variant = variant;
    spec
}

pub fn bounds(ticks: u32, failures: u32) -> Bounds {
    Bounds { max_ticks: ticks, max_failures: failures, max_states: 400_000, ..Bounds::default() }
}

/// Explores `name` under `variant`; returns the violated checker, after checking that the
/// counterexample replays to the same checker and that no shorter path was skipped.
pub fn found(name: &str, variant: Variant, b: Bounds) -> Option<String> {
    violation(name, variant, b).map(|v| v.checker)
}

/// [`found`], returning the whole violation (one search where a test also reads the path).
pub fn violation(name: &str, variant: Variant, b: Bounds) -> Option<Violation> {
    let spec = spec(name, variant);
    let ex = Explorer::new(&spec, b);
    let report = ex.explore();
    let v = report.violation?;
    let (_, verdict) = ex.replay(&v.path).expect("the counterexample replays step by step");
    let (checker, _) = verdict.expect("the replayed path ends in the same violation");
    assert_eq!(checker, v.checker, "replay names the same checker");
    // Breadth-first: every prefix of a counterexample was judged and passed.
    if let Some((last, prefix)) = v.path.split_last() {
        let _ = last;
        let (_, at_prefix) = ex.replay(prefix).expect("prefix replays");
        assert!(
            at_prefix.is_none() || at_prefix.as_ref().is_some_and(|(c, _)| c == "liveness"),
            "a shorter path already failed: {at_prefix:?}"
        );
    }
    Some(v)
}

pub fn exhausted(name: &str, b: Bounds) {
    let spec = spec(name, Variant::Correct);
    let report = Explorer::new(&spec, b).explore();
    assert!(report.violation.is_none(), "correct protocol: {:?}", report.violation);
    assert!(report.exhausted, "the bounded space of {name} is exhausted ({} states)", report.distinct_states);
    assert!(report.terminal_states > 0, "some paths end with nothing left to do");
}

/// The steps of a path written as `ckptsim explore` prints it.
pub fn steps(text: &str) -> Vec<Choice> {
    text.split_whitespace().map(|c| c.parse().expect("a step")).collect()
}
