//! Unit tests of the sinks and the transactional store (`src/sink.rs`, `src/sink/`).

use super::*;
use crate::ids::{CheckpointId, Offset, PartitionId};
use crate::operator::{Aggregate, FailureInjector, Operator, OperatorContext, OperatorKind, SurvivingCounters, Udf};
use crate::record::{Lineage, LogRecord, Value};
use crate::source::{LineSource, LogSource, StartupMode};
use crate::state::OperatorState;
use crate::Profile;
use crate::Variant;
use std::collections::BTreeMap;

fn t(attempt: u32, seq: u64) -> TxnId {
    TxnId { subtask: 0, attempt, seq }
}
fn rec(v: &str) -> Record {
    Record::new(Value::str(v), Lineage { input_seq: 0, sub: 0 })
}
fn begin(a: u32, s: u64) -> SinkOutput {
    SinkOutput::Begin { txn: t(a, s) }
}
fn write(a: u32, s: u64, v: &str) -> SinkOutput {
    SinkOutput::Write { txn: t(a, s), record: rec(v) }
}
fn pre(a: u32, s: u64) -> SinkOutput {
    SinkOutput::PreCommit { txn: t(a, s) }
}
fn commit(a: u32, s: u64) -> SinkOutput {
    SinkOutput::Commit { txn: t(a, s) }
}
fn abort(a: u32, s: u64) -> SinkOutput {
    SinkOutput::Abort { txn: t(a, s) }
}

enum Step {
    /// A new sink attempt (the previous one vanishes without `close`, like a crash), restored
    /// from the stored snapshot of checkpoint `restore` (None: fresh start).
    Start {
        attempt: u32,
        restore: Option<u64>,
    },
    Invoke(&'static str),
    /// Snapshot `id` and store the state.
    Snapshot(u64),
    Complete(u64),
    Aborted(u64),
    Close,
    /// The operations emitted since the last `Out`, in order (each already applied to the store).
    Out(Vec<SinkOutput>),
    /// The stored snapshot of checkpoint `id`.
    State(u64, OperatorState),
    /// Values visible in the store, in commit order.
    Visible(&'static [&'static str]),
    /// Open or pre-committed transactions in the store.
    OpenTxns(Vec<TxnId>),
    /// Apply an operation to the store directly and expect this result.
    Store(SinkOutput, Result<(), StoreAnomaly>),
    /// Set the clock for later store operations.
    Time(u64),
    /// (commit time, value) of everything visible.
    CommittedAt(&'static [(u64, &'static str)]),
}
use Step::*;

struct Case {
    name: &'static str,
    variant: Variant,
    steps: Vec<Step>,
}

fn case(name: &'static str, steps: Vec<Step>) -> Case {
    Case { name, variant: Variant::Correct, steps }
}

