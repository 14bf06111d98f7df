//! The `barriers` checker: every task's barrier handler followed Flink's control protocol (cancel markers and newer barriers end an alignment at once, with the abort reported and forwarded; a channel is blocked exactly between its barrier and the end of that alignment; a complete alignment triggers; the alignment timeout switches when due).

use super::*;

/// Barriers: the findings of the world's protocol watch (`world/protocol.rs`), which judges each
/// control event a task's barrier handler is handed (barrier, cancel marker, end of partition,
/// announcement, alignment timer) against what the task did in the same step, by the rules of
/// Flink's `SingleCheckpointBarrierHandler` and `CheckpointBarrierTracker`:
///
/// * `cancel-not-forwarded`: a `CancelCheckpointMarker` for the checkpoint being aligned (or a
///   newer one) must abort that checkpoint at once and forward its marker
///   (`processCancellationBarrier`, `abortInternal`; the task declines
///   `CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER` and broadcasts the marker);
/// * `subsumed-not-aborted`: the first barrier (or announcement) of a newer checkpoint aborts
///   the pending one the same way (`checkNewCheckpoint`);
/// * `blocked-after-alignment`: a channel is blocked only between its barrier for `N` and the
///   end of `N`'s alignment (snapshot, cancel, newer barrier, switch to unaligned): all are
///   released in the step that ends it (`resumeConsumption`);
/// * `barrier-not-blocking`: a barrier of a checkpoint still being aligned blocks its channel;
/// * `alignment-not-completed`: once every channel delivered `N`'s barrier or ended, `N` is
///   triggered (1.11: aborted by the end of partition) in that step;
/// * `trigger-before-barriers`: an aligned (or at-least-once) snapshot waits for every open
///   channel's barrier (or cancel marker);
/// * `timeout-early` / `timeout-late`: an aligned-with-timeout checkpoint switches to unaligned
///   only after `timestamp + timeout`, and no later than the first barrier, end of partition or
///   timer the handler takes after that;
/// * `tracker-blocked`: the at-least-once tracker never blocks.
///
/// These see what the delivery and `alignment` checkers cannot: a dropped cancel marker leaves
/// the channels blocked until the next checkpoint's barrier, which changes no record, state or
/// commit, only when records flow.
pub fn barriers(_spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "barriers";
    let p = &run.barrier_protocol;
    if p.steps == 0 {
        return Verdict::skip(NAME, "no barrier handler was handed a control event");
    }
    let name = |t: ckptsim::TaskId| run.task_names.get(t.0 as usize).cloned().unwrap_or_else(|| t.to_string());
    let mut anomalies: Vec<Finding> = p
        .findings
        .iter()
        .map(|f| {
            Finding::new(f.kind, format!("t={} {} (attempt {}): {}", f.at_ms, name(f.task), f.attempt.0, f.text))
                .at(f.at_ms)
        })
        .collect();
    if p.more > 0 {
        anomalies.push(Finding::named(format!("... and {} more", p.more)));
    }
    let summary = format!(
        "{} control events judged, {} cancel markers handed, {} alignments cancelled",
        p.steps, p.cancel_markers, p.cancelled_alignments
    );
    Verdict::from(NAME, anomalies, summary)
}
