//! Tests of the two-phase-commit sink's transaction-timeout decisions, its knobs and its invariant checkers (mutation survivors of issue 14).

use super::*;
use crate::ids::CheckpointId;
use crate::record::{Lineage, Value};
use crate::state::OperatorState;
use crate::Variant;
use std::collections::BTreeMap;

fn rec(v: &str) -> Record {
    Record::new(Value::str(v), Lineage { input_seq: 0, sub: 0 })
}

/// `setTransactionTimeout(1000)` + `ignoreFailuresAfterTransactionTimeout()`.
fn ignoring() -> TxnTimeoutPolicy {
    TxnTimeoutPolicy { timeout_ms: 1000, ignore_failures_after_timeout: true, warning_ratio_permille: None }
}

fn events(sink: &mut TwoPhaseCommitSink) -> Vec<SinkEvent> {
    std::iter::from_fn(|| sink.poll_event()).collect()
}

fn drain(sink: &mut TwoPhaseCommitSink) -> Vec<SinkOutput> {
    std::iter::from_fn(|| sink.poll_output()).collect()
}

/// A first attempt that pre-commits two transactions (checkpoints 1 and 2) at t=0 and
/// crashes; returns its snapshot of checkpoint 2 and the two pending transactions.
fn two_pending() -> (OperatorState, TxnId, TxnId) {
    let mut first = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    first.initialize_at(0, None, &BTreeMap::new());
    first.invoke(rec("a"));
    first.snapshot(CheckpointId(1));
    first.invoke(rec("b"));
    let st = first.snapshot(CheckpointId(2));
    let [(_, a), (_, b)] = first.pending() else { panic!("two pending transactions: {:?}", first.pending()) };
    (st.clone(), *a, *b)
}

/// Flink's check is `elapsedTime > transactionTimeout`: a recovery commit failing exactly at
/// the timeout is rethrown, one millisecond later it is ignored (TwoPhaseCommitSinkFunctionTest
/// #testIgnoreCommitExceptionDuringRecovery uses timeout + 1).
#[test]
fn recovery_commit_failure_exactly_at_the_timeout_is_rethrown() {
    let (st, a, _) = two_pending();
    for (now_ms, ignored) in [(1000, false), (1001, true)] {
        let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
        second.set_transaction_timeout(ignoring());
        second.initialize_at(now_ms, Some(&st), &BTreeMap::from([(a, 0)]));
        let got = second.handle_commit_failed(now_ms, a);
        if ignored {
            assert_eq!(got, Ok(()));
            assert_eq!(
                events(&mut second),
                [SinkEvent::CommitFailureIgnored { txn: a, elapsed_ms: 1001, timeout_ms: 1000 }]
            );
        } else {
            assert_eq!(got, Err(CommitFailed { txn: a, elapsed_ms: 1000 }));
            assert_eq!(events(&mut second), []);
        }
    }
}

/// `initializeState` runs `recoverAndCommitInternal` for every restored pending transaction:
/// each failed commit is judged on its own, so two old transactions are both ignored.
#[test]
fn every_recovered_transaction_may_fail_and_be_ignored() {
    let (st, a, b) = two_pending();
    let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
    second.set_transaction_timeout(ignoring());
    second.initialize_at(5000, Some(&st), &BTreeMap::from([(a, 0), (b, 0)]));
    assert_eq!(second.handle_commit_failed(5000, b), Ok(()));
    assert_eq!(second.handle_commit_failed(5000, a), Ok(()));
    assert_eq!(
        events(&mut second),
        [
            SinkEvent::CommitFailureIgnored { txn: b, elapsed_ms: 5000, timeout_ms: 1000 },
            SinkEvent::CommitFailureIgnored { txn: a, elapsed_ms: 5000, timeout_ms: 1000 },
        ]
    );
    // A transaction's outcome is reported once: a second failure report of it is not a
    // recovery commit any more and fails the task.
    assert_eq!(second.handle_commit_failed(5000, a), Err(CommitFailed { txn: a, elapsed_ms: 5000 }));
}

/// `notifyCheckpointComplete` rethrows a failed commit whatever its age: only recovery
/// commits may be ignored after the timeout.
#[test]
fn a_failed_commit_of_a_notification_is_rethrown_after_the_timeout_too() {
    let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    sink.set_transaction_timeout(ignoring());
    sink.initialize_at(0, None, &BTreeMap::new());
    let txn = sink.current().expect("an open transaction");
    sink.snapshot(CheckpointId(1));
    sink.notify_checkpoint_complete_at(5000, CheckpointId(1));
    assert!(drain(&mut sink).contains(&SinkOutput::Commit { txn }));
    assert_eq!(sink.handle_commit_failed(5000, txn), Err(CommitFailed { txn, elapsed_ms: 5000 }));
    assert_eq!(events(&mut sink), []);
}

/// `recovery_done` ends the recovery: a later failure report of a recovered transaction
/// is judged as an ordinary commit (rethrown).
#[test]
fn recovery_done_closes_the_recovery() {
    let (st, a, _) = two_pending();
    let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
    second.set_transaction_timeout(ignoring());
    second.initialize_at(5000, Some(&st), &BTreeMap::from([(a, 0)]));
    second.recovery_done();
    assert_eq!(second.handle_commit_failed(5000, a), Err(CommitFailed { txn: a, elapsed_ms: 5000 }));
}

