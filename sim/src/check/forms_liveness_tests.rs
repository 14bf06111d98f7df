//! The `liveness` checker's finding forms, each built by planting its anomaly in a real run's result (status timeline, task transitions, checkpoint rows, lost final state updates, printed rows): the rendered line, and the kind and moment `signature::classify` reads; and the stalls it names as Flink's own instead.

use super::forms_tests::{form, read_findings, seed_run_with};
use super::liveness::{split_flink_stalls, stuck_states, unconverged};
use super::*;
use ckptsim::status::ExecutionState::{Created, Deploying, Running};
use ckptsim::{Attempt, Profile, TaskId};

/// Seed 003's job and run with no fault, action, re-tune or transition left, RUNNING from t=0 to
/// the end (20 s), and a checkpoint gap bound of 1 s: it passes the checker. Zero failover
/// latencies: the forms measure from a job RUNNING at t=0 (a first start of 300-900 ms would
/// leave no checkpoint within the 1 s bound).
fn bare() -> (JobSpec, RunResult, Reference) {
    let (mut spec, mut run, reference) =
        seed_run_with("003-at-least-once.toml", |spec| spec.cluster.pin_zero_latency());
    spec.profile = Profile::Flink23;
    spec.faults.clear();
    spec.actions.clear();
    spec.expect.max_checkpoint_gap_ms = Some(1000);
    run.last_fault_end_ms = 0;
    run.retunes.clear();
    run.rejections.clear();
    run.lost_final_states.clear();
    run.task_transitions.clear();
    run.status_timeline = vec![(0, JobStatus::Running)];
    run.final_status = JobStatus::Running;
    assert_eq!(run.stop_at_ms, 20_000);
    let v = liveness::liveness_with(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "the run without its fault passes: {:?}", v.anomalies);
    (spec, run, reference)
}

/// (kind, moment, line) of each finding, as a signature reads them.
fn read(findings: &[Finding]) -> Vec<(String, Option<u64>, String)> {
    read_findings("liveness", findings)
}

#[test]
fn job_and_task_stuck_in_a_transitional_state() {
    let (spec, mut run, _) = bare();
    let name = run.task_names[0].clone();
    run.status_timeline = vec![(0, JobStatus::Running), (1000, JobStatus::Restarting), (5000, JobStatus::Running)];
    run.task_transitions = vec![(100, name.clone(), Created, Deploying), (3000, name.clone(), Deploying, Running)];
    let (flink_stalls, stuck) = split_flink_stalls(&spec, &run, stuck_states(&run, 0, 100));
    assert!(flink_stalls.is_empty(), "flink-2.3 reconciles deployments: no stall is Flink's own");
    assert_eq!(
        read(&stuck),
        [
            form(
                "job-stuck-in-restarting",
                1000,
                "job stuck in RESTARTING from t=1000 until t=5000 (4000 ms after the healing at t=0; bound 100 ms)"
            ),
            form(
                "task-stuck-in-deploying",
                100,
                &format!(
                    "task {name} stuck in DEPLOYING from t=100 until t=3000 (2900 ms after the healing at t=0; bound \
                     100 ms)"
                )
            ),
        ]
    );
    // Measured from the healing, to the end of the run when the stay never ended.
    run.status_timeline = vec![(0, JobStatus::Running), (1000, JobStatus::Restarting)];
    let (_, stuck) = split_flink_stalls(&spec, &run, stuck_states(&run, 2000, 100));
    assert_eq!(
        read(&stuck)[0],
        form(
            "job-stuck-in-restarting",
            1000,
            "job stuck in RESTARTING from t=1000 to the end (18000 ms after the healing at t=2000; bound 100 ms)"
        )
    );
}

#[test]
fn stalls_behind_a_lost_final_state_are_flinks_own_before_1_12() {
    let (mut spec, mut run, _) = bare();
    spec.profile = Profile::Flink111;
    let name = run.task_names[0].clone();
    run.status_timeline = vec![(0, JobStatus::Running), (1000, JobStatus::Restarting)];
    run.task_transitions = vec![(100, name.clone(), Created, Deploying)];
    run.lost_final_states = vec![(2000, TaskId(0), Attempt(1))];
    let (flink_stalls, stuck) = split_flink_stalls(&spec, &run, stuck_states(&run, 0, 100));
    assert!(stuck.is_empty(), "both stays are Flink's own: {stuck:?}");
    assert_eq!(
        flink_stalls,
        [
            format!("task {name} #1 in DEPLOYING from t=100 to the end, its final state update lost at t=2000"),
            "job in RESTARTING from t=1000 to the end, waiting for it".to_string(),
        ]
    );
    // A stay that began after the loss is still the model's hang.
    run.task_transitions = vec![(2500, name.clone(), Created, Deploying)];
    let (flink_stalls, stuck) = split_flink_stalls(&spec, &run, stuck_states(&run, 0, 100));
    assert!(flink_stalls.is_empty());
    assert_eq!(read(&stuck).len(), 2, "the job's and the task's stays: {stuck:?}");
}

#[test]
fn no_checkpoint_after_the_healing() {
    let (spec, mut run, reference) = bare();
    run.checkpoints.clear();
    let v = liveness::liveness_with(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false));
    assert_eq!(
        read(&v.anomalies),
        [form(
            "no-checkpoint-after-heal",
            0,
            "no checkpoint completed within 1000 ms after t=0 (last fault, restart or re-tune)"
        )]
    );
}

