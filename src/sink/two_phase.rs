//! Flink's `TwoPhaseCommitSinkFunction` (semantics §7) as a sans-IO machine, with its transaction-timeout knobs.

use super::SinkOutput;
use crate::ids::CheckpointId;
pub use crate::profile::NoCheckpointing;
use crate::record::Record;
use crate::state::{OperatorState, TxnId};
use crate::Variant;
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

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
    /// `finish()` was called (FLIP-147, 1.14+ / 2.x legacy sink): no new transaction after the
    /// next snapshot.
    finished: bool,
    /// The open transaction receiving records.
    pub(super) current: Option<TxnId>,
    /// Pre-committed transactions by checkpoint id, in insertion order (a `LinkedHashMap`).
    pub(super) pending: Vec<(CheckpointId, TxnId)>,
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
    /// Sink V2's committer ([`TwoPhaseCommitSink::use_sink_v2_committer`]).
    sink_v2: bool,
    /// Sink V2: retries so far of each transaction's commit that the store refused with a
    /// retriable error ([`TwoPhaseCommitSink::handle_commit_retriable`]).
    retries: BTreeMap<TxnId, u32>,
    /// Sink V2: `sink.committer.retries` when set ([`TwoPhaseCommitSink::set_committer_retries`]);
    /// `None` is Flink's default, [`COMMITTER_RETRIES`].
    committer_retries: Option<u32>,
    events: VecDeque<SinkEvent>,
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
    /// Sink V2: the store refused the commit with a retriable error; the committer retries it
    /// at once (`Committer.CommitRequest#retryLater`, this is retry number `retry`).
    CommitRetried {
        /// The transaction.
        txn: TxnId,
        /// Which retry, from 1 (at most [`COMMITTER_RETRIES`]).
        retry: u32,
    },
}

