//! The `coordinator` checker's finding forms, each built by planting its anomaly in a real run's result (checkpoint rows, trigger events, lost or failed trigger RPCs, the request decider's queue changes): the rendered line, and the kind and moment `signature::classify` reads.

use super::forms_tests::{form, read_findings, seed_run};
use super::*;
use crate::world::trace::{EventData, Trace};
use crate::world::{AckRecord, CheckpointRow, FailedTrigger, LostTrigger, RequestEvent};
use ckptsim::coordinator::{QueueChange, RequestKind};
use ckptsim::reason::CheckpointFailureReason;
use ckptsim::status::JobStatus;
use ckptsim::{Attempt, CheckpointId, Profile, TaskId};

/// Seed 003's job and run with every coordinator record cleared, and a config of max concurrent
/// 1, no min pause and a 10 s timeout (the seed's run itself passes the checker).
fn bare() -> (JobSpec, RunResult) {
    let (mut spec, mut run, _) = seed_run("003-at-least-once.toml");
    assert_eq!(coordinator::coordinator(&spec, &run).passed, Some(true), "the run itself passes");
    spec.profile = Profile::Flink23;
    spec.checkpoint.max_concurrent = 1;
    spec.checkpoint.min_pause_ms = 0;
    spec.checkpoint.timeout_ms = 10_000;
    spec.checkpoint.unaligned = false;
    run.checkpoints.clear();
    run.trace = Trace::full();
    run.requests.clear();
    run.lost_triggers.clear();
    run.failed_triggers.clear();
    // The notifications and gate passes name the cleared rows (session 37's rules).
    run.notified_complete.clear();
    run.gate_passes.clear();
    (spec, run)
}

/// The run's status timeline cut where the job first leaves RUNNING (seed 003's task failure at
/// 6001 ms), for rows planted pending past it: the coordinator's rule that no periodic checkpoint
/// stays pending once the job left RUNNING (session 25) is judged on its own below.
fn running_only(run: &mut RunResult) {
    let left =
        run.status_timeline.windows(2).position(|w| w[0].1 == JobStatus::Running && w[1].1 != JobStatus::Running);
    if let Some(i) = left {
        run.status_timeline.truncate(i + 1);
    }
}

/// A periodic checkpoint row: triggered at `trigger_ms`, ended at `end_ms` with `outcome`.
fn row(id: u64, trigger_ms: u64, end_ms: Option<u64>, outcome: &str) -> CheckpointRow {
    CheckpointRow {
        trigger_ms,
        end_ms,
        outcome: outcome.into(),
        periodic: true,
        ..CheckpointRow::pending(CheckpointId(id))
    }
}

/// Every finding of the checker on `run`: (kind, moment, line), as a signature reads them.
fn forms(spec: &JobSpec, run: &RunResult) -> Vec<(String, Option<u64>, String)> {
    let v = coordinator::coordinator(spec, run);
    assert_eq!(v.passed, Some(v.anomalies.is_empty()));
    read_findings(v.checker, &v.anomalies)
}

#[test]
fn too_many_pending() {
    let (spec, mut run) = bare();
    run.checkpoints = vec![row(1, 100, Some(400), "COMPLETED"), row(2, 200, Some(500), "COMPLETED")];
    assert_eq!(forms(&spec, &run), [form("too-many-pending", 200, "t=200 2 checkpoints pending (max concurrent 1)")]);
    // A forced savepoint passes max concurrent (Flink's CheckpointRequestDecider).
    run.checkpoints[1].savepoint = true;
    assert_eq!(forms(&spec, &run), []);
}

#[test]
fn ids_not_increasing_and_triggered_again() {
    let (spec, mut run) = bare();
    run.checkpoints = vec![row(2, 100, Some(150), "CHECKPOINT_DECLINED"), row(1, 200, Some(250), "COMPLETED")];
    assert_eq!(forms(&spec, &run), [form("ids-not-increasing", 200, "t=200 checkpoint ids not increasing: 1 after 2")]);
    // The trigger events: an id triggered again (e.g. by a new JobManager without the HA counter).
    let (spec, mut run) = bare();
    let mut trace = Trace::full();
    for at in [100, 300] {
        trace.push_data(at, "jm", "trigger", String::new(), EventData::Trigger { id: CheckpointId(3) });
    }
    run.trace = trace;
    assert_eq!(
        forms(&spec, &run),
        [form(
            "checkpoint-id-triggered-again",
            300,
            "t=300 checkpoint id 3 triggered again or lowered: checkpoint 3 was triggered at t=100"
        )]
    );
}

