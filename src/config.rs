//! Checkpoint and restart configuration with Flink's defaults and validation (semantics §1.1, §4.3).
//!
//! Values arrive as the user wrote them (signed, so a negative interval can be named and rejected)
//! and are checked by [`CheckpointConfig::validate`] / [`RestartStrategyConfig::validate`], which
//! return a [`ConfigError`] naming the field. State machines only accept validated configs.

use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Flink's `MINIMAL_CHECKPOINT_TIME`: an interval below this disables periodic checkpoints.
pub const MINIMAL_CHECKPOINT_TIME_MS: i64 = 10;
/// `min_pause` is capped to one year.
pub const MIN_PAUSE_CAP_MS: i64 = 31_536_000_000;
/// Default checkpoint timeout: 10 minutes.
pub const DEFAULT_TIMEOUT_MS: i64 = 600_000;
/// Tolerable failures meaning "unlimited" (Flink's `Integer.MAX_VALUE`).
pub const UNLIMITED: u32 = i32::MAX as u32;

/// A configuration value that is out of range or inconsistent.
#[derive(Debug, Hash, Clone, PartialEq, Eq, Error)]
#[error("invalid `{field}`: {message}")]
pub struct ConfigError {
    /// The field as written in a scenario file (e.g. `checkpoint.interval_ms`).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error at `field` saying `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        ConfigError { field, message: message.into() }
    }
}

/// Flink's `CheckpointingMode`: whether barriers are aligned (exactly once) or only tracked (at least once).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckpointingMode {
    /// Barriers are aligned (or unaligned): each record's effect is in exactly one checkpoint.
    #[default]
    ExactlyOnce,
    /// The barrier tracker never blocks a channel: after a restore a record may count twice.
    AtLeastOnce,
}

/// Externalized checkpoint retention (§6).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Retention {
    /// Checkpoints are not retained when the job ends (the default).
    #[default]
    NoExternalizedCheckpoints,
    /// Retained when the job fails, deleted when it is cancelled.
    DeleteOnCancellation,
    /// Retained when the job fails or is cancelled.
    RetainOnCancellation,
}

/// Checkpoint configuration as the user gives it.
#[derive(Clone, Debug, Hash, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// `None` = checkpointing disabled. `Some(x)` with `0 <= x < 10` also disables periodic
    /// checkpoints (manual checkpoints and savepoints still work). Negative is an error.
    pub interval_ms: Option<i64>,
    /// Least time from one checkpoint's completion to the next trigger, ms (`min-pause`).
    pub min_pause_ms: i64,
    /// A pending checkpoint expires after this long, ms (`checkpoint.timeout`).
    pub timeout_ms: i64,
    /// Most checkpoints pending at once (`max-concurrent-checkpoints`).
    pub max_concurrent: i64,
    /// Consecutive checkpoint failures tolerated; [`UNLIMITED`] = never fail the job.
    pub tolerable_failures: i64,
    /// Exactly once (aligned barriers) or at least once (barrier tracker).
    pub mode: CheckpointingMode,
    /// Unaligned checkpoints (`enableUnalignedCheckpoints`): barriers overtake in-flight records, which become channel state.
    pub unaligned: bool,
    /// Aligned-checkpoint timeout (2.x only): 0 = go unaligned immediately when unaligned is on.
    pub aligned_timeout_ms: i64,
    /// What happens to retained checkpoints when the job ends.
    pub retention: Retention,
    /// How many completed checkpoints the store keeps (`state.checkpoints.num-retained`).
    pub num_retained: i64,
    /// Barrier announcements and the output-side aligned timeout (§3.4, aligned-with-timeout
    /// barriers only). `None` follows Flink: on wherever the profile has them (Flink 1.12+,
    /// FLINK-19680: every timeoutable barrier is announced), never in 1.11. `Some(_)` is an
    /// explicit override (`checkpoint.barrier_announcements`), e.g. to compare runs without them.
    #[serde(default)]
    pub barrier_announcements: Option<bool>,
    /// The first checkpoint id the job's coordinator allocates (default 1, Flink's
    /// `CheckpointIDCounter.INITIAL_CHECKPOINT_ID`). Above 1 the job starts as under an HA id
    /// counter that earlier leaders of the same job already advanced (the ZooKeeper or
    /// Kubernetes `CheckpointIDCounter` outlives a JobManager; no completed checkpoint came of
    /// those ids). Poses id-order bugs (FLINK-6284: ids 9 and 10 retained) without running
    /// nine checkpoints first.
    #[serde(default = "first_checkpoint_id", skip_serializing_if = "is_first_checkpoint_id")]
    pub first_id: i64,
}

