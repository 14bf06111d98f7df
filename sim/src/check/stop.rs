//! The `stop` checker: after a stop-with-savepoint's synchronous savepoint barrier no task processes a record (semantics §12.6).
//!
//! Flink's source stops emitting when it takes the synchronous savepoint (1.11
//! `SourceStreamTask` leaves its run loop for the synchronous savepoint's mailbox loop; 2.x
//! `SourceOperator#stop` / `StreamTask.triggerStopWithSavepointAsync`), and every task behind it
//! snapshots the savepoint with its input blocked, so no record of the sources' lineage
//! beyond the barrier is processed anywhere: the savepoint is the job's last state and the
//! next job starts exactly there. The core reports a record a stopped task processed anyway
//! (`Task::take_records_after_stop`); the world traces each as a typed
//! [`EventData::RecordAfterStop`], which this checker reads. A print sink's rows would show
//! such records only as extra output; a two-phase-commit sink's would never commit.
//!
//! The drain rule: a 2.x `stop --drain` ends the job's data before its savepoint. The source
//! finishes its operator (`SourceOperator#stop(StopMode.DRAIN)`), `StreamTask.endData` runs
//! `endInput` / `finish` of its chain and sends EndOfData, and only then
//! `SourceOperatorStreamTask` triggers the synchronous savepoint; every task behind it ends its
//! operators on the EndOfData it receives ahead of the barrier. So each task's snapshot of a
//! 2.x drain savepoint must come from a task whose data ended for that drain
//! (`Task::drained_for_stop`, recorded per snapshot in `RunResult::stop_snapshots`). 1.11's
//! drain only advances event time (`advanceToEndOfEventTime`) and a stop without drain ends no
//! data, so there a task reports drained only if its input had ended anyway (a bounded input
//! that ended before the stop; never under 1.11, which has no EndOfData). The planted
//! `drain-without-end-of-data` breaks the first rule.

use super::*;
use crate::world::trace::EventData;
use crate::world::{Notice, StopNotice};
use std::collections::BTreeMap;

/// Every record a task processed after its stop's savepoint barrier is an anomaly.
pub fn stop(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "stop";
    if run.stops.is_empty() {
        return Verdict::skip(NAME, "no stop-with-savepoint in this run");
    }
    let mut anomalies = Vec::new();
    for e in run.trace.events() {
        if let EventData::RecordAfterStop { task, attempt, savepoint, input_seq } = e.data {
            anomalies.push(
                Finding::new(
                    "processed-after-stop",
                    format!(
                        "t={} task {} {attempt}: processed input #{input_seq} after the barrier of stop-with-savepoint \
                         savepoint {} (its sources must stop emitting at that barrier)",
                        e.time_ms, task.0, savepoint.0
                    ),
                )
                .at(e.time_ms)
                .with("input", input_seq),
            );
        }
    }
    let drain_ends_data = spec.profile.drain_ends_input_before_savepoint();
    for s in &run.stop_snapshots {
        let drain = s.mode == ckptsim::record::StopMode::Drain;
        let (task, attempt, sp) = (s.task.0, s.attempt, s.savepoint.0);
        if drain && drain_ends_data && !s.drained {
            anomalies.push(
                Finding::named(format!(
                "t={} task {task} {attempt}: snapshot of stop-with-savepoint --drain savepoint {sp} taken with its \
                 operators not ended (no endInput/finish, no EndOfData before the barrier; {} ends the data \
                 before the savepoint: SourceOperatorStreamTask triggers it after SourceOperator#stop(DRAIN))",
                s.at_ms, spec.profile
            ))
                .at(s.at_ms),
            );
        } else if !(drain && drain_ends_data) && s.drained && !(drain_ends_data && s.input_ended) {
            let how = if drain { "--drain" } else { "without drain" };
            anomalies.push(
                Finding::named(format!(
                "t={} task {task} {attempt}: reports its data drained for stop-with-savepoint {how} savepoint {sp} \
                 (under {} no stop ends the data before the savepoint{})",
                s.at_ms,
                spec.profile,
                if drain_ends_data { " unless the task's input had ended" } else { "" }
            ))
                .at(s.at_ms),
            );
        }
    }
    anomalies.extend(abort_rule(spec.profile, &run.stop_notices));
    Verdict::from(
        NAME,
        anomalies,
        format!(
            "{} stop(s): no record processed after a stop's savepoint barrier; {} notification(s) to stopped tasks \
             handled as their stop requires",
            run.stops.len(),
            run.stop_notices.len()
        ),
    )
}

