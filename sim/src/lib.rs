//! ckptsim's world: the madsim simulation hosting the core, scenario files, checkers, reports and sweeps.
//!
//! The modules follow one run's pipeline; `ARCHITECTURE.md` has the codemap of every file.

/// 3. Judging a run: the reference fold, one checker per property, expectations and the verdict ([`outcome`]).
pub mod check;
/// 1. Scenario files: raw TOML with spans → validated model → [`spec::JobSpec`] (the run's input).
pub mod scenario;
/// 4. Tools built on runs: report, Chrome trace, sweeps, swarm, shrinking, exploration, bench, fuzz bodies.
pub mod tools;
/// 2. The simulated world on madsim: runs a [`spec::JobSpec`] for one seed → [`trace::Trace`] + [`world::RunResult`].
pub mod world;

/// Running scenarios from Rust: one entry point per scenario file or [`spec::JobSpec`], with a registry.
pub mod api;
/// A `cargo test` harness: one trial per scenario file of a folder, seeds from the environment.
pub mod harness;
/// Proptest strategies generating whole scenarios (feature `proptest`).
#[cfg(feature = "proptest")]
pub mod strategies;
/// User operators and checkers: the [`user::Registry`] and loading scenarios that use them.
pub mod user;
mod user_io;

// The short paths (`ckptsim_sim::spec`, `crate::sweep`, ...) that tests, the binary, the fuzz
// targets and the modules themselves use: each names the module in its pipeline folder.
pub use check::{outcome, reference, signature, triage};
pub use scenario::spec;
/// [`scenario::load`](mod@scenario::load) (scenario → `JobSpec`) under its short path; a
/// facade, not a `use`, so the function `scenario::load` does not come along.
pub mod load {
    pub use crate::scenario::load::*;
}
pub use tools::{
    bench, chrome, counterexample, coverage, emit, explore, floor, fuzzing, guided, regress, report, shrink, swarm,
    sweep,
};
pub use world::{graph, trace};
