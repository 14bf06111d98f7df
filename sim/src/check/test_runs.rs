//! Test support for the checkers' unit tests: a scenario of `scenarios/` loaded and run once, and one checker's verdict on a run.

use super::{check_all, Verdict};
use crate::spec::JobSpec;
use crate::world::RunResult;

/// `scenarios/<file>` loaded (panics naming the file if it does not load).
pub(crate) fn scenario(file: &str) -> JobSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(file);
    crate::load::load_spec(&path).unwrap_or_else(|e| panic!("scenarios/{file} loads: {e}"))
}

/// `scenarios/<file>` run once with `seed`: its spec and its result.
pub(crate) fn scenario_run(file: &str, seed: u64) -> (JobSpec, RunResult) {
    let spec = scenario(file);
    let run = crate::world::run(&spec, seed);
    (spec, run)
}

/// The verdict of the checker named `checker` on `run` (its reference computed from `spec`).
pub(crate) fn verdict_of(spec: &JobSpec, run: &RunResult, checker: &str) -> Verdict {
    let reference = crate::reference::compute(spec);
    let found = check_all(spec, run, &reference).into_iter().find(|v| v.checker == checker);
    found.unwrap_or_else(|| panic!("a {checker} verdict"))
}

/// A negative `scenarios/<file>` run once with seed 1 under its planted variant and once under
/// the correct protocol: `[(spec, run); 2]`, planted first (session 37's rule tests).
pub(crate) fn planted_and_correct(file: &str) -> [(JobSpec, RunResult); 2] {
    let planted = scenario(file);
    let mut correct = planted.clone();
    correct.variant = ckptsim::Variant::Correct;
    [planted, correct].map(|spec| {
        let run = crate::world::run(&spec, 1);
        (spec, run)
    })
}

/// `rule` (a rule of one checker: it judges `(spec, run)`, pushes its findings and returns what
/// it judged) names `kind` on the planted run and nothing on the correct one, and judges
/// something in both: [`planted_and_correct`].
pub(crate) fn rule_names_the_plant(
    file: &str,
    kind: &str,
    rule: impl Fn(&JobSpec, &RunResult, &mut Vec<super::Finding>) -> usize,
) {
    let [(spec, planted), (correct_spec, correct)] = planted_and_correct(file);
    let mut found = Vec::new();
    assert!(rule(&spec, &planted, &mut found) > 0, "{file}: the planted run is judged");
    assert!(!found.is_empty() && found.iter().all(|f| f.kind.as_deref() == Some(kind)), "{file}: {found:?}");
    let mut none = Vec::new();
    assert!(rule(&correct_spec, &correct, &mut none) > 0, "{file}: the correct run is judged");
    assert!(none.is_empty(), "{file}: the correct protocol: {none:?}");
}
