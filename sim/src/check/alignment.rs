//! The `alignment` checker: every checkpoint is a consistent cut of every data channel (aligned: nothing after a barrier processed before the snapshot; unaligned: the records the barrier overtook are exactly the channel state).

use super::*;
use crate::world::{BarrierCut, SnapshotCut};

/// At most this many anomaly lines (a broken handler breaks every checkpoint).
const MAX_LINES: usize = 20;

/// Alignment: for every task snapshot that completed (acked or not) and every input channel
/// whose upstream sent a barrier for that checkpoint, with `sent` the records the upstream
/// wrote to the channel before its barrier, `taken` the records the task took from the channel
/// before its snapshot and `persisted` the records it saved as in-flight channel state:
///
/// * exactly-once (aligned, unaligned, aligned with a timeout): `taken + persisted == sent`.
///   More means records behind the barrier are in the checkpoint (an aligned handler that did
///   not hold the channel after its barrier: Flink's `SingleCheckpointBarrierHandler` blocks
///   it, `CheckpointedInputGate`); fewer means records ahead of the barrier are in neither the
///   operators' state nor the channel state (`ChannelStateWriter.addInputData`), so a restore
///   from the checkpoint loses them.
/// * at-least-once (the barrier tracker, `CheckpointBarrierTracker`, never blocks):
///   `taken >= sent` and nothing persisted.
///
/// It judges the checkpoint when the snapshot is taken, whether or not a restore ever reads
/// it; the delivery checkers see such a bug only after a restore from that checkpoint.
pub fn alignment(_spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "alignment";
    let cuts = &run.channel_cuts;
    if cuts.snapshots.is_empty() && cuts.consistent_snapshots == 0 && cuts.forced_aligned_state.is_empty() {
        return Verdict::skip(NAME, "no task with inputs took a snapshot");
    }
    let barriers = &cuts.barriers;
    let name = |t: ckptsim::TaskId| run.task_names.get(t.0 as usize).cloned().unwrap_or_else(|| t.to_string());
    let mut anomalies = Vec::new();
    let mut more = 0usize;
    // Cuts found consistent during the run were counted and dropped (`ChannelCuts::settle`).
    let mut channels = cuts.consistent_channels as usize;
    let mut snapshots = cuts.consistent_snapshots as usize;
    for cut in cuts.snapshots.values() {
        let Some(in_flight) = &cut.in_flight else { continue };
        snapshots += 1;
        if let Some(line) = early_snapshot(cut, barriers, &name) {
            if anomalies.len() < MAX_LINES {
                anomalies.push(line);
            } else {
                more += 1;
            }
        }
        for (&from, &taken) in &cut.received {
            let Some(b) = barriers.get(&(from.task, cut.attempt, cut.checkpoint, cut.task, from.gate)) else {
                continue;
            };
            channels += 1;
            let persisted = in_flight.get(&from).copied().unwrap_or(0);
            // A producer feeding two input gates (a self-join) has one channel per gate.
            let two_gates = cut.received.keys().any(|l| l.task == from.task && l.gate != from.gate);
            let gate = two_gates.then_some(from.gate);
            if let Some(line) = judge(cut, (b, gate), taken, persisted, &name) {
                if anomalies.len() < MAX_LINES {
                    anomalies.push(line);
                } else {
                    more += 1;
                }
            }
        }
    }
    if more > 0 {
        anomalies.push(Finding::named(format!("... and {more} more channels")));
    }
    // Semantics §14, forced alignment: a task with a broadcast or pointwise input edge aligns every checkpoint
    // (Flink's `StreamGraphGenerator` marks all its input edges as not supporting unaligned
    // checkpoints), so it never stores channel state.
    for (task, id, records) in cuts.forced_aligned_state.iter().take(MAX_LINES) {
        anomalies.push(Finding::named(format!(
            "{task} stored {records} records of channel state for checkpoint {id}, but its inputs always align (a broadcast or forward input edge: Flink sends the barrier in-band, forced aligned)"
        )));
    }
    // Session 30: a restore replays all of its snapshot's channel state before new input.
    let restores = cuts.restored_channel_state.len();
    anomalies.extend(replay_anomalies(&cuts.restored_channel_state).take(MAX_LINES));
    let mut summary = format!("{snapshots} snapshots, {channels} channel cuts consistent with their barriers");
    if restores > 0 {
        summary.push_str(&format!("; {restores} restores of channel state replayed in full"));
    }
    Verdict::from(NAME, anomalies, summary)
}

