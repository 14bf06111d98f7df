//! Coordinator unit tests, continued: failover, restore and shutdown, and random walks that keep the invariants (the case table and helpers are in `coordinator_tests.rs`).

use super::*;

// ------------------------------------------------------------------ failover, restore, shutdown

#[test]
fn failover_aborts_pending_uncounted_and_returns_latest_completed() {
    check(
        "failover",
        Case {
            config: interval(None),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                To(100),
                AckAll(1),
                Req(RequestKind::Manual),
                To(200),
                Ack(2, 0),
                To(300),
                Failover,
                Probe,
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=100 complete id=1 ckpt acks=2 bytes=200",
                "t=100 notify-complete id=1",
                "t=100 trigger id=2 ckpt aligned",
                "t=300 abort id=2 ckpt JOB_FAILOVER_REGION",
                "t=300 notify-aborted id=2",
                "t=300 failover -> id=1 tasks=2",
                "t=300 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=1",
            ],
            ..base()
        },
    );
    check(
        "failover without checkpoints",
        Case { config: interval(None), steps: vec![Failover], expect: vec!["t=0 failover -> none"], ..base() },
    );
}

#[test]
fn restore_from_pending_variant_restores_partial_state() {
    let steps = vec![
        Up(0),
        To(600),
        AckAll(1),
        To(1600),
        Ack(2, 0),
        To(1700),
        View(JobStatus::Restarting, false, false, 0),
        To(2000),
        Failover,
    ];
    let common = [
        "t=0 sched-start first=500",
        "t=500 trigger id=1 ckpt aligned",
        "t=600 complete id=1 ckpt acks=2 bytes=200",
        "t=600 notify-complete id=1",
        "t=1500 trigger id=2 ckpt aligned",
        "t=1700 sched-stop",
        "t=1700 abort id=2 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
        "t=1700 notify-aborted id=2",
    ];
    let with = |last: &'static str| common.iter().copied().chain([last]).collect::<Vec<_>>();
    check_pair(
        "restore from pending",
        Case { steps: steps.clone(), expect: with("t=2000 failover -> id=1 tasks=2"), ..base() },
        Case { variant: Variant::RestoreFromPending, steps, expect: with("t=2000 failover -> id=2 tasks=1"), ..base() },
    );
}

/// The planted `restore-from-pending` bug restores from the *newest* checkpoint that was
/// aborted with partial acks, whatever the order of the aborts: an older one aborted after a
/// newer one does not replace it, a newer one aborted after an older one does (two checkpoints
/// pending at once, each acked by task 0 and declined by task 1). The negative suite relies on
/// the partial state being the newest one (`scenarios/negative/`); the mutation score found
/// that nothing pinned the order.
#[test]
fn restore_from_pending_variant_takes_the_newest_partial_checkpoint() {
    for (first, second) in [(2, 1), (1, 2)] {
        let decline = |id| Decline(id, 1, R::CheckpointDeclined);
        let steps = vec![
            Up(0),
            Req(RequestKind::Manual),
            Req(RequestKind::Manual),
            Ack(1, 0),
            Ack(2, 0),
            decline(first),
            decline(second),
            Failover,
        ];
        let aborts = |id: u64| -> [&'static str; 2] {
            if id == 1 {
                ["t=0 abort id=1 ckpt CHECKPOINT_DECLINED", "t=0 notify-aborted id=1"]
            } else {
                ["t=0 abort id=2 ckpt CHECKPOINT_DECLINED", "t=0 notify-aborted id=2"]
            }
        };
        let mut expect = vec!["t=0 trigger id=1 ckpt aligned", "t=0 trigger id=2 ckpt aligned"];
        expect.extend(aborts(first));
        expect.extend(aborts(second));
        expect.push("t=0 failover -> id=2 tasks=1");
        check(
            &format!("declined {first} then {second}"),
            Case {
                variant: Variant::RestoreFromPending,
                config: cfg(None, |c| {
                    c.max_concurrent = 2;
                    c.tolerable_failures = 10;
                }),
                steps,
                expect,
                ..base()
            },
        );
    }
}

