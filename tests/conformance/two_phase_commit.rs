//! TwoPhaseCommitSinkFunctionTest (1.11; the 2.x legacy sink is the same protocol) posed to `TwoPhaseCommitSink` + `TxnStore`.

use crate::common::{case_name, ensure_eq, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::record::{Lineage, Record, Value};
use ckptsim::sink::{SinkEvent, TwoPhaseCommitSink, TxnStore, TxnTimeoutPolicy};
use ckptsim::state::OperatorState;
use ckptsim::{CheckpointId, Variant};
use std::collections::BTreeMap;

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

/// A sink of subtask 0, attempt 0, not yet initialized, and an empty store (each test's harness).
fn fresh() -> (TwoPhaseCommitSink, TxnStore) {
    (TwoPhaseCommitSink::new(0, 0, Variant::Correct), TxnStore::default())
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

fn profile_of(f: &Flink) -> ckptsim::Profile {
    if f.version == "1.11" {
        F111
    } else {
        F23
    }
}

const TPC: &str = "TwoPhaseCommitSinkFunctionTest";
const COMMITTER: &str = "KafkaCommitterTest";
const KV: &str = "flink-connector-kafka 3.x (Flink 1.14-2.x)";
const SCOT: &str = "SinkV2CommitterOperatorTest";

/// The commits the sink sends next (applied to nothing: the committer's counter).
fn commits(sink: &mut TwoPhaseCommitSink) -> Vec<ckptsim::state::TxnId> {
    std::iter::from_fn(|| sink.poll_output())
        .filter_map(|op| if let ckptsim::sink::SinkOutput::Commit { txn } = op { Some(txn) } else { None })
        .collect()
}

/// A Sink V2 sink holding one record in the transaction pre-committed for checkpoint 1 (the
/// tests' `CommittableSummary(.., 1L, 1, ..)` and its one `CommittableWithLineage("1", 1L, ..)`).
fn v2_with_one_committable() -> TwoPhaseCommitSink {
    let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    sink.use_sink_v2_committer();
    sink.initialize(None);
    sink.invoke(rec("1", 0));
    sink
}

/// `testStateRestoreWithScaling(before, after, subtask)`: the committables of checkpoint 0 of
/// two old subtasks, restored into subtask `subtask` (of `after`), are committed at once
/// ("Previous committables are immediately committed if possible": the committer's counter is 2).
fn state_restore_with_scaling(subtask_after: u32) -> Result<(), String> {
    let txn = |subtask| ckptsim::state::TxnId { subtask, attempt: 0, seq: 0 };
    let old = |subtask| OperatorState::TwoPhaseCommit { pending: vec![(CheckpointId(0), txn(subtask))], current: None };
    let mut sink = TwoPhaseCommitSink::new(subtask_after, 1, Variant::Correct);
    sink.use_sink_v2_committer();
    sink.initialize(Some(&OperatorState::List(vec![old(0), old(1)])));
    let mut got = commits(&mut sink);
    got.sort();
    ensure_eq(got, vec![txn(0), txn(1)], "committed at restore")?;
    sink.notify_checkpoint_complete(CheckpointId(1));
    ensure_eq(commits(&mut sink), vec![], "no commit left for a later notification")
}

/// `testNumberOfRetries(n)` with `RetryOnceCommitter` (each committable asks `retryLater` once,
/// then commits): with `sink.committer.retries` 0 the notification throws ("Failed to commit 1
/// committables": here `CommitFailed`, the task fails); with 1 it does not.
fn number_of_retries(retries: u32) -> Result<(), String> {
    let mut sink = v2_with_one_committable();
    sink.set_committer_retries(retries);
    sink.snapshot(CheckpointId(1));
    sink.notify_checkpoint_complete(CheckpointId(1));
    let first = commits(&mut sink);
    ensure_eq(first.len(), 1, "one commit after the notification")?;
    let answer = sink.handle_commit_retriable(0, first[0]);
    if retries == 0 {
        return ensure_eq(answer.is_err(), true, "the notification throws");
    }
    answer.map_err(|e| format!("threw with {retries} retries: {e}"))?;
    ensure_eq(commits(&mut sink), first, "the one retry, then committed")
}

/// Applies the sink's operations up to its first commit, which it returns unapplied (the test
/// decides how the broker answers it); None when the sink has no commit to send.
fn next_commit(sink: &mut TwoPhaseCommitSink, store: &mut TxnStore) -> Result<Option<ckptsim::state::TxnId>, String> {
    while let Some(op) = sink.poll_output() {
        if let ckptsim::sink::SinkOutput::Commit { txn } = op {
            return Ok(Some(txn));
        }
        store.apply(0, op).map_err(|e| format!("store refused: {e}"))?;
    }
    Ok(None)
}

/// `setTransactionTimeout(1000)` with the given knobs.
fn policy(ignore: bool, warning_ratio_permille: Option<u32>) -> TxnTimeoutPolicy {
    TxnTimeoutPolicy { timeout_ms: 1000, ignore_failures_after_timeout: ignore, warning_ratio_permille }
}

fn events(sink: &mut TwoPhaseCommitSink) -> Vec<SinkEvent> {
    std::iter::from_fn(|| sink.poll_event()).collect()
}

/// Applies the sink's operations; every commit "throws" (the test's `throwException`) and is
/// reported back to the sink as a failed commit instead of reaching the store.
fn apply_failing_commits(sink: &mut TwoPhaseCommitSink, store: &mut TxnStore, now_ms: u64) -> Result<(), String> {
    let mut result = Ok(());
    while let Some(op) = sink.poll_output() {
        if let ckptsim::sink::SinkOutput::Commit { txn } = op {
            if let Err(e) = sink.handle_commit_failed(now_ms, txn) {
                result = Err(e.to_string());
            }
        } else {
            store.apply(now_ms, op).map_err(|e| format!("store refused: {e}"))?;
        }
    }
    result
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            flink: flink(TPC, "testNotifyOfCompletedCheckpoint", "1.11"),
            check: || {
                let (mut sink, mut store) = fresh();
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
                let (mut sink, mut store) = fresh();
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
                let (mut sink, mut store) = fresh();
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
                let (mut sink, mut store) = fresh();
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
        // Commit of a restored transaction throws: before the timeout the exception fails the
        // recovery; after it (`ignoreFailuresAfterTransactionTimeout`) it is logged and ignored,
        // and what the first attempt committed stays committed once.
        Case {
            flink: flink(TPC, "testIgnoreCommitExceptionDuringRecovery", "1.11"),
            check: || {
                let mut store = TxnStore::default();
                let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
                sink.initialize_at(0, None, &BTreeMap::new());
                sink.invoke(rec("42", 0));
                let snapshot = sink.snapshot(CheckpointId(0));
                sink.notify_checkpoint_complete_at(0, CheckpointId(1));
                apply(&mut sink, &mut store)?;
                let txn = sink.pending().first().map(|p| p.1);
                ensure_eq(txn, None, "pending after the notification")?;
                let OperatorState::TwoPhaseCommit { pending, .. } = &snapshot else {
                    return Err("snapshot of another shape".into());
                };
                let started: BTreeMap<_, _> = pending.iter().map(|(_, t)| (*t, 0)).collect();
                // Recovery at t=0: the commit throws, the transaction is not older than 1000 ms.
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.set_transaction_timeout(policy(true, None));
                second.initialize_at(0, Some(&snapshot), &started);
                let first_try = apply_failing_commits(&mut second, &mut store, 0);
                ensure_eq(first_try.is_err(), true, "recovery at 0 ms rethrows the commit exception")?;
                // Recovery at t=1001: the same exception is ignored.
                let mut third = TwoPhaseCommitSink::new(0, 2, Variant::Correct);
                third.set_transaction_timeout(policy(true, None));
                third.initialize_at(1001, Some(&snapshot), &started);
                apply_failing_commits(&mut third, &mut store, 1001)?;
                ensure_eq(
                    events(&mut third).iter().filter(|e| matches!(e, SinkEvent::CommitFailureIgnored { .. })).count(),
                    1,
                    "ignored commit failures",
                )?;
                ensure_eq(committed(&store), vec!["42".to_string()], "committed")
            },
        },
        // Without `ignoreFailuresAfterTransactionTimeout` an old transaction's failed recovery
        // commit still fails (the default propagates failures).
        Case {
            flink: flink(TPC, "testIgnoreCommitExceptionDuringRecovery (not ignored without the flag)", "1.11"),
            check: || {
                let mut store = TxnStore::default();
                let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
                sink.initialize_at(0, None, &BTreeMap::new());
                sink.invoke(rec("42", 0));
                let snapshot = sink.snapshot(CheckpointId(0));
                apply(&mut sink, &mut store)?;
                let OperatorState::TwoPhaseCommit { pending, .. } = &snapshot else {
                    return Err("snapshot of another shape".into());
                };
                let started: BTreeMap<_, _> = pending.iter().map(|(_, t)| (*t, 0)).collect();
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.set_transaction_timeout(policy(false, None));
                second.initialize_at(1001, Some(&snapshot), &started);
                let r = apply_failing_commits(&mut second, &mut store, 1001);
                ensure_eq(r.is_err(), true, "failed recovery commit propagates")
            },
        },
        // Open at 0, snapshot 0, notify 1 at 502 ms with timeout 1000 and ratio 0.5: warning
        // "has been open for 502 ms ... transaction timeout of 1000 ms".
        Case {
            flink: flink(TPC, "testLogTimeoutAlmostReachedWarningDuringCommit", "1.11"),
            check: || {
                let mut store = TxnStore::default();
                let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
                sink.set_transaction_timeout(policy(false, Some(500)));
                sink.initialize_at(0, None, &BTreeMap::new());
                let txn = sink.current().ok_or("no open transaction")?;
                sink.snapshot(CheckpointId(0));
                sink.notify_checkpoint_complete_at(502, CheckpointId(1));
                apply(&mut sink, &mut store)?;
                ensure_eq(
                    events(&mut sink),
                    vec![SinkEvent::TimeoutAlmostReached { txn, elapsed_ms: 502, timeout_ms: 1000 }],
                    "warnings",
                )
            },
        },
        // The same warning for a transaction committed by recovery (502 ms after it began).
        Case {
            flink: flink(TPC, "testLogTimeoutAlmostReachedWarningDuringRecovery", "1.11"),
            check: || {
                let mut store = TxnStore::default();
                let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
                sink.set_transaction_timeout(policy(false, Some(500)));
                sink.initialize_at(0, None, &BTreeMap::new());
                let txn = sink.current().ok_or("no open transaction")?;
                let snapshot = sink.snapshot(CheckpointId(0));
                apply(&mut sink, &mut store)?;
                sink.close();
                apply(&mut sink, &mut store)?;
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.set_transaction_timeout(policy(false, Some(500)));
                second.initialize_at(502, Some(&snapshot), &BTreeMap::from([(txn, 0)]));
                apply(&mut second, &mut store)?;
                second.recovery_done();
                ensure_eq(
                    events(&mut second),
                    vec![SinkEvent::TimeoutAlmostReached { txn, elapsed_ms: 502, timeout_ms: 1000 }],
                    "warnings",
                )
            },
        },
        // At exactly the ratio (500 ms of 1000 at 0.5) nothing is logged: the check is `>`.
        Case {
            flink: flink(TPC, "testLogTimeoutAlmostReachedWarningDuringCommit (boundary)", "1.11"),
            check: || {
                let mut store = TxnStore::default();
                let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
                sink.set_transaction_timeout(policy(false, Some(500)));
                sink.initialize_at(0, None, &BTreeMap::new());
                sink.snapshot(CheckpointId(0));
                sink.notify_checkpoint_complete_at(500, CheckpointId(1));
                apply(&mut sink, &mut store)?;
                ensure_eq(events(&mut sink), vec![], "warnings")
            },
        },
        // 1.14+ / 2.x legacy sink (FLIP-147 `finish`): run under flink-2.3.
        Case {
            flink: flink(TPC, "testNoTransactionAfterSinkFunctionFinish", "1.14-2.x"),
            check: || {
                let (mut sink, mut store) = fresh();
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.snapshot(CheckpointId(0));
                sink.invoke(rec("43", 1));
                sink.snapshot(CheckpointId(1));
                sink.invoke(rec("44", 2));
                sink.finish();
                sink.snapshot(CheckpointId(2));
                sink.notify_checkpoint_complete(CheckpointId(1));
                sink.snapshot(CheckpointId(3));
                apply(&mut sink, &mut store)?;
                let late = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.invoke(rec("45", 3))));
                ensure_eq(late.is_err(), true, "a record after finish has no transaction")?;
                ensure_eq(committed(&store), vec!["42".to_string(), "43".into()], "committed")?;
                ensure_eq(store.open_txns().len(), 1, "open transactions (checkpoint 2's)")
            },
        },
        Case {
            flink: flink(TPC, "testRecoverFromStateAfterFinished", "1.14-2.x"),
            check: || {
                let (mut sink, mut store) = fresh();
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.finish();
                let snapshot = sink.snapshot(CheckpointId(2));
                apply(&mut sink, &mut store)?;
                sink.close();
                apply(&mut sink, &mut store)?;
                let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
                second.initialize(Some(&snapshot));
                let mut aborted = 0;
                while let Some(op) = second.poll_output() {
                    if matches!(op, ckptsim::sink::SinkOutput::Abort { .. }) {
                        aborted += 1;
                    }
                    store.apply(0, op).map_err(|e| format!("store refused: {e}"))?;
                }
                ensure_eq(aborted, 0, "aborted transactions")
            },
        },
        // Sink V2's `KafkaCommitter#commit` (session 20): a retriable error (the broker
        // unreachable) is `retryLater`: the request is retried once, its transaction not
        // finished (not committed, not dropped). Posed as the 2.x `CommitterOperator` runs the
        // committer: the refused commit comes back as the next output.
        Case {
            flink: flink(COMMITTER, "testRetryCommittableOnRetriableError", KV),
            check: || {
                let (mut sink, mut store) = fresh();
                sink.use_sink_v2_committer();
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.snapshot(CheckpointId(1));
                apply(&mut sink, &mut store)?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                let txn = next_commit(&mut sink, &mut store)?.ok_or("no commit after the notification")?;
                sink.handle_commit_retriable(0, txn).map_err(|e| format!("the committer gave up: {e}"))?;
                ensure_eq(events(&mut sink), vec![SinkEvent::CommitRetried { txn, retry: 1 }], "retries")?;
                ensure_eq(committed(&store), Vec::<String>::new(), "committed before the retry")?;
                ensure_eq(next_commit(&mut sink, &mut store)?, Some(txn), "the retried commit")
            },
        },
        // `ProducerFencedException` (the broker aborted the transaction, e.g. after
        // `transaction.timeout.ms`) is `signalFailedWithKnownReason`: the transaction is
        // finished as failed, the job does not fail (the legacy sink rethrows instead:
        // testFailBeforeNotify's protocol).
        Case {
            flink: flink(COMMITTER, "testFailJobOnKnownFatalError", KV),
            check: || {
                let (mut sink, mut store) = fresh();
                sink.use_sink_v2_committer();
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.snapshot(CheckpointId(1));
                apply(&mut sink, &mut store)?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                let txn = next_commit(&mut sink, &mut store)?.ok_or("no commit after the notification")?;
                ensure_eq(sink.handle_commit_failed(0, txn).is_ok(), true, "the job goes on")?;
                let finished_failed = events(&mut sink)
                    .iter()
                    .any(|e| matches!(e, SinkEvent::CommitFailureIgnored { txn: t, .. } if *t == txn));
                ensure_eq(finished_failed, true, "the transaction finished as failed (logged)")?;
                ensure_eq(next_commit(&mut sink, &mut store)?, None, "no retry")
            },
        },
        // SinkV2CommitterOperatorTest (2.x, session 42): the Sink V2 `CommitterOperator`,
        // posed to the sink whose writer and committer the model fuses. What the tests assert
        // about the committable messages emitted to a post-commit topology is not modelled.
        Case {
            flink: flink(SCOT, "testEmitCommittables (withPostCommitTopology=false)", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                sink.snapshot(CheckpointId(1));
                ensure_eq(commits(&mut sink).len(), 0, "nothing committed before the notification")?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                ensure_eq(commits(&mut sink).len(), 1, "commitCounter")
            },
        },
        Case {
            flink: flink(SCOT, "testStateRestoreWithScaling (1, 10, 9)", "2.x"),
            check: || state_restore_with_scaling(9),
        },
        Case {
            flink: flink(SCOT, "testStateRestoreWithScaling (2, 1, 0)", "2.x"),
            check: || state_restore_with_scaling(0),
        },
        Case {
            flink: flink(SCOT, "testStateRestoreWithScaling (2, 2, 1)", "2.x"),
            check: || state_restore_with_scaling(1),
        },
        Case { flink: flink(SCOT, "testNumberOfRetries (0)", "2.x"), check: || number_of_retries(0) },
        Case { flink: flink(SCOT, "testNumberOfRetries (1)", "2.x"), check: || number_of_retries(1) },
        // With checkpointing, endInput commits nothing (a final checkpoint follows); the
        // notification of checkpoint 1 commits the committable once; a later notification
        // commits nothing more.
        Case {
            flink: flink(SCOT, "testHandleEndInputInStreamingMode (isCheckpointingEnabled=true)", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                sink.snapshot(CheckpointId(1));
                sink.end_of_input();
                ensure_eq(commits(&mut sink).len(), 0, "endInput commits nothing")?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                ensure_eq(commits(&mut sink).len(), 1, "committed at the notification")?;
                sink.notify_checkpoint_complete(CheckpointId(2));
                ensure_eq(commits(&mut sink).len(), 0, "nothing more")
            },
        },
        // Without checkpointing, endInput commits every committable; a later notification
        // commits nothing more. (The test's second `endInput` is not posed: the model's task
        // ends an input once.)
        Case {
            flink: flink(SCOT, "testHandleEndInputInStreamingMode (isCheckpointingEnabled=false)", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                sink.set_no_checkpointing(ckptsim::sink::NoCheckpointing::CommitAtEndOfInput);
                sink.end_of_input();
                ensure_eq(commits(&mut sink).len(), 1, "endInput commits the committable")?;
                sink.notify_checkpoint_complete(CheckpointId(2));
                ensure_eq(commits(&mut sink).len(), 0, "nothing more")
            },
        },
        // The same refusal under the legacy sink fails the task (`notifyCheckpointComplete`
        // rethrows), the contrast the committer test draws.
        Case {
            flink: flink(
                TPC,
                "notifyCheckpointComplete rethrows a refused commit (KafkaCommitterTest's contrast)",
                "1.11",
            ),
            check: || {
                let (mut sink, mut store) = fresh();
                sink.initialize(None);
                sink.invoke(rec("42", 0));
                sink.snapshot(CheckpointId(1));
                apply(&mut sink, &mut store)?;
                sink.notify_checkpoint_complete(CheckpointId(1));
                let txn = next_commit(&mut sink, &mut store)?.ok_or("no commit after the notification")?;
                ensure_eq(sink.handle_commit_failed(0, txn).is_err(), true, "the task fails")
            },
        },
    ]
    .into_iter()
    .chain(sink_writer_cases())
    .collect()
}

