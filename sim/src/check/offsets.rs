//! The `offsets` checker: offsets are committed to the broker only after the checkpoint holding them completed, never backwards, equal to a completed checkpoint's positions.

use super::*;

/// Offsets: committed to the broker only after the checkpoint holding them completed, never
/// backwards, equal to a completed checkpoint's positions, never for a partition the source
/// has not read (offset 0).
pub fn offsets(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "offsets";
    if !spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. })) {
        return Verdict::skip(NAME, "no partitioned-log source");
    }
    let mut anomalies = Vec::new();
    let mut high: BTreeMap<ckptsim::PartitionId, u64> = BTreeMap::new();
    // (partition, offset) -> the earliest completion of a checkpoint holding it: one pass
    // over the checkpoints instead of one per commit (that made the checker quadratic).
    let mut first_holder: BTreeMap<(ckptsim::PartitionId, ckptsim::Offset), u64> = BTreeMap::new();
    for row in run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED") {
        let (Some(end), Some(offsets)) = (row.end_ms, run.completed_offsets.get(&row.id)) else { continue };
        for (p, o) in offsets {
            let e = first_holder.entry((*p, *o)).or_insert(end);
            *e = (*e).min(end);
        }
    }
    // A new job (resumed from a retained checkpoint or savepoint, or rescaled) commits the
    // offsets of its own checkpoints, which start at the restored positions: Kafka keeps the
    // last commit, whoever made it, so a new job resumed from a checkpoint older than the
    // ended job's last commits lower offsets than that job did (Flink's behaviour; see
    // `stale_resume.rs`). The monotonic rule restarts at each new job from its restored
    // offsets (below them is still backwards). A restore is ordered against the commits by
    // how many were recorded before it, not by time: the ended job's last commit and the new
    // job's start can share a millisecond, and the old commit must not count as the new job's.
    let mut new_jobs = run.restores.iter().filter(|r| r.cause.is_new_job()).peekable();
    let mut rebased = 0usize;
    for (i, c) in run.offset_commits.iter().enumerate().filter(|(_, c)| c.accepted) {
        while let Some(r) = new_jobs.next_if(|r| r.commits_before <= i) {
            for (p, o) in &r.offsets {
                if high.get(p).is_some_and(|h| *h > o.0) {
                    rebased += 1;
                }
                high.insert(*p, o.0);
            }
        }
        // Flink commits the offset after a record it processed (2.x skips a split still at its
        // startup marker, 1.11 filters its never-read sentinel): a checkpoint's commit of
        // offset 0 is a partition the source never read.
        if c.offset.0 == 0 && !c.periodic {
            anomalies.push(
                Finding::new(
                    "offset-unread-partition",
                    format!(
                        "t={} offset 0 committed for {} by {}: the source has not read the partition (Flink \
                         commits only the offset after a processed record)",
                        c.time_ms, c.partition, c.task
                    ),
                )
                .at(c.time_ms),
            );
        }
        // Completed (by this time) checkpoints that hold exactly this offset.
        let ok = first_holder.get(&(c.partition, c.offset)).is_some_and(|e| *e <= c.time_ms);
        if !ok && !c.periodic {
            anomalies.push(
                Finding::new(
                    "offset-before-completion",
                    format!(
                        "t={} offset committed before its checkpoint completed: {} {} by {} (no completed checkpoint holds it)",
                        c.time_ms, c.partition, c.offset, c.task
                    ),
                )
                .at(c.time_ms),
            );
        }
        let h = high.entry(c.partition).or_default();
        if c.offset.0 < *h {
            anomalies.push(
                Finding::new(
                    "offset-backwards",
                    format!(
                        "t={} non-monotonic offset: {} went back from {} to {}",
                        c.time_ms, c.partition, h, c.offset.0
                    ),
                )
                .at(c.time_ms),
            );
        }
        *h = (*h).max(c.offset.0);
    }
    let n = run.offset_commits.len();
    let mut summary = format!("{n} offset commits, each after its checkpoint completed");
    if rebased > 0 {
        summary.push_str(&format!(
            "; expected by Flink: {rebased} partition(s) committed from a new job's older restored offsets"
        ));
    }
    Verdict::from(NAME, anomalies, summary)
}
