//! User code: the traits a downstream crate implements to bring its own operator, source and two-phase-commit sink to the model (sans-IO, deterministic).
//!
//! # Determinism rules
//!
//! A run is a pure function of its scenario and seed; user code must keep it so, or two runs
//! of one seed stop giving the same trace (the scenario harness runs every scenario twice and
//! compares trace hashes, so a violation shows up as a failed determinism trial):
//!
//! * **no wall clock**: time is the `now_ms` the host passes in ([`OperatorContext::now_ms`]);
//!   never `std::time::Instant` or `SystemTime`;
//! * **no OS randomness**: no `rand::thread_rng`, `getrandom` or random-seeded hashers; derive
//!   any pseudo-randomness from the records themselves;
//! * **no default-hashed iteration**: iterate `BTreeMap`/`BTreeSet` (or an insertion-ordered
//!   map), never a `std` hash map or set whose order changes from process to process;
//! * **no I/O, threads, globals**: state lives in `self` and leaves only through
//!   [`UserOperator::snapshot`]; a `static` or a file would survive a simulated crash that the
//!   real system would not survive (or the other way round);
//! * **no panics on input**: a bad record is a [`UserException`] (the task fails and restarts,
//!   as when Flink user code throws), a panic is a bug in the harness's eyes.
//!
//! # What the host does with a user operator
//!
//! An [`Operator`] of kind [`OperatorKind::User`]
//! wraps a `Box<dyn UserOperator>`: records go to [`UserOperator::process`], watermarks to
//! [`UserOperator::on_watermark`] (event-time timers fire there; Flink's
//! `AbstractStreamOperator.processWatermark` → `InternalTimerService.advanceWatermark`), a
//! checkpoint takes [`UserOperator::snapshot`] (Flink's `snapshotState`) and a restore hands it
//! back to a fresh instance through [`UserOperator::restore`] (`initializeState`). A keyed user
//! operator's state is keyed state: one [`Value`] per key, stored like the built-in aggregates'
//! ([`OperatorState::Keyed`]), so it is partitioned by key
//! group on a rescale exactly as theirs. The built-in operators implement the same trait
//! (`impl UserOperator for Operator`), so a host can drive either through it.
//!
//! [`UserSource`] and [`UserSink`] describe a source's splits with their checkpointed position
//! (Flink's `SourceReader` / `SourceSplit`) and a transactional sink's life cycle (Flink's
//! `TwoPhaseCommitSinkFunction`); [`TwoPhaseCommitDriver`] drives a [`UserSink`] through
//! checkpoints the way the model's own two-phase-commit sink is driven.

#![warn(missing_docs)]

