//! Coordinator unit tests, continued: edge cases found by the mutation score (issue 14) — the order of due timers in one late `handle_timeout`, a failed stop-with-savepoint after shutdown (the case table and helpers are in `coordinator_tests.rs`).

use super::*;

// ------------------------------------------------------------------ timers due together

/// Several timers due in one `handle_timeout`: they are handled in time order, and an expiry
/// goes before a firing planned at the same instant (module doc, "Output order"). In Flink
/// each is its own scheduled task on the timer thread (`ScheduledTrigger`, the canceller
/// `CheckpointCanceller` of `PendingCheckpoint`), run in deadline order. With max concurrent
/// 2 the order is visible: a firing triggers at once instead of queueing behind the expiry.
#[test]
fn due_timers_run_in_time_order_expiry_first_at_the_same_instant() {
    let config = |timeout_ms| {
        cfg(Some(1000), |c| {
            c.max_concurrent = 2;
            c.timeout_ms = timeout_ms;
            c.tolerable_failures = 5;
        })
    };
    // Checkpoint 1 (triggered at 500) expires at 1700; the host sleeps until 2600: the firing
    // of 1500 comes before that expiry, the firing of 2500 after it.
    check(
        "firing before expiry",
        Case {
            config: config(1200),
            steps: vec![Up(0), To(600), Late(2600), Probe],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=2600 trigger id=2 ckpt aligned",
                "t=2600 abort id=1 ckpt CHECKPOINT_EXPIRED",
                "t=2600 notify-aborted id=1",
                "t=2600 trigger id=3 ckpt aligned",
                "t=2600 probe next_id=4 pending=[2, 3] queued=0 sched=on timer=3500 latest=-",
            ],
            ..base()
        },
    );
    // Checkpoint 1 expires at 1500, the instant of the second firing: the expiry first.
    check(
        "expiry at the firing's instant",
        Case {
            config: config(1000),
            steps: vec![Up(0), To(1500), Probe],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=1500 abort id=1 ckpt CHECKPOINT_EXPIRED",
                "t=1500 notify-aborted id=1",
                "t=1500 trigger id=2 ckpt aligned",
                "t=1500 probe next_id=3 pending=[2] queued=0 sched=on timer=2500 latest=-",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ a failed stop-with-savepoint

fn running_view() -> ExecutionView {
    ExecutionView { job_status: JobStatus::Running, all_tasks_running_or_finished: true, sources_running: true }
}

fn drain(c: &mut CheckpointCoordinator, now: u64) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(o) = c.poll_output() {
        out.push(render(now, &o));
    }
    out
}

/// A failed stop restarts the scheduler as Flink's `SchedulerBase#startCheckpointScheduler`
/// does: `CheckpointCoordinator#startCheckpointScheduler` plans the first firing after an
/// initial delay in `[min pause, base interval]` (`getRandomInitDelay`; the model takes the
/// base interval). After a shutdown it starts nothing: Flink's coordinator refuses to start
/// once shut down and the scheduler ignores that ("concurrent shut down of the coordinator").
#[test]
fn a_failed_stop_resumes_after_an_initial_delay_and_never_after_shutdown() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let config = cfg(Some(1000), |c| c.min_pause_ms = 200);
        let mut c = CheckpointCoordinator::new(&config, profile, Variant::Correct, vec![TaskId(0)], 0);
        c.handle_execution_view(0, running_view(), 0);
        c.stop_with_savepoint(100, crate::record::StopMode::NoDrain);
        drain(&mut c, 100);
        assert!(!c.scheduler_running(), "{profile}: a stop stops the scheduler");
        c.handle_decline(5_000, CheckpointId(1), TaskId(0), R::CheckpointDeclined);
        drain(&mut c, 5_000);
        c.resume_after_failed_stop(5_000);
        let out = drain(&mut c, 5_000);
        assert_eq!(out, vec!["t=5000 sched-start first=6000".to_string()], "{profile}");
        let first = c.poll_timeout().expect("a firing is planned");
        assert!(
            (5_200..=6_000).contains(&first),
            "{profile}: first firing {first} outside [now + min pause, now + base]"
        );
        // A second resume (no stop under way) changes nothing.
        c.resume_after_failed_stop(5_100);
        assert!(drain(&mut c, 5_100).is_empty(), "{profile}: resume without a stop");

        // The stop's savepoint fails only after the job reached a terminal status.
        let mut c = CheckpointCoordinator::new(&config, profile, Variant::Correct, vec![TaskId(0)], 0);
        c.handle_execution_view(0, running_view(), 0);
        c.stop_with_savepoint(100, crate::record::StopMode::NoDrain);
        drain(&mut c, 100);
        c.shutdown(200, JobStatus::Failed);
        drain(&mut c, 200);
        c.resume_after_failed_stop(300);
        assert!(drain(&mut c, 300).is_empty(), "{profile}: a shut-down coordinator started its scheduler");
        assert!(!c.scheduler_running() && c.poll_timeout().is_none(), "{profile}: nothing planned after shutdown");
    }
}

// ------------------------------------------------------------------ queries the host reads

