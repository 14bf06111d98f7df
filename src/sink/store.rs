//! The external transactional store behind the two-phase-commit sink (e.g. Kafka with transactions): a pure data structure.

use super::SinkOutput;
use crate::record::Record;
use crate::state::TxnId;
use serde::{Deserialize, Serialize};
use thiserror::Error;

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

/// The store refused a commit with a retriable error (not a protocol violation: Kafka's
/// `commitTransaction` throwing a `RetriableException`, e.g. while a broker is briefly
/// unavailable; [`StoreConfig::retriable_commit_failures`]). The transaction stays
/// pre-committed; the same commit succeeds once the store's refusals are used up.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Error)]
#[error("commit of {txn:?} refused with a retriable error (attempt {attempt})")]
pub struct CommitRetriable {
    /// The transaction.
    pub txn: TxnId,
    /// Which refusal of the store it was, from 1.
    pub attempt: u32,
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
    /// The store's first this many commit attempts of a pre-committed transaction (counted
    /// over all transactions: a broker briefly unavailable) fail with a retriable error
    /// ([`CommitRetriable`]); 0 (the default): commits never fail that way.
    #[serde(default)]
    pub retriable_commit_failures: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { transaction_timeout_ms: None, idempotent_commit: true, retriable_commit_failures: 0 }
    }
}

/// One transaction as the store keeps it: 32 bytes while it buffers nothing (most of a dense
/// run's transactions are empty, and a committed or aborted one buffers nothing ever again), so
/// that a run with 360,000 checkpoints (issue 19's virtual hour at a 10 ms interval) keeps its
/// 720,000 transactions compactly. Hashes as the plain struct it replaced did (state, records,
/// committed records, begin, timed out, re-commit copy), for the explorer's fingerprints.
#[derive(Clone, Debug)]
pub(super) struct StoredTxn {
    state: TxnState,
    /// The store aborted it by the transaction timeout.
    timed_out: bool,
    /// How many records became visible with its commit (and re-commits, when not idempotent).
    pub(super) committed_records: usize,
    /// When it began (for the transaction timeout).
    begun_ms: u64,
    /// Its records, `None` while both lists are empty.
    buffers: Option<Box<TxnBuffers>>,
}

/// The records a transaction holds.
#[derive(Clone, Debug, Default)]
struct TxnBuffers {
    /// Written records; moved to the visible output on commit, dropped on abort.
    records: Vec<Record>,
    /// A copy of the committed records, kept only when commits are not idempotent.
    recommit_copy: Vec<Record>,
}

impl std::hash::Hash for StoredTxn {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.state.hash(h);
        self.records().hash(h);
        self.committed_records.hash(h);
        self.begun_ms.hash(h);
        self.timed_out.hash(h);
        self.recommit_copy().hash(h);
    }
}

impl StoredTxn {
    fn new(begun_ms: u64) -> Self {
        StoredTxn { state: TxnState::Open, timed_out: false, committed_records: 0, begun_ms, buffers: None }
    }

    /// Written records not yet committed or dropped.
    fn records(&self) -> &[Record] {
        self.buffers.as_ref().map_or(&[], |b| b.records.as_slice())
    }

    /// The copy a non-idempotent re-commit publishes again.
    fn recommit_copy(&self) -> &[Record] {
        self.buffers.as_ref().map_or(&[], |b| b.recommit_copy.as_slice())
    }

    fn push_record(&mut self, record: Record) {
        self.buffers.get_or_insert_with(Box::default).records.push(record);
    }

    /// Moves the written records out (the transaction buffers none after).
    fn take_records(&mut self) -> Vec<Record> {
        let Some(b) = self.buffers.as_mut() else { return Vec::new() };
        let records = std::mem::take(&mut b.records);
        if b.recommit_copy.is_empty() {
            self.buffers = None;
        }
        records
    }

    fn set_recommit_copy(&mut self, copy: Vec<Record>) {
        if !copy.is_empty() {
            self.buffers.get_or_insert_with(Box::default).recommit_copy = copy;
        }
    }
}

/// The store's transactions, grouped by the sink attempt that opened them: per (subtask,
/// attempt), sorted by that pair, its transactions sorted by sequence number (a sink opens them
/// in order, so a lookup is one short search for the group and, mostly, one index). Replaces a
/// `BTreeMap<TxnId, StoredTxn>` of every transaction ever begun, whose three-field `TxnId`
/// compares were ~3 % of a dense run (issue 19); it iterates, hashes and prints as that map
/// did (the explorer's fingerprints are unchanged).
#[derive(Clone, Default)]
pub(super) struct TxnMap {
    groups: Vec<TxnGroup>,
    len: usize,
}

/// One sink attempt's transactions, by sequence number.
#[derive(Clone)]
struct TxnGroup {
    subtask: u32,
    attempt: u32,
    txns: Vec<(u64, StoredTxn)>,
}