use crate::ids::{CheckpointId, PartitionId};
use crate::operator::{Operator, OperatorContext, OperatorKind, UserException};
use crate::record::{Record, Value};
use crate::rescale::ListMode;
use crate::state::OperatorState;
use crate::watermark::Watermark;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Per-key state of a keyed user operator: key → a serializable [`Value`] (Flink's
/// `ValueState` of every key the subtask owns). A richer state can be encoded into a
/// [`Value::Str`] (e.g. JSON).
pub type KeyedState = BTreeMap<Value, Value>;

/// A user-defined operator (one parallel instance). See the module docs for the determinism
/// rules and how the host calls it.
///
/// ```
/// use ckptsim::operator::{key_of, OperatorContext, UserException};
/// use ckptsim::record::{Record, Value};
/// use ckptsim::user::{KeyedState, UserOperator};
///
/// /// Counts records per key and emits `(key, count)`.
/// #[derive(Clone, Debug, Default)]
/// struct Counter { counts: KeyedState }
///
/// impl UserOperator for Counter {
///     fn name(&self) -> &str { "counter" }
///     fn is_keyed(&self) -> bool { true }
///     fn process(&mut self, _: &mut OperatorContext<'_>, rec: Record, out: &mut Vec<Record>)
///         -> Result<(), UserException> {
///         let Value::Str(key) = key_of(&rec.value) else { return Ok(()) };
///         let n = match self.counts.get(&Value::Str(key.clone())) { Some(Value::Int(n)) => n + 1, _ => 1 };
///         self.counts.insert(Value::Str(key.clone()), Value::Int(n));
///         out.push(Record { value: Value::Pair(key, n), ..rec });
///         Ok(())
///     }
///     fn snapshot(&self) -> KeyedState { self.counts.clone() }
///     fn restore(&mut self, state: &KeyedState) { self.counts = state.clone(); }
///     fn box_clone(&self) -> Box<dyn UserOperator> { Box::new(self.clone()) }
/// }
/// ```
pub trait UserOperator: fmt::Debug + Send + Sync {
    /// The name the registry knows it by (shown in traces and errors).
    fn name(&self) -> &str;

    /// Whether the operator holds keyed state: it must then follow a `key_by` and emit values
    /// keyed like its input (`Pair(key, _)` for a string key, `Int` for an integer key), and its
    /// [`snapshot`](UserOperator::snapshot) is per key. A non-keyed user operator is stateless
    /// for the model (its snapshot is not stored).
    fn is_keyed(&self) -> bool {
        false
    }

    /// One input record: append zero or more outputs to `out` (do not clear it). An `Err`
    /// fails the task (user code threw); the operator's state should then be unchanged.
    fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException>;

    /// A new input watermark: fire the event-time timers at or below it into `out`. The host
    /// forwards the watermark downstream after these outputs. Default: no timers.
    fn on_watermark(&mut self, wm: Watermark, out: &mut Vec<Record>) {
        let _ = (wm, out);
    }

    /// The input ended (Flink's `BoundedOneInput.endInput`, then `finish`): flush what is
    /// buffered. Called once per attempt, when the task's input ends: at the end of a bounded
    /// input (after the `Watermark::MAX` that ends event time, when the job has event time), and
    /// with flink-2.3 on a `stop --drain` before the savepoint's snapshot (semantics §12.6).
    /// Not called by a stop without drain (flink-2.3), and with flink-1.11 only after the stop's
    /// savepoint, when the task finishes. Default: nothing.
    fn end_of_input(&mut self, out: &mut Vec<Record>) {
        let _ = out;
    }

    /// The state for a checkpoint (keyed operators: every key this instance holds). Default:
    /// no keyed state (a stateless operator, or one with only list state).
    fn snapshot(&self) -> KeyedState {
        KeyedState::new()
    }

    /// Replace the state with a snapshot (possibly merged from several old subtasks after a
    /// rescale: the keys of this instance's key groups). Called on a fresh instance. Default:
    /// nothing to restore (see [`snapshot`](UserOperator::snapshot)).
    fn restore(&mut self, _state: &KeyedState) {}

    /// Whether a non-keyed operator holds operator list state (Flink's `CheckpointedFunction`
    /// with `getListState`): its [`snapshot_list`](UserOperator::snapshot_list) is then stored in
    /// every checkpoint and handed back to [`restore_list`](UserOperator::restore_list). Default:
    /// no list state.
    fn has_list_state(&self) -> bool {
        false
    }

    /// How Flink redistributes the list state on restore (Flink's `OperatorStateHandle.Mode`):
    /// [`ListMode::SplitDistribute`] (`getListState`, the default), [`ListMode::Union`]
    /// (`getUnionListState`: every subtask restores every subtask's entries, on every restore) or
    /// [`ListMode::Broadcast`] (`getBroadcastState`: new subtask `i` restores old subtask
    /// `i % p_old`'s copy). Read only when [`has_list_state`](UserOperator::has_list_state).
    fn list_state_mode(&self) -> ListMode {
        ListMode::SplitDistribute
    }

    /// The list state's entries for a checkpoint (`snapshotState` filling the `ListState`).
    fn snapshot_list(&self) -> Vec<Value> {
        Vec::new()
    }

    /// Replace the list state with `entries` (`initializeState`): this subtask's own entries, or
    /// after a rescale its even share of every old subtask's entries. Called on a fresh instance.
    fn restore_list(&mut self, entries: &[Value]) {
        let _ = entries;
    }

    /// Internal consistency (panics if broken); the host calls it after every restore.
    fn invariants(&self) {}

    /// A copy of this instance (operators are cloned when a task is built).
    fn box_clone(&self) -> Box<dyn UserOperator>;
}

impl Clone for Box<dyn UserOperator> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// A user operator is hashed by its `Debug` text (the trait asks for `Debug`, not `Hash`): what
/// lets a task holding one derive `Hash` (a host fingerprints states with it).
impl std::hash::Hash for dyn UserOperator {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        struct Text<'a, H>(&'a mut H);
        impl<H: std::hash::Hasher> fmt::Write for Text<'_, H> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        // Formatting into a hasher cannot fail.
        let _ = fmt::write(&mut Text(h), format_args!("{self:?}"));
        h.write_u8(0xff);
    }
}

