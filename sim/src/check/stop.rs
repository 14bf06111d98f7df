//! The `stop` checker: after a stop-with-savepoint's synchronous savepoint barrier no task processes a record (semantics §12.6).
//!
//! Flink's source stops emitting when it takes the synchronous savepoint (1.11
//! `SourceStreamTask` leaves its run loop for the synchronous savepoint's mailbox loop; 2.x
//! `SourceOperator#stop` / `StreamTask.triggerStopWithSavepointAsync`), and every task behind it
//! snapshots the savepoint with its input blocked, so no record of the sources' lineage
//! beyond the barrier is processed anywhere: the savepoint is the job's last state and the
//! next job starts exactly there. The core reports a record a stopped task processed anyway
//! (`Task::take_records_after_stop`); the world traces each as a typed
//! [`EventData::RecordAfterStop`], which this checker reads. A print sink's rows would show
//! such records only as extra output; a two-phase-commit sink's would never commit.
//!
//! The drain rule: a 2.x `stop --drain` ends the job's data before its savepoint. The source
//! finishes its operator (`SourceOperator#stop(StopMode.DRAIN)`), `StreamTask.endData` runs
//! `endInput` / `finish` of its chain and sends EndOfData, and only then
//! `SourceOperatorStreamTask` triggers the synchronous savepoint; every task behind it ends its
//! operators on the EndOfData it receives ahead of the barrier. So each task's snapshot of a
//! 2.x drain savepoint must come from a task whose data ended for that drain
//! (`Task::drained_for_stop`, recorded per snapshot in `RunResult::stop_snapshots`). 1.11's
//! drain only advances event time (`advanceToEndOfEventTime`) and a stop without drain ends no
//! data, so there a task reports drained only if its input had ended anyway (a bounded input
//! that ended before the stop; never under 1.11, which has no EndOfData). The planted
//! `drain-without-end-of-data` breaks the first rule.

use super::*;
use crate::world::trace::EventData;

/// Every record a task processed after its stop's savepoint barrier is an anomaly.
pub fn stop(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "stop";
    if run.stops.is_empty() {
        return Verdict::skip(NAME, "no stop-with-savepoint in this run");
    }
    let mut anomalies = Vec::new();
    for e in run.trace.events() {
        if let EventData::RecordAfterStop { task, attempt, savepoint, input_seq } = e.data {
            anomalies.push(
                Finding::new(
                    "processed-after-stop",
                    format!(
                        "t={} task {} {attempt}: processed input #{input_seq} after the barrier of stop-with-savepoint \
                         savepoint {} (its sources must stop emitting at that barrier)",
                        e.time_ms, task.0, savepoint.0
                    ),
                )
                .at(e.time_ms)
                .with("input", input_seq),
            );
        }
    }
    let drain_ends_data = spec.profile.drain_ends_input_before_savepoint();
    for s in &run.stop_snapshots {
        let drain = s.mode == ckptsim::record::StopMode::Drain;
        let (task, attempt, sp) = (s.task.0, s.attempt, s.savepoint.0);
        if drain && drain_ends_data && !s.drained {
            anomalies.push(
                Finding::named(format!(
                "t={} task {task} {attempt}: snapshot of stop-with-savepoint --drain savepoint {sp} taken with its \
                 operators not ended (no endInput/finish, no EndOfData before the barrier; {} ends the data \
                 before the savepoint: SourceOperatorStreamTask triggers it after SourceOperator#stop(DRAIN))",
                s.at_ms, spec.profile
            ))
                .at(s.at_ms),
            );
        } else if !(drain && drain_ends_data) && s.drained && !(drain_ends_data && s.input_ended) {
            let how = if drain { "--drain" } else { "without drain" };
            anomalies.push(
                Finding::named(format!(
                "t={} task {task} {attempt}: reports its data drained for stop-with-savepoint {how} savepoint {sp} \
                 (under {} no stop ends the data before the savepoint{})",
                s.at_ms,
                spec.profile,
                if drain_ends_data { " unless the task's input had ended" } else { "" }
            ))
                .at(s.at_ms),
            );
        }
    }
    Verdict::from(
        NAME,
        anomalies,
        format!("{} stop(s): no record processed after a stop's savepoint barrier", run.stops.len()),
    )
}