/// The default of [`CheckpointConfig::first_id`].
fn first_checkpoint_id() -> i64 {
    1
}

/// Whether `id` is the default first checkpoint id (then it is not serialized, so the text of
/// every config without the key stays what it was).
fn is_first_checkpoint_id(id: &i64) -> bool {
    *id == 1
}

/// The largest [`CheckpointConfig::first_id`] accepted (ids stay far from overflow).
pub const MAX_FIRST_CHECKPOINT_ID: i64 = 1 << 40;

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            interval_ms: None,
            min_pause_ms: 0,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_concurrent: 1,
            tolerable_failures: 0,
            mode: CheckpointingMode::ExactlyOnce,
            unaligned: false,
            aligned_timeout_ms: 0,
            retention: Retention::NoExternalizedCheckpoints,
            num_retained: 1,
            barrier_announcements: None,
            first_id: 1,
        }
    }
}

impl CheckpointConfig {
    /// Checks every field; the first problem found is returned.
    pub fn validate(&self, profile: Profile) -> Result<(), ConfigError> {
        if let Some(i) = self.interval_ms {
            if i < 0 {
                return Err(ConfigError::new(
                    "checkpoint.interval_ms",
                    format!("must be >= 0 (got {i}); below 10 ms disables periodic checkpoints"),
                ));
            }
        }
        if self.min_pause_ms < 0 {
            return Err(ConfigError::new(
                "checkpoint.min_pause_ms",
                format!("must be >= 0 (got {})", self.min_pause_ms),
            ));
        }
        if self.timeout_ms < MINIMAL_CHECKPOINT_TIME_MS {
            return Err(ConfigError::new("checkpoint.timeout_ms", format!("must be >= 10 (got {})", self.timeout_ms)));
        }
        if self.max_concurrent < 1 {
            return Err(ConfigError::new(
                "checkpoint.max_concurrent",
                format!("must be >= 1 (got {})", self.max_concurrent),
            ));
        }
        if self.tolerable_failures < 0 {
            return Err(ConfigError::new(
                "checkpoint.tolerable_failures",
                format!("must be >= 0 (got {})", self.tolerable_failures),
            ));
        }
        if self.tolerable_failures > UNLIMITED as i64 {
            return Err(ConfigError::new(
                "checkpoint.tolerable_failures",
                format!("must be <= {UNLIMITED} (got {})", self.tolerable_failures),
            ));
        }
        if self.aligned_timeout_ms < 0 {
            return Err(ConfigError::new(
                "checkpoint.aligned_timeout_ms",
                format!("must be >= 0 (got {})", self.aligned_timeout_ms),
            ));
        }
        if self.num_retained < 1 {
            return Err(ConfigError::new(
                "checkpoint.num_retained",
                format!("must be >= 1 (got {})", self.num_retained),
            ));
        }
        if !(1..=MAX_FIRST_CHECKPOINT_ID).contains(&self.first_id) {
            return Err(ConfigError::new(
                "checkpoint.first_id",
                format!("must be >= 1 and <= {MAX_FIRST_CHECKPOINT_ID} (got {})", self.first_id),
            ));
        }
        if self.unaligned && self.max_concurrent > 1 {
            return Err(ConfigError::new(
                "checkpoint.unaligned",
                format!("unaligned checkpoints require max_concurrent = 1 (got {})", self.max_concurrent),
            ));
        }
        if self.unaligned && self.mode == CheckpointingMode::AtLeastOnce {
            return Err(ConfigError::new("checkpoint.unaligned", "unaligned checkpoints require mode = exactly-once"));
        }
        if self.aligned_timeout_ms > 0 && !profile.supports_aligned_timeout() {
            return Err(ConfigError::new(
                "checkpoint.aligned_timeout_ms",
                format!("the aligned-checkpoint timeout does not exist in {profile}"),
            ));
        }
        if self.barrier_announcements == Some(true) && !profile.supports_aligned_timeout() {
            return Err(ConfigError::new(
                "checkpoint.barrier_announcements",
                format!("barrier announcements do not exist in {profile} (it has no aligned-checkpoint timeout)"),
            ));
        }
        if self.barrier_announcements == Some(true) && !(self.unaligned && self.aligned_timeout_ms > 0) {
            return Err(ConfigError::new(
                "checkpoint.barrier_announcements",
                "only aligned-with-timeout barriers are announced: set unaligned = true and aligned_timeout_ms > 0",
            ));
        }
        Ok(())
    }