/// Builds fresh user operator instances: what a registry holds per name.
pub type UserOperatorFactory = Arc<dyn Fn() -> Box<dyn UserOperator> + Send + Sync>;

/// A watermark for a user operator: its timers. `Watermark::MAX` is no end of input: 1.11's
/// `stop --drain` sends it without one (the task's end of input calls
/// [`UserOperator::end_of_input`]).
pub(crate) fn deliver_watermark(u: &mut dyn UserOperator, wm: Watermark, out: &mut Vec<Record>) {
    u.on_watermark(wm, out);
}

/// A user operator's state in a checkpoint: keyed state when it is keyed, its list state when
/// it has one, else none.
pub(crate) fn state_of(u: Option<&dyn UserOperator>) -> OperatorState {
    match u {
        Some(u) if u.is_keyed() => OperatorState::Keyed(u.snapshot()),
        Some(u) if u.has_list_state() => match u.list_state_mode() {
            ListMode::SplitDistribute => OperatorState::UserList(u.snapshot_list()),
            mode => OperatorState::SharedList { mode, entries: u.snapshot_list() },
        },
        _ => OperatorState::None,
    }
}

/// Restores a user operator from its state in a checkpoint. Panics on a state of another shape
/// (a host bug: state assigned to the wrong operator).
pub(crate) fn restore_state(u: &mut dyn UserOperator, state: &OperatorState) {
    match state {
        OperatorState::Keyed(m) if u.is_keyed() => u.restore(m),
        OperatorState::UserList(entries) if !u.is_keyed() => u.restore_list(entries),
        OperatorState::SharedList { entries, .. } if !u.is_keyed() => u.restore_list(entries),
        OperatorState::None => {}
        st => panic!("cannot restore user operator `{}` from {st:?}", u.name()),
    }
}

// ----------------------------------------------------------------------------- sources

/// A user-defined source over named splits (Flink's `Source` with its `SourceReader` and
/// `SourceSplit`s): each split has a position that the checkpoint stores and a restore resumes
/// from. Deterministic like every user trait (module docs).
///
/// A position counts the records read from its split (Kafka's next offset): the host stores the
/// positions of the splits a subtask owns in the checkpoint as that subtask's split state, and
/// a restored reader must resume exactly there. Reading a split from a position must give the
/// same records every time (a replayable source), or a restore cannot be exactly once.
pub trait UserSource: fmt::Debug + Send {
    /// Every split of the source, in a stable order (the host assigns them to the parallel
    /// readers as the partitions of the source's Kafka topic: split `i` to subtask
    /// `rescale::kafka_split_owner(topic, i, parallelism)`).
    fn splits(&self) -> Vec<PartitionId>;
    /// The next record of `split` available at `now_ms` (simulated time) at the current
    /// position, advancing it; `None` when the split has nothing available yet (or ended).
    fn poll_next(&mut self, split: PartitionId, now_ms: u64) -> Option<Value>;
    /// Every split's position for a checkpoint (Flink's `snapshotState` → split states).
    fn positions(&self) -> BTreeMap<PartitionId, u64>;
    /// Resume at the checkpointed positions (splits absent from `positions` start at 0).
    fn restore(&mut self, positions: &BTreeMap<PartitionId, u64>);
    /// Whether every split ended (a bounded source).
    fn is_ended(&self) -> bool {
        false
    }
}