/// Runs each case; the one helper of this module. Every operation the sink emits must be
/// named by an `Out` step, and the sink's operations must never be a store anomaly.
fn check(cases: Vec<Case>) {
    for c in cases {
        let mut store = TxnStore::default();
        let mut sink: Option<TwoPhaseCommitSink> = None;
        let mut snapshots: BTreeMap<u64, OperatorState> = BTreeMap::new();
        let mut emitted: Vec<SinkOutput> = Vec::new();
        let mut now_ms = 0;
        for (n, step) in c.steps.into_iter().enumerate() {
            let at = format!("case `{}` step {n}", c.name);
            match step {
                Start { attempt, restore } => {
                    let mut new = TwoPhaseCommitSink::new(0, attempt, c.variant);
                    new.initialize(restore.map(|id| snapshots.get(&id).expect(&at)));
                    sink = Some(new);
                }
                Invoke(v) => sink.as_mut().expect("script error: no sink started").invoke(rec(v)),
                Snapshot(id) => {
                    let st = sink.as_mut().expect("script error: no sink started").snapshot(CheckpointId(id));
                    snapshots.insert(id, st);
                }
                Complete(id) => {
                    sink.as_mut().expect("script error: no sink started").notify_checkpoint_complete(CheckpointId(id))
                }
                Aborted(id) => {
                    sink.as_mut().expect("script error: no sink started").notify_checkpoint_aborted(CheckpointId(id))
                }
                Close => sink.as_mut().expect("script error: no sink started").close(),
                Out(want) => {
                    assert_eq!(emitted, want, "{at}: sink operations");
                    emitted.clear();
                }
                State(id, want) => assert_eq!(snapshots[&id], want, "{at}"),
                Visible(want) => {
                    let got: Vec<String> = store.committed().iter().map(|(_, r)| r.value.to_string()).collect();
                    assert_eq!(got, want, "{at}: visible");
                }
                OpenTxns(want) => assert_eq!(store.open_txns(), want, "{at}: open transactions"),
                Store(op, want) => {
                    let before = (store.committed().len(), store.open_txns(), store.txn_state(op.txn()));
                    let got = store.apply(now_ms, op.clone());
                    assert_eq!(got, want, "{at}: {op:?}");
                    if got.is_err() {
                        let after = (store.committed().len(), store.open_txns(), store.txn_state(op.txn()));
                        assert_eq!(before, after, "{at}: a refused operation changed the store");
                    }
                }
                Time(t) => now_ms = t,
                CommittedAt(want) => {
                    let got: Vec<(u64, String)> =
                        store.committed().iter().map(|(t, r)| (*t, r.value.to_string())).collect();
                    let want: Vec<(u64, String)> = want.iter().map(|(t, v)| (*t, v.to_string())).collect();
                    assert_eq!(got, want, "{at}");
                }
            }
            if let Some(sink) = sink.as_mut() {
                sink.invariants();
                while let Some(op) = sink.poll_output() {
                    assert_eq!(store.apply(now_ms, op.clone()), Ok(()), "{at}: the sink's {op:?}");
                    emitted.push(op);
                }
            }
            store.invariants();
        }
        assert!(emitted.is_empty(), "case `{}`: unchecked operations {emitted:?}", c.name);
    }
}

fn two_pc(pending: &[(u64, TxnId)], current: Option<TxnId>) -> OperatorState {
    OperatorState::TwoPhaseCommit { pending: pending.iter().map(|(c, t)| (CheckpointId(*c), *t)).collect(), current }
}

