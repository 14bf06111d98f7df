//! Restart strategies (Flink's `RestartBackoffTimeStrategy`s): NoRestart, FixedDelay, FailureRate, ExponentialDelay (semantics §4.1–4.3).
//!
//! The protocol is Flink's `ExecutionFailureHandler`: for every failure call
//! [`RestartStrategy::notify_failure`], then [`RestartStrategy::can_restart`]; if it says yes,
//! restart after [`RestartStrategy::backoff_ms`], otherwise fail the job. All three read the
//! absolute clock at the moment of the call, so each takes `now_ms`.
//!
//! Version notes:
//! * FailureRate: 1.11.0–1.11.3 treat the window as full at `size >= max` (only `max - 1`
//!   restarts per window, FLINK-20752); 2.x at `size > max`
//!   ([`Profile::failure_rate_full_at_max`]).
//! * ExponentialDelay did not exist in 1.11 (added in 1.13, reworked in 1.19 by FLIP-364).
//!   Both profiles use the FLIP-364 ([2.0]/[2.3]) semantics, so a 1.11 scenario that configures
//!   it gets 2.x behaviour. It cannot be reached by default in 1.11 (the 1.11 default with
//!   checkpointing on is FixedDelay).

use crate::config::RestartStrategyConfig;
use crate::profile::Profile;
use crate::variant::Variant;
use std::collections::VecDeque;

/// An exponential-delay strategy was asked for its backoff before any failure: it has no
/// scheduled restart yet (Flink's `IllegalStateException`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Please call notifyFailure first.")]
pub struct BackoffBeforeFailure;

/// One restart strategy with its state. Built from a validated [`RestartStrategyConfig`].
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct RestartStrategy {
    profile: Profile,
    strategy: Strategy,
}

#[derive(Clone, Debug, Hash, PartialEq)]
enum Strategy {
    NoRestart,
    FixedDelay(FixedDelay),
    FailureRate(FailureRate),
    ExponentialDelay(ExponentialDelay),
}

/// `FixedDelayRestartBackoffTimeStrategy`: a counter that never resets.
#[derive(Clone, Debug, Hash, PartialEq)]
struct FixedDelay {
    max_attempts: u64,
    delay_ms: u64,
    /// [`Variant::FixedDelayOffByOne`]: allow `max_attempts + 1` restarts.
    off_by_one: bool,
    /// Flink's `currentRestartAttempt`: failures seen so far.
    failures: u64,
}

/// `FailureRateRestartBackoffTimeStrategy`: a FIFO of failure timestamps.
#[derive(Clone, Debug, Hash, PartialEq)]
struct FailureRate {
    max_failures_per_interval: u64,
    interval_ms: u64,
    delay_ms: u64,
    /// 1.11 bug: "full" at `size >= max` instead of `size > max`.
    full_at_max: bool,
    /// [`Variant::FailureRateKeepsOldest`]: a full window never drops its oldest failure.
    keeps_oldest: bool,
    failure_timestamps_ms: VecDeque<u64>,
}

/// `ExponentialDelayRestartBackoffTimeStrategy` after FLIP-364.
#[derive(Clone, Debug, PartialEq)]
struct ExponentialDelay {
    initial_backoff_ms: u64,
    max_backoff_ms: u64,
    multiplier: f64,
    reset_threshold_ms: u64,
    jitter: f64,
    attempts: u64,
    /// [`Variant::ExponentialNeverResets`]: the attempt counter never starts over.
    never_resets: bool,
    /// [`Variant::ExponentialBackoffUncapped`]: the backoff is not capped at `max_backoff_ms`.
    uncapped: bool,
    /// Flink's `currentRestartAttempt`: attempts since the last reset.
    attempt: u64,
    /// Flink's `nextRestartTimestamp`; `None` before the first failure (Flink's sentinel).
    next_restart_ms: Option<u64>,
    /// The backoff drawn for the current attempt (for the invariants and the trace).
    last_backoff_ms: Option<u64>,
}

// By hand for the two `f64` fields (hashed by their bits); the fields are destructured, so a
// new one does not compile until it is hashed too.
impl std::hash::Hash for ExponentialDelay {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let ExponentialDelay {
            initial_backoff_ms,
            max_backoff_ms,
            multiplier,
            reset_threshold_ms,
            jitter,
            attempts,
            never_resets,
            uncapped,
            attempt,
            next_restart_ms,
            last_backoff_ms,
        } = self;
        (initial_backoff_ms, max_backoff_ms, multiplier.to_bits(), reset_threshold_ms, jitter.to_bits()).hash(h);
        (attempts, never_resets, uncapped, attempt, next_restart_ms, last_backoff_ms).hash(h);
    }
}

fn non_negative(v: i64, what: &str) -> u64 {
    assert!(v >= 0, "restart strategy: {what} must be validated (got {v})");
    v as u64
}

