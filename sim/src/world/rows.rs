//! A run's output rows kept compact ([`Rows`]): 32 bytes a row with interned strings, handed out as [`OutputRow`]s.
//!
//! An [`OutputRow`] is 80 bytes (a 32-byte `Value`, a 16-byte `Lineage`, a 16-byte optional
//! timestamp, the time, task and attempt); a 10^6-record job's committed output was 80 MB of
//! them, most of its resident set (BENCHMARKS.md, *Speed*, issue 19). Here a row is its time,
//! input number, integer payload, sub and a value code (`Int`, or `Str`/`Pair` with the index
//! of its string in a table of distinct strings); the producing task and attempt change rarely
//! and are kept as runs, timestamps only for the rows that have one. Iterating yields owned
//! rows (a string is an `Arc` clone), equal field for field to what was pushed.

use super::OutputRow;
use ckptsim::record::{Lineage, Value};
use ckptsim::{Attempt, TaskId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One row without its string, task, attempt and timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed {
    time_ms: u64,
    input_seq: u64,
    /// `Int`'s value or `Pair`'s count.
    n: i64,
    sub: u32,
    /// 0: `Int(n)`; `2i + 1`: `Str(strings[i])`; `2i + 2`: `Pair(strings[i], n)`.
    code: u32,
}

/// Strings recently pushed, by the address of an `Arc` this cache holds (so the address
/// cannot be reused by another string while it is here): a row whose value shares its
/// key's `Arc` with earlier rows is interned without comparing text.
const RECENT_ARCS: usize = 256;

/// Output rows in push order, compactly (see the module doc).
#[derive(Clone, Default)]
pub struct Rows {
    packed: Vec<Packed>,
    strings: Vec<Arc<str>>,
    by_text: BTreeMap<Arc<str>, u32>,
    recent: BTreeMap<usize, (Arc<str>, u32)>,
    /// `(first row, task, attempt, sink)`: the producer of every row from `first` on.
    owners: Vec<(usize, TaskId, Attempt, u32)>,
    /// `(row, timestamp)` of the rows that carry one, ascending.
    timestamps: Vec<(usize, i64)>,
}

impl Rows {
    /// No rows.
    pub fn new() -> Self {
        Rows::default()
    }

    /// No rows, with room for `n` without growing.
    pub fn with_capacity(n: usize) -> Self {
        Rows { packed: Vec::with_capacity(n), ..Rows::default() }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    fn intern(&mut self, s: &Arc<str>) -> u32 {
        let addr = Arc::as_ptr(s) as *const u8 as usize;
        if let Some((_, i)) = self.recent.get(&addr) {
            return *i;
        }
        let i = match self.by_text.get(s) {
            Some(i) => *i,
            None => {
                let i = u32::try_from(self.strings.len()).expect("fewer than 2^31 distinct output strings");
                self.strings.push(s.clone());
                self.by_text.insert(s.clone(), i);
                i
            }
        };
        if self.recent.len() == RECENT_ARCS {
            self.recent.clear();
        }
        self.recent.insert(addr, (s.clone(), i));
        i
    }

    /// Appends `row`.
    pub fn push(&mut self, row: OutputRow) {
        let (code, n) = match &row.value {
            Value::Int(n) => (0, *n),
            Value::Str(s) => (2 * self.intern(s) + 1, 0),
            Value::Pair(s, n) => (2 * self.intern(s) + 2, *n),
        };
        let at = self.packed.len();
        if self.owners.last().is_none_or(|&(_, t, a, k)| (t, a, k) != (row.task, row.attempt, row.sink)) {
            self.owners.push((at, row.task, row.attempt, row.sink));
        }
        if let Some(ts) = row.timestamp {
            self.timestamps.push((at, ts));
        }
        self.packed.push(Packed {
            time_ms: row.time_ms,
            input_seq: row.lineage.input_seq,
            n,
            sub: row.lineage.sub,
            code,
        });
    }

    fn value(&self, p: &Packed) -> Value {
        match p.code {
            0 => Value::Int(p.n),
            c if c % 2 == 1 => Value::Str(self.strings[(c / 2) as usize].clone()),
            c => Value::Pair(self.strings[(c / 2 - 1) as usize].clone(), p.n),
        }
    }

    fn row(&self, i: usize, owner: (TaskId, Attempt, u32), timestamp: Option<i64>) -> OutputRow {
        let p = &self.packed[i];
        OutputRow {
            time_ms: p.time_ms,
            task: owner.0,
            attempt: owner.1,
            value: self.value(p),
            lineage: Lineage { input_seq: p.input_seq, sub: p.sub },
            timestamp,
            sink: owner.2,
        }
    }

    /// Row `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<OutputRow> {
        if i >= self.len() {
            return None;
        }
        let o = self.owners[self.owners.partition_point(|&(first, _, _, _)| first <= i) - 1];
        let t = self.timestamps.binary_search_by_key(&i, |&(r, _)| r).ok().map(|k| self.timestamps[k].1);
        Some(self.row(i, (o.1, o.2, o.3), t))
    }

    /// The last row.
    pub fn last(&self) -> Option<OutputRow> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The rows in order, each an owned [`OutputRow`].
    pub fn iter(&self) -> RowsIter<'_> {
        RowsIter { rows: self, next: 0, owner: 0, timestamp: 0 }
    }

    /// Keeps the rows `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&OutputRow) -> bool) {
        *self = self.iter().filter(|r| keep(r)).collect();
    }

    /// Removes and returns row `i` (the later rows move up).
    pub fn remove(&mut self, i: usize) -> OutputRow {
        let removed = self.get(i).expect("row index in range");
        *self = self.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| r).collect();
        removed
    }

    /// Replaces row `i` with `row`.
    pub fn set(&mut self, i: usize, row: OutputRow) {
        assert!(i < self.len(), "row index in range");
        let mut row = Some(row);
        *self = self.iter().enumerate().map(|(j, r)| if j == i { row.take().unwrap_or(r) } else { r }).collect();
    }

    /// Removes every row.
    pub fn clear(&mut self) {
        *self = Rows::default();
    }

    /// How many distinct strings the rows' values hold (each kept once).
    pub fn distinct_strings(&self) -> usize {
        self.strings.len()
    }

    /// Each row's key (`ckptsim::operator::key_of` of its value) in row order, without building
    /// the value: an `Int` is its own key, a `Str` or a `Pair` is keyed by its string, named by
    /// its index in [`Rows::strings`] (the checkers' per-key index, `check/key_index.rs`).
    pub fn keys(&self) -> impl ExactSizeIterator<Item = RowKey> + '_ {
        self.packed.iter().map(|p| match p.code {
            0 => RowKey::Int(p.n),
            c => RowKey::Str((c - 1) / 2),
        })
    }

    /// The distinct strings of the rows' values, in first-push order ([`RowKey::Str`] indexes it).
    pub fn strings(&self) -> &[Arc<str>] {
        &self.strings
    }

    /// The rows as a vector of [`OutputRow`]s.
    pub fn to_vec(&self) -> Vec<OutputRow> {
        self.iter().collect()
    }
}

