//! Sinks: the at-least-once print sink, the two-phase-commit sink (semantics §7) and the external transactional store behind it.
//!
//! [`TwoPhaseCommitSink`] is Flink's `TwoPhaseCommitSinkFunction` as a sans-IO machine: its
//! transaction operations ([`SinkOutput`]) are drained with `poll_output` in the order they were
//! decided and applied by the host to a [`TxnStore`] (the external system, e.g. Kafka with
//! transactions). The store reports protocol violations as typed [`StoreAnomaly`] values, which
//! the checkers turn into named findings.

use crate::ids::CheckpointId;
use crate::record::Record;
use crate::state::{OperatorState, TxnId};
use crate::Variant;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

/// A transaction operation for the external store, in the order the sink decided it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkOutput {
    /// Begin a new transaction (`beginTransaction`).
    Begin {
        /// The transaction.
        txn: TxnId,
    },
    /// Write a record into an open transaction (`invoke`).
    Write {
        /// The transaction.
        txn: TxnId,
        /// The record written.
        record: Record,
    },
    /// Flush the transaction so its commit cannot fail for lack of data (`preCommit`).
    PreCommit {
        /// The transaction.
        txn: TxnId,
    },
    /// Make the transaction's records visible (`commit`; repeated on recovery).
    Commit {
        /// The transaction.
        txn: TxnId,
    },
    /// Drop the transaction's records (`abort`).
    Abort {
        /// The transaction.
        txn: TxnId,
    },
}

impl SinkOutput {
    /// The transaction the operation is on.
    pub fn txn(&self) -> TxnId {
        match self {
            SinkOutput::Begin { txn }
            | SinkOutput::Write { txn, .. }
            | SinkOutput::PreCommit { txn }
            | SinkOutput::Commit { txn }
            | SinkOutput::Abort { txn } => *txn,
        }
    }
}

// ------------------------------------------------------------------------------ print sink

/// `DataStream.print()`: at-least-once and stateless. Every record becomes an output row at
/// once, so records replayed after a restore are printed again (seed 001's duplicates).
#[derive(Clone, Debug, Hash, Default)]
pub struct PrintSink {
    rows: u64,
}

impl PrintSink {
    /// Returns the record as the printed row.
    pub fn invoke(&mut self, rec: Record) -> Record {
        self.rows += 1;
        rec
    }

    /// Rows printed by this instance (one task attempt).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Always [`OperatorState::None`].
    pub fn snapshot(&self) -> OperatorState {
        OperatorState::None
    }
}

// ------------------------------------------------------------------------ two-phase commit

/// Flink's `TwoPhaseCommitSinkFunction` (§7) for one sink subtask and execution attempt.
///
/// Transactions are named `TxnId { subtask, attempt, seq }` with `seq` counting from 0 within the
/// attempt, so ids never collide across attempts.
#[derive(Clone, Debug, Hash)]
pub struct TwoPhaseCommitSink {
    subtask: u32,
    attempt: u32,
    variant: Variant,
    next_seq: u64,
    initialized: bool,
    closed: bool,
    /// The open transaction receiving records.
    current: Option<TxnId>,
    /// Pre-committed transactions by checkpoint id, in insertion order (a `LinkedHashMap`).
    pending: Vec<(CheckpointId, TxnId)>,
    outputs: VecDeque<SinkOutput>,
    /// Transaction-timeout bookkeeping (boxed: most sinks never use it).
    t: Box<Timeouts>,
    /// The job has no checkpointing: what the sink does instead (`None`: checkpointing on).
    no_checkpointing: Option<NoCheckpointing>,
}

/// The sink's clock and the transaction-timeout state of [`TxnTimeoutPolicy`].
#[derive(Clone, Debug, Hash, Default)]
struct Timeouts {
    /// `setTransactionTimeout` & co; `None` = Flink's default (no warnings, failures propagate).
    policy: Option<TxnTimeoutPolicy>,
    /// The last time given to a time-aware input (`*_at`); 0 before any.
    now_ms: u64,
    /// When each known transaction began (Flink's `TransactionHolder.transactionStartTime`).
    started_ms: BTreeMap<TxnId, u64>,
    /// Transactions committed by recovery (`recoverAndCommitInternal`) whose outcome is open.
    recovering: Vec<TxnId>,
    events: VecDeque<SinkEvent>,
}