#[test]
fn min_pause_violated_by_a_periodic_request_only() {
    let (mut spec, mut run) = bare();
    spec.checkpoint.min_pause_ms = 100;
    run.checkpoints = vec![row(1, 100, Some(200), "COMPLETED"), row(2, 250, Some(300), "COMPLETED")];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "min-pause-violated",
            250,
            "t=250 min pause violated: checkpoint 2 triggered 50 ms after the last completion (min pause 100 ms)"
        )]
    );
    // A manual trigger is not held to the min pause.
    run.checkpoints[1].periodic = false;
    assert_eq!(forms(&spec, &run), []);
}

#[test]
fn completed_without_ack() {
    let (spec, mut run) = bare();
    let name = run.task_names[0].clone();
    let mut r = row(1, 100, Some(400), "COMPLETED");
    r.acks = Some(AckRecord {
        required: 2,
        finished_at_trigger: 0,
        missing: vec![(TaskId(0), Attempt(1), None), (TaskId(0), Attempt(2), Some(300))],
        partly_finished_union: Vec::new(),
    });
    run.checkpoints = vec![r];
    assert_eq!(
        forms(&spec, &run),
        [
            form(
                "completed-without-ack",
                400,
                &format!(
                    "t=400 checkpoint 1 completed without an acknowledgement from {name} attempt 1, which was not \
                     FINISHED at its trigger at t=100"
                )
            ),
            form(
                "completed-without-ack",
                400,
                &format!(
                    "t=400 checkpoint 1 completed without an acknowledgement from {name} attempt 2, which was not \
                     FINISHED at its trigger at t=100 (it FINISHED at t=300, after the trigger: Flink still waits \
                     for its ack)"
                )
            ),
        ]
    );
}

#[test]
fn expiry_not_at_timeout() {
    let (spec, mut run) = bare();
    running_only(&mut run);
    run.checkpoints = vec![row(1, 100, Some(600), "CHECKPOINT_EXPIRED")];
    assert_eq!(
        forms(&spec, &run),
        [form("expiry-not-at-timeout", 600, "t=600 checkpoint 1 expired after 500 ms (timeout 10000 ms)")]
    );
    run.checkpoints = vec![row(1, 100, Some(10_100), "CHECKPOINT_EXPIRED")];
    assert_eq!(forms(&spec, &run), []);
}

#[test]
fn subsumption_of_an_older_pending_checkpoint() {
    let (mut spec, mut run) = bare();
    // Checkpoint 2 completes at 300 while checkpoint 1 (triggered before it, so max concurrent 2)
    // ends only at 700.
    spec.checkpoint.max_concurrent = 2;
    run.checkpoints = vec![row(1, 100, Some(700), "CHECKPOINT_DECLINED"), row(2, 200, Some(300), "COMPLETED")];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "checkpoint-still-pending-when",
            300,
            "t=300 checkpoint 1 still pending when the newer checkpoint 2 completed (ended CHECKPOINT_DECLINED \
             at t=700): a completion subsumes every older pending checkpoint"
        )]
    );
}

