//! Checkpoint gates of a log source (`[input].gates`): when a source subtask stops reading at a gate and when it reads on — one sans-IO machine that the world's task loop and the explorer both drive.
//!
//! A gate is the harness's copy of the sources of Flink's integration tests that emit a segment
//! of their input and then wait in `notifyCheckpointComplete` for a checkpoint triggered after
//! it (e.g. `UnalignedCheckpointITCase`'s sources, `FailingMapper`'s jobs). A source subtask
//! whose next record is input #`after_records` or later (or that read every record) *arrives*
//! at the gate: it notes its last snapshot and stops reading. It *passes* once it learned the
//! completion of a checkpoint newer than that snapshot (the planted
//! `gate-passes-on-older-checkpoint`: newer than the snapshot before it). A triggering gate
//! (`trigger = true`) also asks the JobManager for that checkpoint; which requests go out and
//! when a refused one is asked again is the host's (the world follows the request through the
//! coordinator's queue, `sim/src/world/gates.rs`), since it is shared by every subtask at the
//! gate: [`GateRequests`] is that part (the world's JobManager side and the explorer's drive
//! it), also sans-IO.
//!
//! Shape: the host tells the machine where the source's input stands (`next_input`: the input
//! sequence number of the next unread record over its partitions, `None` once every record was
//! read) and what the task took and learned (`last_snapshot`, `last_completed`) through
//! [`SourceGates::handle_progress`] (the world's loop: pass and arrive as far as they go) or
//! the two halves [`SourceGates::handle_pass`] / [`SourceGates::handle_arrival`] (the
//! explorer's steps: a pass before a read, an arrival after it); it drains what happened with
//! [`SourceGates::poll_output`] in order. No timer of its own: a gate waits for a message, not
//! for a time.

use crate::coordinator::{QueueChange, RequestKind};
use crate::ids::{Attempt, CheckpointId, TaskId};
use crate::reason::CheckpointFailureReason;
use crate::record::CheckpointKind;
use crate::Variant;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// The delay before a triggering gate whose requested checkpoint did not complete (refused at
/// trigger, declined, aborted or expired) requests one again: as a Flink test driving
/// `triggerCheckpoint` retries a failed trigger until a checkpoint completes.
pub const GATE_RETRY_MS: u64 = 100;

/// The source's stay at the gate it waits at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GateWait {
    /// When it arrived, ms.
    pub since_ms: u64,
    /// Its last snapshot when it arrived (`None`: none yet).
    pub snapshot_before: Option<CheckpointId>,
    /// A completion must be newer than this one to pass (`None`: any completion passes).
    pub waits_for: Option<CheckpointId>,
}

/// What a [`SourceGates`] reports, in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GateOutput {
    /// The source arrived at gate `gate` (its `after_records` and `trigger`) and stops reading.
    Arrived {
        /// The gate's index in the scenario's list.
        gate: usize,
        /// The gate's `after_records`.
        after: u64,
        /// Whether the gate requests its checkpoint itself.
        trigger: bool,
    },
    /// The source passed gate `gate` (it reads on).
    Passed {
        /// The gate's index in the scenario's list.
        gate: usize,
        /// The gate's `after_records`.
        after: u64,
        /// When it arrived there, ms.
        since_ms: u64,
        /// Its last snapshot when it arrived.
        snapshot_before: Option<CheckpointId>,
    },
}

/// One source subtask attempt's checkpoint gates: the next closed gate and, while the source
/// waits there, its [`GateWait`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceGates {
    /// `(after_records, trigger)` per gate, ascending (the scenario's `[input].gates`).
    gates: Arc<[(u64, bool)]>,
    /// The next gate not passed yet.
    next: usize,
    wait: Option<GateWait>,
    /// The planted `gate-passes-on-older-checkpoint`.
    older: bool,
    outputs: VecDeque<GateOutput>,
}

impl SourceGates {
    /// The gates of a source attempt that has passed none, under `variant`.
    pub fn new(gates: &[(u64, bool)], variant: Variant) -> Self {
        let s = SourceGates {
            gates: gates.into(),
            next: 0,
            wait: None,
            older: variant == Variant::GatePassesOnOlderCheckpoint,
            outputs: VecDeque::new(),
        };
        s.invariants();
        s
    }