/// The host configures the knobs after `initialize` (`Task::configure_transaction_timeout`):
/// the restored transactions keep the begin times it passes, the open one begins at the
/// configuration time (Flink's `TransactionHolder.transactionStartTime`).
#[test]
fn timeout_configured_after_initialize() {
    let (st, a, b) = two_pending();
    let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
    second.initialize_at(900, Some(&st), &BTreeMap::new());
    let open = second.current().expect("an open transaction");
    let policy = TxnTimeoutPolicy { warning_ratio_permille: Some(500), ..ignoring() };
    second.set_transaction_timeout_at(1200, policy, &BTreeMap::from([(a, 100), (b, 150)]));
    // a began at 100: 1101 ms old at 1201, past the timeout, ignored.
    assert_eq!(second.handle_commit_failed(1201, a), Ok(()));
    // b began at 150: 1051 ms old at 1201, ignored too.
    assert_eq!(second.handle_commit_failed(1201, b), Ok(()));
    assert_eq!(
        events(&mut second),
        [
            SinkEvent::CommitFailureIgnored { txn: a, elapsed_ms: 1101, timeout_ms: 1000 },
            SinkEvent::CommitFailureIgnored { txn: b, elapsed_ms: 1051, timeout_ms: 1000 },
        ]
    );
    // The open transaction began at 1200 (not at 900, when it was opened before the
    // policy): committed at 1701 it is 501 ms old, above half the timeout.
    second.snapshot(CheckpointId(3));
    second.notify_checkpoint_complete_at(1701, CheckpointId(3));
    assert_eq!(events(&mut second), [SinkEvent::TimeoutAlmostReached { txn: open, elapsed_ms: 501, timeout_ms: 1000 }]);
}

#[test]
fn pending_lists_the_precommitted_transactions_in_order() {
    let mut sink = TwoPhaseCommitSink::new(3, 2, Variant::Correct);
    sink.initialize(None);
    assert_eq!(sink.pending(), []);
    sink.snapshot(CheckpointId(4));
    sink.snapshot(CheckpointId(6));
    let txn = |seq| TxnId { subtask: 3, attempt: 2, seq };
    assert_eq!(sink.pending(), [(CheckpointId(4), txn(0)), (CheckpointId(6), txn(1))]);
    sink.notify_checkpoint_complete(CheckpointId(4));
    assert_eq!(sink.pending(), [(CheckpointId(6), txn(1))]);
}

#[test]
fn store_remembers_when_a_transaction_began() {
    let mut store = TxnStore::default();
    let txn = TxnId { subtask: 0, attempt: 0, seq: 0 };
    assert_eq!(store.begun_ms(txn), None);
    store.apply(42, SinkOutput::Begin { txn }).expect("begin");
    store.apply(50, SinkOutput::PreCommit { txn }).expect("pre-commit");
    assert_eq!(store.begun_ms(txn), Some(42));
}

/// The checkers must report a corrupt state (no public call sequence builds one), and every
/// handler runs them, including the no-op abort notification.
#[test]
fn invariants_catch_a_corrupt_state() {
    let panics = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
    let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    sink.initialize(None);
    sink.snapshot(CheckpointId(1));
    assert!(!panics(&|| sink.invariants()));
    let mut twice = sink.clone();
    let entry = twice.pending[0];
    twice.pending.push(entry);
    assert!(panics(&|| twice.invariants()), "a transaction pending twice");
    let mut foreign = sink.clone();
    foreign.current = Some(TxnId { subtask: 0, attempt: 7, seq: 0 });
    assert!(panics(&|| foreign.invariants()), "an open transaction of another attempt");
    assert!(panics(&|| foreign.clone().notify_checkpoint_aborted(CheckpointId(1))), "the abort handler checks");

    let mut store = TxnStore::default();
    let txn = TxnId { subtask: 0, attempt: 0, seq: 0 };
    for op in [
        SinkOutput::Begin { txn },
        SinkOutput::Write { txn, record: rec("x") },
        SinkOutput::PreCommit { txn },
        SinkOutput::Commit { txn },
    ] {
        store.apply(0, op).expect("legal");
    }
    assert!(!panics(&|| store.invariants()));
    let mut lost = store.clone();
    lost.committed.clear();
    assert!(panics(&|| lost.invariants()), "a committed record not visible");
    let mut backwards = store.clone();
    backwards.txns.get_mut(&txn).expect("known").committed_records = 2;
    backwards.committed.insert(0, (5, rec("y")));
    assert!(panics(&|| backwards.invariants()), "commit times going backwards");
}

