//! cargo-fuzz target: coordinator_ops (body in `ckptsim::fuzzing::coordinator_ops`, replayed by `cargo test` from the committed corpus).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ckptsim::fuzzing::coordinator_ops(data));