/// What a two-phase-commit sink does in a job without checkpointing
/// ([`Profile::sink_without_checkpointing`](crate::Profile::sink_without_checkpointing)); with
/// checkpointing on it runs its transactions per checkpoint whatever this says.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoCheckpointing {
    /// Flink 1.11 `FlinkKafkaProducer`: `Semantic.NONE`, no transactions: each record is
    /// visible in the store as soon as it is written (modelled as a transaction committed right
    /// after its one record).
    NoneSemantic,
    /// Flink 2.x Sink V2 (`KafkaSink`): transactions as usual, committed all at once when the
    /// input ends (`CommitterOperator.endInput` with checkpointing disabled); never before.
    CommitAtEndOfInput,
}

/// Flink's transaction-timeout knobs of `TwoPhaseCommitSinkFunction`: `setTransactionTimeout`,
/// `ignoreFailuresAfterTransactionTimeout` and `enableTransactionTimeoutWarnings(ratio)` (the
/// ratio in per mille, 0..=1000, instead of a double).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub struct TxnTimeoutPolicy {
    /// `setTransactionTimeout`: the external system's transaction timeout, ms.
    pub timeout_ms: u64,
    /// A failed recovery commit of a transaction older than `timeout_ms` is logged and dropped
    /// instead of failing the task (its records may be lost).
    pub ignore_failures_after_timeout: bool,
    /// Warn when a transaction being committed has been open for more than
    /// `timeout_ms * ratio / 1000`; `None` = no warnings.
    pub warning_ratio_permille: Option<u32>,
}

/// What the sink reports besides its transaction operations (Flink logs them).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum SinkEvent {
    /// `logWarningIfTimeoutAlmostReached`: "Transaction .. has been open for `elapsed_ms` ms.
    /// This is close to or even exceeding the transaction timeout of `timeout_ms` ms."
    TimeoutAlmostReached {
        /// The transaction.
        txn: TxnId,
        /// How long the transaction has been open, ms.
        elapsed_ms: u64,
        /// The transaction timeout, ms.
        timeout_ms: u64,
    },
    /// A recovery commit failed after the transaction timeout and was ignored (data may be lost).
    CommitFailureIgnored {
        /// The transaction.
        txn: TxnId,
        /// How long the transaction has been open, ms.
        elapsed_ms: u64,
        /// The transaction timeout, ms.
        timeout_ms: u64,
    },
}

/// A commit failed and the failure is not ignored: the task fails (Flink rethrows).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
#[error("commit of {txn:?} failed {elapsed_ms} ms after it began")]
pub struct CommitFailed {
    /// The transaction whose commit failed.
    pub txn: TxnId,
    /// How long after it began, ms.
    pub elapsed_ms: u64,
}

impl TwoPhaseCommitSink {
    /// Variant::TwoPcCommitOnPrecommit: commit right at pre-commit (deliberate bug).
    pub fn new(subtask: u32, attempt: u32, variant: Variant) -> Self {
        let s = TwoPhaseCommitSink {
            subtask,
            attempt,
            variant,
            next_seq: 0,
            initialized: false,
            closed: false,
            current: None,
            pending: Vec::new(),
            outputs: VecDeque::new(),
            t: Box::default(),
            no_checkpointing: None,
        };
        s.invariants();
        s
    }

    /// `initializeState`: with a restored state, `recoverAndCommit` every pending transaction in
    /// it (including the restored checkpoint's own: the sink cannot know whether its
    /// notification arrived, so the commit must be idempotent), then `recoverAndAbort` the
    /// transaction that was open at snapshot time. Then begin a fresh transaction.
    ///
    /// After a rescale the restored state may be an [`OperatorState::List`] of several old
    /// subtasks' entries (or none): each entry is recovered in list order, its pending
    /// transactions committed and then its open one aborted, as Flink's loop over the list
    /// state in `initializeState` does (semantics §12.4).
    ///
    /// Panics on a state of another shape (a host bug).
    pub fn initialize(&mut self, restored: Option<&OperatorState>) {
        let now_ms = self.t.now_ms;
        self.initialize_at(now_ms, restored, &BTreeMap::new());
    }

