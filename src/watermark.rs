//! Event time: watermarks and watermark status, the source-side watermark generators (bounded out-of-orderness, monotonous timestamps, idleness) with their per-split combination, and the per-task `StatusWatermarkValve`.
//!
//! Everything here is sans-IO. Processing time comes in as `now_ms` arguments (the periodic
//! emission timer of Flink's `pipeline.auto-watermark-interval` is a deadline the host fires with
//! [`SourceWatermarks::handle_timeout`]); event time is the record's timestamp.
//!
//! Watermarks are *not* part of a checkpoint (Flink snapshots neither the valve nor the
//! generators): a restored task starts at [`Watermark::MIN`] again (semantics §11).

use crate::ids::PartitionId;
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use thiserror::Error;

/// Flink's default `pipeline.auto-watermark-interval`.
pub const DEFAULT_AUTO_WATERMARK_INTERVAL_MS: u64 = 200;

/// An event-time watermark: no record with a timestamp `<= self.0` is expected any more
/// (Flink's `Watermark(long)`; milliseconds of event time).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Watermark(pub i64);

impl Watermark {
    /// `Long.MIN_VALUE`: where every watermark starts, also after a restore.
    pub const MIN: Watermark = Watermark(i64::MIN);
    /// `Watermark.MAX_WATERMARK`: emitted at the end of a bounded input; fires every timer.
    pub const MAX: Watermark = Watermark(i64::MAX);
}

impl fmt::Display for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Watermark::MIN => f.write_str("wm(-inf)"),
            Watermark::MAX => f.write_str("wm(+inf)"),
            Watermark(t) => write!(f, "wm({t})"),
        }
    }
}

/// Flink's `WatermarkStatus`: an IDLE input is left out of the minimum its consumers compute.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatermarkStatus {
    /// Records flow; the input's watermark counts in the minimum.
    Active,
    /// No records for a while: the input is left out of the minimum.
    Idle,
}

/// What a source's watermark generator does with the timestamps it sees.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorKind {
    /// `WatermarkStrategy.forBoundedOutOfOrderness(d)` (`BoundedOutOfOrdernessWatermarks`):
    /// the watermark is the largest timestamp seen − `max_out_of_orderness_ms` − 1.
    BoundedOutOfOrderness {
        /// How far behind the largest timestamp the watermark stays, ms.
        max_out_of_orderness_ms: u64,
    },
    /// `WatermarkStrategy.forMonotonousTimestamps()` (`AscendingTimestampsWatermarks`): bounded
    /// out-of-orderness with a bound of 0 (largest timestamp − 1).
    MonotonousTimestamps,
}

/// A source's watermark strategy: the generator, optional idleness (`withIdleness`) and the
/// periodic emission interval (`pipeline.auto-watermark-interval`).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatermarkStrategy {
    /// How the watermark follows the timestamps seen.
    pub generator: GeneratorKind,
    /// `withIdleness(d)`: a split without records for longer than this is marked idle.
    pub idle_timeout_ms: Option<u64>,
    /// How often the generators emit, ms (`pipeline.auto-watermark-interval`).
    pub auto_watermark_interval_ms: u64,
}

/// A watermark strategy that cannot be built (Flink throws `IllegalArgumentException`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum WatermarkSpecError {
    /// `WatermarksWithIdleness`: "idleTimeout must be greater than zero".
    #[error("idle_timeout_ms must be greater than zero")]
    ZeroIdleTimeout,
    /// An interval of 0 disables periodic watermarks in Flink; the model needs them.
    #[error("auto_watermark_interval_ms must be at least 1 (0 would disable periodic watermarks)")]
    ZeroInterval,
    /// Larger bounds would overflow event time arithmetic.
    #[error("max_out_of_orderness_ms must be below 2^62")]
    OutOfOrdernessTooLarge,
}

impl WatermarkStrategy {
    /// `forBoundedOutOfOrderness(max_out_of_orderness_ms)`, default interval, no idleness.
    pub fn bounded(max_out_of_orderness_ms: u64) -> WatermarkStrategy {
        WatermarkStrategy {
            generator: GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms },
            idle_timeout_ms: None,
            auto_watermark_interval_ms: DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
        }
    }

    /// `forMonotonousTimestamps()`, default interval, no idleness.
    pub fn monotonous() -> WatermarkStrategy {
        WatermarkStrategy {
            generator: GeneratorKind::MonotonousTimestamps,
            idle_timeout_ms: None,
            auto_watermark_interval_ms: DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
        }
    }

    /// `withIdleness(idle_timeout_ms)`.
    pub fn with_idleness(self, idle_timeout_ms: u64) -> WatermarkStrategy {
        WatermarkStrategy { idle_timeout_ms: Some(idle_timeout_ms), ..self }
    }

    /// Checks the strategy as Flink's builders do (a zero idle timeout is refused).
    pub fn validate(&self) -> Result<(), WatermarkSpecError> {
        if self.idle_timeout_ms == Some(0) {
            return Err(WatermarkSpecError::ZeroIdleTimeout);
        }
        if self.auto_watermark_interval_ms == 0 {
            return Err(WatermarkSpecError::ZeroInterval);
        }
        if let GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } = self.generator {
            if max_out_of_orderness_ms >= 1 << 62 {
                return Err(WatermarkSpecError::OutOfOrdernessTooLarge);
            }
        }
        Ok(())
    }

    fn out_of_orderness_ms(&self) -> i64 {
        match self.generator {
            GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms } => max_out_of_orderness_ms as i64,
            GeneratorKind::MonotonousTimestamps => 0,
        }
    }
}

