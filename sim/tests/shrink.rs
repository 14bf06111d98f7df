//! The shrinker on small cases: the result is smaller, still fails the same way (under both seeds the suite runs), its time-based faults get anchored, and the written regression loads and passes.

use ckptsim::Variant;
use ckptsim_sim::fuzzing::{base_job, whole_sim_spec};
use ckptsim_sim::outcome;
use ckptsim_sim::shrink::{self, Options, ShrinkError, Size, Target};
use ckptsim_sim::spec::{Fault, FaultAt, FaultKind};

fn seeds(seed: u64) -> Vec<u64> {
    vec![seed, seed + 7919]
}

fn exactly_once() -> Target {
    Target::Checker("exactly-once".into())
}

/// A fuzzer-found restore-from-pending case: three TaskManager crashes at 1.41 s (bytes of a
/// libFuzzer crash artifact), 240 records.
fn restore_from_pending_case() -> (ckptsim_sim::spec::JobSpec, u64) {
    let data = [0xd8, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x25, 0x41];
    let (mut spec, seed) = whole_sim_spec(Variant::RestoreFromPending, &data);
    spec.default_seed = seed;
    spec.expect.caught_by = Some("exactly-once".into());
    (spec, seed)
}

#[test]
fn shrinks_a_broken_variant_to_a_few_records_and_an_anchored_fault() {
    let (spec, seed) = restore_from_pending_case();
    assert_eq!(spec.faults.len(), 3);
    assert!(spec.faults.iter().all(|f| matches!(f.at, FaultAt::Time(_))));
    // Session 23: the restore from a pending checkpoint is named by `retention` too (the
    // restart did not restore the store's latest), so the exclusive shrink refuses it
    // (`NotExclusive`); the sweep's shrink keeps the failure's signature instead.
    assert!(matches!(
        shrink::shrink(&spec, &exactly_once(), &Options { seeds: seeds(seed), max_runs: 600 }),
        Err(ShrinkError::NotExclusive { .. })
    ));
    let shrunk = shrink::shrink_failure(&spec, &exactly_once(), &Options { seeds: seeds(seed), max_runs: 600 })
        .expect("the variant is caught");
    assert!(!shrunk.exclusive && shrunk.controlled);
    assert!(shrunk.after.smaller_than(&shrunk.before), "{} vs {}", shrunk.after, shrunk.before);
    assert!(shrunk.after.records <= 5, "{}", shrunk.after);
    assert_eq!(shrunk.after.faults, 1, "{}", shrunk.after);
    assert!(shrunk.anchored >= 1 && !shrunk.spec.faults.iter().any(|f| matches!(f.at, FaultAt::Time(_))));
    assert!(shrunk.runs <= 600);

    // The regression: caught by the same checker under both seeds, only by it, and not under
    // the correct protocol.
    let reg = shrink::regression_spec(&shrunk, "shrink-test", seed);
    assert_eq!(reg.expect.caught_by.as_deref(), Some("exactly-once"));
    for s in seeds(seed) {
        let o = outcome::run(&reg, s);
        assert!(o.passed(), "seed {s}: {:?}", o.expectations);
        let correct = ckptsim_sim::spec::JobSpec { variant: Variant::Correct, ..reg.clone() };
        let c = outcome::run(&correct, s);
        assert!(c.verdicts.iter().all(|v| v.passed != Some(false)), "correct protocol fails: {:?}", c.verdicts);
    }
    // The written file loads back and still fails the same way.
    let text = shrink::regression_toml(&shrunk, &reg, "x.toml", "restore_from_pending_case", &seeds(seed), "note line");
    assert!(text.contains("# note line\n") && text.contains("caught_by = \"exactly-once\""), "{text}");
    assert!(text.contains("on = \"checkpoint-"), "{text}");
    let back = shrink::verify_written(&text, &shrunk.target, shrunk.exclusive, &seeds(seed))
        .expect("written file fails the same way");
    assert_eq!(Size::of(&back), shrunk.after);
}

#[test]
fn shrinks_a_failed_expectation_of_the_correct_protocol() {
    // The correct protocol with task failures restarts; `restarts = 0` fails. The shrinker keeps
    // that expectation failing: one fault is enough.
    let mut spec = base_job(Variant::Correct, ckptsim::Profile::Flink23);
    for (i, at) in [1_000u64, 2_000, 3_000, 4_000].into_iter().enumerate() {
        spec.faults.push(Fault {
            at: FaultAt::Time(at),
            duration_ms: None,
            kind: FaultKind::TaskFailure { task: format!("Sum[{}]", i % 2) },
        });
    }
    spec.expect.restarts = Some(0);
    let target = Target::Expectation("restarts".into());
    let shrunk = shrink::shrink(&spec, &target, &Options { seeds: seeds(3), max_runs: 400 }).expect("restarts fails");
    assert!(!shrunk.exclusive && !shrunk.controlled);
    assert_eq!(shrunk.after.faults, 1, "{}", shrunk.after);
    assert!(shrunk.after.records < 240 && shrunk.after.stop_at_ms < 12_000, "{}", shrunk.after);
    assert!(shrunk.what_failed.contains("expected 0"), "{}", shrunk.what_failed);
    let reg = shrink::regression_spec(&shrunk, "restarts-shrunk", 3);
    assert_eq!(reg.expect.restarts, Some(0), "a correct-protocol regression keeps the original expectations");
    assert!(!outcome::run(&reg, 3).passed());
}

#[test]
fn refuses_a_run_that_does_not_fail() {
    let spec = base_job(Variant::Correct, ckptsim::Profile::Flink23);
    let err = shrink::shrink(&spec, &exactly_once(), &Options { seeds: vec![1], max_runs: 10 }).unwrap_err();
    assert!(matches!(err, ShrinkError::TargetHolds { seed: 1, .. }), "{err}");
    let err =
        shrink::shrink(&spec, &Target::Checker("nope".into()), &Options { seeds: vec![1], max_runs: 10 }).unwrap_err();
    assert!(matches!(err, ShrinkError::UnknownChecker(_)), "{err}");
}

/// `emit` writes a scenario the loader reads back as the same job: for every file under
/// `scenarios/`, load → emit → load gives a spec that emits the same text again and runs to
/// the same trace hash on the file's default seed (the shrinker's regressions and `fuzz-case`
/// are written by `emit`).
#[test]
fn every_scenario_round_trips_through_emit() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("a folder").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios"), &mut files);
    assert!(files.len() > 100, "{} scenario files", files.len());
    let dir = std::env::temp_dir().join(format!("ckptsim-emit-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut bad = vec![];
    for (i, f) in files.iter().enumerate() {
        let spec = ckptsim_sim::load::load_spec(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let text = ckptsim_sim::emit::to_toml(&spec, "# round trip");
        let file = dir.join(format!("{i}.toml"));
        std::fs::write(&file, &text).expect("write");
        let back = match ckptsim_sim::load::load_spec(&file) {
            Ok(b) => b,
            Err(e) => {
                bad.push(format!("{}: emitted file does not load: {e}", f.display()));
                continue;
            }
        };
        if ckptsim_sim::emit::to_toml(&back, "# round trip") != text {
            bad.push(format!("{}: emit is not a fixpoint", f.display()));
            continue;
        }
        let (a, b) = (outcome::run(&spec, spec.default_seed), outcome::run(&back, spec.default_seed));
        if a.trace_hash() != b.trace_hash() {
            bad.push(format!("{}: seed {}: another trace after the round trip", f.display(), spec.default_seed));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{} of {} files:\n{}", bad.len(), files.len(), bad.join("\n"));
}
