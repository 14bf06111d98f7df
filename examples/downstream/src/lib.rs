//! A downstream crate's own user code for ckptsim: a word source over splits, a keyed word counter (a stateful operator), a non-keyed operator with list state, a ledger sink with two-phase commit and an append-log sink at least once (each over its own external system), and the registry that names them.
//!
//! `tests/scenarios.rs` turns every file of `scenarios/` into a test with
//! [`ckptsim_sim::harness::run_folder`]; `tests/planted.rs` shows the state checker catching a
//! counter that does not restore its state, and the sink's commit discipline under crashes.

#![warn(missing_docs)]

use ckptsim::ids::PartitionId;
use ckptsim::operator::{key_of, OperatorContext, UserException};
use ckptsim::record::{Record, Value};
use ckptsim::user::{
    KeyedState, UserOperator, UserSink, UserSinkSystem, UserSource, UserTxn, UserWriter, UserWriterSystem,
};
use ckptsim_sim::user::Registry;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// Counts words per key: input `Pair(word, n)` (or a bare word, counting 1) → `Pair(word, total)`.
/// Keyed state: word → `Int(total)`.
#[derive(Clone, Debug, Default)]
pub struct WordCounter {
    totals: KeyedState,
    /// The planted bug when false: `restore` ignores the checkpoint (state starts empty).
    restores_state: bool,
}

impl WordCounter {
    /// The counter (with the `plant-no-restore` feature: the buggy one).
    pub fn new() -> Self {
        WordCounter { totals: KeyedState::new(), restores_state: !cfg!(feature = "plant-no-restore") }
    }

    /// The planted bug: a counter whose `restore` drops the checkpointed totals.
    pub fn without_restore() -> Self {
        WordCounter { totals: KeyedState::new(), restores_state: false }
    }
}

impl UserOperator for WordCounter {
    fn name(&self) -> &str {
        "word_counter"
    }

    fn is_keyed(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        ctx: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        let (word, n) = match &rec.value {
            Value::Pair(w, n) => (w.clone(), *n),
            Value::Str(w) => (w.clone(), 1),
            Value::Int(i) => {
                return Err(UserException { operator: ctx.instance.to_string(), message: format!("not a word: {i}") })
            }
        };
        let key = key_of(&rec.value);
        let total = match self.totals.get(&key) {
            Some(Value::Int(t)) => t + n,
            _ => n,
        };
        self.totals.insert(key, Value::Int(total));
        out.push(Record { value: Value::Pair(word, total), ..rec });
        Ok(())
    }

    fn snapshot(&self) -> KeyedState {
        // Stored per key as the value the counter emits, so the checkers can follow it.
        self.totals
            .iter()
            .map(|(k, v)| match (k, v) {
                (Value::Str(w), Value::Int(t)) => (k.clone(), Value::Pair(w.clone(), *t)),
                _ => (k.clone(), v.clone()),
            })
            .collect()
    }

    fn restore(&mut self, state: &KeyedState) {
        if !self.restores_state {
            return;
        }
        self.totals = state
            .iter()
            .map(|(k, v)| match v {
                Value::Pair(_, t) => (k.clone(), Value::Int(*t)),
                _ => (k.clone(), v.clone()),
            })
            .collect();
    }

