//! Golden trace hashes: every scenario under `scenarios/` × seeds 1–20 (plain, and `--swarm` for `scenarios/faults/`) must hash as recorded in `tests/golden/trace-hashes.txt`.
//!
//! This is what proves a refactor behaviour-preserving: a change that moves code must leave
//! every line of the list as it was. A change that alters behaviour on purpose re-blesses
//! the list in the same commit and says why:
//!
//! ```sh
//! CKPTSIM_BLESS=1 cargo test --release --test golden_hashes
//! ```
//!
//! Each line is `<scenario path> <plain|swarm> <seed> <hash>`; the file is sorted, so a
//! diff shows which runs changed.

use ckptsim_sim::{load, swarm, world};
use std::path::{Path, PathBuf};

const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden_path() -> PathBuf {
    root().join("tests/golden/trace-hashes.txt")
}

/// Every (scenario, mode, seed) of the golden list, rendered as the file's lines.
fn compute() -> Vec<String> {
    let files = load::collect_scenarios(&[root().join("scenarios")]).expect("scenarios folder readable");
    let mut jobs: Vec<(String, &'static str, u64, ckptsim_sim::spec::JobSpec)> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        let spec = load::load_spec(f).unwrap_or_else(|e| panic!("{e}"));
        let swarmed = rel.starts_with("scenarios/faults/");
        for seed in SEEDS {
            jobs.push((rel.clone(), "plain", seed, spec.clone()));
            if swarmed {
                jobs.push((rel.clone(), "swarm", seed, swarm::draw(&spec, seed).0));
            }
        }
    }
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(4);
    let mut lines: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let jobs = &jobs;
                s.spawn(move || {
                    jobs.iter()
                        .skip(w)
                        .step_by(workers)
                        .map(|(rel, mode, seed, spec)| {
                            let hash = world::run(spec, *seed).trace.hash();
                            format!("{rel} {mode} {seed} {hash:016x}")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a golden run panicked")).collect()
    });
    lines.sort();
    lines
}

#[test]
fn trace_hashes_match_the_golden_list() {
    let got = compute();
    if std::env::var_os("CKPTSIM_BLESS").is_some() {
        let mut text = got.join("\n");
        text.push('\n');
        std::fs::write(golden_path(), text).expect("write the golden list");
        return;
    }
    let want_text = std::fs::read_to_string(golden_path()).expect("tests/golden/trace-hashes.txt exists");
    let want: Vec<&str> = want_text.lines().collect();
    let mut diffs = Vec::new();
    let got_set: std::collections::BTreeSet<&str> = got.iter().map(String::as_str).collect();
    let want_set: std::collections::BTreeSet<&str> = want.iter().copied().collect();
    for line in want_set.difference(&got_set) {
        diffs.push(format!("- {line}"));
    }
    for line in got_set.difference(&want_set) {
        diffs.push(format!("+ {line}"));
    }
    assert!(
        diffs.is_empty(),
        "{} golden trace-hash lines differ (first 40 below). If the change is meant to alter behaviour, \
         re-bless with CKPTSIM_BLESS=1 cargo test --release --test golden_hashes and say why in the commit.\n{}",
        diffs.len(),
        diffs.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
