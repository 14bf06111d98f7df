//! Triggering checkpoint gates' requests followed through the coordinator: the world's side of the core's `GateRequests` (`ckptsim::checkpoint_gate`, session 39), which decides when a gate asks again.
//!
//! A `trigger = true` gate (`tasks.rs` step 3a) plays the driver of a Flink test that calls
//! `triggerCheckpoint` and, when that future fails, asks again. The gate's request reaches the
//! JobManager as [`Msg::GateCheckpoint`]; the coordinator's outputs for it (its queue changes,
//! trigger, refusal, abort) are reported to the core's `GateRequests` here, and what it asks in
//! return is done here: send the request again, wake the waiting subtasks when it is due. The
//! explorer drives the same machine (`tools/explore/gates.rs`).

use super::*;
use ckptsim::checkpoint_gate::{GateKey, GateRequestOutput, GateRequests};
use ckptsim::coordinator::QueueChange;
use ckptsim::record::CheckpointKind;

/// Does what the gates' requests ask: wake a waiting subtask when its gate asks again.
/// (`Ask` is sent by the caller that may produce it: the arrival and the retry in `tasks.rs`.)
fn drain(w: &mut World) {
    while let Some(out) = w.data.gate_requests.poll_output() {
        if let GateRequestOutput::Wake { waiter: (task, attempt), at_ms } = out {
            w.wake_at(Sleeper::Task(task, attempt), at_ms, WakeCause::Gate);
        }
    }
}

/// The machine of a new world.
pub(super) fn new_requests(variant: ckptsim::Variant) -> GateRequests {
    GateRequests::new(variant)
}

/// The JobManager takes gate `gate`'s request (its outputs are routed next), or has routed them
/// (`None`).
pub(super) fn asking(w: &mut World, gate: Option<GateKey>) {
    w.data.gate_requests.handle_asking(gate);
}

/// A new JobMaster: the old coordinator's queue and choice are gone.
pub(super) fn forget(w: &mut World) {
    w.data.gate_requests.handle_new_job_master();
}

/// A change of the decider's queue (only manual requests are followed).
pub(super) fn on_queue(w: &mut World, request: RequestKind, change: QueueChange, now: u64) {
    w.data.gate_requests.handle_queue(now, request, change);
    drain(w);
}

/// A manual request failed: out of the queue, at the trigger's pre-checks after it was chosen,
/// or refused at once by a full queue (the asking gate's).
pub(super) fn on_request_failed(w: &mut World, now: u64) {
    w.data.gate_requests.handle_request_failed(now);
    drain(w);
}

/// A checkpoint was triggered: if it is a manual one, the chosen request's gate waits for it.
pub(super) fn on_trigger(w: &mut World, id: CheckpointId, kind: CheckpointKind, periodic: bool) {
    w.data.gate_requests.handle_trigger(id, kind, periodic);
}

/// Checkpoint `id` aborted: the gate that waits for it asks again, and so does the gate whose
/// chosen request was aborted while being triggered.
pub(super) fn on_aborted(w: &mut World, id: CheckpointId, now: u64) {
    w.data.gate_requests.handle_aborted(now, id);
    drain(w);
}

/// Subtask `key` arrived at triggering gate `gate`: the first one sends the gate's request.
pub(super) fn arrived(w: &mut World, gate: GateKey, key: (TaskId, Attempt)) {
    w.data.gate_requests.handle_arrival(gate, key);
    while let Some(out) = w.data.gate_requests.poll_output() {
        if let GateRequestOutput::Ask { gate, .. } = out {
            w.send(CLIENT, JM, Msg::GateCheckpoint { gate });
        }
    }
}

/// Subtask `key` passed gate `gate`.
pub(super) fn passed(w: &mut World, gate: GateKey, key: (TaskId, Attempt)) {
    w.data.gate_requests.handle_pass(gate, key);
}

/// A subtask waiting at triggering gate `gate`: when the gate's failed request is due to be
/// asked again, asks (once per failure, whichever waiting subtask comes first) and returns
/// `None`; else the time it is due, if a failure was seen.
pub(super) fn retry(w: &mut World, gate: GateKey, now: u64, name: &str, tm: u32) -> Option<u64> {
    let due = w.data.gate_requests.handle_retry(now, gate);
    while let Some(out) = w.data.gate_requests.poll_output() {
        if let GateRequestOutput::Ask { gate, .. } = out {
            w.tr(&tm_node(tm), "gate", format!("{name} requests its gate's checkpoint again"));
            w.send(CLIENT, JM, Msg::GateCheckpoint { gate });
        }
    }
    due
}
