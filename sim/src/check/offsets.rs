//! The `offsets` checker: offsets are committed to the broker only after the checkpoint holding them completed, never backwards, equal to a completed checkpoint's positions.
//!
//! Two never-backwards rules. The broker's: the offsets the broker *accepted* for a partition
//! never go back, except where a restore starts the sources lower (`rebase`). The source's
//! (session 33): within one execution of the sources (from one restore to the next), the commit
//! *attempts* of one source subtask for one partition, accepted or refused by the broker, never
//! go below an earlier attempt that dropped the older offsets to commit. Flink commits at a
//! completion the offsets of the notified checkpoint's snapshot and drops every older entry of
//! its offsets to commit: 1.11 `FlinkKafkaConsumerBase#notifyCheckpointComplete` removes the
//! entries inserted before it whatever the commit's outcome (every attempt is a floor); 2.x
//! `KafkaSourceReader#notifyCheckpointComplete` removes the entries up to it
//! (`removeAllOffsetsToCommitUpToCheckpoint`) only in the commit's success callback, so after
//! a refused commit an older checkpoint's late notification may still commit its offsets (only
//! accepted attempts are a floor). Judged on refused attempts too, the rule catches a source that
//! keeps older offsets (the planted `notify-keeps-older-offsets`) when its backwards commit meets
//! a broker outage (`faults/savepoint-overtaken-broker-down-print-1.11.toml`).

use super::*;
use ckptsim::source::StartupMode;

/// Offsets: committed to the broker only after the checkpoint holding them completed, never
/// backwards (the broker's committed offsets, and each source subtask's commit attempts within
/// one execution), equal to a completed checkpoint's positions, never for a partition the
/// source has not read (offset 0).
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
    let mut attempts = Attempts::new(spec);
    let overtaken = super::overtaken_checkpoints(run);
    // Every attempt, accepted or refused: what the source sent is judged whatever the broker
    // answered; the broker's committed offsets and never-backwards rule follow accepted ones.
    for (i, c) in run.offset_commits.iter().enumerate() {
        // A restore is ordered against the commits by how many were recorded before it, not by
        // time: the ended job's last commit and the new job's start can share a millisecond,
        // and the old commit must not count as the new job's.
        while let Some(r) = restores.next_if(|r| r.commits_before <= i) {
            for (p, start) in rebase(spec, r, (auto_commit, &overtaken), &high, &committed) {
                if high.get(&p).is_some_and(|h| *h > start) {
                    *(if r.cause.is_new_job() { &mut rebased } else { &mut restarted }) += 1;
                }
                high.insert(p, start);
            }
            remark(r, &committed, &mut marker);
            attempts.restore();
        }
        let at_marker = marker.get(&c.partition).copied().flatten() == Some(c.offset.0);
        if c.accepted {
            committed.insert(c.partition, c.offset.0);
        }
        judge_sent(spec, c, at_marker, &first_holder, &mut anomalies);
        let broker_backwards = c.accepted && high.get(&c.partition).is_some_and(|h| c.offset.0 < *h);
        if broker_backwards {
            let h = high[&c.partition];
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
        // One finding per commit: an accepted one already named above is not named again.
        attempts.judge(c, !broker_backwards, &mut anomalies);
        if c.accepted {
            let h = high.entry(c.partition).or_default();
            *h = (*h).max(c.offset.0);
        }
    }
    // Session 39: every partition a restore started from is still read (`restored_partitions.rs`).
    super::restored_partitions::restored_partitions_read(spec, run, &mut anomalies);
    let n = run.offset_commits.len();
    let refused = run.offset_commits.iter().filter(|c| !c.accepted).count();
    let mut summary =
        format!("{n} offset commit attempts ({refused} refused by the broker), each after its checkpoint completed");
    if rebased > 0 {
        summary.push_str(&format!(
            "; expected by Flink: {rebased} partition(s) committed from a new job's older restored offsets"
        ));
    }
    if restarted > 0 {
        summary.push_str(&format!(
            "; expected by Flink: {restarted} partition(s) committed from a restart's lower start position (no \
             completed checkpoint: the startup mode; auto-commit, or a checkpoint that completed after a newer \
             one: the restored offsets)"
        ));
    }
    Verdict::from(NAME, anomalies, summary)
}

