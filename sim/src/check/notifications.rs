//! The `coordinator` checker's notification rule (session 37): the coordinator notifies completion of completed checkpoints only, after their completion.
//!
//! Flink's `CheckpointCoordinator#completePendingCheckpoint` adds the checkpoint to the store,
//! aborts the older pending checkpoints it subsumes (`dropSubsumedCheckpoints`,
//! `CHECKPOINT_SUBSUMED`, each told to the tasks as `notifyCheckpointAborted`) and then sends
//! `notifyCheckpointComplete` for that checkpoint alone (`sendAcknowledgeMessages`). A task told
//! that an aborted checkpoint completed commits what that checkpoint never made durable (a
//! two-phase-commit sink its pre-committed transaction, a Kafka source the offsets of its
//! snapshot when the newer notification was lost). Judged from the coordinator's notifications
//! (`RunResult::notified_complete`, one per checkpoint) against the checkpoint rows: each names
//! a checkpoint whose row is COMPLETED at or before the notification.

use super::*;
use ckptsim::CheckpointId;

/// Notifications of checkpoints that did not complete (by then). Returns the notifications
/// judged.
pub(super) fn notified_only_completed(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let rows: BTreeMap<CheckpointId, &crate::world::CheckpointRow> =
        run.checkpoints.iter().map(|r| (r.id, r)).collect();
    for &(at_ms, id) in &run.notified_complete {
        let row = rows.get(&id);
        let completed_by = row.filter(|r| r.outcome == "COMPLETED").and_then(|r| r.end_ms);
        if completed_by.is_none_or(|end| end > at_ms) {
            let outcome = row.map_or("no such checkpoint", |r| r.outcome.as_str());
            let text = format!(
                "t={at_ms} notifyCheckpointComplete({id}) sent to the tasks, but checkpoint {id} did not complete by then ({outcome})"
            );
            anomalies.push(Finding::new("notified-not-completed", text).at(at_ms).with("checkpoint", id.to_string()));
        }
    }
    run.notified_complete.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planted `notifies-subsumed-complete` on `negative/notifies-subsumed-complete`'s job
    /// (checkpoint 3 overtaken by 4) is named; the correct protocol notifies completed ones only.
    #[test]
    fn a_subsumed_checkpoint_notified_as_completed_is_named() {
        let file = "negative/notifies-subsumed-complete.toml";
        let rule = |_: &JobSpec, run: &RunResult, found: &mut Vec<Finding>| super::notified_only_completed(run, found);
        crate::check::test_runs::rule_names_the_plant(file, "notified-not-completed", rule);
    }
}