    /// The `after_records` of the next gate not passed yet (a reader must not read past it).
    pub fn limit(&self) -> Option<u64> {
        self.gates.get(self.next).map(|g| g.0)
    }

    /// The gate the source waits at, with its stay, if it waits at one.
    pub fn waiting(&self) -> Option<(usize, GateWait)> {
        self.wait.map(|w| (self.next, w))
    }

    /// Whether the source waits at a gate that `last_completed` (the newest completion the
    /// attempt learned) does not open.
    pub fn blocks(&self, last_completed: Option<CheckpointId>) -> bool {
        self.wait.is_some_and(|w| !Self::opens(w, last_completed))
    }

    /// The triggering gate the source waits at and `last_completed` does not open, if any: the
    /// gate whose request the host may have to ask again.
    pub fn blocked_trigger(&self, last_completed: Option<CheckpointId>) -> Option<usize> {
        let trigger = self.gates.get(self.next).is_some_and(|g| g.1);
        (trigger && self.blocks(last_completed)).then_some(self.next)
    }

    fn opens(w: GateWait, last_completed: Option<CheckpointId>) -> bool {
        last_completed.is_some_and(|c| w.waits_for.is_none_or(|b| c > b))
    }

    /// Passes the gate the source waits at if `last_completed` opens it (a
    /// [`GateOutput::Passed`]); true if it passed one.
    pub fn handle_pass(&mut self, last_completed: Option<CheckpointId>) -> bool {
        let Some(w) = self.wait.filter(|w| Self::opens(*w, last_completed)) else { return false };
        let after = self.gates[self.next].0;
        self.outputs.push_back(GateOutput::Passed {
            gate: self.next,
            after,
            since_ms: w.since_ms,
            snapshot_before: w.snapshot_before,
        });
        self.next += 1;
        self.wait = None;
        self.invariants();
        true
    }

    /// At `now_ms`, a source not waiting whose next unread record is input #`next_input` (or
    /// that read every record: `None`) arrives at its next gate if it is at or past it (a
    /// [`GateOutput::Arrived`]), with `last_snapshot` its last snapshot; true if it arrived.
    pub fn handle_arrival(
        &mut self,
        now_ms: u64,
        next_input: Option<u64>,
        last_snapshot: Option<CheckpointId>,
    ) -> bool {
        if self.wait.is_some() {
            return false;
        }
        let Some(&(after, trigger)) = self.gates.get(self.next) else { return false };
        if next_input.is_some_and(|seq| seq < after) {
            return false;
        }
        let waits_for =
            if self.older { last_snapshot.and_then(|b| b.0.checked_sub(1).map(CheckpointId)) } else { last_snapshot };
        self.wait = Some(GateWait { since_ms: now_ms, snapshot_before: last_snapshot, waits_for });
        self.outputs.push_back(GateOutput::Arrived { gate: self.next, after, trigger });
        self.invariants();
        true
    }

    /// Arrives and passes as far as the source's position and completions allow (the world's
    /// task loop, before each read).
    pub fn handle_progress(
        &mut self,
        now_ms: u64,
        next_input: Option<u64>,
        last_snapshot: Option<CheckpointId>,
        last_completed: Option<CheckpointId>,
    ) {
        while self.next < self.gates.len() {
            let moved = if self.wait.is_some() {
                self.handle_pass(last_completed)
            } else {
                self.handle_arrival(now_ms, next_input, last_snapshot)
            };
            if !moved {
                break;
            }
        }
    }

    /// The next thing that happened, in order.
    pub fn poll_output(&mut self) -> Option<GateOutput> {
        self.outputs.pop_front()
    }

    /// Panics unless the gates ascend, the next gate exists while the source waits, and a
    /// wait's bar is at most the snapshot it arrived with.
    pub fn invariants(&self) {
        assert!(self.gates.windows(2).all(|w| w[0].0 <= w[1].0), "gates ascend");
        assert!(self.next <= self.gates.len(), "the next gate is one of the gates or past the last");
        if let Some(w) = self.wait {
            assert!(self.next < self.gates.len(), "a source waits only at a gate");
            assert!(w.waits_for <= w.snapshot_before, "a wait's bar is at most its snapshot");
            assert!(self.older || w.waits_for == w.snapshot_before, "only the plant waits for an older checkpoint");
        }
    }
}