mod inputs;
mod multiplexer;
pub use inputs::{GateValves, InputValve};
pub use multiplexer::{MuxCall, MuxError, MuxMode, MuxOutputId, WatermarkMultiplexer};

// ------------------------------------------------------------------------- generators

/// `BoundedOutOfOrdernessWatermarks`: tracks the largest timestamp; a periodic emission yields
/// `max − bound − 1`. Before any event that is `Long.MIN_VALUE` (the start value is chosen so
/// that the subtraction cannot underflow).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct BoundedOutOfOrderness {
    out_of_orderness_ms: i64,
    max_timestamp: i64,
    /// The planted `watermark-without-minus-one`: emit `max - bound`.
    without_minus_one: bool,
}

impl BoundedOutOfOrderness {
    /// A generator with bound `out_of_orderness_ms`, no timestamp seen yet.
    pub fn new(out_of_orderness_ms: i64) -> BoundedOutOfOrderness {
        assert!((0..1 << 62).contains(&out_of_orderness_ms), "bound {out_of_orderness_ms} out of range");
        BoundedOutOfOrderness {
            out_of_orderness_ms,
            max_timestamp: i64::MIN + out_of_orderness_ms + 1,
            without_minus_one: false,
        }
    }

    /// `onEvent`: remembers the largest timestamp.
    pub fn on_event(&mut self, timestamp: i64) {
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    /// `onPeriodicEmit`: the watermark to emit (the output drops it if it does not advance).
    pub fn on_periodic_emit(&self) -> Watermark {
        let one = i64::from(!self.without_minus_one);
        Watermark(self.max_timestamp - self.out_of_orderness_ms - one)
    }
}

/// `WatermarksWithIdleness.IdlenessTimer` on a millisecond clock given as input. Idleness is
/// judged only at periodic emissions: the first emission that saw no activity since the one
/// before starts the countdown; an emission strictly more than the timeout after that start
/// says idle.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct IdlenessTimer {
    counter: u64,
    last_counter: u64,
    /// When the countdown started (Flink uses 0 for "no countdown"; here `None`).
    start_of_inactivity_ms: Option<u64>,
    max_idle_ms: u64,
}

impl IdlenessTimer {
    /// A timer that marks an input idle after `max_idle_ms` without activity.
    pub fn new(max_idle_ms: u64) -> IdlenessTimer {
        IdlenessTimer { counter: 0, last_counter: 0, start_of_inactivity_ms: None, max_idle_ms }
    }

    /// An event was seen.
    pub fn activity(&mut self) {
        self.counter = self.counter.wrapping_add(1);
    }

    /// `checkIfIdle` at processing time `now_ms`.
    pub fn check_if_idle(&mut self, now_ms: u64) -> bool {
        if self.counter != self.last_counter {
            self.last_counter = self.counter;
            self.start_of_inactivity_ms = None;
            false
        } else if let Some(start) = self.start_of_inactivity_ms {
            now_ms.saturating_sub(start) > self.max_idle_ms
        } else {
            self.start_of_inactivity_ms = Some(now_ms);
            false
        }
    }
}

/// What one split's generator asks of its output at a periodic emission.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub enum GeneratorOutput {
    /// Emit this watermark (larger than the last one emitted).
    Watermark(Watermark),
    /// Mark the split idle (it had no records for the idle timeout).
    MarkIdle,
}

/// One split's generator: bounded out-of-orderness, wrapped in `WatermarksWithIdleness` when
/// the strategy asks for idleness.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct SplitGenerator {
    inner: BoundedOutOfOrderness,
    idleness: Option<IdlenessTimer>,
    idle_now: bool,
    /// The planted `idleness-ignores-activity`: records do not reset the idleness timer.
    ignores_activity: bool,
    /// The planted `idle-split-never-resumes`: once idle, the split emits nothing again.
    never_resumes: bool,
}

impl SplitGenerator {
    /// One split's generator under `strategy`.
    pub fn new(strategy: &WatermarkStrategy) -> SplitGenerator {
        SplitGenerator {
            inner: BoundedOutOfOrderness::new(strategy.out_of_orderness_ms()),
            idleness: strategy.idle_timeout_ms.map(IdlenessTimer::new),
            idle_now: false,
            ignores_activity: false,
            never_resumes: false,
        }
    }

    /// A record with event timestamp `timestamp` was read from the split.
    pub fn on_event(&mut self, timestamp: i64) {
        self.inner.on_event(timestamp);
        if let Some(t) = self.idleness.as_mut().filter(|_| !self.ignores_activity) {
            t.activity();
        }
        if !self.never_resumes {
            self.idle_now = false;
        }
    }

    /// `WatermarksWithIdleness.onPeriodicEmit`: idle (once, until the next event) or the inner
    /// generator's watermark.
    pub fn on_periodic_emit(&mut self, now_ms: u64) -> Option<GeneratorOutput> {
        if self.never_resumes && self.idle_now {
            // The planted `idle-split-never-resumes`: an idle split stays idle for good.
            return None;
        }
        if self.idleness.as_mut().is_some_and(|t| t.check_if_idle(now_ms)) {
            if self.idle_now {
                None
            } else {
                self.idle_now = true;
                Some(GeneratorOutput::MarkIdle)
            }
        } else {
            Some(GeneratorOutput::Watermark(self.inner.on_periodic_emit()))
        }
    }
}