/// Builds a fresh [`UserSource`] (one per reader attempt, and one for the host's reading of the
/// whole input): what a registry holds per source name.
pub type UserSourceFactory = Arc<dyn Fn() -> Box<dyn UserSource> + Send + Sync>;

// ------------------------------------------------------------------------------- sinks

/// A transaction handle of a [`UserSink`] (Flink's `TXN` type parameter).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserTxn(pub u64);

/// A user-defined two-phase-commit sink, the life cycle of Flink's `TwoPhaseCommitSinkFunction`:
/// records are written into the open transaction; a checkpoint's snapshot pre-commits it and
/// opens the next one; the checkpoint's completion commits every pre-committed transaction up to
/// it; a restore commits the transactions pre-committed in the restored checkpoint again
/// (`recoverAndCommit`: so `commit` must be idempotent) and aborts the one that was open.
pub trait UserSink: fmt::Debug + Send {
    /// Open a new transaction (`beginTransaction`).
    fn begin(&mut self) -> UserTxn;
    /// Write one record into `txn` (`invoke`). The record carries its [`crate::record::Lineage`]
    /// (which input it derives from): a sink whose committed output the host checks keeps it
    /// with the value and hands it back from [`UserSinkSystem::take_committed`].
    fn write(&mut self, txn: UserTxn, record: &Record) -> Result<(), String>;
    /// Flush `txn` so that a later commit cannot fail for lack of data (`preCommit`).
    fn pre_commit(&mut self, txn: UserTxn) -> Result<(), String>;
    /// Make `txn`'s records visible (`commit`). Called again for the same transaction after a
    /// restore: committing twice must not publish twice.
    fn commit(&mut self, txn: UserTxn) -> Result<(), String>;
    /// Drop `txn`'s records (`abort`).
    fn abort(&mut self, txn: UserTxn);
}

impl UserSink for Box<dyn UserSink> {
    fn begin(&mut self) -> UserTxn {
        (**self).begin()
    }
    fn write(&mut self, txn: UserTxn, record: &Record) -> Result<(), String> {
        (**self).write(txn, record)
    }
    fn pre_commit(&mut self, txn: UserTxn) -> Result<(), String> {
        (**self).pre_commit(txn)
    }
    fn commit(&mut self, txn: UserTxn) -> Result<(), String> {
        (**self).commit(txn)
    }
    fn abort(&mut self, txn: UserTxn) {
        (**self).abort(txn)
    }
}

/// The external system behind a [`UserSink`] (a database, a Kafka cluster): one per simulated
/// run, it outlives every crash of the job. A host that runs a user sink opens one writer per
/// sink subtask attempt with [`open`](UserSinkSystem::open) and reads what became visible with
/// [`take_committed`](UserSinkSystem::take_committed) after every commit, so its checkers judge
/// the output the user's system really published.
pub trait UserSinkSystem: fmt::Debug + Send {
    /// A writer for one attempt of sink subtask `subtask` (attempt numbers grow with every
    /// restart, so a writer can name its transactions uniquely from them). The host drops the
    /// writer when the attempt ends (crash or cancel), without any call: what it kept in memory
    /// is gone, what it handed to the system stays.
    fn open(&mut self, subtask: u32, attempt: u32) -> Box<dyn UserSink>;
    /// The records that became visible since the last call, in the order they became visible
    /// (drained). A record published twice is returned twice.
    fn take_committed(&mut self) -> Vec<Record>;
}

/// Builds a fresh [`UserSinkSystem`] for each run: what a registry holds per sink name.
pub type UserSinkFactory = Arc<dyn Fn() -> Box<dyn UserSinkSystem> + Send + Sync>;