#[test]
fn no_checkpoint_behind_an_unreconciled_final_state() {
    let (mut spec, mut run, reference) = bare();
    spec.profile = Profile::Flink111;
    let name = run.task_names[0].clone();
    run.checkpoints.clear();
    run.task_transitions = vec![(10, name.clone(), Created, Deploying), (20, name.clone(), Deploying, Running)];
    run.lost_final_states = vec![(15_000, TaskId(0), Attempt(1))];
    let v = liveness::liveness_with(&spec, &run, &reference);
    assert_eq!(
        read(&v.anomalies),
        [form(
            "stall-unreconciled-final-state",
            15_000,
            &format!(
                "no checkpoint completed within 1000 ms after t=0 (last fault, restart or re-tune) [the final state \
                 update of {name} #1 was lost at t=15000; flink-1.11 has no deployment reconciliation, real Flink \
                 before 1.12 stalls here too (FLINK-17075)]"
            )
        )]
    );
}

/// Flink 1.11 counts neither a refusal once a source FINISHED nor a decline of a closing task
/// (`CheckpointFailureManager`): when every attempt after the healing failed that way behind a
/// lost final state, no failover ends the wait, the stall is Flink's own; one counted failure
/// (an expiry) would have used up the tolerable failures and failed over, so the stall is named.
#[test]
fn uncounted_failures_behind_a_lost_final_state_are_flinks_own_in_1_11() {
    let (mut spec, mut run, reference) = bare();
    spec.profile = Profile::Flink111;
    let name = run.task_names[0].clone();
    let mut declined = run.checkpoints[0].clone();
    run.checkpoints.clear();
    run.task_transitions = vec![(10, name.clone(), Created, Deploying), (20, name, Deploying, Running)];
    run.lost_final_states = vec![(15_000, TaskId(0), Attempt(1))];
    (declined.trigger_ms, declined.end_ms) = (16_000, Some(16_010));
    declined.outcome = "CHECKPOINT_DECLINED_TASK_CLOSING".to_string();
    run.checkpoints = vec![declined.clone()];
    let v = liveness::liveness_with(&spec, &run, &reference);
    assert_eq!(v.passed, Some(true), "{:?}", v.anomalies);
    assert!(
        v.summary.contains("expected by flink-1.11") && v.summary.contains("(CHECKPOINT_DECLINED_TASK_CLOSING:"),
        "{}",
        v.summary
    );
    // An expiry counts: the failover it leads to is the model's to make.
    let mut expired = declined;
    (expired.trigger_ms, expired.end_ms, expired.outcome) = (17_000, Some(18_000), "CHECKPOINT_EXPIRED".into());
    run.checkpoints.push(expired);
    let v = liveness::liveness_with(&spec, &run, &reference);
    assert_eq!(v.passed, Some(false), "{}", v.summary);
    assert_eq!(read(&v.anomalies)[0].0, "stall-unreconciled-final-state");
}

/// Flink before 1.12 after a stop-with-savepoint (FLINK-17075): the savepoint completed, a task's
/// final state update was lost, and the stop waits for it with the periodic scheduler stopped.
/// A task that acknowledged the savepoint and failed before its completion (its FAILED update
/// lost) leaves the same wait (swarm seed 5146 of `rescale/stop-expired-1.11`); a loss before the
/// savepoint's trigger does not (the savepoint could not have completed without that task).
#[test]
fn a_stop_waiting_for_a_final_state_lost_after_its_savepoint_trigger_is_flinks_own() {
    let (mut spec, mut run, reference) = bare();
    spec.profile = Profile::Flink111;
    let mut savepoint = run.checkpoints[0].clone();
    (savepoint.trigger_ms, savepoint.end_ms, savepoint.outcome) = (6_000, Some(7_000), "COMPLETED".into());
    run.checkpoints = vec![savepoint.clone()];
    run.stops = vec![crate::world::StopRecord { at_ms: 5_900, drain: false, savepoint: Some(savepoint.id) }];
    for (lost_at_ms, flinks) in [(7_500, true), (6_500, true), (5_000, false)] {
        run.lost_final_states = vec![(lost_at_ms, TaskId(0), Attempt(1))];
        let v = liveness::liveness_with(&spec, &run, &reference);
        assert_eq!(v.passed, Some(flinks), "lost at {lost_at_ms}: {:?}", v.anomalies);
        assert_eq!(v.summary.contains("FLINK-17075): stop-with-savepoint"), flinks, "{}", v.summary);
    }
}

#[test]
fn output_did_not_converge() {
    let (spec, mut run, reference) = bare();
    assert!(unconverged(&spec, &run, &reference, run.stop_at_ms).is_none(), "every input printed");
    run.print_rows.retain(|r| r.lineage.input_seq != 0);
    let f = unconverged(&spec, &run, &reference, run.stop_at_ms).expect("input 0 missing");
    let at = input_time(&spec, 0);
    assert_eq!(
        read(&[f]),
        [form(
            "output-did-not-converge",
            20_000,
            &format!(
                "output did not converge: 1 inputs that arrived before the healing at t=20000 are missing at the end \
                 (first: input #0 at {at} ms)"
            )
        )]
    );
    // Inputs that arrived after the healing are not judged.
    assert!(unconverged(&spec, &run, &reference, at).is_none());
}
