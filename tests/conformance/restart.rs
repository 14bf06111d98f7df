//! Restart strategies: FixedDelay-, FailureRate- and ExponentialDelayRestartBackoffTimeStrategyTest as op scripts on `RestartStrategy`.

use crate::common::{case_name, flink, profile_name, run_table, Flink, F111, F23};
use ckptsim::config::RestartStrategyConfig;
use ckptsim::restart::RestartStrategy;
use ckptsim::{Profile, Variant};

/// One call on the strategy at an absolute time (Flink's ManualClock).
#[derive(Clone, Debug)]
enum Op {
    /// `notifyFailure` at `at_ms`; `new_attempt` is what it must return.
    Fail {
        at_ms: u64,
        new_attempt: bool,
    },
    /// `notifyFailure` at `at_ms` with this jitter draw.
    FailRandom {
        at_ms: u64,
        random: u64,
    },
    Can {
        at_ms: u64,
        expect: bool,
    },
    Backoff {
        at_ms: u64,
        expect: u64,
    },
    BackoffAtMost {
        at_ms: u64,
        max: u64,
    },
    /// `getBackoffTime` must fail with this message (no `notifyFailure` yet).
    BackoffFails {
        at_ms: u64,
        message: &'static str,
    },
    /// Fresh strategies, each fed `failures` failures `advance_ms` apart with every jitter draw
    /// in `0..draws`: the set of backoffs after the last one is exactly `expect`.
    JitterSet {
        failures: u32,
        advance_ms: u64,
        draws: u64,
        expect: &'static [u64],
    },
}
use Op::*;

struct Case {
    flink: Flink,
    profile: Profile,
    config: RestartStrategyConfig,
    ops: Vec<Op>,
}

const FIXED: &str = "FixedDelayRestartBackoffTimeStrategyTest";
const RATE: &str = "FailureRateRestartBackoffTimeStrategyTest";
const EXP: &str = "ExponentialDelayRestartBackoffTimeStrategyTest";

fn exp(initial: i64, max: i64, multiplier: f64, reset: i64, jitter: f64, attempts: i64) -> RestartStrategyConfig {
    RestartStrategyConfig::ExponentialDelay {
        initial_backoff_ms: initial,
        max_backoff_ms: max,
        multiplier,
        reset_threshold_ms: reset,
        jitter,
        attempts,
    }
}

const MAX_INT: i64 = i32::MAX as i64;

