//! The restart checker re-derives decisions and delays: judged against a strategy other than the one the run used, it must name the first decision or delay that differs.

use ckptsim::config::RestartStrategyConfig;
use ckptsim_sim::{check, load, world};
use std::path::Path;

fn load(rel: &str) -> ckptsim_sim::spec::JobSpec {
    load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
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