/// A user-defined sink without transactions, at least once (Flink's `SinkWriter` of a sink
/// built with `DeliveryGuarantee.AT_LEAST_ONCE`): a written record may become visible at once,
/// and [`flush`](UserWriter::flush) makes everything written so far visible. The host flushes at
/// every checkpoint before the sink's snapshot (Flink's `SinkWriterOperator` calls
/// `SinkWriter.flush` from `prepareSnapshotPreBarrier`), so a completed checkpoint's records are
/// all visible; after a restore the job replays from the checkpoint, and the records written
/// after it are written again: duplicates, never losses.
pub trait UserWriter: fmt::Debug + Send {
    /// Writes one record (`SinkWriter.write`); it may be visible at once or buffered until the
    /// next flush. An `Err` fails the task (user code threw).
    fn write(&mut self, record: &Record) -> Result<(), String>;
    /// Makes every record written so far visible (`SinkWriter.flush`). Default: writes are
    /// visible at once, nothing to flush.
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// The external system behind a [`UserWriter`]: one per simulated run, it outlives every crash.
/// A host opens one writer per sink subtask attempt with [`open`](UserWriterSystem::open) and
/// reads what became visible with [`take_published`](UserWriterSystem::take_published) after
/// every write and flush; what a writer buffered and did not flush dies with its attempt.
pub trait UserWriterSystem: fmt::Debug + Send {
    /// A writer for one attempt of sink subtask `subtask` (attempt numbers grow with every
    /// restart). The host drops it, without a call, when the attempt ends.
    fn open(&mut self, subtask: u32, attempt: u32) -> Box<dyn UserWriter>;
    /// The records that became visible since the last call, in order (drained). A record
    /// written twice (a replay after a restore) is returned twice.
    fn take_published(&mut self) -> Vec<Record>;
}

/// Builds a fresh [`UserWriterSystem`] for each run: what a registry holds per at-least-once
/// sink name.
pub type UserWriterFactory = Arc<dyn Fn() -> Box<dyn UserWriterSystem> + Send + Sync>;

/// What a [`TwoPhaseCommitDriver`] stores in a checkpoint: the transactions pre-committed and
/// not yet known committed, by checkpoint, and the open one (aborted on restore).
#[derive(Clone, Debug, Hash, Default, PartialEq, Eq)]
pub struct SinkSnapshot {
    /// Pre-committed transactions by the checkpoint that pre-committed them.
    pub pending: Vec<(CheckpointId, UserTxn)>,
    /// The transaction open when the snapshot was taken.
    pub current: Option<UserTxn>,
}

/// Drives a [`UserSink`] through checkpoints: the sans-IO equivalent of Flink's
/// `TwoPhaseCommitSinkFunction` around the user's hooks (one parallel instance).
#[derive(Debug, Hash)]
pub struct TwoPhaseCommitDriver<S: UserSink> {
    sink: S,
    current: Option<UserTxn>,
    pending: Vec<(CheckpointId, UserTxn)>,
}

impl<S: UserSink> TwoPhaseCommitDriver<S> {
    /// A driver with a fresh transaction open.
    pub fn new(mut sink: S) -> Self {
        let current = Some(sink.begin());
        TwoPhaseCommitDriver { sink, current, pending: Vec::new() }
    }

    /// The user's sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Writes one record into the open transaction.
    pub fn invoke(&mut self, record: &Record) -> Result<(), String> {
        let txn = self.current.expect("a transaction is always open between snapshots");
        self.sink.write(txn, record)
    }

    /// Snapshot for checkpoint `id`: pre-commit the open transaction, remember it under `id`
    /// and open the next one (`snapshotState`).
    pub fn snapshot(&mut self, id: CheckpointId) -> Result<SinkSnapshot, String> {
        let txn = self.current.take().expect("a transaction is always open between snapshots");
        self.sink.pre_commit(txn)?;
        self.pending.push((id, txn));
        self.current = Some(self.sink.begin());
        self.invariants();
        Ok(SinkSnapshot { pending: self.pending.clone(), current: self.current })
    }