/// A row's key as [`Rows::keys`] yields it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKey {
    /// An `Int` value, its own key.
    Int(i64),
    /// A `Str` or `Pair` value: the index of its (key) string in [`Rows::strings`].
    Str(u32),
}

/// The rows of [`Rows::iter`], in order.
pub struct RowsIter<'a> {
    rows: &'a Rows,
    next: usize,
    /// Index into `owners` of the run holding row `next`.
    owner: usize,
    /// Index into `timestamps` of the first entry at or after row `next`.
    timestamp: usize,
}

impl Iterator for RowsIter<'_> {
    type Item = OutputRow;

    fn next(&mut self) -> Option<OutputRow> {
        let i = self.next;
        let rows = self.rows;
        if i >= rows.len() {
            return None;
        }
        while rows.owners.get(self.owner + 1).is_some_and(|&(first, _, _, _)| first <= i) {
            self.owner += 1;
        }
        let (_, task, attempt, sink) = rows.owners[self.owner];
        let ts = match rows.timestamps.get(self.timestamp) {
            Some(&(r, t)) if r == i => {
                self.timestamp += 1;
                Some(t)
            }
            _ => None,
        };
        self.next += 1;
        Some(rows.row(i, (task, attempt, sink), ts))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.rows.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for RowsIter<'_> {}

impl<'a> IntoIterator for &'a Rows {
    type Item = OutputRow;
    type IntoIter = RowsIter<'a>;
    fn into_iter(self) -> RowsIter<'a> {
        self.iter()
    }
}

impl FromIterator<OutputRow> for Rows {
    fn from_iter<I: IntoIterator<Item = OutputRow>>(iter: I) -> Self {
        let mut rows = Rows::default();
        rows.extend(iter);
        rows
    }
}

impl Extend<OutputRow> for Rows {
    fn extend<I: IntoIterator<Item = OutputRow>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.packed.reserve(iter.size_hint().0);
        for r in iter {
            self.push(r);
        }
    }
}

impl From<Vec<OutputRow>> for Rows {
    fn from(v: Vec<OutputRow>) -> Self {
        v.into_iter().collect()
    }
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