/// A watermark output that never goes back (`WatermarkToDataOutput` / the `WatermarkEmitter` of
/// `TimestampsAndWatermarksOperator`): a watermark that does not advance is dropped; the first
/// watermark after IDLE is preceded by ACTIVE; IDLE is emitted once.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MonotoneOutput {
    current: Watermark,
    idle: bool,
}

impl MonotoneOutput {
    fn emit_watermark(&mut self, wm: Watermark, out: &mut VecDeque<WatermarkEvent>) {
        if wm <= self.current {
            return;
        }
        self.current = wm;
        if self.idle {
            self.idle = false;
            out.push_back(WatermarkEvent::Status(WatermarkStatus::Active));
        }
        out.push_back(WatermarkEvent::Watermark(wm));
    }

    fn mark_idle(&mut self, out: &mut VecDeque<WatermarkEvent>) {
        if !self.idle {
            self.idle = true;
            out.push_back(WatermarkEvent::Status(WatermarkStatus::Idle));
        }
    }

    /// `markActive` (2.x): ACTIVE once, if the output was idle.
    fn mark_active(&mut self, out: &mut VecDeque<WatermarkEvent>) {
        if self.idle {
            self.idle = false;
            out.push_back(WatermarkEvent::Status(WatermarkStatus::Active));
        }
    }
}

/// A watermark or a watermark status, as a task emits it downstream.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatermarkEvent {
    /// A new watermark.
    Watermark(Watermark),
    /// A change of watermark status.
    Status(WatermarkStatus),
}

/// The watermarks of one source subtask: a generator per split (partition) combined by
/// Flink's `WatermarkOutputMultiplexer` ([`WatermarkMultiplexer`]: the source emits the minimum
/// over the splits that are not idle; when every split is idle the source is idle, in 2.x after
/// flushing the maximum over the splits), emitted periodically every
/// `auto_watermark_interval_ms` of processing time.
#[derive(Clone, Debug, Hash)]
pub struct SourceWatermarks {
    strategy: WatermarkStrategy,
    splits: BTreeMap<PartitionId, SplitGenerator>,
    mux: WatermarkMultiplexer,
    output: MonotoneOutput,
    next_emit_ms: u64,
    outputs: VecDeque<WatermarkEvent>,
    /// The planted `idleness-ignores-activity`, on every split's generator.
    ignores_activity: bool,
    /// The planted `watermark-without-minus-one`, on every split's generator.
    without_minus_one: bool,
    /// The planted `idle-split-never-resumes`, on every split's generator.
    never_resumes: bool,
}

fn mux_id(split: PartitionId) -> MuxOutputId {
    MuxOutputId(u64::from(split.0))
}

impl SourceWatermarks {
    /// [`SourceWatermarks::for_profile`] under the default profile (flink-2.3).
    pub fn new(strategy: WatermarkStrategy, splits: &[PartitionId], now_ms: u64) -> SourceWatermarks {
        SourceWatermarks::for_profile(strategy, splits, now_ms, Profile::default())
    }

    /// A source's watermarks whose splits combine as `profile`'s `WatermarkOutputMultiplexer`
    /// does. Panics on an invalid strategy (validate user input with
    /// [`WatermarkStrategy::validate`]). The first periodic emission is due at `now_ms + interval`.
    pub fn for_profile(
        strategy: WatermarkStrategy,
        splits: &[PartitionId],
        now_ms: u64,
        profile: Profile,
    ) -> SourceWatermarks {
        if let Err(e) = strategy.validate() {
            panic!("invalid watermark strategy {strategy:?}: {e}");
        }
        let mut s = SourceWatermarks {
            strategy,
            splits: BTreeMap::new(),
            mux: WatermarkMultiplexer::for_profile(profile),
            output: MonotoneOutput { current: Watermark::MIN, idle: false },
            next_emit_ms: now_ms.saturating_add(strategy.auto_watermark_interval_ms),
            outputs: VecDeque::new(),
            ignores_activity: false,
            without_minus_one: false,
            never_resumes: false,
        };
        for p in splits {
            s.add_split(*p);
        }
        s.invariants();
        s
    }

    fn add_split(&mut self, split: PartitionId) -> &mut SplitGenerator {
        let strategy = self.strategy;
        let ignores_activity = self.ignores_activity;
        let without_minus_one = self.without_minus_one;
        let never_resumes = self.never_resumes;
        let mux = &mut self.mux;
        self.splits.entry(split).or_insert_with(|| {
            mux.register(mux_id(split)).expect("a split not registered yet");
            let mut g = SplitGenerator { ignores_activity, never_resumes, ..SplitGenerator::new(&strategy) };
            g.inner.without_minus_one = without_minus_one;
            g
        })
    }

    /// The planted `watermark-without-minus-one`: every split's bounded generator emits
    /// `max - bound` (Flink's `BoundedOutOfOrdernessWatermarks#onPeriodicEmit`: `max - bound - 1`).
    pub fn with_watermark_without_minus_one(mut self) -> SourceWatermarks {
        self.without_minus_one = true;
        for g in self.splits.values_mut() {
            g.inner.without_minus_one = true;
        }
        self
    }

    /// The planted `idleness-ignores-activity`: no split's records reset its idleness timer
    /// (Flink's `WatermarksWithIdleness#onEvent` calls `IdlenessTimer#activity`).
    pub fn with_idleness_ignoring_activity(mut self) -> SourceWatermarks {
        self.ignores_activity = true;
        for g in self.splits.values_mut() {
            g.ignores_activity = true;
        }
        self
    }

