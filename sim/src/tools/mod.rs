//! Tools built on single runs: the HTML report and Chrome trace of a run, seed sweeps and swarm draws, shrinking and regression files, bounded exploration of the core, the floor and the bench, and the fuzz bodies.

pub mod bench;
pub mod chrome;
pub mod counterexample;
pub mod coverage;
pub mod emit;
pub mod explore;
pub mod floor;
pub mod fuzzing;
pub mod guided;
pub mod regress;
pub mod report;
pub mod shrink;
mod shrink_edits;
pub mod swarm;
pub mod sweep;
pub mod sweep_search;