impl TxnGroup {
    /// Where `seq` is (`Ok`) or would go (`Err`) in `txns`.
    fn position(&self, seq: u64) -> Result<usize, usize> {
        // A transaction the store has not seen yet (a sink asks before it begins one): past
        // the newest, no search (over a virtual hour's 180,000 transactions a group, the binary
        // search missed the cache at each probe: 1.9 % of the dense hour, BENCHMARKS.md
        // session 33).
        if self.txns.last().is_none_or(|&(last, _)| last < seq) {
            return Err(self.txns.len());
        }
        // The common case: sequence numbers without gaps, from the group's first.
        if let Some(&(first, _)) = self.txns.first() {
            if let Some(i) = seq.checked_sub(first).and_then(|d| usize::try_from(d).ok()) {
                if self.txns.get(i).is_some_and(|(s, _)| *s == seq) {
                    return Ok(i);
                }
            }
        }
        self.txns.binary_search_by_key(&seq, |(s, _)| *s)
    }
}

impl TxnMap {
    /// Where the group of `id`'s attempt is (`Ok`) or would go (`Err`).
    fn group(&self, id: &TxnId) -> Result<usize, usize> {
        self.groups.binary_search_by(|g| (g.subtask, g.attempt).cmp(&(id.subtask, id.attempt)))
    }

    /// The transaction `id`, if the store has seen it.
    pub(super) fn get(&self, id: &TxnId) -> Option<&StoredTxn> {
        let g = &self.groups[self.group(id).ok()?];
        g.position(id.seq).ok().map(|i| &g.txns[i].1)
    }

    /// The transaction `id`, mutably.
    pub(super) fn get_mut(&mut self, id: &TxnId) -> Option<&mut StoredTxn> {
        let gi = self.group(id).ok()?;
        let g = &mut self.groups[gi];
        let i = g.position(id.seq).ok()?;
        Some(&mut g.txns[i].1)
    }

    /// Stores `t` as `id` (replacing one stored under it).
    pub(super) fn insert(&mut self, id: TxnId, t: StoredTxn) {
        let gi = match self.group(&id) {
            Ok(gi) => gi,
            Err(gi) => {
                self.groups.insert(gi, TxnGroup { subtask: id.subtask, attempt: id.attempt, txns: Vec::new() });
                gi
            }
        };
        let g = &mut self.groups[gi];
        if g.txns.last().is_none_or(|(s, _)| *s < id.seq) {
            g.txns.push((id.seq, t));
            self.len += 1;
            return;
        }
        match g.position(id.seq) {
            Ok(i) => g.txns[i].1 = t,
            Err(i) => {
                g.txns.insert(i, (id.seq, t));
                self.len += 1;
            }
        }
    }

    /// Every transaction, in `TxnId` order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (TxnId, &StoredTxn)> + '_ {
        self.groups.iter().flat_map(|g| {
            g.txns.iter().map(move |(seq, t)| (TxnId { subtask: g.subtask, attempt: g.attempt, seq: *seq }, t))
        })
    }
}

impl std::hash::Hash for TxnMap {
    /// As `BTreeMap<TxnId, StoredTxn>` hashes: the length, then each (id, transaction) in order.
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_usize(self.len);
        for (id, t) in self.iter() {
            (&id, t).hash(h);
        }
    }
}

