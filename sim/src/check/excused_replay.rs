//! The excused replay (session 39): a restore choice after which Flink itself commits inputs twice and aborts committed transactions — one type and one wording for the `exactly-once` checker's two such excuses.
//!
//! Two situations restore a checkpoint older than one whose notification already committed
//! the sink's transactions, and Flink's own two-phase-commit sink then does what the restored
//! state says (`TwoPhaseCommitSinkFunction#initializeState`): `recoverAndCommit` of the restored
//! pre-committed transactions, `recoverAndAbort` of the restored open one (which the newer
//! notification had committed: Kafka leaves it committed), and the sources replay the log from
//! the restored offsets. Both are built here as an [`ExcusedReplay`]; what differs is how each is
//! found and how long its recovery may abort ([`ReplayKind`]):
//!
//! * a new job resumed from a retained checkpoint or savepoint older than one the ended job
//!   completed (`stale_resume.rs`): every later abort of a transaction an earlier job (or
//!   leader) opened;
//! * a flink-1.11 restart from a savepoint a newer checkpoint overtook, the completed store's
//!   last added (`overtaken_restore.rs`): aborts during that restart's recovery only.
//!
//! An input is excused as a replay when it was committed exactly twice, once before the restore
//! and once after it, and the restore replays it (at or after its partition's restored offset)
//! or, for a stale resume whose ended job went back behind the restored checkpoint, the earlier
//! copy comes from that rewound stretch. Not judged here: which restore a run should have
//! chosen (the `retention` checker), three or more copies, copies both before or both after the
//! restore, and inputs of a non-log source (no offsets to replay from) — those stay anomalies.

use crate::spec::{InputSpec, JobSpec};
use crate::world::{RestoreRecord, SinkAnomaly, EPOCH_STRIDE};
use ckptsim::ids::CheckpointId;
use ckptsim::sink::StoreAnomaly;

/// Which restore choice explains the replay, with what its aborts are judged by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ReplayKind {
    /// A new job resumed from an older retained checkpoint (`stale_resume.rs`).
    StaleResume {
        /// The new job's epoch (jobs and JobManager leaders are numbered from 1; a
        /// transaction's attempt number carries the epoch that opened it).
        epoch: u32,
        /// When the ended job first went back behind the restored checkpoint after that
        /// checkpoint completed (a restart or failover that restored an older checkpoint or
        /// none): from then on it re-produced, in transactions of its own, inputs whose output
        /// the restored checkpoint holds pre-committed, which the new job's recovery commits.
        rewound_ms: Option<u64>,
    },
    /// A flink-1.11 restart restored a savepoint a newer checkpoint overtook
    /// (`overtaken_restore.rs`).
    OvertakenRestart {
        /// The end of the restart's recovery: the first checkpoint completion after it (every
        /// task, the sink included, has initialized by then), or the next restore; ms.
        recovered_ms: u64,
    },
}

/// One restore whose replay and recovery Flink itself shows.
#[derive(Clone, Debug)]
pub(super) struct ExcusedReplay {
    /// When the restore's tasks were restored, ms.
    pub(super) at_ms: u64,
    /// The checkpoint it restored.
    pub(super) restored: CheckpointId,
    /// The newest checkpoint completed before it, newer than `restored`.
    pub(super) newer: CheckpointId,
    /// Per input sequence number: whether the restore replays it (at or after the restored
    /// offset of its partition); empty without a log input.
    replayed: Vec<bool>,
    /// Which restore choice, and its kind's facts.
    pub(super) kind: ReplayKind,
}

impl ExcusedReplay {
    /// The excused replay of restore `r` of `checkpoint` after `newer` completed.
    pub(super) fn new(
        spec: &JobSpec,
        r: &RestoreRecord,
        (restored, newer): (CheckpointId, CheckpointId),
        kind: ReplayKind,
    ) -> Self {
        let replayed = match &spec.input {
            InputSpec::Log { records, .. } => super::covered_inputs(records, &r.offsets).map(|c| !c).collect(),
            _ => Vec::new(),
        };
        ExcusedReplay { at_ms: r.at_ms, restored, newer, replayed, kind }
    }

