//! The checkers' per-key index: each output row's key as a small integer (its position among the reference's keys, or after them for a key the reference never emits), found once per distinct key string of the run instead of by a `BTreeMap<Value, _>` search per row.
//!
//! Session 40 (issue 19): `state` and `exactly_once` searched a map keyed by `Value` for every
//! output row (`key_of` — an `Arc` clone — then a search comparing strings, ~250 instructions a
//! row, about 1 % of a swarm run each). The rows keep each distinct string once
//! ([`Rows::strings`]) and name it by index ([`Rows::keys`]), so the key of every row is one of
//! few strings: the index looks each string up once and a row's key id is a vector read. Ids
//! `0..known` are the reference's keys in its (`Value`) order; a key the reference never emits
//! gets an id after them, in the order the rows first show it.

use super::*;
use crate::reference::KeySeq;
use crate::world::{RowKey, Rows};
use std::borrow::Cow;

/// The key ids of one [`Rows`] against one [`Reference`].
pub(crate) struct KeyIndex<'a> {
    /// Per string of [`Rows::strings`]: the id of the key `Value::Str(string)`.
    by_string: Vec<u32>,
    /// The ids of the `Int` keys the rows hold.
    ints: BTreeMap<i64, u32>,
    /// Per id, its key.
    keys: Vec<Cow<'a, Value>>,
    /// Per known id (`< known`), the reference's sequence of the key.
    seqs: Vec<&'a KeySeq>,
}

impl<'a> KeyIndex<'a> {
    /// The index of `rows`' keys: one search of the reference's keys per distinct key of the rows.
    pub(crate) fn new(rows: &Rows, reference: &'a Reference) -> Self {
        let known: BTreeMap<&Value, u32> = reference.per_key.keys().enumerate().map(|(i, k)| (k, i as u32)).collect();
        let mut keys: Vec<Cow<'a, Value>> = reference.per_key.keys().map(Cow::Borrowed).collect();
        let seqs: Vec<&KeySeq> = reference.per_key.values().collect();
        let id_of = |k: Value, keys: &mut Vec<Cow<'a, Value>>| match known.get(&k) {
            Some(&i) => i,
            None => {
                keys.push(Cow::Owned(k));
                u32::try_from(keys.len() - 1).expect("fewer than 2^32 keys")
            }
        };
        // Unknown keys are numbered in the order the rows first show them (strings are kept in
        // first-push order; an `Int` key when its first row comes).
        let mut by_string = vec![u32::MAX; rows.strings().len()];
        let mut ints = BTreeMap::new();
        for k in rows.keys() {
            match k {
                RowKey::Str(s) if by_string[s as usize] == u32::MAX => {
                    by_string[s as usize] = id_of(Value::Str(rows.strings()[s as usize].clone()), &mut keys);
                }
                RowKey::Int(n) if !ints.contains_key(&n) => {
                    let id = id_of(Value::Int(n), &mut keys);
                    ints.insert(n, id);
                }
                _ => {}
            }
        }
        KeyIndex { by_string, ints, keys, seqs }
    }

    /// The id of a row's key (one of the rows the index was made of).
    pub(crate) fn id(&self, k: RowKey) -> usize {
        match k {
            RowKey::Str(s) => self.by_string[s as usize] as usize,
            RowKey::Int(n) => self.ints[&n] as usize,
        }
    }

    /// Every row's key id, in row order.
    pub(crate) fn ids<'r>(&'r self, rows: &'r Rows) -> impl Iterator<Item = usize> + 'r {
        rows.keys().map(|k| self.id(k))
    }

    /// How many ids: the reference's keys and the unknown keys of the rows.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key of `id`.
    pub(crate) fn key(&self, id: usize) -> &Value {
        &self.keys[id]
    }

    /// The reference's sequence of `id`'s key; `None` for a key the reference never emits.
    pub(crate) fn seq(&self, id: usize) -> Option<&'a KeySeq> {
        self.seqs.get(id).copied()
    }

    /// The ids in the order of their keys (`Value`'s order, as a `BTreeMap<Value, _>` iterates).
    pub(crate) fn in_key_order(&self) -> Vec<usize> {
        let mut ids: Vec<usize> = (0..self.len()).collect();
        ids.sort_by(|a, b| self.keys[*a].cmp(&self.keys[*b]));
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::OutputRow;
    use ckptsim::record::Lineage;

    fn row(value: Value) -> OutputRow {
        OutputRow {
            time_ms: 0,
            task: ckptsim::TaskId(0),
            attempt: ckptsim::Attempt(0),
            value,
            lineage: Lineage { input_seq: 0, sub: 0 },
            timestamp: None,
            sink: 0,
        }
    }

    /// A row's id names the key `key_of` gives its value: the reference's keys first, in their
    /// order, then the unknown ones (strings and ints) in the order the rows show them; the
    /// key order lists the ids as a `BTreeMap<Value, _>` would.
    #[test]
    fn ids_name_the_key_of_every_row() {
        let mut reference = Reference::default();
        for k in ["b", "d"] {
            reference.per_key.insert(Value::str(k), KeySeq::default());
        }
        let values = [
            Value::Pair("d".into(), 1),
            Value::str("zz"),
            Value::Int(7),
            Value::Pair("b".into(), 2),
            Value::Pair("a".into(), 3),
            Value::str("d"),
            Value::Int(7),
        ];
        let rows: Rows = values.iter().cloned().map(row).collect();
        let index = KeyIndex::new(&rows, &reference);
        let ids: Vec<usize> = index.ids(&rows).collect();
        assert_eq!(ids, vec![1, 2, 3, 0, 4, 1, 3]);
        for (v, id) in values.iter().zip(&ids) {
            assert_eq!(index.key(*id), &ckptsim::operator::key_of(v));
        }
        assert!(index.seq(1).is_some() && index.seq(2).is_none());
        let order: Vec<Value> = index.in_key_order().into_iter().map(|i| index.key(i).clone()).collect();
        let sorted: std::collections::BTreeSet<Value> = values.iter().map(ckptsim::operator::key_of).collect();
        assert_eq!(order, sorted.into_iter().collect::<Vec<_>>());
    }
}