#[test]
fn two_phase_commit_protocol() {
    check(vec![
        case(
            "commit ordering, notify(2) then notify(1)",
            vec![
                Start { attempt: 0, restore: None },
                Out(vec![begin(0, 0)]),
                Invoke("a"),
                Invoke("b"),
                Snapshot(1),
                Out(vec![write(0, 0, "a"), write(0, 0, "b"), pre(0, 0), begin(0, 1)]),
                State(1, two_pc(&[(1, t(0, 0))], Some(t(0, 1)))),
                // Pre-committed data is invisible until the checkpoint completes.
                Visible(&[]),
                Invoke("c"),
                Snapshot(2),
                Out(vec![write(0, 1, "c"), pre(0, 1), begin(0, 2)]),
                State(2, two_pc(&[(1, t(0, 0)), (2, t(0, 1))], Some(t(0, 2)))),
                Invoke("d"),
                Out(vec![write(0, 2, "d")]),
                // notify(2) commits every pending id <= 2, in order.
                Complete(2),
                Out(vec![commit(0, 0), commit(0, 1)]),
                Visible(&["a", "b", "c"]),
                Complete(1),
                Out(vec![]),
                Complete(2),
                Out(vec![]),
                OpenTxns(vec![t(0, 2)]),
            ],
        ),
        case(
            "abort notification is a no-op; the next completion commits",
            vec![
                Start { attempt: 0, restore: None },
                Invoke("a"),
                Snapshot(1),
                Aborted(1),
                Out(vec![begin(0, 0), write(0, 0, "a"), pre(0, 0), begin(0, 1)]),
                Invoke("b"),
                Snapshot(2),
                Out(vec![write(0, 1, "b"), pre(0, 1), begin(0, 2)]),
                Visible(&[]),
                Complete(2),
                Out(vec![commit(0, 0), commit(0, 1)]),
                Visible(&["a", "b"]),
            ],
        ),
        case(
            "notify for an id between pending ones commits only the older",
            vec![
                Start { attempt: 0, restore: None },
                Snapshot(3),
                Snapshot(7),
                Out(vec![begin(0, 0), pre(0, 0), begin(0, 1), pre(0, 1), begin(0, 2)]),
                Complete(5),
                Out(vec![commit(0, 0)]),
                Complete(7),
                Out(vec![commit(0, 1)]),
            ],
        ),
        case(
            "recovery commits pending incl. the restored checkpoint's own and aborts the open one",
            vec![
                Start { attempt: 0, restore: None },
                Invoke("a"),
                Snapshot(1),
                Invoke("b"),
                Snapshot(2),
                Invoke("c"),
                Out(vec![
                    begin(0, 0),
                    write(0, 0, "a"),
                    pre(0, 0),
                    begin(0, 1),
                    write(0, 1, "b"),
                    pre(0, 1),
                    begin(0, 2),
                    write(0, 2, "c"),
                ]),
                // Neither notification arrived; the job restores checkpoint 1 (2 never completed).
                Start { attempt: 1, restore: Some(1) },
                Out(vec![commit(0, 0), abort(0, 1), begin(1, 0)]),
                Visible(&["a"]),
                // The crashed attempt's open transaction dangles (no close on a crash).
                OpenTxns(vec![t(0, 2), t(1, 0)]),
            ],
        ),
        case(
            "recovery from a checkpoint whose notifications never arrived commits all its pending",
            vec![
                Start { attempt: 0, restore: None },
                Invoke("a"),
                Snapshot(1),
                Invoke("b"),
                Snapshot(2),
                Invoke("c"),
                Out(vec![
                    begin(0, 0),
                    write(0, 0, "a"),
                    pre(0, 0),
                    begin(0, 1),
                    write(0, 1, "b"),
                    pre(0, 1),
                    begin(0, 2),
                    write(0, 2, "c"),
                ]),
                // Both checkpoints completed but the task crashed before either notification.
                Start { attempt: 1, restore: Some(2) },
                Out(vec![commit(0, 0), commit(0, 1), abort(0, 2), begin(1, 0)]),
                Visible(&["a", "b"]),
                OpenTxns(vec![t(1, 0)]),
            ],
        ),
        case(
            "recovery after the notification arrived commits again, idempotently",
            vec![
                Start { attempt: 0, restore: None },
                Invoke("a"),
                Snapshot(1),
                Complete(1),
                Invoke("b"),
                Close,
                Out(vec![
                    begin(0, 0),
                    write(0, 0, "a"),
                    pre(0, 0),
                    begin(0, 1),
                    commit(0, 0),
                    write(0, 1, "b"),
                    abort(0, 1),
                ]),
                Start { attempt: 1, restore: Some(1) },
                Out(vec![commit(0, 0), abort(0, 1), begin(1, 0)]),
                Visible(&["a"]),
                Invoke("b"),
                Snapshot(2),
                State(2, two_pc(&[(2, t(1, 0))], Some(t(1, 1)))),
                Complete(2),
                Out(vec![write(1, 0, "b"), pre(1, 0), begin(1, 1), commit(1, 0)]),
                Visible(&["a", "b"]),
            ],
        ),
        case(
            "close aborts the open transaction only",
            vec![
                Start { attempt: 0, restore: None },
                Invoke("a"),
                Snapshot(1),
                Invoke("b"),
                Close,
                Close,
                Complete(1),
                Out(vec![begin(0, 0), write(0, 0, "a"), pre(0, 0), begin(0, 1), write(0, 1, "b"), abort(0, 1)]),
                Visible(&[]),
                // The pre-committed transaction survives for the next attempt's recovery.
                OpenTxns(vec![t(0, 0)]),
                Start { attempt: 1, restore: Some(1) },
                Out(vec![commit(0, 0), abort(0, 1), begin(1, 0)]),
                Visible(&["a"]),
                OpenTxns(vec![t(1, 0)]),
            ],
        ),
    ]);
}