/// The abort rule over every notification a stopped task handled, in order: only an abort of
/// the very savepoint the task stopped at, before that savepoint's completion was notified to
/// it, ends the stop (2.x fails the task, 1.11 undoes the stop); a completion never does, and
/// any other abort (of another checkpoint, or after the notification) changes nothing.
fn abort_rule(profile: ckptsim::profile::Profile, notices: &[StopNotice]) -> Vec<Finding> {
    let mut notified = BTreeMap::new();
    let mut anomalies = Vec::new();
    for n in notices {
        let (t, task, attempt, sp) = (n.at_ms, n.task.0, n.attempt, n.savepoint.0);
        let was_notified = notified.get(&(n.task, n.attempt)) == Some(&n.savepoint);
        let ended = n.failed || !n.stop_kept;
        let what = if n.failed { "failed" } else { "undid its stop" };
        let problem = match n.notice {
            Notice::Complete(id) => {
                if id == n.savepoint {
                    notified.insert((n.task, n.attempt), n.savepoint);
                }
                (!n.stop_kept).then(|| format!("undid its stop on the completion of checkpoint {}", id.0))
            }
            Notice::Aborted(id) if was_notified && ended => Some(format!(
                "{what} on the abort of checkpoint {} after it was told savepoint {sp} completed (a completed \
                 savepoint is never aborted: StreamTask#notifyCheckpointAbortAsync fails a task only for \
                 isCurrentSyncSavepoint)",
                id.0
            )),
            Notice::Aborted(id) if id != n.savepoint && ended => Some(format!(
                "{what} on the abort of checkpoint {}, not its stop savepoint {sp} (StreamTask \
                 #notifyCheckpointAbortAsync: isCurrentSyncSavepoint)",
                id.0
            )),
            Notice::Aborted(id) if id == n.savepoint && !was_notified => {
                let fails = profile.sync_savepoint_abort_fails_task();
                match (fails, n.failed, n.stop_kept) {
                    (true, false, _) => Some(format!(
                        "did not fail on the abort of its stop savepoint {sp} ({profile}: \"Stop-with-savepoint \
                         failed.\", its sources cannot resume)"
                    )),
                    (false, true, _) => {
                        Some(format!("failed on the abort of its stop savepoint {sp} ({profile} undoes the stop)"))
                    }
                    (false, false, true) => Some(format!(
                        "kept its stop after the abort of its stop savepoint {sp} ({profile} leaves the \
                         synchronous savepoint's loop and runs on)"
                    )),
                    _ => None,
                }
            }
            Notice::Aborted(_) => None,
        };
        if let Some(p) = problem {
            anomalies.push(
                Finding::new(
                    "stop-notification",
                    format!("t={t} task {task} {attempt} stopped at savepoint {sp}: {p}"),
                )
                .at(t),
            );
        }
    }
    anomalies
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckptsim::profile::Profile;
    use ckptsim::{Attempt, CheckpointId, TaskId};

    /// A notice to task 1 attempt 0 stopped at savepoint 2.
    fn n(notice: Notice, failed: bool, stop_kept: bool) -> StopNotice {
        let (task, attempt, savepoint) = (TaskId(1), Attempt(0), CheckpointId(2));
        StopNotice { at_ms: 5, task, attempt, savepoint, notice, failed, stop_kept }
    }

    fn alarms(profile: Profile, notices: &[StopNotice]) -> usize {
        abort_rule(profile, notices).len()
    }

    use Notice::{Aborted, Complete};
    const SP: CheckpointId = CheckpointId(2);
    const OTHER: CheckpointId = CheckpointId(3);

    /// Each line: what Flink's task does is silent, anything else is one finding.
    #[test]
    fn the_abort_rule_per_profile() {
        for p in [Profile::Flink111, Profile::Flink23] {
            let fails = p == Profile::Flink23;
            // Abort of the un-notified stop savepoint: 2.x fails, 1.11 undoes the stop.
            assert_eq!(alarms(p, &[n(Aborted(SP), fails, false)]), 0, "{p}: the stop's own abort");
            assert_eq!(alarms(p, &[n(Aborted(SP), !fails, false)]), 1, "{p}: wrong reaction to its abort");
            assert_eq!(alarms(p, &[n(Aborted(SP), false, true)]), 1, "{p}: its abort ignored");
            // Abort of another checkpoint: nothing changes.
            assert_eq!(alarms(p, &[n(Aborted(OTHER), false, true)]), 0, "{p}: another abort ignored");
            assert_eq!(alarms(p, &[n(Aborted(OTHER), true, true)]), 1, "{p}: another abort failed the task");
            assert_eq!(alarms(p, &[n(Aborted(OTHER), false, false)]), 1, "{p}: another abort undid the stop");
            // After the notification of the savepoint: no abort, not even of its own id, ends it.
            let told = n(Complete(SP), false, true);
            assert_eq!(alarms(p, &[told.clone(), n(Aborted(SP), false, true)]), 0, "{p}: stale abort ignored");
            assert_eq!(alarms(p, &[told.clone(), n(Aborted(SP), fails, fails)]), 1, "{p}: stale abort acted on");
            assert_eq!(alarms(p, &[told.clone(), n(Aborted(OTHER), true, true)]), 1, "{p}: later abort failed it");
            // A completion never undoes the stop.
            assert_eq!(alarms(p, &[n(Complete(SP), false, false)]), 1, "{p}: completion undid the stop");
            assert_eq!(alarms(p, &[n(Complete(OTHER), false, true)]), 0, "{p}: another completion");
            // The notification is per attempt: another attempt's does not excuse this one.
            let mut other_attempt = told.clone();
            other_attempt.attempt = Attempt(1);
            assert_eq!(alarms(p, &[other_attempt, n(Aborted(SP), fails, false)]), 0, "{p}: per attempt");
        }
    }
}
