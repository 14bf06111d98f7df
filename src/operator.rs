//! User-level operators of a pipeline: named built-in user functions (map, flat_map, filter), keyed running aggregates, tumbling count windows, failure injectors and Flink-style key-group routing.
//!
//! An [`Operator`] is a plain value: `process` turns one input record into zero or more output
//! records appended to a caller-provided buffer (no allocation on the per-record path beyond what
//! a new string value needs), `snapshot`/`restore` move its state in and out as an
//! [`OperatorState`]. Failure injectors model user code that throws; counters that must survive a
//! restart (a Java `static` in the TaskManager's JVM, as in seed 001) live in
//! [`SurvivingCounters`], owned by the host.

use crate::record::{Lineage, Record, Value};
use crate::state::OperatorState;
use crate::user::UserOperator;
use crate::watermark::Watermark;
use crate::window::{EventWindowOperator, EventWindowSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use thiserror::Error;

/// Flink's default `maxParallelism` for small jobs: the number of key groups.
pub const MAX_PARALLELISM: u32 = 128;

/// Lineage fan-out of one flat_map level: a child of a record whose lineage `sub` is `s` gets
/// `sub = s << FLAT_MAP_SUB_BITS | i`. For the usual single flat_map (`s == 0`) that is just `i`;
/// two nested flat_maps stay unique while each emits fewer than 2^16 records per input.
pub const FLAT_MAP_SUB_BITS: u32 = 16;

pub use crate::udf::{Aggregate, Udf, UdfShape};

/// What an operator does.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    /// One output per input. Takes a [`UdfShape::OneToOne`] function.
    Map(Udf),
    /// Any number of outputs per input. Takes a one-to-many function (children get lineage
    /// `sub = i`, see [`FLAT_MAP_SUB_BITS`]) or a one-to-one function (one output, same lineage).
    FlatMap(Udf),
    /// Keeps or drops each input. Takes a [`UdfShape::Predicate`] function.
    Filter(Udf),
    /// key_by + running aggregate; emits the updated (key, acc) per input.
    KeyedAggregate(Aggregate),
    /// tumbling count window per key: emits (key, sum) when `size` elements arrived
    CountWindow {
        /// Elements per window.
        size: u64,
    },
    /// keyed event-time window (tumbling or sliding) with `EventTimeTrigger`, allowed lateness
    /// and an optional late side output (`window.rs`, semantics §11).
    EventWindow(EventWindowSpec),
    /// User code ([`crate::user::UserOperator`]): built with [`Operator::from_user`], which
    /// carries the implementation (this kind alone cannot build one).
    User,
}

impl OperatorKind {
    /// Whether this combination is meaningful (a scenario parser calls this before building).
    pub fn validate(&self) -> Result<(), OperatorSpecError> {
        let (kind, udf, accepted): (&'static str, Udf, &[UdfShape]) = match *self {
            OperatorKind::Map(u) => ("map", u, &[UdfShape::OneToOne]),
            OperatorKind::FlatMap(u) => ("flat_map", u, &[UdfShape::OneToMany, UdfShape::OneToOne]),
            OperatorKind::Filter(u) => ("filter", u, &[UdfShape::Predicate]),
            OperatorKind::KeyedAggregate(_) => return Ok(()),
            OperatorKind::CountWindow { size } => {
                return if size == 0 { Err(OperatorSpecError::EmptyCountWindow) } else { Ok(()) };
            }
            OperatorKind::EventWindow(spec) => return spec.validate(),
            OperatorKind::User => return Ok(()),
        };
        if accepted.contains(&udf.shape()) {
            return Ok(());
        }
        let names: Vec<&str> = Udf::ALL.iter().filter(|u| accepted.contains(&u.shape())).map(|u| u.name()).collect();
        Err(OperatorSpecError::WrongUdfShape { kind, udf, shape: udf.shape(), accepted: names.join(", ") })
    }
}