/// The same run, correct and with the deliberate bug: checkpoint 1 is aborted, the job fails
/// and restarts without a checkpoint, and `a` is replayed. With the bug `a` is visible before
/// any checkpoint completed, and twice at the end.
fn commit_on_precommit_run(
    variant: Variant,
    visible_early: &'static [&'static str],
    end: &'static [&'static str],
) -> Case {
    let bug = variant == Variant::TwoPcCommitOnPrecommit;
    let early = |a: u32| if bug { vec![commit(a, 0)] } else { vec![] };
    let first = [vec![begin(0, 0), write(0, 0, "a"), pre(0, 0)], early(0), vec![begin(0, 1)]].concat();
    let second = [vec![begin(1, 0), write(1, 0, "a"), pre(1, 0)], early(1), vec![begin(1, 1), commit(1, 0)]].concat();
    Case {
        name: if bug { "commit on pre-commit (bug)" } else { "commit on pre-commit (correct)" },
        variant,
        steps: vec![
            Start { attempt: 0, restore: None },
            Invoke("a"),
            Snapshot(1),
            Out(first),
            Visible(visible_early),
            Aborted(1),
            Close,
            Out(vec![abort(0, 1)]),
            Start { attempt: 1, restore: None },
            Invoke("a"),
            Snapshot(2),
            Complete(2),
            Out(second),
            Visible(end),
        ],
    }
}

#[test]
fn commit_on_precommit_variant_makes_uncommitted_data_visible() {
    check(vec![
        commit_on_precommit_run(Variant::Correct, &[], &["a"]),
        commit_on_precommit_run(Variant::TwoPcCommitOnPrecommit, &["a"], &["a", "a"]),
    ]);
}

#[test]
fn txn_store() {
    let (a, b) = (t(0, 0), t(0, 1));
    let ok = Ok(());
    check(vec![case(
        "store semantics",
        vec![
            Store(begin(0, 0), ok.clone()),
            Store(write(0, 0, "x"), ok.clone()),
            Store(write(0, 0, "y"), ok.clone()),
            Visible(&[]),
            Store(commit(0, 0), Err(StoreAnomaly::CommitWithoutPreCommit { txn: a })),
            Store(pre(0, 0), ok.clone()),
            Store(pre(0, 0), Err(StoreAnomaly::PreCommitTwice { txn: a })),
            Store(write(0, 0, "z"), Err(StoreAnomaly::WriteAfterPreCommit { txn: a })),
            OpenTxns(vec![a]),
            Time(50),
            Store(commit(0, 0), ok.clone()),
            Time(60),
            // Commit is idempotent: nothing becomes visible twice.
            Store(commit(0, 0), ok.clone()),
            CommittedAt(&[(50, "x"), (50, "y")]),
            Store(write(0, 0, "late"), Err(StoreAnomaly::WriteAfterCommit { txn: a })),
            Store(pre(0, 0), Err(StoreAnomaly::PreCommitAfterCommit { txn: a })),
            Store(abort(0, 0), Err(StoreAnomaly::AbortOfCommittedTxn { txn: a })),
            Store(begin(0, 0), Err(StoreAnomaly::BeginOfExistingTxn { txn: a, state: TxnState::Committed })),
            Store(begin(0, 1), ok.clone()),
            Store(write(0, 1, "lost"), ok.clone()),
            Store(pre(0, 1), ok.clone()),
            // Aborting a pre-committed transaction is allowed (recoverAndAbort), and idempotent.
            Store(abort(0, 1), ok.clone()),
            Store(abort(0, 1), ok.clone()),
            Store(commit(0, 1), Err(StoreAnomaly::CommitOfAbortedTxn { txn: b })),
            Store(write(0, 1, "z"), Err(StoreAnomaly::WriteAfterAbort { txn: b })),
            Store(pre(0, 1), Err(StoreAnomaly::PreCommitAfterAbort { txn: b })),
            Store(commit(0, 9), Err(StoreAnomaly::UnknownTxn { txn: t(0, 9), op: "commit" })),
            Store(write(0, 9, "q"), Err(StoreAnomaly::UnknownTxn { txn: t(0, 9), op: "write" })),
            Store(abort(0, 9), Err(StoreAnomaly::UnknownTxn { txn: t(0, 9), op: "abort" })),
            OpenTxns(vec![]),
            Store(begin(1, 0), ok.clone()),
            Store(begin(0, 2), ok.clone()),
            Store(pre(1, 0), ok),
            // Open and pre-committed transactions are both unfinished.
            OpenTxns(vec![t(0, 2), t(1, 0)]),
            CommittedAt(&[(50, "x"), (50, "y")]),
        ],
    )]);
    assert_eq!(
        StoreAnomaly::CommitOfAbortedTxn { txn: b }.to_string(),
        "commit of aborted TxnId { subtask: 0, attempt: 0, seq: 1 }"
    );
}

