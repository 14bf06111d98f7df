//! Every file of `scenarios/` is a test (`scenario::<file>` and `determinism::<file>`), run with this crate's registry; `MADSIM_TEST_SEED=N` replays seed N, `MADSIM_TEST_NUM=K` runs K seeds per file.

fn main() {
    ckptsim_sim::harness::run_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"), ckptsim_downstream::registry());
}