/// An operator description that cannot be built.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum OperatorSpecError {
    /// A function of the wrong shape for the operator (a flat_map function in a map, ...).
    #[error("`{udf}` is a {shape} function and cannot be used in {kind}; {kind} accepts: {accepted}")]
    WrongUdfShape {
        /// The operator kind (`map`, `flat_map`, `filter`).
        kind: &'static str,
        /// The function given.
        udf: Udf,
        /// Its shape.
        shape: UdfShape,
        /// The functions the operator accepts, listed.
        accepted: String,
    },
    /// A count window of size 0.
    #[error("a count window needs a size of at least 1")]
    EmptyCountWindow,
    /// A `fail_every_nth` of 0.
    #[error("fail-every-nth needs n >= 1")]
    EveryNthZero,
    /// A count-based failure injector with a count of 0.
    #[error("a count-based failure injector needs a count of at least 1")]
    CountZero,
    /// An event-time window size out of range.
    #[error("an event-time window needs 1 <= size_ms <= 2^40, got {size_ms}")]
    WindowSize {
        /// The size given, ms.
        size_ms: u64,
    },
    /// A sliding window's slide out of range.
    #[error("a sliding event-time window needs 1 <= slide_ms <= 2^40, got {slide_ms}")]
    WindowSlide {
        /// The slide given, ms.
        slide_ms: u64,
    },
    /// Flink: "parameters must satisfy abs(offset) < size" (tumbling) / "< slide" (sliding).
    #[error("an event-time window needs abs(offset_ms) < {bound} ({bound_ms}), got offset_ms = {offset_ms}")]
    WindowOffset {
        /// The offset given, ms.
        offset_ms: i64,
        /// The bound it must stay under, ms.
        bound_ms: u64,
        /// What the bound is (`size_ms` or `slide_ms`).
        bound: &'static str,
    },
    /// An allowed lateness out of range.
    #[error("allowed_lateness_ms must be at most 2^40, got {allowed_lateness_ms}")]
    AllowedLateness {
        /// The lateness given, ms.
        allowed_lateness_ms: u64,
    },
    /// Allowed lateness, a late side output or a purging trigger on a processing-time window:
    /// its elements are never late (`WindowOperator.isWindowLate` holds for event time only)
    /// and `ProcessingTimeTrigger` purges at its one firing anyway.
    #[error("a processing-time window has no late elements: `{key}` applies to event-time windows only")]
    ProcessingTimeLateness {
        /// The key that does not apply.
        key: &'static str,
    },
    /// A session window's gap out of range (`EventTimeSessionWindows.withGap` needs a gap > 0).
    #[error("a session window needs 1 <= gap_ms <= 2^40, got {gap_ms}")]
    SessionGap {
        /// The gap given, ms.
        gap_ms: u64,
    },
    /// A key the model does not pose on a session window (a processing-time session window, a
    /// purging trigger on a merging window).
    #[error("a session window does not take `{key}` here: {why}")]
    SessionUnsupported {
        /// The key that does not apply.
        key: &'static str,
        /// Why.
        why: &'static str,
    },
    /// [`OperatorKind::User`] without its implementation (use [`Operator::from_user`]).
    #[error("a user operator needs its implementation: build it with Operator::from_user")]
    UserWithoutCode,
}

// ------------------------------------------------------------------------ failure injection

/// Deterministic user-code failures, attachable to any operator. Checked in order before the
/// user function runs; the first that fires throws (later ones are not consulted for that input).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureInjector {
    /// Throw when the input's string form (its `Display`) equals this (seed 004's `ERROR`).
    OnValue(String),
    /// Seed 001's `if (count++ == n - 1) { count = 0; throw }`: the n-th call throws. The counter
    /// lives in [`SurvivingCounters`] (it survives restarts) and resets to 0 when it throws.
    EveryNth {
        /// Every n-th call throws.
        n: u64,
    },
    /// Throw on the first record processed at or after `at_ms`, once per run (the "fired" flag
    /// lives in [`SurvivingCounters`]).
    AtTime {
        /// The simulated time from which it throws, ms.
        at_ms: u64,
    },
    /// Throw the first time a record with this string form is processed, and never again: the
    /// replay after the restore passes (Flink tests' failing mapper with a `static boolean
    /// failed` flag). The flag lives in [`SurvivingCounters`].
    OnceOnValue(String),
    /// Throw on the `n`-th record this subtask processes, counted across attempts (a `static`
    /// counter that is never reset), so it fires exactly once.
    NthRecord {
        /// The record (counted over every attempt) that throws.
        n: u64,
    },
    /// `snapshotState` throws in its synchronous part for checkpoint `checkpoint`: the task fails
    /// (Flink's `StreamTask` turns a synchronous snapshot exception into a task failure).
    SnapshotSync {
        /// The checkpoint whose snapshot throws.
        checkpoint: u64,
    },
    /// The asynchronous part of the snapshot for checkpoint `checkpoint` fails: the task declines
    /// it with `CHECKPOINT_ASYNC_EXCEPTION` (`AsyncCheckpointRunnable`) and keeps running.
    SnapshotAsync {
        /// The checkpoint whose upload fails.
        checkpoint: u64,
    },
    /// `notifyCheckpointComplete(checkpoint)` throws: the task fails before it commits anything.
    NotifyComplete {
        /// The checkpoint whose completion notification throws.
        checkpoint: u64,
    },
    /// `initializeState` throws while restoring state, the first `times` restores (counted in
    /// [`SurvivingCounters`]); a start without restored state does not count.
    OnRestore {
        /// How many restores throw.
        times: u64,
    },
    /// The first `times` deployments of the task fail (handled by the host, which sees the
    /// deployment; the operator itself ignores it).
    OnDeploy {
        /// How many deployments fail.
        times: u64,
    },
}

