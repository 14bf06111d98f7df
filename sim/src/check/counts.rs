//! Compact per-input bookkeeping the delivery checkers share: output rows counted per lineage in a vector indexed by input number, and a set of input numbers as a bit vector.
//!
//! Inputs are numbered densely from 0 (`Lineage::input_seq`), so a vector indexed by the number
//! costs 4 bytes (counts) or 1 bit (sets) per input, where an ordered map of `(input, sub)`
//! costs ~40 bytes per entry: on a 10^6-record job the maps were tens of MB of the checking
//! phase's heap (BENCHMARKS.md, *Speed*, issue 19).

use crate::world::Rows;
use std::collections::BTreeMap;

/// A lineage as the checkers key it: `(input sequence number, sub)`.
pub type LineageKey = (u64, u32);

/// How many output rows derive from each lineage. `sub == 0` (every row of a map, filter or
/// aggregate) is counted in a vector indexed by the input number; other subs (flat_map pieces,
/// broadcast copies) in a map.
#[derive(Clone, Debug, Default)]
pub struct LineageCounts {
    main: Vec<u32>,
    subs: BTreeMap<LineageKey, usize>,
    distinct: usize,
}

impl LineageCounts {
    /// The counts of `rows`.
    pub fn of(rows: &Rows) -> Self {
        let mut c = LineageCounts::default();
        for r in rows {
            c.add((r.lineage.input_seq, r.lineage.sub));
        }
        c
    }

    fn add(&mut self, (seq, sub): LineageKey) {
        let fresh = if sub == 0 {
            let i = seq as usize;
            if self.main.len() <= i {
                self.main.resize(i + 1, 0);
            }
            self.main[i] = self.main[i].saturating_add(1);
            self.main[i] == 1
        } else {
            let n = self.subs.entry((seq, sub)).or_default();
            *n += 1;
            *n == 1
        };
        self.distinct += usize::from(fresh);
    }

    /// Rows of lineage `l`.
    pub fn get(&self, (seq, sub): LineageKey) -> usize {
        if sub == 0 {
            self.main.get(seq as usize).map_or(0, |n| *n as usize)
        } else {
            self.subs.get(&(seq, sub)).copied().unwrap_or(0)
        }
    }

    /// Whether any row derives from input `seq`.
    pub fn has_input(&self, seq: u64) -> bool {
        self.get((seq, 0)) > 0 || self.subs.range((seq, 1)..=(seq, u32::MAX)).next().is_some()
    }

    /// Distinct lineages with at least one row.
    pub fn len(&self) -> usize {
        self.distinct
    }

    /// Distinct inputs (input sequence numbers) with at least one row, whatever their lineages'
    /// subs: a self-union's two copies of an input, or a flat_map's pieces, count once.
    pub fn inputs(&self) -> usize {
        let mut seen = InputSet::default();
        let mut n = 0;
        let main = self.main.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, _)| i as u64);
        for seq in main.chain(self.subs.keys().map(|(seq, _)| *seq)) {
            if !seen.contains(seq) {
                seen.insert(seq);
                n += 1;
            }
        }
        n
    }

    /// True when no lineage has a row.
    pub fn is_empty(&self) -> bool {
        self.distinct == 0
    }

    /// Lineages with more than one row and their counts, in lineage order.
    pub fn duplicates(&self) -> Vec<(LineageKey, usize)> {
        let mut d: Vec<(LineageKey, usize)> = self
            .main
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 1)
            .map(|(i, n)| ((i as u64, 0), *n as usize))
            .chain(self.subs.iter().filter(|(_, n)| **n > 1).map(|(l, n)| (*l, *n)))
            .collect();
        d.sort_unstable();
        d
    }
}

/// A set of input sequence numbers as a bit vector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputSet {
    bits: Vec<u64>,
}

impl InputSet {
    /// Adds input `seq` to the set (growing the bit vector as needed).
    pub fn insert(&mut self, seq: u64) {
        let w = (seq / 64) as usize;
        if self.bits.len() <= w {
            self.bits.resize(w + 1, 0);
        }
        self.bits[w] |= 1 << (seq % 64);
    }

    /// Whether input `seq` is in the set.
    pub fn contains(&self, seq: u64) -> bool {
        self.bits.get((seq / 64) as usize).is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }
}

impl FromIterator<u64> for InputSet {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        let mut s = InputSet::default();
        for x in iter {
            s.insert(x);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::OutputRow;
    use ckptsim::record::{Lineage, Record, Value};
    use ckptsim::{Attempt, TaskId};

    fn row(seq: u64, sub: u32) -> OutputRow {
        OutputRow::of(0, TaskId(0), Attempt(0), Record::new(Value::Int(1), Lineage { input_seq: seq, sub }))
    }

    /// The vector-and-map counts answer what the old `BTreeMap<(input, sub), count>` answered.
    #[test]
    fn counts_match_a_map_of_lineages() {
        let rows: Vec<OutputRow> =
            [(3, 0), (0, 0), (3, 0), (5, 2), (5, 2), (5, 1), (9, 0), (3, 0)].iter().map(|&(s, u)| row(s, u)).collect();
        let c = LineageCounts::of(&rows.iter().cloned().collect());
        let mut m: BTreeMap<LineageKey, usize> = BTreeMap::new();
        for r in &rows {
            *m.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
        }
        assert_eq!(c.len(), m.len());
        // Inputs 0, 3, 5 (two lineages: subs 1 and 2) and 9: four inputs, five lineages.
        assert_eq!((c.inputs(), c.len()), (4, 5), "distinct inputs, distinct lineages");
        for seq in 0..12 {
            for sub in 0..3 {
                assert_eq!(c.get((seq, sub)), m.get(&(seq, sub)).copied().unwrap_or(0), "({seq}, {sub})");
            }
            assert_eq!(c.has_input(seq), m.range((seq, 0)..=(seq, u32::MAX)).next().is_some(), "{seq}");
        }
        let dups: Vec<(LineageKey, usize)> = m.into_iter().filter(|(_, n)| *n > 1).collect();
        assert_eq!(c.duplicates(), dups);
    }

    #[test]
    fn input_set_holds_what_was_inserted() {
        let s: InputSet = [0, 63, 64, 1000].into_iter().collect();
        for x in 0..1100 {
            assert_eq!(s.contains(x), [0, 63, 64, 1000].contains(&x), "{x}");
        }
    }
}