    /// Whether aligned-with-timeout barriers are announced (and converted in the output buffers
    /// when the timeout passes there): the explicit setting, else Flink's behaviour for the
    /// profile. Flink announces a barrier exactly when its options are timeoutable
    /// (`CheckpointOptions.isTimeoutable`: aligned, exactly-once, not a savepoint, a positive
    /// aligned timeout; `Buffer.DataType.TIMEOUTABLE_ALIGNED_CHECKPOINT_BARRIER`, whose
    /// `requiresAnnouncement()` makes `RemoteInputChannel.onBuffer` queue an announcement), and
    /// only such barriers exist when unaligned checkpoints with a positive timeout are on, so in
    /// 2.x the answer is yes; 1.11 predates both (FLINK-19680/19681, Flink 1.12).
    pub fn announces_barriers(&self, profile: Profile) -> bool {
        self.barrier_announcements.unwrap_or(profile.supports_aligned_timeout())
    }

    /// True when periodic checkpoints are configured (`0 < interval < MAX` in Flink's terms,
    /// after values below 10 ms were replaced by "disabled"). Decides the default restart strategy.
    pub fn periodic_enabled(&self) -> bool {
        matches!(self.interval_ms, Some(i) if i >= MINIMAL_CHECKPOINT_TIME_MS)
    }

    /// `min(min_pause, 1 year)`.
    pub fn min_pause_normalized_ms(&self) -> u64 {
        self.min_pause_ms.clamp(0, MIN_PAUSE_CAP_MS) as u64
    }

    /// `max(interval, min_pause)`, or `None` when periodic checkpoints are disabled.
    pub fn base_interval_ms(&self) -> Option<u64> {
        if !self.periodic_enabled() {
            return None;
        }
        Some((self.interval_ms.unwrap_or(0) as u64).max(self.min_pause_normalized_ms()))
    }

    /// Whether any number of consecutive failures is tolerated.
    pub fn tolerable_is_unlimited(&self) -> bool {
        self.tolerable_failures >= UNLIMITED as i64
    }
}

/// A runtime re-tuning request (seed 000's `POST /system/checkpoint`). Absent fields keep their
/// current value.
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retune {
    /// New checkpoint interval, ms.
    pub interval_ms: Option<i64>,
    /// New minimum pause between checkpoints, ms.
    pub min_pause_ms: Option<i64>,
    /// New checkpoint timeout, ms.
    pub timeout_ms: Option<i64>,
    /// New number of tolerable consecutive checkpoint failures.
    pub tolerable_failures: Option<i64>,
}

/// Restart strategy as configured (§4.2, §4.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RestartStrategyConfig {
    /// `restart-strategy: none`: the first failure fails the job.
    NoRestart,
    /// `fixed-delay`: at most `attempts` restarts, each after `delay_ms`.
    FixedDelay {
        /// Restarts allowed.
        attempts: i64,
        /// Wait before each restart, ms.
        delay_ms: i64,
    },
    /// `failure-rate`: fail the job when more than `max_failures_per_interval` failures fall in one `interval_ms`; each restart after `delay_ms`.
    FailureRate {
        /// Failures tolerated within one interval.
        max_failures_per_interval: i64,
        /// The interval the failures are counted over, ms.
        interval_ms: i64,
        /// Wait before each restart, ms.
        delay_ms: i64,
    },
    /// `exponential-delay`: the wait grows by `multiplier` after each failure up to `max_backoff_ms`, with `jitter`, and resets after `reset_threshold_ms` without failure.
    ExponentialDelay {
        /// The first wait, ms.
        initial_backoff_ms: i64,
        /// The largest wait, ms.
        max_backoff_ms: i64,
        /// Growth factor of the wait per failure.
        multiplier: f64,
        /// A failure this long after the previous one starts over from the initial backoff, ms.
        reset_threshold_ms: i64,
        /// Random spread of each wait, as a fraction of it (drawn from the run's seeded stream).
        jitter: f64,
        /// Restarts allowed before the job fails (unlimited by default).
        attempts: i64,
    },
}

