//! The planted bugs of the downstream example are caught: a word counter that does not restore its state fails the state checker, and a non-idempotent ledger publishes twice after a restore.

use ckptsim::record::{Lineage, Record, Value};
use ckptsim::user::TwoPhaseCommitDriver;
use ckptsim::CheckpointId;
use ckptsim_downstream::{registry, registry_with_forgetful_sink, Ledger, LedgerSink, WordCounter, WordSource};
use ckptsim_sim::api;
use ckptsim_sim::user::Registry;
use std::sync::{Arc, Mutex};

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn counter_without_restore_is_caught_by_the_state_checker() {
    let buggy = Registry::new().with_operator("word_counter", || Box::new(WordCounter::without_restore()));
    let r = api::run_file(scenario("counter-task-failure.toml"), None, &buggy).expect("loads");
    let state = r.verdict("state").expect("the state checker ran");
    assert_eq!(state.passed, Some(false), "not caught: {}", r.render());
    assert!(state.anomalies.iter().any(|a| a.contains("not after it")), "{:?}", state.anomalies);
    assert!(!r.passed());
}

#[cfg(not(feature = "plant-no-restore"))]
#[test]
fn correct_counter_passes_and_is_deterministic() {
    let r = api::run_file(scenario("counter-task-failure.toml"), None, &registry()).expect("loads");
    assert!(r.passed(), "{}", r.render());
    assert_eq!(r.verdict("state").and_then(|v| v.passed), Some(true));
    assert!(r.outcome.run.restarts >= 1, "the faults restarted the job");
    let again = api::run_file(scenario("counter-task-failure.toml"), None, &registry()).expect("loads");
    assert_eq!(r.trace_hash(), again.trace_hash());
}

/// Drives the ledger sink through checkpoints, a crash after checkpoint 2 completed but before
/// the notification reached the sink, and a restore; returns the visible output.
fn crash_and_restore(non_idempotent: bool) -> Vec<Value> {
    let rec = |i: i64| Record::new(Value::Int(i), Lineage { input_seq: i as u64, sub: 0 });
    let ledger = {
        let mut l = Ledger::default();
        l.non_idempotent = non_idempotent;
        Arc::new(Mutex::new(l))
    };
    let mut d = TwoPhaseCommitDriver::new(LedgerSink::new(ledger.clone(), 1));
    d.invoke(&rec(1)).unwrap();
    d.snapshot(CheckpointId(1)).unwrap();
    d.notify_complete(CheckpointId(1)).unwrap();
    d.invoke(&rec(2)).unwrap();
    let cp2 = d.snapshot(CheckpointId(2)).unwrap();
    d.invoke(&rec(3)).unwrap(); // lost with the crash: not in any checkpoint
    d.notify_complete(CheckpointId(2)).unwrap(); // commits 2, then the task crashes
    drop(d);
    let mut d = TwoPhaseCommitDriver::restore(LedgerSink::new(ledger.clone(), 2), &cp2).unwrap();
    d.invoke(&rec(3)).unwrap(); // replayed from the source
    d.snapshot(CheckpointId(3)).unwrap();
    d.notify_complete(CheckpointId(3)).unwrap();
    let visible = ledger.lock().unwrap().visible.iter().map(|r| r.value.clone()).collect();
    visible
}

#[test]
fn ledger_sink_is_exactly_once_across_a_restore() {
    assert_eq!(crash_and_restore(false), vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
}

#[test]
fn non_idempotent_ledger_publishes_twice() {
    assert_eq!(crash_and_restore(true), vec![Value::Int(1), Value::Int(2), Value::Int(2), Value::Int(3)]);
}

#[test]
fn unknown_user_operator_names_its_line() {
    let err = api::run_file(scenario("counter-task-failure.toml"), None, &Registry::new()).unwrap_err();
    assert_eq!(err.field, "operators[3].function");
    assert_eq!(err.line, 41, "{err}");
    assert!(err.message.contains("unknown user operator `word_counter`"), "{err}");
}

/// The user source and user ledger sink job: committed output comes from the crate's own
/// ledger, the job restarted, and exactly-once held.
#[test]
fn user_source_and_ledger_sink_are_exactly_once_across_failures() {
    let r = api::run_file(scenario("user-source-ledger-sink.toml"), None, &registry()).expect("loads");
    assert!(r.passed(), "{}", r.render());
    assert!(r.outcome.run.restarts >= 2, "the faults restarted the job: {}", r.render());
    assert_eq!(r.verdict("exactly-once").and_then(|v| v.passed), Some(true));
    // The ledger published words read from the user source (not an empty run).
    let committed = &r.outcome.run.committed;
    assert!(committed.len() > 200, "{} rows committed", committed.len());
    assert!(committed.iter().all(|row| matches!(&row.value, Value::Pair(w, _) if w.len() == 5)));
}

#[test]
fn forgetful_ledger_sink_is_caught_by_exactly_once() {
    let r =
        api::run_file(scenario("user-source-ledger-sink.toml"), None, &registry_with_forgetful_sink()).expect("loads");
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(!r.passed());
}

#[test]
fn source_ignoring_its_restored_positions_is_caught() {
    let buggy = registry().with_source("words", || {
        let mut s = WordSource::new();
        s.ignores_restore = true;
        Box::new(s)
    });
    let r = api::run_file(scenario("user-source-ledger-sink.toml"), None, &buggy).expect("loads");
    let v = r.verdict("exactly-once").expect("the exactly-once checker ran");
    assert_eq!(v.passed, Some(false), "not caught: {}", r.render());
    assert!(v.anomalies.iter().any(|a| a.contains("not resumed at its checkpointed position")), "{:?}", v.anomalies);
}
