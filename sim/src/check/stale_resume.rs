//! New jobs resumed from a retained checkpoint or savepoint older than a checkpoint the ended job completed after it: the duplicates and aborts Flink itself shows there.
//!
//! A job cancelled after a savepoint (or after the checkpoint it is later resumed from) may
//! complete further checkpoints before the cancel takes effect; their notifications commit the
//! two-phase-commit sink's transactions. A new job resumed from the older checkpoint replays
//! the log from that checkpoint's offsets and commits those records again, and its recovery
//! aborts the restored open transaction, which the ended job had meanwhile committed (Kafka's
//! `initTransactions` on that transactional id leaves a committed transaction as it is). Flink
//! behaves the same: `TwoPhaseCommitSinkFunction#initializeState` recovers what the restored
//! state names, and exactly-once holds along one job's restores only (FLIP-34 gave
//! stop-with-savepoint its synchronous savepoint, after which nothing commits, for this reason).
//! The `exactly-once` checker names these as Flink's, and judges everything else as before.

use crate::spec::{InputSpec, JobSpec};
use crate::world::{RestoreCause, RunResult, SinkAnomaly, EPOCH_STRIDE};
use ckptsim::ids::CheckpointId;
use ckptsim::sink::StoreAnomaly;
use ckptsim::status::JobStatus;

/// One new job resumed from a checkpoint older than one the ended job completed.
#[derive(Clone, Debug)]
pub(super) struct StaleResume {
    /// When the new job's tasks were restored, ms.
    pub(super) at_ms: u64,
    /// The new job's epoch (jobs and JobManager leaders are numbered from 1; a transaction's
    /// attempt number carries the epoch that opened it).
    epoch: u32,
    /// The checkpoint it resumed from.
    pub(super) restored: CheckpointId,
    /// The newest checkpoint the ended job completed after it.
    pub(super) newer: CheckpointId,
    /// Per input sequence number: whether the resume replays it (at or after the restored
    /// offset of its partition); empty without a log input.
    replayed: Vec<bool>,
    /// When the ended job first went back behind the restored checkpoint after that checkpoint
    /// completed: a restart or failover that restored an older checkpoint or none (a savepoint
    /// is not used for failover in 2.x, `CheckpointCoordinator#completePendingCheckpoint`). From
    /// then on the ended job re-produced, in transactions of its own, inputs whose output the
    /// restored checkpoint holds in its pre-committed transaction, which the new job's
    /// recovery commits (`TwoPhaseCommitSinkFunction#initializeState`): a second copy Flink
    /// itself writes (session 24, `kafka/group-offsets-marker-savepoint-23.toml` swarm seed 3056).
    rewound_ms: Option<u64>,
}

/// The stale resumes of a run.
pub(super) struct StaleResumes {
    pub(super) resumes: Vec<StaleResume>,
}

impl StaleResumes {
    /// The stale resumes of `run`.
    pub(super) fn of(spec: &JobSpec, run: &RunResult) -> StaleResumes {
        let resumes: Vec<StaleResume> = run
            .restores
            .iter()
            .filter_map(|r| {
                let RestoreCause::Retained { checkpoint } = r.cause else { return None };
                let newer = run
                    .checkpoints
                    .iter()
                    .filter(|c| c.outcome == "COMPLETED" && c.id > checkpoint && c.end_ms.is_some_and(|e| e < r.at_ms))
                    .map(|c| c.id)
                    .max()?;
                let epoch =
                    run.status_timeline.iter().filter(|(t, s)| *t <= r.at_ms && *s == JobStatus::Created).count()
                        as u32;
                let replayed = match &spec.input {
                    InputSpec::Log { records, .. } => super::covered_inputs(records, &r.offsets).map(|c| !c).collect(),
                    _ => Vec::new(),
                };
                let completed_ms = run.checkpoints.iter().find(|c| c.id == checkpoint).and_then(|c| c.end_ms);
                let rewound_ms = completed_ms.and_then(|done| {
                    run.restores
                        .iter()
                        .filter(|b| b.at_ms >= done && b.at_ms < r.at_ms && b.checkpoint.is_none_or(|c| c < checkpoint))
                        .map(|b| b.at_ms)
                        .min()
                });
                Some(StaleResume { at_ms: r.at_ms, epoch, restored: checkpoint, newer, replayed, rewound_ms })
            })
            .collect();
        StaleResumes { resumes }
    }

    /// The store anomaly is a stale resume's recovery aborting a transaction an earlier job
    /// (or leader) opened and committed.
    pub(super) fn excuses_abort(&self, a: &SinkAnomaly) -> bool {
        let SinkAnomaly::Store { at_ms, anomaly: StoreAnomaly::AbortOfCommittedTxn { txn }, .. } = a else {
            return false;
        };
        self.resumes.iter().any(|s| *at_ms >= s.at_ms && txn.attempt / EPOCH_STRIDE < s.epoch)
    }

    /// Input `seq`, committed at `times_ms`, was committed once before a stale resume and once
    /// after it, either from a log position that resume replays (at or after the restored
    /// offset of its partition), or, the ended job having gone back behind the restored
    /// checkpoint before its copy, by the recovery of the restored pre-committed transaction:
    /// the resume that explains it.
    pub(super) fn excuses_duplicate(&self, seq: u64, times_ms: &[u64]) -> Option<&StaleResume> {
        self.resumes.iter().find(|s| {
            let before: Vec<u64> = times_ms.iter().copied().filter(|t| *t < s.at_ms).collect();
            let replayed = s.replayed.get(seq as usize).copied().unwrap_or(false);
            let rewound = s.rewound_ms.is_some_and(|r| before.iter().all(|t| *t >= r));
            times_ms.len() == 2 && before.len() == 1 && (replayed || rewound)
        })
    }
}