    /// The store anomaly is this restore's recovery aborting a transaction a newer notification
    /// committed.
    pub(super) fn excuses_abort(&self, a: &SinkAnomaly) -> bool {
        let SinkAnomaly::Store { at_ms, anomaly: StoreAnomaly::AbortOfCommittedTxn { txn }, .. } = a else {
            return false;
        };
        match self.kind {
            ReplayKind::StaleResume { epoch, .. } => *at_ms >= self.at_ms && txn.attempt / EPOCH_STRIDE < epoch,
            ReplayKind::OvertakenRestart { recovered_ms } => (self.at_ms..recovered_ms).contains(at_ms),
        }
    }

    /// Input `seq`, committed at `times_ms`, was committed once before this restore and once
    /// after it, from a log position the restore replays (or, a stale resume's ended job
    /// having gone back behind the restored checkpoint before its copy, by the recovery of the
    /// restored pre-committed transaction).
    pub(super) fn excuses_duplicate(&self, seq: u64, times_ms: &[u64]) -> bool {
        let before: Vec<u64> = times_ms.iter().copied().filter(|t| *t < self.at_ms).collect();
        let replayed = self.replayed.get(seq as usize).copied().unwrap_or(false);
        let rewound = match self.kind {
            ReplayKind::StaleResume { rewound_ms, .. } => rewound_ms.is_some_and(|r| before.iter().all(|t| *t >= r)),
            ReplayKind::OvertakenRestart { .. } => false,
        };
        times_ms.len() == 2 && before.len() == 1 && (replayed || rewound)
    }
}

/// The excused replays of one kind in a run.
pub(super) struct ExcusedReplays {
    /// In restore order.
    pub(super) replays: Vec<ExcusedReplay>,
}

impl ExcusedReplays {
    /// Whether one of them explains the store anomaly.
    pub(super) fn excuses_abort(&self, a: &SinkAnomaly) -> bool {
        self.replays.iter().any(|r| r.excuses_abort(a))
    }

    /// The replay that explains input `seq`'s two copies, if any.
    pub(super) fn excuses_duplicate(&self, seq: u64, times_ms: &[u64]) -> Option<&ExcusedReplay> {
        self.replays.iter().find(|r| r.excuses_duplicate(seq, times_ms))
    }

