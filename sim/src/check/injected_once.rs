//! The `restart` checker's once-only injector rule (session 38): a `fail_once_on_value` injector throws once per TaskManager process, so a replay of its value does not fail the job again.
//!
//! Flink's tests make a failing operator throw once across restarts with a static "already
//! failed" flag (`FailingMapper`'s `static boolean failed`), which lives as long as the
//! TaskManager's JVM; the harness keeps it in the TaskManager's `SurvivingCounters`. Judged from
//! the job's failures (`EventData::Failure` with a task cause): per subtask of an operator with a
//! `fail_once_on_value = "v"` injector, the injector's exception (`injected failure: input `v`
//! (once)`) causes at most one failure. Not judged: runs in which a TaskManager was lost or
//! started again (a new JVM starts with the flag cleared, so the value may throw once more in
//! Flink too), and rescaled jobs (a subtask of another parallelism is another instance).

use super::*;
use crate::world::trace::EventData;
use ckptsim::operator::FailureInjector;
use ckptsim::reason::FailureCause;

/// Failures of a once-only injector beyond its first. Returns the failures judged.
pub(super) fn once_injectors_fire_once(spec: &JobSpec, run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    let values: Vec<(&str, &str)> = spec
        .operators
        .iter()
        .flat_map(|o| {
            o.injectors.iter().filter_map(move |i| match i {
                FailureInjector::OnceOnValue(v) => Some((o.name.as_str(), v.as_str())),
                _ => None,
            })
        })
        .collect();
    if values.is_empty() || !run.rescales.is_empty() {
        return 0;
    }
    let new_process = run.trace.events().iter().any(|e| match &e.data {
        EventData::TmStart { incarnation } => *incarnation > 1,
        EventData::Failure { cause: FailureCause::TaskManagerLost { .. }, .. } => true,
        _ => false,
    });
    if new_process {
        return 0;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut judged = 0;
    for e in run.trace.events() {
        let EventData::Failure { cause: FailureCause::Task { message, .. }, .. } = &e.data else { continue };
        let Some((op, v)) = values.iter().find(|(op, v)| once_message(message, op, v)) else { continue };
        judged += 1;
        let n = seen.entry(message.clone()).or_default();
        *n += 1;
        if *n == 2 {
            let text = format!(
                "t={} `{op}`'s fail_once_on_value = \"{v}\" failed the job a second time ({message}): a once-only \
                 injector throws once per TaskManager process",
                e.time_ms
            );
            anomalies.push(Finding::new("once-injector-fired-again", text).at(e.time_ms).with("operator", *op));
        }
    }
    judged
}

/// Whether a task failure's `message` is operator `op`'s once-only exception on value `v`
/// (`Op[i]: injected failure: input `v` (once)`, the operator's own text).
fn once_message(message: &str, op: &str, v: &str) -> bool {
    let tail = format!(": injected failure: input `{v}` (once)");
    message
        .strip_suffix(tail.as_str())
        .is_some_and(|head| head.rsplit(": ").next().is_some_and(|i| i.starts_with(&format!("{op}["))))
}

#[cfg(test)]
mod tests {
    /// `negative/fail-once-flag-per-attempt`: the planted flag throws in every attempt; the
    /// correct one once.
    #[test]
    fn a_once_only_injector_that_fires_again_is_named() {
        crate::check::test_runs::rule_names_the_plant(
            "negative/fail-once-flag-per-attempt.toml",
            "once-injector-fired-again",
            super::once_injectors_fire_once,
        );
    }

    #[test]
    fn the_once_message_is_matched_by_operator_and_value() {
        let m =
            "Source: Source -> Mapper -> Sink: print-sink (1/1) failed: Mapper[0]: injected failure: input `c` (once)";
        assert!(super::once_message("Mapper[0]: injected failure: input `c` (once)", "Mapper", "c"));
        assert!(super::once_message(m, "Mapper", "c"));
        assert!(!super::once_message(m, "Mapper", "d"));
        assert!(!super::once_message(m, "Map", "c"));
    }
}