impl FailureRate {
    fn is_full(&self) -> bool {
        let len = self.failure_timestamps_ms.len() as u64;
        if self.full_at_max {
            len >= self.max_failures_per_interval
        } else {
            len > self.max_failures_per_interval
        }
    }
}

impl ExponentialDelay {
    /// `max(initial, min(raw + jitterOffset, max))` with `raw = floor(initial * multiplier^attempt)`
    /// and `jitterOffset = random % (2j + 1) - j`, `j = floor(raw * jitter)`.
    ///
    /// `raw` saturates at `i64::MAX` like Java's `(long)` cast. The sum is computed without
    /// overflow (Java would wrap `Long.MAX_VALUE + offset` to a negative number and fall back to
    /// `initial`; after thousands of attempts without a reset — we keep the mathematically
    /// intended cap at `max` instead).
    fn backoff_for(&self, attempt: u64, random: u64) -> u64 {
        let raw_f = self.initial_backoff_ms as f64 * self.multiplier.powf(attempt as f64);
        let raw: u64 = if raw_f.is_nan() || raw_f >= i64::MAX as f64 { i64::MAX as u64 } else { raw_f as u64 };
        // `jitter <= 1`, but `raw as f64` may round up past `raw`; never let `j` exceed `raw`.
        let j: u64 = ((raw as f64 * self.jitter) as u64).min(raw);
        let offset: i128 = if j == 0 { 0 } else { (random % (2 * j + 1)) as i128 - j as i128 };
        let jittered = raw as i128 + offset;
        // The planted `exponential-backoff-uncapped` leaves out the cap (not past i64::MAX).
        let max = if self.uncapped { i64::MAX as i128 } else { self.max_backoff_ms as i128 };
        jittered.min(max).max(self.initial_backoff_ms as i128) as u64
    }
}

