//! ckptsim's world: the madsim simulation hosting the core, scenario files, checkers, reports and sweeps.
//!
//! Pipeline: scenario file → [`load`] → [`spec::JobSpec`] → [`world::run`] (madsim) →
//! [`trace::Trace`] + [`world::RunResult`] → [`check`] (against [`reference`](mod@reference)) →
//! [`outcome`] (expectations, tables, verdict) → [`report`] (HTML page) and [`chrome`]
//! (Chrome trace).

pub mod bench;
pub mod check;
pub mod chrome;
pub mod counterexample;
pub mod coverage;
pub mod emit;
pub mod explore;
pub mod floor;
pub mod fuzzing;
pub mod graph;
pub mod guided;
pub mod load;
pub mod outcome;
pub mod reference;
pub mod regress;
pub mod report;
pub mod scenario;
pub mod shrink;
pub mod signature;
pub mod spec;
pub mod swarm;
pub mod sweep;
pub mod trace;
pub mod triage;
pub mod world;
