//! ckptsim's world: the madsim simulation hosting the core, scenario files, checkers, reports and sweeps.
//!
//! Pipeline: scenario file → [`load`] → [`spec::JobSpec`] → [`world::run`] (madsim) →
//! [`trace::Trace`] + [`world::RunResult`] → [`check`] (against [`reference`]) →
//! [`outcome`] (expectations, tables, verdict).

pub mod check;
pub mod emit;
pub mod fuzzing;
pub mod graph;
pub mod load;
pub mod outcome;
pub mod reference;
pub mod scenario;
pub mod shrink;
pub mod spec;
pub mod sweep;
pub mod trace;
pub mod world;
