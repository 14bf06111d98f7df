//! The `offsets` checker's partition rule (session 39): every partition a restore started the sources from is still read, i.e. held by the first checkpoint that completes after the restore.
//!
//! Flink keeps a Kafka source's position per partition in the sources' state (2.x: the
//! `SourceOperator`'s split list state, dealt out round robin on a rescale by
//! `RoundRobinOperatorStateRepartitioner#repartitionSplitState`; 1.11: `FlinkKafkaConsumerBase`'s
//! union list state, each subtask keeping the partitions `KafkaTopicPartitionAssigner` gives it).
//! Every split a reader holds is in its next snapshot (`KafkaSourceReader#snapshotState`), and
//! the enumerator never hands a partition it assigned out again (`KafkaSourceEnumState`,
//! `KafkaSourceEnumerator#getPartitionChange`): a partition the restored checkpoint held that no
//! reader holds after the restore is read by no one, and its records after the restored offset
//! are lost without any output rule seeing it (no later checkpoint covers them, so they are
//! never due). Judged: per restore from a checkpoint, the first checkpoint that completes after
//! it and before the next restore holds every partition the restore's offsets name
//! (`partition-unread-after-restore`; the planted `source-splits-by-subtask`).
//!
//! Not judged, and why: jobs with a bounded log source (a 2.x source subtask that FINISHED
//! stores no splits, FLIP-147, so a later checkpoint may lack its partitions legitimately);
//! restores without a checkpoint (no offsets); later checkpoints than the first after each
//! restore (the first already shows the hand-off); a split still at its committed-offset
//! marker (it holds no position, in the restore's offsets nor in the checkpoint's).

use super::*;

/// Partitions a restore started from that the first checkpoint completed after it does not
/// hold. Returns the restores judged.
pub(super) fn restored_partitions_read(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let bounded = spec.input_options.bounded || spec.operators.iter().any(|o| o.bounded);
    if bounded {
        return 0;
    }
    let completed: Vec<(ckptsim::CheckpointId, u64)> =
        run.checkpoints.iter().filter(|c| c.outcome == "COMPLETED").filter_map(|c| Some((c.id, c.end_ms?))).collect();
    let mut judged = 0;
    for (i, r) in run.restores.iter().enumerate() {
        if r.checkpoint.is_none() || r.offsets.is_empty() {
            continue;
        }
        let next_restore = run.restores.get(i + 1).map_or(u64::MAX, |n| n.at_ms);
        let Some((id, end)) = completed.iter().find(|(_, end)| *end > r.at_ms && *end < next_restore) else {
            continue;
        };
        let Some(held) = run.completed_offsets.get(id) else { continue };
        judged += 1;
        let missing: Vec<String> = r.offsets.keys().filter(|p| !held.contains_key(p)).map(|p| p.to_string()).collect();
        if !missing.is_empty() {
            let text = format!(
                "t={end} checkpoint {} holds no position for partition(s) {} that the restore at t={} started \
                 from (checkpoint {}): no source subtask reads them (Flink deals every split out again on a \
                 restore, and its enumerator hands none it assigned out again)",
                id.0,
                missing.join(", "),
                r.at_ms,
                r.checkpoint.map_or(0, |c| c.0)
            );
            anomalies.push(Finding::new("partition-unread-after-restore", text).at(*end));
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planted hand-off leaves a partition unread and is named; the correct one holds every
    /// partition and is judged too.
    #[test]
    fn a_partition_dropped_by_the_hand_off_is_named() {
        let file = "negative/source-splits-by-subtask.toml";
        let [(spec, planted), (correct_spec, correct)] = crate::check::test_runs::planted_and_correct(file);
        let mut found = Vec::new();
        assert!(restored_partitions_read(&spec, &planted, &mut found) > 0, "judged");
        assert!(
            !found.is_empty() && found.iter().all(|f| f.kind.as_deref() == Some("partition-unread-after-restore")),
            "{found:?}"
        );
        let mut none = Vec::new();
        assert!(restored_partitions_read(&correct_spec, &correct, &mut none) > 0, "the correct run judged");
        assert!(none.is_empty(), "the correct hand-off: {none:?}");
    }

    /// A bounded source is not judged (a FINISHED 2.x subtask stores no splits).
    #[test]
    fn a_bounded_source_is_not_judged() {
        let [(mut spec, planted), _] =
            crate::check::test_runs::planted_and_correct("negative/source-splits-by-subtask.toml");
        spec.input_options.bounded = true;
        let mut found = Vec::new();
        assert_eq!(restored_partitions_read(&spec, &planted, &mut found), 0);
        assert!(found.is_empty());
    }
}