impl RestartStrategy {
    /// `config` must already be validated ([`RestartStrategyConfig::validate`]); an invalid one
    /// panics. `variant`: [`Variant::FixedDelayOffByOne`] makes fixed-delay allow one restart
    /// more than configured (deliberate bug for the negative suite); other variants are ignored.
    pub fn new(config: &RestartStrategyConfig, profile: Profile, variant: Variant) -> Self {
        if let Err(e) = config.validate() {
            panic!("restart strategy built from an unvalidated config: {e}");
        }
        let strategy = match *config {
            RestartStrategyConfig::NoRestart => Strategy::NoRestart,
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => Strategy::FixedDelay(FixedDelay {
                max_attempts: non_negative(attempts, "attempts"),
                delay_ms: non_negative(delay_ms, "delay_ms"),
                off_by_one: variant == Variant::FixedDelayOffByOne,
                failures: 0,
            }),
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                Strategy::FailureRate(FailureRate {
                    max_failures_per_interval: non_negative(max_failures_per_interval, "max_failures_per_interval"),
                    interval_ms: non_negative(interval_ms, "interval_ms"),
                    delay_ms: non_negative(delay_ms, "delay_ms"),
                    full_at_max: profile.failure_rate_full_at_max(),
                    keeps_oldest: variant == Variant::FailureRateKeepsOldest,
                    failure_timestamps_ms: VecDeque::new(),
                })
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                multiplier,
                reset_threshold_ms,
                jitter,
                attempts,
            } => Strategy::ExponentialDelay(ExponentialDelay {
                initial_backoff_ms: non_negative(initial_backoff_ms, "initial_backoff_ms"),
                max_backoff_ms: non_negative(max_backoff_ms, "max_backoff_ms"),
                multiplier,
                reset_threshold_ms: non_negative(reset_threshold_ms, "reset_threshold_ms"),
                jitter,
                attempts: non_negative(attempts, "attempts"),
                never_resets: variant == Variant::ExponentialNeverResets,
                uncapped: variant == Variant::ExponentialBackoffUncapped,
                attempt: 0,
                next_restart_ms: None,
                last_backoff_ms: None,
            }),
        };
        let s = RestartStrategy { profile, strategy };
        s.invariants();
        s
    }

    /// Flink's `notifyFailure` at `now_ms` (absolute clock). `random`: a uniform random `u64`
    /// from which exponential-delay jitter is drawn (ignored by the other strategies).
    /// Returns whether this failure is a new attempt: `false` only for an exponential-delay
    /// failure at or before the already scheduled restart (merged into it, nothing changes).
    pub fn notify_failure(&mut self, now_ms: u64, random: u64) -> bool {
        let new_attempt = match &mut self.strategy {
            Strategy::NoRestart => true,
            Strategy::FixedDelay(s) => {
                s.failures = s.failures.saturating_add(1);
                true
            }
            Strategy::FailureRate(s) => {
                if s.is_full() {
                    if s.keeps_oldest && s.failure_timestamps_ms.len() >= 2 {
                        // The planted `failure-rate-keeps-oldest`: the second oldest goes instead,
                        // so the front stays the job's first failure.
                        s.failure_timestamps_ms.remove(1);
                    } else {
                        s.failure_timestamps_ms.pop_front();
                    }
                }
                s.failure_timestamps_ms.push_back(now_ms);
                true
            }
            Strategy::ExponentialDelay(s) => match s.next_restart_ms {
                Some(next_ms) if now_ms <= next_ms => false,
                next => {
                    // The reset is measured from the scheduled restart of the previous attempt.
                    let reset = match next {
                        None => true,
                        Some(next_ms) => now_ms - next_ms >= s.reset_threshold_ms,
                    };
                    if reset && (!s.never_resets || next.is_none()) {
                        s.attempt = 0;
                    }
                    let backoff_ms = s.backoff_for(s.attempt, random);
                    s.last_backoff_ms = Some(backoff_ms);
                    s.next_restart_ms = Some(now_ms.saturating_add(backoff_ms));
                    s.attempt = s.attempt.saturating_add(1);
                    true
                }
            },
        };
        self.invariants();
        new_attempt
    }

    /// Flink's `canRestart`, evaluated at `now_ms` (only FailureRate reads the clock).
    pub fn can_restart(&self, now_ms: u64) -> bool {
        match &self.strategy {
            Strategy::NoRestart => false,
            Strategy::FixedDelay(s) => {
                let allowed = if s.off_by_one { s.max_attempts.saturating_add(1) } else { s.max_attempts };
                s.failures <= allowed
            }
            Strategy::FailureRate(s) => {
                if s.is_full() {
                    let oldest_ms = *s.failure_timestamps_ms.front().expect("a full window is not empty");
                    // A clock that went backwards gives a negative difference in Flink: no restart.
                    now_ms.saturating_sub(oldest_ms) > s.interval_ms
                } else {
                    true
                }
            }
            Strategy::ExponentialDelay(s) => s.attempt <= s.attempts,
        }
    }

    /// Flink's `getBackoffTime` at `now_ms`. ExponentialDelay: `max(0, nextRestart - now)`; it
    /// panics when called before any failure (Flink's `IllegalStateException`; see
    /// [`Self::try_backoff_ms`] for the checked form).
    pub fn backoff_ms(&self, now_ms: u64) -> u64 {
        self.try_backoff_ms(now_ms).unwrap_or_else(|e| panic!("exponential-delay backoff_ms: {e}"))
    }

    /// [`Self::backoff_ms`], or [`BackoffBeforeFailure`] when an exponential-delay strategy is
    /// asked before any `notify_failure` (Flink's `IllegalStateException` "Please call
    /// notifyFailure first.", `ExponentialDelayRestartBackoffTimeStrategyTest.testNotCallNotifyFailure`).
    pub fn try_backoff_ms(&self, now_ms: u64) -> Result<u64, BackoffBeforeFailure> {
        match &self.strategy {
            Strategy::NoRestart => Ok(0),
            Strategy::FixedDelay(s) => Ok(s.delay_ms),
            Strategy::FailureRate(s) => Ok(s.delay_ms),
            Strategy::ExponentialDelay(s) => {
                let next_ms = s.next_restart_ms.ok_or(BackoffBeforeFailure)?;
                Ok(next_ms.saturating_sub(now_ms))
            }
        }
    }

    /// Flink's strategy name: `no-restart`, `fixed-delay`, `failure-rate`, `exponential-delay`.
    pub fn name(&self) -> &'static str {
        // The row of the kind in `RestartStrategyConfig`'s one name table.
        let kind = match self.strategy {
            Strategy::NoRestart => 0,
            Strategy::FixedDelay(_) => 1,
            Strategy::FailureRate(_) => 2,
            Strategy::ExponentialDelay(_) => 3,
        };
        RestartStrategyConfig::label_of_kind(kind)
    }

    /// The configured parameters, e.g. `fixed-delay(attempts=3, delay=10000ms)`.
    pub fn describe(&self) -> String {
        match &self.strategy {
            Strategy::NoRestart => "no-restart".to_string(),
            Strategy::FixedDelay(s) => format!("fixed-delay(attempts={}, delay={}ms)", s.max_attempts, s.delay_ms),
            Strategy::FailureRate(s) => format!(
                "failure-rate(max-failures-per-interval={}, interval={}ms, delay={}ms)",
                s.max_failures_per_interval, s.interval_ms, s.delay_ms
            ),
            Strategy::ExponentialDelay(s) => format!(
                "exponential-delay(initial-backoff={}ms, max-backoff={}ms, multiplier={}, reset-threshold={}ms, jitter={}, attempts={})",
                s.initial_backoff_ms, s.max_backoff_ms, s.multiplier, s.reset_threshold_ms, s.jitter, s.attempts
            ),
        }
    }

    /// ExponentialDelay: the absolute time of the scheduled restart, if any failure was seen.
    pub fn next_restart_ms(&self) -> Option<u64> {
        match &self.strategy {
            Strategy::ExponentialDelay(s) => s.next_restart_ms,
            _ => None,
        }
    }

    /// The Flink version whose restart rules apply.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Panics if the strategy's counters or timestamps are inconsistent.
    pub fn invariants(&self) {
        match &self.strategy {
            Strategy::NoRestart => {}
            Strategy::FixedDelay(_) => {}
            Strategy::FailureRate(s) => {
                assert!(s.max_failures_per_interval > 0, "failure-rate: max failures must be > 0");
                assert!(s.interval_ms > 0, "failure-rate: interval must be > 0");
                assert_eq!(
                    s.full_at_max,
                    self.profile.failure_rate_full_at_max(),
                    "failure-rate: window rule follows the profile"
                );
                // The window holds at most max (1.11) or max + 1 (2.x) timestamps.
                let cap = if s.full_at_max { s.max_failures_per_interval } else { s.max_failures_per_interval + 1 };
                assert!(
                    s.failure_timestamps_ms.len() as u64 <= cap,
                    "failure-rate: window holds {} timestamps, cap {cap}",
                    s.failure_timestamps_ms.len()
                );
            }
            Strategy::ExponentialDelay(s) => {
                assert!(s.initial_backoff_ms >= 1, "exponential-delay: initial backoff >= 1");
                assert!(s.max_backoff_ms >= s.initial_backoff_ms, "exponential-delay: max >= initial");
                assert!(s.multiplier > 1.0 && s.multiplier.is_finite(), "exponential-delay: multiplier > 1");
                assert!((0.0..=1.0).contains(&s.jitter), "exponential-delay: jitter in [0, 1]");
                assert!(s.reset_threshold_ms >= 1, "exponential-delay: reset threshold >= 1");
                assert!(s.attempts >= 1, "exponential-delay: attempts >= 1");
                // A scheduled restart exists exactly when an attempt was made since construction.
                assert_eq!(s.next_restart_ms.is_some(), s.attempt >= 1, "exponential-delay: attempt vs next restart");
                assert_eq!(
                    s.next_restart_ms.is_some(),
                    s.last_backoff_ms.is_some(),
                    "exponential-delay: backoff drawn"
                );
                if let Some(b) = s.last_backoff_ms {
                    let max = if s.uncapped { i64::MAX as u64 } else { s.max_backoff_ms };
                    assert!(
                        (s.initial_backoff_ms..=max).contains(&b),
                        "exponential-delay: backoff {b} outside [{}, {}]",
                        s.initial_backoff_ms,
                        max
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use Profile::{Flink111, Flink23};

    /// The strategy names: one table in `RestartStrategyConfig` (`name`, `by_name`, `label`),
    /// which the runtime strategy's `name()` agrees with.
    #[test]
    fn strategy_names_round_trip_and_agree_with_the_runtime_name() {
        let cases = [
            ("none", &["off", "disable"][..], "no-restart"),
            ("fixed-delay", &["fixeddelay"][..], "fixed-delay"),
            ("failure-rate", &["failurerate"][..], "failure-rate"),
            ("exponential-delay", &["exponentialdelay"][..], "exponential-delay"),
        ];
        for (name, aliases, label) in cases {
            let c = RestartStrategyConfig::by_name(name).expect("a known name");
            assert_eq!(c.name(), name);
            assert_eq!(c.label(), label);
            assert_eq!(RestartStrategy::new(&c, Flink23, Variant::Correct).name(), label);
            for a in aliases {
                assert_eq!(RestartStrategyConfig::by_name(a), Some(c.clone()), "alias {a}");
            }
        }
        assert_eq!(RestartStrategyConfig::by_name("fixed_delay"), None);
        assert_eq!(RestartStrategyConfig::by_name("Fixed-Delay"), None, "callers lower-case first");
        assert!(!RestartStrategyConfig::name_is_known("exponential"));
        assert_eq!(RestartStrategyConfig::by_name("failure-rate"), Some(RestartStrategyConfig::failure_rate_default()));
    }

    /// One failure: `(at_ms, random, new_attempt, can_restart, backoff_ms)`; `can_restart` and
    /// `backoff_ms` are evaluated at `at_ms`, right after `notify_failure`, as Flink does.
    type Step = (u64, u64, bool, bool, u64);

    struct Case {
        name: &'static str,
        profiles: &'static [Profile],
        variant: Variant,
        config: RestartStrategyConfig,
        steps: &'static [Step],
    }

    fn check(case: &Case) {
        for &profile in case.profiles {
            let mut s = RestartStrategy::new(&case.config, profile, case.variant);
            assert_eq!(s.profile(), profile, "case `{}`: the strategy keeps its profile", case.name);
            for (i, &(at_ms, random, new_attempt, can_restart, backoff_ms)) in case.steps.iter().enumerate() {
                let got_new = s.notify_failure(at_ms, random);
                let got_can = s.can_restart(at_ms);
                let got_backoff = s.backoff_ms(at_ms);
                assert_eq!(
                    (got_new, got_can, got_backoff),
                    (new_attempt, can_restart, backoff_ms),
                    "case `{}` ({profile}), failure #{} at {at_ms} ms: (new_attempt, can_restart, backoff_ms)",
                    case.name,
                    i + 1
                );
            }
        }
    }

    const BOTH: &[Profile] = &[Flink111, Flink23];
    const C: Variant = Variant::Correct;

    fn fixed(attempts: i64, delay_ms: i64) -> RestartStrategyConfig {
        RestartStrategyConfig::FixedDelay { attempts, delay_ms }
    }
    fn rate(max: i64, interval_ms: i64, delay_ms: i64) -> RestartStrategyConfig {
        RestartStrategyConfig::FailureRate { max_failures_per_interval: max, interval_ms, delay_ms }
    }
    fn expo(initial: i64, max: i64, multiplier: f64, reset: i64, jitter: f64, attempts: i64) -> RestartStrategyConfig {
        RestartStrategyConfig::ExponentialDelay {
            initial_backoff_ms: initial,
            max_backoff_ms: max,
            multiplier,
            reset_threshold_ms: reset,
            jitter,
            attempts,
        }
    }

    const DAY_MS: u64 = 86_400_000;

    #[test]
    fn fixed_delay() {
        let cases = [
            Case {
                name: "seed 004: 3 attempts, the 4th failure fails; the counter never resets",
                profiles: BOTH,
                variant: C,
                config: fixed(3, 10_000),
                steps: &[
                    (0, 0, true, true, 10_000),
                    (DAY_MS, 0, true, true, 10_000),
                    (2 * DAY_MS, 0, true, true, 10_000),
                    (3 * DAY_MS, 0, true, false, 10_000),
                ],
            },
            Case {
                name: "off-by-one variant allows a 4th restart",
                profiles: BOTH,
                variant: Variant::FixedDelayOffByOne,
                config: fixed(3, 10_000),
                steps: &[
                    (0, 0, true, true, 10_000),
                    (20_000, 0, true, true, 10_000),
                    (40_000, 0, true, true, 10_000),
                    (60_000, 0, true, true, 10_000),
                    (80_000, 0, true, false, 10_000),
                ],
            },
            Case {
                name: "0 attempts: the first failure fails",
                profiles: BOTH,
                variant: C,
                config: fixed(0, 1_000),
                steps: &[(5, 0, true, false, 1_000)],
            },
            Case {
                name: "concurrent failures each count",
                profiles: BOTH,
                variant: C,
                config: fixed(2, 0),
                steps: &[(7, 0, true, true, 0), (7, 0, true, true, 0), (7, 0, true, false, 0)],
            },
            Case {
                name: "other variants do not change fixed-delay",
                profiles: BOTH,
                variant: Variant::IgnoreMinPause,
                config: fixed(1, 1_000),
                steps: &[(0, 0, true, true, 1_000), (1, 0, true, false, 1_000)],
            },
        ];
        cases.iter().for_each(check);
    }

    #[test]
    fn failure_rate() {
        let spec = rate(3, 10_000, 1_000);
        let cases = [
            Case {
                name: "spec example: 4th at 3 s fails (2.3)",
                profiles: &[Flink23],
                variant: C,
                config: spec.clone(),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_000, 0, true, true, 1_000),
                    (2_000, 0, true, true, 1_000),
                    (3_000, 0, true, false, 1_000),
                ],
            },
            Case {
                name: "spec example: 4th at exactly 10 s fails, the window is strict (2.3)",
                profiles: &[Flink23],
                variant: C,
                config: spec.clone(),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_000, 0, true, true, 1_000),
                    (2_000, 0, true, true, 1_000),
                    (10_000, 0, true, false, 1_000),
                ],
            },
            Case {
                name: "spec example: 4th at 10.001 s restarts; the window slides (2.3)",
                profiles: &[Flink23],
                variant: C,
                config: spec.clone(),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_000, 0, true, true, 1_000),
                    (2_000, 0, true, true, 1_000),
                    (10_001, 0, true, true, 1_000),
                    // 11_001 - 1_000 > 10_000
                    (11_001, 0, true, true, 1_000),
                    // 11_002 - 2_000 <= 10_000
                    (11_002, 0, true, false, 1_000),
                ],
            },
            Case {
                name: "1.11 bug: the 3rd failure in the window already fails (max - 1 restarts)",
                profiles: &[Flink111],
                variant: C,
                config: spec.clone(),
                steps: &[(0, 0, true, true, 1_000), (1_000, 0, true, true, 1_000), (2_000, 0, true, false, 1_000)],
            },
            // Same input, opposite answers for the 4th failure.
            Case {
                name: "1.11: window holds max timestamps",
                profiles: &[Flink111],
                variant: C,
                config: spec.clone(),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_000, 0, true, true, 1_000),
                    (10_001, 0, true, true, 1_000),
                    (10_002, 0, true, false, 1_000),
                ],
            },
            Case {
                name: "2.3: window holds max + 1 timestamps",
                profiles: &[Flink23],
                variant: C,
                config: spec.clone(),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_000, 0, true, true, 1_000),
                    (10_001, 0, true, true, 1_000),
                    (10_002, 0, true, true, 1_000),
                ],
            },
            Case {
                name: "max 1: 2.3 restarts once per window",
                profiles: &[Flink23],
                variant: C,
                config: rate(1, 60_000, 0),
                steps: &[(0, 0, true, true, 0), (60_000, 0, true, false, 0), (120_001, 0, true, true, 0)],
            },
            Case {
                name: "max 1: 1.11 never restarts",
                profiles: &[Flink111],
                variant: C,
                config: rate(1, 60_000, 0),
                steps: &[(0, 0, true, false, 0)],
            },
        ];
        cases.iter().for_each(check);
    }

    #[test]
    fn session_29_plants_deviate_where_flink_does_not() {
        // failure-rate-keeps-oldest: one per 3 s; failures at 1 s, 5 s, 6 s.
        for (variant, third_restarts) in [(C, false), (Variant::FailureRateKeepsOldest, true)] {
            let mut s = RestartStrategy::new(&rate(1, 3_000, 0), Flink23, variant);
            for (t, want) in [(1_000, true), (5_000, true), (6_000, third_restarts)] {
                s.notify_failure(t, 0);
                assert_eq!(s.can_restart(t), want, "{variant} at {t}");
            }
        }
        // exponential-never-resets: 100 ms doubling, 1 s threshold; failures at 1 s and 5 s.
        for (variant, second_ms) in [(C, 100), (Variant::ExponentialNeverResets, 200)] {
            let mut s = RestartStrategy::new(&expo(100, 10_000, 2.0, 1_000, 0.0, 10), Flink23, variant);
            s.notify_failure(1_000, 0);
            assert_eq!(s.backoff_ms(1_000), 100);
            s.notify_failure(5_000, 0);
            assert_eq!(s.backoff_ms(5_000), second_ms, "{variant}");
        }
    }

    #[test]
    fn exponential_delay() {
        let cases = [
            Case {
                name: "growth by the multiplier, capped at max",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 0.0, 100),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_001, 0, true, true, 2_000),
                    (3_002, 0, true, true, 4_000),
                    (7_003, 0, true, true, 8_000),
                    (15_004, 0, true, true, 10_000),
                    (25_005, 0, true, true, 10_000),
                ],
            },
            Case {
                name: "floor of a fractional backoff",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 100_000, 1.5, 3_600_000, 0.0, 100),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (1_001, 0, true, true, 1_500),
                    (2_502, 0, true, true, 2_250),
                    (4_753, 0, true, true, 3_375),
                ],
            },
            Case {
                name: "failures up to the planned restart are merged",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 0.0, 100),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (500, 0, false, true, 500),
                    (1_000, 0, false, true, 0),
                    (1_001, 0, true, true, 2_000),
                    (3_001, 0, false, true, 0),
                ],
            },
            Case {
                name: "merged failures do not use up attempts",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 0.0, 1),
                steps: &[
                    (0, 0, true, true, 1_000),
                    (10, 0, false, true, 990),
                    (999, 0, false, true, 1),
                    (1_001, 0, true, false, 2_000),
                ],
            },
            Case {
                name: "attempts limit: the (attempts + 1)-th unmerged failure fails",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 0.0, 2),
                steps: &[(0, 0, true, true, 1_000), (1_001, 0, true, true, 2_000), (3_002, 0, true, false, 4_000)],
            },
            Case {
                name: "no reset 4_999 ms after the scheduled restart (5_999 ms after the failure)",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 5_000, 0.0, 1),
                steps: &[(0, 0, true, true, 1_000), (5_999, 0, true, false, 2_000)],
            },
            Case {
                name: "reset exactly threshold after the scheduled restart restores backoff and attempts",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 5_000, 0.0, 1),
                steps: &[(0, 0, true, true, 1_000), (6_000, 0, true, true, 1_000), (7_001, 0, true, false, 2_000)],
            },
            Case {
                name: "jitter: offset = random % (2j + 1) - j, floored at initial, capped at max",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 0.1, 100),
                steps: &[
                    // raw 1000, j 100: 1000 - 100 = 900 -> floored to initial
                    (0, 0, true, true, 1_000),
                    // raw 2000, j 200: 2000 + 200
                    (1_001, 400, true, true, 2_200),
                    // raw 4000, j 400: 801 % 801 = 0 -> 4000 - 400
                    (3_202, 801, true, true, 3_600),
                    // raw 8000, j 800: 1600 - 800
                    (6_803, 1_600, true, true, 8_800),
                    // raw 16000, j 1600: 14400 -> capped at max
                    (15_604, 0, true, true, 10_000),
                ],
            },
            Case {
                name: "jitter 1.0 can pull a capped raw backoff back down to initial",
                profiles: BOTH,
                variant: C,
                config: expo(1_000, 10_000, 2.0, 3_600_000, 1.0, 100),
                steps: &[
                    // random == j: offset 0
                    (0, 1_000, true, true, 1_000),
                    (1_001, 2_000, true, true, 2_000),
                    (3_002, 4_000, true, true, 4_000),
                    (7_003, 8_000, true, true, 8_000),
                    // raw 16000, j 16000, offset -16000 -> 0 -> initial
                    (15_004, 0, true, true, 1_000),
                ],
            },
        ];
        cases.iter().for_each(check);
    }

    /// Every random value lands in `[max(initial, raw - j), min(raw + j, max)]`, and both ends
    /// are reached.
    #[test]
    fn exponential_jitter_bounds() {
        // (attempt before the failure, initial, max, jitter, expected low, expected high)
        let table: &[(u32, i64, i64, f64, u64, u64)] = &[
            (1, 1_000, 100_000, 0.1, 1_800, 2_200),
            (2, 1_000, 100_000, 0.25, 3_000, 5_000),
            (0, 1_000, 100_000, 0.5, 1_000, 1_500),
            (3, 1_000, 8_500, 0.1, 7_200, 8_500),
            (2, 1_000, 100_000, 0.0, 4_000, 4_000),
        ];
        for &(attempt, initial, max, jitter, low, high) in table {
            let config = expo(initial, max, 2.0, i64::MAX, jitter, i64::MAX);
            let (mut seen_low, mut seen_high) = (u64::MAX, 0);
            for r in (0..5_000u64).chain([u64::MAX, u64::MAX - 1, 1 << 63]) {
                let mut s = RestartStrategy::new(&config, Flink23, C);
                let mut now_ms = 0;
                for _ in 0..attempt {
                    s.notify_failure(now_ms, 0);
                    now_ms = s.next_restart_ms().unwrap() + 1;
                }
                assert!(s.notify_failure(now_ms, r));
                let b = s.backoff_ms(now_ms);
                assert!((low..=high).contains(&b), "attempt {attempt}, jitter {jitter}, random {r}: backoff {b}");
                seen_low = seen_low.min(b);
                seen_high = seen_high.max(b);
            }
            assert_eq!((seen_low, seen_high), (low, high), "attempt {attempt}, jitter {jitter}: range not covered");
        }
    }

    /// Thousands of attempts without a reset (the 2.x default: unlimited attempts, 1 h reset):
    /// `multiplier^attempt` overflows but the backoff stays at `max`.
    #[test]
    fn exponential_many_attempts_stay_capped() {
        let config = RestartStrategyConfig::exponential_delay_default();
        let mut s = RestartStrategy::new(&config, Flink23, C);
        let mut now_ms = 0;
        for i in 0..3_000u64 {
            assert!(s.notify_failure(now_ms, i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
            assert!(s.can_restart(now_ms));
            let b = s.backoff_ms(now_ms);
            if i >= 20 {
                // raw = 1000 * 1.5^20 > 3 * 60_000: even jitter -10% stays above the cap.
                assert_eq!(b, 60_000, "attempt {i}");
            }
            now_ms += b + 1;
        }
    }

    /// Jitter 1.0 after the raw backoff saturated (Java's `(long)` cast of an overflowing
    /// `initial * multiplier^attempt` is `Long.MAX_VALUE`, so `j` is `Long.MAX_VALUE` too): the
    /// jitter window `2j + 1` still fits in 64 bits, every draw stays in `[initial, max]` and
    /// both ends are reached. Saturating at `u64::MAX` instead would overflow `2j + 1`.
    #[test]
    fn exponential_full_jitter_after_saturation() {
        let config = expo(1_000, 60_000, 1.5, i64::MAX, 1.0, i64::MAX);
        let mut s = RestartStrategy::new(&config, Flink23, C);
        let mut now_ms = 0;
        // 1000 * 1.5^200 is above i64::MAX (and 1.5^2000 is infinite as an f64).
        for _ in 0..2_000 {
            s.notify_failure(now_ms, 0);
            now_ms = s.next_restart_ms().unwrap() + 1;
        }
        let mut seen = BTreeSet::new();
        for r in [0, 1, 999, 1_000, 30_000, 60_000, 60_001, 1 << 62, u64::MAX - 1, u64::MAX] {
            let mut t = s.clone();
            assert!(t.notify_failure(now_ms, r));
            let b = t.backoff_ms(now_ms);
            assert!((1_000..=60_000).contains(&b), "random {r}: backoff {b}");
            seen.insert(b);
        }
        assert!(seen.contains(&1_000) && seen.contains(&60_000), "both ends reached: {seen:?}");
    }

    /// The invariants are a checker: a state no handler can reach (a drawn backoff above the
    /// maximum, a failure-rate window past its cap) is reported, not accepted.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let mut s = RestartStrategy::new(&expo(1_000, 60_000, 1.5, 3_600_000, 0.1, 10), Flink23, C);
        s.notify_failure(0, 0);
        if let Strategy::ExponentialDelay(e) = &mut s.strategy {
            e.last_backoff_ms = Some(60_001);
        }
        let expo_caught = std::panic::catch_unwind(|| s.invariants()).is_err();
        let mut r = RestartStrategy::new(&rate(2, 1_000, 0), Flink111, C);
        if let Strategy::FailureRate(f) = &mut r.strategy {
            f.failure_timestamps_ms.extend([1, 2, 3]);
        }
        let rate_caught = std::panic::catch_unwind(|| r.invariants()).is_err();
        assert_eq!((expo_caught, rate_caught), (true, true), "(exponential backoff > max, failure-rate window > cap)");
    }

    #[test]
    #[should_panic(expected = "Please call notifyFailure first.")]
    fn exponential_backoff_before_failure_panics() {
        let s = RestartStrategy::new(&RestartStrategyConfig::exponential_delay_default(), Flink23, C);
        s.backoff_ms(0);
    }

    #[test]
    fn no_restart() {
        check(&Case {
            name: "no-restart never restarts",
            profiles: BOTH,
            variant: C,
            config: RestartStrategyConfig::NoRestart,
            steps: &[(0, 0, true, false, 0)],
        });
    }

    /// `RestartStrategyConfig::resolve` defaults (§4.3) and what they build.
    #[test]
    fn defaults() {
        let configured = fixed(3, 10_000);
        // (configured, checkpointing enabled, profile, describe, can restart after 1 failure)
        let table: &[(Option<&RestartStrategyConfig>, bool, Profile, &str, bool)] = &[
            (None, false, Flink111, "no-restart", false),
            (None, false, Flink23, "no-restart", false),
            (None, true, Flink111, "fixed-delay(attempts=2147483647, delay=1000ms)", true),
            (
                None,
                true,
                Flink23,
                "exponential-delay(initial-backoff=1000ms, max-backoff=60000ms, multiplier=1.5, reset-threshold=3600000ms, jitter=0.1, attempts=2147483647)",
                true,
            ),
            (Some(&configured), false, Flink23, "fixed-delay(attempts=3, delay=10000ms)", true),
            (Some(&configured), true, Flink111, "fixed-delay(attempts=3, delay=10000ms)", true),
        ];
        for &(configured, enabled, profile, describe, can_restart) in table {
            let config = RestartStrategyConfig::resolve(configured, enabled, profile);
            let mut s = RestartStrategy::new(&config, profile, C);
            assert_eq!(s.describe(), describe, "{configured:?}, checkpointing {enabled}, {profile}");
            s.notify_failure(0, 0);
            assert_eq!(s.can_restart(0), can_restart, "{describe}");
        }
        // The 1.11 default really is unlimited for practical purposes, with a constant 1 s delay.
        let mut s = RestartStrategy::new(&RestartStrategyConfig::resolve(None, true, Flink111), Flink111, C);
        for i in 0..10_000u64 {
            s.notify_failure(i * 2_000, 0);
            assert!(s.can_restart(i * 2_000));
            assert_eq!(s.backoff_ms(i * 2_000), 1_000);
        }
    }

    #[test]
    fn describe_failure_rate() {
        let s = RestartStrategy::new(&rate(3, 10_000, 1_000), Flink23, C);
        assert_eq!(s.describe(), "failure-rate(max-failures-per-interval=3, interval=10000ms, delay=1000ms)");
        assert_eq!(s.name(), "failure-rate");
    }

    #[test]
    #[should_panic(expected = "unvalidated config")]
    fn invalid_config_panics() {
        RestartStrategy::new(&fixed(-1, 0), Flink23, C);
    }
}
