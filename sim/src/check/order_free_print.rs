//! Order-free keyed state on a print sink (session 36): once the job FINISHED, each key's last printed value is the reference's final value.
//!
//! A fan-out before order-sensitive keyed state (`order.rs` `Arrivals`: a rebalance or a
//! parallelism change before a running sum, one key's records in several log partitions) makes
//! the reference order-free: the running values follow no predictable order, so the `state`
//! checker follows only their keys, and on a print sink nothing else judged the values (a
//! two-phase-commit sink has `graph::order_free_final_values`). A restored sum that starts empty
//! (`aggregate-state-not-restored`), a key restored into a subtask its records never reach
//! (`key-group-range-end-inclusive`) or a record read twice after a restore printed wrong values
//! there unseen.
//!
//! What holds on a print sink all the same: a job that FINISHED under exactly-once checkpoints
//! processed every record of a replayable log once in the state of its last attempt (a restore
//! replays what the restored state lacks), so once every input of a key was printed under it,
//! the key's last printed value is its final value whatever the order: a sum's total, a max's
//! largest (a final value that depends on the order too, a count window's last window, is left
//! alone, as `order_free_final_values` does). A job still running at the end may be catching up
//! after a restore (no rule then), an at-least-once checkpoint may count a replay twice, a socket
//! replays nothing and a source that starts from the group's offsets or the log's end skips
//! records its state never saw: none of these is judged.

use super::*;
use ckptsim::config::CheckpointingMode;
use ckptsim::source::StartupMode;

/// Whether `run` is one the rule judges (see the module doc).
fn judged(spec: &JobSpec, run: &RunResult, reference: &Reference) -> bool {
    let replayable = spec.operators.iter().all(|o| match &o.kind {
        OpKind::SocketSource => false,
        OpKind::LogSource { startup } => *startup == StartupMode::Earliest,
        _ => true,
    });
    reference.order_free
        && !reference.final_depends_on_order
        && run.final_status == JobStatus::Finished
        && spec.checkpoint.mode != CheckpointingMode::AtLeastOnce
        && matches!(spec.input, InputSpec::Log { .. })
        && replayable
}

/// Appends a `final state wrong` finding for every key of a judged run whose last printed value
/// (with every input of the key printed) is not the reference's final value.
pub(super) fn finished_print_final_values(
    spec: &JobSpec,
    run: &RunResult,
    reference: &Reference,
    rows: &Rows,
    anomalies: &mut Vec<Finding>,
) {
    if judged(spec, run, reference) {
        super::graph::order_free_final_values(rows, reference, anomalies);
    }
}
