//! The `coordinator` checker's gate-request rule (session 38): a source waiting at a gate that requests its own checkpoint goes on once the job could complete one.
//!
//! A triggering gate (`gates = [{ after_records = N, trigger = true }]`, scenarios/README.md)
//! asks for a checkpoint when its source arrives, and asks again 100 ms after its own request
//! was refused or its checkpoint aborted, as Flink's tests retry the checkpoint their source
//! waits for until one after the segment completed. A request asked once and abandoned leaves
//! the source at its gate for good where nothing else triggers (no periodic checkpoints): the
//! output then lacks everything after the gate, which no delivery rule reads as a loss (the
//! input was never read). Judged per arrival of a source attempt at a triggering gate
//! (`RunResult::gate_waits`) that never passed it, only where a retried request must have
//! completed by the end: the attempt is still live, the job RUNNING at the end, and at least
//! twice the checkpoint timeout plus two seconds of run left after the latest of the arrival,
//! the job's last status change and the end of the last fault phase (a request pending then
//! completes or expires within one timeout, and the retry after it completes within another).
//! Not judged: waits that a fault phase, a failover or the run's end leaves less time, and
//! waits whose attempt lost a completion notification after its arrival (not resent).

use super::*;

/// Slack beyond twice the checkpoint timeout for the retried request's checkpoint, ms.
const SLACK_MS: u64 = 2_000;

/// Arrivals at a triggering gate that never passed although a retried request had time to
/// complete. Returns the arrivals judged.
pub(super) fn gate_requests_retried(run: &RunResult, anomalies: &mut Vec<Finding>) -> usize {
    if run.gate_waits.is_empty() || run.final_status != JobStatus::Running {
        return 0;
    }
    let timeout_ms = u64::try_from(run.final_checkpoint_config.timeout_ms).unwrap_or(0);
    let last_change_ms = run.status_timeline.last().map_or(0, |s| s.0);
    let mut judged = 0;
    for g in &run.gate_waits {
        // The wait is judged from when the run became steady: the arrival, the job's last
        // status change, or the end of the last fault phase, whichever came last.
        let steady_from = g.since_ms.max(last_change_ms).max(run.last_fault_end_ms);
        let time_left = run.stop_at_ms.saturating_sub(steady_from) >= 2 * timeout_ms + SLACK_MS;
        // A completion notification to the waiting attempt the network lost (not resent:
        // `confirmCheckpoint`) leaves it waiting as in Flink: its request completed, nothing asks
        // again (session 38, swarm 8280 of `fidelity/gate-retry-own-request`).
        let lost_notification = run
            .lost_notifications
            .iter()
            .any(|(t, task, attempt, _)| *t >= g.since_ms && (*task, *attempt) == (g.task, g.attempt));
        if !time_left || lost_notification || !run.live_at_end.contains(&(g.task, g.attempt)) {
            continue;
        }
        judged += 1;
        let passed = run.gate_passes.iter().any(|p| p.task == g.task && p.attempt == g.attempt && p.after == g.after);
        if !passed {
            let name = run.task_names.get(g.task.0 as usize).map_or("?", String::as_str);
            let text = format!(
                "{name} (attempt {:?}) waits at its triggering gate after input #{} since t={} to the end (t={}): \
                 its checkpoint request was never completed nor asked again",
                g.attempt, g.after, g.since_ms, run.stop_at_ms
            );
            anomalies.push(Finding::new("gate-request-abandoned", text).at(g.since_ms).with("task", name));
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    /// `negative/gate-request-not-retried`: the planted gate asks once and its source waits to
    /// the end; the correct gate asks again and passes.
    #[test]
    fn a_gate_request_asked_once_is_named() {
        let rule = |_: &crate::spec::JobSpec, run: &crate::world::RunResult, found: &mut Vec<super::Finding>| {
            super::gate_requests_retried(run, found)
        };
        crate::check::test_runs::rule_names_the_plant(
            "negative/gate-request-not-retried.toml",
            "gate-request-abandoned",
            rule,
        );
    }
}
