//! Unit tests of `coordinator.rs` (a sibling file: the module stays readable at its own size).

use super::*;
use crate::config::{Retention, Retune};
use crate::record::Alignment;
use CheckpointFailureReason as R;

/// One input to the coordinator, at the script's current time.
#[derive(Clone, Debug)]
enum Step {
    /// Job RUNNING with every task RUNNING; the value is the view's `random`.
    Up(u64),
    /// An arbitrary view: job status, all executions RUNNING/FINISHED, sources RUNNING, random.
    View(JobStatus, bool, bool, u64),
    /// Advance the clock to this time, firing every due timer on the way (the host loop).
    To(u64),
    /// One late `handle_timeout(t)`: the host slept through several timers.
    Late(u64),
    Ack(u64, u32),
    /// Acks from every task.
    AckAll(u64),
    Decline(u64, u32, R),
    Req(RequestKind),
    ReqN(RequestKind, usize),
    Tune(Retune),
    Storage(bool),
    Failover,
    Shutdown(JobStatus),
    RestoreFrom(u64, CheckpointKind),
    /// Renders the queries.
    Probe,
    /// Renders the config in force.
    Config,
}
use Step::*;

struct Case {
    profile: Profile,
    variant: Variant,
    config: CheckpointConfig,
    tasks: u32,
    /// The construction-time random (2.3's initial delay).
    random: u64,
    steps: Vec<Step>,
    expect: Vec<&'static str>,
}

/// Defaults: 2.3, correct, interval 1000 (so the 2.3 initial delay is 500 % 1001 = 500),
/// min pause 0, timeout 10 min, max concurrent 1, tolerable 0, two tasks.
fn base() -> Case {
    Case {
        profile: Profile::Flink23,
        variant: Variant::Correct,
        config: interval(Some(1000)),
        tasks: 2,
        random: 500,
        steps: vec![],
        expect: vec![],
    }
}

fn interval(ms: Option<i64>) -> CheckpointConfig {
    CheckpointConfig { interval_ms: ms, ..CheckpointConfig::default() }
}

fn cfg(ms: Option<i64>, f: impl FnOnce(&mut CheckpointConfig)) -> CheckpointConfig {
    let mut c = interval(ms);
    f(&mut c);
    c
}

fn retune(f: impl FnOnce(&mut Retune)) -> Step {
    let mut r = Retune::default();
    f(&mut r);
    Tune(r)
}

fn snapshot() -> TaskSnapshot {
    TaskSnapshot { padding_bytes: 100, ..TaskSnapshot::default() }
}

fn kind_name(k: CheckpointKind) -> &'static str {
    match k {
        CheckpointKind::Checkpoint => "ckpt",
        CheckpointKind::Savepoint => "savepoint",
    }
}

fn render(now: u64, o: &CoordinatorOutput) -> String {
    let body = match o {
        CoordinatorOutput::Trigger { id, timestamp_ms, kind, alignment, stop, .. } => {
            assert_eq!(*timestamp_ms, now, "trigger timestamp is the trigger time");
            let a = match alignment {
                Alignment::AtLeastOnce => "at-least-once".to_string(),
                Alignment::Aligned => "aligned".to_string(),
                Alignment::Unaligned => "unaligned".to_string(),
                Alignment::AlignedWithTimeout { timeout_ms } => format!("aligned-timeout={timeout_ms}"),
                Alignment::ForcedAligned { timeout_ms } => format!("forced-aligned={timeout_ms:?}"),
            };
            let sync = match stop {
                None => "",
                Some(crate::record::StopMode::NoDrain) => " sync",
                Some(crate::record::StopMode::Drain) => " sync-drain",
            };
            format!("trigger id={id} {} {a}{sync}", kind_name(*kind))
        }
        CoordinatorOutput::NotifyComplete { id } => format!("notify-complete id={id}"),
        CoordinatorOutput::NotifyAborted { id, .. } => format!("notify-aborted id={id}"),
        CoordinatorOutput::TriggerMasterHooks { id, kind, .. } => format!("trigger-hooks id={id} {}", kind_name(*kind)),
        CoordinatorOutput::Completed(cp) => {
            assert_eq!(cp.completed_ms, now);
            assert!(cp.trigger_ms <= now && !cp.external);
            format!("complete id={} {} acks={} bytes={}", cp.id, kind_name(cp.kind), cp.tasks.len(), cp.size_bytes)
        }
        CoordinatorOutput::Aborted { id, kind, reason, trigger_ms, .. } => {
            assert!(*trigger_ms <= now);
            format!("abort id={id} {} {reason}", kind_name(*kind))
        }
        CoordinatorOutput::RequestFailed { request, reason } => format!("rejected {} {reason}", request.name()),
        CoordinatorOutput::Queue { request, change } => format!("queue {} {change:?}", request.name()),
        CoordinatorOutput::SchedulerStarted { first_trigger_at_ms } => {
            if *first_trigger_at_ms == u64::MAX {
                "sched-start parked".to_string()
            } else {
                format!("sched-start first={first_trigger_at_ms}")
            }
        }
        CoordinatorOutput::SchedulerStopped => "sched-stop".to_string(),
        CoordinatorOutput::FailJob(f) => format!(
            "fail-job {} id={} task={}",
            f.reason,
            f.id.map(|i| i.to_string()).unwrap_or("-".into()),
            f.task.map(|t| t.to_string()).unwrap_or("-".into())
        ),
        CoordinatorOutput::Discarded { id } => format!("discard id={id}"),
        CoordinatorOutput::Stored { added, removed } => {
            let added = added.map_or("-".to_string(), |e| format!("{}{}", if e.savepoint { "s" } else { "c" }, e.id));
            let removed: Vec<String> = removed.iter().map(|i| i.to_string()).collect();
            format!("stored +{added} -[{}]", removed.join(","))
        }
    };
    format!("t={now} {body}")
}