    /// The planted `idle-split-never-resumes`: a split marked idle never emits again (Flink's
    /// `WatermarksWithIdleness` emits the inner generator's watermark once records came).
    pub fn with_idle_splits_never_resuming(mut self) -> SourceWatermarks {
        self.never_resumes = true;
        for g in self.splits.values_mut() {
            g.never_resumes = true;
        }
        self
    }

    /// The strategy the source was configured with.
    pub fn strategy(&self) -> &WatermarkStrategy {
        &self.strategy
    }

    /// A record with event timestamp `timestamp` was read from `split`. An unknown split is
    /// added (a split assigned after the start).
    pub fn on_record(&mut self, split: PartitionId, timestamp: i64) {
        self.add_split(split).on_event(timestamp);
    }

    /// The next periodic emission.
    pub fn poll_timeout(&self) -> u64 {
        self.next_emit_ms
    }

    /// The periodic emission timer: every split's generator emits on its deferred output, then
    /// the multiplexer combines them (`onPeriodicEmit`). Does nothing before the deadline.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if now_ms < self.next_emit_ms {
            return;
        }
        self.next_emit_ms = now_ms.saturating_add(self.strategy.auto_watermark_interval_ms);
        for (split, g) in self.splits.iter_mut() {
            let id = mux_id(*split);
            let done = match g.on_periodic_emit(now_ms) {
                Some(GeneratorOutput::Watermark(wm)) => self.mux.emit_watermark(id, MuxMode::Deferred, wm),
                Some(GeneratorOutput::MarkIdle) => self.mux.mark_idle(id, MuxMode::Deferred),
                None => Ok(()),
            };
            done.expect("every split is registered in the multiplexer");
        }
        self.mux.on_periodic_emit();
        while let Some(call) = self.mux.poll_call() {
            match call {
                MuxCall::Watermark(wm) => self.output.emit_watermark(wm, &mut self.outputs),
                MuxCall::MarkIdle => self.output.mark_idle(&mut self.outputs),
                MuxCall::MarkActive => self.output.mark_active(&mut self.outputs),
            }
        }
        self.invariants();
    }

    /// The end of a bounded input: `Watermark.MAX_WATERMARK` goes out (every timer downstream
    /// fires); nothing is emitted afterwards.
    pub fn end_of_input(&mut self) {
        self.output.emit_watermark(Watermark::MAX, &mut self.outputs);
        self.next_emit_ms = u64::MAX;
        self.invariants();
    }

    /// The next watermark or status change to emit downstream.
    pub fn poll_output(&mut self) -> Option<WatermarkEvent> {
        self.outputs.pop_front()
    }

    /// The watermark this source emitted last.
    pub fn current(&self) -> Watermark {
        self.output.current
    }

    /// Panics if the combined watermark ran ahead of the emitted one, or the source is idle
    /// while a split is active.
    pub fn invariants(&self) {
        assert!(self.output.current >= self.mux.combined() || self.output.current == Watermark::MAX);
        self.mux.invariants();
    }
}

// ------------------------------------------------------------------------------ valve

/// One input channel of a [`StatusWatermarkValve`].
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub struct ChannelStatus {
    /// The channel's last watermark.
    pub watermark: Watermark,
    /// Whether the channel is active or idle.
    pub status: WatermarkStatus,
    /// Whether the channel takes part in the minimum: active and caught up with the valve's
    /// output (a channel back from IDLE behind the output is not aligned until it catches up).
    pub aligned: bool,
}

/// Flink's `StatusWatermarkValve`: a task's input watermark is the minimum over its aligned
/// (active, caught-up) input channels; it only advances. When every channel is idle, the
/// maximum watermark over all channels is flushed and the task becomes IDLE; one channel back
/// to ACTIVE makes it ACTIVE again.
#[derive(Clone, Debug, Hash)]
pub struct StatusWatermarkValve {
    channels: Vec<ChannelStatus>,
    last_output: Watermark,
    last_status: WatermarkStatus,
    outputs: VecDeque<WatermarkEvent>,
    /// The planted `idle-input-holds-watermark` variant: an idle channel stays in the minimum.
    idle_holds: bool,
    /// The planted `resumed-channel-aligned-at-once` variant: a channel back to ACTIVE is
    /// aligned at once, behind the output or not.
    resumed_aligned: bool,
    /// The planted `valve-takes-max` variant: the output is the maximum over the aligned
    /// channels instead of the minimum.
    takes_max: bool,
}

impl StatusWatermarkValve {
    /// A valve over `num_channels` input channels, every one active at `Watermark::MIN`.
    pub fn new(num_channels: u32) -> StatusWatermarkValve {
        let ch = ChannelStatus { watermark: Watermark::MIN, status: WatermarkStatus::Active, aligned: true };
        StatusWatermarkValve {
            channels: vec![ch; num_channels as usize],
            last_output: Watermark::MIN,
            last_status: WatermarkStatus::Active,
            outputs: VecDeque::new(),
            idle_holds: false,
            resumed_aligned: false,
            takes_max: false,
        }
    }

    /// The planted `idle-input-holds-watermark` variant: an IDLE channel keeps its watermark in
    /// the minimum (Flink leaves it out), so the output waits for the idle input.
    pub fn with_idle_channels_held(mut self) -> StatusWatermarkValve {
        self.idle_holds = true;
        self
    }