/// The failure manager's count as the coordinator reports it: each counted failure adds one,
/// a completed checkpoint resets it (`CheckpointFailureManager#handleCheckpointSuccess`;
/// `CheckpointFailureManagerTest#testContinuousFailure...` count the same way).
#[test]
fn consecutive_failures_count_declines_and_reset_on_completion() {
    let config = cfg(None, |c| c.tolerable_failures = 5);
    let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    c.handle_execution_view(0, running_view(), 0);
    assert_eq!(c.consecutive_failures(), 0);
    for (i, now) in [(1, 10), (2, 20)] {
        c.request(now, RequestKind::Manual);
        c.handle_decline(now, CheckpointId(i), TaskId(0), R::CheckpointDeclined);
        assert_eq!(c.consecutive_failures(), i as u32, "after {i} declines");
    }
    c.request(30, RequestKind::Manual);
    c.handle_ack(30, CheckpointId(3), TaskId(0), snapshot());
    assert_eq!(c.latest_completed().map(|l| l.id), Some(CheckpointId(3)));
    assert_eq!(c.consecutive_failures(), 0, "a completion resets the count");
}

/// The stop's synchronous savepoint is reported once it completed (the job master then ends
/// the job), and forgotten by a global failover (the job runs on).
#[test]
fn stop_savepoint_completed_names_the_savepoint_until_a_failover() {
    let mut c = CheckpointCoordinator::new(&interval(None), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    c.handle_execution_view(0, running_view(), 0);
    c.request(10, RequestKind::Manual);
    c.handle_ack(10, CheckpointId(1), TaskId(0), snapshot());
    c.stop_with_savepoint(20, crate::record::StopMode::Drain);
    assert_eq!(c.stop_savepoint_completed(), None, "not before it completed");
    c.handle_ack(30, CheckpointId(2), TaskId(0), snapshot());
    assert_eq!(c.stop_savepoint_completed(), Some(CheckpointId(2)));
    c.handle_global_failover(40);
    assert_eq!(c.stop_savepoint_completed(), None, "a failover forgets it");
}

// ------------------------------------------------------------------ tasks finishing (FLIP-147)

/// flink-2.3 does not wait for a task that was FINISHED when a checkpoint was triggered (its
/// state is the one of its final checkpoint: Flink's `CheckpointPlan` leaves finished tasks out
/// of the tasks to wait for); a task that finishes *after* the trigger is still waited for,
/// because the plan is fixed at the trigger and only an acknowledgement removes a task from
/// `PendingCheckpoint`'s not-yet-acknowledged tasks. So a checkpoint whose acknowledgement from
/// a task was lost before that task finished stays pending (to its expiry, or the job's end).
/// flink-1.11 keeps no finished tasks at all. A task outside the job is ignored in both
/// profiles.
#[test]
fn a_task_finishing_after_the_trigger_is_still_waited_for() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let tasks = vec![TaskId(0), TaskId(1), TaskId(2)];
        let mut c = CheckpointCoordinator::new(&interval(None), profile, Variant::Correct, tasks, 0);
        c.handle_execution_view(0, running_view(), 0);
        c.handle_task_finished(5, TaskId(9));
        assert_eq!(c.finished_tasks().count(), 0, "{profile}: a task outside the job finished");
        c.request(10, RequestKind::Manual);
        drain(&mut c, 10);
        c.handle_ack(20, CheckpointId(1), TaskId(1), snapshot());
        c.handle_task_finished(30, TaskId(0));
        c.handle_task_finished(40, TaskId(2));
        assert!(drain(&mut c, 40).is_empty(), "{profile}: completed by tasks finishing after its trigger");
        assert_eq!(c.pending_ids(), vec![CheckpointId(1)], "{profile}");
        let finished: Vec<TaskId> = c.finished_tasks().collect();
        if profile == Profile::Flink23 {
            assert_eq!(finished, vec![TaskId(0), TaskId(2)]);
        } else {
            assert!(finished.is_empty(), "1.11 keeps no finished tasks");
        }
    }
}

/// A trigger RPC that fails because the task finished between the plan and the trigger
/// (2.x `TaskExecutor#triggerCheckpoint` for an unknown task: `TASK_CHECKPOINT_FAILURE`):
/// flink-2.3 aborts the pending checkpoint at once (`CheckpointCoordinator#triggerCheckpointRequest`,
/// the trigger future's `exceptionally`), and the failure manager does not count the reason
/// (`CheckpointFailureManager#checkFailureCounter`), so even with 0 tolerable failures the job
/// is not failed; the next checkpoint no longer waits for the finished task. flink-1.11 ignores
/// the RPC's result (`Execution#triggerCheckpointHelper` returns nothing): the checkpoint stays
/// pending until it expires, which counts (`CHECKPOINT_EXPIRED`) and fails the job.
#[test]
fn a_trigger_rpc_failing_for_a_finished_task_aborts_uncounted_in_2_3_and_expires_in_1_11() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let config = cfg(None, |c| {
            c.tolerable_failures = 0;
            c.timeout_ms = 1_000;
        });
        let tasks = vec![TaskId(0), TaskId(1)];
        let mut c = CheckpointCoordinator::new(&config, profile, Variant::Correct, tasks, 0);
        c.handle_execution_view(0, running_view(), 0);
        c.request(10, RequestKind::Manual);
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger id=1 ckpt aligned"], "{profile}");
        c.handle_ack(20, CheckpointId(1), TaskId(1), snapshot());
        c.handle_task_finished(25, TaskId(0));
        c.handle_trigger_failure(30, CheckpointId(1), R::TaskCheckpointFailure);
        let out = drain(&mut c, 30);
        if profile == Profile::Flink23 {
            assert_eq!(out, vec!["t=30 abort id=1 ckpt TASK_CHECKPOINT_FAILURE", "t=30 notify-aborted id=1"]);
            assert!(c.pending_ids().is_empty());
            assert_eq!(c.consecutive_failures(), 0, "TASK_CHECKPOINT_FAILURE is not counted");
            // An unknown id changes nothing.
            c.handle_trigger_failure(40, CheckpointId(7), R::TaskCheckpointFailure);
            assert!(drain(&mut c, 40).is_empty());
            // The next checkpoint completes without the finished task.
            c.request(50, RequestKind::Manual);
            drain(&mut c, 50);
            c.handle_ack(60, CheckpointId(2), TaskId(1), snapshot());
            assert_eq!(
                drain(&mut c, 60),
                vec!["t=60 complete id=2 ckpt acks=2 bytes=100", "t=60 notify-complete id=2"]
            );
        } else {
            assert!(out.is_empty(), "1.11 ignores the trigger RPC's answer: {out:?}");
            assert_eq!(c.pending_ids(), vec![CheckpointId(1)]);
            c.handle_timeout(1_010);
            assert_eq!(
                drain(&mut c, 1_010),
                vec![
                    "t=1010 abort id=1 ckpt CHECKPOINT_EXPIRED",
                    "t=1010 notify-aborted id=1",
                    "t=1010 fail-job CHECKPOINT_EXPIRED id=1 task=-",
                ]
            );
        }
    }
}