    /// Checkpoint `id` completed: commit every pending transaction up to it, in order
    /// (`notifyCheckpointComplete`; a later completion subsumes earlier ones).
    pub fn notify_complete(&mut self, id: CheckpointId) -> Result<(), String> {
        while let Some(&(cp, txn)) = self.pending.first() {
            if cp > id {
                break;
            }
            self.sink.commit(txn)?;
            self.pending.remove(0);
        }
        self.invariants();
        Ok(())
    }

    /// A fresh instance restored from `snapshot` (`initializeState`): commit what the
    /// checkpoint had pre-committed (it completed, or we would not restore from it), abort its
    /// open transaction and begin a new one.
    pub fn restore(mut sink: S, snapshot: &SinkSnapshot) -> Result<Self, String> {
        for &(_, txn) in &snapshot.pending {
            sink.commit(txn)?;
        }
        if let Some(txn) = snapshot.current {
            sink.abort(txn);
        }
        Ok(TwoPhaseCommitDriver::new(sink))
    }

    /// Pending checkpoints ascend and the open transaction is not pending.
    pub fn invariants(&self) {
        assert!(self.pending.windows(2).all(|w| w[0].0 < w[1].0), "pending checkpoints ascend");
        if let Some(c) = self.current {
            assert!(self.pending.iter().all(|&(_, t)| t != c), "the open transaction is not pending");
        }
    }
}

// ------------------------------------------------------------------- the user-code trait

/// The built-in operators through the user-code trait: a host that drives operators as
/// [`UserOperator`]s runs the built-ins with the same calls (keyed built-ins snapshot their
/// per-key accumulators; windows and stateless operators have no [`KeyedState`] and snapshot
/// empty here; their full state stays available through [`Operator::snapshot`]).
impl UserOperator for Operator {
    fn name(&self) -> &str {
        match self.kind() {
            OperatorKind::Map(_) => "map",
            OperatorKind::FlatMap(_) => "flat_map",
            OperatorKind::Filter(_) => "filter",
            OperatorKind::KeyedAggregate(a) => a.name(),
            OperatorKind::CountWindow { .. } => "count_window",
            OperatorKind::EventWindow(_) => "event_window",
            OperatorKind::User => self.user().map_or("user", |u| u.name()),
        }
    }

    fn is_keyed(&self) -> bool {
        Operator::is_keyed(self)
    }

    fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        Operator::process(self, ctx, rec, out)
    }

    fn on_watermark(&mut self, wm: Watermark, out: &mut Vec<Record>) {
        Operator::process_watermark(self, wm, out)
    }

    fn snapshot(&self) -> KeyedState {
        match Operator::snapshot(self) {
            OperatorState::Keyed(m) => m,
            _ => KeyedState::new(),
        }
    }

    fn restore(&mut self, state: &KeyedState) {
        if matches!(self.kind(), OperatorKind::KeyedAggregate(_)) || self.user().is_some_and(|u| u.is_keyed()) {
            Operator::restore(self, &OperatorState::Keyed(state.clone()))
        }
    }

    fn has_list_state(&self) -> bool {
        self.user().is_some_and(|u| u.has_list_state())
    }

    fn list_state_mode(&self) -> ListMode {
        self.user().map_or(ListMode::SplitDistribute, |u| u.list_state_mode())
    }

    fn snapshot_list(&self) -> Vec<Value> {
        match Operator::snapshot(self) {
            OperatorState::UserList(v) | OperatorState::SharedList { entries: v, .. } => v,
            _ => Vec::new(),
        }
    }

    fn restore_list(&mut self, entries: &[Value]) {
        if self.user().is_some_and(|u| u.has_list_state()) {
            Operator::restore(self, &OperatorState::UserList(entries.to_vec()))
        }
    }