const SWOT: &str = "SinkWriterOperatorTest";

/// What the sink emitted since the last call, by kind: the records written into each
/// transaction, then the pre-committed and committed transactions (the writer's committables
/// are the transactions it pre-commits; the fused committer's commits follow).
#[derive(Debug, Default, PartialEq)]
struct Emitted {
    written: BTreeMap<u64, usize>,
    pre_committed: Vec<u64>,
    committed: Vec<u64>,
}

fn emitted(sink: &mut TwoPhaseCommitSink) -> Emitted {
    use ckptsim::sink::SinkOutput;
    let mut e = Emitted::default();
    while let Some(op) = sink.poll_output() {
        match op {
            SinkOutput::Write { txn, .. } => *e.written.entry(txn.seq).or_default() += 1,
            SinkOutput::PreCommit { txn } => e.pre_committed.push(txn.seq),
            SinkOutput::Commit { txn } => e.committed.push(txn.seq),
            SinkOutput::Begin { .. } | SinkOutput::Abort { .. } => {}
        }
    }
    e
}

/// Session 43: `SinkWriterOperatorTest` (2.x), the writer half of the Sink V2 sink the model
/// fuses with its committer (`use_sink_v2_committer`). The writer's committables for a
/// checkpoint are the transaction it pre-commits at that checkpoint's snapshot (Flink's
/// `prepareSnapshotPreBarrier` → `prepareCommit`); the test's `CommittableSummary` with `n`
/// committables is one pre-committed transaction holding the `n` records here.
fn sink_writer_cases() -> Vec<Case> {
    vec![
        // Two records, then the flush at checkpoint 1: nothing is emitted before it; at it the
        // transaction holding both is pre-committed for checkpoint 1, and not committed.
        Case {
            flink: flink(SWOT, "testEmitOnFlushWithCommitter", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                sink.invoke(rec("2", 1));
                ensure_eq(emitted(&mut sink).pre_committed, vec![], "emitted before the flush")?;
                sink.snapshot(CheckpointId(1));
                ensure_eq(emitted(&mut sink).pre_committed, vec![0], "committables at the flush")?;
                let pending: Vec<(u64, usize)> = sink.pending().iter().map(|(c, t)| (c.0, t.seq as usize)).collect();
                ensure_eq(pending, vec![(1, 0)], "the committables of checkpoint 1")
            },
        },
        // Checkpointing on: `endInput` emits nothing; the flush of checkpoint 1 emits the one
        // record's committable (the writer keeps nothing).
        Case {
            flink: flink(SWOT, "testHandleEndInputInStreamingMode (isCheckpointingEnabled=true)", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                let written = emitted(&mut sink);
                ensure_eq(written.written, BTreeMap::from([(0, 1)]), "the record written")?;
                sink.end_of_input();
                ensure_eq(emitted(&mut sink), Emitted::default(), "emitted at endInput")?;
                sink.snapshot(CheckpointId(1));
                let at_flush = emitted(&mut sink);
                ensure_eq((at_flush.pre_committed, at_flush.committed), (vec![0], vec![]), "emitted at the flush")
            },
        },
        // Checkpointing off: `endInput` itself emits the committable (and the fused committer
        // commits it: `CommitterOperator.endInput` without checkpointing).
        Case {
            flink: flink(SWOT, "testHandleEndInputInStreamingMode (isCheckpointingEnabled=false)", "2.x"),
            check: || {
                let mut sink = v2_with_one_committable();
                sink.set_no_checkpointing(ckptsim::sink::NoCheckpointing::CommitAtEndOfInput);
                emitted(&mut sink);
                sink.end_of_input();
                let at_end = emitted(&mut sink);
                ensure_eq((at_end.pre_committed, at_end.committed), (vec![0], vec![0]), "emitted at endInput")
            },
        },
    ]
}

#[test]
fn two_phase_commit_sink() {
    let all = cases();
    run_table("two-phase-commit sink", &all, |c| case_name(&c.flink, profile_of(&c.flink)), |c| (c.check)());
}

pub fn census() -> Vec<(Flink, &'static str)> {
    // The sink is profile-independent; each case is counted once, under the profile of its
    // source (1.11, or 2.3 for the 1.14+ `finish` methods).
    cases().iter().map(|c| (c.flink, profile_name(profile_of(&c.flink)))).collect()
}