/// flink-2.3: a checkpoint triggered after some tasks FINISHED completes on the acknowledgements
/// of the others, with the finished tasks' states filled in
/// (`testCheckpointTriggeredAfterSomeTasksFinishedIfAllowed`).
#[test]
fn a_task_finished_before_the_trigger_is_not_waited_for_in_2_3() {
    let tasks = vec![TaskId(0), TaskId(1)];
    let mut c = CheckpointCoordinator::new(&interval(None), Profile::Flink23, Variant::Correct, tasks, 0);
    c.handle_execution_view(0, running_view(), 0);
    c.handle_task_finished(5, TaskId(0));
    c.request(10, RequestKind::Manual);
    drain(&mut c, 10);
    c.handle_ack(20, CheckpointId(1), TaskId(1), snapshot());
    assert_eq!(drain(&mut c, 20), vec!["t=20 complete id=1 ckpt acks=2 bytes=100", "t=20 notify-complete id=1"]);
}

/// A task finishing completes neither a pending checkpoint triggered before it finished nor
/// one in its trigger phase (master hooks not all acknowledged).
#[test]
fn a_finished_task_completes_no_pending_checkpoint_nor_one_in_its_trigger_phase() {
    let config = cfg(None, |c| c.max_concurrent = 2);
    let tasks = vec![TaskId(0), TaskId(1)];
    let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, Variant::Correct, tasks, 0);
    c.handle_execution_view(0, running_view(), 0);
    c.request(10, RequestKind::Manual);
    drain(&mut c, 10);
    c.handle_ack(20, CheckpointId(1), TaskId(1), snapshot());
    c.add_master_hook(HookId(7));
    c.request(30, RequestKind::Manual);
    assert!(c.is_triggering());
    drain(&mut c, 30);
    c.handle_task_finished(40, TaskId(0));
    assert!(drain(&mut c, 40).is_empty(), "nothing completes on a FINISHED update");
    assert_eq!(c.pending_ids(), vec![CheckpointId(1), CheckpointId(2)]);
}

/// A task that finished on a stop-with-savepoint's synchronous savepoint carries the state it
/// took there into a later completion, not the store's newest checkpoint: 2.x keeps savepoints
/// out of the store (FLINK-25191), and that savepoint was the task's final checkpoint. Here
/// task 1 missed the notification and a second stop completes without task 0's ack. The swarm
/// finding `rescale/interval-join-graph-2-3-1 --seed 111 --swarm`: the finished source's
/// offsets went back to the last periodic checkpoint and the rescaled job read them again. A
/// global failover forgets the savepoint (the restarted tasks restore the store's newest).
#[test]
fn a_task_finished_by_a_stop_keeps_its_savepoint_state() {
    let marked = |n| TaskSnapshot { padding_bytes: n, ..TaskSnapshot::default() };
    let tasks = vec![TaskId(0), TaskId(1)];
    let mut c = CheckpointCoordinator::new(&interval(None), Profile::Flink23, Variant::Correct, tasks, 0);
    c.handle_execution_view(0, running_view(), 0);
    let finished_state = |c: &mut CheckpointCoordinator, now: u64, id: u64| {
        c.handle_ack(now, CheckpointId(id), TaskId(1), marked(id * 10));
        let mut completed = None;
        while let Some(o) = c.poll_output() {
            if let CoordinatorOutput::Completed(cp) = o {
                completed = Some(cp);
            }
        }
        let cp = completed.unwrap_or_else(|| panic!("checkpoint {id} completes without the finished task's ack"));
        cp.tasks[&TaskId(0)].padding_bytes
    };
    c.request(10, RequestKind::Manual);
    c.handle_ack(10, CheckpointId(1), TaskId(0), marked(1));
    c.handle_ack(10, CheckpointId(1), TaskId(1), marked(1));
    drain(&mut c, 10);
    c.stop_with_savepoint(20, crate::record::StopMode::NoDrain);
    c.handle_ack(20, CheckpointId(2), TaskId(0), marked(2));
    c.handle_ack(20, CheckpointId(2), TaskId(1), marked(2));
    drain(&mut c, 20);
    assert_eq!(c.latest_completed().map(|l| l.id), Some(CheckpointId(1)), "2.x stores no savepoint");
    c.handle_task_finished(30, TaskId(0));
    c.stop_with_savepoint(40, crate::record::StopMode::NoDrain);
    drain(&mut c, 40);
    assert_eq!(finished_state(&mut c, 50, 3), 2, "the finished task's state is its savepoint-2 snapshot");
    c.handle_global_failover(60);
    drain(&mut c, 60);
    c.handle_task_finished(70, TaskId(0));
    c.request(80, RequestKind::Manual);
    drain(&mut c, 80);
    assert_eq!(finished_state(&mut c, 90, 4), 1, "after a failover: the store's newest checkpoint");
}

