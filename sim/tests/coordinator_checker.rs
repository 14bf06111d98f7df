//! The `coordinator` checker's acknowledgement rule (a completed checkpoint was acknowledged by every task not FINISHED at its trigger) and its min pause judged on periodic requests only, as each checkpoint row records them.

use ckptsim::Variant;
use ckptsim_sim::{check, load, world};
use std::path::Path;

fn load_rel(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

/// The planted `finished-task-counts-as-acked` completes the first stop's savepoint 2 when
/// tm0's tasks, whose acks were lost, FINISHED after its trigger: the checker names each task
/// whose ack is missing, and that is all it (or any other checker) finds. The correct protocol
/// leaves savepoint 2 pending (aborted at the job's end) and every completed checkpoint has all
/// its required acks.
#[test]
fn a_checkpoint_completed_without_a_required_ack_is_named() {
    let planted = load_rel("scenarios/negative/finished-task-counts-as-acked.toml");
    assert_eq!(planted.variant, Variant::FinishedTaskCountsAsAcked);
    let run = world::run(&planted, 1);
    let v = check::coordinator(&planted, &run);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(!v.anomalies.is_empty());
    for a in &v.anomalies {
        assert!(a.contains("checkpoint 2 completed without an acknowledgement from"), "{a}");
        assert!(a.contains("after the trigger"), "{a}");
    }
    let row = run.checkpoints.iter().find(|r| r.id.0 == 2).expect("savepoint 2");
    let acks = row.acks.as_ref().expect("a completed checkpoint's acks are recorded");
    assert_eq!(acks.missing.len(), v.anomalies.len());
    assert!(acks.missing.iter().all(|m| m.2.is_some()), "every task missing FINISHED later: {acks:?}");
    // No other checker notices the planted bug in this run.
    let reference = ckptsim_sim::reference::compute(&planted);
    for other in check::check_all(&planted, &run, &reference) {
        if other.checker != "coordinator" {
            assert_ne!(other.passed, Some(false), "{other:?}");
        }
    }

    let mut correct = planted.clone();
    correct.variant = Variant::Correct;
    let run = world::run(&correct, 1);
    let v = check::coordinator(&correct, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    let row = run.checkpoints.iter().find(|r| r.id.0 == 2).expect("savepoint 2");
    assert_ne!(row.outcome, "COMPLETED");
    let completed: Vec<_> = run.checkpoints.iter().filter(|r| r.outcome == "COMPLETED").collect();
    assert_eq!(completed.len(), 2, "{completed:?}");
    for r in completed {
        let acks = r.acks.as_ref().expect("recorded");
        assert_eq!((acks.required as usize, acks.missing.len()), (run.task_names.len(), 0), "{r:?}");
    }
}

/// A 2.x checkpoint triggered after some tasks FINISHED does not wait for them: the world
/// records them as finished at the trigger, not as required (the final checkpoints of a bounded
/// job whose sources finished first).
#[test]
fn tasks_finished_before_the_trigger_are_not_required() {
    let spec = load_rel("scenarios/regressions/final-checkpoint-after-sources-finished.toml");
    let run = world::run(&spec, 1);
    let v = check::coordinator(&spec, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    let rows: Vec<_> = run.checkpoints.iter().filter(|r| r.acks.is_some()).collect();
    assert!(!rows.is_empty());
    let tasks = run.task_names.len() as u32;
    for r in &rows {
        let a = r.acks.as_ref().expect("filtered");
        assert_eq!(a.required + a.finished_at_trigger, tasks, "{r:?}");
        assert!(a.missing.is_empty(), "{r:?}");
    }
    assert!(rows.iter().any(|r| r.acks.as_ref().is_some_and(|a| a.finished_at_trigger > 0)), "{rows:?}");
}

/// Each row records whether its request was periodic: in a run with manual checkpoints the
/// planted `ignore-min-pause` is caught on the periodic triggers inside the pause, and the
/// manual ones (not periodic) are never named, also when they fall inside the pause. The old
/// checker judged no min pause at all in a run with a `trigger-checkpoint` action.
#[test]
fn the_min_pause_is_judged_on_periodic_requests_only() {
    let spec = load_rel("scenarios/negative/ignore-min-pause-with-manual-requests.toml");
    let run = world::run(&spec, 1);
    let manual: Vec<u64> = run.checkpoints.iter().filter(|r| !r.periodic).map(|r| r.id.0).collect();
    assert_eq!(manual.len(), 2, "the two trigger-checkpoint actions: {manual:?}");
    assert!(run.checkpoints.iter().filter(|r| r.periodic).count() > 10);
    let v = check::coordinator(&spec, &run);
    assert_eq!(v.passed, Some(false), "{v:?}");
    for a in &v.anomalies {
        assert!(a.contains("min pause violated"), "{a}");
        assert!(!manual.iter().any(|id| a.contains(&format!("checkpoint {id} "))), "{a}");
    }
    // The correct decider holds the periodic requests back; the manual ones still trigger.
    let mut correct = spec.clone();
    correct.variant = Variant::Correct;
    let run = world::run(&correct, 1);
    assert_eq!(run.checkpoints.iter().filter(|r| !r.periodic).count(), 2);
    assert_eq!(check::coordinator(&correct, &run).passed, Some(true));
}

/// The planted `queue-in-arrival-order` (the decider's queue first in, first out): under
/// unaligned checkpoints the savepoint of 2.2 s waits behind the pending checkpoint with the
/// periodic requests queued before it, and the planted decider chooses a periodic request
/// first. The checker's replay of the queue (`RunResult::requests`) names that choice, and
/// nothing else in the run is wrong: every other coordinator rule and every other checker
/// passes. The correct protocol chooses the savepoint and passes.
#[test]
fn a_periodic_request_chosen_before_a_queued_savepoint_is_named() {
    use ckptsim::coordinator::{QueueChange, RequestKind};
    let planted = load_rel("scenarios/negative/queue-in-arrival-order.toml");
    assert_eq!(planted.variant, Variant::QueueInArrivalOrder);
    let run = world::run(&planted, 1);
    let v = check::coordinator(&planted, &run);
    assert_eq!(v.passed, Some(false), "{v:?}");
    for a in &v.anomalies {
        assert!(a.contains("decider chose a periodic request while a savepoint request"), "{a}");
    }
    let reference = ckptsim_sim::reference::compute(&planted);
    for other in check::check_all(&planted, &run, &reference) {
        if other.checker != "coordinator" {
            assert_ne!(other.passed, Some(false), "{other:?}");
        }
    }

    let mut correct = planted.clone();
    correct.variant = Variant::Correct;
    let run = world::run(&correct, 1);
    let v = check::coordinator(&correct, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    // The savepoints waited in the queue (entered, then chosen later than they came).
    let sp: Vec<_> = run.requests.iter().filter(|e| e.request == RequestKind::Savepoint).collect();
    assert_eq!(sp.iter().filter(|e| e.change == QueueChange::Entered).count(), 2, "{sp:?}");
    let chosen: Vec<_> = sp.iter().filter(|e| e.change == QueueChange::Chosen).collect();
    assert_eq!(chosen.len(), 2, "{sp:?}");
    assert!(chosen[0].time_ms > 2200, "the first savepoint was queued: {sp:?}");

    // The replay's other rules, on edited records of the correct run.
    let mut edited = run.clone();
    let at = edited.requests.iter().position(|e| e.change == QueueChange::Chosen).expect("a choice");
    let e = edited.requests[at];
    // A periodic request dropped for the min pause although none is configured.
    edited.requests.insert(
        at,
        ckptsim_sim::world::RequestEvent {
            change: QueueChange::Failed(ckptsim::reason::CheckpointFailureReason::MinimumTimeBetweenCheckpoints),
            ..e
        },
    );
    edited.requests.insert(at, ckptsim_sim::world::RequestEvent { change: QueueChange::Entered, ..e });
    let v = check::coordinator(&correct, &edited);
    assert!(v.anomalies.iter().any(|a| a.contains("dropped a periodic request for the min pause (0 ms)")), "{v:?}");
    // A request chosen that never entered the queue.
    let mut edited = run.clone();
    edited.requests.remove(at - 1);
    let v = check::coordinator(&correct, &edited);
    assert!(v.anomalies.iter().any(|a| a.contains("without having entered it")), "{v:?}");
}

/// Session 43: the timeout rules are judged under a runtime re-tune too, each checkpoint with the
/// timeout in force at its trigger (before, any accepted re-tune switched them off). The planted
/// `retune-timeout-moves-pending` re-plans the pending checkpoint's expiry to its trigger plus
/// the re-tuned 1 s: the checker names an expiry not at the 3 s timeout of its trigger. The
/// correct protocol keeps the deadline, and the checkpoint completes within its 3 s.
#[test]
fn a_re_tuned_timeout_applies_from_the_next_trigger() {
    let planted = load_rel("scenarios/negative/retune-timeout-moves-pending.toml");
    assert_eq!(planted.variant, Variant::RetuneTimeoutMovesPending);
    let run = world::run(&planted, 1);
    let v = check::coordinator(&planted, &run);
    assert_eq!(v.passed, Some(false), "{v:?}");
    assert!(v.anomalies.iter().any(|a| a.contains("expired after") && a.contains("(timeout 3000 ms)")), "{v:?}");

    let mut correct = planted.clone();
    correct.variant = Variant::Correct;
    let run = world::run(&correct, 1);
    let v = check::coordinator(&correct, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    // The slow checkpoint pending at the re-tune completed after more than the new timeout.
    let slow = run.checkpoints.iter().filter(|r| r.trigger_ms < 2500 && r.end_ms.is_some_and(|e| e > 2500));
    assert!(
        slow.clone().any(|r| r.outcome == "COMPLETED" && r.end_ms.unwrap() - r.trigger_ms > 1000),
        "{:?}",
        run.checkpoints
    );
}
