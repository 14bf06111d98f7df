//! TwoPhaseCommitSinkFunctionTest (1.11; the 2.x legacy sink is the same protocol) posed to `TwoPhaseCommitSink` + `TxnStore`.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::record::{Lineage, Record, Value};
use ckptsim::sink::{TwoPhaseCommitSink, TxnStore};
use ckptsim::state::OperatorState;
use ckptsim::{CheckpointId, Variant};

struct Case {
    flink: Flink,
    check: fn() -> Result<(), String>,
}

fn rec(v: &str, seq: u64) -> Record {
    Record::new(Value::str(v), Lineage { input_seq: seq, sub: 0 })
}

fn apply(sink: &mut TwoPhaseCommitSink, store: &mut TxnStore) -> Result<(), String> {
    while let Some(op) = sink.poll_output() {
        store.apply(0, op).map_err(|e| format!("store refused: {e}"))?;
    }
    Ok(())
}

fn committed(store: &TxnStore) -> Vec<String> {
    let mut v: Vec<String> = store.committed().iter().map(|(_, r)| r.value.to_string()).collect();
    v.sort();
    v
}

fn ensure_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, Flink {want:?}"))
    }
}

/// The harness steps shared by the first tests: 42, snapshot 0, 43, snapshot 1, 44, snapshot 2.
fn three_snapshots(sink: &mut TwoPhaseCommitSink, store: &mut TxnStore) -> Result<Vec<OperatorState>, String> {
    sink.initialize(None);
    let mut states = Vec::new();
    for (n, v) in ["42", "43", "44"].iter().enumerate() {
        sink.invoke(rec(v, n as u64));
        states.push(sink.snapshot(CheckpointId(n as u64)));
        apply(sink, store)?;
    }
    Ok(states)
}

const TPC: &str = "TwoPhaseCommitSinkFunctionTest";

fn cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(TPC, "testNotifyOfCompletedCheckpoint", "1.11"),
            check: || {
                let (mut sink, mut store) = (TwoPhaseCommitSink::new(0, 0, Variant::Correct), TxnStore::default());
                three_snapshots(&mut sink, &mut store)?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                apply(&mut sink, &mut store)?;
                ensure_eq(committed(&store), vec!["42".to_string(), "43".into()], "committed")?;
                // One transaction for checkpoint 2 and the current one are still open.
                ensure_eq(store.open_txns().len(), 2, "open transactions")
            },
        },
        Case {
            flink: flink(TPC, "testSubsumedNotificationOfPreviousCheckpoint", "1.11"),
            check: || {
                let (mut sink, mut store) = (TwoPhaseCommitSink::new(0, 0, Variant::Correct), TxnStore::default());
                three_snapshots(&mut sink, &mut store)?;
                sink.notify_checkpoint_complete(CheckpointId(2));
                sink.notify_checkpoint_complete(CheckpointId(1));
                apply(&mut sink, &mut store)?;
                ensure_eq(committed(&store), vec!["42".to_string(), "43".into(), "44".into()], "committed")?;
                ensure_eq(store.open_txns().len(), 1, "open transactions (the current one)")
            },
        },
        Case {
            flink: flink(TPC, "testFailBeforeNotify", "1.11"),
            check: || {
                let (mut sink, mut store) = (TwoPhaseCommitSink::new(0, 0, Variant::Correct), TxnStore::default());
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.snapshot(CheckpointId(0));
                sink.invoke(rec("43", 1));
                let snapshot = sink.snapshot(CheckpointId(1));
                sink.invoke(rec("44", 2));
                apply(&mut sink, &mut store)?;
                // The snapshot of checkpoint 2 fails: the task fails; a new attempt restores 1.
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.initialize(Some(&snapshot));
                apply(&mut second, &mut store)?;
                ensure_eq(committed(&store), vec!["42".to_string(), "43".into()], "committed")?;
                second.close();
                apply(&mut second, &mut store)?;
                // The failed attempt's open transaction is aborted with it (harness close).
                sink.close();
                apply(&mut sink, &mut store)?;
                ensure_eq(store.open_txns().len(), 0, "transactions left open")
            },
        },
        // Recovery commits the restored checkpoint's own transaction again: commits are
        // idempotent (TwoPhaseCommitSinkFunction#initializeState, "recoverAndCommit").
        Case {
            flink: flink(TPC, "testIgnoreCommitExceptionDuringRecovery (commit without exception)", "1.11"),
            check: || {
                let (mut sink, mut store) = (TwoPhaseCommitSink::new(0, 0, Variant::Correct), TxnStore::default());
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                let snapshot = sink.snapshot(CheckpointId(0));
                sink.notify_checkpoint_complete(CheckpointId(0));
                apply(&mut sink, &mut store)?;
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.initialize(Some(&snapshot));
                apply(&mut second, &mut store)?;
                ensure_eq(committed(&store), vec!["42".to_string()], "committed")
            },
        },
    ]
}

#[test]
fn two_phase_commit_sink() {
    let all = cases();
    run_table("two-phase-commit sink", &all, |c| case_name(&c.flink, F111), |c| (c.check)());
}

pub fn census() -> Vec<(Flink, &'static str)> {
    // The sink is profile-independent; each case is counted once, under 1.11 (its source).
    let _ = F23;
    cases().iter().map(|c| (c.flink, profile_name(F111))).collect()
}
