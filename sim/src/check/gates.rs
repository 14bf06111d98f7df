//! The `coordinator` checker's gate rule (session 37): a log source passes a checkpoint gate only once a checkpoint it took at the gate has completed.
//!
//! A checkpoint gate (`gates = [{ after_records = N }]`, scenarios/README.md) is the harness's
//! copy of Flink's integration-test sources that emit a segment and then wait in
//! `notifyCheckpointComplete` for a checkpoint triggered after the segment: the source stops
//! after input #N and reads on once a checkpoint newer than its last snapshot before the gate
//! completed, which makes the job's output independent of the trigger phase (what the
//! real-Flink conformance jobs compare against). Judged per pass (`RunResult::gate_passes`):
//! some checkpoint newer than the last snapshot the source attempt had taken when it arrived
//! completed by the pass (its completion needed the source's snapshot, taken at the gate). Not
//! judged: an attempt that took no snapshot before arriving (a restored attempt passes on the
//! checkpoint it was restored from, and a first attempt has no older snapshot to confuse).

use super::*;
use ckptsim::CheckpointId;

/// Gate passes without a checkpoint taken at the gate completed by then. Returns the passes
/// judged.
pub(super) fn gates_pass_on_their_checkpoint(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    if run.gate_passes.is_empty() {
        return 0;
    }
    let completed: BTreeMap<CheckpointId, u64> = run
        .checkpoints
        .iter()
        .filter(|r| r.outcome == "COMPLETED")
        .filter_map(|r| r.end_ms.map(|end| (r.id, end)))
        .collect();
    let mut judged = 0;
    for g in &run.gate_passes {
        let Some(before) = g.snapshot_before else { continue };
        judged += 1;
        let at_gate = completed.range(CheckpointId(before.0 + 1)..).any(|(_, end)| *end <= g.at_ms);
        if !at_gate {
            let name = run.task_names.get(g.task.0 as usize).map_or("?", String::as_str);
            let text = format!(
                "t={} {name} (attempt {:?}) passed its gate after input #{} (waiting since t={}), but no checkpoint \
                 after its snapshot {before} had completed",
                g.at_ms, g.attempt, g.after, g.since_ms
            );
            anomalies.push(Finding::new("gate-passed-early", text).at(g.at_ms).with("task", name));
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `negative/gate-passes-on-older-checkpoint`: the planted source reads past its gate on the
    /// completion of the checkpoint it took before the gate; the correct one waits.
    #[test]
    fn a_source_that_reads_past_its_gate_early_is_named() {
        let file = "negative/gate-passes-on-older-checkpoint.toml";
        let rule =
            |_: &JobSpec, run: &RunResult, found: &mut Vec<Finding>| super::gates_pass_on_their_checkpoint(run, found);
        crate::check::test_runs::rule_names_the_plant(file, "gate-passed-early", rule);
    }
}