#[test]
fn restore_from_continues_ids_and_is_never_discarded() {
    check(
        "restore",
        Case {
            config: interval(None),
            steps: vec![
                RestoreFrom(41, CheckpointKind::Savepoint),
                Probe,
                Up(0),
                Req(RequestKind::Manual),
                To(100),
                Failover,
                Shutdown(JobStatus::Canceled),
            ],
            expect: vec![
                "t=0 probe next_id=42 pending=[] queued=0 sched=off timer=- latest=41",
                "t=0 trigger id=42 ckpt aligned",
                "t=100 abort id=42 ckpt JOB_FAILOVER_REGION",
                "t=100 notify-aborted id=42",
                "t=100 failover -> id=41 tasks=0",
                "t=100 shutdown kept=[41]",
            ],
            ..base()
        },
    );
}

#[test]
fn shutdown_aborts_everything_and_applies_retention() {
    check(
        "retain on cancellation",
        Case {
            config: cfg(Some(1000), |c| c.retention = Retention::RetainOnCancellation),
            steps: vec![
                Up(0),
                To(600),
                AckAll(1),
                To(1500),
                Req(RequestKind::Manual),
                To(1600),
                Shutdown(JobStatus::Canceled),
                Req(RequestKind::Savepoint),
                Shutdown(JobStatus::Canceled),
                To(5000),
                Probe,
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 complete id=1 ckpt acks=2 bytes=200",
                "t=600 notify-complete id=1",
                "t=1500 trigger id=2 ckpt aligned",
                "t=1600 sched-stop",
                "t=1600 rejected manual CHECKPOINT_COORDINATOR_SHUTDOWN",
                "t=1600 abort id=2 ckpt CHECKPOINT_COORDINATOR_SHUTDOWN",
                "t=1600 notify-aborted id=2",
                "t=1600 shutdown kept=[1]",
                "t=1600 rejected savepoint CHECKPOINT_COORDINATOR_SHUTDOWN",
                "t=1600 shutdown kept=[]",
                "t=5000 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=-",
            ],
            ..base()
        },
    );
    check(
        "no externalized checkpoints",
        Case {
            config: interval(None),
            steps: vec![Up(0), Req(RequestKind::Manual), AckAll(1), Shutdown(JobStatus::Finished)],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 complete id=1 ckpt acks=2 bytes=200",
                "t=0 notify-complete id=1",
                "t=0 discard id=1",
                "t=0 shutdown kept=[]",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ random walks

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    View(u8, bool, bool, u64),
    Ack(u64, u32),
    Decline(u64, u32, bool),
    Request(u8),
    Retune(Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    Storage(bool),
    Failover,
    Shutdown,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0u64..2500).prop_map(Op::Advance),
        2 => (0u8..4, any::<bool>(), any::<bool>(), any::<u64>()).prop_map(|(s, a, b, r)| Op::View(s, a, b, r)),
        6 => (0u64..12, 0u32..3).prop_map(|(i, t)| Op::Ack(i, t)),
        1 => (0u64..12, 0u32..3, any::<bool>()).prop_map(|(i, t, c)| Op::Decline(i, t, c)),
        2 => (0u8..3).prop_map(Op::Request),
        1 => (
            proptest::option::of(-5i64..3000),
            proptest::option::of(-5i64..1500),
            proptest::option::of(0i64..5000),
            proptest::option::of(-1i64..3),
        )
            .prop_map(|(a, b, c, d)| Op::Retune(a, b, c, d)),
        1 => any::<bool>().prop_map(Op::Storage),
        1 => Just(Op::Failover),
        1 => Just(Op::Shutdown),
    ]
}

fn config_strategy() -> impl proptest::strategy::Strategy<Value = CheckpointConfig> {
    use proptest::prelude::*;
    (
        prop_oneof![Just(None), Just(Some(5i64)), (10i64..2000).prop_map(Some)],
        0i64..1500,
        10i64..5000,
        1i64..4,
        any::<bool>(),
        prop_oneof![Just(0i64), Just(1), Just(UNLIMITED as i64)],
        0i64..3,
    )
        .prop_map(
            |(
                interval_ms,
                min_pause_ms,
                timeout_ms,
                max_concurrent,
                unaligned,
                tolerable_failures,
                aligned_timeout_ms,
            )| {
                CheckpointConfig {
                    interval_ms,
                    min_pause_ms,
                    timeout_ms,
                    max_concurrent: if unaligned { 1 } else { max_concurrent },
                    tolerable_failures,
                    unaligned,
                    aligned_timeout_ms,
                    num_retained: 2,
                    ..CheckpointConfig::default()
                }
            },
        )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Arbitrary input sequences under every profile and coordinator variant: the handlers'
    /// `invariants()` hold, ids are triggered in strictly increasing order, every id ends at
    /// most once (completed or aborted) and only after it was allocated, nothing is triggered
    /// after shutdown, and the timer never lies in the past after `handle_timeout`.
    #[test]
    fn random_walks_keep_the_invariants(
        config in config_strategy(),
        profile in proptest::sample::select(Profile::ALL.to_vec()),
        variant in proptest::sample::select(vec![Variant::Correct, Variant::IgnoreMinPause, Variant::RestoreFromPending]),
        random in proptest::prelude::any::<u64>(),
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut config = config;
        if !profile.supports_aligned_timeout() {
            config.aligned_timeout_ms = 0;
        }
        let tasks = vec![TaskId(0), TaskId(1), TaskId(2)];
        let mut c = CheckpointCoordinator::new(&config, profile, variant, tasks, random);
        let mut now = 0u64;
        let mut last_triggered = CheckpointId::NONE;
        let mut ended: BTreeSet<CheckpointId> = BTreeSet::new();
        let mut shut = false;
        for op in ops {
            match op {
                Op::Advance(d) => {
                    let target = now + d;
                    while let Some(due) = c.poll_timeout() {
                        if due > target {
                            break;
                        }
                        now = now.max(due);
                        c.handle_timeout(now);
                        assert!(c.poll_timeout().is_none_or(|t| t > now), "timer left in the past");
                    }
                    now = target;
                }
                Op::View(s, all, src, r) => {
                    let job_status = [JobStatus::Running, JobStatus::Restarting, JobStatus::Created, JobStatus::Running][s as usize];
                    let v = ExecutionView { job_status, all_tasks_running_or_finished: all, sources_running: src };
                    c.handle_execution_view(now, v, r);
                }
                Op::Ack(i, t) => c.handle_ack(now, CheckpointId(i), TaskId(t), TaskSnapshot::default()),
                Op::Decline(i, t, counted) => {
                    let reason = if counted { R::CheckpointDeclined } else { R::CheckpointDeclinedTaskNotReady };
                    c.handle_decline(now, CheckpointId(i), TaskId(t), reason);
                }
                Op::Request(k) => {
                    c.request(now, [RequestKind::Manual, RequestKind::Savepoint, RequestKind::Periodic][k as usize]);
                }
                Op::Retune(interval_ms, min_pause_ms, timeout_ms, tolerable_failures) => {
                    let before = c.config().clone();
                    let r = Retune { interval_ms, min_pause_ms, timeout_ms, tolerable_failures };
                    if c.retune(now, &r).is_err() {
                        assert_eq!(c.config(), &before, "a rejected retune changed the config");
                    }
                }
                Op::Storage(a) => c.handle_storage_status(now, a),
                Op::Failover => {
                    let latest = c.latest_completed().map(|l| l.id);
                    let before = c.pending_ids();
                    let restored = c.handle_global_failover(now);
                    // Queued requests may trigger in the re-evaluation after the aborts.
                    assert!(c.pending_ids().iter().all(|id| !before.contains(id)), "failover left pending work");
                    if variant != Variant::RestoreFromPending {
                        assert_eq!(restored.map(|r| r.id), latest);
                    }
                }
                Op::Shutdown => {
                    c.shutdown(now, JobStatus::Canceled);
                    shut = true;
                }
            }
            while let Some(o) = c.poll_output() {
                match o {
                    CoordinatorOutput::Trigger { id, .. } => {
                        assert!(!shut, "trigger after shutdown");
                        assert!(id > last_triggered, "ids must strictly increase: {id} after {last_triggered}");
                        last_triggered = id;
                    }
                    CoordinatorOutput::Completed(cp) => {
                        assert!(cp.id <= last_triggered);
                        assert!(ended.insert(cp.id), "checkpoint {} ended twice", cp.id);
                    }
                    CoordinatorOutput::Aborted { id, .. } => {
                        assert!(id < c.next_checkpoint_id());
                        assert!(ended.insert(id), "checkpoint {id} ended twice");
                    }
                    _ => {}
                }
            }
        }
    }
}
