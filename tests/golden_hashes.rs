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
//! Each line is `<scenario path> <plain|swarm> <seed> <trace hash> <output digest>`; the file is
//! sorted, so a diff shows which runs changed. The trace hash covers the run's events (control
//! plane: checkpoints, statuses, faults, deployments), not each record; the output digest covers
//! what the run produced — every printed and committed row (time, task, attempt, value,
//! timestamp) and every offset commit — so a change that alters records read or written without
//! moving an event is seen too (session 19: a 2.x `latest` restart that skipped records kept its
//! trace hash).

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
                            let run = world::run(spec, *seed);
                            let hash = run.trace.hash();
                            let out = output_digest(&run);
                            format!("{rel} {mode} {seed} {hash:016x} {out:016x}")
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

/// FNV-1a over the run's printed rows, committed rows and offset commits, each rendered field by
/// field (`Debug` of the ids and values) with separators between rows and between the three parts.
fn output_digest(run: &world::RunResult) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |text: &str| {
        for b in text.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for rows in [&run.print_rows, &run.committed] {
        for r in rows.iter() {
            feed(&format!("{} {:?} {:?} {:?} {:?}", r.time_ms, r.task, r.attempt, r.value, r.timestamp));
        }
        feed("|");
    }
    for c in &run.offset_commits {
        feed(&format!("{} {:?} {:?} {:?} {}", c.time_ms, c.task, c.partition, c.offset, c.accepted));
    }
    h
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
