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
//! Each is an excused replay (`excused_replay.rs`: the type, what it excuses, the wording, and
//! what it does not judge, shared with `overtaken_restore.rs`).

use super::excused_replay::{ExcusedReplay, ExcusedReplays, ReplayKind};
use crate::spec::JobSpec;
use crate::world::{RestoreCause, RunResult};
use ckptsim::status::JobStatus;

/// The stale resumes of `run`: each new job resumed from a checkpoint older than one the ended
/// job completed, as an excused replay (`excused_replay.rs`).
pub(super) fn stale_resumes(spec: &JobSpec, run: &RunResult) -> ExcusedReplays {
    let replays = run
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
                run.status_timeline.iter().filter(|(t, s)| *t <= r.at_ms && *s == JobStatus::Created).count() as u32;
            // When the ended job first went back behind the restored checkpoint after that
            // checkpoint completed: a restart or failover that restored an older checkpoint or
            // none (a savepoint is not used for failover in 2.x,
            // `CheckpointCoordinator#completePendingCheckpoint`). From then on the ended job
            // re-produced, in transactions of its own, inputs whose output the restored
            // checkpoint holds in its pre-committed transaction, which the new job's recovery
            // commits (`TwoPhaseCommitSinkFunction#initializeState`): a second copy Flink itself
            // writes (session 24, `kafka/group-offsets-marker-savepoint-23.toml` swarm seed 3056).
            let completed_ms = run.checkpoints.iter().find(|c| c.id == checkpoint).and_then(|c| c.end_ms);
            let rewound_ms = completed_ms.and_then(|done| {
                run.restores
                    .iter()
                    .filter(|b| b.at_ms >= done && b.at_ms < r.at_ms && b.checkpoint.is_none_or(|c| c < checkpoint))
                    .map(|b| b.at_ms)
                    .min()
            });
            Some(ExcusedReplay::new(spec, r, (checkpoint, newer), ReplayKind::StaleResume { epoch, rewound_ms }))
        })
        .collect();
    ExcusedReplays { replays }
}
