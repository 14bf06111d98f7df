//! A small ordered map for the explorer's state: a sorted vector of entries with `BTreeMap`'s iteration order and the part of its interface the explorer uses (session 29).
//!
//! An explored state holds a handful of tasks and a few queues per task. Cloning a `BTreeMap`
//! of them walks and allocates its nodes, dropping one walks them again, entry by entry (with
//! the fingerprint, a fifth of the search's instructions on `two-source-two-sink`, BENCHMARKS.md
//! "Cost per state"); a sorted vector is one allocation and one copy, looked up by binary
//! search. Iterated in key order, like the `BTreeMap` it replaces, so nothing that walks it
//! (the choices, the fingerprint, the judge) sees another order.

use std::fmt;

/// A map from `K` to `V` kept as a vector of entries sorted by key (keys unique).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct VecMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { items: Vec::new() }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.items.iter().map(|(k, v)| (k, v))).finish()
    }
}

/// An entry of [`VecMap::entry`]: the key and where it is or would be inserted.
pub(super) struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub(super) fn or_insert_with(self, f: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.items.insert(i, (self.key, f()));
                i
            }
        };
        &mut self.map.items[i].1
    }

    pub(super) fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.items.binary_search_by(|(x, _)| x.cmp(k))
    }

    pub(super) fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.items[i].1)
    }

    pub(super) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.items[i].1)
    }

    pub(super) fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }

    pub(super) fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, v)),
            Err(i) => {
                self.items.insert(i, (k, v));
                None
            }
        }
    }

    pub(super) fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.items.remove(i).1)
    }

    pub(super) fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry { map: self, key, at }
    }

    /// The entries whose keys lie in `range`, in key order.
    pub(super) fn range(&self, range: impl std::ops::RangeBounds<K>) -> Iter<'_, K, V> {
        use std::ops::Bound;
        let from = match range.start_bound() {
            Bound::Included(s) => self.items.partition_point(|(k, _)| k < s),
            Bound::Excluded(s) => self.items.partition_point(|(k, _)| k <= s),
            Bound::Unbounded => 0,
        };
        let to = match range.end_bound() {
            Bound::Included(e) => self.items.partition_point(|(k, _)| k <= e),
            Bound::Excluded(e) => self.items.partition_point(|(k, _)| k < e),
            Bound::Unbounded => self.items.len(),
        };
        self.items[from..to.max(from)].iter().map(pair)
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K, V> VecMap<K, V> {
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
    }

    pub(super) fn iter(&self) -> Iter<'_, K, V> {
        self.items.iter().map(pair)
    }

    pub(super) fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.items.iter_mut().map(pair_mut)
    }

    pub(super) fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.items.iter().map(|(k, _)| k)
    }

    pub(super) fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.items.iter().map(|(_, v)| v)
    }

    pub(super) fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.items.iter_mut().map(|(_, v)| v)
    }
}

fn pair<K, V>(e: &(K, V)) -> (&K, &V) {
    (&e.0, &e.1)
}

fn pair_mut<K, V>(e: &mut (K, V)) -> (&K, &mut V) {
    (&e.0, &mut e.1)
}

/// [`VecMap::iter`]'s iterator: entries in key order.
pub(super) type Iter<'a, K, V> = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

/// [`VecMap::iter_mut`]'s iterator: entries in key order.
pub(super) type IterMut<'a, K, V> =
    std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;

impl<K: Ord, V> std::ops::Index<&K> for VecMap<K, V> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("a key of the map")
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    /// The same operations on a `VecMap` and a `BTreeMap` leave the same entries in the same
    /// order (keys drawn from a small range so that inserts, replaces and removes all occur).
    #[test]
    fn behaves_as_a_btree_map() {
        let mut v: VecMap<u32, u64> = VecMap::default();
        let mut b: BTreeMap<u32, u64> = BTreeMap::new();
        let mut x: u64 = 7;
        for step in 0..2_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let k = ((x >> 33) % 13) as u32;
            match (x >> 60) % 6 {
                0 => assert_eq!(v.insert(k, step), b.insert(k, step)),
                1 => assert_eq!(v.remove(&k), b.remove(&k)),
                2 => *v.entry(k).or_default() += 1,
                3 => *v.entry(k).or_insert_with(|| 5) += 2,
                4 => v.retain(|k, _| k % 5 != step as u32 % 5),
                _ => {
                    if let Some(e) = v.get_mut(&k) {
                        *e += 3;
                    }
                }
            }
            match (x >> 60) % 6 {
                2 => *b.entry(k).or_default() += 1,
                3 => *b.entry(k).or_insert(5) += 2,
                4 => b.retain(|k, _| k % 5 != step as u32 % 5),
                5 => {
                    if let Some(e) = b.get_mut(&k) {
                        *e += 3;
                    }
                }
                _ => {}
            }
            assert!(v.iter().map(|(k, v)| (*k, *v)).eq(b.iter().map(|(k, v)| (*k, *v))), "step {step}");
            assert_eq!(v.len(), b.len());
            assert_eq!(v.get(&k), b.get(&k));
            assert_eq!(v.contains_key(&k), b.contains_key(&k));
        }
        assert!(v.keys().eq(b.keys()) && v.values().eq(b.values()));
        for (lo, hi) in [(0, 12), (3, 7), (5, 5), (11, 40)] {
            assert!(v.range(lo..=hi).eq(b.range(lo..=hi)), "{lo}..={hi}");
            assert!(v.range(lo..hi).eq(b.range(lo..hi)), "{lo}..{hi}");
        }
        // A reversed range is empty (a `BTreeMap` panics on one; the explorer asks none).
        let (lo, hi) = (7, 3);
        assert_eq!(v.range(lo..=hi).count(), 0);
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
    }
}