/// What the source sent, judged whatever the broker answered: an offset a completed checkpoint
/// held by then (`first_holder`: (partition, offset) -> its earliest completion), never a
/// partition the source has not read (offset 0, or a 2.x split still `at_marker`).
fn judge_sent(
    spec: &JobSpec,
    c: &crate::world::OffsetCommit,
    at_marker: bool,
    first_holder: &BTreeMap<(ckptsim::PartitionId, ckptsim::Offset), u64>,
    anomalies: &mut Vec<Finding>,
) {
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
}

/// The source's never-backwards rule (module doc): per (source subtask, partition), the floor
/// of this execution's commit attempts, cleared at every restore (a new execution starts from
/// what it restored or from its startup mode; the broker's rule judges that start).
struct Attempts {
    /// Whether a refused commit still dropped the older offsets to commit (1.11: pruned at the
    /// notification, before the commit; 2.x: only in the success callback).
    refused_prunes: bool,
    /// Per (task, partition): the highest attempt that dropped the older entries.
    floor: BTreeMap<(ckptsim::TaskId, ckptsim::PartitionId), u64>,
}

impl Attempts {
    fn new(spec: &JobSpec) -> Attempts {
        Attempts { refused_prunes: !spec.profile.kafka_refused_commit_keeps_older_offsets(), floor: BTreeMap::new() }
    }

    /// A restore: the sources start a new execution.
    fn restore(&mut self) {
        self.floor.clear();
    }

