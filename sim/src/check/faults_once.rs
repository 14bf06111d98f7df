//! The `restart` checker's fault rule (session 37): every fault of the scenario strikes once, so each restart answers a failure the scenario asked for, not a repeat of it.
//!
//! A fault is timed (`at_ms`) or anchored to the first time an event happens (`on = "..."`);
//! either way it strikes once (scenarios/README.md, "Anchors"). Flink's own tests make a
//! failure fire once across restarts the same way (a `FailingSource` or failing mapper whose
//! "already failed" flag is static or part of the restored state), and the real-Flink
//! conformance jobs compare against that: a failure that fires again in every attempt that
//! replays its input turns one restart into as many as the strategy allows, then a FAILED job,
//! which every other rule accepts as the strategy's decision. Judged from the trace's fault
//! events (`EventData::Fault`, kept by a lean trace too): per fault label, no more strikes than
//! the scenario (with its swarm draws) has faults of that label.

use super::*;
use crate::world::trace::EventData;

/// Strikes per fault label beyond the scenario's faults of that label. Returns the strikes
/// judged.
pub(super) fn faults_strike_once(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let mut allowed: BTreeMap<String, usize> = BTreeMap::new();
    for f in &spec.faults {
        *allowed.entry(f.kind.label()).or_default() += 1;
    }
    let mut struck: BTreeMap<&str, usize> = BTreeMap::new();
    let mut judged = 0;
    for e in run.trace.events() {
        let EventData::Fault { start: true, label, .. } = &e.data else { continue };
        judged += 1;
        let n = struck.entry(label.as_str()).or_default();
        *n += 1;
        let limit = allowed.get(label.as_str()).copied().unwrap_or(0);
        if *n == limit + 1 {
            let text = format!(
                "t={} fault `{label}` struck {} time(s), but the scenario has {limit} such fault(s) (a fault strikes once)",
                e.time_ms, *n
            );
            anomalies.push(Finding::new("fault-struck-again", text).at(e.time_ms).with("fault", label));
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    /// The planted `anchored-fault-refires` on `negative/anchored-fault-refires`'s job is
    /// named; under the correct protocol its one anchored failure strikes once.
    #[test]
    fn an_anchored_failure_that_strikes_again_is_named() {
        let rule = super::faults_strike_once;
        crate::check::test_runs::rule_names_the_plant(
            "negative/anchored-fault-refires.toml",
            "fault-struck-again",
            rule,
        );
    }
}