/// An aligned (or at-least-once) snapshot taken before the barrier arrived on an input channel
/// whose upstream sent one (`SnapshotCut::early_snapshot`): Flink's handlers snapshot once every
/// open channel of every input gate delivered it. This names a handler that aligns only some of
/// its channels (planted `snapshot-after-first-gate`: its first gate only) even when no record
/// happened to pass between the two barriers, so the counts of the channel cut still agree.
fn early_snapshot(
    cut: &SnapshotCut,
    barriers: &std::collections::BTreeMap<crate::world::BarrierKey, BarrierCut>,
    name: &dyn Fn(ckptsim::TaskId) -> String,
) -> Option<Finding> {
    let from = cut.before_barrier.iter().copied().filter(|_| !cut.unaligned).find(|l| {
        barriers.get(&(l.task, cut.attempt, cut.checkpoint, cut.task, l.gate)).is_some_and(|b| !b.unaligned)
    })?;
    let two_gates = cut.received.keys().any(|l| l.task == from.task && l.gate != from.gate);
    Some(
        Finding::new(
            "snapshot-before-barrier",
            format!(
                "t={} {} checkpoint {} channel from {}{}: snapshot taken before the channel's barrier arrived (an aligned snapshot waits for the barrier on every channel of every input gate)",
                cut.at_ms,
                name(cut.task),
                cut.checkpoint,
                name(from.task),
                if two_gates { format!(" into input gate {}", from.gate) } else { String::new() },
            ),
        )
        .at(cut.at_ms),
    )
}

/// One channel's cut judged; `gate`: the input gate, named when the producer feeds two.
fn judge(
    cut: &SnapshotCut,
    (b, gate): (&BarrierCut, Option<u32>),
    taken: u64,
    persisted: u64,
    name: &dyn Fn(ckptsim::TaskId) -> String,
) -> Option<Finding> {
    let at = |kind: Option<&str>, what: String| {
        let text = format!(
            "t={} {} checkpoint {} channel from {}{}: {what} (sent before the barrier {}, taken before the snapshot {taken}, persisted as channel state {persisted})",
            cut.at_ms,
            name(cut.task),
            cut.checkpoint,
            name(b.task),
            gate.map_or_else(String::new, |g| format!(" into input gate {g}")),
            b.sent
        );
        kind.map_or_else(|| Finding::named(text.clone()), |k| Finding::new(k, text.clone())).at(cut.at_ms)
    };
    if crate::world::consistent(b, taken, persisted) {
        return None;
    }
    // Not consistent: say which way.
    let covered = taken + persisted;
    let (kind, what) = if b.at_least_once && taken < b.sent {
        (
            Some("unprocessed-before-snapshot"),
            format!("{} records ahead of the barrier were not processed before the snapshot", b.sent - taken),
        )
    } else if b.at_least_once {
        (None, "channel state under at-least-once".to_string())
    } else if covered > b.sent {
        (
            Some("processed-after-barrier"),
            format!(
                "{} records after the barrier are in the checkpoint (processed after its barrier, before the snapshot)",
                covered - b.sent
            ),
        )
    } else {
        (
            Some("lost-channel-state"),
            format!(
                "{} records ahead of the barrier are neither processed before the snapshot nor in its channel state",
                b.sent - covered
            ),
        )
    };
    Some(at(kind, what))
}

/// The restores that did not replay every record of their snapshot's channel state. Flink's
/// restored task reads the recovered buffers of every input gate
/// (`SequentialChannelStateReaderImpl#readInputData`) and processes them before any new input
/// (`StreamTask#restoreInternal`); in-flight records it skips are in neither the operators'
/// state nor any later channel state, so every checkpoint after the restore has lost them.
fn replay_anomalies(restores: &[crate::world::RestoredChannelState]) -> impl Iterator<Item = Finding> + '_ {
    restores.iter().filter(|r| r.replayed != r.recovered).map(|r| {
        Finding::new(
            "channel-state-not-replayed",
            format!(
                "t={} {} (attempt {}) restored from checkpoint {} replayed {} of the {} records of its channel state before new input (a restore replays all of it, every input gate's)",
                r.at_ms, r.task, r.attempt.0, r.checkpoint, r.replayed, r.recovered
            ),
        )
        .at(r.at_ms)
    })
}