    /// [`Self::initialize`] at `now_ms`, knowing when the restored transactions began (Flink
    /// keeps the start time in the sink's state; here the host passes it, e.g. from the store).
    /// Each recovery commit is preceded by the timeout warning if due, and its outcome stays
    /// open until [`Self::handle_commit_failed`] or [`Self::recovery_done`].
    pub fn initialize_at(
        &mut self,
        now_ms: u64,
        restored: Option<&OperatorState>,
        restored_started_ms: &BTreeMap<TxnId, u64>,
    ) {
        assert!(!self.initialized, "2pc sink {} initialized twice", self.subtask);
        self.advance(now_ms);
        let entries: Vec<&OperatorState> = match restored {
            Some(OperatorState::List(entries)) => entries.iter().collect(),
            Some(st) => vec![st],
            None => Vec::new(),
        };
        for st in entries {
            let OperatorState::TwoPhaseCommit { pending, current } = st else {
                panic!("restoring a two-phase-commit sink from {st:?}")
            };
            for (_, txn) in pending {
                if let Some(t) = restored_started_ms.get(txn) {
                    self.t.started_ms.insert(*txn, *t);
                }
                self.warn_if_timeout_almost_reached(*txn);
                self.t.recovering.push(*txn);
                self.outputs.push_back(SinkOutput::Commit { txn: *txn });
            }
            if let Some(txn) = current {
                self.outputs.push_back(SinkOutput::Abort { txn: *txn });
            }
        }
        self.initialized = true;
        self.begin();
        self.invariants();
    }

    /// Writes into the open transaction. Under [`NoCheckpointing::NoneSemantic`] the record is
    /// visible at once: its transaction is committed right away and the next one begun.
    pub fn invoke(&mut self, rec: Record) {
        let txn =
            self.current.unwrap_or_else(|| panic!("2pc sink {}: record without an open transaction", self.subtask));
        self.outputs.push_back(SinkOutput::Write { txn, record: rec });
        if self.no_checkpointing == Some(NoCheckpointing::NoneSemantic) {
            self.current = None;
            self.outputs.push_back(SinkOutput::PreCommit { txn });
            self.outputs.push_back(SinkOutput::Commit { txn });
            self.begin();
        }
    }

    /// The job runs without checkpointing: the sink behaves as `mode` says (see
    /// [`NoCheckpointing`]). Set by the host after `initialize`, before any record.
    pub fn set_no_checkpointing(&mut self, mode: NoCheckpointing) {
        self.no_checkpointing = Some(mode);
        self.invariants();
    }

    /// The sink's input ended (`endInput` / `finish`). Under
    /// [`NoCheckpointing::CommitAtEndOfInput`] the open transaction is pre-committed and it and
    /// every pending one committed (Flink 2.x `SinkWriterOperator.endInput` +
    /// `CommitterOperator.endInput` without checkpointing); a fresh, empty transaction stays
    /// open until `close`. Otherwise a no-op: with checkpointing on the final checkpoint
    /// (FLIP-147) commits, and 1.11's `close()` aborts.
    pub fn end_of_input(&mut self) {
        if self.closed || self.no_checkpointing != Some(NoCheckpointing::CommitAtEndOfInput) {
            return;
        }
        let txn = self.current.take().expect("a running sink has an open transaction");
        self.outputs.push_back(SinkOutput::PreCommit { txn });
        for (_, pending) in std::mem::take(&mut self.pending) {
            self.warn_if_timeout_almost_reached(pending);
            self.outputs.push_back(SinkOutput::Commit { txn: pending });
        }
        self.warn_if_timeout_almost_reached(txn);
        self.outputs.push_back(SinkOutput::Commit { txn });
        self.begin();
        self.invariants();
    }