#[test]
fn failed_and_lost_trigger_rpcs() {
    let (spec, mut run) = bare();
    running_only(&mut run);
    let name = run.task_names[0].clone();
    // flink-2.3: a failed trigger RPC aborts the checkpoint when the failure arrives.
    run.checkpoints = vec![row(1, 100, None, "PENDING")];
    run.failed_triggers = vec![FailedTrigger { arrived_ms: 150, task: TaskId(0), id: CheckpointId(1) }];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "checkpoint-its-trigger-rpc",
            150,
            &format!(
                "t=150 checkpoint 1: its trigger RPC to {name} failed (the TaskManager does not run the attempt); \
                 flink-2.3 aborts it when the failure arrives (TASK_CHECKPOINT_FAILURE), but it was still pending \
                 when the run stopped"
            )
        )]
    );
    // flink-2.3: a lost trigger (or its answer) aborts the checkpoint at the ask timeout.
    run.failed_triggers.clear();
    let ask = crate::check::signature::ASK_TIMEOUT_MS;
    let lost = |answer| LostTrigger {
        lost_ms: 120,
        sent_ms: 100,
        task: TaskId(0),
        attempt: Attempt(1),
        id: CheckpointId(1),
        answer,
    };
    run.checkpoints = vec![row(1, 100, Some(100 + ask + 1), "CHECKPOINT_DECLINED")];
    for (answer, what, kind) in [
        (false, format!("its trigger RPC to {name}"), "checkpoint-its-trigger-rpc"),
        (true, format!("the answer to its trigger RPC from {name}"), "checkpoint-the-answer-to"),
    ] {
        run.lost_triggers = vec![lost(answer)];
        let deadline = 100 + ask;
        assert_eq!(
            forms(&spec, &run),
            [form(
                kind,
                deadline,
                &format!(
                    "t={deadline} checkpoint 1: {what} was lost at t=120 (sent at t=100); flink-2.3 aborts it when \
                     the RPC's ask timeout ({ask} ms) runs out (TRIGGER_CHECKPOINT_FAILURE, not counted), but it \
                     ended CHECKPOINT_DECLINED at t={}",
                    deadline + 1
                )
            )]
        );
    }
    // flink-1.11: the trigger is fire-and-forget, so a trigger failure reason is named.
    let mut spec = spec;
    spec.profile = Profile::Flink111;
    run.lost_triggers = vec![lost(false)];
    run.checkpoints = vec![row(1, 100, Some(900), "TRIGGER_CHECKPOINT_FAILURE")];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "checkpoint-its-trigger-rpc",
            900,
            &format!(
                "t=900 checkpoint 1: its trigger RPC to {name} was lost at t=120; flink-1.11's trigger is \
                 fire-and-forget (no answer, nothing times out): the checkpoint stays pending until it expires, but \
                 it ended TRIGGER_CHECKPOINT_FAILURE"
            )
        )]
    );
}

/// A queue change of the coordinator of epoch 1.
fn change(time_ms: u64, request: RequestKind, change: QueueChange) -> RequestEvent {
    RequestEvent { time_ms, epoch: 1, request, change }
}

#[test]
fn decider_queue_forms() {
    use QueueChange::{Chosen, Entered, Failed};
    use RequestKind::{Manual, Periodic, Savepoint};
    let (spec, mut run) = bare();
    let ahead = "a manual request (queued since t=11) was ahead of it (Flink's CheckpointRequestDecider: \
                 savepoints, then forced, then non-periodic requests first)";
    // A periodic request chosen while a manual one (a higher class) waited.
    run.requests = vec![change(10, Periodic, Entered), change(11, Manual, Entered), change(12, Periodic, Chosen)];
    assert_eq!(
        forms(&spec, &run),
        [form("decider-chose-periodic-request", 12, &format!("t=12 decider chose a periodic request while {ahead}"))]
    );
    // The whole queue failed out of priority order.
    let shutdown = Failed(CheckpointFailureReason::CheckpointCoordinatorShutdown);
    run.requests = vec![change(10, Periodic, Entered), change(11, Manual, Entered), change(12, Periodic, shutdown)];
    let reason = CheckpointFailureReason::CheckpointCoordinatorShutdown;
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-failed-periodic-request",
            12,
            &format!("t=12 decider failed a periodic request ({reason}) while {ahead}")
        )]
    );
    // A full queue drops its last request, not a higher one.
    let full = Failed(CheckpointFailureReason::TooManyCheckpointRequests);
    run.requests = vec![change(20, Manual, Entered), change(21, Periodic, Entered), change(22, Manual, full)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-dropped-manual-request",
            22,
            "t=22 decider dropped a manual request for a full queue while a periodic request was queued behind it \
             (the last request is dropped)"
        )]
    );
    // A request that leaves without having entered.
    run.requests = vec![change(30, Savepoint, Chosen)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "savepoint-request-left-the",
            30,
            "t=30 a savepoint request left the decider's queue without having entered it"
        )]
    );
}

