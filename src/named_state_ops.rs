//! A built-in keyed operator with several named states per key ([`NamedStates`]: two value states and a list state), for the real-Flink comparison of what a restore hands each key (`tools/real-flink/RealFlinkNamedStates36.java`).
//!
//! Flink keeps each named keyed state (`getState`, `getListState`) in its own state table, but
//! every table is cut by the same key groups (`KeyGroupRangeAssignment`): on a restore or a
//! rescale all states of a key move together to the subtask that owns its key group. The model
//! keeps one [`Value`] per key ([`KeyedState`]), so an operator with several named states keeps
//! them together in that value; what a comparison with Flink shows is that each of them is
//! restored, and continues, in the subtask that owns the key.

use crate::operator::{key_of, OperatorContext, UserException};
use crate::record::{Record, Value};
use crate::user::{KeyedState, UserOperator};
use std::sync::Arc;

/// The built-in's scenario name (`kind = "user"`, `function = "named_states"`).
pub const NAME: &str = "named_states";

/// One key's named states: `count` and `sum` (two `ValueState<Long>`s) and `values` (a
/// `ListState<Long>`), as the Java operator holds them.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
struct KeyStates {
    count: i64,
    sum: i64,
    values: Vec<i64>,
}

impl KeyStates {
    /// The model's one value per key: `count|sum|v1,v2,...`.
    fn encode(&self) -> Value {
        let values: Vec<String> = self.values.iter().map(i64::to_string).collect();
        Value::str(&format!("{}|{}|{}", self.count, self.sum, values.join(",")))
    }

    /// The inverse of [`encode`](KeyStates::encode); `None` for a value it did not write.
    fn decode(v: &Value) -> Option<KeyStates> {
        let Value::Str(s) = v else { return None };
        let mut parts = s.split('|');
        let count = parts.next()?.parse().ok()?;
        let sum = parts.next()?.parse().ok()?;
        let list = parts.next()?;
        let values = if list.is_empty() {
            Vec::new()
        } else {
            list.split(',').map(str::parse).collect::<Result<_, _>>().ok()?
        };
        Some(KeyStates { count, sum, values })
    }
}

/// Keyed by a `(key, n)` pair's key: per key it counts its records (value state `count`), adds
/// their numbers (value state `sum`) and keeps them (list state `values`), and emits
/// `(key,count,sum,[v1, v2])` after each record (Java's `Tuple4#toString` with a `List`).
#[derive(Clone, Debug, Default, Hash)]
pub struct NamedStates {
    keys: std::collections::BTreeMap<Arc<str>, KeyStates>,
}

impl NamedStates {
    /// The row for one key's states.
    fn row(key: &str, s: &KeyStates) -> Value {
        let values: Vec<String> = s.values.iter().map(i64::to_string).collect();
        Value::str(&format!("({key},{},{},[{}])", s.count, s.sum, values.join(", ")))
    }
}

impl UserOperator for NamedStates {
    fn name(&self) -> &str {
        NAME
    }

    fn is_keyed(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _: &mut OperatorContext<'_>,
        rec: Record,
        out: &mut Vec<Record>,
    ) -> Result<(), UserException> {
        let (key, n) = match &rec.value {
            Value::Pair(k, n) => (Arc::clone(k), *n),
            other => match key_of(other) {
                Value::Str(k) => (k, 1),
                k => (Arc::from(k.to_string()), 1),
            },
        };
        let states = self.keys.entry(Arc::clone(&key)).or_default();
        states.count += 1;
        states.sum += n;
        states.values.push(n);
        let value = Self::row(&key, states);
        out.push(Record { value, ..rec });
        Ok(())
    }

    fn snapshot(&self) -> KeyedState {
        self.keys.iter().map(|(k, s)| (Value::Str(Arc::clone(k)), s.encode())).collect()
    }

    fn restore(&mut self, state: &KeyedState) {
        self.keys = state
            .iter()
            .filter_map(|(k, v)| match k {
                Value::Str(k) => Some((Arc::clone(k), KeyStates::decode(v)?)),
                _ => None,
            })
            .collect();
    }

    fn invariants(&self) {
        for s in self.keys.values() {
            assert_eq!(s.count, s.values.len() as i64, "count is the list's length");
            assert_eq!(s.sum, s.values.iter().sum::<i64>(), "sum is the list's sum");
        }
    }

    fn box_clone(&self) -> Box<dyn UserOperator> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Lineage;

    /// Each record adds to all three states; a snapshot restored into a fresh instance continues
    /// every one of them (a state left behind would restart its count, sum or list).
    #[test]
    fn every_named_state_survives_a_restore() {
        let pair = |k: &str, n| Value::Pair(k.into(), n);
        let mut counters = Default::default();
        let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "named_states[0]" };
        let mut op = NamedStates::default();
        let mut out = Vec::new();
        for (i, (k, n)) in [("a", 4), ("b", 1), ("a", 5)].into_iter().enumerate() {
            let rec = Record::new(pair(k, n), Lineage { input_seq: i as u64, sub: 0 });
            op.process(&mut ctx, rec, &mut out).expect("no failure");
        }
        let mut again = NamedStates::default();
        again.restore(&op.snapshot());
        again.process(&mut ctx, Record::new(pair("a", 2), Lineage { input_seq: 3, sub: 0 }), &mut out).expect("ok");
        again.invariants();
        let rows: Vec<String> = out.iter().map(|r| r.value.to_string()).collect();
        assert_eq!(rows, ["(a,1,4,[4])", "(b,1,1,[1])", "(a,2,9,[4, 5])", "(a,3,11,[4, 5, 2])"]);
        assert_eq!(KeyStates::decode(&Value::str("2|3|")), Some(KeyStates { count: 2, sum: 3, values: vec![] }));
        assert_eq!(KeyStates::decode(&Value::Int(1)), None);
    }
}