    /// `snapshotState(id)` at the barrier: pre-commit the open transaction, remember it as
    /// pending for `id`, begin the next one, and store {pending, the new open transaction}.
    pub fn snapshot(&mut self, id: CheckpointId) -> OperatorState {
        assert!(self.initialized && !self.closed, "2pc sink {}: snapshot while not running", self.subtask);
        assert!(self.pending.iter().all(|(c, _)| *c != id), "checkpoint {id} snapshotted twice");
        let txn = self.current.take().expect("a running sink has an open transaction");
        self.outputs.push_back(SinkOutput::PreCommit { txn });
        if self.variant == Variant::TwoPcCommitOnPrecommit {
            self.outputs.push_back(SinkOutput::Commit { txn });
        }
        self.pending.push((id, txn));
        self.begin();
        self.invariants();
        OperatorState::TwoPhaseCommit { pending: self.pending.clone(), current: self.current }
    }

    /// Commits, in insertion order, every pending transaction with checkpoint id <= `id`. A
    /// notification older than everything pending (notify(2) then notify(1)) is a no-op, as is
    /// one after `close`.
    pub fn notify_checkpoint_complete(&mut self, id: CheckpointId) {
        if !self.closed {
            let mut committed = Vec::new();
            self.pending.retain(|(c, txn)| {
                let commit = *c <= id;
                if commit {
                    committed.push(*txn);
                }
                !commit
            });
            for txn in committed {
                self.warn_if_timeout_almost_reached(txn);
                self.outputs.push_back(SinkOutput::Commit { txn });
            }
        }
        self.invariants();
    }

    /// [`Self::notify_checkpoint_complete`] at `now_ms` (for the timeout warnings).
    pub fn notify_checkpoint_complete_at(&mut self, now_ms: u64, id: CheckpointId) {
        self.advance(now_ms);
        self.notify_checkpoint_complete(id);
    }

    /// Flink's transaction timeout knobs (see [`TxnTimeoutPolicy`]); off by default.
    pub fn set_transaction_timeout(&mut self, policy: TxnTimeoutPolicy) {
        assert!(policy.warning_ratio_permille.is_none_or(|r| r <= 1000), "warning ratio in [0, 1000] per mille");
        self.t.policy = Some(policy);
        self.invariants();
    }

    /// The host's commit of `txn` failed at `now_ms` (the external system threw). A recovery
    /// commit of a transaction open for longer than the timeout is ignored when
    /// `ignore_failures_after_timeout` is set (Flink's `recoverAndCommitInternal`); any other
    /// failed commit is returned as an error: the task fails and the next attempt recovers.
    pub fn handle_commit_failed(&mut self, now_ms: u64, txn: TxnId) -> Result<(), CommitFailed> {
        self.advance(now_ms);
        let elapsed_ms = self.t.started_ms.get(&txn).map_or(0, |t| now_ms.saturating_sub(*t));
        let recovery = self.t.recovering.contains(&txn);
        self.t.recovering.retain(|t| *t != txn);
        let result = match self.t.policy {
            Some(p) if recovery && p.ignore_failures_after_timeout && elapsed_ms > p.timeout_ms => {
                self.t.events.push_back(SinkEvent::CommitFailureIgnored { txn, elapsed_ms, timeout_ms: p.timeout_ms });
                Ok(())
            }
            _ => Err(CommitFailed { txn, elapsed_ms }),
        };
        self.invariants();
        result
    }

    /// Configures the timeout knobs after `initialize` (the host learns the store's settings
    /// only then): `started_ms` gives when restored transactions began (Flink keeps it in the
    /// sink's state); the transaction already open begins now.
    pub fn set_transaction_timeout_at(
        &mut self,
        now_ms: u64,
        policy: TxnTimeoutPolicy,
        started_ms: &BTreeMap<TxnId, u64>,
    ) {
        self.advance(now_ms);
        self.set_transaction_timeout(policy);
        for (txn, t) in started_ms {
            self.t.started_ms.insert(*txn, *t);
        }
        if let Some(txn) = self.current {
            self.t.started_ms.entry(txn).or_insert(now_ms);
        }
        self.invariants();
    }

    /// The recovery commits were applied without failure.
    pub fn recovery_done(&mut self) {
        self.t.recovering.clear();
        self.invariants();
    }

    /// Warnings and ignored failures, in the order they happened.
    pub fn poll_event(&mut self) -> Option<SinkEvent> {
        self.t.events.pop_front()
    }

