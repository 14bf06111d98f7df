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