    fn invariants(&self) {
        Operator::invariants(self)
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::{Aggregate, SurvivingCounters};
    use crate::record::Lineage;

    fn feed(op: &mut dyn UserOperator, words: &[&str]) -> Vec<String> {
        let mut counters = SurvivingCounters::default();
        let mut out = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "t" };
            let rec = Record::new(Value::Pair(Arc::from(*w), 1), Lineage { input_seq: i as u64, sub: 0 });
            op.process(&mut ctx, rec, &mut out).expect("no injectors");
        }
        out.iter().map(|r| r.value.to_string()).collect()
    }

    #[test]
    fn a_built_in_runs_through_the_trait_and_restores_its_keys() {
        let mut op: Box<dyn UserOperator> =
            Box::new(Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![]));
        assert!(op.is_keyed());
        assert_eq!(op.name(), "sum");
        assert_eq!(feed(op.as_mut(), &["a", "b", "a"]), ["(a,1)", "(b,1)", "(a,2)"]);
        let state = op.snapshot();
        assert_eq!(state.len(), 2);
        let mut fresh: Box<dyn UserOperator> =
            Box::new(Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![]));
        fresh.restore(&state);
        assert_eq!(feed(fresh.as_mut(), &["a"]), ["(a,3)"]);
        // A stateless built-in has no keyed state.
        let map = Operator::new(OperatorKind::Map(crate::operator::Udf::Identity), vec![]);
        assert!(UserOperator::snapshot(&map).is_empty());
    }

    /// Buffers the values it saw (non-keyed list state) and emits how many it holds.
    #[derive(Clone, Debug, Hash, Default)]
    struct Buffer(Vec<Value>);

    impl UserOperator for Buffer {
        fn name(&self) -> &str {
            "buffer"
        }
        fn process(
            &mut self,
            _: &mut OperatorContext<'_>,
            rec: Record,
            out: &mut Vec<Record>,
        ) -> Result<(), UserException> {
            self.0.push(rec.value.clone());
            out.push(Record { value: Value::Int(self.0.len() as i64), ..rec });
            Ok(())
        }
        fn has_list_state(&self) -> bool {
            true
        }
        fn snapshot_list(&self) -> Vec<Value> {
            self.0.clone()
        }
        fn restore_list(&mut self, entries: &[Value]) {
            self.0 = entries.to_vec();
        }
        fn box_clone(&self) -> Box<dyn UserOperator> {
            Box::new(self.clone())
        }
    }

    #[test]
    fn list_state_of_a_user_operator_is_snapshotted_and_restored() {
        let mut op = Operator::from_user(Box::new(Buffer::default()), vec![]).expect("valid");
        assert_eq!(feed(&mut op, &["a", "b", "c"]), ["1", "2", "3"]);
        let st = op.snapshot();
        let seen: Vec<Value> = ["a", "b", "c"].iter().map(|w| Value::Pair(Arc::from(*w), 1)).collect();
        assert_eq!(st, OperatorState::UserList(seen));
        let mut fresh = Operator::from_user(Box::new(Buffer::default()), vec![]).expect("valid");
        fresh.restore(&st);
        assert_eq!(feed(&mut fresh, &["d"]), ["4"]);
        // Without list state a non-keyed user operator stores nothing (runs unchanged).
        let map = Operator::from_user(
            Box::new(Operator::new(OperatorKind::Map(crate::operator::Udf::Identity), vec![])),
            vec![],
        )
        .expect("valid");
        assert_eq!(map.snapshot(), OperatorState::None);
    }

    #[test]
    fn a_user_kind_needs_its_code() {
        assert_eq!(
            Operator::try_new(OperatorKind::User, vec![]).unwrap_err(),
            crate::operator::OperatorSpecError::UserWithoutCode
        );
        let wrapped = Operator::from_user(
            Box::new(Operator::new(OperatorKind::KeyedAggregate(Aggregate::Count), vec![])),
            vec![],
        )
        .expect("valid");
        assert_eq!(wrapped.kind(), OperatorKind::User);
        assert!(wrapped.is_keyed());
        assert!(matches!(wrapped.snapshot(), OperatorState::Keyed(_)));
    }
}