    fn advance(&mut self, now_ms: u64) {
        assert!(now_ms >= self.t.now_ms, "2pc sink {}: time went backwards", self.subtask);
        self.t.now_ms = now_ms;
    }

    fn warn_if_timeout_almost_reached(&mut self, txn: TxnId) {
        let (Some(p), Some(started)) = (self.t.policy, self.t.started_ms.get(&txn)) else {
            return;
        };
        let Some(ratio) = p.warning_ratio_permille else {
            return;
        };
        let elapsed_ms = self.t.now_ms.saturating_sub(*started);
        if u128::from(elapsed_ms) * 1000 > u128::from(p.timeout_ms) * u128::from(ratio) {
            self.t.events.push_back(SinkEvent::TimeoutAlmostReached { txn, elapsed_ms, timeout_ms: p.timeout_ms });
        }
    }

    /// No-op: the transaction stays pending and is committed by a later checkpoint's notification.
    pub fn notify_checkpoint_aborted(&mut self, _id: CheckpointId) {
        self.invariants();
    }

    /// The task is closing (cancelled): abort the open transaction. Pending (pre-committed)
    /// transactions are left for the next attempt's recovery. Idempotent.
    pub fn close(&mut self) {
        if let Some(txn) = self.current.take() {
            self.outputs.push_back(SinkOutput::Abort { txn });
        }
        self.closed = true;
        self.invariants();
    }

    /// The next store operation, in the order the sink decided it.
    pub fn poll_output(&mut self) -> Option<SinkOutput> {
        self.outputs.pop_front()
    }

    /// The open transaction, if any.
    pub fn current(&self) -> Option<TxnId> {
        self.current
    }

    /// Pre-committed transactions waiting for a completion, in insertion order.
    pub fn pending(&self) -> &[(CheckpointId, TxnId)] {
        &self.pending
    }

    /// Panics if the sink's bookkeeping is inconsistent (no open transaction while running, an open transaction of another attempt or one that is also pending).
    pub fn invariants(&self) {
        if !self.initialized {
            assert!(self.current.is_none() && self.pending.is_empty(), "state before initialize");
        } else {
            assert_eq!(self.current.is_some(), !self.closed, "an open transaction exactly while running");
        }
        if let Some(c) = self.current {
            assert_eq!((c.subtask, c.attempt), (self.subtask, self.attempt), "open transaction of another attempt");
            assert!(c.seq < self.next_seq);
            assert!(self.pending.iter().all(|(_, t)| *t != c), "open transaction is also pending");
        }
        for (n, (id, txn)) in self.pending.iter().enumerate() {
            for (id2, txn2) in &self.pending[n + 1..] {
                assert!(id != id2 && txn != txn2, "checkpoint {id} / {txn:?} pending twice");
            }
        }
    }

    fn begin(&mut self) {
        let txn = TxnId { subtask: self.subtask, attempt: self.attempt, seq: self.next_seq };
        self.next_seq += 1;
        self.current = Some(txn);
        if self.t.policy.is_some() {
            self.t.started_ms.insert(txn, self.t.now_ms);
        }
        self.outputs.push_back(SinkOutput::Begin { txn });
    }
}

// ------------------------------------------------------------------------------- the store

/// Where a transaction is in the store.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    /// Begun; records may be written.
    Open,
    /// Flushed, waiting for its commit.
    PreCommitted,
    /// Visible.
    Committed,
    /// Dropped (by the sink, or by the store's transaction timeout).
    Aborted,
}