/// Every task FINISHED while a checkpoint waited for its master hook (the mutation score's
/// open finding: the invariant used to panic, "acked by every unfinished task but still
/// pending"). 2.x: the checkpoint stays pending (it never reached its tasks) until the hook
/// answers; then the trigger to the finished tasks fails, `TRIGGER_CHECKPOINT_FAILURE`
/// (`CheckpointCoordinatorTest#testTasksFinishDuringTriggering`), nothing completes. 1.11
/// does not track finished tasks: the trigger goes out and the checkpoint waits (expiry).
#[test]
fn every_task_finishing_during_the_trigger_phase_fails_the_trigger_in_2_3() {
    for profile in [Profile::Flink111, Profile::Flink23] {
        let tasks = vec![TaskId(0), TaskId(1)];
        let mut c = CheckpointCoordinator::new(&cfg(None, |_| {}), profile, Variant::Correct, tasks, 0);
        c.handle_execution_view(0, running_view(), 0);
        c.add_master_hook(HookId(7));
        c.request(10, RequestKind::Manual);
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger-hooks id=1 ckpt"]);
        c.handle_task_finished(20, TaskId(0));
        c.handle_task_finished(21, TaskId(1));
        assert!(drain(&mut c, 21).is_empty(), "{profile:?}: nothing completes while the hook runs");
        assert_eq!(c.pending_ids(), vec![CheckpointId(1)]);
        c.handle_master_hook_ack(30, CheckpointId(1), HookId(7));
        // (the rendering checks a trigger's timestamp against the time given: the trigger time)
        let out = drain(&mut c, if profile == Profile::Flink23 { 30 } else { 10 });
        if profile == Profile::Flink23 {
            assert_eq!(
                out,
                vec!["t=30 abort id=1 ckpt TRIGGER_CHECKPOINT_FAILURE", "t=30 notify-aborted id=1"],
                "2.3: the trigger reaches only finished tasks"
            );
            assert!(c.pending_ids().is_empty() && c.store().latest().is_none());
        } else {
            assert_eq!(out, vec!["t=10 trigger id=1 ckpt aligned"], "1.11: the trigger goes out, nothing is acked");
            assert_eq!(c.pending_ids(), vec![CheckpointId(1)]);
        }
    }
}

// ------------------------------------------------------------------ master hooks

