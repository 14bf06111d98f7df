//! The keyed broadcast-process operator (session 38): a two-input head whose first input is keyed and whose second is a broadcast stream writing a broadcast map state the keyed side reads (Flink's `KeyedBroadcastProcessFunction` run by `CoBroadcastWithKeyedOperator`).
//!
//! Flink's `BroadcastConnectedStream#process` builds a two-input operator: input 1 is the keyed
//! stream (`processElement` with a `ReadOnlyContext`: the broadcast state can only be read),
//! input 2 the broadcast stream (`processBroadcastElement` with a `Context`: read-write). The
//! broadcast state is operator state taken by `OperatorStateBackend#getBroadcastState`, whose
//! redistribution mode is BROADCAST: every subtask snapshots its own copy, and on a restore new
//! subtask `i` gets old subtask `i % p_old`'s copy (`RoundRobinOperatorStateRepartitioner
//! #repartitionBroadcastState`, [`crate::rescale::repartition_broadcast`]). Flink does not check
//! that the copies are equal: the user must make every subtask's update the same.
//!
//! The model's function is fixed (the rule job of `tools/real-flink/RealFlinkBroadcastProcess37.java`):
//!
//! * a broadcast record `Pair(k, m)` puts `k -> m` into the broadcast state; any other value
//!   `v` counts a rule for key `key_of(v)`: `k -> previous + 1` (so copies fed by several
//!   upstream subtasks in different interleavings still agree);
//! * a keyed record `v` emits `Pair(key_of(v), m)` with the rule its subtask holds for the key
//!   (`0`: none), same lineage and timestamp;
//! * with `report` (`function = "rules_report"`), each attempt's first keyed record first emits
//!   `state [k=m, ...]`, the broadcast state it holds then (a transient flag, as the Java job's
//!   `reported` field), its lineage `sub << FLAT_MAP_SUB_BITS | 1` and the keyed row's
//!   `sub << FLAT_MAP_SUB_BITS` (two outputs of one record, as a flat_map's pieces).
//!
//! The keyed side keeps no keyed state: the snapshot is the broadcast state alone,
//! [`OperatorState::SharedList`] in [`ListMode::Broadcast`], its entries `Pair(k, m)` in key
//! order, in the head's slot (slot 0) of the task snapshot.

use crate::operator::{key_of, FLAT_MAP_SUB_BITS};
use crate::record::{Lineage, Record, Value};
use crate::rescale::ListMode;
use crate::state::OperatorState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The scenario names of the operator's function (`function = ...`): without and with the
/// first record's state report.
pub const FUNCTION_NAMES: [&str; 2] = ["rules", "rules_report"];

/// The running operator: the broadcast state and the attempt's report flag.
#[derive(Clone, Debug, Hash, Default)]
pub struct BroadcastProcess {
    /// The broadcast state (`MapState<String, Long>`): rule key -> value.
    rules: BTreeMap<Arc<str>, i64>,
    /// Emit `state [..]` before the first keyed record's row.
    report: bool,
    /// The first keyed record was seen (not state: every attempt reports again).
    reported: bool,
}

impl BroadcastProcess {
    /// A fresh operator with an empty broadcast state; `report`: see the module docs.
    pub fn new(report: bool) -> Self {
        BroadcastProcess { rules: BTreeMap::new(), report, reported: false }
    }

    /// The key text of a value (a `Pair`'s key, a `Str` itself, an `Int` as text).
    fn key_text(v: &Value) -> Arc<str> {
        match key_of(v) {
            Value::Str(s) => s,
            other => Arc::from(other.to_string().as_str()),
        }
    }

    /// `processBroadcastElement`: a rule updates the broadcast state; nothing is emitted.
    pub fn process_broadcast(&mut self, rec: &Record) {
        match &rec.value {
            Value::Pair(k, m) => {
                self.rules.insert(Arc::clone(k), *m);
            }
            other => *self.rules.entry(Self::key_text(other)).or_insert(0) += 1,
        }
    }

    /// `processElement`: the key's rule (0 without one), after the state report of the
    /// attempt's first record when `report`.
    pub fn process_keyed(&mut self, rec: Record, out: &mut Vec<Record>) {
        let key = Self::key_text(&rec.value);
        let m = self.rules.get(&key).copied().unwrap_or(0);
        let piece =
            |i: u32| Lineage { input_seq: rec.lineage.input_seq, sub: (rec.lineage.sub << FLAT_MAP_SUB_BITS) | i };
        if self.report && !self.reported {
            self.reported = true;
            out.push(Record { value: self.report_value(), lineage: piece(1), timestamp: rec.timestamp });
        }
        let lineage = if self.report { piece(0) } else { rec.lineage };
        out.push(Record { value: Value::Pair(key, m), lineage, timestamp: rec.timestamp });
    }