/// An operation the store refuses: a protocol violation by the sink. The store's state is
/// unchanged by a refused operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum StoreAnomaly {
    /// A transaction was begun twice.
    #[error("begin of {txn:?}, which already exists ({state:?})")]
    BeginOfExistingTxn {
        /// The transaction.
        txn: TxnId,
        /// Its current state.
        state: TxnState,
    },
    /// An operation on a transaction that was never begun.
    #[error("{op} of {txn:?}, which was never begun")]
    UnknownTxn {
        /// The transaction.
        txn: TxnId,
        /// The refused operation.
        op: &'static str,
    },
    /// A write into a pre-committed transaction.
    #[error("write into {txn:?} after its pre-commit")]
    WriteAfterPreCommit {
        /// The transaction.
        txn: TxnId,
    },
    /// A write into a committed transaction.
    #[error("write into committed {txn:?}")]
    WriteAfterCommit {
        /// The transaction.
        txn: TxnId,
    },
    /// A write into an aborted transaction.
    #[error("write into aborted {txn:?}")]
    WriteAfterAbort {
        /// The transaction.
        txn: TxnId,
    },
    /// A transaction was pre-committed twice.
    #[error("{txn:?} pre-committed twice")]
    PreCommitTwice {
        /// The transaction.
        txn: TxnId,
    },
    /// A pre-commit of a committed transaction.
    #[error("pre-commit of committed {txn:?}")]
    PreCommitAfterCommit {
        /// The transaction.
        txn: TxnId,
    },
    /// A pre-commit of an aborted transaction.
    #[error("pre-commit of aborted {txn:?}")]
    PreCommitAfterAbort {
        /// The transaction.
        txn: TxnId,
    },
    /// A commit of a transaction that was never pre-committed.
    #[error("commit of {txn:?}, which was never pre-committed")]
    CommitWithoutPreCommit {
        /// The transaction.
        txn: TxnId,
    },
    /// A commit of an aborted transaction.
    #[error("commit of aborted {txn:?}")]
    CommitOfAbortedTxn {
        /// The transaction.
        txn: TxnId,
    },
    /// An abort of a committed transaction.
    #[error("abort of committed {txn:?}")]
    AbortOfCommittedTxn {
        /// The transaction.
        txn: TxnId,
    },
    /// The store aborted the transaction because it outlived `transaction_timeout_ms` (Kafka's
    /// `transaction.timeout.ms`); this operation on it failed. A commit refused this way loses
    /// the transaction's records: Flink's `TwoPhaseCommitSinkFunction` warns about exactly this.
    #[error(
        "{op} of {txn:?} {age_ms} ms after it began: aborted by the store's transaction timeout ({timeout_ms} ms)"
    )]
    TransactionTimedOut {
        /// The transaction.
        txn: TxnId,
        /// The refused operation.
        op: &'static str,
        /// How long ago the transaction began, ms.
        age_ms: u64,
        /// The transaction timeout, ms.
        timeout_ms: u64,
    },
}

/// How the external store treats transactions (per job; the sink's operator keys).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreConfig {
    /// Kafka's `transaction.timeout.ms`: a transaction not finished within this long after its
    /// begin is aborted by the store, and any later operation on it except an abort fails with
    /// [`StoreAnomaly::TransactionTimedOut`]. `None`: transactions never time out.
    pub transaction_timeout_ms: Option<u64>,
    /// A commit of a committed transaction is a no-op (true, as Kafka's commit of a recovered
    /// producer). False models a store that makes the records visible again: the duplicate
    /// that Flink's re-commit of restored committables would cause.
    pub idempotent_commit: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { transaction_timeout_ms: None, idempotent_commit: true }
    }
}

#[derive(Clone, Debug, Hash)]
struct StoredTxn {
    state: TxnState,
    /// Written records; moved to the visible output on commit, dropped on abort.
    records: Vec<Record>,
    /// How many records became visible with its commit (and re-commits, when not idempotent).
    committed_records: usize,
    /// When it began (for the transaction timeout).
    begun_ms: u64,
    /// The store aborted it by the transaction timeout.
    timed_out: bool,
    /// A copy of the committed records, kept only when commits are not idempotent.
    recommit_copy: Vec<Record>,
}

/// The external transactional system behind the 2PC sink: a pure data structure.
///
/// Writes into a transaction are invisible until it commits; a commit makes its records visible
/// at the commit time, in commit order. Commit of a committed transaction and abort of an
/// aborted one are idempotent no-ops; aborting a pre-committed transaction is allowed (recovery
/// aborts the transaction that was open at the restored snapshot, which a later, failed
/// checkpoint may have pre-committed). Everything else off-protocol is a [`StoreAnomaly`].
/// [`StoreConfig`] adds a transaction timeout and non-idempotent commits; by default a
/// transaction left open stays open.
#[derive(Clone, Debug, Hash, Default)]
pub struct TxnStore {
    txns: BTreeMap<TxnId, StoredTxn>,
    committed: Vec<(u64, Record)>,
    /// Visible records moved out by [`TxnStore::take_committed`].
    taken: usize,
    config: StoreConfig,
}