    /// The planted `resumed-channel-aligned-at-once` variant: a channel that comes back ACTIVE
    /// counts in the minimum at once (Flink waits until it caught up with the last output), so
    /// the output waits for the resumed channel.
    pub fn with_resumed_channels_aligned(mut self) -> StatusWatermarkValve {
        self.resumed_aligned = true;
        self
    }

    /// The planted `valve-takes-max` variant: the output follows the *largest* watermark over
    /// the aligned channels (Flink's `StatusWatermarkValve#findAndOutputNewMinWatermarkAcrossAlignedChannels`
    /// takes the smallest), so the task's watermark runs ahead of its slowest input.
    pub fn with_max_over_channels(mut self) -> StatusWatermarkValve {
        self.takes_max = true;
        self
    }

    /// Channel `ch`'s watermark and status.
    pub fn channel(&self, ch: u32) -> ChannelStatus {
        self.channels[ch as usize]
    }

    /// The last watermark the valve emitted (the minimum over its active aligned channels).
    pub fn last_output(&self) -> Watermark {
        self.last_output
    }

    /// The last status the valve emitted (IDLE once every channel is idle).
    pub fn status(&self) -> WatermarkStatus {
        self.last_status
    }

    /// The next watermark or status change to forward downstream.
    pub fn poll_output(&mut self) -> Option<WatermarkEvent> {
        self.outputs.pop_front()
    }

    /// `inputWatermark`: ignored while the valve or the channel is idle, or when it does not
    /// advance the channel.
    pub fn input_watermark(&mut self, ch: u32, wm: Watermark) {
        let last_output = self.last_output;
        let valve_active = self.last_status == WatermarkStatus::Active;
        let c = &mut self.channels[ch as usize];
        if valve_active && c.status == WatermarkStatus::Active && wm > c.watermark {
            c.watermark = wm;
            if !c.aligned && wm >= last_output {
                c.aligned = true;
            }
            self.output_new_min();
        }
        self.invariants();
    }

    /// `inputWatermarkStatus`: only a change of the channel's status counts.
    pub fn input_status(&mut self, ch: u32, status: WatermarkStatus) {
        let last_output = self.last_output;
        let c = &mut self.channels[ch as usize];
        match (status, c.status) {
            (WatermarkStatus::Idle, WatermarkStatus::Active) => {
                c.status = WatermarkStatus::Idle;
                c.aligned = false;
                let channel_wm = c.watermark;
                if self.channels.iter().all(|c| c.status == WatermarkStatus::Idle) {
                    // Flush the maximum over all channels, as Flink does, only when the channel
                    // that went idle last held the last output: a channel that came back behind
                    // the output (not aligned) and goes idle again flushes nothing.
                    let max = self.channels.iter().map(|c| c.watermark).max().unwrap_or(Watermark::MIN);
                    if channel_wm == self.last_output && max > self.last_output {
                        self.last_output = max;
                        self.outputs.push_back(WatermarkEvent::Watermark(max));
                    }
                    self.last_status = WatermarkStatus::Idle;
                    self.outputs.push_back(WatermarkEvent::Status(WatermarkStatus::Idle));
                } else if channel_wm == self.last_output {
                    self.output_new_min();
                }
            }
            (WatermarkStatus::Active, WatermarkStatus::Idle) => {
                c.status = WatermarkStatus::Active;
                if c.watermark >= last_output || self.resumed_aligned {
                    c.aligned = true;
                }
                if self.last_status == WatermarkStatus::Idle {
                    self.last_status = WatermarkStatus::Active;
                    self.outputs.push_back(WatermarkEvent::Status(WatermarkStatus::Active));
                }
            }
            _ => {}
        }
        self.invariants();
    }

    fn output_new_min(&mut self) {
        let held = |c: &&ChannelStatus| c.aligned || (self.idle_holds && c.status == WatermarkStatus::Idle);
        let aligned = self.channels.iter().filter(held).map(|c| c.watermark);
        let min = if self.takes_max { aligned.max() } else { aligned.min() };
        if let Some(min) = min.filter(|m| *m > self.last_output) {
            self.last_output = min;
            self.outputs.push_back(WatermarkEvent::Watermark(min));
        }
    }