fn opt(v: Option<impl std::fmt::Display>) -> String {
    v.map(|x| x.to_string()).unwrap_or("-".into())
}

/// Drives a coordinator through the script and renders every output, one per line.
fn run(case: &Case) -> Vec<String> {
    let tasks: Vec<TaskId> = (0..case.tasks).map(TaskId).collect();
    let mut c = CheckpointCoordinator::new(&case.config, case.profile, case.variant, tasks.clone(), case.random);
    let mut now = 0u64;
    let mut out = Vec::new();
    let drain = |c: &mut CheckpointCoordinator, now: u64, out: &mut Vec<String>| {
        while let Some(o) = c.poll_output() {
            out.push(render(now, &o));
        }
    };
    for step in &case.steps {
        match step.clone() {
            Up(random) => {
                let v = ExecutionView {
                    job_status: JobStatus::Running,
                    all_tasks_running_or_finished: true,
                    sources_running: true,
                };
                c.handle_execution_view(now, v, random);
            }
            View(job_status, all, sources_running, random) => {
                let v = ExecutionView { job_status, all_tasks_running_or_finished: all, sources_running };
                c.handle_execution_view(now, v, random);
            }
            To(t) => {
                let mut guard = 0;
                while let Some(due) = c.poll_timeout() {
                    if due > t {
                        break;
                    }
                    now = now.max(due);
                    c.handle_timeout(now);
                    drain(&mut c, now, &mut out);
                    guard += 1;
                    assert!(guard < 100_000, "timer does not advance");
                }
                now = t;
            }
            Late(t) => {
                now = t;
                c.handle_timeout(now);
            }
            Ack(id, task) => c.handle_ack(now, CheckpointId(id), TaskId(task), snapshot()),
            AckAll(id) => {
                for t in &tasks {
                    c.handle_ack(now, CheckpointId(id), *t, snapshot());
                }
            }
            Decline(id, task, reason) => c.handle_decline(now, CheckpointId(id), TaskId(task), reason),
            Req(kind) => c.request(now, kind),
            ReqN(kind, n) => {
                for _ in 0..n {
                    c.request(now, kind);
                }
            }
            Tune(r) => {
                let res = c.retune(now, &r);
                drain(&mut c, now, &mut out);
                out.push(match res {
                    Ok(()) => format!("t={now} retune ok"),
                    Err(e) => format!("t={now} retune err {}", e.field),
                });
            }
            Storage(a) => c.handle_storage_status(now, a),
            Failover => {
                let r = c.handle_global_failover(now);
                drain(&mut c, now, &mut out);
                out.push(match r {
                    Some(cp) => format!("t={now} failover -> id={} tasks={}", cp.id, cp.tasks.len()),
                    None => format!("t={now} failover -> none"),
                });
            }
            Shutdown(status) => {
                let kept = c.shutdown(now, status);
                drain(&mut c, now, &mut out);
                let ids: Vec<u64> = kept.iter().map(|k| k.id.0).collect();
                out.push(format!("t={now} shutdown kept={ids:?}"));
            }
            RestoreFrom(id, kind) => {
                let cp = CompletedCheckpoint {
                    id: CheckpointId(id),
                    kind,
                    trigger_ms: 0,
                    completed_ms: 0,
                    tasks: BTreeMap::new(),
                    size_bytes: 0,
                    external: false,
                };
                c.restore_from(Arc::new(cp));
            }
            Probe => {
                let pending: Vec<u64> = c.pending_ids().iter().map(|i| i.0).collect();
                out.push(format!(
                    "t={now} probe next_id={} pending={pending:?} queued={} sched={} timer={} latest={}",
                    c.next_checkpoint_id(),
                    c.queued_requests(),
                    if c.scheduler_running() { "on" } else { "off" },
                    opt(c.poll_timeout()),
                    opt(c.latest_completed().map(|l| l.id)),
                ));
            }
            Config => {
                let k = c.config();
                out.push(format!(
                    "t={now} config interval={} min_pause={} timeout={} tolerable={}",
                    opt(k.interval_ms),
                    k.min_pause_ms,
                    k.timeout_ms,
                    k.tolerable_failures
                ));
            }
        }
        drain(&mut c, now, &mut out);
    }
    out
}

fn check(name: &str, case: Case) {
    let got = run(&case);
    if got != case.expect {
        panic!(
            "case `{name}` ({}, {}):\n--- expected\n{}\n--- got\n{}\n",
            case.profile,
            case.variant,
            case.expect.join("\n"),
            got.join("\n")
        );
    }
}

/// The same script under two settings: each gives its own answer, and the answers differ.
fn check_pair(name: &str, a: Case, b: Case) {
    assert_eq!(format!("{:?}", a.steps), format!("{:?}", b.steps), "`{name}`: a pair runs one script");
    assert_ne!(a.expect, b.expect, "`{name}`: a pair must tell the two settings apart");
    check(name, a);
    check(name, b);
}