impl TxnStore {
    /// An empty store with `config`.
    pub fn new(config: StoreConfig) -> Self {
        TxnStore { config, ..TxnStore::default() }
    }

    /// Applies one operation of a sink at `now_ms`; a protocol violation (or an operation on a
    /// transaction the timeout aborted) is refused with the anomaly and changes nothing.
    pub fn apply(&mut self, now_ms: u64, op: SinkOutput) -> Result<(), StoreAnomaly> {
        use TxnState::*;
        let txn_id = op.txn();
        if let SinkOutput::Begin { txn } = op {
            if let Some(t) = self.txns.get(&txn) {
                return Err(StoreAnomaly::BeginOfExistingTxn { txn, state: t.state });
            }
            self.txns.insert(
                txn,
                StoredTxn {
                    state: Open,
                    records: Vec::new(),
                    committed_records: 0,
                    begun_ms: now_ms,
                    timed_out: false,
                    recommit_copy: Vec::new(),
                },
            );
            return Ok(());
        }
        let op_name = match &op {
            SinkOutput::Begin { .. } => unreachable!("handled above"),
            SinkOutput::Write { .. } => "write",
            SinkOutput::PreCommit { .. } => "pre-commit",
            SinkOutput::Commit { .. } => "commit",
            SinkOutput::Abort { .. } => "abort",
        };
        let Some(t) = self.txns.get_mut(&txn_id) else {
            return Err(StoreAnomaly::UnknownTxn { txn: txn_id, op: op_name });
        };
        if let Some(timeout_ms) = self.config.transaction_timeout_ms {
            let age_ms = now_ms.saturating_sub(t.begun_ms);
            if matches!(t.state, Open | PreCommitted) && age_ms > timeout_ms {
                t.state = Aborted;
                t.records = Vec::new();
                t.timed_out = true;
            }
            if t.timed_out && !matches!(op, SinkOutput::Abort { .. }) {
                return Err(StoreAnomaly::TransactionTimedOut { txn: txn_id, op: op_name, age_ms, timeout_ms });
            }
        }
        match (op, t.state) {
            (SinkOutput::Write { record, .. }, Open) => t.records.push(record),
            (SinkOutput::Write { txn, .. }, PreCommitted) => return Err(StoreAnomaly::WriteAfterPreCommit { txn }),
            (SinkOutput::Write { txn, .. }, Committed) => return Err(StoreAnomaly::WriteAfterCommit { txn }),
            (SinkOutput::Write { txn, .. }, Aborted) => return Err(StoreAnomaly::WriteAfterAbort { txn }),
            (SinkOutput::PreCommit { .. }, Open) => t.state = PreCommitted,
            (SinkOutput::PreCommit { txn }, PreCommitted) => return Err(StoreAnomaly::PreCommitTwice { txn }),
            (SinkOutput::PreCommit { txn }, Committed) => return Err(StoreAnomaly::PreCommitAfterCommit { txn }),
            (SinkOutput::PreCommit { txn }, Aborted) => return Err(StoreAnomaly::PreCommitAfterAbort { txn }),
            (SinkOutput::Commit { txn }, Open) => return Err(StoreAnomaly::CommitWithoutPreCommit { txn }),
            (SinkOutput::Commit { .. }, PreCommitted) => {
                t.state = Committed;
                t.committed_records = t.records.len();
                if !self.config.idempotent_commit {
                    t.recommit_copy = t.records.clone();
                }
                self.committed.extend(t.records.drain(..).map(|r| (now_ms, r)));
                t.records = Vec::new();
            }
            (SinkOutput::Commit { .. }, Committed) if self.config.idempotent_commit => {}
            (SinkOutput::Commit { .. }, Committed) => {
                // A store without idempotent commits makes the records visible again.
                t.committed_records += t.recommit_copy.len();
                self.committed.extend(t.recommit_copy.iter().map(|r| (now_ms, r.clone())));
            }
            (SinkOutput::Commit { txn }, Aborted) => return Err(StoreAnomaly::CommitOfAbortedTxn { txn }),
            (SinkOutput::Abort { .. }, Open | PreCommitted) => {
                t.state = Aborted;
                t.records = Vec::new();
            }
            (SinkOutput::Abort { .. }, Aborted) => {}
            (SinkOutput::Abort { txn }, Committed) => return Err(StoreAnomaly::AbortOfCommittedTxn { txn }),
            (SinkOutput::Begin { .. }, _) => unreachable!("handled above"),
        }
        Ok(())
    }

