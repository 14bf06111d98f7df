//! ckptsim's world: the madsim simulation hosting the core, scenario files, checkers, reports and sweeps.
//!
//! The modules follow one run's pipeline; `ARCHITECTURE.md` has the codemap of every file.
//!
//! A downstream crate needs three things: a [`user::Registry`] with its own operators, sources,
//! sinks and checkers (empty for the built-in ones), one of the [`api`] entry points, and a seed.
//!
//! Run a scenario file under its own seed (`seed` key) and look at the verdict:
//!
//! ```
//! use ckptsim_sim::api;
//! use ckptsim_sim::user::Registry;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/seeds/004-wordcount-restore.toml");
//! let report = api::run_file(path, None, &Registry::new()).expect("the scenario loads");
//! assert!(report.passed(), "{}", report.render());
//! ```
//!
//! Write the job in Rust with [`api::JobBuilder`] (the same keys and validation as a file),
//! run it under a chosen seed, and replay that seed: the same seed gives the same run, so the
//! same trace hash and verdict (this is what `MADSIM_TEST_SEED` in [`harness`] relies on):
//!
//! ```
//! use ckptsim_sim::api::{self, JobBuilder};
//! use ckptsim_sim::user::Registry;
//!
//! let registry = Registry::new();
//! let spec = JobBuilder::new("wordcount-under-failure")
//!     .top("stop_at_ms = 8000")
//!     .section("checkpoint", "interval_ms = 500")
//!     .operator("socket-source", &[])
//!     .operator("flat_map", &[("function", "\"split_words_to_pairs\"")])
//!     .operator("key_by", &[])
//!     .operator("sum", &[("name", "\"Sum\"")])
//!     .operator("print-sink", &[])
//!     .section("input", "lines = [{ at_ms = 1000, line = \"a b a\" }, { at_ms = 3000, line = \"b\" }]")
//!     .table_entry("faults", "kind = \"task-failure\"\ntarget = \"Sum[0]\"\nat_ms = 2000")
//!     .build(&registry)
//!     .expect("a valid job");
//! let first = api::run_spec(&spec, 7, &registry);
//! let replay = api::run_spec(&spec, 7, &registry);
//! assert_eq!(first.trace_hash(), replay.trace_hash());
//! assert!(first.verdict("state").is_some_and(|v| v.passed != Some(false)), "{}", first.render());
//! ```
//!
//! Every item of this library is documented (`missing_docs` warns); what is public only for
//! the binary's subcommands lives under [`tools`].

#![warn(missing_docs)]

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
/// What this process uses (thread CPU time, resident memory), read from `/proc`: a leaf the
/// checkers' memory prints and the bench and sweep share.
pub mod usage;
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
    pub use crate::user::load_spec;
}
pub use tools::{
    bench, chrome, counterexample, coverage, emit, explore, floor, fuzzing, guided, regress, report, shrink, swarm,
    sweep,
};
pub use world::{graph, key_routing, trace};