/// A point of the task lifecycle other than record processing where an injector may fire.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub enum LifecycleHook {
    /// The synchronous part of the snapshot of checkpoint N.
    SnapshotSync(u64),
    /// The asynchronous part (the upload) of checkpoint N's snapshot.
    SnapshotAsync(u64),
    /// `notifyCheckpointComplete` of checkpoint N.
    NotifyComplete(u64),
    /// `initializeState` with restored state.
    Restore,
}

impl FailureInjector {
    /// Checks the injector's parameters (counts of at least 1).
    pub fn validate(&self) -> Result<(), OperatorSpecError> {
        match self {
            FailureInjector::EveryNth { n: 0 } => Err(OperatorSpecError::EveryNthZero),
            FailureInjector::NthRecord { n: 0 }
            | FailureInjector::OnRestore { times: 0 }
            | FailureInjector::OnDeploy { times: 0 } => Err(OperatorSpecError::CountZero),
            _ => Ok(()),
        }
    }

    fn tag(&self) -> &'static str {
        match self {
            FailureInjector::OnValue(_) => "on_value",
            FailureInjector::EveryNth { .. } => "every_nth",
            FailureInjector::AtTime { .. } => "at_time",
            FailureInjector::OnceOnValue(_) => "once_on_value",
            FailureInjector::NthRecord { .. } => "nth_record",
            FailureInjector::SnapshotSync { .. } => "snapshot_sync",
            FailureInjector::SnapshotAsync { .. } => "snapshot_async",
            FailureInjector::NotifyComplete { .. } => "notify_complete",
            FailureInjector::OnRestore { .. } => "on_restore",
            FailureInjector::OnDeploy { .. } => "on_deploy",
        }
    }
}

/// Counters that outlive a task attempt (a `static` in the TaskManager JVM). Owned by the host
/// (the TaskManager node): they survive task restarts and are lost with the TaskManager.
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq)]
pub struct SurvivingCounters(BTreeMap<String, u64>);

impl SurvivingCounters {
    /// The counter named `key`, if it was ever set.
    pub fn get(&self, key: &str) -> Option<u64> {
        self.0.get(key).copied()
    }

    /// Every counter, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// How many counters exist.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no counter exists.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The counter for `key`, created at 0 (allocates only the first time a key is seen).
    fn slot(&mut self, key: &str) -> &mut u64 {
        if !self.0.contains_key(key) {
            self.0.insert(key.to_owned(), 0);
        }
        self.0.get_mut(key).expect("just inserted")
    }
}

/// What an operator sees of its host while processing.
pub struct OperatorContext<'a> {
    /// The simulated time, ms (the only clock user code may read).
    pub now_ms: u64,
    /// Counters that survive task restarts (failure injectors keep theirs here).
    pub counters: &'a mut SurvivingCounters,
    /// unique name of this operator instance for counter keys, e.g. `"map[0]"`
    pub instance: &'a str,
}

/// User code threw: the task fails.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
#[error("{operator}: {message}")]
pub struct UserException {
    /// The operator instance (`OperatorContext::instance`).
    pub operator: String,
    /// What the user code threw.
    pub message: String,
}

// ----------------------------------------------------------------------------------- keys

/// The key a keyed operator (and a hash partitioner) uses: `Pair(k, _)` -> `Str(k)`; `Str` and
/// `Int` are their own key. Never allocates (strings are shared).
pub fn key_of(v: &Value) -> Value {
    match v {
        Value::Pair(k, _) => Value::Str(Arc::clone(k)),
        other => other.clone(),
    }
}

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The standard 64-bit FNV-1a of `bytes` (offset basis and prime of the FNV spec): stable across
/// builds and platforms, for identities that must not depend on a hasher's seed (not for keys:
/// keys are placed by Flink's own function, [`key_group`]).
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

/// The key group (0..[`MAX_PARALLELISM`]) of a key: Flink's `murmurHash(key.hashCode()) % 128`
/// ([`crate::key_group::assign_to_key_group`] with the default max parallelism).
pub fn key_group(key: &Value) -> u32 {
    crate::key_group::assign_to_key_group(key, MAX_PARALLELISM).0
}

/// Key-group routing like Flink's `KeyGroupStreamPartitioner` with the default max parallelism
/// 128: key -> key group ([`key_group`]) -> operator index = key_group * parallelism / 128, so
/// each operator index owns a contiguous range of key groups (`KeyGroupRangeAssignment`).
pub fn key_group_route(key: &Value, parallelism: u32) -> u32 {
    assert!(
        (1..=MAX_PARALLELISM).contains(&parallelism),
        "parallelism {parallelism} outside 1..={MAX_PARALLELISM} (max parallelism)"
    );
    key_group(key) * parallelism / MAX_PARALLELISM
}

// ------------------------------------------------------------------------------- operator

