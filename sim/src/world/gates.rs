//! Triggering checkpoint gates' requests followed through the coordinator: a gate asks again only when its own manual request was refused or its own checkpoint aborted.
//!
//! A `trigger = true` gate (`tasks.rs` step 3a) plays the driver of a Flink test that calls
//! `triggerCheckpoint` and, when that future fails, asks again. The gate's request reaches the
//! JobManager as [`Msg::GateCheckpoint`]; the coordinator answers it through its outputs, in
//! order: the request enters the decider's queue (`Queue Entered`), is chosen (`Queue Chosen`)
//! and then triggered (`Trigger`, not periodic), refused by the trigger's pre-checks
//! (`RequestFailed`) or aborted at once (`Aborted`, e.g. storage down); or it fails out of the
//! queue (`Queue Failed`), or a full queue refuses it at once (`RequestFailed` alone). Other
//! manual requests (user actions, 2.x end of data) go through the same queue, so the queue's
//! manual requests are mirrored here in order, each with the gate that asked (none for the
//! others). Manual requests share one priority class, so the decider takes them oldest first
//! and drops the newest when the queue is full.

use super::*;
use ckptsim::coordinator::QueueChange;
use ckptsim::record::CheckpointKind;

/// The manual checkpoint requests in the coordinator's queue, oldest first, each with the gate
/// that asked for it; the one chosen last; whether a request just failed out of the queue (its
/// `RequestFailed` follows). Reset with every new JobMaster (`forget`).
#[derive(Default)]
pub(super) struct ManualRequests {
    /// The gate whose request the JobManager is taking now (set while its message's outputs
    /// are routed).
    asking: Option<GateKey>,
    queued: VecDeque<Option<GateKey>>,
    chosen: Option<GateKey>,
    failed_out_of_queue: bool,
}

/// The JobManager takes gate `gate`'s request (its outputs are routed next), or has routed them
/// (`None`).
pub(super) fn asking(w: &mut World, gate: Option<GateKey>) {
    w.data.gate_requests.asking = gate;
}

/// A new JobMaster: the old coordinator's queue and choice are gone.
pub(super) fn forget(w: &mut World) {
    w.data.gate_requests = ManualRequests::default();
}

/// A change of the decider's queue (only manual requests are followed).
pub(super) fn on_queue(w: &mut World, request: RequestKind, change: QueueChange, now: u64) {
    if request != RequestKind::Manual {
        return;
    }
    let r = &mut w.data.gate_requests;
    match change {
        QueueChange::Entered => r.queued.push_back(r.asking),
        QueueChange::Chosen => r.chosen = r.queued.pop_front().flatten(),
        QueueChange::Failed(reason) => {
            r.failed_out_of_queue = true;
            // A full queue drops its lowest request: the newest manual one (§1.4).
            let gate = if reason == CheckpointFailureReason::TooManyCheckpointRequests {
                r.queued.pop_back()
            } else {
                r.queued.pop_front()
            };
            if let Some(gate) = gate.flatten() {
                rearm(w, gate, now);
            }
        }
    }
}

/// A manual request failed: out of the queue (handled by [`on_queue`]), at the trigger's
/// pre-checks after it was chosen, or refused at once by a full queue (the asking gate's).
pub(super) fn on_request_failed(w: &mut World, now: u64) {
    let r = &mut w.data.gate_requests;
    let gate = if std::mem::take(&mut r.failed_out_of_queue) {
        None
    } else if let Some(g) = r.chosen.take() {
        Some(g)
    } else {
        r.asking
    };
    if let Some(gate) = gate {
        rearm(w, gate, now);
    }
}

/// A checkpoint was triggered: if it is a manual one (not periodic, not a savepoint), the
/// chosen request's gate (if a gate asked) waits for it.
pub(super) fn on_trigger(w: &mut World, id: CheckpointId, kind: CheckpointKind, periodic: bool) {
    if periodic || kind != CheckpointKind::Checkpoint {
        return;
    }
    if let Some(gate) = w.data.gate_requests.chosen.take() {
        if let Some(g) = w.data.gates_triggered.get_mut(&gate) {
            g.checkpoint = Some(id);
        }
    }
}

/// Checkpoint `id` aborted: the gate that waits for it asks again, and so does the gate whose
/// chosen request was aborted while being triggered (no `Trigger` output before it).
pub(super) fn on_aborted(w: &mut World, id: CheckpointId, now: u64) {
    let mut gates: Vec<GateKey> = w.data.gate_requests.chosen.take().into_iter().collect();
    gates.extend(w.data.gates_triggered.iter().filter(|(_, g)| g.checkpoint == Some(id)).map(|(k, _)| *k));
    for gate in gates {
        rearm(w, gate, now);
    }
}

/// Gate `gate`'s request did not lead to a completed checkpoint: if subtasks still wait at it
/// and no retry is due yet, it asks again [`GATE_RETRY_MS`] from now (its waiting subtasks are
/// woken then).
fn rearm(w: &mut World, gate: GateKey, now: u64) {
    let at = now + GATE_RETRY_MS;
    // The planted `gate-request-not-retried`: a gate asks once.
    if w.spec.variant == ckptsim::Variant::GateRequestNotRetried {
        return;
    }
    let Some(g) = w.data.gates_triggered.get_mut(&gate) else { return };
    if g.waiters.is_empty() || g.retry_at_ms.is_some() {
        return;
    }
    g.retry_at_ms = Some(at);
    g.checkpoint = None;
    let wake: Vec<(TaskId, Attempt)> = g.waiters.iter().copied().collect();
    for (task, attempt) in wake {
        w.wake_at(Sleeper::Task(task, attempt), at);
    }
}

/// A subtask waiting at triggering gate `gate`: when the gate's failed request is due to be
/// asked again, asks (once per failure, whichever waiting subtask comes first) and returns
/// `None`; else the time it is due, if a failure was seen.
pub(super) fn retry(w: &mut World, gate: GateKey, now: u64, name: &str, tm: u32) -> Option<u64> {
    let g = w.data.gates_triggered.get_mut(&gate)?;
    let at = g.retry_at_ms?;
    if at > now {
        return Some(at);
    }
    g.retry_at_ms = None;
    w.tr(&tm_node(tm), "gate", format!("{name} requests its gate's checkpoint again"));
    w.send(CLIENT, JM, Msg::GateCheckpoint { gate });
    None
}