/// Flink's `sink.committer.retries` default (`SinkOptions.COMMITTER_RETRIES`): how many times
/// Sink V2's `CheckpointCommittableManagerImpl#commit` retries a committable whose commit
/// asked `retryLater` before it throws and the task fails.
pub const COMMITTER_RETRIES: u32 = 10;

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
            finished: false,
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
            let recover = self.variant != Variant::RecoverySkipsCommit;
            for (_, txn) in pending.iter().filter(|_| recover) {
                if let Some(t) = restored_started_ms.get(txn) {
                    self.t.started_ms.insert(*txn, *t);
                }
                self.warn_if_timeout_almost_reached(*txn);
                self.t.recovering.push(*txn);
                self.outputs.push_back(SinkOutput::Commit { txn: *txn });
            }
            if let Some(txn) = current {
                if self.variant == Variant::RecoveryCommitsOpenTransaction && !pending.is_empty() {
                    // FLINK-8132 planted: the recovery commit reaches the open transaction too.
                    self.t.recovering.push(*txn);
                    self.outputs.push_back(SinkOutput::Commit { txn: *txn });
                } else {
                    self.outputs.push_back(SinkOutput::Abort { txn: *txn });
                }
            }
        }
        self.initialized = true;
        self.begin();
        self.invariants();
    }

    /// Deployed in a task restored as finished (2.x, FLIP-147): Flink's `FinishedOperatorChain`
    /// never calls `initializeState`, `finish`, `snapshotState` or `notifyCheckpointComplete` of
    /// its operators, and the checkpoint holds no state for them. So the sink recovers nothing
    /// (no recovery commit of the transactions its final checkpoint pre-committed, no abort),
    /// begins no transaction and stays without one: its snapshots hold nothing, notifications
    /// find nothing pending, `close` aborts nothing. Instead of [`Self::initialize`].
    pub fn deploy_finished(&mut self) {
        assert!(!self.initialized, "2pc sink {} initialized twice", self.subtask);
        self.initialized = true;
        self.finished = true;
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
        if self.closed || self.current.is_none() || self.no_checkpointing != Some(NoCheckpointing::CommitAtEndOfInput) {
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

    /// Flink's `TwoPhaseCommitSinkFunction.finish` (1.14+, the 2.x legacy sink): the input has
    /// ended; the next snapshot pre-commits the open transaction and begins none, so a later
    /// record has no transaction (Flink's `NullPointerException`: [`Self::invoke`] panics) and
    /// the state holds no open transaction to abort on recovery. The task calls it at end of input
    /// where [`Profile::sink_finishes_at_end_of_input`](crate::Profile::sink_finishes_at_end_of_input) says so (flink-2.3).
    pub fn finish(&mut self) {
        self.finished = true;
        self.invariants();
    }

    /// `snapshotState(id)` at the barrier: pre-commit the open transaction, remember it as
    /// pending for `id`, begin the next one, and store {pending, the new open transaction}.
    pub fn snapshot(&mut self, id: CheckpointId) -> OperatorState {
        assert!(self.initialized && !self.closed, "2pc sink {}: snapshot while not running", self.subtask);
        assert!(self.pending.iter().all(|(c, _)| *c != id), "checkpoint {id} snapshotted twice");
        if let Some(txn) = self.current.take() {
            self.outputs.push_back(SinkOutput::PreCommit { txn });
            if self.variant == Variant::TwoPcCommitOnPrecommit {
                self.outputs.push_back(SinkOutput::Commit { txn });
            }
            self.pending.push((id, txn));
        }
        // After `finish` no more input comes: no new transaction (Flink's `snapshotState`).
        if !self.finished {
            self.begin();
        }
        self.invariants();
        OperatorState::TwoPhaseCommit { pending: self.pending.clone(), current: self.current }
    }

    /// Commits, in insertion order, every pending transaction with checkpoint id <= `id`. A
    /// notification older than everything pending (notify(2) then notify(1)) is a no-op, as is
    /// one after `close`.
    pub fn notify_checkpoint_complete(&mut self, id: CheckpointId) {
        if !self.closed {
            let mut committed = Vec::new();
            // FLINK-10377 planted: only the notified checkpoint's own transaction.
            let only_own = self.variant == Variant::NotifyCommitsOnlyItsOwn;
            self.pending.retain(|(c, txn)| {
                let commit = if only_own { *c == id } else { *c <= id };
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
            _ if self.t.sink_v2 => {
                let timeout_ms = self.t.policy.map_or(0, |p| p.timeout_ms);
                self.t.events.push_back(SinkEvent::CommitFailureIgnored { txn, elapsed_ms, timeout_ms });
                Ok(())
            }
            Some(p) if recovery && p.ignore_failures_after_timeout && elapsed_ms > p.timeout_ms => {
                self.t.events.push_back(SinkEvent::CommitFailureIgnored { txn, elapsed_ms, timeout_ms: p.timeout_ms });
                Ok(())
            }
            _ => Err(CommitFailed { txn, elapsed_ms }),
        };
        self.invariants();
        result
    }

    /// The host's commit of `txn` was refused with a retriable error at `now_ms` (the store is
    /// briefly unavailable; the transaction is still pre-committed). Sink V2 (2.x
    /// `CommitterOperator`): the committer calls `retryLater` and
    /// `CheckpointCommittableManagerImpl#commit` commits the request again at once, without
    /// back-off, up to [`COMMITTER_RETRIES`] times, then throws (`Failed to commit .. after ..
    /// retries`): the task fails and the next attempt re-commits the restored committables.
    /// Here the retry is the same commit pushed again behind the others of this round. The
    /// legacy `TwoPhaseCommitSinkFunction` has no retry: `notifyCheckpointComplete` (and
    /// `recoverAndCommit`) rethrow, the task fails. The planted `committer-retry-dropped`
    /// drops the committable instead of retrying it (as a failure with a known reason).
    pub fn handle_commit_retriable(&mut self, now_ms: u64, txn: TxnId) -> Result<(), CommitFailed> {
        self.advance(now_ms);
        let elapsed_ms = self.t.started_ms.get(&txn).map_or(0, |t| now_ms.saturating_sub(*t));
        let result = if !self.t.sink_v2 {
            Err(CommitFailed { txn, elapsed_ms })
        } else if self.variant == Variant::CommitterRetryDropped {
            let timeout_ms = self.t.policy.map_or(0, |p| p.timeout_ms);
            self.t.events.push_back(SinkEvent::CommitFailureIgnored { txn, elapsed_ms, timeout_ms });
            Ok(())
        } else {
            // The planted `committer-retries-one-fewer` gives up a retry early,
            // `committer-retries-one-more` a retry late.
            let limit = self
                .t
                .committer_retries
                .unwrap_or(COMMITTER_RETRIES)
                .saturating_sub(u32::from(self.variant == Variant::CommitterRetriesOneFewer))
                + u32::from(self.variant == Variant::CommitterRetriesOneMore);
            let retry = self.t.retries.entry(txn).or_insert(0);
            if *retry < limit {
                *retry += 1;
                self.t.events.push_back(SinkEvent::CommitRetried { txn, retry: *retry });
                self.outputs.push_back(SinkOutput::Commit { txn });
                Ok(())
            } else {
                self.t.retries.remove(&txn);
                Err(CommitFailed { txn, elapsed_ms })
            }
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

    /// Commit failures as Flink 2.x's Sink V2 Kafka committer handles them (`KafkaCommitter
    /// #commit`): a commit the broker refuses because it already aborted the transaction
    /// (`ProducerFencedException` / `InvalidTxnStateException`, e.g. after
    /// `transaction.timeout.ms`) is `signalFailedWithKnownReason`: logged as data loss and
    /// dropped by the `CommitterOperator`, whether it came from a notification or from the
    /// recovery of restored committables, and whatever the transaction's age. The task does not
    /// fail. (The legacy `TwoPhaseCommitSinkFunction` rethrows unless
    /// `ignoreFailuresAfterTransactionTimeout` and the transaction is older than the timeout.)
    pub fn use_sink_v2_committer(&mut self) {
        self.t.sink_v2 = true;
        self.invariants();
    }

    /// Sink V2: `SinkOptions.COMMITTER_RETRIES` (`sink.committer.retries`), how many times a
    /// commit that asked `retryLater` is retried before the committer throws ("Failed to commit
    /// N committables") and the task fails; Flink's default is [`COMMITTER_RETRIES`]. The
    /// world never sets it (its sinks run with the default).
    pub fn set_committer_retries(&mut self, retries: u32) {
        self.t.committer_retries = Some(retries);
        self.invariants();
    }

    /// Whether commits go through Sink V2's committer ([`Self::use_sink_v2_committer`]).
    pub fn is_sink_v2(&self) -> bool {
        self.t.sink_v2
    }

    /// Whether `txn`'s commit was issued by recovery (`initializeState`) and its outcome is
    /// still open.
    pub fn is_recovery_commit(&self, txn: TxnId) -> bool {
        self.t.recovering.contains(&txn)
    }

    /// A recovery commit failed the task: Flink's `initializeState` commits the restored
    /// transactions one by one and stops at the first exception (`recoverAndCommitInternal`
    /// rethrows), so the recovery commits not yet made never are. Drops their queued commits
    /// and returns their transactions (the task drops those it already took). The
    /// notification path differs: `notifyCheckpointComplete` commits every transaction and
    /// throws the first error after its loop.
    pub fn abandon_recovery(&mut self) -> Vec<TxnId> {
        let left = std::mem::take(&mut self.t.recovering);
        self.outputs.retain(|o| !matches!(o, SinkOutput::Commit { txn } if left.contains(txn)));
        self.invariants();
        left
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
    /// (The planted [`Variant::AbortNotificationAbortsPending`] aborts every pending transaction
    /// up to `id` instead; the planted [`Variant::AbortNotificationCommits`] commits them.)
    pub fn notify_checkpoint_aborted(&mut self, id: CheckpointId) {
        if self.variant == Variant::AbortNotificationCommits {
            // The planted `abort-notification-commits`: the abort commits as a completion would.
            self.notify_checkpoint_complete(id);
            return;
        }
        if self.variant == Variant::AbortNotificationAbortsPending && !self.closed {
            let mut aborted = Vec::new();
            self.pending.retain(|(c, txn)| {
                if *c <= id {
                    aborted.push(*txn);
                }
                *c > id
            });
            for txn in aborted {
                self.outputs.push_back(SinkOutput::Abort { txn });
            }
        }
        self.invariants();
    }

    /// The task is closing (cancelled): abort the open transaction. Pending (pre-committed)
    /// transactions are left for the next attempt's recovery. Idempotent.
    pub fn close(&mut self) {
        if let Some(txn) = self.current.take() {
            self.outputs.push_back(SinkOutput::Abort { txn });
        }
        if self.variant == Variant::CloseAbortsPending && !self.closed {
            // The planted bug: the pre-committed transactions are aborted with the open one.
            for (_, txn) in std::mem::take(&mut self.pending) {
                self.outputs.push_back(SinkOutput::Abort { txn });
            }
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
            if self.closed {
                assert!(self.current.is_none(), "no open transaction after close");
            } else if !self.finished {
                assert!(self.current.is_some(), "an open transaction while running");
            }
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