/// Issue 13 item 7: the transaction timeout aborts a transaction whose commit comes too late
/// (and only then); a non-idempotent store makes a re-commit visible twice.
#[test]
fn txn_store_timeout_and_non_idempotent_commit() {
    let cfg = StoreConfig { transaction_timeout_ms: Some(100), ..StoreConfig::default() };
    let mut st = TxnStore::new(cfg);
    for op in [begin(0, 0), write(0, 0, "x"), pre(0, 0), begin(0, 1), write(0, 1, "y"), pre(0, 1)] {
        st.apply(10, op).unwrap();
    }
    // Exactly at the timeout the commit still succeeds.
    assert_eq!(st.apply(110, commit(0, 0)), Ok(()));
    let late = StoreAnomaly::TransactionTimedOut { txn: t(0, 1), op: "commit", age_ms: 101, timeout_ms: 100 };
    assert_eq!(st.apply(111, commit(0, 1)), Err(late));
    assert_eq!(st.txn_state(t(0, 1)), Some(TxnState::Aborted));
    // Later operations keep failing with the same name; an abort is accepted.
    assert!(matches!(st.apply(500, commit(0, 1)), Err(StoreAnomaly::TransactionTimedOut { age_ms: 490, .. })));
    assert_eq!(st.apply(500, abort(0, 1)), Ok(()));
    // A committed transaction does not time out; the re-commit is idempotent.
    assert_eq!(st.apply(500, commit(0, 0)), Ok(()));
    assert_eq!(
        st.committed().iter().map(|(at, r)| (*at, r.value.to_string())).collect::<Vec<_>>(),
        [(110, "x".into())]
    );
    st.invariants();

    let mut st = TxnStore::new(StoreConfig { idempotent_commit: false, ..StoreConfig::default() });
    for op in [begin(0, 0), write(0, 0, "x"), pre(0, 0), commit(0, 0)] {
        st.apply(10, op).unwrap();
    }
    assert_eq!(st.apply(1_000_000, commit(0, 0)), Ok(()));
    let vis: Vec<(u64, String)> = st.committed().iter().map(|(at, r)| (*at, r.value.to_string())).collect();
    assert_eq!(vis, [(10, "x".to_string()), (1_000_000, "x".to_string())]);
    st.invariants();
}

