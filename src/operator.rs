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

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// 64-bit FNV-1a of the key's bytes: a string's UTF-8 bytes; an integer's 8 little-endian bytes;
/// a pair's string bytes followed by its integer's.
pub fn key_hash(key: &Value) -> u64 {
    match key {
        Value::Str(s) => fnv1a(FNV_OFFSET_BASIS, s.as_bytes()),
        Value::Int(i) => fnv1a(FNV_OFFSET_BASIS, &i.to_le_bytes()),
        Value::Pair(s, i) => fnv1a(fnv1a(FNV_OFFSET_BASIS, s.as_bytes()), &i.to_le_bytes()),
    }
}

/// The key group (0..[`MAX_PARALLELISM`]) of a key: [`key_hash`] passed through MurmurHash3's
/// 64-bit finalizer, modulo 128 (Flink likewise murmur-mixes `hashCode()` before the modulo).
/// FNV-1a alone mixes poorly: keys differing only in their last byte (`k1`, `k2`, ...) differ
/// in a few middle bits of the hash.
pub fn key_group(key: &Value) -> u32 {
    (fmix64(key_hash(key)) % u64::from(MAX_PARALLELISM)) as u32
}

/// MurmurHash3's 64-bit finalizer (a bijection with full avalanche).
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Key-group routing like Flink: key -> key group (max_parallelism 128) via a fixed deterministic hash (FNV-1a of the key's bytes; no std hasher) -> operator index = key_group * parallelism / 128.
/// Each operator index owns a contiguous range of key groups, as in Flink's `KeyGroupRangeAssignment`.
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
        };
        op.invariants();
        Ok(op)
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
                w.process_element(rec, out, &mut self.late)
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

    /// The task's input ended (`endInput` / `finish`): a user operator flushes into `out`;
    /// built-in operators hold nothing for the end of input.
    pub fn end_input(&mut self, out: &mut Vec<Record>) {
        if let Some(u) = &mut self.user {
            u.end_of_input(out);
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
                    let fired = ctx.counters.slot(key);
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
    }
    Ok(())
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
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn p(k: &str, v: i64) -> Value {
        Value::Pair(Arc::from(k), v)
    }
    fn i(n: i64) -> Value {
        Value::Int(n)
    }

    /// One step of an operator script.
    enum Step {
        /// Process `value` (input_seq = running step counter) at `now_ms`; expect these outputs
        /// (value, lineage sub) in order.
        In { now_ms: u64, value: Value, out: Vec<(Value, u32)> },
        /// Process `value` at `now_ms`; expect a user exception whose message contains this text.
        Throws { now_ms: u64, value: Value, contains: &'static str },
        /// Expect `snapshot()` to equal this.
        Snapshot(OperatorState),
        /// Simulated restart: snapshot, build a fresh operator of the same spec, restore it.
        /// The surviving counters are kept (same TaskManager).
        Restart,
        /// Restart without any state (no checkpoint), counters kept.
        RestartEmpty,
        /// The TaskManager died: its counters are lost.
        LoseCounters,
    }
    use Step::*;

    fn at(value: Value, out: Vec<(Value, u32)>) -> Step {
        In { now_ms: 0, value, out }
    }
    fn one(value: Value, o: Value) -> Step {
        In { now_ms: 0, value, out: vec![(o, 0)] }
    }
    fn throws(value: Value, contains: &'static str) -> Step {
        Throws { now_ms: 0, value, contains }
    }
    fn none(value: Value) -> Step {
        In { now_ms: 0, value, out: vec![] }
    }

    struct Case {
        name: &'static str,
        kind: OperatorKind,
        injectors: Vec<FailureInjector>,
        steps: Vec<Step>,
    }

    fn case(name: &'static str, kind: OperatorKind, steps: Vec<Step>) -> Case {
        Case { name, kind, injectors: vec![], steps }
    }

    /// Runs every case's script; the one helper of this module.
    fn check(cases: Vec<Case>) {
        for c in cases {
            let mut counters = SurvivingCounters::default();
            let mut op = Operator::new(c.kind, c.injectors.clone());
            let mut out = Vec::new();
            for (n, step) in c.steps.into_iter().enumerate() {
                let at = format!("case `{}` step {n}", c.name);
                let input_seq = n as u64;
                let mut run = |op: &mut Operator, now_ms: u64, value: Value, out: &mut Vec<Record>| {
                    let mut ctx = OperatorContext { now_ms, counters: &mut counters, instance: "op[0]" };
                    out.clear();
                    let r = op.process(&mut ctx, Record::new(value, Lineage { input_seq, sub: 0 }), out);
                    op.invariants();
                    r
                };
                match step {
                    In { now_ms, value, out: want } => {
                        let r = run(&mut op, now_ms, value, &mut out);
                        assert_eq!(r, Ok(()), "{at}");
                        let got: Vec<(Value, u32)> = out
                            .iter()
                            .map(|r| {
                                assert_eq!(r.lineage.input_seq, input_seq, "{at}: lineage input");
                                (r.value.clone(), r.lineage.sub)
                            })
                            .collect();
                        assert_eq!(got, want, "{at}");
                    }
                    Throws { now_ms, value, contains } => {
                        let before = op.snapshot();
                        let err = run(&mut op, now_ms, value, &mut out).expect_err(&at);
                        assert_eq!(err.operator, "op[0]", "{at}");
                        assert!(err.message.contains(contains), "{at}: message `{}`", err.message);
                        assert!(out.is_empty(), "{at}: outputs on failure");
                        assert_eq!(op.snapshot(), before, "{at}: state changed by a throwing call");
                    }
                    Snapshot(want) => assert_eq!(op.snapshot(), want, "{at}"),
                    Restart => {
                        let st = op.snapshot();
                        op = Operator::new(c.kind, c.injectors.clone());
                        op.restore(&st);
                    }
                    RestartEmpty => op = Operator::new(c.kind, c.injectors.clone()),
                    LoseCounters => counters = SurvivingCounters::default(),
                }
            }
        }
    }

    fn keyed(entries: &[(Value, Value)]) -> OperatorState {
        OperatorState::Keyed(entries.iter().cloned().collect())
    }

    #[test]
    fn udfs() {
        use OperatorKind::*;
        check(vec![
            case("identity str", Map(Udf::Identity), vec![one(s("x y"), s("x y")), one(i(3), i(3))]),
            case("identity pair", Map(Udf::Identity), vec![one(p("a", 2), p("a", 2)), Snapshot(OperatorState::None)]),
            case(
                "uppercase",
                Map(Udf::Uppercase),
                vec![one(s("abC d"), s("ABC D")), one(s("ABC"), s("ABC")), one(s(""), s(""))],
            ),
            case("uppercase rejects ints", Map(Udf::Uppercase), vec![throws(i(1), "expected a string")]),
            case(
                "split_words",
                FlatMap(Udf::SplitWords),
                vec![
                    at(s("to be  or\tnot"), vec![(s("to"), 0), (s("be"), 1), (s("or"), 2), (s("not"), 3)]),
                    at(s("   "), vec![]),
                    at(s(""), vec![]),
                    at(s("solo"), vec![(s("solo"), 0)]),
                ],
            ),
            case(
                "split_words_to_pairs",
                FlatMap(Udf::SplitWordsToPairs),
                vec![at(s("a b a"), vec![(p("a", 1), 0), (p("b", 1), 1), (p("a", 1), 2)])],
            ),
            case("flat_map of a map function", FlatMap(Udf::ToPairOne), vec![at(s("a b"), vec![(p("a b", 1), 0)])]),
            case("to_pair_one", Map(Udf::ToPairOne), vec![one(s("a b"), p("a b", 1)), one(s(""), p("", 1))]),
            case(
                "parse_int",
                Map(Udf::ParseInt),
                vec![
                    one(s("42"), i(42)),
                    one(s("-7"), i(-7)),
                    one(s("+5"), i(5)),
                    throws(s("4x"), "`4x` is not a number"),
                    throws(s(" 1"), "not a number"),
                    throws(s(""), "not a number"),
                    throws(s("99999999999999999999"), "not a number"),
                ],
            ),
            case(
                "parse_pair",
                Map(Udf::ParsePair),
                vec![
                    one(s("k3 -17"), p("k3", -17)),
                    throws(s("k3"), "not `key number`"),
                    throws(s("k3 x"), "not a number"),
                    throws(i(1), "expected a string"),
                ],
            ),
            case(
                "double_value",
                Map(Udf::DoubleValue),
                vec![one(p("a", 21), p("a", 42)), one(i(-3), i(-6)), throws(s("a"), "expected a number")],
            ),
            case(
                "even_value",
                Filter(Udf::EvenValue),
                vec![one(p("a", 4), p("a", 4)), none(p("a", 3)), one(i(0), i(0)), throws(s("a"), "expected a number")],
            ),
            case("drop_empty", Filter(Udf::DropEmpty), vec![none(s("")), one(s(" "), s(" ")), one(s("a"), s("a"))]),
            case(
                "is_even",
                Filter(Udf::IsEven),
                vec![
                    one(i(0), i(0)),
                    none(i(1)),
                    one(i(-4), i(-4)),
                    none(i(-3)),
                    throws(s("2"), "expected an integer"),
                ],
            ),
        ]);
    }

    #[test]
    fn nested_flat_maps_keep_lineage_unique() {
        let mut counters = SurvivingCounters::default();
        let mut split = Operator::new(OperatorKind::FlatMap(Udf::SplitWords), vec![]);
        let mut pairs = Operator::new(OperatorKind::FlatMap(Udf::SplitWordsToPairs), vec![]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "x" };
        split.process(&mut ctx, Record::new(s("a b c"), Lineage { input_seq: 9, sub: 0 }), &mut a).unwrap();
        for r in a.drain(..) {
            pairs.process(&mut ctx, r, &mut b).unwrap();
        }
        let subs: Vec<u32> = b.iter().map(|r| r.lineage.sub).collect();
        assert_eq!(subs, vec![0, 1 << FLAT_MAP_SUB_BITS, 2 << FLAT_MAP_SUB_BITS]);
        assert!(b.iter().all(|r| r.lineage.input_seq == 9));
    }

    #[test]
    fn keyed_aggregates() {
        use OperatorKind::KeyedAggregate as K;
        check(vec![
            // Seed 004: a, a, b -> (a,1) (a,2) (b,1); restart from the checkpoint; b, a -> (b,2) (a,3).
            case(
                "seed 004 sum over pairs",
                K(Aggregate::Sum),
                vec![
                    one(p("a", 1), p("a", 1)),
                    one(p("a", 1), p("a", 2)),
                    one(p("b", 1), p("b", 1)),
                    Snapshot(keyed(&[(s("a"), p("a", 2)), (s("b"), p("b", 1))])),
                    Restart,
                    one(p("b", 1), p("b", 2)),
                    one(p("a", 1), p("a", 3)),
                ],
            ),
            case(
                "sum without a checkpoint starts over",
                K(Aggregate::Sum),
                vec![one(p("a", 5), p("a", 5)), RestartEmpty, one(p("a", 1), p("a", 1))],
            ),
            case(
                "sum over ints per key",
                K(Aggregate::Sum),
                vec![
                    one(i(3), i(3)),
                    one(i(3), i(6)),
                    one(i(-2), i(-2)),
                    Restart,
                    one(i(3), i(9)),
                    Snapshot(keyed(&[(i(-2), i(-2)), (i(3), i(9))])),
                ],
            ),
            case(
                "sum wraps like java",
                K(Aggregate::Sum),
                vec![one(i(i64::MAX), i(i64::MAX)), one(i(i64::MAX), i(-2))],
            ),
            case(
                "count over words and pairs",
                K(Aggregate::Count),
                vec![
                    one(s("a"), p("a", 1)),
                    one(p("a", 10), p("a", 2)),
                    Restart,
                    one(s("a"), p("a", 3)),
                    one(i(7), i(1)),
                ],
            ),
            case(
                "max",
                K(Aggregate::Max),
                vec![
                    one(p("a", 3), p("a", 3)),
                    one(p("a", 1), p("a", 3)),
                    Restart,
                    one(p("a", 9), p("a", 9)),
                    one(p("b", -1), p("b", -1)),
                ],
            ),
            case(
                "min",
                K(Aggregate::Min),
                vec![one(p("a", 3), p("a", 3)), one(p("a", 5), p("a", 3)), Restart, one(p("a", -9), p("a", -9))],
            ),
        ]);
    }

    #[test]
    fn count_window() {
        let w = |m: &[(Value, u64, Value)]| {
            OperatorState::Window(m.iter().map(|(k, n, v)| (k.clone(), (*n, v.clone()))).collect())
        };
        check(vec![
            case(
                "tumbling per key, survives restart",
                OperatorKind::CountWindow { size: 3 },
                vec![
                    none(p("a", 1)),
                    none(p("b", 10)),
                    none(p("a", 2)),
                    Snapshot(w(&[(s("a"), 2, p("a", 3)), (s("b"), 1, p("b", 10))])),
                    Restart,
                    one(p("a", 4), p("a", 7)),
                    Snapshot(w(&[(s("b"), 1, p("b", 10))])),
                    none(p("a", 1)),
                    none(p("a", 1)),
                    one(p("a", 1), p("a", 3)),
                    none(i(4)),
                    none(i(4)),
                    one(i(4), i(12)),
                ],
            ),
            case(
                "size 1 emits every element",
                OperatorKind::CountWindow { size: 1 },
                vec![one(s("a"), p("a", 1)), one(s("a"), p("a", 1)), Snapshot(w(&[]))],
            ),
            case(
                "lost without checkpoint",
                OperatorKind::CountWindow { size: 2 },
                vec![none(s("a")), RestartEmpty, none(s("a")), one(s("a"), p("a", 2))],
            ),
        ]);
    }

    #[test]
    fn failure_injectors() {
        let with = |name, kind, injectors, steps| Case { name, kind, injectors, steps };
        let id = OperatorKind::Map(Udf::Identity);
        // Seed 001's records in arrival order.
        let seed = ["p1-1", "p2-1", "p1-2", "p2-2", "p1-3", "p1-4", "p2-3", "p1-5"];
        let mut seed_001: Vec<Step> = seed[..7].iter().map(|r| one(s(r), s(r))).collect();
        seed_001.push(throws(s(seed[7]), "call #8"));
        // After the restart (counter reset to 0 by the throw, surviving the restart) 7 calls pass again.
        seed_001.push(Restart);
        seed_001.extend(["p1-4", "p2-3", "p1-5", "p2-4", "p1-6", "p2-5", "p2-6"].iter().map(|r| one(s(r), s(r))));
        seed_001.push(throws(s("p1-7"), "call #8"));
        seed_001.push(Restart);
        seed_001.push(one(s("p1-7"), s("p1-7")));

        let mut every3_survives: Vec<Step> = vec![one(s("a"), s("a")), one(s("b"), s("b")), Restart];
        every3_survives.push(throws(s("c"), "call #3"));
        let mut every3_lost = vec![one(s("a"), s("a")), one(s("b"), s("b")), LoseCounters];
        every3_lost.extend([one(s("c"), s("c")), one(s("d"), s("d")), throws(s("e"), "#3")]);

        check(vec![
            with(
                "seed 001: every 8th, counter survives and resets",
                id,
                vec![FailureInjector::EveryNth { n: 8 }],
                seed_001,
            ),
            with(
                "every 3rd: counter survives a restart",
                id,
                vec![FailureInjector::EveryNth { n: 3 }],
                every3_survives,
            ),
            with(
                "every 3rd: counter lost with the TaskManager",
                id,
                vec![FailureInjector::EveryNth { n: 3 }],
                every3_lost,
            ),
            with(
                "every 1st always throws",
                id,
                vec![FailureInjector::EveryNth { n: 1 }],
                vec![throws(s("a"), "#1"), throws(s("a"), "#1")],
            ),
            with(
                "seed 004: ERROR throws in the word-count flat_map, state kept",
                OperatorKind::FlatMap(Udf::SplitWordsToPairs),
                vec![FailureInjector::OnValue("ERROR".into())],
                vec![
                    at(s("a"), vec![(p("a", 1), 0)]),
                    throws(s("ERROR"), "ERROR"),
                    at(s("ERRORS"), vec![(p("ERRORS", 1), 0)]),
                    at(s("error"), vec![(p("error", 1), 0)]),
                    Restart,
                    throws(s("ERROR"), "ERROR"),
                ],
            ),
            with(
                "on_value compares the string form of ints and pairs",
                id,
                vec![FailureInjector::OnValue("(a,12)".into()), FailureInjector::OnValue("-5".into())],
                vec![
                    one(p("a", 1), p("a", 1)),
                    one(p("a", 123), p("a", 123)),
                    one(i(-50), i(-50)),
                    one(i(5), i(5)),
                    one(s("(a,1"), s("(a,1")),
                    throws(p("a", 12), "(a,12)"),
                    throws(i(-5), "-5"),
                    throws(s("-5"), "-5"),
                ],
            ),
            with(
                "at_time fires once per run, even across restarts",
                id,
                vec![FailureInjector::AtTime { at_ms: 100 }],
                vec![
                    In { now_ms: 99, value: s("a"), out: vec![(s("a"), 0)] },
                    Throws { now_ms: 100, value: s("b"), contains: "at 100 ms (armed for 100 ms)" },
                    Restart,
                    In { now_ms: 150, value: s("b"), out: vec![(s("b"), 0)] },
                    In { now_ms: 200, value: s("c"), out: vec![(s("c"), 0)] },
                ],
            ),
            with(
                "injectors run before the user function and in order",
                OperatorKind::KeyedAggregate(Aggregate::Sum),
                vec![FailureInjector::EveryNth { n: 2 }, FailureInjector::OnValue("(a,1)".into())],
                vec![
                    throws(p("a", 1), "(a,1)"),
                    throws(p("b", 1), "#2"),
                    one(p("b", 1), p("b", 1)),
                    Snapshot(keyed(&[(s("b"), p("b", 1))])),
                ],
            ),
        ]);
    }

    #[test]
    fn once_only_injectors() {
        let id = OperatorKind::Map(Udf::Identity);
        check(vec![
            Case {
                name: "once on value: throws on the first `b`, the replay passes",
                kind: id,
                injectors: vec![FailureInjector::OnceOnValue("b".into())],
                steps: vec![
                    one(s("a"), s("a")),
                    throws(s("b"), "`b` (once)"),
                    Restart,
                    one(s("b"), s("b")),
                    one(s("b"), s("b")),
                ],
            },
            Case {
                name: "nth record counted across attempts fires once",
                kind: id,
                injectors: vec![FailureInjector::NthRecord { n: 3 }],
                steps: vec![
                    one(s("a"), s("a")),
                    one(s("b"), s("b")),
                    Restart,
                    throws(s("c"), "record #3"),
                    Restart,
                    one(s("c"), s("c")),
                    one(s("d"), s("d")),
                ],
            },
        ]);
    }

    #[test]
    fn lifecycle_injectors() {
        let op = Operator::new(
            OperatorKind::Map(Udf::Identity),
            vec![
                FailureInjector::SnapshotSync { checkpoint: 2 },
                FailureInjector::SnapshotAsync { checkpoint: 3 },
                FailureInjector::NotifyComplete { checkpoint: 4 },
                FailureInjector::OnRestore { times: 2 },
                FailureInjector::OnDeploy { times: 1 },
            ],
        );
        let mut c = SurvivingCounters::default();
        let fires = |h, c: &mut SurvivingCounters| op.lifecycle_failure(h, c, "map[0]").is_some();
        assert!(!fires(LifecycleHook::SnapshotSync(1), &mut c));
        assert!(fires(LifecycleHook::SnapshotSync(2), &mut c));
        assert!(!fires(LifecycleHook::SnapshotAsync(2), &mut c));
        assert!(fires(LifecycleHook::SnapshotAsync(3), &mut c));
        assert!(fires(LifecycleHook::NotifyComplete(4), &mut c));
        assert!(!fires(LifecycleHook::NotifyComplete(3), &mut c));
        // Two restores throw, the third passes.
        assert!(fires(LifecycleHook::Restore, &mut c));
        assert!(fires(LifecycleHook::Restore, &mut c));
        assert!(!fires(LifecycleHook::Restore, &mut c));
        assert!(op.deploy_failure(&mut c, "map[0]").is_some());
        assert!(op.deploy_failure(&mut c, "map[0]").is_none());
        // Record processing ignores lifecycle injectors.
        let mut op = op;
        let mut out = Vec::new();
        let rec = Record::new(s("x"), Lineage { input_seq: 0, sub: 0 });
        op.process(&mut OperatorContext { now_ms: 0, counters: &mut c, instance: "map[0]" }, rec, &mut out).unwrap();
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn at_time_uses_the_context_clock() {
        // `Throws` runs at now_ms = 0: an AtTime armed for 0 fires on the first record only.
        check(vec![Case {
            name: "armed at 0",
            kind: OperatorKind::Map(Udf::Identity),
            injectors: vec![FailureInjector::AtTime { at_ms: 0 }],
            steps: vec![throws(s("a"), "at 0 ms"), one(s("a"), s("a"))],
        }]);
    }

    #[test]
    fn injector_counters_are_per_instance_and_index() {
        let mut counters = SurvivingCounters::default();
        let inj = vec![FailureInjector::EveryNth { n: 2 }, FailureInjector::EveryNth { n: 3 }];
        let mut a = Operator::new(OperatorKind::Map(Udf::Identity), inj.clone());
        let mut b = Operator::new(OperatorKind::Map(Udf::Identity), inj);
        let mut out = Vec::new();
        let rec = || Record::new(s("x"), Lineage { input_seq: 0, sub: 0 });
        a.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[0]" }, rec(), &mut out)
            .unwrap();
        b.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[1]" }, rec(), &mut out)
            .unwrap();
        let got: Vec<(&str, u64)> = counters.iter().collect();
        assert_eq!(
            got,
            vec![
                ("map[0]/0:every_nth", 1),
                ("map[0]/1:every_nth", 1),
                ("map[1]/0:every_nth", 1),
                ("map[1]/1:every_nth", 1)
            ]
        );
        // The same operator value reused under another instance name switches keys.
        a.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[1]" }, rec(), &mut out)
            .expect_err("map[1]'s every-2nd counter is at 1");
        assert_eq!(counters.get("map[1]/0:every_nth"), Some(0));
        assert_eq!(counters.get("map[0]/0:every_nth"), Some(1));
    }

    #[test]
    fn parsing_and_validation() {
        let names = [
            "identity",
            "uppercase",
            "split_words",
            "split_words_to_pairs",
            "to_pair_one",
            "parse_int",
            "drop_empty",
            "is_even",
            "parse_pair",
            "double_value",
            "even_value",
        ];
        assert_eq!(Udf::names(), names);
        for (n, u) in names.iter().zip(Udf::ALL) {
            assert_eq!(Udf::parse(n), Some(u));
            assert_eq!(u.name(), *n);
            assert_eq!(serde_json::to_string(&u).unwrap(), format!("\"{n}\""));
        }
        assert_eq!(Udf::parse("Identity"), None);
        assert_eq!(Udf::parse("split"), None);
        assert_eq!(Aggregate::names(), ["sum", "count", "max", "min"]);
        for (n, a) in Aggregate::names().iter().zip(Aggregate::ALL) {
            assert_eq!(Aggregate::parse(n), Some(a));
        }
        assert_eq!(Aggregate::parse("avg"), None);
        let ok = [
            OperatorKind::Map(Udf::ParseInt),
            OperatorKind::FlatMap(Udf::SplitWords),
            OperatorKind::FlatMap(Udf::Identity),
            OperatorKind::Filter(Udf::IsEven),
            OperatorKind::CountWindow { size: 1 },
            OperatorKind::KeyedAggregate(Aggregate::Min),
        ];
        for k in ok {
            assert_eq!(k.validate(), Ok(()), "{k:?}");
        }
        let err = OperatorKind::Map(Udf::SplitWords).validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`split_words` is a flat_map function and cannot be used in map; map accepts: identity, uppercase, to_pair_one, parse_int, parse_pair, double_value"
        );
        assert!(OperatorKind::Filter(Udf::Uppercase).validate().is_err());
        assert!(OperatorKind::FlatMap(Udf::DropEmpty).validate().is_err());
        assert_eq!(OperatorKind::CountWindow { size: 0 }.validate(), Err(OperatorSpecError::EmptyCountWindow));
        assert_eq!(
            Operator::try_new(OperatorKind::Map(Udf::Identity), vec![FailureInjector::EveryNth { n: 0 }]).unwrap_err(),
            OperatorSpecError::EveryNthZero
        );
        assert!(Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![]).is_keyed());
        assert!(Operator::new(OperatorKind::CountWindow { size: 2 }, vec![]).is_keyed());
        assert!(!Operator::new(OperatorKind::Map(Udf::Identity), vec![]).is_keyed());
    }

    #[test]
    #[should_panic(expected = "cannot restore")]
    fn restore_rejects_foreign_state() {
        Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![])
            .restore(&OperatorState::Window(BTreeMap::new()));
    }

    #[test]
    fn key_extraction() {
        assert_eq!(key_of(&p("a", 3)), s("a"));
        assert_eq!(key_of(&s("a b")), s("a b"));
        assert_eq!(key_of(&i(-1)), i(-1));
    }

    #[test]
    fn key_group_routing() {
        // FNV-1a 64 reference vectors.
        assert_eq!(key_hash(&s("")), 0xcbf2_9ce4_8422_2325);
        assert_eq!(key_hash(&s("a")), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(key_hash(&s("foobar")), 0x8594_4171_f739_67e8);
        assert_eq!(fmix64(0), 0);
        assert_eq!(key_group(&s("a")), (fmix64(0xaf63_dc4c_8601_ec8c) % 128) as u32);
        // A pair hashes its string then its number; ints hash their 8 LE bytes.
        assert_eq!(key_hash(&p("a", 0)), fnv1a(key_hash(&s("a")), &[0; 8]));
        assert_ne!(key_hash(&i(1)), key_hash(&i(256)));

        let keys: Vec<Value> = (0..2000).map(|n| s(&format!("k{n}"))).chain((0..500).map(i)).collect();
        for par in [1u32, 2, 3, 7, 64, 128] {
            let mut hits = vec![0u32; par as usize];
            for k in &keys {
                let r = key_group_route(k, par);
                assert!(r < par);
                assert_eq!(r, key_group_route(k, par), "deterministic");
                assert_eq!(r, key_group(k) * par / MAX_PARALLELISM, "route = key_group * p / 128");
                hits[r as usize] += 1;
            }
            // Every operator index receives keys, and no index more than twice its fair share.
            let fair = keys.len() as u32 / par;
            assert!(hits.iter().all(|h| *h > 0 && *h <= 2 * fair + 2), "p={par}: {hits:?}");
        }
        // Every key group is hit by some key; parallelism 1 routes everything to 0.
        let groups: std::collections::BTreeSet<u32> = keys.iter().map(key_group).collect();
        assert_eq!(groups.len(), MAX_PARALLELISM as usize);
        assert!(keys.iter().all(|k| key_group_route(k, 1) == 0));
        // Routing is monotone in the key group: contiguous key-group ranges per operator (Flink).
        for par in [3u32, 5] {
            let mut last = 0;
            for g in 0..MAX_PARALLELISM {
                let r = g * par / MAX_PARALLELISM;
                assert!(r >= last);
                last = r;
            }
            assert_eq!(last, par - 1);
        }
        // A fixed value pins the hash function across builds and platforms.
        let pinned: Vec<u32> = ["a", "b", "hello", "world"].iter().map(|k| key_group(&s(k))).collect();
        assert_eq!(pinned, vec![91, 80, 68, 21], "computed independently of this file");
        // Ints that differ only in a byte's top bit land in different groups (FNV's low bits alone would not).
        assert_ne!(key_group(&i(1)), key_group(&i(129)));
    }

    #[test]
    #[should_panic(expected = "outside 1..=128")]
    fn key_group_route_rejects_parallelism_above_max() {
        key_group_route(&s("a"), 129);
    }
}