    /// The summary's note, one wording for every kind: who shows it, the restores, the inputs
    /// committed again and the aborts, and the Flink code that does it; empty when nothing was
    /// excused.
    pub(super) fn note(&self, replayed: usize, aborts: usize) -> String {
        let Some(first) = self.replays.first().filter(|_| replayed > 0 || aborts > 0) else {
            return String::new();
        };
        let (who, what, why) = match first.kind {
            ReplayKind::StaleResume { .. } => (
                "Flink",
                "a new job resumed from an older checkpoint than the ended job's last",
                "TwoPhaseCommitSinkFunction#initializeState; exactly-once holds along one job's restores",
            ),
            ReplayKind::OvertakenRestart { .. } => (
                "flink-1.11",
                "a restart restored a savepoint that completed after a newer checkpoint, the store's last added",
                "CompletedCheckpointStore#getLatestCheckpoint, TwoPhaseCommitSinkFunction#initializeState",
            ),
        };
        let which: Vec<String> = self
            .replays
            .iter()
            .map(|r| format!("checkpoint {} at t={} after {} completed", r.restored.0, r.at_ms, r.newer.0))
            .collect();
        format!(
            "; expected by {who}: {what} ({}): {replayed} inputs committed again, {aborts} aborts of committed \
             transactions ({why})",
            which.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckptsim::state::TxnId;

    /// A restore at 5 s of checkpoint 3 after 5 completed, replaying inputs 2.. of 4.
    fn replay(kind: ReplayKind) -> ExcusedReplays {
        let replayed = vec![false, false, true, true];
        let r = ExcusedReplay { at_ms: 5_000, restored: CheckpointId(3), newer: CheckpointId(5), replayed, kind };
        ExcusedReplays { replays: vec![r] }
    }

    fn stale(rewound_ms: Option<u64>) -> ExcusedReplays {
        replay(ReplayKind::StaleResume { epoch: 2, rewound_ms })
    }

    fn overtaken() -> ExcusedReplays {
        replay(ReplayKind::OvertakenRestart { recovered_ms: 6_000 })
    }

    fn abort(at_ms: u64, epoch: u32) -> SinkAnomaly {
        let txn = TxnId { subtask: 0, attempt: epoch * EPOCH_STRIDE + 1, seq: 4 };
        SinkAnomaly::Store { at_ms, task: ckptsim::ids::TaskId(3), anomaly: StoreAnomaly::AbortOfCommittedTxn { txn } }
    }

    /// A stale resume excuses the aborts after it of transactions an earlier job opened; not
    /// its own job's, not earlier ones.
    #[test]
    fn a_stale_resume_excuses_aborts_of_earlier_jobs_transactions_only() {
        let s = stale(None);
        assert!(s.excuses_abort(&abort(9_000, 1)), "an earlier job's transaction, after the resume");
        assert!(!s.excuses_abort(&abort(9_000, 2)), "the new job's own transaction is judged");
        assert!(!s.excuses_abort(&abort(4_000, 1)), "before the resume it is judged");
    }

    /// A flink-1.11 overtaken restart excuses the aborts of its recovery only.
    #[test]
    fn an_overtaken_restart_excuses_aborts_during_its_recovery_only() {
        let o = overtaken();
        assert!(o.excuses_abort(&abort(5_500, 1)), "during the recovery");
        assert!(!o.excuses_abort(&abort(6_000, 1)), "once a checkpoint completed after it, judged");
        assert!(!o.excuses_abort(&abort(4_999, 1)), "before the restart, judged");
    }

    /// Both kinds excuse an input committed once before and once after the restore that
    /// replays it; not an input the restore does not replay, three copies, or both copies on
    /// one side.
    #[test]
    fn both_kinds_excuse_a_replayed_input_committed_once_on_each_side() {
        for r in [stale(None), overtaken()] {
            assert_eq!(
                r.excuses_duplicate(2, &[4_000, 7_000]).map(|x| x.at_ms),
                Some(5_000),
                "{:?}",
                r.replays[0].kind
            );
            assert!(r.excuses_duplicate(1, &[4_000, 7_000]).is_none(), "input 1 is not replayed");
            assert!(r.excuses_duplicate(2, &[3_000, 4_000, 7_000]).is_none(), "three copies");
            assert!(r.excuses_duplicate(2, &[6_000, 7_000]).is_none(), "both after the restore");
            assert!(r.excuses_duplicate(2, &[3_000, 4_000]).is_none(), "both before");
        }
    }

    /// A stale resume whose ended job rewound before the earlier copy excuses an input it does
    /// not replay; an overtaken restart has no such excuse.
    #[test]
    fn only_a_rewound_stale_resume_excuses_an_input_it_does_not_replay() {
        assert!(stale(Some(3_500)).excuses_duplicate(1, &[4_000, 7_000]).is_some());
        assert!(stale(Some(4_500)).excuses_duplicate(1, &[4_000, 7_000]).is_none(), "copy before the rewind");
        assert!(overtaken().excuses_duplicate(1, &[4_000, 7_000]).is_none());
    }

    /// One wording: who shows it, the restores, the counts; nothing when nothing was excused.
    #[test]
    fn one_wording_names_who_shows_it_and_the_counts() {
        let s = stale(None).note(3, 1);
        assert!(s.starts_with("; expected by Flink: a new job resumed"), "{s}");
        let o = overtaken().note(45, 2);
        assert!(o.starts_with("; expected by flink-1.11: a restart restored a savepoint"), "{o}");
        for n in [&s, &o] {
            assert!(n.contains("(checkpoint 3 at t=5000 after 5 completed)"), "{n}");
            assert!(n.contains("inputs committed again") && n.contains("aborts of committed transactions"), "{n}");
        }
        assert!(o.contains(": 45 inputs committed again, 2 aborts"), "{o}");
        assert_eq!(stale(None).note(0, 0), "");
        assert_eq!(ExcusedReplays { replays: vec![] }.note(3, 1), "");
    }
}
