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