/// Only the registered hooks' answers for the checkpoint in its trigger phase count: an
/// acknowledgement or failure from an unregistered hook, or for another checkpoint id, is
/// ignored (the trigger phase ends when every registered hook acknowledged, as Flink's
/// `CheckpointCoordinator` waits for the master states and `OperatorCoordinatorCheckpoints`
/// of that checkpoint only).
#[test]
fn master_hook_answers_count_only_from_registered_hooks_for_the_checkpoint_triggering() {
    for fail in [false, true] {
        let mut c = CheckpointCoordinator::new(&interval(None), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
        c.handle_execution_view(0, running_view(), 0);
        c.add_master_hook(HookId(7));
        c.add_master_hook(HookId(8));
        c.request(10, RequestKind::Manual);
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger-hooks id=1 ckpt"]);
        for (id, hook) in [(1, 99), (5, 7)] {
            if fail {
                c.handle_master_hook_failure(20, CheckpointId(id), HookId(hook));
            } else {
                c.handle_master_hook_ack(20, CheckpointId(id), HookId(hook));
                c.handle_master_hook_ack(20, CheckpointId(id), HookId(8));
            }
            assert!(drain(&mut c, 20).is_empty(), "an answer of hook {hook} for {id} counted (fail {fail})");
            assert!(c.is_triggering() && c.pending_ids() == vec![CheckpointId(1)]);
        }
        if fail {
            // A registered hook's failure for the checkpoint triggering ends the trigger phase
            // and aborts the checkpoint (`testTriggerCheckpointSnapshotMasterHookFailed`).
            c.handle_master_hook_failure(30, CheckpointId(1), HookId(7));
            assert!(!c.is_triggering() && c.pending_ids().is_empty(), "hook 7's failure aborts checkpoint 1");
            continue;
        }
        c.handle_master_hook_ack(30, CheckpointId(1), HookId(7));
        c.handle_master_hook_ack(30, CheckpointId(1), HookId(8));
        // Rendered at 10: the tasks' trigger carries the checkpoint's trigger time.
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger id=1 ckpt aligned"]);
        assert!(!c.is_triggering());
    }
}

/// A hook acknowledges a checkpoint that expired during its trigger phase. Flink 1.11's trigger
/// phase (`isTriggering`) lasts until the hooks' futures complete, whatever happened to the
/// checkpoint meanwhile; then `CheckpointCoordinator#onTriggerFailure` sees a disposed
/// checkpoint, and the failure manager ignores `TRIGGER_CHECKPOINT_FAILURE`
/// (`CheckpointFailureManager#checkFailureCounter`; our failure-manager table row
/// `TriggerCheckpointFailure`). So: nothing reaches the tasks, the expiry stays the one counted
/// failure, and the request queued behind the trigger phase runs when the phase ends. 2.x
/// (FLINK-26394) ends the phase at the expiry itself (`PendingCheckpoint#abort` completes the
/// `masterTriggerCompletionPromise`): the queued request runs then, and the hook's late answer
/// is stale. The same after a shutdown during the phase: the late acknowledgement changes
/// nothing.
#[test]
fn a_hook_acknowledging_an_expired_checkpoint_triggers_nothing_and_counts_nothing() {
    let config = cfg(None, |c| {
        c.timeout_ms = 100;
        c.tolerable_failures = 5;
    });
    for profile in [Profile::Flink111, Profile::Flink23] {
        let mut c = CheckpointCoordinator::new(&config, profile, Variant::Correct, vec![TaskId(0)], 0);
        c.handle_execution_view(0, running_view(), 0);
        c.add_master_hook(HookId(7));
        c.request(10, RequestKind::Manual);
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger-hooks id=1 ckpt"]);
        c.request(20, RequestKind::Manual);
        assert_eq!(c.queued_request_kinds(), vec![RequestKind::Manual], "queued behind the trigger phase");
        c.handle_timeout(110);
        let expired = vec!["t=110 abort id=1 ckpt CHECKPOINT_EXPIRED", "t=110 notify-aborted id=1"];
        if profile == Profile::Flink23 {
            let mut want = expired.clone();
            want.push("t=110 trigger-hooks id=2 ckpt");
            assert_eq!(drain(&mut c, 110), want, "2.x: the expiry ends the trigger phase, the queued request runs");
            assert!(c.is_triggering() && c.queued_requests() == 0, "checkpoint 2's own trigger phase");
        } else {
            assert_eq!(drain(&mut c, 110), expired);
            assert!(c.is_triggering(), "1.11: the trigger phase outlives the expiry (the hooks still run)");
            assert_eq!(c.queued_requests(), 1, "nothing is chosen while the hooks run");
        }
        assert_eq!(c.consecutive_failures(), 1);
        c.handle_master_hook_ack(200, CheckpointId(1), HookId(7));
        let late = drain(&mut c, 200);
        if profile == Profile::Flink23 {
            assert!(late.is_empty(), "2.x: the late answer for checkpoint 1 is stale: {late:?}");
        } else {
            assert_eq!(
                late,
                vec!["t=200 trigger-hooks id=2 ckpt"],
                "no trigger for the expired checkpoint; the queued request runs"
            );
        }
        assert_eq!(c.consecutive_failures(), 1, "TRIGGER_CHECKPOINT_FAILURE is not counted");
        assert_eq!(c.pending_ids(), vec![CheckpointId(2)]);
    }

    // Shut down during the trigger phase, the hook answers afterwards.
    let mut c = CheckpointCoordinator::new(&config, Profile::Flink111, Variant::Correct, vec![TaskId(0)], 0);
    c.handle_execution_view(0, running_view(), 0);
    c.add_master_hook(HookId(7));
    c.request(10, RequestKind::Manual);
    drain(&mut c, 10);
    c.shutdown(20, JobStatus::Canceled);
    assert_eq!(
        drain(&mut c, 20),
        vec!["t=20 abort id=1 ckpt CHECKPOINT_COORDINATOR_SHUTDOWN", "t=20 notify-aborted id=1"]
    );
    c.handle_master_hook_ack(30, CheckpointId(1), HookId(7));
    assert!(drain(&mut c, 30).is_empty(), "a shut-down coordinator triggers nothing");
    assert!(!c.is_triggering() && c.pending_ids().is_empty());
    assert_eq!(c.consecutive_failures(), 0);
}

// ------------------------------------------------------------------ the request decider

/// The decider's queue order and its trigger-phase gate, as Flink's `CheckpointRequestDecider`:
/// nothing is chosen while a trigger is in progress, not even a forced savepoint
/// (`chooseRequestToExecute` returns empty when `isTriggering`); afterwards savepoints come
/// before checkpoints (`CheckpointRequestDeciderTest#testSavepointPrioritized`) and
/// user-submitted savepoints before periodic ones (`#testUserSubmittedPrioritized`),
/// whatever their arrival order. Here a manual checkpoint, a periodic savepoint and a user
/// savepoint queue, in that order, behind a master-hook trigger phase; max concurrent 10 so
/// that only the trigger phase holds them.
#[test]
fn requests_queued_behind_a_trigger_phase_come_out_savepoints_first_user_first() {
    let config = cfg(Some(1_000_000), |c| c.max_concurrent = 10);
    // (2.3 draws the first firing from the construction-time random: far beyond the test)
    let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, Variant::Correct, vec![TaskId(0)], 500_000);
    c.handle_execution_view(0, running_view(), 0);
    assert_eq!(drain(&mut c, 0), vec!["t=0 sched-start first=500000"]);
    c.add_master_hook(HookId(7));
    c.request(10, RequestKind::Manual);
    assert_eq!(drain(&mut c, 10), vec!["t=10 trigger-hooks id=1 ckpt"]);
    c.request(20, RequestKind::Manual);
    c.request(30, RequestKind::PeriodicSavepoint);
    c.request(40, RequestKind::Savepoint);
    assert!(drain(&mut c, 40).is_empty(), "a request was chosen during the trigger phase");
    assert_eq!(
        c.queued_request_kinds(),
        vec![RequestKind::Savepoint, RequestKind::PeriodicSavepoint, RequestKind::Manual],
        "queue order: user savepoint, periodic savepoint, checkpoint"
    );
    // Each hook acknowledgement sends its checkpoint to the tasks (rendered at its trigger
    // time) and starts the next trigger phase.
    let mut out = Vec::new();
    for id in 1..=3 {
        c.handle_master_hook_ack(50 + id, CheckpointId(id), HookId(7));
        while let Some(o) = c.poll_output() {
            let at = match &o {
                CoordinatorOutput::Trigger { timestamp_ms, .. } => *timestamp_ms,
                _ => 50 + id,
            };
            out.push(render(at, &o));
        }
        out.push(format!("queued {:?}", c.queued_request_kinds()));
    }
    assert_eq!(
        out,
        vec![
            "t=10 trigger id=1 ckpt aligned",
            "t=51 trigger-hooks id=2 savepoint",
            "queued [PeriodicSavepoint, Manual]",
            "t=51 trigger id=2 savepoint aligned",
            "t=52 trigger-hooks id=3 savepoint",
            "queued [Manual]",
            "t=52 trigger id=3 savepoint aligned",
            "t=53 trigger-hooks id=4 ckpt",
            "queued []",
        ]
    );
}