// By hand for the two `f64` fields (hashed by their bits); every field is named, so a new one
// does not compile until it is hashed too.
impl std::hash::Hash for RestartStrategyConfig {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            RestartStrategyConfig::NoRestart => {}
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => (attempts, delay_ms).hash(h),
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                (max_failures_per_interval, interval_ms, delay_ms).hash(h)
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                multiplier,
                reset_threshold_ms,
                jitter,
                attempts,
            } => (
                initial_backoff_ms,
                max_backoff_ms,
                multiplier.to_bits(),
                reset_threshold_ms,
                jitter.to_bits(),
                attempts,
            )
                .hash(h),
        }
    }
}

impl RestartStrategyConfig {
    /// Whether `profile`'s Flink has this strategy (the one question the scenario validator and
    /// the swarm's draw ask): `none`, `fixed-delay` and `failure-rate` in every profile,
    /// `exponential-delay` where [`Profile::supports_exponential_delay_restart`].
    pub fn exists_in(&self, profile: Profile) -> bool {
        match self {
            RestartStrategyConfig::NoRestart
            | RestartStrategyConfig::FixedDelay { .. }
            | RestartStrategyConfig::FailureRate { .. } => true,
            RestartStrategyConfig::ExponentialDelay { .. } => profile.supports_exponential_delay_restart(),
        }
    }

    /// Flink's option defaults for each strategy (§4.3 table).
    pub fn fixed_delay_default() -> Self {
        RestartStrategyConfig::FixedDelay { attempts: 1, delay_ms: 1_000 }
    }
    /// `failure-rate` with Flink's option defaults.
    pub fn failure_rate_default() -> Self {
        RestartStrategyConfig::FailureRate { max_failures_per_interval: 1, interval_ms: 60_000, delay_ms: 1_000 }
    }
    /// `exponential-delay` with Flink's option defaults.
    pub fn exponential_delay_default() -> Self {
        RestartStrategyConfig::ExponentialDelay {
            initial_backoff_ms: 1_000,
            max_backoff_ms: 60_000,
            multiplier: 1.5,
            reset_threshold_ms: 3_600_000,
            jitter: 0.1,
            attempts: UNLIMITED as i64,
        }
    }

    /// The strategy used when none is configured (§4.3): NoRestart when checkpointing is
    /// disabled; FixedDelay(i32::MAX, 1 s) in 1.11 and ExponentialDelay defaults in 2.x when on.
    pub fn resolve(
        configured: Option<&RestartStrategyConfig>,
        checkpointing_enabled: bool,
        profile: Profile,
    ) -> RestartStrategyConfig {
        if let Some(c) = configured {
            return c.clone();
        }
        if !checkpointing_enabled {
            RestartStrategyConfig::NoRestart
        } else if profile.default_restart_is_exponential() {
            Self::exponential_delay_default()
        } else {
            RestartStrategyConfig::FixedDelay { attempts: UNLIMITED as i64, delay_ms: 1_000 }
        }
    }

    /// The one name table of the strategies: each kind's name as a scenario's `restart.strategy`
    /// and Flink's `restart-strategy.type` spell it, with the aliases Flink also accepts.
    const NAMES: [(&'static str, &'static [&'static str]); 4] = [
        ("none", &["off", "disable"]),
        ("fixed-delay", &["fixeddelay"]),
        ("failure-rate", &["failurerate"]),
        ("exponential-delay", &["exponentialdelay"]),
    ];

    /// The strategy's name (`none`, `fixed-delay`, `failure-rate`, `exponential-delay`): what a
    /// scenario writes (`restart.strategy`) and Flink's `restart-strategy.type` option.
    pub fn name(&self) -> &'static str {
        Self::NAMES[self.kind_index()].0
    }

    /// The strategy's label in traces and checker messages: `no-restart` for none (the
    /// restart strategy's own name, [`crate::restart::RestartStrategy::name`]), else [`Self::name`].
    pub fn label(&self) -> &'static str {
        Self::label_of_kind(self.kind_index())
    }

