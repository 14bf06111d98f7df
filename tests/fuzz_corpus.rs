//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the fuzz target bodies on stable, and the planted-bug crash inputs (`fuzz/planted/<variant>/`) through whole_sim.
//!
//! The cargo-fuzz binaries in `fuzz/` call the same bodies (`ckptsim::fuzzing::*`,
//! `ckptsim_sim::fuzzing::*`), so a corpus file that ever made a target panic stays a test.
//! Cost: the core and parser corpora replay in milliseconds; each whole_sim file is one
//! simulation of the base job (about 10 ms in release), so that corpus is capped at
//! [`WHOLE_SIM_CAP`] files.

use ckptsim::Variant;
use ckptsim_sim::fuzzing::{run_whole_sim, scenario_parser};
use std::path::{Path, PathBuf};

/// At most this many whole_sim corpus files are committed (the replay must stay fast).
const WHOLE_SIM_CAP: usize = 64;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&p).display().to_string();
            (name, std::fs::read(&p).expect("readable corpus file"))
        })
        .collect()
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let files = files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target));
    assert!(files.len() >= 10, "fuzz/corpus/{target} has only {} files", files.len());
    files
}

/// Runs `body` on every file, naming the file that panics.
fn replay(target: &str, body: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    for (name, data) in corpus(target) {
        if std::panic::catch_unwind(|| body(&data)).is_err() {
            panic!("{name} made the {target} body panic (replay: cargo fuzz run {target} {name})");
        }
    }
}

#[test]
fn barrier_ops_corpus() {
    replay("barrier_ops", ckptsim::fuzzing::barrier_ops);
}

#[test]
fn coordinator_ops_corpus() {
    replay("coordinator_ops", ckptsim::fuzzing::coordinator_ops);
}

#[test]
fn scenario_parser_corpus() {
    replay("scenario_parser", scenario_parser);
}

#[test]
fn whole_sim_corpus_passes_every_safety_checker() {
    let files = corpus("whole_sim");
    assert!(files.len() <= WHOLE_SIM_CAP, "{} whole_sim corpus files (cap {WHOLE_SIM_CAP})", files.len());
    for (name, data) in files {
        let failures = run_whole_sim(Variant::Correct, &data);
        assert!(failures.is_empty(), "{name}: {failures:?}");
    }
}

/// The crash inputs the fuzzer found for planted bugs (`CKPTSIM_FUZZ_VARIANT=<variant>`): each
/// is caught under its variant, and the same fault schedule passes under the correct protocol.
#[test]
fn planted_bug_crashes_are_caught_and_pass_when_correct() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/planted");
    let mut seen = 0;
    for v in Variant::ALL {
        let dir = root.join(v.name());
        if !dir.is_dir() {
            continue;
        }
        for (name, data) in files(&dir) {
            seen += 1;
            let caught = run_whole_sim(v, &data);
            assert!(!caught.is_empty(), "{name}: variant {v} is no longer caught");
            let correct = run_whole_sim(Variant::Correct, &data);
            assert!(correct.is_empty(), "{name}: the correct protocol fails too: {correct:?}");
        }
    }
    assert!(seen >= 3, "only {seen} planted-bug inputs under fuzz/planted");
}