    /// Visible records with their commit time, in commit order (those not yet moved out by
    /// [`TxnStore::take_committed`]).
    pub fn committed(&self) -> &[(u64, Record)] {
        &self.committed
    }

    /// Moves the visible records out, in commit order: a host that keeps the output elsewhere
    /// takes each commit's records as they become visible instead of copying the whole output
    /// at the end (10^6 records are 72 MB). Later commits append to an empty list.
    pub fn take_committed(&mut self) -> Vec<(u64, Record)> {
        self.taken += self.committed.len();
        std::mem::take(&mut self.committed)
    }

    /// Transactions neither committed nor aborted (open or pre-committed), by id.
    pub fn open_txns(&self) -> Vec<TxnId> {
        self.txns
            .iter()
            .filter(|(_, t)| matches!(t.state, TxnState::Open | TxnState::PreCommitted))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Where `txn` is, if the store has seen it.
    pub fn txn_state(&self, txn: TxnId) -> Option<TxnState> {
        self.txns.get(&txn).map(|t| t.state)
    }

    /// When `txn` began in the store (its `Begin`), if the store knows it.
    pub fn begun_ms(&self, txn: TxnId) -> Option<u64> {
        self.txns.get(&txn).map(|t| t.begun_ms)
    }

    /// Panics if the store's transactions and published records are inconsistent.
    pub fn invariants(&self) {
        let mut visible = 0;
        for (id, t) in &self.txns {
            match t.state {
                TxnState::Open | TxnState::PreCommitted => assert_eq!(t.committed_records, 0, "{id:?}"),
                TxnState::Committed => {
                    assert!(t.records.is_empty(), "{id:?} committed but still buffers records");
                    visible += t.committed_records;
                }
                TxnState::Aborted => assert!(t.records.is_empty() && t.committed_records == 0, "{id:?}"),
            }
        }
        assert_eq!(
            visible,
            self.taken + self.committed.len(),
            "visible records (taken or not) = records of committed transactions"
        );
        assert!(self.committed.windows(2).all(|w| w[0].0 <= w[1].0), "commit times go backwards");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Offset, PartitionId};
    use crate::operator::{
        Aggregate, FailureInjector, Operator, OperatorContext, OperatorKind, SurvivingCounters, Udf,
    };
    use crate::record::{Lineage, LogRecord, Value};
    use crate::source::{LineSource, LogSource, StartupMode};
    use crate::Profile;

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
                    Complete(id) => sink
                        .as_mut()
                        .expect("script error: no sink started")
                        .notify_checkpoint_complete(CheckpointId(id)),
                    Aborted(id) => sink
                        .as_mut()
                        .expect("script error: no sink started")
                        .notify_checkpoint_aborted(CheckpointId(id)),
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
        OperatorState::TwoPhaseCommit {
            pending: pending.iter().map(|(c, t)| (CheckpointId(*c), *t)).collect(),
            current,
        }
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
        let second =
            [vec![begin(1, 0), write(1, 0, "a"), pre(1, 0)], early(1), vec![begin(1, 1), commit(1, 0)]].concat();
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
        let cfg = StoreConfig { transaction_timeout_ms: Some(100), idempotent_commit: true };
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

        let mut st = TxnStore::new(StoreConfig { transaction_timeout_ms: None, idempotent_commit: false });
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
}

/// Tests added for the mutation run of issue 14 (BENCHMARKS.md, "Mutation score"): the
/// transaction-timeout decisions of `TwoPhaseCommitSinkFunction#recoverAndCommitInternal` and
/// `#notifyCheckpointComplete`, the late configuration by the host, and the invariant checkers.
#[cfg(test)]
#[path = "sink_timeout_tests.rs"]
mod timeout_tests;
