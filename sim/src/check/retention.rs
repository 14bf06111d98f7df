//! The `retention` checker: which of its own checkpoints a job leaves behind when it ends, per the retention policy.

use super::*;

/// Retention: which of its own checkpoints a job leaves behind when it ends (Flink's
/// `CheckpointRetentionPolicy` via `shouldBeDiscardedOnShutdown`): none by default
/// (NEVER_RETAIN_AFTER_TERMINATION); on FAILED only with RETAIN_ON_FAILURE; on FAILED or
/// CANCELED with RETAIN_ON_CANCELLATION; never after FINISHED. What is left is among the newest
/// `num_retained` completed checkpoints and includes the newest one. Only the job that ended
/// is judged: after a `restore-retained` or `rescale` the earlier job's checkpoints were
/// already handled when it ended (a new job from a savepoint whose restore is refused fails
/// with no checkpoint of its own, and leaves none).
pub fn retention(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "retention";
    use ckptsim::config::Retention;
    let status = run.final_status;
    if !matches!(status, JobStatus::Failed | JobStatus::Canceled | JobStatus::Finished) {
        return Verdict::skip(NAME, "job did not reach a globally terminal status");
    }
    let since_ms = last_job_start_ms(run);
    let own: BTreeSet<ckptsim::CheckpointId> = run
        .checkpoints
        .iter()
        .filter(|r| r.outcome == "COMPLETED" && !r.savepoint && r.trigger_ms >= since_ms)
        .map(|r| r.id)
        .collect();
    let retained: BTreeSet<ckptsim::CheckpointId> =
        run.retained.iter().copied().filter(|id| own.contains(id)).collect();
    let keep = match spec.checkpoint.retention {
        Retention::NoExternalizedCheckpoints => false,
        Retention::DeleteOnCancellation => status == JobStatus::Failed,
        Retention::RetainOnCancellation => matches!(status, JobStatus::Failed | JobStatus::Canceled),
    };
    let mut anomalies = Vec::new();
    let policy = format!("{:?}", spec.checkpoint.retention);
    if !keep && !retained.is_empty() {
        anomalies.push(format!("job ended {status} under {policy} but checkpoints {retained:?} were retained"));
    }
    if keep {
        // The store's newest `num_retained` entries; 1.11 keeps savepoints in the store too,
        // where they count toward the number (semantics §6: plain FIFO), so a savepoint may
        // have pushed the newest checkpoint out. Only checkpoints are the job's to retain.
        let savepoints_in_store = spec.profile.savepoints_in_completed_store();
        let window: Vec<(ckptsim::CheckpointId, bool)> = run
            .checkpoints
            .iter()
            .filter(|r| r.outcome == "COMPLETED" && r.trigger_ms >= since_ms && (!r.savepoint || savepoints_in_store))
            .map(|r| (r.id, r.savepoint))
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .rev()
            .take(spec.checkpoint.num_retained.max(1) as usize)
            .collect();
        let newest: Vec<ckptsim::CheckpointId> = window.iter().filter(|(_, sp)| !sp).map(|(id, _)| *id).collect();
        if let Some(latest) = window.first().filter(|(_, sp)| !sp).map(|(id, _)| id) {
            if !retained.contains(latest) {
                anomalies.push(format!(
                    "job ended {status} under {policy} but the newest completed checkpoint {latest} was discarded (retained {retained:?})"
                ));
            }
        }
        for id in &retained {
            if !newest.contains(id) {
                anomalies.push(format!(
                    "checkpoint {id} retained but it is not among the newest {} completed",
                    spec.checkpoint.num_retained
                ));
            }
        }
    }
    let summary = format!("job ended {status} under {policy}: retained {retained:?}");
    Verdict::from(NAME, anomalies, summary)
}

/// When the last job of the run started: the last CREATED of the status timeline that follows
/// a globally terminal status (a new job: `restore-retained`, `rescale`); 0 for the first job.
/// A JobManager failover is the same job (its status is not globally terminal before).
fn last_job_start_ms(run: &RunResult) -> u64 {
    run.status_timeline
        .windows(2)
        .rev()
        .find(|w| w[0].1.is_globally_terminal() && w[1].1 == JobStatus::Created)
        .map(|w| w[1].0)
        .unwrap_or(0)
}
