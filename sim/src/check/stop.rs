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

use super::*;
use crate::world::trace::EventData;

/// Every record a task processed after its stop's savepoint barrier is an anomaly.
pub fn stop(run: &RunResult) -> Verdict {
    const NAME: &str = "stop";
    if run.stops.is_empty() {
        return Verdict::skip(NAME, "no stop-with-savepoint in this run");
    }
    let mut anomalies = Vec::new();
    for e in run.trace.events() {
        if let EventData::RecordAfterStop { task, attempt, savepoint, input_seq } = e.data {
            anomalies.push(format!(
                "t={} task {} {attempt}: processed input #{input_seq} after the barrier of stop-with-savepoint \
                 savepoint {} (its sources must stop emitting at that barrier)",
                e.time_ms, task.0, savepoint.0
            ));
        }
    }
    Verdict::from(
        NAME,
        anomalies,
        format!("{} stop(s): no record processed after a stop's savepoint barrier", run.stops.len()),
    )
}
