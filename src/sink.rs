//! Sinks: the at-least-once print sink, the two-phase-commit sink (semantics §7) and the external transactional store behind it.
//!
//! [`TwoPhaseCommitSink`] is Flink's `TwoPhaseCommitSinkFunction` as a sans-IO machine: its
//! transaction operations ([`SinkOutput`]) are drained with `poll_output` in the order they were
//! decided and applied by the host to a [`TxnStore`] (the external system, e.g. Kafka with
//! transactions). The store reports protocol violations as typed [`StoreAnomaly`] values, which
//! the checkers turn into named findings.

mod print;
mod store;
mod two_phase;

pub use print::PrintSink;
pub use store::{CommitRetriable, StoreAnomaly, StoreConfig, TxnState, TxnStore};
pub use two_phase::{
    CommitFailed, NoCheckpointing, SinkEvent, TwoPhaseCommitSink, TxnTimeoutPolicy, COMMITTER_RETRIES,
};

use crate::record::Record;
use crate::state::TxnId;
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
#[path = "sink_tests.rs"]
mod tests;

/// Tests added for the mutation run of issue 14 (BENCHMARKS.md, "Mutation score"): the
/// transaction-timeout decisions of `TwoPhaseCommitSinkFunction#recoverAndCommitInternal` and
/// `#notifyCheckpointComplete`, the late configuration by the host, and the invariant checkers.
#[cfg(test)]
#[path = "sink_timeout_tests.rs"]
mod timeout_tests;