/// One operator instance: its kind, its failure injectors and its state.
#[derive(Clone, Debug, Hash)]
pub struct Operator {
    kind: OperatorKind,
    injectors: Vec<FailureInjector>,
    /// `KeyedAggregate`: key -> the last emitted value (Flink's reduce state holds the last result).
    keyed: BTreeMap<Value, Value>,
    /// `CountWindow`: key -> (elements in the open window, partial sum as the value to emit).
    window: BTreeMap<Value, (u64, Value)>,
    /// `EventWindow`: window contents, timers and the event-time clock.
    event_window: Option<Box<EventWindowOperator>>,
    /// `EventWindow` with a late side output: late records not yet taken by the host.
    late: Vec<Record>,
    /// Counter keys of the injectors (`"{instance}/{index}:{tag}"`), built for `counter_keys_for`
    /// on first use so the per-record path does not format strings.
    counter_keys: Vec<String>,
    counter_keys_for: String,
    /// `User`: the user's code (cloned with the operator through `box_clone`).
    user: Option<Box<dyn UserOperator>>,
    /// The planted `fail-once-flag-per-attempt`: a `fail_once_on_value` flag kept in this
    /// instance (`once_fired_here`) instead of the surviving counters.
    once_flag_per_attempt: bool,
    once_fired_here: u64,
}

impl Operator {
    /// Panics on an invalid combination; use [`Operator::try_new`] (or [`OperatorKind::validate`])
    /// on user input.
    pub fn new(kind: OperatorKind, injectors: Vec<FailureInjector>) -> Self {
        match Operator::try_new(kind, injectors) {
            Ok(op) => op,
            Err(e) => panic!("invalid operator {kind:?}: {e}"),
        }
    }

    /// An operator of `kind` with `injectors`, or why it cannot be built (a function of the
    /// wrong shape, a zero count, a user kind without its code).
    pub fn try_new(kind: OperatorKind, injectors: Vec<FailureInjector>) -> Result<Self, OperatorSpecError> {
        kind.validate()?;
        if kind == OperatorKind::User {
            return Err(OperatorSpecError::UserWithoutCode);
        }
        Operator::build(kind, injectors, None)
    }

    /// An operator of kind [`OperatorKind::User`] running `user` (with failure injectors
    /// consulted before it, as for any operator).
    pub fn from_user(user: Box<dyn UserOperator>, injectors: Vec<FailureInjector>) -> Result<Self, OperatorSpecError> {
        Operator::build(OperatorKind::User, injectors, Some(user))
    }

    fn build(
        kind: OperatorKind,
        injectors: Vec<FailureInjector>,
        user: Option<Box<dyn UserOperator>>,
    ) -> Result<Self, OperatorSpecError> {
        for i in &injectors {
            i.validate()?;
        }
        let op = Operator {
            kind,
            injectors,
            keyed: BTreeMap::new(),
            window: BTreeMap::new(),
            event_window: match kind {
                OperatorKind::EventWindow(spec) => Some(Box::new(EventWindowOperator::new(spec))),
                _ => None,
            },
            late: Vec::new(),
            counter_keys: Vec::new(),
            counter_keys_for: String::new(),
            user,
            once_flag_per_attempt: false,
            once_fired_here: 0,
        };
        op.invariants();
        Ok(op)
    }

    /// Plants `fail-once-flag-per-attempt`: this instance's `fail_once_on_value` flag is its
    /// own (a new attempt's instance throws again).
    pub fn plant_once_flag_per_attempt(&mut self) {
        self.once_flag_per_attempt = true;
    }

    /// The user code of a [`OperatorKind::User`] operator.
    pub fn user(&self) -> Option<&dyn UserOperator> {
        self.user.as_deref()
    }

    /// What the operator does.
    pub fn kind(&self) -> OperatorKind {
        self.kind
    }

    /// Its failure injectors.
    pub fn injectors(&self) -> &[FailureInjector] {
        &self.injectors
    }

    /// Whether it holds keyed state (keyed aggregates, count and event-time windows, keyed user operators).
    pub fn is_keyed(&self) -> bool {
        if let Some(u) = &self.user {
            return u.is_keyed();
        }
        matches!(
            self.kind,
            OperatorKind::KeyedAggregate(_) | OperatorKind::CountWindow { .. } | OperatorKind::EventWindow(_)
        )
    }