/// Too many checkpoints still being cleaned up hold the queue: Flink's decider chooses nothing
/// while `numberOfCleaningCheckpoints > maxConcurrentCheckpointAttempts`, and the request runs
/// once the number is back at the max (`CheckpointRequestDeciderTest#testEnqueueOnTooManyCleaning`:
/// max + 1 cleaning enqueues, one cleaned chooses it).
#[test]
fn too_many_cleaning_checkpoints_hold_the_queue_until_max_concurrent() {
    let mut c = CheckpointCoordinator::new(
        &cfg(None, |c| c.max_concurrent = 2),
        Profile::Flink23,
        Variant::Correct,
        vec![TaskId(0)],
        0,
    );
    c.handle_execution_view(0, running_view(), 0);
    c.handle_checkpoints_cleaning(5, 3);
    c.request(10, RequestKind::Manual);
    assert!(drain(&mut c, 10).is_empty(), "3 cleaning > max concurrent 2: the request waits");
    assert_eq!(c.queued_requests(), 1);
    c.handle_checkpoints_cleaning(20, 2);
    assert_eq!(drain(&mut c, 20), vec!["t=20 trigger id=1 ckpt aligned"], "2 cleaning = max: triggered");
    assert_eq!(c.queued_requests(), 0);
}

/// The min pause drops a non-forced periodic savepoint at the head of the queue (unaligned
/// checkpoints: savepoints are not forced), and the decider stops there: the manual checkpoint
/// behind it stays queued until the next evaluation, here the rescheduled firing, although
/// nothing else holds it (`CheckpointRequestDecider#chooseRequestToExecute` fails the head with
/// `MINIMUM_TIME_BETWEEN_CHECKPOINTS`, reschedules the trigger and returns empty;
/// `CheckpointRequestDeciderTest#testCheckpointTiming` / `#testSavepointTiming` for what the
/// pause applies to). The coordinator's invariants accept that blocked queue only after such a
/// drop.
#[test]
fn a_min_pause_drop_of_the_head_leaves_the_requests_behind_it_queued() {
    check(
        "min-pause drop with a manual checkpoint behind",
        Case {
            config: cfg(Some(1000), |c| {
                c.unaligned = true;
                c.min_pause_ms = 1000;
            }),
            steps: vec![
                Up(0),
                To(1000),
                To(1100),
                Req(RequestKind::PeriodicSavepoint),
                Req(RequestKind::Manual),
                Probe,
                AckAll(1),
                Probe,
                To(2100),
                Probe,
            ],
            expect: vec![
                "t=0 sched-start first=1000",
                "t=1000 trigger id=1 ckpt unaligned",
                "t=1100 probe next_id=2 pending=[1] queued=2 sched=on timer=2000 latest=-",
                "t=1100 complete id=1 ckpt acks=2 bytes=200",
                "t=1100 notify-complete id=1",
                "t=1100 rejected periodic-savepoint MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                "t=1100 probe next_id=2 pending=[] queued=1 sched=on timer=2100 latest=1",
                "t=2100 trigger id=2 ckpt unaligned",
                "t=2100 probe next_id=3 pending=[2] queued=1 sched=on timer=3100 latest=1",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ a job failure holds the queue

/// With `hold_queue_on_job_failure` (the JobMaster's setting), a request queued when the
/// failure manager fails the job is not triggered on the failing attempt: in Flink the
/// `FailJobCallback` runs `failGlobal` on the JobMaster's main thread before the request
/// chosen after the abort (`abortPendingCheckpoint` → `executeQueuedRequest`) gets its
/// checkpoint plan, so its trigger fails with `NOT_ALL_REQUIRED_TASKS_RUNNING` once the host
/// handled the failure (no id used). Without the hold, the model triggers it at once.
#[test]
fn a_request_queued_when_the_job_fails_waits_for_the_host_to_handle_the_failure() {
    for hold in [false, true] {
        let mut c =
            CheckpointCoordinator::new(&cfg(None, |_| {}), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
        if hold {
            c.hold_queue_on_job_failure();
        }
        c.handle_execution_view(0, running_view(), 0);
        c.request(10, RequestKind::Manual);
        assert_eq!(drain(&mut c, 10), vec!["t=10 trigger id=1 ckpt aligned"]);
        c.request(20, RequestKind::Manual);
        assert!(drain(&mut c, 20).is_empty(), "max concurrent 1: queued");
        c.handle_decline(30, CheckpointId(1), TaskId(0), R::CheckpointDeclined);
        let mut expect = vec![
            "t=30 abort id=1 ckpt CHECKPOINT_DECLINED",
            "t=30 notify-aborted id=1",
            "t=30 fail-job CHECKPOINT_DECLINED id=1 task=t0",
        ];
        if !hold {
            expect.push("t=30 trigger id=2 ckpt aligned");
        }
        assert_eq!(drain(&mut c, 30), expect, "hold {hold}");
        if !hold {
            continue;
        }
        assert_eq!(c.queued_request_kinds(), vec![RequestKind::Manual], "held while the job fails");
        let failing = ExecutionView {
            job_status: JobStatus::Restarting,
            all_tasks_running_or_finished: false,
            sources_running: false,
        };
        c.handle_execution_view(40, failing, 0);
        assert!(drain(&mut c, 40).is_empty(), "still held until the host says it handled the failure");
        c.job_failure_handled(50);
        assert_eq!(drain(&mut c, 50), vec!["t=50 rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING"]);
        assert_eq!(c.next_checkpoint_id(), CheckpointId(2), "no id used");
        assert_eq!(c.queued_requests(), 0);
    }
}

// ------------------------------------------------------------------ the invariants themselves

/// No public call sequence reaches a bad state, so an empty invariant checker would pass every
/// other test (the mutation score's `invariants` → `()`): each corruption of a private field
/// must be reported, and the legal state it starts from must not.
#[test]
fn coordinator_invariants_catch_a_corrupt_state() {
    let mut c = CheckpointCoordinator::new(
        &cfg(Some(1000), |c| c.max_concurrent = 2),
        Profile::Flink23,
        Variant::Correct,
        vec![TaskId(0), TaskId(1)],
        500,
    );
    c.handle_execution_view(0, running_view(), 0);
    c.request(10, RequestKind::Manual);
    drain(&mut c, 10);
    c.handle_ack(20, CheckpointId(1), TaskId(0), snapshot());
    assert_eq!(c.pending_ids(), vec![CheckpointId(1)]);
    let reported = |what: &str, corrupt: &dyn Fn(&mut CheckpointCoordinator)| {
        let mut bad = c.clone();
        corrupt(&mut bad);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bad.invariants())).is_err();
        assert!(caught, "not reported: {what}");
    };
    c.invariants();
    reported("a pending id at the counter", &|c| c.next_id = CheckpointId(1));
    reported("a pending checkpoint acked by every task", &|c| {
        let p = c.pending.get_mut(&CheckpointId(1)).expect("pending");
        p.acks.insert(TaskId(1), snapshot());
    });
    reported("an ack from a task outside the job", &|c| {
        let p = c.pending.get_mut(&CheckpointId(1)).expect("pending");
        p.acks.insert(TaskId(9), snapshot());
    });
    reported("a forced checkpoint", &|c| c.pending.get_mut(&CheckpointId(1)).expect("pending").forced = true);
    reported("a trigger in the future", &|c| c.pending.get_mut(&CheckpointId(1)).expect("pending").trigger_ms = 21);
    reported("a re-evaluation left undone", &|c| c.reevaluate = true);
    reported("work left after shutdown", &|c| c.shut_down = true);
    reported("a periodic timer while the scheduler is stopped", &|c| c.scheduler_running = false);
    reported("a trigger phase without hooks", &|c| {
        c.triggering = Some(Triggering {
            id: CheckpointId(1),
            kind: CheckpointKind::Checkpoint,
            acked: std::collections::BTreeSet::new(),
            task_finished: false,
        })
    });
    reported("a completion in the future", &|c| c.last_completion_ms = Some(21));
}

/// A min-pause drop re-arms the periodic trigger only while it is armed at all: with the
/// interval retuned below 10 ms the trigger is parked (the scheduler stays registered), and a
/// periodic savepoint the host submits and the min pause drops must not bring the periodic
/// firing back. (Flink has no runtime retune; its `rescheduleTrigger` runs only from the
/// decider's min-pause drop of a periodic request.)
#[test]
fn a_min_pause_drop_does_not_rearm_a_parked_trigger() {
    check(
        "parked trigger",
        Case {
            config: cfg(Some(1000), |c| {
                c.unaligned = true;
                c.min_pause_ms = 1000;
            }),
            steps: vec![
                Up(0),
                To(1000),
                AckAll(1),
                retune(|r| r.interval_ms = Some(0)),
                Req(RequestKind::PeriodicSavepoint),
                Probe,
            ],
            expect: vec![
                "t=0 sched-start first=1000",
                "t=1000 trigger id=1 ckpt unaligned",
                "t=1000 complete id=1 ckpt acks=2 bytes=200",
                "t=1000 notify-complete id=1",
                "t=1000 retune ok",
                "t=1000 rejected periodic-savepoint MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                "t=1000 probe next_id=2 pending=[] queued=0 sched=on timer=- latest=1",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ the decider's queue reported

/// With [`CheckpointCoordinator::report_queue_changes`] every change of the decider's queue is
/// an output, in decision order. Under unaligned checkpoints a savepoint is not forced
/// (`forSavepoint(!unalignedCheckpointsEnabled)`) and waits behind the pending checkpoint like
/// a periodic request; when the checkpoint completes the savepoint goes first (Flink's
/// `CheckpointRequestDecider` comparator: savepoints before periodic requests). The planted
/// `queue-in-arrival-order` chooses the periodic request queued before it.
#[test]
fn queue_changes_are_reported_and_a_queued_savepoint_goes_first() {
    let run = |variant: Variant| {
        let config = cfg(Some(1000), |c| c.unaligned = true);
        let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, variant, vec![TaskId(0)], 0);
        c.report_queue_changes();
        c.handle_execution_view(0, running_view(), 0);
        let mut out = drain(&mut c, 0);
        c.handle_timeout(1000);
        out.extend(drain(&mut c, 1000));
        c.handle_timeout(2000);
        out.extend(drain(&mut c, 2000));
        c.request(2100, RequestKind::Savepoint);
        out.extend(drain(&mut c, 2100));
        c.handle_ack(2500, CheckpointId(1), TaskId(0), TaskSnapshot::default());
        out.extend(drain(&mut c, 2500));
        out.into_iter().filter(|l| l.contains("queue") || l.contains("trigger")).collect::<Vec<_>>()
    };
    // (The first firing is due at 0, caught up at 1000 with the firing of 1000.)
    let head = [
        "t=1000 queue periodic Entered",
        "t=1000 queue periodic Chosen",
        "t=1000 trigger id=1 ckpt unaligned",
        "t=1000 queue periodic Entered",
        "t=2000 queue periodic Entered",
        "t=2100 queue savepoint Entered",
    ];
    let mut correct: Vec<&str> = head.to_vec();
    correct.extend(["t=2500 queue savepoint Chosen", "t=2500 trigger id=2 savepoint aligned"]);
    assert_eq!(run(Variant::Correct), correct);
    let mut planted: Vec<&str> = head.to_vec();
    planted.extend(["t=2500 queue periodic Chosen", "t=2500 trigger id=2 ckpt unaligned"]);
    assert_eq!(run(Variant::QueueInArrivalOrder), planted);
    // Without the opt-in nothing is reported (unit tables and the explorer see no change).
    let mut c =
        CheckpointCoordinator::new(&cfg(Some(1000), |_| {}), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    c.handle_execution_view(0, running_view(), 0);
    c.handle_timeout(1000);
    assert!(drain(&mut c, 1000).iter().all(|l| !l.contains("queue")));
}

// ------------------------------------------------------------------ the store's changes reported

/// With [`CheckpointCoordinator::report_store_changes`] every change of the completed-checkpoint
/// store is an output: each completion's add with what it subsumed (Flink subsumes in the add,
/// `addCheckpointAndSubsumeOldestOne`), then the shutdown emptying it. The planted
/// `deferred-subsumption` adds without subsuming and subsumes at the next trigger.
#[test]
fn store_changes_are_reported_and_subsumption_happens_on_add() {
    let run = |variant: Variant| {
        let config = cfg(Some(1000), |c| c.num_retained = 1);
        let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, variant, vec![TaskId(0)], 0);
        c.report_store_changes();
        c.handle_execution_view(0, running_view(), 0);
        let mut out = drain(&mut c, 0);
        for (t, id) in [(1000, 1), (2000, 2)] {
            c.handle_timeout(t);
            out.extend(drain(&mut c, t));
            c.handle_ack(t + 10, CheckpointId(id), TaskId(0), TaskSnapshot::default());
            out.extend(drain(&mut c, t + 10));
        }
        c.handle_timeout(3000);
        out.extend(drain(&mut c, 3000));
        c.shutdown(3500, JobStatus::Canceled);
        out.extend(drain(&mut c, 3500));
        out.into_iter().filter(|l| l.contains("stored") || l.contains("trigger")).collect::<Vec<_>>()
    };
    // (The first firing is due at 0, caught up at 1000: a periodic request waits in the queue
    // and is triggered when checkpoint 1 completes.)
    assert_eq!(
        run(Variant::Correct),
        [
            "t=1000 trigger id=1 ckpt aligned",
            "t=1010 stored +c1 -[]",
            "t=1010 trigger id=2 ckpt aligned",
            "t=2010 stored +c2 -[1]",
            "t=2010 trigger id=3 ckpt aligned",
            "t=3500 stored +- -[2]",
        ]
    );
    assert_eq!(
        run(Variant::DeferredSubsumption),
        [
            "t=1000 trigger id=1 ckpt aligned",
            "t=1010 stored +c1 -[]",
            "t=1010 trigger id=2 ckpt aligned",
            "t=2010 stored +c2 -[]",
            "t=2010 stored +- -[1]",
            "t=2010 trigger id=3 ckpt aligned",
            "t=3500 stored +- -[2]",
        ]
    );
    // Without the opt-in nothing is reported.
    let mut c =
        CheckpointCoordinator::new(&cfg(Some(1000), |_| {}), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    c.handle_execution_view(0, running_view(), 0);
    c.handle_timeout(1000);
    let mut out = drain(&mut c, 1000);
    c.handle_ack(1010, CheckpointId(1), TaskId(0), TaskSnapshot::default());
    out.extend(drain(&mut c, 1010));
    assert!(out.iter().any(|l| l.contains("complete id=1")) && out.iter().all(|l| !l.contains("stored")), "{out:?}");
}
