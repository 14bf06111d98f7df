//! Flink 1.11 restarts from a savepoint that completed after a newer checkpoint: the aborts of committed transactions and the duplicates Flink 1.11 itself shows there.
//!
//! In 1.11 a savepoint is forced, so a newer checkpoint's completion does not subsume it
//! (`CheckpointCoordinator#dropSubsumedCheckpoints` aborts only pending checkpoints whose
//! `PendingCheckpoint#canBeSubsumed`, i.e. not forced). A slow savepoint `S` can therefore
//! complete after checkpoints `S+1..N`, and `completePendingCheckpoint` appends it to the
//! completed-checkpoint store like any checkpoint (`StandaloneCompletedCheckpointStore
//! #addCheckpoint`, insertion order). A restart before the next checkpoint completes restores
//! the store's last entry (`CheckpointCoordinator#restoreLatestCheckpointedState` →
//! `CompletedCheckpointStore#getLatestCheckpoint(isPreferCheckpointForRecovery)`, which takes
//! the last added unless `execution.checkpointing.prefer-checkpoint-for-recovery`, off by
//! default): the savepoint, older than `N`.
//!
//! The two-phase-commit sink then does what its restored state says
//! (`TwoPhaseCommitSinkFunction#initializeState`): `recoverAndCommit` the savepoint's pending
//! transactions (already committed by `S+1`'s notification: Kafka leaves them as they are) and
//! `recoverAndAbort` the transaction that was open at the savepoint, which `S+1`'s
//! notification had committed (`FlinkKafkaProducer#recoverAndAbort` only calls
//! `initTransactions` on its transactional id, which leaves a committed transaction committed).
//! The sources restart at the savepoint's offsets, so the records `S+1..N` committed are
//! committed again. Exactly-once is lost by Flink 1.11 itself; the model restores what 1.11
//! restores (the `retention` checker judges that a restart takes the store's last entry).
//!
//! Later Flink does not show it: in 1.20 and 2.x `completePendingCheckpoint` adds no savepoint
//! to the store (`if (!props.isSavepoint())` around `addCompletedCheckpointToStoreAndSubsumeOldest`,
//! FLINK-25191; `Profile::savepoints_in_completed_store`), so a restart restores the
//! newest checkpoint. The `exactly-once` checker names these anomalies "expected by
//! flink-1.11" only under that profile and only for a restart (`RestoreCause::Restart`) that
//! restored such an overtaken checkpoint after a newer one completed: an abort of a committed
//! transaction by the restart's recovery (before its first checkpoint completes), and an input
//! committed twice, once before the restart and once after it from a log position at or after
//! the restored offset. A JobManager failover (1.11's ZooKeeper store recovers its entries
//! sorted by id), a new job, another profile and anything else stay judged strictly. Each such
//! restart is an excused replay (`excused_replay.rs`, shared with `stale_resume.rs`).

use super::excused_replay::{ExcusedReplay, ExcusedReplays, ReplayKind};
use super::overtaken_checkpoints;
use crate::spec::JobSpec;
use crate::world::{RestoreCause, RunResult};
use ckptsim::ids::CheckpointId;

/// The flink-1.11 restarts of `run` that restored a checkpoint (a savepoint) a newer checkpoint
/// had overtaken, as excused replays (`excused_replay.rs`); none but under a profile whose
/// store holds savepoints.
pub(super) fn overtaken_restarts(spec: &JobSpec, run: &RunResult) -> ExcusedReplays {
    if !spec.profile.savepoints_in_completed_store() {
        return ExcusedReplays { replays: Vec::new() };
    }
    let overtaken = overtaken_checkpoints(run);
    let completed_ends: Vec<(CheckpointId, u64)> =
        run.checkpoints.iter().filter(|c| c.outcome == "COMPLETED").filter_map(|c| Some((c.id, c.end_ms?))).collect();
    let replays = run
        .restores
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let RestoreCause::Restart { .. } = r.cause else { return None };
            let restored = r.checkpoint.filter(|c| overtaken.contains(c))?;
            let newer =
                completed_ends.iter().filter(|(id, end)| *id > restored && *end <= r.at_ms).map(|c| c.0).max()?;
            let next_restore = run.restores.get(i + 1).map_or(u64::MAX, |n| n.at_ms);
            let first_completion =
                completed_ends.iter().map(|c| c.1).filter(|end| *end > r.at_ms).min().unwrap_or(u64::MAX);
            let kind = ReplayKind::OvertakenRestart { recovered_ms: next_restore.min(first_completion) };
            Some(ExcusedReplay::new(spec, r, (restored, newer), kind))
        })
        .collect();
    ExcusedReplays { replays }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::test_runs::{scenario, verdict_of};

    /// Swarm seed 9513 of `faults/savepoint-overtaken-broker-down-print-1.11` (a 2PC sink drawn):
    /// savepoint 7 completes after checkpoints 8-10, a restart restores it, its recovery aborts
    /// the transactions checkpoint 8's notification committed and the replay commits inputs
    /// again. Under flink-1.11 that is Flink's own (named, PASS); the same run read as a 2.x
    /// job's (whose store holds no savepoint, so no restart restores one) is judged strictly,
    /// and so is the same restore as a JobManager failover's.
    #[test]
    fn a_1_11_restart_from_an_overtaken_savepoint_is_named_and_judged_strictly_elsewhere() {
        let (spec, _) =
            crate::tools::swarm::draw(&scenario("faults/savepoint-overtaken-broker-down-print-1.11.toml"), 9513);
        let run = crate::world::run(&spec, 9513);
        let overtaken = overtaken_restarts(&spec, &run);
        assert_eq!(overtaken.replays.len(), 1, "one restart from the overtaken savepoint");
        let o = &overtaken.replays[0];
        assert!(o.restored < o.newer, "{o:?}");
        let aborts = run.sink_anomalies.iter().filter(|a| overtaken.excuses_abort(a)).count();
        assert!(aborts > 0, "the recovery aborted a committed transaction");
        let v = verdict_of(&spec, &run, "exactly-once");
        assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
        assert!(
            v.summary.contains("expected by flink-1.11") && v.summary.contains(": 45 inputs committed again"),
            "{}",
            v.summary
        );
        let mut as_2x = spec.clone();
        as_2x.profile = ckptsim::profile::Profile::Flink23;
        assert!(overtaken_restarts(&as_2x, &run).replays.is_empty());
        let v = verdict_of(&as_2x, &run, "exactly-once");
        assert_eq!(v.passed, Some(false), "{}", v.summary);
        let mut failover = run.clone();
        failover.restores[0].cause = RestoreCause::JobManagerFailover { epoch: 2 };
        assert!(overtaken_restarts(&spec, &failover).replays.is_empty(), "a failover is not excused");
        assert_eq!(verdict_of(&spec, &failover, "exactly-once").passed, Some(false));
    }
}