    /// Processes one record, appending its outputs to `out` (which is not cleared). On a user
    /// exception nothing is appended and the state is unchanged (except injector counters).
    ///
    /// Invariants: the per-record path asserts the entry it touched (O(1) per record); the full
    /// scan of [`Operator::invariants`] runs after `restore` and on demand.
    pub fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        if !self.injectors.is_empty() {
            self.run_injectors(ctx, &rec.value)?;
        }
        match self.kind {
            OperatorKind::Map(udf) | OperatorKind::FlatMap(udf) | OperatorKind::Filter(udf) => {
                apply_udf(udf, rec, out).map_err(|message| UserException { operator: ctx.instance.to_owned(), message })
            }
            OperatorKind::KeyedAggregate(agg) => {
                let (key, x) = key_and_number(&rec.value);
                // One search: update the accumulator in place, insert only a new key.
                let value = match self.keyed.get_mut(&key) {
                    Some(acc) => {
                        let value = emit_value(&key, agg.fold(Some(number_of(acc)), x));
                        *acc = value.clone();
                        value
                    }
                    None => {
                        let value = emit_value(&key, agg.fold(None, x));
                        self.keyed.insert(key.clone(), value.clone());
                        value
                    }
                };
                assert!(holds_key(&value, &key), "aggregate output {value} not keyed by {key}");
                out.push(Record { value, lineage: rec.lineage, timestamp: rec.timestamp });
                Ok(())
            }
            OperatorKind::CountWindow { size } => {
                let (key, x) = key_and_number(&rec.value);
                let (count, partial) = match self.window.get(&key) {
                    Some((n, acc)) => (n + 1, Aggregate::Sum.fold(Some(number_of(acc)), x)),
                    None => (1, x),
                };
                assert!(count <= size, "window of {key} holds {count} > {size} elements");
                if count == size {
                    self.window.remove(&key);
                    // GlobalWindow.maxTimestamp() is Long.MAX_VALUE: a timestamped input gives that.
                    let timestamp = rec.timestamp.map(|_| i64::MAX);
                    out.push(Record { value: emit_value(&key, partial), lineage: rec.lineage, timestamp });
                } else {
                    let acc = emit_value(&key, partial);
                    self.window.insert(key, (count, acc));
                }
                Ok(())
            }
            OperatorKind::EventWindow(_) => {
                let w = self.event_window.as_mut().expect("an event window operator has its state");
                w.process_element_at(ctx.now_ms, rec, out, &mut self.late)
                    .map_err(|message| UserException { operator: ctx.instance.to_owned(), message })
            }
            OperatorKind::User => self.user.as_mut().expect("a user operator has its code").process(ctx, rec, out),
        }
    }

    /// A new input watermark (`processWatermark`): an event-time window fires the timers at or
    /// below it, appending the results to `out`; other operators hold no timers. The caller
    /// forwards the watermark downstream after the results.
    pub fn process_watermark(&mut self, wm: Watermark, out: &mut Vec<Record>) {
        if let Some(w) = &mut self.event_window {
            w.advance_watermark(wm, out);
        }
        if let Some(u) = &mut self.user {
            crate::user::deliver_watermark(u.as_mut(), wm, out);
        }
    }

    /// A processing-time window's earliest timer, ms (`None`: no processing-time timer).
    pub fn next_processing_timer(&self) -> Option<i64> {
        self.event_window.as_ref().and_then(|w| w.next_processing_timer())
    }

    /// Processing time reached `now_ms`: a processing-time window fires its due timers into
    /// `out` (`drop_due`: the planted `restored-due-timers-dropped` clears them unfired).
    pub fn advance_processing_time(&mut self, now_ms: u64, drop_due: bool, out: &mut Vec<Record>) {
        if let Some(w) = &mut self.event_window {
            w.advance_processing_time(now_ms, drop_due, out);
        }
    }

    /// An event-time window records each element's windows from now on (see
    /// [`crate::window::EventWindowOperator::record_assignments`]); other operators ignore it.
    pub fn record_window_assignments(&mut self) {
        if let Some(w) = &mut self.event_window {
            w.record_assignments();
        }
    }

    /// A processing-time window's element assignments since the last call (for the checker).
    pub fn take_assigned(&mut self, out: &mut Vec<(Record, Vec<crate::window::TimeWindow>)>) {
        if let Some(w) = &mut self.event_window {
            w.take_assigned(out);
        }
    }

    /// The task's input ended (`endInput` / `finish`): a user operator flushes into `out`;
    /// built-in operators hold nothing for the end of input.
    pub fn end_input(&mut self, out: &mut Vec<Record>) {
        if let Some(u) = &mut self.user {
            u.end_of_input(out);
        }
    }

    /// An event-time window records its firings from now on (see
    /// [`crate::window::EventWindowOperator::record_fires`]); other operators ignore it.
    pub fn record_window_fires(&mut self) {
        if let Some(w) = &mut self.event_window {
            w.record_fires();
        }
    }

    /// The event-time window's firings since the last call, with its watermark then.
    pub fn take_window_fires(&mut self, out: &mut Vec<(crate::window::TimeWindow, crate::watermark::Watermark)>) {
        if let Some(w) = &mut self.event_window {
            w.take_fires(out);
        }
    }

    /// Late records for the late side output (`sideOutputLateData`) since the last call.
    pub fn take_late_records(&mut self, out: &mut Vec<Record>) {
        out.append(&mut self.late);
    }

    /// The event-time window's state (contents, timers, watermark), if this is one.
    pub fn event_window(&self) -> Option<&EventWindowOperator> {
        self.event_window.as_deref()
    }

    /// The event-time window itself, if this is one (the planted `late-emitted-to-both`).
    pub fn event_window_mut(&mut self) -> Option<&mut EventWindowOperator> {
        self.event_window.as_deref_mut()
    }

    /// The operator's state for a checkpoint.
    pub fn snapshot(&self) -> OperatorState {
        match self.kind {
            OperatorKind::KeyedAggregate(_) => OperatorState::Keyed(self.keyed.clone()),
            OperatorKind::CountWindow { .. } => OperatorState::Window(self.window.clone()),
            OperatorKind::EventWindow(_) => OperatorState::EventWindow(
                self.event_window.as_ref().expect("an event window operator has its state").snapshot(),
            ),
            OperatorKind::Map(_) | OperatorKind::FlatMap(_) | OperatorKind::Filter(_) => OperatorState::None,
            OperatorKind::User => crate::user::state_of(self.user.as_deref()),
        }
    }

    /// Replaces the state with a snapshot taken by an operator of the same kind. Panics on a
    /// state of another shape (a host bug: state assigned to the wrong operator).
    pub fn restore(&mut self, state: &OperatorState) {
        match (self.kind, state) {
            (OperatorKind::KeyedAggregate(_), OperatorState::Keyed(m)) => self.keyed = m.clone(),
            (OperatorKind::CountWindow { .. }, OperatorState::Window(m)) => self.window = m.clone(),
            (OperatorKind::EventWindow(_), OperatorState::EventWindow(st)) => {
                self.event_window.as_mut().expect("an event window operator has its state").restore(st)
            }
            (OperatorKind::Map(_) | OperatorKind::FlatMap(_) | OperatorKind::Filter(_), OperatorState::None) => {}
            (OperatorKind::User, st) => crate::user::restore_state(self.user.as_deref_mut().expect("user code"), st),
            (kind, st) => panic!("cannot restore {kind:?} from {st:?}"),
        }
        self.invariants();
    }

    /// Panics if an injector is invalid or the state does not fit the kind (a window's contents in an aggregate, ...).
    pub fn invariants(&self) {
        for i in &self.injectors {
            assert!(i.validate().is_ok(), "invalid injector {i:?}");
        }
        assert!(
            self.counter_keys.is_empty() || self.counter_keys.len() == self.injectors.len(),
            "one counter key per injector"
        );
        match self.kind {
            OperatorKind::KeyedAggregate(_) => assert!(self.window.is_empty()),
            OperatorKind::CountWindow { .. } => assert!(self.keyed.is_empty()),
            OperatorKind::EventWindow(_) => {
                assert!(self.keyed.is_empty() && self.window.is_empty());
                self.event_window.as_ref().expect("an event window operator has its state").invariants();
            }
            OperatorKind::User => self.user.as_ref().expect("a user operator has its code").invariants(),
            _ => assert!(
                self.keyed.is_empty() && self.window.is_empty() && self.event_window.is_none(),
                "stateless operator holds state"
            ),
        }
        for (k, v) in &self.keyed {
            assert!(!matches!(k, Value::Pair(..)), "key {k} is a pair");
            assert!(holds_key(v, k), "accumulator {v} stored under key {k}");
        }
        if let OperatorKind::CountWindow { size } = self.kind {
            for (k, (n, acc)) in &self.window {
                assert!(*n >= 1 && *n < size, "open window of {k} holds {n} elements (size {size})");
                assert!(holds_key(acc, k), "window accumulator {acc} stored under key {k}");
            }
        }
    }

    /// Whether the operator has failure injectors at all (none fires without one).
    pub fn has_injectors(&self) -> bool {
        !self.injectors.is_empty()
    }

    /// Whether an injector fires at `hook` (not a record): the exception message if so. Restore
    /// counts use `counters` under `"{instance}/{index}:on_restore"`.
    pub fn lifecycle_failure(
        &self,
        hook: LifecycleHook,
        counters: &mut SurvivingCounters,
        instance: &str,
    ) -> Option<String> {
        for (i, inj) in self.injectors.iter().enumerate() {
            match (inj, hook) {
                (FailureInjector::SnapshotSync { checkpoint }, LifecycleHook::SnapshotSync(id))
                    if *checkpoint == id =>
                {
                    return Some(format!("injected failure in snapshotState (synchronous part) of checkpoint {id}"));
                }
                (FailureInjector::SnapshotAsync { checkpoint }, LifecycleHook::SnapshotAsync(id))
                    if *checkpoint == id =>
                {
                    return Some(format!("injected failure in the asynchronous part of checkpoint {id}"));
                }
                (FailureInjector::NotifyComplete { checkpoint }, LifecycleHook::NotifyComplete(id))
                    if *checkpoint == id =>
                {
                    return Some(format!("injected failure in notifyCheckpointComplete({id})"));
                }
                (FailureInjector::OnRestore { times }, LifecycleHook::Restore) => {
                    let count = counters.slot(&format!("{instance}/{i}:{}", inj.tag()));
                    if *count < *times {
                        *count += 1;
                        return Some(format!("injected failure in initializeState (restore #{count} of {times})"));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The host's deployment hook: whether this deployment fails (the first `times` of
    /// [`FailureInjector::OnDeploy`], counted in `counters`).
    pub fn deploy_failure(&self, counters: &mut SurvivingCounters, instance: &str) -> Option<String> {
        for (i, inj) in self.injectors.iter().enumerate() {
            if let FailureInjector::OnDeploy { times } = inj {
                let count = counters.slot(&format!("{instance}/{i}:{}", inj.tag()));
                if *count < *times {
                    *count += 1;
                    return Some(format!("injected deployment failure (#{count} of {times})"));
                }
            }
        }
        None
    }

    fn run_injectors(&mut self, ctx: &mut OperatorContext<'_>, value: &Value) -> Result<(), UserException> {
        if self.counter_keys_for != ctx.instance || self.counter_keys.is_empty() {
            self.counter_keys = self
                .injectors
                .iter()
                .enumerate()
                .map(|(i, inj)| format!("{}/{i}:{}", ctx.instance, inj.tag()))
                .collect();
            self.counter_keys_for = ctx.instance.to_owned();
        }
        for (inj, key) in self.injectors.iter().zip(&self.counter_keys) {
            let message = match inj {
                FailureInjector::OnValue(s) => {
                    if !display_eq(value, s) {
                        continue;
                    }
                    format!("injected failure: input `{s}`")
                }
                FailureInjector::EveryNth { n } => {
                    let count = ctx.counters.slot(key);
                    let this = *count;
                    *count += 1;
                    if this != n - 1 {
                        continue;
                    }
                    *count = 0;
                    format!("injected failure: call #{n} (every {n}th call throws)")
                }
                FailureInjector::AtTime { at_ms } => {
                    if ctx.now_ms < *at_ms {
                        continue;
                    }
                    let fired = ctx.counters.slot(key);
                    if *fired != 0 {
                        continue;
                    }
                    *fired = 1;
                    format!("injected failure at {} ms (armed for {at_ms} ms)", ctx.now_ms)
                }
                FailureInjector::OnceOnValue(s) => {
                    if !display_eq(value, s) {
                        continue;
                    }
                    let fired =
                        if self.once_flag_per_attempt { &mut self.once_fired_here } else { ctx.counters.slot(key) };
                    if *fired != 0 {
                        continue;
                    }
                    *fired = 1;
                    format!("injected failure: input `{s}` (once)")
                }
                FailureInjector::NthRecord { n } => {
                    let count = ctx.counters.slot(key);
                    *count = count.saturating_add(1);
                    if *count != *n {
                        continue;
                    }
                    format!("injected failure: record #{n} across attempts")
                }
                FailureInjector::SnapshotSync { .. }
                | FailureInjector::SnapshotAsync { .. }
                | FailureInjector::NotifyComplete { .. }
                | FailureInjector::OnRestore { .. }
                | FailureInjector::OnDeploy { .. } => continue,
            };
            return Err(UserException { operator: ctx.instance.to_owned(), message });
        }
        Ok(())
    }
}

/// Applies a map / flat_map / filter function. `Err` carries the exception message.
fn apply_udf(udf: Udf, rec: Record, out: &mut Vec<Record>) -> Result<(), String> {
    let Record { value, lineage, timestamp } = rec;
    let wrong = |what: &str| format!("{udf}: expected {what}, got {value:?}");
    match udf {
        Udf::Identity => out.push(Record { value, lineage, timestamp }),
        Udf::Uppercase => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            let value = if s.chars().any(char::is_lowercase) { Value::Str(Arc::from(s.to_uppercase())) } else { value };
            out.push(Record { value, lineage, timestamp });
        }
        Udf::ToPairOne => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            out.push(Record { value: Value::Pair(Arc::clone(s), 1), lineage, timestamp });
        }
        Udf::ParseInt => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            let n: i64 = s.parse().map_err(|_| format!("{udf}: `{s}` is not a number"))?;
            out.push(Record { value: Value::Int(n), lineage, timestamp });
        }
        Udf::SplitWords | Udf::SplitWordsToPairs => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            for (i, word) in s.split_whitespace().enumerate() {
                let word: Arc<str> = Arc::from(word);
                let value = if udf == Udf::SplitWords { Value::Str(word) } else { Value::Pair(word, 1) };
                out.push(Record { value, lineage: child_lineage(lineage, i), timestamp });
            }
        }
        Udf::DropEmpty => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            if !s.is_empty() {
                out.push(Record { value, lineage, timestamp });
            }
        }
        Udf::IsEven => {
            let Value::Int(n) = value else { return Err(wrong("an integer")) };
            if n % 2 == 0 {
                out.push(Record { value, lineage, timestamp });
            }
        }
        Udf::ParsePair => {
            let Value::Str(s) = &value else { return Err(wrong("a string")) };
            let mut words = s.split_whitespace();
            let (Some(k), Some(n), None) = (words.next(), words.next(), words.next()) else {
                return Err(format!("{udf}: `{s}` is not `key number`"));
            };
            let n: i64 = n.parse().map_err(|_| format!("{udf}: `{n}` is not a number"))?;
            out.push(Record { value: Value::Pair(Arc::from(k), n), lineage, timestamp });
        }
        Udf::DoubleValue => {
            let value = match &value {
                Value::Pair(k, n) => Value::Pair(Arc::clone(k), n.wrapping_mul(2)),
                Value::Int(n) => Value::Int(n.wrapping_mul(2)),
                Value::Str(_) => return Err(wrong("a number")),
            };
            out.push(Record { value, lineage, timestamp });
        }
        Udf::EvenValue => {
            let (Value::Pair(_, n) | Value::Int(n)) = &value else { return Err(wrong("a number")) };
            if n % 2 == 0 {
                out.push(Record { value, lineage, timestamp });
            }
        }
        Udf::SumJoined => {
            let Value::Str(s) = &value else { return Err(wrong("a joined row `(k,a)|(k,b)`")) };
            let (k, a, b) = joined_numbers(s).ok_or_else(|| format!("{udf}: `{s}` is not `(k,a)|(k,b)`"))?;
            out.push(Record { value: Value::Pair(Arc::from(k), a.wrapping_add(b)), lineage, timestamp });
        }
    }
    Ok(())
}