/// Flink's `checkMultipleExceptionsAreMerged`: from `start_ms`, for each ms below the backoff,
/// ten failures: only the very first is a new attempt, and the backoff counts down.
fn merged(start_ms: u64, backoff: u64, ops: &mut Vec<Op>) -> u64 {
    let mut first = true;
    let mut t = start_ms;
    for advance in 0..backoff {
        for _ in 0..10 {
            ops.push(Fail { at_ms: t, new_attempt: first });
            first = false;
            ops.push(Can { at_ms: t, expect: true });
            ops.push(Backoff { at_ms: t, expect: backoff - advance });
        }
        t += 1;
    }
    t
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (profile, version) in [(F111, "1.11 (failover.flip1)"), (F23, "2.x")] {
        // testNumberOfRestarts: 3 attempts; canRestart twice after each failure (it is no counter).
        let mut ops = Vec::new();
        for _ in 0..3 {
            ops.push(Fail { at_ms: 0, new_attempt: true });
            ops.push(Can { at_ms: 0, expect: true });
            ops.push(Can { at_ms: 0, expect: true });
        }
        ops.push(Fail { at_ms: 0, new_attempt: true });
        ops.push(Can { at_ms: 0, expect: false });
        cases.push(Case {
            flink: flink(FIXED, "testNumberOfRestarts", version),
            profile,
            config: RestartStrategyConfig::FixedDelay { attempts: 3, delay_ms: 0 },
            ops,
        });
        cases.push(Case {
            flink: flink(FIXED, "testBackoffTime", version),
            profile,
            config: RestartStrategyConfig::FixedDelay { attempts: 1, delay_ms: 10_000 },
            ops: vec![Backoff { at_ms: 0, expect: 10_000 }],
        });
        cases.push(Case {
            flink: flink(RATE, "testBackoffTime", version),
            profile,
            config: RestartStrategyConfig::FailureRate {
                max_failures_per_interval: 1,
                interval_ms: 1,
                delay_ms: 10_000,
            },
            ops: vec![Backoff { at_ms: 0, expect: 10_000 }],
        });
    }
    // FailureRate, 2.x (after FLINK-20752): `max` failures per window are restarted.
    let mut ops = Vec::new();
    for i in 0..3 {
        ops.push(Fail { at_ms: i * 2, new_attempt: true });
        ops.push(Can { at_ms: i * 2, expect: true });
    }
    ops.push(Can { at_ms: 6, expect: true });
    cases.push(Case {
        flink: flink(RATE, "testManyFailuresWithinRate", "2.x"),
        profile: F23,
        config: RestartStrategyConfig::FailureRate { max_failures_per_interval: 1, interval_ms: 1, delay_ms: 0 },
        ops,
    });
    let mut ops = Vec::new();
    for _ in 0..3 {
        ops.push(Fail { at_ms: 0, new_attempt: true });
        ops.push(Can { at_ms: 0, expect: true });
    }
    ops.push(Fail { at_ms: 0, new_attempt: true });
    ops.push(Can { at_ms: 0, expect: false });
    cases.push(Case {
        flink: flink(RATE, "testFailuresExceedingRate", "2.x"),
        profile: F23,
        config: RestartStrategyConfig::FailureRate { max_failures_per_interval: 3, interval_ms: 10_000, delay_ms: 0 },
        ops,
    });
    // FailureRate, 1.11.3 (before FLINK-20752): canRestart asked before each failure, and the
    // window is full at `max` failures, so the third of three failures is not restarted.
    let mut ops = Vec::new();
    for i in 0..3 {
        ops.push(Can { at_ms: i * 2, expect: true });
        ops.push(Fail { at_ms: i * 2, new_attempt: true });
    }
    ops.push(Can { at_ms: 6, expect: true });
    cases.push(Case {
        flink: flink(RATE, "testManyFailuresWithinRate", "1.11 (failover.flip1)"),
        profile: F111,
        config: RestartStrategyConfig::FailureRate { max_failures_per_interval: 1, interval_ms: 1, delay_ms: 0 },
        ops,
    });
    let mut ops = Vec::new();
    for _ in 0..3 {
        ops.push(Can { at_ms: 0, expect: true });
        ops.push(Fail { at_ms: 0, new_attempt: true });
    }
    ops.push(Can { at_ms: 0, expect: false });
    cases.push(Case {
        flink: flink(RATE, "testFailuresExceedingRate", "1.11 (failover.flip1)"),
        profile: F111,
        config: RestartStrategyConfig::FailureRate { max_failures_per_interval: 3, interval_ms: 10_000, delay_ms: 0 },
        ops,
    });

    // ExponentialDelay after FLIP-364 (1.19+, 2.x). The 1.11 profile uses the same strategy
    // (it did not exist in 1.11), so each case runs under both profiles.
    for profile in [F111, F23] {
        let v = "2.x (FLIP-364)";
        // testMaxAttempts: 13 attempts, each failure after the previous restart (max backoff 3 + 1).
        let mut ops = Vec::new();
        for i in 0..=13u64 {
            ops.push(Can { at_ms: i * 4, expect: true });
            ops.push(Fail { at_ms: i * 4, new_attempt: true });
        }
        ops.push(Can { at_ms: 14 * 4, expect: false });
        cases.push(Case {
            flink: flink(EXP, "testMaxAttempts", v),
            profile,
            config: exp(1, 3, 1.2, 10, 0.25, 13),
            ops,
        });
        // Session 15, the 1.12-1.18 form (`failover.flip1`, before FLIP-364): `testAlwaysRestart`
        // (no attempt limit: canRestart before each of 13 failures at one instant) holds under
        // the 2.x rules too (the failures merge, the strategy never gives up). The form's other
        // methods assert the pre-FLIP-364 rules (a backoff before any failure, every failure
        // multiplying, no merging), which no profile of the model has: docs/conformance.md.
        let mut ops = Vec::new();
        for _ in 0..13 {
            ops.push(Can { at_ms: 0, expect: true });
            ops.push(FailRandom { at_ms: 0, random: 0 });
        }
        ops.push(Can { at_ms: 0, expect: true });
        cases.push(Case {
            flink: flink(EXP, "testAlwaysRestart", "1.12-1.18 (failover.flip1)"),
            profile,
            config: exp(1, 3, 2.0, 4, 0.25, MAX_INT),
            ops,
        });
        // testNotCallNotifyFailure: getBackoffTime before any failure is an IllegalStateException.
        cases.push(Case {
            flink: flink(EXP, "testNotCallNotifyFailure", v),
            profile,
            config: exp(42, 45, 2.0, 8, 0.0, 10),
            ops: vec![BackoffFails { at_ms: 0, message: "Please call notifyFailure first." }],
        });
        cases.push(Case {
            flink: flink(EXP, "testInitialBackoff", v),
            profile,
            config: exp(42, 45, 2.0, 8, 0.0, MAX_INT),
            ops: vec![Fail { at_ms: 0, new_attempt: true }, Backoff { at_ms: 0, expect: 42 }],
        });
        // testMaxBackoff: ten failures at the same instant (merged after the first), backoff <= 6.
        let mut ops = Vec::new();
        for i in 0..10 {
            ops.push(FailRandom { at_ms: 0, random: i * 7919 });
            ops.push(BackoffAtMost { at_ms: 0, max: 6 });
        }
        cases.push(Case {
            flink: flink(EXP, "testMaxBackoff", v),
            profile,
            config: exp(1, 6, 2.0, 8, 0.25, MAX_INT),
            ops,
        });
        // testResetBackoff: initial 1, jitter 0.25 (offset 0 at raw 1 and 2).
        cases.push(Case {
            flink: flink(EXP, "testResetBackoff", v),
            profile,
            config: exp(1, 5, 2.0, 8, 0.25, MAX_INT),
            ops: vec![
                Fail { at_ms: 0, new_attempt: true },
                // advance threshold + backoff - 1 = 8: 8 - 1 (scheduled restart) < 8 → increase
                Fail { at_ms: 8, new_attempt: true },
                Backoff { at_ms: 8, expect: 2 },
                // advance threshold + backoff = 10 → 18; 18 - 10 >= 8 → reset
                Fail { at_ms: 18, new_attempt: true },
                Backoff { at_ms: 18, expect: 1 },
            ],
        });
        cases.push(Case {
            flink: flink(EXP, "testBackoffMultiplier", v),
            profile,
            config: exp(4, 300, 2.3, MAX_INT, 0.0, 10),
            ops: vec![
                Fail { at_ms: 0, new_attempt: true },
                Backoff { at_ms: 0, expect: 4 },
                Fail { at_ms: 301, new_attempt: true },
                Backoff { at_ms: 301, expect: 9 },
                Fail { at_ms: 602, new_attempt: true },
                Backoff { at_ms: 602, expect: 21 },
            ],
        });
        for (failures, expect) in [(2u32, &[3u64, 4, 5][..]), (3, &[6, 7][..]), (4, &[7][..])] {
            cases.push(Case {
                flink: flink(EXP, "testJitter", v),
                profile,
                config: exp(2, 7, 2.0, MAX_INT, 0.25, MAX_INT),
                ops: vec![JitterSet { failures, advance_ms: 8, draws: 64, expect }],
            });
        }
        for (failures, expect) in [(1u32, &[1u64, 2][..]), (2, &[1, 2, 3, 4][..]), (3, &[1, 2, 3, 4, 5, 6, 7][..])] {
            cases.push(Case {
                flink: flink(EXP, "testJitterNoHigherThanMax", v),
                profile,
                config: exp(1, 7, 2.0, MAX_INT, 1.0, MAX_INT),
                ops: vec![JitterSet { failures, advance_ms: 8, draws: 64, expect }],
            });
        }
        // testMultipleSettings: initial 1, max 9, x2, reset 80, jitter 0.25 (offsets are 0 here).
        cases.push(Case {
            flink: flink(EXP, "testMultipleSettings", v),
            profile,
            config: exp(1, 9, 2.0, 80, 0.25, MAX_INT),
            ops: vec![
                Fail { at_ms: 0, new_attempt: true },
                Can { at_ms: 0, expect: true },
                Backoff { at_ms: 0, expect: 1 },
                Fail { at_ms: 81, new_attempt: true },
                Can { at_ms: 81, expect: true },
                Backoff { at_ms: 81, expect: 1 },
                Fail { at_ms: 85, new_attempt: true },
                Can { at_ms: 85, expect: true },
                Backoff { at_ms: 85, expect: 2 },
                Fail { at_ms: 175, new_attempt: true },
                Can { at_ms: 175, expect: true },
                Backoff { at_ms: 175, expect: 1 },
                Fail { at_ms: 185, new_attempt: true },
                Can { at_ms: 185, expect: true },
                Backoff { at_ms: 185, expect: 2 },
            ],
        });
        // testMergeMultipleExceptionsIntoOneAttempt: initial 2, max 6, x2, reset 80, 3 attempts.
        let mut ops = Vec::new();
        let t = merged(0, 2, &mut ops);
        let t = merged(t + 1, 4, &mut ops);
        let t = merged(t + 1, 6, &mut ops);
        ops.push(Fail { at_ms: t + 1, new_attempt: true });
        ops.push(Can { at_ms: t + 1, expect: false });
        cases.push(Case {
            flink: flink(EXP, "testMergeMultipleExceptionsIntoOneAttempt", v),
            profile,
            config: exp(2, 6, 2.0, 80, 0.0, 3),
            ops,
        });
        let mut ops = Vec::new();
        let mut t = 0;
        for _ in 0..10 {
            t = merged(t, 2, &mut ops);
            t = merged(t + 1, 4, &mut ops);
            t = merged(t + 1, 6, &mut ops);
            t += 80;
        }
        cases.push(Case {
            flink: flink(EXP, "testMergingExceptionsWorksWithResetting", v),
            profile,
            config: exp(2, 6, 2.0, 80, 0.0, 3),
            ops,
        });
    }
    cases
}

