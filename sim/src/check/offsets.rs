//! The `offsets` checker: offsets are committed to the broker only after the checkpoint holding them completed, never backwards, equal to a completed checkpoint's positions.

use super::*;
use ckptsim::source::StartupMode;

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
    // Kafka keeps the last commit, whoever made it, and Flink commits forward only within one
    // execution of the sources: the monotonic rule starts over at a restore, from the position
    // the new execution starts at (below it is still backwards). See `rebase`.
    let auto_commit = spec.kafka_auto_commit();
    let mut restores = run.restores.iter().peekable();
    let mut committed: BTreeMap<ckptsim::PartitionId, u64> = BTreeMap::new();
    // 2.x `group-offsets`: per partition, the committed offset its split resolved while still at
    // the `COMMITTED_OFFSET` marker (None once a restore gave it a real offset). A commit of
    // exactly that offset is a split that emitted no record since: reading moves it above.
    let mut marker = group_markers(spec);
    let (mut rebased, mut restarted) = (0usize, 0usize);
    for (i, c) in run.offset_commits.iter().enumerate().filter(|(_, c)| c.accepted) {
        // A restore is ordered against the commits by how many were recorded before it, not by
        // time: the ended job's last commit and the new job's start can share a millisecond,
        // and the old commit must not count as the new job's.
        while let Some(r) = restores.next_if(|r| r.commits_before <= i) {
            for (p, start) in rebase(spec, r, auto_commit, &high, &committed) {
                if high.get(&p).is_some_and(|h| *h > start) {
                    *(if r.cause.is_new_job() { &mut rebased } else { &mut restarted }) += 1;
                }
                high.insert(p, start);
            }
            remark(r, &committed, &mut marker);
        }
        let at_marker = marker.get(&c.partition).copied().flatten() == Some(c.offset.0);
        committed.insert(c.partition, c.offset.0);
        // Flink commits the offset after a record it processed (2.x skips a split still at its
        // startup marker, 1.11 filters its never-read sentinel): a checkpoint's commit of
        // offset 0 is a partition the source never read. Except a 2.x `latest` split: the
        // enumerator resolved its end offset (`LatestOffsetsInitializer`), a real offset that
        // `KafkaSourceReader#snapshotState` commits read or not, 0 for an empty partition.
        let latest_is_real =
            !spec.profile.kafka_state_is_last_read() && spec.startup_of(c.partition.0) == Some(StartupMode::Latest);
        if at_marker && c.offset.0 > 0 && !c.periodic {
            anomalies.push(marker_commit(c));
        }
        if c.offset.0 == 0 && !c.periodic && !latest_is_real {
            anomalies.push(zero_commit(c));
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
    if restarted > 0 {
        summary.push_str(&format!(
            "; expected by Flink: {restarted} partition(s) committed from a restart's lower start position (no \
             completed checkpoint: the startup mode; auto-commit: the restored offsets)"
        ));
    }
    Verdict::from(NAME, anomalies, summary)
}

/// The partitions whose monotonic floor restore `r` moves, each to the offset its new execution
/// starts at (Flink's rules, from the configuration, never from what the model's sources did):
/// * a new job (resumed from a retained checkpoint or savepoint, or rescaled) starts at the
///   restored offsets, which can be older than the ended job's last commit (`stale_resume.rs`);
/// * a restore without a completed checkpoint starts every partition at its source's startup
///   mode: 1.11 `FlinkKafkaConsumerBase#initializeState` finds no restored state and `open`
///   seeds the partitions from `startupMode`; 2.x: a failed reader's splits go back to the
///   enumerator as assigned (`SourceCoordinator#subtaskReset`, `addSplitsBack`), whose
///   `earliest`/committed starting offsets are markers the reader resolves again, and a new
///   enumerator (`resetToCheckpoint` without data) assigns them from the `OffsetsInitializer`. `earliest`: offset 0; `group-offsets`: the committed offset
///   (nothing moves back); `latest`: the log end, at or above every commit (unchanged);
/// * with Kafka's auto-commit (`KAFKA_PERIODIC`, checkpointing off) a restart from a checkpoint
///   (a savepoint) starts the consumer at the restored offsets and auto-commits from there.
///
/// A restart from a checkpoint with commits on checkpoints moves nothing: it restores the latest
/// completed checkpoint, whose offsets are the newest a completion committed.
fn rebase(
    spec: &JobSpec,
    r: &crate::world::RestoreRecord,
    auto_commit: bool,
    high: &BTreeMap<ckptsim::PartitionId, u64>,
    committed: &BTreeMap<ckptsim::PartitionId, u64>,
) -> Vec<(ckptsim::PartitionId, u64)> {
    if r.checkpoint.is_some() {
        return if r.cause.is_new_job() || auto_commit {
            r.offsets.iter().map(|(p, o)| (*p, o.0)).collect()
        } else {
            Vec::new()
        };
    }
    // Group offsets without a commit fall back to the earliest offset (semantics §5).
    high.keys()
        .filter_map(|p| match spec.startup_of(p.0)? {
            StartupMode::Earliest => Some((*p, 0)),
            StartupMode::GroupOffsets => Some((*p, committed.get(p).copied().unwrap_or(0))),
            StartupMode::Latest => None,
        })
        .collect()
}

/// 2.x `group-offsets` partitions at the job's first start: every split holds the
/// `COMMITTED_OFFSET` marker, resolved to the group's committed offset (none: the broker starts
/// empty, so 0, which the offset-0 rule already covers). Empty under 1.11, whose consumer thread
/// resolves the sentinel to a real offset it commits (`KafkaConsumerThread#reassignPartitions`).
fn group_markers(spec: &JobSpec) -> BTreeMap<ckptsim::PartitionId, Option<u64>> {
    let crate::spec::InputSpec::Log { partitions, .. } = &spec.input else { return BTreeMap::new() };
    if spec.profile.kafka_state_is_last_read() {
        return BTreeMap::new();
    }
    (0..*partitions)
        .map(ckptsim::PartitionId)
        .filter(|p| spec.startup_of(p.0) == Some(StartupMode::GroupOffsets))
        .map(|p| (p, Some(0)))
        .collect()
}

/// At restore `r`, each 2.x `group-offsets` split the new execution starts at the marker
/// resolves the group's committed offset again: all of them without a checkpoint (the
/// enumerator's or a fresh reader's markers), and those the restored checkpoint holds at the
/// marker (no position in `r.offsets`) with one. A split restored with a real offset is no
/// marker until the next restore without it.
fn remark(
    r: &crate::world::RestoreRecord,
    committed: &BTreeMap<ckptsim::PartitionId, u64>,
    marker: &mut BTreeMap<ckptsim::PartitionId, Option<u64>>,
) {
    for (p, m) in marker.iter_mut() {
        let at_marker = r.checkpoint.is_none() || !r.offsets.contains_key(p);
        *m = at_marker.then(|| committed.get(p).copied().unwrap_or(0));
    }
}

/// The unread-partition finding of a 2.x commit of the committed offset a group-offsets split
/// resolved at its marker.
fn marker_commit(c: &crate::world::OffsetCommit) -> Finding {
    Finding::new(
        "offset-unread-partition",
        format!(
            "t={} offset {} committed for {} by {}: the split started from the group's committed offset \
             and emitted no record since (Flink 2.x keeps it at the COMMITTED_OFFSET marker and commits \
             nothing for it)",
            c.time_ms, c.offset.0, c.partition, c.task
        ),
    )
    .at(c.time_ms)
}

/// The unread-partition finding of a checkpoint's commit of offset 0.
fn zero_commit(c: &crate::world::OffsetCommit) -> Finding {
    Finding::new(
        "offset-unread-partition",
        format!(
            "t={} offset 0 committed for {} by {}: the source has not read the partition (Flink \
             commits only the offset after a processed record)",
            c.time_ms, c.partition, c.task
        ),
    )
    .at(c.time_ms)
}