/// The left key and both numbers of a joined row of two keyed numbers, `(k,a)|(k2,b)`.
fn joined_numbers(s: &str) -> Option<(&str, i64, i64)> {
    fn pair(p: &str) -> Option<(&str, i64)> {
        let (k, n) = p.strip_prefix('(')?.strip_suffix(')')?.rsplit_once(',')?;
        Some((k, n.parse().ok()?))
    }
    let (l, r) = s.split_once('|')?;
    let ((k, a), (_, b)) = (pair(l)?, pair(r)?);
    Some((k, a, b))
}

fn child_lineage(parent: Lineage, i: usize) -> Lineage {
    let i = u32::try_from(i).expect("flat_map emitted more than u32::MAX records");
    Lineage { input_seq: parent.input_seq, sub: (parent.sub << FLAT_MAP_SUB_BITS) | i }
}

/// The key and the number an aggregate folds: `Pair(k, v)` -> (`k`, v); `Int(n)` -> (`n`, n);
/// `Str(s)` -> (`s`, 1) (a bare word counts once).
pub(crate) fn key_and_number(v: &Value) -> (Value, i64) {
    let x = match v {
        Value::Pair(_, n) | Value::Int(n) => *n,
        Value::Str(_) => 1,
    };
    (key_of(v), x)
}