/// Sink V2 (`KafkaSink`, flink-2.3 `sink_api = "sink-v2"`): `KafkaCommitter#commit` signals a
/// commit the broker refused after aborting the transaction as failed with a known reason, and
/// the `CommitterOperator` logs and drops it: neither a recovery commit nor a notification's
/// commit fails the task, whatever the transaction's age and without
/// `ignoreFailuresAfterTransactionTimeout`. The legacy function rethrows both.
#[test]
fn sink_v2_drops_refused_commits_where_the_legacy_function_rethrows() {
    let (st, a, b) = two_pending();
    let policy =
        TxnTimeoutPolicy { timeout_ms: 1000, ignore_failures_after_timeout: false, warning_ratio_permille: None };
    for v2 in [false, true] {
        let mut second = TwoPhaseCommitSink::new(0, 1, Variant::Correct);
        second.set_transaction_timeout(policy);
        if v2 {
            second.use_sink_v2_committer();
        }
        // Recovery commit of `a`, 500 ms after it began: younger than the timeout.
        second.initialize_at(500, Some(&st), &BTreeMap::from([(a, 0), (b, 0)]));
        let got = second.handle_commit_failed(500, a);
        // A notification's commit of the new attempt's transaction, refused too.
        second.invoke(rec("c"));
        second.snapshot(CheckpointId(3));
        second.notify_checkpoint_complete_at(600, CheckpointId(3));
        let c = drain(&mut second)
            .into_iter()
            .filter_map(|o| match o {
                SinkOutput::Commit { txn } if txn.attempt == 1 => Some(txn),
                _ => None,
            })
            .next()
            .expect("checkpoint 3's commit");
        let notified = second.handle_commit_failed(600, c);
        if v2 {
            assert_eq!((got, notified), (Ok(()), Ok(())), "Sink V2 drops both");
            assert_eq!(
                events(&mut second),
                [
                    SinkEvent::CommitFailureIgnored { txn: a, elapsed_ms: 500, timeout_ms: 1000 },
                    SinkEvent::CommitFailureIgnored { txn: c, elapsed_ms: 100, timeout_ms: 1000 },
                ]
            );
        } else {
            assert_eq!(got, Err(CommitFailed { txn: a, elapsed_ms: 500 }));
            assert_eq!(notified, Err(CommitFailed { txn: c, elapsed_ms: 100 }));
        }
    }
}

/// Session 18, Sink V2 committer retries (2.x `CheckpointCommittableManagerImpl#commit`,
/// `Committer.CommitRequest#retryLater`): a commit the store refuses with a retriable error is
/// committed again at once, up to `sink.committer.retries` (10) times; the eleventh refusal
/// fails the task. The legacy `TwoPhaseCommitSinkFunction` rethrows the first refusal. The
/// planted `committer-retry-dropped` drops the committable. The store refuses exactly the
/// configured number of commit attempts (over all transactions) and then commits.
#[test]
fn sink_v2_retries_a_retriable_commit_refusal_up_to_the_committer_retries() {
    let committed_txn = |v2: bool, variant: Variant| {
        let mut s = TwoPhaseCommitSink::new(0, 0, variant);
        if v2 {
            s.use_sink_v2_committer();
        }
        s.initialize(None);
        s.invoke(rec("a"));
        s.snapshot(CheckpointId(1));
        s.notify_checkpoint_complete(CheckpointId(1));
        let txn = drain(&mut s)
            .into_iter()
            .find_map(|o| if let SinkOutput::Commit { txn } = o { Some(txn) } else { None })
            .expect("checkpoint 1's commit");
        (s, txn)
    };
    let (mut v2, txn) = committed_txn(true, Variant::Correct);
    for retry in 1..=COMMITTER_RETRIES {
        assert_eq!(v2.handle_commit_retriable(10, txn), Ok(()));
        assert_eq!(drain(&mut v2), [SinkOutput::Commit { txn }], "retried at once");
        assert_eq!(events(&mut v2), [SinkEvent::CommitRetried { txn, retry }]);
    }
    assert_eq!(v2.handle_commit_retriable(10, txn), Err(CommitFailed { txn, elapsed_ms: 0 }), "retries used up");
    assert!(drain(&mut v2).is_empty());

    let (mut legacy, txn) = committed_txn(false, Variant::Correct);
    assert_eq!(legacy.handle_commit_retriable(10, txn), Err(CommitFailed { txn, elapsed_ms: 0 }), "no retry");

    let (mut planted, txn) = committed_txn(true, Variant::CommitterRetryDropped);
    assert_eq!(planted.handle_commit_retriable(10, txn), Ok(()));
    assert!(drain(&mut planted).is_empty(), "the plant does not commit again");

    let mut store = TxnStore::new(StoreConfig { retriable_commit_failures: 2, ..StoreConfig::default() });
    for op in [SinkOutput::Begin { txn }, SinkOutput::Write { txn, record: rec("a") }, SinkOutput::PreCommit { txn }] {
        assert_eq!(store.apply_with_failures(0, op), Ok(Ok(())));
    }
    for attempt in 1..=2 {
        let got = store.apply_with_failures(1, SinkOutput::Commit { txn });
        assert_eq!(got, Ok(Err(CommitRetriable { txn, attempt })));
        assert!(store.committed().is_empty(), "nothing visible after a refusal");
    }
    assert_eq!(store.apply_with_failures(2, SinkOutput::Commit { txn }), Ok(Ok(())));
    assert_eq!(store.committed().len(), 1);
}
