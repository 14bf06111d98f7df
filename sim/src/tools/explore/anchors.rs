//! Anchored task failures in the explorer (session 38): a scenario's `task-failure` with `on = "input-N-read"` fails its target task right after a source reads input #N the first time, as the world's anchor does (`world/mod.rs` `fire_anchor`), recorded as the world traces a fault's strike.
//!
//! Flink's tests make such a failure fire once across restarts (a failing source or mapper
//! whose "already failed" flag is static or part of the restored state); the world's anchor is
//! disarmed when it fires, and the explorer keeps the fired anchors in the state
//! (`Sys::anchors_fired`). Under the planted `anchored-fault-refires` it stays armed and strikes
//! again in every attempt that reads the input again. The strikes are the trace's `fault`
//! events the `restart` checker's fault rule counts (`check/faults_once.rs`). The failure is
//! not a step of the search and not counted against `--failures`: it is the scenario's. Only
//! this fault kind and anchor are modelled (`explore::supported`).

use super::*;
use crate::spec::{FaultAt, FaultKind};

/// Whether `spec`'s faults are all anchored task failures the explorer models.
pub(super) fn modelled(spec: &JobSpec) -> bool {
    spec.faults.iter().all(|f| matches!((&f.at, &f.kind), (FaultAt::InputRead { .. }, FaultKind::TaskFailure { .. })))
}

impl Explorer<'_> {
    /// After task `t` read input `seq`: the armed anchors of that input strike (their target
    /// task fails, its FAILED update on its way to the JobManager).
    pub(super) fn input_read(&self, sys: &mut Sys, seq: u64) {
        for (i, f) in self.spec.faults.iter().enumerate() {
            let (FaultAt::InputRead { input }, FaultKind::TaskFailure { task }) = (&f.at, &f.kind) else { continue };
            if *input != seq || sys.anchors_fired.contains(&i) {
                continue;
            }
            if self.spec.variant != ckptsim::Variant::AnchoredFaultRefires {
                sys.anchors_fired.insert(i);
            }
            let data = EventData::Fault { start: true, label: f.kind.label(), kind: f.kind.fault_name() };
            sys.obs.make_mut().faults.push((sys.now_ms, f.kind.label(), data));
            let Some(target) = self.job(sys).graph.find_task(&self.job(sys).spec, task) else { continue };
            let Some(attempt) = Self::close_task(sys, target) else { continue };
            let cause = format!("anchored task failure (input #{input} read)");
            Self::report_failed(sys, target, attempt, cause);
        }
    }
}
