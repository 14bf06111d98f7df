//! cargo-fuzz target: barrier_ops (body in `ckptsim::fuzzing::barrier_ops`, replayed by `cargo test` from the committed corpus).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ckptsim::fuzzing::barrier_ops(data));