    fn invariants(&self) {
        for (k, v) in &self.totals {
            assert!(matches!((k, v), (Value::Str(_), Value::Int(t)) if *t != 0), "total {v} of {k}");
        }
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

/// The scenarios' registry: `function = "word_counter"` and `"recent_words"` (operators),
/// `"words"` and `"shouted_words"` (sources), `"ledger"` (a sink that can give either delivery
/// guarantee: two-phase commit by default, `delivery_guarantee = "at-least-once"` writes without
/// transactions), `"append_log"` (at-least-once sink).
pub fn registry() -> Registry {
    Registry::new()
        .with_operator("word_counter", || Box::new(WordCounter::new()))
        .with_operator("recent_words", || Box::new(RecentWords::new()))
        .with_source("words", || Box::new(WordSource::new()))
        .with_source("shouted_words", || Box::new(WordSource::shouted()))
        .with_at_least_once_sink("ledger", || Box::new(LedgerSystem::new(Ledger::default())))
        .with_sink("ledger", || Box::new(LedgerSystem::new(Ledger::default())))
        .with_at_least_once_sink("append_log", || Box::new(AppendLog::new(1)))
}

/// Remembers the last [`RecentWords::CAPACITY`] records this subtask saw and passes every
/// record on unchanged: a non-keyed operator with operator list state (Flink's
/// `CheckpointedFunction` with `getListState`, as in its `BufferingSink` example). The list is
/// the checkpointed state; after a rescale a subtask restores its share of every old
/// subtask's entries (and trims to the capacity only when the next record comes).
#[derive(Clone, Debug, Default)]
pub struct RecentWords {
    recent: Vec<Value>,
    bug: RecentBug,
}

/// A planted bug of [`RecentWords`]'s restore.
#[derive(Clone, Debug, Default)]
pub enum RecentBug {
    /// None: `restore_list` takes the checkpoint's entries.
    #[default]
    None,
    /// `restore_list` ignores the entries: the list starts empty after every restore.
    NoRestore,
    /// `restore_list` takes a copy the operator kept of the last list it snapshotted (shared by
    /// every instance the factory built), not the entries the checkpoint hands it: a restore
    /// from the wrong checkpoint (one that never completed, or another subtask's).
    LastSnapshot(Arc<Mutex<Vec<Value>>>),
}

impl RecentWords {
    /// How many records the list keeps.
    pub const CAPACITY: usize = 6;

    /// The operator, with an empty list.
    pub fn new() -> Self {
        RecentWords::default()
    }

    /// The operator with a planted restore bug.
    pub fn with_bug(bug: RecentBug) -> Self {
        RecentWords { recent: Vec::new(), bug }
    }
}

impl UserOperator for RecentWords {
    fn name(&self) -> &str {
        "recent_words"
    }

    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        self.recent.push(rec.value.clone());
        let extra = self.recent.len().saturating_sub(Self::CAPACITY);
        self.recent.drain(..extra);
        out.push(rec);
        Ok(())
    }

    fn has_list_state(&self) -> bool {
        true
    }

    fn snapshot_list(&self) -> Vec<Value> {
        if let RecentBug::LastSnapshot(copy) = &self.bug {
            *copy.lock().unwrap_or_else(|e| e.into_inner()) = self.recent.clone();
        }
        self.recent.clone()
    }

    fn restore_list(&mut self, entries: &[Value]) {
        self.recent = match &self.bug {
            RecentBug::None => entries.to_vec(),
            RecentBug::NoRestore => Vec::new(),
            RecentBug::LastSnapshot(copy) => copy.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        };
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

/// An append-only log: the external system of an at-least-once sink (a message queue without
/// transactions, a file). What it holds is visible at once and never taken back.
#[derive(Debug)]
pub struct AppendLog {
    log: Arc<Mutex<Vec<Record>>>,
    taken: usize,
    batch: usize,
    /// The planted bug when false: writers do not flush their batch at a checkpoint.
    pub flush_on_checkpoint: bool,
}

impl AppendLog {
    /// A log whose writers append in batches of `batch` records (1: every write visible at once).
    pub fn new(batch: usize) -> Self {
        AppendLog { log: Arc::default(), taken: 0, batch: batch.max(1), flush_on_checkpoint: true }
    }
}

/// A writer of one sink subtask attempt on an [`AppendLog`]: buffers up to the log's batch
/// size, then appends; a checkpoint flushes the rest (Flink's `SinkWriter.flush`).
#[derive(Debug)]
pub struct AppendWriter {
    log: Arc<Mutex<Vec<Record>>>,
    buffer: Vec<Record>,
    batch: usize,
    flush_on_checkpoint: bool,
}

impl AppendWriter {
    fn append(&mut self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).append(&mut self.buffer);
    }
}

impl UserWriter for AppendWriter {
    fn write(&mut self, record: &Record) -> Result<(), String> {
        self.buffer.push(record.clone());
        if self.buffer.len() >= self.batch {
            self.append();
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.flush_on_checkpoint {
            self.append();
        }
        Ok(())
    }
}

impl UserWriterSystem for AppendLog {
    fn open(&mut self, _subtask: u32, _attempt: u32) -> Box<dyn UserWriter> {
        Box::new(AppendWriter {
            log: self.log.clone(),
            buffer: Vec::new(),
            batch: self.batch,
            flush_on_checkpoint: self.flush_on_checkpoint,
        })
    }

    fn take_published(&mut self) -> Vec<Record> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let new = log[self.taken..].to_vec();
        self.taken = log.len();
        new
    }
}

/// The registry with a planted bug in the ledger sink: a restored writer does not commit the
/// transactions its checkpoint had pre-committed ([`LedgerSink::skip_recovered`]).
pub fn registry_with_forgetful_sink() -> Registry {
    registry().with_sink("ledger", || {
        let mut system = LedgerSystem::new(Ledger::default());
        system.skip_recovered = true;
        Box::new(system)
    })
}

/// A bounded source of words over [`WordSource::SPLITS`] splits: record `k` of split `s` is
/// available from `START_MS + k * PERIOD_MS + s * 7` ms on, its word a function of `(s, k)`, so
/// reading a split from a position always gives the same records (a replayable source).
#[derive(Clone, Debug, Default)]
pub struct WordSource {
    positions: BTreeMap<PartitionId, u64>,
    /// The planted bug when true: `restore` ignores the checkpointed positions.
    pub ignores_restore: bool,
    /// Words in upper case (a second source whose records are told apart from the first's).
    pub shouted: bool,
}

impl WordSource {
    /// Splits of the source.
    pub const SPLITS: u32 = 2;
    /// Records per split.
    pub const RECORDS_PER_SPLIT: u64 = 300;
    /// When the first records become available, ms.
    pub const START_MS: u64 = 500;
    /// Time between two records of a split, ms.
    pub const PERIOD_MS: u64 = 40;
    const WORDS: [&'static str; 5] = ["apple", "birch", "cedar", "delta", "ember"];

    /// The source, every split at position 0.
    pub fn new() -> Self {
        WordSource::default()
    }

    /// The same source shouting: every word in upper case (`APPLE`, ...).
    pub fn shouted() -> Self {
        WordSource { shouted: true, ..WordSource::default() }
    }

    /// The word at position `k` of split `s`.
    pub fn word(s: u32, k: u64) -> &'static str {
        Self::WORDS[((u64::from(s) * 7 + k * 3 + k / 5) % 5) as usize]
    }
}

impl UserSource for WordSource {
    fn splits(&self) -> Vec<PartitionId> {
        (0..Self::SPLITS).map(PartitionId).collect()
    }

    fn poll_next(&mut self, split: PartitionId, now_ms: u64) -> Option<Value> {
        let k = self.positions.get(&split).copied().unwrap_or(0);
        let available_ms = Self::START_MS + k * Self::PERIOD_MS + u64::from(split.0) * 7;
        if k >= Self::RECORDS_PER_SPLIT || now_ms < available_ms {
            return None;
        }
        self.positions.insert(split, k + 1);
        let word = Self::word(split.0, k);
        Some(if self.shouted { Value::str(&word.to_uppercase()) } else { Value::str(word) })
    }

    fn positions(&self) -> BTreeMap<PartitionId, u64> {
        self.splits().into_iter().map(|s| (s, self.positions.get(&s).copied().unwrap_or(0))).collect()
    }

    fn restore(&mut self, positions: &BTreeMap<PartitionId, u64>) {
        if !self.ignores_restore {
            self.positions = positions.clone();
        }
    }

    fn is_ended(&self) -> bool {
        self.splits().iter().all(|s| self.positions.get(s).is_some_and(|&k| k >= Self::RECORDS_PER_SPLIT))
    }
}

/// A transactional ledger: the external system behind [`LedgerSink`] (a database, Kafka). It
/// survives crashes of the job; its committed entries are the visible output.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pre_committed: BTreeMap<UserTxn, Vec<Record>>,
    committed_txns: BTreeMap<UserTxn, Vec<Record>>,
    /// The visible output, in commit order.
    pub visible: Vec<Record>,
    /// The planted bug when true: committing an already committed transaction publishes it again.
    pub non_idempotent: bool,
}

/// A two-phase-commit sink writing into a shared [`Ledger`]; one instance per attempt (a
/// restored attempt gets a new `epoch`, so its transaction ids never collide with the old ones).
#[derive(Debug)]
pub struct LedgerSink {
    ledger: Arc<Mutex<Ledger>>,
    next_txn: u64,
    open: BTreeMap<UserTxn, Vec<Record>>,
    begun: BTreeSet<UserTxn>,
    /// The planted bug when true: committing a transaction this writer did not begin (one a
    /// restore hands back from the checkpoint) does nothing, so a pre-committed transaction
    /// whose completion notification was lost with a crash is never published.
    pub skip_recovered: bool,
}

impl LedgerSink {
    /// A sink of attempt `epoch` on `ledger`.
    pub fn new(ledger: Arc<Mutex<Ledger>>, epoch: u64) -> Self {
        LedgerSink {
            ledger,
            next_txn: epoch * 1_000_000,
            open: BTreeMap::new(),
            begun: BTreeSet::new(),
            skip_recovered: false,
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl UserSink for LedgerSink {
    fn begin(&mut self) -> UserTxn {
        self.next_txn += 1;
        let t = UserTxn(self.next_txn);
        self.open.insert(t, Vec::new());
        self.begun.insert(t);
        t
    }

    fn write(&mut self, txn: UserTxn, record: &Record) -> Result<(), String> {
        self.open.get_mut(&txn).ok_or_else(|| format!("{txn:?} is not open"))?.push(record.clone());
        Ok(())
    }

    fn pre_commit(&mut self, txn: UserTxn) -> Result<(), String> {
        let data = self.open.remove(&txn).ok_or_else(|| format!("{txn:?} is not open"))?;
        self.ledger().pre_committed.insert(txn, data);
        Ok(())
    }

    fn commit(&mut self, txn: UserTxn) -> Result<(), String> {
        if self.skip_recovered && !self.begun.contains(&txn) {
            return Ok(());
        }
        let mut l = self.ledger();
        if let Some(data) = l.committed_txns.get(&txn).cloned() {
            // Idempotent: a second commit (after a restore) publishes nothing, unless planted.
            if l.non_idempotent {
                l.visible.extend(data);
            }
            return Ok(());
        }
        let data = l.pre_committed.remove(&txn).ok_or_else(|| format!("{txn:?} was never pre-committed"))?;
        l.visible.extend(data.iter().cloned());
        l.committed_txns.insert(txn, data);
        Ok(())
    }

    fn abort(&mut self, txn: UserTxn) {
        self.open.remove(&txn);
        self.ledger().pre_committed.remove(&txn);
    }
}

/// The ledger as the external system of a run: one [`LedgerSink`] writer per sink subtask
/// attempt, the published entries handed to the host once.
#[derive(Debug)]
pub struct LedgerSystem {
    ledger: Arc<Mutex<Ledger>>,
    taken: usize,
    /// Writers get the planted bug of [`LedgerSink::skip_recovered`].
    pub skip_recovered: bool,
}

impl LedgerSystem {
    /// A system around `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        LedgerSystem { ledger: Arc::new(Mutex::new(ledger)), taken: 0, skip_recovered: false }
    }
}

impl UserSinkSystem for LedgerSystem {
    fn open(&mut self, subtask: u32, attempt: u32) -> Box<dyn UserSink> {
        // Transaction ids unique across subtasks and attempts.
        let mut sink = LedgerSink::new(self.ledger.clone(), u64::from(attempt) * 1_000 + u64::from(subtask));
        sink.skip_recovered = self.skip_recovered;
        Box::new(sink)
    }

    fn take_committed(&mut self) -> Vec<Record> {
        let l = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let new = l.visible[self.taken..].to_vec();
        self.taken = l.visible.len();
        new
    }
}

/// The ledger without transactions, for `delivery_guarantee = "at-least-once"`: each write is
/// appended to the visible entries at once (a flush has nothing left to do), so a restore
/// publishes the records after its checkpoint again.
#[derive(Debug)]
pub struct LedgerAppender {
    ledger: Arc<Mutex<Ledger>>,
}

impl UserWriter for LedgerAppender {
    fn write(&mut self, record: &Record) -> Result<(), String> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner()).visible.push(record.clone());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
}

impl UserWriterSystem for LedgerSystem {
    fn open(&mut self, _subtask: u32, _attempt: u32) -> Box<dyn UserWriter> {
        Box::new(LedgerAppender { ledger: self.ledger.clone() })
    }

    fn take_published(&mut self) -> Vec<Record> {
        self.take_committed()
    }
}