fn p111(c: Case) -> Case {
    Case { profile: Profile::Flink111, ..c }
}

// ------------------------------------------------------------------ interval disabled

#[test]
fn interval_below_10_ms_disables_periodic_but_manual_and_savepoint_work() {
    check(
        "interval 5",
        Case {
            config: interval(Some(5)),
            steps: vec![
                Up(0),
                Probe,
                To(5000),
                Req(RequestKind::Manual),
                To(5100),
                AckAll(1),
                Req(RequestKind::Savepoint),
                To(5200),
                AckAll(2),
                Probe,
            ],
            expect: vec![
                "t=0 probe next_id=1 pending=[] queued=0 sched=off timer=- latest=-",
                "t=5000 trigger id=1 ckpt aligned",
                "t=5100 complete id=1 ckpt acks=2 bytes=200",
                "t=5100 notify-complete id=1",
                "t=5100 trigger id=2 savepoint aligned",
                "t=5200 complete id=2 savepoint acks=2 bytes=200",
                "t=5200 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=1",
            ],
            ..base()
        },
    );
}

#[test]
fn unset_interval_registers_no_deactivator() {
    // Without periodic checkpoints nothing stops the coordinator on RESTARTING: the pending
    // manual checkpoint survives (until expiry or the failover abort).
    check(
        "interval unset",
        Case {
            config: interval(None),
            steps: vec![Up(0), Req(RequestKind::Manual), View(JobStatus::Restarting, false, false, 0), To(1000), Probe],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=1000 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ initial delay, activation

#[test]
fn initial_delay_is_uniform_in_min_pause_to_base_interval() {
    let config = cfg(Some(1000), |c| c.min_pause_ms = 200);
    // (random, first firing): 200 + random % 801.
    for (random, first) in [
        (0u64, "t=0 sched-start first=200"),
        (800, "t=0 sched-start first=1000"),
        (801, "t=0 sched-start first=200"),
        (1234, "t=0 sched-start first=633"),
    ] {
        check(
            "2.3 drawn at construction",
            Case { config: config.clone(), random, steps: vec![Up(99)], expect: vec![first], ..base() },
        );
        check(
            "1.11 drawn at start",
            p111(Case { config: config.clone(), random: 99, steps: vec![Up(random)], expect: vec![first], ..base() }),
        );
    }
    // A min pause above the interval: base interval = min pause, the delay is exactly it.
    check(
        "base = min pause",
        Case {
            config: cfg(Some(100), |c| c.min_pause_ms = 700),
            random: 12345,
            steps: vec![Up(0), To(700)],
            expect: vec!["t=0 sched-start first=700", "t=700 trigger id=1 ckpt aligned"],
            ..base()
        },
    );
}

#[test]
fn second_start_draws_again_in_1_11_but_uses_min_pause_in_2_3() {
    let steps = vec![Up(300), To(50), View(JobStatus::Restarting, false, false, 0), To(5000), Up(700), Probe];
    let config = cfg(Some(1000), |c| c.min_pause_ms = 100);
    check_pair(
        "second start",
        p111(Case {
            config: config.clone(),
            random: 100,
            steps: steps.clone(),
            expect: vec![
                "t=0 sched-start first=400",
                "t=50 sched-stop",
                "t=5000 sched-start first=5800",
                "t=5000 probe next_id=1 pending=[] queued=0 sched=on timer=5800 latest=-",
            ],
            ..base()
        }),
        Case {
            config,
            random: 100,
            steps,
            expect: vec![
                "t=0 sched-start first=200",
                "t=50 sched-stop",
                "t=5000 sched-start first=5100",
                "t=5000 probe next_id=1 pending=[] queued=0 sched=on timer=5100 latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn activation_2_3_waits_for_all_executions_running_1_11_does_not() {
    let steps = vec![
        View(JobStatus::Running, false, false, 300),
        To(400),
        View(JobStatus::Running, true, true, 0),
        To(1400),
        View(JobStatus::Running, false, true, 0),
        Probe,
    ];
    check_pair(
        "activation",
        p111(Case {
            steps: steps.clone(),
            expect: vec![
                "t=0 sched-start first=300",
                "t=300 rejected periodic NOT_ALL_REQUIRED_TASKS_RUNNING",
                "t=1300 trigger id=1 ckpt aligned",
                "t=1400 probe next_id=2 pending=[1] queued=0 sched=on timer=2300 latest=-",
            ],
            ..base()
        }),
        Case {
            steps,
            expect: vec![
                "t=400 sched-start first=900",
                "t=900 trigger id=1 ckpt aligned",
                "t=1400 sched-stop",
                "t=1400 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                "t=1400 notify-aborted id=1",
                "t=1400 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn start_1_11_stops_first_and_aborts_pending() {
    let steps = vec![View(JobStatus::Restarting, true, true, 0), Req(RequestKind::Manual), To(100), Up(0), Probe];
    check_pair(
        "stop first",
        p111(Case {
            steps: steps.clone(),
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=100 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                "t=100 notify-aborted id=1",
                "t=100 sched-start first=100",
                "t=100 probe next_id=2 pending=[] queued=0 sched=on timer=100 latest=-",
            ],
            ..base()
        }),
        Case {
            steps,
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=100 sched-start first=600",
                "t=100 probe next_id=2 pending=[1] queued=0 sched=on timer=600 latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn stop_fails_queued_then_aborts_pending_with_suspend() {
    check(
        "stop",
        Case {
            steps: vec![
                Up(0),
                To(500),
                Req(RequestKind::Manual),
                To(600),
                View(JobStatus::Restarting, false, false, 0),
                Probe,
                To(5000),
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 sched-stop",
                "t=600 rejected manual CHECKPOINT_COORDINATOR_SUSPEND",
                "t=600 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                "t=600 notify-aborted id=1",
                "t=600 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=-",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ cadence

#[test]
fn fixed_rate_cadence_ignores_completion_times() {
    check(
        "cadence",
        Case {
            steps: vec![Up(0), To(1400), AckAll(1), To(1600), AckAll(2), To(2600)],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=1400 complete id=1 ckpt acks=2 bytes=200",
                "t=1400 notify-complete id=1",
                "t=1500 trigger id=2 ckpt aligned",
                "t=1600 complete id=2 ckpt acks=2 bytes=200",
                "t=1600 discard id=1",
                "t=1600 notify-complete id=2",
                "t=2500 trigger id=3 ckpt aligned",
            ],
            ..base()
        },
    );
}

#[test]
fn late_firings_catch_up_and_blocked_firings_queue() {
    check(
        "catch-up",
        Case {
            steps: vec![Up(0), Late(3200), Probe, AckAll(1), Probe, To(3600), AckAll(2), Probe],
            expect: vec![
                "t=0 sched-start first=500",
                "t=3200 trigger id=1 ckpt aligned",
                "t=3200 probe next_id=2 pending=[1] queued=2 sched=on timer=3500 latest=-",
                "t=3200 complete id=1 ckpt acks=2 bytes=200",
                "t=3200 notify-complete id=1",
                "t=3200 trigger id=2 ckpt aligned",
                "t=3200 probe next_id=3 pending=[2] queued=1 sched=on timer=3500 latest=1",
                "t=3600 complete id=2 ckpt acks=2 bytes=200",
                "t=3600 discard id=1",
                "t=3600 notify-complete id=2",
                "t=3600 trigger id=3 ckpt aligned",
                "t=3600 probe next_id=4 pending=[3] queued=1 sched=on timer=4500 latest=2",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ min pause

#[test]
fn min_pause_drops_the_periodic_request_and_rearms_without_an_id() {
    let config = cfg(Some(1000), |c| c.min_pause_ms = 600);
    let steps = vec![Up(0), To(1800), AckAll(1), Probe, To(2400), Probe];
    check_pair(
        "min pause",
        Case {
            config: config.clone(),
            random: 0,
            steps: steps.clone(),
            expect: vec![
                "t=0 sched-start first=600",
                "t=600 trigger id=1 ckpt aligned",
                "t=1800 complete id=1 ckpt acks=2 bytes=200",
                "t=1800 notify-complete id=1",
                "t=1800 rejected periodic MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                "t=1800 probe next_id=2 pending=[] queued=0 sched=on timer=2400 latest=1",
                "t=2400 trigger id=2 ckpt aligned",
                "t=2400 probe next_id=3 pending=[2] queued=0 sched=on timer=3400 latest=1",
            ],
            ..base()
        },
        Case {
            variant: Variant::IgnoreMinPause,
            config,
            random: 0,
            steps,
            expect: vec![
                "t=0 sched-start first=600",
                "t=600 trigger id=1 ckpt aligned",
                "t=1800 complete id=1 ckpt acks=2 bytes=200",
                "t=1800 notify-complete id=1",
                "t=1800 trigger id=2 ckpt aligned",
                "t=1800 probe next_id=3 pending=[2] queued=0 sched=on timer=2600 latest=1",
                "t=2400 probe next_id=3 pending=[2] queued=0 sched=on timer=2600 latest=1",
            ],
            ..base()
        },
    );
}

#[test]
fn min_pause_does_not_apply_to_manual_checkpoints() {
    check(
        "manual ignores min pause",
        Case {
            config: cfg(None, |c| c.min_pause_ms = 10_000),
            steps: vec![Up(0), Req(RequestKind::Manual), To(100), AckAll(1), Req(RequestKind::Manual)],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=100 complete id=1 ckpt acks=2 bytes=200",
                "t=100 notify-complete id=1",
                "t=100 trigger id=2 ckpt aligned",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ decider queue

#[test]
fn max_concurrent_queues_and_completion_triggers_after_notify() {
    check(
        "max concurrent",
        Case {
            config: interval(None),
            steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Manual), Probe, To(100), AckAll(1)],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 probe next_id=2 pending=[1] queued=1 sched=off timer=600000 latest=-",
                "t=100 complete id=1 ckpt acks=2 bytes=200",
                "t=100 notify-complete id=1",
                "t=100 trigger id=2 ckpt aligned",
            ],
            ..base()
        },
    );
}

#[test]
fn forced_savepoint_exceeds_max_concurrent() {
    check(
        "forced savepoint",
        Case {
            config: interval(None),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                Req(RequestKind::Savepoint),
                Req(RequestKind::Manual),
                Probe,
                To(100),
                AckAll(2),
                Probe,
                AckAll(1),
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 trigger id=2 savepoint aligned",
                "t=0 probe next_id=3 pending=[1, 2] queued=1 sched=off timer=600000 latest=-",
                "t=100 complete id=2 savepoint acks=2 bytes=200",
                "t=100 probe next_id=3 pending=[1] queued=1 sched=off timer=600000 latest=-",
                "t=100 complete id=1 ckpt acks=2 bytes=200",
                "t=100 notify-complete id=1",
                "t=100 trigger id=3 ckpt aligned",
            ],
            ..base()
        },
    );
}

#[test]
fn unaligned_savepoint_is_not_forced_and_queue_priority_holds() {
    check(
        "priority",
        Case {
            config: cfg(Some(1000), |c| c.unaligned = true),
            steps: vec![
                Up(0),
                To(1500),
                Req(RequestKind::Manual),
                Req(RequestKind::Savepoint),
                Probe,
                To(1600),
                AckAll(1),
                To(1700),
                AckAll(2),
                To(1800),
                AckAll(3),
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt unaligned",
                "t=1500 probe next_id=2 pending=[1] queued=3 sched=on timer=2500 latest=-",
                "t=1600 complete id=1 ckpt acks=2 bytes=200",
                "t=1600 notify-complete id=1",
                "t=1600 trigger id=2 savepoint aligned",
                "t=1700 complete id=2 savepoint acks=2 bytes=200",
                "t=1700 trigger id=3 ckpt unaligned",
                "t=1800 complete id=3 ckpt acks=2 bytes=200",
                "t=1800 discard id=1",
                "t=1800 notify-complete id=3",
                "t=1800 trigger id=4 ckpt unaligned",
            ],
            ..base()
        },
    );
}

#[test]
fn too_many_requests_rejects_the_new_one_or_evicts_a_periodic() {
    check(
        "only user requests queued",
        Case {
            config: interval(None),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                ReqN(RequestKind::Manual, 1000),
                Req(RequestKind::Manual),
                Req(RequestKind::Savepoint),
                Probe,
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 rejected manual TOO_MANY_CHECKPOINT_REQUESTS",
                "t=0 rejected savepoint TOO_MANY_CHECKPOINT_REQUESTS",
                "t=0 probe next_id=2 pending=[1] queued=1000 sched=off timer=600000 latest=-",
            ],
            ..base()
        },
    );
    check(
        "a periodic is lowest",
        Case {
            steps: vec![Up(0), To(500), ReqN(RequestKind::Manual, 999), To(1500), Req(RequestKind::Manual), Probe],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=1500 rejected periodic TOO_MANY_CHECKPOINT_REQUESTS",
                "t=1500 probe next_id=2 pending=[1] queued=1000 sched=on timer=2500 latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn periodic_request_while_scheduler_stopped_fails_without_id() {
    check(
        "periodic shutdown",
        Case {
            config: interval(None),
            steps: vec![Up(0), Req(RequestKind::Periodic), Probe],
            expect: vec![
                "t=0 rejected periodic PERIODIC_SCHEDULER_SHUTDOWN",
                "t=0 probe next_id=1 pending=[] queued=0 sched=off timer=- latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn alignment_follows_mode_unaligned_and_aligned_timeout() {
    check(
        "at-least-once",
        Case {
            config: cfg(None, |c| c.mode = CheckpointingMode::AtLeastOnce),
            steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint)],
            expect: vec!["t=0 trigger id=1 ckpt at-least-once", "t=0 trigger id=2 savepoint at-least-once"],
            ..base()
        },
    );
    check(
        "aligned timeout",
        Case {
            config: cfg(None, |c| {
                c.unaligned = true;
                c.aligned_timeout_ms = 50;
            }),
            steps: vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint), AckAll(1)],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned-timeout=50",
                "t=0 complete id=1 ckpt acks=2 bytes=200",
                "t=0 notify-complete id=1",
                "t=0 trigger id=2 savepoint aligned",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ timeout, failures

#[test]
fn expiry_at_trigger_plus_timeout_then_queued_periodic_runs() {
    check(
        "expiry",
        Case {
            config: cfg(Some(1000), |c| {
                c.timeout_ms = 2000;
                c.tolerable_failures = 5;
            }),
            steps: vec![Up(0), To(2499), Probe, To(2500), Probe],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=2499 probe next_id=2 pending=[1] queued=1 sched=on timer=2500 latest=-",
                "t=2500 abort id=1 ckpt CHECKPOINT_EXPIRED",
                "t=2500 notify-aborted id=1",
                "t=2500 trigger id=2 ckpt aligned",
                "t=2500 probe next_id=3 pending=[2] queued=1 sched=on timer=3500 latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn tolerable_failures_exceeded_emits_fail_job() {
    check(
        "tolerable 1",
        Case {
            config: cfg(None, |c| {
                c.timeout_ms = 1000;
                c.tolerable_failures = 1;
            }),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                To(1000),
                Req(RequestKind::Manual),
                Decline(2, 1, R::CheckpointDeclinedTaskNotReady),
                Req(RequestKind::Manual),
                Decline(3, 1, R::CheckpointDeclined),
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=1000 abort id=1 ckpt CHECKPOINT_EXPIRED",
                "t=1000 notify-aborted id=1",
                "t=1000 trigger id=2 ckpt aligned",
                "t=1000 abort id=2 ckpt CHECKPOINT_DECLINED_TASK_NOT_READY",
                "t=1000 notify-aborted id=2",
                "t=1000 trigger id=3 ckpt aligned",
                "t=1000 abort id=3 ckpt CHECKPOINT_DECLINED",
                "t=1000 notify-aborted id=3",
                "t=1000 fail-job CHECKPOINT_DECLINED id=3 task=t1",
            ],
            ..base()
        },
    );
}

#[test]
fn io_failure_consumes_an_id_preflight_does_not() {
    let steps = vec![
        Up(0),
        Storage(false),
        Req(RequestKind::Manual),
        Storage(true),
        View(JobStatus::Running, false, false, 0),
        Req(RequestKind::Manual),
        Up(0),
        Req(RequestKind::Manual),
        Probe,
    ];
    let config = interval(None);
    check_pair(
        "io exception",
        p111(Case {
            config: config.clone(),
            steps: steps.clone(),
            expect: vec![
                // 1.11 has no IO_EXCEPTION: the failed trigger's reason is the default one.
                "t=0 abort id=1 ckpt TRIGGER_CHECKPOINT_FAILURE",
                "t=0 rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING",
                "t=0 trigger id=2 ckpt aligned",
                "t=0 probe next_id=3 pending=[2] queued=0 sched=off timer=600000 latest=-",
            ],
            ..base()
        }),
        Case {
            config,
            steps,
            expect: vec![
                "t=0 abort id=1 ckpt IO_EXCEPTION",
                "t=0 notify-aborted id=1",
                "t=0 fail-job IO_EXCEPTION id=1 task=-",
                "t=0 rejected manual NOT_ALL_REQUIRED_TASKS_RUNNING",
                "t=0 trigger id=2 ckpt aligned",
                "t=0 probe next_id=3 pending=[2] queued=0 sched=off timer=600000 latest=-",
            ],
            ..base()
        },
    );
}

#[test]
fn acks_and_declines_for_unknown_ids_tasks_or_duplicates_are_ignored() {
    check(
        "ignored",
        Case {
            config: interval(None),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                Ack(7, 0),
                Decline(7, 0, R::CheckpointDeclined),
                Ack(1, 9),
                Decline(1, 9, R::CheckpointDeclined),
                Ack(1, 0),
                Ack(1, 0),
                Probe,
                Ack(1, 1),
                Decline(1, 0, R::CheckpointDeclined),
                Ack(1, 1),
                Probe,
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
                "t=0 complete id=1 ckpt acks=2 bytes=200",
                "t=0 notify-complete id=1",
                "t=0 probe next_id=2 pending=[] queued=0 sched=off timer=- latest=1",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ completion

#[test]
fn completion_subsumes_older_pending_checkpoints() {
    check(
        "subsumption",
        Case {
            config: cfg(Some(1000), |c| c.max_concurrent = 2),
            steps: vec![Up(0), To(1600), AckAll(2), Probe, To(2600), AckAll(3)],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=1500 trigger id=2 ckpt aligned",
                "t=1600 complete id=2 ckpt acks=2 bytes=200",
                "t=1600 abort id=1 ckpt CHECKPOINT_SUBSUMED",
                "t=1600 notify-aborted id=1",
                "t=1600 notify-complete id=2",
                "t=1600 probe next_id=3 pending=[] queued=0 sched=on timer=2500 latest=2",
                "t=2500 trigger id=3 ckpt aligned",
                "t=2600 complete id=3 ckpt acks=2 bytes=200",
                "t=2600 discard id=2",
                "t=2600 notify-complete id=3",
            ],
            ..base()
        },
    );
}

#[test]
fn pending_savepoints_are_never_subsumed() {
    for profile in Profile::ALL {
        check(
            "savepoint not subsumed",
            Case {
                profile,
                config: cfg(None, |c| c.max_concurrent = 2),
                steps: vec![Up(0), Req(RequestKind::Savepoint), Req(RequestKind::Manual), AckAll(2), Probe],
                expect: vec![
                    "t=0 trigger id=1 savepoint aligned",
                    "t=0 trigger id=2 ckpt aligned",
                    "t=0 complete id=2 ckpt acks=2 bytes=200",
                    "t=0 notify-complete id=2",
                    "t=0 probe next_id=3 pending=[1] queued=0 sched=off timer=600000 latest=2",
                ],
                ..base()
            },
        );
    }
}

#[test]
fn savepoint_completion_stores_subsumes_and_notifies_in_1_11_only() {
    let steps = vec![Up(0), Req(RequestKind::Manual), Req(RequestKind::Savepoint), To(100), AckAll(2), Probe];
    check_pair(
        "savepoint completion",
        p111(Case {
            config: interval(None),
            steps: steps.clone(),
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 trigger id=2 savepoint aligned",
                "t=100 complete id=2 savepoint acks=2 bytes=200",
                "t=100 abort id=1 ckpt CHECKPOINT_SUBSUMED",
                "t=100 notify-aborted id=1",
                "t=100 notify-complete id=2",
                "t=100 probe next_id=3 pending=[] queued=0 sched=off timer=- latest=2",
            ],
            ..base()
        }),
        Case {
            config: interval(None),
            steps,
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 trigger id=2 savepoint aligned",
                "t=100 complete id=2 savepoint acks=2 bytes=200",
                "t=100 probe next_id=3 pending=[1] queued=0 sched=off timer=600000 latest=-",
            ],
            ..base()
        },
    );
}

// ------------------------------------------------------------------ re-tuning

#[test]
fn retune_shorter_interval_takes_effect_at_once() {
    check(
        "shorter",
        Case {
            config: interval(Some(10_000)),
            steps: vec![
                Up(0),
                To(600),
                AckAll(1),
                To(3000),
                retune(|r| r.interval_ms = Some(2000)),
                Probe,
                To(3000),
                Probe,
                Config,
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 complete id=1 ckpt acks=2 bytes=200",
                "t=600 notify-complete id=1",
                "t=3000 retune ok",
                "t=3000 probe next_id=2 pending=[] queued=0 sched=on timer=3000 latest=1",
                "t=3000 trigger id=2 ckpt aligned",
                "t=3000 probe next_id=3 pending=[2] queued=0 sched=on timer=5000 latest=1",
                "t=3000 config interval=2000 min_pause=0 timeout=600000 tolerable=0",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_longer_interval_pushes_the_next_firing_out() {
    check(
        "longer",
        Case {
            steps: vec![
                Up(0),
                To(600),
                AckAll(1),
                To(700),
                retune(|r| r.interval_ms = Some(20_000)),
                Probe,
                To(21_000),
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 complete id=1 ckpt acks=2 bytes=200",
                "t=600 notify-complete id=1",
                "t=700 retune ok",
                "t=700 probe next_id=2 pending=[] queued=0 sched=on timer=20500 latest=1",
                "t=20500 trigger id=2 ckpt aligned",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_interval_below_10_parks_and_reenabling_plans_now_plus_base() {
    check(
        "park",
        Case {
            steps: vec![
                Up(0),
                To(600),
                AckAll(1),
                retune(|r| r.interval_ms = Some(5)),
                Probe,
                To(10_000),
                retune(|r| r.interval_ms = Some(2000)),
                Probe,
                To(12_000),
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 complete id=1 ckpt acks=2 bytes=200",
                "t=600 notify-complete id=1",
                "t=600 retune ok",
                "t=600 probe next_id=2 pending=[] queued=0 sched=on timer=- latest=1",
                "t=10000 retune ok",
                "t=10000 probe next_id=2 pending=[] queued=0 sched=on timer=12000 latest=1",
                "t=12000 trigger id=2 ckpt aligned",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_enables_periodic_on_a_job_configured_without() {
    check(
        "enable",
        Case {
            config: interval(None),
            steps: vec![
                Up(0),
                To(2000),
                retune(|r| r.interval_ms = Some(1000)),
                To(3000),
                View(JobStatus::Restarting, false, false, 0),
            ],
            expect: vec![
                "t=2000 sched-start first=3000",
                "t=2000 retune ok",
                "t=3000 trigger id=1 ckpt aligned",
                "t=3000 sched-stop",
                "t=3000 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND",
                "t=3000 notify-aborted id=1",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_min_pause_applies_to_the_next_decision() {
    check(
        "min pause",
        Case {
            steps: vec![
                Up(0),
                To(600),
                AckAll(1),
                retune(|r| r.min_pause_ms = Some(5000)),
                To(1500),
                Probe,
                To(5600),
                Probe,
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=500 trigger id=1 ckpt aligned",
                "t=600 complete id=1 ckpt acks=2 bytes=200",
                "t=600 notify-complete id=1",
                "t=600 retune ok",
                "t=1500 rejected periodic MINIMUM_TIME_BETWEEN_CHECKPOINTS",
                "t=1500 probe next_id=2 pending=[] queued=0 sched=on timer=5600 latest=1",
                "t=5600 trigger id=2 ckpt aligned",
                "t=5600 probe next_id=3 pending=[2] queued=0 sched=on timer=10600 latest=1",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_timeout_applies_to_new_checkpoints_and_tolerable_to_the_next_failure() {
    check(
        "timeout and tolerable",
        Case {
            config: cfg(None, |c| c.tolerable_failures = 1),
            steps: vec![
                Up(0),
                Req(RequestKind::Manual),
                retune(|r| r.timeout_ms = Some(1000)),
                Probe,
                To(100),
                AckAll(1),
                Req(RequestKind::Manual),
                Probe,
                retune(|r| r.tolerable_failures = Some(0)),
                To(1100),
                Config,
            ],
            expect: vec![
                "t=0 trigger id=1 ckpt aligned",
                "t=0 retune ok",
                "t=0 probe next_id=2 pending=[1] queued=0 sched=off timer=600000 latest=-",
                "t=100 complete id=1 ckpt acks=2 bytes=200",
                "t=100 notify-complete id=1",
                "t=100 trigger id=2 ckpt aligned",
                "t=100 probe next_id=3 pending=[2] queued=0 sched=off timer=1100 latest=1",
                "t=100 retune ok",
                "t=1100 abort id=2 ckpt CHECKPOINT_EXPIRED",
                "t=1100 notify-aborted id=2",
                "t=1100 fail-job CHECKPOINT_EXPIRED id=2 task=-",
                "t=1100 config interval=- min_pause=0 timeout=1000 tolerable=0",
            ],
            ..base()
        },
    );
}

#[test]
fn retune_with_invalid_values_names_the_field_and_changes_nothing() {
    check(
        "invalid",
        Case {
            steps: vec![
                Up(0),
                retune(|r| r.interval_ms = Some(-1)),
                retune(|r| r.min_pause_ms = Some(-5)),
                retune(|r| r.timeout_ms = Some(9)),
                retune(|r| r.tolerable_failures = Some(-1)),
                retune(|r| r.tolerable_failures = Some(UNLIMITED as i64 + 1)),
                retune(|r| {
                    r.interval_ms = Some(2000);
                    r.min_pause_ms = Some(100);
                    r.timeout_ms = Some(5);
                }),
                Config,
                Probe,
                retune(|r| {
                    r.timeout_ms = Some(10);
                    r.tolerable_failures = Some(UNLIMITED as i64);
                }),
                Config,
                // The lower bounds are inclusive: a min pause of 0 is valid (Flink's
                // `CheckpointConfig#setMinPauseBetweenCheckpoints` rejects only negative values),
                // and so is an interval of 0 (below 10 ms periodic checkpoints are off).
                retune(|r| r.min_pause_ms = Some(0)),
                retune(|r| r.interval_ms = Some(0)),
                Config,
            ],
            expect: vec![
                "t=0 sched-start first=500",
                "t=0 retune err retune.interval_ms",
                "t=0 retune err retune.min_pause_ms",
                "t=0 retune err retune.timeout_ms",
                "t=0 retune err retune.tolerable_failures",
                "t=0 retune err retune.tolerable_failures",
                "t=0 retune err retune.timeout_ms",
                "t=0 config interval=1000 min_pause=0 timeout=600000 tolerable=0",
                "t=0 probe next_id=1 pending=[] queued=0 sched=on timer=500 latest=-",
                "t=0 retune ok",
                "t=0 config interval=1000 min_pause=0 timeout=10 tolerable=2147483647",
                "t=0 retune ok",
                "t=0 retune ok",
                "t=0 config interval=0 min_pause=0 timeout=10 tolerable=2147483647",
            ],
            ..base()
        },
    );
}

#[path = "coordinator_failover_tests.rs"]
mod failover;

// ------------------------------------------------------------------ stop-with-savepoint

/// Stop-with-savepoint stops the periodic scheduler (pending checkpoints aborted with
/// CHECKPOINT_COORDINATOR_SUSPEND, as `stopCheckpointScheduler`) and triggers the savepoint; a
/// job status view does not restart the scheduler while the stop is under way; a failed stop
/// starts it again.
#[test]
fn stop_with_savepoint_suspends_periodic_checkpoints_until_it_fails() {
    let case = base();
    let tasks: Vec<TaskId> = (0..case.tasks).map(TaskId).collect();
    let mut c = CheckpointCoordinator::new(&case.config, case.profile, case.variant, tasks, case.random);
    let up =
        ExecutionView { job_status: JobStatus::Running, all_tasks_running_or_finished: true, sources_running: true };
    let mut out = Vec::new();
    let advance = |c: &mut CheckpointCoordinator, to: u64, out: &mut Vec<String>| {
        while let Some(due) = c.poll_timeout().filter(|d| *d <= to) {
            c.handle_timeout(due);
            while let Some(o) = c.poll_output() {
                out.push(render(due, &o));
            }
        }
    };
    c.handle_execution_view(0, up, 0);
    advance(&mut c, 550, &mut out);
    assert!(out.iter().any(|l| l.contains("trigger id=1 ckpt")), "{out:?}");
    c.stop_with_savepoint(600, crate::record::StopMode::NoDrain);
    while let Some(o) = c.poll_output() {
        out.push(render(600, &o));
    }
    for want in
        ["t=600 sched-stop", "t=600 abort id=1 ckpt CHECKPOINT_COORDINATOR_SUSPEND", "t=600 trigger id=2 savepoint"]
    {
        assert!(out.iter().any(|l| l.starts_with(want)), "{want} missing: {out:?}");
    }
    c.handle_execution_view(700, up, 0);
    assert!(!c.scheduler_running(), "the activator restarted the scheduler during a stop");
    let before = out.len();
    advance(&mut c, 5_000, &mut out);
    assert!(!out[before..].iter().any(|l| l.contains("ckpt")), "a periodic checkpoint during the stop: {out:?}");
    c.resume_after_failed_stop(5_000);
    assert!(c.scheduler_running(), "a failed stop resumes periodic checkpoints");
}

#[path = "coordinator_edge_tests.rs"]
mod edges;

/// `checkpoint.first_id` (session 26): the counter starts there (the first trigger's id), an
/// HA counter recovered below it does not lower it, 0 is refused, and a config left at 1 is
/// serialized as before (no `first_id` key: traces and golden hashes unchanged).
#[test]
fn the_id_counter_starts_at_the_configured_first_id() {
    let config = cfg(Some(1000), |c| c.first_id = 9);
    let mut c = CheckpointCoordinator::new(&config, Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    assert_eq!(c.next_checkpoint_id(), CheckpointId(9));
    c.recover_id_counter(CheckpointId(3));
    assert_eq!(c.next_checkpoint_id(), CheckpointId(9), "never lowered");
    let first =
        CheckpointCoordinator::new(&interval(Some(1000)), Profile::Flink23, Variant::Correct, vec![TaskId(0)], 0);
    assert_eq!(first.next_checkpoint_id(), CheckpointId::FIRST);
    assert!(cfg(Some(1000), |c| c.first_id = 0).validate(Profile::Flink23).is_err());
    assert!(cfg(Some(1000), |c| c.first_id = crate::config::MAX_FIRST_CHECKPOINT_ID + 1)
        .validate(Profile::Flink23)
        .is_err());
    let text = serde_json::to_string(&interval(Some(1000))).expect("serializes");
    assert!(!text.contains("first_id"), "{text}");
    assert!(serde_json::to_string(&config).expect("serializes").contains("\"first_id\":9"));
}
