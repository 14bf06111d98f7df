//! Checkpoint gates in the explorer (session 38): a log source that reached `gates = [{ after_records = N }]` stops reading until a checkpoint taken at the gate completed, as the world's task loop does (`world/tasks.rs` `pass_gates`).
//!
//! The gate is the harness's copy of Flink's integration-test sources that emit a segment and
//! wait in `notifyCheckpointComplete` for a checkpoint triggered after it. Only gates that wait
//! (`trigger = false`) are modelled: a triggering gate's request to the JobManager is not a
//! step (`explore::supported` refuses one). Per source task the state holds its attempt, the
//! next closed gate and, once the source arrived at it, when and with which last snapshot: the
//! arrival is taken right after the read (or the deployment) that brought the source there, as
//! the world's loop takes it before its next read, and the pass is taken when the source reads
//! on (`fetch:tN`), which is enabled only once a checkpoint newer than that snapshot completed
//! (the planted `gate-passes-on-older-checkpoint`: newer than the snapshot before it). Each
//! pass is recorded for the `coordinator` checker's gate rule (`check/gates.rs`).

use super::*;

/// One source task's gate state: its attempt, the next closed gate, and (once arrived) when it
/// arrived, its last snapshot then, and the checkpoint a completion must be newer than.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(super) struct GateAt {
    attempt: Attempt,
    idx: usize,
    wait: Option<(u64, Option<CheckpointId>, Option<CheckpointId>)>,
}

impl Explorer<'_> {
    /// Whether task `t` waits at a gate that no completed checkpoint opened yet.
    pub(super) fn gate_blocks(&self, sys: &Sys, t: TaskId) -> bool {
        let (Some(g), Some(task)) = (sys.gates.get(&t), sys.tasks.get(&t)) else { return false };
        let Some((_, _, waits_for)) = g.wait.filter(|_| g.attempt == task.attempt()) else { return false };
        task.last_completed_id().is_none_or(|c| waits_for.is_some_and(|b| c <= b))
    }

    /// Before a read: passes the gate task `t` waits at if a checkpoint opened it (recorded as
    /// the world records a pass), then takes the arrival at the next one. False: still closed.
    pub(super) fn pass_gate(&self, sys: &mut Sys, t: TaskId) -> bool {
        if self.gate_blocks(sys, t) {
            return false;
        }
        let Some(task) = sys.tasks.get(&t) else { return true };
        let attempt = task.attempt();
        if let Some(g) = sys.gates.get_mut(&t).filter(|g| g.attempt == attempt) {
            if let Some((since_ms, snapshot_before, _)) = g.wait.take() {
                let after = self.spec.input_options.gates[g.idx].0;
                g.idx += 1;
                let pass = (sys.now_ms, t, attempt, since_ms, snapshot_before, after);
                sys.obs.make_mut().gate_passes.push(pass);
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
        let g = sys.gates.entry(t).or_insert(GateAt { attempt, idx: 0, wait: None });
        if g.attempt != attempt {
            *g = GateAt { attempt, idx: 0, wait: None };
        }
        let Some(&(after, _)) = gates.get(g.idx).filter(|_| g.wait.is_none()) else { return };
        let at_gate = pos.iter().all(|(p, o)| self.log.seq(p.0 as usize, o.0 as usize).is_none_or(|seq| seq >= after));
        if at_gate {
            let older = self.spec.variant == ckptsim::Variant::GatePassesOnOlderCheckpoint;
            let waits_for = if older { before.and_then(|b| b.0.checked_sub(1).map(CheckpointId)) } else { before };
            g.wait = Some((sys.now_ms, before, waits_for));
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
