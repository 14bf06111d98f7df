//! The `tolerable-failure` checker: the job fails exactly when the consecutive counted checkpoint failures exceed `tolerable_failures`, and never otherwise.

use super::*;
use ckptsim::reason::FailureCause;

/// Whether a checkpoint failure reason counts towards the tolerable consecutive failures
/// (Flink's `CheckpointFailureManager.checkFailureCounter`): declines and expiry always; since
/// 1.14 also I/O, asynchronous-phase and finalization failures. Everything else (pre-flight
/// refusals, subsumption, coordinator suspension, task failures, ...) does not count.
pub(super) fn reason_counts(reason: &str, profile: ckptsim::Profile) -> bool {
    match reason {
        "CHECKPOINT_DECLINED" | "CHECKPOINT_EXPIRED" => true,
        "IO_EXCEPTION" | "CHECKPOINT_ASYNC_EXCEPTION" | "FINALIZE_CHECKPOINT_FAILURE" => {
            profile == ckptsim::Profile::Flink23
        }
        _ => false,
    }
}

/// Tolerable checkpoint failures: re-derives, from the checkpoints' outcomes in the order they
/// were reported (`CheckpointRow::end_seq` within a millisecond), when the consecutive counted failures exceed `tolerable_failures` (the counter
/// restarts at every crossing, at a success — in 2.x only a success newer than the last one,
/// and 2.x ignores failures of checkpoints at or below the last success — and with a new
/// JobManager). The job must fail with "Exceeded checkpoint tolerable failure threshold"
/// exactly at those crossings while it is RUNNING, and never otherwise.
pub fn tolerable_failure(spec: &JobSpec, run: &RunResult) -> Verdict {
    const NAME: &str = "tolerable-failure";
    let cfg = &spec.checkpoint;
    let profile = spec.profile;
    let tolerance = Tolerance::new(run, cfg.tolerable_failures);
    if let Some(t) = tolerance.ambiguous(run) {
        return Verdict::skip(
            NAME,
            &format!("tolerable failures re-tuned at t={t}, in the millisecond of a checkpoint's outcome"),
        );
    }
    let predicted = predicted_crossings(run, profile, &tolerance);
    let mut anomalies = Vec::new();
    let mut actual: BTreeSet<ckptsim::CheckpointId> = BTreeSet::new();
    for e in run.trace.events() {
        let crate::world::trace::EventData::Failure {
            cause: FailureCause::TolerableCheckpointFailures { checkpoint: id, .. },
            ..
        } = &e.data
        else {
            continue;
        };
        match *id {
            Some(id) if predicted.contains_key(&id) => {
                actual.insert(id);
            }
            _ => anomalies.push(Finding::named(format!(
                "t={} job failed on the tolerable-failure threshold, but the re-derived consecutive counted failures did not exceed {} there ({})",
                e.time_ms,
                tolerance.describe(e.time_ms),
                e.detail
            )).at(e.time_ms)),
        }
    }
    for (id, (t, limit)) in &predicted {
        if actual.contains(id) {
            continue;
        }
        // A failure while the job is not RUNNING belongs to the restart already under way.
        let running = run.status_timeline.iter().rev().find(|(at, _)| at <= t).is_some_and(|(at, s)| {
            *s == JobStatus::Running && *at < *t && !run.status_timeline.iter().any(|(a2, _)| a2 == t)
        });
        if running {
            anomalies.push(
                Finding::named(format!(
                    "t={t} checkpoint {id} was counted failure number {} (tolerable {limit}) but the job did not fail",
                    limit + 1
                ))
                .at(*t),
            );
        }
    }
    let summary = if tolerance.never_limited() {
        "unlimited tolerance: the job never failed on it".to_string()
    } else {
        format!("{} threshold crossing(s) re-derived ({})", predicted.len(), tolerance.describe(u64::MAX))
    };
    Verdict::from(NAME, anomalies, summary)
}

/// The tolerance in force over the run (`None` = unlimited): `Retuned` of `tolerable_failures`
/// (session 43: the model's failure manager keeps its counter and compares the next counted
/// failure with the new tolerance, `set_tolerable_failures`).
struct Tolerance(super::Retuned<Option<u64>>);

impl Tolerance {
    fn new(run: &RunResult, configured: i64) -> Tolerance {
        let of = |t: i64| (t < ckptsim::config::UNLIMITED as i64).then_some(t.max(0) as u64);
        Tolerance(super::Retuned::from_trace(run, of(configured), |r| r.tolerable_failures.map(of)))
    }

    /// The tolerance for a failure reported at `t`.
    fn at(&self, t: u64) -> Option<u64> {
        self.0.at(t)
    }