#[test]
fn decider_min_pause_drop_forms() {
    use QueueChange::{Entered, Failed};
    use RequestKind::{Manual, Periodic};
    let (mut spec, mut run) = bare();
    spec.checkpoint.min_pause_ms = 500;
    let pause = Failed(CheckpointFailureReason::MinimumTimeBetweenCheckpoints);
    // Dropped although no checkpoint had completed.
    run.requests = vec![change(40, Periodic, Entered), change(41, Periodic, pause)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-dropped-periodic-request",
            41,
            "t=41 decider dropped a periodic request for the min pause (500 ms) although no checkpoint had completed"
        )]
    );
    // Within the pause of a completion at t=100: no finding; after it ran out: named.
    run.checkpoints = vec![row(1, 50, Some(100), "COMPLETED")];
    run.requests = vec![change(400, Periodic, Entered), change(400, Periodic, pause)];
    assert_eq!(forms(&spec, &run), []);
    run.requests = vec![change(700, Periodic, Entered), change(700, Periodic, pause)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-dropped-periodic-request",
            700,
            "t=700 decider dropped a periodic request for the min pause (500 ms) although the last completion was \
             at t=100"
        )]
    );
    // A manual request never waits for the pause; one ahead of a dropped periodic request is named.
    run.requests = vec![change(400, Manual, Entered), change(400, Manual, pause)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-dropped-manual-request",
            400,
            "t=400 decider dropped a manual request for the min pause: only periodic requests that are not forced \
             wait for it"
        )]
    );
    run.requests = vec![change(398, Periodic, Entered), change(399, Manual, Entered), change(400, Periodic, pause)];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "decider-dropped-periodic-request",
            400,
            "t=400 decider dropped a periodic request for the min pause while a manual request (queued since t=399) \
             was ahead of it (Flink's CheckpointRequestDecider: savepoints, then forced, then non-periodic requests \
             first)"
        )]
    );
}

/// Session 25 (`pending-survives-failover`): a periodic checkpoint still pending when the job
/// leaves RUNNING (seed 003's task failure at 6001 ms) is named, whether it ended later or
/// never; one that ended at that instant, a savepoint, and one triggered in that millisecond are
/// not.
#[test]
fn periodic_checkpoint_pending_after_leaving_running() {
    let (spec, mut run) = bare();
    let left = run.status_timeline.windows(2).find(|w| w[0].1 == JobStatus::Running && w[1].1 != JobStatus::Running);
    let t = left.expect("seed 003 fails a task")[1].0;
    assert_eq!(t, 6001);
    run.checkpoints = vec![row(1, 5000, Some(9000), "CHECKPOINT_DECLINED")];
    assert_eq!(
        forms(&spec, &run),
        [form(
            "pending-after-leaving-running",
            t,
            "checkpoint 1 triggered at 5000 ms was still pending when the job left RUNNING at 6001 ms: ended at 9000 ms \
             (CHECKPOINT_DECLINED) (Flink's stopCheckpointScheduler aborts every pending checkpoint, CHECKPOINT_COORDINATOR_SUSPEND)"
        )]
    );
    run.checkpoints = vec![row(1, 5000, None, "PENDING")];
    assert_eq!(forms(&spec, &run).len(), 1, "never ended");
    run.checkpoints = vec![row(1, 5000, Some(t), "CHECKPOINT_COORDINATOR_SUSPEND")];
    assert_eq!(forms(&spec, &run), [], "aborted as the job left RUNNING");
    run.checkpoints =
        vec![CheckpointRow { savepoint: true, periodic: false, ..row(1, 5000, Some(9000), "CHECKPOINT_DECLINED") }];
    assert_eq!(forms(&spec, &run), [], "a savepoint is not judged");
    run.checkpoints = vec![row(1, t, Some(9000), "CHECKPOINT_DECLINED")];
    assert_eq!(forms(&spec, &run), [], "same millisecond: not judged");
}
