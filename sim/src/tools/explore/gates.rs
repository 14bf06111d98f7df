//! Checkpoint gates in the explorer (session 38): a log source that reached `gates = [{ after_records = N }]` stops reading until a checkpoint taken at the gate completed, as the world's task loop does (`world/tasks.rs` `pass_gates`).
//!
//! The gate is the harness's copy of Flink's integration-test sources that emit a segment and
//! wait in `notifyCheckpointComplete` for a checkpoint triggered after it. The decision when a
//! source arrives and when it passes is the core's `ckptsim::checkpoint_gate::SourceGates`
//! (session 39), the one the world's loop drives too; per source task the state holds its
//! attempt and that machine. A triggering gate (`trigger = true`, session 39) asks the
//! JobManager for its checkpoint when its first subtask arrives, through the core's
//! `GateRequests` as the world's `world/gates.rs` drives it: the request reaches the JobMaster
//! at once (the world's client message has a latency; here the other steps interleave only
//! around it), the coordinator's answers are reported to it (`route.rs`), and a refused request
//! or an aborted checkpoint is asked again 100 ms later, a timer of the waiting source that
//! `tick` fires (`retry_due`, `fire_gate_retries`). The
//! arrival is taken right after the read (or the deployment) that brought the source there, as
//! the world's loop takes it before its next read, and the pass is taken when the source reads
//! on (`fetch:tN`), which is enabled only once a checkpoint newer than the arrival's snapshot
//! completed (the planted `gate-passes-on-older-checkpoint`: newer than the snapshot before
//! it). Each pass is recorded for the `coordinator` checker's gate rule (`check/gates.rs`).

use super::*;
use ckptsim::checkpoint_gate::{GateOutput, GateRequestOutput, SourceGates};

/// One source task's gates: the attempt they belong to and the core's gate machine.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(super) struct GateAt {
    attempt: Attempt,
    gates: SourceGates,
}