/// Records taken out stay counted: the invariants hold, later commits append to an empty
/// list, and what was taken plus what is left is the whole output in commit order.
#[test]
fn take_committed_moves_each_commit_once() {
    let mut st = TxnStore::new(StoreConfig::default());
    for op in [begin(0, 0), write(0, 0, "x"), write(0, 0, "y"), pre(0, 0), commit(0, 0), begin(0, 1)] {
        st.apply(10, op).unwrap();
    }
    let first: Vec<String> = st.take_committed().iter().map(|(_, r)| r.value.to_string()).collect();
    assert_eq!(first, ["x", "y"]);
    assert!(st.committed().is_empty());
    st.invariants();
    for op in [write(0, 1, "z"), pre(0, 1), commit(0, 1)] {
        st.apply(20, op).unwrap();
    }
    st.invariants();
    let second: Vec<(u64, String)> = st.take_committed().iter().map(|(t, r)| (*t, r.value.to_string())).collect();
    assert_eq!(second, [(20, "z".to_string())]);
    assert!(st.take_committed().is_empty());
    st.invariants();
}

/// Feeds `values` to a fresh sink without checkpointing (per profile), then ends its input
/// and closes it; returns the store's visible values after each record and at the end.
fn run_without_checkpointing(profile: Profile, values: &[&str]) -> (Vec<Vec<String>>, Vec<String>) {
    let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    sink.initialize(None);
    sink.set_no_checkpointing(profile.sink_without_checkpointing());
    let mut st = TxnStore::new(StoreConfig::default());
    let visible = |st: &TxnStore| st.committed().iter().map(|(_, r)| r.value.to_string()).collect::<Vec<_>>();
    let drain = |sink: &mut TwoPhaseCommitSink, st: &mut TxnStore| {
        while let Some(op) = sink.poll_output() {
            st.apply(1, op).expect("a legal store operation");
        }
    };
    drain(&mut sink, &mut st);
    let mut during = Vec::new();
    for v in values {
        sink.invoke(rec(v));
        drain(&mut sink, &mut st);
        during.push(visible(&st));
    }
    sink.end_of_input();
    sink.close();
    drain(&mut sink, &mut st);
    st.invariants();
    (during, visible(&st))
}

#[test]
fn without_checkpointing_111_writes_without_transactions_and_23_commits_at_end_of_input() {
    // 1.11 FlinkKafkaProducer.initializeState: EXACTLY_ONCE without checkpointing -> NONE:
    // every record is visible as soon as it is written.
    let (during, end) = run_without_checkpointing(Profile::Flink111, &["a", "b", "c"]);
    assert_eq!(during, [vec!["a"], vec!["a", "b"], vec!["a", "b", "c"]]);
    assert_eq!(end, ["a", "b", "c"]);
    // 2.x Sink V2: nothing visible while running; CommitterOperator.endInput commits all.
    let (during, end) = run_without_checkpointing(Profile::Flink23, &["a", "b", "c"]);
    assert!(during.iter().all(|v| v.is_empty()), "{during:?}");
    assert_eq!(end, ["a", "b", "c"]);
    // With checkpointing on, end of input alone commits nothing (the final checkpoint does).
    let mut sink = TwoPhaseCommitSink::new(0, 0, Variant::Correct);
    sink.initialize(None);
    sink.invoke(rec("a"));
    sink.end_of_input();
    let ops: Vec<SinkOutput> = std::iter::from_fn(|| sink.poll_output()).collect();
    assert!(!ops.iter().any(|o| matches!(o, SinkOutput::Commit { .. } | SinkOutput::PreCommit { .. })), "{ops:?}");
}

#[test]
fn print_sink_is_identity_and_counts_rows() {
    let mut p = PrintSink::default();
    let r = Record::new(Value::Pair("a".into(), 3), Lineage { input_seq: 7, sub: 2 });
    assert_eq!(p.invoke(r.clone()), r);
    assert_eq!(p.invoke(r.clone()), r);
    assert_eq!(p.rows(), 2);
    assert_eq!(p.snapshot(), OperatorState::None);
}