/// A triggering gate of one source attempt: the attempt and the gate's index in its input.
pub type GateKey = (Attempt, usize);

/// A subtask waiting at a gate: the task and its attempt.
pub type GateWaiter = (TaskId, Attempt);

/// One triggering gate's request: who waits there, the checkpoint its current request
/// triggered, and, once that request was refused or that checkpoint aborted while they wait,
/// when the gate asks again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct GateRequest {
    waiters: BTreeSet<GateWaiter>,
    retry_at_ms: Option<u64>,
    checkpoint: Option<CheckpointId>,
}

/// What [`GateRequests`] asks of its host, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GateRequestOutput {
    /// Send gate `gate`'s checkpoint request to the JobManager (`again`: a retry after a failure).
    Ask {
        /// The gate.
        gate: GateKey,
        /// Whether the gate asked before.
        again: bool,
    },
    /// Wake `waiter` at `at_ms`: its gate asks again then.
    Wake {
        /// The waiting subtask.
        waiter: GateWaiter,
        /// When the gate's retry is due, ms.
        at_ms: u64,
    },
}

/// Triggering gates' checkpoint requests followed through the coordinator (semantics: the
/// gate plays the driver of a Flink test that calls `triggerCheckpoint` and, when that future
/// fails, asks again): a gate asks once when its first subtask arrives; it asks again
/// [`GATE_RETRY_MS`] after its own request was refused or its own checkpoint aborted, while
/// subtasks still wait there (the planted `gate-request-not-retried` asks once).
///
/// The coordinator answers a request through its outputs, in order: it enters the decider's
/// queue (`Queue Entered`), is chosen (`Queue Chosen`) and then triggered (`Trigger`, not
/// periodic), refused by the trigger's pre-checks (`RequestFailed`) or aborted at once
/// (`Aborted`, e.g. storage down); or it fails out of the queue (`Queue Failed`), or a full
/// queue refuses it at once (`RequestFailed` alone). Other manual requests (user actions, 2.x
/// end of data) go through the same queue, so the queue's manual requests are mirrored here in
/// order, each with the gate that asked (none for the others). Manual requests share one
/// priority class, so the decider takes them oldest first and drops the newest when the queue
/// is full. The host reports those outputs through the `handle_*` calls below.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GateRequests {
    gates: BTreeMap<GateKey, GateRequest>,
    /// The gate whose request the JobManager is taking now (set while its outputs are routed).
    asking: Option<GateKey>,
    /// The manual requests in the coordinator's queue, oldest first, each with its gate.
    queued: VecDeque<Option<GateKey>>,
    /// The gate of the request chosen last.
    chosen: Option<GateKey>,
    /// A request just failed out of the queue (its `RequestFailed` follows).
    failed_out_of_queue: bool,
    /// The planted `gate-request-not-retried`.
    not_retried: bool,
    outputs: VecDeque<GateRequestOutput>,
}

impl GateRequests {
    /// No gate asked yet, under `variant`.
    pub fn new(variant: Variant) -> Self {
        GateRequests { not_retried: variant == Variant::GateRequestNotRetried, ..Default::default() }
    }

    /// Subtask `waiter` arrived at triggering gate `gate`: the first one asks
    /// ([`GateRequestOutput::Ask`]).
    pub fn handle_arrival(&mut self, gate: GateKey, waiter: GateWaiter) {
        let first = !self.gates.contains_key(&gate);
        self.gates.entry(gate).or_default().waiters.insert(waiter);
        if first {
            self.outputs.push_back(GateRequestOutput::Ask { gate, again: false });
        }
        self.invariants();
    }

    /// Subtask `waiter` passed gate `gate`.
    pub fn handle_pass(&mut self, gate: GateKey, waiter: GateWaiter) {
        if let Some(g) = self.gates.get_mut(&gate) {
            g.waiters.remove(&waiter);
        }
    }

    /// The JobManager takes gate `gate`'s request now (its outputs are reported next), or has
    /// taken it (`None`).
    pub fn handle_asking(&mut self, gate: Option<GateKey>) {
        self.asking = gate;
    }

