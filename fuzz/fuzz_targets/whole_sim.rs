//! cargo-fuzz target: whole_sim (body in `ckptsim_sim::fuzzing::whole_sim`, replayed by `cargo test` from the committed corpus).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ckptsim_sim::fuzzing::whole_sim(data));