/// Seed 001 end to end at the operator level: log source -> map failing every 8th call ->
/// print sink; checkpoints complete at the `|`; a failure restores the latest completed
/// checkpoint and re-fetches everything after it. The print sink shows p1-4 and p2-3 twice.
#[test]
fn seed_001_print_sink_shows_duplicates() {
    for profile in Profile::ALL {
        let arrivals = "p1-1 p2-1 p1-2 p2-2 p1-3 | p1-4 p2-3 p1-5 p2-4 p1-6 p2-5 p2-6 | p1-7 p2-7 p1-8 p2-8";
        let mut log: BTreeMap<PartitionId, Vec<LogRecord>> = BTreeMap::new();
        let mut broker: BTreeMap<PartitionId, Offset> = BTreeMap::new();
        let mut counters = SurvivingCounters::default();
        let mut latest: Option<OperatorState> = None;
        let mut rows: Vec<String> = Vec::new();
        let mut failures = 0;
        let start = |latest: &Option<OperatorState>,
                     broker: &BTreeMap<PartitionId, Offset>,
                     log: &BTreeMap<PartitionId, Vec<LogRecord>>| {
            let mut s = LogSource::new(0, 1, 2, profile, StartupMode::GroupOffsets, Variant::Correct);
            let end = log.iter().map(|(p, l)| (*p, Offset(l.len() as u64))).collect();
            s.initialize(latest.as_ref().map(|st| vec![st]).as_deref(), broker, &end);
            let map = Operator::new(OperatorKind::Map(Udf::Identity), vec![FailureInjector::EveryNth { n: 8 }]);
            (s, map, PrintSink::default())
        };
        let (mut src, mut map, mut print) = start(&latest, &broker, &log);
        let mut next_id = 1;
        for (seq, token) in arrivals.split(' ').enumerate() {
            if token == "|" {
                let (st, _) = src.snapshot(CheckpointId(next_id));
                broker.extend(src.notify_checkpoint_complete(CheckpointId(next_id)).expect("offsets to commit"));
                latest = Some(st);
                next_id += 1;
                continue;
            }
            let p = PartitionId(if token.starts_with("p1") { 0 } else { 1 });
            let part = log.entry(p).or_default();
            let offset = Offset(part.len() as u64);
            part.push(LogRecord {
                partition: p,
                offset,
                value: Value::str(token),
                lineage: Lineage { input_seq: seq as u64, sub: 0 },
                timestamp: None,
            });
            // Fetch everything available from the positions, oldest input first, until caught up.
            loop {
                let next = log
                    .values()
                    .flatten()
                    .filter(|r| src.positions()[&r.partition] <= r.offset)
                    .min_by_key(|r| r.lineage.input_seq)
                    .cloned();
                let Some(lr) = next else { break };
                let r = src.handle_record(&lr);
                let mut out = Vec::new();
                let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "FailingMap[0]" };
                match map.process(&mut ctx, r, &mut out) {
                    Ok(()) => rows.extend(out.into_iter().map(|r| print.invoke(r).value.to_string())),
                    Err(_) => {
                        failures += 1;
                        (src, map, print) = start(&latest, &broker, &log);
                    }
                }
            }
        }
        let want = "p1-1 p2-1 p1-2 p2-2 p1-3 p1-4 p2-3 p1-4 p2-3 p1-5 p2-4 p1-6 p2-5 p2-6 p1-7 p2-7 p1-8 p2-8";
        assert_eq!(rows.join(" "), want, "{profile}");
        assert_eq!(failures, 2, "{profile}: fails on p1-5 and on p1-7");
        assert_eq!(print.rows(), 4, "{profile}: the last attempt printed p1-7 p2-7 p1-8 p2-8");
        assert_eq!(broker, BTreeMap::from([(PartitionId(0), Offset(6)), (PartitionId(1), Offset(6))]), "{profile}");
    }
}

