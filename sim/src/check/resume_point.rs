//! The `retention` checker's resume rule (session 37): a new job started from what the ended job retained restores the newest of it, never an older retained checkpoint.
//!
//! `restore-retained` starts a new job from the newest of the checkpoints the ended job's
//! retention kept and the savepoints it took, and a rescale `from = "retained-checkpoint"` from
//! the newest retained checkpoint (scenarios/README.md; Flink's resume with `-s` on the newest
//! `chk-N`, whose store is the retained `CompletedCheckpointStore` and whose
//! `getLatestCheckpoint` is the last added). Where the ended job's retention policy kept its
//! checkpoints (RETAIN_ON_CANCELLATION on FAILED or CANCELED, RETAIN_ON_FAILURE on FAILED), the
//! newest checkpoint it completed is among them (the `retention` checker's end-of-job rule), so
//! the new job restores that checkpoint or a newer savepoint. A resume from an older one
//! replays records whose transactions the ended job committed, which `stale_resume` excuses as
//! the user's choice for a resume from a savepoint: here nobody chose it. Not judged: a rescale
//! from a savepoint, and a job whose policy retained nothing.

use super::*;
use crate::world::RestoreCause;

/// Each new job from the ended job's retained checkpoints restored at least the newest
/// checkpoint that job completed (when its retention kept checkpoints). Returns the new jobs
/// judged.
pub(super) fn new_jobs_resume_newest(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let mut judged = 0;
    for r in &run.restores {
        let retained_resume = match r.cause {
            RestoreCause::Retained { .. } => true,
            RestoreCause::Rescaled { from, .. } => from == crate::scenario::RescaleFrom::RetainedCheckpoint,
            _ => false,
        };
        if !retained_resume {
            continue;
        }
        let Some((started_ms, ended)) = ended_job(run, r.at_ms) else { continue };
        if !kept(spec.checkpoint.retention, ended) {
            continue;
        }
        let newest = run
            .checkpoints
            .iter()
            .filter(|c| c.outcome == "COMPLETED" && !c.savepoint)
            .filter(|c| c.trigger_ms >= started_ms && c.trigger_ms < r.at_ms)
            .map(|c| c.id)
            .max();
        let Some(newest) = newest else { continue };
        judged += 1;
        if r.checkpoint.is_none_or(|c| c < newest) {
            let restored = r.checkpoint.map_or("nothing".to_string(), |c| format!("checkpoint {c}"));
            let text = format!(
                "t={} {} restored {restored}, but the ended job ({ended}) retained its newest completed checkpoint {newest} \
                 (a resume from the retained checkpoints takes the newest)",
                r.at_ms, r.cause
            );
            anomalies.push(
                Finding::new("resume-not-newest", text)
                    .at(r.at_ms)
                    .with("restored", restored)
                    .with("newest", newest.to_string()),
            );
        }
    }
    judged
}

/// The job that ended before a new job started at `at_ms`: when it started (its CREATED after
/// the job before it ended, or 0) and the terminal status it ended in.
fn ended_job(run: &RunResult, at_ms: u64) -> Option<(u64, JobStatus)> {
    let before: Vec<&(u64, JobStatus)> = run.status_timeline.iter().filter(|(t, _)| *t <= at_ms).collect();
    // The new job's own CREATED is the last entry at `at_ms`; the ended job's status before it.
    let new_at = before.iter().rposition(|(t, s)| *t == at_ms && *s == JobStatus::Created)?;
    let ended = before[..new_at].last().map(|(_, s)| *s).filter(|s| s.is_globally_terminal())?;
    let started_ms = before[..new_at]
        .windows(2)
        .rev()
        .find(|w| w[0].1.is_globally_terminal() && w[1].1 == JobStatus::Created)
        .map(|w| w[1].0)
        .unwrap_or(0);
    Some((started_ms, ended))
}

/// Whether the retention policy keeps a job's checkpoints when it ends in `status`.
fn kept(retention: ckptsim::config::Retention, status: JobStatus) -> bool {
    use ckptsim::config::Retention;
    match retention {
        Retention::NoExternalizedCheckpoints => false,
        Retention::DeleteOnCancellation => status == JobStatus::Failed,
        Retention::RetainOnCancellation => matches!(status, JobStatus::Failed | JobStatus::Canceled),
    }
}

#[cfg(test)]
mod tests {
    /// The planted `resume-takes-oldest-retained` on `negative/resume-takes-oldest-retained`'s
    /// job is named; the correct protocol's resume from the newest passes.
    #[test]
    fn a_resume_from_an_older_retained_checkpoint_is_named() {
        let file = "negative/resume-takes-oldest-retained.toml";
        crate::check::test_runs::rule_names_the_plant(file, "resume-not-newest", super::new_jobs_resume_newest);
    }
}
