//! Barrier announcements and the output-side conversion in the world (semantics §3.4): a barrier held in a backpressured task's output buffers is converted to unaligned only with `barrier_announcements` on, and every cut stays exact either way.

use ckptsim_sim::{load, outcome};
use std::path::Path;

fn spec(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

fn conversions(o: &outcome::Outcome) -> usize {
    o.run.trace.events().iter().filter(|e| e.kind == "convert").count()
}

fn alignment_passed(o: &outcome::Outcome) -> Option<bool> {
    o.verdicts.iter().find(|v| v.checker == "alignment").and_then(|v| v.passed)
}

/// Under backpressure with a 50 ms aligned timeout, barriers wait in the upstream's output
/// buffers past the timeout: with announcements on, the upstream converts them (the trace
/// names each conversion and the overtaken records), with the key off it never does; both
/// runs keep every channel cut and pass their expectations.
#[test]
fn output_side_conversion_only_with_announcements() {
    let on = spec("scenarios/faults/slow-operator-announcements.toml");
    assert_eq!(on.checkpoint.barrier_announcements, Some(true));
    let mut off = on.clone();
    off.checkpoint.barrier_announcements = Some(false);
    let mut converted = 0;
    for seed in 1..=5 {
        let o = outcome::run(&on, seed);
        assert!(o.passed(), "seed {seed} with announcements: {:?}", o.expectations);
        assert_eq!(alignment_passed(&o), Some(true), "seed {seed}");
        converted += conversions(&o);
        let o = outcome::run(&off, seed);
        assert!(o.passed(), "seed {seed} without announcements: {:?}", o.expectations);
        assert_eq!(conversions(&o), 0, "seed {seed}: no conversion without announcements");
    }
    assert!(converted > 0, "no barrier was converted in 5 seeds of a backpressured run");
}

/// flink-1.11 has no aligned timeout, and 2.3 announces only aligned-with-timeout barriers: the
/// key is refused in both cases with its name.
#[test]
fn announcements_are_refused_without_an_aligned_timeout() {
    let dir = std::env::temp_dir().join(format!("ckptsim-announce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/seeds/003-unaligned-backpressure.toml"),
    )
    .expect("seed scenario");
    // The seed scenario with its profile and [checkpoint] table replaced.
    let rest: String = base.lines().filter(|l| !l.starts_with("profile")).collect::<Vec<_>>().join("\n").replace(
        "[checkpoint]\ninterval_ms = 1000\ntimeout_ms = 20000\ntolerable_failures = 5\nunaligned = true\n",
        "",
    );
    for (name, profile) in [("old.toml", "flink-1.11"), ("no-timeout.toml", "flink-2.3")] {
        let path = dir.join(name);
        let text = format!(
            "profile = \"{profile}\"\n{rest}\n[checkpoint]\ninterval_ms = 1000\nunaligned = true\nbarrier_announcements = true\n"
        );
        std::fs::write(&path, text).expect("write");
        let err = load::load_spec(&path).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("checkpoint.barrier_announcements"), "{name}: {msg}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Unset, the key follows Flink (semantics §3.4): flink-2.3 announces every aligned-with-timeout
/// barrier, so the backpressured run without the key is the run with it (same trace, barriers
/// converted), and flink-1.11 never announces.
#[test]
fn announcements_default_to_the_profile() {
    let on = spec("scenarios/faults/slow-operator-announcements.toml");
    let mut default = on.clone();
    default.checkpoint.barrier_announcements = None;
    assert!(default.checkpoint.announces_barriers(ckptsim::Profile::Flink23));
    assert!(!default.checkpoint.announces_barriers(ckptsim::Profile::Flink111));
    let mut converted = 0;
    for seed in 1..=3 {
        let a = outcome::run(&on, seed);
        let b = outcome::run(&default, seed);
        assert_eq!(a.run.trace.hash(), b.run.trace.hash(), "seed {seed}: unset must announce as flink-2.3 does");
        converted += conversions(&b);
    }
    assert!(converted > 0, "no barrier was converted with the key unset");
}