    /// A new JobMaster: the old coordinator's queue and choice are gone.
    pub fn handle_new_job_master(&mut self) {
        let (gates, not_retried) = (std::mem::take(&mut self.gates), self.not_retried);
        let outputs = std::mem::take(&mut self.outputs);
        *self = GateRequests { gates, not_retried, outputs, ..Default::default() };
    }

    /// A change of the decider's queue (only manual requests are followed).
    pub fn handle_queue(&mut self, now_ms: u64, request: RequestKind, change: QueueChange) {
        if request != RequestKind::Manual {
            return;
        }
        match change {
            QueueChange::Entered => self.queued.push_back(self.asking),
            QueueChange::Chosen => self.chosen = self.queued.pop_front().flatten(),
            QueueChange::Failed(reason) => {
                self.failed_out_of_queue = true;
                // A full queue drops its lowest request: the newest manual one (§1.4).
                let gate = if reason == CheckpointFailureReason::TooManyCheckpointRequests {
                    self.queued.pop_back()
                } else {
                    self.queued.pop_front()
                };
                if let Some(gate) = gate.flatten() {
                    self.rearm(gate, now_ms);
                }
            }
        }
        self.invariants();
    }

    /// A manual request failed: out of the queue (handled by [`Self::handle_queue`]), at the
    /// trigger's pre-checks after it was chosen, or refused at once by a full queue (the
    /// asking gate's).
    pub fn handle_request_failed(&mut self, now_ms: u64) {
        let gate = if std::mem::take(&mut self.failed_out_of_queue) {
            None
        } else if let Some(g) = self.chosen.take() {
            Some(g)
        } else {
            self.asking
        };
        if let Some(gate) = gate {
            self.rearm(gate, now_ms);
        }
        self.invariants();
    }

    /// A checkpoint was triggered: if it is a manual one (not periodic, not a savepoint), the
    /// chosen request's gate (if a gate asked) waits for it.
    pub fn handle_trigger(&mut self, id: CheckpointId, kind: CheckpointKind, periodic: bool) {
        if periodic || kind != CheckpointKind::Checkpoint {
            return;
        }
        if let Some(gate) = self.chosen.take() {
            if let Some(g) = self.gates.get_mut(&gate) {
                g.checkpoint = Some(id);
            }
        }
    }

    /// Checkpoint `id` aborted: the gate that waits for it asks again, and so does the gate
    /// whose chosen request was aborted while being triggered (no `Trigger` output before it).
    pub fn handle_aborted(&mut self, now_ms: u64, id: CheckpointId) {
        let mut gates: Vec<GateKey> = self.chosen.take().into_iter().collect();
        gates.extend(self.gates.iter().filter(|(_, g)| g.checkpoint == Some(id)).map(|(k, _)| *k));
        for gate in gates {
            self.rearm(gate, now_ms);
        }
        self.invariants();
    }

    /// Gate `gate`'s request did not lead to a completed checkpoint: if subtasks still wait at
    /// it and no retry is due yet, it asks again [`GATE_RETRY_MS`] from now (its waiting
    /// subtasks are woken then).
    fn rearm(&mut self, gate: GateKey, now_ms: u64) {
        let at_ms = now_ms + GATE_RETRY_MS;
        // The planted `gate-request-not-retried`: a gate asks once.
        if self.not_retried {
            return;
        }
        let Some(g) = self.gates.get_mut(&gate) else { return };
        if g.waiters.is_empty() || g.retry_at_ms.is_some() {
            return;
        }
        g.retry_at_ms = Some(at_ms);
        g.checkpoint = None;
        for &waiter in &g.waiters {
            self.outputs.push_back(GateRequestOutput::Wake { waiter, at_ms });
        }
    }

    /// A subtask waiting at triggering gate `gate`, at `now_ms`: when the gate's failed request
    /// is due to be asked again, asks ([`GateRequestOutput::Ask`], once per failure, whichever
    /// waiting subtask comes first) and returns `None`; else the time it is due, if a failure
    /// was seen.
    pub fn handle_retry(&mut self, now_ms: u64, gate: GateKey) -> Option<u64> {
        let g = self.gates.get_mut(&gate)?;
        let at = g.retry_at_ms?;
        if at > now_ms {
            return Some(at);
        }
        g.retry_at_ms = None;
        self.outputs.push_back(GateRequestOutput::Ask { gate, again: true });
        None
    }

