//! The restart checker re-derives decisions and delays: judged against a strategy other than the one the run used, it must name the first decision or delay that differs.

use ckptsim::config::RestartStrategyConfig;
use ckptsim::status::JobStatus;
use ckptsim_sim::{check, load, world};
use std::path::Path;

fn load(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

/// [`load`] with zero failover latencies, for a test that doctors a run's timeline at its exact
/// instants (a job RUNNING at t=0, cancelled at 6002 ms): the checker's rule is the point, not
/// the start-up timing.
fn load_zero_latency(rel: &str) -> ckptsim_sim::spec::JobSpec {
    let mut spec = load(rel);
    spec.cluster.pin_zero_latency();
    spec
}

#[test]
fn failure_rate_window_boundary_and_delay() {
    // 003-failure-rate: 2 failures per 10 s window allowed; the 3rd in the window fails the job.
    let spec = load("scenarios/seeds/003-failure-rate.toml");
    let run = world::run(&spec, spec.default_seed);
    assert_eq!(check::restart(&spec, &run).passed, Some(true), "{:?}", check::restart(&spec, &run));
    // One failure per window: the run's second restart was not allowed.
    let mut tighter = spec.clone();
    tighter.restart =
        RestartStrategyConfig::FailureRate { max_failures_per_interval: 1, interval_ms: 10_000, delay_ms: 1_000 };
    let v = check::restart(&tighter, &run);
    assert_eq!(v.passed, Some(false));
    assert!(v.anomalies.iter().any(|a| a.contains("restart scheduled but failure-rate allows none")), "{v:?}");
    // Three per window: the suppressed failure was allowed.
    let mut looser = spec.clone();
    looser.restart =
        RestartStrategyConfig::FailureRate { max_failures_per_interval: 3, interval_ms: 10_000, delay_ms: 1_000 };
    let v = check::restart(&looser, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("restart suppressed but failure-rate allows one")), "{v:?}");
    // Another delay.
    let mut slower = spec.clone();
    slower.restart =
        RestartStrategyConfig::FailureRate { max_failures_per_interval: 2, interval_ms: 10_000, delay_ms: 1_500 };
    let v = check::restart(&slower, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("failure-rate says 1500 ms")), "{v:?}");
    // The 1.11 boundary (full at max): one restart fewer per window.
    let mut old = spec.clone();
    old.profile = ckptsim::Profile::Flink111;
    let v = check::restart(&old, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("failure-rate allows none")), "{v:?}");
}

#[test]
fn exponential_delay_growth_and_jitter() {
    let mut spec = load("scenarios/seeds/003-failure-rate.toml");
    let e = |max_backoff_ms: i64, multiplier: f64, reset_threshold_ms: i64| RestartStrategyConfig::ExponentialDelay {
        initial_backoff_ms: 300,
        max_backoff_ms,
        multiplier,
        reset_threshold_ms,
        jitter: 0.0,
        attempts: 10,
    };
    let exp = e(5_000, 2.0, 60_000);
    spec.restart = exp;
    spec.restart_configured = true;
    let run = world::run(&spec, spec.default_seed);
    let v = check::restart(&spec, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    assert!(run.restart_schedule.len() >= 2, "two restarts to see growth: {:?}", run.restart_schedule);
    // Judged without growth (multiplier 1): the second backoff (600 ms) is wrong.
    let mut flat = spec.clone();
    flat.restart = e(5_000, 1.0, 60_000);
    let v = check::restart(&flat, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("exponential-delay says 300 ms")), "{v:?}");
    // Judged with a cap below the second backoff.
    let mut capped = spec.clone();
    capped.restart = e(400, 2.0, 60_000);
    let v = check::restart(&capped, &run);
    assert!(v.anomalies.iter().any(|a| a.contains("exponential-delay says 400 ms")), "{v:?}");
    // A reset threshold shorter than the gap between the failures: growth starts over.
    let mut reset = spec.clone();
    reset.restart = e(5_000, 2.0, 1);
    let v = check::restart(&reset, &run);
    assert_eq!(v.passed, Some(false), "{v:?}");
}

/// One doctored status timeline: (time ms, status) in order.
type Timeline = &'static [(u64, JobStatus)];

/// The verdict's anomalies on `run` with its status timeline replaced by `timeline`.
fn transitions(spec: &ckptsim_sim::spec::JobSpec, run: &world::RunResult, timeline: Timeline) -> check::Verdict {
    let mut run = run.clone();
    run.status_timeline = timeline.to_vec();
    check::restart(spec, &run)
}