    /// A change in the millisecond of some checkpoint's outcome: which came first is not
    /// recorded, so the run is not judged.
    fn ambiguous(&self, run: &RunResult) -> Option<u64> {
        let ends: BTreeSet<u64> = run.checkpoints.iter().filter_map(|r| r.end_ms).collect();
        self.0.change_times().find(|t| ends.contains(t))
    }

    fn never_limited(&self) -> bool {
        self.0.values().all(|v| v.is_none())
    }

    fn describe(&self, t: u64) -> String {
        let one =
            |v: Option<u64>| v.map_or("an unlimited tolerance".to_string(), |l| format!("tolerable_failures = {l}"));
        if self.0.change_count() == 0 {
            one(self.0.configured())
        } else if t == u64::MAX {
            format!("tolerance re-tuned {} time(s)", self.0.change_count())
        } else {
            format!("{} (re-tuned)", one(self.at(t)))
        }
    }
}

/// The checkpoints at whose failure the consecutive counted failures exceed `limit`, re-derived
/// from the outcomes in the order they were reported, each with its end time (see
/// [`tolerable_failure`]).
fn predicted_crossings(
    run: &RunResult,
    profile: ckptsim::Profile,
    tolerance: &Tolerance,
) -> BTreeMap<ckptsim::CheckpointId, (u64, u64)> {
    // New JobManagers: the times a SUSPENDED job was recovered, and the times a new job started
    // after the previous one ended (restore-retained, rescale): each has a new failure manager.
    let recoveries: Vec<u64> = run
        .status_timeline
        .windows(2)
        .filter(|w| (w[0].1 == JobStatus::Suspended || w[0].1.is_terminal()) && w[1].1 == JobStatus::Created)
        .map(|w| w[1].0)
        .collect();
    // In the order the coordinator reported the outcomes, not by id within a millisecond: when
    // two pending checkpoints expire at the same instant, the first expiry frees a slot and the
    // queued requests it lets trigger may fail (and be counted) before the second expiry
    // (`CheckpointCoordinator.abortPendingCheckpoint` serves the queue through
    // `scheduleTriggerRequest`, and each `CheckpointCanceller` is its own timer task).
    let mut rows: Vec<&crate::world::CheckpointRow> = run.checkpoints.iter().filter(|r| r.end_ms.is_some()).collect();
    rows.sort_by_key(|r| (r.end_ms, r.end_seq, r.id));
    let mut counter = 0u64;
    let mut counted: BTreeSet<ckptsim::CheckpointId> = BTreeSet::new();
    let mut last_success: Option<ckptsim::CheckpointId> = None;
    let mut epoch = 0;
    let mut predicted: BTreeMap<ckptsim::CheckpointId, (u64, u64)> = BTreeMap::new();
    for r in rows {
        let end = r.end_ms.unwrap_or(0);
        let e = recoveries.iter().filter(|t| **t <= end).count();
        if e != epoch {
            epoch = e;
            counter = 0;
            counted.clear();
            last_success = None;
        }
        if r.outcome == "COMPLETED" {
            let newer = last_success.is_none_or(|l| r.id > l);
            if newer {
                last_success = Some(r.id);
            }
            if newer || profile != ckptsim::Profile::Flink23 {
                counter = 0;
                counted.clear();
            }
            continue;
        }
        let Some(limit) = tolerance.at(end) else { continue };
        if r.outcome == "PENDING" {
            continue;
        }
        // 2.x: a failed savepoint counts only when a task declined it (a task-level reason:
        // `CheckpointFailureReason::is_task_level`; of those only these two are counted).
        let task_level = matches!(r.outcome.as_str(), "CHECKPOINT_DECLINED" | "CHECKPOINT_ASYNC_EXCEPTION");
        if r.savepoint && profile == ckptsim::Profile::Flink23 && !task_level {
            continue;
        }
        // 2.x: a synchronous savepoint (stop-with-savepoint) is never counted: a task-level
        // failure fails the job at once (`handleTaskLevelCheckpointException`), a job-level one
        // is a savepoint's. (1.11 counts it like any failure, then fails the job anyway.)
        if r.synchronous && profile == ckptsim::Profile::Flink23 {
            continue;
        }
        if profile == ckptsim::Profile::Flink23 && last_success.is_some_and(|l| r.id <= l) {
            continue;
        }
        if reason_counts(&r.outcome, profile) && counted.insert(r.id) {
            counter += 1;
            if counter > limit {
                predicted.insert(r.id, (end, limit));
                counter = 0;
                counted.clear();
            }
        }
    }
    predicted
}
