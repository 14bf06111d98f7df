//! Issue 13 item 7: the two-phase-commit sink's store settings end to end (transaction timeout, idempotent re-commit) and their scenario keys.

use ckptsim_sim::{load, outcome};
use std::path::Path;

fn spec(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

fn exactly_once(o: &outcome::Outcome) -> &ckptsim_sim::check::Verdict {
    o.verdicts.iter().find(|v| v.checker == "exactly-once").expect("the exactly-once verdict")
}

/// The recovery commit of checkpoint 8's transaction comes after the 4 s timeout: the store
/// refuses it, the checker names the timeout, and the transaction's inputs are lost. With the
/// generous timeout the same failure and outage keep exactly-once.
#[test]
fn transaction_timeout_loses_the_recommitted_transaction() {
    let s = spec("scenarios/fidelity/txn-timeout-data-loss-1.11.toml");
    let o = outcome::run(&s, s.default_seed);
    let v = exactly_once(&o);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    let named: Vec<&ckptsim_sim::check::Finding> = v
        .anomalies
        .iter()
        .filter(|a| a.starts_with("transaction aborted by timeout (data loss, as Flink warns)"))
        .collect();
    // Each restore re-commits the timed-out transaction and the refused commit fails the task
    // again (TwoPhaseCommitSinkFunction rethrows), until the restart strategy gives up.
    assert!(named.len() >= 2, "{:?}", v.anomalies);
    assert!(named.iter().all(|a| a.contains("op: \"commit\"") && a.contains("timeout_ms: 4000")), "{named:?}");
    assert!(o.expectations.iter().all(|e| e.held), "{:?}", o.expectations);
    assert_eq!(o.run.final_status, ckptsim::status::JobStatus::Failed);

    // With ignoreFailuresAfterTransactionTimeout the first refused recovery commit is logged
    // and dropped: one named loss, the job runs on.
    let i = spec("scenarios/fidelity/txn-timeout-ignore-failures.toml");
    let o = outcome::run(&i, i.default_seed);
    let v = exactly_once(&o);
    let named = v.anomalies.iter().filter(|a| a.starts_with("transaction aborted by timeout")).count();
    assert_eq!(named, 1, "{:?}", v.anomalies);
    assert_eq!(o.run.final_status, ckptsim::status::JobStatus::Running);
    let ignored =
        o.run.trace.events().iter().filter(|e| e.kind == "sink" && e.detail.contains("CommitFailureIgnored")).count();
    assert_eq!(ignored, 1, "one ignored recovery-commit failure in the trace");
    assert!(o.expectations.iter().all(|e| e.held), "{:?}", o.expectations);

    let g = spec("scenarios/fidelity/txn-timeout-generous-2.3.toml");
    let o = outcome::run(&g, g.default_seed);
    assert_eq!(exactly_once(&o).passed, Some(true), "{:?}", exactly_once(&o).anomalies);
    assert!(o.run.restarts >= 2, "the store outage made restarts fail: {}", o.run.restarts);
}

/// The restored sink re-commits committed transactions: harmless with the default idempotent
/// store, duplicates without it.
#[test]
fn recommit_after_restore_is_idempotent_only_when_the_store_is() {
    let mut s = spec("scenarios/negative/non-idempotent-recommit.toml");
    let o = outcome::run(&s, s.default_seed);
    let v = exactly_once(&o);
    assert!(v.anomalies.iter().any(|a| a.starts_with("duplicate: ")), "{:?}", v.anomalies);
    assert!(v.anomalies.iter().all(|a| !a.starts_with("lost record")), "{:?}", v.anomalies);
    let last = s.operators.len() - 1;
    s.operators[last].sink_store.idempotent_commit = true;
    s.expect = Default::default();
    let o = outcome::run(&s, s.default_seed);
    assert_eq!(exactly_once(&o).passed, Some(true), "{:?}", exactly_once(&o).anomalies);
    assert_eq!(o.run.restarts, 1);
}

/// The keys are validated: only on the 2PC sink, the timeout >= 1, no other type.
#[test]
fn store_keys_are_validated() {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/negative/non-idempotent-recommit.toml"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ckptsim-two-pc-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("\nidempotent_commit = false", "\ntransaction_timeout_ms = 0", "transaction_timeout_ms: must be >= 1"),
        ("\nidempotent_commit = false", "\nidempotent_commit = \"no\"", "idempotent_commit"),
        (
            "function = \"to_pair_one\"",
            "function = \"to_pair_one\"\nidempotent_commit = true",
            "only applies to two-phase-commit-sink",
        ),
        (
            "function = \"to_pair_one\"",
            "function = \"to_pair_one\"\ntransaction_timeout_ms = 5",
            "only applies to two-phase-commit-sink",
        ),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        assert!(base.contains(from));
        let path = dir.join(format!("case{i}.toml"));
        std::fs::write(&path, base.replacen(from, to, 1)).unwrap();
        let err = load::load_spec(&path).expect_err(to).to_string();
        assert!(err.contains(want), "{to}: {err}");
        assert!(err.contains(&format!("case{i}.toml:")), "names the file: {err}");
    }
}

/// A new job resumed from a savepoint older than checkpoints the ended job completed (and
/// committed) after it: Flink commits the replayed records again and aborts an already committed
/// transaction at recovery. The checker names both as Flink's and passes; any other duplicate
/// (a third copy, or one before the resume only) is still a failure.
#[test]
fn resuming_from_an_older_savepoint_duplicates_as_flink_does() {
    let s = spec("scenarios/regressions/resume-from-savepoint-older-than-last-checkpoint.toml");
    let o = outcome::run(&s, s.default_seed);
    let v = exactly_once(&o);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
    assert!(v.summary.contains("expected by Flink: a new job resumed from an older checkpoint"), "{}", v.summary);
    assert!(!v.summary.contains(": 0 inputs committed again"), "the resume replays committed records: {}", v.summary);
    // A third copy of a replayed input, committed after the resume, is no replay Flink makes.
    let resume_ms = o.run.restores.last().expect("the new job's restore").at_ms;
    let mut broken = o.run.clone();
    let dup = broken.committed.iter().find(|r| r.time_ms > resume_ms).expect("a commit after the resume").clone();
    let later = ckptsim_sim::world::OutputRow { time_ms: dup.time_ms + 1, ..dup };
    broken.committed.push(later);
    let reference = ckptsim_sim::reference::compute(&s);
    let v = ckptsim_sim::check::exactly_once(&s, &broken, &reference);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
}