    /// Judges attempt `c` against its floor (a finding only when `report`), then raises the floor
    /// where `c` dropped the older offsets to commit: a refused commit keeps them under 2.x, and
    /// Kafka's periodic auto-commit sends the consumer's positions, which never go back.
    fn judge(&mut self, c: &crate::world::OffsetCommit, report: bool, anomalies: &mut Vec<Finding>) {
        let key = (c.task, c.partition);
        if let Some(floor) = self.floor.get(&key).copied().filter(|f| c.offset.0 < *f) {
            if report {
                let answer = if c.accepted { "accepted" } else { "refused by the broker" };
                let text = format!(
                    "t={} commit attempt went backwards: {} committed {} {} ({answer}) after an attempt of {floor} in \
                     the same execution; Flink drops the older offsets to commit when a checkpoint's commit is made",
                    c.time_ms, c.task, c.partition, c.offset.0
                );
                anomalies.push(Finding::new("offset-backwards", text).at(c.time_ms));
            }
            return;
        }
        if c.accepted || c.periodic || self.refused_prunes {
            self.floor.insert(key, c.offset.0);
        }
    }
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
/// * a restart from a checkpoint that completed after a newer one (`overtaken`): a 1.11
///   savepoint, which a newer checkpoint's completion does not subsume, completes after it and
///   is appended last to the store (`StandaloneCompletedCheckpointStore#addCheckpoint`), so a
///   restart restores it (`getLatestCheckpoint`, the last added) and the sources start at its
///   offsets, older than the newer checkpoint's commit (swarm seed 7297 of
///   `faults/savepoint-overtaken-print-1.11.toml`, session 36). Which checkpoint a restart
///   restores is the `retention` checker's rule.
///
/// Any other restart from a checkpoint with commits on checkpoints moves nothing: it restores
/// the latest completed checkpoint, whose offsets are the newest a completion committed.
fn rebase(
    spec: &JobSpec,
    r: &crate::world::RestoreRecord,
    (auto_commit, overtaken): (bool, &BTreeSet<ckptsim::CheckpointId>),
    high: &BTreeMap<ckptsim::PartitionId, u64>,
    committed: &BTreeMap<ckptsim::PartitionId, u64>,
) -> Vec<(ckptsim::PartitionId, u64)> {
    if let Some(c) = r.checkpoint {
        return if r.cause.is_new_job() || auto_commit || overtaken.contains(&c) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::OffsetCommit;
    use ckptsim::profile::Profile;
    use ckptsim::{Offset, PartitionId};

    /// Seed 001's run without its restores and commits, and three increasing positive offsets of
    /// one partition that completed checkpoints hold, with a time after every completion.
    fn held_offsets() -> (JobSpec, RunResult, OffsetCommit, [u64; 3]) {
        let (spec, mut run, _) = super::super::forms_tests::seed_run("001-kafka-offsets.toml");
        let template = run.offset_commits.last().cloned().expect("the run commits offsets");
        let p: PartitionId = template.partition;
        let held: BTreeSet<u64> =
            run.completed_offsets.values().filter_map(|m| m.get(&p)).map(|o| o.0).filter(|o| *o > 0).collect();
        let held: Vec<u64> = held.into_iter().collect();
        assert!(held.len() >= 3, "three held offsets of {p}: {held:?}");
        let after = run.checkpoints.iter().filter_map(|r| r.end_ms).max().unwrap_or(0) + 1;
        run.offset_commits.clear();
        run.restores.clear();
        let template = OffsetCommit { time_ms: after, periodic: false, accepted: true, ..template };
        (spec, run, template, [held[0], held[1], held[2]])
    }

    /// `run` with `commits` (offset, accepted) of the template's task and partition appended, one
    /// ms apart; the `offsets` findings under `profile`.
    fn judged(
        spec: &JobSpec,
        run: &RunResult,
        c: &OffsetCommit,
        commits: &[(u64, bool)],
        profile: Profile,
    ) -> Vec<Finding> {
        let mut spec = spec.clone();
        spec.profile = profile;
        let mut run = run.clone();
        for (i, (o, accepted)) in commits.iter().enumerate() {
            let time_ms = c.time_ms + i as u64;
            run.offset_commits.push(OffsetCommit { time_ms, offset: Offset(*o), accepted: *accepted, ..c.clone() });
        }
        offsets(&spec, &run).anomalies
    }

    /// A backwards attempt the broker refused: the broker's offsets never moved back, so only
    /// the attempt rule names it, under both profiles (after an accepted attempt).
    #[test]
    fn a_refused_backwards_attempt_is_named() {
        let (spec, run, c, [low, _, high]) = held_offsets();
        for profile in [Profile::Flink111, Profile::Flink23] {
            let found = judged(&spec, &run, &c, &[(high, true), (low, false)], profile);
            assert_eq!(found.len(), 1, "{profile:?}: {found:?}");
            assert_eq!(found[0].kind.as_deref(), Some("offset-backwards"));
            let want = format!("committed {} {low} (refused by the broker) after an attempt of {high}", c.partition);
            assert!(found[0].text.contains(&want), "{}", found[0].text);
            assert!(judged(&spec, &run, &c, &[(low, true), (high, false)], profile).is_empty(), "forward is legal");
        }
    }

    /// After a refused commit, 2.x keeps the older offsets to commit (`KafkaSourceReader` prunes
    /// in the success callback), so an older checkpoint's commit may follow; 1.11 pruned them at
    /// the notification, so it may not. A restore starts a new sequence under both.
    #[test]
    fn a_refused_attempt_is_a_floor_under_1_11_only() {
        let (spec, mut run, c, [low, mid, high]) = held_offsets();
        let commits = [(low, true), (high, false), (mid, true)];
        let found = judged(&spec, &run, &c, &commits, Profile::Flink111);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].text.contains(&format!("{mid} (accepted) after an attempt of {high}")), "{}", found[0].text);
        assert!(judged(&spec, &run, &c, &commits, Profile::Flink23).is_empty());
        // A restore (from the checkpoint holding `high`) between the refused and the lower attempt.
        let cp = *run.completed_offsets.keys().last().expect("a completed checkpoint");
        run.restores.push(crate::world::RestoreRecord {
            at_ms: c.time_ms + 1,
            cause: crate::world::RestoreCause::Restart { attempt: 1 },
            checkpoint: Some(cp),
            offsets: BTreeMap::new(),
            keyed: BTreeMap::new(),
            commits_before: 2,
        });
        assert!(judged(&spec, &run, &c, &commits, Profile::Flink111).is_empty(), "a restore starts over");
    }
}