    /// Panics if an idle channel counts as aligned or an aligned channel is behind the emitted watermark.
    pub fn invariants(&self) {
        for (i, c) in self.channels.iter().enumerate() {
            assert!(!c.aligned || c.status == WatermarkStatus::Active, "channel {i} aligned while idle");
            assert!(
                !c.aligned || c.watermark >= self.last_output || self.resumed_aligned || self.takes_max,
                "aligned channel {i} behind the output"
            );
        }
        if self.last_status == WatermarkStatus::Idle {
            assert!(
                self.channels.iter().all(|c| c.status == WatermarkStatus::Idle),
                "valve idle with an active channel"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wm(t: i64) -> Option<WatermarkEvent> {
        Some(WatermarkEvent::Watermark(Watermark(t)))
    }

    #[test]
    fn bounded_out_of_orderness() {
        let mut g = BoundedOutOfOrderness::new(10);
        assert_eq!(g.on_periodic_emit(), Watermark::MIN);
        for t in [12345, 12300, 12340, 12280] {
            g.on_event(t);
        }
        assert_eq!(g.on_periodic_emit(), Watermark(12334));
        let mut m = BoundedOutOfOrderness::new(0);
        m.on_event(5);
        assert_eq!(m.on_periodic_emit(), Watermark(4), "monotonous: max - 1");
    }

    #[test]
    fn source_emits_periodically_and_monotonically() {
        let p = [PartitionId(0)];
        let mut s = SourceWatermarks::new(WatermarkStrategy::bounded(10), &p, 0);
        assert_eq!(s.poll_timeout(), 200);
        s.on_record(PartitionId(0), 1000);
        s.handle_timeout(199);
        assert_eq!(s.poll_output(), None, "not due yet");
        s.handle_timeout(200);
        assert_eq!(s.poll_output(), wm(989));
        assert_eq!(s.poll_timeout(), 400);
        s.on_record(PartitionId(0), 500);
        s.handle_timeout(400);
        assert_eq!(s.poll_output(), None, "a late record does not move the watermark back");
        s.end_of_input();
        assert_eq!(s.poll_output(), Some(WatermarkEvent::Watermark(Watermark::MAX)));
    }

    #[test]
    fn source_min_over_splits_and_idleness() {
        let p = [PartitionId(0), PartitionId(1)];
        let mut s = SourceWatermarks::new(WatermarkStrategy::bounded(0).with_idleness(500), &p, 0);
        s.on_record(PartitionId(0), 100);
        s.handle_timeout(200);
        // Split 1 has seen nothing: MIN holds the source back.
        assert_eq!(s.poll_output(), None);
        // Split 1's first check (200) saw no event: its countdown starts there; it is idle at
        // the first check more than 500 ms later (800).
        for t in [400, 600] {
            s.on_record(PartitionId(0), 100 + t as i64);
            s.handle_timeout(t);
        }
        assert_eq!(s.poll_output(), None);
        s.on_record(PartitionId(0), 900);
        s.handle_timeout(800);
        assert_eq!(s.poll_output(), wm(899), "split 1 idle: the min over split 0 alone");
        // Both idle: the source goes idle once; a new record makes it active again.
        for t in [1000, 1200, 1400, 1600] {
            s.handle_timeout(t);
        }
        assert_eq!(s.poll_output(), Some(WatermarkEvent::Status(WatermarkStatus::Idle)));
        assert_eq!(s.poll_output(), None);
        s.on_record(PartitionId(1), 2000);
        s.handle_timeout(1800);
        assert_eq!(s.poll_output(), Some(WatermarkEvent::Status(WatermarkStatus::Active)));
        assert_eq!(s.poll_output(), wm(1999), "split 0 still idle; split 1 at 1999");
    }

    #[test]
    fn valve_min_over_aligned_channels() {
        let mut v = StatusWatermarkValve::new(3);
        v.input_watermark(0, Watermark(10));
        v.input_watermark(1, Watermark(7));
        v.input_watermark(2, Watermark(3));
        assert_eq!(v.poll_output(), wm(3));
        v.input_status(2, WatermarkStatus::Idle);
        assert_eq!(v.poll_output(), wm(7));
        v.input_status(2, WatermarkStatus::Active);
        assert!(!v.channel(2).aligned);
        v.input_watermark(2, Watermark(9));
        assert!(v.channel(2).aligned);
        v.input_watermark(1, Watermark(12));
        assert_eq!(v.poll_output(), wm(9));
        assert_eq!(v.poll_output(), None);
    }
}

#[cfg(test)]
mod more_tests {
    //! Session 11 (issue 14, mutation score): the decisions the first mutation run of this file
    //! found unjudged.
    use super::*;

    fn wm(t: i64) -> Option<WatermarkEvent> {
        Some(WatermarkEvent::Watermark(Watermark(t)))
    }

    /// Traces print `Long.MIN_VALUE` and `MAX_WATERMARK` by name, other watermarks by value.
    #[test]
    fn watermarks_display_their_value_or_infinity() {
        let shown: Vec<String> =
            [Watermark::MIN, Watermark::MAX, Watermark(-5), Watermark(7)].map(|w| w.to_string()).into();
        assert_eq!(shown, ["wm(-inf)", "wm(+inf)", "wm(-5)", "wm(7)"]);
    }

    /// The strategy builders' checks: `WatermarksWithIdleness` refuses a zero idle timeout
    /// ("idleTimeout must be greater than zero") and takes 1 ms; the model also refuses an
    /// emission interval of 0 (Flink would disable periodic watermarks) and a bound of 2^62 or
    /// more (event-time arithmetic); `withIdleness` keeps the generator and the interval.
    #[test]
    fn strategies_are_validated_at_their_bounds() {
        use WatermarkSpecError::*;
        assert_eq!(WatermarkStrategy::bounded(5).validate(), Ok(()));
        assert_eq!(WatermarkStrategy::monotonous().validate(), Ok(()));
        assert_eq!(WatermarkStrategy::bounded(5).with_idleness(0).validate(), Err(ZeroIdleTimeout));
        assert_eq!(WatermarkStrategy::bounded(5).with_idleness(1).validate(), Ok(()));
        let interval = |ms| WatermarkStrategy { auto_watermark_interval_ms: ms, ..WatermarkStrategy::bounded(5) };
        assert_eq!(interval(0).validate(), Err(ZeroInterval));
        assert_eq!(interval(1).validate(), Ok(()));
        assert_eq!(WatermarkStrategy::bounded((1 << 62) - 1).validate(), Ok(()));
        assert_eq!(WatermarkStrategy::bounded(1 << 62).validate(), Err(OutOfOrdernessTooLarge));
        let idle = WatermarkStrategy::monotonous().with_idleness(300);
        assert_eq!(
            idle,
            WatermarkStrategy {
                generator: GeneratorKind::MonotonousTimestamps,
                idle_timeout_ms: Some(300),
                auto_watermark_interval_ms: DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
            }
        );
        assert_eq!(
            WatermarkStrategy::bounded(5).generator,
            GeneratorKind::BoundedOutOfOrderness { max_out_of_orderness_ms: 5 }
        );
    }

    /// `WatermarksWithIdleness.IdlenessTimer#checkIfIdle`: the first check without activity
    /// starts the countdown; idle only when *strictly* more than the timeout passed since
    /// (`now - startOfInactivity > maxIdleTime`); any activity resets it.
    #[test]
    fn idleness_needs_strictly_more_than_the_timeout() {
        let mut t = IdlenessTimer::new(500);
        assert!(!t.check_if_idle(100), "countdown starts");
        assert!(!t.check_if_idle(600), "exactly the timeout: not idle yet");
        assert!(t.check_if_idle(601));
        t.activity();
        assert!(!t.check_if_idle(700), "activity resets");
        assert!(!t.check_if_idle(800), "a new countdown starts");
        assert!(!t.check_if_idle(1300));
        assert!(t.check_if_idle(1301));
    }

    /// A source's periodic emission (`TimestampsAndWatermarksOperator#onProcessingTime`): the
    /// bounded generator emits `max - bound - 1` (`BoundedOutOfOrdernessWatermarks`), the
    /// monotonous one `max - 1` (`AscendingTimestampsWatermarks`); the next emission is due one
    /// interval after the one that ran (`now + interval`, also when it ran late); the source
    /// keeps its strategy and reports the watermark it emitted last.
    #[test]
    fn a_source_emits_max_minus_bound_minus_one_every_interval_from_now() {
        let p = [PartitionId(0)];
        for (strategy, want) in [(WatermarkStrategy::bounded(5), 994), (WatermarkStrategy::monotonous(), 999)] {
            let mut s = SourceWatermarks::new(strategy, &p, 0);
            assert_eq!(s.strategy(), &strategy);
            assert_eq!(s.current(), Watermark::MIN);
            s.on_record(PartitionId(0), 1000);
            s.handle_timeout(250);
            assert_eq!(s.poll_output(), wm(want), "{strategy:?}");
            assert_eq!(s.current(), Watermark(want));
            assert_eq!(s.poll_timeout(), 450, "next emission one interval after 250");
            s.handle_timeout(449);
            assert_eq!(s.poll_timeout(), 450, "not due: nothing changes");
        }
    }

    /// A split assigned after the start (no generator yet) gets one at its first record, and
    /// it counts in the minimum from then on (`WatermarkOutputMultiplexer#registerNewOutput`).
    #[test]
    fn a_split_first_seen_at_a_record_counts_in_the_minimum() {
        let mut s = SourceWatermarks::new(WatermarkStrategy::bounded(0), &[PartitionId(0)], 0);
        s.on_record(PartitionId(0), 100);
        s.on_record(PartitionId(3), 50);
        s.handle_timeout(200);
        assert_eq!(s.poll_output(), wm(49), "the minimum over splits 0 (99) and 3 (49)");
    }

    /// `StatusWatermarkValveTest`-style flushes when every channel goes idle
    /// (`StatusWatermarkValve#inputWatermarkStatus`): the maximum over all channels is emitted,
    /// then IDLE — but only when the channel that went idle last held the last output
    /// (`findAndOutputMaxWatermarkAcrossAllSubpartitions` runs under `watermark ==
    /// lastOutputWatermark`). A channel that came back ACTIVE behind the output (not aligned)
    /// and goes idle last flushes nothing: the valve stays at its output and only turns IDLE.
    /// Before session 11 the model flushed in that case too.
    #[test]
    fn all_idle_flushes_the_maximum_only_from_the_channel_holding_the_output() {
        let idle = Some(WatermarkEvent::Status(WatermarkStatus::Idle));
        // Two channels: 10 and 5 (output 5); 0 idles (nothing), 1 idles holding 5: flush 10.
        let mut v = StatusWatermarkValve::new(2);
        v.input_watermark(0, Watermark(10));
        v.input_watermark(1, Watermark(5));
        assert_eq!(v.poll_output(), wm(5));
        v.input_status(0, WatermarkStatus::Idle);
        assert_eq!(v.poll_output(), None, "channel 0 did not hold the output");
        v.input_status(1, WatermarkStatus::Idle);
        assert_eq!((v.poll_output(), v.poll_output(), v.poll_output()), (wm(10), idle, None));
        assert_eq!(v.last_output(), Watermark(10));
        // Three channels 10, 20, 30 (output 10). 0 idles: min of the rest, 20. 2 idles. 0 comes
        // back at 10 < 20: not aligned. 1 idles holding 20: no aligned channel left, nothing.
        // 0 idles last, behind the output: IDLE without a flush of 30.
        let mut v = StatusWatermarkValve::new(3);
        for (c, t) in [(0, 10), (1, 20), (2, 30)] {
            v.input_watermark(c, Watermark(t));
        }
        assert_eq!(v.poll_output(), wm(10));
        v.input_status(0, WatermarkStatus::Idle);
        assert_eq!(v.poll_output(), wm(20));
        v.input_status(2, WatermarkStatus::Idle);
        v.input_status(0, WatermarkStatus::Active);
        assert!(!v.channel(0).aligned);
        v.input_status(1, WatermarkStatus::Idle);
        assert_eq!(v.poll_output(), None);
        v.input_status(0, WatermarkStatus::Idle);
        assert_eq!((v.poll_output(), v.poll_output()), (idle, None), "no flush from a channel behind the output");
        assert_eq!((v.last_output(), v.status()), (Watermark(20), WatermarkStatus::Idle));
    }

    /// The invariants report a source whose combined watermark ran ahead of its output, or
    /// that is idle while a split is active; a valve with an idle channel counted as aligned,
    /// an aligned channel behind the output, or an idle valve with an active channel.
    #[test]
    fn invariants_catch_a_corrupt_state() {
        let panics = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
        let mut s = SourceWatermarks::new(WatermarkStrategy::bounded(0), &[PartitionId(0)], 0);
        s.on_record(PartitionId(0), 6);
        s.handle_timeout(200);
        assert_eq!(s.mux.combined(), Watermark(5));
        assert!(!panics(&|| s.invariants()));
        let mut ahead = s.clone();
        ahead.output.current = Watermark(4);
        assert!(panics(&|| ahead.invariants()), "combined ahead of the output");
        let mut idle = s.clone();
        idle.mux.force_idle_for_test();
        assert!(panics(&|| idle.invariants()), "idle while split 0 is active");

        let v = StatusWatermarkValve::new(2);
        assert!(!panics(&|| v.invariants()));
        let mut c = v.clone();
        c.channels[0].status = WatermarkStatus::Idle;
        assert!(panics(&|| c.invariants()), "an idle channel aligned");
        let mut c = v.clone();
        c.last_output = Watermark(3);
        assert!(panics(&|| c.invariants()), "aligned channels behind the output");
        let mut c = v.clone();
        c.last_status = WatermarkStatus::Idle;
        c.channels[0].status = WatermarkStatus::Idle;
        c.channels[0].aligned = false;
        assert!(panics(&|| c.invariants()), "an idle valve with channel 1 active");
        c.channels[1].status = WatermarkStatus::Idle;
        c.channels[1].aligned = false;
        assert!(!panics(&|| c.invariants()), "every channel idle: legal");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug, Hash)]
    enum Op {
        Wm(u32, i64),
        Status(u32, bool),
    }

    fn op(n: u32, statuses: bool) -> impl Strategy<Value = Op> {
        let wm = (0..n, -5i64..60).prop_map(|(c, t)| Op::Wm(c, t));
        if statuses {
            prop_oneof![3 => wm, 1 => (0..n, any::<bool>()).prop_map(|(c, i)| Op::Status(c, i))].boxed()
        } else {
            wm.boxed()
        }
    }

    proptest! {
        /// Without idleness the valve's watermark is the minimum over the channels' largest
        /// watermarks, after every input; outputs strictly increase.
        #[test]
        fn valve_is_the_min_over_channels(n in 1u32..5, ops in proptest::collection::vec((0u32..4, -5i64..60), 0..80)) {
            let mut v = StatusWatermarkValve::new(n);
            let mut max_per_channel = vec![Watermark::MIN; n as usize];
            let mut last = Watermark::MIN;
            for (c, t) in ops {
                let c = c % n;
                v.input_watermark(c, Watermark(t));
                max_per_channel[c as usize] = max_per_channel[c as usize].max(Watermark(t));
                while let Some(e) = v.poll_output() {
                    let WatermarkEvent::Watermark(w) = e else { panic!("status without status input") };
                    prop_assert!(w > last, "output {w} after {last}");
                    last = w;
                }
                prop_assert_eq!(v.last_output(), *max_per_channel.iter().min().unwrap());
            }
        }

        /// With idleness: outputs strictly increase and never pass the largest watermark seen;
        /// the valve is idle exactly when every channel is; when every channel is active and
        /// caught up, the output is their minimum.
        #[test]
        fn valve_with_idleness(n in 1u32..5, ops in proptest::collection::vec(op(4, true), 0..100)) {
            let mut v = StatusWatermarkValve::new(n);
            let mut last = Watermark::MIN;
            let mut max_seen = Watermark::MIN;
            for o in ops {
                match o {
                    Op::Wm(c, t) => {
                        let c = c % n;
                        if v.channel(c).status == WatermarkStatus::Active && v.status() == WatermarkStatus::Active {
                            max_seen = max_seen.max(Watermark(t));
                        }
                        v.input_watermark(c, Watermark(t));
                    }
                    Op::Status(c, idle) => {
                        v.input_status(c % n, if idle { WatermarkStatus::Idle } else { WatermarkStatus::Active })
                    }
                }
                while let Some(e) = v.poll_output() {
                    if let WatermarkEvent::Watermark(w) = e {
                        prop_assert!(w > last, "output {w} after {last}");
                        prop_assert!(w <= max_seen, "output {w} above every input ({max_seen})");
                        last = w;
                    }
                }
                let all_idle = (0..n).all(|c| v.channel(c).status == WatermarkStatus::Idle);
                prop_assert_eq!(v.status() == WatermarkStatus::Idle, all_idle);
                if (0..n).all(|c| v.channel(c).aligned) {
                    let min = (0..n).map(|c| v.channel(c).watermark).min().unwrap();
                    prop_assert_eq!(v.last_output(), min);
                }
            }
        }
    }
}