    /// `state [k=m, ...]`: the broadcast state in key order (the Java job sorts its entries).
    pub fn report_value(&self) -> Value {
        let shown: Vec<String> = self.rules.iter().map(|(k, m)| format!("{k}={m}")).collect();
        Value::Str(format!("state [{}]", shown.join(", ")).into())
    }

    /// The broadcast state as its snapshot entries, `Pair(k, m)` in key order.
    pub fn entries(&self) -> Vec<Value> {
        self.rules.iter().map(|(k, m)| Value::Pair(Arc::clone(k), *m)).collect()
    }

    /// The snapshot: this subtask's copy of the broadcast state.
    pub fn snapshot(&self) -> OperatorState {
        OperatorState::SharedList { mode: ListMode::Broadcast, entries: self.entries() }
    }

    /// `initializeState`: the copy the restore hands this subtask (a later entry of a key wins).
    /// Any other state restores nothing.
    pub fn restore(&mut self, state: &OperatorState) {
        if let OperatorState::SharedList { mode: ListMode::Broadcast, entries } = state {
            self.rules.clear();
            for e in entries {
                if let Value::Pair(k, m) = e {
                    self.rules.insert(Arc::clone(k), *m);
                }
            }
        }
    }

    /// The broadcast state's invariants: a snapshot's entries are distinct keys in key order,
    /// and a restore of them gives the same state back.
    pub fn invariants(&self) {
        let entries = self.entries();
        assert!(entries.windows(2).all(|w| key_of(&w[0]) < key_of(&w[1])), "broadcast state entries in key order");
        let mut again = BroadcastProcess::new(self.report);
        again.restore(&self.snapshot());
        assert_eq!(again.rules, self.rules, "a restored snapshot is the state");
        assert!(self.report || !self.reported, "only a reporting operator reports");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: Value, seq: u64) -> Record {
        Record::new(v, Lineage { input_seq: seq, sub: 0 })
    }

    fn rows(out: &[Record]) -> Vec<String> {
        out.iter().map(|r| format!("{}#{}", r.value, r.lineage.sub)).collect()
    }

    /// The fixture's failure job on one subtask: rules, then words; the first word reports the
    /// state; a restored copy reports again at its first word.
    #[test]
    fn rules_then_words_report_and_restore() {
        let mut op = BroadcastProcess::new(true);
        op.process_broadcast(&rec(Value::Pair("a".into(), 2), 0));
        op.process_broadcast(&rec(Value::Pair("b".into(), 3), 1));
        let mut out = Vec::new();
        op.process_keyed(rec(Value::str("a"), 2), &mut out);
        op.process_keyed(rec(Value::str("c"), 3), &mut out);
        assert_eq!(rows(&out), ["state [a=2, b=3]#1", "(a,2)#0", "(c,0)#0"]);
        op.invariants();
        let snap = op.snapshot();
        let OperatorState::SharedList { mode: ListMode::Broadcast, entries } = &snap else { panic!("{snap:?}") };
        assert_eq!(entries, &[Value::Pair("a".into(), 2), Value::Pair("b".into(), 3)]);
        let mut restored = BroadcastProcess::new(true);
        restored.restore(&snap);
        restored.process_broadcast(&rec(Value::Pair("a".into(), 5), 4));
        out.clear();
        restored.process_keyed(rec(Value::str("b"), 5), &mut out);
        assert_eq!(rows(&out), ["state [a=5, b=3]#1", "(b,3)#0"]);
    }

    /// Without a report the keyed row keeps the record's lineage; a value that is not a pair
    /// counts rules for its key, so two interleavings of the same rules agree.
    #[test]
    fn counted_rules_commute_and_rows_keep_their_lineage() {
        let (mut x, mut y) = (BroadcastProcess::new(false), BroadcastProcess::new(false));
        let rules = [Value::str("k1"), Value::str("k2"), Value::str("k1")];
        for (i, r) in rules.iter().enumerate() {
            x.process_broadcast(&rec(r.clone(), i as u64));
        }
        for (i, r) in rules.iter().enumerate().rev() {
            y.process_broadcast(&rec(r.clone(), i as u64));
        }
        assert_eq!(x.entries(), y.entries());
        let mut out = Vec::new();
        x.process_keyed(Record::new(Value::str("k1"), Lineage { input_seq: 7, sub: 3 }), &mut out);
        assert_eq!(out[0].value, Value::Pair("k1".into(), 2));
        assert_eq!(out[0].lineage, Lineage { input_seq: 7, sub: 3 });
        assert_eq!(out.len(), 1, "no report");
    }
}