fn check(case: &Case) -> Result<(), String> {
    let mut s = RestartStrategy::new(&case.config, case.profile, Variant::Correct);
    for (n, op) in case.ops.iter().enumerate() {
        match *op {
            Fail { at_ms, new_attempt } => {
                let got = s.notify_failure(at_ms, 0);
                if got != new_attempt {
                    return Err(format!("op {n} {op:?}: notifyFailure returned {got}"));
                }
            }
            FailRandom { at_ms, random } => {
                s.notify_failure(at_ms, random);
            }
            Can { at_ms, expect } => {
                let got = s.can_restart(at_ms);
                if got != expect {
                    return Err(format!("op {n} {op:?}: canRestart {got}"));
                }
            }
            Backoff { at_ms, expect } => {
                let got = s.backoff_ms(at_ms);
                if got != expect {
                    return Err(format!("op {n} {op:?}: backoff {got}"));
                }
            }
            BackoffAtMost { at_ms, max } => {
                let got = s.backoff_ms(at_ms);
                if got > max {
                    return Err(format!("op {n} {op:?}: backoff {got}"));
                }
            }
            BackoffFails { at_ms, message } => match s.try_backoff_ms(at_ms) {
                Ok(got) => return Err(format!("op {n} {op:?}: backoff {got} instead of an error")),
                Err(e) if e.to_string() != message => {
                    return Err(format!("op {n} {op:?}: error {e:?} with another message"));
                }
                Err(_) => {}
            },
            JitterSet { failures, advance_ms, draws, expect } => {
                let mut seen = std::collections::BTreeSet::new();
                for random in 0..draws {
                    let mut fresh = RestartStrategy::new(&case.config, case.profile, Variant::Correct);
                    let mut t = 0;
                    for _ in 0..failures {
                        t += advance_ms;
                        if !fresh.notify_failure(t, random) {
                            return Err(format!("op {n}: a failure {advance_ms} ms apart was merged"));
                        }
                    }
                    seen.insert(fresh.backoff_ms(t));
                }
                let want: std::collections::BTreeSet<u64> = expect.iter().copied().collect();
                if seen != want {
                    return Err(format!("op {n}: backoffs {seen:?}, Flink draws {want:?}"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn restart_backoff_time_strategies() {
    run_table("restart strategies", &cases(), |c| case_name(&c.flink, c.profile), check);
}

pub fn census() -> Vec<(Flink, &'static str)> {
    cases().iter().map(|c| (c.flink, profile_name(c.profile))).collect()
}
