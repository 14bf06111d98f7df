//! The `retention` checker: which of its own checkpoints a job leaves behind when it ends, per the retention policy.

use super::*;

/// Retention: which of its own checkpoints a job leaves behind when it ends (Flink's
/// `CheckpointRetentionPolicy` via `shouldBeDiscardedOnShutdown`): none by default
/// (NEVER_RETAIN_AFTER_TERMINATION); on FAILED only with RETAIN_ON_FAILURE; on FAILED or
/// CANCELED with RETAIN_ON_CANCELLATION; never after FINISHED. What is left is among the newest
/// `num_retained` completed checkpoints and includes the newest one.
pub fn retention(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "retention";
    use ckptsim::config::Retention;
    let status = run.final_status;
    if !matches!(status, JobStatus::Failed | JobStatus::Canceled | JobStatus::Finished) {
        return Verdict::skip(NAME, "job did not reach a globally terminal status");
    }
    let own: BTreeSet<ckptsim::CheckpointId> =
        run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED" && !r.savepoint).map(|r| r.id).collect();
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
        let newest: Vec<ckptsim::CheckpointId> =
            own.iter().rev().take(spec.checkpoint.num_retained.max(1) as usize).copied().collect();
        if let Some(latest) = newest.first() {
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