impl std::fmt::Debug for TxnMap {
    /// As `BTreeMap<TxnId, StoredTxn>` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
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
    pub(super) txns: TxnMap,
    pub(super) committed: Vec<(u64, Record)>,
    /// Visible records moved out by [`TxnStore::take_committed`].
    taken: usize,
    config: StoreConfig,
    /// Commit attempts refused with a retriable error so far (all transactions).
    retriable_refusals: u32,
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
            self.txns.insert(txn, StoredTxn::new(now_ms));
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
                t.take_records();
                t.timed_out = true;
            }
            if t.timed_out && !matches!(op, SinkOutput::Abort { .. }) {
                return Err(StoreAnomaly::TransactionTimedOut { txn: txn_id, op: op_name, age_ms, timeout_ms });
            }
        }
        match (op, t.state) {
            (SinkOutput::Write { record, .. }, Open) => t.push_record(record),
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
                let records = t.take_records();
                t.committed_records = records.len();
                if !self.config.idempotent_commit {
                    t.set_recommit_copy(records.clone());
                }
                self.committed.extend(records.into_iter().map(|r| (now_ms, r)));
            }
            (SinkOutput::Commit { .. }, Committed) if self.config.idempotent_commit => {}
            (SinkOutput::Commit { .. }, Committed) => {
                // A store without idempotent commits makes the records visible again.
                t.committed_records += t.recommit_copy().len();
                self.committed.extend(t.recommit_copy().iter().map(|r| (now_ms, r.clone())));
            }
            (SinkOutput::Commit { txn }, Aborted) => return Err(StoreAnomaly::CommitOfAbortedTxn { txn }),
            (SinkOutput::Abort { .. }, Open | PreCommitted) => {
                t.state = Aborted;
                t.take_records();
            }
            (SinkOutput::Abort { .. }, Aborted) => {}
            (SinkOutput::Abort { txn }, Committed) => return Err(StoreAnomaly::AbortOfCommittedTxn { txn }),
            (SinkOutput::Begin { .. }, _) => unreachable!("handled above"),
        }
        Ok(())
    }

    /// [`Self::apply`] with the store's transient failures: while its retriable failures
    /// ([`StoreConfig::retriable_commit_failures`]) are not used up, a commit of a
    /// pre-committed transaction is refused with [`CommitRetriable`] and changes nothing else. `Ok(Err(_))`:
    /// refused that way; `Err(_)`: a protocol violation, as [`Self::apply`].
    pub fn apply_with_failures(
        &mut self,
        now_ms: u64,
        op: SinkOutput,
    ) -> Result<Result<(), CommitRetriable>, StoreAnomaly> {
        if let SinkOutput::Commit { txn } = op {
            let limit = self.config.retriable_commit_failures;
            if limit == 0 {
                // No retriable refusals configured (the default): the plain operation.
                return self.apply(now_ms, op).map(Ok);
            }
            let timed_out = self.config.transaction_timeout_ms.is_some_and(|timeout_ms| {
                self.txns.get(&txn).is_some_and(|t| t.timed_out || now_ms.saturating_sub(t.begun_ms) > timeout_ms)
            });
            let pre_committed = self.txns.get(&txn).is_some_and(|t| t.state == TxnState::PreCommitted);
            if pre_committed && !timed_out && self.retriable_refusals < limit {
                self.retriable_refusals += 1;
                return Ok(Err(CommitRetriable { txn, attempt: self.retriable_refusals }));
            }
        }
        self.apply(now_ms, op).map(Ok)
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
            .map(|(id, _)| id)
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
        for (id, t) in self.txns.iter() {
            match t.state {
                TxnState::Open | TxnState::PreCommitted => assert_eq!(t.committed_records, 0, "{id:?}"),
                TxnState::Committed => {
                    assert!(t.records().is_empty(), "{id:?} committed but still buffers records");
                    visible += t.committed_records;
                }
                TxnState::Aborted => assert!(t.records().is_empty() && t.committed_records == 0, "{id:?}"),
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
    use std::collections::BTreeMap;
    use std::hash::{DefaultHasher, Hash, Hasher};

    fn hash_of(v: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn txn_map_finds_iterates_hashes_and_prints_as_the_b_tree_it_replaced() {
        // Groups begun out of order, sequence numbers with gaps and out of order, a replacement.
        let ids = [(1, 0, 0), (0, 2, 5), (0, 2, 6), (0, 0, 3), (1, 0, 1), (0, 2, 2), (0, 0, 1), (0, 2, 9)];
        let (mut map, mut tree) = (TxnMap::default(), BTreeMap::new());
        for (i, &(subtask, attempt, seq)) in ids.iter().enumerate() {
            let id = TxnId { subtask, attempt, seq };
            map.insert(id, StoredTxn::new(i as u64));
            tree.insert(id, StoredTxn::new(i as u64));
        }
        let again = TxnId { subtask: 0, attempt: 2, seq: 6 };
        map.insert(again, StoredTxn::new(99));
        tree.insert(again, StoredTxn::new(99));
        assert_eq!(map.len, tree.len());
        let listed: Vec<(TxnId, u64)> = map.iter().map(|(id, t)| (id, t.begun_ms)).collect();
        let want: Vec<(TxnId, u64)> = tree.iter().map(|(id, t)| (*id, t.begun_ms)).collect();
        assert_eq!(listed, want, "in TxnId order");
        // Also past each group's newest (no search) and before its first.
        for (subtask, attempt, seq) in
            [(0, 2, 6), (0, 2, 7), (0, 1, 0), (1, 0, 1), (2, 0, 0), (0, 0, 0), (0, 2, 10), (1, 0, 2)]
        {
            let id = TxnId { subtask, attempt, seq };
            assert_eq!(map.get(&id).map(|t| t.begun_ms), tree.get(&id).map(|t| t.begun_ms), "{id:?}");
        }
        map.get_mut(&again).expect("stored").committed_records = 3;
        tree.get_mut(&again).expect("stored").committed_records = 3;
        assert_eq!(hash_of(&map), hash_of(&tree), "hashes as the map did (explorer fingerprints)");
        assert_eq!(format!("{map:?}"), format!("{tree:?}"));
        map.get_mut(&again).expect("stored").committed_records = 4;
        assert_ne!(hash_of(&map), hash_of(&tree), "the hash sees the transactions");
    }
}