/// Seed 004 end to end: socket lines -> word-count flat_map throwing on `ERROR` -> keyed sum,
/// into the print sink and, in parallel, a 2PC sink. A checkpoint completes after every line
/// (1 s interval, 3 s between lines); each `ERROR` restores the latest checkpoint.
#[test]
fn seed_004_wordcount_restores_counts() {
    let lines = ["a", "a", "b", "ERROR", "b", "a", "ERROR", "a", "ERROR", "b", "ERROR"];
    let mut counters = SurvivingCounters::default();
    let mut store = TxnStore::default();
    let mut latest: Option<(OperatorState, OperatorState)> = None;
    let mut attempt = 0;
    let start = |attempt: u32, latest: &Option<(OperatorState, OperatorState)>| {
        let flat = Operator::new(
            OperatorKind::FlatMap(Udf::SplitWordsToPairs),
            vec![FailureInjector::OnValue("ERROR".into())],
        );
        let mut sum = Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![]);
        let mut two_pc = TwoPhaseCommitSink::new(0, attempt, Variant::Correct);
        if let Some((s, k)) = latest {
            sum.restore(s);
            two_pc.initialize(Some(k));
        } else {
            two_pc.initialize(None);
        }
        (LineSource::default(), flat, sum, two_pc)
    };
    let (mut src, mut flat, mut sum, mut two_pc) = start(attempt, &latest);
    let mut printed = Vec::new();
    for (seq, line) in lines.iter().enumerate() {
        let r = src.handle_line(line, seq as u64);
        let (mut words, mut counts) = (Vec::new(), Vec::new());
        let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "MyFlatMapFunction[0]" };
        if flat.process(&mut ctx, r, &mut words).is_err() {
            two_pc.close();
            while let Some(op) = two_pc.poll_output() {
                store.apply(seq as u64, op).unwrap();
            }
            attempt += 1;
            (src, flat, sum, two_pc) = start(attempt, &latest);
        } else {
            for w in words {
                sum.process(&mut ctx, w, &mut counts).unwrap();
            }
            for c in counts {
                printed.push(PrintSink::default().invoke(c.clone()).value.to_string());
                two_pc.invoke(c);
            }
            let id = CheckpointId(seq as u64 + 1);
            let st = (sum.snapshot(), two_pc.snapshot(id));
            two_pc.notify_checkpoint_complete(id);
            latest = Some(st);
        }
        while let Some(op) = two_pc.poll_output() {
            store.apply(seq as u64, op).unwrap();
        }
        store.invariants();
    }
    let want = ["(a,1)", "(a,2)", "(b,1)", "(b,2)", "(a,3)", "(a,4)", "(b,3)"];
    assert_eq!(printed, want);
    let visible: Vec<String> = store.committed().iter().map(|(_, r)| r.value.to_string()).collect();
    assert_eq!(visible, want);
    assert_eq!(attempt, 4);
    // The last attempt's open transaction is the only unfinished one.
    assert_eq!(store.open_txns(), vec![TxnId { subtask: 0, attempt: 4, seq: 0 }]);
}

/// Session 29's held-out `abort-notification-aborts-pending`: Flink leaves a pending transaction
/// alone on `notifyCheckpointAborted` (the next completion commits it); the plant aborts every
/// pending transaction up to the aborted id, also one of a completed checkpoint whose
/// notification has not arrived.
#[test]
fn abort_notification_plant_aborts_pending_transactions() {
    for variant in [Variant::Correct, Variant::AbortNotificationAbortsPending] {
        let mut sink = TwoPhaseCommitSink::new(0, 0, variant);
        sink.initialize(None);
        sink.invoke(rec("a"));
        sink.snapshot(CheckpointId(1));
        sink.invoke(rec("b"));
        sink.snapshot(CheckpointId(2));
        while sink.poll_output().is_some() {}
        sink.notify_checkpoint_aborted(CheckpointId(2));
        let outs: Vec<SinkOutput> = std::iter::from_fn(|| sink.poll_output()).collect();
        if variant == Variant::Correct {
            assert!(outs.is_empty(), "{outs:?}");
            assert_eq!(sink.pending().len(), 2);
        } else {
            assert_eq!(outs, [abort(0, 0), abort(0, 1)]);
            assert!(sink.pending().is_empty());
        }
    }
}
