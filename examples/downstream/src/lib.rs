//! A downstream crate's own user code for ckptsim: a keyed word counter (a stateful operator) and a ledger sink with two-phase commit, and the registry that names them.
//!
//! `tests/scenarios.rs` turns every file of `scenarios/` into a test with
//! [`ckptsim_sim::harness::run_folder`]; `tests/planted.rs` shows the state checker catching a
//! counter that does not restore its state, and the sink's commit discipline under crashes.

#![warn(missing_docs)]

use ckptsim::operator::{key_of, OperatorContext, UserException};
use ckptsim::record::{Record, Value};
use ckptsim::user::{KeyedState, UserOperator, UserSink, UserTxn};
use ckptsim_sim::user::Registry;
use std::collections::BTreeMap;
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

/// The scenarios' registry: `function = "word_counter"`.
pub fn registry() -> Registry {
    Registry::new().with_operator("word_counter", || Box::new(WordCounter::new()))
}

/// A transactional ledger: the external system behind [`LedgerSink`] (a database, Kafka). It
/// survives crashes of the job; its committed entries are the visible output.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pre_committed: BTreeMap<UserTxn, Vec<Value>>,
    committed_txns: BTreeMap<UserTxn, Vec<Value>>,
    /// The visible output, in commit order.
    pub visible: Vec<Value>,
    /// The planted bug when true: committing an already committed transaction publishes it again.
    pub non_idempotent: bool,
}

/// A two-phase-commit sink writing into a shared [`Ledger`]; one instance per attempt (a
/// restored attempt gets a new `epoch`, so its transaction ids never collide with the old ones).
#[derive(Debug)]
pub struct LedgerSink {
    ledger: Arc<Mutex<Ledger>>,
    next_txn: u64,
    open: BTreeMap<UserTxn, Vec<Value>>,
}

impl LedgerSink {
    /// A sink of attempt `epoch` on `ledger`.
    pub fn new(ledger: Arc<Mutex<Ledger>>, epoch: u64) -> Self {
        LedgerSink { ledger, next_txn: epoch * 1_000_000, open: BTreeMap::new() }
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
        t
    }

    fn write(&mut self, txn: UserTxn, value: &Value) -> Result<(), String> {
        self.open.get_mut(&txn).ok_or_else(|| format!("{txn:?} is not open"))?.push(value.clone());
        Ok(())
    }

    fn pre_commit(&mut self, txn: UserTxn) -> Result<(), String> {
        let data = self.open.remove(&txn).ok_or_else(|| format!("{txn:?} is not open"))?;
        self.ledger().pre_committed.insert(txn, data);
        Ok(())
    }

    fn commit(&mut self, txn: UserTxn) -> Result<(), String> {
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