impl Explorer<'_> {
    /// Whether task `t` waits at a gate that no completed checkpoint opened yet.
    pub(super) fn gate_blocks(&self, sys: &Sys, t: TaskId) -> bool {
        let (Some(g), Some(task)) = (sys.gates.get(&t), sys.tasks.get(&t)) else { return false };
        g.attempt == task.attempt() && g.gates.blocks(task.last_completed_id())
    }

    /// Before a read: passes the gate task `t` waits at if a checkpoint opened it (recorded as
    /// the world records a pass), then takes the arrival at the next one. False: still closed.
    pub(super) fn pass_gate(&self, sys: &mut Sys, t: TaskId) -> bool {
        if self.gate_blocks(sys, t) {
            return false;
        }
        let Some(task) = sys.tasks.get(&t) else { return true };
        let (attempt, completed) = (task.attempt(), task.last_completed_id());
        if let Some(g) = sys.gates.get_mut(&t).filter(|g| g.attempt == attempt) {
            g.gates.handle_pass(completed);
            while let Some(out) = g.gates.poll_output() {
                if let GateOutput::Passed { gate, after, since_ms, snapshot_before } = out {
                    let pass = (sys.now_ms, t, attempt, since_ms, snapshot_before, after);
                    sys.obs.make_mut().gate_passes.push(pass);
                    sys.gate_requests.handle_pass((attempt, gate), (t, attempt));
                }
            }
        }
        self.arrive_at_gate(sys, t);
        !self.gate_blocks(sys, t)
    }

    /// After a read or a deployment: a log source whose next record is at or past its next
    /// gate's input (or that read every record) arrives there and notes its last snapshot.
    pub(super) fn arrive_at_gate(&self, sys: &mut Sys, t: TaskId) {
        let gates = &self.spec.input_options.gates;
        let Some(task) = sys.tasks.get(&t).filter(|_| !gates.is_empty()) else { return };
        let Some(pos) = task.fetch_positions() else { return };
        let attempt = task.attempt();
        let before = task.last_snapshot_id();
        let next_input = pos.iter().filter_map(|(p, o)| self.log.seq(p.0 as usize, o.0 as usize)).min();
        let fresh = || GateAt { attempt, gates: SourceGates::new(gates, self.spec.variant) };
        let g = sys.gates.entry(t).or_insert_with(fresh);
        if g.attempt != attempt {
            *g = fresh();
        }
        g.gates.handle_arrival(sys.now_ms, next_input, before);
        // An arrival at a waiting gate: nothing to record (the pass is); at a triggering gate,
        // the arrival is recorded (`RunResult::gate_waits`) and the first subtask asks.
        let mut asks = Vec::new();
        while let Some(out) = g.gates.poll_output() {
            if let GateOutput::Arrived { gate, after, trigger: true } = out {
                let wait = crate::world::GateWait { since_ms: sys.now_ms, task: t, attempt, after };
                sys.obs.make_mut().gate_waits.push(wait);
                sys.gate_requests.handle_arrival((attempt, gate), (t, attempt));
                asks.extend(std::iter::from_fn(|| sys.gate_requests.poll_output()));
            }
        }
        self.gate_asks(sys, asks);
    }

    /// Sends the gates' requests to the JobMaster (`GateRequestOutput::Ask`), each taken at
    /// once as the world's JobManager takes a `GateCheckpoint` message: a manual checkpoint
    /// request whose coordinator outputs are reported to the gate's machine (`route.rs`).
    /// `Wake` needs nothing here: the retry time is a timer of the waiting sources
    /// ([`Explorer::retry_due`]).
    fn gate_asks(&self, sys: &mut Sys, outputs: Vec<GateRequestOutput>) {
        for out in outputs {
            if let GateRequestOutput::Ask { gate, .. } = out {
                sys.gate_requests.handle_asking(Some(gate));
                sys.jm.make_mut().request_checkpoint(sys.now_ms, ckptsim::coordinator::RequestKind::Manual);
                self.route_jm(sys);
                sys.gate_requests.handle_asking(None);
            }
        }
    }

    /// After the coordinator's answers were reported to the gates' requests: the waiting
    /// sources' wake-ups are not needed (the retry time is their timer, [`Explorer::retry_due`]).
    pub(super) fn drop_gate_wakes(sys: &mut Sys) {
        while let Some(out) = sys.gate_requests.poll_output() {
            debug_assert!(matches!(out, GateRequestOutput::Wake { .. }), "only an arrival or a retry asks");
        }
    }

    /// The triggering gates the live sources wait at, closed: (task, gate key).
    fn blocked_triggers(sys: &Sys) -> Vec<(TaskId, ckptsim::checkpoint_gate::GateKey)> {
        let mut out = Vec::new();
        for (t, g) in &sys.gates {
            let Some(task) = sys.tasks.get(t).filter(|x| x.attempt() == g.attempt) else { continue };
            if let Some(gate) = g.gates.blocked_trigger(task.last_completed_id()) {
                out.push((*t, (g.attempt, gate)));
            }
        }
        out
    }

    /// The earliest retry of a triggering gate a live source waits at (a timer of that source).
    pub(super) fn retry_due(sys: &Sys) -> Option<u64> {
        if sys.gates.is_empty() {
            return None;
        }
        Self::blocked_triggers(sys).into_iter().filter_map(|(_, gate)| sys.gate_requests.retry_at_ms(gate)).min()
    }

    /// At a tick: each source waiting at a triggering gate whose retry is due asks again (once
    /// per failure, whichever waiting subtask comes first), as the world's loop does in its
    /// gate step.
    pub(super) fn fire_gate_retries(&self, sys: &mut Sys) {
        if sys.gates.is_empty() {
            return;
        }
        for (_, gate) in Self::blocked_triggers(sys) {
            sys.gate_requests.handle_retry(sys.now_ms, gate);
            let asks: Vec<GateRequestOutput> = std::iter::from_fn(|| sys.gate_requests.poll_output()).collect();
            self.gate_asks(sys, asks);
        }
    }
}

/// The passes as the checkers read them (`RunResult::gate_passes`).
pub(super) fn gate_passes(sys: &Sys) -> Vec<crate::world::GatePass> {
    let row = |&(at_ms, task, attempt, since_ms, snapshot_before, after)| crate::world::GatePass {
        at_ms,
        task,
        attempt,
        since_ms,
        snapshot_before,
        after,
    };
    sys.obs.gate_passes.iter().map(row).collect()
}