    /// When gate `gate` asks again, if a failure of its request was seen.
    pub fn retry_at_ms(&self, gate: GateKey) -> Option<u64> {
        self.gates.get(&gate).and_then(|g| g.retry_at_ms)
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<GateRequestOutput> {
        self.outputs.pop_front()
    }

    /// Panics unless a gate waiting for a retry waits for no checkpoint of its last request
    /// (a retry is armed only after that request failed) and the plant never arms one.
    pub fn invariants(&self) {
        for g in self.gates.values() {
            assert!(g.retry_at_ms.is_none() || g.checkpoint.is_none(), "a retry follows a failed request");
            assert!(!self.not_retried || g.retry_at_ms.is_none(), "the plant never asks again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(n: u64) -> Option<CheckpointId> {
        Some(CheckpointId(n))
    }

    fn drain(g: &mut SourceGates) -> Vec<GateOutput> {
        std::iter::from_fn(|| g.poll_output()).collect()
    }

    #[test]
    fn a_source_waits_at_its_gate_for_a_checkpoint_after_its_last_snapshot() {
        let mut g = SourceGates::new(&[(2, false)], Variant::Correct);
        assert!(!g.handle_arrival(10, Some(1), cp(1)), "input #1 is before the gate");
        assert_eq!(g.limit(), Some(2));
        assert!(g.handle_arrival(20, Some(2), cp(1)));
        assert_eq!(drain(&mut g), vec![GateOutput::Arrived { gate: 0, after: 2, trigger: false }]);
        assert!(g.blocks(cp(1)), "checkpoint 1 was taken before the gate");
        assert!(!g.handle_pass(cp(1)));
        assert!(!g.blocks(cp(2)));
        assert!(g.handle_pass(cp(2)));
        let passed = GateOutput::Passed { gate: 0, after: 2, since_ms: 20, snapshot_before: cp(1) };
        assert_eq!(drain(&mut g), vec![passed]);
        assert_eq!((g.limit(), g.waiting()), (None, None));
    }

    #[test]
    fn no_snapshot_before_the_gate_any_completion_passes() {
        let mut g = SourceGates::new(&[(0, true)], Variant::Correct);
        g.handle_progress(5, None, None, None);
        assert_eq!(g.blocked_trigger(None), Some(0), "a triggering gate asks for its checkpoint");
        g.handle_progress(6, None, None, cp(1));
        assert_eq!(g.waiting(), None);
        assert_eq!(drain(&mut g).len(), 2);
    }

    #[test]
    fn progress_passes_and_arrives_at_the_next_gate_in_one_call() {
        let mut g = SourceGates::new(&[(1, false), (1, true)], Variant::Correct);
        g.handle_progress(1, Some(1), cp(1), cp(1));
        g.handle_progress(2, Some(1), cp(2), cp(2));
        let out = drain(&mut g);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(matches!(out[2], GateOutput::Arrived { gate: 1, trigger: true, .. }), "{out:?}");
        assert_eq!(g.waiting().map(|w| w.1.waits_for), Some(cp(2)));
    }

    #[test]
    fn the_plant_passes_on_the_checkpoint_before_the_gate() {
        let mut g = SourceGates::new(&[(1, false)], Variant::GatePassesOnOlderCheckpoint);
        assert!(g.handle_arrival(0, None, cp(2)));
        assert!(!g.blocks(cp(2)), "the plant waits for a completion newer than 1 only");
        let mut ok = SourceGates::new(&[(1, false)], Variant::Correct);
        assert!(ok.handle_arrival(0, None, cp(2)));
        assert!(ok.blocks(cp(2)));
    }

    #[test]
    fn a_gate_asks_once_per_failure_of_its_own_request() {
        let (gate, w1, w2) = ((Attempt(0), 0), (TaskId(0), Attempt(0)), (TaskId(1), Attempt(0)));
        let mut r = GateRequests::new(Variant::Correct);
        r.handle_arrival(gate, w1);
        r.handle_arrival(gate, w2);
        assert_eq!(r.poll_output(), Some(GateRequestOutput::Ask { gate, again: false }));
        assert_eq!(r.poll_output(), None, "one request per gate");
        // The gate's request is queued, chosen and refused by the trigger's pre-checks.
        r.handle_asking(Some(gate));
        r.handle_queue(10, RequestKind::Manual, QueueChange::Entered);
        r.handle_queue(10, RequestKind::Manual, QueueChange::Chosen);
        r.handle_request_failed(10);
        r.handle_asking(None);
        let wake = |waiter| Some(GateRequestOutput::Wake { waiter, at_ms: 10 + GATE_RETRY_MS });
        assert_eq!((r.poll_output(), r.poll_output()), (wake(w1), wake(w2)));
        assert_eq!(r.handle_retry(50, gate), Some(110));
        assert_eq!(r.handle_retry(110, gate), None);
        assert_eq!(r.poll_output(), Some(GateRequestOutput::Ask { gate, again: true }));
        assert_eq!(r.handle_retry(111, gate), None, "asked once per failure");
        assert_eq!(r.poll_output(), None);
        // The second request is triggered as checkpoint 3, which aborts: it asks again.
        r.handle_asking(Some(gate));
        r.handle_queue(120, RequestKind::Manual, QueueChange::Entered);
        r.handle_queue(120, RequestKind::Manual, QueueChange::Chosen);
        r.handle_trigger(CheckpointId(3), CheckpointKind::Checkpoint, false);
        r.handle_asking(None);
        r.handle_aborted(130, CheckpointId(2));
        assert_eq!(r.poll_output(), None, "another checkpoint's abort");
        r.handle_aborted(140, CheckpointId(3));
        assert_eq!(r.retry_at_ms(gate), Some(140 + GATE_RETRY_MS));
        // Once every subtask passed, a failure arms nothing.
        let mut r = GateRequests::new(Variant::Correct);
        r.handle_arrival(gate, w1);
        r.handle_pass(gate, w1);
        r.handle_asking(Some(gate));
        r.handle_request_failed(5);
        assert_eq!(r.retry_at_ms(gate), None);
    }

    #[test]
    fn the_planted_gate_asks_once() {
        let (gate, w) = ((Attempt(0), 0), (TaskId(0), Attempt(0)));
        let mut r = GateRequests::new(Variant::GateRequestNotRetried);
        r.handle_arrival(gate, w);
        r.handle_asking(Some(gate));
        r.handle_request_failed(10);
        assert_eq!(r.retry_at_ms(gate), None);
        let mut ok = GateRequests::new(Variant::Correct);
        ok.handle_arrival(gate, w);
        ok.handle_asking(Some(gate));
        ok.handle_request_failed(10);
        assert_eq!(ok.retry_at_ms(gate), Some(10 + GATE_RETRY_MS));
    }

    /// No public call leaves a wait past the last gate or a bar above its snapshot, so an
    /// empty checker would pass every other test.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let mut g = SourceGates::new(&[(1, false)], Variant::Correct);
        g.wait = Some(GateWait { since_ms: 0, snapshot_before: cp(1), waits_for: cp(2) });
        assert!(std::panic::catch_unwind(|| g.invariants()).is_err());
        g.wait = Some(GateWait { since_ms: 0, snapshot_before: cp(2), waits_for: cp(1) });
        assert!(std::panic::catch_unwind(|| g.invariants()).is_err(), "only the plant waits for an older one");
        g.wait = Some(GateWait { since_ms: 0, snapshot_before: cp(1), waits_for: cp(1) });
        g.next = 1;
        assert!(std::panic::catch_unwind(|| g.invariants()).is_err());
        let mut r = GateRequests::new(Variant::Correct);
        let gate = (Attempt(0), 0);
        r.handle_arrival(gate, (TaskId(0), Attempt(0)));
        r.gates.get_mut(&gate).unwrap().retry_at_ms = Some(1);
        r.invariants();
        r.gates.get_mut(&gate).unwrap().checkpoint = Some(CheckpointId(1));
        assert!(std::panic::catch_unwind(|| r.invariants()).is_err());
    }
}