/// The number inside an accumulator value (`Pair(_, n)` or `Int(n)`).
fn number_of(v: &Value) -> i64 {
    match v {
        Value::Pair(_, n) | Value::Int(n) => *n,
        Value::Str(s) => panic!("accumulator `{s}` is not a number"),
    }
}

/// What a keyed operator emits for `key` with accumulator `acc`: string keys as `(key,acc)`,
/// integer keys as `acc`.
pub(crate) fn emit_value(key: &Value, acc: i64) -> Value {
    match key {
        Value::Str(k) => Value::Pair(Arc::clone(k), acc),
        Value::Int(_) => Value::Int(acc),
        Value::Pair(..) => unreachable!("key_of never returns a pair"),
    }
}

/// Whether `acc` is what [`emit_value`] produces for `key`.
fn holds_key(acc: &Value, key: &Value) -> bool {
    match (key, acc) {
        (Value::Str(k), Value::Pair(a, _)) => k == a,
        (Value::Int(_), Value::Int(_)) => true,
        _ => false,
    }
}

/// `value.to_string() == target` without allocating.
fn display_eq(value: &Value, target: &str) -> bool {
    struct Cmp<'a> {
        rest: &'a str,
    }
    impl fmt::Write for Cmp<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.rest.strip_prefix(s) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(())
                }
                None => Err(fmt::Error),
            }
        }
    }
    if let Value::Str(s) = value {
        return **s == *target;
    }
    let mut cmp = Cmp { rest: target };
    write!(cmp, "{value}").is_ok() && cmp.rest.is_empty()
}

#[cfg(test)]
#[path = "operator_tests.rs"]
mod tests;