    /// The strategy's row in [`Self::NAMES`]: 0 none, 1 fixed-delay, 2 failure-rate, 3 exponential-delay.
    fn kind_index(&self) -> usize {
        match self {
            RestartStrategyConfig::NoRestart => 0,
            RestartStrategyConfig::FixedDelay { .. } => 1,
            RestartStrategyConfig::FailureRate { .. } => 2,
            RestartStrategyConfig::ExponentialDelay { .. } => 3,
        }
    }

    /// The label of the kind in row `index` of [`Self::NAMES`] (see [`Self::label`]); also the
    /// runtime strategy's name, so both read the one table.
    pub(crate) fn label_of_kind(index: usize) -> &'static str {
        match index {
            0 => "no-restart",
            i => Self::NAMES[i].0,
        }
    }

    /// The strategy named `name` (a name of [`Self::name`] or one of Flink's aliases: `off`,
    /// `disable`, `fixeddelay`, `failurerate`, `exponentialdelay`; lower case) with Flink's
    /// default parameters (§4.3).
    pub fn by_name(name: &str) -> Option<RestartStrategyConfig> {
        [
            RestartStrategyConfig::NoRestart,
            Self::fixed_delay_default(),
            Self::failure_rate_default(),
            Self::exponential_delay_default(),
        ]
        .into_iter()
        .find(|c| {
            let (canonical, aliases) = Self::NAMES.iter().find(|(n, _)| *n == c.name()).expect("every kind is named");
            *canonical == name || aliases.contains(&name)
        })
    }

    /// Flink's strategy names (§4.3); anything else is an error.
    pub fn name_is_known(name: &str) -> bool {
        Self::by_name(name).is_some()
    }

    /// Checks every field's range as Flink's configuration does; the error names the scenario field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            RestartStrategyConfig::NoRestart => Ok(()),
            RestartStrategyConfig::FixedDelay { attempts, delay_ms } => {
                if attempts < 0 {
                    return Err(ConfigError::new("restart.attempts", format!("must be >= 0 (got {attempts})")));
                }
                if delay_ms < 0 {
                    return Err(ConfigError::new("restart.delay_ms", format!("must be >= 0 (got {delay_ms})")));
                }
                Ok(())
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } => {
                if max_failures_per_interval <= 0 {
                    return Err(ConfigError::new(
                        "restart.max_failures_per_interval",
                        format!("must be > 0 (got {max_failures_per_interval})"),
                    ));
                }
                if interval_ms <= 0 {
                    return Err(ConfigError::new("restart.interval_ms", format!("must be > 0 (got {interval_ms})")));
                }
                if delay_ms < 0 {
                    return Err(ConfigError::new("restart.delay_ms", format!("must be >= 0 (got {delay_ms})")));
                }
                Ok(())
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff_ms,
                max_backoff_ms,
                multiplier,
                reset_threshold_ms,
                jitter,
                attempts,
            } => {
                if initial_backoff_ms < 1 {
                    return Err(ConfigError::new(
                        "restart.initial_backoff_ms",
                        format!("must be >= 1 (got {initial_backoff_ms})"),
                    ));
                }
                if max_backoff_ms < initial_backoff_ms {
                    return Err(ConfigError::new(
                        "restart.max_backoff_ms",
                        format!("must be >= initial_backoff_ms (got {max_backoff_ms} < {initial_backoff_ms})"),
                    ));
                }
                if multiplier.is_nan() || multiplier <= 1.0 || !multiplier.is_finite() {
                    return Err(ConfigError::new("restart.multiplier", format!("must be > 1 (got {multiplier})")));
                }
                if reset_threshold_ms < 1 {
                    return Err(ConfigError::new(
                        "restart.reset_threshold_ms",
                        format!("must be >= 1 (got {reset_threshold_ms})"),
                    ));
                }
                if !(0.0..=1.0).contains(&jitter) {
                    return Err(ConfigError::new("restart.jitter", format!("must be in [0, 1] (got {jitter})")));
                }
                if attempts < 1 {
                    return Err(ConfigError::new("restart.attempts", format!("must be >= 1 (got {attempts})")));
                }
                Ok(())
            }
        }
    }
}