/// Only the DefaultScheduler's transitions are legal, plus three a run can show that are not
/// one scheduler's: a new JobManager after SUSPENDED starts from CREATED; a new job started
/// from a retained checkpoint or savepoint (a restore of a new job at that instant) follows
/// the old one's end; a new job whose state cannot be assigned (a refused rescale at that
/// instant) fails from CREATED. Each exemption is judged on a real run, then doctored just
/// outside it (another instant, no restore, no refusal, another status): the checker must name
/// the transition there.
#[test]
fn illegal_job_transitions_are_named_outside_the_three_exemptions() {
    use JobStatus::{Canceled, Cancelling, Created, Failed, Finished, Running, Suspended};
    // Canceled at 6008 ms, a new job from the retained checkpoint at 8001 ms.
    let spec = load_zero_latency("scenarios/retained/resume-after-cancel-23.toml");
    let run = world::run(&spec, spec.default_seed);
    let head = [(0, Created), (0, Running), (6002, Cancelling), (6008, Canceled)];
    assert!(run.status_timeline.starts_with(&head), "{:?}", run.status_timeline);
    assert!(run.restores.iter().any(|r| r.at_ms == 8001 && r.cause.is_new_job()), "{:?}", run.restores);
    let cases: &[(&str, Timeline, Option<&str>)] = &[
        (
            "the run as it is",
            &[(0, Created), (0, Running), (6002, Cancelling), (6008, Canceled), (8001, Created), (8001, Running)],
            None,
        ),
        (
            "a new job where no restore started one",
            &[(0, Created), (0, Running), (6002, Cancelling), (6008, Canceled), (9000, Created), (9000, Running)],
            Some("t=9000 illegal job transition CANCELED -> CREATED"),
        ),
        (
            "an ended job running again",
            &[(0, Created), (0, Running), (6002, Cancelling), (6008, Canceled), (8001, Running)],
            Some("illegal job transition CANCELED -> RUNNING"),
        ),
        (
            "a running job created again",
            &[(0, Created), (0, Running), (5000, Created), (5000, Running)],
            Some("illegal job transition RUNNING -> CREATED"),
        ),
        (
            "a new JobManager after SUSPENDED",
            &[(0, Created), (0, Running), (5000, Suspended), (5100, Created), (5100, Running)],
            None,
        ),
    ];
    for &(what, timeline, want) in cases {
        let v = transitions(&spec, &run, timeline);
        match want {
            None => assert_eq!(v.passed, Some(true), "{what}: {v:?}"),
            Some(words) => assert!(v.anomalies.iter().any(|a| a.contains(words)), "{what}: {v:?}"),
        }
    }
    // FINISHED at 3014 ms; the rescale at 4002 ms is refused (above the max parallelism) and
    // the new job fails from CREATED.
    let spec = load_zero_latency("scenarios/rescale/above-max-parallelism-fails.toml");
    let run = world::run(&spec, spec.default_seed);
    let real: Timeline = &[(0, Created), (0, Running), (3014, Finished), (4002, Created), (4002, Failed)];
    assert_eq!(run.status_timeline, real.to_vec());
    assert!(run.rescales.iter().any(|r| r.at_ms == 4002 && r.error.is_some()), "{:?}", run.rescales);
    assert_eq!(transitions(&spec, &run, real).passed, Some(true));
    let mut accepted = run.clone();
    accepted.rescales.iter_mut().for_each(|r| r.error = None);
    let v = transitions(&spec, &accepted, real);
    assert!(v.anomalies.iter().any(|a| a.contains("t=4002 illegal job transition CREATED -> FAILED")), "{v:?}");
    let mut earlier = run.clone();
    earlier.rescales.iter_mut().for_each(|r| r.at_ms = 3500);
    let v = transitions(&spec, &earlier, real);
    assert!(v.anomalies.iter().any(|a| a.contains("illegal job transition CREATED -> FAILED")), "{v:?}");
    let v = transitions(
        &spec,
        &run,
        &[(0, Created), (0, Running), (3014, Finished), (4002, Created), (4002, Running), (4002, Failed)],
    );
    assert!(v.anomalies.iter().any(|a| a.contains("illegal job transition RUNNING -> FAILED")), "{v:?}");
}

/// No-restart allows none: a run with restarts judged under it is named for its restarts (and
/// for each scheduled restart). The summary counts the snapshots of attempts restored as
/// finished (FLIP-147), and says nothing of them when there were none.
#[test]
fn no_restart_and_the_finished_on_restore_count() {
    let spec = load("scenarios/seeds/003-failure-rate.toml");
    let run = world::run(&spec, spec.default_seed);
    assert!(run.restarts > 0);
    let mut none = spec.clone();
    none.restart = RestartStrategyConfig::NoRestart;
    none.restart_configured = true;
    let v = check::restart(&none, &run);
    assert!(v.anomalies.iter().any(|a| a.contains(&format!("{} restarts under no-restart", run.restarts))), "{v:?}");
    assert!(!check::restart(&spec, &run).summary.contains("restored as finished"));
    let spec = load("scenarios/conformance/checkpoint-after-all-tasks-finished-restore-2x.toml");
    let run = world::run(&spec, spec.default_seed);
    let n = run.finished_restores.iter().filter(|s| s.vertex_finished).count();
    assert!(n >= 2, "{:?}", run.finished_restores);
    let v = check::restart(&spec, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    assert!(v.summary.contains(&format!("; {n} snapshot(s) of attempts restored as finished")), "{v:?}");
}

/// Regional failover (semantics §1.7): the run of `fidelity/region-two-pipelines` restarts one
/// region of one task and passes; judged as a `full` job it restored only some tasks, and a
/// restore doctored to two tasks of different regions is not a pipelined region.
#[test]
fn regional_restarts_are_of_one_region_and_only_under_region() {
    let spec = load("scenarios/fidelity/region-two-pipelines.toml");
    let run = world::run(&spec, spec.default_seed);
    let v = check::restart(&spec, &run);
    assert_eq!(v.passed, Some(true), "{v:?}");
    assert_eq!(run.region_restores.len(), 1);
    assert_eq!(run.region_restores[0].2.len(), 1, "one chained task per pipeline");
    let mut full = spec.clone();
    full.failover = ckptsim::region::FailoverStrategy::Full;
    let v = check::restart(&full, &run);
    assert!(
        v.anomalies.iter().any(|a| a.contains("restored only some tasks under failover_strategy = \"full\"")),
        "{v:?}"
    );
    let mut doctored = run.clone();
    doctored.region_restores[0].2 = vec![ckptsim::TaskId(0), ckptsim::TaskId(1)];
    let v = check::restart(&spec, &doctored);
    assert!(v.anomalies.iter().any(|a| a.contains("is not a pipelined region of the job")), "{v:?}");
}
