//! cargo-fuzz target: scenario_parser (body in `ckptsim_sim::fuzzing::scenario_parser`, replayed by `cargo test` from the committed corpus).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ckptsim_sim::fuzzing::scenario_parser(data));
